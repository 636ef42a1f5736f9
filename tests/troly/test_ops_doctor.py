"""`troly doctor` on a healthy installation and on broken ones: each problem named, with a Vietnamese fix."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.engine_fixtures import copy_index_to
from troly.cli import app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
GOOD_TOKEN = "123456789:AAHfake-token-for-tests-0123456789abc"


def doctor(env: dict[str, str], *, code: int) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    result = CliRunner().invoke(app, ["doctor", "--json"], env=env)
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    data = json.loads(result.stdout)
    return data, {c["name"]: c for c in data["checks"]}


def base_env(home: Path) -> dict[str, str]:
    return {
        "TROLY_HOME": str(home),
        "TROLY_DATABASE_URL": "",
        "TROLY_CHROMA_URL": "",
        "TROLY_EMBEDDING_MODEL": "",
        "TROLY_TIMEZONE": "",
        "TELEGRAM_BOT_TOKEN": GOOD_TOKEN,
    }


@pytest.mark.slow  # needs the cached index of the corpus (built once, minutes, when missing)
def test_doctor_on_a_healthy_installation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    home = copy_index_to(tmp_path / "home")
    env = base_env(home)
    assert (
        CliRunner().invoke(app, ["officials", "import", str(EXAMPLES / "officials.xlsx")], env=env).exit_code
        == 0
    )

    data, checks = doctor(env, code=0)
    assert data["ok"] is True
    assert {c["status"] for c in data["checks"]} <= {"ok", "warn"}
    for name in (
        "Mã bot Telegram",
        "Múi giờ",
        "Cơ sở dữ liệu",
        "Lược đồ CSDL",
        "Mô hình nhúng",
        "Chỉ mục văn bản",
    ):
        assert checks[name]["status"] == "ok", checks[name]
    # the index built by the real engine is recognised as built by the configured model
    assert "khớp mô hình" in checks["Chỉ mục văn bản"]["message"]
    assert checks["Dung lượng đĩa"]["status"] in {"ok", "warn"}

    text = CliRunner().invoke(app, ["doctor"], env=env)
    assert text.exit_code == 0 and "✔ Cơ sở dữ liệu" in text.stdout and str(home) in text.stdout


def test_doctor_on_a_broken_installation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    home = tmp_path / "home"
    (home / "index").mkdir(parents=True)
    (home / "index" / "manifest.json").write_text('{"model_id": "mo-hinh-khac-123", "files": {"a.md": {}}}')
    (home / "index" / "passages.json").write_text("[]")
    env = base_env(home) | {
        "TELEGRAM_BOT_TOKEN": "abc",  # pasted wrong
        "TROLY_TIMEZONE": "Asia/Ha_Noi",  # not a zone name
        "TROLY_DATABASE_URL": "postgresql+psycopg://troly@127.0.0.1:1/troly",  # nothing listens there
    }
    data, checks = doctor(env, code=1)
    assert data["ok"] is False
    expected = {
        "Mã bot Telegram": "@BotFather",
        "Múi giờ": "Asia/Ho_Chi_Minh",
        "Cơ sở dữ liệu": "TROLY_DATABASE_URL",
        "Chỉ mục văn bản": "troly ingest",
    }
    for name, hint in expected.items():
        assert checks[name]["status"] == "error", checks[name]
        assert hint in checks[name]["fix"], checks[name]
    assert "mo-hinh-khac-123" in checks["Chỉ mục văn bản"]["message"]
    assert "Lược đồ CSDL" not in checks  # unreachable database: reported once, not twice

    text = CliRunner().invoke(app, ["doctor"], env=env)
    assert text.exit_code == 1
    assert (
        "✘ Mã bot Telegram" in text.stdout and "→ Cách sửa:" in text.stdout and "lỗi cần sửa" in text.stdout
    )


def test_doctor_flags_missing_token_model_and_a_database_newer_than_the_software(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    home = tmp_path / "home"
    env = base_env(home) | {"TELEGRAM_BOT_TOKEN": "", "TROLY_EMBEDDING_MODEL": str(tmp_path / "khong-co")}
    assert (
        CliRunner().invoke(app, ["officials", "import", str(EXAMPLES / "officials.xlsx")], env=env).exit_code
        == 0
    )
    with sqlite3.connect(home / "troly.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_future'")

    _, checks = doctor(env, code=1)
    assert (
        checks["Mã bot Telegram"]["status"] == "error" and "chưa đặt" in checks["Mã bot Telegram"]["message"]
    )
    assert (
        checks["Mô hình nhúng"]["status"] == "error"
        and "TROLY_EMBEDDING_MODEL" in checks["Mô hình nhúng"]["fix"]
    )
    assert (
        checks["Lược đồ CSDL"]["status"] == "error"
        and "mới hơn phần mềm" in checks["Lược đồ CSDL"]["message"]
    )
    assert checks["Chỉ mục văn bản"]["status"] == "warn"  # no index yet: works, but ingest first


def test_doctor_on_a_fresh_machine_points_to_the_roster_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    home = tmp_path / "home"
    env = base_env(home)
    _, checks = doctor(env, code=0)  # nothing essential is broken on a fresh machine with a token
    assert checks["Cơ sở dữ liệu"]["status"] == "warn"
    assert "troly officials import" in checks["Cơ sở dữ liệu"]["fix"]
    assert not home.exists()  # the doctor looks, it never creates anything

    home.mkdir()
    (home / "troly.db").touch()  # an empty SQLite database: reachable, no schema yet
    _, checks = doctor(env, code=0)
    assert checks["Cơ sở dữ liệu"]["status"] == "ok"
    assert checks["Lược đồ CSDL"]["status"] == "warn"
    assert "troly officials import" in checks["Lược đồ CSDL"]["fix"]


def test_doctor_warns_about_a_world_readable_env_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env_path = tmp_path / ".env"
    env_path.write_text(f"TELEGRAM_BOT_TOKEN={GOOD_TOKEN}\n", encoding="utf-8")
    env_path.chmod(0o644)
    _, checks = doctor(base_env(tmp_path / "home"), code=0)  # a warning, not an error
    assert (
        checks["Tệp cấu hình .env"]["status"] == "warn" and "chmod 600" in checks["Tệp cấu hình .env"]["fix"]
    )
    env_path.chmod(0o600)
    _, checks = doctor(base_env(tmp_path / "home"), code=0)
    assert checks["Tệp cấu hình .env"]["status"] == "ok"
