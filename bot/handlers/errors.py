"""Last line of defence: log the error with the update, tell the user briefly, never crash."""

from __future__ import annotations

import html
import logging

from telegram import Update
from telegram.error import Forbidden, NetworkError, TelegramError
from telegram.ext import ContextTypes

from bot import texts

log = logging.getLogger("bot.errors")


async def error_handler(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    err = context.error
    if isinstance(update, Update):
        chat = update.effective_chat
        log.error(
            "Lỗi khi xử lý update %s (chat %s): %r",
            update.update_id,
            chat.id if chat else None,
            err,
            exc_info=err,
        )
    else:
        # Errors outside an update (polling network hiccups…) are retried by the library: log only.
        if isinstance(err, NetworkError):
            log.warning("Lỗi mạng khi gọi Telegram: %s", err)
        else:
            log.error("Lỗi không gắn với update nào: %r", err, exc_info=err)
        return
    if isinstance(err, Forbidden):
        return  # the user blocked the bot: nothing to tell them
    query = update.callback_query
    try:
        if query is not None:
            await query.answer(texts.ERROR, show_alert=True)
        elif update.effective_chat is not None:
            await context.bot.send_message(
                chat_id=update.effective_chat.id,
                text=html.escape(texts.ERROR, quote=False),
            )
    except TelegramError as exc:
        log.warning("Không gửi được thông báo lỗi: %s", exc)
