"""Assigning work, acknowledging it and asking for more time through the real application (handlers, rate
limiter, polling loop) against the fake Telegram server, on a real SQLite database loaded from the example
spreadsheets (today = Sunday 22/11/2026).

People: CB006 Hồ Hữu Thảo (lãnh đạo, Sở Nội vụ) leads CB007 Đặng Hữu Tâm (Sở Nội vụ) and CB021 Hồ Quang Hương
(a Phòng under it); CB009 Lê Ngọc Yến (lãnh đạo, Sở Tài chính) leads CB010 Lê Hồng Mai; CB022 Vũ Quang Tâm is
in Sở Khoa học và Công nghệ; CB004 is the quản trị.
"""

from __future__ import annotations

import logging
from datetime import date

import pytest
from sqlalchemy import func, select

from app import cycle_texts as tx
from tests.bot.task_bot_fixtures import button, buttons, task_bot
from tests.bot_fixtures import until

THAO, TAM, HUONG, YEN, MAI, HANH, VQTAM = 1006, 1007, 1021, 1009, 1010, 1004, 1022
PEOPLE = {
    "CB006": THAO,
    "CB007": TAM,
    "CB021": HUONG,
    "CB009": YEN,
    "CB010": MAI,
    "CB004": HANH,
    "CB022": VQTAM,
}
NEW_CODE = "NV-2026-0001"


@pytest.fixture
async def tbot(fake_telegram, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    async with task_bot(fake_telegram, tmp_path) as bot:
        for code, tg_id in PEOPLE.items():
            bot.link(code, tg_id)
            user = {"id": tg_id, "is_bot": False, "first_name": code, "language_code": "vi"}
            bot.tg._chat(tg_id, "private", None, user)  # they have opened a chat with the bot
        yield bot
    errors = [r for r in caplog.records if r.name == "bot.errors" or r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


def _count(bot, model, *where) -> int:
    with bot.db.session() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def _tasks(bot) -> int:
    from tasks.models import Task

    return _count(bot, Task)


def _audits(bot) -> int:
    from tasks.models import AuditLog

    return _count(bot, AuditLog)


def _requests(bot, code: str) -> list:
    from tasks.models import ExtensionRequest, Task

    with bot.db.session() as s:
        task_id = s.scalar(select(Task.id).where(Task.code == code))
        return list(s.scalars(select(ExtensionRequest).where(ExtensionRequest.task_id == task_id)))


async def _press(
    bot, chat_id: int, message: dict, label: str, *, user_id: int | None = None, n: int = 0
) -> dict:
    return await bot.press(chat_id, button(message, label)["callback_data"], message["message_id"],
                           user_id=user_id, n_messages=n)  # fmt: skip


async def _last(bot, chat_id: int, before: int) -> dict:
    """The newest message in a chat once there is one after `before` messages (after edits, current)."""
    await until(lambda: len(bot.replies(chat_id)) > before, settle=bot.application)
    return bot.replies(chat_id)[-1]


# --- the guided form ---------------------------------------------------------------------------------------


async def test_guided_form_asks_step_by_step_shows_a_card_and_assigns_with_a_new_code(tbot):
    at_start = (_tasks(tbot), _audits(tbot))
    (ask,) = await tbot.send(THAO, "/giaoviec")
    assert ask["text"].startswith("📝 Giao việc — bước 1/6") and "Giao cho ai?" in ask["text"]
    (ask,) = await tbot.send(THAO, "Tâm")  # CB022 Vũ Quang Tâm is not in Sở Nội vụ: only CB007 fits
    assert "bước 2/6" in ask["text"] and "Nội dung công việc" in ask["text"]
    (ask,) = await tbot.send(THAO, "Báo cáo tình hình triển khai Kết luận 221 tại Sở")
    assert "bước 3/6" in ask["text"] and "Thời hạn" in ask["text"]
    (ask,) = await tbot.send(THAO, "30/02")
    assert "không có trên lịch" in ask["text"] and "bước 3/6" in ask["text"]  # asked again, with the reason
    (ask,) = await tbot.send(THAO, "thứ sáu tuần sau")
    assert "bước 4/6" in ask["text"]
    assert [b["text"] for b in buttons(ask)] == [tx.DEFAULT_PRODUCT, tx.BUTTON_CANCEL]
    await _press(tbot, THAO, ask, tx.DEFAULT_PRODUCT)
    ask = tbot.message(THAO, ask["message_id"])  # edited into the next question
    assert "bước 5/6" in ask["text"] and "Văn bản giao" in ask["text"]
    (ask,) = await tbot.send(THAO, "KL 221")  # found in the corpus
    assert "📄 Đã chọn Kết luận 221-KL/TW trong kho văn bản." in ask["text"] and "bước 6/6" in ask["text"]
    await _press(tbot, THAO, ask, "Sở Nội vụ")
    card = tbot.message(THAO, ask["message_id"])
    assert card["text"].startswith("📝 Phiếu giao việc")
    for line in ("👤 Người thực hiện: Đặng Hữu Tâm (CB007), Chuyên viên — Sở Nội vụ",
                 "📝 Việc: Báo cáo tình hình triển khai Kết luận 221 tại Sở",
                 "📅 Hạn: 27/11/2026 (còn 5 ngày)", "📦 Sản phẩm: Báo cáo bằng văn bản",
                 "📄 Văn bản giao: Kết luận 221-KL/TW", "🏢 Chủ trì: Sở Nội vụ", "✍️ Người giao: Hồ Hữu Thảo"):  # fmt: skip
        assert line in card["text"], line
    assert [b["text"] for b in buttons(card)] == ["✅ Giao việc", "✏️ Sửa", "✖️ Huỷ"]
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons(card))
    # "Sửa" → the deadline → back to the card with the new date.
    await _press(tbot, THAO, card, "✏️ Sửa")
    menu = tbot.message(THAO, card["message_id"])
    assert menu["text"].startswith("✏️ Sửa phiếu giao việc")
    await _press(tbot, THAO, menu, "📅 Thời hạn")
    (card,) = await tbot.send(THAO, "15/12")
    assert "📅 Hạn: 15/12/2026 (còn 23 ngày)" in card["text"] and card["text"].startswith(
        "📝 Phiếu giao việc"
    )
    assert (_tasks(tbot), _audits(tbot)) == at_start  # nothing created before "Giao việc"
    before_tasks, before_tam = _tasks(tbot), len(tbot.replies(TAM))
    answer = await _press(tbot, THAO, card, "✅ Giao việc", n=0)
    assert answer["text"] == tx.ASSIGNED_TOAST
    done = tbot.message(THAO, card["message_id"])
    assert done["text"].startswith(f"✅ Đã giao nhiệm vụ {NEW_CODE} cho Đặng Hữu Tâm (CB007).")
    assert "Đặng Hữu Tâm đã nhận được thông báo" in done["text"]
    assert _tasks(tbot) == before_tasks + 1
    task = tbot.task(NEW_CODE)
    assert (task.assignee.code, task.lead_unit.name, task.deadline, task.product, task.source_document) == (
        "CB007", "Sở Nội vụ", date(2026, 12, 15), "Báo cáo bằng văn bản", "Kết luận 221-KL/TW",
    )  # fmt: skip
    assert task.assigner_official_id == tbot.official("CB006").id and task.assigned_by == "Hồ Hữu Thảo"
    created = [a for a in tbot.audit(NEW_CODE) if a.note and a.note.startswith("Tạo mới (giao việc)")]
    assert [(a.actor, a.via) for a in created] == [("CB006", "bot")]
    # The assignee has the card at once, with "Nhận việc", "Xin gia hạn", "Trao đổi".
    received = await _last(tbot, TAM, before_tam)
    assert received["text"].startswith("📥 Bạn được giao nhiệm vụ mới — Hồ Hữu Thảo (CB006) giao lúc")
    assert NEW_CODE in received["text"] and "Báo cáo tình hình triển khai Kết luận 221" in received["text"]
    assert [b["text"] for b in buttons(received)] == ["✅ Nhận việc", "⏳ Xin gia hạn", "💬 Trao đổi"]
    # A second press on the card creates nothing more.
    again = await tbot.press(THAO, "gv:ok", card["message_id"])
    assert again["text"] == tx.FORM_EXPIRED and _tasks(tbot) == before_tasks + 1


async def test_cancel_drops_the_form_and_creates_nothing(tbot):
    before = (_tasks(tbot), _audits(tbot))
    (ask,) = await tbot.send(THAO, "/assign")  # the English alias
    assert "bước 1/6" in ask["text"]
    await _press(tbot, THAO, ask, tx.BUTTON_CANCEL)
    assert tbot.message(THAO, ask["message_id"])["text"] == tx.FORM_CANCELLED
    (reply,) = await tbot.send(THAO, "Tâm")  # an ordinary message again (answered as a question)
    assert "bước 2/6" not in reply["text"]
    assert (_tasks(tbot), _audits(tbot)) == before


# --- the one-line form -------------------------------------------------------------------------------------


async def test_one_line_form_creates_the_task_at_once_and_keeps_an_unknown_document_with_a_warning(tbot):
    before_huong = len(tbot.replies(HUONG))
    (reply,) = await tbot.send(
        THAO,
        "/giaoviec  CB021 | Rà soát hồ sơ cán bộ  |30/12/2026| Danh sách rà soát | Kế hoạch 999/KH-UBND ",
    )
    assert reply["text"].startswith(f"✅ Đã giao nhiệm vụ {NEW_CODE} cho Hồ Quang Hương (CB021).")
    assert "⚠️ Kho văn bản chưa có văn bản “Kế hoạch 999/KH-UBND”" in reply["text"]
    task = tbot.task(NEW_CODE)
    assert (task.content, task.deadline, task.product, task.source_document, task.lead_unit.name) == (
        "Rà soát hồ sơ cán bộ", date(2026, 12, 30), "Danh sách rà soát", "Kế hoạch 999/KH-UBND",
        "Phòng Công chức, viên chức - Sở Nội vụ",
    )  # fmt: skip
    received = await _last(tbot, HUONG, before_huong)
    assert NEW_CODE in received["text"] and "✅ Nhận việc" in [b["text"] for b in buttons(received)]
    # A known document is stored under its full reference; the next code follows.
    (reply,) = await tbot.send(
        THAO, "/giaoviec CB007 | Tham mưu kế hoạch | 10/12 | Dự thảo kế hoạch | KL 221"
    )
    assert reply["text"].startswith("✅ Đã giao nhiệm vụ NV-2026-0002 cho Đặng Hữu Tâm (CB007).")
    assert tbot.task("NV-2026-0002").source_document == "Kết luận 221-KL/TW" and "⚠️" not in reply["text"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "CB007 | Báo cáo | 01/11/2026 | Báo cáo",
            "Thời hạn 01/11/2026 (“01/11/2026”) đã qua: hôm nay là 22/11/2026",
        ),
        ("CB999 | Báo cáo | 15/12/2026 | Báo cáo", "Không có cán bộ mã “CB999”."),
        ("CB007 | Báo cáo | 15/12/2026", "Dạng một dòng cần 4 hoặc 5 phần"),
        ("CB007 | Báo cáo | sang năm | Báo cáo", "Không đọc được thời hạn “sang năm”"),
        ("CB007 | | 15/12/2026 | Báo cáo", "Hãy ghi nội dung công việc cần giao."),
    ],
)
async def test_one_line_form_refuses_with_the_reason_and_changes_nothing(tbot, line, expected):
    before = (_tasks(tbot), _audits(tbot), len(tbot.replies(TAM)))
    (reply,) = await tbot.send(THAO, f"/giaoviec {line}")
    assert expected in reply["text"]
    assert (_tasks(tbot), _audits(tbot), len(tbot.replies(TAM))) == before


# --- who may assign ----------------------------------------------------------------------------------------


async def test_an_official_is_refused_once_and_nothing_changes(tbot):
    before = (_tasks(tbot), _audits(tbot), len(tbot.replies(HUONG)))
    for text in ("/giaoviec", "/giaoviec CB021 | Rà soát | 15/12/2026 | Danh sách"):
        (reply,) = await tbot.send(TAM, text)
        assert reply["text"] == tx.LEADERS_ONLY
    (reply,) = await tbot.send(TAM, "giao anh Hương rà soát hồ sơ trước 15/12")  # free text: just a question
    assert "Phiếu giao việc" not in reply["text"]
    assert (_tasks(tbot), _audits(tbot), len(tbot.replies(HUONG))) == before


async def test_a_leader_is_refused_outside_the_subtree(tbot):
    before = (_tasks(tbot), _audits(tbot), len(tbot.replies(TAM)))
    (reply,) = await tbot.send(YEN, "/giaoviec CB007 | Báo cáo | 15/12/2026 | Báo cáo")
    assert reply["text"] == (
        "Đặng Hữu Tâm (CB007) không thuộc Sở Tài chính hoặc các đơn vị trực thuộc: lãnh đạo chỉ giao việc cho "
        "cán bộ trong đơn vị mình."
    )
    (reply,) = await tbot.send(YEN, "giao anh Tâm báo cáo trước 15/12")
    assert "không thuộc Sở Tài chính hoặc các đơn vị trực thuộc" in reply["text"]
    (ask,) = await tbot.send(YEN, "/giaoviec")
    assert "bước 1/6" in ask["text"]
    (reply,) = await tbot.send(YEN, "CB007")
    assert "không thuộc Sở Tài chính" in reply["text"] and "bước 1/6" in reply["text"]  # asked again
    assert (_tasks(tbot), _audits(tbot), len(tbot.replies(TAM))) == before


# --- free text ---------------------------------------------------------------------------------------------


async def test_a_leaders_free_text_becomes_the_card_to_confirm(tbot):
    (ask,) = await tbot.send(THAO, "giao anh Tâm báo cáo tình hình triển khai KL 221 trước 15/12")
    assert "bước 4/6" in ask["text"] and "Sản phẩm cần nộp" in ask["text"]  # the only thing missing
    await _press(tbot, THAO, ask, tx.DEFAULT_PRODUCT)
    card = tbot.message(THAO, ask["message_id"])
    assert card["text"].startswith("📝 Phiếu giao việc")
    for line in ("👤 Người thực hiện: Đặng Hữu Tâm (CB007)", "📝 Việc: Báo cáo tình hình triển khai KL 221",
                 "📅 Hạn: 15/12/2026", "📄 Văn bản giao: Kết luận 221-KL/TW", "🏢 Chủ trì: Sở Nội vụ"):  # fmt: skip
        assert line in card["text"], line
    (answer,) = await tbot.send(THAO, "Nghị quyết 57 đặt mục tiêu gì?")  # while the card waits: a question
    assert answer["text"].startswith("Trả lời cho: Nghị quyết 57")
    await _press(tbot, THAO, card, "✅ Giao việc")
    assert tbot.message(THAO, card["message_id"])["text"].startswith(f"✅ Đã giao nhiệm vụ {NEW_CODE}")
    assert tbot.task(NEW_CODE).deadline == date(2026, 12, 15)


async def test_an_ambiguous_name_is_picked_from_buttons(tbot):
    (ask,) = await tbot.send(HANH, "giao anh Tâm chuẩn bị báo cáo chuyển đổi số, hạn cuối tháng")
    labels = [b["text"] for b in buttons(ask)]
    assert labels[:2] == [
        "Đặng Hữu Tâm (CB007) — Sở Nội vụ",
        "Vũ Quang Tâm (CB022) — Phòng Chuyển đổi số - Sở Kho…",
    ] or {lb.split(" — ")[0] for lb in labels[:2]} == {"Đặng Hữu Tâm (CB007)", "Vũ Quang Tâm (CB022)"}
    pick = next(b for b in buttons(ask) if b["text"].startswith("Vũ Quang Tâm"))
    await tbot.press(HANH, pick["callback_data"], ask["message_id"])
    ask = tbot.message(HANH, ask["message_id"])
    assert "bước 4/6" in ask["text"]
    (card,) = await tbot.send(HANH, "Báo cáo chuyển đổi số quý IV")
    assert "👤 Người thực hiện: Vũ Quang Tâm (CB022)" in card["text"]
    assert "📅 Hạn: 30/11/2026" in card["text"]  # cuối tháng: the month's last working day (Mon 30/11)
    assert "🏢 Chủ trì: Phòng Chuyển đổi số - Sở Khoa học và Công nghệ" in card["text"]


# --- acknowledge -------------------------------------------------------------------------------------------


async def _assign_to_tam(bot, deadline: str = "15/12/2026") -> dict:
    """THAO assigns a task to TAM (one-line); returns the card TAM received."""
    before = len(bot.replies(TAM))
    await bot.send(
        THAO, f"/giaoviec CB007 | Báo cáo tình hình triển khai KL 221 | {deadline} | Báo cáo | KL 221"
    )
    return await _last(bot, TAM, before)


async def test_acknowledge_sets_in_progress_and_tells_the_assigner(tbot):
    card = await _assign_to_tam(tbot)
    before_thao = len(tbot.replies(THAO))
    answer = await _press(tbot, TAM, card, "✅ Nhận việc")
    assert answer["text"] == tx.ACKNOWLEDGED_TOAST
    task = tbot.task(NEW_CODE)
    assert task.status.value == "dang_thuc_hien"
    rows = [(a.actor, a.via, a.field, a.new, a.note) for a in tbot.audit(NEW_CODE) if a.field == "status"]
    assert rows == [("CB007", "bot", "status", "dang_thuc_hien", "Nhận việc")]
    told = await _last(tbot, THAO, before_thao)
    assert (
        told["text"]
        == f"✅ Đặng Hữu Tâm (CB007) đã nhận việc {NEW_CODE}: Báo cáo tình hình triển khai KL 221"
    )
    assert [b["text"] for b in buttons(told)] == [tx.BUTTON_VIEW]
    edited = tbot.message(TAM, card["message_id"])
    assert "✅ Đặng Hữu Tâm (CB007) đã nhận việc lúc 09:00 ngày 22/11/2026." in edited["text"]
    assert "đang thực hiện" in edited["text"]
    labels = [b["text"] for b in buttons(edited)]
    assert "✅ Hoàn thành" in labels and labels[-2:] == ["⏳ Xin gia hạn", "💬 Trao đổi"]
    # Twice: refused, nothing more; someone else: refused.
    again = await tbot.press(TAM, button(card, "✅ Nhận việc")["callback_data"], card["message_id"])
    assert again["text"] == f"Bạn đã nhận nhiệm vụ {NEW_CODE} rồi (trạng thái: đang thực hiện)."
    assert len([a for a in tbot.audit(NEW_CODE) if a.field == "status"]) == 1


async def test_contact_shows_who_assigned_and_how_to_reach_them(tbot):
    card = await _assign_to_tam(tbot)
    before = len(tbot.replies(TAM))
    await _press(tbot, TAM, card, "💬 Trao đổi", n=1)
    shown = tbot.replies(TAM)[before]
    assert shown["text"].startswith(f"💬 Trao đổi về nhiệm vụ {NEW_CODE}")
    assert "Người giao: Hồ Hữu Thảo, Giám đốc Sở — Sở Nội vụ" in shown["text"]
    assert "📞 +84 969 371 955 (Hồ Hữu Thảo)" in shown["text"]
    assert f"/giahan {NEW_CODE} dd/mm/yyyy lý do" in shown["text"]


# --- more time ---------------------------------------------------------------------------------------------


async def test_extension_asked_with_the_button_and_approved_by_the_assigner(tbot):
    card = await _assign_to_tam(tbot)
    answer = await _press(tbot, TAM, card, "⏳ Xin gia hạn", n=1)
    assert answer["text"] == tx.EXTEND_ASK_TOAST
    ask = tbot.replies(TAM)[-1]
    assert (
        ask["text"].startswith(f"⏳ Xin gia hạn nhiệm vụ {NEW_CODE}")
        and "Hạn hiện tại: 15/12/2026" in ask["text"]
    )
    (ask,) = await tbot.send(TAM, "10/12")  # before the current deadline: asked again with the reason
    assert "phải sau thời hạn hiện tại (15/12/2026)" in ask["text"]
    before_thao = len(tbot.replies(THAO))
    (sent,) = await tbot.send(TAM, "30/12 chờ số liệu của các xã")
    assert sent["text"].startswith(
        f"📨 Đã gửi đề nghị gia hạn nhiệm vụ {NEW_CODE} đến 30/12/2026 tới Hồ Hữu Thảo"
    )
    (request,) = _requests(tbot, NEW_CODE)
    assert (request.status, request.requested_deadline, request.reason) == (
        "pending", date(2026, 12, 30), "chờ số liệu của các xã",
    )  # fmt: skip
    asked = await _last(tbot, THAO, before_thao)
    assert asked["text"].startswith(f"⏳ Đề nghị gia hạn nhiệm vụ {NEW_CODE}")
    assert "Hạn hiện tại: 15/12/2026 → đề nghị: 30/12/2026 (thêm 15 ngày)" in asked["text"]
    assert "Lý do: chờ số liệu của các xã" in asked["text"]
    assert [b["text"] for b in buttons(asked)] == ["✅ Đồng ý", "❌ Không đồng ý"]
    before_tam = len(tbot.replies(TAM))
    answer = await _press(tbot, THAO, asked, "✅ Đồng ý")
    assert answer["text"] == tx.DECIDED_TOAST_APPROVED
    task = tbot.task(NEW_CODE)
    assert (task.deadline, task.original_deadline) == (date(2026, 12, 30), date(2026, 12, 15))
    decided = tbot.message(THAO, asked["message_id"])
    assert decided["text"].startswith(f"✅ Bạn đã đồng ý gia hạn nhiệm vụ {NEW_CODE} đến 30/12/2026")
    told = await _last(tbot, TAM, before_tam)
    assert told["text"].startswith(
        f"✅ Hồ Hữu Thảo (CB006) đã đồng ý gia hạn nhiệm vụ {NEW_CODE}: thời hạn mới 30/12/2026 (gia hạn từ "
        "15/12/2026)."
    )
    assert "📅 Hạn: 30/12/2026 (còn 38 ngày) · gia hạn từ 15/12/2026" in told["text"]  # the card says it too
    changed = {(a.field, a.old, a.new) for a in tbot.audit(NEW_CODE) if a.actor == "CB006" and a.via == "bot"}
    assert {("deadline", "2026-12-15", "2026-12-30"), ("original_deadline", None, "2026-12-15")} <= changed
    # The optional note, as the next message, reaches the official.
    (ok,) = await tbot.send(THAO, "Lưu ý gửi kèm số liệu từng xã")
    assert ok["text"] == "💬 Đã gửi ghi chú cho Đặng Hữu Tâm."
    note = await _last(tbot, TAM, len(tbot.replies(TAM)) - 1)
    assert note["text"] == (
        f"💬 Ghi chú của Hồ Hữu Thảo (CB006) về đề nghị gia hạn nhiệm vụ {NEW_CODE}: Lưu ý gửi kèm số liệu từng xã"
    )
    assert _requests(tbot, NEW_CODE)[0].note == "Lưu ý gửi kèm số liệu từng xã"


async def test_extension_by_command_refused_by_the_decider(tbot):
    await _assign_to_tam(tbot)
    before_thao = len(tbot.replies(THAO))
    (sent,) = await tbot.send(TAM, f"/giahan {NEW_CODE.lower()} 30/12/2026 chờ số liệu")
    assert sent["text"].startswith("📨 Đã gửi đề nghị gia hạn")
    asked = await _last(tbot, THAO, before_thao)
    before_tam = len(tbot.replies(TAM))
    answer = await _press(tbot, THAO, asked, "❌ Không đồng ý")
    assert answer["text"] == tx.DECIDED_TOAST_REJECTED
    task = tbot.task(NEW_CODE)
    assert (task.deadline, task.original_deadline) == (date(2026, 12, 15), None)
    assert _requests(tbot, NEW_CODE)[0].status == "rejected"
    told = await _last(tbot, TAM, before_tam)
    assert told["text"].startswith(
        f"❌ Hồ Hữu Thảo (CB006) không đồng ý gia hạn nhiệm vụ {NEW_CODE} đến 30/12/2026; thời hạn vẫn là 15/12/2026."
    )
    # "Không cần ghi chú" closes the note; the next text is an ordinary message.
    await _press(tbot, THAO, tbot.message(THAO, asked["message_id"]), tx.BUTTON_NO_NOTE)
    assert buttons(tbot.message(THAO, asked["message_id"])) == []
    (reply,) = await tbot.send(THAO, "Nghị quyết 57 đặt mục tiêu gì?")
    assert "ghi chú" not in reply["text"]
    # Pressing again after the decision: refused, nothing changes.
    again = await tbot.press(THAO, "gh:y:1", asked["message_id"])
    assert again["text"] == "Đề nghị gia hạn này đã được Hồ Hữu Thảo quyết định (không đồng ý)."
    assert tbot.task(NEW_CODE).deadline == date(2026, 12, 15)


async def test_extension_decided_by_the_wrong_person_is_refused_and_changes_nothing(tbot):
    # NV-071 (Lê Hồng Mai, Sở Tài chính) was imported without an assigner in the roster: the leader of the
    # lead unit decides (Lê Ngọc Yến).
    before_yen = len(tbot.replies(YEN))
    (sent,) = await tbot.send(MAI, "/extend NV-071 cuối tháng sau")
    assert "Lý do xin gia hạn" in sent["text"]  # the reason is asked
    (sent,) = await tbot.send(MAI, "Chờ ý kiến của Sở Kế hoạch")
    assert "tới Lê Ngọc Yến (CB009)" in sent["text"]
    asked = await _last(tbot, YEN, before_yen)
    (request,) = _requests(tbot, "NV-071")
    deadline, audits = tbot.task("NV-071").deadline, _audits(tbot)
    # Hồ Hữu Thảo (another Sở) and Mai herself press "Đồng ý" on a message in their own chat: refused.
    (own,) = await tbot.send(THAO, "/giahan")
    for user in (THAO, MAI):
        chat_message = own if user == THAO else tbot.replies(MAI)[-1]
        answer = await tbot.press(user, f"gh:y:{request.id}", chat_message["message_id"])
        assert answer["text"].startswith("Bạn không có quyền quyết định gia hạn nhiệm vụ NV-071")
    assert (tbot.task("NV-071").deadline, _audits(tbot)) == (deadline, audits)
    assert _requests(tbot, "NV-071")[0].status == "pending"
    # The right person decides.
    await _press(tbot, YEN, asked, "✅ Đồng ý")
    task = tbot.task("NV-071")
    assert (task.original_deadline, task.deadline) == (deadline, date(2026, 12, 31))


async def test_extension_refusals_before_asking(tbot):
    card = await _assign_to_tam(tbot)
    (reply,) = await tbot.send(HUONG, f"/giahan {NEW_CODE} 30/12/2026 bận")
    assert reply["text"] == f"Chỉ người được giao (Đặng Hữu Tâm) mới xin gia hạn nhiệm vụ {NEW_CODE}."
    (reply,) = await tbot.send(TAM, "/giahan NV-9999 30/12/2026 bận")
    assert reply["text"] == "Không có nhiệm vụ mã “NV-9999”."
    (reply,) = await tbot.send(TAM, "/giahan")
    assert reply["text"].startswith("Cách xin gia hạn:")
    await tbot.send(TAM, f"/giahan {NEW_CODE} 30/12/2026 chờ số liệu")
    answer = await _press(tbot, TAM, card, "⏳ Xin gia hạn")
    assert answer["text"].startswith(f"Nhiệm vụ {NEW_CODE} đã có đề nghị gia hạn đến 30/12/2026 đang chờ")
    assert len(_requests(tbot, NEW_CODE)) == 1


async def test_a_completion_started_during_the_form_takes_the_next_text_then_the_form_goes_on(tbot):
    (ask,) = await tbot.send(THAO, "/giaoviec")
    assert "bước 1/6" in ask["text"]
    code = tbot.open_tasks_of("CB006")[0].code
    await tbot.send(THAO, "/viec", n=2)
    card = next(m for m in reversed(tbot.replies(THAO)) if code in m["text"] and buttons(m))
    await _press(tbot, THAO, card, "✅ Hoàn thành", n=1)
    (done,) = await tbot.send(THAO, "Đã trình báo cáo")
    # a department head's own task: the product goes to the leaders above for review (never to themself)
    assert (
        done["text"].startswith(f"📤 Đã nộp sản phẩm nhiệm vụ {code}") and "Hồ Hữu Thảo" not in done["text"]
    )
    assert tbot.task(code).status.value == "cho_duyet"
    (ask,) = await tbot.send(THAO, "Tâm")  # the form is still there
    assert "bước 2/6" in ask["text"]
