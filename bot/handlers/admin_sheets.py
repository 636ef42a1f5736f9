"""Administrators import the roster or the task list by sending the spreadsheet to the bot (`app.admin_imports`):
a preview (errors by row, or "N mới, M cập nhật") with "Nhập" / "Huỷ", and the import after "Nhập".

The pending import is kept in the `DialogueStore` as plain data (the Telegram ``file_id``, the file name, the
sheet's kind and the number `n` its buttons carry); the file is downloaded again when "Nhập" is pressed, so any
bot process sharing the store can finish the step. Registered through `bot.handlers.admin`.
"""

from __future__ import annotations

import logging
import re
import tempfile
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from app import admin_imports
from app.documents_admin import NotAdmin
from app.viewer import NotLinked
from bot import sending
from bot.db_runner import session_runner
from bot.handlers.admin_common import (
    IMPORT,
    STEP_GONE,
    STEP_TTL_SECONDS,
    download,
    edit,
    new_step_number,
    refuse,
)
from bot.handlers.tasks import dialogues, viewer
from tasks.ui import Callback, esc

log = logging.getLogger(__name__)


async def import_sheet(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message, user = update.effective_message, update.effective_user
    document = message.document
    who = viewer(context, user.id)
    try:
        await session_runner(context).run(admin_imports.check_admin, who)
    except (NotLinked, NotAdmin) as exc:
        log.info("Từ chối nhập bảng tính từ user=%s: %s", user.id, type(exc).__name__)
        await refuse(update, context, exc)
        return
    name = Path(document.file_name or "bang-tinh.xlsx").name
    if (document.file_size or 0) > admin_imports.MAX_SHEET_BYTES:
        await sending.send(update, context.bot, esc(f"Tệp “{name}” lớn quá 20 MB: không tải được qua bot."))
        return
    number = new_step_number()
    data = await download(context, document.file_id)
    preview = await session_runner(context).run(_preview, who, data, name, number)
    if preview.ok:
        state = {"nonce": number, "file_id": document.file_id, "file_name": name, "kind": preview.kind}
        dialogues(context).put(user.id, IMPORT, state, STEP_TTL_SECONDS)
    log.info("Xem trước bảng tính %s (%s) của user=%s: %s", name, preview.kind, user.id,
             "hợp lệ" if preview.ok else "có lỗi")  # fmt: skip
    await sending.send(update, context.bot, preview.screen.html, preview.screen.buttons)


def _with_file(data: bytes, name: str, fn: Any, *args: Any) -> Any:
    """`fn(path, *args)` with `data` saved under a private temporary folder as `name` (removed after)."""
    suffix = Path(name).suffix.lower()
    stem = re.sub(r"[^\w.() -]", "_", Path(name).stem).strip(" .")[:100] or "bang-tinh"
    with tempfile.TemporaryDirectory(prefix="troly-sheet-") as folder:
        path = Path(folder) / f"{stem}{suffix}"
        path.write_bytes(data)
        return fn(path, *args)


def _preview(session: Any, who: Any, data: bytes, name: str, nonce: int) -> admin_imports.Preview:
    return _with_file(data, name, lambda path: admin_imports.preview_import(session, who, path, name, nonce))


def _run_import(session: Any, who: Any, data: bytes, name: str, kind: str) -> Any:
    return _with_file(data, name, lambda path: admin_imports.run_import(session, who, path, kind, name))


async def import_confirmed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, data: Callback, state: dict
) -> None:
    query = update.callback_query
    if dialogues(context).pop(query.from_user.id, IMPORT) is None:  # another press, another process
        await query.answer(STEP_GONE, show_alert=True)
        return
    await query.answer("Đang nhập…")
    await edit(update, context, f"⏳ Đang nhập “{esc(state['file_name'])}”…")
    raw = await download(context, state["file_id"])
    screen = await session_runner(context).run(
        _run_import, viewer(context, query.from_user.id), raw, state["file_name"], state["kind"]
    )
    log.info(
        "Nhập bảng tính %s (%s) qua chat bởi user=%s", state["file_name"], state["kind"], query.from_user.id
    )
    await edit(update, context, screen.html)


async def import_cancelled(
    update: Update, context: ContextTypes.DEFAULT_TYPE, data: Callback, state: dict
) -> None:
    query = update.callback_query
    dialogues(context).pop(query.from_user.id, IMPORT)
    await query.answer()
    await edit(update, context, f"Đã huỷ: không nhập gì từ “{esc(state['file_name'])}”.")
