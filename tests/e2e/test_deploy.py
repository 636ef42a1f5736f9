"""Deployment files: the systemd unit passes `systemd-analyze verify`; the compose file parses and wires the bot
to PostgreSQL and a Chroma server through the documented variables; the Dockerfile runs the bot (images are
not built here)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
CLI_DOC = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
GUIDE = (ROOT / "docs" / "trien-khai.md").read_text(encoding="utf-8")


def documented(name: str) -> bool:
    return f"`{name}`" in CLI_DOC or name in {"POSTGRES_PASSWORD", "PYTHONUNBUFFERED"}


@pytest.mark.parametrize("name", ["troly-bot.service", "troly-bot@.service", "troly-chroma.service"])
def test_systemd_unit_verifies(tmp_path: Path, name: str) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed on this machine (the unit file is checked where it is)")
    # The units name /opt/troly; verify a copy pointing at a stand-in install so ExecStart exists.
    install = tmp_path / "opt-troly"
    (install / ".venv" / "bin").mkdir(parents=True)
    for program in ("troly", "chroma"):
        stub = install / ".venv" / "bin" / program
        stub.write_text("#!/bin/sh\n", encoding="utf-8")
        stub.chmod(0o755)
    (install / ".env").write_text("TELEGRAM_BOT_TOKEN=x\n", encoding="utf-8")
    unit = tmp_path / name.replace("@.", "@8443.")  # a template is verified as one of its instances
    unit.write_text((DEPLOY / name).read_text(encoding="utf-8").replace("/opt/troly", str(install)))
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    problems = [line for line in (result.stdout + result.stderr).splitlines() if unit.name in line]
    assert result.returncode == 0 and not problems, result.stdout + result.stderr


def test_systemd_unit_runs_the_bot_as_an_unprivileged_user_with_a_private_data_folder() -> None:
    text = (DEPLOY / "troly-bot.service").read_text(encoding="utf-8")
    settings = dict(re.findall(r"^(\w+)=(.*)$", text, flags=re.M))
    assert settings["ExecStart"].endswith("troly bot")
    assert settings["User"] == "troly" and settings["Restart"] == "on-failure"
    assert settings["EnvironmentFile"].endswith(".env") and settings["UMask"] == "0077"
    for name in re.findall(r"^Environment=(\w+)=", text, flags=re.M):
        assert documented(name), name
    assert "troly-bot.service" in GUIDE and "troly-chroma.service" in GUIDE


def test_the_template_unit_runs_one_webhook_process_per_port_behind_nginx() -> None:
    text = (DEPLOY / "troly-bot@.service").read_text(encoding="utf-8")
    settings = dict(re.findall(r"^(\w+)=(.*)$", text, flags=re.M))
    assert re.fullmatch(
        r"\S+/troly bot --webhook https://\S+ --listen 127\.0\.0\.1 --port %i", settings["ExecStart"]
    )
    assert settings["User"] == "troly" and settings["EnvironmentFile"].endswith(".env")
    # the same data folder and rules as the single unit (only the command differs)
    single = dict(
        re.findall(r"^(\w+)=(.*)$", (DEPLOY / "troly-bot.service").read_text(encoding="utf-8"), flags=re.M)
    )
    for key in ("UMask", "StateDirectory", "ReadWritePaths", "ProtectSystem", "Restart"):
        assert settings[key] == single[key], key
    assert "troly-bot@.service" in GUIDE and "upstream" in GUIDE


def test_compose_file_parses_and_wires_bot_postgres_and_chroma() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"bot", "postgres", "chroma"}
    bot = services["bot"]
    env = bot["environment"]
    assert (
        env["TROLY_DATABASE_URL"].startswith("postgresql+psycopg://")
        and "@postgres:5432/" in env["TROLY_DATABASE_URL"]
    )
    assert env["TROLY_CHROMA_URL"] == "http://chroma:8000"
    assert "TELEGRAM_BOT_TOKEN" in env and env["TROLY_HOME"] == "/data"
    for name in env:
        assert documented(name), f"{name} is used by compose.yaml but not documented in docs/cli.md"
    assert services["chroma"]["command"][:2] == ["chroma", "run"] and "8000" in services["chroma"]["command"]
    assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["postgres"]["environment"]["POSTGRES_DB"] == "troly"
    # every ${VARIABLE} the file reads is in the example env file
    raw = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    example = (DEPLOY / "env.example").read_text(encoding="utf-8")
    for name in set(re.findall(r"\$\{(\w+)", raw)):
        assert re.search(rf"^{name}=", example, flags=re.M), name
    assert "compose.yaml" in GUIDE


def test_dockerfile_builds_the_model_and_runs_the_bot() -> None:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.1[1-9]", text, flags=re.M)
    assert "tesseract-ocr-vie" in text and "postgresql-client" in text  # OCR; pg_dump for `troly backup`
    assert "troly model build" in text and 'CMD ["troly", "bot"]' in text
    assert "USER troly" in text
