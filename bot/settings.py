"""What the bot process needs to know from the configuration beyond the token, as plain typed values.

`troly.config.Settings` parses the environment once (docs/cli.md §1) and composes this.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tasks.outbox_settings import OutboxSettings

DEFAULT_REMINDER_INTERVAL = 30.0


@dataclass(frozen=True)
class BotSettings:
    username: str | None = None  # TROLY_BOT_USERNAME (no "@"): invitation links
    workers: int | None = None  # TROLY_BOT_WORKERS; None: 2–4 by CPU count (16 with an LLM)
    # TROLY_REMINDER_INTERVAL: seconds between reminder sweeps, 1–300; None: this process sends no reminders
    reminder_interval: float | None = DEFAULT_REMINDER_INTERVAL
    fake_now: datetime | None = None  # TROLY_FAKE_NOW (tests only): an aware instant the clock starts at
    outbox: OutboxSettings = field(
        default_factory=OutboxSettings
    )  # TROLY_OUTBOX_*: rate budget, K in flight, lease, deadlines
