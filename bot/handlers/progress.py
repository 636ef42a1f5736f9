"""/tiendo (/progress), /baocao, /nhacviec and their buttons (``td:``, ``bc:``, ``nv:``, grammar in `tasks.ui`).

The screens are the domain's (`tasks.progress_view`, `tasks.report_files`, `tasks.messages_reminders`); this
module shows them:

- ``/tiendo [đơn vị]``: a leader's progress screen (their unit, or a named unit of their subtree; an
  administrator sees every unit). An ordinary official is told it is for leaders and gets their own figures.
- ``td:u:<unit>:<page>`` / ``td:o:<unit>:<page>``: drill down into a sub-unit / list its overdue tasks. The
  message is edited in place when it is itself such a screen (remembered per chat, `ScreenMessages`); pressed
  under another message (the leaders' digest, a free-text answer) the screen comes as a new message.
- ``td:t:<task>`` (a numbered button of the overdue list): the task inside /tiendo; a leader of the task's
  unit subtree gets "Giao lại" (``td:ra`` pick a person → ``td:rp`` confirm → ``td:ry``) and "Hủy nhiệm vụ"
  (``td:x``: the next private text is the reason, held per user for `CANCEL_TTL_SECONDS` → confirm →
  ``td:xy``). Screens and checks are the domain's (`tasks.manage_view`); changes are audited via "bot".
- ``td:c:<unit>``: the chart, sent as a photo. ``bc:x|d:<unit>``: the report as an .xlsx / .docx document;
  ``/baocao [đơn vị]`` sends both.
- ``/nhacviec [lựa chọn]`` and ``nv:*``: reminder settings (edited in place; "⚙️ Cài đặt nhắc việc" under a
  reminder opens them in a new message). A change re-plans pending reminders at the next sweep.

As everywhere: nothing of this in groups (a "message me privately" button instead); callback data comes back
from the client, so every press re-reads who the sender is and the domain re-checks the permission for the
unit. Database work, charts and files are made in worker threads (`TaskStore.run`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from telegram import InputFile, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import keyboards, messages, pipeline, render
from bot.deps import deps
from bot.handlers.tasks import NotLinked, send_html
from bot.reminders import inline_keyboard, reminder_dispatcher, request_plan
from bot.tasks_db import task_store
from tasks import manage_view, progress_view, report_files
from tasks.errors import InvalidOperation, NotFound, PermissionDenied
from tasks.intents import Intent, IntentKind
from tasks.messages_reminders import handle_settings_callback, settings_screen, shorten
from tasks.normalize import Role, format_date
from tasks.reminders import DEFAULT_POLICY, ReminderPolicy
from tasks.reminders.settings import apply_change, get_prefs, parse_settings_args
from tasks.service import get_official_by_telegram
from tasks.ui import Callback, Screen, esc, parse_callback, unit_id_arg
from tasks.units import find_unit
from tasks.work_answers import answer as work_answer

log = logging.getLogger(__name__)

CALLBACK_PATTERN = r"^(td|bc|nv):"  # `t:` buttons belong to bot.handlers.tasks
SCREENS_KEY = "troly_screens"
PROGRESS, SETTINGS = "td", "nv"
MAX_ALERT = 190
FORMATS = {"x": "xlsx", "d": "docx"}
MANAGE_ACTIONS = ("t", "ra", "rp", "ry", "x", "xy")
CANCEL_TTL_SECONDS = 10 * 60
CANCELS_KEY = "troly_pending_cancels"
STOP_WORDS = ("thoi", "thôi", "khong", "không", "khong huy", "không hủy", "không huỷ", "cancel")


# --- "send me the reason" for a cancellation ---------------------------------------------------------------


@dataclass
class PendingCancel:
    """A leader pressed "Hủy nhiệm vụ" on ``task_id``: their next private text is the reason."""

    task_id: int
    task_code: str
    chat_id: int
    message_id: int  # the task screen, edited into the confirm screen
    expires: float
    reason: str | None = None  # set once given; confirmed by ``td:xy``


class PendingCancels:
    """Per-user pending cancellations (one at a time), forgotten after `CANCEL_TTL_SECONDS`."""

    def __init__(self, ttl: float = CANCEL_TTL_SECONDS, clock: Any = time.monotonic) -> None:
        self.ttl, self.clock = ttl, clock
        self._items: dict[int, PendingCancel] = {}
        self._lock = threading.Lock()

    def put(self, user_id: int, item: PendingCancel) -> None:
        with self._lock:
            self._items[user_id] = item

    def get(self, user_id: int) -> PendingCancel | None:
        with self._lock:
            item = self._items.get(user_id)
            if item is not None and item.expires < self.clock():
                del self._items[user_id]
                return None
            return item

    def pop(self, user_id: int) -> PendingCancel | None:
        with self._lock:
            return self._items.pop(user_id, None)


def pending_cancels(context: ContextTypes.DEFAULT_TYPE) -> PendingCancels:
    return context.application.bot_data.setdefault(CANCELS_KEY, PendingCancels())


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


# --- database work (worker threads, inside a session) ------------------------------------------------------


def _viewer(session: Any, tg_user_id: int) -> Any:
    official = get_official_by_telegram(session, tg_user_id)
    if official is None:
        raise NotLinked()
    return official


def load_tiendo(session: Any, tg_user_id: int, unit_name: str | None, today: Any) -> Screen:
    """/tiendo: the progress screen; for an official who leads nothing, the refusal and their own figures."""
    viewer = _viewer(session, tg_user_id)
    if viewer.role not in (Role.LANH_DAO, Role.QUAN_TRI):
        own = work_answer(session, viewer, Intent(IntentKind.PROGRESS, mine=True), today=today)
        return Screen(f"{esc(progress_view.LEADERS_ONLY)}\n\n{own.html}", own.buttons)
    unit_id = None
    if unit_name:
        unit_id = find_unit(session, unit_name, allow_abbreviation=True).id  # UnitNotFound: Vietnamese
    return progress_view.progress_screen(session, viewer, unit_id, today=today)


def load_screen(session: Any, tg_user_id: int, callback: Callback, today: Any) -> Screen:
    """``td:u`` / ``td:o``: the screen of a unit (permission checked by the domain)."""
    viewer = _viewer(session, tg_user_id)
    unit_id, page = unit_id_arg(callback.args[0]), callback.args[1]
    if callback.action == "o":
        return progress_view.overdue_screen(session, viewer, unit_id, today=today, page=page)
    return progress_view.progress_screen(session, viewer, unit_id, today=today, page=page)


def load_chart(session: Any, tg_user_id: int, unit_id: int | None, today: Any) -> tuple[bytes, str]:
    return progress_view.chart_photo(session, _viewer(session, tg_user_id), unit_id, today=today)


def check_scope(
    session: Any, tg_user_id: int, unit_id: int | None, unit_name: str | None = None
) -> int | None:
    """The unit id a report will be about, after the /tiendo permission check (raises otherwise)."""
    viewer = _viewer(session, tg_user_id)
    if unit_name:
        unit_id = find_unit(session, unit_name, allow_abbreviation=True).id
    unit = progress_view.resolve_scope(session, viewer, unit_id)
    return unit.id if unit is not None else None


@dataclass(frozen=True)
class ReportFile:
    filename: str
    content: bytes
    caption: str


def make_reports(
    session: Any,
    tg_user_id: int,
    unit_id: int | None,
    formats: tuple[str, ...],
    today: Any,
    place: str | None,
) -> list[ReportFile]:
    data = report_files.report_for_viewer(session, _viewer(session, tg_user_id), unit_id, today=today)
    unit, day = esc(data.unit_name), format_date(data.today)
    files = []
    for fmt in formats:
        if fmt == "xlsx":
            content, caption = report_files.xlsx_bytes(data), messages.REPORT_CAPTION_XLSX
        else:
            content, caption = report_files.docx_bytes(data, place=place), messages.REPORT_CAPTION_DOCX
        files.append(
            ReportFile(report_files.report_filename(data, fmt), content, caption.format(unit=unit, day=day))
        )
    return files


def load_manage(session: Any, tg_user_id: int, callback: Callback, today: Any, now: Any) -> Screen:
    """``td:t`` / ``td:ra`` / ``td:rp`` / ``td:ry``: the task view and the reassignment steps."""
    viewer = _viewer(session, tg_user_id)
    task_id, *rest = callback.args
    if callback.action == "t":
        return manage_view.task_view_screen(session, viewer, task_id, today=today)
    if callback.action == "ra":
        return manage_view.reassign_pick_screen(session, viewer, task_id, page=rest[0])
    if callback.action == "rp":
        return manage_view.reassign_confirm_screen(session, viewer, task_id, rest[0])
    return manage_view.do_reassign(session, viewer, task_id, rest[0], today=today, now=now)


def start_cancel(session: Any, tg_user_id: int, task_id: int) -> tuple[str, Screen]:
    return manage_view.cancel_prompt(
        session, _viewer(session, tg_user_id), task_id, minutes=CANCEL_TTL_SECONDS // 60
    )


def confirm_cancel(session: Any, tg_user_id: int, task_id: int, reason: str) -> Screen:
    return manage_view.cancel_confirm_screen(session, _viewer(session, tg_user_id), task_id, reason)


def finish_cancel(session: Any, tg_user_id: int, task_id: int, reason: str, today: Any, now: Any) -> Screen:
    return manage_view.do_cancel(session, _viewer(session, tg_user_id), task_id, reason, today=today, now=now)


def load_settings(
    session: Any, tg_user_id: int, args_text: str, now: Any, policy: ReminderPolicy
) -> tuple[Screen, bool]:
    """/nhacviec [lựa chọn]: (the settings screen, whether something was changed)."""
    official = _viewer(session, tg_user_id)
    change = parse_settings_args(args_text)  # InvalidOperation (Vietnamese, with examples)
    if change.empty:
        return settings_screen(official, get_prefs(session, official, policy), policy), False
    prefs = apply_change(session, official, change, now=now, policy=policy)  # audits, commits
    screen = settings_screen(official, prefs, policy)
    return Screen(f"{messages.SETTINGS_SAVED}\n\n{screen.html}", screen.buttons), True


def apply_settings_button(
    session: Any, tg_user_id: int, callback: Callback, now: Any, policy: ReminderPolicy
) -> Screen:
    official = _viewer(session, tg_user_id)
    return handle_settings_callback(session, official, callback, now=now, policy=policy)


# --- commands ----------------------------------------------------------------------------------------------


async def _private_only(update: Update, context: ContextTypes.DEFAULT_TYPE, what: str, command: str) -> bool:
    """True (after answering "message me privately" in a group) when the chat is not private."""
    chat = update.effective_chat
    if chat is None:
        return True
    if pipeline.is_group(chat.type):
        username = context.bot.username or "bot"
        text = messages.PRIVATE_ONLY_IN_GROUP.format(
            what=what, username=render.escape(username), command=f"/{command}"
        )
        await send_html(update, context, text, keyboards.private_chat_keyboard(context.bot.username, command))
        log.info("/%s trong nhóm %s: đã đề nghị nhắn riêng", command, chat.id)
        return True
    return chat.type != "private"  # channels: never


def _argument(context: ContextTypes.DEFAULT_TYPE) -> str:
    return " ".join(context.args or []).strip()


async def _refuse(update: Update, context: ContextTypes.DEFAULT_TYPE, exc: Exception) -> None:
    """A command's refusal: not linked, no permission, unknown unit, invalid choice (domain messages)."""
    if isinstance(exc, NotLinked):
        await send_html(update, context, messages.LINK_FIRST)
        return
    if isinstance(exc, PermissionDenied):
        user = update.effective_user
        log.warning("Từ chối %s của user=%s: %s", _command_text(update), user and user.id, exc)
    await send_html(update, context, render.escape(str(exc)))


def _command_text(update: Update) -> str:
    message = update.effective_message
    return (message.text or "").split(maxsplit=1)[0] if message is not None and message.text else "lệnh"


async def tiendo_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await show_progress(update, context, _argument(context) or None)


async def show_progress(
    update: Update, context: ContextTypes.DEFAULT_TYPE, unit_name: str | None = None
) -> None:
    user = update.effective_user
    if user is None or await _private_only(update, context, messages.WHAT_PROGRESS, "tiendo"):
        return
    store = task_store(context)
    try:
        screen = await store.run(load_tiendo, user.id, unit_name, store.today())
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
    if user is None or await _private_only(update, context, messages.WHAT_REPORT, "baocao"):
        return
    store = task_store(context)
    try:
        unit_id = await store.run(check_scope, user.id, None, unit_name)
    except (NotLinked, PermissionDenied, NotFound) as exc:
        await _refuse(update, context, exc)
        return
    await _send_reports(update, context, update.effective_chat.id, unit_id, ("xlsx", "docx"))


async def nhacviec_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await show_settings(update, context, _argument(context))


async def show_settings(update: Update, context: ContextTypes.DEFAULT_TYPE, args_text: str = "") -> None:
    user = update.effective_user
    if user is None or await _private_only(update, context, messages.WHAT_SETTINGS, "nhacviec"):
        return
    store = task_store(context)
    try:
        screen, changed = await store.run(load_settings, user.id, args_text, store.now(), _policy(context))
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
    sent = await send_html(update, context, screen.html, inline_keyboard(screen.buttons), chat_id=chat_id)
    if sent is not None:
        screen_messages(context).add(chat_id, sent.message_id, kind)


async def _show(update: Update, context: ContextTypes.DEFAULT_TYPE, screen: Screen, kind: str) -> None:
    """Edit the pressed message into ``screen`` when it is a screen of that kind; else send a new message."""
    query = update.callback_query
    message = query.message
    chat_id = message.chat.id
    if screen_messages(context).kind(chat_id, message.message_id) == kind:
        try:
            await context.bot.edit_message_text(
                chat_id=chat_id,
                message_id=message.message_id,
                text=screen.html,
                reply_markup=inline_keyboard(screen.buttons),
            )
            return
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return
            log.info("Không sửa được màn hình %s/%s: %s", chat_id, message.message_id, exc)
    await _send_screen(update, context, chat_id, screen, kind)


async def _send_reports(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    unit_id: int | None,
    formats: tuple[str, ...],
) -> None:
    store = task_store(context)
    task_settings = getattr(deps(context).settings, "tasks", None)  # TROLY_REPORT_PLACE
    place = task_settings.report_place if task_settings is not None else None
    async with pipeline.typing(context.bot, chat_id, action=ChatAction.UPLOAD_DOCUMENT):
        files = await store.run(
            make_reports, update.effective_user.id, unit_id, formats, store.today(), place
        )
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
        await query.answer(messages.CALLBACK_UNKNOWN)
        return
    chat = query.message.chat if query.message is not None else None
    if chat is None or chat.type != "private":
        log.warning(
            "Từ chối nút ngoài chat riêng: user=%s chat=%s data=%s", user.id, chat and chat.id, query.data
        )
        await query.answer(messages.TASKS_IN_GROUP_ALERT, show_alert=True)
        return
    try:
        if data.prefix == "td" and data.action in ("u", "o"):
            store = task_store(context)
            screen = await store.run(load_screen, user.id, data, store.today())
            await query.answer()
            await _show(update, context, screen, PROGRESS)
        elif data.prefix == "td" and data.action in MANAGE_ACTIONS:
            await _manage_button(update, context, data)
        elif data.prefix == "td":
            await _chart(update, context, unit_id_arg(data.args[0]))
        elif data.prefix == "bc":
            await _report_button(update, context, unit_id_arg(data.args[0]), FORMATS[data.action])
        else:
            await _settings_button(update, context, data)
    except NotLinked:
        log.warning("Nút %s từ tài khoản chưa liên kết: user=%s", query.data, user.id)
        await query.answer(messages.NOT_LINKED_ALERT, show_alert=True)
    except PermissionDenied as exc:
        log.warning("Từ chối nút %s của user=%s: %s", query.data, user.id, exc)
        await query.answer(shorten(str(exc), MAX_ALERT), show_alert=True)
    except (NotFound, InvalidOperation) as exc:
        await query.answer(shorten(str(exc), MAX_ALERT), show_alert=True)


async def _manage_button(update: Update, context: ContextTypes.DEFAULT_TYPE, data: Callback) -> None:
    """The task view of /tiendo and its "Giao lại" / "Hủy nhiệm vụ" steps (edited in place)."""
    query = update.callback_query
    user = query.from_user
    store = task_store(context)
    cancels = pending_cancels(context)
    if data.action == "x":
        code, screen = await store.run(start_cancel, user.id, data.args[0])
        cancels.put(
            user.id,
            PendingCancel(data.args[0], code, query.message.chat.id, query.message.message_id,
                          time.monotonic() + CANCEL_TTL_SECONDS),
        )  # fmt: skip
        await query.answer(messages.CANCEL_REASON_TOAST)
        await _show(update, context, screen, PROGRESS)
        return
    if data.action == "xy":
        item = cancels.get(user.id)
        if item is None or item.task_id != data.args[0] or item.reason is None:
            await query.answer(messages.CANCEL_EXPIRED, show_alert=True)
            return
        cancels.pop(user.id)
        screen = await store.run(
            finish_cancel, user.id, item.task_id, item.reason, store.today(), store.now()
        )
        log.info("Hủy nhiệm vụ %s bởi user=%s (qua nút)", item.task_code, user.id)
        await query.answer(messages.CANCEL_DONE_TOAST)
        await _show(update, context, screen, PROGRESS)
        return
    if data.action == "t":
        item = cancels.get(user.id)
        if item is not None and item.task_id == data.args[0]:
            cancels.pop(user.id)  # "Không hủy"
    screen = await store.run(load_manage, user.id, data, store.today(), store.now())
    if data.action == "ry":
        log.info(
            "Giao lại nhiệm vụ %s cho cán bộ id=%s bởi user=%s (qua nút)", data.args[0], data.args[1], user.id
        )
    await query.answer(messages.REASSIGN_DONE_TOAST if data.action == "ry" else None)
    await _show(update, context, screen, PROGRESS)


async def cancel_reason_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Group -2: a private text while a cancellation waits for its reason. Consumes the message only then."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None or message.text is None:
        return
    cancels = pending_cancels(context)
    item = cancels.get(user.id)
    if item is None or item.chat_id != message.chat.id or item.reason is not None:
        return
    text = message.text.strip()
    store = task_store(context)
    if text.lower().strip(" .!") in STOP_WORDS:
        cancels.pop(user.id)
        screen = await store.run(
            load_manage, user.id, Callback("td", "t", (item.task_id,)), store.today(), store.now()
        )
        await send_html(update, context, messages.CANCEL_DROPPED.format(code=render.escape(item.task_code)))
        await _send_screen(update, context, message.chat.id, screen, PROGRESS)
        raise ApplicationHandlerStop
    try:
        screen = await store.run(confirm_cancel, user.id, item.task_id, text)
    except InvalidOperation as exc:  # empty or too long: ask again, the state stays
        await send_html(update, context, render.escape(str(exc)))
        raise ApplicationHandlerStop from None
    except (NotLinked, PermissionDenied, NotFound) as exc:
        cancels.pop(user.id)
        await _refuse(update, context, exc)
        raise ApplicationHandlerStop from None
    item.reason = " ".join(text.split())
    await _send_screen(update, context, message.chat.id, screen, PROGRESS)
    raise ApplicationHandlerStop


async def _chart(update: Update, context: ContextTypes.DEFAULT_TYPE, unit_id: int | None) -> None:
    query = update.callback_query
    store = task_store(context)
    chat_id = query.message.chat.id
    await store.run(check_scope, query.from_user.id, unit_id)  # refuse before saying "drawing…"
    await query.answer(messages.CHART_PREPARING)
    async with pipeline.typing(context.bot, chat_id, action=ChatAction.UPLOAD_PHOTO):
        png, caption = await store.run(load_chart, query.from_user.id, unit_id, store.today())
        await context.bot.send_photo(
            chat_id=chat_id, photo=InputFile(png, filename="bieu-do-tien-do.png"), caption=caption
        )
    log.info("Đã gửi biểu đồ (đơn vị %s, %d byte) cho user=%s", unit_id, len(png), query.from_user.id)


async def _report_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, unit_id: int | None, fmt: str
) -> None:
    query = update.callback_query
    store = task_store(context)
    unit_id = await store.run(check_scope, query.from_user.id, unit_id)
    await query.answer(messages.REPORT_PREPARING)
    await _send_reports(update, context, query.message.chat.id, unit_id, (fmt,))


async def _settings_button(update: Update, context: ContextTypes.DEFAULT_TYPE, data: Callback) -> None:
    query = update.callback_query
    store = task_store(context)
    screen = await store.run(apply_settings_button, query.from_user.id, data, store.now(), _policy(context))
    changed = data.action in ("on", "off", "we", "dg") or (data.action == "h" and bool(data.args))
    if changed:
        request_plan(context.application)
        log.info("Cài đặt nhắc việc của user=%s đã đổi (%s)", query.from_user.id, query.data)
    await query.answer(messages.SETTINGS_SAVED_TOAST if changed else None)
    await _show(update, context, screen, SETTINGS)
