"""Time helpers: the database stores UTC instants; deadlines are calendar dates in the office's time zone.

Keeping the conversion in one place avoids the classic bug where "today" is computed in UTC and a task
becomes overdue at 07:00 in Vietnam instead of at midnight.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

DEFAULT_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def utcnow() -> datetime:
    """The current instant, timezone-aware in UTC (what every timestamp column stores)."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Return `value` as an aware UTC datetime; a naive value is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def local_date(instant: datetime | None = None, tz: ZoneInfo = DEFAULT_TZ) -> date:
    """The calendar date of `instant` (default: now) in `tz`: "today" as the office sees it."""
    return as_utc(instant or utcnow()).astimezone(tz).date()


def format_local(instant: datetime, tz: ZoneInfo = DEFAULT_TZ) -> str:
    """ "09:15 ngày 22/11/2026": an instant as people read it, in the office's time zone (TROLY_TIMEZONE)."""
    local = as_utc(instant).astimezone(tz)
    return f"{local:%H:%M} ngày {local:%d/%m/%Y}"
