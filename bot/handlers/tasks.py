"""/viec (/tasks) and the task buttons (``t:``: progress, "Hoàn thành", "Văn bản giao", pages), also under
reminders. Each handler translates an update into one use case of `app.my_tasks` / `app.documents` and the
screens it returns into sends (`bot.sending`).

Rules kept here (the Telegram side of them):
- No task detail ever goes to a group: /viec in a group only says "message me privately", and a task button
  pressed anywhere but a private chat is refused.
- A button's data is parsed by the one grammar (`tasks.ui.parse_callback`); anything else — e.g. a button of
  an older version still in a chat — gets the stale-button note. Every press re-reads who the sender is and
  re-checks the permission (in the use case); a refused press is logged and audited.
- "Hoàn thành" asks for the product/result: the user's next private message is it (a "result" step of
  the `DialogueStore`, expiring after `RESULT_TTL_SECONDS`). Pressed by the assignee, the product — a text
  here, a file or photo in `bot.handlers.products` — is handed in for review (mode "product", «Hủy»);
  pressed by a leader, the text completes the task at once (mode "result", «Bỏ qua» and «Hủy»).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, replace
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, ContextTypes

from app import documents, my_tasks, products
from app.my_tasks import RESULT_TTL_SECONDS
from app.viewer import NotLinked, Viewer
from bot import render, sending, texts
from bot.db_runner import session_runner
from bot.deps import deps
from bot.dialogue import DialogueStore, MemoryDialogueStore
from tasks.errors import InvalidOperation, NotFound, PermissionDenied
from tasks.normalize import fold
from tasks.ui import MAX_ALERT_CHARS, Callback, parse_callback, shorten

log = logging.getLogger(__name__)

MAX_RESULT_CHARS = 1000
DIALOGUES_KEY = "troly_dialogues"
RESULT = "result"


@dataclass(frozen=True)
class PendingResult:
    """A user pressed "Hoàn thành" on `task_id`: their next message is the product (`mode` "product") or
    the result (`mode` "result"). Stored as plain JSON (`asdict`) in the `DialogueStore`."""

    task_id: int
    task_code: str
    chat_id: int
    card_message_id: int | None
    prompt_message_id: int | None = None
    mode: str = "result"

    @classmethod
    def of(cls, state: Any) -> PendingResult | None:
        """The pending step from a stored state (None for anything else, e.g. a state of an older version)."""
        try:
            return cls(**state) if isinstance(state, dict) else None
        except TypeError:
            return None


def dialogues(context: ContextTypes.DEFAULT_TYPE) -> DialogueStore:
    """The application's dialogue store (the database-backed one, set up by `bot.app.build_application`)."""
    return context.application.bot_data.setdefault(DIALOGUES_KEY, MemoryDialogueStore(RESULT_TTL_SECONDS))


def pending_result(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> tuple[Any, PendingResult | None]:
    """(the stored dialogue, its `PendingResult`) of the user's "result" step, (None, None) when none."""
    item = dialogues(context).get(user_id, RESULT)
    return (item, PendingResult.of(item.state)) if item is not None else (None, None)


def viewer(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> Viewer:
    """Who is asking, now (the application's clock and time zone)."""
    store = session_runner(context)
    return Viewer(user_id, store.now(), store.tz)


def _private(chat) -> bool:
    return chat is not None and chat.type == ChatType.PRIVATE


async def in_group_refusal(update: Update, context: ContextTypes.DEFAULT_TYPE, html: str, start: str) -> None:
    """ "Message me privately" with a button opening the private chat (``/start <start>``)."""
    username = context.bot.username
    buttons = [[(texts.BUTTON_OPEN_PRIVATE, f"https://t.me/{username}?start={start}")]] if username else []
    await sending.send(update, context.bot, html, buttons)


# --- /viec -----------------------------------------------------------------------------------------------


async def viec_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await show_my_tasks(update, context, page=1)


async def show_my_tasks(update: Update, context: ContextTypes.DEFAULT_TYPE, page: int = 1) -> None:
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    if sending.is_group(chat.type):
        username = render.escape(context.bot.username or "bot")
        await in_group_refusal(update, context, texts.TASKS_IN_GROUP.format(username=username), "viec")
        log.info("/viec trong nhóm %s: đã đề nghị nhắn riêng", chat.id)
        return
    if not _private(chat):
        return  # channels: never
    try:
        screens = await session_runner(context).run(my_tasks.my_tasks, viewer(context, user.id), page)
    except NotLinked:
        await sending.send(update, context.bot, texts.NOT_LINKED)
        return
    for screen in screens:
        await sending.send(update, context.bot, screen.html, screen.buttons, chat_id=chat.id)


# --- buttons ---------------------------------------------------------------------------------------------


async def on_task_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    data = parse_callback(query.data)
    user = query.from_user
    if data is None or data.prefix != "t":
        await query.answer(texts.CALLBACK_UNKNOWN)
        return
    chat = query.message.chat if query.message is not None else None
    if not _private(chat):
        log.warning("Từ chối nút nhiệm vụ ngoài chat riêng: user=%s chat=%s data=%s", user.id, chat and chat.id,
                    query.data)  # fmt: skip
        await query.answer(texts.TASKS_IN_GROUP_ALERT, show_alert=True)
        return
    handler = _BUTTONS[data.action]
    try:
        await handler(update, context, data)
    except NotLinked:
        log.warning("Nút nhiệm vụ từ tài khoản chưa liên kết: user=%s data=%s", user.id, query.data)
        await query.answer(texts.NOT_LINKED_ALERT, show_alert=True)
    except PermissionDenied as exc:
        log.warning("Từ chối nút nhiệm vụ (không có quyền): user=%s data=%s: %s", user.id, query.data, exc)
        await query.answer(texts.DENIED_ALERT, show_alert=True)
    except NotFound:
        await query.answer(texts.TASK_GONE, show_alert=True)
    except InvalidOperation as exc:
        await query.answer(shorten(str(exc), MAX_ALERT_CHARS), show_alert=True)


async def _progress(update: Update, context: ContextTypes.DEFAULT_TYPE, data: Callback) -> None:
    query = update.callback_query
    task_id, percent = data.args
    change = await session_runner(context).run(my_tasks.set_progress, viewer(context, query.from_user.id), task_id,
                                           percent)  # fmt: skip
    if not change.changed:
        await query.answer(texts.PROGRESS_SAME.format(percent=percent))
        return
    log.info("Tiến độ %s → %d%% bởi %s (qua nút)", change.code, percent, change.actor)
    await query.answer(texts.PROGRESS_TOAST.format(percent=percent))
    message = query.message
    await sending.send(update, context.bot, change.card.html, change.card.buttons, chat_id=message.chat.id,
                       edit_message_id=message.message_id)  # fmt: skip


async def _ask_result(update: Update, context: ContextTypes.DEFAULT_TYPE, data: Callback) -> None:
    query = update.callback_query
    user_id, task_id = query.from_user.id, data.args[0]
    start = await session_runner(context).run(products.start_completion, viewer(context, user_id), task_id)
    chat_id = query.message.chat.id
    pending = PendingResult(task_id, start.code, chat_id, query.message.message_id, mode=start.mode)
    dialogues(context).put(user_id, RESULT, asdict(pending))
    await query.answer(texts.DONE_ASK_TOAST)
    sent = await sending.send(update, context.bot, start.prompt.html, start.prompt.buttons, chat_id=chat_id,
                              reply_to=query.message.message_id)  # fmt: skip
    if sent is not None:
        dialogues(context).update(user_id, RESULT, asdict(replace(pending, prompt_message_id=sent)))


async def _skip(update: Update, context: ContextTypes.DEFAULT_TYPE, data: Callback) -> None:
    query = update.callback_query
    store = dialogues(context)
    item, pending = pending_result(context, query.from_user.id)
    mine = pending is not None and pending.task_id == data.args[0]
    if item is None or not mine or store.expired(item):
        if item is not None and mine:
            store.pop(query.from_user.id, RESULT)
        await query.answer(texts.DONE_EXPIRED, show_alert=True)
        await sending.clear_buttons(context.bot, query.message.chat.id, query.message.message_id)
        return
    await query.answer()
    await complete_pending(update, context, query.from_user.id, None)


async def _stop_completing(update: Update, context: ContextTypes.DEFAULT_TYPE, data: Callback) -> None:
    query = update.callback_query
    store = dialogues(context)
    _item, pending = pending_result(context, query.from_user.id)
    mine = pending is not None and pending.task_id == data.args[0]
    if mine:
        store.pop(query.from_user.id, RESULT)
    await query.answer()
    code = pending.task_code if mine and pending is not None else str(data.args[0])
    await sending.send(update, context.bot, texts.DONE_CANCELLED.format(code=render.escape(code)),
                       chat_id=query.message.chat.id, edit_message_id=query.message.message_id)  # fmt: skip


async def _view(update: Update, context: ContextTypes.DEFAULT_TYPE, data: Callback) -> None:
    query = update.callback_query
    screen = await session_runner(context).run(
        my_tasks.view_task, viewer(context, query.from_user.id), data.args[0]
    )
    await query.answer()
    await sending.send(update, context.bot, screen.html, screen.buttons, chat_id=query.message.chat.id)


async def _page(update: Update, context: ContextTypes.DEFAULT_TYPE, data: Callback) -> None:
    query = update.callback_query
    screens = await session_runner(context).run(
        my_tasks.my_tasks, viewer(context, query.from_user.id), data.args[0]
    )
    await query.answer()
    for screen in screens:
        await sending.send(update, context.bot, screen.html, screen.buttons, chat_id=query.message.chat.id)


async def _document(update: Update, context: ContextTypes.DEFAULT_TYPE, data: Callback) -> None:
    query = update.callback_query
    request = await session_runner(context).run(
        documents.document_request, viewer(context, query.from_user.id), data.args[0]
    )
    chat_id = query.message.chat.id
    await query.answer(texts.DOCUMENT_SEARCHING if request.source_document else None)
    if documents.needs_search(request):
        qa = deps(context).qa
        async with sending.typing(context.bot, chat_id):
            engine = await qa.engine()
            screen = await qa.run(documents.document_screen, engine.search, request)
    else:
        screen = documents.document_screen(None, request)
    await sending.send(update, context.bot, screen.html, chat_id=chat_id, reply_to=query.message.message_id)


_BUTTONS = {
    "p": _progress,
    "done": _ask_result,
    "skip": _skip,
    "x": _stop_completing,
    "v": _view,
    "doc": _document,
    "pg": _page,
}


# --- the result of a completion ----------------------------------------------------------------------------


def _folded(text: str) -> str:
    return fold(text).strip(" .!")


async def result_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Group -1: a private text while a completion waits for its result. Consumes the message (stopping
    the question handlers) only when there is such a completion; otherwise does nothing."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.text is None:
        return
    store = dialogues(context)
    item, pending = pending_result(context, user.id)
    if item is None or pending is None or pending.chat_id != message.chat.id:
        return
    if store.expired(item):
        store.pop(user.id, RESULT)
        await sending.clear_buttons(context.bot, pending.chat_id, pending.prompt_message_id)
        return  # the text is an ordinary message again (a question)
    text = message.text.strip()
    folded = _folded(text)
    if folded in {_folded(w) for w in texts.RESULT_CANCEL_WORDS}:
        store.pop(user.id, RESULT)
        await sending.clear_buttons(context.bot, pending.chat_id, pending.prompt_message_id)
        await sending.send(
            update, context.bot, texts.DONE_CANCELLED.format(code=render.escape(pending.task_code))
        )
        raise ApplicationHandlerStop
    if pending.mode == "product":
        from bot.handlers.products import hand_in_text

        await hand_in_text(update, context, pending, text)
        raise ApplicationHandlerStop
    if folded in {_folded(w) for w in texts.RESULT_SKIP_WORDS}:
        await complete_pending(update, context, user.id, None)
        raise ApplicationHandlerStop
    if not any(ch.isalnum() for ch in text):
        await sending.send(update, context.bot, texts.RESULT_EMPTY)
        raise ApplicationHandlerStop
    if len(text) > MAX_RESULT_CHARS:
        too_long = texts.RESULT_TOO_LONG.format(length=len(text), limit=MAX_RESULT_CHARS)
        await sending.send(update, context.bot, too_long)
        raise ApplicationHandlerStop
    await complete_pending(update, context, user.id, text, reply_to=message.message_id)
    raise ApplicationHandlerStop


async def complete_pending(
    update: Update, context: ContextTypes.DEFAULT_TYPE, user_id: int, note: str | None, *,
    reply_to: int | None = None,
) -> None:  # fmt: skip
    """Complete the user's pending task with `note` (None: no result), show who did it, update the card."""
    item = dialogues(context).pop(user_id, RESULT)
    pending = PendingResult.of(item.state) if item is not None else None
    if pending is None:
        return
    via_button = update.callback_query is not None  # «Bỏ qua» on the prompt: the prompt itself is edited
    if not via_button:
        await sending.clear_buttons(context.bot, pending.chat_id, pending.prompt_message_id)
    try:
        change = await session_runner(context).run(
            my_tasks.complete, viewer(context, user_id), pending.task_id, note
        )
    except (NotLinked, PermissionDenied, InvalidOperation, NotFound) as exc:
        if isinstance(exc, PermissionDenied):
            log.warning("Từ chối hoàn thành nhiệm vụ %s của user=%s: %s", pending.task_id, user_id, exc)
            text = render.escape(texts.DENIED_ALERT)
        else:
            text = render.escape(str(exc))
        if via_button:
            await sending.clear_buttons(context.bot, pending.chat_id, pending.prompt_message_id)
        await sending.send(update, context.bot, text, chat_id=pending.chat_id)
        return
    log.info(
        "Hoàn thành %s bởi %s (qua bot, %s kết quả)", change.code, change.actor, "có" if note else "không"
    )
    prompt_id = update.callback_query.message.message_id if via_button else None
    await sending.send(update, context.bot, change.reply.html, chat_id=pending.chat_id, reply_to=reply_to,
                       edit_message_id=prompt_id)  # fmt: skip
    await sending.send(update, context.bot, change.card.html, change.card.buttons, chat_id=pending.chat_id,
                       edit_message_id=pending.card_message_id)  # fmt: skip
