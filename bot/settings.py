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
    # TELEGRAM_API_FILE_URL: where files sent to the bot are downloaded from (PTB's `base_file_url`); None:
    # Telegram's own. Default: TELEGRAM_API_BASE_URL with its trailing "/bot" replaced by "/file/bot".
    api_file_url: str | None = None


def file_url_for(base_url: str) -> str:
    """``http://host/bot`` → ``http://host/file/bot`` (Telegram's layout, also used by local Bot API servers
    and the test fake); any other address is kept as it is."""
    if base_url.endswith("/bot"):
        return base_url[: -len("/bot")] + "/file/bot"
    return base_url
