"""Feedback on answers through the real bot (handlers, polling loop, fake Telegram server) on the project's
database (SQLite, the example roster): only the asker rates, answer ids are random tokens, a 👎 asks what was
wrong and takes the next text as a comment (a database step that survives a restart), /thongke for
administrators, and the daily job that deletes the question log past its retention."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import create_engine, select, text

from bot import texts
from bot.feedback import DatabaseAnswerLog, NotYours, SourceRef, StoredAnswer
from bot.handlers.feedback import parse_reason_data, reason_data, reason_keyboard
from tests.bot.task_bot_fixtures import NOW, SearchingEngine, TaskBot, buttons, prepare_home
from tests.bot_fixtures import polling, until

ASKER, OTHER, HANH, MAI = 2001, 2002, 1004, 1010  # HANH: CB004 quản trị; MAI: CB010 cán bộ
GROUP = -100555


# --- the answer log on its own ------------------------------------------------------------------------------


def test_answers_get_random_tokens_and_only_the_asker_may_rate(tmp_path):
    url = f"sqlite:///{tmp_path / 'troly.db'}"
    log = DatabaseAnswerLog(url)
    src = SourceRef(
        "Nghị quyết 57-NQ/TW ngày 22/12/2024, mục II.1", "abc", "57-NQ/TW", "Nghị quyết", "2024-12-22"
    )
    aid = log.save(StoredAnswer("", "NQ 57 mục tiêu?", "30% GDP", (src,), telegram_user_id=7, chat_id=70))
    other = log.save(StoredAnswer("", "NQ 57 mục tiêu?", "30% GDP", (src,), telegram_user_id=7, chat_id=70))
    assert not aid.isdigit() and aid != other and 16 <= len(aid) <= 32
    assert len(f"fb:{aid}:d".encode()) <= 64 and len(f"fr:{aid}:k".encode()) <= 64
    assert log.get(aid).rating is None
    with pytest.raises(NotYours):
        log.rate(aid, -1, user_id=8)
    assert log.get(aid).rating is None
    assert log.rate(aid, 1, user_id=7).rating == 1
    assert log.rate(aid, -1, user_id=7).rating == -1
    assert log.rate("1", 1, user_id=7) is None and log.get("1") is None  # the row id is not an answer id
    got = log.get(aid)
    assert got.sources == (src,) and got.question == "NQ 57 mục tiêu?" and got.chat_id == 70
    log.close()
    with create_engine(url).connect() as conn:
        row = conn.execute(
            text(
                "select question, answer, rating, telegram_user_id, sources, token from feedback order by id"
            )
        ).first()
    assert row[:4] == ("NQ 57 mục tiêu?", "30% GDP", -1, 7) and row[5] == aid
    assert '"passage_id": "abc"' in row[4]


def test_database_failure_falls_back_to_memory(tmp_path):
    (tmp_path / "a-file").write_text("not a directory")
    log = DatabaseAnswerLog(f"sqlite:///{tmp_path / 'a-file' / 'troly.db'}")
    aid = log.save(StoredAnswer("", "q", "a", telegram_user_id=5))
    assert aid.startswith("m")
    assert log.rate(aid, 1, user_id=5).rating == 1 and log.get(aid).question == "q"


# --- through the bot ------------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def feedback_bot(tg, home: Path, *, prepare: bool = True, **env: str) -> AsyncIterator[TaskBot]:
    """The bot on the example database with its real answer log (the database, not memory)."""
    from bot.app import build_application
    from tasks.db import Database
    from troly.config import Settings

    db = prepare_home(home)[1] if prepare else Database.open(f"sqlite:///{home / 'troly.db'}")
    settings = Settings.from_env(
        {"TROLY_HOME": str(home), "TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_BASE_URL": tg.api_url, **env},
        dotenv=False,
    )
    engine = SearchingEngine()
    app = build_application(settings, engine, workers=2, reminders=False)
    bot = TaskBot(tg, app, engine, db, settings)
    bot.store.clock = lambda: NOW
    try:
        async with polling(app):
            yield bot
    finally:
        db.dispose()


@pytest.fixture
async def fbot(fake_telegram, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    async with feedback_bot(fake_telegram, tmp_path / "home") as bot:
        bot.link("CB004", HANH)
        bot.link("CB010", MAI)
        yield bot
    errors = [r for r in caplog.records if r.name == "bot.errors"]
    assert not errors, [r.getMessage() for r in errors]


def _row(bot, token: str):
    from tasks.models import Feedback

    with bot.db.session() as s:
        return s.scalar(select(Feedback).where(Feedback.token == token))


def _token(answer: dict) -> str:
    data = buttons(answer)[1]["callback_data"]
    assert data.startswith("fb:") and data.endswith(":d")
    return data.split(":")[1]


async def _ask(bot, chat_id: int, question: str, user_id: int | None = None, **kw) -> dict:
    (answer,) = await bot.send(chat_id, question, user_id=user_id, **kw)
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons(answer))
    return answer


def _label(message: dict, label: str) -> str:
    return next(b["callback_data"] for b in buttons(message) if b["text"] == label)


async def _thumbs_down(bot, chat_id: int, answer: dict, user_id: int | None = None) -> dict:
    """Press 👎 and return the prompt with the reasons."""
    before = len(bot.replies(chat_id))
    ack = await bot.press(chat_id, _label(answer, "👎"), answer["message_id"], user_id=user_id, n_messages=1)
    assert ack["text"] == texts.FEEDBACK_THANKS_DOWN
    (prompt,) = bot.replies(chat_id)[before:]
    return prompt


async def test_thumbs_down_asks_what_was_wrong_and_takes_the_next_text_as_the_comment(fbot):
    answer = await _ask(fbot, ASKER, "Nghị quyết 57 đặt mục tiêu gì?")
    token = _token(answer)
    prompt = await _thumbs_down(fbot, ASKER, answer)
    assert prompt["text"] == texts.FEEDBACK_REASON_PROMPT
    assert prompt["reply_to_message_id"] == answer["message_id"]
    assert [b["text"] for b in buttons(prompt)] == ["Sai", "Thiếu", "Không liên quan", "Khác", "Bỏ qua"]
    await until(lambda: fbot.message(ASKER, answer["message_id"])["edits"] >= 1)
    assert [b["text"] for b in buttons(fbot.message(ASKER, answer["message_id"]))][:2] == ["👍", "✅ 👎"]
    assert _row(fbot, token).rating == -1

    await fbot.press(ASKER, _label(prompt, "Thiếu"), prompt["message_id"])
    edited = await until(lambda: (m := fbot.message(ASKER, prompt["message_id"]))["edits"] >= 1 and m)
    assert edited["text"].startswith("Đã ghi nhận: Thiếu. Nếu muốn, bạn nhắn thêm một nhận xét ngắn")
    assert [b["text"] for b in buttons(edited)] == ["Bỏ qua"]
    assert _row(fbot, token).reason == "thieu"

    (thanks,) = await fbot.send(ASKER, "Thiếu mục tiêu đến năm 2045")
    assert thanks["text"] == texts.FEEDBACK_COMMENT_THANKS
    row = _row(fbot, token)
    assert (row.rating, row.reason, row.comment) == (-1, "thieu", "Thiếu mục tiêu đến năm 2045")
    closed = await until(lambda: (m := fbot.message(ASKER, prompt["message_id"]))["edits"] >= 2 and m)
    assert closed["text"] == "Đã ghi nhận: Thiếu, kèm nhận xét của bạn." and not buttons(closed)
    assert [q for q, _ in fbot.engine.calls] == [
        "Nghị quyết 57 đặt mục tiêu gì?"
    ]  # the comment is no question
    # The wait is over: the next text is a question again.
    again = await _ask(fbot, ASKER, "Kết luận 221 ban hành khi nào?")
    assert again["text"].startswith("Trả lời cho: Kết luận 221")


async def test_skipping_the_reason_or_the_comment(fbot):
    first = await _ask(fbot, ASKER, "NQ 57 là gì?")
    prompt = await _thumbs_down(fbot, ASKER, first)
    ack = await fbot.press(ASKER, _label(prompt, "Bỏ qua"), prompt["message_id"])
    assert ack["text"] == texts.FEEDBACK_SKIPPED
    done = await until(lambda: (m := fbot.message(ASKER, prompt["message_id"]))["edits"] >= 1 and m)
    assert done["text"] == texts.FEEDBACK_SKIPPED and not buttons(done)
    row = _row(fbot, _token(first))
    assert (row.rating, row.reason, row.comment) == (-1, None, None)

    second = await _ask(fbot, ASKER, "NQ 57 mục tiêu 2045?")
    prompt = await _thumbs_down(fbot, ASKER, second)
    await fbot.press(ASKER, _label(prompt, "Sai"), prompt["message_id"])
    saved = await until(lambda: (m := fbot.message(ASKER, prompt["message_id"]))["edits"] >= 1 and m)
    await fbot.press(ASKER, _label(saved, "Bỏ qua"), prompt["message_id"])
    done = await until(lambda: (m := fbot.message(ASKER, prompt["message_id"]))["edits"] >= 2 and m)
    assert done["text"] == "Đã ghi nhận: Sai. Cảm ơn góp ý của bạn!"
    reply = await _ask(fbot, ASKER, "Kết luận 221?")  # not taken as a comment
    assert reply["text"].startswith("Trả lời cho: Kết luận 221")
    row = _row(fbot, _token(second))
    assert (row.reason, row.comment) == ("sai", None)


async def test_an_expired_wait_lets_the_text_through_as_a_question(fbot):
    from tasks.models import FeedbackPending

    answer = await _ask(fbot, ASKER, "NQ 57?")
    prompt = await _thumbs_down(fbot, ASKER, answer)
    await fbot.press(ASKER, _label(prompt, "Khác"), prompt["message_id"])
    await until(lambda: _row(fbot, _token(answer)).reason == "khac")
    with fbot.db.session() as s:  # five minutes later
        pending = s.scalar(select(FeedbackPending))
        pending.expires_at -= timedelta(minutes=6)
        s.commit()
    reply = await _ask(fbot, ASKER, "Kết luận 221 ban hành khi nào?")
    assert reply["text"].startswith("Trả lời cho:")
    assert _row(fbot, _token(answer)).comment is None
    with fbot.db.session() as s:
        assert s.scalar(select(FeedbackPending)) is None


async def test_the_comment_wait_survives_a_restart(fake_telegram, tmp_path):
    home = tmp_path / "home"
    async with feedback_bot(fake_telegram, home) as bot:
        answer = await _ask(bot, ASKER, "NQ 57 đặt mục tiêu gì?")
        prompt = await _thumbs_down(bot, ASKER, answer)
        await bot.press(ASKER, _label(prompt, "Không liên quan"), prompt["message_id"])
        await until(lambda: _row(bot, _token(answer)).reason == "khong_lien_quan")
    async with feedback_bot(fake_telegram, home, prepare=False) as bot:  # a new process, same database
        (thanks,) = await bot.send(ASKER, "Tôi hỏi về Nghị quyết 57, không phải 52")
        assert thanks["text"] == texts.FEEDBACK_COMMENT_THANKS
        row = _row(bot, _token(answer))
        assert (row.reason, row.comment) == ("khong_lien_quan", "Tôi hỏi về Nghị quyết 57, không phải 52")
        assert not bot.engine.calls


async def test_only_the_asker_may_rate_and_guessed_ids_change_nothing(fbot):
    tg = fbot.tg
    answer = await _ask(
        fbot, GROUP, "@troly_test_bot Nghị quyết 57 đặt mục tiêu gì?", user_id=ASKER, chat_type="supergroup"
    )
    token = _token(answer)
    mid = answer["message_id"]
    # Somebody else presses the real buttons: a polite note, nothing stored.
    for data in (f"fb:{token}:d", f"fb:{token}:u"):
        ack = await fbot.press(GROUP, data, mid, user_id=OTHER)
        assert ack["text"] == texts.FEEDBACK_NOT_YOURS and ack["show_alert"] is True
    # …or guesses ids: the old sequential ones, or a token of the right shape.
    row = _row(fbot, token)
    for guess in (
        str(row.id),
        str(row.id + 1),
        "1",
        "a" + "A" * 16,
        token[:-1] + ("x" if token[-1] != "x" else "y"),
    ):
        ack = await fbot.press(GROUP, f"fb:{guess}:d", mid, user_id=OTHER)
        assert ack["text"] == texts.ANSWER_EXPIRED
    # The asker's 👎 works; the reasons are the asker's too.
    prompt = await _thumbs_down(fbot, GROUP, answer, user_id=ASKER)
    ack = await fbot.press(GROUP, _label(prompt, "Sai"), prompt["message_id"], user_id=OTHER)
    assert ack["text"] == texts.FEEDBACK_NOT_YOURS
    ack = await fbot.press(GROUP, f"fr:{token}:x", prompt["message_id"], user_id=OTHER)
    assert ack["text"] == texts.FEEDBACK_NOT_YOURS
    row = _row(fbot, token)
    assert (row.rating, row.reason, row.comment) == (-1, None, None)
    # Another member writing in the group is never taken as a comment.
    await fbot.press(GROUP, _label(prompt, "Sai"), prompt["message_id"], user_id=ASKER)
    await until(lambda: _row(fbot, token).reason == "sai")
    before = len(fbot.replies(GROUP))
    tg.push_message(GROUP, OTHER, "@troly_test_bot Kết luận 221 ban hành khi nào?", chat_type="supergroup")
    await until(lambda: len(fbot.replies(GROUP)) > before)
    assert fbot.replies(GROUP)[before]["text"].startswith("Trả lời cho:")
    assert _row(fbot, token).comment is None
    assert not [c for c in tg.call_log() if c.status >= 400]


async def test_thongke_shows_administrators_the_most_asked_and_refused_questions(fbot):
    from tasks.feedback import record_answer

    with fbot.db.session() as s:
        for q, refused in (
            ("Nghị quyết 57 đặt mục tiêu gì?", False),
            ("nghi quyet 57 dat muc tieu gi", False),
            ("NGHỊ QUYẾT 57 đặt mục tiêu gì", False),
            ("Mức lương cơ sở là bao nhiêu?", True),
            ("Mức lương cơ sở là bao nhiêu?", True),
            ("Học phí <đại học> & cao đẳng?", True),
        ):
            record_answer(
                s, question=q, answer="…", telegram_user_id=ASKER, chat_id=ASKER, refused=refused, now=NOW
            )
    (screen,) = await fbot.send(HANH, "/thongke")
    body = screen["text"]
    assert body.startswith("📈 Thống kê câu hỏi — 30 ngày qua")
    assert "Tổng số câu hỏi: 6 (trả lời được: 3, chưa tìm được câu trả lời: 3)" in body
    assert "1. Nghị quyết 57 đặt mục tiêu gì? — 3 lần" in body
    assert "Chưa trả lời được nhiều nhất" in body and "1. Mức lương cơ sở là bao nhiêu? — 2 lần" in body
    assert "Học phí <đại học> & cao đẳng? — 1 lần" in body  # escaped in HTML, shown as typed
    assert str(ASKER) not in body
    (week,) = await fbot.send(HANH, "/thongke 7")
    assert week["text"].startswith("📈 Thống kê câu hỏi — 7 ngày qua")
    (bad,) = await fbot.send(HANH, "/thongke bảy")
    assert bad["text"] == texts.STATS_BAD_DAYS
    (staff,) = await fbot.send(MAI, "/thongke")
    assert staff["text"] == texts.STATS_ADMIN_ONLY
    (stranger,) = await fbot.send(OTHER, "/thongke")
    assert (
        stranger["text"].startswith("Lệnh /thongke chỉ dành cho quản trị viên")
        and "/lienket" in stranger["text"]
    )
    (group,) = await fbot.send(GROUP, "/thongke", user_id=HANH, chat_type="supergroup")
    assert group["text"] == texts.STATS_PRIVATE_ONLY


async def test_the_daily_job_deletes_the_question_log_past_its_retention(fake_telegram, tmp_path):
    from bot.handlers.stats import RETENTION_JOB
    from tasks.feedback import record_answer
    from tasks.models import Feedback

    async with feedback_bot(fake_telegram, tmp_path / "home", TROLY_LOG_RETENTION_DAYS="90") as bot:
        with bot.db.session() as s:
            for days in (0, 89, 91, 400):
                record_answer(s, question=f"{days} ngày", answer="…", now=NOW - timedelta(days=days))
        (job,) = bot.application.job_queue.get_jobs_by_name(RETENTION_JOB)
        assert job.trigger.interval == timedelta(days=1)
        await job.run(bot.application)
        with bot.db.session() as s:
            assert sorted(s.scalars(select(Feedback.question))) == ["0 ngày", "89 ngày"]


# --- the callback grammar of the reasons ------------------------------------------------------------------


@given(st.text(max_size=80))
def test_reason_callback_data_of_any_shape_parses_or_is_refused(data):
    parsed = parse_reason_data(data)
    if parsed is not None:
        token, code = parsed
        assert reason_data(token, code) == data and len(data.encode()) <= 64


def test_reason_buttons_round_trip_and_refuse_garbage():
    token = "a" + "Zz0-_" * 3 + "q"
    datas = [b.callback_data for row in reason_keyboard(token).inline_keyboard for b in row]
    assert [parse_reason_data(d) for d in datas] == [(token, c) for c in ("s", "t", "k", "o", "x")]
    for bad in ("fr:²:s", "fr::s", "fr:abc:z", f"fr:{'a' * 33}:s", "fr:a:b:s", "fb:abc:s", "", None):
        assert parse_reason_data(bad) is None


@pytest.mark.postgres
async def test_the_whole_flow_on_postgresql(fake_telegram, tmp_path, pg_databases):
    """The same answer log on PostgreSQL: asker-only 👎, a reason, the comment, stats."""
    from bot.app import build_application
    from tasks.db import Database
    from tasks.feedback import question_stats
    from troly.config import Settings

    url = pg_databases.create().render_as_string(hide_password=False)
    tg = fake_telegram
    settings = Settings.from_env(
        {
            "TROLY_HOME": str(tmp_path / "home"),
            "TROLY_DATABASE_URL": url,
            "TELEGRAM_BOT_TOKEN": tg.token,
            "TELEGRAM_API_BASE_URL": tg.api_url,
        },
        dotenv=False,
    )
    engine = SearchingEngine()
    app = build_application(settings, engine, workers=2, reminders=False)
    db = Database.open(url)
    bot = TaskBot(tg, app, engine, db, settings)
    try:
        async with polling(app):
            answer = await _ask(bot, ASKER, "Nghị quyết 57 đặt mục tiêu gì?")
            token = _token(answer)
            ack = await bot.press(ASKER, f"fb:{token}:d", answer["message_id"], user_id=OTHER)
            assert ack["text"] == texts.FEEDBACK_NOT_YOURS and _row(bot, token).rating is None
            prompt = await _thumbs_down(bot, ASKER, answer)
            await bot.press(ASKER, _label(prompt, "Sai"), prompt["message_id"])
            await until(lambda: _row(bot, token).reason == "sai")
            (thanks,) = await bot.send(ASKER, "Mục tiêu 2030 là kinh tế số 30% GDP")
            assert thanks["text"] == texts.FEEDBACK_COMMENT_THANKS
            assert _row(bot, token).comment == "Mục tiêu 2030 là kinh tế số 30% GDP"
            with db.session() as s:
                stats = question_stats(s, 30)
            assert (stats["questions"], stats["answered"], stats["refused"]) == (1, 1, 0)
    finally:
        db.dispose()
