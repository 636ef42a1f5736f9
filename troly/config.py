"""Configuration read from the environment (and an optional `.env` file), as documented in docs/cli.md.

One frozen object is built per process so that every part (CLI, bot, tests) sees the same values;
tests build their own with `Settings.from_env(overrides)` instead of mutating globals.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import find_dotenv, load_dotenv

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
DEFAULT_LOG_RETENTION_DAYS = 180


def cache_dir() -> Path:
    """Where slow, re-creatable artefacts live (the derived model): outside the repository."""
    base = os.environ.get("TROLY_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "troly"
    )
    return Path(base)


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
    corpus: tuple[Path, ...]
    database_url: str
    chroma_url: str | None
    embedding_model: str | None
    llm: str | None
    telegram_token: str | None
    telegram_api_base_url: str | None
    timezone_name: str = DEFAULT_TIMEZONE
    log_retention_days: int = DEFAULT_LOG_RETENTION_DAYS  # question log kept this long, then deleted
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone_name)

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @classmethod
    def from_env(
        cls, overrides: dict[str, str] | None = None, *, dotenv: bool = True, strict: bool = True
    ) -> Settings:
        """Read settings; `overrides` win over the environment (used by tests and the CLI).

        Raises `ConfigError` (a ValueError) for an unusable TROLY_TIMEZONE or TROLY_LOG_RETENTION_DAYS;
        `strict=False` keeps a bad time zone name as is (`troly doctor` reports it among its checks).
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
        return cls(
            home=home,
            corpus=corpus,
            database_url=db_url,
            chroma_url=env.get("TROLY_CHROMA_URL") or None,
            embedding_model=env.get("TROLY_EMBEDDING_MODEL") or None,
            llm=env.get("TROLY_LLM") or None,
            telegram_token=env.get("TELEGRAM_BOT_TOKEN") or None,
            telegram_api_base_url=env.get("TELEGRAM_API_BASE_URL") or None,
            timezone_name=_timezone_name(env.get("TROLY_TIMEZONE"), strict),
            log_retention_days=_positive_days(env, "TROLY_LOG_RETENTION_DAYS", DEFAULT_LOG_RETENTION_DAYS),
            extra={k: v for k, v in env.items() if k.startswith(("TROLY_", "OPENAI_", "OLLAMA_"))},
        )


def _timezone_name(raw: str | None, strict: bool) -> str:
    if strict:
        return parse_timezone(raw).key
    return (raw or "").strip() or DEFAULT_TIMEZONE


def _positive_days(env: dict[str, str], name: str, default: int) -> int:
    """A whole number of days ≥ 1 from ``env[name]`` (default when unset or empty); ValueError otherwise, so
    a typo never silently keeps personal data longer or shorter than the office decided."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigError(
            f"{name}={raw!r} không hợp lệ: cần một số ngày nguyên từ 1 trở lên (mặc định {default})."
        )
    return value
