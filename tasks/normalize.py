"""Vietnamese-aware parsing of what people type into spreadsheets and chats.

Offices type the same thing many ways: "Sở Nội vụ" / "SỞ NỘI VỤ" / "So Noi vu", "0912 345 678" /
"+84 912.345.678", "5/1/2027" / "2027-01-05" / an Excel date cell. Every comparison in the task domain goes
through these helpers so that matching rules are identical in import, linking, reports and the bot.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cache, lru_cache
from typing import Any

from vntext import clean
from vntext.display import format_date

_SPACES = re.compile(r"\s+")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def nfc(text: str) -> str:
    """NFC-normalise and trim: text pasted from Word/PDF often carries decomposed diacritics, zero-width
    characters, non-breaking spaces and look-alike letters (see `vntext.clean`)."""
    return clean(text).strip()


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Loose form for matching: NFC, case-folded, diacritics removed (đ→d), whitespace collapsed.

    "Sở Văn hóa, Thể thao" and "SO VAN HOA, THE THAO" fold to the same string, and so do the old and
    new tone placements ("hoá" / "hóa"), which differ byte-wise but mean the same word.
    """
    text = clean(text).casefold().replace("đ", "d")
    stripped = "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", unicodedata.normalize("NFC", stripped)).strip()


@lru_cache(maxsize=8192)
def fold_key(text: str) -> str:
    """`fold` with punctuation dropped too: for headers and labels ("Tiến độ (%)" ≈ "tien do")."""
    return _NON_ALNUM.sub(" ", fold(text)).strip()


# --- phone numbers ---------------------------------------------------------------------------------


def normalize_phone(raw: str | int | float) -> str:
    """Canonical Vietnamese phone number "0xxxxxxxxx" from "+84 912.345.678", "84912345678", 912345678...

    An Excel cell holding a phone number as a number loses its leading zero, so 9–10 bare digits get it
    back. Mobile numbers have 10 digits, landlines 11 (0 + area code + 8 digits). Raises ValueError with a
    Vietnamese message for anything else.
    """
    if isinstance(raw, float):
        if not raw.is_integer():
            raise ValueError(f"Số điện thoại không hợp lệ: “{raw}”.")
        raw = int(raw)
    text = nfc(str(raw))
    if not text:
        raise ValueError("Số điện thoại đang để trống.")
    if re.search(r"[^0-9+\s.\-()/]", text) or "+" in text[1:] or text.count("+") > 1:
        raise ValueError(f"Số điện thoại không hợp lệ: “{text}” (chỉ được gồm chữ số, dấu cách, chấm, gạch).")
    digits = re.sub(r"\D", "", text)
    if text.startswith("+"):
        if not digits.startswith("84"):
            raise ValueError(f"Số điện thoại “{text}” không phải số Việt Nam (+84).")
        national = digits[2:]
        digits = national if national.startswith("0") else "0" + national  # "+84 (0) 912..." too
    elif digits.startswith("0084"):
        digits = "0" + digits[4:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    elif not digits.startswith("0") and len(digits) in (9, 10):
        digits = "0" + digits
    if not digits.startswith("0") or len(digits) not in (10, 11) or digits.startswith("00"):
        raise ValueError(
            f"Số điện thoại không hợp lệ: “{text}” (cần 10 chữ số với di động, ví dụ 0912 345 678)."
        )
    return digits


# --- dates -----------------------------------------------------------------------------------------

_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 once Excel's fictitious 29/02/1900 is absorbed
MIN_YEAR, MAX_YEAR = 2000, 2100  # a task date outside these years is a typing or conversion mistake
_MIN_SERIAL = (date(MIN_YEAR, 1, 1) - _EXCEL_EPOCH).days  # 36526
_MAX_SERIAL = (date(MAX_YEAR, 12, 31) - _EXCEL_EPOCH).days  # 73415
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_BARE_YEAR = re.compile(r"^\d{4}$")
_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")
_DATE_HINT = "hãy ghi theo dạng dd/mm/yyyy, ví dụ 31/12/2026"


def _plausible(value: date, shown: str) -> date:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(
            f"Đọc được ngày “{shown}”: năm {value.year} nằm ngoài khoảng {MIN_YEAR}–{MAX_YEAR} (nếu ô chứa "
            f"một số năm hay một số bị định dạng thành ngày thì Excel hiện thành ngày sai); {_DATE_HINT}."
        )
    return value


def _from_number(number: float, shown: str) -> date:
    if float(number).is_integer() and MIN_YEAR <= number <= MAX_YEAR + 100:
        raise ValueError(f"Đọc được “{shown}”: đó là một năm, không phải một ngày; {_DATE_HINT}.")
    if not float(number).is_integer() or not _MIN_SERIAL <= number <= _MAX_SERIAL:
        raise ValueError(
            f"Đọc được số “{shown}”: không phải ngày hợp lệ (ngày kiểu Excel phải rơi vào các năm "
            f"{MIN_YEAR}–{MAX_YEAR}); {_DATE_HINT}."
        )
    return _EXCEL_EPOCH + timedelta(days=int(number))


def parse_date(value: Any) -> date:
    """A calendar date from a spreadsheet cell or typed text, between the years 2000 and 2100.

    Accepts date/datetime objects (Excel date cells), Excel serial numbers (36526–73415), "dd/mm/yyyy",
    "d/m/yyyy" (also with "-" or "."), and ISO "yyyy-mm-dd". Day-first is the Vietnamese convention, so
    "05/01/2027" is 5 January. A bare year (2026: an office's way of writing "this year"), a number outside
    the serial range (45, 2958465) and a year before 2000 or after 2100 (01/01/0001, 31/12/9999, or 2026
    shown as a date: 18/07/1905) are refused. Raises ValueError with a Vietnamese message that shows what
    was read.
    """
    if isinstance(value, datetime):
        return _plausible(value.date(), format_date(value.date()))
    if isinstance(value, date):
        return _plausible(value, format_date(value))
    if isinstance(value, bool):
        raise ValueError(f"Ngày không hợp lệ: “{value}”; {_DATE_HINT}.")
    if isinstance(value, int | float):
        if value != value:  # NaN
            raise ValueError(f"Ngày không hợp lệ: “{value}”; {_DATE_HINT}.")
        return _from_number(value, f"{value:g}" if isinstance(value, float) else str(value))
    if not isinstance(value, str):
        raise ValueError(f"Ngày không hợp lệ: “{value}”; {_DATE_HINT}.")
    text = nfc(value)
    if not text:
        raise ValueError(f"Ngày đang để trống; {_DATE_HINT}.")
    if _BARE_YEAR.match(text):
        raise ValueError(f"Đọc được “{text}”: đó là một năm, không phải một ngày; {_DATE_HINT}.")
    if m := _DMY.match(text):
        day, month, year = (int(g) for g in m.groups())
    elif m := _YMD.match(text):
        year, month, day = (int(g) for g in m.groups())
    elif _NUMBER.match(text):
        return _from_number(float(text.replace(",", ".")), text)
    else:
        raise ValueError(f"Ngày không hợp lệ: “{text}”; {_DATE_HINT}.")
    try:
        parsed = date(year, month, day)
    except ValueError:
        raise ValueError(
            f"Ngày “{text}” không có trên lịch (ngày {day}, tháng {month}, năm {year})."
        ) from None
    return _plausible(parsed, text)


# --- labelled choices (status, role) ---------------------------------------------------------------


class Labelled(StrEnum):
    """A StrEnum whose members carry a Vietnamese label and accept folded synonyms when parsed."""

    @property
    def label(self) -> str:
        return _LABELS[self]

    @classmethod
    def parse(cls, text: str) -> Labelled:
        """The member named by `text`: label, synonym or value, ignoring case, diacritics, punctuation."""
        member = _names_of(cls).get(fold_key(str(text).replace("_", " ")))
        if member is not None:
            return member
        allowed = ", ".join(f"“{m.label}”" for m in cls)
        kind = _KIND_NAMES.get(cls.__name__, "Giá trị")
        raise ValueError(f"{kind} “{nfc(str(text))}” không hợp lệ; chọn một trong: {allowed}.")


@cache
def _names_of(cls: type[Labelled]) -> dict[str, Labelled]:
    """Every accepted spelling (folded) of every member of `cls`, computed once per enum."""
    names: dict[str, Labelled] = {}
    for member in cls:
        for name in (member.value.replace("_", " "), member.label, *_SYNONYMS.get(member, ())):
            names.setdefault(fold_key(name), member)
    return names


class Role(Labelled):
    """What an official may see: own tasks (cán bộ), the unit subtree (lãnh đạo), everything (quản trị)."""

    CAN_BO = "can_bo"
    LANH_DAO = "lanh_dao"
    QUAN_TRI = "quan_tri"


class TaskStatus(Labelled):
    """The states of a task; only HOAN_THANH counts as done in reports.

    CHO_DUYET (chờ duyệt): the official handed in the product and the approver has not judged it yet; the task
    is not done, but a task handed in by its deadline is never overdue while it waits (`tasks.models`).
    DA_HUY (đã hủy) is a task withdrawn by its authority (`troly tasks cancel`, or a leader's button): it is
    kept with its history but left out of every count, KPI, overdue list and reminder.
    """

    CHUA_BAT_DAU = "chua_bat_dau"
    DANG_THUC_HIEN = "dang_thuc_hien"
    HOAN_THANH = "hoan_thanh"
    TAM_DUNG = "tam_dung"
    DA_HUY = "da_huy"
    CHO_DUYET = "cho_duyet"


class Via(StrEnum):
    """The channel a change came through; decides which side wins an import conflict."""

    IMPORT = "import"
    BOT = "bot"
    CLI = "cli"


_KIND_NAMES = {"Role": "Vai trò", "TaskStatus": "Trạng thái"}

_LABELS: dict[Labelled, str] = {
    Role.CAN_BO: "cán bộ",
    Role.LANH_DAO: "lãnh đạo",
    Role.QUAN_TRI: "quản trị",
    TaskStatus.CHUA_BAT_DAU: "chưa bắt đầu",
    TaskStatus.DANG_THUC_HIEN: "đang thực hiện",
    TaskStatus.HOAN_THANH: "hoàn thành",
    TaskStatus.TAM_DUNG: "tạm dừng",
    TaskStatus.DA_HUY: "đã hủy",
    TaskStatus.CHO_DUYET: "chờ duyệt",
}

_SYNONYMS: dict[Labelled, tuple[str, ...]] = {
    Role.CAN_BO: ("công chức", "viên chức", "chuyên viên", "cán bộ, công chức"),
    Role.LANH_DAO: ("lãnh đạo đơn vị", "trưởng đơn vị"),
    Role.QUAN_TRI: ("quản trị viên", "admin"),
    TaskStatus.CHUA_BAT_DAU: ("chưa thực hiện", "chưa triển khai", "mới giao"),
    TaskStatus.DANG_THUC_HIEN: ("đang triển khai", "đang làm"),
    TaskStatus.HOAN_THANH: ("đã hoàn thành", "xong", "đã xong"),
    TaskStatus.TAM_DUNG: ("tạm ngừng", "tạm hoãn"),
    TaskStatus.DA_HUY: ("hủy", "đã hủy bỏ", "hủy bỏ", "bãi bỏ"),
    TaskStatus.CHO_DUYET: ("chờ phê duyệt", "đã nộp", "đã nộp sản phẩm", "chờ đánh giá", "chờ nghiệm thu"),
}

# Statuses after which nothing more is expected of a task: no reminder, no progress, never overdue.
CLOSED_STATUSES = (TaskStatus.HOAN_THANH, TaskStatus.DA_HUY)


def parse_status(text: str) -> TaskStatus:
    """`TaskStatus` from a spreadsheet cell or typed text ("hoan thanh" = "Hoàn thành" = "hoan_thanh")."""
    return TaskStatus.parse(text)  # type: ignore[return-value]


def parse_role(text: str) -> Role:
    """`Role` from a spreadsheet cell ("Lãnh đạo", "lanh dao", "quản trị"...)."""
    return Role.parse(text)  # type: ignore[return-value]


def parse_progress(value: Any) -> int:
    """Progress in percent, 0–100: 50, "50", "50%", 50.0. Raises ValueError in Vietnamese otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"Tiến độ “{value}” không phải là số.")
    if isinstance(value, str):
        text = nfc(value).rstrip("%").strip().replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"Tiến độ “{nfc(value)}” không phải là số (ghi số từ 0 đến 100).") from None
    elif isinstance(value, int | float):
        number = float(value)
    else:
        raise ValueError(f"Tiến độ “{value}” không phải là số (ghi số từ 0 đến 100).")
    if number != number or not number.is_integer():  # NaN or a fraction
        raise ValueError(f"Tiến độ “{value}” phải là số nguyên từ 0 đến 100.")
    if not 0 <= number <= 100:
        raise ValueError(f"Tiến độ {int(number)}% nằm ngoài khoảng 0–100.")
    return int(number)


def cell_text(value: Any) -> str | None:
    """A cell as trimmed NFC text, None when empty. Whole floats lose ".0" (Excel stores 1001 as 1001.0)."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return format_date(value)
    text = nfc(str(value))
    return text or None


_TELEGRAM_USERNAME = re.compile(r"^[A-Za-z0-9_]{4,32}$")


def normalize_username(raw: str) -> str:
    """Telegram username without "@" or "t.me/" prefix; ValueError in Vietnamese if it cannot be one."""
    text = nfc(raw)
    text = re.sub(r"^(https?://)?(t\.me|telegram\.me)/", "", text, flags=re.IGNORECASE).lstrip("@")
    if not _TELEGRAM_USERNAME.match(text):
        raise ValueError(
            f"Tên Telegram “{nfc(raw)}” không hợp lệ (chỉ gồm chữ Latinh, số, dấu _; 5–32 ký tự)."
        )
    return text
