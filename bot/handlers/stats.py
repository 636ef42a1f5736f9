"""``/thongke [số ngày]``: the most asked and the most refused questions (administrators only), and the daily
job that deletes the question log older than ``TROLY_LOG_RETENTION_DAYS``.

The figures are the domain's (`tasks.feedback.question_stats`, the same as ``troly stats``): grouped by a
normalised form of the question, without names of who asked. Only an official with the role ``quản trị``
may see them, and only in a private chat; everybody else gets a polite refusal.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ContextTypes

from bot import sending, texts
from bot.db_runner import SessionRunner, session_runner
from tasks.feedback import DEFAULT_RETENTION_DAYS, DEFAULT_STATS_DAYS, purge_old, question_stats, stats_html
from tasks.normalize import Role
from tasks.service import get_official_by_telegram

log = logging.getLogger(__name__)

MAX_DAYS = 3650
RETENTION_JOB = "troly_log_retention"
RETENTION_INTERVAL = timedelta(days=1)
FIRST_PURGE_DELAY = timedelta(minutes=1)
STORE_KEY = "troly_retention_store"


def parse_days(args: list[str] | None) -> int | None:
    """``/thongke`` → 30, ``/thongke 7`` → 7, ``/thongke 7 ngày`` → 7; None for anything else."""
    if not args:
        return DEFAULT_STATS_DAYS
    raw = args[0].strip()
    if not raw.isascii() or not raw.isdigit():
        return None
    days = int(raw)
    return days if 1 <= days <= MAX_DAYS else None


def _load(session: Any, tg_user_id: int, days: int, now: Any) -> str:
    """The screen for an administrator; the refusal (plain text) for anybody else."""
    official = get_official_by_telegram(session, tg_user_id)
    if official is None:
        return texts.STATS_NOT_LINKED
    if official.role != Role.QUAN_TRI:
        return texts.STATS_ADMIN_ONLY
    return stats_html(question_stats(session, days, now=now))


async def thongke_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    user = update.effective_user
    if chat is None or user is None:
        return
    if chat.type != "private":
        await sending.send(update, context.bot, texts.STATS_PRIVATE_ONLY)
        return
    days = parse_days(context.args)
    if days is None:
        await sending.send(update, context.bot, texts.STATS_BAD_DAYS)
        return
    store = session_runner(context)
    try:
        text = await store.run(_load, user.id, days, store.now())
    except Exception:
        log.exception("/thongke thất bại")
        text = texts.STATS_FAILED
    await sending.send(update, context.bot, text)


# --- retention ------------------------------------------------------------------------------------------


def retention_days(settings: Any) -> int:
    return int(getattr(settings, "log_retention_days", None) or DEFAULT_RETENTION_DAYS)


def _purge(session: Any, days: int, now: Any) -> int:
    return purge_old(session, days, now=now)


async def retention_job(context: CallbackContext) -> None:
    """Delete the question log older than the retention period (and expired comment waits)."""
    store: SessionRunner = context.application.bot_data[STORE_KEY]
    days = context.application.bot_data.get("troly_retention_days", DEFAULT_RETENTION_DAYS)
    try:
        deleted = await store.run(_purge, days, store.now())
    except Exception:
        log.exception("Không xoá được nhật ký câu hỏi cũ; sẽ thử lại lần sau.")
        return
    log.info("Nhật ký câu hỏi: đã xoá %d câu hỏi cũ hơn %d ngày.", deleted, days)


def setup_log_retention(application: Application, settings: Any, store: SessionRunner) -> None:
    """Run `retention_job` once a day (first a minute after the start)."""
    application.bot_data[STORE_KEY] = store
    application.bot_data["troly_retention_days"] = retention_days(settings)
    if application.job_queue is None:
        log.error("Không có JobQueue: nhật ký câu hỏi cũ sẽ không được tự động xoá (chạy `troly stats`).")
        return
    application.job_queue.run_repeating(
        retention_job,
        interval=RETENTION_INTERVAL,
        first=FIRST_PURGE_DELAY,
        name=RETENTION_JOB,
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )
