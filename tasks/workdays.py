"""Working days in Vietnam: Monday to Friday, minus public holidays and the government's days off, plus the
Saturdays (or Sundays) worked to make up for a swapped day.

Why two sources: the statutory holidays (Tết Dương lịch, Tết Nguyên đán, Giỗ Tổ Hùng Vương, 30/4, 1/5, 2/9,
and the day off in lieu when one falls on a weekend) follow rules and the lunar calendar; the kept
`holidays` library computes them (`holidays.country_holidays("VN", years=…)`). The yearly decisions (a
working day swapped for a Saturday so a holiday becomes a long weekend) are announced a few months ahead and
change every year: they live in a small YAML file the office keeps (`tasks/data/ngay-nghi.yaml`, or the file
named by TROLY_HOLIDAYS_FILE): `nghi` = extra days off, `lam_bu` = make-up working days.

Used by reminders ("every working day while overdue", no pushes on days off) and by every rule that counts
working days. Pure functions over dates; the calendar is loaded once per file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import holidays
import yaml

from tasks.normalize import format_date, parse_date

DEFAULT_FILE = Path(__file__).parent / "data" / "ngay-nghi.yaml"


class CalendarFileError(ValueError):
    """The holidays file cannot be read; the message (Vietnamese) names the file and the entry."""


@cache
def statutory_holidays(year: int) -> Mapping[date, str]:
    """Vietnam's public holidays of `year` (with days off in lieu), from the `holidays` library."""
    return dict(holidays.country_holidays("VN", years=year, language="vi"))


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are working days. `days_off` / `make_up_days` (date → reason) come from the office's file."""

    days_off: Mapping[date, str] = field(default_factory=dict)
    make_up_days: Mapping[date, str] = field(default_factory=dict)

    def day_off_reason(self, day: date) -> str | None:
        """Why `day` is not a working day ("Tết Nguyên Đán", "Thứ Bảy"…), or None for a working day."""
        if day in self.make_up_days:
            return None
        if day in self.days_off:
            return self.days_off[day]
        holiday = statutory_holidays(day.year).get(day)
        if holiday:
            return holiday
        if day.weekday() >= 5:
            return "Thứ Bảy" if day.weekday() == 5 else "Chủ nhật"
        return None

    def is_working_day(self, day: date) -> bool:
        return self.day_off_reason(day) is None

    def next_working_day(self, day: date) -> date:
        """`day` itself if it is a working day, else the first working day after it."""
        for _ in range(60):
            if self.is_working_day(day):
                return day
            day += timedelta(days=1)
        return day

    def previous_working_day(self, day: date) -> date:
        """`day` itself if it is a working day, else the last working day before it."""
        for _ in range(60):
            if self.is_working_day(day):
                return day
            day -= timedelta(days=1)
        return day

    def add_working_days(self, day: date, n: int) -> date:
        """The `n`-th working day after `day` (n ≥ 0; n = 0 gives `next_working_day(day)`)."""
        day = self.next_working_day(day)
        for _ in range(max(0, n)):
            day = self.next_working_day(day + timedelta(days=1))
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: how many working days `end` is after `start` (0 if not after)."""
        return sum(self.is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))


def _entries(raw: Any, key: str, path: Path) -> dict[date, str]:
    items = raw.get(key) or []
    if not isinstance(items, list):
        raise CalendarFileError(f"Tệp ngày nghỉ “{path}”: mục “{key}” phải là một danh sách.")
    out: dict[date, str] = {}
    for i, item in enumerate(items, start=1):
        value, reason = (item.get("ngay"), item.get("ly_do")) if isinstance(item, dict) else (item, None)
        try:
            day = parse_date(value)
        except ValueError as exc:
            raise CalendarFileError(f"Tệp ngày nghỉ “{path}”, mục “{key}” thứ {i}: {exc}") from None
        out[day] = str(reason or ("Ngày nghỉ" if key == "nghi" else "Làm bù"))
    return out


def read_calendar(path: str | Path) -> WorkCalendar:
    """A calendar from a YAML file (`nghi`, `lam_bu`: lists of `{ngay: dd/mm/yyyy, ly_do: …}`).

    Raises `CalendarFileError` (Vietnamese) for a missing or malformed file, or a day in both lists.
    """
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise CalendarFileError(f"Không đọc được tệp ngày nghỉ “{path}”: {exc}") from None
    if not isinstance(raw, dict):
        raise CalendarFileError(f"Tệp ngày nghỉ “{path}” phải có hai mục “nghi” và “lam_bu”.")
    off, work = _entries(raw, "nghi", path), _entries(raw, "lam_bu", path)
    both = sorted(set(off) & set(work))
    if both:
        raise CalendarFileError(
            f"Tệp ngày nghỉ “{path}”: ngày {format_date(both[0])} vừa là ngày nghỉ vừa là ngày làm bù."
        )
    return WorkCalendar(off, work)


@cache
def _cached(path: str) -> WorkCalendar:
    return read_calendar(path)


def load_calendar(path: str | Path | None = None) -> WorkCalendar:
    """The calendar of `path` (default: the file shipped with the package), read once per file.

    Front ends pass the file named by TROLY_HOLIDAYS_FILE (`tasks.settings.TaskSettings.holidays_file`, through
    `tasks.reminders.ReminderPolicy.from_settings`);
    nothing is read from the environment at import time.
    """
    return _cached(str(path or DEFAULT_FILE))


def default_calendar() -> WorkCalendar:
    """The shipped calendar (`tasks/data/ngay-nghi.yaml` + the statutory holidays)."""
    return load_calendar()


def days_off_in(calendar: WorkCalendar, days: Iterable[date]) -> list[tuple[date, str]]:
    """(day, reason) of the days off among `days` (for explanations and the docs' examples)."""
    return [(d, r) for d in days if (r := calendar.day_off_reason(d)) is not None]
