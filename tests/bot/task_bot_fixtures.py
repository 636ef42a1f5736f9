"""Shared pieces of the bot's task and linking tests (no tests here).

- `prepare_home`: a TROLY_HOME whose SQLite database holds the sample roster and tasks of `examples/`,
  imported with the task domain's own import functions at a fixed "now".
- `SearchingEngine`: the small fake engine of `tests.bot_fixtures` plus `search` (for "Văn bản giao").
- `task_bot`: the real application (handlers, rate limiter, polling loop) in this process against the fake
  Telegram server, its task store's clock fixed to `NOW`.
- helpers to push contacts, press buttons and read what the bot sent.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tests.bot_fixtures import FakeEngine, polling, until
from tests.fakes.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
OFFICIALS_XLSX = ROOT / "examples" / "officials.xlsx"
TASKS_XLSX = ROOT / "examples" / "tasks.xlsx"
# 09:00 on 22 November 2026 in Hà Nội (the examples' reference day).
NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
TODAY = NOW.date()


def prepare_home(home: Path) -> tuple[Any, Any]:
    """(settings, Database) for a TROLY_HOME whose database holds the example roster and tasks."""
    from tasks.db import Database
    from tasks.importing import import_officials, import_tasks
    from troly.config import Settings

    settings = Settings.from_env({"TROLY_HOME": str(home)}, dotenv=False)
    db = Database.open(settings.database_url)
    with db.session() as session:
        report = import_officials(session, OFFICIALS_XLSX, now=NOW)
        assert not report.errors, report.errors
    with db.session() as session:
        report = import_tasks(session, TASKS_XLSX, now=NOW, as_of=NOW)
        assert not report.errors, report.errors
    return settings, db


class SearchingEngine(FakeEngine):
    """`FakeEngine` with `search`: passages of the named document first, then the others."""

    def __init__(self) -> None:
        super().__init__()
        self.searches: list[tuple[str, int, tuple[str, ...]]] = []

    def search(self, query: str, k: int = 5, *, context_docs=(), audience=None):
        from retrieval.docrefs import document_keys, find_refs, ref_matches
        from retrieval.types import SearchHit

        with self._lock:
            self.searches.append((query, k, tuple(context_docs)))
        refs = [r for d in context_docs for r in find_refs(d)]

        def named(p) -> bool:
            keys = document_keys(p.doc.doc_number, p.doc.doc_type)
            return any(ref_matches(r, keys) for r in refs)

        ordered = sorted(self.passages.values(), key=lambda p: (not named(p), p.id))
        return [SearchHit(p, 1.0 / (i + 1), i + 1) for i, p in enumerate(ordered[:k])]

    def find_documents(self, text: str, audience: Any = None) -> list[dict]:
        """Cards (the fields the bot reads) of the documents among the passages that `text` names."""
        from retrieval.docrefs import document_keys, find_refs, ref_matches

        refs = find_refs(text)
        docs = {p.doc.source: p.doc for p in self.passages.values()}
        return [
            {"source": d.source, "doc_number": d.doc_number, "doc_type": d.doc_type, "date": d.date,
             "title": d.title}
            for d in docs.values()
            if any(ref_matches(r, document_keys(d.doc_number, d.doc_type)) for r in refs)
        ]  # fmt: skip


@dataclass
class TaskBot:
    tg: FakeTelegram
    application: Any
    engine: SearchingEngine
    db: Any
    settings: Any

    @property
    def store(self):
        from bot.db_runner import TASKS_KEY

        return self.application.bot_data[TASKS_KEY]

    @property
    def dispatcher(self):
        from bot.reminders import REMINDERS_KEY

        return self.application.bot_data[REMINDERS_KEY]

    def replies(self, chat_id: int) -> list[dict[str, Any]]:
        return self.tg.sent_messages(chat_id=chat_id)

    async def send(
        self, chat_id: int, text: str, n: int = 1, *, user_id: int | None = None, **kw
    ) -> list[dict]:
        """Push a text message, wait for at least ``n`` new bot messages in that chat and for the bot to have
        finished handling it (never "exactly n by luck": a late part of the reply is included); returns all
        the new messages."""
        before = len(self.replies(chat_id))
        self.tg.push_message(chat_id, chat_id if user_id is None else user_id, text, **kw)
        return await until(
            lambda: len(self.replies(chat_id)) >= before + n and self.replies(chat_id)[before:],
            settle=self.application,
        )

    async def press(
        self, chat_id: int, data: str, message_id: int, *, user_id: int | None = None, n_messages: int = 0
    ) -> dict[str, Any]:
        """Press a button; waits for its callback answer (and ``n_messages`` new messages); returns the answer."""
        before = len(self.replies(chat_id))
        qid = self.tg.push_callback(chat_id, chat_id if user_id is None else user_id, data, message_id)
        answer = await until(
            lambda: next((a for a in self.tg.callback_answers if a["callback_query_id"] == qid), None)
        )
        await until(lambda: len(self.replies(chat_id)) >= before + n_messages, settle=self.application)
        return answer

    def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        return next(m for m in self.replies(chat_id) if m["message_id"] == message_id)

    # -- database shortcuts ---------------------------------------------------------------------------

    def official(self, code: str):
        from tasks.models import Official

        with self.db.session() as s:
            return s.scalar(select(Official).where(Official.code == code))

    def link(self, code: str, tg_user_id: int) -> None:
        """Link directly in the database (for tests that are not about linking)."""
        from tasks.models import Official

        with self.db.session() as s:
            official = s.scalar(select(Official).where(Official.code == code))
            official.telegram_user_id = tg_user_id
            s.commit()

    def task(self, code: str):
        from sqlalchemy.orm import selectinload

        from tasks.models import Task

        with self.db.session() as s:
            return s.scalar(
                select(Task)
                .where(Task.code == code)
                .options(selectinload(Task.assignee), selectinload(Task.lead_unit))
            )

    def open_tasks_of(self, code: str) -> list:
        from tasks.models import Official, Task
        from tasks.normalize import TaskStatus

        with self.db.session() as s:
            official = s.scalar(select(Official).where(Official.code == code))
            return list(
                s.scalars(
                    select(Task)
                    .where(Task.assignee_id == official.id, Task.status != TaskStatus.HOAN_THANH)
                    .order_by(Task.deadline, Task.id)
                )
            )

    def audit(self, key: str) -> list:
        from tasks.models import AuditLog

        with self.db.session() as s:
            return list(s.scalars(select(AuditLog).where(AuditLog.entity_key == key).order_by(AuditLog.id)))


@contextlib.asynccontextmanager
async def task_bot(
    tg: FakeTelegram,
    tmp_path: Path,
    *,
    reminders: bool = False,
    env: dict[str, str] | None = None,
    clock: Any = None,
) -> AsyncIterator[TaskBot]:
    """The bot on the example database. Its reminder job is left out unless ``reminders`` (tests run the
    dispatcher's sweeps themselves); ``env`` adds settings; ``clock`` replaces the fixed ``NOW``."""
    from bot.app import build_application
    from bot.feedback import MemoryAnswerLog
    from troly.config import Settings

    home = tmp_path / "home"
    _, db = prepare_home(home)
    settings = Settings.from_env(
        {
            "TROLY_HOME": str(home),
            "TELEGRAM_BOT_TOKEN": tg.token,
            "TELEGRAM_API_BASE_URL": tg.api_url,
            **(env or {}),
        },
        dotenv=False,
    )
    engine = SearchingEngine()
    app = build_application(settings, engine, answers=MemoryAnswerLog(), workers=2, reminders=reminders)
    bot = TaskBot(tg, app, engine, db, settings)
    bot.store.clock = clock or (lambda: NOW)
    try:
        async with polling(app):
            yield bot
    finally:
        db.dispose()


def push_contact(
    tg: FakeTelegram,
    chat_id: int,
    user_id: int,
    phone: str,
    *,
    contact_user_id: int | None,
    chat_type: str = "private",
) -> dict[str, Any]:
    """A message sharing a contact (``contact_user_id`` None: a contact without a Telegram account)."""
    user = {"id": user_id, "is_bot": False, "first_name": f"Cán bộ {user_id}", "language_code": "vi"}
    chat = tg._chat(chat_id, chat_type, None, user)  # registers the chat with the fake server
    contact: dict[str, Any] = {"phone_number": phone, "first_name": "Cán bộ"}
    if contact_user_id is not None:
        contact["user_id"] = contact_user_id
    msg = {
        "message_id": tg._next_message_id(chat_id),
        "date": int(time.time()),
        "chat": chat,
        "from": user,
        "contact": contact,
    }
    tg.push_update({"message": msg})
    return msg


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


def button(message: dict[str, Any], text: str) -> dict[str, Any]:
    found = [b for b in buttons(message) if b["text"] == text]
    assert found, f"no button {text!r} in {[b['text'] for b in buttons(message)]}"
    return found[0]


def cards(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The task cards among messages (those with a progress, "Hoàn thành" or "Văn bản giao" button)."""
    return [
        m
        for m in messages
        if any(b.get("callback_data", "").startswith(("t:p:", "t:done:", "t:doc:")) for b in buttons(m))
    ]
