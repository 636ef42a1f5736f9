"""The task database as the bot uses it: opened (and migrated) once per application, used off the event loop.

SQLAlchemy is synchronous. ``SessionRunner.run(fn, ...)`` calls ``fn(session, ...)`` in a worker thread with a
fresh session (rolled back if it raises, closed at the end), so the event loop keeps answering other chats
while the database works. The store lives in ``application.bot_data[TASKS_KEY]``.

The answer log (👍 / 👎, ``bot.feedback``) writes to the same database: ``SharedDatabaseAnswerLog`` makes it
use the store's ``Database`` instead of opening (and migrating) a second one, so two migrations never race
on a fresh SQLite file at start-up.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from telegram.ext import CallbackContext

from bot.feedback import DatabaseAnswerLog

log = logging.getLogger(__name__)

TASKS_KEY = "troly_tasks"
T = TypeVar("T")


def _utcnow() -> datetime:
    from tasks.timeutil import utcnow

    return utcnow()


def clock_from_settings(settings: Any) -> Callable[[], datetime]:
    """The application's clock: the real time, or — FOR TESTS ONLY — a clock that starts at
    ``settings.bot.fake_now`` (TROLY_FAKE_NOW, parsed by the settings: ISO 8601, read in TROLY_TIMEZONE
    without an offset) when the process starts and runs at the normal pace from there.

    Only the bot's task store and reminder dispatcher read it (deadlines, "today", reminder times, audit
    times); Telegram, logs and the job scheduler keep the real time. Never set it in production.
    """
    start = settings.bot.fake_now
    if start is None:
        return _utcnow
    origin = time.monotonic()
    log.warning("TROLY_FAKE_NOW=%s: đồng hồ giả lập, chỉ dùng khi kiểm thử.", start.isoformat())

    def fake_clock() -> datetime:
        return start + timedelta(seconds=time.monotonic() - origin)

    return fake_clock


class SessionRunner:
    """One ``tasks.db.Database`` for the application, opened lazily (thread-safe) or at start-up.

    ``clock`` gives "now" (aware UTC); tests fix it so that "overdue" and audit times are predictable.
    """

    def __init__(
        self,
        database_url: str,
        *,
        tz: ZoneInfo | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.database_url = database_url
        self.tz = tz or ZoneInfo("Asia/Ho_Chi_Minh")
        self.clock = clock
        self._db: Any = None
        self._lock = threading.Lock()

    def database(self) -> Any:
        """The ``Database`` (opened and migrated on first call)."""
        with self._lock:
            if self._db is None:
                from tasks.db import Database

                self._db = Database.open(self.database_url, tz=self.tz)
                log.info("Đã mở cơ sở dữ liệu nhiệm vụ.")
            return self._db

    def open(self) -> None:
        self.database()

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.dispose()
                self._db = None

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        """Today in the office's time zone (deadlines are calendar dates there)."""
        from tasks.timeutil import local_date

        return local_date(self.now(), self.tz)

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(session, *args, **kwargs)`` in a fresh session, in the calling thread."""
        with self.database().session() as session:
            return fn(session, *args, **kwargs)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(session, *args, **kwargs)`` in a worker thread (never on the event loop)."""
        return await asyncio.to_thread(self.call, fn, *args, **kwargs)


def session_runner(context: CallbackContext) -> SessionRunner:
    return context.application.bot_data[TASKS_KEY]


@dataclass
class SharedDatabaseAnswerLog(DatabaseAnswerLog):
    """``DatabaseAnswerLog`` on the task store's database (one engine, one migration per application)."""

    store: SessionRunner | None = None

    def _database(self) -> Any:
        assert self.store is not None
        return self.store.database()

    def close(self) -> None:  # the application closes the store itself
        pass
