"""Opening the database: migrations from empty on both backends, schema = models, pragmas, UTC times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from tasks.db import Database, current_revision, downgrade, head_revision, make_engine, normalize_url, upgrade
from tasks.models import AuditLog, Base, Feedback, Unit
from tests.db_fixtures import T0

TABLES = {"units", "officials", "tasks", "audit_log", "link_codes", "feedback"}


def test_migrations_run_from_empty_and_back(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision() is not None
        assert set(inspect(engine).get_table_names()) >= TABLES
        upgrade(engine)  # already at head: a no-op, not an error
        downgrade(engine, "base")
        assert not TABLES & set(inspect(engine).get_table_names())
        upgrade(engine)
        assert set(inspect(engine).get_table_names()) >= TABLES
    finally:
        engine.dispose()


def test_opening_migrates_automatically(empty_db_url: str) -> None:
    with Database.open(empty_db_url) as db, db.session() as session:
        session.add(Unit(name="Sở Tài chính", created_at=T0))
        session.commit()
        assert session.scalar(select(Unit.name_folded)) == "so tai chinh"


def test_migrated_schema_matches_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    assert diff == []


def test_sqlite_file_folder_is_created_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "troly.db"
    with Database.open(f"sqlite:///{path}") as db:
        assert path.exists()
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000


def test_foreign_keys_are_enforced(db: Database) -> None:
    with db.session() as session:
        session.add(Unit(name="Mồ côi", parent_id=999, created_at=T0))
        try:
            session.commit()
            raise AssertionError("a unit with a missing parent was accepted")
        except IntegrityError:
            session.rollback()


def test_timestamps_come_back_aware_utc(db: Database) -> None:
    hanoi = timezone(timedelta(hours=7))
    with db.session() as session:
        session.add(
            AuditLog(
                at=datetime(2026, 11, 1, 9, 0, tzinfo=hanoi),
                actor="cli",
                via="cli",
                entity="task",
                entity_key="X",
            )
        )
        session.add(
            Feedback(question="Hỏi?", answer="Đáp.", sources=[{"source": "kl-221.md"}], rating=1, at=T0)
        )
        session.commit()
    with db.session() as session:
        at = session.scalar(select(AuditLog.at))
        assert at == datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
        assert at.tzinfo is not None and at.utcoffset() == timedelta(0)
        assert session.scalar(select(Feedback.sources)) == [{"source": "kl-221.md"}]


def test_check_constraints_reject_bad_enum_values(db: Database) -> None:
    with db.engine.connect() as conn, conn.begin():
        conn.execute(
            text("INSERT INTO units (name, name_folded, created_at) VALUES ('U', 'u', CURRENT_TIMESTAMP)")
        )
        try:
            with conn.begin_nested():
                conn.execute(
                    text(
                        "INSERT INTO officials (code, full_name, unit_id, role, active, created_at, updated_at) "
                        "VALUES ('X', 'X', 1, 'sep', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                    )
                )
            raise AssertionError("role 'sep' was accepted")
        except IntegrityError:
            pass


def test_postgres_urls_get_the_psycopg3_driver() -> None:
    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("sqlite:///x.db").drivername == "sqlite"


def test_tasks_package_never_imports_bot_or_retrieval() -> None:
    import ast

    package = Path(__file__).resolve().parents[2] / "tasks"
    offenders = []
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in ("bot", "retrieval")]
    assert offenders == []
