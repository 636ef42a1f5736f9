"""Administrators from the chat: spreadsheets sent to the bot are imported after a preview, documents are added
to (``/themvanban``) or removed from (``/xoavanban``) the corpus. The rules are in `app.admin_imports` and
`app.documents_admin`; this module downloads files, keeps the pending step and sends the screens.

- A pending step (an import waiting for "Nhập", a document waiting for its readers, a removal waiting for its
  confirmation) lives in the `DialogueStore` as plain data — the Telegram ``file_id`` (files are downloaded
  again when confirmed, so any bot process sharing the store can finish the step), the file name, a random
  number `n` the buttons carry (``ad:…:n``), never the file itself nor a path.
- Private chats only; every step re-checks that the sender is an active quản trị (in the use case).
- A command in a file's caption works like the typed command (``/themvanban`` with the file).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes, filters

from app import admin_imports, documents_admin
from app.documents_admin import DocumentRefused, NotAdmin
from app.viewer import NotLinked
from bot import incoming, render, sending, texts
from bot.db_runner import session_runner
from bot.deps import deps
from bot.handlers import admin_sheets, media
from bot.handlers.admin_common import (
    DOCUMENT,
    IMPORT,
    REMOVAL,
    STEP_GONE,
    STEP_TTL_SECONDS,
    download,
    edit,
    new_step_number,
    refuse,
)
from bot.handlers.tasks import dialogues, viewer
from bot.index_watch import remember_generation
from tasks.ui import MAX_ALERT_CHARS, Callback, admin_data, button, esc, parse_callback, shorten

log = logging.getLogger(__name__)

UNITS_PER_PAGE = 8
CAPTION_COMMANDS = ("themvanban", "xoavanban")

ADD_USAGE = (
    "Để thêm văn bản vào kho: gửi tệp (.pdf, .docx, .md, .html, .txt) cho bot và ghi chú thích "
    "<code>/themvanban</code>, hoặc gửi tệp rồi bấm «Thêm vào kho văn bản»."
)
REMOVE_USAGE = "Cách dùng: <code>/xoavanban SỐ_HIỆU</code>, ví dụ <code>/xoavanban 221-KL/TW</code>."
PRIVATE_ONLY = "Việc quản trị kho văn bản và nhập bảng tính chỉ làm trong tin nhắn riêng với bot."


# --- which messages are ours --------------------------------------------------------------------------


def caption_command(message: Message | None) -> tuple[str, str] | None:
    """(command without "/" or "@bot", argument) when the caption of a file starts with a command."""
    caption = (message.caption or "") if message is not None else ""
    if not caption.startswith("/"):
        return None
    first, _, rest = caption.partition(" ")
    return first[1:].partition("@")[0].lower(), " ".join(rest.split())


class _AdminFile(filters.MessageFilter):
    """A file in a private chat for the administrators' handler: a sheet or a document, with no caption
    command or with one of ours; a file sent in reply to a bot message (a task card) is left to others."""

    def filter(self, message: Message) -> bool:
        document = message.document
        if document is None or message.chat.type != ChatType.PRIVATE:
            return False
        command = caption_command(message)
        if command is not None:
            return command[0] in CAPTION_COMMANDS
        reply = message.reply_to_message
        if reply is not None and reply.from_user is not None and reply.from_user.is_bot:
            return False
        suffix = Path(document.file_name or "").suffix.lower()
        return suffix in admin_imports.SHEET_SUFFIXES or suffix in documents_admin.DOCUMENT_SUFFIXES


ADMIN_FILE = _AdminFile(name="admin_file")


# --- files ----------------------------------------------------------------------------------------------


async def admin_file(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A sheet (→ import preview), a document with ``/themvanban`` (→ who may read it?), a document alone
    (→ the offer "Thêm vào kho văn bản" for administrators; the usual "text only" note for others)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.document is None:
        return
    command = caption_command(message)
    name = message.document.file_name or ""
    if command is not None and command[0] == "xoavanban":
        await remove_document(update, context, command[1])
        return
    if command is not None:  # /themvanban
        await add_document_file(update, context)
        return
    if admin_imports.is_sheet(name):
        await admin_sheets.import_sheet(update, context)
        return
    try:
        await session_runner(context).run(documents_admin.require_admin, viewer(context, user.id))
    except (NotLinked, NotAdmin):
        await media.non_text(update, context)
        return
    nonce = new_step_number()
    state = {"nonce": nonce, "file_id": message.document.file_id, "file_name": name,
             "size": message.document.file_size, "units": [], "stage": "offered"}  # fmt: skip
    dialogues(context).put(user.id, DOCUMENT, state, STEP_TTL_SECONDS)
    html = f"Đã nhận tệp “{esc(name)}”. Anh/chị có muốn thêm tệp này vào kho văn bản để mọi người tra cứu?"
    await sending.send(
        update, context.bot, html, [[button("📚 Thêm vào kho văn bản", admin_data("add", nonce))]]
    )


async def add_document_file(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/themvanban`` in a file's caption: check the file, then ask who may read it."""
    message, user = update.effective_message, update.effective_user
    document = message.document
    state = {"nonce": new_step_number(), "file_id": document.file_id, "file_name": document.file_name or "",
             "size": document.file_size, "units": [], "stage": "scope"}  # fmt: skip
    await _check_and_ask_scope(update, context, user.id, state, edit_message_id=None)


async def _check_and_ask_scope(
    update: Update, context: ContextTypes.DEFAULT_TYPE, user_id: int, state: dict, edit_message_id: int | None
) -> None:
    chat_id = update.effective_chat.id
    try:
        await session_runner(context).run(documents_admin.require_admin, viewer(context, user_id))
        documents_admin.safe_file_name(state["file_name"])
        documents_admin.check_size(state.get("size"))
        data = await download(context, state["file_id"])
        checked = await asyncio.to_thread(documents_admin.check_document, state["file_name"], data)
    except (NotLinked, NotAdmin, DocumentRefused) as exc:
        log.info("Từ chối thêm văn bản %r của user=%s: %s", state["file_name"], user_id, exc)
        html = texts.NOT_LINKED if isinstance(exc, NotLinked) else esc(str(exc))
        if isinstance(exc, DocumentRefused):
            html = "❌ " + html
        await sending.send(update, context.bot, html, chat_id=chat_id, edit_message_id=edit_message_id)
        return
    state = {**state, "stage": "scope", "label": checked.label}
    dialogues(context).put(user_id, DOCUMENT, state, STEP_TTL_SECONDS)
    html, buttons = _scope_question(state)
    await sending.send(update, context.bot, html, buttons, chat_id=chat_id, edit_message_id=edit_message_id)


def _scope_question(state: dict) -> tuple[str, list]:
    n = state["nonce"]
    html = f"📄 <b>{esc(state['label'])}</b> (tệp “{esc(state['file_name'])}”)\nAi được đọc văn bản này?"
    return html, [
        [button("🌐 Toàn tỉnh", admin_data("all", n)), button("🏢 Chỉ đơn vị …", admin_data("lim", n))],
        [button("✖️ Huỷ", admin_data("dx", n))],
    ]


# --- /themvanban, /xoavanban typed ----------------------------------------------------------------------


async def themvanban_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Typed without a file: say how (the command works as a file's caption)."""
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        await sending.send(update, context.bot, PRIVATE_ONLY)
        return
    await sending.send(update, context.bot, ADD_USAGE)


async def xoavanban_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None:
        return
    reference = incoming.command_argument(message, bot_id=context.bot.id, bot_username=context.bot.username)
    await remove_document(update, context, reference)


async def remove_document(update: Update, context: ContextTypes.DEFAULT_TYPE, reference: str) -> None:
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    if chat.type != ChatType.PRIVATE:
        await sending.send(update, context.bot, PRIVATE_ONLY)
        return
    try:
        await session_runner(context).run(documents_admin.require_admin, viewer(context, user.id))
    except (NotLinked, NotAdmin) as exc:
        await refuse(update, context, exc)
        return
    reference = " ".join(reference.split())[:100]
    if not reference:
        await sending.send(update, context.bot, REMOVE_USAGE)
        return
    qa = deps(context).qa
    engine = await qa.engine()
    cards = await qa.run(documents_admin.find_removable, engine, reference)
    if not cards:
        await sending.send(update, context.bot, texts.DOCUMENT_NOT_FOUND.format(reference=esc(reference)))
        return
    if len(cards) > 1:
        names = "\n".join(f"• {esc(_card_name(c))} ({esc(c['source'])})" for c in cards[:10])
        html = f"Có {len(cards)} văn bản khớp “{esc(reference)}”:\n{names}\nHãy ghi đủ số hiệu của văn bản cần xoá."
        await sending.send(update, context.bot, html)
        return
    card = cards[0]
    try:
        await qa.run(documents_admin.removable, engine, card["source"])
    except DocumentRefused as exc:
        await sending.send(update, context.bot, "❌ " + esc(str(exc)))
        return
    nonce = new_step_number()
    label = _card_name(card)
    dialogues(context).put(
        user.id, REMOVAL, {"nonce": nonce, "source": card["source"], "label": label}, STEP_TTL_SECONDS
    )
    html = (
        f"Xoá <b>{esc(label)}</b> (tệp “{esc(card['source'])}”, {card.get('passages', 0)} đoạn) khỏi kho văn "
        "bản? Sau khi xoá, bot không còn tra cứu được văn bản này."
    )
    buttons = [[button("🗑 Xoá", admin_data("rm", nonce)), button("Giữ lại", admin_data("rmx", nonce))]]
    await sending.send(update, context.bot, html, buttons)


def _card_name(card: dict) -> str:
    name = " ".join(p for p in (card.get("doc_type"), card.get("doc_number")) if p)
    return name or card.get("title") or card.get("source") or "văn bản"


# --- buttons --------------------------------------------------------------------------------------------


async def on_admin_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    data = parse_callback(query.data)
    if data is None or data.prefix != "ad":
        await query.answer(texts.CALLBACK_UNKNOWN)
        return
    chat = query.message.chat if query.message is not None else None
    if chat is None or chat.type != ChatType.PRIVATE:
        await query.answer(PRIVATE_ONLY, show_alert=True)
        return
    kind = {"i": IMPORT, "ix": IMPORT, "rm": REMOVAL, "rmx": REMOVAL}.get(data.action, DOCUMENT)
    store = dialogues(context)
    item = store.get(query.from_user.id, kind)
    if item is None or store.expired(item) or item.state.get("nonce") != data.args[0]:
        await query.answer(STEP_GONE, show_alert=True)
        await sending.clear_buttons(context.bot, chat.id, query.message.message_id)
        return
    try:
        await _ACTIONS[data.action](update, context, data, dict(item.state))
    except (NotLinked, NotAdmin) as exc:
        store.pop(query.from_user.id, kind)
        await query.answer(shorten(str(exc), MAX_ALERT_CHARS), show_alert=True)


async def _offer_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, data: Callback, state: dict
) -> None:
    query = update.callback_query
    await query.answer()
    await _check_and_ask_scope(update, context, query.from_user.id, state, query.message.message_id)


async def _everyone(update: Update, context: ContextTypes.DEFAULT_TYPE, data: Callback, state: dict) -> None:
    await _add(update, context, state, [])


async def _limited(update: Update, context: ContextTypes.DEFAULT_TYPE, data: Callback, state: dict) -> None:
    await update.callback_query.answer()
    await _show_picker(update, context, state, page=1)


async def _toggle_unit(
    update: Update, context: ContextTypes.DEFAULT_TYPE, data: Callback, state: dict
) -> None:
    query = update.callback_query
    unit_id = data.args[1]
    units = list(state.get("units") or [])
    units = [u for u in units if u != unit_id] if unit_id in units else [*units, unit_id]
    state = {**state, "units": units}
    dialogues(context).update(query.from_user.id, DOCUMENT, state)
    await query.answer()
    await _show_picker(update, context, state, page=int(state.get("page") or 1))


async def _picker_page(
    update: Update, context: ContextTypes.DEFAULT_TYPE, data: Callback, state: dict
) -> None:
    await update.callback_query.answer()
    await _show_picker(update, context, state, page=data.args[1])


async def _show_picker(update: Update, context: ContextTypes.DEFAULT_TYPE, state: dict, page: int) -> None:
    query = update.callback_query
    choices = await session_runner(context).run(_choices_for_admin, viewer(context, query.from_user.id))
    pages = max(1, -(-len(choices) // UNITS_PER_PAGE))
    page = min(max(1, page), pages)
    state = {**state, "page": page}
    dialogues(context).update(query.from_user.id, DOCUMENT, state)
    n, ticked = state["nonce"], set(state.get("units") or [])
    rows = [
        [
            button(
                ("✅ " if c.id in ticked else "▫️ ") + ("  " * c.depth) + shorten(c.name, 40),
                admin_data("u", n, c.id),
            )
        ]
        for c in choices[(page - 1) * UNITS_PER_PAGE : page * UNITS_PER_PAGE]
    ]
    nav = []
    if page > 1:
        nav.append(button("◀️", admin_data("pg", n, page - 1)))
    if page < pages:
        nav.append(button("▶️", admin_data("pg", n, page + 1)))
    if nav:
        rows.append(nav)
    rows.append(
        [button(f"Xong ({len(ticked)} đơn vị)", admin_data("ok", n)), button("✖️ Huỷ", admin_data("dx", n))]
    )
    html = (
        f"📄 <b>{esc(state.get('label') or state['file_name'])}</b>: chọn các đơn vị được đọc (cả các đơn vị "
        f"cấp dưới), rồi bấm «Xong». Trang {page}/{pages}."
    )
    await edit(update, context, html, rows)


def _choices_for_admin(session: Any, who: Any) -> list[documents_admin.UnitChoice]:
    documents_admin.require_admin(session, who)
    return documents_admin.unit_choices(session)


def _names_for_admin(session: Any, who: Any, ids: list[int]) -> list[str]:
    documents_admin.require_admin(session, who)
    return documents_admin.unit_names(session, ids)


async def _units_chosen(
    update: Update, context: ContextTypes.DEFAULT_TYPE, data: Callback, state: dict
) -> None:
    query = update.callback_query
    ids = list(state.get("units") or [])
    names = await session_runner(context).run(_names_for_admin, viewer(context, query.from_user.id), ids)
    if not names:
        await query.answer("Hãy chọn ít nhất một đơn vị (hoặc quay lại chọn «Toàn tỉnh»).", show_alert=True)
        return
    await _add(update, context, state, names)


async def _document_cancelled(
    update: Update, context: ContextTypes.DEFAULT_TYPE, data: Callback, state: dict
) -> None:
    query = update.callback_query
    dialogues(context).pop(query.from_user.id, DOCUMENT)
    await query.answer()
    await edit(update, context, f"Đã huỷ: không thêm “{esc(state['file_name'])}” vào kho.")


async def _add(update: Update, context: ContextTypes.DEFAULT_TYPE, state: dict, scope: list[str]) -> None:
    """Store, index (a progress message edited in place), audit, tell the other processes, show the card."""
    query = update.callback_query
    user_id = query.from_user.id
    if dialogues(context).pop(user_id, DOCUMENT) is None:
        await query.answer(STEP_GONE, show_alert=True)
        return
    who = viewer(context, user_id)
    await session_runner(context).run(documents_admin.require_admin, who)
    await query.answer("Đang thêm…")
    label = esc(state.get("label") or state["file_name"])
    await edit(update, context, f"⏳ Đang tải tệp “{esc(state['file_name'])}”…")
    raw = await download(context, state["file_id"])
    await edit(update, context, f"⏳ Đang đọc và lập chỉ mục <b>{label}</b>… (có thể mất vài chục giây)")
    qa = deps(context).qa
    engine = await qa.engine()
    try:
        added = await qa.run(documents_admin.store_and_ingest, engine, state["file_name"], raw, scope)
    except DocumentRefused as exc:
        log.info("Không thêm được văn bản %r: %s", state["file_name"], exc)
        await edit(update, context, "❌ " + esc(str(exc)))
        return
    generation = await session_runner(context).run(documents_admin.record_added, who, added)
    remember_generation(context.application, generation)
    readers = "toàn tỉnh" if not scope else "chỉ " + ", ".join(scope) + " (và đơn vị cấp dưới)"
    log.info("Đã thêm văn bản %s (%d đoạn, phạm vi: %s) qua chat bởi user=%s", added.source, added.passages,
             readers, user_id)  # fmt: skip
    await edit(
        update, context,
        f"✅ Đã thêm <b>{label}</b> vào kho văn bản: {added.passages} đoạn; người đọc: {esc(readers)}. "
        "Có thể hỏi bot về văn bản này ngay.",
    )  # fmt: skip
    if added.card is not None:
        parts = render.render_document_card(added.card)
        await sending.send(update, context.bot, "\n\n".join(parts), chat_id=query.message.chat.id)


async def _remove_confirmed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, data: Callback, state: dict
) -> None:
    query = update.callback_query
    user_id = query.from_user.id
    if dialogues(context).pop(user_id, REMOVAL) is None:
        await query.answer(STEP_GONE, show_alert=True)
        return
    who = viewer(context, user_id)
    await session_runner(context).run(documents_admin.require_admin, who)
    await query.answer("Đang xoá…")
    await edit(update, context, f"⏳ Đang xoá <b>{esc(state['label'])}</b> khỏi kho…")
    qa = deps(context).qa
    engine = await qa.engine()
    try:
        await qa.run(documents_admin.remove_and_reindex, engine, state["source"])
    except DocumentRefused as exc:
        await edit(update, context, "❌ " + esc(str(exc)))
        return
    generation = await session_runner(context).run(documents_admin.record_removed, who, state["source"])
    remember_generation(context.application, generation)
    log.info("Đã xoá văn bản %s qua chat bởi user=%s", state["source"], user_id)
    await edit(update, context, f"🗑 Đã xoá <b>{esc(state['label'])}</b> khỏi kho văn bản.")


async def _remove_cancelled(
    update: Update, context: ContextTypes.DEFAULT_TYPE, data: Callback, state: dict
) -> None:
    query = update.callback_query
    dialogues(context).pop(query.from_user.id, REMOVAL)
    await query.answer()
    await edit(update, context, f"Đã giữ lại <b>{esc(state['label'])}</b>: không xoá gì.")


_ACTIONS = {
    "i": admin_sheets.import_confirmed,
    "ix": admin_sheets.import_cancelled,
    "add": _offer_pressed,
    "all": _everyone,
    "lim": _limited,
    "u": _toggle_unit,
    "pg": _picker_page,
    "ok": _units_chosen,
    "dx": _document_cancelled,
    "rm": _remove_confirmed,
    "rmx": _remove_cancelled,
}
