"""`make demo` runs in its own data folder and never touches the production one.

The production data folder is `TROLY_HOME` (default `./.troly`), possibly with a database or a Chroma server
named in the shell or in `.env`. The demo's steps (`make demo-run`, what `make demo` runs after installing)
are run for real with such a production setup in the environment: the demo folder gets the sample data,
the production folder, database and the repository's `./.troly` stay exactly as they were.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.engine_fixtures import copy_index_to
from tests.home_guard import snapshot

ROOT = Path(__file__).resolve().parents[2]
TROLY = f"{shlex.quote(sys.executable)} -m troly"


def production_env(tmp_path: Path) -> dict[str, str]:
    """An environment as on an office machine: TROLY_HOME, a database and a Chroma server all set."""
    prod = tmp_path / "prod"
    prod.mkdir()
    with sqlite3.connect(prod / "troly.db") as conn:
        conn.execute("CREATE TABLE marker (note TEXT)")
        conn.execute("INSERT INTO marker VALUES ('dữ liệu thật của tỉnh')")
    (prod / "index").mkdir()
    (prod / "index" / "manifest.json").write_text('{"model_id": "production"}', encoding="utf-8")
    env = dict(os.environ)
    env.update(
        TROLY_HOME=str(prod),
        TROLY_DATABASE_URL=f"sqlite:///{prod / 'troly.db'}",
        TROLY_CHROMA_URL="http://127.0.0.1:9",  # would fail loudly if the demo tried to use it
    )
    return env


def test_every_demo_command_carries_the_demo_settings(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    dry = subprocess.run(
        ["make", "--no-print-directory", "-n", "-C", str(ROOT), "demo-run", f"DEMO_HOME={demo}", "TROLY=troly"],
        capture_output=True, text=True, check=True, env=production_env(tmp_path),
    )  # fmt: skip
    commands = [line for line in dry.stdout.splitlines() if " troly " in f" {line} " and "echo" not in line]
    assert len(commands) >= 6
    for line in commands:
        assert f"TROLY_HOME={demo} " in line
        assert f"TROLY_DATABASE_URL=sqlite:///{demo}/troly.db " in line
        assert "TROLY_CHROMA_URL= " in line
    clean = subprocess.run(
        ["make", "--no-print-directory", "-n", "-C", str(ROOT), "demo-clean", f"DEMO_HOME={demo}", "TROLY=troly"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert f"TROLY_HOME={demo} " in clean.stdout and "reset --yes" in clean.stdout


@pytest.mark.slow  # loads the embedding model (ingest check + three questions)
def test_demo_runs_in_its_own_folder_and_leaves_production_untouched(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    prod = Path(env["TROLY_HOME"])
    demo = copy_index_to(tmp_path / "demo")  # the corpus already indexed: ingest finds nothing to do
    before = {folder: snapshot(folder) for folder in (prod, ROOT / ".troly")}

    run = subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), "demo-run", f"DEMO_HOME={demo}", f"TROLY={TROLY}"],
        capture_output=True, text=True, env=env, timeout=900,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert f"DÙNG THỬ với dữ liệu mẫu (33 cán bộ, 150 nhiệm vụ) trong thư mục riêng {demo}" in run.stdout
    assert "Dữ liệu thật (TROLY_HOME, mặc định ./.troly) không bị động đến" in run.stdout
    assert "28/11/2025" in run.stdout  # Kết luận 221-KL/TW answered from the demo index

    with sqlite3.connect(demo / "troly.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM officials").fetchone()[0] == 33
        assert conn.execute("SELECT COUNT(*) FROM tasks").fetchone()[0] == 150
    assert {folder: snapshot(folder) for folder in before} == before
    with sqlite3.connect(prod / "troly.db") as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"marker"}
