"""Whether the retrieved passages answer the question: a small calibrated model instead of hand thresholds.

A logistic regression over a handful of evidence features (`FEATURES`) gives the probability that the
passages answer the question; the answer is given when it reaches the model's threshold. The coefficients
are trained on the dev split by `troly model train-judge` (`train_judge`) and shipped as
`retrieval/data/judge.json` (plain JSON: names, means, scales, coefficients, intercept, threshold — no pickle).
The threshold is the highest one that refuses at most 3% of the answerable dev questions.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from retrieval.docrefs import find_refs
from retrieval.evidence import STOPWORDS, WORD_RE, CorpusStats, content_terms, weighted_coverage
from retrieval.lexicon import default_lexicon
from retrieval.places import province_names
from retrieval.textnorm import DOC_NUMBER_RE, fold
from retrieval.types import Passage, SearchHit

FEATURES = (
    "dense_top",  # cosine of the best passage (e5; 0.75–0.95 in practice)
    "dense_gap",  # best cosine minus the fifth best: a clear winner is more telling than a flat list
    "coverage",  # rarity-weighted share of the question's topic words in the best of the top 3 passages
    "coverage_top1",  # the same for the first passage only
    "bigram_coverage",  # share of the question's adjacent topic-word pairs found in the best passage
    "missing_rare",  # rarity of the rarest topic word that no top passage contains (0 when none is missing)
    "lexical",  # log(1 + BM25 score of the first passage)
    "sentence_coverage",  # rarity-weighted coverage of the chosen sentences
    "type_asked",  # 1 when the question asks for a date, number, person, place or list
    "type_found",  # 1 when that kind of answer appears in the chosen sentences
    "named_doc",  # 1 when the question names a document the first passage belongs to
    "unknown_ref",  # 1 when the question names a document the corpus does not hold (passages only cite it)
    "missing_number",  # 1 when a number of the question (a year, "6 tuổi") is in none of the top passages
    "sentence_missing_rare",  # rarity of the rarest topic word missing from the chosen sentences
    "unit_missing",  # 1 when the question asks for an amount of money, a percentage, an area or a head count
    # ("mức lương cơ sở", "học phí", "tỷ lệ") and no chosen sentence holds a number with that unit
    "year_missing",  # 1 when a year of the question ("năm 2027") is in none of the chosen sentences
    "name_missing",  # 1 when a proper name of the question (a province, a commune) is in none of the top passages
)

_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
# "có mấy bác sĩ", "có mấy trường", "có mấy lần": a head count or an amount, not the items of a list
_COUNTED = (
    r"(bac si|nguoi|giao vien|nha giao|hoc sinh|sinh vien|truong|benh vien|giuong|km|ha|phan tram|lan|thang|nam|"
    r"ngay|tuan|gio|tuoi|ty|trieu|nghin|doanh nghiep|can bo|cong chuc|vien chuc|lao dong|ho|dan|ca|diem cau)\b"
)
_ASKS = {
    "date": re.compile(
        r"\b(ngay nao|khi nao|bao gio|luc nao|nam nao|thang nao|thoi han|han chot|thoi diem nao|ngay bao nhieu|"
        r"ngay may|hom nao|thang may|(?<!mot )(?<!moi )(?<!hang )(?<!hàng )nam may|chung nao|hoi nao|bua nao|"
        r"bua may)\b"
    ),
    "number": re.compile(r"\b(bao nhieu|may|ty le|ti le|phan tram|bao lau|muc nao|toi thieu|toi da)\b"),
    "person": re.compile(
        r"\b(ai|nguoi nao|co quan nao|don vi nao|bo nao|so nao|to chuc nao|chu tri|ho ten|ten (la )?gi)\b"
    ),
    "place": re.compile(r"\b(o dau|tai dau|noi nao|tinh nao|dia phuong nao|xa nao)\b"),
    "list": re.compile(
        r"\b(gom|nhung (\w+ ){0,3}(gi|nao)|liet ke|ke ra|ke ten|cac (\w+ ){0,4}nao|"
        r"(co|neu|chi ra|de ra|dat ra|chia( ra)?( thanh)?) may (?!" + _COUNTED + r")\w+|"
        r"may (\w+ ){1,3}(la|gom)|may (?!" + _COUNTED + r")(\w+\W+){1,10}la (gi|nhung gi))\b"
    ),
}
_FOUND = {
    "date": re.compile(
        r"\d{1,2}/\d{1,2}/\d{4}|ngày \d{1,2}|tháng \d{1,2}|năm \d{4}|\b(19|20)\d{2}\b|(?<![\d/])\d{1,2}/\d{1,2}(?![\d/])"
    ),
    "number": re.compile(
        r"\d|\b(một|hai|ba|bốn|năm|sáu|bảy|tám|chín|mười|trăm|nghìn|triệu|tỷ|phần trăm)\b", re.IGNORECASE
    ),
    "person": re.compile(
        r"\b(Bộ|Ban|Ủy ban|Uỷ ban|UBND|Sở|Chính phủ|Thủ tướng|Quốc hội|Đảng ủy|Đảng uỷ|Văn phòng|Trung ương|"
        r"Tổng Bí thư|Chủ tịch|đồng chí|chủ trì|Hội đồng|[A-ZĐ][a-zà-ỹ]+ [A-ZĐ][a-zà-ỹ]+)"
    ),
    "place": re.compile(r"\b(tỉnh|thành phố|xã|phường|huyện|[A-ZĐ][a-zà-ỹ]+ [A-ZĐ][a-zà-ỹ]+)"),
    "list": re.compile(r"(;|\n\s*[-•+]|\n\s*\d+[.)]|\b[a-zđ]\)|, .+, )"),
}


# What unit an asked amount comes in, and how a sentence states a number in that unit.
_UNITS = {  # the first whose question pattern matches is the asked unit
    "duration": (
        # "tối đa mấy ngày", "miễn thuế bao nhiêu năm": a span of time, not a date ("ngày mấy", "năm nào")
        re.compile(
            r"\b(bao nhieu|may|toi da|toi thieu) (ngay|thang|tuan|gio|nam)\b(?! (nao|may|bao nhieu))|\bbao lau\b"
        ),
        re.compile(
            r"\d\s*(ngày|tháng|tuần|giờ|năm)\b|\b(một|hai|ba|năm|mười) (ngày|tháng|tuần|năm)\b", re.IGNORECASE
        ),
    ),
    "money": (
        re.compile(
            r"\b(bao nhieu tien|may tien|muc luong|tien luong|luong co so|hoc phi|le phi|phu cap|gia (dien|nuoc|ve)|"
            r"bao nhieu (dong|von|kinh phi)|muc thu|thu (toi da|toi thieu) bao nhieu|muc ho tro|"
            r"bao nhieu (ty|trieu|nghin|ngan)( dong)?|tong (muc )?dau tu|tong von|phat tien|tien phat|muc phat|"
            # "lương … bao nhiêu", folded: not "sản / chất / số / khối / năng lượng"
            r"phat bao nhieu|(?<!san )(?<!chat )(?<!so )(?<!khoi )(?<!nang )(?<!luc )(?<!trong )(?<!dung )"
            r"luong( \w+){0,6} (duoc )?bao nhieu|bao nhieu (mot|1|moi) thang)\b"
        ),
        re.compile(
            r"\d\s*(đồng|nghìn|ngàn|triệu|tỷ|tỉ|usd|vnđ|vnd|đ\b)|(nghìn|triệu|tỷ|tỉ) đồng", re.IGNORECASE
        ),
    ),
    "percent": (
        re.compile(r"\b(phan tram|ty le|ti le)\b|%"),
        re.compile(r"\d\s*%|phần trăm", re.IGNORECASE),
    ),
    "area": (
        re.compile(r"\b(rong bao nhieu|dien tich|bao nhieu (ha|hecta|km|m2|met vuong))\b"),
        re.compile(r"\d\s*(ha|héc|km|m2|m²|mét vuông)\b", re.IGNORECASE),
    ),
    "people": (
        re.compile(r"\bbao nhieu (dan|nguoi|ca|ho|hoc sinh|benh nhan)\b"),
        # a head count is written with the people it counts: "5.448 trường hợp", "184 cán bộ", "30 bác sĩ"
        re.compile(
            r"\d\s*(dân|người|ca|hộ|học sinh|sinh viên|bệnh nhân|nhân khẩu|trường hợp|lượt|cán bộ|công chức|"
            r"viên chức|lao động|giáo viên|nhà giáo|bác sĩ|cá nhân|tập thể|đảng viên|thành viên|đại biểu)\b",
            re.IGNORECASE,
        ),
    ),
}
_YEAR = re.compile(r"(?<!\d)(19|20)\d{2}(?!\d)")
# Words that open a name but are not the name ("tỉnh Bắc Giang", "Nghị quyết 57", "Sở Nội vụ Phú Thọ"), folded
_NAME_GENERIC = tuple(
    sorted(
        (
            "tinh",
            "thanh pho",
            "xa",
            "phuong",
            "huyen",
            "quan",
            "thi xa",
            "thi tran",
            "so",
            "bo",
            "ban",
            "cum",
            "khu",
            "cong nghiep",
            "nghi quyet",
            "nghi dinh",
            "ket luan",
            "chi thi",
            "thong bao",
            "thong tu",
            "bao cao",
            "quyet dinh",
            "cong van",
            "quy dinh",
            "giam doc",
            "pho",
            "bi thu",
            "chu tich",
            "tinh uy",
            "thanh uy",
            "uy ban nhan dan",
            "ubnd",
            "hdnd",
            "hoi dong nhan dan",
            "noi vu",
            "dang",
            "trung uong",
            "chinh phu",
            "quoc hoi",
            "nha nuoc",
            "muc",
            "dieu",
            "khoan",
            "thu tuong",
            "van phong",
            "de an",
            "chuong trinh",
            "viet nam",
            "o",
            "tai",
            "cua",
        ),
        key=len,
        reverse=True,
    )
)
_CAP_WORD = re.compile(r"(?<!\w)[^\W\d_]\w*")  # a whole word: "5G" is no capitalised "G"


def own_question(question: str) -> str:
    """A follow-up completed with its earlier question ("còn tới 2035 có mấy trường … (NQ 71 có bao nhiêu phần
    trăm trường …)", see retrieval.followup) asks what its own words ask when they ask an amount, a time, a
    person or a place: its own part; otherwise ("cụ thể hơn", "còn NQ 66?", "ý thứ 7 là gì?") the whole text."""
    own = completed_own_part(question)
    return own if own is not None and _OWN_ASK.search(fold(own)) else question


def completed_own_part(question: str) -> str | None:
    """The follow-up's own words of a question completed with its earlier one ("hạn trình BCH TW là bao giờ
    (KL 127 giao ai chủ trì …)" → "hạn trình BCH TW là bao giờ"); None for any other question."""
    stripped = question.rstrip()
    if not stripped.endswith(")") or " (" not in stripped:
        return None
    at = stripped.rindex(" (")
    if "(" in stripped[at + 2 :]:
        return None  # brackets inside brackets: not the completed form
    return stripped[:at]


# a follow-up's own asking words that say what kind of answer it wants ("ý thứ 7 là gì?" asks the earlier kind)
_OWN_ASK = re.compile(r"\b(may|bao nhieu|khi nao|bao gio|chung nao|ngay nao|nam nao|ai|o dau|tai dau)\b")


def asked_unit(question: str) -> str | None:
    """The unit an asked amount comes in: money, percent, area, people, or None. A question asking when, who or
    which items asks no amount, whatever it is about ("bao giờ bỏ lệ phí môn bài?" asks a date)."""
    question = own_question(question)
    if asked_type(question) in ("date", "person", "place", "list"):
        return None
    q = fold(question)
    for unit, (ask, _) in _UNITS.items():
        if ask.search(q):
            if unit == "money" and _INTEREST.search(q):
                return None  # "nhà nước gánh giùm bao nhiêu tiền lãi?": a rate (2%/năm) or a sum answers it
            return unit
    return None


_INTEREST = re.compile(r"\b(tien lai|lai suat|lai vay|bu lai|tra lai|tien loi)\b")


def unit_found(unit: str | None, text: str) -> bool:
    return bool(unit) and bool(_UNITS[unit][1].search(text))


def asked_years(question: str) -> set[str]:
    """The years a question names ("tới năm 2027", "đến 2035"), not the numbers of documents it names
    ("Nghị quyết 198/2025/QH15")."""
    refs = {r.number for r in find_refs(question)}
    return {m.group(0) for m in _YEAR.finditer(DOC_NUMBER_RE.sub(" ", question))} - refs


_RAISED = re.compile(r"\b(phu cap|tang|nang|len bao nhieu|len muc)\b")
_SUM_ASKED = re.compile(
    r"\b(bao nhieu tien|may tien|bao nhieu (dong|ty|trieu|nghin|ngan)|mot thang|moi thang)\b"
)


def unit_answered(unit: str | None, text: str, question: str = "") -> bool:
    """Whether `text` states an amount in the asked unit. An allowance raised by a share ("nâng phụ cấp …
    lên tối thiểu 70%") answers "tăng phụ cấp lên bao nhiêu?", so there a percentage answers a money question;
    "bao nhiêu tiền một tháng?" asks for a sum, and never the other way round."""
    if unit_found(unit, text):
        return True
    q = fold(question)
    return (
        unit == "money"
        and bool(_RAISED.search(q))
        and not _SUM_ASKED.search(q)
        and unit_found("percent", text)
    )


def proper_names(question: str) -> list[str]:
    """Proper names of a question (folded): runs of two or more capitalised words that are not a document
    type, an office or an administrative level ("Tỉnh Bắc Giang" → "bac giang", "Xã Hợp Tiến" → "hop tien")."""
    names: list[str] = []
    run: list[str] = []
    words = _CAP_WORD.findall(question)
    for i, word in enumerate([*words, "x"]):
        if i < len(words) and word[:1].isupper() and not (len(word) > 1 and word.isupper()):
            run.append(word)
            continue
        core = fold(" ".join(run))
        stripped = True
        while stripped:
            stripped = False
            for generic in _NAME_GENERIC:
                if core == generic or core.startswith(generic + " "):
                    core = core[len(generic) :].strip()
                    stripped = True
                    break
        if len(core.split()) >= 2:
            names.append(core)
        run = []
    return names


_PEOPLE_ASKED = re.compile(r"\b(dong chi nao|nhung ai|nhung nguoi nao|nhung vi nao)\b")


# "mấy" asks how many after a verb of having or reaching ("có mấy", "được mấy", "năm mấy"); elsewhere, in a
# question that asks something else, it is the everyday plural ("rủ mấy công ty tư nhân …, ví dụ cái gì?",
# "tới 2030 mấy công ty phải lo việc làm cho bao nhiêu phần trăm?")
_OTHER_ASK = re.compile(
    r"\b(bao nhieu|cai gi|la gi|gi|nao|ai|o dau|tai dau|bao gio|bao lau|the nao|ra sao|vi sao|tai sao)\b"
)
# the words after which "mấy" counts ("có mấy", "nêu mấy", "đạt mấy", "năm mấy"); after any other word (a verb
# like "rủ", a noun, a year) or at the start it is the plural
_COUNTING_BEFORE = frozenset(
    [
        "co",
        "duoc",
        "la",
        "gom",
        "neu",
        "ra",
        "chia",
        "thanh",
        "nam",
        "ngay",
        "thang",
        "thu",
        "gap",
        "len",
        "them",
        "dat",
        "chiem",
        "mat",
        "het",
        "ton",
        "con",
        "tong",
        "khoang",
        "tren",
        "duoi",
        "toi",
        "den",
        "trong",
        "sau",
        "vao",
        "lan",
        "bang",
    ]
)
_MAY = re.compile(r"\bmay (?=[a-z])")


def without_plural_may(folded: str) -> str:
    """A folded question without the everyday plural "mấy" ("rủ mấy công ty" → "rủ công ty") when another
    word asks the question; unchanged otherwise ("có mấy nhóm nhiệm vụ?" keeps its count)."""

    def plural(m: re.Match[str]) -> bool:
        before = folded[: m.start()].split()
        return not before or before[-1] not in _COUNTING_BEFORE

    spans = [m for m in _MAY.finditer(folded) if plural(m)]
    if not spans:
        return folded
    out, last = [], 0
    for m in spans:
        out.append(folded[last : m.start()])
        last = m.end()
    rest = "".join(out) + folded[last:]
    return rest if _OTHER_ASK.search(rest) else folded


def asked_type(question: str) -> str | None:
    """The kind of answer a question asks for: date, number, person, place, list, or None."""
    q = fold(
        re.sub(r"\bAI\b", "tri tue nhan tao", own_question(question))
    )  # "dạy AI" is artificial intelligence, not "ai?"
    q = without_plural_may(q)
    if _UNITS["duration"][0].search(q):
        return "number"  # "thời hạn tối đa mấy ngày?" asks how long, not which day
    if _PEOPLE_ASKED.search(q):
        return "person"  # "những đồng chí nào đồng chủ trì?": people, named in a sentence, not an enumeration
    for kind in ("date", "list", "number", "person", "place"):
        if _ASKS[kind].search(q):
            return kind
    return None


def answer_type_found(kind: str | None, text: str) -> bool:
    return bool(kind) and bool(_FOUND[kind].search(text))


# A stated date or number, once document numbers are taken out ("66-NQ/TW", "Nghị quyết số 140", "Điều 7"): a
# sentence that only names documents or clauses states no date and no amount.
_REF_WORDS = re.compile(
    r"\b(nghị quyết|nghị định|kết luận|chỉ thị|thông báo|thông tư|quyết định|công văn|kế hoạch|luật|quy định|"
    r"điều|khoản|điểm|mục|phần|chương|đề án|phụ lục|ban chỉ đạo|số)\s+(số\s+)?[\dIVXLivxl]+\b|"
    r"\b(lần|phiên|kỳ họp|khóa|khoá|đợt) thứ\s+[\dIVXLivxl]+\b",
    re.IGNORECASE,
)
_ROW_NUMBER = re.compile(r"\|\s*\d+\.?\s*(?=\|)")
_WHICH_ORDINAL = re.compile(r"\bthu (may|bao nhieu)\b")
_DATES = re.compile(
    # "Ngày 11/9/2025", "Ngày 5/1" whole, not "Ngày 11" and then "9/2025" or "/1" (a number left behind)
    r"(?:\bngày\s+)?(?<![\d/])\d{1,2}/\d{1,2}(/\d{2,4})?(?![\d/])|"
    r"\bngày \d{1,2}( tháng \d{1,2})?( năm \d{4})?|\btháng \d{1,2}( năm \d{4})?|\bnăm \d{4}|"
    r"(?<!\d)(19|20)\d{2}(?!\d)|\bmột số\b",
    re.IGNORECASE,
)
_STATED = {
    "date": re.compile(
        r"\d{1,2}/\d{1,2}(/\d{2,4})?|\b(19|20)\d{2}\b|\b(ngày|tháng|quý) \d|\bquý [IV]+\b|\bkỳ họp\b|"
        r"\bđại hội\b|\bhằng năm\b|\bhàng năm\b|\bđịnh kỳ\b|\bgiai đoạn\b|\bngay\b",
        re.IGNORECASE,
    ),
    "number": re.compile(
        r"\d|\b(một|hai|ba|bốn|sáu|bảy|tám|chín|mười|trăm|nghìn|ngàn|triệu|tỷ|tỉ|phần trăm|gấp đôi|một nửa)\b",
        re.IGNORECASE,
    ),
}


_ROLE = re.compile(
    r"\b(phó giám đốc|giám đốc|phó chủ tịch|chủ tịch|phó bí thư|bí thư|phó trưởng ban|trưởng ban|"
    r"trưởng phòng|chánh văn phòng|bộ trưởng|thứ trưởng|thủ tướng|phó thủ tướng|tổng bí thư|viện trưởng|hiệu trưởng)\b"
)
_YES_NO = re.compile(r"\b(khong|ko|k|hong|chua)\s*[?.!]*\s*$")
_WHO_HOLDS = re.compile(
    r"\b(la ai|ai la|ai giu|ai dang giu|do ai dam nhiem|ten (la )?gi|ho ten|ten gi|la (dong chi|ong|ba|nguoi) nao)\b"
)


_ROLE_STOP = {
    "la",
    "ai",
    "tinh",
    "thanh",
    "tai",
    "bao",
    "phat",
    "hien",
    "nay",
    "cua",
    "da",
    "duoc",
    "o",
    "trong",
    "xa",
    "phuong",
    "huyen",
    "dang",
    "moi",
    "nam",
    "ve",
    "do",
    "giu",
    "nhiem",
}


def asked_roles(question: str) -> set[str]:
    """The offices a "who holds it" question asks about ("Giám đốc Sở Tư pháp … là ai?" → {"giám đốc"}), lower
    case; empty for any other question."""
    if not _WHO_HOLDS.search(fold(question)):
        return set()
    # a follow-up arrives as "còn giám đốc sở nội vụ thì sao? (the earlier question)": its own office, if it
    # names one, is the one asked — not the earlier question's
    own = question.split(" (", 1)[0]
    if own != question and _roles_in(own):
        question = own
    # as typed, and with abbreviations spelled out ("GĐ Sở VHTTDL" is "Giám đốc Sở Văn hóa, Thể thao và Du lịch")
    rewritten = default_lexicon().rewrite(question)
    return _roles_in(question) | (_roles_in(rewritten) if rewritten != question else set())


_FOLDED_ROLE = re.compile(fold(_ROLE.pattern))
_OFFICE_BIGRAMS = {"tai chinh", "tai nguyen"}


def _roles_in(question: str) -> set[str]:
    roles = set()
    lower = question.lower()
    for m in _FOLDED_ROLE.finditer(fold(question)):  # typed with or without diacritics; fold keeps positions
        # the office with its body: "Giám đốc Sở Tư pháp" (not any Giám đốc), "Chủ tịch UBND"; the body ends
        # before a question word or a place ("… Sở Tư pháp Thanh Hóa": a capital after a lower-case word)
        words: list[str] = []
        previous_lower = False
        following = question[m.end() :].split()[:5]
        for i, word in enumerate(following[:4]):
            w = word.strip(",.;:?!()")
            # "tai chinh" typed without diacritics is Tài chính (finance), not "tại" (at) a place
            body_word = fold(" ".join(following[i : i + 2])) in _OFFICE_BIGRAMS
            if not w or (fold(w) in _ROLE_STOP and not body_word) or (previous_lower and w[0].isupper()):
                break
            words.append(w.lower())
            previous_lower = w[0].islower()
            if word[-1:] in ",.;:?!":
                break
        roles.add(" ".join([lower[m.start(1) : m.end(1)], *words]))
    return roles


def holds_role(roles: set[str], sentence: str) -> bool:
    """Whether the sentence names one of the offices (a "Phó …" does not stand for the head) and a person: "cơ
    cấu giám đốc sở tư pháp tham gia cấp ủy" speaks of the office, not of who holds it."""
    text = fold(sentence)
    named = any(re.search(rf"(?<!pho )\b{re.escape(form)}\b", text) for r in roles for form in _role_forms(r))
    return named and bool(proper_names(sentence))


def _role_forms(role: str) -> list[str]:
    """The folded office and, shortened word by word down to two words of its body, what a question typed in
    lower case may have run into the office's name ("giam doc so tu phap thanh" → "giam doc so tu phap")."""
    folded = fold(role).split()
    head = next((len(m.group(1).split()) for m in [_FOLDED_ROLE.match(" ".join(folded))] if m), len(folded))
    return [" ".join(folded[:n]) for n in range(len(folded), min(len(folded), head + 2) - 1, -1)]


def asked_role_missing(question: str, sentences: Sequence[str]) -> bool:
    """True when the question asks who holds an office ("Giám đốc Sở Nội vụ Phú Thọ là ai?") and no chosen
    sentence names that office: a sentence about another official does not answer it."""
    roles = asked_roles(question)
    # "Chủ tịch" is not "Phó Chủ tịch": a deputy named in the sentence does not answer for the head
    return bool(roles) and not any(holds_role(roles, s) for s in sentences)


# asking for a contact ("số điện thoại của Sở", "hotline"), not about phones ("chỉ dân xài điện thoại")
_CONTACT = re.compile(
    r"\b(so dien thoai|sdt|so dt|dien thoai (lien he|cua|la (gi|bao nhieu|so may))|hotline|duong day nong|email|"
    r"thu dien tu)\b"
)
_PHONE_OR_MAIL = re.compile(r"(?<![\d/])(\+84|0)\d{1,3}([ .]?\d{2,4}){2,4}(?![\d/])|\w@\w")
_NUMBER_ASKED = re.compile(
    r"\b(thong tu|nghi dinh|quyet dinh|van ban|cong van|ke hoach|chi thi|luat)\b.{0,60}"
    r"\b(so may|so bao nhieu|so nao|so hieu (la )?(gi|bao nhieu))\b"
)


_QUANTITY = re.compile(
    r"(?<![\w/.,])(\d+(?:[.,]\d+)?)\s*(?:tuổi|%|phần trăm|người|tháng|ngày|tuần|năm|giờ|triệu|tỷ|tỉ|nghìn|ngàn|km|ha)\b",
    re.IGNORECASE,
)


def quantity_missing(question: str, texts: Sequence[str]) -> bool:
    """True when the question states a quantity ("người trên 75 tuổi", "bao nhiêu 1 tháng", "5 năm") that none
    of `texts` (the top passages) holds: they speak of the topic, not of the asked case."""
    joined = " ".join(texts)
    asked = DOC_NUMBER_RE.sub(" ", question)
    for m in _QUANTITY.finditer(asked):
        if asked[max(0, m.start() - 4) : m.start()].lower().strip() == "thứ" or _YEAR.fullmatch(m.group(1)):
            continue  # "thứ 7" is a weekday, "2030 tỷ lệ" a year before the next words
        number = m.group(1).lstrip("0") or "0"  # "1 năm" is written "01 năm" in a decree
        if not re.search(rf"(?<![\d,.])0*{re.escape(number)}(?![\d])", joined):
            return True
    return False


_IN_FORCE = re.compile(r"\bhieu luc\b|\bthi hanh tu\b")
_DAY_ASKED = re.compile(r"\b(ngay nao|ngay may|ngay bao nhieu|hom nao|bua nao|bua may)\b")
_DAY_OR_MONTH = re.compile(
    r"(?<![\d/])\d{1,2}/\d{1,2}(?![\d])|\b(ngày|tháng|quý|hôm|sáng|chiều|tối) \d|\bquý [IV]+\b|\b(ngay|hôm nay)\b",
    re.IGNORECASE,
)


def asked_detail_missing(question: str, sentences: Sequence[str]) -> bool:
    """True when the question asks for a date or an amount ("vào năm nào?", "bao nhiêu?") and none of the
    chosen `sentences` states one — document and clause numbers do not count. The passages are on the topic
    but do not hold the asked detail: the typical near miss ("NQ 57 phủ sóng 6G vào năm nào?" over a sentence
    on 5G/6G coverage with no year), answered with a confident but empty quote unless refused here."""
    joined = " ".join(sentences)
    folded_q = fold(question)
    if _CONTACT.search(folded_q) and not _PHONE_OR_MAIL.search(joined):
        return True  # "xin số điện thoại …": only a number or an address answers it
    if _NUMBER_ASKED.search(folded_q):
        # "… là thông tư số mấy?": a document number the question does not already name
        named = {r.number for r in find_refs(question)}
        return not any(r.number not in named for r in find_refs(joined))
    if _WHICH_ORDINAL.search(folded_q):  # "lần thứ mấy?": an ordinal in digits or in words answers it
        return not re.search(r"\bthu\s+(\d+|[ivxl]+)\b", _ordinal_digits(fold(joined)))
    kind = asked_type(question)
    if kind == "date" and _IN_FORCE.search(folded_q) and not _IN_FORCE.search(fold(joined)):
        return True  # "có hiệu lực từ ngày nào?": a signing date quoted in passing is not the date it takes effect
    if (
        kind == "date"
        and _DAY_ASKED.search(folded_q)
        and not _DAY_OR_MONTH.search(DOC_NUMBER_RE.sub(" ", joined))
    ):
        return True  # "ký ngày nào?": a year alone ("Kế hoạch 263/KH-UBND năm 2025") does not say which day
    if kind == "place" and not _YES_NO.search(folded_q):
        return not names_a_place(joined)  # "đặt ở tỉnh nào?" over a sentence that names no place
    if kind not in _STATED or _YES_NO.search(folded_q):
        return False  # "có cho mấy hộ … không?" asks yes or no; "mấy hộ" there is "those households"
    text = DOC_NUMBER_RE.sub(" ", " ".join(sentences))
    text = _REF_WORDS.sub(" ", text)  # "Điều 7", "lần thứ 21": which clause or meeting, not an amount
    text = _ROW_NUMBER.sub(" ", text)  # "| 11. |": the row of a table, not an amount
    if kind == "number":  # a date or "một số" ("some") is not an amount
        text = _DATES.sub(" ", text)
        unit = asked_unit(question)
        # "bao nhiêu tỷ đồng?" over sentences with no sum of money; an allowance ("phụ cấp") may be a share of
        # the salary, so a percentage answers a money question, never the other way round
        if unit in ("money", "percent", "duration") and not unit_answered(unit, text, question):
            return True
    return not _STATED[kind].search(text)


_NAMED_PLACE = re.compile(
    r"\b(?i:tỉnh|thành phố|xã|phường|huyện|quận|thị xã|thị trấn|đặc khu|tại|ở)\s+"
    # a body after "tại / ở" ("tại Bộ Công an", "ở Trung tâm …") is no place; "về" + a capital is a topic
    # ("Cơ sở dữ liệu quốc gia về Bảo hiểm"), never a place by itself
    r"(?!(?:Trung tâm|Bộ|Ban|Sở|Cục|Vụ|Văn phòng|Ủy ban|Uỷ ban|Quỹ|Hội đồng|Hội nghị|Chính phủ|Quốc hội|Cơ sở|"
    r"Nghị quyết|Kết luận|Thông báo|Công văn|Kế hoạch|Luật|Đảng|Nhà nước|Thủ tướng|Tổng Bí thư)\b)"
    r"[A-ZĐ\u00c0-\u00dd\u0102\u01a0\u01af\u1ea0-\u1ef8]"
)


def names_a_place(text: str) -> bool:
    """Whether `text` names a place: a province or city of Vietnam, or a capitalised name after an
    administrative word or "tại / ở" ("xã Hợp Tiến", "tại Hà Nội")."""
    if _NAMED_PLACE.search(text):
        return True
    folded = " " + " ".join(WORD_RE.findall(fold(text))) + " "
    return any(f" {p} " in folded for p in _provinces())


_PLACE_WORD = re.compile(
    r"\b(?:tỉnh ủy|tỉnh uỷ|tỉnh|thành phố|xã|phường|huyện|thị xã|thị trấn|đặc khu)\s+(?=\w)", re.IGNORECASE
)


_AT_PLACE = re.compile(r"\b(?:ở|tại)\s+(?=[A-ZĐ\u00c0-\u00dd\u0102\u01a0\u01af\u1ea0-\u1ef8])")


_OFFICE_WORDS = {
    "bo",
    "ban",
    "so",
    "van",
    "uy",
    "hoi",
    "trung",
    "quoc",
    "chinh",
    "dang",
    "toa",
    "vien",
    "cuc",
    "tong",
    "truong",
    "benh",
    "cong",
    "ngan",
    "kho",
    "nha",
    "phong",
    "trung tam",
    "hoc",
    "dai",
    "mat",
    "doan",
}


def asked_places(question: str) -> list[str]:
    """Places a question names after an administrative word ("tỉnh Phú Thọ", "xã Hợp Tiến", "Tỉnh ủy Thanh
    Hóa") or after "ở / tại" ("ở Phú Thọ"), folded: the capitalised words that follow ("xã hội", "tỉnh này",
    "tại Hội nghị" are not places)."""
    places = []
    marks = [(m, 1) for m in _PLACE_WORD.finditer(question)] + [(m, 2) for m in _AT_PLACE.finditer(question)]
    for m, least in marks:
        words = []
        for word in question[m.end() :].split():
            word = word.strip(",.;:?!()\"'«»")
            if not word or not word[0].isupper() or word.isupper():
                break
            words.append(word)
        # after "ở / tại" only a name of two words or more that is not an office ("ở Phú Thọ"; not "tại Hội
        # nghị", "tại Bộ Tài chính", "ở Văn phòng Chính phủ")
        if least > 1 and words and fold(words[0]) in _OFFICE_WORDS:
            continue
        name = _place_name(words)
        if len(words) >= least and name not in places:
            places.append(name)
    # a province typed in lower case or without diacritics ("giam doc so tu phap nghe an la ai")
    folded = " " + " ".join(WORD_RE.findall(fold(question))) + " "
    places += [p for p in _provinces() if f" {p} " in folded and not any(p in q for q in places)]
    return places


def _place_name(words: list[str]) -> str:
    """The place in a run of capitalised words (folded): a province's name where one opens the run ("tỉnh Phú
    Thọ Trần Duy Đông" → "phu tho": a person's name follows), else the first two of four or more words."""
    folded = " ".join(WORD_RE.findall(fold(" ".join(words))))
    province = next((p for p in _provinces() if folded == p or folded.startswith(p + " ")), None)
    if province:
        return province
    return " ".join(folded.split()[:2]) if len(words) >= 4 else folded


@lru_cache(maxsize=1)
def _provinces() -> tuple[str, ...]:
    """Folded names of Vietnam's provinces and cities (`retrieval.places.province_names`)."""
    return tuple(" ".join(WORD_RE.findall(fold(name))) for name in province_names())


_LONE_YEAR = re.compile(r"(?<![\d/.,-])(19|20)\d{2}(?![\d/.,])")  # not "57/2024", "15/9/2025"


def off_the_asked_case(
    question: str,
    passages: Sequence[SearchHit],
    doc_passages: Callable[[str], Sequence[Passage]] | None = None,
) -> bool:
    """True when a year or a place the question names ("năm 2035", "ở tỉnh Phú Thọ") is absent where the
    answer would come from: a year from every quoted passage and the two before it in its document (a list's
    lead-in, "Mục tiêu cụ thể đến năm 2030:", often sits in the previous passage); a place from every quoted
    document (an article on Phú Thọ names the province once, not in every paragraph). The passages then speak
    of another year or place — "tuổi thọ năm 2035" answered with the 2030 target, "Phú Thọ" with a national
    figure — and the honest answer is that the corpus does not say. An asked meeting ("phiên họp lần thứ 22")
    must be named by a quoted document, like a place. `doc_passages(source)` gives a document's
    passages in order; without it only the quoted passages are read."""
    refs = {r.number for r in find_refs(question)}
    years = {m.group(0) for m in _LONE_YEAR.finditer(DOC_NUMBER_RE.sub(" ", question))} - refs
    places = asked_places(question)
    ordinals = {m.group(0) for m in _ORDINAL.finditer(_ordinal_digits(fold(question)))}
    if not years and not places and not ordinals:
        return False

    plain = _plain
    near: list[Passage] = []
    documents: dict[str, list[Passage]] = {}
    for hit in passages:
        doc = list(doc_passages(hit.passage.doc.source)) if doc_passages else []
        at = next((i for i, p in enumerate(doc) if p.id == hit.passage.id), None)
        # the passage and the two before it in the same section (another section's "Mục tiêu đến năm 2035"
        # says nothing of this one)
        if doc and is_local_news(hit.passage.doc):
            near += doc  # a news report is about one event: its year may be written once, in any paragraph
        else:
            near += (
                [p for p in doc[max(0, at - 2) : at + 1] if p.section == hit.passage.section]
                if at is not None
                else [hit.passage]
            )
        documents.setdefault(hit.passage.doc.source, doc or [hit.passage])
    # none of the asked years is there — as a year, not inside a document's number ("106/2023/QH15")
    if years and all(f" {y} " not in _plain(near, without_numbers=True) for y in years):
        return True
    if ordinals and not any(
        all(f" {o} " in _ordinal_digits(plain(doc)) for o in ordinals) for doc in documents.values()
    ):
        return True  # "Phiên họp lần thứ 22" answered from the notice of the 21st
    return bool(places) and not any(_may_be_about(places, doc, plain(doc)) for doc in documents.values())


# a body the question names: "Sở Y tế", "Cục Điện ảnh", "Bộ Nội vụ", "Ban Tổ chức" — its kind, then its own name
# (capitalised, not an acronym such as "Bộ VHTTDL", which documents write out in full)
_BODY_NAMED = re.compile(
    r"\b(?:Sở|Cục|Bộ|Vụ|Viện|Ban|Tổng cục)\s+([A-ZĐ\u00c0-\u1ef8][a-zđ\u00e0-\u1ef9]*(?:\s+[^\s,.;:?!()]+)?)"
)


def named_bodies(question: str) -> list[str]:
    """The bodies a question names, folded to their kind and first two words ("Giám đốc Sở Y tế Thanh Hóa báo
    cáo gì?" → ["so y te"]); acronyms and lower-case words ("sở, ban, ngành") are not names."""
    found = []
    for m in _BODY_NAMED.finditer(question):
        words = WORD_RE.findall(fold(m.group(0)))[:3]
        if len(words) >= 3 or (len(words) == 2 and len(words[1]) > 2):
            found.append(" ".join(words))
    return found


def body_unnamed(question: str, documents: Sequence[Sequence[Passage]]) -> bool:
    """True when the question names a body ("cv 6225 giao Cục Điện ảnh nhiệm vụ gì?") that none of the quoted
    `documents` (each its passages) names anywhere: they speak of other bodies, and a quote about the Cục Phát
    thanh would answer for a Cục Điện ảnh the documents never mention."""
    bodies = named_bodies(question)
    if not bodies or not documents:
        return False
    texts = [_plain(doc) for doc in documents]
    return any(all(f" {b} " not in t for t in texts) for b in bodies)


def under_another_year(
    question: str, passage: Passage, sentence: str, earlier: Sequence[Passage] = ()
) -> bool:
    """True when `sentence` of `passage` states an amount written under a year the question does not ask.

    A target list reads "- Mục tiêu cụ thể đến năm 2030: … + Có ít nhất 20 doanh nghiệp lớn …" and, further
    down, "Tầm nhìn đến năm 2045: …". Asked "đến 2045 có bao nhiêu doanh nghiệp lớn?", the sentence with "20"
    matches every word, and the year check passes because the passage does name 2045 — further down. The year
    that governs an amount is the one the sentence writes before it ("+ Đến năm 2026, … 95%"), else the one of
    the nearest lead-in above it: a line ending with ":" or a short line without final punctuation ("- Mục tiêu
    cụ thể đến năm 2030"), in its passage or the passages `earlier` in the same section, else its section's
    heading ("Đến năm 2030, người dân được miễn viện phí …"). A year inside another item does not govern the
    next item. Only "how much" questions that name a year are concerned; a sentence naming an asked year, with
    no amount, or under no year at all, never is."""
    years = asked_years(question)
    if not years or asked_type(question) != "number":
        return False
    if any(y in _GOVERNING_YEAR.findall(sentence) for y in years):
        return False  # "phải đạt 90% trong năm 2025": the sentence itself says which year
    plain = DOC_NUMBER_RE.sub(" ", sentence)
    # "(5) Phối hợp …", "Nghị quyết 68 …", "Điều 7": a list marker or a reference, not an amount
    bare = _REF_WORDS.sub(
        lambda m: " " * len(m.group(0)), _LIST_MARKER.sub(lambda m: " " * len(m.group(0)), plain)
    )
    first_amount = _AMOUNT_DIGIT.search(_GOVERNING_YEAR.sub(lambda m: " " * len(m.group(0)), bare))
    if first_amount is None:
        return False  # no amount besides years
    own = _GOVERNING_YEAR.findall(bare[: first_amount.start()])
    if own:
        return own[-1] not in years
    text = passage.text
    at = text.find(sentence)
    if at < 0:
        return False
    lines = [p.text for p in earlier if p.section == passage.section] + [text[:at]]
    for line in reversed("\n".join(lines).split("\n")):
        line = DOC_NUMBER_RE.sub(" ", line).strip()
        found = _GOVERNING_YEAR.findall(line)
        if found and _is_lead_in(line):
            return found[-1] not in years
    heading = _GOVERNING_YEAR.findall(DOC_NUMBER_RE.sub(" ", passage.section))
    return bool(heading) and heading[-1] not in years


def _is_lead_in(line: str) -> bool:
    """A line that heads what follows: it ends with ":" or is short and unpunctuated ("- Mục tiêu cụ thể đến năm
    2030", "(1) Đến năm 2030", "## Tầm nhìn đến năm 2045")."""
    text = line.strip().rstrip()
    return text.endswith(":") or (len(text.split()) <= 16 and not text.endswith((".", ";", ",")))


_LIST_MARKER = re.compile(r"^\s*[-+•]?\s*\(?\d{1,2}[.)]")
# an amount's digits, once years are blanked ("20 doanh nghiệp", "90 ngày", "1,5 cm")
_AMOUNT_DIGIT = re.compile(r"(?<![\d/.,])\d+(?:[.,]\d+)?(?!\s*/\s*\d)")
# a year that heads what follows ("đến năm 2030", "năm 2045", "2030:"), not one inside a date ("15/9/2025")
_GOVERNING_YEAR = re.compile(r"(?<![\d/.,-])(?:19|20)\d{2}(?![\d/]|[.,]\d)")


# "phiên họp lần thứ 22", "kỳ họp thứ 10", "khóa XIII": which meeting or term, as a year says which year
_ORDINAL = re.compile(r"\b(?:lan|phien|ky hop|khoa|dot|hoi nghi trung uong) thu \d+\b")


# ordinals in words, folded ("thứ sáu" → 6); sections reads "ý thứ ba" with them too
ORDINAL_WORDS = {
    "nhat": 1,
    "hai": 2,
    "ba": 3,
    "tu": 4,
    "bon": 4,
    "nam": 5,
    "sau": 6,
    "bay": 7,
    "tam": 8,
    "chin": 9,
    "muoi": 10,
}
_WORD_ORDINAL = re.compile(r"\bthu (" + "|".join(ORDINAL_WORDS) + r")\b")


def _ordinal_digits(folded: str) -> str:
    """ "lan thu sau" → "lan thu 6": an ordinal in words and in digits are the same meeting."""
    return _WORD_ORDINAL.sub(lambda m: f"thu {ORDINAL_WORDS[m.group(1)]}", folded)


def about_asked_places(question: str, doc: Sequence[Passage]) -> bool:
    """Whether a document (its passages in order) may be about every place the question names — True when it
    names none. See `_may_be_about`."""
    places = asked_places(question)
    if not places or not doc:
        return True
    return _may_be_about(places, doc, _plain(doc))


def _plain(items: Sequence[Passage], *, without_numbers: bool = False) -> str:
    """The folded words of passages with their headers and titles, space-padded for `f" {word} " in …`;
    `without_numbers`: documents' numbers taken out first ("Nghị quyết 106/2023/QH15" names no year 2023)."""
    text = " ".join(f"{p.text} {p.header} {p.doc.title or ''}" for p in items)
    if without_numbers:
        text = DOC_NUMBER_RE.sub(" ", text)
    return " " + " ".join(WORD_RE.findall(fold(text))) + " "


def hits_about_asked_places(
    question: str, hits: Sequence[SearchHit], doc_passages: Callable[[str], Sequence[Passage]] | None = None
) -> list[SearchHit]:
    """The hits whose document may be about every place the question names (all hits when it names none).

    Why: a report on Phú Thọ does not answer "Thanh Hóa giải quyết thôi việc cho bao nhiêu trường hợp?",
    however well its sentence matches the other words. Dropping such passages before the sentences are chosen
    leaves the judge with only what may answer for the asked place: often nothing, and the honest refusal.
    `doc_passages(source)` gives a document's passages in order (a report names its province once)."""
    if not asked_places(question):
        return list(hits)
    verdict: dict[str, bool] = {}
    for hit in hits:
        source = hit.passage.doc.source
        if source not in verdict:
            doc = list(doc_passages(source)) if doc_passages else []
            verdict[source] = about_asked_places(question, doc or [hit.passage])
    return [h for h in hits if verdict[h.passage.doc.source]]


def _may_be_about(places: Sequence[str], doc: Sequence[Passage], folded: str) -> bool:
    """Whether a document may be about every asked place: it names it, its address names it (a local paper
    names its province in its address, "baothanhhoa.vn", more surely than in its paragraphs), or it is local
    news that names no province or city at all ("UBND tỉnh tổ chức hội nghị…": the deploying province's own
    news, which the official asking may well call by name) and only provinces are asked — a report that
    never names "xã Bá Thước" is not about it. A resolution or an article on one names no province and is not
    local news: a national figure does not answer for one province."""
    meta = doc[0].doc
    url = fold(meta.url or "")
    unnamed_local = (
        is_local_news(meta) and not meta.place and not _PROVINCE.search(" ".join(p.text for p in doc))
    )
    provinces = set(_provinces())
    return all(
        f" {p} " in folded or p.replace(" ", "") in url or (unnamed_local and p in provinces) for p in places
    )


# a named province or city ("tỉnh Thanh Hóa", "thành phố Hà Nội"): "tỉnh" then a capital letter
_PROVINCE = re.compile(r"\b(?i:tỉnh|thành phố)\s+[A-ZĐÀÁẢÃẠÂĂÈÉÊÌÍÒÓÔƠÙÚƯỲÝ]")


def is_local_news(meta) -> bool:
    """A news report of the province (no document number, about no document): one event, one place."""
    return not meta.doc_number and not meta.refers_to


def _bigrams(text: str) -> set[str]:
    words = [w for w in WORD_RE.findall(fold(text)) if w not in STOPWORDS]
    return {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}


def _coverage(question: str, text: str, stats: CorpusStats) -> float:
    """Coverage of the question, or of its lexicon rewrite ("con nít" → "trẻ em"), whichever is higher."""
    cov = weighted_coverage(question, text, stats)
    rewritten = default_lexicon().rewrite(question)
    if rewritten != question:
        cov = max(cov, weighted_coverage(rewritten, text, stats))
    return cov


def features(
    question: str,
    hits: Sequence[SearchHit],
    stats: CorpusStats,
    sentences: Sequence[str] = (),
    named_sources: Sequence[str] = (),
    unknown_refs: Sequence[object] = (),
) -> dict[str, float]:
    """Evidence features (names in `FEATURES`, floats) for `question` over its top hits and chosen sentences."""
    top = list(hits[:3])
    if not top:
        return dict.fromkeys(FEATURES, 0.0)
    dense = sorted((h.dense for h in hits[:5] if h.dense > 0), reverse=True) or [0.0]
    covs = [_coverage(question, h.passage.indexed_text, stats) for h in top]
    best = top[max(range(len(top)), key=lambda i: covs[i])]
    q_bi = _bigrams(question) | _bigrams(default_lexicon().rewrite(question))
    p_bi = _bigrams(best.passage.indexed_text)
    words: set[str] = set()
    for h in top:
        words |= set(WORD_RE.findall(fold(h.passage.indexed_text)))
    terms = content_terms(question)
    lex = default_lexicon()
    for m in lex.matches(question):  # an everyday word is not missing when its administrative word is there
        admin = content_terms(m.entry.administrative)
        if admin and admin <= words:
            terms -= content_terms(m.entry.everyday)
    missing = [stats.idf(t) for t in terms if t not in words]
    chosen_words = set(WORD_RE.findall(fold(" ".join(sentences))))
    for h in top:
        if any(s in h.passage.text for s in sentences):
            chosen_words |= set(WORD_RE.findall(fold(h.passage.header)))
    for m in lex.matches(question):
        admin = content_terms(m.entry.administrative)
        if admin and admin <= chosen_words:
            chosen_words |= content_terms(m.entry.everyday)
    sentence_missing = [stats.idf(t) for t in terms if t not in chosen_words]
    ref_numbers = {r.number for r in find_refs(question)}
    numbers = {n for n in _NUMBER.findall(fold(question)) if n not in ref_numbers}
    top_text = " ".join(fold(h.passage.indexed_text) for h in top)
    norm = math.log(stats.n + 1) or 1.0
    chosen = " ".join(sentences)
    kind = asked_type(question)
    unit = asked_unit(question)
    years = set(m.group(0) for m in _YEAR.finditer(fold(question))) - ref_numbers
    chosen_folded = (
        fold(chosen)
        + " "
        + " ".join(fold(h.passage.header) for h in top if any(s in h.passage.text for s in sentences))
    )
    top_plain = " ".join(
        " ".join(WORD_RE.findall(fold(h.passage.text + " " + h.passage.header))) for h in top
    )
    return {
        "dense_top": max(dense),
        "dense_gap": dense[0] - dense[min(2, len(dense) - 1)],
        "coverage": max(covs),
        "coverage_top1": covs[0],
        "bigram_coverage": len(q_bi & p_bi) / len(q_bi) if q_bi else 1.0,
        "missing_rare": max(missing) / norm if missing else 0.0,
        "lexical": math.log1p(max(0.0, hits[0].lexical)),
        "sentence_coverage": _coverage(question, chosen, stats) if chosen else 0.0,
        "type_asked": 1.0 if kind else 0.0,
        # a lead-in ("… thực hiện các chức năng sau đây:") brings its list with it into the answer
        "type_found": 1.0
        if answer_type_found(kind, chosen)
        or (kind == "list" and any(s.rstrip().endswith(":") for s in sentences))
        else 0.0,
        "named_doc": 1.0 if named_sources and hits[0].passage.doc.source in set(named_sources) else 0.0,
        "unknown_ref": 1.0 if unknown_refs else 0.0,
        "missing_number": 1.0
        if any(not re.search(rf"(?<![\d,.]){re.escape(n)}(?![\d])", top_text) for n in numbers)
        else 0.0,
        "sentence_missing_rare": max(sentence_missing) / norm if sentence_missing else 0.0,
        "unit_missing": 1.0 if unit and not unit_answered(unit, chosen, question) else 0.0,
        "year_missing": 1.0 if any(y not in chosen_folded for y in years) else 0.0,
        "name_missing": 1.0 if any(f" {n} " not in f" {top_plain} " for n in proper_names(question)) else 0.0,
    }


@dataclass(frozen=True)
class Judge:
    """A logistic model over `features`; `accept` is True when the probability reaches `threshold`."""

    names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float

    def probability(self, feats: dict[str, float]) -> float:
        z = self.intercept
        for name, m, s, c in zip(self.names, self.mean, self.scale, self.coef, strict=True):
            z += c * (feats.get(name, 0.0) - m) / (s or 1.0)
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def accept(self, feats: dict[str, float]) -> bool:
        return self.probability(feats) >= self.threshold

    def to_json(self) -> dict:
        return {
            "features": list(self.names),
            "mean": [round(x, 6) for x in self.mean],
            "scale": [round(x, 6) for x in self.scale],
            "coef": [round(x, 6) for x in self.coef],
            "intercept": round(self.intercept, 6),
            "threshold": round(self.threshold, 6),
        }

    @classmethod
    def from_json(cls, data: dict) -> Judge:
        names = tuple(data["features"])
        n = len(names)
        parts = [tuple(float(x) for x in data[k]) for k in ("mean", "scale", "coef")]
        if any(len(p) != n for p in parts):
            raise ValueError("judge file: features, mean, scale and coef must have the same length")
        return cls(names, *parts, float(data["intercept"]), float(data["threshold"]))

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


@lru_cache(maxsize=1)
def default_judge() -> Judge:
    """The shipped judge (package data `retrieval/data/judge.json`)."""
    text = resources.files("retrieval.data").joinpath("judge.json").read_text(encoding="utf-8")
    return Judge.from_json(json.loads(text))


# The direction each feature may push (+1 towards answering, -1 against); a feature whose fitted weight goes
# the other way is an artefact of a small dev set (collinear features) and is dropped before refitting.
EXPECTED_SIGN = {
    "dense_top": 1,
    "dense_gap": 1,
    "coverage": 1,
    "coverage_top1": 1,
    "bigram_coverage": 1,
    "missing_rare": -1,
    "lexical": 1,
    "sentence_coverage": 1,
    "type_found": 1,
    "named_doc": 1,
    "unknown_ref": -1,
    "missing_number": -1,
    "sentence_missing_rare": -1,
    "unit_missing": -1,
    "year_missing": -1,
    "name_missing": -1,
}


def fit_judge(
    rows: Sequence[dict[str, float]], labels: Sequence[int], max_refused: float = 0.03, c: float = 0.5
) -> Judge:
    """Fit a logistic regression (scikit-learn) on feature rows and 0/1 labels (1 = should answer).

    Features whose weight comes out against `EXPECTED_SIGN` are dropped and the model refitted. The threshold
    is the highest probability that still accepts all but `max_refused` of the positive rows. Raises
    ValueError when both labels are not present.
    """
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    y = np.asarray(labels, dtype=int)
    if len(set(y.tolist())) < 2:
        raise ValueError("cần cả câu hỏi có đáp án và câu hỏi không có đáp án để huấn luyện")
    names = list(FEATURES)
    while True:
        x = np.asarray([[r.get(n, 0.0) for n in names] for r in rows], dtype=float)
        mean = x.mean(axis=0)
        scale = x.std(axis=0)
        scale[scale == 0] = 1.0
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=1000)
        model.fit((x - mean) / scale, y)
        coef = model.coef_[0]
        wrong = [n for n, w in zip(names, coef, strict=True) if EXPECTED_SIGN.get(n, 0) * w < 0]
        if not wrong or len(names) <= 1:
            break
        names = [n for n in names if n not in wrong]
    judge = Judge(
        tuple(names),
        tuple(mean.tolist()),
        tuple(scale.tolist()),
        tuple(coef.tolist()),
        float(model.intercept_[0]),
        0.5,
    )
    probs = sorted(judge.probability(r) for r, lab in zip(rows, labels, strict=True) if lab == 1)
    allowed = math.floor(max_refused * len(probs))
    threshold = probs[allowed] if probs else 0.5
    # a hair below the chosen positive, so that one is accepted
    return Judge(
        judge.names, judge.mean, judge.scale, judge.coef, judge.intercept, max(0.0, threshold - 1e-6)
    )


def training_rows(engine, questions) -> tuple[list[dict[str, float]], list[int], int]:
    """Feature rows and labels for `fit_judge` from evaluation lines, asked through `engine` as `ask` would.

    An answerable line (with `answer_contains`) is a positive when one of the top three passages holds its
    fact (otherwise retrieval, not the judge, failed: the line is left out and counted); a line without
    `answer_contains` is a negative. Lines marked `needs_review` are skipped. Returns (rows, labels, left_out).
    """
    from retrieval.engine import clean_query
    from retrieval.evaluate import _fact_norm, context_after
    from retrieval.extractive import evidence
    from retrieval.followup import split_context, standalone
    from retrieval.routing import route

    rows: list[dict[str, float]] = []
    labels: list[int] = []
    left_out = 0
    for q in questions:
        if q.extra.get("needs_review") is True:
            continue
        history = [h for h in (q.extra.get("history") or []) if isinstance(h, str)]
        docs = context_after(engine, history)
        plain_docs, previous = split_context(docs)
        text = clean_query(standalone(clean_query(q.question), previous, plain_docs))
        if route(text, engine.catalog(), plain_docs) is not None:
            continue  # answered from a document card or a clause: the judge is not asked
        hits, plan = engine.search_with_plan(text, 5, context_docs=docs)
        if not hits or (plan.unknown_refs and not plan.ref_sources and not plan.mentions):
            continue  # refused before the judge is asked
        _, feats = evidence(text, hits, plan, engine.searcher.stats())
        if q.answer_contains:
            top = " ".join(_fact_norm(h.passage.text) for h in hits[:3])
            if not any(_fact_norm(a) in top for a in q.answer_contains if a.strip()):
                left_out += 1
                continue
            labels.append(1)
        else:
            labels.append(0)
        rows.append(feats)
    return rows, labels, left_out
