"""Who is asking: one `Viewer` per update, resolved to an official once per use case.

Callback data comes back from the client, so every use case re-reads the sender's linked official in its own
session (a link may have been revoked since the button was sent). An account that is not linked gets the one
`NOT_LINKED` text; an attempt on a task by such an account is audited like any refused attempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from tasks.authorization import record_refusal
from tasks.models import Official
from tasks.service import get_official_by_telegram
from tasks.timeutil import local_date
from tasks.ui import NOT_LINKED


class NotLinked(Exception):
    """The Telegram account is not linked to an active official (message: the one `NOT_LINKED` text)."""

    def __init__(self) -> None:
        super().__init__(NOT_LINKED)


@dataclass(frozen=True)
class Viewer:
    """The sender of an update: their Telegram user id, and the moment the update is handled.

    `now` is aware UTC (the application's clock, fixed in tests); `tz` the office's time zone, in which
    deadlines are calendar dates."""

    telegram_id: int
    now: datetime
    tz: ZoneInfo

    @property
    def today(self) -> date:
        return local_date(self.now, self.tz)


def official_of(
    session: Session, viewer: Viewer, *, task_id: int | None = None, action: str = ""
) -> Official:
    """The viewer's linked official; `NotLinked` otherwise (audited as a refusal when it was an attempt on
    task `task_id`, naming `action`, e.g. "cập nhật tiến độ")."""
    official = get_official_by_telegram(session, viewer.telegram_id)
    if official is None:
        if task_id is not None:
            record_refusal(
                session, f"telegram:{viewer.telegram_id}", task_id, f"{action}; tài khoản chưa liên kết",
                now=viewer.now,
            )  # fmt: skip
        raise NotLinked()
    return official
