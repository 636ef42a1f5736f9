"""Session guard: the test suite never touches a real data folder.

At start-up every test process gets a private, temporary `TROLY_HOME` and an empty `TROLY_DATABASE_URL` /
`TROLY_CHROMA_URL` (an empty variable also wins over a `.env` file), so a test that forgets to set its own
folder still cannot reach the default `./.troly` or a production database named in the shell or in `.env`.
At the end the default folders (`./.troly` of the repository and of the working folder, and the `TROLY_HOME`
the suite was started with) are compared with a snapshot taken at start-up: any change fails the session.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
Snapshot = tuple[tuple[str, int, int], ...] | None
_state: dict[str, object] = {}


def snapshot(folder: Path) -> Snapshot:
    """(relative path, size, mtime_ns) of everything under `folder`; None when it does not exist."""
    if not folder.exists():
        return None
    entries = []
    for path in sorted(folder.rglob("*")):
        try:
            st = path.lstat()
        except FileNotFoundError:
            continue
        entries.append(
            (path.relative_to(folder).as_posix(), st.st_size if path.is_file() else 0, st.st_mtime_ns)
        )
    return tuple(entries)


def guarded_folders() -> list[Path]:
    folders = {ROOT / ".troly", Path.cwd() / ".troly"}
    if os.environ.get("TROLY_HOME"):
        folders.add(Path(os.environ["TROLY_HOME"]).expanduser())
    return sorted(folders)


def pytest_configure(config: pytest.Config) -> None:
    _state["snapshots"] = {folder: snapshot(folder) for folder in guarded_folders()}
    home = Path(tempfile.mkdtemp(prefix="troly-test-home-"))
    _state["home"] = home
    os.environ["TROLY_HOME"] = str(home)
    os.environ["TROLY_DATABASE_URL"] = ""
    os.environ["TROLY_CHROMA_URL"] = ""


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    snapshots: dict[Path, Snapshot] = _state.get("snapshots", {})  # type: ignore[assignment]
    touched = [folder for folder, before in snapshots.items() if snapshot(folder) != before]
    home = _state.get("home")
    if isinstance(home, Path):
        shutil.rmtree(home, ignore_errors=True)
    if touched:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = (
            "The test suite created or changed a real data folder: "
            + ", ".join(str(f) for f in touched)
            + ". Every test must use a temporary TROLY_HOME."
        )
        if reporter is not None:
            reporter.write_line(message, red=True, bold=True)
        else:
            print(message)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
