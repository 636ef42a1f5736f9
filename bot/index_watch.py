"""Every bot process notices within seconds that another one changed the document index.

A document added or removed in chat is indexed by the process that received it, which then bumps the index
generation in the shared database (`tasks.index_generation`). This job reads that number every
`INTERVAL_SECONDS`; when it grew, the process reloads its index from disk (`RetrievalEngine.reload`, in the
retrieval pool) so the next question finds the new document. Cheap: one primary-key read per interval.

The process that made the change records the new number itself (`remember_generation`) and does not
reload what it already holds. An engine without ``reload`` (a test double) switches the job off.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram.ext import Application, CallbackContext

from bot.db_runner import SessionRunner
from bot.deps import BOT_DATA_KEY

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 2.0
SEEN_KEY = "troly_index_generation"
JOB_NAME = "troly_index_watch"


def remember_generation(application: Application, generation: int) -> None:
    """This process's index is at `generation` (it made the change itself)."""
    application.bot_data[SEEN_KEY] = max(int(application.bot_data.get(SEEN_KEY) or 0), generation)


def setup_index_watch(
    application: Application, store: SessionRunner, interval: float = INTERVAL_SECONDS
) -> None:
    if application.job_queue is None:  # python-telegram-bot without the [job-queue] extra
        log.warning("Không có JobQueue: tiến trình này không tự nạp lại kho văn bản khi tiến trình khác đổi.")
        return

    async def watch(context: CallbackContext) -> None:
        await check_generation(context.application, store, context)

    # a run missed while the event loop was busy (loading the model at start) is simply run late or
    # skipped by the next one: never a "was missed" warning in the log, never a run twice
    application.job_queue.run_repeating(
        watch,
        interval=interval,
        first=interval,
        name=JOB_NAME,
        job_kwargs={"misfire_grace_time": None, "coalesce": True},
    )


async def check_generation(application: Application, store: SessionRunner, context: Any = None) -> bool:
    """Reload the index when the shared generation grew since this process last looked; True if reloaded."""
    qa = application.bot_data[BOT_DATA_KEY].qa
    if not qa.is_ready:
        return False  # the engine reads the index from disk when it finishes loading
    engine = await qa.engine()
    if not callable(getattr(engine, "reload", None)):
        if context is not None and context.job is not None:
            context.job.schedule_removal()
        return False
    from tasks.index_generation import current

    try:
        generation = await store.run(current)
    except Exception as exc:  # a database hiccup: try again at the next interval
        log.warning("Không đọc được số thế hệ của kho văn bản: %r", exc)
        return False
    seen = application.bot_data.get(SEEN_KEY)
    # First look: the engine read the index when it loaded, but a change may have landed since; reloading
    # once (only where documents were ever changed in chat) closes that window.
    if generation == 0 or (seen is not None and generation <= seen):
        application.bot_data[SEEN_KEY] = max(generation, seen or 0)
        return False
    await qa.run(engine.reload)
    application.bot_data[SEEN_KEY] = generation
    log.info("Kho văn bản đã thay đổi (thế hệ %d): đã nạp lại chỉ mục.", generation)
    return True
