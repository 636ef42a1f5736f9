"""Deadlines as leaders type them in chat: "15/12", "thứ sáu tuần sau", "cuối tháng", "trong 10 ngày".

Why a module of its own: the assign form, the one-line `/giaoviec`, an extension request and a free-text
"giao anh Minh … trước 15/12" all read a deadline, and they must read it the same way, with or without
diacritics, against the office's working-day calendar (`tasks.workdays`) and with an injected "today" (the
office's date in TROLY_TIMEZONE), so tests and the bot agree on what "cuối tháng" means on any day.

The rules (docs/tasks.md, "Thời hạn gõ trong chat"):
- `dd/mm/yyyy`, `d/m/yyyy`, `dd-mm-yyyy`, `dd.mm.yyyy`, ISO `yyyy-mm-dd`, "ngày 15 tháng 12 (năm 2026)";
- `dd/mm` (`dd-mm`): its next occurrence, today or later (29/02 → the next leap year's);
- "thứ hai … thứ bảy", "thứ 2 … thứ 7", "chủ nhật" + "tuần này" / "tuần sau" ("tuần tới"); weeks start on
  Monday; a weekday alone is its next occurrence, today or later;
- "cuối tuần" (the week's last working day; once it has passed, next week's), "cuối tuần sau";
- "cuối tháng" (the month's last WORKING day; once it has passed, next month's), "cuối tháng sau",
  "cuối năm";
- "trong 10 ngày", "10 ngày nữa", "sau 10 ngày" (today + 10 calendar days), the same with "tuần"
  (7 days each) and "tháng" (calendar months), and "5 ngày làm việc" (working days);
- "hôm nay", "ngày mai", "ngày kia" / "ngày mốt";
- a leading "trước", "hạn", "thời hạn", "hạn chót", "chậm nhất", "đến", "ngày" is ignored
  ("trước 15/12" is a deadline of 15/12).
A date before today is refused with the reason; so is a date outside the years the spreadsheets accept
(`tasks.normalize.parse_date`: 2000–2100) and a day that is not on the calendar (31/02).
"""

from __future__ import annotations

import calendar as _calendar
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from tasks.errors import TaskDomainError
from tasks.normalize import MAX_YEAR, MIN_YEAR, format_date
from tasks.workdays import WorkCalendar, default_calendar
from vntext import clean

__all__ = [
    "EXAMPLES",
    "DeadlineError",
    "FoundDeadline",
    "find_deadline",
    "parse",
]

EXAMPLES = "15/12/2026, 15/12, “thứ sáu tuần sau”, “cuối tháng”, “trong 10 ngày”"


class DeadlineError(TaskDomainError, ValueError):
    """A deadline that cannot be used; `str(error)` is the Vietnamese reason.

    `kind`: "empty" | "unreadable" | "no_such_day" (31/02) | "implausible" (outside 2000–2100) | "past".
    `value`: the date read, when one was read (kinds "past" and "implausible").
    """

    def __init__(self, kind: str, message: str, value: date | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.value = value

    @property
    def reason(self) -> str:
        return str(self)


@dataclass(frozen=True)
class FoundDeadline:
    """A deadline phrase found inside free text.

    `phrase`: the words as written ("trước 15/12"); `remainder`: the text without them, spaces collapsed and
    dangling punctuation removed; exactly one of `deadline` / `error` is set.
    """

    phrase: str
    remainder: str
    deadline: date | None
    error: DeadlineError | None


# --- folding that keeps positions ----------------------------------------------------------------------


def _fold_char(ch: str) -> str:
    """One character in, one character out: lower case, no diacritics, đ → d."""
    low = ch.lower()
    if len(low) != 1:
        return ch
    if low == "đ":
        return "d"
    return unicodedata.normalize("NFD", low)[0]


def _fold_aligned(text: str) -> str:
    """`text` folded character by character, so a match in the result is the same span in `text`."""
    return "".join(_fold_char(ch) for ch in text)


# --- the grammar ---------------------------------------------------------------------------------------

_WEEKDAYS = {"hai": 0, "2": 0, "ba": 1, "3": 1, "tu": 2, "4": 2, "nam": 3, "5": 3, "sau": 4, "6": 4,
             "bay": 5, "7": 5}  # fmt: skip
_NEXT = r"(?:sau|toi|ke\s+tiep|tiep\s+theo)"
_THIS = r"(?:nay|hien\s+tai)"
_PREFIX = r"(?:(?:thoi\s+)?han(?:\s+chot)?(?:\s+la)?|truoc|cham\s+nhat(?:\s+la)?|den|toi|trong\s+ngay|vao)"
_B = r"(?<![0-9a-z])"  # start of a word (on folded text)
_E = r"(?![0-9a-z])"  # end of a word

Resolver = Callable[[re.Match[str], date, WorkCalendar], date]


@dataclass(frozen=True)
class _Rule:
    pattern: str
    resolve: Resolver
    needs_prefix: bool = False  # in free text, only after "trước", "hạn"…: too easily another meaning


def _make_date(day: int, month: int, year: int, shown: str) -> date:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise DeadlineError(
            "implausible",
            f"Thời hạn “{shown}”: năm {year} nằm ngoài khoảng {MIN_YEAR}–{MAX_YEAR}; hãy ghi lại, ví dụ "
            f"{EXAMPLES}.",
        )
    try:
        return date(year, month, day)
    except ValueError:
        raise DeadlineError(
            "no_such_day", f"Thời hạn “{shown}” không có trên lịch (ngày {day}, tháng {month})."
        ) from None


def _dmy(m: re.Match[str], _today: date, _cal: WorkCalendar) -> date:
    return _make_date(int(m["d"]), int(m["m"]), int(m["y"]), m.group(0).strip())


def _ymd(m: re.Match[str], _today: date, _cal: WorkCalendar) -> date:
    return _make_date(int(m["d"]), int(m["m"]), int(m["y"]), m.group(0).strip())


def _dm(m: re.Match[str], today: date, _cal: WorkCalendar) -> date:
    """Next occurrence of day/month, today or later (29/02 waits for a leap year)."""
    day, month, shown = int(m["d"]), int(m["m"]), m.group(0).strip()
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        raise DeadlineError(
            "no_such_day", f"Thời hạn “{shown}” không có trên lịch (ngày {day}, tháng {month})."
        )
    for year in range(today.year, today.year + 9):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return _make_date(day, month, year, shown)
    raise DeadlineError("no_such_day", f"Thời hạn “{shown}” không có trên lịch (ngày {day}, tháng {month}).")


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _weekday(m: re.Match[str], today: date, _cal: WorkCalendar) -> date:
    target = 6 if m["sun"] else _WEEKDAYS[m["wd"]]
    if m["week"] is None:  # "thứ sáu": the next one, today included
        return today + timedelta(days=(target - today.weekday()) % 7)
    offset = 7 if re.fullmatch(_NEXT, m["week"]) else 0
    return _monday(today) + timedelta(days=offset + target)


def _last_working(first: date, last: date, cal: WorkCalendar) -> date:
    """The last working day in [first, last]; `last` itself if none is (a week of holidays)."""
    day = last
    while day >= first:
        if cal.is_working_day(day):
            return day
        day -= timedelta(days=1)
    return last


def _week_end(monday: date, cal: WorkCalendar) -> date:
    return _last_working(monday, monday + timedelta(days=6), cal)


def _month_end(year: int, month: int, cal: WorkCalendar) -> date:
    days = _calendar.monthrange(year, month)[1]
    return _last_working(date(year, month, 1), date(year, month, days), cal)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, _calendar.monthrange(year, month + 1)[1]))


def _end_of(m: re.Match[str], today: date, cal: WorkCalendar) -> date:
    unit, which = m["unit"], m["which"]
    following = which is not None and re.fullmatch(_NEXT, which) is not None
    explicit_this = which is not None and not following
    if unit == "tuan":
        monday = _monday(today) + timedelta(days=7 if following else 0)
        end = _week_end(monday, cal)
        if end < today and not explicit_this:
            end = _week_end(monday + timedelta(days=7), cal)
        return end
    if unit == "thang":
        first = _add_months(today.replace(day=1), 1 if following else 0)
        end = _month_end(first.year, first.month, cal)
        if end < today and not explicit_this:
            first = _add_months(first, 1)
            end = _month_end(first.year, first.month, cal)
        return end
    year = today.year + (1 if following else 0)
    end = _last_working(date(year, 1, 1), date(year, 12, 31), cal)
    if end < today and not explicit_this:
        end = _last_working(date(year + 1, 1, 1), date(year + 1, 12, 31), cal)
    return end


def _span(m: re.Match[str], today: date, cal: WorkCalendar) -> date:
    n = int(m["n"])
    if n > 3660:
        raise DeadlineError(
            "implausible", f"Thời hạn “{m.group(0).strip()}” quá xa; hãy ghi một ngày cụ thể."
        )
    unit = m["unit"]
    if m["work"]:
        return cal.add_working_days(today, n) if unit == "ngay" else cal.add_working_days(today, 5 * n)
    if unit == "ngay":
        return today + timedelta(days=n)
    if unit == "tuan":
        return today + timedelta(days=7 * n)
    return _add_months(today, n)


def _relative_day(m: re.Match[str], today: date, _cal: WorkCalendar) -> date:
    word = re.sub(r"\s+", " ", m["rel"])
    return today + timedelta(days={"hom nay": 0, "ngay mai": 1, "mai": 1}.get(word, 2))


_SEP = r"\s*[/.\-]\s*"
_NUM_END = r"(?![0-9]|[/.\-][0-9])"
_RULES: tuple[_Rule, ...] = (
    _Rule(rf"{_B}(?P<d>\d{{1,2}}){_SEP}(?P<m>\d{{1,2}}){_SEP}(?P<y>\d{{4}}){_NUM_END}", _dmy),
    _Rule(rf"{_B}(?P<y>\d{{4}})-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}}){_NUM_END}", _ymd),
    _Rule(rf"{_B}ngay\s+(?P<d>\d{{1,2}})\s+thang\s+(?P<m>\d{{1,2}})\s+nam\s+(?P<y>\d{{4}}){_E}", _dmy),
    _Rule(rf"{_B}ngay\s+(?P<d>\d{{1,2}})\s+thang\s+(?P<m>\d{{1,2}}){_E}", _dm),
    _Rule(rf"{_B}(?P<d>\d{{1,2}})\s*[/\-]\s*(?P<m>\d{{1,2}}){_NUM_END}", _dm),
    _Rule(
        rf"{_B}(?:thu\s*(?P<wd>hai|ba|tu|nam|sau|bay|[2-7])|(?P<sun>chu\s+nhat|cn)){_E}"
        rf"(?:\s*,?\s*tuan\s+(?P<week>{_NEXT}|{_THIS}){_E})?",
        _weekday,
    ),
    _Rule(rf"{_B}cuoi\s+(?P<unit>tuan|thang|nam)(?:\s+(?P<which>{_NEXT}|{_THIS}))?{_E}", _end_of),
    _Rule(
        rf"{_B}(?:(?:trong(?:\s+vong)?|sau)\s+)?(?P<n>\d{{1,4}})\s+(?P<unit>ngay|tuan|thang)"
        rf"(?P<work>\s+lam\s+viec)?(?:\s+(?:nua|toi))?{_E}",
        _span,
    ),
    _Rule(rf"{_B}(?P<rel>hom\s+nay|ngay\s+mai|ngay\s+kia|ngay\s+mot){_E}", _relative_day),
)
_PREFIX_RE = re.compile(rf"^(?:{_PREFIX})\s+")
_NGAY_RE = re.compile(r"^ngay\s+")
_COMPILED = tuple((re.compile(rule.pattern), rule) for rule in _RULES)
# A bare weekday in free text ("lần thứ năm") is a deadline only after a prefix; so is one without "tuần".
_FIND_RE = re.compile(
    rf"{_B}(?P<prefix>{_PREFIX}(?:\s+ngay)?\s+|ngay\s+)?(?P<body>"
    + "|".join("(?:" + re.sub(r"\(\?P<\w+>", "(?:", rule.pattern) + ")" for rule in _RULES)
    + ")"
)


def _check(value: date, today: date, shown: str) -> date:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise DeadlineError(
            "implausible", f"Thời hạn “{shown}” rơi vào năm {value.year}, ngoài khoảng {MIN_YEAR}–{MAX_YEAR}.",
            value,
        )  # fmt: skip
    if value < today:
        raise DeadlineError(
            "past",
            f"Thời hạn {format_date(value)} (“{shown}”) đã qua: hôm nay là {format_date(today)}. Hãy chọn "
            "hôm nay hoặc một ngày sau đó.",
            value,
        )
    return value


def _resolve(body: str, today: date, cal: WorkCalendar, shown: str) -> date | None:
    """The date named by `body` (folded, no prefix) when one rule matches all of it; None otherwise."""
    for pattern, rule in _COMPILED:
        m = pattern.fullmatch(body)
        if m is not None:
            return _check(rule.resolve(m, today, cal), today, shown)
    return None


def parse(text: str, today: date, calendar: WorkCalendar | None = None) -> date:
    """The deadline `text` names, seen from `today` (the office's date), as a `date` ≥ `today`.

    `calendar`: the working days ("cuối tháng" is the month's last working day); default: the shipped one.
    Raises `DeadlineError` (Vietnamese reason, `kind` as documented there) for empty or unreadable text, a
    day not on the calendar, a year outside 2000–2100, or a date before `today`.
    """
    cal = calendar or default_calendar()
    shown = " ".join(clean(text or "").split())
    if not shown:
        raise DeadlineError("empty", f"Chưa ghi thời hạn; ví dụ {EXAMPLES}.")
    folded = _fold_aligned(shown).strip(" .,;!")
    after_prefix = _PREFIX_RE.sub("", folded, count=1)
    body = _NGAY_RE.sub("", after_prefix, count=1)
    for candidate in dict.fromkeys((folded, after_prefix, body, "ngay mai" if body == "mai" else body)):
        found = _resolve(candidate, today, cal, shown)
        if found is not None:
            return found
    raise DeadlineError("unreadable", f"Không đọc được thời hạn “{shown}”; hãy ghi ví dụ {EXAMPLES}.")


def find_deadline(text: str, today: date, calendar: WorkCalendar | None = None) -> FoundDeadline | None:
    """The deadline phrase inside free text, or None when there is none.

    "giao anh Minh báo cáo tình hình triển khai KL 221 trước 15/12" → phrase "trước 15/12", remainder
    "giao anh Minh báo cáo tình hình triển khai KL 221", deadline 15/12 (next occurrence). When several
    phrases appear the last one wins (a deadline usually closes the sentence); a weekday alone counts only
    after "trước"/"hạn"/"đến"… or with "tuần này/sau". A phrase that names an unusable date (past, 31/02)
    is returned with `error` set, so the caller can say why.
    """
    cal = calendar or default_calendar()
    shown = clean(text or "")
    folded = _fold_aligned(shown)
    best: re.Match[str] | None = None
    for m in _FIND_RE.finditer(folded):
        body = m["body"]
        bare_weekday = re.fullmatch(r"(?:thu\s*\S+|chu\s+nhat|cn)", body) is not None
        if bare_weekday and not (m["prefix"] or "").strip().startswith(
            ("truoc", "han", "thoi", "den", "cham")
        ):
            continue
        if body.strip() == "cn" and not m["prefix"]:
            continue
        best = m
    if best is None:
        return None
    phrase = shown[best.start() : best.end()].strip()
    remainder = (shown[: best.start()] + " " + shown[best.end() :]).strip()
    remainder = re.sub(r"\s+([,.;:])", r"\1", " ".join(remainder.split()))
    remainder = re.sub(r"[,;:]+(?=[.!?]|$)", "", remainder).strip(" ,;:-–.")
    try:
        deadline = parse(phrase, today, cal)
    except DeadlineError as exc:
        return FoundDeadline(phrase, remainder, None, exc)
    return FoundDeadline(phrase, remainder, deadline, None)
