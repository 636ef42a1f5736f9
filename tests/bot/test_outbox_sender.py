"""The outbox in the bot (`bot/outbox_sender.py` over `tasks/outbox.py`) against the fake Telegram server:
nothing dropped in a 429 storm, a failure past the deadline recorded and shown, one chat's messages spaced
and in order, the global rate held by two sender processes sharing one database, and a `kill -9` in the
middle of the morning batch doubling at most K messages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from telegram import Bot

from bot.db_runner import TASKS_KEY, SessionRunner
from bot.outbox_sender import OutboxSender
from bot.sending import Outgoing, deliver
from tasks import outbox
from tasks.db import Database
from tasks.models import OutboxMessage, Reminder
from tasks.outbox_settings import OutboxSettings
from tasks.timeutil import utcnow
from tests.bot_fixtures import FakeEngine, polling, until
from tests.db_fixtures import db_url
from tests.fakes.fake_telegram import FakeTelegram
from tests.tasks.test_tasks_dispatch import AT_8, many_officials

ROOT = Path(__file__).resolve().parents[2]
K = OutboxSettings().in_flight


def ok_by_chat(tg: FakeTelegram) -> Counter:
    return Counter(int(c.params["chat_id"]) for c in tg.call_log("sendMessage") if c.status == 200)


def register(tg: FakeTelegram, *chat_ids: int) -> None:
    for chat_id in chat_ids:
        tg._chat(chat_id, "private", None, {"id": chat_id, "first_name": f"Cán bộ {chat_id}"})


def most_in_a_second(times: list[float]) -> int:
    times = sorted(times)
    return max((sum(1 for t in times if a <= t < a + 1.0) for a in times), default=0)


@contextlib.asynccontextmanager
async def running_app(tg: FakeTelegram, tmp_path: Path, **env: str):
    """The real application (handlers, outbox, rate limiter) polling the fake server."""
    from bot.app import build_application
    from bot.feedback import MemoryAnswerLog
    from troly.config import Settings

    settings = Settings.from_env(
        {
            "TROLY_HOME": str(tmp_path / "home"),
            "TELEGRAM_BOT_TOKEN": tg.token,
            "TELEGRAM_API_BASE_URL": tg.api_url,
            "TROLY_REMINDER_INTERVAL": "0",
            **env,
        },
        dotenv=False,
    )
    app = build_application(settings, FakeEngine(), answers=MemoryAnswerLog(), workers=4, reminders=False)
    async with polling(app):
        yield app


def stats_of(app) -> outbox.OutboxStats:
    store: SessionRunner = app.bot_data[TASKS_KEY]
    return store.call(outbox.stats, utcnow(), utcnow() - timedelta(days=1))


@pytest.mark.slow
async def test_a_30_second_429_storm_delays_every_reply_but_each_arrives_once(
    fake_telegram, tmp_path
) -> None:
    tg = fake_telegram
    async with running_app(tg, tmp_path) as app:
        users = [9000 + i for i in range(50)]
        tg.fail_for(30, status=429, retry_after=1, method="sendMessage")
        storm_ends = time.monotonic() + 30
        for user in users:
            tg.push_message(chat_id=user, user_id=user, text="/help")
        await until(lambda: len(ok_by_chat(tg)) == len(users), timeout=180)
        await until(lambda: stats_of(app).pending == 0, timeout=30)
        assert ok_by_chat(tg) == Counter({user: 1 for user in users})  # every reply, exactly once
        refused = [c for c in tg.call_log("sendMessage") if c.status == 429]
        assert refused and all(c.at < storm_ends + 0.1 for c in refused)
        ok_times = [c.at for c in tg.call_log("sendMessage") if c.status == 200]
        assert min(ok_times) >= storm_ends - 0.1  # nothing got through the storm, nothing was dropped
        report = stats_of(app)
        assert report.failed == 0 and report.sent == len(users)


async def test_a_reply_past_its_deadline_is_recorded_logged_and_shown_to_admins(
    fake_telegram, tmp_path, caplog
) -> None:
    from troly.config import Settings
    from troly.ops.doctor import WARN, run_checks

    caplog.set_level(logging.INFO)
    tg = fake_telegram
    async with running_app(tg, tmp_path, TROLY_OUTBOX_REPLY_DEADLINE="2") as app:
        tg.fail_for(60, status=502, method="sendMessage")  # Telegram's side is down for longer than that
        tg.push_message(chat_id=777, user_id=777, text="/help")
        await until(lambda: stats_of(app).failed == 1, timeout=30)
        (failure,) = stats_of(app).failures
        assert (
            failure.chat_id == 777 and failure.kind == outbox.REPLY and failure.error_kind == outbox.TRANSIENT
        )
        assert failure.attempts >= 2 and "Bad Gateway" in (failure.error or "")
        assert any(
            r.levelno == logging.ERROR and "KHÔNG gửi được" in r.getMessage() and "777" in r.getMessage()
            for r in caplog.records
        )
        settings = Settings.from_env({"TROLY_HOME": str(tmp_path / "home")}, dotenv=False)
        (check,) = [r for r in run_checks(settings) if r.name == "Hộp thư đi"]
        assert check.status == WARN and "1 tin không gửi được" in check.message, check
        # the time as the office reads it, and the hint for a Telegram-side failure
        assert "(giờ Asia/Ho_Chi_Minh)" in check.message and "UTC" not in check.message, check
        assert "api.telegram.org" in check.fix, check


async def test_one_chat_gets_at_most_one_message_a_second_in_order(db: Database, fake_telegram) -> None:
    tg = fake_telegram
    register(tg, 31, 32)
    store = SessionRunner(db_url(db))
    async with Bot(tg.token, base_url=tg.api_url) as bot:
        sender = OutboxSender(bot, store, OutboxSettings(chat_burst=1))
        sender.start()
        try:
            # written one after the other (as one handler's messages are), sent while the next are written
            rows = [
                await sender.submit(Outgoing(31, f"Tin số {i}", notice=True), outbox.NOTICE) for i in range(4)
            ]
            other = deliver(bot, Outgoing(32, "Tin cho người khác"))
            results = await asyncio.gather(other, *(sender.wait(row.id, 30) for row in rows))
        finally:
            await sender.stop()
    assert isinstance(results[0], int) and all(r[0].status == outbox.SENT for r in results[1:])
    calls = [c for c in tg.call_log("sendMessage") if c.params["chat_id"] == 31]
    assert [c.params["text"] for c in calls] == [f"Tin số {i}" for i in range(4)]  # in order
    assert all(b.at - a.at >= 0.9 for a, b in zip(calls, calls[1:], strict=False))  # ≤ 1 per second
    (other,) = [c for c in tg.call_log("sendMessage") if c.params["chat_id"] == 32]
    assert other.at < calls[1].at  # another chat does not wait behind chat 31


async def test_without_an_outbox_deliver_sends_at_once_and_a_malformed_message_raises_either_way(
    db: Database, fake_telegram
) -> None:
    from telegram.error import BadRequest

    tg = fake_telegram
    register(tg, 41)
    store = SessionRunner(db_url(db))
    async with Bot(tg.token, base_url=tg.api_url) as bot:
        assert await deliver(bot, Outgoing(41, "trực tiếp")) is not None
        sender = OutboxSender(bot, store, OutboxSettings())
        sender.start()
        try:
            with pytest.raises(BadRequest):
                await deliver(bot, Outgoing(41, "   "))  # Telegram: "message text is empty"
            assert await deliver(bot, Outgoing(41, "qua hộp thư đi")) is not None
        finally:
            await sender.stop()
    assert [m["text"] for m in tg.sent_messages(41)] == ["trực tiếp", "qua hộp thư đi"]
    with db.session() as s:
        kinds = Counter(s.scalars(select(OutboxMessage.error_kind)))
    assert kinds == Counter({outbox.REFUSED: 1, None: 1})


# --- several processes ------------------------------------------------------------------------------------


# A sender process, kept light: the bot's OutboxSender (and, for MODE "reminders", the reminder dispatcher
# with the outbox as its transport) on PTB's Bot. Arguments: DB_URL API_URL TOKEN MODE NOW_ISO. Prints
# "ready", waits for a line on stdin, then works until nothing is left and exits 0.
CHILD = """
import asyncio, sys, time
from datetime import datetime, timedelta
from telegram import Bot
from bot.outbox_sender import OutboxSender, reminder_send
from bot.db_runner import SessionRunner
from tasks import outbox
from tasks.outbox_settings import OutboxSettings
from tasks.reminders.dispatcher import ReminderDispatcher

url, api_url, token, mode, now_iso = sys.argv[1:]
start, origin = datetime.fromisoformat(now_iso), time.monotonic()
clock = lambda: start + timedelta(seconds=time.monotonic() - origin)

async def main():
    store = SessionRunner(url, clock=clock)
    store.open()
    async with Bot(token, base_url=api_url) as bot:
        sender = OutboxSender(bot, store, OutboxSettings(poll=0.2))
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        sender.start()
        if mode == "reminders":
            d = ReminderDispatcher(store.database(), reminder_send(sender), clock=clock, worker_id="child")
            while (await d.run_once()).claimed:
                pass
        deadline = time.monotonic() + 120
        while store.call(outbox.stats, clock(), clock()).pending and time.monotonic() < deadline:
            await asyncio.sleep(0.2)  # a look at the table under the deadline above
        await sender.stop()
    store.close()

asyncio.run(main())
"""


def start_children(url: str, tg: FakeTelegram, n: int, mode: str, now_iso: str) -> list[subprocess.Popen]:
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, url, tg.api_url, tg.token, mode, now_iso],
            cwd=ROOT,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(n)
    ]
    for child in children:
        line = child.stdout.readline()
        assert line.strip() == "ready", child.stderr.read()
    for child in children:
        child.stdin.write("go\n")
        child.stdin.flush()
    return children


def finish(children: list[subprocess.Popen], timeout: float = 180) -> None:
    for child in children:
        _out, err = child.communicate(timeout=timeout)
        assert child.returncode == 0, err[-3000:]


@pytest.mark.slow
def test_two_sender_processes_keep_the_global_rate_and_send_each_message_once(db: Database) -> None:
    chats = [70_000 + i for i in range(150)]
    with db.session() as s:
        for chat in chats:
            outbox.enqueue(s, outbox.NOTICE, chat, Outgoing(chat, f"Thông báo {chat}", notice=True).to_payload(),
                           now=utcnow())  # fmt: skip
    with FakeTelegram() as tg:
        register(tg, *chats)
        started = time.monotonic()
        finish(start_children(db_url(db), tg, 2, "notices", utcnow().isoformat()))
        took = time.monotonic() - started
        calls = tg.call_log("sendMessage")
    assert ok_by_chat(tg) == Counter(chats) and all(c.status == 200 for c in calls)
    assert most_in_a_second([c.at for c in calls]) <= 30  # Telegram's limit, for both processes together
    assert took >= (len(chats) - 1) / OutboxSettings().rate  # the budget really held them back
    with db.session() as s:
        senders = {w.rsplit(":", 1)[0] for w in s.scalars(select(OutboxMessage.claimed_by))}
    assert len(senders) == 2, senders  # both processes took part


@pytest.mark.slow
def test_kill_9_in_the_middle_of_the_morning_batch_doubles_at_most_k(db: Database, session: Session) -> None:
    """200 reminders due at 08:00 through the outbox; the process is killed with SIGKILL after about 60 have
    arrived, while K sends are on the wire (the fake answers slowly). A second process, started after the
    leases ran out, finishes: nobody is missed, and at most K officials got their reminder twice."""
    with FakeTelegram() as tg:
        people = many_officials(session, tg, 200)
        tg.latency = 0.05  # every call takes 50 ms: K requests are in flight at any moment
        (first,) = start_children(db_url(db), tg, 1, "reminders", AT_8.isoformat())
        tg.wait_for(lambda: sum(ok_by_chat(tg).values()) >= 60, timeout=120)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(30)
        assert first.returncode == -signal.SIGKILL
        at_kill = sum(ok_by_chat(tg).values())
        assert at_kill < 200, "the batch should have been cut in the middle"
        with db.session() as s:
            in_flight = s.scalar(select(func.count()).where(OutboxMessage.claimed_by.is_not(None),
                                                             OutboxMessage.sent_at.is_(None)))  # fmt: skip
        assert in_flight <= K
        tg.latency = 0.0
        later = (AT_8 + timedelta(minutes=6)).isoformat()  # past the reminder lease (5 min) and the outbox's
        finish(start_children(db_url(db), tg, 1, "reminders", later))
        sent = ok_by_chat(tg)
    assert set(sent) == {p.telegram_user_id for p in people}  # nobody missed
    doubled = sum(n - 1 for n in sent.values())
    assert doubled <= K, (doubled, at_kill)
    with db.session() as s:
        assert s.scalar(select(func.count()).where(Reminder.sent_at.is_(None), Reminder.cancelled_at.is_(None),
                                                   Reminder.due_at <= AT_8)) == 0  # fmt: skip


def test_the_outbox_settings_come_from_troly_outbox_variables_and_bad_values_stop() -> None:
    from troly.config import ConfigError, Settings

    env = {"TROLY_OUTBOX_RATE": "30", "TROLY_OUTBOX_IN_FLIGHT": "2", "TROLY_OUTBOX_LEASE": "60",
           "TROLY_OUTBOX_REPLY_DEADLINE": "300", "TROLY_OUTBOX_CHAT_BURST": "1", "TROLY_OUTBOX_POLL": "0.5"}  # fmt: skip
    got = Settings.from_env(env, dotenv=False).bot.outbox
    assert (got.rate, got.in_flight, got.lease, got.reply_deadline, got.chat_burst, got.poll) == (
        30.0, 2, timedelta(seconds=60), timedelta(minutes=5), 1, 0.5,
    )  # fmt: skip
    assert Settings.from_env({}, dotenv=False).bot.outbox == OutboxSettings()
    for name, value in [
        ("TROLY_OUTBOX_RATE", "31"),
        ("TROLY_OUTBOX_IN_FLIGHT", "0"),
        ("TROLY_OUTBOX_LEASE", "x"),
    ]:
        with pytest.raises(ConfigError, match=name):
            Settings.from_env({name: value}, dotenv=False)
