"""Questions: ``/hoi`` (``/ask``), any text in a private chat, and mentions/replies in groups."""

from __future__ import annotations

import asyncio
import logging
import time

from telegram import Update
from telegram.ext import ContextTypes

from bot import pipeline, render
from bot.deps import deps
from bot.feedback import SourceRef, StoredAnswer
from bot.handlers.common import reply_html, thread_id
from bot.keyboards import answer_keyboard

log = logging.getLogger(__name__)


async def ask_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or message.text is None:
        return
    question = pipeline.command_argument(message, bot_id=context.bot.id, bot_username=context.bot.username)
    await answer_question(update, context, question)


async def text_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None:
        return
    question = pipeline.addressed_text(message, bot_id=context.bot.id, bot_username=context.bot.username)
    if question is None:
        return  # a group message not meant for the bot: stay silent
    await answer_question(update, context, question)


async def answer_question(update: Update, context: ContextTypes.DEFAULT_TYPE, question: str) -> None:
    chat = update.effective_chat
    message = update.effective_message
    if chat is None or message is None:
        return
    d = deps(context)
    group = pipeline.is_group(chat.type)
    check = pipeline.check_question(
        question, limit=d.max_question_chars, group=group, bot_username=context.bot.username
    )
    if not check.ok:
        await reply_html(update, context, check.reply_html or "")
        return
    question = question.strip()
    thread = thread_id(message)
    t0 = time.perf_counter()
    async with pipeline.typing(context.bot, chat.id, message_thread_id=thread):
        try:
            answer = await d.qa.ask(chat.id, question)
        except ValueError as exc:
            if type(exc).__name__ != "QueryError":  # retrieval's "this cannot be searched" (Vietnamese text)
                raise
            await reply_html(update, context, render.escape(str(exc)))
            return
    search_ms = (time.perf_counter() - t0) * 1000
    sources = tuple(
        SourceRef(
            label=render.citation_label(c),
            passage_id=c.passage_id,
            doc_number=c.doc_number,
            doc_type=c.doc_type,
            date=c.date,
            section=c.section,
        )
        for c in answer.citations
    )
    stored = StoredAnswer(
        id="",
        question=question,
        answer=answer.text,
        sources=sources,
        telegram_user_id=update.effective_user.id if update.effective_user else None,
        chat_id=chat.id,
    )
    answer_id = await asyncio.to_thread(d.answers.save, stored)
    parts = render.render_answer(answer)
    await pipeline.send_parts(
        context.bot,
        chat.id,
        parts,
        reply_markup=answer_keyboard(answer_id, len(sources)),
        reply_to_message_id=message.message_id if group else None,
        message_thread_id=thread,
    )
    log.info(
        "answered chat=%s search_ms=%.0f total_ms=%.0f chars=%d parts=%d citations=%d grounded=%s",
        chat.id,
        search_ms,
        (time.perf_counter() - t0) * 1000,
        len(answer.text or ""),
        len(parts),
        len(sources),
        getattr(answer, "grounded", None),
    )
