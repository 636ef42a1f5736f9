"""Sending due reminders, whatever the transport: plan → claim → re-check → throttle → send → mark.

`ReminderDispatcher.run_once()` is one sweep; the bot runs it from a PTB JobQueue job every 30–60 s with
`send` wrapping `bot.send_message` (raising `RetryLater` for Telegram's 429 and `PermanentFailure` for
"chat not found" / "bot was blocked"). Tests drive it with a fake clock against a fake Telegram server.

Why it is shaped like this:
- Database work runs in worker threads (`asyncio.to_thread`), each step in its own short transaction, so
  the bot's event loop keeps answering users during a morning batch of thousands of reminders.
- Each message is marked sent right after Telegram accepted it: a crash loses at most the one message in
  flight (it may then be sent twice), never a batch. Claims are leases: rows claimed by a process that died
  are claimed again after `policy.lease`, and this process stops sending rows whose lease is about to
  expire (they are released, not sent late by two workers).
- Throttling: at most `rate` messages per second overall (leaky bucket, `aiolimiter`, which ships with
  python-telegram-bot's rate limiter) and at least `per_chat_interval` seconds between two messages to the
  same chat, so Telegram never has a reason to answer 429. If it does anyway, every send pauses for the
  `retry_after` it asked for, and the refused message is retried after that time.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from aiolimiter import AsyncLimiter

from tasks.db import Database
from tasks.digest import digest_screen
from tasks.reachability import mark_unreachable
from tasks.reminders import (
    DEFAULT_POLICY,
    DIGEST,
    Claim,
    PlanResult,
    ReminderPolicy,
    claim_due,
    mark_failed,
    mark_sent,
    plan_reminders,
    recheck,
    release,
)
from tasks.task_card import reminder_screen
from tasks.timeutil import as_utc, utcnow
from tasks.ui import Keyboard, Screen

log = logging.getLogger(__name__)


class RetryLater(Exception):
    """The transport asks to wait `seconds` before sending again (Telegram 429 `retry_after`)."""

    def __init__(self, seconds: float, message: str = "") -> None:
        super().__init__(message or f"retry after {seconds} s")
        self.seconds = float(seconds)


class PermanentFailure(Exception):
    """Sending this message cannot work as it is (e.g. Telegram refused it): retried much later."""


class ChatUnreachable(PermanentFailure):
    """The recipient's chat refuses every message (bot blocked, chat not found): the official is marked
    "không nhận được tin nhắn" and nothing more is pushed to them until they write to the bot again."""


class SendFn(Protocol):
    """The transport: send `html` with `buttons` to `chat_id`, or raise (RetryLater, PermanentFailure…).

    `key` names the reminder row ("reminder:<id>"): a transport that queues messages (the bot's outbox)
    hands each row over once, so a row sent but not yet marked when a process dies is not queued twice."""

    def __call__(
        self, chat_id: int, html: str, buttons: Keyboard, *, key: str | None = None
    ) -> Awaitable[None]: ...


Clock = Callable[[], datetime]


@dataclass
class SweepResult:
    """What one sweep did (logged by the bot; asserted by tests)."""

    planned: PlanResult | None = None
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0  # cancelled as obsolete, postponed (quiet time, weekend) or claim lost
    released: int = 0
    busy: bool = False  # another sweep of this dispatcher was still running

    def add(self, other: SweepResult) -> None:
        self.claimed += other.claimed
        self.sent += other.sent
        self.failed += other.failed
        self.skipped += other.skipped
        self.released += other.released


@dataclass
class _Outgoing:
    chat_id: int
    screen: Screen


class Throttle:
    """≤ `rate` messages/s overall, ≥ `per_chat_interval` s between messages to one chat, and a global
    pause after a 429. Lives as long as the dispatcher, so limits hold across sweeps."""

    def __init__(self, rate: float = 25.0, per_chat_interval: float = 1.0) -> None:
        self.rate = rate
        self.per_chat_interval = per_chat_interval
        self._limiter: AsyncLimiter | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last: dict[int, float] = {}
        self.paused_until = 0.0

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    def _global(self) -> AsyncLimiter:
        loop = asyncio.get_running_loop()
        if self._limiter is None or self._loop is not loop:
            self._limiter, self._loop = AsyncLimiter(self.rate, 1.0), loop
            self._last.clear()
            self.paused_until = 0.0
        return self._limiter

    async def wait_chat(self, key: int) -> None:
        """Sleep until `key`'s chat may receive another message."""
        self._global()
        delay = self._last.get(key, float("-inf")) + self.per_chat_interval - self._now()
        if delay > 0:
            await asyncio.sleep(delay)

    async def wait_global(self) -> None:
        """Sleep through a 429 pause, then take a slot of the overall rate."""
        limiter = self._global()
        while (delay := self.paused_until - self._now()) > 0:
            await asyncio.sleep(delay)
        await limiter.acquire()

    def sent(self, key: int) -> None:
        self._last[key] = self._now()
        if len(self._last) > 10_000:  # forget chats that are long past their interval
            horizon = self._now() - self.per_chat_interval
            self._last = {k: t for k, t in self._last.items() if t > horizon}

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, self._now() + seconds)

    def pause_left(self) -> float:
        return max(0.0, self.paused_until - self._now())


def default_worker_id() -> str:
    """host:pid — readable in `reminders.claimed_by` when investigating."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class ReminderDispatcher:
    """One sweep at a time: plan (every `plan_interval`, and whenever the local date changes), then claim
    batches of `batch_size` due rows and send them, for at most `max_sweep_seconds` of wall time."""

    db: Database
    send: SendFn
    policy: ReminderPolicy = DEFAULT_POLICY
    worker_id: str = field(default_factory=default_worker_id)
    clock: Clock = utcnow
    batch_size: int = 200
    concurrency: int = 8
    rate: float = 25.0
    per_chat_interval: float = 1.0
    plan_interval: timedelta = timedelta(minutes=10)
    max_sweep_seconds: float = 50.0
    max_pause_in_sweep: float = 30.0  # a longer 429 pause ends the sweep; rows wait in the database

    def __post_init__(self) -> None:
        self.throttle = Throttle(self.rate, self.per_chat_interval)
        self._last_plan: datetime | None = None
        self._lock: asyncio.Lock | None = None

    # -- database steps (run in worker threads) ------------------------------------------------------------

    def _plan(self, now: datetime) -> PlanResult:
        with self.db.session() as session:
            return plan_reminders(session, now, self.policy)

    def _claim(self, now: datetime) -> list[Claim]:
        with self.db.session() as session:
            return claim_due(session, now, self.worker_id, self.batch_size, self.policy)

    def _prepare(self, claim: Claim, now: datetime) -> _Outgoing | None:
        with self.db.session() as session:
            row = recheck(session, claim, now, self.policy)
            if row is None:
                return None
            chat_id = row.official.telegram_user_id
            assert chat_id is not None  # recheck cancels rows of unlinked officials
            if row.kind == DIGEST:
                screen = digest_screen(session, row.official, now, self.policy.tz)
            else:
                assert row.task is not None
                screen = reminder_screen(row.task, self.policy.local_date(now))
            return _Outgoing(chat_id, screen)

    def _mark_sent(self, claim: Claim) -> bool:
        with self.db.session() as session:
            return mark_sent(session, claim, self.clock())

    def _mark_failed(self, claim: Claim, error: str, **kwargs) -> datetime | None:
        with self.db.session() as session:
            return mark_failed(session, claim, self.clock(), error, policy=self.policy, **kwargs)

    def _mark_unreachable(self, claim: Claim, error: str) -> None:
        with self.db.session() as session:
            if mark_unreachable(session, claim.official_id, error, self.clock()):
                log.warning(
                    "cán bộ id=%s không nhận được tin nhắn: ngừng nhắc việc (%s)", claim.official_id, error
                )

    def _release(self, claims: Sequence[Claim]) -> int:
        with self.db.session() as session:
            return release(session, claims)

    # -- the sweep ------------------------------------------------------------------------------------------

    def plan_due(self, now: datetime) -> bool:
        if self._last_plan is None or now - self._last_plan >= self.plan_interval:
            return True
        return self.policy.local_date(now) != self.policy.local_date(self._last_plan)

    def request_plan(self) -> None:
        """Plan again at the next sweep (e.g. right after an import of tasks)."""
        self._last_plan = None

    async def run_once(self) -> SweepResult:
        """One sweep. Never raises for a failed send (the row is retried later); database errors do
        raise, and leave every claimed-but-unsent row to be claimed again after the lease."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        if self._lock.locked():
            return SweepResult(busy=True)
        async with self._lock:
            return await self._sweep()

    async def _sweep(self) -> SweepResult:
        result = SweepResult()
        started = time.monotonic()
        now = as_utc(self.clock())
        if self.plan_due(now):
            result.planned = await asyncio.to_thread(self._plan, now)
            self._last_plan = now
        while time.monotonic() - started < self.max_sweep_seconds:
            if self.throttle.pause_left() > self.max_pause_in_sweep:
                break
            claims = await asyncio.to_thread(self._claim, as_utc(self.clock()))
            if not claims:
                break
            result.add(await self._send_batch(claims, started))
            if len(claims) < self.batch_size:
                break
        if result.claimed or (result.planned and (result.planned.created or result.planned.cancelled)):
            log.info(
                "nhắc việc: %s claimed=%d sent=%d failed=%d skipped=%d released=%d",
                self.worker_id, result.claimed, result.sent, result.failed, result.skipped, result.released,
            )  # fmt: skip
        return result

    async def _send_batch(self, claims: list[Claim], started: float) -> SweepResult:
        result = SweepResult(claimed=len(claims))
        claimed_at = as_utc(self.clock())
        by_chat: dict[int, list[Claim]] = {}
        for claim in claims:
            by_chat.setdefault(claim.official_id, []).append(claim)
        unstarted = set(claims)
        semaphore = asyncio.Semaphore(self.concurrency)
        give_back: list[Claim] = []

        def must_stop() -> bool:
            lease_left = claimed_at + self.policy.lease * 0.8 - as_utc(self.clock())
            return (
                lease_left <= timedelta(0)
                or time.monotonic() - started > self.max_sweep_seconds + 5
                or self.throttle.pause_left() > self.max_pause_in_sweep
            )

        async def one_chat(key: int, mine: list[Claim]) -> None:
            for claim in mine:
                await self.throttle.wait_chat(key)
                async with semaphore:
                    # Checked before waiting (a long 429 pause is never slept through inside a sweep) and
                    # after (the lease may have run out meanwhile).
                    stop = must_stop()
                    if not stop:
                        await self.throttle.wait_global()
                        stop = must_stop()
                    unstarted.discard(claim)
                    if stop:
                        give_back.append(claim)
                        continue
                    outcome = await self._deliver(claim)
                if outcome == "sent":
                    self.throttle.sent(key)
                    result.sent += 1
                elif outcome == "failed":
                    result.failed += 1
                else:
                    result.skipped += 1

        try:
            await asyncio.gather(*(one_chat(key, mine) for key, mine in by_chat.items()))
        except asyncio.CancelledError:
            # Shutting down: hand back what was not attempted so another worker need not wait for the lease.
            self._release([*give_back, *unstarted])
            raise
        if give_back:
            result.released += await asyncio.to_thread(self._release, give_back)
        return result

    async def _deliver(self, claim: Claim) -> str:
        """Re-check, send and mark one claimed row: "sent", "failed" or "skipped"."""
        outgoing = await asyncio.to_thread(self._prepare, claim, as_utc(self.clock()))
        if outgoing is None:
            return "skipped"
        try:
            await self.send(
                outgoing.chat_id, outgoing.screen.html, outgoing.screen.buttons, key=f"reminder:{claim.id}"
            )
        except RetryLater as exc:
            self.throttle.pause(exc.seconds)
            await asyncio.to_thread(self._mark_failed, claim, f"RetryLater: {exc}", retry_after=exc.seconds)
            return "failed"
        except PermanentFailure as exc:
            log.warning("nhắc việc %s: không gửi được tới chat %s: %s", claim.id, outgoing.chat_id, exc)
            await asyncio.to_thread(self._mark_failed, claim, f"PermanentFailure: {exc}", permanent=True)
            if isinstance(exc, ChatUnreachable):
                await asyncio.to_thread(self._mark_unreachable, claim, str(exc))
            return "failed"
        except Exception as exc:  # network errors, timeouts, 5xx: retried with backoff
            log.warning("nhắc việc %s: lỗi gửi tạm thời: %r", claim.id, exc)
            await asyncio.to_thread(self._mark_failed, claim, f"{exc.__class__.__name__}: {exc}")
            return "failed"
        if not await asyncio.to_thread(self._mark_sent, claim):
            log.error("nhắc việc %s: đã gửi nhưng mất quyền giữ (lease hết hạn)", claim.id)
        return "sent"


__all__ = [
    "ChatUnreachable",
    "PermanentFailure",
    "ReminderDispatcher",
    "RetryLater",
    "SendFn",
    "SweepResult",
    "Throttle",
]
