"""The document index's generation number, shared through the database by every bot process.

Why: each bot process holds the document index in memory (passages, the lexical index). When an
administrator adds or removes a document in chat, one process re-indexes it; the others must notice and
reload, within seconds, without a message bus. The process that changed the index bumps the number
(`bump`); every process reads it every few seconds (`current`) and reloads when it grew.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tasks.models import IndexGeneration
from tasks.timeutil import as_utc, utcnow

CORPUS = "corpus"  # the one index today


def current(session: Session, key: str = CORPUS) -> int:
    """The generation of index `key` (0 when it was never bumped)."""
    value = session.scalar(select(IndexGeneration.generation).where(IndexGeneration.key == key))
    return int(value or 0)


def bump(session: Session, by: str, *, now: datetime | None = None, key: str = CORPUS) -> int:
    """Add one to the generation of index `key` and commit; returns the new number.

    Atomic on both backends (an upsert adding one in the database), so two processes bumping at once get
    two different numbers. `by`: who changed the index (e.g. "telegram:123"), for diagnostics.
    """
    moment = as_utc(now) if now else utcnow()
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(IndexGeneration)
    statement = (
        insert.values(key=key, generation=1, changed_at=moment, changed_by=by)
        .on_conflict_do_update(
            index_elements=[IndexGeneration.key],
            set_={
                "generation": IndexGeneration.generation + 1,
                "changed_at": insert.excluded.changed_at,
                "changed_by": insert.excluded.changed_by,
            },
        )
        .returning(IndexGeneration.generation)
    )
    value = session.execute(statement).scalar_one()
    session.commit()
    return int(value)
