"""The retrieval facade: one object that ingests, searches and answers.

The CLI, the bot, the LLM chain and the tests all go through `RetrievalEngine`; nothing outside `retrieval/`
touches Chroma, BM25 or the embedding model directly. The model is loaded lazily and once per process.
"""

from __future__ import annotations

import fcntl
import logging
import threading
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from pathlib import Path

from retrieval.catalog import Catalog
from retrieval.definitions import definition_answer
from retrieval.embeddings import Embedder, ModelBuilder, get_embedder
from retrieval.extractive import compose
from retrieval.followup import PREVIOUS, asks_for_more, context_sources, split_context, standalone
from retrieval.ingest import IngestReport, ingest
from retrieval.judge import Judge
from retrieval.routing import route
from retrieval.scope import EVERYONE, PUBLIC, Audience
from retrieval.search import HybridSearcher, QueryPlan
from retrieval.sentences import embed_candidates
from retrieval.settings import DEFAULT_QUERY_THREADS, RetrievalSettings
from retrieval.shorthand import expand_shorthand
from retrieval.store import Store
from retrieval.textnorm import nfc
from retrieval.types import Answer, Passage, SearchHit

MAX_QUERY_CHARS = 2000

log = logging.getLogger(__name__)


class QueryError(ValueError):
    """A query that cannot be searched (empty); the message is Vietnamese."""


def clean_query(query: str) -> str:
    """NFC, collapsed spaces, chat shorthand spelled out ("bn" → "bao nhiêu", retrieval.shorthand), clipped to
    a sane length (a pasted 10,000-character text still gets an answer)."""
    q = expand_shorthand(" ".join(nfc(query or "").split()))
    if not q or not any(ch.isalnum() for ch in q):
        raise QueryError("Câu hỏi trống. Anh/chị hãy nhập nội dung cần tra cứu.")
    return q[:MAX_QUERY_CHARS]


class RetrievalEngine:
    def __init__(
        self,
        index_dir: Path,
        default_corpus: Sequence[Path] = (),
        *,
        model: str | None = None,
        chroma_url: str | None = None,
        embedder: Embedder | None = None,
        judge: Judge | None = None,
        model_cache: Path | None = None,
        build_model: ModelBuilder | None = None,
        query_threads: int = DEFAULT_QUERY_THREADS,
        batch_threads: int | None = None,
    ) -> None:
        """`model`: TROLY_EMBEDDING_MODEL (None: the default model folder under `model_cache`, built by
        `build_model` when missing and one is given); `embedder` replaces the model altogether (tests,
        benchmarks). Threads: torch threads for one query / a batch of passages."""
        self.index_dir = Path(index_dir)
        self.default_corpus = [Path(p) for p in default_corpus]
        self._model_spec = model
        self._model_cache = model_cache
        self._build_model = build_model
        self._threads = (query_threads, batch_threads)
        self._chroma_url = chroma_url
        self._embedder = embedder
        self.judge = judge  # None: the shipped calibrated judge (retrieval/data/judge.json)
        self._store: Store | None = None
        self._searcher: HybridSearcher | None = None
        self._catalog: tuple[int, Catalog] | None = None
        self._lock = threading.RLock()
        self._sentences_checked = -1  # store version whose sentence vectors were checked

    @classmethod
    def from_settings(
        cls, settings: RetrievalSettings, *, build_model: ModelBuilder | None = None
    ) -> RetrievalEngine:
        """The engine of the parsed settings; `build_model` (the composition root's) builds a missing default
        model on first use."""
        return cls(
            settings.index_dir,
            settings.corpus,
            model=settings.embedding_model,
            chroma_url=settings.chroma_url,
            model_cache=settings.cache,
            build_model=build_model,
            query_threads=settings.query_threads,
            batch_threads=settings.batch_threads,
        )

    # -- lazy parts --------------------------------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            with self._lock:
                if self._embedder is None:
                    self._embedder = get_embedder(
                        self._model_spec,
                        cache=self._model_cache,
                        build_model=self._build_model,
                        query_threads=self._threads[0],
                        batch_threads=self._threads[1],
                    )
        return self._embedder

    @property
    def store(self) -> Store:
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store = Store(self.index_dir, self._chroma_url)
        return self._store

    @property
    def searcher(self) -> HybridSearcher:
        searcher = self._searcher
        if searcher is None:
            with self._lock:
                if self._searcher is None:
                    self._searcher = HybridSearcher(self.store, self.embedder)
                searcher = self._searcher
        return searcher

    def warmup(self) -> None:
        """Open every part a question touches, once and under the lock, before anyone says "ready".

        The model, the index (ingesting the default corpus if it is empty), the Chroma client and
        collection, the BM25 index and the structures derived from the passages (document keys, corpus
        statistics, accent restorer), then one real search through all of them. A burst of questions right
        after a start (updates queued while the bot was down arrive together) then finds nothing left to
        create lazily from several threads at once.
        """
        with self._lock:
            self.ensure_index()
            self.embedder.embed_queries(["khởi động"])
            store, searcher = self.store, self.searcher
            if store.passages:
                store.collection()
                self._log_vectors(store)
                searcher.stats()
                searcher.restorer()
                searcher.plan("Nghị quyết 9999-NQ/TW")  # document keys, and the mentions of unknown refs
                searcher.search("khoi dong nghi quyet 57", 1)
                self.catalog()  # document cards: built once per index version, not on the first question
                self.ask("khởi động")  # derived structures of the composer (rarity, accents, judge) once

    @staticmethod
    def _log_vectors(store: Store) -> None:
        """Say where dense search reads its vectors, and warn when some passages have none there (a Chroma
        server that is new or was emptied: those passages would only be found by their words)."""
        missing = len(store.missing_vectors())
        total = len(store.passages)
        if missing:
            log.warning(
                "Tìm theo nghĩa: %s thiếu vectơ của %d/%d đoạn (chỉ tìm được các đoạn này theo từ ngữ). "
                "Chạy `troly ingest` để bổ sung.",
                store.vectors_where(), missing, total,
            )  # fmt: skip
        else:
            log.info("Tìm theo nghĩa: %s, đủ vectơ của %d đoạn.", store.vectors_where(), total)

    @contextmanager
    def _file_lock(self):
        self.index_dir.mkdir(parents=True, exist_ok=True)
        with open(self.index_dir / ".lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    # -- operations --------------------------------------------------------------------------------------
    def ingest(
        self,
        paths: Sequence[Path] | None = None,
        *,
        progress: bool = False,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> IngestReport:
        """Index `paths` (default: the default corpus). `progress`: a progress bar on a terminal;
        `on_progress(done, total)`: called after each file embedded (for logs and non-terminal output)."""
        targets = [Path(p) for p in paths] if paths else self.default_corpus
        with self._lock, self._file_lock():
            report = ingest(self.store, self.embedder, targets, progress=progress, on_progress=on_progress)
            self._searcher = None
        return report

    def reload(self) -> None:
        """Read the index again from disk: another process changed it (a document added or removed in chat).

        The passage table, document bodies, manifest and lexical index are re-read into a new `Store`
        (under the index's file lock, so never half-written); derived caches (searcher, document cards)
        are dropped. Vectors live in Chroma: a Chroma server (TROLY_CHROMA_URL) shared by the processes
        already holds the new ones; with the embedded Chroma each process keeps the client it opened.
        """
        with self._lock, self._file_lock():
            old = self._store
            fresh = Store(self.index_dir, self._chroma_url)
            if old is not None:  # keep the open Chroma client: one per process and path
                fresh._client = old._client
                fresh.version = old.version + 1
            self._store = fresh
            self._searcher = None
            self._catalog = None

    def source_path(self, source: str) -> Path | None:
        """The file an indexed `source` was read from (the manifest's record), or None when not indexed."""
        entry = self.store.manifest.get("files", {}).get(source)
        return Path(entry["path"]) if entry and entry.get("path") else None

    def ensure_index(self) -> IngestReport | None:
        """First use on an empty index ingests the default corpus; a different model rebuilds it."""
        store = self.store
        stale = store.manifest.get("model_id") not in (None, self.embedder.model_id)
        if (not store.passages or stale) and self.default_corpus:
            return self.ingest(self.default_corpus)
        if self._sentences_checked != store.version:
            self._backfill_sentences()
            self._sentences_checked = store.version
        return None

    def _backfill_sentences(self) -> None:
        """An index made before quotes were chosen by meaning lacks the sentence vectors: embed them once
        (about a minute for the shipped corpus on two cores), under the index's file lock."""
        store = self.store
        missing = store.sentences.missing(store.passages)
        if not missing:
            return
        with self._lock, self._file_lock():
            missing = store.sentences.missing(store.passages)
            if not missing:
                return
            found = embed_candidates(self.embedder, [store.passages[pid] for pid in missing])
            for pid, vectors in found.items():
                store.sentences.set(pid, vectors)
            store.sentences.save()

    def search(
        self, query: str, k: int = 5, *, context_docs: Sequence[str] = (), audience: Audience = PUBLIC
    ) -> list[SearchHit]:
        return self.search_with_plan(query, k, context_docs=context_docs, audience=audience)[0]

    def search_with_plan(
        self, query: str, k: int = 5, *, context_docs: Sequence[str] = (), audience: Audience = PUBLIC
    ) -> tuple[list[SearchHit], QueryPlan]:
        """Top `k` (1–50) passages among the documents `audience` may read (default: unlimited ones only)."""
        q = clean_query(query)
        self.ensure_index()
        docs, _ = split_context(context_docs)
        return self.searcher.search(
            q,
            max(1, min(int(k), 50)),
            context_docs=docs,
            context_sources=context_sources(context_docs),
            audience=audience,
        )

    def catalog(self, audience: Audience = EVERYONE) -> Catalog:
        """Cards of the indexed documents `audience` may read (rebuilt when the index changes; the model is
        not needed). The default, every document, is for the operator's listings; answers pass the asker."""
        store = self.store
        if not store.passages:
            self.ensure_index()
        cached = self._catalog
        if cached is None or cached[0] != store.version:
            with self._lock:
                cached = (store.version, Catalog(store))
                self._catalog = cached
        return cached[1].restricted(store.allowed_sources(audience))

    def ask(self, question: str, *, context_docs: Sequence[str] = (), audience: Audience = PUBLIC) -> Answer:
        """Answer `question`; `context_docs` is what the previous answer's `referenced_docs` left (document
        numbers, and the previous question marked with `followup.PREVIOUS`), for follow-ups.

        A question about a named document's identity (who signed, when, which body) or one of its clauses is
        answered from the document card or the clause itself (`retrieval.routing`); every other question
        goes through search and the one composer. Only documents `audience` may read are used anywhere
        (search, routing, cards, whole sections): see `retrieval.scope`.
        """
        docs, previous = split_context(context_docs)
        q = clean_query(standalone(clean_query(question), previous, docs))
        routed = route(q, self.catalog(audience), docs)
        if routed is not None:
            routed.question = question
            routed.referenced_docs = (*routed.referenced_docs, PREVIOUS + q)
            return routed
        hits, plan = self.search_with_plan(q, 5, context_docs=context_docs, audience=audience)
        allowed = self.store.allowed_sources(audience)
        readable = (p for p in self.store.passages.values() if allowed is None or p.doc.source in allowed)
        answer = definition_answer(q, hits, plan, readable) or compose(
            q,
            hits,
            plan,
            self.searcher.stats(),
            self.judge,
            doc_passages=lambda source: self.document_passages(source, audience),
            detail=previous is not None and asks_for_more(question),
        )
        answer.question = question
        answer.referenced_docs = (*answer.referenced_docs, PREVIOUS + q)
        return answer

    def document_passages(self, source: str, audience: Audience = PUBLIC) -> list[Passage]:
        """Every passage of one source file, in document order ([] when `audience` may not read it)."""
        if not self.store.may_read(source, audience):
            return []
        found = [p for p in self.store.passages.values() if p.doc.source == source]
        return sorted(found, key=lambda p: p.position)

    def get_passage(self, passage_id: str, audience: Audience = PUBLIC) -> Passage | None:
        """One passage by id ("Xem nguyên văn"); None when unknown or when `audience` may not read it."""
        passage = self.store.passages.get(passage_id)
        if passage is None or not self.store.may_read(passage.doc.source, audience):
            return None
        return passage

    def document_cards(self, audience: Audience = EVERYONE) -> list[dict]:
        """`troly documents --json` entries: one card per indexed document (see retrieval.doc_cards)."""
        return [c.to_json() for c in self.catalog(audience).cards()]

    def find_documents(self, text: str, audience: Audience = EVERYONE) -> list[dict]:
        """Cards of the documents a free reference names ("57", "NQ 57", "221-KL/TW"), best first."""
        catalog = self.catalog(audience)
        return [catalog.card(s).to_json() for s in catalog.find(text)]  # type: ignore[union-attr]

    def documents(self, audience: Audience = EVERYONE) -> list[dict]:
        """One entry per indexed document `audience` may read (for listings and the task ↔ document link)."""
        seen: dict[str, dict] = {}
        for p in self.store.passages.values():
            if p.doc.source not in seen and not self.store.may_read(p.doc.source, audience):
                continue
            seen.setdefault(
                p.doc.source,
                {
                    "source": p.doc.source,
                    "title": p.doc.title,
                    "doc_number": p.doc.doc_number,
                    "doc_type": p.doc.doc_type,
                    "date": p.doc.date,
                },
            )
        return sorted(seen.values(), key=lambda d: d["source"])
