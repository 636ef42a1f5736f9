"""Vietnamese-aware normalisation: folding, phones, dates, labels, progress (property and example tests)."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tasks.normalize import (
    Role,
    TaskStatus,
    cell_text,
    fold,
    fold_key,
    format_date,
    normalize_phone,
    normalize_username,
    parse_date,
    parse_progress,
    parse_role,
    parse_status,
)

VIETNAMESE_LETTERS = (
    "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ"
)
vietnamese_text = st.text(alphabet=VIETNAMESE_LETTERS + VIETNAMESE_LETTERS.upper() + " ,-", max_size=40)


# --- fold ------------------------------------------------------------------------------------------


@given(vietnamese_text)
def test_fold_is_idempotent_and_ascii_for_vietnamese(text: str) -> None:
    folded = fold(text)
    assert fold(folded) == folded
    assert folded.isascii()
    assert folded == folded.strip() and "  " not in folded


@given(vietnamese_text)
def test_fold_ignores_case_and_unicode_form(text: str) -> None:
    assert fold(text.upper()) == fold(text.lower()) == fold(text)
    assert fold(unicodedata.normalize("NFD", text)) == fold(text)


def test_fold_examples() -> None:
    assert fold("  Sở Văn hóa,  Thể thao và Du lịch ") == "so van hoa, the thao va du lich"
    assert fold("SỞ VĂN HOÁ, THỂ THAO VÀ DU LỊCH") == fold("Sở Văn hóa, Thể thao và Du lịch")
    assert fold("Đơn vị") == "don vi"
    assert fold_key("Tiến độ (%)") == fold_key("tien do") == "tien do"


# --- phones ----------------------------------------------------------------------------------------

mobile_numbers = st.from_regex(r"0[35789][0-9]{8}", fullmatch=True)


@st.composite
def phone_spellings(draw: st.DrawFn) -> tuple[str, str | int]:
    canonical = draw(mobile_numbers)
    national = canonical[1:]
    groups = [national[:3], national[3:6], national[6:]]
    sep = draw(st.sampled_from(["", " ", ".", "-"]))
    body = sep.join(groups)
    spelled = draw(
        st.sampled_from(
            [
                canonical,
                "0" + body,
                "+84" + body,
                "+84 " + body,
                "84" + national,
                "0084" + national,
                f"  0{body}  ",
                int(canonical),  # an Excel cell holding the number loses the leading 0
            ]
        )
    )
    return canonical, spelled


@given(phone_spellings())
def test_normalize_phone_accepts_common_spellings(case: tuple[str, str | int]) -> None:
    canonical, spelled = case
    assert normalize_phone(spelled) == canonical
    assert normalize_phone(normalize_phone(spelled)) == canonical


def test_normalize_phone_landline_and_float_cell() -> None:
    assert normalize_phone("0237 3852 123") == "02373852123"
    assert normalize_phone(912345678.0) == "0912345678"
    assert normalize_phone("+84 (0) 912 345 678") == "0912345678"


@pytest.mark.parametrize(
    "bad", ["", "12345", "+1 202 555 0100", "09123456789012", "0912abc678", "0012345678"]
)
def test_normalize_phone_rejects_with_vietnamese_message(bad: str) -> None:
    with pytest.raises(ValueError, match=r"[Ss]ố điện thoại"):
        normalize_phone(bad)


# --- dates -----------------------------------------------------------------------------------------

dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@given(dates)
def test_parse_date_accepts_every_supported_spelling(d: date) -> None:
    spellings = [
        d.strftime("%d/%m/%Y"),
        f"{d.day}/{d.month}/{d.year}",
        d.isoformat(),
        f"{d.day:02d}-{d.month:02d}-{d.year}",
        f"{d.day}.{d.month}.{d.year}",
        f" {d.strftime('%d/%m/%Y')} ",
        d,
        datetime(d.year, d.month, d.day, 0, 0),
        (d - date(1899, 12, 30)).days,  # Excel serial number
        float((d - date(1899, 12, 30)).days),
    ]
    for spelling in spellings:
        assert parse_date(spelling) == d, spelling
    assert parse_date(format_date(d)) == d


def test_parse_date_is_day_first() -> None:
    assert parse_date("05/01/2027") == date(2027, 1, 5)
    assert parse_date(46023) == date(2026, 1, 1)


@pytest.mark.parametrize(
    ("bad", "fragment"),
    [
        ("31/02/2026", "không có trên lịch"),
        ("2026/13/01", "dd/mm/yyyy"),
        ("mai", "dd/mm/yyyy"),
        ("12/2026", "dd/mm/yyyy"),
        ("", "để trống"),
        (True, "dd/mm/yyyy"),
        (-3, "dd/mm/yyyy"),
        (1.5, "dd/mm/yyyy"),
    ],
)
def test_parse_date_rejects_with_vietnamese_message(bad: object, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_date(bad)


@pytest.mark.parametrize(
    ("bad", "shown"),
    [
        (2026, "2026"),  # "this year" typed as a number
        ("2026", "2026"),
        (45, "45"),  # a serial far before 2000 (14/02/1900)
        ("45", "45"),
        (2958465, "2958465"),  # 31/12/9999 as a serial
        ("01/01/0001", "01/01/0001"),
        ("31/12/9999", "31/12/9999"),
        ("1999-12-31", "1999-12-31"),
        (datetime(1905, 7, 18), "18/07/1905"),  # 2026 formatted as a date in Excel
        (date(2101, 1, 1), "01/01/2101"),
    ],
)
def test_implausible_dates_are_refused_showing_what_was_read(bad: object, shown: str) -> None:
    with pytest.raises(ValueError, match=f"“{shown}”") as caught:
        parse_date(bad)
    assert "dd/mm/yyyy" in str(caught.value)


@given(st.dates(max_value=date(1999, 12, 31)) | st.dates(min_value=date(2101, 1, 1)))
def test_dates_outside_2000_to_2100_are_refused_in_every_spelling(d: date) -> None:
    for spelling in (d, d.strftime("%d/%m/") + f"{d.year:04d}", f"{d.year:04d}-{d.month:02d}-{d.day:02d}"):
        with pytest.raises(ValueError):
            parse_date(spelling)


# --- labels ----------------------------------------------------------------------------------------


def _spellings(label: str) -> list[str]:
    return [
        label,
        label.upper(),
        label.title(),
        fold(label),
        f"  {label}  ",
        unicodedata.normalize("NFD", label),
    ]


@pytest.mark.parametrize("status", list(TaskStatus))
def test_parse_status_tolerates_case_and_missing_diacritics(status: TaskStatus) -> None:
    for spelling in [*_spellings(status.label), status.value]:
        assert parse_status(spelling) is status


@pytest.mark.parametrize("role", list(Role))
def test_parse_role_tolerates_case_and_missing_diacritics(role: Role) -> None:
    for spelling in [*_spellings(role.label), role.value]:
        assert parse_role(spelling) is role


def test_labels_are_the_design_vocabulary() -> None:
    assert [s.label for s in TaskStatus] == [
        "chưa bắt đầu",
        "đang thực hiện",
        "hoàn thành",
        "tạm dừng",
        "đã hủy",
        "chờ duyệt",
    ]
    assert [r.label for r in Role] == ["cán bộ", "lãnh đạo", "quản trị"]
    assert parse_status("Đã hoàn thành") is TaskStatus.HOAN_THANH


def test_unknown_labels_list_the_allowed_values() -> None:
    with pytest.raises(ValueError, match=r"Trạng thái “gần xong” không hợp lệ.*“hoàn thành”"):
        parse_status("gần xong")
    with pytest.raises(ValueError, match=r"Vai trò “giám đốc” không hợp lệ.*“lãnh đạo”"):
        parse_role("giám đốc")


# --- progress, cells, usernames --------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=100))
def test_parse_progress_accepts_integers_in_range(n: int) -> None:
    for spelling in (n, float(n), str(n), f"{n}%", f" {n} % "):
        assert parse_progress(spelling) == n


@given(st.integers().filter(lambda n: n < 0 or n > 100))
def test_parse_progress_rejects_out_of_range(n: int) -> None:
    with pytest.raises(ValueError, match="ngoài khoảng 0–100"):
        parse_progress(n)


@pytest.mark.parametrize("bad", ["abc", "50.5", 12.5, True, "một nửa"])
def test_parse_progress_rejects_non_integers(bad: object) -> None:
    with pytest.raises(ValueError, match="Tiến độ"):
        parse_progress(bad)


def test_cell_text() -> None:
    assert cell_text(1001.0) == "1001"
    assert cell_text("  Sở  ") == "Sở"
    assert cell_text("   ") is None
    assert cell_text(None) is None
    assert cell_text(datetime(2026, 1, 5, 0, 0)) == "05/01/2026"
    assert cell_text(date(2026, 1, 5) + timedelta(days=1)) == "06/01/2026"


def test_normalize_username() -> None:
    assert normalize_username("@nguyen_an") == "nguyen_an"
    assert normalize_username("https://t.me/nguyen_an") == "nguyen_an"
    with pytest.raises(ValueError, match="Tên Telegram"):
        normalize_username("@có dấu")
