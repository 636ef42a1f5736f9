"""``troly bot`` / ``python -m bot`` without a token: a clear error, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.bot_fixtures import ROOT, troly_command


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TROLY_"))}
    env["TROLY_HOME"] = "/nonexistent-troly-home"
    return env


def test_missing_token_is_a_clear_error_not_a_traceback(tmp_path):
    for cmd in (troly_command(), [sys.executable, "-m", "bot"]):
        res = subprocess.run(
            cmd,
            cwd=tmp_path,
            env={**_env(), "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert res.returncode == 2, (cmd, res.stderr)
        assert "TELEGRAM_BOT_TOKEN" in res.stderr and "BotFather" in res.stderr
        assert "Traceback" not in res.stderr + res.stdout


def test_build_application_without_token_raises_the_same_clear_error():
    import pytest

    from bot.app import MissingTokenError, build_application
    from troly.config import Settings

    settings = Settings.from_env({"TELEGRAM_BOT_TOKEN": ""}, dotenv=False)
    with pytest.raises(MissingTokenError, match="TELEGRAM_BOT_TOKEN"):
        build_application(settings, object())


def test_help_lists_polling_and_webhook_options():
    res = subprocess.run(
        [sys.executable, "-m", "bot", "--help"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0
    for opt in ("--webhook", "--listen", "--port", "--secret-token"):
        assert opt in res.stdout
