"""The answer log: every answer the bot sends is saved (question, answer, sources, refused or not) and the
asker's 👍 / 👎 — and after a 👎 what was wrong and an optional comment — is stored on that row, in the
project's database, through ``tasks.feedback``.

The saved row's random token (never its sequential id) goes into the buttons' callback data (Telegram allows
64 bytes), so the buttons keep working after a restart, cannot be forged for somebody else's answer, and
"Xem nguyên văn" finds the cited passage ids in the stored sources. The "waiting for a comment" step is a
database row with an expiry (``tasks.feedback.set_reason``), so it survives a restart too.

SQLAlchemy is synchronous: the handlers call these methods in a worker thread. If the database cannot be
written, answers are still sent: the log falls back to memory (ids ``m…``) and says so in the logs.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger(__name__)

COMMENT_WINDOW_SECONDS = 5 * 60


class NotYours(Exception):
    """Somebody other than the asker pressed a rating button: nothing is changed."""


@dataclass(frozen=True)
class SourceRef:
    label: str  # "Nghị quyết 57-NQ/TW ngày 22/12/2024, mục II.1"
    passage_id: str
    doc_number: str | None = None
    doc_type: str | None = None
    date: str | None = None
    section: str = ""

    @classmethod
    def from_citation(cls, citation: Any) -> SourceRef:
        """What an answer log keeps of a `retrieval.types.Citation`: its one label and where it points."""
        return cls(
            label=citation.label(), passage_id=citation.passage_id, doc_number=citation.doc_number,
            doc_type=citation.doc_type, date=citation.date, section=citation.section,
        )  # fmt: skip

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
    refused: bool = False
    reason: str | None = None
    comment: str | None = None

    def asked_by(self, telegram_user_id: int | None) -> bool:
        """Only the person who asked may rate: True when ``telegram_user_id`` is the asker."""
        return telegram_user_id is not None and self.telegram_user_id == telegram_user_id


class AnswerLog(Protocol):
    """Where answers and feedback are kept. Every method that changes feedback takes the presser's Telegram
    id and raises `NotYours` (changing nothing) when they are not the asker; None means "unknown answer"."""

    def save(self, answer: StoredAnswer) -> str:
        """Store an answer (its ``id`` is ignored); returns the token to put in callback data (≤ 32 chars)."""
        ...

    def get(self, answer_id: str) -> StoredAnswer | None: ...

    def rate(self, answer_id: str, rating: int, *, user_id: int | None = None) -> StoredAnswer | None:
        """Set 👍 (+1) / 👎 (-1)."""
        ...

    def set_reason(
        self, answer_id: str, reason: str, *, user_id: int, chat_id: int, prompt_message_id: int | None
    ) -> StoredAnswer | None:
        """What was wrong after a 👎; starts the comment window (``COMMENT_WINDOW_SECONDS``)."""
        ...

    def take_comment(self, user_id: int, chat_id: int, text: str) -> tuple[StoredAnswer, int | None] | None:
        """The user's text as the comment of their 👎 waiting in this chat: (answer, prompt message id), or
        None when nothing waits (the text is then an ordinary message)."""
        ...

    def skip_comment(self, answer_id: str, *, user_id: int) -> StoredAnswer | None:
        """ "Bỏ qua": no comment; ends the wait."""
        ...


class MemoryAnswerLog:
    """Recent answers in memory (bounded): the fallback when the database is unavailable, and for tests."""

    def __init__(self, max_items: int = 5000, *, clock: Any = time.monotonic) -> None:
        self._items: OrderedDict[str, StoredAnswer] = OrderedDict()
        self._pending: dict[tuple[int, int], tuple[str, int | None, float]] = {}
        self._max = max_items
        self._clock = clock
        self._lock = threading.Lock()

    def save(self, answer: StoredAnswer) -> str:
        with self._lock:
            aid = "m" + secrets.token_urlsafe(12)
            self._items[aid] = StoredAnswer(**{**answer.__dict__, "id": aid})
            while len(self._items) > self._max:
                self._items.popitem(last=False)
            return aid

    def get(self, answer_id: str) -> StoredAnswer | None:
        with self._lock:
            return self._items.get(answer_id)

    def _owned(self, answer_id: str, user_id: int | None) -> StoredAnswer | None:
        item = self._items.get(answer_id)
        if item is not None and user_id is not None and not item.asked_by(user_id):
            raise NotYours(answer_id)
        return item

    def rate(self, answer_id: str, rating: int, *, user_id: int | None = None) -> StoredAnswer | None:
        with self._lock:
            item = self._owned(answer_id, user_id)
            if item is not None:
                item.rating = rating
                if rating == 1:
                    item.reason = item.comment = None
                    self._pending = {k: v for k, v in self._pending.items() if v[0] != answer_id}
            return item

    def set_reason(
        self, answer_id: str, reason: str, *, user_id: int, chat_id: int, prompt_message_id: int | None
    ) -> StoredAnswer | None:
        with self._lock:
            item = self._owned(answer_id, user_id)
            if item is None or item.rating != -1:
                return None
            item.reason = reason
            self._pending[(user_id, chat_id)] = (
                answer_id,
                prompt_message_id,
                self._clock() + COMMENT_WINDOW_SECONDS,
            )
            return item

    def take_comment(self, user_id: int, chat_id: int, text: str) -> tuple[StoredAnswer, int | None] | None:
        with self._lock:
            waiting = self._pending.pop((user_id, chat_id), None)
            if waiting is None or waiting[2] <= self._clock():
                return None
            item = self._items.get(waiting[0])
            if item is None:
                return None
            item.comment = text.strip()[:1000] or None
            return item, waiting[1]

    def skip_comment(self, answer_id: str, *, user_id: int) -> StoredAnswer | None:
        with self._lock:
            item = self._owned(answer_id, user_id)
            self._pending = {
                k: v for k, v in self._pending.items() if not (v[0] == answer_id and k[0] == user_id)
            }
            return item

    def all(self) -> list[StoredAnswer]:
        with self._lock:
            return list(self._items.values())


@dataclass
class DatabaseAnswerLog:
    """Answers and feedback in the ``feedback`` table (``tasks.feedback``); memory when the database fails."""

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
                    refused=answer.refused,
                )
                return row.token
        except Exception:
            log.exception("Không lưu được câu trả lời vào cơ sở dữ liệu; tạm giữ trong bộ nhớ.")
            return self.fallback.save(answer)

    @staticmethod
    def _in_memory(answer_id: str) -> bool:
        return answer_id.startswith("m")  # database tokens start with "a" (tasks.models._new_token)

    def get(self, answer_id: str) -> StoredAnswer | None:
        if self._in_memory(answer_id):
            return self.fallback.get(answer_id)
        from tasks.feedback import by_token

        with self._database().session() as session:
            row = by_token(session, answer_id)
            return _stored(row) if row is not None else None

    def _change(self, fn: Any, answer_id: str, *args: Any, **kwargs: Any) -> StoredAnswer | None:
        """``fn(session, token, ...)`` of ``tasks.feedback``: None for an unknown answer (or one no longer
        rated 👎), `NotYours` for somebody else's."""
        from tasks.errors import InvalidOperation, NotFound, PermissionDenied

        with self._database().session() as session:
            try:
                return _stored(fn(session, answer_id, *args, **kwargs))
            except (NotFound, InvalidOperation):
                return None
            except PermissionDenied as exc:
                raise NotYours(answer_id) from exc

    def rate(self, answer_id: str, rating: int, *, user_id: int | None = None) -> StoredAnswer | None:
        if self._in_memory(answer_id):
            return self.fallback.rate(answer_id, rating, user_id=user_id)
        from tasks.feedback import rate

        return self._change(rate, answer_id, rating, telegram_user_id=user_id)

    def set_reason(
        self, answer_id: str, reason: str, *, user_id: int, chat_id: int, prompt_message_id: int | None
    ) -> StoredAnswer | None:
        if self._in_memory(answer_id):
            return self.fallback.set_reason(
                answer_id, reason, user_id=user_id, chat_id=chat_id, prompt_message_id=prompt_message_id
            )
        from datetime import timedelta

        from tasks.feedback import set_reason

        return self._change(
            set_reason,
            answer_id,
            reason,
            telegram_user_id=user_id,
            chat_id=chat_id,
            prompt_message_id=prompt_message_id,
            window=timedelta(seconds=COMMENT_WINDOW_SECONDS),
        )

    def take_comment(self, user_id: int, chat_id: int, text: str) -> tuple[StoredAnswer, int | None] | None:
        from tasks.feedback import take_comment

        taken = self.fallback.take_comment(user_id, chat_id, text)
        if taken is not None:
            return taken
        with self._database().session() as session:
            got = take_comment(session, user_id, chat_id, text)
            return (_stored(got[0]), got[1]) if got is not None else None

    def skip_comment(self, answer_id: str, *, user_id: int) -> StoredAnswer | None:
        if self._in_memory(answer_id):
            return self.fallback.skip_comment(answer_id, user_id=user_id)
        from tasks.feedback import skip_comment

        return self._change(skip_comment, answer_id, telegram_user_id=user_id)

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.dispose()
                self._db = None


def _stored(row: Any) -> StoredAnswer:
    sources = row.sources if isinstance(row.sources, list) else []
    return StoredAnswer(
        id=row.token,
        question=row.question,
        answer=row.answer,
        sources=tuple(SourceRef.from_json(s) for s in sources if isinstance(s, dict)),
        telegram_user_id=row.telegram_user_id,
        chat_id=row.chat_id,
        rating=row.rating,
        refused=bool(row.refused),
        reason=row.reason,
        comment=row.comment,
    )
