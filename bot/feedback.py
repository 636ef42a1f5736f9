"""The answer log: every answer the bot sends is saved (question, answer, sources) and the 👍 / 👎 under it is
stored on that row — in the project's database, through ``tasks.feedback`` (``record_answer``, ``rate``).

The saved row's id goes into the buttons' callback data (Telegram allows 64 bytes), so the buttons keep
working after a restart, and "Xem nguyên văn" finds the cited passage ids in the stored sources.

SQLAlchemy is synchronous: the handlers call these methods in a worker thread. If the database cannot be
written, answers are still sent: the log falls back to memory (ids ``m…``) and says so in the logs.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceRef:
    label: str  # "Nghị quyết 57-NQ/TW ngày 22/12/2024, mục II.1"
    passage_id: str
    doc_number: str | None = None
    doc_type: str | None = None
    date: str | None = None
    section: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "passage_id": self.passage_id,
            "doc_number": self.doc_number,
            "doc_type": self.doc_type,
            "date": self.date,
            "section": self.section,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SourceRef:
        return cls(
            label=str(d.get("label") or ""),
            passage_id=str(d.get("passage_id") or ""),
            doc_number=d.get("doc_number"),
            doc_type=d.get("doc_type"),
            date=d.get("date"),
            section=str(d.get("section") or ""),
        )


@dataclass
class StoredAnswer:
    id: str
    question: str
    answer: str
    sources: tuple[SourceRef, ...] = ()
    telegram_user_id: int | None = None
    chat_id: int | None = None
    rating: int | None = None


class AnswerLog(Protocol):
    def save(self, answer: StoredAnswer) -> str:
        """Store an answer (its ``id`` is ignored); returns the id to put in callback data (≤ 40 chars)."""
        ...

    def get(self, answer_id: str) -> StoredAnswer | None: ...

    def rate(self, answer_id: str, rating: int) -> StoredAnswer | None:
        """Set 👍 (+1) / 👎 (-1); None when the answer is unknown."""
        ...


class MemoryAnswerLog:
    """Recent answers in memory (bounded): the fallback when the database is unavailable, and for tests."""

    def __init__(self, max_items: int = 5000) -> None:
        self._items: OrderedDict[str, StoredAnswer] = OrderedDict()
        self._max = max_items
        self._lock = threading.Lock()

    def save(self, answer: StoredAnswer) -> str:
        with self._lock:
            aid = "m" + secrets.token_urlsafe(6)
            self._items[aid] = StoredAnswer(**{**answer.__dict__, "id": aid})
            while len(self._items) > self._max:
                self._items.popitem(last=False)
            return aid

    def get(self, answer_id: str) -> StoredAnswer | None:
        with self._lock:
            return self._items.get(answer_id)

    def rate(self, answer_id: str, rating: int) -> StoredAnswer | None:
        with self._lock:
            item = self._items.get(answer_id)
            if item is not None:
                item.rating = rating
            return item

    def all(self) -> list[StoredAnswer]:
        with self._lock:
            return list(self._items.values())


@dataclass
class DatabaseAnswerLog:
    """Answers and ratings in the ``feedback`` table (``tasks.feedback``); memory when the database fails."""

    database_url: str
    fallback: MemoryAnswerLog = field(default_factory=MemoryAnswerLog)

    def __post_init__(self) -> None:
        self._db: Any = None
        self._lock = threading.Lock()

    def _database(self) -> Any:
        with self._lock:
            if self._db is None:
                from tasks.db import Database

                self._db = Database.open(self.database_url)
            return self._db

    def open(self) -> None:
        """Connect and migrate now (the bot calls this at start-up, off the event loop)."""
        self._database()

    def save(self, answer: StoredAnswer) -> str:
        from tasks.feedback import record_answer

        try:
            with self._database().session() as session:
                row = record_answer(
                    session,
                    question=answer.question,
                    answer=answer.answer,
                    sources=[s.to_json() for s in answer.sources],
                    telegram_user_id=answer.telegram_user_id,
                    chat_id=answer.chat_id,
                )
                return str(row.id)
        except Exception:
            log.exception("Không lưu được câu trả lời vào cơ sở dữ liệu; tạm giữ trong bộ nhớ.")
            return self.fallback.save(answer)

    def get(self, answer_id: str) -> StoredAnswer | None:
        if not answer_id.isdigit():
            return self.fallback.get(answer_id)
        from tasks.models import Feedback

        with self._database().session() as session:
            row = session.get(Feedback, int(answer_id))
            return _stored(row) if row is not None else None

    def rate(self, answer_id: str, rating: int) -> StoredAnswer | None:
        if not answer_id.isdigit():
            return self.fallback.rate(answer_id, rating)
        from tasks.errors import NotFound
        from tasks.feedback import rate

        with self._database().session() as session:
            try:
                row = rate(session, int(answer_id), rating)
            except NotFound:
                return None
            return _stored(row)

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.dispose()
                self._db = None


def _stored(row: Any) -> StoredAnswer:
    sources = row.sources if isinstance(row.sources, list) else []
    return StoredAnswer(
        id=str(row.id),
        question=row.question,
        answer=row.answer,
        sources=tuple(SourceRef.from_json(s) for s in sources if isinstance(s, dict)),
        telegram_user_id=row.telegram_user_id,
        chat_id=row.chat_id,
        rating=row.rating,
    )
