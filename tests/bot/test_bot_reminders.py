"""Reminders wired into the bot, in process: the application's own dispatcher (its ExtBot, rate limiter, task
store database and clock) against the fake Telegram server, on the example database — exactly once, a 429
storm delivered later without the rate limiter sleeping through it, the reminder's buttons, the leaders'
digest, the JobQueue job, and the test-only clock ``TROLY_FAKE_NOW``.

Monday 23/11/2026 08:00 in Hà Nội is the reminder hour; CB010 Lê Hồng Mai (cán bộ) gets a task due that day
(NV-900) besides her overdue NV-002; CB006 Hồ Hữu Thảo leads Sở Nội vụ.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot import texts
from bot.db_runner import clock_from_settings
from bot.reminders import NO_RETRY
from tests.bot.task_bot_fixtures import button, buttons, task_bot
from tests.bot_fixtures import until
from troly.config import ConfigError, Settings

MAI, THAO = 1010, 1006
MON = date(2026, 11, 23)
AT_8 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


class SweepCounter:
    done = 0


def count_sweeps(dispatcher) -> SweepCounter:
    """Count the dispatcher's completed sweeps (whoever runs them: the job queue or the test)."""
    counter = SweepCounter()
    run_once = dispatcher.run_once

    async def counted():
        result = await run_once()
        if not result.busy:
            counter.done += 1
        return result

    dispatcher.run_once = counted
    return counter


def register_chat(tg, user_id: int) -> None:
    """The official has opened the bot once (the fake only knows chats it has seen)."""
    tg._chat(user_id, "private", None, {"id": user_id, "first_name": f"Cán bộ {user_id}"})


def add_task(bot, code: str, official_code: str, deadline: date, **values):
    from tasks.models import Official
    from tests.tasks.test_tasks_reminders import add_task as add

    with bot.db.session() as s:
        official = s.scalar(select(Official).where(Official.code == official_code))
        return add(s, code, official, deadline, **values).id


def reminders_to(bot, chat_id: int) -> list[dict]:
    return [
        m for m in bot.replies(chat_id) if m["text"].startswith(("⏰ Nhắc việc", "⚠️ Nhiệm vụ đã quá hạn"))
    ]


def ok_sends(bot, chat_id: int | None = None) -> list:
    return [
        c
        for c in bot.tg.call_log("sendMessage")
        if c.status == 200 and (chat_id is None or c.params["chat_id"] == chat_id)
    ]


@pytest.fixture
async def rbot(fake_telegram, tmp_path, caplog):
    """The bot at Monday 08:00, Mai linked and registered, a task of hers due today."""
    caplog.set_level(logging.INFO)
    clock = Clock(AT_8)
    async with task_bot(fake_telegram, tmp_path, clock=clock) as bot:
        bot.clock = clock
        bot.link("CB010", MAI)
        register_chat(fake_telegram, MAI)
        bot.nv900 = add_task(bot, "NV-900", "CB010", MON, source_document="Kết luận 221-KL/TW")
        bot.dispatcher.throttle.per_chat_interval = 0.05  # keep the tests fast
        yield bot
    errors = [r for r in caplog.records if r.name == "bot.errors" or r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


async def test_a_due_reminder_arrives_once_with_the_six_fields_and_buttons(rbot):
    result = await rbot.dispatcher.run_once()
    assert result.failed == 0 and result.sent >= 2
    got = reminders_to(rbot, MAI)
    (due,) = [m for m in got if "NV-900" in m["text"]]
    assert due["text"].startswith("⏰ Nhắc việc: hôm nay là hạn chót\n\nNV-900")
    # The one task card (tasks.task_card), the same as under /viec.
    for label in ("📝 Việc:", "👤 Người thực hiện: Lê Hồng Mai (CB010)", "🏢 Chủ trì: Sở Tài chính",
                  "📅 Hạn: 23/11/2026 (hạn là hôm nay)", "📦 Sản phẩm:", "✍️ Người giao:",
                  "📄 Kết luận 221-KL/TW"):  # fmt: skip
        assert label in due["text"], label
    data = [b["callback_data"] for b in buttons(due)]
    assert [d for d in data if d.startswith("t:p:")] == [
        f"t:p:{rbot.nv900}:{p}" for p in (0, 25, 50, 75, 100)
    ]
    assert f"t:p:{rbot.nv900}:50" in data and f"t:done:{rbot.nv900}" in data
    assert f"t:doc:{rbot.nv900}" in data and "nv:menu" in data
    (overdue,) = [m for m in got if "NV-002" in m["text"]]
    assert overdue["text"].startswith("⚠️ Nhiệm vụ đã quá hạn 66 ngày")
    count = len(ok_sends(rbot))
    assert count == len(got) == result.sent
    rbot.clock.advance(minutes=5)
    again = await rbot.dispatcher.run_once()
    assert (again.claimed, again.sent) == (0, 0) and len(ok_sends(rbot)) == count


async def test_a_429_storm_is_not_slept_through_by_the_rate_limiter_and_everything_arrives_later(
    rbot, caplog
):
    rbot.tg.fail_next(3, status=429, retry_after=1, method="sendMessage")
    first = await rbot.dispatcher.run_once()
    assert first.failed >= 1
    # Each claimed message was tried once: PTB's rate limiter did not wait out the 429 and resend by itself.
    assert len(rbot.tg.call_log("sendMessage")) == first.claimed
    for _ in range(10):
        if {"NV-900", "NV-002"} <= {m["text"].split("\n")[2] for m in reminders_to(rbot, MAI)}:
            break
        rbot.clock.advance(seconds=2)
        await rbot.dispatcher.run_once()
    codes = [m["text"].split("\n")[2] for m in reminders_to(rbot, MAI)]
    assert sorted(codes) == sorted(set(codes)) and {"NV-900", "NV-002"} <= set(codes)  # each once
    assert len([c for c in rbot.tg.call_log("sendMessage") if c.status == 429]) == 3
    assert not [r for r in caplog.records if "Rate limit hit" in r.getMessage()]
    from tasks.models import Reminder

    with rbot.db.session() as s:
        rows = s.scalars(select(Reminder).where(Reminder.sent_at.is_not(None))).all()
        assert max(r.attempts for r in rows) >= 2
        assert any("RetryLater" in (r.last_error or "") for r in rows) is False  # cleared once sent


async def test_rate_limit_args_no_retry_sends_once_through_the_limiter(rbot):
    tg = rbot.tg
    tg.fail_next(1, status=429, retry_after=5, method="sendMessage")
    from telegram.error import RetryAfter

    with pytest.raises(RetryAfter):
        await rbot.application.bot.send_message(MAI, "thử", rate_limit_args=NO_RETRY)
    assert len(tg.call_log("sendMessage")) == 1
    # Ordinary replies still wait out a 429 and retry (the limiter's default).
    tg.fail_next(1, status=429, retry_after=1, method="sendMessage")
    await rbot.application.bot.send_message(MAI, "thử lại")
    assert [c.status for c in tg.call_log("sendMessage")] == [429, 429, 200]


async def test_the_reminder_buttons_work_from_the_reminder(rbot):
    await rbot.dispatcher.run_once()
    (due,) = [m for m in reminders_to(rbot, MAI) if "NV-900" in m["text"]]
    answer = await rbot.press(MAI, button(due, "50%")["callback_data"], due["message_id"])
    assert answer["text"] == texts.PROGRESS_TOAST.format(percent=50)
    assert rbot.task("NV-900").progress == 50
    edited = await until(lambda: (m := rbot.message(MAI, due["message_id"]))["edits"] and m)
    assert "50%" in edited["text"] and "đã cập nhật tiến độ 0% → 50%" in edited["text"]
    # "Cài đặt nhắc việc" (under the other reminder) opens the settings in a new message; the reminder stays.
    before = len(rbot.replies(MAI))
    (other,) = [m for m in reminders_to(rbot, MAI) if "NV-002" in m["text"]]
    await rbot.press(
        MAI, button(other, "⚙️ Cài đặt nhắc việc")["callback_data"], other["message_id"], n_messages=1
    )
    (settings,) = rbot.replies(MAI)[before:]
    assert settings["text"].startswith("⚙️ Cài đặt nhắc việc\nNhắc việc: đang bật")
    assert rbot.message(MAI, other["message_id"])["edits"] == 0
    # …and its buttons edit that settings message in place.
    await rbot.press(MAI, button(settings, "🔕 Tắt nhắc việc")["callback_data"], settings["message_id"])
    off = await until(lambda: (m := rbot.message(MAI, settings["message_id"]))["edits"] and m)
    assert "Nhắc việc: đang tắt" in off["text"]
    # Reminders switched off: nothing more is sent (the pending rows are cancelled at sending time).
    rbot.clock.advance(days=1)
    sent = len(ok_sends(rbot, MAI))
    result = await rbot.dispatcher.run_once()
    assert result.sent == 0 and len(ok_sends(rbot, MAI)) == sent


async def test_a_leader_digest_arrives_and_its_buttons_open_new_screens(rbot):
    rbot.link("CB006", THAO)
    register_chat(rbot.tg, THAO)
    await rbot.dispatcher.run_once()
    (digest,) = [m for m in rbot.replies(THAO) if m["text"].startswith("📋 Tóm tắt")]
    assert digest["text"].startswith("📋 Tóm tắt công việc thứ Hai, ngày 23/11/2026\nSở Nội vụ")
    await rbot.press(
        THAO, button(digest, "📊 Xem tiến độ")["callback_data"], digest["message_id"], n_messages=1
    )
    screen = rbot.replies(THAO)[-1]
    assert screen["text"].startswith("📊 Tiến độ nhiệm vụ — Sở Nội vụ\nTính đến ngày 23/11/2026")
    await rbot.press(
        THAO, button(digest, "⚠️ Danh sách quá hạn")["callback_data"], digest["message_id"], n_messages=1
    )
    assert rbot.replies(THAO)[-1]["text"].startswith("⚠️ Nhiệm vụ quá hạn — Sở Nội vụ")
    assert rbot.message(THAO, digest["message_id"])["edits"] == 0


async def test_an_unreachable_chat_is_retried_much_later(rbot):
    from tasks.models import Reminder

    rbot.link("CB010", 5555)  # a Telegram account that never opened the bot: "chat not found"
    result = await rbot.dispatcher.run_once()
    assert result.sent == 0 and result.failed >= 1
    with rbot.db.session() as s:
        row = s.scalars(select(Reminder).where(Reminder.last_error.is_not(None))).first()
        assert row.next_attempt_at.replace(tzinfo=UTC) - AT_8 >= timedelta(hours=11)
        assert "PermanentFailure" in row.last_error


async def test_interval_zero_leaves_the_job_out(fake_telegram, tmp_path):
    async with task_bot(fake_telegram, tmp_path, reminders=True, env={"TROLY_REMINDER_INTERVAL": "0"}) as bot:
        assert bot.application.job_queue.get_jobs_by_name("nhac-viec") == ()
        assert bot.dispatcher is not None


async def test_the_job_queue_runs_the_sweeps_by_itself(fake_telegram, tmp_path):
    clock = Clock(AT_8)
    async with task_bot(
        fake_telegram, tmp_path, reminders=True, env={"TROLY_REMINDER_INTERVAL": "1"}, clock=clock
    ) as bot:
        (job,) = bot.application.job_queue.get_jobs_by_name("nhac-viec")
        assert job.job.trigger.interval == timedelta(seconds=1)
        bot.link("CB010", MAI)
        register_chat(fake_telegram, MAI)
        add_task(bot, "NV-900", "CB010", MON)
        sweeps = count_sweeps(bot.dispatcher)
        await until(lambda: any("NV-900" in m["text"] for m in reminders_to(bot, MAI)), timeout=15)
        n = len(ok_sends(bot, MAI))
        done = sweeps.done
        await until(lambda: sweeps.done >= done + 2, timeout=30)  # two more whole sweeps by the job
        assert len(ok_sends(bot, MAI)) == n
        assert len([m for m in reminders_to(bot, MAI) if "NV-900" in m["text"]]) == 1


# --- configuration -----------------------------------------------------------------------------------------


def test_fake_now_starts_the_clock_at_the_given_instant_and_lets_it_run():
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Ho_Chi_Minh")

    def settings(**env: str) -> Settings:
        return Settings.from_env({"TROLY_TIMEZONE": tz.key, "TROLY_FAKE_NOW": "", **env}, dotenv=False)

    clock = clock_from_settings(settings(TROLY_FAKE_NOW="2026-11-23T08:00:00+07:00"))
    first = clock()
    assert timedelta(0) <= first - AT_8 < timedelta(seconds=1) and first.tzinfo is not None
    assert clock() >= first
    naive = clock_from_settings(settings(TROLY_FAKE_NOW="2026-11-23 08:00"))
    assert abs(naive() - AT_8) < timedelta(seconds=1)
    real = clock_from_settings(settings())
    assert abs(real() - datetime.now(UTC)) < timedelta(seconds=5)
    with pytest.raises(ConfigError, match=r"TROLY_FAKE_NOW='thứ Hai'.*2026-11-23T08:00:00\+07:00"):
        settings(TROLY_FAKE_NOW="thứ Hai")  # refused when the settings are read, before the bot starts


def test_the_sweep_interval_setting():
    def reminder_interval(raw: str) -> float | None:
        return Settings.from_env({"TROLY_REMINDER_INTERVAL": raw}, dotenv=False).bot.reminder_interval

    assert reminder_interval("") == 30
    assert reminder_interval("45") == 45
    assert reminder_interval("0.2") == 1
    assert reminder_interval("0") is None  # off
    assert reminder_interval("900") == 300
    with pytest.raises(ConfigError, match=r"TROLY_REMINDER_INTERVAL='abc'.*TROLY_REMINDER_INTERVAL=30"):
        reminder_interval("abc")  # a typo stops the bot at start instead of being silently replaced
