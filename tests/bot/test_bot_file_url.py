"""TELEGRAM_API_FILE_URL: where the bot downloads files sent to it (PTB's `base_file_url`). Default: the
file address of TELEGRAM_API_BASE_URL (…/bot → …/file/bot), so a local Bot API server or the test fake serves
downloads too; Telegram's own when neither is set; a value that is no http(s) address stops with a ConfigError."""

from __future__ import annotations

import pytest

from troly.config import ConfigError, Settings

BASE = {"TROLY_HOME": "/tmp/troly-file-url-test", "TELEGRAM_BOT_TOKEN": "123:abc"}


def test_the_file_url_is_derived_from_the_base_url_or_given_explicitly() -> None:
    derived = Settings.from_env({**BASE, "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot"}, dotenv=False)
    assert derived.bot.api_file_url == "http://127.0.0.1:8081/file/bot"
    explicit = Settings.from_env(
        {**BASE, "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot",
         "TELEGRAM_API_FILE_URL": "https://files.example.gov.vn/file/bot/"},
        dotenv=False,
    )  # fmt: skip
    assert explicit.bot.api_file_url == "https://files.example.gov.vn/file/bot"
    assert Settings.from_env(BASE, dotenv=False).bot.api_file_url is None  # Telegram's own


def test_a_file_url_that_is_no_address_is_refused_in_vietnamese() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({**BASE, "TELEGRAM_API_FILE_URL": "127.0.0.1:8081"}, dotenv=False)
    assert str(caught.value).startswith(
        "TELEGRAM_API_FILE_URL='127.0.0.1:8081' không hợp lệ: cần một địa chỉ http(s)"
    )


def test_the_application_downloads_from_the_configured_file_url(fake_telegram) -> None:
    from bot.app import build_application
    from tests.bot_fixtures import FakeEngine

    settings = Settings.from_env(
        {**BASE, "TELEGRAM_BOT_TOKEN": fake_telegram.token, "TELEGRAM_API_BASE_URL": fake_telegram.api_url,
         "TELEGRAM_API_FILE_URL": "http://127.0.0.1:9/file/bot"},
        dotenv=False,
    )  # fmt: skip
    app = build_application(settings, FakeEngine(), reminders=False)
    assert app.bot.base_file_url == f"http://127.0.0.1:9/file/bot{fake_telegram.token}"
    derived = Settings.from_env(
        {**BASE, "TELEGRAM_BOT_TOKEN": fake_telegram.token, "TELEGRAM_API_BASE_URL": fake_telegram.api_url},
        dotenv=False,
    )
    app = build_application(derived, FakeEngine(), reminders=False)
    assert app.bot.base_file_url == f"{fake_telegram.base_url}/file/bot{fake_telegram.token}"
