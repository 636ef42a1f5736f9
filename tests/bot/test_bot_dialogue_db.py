"""The database-backed dialogue stores of the bot (`bot.dialogue`), on a real SQLite database: what one
application stores another one (a restart, a second process) reads; the protocol's expiry semantics hold."""

from __future__ import annotations

import pytest

from bot.dialogue import DatabaseDialogueStore, DatabaseFollowUpContext


@pytest.fixture
def rows(tmp_path):
    from tasks.db import Database
    from tasks.dialogue_state import DialogueStore

    db = Database.open(f"sqlite:///{tmp_path / 'troly.db'}")
    yield lambda: DialogueStore(db.sessions)
    db.dispose()


def test_a_step_put_by_one_store_is_read_updated_and_popped_by_another(rows) -> None:
    clock = [1000.0]
    first = DatabaseDialogueStore(rows, ttl=600, clock=lambda: clock[0])
    second = DatabaseDialogueStore(rows, ttl=600, clock=lambda: clock[0])  # another process
    first.put(7, "result", {"task_id": 86, "chat_id": 7})
    first.put(7, "review", {"task_id": 71})
    item = second.get(7, "result")
    assert (item.kind, item.state, item.expires) == ("result", {"task_id": 86, "chat_id": 7}, 1600.0)
    clock[0] = 1300.0
    second.update(7, "result", {"task_id": 86, "chat_id": 7, "prompt": 12})
    assert first.get(7, "result").state["prompt"] == 12 and first.get(7, "result").expires == 1600.0
    clock[0] = 1700.0  # past its expiry: still returned (the caller says so), and marked expired
    late = first.get(7, "result")
    assert late is not None and first.expired(late)
    assert second.pop(7, "result").state["prompt"] == 12
    assert first.pop(7, "result") is None and first.get(7, "result") is None
    assert second.get(7, "review").state == {"task_id": 71}  # one step per (user, kind)
    assert second.get(8, "review") is None
    second.update(8, "review", {"x": 1})  # nothing to update: nothing created
    assert first.get(8, "review") is None


def test_the_follow_up_context_is_shared_and_expires(rows) -> None:
    first = DatabaseFollowUpContext(rows, ttl=600)
    first.remember(42, ["57-NQ/TW", "57-NQ/TW", ""])
    first.remember(42, [])  # an answer without references keeps the context
    assert DatabaseFollowUpContext(rows, ttl=600).get(42) == ("57-NQ/TW",)
    assert first.get(43) == ()
    first.clear(42)
    assert DatabaseFollowUpContext(rows).get(42) == ()
    short = DatabaseFollowUpContext(rows, ttl=0)
    short.remember(44, ["221-KL/TW"])
    assert short.get(44) == ()  # expired at once


def test_the_follow_up_context_falls_back_to_memory_when_the_database_fails() -> None:
    def broken():
        raise RuntimeError("database is down")

    context = DatabaseFollowUpContext(broken, ttl=600)
    context.remember(5, ["57-NQ/TW"])
    assert context.get(5) == ("57-NQ/TW",)
    context.clear(5)
    assert context.get(5) == ()
