"""/tiendo (/progress), /baocao, /nhacviec and their buttons (``td:``, ``bc:``, ``nv:``, grammar in `tasks.ui`).

The screens are the domain's (`tasks.progress_view`, `tasks.report_files`, `tasks.settings_view`), reached
through the use cases of `app.unit_progress`; this module shows them:

- ``/tiendo [đơn vị]``: a leader's progress screen (their unit, or a named unit of their subtree; an
  administrator sees every unit). An ordinary official is told it is for leaders and gets their own figures.
- ``td:u:<unit>:<page>`` / ``td:o:<unit>:<page>``: drill down into a sub-unit / list its overdue tasks. The
  message is edited in place when it is itself such a screen (remembered per chat, `ScreenMessages`); pressed
  under another message (the leaders' digest, a free-text answer) the screen comes as a new message.
- ``td:t:<task>`` (a numbered button of the overdue list): the task inside /tiendo; a leader of the task's
  unit subtree gets "Giao lại" (``td:ra`` pick a person → ``td:rp`` confirm → ``td:ry``) and "Hủy nhiệm vụ"
  (``td:x``: the next private text is the reason, held per user for `CANCEL_TTL_SECONDS` → confirm →
  ``td:xy``). Screens and checks are the domain's (`tasks.manage_view`); changes are audited via "bot".
- ``/tiendo KL 221`` (text that reads as a document reference): the tasks assigned under that document
  (`app.document_progress`), with ``td:dc:<document key>``: its chart by unit.
- ``td:c:<unit>``: the chart, sent as a photo. ``bc:x|d:<unit>``: the report as an .xlsx / .docx document;
  ``/baocao [đơn vị]`` sends both.
- ``/nhacviec [lựa chọn]`` and ``nv:*``: reminder settings (edited in place; "⚙️ Cài đặt nhắc việc" under a
  reminder opens them in a new message). A change re-plans pending reminders at the next sweep.

As everywhere: nothing of this in groups (a "message me privately" button instead); callback data comes back
from the client, so every press re-reads who the sender is and the domain re-checks the permission for the
unit. Database work, charts and files are made in worker threads (`SessionRunner.run`).
``td:x`` waits for the reason as a "cancel" step of the `bot.dialogue.DialogueStore`.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass, replace

from telegram import InputFile, Update
from telegram.constants import ChatAction
from telegram.ext import ApplicationHandlerStop, ContextTypes

from app import document_progress, unit_progress
from app.unit_progress import CANCEL_TTL_SECONDS
from app.viewer import NotLinked
from bot import render, sending, texts
from bot.db_runner import session_runner
from bot.deps import deps
from bot.handlers.tasks import dialogues, in_group_refusal, viewer
from bot.reminders import reminder_dispatcher, request_plan
from tasks.errors import InvalidOperation, NotFound, PermissionDenied
from tasks.reminders import DEFAULT_POLICY, ReminderPolicy
from tasks.ui import MAX_ALERT_CHARS, Callback, Screen, parse_callback, shorten, unit_id_arg

log = logging.getLogger(__name__)

CALLBACK_PATTERN = r"^(td|bc|nv):"  # `t:` buttons belong to bot.handlers.tasks
SCREENS_KEY = "troly_screens"
PROGRESS, SETTINGS = "td", "nv"
FORMATS = {"x": "xlsx", "d": "docx"}
MANAGE_ACTIONS = ("t", "ra", "rp", "ry", "x", "xy")
STOP_WORDS = ("thoi", "thôi", "khong", "không", "khong huy", "không hủy", "không huỷ", "cancel")


# --- "send me the reason" for a cancellation ---------------------------------------------------------------

CANCEL = "cancel"


@dataclass(frozen=True)
class PendingCancel:
    """A leader pressed "Hủy nhiệm vụ" on `task_id`: their next private text is the reason (a "cancel" step
    of the `DialogueStore`, expiring after `CANCEL_TTL_SECONDS`)."""

    task_id: int
    task_code: str
    chat_id: int
    message_id: int  # the task screen, edited into the confirm screen
    reason: str | None = None  # set once given; confirmed by ``td:xy``


def _pending_cancel(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> PendingCancel | None:
    store = dialogues(context)
    item = store.get(user_id, CANCEL)
    if item is not None and store.expired(item):
        store.pop(user_id, CANCEL)
        return None
    if item is None or not isinstance(item.state, dict):
        return None
    try:
        return PendingCancel(**item.state)  # stored as plain JSON (the store may be the database)
    except TypeError:
        return None


# --- which messages are navigable screens ------------------------------------------------------------------


class ScreenMessages:
    """The (chat, message) ids of the progress/overdue and settings screens this process sent: their buttons
    edit them in place. Bounded (oldest forgotten first); after a restart a press simply sends a new
    message."""

    def __init__(self, limit: int = 20_000) -> None:
        self.limit = limit
        self._items: OrderedDict[tuple[int, int], str] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, chat_id: int, message_id: int, kind: str) -> None:
        with self._lock:
            self._items[(chat_id, message_id)] = kind
            self._items.move_to_end((chat_id, message_id))
            while len(self._items) > self.limit:
                self._items.popitem(last=False)

    def kind(self, chat_id: int, message_id: int) -> str | None:
        with self._lock:
            return self._items.get((chat_id, message_id))


def screen_messages(context: ContextTypes.DEFAULT_TYPE) -> ScreenMessages:
    return context.application.bot_data.setdefault(SCREENS_KEY, ScreenMessages())


def _policy(context: ContextTypes.DEFAULT_TYPE) -> ReminderPolicy:
    dispatcher = reminder_dispatcher(context.application)
    return dispatcher.policy if dispatcher is not None else DEFAULT_POLICY


# --- commands ----------------------------------------------------------------------------------------------


async def _private_only(update: Update, context: ContextTypes.DEFAULT_TYPE, what: str, command: str) -> bool:
    """True (after answering "message me privately" in a group) when the chat is not private."""
    chat = update.effective_chat
    if chat is None:
        return True
    if sending.is_group(chat.type):
        username = render.escape(context.bot.username or "bot")
        text = texts.PRIVATE_ONLY_IN_GROUP.format(what=what, username=username, command=f"/{command}")
        await in_group_refusal(update, context, text, command)
        log.info("/%s trong nhóm %s: đã đề nghị nhắn riêng", command, chat.id)
        return True
    return chat.type != "private"  # channels: never


def _argument(context: ContextTypes.DEFAULT_TYPE) -> str:
    return " ".join(context.args or []).strip()


async def _refuse(update: Update, context: ContextTypes.DEFAULT_TYPE, exc: Exception) -> None:
    """A command's refusal: not linked, no permission, unknown unit, invalid choice (domain messages)."""
    if isinstance(exc, PermissionDenied):
        user = update.effective_user
        log.warning("Từ chối %s của user=%s: %s", _command_text(update), user and user.id, exc)
    await sending.send(update, context.bot, render.escape(str(exc)))


def _command_text(update: Update) -> str:
    message = update.effective_message
    return (message.text or "").split(maxsplit=1)[0] if message is not None and message.text else "lệnh"


async def tiendo_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await show_progress(update, context, _argument(context) or None)


async def show_progress(
    update: Update, context: ContextTypes.DEFAULT_TYPE, unit_name: str | None = None
) -> None:
    user = update.effective_user
    if user is None or await _private_only(update, context, texts.WHAT_PROGRESS, "tiendo"):
        return
    try:
        screen = await session_runner(context).run(
            unit_progress.unit_progress, viewer(context, user.id), unit_name
        )
    except (NotLinked, PermissionDenied, NotFound) as exc:
        await _refuse(update, context, exc)
        return
    await _send_screen(update, context, update.effective_chat.id, screen, PROGRESS)


async def baocao_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await send_reports(update, context, _argument(context) or None)


async def send_reports(
    update: Update, context: ContextTypes.DEFAULT_TYPE, unit_name: str | None = None
) -> None:
    user = update.effective_user
    if user is None or await _private_only(update, context, texts.WHAT_REPORT, "baocao"):
        return
    try:
        unit_id = await session_runner(context).run(
            unit_progress.report_scope, viewer(context, user.id), None, unit_name
        )
    except (NotLinked, PermissionDenied, NotFound) as exc:
        await _refuse(update, context, exc)
        return
    await _send_reports(update, context, update.effective_chat.id, unit_id, ("xlsx", "docx"))


async def nhacviec_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await show_settings(update, context, _argument(context))


async def show_settings(update: Update, context: ContextTypes.DEFAULT_TYPE, args_text: str = "") -> None:
    user = update.effective_user
    if user is None or await _private_only(update, context, texts.WHAT_SETTINGS, "nhacviec"):
        return
    try:
        screen, changed = await session_runner(context).run(
            unit_progress.reminder_settings, viewer(context, user.id), args_text, _policy(context)
        )
    except (NotLinked, InvalidOperation) as exc:
        await _refuse(update, context, exc)
        return
    if changed:
        request_plan(context.application)
        log.info("Cài đặt nhắc việc của user=%s đã đổi (lệnh)", user.id)
    await _send_screen(update, context, update.effective_chat.id, screen, SETTINGS)


# --- sending -----------------------------------------------------------------------------------------------


async def _send_screen(
    update: Update, context: ContextTypes.DEFAULT_TYPE, chat_id: int, screen: Screen, kind: str
) -> None:
    sent = await sending.send(update, context.bot, screen.html, screen.buttons, chat_id=chat_id)
    if sent is not None:
        screen_messages(context).add(chat_id, sent, kind)


async def _show(update: Update, context: ContextTypes.DEFAULT_TYPE, screen: Screen, kind: str) -> None:
    """Edit the pressed message into `screen` when it is a screen of that kind; else send a new message."""
    message = update.callback_query.message
    chat_id = message.chat.id
    if screen_messages(context).kind(chat_id, message.message_id) != kind:
        await _send_screen(update, context, chat_id, screen, kind)
        return
    shown = await sending.send(update, context.bot, screen.html, screen.buttons, chat_id=chat_id,
                               edit_message_id=message.message_id)  # fmt: skip
    if shown is not None and shown != message.message_id:
        screen_messages(context).add(chat_id, shown, kind)


async def _send_reports(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    unit_id: int | None,
    formats: tuple[str, ...],
) -> None:
    store = session_runner(context)
    task_settings = getattr(deps(context).settings, "tasks", None)  # TROLY_REPORT_PLACE
    place = task_settings.report_place if task_settings is not None else None
    who = viewer(context, update.effective_user.id)
    async with sending.typing(context.bot, chat_id, action=ChatAction.UPLOAD_DOCUMENT):
        files = await store.run(unit_progress.report_files_for, who, unit_id, formats, place)
        for f in files:
            await context.bot.send_document(
                chat_id=chat_id, document=InputFile(f.content, filename=f.filename), caption=f.caption
            )
    log.info(
        "Đã gửi báo cáo %s (đơn vị %s) cho user=%s", "+".join(formats), unit_id, update.effective_user.id
    )


# --- buttons -----------------------------------------------------------------------------------------------


async def on_progress_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None:
        return
    data = parse_callback(query.data)
    user = query.from_user
    if data is None or data.prefix not in ("td", "bc", "nv"):
        await query.answer(texts.CALLBACK_UNKNOWN)
        return
    chat = query.message.chat if query.message is not None else None
    if chat is None or chat.type != "private":
        log.warning(
            "Từ chối nút ngoài chat riêng: user=%s chat=%s data=%s", user.id, chat and chat.id, query.data
        )
        await query.answer(texts.TASKS_IN_GROUP_ALERT, show_alert=True)
        return
    try:
        if data.prefix == "td" and data.action in ("u", "o"):
            screen = await session_runner(context).run(
                unit_progress.unit_screen, viewer(context, user.id), data
            )
            await query.answer()
            await _show(update, context, screen, PROGRESS)
        elif data.prefix == "td" and data.action in MANAGE_ACTIONS:
            await _manage_button(update, context, data)
        elif data.prefix == "td" and data.action == "dc":
            await _document_chart(update, context, data.args[0])
        elif data.prefix == "td":
            await _chart(update, context, unit_id_arg(data.args[0]))
        elif data.prefix == "bc":
            await _report_button(update, context, unit_id_arg(data.args[0]), FORMATS[data.action])
        else:
            await _settings_button(update, context, data)
    except NotLinked:
        log.warning("Nút %s từ tài khoản chưa liên kết: user=%s", query.data, user.id)
        await query.answer(texts.NOT_LINKED_ALERT, show_alert=True)
    except PermissionDenied as exc:
        log.warning("Từ chối nút %s của user=%s: %s", query.data, user.id, exc)
        await query.answer(shorten(str(exc), MAX_ALERT_CHARS), show_alert=True)
    except (NotFound, InvalidOperation) as exc:
        await query.answer(shorten(str(exc), MAX_ALERT_CHARS), show_alert=True)


async def _manage_button(update: Update, context: ContextTypes.DEFAULT_TYPE, data: Callback) -> None:
    """The task view of /tiendo and its "Giao lại" / "Hủy nhiệm vụ" steps (edited in place)."""
    query = update.callback_query
    user = query.from_user
    store = session_runner(context)
    who = viewer(context, user.id)
    if data.action == "x":
        code, screen = await store.run(unit_progress.start_cancel, who, data.args[0])
        pending = PendingCancel(data.args[0], code, query.message.chat.id, query.message.message_id)
        dialogues(context).put(user.id, CANCEL, asdict(pending), CANCEL_TTL_SECONDS)
        await query.answer(texts.CANCEL_REASON_TOAST)
        await _show(update, context, screen, PROGRESS)
        return
    if data.action == "xy":
        item = _pending_cancel(context, user.id)
        if item is None or item.task_id != data.args[0] or item.reason is None:
            await query.answer(texts.CANCEL_EXPIRED, show_alert=True)
            return
        dialogues(context).pop(user.id, CANCEL)
        screen = await store.run(unit_progress.cancel, who, item.task_id, item.reason)
        log.info("Hủy nhiệm vụ %s bởi user=%s (qua nút)", item.task_code, user.id)
        await query.answer(texts.CANCEL_DONE_TOAST)
        await _show(update, context, screen, PROGRESS)
        return
    if data.action == "t":
        item = _pending_cancel(context, user.id)
        if item is not None and item.task_id == data.args[0]:
            dialogues(context).pop(user.id, CANCEL)  # "Không hủy"
    screen = await store.run(unit_progress.manage_task, who, data)
    if data.action == "ry":
        log.info(
            "Giao lại nhiệm vụ %s cho cán bộ id=%s bởi user=%s (qua nút)", data.args[0], data.args[1], user.id
        )
    await query.answer(texts.REASSIGN_DONE_TOAST if data.action == "ry" else None)
    await _show(update, context, screen, PROGRESS)


async def cancel_reason_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Group -3: a private text while a cancellation waits for its reason. Consumes the message only then."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.text is None:
        return
    item = _pending_cancel(context, user.id)
    if item is None or item.chat_id != message.chat.id or item.reason is not None:
        return
    text = message.text.strip()
    store = session_runner(context)
    who = viewer(context, user.id)
    if text.lower().strip(" .!") in STOP_WORDS:
        dialogues(context).pop(user.id, CANCEL)
        screen = await store.run(unit_progress.manage_task, who, Callback("td", "t", (item.task_id,)))
        await sending.send(
            update, context.bot, texts.CANCEL_DROPPED.format(code=render.escape(item.task_code))
        )
        await _send_screen(update, context, message.chat.id, screen, PROGRESS)
        raise ApplicationHandlerStop
    try:
        screen = await store.run(unit_progress.confirm_cancel, who, item.task_id, text)
    except InvalidOperation as exc:  # empty or too long: ask again, the state stays
        await sending.send(update, context.bot, render.escape(str(exc)))
        raise ApplicationHandlerStop from None
    except (NotLinked, PermissionDenied, NotFound) as exc:
        dialogues(context).pop(user.id, CANCEL)
        await _refuse(update, context, exc)
        raise ApplicationHandlerStop from None
    dialogues(context).update(user.id, CANCEL, asdict(replace(item, reason=" ".join(text.split()))))
    await _send_screen(update, context, message.chat.id, screen, PROGRESS)
    raise ApplicationHandlerStop


async def _chart(update: Update, context: ContextTypes.DEFAULT_TYPE, unit_id: int | None) -> None:
    query = update.callback_query
    store = session_runner(context)
    chat_id = query.message.chat.id
    who = viewer(context, query.from_user.id)
    await store.run(unit_progress.report_scope, who, unit_id)  # refuse before saying "drawing…"
    await query.answer(texts.CHART_PREPARING)
    async with sending.typing(context.bot, chat_id, action=ChatAction.UPLOAD_PHOTO):
        png, caption = await store.run(unit_progress.unit_chart, who, unit_id)
        await context.bot.send_photo(
            chat_id=chat_id, photo=InputFile(png, filename="bieu-do-tien-do.png"), caption=caption
        )
    log.info("Đã gửi biểu đồ (đơn vị %s, %d byte) cho user=%s", unit_id, len(png), query.from_user.id)


async def _document_chart(update: Update, context: ContextTypes.DEFAULT_TYPE, key: int) -> None:
    """``td:dc``: a document's progress by unit as a photo (within the presser's access)."""
    query = update.callback_query
    chat_id = query.message.chat.id
    who = viewer(context, query.from_user.id)
    async with sending.typing(context.bot, chat_id, action=ChatAction.UPLOAD_PHOTO):
        png, caption = await session_runner(context).run(document_progress.chart, who, key)
        await query.answer(texts.CHART_PREPARING)
        await context.bot.send_photo(
            chat_id=chat_id, photo=InputFile(png, filename="bieu-do-theo-van-ban.png"), caption=caption
        )
    log.info("Đã gửi biểu đồ theo văn bản (khóa %s, %d byte) cho user=%s", key, len(png), query.from_user.id)


async def _report_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, unit_id: int | None, fmt: str
) -> None:
    query = update.callback_query
    unit_id = await session_runner(context).run(
        unit_progress.report_scope, viewer(context, query.from_user.id), unit_id
    )
    await query.answer(texts.REPORT_PREPARING)
    await _send_reports(update, context, query.message.chat.id, unit_id, (fmt,))


async def _settings_button(update: Update, context: ContextTypes.DEFAULT_TYPE, data: Callback) -> None:
    query = update.callback_query
    screen = await session_runner(context).run(
        unit_progress.settings_button, viewer(context, query.from_user.id), data, _policy(context)
    )
    changed = data.action in ("on", "off", "we", "dg") or (data.action == "h" and bool(data.args))
    if changed:
        request_plan(context.application)
        log.info("Cài đặt nhắc việc của user=%s đã đổi (%s)", query.from_user.id, query.data)
    await query.answer(texts.SETTINGS_SAVED_TOAST if changed else None)
    await _show(update, context, screen, SETTINGS)
