"""``/vanban``: what the corpus holds (``/vanban``) and one document's card (``/vanban 57``, ``/vanban KL 221``).

Officials do not know what they may ask until they see the library: this lists số hiệu, loại, ngày, trích yếu and
the number of passages of every indexed document, and shows one card with its sections. A document the corpus
holds only through articles about it (``/vanban 68``) lists those articles.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot import incoming, render, sending, texts
from bot.deps import deps
from bot.handlers.common import reader_audience


async def vanban_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None:
        return
    reference = incoming.command_argument(message, bot_id=context.bot.id, bot_username=context.bot.username)
    reference = " ".join(reference.split())[:100]
    service = deps(context).qa
    user = update.effective_user
    audience = await reader_audience(context, user.id if user else None, chat.type)
    if reference:
        cards = await service.document_cards(reference, audience)
        if not cards:
            parts = [texts.DOCUMENT_NOT_FOUND.format(reference=render.escape(reference))]
        elif len(cards) > 1 and not any(c.get("doc_number") for c in cards):
            # not in the corpus itself: the articles about it
            header = texts.DOCUMENTS_ABOUT.format(reference=render.escape(reference))
            parts = render.render_documents(cards, header=header)
        else:
            parts = [p for card in cards[:3] for p in render.render_document_card(card)]
    else:
        parts = render.render_documents(await service.document_cards(audience=audience))
    await sending.send(update, context.bot, "\n\n".join(parts))
