"""Questions: ``/hoi`` (``/ask``), any text in a private chat, and mentions/replies in groups.

A question about work ("việc của tôi tuần này", "Sở Nội vụ còn bao nhiêu nhiệm vụ quá hạn?", "KPI của tôi")
is recognised and answered by the application layer (`app.questions.route_question`) within the asker's
permissions; anything else goes to document search. In groups a work question is never answered there.
"""

from __future__ import annotations

import asyncio
import logging
import time

from telegram import Update
from telegram.ext import ContextTypes

from app.questions import route_question
from bot import incoming, render, sending, texts
from bot.db_runner import session_runner
from bot.deps import deps
from bot.feedback import SourceRef, StoredAnswer
from bot.handlers.common import reader_audience, thread_id
from bot.handlers.tasks import in_group_refusal, viewer
from bot.keyboards import answer_buttons

START_HOI = "hoi"  # /start payload of the "message me privately" button (bot.handlers.commands)

log = logging.getLogger(__name__)


async def ask_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or message.text is None:
        return
    question = incoming.command_argument(message, bot_id=context.bot.id, bot_username=context.bot.username)
    await answer_question(update, context, question)


async def text_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None:
        return
    question = incoming.addressed_text(message, bot_id=context.bot.id, bot_username=context.bot.username)
    if question is None:
        return  # a group message not meant for the bot: stay silent
    await answer_question(update, context, question)


# --- questions about work (tasks, progress, KPI) -----------------------------------------------------------


async def answer_work_question(
    update: Update, context: ContextTypes.DEFAULT_TYPE, question: str, *, group: bool
) -> bool:
    """Answer `question` from the task database if it is about work (True), else leave it (False).

    The routing rule is the application layer's (`app.questions.route_question`). In a group a work question
    only gets "message me privately": no task detail is ever shown there. If the task database cannot be
    reached, the question goes to document search rather than failing."""
    chat = update.effective_chat
    user = update.effective_user
    who = viewer(context, user.id if user else 0)
    try:
        reply = await session_runner(context).run(route_question, who, question, group=group)
    except Exception:
        log.warning(
            "Không phân loại được câu hỏi (cơ sở dữ liệu nhiệm vụ?): chuyển sang tra cứu văn bản",
            exc_info=True,
        )
        return False
    if reply is None:
        return False
    if group:
        username = render.escape(context.bot.username or "bot")
        await in_group_refusal(update, context, texts.WORK_IN_GROUP.format(username=username), START_HOI)
        log.info("câu hỏi công việc (%s) trong nhóm %s: đã đề nghị nhắn riêng", reply.kind, chat.id)
        return True
    await sending.send(update, context.bot, reply.screen.html, reply.screen.buttons)
    log.info("work answer chat=%s kind=%s refused=%s", chat.id, reply.kind, reply.refused)
    return True


# --- questions about documents -----------------------------------------------------------------------------


async def answer_question(update: Update, context: ContextTypes.DEFAULT_TYPE, question: str) -> None:
    chat = update.effective_chat
    message = update.effective_message
    if chat is None or message is None:
        return
    d = deps(context)
    group = sending.is_group(chat.type)
    check = incoming.check_question(
        question, limit=d.max_question_chars, group=group, bot_username=context.bot.username
    )
    if not check.ok:
        await sending.send(update, context.bot, check.reply_html or "")
        return
    question = question.strip()
    if await answer_work_question(update, context, question, group=group):
        return
    thread = thread_id(message)
    t0 = time.perf_counter()
    user = update.effective_user
    audience = await reader_audience(context, user.id if user else None, chat.type)
    async with sending.typing(context.bot, chat.id, message_thread_id=thread):
        try:
            answer = await d.qa.ask(chat.id, question, audience)
        except ValueError as exc:
            if type(exc).__name__ != "QueryError":  # retrieval's "this cannot be searched" (Vietnamese text)
                raise
            await sending.send(update, context.bot, render.escape(str(exc)))
            return
    search_ms = (time.perf_counter() - t0) * 1000
    sources = tuple(SourceRef.from_citation(c) for c in answer.citations)
    stored = StoredAnswer(
        id="",
        question=question,
        answer=answer.text,
        sources=sources,
        telegram_user_id=update.effective_user.id if update.effective_user else None,
        chat_id=chat.id,
        refused=not getattr(answer, "grounded", True) and not sources,  # for /thongke's "refused" figures
    )
    answer_id = await asyncio.to_thread(d.answers.save, stored)
    parts = render.render_answer(answer)
    await sending.send(update, context.bot, "\n\n".join(parts), answer_buttons(answer_id, len(sources)))
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
