"""Per-chat follow-up context: the documents the conversation was last about.

"còn mục tiêu đến 2045 thì sao?" right after a question on NQ 57 is a question on NQ 57: the bot passes the
last referred document numbers to ``engine.ask(..., context_docs=...)``. The context expires after
``ttl`` seconds (30 minutes by default) without being refreshed. The clock is injectable for tests.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

DEFAULT_TTL_SECONDS = 30 * 60


@dataclass(frozen=True)
class _Entry:
    docs: tuple[str, ...]
    at: float


class FollowUpContext:
    """Last referred documents per chat, bounded in size, expiring after ``ttl`` seconds."""

    def __init__(
        self,
        ttl: float = DEFAULT_TTL_SECONDS,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_chats: int = 10_000,
    ) -> None:
        self.ttl = ttl
        self._clock = clock
        self._max = max_chats
        self._entries: OrderedDict[int, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, chat_id: int) -> tuple[str, ...]:
        """The documents to use as context for the next question in this chat (empty when expired)."""
        with self._lock:
            entry = self._entries.get(chat_id)
            if entry is None:
                return ()
            if self._clock() - entry.at > self.ttl:
                del self._entries[chat_id]
                return ()
            return entry.docs

    def remember(self, chat_id: int, docs: Iterable[str]) -> None:
        """Record the documents a question referred to; an empty list keeps the previous context."""
        docs = tuple(dict.fromkeys(d for d in docs if d))
        if not docs:
            return
        with self._lock:
            self._entries[chat_id] = _Entry(docs, self._clock())
            self._entries.move_to_end(chat_id)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def clear(self, chat_id: int) -> None:
        with self._lock:
            self._entries.pop(chat_id, None)

    def __len__(self) -> int:
        return len(self._entries)
