"""Writing the audit trail: one `AuditLog` row per changed field, refused attempt or import conflict.

Values are stored as plain text in a machine-friendly form (ISO dates, enum values, codes) so that the
log can be filtered and compared later whatever the display language.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from tasks.models import AuditLog, Official, Unit
from tasks.timeutil import as_utc, utcnow


def audit_value(value: Any) -> str | None:
    """The text stored in `old`/`new`: enums by value, dates ISO, officials by code, units by name."""
    if value is None:
        return None
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Official):
        return value.code
    if isinstance(value, Unit):
        return value.name
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def row_values(
    *,
    actor: str,
    via: str,
    entity: str,
    key: str,
    field: str | None = None,
    old: Any = None,
    new: Any = None,
    note: str | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """The column values of one audit row (for `insert_many`; `record` takes the same arguments)."""
    return {
        "at": as_utc(at) if at else utcnow(),
        "actor": actor,
        "via": str(via),
        "entity": entity,
        "entity_key": key,
        "field": field,
        "old": audit_value(old),
        "new": audit_value(new),
        "note": note,
    }


def insert_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Write many audit rows made by `row_values` in one multi-row INSERT (large imports: no ORM objects)."""
    if rows:
        session.execute(insert(AuditLog), rows)


def record(
    session: Session,
    *,
    actor: str,
    via: str,
    entity: str,
    key: str,
    field: str | None = None,
    old: Any = None,
    new: Any = None,
    note: str | None = None,
    at: datetime | None = None,
) -> AuditLog:
    """Add one audit row to the session (the caller's transaction decides whether it is kept)."""
    values = row_values(
        actor=actor, via=via, entity=entity, key=key, field=field, old=old, new=new, note=note, at=at
    )
    row = AuditLog(**values)
    session.add(row)
    return row


def actor_name(official: Official | None, fallback: str = "unlinked") -> str:
    """How a person appears in `AuditLog.actor`: their Mã cán bộ, or `fallback` when not linked."""
    return official.code if official is not None else fallback
