"""The one way the bot sends: an `Outgoing` message (plain data) handed to `deliver`.

Every reply, card, screen and edit goes through here: split long HTML (Telegram counts 4096 characters after
entity parsing), put the keyboard on the last part, quote the user's message in groups, stay in the forum
topic, and edit a message in place when asked — sending a new one when it cannot be edited (too old,
deleted). `Outgoing` holds no Telegram type (buttons are rows of (label, callback data or an https URL)), so
it is stored as plain JSON: when the application runs an outbox (`bot.outbox_sender`, attached with
`attach_outbox`), `deliver` writes the message to the outbox table and waits (briefly) for this process's
sender to get it out — with retries, Telegram's limits shared by every process, nothing dropped. Without an
outbox (tests with a bare `Bot`, the database unreachable) it sends at once (`deliver_now`). Files and
photos are sent directly for now.

`typing` shows "đang nhập…" (or "đang gửi tệp…") while a slow answer is made.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ChatType
from telegram.error import BadRequest, TelegramError

from bot import render, texts

log = logging.getLogger(__name__)

Buttons = Sequence[Sequence[tuple[str, str]]]  # rows of (label, callback data | "https://…" URL)
ReplyKeyboard = Literal["share_phone", "remove"]
GROUP_TYPES = frozenset({ChatType.GROUP, ChatType.SUPERGROUP})


def is_group(chat_type: str | None) -> bool:
    return chat_type in GROUP_TYPES


@dataclass(frozen=True)
class Outgoing:
    """One message to deliver.

    `html`: Telegram HTML (escaped), split by `deliver` when too long. `buttons`: the inline keyboard
    (on the last part). `reply_keyboard`: "share_phone" (the /lienket button) or "remove". `reply_to`: the
    message quoted by the first part. `thread_id`: the forum topic. `edit_message_id`: edit that message
    in place instead (a new message when it cannot be edited). `notice`: a push to someone who did not just
    write (a notification): retried for 24 hours instead of 15 minutes, sent after the replies."""

    chat_id: int
    html: str
    buttons: Buttons = ()
    reply_keyboard: ReplyKeyboard | None = None
    reply_to: int | None = None
    thread_id: int | None = None
    edit_message_id: int | None = None
    notice: bool = False

    def to_payload(self) -> dict[str, Any]:
        """The message as JSON data (the outbox row's `payload`); `from_payload` reads it back."""
        data = asdict(self)
        data["buttons"] = [[list(button) for button in row] for row in self.buttons]
        return data

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Outgoing:
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        fields["buttons"] = tuple(tuple(tuple(button) for button in row) for row in data.get("buttons") or ())
        return cls(**fields)


def inline_markup(buttons: Buttons) -> InlineKeyboardMarkup | None:
    """Rows of (label, data) as Telegram's inline keyboard; data starting with https:// is a URL button."""
    rows = [
        [
            InlineKeyboardButton(label, url=data) if data.startswith("https://") else
            InlineKeyboardButton(label, callback_data=data)
            for label, data in row
        ]
        for row in buttons
        if row
    ]  # fmt: skip
    return InlineKeyboardMarkup(rows) if rows else None


def _markup(out: Outgoing):
    if out.reply_keyboard == "share_phone":
        return ReplyKeyboardMarkup(
            [[KeyboardButton(texts.BUTTON_SHARE_PHONE, request_contact=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
            input_field_placeholder=texts.SHARE_PHONE_PLACEHOLDER,
        )
    if out.reply_keyboard == "remove":
        return ReplyKeyboardRemove()
    return inline_markup(out.buttons)


def split_parts(html: str) -> list[str]:
    """`html` as message parts: one when what the user sees fits, else split at paragraphs."""
    fits = render.utf16_len(render.visible_text(html)) <= render.TELEGRAM_MAX_CHARS
    return [html] if fits else (render.split_html(html) or [html])


class Outbox(Protocol):
    """What `deliver` needs of an outbox (`bot.outbox_sender.OutboxSender`)."""

    async def deliver(self, out: Outgoing) -> int | None: ...


_OUTBOXES: dict[int, tuple[Bot, Outbox]] = {}  # id(bot) → (bot, its outbox); the bot kept for identity


def attach_outbox(bot: Bot, outbox: Outbox) -> None:
    """From now on `deliver(bot, …)` goes through `outbox`."""
    _OUTBOXES[id(bot)] = (bot, outbox)


def detach_outbox(bot: Bot) -> None:
    _OUTBOXES.pop(id(bot), None)


def outbox_of(bot: Bot) -> Outbox | None:
    found = _OUTBOXES.get(id(bot))
    return found[1] if found is not None and found[0] is bot else None


async def deliver(bot: Bot, out: Outgoing) -> int | None:
    """Send (or edit) `out`; the id of the last message shown, None when nothing could be edited or sent
    because the text was empty — or, with an outbox, when the message is still queued after a short wait
    (it goes out later, with retries; nothing is dropped). A message Telegram refuses as malformed raises
    `BadRequest` either way."""
    outbox = outbox_of(bot)
    if outbox is not None:
        return await outbox.deliver(out)
    return await deliver_now(bot, out)


async def try_edit(bot: Bot, out: Outgoing, **extra: Any) -> int | None:
    """Edit `out.edit_message_id` in place: its id, or None when it cannot be edited (then send anew)."""
    assert out.edit_message_id is not None
    try:
        await bot.edit_message_text(
            chat_id=out.chat_id, message_id=out.edit_message_id, text=out.html,
            reply_markup=inline_markup(out.buttons), **extra,
        )  # fmt: skip
        return out.edit_message_id
    except BadRequest as exc:
        if "not modified" in str(exc).lower():
            return out.edit_message_id
        log.info("Không sửa được tin nhắn %s/%s: %s", out.chat_id, out.edit_message_id, exc)
        return None


def edits_in_place(out: Outgoing) -> bool:
    return out.edit_message_id is not None and out.reply_keyboard is None


async def send_part(bot: Bot, out: Outgoing, parts: Sequence[str], i: int, **extra: Any) -> int:
    """Send part `i` of `parts` (the keyboard on the last, the quote on the first); its message id."""
    last = i == len(parts) - 1
    message = await bot.send_message(
        chat_id=out.chat_id,
        text=parts[i],
        reply_markup=_markup(out) if last else None,
        reply_parameters=(
            ReplyParameters(message_id=out.reply_to, allow_sending_without_reply=True)
            if (i == 0 and out.reply_to)
            else None
        ),
        message_thread_id=out.thread_id,
        **extra,
    )
    return message.message_id


async def deliver_now(bot: Bot, out: Outgoing) -> int | None:
    """Send (or edit) `out` at once, without the outbox (see `deliver`)."""
    if edits_in_place(out):
        edited = await try_edit(bot, out)
        if edited is not None:
            return edited
    parts = split_parts(out.html)
    sent_id = None
    for i in range(len(parts)):
        sent_id = await send_part(bot, out, parts, i)
    return sent_id


@dataclass(frozen=True)
class OutgoingFile:
    """A document or photo to deliver: `file_id` re-sends a file Telegram already has (a product handed in,
    shown to the approver) without uploading it; `caption` is Telegram HTML (≤ 1024 characters);
    `buttons` as for `Outgoing`."""

    chat_id: int
    kind: Literal["document", "photo"]
    file_id: str
    caption: str = ""
    buttons: Buttons = ()


async def deliver_file(bot: Bot, out: OutgoingFile) -> int | None:
    """Send `out`; the message id."""
    send = bot.send_photo if out.kind == "photo" else bot.send_document
    field = "photo" if out.kind == "photo" else "document"
    message = await send(  # type: ignore[operator]
        chat_id=out.chat_id, caption=out.caption or None, reply_markup=inline_markup(out.buttons),
        **{field: out.file_id},
    )  # fmt: skip
    return message.message_id


async def clear_buttons(bot: Bot, chat_id: int, message_id: int | None) -> None:
    """Remove the inline keyboard of a message (a prompt that is no longer current); quietly a no-op when
    the message cannot be edited."""
    if message_id is None:
        return
    try:
        await bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id, reply_markup=None)
    except BadRequest as exc:
        log.debug("Không bỏ được nút của tin nhắn %s/%s: %s", chat_id, message_id, exc)


def thread_of(update: Update) -> int | None:
    message = update.effective_message
    if update.callback_query is not None or message is None or not message.is_topic_message:
        return None
    return message.message_thread_id


def reply(
    update: Update,
    html: str,
    buttons: Buttons = (),
    *,
    chat_id: int | None = None,
    quote: bool | None = None,
    reply_to: int | None = None,
    reply_keyboard: ReplyKeyboard | None = None,
    edit_message_id: int | None = None,
) -> Outgoing | None:
    """The `Outgoing` answering `update`: in its chat (or `chat_id`), quoting the user's message in groups
    (or when `quote`), in its forum topic. None when the update has no chat."""
    chat = update.effective_chat
    message = update.effective_message
    target = chat_id if chat_id is not None else (chat.id if chat else None)
    if target is None:
        return None
    group = chat is not None and is_group(chat.type)
    if reply_to is None and (quote if quote is not None else group) and message is not None:
        reply_to = message.message_id
    return Outgoing(target, html, buttons, reply_keyboard, reply_to, thread_of(update), edit_message_id)


async def send(update: Update, bot: Bot, html: str, buttons: Buttons = (), **kwargs) -> int | None:
    """`deliver(reply(update, html, buttons, **kwargs))`: the usual answer to an update."""
    out = reply(update, html, buttons, **kwargs)
    return await deliver(bot, out) if out is not None else None


_background: set[asyncio.Task] = set()


@contextlib.asynccontextmanager
async def typing(
    bot: Bot,
    chat_id: int,
    *,
    interval: float = 4.5,
    message_thread_id: int | None = None,
    action: str = ChatAction.TYPING,
) -> AsyncIterator[None]:
    """Show "đang nhập…" (or another chat `action`: "upload_photo", "upload_document"…) while the body
    runs (Telegram clears it after ~5 s, so it is repeated).

    The indicator is cosmetic: it never delays or fails the answer. A request already on its way is let
    finish (cancelling it mid-flight would only lose it).
    """
    stop = asyncio.Event()

    async def keep_typing() -> None:
        while not stop.is_set():
            try:
                await bot.send_chat_action(
                    chat_id=chat_id, action=action, message_thread_id=message_thread_id
                )
            except TelegramError as exc:
                log.debug("send_chat_action failed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)

    task = asyncio.create_task(keep_typing(), name=f"typing-{chat_id}")
    _background.add(task)
    task.add_done_callback(_background.discard)
    try:
        yield
    finally:
        stop.set()
