"""End to end: the reminder job inside ``troly bot`` (child processes) against the fake Telegram server, with
the test-only clock ``TROLY_FAKE_NOW`` at Monday 23/11/2026 08:00 in Hà Nội and a sweep every second.

- Two bot processes on one PostgreSQL database, started together, 300 reminders due: each arrives exactly
  once (counted as sendMessage calls on the fake), and both processes take part.
- A 429 storm from the fake: the reminder is delivered later, once, without the rate limiter sleeping
  through it (SQLite database in TROLY_HOME).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.bot_fixtures import READY_LOG, BotProcess, copy_home, start_bot_process
from tests.db_fixtures import build_org
from tests.fakes.fake_telegram import FakeTelegram

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

FAKE_NOW = "2026-11-23T08:00:00+07:00"
MON = date(2026, 11, 23)
MONDAY_8 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
USER = 4343
CROWD = 60_000  # chat ids of the crowd of officials in the two-process test
FIRST_SWEEP = "Nhắc việc: lượt quét đầu tiên xong"
CONTENT = "Báo cáo sơ kết <b>6 tháng</b> & đề xuất nhiệm vụ"


def prepare_database(url: str, crowd: int = 0) -> list[int]:
    """The small hand-made org; one linked official (cán bộ) with one task due on Monday, and ``crowd``
    more linked officials in another unit with one such task each. Returns every linked chat id."""
    from tasks.db import Database
    from tasks.models import Official, Unit
    from tasks.normalize import Role
    from tests.db_fixtures import T0
    from tests.tasks.test_tasks_reminders import add_task

    db = Database.open(url)
    try:
        with db.session() as s:
            org = build_org(s)
            org.staff_a.telegram_user_id = USER
            s.commit()
            add_task(s, "NV-901", org.staff_a, MON, content=CONTENT)
            unit = Unit(name="Phòng Thử tải", parent=org.tinh, created_at=T0)
            people = [
                Official(code=f"P{i:03d}", full_name=f"Cán bộ {i}", unit=unit, role=Role.CAN_BO,
                         telegram_user_id=CROWD + i, created_at=T0, updated_at=T0)
                for i in range(crowd)
            ]  # fmt: skip
            s.add_all([unit, *people])
            s.commit()
            for person in people:
                add_task(s, f"L{person.code}", person, MON)
    finally:
        db.dispose()
    return [USER, *(CROWD + i for i in range(crowd))]


def register_chats(tg: FakeTelegram, chat_ids: list[int]) -> None:
    """Every linked official has opened the bot once (the fake only knows chats it has seen)."""
    for chat_id in chat_ids:
        tg._chat(chat_id, "private", None, {"id": chat_id, "first_name": f"Cán bộ {chat_id}"})


def calls_to_user(tg: FakeTelegram) -> list:
    return [c for c in tg.call_log("sendMessage") if str(c.params.get("chat_id")) == str(USER)]


def start(tg: FakeTelegram, home: Path, **env: str) -> BotProcess:
    return start_bot_process(
        tg, home, home / "bot.log", TROLY_FAKE_NOW=FAKE_NOW, TROLY_REMINDER_INTERVAL="1", **env
    )


def stop(bots: list[BotProcess]) -> None:
    codes = []
    for bot in bots:
        # A graceful stop of a ready bot: a stop signal while the model is still loading waits for the load
        # (seconds on a quiet machine, much longer under load), which is not what these tests are about.
        if bot.proc.poll() is None:
            bot.wait_log(READY_LOG, timeout=300)
        codes.append(bot.terminate())
        bot.kill()
    for bot, code in zip(bots, codes, strict=True):
        assert code == 0, bot.log()[-3000:]
        assert "Traceback" not in bot.log(), bot.log()[-3000:]
        assert "Rate limit hit" not in bot.log(), bot.log()[-3000:]


def senders(url: str) -> set[str]:
    """The processes (host:pid) that sent reminders."""
    from tasks.db import Database
    from tasks.models import Reminder

    db = Database.open(url)
    try:
        with db.session() as s:
            return set(s.scalars(select(Reminder.claimed_by).where(Reminder.sent_at.is_not(None))))
    finally:
        db.dispose()


def unsent_due(url: str) -> int:
    """Reminder rows due by Monday 08:00 that are neither sent nor cancelled."""
    from sqlalchemy import func

    from tasks.db import Database
    from tasks.models import Reminder

    db = Database.open(url, migrate=False)
    try:
        with db.session() as s:
            return s.scalar(
                select(func.count()).where(
                    Reminder.sent_at.is_(None), Reminder.cancelled_at.is_(None), Reminder.due_at <= MONDAY_8
                )
            )
    finally:
        db.dispose()


def sent_row(url: str):
    from tasks.db import Database
    from tasks.models import Reminder, Task

    db = Database.open(url)
    try:
        with db.session() as s:
            rows = s.scalars(select(Reminder).join(Task).where(Task.code == "NV-901")).all()
            # Rows due on Monday (tomorrow's "overdue" reminder is already planned, not yet due).
            return [
                (r.sent_at is not None, r.attempts)
                for r in rows
                if r.cancelled_at is None and r.due_at.replace(tzinfo=UTC) <= MONDAY_8
            ]
    finally:
        db.dispose()


@pytest.mark.postgres
def test_two_bot_processes_on_one_postgresql_database_send_each_reminder_once(
    pg_databases, troly_home, tmp_path_factory
):
    """300 reminders due at once (more than one claim batch of 200, ~25 messages/s per process): both
    processes take part, and every official gets exactly one message."""
    pg_url = pg_databases.create()
    url = pg_url.render_as_string(hide_password=False)
    try:
        chats = prepare_database(url, crowd=299)
        with FakeTelegram() as tg:
            register_chats(tg, chats)
            homes = [copy_home(troly_home, tmp_path_factory, f"reminder_bot_{i}") for i in range(2)]
            bots = [start(tg, home, TROLY_DATABASE_URL=url) for home in homes]
            try:
                for bot in bots:
                    bot.wait_log(FIRST_SWEEP, timeout=180)
                tg.wait_for(lambda: len(tg.call_log("sendMessage")) >= len(chats), timeout=120)
                # Every due row marked sent: no row can be claimed again, so no send can come after this.
                tg.wait_for(lambda: unsent_due(url) == 0, timeout=120)
                calls = tg.call_log("sendMessage")
                assert all(c.status == 200 for c in calls), {(c.status, c.error) for c in calls}
                assert Counter(int(c.params["chat_id"]) for c in calls) == Counter(chats)
                (message,) = tg.sent_messages(chat_id=USER)
                assert message["text"].startswith("⏰ Nhắc việc: hôm nay là hạn chót\n\nNV-901")
                assert CONTENT in message["text"]  # escaped by the bot, shown literally
                assert "📅 Hạn: 23/11/2026 (hạn là hôm nay)" in message["text"]
                data = [b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row]
                assert "nv:menu" in data and any(d.startswith("t:done:") for d in data)
            finally:
                stop(bots)
        assert sent_row(url) == [(True, 1)]
        assert len(senders(url)) == 2, "both processes should have sent part of the batch"
    finally:
        pg_databases.drop(pg_url)


def test_a_429_storm_delays_the_reminder_but_it_arrives_once(troly_home, tmp_path_factory):
    home = copy_home(troly_home, tmp_path_factory, "reminder_bot_429")
    url = f"sqlite:///{home / 'troly.db'}"
    chats = prepare_database(url)
    with FakeTelegram() as tg:
        register_chats(tg, chats)
        tg.fail_next(3, status=429, retry_after=1, method="sendMessage")
        bot = start(tg, home)
        try:
            tg.wait_for(lambda: [c for c in calls_to_user(tg) if c.status == 200], timeout=180)
            tg.wait_for(lambda: unsent_due(url) == 0, timeout=60)  # marked: it cannot be sent again
            calls = calls_to_user(tg)
            assert [c.status for c in calls] == [429, 429, 429, 200], [(c.status, c.error) for c in calls]
            # Telegram's retry_after (1 s) was obeyed between tries, by the dispatcher (not slept through).
            assert all(b.at - a.at >= 0.9 for a, b in zip(calls, calls[1:], strict=False))
            (message,) = tg.sent_messages(chat_id=USER)
            assert message["text"].startswith("⏰ Nhắc việc: hôm nay là hạn chót\n\nNV-901")
        finally:
            stop([bot])
    assert sent_row(url) == [(True, 4)]
