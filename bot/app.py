"""The Telegram application: one factory (``build_application``) used by ``troly bot``, tests and benchmarks,
and the two ways to run it (long polling, webhook).

The bot is a thin adapter: handlers (``bot/handlers``) turn updates into calls on ``retrieval`` (through
``bot.engine_pool.QAService``) and on ``tasks`` (through ``bot.db_runner.SessionRunner``: one database per application,
used in worker threads); rendering is in ``bot/render.py`` and ``app/task_replies.py``, texts in
``bot/texts.py``. Reminders: a JobQueue job runs the domain's dispatcher on the same database
(``bot/reminders.py``).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import secrets
import signal
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import tornado.httpserver
import tornado.web
from telegram import BotCommand, BotCommandScopeDefault, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseHandler,
    Defaults,
    ExtBot,
    TypeHandler,
)

from app.my_tasks import RESULT_TTL_SECONDS
from bot import texts
from bot.db_runner import TASKS_KEY, SessionRunner, SharedDatabaseAnswerLog, clock_from_settings
from bot.deps import BOT_DATA_KEY, BotDeps
from bot.dialogue import DEFAULT_TTL_SECONDS, DatabaseDialogueStore, DatabaseFollowUpContext, FollowUpContext
from bot.engine_pool import Engine, QAService, default_workers
from bot.feedback import AnswerLog
from bot.handlers import register_handlers
from bot.handlers.stats import setup_log_retention
from bot.handlers.tasks import DIALOGUES_KEY
from bot.index_watch import setup_index_watch
from bot.outbox_sender import OUTBOX_KEY, OutboxSender, reminder_send
from bot.reminders import request_plan, setup_reminders
from bot.settings import file_url_for
from tasks.dialogue_state import DialogueStore as DialogueRows

log = logging.getLogger(__name__)


class MissingTokenError(RuntimeError):
    """No bot token configured."""

    def __init__(self) -> None:
        super().__init__(
            "Chưa có mã bot Telegram: hãy đặt biến môi trường TELEGRAM_BOT_TOKEN "
            "(lấy từ @BotFather, xem docs/bot.md).\n"
            "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and export its token (see docs/bot.md)."
        )


class _NoRetry(Exception):
    """Carries a ``RetryAfter`` through ``AIORateLimiter`` without it retrying (see `RetryingRateLimiter`)."""

    def __init__(self, original: RetryAfter) -> None:
        super().__init__(str(original))
        self.original = original


class RetryingRateLimiter(AIORateLimiter):
    """Telegram's flood limits, plus retries.

    ``AIORateLimiter`` already waits out a 429 (``RetryAfter``) and retries up to ``max_retries`` times;
    this also retries transient network failures (connection errors, timeouts, 5xx) with a short backoff.
    A 400 (``BadRequest``, a subclass of ``NetworkError``) is our bug, not the network's: never retried.

    ``rate_limit_args`` of a call: an int (PTB's meaning: the number of 429 retries) or a dict
    ``{"max_retries": n}``. ``max_retries`` 0 (``bot.reminders.NO_RETRY``, used by the reminder dispatcher,
    which throttles and reschedules by itself) sends once, still through the limiter: a 429 or a network
    error is raised at once instead of being slept through. (PTB's own ``AIORateLimiter`` reads 0 as "use
    the default".)
    """

    def __init__(self, *args: Any, network_retries: int = 3, backoff: float = 0.5, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.network_retries = network_retries
        self.backoff = backoff

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):  # type: ignore[override]
        if isinstance(rate_limit_args, dict):
            rate_limit_args = rate_limit_args.get("max_retries")
        if rate_limit_args == 0:
            return await self._send_once(callback, args, kwargs, endpoint, data)
        for attempt in range(self.network_retries + 1):
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except BadRequest:
                raise
            except NetworkError as exc:
                if attempt == self.network_retries:
                    raise
                delay = self.backoff * (2**attempt)
                log.warning("%s: lỗi mạng tạm thời (%s), thử lại sau %.1f s", endpoint, exc, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def _send_once(self, callback, args, kwargs, endpoint, data):
        async def once(*a: Any, **kw: Any) -> Any:
            try:
                return await callback(*a, **kw)
            except RetryAfter as exc:
                raise _NoRetry(exc) from exc

        try:
            return await super().process_request(once, args, kwargs, endpoint, data, None)
        except _NoRetry as wrapped:
            raise wrapped.original from None


def build_application(
    settings: Any,
    engine: Engine | None = None,
    *,
    token: str | None = None,
    base_url: str | None = None,
    answers: AnswerLog | None = None,
    workers: int | None = None,
    concurrent_updates: int = 64,
    max_retries: int = 3,
    context_ttl: float = DEFAULT_TTL_SECONDS,
    max_question_chars: int = texts.MAX_QUESTION_CHARS,
    extra_handlers: Iterable[BaseHandler] = (),
    warmup: bool = True,
    reminders: bool = True,
) -> Application:
    """Build the bot. ``engine`` defaults to ``RetrievalEngine.from_settings(settings)``, created and warmed
    up in a worker thread when the application starts (so ``/start`` works while the model loads).

    ``reminders=False`` leaves out the reminder job (the dispatcher still exists in ``bot_data``, for tests
    that run its sweeps themselves)."""
    token = token or getattr(settings, "telegram_token", None)
    if not token:
        raise MissingTokenError()
    base_url = base_url or getattr(settings, "telegram_api_base_url", None)

    if engine is None:

        def engine_factory() -> Engine:
            from retrieval.answerer_factory import make_answerer
            from retrieval.engine import RetrievalEngine
            from retrieval.modelbuild import build_default_model

            # The extractive engine, or the LLM chain over it when TROLY_LLM is set (same faces); a missing
            # default model is built on first use (a fresh installation), as `troly model build` would.
            engine = RetrievalEngine.from_settings(settings.retrieval, build_model=build_default_model)
            return make_answerer(settings.retrieval.llm, engine)

        if workers is None:  # LLM calls wait on the network: more of them at once
            workers = default_workers(llm=bool(settings.llm), configured=settings.bot.workers)
        qa = QAService(engine_factory, context=FollowUpContext(context_ttl), workers=workers)
    else:
        qa = QAService(engine, context=FollowUpContext(context_ttl), workers=workers)

    tz = getattr(settings, "tz", None)
    builder = (
        ApplicationBuilder()
        .token(token)
        .defaults(
            Defaults(parse_mode=ParseMode.HTML, tzinfo=tz) if tz else Defaults(parse_mode=ParseMode.HTML)
        )
        .rate_limiter(RetryingRateLimiter(max_retries=max_retries, network_retries=max_retries))
        .concurrent_updates(concurrent_updates)
        .connect_timeout(10)
        .read_timeout(20)
        .write_timeout(20)
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
    )
    if base_url:
        builder = builder.base_url(base_url)
    # Files sent to the bot (products, sheets) are downloaded from TELEGRAM_API_FILE_URL (settings.bot), or
    # from the file address of an explicitly given `base_url`.
    file_url = settings.bot.api_file_url if base_url == settings.telegram_api_base_url else None
    file_url = file_url or (file_url_for(base_url) if base_url else None)
    if file_url:
        builder = builder.base_file_url(file_url)
    application = builder.build()
    # The task database: opened (and migrated) once, on first use or at start-up with the answer log.
    store = SessionRunner(settings.database_url, tz=tz, clock=clock_from_settings(settings))
    application.bot_data[TASKS_KEY] = store
    # The outbox: every reply, notice and reminder is written there and sent by this process's workers
    # under the budget shared by every process (started in post_init, stopped in post_shutdown).
    sender = OutboxSender(application.bot, store, settings.bot.outbox)
    application.bot_data[OUTBOX_KEY] = sender
    # Multi-step dialogues ("Hoàn thành", a cancellation's reason, a review comment, the forms) live in the
    # database: they survive a restart and cross bot processes sharing it.
    application.bot_data[DIALOGUES_KEY] = DatabaseDialogueStore(
        lambda: DialogueRows(store.database().sessions), ttl=RESULT_TTL_SECONDS
    )
    qa.context = DatabaseFollowUpContext(lambda: DialogueRows(store.database().sessions), ttl=context_ttl)
    setup_reminders(
        application, settings, store, interval=settings.bot.reminder_interval if reminders else None,
        send=reminder_send(sender),
    )  # fmt: skip
    setup_log_retention(application, settings, store)  # daily: delete the question log past its retention
    setup_index_watch(application, store)  # documents added/removed in chat by another process: reload
    application.bot_data[BOT_DATA_KEY] = BotDeps(
        qa=qa,
        answers=answers
        if answers is not None
        else SharedDatabaseAnswerLog(settings.database_url, store=store),
        settings=settings,
        max_question_chars=max_question_chars,
    )
    application.bot_data["troly_warmup"] = warmup
    register_handlers(application, extra=extra_handlers)
    # Any update from an official Telegram had refused to deliver to clears "không nhận được tin nhắn".
    application.add_handler(TypeHandler(Update, _welcome_back, block=False), group=SEEN_GROUP)
    return application


SEEN_GROUP = -2  # before the conversation states (-1); never stops the update


async def _welcome_back(update: Update, context: Any) -> None:
    """The sender wrote to the bot: if they were marked unreachable (blocked bot, chat gone), clear it."""
    user = update.effective_user
    store: SessionRunner | None = context.application.bot_data.get(TASKS_KEY)
    if user is None or user.is_bot or store is None:
        return
    try:
        cleared = await store.run(_mark_reachable, user.id, store.now())
    except Exception as exc:  # never turn a bookkeeping failure into an error reply
        log.warning("Không cập nhật được trạng thái nhận tin của user=%s: %r", user.id, exc)
        return
    if cleared:
        log.info("user=%s nhắn tin lại: nhận được tin nhắn trở lại, nhắc việc tiếp tục.", user.id)
        request_plan(context.application)


def _mark_reachable(session: Any, tg_user_id: int, now: Any) -> bool:
    from tasks.reachability import mark_reachable

    return mark_reachable(session, tg_user_id, now)


async def set_commands(application: Application) -> None:
    """Publish the command menu: Vietnamese by default, English names for English-language clients."""
    bot = application.bot
    await bot.set_my_commands(
        [BotCommand(c.command, c.description) for c in texts.COMMANDS_VI], scope=BotCommandScopeDefault()
    )
    await bot.set_my_commands(
        [BotCommand(c.command, c.description) for c in texts.COMMANDS_EN],
        scope=BotCommandScopeDefault(),
        language_code="en",
    )


async def _post_init(application: Application) -> None:
    deps: BotDeps = application.bot_data[BOT_DATA_KEY]
    sender: OutboxSender | None = application.bot_data.get(OUTBOX_KEY)
    if sender is not None:
        sender.start()
    if application.bot_data.get("troly_warmup", True):
        deps.qa.start()  # load + warm the engine in the pool; questions wait for it, /start does not
        open_db = getattr(deps.answers, "open", None)
        if callable(open_db):  # open (and migrate) the database now rather than on the first answer
            application.bot_data["troly_db_open"] = asyncio.get_running_loop().run_in_executor(
                None, _quietly, open_db
            )
    try:
        await set_commands(application)
    except TelegramError as exc:  # the menu is a convenience: never refuse to start because of it
        log.warning("setMyCommands thất bại: %s", exc)
    log.info("Bot @%s đã khởi động.", application.bot.username)


async def _post_stop(application: Application) -> None:
    """Updates are done: finish the sends under way while the bot's HTTP client is still open (it is closed
    at shutdown); what is left waits in the outbox for another process or the next start."""
    sender: OutboxSender | None = application.bot_data.get(OUTBOX_KEY)
    if sender is not None:
        await sender.stop()


async def _post_shutdown(application: Application) -> None:
    deps: BotDeps = application.bot_data[BOT_DATA_KEY]
    sender: OutboxSender | None = application.bot_data.get(OUTBOX_KEY)
    if sender is not None:
        await sender.stop()  # no-op after post_stop; here for a start that failed before running
    deps.qa.shutdown()
    close = getattr(deps.answers, "close", None)
    if callable(close):
        close()
    store = application.bot_data.get(TASKS_KEY)
    if store is not None:
        store.close()
    log.info("Bot đã dừng.")


def _quietly(fn) -> None:
    try:
        fn()
    except Exception:
        log.exception(
            "Không mở được cơ sở dữ liệu (câu trả lời vẫn được gửi, đánh giá tạm giữ trong bộ nhớ)."
        )


def run_polling(application: Application) -> None:
    """Long polling until SIGINT/SIGTERM; pending answers are finished before exiting."""
    log.info("Chạy ở chế độ polling.")
    application.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)


def run_webhook(
    application: Application,
    webhook_url: str,
    *,
    listen: str = "127.0.0.1",
    port: int = 8443,
    secret_token: str | None = None,
    url_path: str | None = None,
) -> None:
    """Serve the webhook on ``listen:port`` (behind a TLS reverse proxy) and register ``webhook_url``.

    Telegram sends ``secret_token`` in the ``X-Telegram-Bot-Api-Secret-Token`` header; requests without it
    are rejected (403). Without one, a random token is generated for this run. A body that is not a JSON
    update (malformed JSON, not UTF-8, not an object with an ``update_id``) is answered 400, never 500.
    Runs until SIGINT/SIGTERM; pending answers are finished before exiting.
    """
    secret_token = secret_token or secrets.token_urlsafe(32)
    if url_path is None:
        url_path = urlsplit(webhook_url).path.lstrip("/")
    log.info("Chạy ở chế độ webhook: %s (nghe %s:%d, đường dẫn /%s)", webhook_url, listen, port, url_path)
    asyncio.run(_serve_webhook(application, webhook_url, listen, port, secret_token, url_path.strip("/")))


class _WebhookHandler(tornado.web.RequestHandler):
    """POST /<url_path>: check the secret, parse the update, queue it. 403 / 415 / 400 / 200."""

    SUPPORTED_METHODS = ("POST",)  # type: ignore[assignment]

    def initialize(self, bot_application: Application, secret_token: str) -> None:
        self.application_ = bot_application
        self.secret_token = secret_token

    async def post(self) -> None:
        token = self.request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(token.encode(), self.secret_token.encode()):
            raise tornado.web.HTTPError(HTTPStatus.FORBIDDEN, reason="Wrong secret token")
        ctype = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise tornado.web.HTTPError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, reason="Expected application/json")
        try:
            data = json.loads(self.request.body)
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError both are ValueErrors
            log.warning("Webhook: thân yêu cầu không phải JSON hợp lệ (%s)", exc)
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST, reason="Malformed JSON") from None
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            log.warning("Webhook: thân yêu cầu không phải một update của Telegram")
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST, reason="Not an update")
        bot = self.application_.bot
        try:
            update = Update.de_json(data, bot)
        except Exception as exc:
            log.warning("Webhook: không đọc được update: %r", exc)
            raise tornado.web.HTTPError(
                HTTPStatus.BAD_REQUEST, reason="Update could not be processed"
            ) from None
        if isinstance(bot, ExtBot):
            bot.insert_callback_data(update)
        await self.application_.update_queue.put(update)
        self.set_status(HTTPStatus.OK)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if not isinstance(value, tornado.web.HTTPError):
            log.error("Webhook: lỗi khi nhận update", exc_info=(typ, value, tb))


async def _ready_or_stopped(application: Application, stop: asyncio.Event) -> bool:
    """Wait for the retrieval engine to be warm (True) or for a stop signal (False). A failed warm-up still
    opens the port: questions then get the error reply, task commands keep working."""
    deps: BotDeps | None = application.bot_data.get(BOT_DATA_KEY)
    if deps is None or not application.bot_data.get("troly_warmup", True):
        return not stop.is_set()
    ready = deps.qa.start()
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({ready, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
    if stop.is_set():
        log.info("Nhận tín hiệu dừng trong lúc khởi động: thoát, không mở cổng webhook.")
        return False
    log.info("Bộ tra cứu đã sẵn sàng: mở cổng webhook.")
    return True


async def _serve_webhook(
    application: Application, webhook_url: str, listen: str, port: int, secret_token: str, url_path: str
) -> None:
    """The whole life of a webhook bot: initialize, serve, register the webhook, run until a stop signal."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    routes = [
        (
            rf"/{re.escape(url_path)}/?",
            _WebhookHandler,
            {"bot_application": application, "secret_token": secret_token},
        )
    ]
    server = tornado.httpserver.HTTPServer(
        tornado.web.Application(routes, log_function=lambda _handler: None), max_body_size=5 * 1024 * 1024
    )
    await application.initialize()
    try:
        if application.post_init:
            await application.post_init(application)
        # Behind a load balancer, a process takes updates only once it can answer them: until the engine is
        # warm the port stays closed and nginx sends everything to the other processes.
        if not await _ready_or_stopped(application, stop):
            return
        server.listen(port, address=listen)
        await application.bot.set_webhook(
            url=webhook_url,
            secret_token=secret_token,
            allowed_updates=Update.ALL_TYPES,
            drop_pending_updates=False,
        )
        await application.start()
        await stop.wait()
        log.info("Nhận tín hiệu dừng: hoàn tất các câu trả lời đang dở rồi thoát.")
    finally:
        server.stop()
        await server.close_all_connections()
        if application.running:
            await application.stop()
            if application.post_stop:
                await application.post_stop(application)
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)
