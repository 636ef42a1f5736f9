"""LangChain faces of the retrieval core: a `BaseRetriever` and an `Embeddings` over our model.

Any LangChain chain can use `TrolyRetriever`; the documents it returns carry the passage metadata needed to
cite them (source, title, document number, type, date, section).
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from retrieval.embeddings import Embedder
from retrieval.scope import PUBLIC, Audience
from retrieval.types import SearchHit


def hit_to_document(hit: SearchHit) -> Document:
    p = hit.passage
    return Document(
        page_content=p.text,
        id=p.id,
        metadata={
            "passage_id": p.id,
            "source": p.doc.source,
            "title": p.doc.title,
            "doc_number": p.doc.doc_number,
            "doc_type": p.doc.doc_type,
            "date": p.doc.date,
            "section": p.section,
            "section_ref": p.section_ref,
            "score": hit.score,
            "rank": hit.rank,
        },
    )


class TrolyRetriever(BaseRetriever):
    """Hybrid search of `RetrievalEngine` as a LangChain retriever."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    engine: Any
    k: int = 5
    context_docs: tuple[str, ...] = ()
    audience: Audience = PUBLIC  # who asks: documents limited to other units are never retrieved

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        hits = self.engine.search(query, k=self.k, context_docs=self.context_docs, audience=self.audience)
        return [hit_to_document(h) for h in hits]


class TrolyEmbeddings(Embeddings):
    """Our embedder for LangChain vector stores (used by the naive baseline in benchmarks)."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._embedder.embed_passages(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._embedder.embed_queries([text])[0].tolist()
