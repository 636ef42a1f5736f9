"""The composition root's small factories: the objects a command needs, built from the parsed `Settings`.

`retrieval/` does not know the environment nor the build tool: here the engine gets its settings and, for
the first run of a fresh installation, the builder of the default embedding model (`retrieval.modelbuild`,
imported only when the model is actually missing).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from troly.config import Settings

if TYPE_CHECKING:
    from retrieval.engine import RetrievalEngine


def build_model(target: Path) -> Path:
    """Build the default embedding model into `target` (what `troly model build` does); its path."""
    from retrieval.modelbuild import build_default_model

    return build_default_model(target)


def retrieval_engine(settings: Settings) -> RetrievalEngine:
    """The retrieval engine of the settings; a missing default model is built on first use."""
    from retrieval.engine import RetrievalEngine

    return RetrievalEngine.from_settings(settings.retrieval, build_model=build_model)


def benchmark_embedder() -> Any:
    """The embedder of the settings (TROLY_EMBEDDING_MODEL, TROLY_CACHE, threads), for the benchmarks that
    share one model between several engines."""
    from retrieval.embeddings import get_embedder

    config = Settings.from_env().retrieval
    return get_embedder(
        config.embedding_model,
        cache=config.cache,
        build_model=build_model,
        query_threads=config.query_threads,
        batch_threads=config.batch_threads,
    )


def answerer(settings: Settings, engine: Any) -> Any:
    """The extractive engine, or the LLM chain over it when TROLY_LLM is set (it falls back by itself)."""
    from retrieval.answerer_factory import make_answerer

    return make_answerer(settings.retrieval.llm, engine)
