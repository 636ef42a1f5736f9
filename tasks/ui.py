"""Screens for chat front ends, without any Telegram type: HTML text + rows of (label, callback data).

The bot turns a `Screen` into a message with an inline keyboard (`InlineKeyboardButton(label,
callback_data=data)`), and hands a pressed button's data back to `parse_callback`. Callback data carries
ids only (never names or text: Telegram allows 64 bytes and the data comes back from the client, so every
handler re-checks permissions against the database).

This is the ONE grammar of task buttons: reminders, /viec cards, /tiendo screens and free-text work answers
all encode here and the bot decodes here, so a button pressed under any message lands in the same handler.
Parsing is strict (known prefix and action, the exact number of arguments, ASCII digits of bounded length,
≤ 64 bytes): anything else, e.g. a button left in a chat by an older version, parses to None and the bot
answers with the stale-button note, never an error. (The bot's answer buttons ``fb:``, ``src:``, ``fr:`` carry
random answer tokens, not ids, and are parsed in bot/keyboards.py.)

    t:p:<task_id>:<percent>     report progress on a task: 0–100 (buttons offer `PROGRESS_STEPS`)
    t:done:<task_id>            "Hoàn thành": ask for the product/result, then complete
    t:v:<task_id>               show a task card
    t:doc:<task_id>             show the task's "Văn bản giao" and related passages (the application layer)
    t:skip:<task_id>            complete without a result (only while the result is being asked)
    t:x:<task_id>               stop completing
    t:pg:<page>                 /viec: another page (≥ 1) of my open tasks
    td:u:<unit_id>:<page>       /tiendo of a unit (0 = every unit, for administrators); page of sub-units
    td:o:<unit_id>:<page>       overdue tasks of a unit subtree, one page
    td:c:<unit_id>              chart of a unit's sub-units
    td:dc:<document_key>        chart of a document's progress by unit (`tasks.document_progress.document_key`)
    td:t:<task_id>              a task seen from /tiendo (leaders: "Giao lại", "Hủy nhiệm vụ")
    td:ra:<task_id>:<page>      reassign: pick the new assignee (one page of officials)
    td:rp:<task_id>:<official_id>   reassign: confirm    td:ry:<task_id>:<official_id>   reassign: do it
    td:x:<task_id>              cancel: ask for the reason (the next text message)
    td:xy:<task_id>             cancel: confirmed (with the reason given)
    bc:x:<unit_id> | bc:d:<unit_id>   report file (.xlsx | .docx) of a unit subtree
    nv:menu | nv:on | nv:off | nv:h | nv:h:<hour> | nv:we:<0|1> | nv:dg:<0|1>   /nhacviec choices
    ad:i:<n> | ad:ix:<n>        administrators: import the sheet previewed as pending import <n> | drop it
    ad:add:<n>                  "Thêm vào kho văn bản" under a document file (pending document <n>)
    ad:all:<n> | ad:lim:<n>     who may read it: "Toàn tỉnh" | "Chỉ đơn vị …" (opens the unit picker)
    ad:u:<n>:<unit_id>          picker: (un)tick a unit    ad:pg:<n>:<page>   picker: another page (≥ 1)
    ad:ok:<n> | ad:dx:<n>       picker: done (add with the ticked units) | stop adding the document
    ad:rm:<n> | ad:rmx:<n>      /xoavanban: confirm removing pending document <n> | keep it
    (`<n>` is the number of the pending step kept in the dialogue store, never a file name or a path.)
    gv:p:<official_id>          assign form: this assignee (among the names offered)
    gv:u:<unit_id>              assign form: this lead unit
    gv:d:<n>                    assign form: the n-th suggested document (1–5; 0 = keep it as typed)
    gv:s | gv:dp                assign form: no assigning document | the usual product ("Báo cáo …")
    gv:ok | gv:e | gv:x         assign form: "Giao việc" | "Sửa" | "Huỷ"
    gv:f:<n>                    assign form: change field n (1 người … 6 đơn vị chủ trì)
    gv:a:<task_id> | gv:c:<task_id>   a new task's card: "Nhận việc" | "Trao đổi"
    gh:r:<task_id>              "Xin gia hạn": ask for the new date and the reason
    gh:y:<request_id> | gh:n:<request_id>   decide an extension: "Đồng ý" | "Không đồng ý"
    gh:k:<request_id>           no note after the decision    gh:x   stop asking for more time
    sp:ok:<task_id>             review of a handed-in product: "Đạt" (the task is done)
    sp:no:<task_id>             "Chưa đạt": ask for the comment (the next text message)
    sp:nc:<task_id>             "Chưa đạt" without a comment     sp:x:<task_id>   don't send it back after all
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from vntext.display import esc, format_date, shorten

__all__ = ["esc", "format_date", "shorten"]  # the one set of text helpers, re-exported for the task screens

MAX_CALLBACK_BYTES = 64
CALLBACK_PATTERN = r"^(t|td|bc|nv|ad|gv|gh|sp):"  # for the bot's CallbackQueryHandler(pattern=...)
ALL_UNITS_ID = 0  # the synthetic "Tất cả đơn vị" root in td:/bc: data
PROGRESS_STEPS = (0, 25, 50, 75, 100)  # the progress buttons, under every task card and reminder
MAX_ALERT_CHARS = 190  # a callback answer (toast/alert) may hold 200 characters

# The one "who are you?" text: an account not linked to an official, whatever it tried to do.
NOT_LINKED = (
    "Bạn chưa liên kết tài khoản Telegram với hồ sơ cán bộ (hoặc liên kết đã bị quản trị viên hủy). "
    "Gõ /lienket để liên kết (chia sẻ số điện thoại đã đăng ký hoặc nhập mã do quản trị viên cấp)."
)

Button = tuple[str, str]  # (label, callback_data)
Keyboard = list[list[Button]]


def button(label: str, data: str) -> Button:
    """A button, checking the 64-byte callback limit here rather than as a 400 from Telegram."""
    if not 1 <= len(data.encode()) <= MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data must be 1–64 bytes: {data!r}")
    return (label, data)


@dataclass
class Screen:
    """A message to show: Telegram HTML (already escaped, ≤ 4096 characters) and its buttons."""

    html: str
    buttons: Keyboard = field(default_factory=list)


@dataclass(frozen=True)
class Callback:
    """A parsed button press: `prefix` ("t", "td", "bc", "nv", "ad", "gv", "gh", "sp"), `action` and integer
    arguments."""

    prefix: str
    action: str
    args: tuple[int, ...] = ()

    @property
    def data(self) -> str:
        return ":".join([self.prefix, self.action, *map(str, self.args)])


_SHAPES: dict[tuple[str, str], int] = {
    ("t", "p"): 2,
    ("t", "done"): 1,
    ("t", "v"): 1,
    ("t", "doc"): 1,
    ("t", "skip"): 1,
    ("t", "x"): 1,
    ("t", "pg"): 1,
    ("td", "u"): 2,
    ("td", "o"): 2,
    ("td", "c"): 1,
    ("td", "dc"): 1,
    ("td", "t"): 1,
    ("td", "ra"): 2,
    ("td", "rp"): 2,
    ("td", "ry"): 2,
    ("td", "x"): 1,
    ("td", "xy"): 1,
    ("bc", "x"): 1,
    ("bc", "d"): 1,
    ("nv", "menu"): 0,
    ("nv", "on"): 0,
    ("nv", "off"): 0,
    ("nv", "h"): -1,  # 0 or 1 argument
    ("nv", "we"): 1,
    ("nv", "dg"): 1,
    ("ad", "i"): 1,
    ("ad", "ix"): 1,
    ("ad", "add"): 1,
    ("ad", "all"): 1,
    ("ad", "lim"): 1,
    ("ad", "u"): 2,
    ("ad", "pg"): 2,
    ("ad", "ok"): 1,
    ("ad", "dx"): 1,
    ("ad", "rm"): 1,
    ("ad", "rmx"): 1,
    ("gv", "p"): 1,
    ("gv", "u"): 1,
    ("gv", "d"): 1,
    ("gv", "s"): 0,
    ("gv", "dp"): 0,
    ("gv", "ok"): 0,
    ("gv", "e"): 0,
    ("gv", "x"): 0,
    ("gv", "f"): 1,
    ("gv", "a"): 1,
    ("gv", "c"): 1,
    ("gh", "r"): 1,
    ("gh", "y"): 1,
    ("gh", "n"): 1,
    ("gh", "k"): 1,
    ("gh", "x"): 0,
    ("sp", "ok"): 1,
    ("sp", "no"): 1,
    ("sp", "nc"): 1,
    ("sp", "x"): 1,
}
ASSIGN_FIELDS = 6  # gv:f:<1…6>
MAX_DOCUMENT_CHOICES = 5  # gv:d:<0…5>
_INT = re.compile(r"[0-9]{1,12}")  # ASCII digits only (\d takes "١"), used with fullmatch


def parse_callback(data: str | None) -> Callback | None:
    """The callback for `data`, or None for anything not in the grammar (stale or forged buttons)."""
    if not data or len(data.encode()) > MAX_CALLBACK_BYTES:
        return None
    parts = data.split(":")
    if len(parts) < 2:
        return None
    prefix, action, raw = parts[0], parts[1], parts[2:]
    arity = _SHAPES.get((prefix, action))
    if arity is None or (arity >= 0 and len(raw) != arity) or (arity < 0 and len(raw) > 1):
        return None
    if not all(_INT.fullmatch(a) for a in raw):
        return None
    args = tuple(int(a) for a in raw)
    if (prefix, action) == ("t", "p") and args[1] > 100:
        return None
    if (prefix, action) in (("t", "pg"), ("ad", "pg")) and args[-1] < 1:
        return None
    if (prefix, action) == ("gv", "f") and not 1 <= args[0] <= ASSIGN_FIELDS:
        return None
    if (prefix, action) == ("gv", "d") and args[0] > MAX_DOCUMENT_CHOICES:
        return None
    return Callback(prefix, action, args)


def time_left(deadline: date, today: date) -> str:
    """ "còn 3 ngày", "hạn là ngày mai", "hạn là hôm nay", "quá hạn 2 ngày"."""
    days = (deadline - today).days
    if days > 1:
        return f"còn {days} ngày"
    if days == 1:
        return "hạn là ngày mai"
    if days == 0:
        return "hạn là hôm nay"
    return f"quá hạn {-days} ngày"


def progress_data(task_id: int, percent: int) -> str:
    return f"t:p:{task_id}:{percent}"


def done_data(task_id: int) -> str:
    return f"t:done:{task_id}"


def task_data(task_id: int) -> str:
    return f"t:v:{task_id}"


def document_data(task_id: int) -> str:
    return f"t:doc:{task_id}"


def skip_data(task_id: int) -> str:
    return f"t:skip:{task_id}"


def stop_completing_data(task_id: int) -> str:
    return f"t:x:{task_id}"


def page_data(page: int) -> str:
    return f"t:pg:{page}"


def unit_data(unit_id: int | None, page: int = 1) -> str:
    return f"td:u:{unit_id or ALL_UNITS_ID}:{page}"


def overdue_data(unit_id: int | None, page: int = 1) -> str:
    return f"td:o:{unit_id or ALL_UNITS_ID}:{page}"


def chart_data(unit_id: int | None) -> str:
    return f"td:c:{unit_id or ALL_UNITS_ID}"


def document_chart_data(key: int) -> str:
    return f"td:dc:{key}"


def report_data(unit_id: int | None, fmt: str) -> str:
    return f"bc:{'x' if fmt == 'xlsx' else 'd'}:{unit_id or ALL_UNITS_ID}"


def unit_id_arg(value: int) -> int | None:
    """`td:`/`bc:` unit argument back to a unit id (None = every unit)."""
    return None if value == ALL_UNITS_ID else value


def manage_data(action: str, task_id: int, arg: int | None = None) -> str:
    """`td:` task-management buttons of /tiendo: t (view), ra, rp, ry (reassign), x, xy (cancel)."""
    return f"td:{action}:{task_id}" + ("" if arg is None else f":{arg}")


def admin_data(action: str, pending: int, arg: int | None = None) -> str:
    """`ad:` buttons of the administrators' dialogues (imports, documents); `pending` is the step's number."""
    return f"ad:{action}:{pending}" + ("" if arg is None else f":{arg}")


def assign_data(action: str, arg: int | None = None) -> str:
    """`gv:` buttons of the assign form and of a new task's card (see the grammar above)."""
    return f"gv:{action}" + ("" if arg is None else f":{arg}")


def extension_data(action: str, arg: int | None = None) -> str:
    """`gh:` buttons: ask for more time (r), decide (y / n), no note (k), stop (x)."""
    return f"gh:{action}" + ("" if arg is None else f":{arg}")


def review_data(action: str, task_id: int) -> str:
    """`sp:` product review buttons: ok (Đạt), no (Chưa đạt → comment), nc (Chưa đạt, no comment), x (keep)."""
    if action not in ("ok", "no", "nc", "x"):
        raise ValueError(f"unknown review action {action!r}")
    return f"sp:{action}:{task_id}"
