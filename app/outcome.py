"""What a step of a chat dialogue produces, as plain data: the answer to the person who acted, the state to keep
for their next message, and the messages other people must receive (the assignee of a new task, the leader
who decides an extension…).

Why one shape: the bot's handler for a command, a button and a follow-up text is then the same few lines —
send `reply`, keep or drop `state`, deliver each `Notice` — and the application layer decides everything
else. `state` is JSON-able (str, int, bool, lists, dicts): the dialogue store may be the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tasks.ui import Screen


@dataclass(frozen=True)
class Notice:
    """A message for someone else: their Telegram user id (their private chat) and the screen."""

    telegram_id: int
    screen: Screen


@dataclass(frozen=True)
class Step:
    """The outcome of one call.

    `reply`: the screen for the person who acted (None: nothing to say beyond `toast`). `state`: the
    dialogue state to keep (None: the dialogue is over, or there was none). `notices`: messages for others.
    `lookup`: a document reference the caller must look up in the corpus (the engine's `find_documents`,
    another thread pool) before calling again with the same input and `cards=` its result; nothing has
    changed when it is set. `toast`: a short plain text for a button press (≤ 200 characters); `alert`:
    show it as a dialog (a refusal). `edit`: the reply replaces the message whose button was pressed.
    `replan`: a task's deadline or assignee changed, reminders should be planned again.
    """

    reply: Screen | None = None
    state: dict[str, Any] | None = None
    notices: tuple[Notice, ...] = field(default_factory=tuple)
    lookup: str | None = None
    toast: str | None = None
    alert: bool = False
    edit: bool = False
    replan: bool = False


def refusal(reason: str, *, state: dict[str, Any] | None = None) -> Step:
    """A refusal (Vietnamese `reason`, plain text): as a message after a text, as an alert after a press."""
    from tasks.ui import esc, shorten

    return Step(Screen(esc(reason)), state=state, toast=shorten(reason, 190), alert=True)
