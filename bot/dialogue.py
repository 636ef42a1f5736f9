"""Conversation state kept between two updates, behind small interfaces a database can back later:

- `DialogueStore`: a multi-step dialogue waiting for the user's next text — "Hoàn thành" waiting for the
  product/result, "Hủy nhiệm vụ" waiting for the reason — one per (user, kind), expiring after its ttl.
- `FollowUpStore`: per-chat follow-up context, the documents the conversation was last about.

The bot keeps dialogues in the database (`DatabaseDialogueStore`, over `tasks.dialogue_state`): a step
survives a restart, and when two bot processes share one database a button pressed in one is followed by a
message the other receives. `MemoryDialogueStore` stays for tests and tools. States are plain JSON data
(dicts, lists, strings, numbers), so either store holds them. The handlers use only the protocol.

Follow-up context (kept in the database too, `DatabaseFollowUpContext`, with `FollowUpContext` in memory as its
fallback when the database cannot be used):

"còn mục tiêu đến 2045 thì sao?" right after a question on NQ 57 is a question on NQ 57: the bot passes the
last referred document numbers to ``engine.ask(..., context_docs=...)``. The context expires after
``ttl`` seconds (30 minutes by default) without being refreshed. The clock is injectable for tests.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Protocol

DEFAULT_TTL_SECONDS = 30 * 60
log = logging.getLogger(__name__)


# --- multi-step dialogues ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dialogue:
    """A dialogue step waiting for a user: its `kind` ("result", "cancel"), its `state` (plain data, e.g.
    the task id and the message to edit), and when it expires (the store's clock)."""

    kind: str
    state: Any
    expires: float


class DialogueStore(Protocol):
    """Waiting dialogue steps per (user, kind). `get` returns an expired step too (the caller tells the user
    it expired and cleans up); `put` replaces the user's step of that kind; `pop` removes and returns it."""

    def get(self, user_id: int, kind: str) -> Dialogue | None: ...

    def put(self, user_id: int, kind: str, state: Any, ttl: float | None = None) -> Dialogue: ...

    def update(self, user_id: int, kind: str, state: Any) -> None: ...

    def pop(self, user_id: int, kind: str) -> Dialogue | None: ...

    def expired(self, dialogue: Dialogue) -> bool: ...


class MemoryDialogueStore:
    """`DialogueStore` in memory (thread-safe; expired steps are swept on every `put`)."""

    def __init__(self, ttl: float = 10 * 60, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._items: dict[tuple[int, str], Dialogue] = {}
        self._lock = threading.Lock()

    def get(self, user_id: int, kind: str) -> Dialogue | None:
        with self._lock:
            return self._items.get((user_id, kind))

    def put(self, user_id: int, kind: str, state: Any, ttl: float | None = None) -> Dialogue:
        now = self._clock()
        item = Dialogue(kind, state, now + (self.ttl if ttl is None else ttl))
        with self._lock:
            self._items[(user_id, kind)] = item
            for key in [k for k, d in self._items.items() if d.expires < now]:
                del self._items[key]
        return item

    def update(self, user_id: int, kind: str, state: Any) -> None:
        """Replace the state of a waiting step, keeping its expiry (nothing when there is none)."""
        with self._lock:
            item = self._items.get((user_id, kind))
            if item is not None:
                self._items[(user_id, kind)] = replace(item, state=state)

    def pop(self, user_id: int, kind: str) -> Dialogue | None:
        with self._lock:
            return self._items.pop((user_id, kind), None)

    def expired(self, dialogue: Dialogue) -> bool:
        return self._clock() > dialogue.expires

    def __len__(self) -> int:
        return len(self._items)


class DatabaseDialogueStore:
    """`DialogueStore` in the `dialogue_states` table (`tasks.dialogue_state.DialogueStore`), shared by every
    bot process on the database. One row per (user, kind), key ``user:<id>:<kind>``.

    The protocol lets `get` return an expired step (the caller says it expired and cleans up), so a row is
    kept `grace` seconds past the step's own expiry (`expires`, Unix time, stored with the state); after that
    the table's expiry drops it. `rows` returns the row store lazily (the database opens on first use).
    Each call is one short transaction (milliseconds; called from the handlers, as the protocol is).
    """

    def __init__(
        self,
        rows: Callable[[], Any],
        ttl: float = 10 * 60,
        *,
        clock: Callable[[], float] = time.time,
        grace: float = 24 * 3600,
    ) -> None:
        self._rows = rows
        self.ttl = ttl
        self._clock = clock
        self.grace = grace

    @staticmethod
    def key(user_id: int, kind: str) -> str:
        return f"user:{user_id}:{kind}"

    @staticmethod
    def _dialogue(row: Any) -> Dialogue | None:
        data = row.data if row is not None else None
        if not isinstance(data, dict) or "expires" not in data:
            return None
        return Dialogue(row.kind, data.get("state"), float(data["expires"]))

    def _store(self, user_id: int, kind: str, state: Any, expires: float) -> None:
        from datetime import timedelta

        keep = max(expires - self._clock(), 0.0) + self.grace
        self._rows().put(
            self.key(user_id, kind), kind, {"state": state, "expires": expires}, timedelta(seconds=keep)
        )

    def get(self, user_id: int, kind: str) -> Dialogue | None:
        return self._dialogue(self._rows().get(self.key(user_id, kind), kind))

    def put(self, user_id: int, kind: str, state: Any, ttl: float | None = None) -> Dialogue:
        """Start a step (replacing the user's step of that kind); rows past their expiry are swept here."""
        expires = self._clock() + (self.ttl if ttl is None else ttl)
        self._store(user_id, kind, state, expires)
        self._rows().expire()
        return Dialogue(kind, state, expires)

    def update(self, user_id: int, kind: str, state: Any) -> None:
        """Replace the state of a waiting step, keeping its expiry (nothing when there is none)."""
        item = self.get(user_id, kind)
        if item is not None:
            self._store(user_id, kind, state, item.expires)

    def pop(self, user_id: int, kind: str) -> Dialogue | None:
        """Atomic across processes: of two pops of the same step, one gets it."""
        return self._dialogue(self._rows().pop(self.key(user_id, kind), kind))

    def expired(self, dialogue: Dialogue) -> bool:
        return self._clock() > dialogue.expires


# --- follow-up context ------------------------------------------------------------------------------------


class FollowUpStore(Protocol):
    """The documents a chat's conversation was last about (see `FollowUpContext`)."""

    def get(self, chat_id: int) -> tuple[str, ...]: ...

    def remember(self, chat_id: int, docs: Iterable[str]) -> None: ...

    def clear(self, chat_id: int) -> None: ...


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


class DatabaseFollowUpContext:
    """`FollowUpStore` in the `dialogue_states` table (key ``followup:<chat id>``), so the documents a chat was
    last about survive a restart and are shared by every bot process on the database.

    The context is a convenience: when the database cannot be used, the chat's context is kept in memory
    (`fallback`) and the question is still answered. `rows` returns the row store lazily."""

    KIND = "followup"

    def __init__(self, rows: Callable[[], Any], ttl: float = DEFAULT_TTL_SECONDS) -> None:
        self._rows = rows
        self.ttl = ttl
        self.fallback = FollowUpContext(ttl)

    @staticmethod
    def key(chat_id: int) -> str:
        return f"followup:{chat_id}"

    def get(self, chat_id: int) -> tuple[str, ...]:
        try:
            row = self._rows().get(self.key(chat_id), self.KIND)
        except Exception as exc:
            log.warning("Không đọc được ngữ cảnh hội thoại của chat %s: %r", chat_id, exc)
            return self.fallback.get(chat_id)
        docs = row.data.get("docs") if row is not None and isinstance(row.data, dict) else None
        return tuple(str(d) for d in docs) if isinstance(docs, list) else ()

    def remember(self, chat_id: int, docs: Iterable[str]) -> None:
        """Record the documents a question referred to; an empty list keeps the previous context."""
        from datetime import timedelta

        docs = tuple(dict.fromkeys(d for d in docs if d))
        if not docs:
            return
        try:
            self._rows().put(self.key(chat_id), self.KIND, {"docs": list(docs)}, timedelta(seconds=self.ttl))
        except Exception as exc:
            log.warning("Không lưu được ngữ cảnh hội thoại của chat %s: %r", chat_id, exc)
            self.fallback.remember(chat_id, docs)

    def clear(self, chat_id: int) -> None:
        self.fallback.clear(chat_id)
        try:
            self._rows().pop(self.key(chat_id), self.KIND)
        except Exception as exc:
            log.warning("Không xoá được ngữ cảnh hội thoại của chat %s: %r", chat_id, exc)
