"""The schedule, pure: which reminders a task or a leader gets on which local days, and when the next
message may go to an official. No database, no clock: every input is passed in, so tests drive it freely.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tasks.reminders.policy import DIGEST, MAX_WEEKEND_SHIFT, OVERDUE, WARNINGS, Prefs, ReminderPolicy
from tasks.timeutil import as_utc


def _previous_sending_day(day: date, prefs: Prefs) -> date:
    for _ in range(MAX_WEEKEND_SHIFT + 5):
        if prefs.sends_on(day):
            return day
        day -= timedelta(days=1)
    return day


def task_slot_days(
    deadline: date, prefs: Prefs, policy: ReminderPolicy, first: date, last: date
) -> list[tuple[str, date]]:
    """(kind, local day) of every reminder a task with `deadline` gets between `first` and `last`.

    Warnings falling on a day the official does not receive messages move back to the previous sending
    day; when two warnings land on the same day only the more urgent one is kept. Overdue reminders go out
    on each sending day after the deadline (up to `policy.max_overdue_days` days late, if set).
    """
    slots: dict[date, str] = {}
    for kind, days in WARNINGS:
        day = _previous_sending_day(deadline - timedelta(days=days), prefs)
        slots[day] = kind  # later (more urgent) kinds overwrite earlier ones on the same day
    out = [(kind, day) for day, kind in sorted(slots.items()) if first <= day <= last]
    day = max(first, deadline + timedelta(days=1))
    while day <= last:
        late = (day - deadline).days
        if policy.max_overdue_days is not None and late > policy.max_overdue_days:
            break
        if prefs.sends_on(day):
            out.append((OVERDUE, day))
        day += timedelta(days=1)
    return out


def digest_slot_days(prefs: Prefs, first: date, last: date) -> list[date]:
    """Days a leader's digest goes out between `first` and `last`."""
    days = []
    day = first
    while day <= last:
        if prefs.sends_on(day):
            days.append(day)
        day += timedelta(days=1)
    return days


def is_current_slot(
    kind: str, due_at: datetime, deadline: date | None, prefs: Prefs, policy: ReminderPolicy
) -> bool:
    """Whether a row planned for (`kind`, `due_at`) is still part of the schedule for these inputs."""
    local = as_utc(due_at).astimezone(policy.tz)
    if (local.hour, local.minute, local.second) != (prefs.hour, 0, 0):
        return False
    day = local.date()
    if kind == DIGEST:
        return prefs.digest and prefs.sends_on(day)
    if deadline is None:
        return False
    return (kind, day) in task_slot_days(deadline, prefs, policy, day, day)


def next_sending_time(now: datetime, prefs: Prefs, policy: ReminderPolicy) -> datetime:
    """`now` if a message may go to this official now, else the next moment one may (their hour on the
    next day they receive messages)."""
    now = as_utc(now)
    local = now.astimezone(policy.tz)
    if not policy.is_quiet(now) and prefs.sends_on(local.date()):
        return now
    day = local.date()
    if local.hour >= policy.quiet_end or not prefs.sends_on(day):
        day += timedelta(days=1)
    while not prefs.sends_on(day):
        day += timedelta(days=1)
    return policy.at(day, max(prefs.hour, policy.quiet_end))
