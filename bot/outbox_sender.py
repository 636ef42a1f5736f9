"""The outbox's sender: the one place the bot's messages meet Telegram (the outbox itself: `tasks.outbox`).

- `deliver(out)` (what `bot.sending.deliver` calls once the sender is attached) writes the message to the
  outbox, wakes this process's workers at once (an `asyncio.Event`: a reply is not slowed down by polling)
  and waits up to `reply_wait` seconds for the outcome, so a handler still gets the id of the message it
  sent. Rows written by other processes are found by polling every `poll` seconds.
- K workers (`in_flight`) each claim one row, take a send from the shared budget for each part, send
  through PTB once (`NO_RETRY`: PTB's limiter never sleeps through a 429 nor resends on its own), count
  the chat's window from Telegram's answer (`outbox.settle`) and mark the row. So at most K rows per process are between "accepted by Telegram" and "marked sent": the most a
  `kill -9` can make this process send twice.
- Telegram's answers: 429 → every process pauses for `retry_after` and the row is retried after it; 5xx,
  timeouts and connection errors → retried with backoff; 403 / 400 "chat not found" → failed at once and
  the official of that chat is marked "không nhận được tin nhắn"; any other 400 → failed at once (and
  `deliver` raises `BadRequest`, as a direct send would). A row past its deadline is failed, logged, and
  counted by `troly doctor`.
- Reminders: `reminder_send` is the reminder dispatcher's transport. It hands each reminder row over once
  (`key="reminder:<id>"`) for a single try and reports the outcome as the dispatcher's exceptions, so the
  reminder queue keeps its own retries, backoff and blocked-chat handling.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import ExtBot

from bot import sending
from bot.db_runner import SessionRunner
from bot.reminders import NO_RETRY, _retry_seconds, is_chat_gone
from bot.sending import Outgoing
from tasks import outbox
from tasks.outbox import Claimed, OutboxSettings, State
from tasks.reminders.dispatcher import (
    ChatUnreachable,
    PermanentFailure,
    RetryLater,
    SendFn,
    default_worker_id,
)
from tasks.ui import Keyboard

log = logging.getLogger(__name__)

OUTBOX_KEY = "troly_outbox"
MAX_HOLD = 3.0  # a worker sleeps at most this long for the budget; beyond it the row is put back
PRUNE_EVERY = 600.0
REMINDER_WAIT = 30.0  # the dispatcher waits this long for a reminder's one try


class TransientFailure(Exception):
    """A try failed for a passing reason (5xx, timeout, connection): the reminder queue backs off."""


class _Deferred(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"budget spent for {seconds:.1f} s")
        self.seconds = seconds


class OutboxSender:
    """The outbox of one bot process: `deliver`, `push`, and the K workers (`start` / `stop`)."""

    def __init__(
        self, bot: Bot, store: SessionRunner, settings: OutboxSettings, *, worker_id: str | None = None
    ) -> None:
        self.bot = bot
        self.store = store
        self.settings = settings
        self.worker_id = worker_id or default_worker_id()
        self.extra: dict[str, Any] = {"rate_limit_args": NO_RETRY} if isinstance(bot, ExtBot) else {}
        self._wake: asyncio.Event | None = None
        self._tasks: list[asyncio.Task] = []
        self._waiters: dict[int, list[asyncio.Future]] = {}
        self._stopping = False
        self.in_flight = 0  # rows between claim and mark right now (≤ K; asserted by tests)
        self.max_in_flight = 0

    # -- life ------------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the K workers on the running loop and route `bot.sending.deliver` through this outbox."""
        self._wake = asyncio.Event()
        self._stopping = False
        self._tasks = [
            asyncio.create_task(self._worker(i), name=f"outbox-{i}") for i in range(self.settings.in_flight)
        ]
        sending.attach_outbox(self.bot, self)
        log.info(
            "Hộp thư đi: %d luồng gửi, tối đa %g tin/giây cho cả bot.", len(self._tasks), self.settings.rate
        )

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop taking rows; let the sends under way finish (≤ `timeout` s). Rows not sent stay queued."""
        sending.detach_outbox(self.bot)
        self._stopping = True
        if self._wake is not None:
            self._wake.set()
        if self._tasks:
            _done, pending = await asyncio.wait(self._tasks, timeout=timeout)
            for task in pending:
                task.cancel()
            with contextlib.suppress(Exception):
                await asyncio.gather(*pending, return_exceptions=True)
        self._tasks = []

    def wake(self) -> None:
        if self._wake is not None:
            self._wake.set()

    # -- the front: replies, notices, reminders ------------------------------------------------------------

    async def submit(self, out: Outgoing, kind: str, key: str | None = None) -> State:
        """Write `out` to the outbox and wake the workers; the row's `State`."""
        state = await self.store.run(
            outbox.enqueue, kind, out.chat_id, out.to_payload(), now=self.store.now(), settings=self.settings,
            key=key,
        )  # fmt: skip
        self.wake()
        return state

    async def deliver(self, out: Outgoing) -> int | None:
        """`bot.sending.deliver` through the outbox (see the module docstring)."""
        try:
            state = await self.submit(out, outbox.NOTICE if out.notice else outbox.REPLY)
        except Exception as exc:  # the database is unreachable: sending at once beats not answering
            log.warning("Không ghi được vào hộp thư đi (%r): gửi thẳng tới Telegram.", exc)
            return await sending.deliver_now(self.bot, out)
        result = await self.wait(state.id, self.settings.reply_wait)
        if result is None:
            log.info(
                "Tin %s tới chat %s chưa gửi được: còn trong hộp thư đi, sẽ gửi lại.", state.id, out.chat_id
            )
            return None
        final, error = result
        if final.status == outbox.SENT:
            return final.message_id
        if final.error_kind == outbox.REFUSED:
            raise error if isinstance(error, BadRequest) else BadRequest(final.error or "Bad Request")
        return None

    async def push(self, out: Outgoing, key: str, timeout: float = REMINDER_WAIT) -> State | None:
        """Hand a reminder over once (`key`) and wait for its one try; None if it is still waiting."""
        state = await self.submit(out, outbox.REMINDER, key=key)
        if state.final:
            return state
        result = await self.wait(state.id, timeout)
        return result[0] if result is not None else None

    async def wait(self, row_id: int, timeout: float) -> tuple[State, BaseException | None] | None:
        """The row's final state (and, when this process sent it, the exception of a refusal), or None
        after `timeout` s. Resolved at once by this process's workers; a row another process took is
        looked up every second."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()
        self._waiters.setdefault(row_id, []).append(future)
        deadline = loop.time() + timeout
        try:
            while (remaining := deadline - loop.time()) > 0:
                await asyncio.wait({future}, timeout=min(remaining, 1.0))
                if future.done():
                    return future.result()
                found = (await self.store.run(outbox.states, [row_id])).get(row_id)
                if found is not None and found.final:
                    return found, None
            return None
        finally:
            waiting = self._waiters.get(row_id, [])
            if future in waiting:
                waiting.remove(future)
            if not waiting:
                self._waiters.pop(row_id, None)

    def _resolve(self, row_id: int, state: State, error: BaseException | None) -> None:
        for future in self._waiters.pop(row_id, []):
            if not future.done():
                future.set_result((state, error))

    # -- the workers ---------------------------------------------------------------------------------------------

    async def _worker(self, index: int) -> None:
        assert self._wake is not None
        pruned = asyncio.get_running_loop().time()
        while not self._stopping:
            self._wake.clear()
            try:
                claimed = await self.store.run(outbox.claim, self.worker_id, self.store.now(), self.settings)
            except Exception as exc:
                log.warning("Hộp thư đi: không đọc được hàng đợi (%r), thử lại sau.", exc)
                claimed = None
            if claimed is None:
                if index == 0 and asyncio.get_running_loop().time() - pruned > PRUNE_EVERY:
                    pruned = asyncio.get_running_loop().time()
                    with contextlib.suppress(Exception):
                        await self.store.run(outbox.prune, self.store.now())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.settings.poll)
                continue
            self._wake.set()  # there may be more: let the other idle workers look too
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                await self._handle(claimed)
            except Exception:
                log.exception(
                    "Hộp thư đi: lỗi khi gửi tin %s (tin được gửi lại khi hết hạn giữ).", claimed.id
                )
            finally:
                self.in_flight -= 1

    async def _take_budget(self, claimed: Claimed) -> None:
        while True:
            wait = await self.store.run(outbox.reserve, claimed.chat_id, self.settings)
            if wait <= 0:
                return
            if wait > MAX_HOLD:
                raise _Deferred(wait)
            await asyncio.sleep(wait)  # the budget's own answer: when the next send is allowed

    async def _settle(self, claimed: Claimed) -> None:
        """The chat's window counts from Telegram's answer, not the reservation (see `outbox.settle`)."""
        try:
            await self.store.run(outbox.settle, claimed.chat_id, self.settings)
        except Exception as exc:  # the message is out: a budget write that failed must not resend it
            log.warning("Hộp thư đi: không ghi được giờ gửi cho ngân sách (%r).", exc)

    async def _send(self, claimed: Claimed, out: Outgoing) -> int | None:
        if sending.edits_in_place(out) and claimed.parts_sent == 0:
            await self._take_budget(claimed)
            edited = await sending.try_edit(self.bot, out, **self.extra)
            if edited is not None:
                await self._settle(claimed)
                return edited
        parts = sending.split_parts(out.html)
        sent_id = None
        for i in range(min(claimed.parts_sent, len(parts) - 1), len(parts)):
            await self._take_budget(claimed)
            sent_id = await sending.send_part(self.bot, out, parts, i, **self.extra)
            await self._settle(claimed)
            if i < len(parts) - 1:
                await self.store.run(outbox.mark_part, claimed, i + 1)
        return sent_id

    async def _handle(self, claimed: Claimed) -> None:
        out = Outgoing.from_payload({**claimed.payload, "chat_id": claimed.chat_id})
        error: BaseException | None = None
        retry_after: float | None = None
        try:
            message_id = await self._send(claimed, out)
        except _Deferred as deferred:
            until = self.store.now() + timedelta(seconds=deferred.seconds)
            await self.store.run(outbox.release, claimed, until)
            return
        except RetryAfter as exc:
            error, kind, retry_after = exc, outbox.RATE_LIMITED, _retry_seconds(exc)
            await self.store.run(outbox.pause_all, retry_after)
        except Forbidden as exc:  # 403: bot blocked by the user, user deactivated, kicked from the chat
            error, kind = exc, outbox.UNREACHABLE
        except BadRequest as exc:
            error, kind = exc, (outbox.UNREACHABLE if is_chat_gone(exc) else outbox.REFUSED)
        except Exception as exc:  # timeouts, connection resets, 5xx (NetworkError): retried with backoff
            error, kind = exc, outbox.TRANSIENT
        if error is None:
            if not await self.store.run(outbox.mark_sent, claimed, self.store.now(), message_id):
                log.warning("Hộp thư đi: tin %s đã gửi nhưng hết hạn giữ (có thể bị gửi lại).", claimed.id)
            self._resolve(claimed.id, State(claimed.id, outbox.SENT, message_id), None)
            return
        text = f"{error.__class__.__name__}: {error}"
        state = await self.store.run(
            outbox.mark_failed, claimed, self.store.now(), kind, text, retry_after=retry_after,
            settings=self.settings,
        )  # fmt: skip
        if state is None or not state.final:
            log.info("Hộp thư đi: tin %s tới chat %s sẽ gửi lại (%s).", claimed.id, claimed.chat_id, text)
            return
        self._resolve(claimed.id, state, error)
        if claimed.kind == outbox.REMINDER:
            return  # the reminder queue decides what comes next (retry, blocked chat) and logs it
        log.error(
            "Hộp thư đi: KHÔNG gửi được tin %s (%s) tới chat %s sau %d lần thử: %s",
            claimed.id, claimed.kind, claimed.chat_id, state.attempts, text,
        )  # fmt: skip
        if kind == outbox.UNREACHABLE:
            with contextlib.suppress(Exception):
                await self.store.run(_mark_chat_unreachable, claimed.chat_id, text, self.store.now())


def _mark_chat_unreachable(session: Any, chat_id: int, error: str, now: Any) -> bool:
    """A notice or reply was refused for the chat itself: mark the official of that chat (if any)."""
    from sqlalchemy import select

    from tasks.models import Official
    from tasks.reachability import mark_unreachable

    official_id = session.scalar(select(Official.id).where(Official.telegram_user_id == chat_id))
    return official_id is not None and mark_unreachable(session, official_id, error, now)


def reminder_send(sender: OutboxSender) -> SendFn:
    """The reminder dispatcher's transport through the outbox: one try per hand-over, its outcome as the
    dispatcher's exceptions (429 → RetryLater, blocked chat → ChatUnreachable, other refusal →
    PermanentFailure, anything passing → TransientFailure)."""

    async def send(chat_id: int, html: str, buttons: Keyboard, *, key: str | None = None) -> None:
        out = Outgoing(chat_id, html, tuple(tuple(row) for row in buttons), notice=True)
        state = await sender.push(out, key or f"reminder:{chat_id}:{hash(html)}")
        if state is None:
            raise RetryLater(5.0, "chưa gửi xong: còn trong hộp thư đi")
        if state.status == outbox.SENT:
            return
        if state.error_kind == outbox.RATE_LIMITED:
            raise RetryLater(state.retry_after or 1.0)
        if state.error_kind == outbox.UNREACHABLE:
            raise ChatUnreachable(state.error or "chat unreachable")
        if state.error_kind == outbox.REFUSED:
            raise PermanentFailure(state.error or "refused")
        raise TransientFailure(state.error or "transient failure")

    return send


def outbox_sender(application: Any) -> OutboxSender | None:
    return application.bot_data.get(OUTBOX_KEY)


__all__ = ["OUTBOX_KEY", "OutboxSender", "TransientFailure", "outbox_sender", "reminder_send"]
