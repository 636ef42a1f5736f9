"""Is a chat message a question about work (tasks, deadlines, progress, KPI) or about documents?

All the rules live here, as small named regular expressions over the folded text (lower case, no
diacritics, "đ" → "d"), so "việc nào sắp đến hạn" and "viec nao sap den han" are the same question.
`classify` is pure (no database): it returns the kind of question, the unit named in it (as typed; the
caller resolves it loosely with `tasks.units.find_unit`), whether the asker speaks about themselves or
their own unit, and the time window. tests/tasks/test_tasks_intents.py holds the table of phrasings.

Order of the rules, and why:
1. A question naming a document ("Nghị quyết 57", "Kết luận 221-KL/TW", "văn bản", "điều 5") goes to
   document search, unless it is clearly about the asker's or a unit's tasks (first person, or a unit):
   "thời hạn theo Nghị định 30 là bao lâu" is a document question even though it says "thời hạn".
2. Then the metric asked for decides: KPI, overdue, due soon, progress/completion.
3. Then "my tasks" (a task word with the first person), and "how many tasks does <unit> have".
4. Anything else is a document question (retrieval is the default: a wrong turn there costs little).

A colleague named in the question ("việc của chị Mai", "anh Phạm Văn Phòng có việc nào quá hạn?") is kept in
`Intent.person_text`: the answer refuses an official who asks about someone else, and lets a leader ask
about the people of their subtree. A person is an honorific (anh, chị, ông, bà, cô, chú, bác, đồng chí)
followed by capitalised words, or — with the roster (`people`) — a full name of it, or an honorific
followed by the end of one of its names ("anh nam" for "Trần Văn Nam").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from tasks.normalize import fold, fold_key, nfc
from tasks.units import abbreviation_matches


class IntentKind(StrEnum):
    MY_TASKS = "my_tasks"  # tasks (of the asker, or of a unit), optionally within a time window
    DUE_SOON = "due_soon"  # open tasks whose deadline is near
    OVERDUE = "overdue"  # open tasks past their deadline (a list, or how many)
    PROGRESS = "progress"  # completion rate / counts of a unit (or of the asker)
    KPI = "kpi"  # the KPI score (tasks.kpi)
    DOCUMENT = "document"  # not about work: send to document search


WORK_KINDS = frozenset(IntentKind) - {IntentKind.DOCUMENT}


def _rx(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")


# --- the rules ----------------------------------------------------------------------------------------------

DOCUMENT_REF = _rx(
    r"nghi quyet", r"ket luan", r"chi thi", r"thong tu", r"nghi dinh", r"quyet dinh", r"cong van",
    r"thong bao so", r"luat", r"hien phap", r"van ban", r"dieu \d+", r"khoan \d+", r"phu luc",
    r"\d+ ?[-/] ?(?:nq|kl|ct|tb|qd|nd|tt|cv|ubnd|bc|kh)\b", r"nq \d+", r"kl \d+", r"resolution", r"decree",
    r"document", r"conclusion",
)  # fmt: skip
KPI = _rx(r"kpi", r"chi so (?:hieu qua|danh gia|hoan thanh)", r"diem (?:hieu qua|danh gia|kpi)", r"xep hang",
          r"performance score")  # fmt: skip
OVERDUE = _rx(r"qua han", r"tre han", r"cham tien do", r"tre tien do", r"tre hen", r"overdue", r"past due",
              r"late tasks?")  # fmt: skip
DUE_SOON = _rx(
    r"sap (?:den|toi|het|dao) han", r"sap han", r"gan (?:den )?han", r"den han", r"toi han", r"het han",
    r"han chot", r"due soon", r"upcoming", r"deadlines?", r"due (?:this|next|today|tomorrow)", r"are due",
    r"is due",
)  # fmt: skip
PROGRESS = _rx(
    r"tien do", r"ty le hoan thanh", r"ti le hoan thanh", r"hoan thanh (?:duoc )?(?:bao nhieu|may|den dau)",
    r"bao nhieu phan tram", r"may phan tram", r"phan tram", r"progress", r"completion", r"how much .* (?:done|complete)",
    r"da xong (?:bao nhieu|may)", r"ket qua thuc hien", r"tinh hinh (?:thuc hien|trien khai)", r"thong ke",
)  # fmt: skip
TASK_WORD = _rx(r"viec", r"nhiem vu", r"cong viec", r"dau viec", r"tasks?", r"to ?do", r"assignments?")
# "toi" is "tôi" (I) but also "tới" (next, to): "7 ngày tới", "sắp tới hạn", "tuần tới" are not first person.
FIRST_PERSON = _rx(
    r"(?:cua|cho|voi|giao) (?:toi|em|minh|tui)", r"(?<!ngay )(?<!tuan )(?<!thang )(?<!sap )(?<!nam )(?<!den )toi(?! han| thieu| uu)",
    r"em (?:co|con|phai|can|duoc)", r"minh (?:co|con|phai|can)", r"tui", r"my (?:tasks?|work|deadlines?|kpi|progress|assignments?)",
    r"do i", r"i have", r"have i", r"am i", r"for me", r"to me", r"mine",
)  # fmt: skip
COUNT = _rx(r"bao nhieu", r"may", r"how many", r"so luong", r"tong so")
OWN_UNIT = _rx(
    r"(?:don vi|phong|so|co quan|ban|xa|uy ban|ubnd) (?:cua )?(?:toi|minh|em|chung toi|chung ta)", r"our unit",
    r"my unit", r"my department",
)  # fmt: skip
ALL_UNITS = _rx(r"toan tinh", r"ca tinh", r"tat ca (?:cac )?don vi", r"toan bo (?:cac )?don vi", r"all units",
                r"ca he thong")  # fmt: skip

# A unit mention starts with one of these words and runs until a word that cannot be part of a name.
UNIT_HEADS = (
    "uy ban nhan dan", "ubnd", "hdnd", "so", "phong", "ban", "xa", "phuong", "thi tran", "huyen", "thi xa",
    "thanh pho", "tp", "tinh", "van phong", "vp", "trung tam", "chi cuc", "tong cuc", "ban quan ly", "bql",
    "cong an", "ttyt",
)  # fmt: skip
# Words that end a unit name when found without the list of units: function and question words, and
# two-word phrases, because place names use almost any syllable ("Hợp Tiến" but "tiến độ", "Thành Công"
# but "công việc"). With the list of units (the bot passes it), names are matched exactly instead.
# fmt: off
UNIT_STOP = frozenset((
    "con", "co", "da", "duoc", "may", "la", "thi", "the", "nao", "gi", "dang", "trong", "tuan", "thang", "nam",
    "hom", "ngay", "toi", "em", "oi", "va", "voi", "cua", "nhe", "a", "ah", "nha", "ha", "vay", "sao", "khong",
    "ko", "chua", "roi", "xong", "lam", "kpi", "cho", "giup", "hay", "xem", "biet", "can", "phai", "nhu", "o",
    "tai", "theo", "ve", "viec", "nhiem", "phan", "lieu", "hieu", "hinh", "hanh", "chong", "ngua", "den",
    "progress", "overdue", "of", "has", "have", "does", "do", "is", "are", "tasks", "task", "how", "what",
    "which", "many", "much", "the", "due", "this", "next", "week", "month", "today",
))
# fmt: on
# fmt: off
UNIT_STOP_PAIRS = frozenset(tuple(pair.split()) for pair in (
    "tien do", "hoan thanh", "qua han", "tre han", "sap den", "sap toi", "sap het", "bao nhieu", "cong viec",
    "ket qua", "so luong", "tong so", "ty le", "ti le", "den han", "thuc hien", "hien nay", "cham tien",
    "trien khai", "dat duoc",
))
# fmt: on
ADMIN_PREFIXES = ("uy ban nhan dan", "ubnd")  # "xã Hợp Tiến" names "UBND xã Hợp Tiến"
MAX_UNIT_WORDS = 7

# Time windows
WINDOWS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("today", _rx(r"hom nay", r"today", r"trong ngay")),
    ("tomorrow", _rx(r"ngay mai", r"tomorrow")),
    ("next_week", _rx(r"tuan (?:sau|toi)", r"next week")),
    ("this_week", _rx(r"tuan nay", r"trong tuan", r"this week")),
    ("next_month", _rx(r"thang (?:sau|toi)", r"next month")),
    ("this_month", _rx(r"thang nay", r"trong thang", r"this month")),
)
NEXT_DAYS = re.compile(r"\b(\d{1,3}) ngay (?:toi|sap toi|nua|sau)\b|\bnext (\d{1,3}) days\b")


@dataclass(frozen=True)
class Window:
    """A period of deadlines: "this_week", "today", … or "days" with `days` (the next N days)."""

    name: str
    days: int = 0

    def bounds(self, today: date) -> tuple[date, date]:
        """First and last day (inclusive); weeks run Monday to Sunday."""
        monday = today - timedelta(days=today.weekday())
        if self.name == "today":
            return today, today
        if self.name == "tomorrow":
            return today + timedelta(1), today + timedelta(1)
        if self.name == "this_week":
            return monday, monday + timedelta(6)
        if self.name == "next_week":
            return monday + timedelta(7), monday + timedelta(13)
        if self.name == "this_month":
            first = today.replace(day=1)
            return first, (first + timedelta(days=32)).replace(day=1) - timedelta(1)
        if self.name == "next_month":
            first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
            return first, (first + timedelta(days=32)).replace(day=1) - timedelta(1)
        return today, today + timedelta(days=max(0, self.days))

    def label(self, today: date) -> str:
        """ "tuần này (16/11–22/11/2026)", "hôm nay (23/11/2026)", "7 ngày tới"."""
        start, end = self.bounds(today)
        names = {
            "today": "hôm nay", "tomorrow": "ngày mai", "this_week": "tuần này", "next_week": "tuần sau",
            "this_month": "tháng này", "next_month": "tháng sau",
        }  # fmt: skip
        name = names.get(self.name, f"{self.days} ngày tới")
        if start == end:
            return f"{name} ({end:%d/%m/%Y})"
        return f"{name} ({start:%d/%m}–{end:%d/%m/%Y})"


DUE_SOON_DEFAULT = Window("days", 7)


@dataclass(frozen=True)
class Intent:
    """What a message asks. `unit_text` is the unit as typed (None if none); `mine`: the asker speaks
    about their own tasks; `own_unit`: about their own unit ("đơn vị tôi"); `all_units`: "toàn tỉnh"."""

    kind: IntentKind
    unit_text: str | None = None
    mine: bool = False
    own_unit: bool = False
    all_units: bool = False
    window: Window | None = None
    person_text: str | None = None  # a colleague named in the question, as typed ("chị Mai")

    @property
    def is_work(self) -> bool:
        return self.kind in WORK_KINDS

    @property
    def about_unit(self) -> bool:
        return bool(self.unit_text or self.own_unit or self.all_units)


_WORD = re.compile(r"[0-9a-z]+")
_WORD_ORIGINAL = re.compile(r"\w+")


def _words(folded: str) -> list[str]:
    return _WORD.findall(folded)


def _stops(words: list[str], j: int) -> bool:
    return words[j] in UNIT_STOP or tuple(words[j : j + 2]) in UNIT_STOP_PAIRS


def _variants(name: str) -> list[tuple[str, ...]]:
    """Folded word sequences that name a unit: its full name, and without "UBND"/"Ủy ban nhân dân"."""
    words = tuple(_words(fold(name)))
    out = [words]
    for prefix in ADMIN_PREFIXES:
        head = tuple(prefix.split())
        if words[: len(head)] == head and len(words) > len(head) + 1:
            out.append(words[len(head) :])
    return out


def match_unit_name(original: str, unit_names: Sequence[str]) -> str | None:
    """The unit of `unit_names` whose name (or name without "UBND") appears in `original` with or without
    diacritics; the longest match wins ("Phòng Công chức - Sở Nội vụ" over "Sở Nội vụ")."""
    words = _words(fold(original))
    text = " " + " ".join(words) + " "
    best: tuple[int, str] | None = None
    for name in unit_names:
        for variant in _variants(name):
            if variant and f" {' '.join(variant)} " in text and (best is None or len(variant) > best[0]):
                best = (len(variant), name)
    return best[1] if best else None


def find_unit_text(original: str) -> str | None:
    """The unit named in `original` ("Sở Nội vụ", "UBND xã Hợp Tiến", "so nv"), as typed, or None.

    A mention is a unit word (Sở, Phòng, UBND, xã…) followed by at least one name word; it stops at the
    first word that cannot belong to a name ("còn", "bao nhiêu", "tiến độ", "tuần"…). "số nhiệm vụ" or "bạn
    có" are not units: the word after "số"/"bạn" is a stop word.
    """
    folded_words = _words(fold(original))
    original_words = _WORD_ORIGINAL.findall(original)
    aligned = len(original_words) == len(folded_words)
    i = 0
    while i < len(folded_words):
        head = _head_at(folded_words, i)
        if head:
            j = i + head
            while j < len(folded_words) and j - i < MAX_UNIT_WORDS and not _stops(folded_words, j):
                j += 1
            if j - i > head:
                source = original_words if aligned else folded_words
                return " ".join(source[i:j])
            i = j
            continue
        i += 1
    return None


def _head_at(words: list[str], i: int) -> int:
    """Number of words of a unit head starting at `words[i]` (0 if none); the longest head wins."""
    best = 0
    for head in UNIT_HEADS:
        parts = head.split()
        if words[i : i + len(parts)] == parts:
            best = max(best, len(parts))
    return best


# Honorifics before a person's name. Typed with diacritics they are unmistakable ("cô" is not "có"); without
# diacritics ("anh", "chi", "ong") they only count before the end of a name of the roster.
HONORIFICS = ("anh", "chị", "ông", "bà", "cô", "chú", "bác", "đồng chí", "đ/c")
# Without diacritics "co", "ba", "chu" are too often "có", "ba" (three), "chữ": only these three count.
_HONORIFIC_FOLDED = ("anh", "chi", "ong")
_PERSON_WORD = re.compile(r"[^\W\d_][\w]*")
MAX_NAME_WORDS = 4


def _after_honorific(original: str) -> str | None:
    """Capitalised words after an honorific typed with its diacritics: "của chị Lê Hồng Mai" → "Lê Hồng Mai"."""
    text = nfc(original)
    lowered = text.lower()
    for honorific in HONORIFICS:
        for m in re.finditer(rf"(?<!\w){re.escape(honorific)}\s+", lowered):
            words: list[str] = []
            pos = m.end()
            for w in _PERSON_WORD.finditer(text, m.end()):
                if (
                    text[pos : w.start()].strip()
                    or not w.group()[0].isupper()
                    or len(words) == MAX_NAME_WORDS
                ):
                    break
                words.append(w.group())
                pos = w.end()
            if words and not _head_at(_words(fold(" ".join(words))), 0):  # "anh Sở …" is not a person
                return " ".join(words)
    return None


def _honorific_ends(original: str) -> tuple[list[str], list[int]]:
    """The folded words of `original` and the positions right after each honorific in it.

    Typed with diacritics, only the real honorifics count ("cô", not "có"; "bà", not "ba"); typed without
    any diacritics, their folded forms do (the roster then decides whether a name follows).
    """
    folded = _words(fold(original))
    words = [w.lower() for w in _WORD_ORIGINAL.findall(nfc(original))]
    plain = fold(original) == nfc(original).lower()
    if len(words) != len(folded):
        words, plain = folded, True
    singles = {"anh", "chị", "ông", "bà", "cô", "chú", "bác"}
    ends = []
    for i, word in enumerate(words):
        if word in singles or (plain and folded[i] in _HONORIFIC_FOLDED):
            ends.append(i + 1)
        elif tuple(folded[i : i + 2]) in (("dong", "chi"), ("d", "c")):
            ends.append(i + 2)
    return folded, ends


def match_person(original: str, people: Sequence[str]) -> str | None:
    """A person of `people` (full names) named in `original`: the full name anywhere (at least two words),
    or an honorific followed by the last one or two words of the name; the longest match wins."""
    folded, ends = _honorific_ends(original)
    text = " " + " ".join(folded) + " "
    best: tuple[int, str] | None = None
    for name in people:
        parts = _words(fold(name))
        found = None
        if len(parts) >= 2 and f" {' '.join(parts)} " in text:
            found = (len(parts) + 10, name)
        else:
            for k in (2, 1):
                tail = parts[-k:] if len(parts) >= k else []
                if tail and any(folded[e : e + k] == tail for e in ends):
                    found = (k, name)
                    break
        if found and (best is None or found[0] > best[0]):
            best = found
    return best[1] if best else None


def find_person_text(original: str, people: Sequence[str] = ()) -> str | None:
    """The colleague named in `original` (a roster name when `people` is given, else as typed), or None."""
    return (match_person(original, people) if people else None) or _after_honorific(original)


# Unit words typed with their diacritics cannot be anything else ("sở" is not "số"): such a mention is kept
# even when no unit has that name, so the answer can say "không tìm thấy đơn vị …" with suggestions.
STRONG_HEADS = ("sở", "phòng", "xã", "phường", "huyện", "tỉnh", "thị trấn", "văn phòng", "trung tâm", "chi cục",
                "ủy ban", "uỷ ban", "ubnd", "hđnd", "ban quản lý")  # fmt: skip


def _strong(mention: str) -> bool:
    lowered = nfc(mention).lower()
    return any(lowered == h or lowered.startswith(h + " ") for h in STRONG_HEADS)


def could_name_a_unit(text: str, unit_names: Sequence[str]) -> bool:
    """Whether a cut-out mention abbreviates ("Sở NV") or is part of ("xã Hợp Tiến") some unit's name."""
    key = fold_key(text)
    return bool(abbreviation_matches(text, unit_names)) or any(key in fold_key(n) for n in unit_names)


def find_window(folded: str) -> Window | None:
    if m := NEXT_DAYS.search(folded):
        return Window("days", int(m.group(1) or m.group(2)))
    for name, pattern in WINDOWS:
        if pattern.search(folded):
            return Window(name)
    return None


def is_first_person(text: str) -> bool:
    """Whether the asker speaks about themselves; typed with diacritics, "tới" is not "tôi"."""
    lowered = re.sub(r"\btới\b", " ", nfc(text).lower())
    return bool(FIRST_PERSON.search(" ".join(_words(fold(lowered)))))


def classify(text: str, unit_names: Sequence[str] = (), people: Sequence[str] = ()) -> Intent:
    """The intent of a chat message (see the module docstring for the order of the rules).

    `unit_names` (all units' names, optional) lets a unit be recognised by its exact name whatever words
    it contains; otherwise, and for abbreviations ("Sở NV"), the mention is cut out by `find_unit_text`.
    `people` (the roster's full names, optional) lets a colleague be recognised without an honorific.
    """
    folded = " ".join(_words(fold(text or "")))
    if not folded:
        return Intent(IntentKind.DOCUMENT)
    own_unit = bool(OWN_UNIT.search(folded))
    all_units = bool(ALL_UNITS.search(folded))
    mine = is_first_person(text) and not own_unit
    unit_text = None
    if not (own_unit or all_units):
        unit_text = match_unit_name(text, unit_names) if unit_names else None
        if unit_text is None:
            unit_text = find_unit_text(text)
            if (
                unit_text
                and unit_names
                and not could_name_a_unit(unit_text, unit_names)
                and not _strong(unit_text)
            ):
                unit_text = None  # "so quoc gia" ("số quốc gia") is a number, not a Sở
    window = find_window(folded)
    person_text = find_person_text(text, people)
    if person_text is not None:
        unit_text = None if unit_text and fold(unit_text) in fold(person_text) else unit_text

    def intent(kind: IntentKind) -> Intent:
        return Intent(kind, unit_text, mine, own_unit, all_units, window, person_text)

    about_someone = mine or unit_text is not None or own_unit or all_units or person_text is not None
    if DOCUMENT_REF.search(folded) and not about_someone:
        return Intent(IntentKind.DOCUMENT)
    if KPI.search(folded):
        return intent(IntentKind.KPI)
    if OVERDUE.search(folded):
        return intent(IntentKind.OVERDUE)
    if DUE_SOON.search(folded):
        return intent(IntentKind.DUE_SOON)
    if PROGRESS.search(folded) and (about_someone or TASK_WORD.search(folded)):
        return intent(IntentKind.PROGRESS)
    if TASK_WORD.search(folded):
        if COUNT.search(folded) and (unit_text or own_unit or all_units):
            return intent(IntentKind.PROGRESS)
        if mine or own_unit or unit_text or window is not None or person_text is not None:
            return intent(IntentKind.MY_TASKS)
    return Intent(IntentKind.DOCUMENT)
