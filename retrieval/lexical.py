"""BM25 over normalised syllables, with an accent-folded copy of every token.

A passage is indexed under its accented syllables ("quyết"), its folded syllables ("~quyet") and folded
bigrams ("~quyet_dinh"). A query typed without diacritics uses only the folded forms, so it meets accented
text; a query with diacritics uses both, so exact matches score higher than mere folded ones.
"""

from __future__ import annotations

import json
from pathlib import Path

import bm25s
import numpy as np

from retrieval.textnorm import _fold_word, has_diacritics, tokens


def passage_terms(text: str) -> list[str]:
    toks = tokens(text)
    folded = ["~" + _fold_word(t) for t in toks]
    bigrams = [f"{a}_{b[1:]}" for a, b in zip(folded, folded[1:], strict=False)]
    return toks + folded + bigrams


def query_terms(text: str) -> list[str]:
    toks = tokens(text)
    folded = ["~" + _fold_word(t) for t in toks]
    bigrams = [f"{a}_{b[1:]}" for a, b in zip(folded, folded[1:], strict=False)]
    terms = folded + bigrams
    if has_diacritics(text):
        terms = toks + terms
    return terms


class LexicalIndex:
    """bm25s over a fixed, ordered list of passage ids; rebuilt whole after each ingest (it takes milliseconds)."""

    def __init__(self, ids: list[str], retriever: bm25s.BM25 | None) -> None:
        self.ids = ids
        self._retriever = retriever
        self._vocab: set[str] = set(getattr(retriever, "vocab_dict", {}) or {}) if retriever else set()

    @classmethod
    def build(cls, ids: list[str], texts: list[str]) -> LexicalIndex:
        if not ids:
            return cls([], None)
        retriever = bm25s.BM25()
        retriever.index([passage_terms(t) for t in texts], show_progress=False)
        return cls(ids, retriever)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage, aligned with `self.ids`."""
        if self._retriever is None:
            return np.zeros(0, dtype=np.float32)
        terms = [t for t in query_terms(query) if t in self._vocab]
        if not terms:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self._retriever.get_scores(terms), dtype=np.float32)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "ids.json").write_text(json.dumps(self.ids))
        if self._retriever is not None:
            self._retriever.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex | None:
        ids_file = folder / "ids.json"
        if not ids_file.exists():
            return None
        ids = json.loads(ids_file.read_text())
        if not ids:
            return cls([], None)
        retriever = bm25s.BM25.load(str(folder), show_progress=False)
        return cls(ids, retriever)
