"""`LLMAnswerer`: rewrite a follow-up, retrieve, ask the model, check; the engine's extractive answer
whenever anything fails."""

from __future__ import annotations

import contextvars
import logging
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough

from prompts.loader import load_prompts
from retrieval.engine import clean_query
from retrieval.extractive import NOT_FOUND, UNKNOWN_DOCUMENT
from retrieval.llm.check import THINK_BLOCK, CheckResult, best_sentences, check_answer
from retrieval.llm.model import DEFAULT_TIMEOUT, LLMConfigError, make_chat_model
from retrieval.llm.prompt import NOT_FOUND_MARKER, format_history, format_passages, format_question
from retrieval.scope import PUBLIC, Audience
from retrieval.settings import LLMSettings
from retrieval.types import Answer, Citation, Passage, SearchHit

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel


log = logging.getLogger(__name__)

DEFAULT_PASSAGES = 5
DEFAULT_COOLDOWN = LLMSettings.cooldown


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
    def from_settings(cls, config: LLMSettings, engine: Any) -> LLMAnswerer:
        """The answerer of the parsed LLM settings over `engine`; LLMConfigError when `config.spec` is unset
        or unusable, ImportError when the provider's package is missing."""
        if not config.spec:
            raise LLMConfigError("TROLY_LLM chưa được đặt.")
        return cls(
            engine,
            make_chat_model(config.spec, config, timeout=config.timeout),
            timeout=config.timeout,
            cooldown=config.cooldown,
            prompts_dir=config.prompts_dir,
            name=config.spec,
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

    def get_passage(self, passage_id: str, audience: Audience = PUBLIC) -> Passage | None:
        """The engine's passage, under the same audience rule (None when `audience` may not read it)."""
        return self.engine.get_passage(passage_id, audience)

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
        text = THINK_BLOCK.sub("", out).strip()
        line = next((ln.strip() for ln in text.split("\n") if ln.strip()), "")
        line = re.sub(r"^(?:câu hỏi(?: độc lập| đã viết lại)?\s*:\s*)", "", line, flags=re.IGNORECASE)
        line = line.strip().strip("\"'“”«»").strip()
        if not line or len(line) > max(400, 3 * len(question)):
            return question
        try:
            return clean_query(line)
        except ValueError:
            return question

    def _retrieve(
        self, question: str, context_docs: Sequence[str], audience: Audience
    ) -> tuple[list[SearchHit], Answer]:
        """The engine's extractive answer (its grounding decision) and the passages it rests on; both
        searches see only the documents `audience` may read, so a limited passage never reaches the prompt."""
        extractive = self.engine.ask(question, context_docs=context_docs, audience=audience)
        hits = list(getattr(extractive, "hits", None) or [])
        if extractive.grounded and not hits and not extractive.from_document:
            hits = self.engine.search(question, k=self.k, context_docs=context_docs, audience=audience)
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
        audience: Audience = PUBLIC,
    ) -> Answer:
        """Answer `question` for `audience` (default: the public, i.e. documents without a ``pham_vi``
        limit only): see the module docstring of `retrieval.llm` for the steps."""
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
        hits, extractive = self._retrieve(search_q, context_docs, audience)
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
