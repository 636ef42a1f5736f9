"""The outbox's rows and shared budget on SQLite and PostgreSQL: idempotent hand-over, claims that never
overlap and keep one chat's order, retries up to the deadline, and the rate scopes."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import select

from tasks import outbox
from tasks.db import Database
from tasks.models import OutboxBudget, OutboxMessage
from tests.db_fixtures import T0

FAST = outbox.OutboxSettings(rate=1000.0, chat_burst=1, group_per_minute=20)


def test_a_keyed_enqueue_is_idempotent_and_a_failed_row_is_armed_again(db: Database) -> None:
    with db.session() as s:
        first = outbox.enqueue(s, outbox.REMINDER, 7, {"html": "a"}, now=T0, key="reminder:1")
        again = outbox.enqueue(s, outbox.REMINDER, 7, {"html": "a"}, now=T0, key="reminder:1")
        assert first.id == again.id and again.status == outbox.PENDING
        claimed = outbox.claim(s, "w", T0)
        assert claimed is not None and claimed.id == first.id
        # a reminder row is tried once per hand-over: the reminder queue retries it
        failed = outbox.mark_failed(s, claimed, T0, outbox.TRANSIENT, "502 Bad Gateway")
        assert failed is not None and failed.status == outbox.FAILED
        rearmed = outbox.enqueue(
            s, outbox.REMINDER, 7, {"html": "b"}, now=T0 + timedelta(minutes=1), key="reminder:1"
        )
        assert rearmed.status == outbox.PENDING and rearmed.id == first.id
        claimed = outbox.claim(s, "w", T0 + timedelta(minutes=1))
        assert claimed.payload == {"html": "b"}
        assert outbox.mark_sent(s, claimed, T0 + timedelta(minutes=1), 42)
        done = outbox.enqueue(
            s, outbox.REMINDER, 7, {"html": "b"}, now=T0 + timedelta(minutes=2), key="reminder:1"
        )
        assert (done.status, done.message_id) == (outbox.SENT, 42)
        assert outbox.claim(s, "w", T0 + timedelta(minutes=3)) is None
        assert s.scalar(select(OutboxMessage.attempts)) == 2


def test_one_chat_at_a_time_in_order_and_replies_first(db: Database) -> None:
    with db.session() as s:
        a1 = outbox.enqueue(s, outbox.NOTICE, 1, {"n": 1}, now=T0)
        a2 = outbox.enqueue(s, outbox.NOTICE, 1, {"n": 2}, now=T0)
        b1 = outbox.enqueue(s, outbox.REPLY, 2, {"n": 3}, now=T0)
        first = outbox.claim(s, "w", T0)
        second = outbox.claim(s, "w", T0)
        assert (first.id, second.id) == (b1.id, a1.id)  # the reply first; then chat 1's oldest
        assert outbox.claim(s, "w", T0) is None  # a2 waits for a1 (order within a chat)
        assert outbox.mark_sent(s, second, T0, 10)
        third = outbox.claim(s, "w", T0)
        assert third.id == a2.id
        # a lease that ran out (the process died) frees the row for another process; the old holder's
        # mark is refused
        later = T0 + outbox.DEFAULT_SETTINGS.lease + timedelta(seconds=1)
        retaken = outbox.claim(s, "other", later)
        assert retaken.id in (b1.id, a2.id)
        stale = first if retaken.id == b1.id else third
        assert not outbox.mark_sent(s, stale, later, 11)


def test_a_reply_is_retried_until_its_deadline_then_recorded_as_failed(db: Database) -> None:
    with db.session() as s:
        row = outbox.enqueue(s, outbox.REPLY, 5, {"html": "x"}, now=T0)
        now = T0
        tries = 0
        while True:
            claimed = outbox.claim(s, "w", now)
            if claimed is None:
                break
            tries += 1
            state = outbox.mark_failed(s, claimed, now, outbox.RATE_LIMITED, "429", retry_after=30)
            if state.final:
                break
            assert outbox.states(s, [row.id])[row.id].status == outbox.PENDING
            assert outbox.claim(s, "w", now + timedelta(seconds=29)) is None  # retry_after honoured
            now += timedelta(seconds=30)
        assert tries == 31  # at 0 s, 30 s, …, 15 min: the next one would be past the deadline
        final = outbox.states(s, [row.id])[row.id]
        assert (final.status, final.error_kind, final.attempts) == (outbox.FAILED, outbox.RATE_LIMITED, 31)
        report = outbox.stats(s, now, T0)
        assert report.failed == 1 and report.pending == 0 and report.failures[0].chat_id == 5


def test_unreachable_and_refused_are_final_at_once(db: Database) -> None:
    with db.session() as s:
        for kind in (outbox.UNREACHABLE, outbox.REFUSED):
            outbox.enqueue(s, outbox.REPLY, 9, {}, now=T0)
            claimed = outbox.claim(s, "w", T0)
            assert outbox.mark_failed(s, claimed, T0, kind, "Forbidden").status == outbox.FAILED


def test_the_budget_spaces_a_chat_and_a_pause_stops_everything(db: Database) -> None:
    settings = outbox.OutboxSettings(rate=1000.0, chat_burst=2, group_per_minute=3)
    with db.session() as s:
        assert outbox.reserve(s, 1, settings) == 0.0
        assert outbox.reserve(s, 1, settings) == 0.0
        wait = outbox.reserve(s, 1, settings)  # a third message to chat 1 within 2 s
        assert 0 < wait <= 2.0
        assert outbox.reserve(s, 2, settings) == 0.0  # another chat is not held back
        for _ in range(2):  # the group scope allows 3 a minute and the chat scope a burst of 2: no wait
            assert outbox.reserve(s, -100, settings) == 0.0
        assert outbox.reserve(s, -100, settings) > 0  # chat scope (2 in 2 s)
        outbox.pause_all(s, 5)
        assert outbox.reserve(s, 3, settings) >= 4.5


def test_a_settled_send_counts_the_chat_window_from_telegrams_answer(db: Database) -> None:
    """A slow request must not let the next one to the same chat arrive within the window of its own
    arrival: after `settle`, the wait is measured from the answer, not from the reservation."""
    settings = outbox.OutboxSettings(rate=1000.0, chat_burst=1)
    with db.session() as s:
        assert outbox.reserve(s, 7, settings) == 0.0
        # the request to Telegram took 0.3 s: the reservation lies that far back (set, not slept through)
        row = s.get(OutboxBudget, "chat:7")
        row.stamps = [stamp - 0.3 for stamp in row.stamps]
        s.commit()
        before = outbox.reserve(s, 7, settings)  # the window still counts from the reservation: ≤ 0.7 s
        outbox.settle(s, 7, settings)
        after = outbox.reserve(s, 7, settings)  # now from the answer: close to the full second
        assert 0 < before <= 0.75 and after > 0.9 and after > before + 0.2
        outbox.settle(s, 8, settings)  # a chat with no reservation: nothing to move, no error
        assert outbox.reserve(s, 8, settings) == 0.0


def test_the_global_rate_holds_for_threads_sharing_the_database(db: Database) -> None:
    """Eight threads (own connections) reserving for different chats: never two sends closer than
    1/rate s — the scope "all" is one locked row, whatever the process or thread."""
    settings = outbox.OutboxSettings(rate=50.0, chat_burst=100)
    stamps: list[float] = []
    lock = threading.Lock()

    def worker(base: int) -> None:
        deadline = time.monotonic() + 60
        for i in range(10):
            with db.session() as s:
                while (wait := outbox.reserve(s, base + i, settings)) > 0:
                    assert time.monotonic() < deadline, "the budget kept a sender waiting for a minute"
                    time.sleep(wait)  # not a fixed pause: exactly the wait the budget returned
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=worker, args=(1000 * t,)) for t in range(8)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(stamps) == 80
    assert time.monotonic() - started >= 79 / 50 - 0.05  # 80 sends at 50/s take ≥ 1.58 s
    stamps.sort()
    in_any_second = max(sum(1 for t in stamps if a <= t < a + 1) for a in stamps)
    assert in_any_second <= 51


def test_the_migration_adds_and_removes_the_outbox(empty_db_url: str) -> None:
    from sqlalchemy import inspect

    from tasks.db import current_revision, downgrade, head_revision, make_engine, upgrade

    engine = make_engine(empty_db_url)
    try:
        upgrade(engine, "0004_cycle")
        assert "outbox" not in inspect(engine).get_table_names()
        upgrade(engine, "0005_outbox")
        assert {"outbox", "outbox_budget"} <= set(inspect(engine).get_table_names())
        downgrade(engine, "0004_cycle")
        assert not {"outbox", "outbox_budget"} & set(inspect(engine).get_table_names())
        upgrade(engine)
        assert current_revision(engine) == head_revision()  # later revisions follow this one
    finally:
        engine.dispose()
