"""Configuration read from the environment (and an optional `.env` file), as documented in docs/cli.md §1.

The environment is parsed once, here and nowhere else, into one frozen `Settings`; every variable of the
table in docs/cli.md §1 becomes a typed field. A value the product cannot use stops every command before it
does anything with one Vietnamese `ConfigError` naming the variable and giving a valid example.

Each domain declares the small settings object it needs (`retrieval.settings.RetrievalSettings`,
`tasks.settings.TaskSettings`, `bot.settings.BotSettings`); `Settings` composes them (`settings.retrieval`,
`settings.tasks`, `settings.bot`) and the composition root (`troly/cli/`, `bot/app.py`) passes them down, so
`retrieval/` and `tasks/` never import `troly/` nor read the environment. Tests build their own with
`Settings.from_env(overrides)` instead of mutating globals.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import find_dotenv, load_dotenv

from bot.settings import DEFAULT_REMINDER_INTERVAL, BotSettings, file_url_for
from retrieval.settings import DEFAULT_QUERY_THREADS, LLMSettings, RetrievalSettings, default_batch_threads
from tasks.outbox_settings import OutboxSettings
from tasks.settings import TaskSettings

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
DEFAULT_LOG_RETENTION_DAYS = 180
MAX_REMINDER_INTERVAL = 300.0

T = TypeVar("T")


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where slow, re-creatable artefacts live (the derived model): outside the repository.
    TROLY_CACHE, else `$XDG_CACHE_HOME/troly`, else `~/.cache/troly`."""
    env = os.environ if env is None else env
    base = env.get("TROLY_CACHE") or os.path.join(
        env.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "troly"
    )
    return Path(base).expanduser()


class ConfigError(ValueError):
    """A configuration variable holds a value the product cannot use; the message (Vietnamese) names the
    variable and gives a valid example. Every `troly` command stops with it before doing anything."""


def parse_timezone(raw: str | None) -> ZoneInfo:
    """The zone named by TROLY_TIMEZONE (default Asia/Ho_Chi_Minh when unset or empty); ConfigError otherwise."""
    name = (raw or "").strip() or DEFAULT_TIMEZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"TROLY_TIMEZONE={name!r} không phải tên múi giờ hợp lệ. Sửa trong .env hoặc biến môi trường, "
            f"ví dụ TROLY_TIMEZONE={DEFAULT_TIMEZONE} (giờ Việt Nam; bỏ trống cũng dùng giờ này)."
        ) from None


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    telegram_token: str | None
    telegram_api_base_url: str | None
    retrieval: RetrievalSettings
    tasks: TaskSettings = field(default_factory=TaskSettings)
    bot: BotSettings = field(default_factory=BotSettings)
    timezone_name: str = DEFAULT_TIMEZONE
    log_retention_days: int = DEFAULT_LOG_RETENTION_DAYS  # question log kept this long, then deleted

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone_name)

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def corpus(self) -> tuple[Path, ...]:
        return self.retrieval.corpus

    @property
    def chroma_url(self) -> str | None:
        return self.retrieval.chroma_url

    @property
    def embedding_model(self) -> str | None:
        return self.retrieval.embedding_model

    @property
    def llm(self) -> str | None:
        """TROLY_LLM (the LLM spec), None when answers are extractive."""
        return self.retrieval.llm.spec

    @property
    def cache(self) -> Path:
        return self.retrieval.cache

    @classmethod
    def from_env(
        cls, overrides: dict[str, str] | None = None, *, dotenv: bool = True, strict: bool = True
    ) -> Settings:
        """Read settings; `overrides` win over the environment (used by tests and the CLI).

        Raises `ConfigError` (a ValueError) for any unusable variable; `strict=False` keeps a bad time zone
        name as is (`troly doctor` reports it among its checks).
        """
        if dotenv:
            load_dotenv(find_dotenv(usecwd=True), override=False)  # the working folder's .env
        env = dict(os.environ)
        if overrides:
            env.update(overrides)
        home = Path(env.get("TROLY_HOME") or "./.troly").expanduser()
        corpus_raw = env.get("TROLY_CORPUS") or "corpus/"
        corpus = tuple(Path(p).expanduser() for p in corpus_raw.split(":") if p.strip())
        db_url = env.get("TROLY_DATABASE_URL") or f"sqlite:///{(home / 'troly.db').as_posix()}"
        timezone_name = _timezone_name(env.get("TROLY_TIMEZONE"), strict)
        try:
            tz = ZoneInfo(timezone_name)
        except (ZoneInfoNotFoundError, ValueError):  # lenient mode: the doctor reports it
            tz = ZoneInfo(DEFAULT_TIMEZONE)
        return cls(
            home=home,
            database_url=db_url,
            telegram_token=_text(env, "TELEGRAM_BOT_TOKEN"),
            telegram_api_base_url=_text(env, "TELEGRAM_API_BASE_URL"),
            retrieval=RetrievalSettings(
                index_dir=home / "index",
                corpus=corpus,
                embedding_model=_text(env, "TROLY_EMBEDDING_MODEL"),
                chroma_url=_text(env, "TROLY_CHROMA_URL"),
                cache=cache_dir(env),
                query_threads=_whole(env, "TROLY_QUERY_THREADS", DEFAULT_QUERY_THREADS, low=1, high=64),
                batch_threads=_whole(env, "TROLY_BATCH_THREADS", default_batch_threads(), low=1, high=64),
                llm=_llm_settings(env),
            ),
            tasks=_task_settings(env, tz),
            bot=_bot_settings(env, tz),
            timezone_name=timezone_name,
            log_retention_days=_whole(
                env,
                "TROLY_LOG_RETENTION_DAYS",
                DEFAULT_LOG_RETENTION_DAYS,
                low=1,
                message=f"cần một số ngày nguyên từ 1 trở lên (mặc định {DEFAULT_LOG_RETENTION_DAYS}), "
                f"ví dụ TROLY_LOG_RETENTION_DAYS={DEFAULT_LOG_RETENTION_DAYS}",
            ),
        )


# --- one parser per kind of value; each names the variable and shows a valid example ---------------------


def _text(env: Mapping[str, str], name: str) -> str | None:
    """A string variable; unset or blank is None (docs/cli.md §1: an empty variable counts as unset)."""
    return (env.get(name) or "").strip() or None


def _raw(env: Mapping[str, str], name: str) -> str:
    return (env.get(name) or "").strip()


def _parsed(env: Mapping[str, str], name: str, default: T, parse: Callable[[str], T], message: str) -> T:
    """`parse(value)` of a set variable, `default` when unset; ConfigError "NAME='value' không hợp lệ:
    message" when `parse` raises ValueError."""
    raw = _raw(env, name)
    if not raw:
        return default
    try:
        return parse(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} không hợp lệ: {message}.") from None


def _whole(
    env: Mapping[str, str],
    name: str,
    default: int,
    *,
    low: int,
    high: int | None = None,
    message: str | None = None,
) -> int:
    """A whole number in [low, high] (default when unset or empty). A typo never silently keeps personal
    data longer or shorter, nor runs with a number of threads nobody chose."""

    def parse(raw: str) -> int:
        value = int(raw)
        if value < low or (high is not None and value > high):
            raise ValueError(raw)
        return value

    span = f"từ {low} đến {high}" if high is not None else f"từ {low} trở lên"
    return _parsed(env, name, default, parse, message or f"cần một số nguyên {span}, ví dụ {name}={default}")


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    """A number ≥ 0 (a dot for decimals), default when unset or empty."""

    def parse(raw: str) -> float:
        value = float(raw)
        if not value >= 0:  # also refuses NaN
            raise ValueError(raw)
        return value

    return _parsed(env, name, default, parse, f"cần một số không âm, ví dụ {name}={default:g}")


def _yes_no(env: Mapping[str, str], name: str, default: bool) -> bool:
    def parse(raw: str) -> bool:
        value = raw.lower()
        if value in ("1", "true", "yes", "co", "có"):
            return True
        if value in ("0", "false", "no", "khong", "không"):
            return False
        raise ValueError(raw)

    return _parsed(env, name, default, parse, f"cần 1 (có) hoặc 0 (không), ví dụ {name}=1")


def _timezone_name(raw: str | None, strict: bool) -> str:
    if strict:
        return parse_timezone(raw).key
    return (raw or "").strip() or DEFAULT_TIMEZONE


def _llm_settings(env: Mapping[str, str]) -> LLMSettings:
    default = LLMSettings()
    timeout = _number(env, "TROLY_LLM_TIMEOUT", default.timeout)
    return LLMSettings(
        spec=_text(env, "TROLY_LLM"),
        timeout=timeout if timeout > 0 else default.timeout,  # 0: the default, as documented in llm.md
        max_retries=_whole(env, "TROLY_LLM_MAX_RETRIES", default.max_retries, low=0, high=10),
        temperature=_number(env, "TROLY_LLM_TEMPERATURE", default.temperature),
        max_tokens=_whole(env, "TROLY_LLM_MAX_TOKENS", default.max_tokens, low=1),
        cooldown=_number(env, "TROLY_LLM_COOLDOWN", default.cooldown),
        prompts_dir=_text(env, "TROLY_PROMPTS_DIR"),
        openai_base_url=_text(env, "OPENAI_BASE_URL"),
        openai_api_key=_text(env, "OPENAI_API_KEY"),
        ollama_base_url=_text(env, "OLLAMA_BASE_URL") or _text(env, "OLLAMA_HOST"),
    )


def _quiet_hours(raw: str) -> tuple[int, int]:
    start, sep, end = raw.replace(" ", "").partition("-")
    if not sep:
        raise ValueError(raw)
    hours = int(start), int(end)
    if not all(0 <= h <= 23 for h in hours) or hours[0] <= hours[1]:
        raise ValueError(raw)  # the quiet period spans midnight: "21-7"
    return hours


def _task_settings(env: Mapping[str, str], tz: ZoneInfo) -> TaskSettings:
    default = TaskSettings()
    quiet_start, quiet_end = _parsed(
        env,
        "TROLY_QUIET_HOURS",
        (default.quiet_start, default.quiet_end),
        _quiet_hours,
        "cần GIỜ_BẮT_ĐẦU-GIỜ_KẾT_THÚC qua nửa đêm (giờ nguyên 0–23), ví dụ TROLY_QUIET_HOURS=21-7",
    )
    hour = _whole(env, "TROLY_REMINDER_HOUR", default.reminder_hour, low=0, high=23)
    if not quiet_end <= hour < quiet_start:
        raise ConfigError(
            f"TROLY_REMINDER_HOUR={hour} rơi vào giờ yên lặng ({quiet_start}h–{quiet_end}h): chọn một giờ từ "
            f"{quiet_end} đến {quiet_start - 1}, ví dụ TROLY_REMINDER_HOUR=8."
        )
    holidays = _text(env, "TROLY_HOLIDAYS_FILE")
    return TaskSettings(
        tz=tz,
        holidays_file=Path(holidays).expanduser() if holidays else None,
        reminder_hour=hour,
        reminder_weekends=_yes_no(env, "TROLY_REMINDER_WEEKENDS", default.reminder_weekends),
        quiet_start=quiet_start,
        quiet_end=quiet_end,
        report_place=_text(env, "TROLY_REPORT_PLACE"),
    )


def _reminder_interval(raw: str) -> float | None:
    """Seconds between reminder sweeps: ≤ 0 switches them off in this process; otherwise kept in 1–300."""
    value = float(raw)
    if value != value:  # NaN
        raise ValueError(raw)
    if value <= 0:
        return None
    return min(max(value, 1.0), MAX_REMINDER_INTERVAL)


def _fake_now(tz: ZoneInfo) -> Callable[[str], datetime]:
    def parse(raw: str) -> datetime:
        start = datetime.fromisoformat(raw)
        return (start if start.tzinfo else start.replace(tzinfo=tz)).astimezone(UTC)

    return parse


def _outbox_settings(env: Mapping[str, str]) -> OutboxSettings:
    """TROLY_OUTBOX_*: the outbox's limits (docs/cli.md §1); out-of-range values are refused, not clamped."""
    default = OutboxSettings()

    def ranged(name: str, value: float, low: float, high: float) -> float:
        if not low <= value <= high:
            raise ConfigError(f"{name}={value:g} không hợp lệ: cần một số từ {low:g} đến {high:g}.")
        return value

    rate = ranged("TROLY_OUTBOX_RATE", _number(env, "TROLY_OUTBOX_RATE", default.rate), 1, 30)
    lease = ranged(
        "TROLY_OUTBOX_LEASE", _number(env, "TROLY_OUTBOX_LEASE", default.lease.total_seconds()), 10, 3600
    )
    reply = _number(env, "TROLY_OUTBOX_REPLY_DEADLINE", default.reply_deadline.total_seconds())
    return OutboxSettings(
        rate=rate,
        chat_burst=_whole(env, "TROLY_OUTBOX_CHAT_BURST", default.chat_burst, low=1, high=20),
        in_flight=_whole(env, "TROLY_OUTBOX_IN_FLIGHT", default.in_flight, low=1, high=16),
        lease=timedelta(seconds=lease),
        reply_deadline=timedelta(seconds=ranged("TROLY_OUTBOX_REPLY_DEADLINE", reply, 1, 86400)),
        poll=ranged("TROLY_OUTBOX_POLL", _number(env, "TROLY_OUTBOX_POLL", default.poll), 0.05, 10),
    )


def _bot_settings(env: Mapping[str, str], tz: ZoneInfo) -> BotSettings:
    workers = _whole(
        env,
        "TROLY_BOT_WORKERS",
        0,
        low=1,
        high=256,
        message="cần số câu hỏi trả lời song song, một số nguyên từ 1 đến 256, ví dụ TROLY_BOT_WORKERS=4",
    )
    return BotSettings(
        outbox=_outbox_settings(env),
        username=(_text(env, "TROLY_BOT_USERNAME") or "").lstrip("@") or None,
        workers=workers or None,  # 0: unset, the default by CPU count
        reminder_interval=_parsed(
            env,
            "TROLY_REMINDER_INTERVAL",
            DEFAULT_REMINDER_INTERVAL,
            _reminder_interval,
            "cần số giây giữa hai lượt nhắc việc (1–300; 0 = tiến trình này không gửi nhắc việc), "
            "ví dụ TROLY_REMINDER_INTERVAL=30",
        ),
        fake_now=_parsed(
            env,
            "TROLY_FAKE_NOW",
            None,
            _fake_now(tz),
            "cần một thời điểm ISO 8601, ví dụ TROLY_FAKE_NOW=2026-11-23T08:00:00+07:00 (chỉ dùng khi kiểm thử)",
        ),
        api_file_url=_file_url(env),
    )


def _file_url(env: Mapping[str, str]) -> str | None:
    """TELEGRAM_API_FILE_URL, else derived from TELEGRAM_API_BASE_URL (…/bot → …/file/bot), else None."""

    def parse(raw: str) -> str:
        if not raw.startswith(("http://", "https://")):
            raise ValueError(raw)
        return raw.rstrip("/")

    explicit = _parsed(
        env,
        "TELEGRAM_API_FILE_URL",
        None,
        parse,
        "cần một địa chỉ http(s), ví dụ TELEGRAM_API_FILE_URL=http://127.0.0.1:8081/file/bot",
    )
    if explicit:
        return explicit
    base = _text(env, "TELEGRAM_API_BASE_URL")
    return file_url_for(base) if base else None
