"""Inline keyboards, and the callback-data grammar they use (≤ 64 bytes each; ids only, never names).

Answers:
fb:<answer id>:u | fb:<answer id>:d     feedback 👍 / 👎 (a second click on the other one changes it)
src:<answer id>:<n>                     "Xem nguyên văn" of the n-th source (1-based)

Task buttons (``t:``, ``td:``, ``bc:``, ``nv:``) have one grammar, in `tasks.ui` (ids only, ASCII digits).

Callback data comes back from the client and may be stale or forged: parsing is strict (ASCII digits of a
bounded length, the exact number of parts), anything else gets the stale-button note, and the handlers
re-check every permission.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup

from bot import texts
from bot.sending import inline_markup
from tasks.ui import MAX_CALLBACK_BYTES

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


def answer_buttons(
    answer_id: str, n_sources: int, *, rating: int | None = None
) -> list[list[tuple[str, str]]]:
    """👍 / 👎 on the first row (the recorded one ticked), then one "Xem nguyên văn" button per source."""
    up = texts.BUTTON_UP_CHOSEN if rating == 1 else texts.BUTTON_UP
    down = texts.BUTTON_DOWN_CHOSEN if rating == -1 else texts.BUTTON_DOWN
    rows = [
        [
            (up, CallbackData("fb", answer_id, UP).encode()),
            (down, CallbackData("fb", answer_id, DOWN).encode()),
        ]
    ]
    n = min(n_sources, MAX_SOURCE_BUTTONS)
    if n == 1:
        rows.append([(texts.BUTTON_SOURCE_SINGLE, CallbackData("src", answer_id, "1").encode())])
    elif n > 1:
        buttons = [
            (texts.BUTTON_SOURCE_NUMBERED.format(n=i), CallbackData("src", answer_id, str(i)).encode())
            for i in range(1, n + 1)
        ]
        rows.extend(buttons[i : i + 3] for i in range(0, len(buttons), 3))
    return rows


def answer_keyboard(answer_id: str, n_sources: int, *, rating: int | None = None) -> InlineKeyboardMarkup:
    """`answer_buttons` as Telegram's inline keyboard (to edit the buttons of a sent answer)."""
    return inline_markup(answer_buttons(answer_id, n_sources, rating=rating))
