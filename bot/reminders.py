"""Reminders in the bot: the domain's `tasks.reminders.dispatcher.ReminderDispatcher` run by PTB's JobQueue.

- One dispatcher per application (``application.bot_data[REMINDERS_KEY]``), on the task store's database
  (no second engine), with the store's clock (``TROLY_FAKE_NOW`` in tests) and the policy of
  ``ReminderPolicy.from_settings`` (``TROLY_REMINDER_HOUR``, ``TROLY_REMINDER_WEEKENDS``, ``TROLY_QUIET_HOURS``).
- A repeating job runs one sweep every ``TROLY_REMINDER_INTERVAL`` seconds (default 30; the first 10 s
  after start-up); ``max_instances=1`` and ``coalesce`` keep a slow sweep from overlapping the next one.
  The dispatcher plans, claims, throttles, sends and marks each message; several bot processes on one
  PostgreSQL database never send a reminder twice (claims with leases, ``SKIP LOCKED``).
- `ptb_send` is the transport: ``bot.send_message`` in HTML with the inline keyboard; Telegram's 429
  becomes `RetryLater` (the dispatcher pauses and reschedules the row), a blocked or unknown chat (403, 400
  "chat not found") `ChatUnreachable` (the official is marked "không nhận được tin nhắn" and pushes stop
  until they write again), any other refusal `PermanentFailure`. Through the application's rate limiter it sends once (`NO_RETRY`): the limiter must
  not sleep through a 429 inside a sweep, nor resend on its own.
- Reminder buttons use ``t:`` (tasks handler) and ``nv:menu`` (settings, `bot.handlers.progress`).
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from datetime import timedelta
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import Application, CallbackContext, ExtBot
from telegram.warnings import PTBDeprecationWarning

from bot.db_runner import SessionRunner
from bot.sending import inline_markup
from bot.settings import DEFAULT_REMINDER_INTERVAL
from tasks.reminders import ReminderPolicy
from tasks.reminders.dispatcher import (
    ChatUnreachable,
    PermanentFailure,
    ReminderDispatcher,
    RetryLater,
    SendFn,
)
from tasks.ui import Keyboard

log = logging.getLogger(__name__)

REMINDERS_KEY = "troly_reminders"
DEFAULT_INTERVAL = DEFAULT_REMINDER_INTERVAL
FIRST_SWEEP_DELAY = 10.0
NO_RETRY: dict[str, int] = {"max_retries": 0}  # rate_limit_args understood by bot.app.RetryingRateLimiter


def _retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that the attribute's type will become timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


_CHAT_GONE = ("chat not found", "user not found", "peer_id_invalid", "user is deactivated", "bot was blocked")


def is_chat_gone(exc: BadRequest) -> bool:
    """A 400 that is about the chat itself (it no longer exists for the bot), not about the message."""
    message = str(exc.message if hasattr(exc, "message") else exc).lower()
    return any(marker in message for marker in _CHAT_GONE)


def ptb_send(bot: Bot) -> SendFn:
    """`send` for the dispatcher on top of PTB: 429 → RetryLater, blocked/unknown chat → PermanentFailure.

    With the application's ``ExtBot`` the call goes through its rate limiter once (`NO_RETRY`); a plain
    ``Bot`` has no limiter to configure."""
    extra: dict[str, Any] = {"rate_limit_args": NO_RETRY} if isinstance(bot, ExtBot) else {}

    async def send(chat_id: int, html: str, buttons: Keyboard, *, key: str | None = None) -> None:
        try:
            await bot.send_message(
                chat_id, html, parse_mode="HTML", reply_markup=inline_markup(buttons), **extra
            )
        except RetryAfter as exc:
            raise RetryLater(_retry_seconds(exc)) from exc
        except Forbidden as exc:  # 403: bot blocked by the user, user deactivated, kicked from the chat
            raise ChatUnreachable(str(exc)) from exc
        except BadRequest as exc:
            if is_chat_gone(exc):
                raise ChatUnreachable(str(exc)) from exc
            raise PermanentFailure(str(exc)) from exc

    return send


class StoreDatabase:
    """The task store's `Database`, opened on first use (the dispatcher only calls ``session()``)."""

    def __init__(self, store: SessionRunner) -> None:
        self.store = store

    def session(self) -> Any:
        return self.store.database().session()


JOB_NAME = "nhac-viec"


class _SkippedSweepFilter(logging.Filter):
    """Drops APScheduler's warning that a sweep was skipped because the previous one still runs: with
    ``max_instances=1`` that is the intended behaviour during a long morning batch, not a problem."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            "maximum number of running instances" in str(record.msg)
            and any(JOB_NAME in str(arg) for arg in (record.args or ()))
        )


class _CancelledAtShutdownFilter(logging.Filter):
    """Drops APScheduler's "Error running job" for a job cancelled when the bot stops (its scheduler cancels
    running coroutine jobs): the sweep hands its unsent rows back itself (`ReminderDispatcher`), there is no
    error to report."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, asyncio.CancelledError)


_SKIP_FILTER = _SkippedSweepFilter()
_CANCEL_FILTER = _CancelledAtShutdownFilter()


def setup_reminders(
    application: Application,
    settings: Any,
    store: SessionRunner,
    *,
    interval: float | None = DEFAULT_INTERVAL,
    send: SendFn | None = None,
) -> ReminderDispatcher:
    """Create the dispatcher (kept in ``bot_data``) and, unless ``interval`` is None, its repeating job
    every ``interval`` seconds (``settings.bot.reminder_interval``: TROLY_REMINDER_INTERVAL). ``send``: the
    transport (the application's outbox, `bot.outbox_sender.reminder_send`); `ptb_send` when not given."""
    policy = ReminderPolicy.from_settings(settings.tasks)
    dispatcher = ReminderDispatcher(
        StoreDatabase(store),  # type: ignore[arg-type]  # duck-typed: only .session() is used
        send or ptb_send(application.bot),
        policy=policy,
        clock=store.now,
    )
    application.bot_data[REMINDERS_KEY] = dispatcher
    if interval is None:
        log.info("Nhắc việc: tiến trình này không gửi nhắc việc.")
    else:
        if application.job_queue is None:  # python-telegram-bot installed without the [job-queue] extra
            log.error("Không có JobQueue (cài python-telegram-bot[job-queue]): bot sẽ không gửi nhắc việc.")
        else:
            application.job_queue.run_repeating(
                reminder_job,
                interval=interval,
                first=min(FIRST_SWEEP_DELAY, interval),
                name=JOB_NAME,
                job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
            )
            logging.getLogger("apscheduler.scheduler").addFilter(_SKIP_FILTER)  # idempotent
            logging.getLogger("apscheduler.executors.default").addFilter(_CANCEL_FILTER)
            log.info("Nhắc việc: quét hàng đợi mỗi %g giây.", interval)
    return dispatcher


def reminder_dispatcher(application: Application) -> ReminderDispatcher | None:
    return application.bot_data.get(REMINDERS_KEY)


def request_plan(application: Application) -> None:
    """Plan reminders again at the next sweep (after a change of someone's reminder choices)."""
    dispatcher = reminder_dispatcher(application)
    if dispatcher is not None:
        dispatcher.request_plan()


async def reminder_job(context: CallbackContext) -> None:
    """One sweep. A failing sweep (database unreachable…) is logged; the next one tries again, and rows
    claimed meanwhile are claimed again once their lease expires."""
    dispatcher = reminder_dispatcher(context.application)
    if dispatcher is None:
        return
    first = not context.application.bot_data.get("troly_reminders_swept")
    try:
        result = await dispatcher.run_once()
    except asyncio.CancelledError:
        log.info("Nhắc việc: lượt quét dừng giữa chừng vì bot tắt (tin chưa gửi được trả lại hàng đợi).")
        raise
    except Exception:
        log.exception("Nhắc việc: lượt quét thất bại, sẽ thử lại ở lượt sau.")
        return
    if first and not result.busy:
        context.application.bot_data["troly_reminders_swept"] = True
        log.info(
            "Nhắc việc: lượt quét đầu tiên xong (đã gửi %d, lỗi %d, bỏ qua %d).",
            result.sent,
            result.failed,
            result.skipped,
        )


__all__ = [
    "NO_RETRY",
    "REMINDERS_KEY",
    "StoreDatabase",
    "ptb_send",
    "reminder_dispatcher",
    "reminder_job",
    "request_plan",
    "setup_reminders",
]
