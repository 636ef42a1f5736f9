"""What the administrators' handlers share: the dialogue kinds, the pending step's number, downloads, edits."""

from __future__ import annotations

import secrets

from telegram import Update
from telegram.ext import ContextTypes

from app.viewer import NotLinked
from bot import sending, texts
from tasks.ui import esc

IMPORT, DOCUMENT, REMOVAL = "admin_import", "admin_doc", "admin_rm"
STEP_TTL_SECONDS = 30 * 60
STEP_GONE = "Thao tác này đã hết hạn hoặc đã xong. Hãy gửi lại tệp hoặc lệnh."


def new_step_number() -> int:
    """The number a pending step's buttons carry (``ad:…:n``): a stale or forged button never matches."""
    return secrets.randbelow(10**9) + 1


async def download(context: ContextTypes.DEFAULT_TYPE, file_id: str) -> bytes:
    """The file a user sent (``getFile`` then the file URL: TELEGRAM_API_BASE_URL with /file/bot)."""
    file = await context.bot.get_file(file_id)
    return bytes(await file.download_as_bytearray())


async def refuse(update: Update, context: ContextTypes.DEFAULT_TYPE, exc: Exception) -> None:
    html = texts.NOT_LINKED if isinstance(exc, NotLinked) else esc(str(exc))
    await sending.send(update, context.bot, html)


async def edit(
    update: Update, context: ContextTypes.DEFAULT_TYPE, html: str, buttons: list | None = None
) -> None:
    """Edit the message under the pressed button in place."""
    message = update.callback_query.message
    await sending.send(update, context.bot, html, buttons or [], chat_id=message.chat.id,
                       edit_message_id=message.message_id)  # fmt: skip
