"""The reminder dispatcher against the fake Telegram server, with PTB's real `Bot` as the transport:
exactly-once delivery across a crash and across two processes, 429 storms, obsolete rows, throttling."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from telegram import Bot

from bot.reminders import ptb_send  # the bot's transport for the dispatcher
from tasks.db import Database
from tasks.models import Official, Reminder, Task, Unit
from tasks.normalize import Role
from tasks.reminders import ReminderPolicy, plan_reminders
from tasks.reminders.dispatcher import ReminderDispatcher
from tasks.reminders.settings import update_prefs
from tasks.service import complete_task
from tests.db_fixtures import T0, Org, db_url
from tests.fakes.fake_telegram import FakeTelegram
from tests.tasks.test_tasks_reminders import add_task, link, local

ROOT = Path(__file__).resolve().parents[2]
MON = date(2026, 11, 23)
AT_8 = local(MON, 8)
POLICY = ReminderPolicy()


class Clock:
    """A settable clock for the dispatcher (`clock()` returns `now`)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    with FakeTelegram() as fake:
        yield fake


def register_chats(tg: FakeTelegram, session: Session) -> None:
    """Every linked official has started the bot (the fake only knows chats it has seen)."""
    for tid in session.scalars(
        select(Official.telegram_user_id).where(Official.telegram_user_id.is_not(None))
    ):
        tg.push_message(chat_id=tid, user_id=tid, text="/start")


def ok_sends(tg: FakeTelegram) -> list[dict]:
    return [c.params for c in tg.call_log("sendMessage") if c.status == 200]


def dispatcher(db: Database, bot: Bot, clock: Clock, **kwargs) -> ReminderDispatcher:
    options = {"rate": 200.0, "per_chat_interval": 0.01, "worker_id": "test", **kwargs}
    return ReminderDispatcher(db, ptb_send(bot), policy=POLICY, clock=clock, **options)


@pytest.fixture
async def bot(tg: FakeTelegram) -> Bot:
    async with Bot(tg.token, base_url=tg.api_url) as b:
        yield b


@pytest.fixture
def scene(session: Session, org: Org, tg: FakeTelegram) -> Org:
    """Linked officials, leaders' digests off, three tasks due Monday 23/11 (two for staff_a)."""
    link(org, session)
    for leader in (org.leader_a, org.leader_b):
        update_prefs(session, leader, digest=False, now=T0)
    add_task(session, "NV-1", org.staff_a, MON, source_document="Kết luận 221-KL/TW")
    add_task(session, "NV-2", org.staff_a, MON, content="Rà soát <b>thủ tục</b> & báo cáo")
    add_task(session, "NV-3", org.staff_b, MON)
    register_chats(tg, session)
    return org


# --- tests ---------------------------------------------------------------------------------------------


async def test_a_sweep_sends_each_due_reminder_once(
    db: Database, scene: Org, tg: FakeTelegram, bot: Bot
) -> None:
    clock = Clock(AT_8)
    d = dispatcher(db, bot, clock)
    result = await d.run_once()
    assert (result.claimed, result.sent, result.failed) == (3, 3, 0)
    sends = ok_sends(tg)
    assert sorted(p["chat_id"] for p in sends) == sorted(
        [scene.staff_a.telegram_user_id] * 2 + [scene.staff_b.telegram_user_id]
    )
    text = {m["text"].split("\n")[2]: m for m in tg.sent_messages()}  # third line: the task code
    nv2 = text["NV-2"]
    for label in ("📝 Việc", "👤 Người thực hiện", "🏢 Chủ trì", "📅 Hạn", "📦 Sản phẩm", "✍️ Người giao"):
        assert label in nv2["text"]
    assert "Rà soát <b>thủ tục</b> & báo cáo" in nv2["text"]  # escaped, shown literally
    assert nv2["text"].startswith("⏰ Nhắc việc: hôm nay là hạn chót")
    task_id = db.sessions().scalar(select(Task.id).where(Task.code == "NV-2"))
    data = [b["callback_data"] for row in nv2["reply_markup"]["inline_keyboard"] for b in row]
    assert f"t:p:{task_id}:50" in data and f"t:done:{task_id}" in data and "nv:menu" in data
    # the one card names the assigning document after "Người giao"; its button is "📄 Văn bản giao"
    assert any("· 📄 " in m["text"] and "t:doc:" in str(m["reply_markup"]) and "Văn bản giao" in str(m["reply_markup"])
               for m in tg.sent_messages())  # fmt: skip
    clock.advance(minutes=5)
    again = await d.run_once()
    assert (again.claimed, len(ok_sends(tg))) == (0, 3)


async def test_obsolete_reminders_are_not_sent(db: Database, scene: Org, tg: FakeTelegram, bot: Bot) -> None:
    clock = Clock(local(MON, 7, 30))
    d = dispatcher(db, bot, clock)
    await d.run_once()  # plans today's rows; nothing due before 08:00
    assert ok_sends(tg) == []
    with db.session() as s:
        nv1 = s.scalar(select(Task).where(Task.code == "NV-1"))
        complete_task(s, s.get(Official, scene.staff_a.id), nv1.id, "Đã xong", now=local(MON, 7, 45))
        nv3 = s.scalar(select(Task).where(Task.code == "NV-3"))
        nv3.deadline = MON + timedelta(days=10)  # moved: today's reminder is obsolete
        s.commit()
    clock.now = AT_8
    result = await d.run_once()
    assert [m["text"].split("\n")[2] for m in tg.sent_messages()] == ["NV-2"]
    assert result.sent == 1
    with db.session() as s:
        reasons = Counter(s.scalars(select(Reminder.cancel_reason).where(Reminder.cancelled_at.is_not(None))))
    assert reasons["task_done"] >= 1 and reasons["deadline_moved"] >= 1


async def test_a_429_storm_delays_but_delivers_everything(
    db: Database, scene: Org, tg: FakeTelegram, bot: Bot
) -> None:
    clock = Clock(AT_8)
    d = dispatcher(db, bot, clock)
    tg.fail_next(4, status=429, retry_after=1, method="sendMessage")
    first = await d.run_once()
    assert first.failed >= 1
    for _ in range(6):
        clock.advance(seconds=2)
        await d.run_once()
        if len(ok_sends(tg)) == 3:
            break
    assert sorted(m["text"].split("\n")[2] for m in tg.sent_messages()) == ["NV-1", "NV-2", "NV-3"]
    assert len([c for c in tg.call_log("sendMessage") if c.status == 429]) == 4
    with db.session() as s:
        assert s.scalar(select(func.count()).where(Reminder.sent_at.is_(None), Reminder.cancelled_at.is_(None),
                                                   Reminder.due_at <= AT_8)) == 0  # fmt: skip
        assert s.scalar(select(func.max(Reminder.attempts))) >= 2


async def test_a_long_flood_wait_ends_the_sweep_and_rows_wait_in_the_database(
    db: Database, scene: Org, tg: FakeTelegram, bot: Bot
) -> None:
    clock = Clock(AT_8)
    d = dispatcher(db, bot, clock, concurrency=1)
    tg.fail_next(1, status=429, retry_after=120, method="sendMessage")
    started = asyncio.get_running_loop().time()
    first = await d.run_once()
    assert asyncio.get_running_loop().time() - started < 5  # not 120 s of sleeping inside the sweep
    assert (first.sent, first.failed, first.released) == (0, 1, 2)
    assert (await d.run_once()).claimed == 0  # still paused: nothing is claimed meanwhile
    d.throttle.paused_until = 0  # …two minutes later
    clock.advance(seconds=121)
    assert (await d.run_once()).sent == 3
    assert len(ok_sends(tg)) == 3


async def test_an_unreachable_chat_marks_the_official_and_stops_pushes_until_they_write_again(
    db: Database, session: Session, org: Org, tg: FakeTelegram, bot: Bot
) -> None:
    from tasks.reachability import CHAT_UNREACHABLE, mark_reachable

    link(org, session)
    for leader in (org.leader_a, org.leader_b):
        update_prefs(session, leader, digest=False, now=T0)
    add_task(session, "NV-9", org.staff_b, MON)
    clock = Clock(AT_8)
    d = dispatcher(db, bot, clock)
    result = await d.run_once()  # the fake answers 400 "chat not found": the official never opened the bot
    assert (result.sent, result.failed) == (0, 1)
    with db.session() as s:
        row = s.scalars(select(Reminder).where(Reminder.due_at == AT_8)).one()
        assert not row.is_pending and row.cancel_reason == CHAT_UNREACHABLE
        assert "chat not found" in row.last_error.lower()
        staff_b = s.get(Official, org.staff_b.id)
        assert staff_b.unreachable_since == AT_8
    register_chats(tg, session)
    clock.advance(hours=12)
    assert (await d.run_once()).claimed == 0  # marked: nothing is planned or sent to them
    with db.session() as s:
        assert mark_reachable(s, org.staff_b.telegram_user_id, clock())  # they wrote to the bot again
    d.request_plan()
    clock.advance(days=2)  # Wednesday 25/11: Tuesday 24/11/2026 is a public holiday (Ngày Văn hóa Việt Nam)
    assert (await d.run_once()).sent == 1


async def test_messages_to_one_chat_are_spaced(db: Database, scene: Org, tg: FakeTelegram, bot: Bot) -> None:
    d = dispatcher(db, bot, Clock(AT_8), per_chat_interval=0.3, rate=25.0)
    await d.run_once()
    chat = scene.staff_a.telegram_user_id
    times = [c.at for c in tg.call_log("sendMessage") if c.params["chat_id"] == chat]
    assert len(times) == 2 and times[1] - times[0] >= 0.28


async def test_a_leader_digest_goes_out_with_buttons(
    db: Database, session: Session, org: Org, tg: FakeTelegram, bot: Bot
) -> None:
    link(org, session)
    add_task(session, "NV-5", org.staff_a, MON - timedelta(days=3))  # overdue since Thursday
    update_prefs(session, org.leader_b, digest=False, now=T0)
    register_chats(tg, session)
    await dispatcher(db, bot, Clock(AT_8)).run_once()
    (digest,) = tg.sent_messages(chat_id=org.leader_a.telegram_user_id)
    assert digest["text"].startswith("📋 Tóm tắt công việc thứ Hai, ngày 23/11/2026")
    assert "Quá hạn: 1 nhiệm vụ" in digest["text"]
    assert f"td:o:{org.so_a.id}:1" in str(digest["reply_markup"])


# --- crashes and concurrent processes ----------------------------------------------------------------------


# A dispatcher process, kept light (no pytest, no test modules: it starts in about a second). Arguments:
# DB_URL API_URL TOKEN NOW_ISO CRASH_AFTER BATCH. It prints "ready" once connected and waits for a line on
# stdin (so two processes start together), then sweeps until nothing is left to claim. With CRASH_AFTER ≥ 0
# it dies (os._exit, no cleanup) when asked to send message number CRASH_AFTER + 1, as a killed process would.
CHILD = """
import asyncio, os, sys
from datetime import datetime, timedelta
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter
from tasks.db import Database
from tasks.reminders.dispatcher import PermanentFailure, ReminderDispatcher, RetryLater

url, api_url, token, now_iso, crash_after, batch = sys.argv[1:]
crash, sent, now = int(crash_after), 0, datetime.fromisoformat(now_iso)

async def main():
    global sent
    db = Database.open(url)
    async with Bot(token, base_url=api_url) as bot:
        async def send(chat_id, html, buttons, key=None):
            global sent
            if 0 <= crash <= sent:
                os._exit(3)
            rows = [[InlineKeyboardButton(t, callback_data=d) for t, d in row] for row in buttons]
            try:
                await bot.send_message(chat_id, html, parse_mode="HTML", reply_markup=InlineKeyboardMarkup(rows))
            except RetryAfter as exc:
                value = exc.retry_after
                raise RetryLater(value.total_seconds() if isinstance(value, timedelta) else value) from exc
            except (Forbidden, BadRequest) as exc:
                raise PermanentFailure(str(exc)) from exc
            sent += 1

        d = ReminderDispatcher(db, send, clock=lambda: now, worker_id=f"child-{os.getpid()}", batch_size=int(batch),
                               concurrency=1 if crash >= 0 else 4, rate=40.0, per_chat_interval=0.0)
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        while (await d.run_once()).claimed:
            pass
    db.dispose()

asyncio.run(main())
"""


async def run_children(
    db: Database, tg: FakeTelegram, n: int, *, crash_after: int = -1, batch: int = 4
) -> list[int]:
    """Start `n` dispatcher processes, let them go at the same moment, wait; their exit codes."""
    args = [db_url(db), tg.api_url, tg.token, AT_8.isoformat(), str(crash_after), str(batch)]
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, *args],
            cwd=ROOT,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(n)
    ]
    for child in children:
        line = await asyncio.to_thread(child.stdout.readline)
        assert line.strip() == "ready", child.stderr.read()
    for child in children:
        child.stdin.write("go\n")
        child.stdin.flush()
    codes = []
    for child in children:
        _out, err = await asyncio.to_thread(child.communicate, timeout=90)
        codes.append(child.returncode)
        assert child.returncode in (0, 3), err
    return codes


def many_officials(session: Session, tg: FakeTelegram, n: int) -> list[Official]:
    """`n` linked officials in one unit, each with one task due on Monday (one reminder each)."""
    unit = Unit(name="Phòng Thử tải", created_at=T0)
    people = [
        Official(code=f"P{i:03d}", full_name=f"Cán bộ {i}", unit=unit, role=Role.CAN_BO, telegram_user_id=50_000 + i,
                 created_at=T0, updated_at=T0)
        for i in range(n)
    ]  # fmt: skip
    session.add_all([unit, *people])
    session.commit()
    for p in people:
        add_task(session, f"L{p.code}", p, MON)
    register_chats(tg, session)
    return people


def per_chat(tg: FakeTelegram) -> Counter:
    return Counter(p["chat_id"] for p in ok_sends(tg))


async def test_a_crash_mid_batch_loses_nothing_and_doubles_nothing(
    db: Database, session: Session, tg: FakeTelegram, bot: Bot
) -> None:
    people = many_officials(session, tg, 12)
    assert await run_children(db, tg, 1, crash_after=5, batch=50) == [3]
    assert len(ok_sends(tg)) == 5
    clock = Clock(AT_8 + timedelta(minutes=1))
    d = dispatcher(db, bot, clock)
    assert (await d.run_once()).sent == 0  # the dead worker's lease still holds the other seven
    clock.now = AT_8 + POLICY.lease + timedelta(seconds=1)
    assert (await d.run_once()).sent == 7
    assert per_chat(tg) == Counter({p.telegram_user_id: 1 for p in people})


async def test_two_processes_send_each_reminder_exactly_once(
    db: Database, session: Session, tg: FakeTelegram
) -> None:
    people = many_officials(session, tg, 40)
    plan_reminders(session, AT_8, POLICY)  # the rows exist; both processes plan again anyway (idempotent)
    assert await run_children(db, tg, 2, batch=3) == [0, 0]
    assert per_chat(tg) == Counter({p.telegram_user_id: 1 for p in people})
    assert len(tg.call_log("sendMessage")) == 40
    with db.session() as s:
        workers = set(s.scalars(select(Reminder.claimed_by).where(Reminder.sent_at.is_not(None))))
    assert len({w.rsplit(":", 1)[0] for w in workers}) == 2  # both processes really took part
