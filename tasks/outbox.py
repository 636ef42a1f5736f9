"""The outbox: every message the bot sends is a row here first, and any bot process may send it.

Why a table and not a call to Telegram from the handler:
- nothing is dropped: a 429 storm, a 5xx or a timeout leaves the row waiting with a retry time (Telegram's
  `retry_after`, else exponential backoff) until its deadline (15 minutes for a reply, 24 hours for a
  notice); past the deadline the row is marked failed with its last error, counted by `stats` (shown by
  `troly doctor`) and logged — never silently lost;
- Telegram's limits hold for the whole bot, not per process: the budget lives in `outbox_budget`, one row
  per scope, and a send is reserved in one short transaction that locks the scopes it needs
  (PostgreSQL `SELECT … FOR UPDATE` in scope order, SQLite `BEGIN IMMEDIATE`):
  "all" ≤ `rate` messages/s spaced evenly (default 25 < Telegram's 30, so jitter between reservation and
  arrival cannot push the bot over), "chat:<id>" ≤ `chat_burst` messages in any `chat_burst` seconds
  (1/s sustained, short bursts allowed as Telegram does), "group:<id>" ≤ `group_per_minute` per minute;
  a 429 pauses "all" for every process;
- a crash doubles at most K messages per process: a row is claimed (a lease), sent, then marked in its
  own transaction; a process works on at most K rows at a time (`in_flight`), so at most K rows can be
  "accepted by Telegram but not yet marked" when it dies. Their lease expires and another process sends
  them again. A long message records each part it got through (`parts_sent`), so a retry never repeats an
  accepted part.
- one chat's messages leave in order: a row is claimable only when no older row of its chat is waiting.

Times of rows (`now`) come from the caller's clock (aware UTC); the budget uses the database's clock on
PostgreSQL (several hosts agree on it) and the local clock on SQLite (one host).

Shapes: `payload` is the message as JSON (the bot's `Outgoing` fields); chat ids are Telegram's (groups are
negative). Every function takes a `Session` and commits its own short transaction.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from tasks.models import OutboxBudget, OutboxMessage
from tasks.outbox_settings import NOTICE, REMINDER, REPLY, OutboxSettings
from tasks.timeutil import as_utc
from tasks.writes import begin_write

KINDS = (REPLY, NOTICE, REMINDER)
PRIORITY = {REPLY: 0, NOTICE: 1, REMINDER: 2}  # replies first: a person is waiting for them

# error_kind values (short, English: for operators and tests, never shown to users)
RATE_LIMITED = "rate_limited"  # 429: retried after Telegram's retry_after
TRANSIENT = "transient"  # 5xx, timeout, connection reset: retried with backoff
UNREACHABLE = "unreachable"  # 403 bot blocked, 400 chat not found: final
REFUSED = "refused"  # any other 400 (the message itself is wrong): final
FINAL_KINDS = frozenset({UNREACHABLE, REFUSED})

PENDING, SENT, FAILED = "pending", "sent", "failed"
ALL = "all"


DEFAULT_SETTINGS = OutboxSettings()


@dataclass(frozen=True)
class State:
    """Where a row stands: `status` pending / sent / failed; for a failed or retried row the last error."""

    id: int
    status: str
    message_id: int | None = None
    error_kind: str | None = None
    error: str | None = None
    retry_after: float | None = None
    attempts: int = 0

    @property
    def final(self) -> bool:
        return self.status != PENDING


@dataclass(frozen=True)
class Claimed:
    """A row this process holds until `claimed_at + lease`; `token` proves it when marking."""

    id: int
    token: str
    kind: str
    chat_id: int
    payload: Any
    attempts: int
    parts_sent: int
    deadline_at: datetime
    claimed_at: datetime


def _state(row: Any) -> State:
    status = SENT if row.sent_at is not None else FAILED if row.failed_at is not None else PENDING
    return State(
        row.id, status, row.message_id, row.error_kind, row.last_error, row.retry_after, row.attempts
    )


def _insert(session: Session):
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def pending_condition():
    return and_(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None))


# --- writing -------------------------------------------------------------------------------------------------


def enqueue(
    session: Session,
    kind: str,
    chat_id: int,
    payload: Any,
    *,
    now: datetime,
    settings: OutboxSettings = DEFAULT_SETTINGS,
    key: str | None = None,
) -> State:
    """Write one message to send; its `State` (a new row is pending). Commits.

    With a `key` the call is idempotent: the row already written under it is returned as it stands (sent:
    nothing more to do; pending: it will go out) — except a failed one, which is armed again for one more
    round (the caller retries). Raises ValueError for an unknown `kind`.
    """
    if kind not in KINDS:
        raise ValueError(f"Loại tin không hợp lệ: {kind!r}")
    now = as_utc(now)
    values = {
        "key": key, "kind": kind, "priority": PRIORITY[kind], "chat_id": int(chat_id), "payload": payload,
        "created_at": now, "next_attempt_at": now, "deadline_at": now + settings.deadline(kind),
        "attempts": 0, "parts_sent": 0,
    }  # fmt: skip
    if key is None:
        row_id = session.execute(_insert(session)(OutboxMessage).values(**values).returning(OutboxMessage.id))
        new_id = row_id.scalar_one()
        session.commit()
        return State(new_id, PENDING)
    session.execute(
        _insert(session)(OutboxMessage).values(**values).on_conflict_do_nothing(index_elements=["key"])
    )
    row = session.execute(select(OutboxMessage).where(OutboxMessage.key == key)).scalar_one()
    if row.failed_at is not None:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id, OutboxMessage.failed_at.is_not(None))
            .values(
                failed_at=None,
                payload=payload,
                chat_id=int(chat_id),
                next_attempt_at=now,
                deadline_at=now + settings.deadline(kind),
                claimed_by=None,
                claimed_at=None,
            )
            .execution_options(synchronize_session=False)
        )
        session.commit()
        return State(row.id, PENDING, attempts=row.attempts)
    state = _state(row)
    session.commit()
    return state


def claim(
    session: Session, worker_id: str, now: datetime, settings: OutboxSettings = DEFAULT_SETTINGS
) -> Claimed | None:
    """Claim the most urgent due row (replies first) whose chat has no older row waiting; None if none.

    Two processes never claim the same row: PostgreSQL `FOR UPDATE SKIP LOCKED`, SQLite one writer at a
    time running a single `UPDATE … WHERE id = (SELECT … LIMIT 1) RETURNING`. A row whose lease has
    expired (its process died) is claimable again. Commits.
    """
    now = as_utc(now)
    session.commit()  # a fresh transaction: on SQLite the claiming UPDATE must be its first statement
    token = f"{worker_id[:80]}:{secrets.token_hex(6)}"
    row = OutboxMessage
    older = aliased(OutboxMessage)
    older_waiting = exists().where(
        older.chat_id == row.chat_id, older.id < row.id, older.sent_at.is_(None), older.failed_at.is_(None)
    )
    free = or_(row.claimed_by.is_(None), row.claimed_at < now - settings.lease)
    candidate = (
        select(row.id)
        .where(pending_condition(), row.next_attempt_at <= now, free, ~older_waiting)
        .order_by(row.priority, row.next_attempt_at, row.id)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        found = session.scalar(candidate.with_for_update(of=row, skip_locked=True))
        if found is None:
            session.commit()
            return None
        target: Any = row.id == found
    else:
        target = row.id == candidate.scalar_subquery()
    result = session.execute(
        update(row)
        .where(target)
        .values(claimed_by=token, claimed_at=now)
        .returning(row.id, row.kind, row.chat_id, row.payload, row.attempts, row.parts_sent, row.deadline_at)
        .execution_options(synchronize_session=False)
    ).first()
    session.commit()
    if result is None:
        return None
    return Claimed(
        result.id, token, result.kind, result.chat_id, result.payload, result.attempts, result.parts_sent,
        as_utc(result.deadline_at), now,
    )  # fmt: skip


def _guarded(claimed: Claimed):
    return and_(
        OutboxMessage.id == claimed.id, OutboxMessage.claimed_by == claimed.token, pending_condition()
    )


def _async_commit(session: Session) -> None:
    """PostgreSQL: do not wait for the WAL flush of a mark (as `tasks.reminders.queue` does): a crash of the
    database server itself could only make a message be sent again, never lost."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))


def mark_part(session: Session, claimed: Claimed, parts_sent: int) -> bool:
    """Record that the first `parts_sent` parts of a long message were accepted. Commits."""
    _async_commit(session)
    result = session.execute(
        update(OutboxMessage)
        .where(_guarded(claimed))
        .values(parts_sent=parts_sent)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def mark_sent(session: Session, claimed: Claimed, now: datetime, message_id: int | None) -> bool:
    """Record that the message went out (`message_id`: the last part shown; `claimed_by` keeps who sent it).
    False if the lease was lost
    (another process took the row over; it may then be sent twice — the bound of the module docstring)."""
    _async_commit(session)
    result = session.execute(
        update(OutboxMessage)
        .where(_guarded(claimed))
        .values(sent_at=as_utc(now), message_id=message_id, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def backoff(attempts: int, settings: OutboxSettings = DEFAULT_SETTINGS) -> float:
    """Seconds before the next try after `attempts` failed ones: base · 2^(attempts−1), capped."""
    return min(settings.backoff_max, settings.backoff_base * 2 ** max(0, min(attempts - 1, 20)))


def mark_failed(
    session: Session,
    claimed: Claimed,
    now: datetime,
    error_kind: str,
    error: str,
    *,
    retry_after: float | None = None,
    settings: OutboxSettings = DEFAULT_SETTINGS,
) -> State | None:
    """Record a failed try and release the row. Commits; the row's new `State` (None if the lease was lost).

    `UNREACHABLE` and `REFUSED` are final at once; otherwise the row is retried after `retry_after` (429)
    or the backoff — unless that would be past its deadline, and then it has failed for good.
    """
    now = as_utc(now)
    attempts = claimed.attempts + 1
    delay = float(retry_after) if retry_after is not None else backoff(attempts, settings)
    when = now + timedelta(seconds=max(0.0, delay))
    final = error_kind in FINAL_KINDS or when > claimed.deadline_at
    values: dict[str, Any] = {
        "attempts": attempts, "error_kind": error_kind, "last_error": error[:1000], "retry_after": retry_after,
        "claimed_by": None, "claimed_at": None,
    }  # fmt: skip
    if final:
        values["failed_at"] = now
    else:
        values["next_attempt_at"] = when
    _async_commit(session)
    result = session.execute(
        update(OutboxMessage)
        .where(_guarded(claimed))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if not result.rowcount:  # type: ignore[attr-defined]
        return None
    return State(
        claimed.id, FAILED if final else PENDING, None, error_kind, error[:1000], retry_after, attempts
    )


def release(session: Session, claimed: Claimed, until: datetime) -> bool:
    """Give a claimed row back untried (the budget of its chat is spent until `until`). Commits."""
    result = session.execute(
        update(OutboxMessage)
        .where(_guarded(claimed))
        .values(claimed_by=None, claimed_at=None, next_attempt_at=as_utc(until))
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def states(session: Session, ids: list[int]) -> dict[int, State]:
    """The current `State` of these rows (missing ids absent)."""
    rows = session.execute(select(OutboxMessage).where(OutboxMessage.id.in_(ids))).scalars()
    found = {row.id: _state(row) for row in rows}
    session.commit()
    return found


# --- the shared budget -------------------------------------------------------------------------------------


def scopes_for(chat_id: int, settings: OutboxSettings = DEFAULT_SETTINGS) -> list[tuple[str, int, float]]:
    """The budget scopes a message to `chat_id` spends: (scope, at most n sends, in any window of w s)."""
    scopes = [
        (ALL, 1, 1.0 / settings.rate),
        (f"chat:{chat_id}", settings.chat_burst, float(settings.chat_burst)),
    ]
    if chat_id < 0:  # groups, supergroups and channels have negative ids
        scopes.append((f"group:{chat_id}", settings.group_per_minute, 60.0))
    return sorted(scopes)


def _clock(session: Session) -> float:
    """Epoch seconds: PostgreSQL's clock (shared by every host), SQLite's host clock."""
    if session.get_bind().dialect.name == "postgresql":
        return float(session.scalar(text("SELECT extract(epoch FROM clock_timestamp())")))
    return time.time()


def _lock_scopes(session: Session, names: list[str]) -> dict[str, OutboxBudget]:
    session.commit()  # a fresh transaction, so that on SQLite `BEGIN IMMEDIATE` takes the write lock now
    begin_write(session)
    insert = _insert(session)(OutboxBudget)
    for name in names:  # sorted: two processes lock the rows in the same order, never deadlock
        session.execute(
            insert.values(scope=name, stamps=[], paused_until=0.0, updated_at=0.0).on_conflict_do_nothing(
                index_elements=["scope"]
            )
        )
    query = select(OutboxBudget).where(OutboxBudget.scope.in_(names)).order_by(OutboxBudget.scope)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return {row.scope: row for row in session.scalars(query.execution_options(populate_existing=True))}


def reserve(session: Session, chat_id: int, settings: OutboxSettings = DEFAULT_SETTINGS) -> float:
    """Take one send from every scope of `chat_id` if all allow it now: 0.0. Otherwise take nothing and
    return the seconds to wait before asking again (> 0). Commits."""
    scopes = scopes_for(chat_id, settings)
    rows = _lock_scopes(session, [name for name, _n, _w in scopes])
    now = _clock(session)
    wait = rows[ALL].paused_until - now
    for name, n, w in scopes:
        recent = [s for s in rows[name].stamps or [] if s > now - w]
        if len(recent) >= n:
            wait = max(wait, recent[-n] + w - now)
    if wait > 0:
        session.rollback()
        return max(wait, 0.001)
    for name, n, w in scopes:
        row = rows[name]
        row.stamps = [*(s for s in row.stamps or [] if s > now - w), now][-n:]
        row.updated_at = now
    session.commit()
    return 0.0


def settle(session: Session, chat_id: int, settings: OutboxSettings = DEFAULT_SETTINGS) -> None:
    """Telegram has accepted a send to `chat_id`: move its chat (and group) stamp from the reservation to now.

    Why: Telegram counts a chat's messages when they arrive, and an HTTP request arrives anywhere between
    its reservation and its answer. Counting the window from the answer means the next send to this chat
    starts — so arrives — at least `w / n` s after the previous one arrived, however slow that request was.
    One chat's rows leave one at a time (see `claim`), so its latest stamp is the send just answered.
    The scope "all" keeps its reservation stamp: its margin (25 < 30 a second) covers the jitter. Commits.
    """
    names = [name for name, _n, _w in scopes_for(chat_id, settings) if name != ALL]
    rows = _lock_scopes(session, names)
    now = _clock(session)
    for name in names:
        row = rows[name]
        stamps = list(row.stamps or [])
        if stamps and stamps[-1] < now:
            row.stamps = [*stamps[:-1], now]
            row.updated_at = now
    session.commit()


def pause_all(session: Session, seconds: float) -> None:
    """Telegram answered 429: no process sends anything for `seconds`. Commits."""
    rows = _lock_scopes(session, [ALL])
    now = _clock(session)
    rows[ALL].paused_until = max(rows[ALL].paused_until, now + max(0.0, seconds))
    session.commit()


# --- upkeep and what admins see ----------------------------------------------------------------------------


def prune(session: Session, now: datetime, keep: timedelta = timedelta(days=30)) -> int:
    """Delete sent or failed rows older than `keep` and budget rows idle for two minutes; rows deleted."""
    now = as_utc(now)
    done = or_(OutboxMessage.sent_at.is_not(None), OutboxMessage.failed_at.is_not(None))
    result = session.execute(delete(OutboxMessage).where(done, OutboxMessage.created_at < now - keep))
    session.execute(
        delete(OutboxBudget).where(OutboxBudget.scope != ALL, OutboxBudget.updated_at < _clock(session) - 120)
    )
    session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Failure:
    """A message that failed for good: when, to whom, of which kind, why."""

    failed_at: datetime
    chat_id: int
    kind: str
    error_kind: str | None
    error: str | None
    attempts: int


@dataclass(frozen=True)
class OutboxStats:
    """What `troly doctor` shows: rows waiting, the oldest one's age, and failures since `since`."""

    pending: int
    oldest_pending: timedelta | None
    sent: int
    failed: int
    failures: list[Failure]


def stats(session: Session, now: datetime, since: datetime, limit: int = 5) -> OutboxStats:
    """The outbox at a glance. Reminder rows that failed a try are not failures here: the reminder queue
    retries them (and `troly officials list` shows the officials who cannot be reached)."""
    now = as_utc(now)
    pending, oldest = session.execute(
        select(func.count(), func.min(OutboxMessage.created_at)).where(pending_condition())
    ).one()
    sent = session.scalar(
        select(func.count()).where(OutboxMessage.sent_at.is_not(None), OutboxMessage.sent_at >= as_utc(since))
    )
    given_up = and_(
        OutboxMessage.failed_at.is_not(None),
        OutboxMessage.failed_at >= as_utc(since),
        OutboxMessage.kind != REMINDER,
    )
    failed = session.scalar(select(func.count()).where(given_up))
    rows = session.scalars(
        select(OutboxMessage).where(given_up).order_by(OutboxMessage.failed_at.desc()).limit(limit)
    ).all()
    failures = [
        Failure(as_utc(r.failed_at), r.chat_id, r.kind, r.error_kind, r.last_error, r.attempts) for r in rows
    ]
    session.commit()
    return OutboxStats(
        int(pending or 0), now - as_utc(oldest) if oldest is not None else None, int(sent or 0),
        int(failed or 0), failures,
    )  # fmt: skip


__all__ = [
    "ALL",
    "FAILED",
    "NOTICE",
    "PENDING",
    "RATE_LIMITED",
    "REFUSED",
    "REMINDER",
    "REPLY",
    "SENT",
    "TRANSIENT",
    "UNREACHABLE",
    "Claimed",
    "Failure",
    "OutboxSettings",
    "OutboxStats",
    "State",
    "claim",
    "enqueue",
    "mark_failed",
    "mark_part",
    "mark_sent",
    "pause_all",
    "prune",
    "release",
    "reserve",
    "scopes_for",
    "settle",
    "states",
    "stats",
]
