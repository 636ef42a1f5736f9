"""Administrators import spreadsheets from the chat, through the real application and the fake Telegram server
(files served by its getFile), on the example database (today = 22/11/2026; CB004 is a quản trị, CB010 Lê
Hồng Mai a cán bộ of Sở Tài chính holding NV-002 at 80 %).
"""

from __future__ import annotations

import io
import logging
from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, select

from app.admin_imports import ADMIN_ONLY
from tasks import columns as C
from tasks.models import AuditLog, Official, Task
from tasks.normalize import Via
from tasks.service import set_progress
from tests.bot.task_bot_fixtures import NOW, button, buttons, task_bot
from tests.bot_fixtures import until

ADMIN, MAI = 1004, 1010
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
async def abot(fake_telegram, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    async with task_bot(fake_telegram, tmp_path) as bot:
        bot.link("CB004", ADMIN)
        bot.link("CB010", MAI)
        yield bot
    errors = [r for r in caplog.records if r.name == "bot.errors"]
    assert not errors, [r.getMessage() for r in errors]


def sheet(headers, rows) -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def task_row(bot, code: str, **changes) -> list:
    """The row of stored task `code` as the sheet holds it, with `changes` (column → value)."""
    task = bot.task(code)
    values = {
        C.MA_NHIEM_VU: task.code, C.NOI_DUNG: task.content, C.NGUOI_THUC_HIEN: task.assignee.code,
        C.DON_VI_CHU_TRI: task.lead_unit.name, C.THOI_HAN: task.deadline.strftime("%d/%m/%Y"),
        C.SAN_PHAM: task.product, C.NGUOI_GIAO: task.assigned_by, C.VAN_BAN_GIAO: task.source_document,
        C.TRANG_THAI: None, C.TIEN_DO: task.progress, C.NGAY_HOAN_THANH: None,
    }  # fmt: skip
    values.update(changes)
    return [values[h] for h in C.TASK_HEADERS]


NEW_TASK = {
    C.MA_NHIEM_VU: "NV-900", C.NOI_DUNG: "Báo cáo tình hình triển khai chuyển đổi số quý IV",
    C.NGUOI_THUC_HIEN: "CB010", C.DON_VI_CHU_TRI: "Sở Tài chính", C.THOI_HAN: "15/12/2026",
    C.SAN_PHAM: "Báo cáo", C.NGUOI_GIAO: "CB004", C.VAN_BAN_GIAO: None, C.TRANG_THAI: None, C.TIEN_DO: None,
    C.NGAY_HOAN_THANH: None,
}  # fmt: skip


async def send_file(bot, chat_id: int, name: str, content: bytes, n: int = 1, **kw) -> list[dict]:
    before = len(bot.replies(chat_id))
    bot.tg.push_document(chat_id, chat_id, name, content, mime_type=XLSX, **kw)
    return await until(
        lambda: len(bot.replies(chat_id)) >= before + n and bot.replies(chat_id)[before:],
        settle=bot.application,
    )


def count(bot, model) -> int:
    with bot.db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


async def test_a_task_sheet_is_previewed_then_imported_after_nhap_keeping_a_newer_bot_change(abot):
    # Mai reports 50 % on NV-002 through the bot after the last import; the sheet (downloaded now) says 90 %.
    with abot.db.session() as s:
        mai = s.scalar(select(Official).where(Official.code == "CB010"))
        set_progress(s, mai, abot.task("NV-002").id, 50, via=Via.BOT, now=NOW)
    content = sheet(
        C.TASK_HEADERS, [task_row(abot, "NV-002", **{C.TIEN_DO: 90}), [NEW_TASK[h] for h in C.TASK_HEADERS]]
    )
    tasks_before = count(abot, Task)
    (preview,) = await send_file(abot, ADMIN, "nhiem-vu-thang-12.xlsx", content)
    text = preview["text"]
    assert text.startswith("📋 Kiểm tra danh sách nhiệm vụ “nhiem-vu-thang-12.xlsx”")
    assert "sẽ nhập 1 mới, 0 cập nhật, 1 không đổi" in text
    assert "Dòng 2, NV-002, “Tiến độ (%)”: giữ “50”, bỏ qua “90”" in text
    assert [b["text"] for b in buttons(preview)] == ["📥 Nhập", "✖️ Huỷ"]
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons(preview))
    assert count(abot, Task) == tasks_before  # a preview writes nothing
    assert abot.tg.call_log("getFile")

    await abot.press(ADMIN, button(preview, "📥 Nhập")["callback_data"], preview["message_id"])
    await until(
        lambda: abot.message(ADMIN, preview["message_id"])["text"].startswith("✅"), settle=abot.application
    )
    done = abot.message(ADMIN, preview["message_id"])
    assert done["text"].startswith(
        "✅ Đã nhập danh sách nhiệm vụ từ “nhiem-vu-thang-12.xlsx” (trang “Sheet”): 1 mới, 0 cập nhật"
    )
    assert "giữ “50”, bỏ qua “90”" in done["text"] and not buttons(done)
    assert count(abot, Task) == tasks_before + 1
    new = abot.task("NV-900")
    assert (new.assignee.code, new.deadline, new.assigner_official_id) == (
        "CB010",
        date(2026, 12, 15),
        abot.official("CB004").id,
    )
    assert abot.task("NV-002").progress == 50  # the bot's newer value is kept
    created = abot.audit("NV-900")
    assert created[0].actor == "CB004" and created[0].via == "import"
    with abot.db.session() as s:
        summary = s.scalars(select(AuditLog).where(AuditLog.entity == "import")).one()
    assert (summary.actor, summary.via, summary.entity_key) == ("CB004", "bot", "nhiem-vu-thang-12.xlsx")
    assert "1 mới" in summary.note and "1 giá trị giữ nguyên" in summary.note


async def test_a_roster_sheet_is_recognised_and_imported_after_nhap(abot):
    rows = [
        ["CB900", "Nguyễn Văn Mới", "Chuyên viên", "Sở Tài chính", None, "0912 000 900", None, "cán bộ"],
        ["CB901", "Trần Thị Phòng", "Trưởng phòng", "Phòng Ngân sách - Sở Tài chính", "Sở Tài chính", None, None,
         "lãnh đạo"],
    ]  # fmt: skip
    (preview,) = await send_file(abot, ADMIN, "can-bo.xlsx", sheet(C.OFFICIAL_HEADERS, rows))
    assert preview["text"].startswith("📋 Kiểm tra danh sách cán bộ “can-bo.xlsx”")
    assert "sẽ nhập 2 mới, 0 cập nhật, 0 không đổi; 1 đơn vị mới" in preview["text"]
    assert abot.official("CB900") is None
    await abot.press(ADMIN, button(preview, "📥 Nhập")["callback_data"], preview["message_id"])
    await until(
        lambda: abot.message(ADMIN, preview["message_id"])["text"].startswith("✅"), settle=abot.application
    )
    assert abot.official("CB900").full_name == "Nguyễn Văn Mới"
    with abot.db.session() as s:
        unit = s.scalar(select(Official).where(Official.code == "CB901")).unit
        assert (unit.name, unit.parent.name) == ("Phòng Ngân sách - Sở Tài chính", "Sở Tài chính")


async def test_a_bad_sheet_gets_its_errors_by_row_and_nothing_is_imported(abot):
    bad = dict(NEW_TASK, **{C.MA_NHIEM_VU: "NV-901", C.NGUOI_THUC_HIEN: "CB999", C.THOI_HAN: "31/02/2026"})
    content = sheet(C.TASK_HEADERS, [[NEW_TASK[h] for h in C.TASK_HEADERS], [bad[h] for h in C.TASK_HEADERS]])
    tasks_before, audit_before = count(abot, Task), count(abot, AuditLog)
    (report,) = await send_file(abot, ADMIN, "loi.xlsx", content)
    text = report["text"]
    assert text.startswith("❌ Không nhập được danh sách nhiệm vụ từ “loi.xlsx”: 2 lỗi, chưa ghi gì.")
    assert "Dòng 3, cột “Người thực hiện”: Không có cán bộ mã “CB999”" in text
    assert "Dòng 3, cột “Thời hạn”" in text
    assert not buttons(report)
    assert (count(abot, Task), count(abot, AuditLog)) == (tasks_before, audit_before)


async def test_huy_drops_the_pending_import(abot):
    content = sheet(C.TASK_HEADERS, [[NEW_TASK[h] for h in C.TASK_HEADERS]])
    (preview,) = await send_file(abot, ADMIN, "nv.csv.xlsx", content)
    await abot.press(ADMIN, button(preview, "✖️ Huỷ")["callback_data"], preview["message_id"])
    await until(
        lambda: abot.message(ADMIN, preview["message_id"])["text"].startswith("Đã huỷ"),
        settle=abot.application,
    )
    assert abot.task("NV-900") is None
    # the old "Nhập" button is stale now: nothing happens
    answer = await abot.press(ADMIN, button(preview, "📥 Nhập")["callback_data"], preview["message_id"])
    assert "hết hạn" in answer["text"] and abot.task("NV-900") is None


async def test_an_unknown_sheet_and_a_non_admin_are_refused_with_nothing_changed(abot):
    (unknown,) = await send_file(abot, ADMIN, "khac.xlsx", sheet(["Cột A", "Cột B"], [["1", "2"]]))
    assert unknown["text"].startswith("❌ Không nhận ra bảng tính “khac.xlsx”")
    downloads = len(abot.tg.call_log("getFile"))
    tasks_before, audit_before = count(abot, Task), count(abot, AuditLog)
    content = sheet(C.TASK_HEADERS, [[NEW_TASK[h] for h in C.TASK_HEADERS]])
    (refusal,) = await send_file(abot, MAI, "nv.xlsx", content)
    assert refusal["text"] == ADMIN_ONLY
    (stranger,) = await send_file(abot, 1999, "nv.xlsx", content)
    assert stranger["text"].startswith("Bạn chưa liên kết tài khoản Telegram")
    assert len(abot.tg.call_log("getFile")) == downloads  # not even downloaded
    assert (count(abot, Task), count(abot, AuditLog)) == (tasks_before, audit_before)
    assert len(abot.replies(MAI)) == 1 and len(abot.replies(ADMIN)) == 1  # nobody else was told anything
