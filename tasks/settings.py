"""What the task domain needs to know from the configuration, as plain typed values.

`troly.config.Settings` parses the environment once (docs/cli.md §1) and composes this; `tasks/` never
reads the environment nor imports `troly/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from tasks.timeutil import DEFAULT_TZ


@dataclass(frozen=True)
class TaskSettings:
    """Time zone, working-day calendar, system-wide reminder defaults and the Word report's place name.

    Hours are whole local hours (0–23) in `tz`; the quiet period runs from `quiet_start` to `quiet_end`.
    """

    tz: ZoneInfo = DEFAULT_TZ  # TROLY_TIMEZONE
    holidays_file: Path | None = None  # TROLY_HOLIDAYS_FILE; None: the file shipped in tasks/data/
    reminder_hour: int = 8  # TROLY_REMINDER_HOUR
    reminder_weekends: bool = False  # TROLY_REMINDER_WEEKENDS
    quiet_start: int = 21  # TROLY_QUIET_HOURS "21-7"
    quiet_end: int = 7
    report_place: str | None = None  # TROLY_REPORT_PLACE ("Thanh Hóa, ngày … tháng … năm …")
