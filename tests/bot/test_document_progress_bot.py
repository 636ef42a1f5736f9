"""Progress by document through the real bot: `/tiendo KL 221` and "tiến độ triển khai Kết luận 221 đến đâu?"
on the example database (Kết luận 221-KL/TW assigned to a dozen units), within each viewer's access; the chart
button, and the overdue task opened with "Giao lại" / "Hủy nhiệm vụ" for its leader."""

from __future__ import annotations

import logging

import pytest

from bot import texts
from tests.bot.task_bot_fixtures import button, task_bot
from tests.bot_fixtures import until

THAO, SON, MAI, HANH, STRANGER = 1006, 1008, 1010, 1004, 1999  # CB006 leads Sở Nội vụ; CB004 is quản trị
GROUP = -100_778
OTHER_UNITS = ("UBND xã Bá Thước", "Sở Tài chính", "Sở Giáo dục và Đào tạo")


@pytest.fixture
async def tbot(fake_telegram, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    async with task_bot(fake_telegram, tmp_path) as bot:
        for code, tg_id in (("CB006", THAO), ("CB008", SON), ("CB010", MAI), ("CB004", HANH)):
            bot.link(code, tg_id)
        yield bot
    errors = [r for r in caplog.records if r.name == "bot.errors"]
    assert not errors, [r.getMessage() for r in errors]


async def test_a_leader_sees_the_document_in_their_subtree_only(tbot):
    (screen,) = await tbot.send(THAO, "/tiendo KL 221")
    text = screen["text"]
    assert text.startswith("📊 Tiến độ triển khai Kết luận 221-KL/TW")
    assert "Sở Nội vụ và các đơn vị trực thuộc" in text and "Tổng số: 9 nhiệm vụ" in text
    assert "Phòng Công chức, viên chức - Sở Nội vụ: 3 nhiệm vụ" in text
    assert not any(unit in text for unit in OTHER_UNITS)
    assert "NV-119 — quá hạn 38 ngày" in text  # the one overdue task of the subtree

    # the chart of the same scope, as a photo
    answer = await tbot.press(
        THAO, button(screen, "📈 Biểu đồ")["callback_data"], screen["message_id"], n_messages=1
    )
    assert answer["text"] == texts.CHART_PREPARING
    (photo,) = tbot.tg.uploads("sendPhoto", chat_id=THAO)
    assert photo["content"].startswith(b"\x89PNG")
    assert "Kết luận 221-KL/TW" in tbot.replies(THAO)[-1]["caption"]

    # people move: the overdue task opens with "Giao lại" and "Hủy nhiệm vụ" for its leader
    await tbot.press(THAO, button(screen, "1")["callback_data"], screen["message_id"])
    opened = await until(
        lambda: (m := tbot.message(THAO, screen["message_id"]))["edits"] >= 1 and m
    )  # in place
    assert "NV-119" in opened["text"]
    assert {"👤 Giao lại", "🗑 Hủy nhiệm vụ"} <= {
        b["text"] for row in opened["reply_markup"]["inline_keyboard"] for b in row
    }


async def test_the_free_text_question_and_every_viewer(tbot):
    (screen,) = await tbot.send(THAO, "Tiến độ triển khai Kết luận 221 đến đâu?")
    assert screen["text"].startswith("📊 Tiến độ triển khai Kết luận 221-KL/TW")
    assert "Tổng số: 9 nhiệm vụ" in screen["text"]
    assert tbot.engine.calls == []  # answered from the task database, not document search

    (everything,) = await tbot.send(HANH, "/tiendo 221-KL/TW")
    assert "tất cả đơn vị" in everything["text"] and all(u in everything["text"] for u in OTHER_UNITS)

    (own,) = await tbot.send(MAI, "tiến độ KL 221 thế nào")  # an official: the tasks assigned to them
    assert "các nhiệm vụ giao cho bạn" in own["text"] and "Tổng số: 3 nhiệm vụ" in own["text"]
    assert "Theo đơn vị chủ trì" not in own["text"]

    (refused,) = await tbot.send(STRANGER, "/tiendo KL 221")
    assert "chưa liên kết" in refused["text"] and "Tiến độ triển khai" not in refused["text"]

    # in a group: no figures, "message me privately"
    (group,) = await tbot.send(GROUP, "@troly_test_bot tiến độ triển khai KL 221 đến đâu?", user_id=THAO,
                               chat_type="group")  # fmt: skip
    assert "Tiến độ triển khai" not in group["text"] and "NV-" not in group["text"]

    # a unit name still means the unit; a document no task names says so
    (unit,) = await tbot.send(THAO, "/tiendo Sở Nội vụ")
    assert unit["text"].startswith("📊 Tiến độ nhiệm vụ — Sở Nội vụ")
    (none,) = await tbot.send(THAO, "/tiendo NQ 999")
    assert "Chưa có nhiệm vụ nào được giao theo Nghị quyết 999" in none["text"]
