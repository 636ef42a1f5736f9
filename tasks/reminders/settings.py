"""/nhacviec: an official's reminder choices (on/off, hour, weekends, leaders' daily digest).

Reading returns the effective choices (the stored row or the policy's defaults); writing validates,
audits each changed field and commits. Pending reminders planned for the old choices are cancelled and
re-planned by `tasks.reminders.plan_reminders` (and never sent meanwhile: `recheck` compares the row with
the current choices right before sending).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tasks import audit
from tasks.errors import InvalidOperation
from tasks.models import Official, ReminderSetting
from tasks.normalize import Via, fold_key
from tasks.reminders.policy import DEFAULT_POLICY, Prefs, ReminderPolicy
from tasks.timeutil import as_utc, utcnow


def get_prefs(session: Session, official: Official, policy: ReminderPolicy = DEFAULT_POLICY) -> Prefs:
    """The official's effective choices."""
    return Prefs.of(session.get(ReminderSetting, official.id), policy)


def update_prefs(
    session: Session,
    official: Official,
    *,
    enabled: bool | None = None,
    hour: int | None = None,
    weekends: bool | None = None,
    digest: bool | None = None,
    now: datetime | None = None,
    via: str = Via.BOT,
    policy: ReminderPolicy = DEFAULT_POLICY,
) -> Prefs:
    """Change some choices (None = keep). `InvalidOperation` (Vietnamese) for an hour in the quiet period.
    Commits."""
    now = as_utc(now) if now else utcnow()
    if hour is not None and hour not in policy.allowed_hours:
        raise InvalidOperation(
            f"Giờ nhắc phải từ {policy.quiet_end}h đến {policy.quiet_start - 1}h "
            f"(không gửi tin từ {policy.quiet_start}h đến {policy.quiet_end}h sáng hôm sau)."
        )
    current = get_prefs(session, official, policy)
    row = session.get(ReminderSetting, official.id)
    if row is None:
        row = ReminderSetting(
            official_id=official.id, enabled=current.enabled, hour=current.hour, weekends=current.weekends,
            digest=current.digest, updated_at=now,
        )  # fmt: skip
        session.add(row)
    changes = {"enabled": enabled, "hour": hour, "weekends": weekends, "digest": digest}
    for name, value in changes.items():
        if value is None or getattr(current, name) == value:
            continue
        audit.record(
            session, actor=official.code, via=via, entity="official", key=official.code,
            field=f"reminder_{name}", old=getattr(current, name), new=value, at=now,
        )  # fmt: skip
        setattr(row, name, value)
    row.updated_at = now
    session.commit()
    return Prefs.of(row, policy)


@dataclass(frozen=True)
class SettingsChange:
    """What "/nhacviec ARGS" asks for (all None: just show the settings)."""

    enabled: bool | None = None
    hour: int | None = None
    weekends: bool | None = None
    digest: bool | None = None

    @property
    def empty(self) -> bool:
        return all(v is None for v in (self.enabled, self.hour, self.weekends, self.digest))


_ON = {"bat", "mo", "on", "co", "yes", "1"}
_OFF = {"tat", "dung", "ngung", "off", "khong", "no", "0"}
_HOUR = re.compile(r"^(\d{1,2})\s*(?:h|gio|:00|g)?(?:\s*sang)?$")


def parse_settings_args(text: str) -> SettingsChange:
    """Parse the words after /nhacviec, with or without diacritics.

    "bật" / "tắt" (reminders on/off), "8" / "8h" / "08:00" / "7 giờ" (hour), "cuối tuần bật|tắt",
    "tóm tắt bật|tắt" or "digest on|off". Raises `InvalidOperation` with an example for anything else.
    """
    key = fold_key(text)
    if not key:
        return SettingsChange()
    words = key.split()
    if words[0] in ("cuoi", "weekend", "weekends") and len(words) >= 2:
        value = words[-1]
        if value in _ON | _OFF:
            return SettingsChange(weekends=value in _ON)
    if words[0] in ("tom", "digest", "bao") and len(words) >= 2:
        value = words[-1]
        if value in _ON | _OFF:
            return SettingsChange(digest=value in _ON)
    if len(words) == 1 and words[0] in _ON:
        return SettingsChange(enabled=True)
    if len(words) == 1 and words[0] in _OFF:
        return SettingsChange(enabled=False)
    match = _HOUR.match(" ".join(words).replace(" 00", ":00"))
    if match is not None:
        return SettingsChange(hour=int(match.group(1)))
    raise InvalidOperation(
        "Chưa hiểu lựa chọn. Ví dụ: “/nhacviec tắt”, “/nhacviec bật”, “/nhacviec 7h”, "
        "“/nhacviec cuối tuần bật”, “/nhacviec tóm tắt tắt”."
    )


def apply_change(
    session: Session,
    official: Official,
    change: SettingsChange,
    *,
    now: datetime | None = None,
    policy: ReminderPolicy = DEFAULT_POLICY,
) -> Prefs:
    """`update_prefs` with a parsed `SettingsChange`."""
    return update_prefs(
        session, official, enabled=change.enabled, hour=change.hour, weekends=change.weekends,
        digest=change.digest, now=now, policy=policy,
    )  # fmt: skip
