"""Which answerer a process uses: the engine's extractive answers, or the LLM chain when ``TROLY_LLM`` is set.

The CLI and the bot both call ``make_answerer(settings.retrieval.llm, engine)``; the result has the engine's ``ask`` /
``get_passage`` / ``warmup`` faces either way. A misconfigured or uninstalled LLM is logged and the extractive
answerer is used, so answers never stop because of the optional part.
"""

from __future__ import annotations

import logging
from typing import Any

from retrieval.settings import LLMSettings

log = logging.getLogger(__name__)


def make_answerer(config: LLMSettings, engine: Any) -> Any:
    """``engine`` itself when ``config.spec`` (TROLY_LLM) is unset, else an ``LLMAnswerer`` over it."""
    if not config.spec:
        return engine
    try:
        from retrieval.llm import LLMAnswerer

        return LLMAnswerer.from_settings(config, engine)
    except ImportError as exc:
        log.error(
            "TROLY_LLM=%s nhưng thiếu gói cho LLM (%s). Cài: pip install 'troly-congvu[llm]'. "
            "Dùng câu trả lời trích xuất.",
            config.spec,
            exc,
        )
    except ValueError as exc:  # LLMConfigError, PromptError
        log.error("Cấu hình LLM không hợp lệ: %s Dùng câu trả lời trích xuất.", exc)
    return engine
