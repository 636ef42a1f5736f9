"""`troly backup FILE` / `troly restore FILE`: one tar.gz archive holding everything an installation needs.

Archive layout (format 1):
  troly-backup.json     what is inside: {"format", "created_at", "database": "sqlite"|"postgresql",
                        "index": bool, "chroma_url": str|null, "files": bool, "env": bool}
  database/troly.db     SQLite, copied with the online backup API (consistent while the bot runs), or
  database/troly.dump   PostgreSQL, `pg_dump --format=custom` (restored with `pg_restore`)
  index/...             $TROLY_HOME/index (its SQLite files also through the backup API); absent when a Chroma
                        server (TROLY_CHROMA_URL) holds the vectors: that server is backed up on its own
  files/...             $TROLY_HOME/files: files handed in or added in chat, when present
  env/.env              the `.env` file, when present (restored only where none exists, else beside it as
                        `.env.from-backup`)
The archive holds the bot token and personal data, so it is created with permissions 0600 and only renamed
into place once complete.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tasks.db import connect_reason, private_sqlite_file
from troly.config import Settings
from troly.ops.datahome import (
    SQLITE_SUFFIXES,
    Database,
    database_of,
    drop_tables,
    env_file,
    holds_data,
    own_entries,
)

FORMAT = 1
MANIFEST = "troly-backup.json"


class BackupError(RuntimeError):
    """A backup or restore that cannot go on; the message is Vietnamese and says what to do."""


@dataclass
class BackupReport:
    """What went into (or came out of) an archive, as Vietnamese lines for the operator."""

    archive: Path
    lines: list[str] = field(default_factory=list)
    size: int = 0


def backup(settings: Settings, archive: Path) -> BackupReport:
    """Write one archive of the installation to `archive` (mode 0600). Raises BackupError."""
    db = _database(settings)
    archive = archive.expanduser().resolve()
    report = BackupReport(archive)
    with tempfile.TemporaryDirectory(prefix="troly-backup-") as tmp:
        stage = Path(tmp)
        (stage / "database").mkdir()
        if db.kind == "sqlite":
            assert db.path is not None
            if not db.path.exists():
                raise BackupError(f"Chưa có cơ sở dữ liệu {db.path}: không có gì để sao lưu.")
            _sqlite_copy(db.path, stage / "database" / "troly.db")
        else:
            _pg_dump(db, stage / "database" / "troly.dump")
        report.lines.append(f"cơ sở dữ liệu: {db.label}")

        index = settings.index_dir
        has_index = False
        if settings.chroma_url:
            report.lines.append(
                f"chỉ mục: KHÔNG gồm trong bản sao lưu vì nằm trên máy chủ Chroma {settings.chroma_url} — "
                "sao lưu máy chủ đó riêng, hoặc chạy lại `troly ingest` sau khi khôi phục"
            )
        elif index.is_dir():
            _copy_tree(index, stage / "index", skip=archive)
            has_index = True
            report.lines.append(f"chỉ mục: {index}")
        else:
            report.lines.append("chỉ mục: chưa có (sẽ được lập khi chạy `troly ingest`)")

        files = settings.home / "files"
        has_files = files.is_dir()
        if has_files:
            _copy_tree(files, stage / "files", skip=archive)
            report.lines.append(f"tệp đã nộp/đã thêm: {files}")

        env = env_file()
        if env is not None:
            (stage / "env").mkdir()
            shutil.copy2(env, stage / "env" / ".env")
            report.lines.append(f"cấu hình: {env}")

        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": db.kind,
            "index": has_index,
            "chroma_url": settings.chroma_url,
            "files": has_files,
            "env": env is not None,
        }
        (stage / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        _write_archive(stage, archive)
    report.size = archive.stat().st_size
    return report


def restore_blockers(settings: Settings) -> list[str]:
    """Why a restore would overwrite data (empty list: safe without --yes). A `.env` never blocks: it is
    never overwritten (see `_restore_env`)."""
    db = _database(settings)
    sqlite_files = {Path(f"{db.path}{s}") for s in SQLITE_SUFFIXES} if db.path is not None else set()
    blockers = [
        str(p)
        for p in own_entries(settings.home, db)
        if p not in sqlite_files and not (p.is_dir() and not any(q.is_file() for q in p.rglob("*")))
    ]
    # An empty schema (any command creates one, e.g. after `troly reset`) is not data to protect.
    try:
        if holds_data(db):
            blockers.append(f"cơ sở dữ liệu {db.label} đã có dữ liệu")
    except Exception as exc:
        raise BackupError(f"Không kết nối được {db.label}: {connect_reason(exc)}") from exc
    return blockers


def restore(settings: Settings, archive: Path) -> BackupReport:
    """Replace the installation's data by the archive's. The caller checks `restore_blockers` first."""
    archive = archive.expanduser().resolve()
    if not archive.is_file():
        raise BackupError(f"Không thấy tệp sao lưu {archive}.")
    db = _database(settings)
    report = BackupReport(archive, size=archive.stat().st_size)
    with tempfile.TemporaryDirectory(prefix="troly-restore-") as tmp:
        stage = Path(tmp)
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(stage, filter="data")
            manifest = json.loads((stage / MANIFEST).read_text(encoding="utf-8"))
        except (tarfile.TarError, OSError, ValueError, EOFError) as exc:
            raise BackupError(f"{archive} không phải bản sao lưu của trợ lý ({exc}).") from exc
        if manifest.get("format") != FORMAT:
            raise BackupError(
                f"Bản sao lưu định dạng {manifest.get('format')} không được phiên bản này hỗ trợ."
            )
        if manifest.get("database") != db.kind:
            raise BackupError(
                f"Bản sao lưu chứa cơ sở dữ liệu {manifest.get('database')} nhưng TROLY_DATABASE_URL trỏ tới "
                f"{db.kind}: đặt TROLY_DATABASE_URL cùng loại rồi chạy lại."
            )

        if not settings.home.exists():
            settings.home.mkdir(parents=True, mode=0o700)
            settings.home.chmod(0o700)
        if db.kind == "sqlite":
            assert db.path is not None
            for suffix in ("-wal", "-shm", "-journal"):
                Path(f"{db.path}{suffix}").unlink(missing_ok=True)
            db.path.parent.mkdir(parents=True, exist_ok=True)
            db.path.unlink(missing_ok=True)
            private_sqlite_file(db.path)  # created 0600 before the copy fills it (personal data)
            _sqlite_copy(stage / "database" / "troly.db", db.path)
        else:
            _pg_restore(db, stage / "database" / "troly.dump")
        report.lines.append(f"cơ sở dữ liệu: {db.label}")

        for name, label in (("index", "chỉ mục"), ("files", "tệp đã nộp/đã thêm")):
            target = settings.home / name
            if (stage / name).is_dir():
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(stage / name, target)
                report.lines.append(f"{label}: {target}")
        if not manifest.get("index"):
            if manifest.get("chroma_url"):
                report.lines.append(
                    f"chỉ mục: không có trong bản sao lưu (nằm trên máy chủ Chroma {manifest['chroma_url']})"
                )
            else:
                report.lines.append("chỉ mục: không có trong bản sao lưu — chạy `troly ingest`")

        if (stage / "env" / ".env").is_file():
            report.lines.append(_restore_env(stage / "env" / ".env"))
    return report


def _restore_env(saved: Path) -> str:
    """Put the archived `.env` back, never over a different one: the settings of this machine (its database
    URL, for one) may be meant to differ, so the archived copy is then written beside it for the operator."""
    current = env_file()
    if current is None:
        target = Path.cwd() / ".env"
        message = f"cấu hình: {target}"
    elif current.read_bytes() == saved.read_bytes():
        return f"cấu hình: {current} (không đổi)"
    else:
        target = current.with_name(".env.from-backup")
        message = (
            f"cấu hình: {current} đang có khác bản sao lưu nên được giữ nguyên; bản trong sao lưu ghi ở {target} "
            "(so sánh rồi chép những dòng cần thiết)"
        )
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(saved.read_bytes())
    return message


# -- pieces ----------------------------------------------------------------------------------------------
def _database(settings: Settings) -> Database:
    try:
        return database_of(settings)
    except ValueError as exc:
        raise BackupError(str(exc)) from exc


def _sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (WAL included) through `sqlite3.Connection.backup`."""
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    except sqlite3.Error as exc:
        raise BackupError(f"Không sao chép được cơ sở dữ liệu SQLite {source}: {exc}") from exc
    finally:
        dst.close()
        src.close()


def _copy_tree(source: Path, target: Path, *, skip: Path) -> None:
    """Copy a folder; SQLite files inside (Chroma's) through the backup API, the archive itself skipped."""
    for path in sorted(source.rglob("*")):
        if path.resolve() == skip:
            continue
        rel = path.relative_to(source)
        dest = target / rel
        if path.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
            continue
        if (
            path.name.endswith(("-wal", "-shm", "-journal"))
            and path.with_name(path.name.rsplit("-", 1)[0]).exists()
        ):
            continue  # folded into the main file by the backup API
        dest.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix in (".sqlite3", ".db") and _is_sqlite(path):
            _sqlite_copy(path, dest)
        else:
            shutil.copy2(path, dest)
    target.mkdir(parents=True, exist_ok=True)


def _is_sqlite(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(16) == b"SQLite format 3\x00"


def _write_archive(stage: Path, archive: Path) -> None:
    """tar.gz of `stage`, created 0600 next to its destination, then renamed into place."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    partial = archive.with_name(f".{archive.name}.partial-{os.getpid()}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            for entry in sorted(stage.iterdir()):
                tar.add(entry, arcname=entry.name)
        os.replace(partial, archive)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _run_pg_tool(args: list[str], what: str) -> None:
    if shutil.which(args[0]) is None:
        raise BackupError(f"Không tìm thấy lệnh {args[0]}: cài gói postgresql-client rồi chạy lại.")
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{what} thất bại: {result.stderr.strip() or result.stdout.strip()}")


def _pg_dump(db: Database, target: Path) -> None:
    _run_pg_tool(
        ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}", db.libpq_url()],
        f"pg_dump ({db.label})",
    )


def _pg_restore(db: Database, dump: Path) -> None:
    """Empty the target database, then load the dump in one transaction."""
    try:
        drop_tables(db)
    except Exception as exc:
        raise BackupError(f"Không làm trống được {db.label}: {exc}") from exc
    _run_pg_tool(
        [
            "pg_restore", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
            f"--dbname={db.libpq_url()}", str(dump),
        ],
        f"pg_restore ({db.label})",
    )  # fmt: skip
