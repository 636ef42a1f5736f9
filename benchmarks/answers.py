"""Answer-level benchmark: what the official reads, by kind, next to two answer-level baselines.

    .venv/bin/python benchmarks/answers.py [--questions evals/answers_test.jsonl] [--home DIR] [--no-write]

Ours is `RetrievalEngine.ask` (the extractive answer with its calibrated judge), scored as
`troly eval --answers` scores it. The baselines, measured in the same run on the same chunks and model:
- the first sentence of the top plain-BM25 passage (bm25s' own tokenizer, our chunks);
- the top passage of the naive LangChain pipeline (RecursiveCharacterTextSplitter 1000/200 + Chroma + the same
  embeddings), shown whole.
Baselines never refuse and have no conversation (a follow-up is asked alone). Also: retrieval hit@5 on the
everyday-word paraphrases (ours and naive). Writes the `answers` section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.report import write_section  # noqa: E402
from benchmarks.retrieval import K, naive_langchain, rss_mb  # noqa: E402
from retrieval.chunking import split_sentences  # noqa: E402
from retrieval.engine import RetrievalEngine  # noqa: E402
from retrieval.evaluate import _fact_norm, evaluate_answers, first_hit_rank, load_questions  # noqa: E402
from troly.compose import benchmark_embedder  # noqa: E402

EVERYDAY = "everyday"


def _contains(text: str, facts: list[str]) -> bool:
    t = _fact_norm(text)
    return any(_fact_norm(f) in t for f in facts if f.strip())


def _share(values: list[bool]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def _fmt(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", default=str(ROOT / "evals/answers_test.jsonl"))
    ap.add_argument("--corpus", default=str(ROOT / "corpus"))
    ap.add_argument("--home", help="a TROLY_HOME whose index/ holds the corpus (default: a fresh ingest)")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()

    questions = [q for q in load_questions(Path(args.questions)) if q.extra.get("needs_review") is not True]
    corpus = Path(args.corpus)
    embedder = benchmark_embedder()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        index = Path(args.home) / "index" if args.home else work / "ours" / "index"
        engine = RetrievalEngine(index, [corpus], embedder=embedder)
        t0 = time.perf_counter()
        engine.ensure_index()
        ingest_s = time.perf_counter() - t0
        ours = evaluate_answers(engine, questions)
        rss = rss_mb()

        # baseline 1: first sentence of the top plain-BM25 passage, same chunks
        import bm25s

        ids = list(engine.store.passages)
        texts = [engine.store.passages[i].text for i in ids]
        plain = bm25s.BM25()
        plain.index(bm25s.tokenize(texts, stopwords=None, show_progress=False), show_progress=False)

        def bm25_first_sentence(q: str) -> str:
            docs, _ = plain.retrieve(
                bm25s.tokenize([q], stopwords=None, show_progress=False), k=1, show_progress=False
            )
            text = texts[int(docs[0][0])]
            sentences = [s for line in text.split("\n") for s in split_sentences(line) if s.strip()]
            return sentences[0] if sentences else text

        naive_search, _, _ = naive_langchain(corpus, embedder, work)

        rows = []
        for q in questions:
            bm = bm25_first_sentence(q.question)
            naive_top = naive_search(q.question)
            row = {
                "kind": q.extra.get("kind") or "—",
                "answerable": bool(q.answer_contains),
                "bm25": bool(q.answer_contains) and _contains(bm, q.answer_contains),
                "naive": bool(q.answer_contains)
                and bool(naive_top)
                and _contains(naive_top[0], q.answer_contains),
            }
            if row["kind"] == EVERYDAY and q.answer_contains:
                row["ours_hit5"] = (
                    first_hit_rank(
                        [h.passage.text for h in engine.search(q.question, k=K)], q.answer_contains
                    )
                    is not None
                )
                row["naive_hit5"] = first_hit_rank(naive_top, q.answer_contains) is not None
            rows.append(row)

    kinds = sorted(ours["by_kind"])
    lines = [
        "## Answers (what the official reads)",
        "",
        f"`benchmarks/answers.py` on `evals/{Path(args.questions).name}` ({ours['n']} questions), "
        f"{datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, {os.cpu_count()} CPUs; model loaded once. "
        "`fact` = share of answerable questions whose answer text holds the expected string (a refusal never "
        "does); `answered` = share of answerable questions answered; `refused` = share of unanswerable "
        "questions refused. Baselines never refuse and ask follow-ups alone.",
        "",
        "| kind | n | ours: fact | ours: answered | ours: refused | BM25 first sentence: fact | naive LangChain top passage: fact |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]

    def base(kind: str | None, key: str) -> float | None:
        sel = [r[key] for r in rows if r["answerable"] and (kind is None or r["kind"] == kind)]
        return _share(sel)

    for kind in kinds:
        f = ours["by_kind"][kind]
        lines.append(
            f"| {kind} | {f['n']} | {_fmt(f['answer_has_fact'])} | {_fmt(f['grounded'])} | "
            f"{_fmt(f['refused_unanswerable'])} | {_fmt(base(kind, 'bm25'))} | {_fmt(base(kind, 'naive'))} |"
        )
    lines.append(
        f"| **all** | {ours['n']} | **{_fmt(ours['answer_has_fact'])}** | {_fmt(ours['grounded'])} | "
        f"{_fmt(ours['refused_unanswerable'])} | {_fmt(base(None, 'bm25'))} | {_fmt(base(None, 'naive'))} |"
    )
    everyday = [r for r in rows if "ours_hit5" in r]
    lines += [
        "",
        f"- everyday-word paraphrases, retrieval hit@5: ours {_fmt(_share([r['ours_hit5'] for r in everyday]))}, "
        f"naive LangChain {_fmt(_share([r['naive_hit5'] for r in everyday]))}",
        f"- `ask` latency (model loaded): p50 {ours['p50_ms']} ms, p95 {ours['p95_ms']} ms; index "
        f"{'reused' if args.home else 'ingested fresh'} in {ingest_s:.1f} s; resident memory {rss:.0f} MB",
    ]

    def mark(ok: bool | None) -> str:
        return "—" if ok is None else ("✅" if ok else "❌")

    fact, everyday_fact = ours["answer_has_fact"], ours["by_kind"].get(EVERYDAY, {}).get("answer_has_fact")
    worst = min(
        (f["answer_has_fact"] for f in ours["by_kind"].values() if f["answer_has_fact"] is not None),
        default=None,
    )
    hit5 = _share([r["ours_hit5"] for r in everyday])
    refused_ok = None if ours["grounded"] is None else 1 - ours["grounded"]
    accented = [
        f["answer_has_fact"]
        for k, f in ours["by_kind"].items()
        if k != "no_diacritics" and f["answer_has_fact"]
    ]
    plain = ours["by_kind"].get("no_diacritics", {}).get("answer_has_fact")
    ratio = plain / (sum(accented) / len(accented)) if plain is not None and accented else None
    lines += [
        "",
        "| target | measured | |",
        "| --- | --- | --- |",
        f"| answer_has_fact ≥ 0.90 overall | {_fmt(fact)} | {mark(fact is not None and fact >= 0.90)} |",
        f"| ≥ 0.85 for every kind | worst {_fmt(worst)} | {mark(worst is not None and worst >= 0.85)} |",
        f"| everyday words: hit@5 ≥ 0.90 | {_fmt(hit5)} | {mark(hit5 is not None and hit5 >= 0.90)} |",
        f"| everyday words: answer_has_fact ≥ 0.75 | {_fmt(everyday_fact)} | "
        f"{mark(everyday_fact is not None and everyday_fact >= 0.75)} |",
        f"| answerable refused ≤ 3% | {_fmt(refused_ok)} | {mark(refused_ok is not None and refused_ok <= 0.03)} |",
        f"| near misses refused ≥ 90% | {_fmt(ours['refused_unanswerable'])} | "
        f"{mark(ours['refused_unanswerable'] is not None and ours['refused_unanswerable'] >= 0.90)} |",
        f"| without diacritics ≥ 0.95 × accented | {_fmt(ratio)} × | {mark(ratio is not None and ratio >= 0.95)} |",
        f"| `ask` p95 ≤ 150 ms | {ours['p95_ms']} ms | {mark(ours['p95_ms'] is not None and ours['p95_ms'] <= 150)} |",
        f"| resident memory ≤ 1.5 GB | {rss:.0f} MB | {mark(rss <= 1536)} |",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section(ROOT / "docs" / "benchmarks.md", "answers", text)


if __name__ == "__main__":
    main()
