"""The retrieval facade: one object that ingests, searches and answers.

The CLI, the bot, the LLM chain and the tests all go through `RetrievalEngine`; nothing outside `retrieval/`
touches Chroma, BM25 or the embedding model directly. The model is loaded lazily and once per process.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from retrieval.answer import Thresholds, compose
from retrieval.embeddings import Embedder, get_embedder
from retrieval.ingest import IngestReport, ingest
from retrieval.search import HybridSearcher, QueryPlan
from retrieval.store import Store
from retrieval.textnorm import nfc
from retrieval.types import Answer, Passage, SearchHit

if TYPE_CHECKING:
    from troly.config import Settings

MAX_QUERY_CHARS = 2000


class QueryError(ValueError):
    """A query that cannot be searched (empty); the message is Vietnamese."""


def clean_query(query: str) -> str:
    """NFC, collapsed spaces, clipped to a sane length (a pasted 10,000-character text still gets an answer)."""
    q = " ".join(nfc(query or "").split())
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
        thresholds: Thresholds | None = None,
    ) -> None:
        self.index_dir = Path(index_dir)
        self.default_corpus = [Path(p) for p in default_corpus]
        self._model_spec = model
        self._chroma_url = chroma_url
        self._embedder = embedder
        self.thresholds = thresholds or Thresholds()
        self._store: Store | None = None
        self._searcher: HybridSearcher | None = None
        self._lock = threading.RLock()

    @classmethod
    def from_settings(cls, settings: Settings) -> RetrievalEngine:
        return cls(
            settings.index_dir,
            settings.corpus,
            model=settings.embedding_model,
            chroma_url=settings.chroma_url,
        )

    # -- lazy parts --------------------------------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            with self._lock:
                if self._embedder is None:
                    self._embedder = get_embedder(self._model_spec)
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
                searcher.stats()
                searcher.restorer()
                searcher.plan("Nghị quyết 9999-NQ/TW")  # document keys, and the mentions of unknown refs
                searcher.search("khoi dong nghi quyet 57", 1)

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
    def ingest(self, paths: Sequence[Path] | None = None, *, progress: bool = False) -> IngestReport:
        targets = [Path(p) for p in paths] if paths else self.default_corpus
        with self._lock, self._file_lock():
            report = ingest(self.store, self.embedder, targets, progress=progress)
            self._searcher = None
        return report

    def ensure_index(self) -> IngestReport | None:
        """First use on an empty index ingests the default corpus; a different model rebuilds it."""
        store = self.store
        stale = store.manifest.get("model_id") not in (None, self.embedder.model_id)
        if (not store.passages or stale) and self.default_corpus:
            return self.ingest(self.default_corpus)
        return None

    def search(self, query: str, k: int = 5, *, context_docs: Sequence[str] = ()) -> list[SearchHit]:
        return self.search_with_plan(query, k, context_docs=context_docs)[0]

    def search_with_plan(
        self, query: str, k: int = 5, *, context_docs: Sequence[str] = ()
    ) -> tuple[list[SearchHit], QueryPlan]:
        q = clean_query(query)
        self.ensure_index()
        return self.searcher.search(q, max(1, min(int(k), 50)), context_docs=context_docs)

    def ask(self, question: str, *, context_docs: Sequence[str] = ()) -> Answer:
        q = clean_query(question)
        hits, plan = self.search_with_plan(q, 5, context_docs=context_docs)
        answer = compose(q, hits, plan, self.searcher.stats(), self.thresholds)
        answer.question = question
        return answer

    def get_passage(self, passage_id: str) -> Passage | None:
        return self.store.passages.get(passage_id)

    def documents(self) -> list[dict]:
        """One entry per indexed document (for listings and the task ↔ document link)."""
        seen: dict[str, dict] = {}
        for p in self.store.passages.values():
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
