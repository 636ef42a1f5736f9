"""Checking the model's answer against the passages it cites: markers valid and present, not declared
unanswerable, and the figures and topic words of every cited sentence standing in its passages."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from retrieval.chunking import split_sentences
from retrieval.evidence import STOPWORDS, WORD_RE
from retrieval.textnorm import fold
from retrieval.types import Passage

if TYPE_CHECKING:
    pass

from retrieval.llm.prompt import NOT_FOUND_MARKER

# A cited sentence must share at least this share of its topic words with the passages it cites.
MIN_SUPPORT = 0.3
MIN_TERMS_FOR_SUPPORT = 4


THINK_BLOCK = re.compile(r"<think>.*?(?:</think>|\Z)", re.DOTALL | re.IGNORECASE)
_LEAD_LABEL = re.compile(r"^\s*(?:trả lời|câu trả lời)\s*:\s*", re.IGNORECASE)
_SOURCES_LINE = re.compile(
    r"^\s*(?:[-*#]+\s*)?(?:nguồn(?: tham khảo| trích dẫn)?|tài liệu tham khảo|trích dẫn|sources?)\s*(?::.*)?$",
    re.IGNORECASE,
)
_SOURCE_ITEM = re.compile(r"^\s*(?:[-*•]\s*)?\[\d{1,2}\]")
_MARKER = re.compile(
    r"\[\s*(?:(?:tài liệu|tai_lieu|đoạn|nguồn|doc|source)\s*)?"
    r"(\d{1,2}(?:\s*(?:,|;|-|–|và)\s*(?:(?:tài liệu|đoạn)\s*)?\d{1,2})*)\s*\]",
    re.IGNORECASE,
)
_MARKER_NUM = re.compile(r"\d{1,2}")
_RANGE = re.compile(r"(\d{1,2})\s*[-–]\s*(\d{1,2})")
_ENUMERATOR = re.compile(r"^\s*(?:[-•*+]\s*|\(?(?:\d{1,2}|[a-zđ]|[ivx]{1,4})[.)]\s+)", re.IGNORECASE)
_NUMBER = re.compile(r"\d{1,3}(?:[.,]\d{3})+(?!\d)|\d+")
_WORD = WORD_RE
# Function words that say nothing about a claim's topic: the same list the extractive answer uses.
_STOPWORDS = STOPWORDS
_NOT_FOUND_WORDS = {"khong co thong tin", "khong_co_thong_tin", "khong tim thay thong tin"}


def _marker_numbers(group: str) -> list[int]:
    nums: list[int] = []
    for m in _RANGE.finditer(group):
        a, b = int(m.group(1)), int(m.group(2))
        if a <= b <= a + 10:
            nums.extend(range(a, b + 1))
    rest = _RANGE.sub(" ", group)
    nums.extend(int(x) for x in _MARKER_NUM.findall(rest))
    return list(dict.fromkeys(nums))


def _numbers(text: str) -> set[str]:
    """Figures in a text, normalised: "2.000" → {"2000", "2", "0"}; "05" → "5"."""
    out: set[str] = set()
    for m in _NUMBER.finditer(text):
        raw = m.group(0)
        pieces = re.split(r"[.,]", raw)
        out.add(str(int("".join(pieces))))
        out.update(str(int(p)) for p in pieces if p)
    return out


def _claim_numbers(text: str) -> set[str]:
    """Figures a sentence asserts: grouped numbers stay whole ("2.000" → "2000")."""
    return {str(int(re.sub(r"[.,]", "", m.group(0)))) for m in _NUMBER.finditer(text)}


def content_terms(text: str) -> set[str]:
    """Topic words of a text: folded, without function words and figures."""
    return {w for w in _WORD.findall(fold(text)) if w not in _STOPWORDS and not w.isdigit()}


def best_sentences(claims: str, passage: Passage, limit: int = 2, max_chars: int = 450) -> str:
    """The passage sentences closest to what the answer says about it (the quote shown with a citation)."""
    terms = content_terms(claims)
    sentences = [s for line in passage.text.split("\n") for s in split_sentences(line.strip())] or [
        passage.text
    ]
    scored = sorted(
        ((len(terms & content_terms(s)), -i, s) for i, s in enumerate(sentences)),
        key=lambda x: x[:2],
        reverse=True,
    )
    chosen: list[tuple[int, str]] = []
    total = 0
    for score, neg_i, s in scored[:limit]:
        if chosen and (score == 0 or total + len(s) > max_chars):
            break
        chosen.append((-neg_i, s))
        total += len(s)
    quote = " ".join(s for _, s in sorted(chosen))
    if len(quote) > max_chars:
        cut = quote[:max_chars]
        quote = (cut[: cut.rfind(" ")] if " " in cut else cut) + "…"
    return quote


def _passage_facts(p: Passage) -> str:
    d = p.doc
    return " ".join(x for x in (p.text, p.section, p.section_ref, d.title, d.doc_number, d.date or "") if x)


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    reason: str  # "ok" | "empty" | "unanswerable" | "invalid_citation" | "no_citation" | ...
    text: str = ""  # the cleaned answer, markers renumbered in order of first use
    cited: tuple[int, ...] = ()  # given passage numbers (1-based), in the new order
    claims: dict[int, list[str]] = field(default_factory=dict)  # given passage number → sentences citing it
    detail: str = ""


def _clean(raw: str) -> str:
    text = THINK_BLOCK.sub("", raw or "").replace("\r\n", "\n").replace("**", "").replace("__", "").strip()
    text = _LEAD_LABEL.sub("", text)
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if i > 0 and _SOURCES_LINE.match(line):
            lines = lines[:i]  # the model's own list of sources: citations come from metadata only
            break
    while len(lines) > 1 and (_SOURCE_ITEM.match(lines[-1]) or not lines[-1].strip()):
        lines.pop()  # a trailing list "[1] Nghị quyết …" without a header: the model's own sources again
    text = "\n".join(lines)
    text = re.sub(r"^\s{0,3}#{1,6}\s+", "", text, flags=re.MULTILINE)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _units(text: str) -> list[tuple[str, list[int]]]:
    """(sentence, the passage numbers it cites); a sentence without markers borrows those of the next cited
    sentence of its paragraph (a citation at the end of a paragraph covers the sentences before it)."""
    out: list[tuple[str, list[int]]] = []
    for para in re.split(r"\n\s*\n", text):
        units: list[tuple[str, list[int]]] = []
        for line in para.split("\n"):
            line = line.strip()
            if not line:
                continue
            for sentence in split_sentences(line) or [line]:
                nums: list[int] = []
                for m in _MARKER.finditer(sentence):
                    nums.extend(_marker_numbers(m.group(1)))
                units.append((sentence, list(dict.fromkeys(nums))))
        resolved: list[tuple[str, list[int]]] = []
        pending: list[int] = []
        for sentence, nums in reversed(units):
            if nums:
                pending = nums
            resolved.append((sentence, nums or pending))
        out.extend(reversed(resolved))
    return out


def check_answer(raw: str, passages: Sequence[Passage], question: str = "") -> CheckResult:
    """Accept the model's answer only if every claim is cited to a given passage that supports it."""
    text = _clean(raw)
    if not text:
        return CheckResult(False, "empty")
    if (
        NOT_FOUND_MARKER.casefold() in text.casefold()
        or fold(_MARKER.sub("", text)).strip(" .!") in _NOT_FOUND_WORDS
    ):
        return CheckResult(False, "unanswerable")
    n = len(passages)
    all_nums: list[int] = []
    for m in _MARKER.finditer(text):
        all_nums.extend(_marker_numbers(m.group(1)))
    bad = sorted({x for x in all_nums if not 1 <= x <= n})
    if bad:
        return CheckResult(False, "invalid_citation", detail=f"cited {bad}, given 1..{n}")
    if not all_nums:
        return CheckResult(False, "no_citation")

    q_numbers = _numbers(question)
    facts = [_passage_facts(p) for p in passages]
    fact_numbers = [_numbers(f) for f in facts]
    fact_words = [set(_WORD.findall(fold(f))) for f in facts]
    claims: dict[int, list[str]] = {}
    for sentence, nums in _units(text):
        body = _ENUMERATOR.sub("", _MARKER.sub(" ", sentence))
        figures = _claim_numbers(body)
        if not nums:
            if figures - q_numbers:
                return CheckResult(False, "uncited_claim", detail=sentence[:200])
            continue
        allowed = set(q_numbers).union(*(fact_numbers[i - 1] for i in nums))
        missing = figures - allowed
        if missing:
            return CheckResult(False, "unsupported_number", detail=f"{sorted(missing)} in {sentence[:200]!r}")
        terms = content_terms(body)
        if len(terms) >= MIN_TERMS_FOR_SUPPORT:
            words = set().union(*(fact_words[i - 1] for i in nums))
            if len(terms & words) / len(terms) < MIN_SUPPORT:
                return CheckResult(False, "unsupported_claim", detail=sentence[:200])
        for i in nums:
            claims.setdefault(i, []).append(body)

    order = list(dict.fromkeys(all_nums))
    new_number = {old: new for new, old in enumerate(order, 1)}

    def renumber(m: re.Match) -> str:
        return "".join(f"[{new_number[x]}]" for x in _marker_numbers(m.group(1)))

    text = _MARKER.sub(renumber, text)
    text = re.sub(r"[ \t]+(?=\[\d)", " ", text)
    return CheckResult(True, "ok", text=text, cited=tuple(order), claims=claims)
