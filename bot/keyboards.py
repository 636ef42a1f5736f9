"""Inline keyboards, and the callback-data grammar they use (≤ 64 bytes each; ids only, never names).

Answers:
fb:<answer id>:u | fb:<answer id>:d     feedback 👍 / 👎 (a second click on the other one changes it)
src:<answer id>:<n>                     "Xem nguyên văn" of the n-th source (1-based)

Tasks (the same ``t:`` shapes as ``tasks/ui.py``, so reminder buttons and /viec buttons share one handler):
t:p:<task id>:<percent>                 report progress 0–100 %
t:done:<task id>                        "Hoàn thành": ask for the product/result, then complete
t:v:<task id>                           show the task card
t:doc:<task id>                         "Văn bản giao": the assigning document in the corpus
t:skip:<task id>                        complete without a result (only while the result is being asked)
t:x:<task id>                           cancel completing
t:pg:<page>                             /viec: another page of my open tasks

Callback data comes back from the client and may be stale or forged: parsing is strict (ASCII digits of a
bounded length, the exact number of parts), anything else gets the stale-button note, and the handlers
re-check every permission.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from bot import messages

MAX_CALLBACK_BYTES = 64
MAX_SOURCE_BUTTONS = 6
UP, DOWN = "u", "d"
_ANSWER_ID = re.compile(r"[A-Za-z0-9_-]{1,40}")
_SOURCE = re.compile(r"[1-9][0-9]?")


@dataclass(frozen=True)
class CallbackData:
    kind: str  # "fb" | "src"
    answer_id: str
    arg: str

    def encode(self) -> str:
        data = f"{self.kind}:{self.answer_id}:{self.arg}"
        if len(data.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data too long: {data!r}")
        return data

    @classmethod
    def parse(cls, data: str | None) -> CallbackData | None:
        """The button for ``data``, or None for anything outside the grammar (stale, forged, oversized).

        Answer ids are ASCII letters, digits, ``-`` and ``_`` (≤ 40); an all-digit id (a database row)
        has at most 18 digits, so it fits a 64-bit integer. ``fb`` takes ``u``/``d``; ``src`` a source
        number 1–99 without leading zeros."""
        if not data or len(data.encode()) > MAX_CALLBACK_BYTES:
            return None
        parts = data.split(":")
        if len(parts) != 3:
            return None
        kind, answer_id, arg = parts
        if not _ANSWER_ID.fullmatch(answer_id) or (answer_id.isdigit() and len(answer_id) > 18):
            return None
        if (kind == "fb" and arg in (UP, DOWN)) or (kind == "src" and _SOURCE.fullmatch(arg)):
            return cls(kind, answer_id, arg)
        return None


def answer_keyboard(answer_id: str, n_sources: int, *, rating: int | None = None) -> InlineKeyboardMarkup:
    """👍 / 👎 on the first row (the recorded one ticked), then one "Xem nguyên văn" button per source."""
    up = messages.BUTTON_UP_CHOSEN if rating == 1 else messages.BUTTON_UP
    down = messages.BUTTON_DOWN_CHOSEN if rating == -1 else messages.BUTTON_DOWN
    rows = [
        [
            InlineKeyboardButton(up, callback_data=CallbackData("fb", answer_id, UP).encode()),
            InlineKeyboardButton(down, callback_data=CallbackData("fb", answer_id, DOWN).encode()),
        ]
    ]
    n = min(n_sources, MAX_SOURCE_BUTTONS)
    if n == 1:
        rows.append(
            [
                InlineKeyboardButton(
                    messages.BUTTON_SOURCE_SINGLE, callback_data=CallbackData("src", answer_id, "1").encode()
                )
            ]
        )
    elif n > 1:
        buttons = [
            InlineKeyboardButton(
                messages.BUTTON_SOURCE_NUMBERED.format(n=i),
                callback_data=CallbackData("src", answer_id, str(i)).encode(),
            )
            for i in range(1, n + 1)
        ]
        rows.extend(buttons[i : i + 3] for i in range(0, len(buttons), 3))
    return InlineKeyboardMarkup(rows)


# --- tasks ---------------------------------------------------------------------------------------------

TASK_PREFIX = "t"
TASK_CALLBACK_PATTERN = r"^t:"  # for the CallbackQueryHandler of bot/handlers/tasks.py
PROGRESS_STEPS = (0, 25, 50, 75, 100)

# action -> number of integer arguments
_TASK_SHAPES = {"p": 2, "done": 1, "v": 1, "doc": 1, "skip": 1, "x": 1, "pg": 1}
_ID = re.compile(r"[0-9]{1,12}")  # ASCII only: \d would take "١" or "߁"; fullmatch: no trailing "\n"


@dataclass(frozen=True)
class TaskCallback:
    """A parsed ``t:`` button: ``action`` and its integer arguments (task id first, except for ``pg``)."""

    action: str
    args: tuple[int, ...]

    @property
    def task_id(self) -> int | None:
        return None if self.action == "pg" else self.args[0]

    @property
    def percent(self) -> int:
        return self.args[1]

    @property
    def page(self) -> int:
        return self.args[0]

    def encode(self) -> str:
        data = ":".join([TASK_PREFIX, self.action, *map(str, self.args)])
        if len(data.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data too long: {data!r}")
        return data

    @classmethod
    def parse(cls, data: str | None) -> TaskCallback | None:
        """The callback for ``data``, or None for anything outside the grammar (stale or forged)."""
        if not data or len(data.encode()) > MAX_CALLBACK_BYTES:
            return None
        parts = data.split(":")
        if len(parts) < 3 or parts[0] != TASK_PREFIX:
            return None
        action, raw = parts[1], parts[2:]
        if _TASK_SHAPES.get(action) != len(raw) or not all(_ID.fullmatch(a) for a in raw):
            return None
        args = tuple(int(a) for a in raw)
        if action == "p" and args[1] > 100:
            return None
        if action == "pg" and args[0] < 1:
            return None
        return cls(action, args)


def progress_data(task_id: int, percent: int) -> str:
    return TaskCallback("p", (task_id, percent)).encode()


def done_data(task_id: int) -> str:
    return TaskCallback("done", (task_id,)).encode()


def view_data(task_id: int) -> str:
    return TaskCallback("v", (task_id,)).encode()


def document_data(task_id: int) -> str:
    return TaskCallback("doc", (task_id,)).encode()


def skip_data(task_id: int) -> str:
    return TaskCallback("skip", (task_id,)).encode()


def cancel_data(task_id: int) -> str:
    return TaskCallback("x", (task_id,)).encode()


def page_data(page: int) -> str:
    return TaskCallback("pg", (page,)).encode()


def task_keyboard(
    task_id: int, *, progress: int, done: bool, has_document: bool
) -> InlineKeyboardMarkup | None:
    """Under a task card: 0/25/50/75/100 % (the current one ticked), "Hoàn thành", "Văn bản giao".

    A finished task keeps only "Văn bản giao" (None when it has no document either).
    """
    rows: list[list[InlineKeyboardButton]] = []
    if not done:
        rows.append(
            [
                InlineKeyboardButton(
                    (messages.BUTTON_PROGRESS_CURRENT if p == progress else messages.BUTTON_PROGRESS).format(
                        p=p
                    ),
                    callback_data=progress_data(task_id, p),
                )
                for p in PROGRESS_STEPS
            ]
        )
    last = []
    if not done:
        last.append(InlineKeyboardButton(messages.BUTTON_DONE, callback_data=done_data(task_id)))
    if has_document:
        last.append(InlineKeyboardButton(messages.BUTTON_DOCUMENT, callback_data=document_data(task_id)))
    if last:
        rows.append(last)
    return InlineKeyboardMarkup(rows) if rows else None


def completion_keyboard(task_id: int) -> InlineKeyboardMarkup:
    """Under "send me the result": skip (complete without a result) or cancel."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(messages.BUTTON_SKIP_RESULT, callback_data=skip_data(task_id)),
                InlineKeyboardButton(messages.BUTTON_CANCEL, callback_data=cancel_data(task_id)),
            ]
        ]
    )


def pages_keyboard(page: int, page_count: int) -> InlineKeyboardMarkup | None:
    """◀️ / ▶️ between pages of /viec (None when everything fits on one page)."""
    row = []
    if page > 1:
        row.append(InlineKeyboardButton(messages.BUTTON_PREV_PAGE, callback_data=page_data(page - 1)))
    if page < page_count:
        row.append(InlineKeyboardButton(messages.BUTTON_NEXT_PAGE, callback_data=page_data(page + 1)))
    return InlineKeyboardMarkup([row]) if row else None


def private_chat_keyboard(bot_username: str | None, payload: str) -> InlineKeyboardMarkup | None:
    """One URL button opening the private chat with the bot (``/start <payload>``), for replies in groups."""
    if not bot_username:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    messages.BUTTON_OPEN_PRIVATE, url=f"https://t.me/{bot_username}?start={payload}"
                )
            ]
        ]
    )


def share_phone_keyboard() -> ReplyKeyboardMarkup:
    """The reply keyboard of /lienket: one button that shares the user's own phone number (request_contact)."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton(messages.BUTTON_SHARE_PHONE, request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
        input_field_placeholder=messages.SHARE_PHONE_PLACEHOLDER,
    )
