"""/vanban through the real bot (handlers, rate limiter, polling) against the fake Telegram server, with the
real retrieval engine over the shipped corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.render import TELEGRAM_MAX_CHARS, render_document_card, render_documents, utf16_len, visible_text
from tests.bot_fixtures import polling, until

pytestmark = pytest.mark.slow

CHAT = 2024


@pytest.fixture
async def real_bot(fake_telegram, engine, tmp_path: Path):
    from bot.app import build_application
    from bot.feedback import MemoryAnswerLog
    from troly.config import Settings

    settings = Settings.from_env(
        {
            "TROLY_HOME": str(tmp_path / "home"),
            "TELEGRAM_BOT_TOKEN": fake_telegram.token,
            "TELEGRAM_API_BASE_URL": fake_telegram.api_url,
        },
        dotenv=False,
    )
    app = build_application(settings, engine, answers=MemoryAnswerLog(), workers=2, reminders=False)
    async with polling(app):
        yield fake_telegram


def _texts(tg, chat_id):
    return [m["text"] for m in tg.sent_messages(chat_id=chat_id)]


async def test_vanban_lists_the_corpus(real_bot, engine):
    tg = real_bot
    tg.push_message(CHAT, 7, "/vanban")
    await until(lambda: any("/vanban 57" in t for t in _texts(tg, CHAT)), timeout=60)
    text = "\n".join(_texts(tg, CHAT))
    assert text.startswith("Kho văn bản: ")
    for needle in (
        "Kết luận 221-KL/TW · 28/11/2025",
        "Nghị quyết 198/2025/QH15 · 17/05/2025",
        "Thông báo 627/TB-VPCP",
    ):
        assert needle in text
    n = sum(1 for p in engine.store.passages.values() if p.doc.source == "nq-57-NQ-TW-2024-12-22.md")
    assert (
        "Nghị quyết 57-NQ/TW · 22/12/2024 — Về đột phá phát triển khoa học" in text and f"({n} đoạn)" in text
    )
    assert "Bài viết, tài liệu tham khảo" in text and "(về 68-NQ/TW)" in text
    assert all(m["parse_mode"] == "HTML" for m in tg.sent_messages(chat_id=CHAT))


async def test_vanban_57_shows_one_card_with_its_sections(real_bot):
    tg = real_bot
    tg.push_message(CHAT, 7, "/vanban 57")
    (msg,) = await until(lambda: tg.sent_messages(chat_id=CHAT), timeout=60)
    text = msg["text"]
    assert text.startswith("📄 Nghị quyết 57-NQ/TW")
    assert "Cơ quan ban hành: Bộ Chính trị" in text and "Ngày ban hành: 22/12/2024" in text
    assert "Người ký: chưa có trong bản lưu" in text  # the stored copy has no signature block
    assert "Các phần:" in text and "II- MỤC TIÊU" in text and "IV- TỔ CHỨC THỰC HIỆN" in text


async def test_vanban_kl_221_signer_and_unknown_reference(real_bot):
    tg = real_bot
    tg.push_message(CHAT, 7, "/vanban KL 221")
    (msg,) = await until(lambda: tg.sent_messages(chat_id=CHAT), timeout=60)
    assert "Người ký: Trần Cẩm Tú — Thay mặt Bộ Chính trị" in msg["text"]
    assert "Nơi nhận: Các cơ quan, ban đảng Trung ương" in msg["text"]
    tg.push_message(CHAT, 7, "/vanban 9999 <b>")
    await until(lambda: len(tg.sent_messages(chat_id=CHAT)) == 2, timeout=60)
    last = tg.sent_messages(chat_id=CHAT)[-1]["text"]
    assert last.startswith("Kho văn bản chưa có văn bản “9999 <b>”")


async def test_vanban_of_a_document_known_only_through_articles(real_bot):
    tg = real_bot
    tg.push_message(CHAT, 7, "/vanban 68")
    await until(lambda: any("/vanban 57" in t for t in _texts(tg, CHAT)), timeout=60)
    text = "\n".join(_texts(tg, CHAT))
    assert text.startswith("Kho văn bản chưa có toàn văn “68”, chỉ có các bài viết về văn bản này:")
    assert "Bài viết, tài liệu tham khảo: 5" in text and text.count("(về 68-NQ/TW)") == 5


def test_render_long_listing_and_empty():
    cards = [
        {
            "doc_number": f"{i}-NQ/TW",
            "doc_type": "Nghị quyết",
            "date": "2025-01-02",
            "title": "Về <việc> & " * 20,
            "passages": 3,
        }
        for i in range(60)
    ]
    parts = render_documents(cards)
    assert len(parts) > 1 and all(utf16_len(visible_text(p)) <= TELEGRAM_MAX_CHARS for p in parts)
    assert "&lt;việc&gt; &amp;" in parts[0]
    assert render_documents([])[0].startswith("Kho văn bản chưa có")
    (card,) = render_document_card({"doc_number": "1-KL/TW", "doc_type": "Kết luận", "passages": 2})
    assert "Người ký:</b> <i>chưa có trong bản lưu</i>" in card


def test_a_limited_documents_card_names_its_units_and_a_public_one_says_nothing():
    limited = {"doc_number": "45/KH-STC", "doc_type": "Kế hoạch", "passages": 3, "pham_vi": ["Sở Tài chính"]}
    (card,) = render_document_card(limited)
    assert "Phạm vi:</b> chỉ dành cho Sở Tài chính" in card
    (public,) = render_document_card({**limited, "pham_vi": []})
    assert "Phạm vi" not in public
