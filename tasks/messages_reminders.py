"""Texts of reminders, of one task ("6 rõ") and of the /nhacviec settings, as `tasks.ui.Screen`s.

Telegram HTML: every value from the database is escaped (`ui.esc`), and long fields are shortened so a
message stays far below Telegram's 4096 characters. The heading is computed from the deadline and
"today" at sending time, not from the reminder's kind, so a reminder delayed by a retry still tells the
truth ("còn 1 ngày" rather than a stale "còn 3 ngày").
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from tasks.errors import InvalidOperation
from tasks.models import Official, Task
from tasks.normalize import Role, format_date
from tasks.reminders import DEFAULT_POLICY, Prefs, ReminderPolicy
from tasks.reminders.settings import SettingsChange, apply_change, get_prefs
from tasks.ui import (
    Callback,
    Keyboard,
    Screen,
    button,
    document_data,
    done_data,
    esc,
    progress_data,
)

FIELD_LIMIT = 700
CONTENT_LIMIT = 1500
PROGRESS_STEPS = (25, 50, 75, 90)


def shorten(text: str | None, limit: int = FIELD_LIMIT) -> str:
    """`text` cut at a word boundary with "…" when longer than `limit` characters (not yet escaped)."""
    text = (text or "").strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;.") + "…"


def time_left(deadline: date, today: date) -> str:
    """ "còn 3 ngày", "hạn là ngày mai", "hạn là hôm nay", "quá hạn 2 ngày"."""
    days = (deadline - today).days
    if days > 1:
        return f"còn {days} ngày"
    if days == 1:
        return "hạn là ngày mai"
    if days == 0:
        return "hạn là hôm nay"
    return f"quá hạn {-days} ngày"


def reminder_heading(deadline: date, today: date, *, done: bool = False) -> str:
    if done:
        return "✅ Nhiệm vụ đã hoàn thành"
    days = (deadline - today).days
    if days > 1:
        return f"⏰ Nhắc việc: còn {days} ngày đến hạn"
    if days == 1:
        return "⏰ Nhắc việc: ngày mai đến hạn"
    if days == 0:
        return "⏰ Nhắc việc: hôm nay là hạn chót"
    return f"⚠️ Nhiệm vụ đã quá hạn {-days} ngày"


def task_fields_html(task: Task, today: date) -> str:
    """The "6 rõ" of a task, one per line, plus the assigning document and the current status."""
    lines = [
        f"<b>{esc(task.code)}</b>",
        f"📝 <b>Rõ việc:</b> {esc(shorten(task.content, CONTENT_LIMIT))}",
        f"👤 <b>Rõ người:</b> {esc(task.assignee.full_name)} ({esc(task.assignee.code)})",
        f"🏢 <b>Rõ trách nhiệm:</b> {esc(task.lead_unit.name)} chủ trì",
    ]
    when = f"hạn {format_date(task.deadline)}"
    if not task.is_closed:
        when += f" ({time_left(task.deadline, today)})"
    lines += [
        f"📅 <b>Rõ thời gian:</b> {esc(when)}",
        f"📦 <b>Rõ sản phẩm:</b> {esc(shorten(task.product))}",
        f"✍️ <b>Rõ thẩm quyền:</b> {esc(shorten(task.assigned_by))}",
    ]
    if task.source_document:
        lines.append(f"📄 <b>Văn bản giao:</b> {esc(shorten(task.source_document, 200))}")
    status = f"{task.status.label}, {task.progress}%"
    if task.is_done:
        done = (
            f"xong ngày {format_date(task.completed_on)}" if task.completed_on else "không rõ ngày hoàn thành"
        )
        status += f", {done}"
    lines.append(f"📊 <b>Tình trạng:</b> {esc(status)}")
    return "\n".join(lines)


def task_buttons(task: Task) -> Keyboard:
    """Progress steps above the current one, "Hoàn thành", and "Văn bản giao" when the task names one."""
    if task.is_done:
        return [[button("📄 Văn bản giao", document_data(task.id))]] if task.source_document else []
    steps = [button(f"{p}%", progress_data(task.id, p)) for p in PROGRESS_STEPS if p > task.progress]
    rows: Keyboard = [steps] if steps else []
    last = [button("✅ Hoàn thành", done_data(task.id))]
    if task.source_document:
        last.append(button("📄 Văn bản giao", document_data(task.id)))
    rows.append(last)
    return rows


def task_screen(task: Task, today: date) -> Screen:
    """One task with its buttons (what the bot shows for t:v:<id> or after an update)."""
    return Screen(task_fields_html(task, today), task_buttons(task))


def reminder_screen(task: Task, today: date) -> Screen:
    """A reminder: heading (time left), the "6 rõ", buttons to report progress or finish, settings."""
    text = f"<b>{esc(reminder_heading(task.deadline, today, done=task.is_done))}</b>\n\n{task_fields_html(task, today)}"
    buttons = task_buttons(task)
    buttons.append([button("⚙️ Cài đặt nhắc việc", "nv:menu")])
    return Screen(text, buttons)


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
