"""People move, from /tiendo: a leader opens a task (from the overdue list) and gives it to someone else or
cancels it, each with a confirm step; cancelling asks for a reason first.

Screens only (HTML + buttons, `tasks.ui`); the changes themselves are `tasks.service.reassign_task` and
`tasks.service.cancel_task` (permission re-checked there, audited via "bot"). Callback data comes back from
the client: every entry point re-reads the task and re-checks that the viewer may see it, and the buttons
that change something are shown only to a leader of the task's lead unit subtree (or an administrator).

Flow:  td:t:<task> → [👤 Giao lại] td:ra:<task>:<page> → td:rp:<task>:<official> → ✅ td:ry:<task>:<official>
                    [🗑 Hủy nhiệm vụ] td:x:<task> → (the reason, typed) → `cancel_confirm_screen` → ✅ td:xy:<task>
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import case, select
from sqlalchemy.orm import Session, selectinload

from tasks.access import can_view_task, can_view_unit, unit_subtree_ids
from tasks.errors import InvalidOperation, NotFound, PermissionDenied
from tasks.models import Official, Task
from tasks.normalize import Role, Via
from tasks.progress_view import LEADERS_ONLY, NOT_LINKED
from tasks.service import CANCEL_REASON_MAX, can_manage_task, cancel_reason, cancel_task, reassign_task
from tasks.task_card import card_html
from tasks.ui import Keyboard, Screen, button, esc, manage_data, overdue_data, shorten

PEOPLE_PER_PAGE = 8


def _viewer_task(session: Session, viewer: Official | None, task_id: int) -> Task:
    if viewer is None or not viewer.active:
        raise PermissionDenied(NOT_LINKED)
    if viewer.role not in (Role.LANH_DAO, Role.QUAN_TRI):
        raise PermissionDenied(LEADERS_ONLY)
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound("Không tìm thấy nhiệm vụ này (có thể đã bị xóa khỏi danh sách).")
    if not can_view_task(viewer, task):
        raise PermissionDenied(f"Bạn không có quyền xem nhiệm vụ {task.code}.")
    return task


def _managed_task(session: Session, viewer: Official | None, task_id: int) -> Task:
    task = _viewer_task(session, viewer, task_id)
    if not can_manage_task(viewer, task):
        raise PermissionDenied(
            f"Chỉ lãnh đạo {task.lead_unit.name} (hoặc đơn vị cấp trên) mới được giao lại hoặc hủy nhiệm vụ {task.code}."
        )
    if task.is_closed:
        raise InvalidOperation(
            f"Nhiệm vụ {task.code} đã {task.status.label}; không giao lại hay hủy được nữa."
        )
    return task


def _back(viewer: Official, task: Task) -> tuple[str, str]:
    unit_id = task.lead_unit_id if can_view_unit(viewer, task.lead_unit) else viewer.unit_id
    return button("↩️ Danh sách quá hạn", overdue_data(unit_id))


def task_view_screen(
    session: Session, viewer: Official | None, task_id: int, *, today: date, note: str | None = None
) -> Screen:
    """A task seen from /tiendo: the "6 rõ", and for a leader who may manage it "Giao lại" / "Hủy nhiệm vụ".

    `note` (HTML, escaped) goes on top, e.g. "✅ Đã giao lại …". Raises `PermissionDenied` / `NotFound`.
    """
    task = _viewer_task(session, viewer, task_id)
    assert viewer is not None
    lines = [note, ""] if note else []
    lines.append(card_html(task, today, flags=False))
    if task.is_cancelled:
        reason = cancel_reason(session, task)
        if reason:
            lines.append(f"🗑 <b>Lý do hủy:</b> {esc(shorten(reason, 300))}")
    rows: Keyboard = []
    if can_manage_task(viewer, task) and not task.is_closed:
        rows.append(
            [
                button("👤 Giao lại", manage_data("ra", task.id, 1)),
                button("🗑 Hủy nhiệm vụ", manage_data("x", task.id)),
            ]
        )
    rows.append([_back(viewer, task)])
    return Screen("\n".join(lines), rows)


def _candidates(session: Session, viewer: Official, task: Task) -> list[Official]:
    """Who may receive the task: active officials within the viewer's reach (a leader: their subtree; an
    administrator: everyone), the task's own unit first, then by name; the current assignee left out."""
    query = select(Official).where(Official.active.is_(True), Official.id != task.assignee_id)
    if viewer.role != Role.QUAN_TRI:
        query = query.where(Official.unit_id.in_(unit_subtree_ids(session, viewer.unit_id)))
    order = case((Official.unit_id == task.lead_unit_id, 0), else_=1)
    return list(
        session.scalars(
            query.options(selectinload(Official.unit)).order_by(order, Official.full_name, Official.code)
        )
    )


def reassign_pick_screen(session: Session, viewer: Official | None, task_id: int, *, page: int = 1) -> Screen:
    """One page of people to give the task to; each button leads to a confirm screen."""
    task = _managed_task(session, viewer, task_id)
    assert viewer is not None
    people = _candidates(session, viewer, task)
    pages = max(1, -(-len(people) // PEOPLE_PER_PAGE))
    page = min(max(1, page), pages)
    shown = people[(page - 1) * PEOPLE_PER_PAGE : page * PEOPLE_PER_PAGE]
    text = (
        f"<b>👤 Giao lại nhiệm vụ {esc(task.code)}</b>\n"
        f"Đang giao cho: {esc(task.assignee.full_name)} ({esc(task.assignee.code)})\n"
        "Chọn người nhận:" + (f" <i>(trang {page}/{pages})</i>" if pages > 1 else "")
    )
    if not people:
        text = (
            f"<b>👤 Giao lại nhiệm vụ {esc(task.code)}</b>\nKhông có cán bộ nào khác trong phạm vi của bạn."
        )
    rows: Keyboard = [
        [button(shorten(f"{o.full_name} · {o.unit.name}", 60), manage_data("rp", task.id, o.id))]
        for o in shown
    ]
    nav = []
    if page > 1:
        nav.append(button("◀️ Trước", manage_data("ra", task.id, page - 1)))
    if page < pages:
        nav.append(button("Sau ▶️", manage_data("ra", task.id, page + 1)))
    if nav:
        rows.append(nav)
    rows.append([button("↩️ Thôi", manage_data("t", task.id))])
    return Screen(text, rows)


def _new_assignee(session: Session, viewer: Official, task: Task, official_id: int) -> Official:
    person = session.get(Official, official_id)
    if person is None or not person.active:
        raise NotFound("Cán bộ này không còn trong danh sách (hoặc đã ngừng hoạt động).")
    if viewer.role != Role.QUAN_TRI and not can_view_unit(viewer, person.unit):
        raise PermissionDenied(
            f"{person.full_name} không thuộc {viewer.unit.name} hoặc các đơn vị trực thuộc."
        )
    return person


def reassign_confirm_screen(
    session: Session, viewer: Official | None, task_id: int, official_id: int
) -> Screen:
    """ "Giao lại nhiệm vụ X từ A sang B?" with ✅ / ↩️."""
    task = _managed_task(session, viewer, task_id)
    assert viewer is not None
    person = _new_assignee(session, viewer, task, official_id)
    text = (
        f"<b>Giao lại nhiệm vụ {esc(task.code)}?</b>\n{esc(shorten(task.content, 200))}\n\n"
        f"Từ: {esc(task.assignee.full_name)} ({esc(task.assignee.code)})\n"
        f"Sang: <b>{esc(person.full_name)}</b> ({esc(person.code)}, {esc(person.unit.name)})\n\n"
        "Tiến độ hiện tại được giữ nguyên; lời nhắc việc sẽ chuyển sang người mới."
    )
    rows: Keyboard = [
        [
            button("✅ Xác nhận giao lại", manage_data("ry", task.id, person.id)),
            button("↩️ Thôi", manage_data("t", task.id)),
        ]
    ]
    return Screen(text, rows)


def do_reassign(
    session: Session, viewer: Official | None, task_id: int, official_id: int, *, today: date, now: datetime
) -> Screen:
    """Reassign (audited, via bot), then the task view with a note saying who has it now."""
    task = _managed_task(session, viewer, task_id)
    assert viewer is not None
    person = _new_assignee(session, viewer, task, official_id)
    task, previous = reassign_task(session, viewer, task.id, person.code, via=Via.BOT, now=now)
    note = (
        f"✅ Đã giao lại nhiệm vụ <b>{esc(task.code)}</b>: {esc(previous.full_name)} → "
        f"<b>{esc(person.full_name)}</b>."
    )
    return task_view_screen(session, viewer, task.id, today=today, note=note)


def cancel_prompt(
    session: Session, viewer: Official | None, task_id: int, *, minutes: int
) -> tuple[str, Screen]:
    """(task code, "send the reason" screen) once the viewer may cancel the task."""
    task = _managed_task(session, viewer, task_id)
    text = (
        f"<b>🗑 Hủy nhiệm vụ {esc(task.code)}</b>\n{esc(shorten(task.content, 200))}\n\n"
        f"Hãy gửi <b>lý do hủy</b> trong một tin nhắn (trong {minutes} phút, tối đa {CANCEL_REASON_MAX} ký tự). "
        "Gõ “thôi” để không hủy nữa."
    )
    return task.code, Screen(text, [[button("↩️ Không hủy", manage_data("t", task.id))]])


def check_cancel_reason(reason: str) -> str:
    """The reason, trimmed; `InvalidOperation` (Vietnamese) if empty or too long."""
    text = " ".join((reason or "").split())
    if not any(ch.isalnum() for ch in text):
        raise InvalidOperation(
            "Lý do hủy đang trống; hãy gửi lý do bằng chữ (ví dụ: “trùng với nhiệm vụ khác”)."
        )
    if len(text) > CANCEL_REASON_MAX:
        raise InvalidOperation(f"Lý do hủy dài {len(text)} ký tự; tối đa {CANCEL_REASON_MAX} ký tự.")
    return text


def cancel_confirm_screen(session: Session, viewer: Official | None, task_id: int, reason: str) -> Screen:
    """ "Hủy nhiệm vụ X? Lý do: …" with ✅ / ↩️ (the reason is kept by the caller until confirmed)."""
    task = _managed_task(session, viewer, task_id)
    text = (
        f"<b>Hủy nhiệm vụ {esc(task.code)}?</b>\n{esc(shorten(task.content, 200))}\n"
        f"Người thực hiện: {esc(task.assignee.full_name)} ({esc(task.assignee.code)})\n"
        f"<b>Lý do:</b> {esc(check_cancel_reason(reason))}\n\n"
        "Nhiệm vụ đã hủy không còn tính vào số liệu, KPI và không được nhắc việc nữa."
    )
    rows: Keyboard = [
        [
            button("🗑 Xác nhận hủy", manage_data("xy", task.id)),
            button("↩️ Không hủy", manage_data("t", task.id)),
        ]
    ]
    return Screen(text, rows)


def do_cancel(
    session: Session, viewer: Official | None, task_id: int, reason: str, *, today: date, now: datetime
) -> Screen:
    """Cancel (audited, via bot, with the reason), then the task view saying so."""
    task = _managed_task(session, viewer, task_id)
    task = cancel_task(session, viewer, task.id, check_cancel_reason(reason), via=Via.BOT, now=now)
    return task_view_screen(
        session, viewer, task.id, today=today, note=f"🗑 Đã hủy nhiệm vụ <b>{esc(task.code)}</b>."
    )
