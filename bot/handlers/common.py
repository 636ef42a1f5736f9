"""Helpers shared by the handlers."""

from __future__ import annotations

import logging

from telegram import Message
from telegram.ext import CallbackContext

from app.audience import audience_of
from bot.db_runner import TASKS_KEY
from retrieval.scope import PUBLIC, Audience

log = logging.getLogger(__name__)


def thread_id(message: Message | None) -> int | None:
    return message.message_thread_id if (message is not None and message.is_topic_message) else None


async def reader_audience(context: CallbackContext, user_id: int | None, chat_type: str | None) -> Audience:
    """Which documents the sender may read in a chat of `chat_type` (`app.audience.audience_of`: any chat
    but a private one, or an unlinked account → the public (everyone there reads the reply); an official → their unit and the units above it; a quản trị → all). When the roster cannot
    be read, the public: a failure shows fewer documents, never a limited one."""
    store = context.application.bot_data.get(TASKS_KEY)
    if chat_type != "private" or user_id is None or store is None:
        return PUBLIC
    try:
        return await store.run(audience_of, user_id, group=False)
    except Exception:
        log.warning("Không đọc được đơn vị của user=%s: chỉ dùng văn bản công khai", user_id, exc_info=True)
        return PUBLIC
