"""Officials whose Telegram chat cannot receive messages: "không nhận được tin nhắn".

Why: when an official blocks the bot (Telegram answers 403 "bot was blocked by the user") or the chat is
gone (400 "chat not found"), retrying reminders five times a day forever helps nobody, and nobody learns
that the official no longer receives them. So the first such refusal marks the official
(`officials.unreachable_since`, audited), pending pushes to them are cancelled and no new ones are planned
(`tasks.reminders`), and they are shown to those who must act: `troly officials list`
(``"unreachable_since"``), the leader's /tiendo screen and the daily digest (`unreachable_lines`). Any
update from the official (they write to the bot again) clears the mark (`mark_reachable`), and reminders
are planned for them again at the next planning.

Deciding *which* transport error means "unreachable" is the transport's job (the bot maps Telegram's
errors); this module only records and reports.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.orm import Session

from tasks import audit
from tasks.access import unit_subtree_ids
from tasks.models import Official, Reminder, Unit
from tasks.normalize import Via, format_date
from tasks.timeutil import DEFAULT_TZ, as_utc, local_date, utcnow

CHAT_UNREACHABLE = "chat_unreachable"  # reminders.cancel_reason of pushes cancelled for this reason
MAX_NAMES = 5  # names listed on a screen line; the rest are counted


def mark_unreachable(session: Session, official_id: int, error: str, now: datetime | None = None) -> bool:
    """Mark the official unreachable since `now` (kept if already marked) and cancel their pending pushes.

    Returns True when the mark is new (then it is audited with the transport's `error`). Commits."""
    now = as_utc(now) if now else utcnow()
    marked = session.execute(
        update(Official)
        .where(Official.id == official_id, Official.unreachable_since.is_(None))
        .values(unreachable_since=now)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    session.execute(
        update(Reminder)
        .where(
            Reminder.official_id == official_id, Reminder.sent_at.is_(None), Reminder.cancelled_at.is_(None)
        )
        .values(cancelled_at=now, cancel_reason=CHAT_UNREACHABLE, claimed_by=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    if marked:
        code = session.scalar(select(Official.code).where(Official.id == official_id))
        audit.record(
            session, actor="telegram", via=Via.BOT, entity="official", key=code or str(official_id),
            field="unreachable_since", old=None, new=now.isoformat(), at=now,
            note=f"Không gửi được tin nhắn: {error[:200]}",
        )  # fmt: skip
    session.commit()
    return bool(marked)


def mark_reachable(session: Session, telegram_user_id: int, now: datetime | None = None) -> bool:
    """The official linked to this Telegram account wrote to the bot: clear the mark. True if cleared.

    Reads first and writes only when there is a mark to clear (this runs for every update). Commits."""
    official = session.scalar(
        select(Official).where(
            Official.telegram_user_id == telegram_user_id, Official.unreachable_since.is_not(None)
        )
    )
    if official is None:
        return False
    now = as_utc(now) if now else utcnow()
    audit.record(
        session, actor=f"telegram:{telegram_user_id}", via=Via.BOT, entity="official", key=official.code,
        field="unreachable_since", old=official.unreachable_since.isoformat() if official.unreachable_since else None,
        new=None, at=now, note="Cán bộ nhắn tin lại cho bot: nhận được tin nhắn trở lại",
    )  # fmt: skip
    official.unreachable_since = None
    session.commit()
    return True


def unreachable_officials(session: Session, unit: Unit | None) -> list[Official]:
    """Active officials of `unit`'s subtree (every unit when None) marked unreachable, longest first."""
    query = select(Official).where(Official.active.is_(True), Official.unreachable_since.is_not(None))
    if unit is not None:
        query = query.where(Official.unit_id.in_(unit_subtree_ids(session, unit.id)))
    return list(session.scalars(query.order_by(Official.unreachable_since, Official.code)))


def unreachable_lines(session: Session, unit: Unit | None, tz: ZoneInfo = DEFAULT_TZ) -> list[str]:
    """HTML lines for /tiendo and the digest (none when everybody is reachable):

    ``📵 Không nhận được tin nhắn (2 cán bộ): Đặng Hữu Tâm (CB007, từ 22/11/2026), …``"""
    from tasks.ui import esc

    people = unreachable_officials(session, unit)
    if not people:
        return []
    names = [
        f"{esc(o.full_name)} ({esc(o.code)}, từ {format_date(local_date(o.unreachable_since, tz))})"
        for o in people[:MAX_NAMES]
        if o.unreachable_since is not None
    ]
    more = f" và {len(people) - MAX_NAMES} người khác" if len(people) > MAX_NAMES else ""
    return [
        "",
        f"📵 <b>Không nhận được tin nhắn</b> ({len(people)} cán bộ): " + ", ".join(names) + more,
        "<i>Telegram từ chối gửi (đã chặn bot hoặc không còn tài khoản): cần liên hệ trực tiếp.</i>",
    ]


def reachable_condition() -> ColumnElement[bool]:
    """SQL condition: the official may receive pushes (active, linked, not marked unreachable)."""
    return and_(
        Official.active.is_(True),
        Official.telegram_user_id.is_not(None),
        Official.unreachable_since.is_(None),
    )


__all__ = [
    "CHAT_UNREACHABLE",
    "mark_reachable",
    "mark_unreachable",
    "reachable_condition",
    "unreachable_lines",
    "unreachable_officials",
]
