"""Handler registration. Order matters inside a group: the first matching handler wins, so fallbacks
(unknown commands, non-text messages) come last; ``extra`` handlers (e.g. from ``tasks/``) go before them.
"""

from __future__ import annotations

from collections.abc import Iterable

from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.handlers.callbacks import on_callback
from bot.handlers.commands import help_command, start, unknown_command
from bot.handlers.errors import error_handler
from bot.handlers.media import non_text
from bot.handlers.questions import ask_command, text_message

NEW_MESSAGE = filters.UpdateType.MESSAGE  # not edits, not channel posts


def register_handlers(application: Application, extra: Iterable[BaseHandler] = ()) -> None:
    application.add_handler(CommandHandler("start", start, filters=NEW_MESSAGE))
    application.add_handler(CommandHandler(["trogiup", "help"], help_command, filters=NEW_MESSAGE))
    # Questions may take a while: block=False lets the application go on with other updates meanwhile.
    application.add_handler(CommandHandler(["hoi", "ask"], ask_command, filters=NEW_MESSAGE, block=False))
    application.add_handler(CallbackQueryHandler(on_callback, pattern=r"^(fb|src):", block=False))
    for handler in extra:
        application.add_handler(handler)
    application.add_handler(
        MessageHandler(NEW_MESSAGE & filters.TEXT & ~filters.COMMAND, text_message, block=False)
    )
    application.add_handler(MessageHandler(NEW_MESSAGE & filters.COMMAND, unknown_command))
    application.add_handler(MessageHandler(NEW_MESSAGE & ~filters.TEXT & ~filters.StatusUpdate.ALL, non_text))
    application.add_handler(CallbackQueryHandler(_stale_button))
    application.add_error_handler(error_handler)


async def _stale_button(update, context) -> None:
    from bot import messages

    if update.callback_query is not None:
        await update.callback_query.answer(messages.CALLBACK_UNKNOWN)
