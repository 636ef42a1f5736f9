"""Through the real application and the fake Telegram server, on the example database (today = 22/11/2026):
questions about a named colleague, and the leaders' "Giao lại" / "Hủy nhiệm vụ" buttons in /tiendo.

People: CB006 Hồ Hữu Thảo (lãnh đạo, Sở Nội vụ), CB007 Đặng Hữu Tâm (cán bộ, Sở Nội vụ), CB008 Phạm Quang Sơn
(cán bộ, Sở Nội vụ), CB009 Lê Ngọc Yến (lãnh đạo, Sở Tài chính), CB010 Lê Hồng Mai (cán bộ, Sở Tài chính).
"""

from __future__ import annotations

import logging

import pytest

from tasks.normalize import TaskStatus
from tests.bot.task_bot_fixtures import TODAY, button, buttons, task_bot
from tests.bot_fixtures import until

THAO, TAM, YEN, MAI = 1006, 1007, 1009, 1010
REFUSAL = "Xin lỗi, anh/chị chỉ xem được nhiệm vụ của mình."


@pytest.fixture
async def tbot(fake_telegram, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    async with task_bot(fake_telegram, tmp_path) as bot:
        for code, tg_id in (("CB006", THAO), ("CB007", TAM), ("CB009", YEN), ("CB010", MAI)):
            bot.link(code, tg_id)
        yield bot
    errors = [r for r in caplog.records if r.name == "bot.errors"]
    assert not errors, [r.getMessage() for r in errors]


async def _edited(bot, chat_id: int, message_id: int, edits: int) -> dict:
    return await until(lambda: (m := bot.message(chat_id, message_id))["edits"] >= edits and m)


# --- a named colleague -------------------------------------------------------------------------------------


async def test_an_official_asking_about_a_colleague_is_refused_politely(tbot):
    for question in (
        "Việc của anh Đặng Hữu Tâm thế nào?",
        "chị Yến có việc nào quá hạn không?",
        "Đặng Hữu Tâm còn bao nhiêu việc sắp đến hạn",
        "viec cua anh tam tuan nay",
        "KPI của đồng chí Hồ Hữu Thảo",
    ):
        (msg,) = await tbot.send(MAI, question)
        assert msg["text"].startswith(REFUSAL), (question, msg["text"])
        assert "NV-" not in msg["text"]
    assert tbot.engine.calls == []  # never a document search
    # About herself by name: her own tasks.
    (mine,) = await tbot.send(MAI, "việc của chị Lê Hồng Mai")
    assert mine["text"].startswith("📋 Việc của bạn") or mine["text"].startswith("Bạn không có")


async def test_a_leader_asks_about_people_of_their_subtree_only(tbot):
    tam = tbot.open_tasks_of("CB007")
    (inside,) = await tbot.send(THAO, "việc của anh Đặng Hữu Tâm")
    assert inside["text"].startswith(f"📋 Việc của Đặng Hữu Tâm (CB007) đang thực hiện: {len(tam)} nhiệm vụ")
    assert tam[0].code in inside["text"]
    (outside,) = await tbot.send(YEN, "anh Đặng Hữu Tâm có việc nào quá hạn không?")
    assert outside["text"] == (
        "Xin lỗi, anh/chị chỉ xem được nhiệm vụ của cán bộ thuộc Sở Tài chính và các đơn vị trực thuộc."
    )
    assert tbot.engine.calls == []


# --- Giao lại / Hủy nhiệm vụ in /tiendo ----------------------------------------------------------------------


async def _open_first_overdue(bot) -> tuple[dict, str]:
    (screen,) = await bot.send(THAO, "/tiendo")
    mid = screen["message_id"]
    await bot.press(THAO, button(screen, "⚠️ Quá hạn (3)")["callback_data"], mid)
    overdue = await _edited(bot, THAO, mid, 1)
    await bot.press(THAO, button(overdue, "1")["callback_data"], mid)
    view = await _edited(bot, THAO, mid, 2)
    code = view["text"].split("\n", 1)[0].strip()
    return view, code


async def test_a_leader_reassigns_a_task_from_the_overdue_list(tbot):
    view, code = await _open_first_overdue(tbot)
    mid = view["message_id"]
    before = tbot.task(code)
    assert code.startswith("NV-") and "📝 Việc:" in view["text"]
    assert {"👤 Giao lại", "🗑 Hủy nhiệm vụ", "↩️ Danh sách quá hạn"} <= {b["text"] for b in buttons(view)}
    await tbot.press(THAO, button(view, "👤 Giao lại")["callback_data"], mid)
    pick = await _edited(tbot, THAO, mid, 3)
    assert pick["text"].startswith(f"👤 Giao lại nhiệm vụ {code}")
    target = next(b for b in buttons(pick) if b["text"].startswith("Phạm Quang Sơn"))
    if before.assignee.code == "CB008":
        target = next(b for b in buttons(pick) if b["text"].startswith("Đặng Hữu Tâm"))
    await tbot.press(THAO, target["callback_data"], mid)
    confirm = await _edited(tbot, THAO, mid, 4)
    assert confirm["text"].startswith(f"Giao lại nhiệm vụ {code}?")
    answer = await tbot.press(THAO, button(confirm, "✅ Xác nhận giao lại")["callback_data"], mid)
    assert answer["text"] == "Đã giao lại nhiệm vụ."
    done = await _edited(tbot, THAO, mid, 5)
    after = tbot.task(code)
    assert after.assignee.code != before.assignee.code and done["text"].startswith("✅ Đã giao lại nhiệm vụ")
    last = tbot.audit(code)[-1]
    assert (last.actor, last.via, last.field, last.old, last.new) == (
        "CB006",
        "bot",
        "assignee",
        before.assignee.code,
        after.assignee.code,
    )


async def test_a_leader_cancels_a_task_with_a_reason_and_a_confirm_step(tbot):
    view, code = await _open_first_overdue(tbot)
    mid = view["message_id"]
    answer = await tbot.press(THAO, button(view, "🗑 Hủy nhiệm vụ")["callback_data"], mid)
    assert answer["text"] == "Hãy gửi lý do hủy trong một tin nhắn."
    prompt = await _edited(tbot, THAO, mid, 3)
    assert prompt["text"].startswith(f"🗑 Hủy nhiệm vụ {code}") and "lý do hủy" in prompt["text"]
    (empty,) = await tbot.send(THAO, "...")
    assert empty["text"].startswith("Lý do hủy đang trống")
    (confirm,) = await tbot.send(THAO, "Văn bản giao đã được thay thế")
    assert (
        confirm["text"].startswith(f"Hủy nhiệm vụ {code}?")
        and "Lý do: Văn bản giao đã được thay thế" in confirm["text"]
    )
    assert tbot.task(code).status != TaskStatus.DA_HUY  # nothing until confirmed
    answer = await tbot.press(THAO, button(confirm, "🗑 Xác nhận hủy")["callback_data"], confirm["message_id"])
    assert answer["text"] == "Đã hủy nhiệm vụ."
    done = await _edited(tbot, THAO, confirm["message_id"], 1)
    assert done["text"].startswith(f"🗑 Đã hủy nhiệm vụ {code}.") and "Lý do hủy: Văn bản giao" in done["text"]
    assert tbot.task(code).status == TaskStatus.DA_HUY
    last = tbot.audit(code)[-1]
    assert (last.actor, last.via, last.field, last.new) == ("CB006", "bot", "status", "da_huy")
    (screen,) = await tbot.send(THAO, "/tiendo")
    assert "⚠️ Quá hạn: 2" in screen["text"]  # the cancelled task left the figures
    assert tbot.engine.calls == []  # the reason was never taken for a question


async def test_only_leaders_of_the_unit_get_the_buttons_and_forged_presses_are_refused(tbot):
    _view, code = await _open_first_overdue(tbot)
    task_id = tbot.task(code).id
    (yen,) = await tbot.send(YEN, "/tiendo")
    for data in (f"td:t:{task_id}", f"td:ra:{task_id}:1", f"td:x:{task_id}", f"td:xy:{task_id}"):
        answer = await tbot.press(YEN, data, yen["message_id"])
        assert answer["show_alert"] is True, data
    (tam, *_) = await tbot.send(TAM, "/tiendo")  # an official: not for them
    official = tbot.official("CB008").id
    answer = await tbot.press(TAM, f"td:ry:{task_id}:{official}", tam["message_id"])
    assert answer["show_alert"] is True and "dành cho lãnh đạo" in answer["text"]
    before = tbot.task(code)
    assert before.status != TaskStatus.DA_HUY and before.deadline < TODAY
    assert [a.actor for a in tbot.audit(code)].count("CB009") == 0  # nothing changed by the refused presses
