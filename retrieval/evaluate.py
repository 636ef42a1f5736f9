"""Retrieval quality, answer quality and latency over a question file (docs/cli.md §3).

A question is a hit at rank r when the r-th passage contains any `answer_contains` string, compared after
NFC and case folding. Latency is measured per question with the model already loaded.
"""

from __future__ import annotations

import json
import statistics
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from retrieval.scope import PUBLIC, Audience

if TYPE_CHECKING:
    from retrieval.engine import RetrievalEngine


class EvalFileError(ValueError):
    """A malformed question file (message in Vietnamese, with the line number)."""


def _norm(s: str) -> str:
    return unicodedata.normalize("NFC", s).casefold()


@dataclass
class EvalQuestion:
    question: str
    answer_contains: list[str]
    extra: dict = field(default_factory=dict)


def load_questions(path: Path) -> list[EvalQuestion]:
    if not path.exists():
        raise EvalFileError(f"Không tìm thấy tệp câu hỏi: {path}")
    out: list[EvalQuestion] = []
    for n, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalFileError(f"Dòng {n} của {path.name} không phải JSON hợp lệ: {exc.msg}") from exc
        if (
            not isinstance(obj, dict)
            or not isinstance(obj.get("question"), str)
            or not obj["question"].strip()
        ):
            raise EvalFileError(f'Dòng {n} của {path.name}: thiếu trường "question" (chuỗi).')
        answers = obj.get("answer_contains", [])
        if isinstance(answers, str):
            answers = [answers]
        if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
            raise EvalFileError(f'Dòng {n} của {path.name}: "answer_contains" phải là danh sách chuỗi.')
        rest = {k: v for k, v in obj.items() if k not in {"question", "answer_contains"}}
        out.append(EvalQuestion(obj["question"], answers, rest))
    if not out:
        raise EvalFileError(f"Tệp {path.name} không có câu hỏi nào.")
    return out


def first_hit_rank(texts: list[str], answers: list[str]) -> int | None:
    wanted = [_norm(a) for a in answers if a.strip()]
    for rank, text in enumerate(texts, start=1):
        t = _norm(text)
        if any(a in t for a in wanted):
            return rank
    return None


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def evaluate(engine: RetrievalEngine, questions: list[EvalQuestion], k: int = 5) -> dict:
    engine.warmup()
    ranks: list[int | None] = []
    latencies: list[float] = []
    details = []
    for q in questions:
        t0 = time.perf_counter()
        hits = engine.search(q.question, k=k)
        latencies.append((time.perf_counter() - t0) * 1000)
        rank = first_hit_rank([h.passage.text for h in hits], q.answer_contains)
        ranks.append(rank)
        details.append({"question": q.question, "rank": rank, **q.extra})
    n = len(questions)
    scored = [r for r, q in zip(ranks, questions, strict=True) if q.answer_contains]
    m = len(scored) or 1
    return {
        "n": n,
        "hit_at_1": round(sum(1 for r in scored if r == 1) / m, 4),
        "hit_at_k": round(sum(1 for r in scored if r is not None and r <= k) / m, 4),
        "mrr": round(sum(1.0 / r for r in scored if r) / m, 4),
        "k": k,
        "p50_ms": round(_percentile(latencies, 50), 2),
        "p95_ms": round(_percentile(latencies, 95), 2),
        "details": details,
    }


# -- answer-level evaluation (what the official reads) ---------------------------------------------------


def _fact_norm(s: str) -> str:
    """NFC, case folding and collapsed spaces: how an expected fact is looked for in an answer."""
    return " ".join(_norm(s).split())


def is_refused(answer) -> bool:
    """A refusal, whatever its wording: not grounded and without any citation."""
    return not getattr(answer, "grounded", False) and not getattr(answer, "citations", None)


def has_fact(answer, facts: list[str]) -> bool:
    """True when the answer text (not a refusal) contains any expected string after `_fact_norm`."""
    if is_refused(answer):
        return False
    text = _fact_norm(getattr(answer, "text", "") or "")
    return any(_fact_norm(f) in text for f in facts if f.strip())


def ask_in_conversation(answerer, question: str, earlier: Sequence[str] = (), *, audience: Audience = PUBLIC):
    """Ask `earlier` questions then `question` in one conversation, as the bot does, for `audience`.

    The bot passes the documents the previous answer referred to (`Answer.referenced_docs`) as
    `context_docs` of the next question; an answer that names none keeps the earlier context. Returns the
    last `Answer`.
    """
    docs = context_after(answerer, earlier, audience=audience)
    return answerer.ask(question, context_docs=docs, audience=audience)


def context_after(answerer, earlier: Sequence[str], *, audience: Audience = PUBLIC) -> tuple[str, ...]:
    """The follow-up context (document numbers) left by asking `earlier` questions in order."""
    docs: tuple[str, ...] = ()
    for q in earlier:
        answer = answerer.ask(q, context_docs=docs, audience=audience)
        docs = tuple(getattr(answer, "referenced_docs", ()) or ()) or docs
    return docs


def _group_figures(rows: list[dict]) -> dict:
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    lat = [r["ms"] for r in rows]

    def share(items: list[dict], key: str) -> float | None:
        return round(sum(1 for r in items if r[key]) / len(items), 4) if items else None

    return {
        "n": len(rows),
        "answer_has_fact": share(answerable, "has_fact"),
        "grounded": share(answerable, "answered"),
        "refused_unanswerable": share(unanswerable, "refused"),
        "p50_ms": round(_percentile(lat, 50), 2) if lat else None,
        "p95_ms": round(_percentile(lat, 95), 2) if lat else None,
    }


def evaluate_answers(answerer, questions: list[EvalQuestion]) -> dict:
    """Run `ask` on every line (after its optional `history`) and score the answer text.

    Shape: `{"n", "answer_has_fact", "grounded", "refused_unanswerable", "p50_ms", "p95_ms",
    "by_kind": {kind: {same keys}}, "details": [...]}`. Shares are in [0, 1] (4 decimals) or `None` for an
    empty group; latency is of the last question only (ms). Lines with `"needs_review": true` are skipped.
    """
    warm = getattr(answerer, "warmup", None)
    if callable(warm):
        warm()
    rows: list[dict] = []
    for q in questions:
        if q.extra.get("needs_review") is True:
            continue
        history = q.extra.get("history") or []
        if isinstance(history, str):
            history = [history]
        docs = context_after(answerer, [h for h in history if isinstance(h, str)])
        t0 = time.perf_counter()
        answer = answerer.ask(q.question, context_docs=docs)
        ms = (time.perf_counter() - t0) * 1000
        refused = is_refused(answer)
        rows.append(
            {
                "question": q.question,
                "kind": q.extra.get("kind"),
                "answerable": bool(q.answer_contains),
                "answered": not refused,
                "refused": refused,
                "has_fact": bool(q.answer_contains) and has_fact(answer, q.answer_contains),
                "ms": ms,
                "answer": answer.text,
            }
        )
    result = _group_figures(rows)
    kinds = sorted({r["kind"] for r in rows if isinstance(r["kind"], str)})
    result["by_kind"] = {k: _group_figures([r for r in rows if r["kind"] == k]) for k in kinds}
    result["details"] = rows
    return result
