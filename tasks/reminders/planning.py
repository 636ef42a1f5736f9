"""Planning: make the queue of `reminders` rows match the schedule (idempotent; one planner at a time).

Inserts the rows each open task and each leader's digest need from today to the policy's horizon, cancels
pending rows made obsolete (task done or cancelled, deadline moved, task reassigned, recipient unlinked or
switched off, hour changed) and revives cancelled rows that are wanted again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from tasks.models import Official, Reminder, ReminderSetting, Task
from tasks.normalize import CLOSED_STATUSES, Role, TaskStatus
from tasks.reachability import CHAT_UNREACHABLE, reachable_condition
from tasks.reminders.policy import (
    DEADLINE_MOVED,
    DEFAULT_POLICY,
    DIGEST,
    DIGEST_OFF,
    MAX_WEEKEND_SHIFT,
    REASSIGNED,
    RECIPIENT_OFF,
    REPLANNED,
    TASK_CANCELLED,
    TASK_DONE,
    Prefs,
    ReminderPolicy,
)
from tasks.reminders.queue import cancel_pending
from tasks.reminders.schedule import digest_slot_days, task_slot_days
from tasks.timeutil import as_utc

PLAN_LOCK_ID = 7_215_039  # PostgreSQL advisory lock: one planner at a time across bot processes


@dataclass
class PlanResult:
    created: int = 0
    cancelled: int = 0
    revived: int = 0
    skipped: bool = False  # another process was planning at the same moment
    cancelled_by_reason: dict[str, int] = field(default_factory=dict)

    def count(self, reason: str, n: int) -> None:
        if n:
            self.cancelled += n
            self.cancelled_by_reason[reason] = self.cancelled_by_reason.get(reason, 0) + n


def cancel_obsolete(session: Session, now: datetime) -> PlanResult:
    """Cancel pending rows whose reason to exist is gone, in a few set-wise UPDATEs (no commit)."""
    now = as_utc(now)
    result = PlanResult()
    task = aliased(Task)
    done_ids = select(Task.id).where(Task.status == TaskStatus.HOAN_THANH)
    result.count(TASK_DONE, cancel_pending(session, Reminder.task_id.in_(done_ids), TASK_DONE, now))
    cancelled_ids = select(Task.id).where(Task.status == TaskStatus.DA_HUY)
    result.count(
        TASK_CANCELLED, cancel_pending(session, Reminder.task_id.in_(cancelled_ids), TASK_CANCELLED, now)
    )
    moved = select(task.deadline).where(task.id == Reminder.task_id).correlate(Reminder).scalar_subquery()
    result.count(
        DEADLINE_MOVED,
        cancel_pending(
            session, and_(Reminder.task_id.is_not(None), Reminder.deadline != moved), DEADLINE_MOVED, now
        ),
    )
    assignee = (
        select(task.assignee_id).where(task.id == Reminder.task_id).correlate(Reminder).scalar_subquery()
    )
    result.count(
        REASSIGNED,
        cancel_pending(
            session, and_(Reminder.task_id.is_not(None), Reminder.official_id != assignee), REASSIGNED, now
        ),
    )
    off = select(ReminderSetting.official_id).where(ReminderSetting.enabled.is_(False))
    unreachable = select(Official.id).where(
        or_(Official.active.is_(False), Official.telegram_user_id.is_(None))
    )
    blocked = select(Official.id).where(Official.unreachable_since.is_not(None))
    result.count(
        CHAT_UNREACHABLE, cancel_pending(session, Reminder.official_id.in_(blocked), CHAT_UNREACHABLE, now)
    )
    result.count(
        RECIPIENT_OFF,
        cancel_pending(
            session,
            or_(Reminder.official_id.in_(off), Reminder.official_id.in_(unreachable)),
            RECIPIENT_OFF,
            now,
        ),
    )
    no_digest = select(ReminderSetting.official_id).where(ReminderSetting.digest.is_(False))
    not_leader = select(Official.id).where(Official.role != Role.LANH_DAO)
    result.count(
        DIGEST_OFF,
        cancel_pending(
            session,
            and_(
                Reminder.kind == DIGEST,
                or_(Reminder.official_id.in_(no_digest), Reminder.official_id.in_(not_leader)),
            ),
            DIGEST_OFF,
            now,
        ),
    )
    return result


Key = tuple[str, int, str, datetime]  # ("t", task_id, kind, due_at) or ("d", official_id, "digest", due_at)


def _expected_rows(
    session: Session, today: date, last: date, policy: ReminderPolicy
) -> dict[Key, dict[str, Any]]:
    """Every row the schedule wants between today and `last`, keyed like existing rows."""
    expected: dict[Key, dict[str, Any]] = {}
    rs = ReminderSetting
    reachable = reachable_condition()  # active, linked, and Telegram has not refused their chat
    latest_deadline = last + timedelta(days=3 + MAX_WEEKEND_SHIFT)
    rows = session.execute(
        select(Task.id, Task.assignee_id, Task.deadline, rs.enabled, rs.hour, rs.weekends, rs.digest)
        .join(Official, Official.id == Task.assignee_id)
        .outerjoin(rs, rs.official_id == Official.id)
        # a product waiting for review (chờ duyệt) is the approver's turn: no reminder to the official
        .where(
            Task.status.not_in((*CLOSED_STATUSES, TaskStatus.CHO_DUYET)),
            Task.deadline <= latest_deadline,
            reachable,
        )
    )
    prefs_cache: dict[tuple, Prefs] = {}
    for task_id, official_id, deadline, enabled, hour, weekends, digest in rows:
        cols = (enabled, hour, weekends, digest)
        prefs = prefs_cache.get(cols) or prefs_cache.setdefault(cols, Prefs.from_columns(*cols, policy))
        if not prefs.enabled:
            continue
        for kind, day in task_slot_days(deadline, prefs, policy, today, last):
            due = policy.at(day, prefs.hour)
            expected[("t", task_id, kind, due)] = {
                "task_id": task_id, "official_id": official_id, "kind": kind, "deadline": deadline, "due_at": due,
            }  # fmt: skip
    leaders = session.execute(
        select(Official.id, rs.enabled, rs.hour, rs.weekends, rs.digest)
        .outerjoin(rs, rs.official_id == Official.id)
        .where(Official.role == Role.LANH_DAO, reachable)
    )
    for official_id, enabled, hour, weekends, digest in leaders:
        prefs = Prefs.from_columns(enabled, hour, weekends, digest, policy)
        if not (prefs.enabled and prefs.digest):
            continue
        for day in digest_slot_days(prefs, today, last):
            due = policy.at(day, prefs.hour)
            expected[("d", official_id, DIGEST, due)] = {
                "task_id": None, "official_id": official_id, "kind": DIGEST, "deadline": None, "due_at": due,
            }  # fmt: skip
    return expected


def _chunks(values: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def plan_reminders(session: Session, now: datetime, policy: ReminderPolicy = DEFAULT_POLICY) -> PlanResult:
    """Make the queue match the schedule from today to `policy.horizon_days` ahead. Idempotent. Commits.

    Creates missing rows, cancels obsolete pending ones (see `cancel_obsolete`, plus rows whose slot is no
    longer in the schedule, e.g. the official chose another hour) and revives cancelled rows that are
    wanted again (a deadline moved back). Rows of earlier days are left alone: if still pending (the bot
    was down) they are sent, unless superseded by a newer reminder of the same task. Two processes may
    plan at once: on PostgreSQL the second one skips (advisory lock), and inserts ignore rows that exist.
    """
    now = as_utc(now)
    today = policy.local_date(now)
    last = today + timedelta(days=policy.horizon_days)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql" and not session.scalar(
        text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": PLAN_LOCK_ID}
    ):
        session.commit()
        return PlanResult(skipped=True)  # the other planner does the same work; SQLite serialises writers
    result = cancel_obsolete(session, now)
    expected = _expected_rows(session, today, last, policy)
    existing = session.execute(
        select(
            Reminder.id, Reminder.task_id, Reminder.official_id, Reminder.kind, Reminder.due_at,
            Reminder.sent_at, Reminder.cancelled_at,
        ).where(Reminder.due_at >= policy.day_start(today), Reminder.due_at < policy.day_start(last + timedelta(days=1)))
    )  # fmt: skip
    stale: list[int] = []
    revive: list[tuple[int, dict[str, Any]]] = []
    seen: set[Key] = set()
    for rid, task_id, official_id, kind, due_at, sent_at, cancelled_at in existing:
        key: Key = ("d", official_id, kind, due_at) if task_id is None else ("t", task_id, kind, due_at)
        seen.add(key)
        wanted = expected.get(key)
        if sent_at is not None:
            continue
        if cancelled_at is None and wanted is None:
            stale.append(rid)
        elif cancelled_at is not None and wanted is not None:
            revive.append((rid, wanted))
    for ids in _chunks(stale):
        result.count(REPLANNED, cancel_pending(session, Reminder.id.in_(ids), REPLANNED, now))
    for rid, wanted in revive:
        session.execute(
            update(Reminder)
            .where(Reminder.id == rid)
            .values(
                cancelled_at=None, cancel_reason=None, official_id=wanted["official_id"],
                deadline=wanted["deadline"], next_attempt_at=wanted["due_at"], claimed_by=None, claimed_at=None,
            )
            .execution_options(synchronize_session=False)
        )  # fmt: skip
    result.revived = len(revive)
    new = [
        {**row, "next_attempt_at": row["due_at"], "attempts": 0, "created_at": now}
        for key, row in expected.items()
        if key not in seen
    ]
    # ON CONFLICT DO NOTHING: a row inserted meanwhile by another process is simply already there.
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Reminder.__table__)
    for rows in _chunks(new, 1000):
        session.execute(insert.on_conflict_do_nothing(), list(rows))
    result.created = len(new)
    session.commit()
    return result
