"""Where multi-step dialogues keep their state: one row per conversation in `dialogue_states`.

Why the database and not the bot's memory: a form half filled in must survive a restart, and when two bot
processes share one database a button pressed in one is followed by a message the other receives. So every
operation is one short transaction of its own, and the two that race are atomic on both backends:
- `put` is an upsert (`INSERT … ON CONFLICT (key) DO UPDATE`), so two processes writing the same key never
  fail on the primary key and the later write wins whole;
- `pop` is `DELETE … RETURNING`, so when two processes handle the same final step only one gets the state.
A row past its `expires_at` is never returned; `expire` deletes such rows (a periodic sweep).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from tasks.models import DialogueState
from tasks.timeutil import as_utc, utcnow

DEFAULT_TTL = timedelta(minutes=30)
MAX_KEY_LENGTH = 200


def conversation_key(chat_id: int, user_id: int) -> str:
    """ "chat:<chat id>:user:<user id>": one dialogue per person per chat (a group keeps each member's)."""
    return f"chat:{chat_id}:user:{user_id}"


@dataclass(frozen=True)
class Dialogue:
    """A stored dialogue: its `kind` ("giaoviec", "giahan"…), JSON `data` and when it expires (UTC)."""

    key: str
    kind: str
    data: Any
    expires_at: datetime


class DialogueStore:
    """get / put / pop / expire over `dialogue_states`; each call commits its own short transaction.

    `sessions`: a session factory (`Database.sessions`); `clock`: returns the current UTC instant (tests
    inject one). Data must be JSON-serialisable (dicts, lists, strings, numbers, booleans, None).
    """

    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime] = utcnow) -> None:
        self.sessions = sessions
        self.clock = clock

    def _now(self) -> datetime:
        return as_utc(self.clock())

    def get(self, key: str, kind: str | None = None) -> Dialogue | None:
        """The live dialogue under `key` (of `kind`, when given), or None (absent, expired, other kind)."""
        with self.sessions() as session:
            row = session.get(DialogueState, key)
            if row is None or row.expires_at <= self._now() or (kind is not None and row.kind != kind):
                return None
            return Dialogue(row.key, row.kind, row.data, row.expires_at)

    def put(self, key: str, kind: str, data: Any, ttl: timedelta = DEFAULT_TTL) -> Dialogue:
        """Store `data` under `key` (replacing whatever was there), live for `ttl` from now."""
        if not key or len(key) > MAX_KEY_LENGTH:
            raise ValueError(f"Khóa hội thoại phải dài 1–{MAX_KEY_LENGTH} ký tự.")
        now = self._now()
        values = {"key": key, "kind": kind, "data": data, "expires_at": now + ttl, "updated_at": now}
        with self.sessions() as session:
            dialect = session.get_bind().dialect.name
            insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(DialogueState)
            statement = insert.values(**values).on_conflict_do_update(
                index_elements=[DialogueState.key],
                set_={name: insert.excluded[name] for name in ("kind", "data", "expires_at", "updated_at")},
            )
            session.execute(statement)
            session.commit()
        return Dialogue(key, kind, data, values["expires_at"])

    def pop(self, key: str, kind: str | None = None) -> Dialogue | None:
        """Remove and return the live dialogue under `key` (of `kind`, when given); None if there is none.

        Atomic: of two processes popping the same key at once, exactly one receives the dialogue.
        """
        now = self._now()
        conditions = [DialogueState.key == key, DialogueState.expires_at > now]
        if kind is not None:
            conditions.append(DialogueState.kind == kind)
        with self.sessions() as session:
            row = session.execute(
                delete(DialogueState)
                .where(*conditions)
                .returning(
                    DialogueState.key, DialogueState.kind, DialogueState.data, DialogueState.expires_at
                )
            ).first()
            session.commit()
        return Dialogue(row[0], row[1], row[2], as_utc(row[3])) if row is not None else None

    def expire(self) -> int:
        """Delete every dialogue past its expiry; returns how many."""
        with self.sessions() as session:
            result = session.execute(delete(DialogueState).where(DialogueState.expires_at <= self._now()))
            session.commit()
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def keys(self) -> list[str]:
        """Keys of the live dialogues (for diagnostics and tests)."""
        with self.sessions() as session:
            return list(
                session.scalars(select(DialogueState.key).where(DialogueState.expires_at > self._now()))
            )
