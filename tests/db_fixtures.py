"""Database fixtures for the task-domain tests: every store test runs on SQLite AND PostgreSQL.

- `db`: a migrated, empty `Database`, parametrized over ["sqlite", "postgresql"]. SQLite gets a fresh file
  per test; PostgreSQL uses one database per test session (created with a unique name, dropped at the end)
  whose tables are truncated before each test.
- `empty_db_url`: the URL of a brand-new empty database (for migration tests), same parametrization.
- `session`: a session on `db`; `org`: a small hand-made unit tree with officials of every role.
- `write_sheet`: writes rows to .xlsx/.csv files under tmp_path.

PostgreSQL: TROLY_TEST_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test, then user
root) must reach a server where we may CREATE DATABASE. If it is unreachable, the PostgreSQL tests FAIL
when the CI environment variable is set, and are skipped with the reason otherwise.
"""

from __future__ import annotations

import csv
import os
import shutil
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import MetaData, Table, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session

from tasks.db import Database
from tasks.models import Official, Unit
from tasks.normalize import Role

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
DEFAULT_PG_URLS = (
    "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "postgresql+psycopg://root@127.0.0.1:5432/test",
)
# A fixed instant for tests that need "now" (09:00 in Hà Nội on 1 November 2026).
T0 = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


def _reach_postgres() -> URL:
    configured = os.environ.get("TROLY_TEST_POSTGRES_URL")
    candidates = (configured,) if configured else DEFAULT_PG_URLS
    problems = []
    for candidate in candidates:
        url = make_url(candidate).set(drivername="postgresql+psycopg")
        engine = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return url
        except Exception as exc:  # any driver error means "not usable"
            problems.append(f"{url.render_as_string(hide_password=True)}: {exc.__class__.__name__}: {exc}")
        finally:
            engine.dispose()
    reason = "PostgreSQL unreachable for the task-store tests (" + "; ".join(problems) + ")"
    if os.environ.get("CI"):
        pytest.fail(reason + ". CI is set, so this is a failure, not a skip.", pytrace=False)
    pytest.skip(reason + ". Start the server or set TROLY_TEST_POSTGRES_URL to run them.")


class _PgDatabases:
    """Creates uniquely named databases on the server and drops them all at the end of the session."""

    def __init__(self, admin_url: URL) -> None:
        self.admin_url = admin_url
        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.created: list[str] = []

    def create(self) -> URL:
        name = f"troly_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.admin_url.set(database=name)

    def drop(self, url: URL) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        if url.database in self.created:
            self.created.remove(url.database)

    def close(self) -> None:
        for name in list(self.created):
            self.drop(self.admin_url.set(database=name))
        self.admin.dispose()


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[_PgDatabases]:
    databases = _PgDatabases(_reach_postgres())
    try:
        yield databases
    finally:
        databases.close()


@pytest.fixture(scope="session")
def pg_session_db(pg_databases: _PgDatabases) -> Iterator[tuple[Database, list[Table]]]:
    """One migrated PostgreSQL database for the whole test session, and its tables (children last).

    The tables are reflected, not taken from our models, so tables added by later migrations are emptied too.
    """
    db = Database.open(pg_databases.create())
    reflected = MetaData()
    reflected.reflect(db.engine)
    try:
        yield db, [t for t in reflected.sorted_tables if t.name != "alembic_version"]
    finally:
        db.dispose()


def _empty_tables(db: Database, tables: list[Table]) -> None:
    """Delete every row, children first (DELETE on small tables is ~100x faster than TRUNCATE here)."""
    with db.engine.begin() as conn:
        for table in reversed(tables):
            conn.execute(table.delete())


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (a copy is ~100x faster than migrating again)."""
    path = tmp_path_factory.mktemp("template") / "troly.db"
    Database.open(f"sqlite:///{path}").dispose()  # closing the last connection folds the WAL into the file
    return path


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "troly.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        database = Database.open(f"sqlite:///{path}")
        try:
            yield database
        finally:
            database.dispose()
    else:
        database, tables = request.getfixturevalue("pg_session_db")
        _empty_tables(database, tables)
        yield database


@pytest.fixture(params=BACKENDS)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a database with no tables at all (a fresh PostgreSQL database, or a new SQLite path)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sub' / 'fresh.db'}"
        return
    databases: _PgDatabases = request.getfixturevalue("pg_databases")
    url = databases.create()
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        databases.drop(url)


def db_url(db: Database) -> str:
    """The URL of `db` as a string an external process (the CLI) can open."""
    return db.engine.url.render_as_string(hide_password=False)


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    with db.session() as s:
        yield s


@dataclass
class Org:
    """Tỉnh ─┬─ Sở A ── Phòng A1
             └─ Xã B
    admin (quản trị, Tỉnh); leader_a (lãnh đạo, Sở A); staff_a1 (cán bộ, Phòng A1); staff_a (cán bộ, Sở A);
    leader_b (lãnh đạo, Xã B); staff_b (cán bộ, Xã B)."""

    tinh: Unit
    so_a: Unit
    phong_a1: Unit
    xa_b: Unit
    admin: Official
    leader_a: Official
    staff_a: Official
    staff_a1: Official
    leader_b: Official
    staff_b: Official


def build_org(session: Session) -> Org:
    tinh = Unit(name="UBND tỉnh Thử Nghiệm", created_at=T0)
    so_a = Unit(name="Sở Nội vụ", parent=tinh, created_at=T0)
    phong_a1 = Unit(name="Phòng Công chức - Sở Nội vụ", parent=so_a, created_at=T0)
    xa_b = Unit(name="UBND xã Hợp Tiến", parent=tinh, created_at=T0)

    def person(code: str, name: str, unit: Unit, role: Role, phone: str) -> Official:
        return Official(
            code=code, full_name=name, position="Chuyên viên", unit=unit, role=role, phone=phone,
            created_at=T0, updated_at=T0,
        )  # fmt: skip

    org = Org(
        tinh=tinh,
        so_a=so_a,
        phong_a1=phong_a1,
        xa_b=xa_b,
        admin=person("AD01", "Quản Trị Viên", tinh, Role.QUAN_TRI, "0900000001"),
        leader_a=person("LA01", "Lê Văn Lãnh", so_a, Role.LANH_DAO, "0900000002"),
        staff_a=person("SA01", "Trần Thị Sở", so_a, Role.CAN_BO, "0900000003"),
        staff_a1=person("SA11", "Phạm Văn Phòng", phong_a1, Role.CAN_BO, "0900000004"),
        leader_b=person("LB01", "Hoàng Văn Xã", xa_b, Role.LANH_DAO, "0900000005"),
        staff_b=person("SB01", "Vũ Thị Xã", xa_b, Role.CAN_BO, "0900000006"),
    )
    session.add_all([tinh, so_a, phong_a1, xa_b])
    session.add_all([org.admin, org.leader_a, org.staff_a, org.staff_a1, org.leader_b, org.staff_b])
    session.commit()
    return org


@pytest.fixture
def org(session: Session) -> Org:
    return build_org(session)


SheetWriter = Callable[..., Path]


@pytest.fixture
def write_sheet(tmp_path: Path) -> SheetWriter:
    """`write_sheet(name, headers, rows, fmt="xlsx"|"csv", delimiter=",", bom=True)` → the file's path."""

    def write(
        name: str,
        headers: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        delimiter: str = ",",
        bom: bool = True,
    ) -> Path:
        path = tmp_path / name
        if path.suffix == ".csv":
            with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
                writer = csv.writer(handle, delimiter=delimiter)
                writer.writerow(headers)
                writer.writerows(["" if v is None else v for v in row] for row in rows)
        else:
            workbook = Workbook()
            sheet = workbook.active
            sheet.append(list(headers))
            for row in rows:
                sheet.append(list(row))
            workbook.save(path)
        return path

    return write
