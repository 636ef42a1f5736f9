"""Extractive answers: the best one to three sentences of the top passages, each with its citation.

No LLM is involved, so nothing is invented: every word of the answer stands in a cited passage. When the
evidence is weak, or the question names a document the corpus does not hold, the answer says so and is
marked `grounded = False` instead of quoting something unrelated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval.chunking import split_sentences
from retrieval.citations import format_citation_label
from retrieval.evidence import STOPWORDS, WORD_RE, CorpusStats, weighted_coverage
from retrieval.search import QueryPlan
from retrieval.textnorm import fold
from retrieval.types import Answer, Citation, SearchHit

NOT_FOUND = (
    "Chưa tìm thấy thông tin này trong kho văn bản. Anh/chị có thể hỏi lại cụ thể hơn "
    "(nêu số hiệu văn bản, ví dụ “Nghị quyết 57-NQ/TW”) hoặc liên hệ bộ phận chuyên môn."
)


@dataclass(frozen=True)
class Thresholds:
    """Evidence needed to answer; calibrated on evals/dev_*.jsonl (see benchmarks/retrieval.py).

    `min_weighted_coverage`: share of the question's topic words, weighted by how rare they are in the corpus,
    that one of the top passages contains. A question whose distinctive words the passages lack is about
    something else, however similar its vectors look. `min_dense`: cosine floor for the best passage.
    """

    min_weighted_coverage: float = 0.6
    min_dense: float = 0.86


def is_grounded(
    question: str, hits: list[SearchHit], plan: QueryPlan, th: Thresholds, stats: CorpusStats
) -> bool:
    if not hits:
        return False
    if plan.unknown_refs and not plan.ref_sources and not plan.mentions:
        return False
    top = hits[:3]
    cov = max(weighted_coverage(question, h.passage.indexed_text, stats) for h in top)
    dense = max(h.dense for h in top)
    return cov >= th.min_weighted_coverage and dense >= th.min_dense


LONG_SENTENCE = 220  # characters; longer sentences are offered clause by clause (at "; ")


def _sentences(text: str) -> list[str]:
    """Answer candidates: sentences, table rows, and the clauses of long enumerating sentences."""
    out: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if not line or re.match(r"^\|[\s:|-]+\|?$", line):
            continue
        if line.startswith("|"):
            out.append(line)
            continue
        for sentence in split_sentences(line):
            if len(sentence) > LONG_SENTENCE and "; " in sentence:
                out.extend(c.strip() for c in sentence.split("; ") if c.strip())
            else:
                out.append(sentence)
    return out


def _sentence_score(q_terms: set[str], q_bigrams: set[str], sentence: str) -> float:
    words = WORD_RE.findall(fold(sentence))
    if not words:
        return 0.0
    wset = set(words)
    bigrams = {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}
    uni = len(q_terms & wset)
    bi = len(q_bigrams & bigrams)
    score = (uni + 1.5 * bi) * (1.0 if len(words) >= 6 else 0.5)
    tail = sentence.rstrip()[-1:]
    if tail == "?":
        score *= 0.2  # an article's rhetorical question repeats the query but answers nothing
    elif tail == ":":
        score *= 0.5  # a lead-in ("… như sau:") announces the answer without giving it
    return score


_DATE_IN_TEXT = re.compile(
    r"\d{1,2}/\d{1,2}/\d{4}|ngày \d{1,2} tháng \d{1,2}|tháng \d{1,2}(/| năm )\d{4}|năm \d{4}"
)
_ASKS_DATE = re.compile(r"\b(ngay nao|khi nao|bao gio|thoi han|han chot|truoc ngay|thoi gian nao|nam nao)\b")
_ASKS_NUMBER = re.compile(r"\b(bao nhieu|may|ty le|phan tram|muc)\b")


def _answer_type_factor(question_folded: str, sentence: str) -> float:
    """A "when" question is answered by a sentence with a date, a "how many" one by a sentence with a number."""
    if _ASKS_DATE.search(question_folded):
        return 1.5 if _DATE_IN_TEXT.search(sentence) else 1.0
    if _ASKS_NUMBER.search(question_folded):
        return 1.3 if re.search(r"\d", sentence) else 1.0
    return 1.0


def select_sentences(question: str, hits: list[SearchHit], limit: int = 3, max_chars: int = 600):
    """Pick up to `limit` sentences from the top passages, best first, as (hit, sentence) pairs.

    Further sentences must score close to the best one (and closer still when they come from another
    passage), so the answer stays on the point instead of collecting loosely related lines.
    """
    q_folded = fold(question)
    q_words = [w for w in WORD_RE.findall(q_folded) if w not in STOPWORDS]
    q_terms = set(q_words)
    q_bigrams = {f"{a} {b}" for a, b in zip(q_words, q_words[1:], strict=False)}
    scored: list[tuple[float, int, int, SearchHit, str]] = []
    for hi, hit in enumerate(hits[:3]):
        for si, sentence in enumerate(_sentences(hit.passage.text)):
            s = _sentence_score(q_terms, q_bigrams, sentence) * (1.0 - 0.15 * hi)
            s *= _answer_type_factor(q_folded, sentence)
            scored.append((s, hi, si, hit, sentence))
    scored.sort(key=lambda x: (-x[0], x[1], x[2]))
    chosen: list[tuple[float, int, int, SearchHit, str]] = []
    total = 0
    for item in scored:
        if len(chosen) >= limit:
            break
        if chosen:
            best = chosen[0]
            needed = 0.6 if item[1] == best[1] else 0.8
            if item[0] < best[0] * needed:
                break
            if total + len(item[4]) > max_chars:
                continue
        chosen.append(item)
        total += len(item[4])
    if not chosen and hits:
        first = _sentences(hits[0].passage.text)
        if first:
            chosen = [(0.0, 0, 0, hits[0], first[0])]
    chosen.sort(key=lambda x: (x[1], x[2]))
    return [(c[3], c[4]) for c in chosen]


def _clip(sentence: str, limit: int = 450) -> str:
    if len(sentence) <= limit:
        return sentence
    cut = sentence[:limit]
    return cut[: cut.rfind(" ")] + "…"


def compose(
    question: str, hits: list[SearchHit], plan: QueryPlan, stats: CorpusStats, th: Thresholds | None = None
) -> Answer:
    th = th or Thresholds()
    # canonical numbers of the named documents that were found ("NQ 57" → "57-NQ/TW"), for follow-up context
    in_refs = set(plan.ref_sources)
    found = [
        h.passage.doc.doc_number for h in hits if h.passage.doc.source in in_refs and h.passage.doc.doc_number
    ]
    referenced = tuple(dict.fromkeys(found)) or tuple(r.full or r.display() for r in plan.refs)
    if not is_grounded(question, hits, plan, th, stats):
        text = NOT_FOUND
        if plan.unknown_refs and not plan.ref_sources and not plan.mentions:
            names = ", ".join(r.display() for r in plan.unknown_refs)
            text = (
                f"Kho văn bản hiện chưa có {names}, nên chưa thể trả lời dựa trên văn bản này. " + NOT_FOUND
            )
        return Answer(
            question=question, text=text, citations=[], grounded=False, hits=hits, referenced_docs=referenced
        )

    picked = select_sentences(question, hits)
    by_passage: dict[str, tuple[SearchHit, list[str]]] = {}
    for hit, sentence in picked:
        by_passage.setdefault(hit.passage.id, (hit, []))[1].append(_clip(sentence))
    parts: list[str] = []
    citations: list[Citation] = []
    for hit, sentences in by_passage.values():
        quote = sentences[0]
        for piece in sentences[1:]:
            # clauses cut at "; " get it back; whole sentences already end with their own stop
            quote += (" " if quote.rstrip()[-1:] in ".!?…:" else "; ") + piece
        cit = Citation.from_passage(hit.passage, quote=quote)
        citations.append(cit)
        parts.append(f"Theo {format_citation_label(cit)}: {quote}")
    doc_refs = tuple(dict.fromkeys(c.doc_number for c in citations if c.doc_number))
    return Answer(
        question=question,
        text="\n\n".join(parts),
        citations=citations,
        grounded=True,
        hits=hits,
        referenced_docs=referenced or doc_refs,
    )
