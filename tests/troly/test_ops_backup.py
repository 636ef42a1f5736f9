"""`troly backup` / `troly restore` / `troly reset`: one 0600 archive that round-trips an installation.

Run through the real `troly` Typer app (in-process) on SQLite and on PostgreSQL (a scratch database per test):
the roster, the tasks, the index folder, the files handed in and `.env` come back identical; restore and reset
refuse to destroy data without `--yes`; a Chroma server's index is named, not archived.
"""

from __future__ import annotations

import json
import sqlite3
import stat
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from troly.cli import app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ENV_TEXT = (
    "TELEGRAM_BOT_TOKEN=123456789:AAHfake-token-for-tests-0123456789abc\nTROLY_REPORT_PLACE=Thanh Hóa\n"
)


class Install:
    """A fake installation: a working folder (with `.env`), a data folder and a database URL."""

    def __init__(self, work: Path, home: Path, database_url: str) -> None:
        self.work, self.home, self.database_url = work, home, database_url
        self.runner = CliRunner()

    def run(self, *args: str, code: int = 0) -> Result:
        env = {"TROLY_HOME": str(self.home), "TROLY_DATABASE_URL": self.database_url, "TROLY_CHROMA_URL": ""}
        result = self.runner.invoke(app, list(args), env=env)
        assert result.exit_code == code, (args, result.stdout, result.stderr, result.exception)
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)

    def state(self) -> dict[str, Any]:
        """Everything a restore must bring back, in comparable form."""
        files = {
            p.relative_to(self.home).as_posix(): p.read_bytes()
            for sub in ("index", "files")
            for p in sorted((self.home / sub).rglob("*"))
            if p.is_file() and not p.name.endswith(".sqlite3")
        }
        chroma = self.home / "index" / "chroma" / "chroma.sqlite3"
        rows = (
            sqlite3.connect(chroma).execute("SELECT k, v FROM kv ORDER BY k").fetchall()
            if chroma.exists()
            else []
        )
        env = (self.work / ".env").read_text(encoding="utf-8") if (self.work / ".env").exists() else None
        return {
            "officials": self.json("officials", "list"),
            "report": self.json("tasks", "report"),
            "files": files,
            "chroma_rows": rows,
            "env": env,
        }


def populate(inst: Install) -> None:
    inst.run("officials", "import", str(EXAMPLES / "officials.xlsx"))
    inst.run("tasks", "import", str(EXAMPLES / "tasks.xlsx"))
    index = inst.home / "index"
    (index / "bm25").mkdir(parents=True)
    (index / "manifest.json").write_text('{"model_id": "m-1", "files": {"a.md": {}}}', encoding="utf-8")
    (index / "bm25" / "data.bin").write_bytes(bytes(range(256)) * 10)
    (index / "chroma").mkdir()
    with sqlite3.connect(index / "chroma" / "chroma.sqlite3") as conn:  # stands for Chroma's own SQLite file
        conn.execute("CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT)")
        conn.executemany("INSERT INTO kv VALUES (?, ?)", [("a", "vectơ 1"), ("b", "vectơ 2")])
    (inst.home / "files" / "NV-001").mkdir(parents=True)
    (inst.home / "files" / "NV-001" / "bao-cao.docx").write_bytes(b"PK\x03\x04 san pham nop qua bot")
    (inst.work / ".env").write_text(ENV_TEXT, encoding="utf-8")


@pytest.fixture
def make_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest):
    """`make_install(name)` → an Install on the test's backend; the working folder becomes the cwd."""
    backend = request.param

    def make(name: str) -> Install:
        work = tmp_path / name
        work.mkdir()
        monkeypatch.chdir(work)
        if backend == "sqlite":
            url = f"sqlite:///{work / 'data' / 'troly.db'}"
        else:
            url = request.getfixturevalue("pg_databases").create().render_as_string(hide_password=False)
        return Install(work, work / "data", url)

    return make


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.mark.parametrize("make_install", BACKENDS, indirect=True)
def test_backup_then_restore_in_place_round_trips(
    make_install: Callable[[str], Install], tmp_path: Path
) -> None:
    inst = make_install("office")
    populate(inst)
    before = inst.state()
    assert before["officials"] and before["report"]["total"] == 150

    archive = tmp_path / "backups" / "troly-2026-11-30.tar.gz"
    out = inst.run("backup", str(archive)).stdout
    assert "Đã sao lưu" in out and "cơ sở dữ liệu" in out and "tệp đã nộp" in out
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600  # token and personal data inside
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        manifest = json.loads(tar.extractfile("troly-backup.json").read())  # type: ignore[union-attr]
    dump = "database/troly.db" if inst.database_url.startswith("sqlite") else "database/troly.dump"
    assert {
        dump,
        "index/manifest.json",
        "index/chroma/chroma.sqlite3",
        "files/NV-001/bao-cao.docx",
        "env/.env",
    } <= names
    assert manifest["format"] == 1 and manifest["index"] and manifest["files"] and manifest["env"]

    # Damage everything, then restore over it.
    extra = inst.work / "them.csv"
    extra.write_text(
        "Mã cán bộ,Họ và tên,Chức vụ,Đơn vị,Đơn vị cấp trên,Số điện thoại,Telegram,Vai trò\n"
        "CB999,Người Mới,Chuyên viên,Sở Nội vụ,,0900000999,,cán bộ\n",
        encoding="utf-8",
    )
    inst.run("officials", "import", str(extra))
    assert inst.state()["officials"] != before["officials"]
    (inst.home / "files" / "NV-001" / "bao-cao.docx").write_bytes(b"overwritten")
    (inst.work / ".env").write_text("TELEGRAM_BOT_TOKEN=changed\n", encoding="utf-8")
    refused = inst.run("restore", str(archive), code=1)
    assert "--yes" in refused.stderr and "GHI ĐÈ" in refused.stderr
    assert (inst.work / ".env").read_text(encoding="utf-8") == "TELEGRAM_BOT_TOKEN=changed\n"  # untouched

    out = inst.run("restore", str(archive), "--yes").stdout
    assert "Đã khôi phục" in out and ".env.from-backup" in out
    # this machine's .env is never overwritten: the archived one is put beside it, private
    assert (inst.work / ".env").read_text(encoding="utf-8") == "TELEGRAM_BOT_TOKEN=changed\n"
    saved = inst.work / ".env.from-backup"
    assert saved.read_text(encoding="utf-8") == ENV_TEXT and stat.S_IMODE(saved.stat().st_mode) == 0o600
    (inst.work / ".env").write_text(ENV_TEXT, encoding="utf-8")
    assert inst.state() == before


@pytest.mark.parametrize("make_install", BACKENDS, indirect=True)
def test_restore_on_a_new_machine_needs_no_yes(
    make_install: Callable[[str], Install], tmp_path: Path
) -> None:
    old = make_install("old")
    populate(old)
    before = old.state()
    archive = tmp_path / "b.tar.gz"
    old.run("backup", str(archive))

    new = make_install("new")  # empty data folder, empty database, no .env yet
    new.run("restore", str(archive))
    assert new.state() == before
    assert stat.S_IMODE((new.work / ".env").stat().st_mode) == 0o600
    if new.database_url.startswith("sqlite"):  # the restored database and its new folder: owner only
        assert stat.S_IMODE((new.home / "troly.db").stat().st_mode) == 0o600
        assert stat.S_IMODE(new.home.stat().st_mode) == 0o700


@pytest.mark.parametrize("make_install", BACKENDS, indirect=True)
def test_reset_refuses_without_yes_then_clears(make_install: Callable[[str], Install]) -> None:
    inst = make_install("office")
    populate(inst)
    (inst.home / "notes.txt").write_text("not ours", encoding="utf-8")

    refused = inst.run("reset", code=1)
    assert "--yes" in refused.stderr and "XOÁ VĨNH VIỄN" in refused.stderr
    assert len(inst.json("officials", "list")["officials"]) == 33

    out = inst.run("reset", "--yes").stdout
    assert "Đã xoá" in out and "index" in out and "files" in out
    assert not (inst.home / "index").exists() and not (inst.home / "files").exists()
    assert (inst.home / "notes.txt").exists()  # only what the product created is removed
    assert inst.json("officials", "list")["officials"] == []  # a fresh, migrated database
    assert inst.json("tasks", "report")["total"] == 0
    assert (
        ("mọi bảng của cơ sở dữ liệu PostgreSQL" in out)
        if inst.database_url.startswith("postgresql")
        else ("troly.db" in out)
    )


def test_backup_with_a_chroma_server_says_the_index_is_not_inside(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    home = tmp_path / "data"
    env = {"TROLY_HOME": str(home), "TROLY_DATABASE_URL": "", "TROLY_CHROMA_URL": "http://127.0.0.1:8000"}
    runner = CliRunner()
    assert (
        runner.invoke(app, ["officials", "import", str(EXAMPLES / "officials.xlsx")], env=env).exit_code == 0
    )
    (home / "index").mkdir()
    (home / "index" / "manifest.json").write_text("{}", encoding="utf-8")
    result = runner.invoke(app, ["backup", str(tmp_path / "b.tar.gz")], env=env)
    assert result.exit_code == 0, result.stdout
    assert "KHÔNG gồm" in result.stdout and "máy chủ Chroma http://127.0.0.1:8000" in result.stdout
    with tarfile.open(tmp_path / "b.tar.gz") as tar:
        assert not any(n.startswith("index") for n in tar.getnames())


def test_restore_rejects_a_file_that_is_not_a_backup(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    bogus = tmp_path / "bogus.tar.gz"
    bogus.write_bytes(b"not a tar file")
    env = {"TROLY_HOME": str(tmp_path / "data"), "TROLY_DATABASE_URL": "", "TROLY_CHROMA_URL": ""}
    result = CliRunner().invoke(app, ["restore", str(bogus)], env=env)
    assert result.exit_code == 1
    assert "không phải bản sao lưu" in result.stderr
    assert not (tmp_path / "data" / "troly.db").exists()


@pytest.mark.slow  # needs the cached index of the corpus (built once, minutes, when missing)
def test_a_real_embedded_chroma_index_survives_backup_and_restore(tmp_path: Path, monkeypatch) -> None:
    import chromadb

    from tests.engine_fixtures import copy_index_to

    monkeypatch.chdir(tmp_path)
    old = copy_index_to(tmp_path / "old")
    runner = CliRunner()
    env = {"TROLY_HOME": str(old), "TROLY_DATABASE_URL": "", "TROLY_CHROMA_URL": ""}
    assert (
        runner.invoke(app, ["officials", "import", str(EXAMPLES / "officials.xlsx")], env=env).exit_code == 0
    )
    assert runner.invoke(app, ["backup", str(tmp_path / "b.tar.gz")], env=env).exit_code == 0
    new = tmp_path / "new"
    result = runner.invoke(app, ["restore", str(tmp_path / "b.tar.gz")], env=env | {"TROLY_HOME": str(new)})
    assert result.exit_code == 0, result.stdout + result.stderr

    def vectors(home: Path) -> dict[str, int]:
        client = chromadb.PersistentClient(
            str(home / "index" / "chroma"), chromadb.Settings(anonymized_telemetry=False)
        )
        return {c.name: client.get_collection(c.name).count() for c in client.list_collections()}

    manifest = json.loads((new / "index" / "manifest.json").read_text(encoding="utf-8"))
    passages = json.loads((new / "index" / "passages.json").read_text(encoding="utf-8"))
    assert vectors(new) == vectors(old) == {manifest["collection"]: len(passages)}
    assert len(passages) > 100


@pytest.mark.parametrize("make_install", BACKENDS, indirect=True)
def test_restore_after_reset_calls_an_empty_schema_empty(
    make_install: Callable[[str], Install], tmp_path: Path
) -> None:
    inst = make_install("office")
    populate(inst)
    before = inst.state()
    archive = tmp_path / "b.tar.gz"
    inst.run("backup", str(archive))
    inst.run("reset", "--yes")
    assert inst.json("officials", "list")["officials"] == []  # any command creates an empty schema…
    inst.run("restore", str(archive))  # …which is not "existing data": no --yes needed
    assert inst.state() == before
    # A database holding rows still needs --yes.
    refused = inst.run("restore", str(archive), code=1)
    assert "đã có dữ liệu" in refused.stderr
