"""The one way a task is changed: compare and set on a fresh, locked row.

Why: an import reads thousands of rows, validates them, and writes much later; a button pressed through
the bot in between must not be overwritten by a spreadsheet saved before it, and the audit log must record
the value actually replaced, not one read a minute earlier. So every change (bot, import, CLI) goes through
`change_task`, which works on a row loaded by `lock_tasks`:

- PostgreSQL: `SELECT … FOR UPDATE` (rows in id order, so two writers never deadlock on each other);
  a concurrent writer waits until this transaction ends, and the row read is the newest committed one.
- SQLite: `BEGIN IMMEDIATE` takes the database's single write lock before the row is re-read (WAL readers
  keep reading); another writer waits (busy timeout) until this transaction ends.

In both cases the row is re-read with `populate_existing`, so an object already in the session's identity map
(read early, e.g. during validation) is refreshed instead of trusted. The lock lasts until the caller commits
or rolls back.

The conflict rule lives here too: with `keep_newer_than`, the progress fields (status, progress, completion
date) are left alone when they were last changed through another channel than an import after that instant
(the spreadsheet's save time), and so is the assignee when it was reassigned (CLI, bot) after it; a cancelled
task keeps its status, progress, date and assignee whatever the file says (a sheet never revives it). Each
kept field is returned as a `KeptValue` (with its reason) for the caller to report.

A sheet sent in chat has no save time worth trusting (the download is brand new, and the xlsx property may be
anything), so `keep_since_last_import` compares with the task's own history instead: a value last set through
another channel than an import (the bot, the command line) is kept, whatever the file says — a file can then
never undo a change made after the task was last imported.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tasks import audit
from tasks.models import AuditLog, Task
from tasks.normalize import Via

PROGRESS_FIELDS = ("status", "progress", "completed_on")
# Fields a spreadsheet never changes on a cancelled task: cancelling is done with a reason through
# `troly tasks cancel` or the bot, and a sheet must not revive the task or hand it to someone.
CANCELLED_KEPT_FIELDS = (*PROGRESS_FIELDS, "assignee")
CONFLICT_NOTE = "Xung đột:"  # how an audited conflict's note begins (the value was kept, not written)
_LOCKED_KEY = "troly_locked_task_ids"
_CHUNK = 500  # ids per SELECT … IN (…): well under every driver's parameter limit


@dataclass
class KeptValue:
    """A value newer than the writer's source, kept instead of the value the writer asked for."""

    field: str
    kept: Any
    ignored: Any
    changed_at: datetime
    changed_via: str
    reason: str = ""


@dataclass
class WriteResult:
    """What `change_task` did: fields changed as {name: (old, new)}, and values kept as newer."""

    task: Task
    changed: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    kept: list[KeptValue] = field(default_factory=list)


def begin_write(session: Session) -> None:
    """Make the session's transaction a writing one now (SQLite: `BEGIN IMMEDIATE`).

    On SQLite with Python's default transaction handling, reads run outside any transaction and the first
    write opens a deferred one; so when no transaction is open, `BEGIN IMMEDIATE` takes the write lock at
    once, and when one is open it has written already and holds the lock. On PostgreSQL row locks are taken
    by `lock_tasks` itself; nothing to do here.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.dbapi_connection
    if raw is not None and not raw.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def lock_tasks(session: Session, ids: Collection[int]) -> dict[int, Task]:
    """The tasks with these ids, freshly read and locked until the transaction ends: {id: Task}.

    Missing ids are simply absent from the result. Callers then pass the tasks to `change_task`.
    """
    begin_write(session)
    wanted = sorted(set(ids))
    found: dict[int, Task] = {}
    postgres = session.get_bind().dialect.name == "postgresql"
    for start in range(0, len(wanted), _CHUNK):
        query = select(Task).where(Task.id.in_(wanted[start : start + _CHUNK])).order_by(Task.id)
        if postgres:
            query = query.with_for_update(of=Task)
        for task in session.scalars(query.execution_options(populate_existing=True)):
            found[task.id] = task
    transaction = session.get_transaction()
    held = session.info.get(_LOCKED_KEY)
    if held is None or held[0] is not transaction:
        held = session.info[_LOCKED_KEY] = (transaction, set())
    held[1].update(found)
    return found


def lock_task(session: Session, task_id: int) -> Task | None:
    """One task, freshly read and locked (see `lock_tasks`); None if it does not exist."""
    return lock_tasks(session, [task_id]).get(task_id)


def is_locked(session: Session, task: Task) -> bool:
    """True when `lock_tasks` loaded `task` in the session's current transaction (locks end with it)."""
    held = session.info.get(_LOCKED_KEY)
    transaction = session.get_transaction()
    return held is not None and transaction is not None and held[0] is transaction and task.id in held[1]


def _assignee_changed_at(session: Session, task: Task) -> tuple[datetime, str] | None:
    """(when, via) of the last change of `task`'s assignee through another channel than an import, or None.

    Why the audit log: a reassignment (CLI, bot) stamps only `updated_at`, which an import's content edits
    also move; the audit row is the one record of who changed the assignee when.
    """
    row = session.execute(
        select(AuditLog.at, AuditLog.via)
        .where(
            AuditLog.entity == "task",
            AuditLog.entity_key == task.code,
            AuditLog.field == "assignee",
            AuditLog.via != str(Via.IMPORT),
        )
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row is not None else None


def _last_assignee_change(session: Session, task: Task) -> tuple[datetime, str] | None:
    """(when, via) of the last audited change of `task`'s assignee by any channel, conflicts left out (an
    import's conflict row records a value it did NOT write)."""
    row = session.execute(
        select(AuditLog.at, AuditLog.via)
        .where(
            AuditLog.entity == "task",
            AuditLog.entity_key == task.code,
            AuditLog.field == "assignee",
            ~func.coalesce(AuditLog.note, "").startswith(CONFLICT_NOTE),
        )
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row is not None else None


def _keep_newer(
    session: Session, task: Task, wanted: dict[str, Any], since: datetime | None
) -> list[KeptValue]:
    """The values of `task` a writer from a source saved at `since` (an import) must leave alone.

    - A cancelled task keeps its status, progress, completion date and assignee (a sheet never revives it).
    - Progress fields changed through another channel after `since` are kept (the bot is newer).
    - An assignee changed through the CLI or the bot after `since` is kept (same rule as progress).
    `since` None: the source's time is unknown (a sheet sent in chat): "after `since`" becomes "after the
    task was last imported", i.e. the last change of the field came through another channel.
    Removes the kept fields from `wanted`.
    """
    kept: list[KeptValue] = []
    if task.is_cancelled:
        for name in CANCELLED_KEPT_FIELDS:
            if name in wanted and getattr(task, name) != wanted[name]:
                kept.append(
                    KeptValue(name, getattr(task, name), wanted[name], task.progress_updated_at,
                              str(task.progress_updated_via),
                              "nhiệm vụ đã hủy: bảng tính không mở lại hay giao lại nhiệm vụ đã hủy")
                )  # fmt: skip
        for name in CANCELLED_KEPT_FIELDS:
            wanted.pop(name, None)
        return kept
    after = "sau khi tệp được lưu" if since is not None else "sau lần nhập gần nhất"
    if task.progress_updated_via != Via.IMPORT and (since is None or task.progress_updated_at > since):
        for name in PROGRESS_FIELDS:
            if name in wanted and getattr(task, name) != wanted[name]:
                kept.append(
                    KeptValue(name, getattr(task, name), wanted[name], task.progress_updated_at,
                              str(task.progress_updated_via), f"cập nhật {after}")
                )  # fmt: skip
        for name in PROGRESS_FIELDS:
            wanted.pop(name, None)
    if "assignee" in wanted and wanted["assignee"] is not task.assignee:
        if since is None:
            last = _last_assignee_change(session, task)
            changed = last if last is not None and last[1] != str(Via.IMPORT) else None
        else:
            changed = _assignee_changed_at(session, task)
            changed = changed if changed is not None and changed[0] > since else None
        if changed is not None:
            kept.append(
                KeptValue("assignee", task.assignee, wanted["assignee"], changed[0], changed[1],
                          f"giao lại {after}")
            )  # fmt: skip
            wanted.pop("assignee")
    return kept


def change_task(
    session: Session,
    task: Task,
    values: Mapping[str, Any] | Callable[[Task], Mapping[str, Any]],
    *,
    actor: str,
    via: Via | str,
    now: datetime,
    keep_newer_than: datetime | None = None,
    keep_since_last_import: bool = False,
    stamp: bool = False,
    note: str | None = None,
    log: Callable[..., Any] | None = None,
) -> WriteResult:
    """Compare `task` (locked by `lock_tasks`) with `values` and set what differs, auditing each field.

    `values` may be a function of the fresh task (an import's empty cells keep the current values).
    `keep_newer_than`: leave the progress fields (and the assignee) alone if they were last changed, through a
    channel other than an import, after this instant, and every such field of a cancelled task; the values kept are returned in `WriteResult.kept` and audited as
    conflicts (old = the value kept, new = the one ignored). `keep_since_last_import`: the same for a source
    without a trustworthy time (a sheet sent in chat): keep every such field last changed through another
    channel than an import, whenever that was. `stamp`: a person stating a value makes it
    theirs and newer even when it equals the stored one (the bot), so who/when are stamped anyway. Stamps `updated_at/_via` when anything changed
    and `progress_updated_at/_via` when a progress field did. Raises `RuntimeError` if the task is not
    locked in the current transaction (a programming error: the compare would use a stale row).
    `log(**audit_fields)` receives the audit rows instead of `audit.record` (a large import collects them
    for one multi-row INSERT).
    """
    if log is None:

        def log(**fields: Any) -> None:
            audit.record(session, **fields)

    if not is_locked(session, task):
        raise RuntimeError(
            f"Task {task.code} must be locked with tasks.writes.lock_tasks before it is changed"
        )
    via = Via(via)
    wanted = dict(values(task) if callable(values) else values)
    result = WriteResult(task)
    if keep_newer_than is not None or keep_since_last_import:
        result.kept = _keep_newer(session, task, wanted, None if keep_since_last_import else keep_newer_than)
    for name, new in wanted.items():
        old = getattr(task, name)
        if old != new:
            log(
                actor=actor,
                via=via,
                entity="task",
                key=task.code,
                field=name,
                old=old,
                new=new,
                at=now,
                note=note,
            )
            setattr(task, name, new)
            result.changed[name] = (old, new)
    saved = (
        "tệp gửi qua chat, không rõ giờ lưu"
        if keep_since_last_import
        else f"tệp lưu lúc {keep_newer_than.isoformat() if keep_newer_than else '?'}"
    )
    for kept in result.kept:
        log(
            actor=actor, via=via, entity="task", key=task.code, field=kept.field,
            old=kept.kept, new=kept.ignored, at=now,
            note=(
                f"{CONFLICT_NOTE} giữ giá trị cập nhật qua {kept.changed_via} lúc {kept.changed_at.isoformat()} "
                f"({kept.reason}; {saved}); bỏ qua giá trị trong tệp."
            ),
        )  # fmt: skip
    if result.changed or stamp:
        task.updated_at = now
        task.updated_via = via
        if (result.changed.keys() if not stamp else wanted.keys()) & set(PROGRESS_FIELDS):
            task.progress_updated_at = now
            task.progress_updated_via = via
    return result
