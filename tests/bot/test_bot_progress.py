"""/tiendo (/progress), /baocao, /nhacviec, their buttons (td:, bc:, nv:) and free-text questions about work,
through the real application and the fake Telegram server, on the example database (today = 22/11/2026).

Example people: CB006 Hồ Hữu Thảo (lãnh đạo, Sở Nội vụ: 15 tasks, 6 done, 3 overdue; one sub-unit, Phòng Công
chức, viên chức), CB009 Lê Ngọc Yến (lãnh đạo, Sở Tài chính), CB010 Lê Hồng Mai (cán bộ, Sở Tài chính),
CB004 Hoàng Hồng Hạnh (quản trị).
"""

from __future__ import annotations

import io
import logging
import re

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from bot import texts
from tests.bot.task_bot_fixtures import NOW, TODAY, button, buttons, task_bot
from tests.bot_fixtures import until
from tests.fakes.fake_telegram import png_size

THAO, YEN, MAI, HANH, STRANGER = 1006, 1009, 1010, 1004, 1999
GROUP = -100777


@pytest.fixture
async def tbot(fake_telegram, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    async with task_bot(fake_telegram, tmp_path, env={"TROLY_REPORT_PLACE": "Thanh Hóa"}) as bot:
        for code, tg_id in (("CB006", THAO), ("CB009", YEN), ("CB010", MAI), ("CB004", HANH)):
            bot.link(code, tg_id)
        yield bot
    errors = [r for r in caplog.records if r.name == "bot.errors"]
    assert not errors, [r.getMessage() for r in errors]


def _report(bot, unit_name: str):
    from tasks.models import Unit
    from tasks.reporting import unit_report

    with bot.db.session() as s:
        return unit_report(s, s.scalar(select(Unit).where(Unit.name == unit_name)), today=TODAY)


def _unit_id(bot, name: str) -> int:
    from tasks.models import Unit

    with bot.db.session() as s:
        return s.scalar(select(Unit.id).where(Unit.name == name))


async def _press(bot, chat_id: int, message: dict, text: str, n_messages: int = 0) -> dict:
    return await bot.press(
        chat_id, button(message, text)["callback_data"], message["message_id"], n_messages=n_messages
    )


async def _edited(bot, chat_id: int, message_id: int, edits: int) -> dict:
    return await until(lambda: (m := bot.message(chat_id, message_id))["edits"] >= edits and m)


def _no_errors(bot) -> None:
    assert not [c for c in bot.tg.call_log() if c.status >= 400], [
        (c.method, c.error) for c in bot.tg.call_log() if c.status >= 400
    ]


# --- /tiendo -----------------------------------------------------------------------------------------------


async def test_tiendo_shows_a_leader_the_numbers_of_their_unit(tbot):
    (msg,) = await tbot.send(THAO, "/tiendo")
    r = _report(tbot, "Sở Nội vụ")
    assert (r.total, r.done, r.overdue) == (15, 6, 3)
    text = msg["text"]
    assert text.startswith("📊 Tiến độ nhiệm vụ — Sở Nội vụ\nTính đến ngày 22/11/2026")
    assert f"Tổng số: {r.total} nhiệm vụ" in text
    assert f"✅ Hoàn thành: {r.done} (40%), đúng hạn {r.done_on_time}" in text
    assert f"🔄 Đang thực hiện (chưa đến hạn): {r.in_progress}" in text
    assert f"⚠️ Quá hạn: {r.overdue}" in text and "🎯 KPI: " in text
    assert "Phòng Công chức, viên chức - Sở Nội vụ" in text
    labels = [b["text"] for b in buttons(msg)]
    assert "⚠️ Quá hạn (3)" in labels and "📈 Biểu đồ" in labels
    assert "📄 Báo cáo Excel" in labels and "📄 Báo cáo Word" in labels
    assert not any(lb.startswith("⬆️") for lb in labels)  # the province is above a Sở leader
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons(msg))
    (alias,) = await tbot.send(THAO, "/progress")
    assert alias["text"] == text
    _no_errors(tbot)


async def test_drill_down_into_a_sub_unit_and_the_overdue_list_edits_the_screen_in_place(tbot):
    (screen,) = await tbot.send(THAO, "/tiendo")
    mid = screen["message_id"]
    sub = next(b for b in buttons(screen) if b["text"].startswith("Phòng Công chức"))
    await tbot.press(THAO, sub["callback_data"], mid)
    down = await _edited(tbot, THAO, mid, 1)
    assert down["text"].startswith("📊 Tiến độ nhiệm vụ — Phòng Công chức, viên chức - Sở Nội vụ")
    r = _report(tbot, "Phòng Công chức, viên chức - Sở Nội vụ")
    assert f"Tổng số: {r.total} nhiệm vụ" in down["text"]
    await _press(tbot, THAO, down, "⬆️ Sở Nội vụ")
    up = await _edited(tbot, THAO, mid, 2)
    assert up["text"].startswith("📊 Tiến độ nhiệm vụ — Sở Nội vụ")

    await _press(tbot, THAO, up, "⚠️ Quá hạn (3)")
    overdue = await _edited(tbot, THAO, mid, 3)
    assert overdue["text"].startswith("⚠️ Nhiệm vụ quá hạn — Sở Nội vụ\n3 nhiệm vụ, tính đến ngày 22/11/2026")
    lates = [int(d) for d in re.findall(r"quá hạn (\d+) ngày", overdue["text"])]
    assert len(lates) == 3 and lates == sorted(lates, reverse=True)
    assert len(tbot.replies(THAO)) == 1  # all of it in the one message
    # A numbered button opens the task in the same message (with the leader's "Giao lại" / "Hủy nhiệm vụ").
    await _press(tbot, THAO, overdue, "1")
    card = await _edited(tbot, THAO, mid, 4)
    assert card["text"].startswith("NV-") and "quá hạn" in card["text"] and len(tbot.replies(THAO)) == 1
    await _press(tbot, THAO, card, "↩️ Danh sách quá hạn")
    listing = await _edited(tbot, THAO, mid, 5)
    await _press(tbot, THAO, listing, "↩️ Về tiến độ")
    back = await _edited(tbot, THAO, mid, 6)
    assert back["text"].startswith("📊 Tiến độ nhiệm vụ — Sở Nội vụ")
    _no_errors(tbot)


async def test_the_chart_arrives_as_a_photo_of_sensible_size(tbot):
    (screen,) = await tbot.send(THAO, "/tiendo")
    answer = await _press(tbot, THAO, screen, "📈 Biểu đồ", n_messages=1)
    assert answer["text"] == texts.CHART_PREPARING
    (photo,) = tbot.tg.uploads("sendPhoto", chat_id=THAO)
    png = photo["content"]
    assert png.startswith(b"\x89PNG") and 5_000 < len(png) < 2_000_000
    width, height = png_size(png)
    assert width == 1000 and 300 <= height <= 2000
    sent = tbot.replies(THAO)[-1]
    assert sent["photo"][0]["width"] == 1000
    assert sent["caption"].startswith("Sở Nội vụ: hoàn thành 40%, 3 nhiệm vụ quá hạn (đến ngày 22/11/2026)")
    actions = [c.params["action"] for c in tbot.tg.call_log("sendChatAction")]
    assert "upload_photo" in actions
    _no_errors(tbot)


async def test_an_official_who_leads_nothing_gets_a_polite_refusal_and_their_own_figures(tbot):
    (msg,) = await tbot.send(MAI, "/tiendo")
    assert msg["text"].startswith("Theo dõi tiến độ đơn vị là chức năng dành cho lãnh đạo.")
    assert "Bạn đã hoàn thành" in msg["text"] and "KPI" in msg["text"]
    assert "Sở Tài chính" not in msg["text"]  # nothing about the unit
    (unlinked,) = await tbot.send(STRANGER, "/tiendo")
    assert unlinked["text"] == re.sub(r"<[^>]+>", "", texts.LINK_FIRST)


async def test_tiendo_with_a_unit_name_and_the_limits_of_a_leaders_subtree(tbot):
    (sub,) = await tbot.send(THAO, "/tiendo phong cong chuc")
    assert sub["text"].startswith("📊 Tiến độ nhiệm vụ — Phòng Công chức, viên chức - Sở Nội vụ")
    (other,) = await tbot.send(THAO, "/tiendo Sở Tài chính")
    assert other["text"] == "Bạn chỉ xem được tiến độ của Sở Nội vụ và các đơn vị trực thuộc."
    (unknown,) = await tbot.send(THAO, "/tiendo Sở Hàng Không Vũ Trụ")
    assert not unknown["text"].startswith("📊") and "Sở Hàng Không Vũ Trụ" in unknown["text"]
    (admin,) = await tbot.send(HANH, "/tiendo")
    assert admin["text"].startswith("📊 Tiến độ nhiệm vụ — Tất cả đơn vị")  # an administrator sees every unit
    assert "Tổng số: 150 nhiệm vụ" in admin["text"] and "UBND tỉnh" in admin["text"]


async def test_forged_progress_buttons_for_another_unit_are_refused(tbot, caplog):
    (screen,) = await tbot.send(YEN, "/tiendo")  # Sở Tài chính
    assert screen["text"].startswith("📊 Tiến độ nhiệm vụ — Sở Tài chính")
    noi_vu = _unit_id(tbot, "Sở Nội vụ")
    for data in (f"td:u:{noi_vu}:1", f"td:o:{noi_vu}:1", f"td:c:{noi_vu}", f"bc:x:{noi_vu}"):
        answer = await tbot.press(YEN, data, screen["message_id"])
        assert answer["show_alert"] is True, data
        assert answer["text"] == "Bạn chỉ xem được tiến độ của Sở Tài chính và các đơn vị trực thuộc.", data
    assert tbot.message(YEN, screen["message_id"])["edits"] == 0
    assert len(tbot.replies(YEN)) == 1
    assert not tbot.tg.call_log("sendPhoto") and not tbot.tg.call_log("sendDocument")
    assert any("Từ chối nút td:c:" in r.getMessage() for r in caplog.records)
    answer = await tbot.press(YEN, "td:u:abc", screen["message_id"])
    assert answer["text"] == texts.CALLBACK_UNKNOWN


# --- /baocao -----------------------------------------------------------------------------------------------


def _documents(bot, chat_id: int) -> dict[str, dict]:
    return {f["filename"].rsplit(".", 1)[1]: f for f in bot.tg.uploads("sendDocument", chat_id=chat_id)}


async def test_baocao_sends_an_excel_and_a_word_report_that_open(tbot):
    msgs = await tbot.send(THAO, "/baocao", n=2)
    assert [m["document"]["file_name"].rsplit(".", 1)[1] for m in msgs] == ["xlsx", "docx"]
    files = _documents(tbot, THAO)
    assert files["xlsx"]["filename"] == "bao-cao-tien-do_so-noi-vu_2026-11-22.xlsx"
    workbook = load_workbook(io.BytesIO(files["xlsx"]["content"]))
    assert {"Tổng hợp", "Quá hạn"} <= set(workbook.sheetnames)
    overdue_codes = [
        c.value for c in workbook["Quá hạn"]["B"] if isinstance(c.value, str) and c.value.startswith("NV-")
    ]
    assert len(overdue_codes) == 3
    document = Document(io.BytesIO(files["docx"]["content"]))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]  # the heading is a table
    text = "\n".join([p.text for p in document.paragraphs] + cells)
    assert "BÁO CÁO TIẾN ĐỘ THỰC HIỆN NHIỆM VỤ" in text and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Thanh Hóa, ngày 22 tháng 11 năm 2026" in text
    assert msgs[0]["caption"].startswith("📊 Báo cáo tiến độ (Excel) — Sở Nội vụ, tính đến ngày 22/11/2026")
    assert msgs[1]["caption"].startswith("📄 Báo cáo tiến độ (Word) — Sở Nội vụ")
    assert "upload_document" in [c.params["action"] for c in tbot.tg.call_log("sendChatAction")]
    _no_errors(tbot)


async def test_report_buttons_send_one_format_of_the_unit_on_screen(tbot):
    (screen,) = await tbot.send(THAO, "/tiendo")
    answer = await _press(tbot, THAO, screen, "📄 Báo cáo Word", n_messages=1)
    assert answer["text"] == texts.REPORT_PREPARING
    assert list(_documents(tbot, THAO)) == ["docx"]
    sub = next(b for b in buttons(screen) if b["text"].startswith("Phòng Công chức"))
    await tbot.press(THAO, sub["callback_data"], screen["message_id"])
    down = await _edited(tbot, THAO, screen["message_id"], 1)
    await _press(tbot, THAO, down, "📄 Báo cáo Excel", n_messages=1)
    (xlsx,) = [f for f in tbot.tg.uploads("sendDocument", chat_id=THAO) if f["filename"].endswith(".xlsx")]
    assert xlsx["filename"].startswith("bao-cao-tien-do_phong-cong-chuc")
    load_workbook(io.BytesIO(xlsx["content"]))


async def test_baocao_is_for_leaders_only(tbot):
    (msg,) = await tbot.send(MAI, "/baocao")
    assert msg["text"].startswith("Theo dõi tiến độ đơn vị là chức năng dành cho lãnh đạo.")
    (unlinked,) = await tbot.send(STRANGER, "/baocao")
    assert unlinked["text"].startswith("Bạn chưa liên kết tài khoản Telegram")
    assert not tbot.tg.call_log("sendDocument")


# --- /nhacviec ---------------------------------------------------------------------------------------------


def _prefs(bot, code: str):
    from tasks.reminders.settings import get_prefs

    with bot.db.session() as s:
        from tasks.models import Official

        return get_prefs(s, s.scalar(select(Official).where(Official.code == code)))


async def test_nhacviec_buttons_toggle_and_pick_the_hour_in_place(tbot):
    (screen,) = await tbot.send(MAI, "/nhacviec")
    mid = screen["message_id"]
    assert screen["text"].startswith("⚙️ Cài đặt nhắc việc\nNhắc việc: đang bật\nGiờ nhắc: 08:00")
    assert "Tóm tắt" not in screen["text"]  # not a leader
    await tbot.dispatcher.run_once()  # the dispatcher has planned: a change must make it plan again
    assert not tbot.dispatcher.plan_due(NOW)

    answer = await _press(tbot, MAI, screen, "🔕 Tắt nhắc việc")
    assert answer["text"] == texts.SETTINGS_SAVED_TOAST
    off = await _edited(tbot, MAI, mid, 1)
    assert "Nhắc việc: đang tắt" in off["text"] and _prefs(tbot, "CB010").enabled is False
    assert tbot.dispatcher.plan_due(NOW)
    assert [a.field for a in tbot.audit("CB010")][-1] == "reminder_enabled"

    await _press(tbot, MAI, off, "🕗 Đổi giờ nhắc")
    picker = await _edited(tbot, MAI, mid, 2)
    assert picker["text"].startswith("Chọn giờ nhận nhắc việc")
    hours = [b["text"] for b in buttons(picker)]
    assert hours[0] == "7h" and "20h" in hours and "21h" not in hours and "✓ 8h" in hours
    await _press(tbot, MAI, picker, "7h")
    back = await _edited(tbot, MAI, mid, 3)
    assert "Giờ nhắc: 07:00" in back["text"] and _prefs(tbot, "CB010").hour == 7
    await _press(tbot, MAI, back, "🔔 Bật nhắc việc")
    on = await _edited(tbot, MAI, mid, 4)
    assert "Nhắc việc: đang bật" in on["text"] and _prefs(tbot, "CB010").enabled is True
    assert len(tbot.replies(MAI)) == 1
    _no_errors(tbot)


async def test_nhacviec_with_words_changes_settings_directly(tbot):
    (msg,) = await tbot.send(THAO, "/nhacviec 9h")
    assert msg["text"].startswith(texts.SETTINGS_SAVED) and "Giờ nhắc: 09:00" in msg["text"]
    assert "Tóm tắt hằng ngày cho lãnh đạo: bật" in msg["text"]
    (msg,) = await tbot.send(THAO, "/nhacviec tóm tắt tắt")
    assert "Tóm tắt hằng ngày cho lãnh đạo: tắt" in msg["text"] and _prefs(tbot, "CB006").digest is False
    (msg,) = await tbot.send(THAO, "/nhacviec cuoi tuan bat")
    assert "Cuối tuần (thứ Bảy, Chủ nhật): có nhắc" in msg["text"]
    (msg,) = await tbot.send(THAO, "/nhacviec 23h")
    assert msg["text"].startswith("Giờ nhắc phải từ 7h đến 20h")
    (msg,) = await tbot.send(THAO, "/nhacviec lung tung")
    assert msg["text"].startswith("Chưa hiểu lựa chọn. Ví dụ:")
    assert _prefs(tbot, "CB006").hour == 9
    (msg,) = await tbot.send(STRANGER, "/nhacviec tắt")
    assert msg["text"].startswith("Bạn chưa liên kết tài khoản Telegram")


# --- free-text questions about work ------------------------------------------------------------------------


async def test_a_leader_asking_about_overdue_tasks_gets_numbers_from_the_task_database(tbot):
    (msg,) = await tbot.send(THAO, "Sở Nội vụ còn bao nhiêu nhiệm vụ quá hạn?")
    assert msg["text"].startswith(
        "⚠️ Sở Nội vụ có 3 nhiệm vụ quá hạn (trên tổng số 15), tính đến ngày 22/11/2026."
    )
    assert len(re.findall(r"^\d+\. NV-\d+", msg["text"], re.M)) == 3
    labels = [b["text"] for b in buttons(msg)]
    assert labels[:3] == ["1", "2", "3"] and "⚠️ Xem tất cả" in labels
    assert "👍" not in labels
    assert tbot.engine.calls == []  # not a document search
    # "Xem tất cả" under the answer opens the overdue list as a new message (the answer stays).
    await _press(tbot, THAO, msg, "⚠️ Xem tất cả", n_messages=1)
    assert tbot.replies(THAO)[-1]["text"].startswith("⚠️ Nhiệm vụ quá hạn — Sở Nội vụ")
    assert tbot.message(THAO, msg["message_id"])["edits"] == 0
    (unaccented,) = await tbot.send(THAO, "so noi vu con bao nhieu nhiem vu qua han")
    assert unaccented["text"] == msg["text"]


async def test_work_questions_outside_ones_permissions_are_refused_politely(tbot):
    (staff,) = await tbot.send(MAI, "Sở Nội vụ còn bao nhiêu nhiệm vụ quá hạn?")
    assert staff["text"].startswith("Xin lỗi, số liệu tiến độ của đơn vị chỉ dành cho lãnh đạo đơn vị.")
    assert "3 nhiệm vụ" not in staff["text"]
    (leader,) = await tbot.send(YEN, "Sở Nội vụ còn bao nhiêu nhiệm vụ quá hạn?")
    assert leader["text"] == "Xin lỗi, bạn chỉ xem được tiến độ của Sở Tài chính và các đơn vị trực thuộc."
    (unlinked,) = await tbot.send(STRANGER, "việc của tôi tuần này")
    assert unlinked["text"].startswith(
        "Bạn chưa liên kết tài khoản Telegram với hồ sơ cán bộ"
    )  # the one text
    assert "/lienket" in unlinked["text"]
    assert tbot.engine.calls == []


async def test_own_work_questions_and_document_questions_go_where_they_belong(tbot):
    (mine,) = await tbot.send(MAI, "tôi có việc nào quá hạn không?")
    assert mine["text"].startswith("⚠️ Bạn có 1 nhiệm vụ quá hạn") and "NV-002" in mine["text"]
    (kpi,) = await tbot.send(MAI, "KPI của tôi")
    assert kpi["text"].startswith("🎯 KPI của bạn:")
    (doc,) = await tbot.send(MAI, "Nghị quyết 57 đặt mục tiêu gì đến năm 2030?")
    assert doc["text"].startswith("Trả lời cho: Nghị quyết 57")
    assert [q for q, _ in tbot.engine.calls] == ["Nghị quyết 57 đặt mục tiêu gì đến năm 2030?"]
    (ask,) = await tbot.send(THAO, "/hoi tình hình thực hiện nhiệm vụ của đơn vị tôi")
    assert ask["text"].startswith("📊 Sở Nội vụ đã hoàn thành 40% nhiệm vụ (6/15)")


async def test_document_questions_that_only_look_like_work_go_to_document_search(tbot):
    # Each of these matches a work rule of tasks.intents on its own ("bao nhiêu phần trăm", "số …" read as
    # a Sở, "tối thiểu" as "tôi"); the bot's guards send them to document search.
    questions = [
        "NQ 70: các cơ sở lọc dầu phải đáp ứng tối thiểu bao nhiêu phần trăm nhu cầu xăng dầu trong nước?",
        "nq71 chi ngan sach cho giao duc dao tao toi thieu bao nhieu phan tram tong chi",
        "Kế hoạch 263/KH-UBND yêu cầu hoàn thành việc học tập, quán triệt Nghị quyết 68 trước ngày nào?",
        "GRDP tỉnh Phú Thọ năm 2025 tăng trưởng bao nhiêu phần trăm?",
        "Văn phòng Bộ Văn hóa, Thể thao và Du lịch phải nhập liệu tiến độ nhiệm vụ lên hệ thống nào?",
    ]
    for question in questions:
        (msg,) = await tbot.send(THAO, question)
        assert msg["text"].startswith("Trả lời cho: "), question
    assert [q for q, _ in tbot.engine.calls] == questions
    # …while a real unit named next to a document is still a work question.
    (work,) = await tbot.send(THAO, "Sở Nội vụ có bao nhiêu việc theo Kết luận 221 quá hạn?")
    assert work["text"].startswith("⚠️ Sở Nội vụ có 3 nhiệm vụ quá hạn")


# --- groups ------------------------------------------------------------------------------------------------


async def test_in_a_group_nothing_about_work_is_shown(tbot):
    tg = tbot.tg
    for n, text in enumerate(("/tiendo", "/baocao", "/nhacviec", "/progress@troly_test_bot"), start=1):
        tg.push_message(GROUP, THAO, text, chat_type="supergroup")
        (msg, *_) = await until(lambda n=n: len(tbot.replies(GROUP)) >= n and tbot.replies(GROUP)[n - 1 :])
        assert msg["text"].startswith("Để bảo mật, "), text
        assert "chỉ xem trong chat riêng với tôi" in msg["text"]
        (url_button,) = buttons(msg)
        assert url_button["url"].startswith("https://t.me/troly_test_bot?start=")
    tg.push_message(
        GROUP, THAO, "@troly_test_bot Sở Nội vụ còn bao nhiêu nhiệm vụ quá hạn?", chat_type="supergroup"
    )
    msg = (await until(lambda: len(tbot.replies(GROUP)) >= 5 and tbot.replies(GROUP)))[4]
    assert msg["text"].startswith("Để bảo mật, tôi không trả lời câu hỏi về nhiệm vụ")
    assert button(msg, texts.BUTTON_OPEN_PRIVATE)["url"] == "https://t.me/troly_test_bot?start=hoi"
    assert not re.search(r"\d+ nhiệm vụ quá hạn|NV-\d+", "\n".join(m["text"] for m in tbot.replies(GROUP)))
    assert not tg.call_log("sendDocument") and not tg.call_log("sendPhoto")
    assert tbot.engine.calls == []
    # A document question in the group is still answered.
    tg.push_message(GROUP, THAO, "/hoi Kết luận 221 ban hành ngày nào?", chat_type="supergroup")
    answer = (await until(lambda: len(tbot.replies(GROUP)) >= 6 and tbot.replies(GROUP)))[5]
    assert answer["text"].startswith("Trả lời cho: Kết luận 221")


async def test_progress_buttons_pressed_in_a_group_are_refused(tbot):
    tbot.tg.push_message(GROUP, THAO, "/tiendo", chat_type="supergroup")
    (msg,) = await until(lambda: tbot.replies(GROUP), settle=tbot.application)
    answer = await tbot.press(GROUP, f"td:u:{_unit_id(tbot, 'Sở Nội vụ')}:1", msg["message_id"], user_id=THAO)
    assert answer["show_alert"] is True and answer["text"] == texts.TASKS_IN_GROUP_ALERT
    assert len(tbot.replies(GROUP)) == 1


async def test_deep_links_from_the_group_buttons_open_the_commands(tbot):
    (screen,) = await tbot.send(THAO, "/start tiendo")
    assert screen["text"].startswith("📊 Tiến độ nhiệm vụ — Sở Nội vụ")
    (settings,) = await tbot.send(THAO, "/start nhacviec")
    assert settings["text"].startswith("⚙️ Cài đặt nhắc việc")
    (ask,) = await tbot.send(THAO, "/start hoi")
    assert ask["text"].startswith("Mời bạn gõ câu hỏi.")
    await tbot.send(THAO, "/start baocao", n=2)
    assert sorted(_documents(tbot, THAO)) == ["docx", "xlsx"]
