"""The chat model named by TROLY_LLM (``openai:MODEL`` | ``ollama:MODEL``) with bounded time and retries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from retrieval.settings import LLMSettings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel


# The defaults are the settings' (docs/cli.md §1), named here for the answerer's own parameters.
DEFAULT_TIMEOUT = LLMSettings.timeout
DEFAULT_MAX_RETRIES = LLMSettings.max_retries
DEFAULT_TEMPERATURE = LLMSettings.temperature
DEFAULT_MAX_TOKENS = LLMSettings.max_tokens


class LLMConfigError(ValueError):
    """``TROLY_LLM`` (or its companions) cannot be turned into a chat model; the message is Vietnamese."""


# --- the chat model ----------------------------------------------------------------------------------------


def parse_spec(spec: str) -> tuple[str, str]:
    """``"openai:qwen2.5-7b"`` → ``("openai", "qwen2.5-7b")``; a bare model name means ``openai``."""
    spec = (spec or "").strip()
    provider, sep, model = spec.partition(":")
    if not sep:
        provider, model = "openai", spec
    provider, model = provider.strip().lower(), model.strip()
    if provider not in ("openai", "ollama"):
        raise LLMConfigError(
            f"TROLY_LLM={spec!r}: chỉ hỗ trợ 'openai:TÊN_MÔ_HÌNH' (máy chủ tương thích OpenAI) "
            "hoặc 'ollama:TÊN_MÔ_HÌNH'."
        )
    if not model:
        raise LLMConfigError(f"TROLY_LLM={spec!r}: thiếu tên mô hình, ví dụ 'openai:qwen2.5-7b-instruct'.")
    return provider, model


def make_chat_model(spec: str, config: LLMSettings, *, timeout: float | None = None) -> BaseChatModel:
    """A LangChain chat model for ``spec`` (``openai:MODEL`` | ``ollama:MODEL``) with bounded time (``timeout``
    seconds, default ``config.timeout``) and retries, from the parsed LLM settings (TROLY_LLM_* variables).

    Raises ``LLMConfigError`` (Vietnamese) for an unusable spec or a missing server address, ``ImportError``
    when the provider's LangChain package is not installed."""
    provider, model = parse_spec(spec)
    timeout = timeout if timeout is not None else config.timeout
    retries = config.max_retries
    temperature = config.temperature
    max_tokens = config.max_tokens
    if provider == "openai":
        try:
            from langchain_openai import ChatOpenAI
        except ImportError as exc:
            raise ImportError(
                "TROLY_LLM=openai:… cần gói langchain-openai: pip install 'troly-congvu[llm]'"
            ) from exc
        base_url = config.openai_base_url
        api_key = config.openai_api_key
        if not api_key:
            if not base_url:
                raise LLMConfigError(
                    "TROLY_LLM=openai:…: hãy đặt OPENAI_BASE_URL (máy chủ tương thích OpenAI, ví dụ "
                    "http://127.0.0.1:8000/v1) hoặc OPENAI_API_KEY (dịch vụ OpenAI)."
                )
            api_key = "not-needed"  # local servers (vLLM, llama.cpp, Ollama) accept any key
        return ChatOpenAI(
            model=model,
            base_url=base_url,
            api_key=api_key,
            timeout=timeout,
            max_retries=retries,
            temperature=temperature,
            max_tokens=max_tokens,
        )
    try:
        from langchain_ollama import ChatOllama
    except ImportError as exc:
        raise ImportError(
            "TROLY_LLM=ollama:… cần gói langchain-ollama: pip install 'troly-congvu[llm]'"
        ) from exc
    base_url = config.ollama_base_url
    return ChatOllama(
        model=model,
        base_url=base_url,
        temperature=temperature,
        num_predict=max_tokens,
        client_kwargs={"timeout": timeout},
    )
