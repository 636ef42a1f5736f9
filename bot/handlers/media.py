"""Stickers, photos, voice, files…: a polite note that only text is understood."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot import messages, pipeline
from bot.handlers.common import reply_html


async def non_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None:
        return
    if pipeline.is_group(chat.type):
        # In a group, only when it is clearly for us (a reply to the bot, or a caption mentioning it).
        if pipeline.addressed_text(message, bot_id=context.bot.id, bot_username=context.bot.username) is None:
            return
    elif chat.type != "private":
        return
    await reply_html(update, context, messages.TEXT_ONLY)
