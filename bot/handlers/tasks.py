"""/viec (/tasks): my open tasks, and the task buttons (progress, "Hoàn thành", "Văn bản giao", pages).

Rules kept here:
- No task detail ever goes to a group: /viec in a group only says "message me privately", and a task button
  pressed anywhere but a private chat is refused.
- Callback data carries ids only and comes back from the client: every press re-reads who the sender is
  (their linked official) and re-checks permission in the database (`tasks.service` for changes,
  `tasks.bot_support.authorize_task` for views). A refused press is logged and written to the audit log.
- Database work runs in worker threads (`TaskStore.run`); rendering happens there too, inside the session.
- "Hoàn thành" asks for the product/result: the user's next text message in the private chat is taken as the
  result (a per-user state that expires after `RESULT_TTL_SECONDS`), with «Bỏ qua» and «Hủy» buttons.

Buttons of reminders (`tasks/messages_reminders.py`) use the same ``t:`` data and land here too.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardMarkup, ReplyParameters, Update
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import keyboards, messages, pipeline, render, render_tasks
from bot.deps import deps
from bot.handlers.common import thread_id
from bot.keyboards import TaskCallback
from bot.tasks_db import task_store
from retrieval.docrefs import document_keys, find_refs, ref_matches
from retrieval.types import Citation
from tasks.bot_support import authorize_task, count_open_overdue, record_refusal
from tasks.errors import InvalidOperation, NotFound, PermissionDenied
from tasks.models import Task
from tasks.normalize import fold, format_date
from tasks.service import complete_task, get_official_by_telegram, my_open_tasks, set_progress
from tasks.timeutil import local_date

log = logging.getLogger(__name__)

PAGE_SIZE = 5
RESULT_TTL_SECONDS = 10 * 60
MAX_RESULT_CHARS = 1000
PENDING_KEY = "troly_pending_results"


class NotLinked(Exception):
    """The Telegram account is not linked to an active official."""


# --- the "send me the result" state ---------------------------------------------------------------------


@dataclass(frozen=True)
class PendingResult:
    """A user pressed "Hoàn thành" on ``task_id``: their next text is the result (until ``expires``)."""

    task_id: int
    task_code: str
    chat_id: int
    card_message_id: int | None
    prompt_message_id: int | None
    expires: float


class PendingResults:
    """Per-user pending completions (one at a time: a new "Hoàn thành" replaces the previous one)."""

    def __init__(
        self, ttl: float = RESULT_TTL_SECONDS, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self._clock = clock
        self._items: dict[int, PendingResult] = {}
        self._lock = threading.Lock()

    def put(
        self,
        user_id: int,
        *,
        task_id: int,
        task_code: str,
        chat_id: int,
        card_message_id: int | None,
        prompt_message_id: int | None = None,
    ) -> PendingResult:
        item = PendingResult(
            task_id, task_code, chat_id, card_message_id, prompt_message_id, self._clock() + self.ttl
        )
        with self._lock:
            self._items[user_id] = item
            now = self._clock()
            for uid in [u for u, p in self._items.items() if p.expires < now]:
                del self._items[uid]
        return item

    def set_prompt(self, user_id: int, task_id: int, prompt_message_id: int) -> None:
        with self._lock:
            item = self._items.get(user_id)
            if item is not None and item.task_id == task_id:
                self._items[user_id] = PendingResult(
                    item.task_id, item.task_code, item.chat_id, item.card_message_id, prompt_message_id,
                    item.expires,
                )  # fmt: skip

    def peek(self, user_id: int) -> PendingResult | None:
        """The user's pending completion, expired or not (see `expired`)."""
        with self._lock:
            return self._items.get(user_id)

    def expired(self, item: PendingResult) -> bool:
        return self._clock() > item.expires

    def pop(self, user_id: int, task_id: int | None = None) -> PendingResult | None:
        """Remove and return the user's pending completion (only if it is for ``task_id``, when given)."""
        with self._lock:
            item = self._items.get(user_id)
            if item is None or (task_id is not None and item.task_id != task_id):
                return None
            del self._items[user_id]
            return item

    def __len__(self) -> int:
        return len(self._items)


def pending_results(context: ContextTypes.DEFAULT_TYPE) -> PendingResults:
    return context.application.bot_data.setdefault(PENDING_KEY, PendingResults())


# --- database work (runs in a worker thread, inside a session) ---------------------------------------------


@dataclass(frozen=True)
class Card:
    task_id: int
    code: str
    html: str
    keyboard: InlineKeyboardMarkup | None


@dataclass(frozen=True)
class TaskList:
    name: str
    header: str
    cards: list[Card]
    page: int
    page_count: int
    total: int


@dataclass(frozen=True)
class Change:
    """The outcome of a progress change or a completion, ready to show."""

    card: Card
    changed: bool
    actor: str  # "Name (CODE)" for the logs
    reply: str = ""  # HTML confirmation message (completion)


def _viewer(
    session: Any, tg_user_id: int, task_id: int | None = None, action: str = "", now: Any = None
) -> Any:
    """The sender's linked official; `NotLinked` otherwise (audited when it was an attempt on a task)."""

    official = get_official_by_telegram(session, tg_user_id)
    if official is None:
        if task_id is not None:
            record_refusal(
                session, f"telegram:{tg_user_id}", task_id, f"{action}; tài khoản chưa liên kết", now=now
            )
        raise NotLinked()
    return official


def _card(task: Any, today: Any, note: str | None = None, number: int | None = None) -> Card:
    return Card(
        task.id,
        task.code,
        render_tasks.task_card(task, today, note=note, number=number),
        keyboards.task_keyboard(
            task.id, progress=task.progress, done=task.is_done, has_document=bool(task.source_document)
        ),
    )


def load_task_list(
    session: Any, tg_user_id: int, page: int, today: Any, page_size: int = PAGE_SIZE
) -> TaskList:
    official = _viewer(session, tg_user_id)
    result = my_open_tasks(session, official, page=page, page_size=page_size)
    if not result.items and result.total and page > result.page_count:  # tasks were closed meanwhile
        result = my_open_tasks(session, official, page=result.page_count, page_size=page_size)
    overdue = count_open_overdue(session, official, today) if result.total else 0
    first = (result.page - 1) * result.page_size
    cards = [_card(t, today, number=first + i) for i, t in enumerate(result.items, 1)]
    header = render_tasks.list_header(
        official.full_name, result.total, overdue, result.page, result.page_count
    )
    return TaskList(official.full_name, header, cards, result.page, result.page_count, result.total)


def load_card(session: Any, tg_user_id: int, task_id: int, today: Any, now: datetime) -> Card:
    viewer = _viewer(session, tg_user_id, task_id, "xem nhiệm vụ", now)
    task = authorize_task(session, viewer, task_id, change=False, action="xem nhiệm vụ", now=now)
    return _card(task, today)


def apply_progress(
    session: Any, tg_user_id: int, task_id: int, percent: int, now: datetime, today: Any, tz: Any
) -> Change:
    actor = _viewer(session, tg_user_id, task_id, "cập nhật tiến độ", now)
    current = session.get(Task, task_id)
    if current is None:
        raise NotFound(f"Không tìm thấy nhiệm vụ số {task_id}.")
    old_progress, old_status = current.progress, current.status
    task = set_progress(session, actor, task_id, percent, via="bot", now=now)  # checks, audits, commits
    changed = (task.progress, task.status) != (old_progress, old_status)
    note = render_tasks.progress_note(actor, old_progress, task.progress, now, tz) if changed else None
    return Change(_card(task, today, note), changed, f"{actor.full_name} ({actor.code})")


def check_completable(session: Any, tg_user_id: int, task_id: int, now: datetime) -> tuple[str, str]:
    """(task code, the "send me the result" prompt) if the sender may complete the task now."""

    viewer = _viewer(session, tg_user_id, task_id, "hoàn thành", now)
    task = authorize_task(session, viewer, task_id, change=True, action="hoàn thành", now=now)
    if task.is_done:
        since = (
            f"từ ngày {format_date(task.completed_on)}" if task.completed_on else "(không rõ ngày hoàn thành)"
        )
        raise InvalidOperation(f"Nhiệm vụ {task.code} đã hoàn thành {since}.")
    return task.code, render_tasks.completion_prompt(task, int(RESULT_TTL_SECONDS // 60))


def apply_completion(
    session: Any, tg_user_id: int, task_id: int, note: str | None, now: datetime, tz: Any
) -> Change:
    actor = _viewer(session, tg_user_id, task_id, "hoàn thành", now)
    task = complete_task(session, actor, task_id, note, via="bot", now=now, tz=tz)  # checks, audits, commits
    today = local_date(now, tz)
    card = _card(task, today, render_tasks.completed_note(actor, now, tz))
    reply = render_tasks.completion_reply(actor, task, now, tz)
    return Change(card, True, f"{actor.full_name} ({actor.code})", reply)


def load_document_request(session: Any, tg_user_id: int, task_id: int, now: datetime) -> Any:
    """A detached snapshot of what "Văn bản giao" needs: code, content, source document."""

    viewer = _viewer(session, tg_user_id, task_id, "văn bản giao", now)
    task = authorize_task(session, viewer, task_id, change=False, action="văn bản giao", now=now)
    return _DocRequest(task.id, task.code, task.content, task.source_document)


@dataclass(frozen=True)
class _DocRequest:
    id: int
    code: str
    content: str
    source_document: str | None


# --- sending helpers ---------------------------------------------------------------------------------------


async def send_html(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    text: str,
    reply_markup: Any = None,
    *,
    chat_id: int | None = None,
    quote: bool | None = None,
    reply_to: int | None = None,
) -> Any:
    """Send one HTML message (split if ever too long; the markup goes on the last part).

    In groups the user's message is quoted so it is clear whom the bot answers.
    """
    chat = update.effective_chat
    message = update.effective_message
    target = chat_id if chat_id is not None else (chat.id if chat else None)
    if target is None:
        return None
    group = chat is not None and pipeline.is_group(chat.type)
    if reply_to is None and (quote if quote is not None else group) and message is not None:
        reply_to = message.message_id
    # Telegram's limit applies to the text after entity parsing: a card full of escaped "&" stays one message.
    fits = render.utf16_len(render.visible_text(text)) <= render.TELEGRAM_MAX_CHARS
    parts = [text] if fits else (render.split_html(text) or [text])
    sent = None
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        sent = await context.bot.send_message(
            chat_id=target,
            text=part,
            reply_markup=reply_markup if last else None,
            reply_parameters=(
                ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
                if (i == 0 and reply_to)
                else None
            ),
            message_thread_id=thread_id(message) if update.callback_query is None else None,
        )
    return sent


async def _edit(context: ContextTypes.DEFAULT_TYPE, chat_id: int, message_id: int | None, card: Card) -> bool:
    """Replace a card message in place; False when it cannot be edited (too old, deleted...)."""
    if message_id is None:
        return False
    try:
        await context.bot.edit_message_text(
            chat_id=chat_id, message_id=message_id, text=card.html, reply_markup=card.keyboard
        )
        return True
    except BadRequest as exc:
        if "not modified" in str(exc).lower():
            return True
        log.info("Không sửa được tin nhắn %s/%s: %s", chat_id, message_id, exc)
        return False


async def _clear_buttons(context: ContextTypes.DEFAULT_TYPE, chat_id: int, message_id: int | None) -> None:
    if message_id is None:
        return
    try:
        await context.bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id, reply_markup=None)
    except BadRequest as exc:
        log.debug("Không bỏ được nút của tin nhắn %s/%s: %s", chat_id, message_id, exc)


def _private(chat: Any) -> bool:
    return chat is not None and chat.type == ChatType.PRIVATE


# --- /viec -----------------------------------------------------------------------------------------------


async def viec_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await show_my_tasks(update, context, page=1)


async def show_my_tasks(update: Update, context: ContextTypes.DEFAULT_TYPE, page: int = 1) -> None:
    chat = update.effective_chat
    user = update.effective_user
    if chat is None or user is None:
        return
    if pipeline.is_group(chat.type):
        username = context.bot.username or "bot"
        await send_html(
            update,
            context,
            messages.TASKS_IN_GROUP.format(username=render.escape(username)),
            keyboards.private_chat_keyboard(context.bot.username, "viec"),
        )
        log.info("/viec trong nhóm %s: đã đề nghị nhắn riêng", chat.id)
        return
    if not _private(chat):
        return  # channels: never
    store = task_store(context)
    try:
        listing = await store.run(load_task_list, user.id, page, store.today())
    except NotLinked:
        await send_html(update, context, messages.NOT_LINKED)
        return
    await _send_list(update, context, chat.id, listing)


async def _send_list(
    update: Update, context: ContextTypes.DEFAULT_TYPE, chat_id: int, listing: TaskList
) -> None:
    if not listing.total:
        await send_html(
            update, context, messages.TASKS_EMPTY.format(name=render.escape(listing.name)), chat_id=chat_id
        )
        return
    await send_html(update, context, listing.header, chat_id=chat_id)
    for card in listing.cards:
        await send_html(update, context, card.html, card.keyboard, chat_id=chat_id)
    nav = keyboards.pages_keyboard(listing.page, listing.page_count)
    if nav is not None:
        rest = listing.total - len(listing.cards)
        await send_html(
            update,
            context,
            messages.TASKS_PAGE_FOOTER.format(page=listing.page, pages=listing.page_count, rest=rest),
            nav,
            chat_id=chat_id,
        )


# --- buttons ---------------------------------------------------------------------------------------------


async def on_task_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    data = TaskCallback.parse(query.data)
    user = query.from_user
    if data is None:
        await query.answer(messages.CALLBACK_UNKNOWN)
        return
    chat = query.message.chat if query.message is not None else None
    if not _private(chat):
        log.warning(
            "Từ chối nút nhiệm vụ ngoài chat riêng: user=%s chat=%s data=%s",
            user.id,
            chat and chat.id,
            query.data,
        )
        await query.answer(messages.TASKS_IN_GROUP_ALERT, show_alert=True)
        return

    try:
        if data.action == "p":
            await _progress(update, context, data)
        elif data.action == "done":
            await _ask_result(update, context, data)
        elif data.action == "skip":
            await _skip(update, context, data)
        elif data.action == "x":
            await _cancel(update, context, data)
        elif data.action == "v":
            await _view(update, context, data)
        elif data.action == "doc":
            await _document(update, context, data)
        elif data.action == "pg":
            await _page(update, context, data)
    except NotLinked:
        log.warning("Nút nhiệm vụ từ tài khoản chưa liên kết: user=%s data=%s", user.id, query.data)
        await query.answer(messages.NOT_LINKED_ALERT, show_alert=True)
    except PermissionDenied as exc:
        log.warning("Từ chối nút nhiệm vụ (không có quyền): user=%s data=%s: %s", user.id, query.data, exc)
        await query.answer(messages.DENIED_ALERT, show_alert=True)
    except NotFound:
        await query.answer(messages.TASK_GONE, show_alert=True)
    except InvalidOperation as exc:
        await query.answer(render_tasks.shorten(str(exc), 190), show_alert=True)


async def _progress(update: Update, context: ContextTypes.DEFAULT_TYPE, data: TaskCallback) -> None:
    query = update.callback_query
    store = task_store(context)
    now = store.now()
    change = await store.run(
        apply_progress, query.from_user.id, data.task_id, data.percent, now, store.today(), store.tz
    )
    if not change.changed:
        await query.answer(messages.PROGRESS_SAME.format(percent=data.percent))
        return
    log.info("Tiến độ %s → %d%% bởi %s (qua nút)", change.card.code, data.percent, change.actor)
    await query.answer(messages.PROGRESS_TOAST.format(percent=data.percent))
    message = query.message
    if not await _edit(context, message.chat.id, message.message_id, change.card):
        await send_html(update, context, change.card.html, change.card.keyboard, chat_id=message.chat.id)


async def _ask_result(update: Update, context: ContextTypes.DEFAULT_TYPE, data: TaskCallback) -> None:
    query = update.callback_query
    store = task_store(context)
    code, prompt = await store.run(check_completable, query.from_user.id, data.task_id, store.now())
    chat_id = query.message.chat.id
    pendings = pending_results(context)
    pendings.put(
        query.from_user.id,
        task_id=data.task_id,
        task_code=code,
        chat_id=chat_id,
        card_message_id=query.message.message_id,
    )
    await query.answer(messages.DONE_ASK_TOAST)
    sent = await send_html(
        update, context, prompt, keyboards.completion_keyboard(data.task_id), chat_id=chat_id,
        reply_to=query.message.message_id,
    )  # fmt: skip
    if sent is not None:
        pendings.set_prompt(query.from_user.id, data.task_id, sent.message_id)


async def _skip(update: Update, context: ContextTypes.DEFAULT_TYPE, data: TaskCallback) -> None:
    query = update.callback_query
    pendings = pending_results(context)
    item = pendings.peek(query.from_user.id)
    if item is None or item.task_id != data.task_id or pendings.expired(item):
        if item is not None and item.task_id == data.task_id:
            pendings.pop(query.from_user.id, data.task_id)
        await query.answer(messages.DONE_EXPIRED, show_alert=True)
        await _clear_buttons(context, query.message.chat.id, query.message.message_id)
        return
    await query.answer()
    await complete_pending(update, context, query.from_user.id, None)


async def _cancel(update: Update, context: ContextTypes.DEFAULT_TYPE, data: TaskCallback) -> None:
    query = update.callback_query
    item = pending_results(context).pop(query.from_user.id, data.task_id)
    await query.answer()
    code = item.task_code if item is not None else str(data.task_id)
    try:
        await query.edit_message_text(
            messages.DONE_CANCELLED.format(code=render.escape(code)), reply_markup=None
        )
    except BadRequest as exc:
        log.debug("Không sửa được lời nhắc: %s", exc)


async def _view(update: Update, context: ContextTypes.DEFAULT_TYPE, data: TaskCallback) -> None:
    query = update.callback_query
    store = task_store(context)
    card = await store.run(load_card, query.from_user.id, data.task_id, store.today(), store.now())
    await query.answer()
    await send_html(update, context, card.html, card.keyboard, chat_id=query.message.chat.id)


async def _page(update: Update, context: ContextTypes.DEFAULT_TYPE, data: TaskCallback) -> None:
    query = update.callback_query
    store = task_store(context)
    listing = await store.run(load_task_list, query.from_user.id, data.page, store.today())
    await query.answer()
    await _send_list(update, context, query.message.chat.id, listing)


async def _document(update: Update, context: ContextTypes.DEFAULT_TYPE, data: TaskCallback) -> None:
    query = update.callback_query
    store = task_store(context)
    request = await store.run(load_document_request, query.from_user.id, data.task_id, store.now())
    chat_id = query.message.chat.id
    await query.answer(messages.DOCUMENT_SEARCHING if request.source_document else None)
    excerpts: list[tuple[str, str]] = []
    refs = _document_refs(request.source_document)
    if request.source_document and refs:
        async with pipeline.typing(context.bot, chat_id):
            excerpts = await _document_passages(context, request, refs)
    text = render_tasks.document_reply(request, excerpts, known=bool(refs))
    await send_html(update, context, text, chat_id=chat_id, reply_to=query.message.message_id)


def _document_refs(source_document: str | None) -> list[Any]:
    if not source_document:
        return []

    return find_refs(source_document)


async def _document_passages(
    context: ContextTypes.DEFAULT_TYPE, request: _DocRequest, refs: list[Any]
) -> list[tuple[str, str]]:
    """Citation labels and excerpts of the top hits (k=3) that belong to the task's assigning document."""

    qa = deps(context).qa
    engine = await qa.engine()
    hits = await qa.run(engine.search, request.content, k=3, context_docs=[request.source_document])
    found: list[tuple[str, str]] = []
    for hit in hits:
        doc = hit.passage.doc
        keys = document_keys(doc.doc_number, doc.doc_type)
        if any(ref_matches(ref, keys) for ref in refs):
            found.append((render.citation_label(Citation.from_passage(hit.passage)), hit.passage.text))
    return found


# --- the result of a completion ----------------------------------------------------------------------------


def _folded(text: str) -> str:
    return fold(text).strip(" .!")


async def result_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Group -1: a private text while a completion waits for its result. Consumes the message (stopping
    the question handlers) only when there is such a completion; otherwise does nothing."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None or message.text is None:
        return
    pendings = pending_results(context)
    item = pendings.peek(user.id)
    if item is None or item.chat_id != message.chat.id:
        return
    if pendings.expired(item):
        pendings.pop(user.id, item.task_id)
        await _clear_buttons(context, item.chat_id, item.prompt_message_id)
        return  # the text is an ordinary message again (a question)
    text = message.text.strip()
    folded = _folded(text)
    if folded in {_folded(w) for w in messages.RESULT_CANCEL_WORDS}:
        pendings.pop(user.id, item.task_id)
        await _clear_buttons(context, item.chat_id, item.prompt_message_id)
        await send_html(update, context, messages.DONE_CANCELLED.format(code=render.escape(item.task_code)))
        raise ApplicationHandlerStop
    if folded in {_folded(w) for w in messages.RESULT_SKIP_WORDS}:
        await complete_pending(update, context, user.id, None)
        raise ApplicationHandlerStop
    if not any(ch.isalnum() for ch in text):
        await send_html(update, context, messages.RESULT_EMPTY)
        raise ApplicationHandlerStop
    if len(text) > MAX_RESULT_CHARS:
        await send_html(
            update, context, messages.RESULT_TOO_LONG.format(length=len(text), limit=MAX_RESULT_CHARS)
        )
        raise ApplicationHandlerStop
    await complete_pending(update, context, user.id, text, reply_to=message.message_id)
    raise ApplicationHandlerStop


async def complete_pending(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    user_id: int,
    note: str | None,
    *,
    reply_to: int | None = None,
) -> None:
    """Complete the user's pending task with ``note`` (None: no result), show who did it, update the card."""

    item = pending_results(context).pop(user_id)
    if item is None:
        return
    store = task_store(context)
    now = store.now()
    via_button = (
        update.callback_query is not None
    )  # «Bỏ qua» on the prompt: the prompt itself is edited below
    if not via_button:
        await _clear_buttons(context, item.chat_id, item.prompt_message_id)
    try:
        change = await store.run(apply_completion, user_id, item.task_id, note, now, store.tz)
    except (NotLinked, PermissionDenied, InvalidOperation, NotFound) as exc:
        if isinstance(exc, NotLinked):
            text = messages.NOT_LINKED
        elif isinstance(exc, PermissionDenied):
            log.warning("Từ chối hoàn thành nhiệm vụ %s của user=%s: %s", item.task_id, user_id, exc)
            text = render.escape(messages.DENIED_ALERT)
        else:
            text = render.escape(str(exc))
        if via_button:
            await _clear_buttons(context, item.chat_id, item.prompt_message_id)
        await send_html(update, context, text, chat_id=item.chat_id)
        return
    log.info(
        "Hoàn thành %s bởi %s (qua bot, %s kết quả)",
        change.card.code,
        change.actor,
        "có" if note else "không",
    )
    if via_button:
        await update.callback_query.edit_message_text(change.reply, reply_markup=None)
    else:
        await send_html(update, context, change.reply, chat_id=item.chat_id, reply_to=reply_to)
    if not await _edit(context, item.chat_id, item.card_message_id, change.card):
        await send_html(update, context, change.card.html, change.card.keyboard, chat_id=item.chat_id)
