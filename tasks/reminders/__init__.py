"""Reminders as a durable queue: plan rows, claim the due ones, re-check, mark sent or failed.

Why rows in the database and not timers in memory: a restart, a crash mid-batch or a second bot process
must neither lose nor double a reminder. Every step is a short transaction:

1. `plan_reminders` (idempotent) inserts the rows each open task needs in the next day or so (unique key
   task+kind+due time) and cancels pending rows made obsolete (task done, deadline moved, task reassigned,
   recipient unlinked or reminders switched off, hour changed).
2. `claim_due` takes up to `limit` due rows for one worker: `SELECT … FOR UPDATE SKIP LOCKED` on
   PostgreSQL, a single `UPDATE … WHERE id IN (SELECT … LIMIT n)` on SQLite (one writer at a time). A claim
   is a lease: if the worker dies, the rows become claimable again after `ReminderPolicy.lease`.
3. `recheck` right before sending: the row may have become obsolete since it was planned, or superseded
   by a newer reminder of the same task (after downtime only the latest one is sent).
4. `mark_sent` / `mark_failed` (exponential backoff; nothing is ever dropped, only cancelled as obsolete).

Every function takes `now` explicitly (an aware datetime): tests drive the whole schedule with a fake
clock, and "today" is always computed in the policy's time zone (TROLY_TIMEZONE).

The only window for a duplicate is a crash between Telegram accepting a message and `mark_sent`
committing (Telegram has no idempotency key); the dispatcher marks each message right after sending it.
"""

from __future__ import annotations

from tasks.reminders.planning import PlanResult, cancel_obsolete, plan_reminders
from tasks.reminders.policy import (
    BEFORE_1D,
    BEFORE_3D,
    DEFAULT_POLICY,
    DIGEST,
    DUE_DAY,
    OVERDUE,
    Prefs,
    ReminderPolicy,
)
from tasks.reminders.queue import (
    Claim,
    backoff,
    claim_due,
    mark_failed,
    mark_sent,
    obsolete_reason,
    prefs_for,
    recheck,
    release,
)
from tasks.reminders.schedule import digest_slot_days, is_current_slot, next_sending_time, task_slot_days

__all__ = [
    "BEFORE_1D",
    "BEFORE_3D",
    "DEFAULT_POLICY",
    "DIGEST",
    "DUE_DAY",
    "OVERDUE",
    "Claim",
    "PlanResult",
    "Prefs",
    "ReminderPolicy",
    "backoff",
    "cancel_obsolete",
    "claim_due",
    "digest_slot_days",
    "is_current_slot",
    "mark_failed",
    "mark_sent",
    "next_sending_time",
    "obsolete_reason",
    "plan_reminders",
    "prefs_for",
    "recheck",
    "release",
    "task_slot_days",
]
