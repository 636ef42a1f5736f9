"""Linking a Telegram account to an official of the roster: /lienket, a shared contact, /start <code>.

- /lienket shows a "Chia sẻ số điện thoại" button (request_contact). A shared contact is accepted only when
  its ``user_id`` is the sender's own id (Telegram sets it for the user's own number; a contact forwarded
  from the address book has another id or none) and only in a private chat.
- ``/lienket MÃ`` or ``/start MÃ`` (the deep link ``https://t.me/<bot>?start=MÃ`` printed by
  ``troly officials invite``) redeems a single-use invitation code (valid 7 days).
- Phone normalisation, roster matching, relinking rules and auditing are the domain's (`tasks.linking`);
  its Vietnamese outcome messages are shown as they are (escaped).
- In groups nothing is linked: the bot points to the private chat. A code typed in a group has been seen by
  its members, so it is revoked at once (the warning says so; the reply is the same whether or not the
  text was a valid code, so a group cannot be used to probe codes).
- Wrong codes are throttled per account by the domain (5 per 10 minutes, then a cool-down) and audited.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot import render, sending, texts
from bot.db_runner import session_runner
from bot.handlers.tasks import in_group_refusal
from tasks.linking import link_by_phone, redeem_invite, revoke_invite
from tasks.service import get_official_by_telegram

log = logging.getLogger(__name__)


def _current_link(session: Any, tg_user_id: int) -> tuple[str, str, str] | None:
    official = get_official_by_telegram(session, tg_user_id)
    if official is None:
        return None
    return official.full_name, official.code, official.unit.name


def _link_by_phone(
    session: Any, tg_user_id: int, username: str | None, phone: str, now: Any
) -> tuple[str, str]:
    result = link_by_phone(session, tg_user_id, username, phone, now=now)
    return str(result.status), _outcome_html(result)


def _redeem(session: Any, code: str, tg_user_id: int, username: str | None, now: Any) -> tuple[str, str]:
    result = redeem_invite(session, code, tg_user_id, username, now=now)
    return str(result.status), _outcome_html(result)


def _outcome_html(result: Any) -> str:
    return render.escape(result.message) + (texts.LINK_NEXT_STEPS if result.ok else texts.LINK_RETRY)


async def lienket_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/lienket`` (the share-phone button) or ``/lienket MÃ`` (an invitation code)."""
    code = context.args[0] if context.args else None
    if code:
        await redeem_code(update, context, code)
    else:
        await show_link_prompt(update, context)


async def _refuse_in_group(update: Update, context: ContextTypes.DEFAULT_TYPE, *, code: bool) -> bool:
    """True (after answering) when the chat is not private: linking happens only in a private chat."""
    chat = update.effective_chat
    if chat is None:
        return True
    if chat.type == ChatType.PRIVATE:
        return False
    if sending.is_group(chat.type):
        username = render.escape(context.bot.username or "bot")
        text = (texts.LINK_CODE_IN_GROUP if code else texts.LINK_IN_GROUP).format(username=username)
        await in_group_refusal(update, context, text, "lienket")
    return True


async def show_link_prompt(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = update.effective_user
    if user is None or await _refuse_in_group(update, context, code=False):
        return
    current = await session_runner(context).run(_current_link, user.id)
    text = texts.LINK_PROMPT
    if current is not None:
        name, code, unit = (render.escape(v) for v in current)
        text = texts.LINK_CURRENT.format(name=name, code=code, unit=unit) + text
    await sending.send(update, context.bot, text, reply_keyboard="share_phone")


def _revoke_seen_code(session: Any, code: str, tg_user_id: int, now: Any) -> bool:
    return revoke_invite(session, code, actor=f"telegram:{tg_user_id}", now=now)


async def redeem_code(update: Update, context: ContextTypes.DEFAULT_TYPE, code: str) -> None:
    user = update.effective_user
    chat = update.effective_chat
    if user is not None and chat is not None and sending.is_group(chat.type):
        store = session_runner(context)
        revoked = await store.run(_revoke_seen_code, code.strip(), user.id, store.now())
        log.warning("Mã liên kết bị gửi trong nhóm %s bởi user=%s: %s", chat.id, user.id,
                    "đã huỷ" if revoked else "không phải mã còn hiệu lực")  # fmt: skip
    if user is None or await _refuse_in_group(update, context, code=True):
        return
    store = session_runner(context)
    status, text = await store.run(_redeem, code.strip(), user.id, user.username, store.now())
    log.info("Liên kết bằng mã: user=%s kết quả=%s", user.id, status)
    await sending.send(update, context.bot, text, reply_keyboard="remove")


async def contact_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A shared contact in a private chat: link by phone if it is the sender's own number."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None or message.contact is None:
        return
    if await _refuse_in_group(update, context, code=False):
        return
    contact = message.contact
    if contact.user_id is None or contact.user_id != user.id or message.forward_origin is not None:
        log.warning(
            "Từ chối liên kết bằng danh bạ không phải của người gửi: user=%s contact_user=%s",
            user.id,
            contact.user_id,
        )
        await sending.send(update, context.bot, texts.LINK_CONTACT_NOT_OWN, reply_keyboard="share_phone")
        return
    store = session_runner(context)
    status, text = await store.run(_link_by_phone, user.id, user.username, contact.phone_number, store.now())
    log.info("Liên kết bằng số điện thoại: user=%s kết quả=%s", user.id, status)
    await sending.send(update, context.bot, text, reply_keyboard="remove")
