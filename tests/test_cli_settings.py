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

    examples = Path(__file__).resolve().parent.parent / "examples"
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
