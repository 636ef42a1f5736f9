"""The bot shows the LLM answer with its sources: the real Application (handlers, polling loop) in this
process, against the fake Telegram server, answering through ``make_answerer`` = the LLM chain over the real
engine, with the fake OpenAI-compatible server as the model."""

from __future__ import annotations

import os
import re

import pytest

from bot.render import escape
from retrieval.answerer_factory import make_answerer
from retrieval.llm import LLMAnswerer
from tests.bot_fixtures import polling, until
from tests.fakes.fake_openai import FakeOpenAI, Recorded
from tests.fakes.fake_telegram import FakeTelegram
from troly.config import Settings

pytestmark = pytest.mark.slow

PRIVATE = 2001
QUESTION = "Nghị quyết 57-NQ/TW đặt mục tiêu quy mô kinh tế số đạt bao nhiêu phần trăm GDP vào năm 2030?"


def _reply(req: Recorded) -> str:
    for n, body in sorted(req.passages().items()):
        for line in body.split("\n"):
            for sentence in re.split(r"(?<=[.;])\s+", line):
                if "30% GDP" in sentence:
                    return f"Theo Nghị quyết 57-NQ/TW, {sentence.strip()} [{n}]"
    return "KHONG_CO_THONG_TIN"


def _buttons(message):
    return [b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


@pytest.fixture
async def llm_bot(engine, tmp_path):
    from bot.app import build_application
    from bot.feedback import MemoryAnswerLog

    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    with FakeOpenAI(responder=_reply) as llm, FakeTelegram() as tg:
        settings = Settings.from_env(
            {
                "TROLY_HOME": str(tmp_path / "home"),
                "TELEGRAM_BOT_TOKEN": tg.token,
                "TELEGRAM_API_BASE_URL": tg.api_url,
                "TROLY_LLM": "openai:fake",
                "OPENAI_BASE_URL": llm.base_url,
            },
            dotenv=False,
        )
        answerer = make_answerer(settings.retrieval.llm, engine)
        assert isinstance(answerer, LLMAnswerer)
        app = build_application(settings, answerer, answers=MemoryAnswerLog(), workers=2)
        async with polling(app):
            yield tg, llm


async def test_the_bot_shows_the_llm_answer_with_sources(llm_bot):
    tg, llm = llm_bot
    tg.push_message(PRIVATE, 7, QUESTION)
    (msg,) = await until(lambda: tg.sent_messages(PRIVATE), timeout=120)
    (req,) = llm.chat_requests()
    expected = re.sub(r"\[\d\]$", "[1]", req.reply)
    text = msg["text"]
    assert text.startswith(expected), text
    assert "\n\nNguồn:\n[1] Nghị quyết 57-NQ/TW ngày 22/12/2024" in text
    assert text.count("\n[") == 1  # one source: the cited passage only
    assert msg["html"].startswith(escape(expected))
    # "📄 Xem nguyên văn" shows the full cited passage (get_passage goes through the answerer).
    src = _buttons(msg)[2]
    tg.push_callback(PRIVATE, 7, src["callback_data"], msg["message_id"])
    replies = await until(
        lambda: len(tg.sent_messages(PRIVATE)) == 2 and tg.sent_messages(PRIVATE), timeout=60
    )
    assert replies[1]["text"].startswith("Nguyên văn — Nghị quyết 57-NQ/TW ngày 22/12/2024")
    assert "30% GDP" in replies[1]["text"]


def test_troly_bot_with_troly_llm_answers_through_the_model(indexed_home, tmp_path):
    """``troly bot`` itself (a subprocess) picks the LLM chain from TROLY_LLM through ``make_answerer``."""
    import shutil

    from tests.bot_fixtures import READY_LOG, start_bot_process

    home = tmp_path / "home"
    shutil.copytree(indexed_home / "index", home / "index")
    with FakeOpenAI(responder=_reply) as llm, FakeTelegram() as tg:
        bot = start_bot_process(
            tg, home, tmp_path / "bot.log", TROLY_LLM="openai:fake", OPENAI_BASE_URL=llm.base_url
        )
        try:
            bot.wait_log(READY_LOG, timeout=300)
            tg.push_message(PRIVATE, 7, QUESTION)
            (msg,) = tg.wait_for(lambda: tg.sent_messages(PRIVATE), timeout=120)
            (req,) = llm.chat_requests()
            assert msg["text"].startswith(re.sub(r"\[\d\]$", "[1]", req.reply))
            assert "\n\nNguồn:\n[1] Nghị quyết 57-NQ/TW ngày 22/12/2024" in msg["text"]
            assert "answer mode=llm reason=ok" in bot.log()
        finally:
            bot.terminate()
            bot.kill()
