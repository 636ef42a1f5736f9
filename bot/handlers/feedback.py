"""👍 / 👎 under answers, and what was wrong after a 👎 (the buttons of ``fr:`` and an optional comment).

Only the person who asked may rate: a press by anybody else gets a polite note and changes nothing (the
answer log re-checks it in the same transaction, `bot.feedback.NotYours`). Answer ids in callback data are
random tokens (``bot.feedback``), so they cannot be guessed either.

After a new 👎 the bot replies to the answer with a short choice; the choice starts a comment window: the
asker's next text in that chat within ``COMMENT_WINDOW_SECONDS`` (in a group: a text addressed to the bot)
is the comment, unless they press "Bỏ qua". The window is a database row with an expiry, so a restart in
between loses nothing.

Callback data of the choice (≤ 64 bytes; ``<token>`` ≤ 32 characters)::

    fr:<token>:s | t | k | o      Sai | Thiếu | Không liên quan | Khác
    fr:<token>:x                  Bỏ qua (no reason, or no comment)
"""

from __future__ import annotations

import asyncio
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import incoming, sending, texts
from bot.deps import deps
from bot.feedback import COMMENT_WINDOW_SECONDS, NotYours, StoredAnswer
from bot.handlers.common import thread_id
from bot.keyboards import MAX_CALLBACK_BYTES, answer_keyboard

log = logging.getLogger(__name__)

PREFIX = "fr"
CALLBACK_PATTERN = r"^fr:"
SKIP = "x"
# callback code -> (stored reason, button label)
REASONS: dict[str, tuple[str, str]] = {
    "s": ("sai", "Sai"),
    "t": ("thieu", "Thiếu"),
    "k": ("khong_lien_quan", "Không liên quan"),
    "o": ("khac", "Khác"),
}
LABELS = {stored: label for stored, label in REASONS.values()}
_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def reason_data(answer_id: str, code: str) -> str:
    data = f"{PREFIX}:{answer_id}:{code}"
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data too long: {data!r}")
    return data


def parse_reason_data(data: str | None) -> tuple[str, str] | None:
    """(answer token, code) of an ``fr:`` button, or None for anything outside the grammar."""
    parts = (data or "").split(":")
    if len(parts) != 3 or parts[0] != PREFIX or parts[2] not in (*REASONS, SKIP):
        return None
    token = parts[1]
    if not (1 <= len(token) <= 32) or not set(token) <= _TOKEN_CHARS:
        return None
    return token, parts[2]


def reason_buttons(answer_id: str) -> list[list[tuple[str, str]]]:
    """Sai / Thiếu, Không liên quan / Khác, then Bỏ qua (rows of (label, callback data))."""
    b = {code: (label, reason_data(answer_id, code)) for code, (_, label) in REASONS.items()}
    skip = (texts.BUTTON_SKIP_COMMENT, reason_data(answer_id, SKIP))
    return [[b["s"], b["t"]], [b["k"], b["o"]], [skip]]


def reason_keyboard(answer_id: str) -> InlineKeyboardMarkup:
    """`reason_buttons` as Telegram's inline keyboard."""
    return sending.inline_markup(reason_buttons(answer_id))


def skip_keyboard(answer_id: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.BUTTON_SKIP_COMMENT, callback_data=reason_data(answer_id, SKIP))]]
    )


# --- 👍 / 👎 (fb:<token>:u|d, parsed by bot.handlers.callbacks) ----------------------------------------------


async def on_rating(update: Update, context: ContextTypes.DEFAULT_TYPE, answer_id: str, rating: int) -> None:
    """Store the asker's 👍 (+1) / 👎 (-1); a new 👎 is followed by the choice of what was wrong."""
    query = update.callback_query
    user = update.effective_user
    user_id = user.id if user else None
    answers = deps(context).answers
    current = await asyncio.to_thread(answers.get, answer_id)
    if current is None:
        await query.answer(texts.ANSWER_EXPIRED, show_alert=True)
        return
    if not current.asked_by(user_id):
        await _not_yours(update, answer_id)
        return
    if current.rating == rating:
        await query.answer(texts.FEEDBACK_ALREADY)
        return
    try:
        stored = await asyncio.to_thread(answers.rate, answer_id, rating, user_id=user_id)
    except NotYours:
        await _not_yours(update, answer_id)
        return
    except Exception:
        log.exception("Không lưu được đánh giá")
        await query.answer(texts.FEEDBACK_FAILED, show_alert=True)
        return
    if stored is None:
        await query.answer(texts.ANSWER_EXPIRED, show_alert=True)
        return
    await query.answer(texts.FEEDBACK_THANKS_UP if rating > 0 else texts.FEEDBACK_THANKS_DOWN)
    log.info("feedback answer=%s rating=%+d", answer_id, rating)
    if query.message is not None:
        try:
            await query.edit_message_reply_markup(
                reply_markup=answer_keyboard(answer_id, len(stored.sources), rating=rating)
            )
        except BadRequest as exc:  # e.g. the message is too old to edit: the rating is stored anyway
            log.debug("Không cập nhật được bàn phím: %s", exc)
    if rating < 0 and update.effective_chat is not None:
        message = query.message
        await sending.deliver(
            context.bot,
            sending.Outgoing(
                update.effective_chat.id, texts.FEEDBACK_REASON_PROMPT, reason_buttons(answer_id),
                reply_to=message.message_id if message is not None else None,
                thread_id=thread_id(message) if message is not None else None,
            ),
        )  # fmt: skip


async def _not_yours(update: Update, answer_id: str) -> None:
    user = update.effective_user
    log.info("feedback refused: user=%s is not the asker of answer=%s", user.id if user else None, answer_id)
    await update.callback_query.answer(texts.FEEDBACK_NOT_YOURS, show_alert=True)


# --- what was wrong (fr:<token>:<code>) -------------------------------------------------------------------


async def on_reason_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    parsed = parse_reason_data(query.data)
    if parsed is None:
        await query.answer(texts.CALLBACK_UNKNOWN)
        return
    answer_id, code = parsed
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None:
        await query.answer(texts.CALLBACK_UNKNOWN)
        return
    answers = deps(context).answers
    prompt_id = query.message.message_id if query.message is not None else None
    try:
        if code == SKIP:
            stored = await asyncio.to_thread(answers.skip_comment, answer_id, user_id=user.id)
        else:
            stored = await asyncio.to_thread(
                answers.set_reason,
                answer_id,
                REASONS[code][0],
                user_id=user.id,
                chat_id=chat.id,
                prompt_message_id=prompt_id,
            )
    except NotYours:
        await _not_yours(update, answer_id)
        return
    except Exception:
        log.exception("Không lưu được lý do đánh giá")
        await query.answer(texts.FEEDBACK_FAILED, show_alert=True)
        return
    if stored is None:
        exists = await asyncio.to_thread(answers.get, answer_id)
        await query.answer(
            texts.FEEDBACK_NOT_DOWN if exists is not None else texts.ANSWER_EXPIRED, show_alert=True
        )
        return
    await query.answer(texts.FEEDBACK_SKIPPED if code == SKIP else None)
    if code == SKIP:
        label = LABELS.get(stored.reason or "")
        text = texts.FEEDBACK_REASON_DONE.format(reason=label) if label else texts.FEEDBACK_SKIPPED
        markup = None
    else:
        log.info("feedback answer=%s reason=%s", answer_id, stored.reason)
        text = texts.FEEDBACK_REASON_SAVED.format(
            reason=LABELS[stored.reason or "khac"], minutes=COMMENT_WINDOW_SECONDS // 60
        )
        markup = skip_keyboard(answer_id)
    if query.message is not None:
        try:
            await query.edit_message_text(text, reply_markup=markup)
        except BadRequest as exc:
            log.debug("Không sửa được lời nhắc đánh giá: %s", exc)


# --- the comment: the asker's next text (conversation group, before every other handler) ------------------


async def comment_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Take the asker's text as the comment of their 👎 waiting in this chat and stop the update there;
    without a waiting 👎 (the usual case: one indexed lookup) let it through to the other handlers."""
    message = update.effective_message
    user = update.effective_user
    chat = update.effective_chat
    if message is None or user is None or chat is None:
        return
    text = incoming.addressed_text(message, bot_id=context.bot.id, bot_username=context.bot.username)
    if not text or not text.strip():
        return
    try:
        taken = await asyncio.to_thread(deps(context).answers.take_comment, user.id, chat.id, text)
    except Exception:
        log.warning("Không kiểm tra được nhận xét đang chờ: coi như tin nhắn thường", exc_info=True)
        return
    if taken is None:
        return
    stored, prompt_id = taken
    log.info("feedback answer=%s comment chars=%d", stored.id, len(stored.comment or ""))
    await _close_prompt(context, chat.id, prompt_id, stored)
    await sending.deliver(
        context.bot,
        sending.Outgoing(chat.id, texts.FEEDBACK_COMMENT_THANKS, reply_to=message.message_id,
                         thread_id=thread_id(message)),
    )  # fmt: skip
    raise ApplicationHandlerStop


async def _close_prompt(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, prompt_id: int | None, stored: StoredAnswer
) -> None:
    if prompt_id is None:
        return
    label = LABELS.get(stored.reason or "", LABELS["khac"])
    try:
        await context.bot.edit_message_text(
            texts.FEEDBACK_COMMENT_DONE.format(reason=label), chat_id=chat_id, message_id=prompt_id
        )
    except TelegramError as exc:  # too old, deleted…: the comment is stored anyway
        log.debug("Không sửa được lời nhắc đánh giá: %s", exc)
