"""Which answerer a process uses: the engine's extractive answers, or the LLM chain when ``TROLY_LLM`` is set.

The CLI and the bot both call ``make_answerer(settings, engine)``; the result has the engine's ``ask`` /
``get_passage`` / ``warmup`` faces either way. A misconfigured or uninstalled LLM is logged and the extractive
answerer is used, so answers never stop because of the optional part.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from troly.config import Settings

log = logging.getLogger(__name__)


def make_answerer(settings: Settings, engine: Any) -> Any:
    """``engine`` itself when ``settings.llm`` is unset, else an ``LLMAnswerer`` over it."""
    if not getattr(settings, "llm", None):
        return engine
    try:
        from retrieval.llm import LLMAnswerer

        return LLMAnswerer.from_settings(settings, engine)
    except ImportError as exc:
        log.error(
            "TROLY_LLM=%s nhưng thiếu gói cho LLM (%s). Cài: pip install 'troly-congvu[llm]'. "
            "Dùng câu trả lời trích xuất.",
            settings.llm,
            exc,
        )
    except ValueError as exc:  # LLMConfigError, PromptError
        log.error("Cấu hình LLM không hợp lệ: %s Dùng câu trả lời trích xuất.", exc)
    return engine
