"""Retrieval quality and latency over a question file (docs/cli.md §3).

A question is a hit at rank r when the r-th passage contains any `answer_contains` string, compared after
NFC and case folding. Latency is measured per question with the model already loaded.
"""

from __future__ import annotations

import json
import statistics
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

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
