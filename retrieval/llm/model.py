"""The chat model named by TROLY_LLM (``openai:MODEL`` | ``ollama:MODEL``) with bounded time and retries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel


DEFAULT_TIMEOUT = 20.0
DEFAULT_MAX_RETRIES = 1
DEFAULT_TEMPERATURE = 0.1
DEFAULT_MAX_TOKENS = 800


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


def _extra(settings: Any) -> dict[str, str]:
    return dict(getattr(settings, "extra", None) or {})


def _float(extra: dict[str, str], name: str, default: float) -> float:
    raw = extra.get(name)
    if raw is None or not str(raw).strip():
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise LLMConfigError(f"{name}={raw!r} không phải là số.") from exc
    if value < 0:
        raise LLMConfigError(f"{name}={raw!r} phải không âm.")
    return value


def llm_timeout(settings: Any) -> float:
    t = _float(_extra(settings), "TROLY_LLM_TIMEOUT", DEFAULT_TIMEOUT)
    return t if t > 0 else DEFAULT_TIMEOUT


def make_chat_model(spec: str, settings: Any, *, timeout: float | None = None) -> BaseChatModel:
    """A LangChain chat model for ``spec`` (``openai:MODEL`` | ``ollama:MODEL``) with bounded time and retries."""
    provider, model = parse_spec(spec)
    extra = _extra(settings)
    timeout = timeout if timeout is not None else llm_timeout(settings)
    retries = int(_float(extra, "TROLY_LLM_MAX_RETRIES", DEFAULT_MAX_RETRIES))
    temperature = _float(extra, "TROLY_LLM_TEMPERATURE", DEFAULT_TEMPERATURE)
    max_tokens = int(_float(extra, "TROLY_LLM_MAX_TOKENS", DEFAULT_MAX_TOKENS))
    if provider == "openai":
        try:
            from langchain_openai import ChatOpenAI
        except ImportError as exc:
            raise ImportError(
                "TROLY_LLM=openai:… cần gói langchain-openai: pip install 'troly-congvu[llm]'"
            ) from exc
        base_url = extra.get("OPENAI_BASE_URL") or None
        api_key = extra.get("OPENAI_API_KEY") or None
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
    base_url = extra.get("OLLAMA_BASE_URL") or extra.get("OLLAMA_HOST") or None
    return ChatOllama(
        model=model,
        base_url=base_url,
        temperature=temperature,
        num_predict=max_tokens,
        client_kwargs={"timeout": timeout},
    )
