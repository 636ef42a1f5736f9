"""The one task card: what a task looks like wherever it is shown — /viec, a button press, a reminder, the
task view of /tiendo — and the one row of buttons under it.

Before, reminders had their own card ("Rõ việc…", steps 25/50/75/90) and the bot another (steps
0/25/50/75/100): one tap on a reminder changed its layout. Now both are built here, as `tasks.ui.Screen`s
(Telegram HTML + rows of (label, callback data), no Telegram type).

A card shows the "6 rõ" compactly — rõ việc (nội dung), rõ người (người thực hiện), rõ trách nhiệm (đơn vị
chủ trì), rõ thời gian (hạn, flagged "quá hạn N ngày"), rõ sản phẩm, rõ thẩm quyền (người giao) — plus
progress and status. Every value from the database is escaped and long fields are shortened, so a card (with
a change note under it, or a reminder heading above it) stays far below Telegram's 4096 characters. A
reminder's heading is computed from the deadline and "today" at sending time, not from the reminder's kind,
so a reminder delayed by a retry still tells the truth ("còn 1 ngày" rather than a stale "còn 3 ngày").
"""

from __future__ import annotations

from datetime import date
from typing import Any

from tasks.ui import (
    PROGRESS_STEPS,
    Keyboard,
    Screen,
    button,
    document_data,
    done_data,
    esc,
    format_date,
    progress_data,
    shorten,
    time_left,
)

CONTENT_LIMIT = 700
FIELD_LIMIT = 300
RESULT_LIMIT = 600
BAR_CELLS = 10

BUTTON_PROGRESS = "{p}%"
BUTTON_PROGRESS_CURRENT = "✓ {p}%"
BUTTON_DONE = "✅ Hoàn thành"
BUTTON_DOCUMENT = "📄 Văn bản giao"
BUTTON_SETTINGS = "⚙️ Cài đặt nhắc việc"


def progress_bar(percent: int) -> str:
    """ "▰▰▰▰▱▱▱▱▱▱" for 40 %: ten cells, rounded."""
    filled = max(0, min(BAR_CELLS, round(percent / 100 * BAR_CELLS)))
    return "▰" * filled + "▱" * (BAR_CELLS - filled)


def overdue_days(task: Any, today: date) -> int:
    """Days past the deadline for an unfinished task (0 when not overdue, done or cancelled)."""
    if task.is_done or getattr(task, "is_cancelled", False):
        return 0
    return max(0, (today - task.deadline).days)


def extended_from(task: Any) -> str:
    """ " · gia hạn từ 15/12/2026" when an approved extension moved the deadline (`original_deadline`)."""
    first = getattr(task, "original_deadline", None)
    return f" · gia hạn từ {format_date(first)}" if first and first != task.deadline else ""


def _deadline_line(task: Any, today: date) -> str:
    return _deadline_state(task, today) + extended_from(task)


def _deadline_state(task: Any, today: date) -> str:
    when = format_date(task.deadline)
    if task.is_done:
        done_on = task.completed_on
        if done_on is None:
            return f"{when} (đã xong, không rõ ngày hoàn thành)"
        late = (done_on - task.deadline).days
        status = "đúng hạn" if late <= 0 else f"trễ {late} ngày"
        return f"{when} (xong ngày {format_date(done_on)}, {status})"
    late = overdue_days(task, today)
    if late:
        return f"{when} — <b>quá hạn {late} ngày</b>"
    return f"{when} ({time_left(task.deadline, today)})"


def card_html(
    task: Any, today: date, *, note: str | None = None, number: int | None = None, flags: bool = True
) -> str:
    """One task as compact HTML; `note` (HTML, already escaped) goes under it (who changed what), `number`
    before the code (its place in a list). `flags=False` leaves the ⚠️/✅/🗑 flags out of the first line
    (a screen whose heading already says it, e.g. the /tiendo task view; "quá hạn" stays in the deadline)."""
    late = overdue_days(task, today) if flags else 0
    head = f"<b>{esc(task.code)}</b>"
    if number is not None:
        head = f"{number}. {head}"
    if late:
        head = f"⚠️ {head} · <b>QUÁ HẠN {late} NGÀY</b>"
    elif task.is_done and flags:
        head = f"✅ {head}"
    elif getattr(task, "is_cancelled", False) and flags:
        head = f"🗑 {head} · đã hủy"
    assignee = task.assignee
    assigned_by = esc(shorten(task.assigned_by, FIELD_LIMIT))
    if task.source_document:
        assigned_by += f" · 📄 {esc(shorten(task.source_document, 200))}"
    lines = [
        head,
        f"📝 <b>Việc:</b> {esc(shorten(task.content, CONTENT_LIMIT))}",
        f"👤 <b>Người thực hiện:</b> {esc(shorten(assignee.full_name, 120))} ({esc(assignee.code)})",
        f"🏢 <b>Chủ trì:</b> {esc(shorten(task.lead_unit.name, 200))}",
        f"📅 <b>Hạn:</b> {_deadline_line(task, today)}",
        f"📦 <b>Sản phẩm:</b> {esc(shorten(task.product, FIELD_LIMIT))}",
        f"✍️ <b>Người giao:</b> {assigned_by}",
        f"📊 <b>Tiến độ:</b> {progress_bar(task.progress)} {task.progress}% · {esc(task.status.label)}",
    ]
    if task.result_note:
        lines.append(f"🏁 <b>Kết quả:</b> {esc(shorten(task.result_note, RESULT_LIMIT))}")
    if note:
        lines += ["", note]
    return "\n".join(lines)


def task_buttons(task: Any) -> Keyboard:
    """Under a task card: 0/25/50/75/100 % (the current one ticked), "Hoàn thành", "Văn bản giao".

    A finished (or cancelled) task keeps only "Văn bản giao" (no row at all when it has no document)."""
    closed = task.is_done or getattr(task, "is_cancelled", False)
    rows: Keyboard = []
    if not closed:
        rows.append(
            [
                button(
                    (BUTTON_PROGRESS_CURRENT if p == task.progress else BUTTON_PROGRESS).format(p=p),
                    progress_data(task.id, p),
                )
                for p in PROGRESS_STEPS
            ]
        )
    last = [] if closed else [button(BUTTON_DONE, done_data(task.id))]
    if task.source_document:
        last.append(button(BUTTON_DOCUMENT, document_data(task.id)))
    if last:
        rows.append(last)
    return rows


def task_screen(task: Any, today: date, *, note: str | None = None, number: int | None = None) -> Screen:
    """The card with its buttons (/viec, t:v:<id>, after a change)."""
    return Screen(card_html(task, today, note=note, number=number), task_buttons(task))


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


def reminder_screen(task: Any, today: date) -> Screen:
    """A reminder: a heading (time left), the card, its buttons, and "⚙️ Cài đặt nhắc việc"."""
    heading = esc(reminder_heading(task.deadline, today, done=task.is_done))
    buttons = task_buttons(task)
    buttons.append([button(BUTTON_SETTINGS, "nv:menu")])
    return Screen(f"<b>{heading}</b>\n\n{card_html(task, today, flags=False)}", buttons)  # heading flags it
