"""Opening the task database: engine, sessions and schema migrations.

The same code runs on SQLite (a file under TROLY_HOME; default for a single office machine) and on
PostgreSQL (`postgresql+psycopg://`, production). Opening a `Database` migrates it to the newest schema,
so an operator never has to run a separate migration step after upgrading the software.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from tasks.timeutil import DEFAULT_TZ

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def normalize_url(url: str | URL) -> URL:
    """Pick the installed PostgreSQL driver (psycopg 3) for plain `postgresql://` / `postgres://` URLs."""
    if isinstance(url, str) and url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def shown_url(url: str | URL) -> str:
    """`url` safe to print: the password replaced by `***` (messages, logs, `troly doctor`). An unparsable
    URL is shown as a placeholder rather than risk printing a secret."""
    try:
        return normalize_url(url).render_as_string(hide_password=True)
    except Exception:  # any parse failure: show nothing of it
        return "(TROLY_DATABASE_URL không đọc được)"


_CONNECT_REASONS = (
    ("password authentication failed", "sai tên người dùng hoặc mật khẩu"),
    ("could not translate host name", "không tìm thấy máy chủ (sai tên máy)"),
    ("name or service not known", "không tìm thấy máy chủ (sai tên máy)"),
    ("connection refused", "máy chủ không nhận kết nối (sai cổng, hoặc PostgreSQL chưa chạy)"),
    ("timeout", "quá thời gian chờ máy chủ trả lời"),
    ("timed out", "quá thời gian chờ máy chủ trả lời"),
    ("does not exist", "chưa có cơ sở dữ liệu hoặc người dùng này trên máy chủ"),
    ("unable to open database file", "không mở được tệp (thư mục không có hoặc không ghi được)"),
    ("no such host", "không tìm thấy máy chủ (sai tên máy)"),
    # psycopg's own resolver; "temporary failure" is what a machine without DNS (or the network) says
    ("failed to resolve host", "không tìm thấy máy chủ (sai tên máy)"),
    ("failure in name resolution", "không tìm thấy máy chủ (sai tên máy)"),
)


def connect_reason(exc: BaseException) -> str:
    """A short Vietnamese reason for a failed connection (no driver text, which may be English or long)."""
    text_ = str(exc).casefold()
    for needle, reason in _CONNECT_REASONS:
        if needle in text_:
            return reason
    return "lỗi kết nối; chạy `troly doctor` để xem chi tiết"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets the bot read while the CLI imports; foreign keys are off by default in SQLite."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def private_sqlite_file(path: Path) -> None:
    """Create a missing SQLite file (and its folder) readable by its owner only: folder 0700, file 0600.

    Why: the database holds officials' names, phone numbers and tasks. SQLite gives its -wal/-shm/-journal
    files the database file's permissions. An existing folder or file is left as the operator set it.
    """
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
        path.parent.chmod(0o700)  # mkdir's mode is filtered by the umask
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        return
    path.chmod(0o600)


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for `url`; for a SQLite file, its folder is created and the connection pragmas set."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            private_sqlite_file(Path(database).expanduser())
        engine = create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(parsed, **kwargs)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (the bot formats them after saving)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic `Config` built in code: the scripts live inside the package, no alembic.ini needed."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.set_main_option(
            "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
        )
    return config


MIGRATION_LOCK_ID = 7_215_038  # any constant: PostgreSQL advisory lock shared by every troly process


def upgrade(engine: Engine, revision: str = "head", *, tz: ZoneInfo = DEFAULT_TZ) -> None:
    """Migrate the database to `revision` (default: newest). A no-op when already there.

    `tz` (TROLY_TIMEZONE) reaches the migrations that turn stored instants into local dates
    (`config.attributes["timezone"]`): they never read the environment.

    On PostgreSQL an advisory lock makes the bot and a CLI started at the same moment migrate one
    after the other instead of both trying to create the same tables.
    """
    _migrate(engine, lambda config: command.upgrade(config, revision), tz=tz)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate down to `revision` ("base" drops every table of the task domain)."""
    _migrate(engine, lambda config: command.downgrade(config, revision))


class MigrationError(RuntimeError):
    """A migration left rows pointing at missing rows (SQLite's foreign key check after the migration)."""


def _migrate(engine: Engine, run: Any, *, tz: ZoneInfo = DEFAULT_TZ) -> None:
    """Run an Alembic command in one transaction; on SQLite with foreign keys off during it.

    Why: SQLite changes a column or a CHECK constraint by copying the table and dropping the old one, and with
    foreign keys on, that DROP deletes every row that references the table with ON DELETE CASCADE (all the
    reminders of the tasks). SQLite's own procedure for such changes: foreign keys off (only possible outside
    a transaction), change, `PRAGMA foreign_key_check`, foreign keys on again.
    """
    config = alembic_config(engine)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
                config.attributes["connection"] = connection
                config.attributes["timezone"] = tz
                run(config)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise MigrationError(
                            f"Chuyển đổi cơ sở dữ liệu dừng lại: {len(broken)} dòng trỏ tới dòng không còn "
                            f"(bảng {broken[0][0]}); không thay đổi gì."
                        )
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this version of the software."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


class Database:
    """Engine + session factory of one database, migrated to the newest schema when opened.

    Usage: `db = Database.open(settings.database_url)`, then `with db.session() as session: ...`.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = session_factory(engine)

    @classmethod
    def open(
        cls, url: str | URL, *, migrate: bool = True, tz: ZoneInfo = DEFAULT_TZ, **engine_kwargs: Any
    ) -> Database:
        """Connect to `url` and (unless `migrate=False`) migrate it to the newest schema; `tz` is the
        office's time zone (TROLY_TIMEZONE), used by migrations that compute local dates."""
        db = cls(make_engine(url, **engine_kwargs))
        if migrate:
            db.upgrade(tz)
        return db

    def upgrade(self, tz: ZoneInfo = DEFAULT_TZ) -> None:
        upgrade(self.engine, tz=tz)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that is rolled back if the block raises and closed at the end."""
        session = self.sessions()
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.dispose()
