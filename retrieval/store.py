"""The on-disk index: Chroma for vectors, bm25s for words, a JSON passage table and a manifest.

Layout under `$TROLY_HOME/index/`:
  manifest.json   which model built the index, the chunker version, and per file: hash, source, passage ids
  passages.json   every passage with its metadata (the single source for texts and citations)
  documents.json  per source file: its front matter and cleaned body (document cards, clause quotes)
  chroma/         embedded Chroma (unless TROLY_CHROMA_URL points at a server)
  bm25/           the lexical index
A manifest recording another model or chunker means the whole index is rebuilt: vectors are never mixed.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import warnings
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from retrieval.lexical import LexicalIndex
from retrieval.scope import Audience
from retrieval.sentences import SentenceVectors
from retrieval.types import DocumentMeta, Passage

log = logging.getLogger(__name__)

MANIFEST_VERSION = 1


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def collection_name(model_id: str) -> str:
    """Chroma names: 3–512 of [a-zA-Z0-9._-]; one collection per model so vectors never mix."""
    return ("troly_" + re.sub(r"[^a-zA-Z0-9._-]", "_", model_id))[:200]


class Store:
    def __init__(self, folder: Path, chroma_url: str | None = None) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self._chroma_url = chroma_url
        self._client: Any = None
        self._collection: tuple[str, Any] | None = None
        # Opening the Chroma client or collection from several threads at once fails inside Chroma:
        # both are created once, under this lock.
        self._chroma_lock = threading.Lock()
        self.version = 0  # bumped on every change, so derived caches (BM25 stats, accents) know to rebuild
        self.manifest: dict[str, Any] = self._read_json("manifest.json") or {}
        raw = self._read_json("passages.json") or []
        self.passages: dict[str, Passage] = {p["id"]: _passage_from_json(p) for p in raw}
        # source → {"fields": front matter, "body": cleaned text, "ocr_pages": [...]}
        self.documents: dict[str, dict[str, Any]] = self._read_json("documents.json") or {}
        # vectors of every passage's answer candidates (retrieval.sentences), for choosing quotes by meaning
        self.sentences = SentenceVectors(folder)
        self.lexical = LexicalIndex.load(folder / "bm25")
        if self.lexical is None or set(self.lexical.ids) != set(self.passages):
            self.rebuild_lexical()

    # -- persistence -------------------------------------------------------------------------------------
    def _read_json(self, name: str) -> Any:
        path = self.folder / name
        if not path.exists():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, OSError):
            return None  # a damaged index is rebuilt, not fatal

    def save(self) -> None:
        data = [_passage_to_json(p) for p in self.passages.values()]
        _atomic_write(self.folder / "passages.json", json.dumps(data, ensure_ascii=False))
        _atomic_write(self.folder / "documents.json", json.dumps(self.documents, ensure_ascii=False))
        self.sentences.keep_only(self.passages)
        self.sentences.save()
        _atomic_write(self.folder / "manifest.json", json.dumps(self.manifest, ensure_ascii=False, indent=1))

    def rebuild_lexical(self) -> None:
        ids = list(self.passages)
        self.lexical = LexicalIndex.build(ids, [self.passages[i].indexed_text for i in ids])
        bm25_dir = self.folder / "bm25"
        if bm25_dir.exists():
            for f in bm25_dir.iterdir():
                f.unlink()
        self.lexical.save(bm25_dir)

    # -- who may read what --------------------------------------------------------------------------------
    def allowed_sources(self, audience: Audience) -> list[str] | None:
        """The source files `audience` may read, or None when it may read every one (no limited document in
        the index, or an administrator): callers then apply no filter at all."""
        scopes = self._scopes()
        if not scopes or audience.everything:
            return None
        hidden = {src for src, scope in scopes.items() if not audience.may_read(scope)}
        if not hidden:
            return None
        return sorted({p.doc.source for p in self.passages.values()} - hidden)

    def may_read(self, source: str, audience: Audience) -> bool:
        return audience.may_read(self._scopes().get(source, ()))

    def _scopes(self) -> dict[str, tuple[str, ...]]:
        """source → units of every limited document (cached per store version)."""
        cached = getattr(self, "_scope_cache", None)
        if cached is None or cached[0] != self.version:
            scopes = {p.doc.source: p.doc.scope for p in self.passages.values() if p.doc.scope}
            cached = (self.version, scopes)
            self._scope_cache = cached
        return cached[1]

    # -- chroma ------------------------------------------------------------------------------------------
    def client(self) -> Any:
        """The Chroma client (embedded, or HTTP when a server URL is set), created once; thread-safe."""
        if self._client is not None:
            return self._client
        with self._chroma_lock:
            return self._open_client()

    def _open_client(self) -> Any:
        if self._client is None:
            import chromadb

            settings = chromadb.Settings(anonymized_telemetry=False)
            if self._chroma_url:
                u = urlparse(self._chroma_url)
                self._client = chromadb.HttpClient(
                    host=u.hostname or "localhost",
                    port=u.port or (443 if u.scheme == "https" else 8000),
                    ssl=u.scheme == "https",
                    settings=settings,
                )
            else:
                self._client = chromadb.PersistentClient(path=str(self.folder / "chroma"), settings=settings)
        return self._client

    def collection(self) -> Any:
        """The index's Chroma collection, opened once per name; thread-safe."""
        name = self.manifest.get("collection")
        if not name:
            raise RuntimeError("index has no collection yet")
        current = self._collection
        if current is not None and current[0] == name:
            return current[1]
        with self._chroma_lock:
            if self._collection is None or self._collection[0] != name:
                col = self._open_client().get_or_create_collection(
                    name,
                    embedding_function=None,
                    configuration={"hnsw": {"space": "cosine", "ef_search": SEARCH_EF}},
                )
                _widen_search(col)
                self._collection = (name, col)
            return self._collection[1]

    def reset(self, model_id: str, chunker: str) -> None:
        """Drop everything: a new model or chunker means new vectors for every passage."""
        old = self.manifest.get("collection")
        if old:
            try:
                self.client().delete_collection(old)
            except Exception:
                pass
            self._collection = None
        self.passages = {}
        self.documents = {}
        self.sentences.clear()
        self.version += 1
        self.manifest = {
            "version": MANIFEST_VERSION,
            "model_id": model_id,
            "chunker": chunker,
            "collection": collection_name(model_id),
            "files": {},
        }
        self.rebuild_lexical()
        self.save()

    def add(self, passages: list[Passage], vectors: np.ndarray) -> None:
        if not passages:
            return
        col = self.collection()
        for start in range(0, len(passages), 1000):
            part = passages[start : start + 1000]
            col.upsert(
                ids=[p.id for p in part],
                embeddings=vectors[start : start + len(part)],
                documents=[p.text for p in part],
                metadatas=[{"source": p.doc.source, "position": p.position} for p in part],
            )
        for p in passages:
            self.passages[p.id] = p
        self.version += 1

    def set_document(
        self, source: str, fields: dict[str, str], body: str, ocr_pages: tuple[int, ...]
    ) -> None:
        """Keep a document's front matter and body (what cards and clause quotes are read from)."""
        self.documents[source] = {"fields": dict(fields), "body": body, "ocr_pages": list(ocr_pages)}
        self.version += 1

    def drop_document(self, source: str) -> None:
        if self.documents.pop(source, None) is not None:
            self.version += 1

    def remove(self, ids: list[str]) -> None:
        if not ids:
            return
        self.collection().delete(ids=ids)
        for i in ids:
            self.passages.pop(i, None)
        self.sentences.remove(ids)
        self.version += 1

    def missing_vectors(self) -> list[str]:
        """Passages of the table whose vector is not in the Chroma collection (in table order): a Chroma
        server that is new, was emptied, or was restored from an older copy. Ids only are read."""
        if not self.passages:
            return []
        col = self.collection()
        if col.count() == len(self.passages):
            return []
        present: set[str] = set()
        offset, page = 0, 5000
        while True:
            ids = col.get(include=[], limit=page, offset=offset)["ids"]
            present.update(ids)
            if len(ids) < page:
                break
            offset += page
        return [pid for pid in self.passages if pid not in present]

    def embedded_vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        """Vectors of `ids` kept by the embedded Chroma under this folder, when the index now lives on a
        server (moving from one process to several): copied instead of embedded again. Empty otherwise."""
        name = self.manifest.get("collection")
        local = self.folder / "chroma"
        if not (self._chroma_url and name and ids and (local / "chroma.sqlite3").is_file()):
            return {}
        import chromadb

        try:
            client = chromadb.PersistentClient(
                path=str(local), settings=chromadb.Settings(anonymized_telemetry=False)
            )
            col = client.get_collection(name, embedding_function=None)
            found: dict[str, np.ndarray] = {}
            for start in range(0, len(ids), 1000):
                got = col.get(ids=ids[start : start + 1000], include=["embeddings"])
                found.update(
                    zip(got["ids"], (np.asarray(v, dtype=np.float32) for v in got["embeddings"]), strict=True)
                )
            return found
        except Exception:  # no such collection, another model's, a damaged folder: embed instead
            return {}

    def vectors_where(self) -> str:
        """Where the vectors live, for people: the Chroma server's URL or the embedded folder."""
        return (
            f"máy chủ Chroma {self._chroma_url}"
            if self._chroma_url
            else f"Chroma nhúng {self.folder / 'chroma'}"
        )

    def dense_query(
        self, vector: np.ndarray, n: int, sources: list[str] | None = None
    ) -> list[tuple[str, float]]:
        """(passage id, cosine similarity) of the nearest passages, optionally within some source files
        (Chroma's metadata filter; `sources=[]` finds nothing)."""
        total = len(self.passages)
        if total == 0:
            return []
        kwargs: dict[str, Any] = {
            "query_embeddings": [vector],
            "n_results": min(n, total),
            "include": ["distances"],
        }
        if sources is not None:
            if not sources:
                return []
            kwargs["where"] = {"source": {"$in": list(sources)}}
        res = self.collection().query(**kwargs)
        ids = res["ids"][0]
        dists = res["distances"][0]
        return [(i, 1.0 - float(d)) for i, d in zip(ids, dists, strict=True) if i in self.passages]


# HNSW's search breadth. Chroma's default (100) is approximate at the tail of our 40 dense candidates, and Chroma
# rebuilds a small collection's graph (100–1,000 vectors) on every start, with threads: the same question then
# got other passages in another process. A breadth above the number of passages visits them all — exact and
# the same every time for a corpus of a few hundred passages, still far better recall beyond (chroma-core/chroma
# issue 2675). It costs well under a millisecond here (benchmarks/ measure search).
SEARCH_EF = 512


def _widen_search(col: Any) -> None:
    """Raise an existing collection's `ef_search` to `SEARCH_EF` (indexes built before it was set)."""
    try:
        with warnings.catch_warnings():  # Chroma warns about its own stored config of "no embedding function"
            warnings.simplefilter("ignore", DeprecationWarning)
            current = (getattr(col, "configuration", None) or {}).get("hnsw") or {}
        if int(current.get("ef_search") or 0) < SEARCH_EF:
            col.modify(configuration={"hnsw": {"ef_search": SEARCH_EF}})
    except Exception as exc:  # an older Chroma server: searches stay approximate, answers still come
        log.warning("Không đặt được độ rộng tìm kiếm HNSW của Chroma (%r).", exc)


def _passage_to_json(p: Passage) -> dict[str, Any]:
    d = asdict(p)
    d["doc"]["refers_to"] = list(p.doc.refers_to)
    d["doc"]["scope"] = list(p.doc.scope)
    d["labels"] = [list(pair) for pair in p.labels]
    return d


def _passage_from_json(d: dict[str, Any]) -> Passage:
    doc = dict(d["doc"])
    doc["refers_to"] = tuple(doc.get("refers_to") or ())
    doc["scope"] = tuple(doc.get("scope") or ())
    return Passage(
        id=d["id"],
        text=d["text"],
        section=d.get("section", ""),
        doc=DocumentMeta(**doc),
        position=d.get("position", 0),
        section_ref=d.get("section_ref", ""),
        labels=tuple((str(k), str(v)) for k, v in d.get("labels") or ()),
    )
