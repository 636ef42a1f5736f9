"""Optional LLM answers through LangChain, checked against the passages they cite.

``TROLY_LLM`` names a LangChain chat model: ``openai:MODEL`` (any OpenAI-compatible server: vLLM, llama.cpp
server, Ollama's ``/v1``, a commercial API; ``OPENAI_BASE_URL``, ``OPENAI_API_KEY``) or ``ollama:MODEL``
(``OLLAMA_BASE_URL`` / ``OLLAMA_HOST``). Unset, the extractive answerer of the engine is used and this module
is never imported.

One question:

1. a follow-up (``history`` given) is rewritten into a standalone question (``prompts/rewrite.md``);
2. the engine's hybrid search finds the passages and its extractive answer decides whether the corpus holds
   anything relevant at all (not grounded → "not found", the model is not called);
3. the LCEL chain ``prompt | model | StrOutputParser()`` writes an answer from the numbered, fenced passages
   (``prompts/system.md`` + ``prompts/answer.md``);
4. the answer is checked (``check_answer``): every ``[n]`` must name a passage that was given, at least one
   must be there, the model must not have declared the question unanswerable, and the figures and words of
   each cited sentence must stand in the passages it cites. The citations shown are built from the passages'
   metadata, renumbered in order of first use; the model's own text never becomes a citation.

Anything else — a failed check, a timeout (``TROLY_LLM_TIMEOUT``, 20 s), a server error, a missing package —
gives the engine's extractive answer (``mode="extractive"``) and a log line. Passages and questions are data:
they are fenced in ``<tai_lieu>``/``<cau_hoi>`` with anything tag-like inside neutralised, and whatever a
model makes of planted instructions still has to pass the same checks.

The package: `model` (the chat model factory), `prompt` (fenced data for the prompt), `check` (the answer
check) and `answerer` (`LLMAnswerer`). The names below are the public surface.
"""

from retrieval.llm.answerer import DEFAULT_COOLDOWN, DEFAULT_PASSAGES, LLMAnswerer, Stats
from retrieval.llm.check import CheckResult, best_sentences, check_answer, content_terms
from retrieval.llm.model import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_TOKENS,
    DEFAULT_TEMPERATURE,
    DEFAULT_TIMEOUT,
    LLMConfigError,
    make_chat_model,
    parse_spec,
)
from retrieval.llm.prompt import (
    NOT_FOUND_MARKER,
    fence_safe,
    format_history,
    format_passages,
    format_question,
    passage_label,
)

__all__ = [
    "DEFAULT_COOLDOWN",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_MAX_TOKENS",
    "DEFAULT_PASSAGES",
    "DEFAULT_TEMPERATURE",
    "DEFAULT_TIMEOUT",
    "NOT_FOUND_MARKER",
    "CheckResult",
    "LLMAnswerer",
    "LLMConfigError",
    "Stats",
    "best_sentences",
    "check_answer",
    "content_terms",
    "fence_safe",
    "format_history",
    "format_passages",
    "format_question",
    "make_chat_model",
    "parse_spec",
    "passage_label",
]
