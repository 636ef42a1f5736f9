"""Progress by the document that assigned the work: "tiến độ triển khai Kết luận 221 đến đâu?", `/tiendo KL 221`.

A leader thinks in documents as much as in units: a Kết luận of the Politburo is carried out by a dozen units,
and the question is how far it has got. The tasks assigned under a document are those whose `Văn bản giao`
names it (any written form: "KL 221", "Kết luận 221-KL/TW", "221-KL/TW"; `vntext.docrefs`). Their progress is
counted like `/tiendo` (`tasks.reporting.unit_report`: by lead unit, a unit's figures include the units below
it), within what the viewer may see:

- an official: only the tasks assigned to them;
- a lãnh đạo: the tasks led by their unit and the units below it;
- a quản trị: every task.

Buttons carry ids only (`tasks.ui`), so a document travels in callback data as `document_key` (a CRC-32 of its
reference, found again among the documents the tasks name: `find_document`).
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session, selectinload

from tasks.access import unit_subtree_ids
from tasks.charts import progress_chart_png
from tasks.errors import NotFound, PermissionDenied
from tasks.listing import document_scope
from tasks.models import Official, Task, Unit, overdue_condition
from tasks.normalize import Role, fold_key
from tasks.progress_view import pct, sorted_rows
from tasks.reporting import UnitProgress, unit_report
from tasks.ui import (
    NOT_LINKED,
    Keyboard,
    Screen,
    button,
    document_chart_data,
    esc,
    format_date,
    manage_data,
    shorten,
)
from vntext.docrefs import DocRef, find_refs, parse_ref

OVERDUE_SHOWN = 10
ROWS_SHOWN = 12

# "tiến độ", "triển khai … đến đâu", "thực hiện … đến đâu", "tình hình thực hiện/triển khai", "kết quả thực hiện",
# "hoàn thành được bao nhiêu" — on folded text (no diacritics, lower case).
_PROGRESS_WORDS = re.compile(
    r"\b(?:tien do|(?:trien khai|thuc hien)\b.*\bden dau|tinh hinh (?:thuc hien|trien khai)|ket qua "
    r"(?:thuc hien|trien khai)|hoan thanh (?:duoc )?(?:bao nhieu|den dau|chua)|progress)\b"
)


def document_progress_question(text: str) -> DocRef | None:
    """The document a free-text progress question names ("tiến độ triển khai Kết luận 221 đến đâu?" →
    KL 221), or None when `text` does not ask for progress or names no document."""
    if not _PROGRESS_WORDS.search(fold_key(text or "")):
        return None
    return parse_ref(text)


def document_key(ref: DocRef) -> int:
    """The number a button carries for `ref` (CRC-32 of its reference: ≤ 10 digits, stable across processes)."""
    return zlib.crc32(f"{ref.full or ''}|{ref.kind or ''}|{ref.number}".encode())


def find_document(session: Session, key: int) -> DocRef | None:
    """The reference whose `document_key` is `key`, among those the tasks' `Văn bản giao` name (full
    numbers and their short forms "KL 221"); None when no task names it any more."""
    texts = session.scalars(select(Task.source_document).where(Task.source_document.is_not(None)).distinct())
    for text in texts:
        for ref in find_refs(text):
            for candidate in (ref, DocRef(ref.number, ref.kind)):
                if document_key(candidate) == key:
                    return candidate
    return None


@dataclass
class DocumentProgress:
    """The tasks of one document within a viewer's scope: `report` (the tree of `unit_report`, units without
    such tasks left out), `rows` (the level worth listing: the first one with more than one row), `overdue`
    (most late first) and `scope` (who the figures cover, in Vietnamese)."""

    ref: DocRef
    scope: str
    report: UnitProgress
    rows: list[UnitProgress]
    overdue: list[Task]
    overdue_total: int
    own_only: bool


def _scope(session: Session, viewer: Official) -> tuple[Unit | None, ColumnElement[bool] | None, str]:
    if viewer.role == Role.QUAN_TRI:
        return None, None, "tất cả đơn vị"
    if viewer.role == Role.LANH_DAO:
        ids = unit_subtree_ids(session, viewer.unit_id)
        return viewer.unit, Task.lead_unit_id.in_(ids), f"{viewer.unit.name} và các đơn vị trực thuộc"
    return None, Task.assignee_id == viewer.id, "các nhiệm vụ giao cho bạn"


def listed_level(report: UnitProgress) -> UnitProgress:
    """The level of `report` worth listing: down through levels with a single row ("Tất cả đơn vị" →
    "UBND tỉnh" → its Sở), so a breakdown never shows one row that is the total again."""
    node = report
    while len(node.units) == 1 and not node.units[0].direct:
        node = node.units[0]
    return node


def document_progress(
    session: Session, viewer: Official | None, document: str | DocRef, *, today: date
) -> DocumentProgress:
    """The progress of the tasks assigned under `document` (a reference in any form) that `viewer` may see.

    Raises `PermissionDenied` (Vietnamese) for an unlinked or inactive viewer, `ValueError` (Vietnamese)
    when `document` is no document reference."""
    if viewer is None or not viewer.active:
        raise PermissionDenied(NOT_LINKED)
    ref, texts = document_scope(session, document)
    unit, limit, scope = _scope(session, viewer)
    only = and_(Task.source_document.in_(texts), *(() if limit is None else (limit,)))
    report = unit_report(session, unit, today=today, only=only, skip_empty=True)
    query = select(Task).where(overdue_condition(today), only)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    overdue = list(
        session.scalars(
            query.options(selectinload(Task.assignee), selectinload(Task.lead_unit))
            .order_by(Task.deadline, Task.id)
            .limit(OVERDUE_SHOWN)
        )
    )
    listed = listed_level(report)
    rows = sorted_rows(listed) if listed.units else ([listed] if listed.total else [])
    return DocumentProgress(ref, scope, report, rows, overdue, total, viewer.role == Role.CAN_BO)


def _row_line(node: UnitProgress) -> str:
    return (
        f"• {esc(shorten(node.unit, 60))}: {node.total} nhiệm vụ · hoàn thành {node.done} "
        f"({pct(node.completion_rate)}) · đúng hạn {node.done_on_time} · {node.overdue} quá hạn"
    )


def document_progress_screen(
    session: Session, viewer: Official | None, document: str | DocRef, *, today: date
) -> Screen:
    """The answer to "tiến độ triển khai KL 221": figures, by unit (done, on time, overdue, %), the most
    overdue tasks (numbered buttons open them: a leader may reassign or cancel there) and a chart button."""
    progress = document_progress(session, viewer, document, today=today)
    r, name = progress.report, esc(progress.ref.display())
    head = [
        f"<b>📊 Tiến độ triển khai {name}</b>",
        f"<i>Các nhiệm vụ giao theo văn bản này — {esc(progress.scope)}, tính đến ngày {format_date(today)}</i>",
        "",
    ]
    if not r.total:
        return Screen("\n".join([*head, f"Chưa có nhiệm vụ nào được giao theo {name} trong phạm vi này."]))
    lines = [
        *head,
        f"Tổng số: <b>{r.total}</b> nhiệm vụ",
        f"✅ Hoàn thành: <b>{r.done}</b> ({pct(r.completion_rate)}), đúng hạn {r.done_on_time}",
        f"🔄 Đang thực hiện (chưa đến hạn): <b>{r.in_progress}</b>",
        f"⚠️ Quá hạn: <b>{r.overdue}</b>",
    ]
    if not progress.own_only and progress.rows:
        shown = progress.rows[:ROWS_SHOWN]
        lines += ["", "<b>Theo đơn vị chủ trì</b>:", *(_row_line(n) for n in shown)]
        if len(progress.rows) > len(shown):
            lines.append(
                f"… và {len(progress.rows) - len(shown)} đơn vị khác (xem biểu đồ hoặc báo cáo Excel)."
            )
    rows: Keyboard = []
    if progress.overdue:
        lines += ["", f"<b>⚠️ Nhiệm vụ quá hạn ({progress.overdue_total})</b>"]
        for i, task in enumerate(progress.overdue, start=1):
            late = (today - task.deadline).days
            lines.append(
                f"{i}. <b>{esc(task.code)}</b> — quá hạn {late} ngày (hạn {format_date(task.deadline)}) · "
                f"👤 {esc(task.assignee.full_name)} · {esc(shorten(task.lead_unit.name, 40))} · {task.progress}%"
            )
        if progress.overdue_total > len(progress.overdue):
            lines.append(f"… và {progress.overdue_total - len(progress.overdue)} nhiệm vụ quá hạn khác.")
        numbered = [button(str(i), manage_data("t", t.id)) for i, t in enumerate(progress.overdue, start=1)]
        rows += [numbered[i : i + 5] for i in range(0, len(numbered), 5)]
    rows.append([button("📈 Biểu đồ", document_chart_data(document_key(progress.ref)))])
    return Screen("\n".join(lines), rows)


def document_chart(session: Session, viewer: Official | None, key: int, *, today: date) -> tuple[bytes, str]:
    """``td:dc``: (PNG, HTML caption) of a document's progress by unit, within the viewer's scope.
    `NotFound` when no task names the document any more."""
    ref = find_document(session, key)
    if ref is None:
        raise NotFound("Không còn nhiệm vụ nào giao theo văn bản này.")
    progress = document_progress(session, viewer, ref, today=today)
    listed = listed_level(progress.report)
    titled = replace(listed, unit=f"{progress.ref.display()} — {listed.unit}")
    png = progress_chart_png(titled, today=today)
    caption = (
        f"<b>{esc(shorten(progress.ref.display(), 150))}</b> ({esc(shorten(progress.scope, 200))}): "
        f"hoàn thành {pct(progress.report.completion_rate)}, {progress.report.overdue} nhiệm vụ quá hạn "
        f"(đến ngày {format_date(today)})."
    )
    return png, caption


def reads_as_document(text: str) -> DocRef | None:
    """The document `text` names when it reads as a reference ("KL 221", "221-KL/TW"), else None."""
    return parse_ref(text) if text else None
