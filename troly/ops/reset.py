"""`troly reset`: give a data folder a clean start (database, index, files handed in, logs).

Only what the product created is removed (see `datahome`); a PostgreSQL database configured through
`TROLY_DATABASE_URL` is emptied (every table dropped, the schema is re-created on next use) and, when a
Chroma server holds the vectors, the index's collection is deleted there. Nothing happens without `--yes`.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from troly.config import Settings
from troly.ops.datahome import Database, database_of, drop_tables, has_tables, own_entries


@dataclass
class ResetPlan:
    """What a reset removes. `paths`: files/folders; `database`: a PostgreSQL database to empty (or None);
    `chroma_collection`: a collection on the Chroma server (or None)."""

    home: Path
    paths: list[Path] = field(default_factory=list)
    database: Database | None = None
    chroma_collection: str | None = None

    @property
    def empty(self) -> bool:
        return not self.paths and self.database is None and self.chroma_collection is None

    def lines(self) -> list[str]:
        """Vietnamese, one line per thing removed."""
        out = [f"{p} ({'thư mục' if p.is_dir() else 'tệp'})" for p in self.paths]
        if self.database is not None:
            out.append(f"mọi bảng của cơ sở dữ liệu {self.database.label}")
        if self.chroma_collection:
            out.append(f"bộ vectơ '{self.chroma_collection}' trên máy chủ Chroma")
        return out


def plan_reset(settings: Settings) -> ResetPlan:
    db = database_of(settings)
    plan = ResetPlan(home=settings.home, paths=own_entries(settings.home, db))
    if db.kind == "postgresql" and has_tables(db):
        plan.database = db
    if settings.chroma_url:
        plan.chroma_collection = _collection_name(settings.home)
    return plan


def run_reset(settings: Settings, plan: ResetPlan) -> None:
    """Remove everything in `plan`. Raises OSError / SQLAlchemy errors as they come (nothing is retried)."""
    if plan.chroma_collection:
        _delete_collection(settings.chroma_url or "", plan.chroma_collection)
    for path in plan.paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    if plan.database is not None:
        drop_tables(plan.database)


def _collection_name(home: Path) -> str | None:
    import json

    try:
        manifest = json.loads((home / "index" / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest.get("collection") or None


def _delete_collection(chroma_url: str, name: str) -> None:
    from urllib.parse import urlparse

    import chromadb

    u = urlparse(chroma_url)
    client = chromadb.HttpClient(
        host=u.hostname or "localhost",
        port=u.port or (443 if u.scheme == "https" else 8000),
        ssl=u.scheme == "https",
        settings=chromadb.Settings(anonymized_telemetry=False),
    )
    try:
        client.delete_collection(name)
    except Exception as exc:  # chromadb raises its own NotFoundError / ValueError for a missing collection
        if "not" not in str(exc).lower():
            raise
