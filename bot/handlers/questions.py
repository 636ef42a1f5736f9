"""Questions: ``/hoi`` (``/ask``), any text in a private chat, and mentions/replies in groups.

A question about work ("việc của tôi tuần này", "Sở Nội vụ còn bao nhiêu nhiệm vụ quá hạn?", "KPI của tôi")
is recognised by the task domain's rules (`work_intent`: `tasks.work_answers.route` plus guards for document
questions) and answered from the task database within the asker's permissions; anything else goes to
document search. In groups a work question is never answered there.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from bot import keyboards, messages, pipeline, render
from bot.deps import deps
from bot.feedback import SourceRef, StoredAnswer
from bot.handlers.common import reply_html, thread_id
from bot.handlers.tasks import send_html
from bot.keyboards import answer_keyboard
from bot.reminders import inline_keyboard
from bot.tasks_db import task_store
from retrieval.docrefs import find_refs
from tasks.errors import UnitNotFound
from tasks.intents import Intent, match_unit_name
from tasks.service import get_official_by_telegram
from tasks.units import find_unit
from tasks.work_answers import answer as work_answer
from tasks.work_answers import route, unit_names

START_HOI = "hoi"  # /start payload of the "message me privately" button (bot.handlers.commands)

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


# --- questions about work (tasks, progress, KPI) -----------------------------------------------------------


@dataclass(frozen=True)
class _WorkReply:
    kind: str
    html: str = ""
    buttons: Any = ()
    refused: bool = False


def work_intent(session: Any, text: str) -> Intent | None:
    """The intent of ``text`` when it is a question about work, else None (document search answers it).

    The task domain's rules decide (`tasks.intents.classify` with the office's unit names, which is what
    `tasks.work_answers.route` does), with three guards that keep document questions away from the task
    database when that classification is only a guess:
    - no unit in the database: the task features are not in use, every question is about documents;
    - the text names a document ("NQ 70", "Kế hoạch 263/KH-UBND") and no unit of the database by its name;
    - the unit it seems to name is not one of the office's units ("tỉnh Phú Thọ", "Bộ Văn hóa…").
    """
    names = unit_names(session)
    if not names:
        return None
    intent = route(session, text, names)  # the office's unit names and officials' names
    if not intent.is_work:
        return None
    if find_refs(text) and match_unit_name(text, names) is None:
        return None
    if intent.unit_text and not (intent.own_unit or intent.all_units):
        try:
            find_unit(session, intent.unit_text, allow_abbreviation=True)
        except UnitNotFound:
            return None
    return intent


def _route_and_answer(
    session: Any, tg_user_id: int | None, text: str, today: Any, group: bool
) -> _WorkReply | None:
    """None when ``text`` is not about work (document search answers it); in a group only the verdict."""
    intent = work_intent(session, text)
    if intent is None:
        return None
    if group:
        return _WorkReply(str(intent.kind))
    asker = get_official_by_telegram(session, tg_user_id) if tg_user_id is not None else None
    reply = work_answer(session, asker, intent, today=today)  # refuses politely (not linked, no permission)
    return _WorkReply(str(intent.kind), reply.html, reply.buttons, reply.refused)


async def answer_work_question(
    update: Update, context: ContextTypes.DEFAULT_TYPE, question: str, *, group: bool
) -> bool:
    """Answer ``question`` from the task database if it is about work (True), else leave it (False).

    In a group a work question only gets "message me privately": no task detail is ever shown there. If the
    task database cannot be reached, the question goes to document search rather than failing."""
    chat = update.effective_chat
    user = update.effective_user
    store = task_store(context)
    try:
        reply = await store.run(_route_and_answer, user.id if user else None, question, store.today(), group)
    except Exception:
        log.warning(
            "Không phân loại được câu hỏi (cơ sở dữ liệu nhiệm vụ?): chuyển sang tra cứu văn bản",
            exc_info=True,
        )
        return False
    if reply is None:
        return False
    if group:
        username = context.bot.username or "bot"
        await send_html(
            update,
            context,
            messages.WORK_IN_GROUP.format(username=render.escape(username)),
            keyboards.private_chat_keyboard(context.bot.username, START_HOI),
        )
        log.info("câu hỏi công việc (%s) trong nhóm %s: đã đề nghị nhắn riêng", reply.kind, chat.id)
        return True
    await send_html(update, context, reply.html, inline_keyboard(list(reply.buttons)))
    log.info("work answer chat=%s kind=%s refused=%s", chat.id, reply.kind, reply.refused)
    return True


# --- questions about documents -----------------------------------------------------------------------------


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
    if await answer_work_question(update, context, question, group=group):
        return
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
        refused=not getattr(answer, "grounded", True) and not sources,  # for /thongke's "refused" figures
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
