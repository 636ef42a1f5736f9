"""Helpers shared by the handlers."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot import pipeline


def thread_id(message: Message | None) -> int | None:
    return message.message_thread_id if (message is not None and message.is_topic_message) else None


async def reply_html(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    """A short HTML reply in the same chat (quoting the message in groups, so it is clear whom it answers)."""
    chat = update.effective_chat
    message = update.effective_message
    if chat is None:
        return
    group = pipeline.is_group(chat.type)
    await pipeline.send_parts(
        context.bot,
        chat.id,
        [text],
        reply_to_message_id=message.message_id if (group and message is not None) else None,
        message_thread_id=thread_id(message),
    )
