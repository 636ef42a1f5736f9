"""Inline keyboards under answers, and the callback-data grammar they use (≤ 64 bytes each).

fb:<answer id>:u | fb:<answer id>:d     feedback 👍 / 👎 (a second click on the other one changes it)
src:<answer id>:<n>                     "Xem nguyên văn" of the n-th source (1-based)
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import messages

MAX_CALLBACK_BYTES = 64
MAX_SOURCE_BUTTONS = 6
UP, DOWN = "u", "d"


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
        parts = (data or "").split(":")
        if len(parts) != 3 or parts[0] not in ("fb", "src") or not parts[1] or not parts[2]:
            return None
        return cls(*parts)


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
