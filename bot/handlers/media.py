"""Stickers, photos, voice, files…: a polite note that only text is understood."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot import incoming, sending, texts


async def non_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None:
        return
    if sending.is_group(chat.type):
        # In a group, only when it is clearly for us (a reply to the bot, or a caption mentioning it).
        if incoming.addressed_text(message, bot_id=context.bot.id, bot_username=context.bot.username) is None:
            return
    elif chat.type != "private":
        return
    await sending.send(update, context.bot, texts.TEXT_ONLY)
