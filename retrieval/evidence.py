"""Evidence measures shared by search and answering: topic words of a question and how rare they are.

A question is about its rare words ("hộ chiếu", "CPI"); the everyday words of a question ("bao nhiêu", "là gì")
and the names of document kinds carry no topic. Rarity comes from the indexed passages themselves.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from retrieval.textnorm import fold

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
    ]
)
WORD_RE = re.compile(r"\w+")
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
    return {
        w
        for w in WORD_RE.findall(fold(text))
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
