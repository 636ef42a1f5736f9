"""What both report files show, collected once with a few aggregate queries (`ReportData`), so the
spreadsheet, the Word document and `/tiendo` always agree."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasks.access import unit_subtree_ids
from tasks.kpi import (
    GRACE_DAYS,
    KpiParts,
    OfficialKpi,
    kpi_by_lead_unit,
    official_kpis,
    unit_kpis,
)
from tasks.models import Official, Task, Unit
from tasks.normalize import TaskStatus, fold_key, nfc
from tasks.progress_view import node_kpi, overdue_query, resolve_scope
from tasks.reporting import UnitProgress, unit_report
from tasks.units import find_unit
from vntext.docrefs import DocRef, find_refs, same_document

TITLE = "BÁO CÁO TIẾN ĐỘ THỰC HIỆN NHIỆM VỤ"
KPI_EXPLANATION = (
    f"KPI (0–100) = 100 × tổng điểm ÷ số nhiệm vụ đã đến hạn hoặc đã hoàn thành. Điểm mỗi nhiệm vụ: hoàn thành "
    f"đúng hạn +1; hoàn thành trễ L ngày +0,5 × (1 − L/{GRACE_DAYS}), không âm; hoàn thành không rõ ngày hoàn "
    f"thành +0,5 (không tính đúng hạn, không tính trễ); chưa hoàn thành, quá hạn D ngày "
    f"−0,5 × min(D, {GRACE_DAYS})/{GRACE_DAYS}. Nhiệm vụ chưa đến hạn chưa tính."
)


@dataclass(frozen=True)
class OverdueRow:
    code: str
    content: str
    assignee: str
    assignee_code: str
    unit: str
    deadline: date
    days_late: int
    progress: int
    status: str
    original_deadline: date | None = None  # the first deadline, when an extension moved it ("gia hạn từ …")


@dataclass(frozen=True)
class DocumentSection:
    """The tasks of one assigning document within the report's subtree: `document` as shown ("Kết luận
    221-KL/TW", or the `Văn bản giao` text when it carries no number) and their report by unit."""

    document: str
    report: UnitProgress


@dataclass
class ReportData:
    """Everything a report shows, for one unit subtree (`unit_id` None = all units)."""

    unit_name: str
    unit_id: int | None
    parent_name: str | None
    today: date
    report: UnitProgress
    kpis: dict[int | None, KpiParts]
    overdue: list[OverdueRow]
    officials: list[OfficialKpi]
    own_kpis: dict[int, KpiParts] = field(default_factory=dict)  # tasks each unit leads itself
    documents: list[DocumentSection] = field(default_factory=list)  # by assigning document, most tasks first

    @property
    def kpi(self) -> KpiParts:
        return self.kpis.get(self.unit_id, KpiParts())

    def unit_kpi(self, node: UnitProgress) -> KpiParts:
        """A row's KPI: the unit's subtree, or its own tasks only for a "(trực tiếp)" row."""
        return node_kpi(node, self.kpis, self.own_kpis)


def collect_report(session: Session, unit: Unit | None, *, today: date) -> ReportData:
    """Gather a report's data: tree report, KPIs, overdue tasks, officials' KPIs (aggregate queries).

    With no unit and a single top unit (the usual case: one UBND tỉnh), the report is that unit's: a
    document titled after the real issuing body rather than "Tất cả đơn vị".
    """
    if unit is None:
        tops = session.scalars(select(Unit).where(Unit.parent_id.is_(None)).limit(2)).all()
        unit = tops[0] if len(tops) == 1 else None
    report = unit_report(session, unit, today=today)
    kpis = unit_kpis(session, today)
    ids = unit_subtree_ids(session, unit.id) if unit is not None else None
    rows = session.execute(
        overdue_query(session, unit, today)
        .with_only_columns(
            Task.code,
            Task.content,
            Official.full_name,
            Official.code,
            Unit.name,
            Task.deadline,
            Task.progress,
            Task.status,
            Task.original_deadline,
        )
        .join(Official, Official.id == Task.assignee_id)
        .join(Unit, Unit.id == Task.lead_unit_id)
    )
    overdue = [
        OverdueRow(
            code,
            content,
            name,
            ocode,
            uname,
            deadline,
            (today - deadline).days,
            progress,
            TaskStatus(status).label,
            first if first != deadline else None,
        )
        for code, content, name, ocode, uname, deadline, progress, status, first in rows
    ]
    parent = unit.parent.name if unit is not None and unit.parent is not None else None
    return ReportData(
        unit_name=report.unit,
        unit_id=unit.id if unit is not None else None,
        parent_name=parent,
        today=today,
        report=report,
        kpis=kpis,
        overdue=overdue,
        officials=official_kpis(session, today, ids),
        own_kpis=kpi_by_lead_unit(session, today),
        documents=document_sections(session, unit, today=today),
    )


def _group_by_document(texts: list[str]) -> dict[str, list[str]]:
    """`Văn bản giao` texts grouped by the document they name (its first reference): "KL 221",
    "Kết luận 221-KL/TW" and "221-KL/TW" are one document; a short reference joins the full number when only
    one full number matches it; a text without a number is its own group."""
    fulls: dict[str, list[str]] = {}
    shorts: dict[DocRef, list[str]] = {}
    plain: dict[str, list[str]] = {}
    for text in texts:
        refs = find_refs(text)
        if not refs:
            plain.setdefault(" ".join(nfc(text).split()), []).append(text)
        elif refs[0].full:
            fulls.setdefault(refs[0].display(), []).append(text)
        else:
            shorts.setdefault(refs[0], []).append(text)
    full_refs = {name: find_refs(group[0])[0] for name, group in fulls.items()}
    for ref, group in shorts.items():
        matches = [name for name, full in full_refs.items() if same_document(ref, full)]
        if len(matches) == 1:
            fulls[matches[0]] += group
        else:
            fulls.setdefault(ref.display(), []).extend(group)
    return {**fulls, **plain}


def document_sections(session: Session, unit: Unit | None, *, today: date) -> list[DocumentSection]:
    """One section per assigning document of the tasks led within `unit`'s subtree (None: all units), most
    tasks first: the "theo văn bản giao" part of the report files."""
    query = select(Task.source_document).where(Task.source_document.is_not(None)).distinct()
    if unit is not None:
        query = query.where(Task.lead_unit_id.in_(unit_subtree_ids(session, unit.id)))
    texts = sorted(t for t in session.scalars(query) if t and t.strip())
    sections = []
    for name, group in _group_by_document(texts).items():
        report = unit_report(
            session, unit, today=today, only=Task.source_document.in_(group), skip_empty=True
        )
        if report.total:
            sections.append(DocumentSection(name, report))
    return sorted(sections, key=lambda s: (-s.report.total, s.document))


def report_for_viewer(
    session: Session, viewer: Official | None, unit_id: int | None, *, today: date
) -> ReportData:
    """`collect_report` after the /tiendo permission check (leaders: their subtree; admins: anything)."""
    return collect_report(session, resolve_scope(session, viewer, unit_id), today=today)


def report_for_name(session: Session, name: str | None, *, today: date) -> ReportData:
    """For the CLI (an operator sees everything): a unit by loose name, or all units."""
    unit = find_unit(session, name, allow_abbreviation=True) if name else None
    return collect_report(session, unit, today=today)


def report_filename(data: ReportData, ext: str) -> str:
    """ "bao-cao-tien-do_so-noi-vu_2026-11-22.xlsx" — ASCII, safe on every system and in Telegram."""
    slug = re.sub(r"\s+", "-", fold_key(data.unit_name))[:60] or "don-vi"
    return f"bao-cao-tien-do_{slug}_{data.today.isoformat()}.{ext}"


def walk(node: UnitProgress, depth: int = 0) -> Iterator[tuple[int, UnitProgress]]:
    yield depth, node
    for child in node.units:
        yield from walk(child, depth + 1)
