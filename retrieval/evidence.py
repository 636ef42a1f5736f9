"""Evidence measures shared by search and answering: topic words of a question and how rare they are.

A question is about its rare words ("hộ chiếu", "CPI"); the everyday words of a question ("bao nhiêu", "là gì")
and the names of document kinds carry no topic. Rarity comes from the indexed passages themselves.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from retrieval.textnorm import fold, has_diacritics, nfc

# Words that carry no topic in a question (folded); they do not count towards evidence.
STOPWORDS = set(
    [
        "la",
        "gi",
        "nao",
        "bao",
        "nhieu",
        "cua",
        "va",
        "cac",
        "nhung",
        "co",
        "khong",
        "the",
        "ve",
        "theo",
        "trong",
        "duoc",
        "cho",
        "voi",
        "tu",
        "den",
        "thi",
        "sao",
        "ai",
        "o",
        "dau",
        "may",
        "hay",
        "nhu",
        "de",
        "mot",
        "nay",
        "do",
        "khi",
        "da",
        "se",
        "can",
        "phai",
        "gom",
        "nhu",
        "the",
        "nao",
        "vay",
        "a",
        "oi",
        "nhe",
        "ha",
        "sau",
        "truoc",
        "ra",
        "vao",
        "len",
        "tai",
        "bi",
        "boi",
        "nguoi",
        "viec",
        "nhiem",
        "vu",
        "noi",
        "dung",
        "quy",
        "dinh",
        "yeu",
        "cau",
        "muc",
        "tieu",
        "hien",
        "nay",
        "con",
        "chi",
        "biet",
        "cho",
        "toi",
        "minh",
        "xin",
        "hoi",
        "muon",
        "nghi",
        "quyet",
        "ket",
        "luan",
        "thong",
        "bao",
        "cong",
        "van",
        "chi",
        "thi",
        "quyet",
        "dinh",
        "so",
        "van",
        "ban",
        "tw",
        "nq",
        "kl",
        "tb",
        "cv",
        "ct",
        "qd",
        "hom",
        "roi",  # "xong được bao nhiêu % rồi": a particle
        "gio",  # "5G giờ phủ được bao nhiêu": now ("bao giờ" asks when, and is an asking word anyway)
        "ta",  # "là bữa nào ta?": a particle
    ]
)
WORD_RE = re.compile(r"\w+")

# The spellings each folded stopword stands for. Folded, "biệt phái" is "biết phải" and "cán bộ" is "cần bộ":
# in a question written with its accents, only these spellings are stopwords ("tư nhân", "đầu tư", "đề án",
# "báo cáo", "vay vốn", "bảo vệ" keep their words).
_STOP_SPELLINGS = {
    "a": "a à ạ á",
    "ai": "ai",
    "ban": "bạn ban",
    "bao": "bao",
    "bi": "bị",
    "biet": "biết",
    "boi": "bởi",
    "cac": "các",
    "can": "cần",
    "cau": "câu",
    "chi": "chỉ chị",
    "cho": "cho",
    "co": "có",
    "con": "còn con",
    "cong": "công",
    "ct": "ct",
    "cua": "của",
    "cv": "cv",
    "da": "đã dạ",
    "dau": "đâu",
    "de": "để",
    "den": "đến",
    "dinh": "định",
    "do": "do đó",
    "dung": "đúng dùng",
    "duoc": "được",
    "gi": "gì",
    "gom": "gồm",
    "gio": "giờ",
    "ha": "hả hà",
    "hay": "hay",
    "hien": "hiện",
    "hoi": "hỏi",
    "hom": "hôm",
    "ket": "kết",
    "khi": "khi",
    "khong": "không",
    "kl": "kl",
    "la": "là",
    "len": "lên",
    "luan": "luận",
    "may": "mấy",
    "minh": "mình",
    "mot": "một",
    "muc": "mục",
    "muon": "muốn",
    "nao": "nào",
    "nay": "này nay",
    "nghi": "nghị",
    "nguoi": "người",
    "nhe": "nhé",
    "nhiem": "nhiệm",
    "nhieu": "nhiêu nhiều",
    "nhu": "như",
    "nhung": "những nhưng",
    "noi": "nội nói",
    "nq": "nq",
    "o": "ở ơ",
    "oi": "ơi",
    "phai": "phải",
    "qd": "qd qđ",
    "quy": "quy",
    "quyet": "quyết",
    "ra": "ra",
    "roi": "rồi",
    "sao": "sao",
    "sau": "sau",
    "se": "sẽ",
    "so": "số sở",
    "ta": "ta",
    "tai": "tại",
    "tb": "tb",
    "the": "thế",
    "theo": "theo",
    "thi": "thì",
    "thong": "thông",
    "tieu": "tiêu",
    "toi": "tôi tới",
    "trong": "trong",
    "truoc": "trước",
    "tu": "từ",
    "tw": "tw",
    "va": "và",
    "van": "văn vẫn",
    "vao": "vào",
    "vay": "vậy",
    "ve": "về",
    "viec": "việc",
    "voi": "với",
    "vu": "vụ",
    "xin": "xin",
    "yeu": "yêu",
}


def is_stopword(word: str, accented: bool) -> bool:
    """Whether `word` (lower case) carries no topic: by its spelling when the text has its accents
    (`accented`), else by its folded form (then "biet" may be "biết" or "biệt": taken as the stopword)."""
    folded = fold(word)
    if folded not in STOPWORDS:
        return False
    if not accented or folded not in _STOP_SPELLINGS:
        return True
    return word in _STOP_SPELLINGS[folded].split()


# "bữa nào", "chừng nào", "hồi nào": everyday ways of asking when; their first word is no topic ("bữa ăn trưa",
# "chung sức" keep theirs)
_WHEN_ASKED = frozenset({"bua", "hom", "hoi", "chung", "luc"})


def _without_when_asked(words: list[str], folded: list[str]) -> list[str]:
    return [
        w
        for i, w in enumerate(words)
        if not (folded[i] in _WHEN_ASKED and i + 1 < len(folded) and folded[i + 1] == "nao")
    ]


def topic_words(text: str) -> list[str]:
    """The words of `text` that carry a topic, folded, in order (see `is_stopword`)."""
    accented = has_diacritics(text)
    spelled = WORD_RE.findall(nfc(text).lower())
    spelled = _without_when_asked(spelled, [fold(w) for w in spelled])
    return [fold(w) for w in spelled if not is_stopword(w, accented)]


_REF_WORD = re.compile(r"^(nq|kl|tb|cv|ct|qd|tt|nd|kh)\d+$")


class CorpusStats:
    """Document frequencies of folded words over the indexed passages, for rarity-weighted evidence."""

    def __init__(self, texts: list[str]) -> None:
        self.n = len(texts)
        self.df: Counter[str] = Counter()
        for t in texts:
            self.df.update(set(WORD_RE.findall(fold(t))))

    def idf(self, term: str) -> float:
        return math.log((self.n + 1) / (self.df.get(term, 0) + 0.5))


def content_terms(text: str) -> set[str]:
    words = WORD_RE.findall(fold(text))
    return {
        w
        for w in _without_when_asked(words, words)
        if w not in STOPWORDS and not (w.isdigit() and len(w) < 2) and not _REF_WORD.match(w)
    }


def weighted_coverage(question: str, text: str, stats: CorpusStats) -> float:
    """Rarity-weighted share of the question's topic words found in the passage (accent-insensitive)."""
    q = content_terms(question)
    if not q:
        return 0.0
    words = set(WORD_RE.findall(fold(text)))
    total = sum(stats.idf(t) for t in q)
    return sum(stats.idf(t) for t in q if t in words) / total if total else 0.0
