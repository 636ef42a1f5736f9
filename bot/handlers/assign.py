"""/giaoviec (/assign), /giahan (/extend), a leader's free text "giao anh Tâm …", and their buttons (``gv:``,
``gh:``; grammar in `tasks.ui`). Each handler translates an update into one call of `app.assign` /
`app.extensions` and the `app.outcome.Step` it returns into sends (`bot.sending`):

- `reply` to the sender (the pressed message edited in place when `edit`), a refusal as an alert for a
  button; `notices` delivered to other people's private chats (a failure to reach one is logged, never an
  error for the sender); `state` kept in the `DialogueStore` (kinds "assign", "extend", "extnote"), or the
  dialogue dropped; `replan` asks the reminder job to plan again.
- `lookup`: the use case needs the corpus (a document named in the form): the engine's `find_documents` runs in
  the retrieval pool (`QAService.document_cards`) and the use case is called again with the cards.

The follow-up texts of these dialogues are taken in group `ASSIGN_GROUP` (before the other conversation
states), and so is a leader's "giao …" text; anything else goes on to the handlers below. Nothing of this
works in a group chat: task details never go there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from app import assign, extensions
from app.outcome import Step
from app.viewer import NotLinked
from bot import incoming, render, sending, texts
from bot.db_runner import session_runner
from bot.deps import deps
from bot.handlers.progress import CANCEL
from bot.handlers.tasks import RESULT, dialogues, in_group_refusal, viewer
from bot.reminders import reminder_dispatcher, request_plan
from tasks.errors import InvalidOperation, NotFound, PermissionDenied
from tasks.reminders import DEFAULT_POLICY
from tasks.ui import MAX_ALERT_CHARS, Callback, parse_callback, shorten

log = logging.getLogger(__name__)

CALLBACK_PATTERN = r"^(gv|gh):"
TTL = {
    assign.ASSIGN: assign.FORM_TTL_SECONDS,
    extensions.EXTEND: extensions.EXTEND_TTL_SECONDS,
    extensions.NOTE: extensions.NOTE_TTL_SECONDS,
}
FORM_BUTTONS = ("p", "u", "d", "s", "dp", "ok", "e", "f", "x")
# The other dialogues waiting for a text ("Hoàn thành" → the result, "Hủy nhiệm vụ" → the reason): one
# dialogue per person at a time, the latest started wins (starting one of ours drops those; one of those
# started later is answered first).
OTHER_KINDS = (RESULT, CANCEL)


# --- sending a step ---------------------------------------------------------------------------------------


async def _find_documents(context: ContextTypes.DEFAULT_TYPE, reference: str) -> list[dict]:
    """Cards of the documents `reference` names; none when the corpus cannot be searched (the form then keeps
    the text as typed)."""
    try:
        return list(await deps(context).qa.document_cards(reference))
    except Exception:
        log.warning("Không tra được văn bản “%s” trong kho (giữ nguyên như đã gõ)", reference, exc_info=True)
        return []


async def _with_lookup(context: ContextTypes.DEFAULT_TYPE, fn: Callable[..., Any], *args: Any) -> Any:
    """`fn(session, *args, cards=None)`, and once more with the cards when it asks for a document lookup."""
    store = session_runner(context)
    step = await store.run(fn, *args, cards=None)
    if isinstance(step, Step) and step.lookup:
        cards = await _find_documents(context, step.lookup)
        step = await store.run(fn, *args, cards=cards)
    return step


async def _deliver_notices(context: ContextTypes.DEFAULT_TYPE, step: Step) -> None:
    for notice in step.notices:
        out = sending.Outgoing(notice.telegram_id, notice.screen.html, notice.screen.buttons)
        try:
            await sending.deliver(context.bot, out)
        except TelegramError as exc:
            log.warning("Không gửi được thông báo cho user=%s: %s", notice.telegram_id, exc)


async def _show(
    update: Update, context: ContextTypes.DEFAULT_TYPE, step: Step, user_id: int, kind: str | None
) -> None:
    """Keep or drop the dialogue `kind` (None: not a dialogue's step), answer the press or the message,
    then tell the others."""
    if kind is not None:
        store = dialogues(context)
        if step.state is None:
            store.pop(user_id, kind)
        else:
            for other in (*OTHER_KINDS, *(k for k in TTL if k != kind)):
                store.pop(user_id, other)
            store.put(user_id, kind, step.state, TTL[kind])
    query = update.callback_query
    if query is not None:
        toast = shorten(step.toast, MAX_ALERT_CHARS) if step.toast else None
        await query.answer(toast, show_alert=step.alert)
        if step.reply is not None and not step.alert:
            message = query.message
            await sending.send(update, context.bot, step.reply.html, step.reply.buttons, chat_id=message.chat.id,
                               edit_message_id=message.message_id if step.edit else None)  # fmt: skip
    elif step.reply is not None:
        await sending.send(update, context.bot, step.reply.html, step.reply.buttons)
    await _deliver_notices(context, step)
    if step.replan:
        request_plan(context.application)


def _private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == "private"


async def _refuse_in_group(update: Update, context: ContextTypes.DEFAULT_TYPE, command: str) -> bool:
    """True (after "message me privately") when the chat is not a private one."""
    chat = update.effective_chat
    if chat is None or _private(update):
        return chat is None
    if sending.is_group(chat.type):
        username = render.escape(context.bot.username or "bot")
        text = assign.tx.ASSIGN_IN_GROUP.format(username=username, command=f"/{command}")
        await in_group_refusal(update, context, text, command)
    return True


def _argument(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    message = update.effective_message
    if message is None:
        return ""
    return incoming.command_argument(
        message, bot_id=context.bot.id, bot_username=context.bot.username
    ).strip()


# --- commands ---------------------------------------------------------------------------------------------


async def giaoviec_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/giaoviec: the form; /giaoviec CB007 | … the one-line form; /giaoviec anh Tâm … as free text."""
    user = update.effective_user
    if user is None or await _refuse_in_group(update, context, "giaoviec"):
        return
    try:
        step = await _with_lookup(context, assign.start, viewer(context, user.id), _argument(update, context))
    except NotLinked:
        await sending.send(update, context.bot, texts.NOT_LINKED)
        return
    if step.replan:
        log.info("Giao việc (một dòng) bởi user=%s", user.id)
    await _show(update, context, step, user.id, assign.ASSIGN)


async def giahan_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/giahan MÃ_NHIỆM_VỤ [ngày] [lý do]: the request, or the questions for what is missing."""
    user = update.effective_user
    if user is None or await _refuse_in_group(update, context, "giahan"):
        return
    try:
        step = await session_runner(context).run(
            extensions.command, viewer(context, user.id), _argument(update, context)
        )
    except NotLinked:
        await sending.send(update, context.bot, texts.NOT_LINKED)
        return
    await _show(update, context, step, user.id, extensions.EXTEND)


# --- follow-up texts ---------------------------------------------------------------------------------------


def _waits_for_text(store: Any, user_id: int, kind: str) -> bool:
    """Whether another dialogue of `kind` waits for this person's next text (a cancellation whose reason
    is given waits for a button, not a text)."""
    item = store.get(user_id, kind)
    if item is None or store.expired(item):
        return False
    state = item.state
    reason = state.get("reason") if isinstance(state, dict) else getattr(state, "reason", None)
    return kind != CANCEL or reason is None


async def dialogue_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Group `ASSIGN_GROUP`: a private text while an assign form, an extension request or a decision's
    note waits for it, or a leader's "giao …". Consumes the message only then."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.text is None or not _private(update):
        return
    store = dialogues(context)
    if any(_waits_for_text(store, user.id, k) for k in OTHER_KINDS):
        return  # "Hoàn thành" or "Hủy nhiệm vụ" was pressed after: that dialogue takes the text
    who = viewer(context, user.id)
    text = message.text
    try:
        for kind in (assign.ASSIGN, extensions.EXTEND, extensions.NOTE):
            item = store.get(user.id, kind)
            if item is None:
                continue
            if store.expired(item):
                store.pop(user.id, kind)
                continue
            if kind == assign.ASSIGN and item.state.get("step") == "confirm":
                continue  # the card waits for a button: a text is an ordinary message meanwhile
            state = dict(item.state)
            if kind == assign.ASSIGN:
                step = await _with_lookup(context, assign.answer, who, state, text)
            elif kind == extensions.EXTEND:
                step = await session_runner(context).run(extensions.answer, who, state, text)
            else:
                step = await session_runner(context).run(extensions.note, who, state, text)
            await _show(update, context, step, user.id, kind)
            raise ApplicationHandlerStop
        if not assign.looks_like_assignment(text):
            return
        step = await _with_lookup(context, assign.from_text, who, text)
    except NotLinked:
        for kind in TTL:
            store.pop(user.id, kind)
        return  # an account no longer linked: the text is an ordinary message again
    if step is None:
        return  # not an assignment: a question
    log.info("Giao việc bằng câu tự do: user=%s", user.id)
    await _show(update, context, step, user.id, assign.ASSIGN)
    raise ApplicationHandlerStop


# --- buttons ----------------------------------------------------------------------------------------------


async def on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    data = parse_callback(query.data)
    user = query.from_user
    if data is None or data.prefix not in ("gv", "gh"):
        await query.answer(texts.CALLBACK_UNKNOWN)
        return
    chat = query.message.chat if query.message is not None else None
    if chat is None or chat.type != "private":
        log.warning("Từ chối nút %s ngoài chat riêng: user=%s", query.data, user.id)
        await query.answer(texts.TASKS_IN_GROUP_ALERT, show_alert=True)
        return
    try:
        if data.prefix == "gv" and data.action in FORM_BUTTONS:
            await _form_button(update, context, data)
        elif data.prefix == "gv":
            fn = assign.acknowledge if data.action == "a" else assign.contact
            step = await session_runner(context).run(fn, viewer(context, user.id), data.args[0])
            if data.action == "a" and not step.alert:
                log.info("Nhận việc (nhiệm vụ id=%s) bởi user=%s", data.args[0], user.id)
            await _show(update, context, step, user.id, None)
        else:
            await _extension_button(update, context, data)
    except NotLinked:
        log.warning("Nút %s từ tài khoản chưa liên kết: user=%s", query.data, user.id)
        await query.answer(texts.NOT_LINKED_ALERT, show_alert=True)
    except PermissionDenied as exc:
        log.warning("Từ chối nút %s của user=%s: %s", query.data, user.id, exc)
        await query.answer(texts.DENIED_ALERT, show_alert=True)
    except (NotFound, InvalidOperation) as exc:
        await query.answer(shorten(str(exc), MAX_ALERT_CHARS), show_alert=True)


async def _form_button(update: Update, context: ContextTypes.DEFAULT_TYPE, data: Callback) -> None:
    """A button of the assign form. "Giao việc" takes the form out of the store first (so two presses,
    in one process or two, create one task) and puts it back when the domain refuses."""
    query = update.callback_query
    user_id = query.from_user.id
    store = dialogues(context)
    item = store.pop(user_id, assign.ASSIGN) if data.action == "ok" else store.get(user_id, assign.ASSIGN)
    if item is None or store.expired(item):
        if item is not None and data.action != "ok":
            store.pop(user_id, assign.ASSIGN)
        await query.answer(assign.tx.FORM_EXPIRED, show_alert=True)
        await sending.clear_buttons(context.bot, query.message.chat.id, query.message.message_id)
        return
    arg = data.args[0] if data.args else None
    step = await session_runner(context).run(
        assign.press, viewer(context, user_id), dict(item.state), data.action, arg
    )
    if data.action == "ok" and step.replan:
        log.info("Giao việc (phiếu) bởi user=%s", user_id)
    await _show(update, context, step, user_id, assign.ASSIGN)


async def _extension_button(update: Update, context: ContextTypes.DEFAULT_TYPE, data: Callback) -> None:
    query = update.callback_query
    user_id = query.from_user.id
    who = viewer(context, user_id)
    store = session_runner(context)
    if data.action == "r":
        step = await store.run(extensions.start, who, data.args[0])
        await _show(update, context, step, user_id, extensions.EXTEND)
    elif data.action == "x":
        item = dialogues(context).pop(user_id, extensions.EXTEND)
        step = await store.run(extensions.stop, item.state if item is not None else None)
        await _show(update, context, step, user_id, None)
    elif data.action in ("y", "n"):
        dispatcher = reminder_dispatcher(context.application)
        policy = dispatcher.policy if dispatcher is not None else DEFAULT_POLICY
        step = await store.run(extensions.decide, who, data.args[0], data.action == "y", policy)
        if not step.alert:
            log.info("Quyết định gia hạn (đề nghị %s: %s) bởi user=%s", data.args[0], data.action, user_id)
        await _show(update, context, step, user_id, extensions.NOTE if step.state else None)
    else:  # "k": no note
        item = dialogues(context).get(user_id, extensions.NOTE)
        if item is not None and item.state.get("request_id") == data.args[0]:
            dialogues(context).pop(user_id, extensions.NOTE)
        await _show(update, context, extensions.skip_note(), user_id, None)
        await sending.clear_buttons(context.bot, query.message.chat.id, query.message.message_id)
