"""The test helpers' notion of "the bot has finished": provable, not guessed by a sleep or a message count."""

from __future__ import annotations

from tests.bot_fixtures import is_idle, settled, until

PRIVATE = 4242


async def test_a_bot_busy_with_a_slow_question_is_not_idle_until_its_reply_is_sent(inprocess_bot):
    app, tg = inprocess_bot.application, inprocess_bot.tg
    await settled(app)
    assert is_idle(app)
    tg.push_message(PRIVATE, PRIVATE, "câu hỏi chậm về Nghị quyết 57")
    await until(lambda: inprocess_bot.engine.calls)  # the slow search has started
    assert not is_idle(app) and not inprocess_bot.replies(PRIVATE)
    await settled(app)
    assert is_idle(app)
    (reply,) = inprocess_bot.replies(PRIVATE)
    assert reply["text"].startswith("Trả lời cho: câu hỏi chậm")


async def test_an_update_not_yet_fetched_counts_as_work(inprocess_bot):
    app, tg = inprocess_bot.application, inprocess_bot.tg
    await settled(app)
    tg.push_message(PRIVATE + 1, PRIVATE + 1, "/start")
    assert not is_idle(app)  # queued on the server: the bot has not even fetched it
    replies = await until(lambda: inprocess_bot.replies(PRIVATE + 1), settle=app)
    assert len(replies) == 1 and replies[0]["text"].startswith("Xin chào")
