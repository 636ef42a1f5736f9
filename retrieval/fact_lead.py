"""The short sentence an answer opens with: the asked fact itself, taken from the quoted sentence.

"Đến 2030 trẻ em phải cao thêm mấy phân?" is answered by a long cited sentence ("Đến năm 2030, tăng chiều cao
trung bình của trẻ em … thêm tối thiểu 1,5 cm; tuổi thọ trung bình đạt 75,5 tuổi …"); the official should read
the fact first: "Trả lời ngắn: tối thiểu 1,5 cm." The fact is copied, never rephrased: an amount with its
qualifier and unit, a date, or a person's name — the one whose surrounding words best match the question. When
the sentence holds no such value, or the question asks for none, there is no opening sentence (None).
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from retrieval.evidence import STOPWORDS, WORD_RE
from retrieval.judge import asked_type, asked_unit, completed_own_part
from retrieval.lexicon import default_lexicon
from retrieval.places import province_names
from retrieval.textnorm import DOC_NUMBER_RE, fold

# an amount: optional qualifier, the number (1,5 / 5.448 / 150 - 170), its unit (the words a number is counted in)
_AMOUNT = re.compile(
    r"(?:(?:tối thiểu|tối đa|ít nhất|khoảng|trên|dưới|đạt|gần|hơn|không quá|không dưới|từ)\s+)?"
    r"(?<![\w/.,-])\d+(?:[.,]\d+)*(?:\s*(?:[-–]|đến|tới)\s*\d+(?:[.,]\d+)*)?"  # "150 - 170", "3 đến 5"
    r"(?:\s*(?:%|‰)(?:\s+GDP)?|\s+(?:nghìn tỷ|triệu tỷ|tỷ|triệu|nghìn|ngàn)?\s*(?:đồng|USD|usd)|"
    r"\s+(?:lần|năm|tháng|ngày|tuổi|cm|km|ha|GW|MW|triệu tấn|tấn|người|trường hợp|cán bộ|doanh nghiệp|"
    r"bác sĩ|giường bệnh|học sinh|sinh viên|nhiệm vụ|chương trình|dự án|xã|phường|tỉnh|hộ|lao động|"
    r"nghìn|triệu|tỷ)(?:\s+(?:dầu quy đổi|GDP|đồng|người|lao động|doanh nghiệp))?)?"
    r"(?:\s*/\s*(?:năm|tháng|ngày|người|giờ)(?!\w)(?!\s*\d))?"  # a rate: "2%/năm", "5 triệu đồng/người"
)
_DATE = re.compile(
    r"(?:[Nn]gày\s+)?\d{1,2}/\d{1,2}/\d{4}|[Nn]gày\s+\d{1,2}\s+tháng\s+\d{1,2}(?:\s+năm\s+\d{4})?|"
    r"(?:[Nn]gày|[Ss]áng|[Cc]hiều|[Tt]rưa|[Tt]ối|[Đđ]êm)\s+(?:ngày\s+)?\d{1,2}/\d{1,2}(?![/\d])|"  # "Ngày 5/1", "Sáng 19/3"
    r"(?:trong\s+)?(?:tháng\s+\d{1,2}(?:/|\s+năm\s+)\d{4}|quý\s+[IV]+(?:/|\s+năm\s+)\d{4})|"
    r"(?:trước|từ|đến|trong)?\s*năm\s+\d{4}"
)
_UPPER = "A-ZĐÀÁẢÃẠÂẦẤẨẪẬĂẰẮẲẴẶÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
# a person's name: two to four capitalised words ("Mai Xuân Bình", "Trần Duy Đông")
_NAME = re.compile(rf"(?<!\w)[{_UPPER}]\w+(?:\s+[{_UPPER}]\w+){{1,3}}")
_NOT_PEOPLE = ("Sở", "Bộ", "Ban", "Ủy", "Uỷ", "Văn", "Nghị", "Kết", "Thông", "Chỉ", "Quyết", "Công", "Trung", "Đảng",
               "Quốc", "Chính", "Hội", "Tỉnh", "Thành", "Theo", "Sáng", "Chiều", "Ngày", "Đồng", "Phó", "Giám", "Chủ",
               "Bí", "Trưởng", "Thủ", "Viện", "Tòa", "Toà", "Mặt", "Nhà", "Hà", "Việt", "Phú", "Thanh", "Giao",
               "Đề", "Yêu", "Tham", "Tiếp", "Khẩn", "Tổ", "Phối")  # fmt: skip
# words of a body's name, never of a person's ("Giao Đảng uỷ Chính phủ" names no one)
# (not "Văn", "Quốc", "Trung", "Chính": Nguyễn Văn …, Hồ Quốc Dũng, Phạm Minh Chính)
_BODY_WORDS = {"Đảng", "Bộ", "Ban", "Ủy", "Uỷ", "Sở", "Hội", "Nghị", "Tỉnh", "Cục"}


@lru_cache(maxsize=1)
def _surnames() -> frozenset[str]:
    """Vietnamese family names (package data `retrieval/data/surnames.txt`, reviewed by hand): a person's name
    opens with one ("Quỹ Bảo hiểm" and "Giao Đảng uỷ" name no one)."""
    text = resources.files("retrieval.data").joinpath("surnames.txt").read_text(encoding="utf-8")
    return frozenset(ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#"))


def person_names(text: str) -> list[re.Match[str]]:
    """The people's names in `text` ("Lê Quang Hùng", "Đầu Thanh Tùng"): capitalised runs that open with a
    family name, with no office, body or place word first and no word of a body's name; a province's name
    ("Hà Nội", "Thái Bình") is no one's."""
    found = []
    for m in _NAME.finditer(text):
        words = m.group(0).split()
        if words[0] in _NOT_PEOPLE or _BODY_WORDS & set(words):
            continue
        if words[0] not in _surnames() or fold(m.group(0)) in _province_folds():
            continue
        found.append(m)
    return found


@lru_cache(maxsize=1)
def _province_folds() -> frozenset[str]:
    return frozenset(fold(name) for name in province_names())


# how a question names the unit it wants (folded) → how a sentence writes it
_ASKED_UNITS = (
    ("phan|cm|centimet", "cm"),
    ("tuoi", "tuổi"),
    ("phan tram|%|ty le|ti le", "%"),
    ("dong|tien|ty dong|trieu dong", "đồng"),
    ("ha|hecta", "ha"),
    ("km|cay so", "km"),
    ("nguoi|truong hop|ca nhan", "người"),
    ("nguoi|truong hop|ca nhan", "trường hợp"),
    ("lan", "lần"),
    ("doanh nghiep", "doanh nghiệp"),
)
_COUNTED = re.compile(r"\b(?:bao nhieu|may)\s+(\w+ \w+)")
_DAY = re.compile(r"\d{1,2}/\d{1,2}|[Nn]gày\s+\d")  # a date down to the day
FACT_LEAD = "Trả lời ngắn:"  # how the opening sentence starts (the bot and the docs show it as is)
_YEAR = re.compile(r"(?<![\d/.,])(?:19|20)\d{2}(?!\d|[/.,]\d)")
WINDOW = 8  # words before a value that say what it is
AFTER = 4  # words after it ("2 triệu doanh nghiệp hoạt động")


_PLAIN_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_YEAR_SPAN = re.compile(r"(?:19|20)\d{2}(?:\s*[-–]\s*(?:19|20)\d{2})?")  # "2021-2030", a bare "2050"


def _words(text: str) -> set[str]:
    return {w for w in WORD_RE.findall(fold(text)) if w not in STOPWORDS}


# words after a value that say whom or what it is for belong to it, not to the next value
_BELONGS_BEFORE = re.compile(r"\s*(cho|đối với|của)\s", re.IGNORECASE)


def _closest(question: str, sentence: str, spans: list[re.Match[str]]) -> re.Match[str] | None:
    """The value whose surrounding words (mostly those before it) share most with the question; None when two
    values tie or none shares a word while several compete: a wrong short answer is worse than none, and the
    quote below it still holds every value."""
    # a follow-up completed with its earlier question ("còn nhân viên thì nhiêu? (phụ cấp … giáo viên …)") asks
    # of its own words: the earlier question's would pick the earlier answer again
    own = completed_own_part(question)
    asked = (_words(own) if own is not None else set()) or _words(question)
    scored: list[tuple[float, re.Match[str]]] = []
    ordered = sorted(spans, key=lambda m: m.start())
    for i, m in enumerate(ordered):
        # the words that describe this value: not those of the value before it, nor of another clause
        start = max(ordered[i - 1].end() if i else 0, sentence.rfind(";", 0, m.start()) + 1)
        end = ordered[i + 1].start() if i + 1 < len(ordered) else len(sentence)
        if ";" in sentence[m.end() : end]:
            end = sentence.index(";", m.end())
        if i and _BELONGS_BEFORE.match(sentence[start : m.start()]):
            start = m.start()  # "70% cho giáo viên, 30% cho nhân viên": "cho nhân viên" is the 30%'s
        before = " ".join(sentence[start : m.start()].split()[-WINDOW:])
        after = " ".join(sentence[m.end() : end].split()[:AFTER])
        scored.append((len(asked & _words(before)) + 0.5 * len(asked & _words(after)), m))
    if not scored:
        return None
    scored.sort(key=lambda x: -x[0])
    if len(scored) > 1 and (scored[0][0] == scored[1][0] or scored[0][0] == 0):
        return None
    return scored[0][1]


# "NQ 57 có mấy quan điểm chỉ đạo?", "gồm bao nhiêu nhiệm vụ, giải pháp": the counted noun, up to the words
# that end it ("là", "gì", "nào", "được", "?")
_COUNT_ASKED = re.compile(
    r"\b(?:mấy|bao nhiêu)\s+(?P<noun>[^\W\d]+(?:,?\s+(?!(?:là|gì|nào|được|cần|trong|theo|của|do|và|để|đã|sẽ|"
    r"phải|hiện|thì|vậy|thế|nêu|kể|liệt|gồm|có|cho|tại|ở|với|trên|nhé|ạ|không|bạn|ra|đến|tới|từ|về)\b)"
    r"[^\W\d]+){0,5})",
    re.IGNORECASE,
)


def count_lead(question: str, count: int) -> str | None:
    """The short answer to "có mấy X?" over a list of `count` items: "Trả lời ngắn: 8 nhiệm vụ, giải pháp." —
    the noun copied from the question; None when the question counts nothing or types it without diacritics
    (the answer would read "8 nhiem vu")."""
    m = _COUNT_ASKED.search(question)
    if m is None or count < 1:
        return None
    # "mấy nhiệm vụ trọng tâm năm 2026": the year's "năm" (its number is not matched) ends the noun
    noun = re.sub(r"\s+(?:năm|tháng|ngày)$", "", m.group("noun").strip(" ,"), flags=re.IGNORECASE)
    if fold(noun) == noun.lower() or fold(noun).split()[0] in _NOT_COUNTED:
        return None
    if noun.count(",") > 1 or _ANOTHER_NOUN.match(question[m.end() :]):
        return None  # "mấy quyết định, kế hoạch, công văn?" asks three counts, not one
    return f"{FACT_LEAD} {count} {noun}."


# ", công văn" after the counted noun: another thing counted (", là những gì" is not)
_ANOTHER_NOUN = re.compile(r"\s*,\s*(?!(?:là|gồm|và|thì|cụ thể|đó|kể|nêu)\b)[^\W\d]", re.IGNORECASE)

# "mấy phần trăm", "bao nhiêu tiền": an amount, never a count of list items
_NOT_COUNTED = {"phan", "tien", "ngay", "thang", "nam", "tuoi", "lan", "ty", "trieu", "nghin"}


def short_fact(question: str, sentence: str) -> str | None:
    """The asked fact copied from `sentence` ("tối thiểu 1,5 cm", "ngày 15/10/2025", "Mai Xuân Bình"), or None
    when the question asks for no date, amount or person, or the sentence holds none."""
    kind, unit = asked_type(question), asked_unit(question)
    text = DOC_NUMBER_RE.sub(lambda m: " " * len(m.group(0)), sentence)  # "66-NQ/TW" is no amount
    if re.search(r"\bthu (may|bao nhieu)\b", fold(question)):
        # "lần thứ mấy?": the ordinal itself ("Phiên họp lần thứ 21"), not the first number of the sentence
        which = re.search(
            r"\b(?:phiên họp |kỳ họp |hội nghị )?(?:lần |khóa |khoá |đợt )?thứ \w+", sentence, re.IGNORECASE
        )
        return which.group(0) if which else None
    if kind == "date":
        spans = [m for m in _DATE.finditer(text) if m.group(0).strip()]
    elif kind == "number" or unit:
        dates = [(m.start(), m.end()) for m in _DATE.finditer(text)]
        spans = [
            m
            for m in _AMOUNT.finditer(text)
            if not any(s <= m.start() < e for s, e in dates) and not re.fullmatch(r"\d{1,2}", m.group(0))
        ]
        if unit == "percent":
            spans = [m for m in spans if "%" in m.group(0)] or spans
        wanted = [u for q, u in _ASKED_UNITS if re.search(rf"\b{q}\b", fold(question))]
        if wanted:  # "mấy phân" is answered in cm, "bao nhiêu tuổi" in tuổi
            spans = [m for m in spans if any(u in m.group(0) for u in wanted)] or spans
        counted = _COUNTED.search(fold(question))
        if counted:  # "bao nhiêu cán bộ", "mấy nhiệm vụ": the value counted in those words
            spans = [m for m in spans if counted.group(1) in fold(m.group(0))] or spans
    elif kind == "person":
        spans = person_names(text)
    else:
        return None
    years = set(_YEAR.findall(DOC_NUMBER_RE.sub(" ", question)))
    if years and spans:
        # "đến năm 2030 … bao nhiêu?" over "Đến năm 2026 … trên 95%, đến năm 2030 … toàn dân": a value counts
        # only under the asked year (the last year written before it), or where no year precedes it at all
        def under(m: re.Match[str]) -> str | None:
            before = _YEAR.findall(text[: m.start()])
            return before[-1] if before else None

        spans = [
            m
            for m in spans
            if under(m) in years
            or (under(m) is None and not _YEAR.search(text))
            or (kind == "date" and under(m) is None and _DAY.search(m.group(0)))  # "Ngày 5/1, … năm 2025"
        ]
        if kind == "date":  # the asked year itself is no answer to "khi nào" beside it
            spans = [
                m for m in spans if not _YEAR.fullmatch(m.group(0).split()[-1]) or m.group(0) not in years
            ]
    if kind == "number" or unit:
        # "vào nhóm 100 thế giới có mấy trường?": a number the question states is not what it asks; a span of
        # years ("giai đoạn 2021-2030") is no amount
        stated = set(_PLAIN_NUMBER.findall(DOC_NUMBER_RE.sub(" ", question)))
        spans = [
            m
            for m in spans
            if not set(_PLAIN_NUMBER.findall(m.group(0))) <= stated
            and not _YEAR_SPAN.fullmatch(m.group(0).strip())
        ]
    asks_year = re.search(r"\bnam (nao|may|bao nhieu)\b", fold(question))
    if kind == "date" and not asks_year and any(_DAY.search(m.group(0)) for m in spans):
        spans = [
            m for m in spans if _DAY.search(m.group(0))
        ]  # "ngày nào?": the day, not the bare year beside it
    found = _closest(question, text, spans)
    if found is None:
        return None
    return " ".join(sentence[found.start() : found.end()].split()).strip(" ,;:")


# What a question counts: the words right after "bao nhiêu / mấy [%]" ("bao nhiêu điều dưỡng").
_COUNTED_AFTER = re.compile(r"\b(?:bao nhieu|may)\b(?:\s*(?:%|phan tram))?\s+")
# words that end what is counted or join it to the rest of the sentence, never part of it
_JOINING_WORDS = frozenset(
    [
        "phai",
        "dat",
        "theo",
        "vay",
        "cho",
        "la",
        "co",
        "duoc",
        "ve",
        "cua",
        "trong",
        "va",
        "thi",
        "nam",
        "den",
        "toi",
        "o",
        "tai",
        "se",
        "hien",
        "nay",
        "da",
        "hong",
        "khong",
        "ha",
        "nhe",
        "a",
        "moi",
        "hang",
        "nhung",
        "cac",
        "so",
    ]
)


_PEOPLE_COUNTED = frozenset({"nguoi", "truong", "ca", "luot"})  # "người" is counted as "trường hợp", "lượt"


def counts_another_noun(question: str, sentence: str, fact: str) -> bool:
    """True when `fact` counts a thing the question does not ask about, and the sentence never names the asked
    one: "bao nhiêu điều dưỡng?" over "… ít nhất 1.000 bác sĩ …". The fact's words after its number must be a
    noun of two or more syllables ("bác sĩ", not a unit like "tuổi", "tỷ đồng"), sharing no word with the
    asked words (nor with their lexicon rewrite: "công ty" asks for "doanh nghiệp"), and the asked pair of
    words ("điều dưỡng") must be absent from the sentence."""
    tail = [w for w in WORD_RE.findall(fold(re.split(r"\d", fact)[-1])) if w.isalpha()]
    if len(tail) < 2:
        return False
    asked: set[str] = set()
    pair = ""
    for text in (question, default_lexicon().rewrite(question)):
        folded = fold(text)
        m = _COUNTED_AFTER.search(folded)
        if m is None:
            return False
        words = WORD_RE.findall(folded[m.end() :])[:3]
        if (
            len(words) < 2
            or words[0] in _JOINING_WORDS | _PEOPLE_COUNTED
            or words[1] in _JOINING_WORDS
            or len(_COUNTED_AFTER.findall(folded)) > 1  # "cho bao nhiêu người, hết bao nhiêu tiền"
        ):
            return False
        pair = pair or " ".join(words[:2])
        asked |= set(words)
    return not set(tail) & asked and pair not in " ".join(WORD_RE.findall(fold(sentence)))
