"""Handing in a product and reviewing it, on Telegram (use cases: `app.products`).

- ``/nopsanpham MÃ_NHIỆM_VỤ [nội dung hoặc đường dẫn]`` (``/submit``): with a text, hands it in at once;
  without, waits for the product like "Hoàn thành" does (a "result" step of mode "product").
- A document or photo (group -1, `product_media`) is a product when a hand-in waits for it, when its caption
  is ``/nopsanpham MÃ`` (a command in a caption works like a typed one), or when it replies to a task card.
  Its size and type are checked from what Telegram announces before downloading (20 MB, the Bot API's
  limit; office documents, images, archives), then again on the bytes; files are fetched from
  TELEGRAM_API_FILE_URL (PTB's ``base_file_url``). Anything else falls through to the other handlers.
- The approvers get the file re-sent by its file id, then the review card with «✅ Đạt» / «↩️ Chưa đạt»
  (``sp:``). «Chưa đạt» asks for a comment: the approver's next private text (a "review" step), or
  «Trả lại, không nhận xét». Who may review is the domain's rule, re-checked at every press.

No product or review in groups: product messages there are not ours, and the buttons only work in private.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from telegram import Message, Update
from telegram.constants import ChatAction, ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from app import product_texts, products
from app.products import COMMENT_TTL_SECONDS, Outcome, Received
from app.viewer import NotLinked
from bot import render, sending, texts
from bot.db_runner import session_runner
from bot.deps import deps
from bot.handlers.tasks import (
    RESULT,
    PendingResult,
    dialogues,
    in_group_refusal,
    pending_result,
    viewer,
)
from tasks.errors import InvalidOperation, NotFound, PermissionDenied
from tasks.normalize import fold
from tasks.product_files import MAX_TEXT
from tasks.ui import MAX_ALERT_CHARS, parse_callback, shorten

log = logging.getLogger(__name__)

CALLBACK_PATTERN = r"^sp:"
REVIEW = "review"  # dialogue kind: the approver's comment after «Chưa đạt»
COMMAND = re.compile(r"^/(?:nopsanpham|submit)(?:@\w+)?(?:\s+(\S+))?(?:\s+(.+))?$", re.DOTALL | re.IGNORECASE)
KEEP_WORDS = ("huy", "thoi", "cancel", "khong")


@dataclass(frozen=True)
class PendingComment:
    """An approver pressed «Chưa đạt»: their next private text is the comment. Stored as plain JSON."""

    task_id: int
    task_code: str
    chat_id: int
    card_message_id: int
    prompt_message_id: int | None = None


def _data_dir(context: ContextTypes.DEFAULT_TYPE) -> Path:
    """Where product files are kept: `files/` of the data folder (TROLY_HOME), which `troly backup`, `restore`
    and `reset` carry; stored paths (`products/ab/<sha256>.pdf`) are relative to it."""
    settings = deps(context).settings
    return Path(getattr(settings, "home", None) or ".troly") / "files"


def _private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


async def _say(update: Update, context: ContextTypes.DEFAULT_TYPE, html: str) -> None:
    await sending.send(update, context.bot, html)


async def _refusal(update: Update, context: ContextTypes.DEFAULT_TYPE, exc: Exception) -> None:
    if isinstance(exc, NotLinked):
        await _say(update, context, render.escape(str(exc)))
    elif isinstance(exc, PermissionDenied):
        log.warning("Từ chối nộp sản phẩm của user=%s: %s", update.effective_user.id, exc)
        await _say(update, context, render.escape(texts.DENIED_ALERT))
    else:
        await _say(update, context, render.escape(str(exc)))


async def send_notices(context: ContextTypes.DEFAULT_TYPE, notices: list[products.Notice]) -> None:
    """The others' messages (files first, re-sent by file id); a person Telegram refuses is logged, not fatal."""
    for notice in notices:
        try:
            for attachment in notice.attachments:
                await sending.deliver_file(
                    context.bot,
                    sending.OutgoingFile(
                        notice.telegram_id, attachment.kind, attachment.file_id, attachment.caption
                    ),  # type: ignore[arg-type]
                )
            await sending.deliver(
                context.bot, sending.Outgoing(notice.telegram_id, notice.screen.html, notice.screen.buttons)
            )
        except TelegramError as exc:
            log.warning("Không gửi được tin về sản phẩm cho user=%s: %s", notice.telegram_id, exc)


# --- handing in ----------------------------------------------------------------------------------------------


async def _hand_in(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    task_ref: int | str,
    received: list[Received],
    pending: PendingResult | None = None,
    card_message_id: int | None = None,
) -> None:
    """Submit, then: the reply, the card edited (the one pressed or replied to), the approvers' messages."""
    user, message = update.effective_user, update.effective_message
    try:
        outcome: Outcome = await session_runner(context).run(
            products.submit, viewer(context, user.id), task_ref, received, _data_dir(context)
        )
    except (NotLinked, PermissionDenied, InvalidOperation, NotFound) as exc:
        await _refusal(update, context, exc)  # the hand-in (if any) still waits: send again or «Hủy»
        return
    if pending is not None:
        dialogues(context).pop(user.id, RESULT)
        await sending.clear_buttons(context.bot, pending.chat_id, pending.prompt_message_id)
        card_message_id = pending.card_message_id
    log.info("Nộp sản phẩm %s bởi user=%s (%d phần)", outcome.code, user.id, len(received))
    await sending.send(
        update, context.bot, outcome.reply.html, reply_to=message.message_id if message else None
    )
    if card_message_id is not None:
        await sending.send(update, context.bot, outcome.card.html, outcome.card.buttons,
                           edit_message_id=card_message_id)  # fmt: skip
    await send_notices(context, outcome.notices)


async def hand_in_text(
    update: Update, context: ContextTypes.DEFAULT_TYPE, pending: PendingResult, text: str
) -> None:
    """The text sent while "Hoàn thành" waits for the product (called by `bot.handlers.tasks.result_text`)."""
    if fold(text).strip(" .!") in ("bo qua", "skip"):
        await _say(update, context, render.escape(texts.RESULT_EMPTY))
        return
    await _hand_in(update, context, pending.task_id, [Received("text", text=text)], pending)


async def nopsanpham_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    if not _private(update):
        if sending.is_group(update.effective_chat.type):
            username = render.escape(context.bot.username or "bot")
            html = texts.PRIVATE_ONLY_IN_GROUP.format(what="nộp sản phẩm", username=username,
                                                      command="/nopsanpham")  # fmt: skip
            await in_group_refusal(update, context, html, "viec")
        return
    match = COMMAND.match((message.text or "").strip())
    code, rest = (match.group(1), match.group(2)) if match else (None, None)
    card_id = _replied_task(message)
    store = session_runner(context)
    who = viewer(context, user.id)
    try:
        if code is None and card_id is None:
            await _say(update, context, product_texts.PRODUCT_USAGE)
            return
        if code is not None and (found := products.task_code_in(code)) is not None:
            task_id, _ = await store.run(products.find_task, who, found)
        elif card_id is not None:
            task_id, rest = card_id, " ".join(x for x in (code, rest) if x) or None
        else:
            await _say(update, context, product_texts.PRODUCT_USAGE)
            return
        if rest and rest.strip():
            await _hand_in(update, context, task_id, [Received("text", text=rest.strip())])
            return
        start = await store.run(products.start_completion, who, task_id)
    except (NotLinked, PermissionDenied, InvalidOperation, NotFound) as exc:
        await _refusal(update, context, exc)
        return
    if start.mode != "product":  # a leader on someone else's task: only the assignee hands in
        await _say(
            update, context, render.escape(f"Chỉ người được giao mới nộp sản phẩm nhiệm vụ {start.code}.")
        )
        return
    pending = PendingResult(task_id, start.code, message.chat.id, None, mode="product")
    dialogues(context).put(user.id, RESULT, asdict(pending))
    sent = await sending.send(update, context.bot, start.prompt.html, start.prompt.buttons)
    if sent is not None:
        dialogues(context).update(user.id, RESULT, asdict(PendingResult(
            task_id, start.code, message.chat.id, None, sent, mode="product")))  # fmt: skip


def _replied_task(message: Message) -> int | None:
    """The task of the bot's card this message replies to (read from the card's task buttons), or None."""
    replied = message.reply_to_message
    if replied is None or replied.reply_markup is None:
        return None
    for row in replied.reply_markup.inline_keyboard:
        for key in row:
            data = parse_callback(key.callback_data) if isinstance(key.callback_data, str) else None
            if data is not None and data.prefix == "t" and data.action in ("p", "done", "v", "doc"):
                return data.args[0]
    return None


def _file_of(message: Message) -> tuple[str, str, int | None, str, str | None] | None:
    """(kind, name, size, file_id, mime type) of the document or the largest photo, or None."""
    if message.document is not None:
        doc = message.document
        return "file", doc.file_name or "", doc.file_size, doc.file_id, doc.mime_type
    if message.photo:
        photo = message.photo[-1]
        return "photo", "", photo.file_size, photo.file_id, "image/jpeg"
    return None


async def product_media(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Group -1: a private document or photo that is a product (see the module docstring); consumes the
    update only then."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not _private(update):
        return
    found = _file_of(message)
    if found is None:
        return
    caption = (message.caption or "").strip()
    command = COMMAND.match(caption)
    if caption.startswith("/") and command is None:
        return  # another command's file (e.g. an administrator's /themvanban)
    item, pending = pending_result(context, user.id)
    if pending is not None and (pending.mode != "product" or pending.chat_id != message.chat.id):
        pending = None
    if pending is not None and item is not None and dialogues(context).expired(item):
        dialogues(context).pop(user.id, RESULT)
        pending = None
    task_ref: int | str | None = None
    note = caption if command is None else (command.group(2) or "")
    card_id = _replied_task(message)  # the task of the card this file replies to
    try:
        if command is not None and command.group(1):
            code = products.task_code_in(command.group(1)) or command.group(1)
            task_ref, _ = await session_runner(context).run(
                products.find_task, viewer(context, user.id), code
            )
            pending = pending if pending is not None and pending.task_id == task_ref else None
        elif pending is not None:
            task_ref = pending.task_id
        elif card_id is not None:
            task_ref = card_id
        elif command is not None:
            await _say(update, context, product_texts.NO_TASK_FOR_FILE)
            raise ApplicationHandlerStop
        else:
            return  # not a product: the other handlers decide
    except (NotLinked, NotFound) as exc:
        await _refusal(update, context, exc)
        raise ApplicationHandlerStop from None
    kind, name, size, file_id, mime = found
    if problem := products.check_upload(name, size, kind):
        await _say(update, context, render.escape(problem))
        raise ApplicationHandlerStop
    try:
        async with sending.typing(context.bot, message.chat.id, action=ChatAction.UPLOAD_DOCUMENT):
            telegram_file = await context.bot.get_file(file_id)
            data = bytes(await telegram_file.download_as_bytearray())
    except BadRequest as exc:
        log.warning("Không tải được tệp %s của user=%s: %s", file_id, user.id, exc)
        too_big = "too big" in str(exc).lower()
        await _say(update, context, render.escape(
            products.check_upload(name, 10**12, kind) if too_big else product_texts.DOWNLOAD_FAILED))  # fmt: skip
        raise ApplicationHandlerStop from None
    except TelegramError as exc:
        log.warning("Không tải được tệp %s của user=%s: %s", file_id, user.id, exc)
        await _say(update, context, render.escape(product_texts.DOWNLOAD_FAILED))
        raise ApplicationHandlerStop from None
    received = [Received(kind, name, data, mime_type=mime, file_id=file_id)]
    if note.strip():
        received.append(Received("text", text=note.strip()))
    replied = message.reply_to_message if card_id is not None and task_ref == card_id else None
    await _hand_in(update, context, task_ref, received, pending,
                   card_message_id=replied.message_id if replied is not None and pending is None else None)  # fmt: skip
    raise ApplicationHandlerStop


# --- reviewing ---------------------------------------------------------------------------------------------


def _pending_comment(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> tuple[Any, PendingComment | None]:
    item = dialogues(context).get(user_id, REVIEW)
    if item is None or not isinstance(item.state, dict):
        return item, None
    try:
        return item, PendingComment(**item.state)
    except TypeError:
        return item, None


async def on_review_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    data = parse_callback(query.data)
    user = query.from_user
    if data is None or data.prefix != "sp":
        await query.answer(texts.CALLBACK_UNKNOWN)
        return
    chat = query.message.chat if query.message is not None else None
    if chat is None or chat.type != ChatType.PRIVATE:
        await query.answer(texts.TASKS_IN_GROUP_ALERT, show_alert=True)
        return
    task_id = data.args[0]
    store = session_runner(context)
    who = viewer(context, user.id)
    try:
        if data.action == "ok":
            outcome = await store.run(products.review, who, task_id, "dat")
            await _reviewed(update, context, outcome, query.message.message_id, product_texts.ACCEPT_TOAST)
        elif data.action == "no":
            code, prompt = await store.run(products.start_send_back, who, task_id)
            pending = PendingComment(task_id, code, chat.id, query.message.message_id)
            dialogues(context).put(user.id, REVIEW, asdict(pending), COMMENT_TTL_SECONDS)
            await query.answer(product_texts.COMMENT_TOAST)
            sent = await sending.send(update, context.bot, prompt.html, prompt.buttons, chat_id=chat.id,
                                      reply_to=query.message.message_id)  # fmt: skip
            if sent is not None:
                dialogues(context).update(user.id, REVIEW, asdict(PendingComment(
                    task_id, code, chat.id, query.message.message_id, sent)))  # fmt: skip
        elif data.action == "nc":
            _item, pending = _pending_comment(context, user.id)
            outcome = await store.run(products.review, who, task_id, "chua_dat")
            if pending is not None and pending.task_id == task_id:
                dialogues(context).pop(user.id, REVIEW)
                await sending.clear_buttons(context.bot, chat.id, pending.card_message_id)
            await _reviewed(update, context, outcome, query.message.message_id, product_texts.SEND_BACK_TOAST)
        else:  # "x": keep it waiting
            _item, pending = _pending_comment(context, user.id)
            if pending is not None and pending.task_id == task_id:
                dialogues(context).pop(user.id, REVIEW)
            await query.answer()
            code = pending.task_code if pending is not None else str(task_id)
            await sending.send(update, context.bot, product_texts.COMMENT_KEPT.format(code=render.escape(code)),
                               chat_id=chat.id, edit_message_id=query.message.message_id)  # fmt: skip
    except NotLinked:
        await query.answer(texts.NOT_LINKED_ALERT, show_alert=True)
    except (InvalidOperation, NotFound, PermissionDenied) as exc:
        log.warning("Từ chối nút %s của user=%s: %s", query.data, user.id, exc)
        await query.answer(shorten(str(exc), MAX_ALERT_CHARS), show_alert=True)


async def _reviewed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, outcome: Outcome, message_id: int, toast: str
) -> None:
    query = update.callback_query
    log.info("Duyệt sản phẩm %s bởi user=%s (%s)", outcome.code, query.from_user.id, query.data)
    await query.answer(toast)
    await sending.send(update, context.bot, outcome.reply.html, chat_id=query.message.chat.id,
                       edit_message_id=message_id)  # fmt: skip
    await send_notices(context, outcome.notices)


async def review_comment_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Group -4: a private text while «Chưa đạt» waits for its comment. Consumes the message only then."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.text is None:
        return
    item, pending = _pending_comment(context, user.id)
    if item is None or pending is None or pending.chat_id != message.chat.id:
        return
    store = dialogues(context)
    if store.expired(item):
        store.pop(user.id, REVIEW)
        await sending.clear_buttons(context.bot, pending.chat_id, pending.prompt_message_id)
        return  # an ordinary message again
    text = message.text.strip()
    if fold(text).strip(" .!") in KEEP_WORDS:
        store.pop(user.id, REVIEW)
        await sending.clear_buttons(context.bot, pending.chat_id, pending.prompt_message_id)
        await _say(update, context, product_texts.COMMENT_KEPT.format(code=render.escape(pending.task_code)))
        raise ApplicationHandlerStop
    if len(text) > MAX_TEXT:  # ask again: the step stays
        await _say(
            update, context, render.escape(f"Nhận xét dài {len(text)} ký tự; tối đa {MAX_TEXT} ký tự.")
        )
        raise ApplicationHandlerStop
    store.pop(user.id, REVIEW)
    try:
        outcome = await session_runner(context).run(
            products.review, viewer(context, user.id), pending.task_id, "chua_dat", text
        )
    except (NotLinked, InvalidOperation, NotFound, PermissionDenied) as exc:
        await sending.clear_buttons(context.bot, pending.chat_id, pending.prompt_message_id)
        await _refusal(update, context, exc)
        raise ApplicationHandlerStop from None
    await sending.clear_buttons(context.bot, pending.chat_id, pending.prompt_message_id)
    await sending.clear_buttons(context.bot, pending.chat_id, pending.card_message_id)
    log.info("Trả lại sản phẩm %s bởi user=%s (có nhận xét)", outcome.code, user.id)
    await sending.send(update, context.bot, outcome.reply.html, reply_to=message.message_id)
    await send_notices(context, outcome.notices)
    raise ApplicationHandlerStop
