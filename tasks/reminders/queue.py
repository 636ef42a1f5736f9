"""The queue's rows at send time: claim the due ones (a lease), re-check each right before sending, then
mark it sent or failed (exponential backoff; nothing is dropped, only cancelled as obsolete).

Two workers never get the same row: PostgreSQL `FOR UPDATE SKIP LOCKED`, SQLite one writer at a time.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, or_, select, text, update
from sqlalchemy.orm import Session, aliased

from tasks.models import Reminder, ReminderSetting
from tasks.normalize import Role
from tasks.reachability import CHAT_UNREACHABLE
from tasks.reminders.policy import (
    DEADLINE_MOVED,
    DEFAULT_POLICY,
    DIGEST,
    DIGEST_OFF,
    REASSIGNED,
    RECIPIENT_OFF,
    REPLANNED,
    SUPERSEDED,
    TASK_CANCELLED,
    TASK_DONE,
    TASK_GONE,
    Prefs,
    ReminderPolicy,
)
from tasks.reminders.schedule import is_current_slot, next_sending_time
from tasks.timeutil import as_utc


def pending():
    """The SQL condition of a row still waiting to go out (neither sent nor cancelled)."""
    return and_(Reminder.sent_at.is_(None), Reminder.cancelled_at.is_(None))


def cancel_pending(session: Session, where: Any, reason: str, now: datetime) -> int:
    """Cancel the pending rows matching `where` with `reason` (a `cancel_reason`); the number cancelled.
    No commit: the caller's transaction decides."""
    result = session.execute(
        update(Reminder)
        .where(pending(), where)
        .values(cancelled_at=now, cancel_reason=reason, claimed_by=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Claim:
    """A due row this worker holds until `claimed_at + lease`; `token` proves it when marking."""

    id: int
    token: str
    official_id: int
    task_id: int | None
    kind: str
    due_at: datetime
    attempts: int


def claim_due(
    session: Session,
    now: datetime,
    worker_id: str,
    limit: int = 100,
    policy: ReminderPolicy = DEFAULT_POLICY,
) -> list[Claim]:
    """Claim up to `limit` due, pending rows (oldest first) for this worker. Commits.

    Rows claimed by a worker whose lease expired (it crashed mid-batch) are claimable again. Nothing is
    claimed during the quiet hours. Two workers never get the same row: on PostgreSQL the candidates are
    locked with `FOR UPDATE SKIP LOCKED` (a concurrent worker skips them instead of waiting); SQLite lets one
    writer at a time run the single `UPDATE … WHERE id IN (SELECT … LIMIT n)`.
    """
    now = as_utc(now)
    if policy.is_quiet(now) or limit <= 0:
        return []
    session.commit()  # a fresh transaction: on SQLite the claiming UPDATE must be its first statement
    token = f"{worker_id[:80]}:{secrets.token_hex(6)}"
    free = or_(Reminder.claimed_by.is_(None), Reminder.claimed_at < now - policy.lease)
    candidates = (
        select(Reminder.id)
        .where(pending(), Reminder.next_attempt_at <= now, free)
        .order_by(Reminder.next_attempt_at, Reminder.id)
        .limit(limit)
    )
    claim = (
        update(Reminder).values(claimed_by=token, claimed_at=now).execution_options(synchronize_session=False)
    )
    if session.get_bind().dialect.name == "postgresql":
        ids = list(session.scalars(candidates.with_for_update(skip_locked=True)))
        if ids:
            session.execute(claim.where(Reminder.id.in_(ids)))
    else:
        session.execute(claim.where(Reminder.id.in_(candidates.scalar_subquery())))
    rows = session.execute(
        select(
            Reminder.id,
            Reminder.official_id,
            Reminder.task_id,
            Reminder.kind,
            Reminder.due_at,
            Reminder.attempts,
        )
        .where(Reminder.claimed_by == token)
        .order_by(Reminder.next_attempt_at, Reminder.id)
    ).all()
    session.commit()
    return [Claim(r.id, token, r.official_id, r.task_id, r.kind, r.due_at, r.attempts) for r in rows]


def prefs_for(session: Session, official_id: int, policy: ReminderPolicy = DEFAULT_POLICY) -> Prefs:
    return Prefs.of(session.get(ReminderSetting, official_id), policy)


def obsolete_reason(session: Session, row: Reminder, now: datetime, policy: ReminderPolicy) -> str | None:
    """Why `row` must not be sent any more (a `cancel_reason`), or None if it is still wanted."""
    official = row.official
    prefs = prefs_for(session, row.official_id, policy)
    if not official.active or official.telegram_user_id is None or not prefs.enabled:
        return RECIPIENT_OFF
    if official.unreachable_since is not None:
        return CHAT_UNREACHABLE
    if row.kind == DIGEST:
        if official.role != Role.LANH_DAO or not prefs.digest:
            return DIGEST_OFF
    else:
        task = row.task
        if task is None:
            return TASK_GONE
        if task.is_done:
            return TASK_DONE
        if task.is_cancelled:
            return TASK_CANCELLED
        if task.deadline != row.deadline:
            return DEADLINE_MOVED
        if task.assignee_id != row.official_id:
            return REASSIGNED
    if not is_current_slot(row.kind, row.due_at, row.deadline, prefs, policy):
        return REPLANNED
    newer = aliased(Reminder)
    same = (
        newer.task_id == row.task_id
        if row.task_id is not None
        else and_(newer.task_id.is_(None), newer.official_id == row.official_id, newer.kind == row.kind)
    )
    superseded = session.scalar(
        select(
            exists().where(
                same,
                newer.id != row.id,
                newer.due_at > row.due_at,
                newer.due_at <= now,
                newer.cancelled_at.is_(None),
            )
        )
    )
    return SUPERSEDED if superseded else None


def recheck(
    session: Session, claim: Claim, now: datetime, policy: ReminderPolicy = DEFAULT_POLICY
) -> Reminder | None:
    """The claimed row, if it should be sent now; otherwise None, after cancelling it (obsolete) or
    postponing it (the recipient's quiet time or weekend). Call right before sending. Commits when it
    changes the row."""
    now = as_utc(now)
    row = session.get(Reminder, claim.id, populate_existing=True)
    if row is None or row.claimed_by != claim.token or not row.is_pending:
        return None  # lost the claim (lease expired and another worker took it) or already handled
    reason = obsolete_reason(session, row, now, policy)
    if reason is not None:
        row.cancelled_at, row.cancel_reason, row.claimed_by, row.claimed_at = now, reason, None, None
        session.commit()
        return None
    when = next_sending_time(now, prefs_for(session, row.official_id, policy), policy)
    if when > now:
        row.next_attempt_at, row.claimed_by, row.claimed_at = when, None, None
        session.commit()
        return None
    return row


def _guarded(claim: Claim):
    return and_(Reminder.id == claim.id, Reminder.claimed_by == claim.token, Reminder.sent_at.is_(None))


def _async_commit(session: Session) -> None:
    """On PostgreSQL, do not wait for the WAL flush when committing a mark (≈ 1 ms saved per message).

    The commit is still atomic and survives a crash of the bot process; only a crash of the database
    server itself could lose the last fraction of a second of marks, whose reminders would then be sent
    again — never lost. Claims keep the default, fully durable commit.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))


def mark_sent(session: Session, claim: Claim, now: datetime) -> bool:
    """Record that the message went out. False if this worker no longer held the claim. Commits."""
    _async_commit(session)
    result = session.execute(
        update(Reminder)
        .where(_guarded(claim))
        .values(sent_at=as_utc(now), attempts=Reminder.attempts + 1, last_error=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def backoff(attempts: int, policy: ReminderPolicy = DEFAULT_POLICY) -> timedelta:
    """Delay before the next try after `attempts` failed ones: base · 2^(attempts−1), capped."""
    delay = policy.backoff_base * (2 ** max(0, min(attempts - 1, 20)))
    return min(delay, policy.backoff_max)


def mark_failed(
    session: Session,
    claim: Claim,
    now: datetime,
    error: str,
    *,
    retry_after: float | None = None,
    permanent: bool = False,
    policy: ReminderPolicy = DEFAULT_POLICY,
) -> datetime | None:
    """Record a failed send and release the claim; the row is retried later, never dropped. Commits.

    `retry_after` (Telegram's 429) is obeyed exactly; other errors back off exponentially; a permanent
    failure (chat not found, bot blocked) is retried after `policy.permanent_retry`. Returns the time of
    the next attempt (None if the claim was lost).
    """
    now = as_utc(now)
    attempts = session.scalar(select(Reminder.attempts).where(_guarded(claim)))
    if attempts is None:
        session.commit()
        return None
    attempts += 1
    if permanent:
        delay = policy.permanent_retry
    elif retry_after is not None:
        delay = timedelta(seconds=max(1.0, float(retry_after)))
    else:
        delay = backoff(attempts, policy)
    when = now + delay
    _async_commit(session)
    session.execute(
        update(Reminder)
        .where(_guarded(claim))
        .values(
            attempts=attempts, last_error=error[:1000], next_attempt_at=when, claimed_by=None, claimed_at=None
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return when


def release(session: Session, claims: Sequence[Claim]) -> int:
    """Give claimed rows back untouched (not counted as an attempt), e.g. when a sweep stops early."""
    n = 0
    for claim in claims:
        result = session.execute(
            update(Reminder)
            .where(_guarded(claim))
            .values(claimed_by=None, claimed_at=None)
            .execution_options(synchronize_session=False)
        )
        n += int(result.rowcount or 0)  # type: ignore[attr-defined]
    session.commit()
    return n
