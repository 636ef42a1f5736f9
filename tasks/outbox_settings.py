"""The outbox's limits as plain values (parsed by `troly.config` from TROLY_OUTBOX_*, docs/cli.md §1).

Kept apart from `tasks.outbox` so that reading the configuration does not import the database layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

REPLY, NOTICE, REMINDER = "reply", "notice", "reminder"


@dataclass(frozen=True)
class OutboxSettings:
    """The outbox's limits (docs/cli.md: TROLY_OUTBOX_*)."""

    rate: float = 25.0  # messages/s for the whole bot (Telegram allows ~30)
    chat_burst: int = 3  # ≤ this many messages in any window of this many seconds, per chat
    group_per_minute: int = 20  # per group chat, any 60 s window
    in_flight: int = 4  # K: rows one process sends at once (a crash may double at most these)
    lease: timedelta = timedelta(minutes=2)  # a claimed row is free again after this (its sender died)
    reply_deadline: timedelta = timedelta(minutes=15)
    notice_deadline: timedelta = timedelta(hours=24)
    poll: float = 1.0  # seconds between two looks at the table for rows written by other processes
    reply_wait: float = 10.0  # a handler waits this long for its reply to go out (then it stays queued)
    backoff_base: float = 1.0
    backoff_max: float = 60.0

    def deadline(self, kind: str) -> timedelta:
        """How long a row of `kind` is retried. A reminder is tried once per hand-over: the reminder queue
        (`tasks.reminders`) retries it itself with its own backoff, and cancels it once obsolete."""
        if kind == REPLY:
            return self.reply_deadline
        if kind == NOTICE:
            return self.notice_deadline
        return timedelta(0)
