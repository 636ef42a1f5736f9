"""Who may read a document, through the real bot: a document limited to "Sở Tài chính" (`pham_vi`) is never
used for an official of another unit, a group, or an unlinked account — not in answers, follow-ups, "Xem
nguyên văn", `/vanban`, a task's "Văn bản giao", nor the LLM prompt — and is used like any other document
for the unit's own official and for a quản trị.

The real application (handlers, polling loop) in this process against the fake Telegram server, the real
retrieval engine over a two-document corpus, the example roster in SQLite (`tests.bot.task_bot_fixtures`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from retrieval.engine import RetrievalEngine
from tests.bot.task_bot_fixtures import NOW, TaskBot, buttons, prepare_home
from tests.bot_fixtures import polling
from tests.fakes.fake_openai import FakeOpenAI, Recorded
from tests.fakes.fake_telegram import FakeTelegram
from tests.retrieval.test_document_scope import LIMITED, MODEL, PUBLIC_DOC, QUESTION

pytestmark = pytest.mark.slow

FIGURE = "4.700"  # only in the limited document
LIMITED_NUMBER = "45/KH-STC"
# The example roster: CB010 (Sở Tài chính, cán bộ), CB007 (Sở Nội vụ, cán bộ), CB004 (quản trị).
INSIDER, OUTSIDER, ADMIN, UNLINKED = 3010, 3007, 3004, 3999
GROUP = -100_777


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> RetrievalEngine:
    root = tmp_path_factory.mktemp("scope_bot")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "kh-45-stc.md").write_text(LIMITED, encoding="utf-8")
    (corpus / "kh-12-ubnd.md").write_text(PUBLIC_DOC, encoding="utf-8")
    engine = RetrievalEngine(root / "index", [corpus], **MODEL)
    engine.ingest([corpus])
    return engine


@contextlib.asynccontextmanager
async def scope_bot(
    tg: FakeTelegram, tmp_path: Path, answerer: Any, env: dict[str, str] | None = None
) -> AsyncIterator[TaskBot]:
    """The bot over `answerer` (the engine, or the LLM chain over it) on the example roster, with CB010,
    CB007 and CB004 linked."""
    from bot.app import build_application
    from bot.feedback import MemoryAnswerLog
    from troly.config import Settings

    home = tmp_path / "home"
    _, db = prepare_home(home)
    settings = Settings.from_env(
        {"TROLY_HOME": str(home), "TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_BASE_URL": tg.api_url, **(env or {})},
        dotenv=False,
    )  # fmt: skip
    app = build_application(settings, answerer, answers=MemoryAnswerLog(), workers=2, reminders=False)
    bot = TaskBot(tg, app, answerer, db, settings)
    bot.store.clock = lambda: NOW
    for code, user in (("CB010", INSIDER), ("CB007", OUTSIDER), ("CB004", ADMIN)):
        bot.link(code, user)
    try:
        async with polling(app):
            yield bot
    finally:
        db.dispose()


def _name_task_document(bot: TaskBot, code: str, document: str) -> int:
    from tasks.models import Task

    with bot.db.session() as s:
        task = s.scalar(select(Task).where(Task.code == code))
        task.source_document = document
        s.commit()
        return task.id


def _deactivate(bot: TaskBot, code: str) -> None:
    from tasks.models import Official

    with bot.db.session() as s:
        s.scalar(select(Official).where(Official.code == code)).active = False
        s.commit()


async def test_a_limited_document_reaches_its_unit_and_admins_only(engine: RetrievalEngine, tmp_path: Path):
    with FakeTelegram() as tg:
        async with scope_bot(tg, tmp_path, engine) as bot:
            # answers: the unit's official and the quản trị get the figure; nobody else does
            for user in (INSIDER, ADMIN):
                (reply,) = await bot.send(user, QUESTION)
                assert FIGURE in reply["text"] and LIMITED_NUMBER in reply["text"], user
            for user in (OUTSIDER, UNLINKED):
                (reply,) = await bot.send(user, QUESTION)
                assert FIGURE not in reply["text"] and LIMITED_NUMBER not in reply["text"], user
            # a group: everyone there reads the reply, so even the unit's official gets public documents only
            (reply,) = await bot.send(GROUP, f"/hoi {QUESTION}", user_id=INSIDER, chat_type="group")
            assert FIGURE not in reply["text"] and LIMITED_NUMBER not in reply["text"]

            # named by number: the outsider is told the corpus does not hold it; the insider gets its signer
            (reply,) = await bot.send(OUTSIDER, "Kế hoạch 45/KH-STC do cơ quan nào ban hành?")
            assert "Sở Tài chính" not in reply["text"] and FIGURE not in reply["text"]
            (reply,) = await bot.send(INSIDER, "Kế hoạch 45/KH-STC do cơ quan nào ban hành?")
            assert "Sở Tài chính" in reply["text"]

            # /vanban: listed and shown for the unit's official only
            (listing,) = await bot.send(INSIDER, "/vanban")
            assert LIMITED_NUMBER in listing["text"] and "12/KH-UBND" in listing["text"]
            for user, chat_type in ((OUTSIDER, "private"), (UNLINKED, "private"), (INSIDER, "group")):
                chat = GROUP if chat_type == "group" else user
                (listing,) = await bot.send(chat, "/vanban", user_id=user, chat_type=chat_type)
                assert LIMITED_NUMBER not in listing["text"] and "12/KH-UBND" in listing["text"], user
                (card,) = await bot.send(chat, "/vanban 45/KH-STC", user_id=user, chat_type=chat_type)
                assert "chưa có văn bản" in card["text"] and "rà soát kinh phí" not in card["text"], user


async def test_xem_nguyen_van_and_follow_ups_use_the_askers_audience_now(
    engine: RetrievalEngine, tmp_path: Path
):
    with FakeTelegram() as tg:
        async with scope_bot(tg, tmp_path, engine) as bot:
            (answer,) = await bot.send(INSIDER, QUESTION)
            source = next(b for b in buttons(answer) if b["callback_data"].startswith("src:"))
            # while CB010 is an official of Sở Tài chính, the passage is shown in full
            await bot.press(INSIDER, source["callback_data"], answer["message_id"], n_messages=1)
            assert FIGURE in bot.replies(INSIDER)[-1]["text"]
            # CB010 leaves (deactivated by a roster import): the same button no longer shows it …
            _deactivate(bot, "CB010")
            before = len(bot.replies(INSIDER))
            alert = await bot.press(INSIDER, source["callback_data"], answer["message_id"])
            assert alert["show_alert"] and "Không tìm thấy nguyên văn" in alert["text"]
            assert len(bot.replies(INSIDER)) == before
            # … and a follow-up in the same chat, about the document of the last answer, does not use it
            (follow,) = await bot.send(INSIDER, "Điều 1 của kế hoạch đó quy định gì?")
            assert FIGURE not in follow["text"] and "Phòng Ngân sách" not in follow["text"]


async def test_a_tasks_vanban_giao_searches_what_the_viewer_may_read(engine: RetrievalEngine, tmp_path: Path):
    with FakeTelegram() as tg:
        async with scope_bot(tg, tmp_path, engine) as bot:
            # NV-010 is CB010's (Sở Tài chính), NV-009 is CB006's (Sở Nội vụ); both now name the limited plan
            inside = _name_task_document(bot, "NV-010", "Kế hoạch 45/KH-STC")
            outside = _name_task_document(bot, "NV-009", "Kế hoạch 45/KH-STC")
            bot.link("CB006", OUTSIDER + 1)
            await bot.send(INSIDER, "/start")  # a message of the bot to press the button under
            anchor = bot.replies(INSIDER)[-1]["message_id"]
            await bot.press(INSIDER, f"t:doc:{inside}", anchor, n_messages=1)
            shown = bot.replies(INSIDER)[-1]["text"]
            assert "Văn bản giao của nhiệm vụ NV-010" in shown and "Kế hoạch 45/KH-STC" in shown
            assert "Sở Tài chính" in shown or FIGURE in shown or "kinh phí" in shown
            await bot.send(OUTSIDER + 1, "/start")
            anchor = bot.replies(OUTSIDER + 1)[-1]["message_id"]
            await bot.press(OUTSIDER + 1, f"t:doc:{outside}", anchor, n_messages=1)
            shown = bot.replies(OUTSIDER + 1)[-1]["text"]
            assert "chưa có văn bản này" in shown and FIGURE not in shown and "kinh phí" not in shown


# --- the LLM prompt -----------------------------------------------------------------------------------------


def _reply_from_passages(req: Recorded) -> str:
    """The fake model answers with the first passage it was given, cited."""
    passages = req.passages()
    if not passages:
        return "KHONG_CO_THONG_TIN"
    n, body = sorted(passages.items())[0]
    first = next((line for line in body.split("\n") if line.strip()), body)
    return f"{first.strip()} [{n}]"


async def test_the_llm_prompt_never_holds_a_limited_passage_for_an_outsider(
    engine: RetrievalEngine, tmp_path: Path
):
    from retrieval.answerer_factory import make_answerer
    from retrieval.llm import LLMAnswerer
    from troly.config import Settings

    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    with FakeOpenAI(responder=_reply_from_passages) as llm, FakeTelegram() as tg:
        env = {"TROLY_LLM": "openai:fake", "OPENAI_BASE_URL": llm.base_url}
        answerer = make_answerer(Settings.from_env(env, dotenv=False).retrieval.llm, engine)
        assert isinstance(answerer, LLMAnswerer)
        async with scope_bot(tg, tmp_path, answerer, env) as bot:
            for user in (OUTSIDER, UNLINKED):
                seen = len(llm.chat_requests())
                (reply,) = await bot.send(user, QUESTION)
                assert FIGURE not in reply["text"]
                for req in llm.chat_requests()[seen:]:
                    assert FIGURE not in req.user and LIMITED_NUMBER not in req.user, user
            seen = len(llm.chat_requests())
            await bot.send(GROUP, f"/hoi {QUESTION}", user_id=INSIDER, chat_type="group")
            assert all(FIGURE not in req.user for req in llm.chat_requests()[seen:])
            # the unit's official: the limited passage is what the model is given (and cited)
            seen = len(llm.chat_requests())
            (reply,) = await bot.send(INSIDER, QUESTION)
            prompts = llm.chat_requests()[seen:]
            assert prompts and any(FIGURE in req.user for req in prompts)
            assert LIMITED_NUMBER in reply["text"]
