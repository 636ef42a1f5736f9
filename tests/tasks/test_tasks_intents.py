"""The free-text intent table: which messages go to the task engine (and what they ask) and which go to
document search. Each row: message, kind, unit recognised, first person, time window."""

from __future__ import annotations

from datetime import date

import pytest

from tasks.intents import IntentKind, Window, classify, find_unit_text

D, MY, SOON, OVER, PROG, KPI = (
    IntentKind.DOCUMENT, IntentKind.MY_TASKS, IntentKind.DUE_SOON, IntentKind.OVERDUE, IntentKind.PROGRESS,
    IntentKind.KPI,
)  # fmt: skip
UNITS = [
    "UBND tỉnh Thử Nghiệm",
    "Sở Nội vụ",
    "Phòng Công chức - Sở Nội vụ",
    "UBND xã Hợp Tiến",
    "Sở Khoa học và Công nghệ",
    "UBND phường Hạc Thành",
    "UBND xã Thành Công",
]
NV, HT, KHCN = "Sở Nội vụ", "UBND xã Hợp Tiến", "Sở Khoa học và Công nghệ"

# message, kind, unit (the name matched in UNITS, or the text cut out for abbreviations), mine, window
TABLE = [
    # --- my tasks, with and without diacritics, with time windows
    ("việc của tôi tuần này", MY, None, True, "this_week"),
    ("viec cua toi tuan nay", MY, None, True, "this_week"),
    ("Tôi có việc gì hôm nay?", MY, None, True, "today"),
    ("toi co nhiem vu gi ngay mai", MY, None, True, "tomorrow"),
    ("Công việc của em tuần sau", MY, None, True, "next_week"),
    ("nhiệm vụ được giao cho tôi tháng này", MY, None, True, "this_month"),
    ("Danh sách việc của mình", MY, None, True, None),
    ("my tasks this week", MY, None, True, "this_week"),
    ("what are my tasks today", MY, None, True, "today"),
    # --- due soon
    ("viec nao sap den han", SOON, None, False, None),
    ("Việc nào sắp đến hạn?", SOON, None, False, None),
    ("nhiệm vụ nào sắp hết hạn trong 7 ngày tới", SOON, None, False, ("days", 7)),
    ("tuần tới có việc gì đến hạn không", SOON, None, False, "next_week"),
    ("Tôi có việc nào sắp tới hạn không?", SOON, None, True, None),
    ("which tasks are due soon", SOON, None, False, None),
    ("Sở Nội vụ có nhiệm vụ nào đến hạn tuần này?", SOON, NV, False, "this_week"),
    # --- overdue
    ("Sở Nội vụ còn bao nhiêu nhiệm vụ quá hạn?", OVER, NV, False, None),
    ("so noi vu con bao nhieu nhiem vu qua han", OVER, NV, False, None),
    ("Sở NV còn mấy việc quá hạn", OVER, "Sở NV", False, None),
    ("Tôi có việc nào quá hạn không?", OVER, None, True, None),
    ("số nhiệm vụ quá hạn của tôi", OVER, None, True, None),
    ("viec tre han cua phong Cong chuc - So Noi vu", OVER, "Phòng Công chức - Sở Nội vụ", False, None),
    ("how many overdue tasks does so noi vu have", OVER, NV, False, None),
    ("Những việc nào đang chậm tiến độ?", OVER, None, False, None),
    ("toàn tỉnh có bao nhiêu nhiệm vụ quá hạn", OVER, None, False, None),
    # --- progress / completion
    ("xã Hợp Tiến hoàn thành bao nhiêu phần trăm?", PROG, HT, False, None),
    ("xa hop tien hoan thanh bao nhieu phan tram", PROG, HT, False, None),
    ("UBND xã Hợp Tiến có bao nhiêu nhiệm vụ?", PROG, HT, False, None),
    ("Tiến độ của Sở NV thế nào?", PROG, "Sở NV", False, None),
    ("tien do so khoa hoc va cong nghe", PROG, KHCN, False, None),
    ("Tỷ lệ hoàn thành nhiệm vụ của phường Hạc Thành", PROG, "UBND phường Hạc Thành", False, None),
    ("tình hình thực hiện nhiệm vụ của đơn vị tôi", PROG, None, False, None),
    ("Tôi đã hoàn thành được bao nhiêu phần trăm công việc?", PROG, None, True, None),
    ("progress of xa thanh cong", PROG, "UBND xã Thành Công", False, None),
    ("xã Thành Công hoàn thành mấy phần trăm", PROG, "UBND xã Thành Công", False, None),
    # --- KPI
    ("KPI của tôi", KPI, None, True, None),
    ("kpi cua so noi vu", KPI, NV, False, None),
    ("Điểm KPI của UBND xã Hợp Tiến là bao nhiêu?", KPI, HT, False, None),
    ("chỉ số hiệu quả của phòng mình", KPI, None, False, None),
    # --- documents: retrieval keeps them
    ("Nghị quyết 57-NQ/TW đặt mục tiêu gì về chi cho nghiên cứu phát triển?", D, None, False, None),
    ("Kết luận 221-KL/TW ban hành ngày nào?", D, None, False, None),
    ("nq 68 muc tieu den nam 2030 co bao nhieu doanh nghiep", D, None, False, None),
    ("Nghị định 30 quy định văn bản quá hạn xử lý thế nào?", D, None, False, None),
    ("Thời hạn hoàn thành theo Chỉ thị 05 là khi nào?", D, None, False, None),
    ("Tiến độ thực hiện Nghị quyết 57 được yêu cầu ra sao?", D, None, False, None),
    ("Chuyển đổi số quốc gia có những nhiệm vụ trọng tâm nào?", D, None, False, None),
    ("Mục tiêu kinh tế số đến năm 2030 là bao nhiêu phần trăm GDP?", D, None, False, None),
    ("Xin chào", D, None, False, None),
    ("Bộ Chính trị yêu cầu gì về khoa học công nghệ?", D, None, False, None),
    ("văn bản nào quy định về KPI cán bộ?", D, None, False, None),
]


def _window(spec) -> Window | None:
    if spec is None:
        return None
    return Window(*spec) if isinstance(spec, tuple) else Window(spec)


@pytest.mark.parametrize(("text", "kind", "unit", "mine", "window"), TABLE, ids=[row[0] for row in TABLE])
def test_intent_table(text: str, kind: IntentKind, unit: str | None, mine: bool, window) -> None:
    intent = classify(text, UNITS)
    assert intent.kind == kind
    if kind != D:
        assert intent.unit_text == unit
        assert intent.mine == mine
        assert intent.window == _window(window)


def test_the_table_is_big_enough() -> None:
    assert len(TABLE) >= 40
    assert sum(1 for row in TABLE if row[1] == D) >= 10


@pytest.mark.parametrize(
    ("text", "own", "all_units"),
    [
        ("tình hình thực hiện nhiệm vụ của đơn vị tôi", True, False),
        ("phong minh con bao nhieu viec qua han", True, False),
        ("toàn tỉnh có bao nhiêu nhiệm vụ quá hạn", False, True),
        ("Sở Nội vụ còn bao nhiêu nhiệm vụ quá hạn?", False, False),
    ],
)
def test_own_unit_and_all_units(text: str, own: bool, all_units: bool) -> None:
    intent = classify(text, UNITS)
    assert (intent.own_unit, intent.all_units, intent.about_unit) == (own, all_units, True)


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("Sở Nội vụ còn bao nhiêu nhiệm vụ quá hạn?", "Sở Nội vụ"),
        ("xã Hợp Tiến hoàn thành bao nhiêu phần trăm?", "xã Hợp Tiến"),
        ("tien do cua so nv", "so nv"),
        ("UBND xã Bá Thước có bao nhiêu việc", "UBND xã Bá Thước"),
        ("số nhiệm vụ quá hạn của tôi", None),  # "số" (number) is not "Sở"
        ("bạn cho tôi biết việc sắp đến hạn", None),  # "bạn" (you) is not "Ban"
        ("tính đến hôm nay tôi có mấy việc", None),  # "tính" (count) is not "tỉnh"
    ],
)
def test_units_are_cut_out_without_the_unit_list(text: str, unit: str | None) -> None:
    assert find_unit_text(text) == unit


def test_unknown_units_are_kept_only_when_unmistakable() -> None:
    assert classify("tiến độ của Sở Giáo dục", UNITS).unit_text == "Sở Giáo dục"  # "Sở": a unit, unknown
    assert classify("tien do cua so giao duc", UNITS).unit_text is None  # "so" could be "số"
    assert classify("Chuyển đổi số quốc gia có những nhiệm vụ gì?", UNITS).kind == D


def test_windows() -> None:
    monday, sunday = date(2026, 11, 16), date(2026, 11, 22)
    today = date(2026, 11, 19)  # Thursday
    assert Window("this_week").bounds(today) == (monday, sunday)
    assert Window("next_week").bounds(today) == (date(2026, 11, 23), date(2026, 11, 29))
    assert Window("this_month").bounds(today) == (date(2026, 11, 1), date(2026, 11, 30))
    assert Window("next_month").bounds(date(2026, 12, 31)) == (date(2027, 1, 1), date(2027, 1, 31))
    assert Window("days", 7).bounds(today) == (today, date(2026, 11, 26))
    assert Window("this_week").label(today) == "tuần này (16/11–22/11/2026)"
    assert Window("today").label(today) == "hôm nay (19/11/2026)"


def test_toi_thieu_is_not_first_person():
    from tasks.intents import is_first_person

    assert not is_first_person("nq71 chi ngan sach cho giao duc toi thieu bao nhieu phan tram")
    assert is_first_person("viec cua toi tuan nay")
