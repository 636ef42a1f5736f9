"""Buttons under answers: 👍 / 👎 (stored on the saved answer) and "Xem nguyên văn" (the cited passage)."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot import render, sending, texts
from bot.deps import deps
from bot.handlers import feedback
from bot.handlers.common import reader_audience
from bot.keyboards import DOWN, UP, CallbackData

log = logging.getLogger(__name__)


async def on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    data = CallbackData.parse(query.data)
    if data is None:
        await query.answer(texts.CALLBACK_UNKNOWN)
        return
    if data.kind == "fb":
        await _feedback(update, context, data)
    else:
        await _show_passage(update, context, data)


async def _feedback(update: Update, context: ContextTypes.DEFAULT_TYPE, data: CallbackData) -> None:
    query = update.callback_query
    if data.arg not in (UP, DOWN):
        await query.answer(texts.CALLBACK_UNKNOWN)
        return
    rating = 1 if data.arg == UP else -1
    await feedback.on_rating(
        update, context, data.answer_id, rating
    )  # only the asker; 👎 asks what was wrong


async def _show_passage(update: Update, context: ContextTypes.DEFAULT_TYPE, data: CallbackData) -> None:
    query = update.callback_query
    d = deps(context)
    stored = await asyncio.to_thread(d.answers.get, data.answer_id)
    if stored is None:
        await query.answer(texts.ANSWER_EXPIRED, show_alert=True)
        return
    try:
        index = int(data.arg) - 1
        if index < 0:
            raise IndexError(index)
        source = stored.sources[index]
    except (ValueError, IndexError):
        await query.answer(texts.CALLBACK_UNKNOWN)
        return
    chat = update.effective_chat
    if chat is None:
        return
    # the presser's audience now (in a group: the public), not the asker's when the answer was given
    audience = await reader_audience(context, query.from_user.id, chat.type)
    passage = await d.qa.get_passage(source.passage_id, audience)
    if passage is None:
        await query.answer(texts.PASSAGE_NOT_FOUND, show_alert=True)
        return
    await query.answer()
    message = query.message
    topic = message is not None and bool(getattr(message, "is_topic_message", False))
    parts = render.render_passage(passage, label=source.label or None)
    await sending.deliver(
        context.bot,
        sending.Outgoing(
            chat.id, "\n\n".join(parts), reply_to=message.message_id if message is not None else None,
            thread_id=message.message_thread_id if topic else None,
        ),
    )  # fmt: skip
