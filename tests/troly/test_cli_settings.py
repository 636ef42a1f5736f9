"""Configuration mistakes an IT officer makes: a wrong time zone, a wrong database host (no password shown)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tasks.db import connect_reason, shown_url
from troly.cli import app
from troly.config import ConfigError, Settings, parse_timezone


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"TROLY_HOME": str(tmp_path / "home"), "TROLY_TIMEZONE": "", "TROLY_DATABASE_URL": ""} | extra


@pytest.mark.parametrize("command", [["tasks", "report"], ["tasks", "list"], ["officials", "list"], ["bot"]])
def test_a_wrong_time_zone_stops_every_command_with_one_message(tmp_path: Path, command: list[str]) -> None:
    result = CliRunner().invoke(app, command, env=_env(tmp_path, TROLY_TIMEZONE="Asia/Hanoi"))
    assert result.exit_code == 2, result.output
    assert (
        "TROLY_TIMEZONE='Asia/Hanoi'" in result.stderr and "TROLY_TIMEZONE=Asia/Ho_Chi_Minh" in result.stderr
    )
    assert "Traceback" not in result.output and "ZoneInfoNotFoundError" not in result.output
    assert not isinstance(result.exception, ConfigError)  # handled, not raised through


def test_the_time_zone_is_parsed_once_in_the_settings(tmp_path: Path) -> None:
    assert parse_timezone(None).key == parse_timezone(" ").key == "Asia/Ho_Chi_Minh"
    with pytest.raises(ConfigError, match="TROLY_TIMEZONE"):
        Settings.from_env({"TROLY_TIMEZONE": "Asia/Hanoi"}, dotenv=False)
    lenient = Settings.from_env({"TROLY_TIMEZONE": "Asia/Hanoi"}, dotenv=False, strict=False)
    assert lenient.timezone_name == "Asia/Hanoi"  # the doctor reports it
    assert Settings.from_env({"TROLY_TIMEZONE": "Asia/Bangkok"}, dotenv=False).tz.key == "Asia/Bangkok"


def test_a_wrong_database_host_never_prints_the_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg://troly:MatKhauBiMat123@khong-co-may-nay.invalid:5432/troly"
    result = CliRunner().invoke(app, ["tasks", "report"], env=_env(tmp_path, TROLY_DATABASE_URL=url))
    assert result.exit_code != 0
    assert "MatKhauBiMat123" not in result.output
    assert "troly:***@khong-co-may-nay.invalid" in result.stderr
    assert "không tìm thấy máy chủ" in result.stderr
    assert "OperationalError" not in result.output and "sqlalche.me" not in result.output
    refused = "postgresql+psycopg://troly:MatKhauBiMat123@127.0.0.1:1/troly"  # nothing listens on port 1
    result = CliRunner().invoke(app, ["tasks", "report"], env=_env(tmp_path, TROLY_DATABASE_URL=refused))
    assert "MatKhauBiMat123" not in result.output and "không nhận kết nối" in result.stderr


def test_shown_url_and_reasons() -> None:
    assert shown_url("postgresql://a:b@h/d").endswith("://a:***@h/d")
    assert "không đọc được" in shown_url("::not a url::")
    assert connect_reason(RuntimeError("FATAL: password authentication failed for user")) == (
        "sai tên người dùng hoặc mật khẩu"
    )
    assert "troly doctor" in connect_reason(RuntimeError("something else"))


def test_personal_data_is_created_readable_by_its_owner_only(tmp_path: Path) -> None:
    import stat

    examples = Path(__file__).resolve().parents[2] / "examples"
    home = tmp_path / "new" / "home"
    env = _env(tmp_path) | {"TROLY_HOME": str(home)}
    runner = CliRunner()
    assert (
        runner.invoke(app, ["officials", "import", str(examples / "officials.xlsx")], env=env).exit_code == 0
    )
    assert runner.invoke(app, ["tasks", "import", str(examples / "tasks.xlsx")], env=env).exit_code == 0
    xlsx, docx, export = tmp_path / "bc.xlsx", tmp_path / "bc.docx", tmp_path / "nv.xlsx"
    result = runner.invoke(app, ["tasks", "report", "--xlsx", str(xlsx), "--docx", str(docx)], env=env)
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["tasks", "export", str(export)], env=env).exit_code == 0

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert mode(home) == 0o700
    assert mode(home / "troly.db") == 0o600
    assert {mode(xlsx), mode(docx), mode(export)} == {0o600}


# --- every variable typed, parsed once, refused with one clear message ----------------------------------------

BAD_VALUES = [
    ("TROLY_LOG_RETENTION_DAYS", "0"),
    ("TROLY_BOT_WORKERS", "nhiều"),
    ("TROLY_REMINDER_INTERVAL", "nửa phút"),
    ("TROLY_REMINDER_HOUR", "25"),
    ("TROLY_REMINDER_HOUR", "22"),  # inside the quiet hours 21-7
    ("TROLY_REMINDER_WEEKENDS", "thỉnh thoảng"),
    ("TROLY_QUIET_HOURS", "7-21"),  # must span midnight
    ("TROLY_QUERY_THREADS", "0"),
    ("TROLY_BATCH_THREADS", "bốn"),
    ("TROLY_LLM_TIMEOUT", "-1"),
    ("TROLY_LLM_MAX_RETRIES", "một"),
    ("TROLY_LLM_COOLDOWN", "nan"),
    ("TROLY_LLM_TEMPERATURE", "ấm"),
    ("TROLY_LLM_MAX_TOKENS", "0"),
    ("TROLY_FAKE_NOW", "thứ Hai"),
]


@pytest.mark.parametrize(("name", "value"), BAD_VALUES)
def test_a_bad_value_is_one_vietnamese_error_naming_the_variable_with_an_example(
    name: str, value: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({name: value}, dotenv=False)
    message = str(caught.value)
    assert message.startswith(name) and "ví dụ" in message, message


@pytest.mark.parametrize(("name", "value"), [BAD_VALUES[1], BAD_VALUES[4], BAD_VALUES[9]])
def test_a_bad_value_stops_every_command_before_it_does_anything(
    tmp_path: Path, name: str, value: str
) -> None:
    for command in (["tasks", "report"], ["bot"], ["doctor"]):
        result = CliRunner().invoke(app, command, env=_env(tmp_path, **{name: value}))
        assert result.exit_code == 2, (command, result.output)
        assert result.stderr.startswith(f"Cấu hình sai: {name}=") and "Traceback" not in result.output
    assert not (tmp_path / "home").exists()  # nothing was created


def test_every_documented_variable_is_a_typed_setting(tmp_path: Path) -> None:
    import re

    docs = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")
    table = docs.split("## §1.", 1)[1].split("## §2.", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `") and "(planned)" not in line]
    documented = {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row)}
    source = (Path(__file__).resolve().parents[2] / "troly" / "config.py").read_text(encoding="utf-8")
    # TELEGRAM_WEBHOOK_SECRET is the `--secret-token` option's variable (typer reads it with the option)
    parsed_elsewhere = {"TELEGRAM_WEBHOOK_SECRET"}
    assert {n for n in documented if f'"{n}"' not in source} == parsed_elsewhere
    assert {"TROLY_BOT_WORKERS", "TROLY_QUERY_THREADS", "TROLY_FAKE_NOW", "OLLAMA_HOST"} <= documented


def test_the_settings_compose_what_each_domain_needs(tmp_path: Path) -> None:
    env = {
        "TROLY_HOME": str(tmp_path / "home"),
        "TROLY_TIMEZONE": "Asia/Bangkok",
        "TROLY_CACHE": str(tmp_path / "cache"),
        "TROLY_BOT_USERNAME": "@TroLyCongVuBot",
        "TROLY_BOT_WORKERS": "6",
        "TROLY_REMINDER_INTERVAL": "0",
        "TROLY_REMINDER_HOUR": "9",
        "TROLY_REMINDER_WEEKENDS": "1",
        "TROLY_QUIET_HOURS": "22-6",
        "TROLY_REPORT_PLACE": "Thanh Hóa",
        "TROLY_HOLIDAYS_FILE": str(tmp_path / "nghi.yaml"),
        "TROLY_QUERY_THREADS": "2",
        "TROLY_BATCH_THREADS": "3",
        "TROLY_LLM": "ollama:qwen2.5:7b",
        "TROLY_LLM_TIMEOUT": "7.5",
        "TROLY_LLM_MAX_TOKENS": "300",
        "OLLAMA_HOST": "http://127.0.0.1:11434",
        "TROLY_FAKE_NOW": "2026-11-23 08:00",
    }
    s = Settings.from_env(env, dotenv=False)
    assert s.retrieval.index_dir == s.index_dir == tmp_path / "home" / "index"
    assert s.retrieval.cache == s.cache == tmp_path / "cache"
    assert (s.retrieval.query_threads, s.retrieval.batch_threads) == (2, 3)
    llm = s.retrieval.llm
    assert (llm.spec, llm.timeout, llm.max_tokens, llm.ollama_base_url) == (
        "ollama:qwen2.5:7b", 7.5, 300, "http://127.0.0.1:11434"
    )  # fmt: skip
    assert s.llm == "ollama:qwen2.5:7b"
    t = s.tasks
    assert t.tz.key == "Asia/Bangkok" and t.holidays_file == tmp_path / "nghi.yaml"
    assert (t.reminder_hour, t.reminder_weekends, t.quiet_start, t.quiet_end) == (9, True, 22, 6)
    assert t.report_place == "Thanh Hóa"
    b = s.bot
    assert (b.username, b.workers, b.reminder_interval) == ("TroLyCongVuBot", 6, None)
    assert (
        b.fake_now is not None and b.fake_now.isoformat() == "2026-11-23T01:00:00+00:00"
    )  # 08:00 in Bangkok
    defaults = Settings.from_env({"TROLY_HOME": str(tmp_path)}, dotenv=False)
    assert (defaults.bot.workers, defaults.bot.reminder_interval, defaults.retrieval.llm.spec) == (
        None,
        30,
        None,
    )


def test_python_m_bot_stops_on_a_bad_value_like_troly_bot(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TROLY_", "TELEGRAM_"))}
    env.update(TROLY_HOME=str(tmp_path / "home"), TROLY_BOT_WORKERS="x", PYTHONPATH=str(root))
    res = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 2, res.stderr
    assert res.stderr.startswith("Cấu hình sai: TROLY_BOT_WORKERS='x'") and "Traceback" not in res.stderr
