"""/start (with an optional deep-link payload), /trogiup (/help) and unknown commands.

``/start`` alone greets. ``/start <payload>`` comes from a deep link ``https://t.me/<bot>?start=<payload>``:
``viec``, ``lienket``, ``tiendo``, ``baocao``, ``nhacviec`` (the "message me privately" buttons) open those
commands, ``hoi`` invites a question; anything else is an invitation code printed by
``troly officials invite`` and links the account (`bot.handlers.linking`).
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot import incoming, sending, texts
from bot.handlers import linking, progress, questions, tasks
from bot.render import escape

START_VIEC = "viec"
START_LIENKET = "lienket"
START_TIENDO = "tiendo"
START_BAOCAO = "baocao"
START_NHACVIEC = "nhacviec"
START_HOI = questions.START_HOI


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    payload = context.args[0].strip() if context.args else ""
    if payload == START_VIEC:
        await tasks.show_my_tasks(update, context)
        return
    if payload == START_LIENKET:
        await linking.show_link_prompt(update, context)
        return
    if payload == START_TIENDO:
        await progress.show_progress(update, context)
        return
    if payload == START_BAOCAO:
        await progress.send_reports(update, context)
        return
    if payload == START_NHACVIEC:
        await progress.show_settings(update, context)
        return
    if payload == START_HOI:
        await sending.send(update, context.bot, texts.START_ASK)
        return
    if payload:
        await linking.redeem_code(update, context, payload)
        return
    user = update.effective_user
    name = escape(user.first_name if user and user.first_name else "bạn")
    await sending.send(
        update, context.bot, texts.WELCOME.format(name=name, username=escape(context.bot.username or "bot"))
    )


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await sending.send(update, context.bot, texts.HELP.format(username=escape(context.bot.username or "bot")))


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or not incoming.command_addressed_to_us(message, bot_username=context.bot.username):
        return  # a command for another bot in a group: not ours to answer
    await sending.send(
        update, context.bot, texts.UNKNOWN_COMMAND.format(command=escape(incoming.command_name(message.text)))
    )
