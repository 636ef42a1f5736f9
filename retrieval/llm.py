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
"""

from __future__ import annotations

import contextvars
import logging
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough

from prompts.loader import load_prompts
from retrieval.answer import NOT_FOUND, UNKNOWN_DOCUMENT
from retrieval.chunking import split_sentences
from retrieval.citations import format_citation_label
from retrieval.engine import clean_query
from retrieval.evidence import STOPWORDS, WORD_RE
from retrieval.textnorm import fold
from retrieval.types import Answer, Citation, Passage, SearchHit

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from troly.config import Settings

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 20.0
DEFAULT_MAX_RETRIES = 1
DEFAULT_TEMPERATURE = 0.1
DEFAULT_MAX_TOKENS = 800
DEFAULT_PASSAGES = 5
DEFAULT_COOLDOWN = 30.0
HISTORY_TURNS = 3
MAX_PASSAGE_CHARS = 2500
# What the model writes when the passages hold no answer (the prompt files receive it as {not_found_marker}).
NOT_FOUND_MARKER = "KHONG_CO_THONG_TIN"
# A cited sentence must share at least this share of its topic words with the passages it cites.
MIN_SUPPORT = 0.3
MIN_TERMS_FOR_SUPPORT = 4


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


# --- passages as fenced, numbered data ----------------------------------------------------------------------

_TAGLIKE = str.maketrans({"<": "‹", ">": "›"})


def fence_safe(text: str) -> str:
    """Text that cannot open or close a fence: ``<`` and ``>`` become ``‹`` and ``›``."""
    return (text or "").translate(_TAGLIKE)


def _attr(text: str) -> str:
    return fence_safe(text).replace('"', "”").replace("\n", " ")


def passage_label(p: Passage) -> str:
    return format_citation_label(Citation.from_passage(p, quote=""))


def format_passages(passages: Sequence[Passage]) -> str:
    """``<tai_lieu so="1" nguon="…">…</tai_lieu>`` blocks, numbered from 1, contents neutralised."""
    blocks = []
    for n, p in enumerate(passages, 1):
        lines = []
        if p.doc.title:
            lines.append(f"Tiêu đề: {fence_safe(p.doc.title)}")
        if p.section:
            lines.append(f"Mục: {fence_safe(p.section)}")
        text = p.text if len(p.text) <= MAX_PASSAGE_CHARS else p.text[:MAX_PASSAGE_CHARS] + "…"
        lines.append(fence_safe(text))
        body = "\n".join(lines)
        blocks.append(f'<tai_lieu so="{n}" nguon="{_attr(passage_label(p))}">\n{body}\n</tai_lieu>')
    return "\n\n".join(blocks)


def format_question(question: str) -> str:
    return fence_safe(question)


def format_history(history: Sequence[tuple[str, str]], turns: int = HISTORY_TURNS) -> str:
    lines = []
    for q, a in list(history)[-turns:]:
        a = " ".join((a or "").split())
        if len(a) > 400:
            a = a[:400] + "…"
        lines.append(f"Cán bộ: {fence_safe(' '.join((q or '').split()))}")
        lines.append(f"Trợ lý: {fence_safe(a)}")
    return "\n".join(lines) or "(không có)"


# --- checking the model's answer --------------------------------------------------------------------------

_THINK = re.compile(r"<think>.*?(?:</think>|\Z)", re.DOTALL | re.IGNORECASE)
_LEAD_LABEL = re.compile(r"^\s*(?:trả lời|câu trả lời)\s*:\s*", re.IGNORECASE)
_SOURCES_LINE = re.compile(
    r"^\s*(?:[-*#]+\s*)?(?:nguồn(?: tham khảo| trích dẫn)?|tài liệu tham khảo|trích dẫn|sources?)\s*(?::.*)?$",
    re.IGNORECASE,
)
_SOURCE_ITEM = re.compile(r"^\s*(?:[-*•]\s*)?\[\d{1,2}\]")
_MARKER = re.compile(
    r"\[\s*(?:(?:tài liệu|tai_lieu|đoạn|nguồn|doc|source)\s*)?"
    r"(\d{1,2}(?:\s*(?:,|;|-|–|và)\s*(?:(?:tài liệu|đoạn)\s*)?\d{1,2})*)\s*\]",
    re.IGNORECASE,
)
_MARKER_NUM = re.compile(r"\d{1,2}")
_RANGE = re.compile(r"(\d{1,2})\s*[-–]\s*(\d{1,2})")
_ENUMERATOR = re.compile(r"^\s*(?:[-•*+]\s*|\(?(?:\d{1,2}|[a-zđ]|[ivx]{1,4})[.)]\s+)", re.IGNORECASE)
_NUMBER = re.compile(r"\d{1,3}(?:[.,]\d{3})+(?!\d)|\d+")
_WORD = WORD_RE
# Function words that say nothing about a claim's topic: the same list the extractive answer uses.
_STOPWORDS = STOPWORDS
_NOT_FOUND_WORDS = {"khong co thong tin", "khong_co_thong_tin", "khong tim thay thong tin"}


def _marker_numbers(group: str) -> list[int]:
    nums: list[int] = []
    for m in _RANGE.finditer(group):
        a, b = int(m.group(1)), int(m.group(2))
        if a <= b <= a + 10:
            nums.extend(range(a, b + 1))
    rest = _RANGE.sub(" ", group)
    nums.extend(int(x) for x in _MARKER_NUM.findall(rest))
    return list(dict.fromkeys(nums))


def _numbers(text: str) -> set[str]:
    """Figures in a text, normalised: "2.000" → {"2000", "2", "0"}; "05" → "5"."""
    out: set[str] = set()
    for m in _NUMBER.finditer(text):
        raw = m.group(0)
        pieces = re.split(r"[.,]", raw)
        out.add(str(int("".join(pieces))))
        out.update(str(int(p)) for p in pieces if p)
    return out


def _claim_numbers(text: str) -> set[str]:
    """Figures a sentence asserts: grouped numbers stay whole ("2.000" → "2000")."""
    return {str(int(re.sub(r"[.,]", "", m.group(0)))) for m in _NUMBER.finditer(text)}


def content_terms(text: str) -> set[str]:
    """Topic words of a text: folded, without function words and figures."""
    return {w for w in _WORD.findall(fold(text)) if w not in _STOPWORDS and not w.isdigit()}


def best_sentences(claims: str, passage: Passage, limit: int = 2, max_chars: int = 450) -> str:
    """The passage sentences closest to what the answer says about it (the quote shown with a citation)."""
    terms = content_terms(claims)
    sentences = [s for line in passage.text.split("\n") for s in split_sentences(line.strip())] or [
        passage.text
    ]
    scored = sorted(
        ((len(terms & content_terms(s)), -i, s) for i, s in enumerate(sentences)),
        key=lambda x: x[:2],
        reverse=True,
    )
    chosen: list[tuple[int, str]] = []
    total = 0
    for score, neg_i, s in scored[:limit]:
        if chosen and (score == 0 or total + len(s) > max_chars):
            break
        chosen.append((-neg_i, s))
        total += len(s)
    quote = " ".join(s for _, s in sorted(chosen))
    if len(quote) > max_chars:
        cut = quote[:max_chars]
        quote = (cut[: cut.rfind(" ")] if " " in cut else cut) + "…"
    return quote


def _passage_facts(p: Passage) -> str:
    d = p.doc
    return " ".join(x for x in (p.text, p.section, p.section_ref, d.title, d.doc_number, d.date or "") if x)


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    reason: str  # "ok" | "empty" | "unanswerable" | "invalid_citation" | "no_citation" | ...
    text: str = ""  # the cleaned answer, markers renumbered in order of first use
    cited: tuple[int, ...] = ()  # given passage numbers (1-based), in the new order
    claims: dict[int, list[str]] = field(default_factory=dict)  # given passage number → sentences citing it
    detail: str = ""


def _clean(raw: str) -> str:
    text = _THINK.sub("", raw or "").replace("\r\n", "\n").replace("**", "").replace("__", "").strip()
    text = _LEAD_LABEL.sub("", text)
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if i > 0 and _SOURCES_LINE.match(line):
            lines = lines[:i]  # the model's own list of sources: citations come from metadata only
            break
    while len(lines) > 1 and (_SOURCE_ITEM.match(lines[-1]) or not lines[-1].strip()):
        lines.pop()  # a trailing list "[1] Nghị quyết …" without a header: the model's own sources again
    text = "\n".join(lines)
    text = re.sub(r"^\s{0,3}#{1,6}\s+", "", text, flags=re.MULTILINE)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _units(text: str) -> list[tuple[str, list[int]]]:
    """(sentence, the passage numbers it cites); a sentence without markers borrows those of the next cited
    sentence of its paragraph (a citation at the end of a paragraph covers the sentences before it)."""
    out: list[tuple[str, list[int]]] = []
    for para in re.split(r"\n\s*\n", text):
        units: list[tuple[str, list[int]]] = []
        for line in para.split("\n"):
            line = line.strip()
            if not line:
                continue
            for sentence in split_sentences(line) or [line]:
                nums: list[int] = []
                for m in _MARKER.finditer(sentence):
                    nums.extend(_marker_numbers(m.group(1)))
                units.append((sentence, list(dict.fromkeys(nums))))
        resolved: list[tuple[str, list[int]]] = []
        pending: list[int] = []
        for sentence, nums in reversed(units):
            if nums:
                pending = nums
            resolved.append((sentence, nums or pending))
        out.extend(reversed(resolved))
    return out


def check_answer(raw: str, passages: Sequence[Passage], question: str = "") -> CheckResult:
    """Accept the model's answer only if every claim is cited to a given passage that supports it."""
    text = _clean(raw)
    if not text:
        return CheckResult(False, "empty")
    if (
        NOT_FOUND_MARKER.casefold() in text.casefold()
        or fold(_MARKER.sub("", text)).strip(" .!") in _NOT_FOUND_WORDS
    ):
        return CheckResult(False, "unanswerable")
    n = len(passages)
    all_nums: list[int] = []
    for m in _MARKER.finditer(text):
        all_nums.extend(_marker_numbers(m.group(1)))
    bad = sorted({x for x in all_nums if not 1 <= x <= n})
    if bad:
        return CheckResult(False, "invalid_citation", detail=f"cited {bad}, given 1..{n}")
    if not all_nums:
        return CheckResult(False, "no_citation")

    q_numbers = _numbers(question)
    facts = [_passage_facts(p) for p in passages]
    fact_numbers = [_numbers(f) for f in facts]
    fact_words = [set(_WORD.findall(fold(f))) for f in facts]
    claims: dict[int, list[str]] = {}
    for sentence, nums in _units(text):
        body = _ENUMERATOR.sub("", _MARKER.sub(" ", sentence))
        figures = _claim_numbers(body)
        if not nums:
            if figures - q_numbers:
                return CheckResult(False, "uncited_claim", detail=sentence[:200])
            continue
        allowed = set(q_numbers).union(*(fact_numbers[i - 1] for i in nums))
        missing = figures - allowed
        if missing:
            return CheckResult(False, "unsupported_number", detail=f"{sorted(missing)} in {sentence[:200]!r}")
        terms = content_terms(body)
        if len(terms) >= MIN_TERMS_FOR_SUPPORT:
            words = set().union(*(fact_words[i - 1] for i in nums))
            if len(terms & words) / len(terms) < MIN_SUPPORT:
                return CheckResult(False, "unsupported_claim", detail=sentence[:200])
        for i in nums:
            claims.setdefault(i, []).append(body)

    order = list(dict.fromkeys(all_nums))
    new_number = {old: new for new, old in enumerate(order, 1)}

    def renumber(m: re.Match) -> str:
        return "".join(f"[{new_number[x]}]" for x in _marker_numbers(m.group(1)))

    text = _MARKER.sub(renumber, text)
    text = re.sub(r"[ \t]+(?=\[\d)", " ", text)
    return CheckResult(True, "ok", text=text, cited=tuple(order), claims=claims)


# --- the answerer -----------------------------------------------------------------------------------------


@dataclass
class Stats:
    """Timings of the last question answered on this thread (for logs and benchmarks)."""

    retrieval_ms: float = 0.0
    rewrite_ms: float = 0.0
    model_ms: float = 0.0
    check_ms: float = 0.0
    total_ms: float = 0.0
    mode: str = "extractive"
    reason: str = ""
    search_question: str = ""


class LLMAnswerer:
    """Answers with a chat model over the engine's passages; falls back to the engine's extractive answer.

    Drop-in for ``RetrievalEngine`` wherever answers are asked for (``ask``, ``get_passage``, ``warmup``; any
    other attribute is the engine's). Unlike the engine, ``ask`` also takes ``history`` (recent
    ``(question, answer)`` pairs of the chat) to rewrite follow-ups; callers check ``supports_history``.
    """

    supports_history = True

    def __init__(
        self,
        engine: Any,
        model: BaseChatModel,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        k: int = DEFAULT_PASSAGES,
        cooldown: float = DEFAULT_COOLDOWN,
        prompts_dir: str | None = None,
        name: str = "",
    ) -> None:
        self.engine = engine
        self.model = model
        self.timeout = float(timeout)
        self.k = int(k)
        self.cooldown = float(cooldown)
        self.name = name or getattr(model, "model_name", None) or getattr(model, "model", "") or "llm"
        prompts = load_prompts(prompts_dir)
        self.answer_prompt = prompts.answer
        self.rewrite_prompt = prompts.rewrite
        # The LCEL chains: inputs → prompt → model → text.
        self.answer_chain: Runnable = (
            RunnablePassthrough.assign(
                passages=RunnableLambda(lambda x: format_passages(x["passages_list"])),
                n_passages=RunnableLambda(lambda x: len(x["passages_list"])),
                question=RunnableLambda(lambda x: format_question(x["question"])),
                not_found_marker=RunnableLambda(lambda _: NOT_FOUND_MARKER),
            )
            | self.answer_prompt
            | self.model
            | StrOutputParser()
        )
        self.rewrite_chain: Runnable = (
            RunnableLambda(
                lambda x: {
                    "history": format_history(x["history"]),
                    "context_docs": ", ".join(x["context_docs"]) or "(không rõ)",
                    "question": format_question(x["question"]),
                }
            )
            | self.rewrite_prompt
            | self.model
            | StrOutputParser()
        )
        self._local = threading.local()
        self._down_until = 0.0
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, engine: Any) -> LLMAnswerer:
        if not settings.llm:
            raise LLMConfigError("TROLY_LLM chưa được đặt.")
        extra = _extra(settings)
        timeout = llm_timeout(settings)
        return cls(
            engine,
            make_chat_model(settings.llm, settings, timeout=timeout),
            timeout=timeout,
            cooldown=_float(extra, "TROLY_LLM_COOLDOWN", DEFAULT_COOLDOWN),
            prompts_dir=extra.get("TROLY_PROMPTS_DIR") or None,
            name=settings.llm,
        )

    # -- the engine's other faces ----------------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name == "engine":  # not yet set (during __init__ failures): no recursion
            raise AttributeError(name)
        return getattr(self.engine, name)

    def warmup(self) -> None:
        warm = getattr(self.engine, "warmup", None)
        if callable(warm):
            warm()

    def get_passage(self, passage_id: str) -> Passage | None:
        return self.engine.get_passage(passage_id)

    @property
    def last_stats(self) -> Stats:
        """Timings of the last ``ask`` on the calling thread."""
        return getattr(self._local, "stats", None) or Stats()

    # -- model calls with a deadline -------------------------------------------------------------------
    def _available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _mark_down(self, exc: BaseException) -> None:
        status = getattr(exc, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500 and status not in (408, 429):
            return  # this request was refused; the server itself is fine
        if self.cooldown > 0:
            with self._lock:
                self._down_until = time.monotonic() + self.cooldown

    def _invoke(self, chain: Runnable, inputs: dict, what: str) -> str | None:
        """Run ``chain`` within ``timeout`` seconds; ``None`` (and a log line) on timeout or error.

        The call runs in a daemon thread: a server that never answers costs the user ``timeout`` seconds at
        most (retries included) and cannot keep the process from exiting.
        """
        box: dict[str, Any] = {}
        done = threading.Event()
        ctx = contextvars.copy_context()

        def run() -> None:
            try:
                box["out"] = ctx.run(chain.invoke, inputs)
            except BaseException as exc:
                box["exc"] = exc
            finally:
                done.set()

        threading.Thread(target=run, name="llm-call", daemon=True).start()
        if not done.wait(self.timeout):
            self._mark_down(TimeoutError())
            log.warning(
                "LLM %s (%s): quá thời gian %.0f s, dùng câu trả lời trích xuất",
                what,
                self.name,
                self.timeout,
            )
            return None
        exc = box.get("exc")
        if exc is not None:
            self._mark_down(exc)
            log.warning(
                "LLM %s (%s): lỗi %s: %s, dùng câu trả lời trích xuất",
                what,
                self.name,
                type(exc).__name__,
                str(exc)[:300],
            )
            return None
        return box["out"]

    # -- steps -----------------------------------------------------------------------------------------
    def rewrite(
        self, question: str, history: Sequence[tuple[str, str]], context_docs: Sequence[str] = ()
    ) -> str:
        """The follow-up as a standalone question (the original one when rewriting fails)."""
        out = self._invoke(
            self.rewrite_chain,
            {"question": question, "history": list(history), "context_docs": list(context_docs)},
            "viết lại câu hỏi",
        )
        if out is None:
            raise _ModelUnavailable
        text = _THINK.sub("", out).strip()
        line = next((ln.strip() for ln in text.split("\n") if ln.strip()), "")
        line = re.sub(r"^(?:câu hỏi(?: độc lập| đã viết lại)?\s*:\s*)", "", line, flags=re.IGNORECASE)
        line = line.strip().strip("\"'“”«»").strip()
        if not line or len(line) > max(400, 3 * len(question)):
            return question
        try:
            return clean_query(line)
        except ValueError:
            return question

    def _retrieve(self, question: str, context_docs: Sequence[str]) -> tuple[list[SearchHit], Answer]:
        """The engine's extractive answer (its grounding decision) and the passages it rests on."""
        extractive = self.engine.ask(question, context_docs=context_docs)
        hits = list(getattr(extractive, "hits", None) or [])
        if extractive.grounded and not hits and not extractive.from_document:
            hits = self.engine.search(question, k=self.k, context_docs=context_docs)
        return hits[: self.k], extractive

    def _llm_answer(
        self, question: str, result: CheckResult, hits: list[SearchHit], extractive: Answer
    ) -> Answer:
        citations = []
        for n in result.cited:
            p = hits[n - 1].passage
            quote = best_sentences(" ".join(result.claims.get(n, [])) or question, p)
            citations.append(Citation.from_passage(p, quote=quote))
        named = extractive.referenced_docs
        docs = tuple(dict.fromkeys(c.doc_number for c in citations if c.doc_number))
        return Answer(
            question=question,
            text=result.text,
            citations=citations,
            grounded=True,
            mode="llm",
            hits=hits,
            referenced_docs=named or docs,
        )

    # -- the question ------------------------------------------------------------------------------------
    def ask(
        self,
        question: str,
        *,
        context_docs: Sequence[str] = (),
        history: Sequence[tuple[str, str]] = (),
    ) -> Answer:
        t0 = time.perf_counter()
        stats = Stats()
        self._local.stats = stats
        q = clean_query(question)
        search_q = q
        available = self._available()
        if history and available:
            t = time.perf_counter()
            try:
                search_q = self.rewrite(q, history, context_docs)
            except _ModelUnavailable:
                available = False
                stats.reason = "rewrite_failed"
            stats.rewrite_ms = (time.perf_counter() - t) * 1000
        stats.search_question = search_q

        t = time.perf_counter()
        hits, extractive = self._retrieve(search_q, context_docs)
        extractive.question = question
        stats.retrieval_ms = (time.perf_counter() - t) * 1000

        answer = extractive
        if extractive.from_document:
            stats.reason = "from_document"  # a card field or an exact clause: quoted, never rephrased
        # The model decides when the extractive judge is unsure: only a question with no passage at all, or
        # naming a document the corpus does not hold, is refused without asking it.
        elif not extractive.grounded and (not hits or extractive.text.startswith(UNKNOWN_DOCUMENT)):
            stats.reason = stats.reason or "not_grounded"
        elif not available:
            stats.reason = stats.reason or "model_unavailable"
        else:
            passages = [h.passage for h in hits]
            t = time.perf_counter()
            raw = self._invoke(
                self.answer_chain, {"question": search_q, "passages_list": passages}, "trả lời"
            )
            stats.model_ms = (time.perf_counter() - t) * 1000
            if raw is None:
                stats.reason = "model_error"
            else:
                t = time.perf_counter()
                result = check_answer(raw, passages, search_q)
                stats.check_ms = (time.perf_counter() - t) * 1000
                stats.reason = result.reason
                if result.ok:
                    answer = self._llm_answer(question, result, hits, extractive)
                elif result.reason == "unanswerable" and not extractive.grounded:
                    # the judge was unsure and the model, having read the passages, says they do not answer
                    answer = Answer(
                        question=question,
                        text=NOT_FOUND,
                        grounded=False,
                        mode="llm",
                        hits=hits,
                        referenced_docs=extractive.referenced_docs,
                    )
                else:
                    log.info(
                        "LLM trả lời (%s) không đạt kiểm tra (%s%s), dùng câu trả lời trích xuất",
                        self.name,
                        result.reason,
                        f": {result.detail}" if result.detail else "",
                    )
        stats.mode = answer.mode
        stats.total_ms = (time.perf_counter() - t0) * 1000
        log.info(
            "answer mode=%s reason=%s rewrite_ms=%.0f retrieval_ms=%.0f model_ms=%.0f total_ms=%.0f",
            stats.mode,
            stats.reason,
            stats.rewrite_ms,
            stats.retrieval_ms,
            stats.model_ms,
            stats.total_ms,
        )
        return answer


class _ModelUnavailable(Exception):
    """The model timed out or failed (already logged)."""
