"""Helpers shared by the handlers."""

from __future__ import annotations

from telegram import Message


def thread_id(message: Message | None) -> int | None:
    return message.message_thread_id if (message is not None and message.is_topic_message) else None
