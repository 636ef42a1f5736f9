"""Pure stages: follow-up context expiry, the group mention rule, input limits, callback data."""

from __future__ import annotations

import pytest
from telegram import Message, Update

from bot import texts
from bot.dialogue import FollowUpContext
from bot.incoming import addressed_text, check_question, command_addressed_to_us, command_argument
from bot.keyboards import CallbackData, answer_keyboard
from tests.fakes.fake_telegram import FakeTelegram

BOT_ID, BOT = 123456789, "troly_test_bot"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_context_remembers_last_documents_and_expires_after_30_minutes():
    clock = Clock()
    ctx = FollowUpContext(clock=clock)
    assert ctx.get(1) == ()
    ctx.remember(1, ["57-NQ/TW", "57-NQ/TW", ""])
    assert ctx.get(1) == ("57-NQ/TW",)
    assert ctx.get(2) == ()
    clock.now += 29 * 60
    assert ctx.get(1) == ("57-NQ/TW",)
    ctx.remember(1, [])  # a question naming no document keeps (but does not refresh) the context
    clock.now += 2 * 60
    assert ctx.get(1) == ()


def test_context_is_refreshed_by_each_question_naming_documents_and_is_bounded():
    clock = Clock()
    ctx = FollowUpContext(ttl=60, clock=clock, max_chats=2)
    ctx.remember(1, ["57-NQ/TW"])
    clock.now += 50
    ctx.remember(1, ["221-KL/TW"])
    clock.now += 50
    assert ctx.get(1) == ("221-KL/TW",)
    ctx.remember(2, ["a"])
    ctx.remember(3, ["b"])
    assert len(ctx) == 2 and ctx.get(1) == ()


def _message(tg: FakeTelegram, text: str, chat_type: str = "supergroup", **kw) -> Message:
    raw = tg._base_message(
        -42 if chat_type != "private" else 42,
        7,
        chat_type=chat_type,
        username=None,
        first_name=None,
        chat_title=None,
        reply_to_bot=kw.pop("reply_to_bot", False),
        reply_to_message_id=None,
        message_thread_id=None,
    )
    raw["text"] = text
    ents = kw.pop("entities", None)
    raw["entities"] = tg.auto_entities(text) if ents is None else ents
    return Update.de_json({"update_id": 1, "message": raw}, None).message


@pytest.fixture
def tg() -> FakeTelegram:
    return FakeTelegram()  # only its message builders; the server is not started


def test_group_message_without_mention_is_not_for_the_bot(tg):
    assert addressed_text(_message(tg, "Chiều nay họp nhé"), bot_id=BOT_ID, bot_username=BOT) is None
    assert addressed_text(_message(tg, "@ai_khac NQ 57?"), bot_id=BOT_ID, bot_username=BOT) is None


@pytest.mark.parametrize(
    ("text", "question"),
    [
        (f"@{BOT} NQ 57 là gì?", "NQ 57 là gì?"),
        (f"NQ 57 là gì, @{BOT.upper()}?", "NQ 57 là gì?"),
        (f"Hỏi @{BOT} về NQ 57", "Hỏi về NQ 57"),
        (f"😀 @{BOT}: còn 2045?", "😀 còn 2045?"),
        (f"@{BOT}", ""),
    ],
)
def test_mention_is_removed_from_the_question(tg, text, question):
    assert addressed_text(_message(tg, text), bot_id=BOT_ID, bot_username=BOT) == question


def test_text_mention_and_reply_to_the_bot_address_it(tg):
    ents = [
        {
            "type": "text_mention",
            "offset": 0,
            "length": 3,
            "user": {"id": BOT_ID, "is_bot": True, "first_name": "T"},
        }
    ]
    assert (
        addressed_text(_message(tg, "Bot ơi NQ 57?", entities=ents), bot_id=BOT_ID, bot_username=BOT)
        == "ơi NQ 57?"
    )
    reply = _message(tg, "Còn 2045?", reply_to_bot=True)
    assert addressed_text(reply, bot_id=BOT_ID, bot_username=BOT) == "Còn 2045?"
    assert addressed_text(reply, bot_id=BOT_ID + 1, bot_username="khac_bot") is None


def test_private_chat_text_is_always_for_the_bot(tg):
    assert (
        addressed_text(_message(tg, "NQ 57?", chat_type="private"), bot_id=BOT_ID, bot_username=BOT)
        == "NQ 57?"
    )


def test_command_argument_and_addressing(tg):
    assert command_argument(_message(tg, f"/hoi@{BOT} NQ 57?"), bot_id=BOT_ID, bot_username=BOT) == "NQ 57?"
    assert command_argument(_message(tg, "/hoi"), bot_id=BOT_ID, bot_username=BOT) == ""
    assert command_argument(_message(tg, f"/hoi @{BOT} NQ 57?"), bot_id=BOT_ID, bot_username=BOT) == "NQ 57?"
    assert not command_addressed_to_us(_message(tg, "/xyz"), bot_username=BOT)
    assert command_addressed_to_us(_message(tg, f"/xyz@{BOT}"), bot_username=BOT)
    assert command_addressed_to_us(_message(tg, "/xyz", chat_type="private"), bot_username=BOT)


def test_input_limits():
    assert check_question("NQ 57?").ok
    empty = check_question("  \n ")
    assert not empty.ok and empty.reply_html == texts.ASK_EMPTY
    long = check_question("a" * 2001)
    assert not long.ok and "2001 ký tự" in long.reply_html and "2000" in long.reply_html
    assert check_question("a" * 2000).ok
    assert f"@{BOT}" in check_question("", group=True, bot_username=BOT).reply_html


def test_callback_data_round_trips_and_fits_64_bytes():
    kb = answer_keyboard("1234567890", 7, rating=-1)
    rows = kb.inline_keyboard
    assert [b.text for b in rows[0]] == ["👍", "✅ 👎"]
    src = [b for row in rows[1:] for b in row]
    assert len(src) == 6 and src[0].text == "📄 Nguyên văn [1]"
    for b in (b for row in rows for b in row):
        assert len(b.callback_data.encode()) <= 64
        assert CallbackData.parse(b.callback_data) is not None
    assert CallbackData.parse("fb:12:u") == CallbackData("fb", "12", "u")
    assert CallbackData.parse("xx:1:u") is None and CallbackData.parse("fb::u") is None
    assert CallbackData.parse(None) is None
    with pytest.raises(ValueError):
        CallbackData("fb", "x" * 70, "u").encode()
