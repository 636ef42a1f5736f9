"""End to end: ``troly bot`` as a child process, in its real polling loop (and once in webhook mode), on the
REAL retrieval engine and corpus, driven through the fake Telegram server.

Every wait is time-bounded and every child is killed at the end (fixtures' ``finally``).
"""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import time
from pathlib import Path

import pytest

from bot.render import TELEGRAM_MAX_CHARS, utf16_len
from tests.bot_fixtures import READY_LOG, copy_home, long_llm_reply, start_bot_process
from tests.fakes.fake_telegram import FakeTelegram, parse_telegram_html

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

ANSWER_TIMEOUT = 60  # the machine may be busy; a warm answer normally takes well under a second


def _buttons(message):
    return [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


def _ask(tg: FakeTelegram, chat_id: int, text: str, n: int = 1, **kw) -> list[dict]:
    before = len(tg.sent_messages(chat_id))
    tg.push_message(chat_id, kw.pop("user_id", chat_id), text, **kw)
    return tg.wait_for(
        lambda: (msgs := tg.sent_messages(chat_id)) and len(msgs) >= before + n and msgs[before:],
        timeout=ANSWER_TIMEOUT,
    )


def _failed_sends(tg: FakeTelegram, chat_id: int) -> list:
    return [c for c in tg.call_log() if c.params.get("chat_id") == chat_id and c.status == 400]


def _passage_text(home: Path, passage_id: str) -> str:
    data = json.loads((home / "index" / "passages.json").read_text(encoding="utf-8"))
    items = data.values() if isinstance(data, dict) else data
    for p in items:
        if p.get("id") == passage_id:
            return p["text"]
    raise KeyError(passage_id)


# --- one shared polling bot ---------------------------------------------------------------------------


def test_start_replies_with_the_welcome(running_bot):
    tg = running_bot.tg
    t0 = time.monotonic()
    (msg,) = _ask(tg, 1, "/start")
    assert time.monotonic() - t0 < 10
    assert (
        msg["text"].startswith("Xin chào") and "Trợ lý công vụ" in msg["text"] and "/lienket" in msg["text"]
    )
    assert {c["command"] for c in tg.commands[("default", "")]} == {
        "hoi", "vanban", "viec", "nopsanpham", "giaoviec", "giahan", "tiendo", "baocao", "nhacviec", "lienket",
        "trogiup", "start",
    }  # fmt: skip


def test_question_gets_an_answer_with_its_source_and_buttons(running_bot):
    tg = running_bot.tg
    (msg,) = _ask(tg, 2, "Nghị quyết 57 đặt mục tiêu gì đến năm 2030?")
    text = msg["text"]
    assert "Nguồn:" in text
    sources = text.split("Nguồn:", 1)[1]
    assert "[1] " in sources and "57-NQ/TW" in sources and "22/12/2024" in sources
    assert [b["text"] for b in _buttons(msg)][:2] == ["👍", "👎"]
    assert any("nguyên văn" in b["text"].lower() for b in _buttons(msg))
    assert any(
        c.params.get("chat_id") == 2 and c.params.get("action") == "typing"
        for c in tg.call_log("sendChatAction")
    )


def test_html_specials_are_escaped_into_valid_html(running_bot):
    tg = running_bot.tg
    (msg,) = _ask(tg, 3, "NQ 57: chi cho R&D <nghiên cứu> > 2% GDP hay bao nhiêu?")
    assert not _failed_sends(tg, 3)
    parse_telegram_html(msg["html"])
    assert "R&D" in msg["text"] and "R&amp;D" in msg["html"]  # the corpus text "(R&D)" came back escaped


def test_follow_up_question_is_understood_in_context(running_bot):
    tg = running_bot.tg
    _ask(tg, 4, "Nghị quyết 57 đặt mục tiêu gì đến năm 2030?")
    (follow,) = _ask(tg, 4, "còn mục tiêu đến 2045 thì sao?")
    sources = follow["text"].split("Nguồn:", 1)[1]
    assert "57-NQ/TW" in sources
    # The same question in a fresh chat has no such context.
    (fresh,) = _ask(tg, 40, "còn mục tiêu đến 2045 thì sao?")
    assert "57-NQ/TW" not in fresh["text"].split("Nguồn:", 1)[-1]


def test_the_first_questions_officials_try(running_bot):
    tg = running_bot.tg
    (rule,) = _ask(tg, 41, "6 ro gom nhung gi")
    for part in ("rõ người", "rõ việc", "rõ thời gian", "rõ trách nhiệm", "rõ sản phẩm", "rõ thẩm quyền"):
        assert part in rule["text"].casefold()
    (views,) = _ask(tg, 42, "NQ 57 có mấy quan điểm chỉ đạo?")
    assert "5 quan điểm chỉ đạo" in views["text"]
    (targets,) = _ask(tg, 43, "Nghị quyết 57 đặt mục tiêu gì đến năm 2030?")
    assert "30% GDP" in targets["text"] and "Đất nước ta đang đứng trước" not in targets["text"]
    (vision,) = _ask(tg, 43, "còn mục tiêu đến 2045 thì sao?")
    assert "50% GDP" in vision["text"]


def test_rate_limited_first_send_is_retried_and_the_reply_arrives(running_bot):
    tg = running_bot.tg
    tg.fail_next(1, status=429, retry_after=1, method="sendMessage")
    (msg,) = _ask(tg, 5, "Kết luận 221-KL/TW ban hành ngày nào?")
    statuses = [c.status for c in tg.call_log("sendMessage") if c.params.get("chat_id") == 5]
    assert statuses == [429, 200]
    assert "Nguồn:" in msg["text"]


def test_server_errors_are_retried_and_the_reply_arrives(running_bot):
    tg = running_bot.tg
    tg.fail_next(2, status=502, method="sendMessage")
    _ask(tg, 6, "/trogiup")
    assert [c.status for c in tg.call_log("sendMessage") if c.params.get("chat_id") == 6] == [502, 502, 200]


def test_group_silent_without_mention_answers_with_mention(running_bot):
    tg = running_bot.tg
    group = -1007
    tg.push_message(group, 71, "Chiều nay ai dự họp giao ban?", chat_type="supergroup")
    tg.push_message(group, 72, "Nghị quyết 57 đặt mục tiêu gì?", chat_type="supergroup")
    asked = tg.push_message(
        group, 73, f"@{tg.bot_username} Nghị quyết 57 đặt mục tiêu gì?", chat_type="supergroup"
    )
    (reply,) = tg.wait_for(lambda: tg.sent_messages(group), timeout=ANSWER_TIMEOUT)
    assert reply["reply_to_message_id"] == asked["message_id"]
    assert "57-NQ/TW" in reply["text"]
    # A later mention is answered too, and still nothing went to the two messages without a mention.
    marker = tg.push_message(
        group, 74, f"@{tg.bot_username} Kết luận 221 ban hành ngày nào?", chat_type="supergroup"
    )
    replies = tg.wait_for(
        lambda: len(tg.sent_messages(group)) >= 2 and tg.sent_messages(group), timeout=ANSWER_TIMEOUT
    )
    assert [m["reply_to_message_id"] for m in replies] == [asked["message_id"], marker["message_id"]]


def test_thumbs_up_is_stored_in_the_database(running_bot):
    tg = running_bot.tg
    (msg,) = _ask(tg, 8, "Nghị quyết 57 đặt mục tiêu gì đến năm 2030?")
    up = _buttons(msg)[0]
    n = len(tg.callback_answers)
    tg.push_callback(8, 8, up["callback_data"], msg["message_id"])
    tg.wait_for(lambda: len(tg.callback_answers) > n, timeout=ANSWER_TIMEOUT)
    assert tg.callback_answers[-1]["text"] == "Cảm ơn bạn đã đánh giá!"
    with sqlite3.connect(running_bot.home / "troly.db") as db:
        rows = db.execute(
            "select question, answer, sources, rating, telegram_user_id, chat_id from feedback where chat_id = 8"
        ).fetchall()
    ((question, answer, sources, rating, user, chat),) = rows
    assert question == "Nghị quyết 57 đặt mục tiêu gì đến năm 2030?"
    assert rating == 1 and user == 8 and chat == 8
    assert answer and answer.split()[0] in msg["text"]
    srcs = json.loads(sources)
    assert srcs and srcs[0]["passage_id"] and "57-NQ/TW" in srcs[0]["label"]


def test_view_source_shows_the_full_cited_passage(running_bot):
    tg = running_bot.tg
    (msg,) = _ask(tg, 9, "Kết luận 221-KL/TW ban hành ngày nào?")
    src = next(b for b in _buttons(msg) if b["callback_data"].startswith("src:"))
    tg.push_callback(9, 9, src["callback_data"], msg["message_id"])
    passage_msgs = tg.wait_for(lambda: tg.sent_messages(9)[1:], timeout=ANSWER_TIMEOUT)
    text = "\n".join(m["text"] for m in passage_msgs)
    assert text.startswith("Nguyên văn — ")
    with sqlite3.connect(running_bot.home / "troly.db") as db:
        (sources,) = db.execute("select sources from feedback where chat_id = 9").fetchone()
    pid = json.loads(sources)[0]["passage_id"]
    expected = _passage_text(running_bot.home, pid)
    assert " ".join(expected.split())[:200] in " ".join(text.split())
    assert passage_msgs[0]["reply_to_message_id"] == msg["message_id"]


def test_bad_input_gets_polite_notes(running_bot):
    tg = running_bot.tg
    tg.push_media(10, 10, "sticker")
    tg.push_media(11, 11, "voice")
    tg.push_message(12, 12, "dài quá " * 300)
    tg.push_message(13, 13, "/khonglenh")
    for chat, start in (
        (10, "Xin lỗi, hiện tôi chỉ đọc được"),
        (11, "Xin lỗi, hiện tôi chỉ đọc được"),
        (12, "Câu hỏi hơi dài"),
        (13, "Tôi chưa có lệnh /khonglenh"),
    ):
        (msg,) = tg.wait_for(lambda chat=chat: tg.sent_messages(chat), timeout=ANSWER_TIMEOUT)
        assert msg["text"].startswith(start), msg["text"]
    assert running_bot.process.proc.poll() is None


def test_twenty_users_asking_at_once_are_all_answered(running_bot):
    tg = running_bot.tg
    root = Path(__file__).resolve().parents[2]
    questions = [json.loads(line)["question"] for line in (root / "evals" / "questions.jsonl").open()][:20]
    chats = [2000 + i for i in range(20)]
    t0 = time.monotonic()
    for chat, q in zip(chats, questions, strict=True):
        tg.push_message(chat, chat, q)
    tg.wait_for(lambda: all(tg.sent_messages(c) for c in chats), timeout=120)
    elapsed = time.monotonic() - t0
    for chat in chats:
        msgs = tg.sent_messages(chat)
        assert msgs and msgs[-1].get("reply_markup"), chat
        assert not _failed_sends(tg, chat)
    assert elapsed < 120
    assert running_bot.process.proc.poll() is None


# --- separate processes -------------------------------------------------------------------------------


def test_answer_longer_than_4096_arrives_as_several_valid_messages(troly_home, tmp_path_factory):
    """``troly bot`` in LLM mode (the model is the fake OpenAI-compatible server) on the real engine and
    corpus: a grounded answer of ~6,000 characters arrives as several valid messages."""
    from tests.fakes.fake_openai import FakeOpenAI

    home = copy_home(troly_home, tmp_path_factory, "long_home")
    with FakeTelegram() as tg, FakeOpenAI() as llm:
        llm.responder = long_llm_reply
        env = {"TROLY_LLM": "openai:fake", "OPENAI_BASE_URL": llm.base_url, "OPENAI_API_KEY": "sk-test"}
        bot = start_bot_process(tg, home, home / "bot.log", **env)
        try:
            bot.wait_log(READY_LOG, timeout=240)
            tg.push_message(20, 20, "Nghị quyết 57 đặt ra những mục tiêu gì đến năm 2030 và tầm nhìn 2045?")
            msgs = tg.wait_for(
                lambda: (m := tg.sent_messages(20)) and m[-1].get("reply_markup") and m,
                timeout=ANSWER_TIMEOUT,
            )
            assert llm.chat_requests, "the answer did not come from the (fake) LLM"
            assert len(msgs) >= 2
            assert sum(len(m["text"]) for m in msgs) > TELEGRAM_MAX_CHARS
            for m in msgs:
                assert utf16_len(m["html"]) <= TELEGRAM_MAX_CHARS
                parse_telegram_html(m["html"])
            assert [bool(m.get("reply_markup")) for m in msgs] == [False] * (len(msgs) - 1) + [True]
            assert not _failed_sends(tg, 20)
            assert "Nguồn:" in msgs[-1]["text"] and "57-NQ/TW" in msgs[-1]["text"].split("Nguồn:", 1)[1]
            # Split at paragraph boundaries: every message starts at the beginning of a cited sentence.
            for m in msgs[1:]:
                assert m["text"][:1].isupper() or m["text"].startswith("Nguồn:"), m["text"][:40]
        finally:
            bot.terminate()
            bot.kill()


def test_sigterm_finishes_the_answer_in_flight_and_exits_cleanly(troly_home, tmp_path_factory):
    home = copy_home(troly_home, tmp_path_factory, "sigterm_home")
    with FakeTelegram() as tg:
        bot = start_bot_process(tg, home, home / "bot.log")
        try:
            bot.wait_log(READY_LOG, timeout=240)
            tg.wait_for(lambda: tg.call_log("getUpdates"), timeout=60)
            tg.push_message(30, 30, "Nghị quyết 57 đặt mục tiêu gì đến năm 2030?")
            tg.wait_for(
                lambda: [c for c in tg.call_log("sendChatAction") if c.params.get("chat_id") == 30], 30
            )
            bot.proc.send_signal(signal.SIGTERM)
            rc = bot.proc.wait(60)
            assert rc == 0, bot.log()[-3000:]
            assert tg.sent_messages(30), "the answer being prepared was not sent before exiting"
            log = bot.log()
            assert "Bot đã dừng." in log and "Traceback" not in log
        finally:
            bot.kill()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_webhook_mode_receives_updates_with_the_secret_and_answers(troly_home, tmp_path_factory):
    home = copy_home(troly_home, tmp_path_factory, "webhook_home")
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    with FakeTelegram() as tg:
        bot = start_bot_process(
            tg,
            home,
            home / "bot.log",
            args=(
                "--webhook",
                url,
                "--listen",
                "127.0.0.1",
                "--port",
                str(port),
                "--secret-token",
                "bi-mat_123",
            ),
        )
        try:
            tg.wait_for(lambda: tg.webhook.get("url") == url, timeout=240)
            assert tg.webhook["secret_token"] == "bi-mat_123"
            # the port opens, and the webhook is registered, only once the engine is warm: behind a load
            # balancer a starting process never holds questions while it loads
            assert "Bộ tra cứu đã sẵn sàng: mở cổng webhook." in bot.log(), bot.log()[-2000:]
            assert "không phải https" in bot.log()  # a plain-http address works only with a stand-in: said
            tg.push_message(50, 50, "/start")
            (welcome,) = tg.wait_for(lambda: tg.sent_messages(50), timeout=ANSWER_TIMEOUT)
            assert welcome["text"].startswith("Xin chào")
            assert tg.webhook_deliveries[0]["status"] == 200
            (answer,) = _ask(tg, 51, "Kết luận 221-KL/TW ban hành ngày nào?")
            assert "Nguồn:" in answer["text"]
            # Without the secret header (or with a wrong one) the bot's server refuses the update.
            forged = {"update_id": 9999, "message": {**tg.message(50, 1), "text": "/start"}}
            assert tg.post_to_webhook(forged, secret_token="sai") == 403
            assert tg.post_to_webhook(forged, secret_token=None) == 403
            # With the right secret, a body that is not an update is a client error (400), never a 500.
            for body in (
                b'{"update_id": 1, "message": ',
                b"\xff\xfe",
                b"[1, 2]",
                b'{"khong": "phai update"}',
                b"",
            ):
                assert tg.post_raw_to_webhook(body, secret_token="bi-mat_123") == 400, body
            # The server is still healthy: a real update after them is answered, the forged ones were not.
            (again,) = _ask(tg, 50, "/start")
            assert again["text"].startswith("Xin chào")
            assert len(tg.sent_messages(50)) == 2
            rc = bot.terminate(signal.SIGINT, timeout=60)
            assert rc == 0, bot.log()[-3000:]
            # the outbox stopped while the bot's HTTP client was still open
            assert "is not initialized" not in bot.log(), bot.log()[-3000:]
        finally:
            bot.kill()
