"""Handler-level tests: the real Application (handlers, rate limiter, polling loop) in this process, against
the fake Telegram server, with a small fake engine so that they run in seconds."""

from __future__ import annotations

import time

from bot import texts
from bot.render import TELEGRAM_MAX_CHARS, utf16_len
from tests.bot_fixtures import settled, until

PRIVATE = 1001


def _texts(bot, chat_id):
    return [m["text"] for m in bot.replies(chat_id)]


def _buttons(message):
    return [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


async def test_start_welcomes_and_explains_asking_and_linking(inprocess_bot):
    tg = inprocess_bot.tg
    tg.push_message(PRIVATE, 7, "/start", first_name="Lan <&>")
    (msg,) = await until(lambda: inprocess_bot.replies(PRIVATE), settle=inprocess_bot.application)
    assert msg["text"].startswith("Xin chào Lan <&>! Tôi là Trợ lý công vụ.")
    assert "Cách hỏi" in msg["text"] and "/lienket" in msg["text"] and f"@{tg.bot_username}" in msg["text"]
    assert msg["parse_mode"] == "HTML"


async def test_commands_menu_is_published_in_vietnamese_and_english(inprocess_bot):
    tg = inprocess_bot.tg
    await until(lambda: len(tg.commands) >= 2, settle=inprocess_bot.application)
    vi = {c["command"]: c["description"] for c in tg.commands[("default", "")]}
    en = {c["command"]: c["description"] for c in tg.commands[("default", "en")]}
    assert list(vi) == [
        "hoi",
        "vanban",
        "viec",
        "nopsanpham",
        "tiendo",
        "baocao",
        "giaoviec",
        "giahan",
        "nhacviec",
        "lienket",
        "trogiup",
        "start",
    ]
    assert vi["hoi"].startswith("Hỏi về văn bản")
    assert vi["viec"].startswith("Việc được giao") and vi["tiendo"].startswith("Lãnh đạo: tiến độ")
    assert vi["nhacviec"].startswith("Cài đặt nhắc việc")
    assert vi["giaoviec"].startswith("Lãnh đạo: giao việc") and vi["giahan"] == "Xin gia hạn một nhiệm vụ"
    # English clients: English aliases where they exist (/tasks = /viec, /progress = /tiendo).
    assert list(en) == [
        "ask",
        "vanban",
        "tasks",
        "submit",
        "progress",
        "baocao",
        "assign",
        "extend",
        "nhacviec",
        "lienket",
        "help",
        "start",
    ]
    assert en["tasks"].startswith("My assigned tasks") and en["progress"].startswith("Leaders: progress")
    assert vi["nopsanpham"].startswith("Nộp sản phẩm") and en["submit"].startswith("Hand in")


async def test_help_and_its_english_alias(inprocess_bot):
    tg = inprocess_bot.tg
    tg.push_message(PRIVATE, 7, "/trogiup")
    tg.push_message(PRIVATE + 1, 8, "/help")
    a = (await until(lambda: inprocess_bot.replies(PRIVATE), settle=inprocess_bot.application))[0]["text"]
    b = (await until(lambda: inprocess_bot.replies(PRIVATE + 1), settle=inprocess_bot.application))[0]["text"]
    assert a == b and a.startswith("Các lệnh") and "/hoi câu hỏi" in a


async def test_private_text_is_a_question_answered_with_sources_buttons_and_typing(inprocess_bot):
    tg = inprocess_bot.tg
    tg.push_message(PRIVATE, 7, "Nghị quyết 57 đặt mục tiêu gì đến 2030?")
    (msg,) = await until(lambda: inprocess_bot.replies(PRIVATE), settle=inprocess_bot.application)
    text = msg["text"]
    assert text.startswith("Trả lời cho: Nghị quyết 57 đặt mục tiêu gì đến 2030?")
    assert "Nguồn:\n[1] Nghị quyết 57-NQ/TW ngày 22/12/2024" in text
    labels = [b["text"] for b in _buttons(msg)]
    assert labels == ["👍", "👎", "📄 Xem nguyên văn"]
    assert all(len(b["callback_data"].encode()) <= 64 for b in _buttons(msg))
    actions = [c.params for c in tg.call_log("sendChatAction")]
    assert {"chat_id": PRIVATE, "action": "typing"} in [
        {k: a[k] for k in ("chat_id", "action")} for a in actions
    ]
    assert inprocess_bot.engine.calls == [("Nghị quyết 57 đặt mục tiêu gì đến 2030?", ())]


async def test_hoi_and_ask_commands_and_empty_hoi(inprocess_bot):
    tg = inprocess_bot.tg
    tg.push_message(PRIVATE, 7, "/hoi Kết luận 221 ban hành ngày nào?")
    await until(lambda: len(inprocess_bot.replies(PRIVATE)) >= 1, settle=inprocess_bot.application)
    tg.push_message(PRIVATE, 7, "/ask   ")
    await until(lambda: len(inprocess_bot.replies(PRIVATE)) >= 2, settle=inprocess_bot.application)
    tg.push_message(PRIVATE, 7, "??? 🙂")
    await until(lambda: len(inprocess_bot.replies(PRIVATE)) >= 3, settle=inprocess_bot.application)
    first, second, third = _texts(inprocess_bot, PRIVATE)
    assert third == second
    assert first.startswith("Trả lời cho: Kết luận 221 ban hành ngày nào?") and "Kết luận 221-KL/TW" in first
    assert second.startswith("Bạn muốn hỏi gì ạ?")
    assert [q for q, _ in inprocess_bot.engine.calls] == ["Kết luận 221 ban hành ngày nào?"]


async def test_html_specials_in_a_question_come_back_escaped_and_valid(inprocess_bot):
    tg = inprocess_bot.tg
    q = "Nếu a < b && c > d thì <b>sao</b>?"
    tg.push_message(PRIVATE, 7, q)
    (msg,) = await until(lambda: inprocess_bot.replies(PRIVATE), settle=inprocess_bot.application)
    assert q in msg["text"]  # the fake accepted the HTML (else: 400) and the user sees the literal text
    assert "&lt;b&gt;sao&lt;/b&gt;" in msg["html"] and "&amp;&amp;" in msg["html"]


async def test_long_answer_is_sent_as_several_valid_messages_with_buttons_on_the_last(inprocess_bot):
    tg = inprocess_bot.tg
    tg.push_message(PRIVATE, 7, "Cho một câu trả lời dài về NQ 57")
    msgs = await until(
        lambda: (
            [m for m in inprocess_bot.replies(PRIVATE) if "Nguồn:" in m["text"]]
            and inprocess_bot.replies(PRIVATE)
        )
    )
    assert len(msgs) >= 3
    assert all(utf16_len(m["html"]) <= TELEGRAM_MAX_CHARS for m in msgs)
    assert [bool(m.get("reply_markup")) for m in msgs] == [False] * (len(msgs) - 1) + [True]
    assert not [c for c in tg.call_log("sendMessage") if c.status != 200]
    # Split at paragraph boundaries: every message starts with a numbered paragraph or the sources.
    assert all(m["text"].split(".", 1)[0].isdigit() or m["text"].startswith("Nguồn:") for m in msgs)


async def test_follow_up_question_uses_the_documents_of_the_previous_one(inprocess_bot):
    tg = inprocess_bot.tg
    tg.push_message(PRIVATE, 7, "Nghị quyết 57 đặt mục tiêu gì đến 2030?")
    await until(lambda: len(inprocess_bot.replies(PRIVATE)) >= 1, settle=inprocess_bot.application)
    tg.push_message(PRIVATE, 7, "còn mục tiêu đến 2045 thì sao?")
    await until(lambda: len(inprocess_bot.replies(PRIVATE)) >= 2, settle=inprocess_bot.application)
    assert inprocess_bot.engine.calls[1] == ("còn mục tiêu đến 2045 thì sao?", ("57-NQ/TW",))
    assert (
        "Tầm nhìn đến năm 2045" in inprocess_bot.replies(PRIVATE)[1]["text"]
        or "2045" in _texts(inprocess_bot, PRIVATE)[1]
    )
    # Another chat has its own (empty) context.
    tg.push_message(PRIVATE + 5, 9, "còn mục tiêu đến 2045 thì sao?")
    await until(lambda: inprocess_bot.replies(PRIVATE + 5), settle=inprocess_bot.application)
    assert inprocess_bot.engine.calls[2] == ("còn mục tiêu đến 2045 thì sao?", ())


async def test_group_answers_only_when_mentioned_replied_to_or_called(inprocess_bot):
    tg = inprocess_bot.tg
    group = -100123
    name = tg.bot_username
    tg.push_message(group, 7, "Hôm nay họp lúc mấy giờ?", chat_type="supergroup")
    tg.push_message(group, 7, "/hoi@other_bot NQ 57 là gì?", chat_type="supergroup")
    tg.push_message(group, 7, "/lenhkhac", chat_type="supergroup")
    tg.push_media(group, 7, "sticker", chat_type="supergroup")
    tg.push_message(group, 7, f"@{name} Nghị quyết 57 nói gì?", chat_type="supergroup")
    first = (await until(lambda: inprocess_bot.replies(group), settle=inprocess_bot.application))[0]
    # Silence for the first four: only the mention was answered, with the mention removed from the question.
    assert [q for q, _ in inprocess_bot.engine.calls] == ["Nghị quyết 57 nói gì?"]
    assert first["reply_to_message_id"] is not None  # quotes the question in a group
    tg.push_message(group, 8, "Còn năm 2045?", chat_type="supergroup", reply_to_bot=True)
    await until(lambda: len(inprocess_bot.replies(group)) >= 2, settle=inprocess_bot.application)
    tg.push_message(group, 9, f"/hoi@{name} Kết luận 221?", chat_type="supergroup")
    await until(lambda: len(inprocess_bot.replies(group)) >= 3, settle=inprocess_bot.application)
    tg.push_message(group, 9, f"/lenhkhac@{name}", chat_type="supergroup")
    await until(lambda: len(inprocess_bot.replies(group)) >= 4, settle=inprocess_bot.application)
    assert [q for q, _ in inprocess_bot.engine.calls] == [
        "Nghị quyết 57 nói gì?",
        "Còn năm 2045?",
        "Kết luận 221?",
    ]
    assert _texts(inprocess_bot, group)[3].startswith("Tôi chưa có lệnh /lenhkhac.")
    await settled(inprocess_bot.application)  # every update handled: nothing more is coming
    assert len(inprocess_bot.replies(group)) == 4


async def test_group_mention_without_question_asks_what_to_look_up(inprocess_bot):
    tg = inprocess_bot.tg
    tg.push_message(-5, 7, f"@{tg.bot_username}", chat_type="group")
    (msg,) = await until(lambda: inprocess_bot.replies(-5), settle=inprocess_bot.application)
    assert msg["text"].startswith("Bạn muốn hỏi gì ạ?") and f"@{tg.bot_username}" in msg["text"]
    assert inprocess_bot.engine.calls == []


async def test_media_gets_a_polite_text_only_note(inprocess_bot):
    tg = inprocess_bot.tg
    kinds = ["sticker", "photo", "voice", "document", "video", "location"]
    for i, kind in enumerate(kinds):
        tg.push_media(PRIVATE + i, 7, kind)
    for i in range(len(kinds)):
        (msg,) = await until(lambda i=i: inprocess_bot.replies(PRIVATE + i))
        assert msg["text"] == texts.TEXT_ONLY
    assert inprocess_bot.engine.calls == []


async def test_too_long_question_and_unknown_command(inprocess_bot):
    tg = inprocess_bot.tg
    tg.push_message(PRIVATE, 7, "chữ " * 700)
    tg.push_message(PRIVATE + 1, 7, "/xoa_het <b>")
    long_reply = (await until(lambda: inprocess_bot.replies(PRIVATE), settle=inprocess_bot.application))[0][
        "text"
    ]
    unknown = (await until(lambda: inprocess_bot.replies(PRIVATE + 1), settle=inprocess_bot.application))[0][
        "text"
    ]
    assert long_reply.startswith("Câu hỏi hơi dài (2799 ký tự)") and "2000" in long_reply
    assert unknown.startswith("Tôi chưa có lệnh /xoa_het.") and "/hoi" in unknown
    assert inprocess_bot.engine.calls == []


async def test_edited_messages_are_ignored(inprocess_bot):
    tg = inprocess_bot.tg
    msg = tg.push_message(PRIVATE, 7, "NQ 57?")
    await until(lambda: inprocess_bot.replies(PRIVATE), settle=inprocess_bot.application)
    tg.push_update({"edited_message": {**msg, "text": "NQ 57 sửa lại?", "edit_date": int(time.time())}})
    tg.push_message(PRIVATE, 7, "/start")
    await until(lambda: len(inprocess_bot.replies(PRIVATE)) >= 2, settle=inprocess_bot.application)
    assert [q for q, _ in inprocess_bot.engine.calls] == ["NQ 57?"]


async def test_feedback_is_stored_and_can_be_changed(inprocess_bot):
    tg = inprocess_bot.tg
    tg.push_message(PRIVATE, 7, "Nghị quyết 57 đặt mục tiêu gì?")
    (msg,) = await until(lambda: inprocess_bot.replies(PRIVATE), settle=inprocess_bot.application)
    up, down, _src = _buttons(msg)
    tg.push_callback(PRIVATE, 7, up["callback_data"], msg["message_id"])
    await until(lambda: len(tg.callback_answers) >= 1, settle=inprocess_bot.application)
    (stored,) = inprocess_bot.answers.all()
    assert stored.rating == 1 and stored.question == "Nghị quyết 57 đặt mục tiêu gì?"
    assert stored.answer.startswith("Trả lời cho:") and stored.sources[0].passage_id == "p2030"
    assert stored.sources[0].label.startswith("Nghị quyết 57-NQ/TW")
    assert tg.callback_answers[0]["text"] == texts.FEEDBACK_THANKS_UP
    edited = await until(lambda: [m for m in inprocess_bot.replies(PRIVATE) if m["edits"]])
    assert [b["text"] for b in _buttons(edited[0])][:2] == ["✅ 👍", "👎"]
    # Same button again: nothing changes; the other one: the rating is replaced.
    tg.push_callback(PRIVATE, 7, up["callback_data"], msg["message_id"])
    await until(lambda: len(tg.callback_answers) >= 2, settle=inprocess_bot.application)
    assert tg.callback_answers[1]["text"] == texts.FEEDBACK_ALREADY
    tg.push_callback(PRIVATE, 7, down["callback_data"], msg["message_id"])
    await until(lambda: len(tg.callback_answers) >= 3, settle=inprocess_bot.application)
    assert inprocess_bot.answers.all()[0].rating == -1


async def test_view_source_sends_the_full_passage(inprocess_bot):
    tg = inprocess_bot.tg
    tg.push_message(PRIVATE, 7, "Kết luận 221 ban hành khi nào?")
    (msg,) = await until(lambda: inprocess_bot.replies(PRIVATE), settle=inprocess_bot.application)
    src = _buttons(msg)[2]
    assert src["text"] == "📄 Xem nguyên văn"
    tg.push_callback(PRIVATE, 7, src["callback_data"], msg["message_id"])
    passage = (
        await until(lambda: len(inprocess_bot.replies(PRIVATE)) == 2 and inprocess_bot.replies(PRIVATE))
    )[1]
    assert passage["text"].startswith("Nguyên văn — Kết luận 221-KL/TW ngày 28/11/2025")
    assert "Kết luận được ban hành ngày 28/11/2025." in passage["text"]
    assert passage["reply_to_message_id"] == msg["message_id"]


async def test_stale_or_forged_buttons_are_answered_politely(inprocess_bot):
    tg = inprocess_bot.tg
    tg.push_message(PRIVATE, 7, "/start")
    (msg,) = await until(lambda: inprocess_bot.replies(PRIVATE), settle=inprocess_bot.application)
    tg.push_callback(PRIVATE, 7, "fb:mUNKNOWN:u", msg["message_id"])
    tg.push_callback(PRIVATE, 7, "src:mUNKNOWN:1", msg["message_id"])
    tg.push_callback(PRIVATE, 7, "rác", msg["message_id"])
    await until(lambda: len(tg.callback_answers) >= 3, settle=inprocess_bot.application)
    answered = sorted(a["text"] for a in tg.callback_answers)
    assert answered == sorted([texts.ANSWER_EXPIRED, texts.ANSWER_EXPIRED, texts.CALLBACK_UNKNOWN])


async def test_engine_failure_is_reported_briefly_and_the_bot_keeps_working(inprocess_bot, caplog):
    tg = inprocess_bot.tg
    tg.push_message(PRIVATE, 7, "câu này gây lỗi")
    (msg,) = await until(lambda: inprocess_bot.replies(PRIVATE), settle=inprocess_bot.application)
    assert msg["text"] == texts.ERROR
    assert any(
        "engine exploded" in r.getMessage() or r.exc_info for r in caplog.records if r.name == "bot.errors"
    )
    tg.push_message(PRIVATE, 7, "NQ 57?")
    await until(lambda: len(inprocess_bot.replies(PRIVATE)) >= 2, settle=inprocess_bot.application)


async def test_rate_limit_and_server_errors_are_retried_until_the_reply_arrives(inprocess_bot):
    tg = inprocess_bot.tg
    tg.fail_next(1, status=429, retry_after=1, method="sendMessage")
    started = time.monotonic()
    tg.push_message(PRIVATE, 7, "NQ 57?")
    await until(lambda: inprocess_bot.replies(PRIVATE), timeout=15, settle=inprocess_bot.application)
    assert time.monotonic() - started >= 1.0  # waited out retry_after
    assert [c.status for c in tg.call_log("sendMessage")] == [429, 200]
    tg.fail_next(2, status=502, method="sendMessage")
    tg.push_message(PRIVATE, 7, "NQ 57 nữa?")
    await until(
        lambda: len(inprocess_bot.replies(PRIVATE)) >= 2, timeout=15, settle=inprocess_bot.application
    )
    assert [c.status for c in tg.call_log("sendMessage")] == [429, 200, 502, 502, 200]


async def test_start_stays_instant_while_a_long_search_runs(inprocess_bot):
    tg = inprocess_bot.tg
    inprocess_bot.engine.slow_seconds = 3.0
    tg.push_message(PRIVATE, 7, "câu hỏi chậm về NQ 57")
    await until(lambda: inprocess_bot.engine.calls)  # the slow search has started
    t0 = time.monotonic()
    tg.push_message(PRIVATE + 1, 8, "/start")
    await until(lambda: inprocess_bot.replies(PRIVATE + 1), timeout=5)
    assert time.monotonic() - t0 < inprocess_bot.engine.slow_seconds
    assert not inprocess_bot.replies(PRIVATE)  # the slow answer is still being searched
    await until(lambda: inprocess_bot.replies(PRIVATE), timeout=10)


async def test_twenty_users_asking_at_once_all_get_answers(inprocess_bot):
    tg = inprocess_bot.tg
    inprocess_bot.engine.slow_seconds = 0.3
    chats = [5000 + i for i in range(20)]
    for c in chats:
        tg.push_message(c, c, f"câu hỏi chậm số {c} về NQ 57")
    await until(lambda: all(inprocess_bot.replies(c) for c in chats), timeout=20)
    for c in chats:
        (msg,) = inprocess_bot.replies(c)
        assert f"câu hỏi chậm số {c}" in msg["text"]


async def test_application_is_built_with_html_defaults_timezone_rate_limiter_and_job_queue(inprocess_bot):
    from telegram.constants import ParseMode

    from bot.app import RetryingRateLimiter

    app = inprocess_bot.application
    assert app.bot.defaults.parse_mode == ParseMode.HTML
    assert str(app.bot.defaults.tzinfo) == "Asia/Ho_Chi_Minh"
    assert isinstance(app.bot.rate_limiter, RetryingRateLimiter)
    assert app.job_queue is not None
    assert app.bot.base_url == inprocess_bot.tg.api_url + inprocess_bot.tg.token


async def test_engine_that_fails_to_load_is_retried_on_the_next_question(fake_telegram, tmp_path):
    from bot.app import build_application
    from bot.feedback import MemoryAnswerLog
    from tests.bot_fixtures import FakeEngine
    from troly.config import Settings

    attempts = []

    def factory():
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("model not found")
        return FakeEngine()

    settings = Settings.from_env({"TROLY_HOME": str(tmp_path)}, dotenv=False)
    app = build_application(
        settings, token=fake_telegram.token, base_url=fake_telegram.api_url, answers=MemoryAnswerLog()
    )
    app.bot_data["troly"].qa._factory = factory  # the default factory would load the real engine
    app.bot_data["troly"].qa._engine = None
    async with app:
        await app.post_init(app)
        await app.start()
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            qa = app.bot_data["troly"].qa
            await until(lambda: attempts and qa._ready.done())  # the start-up load failed
            assert not qa.is_ready
            fake_telegram.push_message(PRIVATE, 7, "NQ 57?")
            (msg,) = await until(lambda: fake_telegram.sent_messages(PRIVATE))
            assert "Nguồn:" in msg["text"]
            assert len(attempts) == 2
        finally:
            await app.updater.stop()
            await app.stop()
            await app.post_shutdown(app)
