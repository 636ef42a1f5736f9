"""What belongs to an installation: the data folder's own entries, the database and the `.env` file.

Shared by `reset`, `backup` and `doctor` so that all three agree on what "the data" is. Only entries the
product itself creates are ever removed or overwritten; anything else found in `TROLY_HOME` is left alone,
so a mistyped `TROLY_HOME=~` can never wipe a home folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dotenv import find_dotenv
from sqlalchemy.engine import URL

from troly.config import Settings

SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")
# Entries of $TROLY_HOME the product creates: vector + word index, files handed in or added in chat, logs.
OWN_FOLDERS = ("index", "files", "logs")


@dataclass(frozen=True)
class Database:
    """The configured database: `kind` is "sqlite" or "postgresql"; `path` is the SQLite file (else None)."""

    url: URL
    kind: str
    path: Path | None

    @property
    def label(self) -> str:
        if self.path is not None:
            return f"SQLite {self.path}"
        from tasks.db import shown_url

        return f"PostgreSQL {shown_url(self.url)}"

    def libpq_url(self) -> str:
        """`postgresql://user:pw@host:port/db` for pg_dump / pg_restore / psql (no SQLAlchemy driver part)."""
        return self.url.set(drivername="postgresql").render_as_string(hide_password=False)


def database_of(settings: Settings) -> Database:
    """Parse `TROLY_DATABASE_URL` (or the default SQLite file). Raises ValueError for other back-ends."""
    from tasks.db import normalize_url

    url = normalize_url(settings.database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        raw = url.database or ""
        if not raw or raw == ":memory:" or raw.startswith("file:"):
            raise ValueError(
                f"Cơ sở dữ liệu SQLite '{raw or ':memory:'}' không phải một tệp: không sao lưu được."
            )
        return Database(url, "sqlite", Path(raw).expanduser())
    if backend == "postgresql":
        return Database(url, "postgresql", None)
    raise ValueError(f"Chỉ hỗ trợ SQLite và PostgreSQL, không hỗ trợ '{backend}'.")


def own_entries(home: Path, db: Database | None) -> list[Path]:
    """Existing entries of the data folder that belong to the product (SQLite files only when inside it)."""
    found: list[Path] = []
    if db is not None and db.path is not None:
        found += [p for p in (Path(f"{db.path}{s}") for s in SQLITE_SUFFIXES) if p.exists()]
    found += [home / name for name in OWN_FOLDERS if (home / name).exists()]
    # The default file name, even when TROLY_DATABASE_URL points elsewhere, is still ours.
    found += [p for p in (home / f"troly.db{s}" for s in SQLITE_SUFFIXES) if p.exists() and p not in found]
    return found


def env_file() -> Path | None:
    """The `.env` file the settings read: the working folder's, or the nearest one above it."""
    found = find_dotenv(usecwd=True)
    return Path(found) if found else None


def has_tables(db: Database) -> bool:
    """Whether the database holds any table (connects; raises SQLAlchemy errors when unreachable)."""
    from sqlalchemy import inspect

    from tasks.db import make_engine

    engine = make_engine(db.url)
    try:
        return bool(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def holds_data(db: Database) -> bool:
    """Whether the database holds any row (officials, units, tasks, audit, question log…): a schema alone,
    created by any command after `troly reset` or on a new machine, is still an empty database. The Alembic
    version table does not count. A missing SQLite file holds nothing. Raises SQLAlchemy errors when the
    server cannot be reached."""
    from sqlalchemy import MetaData, func, select

    from tasks.db import make_engine

    if db.path is not None and not db.path.exists():
        return False
    engine = make_engine(db.url)
    try:
        meta = MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            for table in meta.sorted_tables:
                if table.name == "alembic_version":
                    continue
                if conn.execute(select(func.count()).select_from(table)).scalar():
                    return True
        return False
    finally:
        engine.dispose()


def drop_tables(db: Database) -> None:
    """Drop every table (and, on PostgreSQL, every enum type) so the schema is re-created on next use."""
    from sqlalchemy import MetaData, text

    from tasks.db import make_engine

    engine = make_engine(db.url)
    try:
        meta = MetaData()
        meta.reflect(engine)
        meta.drop_all(engine)
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                enums = conn.execute(
                    text(
                        "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                        "WHERE n.nspname = current_schema() AND t.typtype = 'e'"
                    )
                ).scalars()
                for name in list(enums):
                    conn.execute(text(f'DROP TYPE IF EXISTS "{name}" CASCADE'))
    finally:
        engine.dispose()
