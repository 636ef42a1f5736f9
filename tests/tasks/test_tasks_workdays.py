"""Working days: Vietnam's public holidays (the `holidays` library) + the office's yearly file, and reminders.

Known dates: Tết Bính Ngọ 2026 (off Sat 14/02 – Sun 22/02/2026), Quốc khánh 2025 (off Sat 30/08 – Tue 02/09),
30/4 – 1/5/2025 (off Wed 30/04 – Sun 04/05, Fri 02/05 swapped for the make-up Saturday 26/04/2025).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from tasks.reminders import BEFORE_1D, DUE_DAY, OVERDUE, Prefs, ReminderPolicy, task_slot_days
from tasks.workdays import DEFAULT_FILE, CalendarFileError, WorkCalendar, load_calendar, read_calendar
from troly.config import Settings

CAL = load_calendar(DEFAULT_FILE)
WEEKDAYS_ONLY = Prefs(enabled=True, hour=8, weekends=False, digest=True, calendar=CAL)
EVERY_DAY = Prefs(enabled=True, hour=8, weekends=True, digest=True, calendar=CAL)
POLICY = ReminderPolicy(calendar=CAL)


def span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def off_days(first: date, last: date) -> list[date]:
    return [d for d in span(first, last) if not CAL.is_working_day(d)]


def test_tet_2026_is_nine_days_off() -> None:
    assert off_days(date(2026, 2, 13), date(2026, 2, 23)) == span(date(2026, 2, 14), date(2026, 2, 22))
    assert "Tết" in CAL.day_off_reason(date(2026, 2, 17))
    assert CAL.is_working_day(date(2026, 2, 13)) and CAL.is_working_day(date(2026, 2, 23))
    assert CAL.next_working_day(date(2026, 2, 16)) == date(2026, 2, 23)
    assert CAL.previous_working_day(date(2026, 2, 20)) == date(2026, 2, 13)
    assert CAL.working_days_between(date(2026, 2, 13), date(2026, 2, 23)) == 1
    assert CAL.add_working_days(date(2026, 2, 12), 2) == date(2026, 2, 23)


def test_national_day_2025_and_hung_kings_2026() -> None:
    assert off_days(date(2025, 8, 29), date(2025, 9, 3)) == span(date(2025, 8, 30), date(2025, 9, 2))
    assert CAL.day_off_reason(date(2025, 9, 2)) == "Quốc khánh"
    assert not CAL.is_working_day(date(2026, 4, 27))  # Giỗ Tổ on Sunday 26/04/2026: Monday in lieu


def test_april_30_may_1_2025_with_the_make_up_saturday() -> None:
    assert off_days(date(2025, 4, 26), date(2025, 5, 5)) == [
        date(2025, 4, 27), *span(date(2025, 4, 30), date(2025, 5, 4))
    ]  # fmt: skip
    assert CAL.is_working_day(date(2025, 4, 26))  # Saturday worked for Friday 02/05
    assert "hoán đổi" in CAL.day_off_reason(date(2025, 5, 2))


def test_overdue_reminders_skip_tet_and_come_back_after_it() -> None:
    deadline = date(2026, 2, 12)  # Thursday before Tết
    slots = task_slot_days(deadline, WEEKDAYS_ONLY, POLICY, date(2026, 2, 13), date(2026, 2, 24))
    assert slots == [(OVERDUE, date(2026, 2, 13)), (OVERDUE, date(2026, 2, 23)), (OVERDUE, date(2026, 2, 24))]
    every = task_slot_days(deadline, EVERY_DAY, POLICY, date(2026, 2, 13), date(2026, 2, 24))
    assert len(every) == 12  # an official who opted in to every day gets them through Tết too


def test_warnings_before_a_deadline_after_tet_move_back_before_it() -> None:
    slots = task_slot_days(date(2026, 2, 23), WEEKDAYS_ONLY, POLICY, date(2026, 2, 1), date(2026, 2, 23))
    # 3 days before (20/02) and 1 day before (22/02) are Tết: both move back to Friday 13/02; the more
    # urgent one is kept.
    assert slots == [(BEFORE_1D, date(2026, 2, 13)), (DUE_DAY, date(2026, 2, 23))]


def test_reminders_on_the_make_up_saturday_and_not_on_the_long_weekend() -> None:
    slots = task_slot_days(date(2025, 4, 24), WEEKDAYS_ONLY, POLICY, date(2025, 4, 25), date(2025, 5, 6))
    assert [d for _, d in slots] == [date(2025, 4, 25), date(2025, 4, 26), date(2025, 4, 28), date(2025, 4, 29),
                                     date(2025, 5, 5), date(2025, 5, 6)]  # fmt: skip
    september = task_slot_days(date(2025, 8, 29), WEEKDAYS_ONLY, POLICY, date(2025, 8, 30), date(2025, 9, 3))
    assert september == [(OVERDUE, date(2025, 9, 3))]


def test_the_office_file_adds_days_off_and_make_up_days(tmp_path: Path) -> None:
    path = tmp_path / "nghi.yaml"
    path.write_text(
        "nghi:\n  - ngay: 05/01/2027\n    ly_do: Tỉnh nghỉ kỷ niệm ngày thành lập\nlam_bu:\n  - 09/01/2027\n",
        encoding="utf-8",
    )
    calendar = read_calendar(path)
    assert calendar.day_off_reason(date(2027, 1, 5)) == "Tỉnh nghỉ kỷ niệm ngày thành lập"
    assert calendar.is_working_day(date(2027, 1, 9))  # a Saturday
    env = {"TROLY_HOLIDAYS_FILE": str(path)}
    policy = ReminderPolicy.from_settings(Settings.from_env(env, dotenv=False).tasks)
    assert not policy.calendar.is_working_day(date(2027, 1, 5))
    assert WorkCalendar().is_working_day(date(2027, 1, 5))  # not in the library: a plain Tuesday


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nghi:\n  - ngay: 31/02/2026\n", "không có trên lịch"),
        ("nghi: 05/01/2027\n", "phải là một danh sách"),
        ("- 1\n- 2\n", "hai mục"),
        ("nghi:\n  - 05/01/2027\nlam_bu:\n  - 05/01/2027\n", "vừa là ngày nghỉ vừa là ngày làm bù"),
    ],
)
def test_a_bad_office_file_says_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CalendarFileError, match=message) as caught:
        read_calendar(path)
    assert str(path) in str(caught.value)
    with pytest.raises(CalendarFileError, match="Không đọc được"):
        read_calendar(tmp_path / "missing.yaml")


def test_the_bot_refuses_to_start_with_a_bad_holidays_file(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    bad = tmp_path / "nghi.yaml"
    bad.write_text("nghi:\n  - ngay: 31/02/2026\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TROLY_"))}
    env.update(TROLY_HOME=str(tmp_path / "home"), TELEGRAM_BOT_TOKEN="123:abc", TROLY_HOLIDAYS_FILE=str(bad),
               TELEGRAM_API_BASE_URL="http://127.0.0.1:9/bot")  # fmt: skip
    root = Path(__file__).resolve().parents[2]
    res = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 2, res.stderr
    assert "“31/02/2026” không có trên lịch" in res.stderr and "Traceback" not in res.stderr
