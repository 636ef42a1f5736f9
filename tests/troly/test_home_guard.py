"""The session guard of tests/home_guard.py: a test process gets a temporary TROLY_HOME, and a suite that
creates or changes the default `./.troly` fails even when all its tests pass."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

INNER = """
import os
from pathlib import Path
from troly.config import Settings

def test_home_is_temporary():
    home = Settings.from_env().home
    assert home != Path(".troly") and "troly-test-home-" in str(home)
    assert Settings.from_env().database_url == f"sqlite:///{home.as_posix()}/troly.db"
    assert Settings.from_env().chroma_url is None
    (home / "troly.db").write_text("x")  # allowed: it is the temporary folder
    Path("home.txt").write_text(str(home))

def test_writes_default_folder():
    if os.environ.get("WRITE_DEFAULT"):
        Path(".troly").mkdir(exist_ok=True)
        Path(".troly/troly.db").write_text("oops")
"""


def run_inner(tmp_path: Path, *, write_default: bool) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_inner.py").write_text(INNER, encoding="utf-8")
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(ROOT),
        WRITE_DEFAULT="1" if write_default else "",
        TROLY_HOME=str(tmp_path / "production"),  # as if the developer's shell pointed at real data
        TROLY_DATABASE_URL="postgresql+psycopg://troly@127.0.0.1:9/production",
        TROLY_CHROMA_URL="http://127.0.0.1:9",
    )
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.home_guard", "-p", "no:cacheprovider", "test_inner.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_a_suite_that_leaves_the_default_folder_alone_passes(tmp_path: Path) -> None:
    result = run_inner(tmp_path, write_default=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
    assert not (tmp_path / ".troly").exists() and not (tmp_path / "production").exists()
    home = Path((tmp_path / "home.txt").read_text(encoding="utf-8"))
    assert not home.exists()  # the temporary home is removed at the end of the session


def test_a_suite_that_writes_the_default_folder_fails(tmp_path: Path) -> None:
    result = run_inner(tmp_path, write_default=True)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "2 passed" in result.stdout  # every test passed, the session still fails
    assert "created or changed a real data folder" in result.stdout
    assert str(tmp_path / ".troly") in result.stdout
