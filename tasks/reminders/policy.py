"""What reminders exist and when they may go out: the kinds, the cancel reasons, the office-wide
`ReminderPolicy` and an official's effective `Prefs`.

Plain values with no database work, shared by the schedule, the planner and the queue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tasks.models import ReminderSetting
from tasks.settings import TaskSettings
from tasks.timeutil import DEFAULT_TZ, as_utc
from tasks.workdays import WorkCalendar, default_calendar, load_calendar

BEFORE_3D, BEFORE_1D, DUE_DAY, OVERDUE, DIGEST = "before_3d", "before_1d", "due_day", "overdue", "digest"
TASK_KINDS = (BEFORE_3D, BEFORE_1D, DUE_DAY, OVERDUE)
# Warnings before the deadline, least urgent first: when two land on the same day the later one wins.
WARNINGS = ((BEFORE_3D, 3), (BEFORE_1D, 1), (DUE_DAY, 0))
MAX_WEEKEND_SHIFT = 10  # a warning that falls on days off moves back to the last working day (Tết: ≤ 9 days)

# cancel_reason values (short, English: for operators and tests, never shown to users)
TASK_DONE = "task_done"
TASK_CANCELLED = "task_cancelled"
DEADLINE_MOVED = "deadline_moved"
REASSIGNED = "reassigned"
RECIPIENT_OFF = "recipient_off"
DIGEST_OFF = "digest_off"
REPLANNED = "replanned"
SUPERSEDED = "superseded"
TASK_GONE = "task_gone"


@dataclass(frozen=True)
class ReminderPolicy:
    """When reminders go out. All hours are local hours in `tz` (TROLY_TIMEZONE).

    Defaults (the documented policy, docs/tasks.md):
    - 3 days before the deadline, 1 day before, and on the due day, at the official's hour (08:00);
    - then every working day at that hour while the task is overdue (`max_overdue_days=None`: no limit);
    - never between `quiet_start` (21:00) and `quiet_end` (07:00); the hour an official may choose is
      therefore 07–20;
    - only on working days (`calendar`: weekdays minus Vietnam's public holidays and the government's days
      off, plus make-up working Saturdays; `tasks.workdays`) unless the official opts in to every day
      (`weekends`); a warning that would fall on a day off moves back to the previous working day, so a
      deadline right after Tết or a long weekend is still announced;
    - leaders (lãnh đạo) get a daily digest at their hour on working days (`digest`, default on).
    """

    tz: ZoneInfo = DEFAULT_TZ
    default_hour: int = 8
    quiet_start: int = 21
    quiet_end: int = 7
    weekends: bool = False
    digest: bool = True
    max_overdue_days: int | None = None
    horizon_days: int = 1  # rows are planned for today and the next `horizon_days` days
    lease: timedelta = timedelta(minutes=5)
    backoff_base: timedelta = timedelta(seconds=30)
    backoff_max: timedelta = timedelta(hours=1)
    permanent_retry: timedelta = timedelta(hours=12)  # chat not found, bot blocked: try again much later
    calendar: WorkCalendar | None = field(default=None, compare=False, hash=False)  # None: the shipped one

    @classmethod
    def from_settings(cls, settings: TaskSettings) -> ReminderPolicy:
        """The policy of the configuration (docs/cli.md §1): time zone, TROLY_REMINDER_HOUR,
        TROLY_REMINDER_WEEKENDS, TROLY_QUIET_HOURS and the office's calendar (TROLY_HOLIDAYS_FILE, read now:
        a `CalendarFileError` with a clear message at start, not at the first reminder)."""
        calendar = load_calendar(settings.holidays_file) if settings.holidays_file else None
        return cls(
            tz=settings.tz,
            default_hour=settings.reminder_hour,
            weekends=settings.reminder_weekends,
            quiet_start=settings.quiet_start,
            quiet_end=settings.quiet_end,
            calendar=calendar,
        )

    @property
    def allowed_hours(self) -> range:
        """Hours an official may choose: every whole hour outside the quiet period."""
        return range(self.quiet_end, self.quiet_start)

    def is_quiet(self, now: datetime) -> bool:
        hour = as_utc(now).astimezone(self.tz).hour
        return hour >= self.quiet_start or hour < self.quiet_end

    def local_date(self, now: datetime) -> date:
        return as_utc(now).astimezone(self.tz).date()

    def at(self, day: date, hour: int) -> datetime:
        """`hour`:00 local on `day`, as an aware UTC datetime (what the database stores)."""
        return datetime.combine(day, time(hour), tzinfo=self.tz).astimezone(UTC)

    def day_start(self, day: date) -> datetime:
        return self.at(day, 0)


DEFAULT_POLICY = ReminderPolicy()


@dataclass(frozen=True)
class Prefs:
    """An official's effective reminder choices (their /nhacviec row, or the policy's defaults)."""

    enabled: bool
    hour: int
    weekends: bool  # also days off (weekends and holidays): the official opted in to every day
    digest: bool
    calendar: WorkCalendar | None = field(default=None, compare=False, hash=False)  # None: the default one

    @classmethod
    def default(cls, policy: ReminderPolicy) -> Prefs:
        return cls(True, policy.default_hour, policy.weekends, policy.digest, policy.calendar)

    @classmethod
    def of(cls, row: ReminderSetting | None, policy: ReminderPolicy) -> Prefs:
        if row is None:
            return cls.default(policy)
        hour = row.hour if row.hour in policy.allowed_hours else policy.default_hour
        return cls(row.enabled, hour, row.weekends, row.digest, policy.calendar)

    @classmethod
    def from_columns(
        cls,
        enabled: bool | None,
        hour: int | None,
        weekends: bool | None,
        digest: bool | None,
        policy: ReminderPolicy,
    ) -> Prefs:
        """From an outer join on `reminder_settings` (all None when the official has no row)."""
        if enabled is None:
            return cls.default(policy)
        hour = hour if hour in policy.allowed_hours else policy.default_hour
        return cls(bool(enabled), int(hour), bool(weekends), bool(digest), policy.calendar)

    def sends_on(self, day: date) -> bool:
        """Whether messages go to this official on `day`: every day if they opted in, else working days."""
        return self.weekends or (self.calendar or default_calendar()).is_working_day(day)
