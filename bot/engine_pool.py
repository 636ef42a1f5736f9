"""The bot's side of retrieval: the engine behind a thread pool, warmed up once, with per-chat follow-up
context and per-chat ordering.

Every call says who is asking (`retrieval.scope.Audience`, from `app.audience`): documents limited to some
units (``pham_vi``) are used only for their audience. The default is the public (fail closed): a caller
that forgets the audience shows less, never more.

Retrieval is CPU-bound (embedding the question, ranking); running it on the event loop would freeze every
chat while one question is searched. Here every engine call runs in a dedicated thread pool, so the loop
keeps answering ``/start`` and sending replies while searches run.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from bot.dialogue import FollowUpContext, FollowUpStore
from retrieval.scope import PUBLIC, Audience

log = logging.getLogger(__name__)


class Engine(Protocol):
    """What the bot needs from ``retrieval.engine.RetrievalEngine``."""

    def ask(self, question: str, *, context_docs=(), audience: Audience = PUBLIC) -> Any: ...

    def get_passage(self, passage_id: str, audience: Audience = PUBLIC) -> Any: ...


def default_workers(*, llm: bool = False, configured: int | None = None) -> int:
    """Threads for engine calls: ``configured`` (TROLY_BOT_WORKERS, from the settings), else 2–4
    (CPU-bound retrieval: about one per core), or 16 when answers come from an LLM (mostly waiting on the
    network)."""
    if configured:
        return configured
    if llm:
        return 16
    return max(2, min(4, os.cpu_count() or 2))


class _ChatLocks:
    """One asyncio.Lock per chat, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    def acquire_ctx(self, chat_id: int):
        return _ChatLockCtx(self, chat_id)


class _ChatLockCtx:
    def __init__(self, owner: _ChatLocks, chat_id: int) -> None:
        self.owner, self.chat_id = owner, chat_id

    async def __aenter__(self) -> None:
        lock, users = self.owner._locks.get(self.chat_id, (asyncio.Lock(), 0))
        self.owner._locks[self.chat_id] = (lock, users + 1)
        self.lock = lock
        await lock.acquire()

    async def __aexit__(self, *exc) -> None:
        self.lock.release()
        lock, users = self.owner._locks[self.chat_id]
        if users <= 1:
            del self.owner._locks[self.chat_id]
        else:
            self.owner._locks[self.chat_id] = (lock, users - 1)


def _log_load_failure(future: asyncio.Future) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("Không khởi tạo được bộ tra cứu (sẽ thử lại ở câu hỏi sau)", exc_info=future.exception())


class QAService:
    """Ask questions and fetch passages without blocking the event loop.

    ``engine`` is an engine object or a zero-argument factory returning one (the real engine loads a model:
    it is built and warmed up in the pool, in the background, when the bot starts).
    """

    def __init__(
        self,
        engine: Engine | Callable[[], Engine],
        *,
        context: FollowUpContext | None = None,
        workers: int | None = None,
    ) -> None:
        self._engine: Engine | None = None
        self._factory: Callable[[], Engine] | None = None
        if callable(engine) and not hasattr(engine, "ask"):
            self._factory = engine
        else:
            self._engine = engine  # type: ignore[assignment]
        self.context: FollowUpStore = context or FollowUpContext()
        self.workers = workers or default_workers()
        self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="retrieval")
        self._ready: asyncio.Future | None = None
        self._locks = _ChatLocks()

    # -- lifecycle -------------------------------------------------------------------------------------

    def _load(self) -> Engine:
        engine = self._engine
        if engine is None:
            assert self._factory is not None
            log.info("Đang khởi tạo bộ tra cứu (retrieval engine)…")
            engine = self._factory()
        warmup = getattr(engine, "warmup", None)
        if callable(warmup):
            warmup()
        self._engine = engine
        log.info("Bộ tra cứu đã sẵn sàng.")
        return engine

    def start(self) -> asyncio.Future:
        """Begin loading/warming the engine in the pool (idempotent; a failed load is retried)."""
        if self._ready is None or (self._ready.done() and self._ready.exception() is not None):
            loop = asyncio.get_running_loop()
            self._ready = loop.run_in_executor(self._executor, self._load)
            self._ready.add_done_callback(_log_load_failure)
        return self._ready

    async def engine(self) -> Engine:
        return await asyncio.shield(self.start())

    @property
    def is_ready(self) -> bool:
        return self._ready is not None and self._ready.done() and self._ready.exception() is None

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    # -- calls -----------------------------------------------------------------------------------------

    async def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(*args, **kwargs))

    async def ask(self, chat_id: int, question: str, audience: Audience = PUBLIC) -> Any:
        """Answer ``question`` for ``audience`` in the context of this chat's last referred documents;
        update that context.

        Questions of one chat are answered in order (a follow-up needs the context of the question before
        it); different chats run in parallel. A follow-up is searched for the audience of its own asker
        (the context holds document numbers only, never text).
        """
        engine = await self.engine()
        async with self._locks.acquire_ctx(chat_id):
            docs = self.context.get(chat_id)
            answer = await self.run(engine.ask, question, context_docs=docs, audience=audience)
            self.context.remember(chat_id, getattr(answer, "referenced_docs", ()) or ())
            return answer

    async def get_passage(self, passage_id: str, audience: Audience = PUBLIC) -> Any:
        """ "Xem nguyên văn": the passage, or None when unknown or not for `audience`."""
        engine = await self.engine()
        return await self.run(engine.get_passage, passage_id, audience)

    async def document_cards(self, reference: str = "", audience: Audience = PUBLIC) -> list[dict]:
        """Cards of every document `audience` may read, or of those a reference names ("57", "KL 221") —
        `/vanban`."""
        engine = await self.engine()
        if reference:
            return await self.run(engine.find_documents, reference, audience)  # type: ignore[attr-defined]
        return await self.run(engine.document_cards, audience)  # type: ignore[attr-defined]
