"""Administrators add documents to the corpus from the chat and remove them, through the real application, the
real retrieval engine (a small corpus of its own in a temporary folder) and the fake Telegram server (files
served by its getFile), on the example database. A second application on the same database and index, not
polling, stands for another bot process: it must find the new document within seconds (index generation).

People: CB004 quản trị (1004); CB010 Lê Hồng Mai, cán bộ of Sở Tài chính (1010); CB007 Đặng Hữu Tâm, cán bộ
of Sở Nội vụ (1007).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

from app.audience import audience_of
from app.documents_admin import ADMIN_ONLY
from bot import texts
from tasks.index_generation import current
from tasks.models import AuditLog
from tests.bot.task_bot_fixtures import NOW, TaskBot, button, buttons, prepare_home
from tests.bot_fixtures import polling, until

pytestmark = pytest.mark.slow

ADMIN, MAI, TAM = 1004, 1010, 1007
BASE_DOC = """# Kế hoạch cải cách hành chính năm 2027

ỦY BAN NHÂN DÂN TỈNH THỬ NGHIỆM

Số: 12/KH-UBND

KẾ HOẠCH
Cải cách hành chính năm 2027

I. MỤC TIÊU

1. Tỷ lệ hồ sơ thủ tục hành chính giải quyết trực tuyến toàn trình đạt 80%.

2. Mức độ hài lòng của người dân đạt trên 90%.
"""
NEW_DOC = """ỦY BAN NHÂN DÂN TỈNH THỬ NGHIỆM

Số: 345/KH-UBND

KẾ HOẠCH
Phòng, chống sạt lở bờ sông mùa mưa bão năm 2027

I. MỤC TIÊU

1. Di dời 120 hộ dân ra khỏi vùng sạt lở bờ sông trước ngày 30/4/2027.

2. Gia cố 3 km kè sông bằng rọ đá tại các xã ven sông.

II. TỔ CHỨC THỰC HIỆN

Sở Nông nghiệp và Môi trường chủ trì, phối hợp với UBND các xã lập danh sách hộ dân cần di dời.
"""
LIMITED_DOC = """ỦY BAN NHÂN DÂN TỈNH THỬ NGHIỆM

Số: 77/KH-STC

KẾ HOẠCH
Kiểm kê tài sản công nội bộ năm 2027

I. YÊU CẦU

1. Kiểm kê toàn bộ 46 xe ô tô công và trụ sở làm việc trước ngày 15/3/2027.
"""
SECRET_DOC = """MẬT

ỦY BAN NHÂN DÂN TỈNH THỬ NGHIỆM

Số: 9/KH-UBND

KẾ HOẠCH
Phương án bảo vệ mục tiêu trọng điểm
"""
QUESTION = "/hoi Kế hoạch 345 di dời bao nhiêu hộ dân?"


@dataclass
class DocBot(TaskBot):
    corpus: Path = Path()

    async def send_file(self, chat_id: int, name: str, content: str, caption: str | None = None, n: int = 1):
        before = len(self.replies(chat_id))
        self.tg.push_document(
            chat_id, chat_id, name, content.encode(), caption=caption, mime_type="text/markdown"
        )
        return await until(
            lambda: len(self.replies(chat_id)) >= before + n and self.replies(chat_id)[before:],
            timeout=120, settle=self.application,
        )  # fmt: skip

    async def until_edited(self, chat_id: int, message_id: int, prefix: str) -> dict[str, Any]:
        await until(lambda: self.message(chat_id, message_id)["text"].startswith(prefix), timeout=120)
        await until(lambda: True, settle=self.application)
        return self.message(chat_id, message_id)

    def generation(self) -> int:
        with self.db.session() as s:
            return current(s)

    def document_audits(self) -> list[AuditLog]:
        with self.db.session() as s:
            return list(
                s.scalars(select(AuditLog).where(AuditLog.entity == "document").order_by(AuditLog.id))
            )


def _settings(tg, home: Path, corpus: Path):
    from troly.config import Settings

    return Settings.from_env(
        {"TROLY_HOME": str(home), "TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_BASE_URL": tg.api_url,
         "TROLY_CORPUS": str(corpus)},
        dotenv=False,
    )  # fmt: skip


def _engine(home: Path, corpus: Path):
    from retrieval.engine import RetrievalEngine
    from troly.compose import build_model
    from troly.config import cache_dir

    return RetrievalEngine(home / "index", [corpus], model_cache=cache_dir(), build_model=build_model)


@contextlib.asynccontextmanager
async def doc_bot(tg, tmp_path: Path) -> AsyncIterator[DocBot]:
    from bot.app import build_application
    from bot.feedback import MemoryAnswerLog

    home, corpus = tmp_path / "home", tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "kh-12-cchc.md").write_text(BASE_DOC, encoding="utf-8")
    _, db = prepare_home(home)
    settings = _settings(tg, home, corpus)
    engine = _engine(home, corpus)
    app = build_application(settings, engine, answers=MemoryAnswerLog(), workers=2, reminders=False)
    bot = DocBot(tg, app, engine, db, settings, corpus=corpus)
    bot.store.clock = lambda: NOW
    try:
        async with polling(app):
            for code, tg_id in (("CB004", ADMIN), ("CB010", MAI), ("CB007", TAM)):
                bot.link(code, tg_id)
            await until(lambda: app.bot_data["troly"].qa.is_ready, timeout=240)
            yield bot
    finally:
        db.dispose()


@contextlib.asynccontextmanager
async def other_process(bot: DocBot) -> AsyncIterator[Any]:
    """A second application on the same database and index folder, with its own engine; not polling (the
    first one receives the updates), but its jobs run — as in a second `troly bot` process."""
    from bot.app import build_application
    from bot.feedback import MemoryAnswerLog

    home = bot.settings.home
    engine = _engine(home, bot.corpus)
    app = build_application(bot.settings, engine, answers=MemoryAnswerLog(), workers=2, reminders=False)
    await app.initialize()
    await app.post_init(app)
    await app.start()
    try:
        await until(lambda: app.bot_data["troly"].qa.is_ready, timeout=240)
        yield engine
    finally:
        await app.stop()
        await app.post_shutdown(app)
        await app.shutdown()


@pytest.fixture
async def dbot(fake_telegram, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    async with doc_bot(fake_telegram, tmp_path) as bot:
        yield bot
    errors = [r for r in caplog.records if r.name == "bot.errors"]
    assert not errors, [r.getMessage() for r in errors]


async def _answer(bot: DocBot, chat_id: int, question: str) -> str:
    msgs = await bot.send(chat_id, question)
    return "\n".join(m["text"] for m in msgs)


async def test_a_document_added_in_chat_is_found_by_a_question_everywhere_then_removed(dbot):
    before = await _answer(dbot, MAI, QUESTION)
    assert "120 hộ" not in before
    async with other_process(dbot) as other_engine:
        assert not other_engine.search("di dời hộ dân sạt lở bờ sông", k=3) or all(
            h.passage.doc.source != "kh-345.md" for h in other_engine.search("di dời hộ dân sạt lở", k=3)
        )
        (question,) = await dbot.send_file(ADMIN, "kh-345.md", NEW_DOC, caption="/themvanban")
        assert "Kế hoạch 345/KH-UBND" in question["text"] and "Ai được đọc văn bản này?" in question["text"]
        assert [b["text"] for b in buttons(question)] == ["🌐 Toàn tỉnh", "🏢 Chỉ đơn vị …", "✖️ Huỷ"]
        assert not (dbot.corpus / "kh-345.md").exists()  # nothing stored before the readers are chosen
        await dbot.press(ADMIN, button(question, "🌐 Toàn tỉnh")["callback_data"], question["message_id"])
        done = await dbot.until_edited(ADMIN, question["message_id"], "✅")
        assert done["text"].startswith(
            "✅ Đã thêm Kế hoạch 345/KH-UBND vào kho văn bản: 3 đoạn; người đọc: toàn tỉnh."
        )
        edits = [
            c
            for c in dbot.tg.call_log("editMessageText")
            if c.params.get("message_id") == question["message_id"]
        ]
        assert [str(c.params["text"]).split()[0] for c in edits][:2] == [
            "⏳",
            "⏳",
        ]  # the progress, edited in place
        card = await until(
            lambda: [m for m in dbot.replies(ADMIN) if m["text"].startswith("📄 Kế hoạch 345/KH-UBND")]
        )
        assert "Phòng, chống sạt lở bờ sông" in card[0]["text"]
        assert (dbot.corpus / "kh-345.md").read_text(encoding="utf-8") == NEW_DOC
        assert not (dbot.corpus / "kh-345.md.meta.yaml").exists()  # everyone: no limit to write
        assert dbot.generation() == 1
        (audit,) = dbot.document_audits()
        assert (audit.actor, audit.via, audit.entity_key, audit.new) == (
            "CB004",
            "bot",
            "kh-345.md",
            "Toàn tỉnh",
        )

        answer = await _answer(dbot, MAI, QUESTION)
        assert "120 hộ dân" in answer and "345/KH-UBND" in answer
        # the other process reloads its index by itself, within seconds
        await until(
            lambda: "kh-345.md" in {p.doc.source for p in other_engine.store.passages.values()}, timeout=30
        )
        hits = other_engine.search("di dời hộ dân ra khỏi vùng sạt lở bờ sông", k=3)
        assert hits[0].passage.doc.source == "kh-345.md"

    # /xoavanban after a confirmation
    (confirm,) = await dbot.send(ADMIN, "/xoavanban 345/KH-UBND")
    assert confirm["text"].startswith("Xoá Kế hoạch 345/KH-UBND (tệp “kh-345.md”, 3 đoạn) khỏi kho văn bản?")
    assert (dbot.corpus / "kh-345.md").exists()  # not before the confirmation
    await dbot.press(ADMIN, button(confirm, "🗑 Xoá")["callback_data"], confirm["message_id"])
    removed = await dbot.until_edited(ADMIN, confirm["message_id"], "🗑")
    assert removed["text"] == "🗑 Đã xoá Kế hoạch 345/KH-UBND khỏi kho văn bản."
    assert not (dbot.corpus / "kh-345.md").exists() and dbot.generation() == 2
    assert "120 hộ" not in await _answer(dbot, MAI, QUESTION)
    (gone,) = await dbot.send(ADMIN, "/xoavanban 345/KH-UBND")
    assert "345/KH-UBND" in gone["text"] and not buttons(gone)


async def test_limited_document_secret_file_and_non_admins(dbot):
    # a non-admin's /themvanban: one refusal, nothing downloaded or stored
    (refusal,) = await dbot.send_file(MAI, "kh-77.md", LIMITED_DOC, caption="/themvanban")
    assert refusal["text"] == ADMIN_ONLY
    (note,) = await dbot.send_file(MAI, "ghi-chu.md", LIMITED_DOC)  # a plain file: the usual note
    assert note["text"] == texts.TEXT_ONLY
    assert not dbot.tg.call_log("getFile")

    # a secret-marked file is refused and nothing is stored
    (secret,) = await dbot.send_file(ADMIN, "mat.md", SECRET_DOC, caption="/themvanban")
    assert secret["text"].startswith("❌ Không đưa tệp vào kho.") and "độ mật “MẬT”" in secret["text"]
    assert not buttons(secret) and sorted(p.name for p in dbot.corpus.iterdir()) == ["kh-12-cchc.md"]

    # a document offered without a caption, limited to Sở Tài chính
    (offer,) = await dbot.send_file(ADMIN, "kh-77.md", LIMITED_DOC)
    await dbot.press(ADMIN, button(offer, "📚 Thêm vào kho văn bản")["callback_data"], offer["message_id"])
    question = await dbot.until_edited(ADMIN, offer["message_id"], "📄")
    await dbot.press(ADMIN, button(question, "🏢 Chỉ đơn vị …")["callback_data"], offer["message_id"])
    await until(
        lambda: button(dbot.message(ADMIN, offer["message_id"]), "Xong (0 đơn vị)"), settle=dbot.application
    )
    for _ in range(10):  # page through the unit tree to Sở Tài chính
        picker = dbot.message(ADMIN, offer["message_id"])
        found = [b for b in buttons(picker) if b["text"].endswith(" Sở Tài chính")]
        if found:
            break
        page = picker["text"]
        await dbot.press(ADMIN, button(picker, "▶️")["callback_data"], offer["message_id"])
        await until(
            lambda page=page: dbot.message(ADMIN, offer["message_id"])["text"] != page,
            settle=dbot.application,
        )
    await dbot.press(ADMIN, found[0]["callback_data"], offer["message_id"])
    await until(
        lambda: button(dbot.message(ADMIN, offer["message_id"]), "Xong (1 đơn vị)"), settle=dbot.application
    )
    picker = dbot.message(ADMIN, offer["message_id"])
    assert any(b["text"].startswith("✅") and b["text"].endswith("Sở Tài chính") for b in buttons(picker))
    await dbot.press(ADMIN, button(picker, "Xong (1 đơn vị)")["callback_data"], offer["message_id"])
    done = await dbot.until_edited(ADMIN, offer["message_id"], "✅")
    assert "người đọc: chỉ Sở Tài chính (và đơn vị cấp dưới)" in done["text"]
    side = yaml.safe_load((dbot.corpus / "kh-77.md.meta.yaml").read_text(encoding="utf-8"))
    assert side == {"pham_vi": ["Sở Tài chính"]}

    # an official of another unit never gets it; Mai's unit may read it (audience inside retrieval)
    answer = await _answer(dbot, TAM, "/hoi Kế hoạch 77 kiểm kê bao nhiêu xe ô tô công?")
    assert "46 xe" not in answer
    with dbot.db.session() as s:
        tam, mai = audience_of(s, TAM, group=False), audience_of(s, MAI, group=False)
    query = "kiểm kê xe ô tô công và trụ sở làm việc"
    assert all(h.passage.doc.source != "kh-77.md" for h in dbot.engine.search(query, k=5, audience=tam))
    assert dbot.engine.search(query, k=1, audience=mai)[0].passage.doc.source == "kh-77.md"
    with dbot.db.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.entity == "document")) == 1
