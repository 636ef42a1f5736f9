"""Tasks as outside programs read them: `troly tasks list`, `troly tasks show`, `troly tasks report --document`.

The JSON shapes are contracts (docs/cli.md §2): dates `YYYY-MM-DD`, times ISO 8601 with the offset of
TROLY_TIMEZONE, the status as its Vietnamese label. The queries and the shaping live here, not in the CLI, so
any front end (and the tests) produce the same documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from tasks.access import unit_subtree_ids
from tasks.errors import NotFound
from tasks.models import AuditLog, Official, Task, TaskProduct, overdue_condition
from tasks.normalize import TaskStatus, fold_key, format_date, nfc
from tasks.reporting import UnitProgress, unit_report
from tasks.timeutil import DEFAULT_TZ, as_utc
from tasks.units import find_unit
from vntext.docrefs import DocRef, find_refs, parse_ref, same_document, text_mentions

OVERDUE = "quá hạn"


@dataclass(frozen=True)
class StatusFilter:
    """A `--status` value: one status, or every overdue task (`status` None)."""

    status: TaskStatus | None

    @property
    def overdue(self) -> bool:
        return self.status is None


def parse_status_filter(text: str) -> StatusFilter:
    """ "chờ duyệt", "cho duyet", "hoàn thành", "quá hạn"… → `StatusFilter`; ValueError (Vietnamese) else."""
    if fold_key(text) in ("qua han", "overdue"):
        return StatusFilter(None)
    try:
        return StatusFilter(TaskStatus.parse(text))  # type: ignore[arg-type]
    except ValueError as exc:
        raise ValueError(f"{exc} Hoặc “{OVERDUE}”.") from None


def _iso_date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _iso_time(value: datetime, tz: ZoneInfo) -> str:
    return as_utc(value).astimezone(tz).isoformat()


def _assigner(task: Task) -> str:
    """The assigner's Mã cán bộ when linked to an official, else the text of `Người giao`."""
    return task.assigner.code if task.assigner is not None else task.assigned_by


def task_dict(
    task: Task,
    products: list[TaskProduct],
    *,
    history: list[AuditLog] | None = None,
    tz: ZoneInfo = DEFAULT_TZ,
) -> dict[str, Any]:
    """One task as the contract's object; `history` only for `show` (docs/cli.md)."""
    document: dict[str, Any] = {
        "code": task.code,
        "content": task.content,
        "assignee": task.assignee.code,
        "unit": task.lead_unit.name,
        "deadline": _iso_date(task.deadline),
        "original_deadline": _iso_date(task.original_deadline),
        "status": task.status.label,
        "progress": int(task.progress),
        "expected_product": task.product,
        "product": [{"kind": p.kind, "name": p.name, "size": p.size} for p in products],
        "assigner": _assigner(task),
        "document": task.source_document,
    }
    if history is not None:
        document["history"] = [
            {"at": _iso_time(row.at, tz), "by": row.actor, "via": row.via, "field": row.field, "old": row.old,
             "new": row.new, "note": row.note}
            for row in history
        ]  # fmt: skip
    return document


def _products_by_task(session: Session, task_ids: list[int]) -> dict[int, list[TaskProduct]]:
    found: dict[int, list[TaskProduct]] = {}
    for start in range(0, len(task_ids), 500):
        rows = session.scalars(
            select(TaskProduct)
            .where(TaskProduct.task_id.in_(task_ids[start : start + 500]))
            .order_by(TaskProduct.submitted_at, TaskProduct.id)
        )
        for row in rows:
            found.setdefault(row.task_id, []).append(row)
    return found


def tasks_query(
    session: Session,
    *,
    assignee: str | None = None,
    unit: str | None = None,
    status: StatusFilter | None = None,
    today: date,
) -> Select[tuple[Task]]:
    """`select(Task)` filtered: `assignee` (Mã cán bộ, any case), `unit` (the lead unit's subtree; a name,
    loosely matched), `status`. Raises `NotFound` / `UnitNotFound` (Vietnamese) for unknown names."""
    query = select(Task)
    if assignee is not None:
        code = nfc(assignee)
        official_id = session.scalar(select(Official.id).where(func.lower(Official.code) == code.lower()))
        if official_id is None:
            raise NotFound(f"Không có cán bộ mã “{code}”.")
        query = query.where(Task.assignee_id == official_id)
    if unit is not None:
        found = find_unit(session, unit, allow_abbreviation=True)
        query = query.where(Task.lead_unit_id.in_(unit_subtree_ids(session, found.id)))
    if status is not None:
        query = query.where(overdue_condition(today) if status.overdue else Task.status == status.status)
    return query.order_by(Task.deadline, Task.code)


def list_tasks(
    session: Session,
    *,
    assignee: str | None = None,
    unit: str | None = None,
    status: StatusFilter | None = None,
    today: date,
    tz: ZoneInfo = DEFAULT_TZ,
) -> dict[str, Any]:
    """`{"tasks": [...]}` of `troly tasks list` (objects without `history`), earliest deadline first."""
    query = tasks_query(session, assignee=assignee, unit=unit, status=status, today=today).options(
        selectinload(Task.assignee), selectinload(Task.lead_unit), selectinload(Task.assigner)
    )
    tasks = list(session.scalars(query))
    products = _products_by_task(session, [t.id for t in tasks])
    return {"tasks": [task_dict(t, products.get(t.id, []), tz=tz) for t in tasks]}


def find_task(session: Session, code: str) -> Task:
    """The task with this code (any case, as imports match codes); `NotFound` (Vietnamese) otherwise."""
    text = nfc(code)
    task = session.scalar(select(Task).where(Task.code == text))
    if task is None:
        matches = list(session.scalars(select(Task).where(func.lower(Task.code) == text.lower())))
        task = matches[0] if len(matches) == 1 else None
    if task is None:
        raise NotFound(f"Không có nhiệm vụ mã “{text}”.")
    return task


def show_task(session: Session, code: str, *, tz: ZoneInfo = DEFAULT_TZ) -> dict[str, Any]:
    """The object of `troly tasks show CODE`, with `history` (the audit log of the task, oldest first)."""
    task = find_task(session, code)
    history = list(
        session.scalars(
            select(AuditLog)
            .where(AuditLog.entity == "task", AuditLog.entity_key == task.code)
            .order_by(AuditLog.at, AuditLog.id)
        )
    )
    return task_dict(task, _products_by_task(session, [task.id]).get(task.id, []), history=history, tz=tz)


# --- progress by document --------------------------------------------------------------------------------


def document_ref(text: str) -> DocRef:
    """The document `text` names ("KL 221", "Kết luận 221-KL/TW"); ValueError (Vietnamese) otherwise."""
    ref = parse_ref(text)
    if ref is None:
        raise ValueError(
            f"“{nfc(text)}” không phải số hiệu văn bản; ví dụ “221-KL/TW”, “KL 221”, “Kết luận 221-KL/TW”."
        )
    return ref


def document_texts(session: Session, ref: DocRef) -> list[str]:
    """The distinct `Văn bản giao` texts of tasks that name the document `ref`."""
    texts = session.scalars(select(Task.source_document).where(Task.source_document.is_not(None)).distinct())
    return sorted(t for t in texts if text_mentions(t, ref))


def document_scope(session: Session, document: str | DocRef) -> tuple[DocRef, list[str]]:
    """The reference `document` names, completed to the full number the tasks give when they agree on one
    ("KL 221" → "221-KL/TW"), and the `Văn bản giao` texts of its tasks. ValueError (Vietnamese) when
    `document` is no reference."""
    ref = document if isinstance(document, DocRef) else document_ref(document)
    texts = document_texts(session, ref)
    if ref.full is None:  # "KL 221": shown as the full number the tasks give, when they agree on one
        fulls = {f for t in texts for f in find_refs(t) if f.full and same_document(ref, f)}
        if len(fulls) == 1:
            ref = fulls.pop()
    return ref, texts


def document_report(session: Session, document: str, *, today: date) -> tuple[DocRef, UnitProgress]:
    """Progress of the tasks assigned under one document, by unit (units without such tasks left out).

    Returns the reference read from `document` (completed as `document_scope` does) and the report (the
    shape of `unit_report`). Raises ValueError when `document` is not a reference.
    """
    ref, texts = document_scope(session, document)
    report = unit_report(session, None, today=today, only=Task.source_document.in_(texts), skip_empty=True)
    return ref, report


def document_report_dict(ref: DocRef, report: UnitProgress) -> dict[str, Any]:
    """JSON of `troly tasks report --document`: `tasks report`'s object plus `"document"` (first key)."""
    return {"document": ref.display(), **report.to_dict()}


def task_lines(item: dict[str, Any]) -> list[str]:
    """The human text of `troly tasks show` (Vietnamese), from the contract's object."""
    deadline = format_date(date.fromisoformat(item["deadline"]))
    if item["original_deadline"]:
        deadline += f" (gia hạn từ {format_date(date.fromisoformat(item['original_deadline']))})"
    lines = [
        f"{item['code']} — {item['content']}",
        f"Người thực hiện: {item['assignee']} · Đơn vị chủ trì: {item['unit']}",
        f"Thời hạn: {deadline} · Trạng thái: {item['status']} · Tiến độ: {item['progress']}%",
        f"Sản phẩm cần có: {item['expected_product']}",
        f"Người giao: {item['assigner']}"
        + (f" · Văn bản giao: {item['document']}" if item["document"] else ""),
    ]
    for product in item["product"]:
        size = f" ({product['size']} byte)" if product["size"] is not None else ""
        lines.append(f"Đã nộp: [{product['kind']}] {product['name']}{size}")
    if item.get("history"):
        lines.append("Lịch sử:")
    for row in item.get("history", []):
        change = f"{row['field']}: {row['old']} → {row['new']}" if row["field"] else (row["new"] or "")
        lines.append(
            f"  {_local_time(row['at'])} {row['by']} ({row['via']}) {change} {row['note'] or ''}".rstrip()
        )
    return lines


def _local_time(iso: str) -> str:
    """ "2026-12-01T00:50:08.18+07:00" → "00:50 ngày 01/12/2026" (the offset is already the office's)."""
    try:
        at = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return str(iso)
    return f"{at:%H:%M} ngày {format_date(at.date())}"
