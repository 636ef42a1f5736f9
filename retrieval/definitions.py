"""Definitions: "Doanh nghiệp khởi nghiệp sáng tạo là gì?", "Theo NQ 198 thì hộ kinh doanh được hiểu thế nào?".

Laws and resolutions define their terms in one sentence that opens with the term ("2. Hộ kinh doanh là loại hình
kinh doanh do …", usually under "Giải thích từ ngữ"). That sentence is the answer, wherever it sits: search ranks
passages that mention the term often above the one that defines it, so the defining sentence is looked up
directly among every passage the asker may read (a few hundred to a few thousand lines: a scan, no index).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from retrieval.citations import format_citation_label
from retrieval.lexicon import default_lexicon
from retrieval.search import QueryPlan
from retrieval.textnorm import fold
from retrieval.types import Answer, Citation, Passage, SearchHit

# "X là gì", "X được hiểu (là gì / thế nào / như thế nào)", "X nghĩa là gì", "khái niệm X", "định nghĩa X"
_ASKED = re.compile(
    r"^(?:(?:theo|trong)\s+.{1,40}?\s+(?:thi|,)\s+)?(?:khai niem|dinh nghia)?\s*(?P<term>.+?)\s+"
    r"(?:la gi|la cai gi|la sao|(?:duoc )?hieu (?:la gi|la sao|the nao|nhu the nao|ra sao|la (?:loai|kieu) .{1,25} nao)|"
    r"nghia la gi|nghia la sao|co nghia la gi|la nhu the nao|la (?:loai|kieu) .{1,25} nao)\b"
)
# "… theo NQ 198", "… trong Nghị quyết 198/2025/QH15": where the term is defined, not part of it
_WHERE = re.compile(r"\s+(?:theo|trong|cua|tai)\s+(?:nq|kl|nghi quyet|ket luan|thong bao|luat|van ban|\d).*$")
_LEADING = re.compile(r"^(?:cho (?:em|minh|toi) hoi|xin hoi|anh chi oi|cho hoi)\s*,?\s*")
_MARK = re.compile(r"^\s*(?:\d{1,2}[.)]|[a-zđ]\)|[-+•])\s*")
MIN_TERM_WORDS = 2  # "X là gì" with a one-word X ("AI là gì") is too loose to look up by its opening words


def asked_term(question: str) -> str | None:
    """The folded term a definition question asks about, or None: "Theo NQ 198 thì hộ kinh doanh được hiểu thế
    nào?" → "ho kinh doanh"."""
    # "dn khởi nghiệp sáng tạo là gì": abbreviations written out first, as the documents define them
    q = _LEADING.sub("", fold(default_lexicon().rewrite(question)).strip().rstrip("?!. "))
    m = _ASKED.match(q)
    if m is None:
        return None
    term = _WHERE.sub("", re.sub(r"\s+", " ", m.group("term"))).strip(" ,")
    words = term.split()
    if len(words) < MIN_TERM_WORDS or len(words) > 8:
        return None
    return term


def defining_sentence(term: str, passages: Iterable[Passage]) -> tuple[Passage, str] | None:
    """The first line, in document order, that opens with `term` followed by "là" ("2. Hộ kinh doanh là …"), as
    (passage, its first sentence); None when no passage defines the term."""
    head = re.compile(rf"^{re.escape(term)}\s+(?:la|duoc hieu la)\s")
    for passage in sorted(passages, key=lambda p: (p.doc.source, p.position)):
        for line in passage.text.split("\n"):
            plain = _MARK.sub("", line.strip())
            if head.match(fold(plain)):
                end = re.search(r"[.;](?=\s|$)", plain)
                return passage, plain[: end.end()] if end else plain
    return None


def definition_answer(
    question: str, hits: list[SearchHit], plan: QueryPlan, passages: Iterable[Passage]
) -> Answer | None:
    """The defining sentence of the asked term as a cited answer, or None (not a definition question, or no
    passage defines the term). `passages` are those the asker may read; a question naming documents ("theo NQ
    198") is answered from those documents only."""
    term = asked_term(question)
    if term is None:
        return None
    named = set(plan.ref_sources)
    found = defining_sentence(term, (p for p in passages if not named or p.doc.source in named))
    if found is None:
        return None
    passage, sentence = found
    cit = Citation.from_passage(passage, quote=sentence)
    return Answer(
        question=question,
        text=f"Theo {format_citation_label(cit)}: {sentence}",
        citations=[cit],
        grounded=True,
        hits=hits,
        referenced_docs=tuple(filter(None, [passage.doc.doc_number])),
    )
