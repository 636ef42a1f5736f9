"""The index generation counter shared by bot processes (migration 0006_index_generation)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tasks.db import Database
from tasks.index_generation import bump, current
from tests.db_fixtures import T0


def test_the_generation_starts_at_zero_and_each_bump_is_seen_by_another_connection(
    db: Database, session: Session
) -> None:
    assert current(session) == 0
    assert bump(session, "telegram:1", now=T0) == 1
    with db.session() as other:  # another connection, as another bot process
        assert current(other) == 1
        assert bump(other, "telegram:2") == 2
    assert current(session) == 2
    assert current(session, key="other") == 0
