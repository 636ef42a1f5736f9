"""What the handlers need, in one object stored in ``application.bot_data`` (no globals)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram.ext import CallbackContext

from bot.engine_pool import QAService
from bot.feedback import AnswerLog

BOT_DATA_KEY = "troly"


@dataclass
class BotDeps:
    qa: QAService
    answers: AnswerLog
    settings: Any = None
    max_question_chars: int = 2000


def deps(context: CallbackContext) -> BotDeps:
    return context.application.bot_data[BOT_DATA_KEY]
