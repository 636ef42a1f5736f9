"""What the retrieval domain needs to know from the configuration, as plain typed values.

`troly.config.Settings` parses the environment once (docs/cli.md §1) and composes these; `retrieval/`
never reads the environment nor imports `troly/`, so tests and benchmarks build them directly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_QUERY_THREADS = 1


def default_batch_threads() -> int:
    """Torch threads for embedding passages when TROLY_BATCH_THREADS is unset: every CPU, at most 4."""
    return max(1, min(4, os.cpu_count() or 1))


@dataclass(frozen=True)
class LLMSettings:
    """The optional LLM answerer (docs/llm.md). `spec` None: extractive answers only.

    Times in seconds; `timeout` is one model call's limit, `cooldown` how long a failing model is left alone.
    """

    spec: str | None = None  # TROLY_LLM: "openai:MODEL" | "ollama:MODEL"
    timeout: float = 20.0  # TROLY_LLM_TIMEOUT
    max_retries: int = 1  # TROLY_LLM_MAX_RETRIES
    temperature: float = 0.1  # TROLY_LLM_TEMPERATURE
    max_tokens: int = 800  # TROLY_LLM_MAX_TOKENS
    cooldown: float = 30.0  # TROLY_LLM_COOLDOWN
    prompts_dir: str | None = None  # TROLY_PROMPTS_DIR: other prompt files (prompts/ by default)
    openai_base_url: str | None = None  # OPENAI_BASE_URL
    openai_api_key: str | None = field(default=None, repr=False)  # OPENAI_API_KEY (never printed)
    ollama_base_url: str | None = None  # OLLAMA_BASE_URL or OLLAMA_HOST


@dataclass(frozen=True)
class RetrievalSettings:
    """Where the index and the documents are, which embedding model, and how many torch threads."""

    index_dir: Path
    corpus: tuple[Path, ...] = ()  # TROLY_CORPUS: folders ingested by default
    embedding_model: str | None = None  # TROLY_EMBEDDING_MODEL; None: the default derived model
    chroma_url: str | None = None  # TROLY_CHROMA_URL; None: embedded Chroma under index_dir
    cache: Path = Path("~/.cache/troly")  # TROLY_CACHE: where the default model folder lives
    query_threads: int = DEFAULT_QUERY_THREADS  # TROLY_QUERY_THREADS: one query
    batch_threads: int = field(default_factory=default_batch_threads)  # TROLY_BATCH_THREADS: passages
    llm: LLMSettings = field(default_factory=LLMSettings)
