"""The Vietnamese deadline parser (`tasks.deadlines`): properties over dates with an injected "today", and the
phrases of issue 12 as examples, on the shipped working-day calendar."""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.deadlines import DeadlineError, find_deadline, parse
from tasks.workdays import load_calendar

CAL = load_calendar()
TODAY = date(2026, 11, 30)  # a Monday
todays = st.dates(min_value=date(2024, 1, 1), max_value=date(2090, 12, 31))
WEEKDAY_WORDS = ["thứ hai", "thứ ba", "thứ tư", "thứ năm", "thứ sáu", "thứ bảy", "chủ nhật"]


def strip_marks(text: str) -> str:
    """What a phone without a Vietnamese keyboard types: no diacritics, đ → d."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


@settings(max_examples=150, deadline=None)
@given(today=todays, ahead=st.integers(min_value=0, max_value=3000))
def test_written_dates_round_trip(today: date, ahead: int) -> None:
    day = today + timedelta(days=ahead)
    for text in (
        f"{day.day:02d}/{day.month:02d}/{day.year}",
        f"{day.day}/{day.month}/{day.year}",
        f"{day.day:02d}-{day.month:02d}-{day.year}",
        f"trước {day.day}/{day.month}/{day.year}",
        f"hạn {day:%d.%m.%Y}",
        day.isoformat(),
    ):
        assert parse(text, today, CAL) == day, text


@settings(max_examples=150, deadline=None)
@given(today=todays, back=st.integers(min_value=1, max_value=3000))
def test_a_written_date_in_the_past_is_refused_with_the_reason(today: date, back: int) -> None:
    day = today - timedelta(days=back)
    with pytest.raises(DeadlineError) as error:
        parse(f"{day.day:02d}/{day.month:02d}/{day.year}", today, CAL)
    assert error.value.kind in ("past", "implausible")
    if error.value.kind == "past":
        assert "đã qua" in str(error.value) and f"{today:%d/%m/%Y}" in str(error.value)
        assert error.value.value == day


@settings(max_examples=200, deadline=None)
@given(today=todays, day=st.integers(min_value=1, max_value=31), month=st.integers(min_value=1, max_value=12))
def test_day_month_is_its_next_occurrence_never_in_the_past(today: date, day: int, month: int) -> None:
    try:
        result = parse(f"{day}/{month}", today, CAL)
    except DeadlineError as error:  # 31/4, 30/2: not on any calendar
        assert error.kind == "no_such_day" and "không có trên lịch" in str(error)
        with pytest.raises(ValueError):
            date(2024, month, day)  # 2024 is a leap year: only impossible days are refused
        return
    assert (result.day, result.month) == (day, month)
    assert today <= result
    # the NEXT occurrence: no earlier year would have done
    assert all(
        not (today <= date(year, month, day))
        for year in range(today.year, result.year)
        if not (month == 2 and day == 29 and not _leap(year))
    )


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


@settings(max_examples=150, deadline=None)
@given(today=todays, n=st.integers(min_value=0, max_value=400))
def test_within_n_days_is_today_plus_n_calendar_days(today: date, n: int) -> None:
    for text in (
        f"trong {n} ngày",
        f"{n} ngày nữa",
        f"trong vòng {n} ngày",
        f"sau {n} ngay",
        f"{n} ngay nua",
    ):
        assert parse(text, today, CAL) == today + timedelta(days=n), text


@settings(max_examples=150, deadline=None)
@given(today=todays)
def test_end_of_month_is_the_last_working_day_of_its_month(today: date) -> None:
    result = parse("cuối tháng", today, CAL)
    assert result >= today
    assert CAL.is_working_day(result)
    after = result + timedelta(days=1)
    while after.month == result.month:
        assert not CAL.is_working_day(after)
        after += timedelta(days=1)
    if result.month != today.month:  # this month's last working day had passed
        assert result.month == (today.month % 12) + 1
        assert not any(
            CAL.is_working_day(today + timedelta(days=i)) for i in range((result.replace(day=1) - today).days)
        )
    assert parse("cuoi thang", today, CAL) == result


@settings(max_examples=100, deadline=None)
@given(today=todays)
def test_end_of_next_month_is_in_the_following_month(today: date) -> None:
    result = parse("cuối tháng sau", today, CAL)
    assert result.month == (today.month % 12) + 1 and CAL.is_working_day(result)


@settings(max_examples=150, deadline=None)
@given(today=todays, weekday=st.integers(min_value=0, max_value=6), ascii_only=st.booleans())
def test_weekday_next_week_is_that_day_of_the_week_after_this_one(
    today: date, weekday: int, ascii_only: bool
) -> None:
    word = WEEKDAY_WORDS[weekday]
    text = f"{word} tuần sau"
    result = parse(strip_marks(text) if ascii_only else text, today, CAL)
    monday = today - timedelta(days=today.weekday())
    assert result.weekday() == weekday
    assert result - monday == timedelta(days=7 + weekday)  # weeks start on Monday
    digit = f"thu {weekday + 2} tuan sau" if weekday < 6 else "cn tuan sau"
    assert parse(digit, today, CAL) == result


@settings(max_examples=100, deadline=None)
@given(today=todays, weekday=st.integers(min_value=0, max_value=6))
def test_weekday_this_week_is_refused_once_passed(today: date, weekday: int) -> None:
    text = f"{WEEKDAY_WORDS[weekday]} tuần này"
    if weekday < today.weekday():
        with pytest.raises(DeadlineError) as error:
            parse(text, today, CAL)
        assert error.value.kind == "past"
    else:
        result = parse(text, today, CAL)
        assert result.weekday() == weekday and 0 <= (result - today).days < 7


@settings(max_examples=100, deadline=None)
@given(today=todays)
def test_end_of_week_is_a_working_day_not_before_today(today: date) -> None:
    result = parse("cuối tuần", today, CAL)
    assert result >= today and (result - today).days < 14
    assert CAL.is_working_day(result) or not any(
        CAL.is_working_day(result - timedelta(days=i)) for i in range(result.weekday() + 1)
    )


@settings(max_examples=100, deadline=None)
@given(
    today=todays,
    content=st.text(alphabet="abcdeghiklmnopqrstuvxyàáảãạăâđêôơư ", min_size=3, max_size=40).filter(
        lambda s: any(c.isalpha() for c in s)
    ),
    ahead=st.integers(min_value=0, max_value=360),
)
def test_find_deadline_cuts_the_phrase_out_of_free_text(today: date, content: str, ahead: int) -> None:
    day = today + timedelta(days=ahead)
    words = " ".join(content.split())
    found = find_deadline(f"{words} trước {day:%d/%m/%Y}", today, CAL)
    assert found is not None and found.deadline == day and found.error is None
    assert found.phrase == f"trước {day:%d/%m/%Y}"
    assert found.remainder == words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15/12/2026", date(2026, 12, 15)),
        ("5/1/2027", date(2027, 1, 5)),
        ("15-12-2026", date(2026, 12, 15)),
        ("15/12", date(2026, 12, 15)),
        ("30/11", date(2026, 11, 30)),  # today is still "next"
        ("29/11", date(2027, 11, 29)),
        ("29/02", date(2028, 2, 29)),
        ("trước 15/12", date(2026, 12, 15)),
        ("Hạn 15/12", date(2026, 12, 15)),
        ("hạn chót ngày 15 tháng 12 năm 2026", date(2026, 12, 15)),
        ("thứ sáu tuần sau", date(2026, 12, 11)),
        ("thu 6 tuan sau", date(2026, 12, 11)),
        ("THỨ HAI TUẦN NÀY", date(2026, 11, 30)),
        ("thứ sáu", date(2026, 12, 4)),
        ("cuối tuần", date(2026, 12, 4)),
        ("cuối tuần sau", date(2026, 12, 11)),
        ("cuối tháng", date(2026, 11, 30)),
        ("cuối tháng sau", date(2026, 12, 31)),
        ("trong 10 ngày", date(2026, 12, 10)),
        ("10 ngày nữa", date(2026, 12, 10)),
        ("trong 2 tuần", date(2026, 12, 14)),
        ("5 ngày làm việc", date(2026, 12, 7)),
        ("ngày mai", date(2026, 12, 1)),
        ("ngay mai", date(2026, 12, 1)),
        ("hôm nay", date(2026, 11, 30)),
        ("ngày kia", date(2026, 12, 2)),
    ],
)
def test_phrases_of_the_issue(text: str, expected: date) -> None:
    assert parse(text, TODAY, CAL) == expected


def test_end_of_month_skips_days_off() -> None:
    # 31/01/2027 is a Sunday, 30/01 a Saturday: the last working day of January 2027 is Friday 29/01.
    assert parse("cuối tháng", date(2027, 1, 4), CAL) == date(2027, 1, 29)
    # On Saturday 30/01/2027 January's last working day has passed: February's (Tết 2027 is in early
    # February; 26/02/2027 is a Friday).
    assert parse("cuối tháng", date(2027, 1, 30), CAL) == date(2027, 2, 26)
    # Ngày 31/08/2026 is a day off swapped for a make-up Saturday (tasks/data/ngay-nghi.yaml).
    assert parse("cuối tháng", date(2026, 8, 3), CAL) == date(2026, 8, 28)


@pytest.mark.parametrize(
    ("text", "kind", "words"),
    [
        ("", "empty", "Chưa ghi thời hạn"),
        ("sớm nhất có thể", "unreadable", "Không đọc được thời hạn “sớm nhất có thể”"),
        ("31/02/2027", "no_such_day", "không có trên lịch"),
        ("31/4", "no_such_day", "không có trên lịch"),
        ("15/11/2026", "past", "đã qua: hôm nay là 30/11/2026"),
        ("thứ sáu tuần này", "past", None),
        ("01/01/2101", "implausible", "2000–2100"),
        ("trong 9999 ngày", "implausible", "quá xa"),
    ],
)
def test_refusals_say_why(text: str, kind: str, words: str | None) -> None:
    with pytest.raises(DeadlineError) as error:
        parse(text, date(2026, 12, 5) if "tuần này" in text else TODAY, CAL)
    assert error.value.kind == kind
    if words:
        assert words in str(error.value)


def test_find_deadline_in_a_leaders_sentence() -> None:
    found = find_deadline("giao anh Minh báo cáo tình hình triển khai KL 221 trước 15/12", TODAY, CAL)
    assert found is not None
    assert (found.phrase, found.remainder, found.deadline) == (
        "trước 15/12",
        "giao anh Minh báo cáo tình hình triển khai KL 221",
        date(2026, 12, 15),
    )
    found = find_deadline("Giao chị Mai soạn dự thảo QĐ 15/2025/QĐ-UBND, hạn thứ sáu tuần sau.", TODAY, CAL)
    assert found is not None and found.deadline == date(2026, 12, 11)
    assert found.remainder == "Giao chị Mai soạn dự thảo QĐ 15/2025/QĐ-UBND"
    found = find_deadline("giao anh Minh lam bao cao trong 10 ngay", TODAY, CAL)
    assert found is not None and (found.deadline, found.remainder) == (
        date(2026, 12, 10),
        "giao anh Minh lam bao cao",
    )


def test_find_deadline_leaves_ordinals_and_names_alone() -> None:
    assert find_deadline("tổ chức hội nghị lần thứ năm", TODAY, CAL) is None
    assert find_deadline("giao chị Mai rà soát Kết luận 221-KL/TW", TODAY, CAL) is None
    found = find_deadline("giao chị Mai báo cáo trước thứ năm", TODAY, CAL)
    assert found is not None and found.deadline == date(2026, 12, 3)


def test_find_deadline_reports_a_past_date_instead_of_guessing() -> None:
    found = find_deadline("nộp báo cáo hạn 15/11/2026", TODAY, CAL)
    assert found is not None and found.deadline is None and found.error is not None
    assert found.error.kind == "past" and found.remainder == "nộp báo cáo"
