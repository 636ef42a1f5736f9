"""Handler registration: the one place that lists every handler of the bot.

Order matters inside a group: the first matching handler wins, so fallbacks (unknown commands, non-text
messages, stale buttons) come last; ``extra`` handlers go before them. Group -1 runs first for every update:
it holds conversation states (a pending "Hoàn thành" takes the user's next private text as the result and
stops the update there; without one it lets the update through to the handlers below). Group -2 runs before
it: a 👎 waiting for its optional comment takes the asker's next text (`bot.handlers.feedback`).
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

from bot.handlers import admin, assign, documents, feedback, linking, products, progress, stats, tasks
from bot.handlers.callbacks import on_callback
from bot.handlers.commands import help_command, start, unknown_command
from bot.handlers.errors import error_handler
from bot.handlers.media import non_text
from bot.handlers.questions import ask_command, text_message

TASK_CALLBACK_PATTERN = r"^t:"  # task buttons (grammar: tasks.ui), also under reminders

NEW_MESSAGE = filters.UpdateType.MESSAGE  # not edits, not channel posts
PRIVATE = filters.ChatType.PRIVATE
CONVERSATION_GROUP = -1
CANCEL_REASON_GROUP = -3
ASSIGN_GROUP = -4  # the assign form, an extension request, a decision's note; a leader's "giao …"
FEEDBACK_COMMENT_GROUP = -2
REVIEW_COMMENT_GROUP = (
    -5
)  # a reviewer's "Chưa đạt" comment (before the assign group: one handler per group runs)


def register_handlers(application: Application, extra: Iterable[BaseHandler] = ()) -> None:
    # Assigning work and asking for more time (/giaoviec, /giahan, gv:, gh:): their follow-up texts first.
    application.add_handler(
        MessageHandler(NEW_MESSAGE & PRIVATE & filters.TEXT & ~filters.COMMAND, assign.dialogue_text),
        group=ASSIGN_GROUP,
    )
    application.add_handler(
        CommandHandler(["giaoviec", "assign"], assign.giaoviec_command, filters=NEW_MESSAGE)
    )
    application.add_handler(CommandHandler(["giahan", "extend"], assign.giahan_command, filters=NEW_MESSAGE))
    application.add_handler(
        CallbackQueryHandler(assign.on_callback, pattern=assign.CALLBACK_PATTERN, block=False)
    )

    # Conversation states: a cancellation's reason (group -3), the comment after a 👎 (group -2),
    # a completion's result (group -1).
    application.add_handler(
        MessageHandler(NEW_MESSAGE & PRIVATE & filters.TEXT & ~filters.COMMAND, progress.cancel_reason_text),
        group=CANCEL_REASON_GROUP,
    )
    application.add_handler(
        MessageHandler(NEW_MESSAGE & filters.TEXT & ~filters.COMMAND, feedback.comment_message),
        group=FEEDBACK_COMMENT_GROUP,
    )
    application.add_handler(
        MessageHandler(NEW_MESSAGE & PRIVATE & filters.TEXT & ~filters.COMMAND, tasks.result_text),
        group=CONVERSATION_GROUP,
    )
    # Products: a file or photo handed in (group -1, beside the text result: the filters do not overlap),
    # an approver's comment after «Chưa đạt» (group -4).
    application.add_handler(
        MessageHandler(
            NEW_MESSAGE & PRIVATE & (filters.Document.ALL | filters.PHOTO), products.product_media
        ),
        group=CONVERSATION_GROUP,
    )
    application.add_handler(
        MessageHandler(NEW_MESSAGE & PRIVATE & filters.TEXT & ~filters.COMMAND, products.review_comment_text),
        group=REVIEW_COMMENT_GROUP,
    )

    # Commands.
    application.add_handler(CommandHandler("start", start, filters=NEW_MESSAGE))  # + deep-link codes
    application.add_handler(CommandHandler(["trogiup", "help"], help_command, filters=NEW_MESSAGE))
    # Questions may take a while: block=False lets the application go on with other updates meanwhile.
    application.add_handler(CommandHandler(["hoi", "ask"], ask_command, filters=NEW_MESSAGE, block=False))
    application.add_handler(CommandHandler(["viec", "tasks"], tasks.viec_command, filters=NEW_MESSAGE))
    application.add_handler(
        CommandHandler(["nopsanpham", "submit"], products.nopsanpham_command, filters=NEW_MESSAGE)
    )
    application.add_handler(
        CommandHandler("vanban", documents.vanban_command, filters=NEW_MESSAGE, block=False)
    )
    application.add_handler(CommandHandler("lienket", linking.lienket_command, filters=NEW_MESSAGE))
    # Leaders' progress and reports, reminder settings (files and charts are made in worker threads).
    application.add_handler(
        CommandHandler(["tiendo", "progress"], progress.tiendo_command, filters=NEW_MESSAGE, block=False)
    )
    application.add_handler(
        CommandHandler("baocao", progress.baocao_command, filters=NEW_MESSAGE, block=False)
    )
    application.add_handler(CommandHandler("nhacviec", progress.nhacviec_command, filters=NEW_MESSAGE))
    # Administrators: most asked and most refused questions.
    application.add_handler(
        CommandHandler("thongke", stats.thongke_command, filters=NEW_MESSAGE, block=False)
    )

    # Administrators from the chat: sheets to import, documents to add (/themvanban, also as a file's
    # caption) or remove (/xoavanban), and their ad: buttons (bot.handlers.admin).
    application.add_handler(CommandHandler("themvanban", admin.themvanban_command, filters=NEW_MESSAGE))
    application.add_handler(
        CommandHandler("xoavanban", admin.xoavanban_command, filters=NEW_MESSAGE, block=False)
    )
    application.add_handler(MessageHandler(NEW_MESSAGE & admin.ADMIN_FILE, admin.admin_file, block=False))
    application.add_handler(CallbackQueryHandler(admin.on_admin_callback, pattern=r"^ad:", block=False))

    # Linking by a shared contact (private chats; in groups a contact falls through to `non_text`).
    application.add_handler(MessageHandler(NEW_MESSAGE & PRIVATE & filters.CONTACT, linking.contact_message))

    # Buttons: answers (👍 / 👎, Xem nguyên văn) and tasks (t:…, also under reminders).
    application.add_handler(CallbackQueryHandler(on_callback, pattern=r"^(fb|src):", block=False))
    application.add_handler(
        CallbackQueryHandler(feedback.on_reason_callback, pattern=feedback.CALLBACK_PATTERN, block=False)
    )
    application.add_handler(CallbackQueryHandler(tasks.on_task_callback, pattern=TASK_CALLBACK_PATTERN))
    application.add_handler(
        CallbackQueryHandler(products.on_review_callback, pattern=products.CALLBACK_PATTERN)
    )
    # Progress drill-down, chart, report files (td:, bc:) and reminder settings (nv:).
    application.add_handler(
        CallbackQueryHandler(progress.on_progress_callback, pattern=progress.CALLBACK_PATTERN, block=False)
    )

    for handler in extra:
        application.add_handler(handler)

    # Fallbacks.
    application.add_handler(
        MessageHandler(NEW_MESSAGE & filters.TEXT & ~filters.COMMAND, text_message, block=False)
    )
    application.add_handler(MessageHandler(NEW_MESSAGE & filters.COMMAND, unknown_command))
    application.add_handler(MessageHandler(NEW_MESSAGE & ~filters.TEXT & ~filters.StatusUpdate.ALL, non_text))
    application.add_handler(CallbackQueryHandler(_stale_button))
    application.add_error_handler(error_handler)


async def _stale_button(update, context) -> None:
    from bot import texts

    if update.callback_query is not None:
        await update.callback_query.answer(texts.CALLBACK_UNKNOWN)
