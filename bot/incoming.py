"""What an incoming message says to the bot: is it meant for us (private chat, a mention, a reply), its
text without the mentions, a command's argument, and whether the input is acceptable (length, content).
Sending is `bot.sending`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import Message, MessageEntity
from telegram.constants import ChatType

from bot import texts
from bot.render import escape
from bot.sending import is_group

log = logging.getLogger(__name__)

_STRIP_AFTER_MENTION = " \t\n,.:;-–—!"


# --- who is the message for ---------------------------------------------------------------------------


_MARK = "\ue000"  # private-use character standing for a removed mention


def _utf16_cut(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """Replace UTF-16 [offset, offset+length) spans (Telegram entity coordinates) of ``text`` by a marker."""
    data = text.encode("utf-16-le")
    out = bytearray()
    pos = 0
    for offset, length in sorted(spans):
        start, end = offset * 2, (offset + length) * 2
        if start < pos:
            continue
        out += data[pos:start]
        out += _MARK.encode("utf-16-le")
        pos = end
    out += data[pos:]
    return out.decode("utf-16-le")


def bot_mention_spans(message: Message, *, bot_id: int, bot_username: str | None) -> list[tuple[int, int]]:
    """Entity spans in the message text that mention this bot (@username or a text mention)."""
    text = message.text or message.caption or ""
    entities = message.entities if message.text else message.caption_entities
    spans = []
    uname = (bot_username or "").lower().lstrip("@")
    for ent in entities or ():
        if ent.type == MessageEntity.MENTION and uname:
            mentioned = text.encode("utf-16-le")[ent.offset * 2 : (ent.offset + ent.length) * 2].decode(
                "utf-16-le"
            )
            if mentioned.lstrip("@").lower() == uname:
                spans.append((ent.offset, ent.length))
        elif ent.type == MessageEntity.TEXT_MENTION and ent.user and ent.user.id == bot_id:
            spans.append((ent.offset, ent.length))
    return spans


def is_reply_to_bot(message: Message, *, bot_id: int) -> bool:
    reply = message.reply_to_message
    if reply is None or reply.from_user is None:
        return False
    # In forum topics every message "replies" to the topic's service message: that is not a reply to us.
    if message.is_topic_message and reply.forum_topic_created is not None:
        return False
    return reply.from_user.id == bot_id


def strip_bot_mentions(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """Remove the mentions (and the comma/colon that goes with them): "@bot: NQ 57?" → "NQ 57?"."""
    if not spans:
        return text.strip()
    cut = re.sub(rf"[,;]?\s*{_MARK}\s*[:,;]?", " ", _utf16_cut(text, spans))
    cut = re.sub(r"\s+([?!.,;:])", r"\1", " ".join(cut.split()))
    return cut.strip(_STRIP_AFTER_MENTION)


def addressed_text(message: Message, *, bot_id: int, bot_username: str | None) -> str | None:
    """The text of a message meant for the bot (mentions of the bot removed), or None if it is not for us.

    Private chat: every message is for the bot. Groups: only when the bot is mentioned or replied to
    (``/hoi`` is handled by its command handler).
    """
    text = message.text if message.text is not None else (message.caption or "")
    chat_type = message.chat.type if message.chat else None
    if not is_group(chat_type):
        if chat_type == ChatType.PRIVATE:
            spans = bot_mention_spans(message, bot_id=bot_id, bot_username=bot_username)
            return strip_bot_mentions(text, spans)
        return None  # channels: never
    spans = bot_mention_spans(message, bot_id=bot_id, bot_username=bot_username)
    if spans:
        return strip_bot_mentions(text, spans)
    if is_reply_to_bot(message, bot_id=bot_id):
        return text.strip()
    return None


def command_argument(message: Message, *, bot_id: int, bot_username: str | None) -> str:
    """The text after ``/hoi`` (or ``/hoi@bot``), with any other mention of the bot removed."""
    text = message.text or ""
    spans = [
        (e.offset, e.length)
        for e in message.entities or ()
        if e.type == MessageEntity.BOT_COMMAND and e.offset == 0
    ]
    if not spans and text.startswith("/"):  # no entity (should not happen for a command): the first word
        first = text.split(maxsplit=1)[0]
        spans = [(0, len(first.encode("utf-16-le")) // 2)]
    spans += bot_mention_spans(message, bot_id=bot_id, bot_username=bot_username)
    return strip_bot_mentions(text, spans)


def command_addressed_to_us(message: Message, *, bot_username: str | None) -> bool:
    """An unknown ``/command``: in private always ours; in a group only as ``/command@ourbot``."""
    if not is_group(message.chat.type):
        return True
    first = (message.text or "").split(maxsplit=1)[0] if message.text else ""
    _, _, target = first.partition("@")
    return bool(target) and target.lower() == (bot_username or "").lower()


def command_name(text: str | None) -> str:
    first = (text or "").split(maxsplit=1)[0] if text else ""
    return first.partition("@")[0] or "/"


# --- input limits ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InputCheck:
    ok: bool
    reply_html: str | None = None


def check_question(
    text: str | None,
    *,
    limit: int = texts.MAX_QUESTION_CHARS,
    group: bool = False,
    bot_username: str | None = None,
) -> InputCheck:
    """Accept a non-empty question of at most ``limit`` characters; otherwise the polite reply to send."""
    question = (text or "").strip()
    if not any(ch.isalnum() for ch in question):  # empty, or only punctuation/emoji: nothing to look up
        if group:
            return InputCheck(False, texts.ASK_EMPTY_GROUP.format(username=escape(bot_username or "bot")))
        return InputCheck(False, texts.ASK_EMPTY)
    if len(question) > limit:
        return InputCheck(False, texts.TOO_LONG.format(length=len(question), limit=limit))
    return InputCheck(True)
