"""Pure parts of the task chat: task cards (escaping, length, flags), the ``t:`` callback grammar, keyboards,
and the per-user "send me the result" state."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from app import my_tasks
from app import task_replies as render_tasks
from bot.dialogue import MemoryDialogueStore
from bot.render import TELEGRAM_MAX_CHARS, utf16_len, visible_text
from tasks import task_card, ui
from tasks.normalize import TaskStatus
from tasks.ui import MAX_CALLBACK_BYTES, parse_callback
from tests.fakes.fake_telegram import parse_telegram_html

TODAY = date(2026, 11, 22)
HN = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass
class _Person:
    full_name: str
    code: str


@dataclass
class _Unit:
    name: str


@dataclass
class _Task:
    code: str = "NV-1"
    content: str = "Rà soát văn bản"
    assignee: _Person = None  # type: ignore[assignment]
    lead_unit: _Unit = None  # type: ignore[assignment]
    deadline: date = date(2026, 11, 19)
    product: str = "Báo cáo"
    assigned_by: str = "Chủ tịch UBND tỉnh"
    source_document: str | None = "Kết luận 221-KL/TW"
    status: TaskStatus = TaskStatus.DANG_THUC_HIEN
    progress: int = 40
    completed_on: date | None = None
    result_note: str | None = None
    id: int = 1

    @property
    def is_cancelled(self) -> bool:
        return self.status == TaskStatus.DA_HUY

    def __post_init__(self) -> None:
        self.assignee = self.assignee or _Person("Lê Hồng Mai", "CB010")
        self.lead_unit = self.lead_unit or _Unit("Sở Tài chính")

    @property
    def is_done(self) -> bool:
        return self.status == TaskStatus.HOAN_THANH


def test_card_shows_the_six_fields_progress_and_the_overdue_flag():
    html = task_card.card_html(_Task(), TODAY)
    parse_telegram_html(html)  # valid Telegram HTML
    text = visible_text(html)
    assert text.splitlines()[0] == "⚠️ NV-1 · QUÁ HẠN 3 NGÀY"
    assert "📝 Việc: Rà soát văn bản" in text
    assert "👤 Người thực hiện: Lê Hồng Mai (CB010)" in text
    assert "🏢 Chủ trì: Sở Tài chính" in text
    assert "📅 Hạn: 19/11/2026 — quá hạn 3 ngày" in text
    assert "📦 Sản phẩm: Báo cáo" in text
    assert "✍️ Người giao: Chủ tịch UBND tỉnh · 📄 Kết luận 221-KL/TW" in text
    assert "📊 Tiến độ: ▰▰▰▰▱▱▱▱▱▱ 40% · đang thực hiện" in text


@pytest.mark.parametrize(
    ("deadline", "expected"),
    [
        (date(2026, 11, 22), "hạn là hôm nay"),
        (date(2026, 11, 23), "hạn là ngày mai"),
        (date(2026, 12, 2), "còn 10 ngày"),
    ],
)
def test_card_time_left_when_not_overdue(deadline, expected):
    text = visible_text(task_card.card_html(_Task(deadline=deadline), TODAY))
    assert "QUÁ HẠN" not in text and f"({expected})" in text


def test_a_finished_task_says_when_and_whether_on_time():
    task = _Task(
        status=TaskStatus.HOAN_THANH, progress=100, completed_on=date(2026, 11, 21), result_note="Xong"
    )
    text = visible_text(task_card.card_html(task, TODAY))
    assert (
        text.startswith("✅ NV-1")
        and "xong ngày 21/11/2026, trễ 2 ngày" in text
        and "🏁 Kết quả: Xong" in text
    )
    assert task_card.task_buttons(replace(task, source_document=None)) == []  # no button row at all


def test_database_values_are_escaped_and_huge_fields_keep_the_card_under_the_limit():
    evil = "<b>bẫy</b> & <script>" * 2000
    task = _Task(
        code="<NV&1>", content=evil, product=evil, assigned_by=evil, source_document=evil, result_note=evil,
        assignee=_Person(evil, "<CB>"), lead_unit=_Unit(evil),
    )  # fmt: skip
    note = render_tasks.progress_note(_Person(evil, "CB&"), 0, 50, datetime(2026, 11, 22, 2, tzinfo=UTC), HN)
    html = task_card.card_html(task, TODAY, note=note)
    plain, _ = parse_telegram_html(html)  # raises on unescaped < or &
    assert utf16_len(plain) <= TELEGRAM_MAX_CHARS - 500  # Telegram counts the text after entity parsing
    assert "<NV&1>" in plain and "<script>" in plain
    assert "lúc 09:00 ngày 22/11/2026" in plain


def test_document_reply_variants():
    task = _Task(code="NV-9")
    found = render_tasks.document_reply(
        task, [("Kết luận 221-KL/TW ngày 28/11/2025, mục 2", "Đoạn <trích>")], known=True
    )
    assert visible_text(found).splitlines()[:3] == [
        "📄 Văn bản giao của nhiệm vụ NV-9: Kết luận 221-KL/TW",
        "Các đoạn liên quan trong kho văn bản:",
        "[1] Kết luận 221-KL/TW ngày 28/11/2025, mục 2",
    ]
    parse_telegram_html(found)
    assert "kho văn bản hiện chưa có" in render_tasks.document_reply(task, [], known=True)
    assert "không nhận ra số hiệu" in render_tasks.document_reply(task, [], known=False)
    assert "không ghi văn bản giao" in render_tasks.document_reply(
        _Task(source_document=None), [], known=True
    )


# --- callback grammar and keyboards ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("t:p:42:50", ("p", (42, 50))),
        ("t:p:42:0", ("p", (42, 0))),
        ("t:done:7", ("done", (7,))),
        ("t:v:7", ("v", (7,))),
        ("t:doc:7", ("doc", (7,))),
        ("t:skip:7", ("skip", (7,))),
        ("t:x:7", ("x", (7,))),
        ("t:pg:3", ("pg", (3,))),
    ],
)
def test_task_callbacks_parse(data, expected):
    cb = parse_callback(data)
    assert (cb.prefix, cb.action, cb.args) == ("t", *expected) and cb.data == data


@pytest.mark.parametrize(
    "data",
    ["", "t:", "t:p:42", "t:p:42:101", "t:p:-1:50", "t:p:a:50", "t:done:7:8", "t:pg:0", "x:p:1:2", "t:rm:1",
     "t:done:1234567890123", None],
)  # fmt: skip
def test_anything_outside_the_grammar_is_rejected(data):
    assert parse_callback(data) is None


def test_keyboards_stay_within_64_bytes_for_the_largest_ids():
    big = 999_999_999_999
    rows = task_card.task_buttons(_Task(id=big, progress=50, status=TaskStatus.DANG_THUC_HIEN))
    datas = [d for row in rows for _, d in row]
    datas += [ui.skip_data(big), ui.stop_completing_data(big), ui.page_data(big)]
    assert all(len(d.encode()) <= MAX_CALLBACK_BYTES for d in datas)
    labels = [label for label, _ in rows[0]]
    assert labels == ["0%", "25%", "✓ 50%", "75%", "100%"]
    assert [label for label, _ in rows[1]] == ["✅ Hoàn thành", "📄 Văn bản giao"]
    assert all(parse_callback(d) is not None for d in datas)


def test_the_task_domain_callback_helpers_are_understood():
    ui = pytest.importorskip("tasks.ui")
    for data in (ui.progress_data(5, 90), ui.done_data(5), ui.task_data(5), ui.document_data(5)):
        assert parse_callback(data) is not None  # one grammar: what the domain encodes, the bot decodes
        assert ui.parse_callback(data) is not None


def test_pages_keyboard():
    assert my_tasks.pages_buttons(1, 1) == []
    assert [label for label, _ in my_tasks.pages_buttons(2, 3)[0]] == [
        "◀️ Trang trước",
        "Trang sau ▶️",
    ]


# --- the pending result -------------------------------------------------------------------------------------


def test_pending_results_expire_and_are_replaced_per_user():
    now = [0.0]
    pending = MemoryDialogueStore(ttl=600, clock=lambda: now[0])
    pending.put(1, "result", {"task_id": 10, "prompt": None})
    pending.update(1, "result", {"task_id": 10, "prompt": 6})
    item = pending.get(1, "result")
    assert item.state == {"task_id": 10, "prompt": 6} and not pending.expired(item)
    pending.put(1, "result", {"task_id": 11})
    assert pending.get(1, "result").state["task_id"] == 11  # replaced per user
    assert pending.get(1, "cancel") is None and pending.get(2, "result") is None
    now[0] = 601
    assert pending.expired(pending.get(1, "result"))
    pending.put(2, "result", {"task_id": 12})  # sweeps expired entries
    assert pending.get(1, "result") is None and len(pending) == 1
    assert pending.pop(2, "result").state == {"task_id": 12} and len(pending) == 0
