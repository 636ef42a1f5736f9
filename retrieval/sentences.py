"""Answer candidates (the whole sentences a quote may be), and their vectors, stored at ingest.

Which sentence of a retrieved passage holds the asked fact is decided partly by meaning: a question in
everyday words ("con nít … nhích lên mấy phân") shares few words with the sentence that answers it ("tăng
chiều cao trung bình của trẻ em … 1,5 cm"), while the embedding model places them close. Embedding every
candidate at question time would cost a forward pass per sentence, so each passage's candidates are embedded
once when it is indexed (`SentenceVectors`, a file beside the passages) and a question costs one dot product per
candidate with the query vector the search already computed.

The candidate list is a pure function of the passage text (`candidate_sentences`), so the vectors stored at
ingest line up with the sentences the composer considers; a passage whose stored count differs (an index made
by another version) simply gets no meaning score.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from retrieval.chunking import split_sentences
from retrieval.evidence import WORD_RE
from retrieval.sections import is_heading

MIN_WORDS = 4  # a quote of fewer words is a fragment ("là lực"), not an answer
_TABLE_RULE = re.compile(r"^\|[\s:|-]+\|?$")


def is_fragment(sentence: str) -> bool:
    return len(WORD_RE.findall(sentence)) < MIN_WORDS


def candidate_sentences(text: str) -> list[str]:
    """Answer candidates: whole sentences of each line (list items stay whole lines' sentences), table rows.

    Headings, fragments and an article's rhetorical questions are not candidates.
    """
    out: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if not line or _TABLE_RULE.match(line) or is_heading(line):
            continue
        if line.startswith("|"):
            out.append(line)
            continue
        for sentence in split_sentences(line):
            # an article's rhetorical question ("Quan điểm chỉ đạo … ra sao?") repeats the query, answers nothing
            if not is_fragment(sentence) and not is_heading(sentence) and not sentence.rstrip().endswith("?"):
                out.append(sentence)
    return out


class SentenceVectors:
    """passage id → (n_sentences × dim) unit vectors of its candidates, kept in ``sentences.npz``.

    float16 on disk and in memory (≈ 0.8 KB a sentence for a 384-dimension model): a province's corpus of a
    few thousand passages takes a few MB.
    """

    FILE = "sentences.npz"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._vectors: dict[str, np.ndarray] = {}
        path = folder / self.FILE
        if path.exists():
            try:
                with np.load(path, allow_pickle=False) as data:
                    ids, counts, matrix = data["ids"], data["counts"], data["vectors"]
                start = 0
                for pid, n in zip(ids.tolist(), counts.tolist(), strict=True):
                    self._vectors[pid] = matrix[start : start + n]
                    start += n
            except (OSError, KeyError, ValueError):
                self._vectors = {}  # a damaged file is rebuilt, not fatal

    def __contains__(self, passage_id: str) -> bool:
        return passage_id in self._vectors

    def get(self, passage_id: str) -> np.ndarray | None:
        return self._vectors.get(passage_id)

    def missing(self, passage_ids: Iterable[str]) -> list[str]:
        return [pid for pid in passage_ids if pid not in self._vectors]

    def set(self, passage_id: str, vectors: np.ndarray) -> None:
        self._vectors[passage_id] = np.asarray(vectors, dtype=np.float16)

    def remove(self, passage_ids: Iterable[str]) -> None:
        for pid in passage_ids:
            self._vectors.pop(pid, None)

    def keep_only(self, passage_ids: Iterable[str]) -> None:
        keep = set(passage_ids)
        self._vectors = {pid: v for pid, v in self._vectors.items() if pid in keep}

    def clear(self) -> None:
        self._vectors = {}

    def save(self) -> None:
        ids = list(self._vectors)
        dim = next((v.shape[1] for v in self._vectors.values() if v.ndim == 2 and v.shape[0]), 0)
        matrix = (
            np.concatenate([self._vectors[i] for i in ids if self._vectors[i].shape[0]], axis=0)
            if dim
            else np.zeros((0, 0), dtype=np.float16)
        )
        tmp = self.folder / (self.FILE + ".tmp.npz")
        np.savez(
            tmp,
            ids=np.array(ids, dtype=str),
            counts=np.array([self._vectors[i].shape[0] for i in ids], dtype=np.int32),
            vectors=matrix.astype(np.float16),
        )
        tmp.replace(self.folder / self.FILE)


def embed_candidates(embedder, passages) -> dict[str, np.ndarray]:
    """passage id → vectors of its candidate sentences (embedded as passages, in one batch)."""
    per: list[tuple[str, list[str]]] = [(p.id, candidate_sentences(p.text)) for p in passages]
    flat = [s for _, sents in per for s in sents]
    if not flat:
        return {pid: np.zeros((0, 0), dtype=np.float16) for pid, _ in per}
    vecs = embedder.embed_passages(flat)
    out: dict[str, np.ndarray] = {}
    start = 0
    for pid, sents in per:
        out[pid] = vecs[start : start + len(sents)]
        start += len(sents)
    return out
