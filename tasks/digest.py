"""The leader's morning digest: how many tasks of their scope are overdue, and what changed since yesterday.

Scope = what the leader may see (`tasks.access.visible_tasks_query`: tasks led by their unit subtree or
assigned to someone in it). "What changed" is read from the audit log of the last 24 hours (completions,
progress reports, deadline changes) and from task creation times; yesterday's overdue count is rebuilt
from the data (overdue at the start of yesterday = deadline before yesterday and not finished before
yesterday), so the digest needs no snapshot table.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, distinct, func, or_, select
from sqlalchemy.orm import Session

from tasks.access import visible_tasks_query
from tasks.models import AuditLog, Official, Task, overdue_condition
from tasks.normalize import TaskStatus, format_date
from tasks.reachability import unreachable_lines
from tasks.timeutil import DEFAULT_TZ, as_utc, local_date
from tasks.ui import Screen, button, esc, overdue_data, unit_data

WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
DUE_SOON_DAYS = 3


def weekday_name(day: date) -> str:
    return WEEKDAYS[day.weekday()]


def _trend(today_count: int, yesterday_count: int) -> str:
    delta = today_count - yesterday_count
    if delta > 0:
        return f"tăng {delta} so với hôm qua"
    if delta < 0:
        return f"giảm {-delta} so với hôm qua"
    return "không đổi so với hôm qua"


def digest_numbers(
    session: Session, leader: Official, now: datetime, tz: ZoneInfo = DEFAULT_TZ
) -> dict[str, int]:
    """The digest's figures (a dict, so tests and other front ends can use them without the text)."""
    today = local_date(now, tz)
    yesterday = today - timedelta(days=1)
    since = as_utc(now) - timedelta(hours=24)
    scope = visible_tasks_query(leader).with_only_columns(Task.id).scalar_subquery()
    done = Task.status == TaskStatus.HOAN_THANH
    row = session.execute(
        select(
            func.count(),
            func.sum(case((overdue_condition(today), 1), else_=0)),
            func.sum(
                case(
                    (and_(Task.deadline < yesterday, or_(~done, Task.completed_on >= yesterday)), 1), else_=0
                )
            ),
            func.sum(case((and_(~done, Task.deadline == yesterday), 1), else_=0)),
            func.sum(
                case(
                    (
                        and_(
                            ~done, Task.deadline >= today, Task.deadline <= today + timedelta(DUE_SOON_DAYS)
                        ),
                        1,
                    ),
                    else_=0,
                )
            ),
            func.sum(case((Task.created_at >= since, 1), else_=0)),
        ).where(Task.id.in_(scope), Task.status != TaskStatus.DA_HUY)
    ).one()
    total, overdue, overdue_yesterday, newly_overdue, due_soon, created = (int(v or 0) for v in row)
    changes = select(
        func.count(distinct(case((and_(AuditLog.field == "status", AuditLog.new == TaskStatus.HOAN_THANH.value),
                                  AuditLog.entity_key)))),
        func.count(distinct(case((AuditLog.field == "progress", AuditLog.entity_key)))),
        func.count(distinct(case((AuditLog.field == "deadline", AuditLog.entity_key)))),
        func.count(distinct(case((and_(AuditLog.field == "status", AuditLog.new == TaskStatus.DA_HUY.value),
                                  AuditLog.entity_key)))),
        func.count(distinct(case((AuditLog.field == "assignee", AuditLog.entity_key)))),
    ).where(
        AuditLog.entity == "task",
        AuditLog.at >= since,
        AuditLog.at <= as_utc(now),
        or_(AuditLog.note.is_(None), ~AuditLog.note.startswith("Từ chối")),
        AuditLog.entity_key.in_(select(Task.code).where(Task.id.in_(scope))),
    )  # fmt: skip
    completed, progressed, rescheduled, cancelled, reassigned = (
        int(v or 0) for v in session.execute(changes).one()
    )
    return {
        "total": total,
        "overdue": overdue,
        "overdue_yesterday": overdue_yesterday,
        "newly_overdue": newly_overdue,
        "due_soon": due_soon,
        "created": created,
        "completed": completed,
        "progressed": progressed,
        "rescheduled": rescheduled,
        "cancelled": cancelled,
        "reassigned": reassigned,
    }


def leader_digest(session: Session, leader: Official, now: datetime, tz: ZoneInfo = DEFAULT_TZ) -> str:
    """The digest as Telegram HTML (short: a handful of lines)."""
    today = local_date(now, tz)
    n = digest_numbers(session, leader, now, tz)
    lines = [
        f"<b>📋 Tóm tắt công việc {weekday_name(today)}, ngày {format_date(today)}</b>",
        f"{esc(leader.unit.name)} và các đơn vị trực thuộc ({n['total']} nhiệm vụ)",
        "",
        f"⚠️ Quá hạn: <b>{n['overdue']}</b> nhiệm vụ ({_trend(n['overdue'], n['overdue_yesterday'])})",
    ]
    if n["newly_overdue"]:
        lines.append(f"   trong đó {n['newly_overdue']} nhiệm vụ vừa quá hạn hôm qua")
    lines += [
        f"⏳ Đến hạn trong {DUE_SOON_DAYS} ngày tới: {n['due_soon']}",
        "",
        "<b>Thay đổi trong 24 giờ qua</b>",
        f"✅ Hoàn thành: {n['completed']}",
        f"🔄 Cập nhật tiến độ: {n['progressed']} nhiệm vụ",
        f"🆕 Giao mới: {n['created']}",
    ]
    if n["rescheduled"]:
        lines.append(f"📅 Điều chỉnh thời hạn: {n['rescheduled']}")
    if n["reassigned"]:
        lines.append(f"👤 Giao lại: {n['reassigned']}")
    if n["cancelled"]:
        lines.append(f"🗑 Hủy: {n['cancelled']}")
    lines += waiting_review_lines(
        session, leader, today
    )  # reviews late against this leader, not the official
    lines += unreachable_lines(session, leader.unit, tz)  # officials Telegram refuses to deliver to
    return "\n".join(lines)


def waiting_review_lines(session: Session, leader: Official, today: date) -> list[str]:
    """ "📥 Sản phẩm chờ anh/chị duyệt quá 3 ngày làm việc: N (codes)" when `leader` is the one late."""
    from tasks.workflow import REVIEW_WAIT_WORKING_DAYS, waiting_reviews

    waiting = waiting_reviews(session, today, approver=leader)
    if not waiting:
        return []
    codes = ", ".join(esc(w.task.code) for w in waiting[:5]) + (", …" if len(waiting) > 5 else "")
    return [
        "",
        f"📥 Sản phẩm chờ anh/chị duyệt quá {REVIEW_WAIT_WORKING_DAYS} ngày làm việc: <b>{len(waiting)}</b> "
        f"({codes})",
    ]


def digest_screen(session: Session, leader: Official, now: datetime, tz: ZoneInfo = DEFAULT_TZ) -> Screen:
    """The digest with buttons to the leader's /tiendo and overdue list."""
    text = leader_digest(session, leader, now, tz)
    return Screen(
        text,
        [
            [
                button("📊 Xem tiến độ", unit_data(leader.unit_id)),
                button("⚠️ Danh sách quá hạn", overdue_data(leader.unit_id)),
            ]
        ],
    )
