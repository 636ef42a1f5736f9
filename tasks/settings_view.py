"""The /nhacviec screens (reminder settings) and their ``nv:`` buttons, as `tasks.ui.Screen`s.

The reminder itself is a task card (`tasks.task_card.reminder_screen`).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from tasks.errors import InvalidOperation
from tasks.models import Official
from tasks.normalize import Role
from tasks.reminders import DEFAULT_POLICY, Prefs, ReminderPolicy
from tasks.reminders.settings import SettingsChange, apply_change, get_prefs
from tasks.ui import Callback, Keyboard, Screen, button

# --- /nhacviec -------------------------------------------------------------------------------------------


def settings_screen(official: Official, prefs: Prefs, policy: ReminderPolicy = DEFAULT_POLICY) -> Screen:
    """The /nhacviec screen: current choices, the policy in one sentence, buttons to change them."""
    leader = official.role == Role.LANH_DAO
    lines = [
        "<b>⚙️ Cài đặt nhắc việc</b>",
        f"Nhắc việc: <b>{'đang bật' if prefs.enabled else 'đang tắt'}</b>",
        f"Giờ nhắc: <b>{prefs.hour:02d}:00</b>",
        f"Cuối tuần (thứ Bảy, Chủ nhật): <b>{'có nhắc' if prefs.weekends else 'không nhắc'}</b>",
    ]
    if leader:
        lines.append(f"Tóm tắt hằng ngày cho lãnh đạo: <b>{'bật' if prefs.digest else 'tắt'}</b>")
    lines += [
        "",
        "Lịch nhắc: trước hạn 3 ngày, trước hạn 1 ngày, đúng ngày đến hạn; sau hạn nhắc mỗi ngày làm việc "
        f"cho đến khi hoàn thành. Không gửi tin từ {policy.quiet_start}h đến {policy.quiet_end}h sáng.",
    ]
    rows: Keyboard = [
        [button("🔕 Tắt nhắc việc", "nv:off") if prefs.enabled else button("🔔 Bật nhắc việc", "nv:on")],
        [
            button("🕗 Đổi giờ nhắc", "nv:h"),
            button(
                "Cuối tuần: tắt" if prefs.weekends else "Cuối tuần: bật",
                f"nv:we:{0 if prefs.weekends else 1}",
            ),
        ],
    ]
    if leader:
        rows.append(
            [button("Tóm tắt: tắt" if prefs.digest else "Tóm tắt: bật", f"nv:dg:{0 if prefs.digest else 1}")]
        )
    return Screen("\n".join(lines), rows)


def hour_picker_screen(prefs: Prefs, policy: ReminderPolicy = DEFAULT_POLICY) -> Screen:
    hours = [button(("✓ " if h == prefs.hour else "") + f"{h}h", f"nv:h:{h}") for h in policy.allowed_hours]
    rows: Keyboard = [hours[i : i + 5] for i in range(0, len(hours), 5)]
    rows.append([button("↩️ Quay lại", "nv:menu")])
    return Screen("<b>Chọn giờ nhận nhắc việc</b> (giờ Việt Nam):", rows)


def handle_settings_callback(
    session: Session,
    official: Official,
    callback: Callback,
    *,
    now=None,
    policy: ReminderPolicy = DEFAULT_POLICY,
) -> Screen:
    """Apply an `nv:` button and return the screen to show next (edit the message with it). Commits."""
    action, args = callback.action, callback.args
    change = SettingsChange()
    if action == "on":
        change = SettingsChange(enabled=True)
    elif action == "off":
        change = SettingsChange(enabled=False)
    elif action == "we":
        change = SettingsChange(weekends=bool(args[0]))
    elif action == "dg":
        change = SettingsChange(digest=bool(args[0]))
    elif action == "h" and not args:
        return hour_picker_screen(get_prefs(session, official, policy), policy)
    elif action == "h":
        change = SettingsChange(hour=args[0])
    elif action != "menu":
        raise InvalidOperation("Nút này không còn dùng được; hãy gõ /nhacviec.")
    prefs = apply_change(session, official, change, now=now, policy=policy) if not change.empty else None
    return settings_screen(official, prefs or get_prefs(session, official, policy), policy)
