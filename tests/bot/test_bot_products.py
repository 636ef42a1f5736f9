"""Handing in a product and reviewing it, through the real application and the fake Telegram server, on the
example database (today = 22/11/2026): "Hoàn thành" + a file, a photo in reply to the task card,
`/nopsanpham` with a text or a link; «Đạt» and «Chưa đạt» with a comment; the wrong person refused; a file too
big or of a forbidden type refused; a review waiting too long flagged against the approver in /tiendo and the
digest; a hand-in dialogue surviving a restart of the bot.

People (examples/officials.xlsx): CB010 Lê Hồng Mai (cán bộ, Sở Tài chính), CB009 Lê Ngọc Yến (lãnh đạo, Sở
Tài chính: the approver of its tasks, whose assigner is no official), CB007 Đặng Hữu Tâm (cán bộ, Sở Nội vụ),
CB020 Nguyễn Bảo Hải (lãnh đạo, a Phòng of Sở Nội vụ), CB004 (quản trị).
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.bot.task_bot_fixtures import NOW, TODAY, button, buttons, cards, task_bot
from tests.bot_fixtures import polling, until

MAI, YEN, TAM, HAI, HANH = 1010, 1009, 1007, 1020, 1004
PDF = b"%PDF-1.4 bao cao ket qua thuc hien\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0 anh chup bien ban"


@pytest.fixture
async def pbot(fake_telegram, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    now = [NOW]
    async with task_bot(fake_telegram, tmp_path, clock=lambda: now[0]) as bot:
        bot.now = now
        for code, tg_id in (("CB010", MAI), ("CB009", YEN), ("CB007", TAM), ("CB020", HAI), ("CB004", HANH)):
            bot.link(code, tg_id)
        for tg_id in (YEN, TAM, HAI, HANH):
            await bot.send(tg_id, "/start")  # their chats exist
        yield bot
    errors = [r for r in caplog.records if r.name == "bot.errors"]
    assert not errors, [r.getMessage() for r in errors]


async def _card(bot, code: str) -> dict:
    before = len(bot.replies(MAI))
    bot.tg.push_message(MAI, MAI, "/viec")
    await until(lambda: len(cards(bot.replies(MAI)[before:])) >= 5, settle=bot.application)
    return next(c for c in cards(bot.replies(MAI)[before:]) if code in c["text"])


async def _push_file(bot, kind: str, **kw) -> list[dict]:
    before = len(bot.replies(MAI))
    bot.tg.push_media(MAI, MAI, kind, **kw)
    return await until(
        lambda: len(bot.replies(MAI)) > before and bot.replies(MAI)[before:], settle=bot.application
    )


def _review_card(bot, code: str) -> dict:
    return next(
        m
        for m in reversed(bot.replies(YEN))
        if m["text"].startswith(f"📥 Sản phẩm chờ duyệt: nhiệm vụ {code}")
    )


def _products(bot, code: str) -> list:
    from tasks.models import Task, TaskProduct

    with bot.db.session() as s:
        task_id = s.scalar(select(Task.id).where(Task.code == code))
        return list(
            s.scalars(select(TaskProduct).where(TaskProduct.task_id == task_id).order_by(TaskProduct.id))
        )


async def test_a_file_handed_in_after_hoan_thanh_goes_to_the_approver_who_sends_it_back_with_a_comment(pbot):
    card = await _card(pbot, "NV-086")
    await pbot.press(MAI, button(card, "✅ Hoàn thành")["callback_data"], card["message_id"], n_messages=1)
    (reply,) = await _push_file(pbot, "document", content=PDF, file_name="bao-cao-NV-086.pdf")
    assert reply["text"].startswith("📤 Đã nộp sản phẩm nhiệm vụ NV-086: 📎 bao-cao-NV-086.pdf (1 KB).")
    assert "đã gửi Lê Ngọc Yến (CB009) duyệt" in reply["text"]
    assert pbot.tg.downloads == ["documents/file-document-" + reply["reply_to_message_id"].__str__()]
    task = pbot.task("NV-086")
    assert (task.status.value, task.submitted_on) == ("cho_duyet", TODAY)
    (product,) = _products(pbot, "NV-086")
    assert (product.kind, product.name, product.size) == ("file", "bao-cao-NV-086.pdf", len(PDF))
    stored = pbot.settings.home / "files" / product.path
    assert stored.read_bytes() == PDF and product.path.startswith("products/")
    # The approver gets the file again by its file id (no upload), then the review card.
    sent = await until(
        lambda: [c for c in pbot.tg.call_log("sendDocument") if str(c.params.get("chat_id")) == str(YEN)]
    )
    assert sent[0].params["document"] == f"file-document-{reply['reply_to_message_id']}"
    review = await until(lambda: _review_card(pbot, "NV-086"))
    assert "📎 bao-cao-NV-086.pdf" in review["text"] and "Lê Hồng Mai (CB010) nộp lúc 09:00" in review["text"]
    # «Chưa đạt» asks for a comment; the next text is it.
    await pbot.press(YEN, button(review, "↩️ Chưa đạt")["callback_data"], review["message_id"], n_messages=1)
    prompt = pbot.replies(YEN)[-1]
    assert prompt["text"].startswith("↩️ Trả lại sản phẩm nhiệm vụ NV-086")
    assert [b["text"] for b in buttons(prompt)] == ["↩️ Trả lại, không nhận xét", "✖️ Thôi"]
    assert pbot.task("NV-086").status.value == "cho_duyet"  # nothing decided yet
    before_mai = len(pbot.replies(MAI))
    (done,) = await pbot.send(YEN, "Thiếu phụ lục số liệu quý IV, bổ sung giúp em")
    assert done["text"].startswith("↩️ Đã trả lại sản phẩm nhiệm vụ NV-086 (chưa đạt)")
    assert "Nhận xét: Thiếu phụ lục số liệu quý IV, bổ sung giúp em" in done["text"]
    task = pbot.task("NV-086")
    assert (task.status.value, task.submitted_on, task.completed_on) == ("dang_thuc_hien", None, None)
    (product,) = _products(pbot, "NV-086")
    assert (product.verdict, product.review_comment) == (
        "chua_dat",
        "Thiếu phụ lục số liệu quý IV, bổ sung giúp em",
    )
    told = await until(lambda: len(pbot.replies(MAI)) > before_mai and pbot.replies(MAI)[-1])
    assert told["text"].startswith("↩️ Sản phẩm nhiệm vụ NV-086 chưa đạt (Lê Ngọc Yến (CB009)).")
    assert "Nhận xét: Thiếu phụ lục số liệu quý IV" in told["text"]
    assert "✅ Hoàn thành" in [b["text"] for b in buttons(told)]  # hand in again from here
    assert not buttons(pbot.message(YEN, review["message_id"])) and not buttons(
        pbot.message(YEN, prompt["message_id"])
    )
    notes = [a.note for a in pbot.audit("NV-086") if a.actor == "CB009"]
    assert any("chưa đạt" in (n or "") and "Thiếu phụ lục" in n for n in notes)


async def test_a_photo_in_reply_to_the_card_is_the_product_and_dat_completes_on_the_hand_in_day(pbot):
    card = await _card(pbot, "NV-071")
    (reply,) = await _push_file(pbot, "photo", content=JPEG, reply_to_message_id=card["message_id"])
    assert reply["text"].startswith("📤 Đã nộp sản phẩm nhiệm vụ NV-071: 🖼 Ảnh")
    (product,) = _products(pbot, "NV-071")
    assert product.kind == "photo" and (pbot.settings.home / "files" / product.path).read_bytes() == JPEG
    edited = await until(lambda: (m := pbot.message(MAI, card["message_id"]))["edits"] and m)
    assert "chờ duyệt" in edited["text"] and "đã nộp sản phẩm lúc 09:00" in edited["text"]
    photos = await until(
        lambda: [c for c in pbot.tg.call_log("sendPhoto") if str(c.params.get("chat_id")) == str(YEN)]
    )
    assert photos[0].params["photo"].startswith("file-photo-")
    review = await until(lambda: _review_card(pbot, "NV-071"))
    pbot.now[0] = NOW + timedelta(days=2)  # reviewed two days later: completed on the hand-in day
    answer = await pbot.press(YEN, button(review, "✅ Đạt")["callback_data"], review["message_id"])
    assert answer["text"] == "Đã duyệt: đạt."
    task = pbot.task("NV-071")
    assert (task.status.value, task.progress, task.completed_on) == ("hoan_thanh", 100, TODAY)
    shown = await until(lambda: (m := pbot.message(YEN, review["message_id"]))["edits"] and m)
    assert shown["text"].startswith(
        "✅ Đã duyệt sản phẩm nhiệm vụ NV-071: đạt. Nhiệm vụ hoàn thành ngày 22/11/2026"
    )
    assert not buttons(shown)
    # A second press (another approver's card, an old message) changes nothing.
    again = await pbot.press(YEN, button(review, "✅ Đạt")["callback_data"], review["message_id"])
    assert again["show_alert"]
    assert again["text"] == "Nhiệm vụ NV-071 không có sản phẩm đang chờ duyệt (trạng thái: hoàn thành)."
    assert pbot.task("NV-071").completed_on == TODAY


async def test_nopsanpham_with_a_text_or_a_link_and_the_submit_alias(pbot):
    (reply,) = await pbot.send(MAI, "/nopsanpham nv-086 Đã gửi Báo cáo số 125/BC-STC qua hệ thống văn bản")
    assert reply["text"].startswith("📤 Đã nộp sản phẩm nhiệm vụ NV-086: 📝 Đã gửi Báo cáo số 125/BC-STC")
    (reply,) = await pbot.send(MAI, "/submit NV-071 https://drive.example.gov.vn/bao-cao.pdf")
    assert reply["text"].startswith(
        "📤 Đã nộp sản phẩm nhiệm vụ NV-071: 🔗 https://drive.example.gov.vn/bao-cao.pdf"
    )
    assert [p.kind for p in _products(pbot, "NV-071")] == ["link"]
    assert [p.body for p in _products(pbot, "NV-086")] == [
        "Đã gửi Báo cáo số 125/BC-STC qua hệ thống văn bản"
    ]
    # Without a product: the command waits for it (then a file with its caption is the product).
    (prompt,) = await pbot.send(MAI, "/nopsanpham NV-010")
    assert prompt["text"].startswith("Báo hoàn thành nhiệm vụ NV-010")
    (reply,) = await _push_file(pbot, "document", content=PDF, file_name="ke-hoach.docx")
    assert reply["text"].startswith("📤 Đã nộp sản phẩm nhiệm vụ NV-010: 📎 ke-hoach.docx")
    (usage,) = await pbot.send(MAI, "/nopsanpham")
    assert usage["text"].startswith("Cách nộp sản phẩm: /nopsanpham MÃ_NHIỆM_VỤ")
    (unknown,) = await pbot.send(MAI, "/nopsanpham NV-9999 xong")
    assert unknown["text"].startswith("Không có nhiệm vụ mã “NV-9999”.")


async def test_the_wrong_person_is_refused_and_nothing_changes(pbot):
    await pbot.send(MAI, "/nopsanpham NV-086 Báo cáo đã trình")
    review = await until(lambda: _review_card(pbot, "NV-086"))
    ok, no = button(review, "✅ Đạt")["callback_data"], button(review, "↩️ Chưa đạt")["callback_data"]
    audit_before = len(pbot.audit("NV-086"))
    # Tâm (cán bộ of another Sở) and Hải (lãnh đạo of a Phòng of another Sở) press the approver's buttons
    # (forged under their own messages: the bot sent the card to Yến only).
    for who in (TAM, HAI):
        (own,) = await pbot.send(who, "/trogiup")
        for data in (ok, no):
            answer = await pbot.press(who, data, own["message_id"])
            assert answer["show_alert"], data
            assert answer["text"].startswith("Bạn không có quyền duyệt sản phẩm nhiệm vụ NV-086"), answer[
                "text"
            ]
        assert pbot.replies(who)[-1]["message_id"] == own["message_id"]  # nothing else was said
    # Mai may not judge her own product, nor hand in Tâm's task.
    (own,) = await pbot.send(MAI, "/trogiup")
    answer = await pbot.press(MAI, ok, own["message_id"])
    assert answer["show_alert"] and answer["text"].startswith(
        "Bạn không có quyền duyệt sản phẩm nhiệm vụ NV-086"
    )
    tam_task = pbot.open_tasks_of("CB007")[0].code
    (refused,) = await pbot.send(MAI, f"/nopsanpham {tam_task} xong rồi")
    assert refused["text"] == f"Chỉ người được giao (Đặng Hữu Tâm) mới nộp sản phẩm nhiệm vụ {tam_task}."
    assert pbot.task("NV-086").status.value == "cho_duyet"
    assert len(pbot.audit("NV-086")) == audit_before
    assert _products(pbot, tam_task) == []
    # The quản trị may review.
    (own,) = await pbot.send(HANH, "/trogiup")
    answer = await pbot.press(HANH, ok, own["message_id"])
    assert answer["text"] == "Đã duyệt: đạt." and pbot.task("NV-086").status.value == "hoan_thanh"


async def test_a_file_too_big_or_of_a_forbidden_type_is_refused_before_anything_is_stored(pbot):
    card = await _card(pbot, "NV-086")
    await pbot.press(MAI, button(card, "✅ Hoàn thành")["callback_data"], card["message_id"], n_messages=1)
    (big,) = await _push_file(
        pbot, "document", content=PDF, file_name="ho-so.pdf", file_size=25 * 1024 * 1024
    )
    assert big["text"] == (
        "Tệp “ho-so.pdf” nặng 25,0 MB; tối đa 20 MB (giới hạn tải tệp của Telegram). Hãy nén hoặc chia nhỏ rồi gửi lại."
    )
    (exe,) = await _push_file(pbot, "document", content=b"MZ\x90\x00", file_name="cai-dat.exe",
                              mime_type="application/x-msdownload")  # fmt: skip
    assert exe["text"].startswith(
        "Không nhận tệp “cai-dat.exe”: chỉ nhận văn bản (PDF, Word, Excel, PowerPoint…)"
    )
    (disguised,) = await _push_file(pbot, "document", content=b"MZ\x90\x00program", file_name="bao-cao.pdf")
    assert (
        disguised["text"]
        == "Không nhận tệp “bao-cao.pdf”: đây là chương trình chạy được, không phải sản phẩm."
    )
    assert pbot.tg.downloads and all("document" in d for d in pbot.tg.downloads)
    assert len(pbot.tg.downloads) == 1  # only the disguised one was fetched (its name passed)
    assert _products(pbot, "NV-086") == [] and pbot.task("NV-086").status.value != "cho_duyet"
    assert not (pbot.settings.home / "files" / "products").exists()
    # Still waiting: the right file goes through.
    (ok,) = await _push_file(pbot, "document", content=PDF, file_name="bao-cao.pdf")
    assert ok["text"].startswith("📤 Đã nộp sản phẩm nhiệm vụ NV-086")


async def test_a_review_waiting_more_than_three_working_days_is_flagged_against_the_approver(pbot):
    from tasks.digest import leader_digest
    from tasks.models import Official

    await pbot.send(MAI, "/nopsanpham NV-086 Báo cáo đã trình")  # Sunday 22/11/2026
    pbot.now[0] = NOW + timedelta(days=4)  # Thursday: 3 working days (Mon–Wed) waited — not yet
    (screen,) = await pbot.send(YEN, "/tiendo")
    assert "Sản phẩm chờ bạn duyệt" not in screen["text"]
    pbot.now[0] = NOW + timedelta(days=5)  # Friday: 4 working days
    (screen,) = await pbot.send(YEN, "/tiendo")
    assert screen["text"].startswith(
        "📥 Sản phẩm chờ bạn duyệt quá 3 ngày làm việc: 1\n• NV-086 — Lê Hồng Mai (CB010), nộp 22/11/2026 (đã 4 ngày làm việc)"
    )
    (mine,) = await pbot.send(MAI, "/tiendo")  # not against the official
    assert "chờ bạn duyệt" not in mine["text"]
    (other,) = await pbot.send(HAI, "/tiendo")  # nor another leader
    assert "chờ bạn duyệt" not in other["text"]
    with pbot.db.session() as s:
        yen = s.scalar(select(Official).where(Official.code == "CB009"))
        digest = leader_digest(s, yen, pbot.now[0])
        hai = s.scalar(select(Official).where(Official.code == "CB020"))
        other_digest = leader_digest(s, hai, pbot.now[0])
    assert "📥 Sản phẩm chờ anh/chị duyệt quá 3 ngày làm việc: <b>1</b> (NV-086)" in digest
    assert "📥" not in other_digest


async def test_a_hand_in_waiting_survives_a_restart_of_the_bot(fake_telegram, tmp_path):
    from bot.app import build_application
    from bot.feedback import MemoryAnswerLog
    from tests.bot.task_bot_fixtures import SearchingEngine

    async with task_bot(fake_telegram, tmp_path) as bot:
        bot.link("CB010", MAI)
        bot.link("CB009", YEN)
        await bot.send(YEN, "/start")
        card = await _card(bot, "NV-086")
        await bot.press(MAI, button(card, "✅ Hoàn thành")["callback_data"], card["message_id"], n_messages=1)
        settings = bot.settings
    # A new process (a new application, nothing in memory) on the same database: the next file is the product.
    app = build_application(
        settings, SearchingEngine(), answers=MemoryAnswerLog(), workers=2, reminders=False
    )
    from bot.db_runner import TASKS_KEY

    app.bot_data[TASKS_KEY].clock = lambda: NOW
    async with polling(app):
        before = len(fake_telegram.sent_messages(MAI))
        fake_telegram.push_media(MAI, MAI, "document", content=PDF, file_name="bao-cao.pdf")
        (reply,) = await until(
            lambda: (
                len(fake_telegram.sent_messages(MAI)) > before and fake_telegram.sent_messages(MAI)[before:]
            ),
            settle=app,
        )
        assert reply["text"].startswith("📤 Đã nộp sản phẩm nhiệm vụ NV-086: 📎 bao-cao.pdf")
        edited = await until(
            lambda: (
                (
                    m := next(
                        x for x in fake_telegram.sent_messages(MAI) if x["message_id"] == card["message_id"]
                    )
                )["edits"]
                and m
            )
        )
        assert "chờ duyệt" in edited["text"]
