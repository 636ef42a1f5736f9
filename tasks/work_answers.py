"""Answers to free-text questions about work, within the asker's permissions.

`route(session, text)` classifies a private-chat message (`tasks.intents`, with the real unit names);
when `intent.is_work`, the bot calls `answer(session, asker, intent, today=...)` instead of document
search and shows the returned `Screen`. Who may ask what:

- not linked (or deactivated): a polite refusal pointing to /lienket;
- cán bộ: about their own tasks only; a question about a unit or a colleague is refused politely;
- lãnh đạo: their own tasks ("việc của tôi"), any unit of their subtree (default: their unit), and the
  people of their subtree ("việc của chị Mai"); anyone else is refused politely;
- quản trị: anything (default: every unit).
Numbers come from the same functions as /tiendo and the reports, so the answers always agree with them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import Select, and_, case, func, select, true
from sqlalchemy.orm import Session, selectinload

from tasks.access import can_view_unit, unit_subtree_ids
from tasks.errors import UnitNotFound
from tasks.intents import DUE_SOON_DEFAULT, Intent, IntentKind, Window, classify
from tasks.kpi import GRACE_DAYS, KpiParts, format_kpi, official_kpi
from tasks.models import Official, Task, Unit, overdue_condition
from tasks.normalize import CLOSED_STATUSES, Role, TaskStatus, fold, format_date
from tasks.progress_view import compute_progress, pct, summary_lines
from tasks.ui import (
    NOT_LINKED,
    Keyboard,
    Screen,
    button,
    chart_data,
    esc,
    manage_data,
    overdue_data,
    shorten,
    task_data,
    time_left,
    unit_data,
)
from tasks.units import find_unit

LIST_LIMIT = 10

STAFF_ASKS_PERSON = (
    "Xin lỗi, anh/chị chỉ xem được nhiệm vụ của mình. Anh/chị có thể hỏi, ví dụ: “việc của tôi tuần này”, "
    "“tôi có việc nào quá hạn không?”."
)
STAFF_ASKS_UNIT = (
    "Xin lỗi, số liệu tiến độ của đơn vị chỉ dành cho lãnh đạo đơn vị. Bạn có thể hỏi về việc của mình, "
    "ví dụ: “việc của tôi tuần này”, “việc nào sắp đến hạn?”, “tôi có việc nào quá hạn không?”."
)


@dataclass
class WorkAnswer(Screen):
    """A `Screen`; `refused` tells the bot (and tests) that permission was the reason for the answer."""

    refused: bool = False


def unit_names(session: Session) -> list[str]:
    return list(session.scalars(select(Unit.name)))


def person_names(session: Session) -> list[str]:
    """Full names of the active officials (to recognise a colleague named without an honorific)."""
    return list(session.scalars(select(Official.full_name).where(Official.active.is_(True)).distinct()))


def route(session: Session, text: str, units: list[str] | None = None) -> Intent:
    """Classify a message, recognising the office's own unit names and officials' names."""
    return classify(text, unit_names(session) if units is None else units, person_names(session))


# --- scope -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _UnitScope:
    unit: Unit | None  # None = every unit

    @property
    def name(self) -> str:
        return self.unit.name if self.unit is not None else "Tất cả đơn vị"

    @property
    def id(self) -> int | None:
        return self.unit.id if self.unit is not None else None


def _unit_scope(session: Session, asker: Official, intent: Intent) -> _UnitScope | WorkAnswer:
    """The unit a leader/admin asks about, or the answer explaining why not."""
    admin = asker.role == Role.QUAN_TRI
    if intent.own_unit:
        unit: Unit | None = asker.unit
    elif intent.unit_text:
        try:
            unit = find_unit(session, intent.unit_text, allow_abbreviation=True)
        except UnitNotFound as exc:
            return WorkAnswer(esc(str(exc)))
    else:
        unit = None if admin else asker.unit
    if unit is not None and not can_view_unit(asker, unit):
        return WorkAnswer(
            f"Xin lỗi, bạn chỉ xem được tiến độ của {esc(asker.unit.name)} và các đơn vị trực thuộc.",
            refused=True,
        )
    return _UnitScope(unit)


def _scope_filter(session: Session, scope: _UnitScope | Official):
    if isinstance(scope, Official):
        return Task.assignee_id == scope.id
    if scope.unit is None:
        return true()
    return Task.lead_unit_id.in_(unit_subtree_ids(session, scope.unit.id))


def answer(session: Session, asker: Official | None, intent: Intent, *, today: date) -> WorkAnswer:
    """The answer to a work question (`intent.is_work`), as HTML with buttons to drill down."""
    if asker is None or not asker.active:
        return WorkAnswer(esc(NOT_LINKED), refused=True)
    leader = asker.role in (Role.LANH_DAO, Role.QUAN_TRI)
    if intent.person_text:
        person = _person_scope(session, asker, intent.person_text, leader)
        if isinstance(person, WorkAnswer):
            return person
        if person.id != asker.id:
            return _personal_answer(session, person, intent, today, asker=asker)
        intent = replace(intent, person_text=None, mine=True)
    if intent.about_unit and not leader:
        return WorkAnswer(esc(STAFF_ASKS_UNIT), refused=True)
    if leader and (intent.about_unit or not intent.mine):
        scope = _unit_scope(session, asker, intent)
        if isinstance(scope, WorkAnswer):
            return scope
        return _unit_answer(session, scope, intent, today)
    return _personal_answer(session, asker, intent, today)


def _person_scope(session: Session, asker: Official, text: str, leader: bool) -> Official | WorkAnswer:
    """The colleague a question names (by full name, or by the end of it), or the answer explaining why not:
    an official may ask about themselves only; a leader about the people of their subtree."""
    key = fold(text)
    people = list(
        session.scalars(
            select(Official)
            .where(Official.active.is_(True))
            .options(selectinload(Official.unit))
            .order_by(Official.code)
        )
    )
    named = [o for o in people if fold(o.full_name) == key] or [
        o for o in people if fold(o.full_name).endswith(" " + key) or fold(o.full_name) == key
    ]
    if any(o.id == asker.id for o in named):
        return asker
    if not leader:
        return WorkAnswer(esc(STAFF_ASKS_PERSON), refused=True)
    if not named:
        return WorkAnswer(f"Không tìm thấy cán bộ tên “{esc(text)}” trong danh sách cán bộ.")
    visible = [o for o in named if asker.role == Role.QUAN_TRI or can_view_unit(asker, o.unit)]
    if not visible:
        return WorkAnswer(
            f"Xin lỗi, anh/chị chỉ xem được nhiệm vụ của cán bộ thuộc {esc(asker.unit.name)} "
            "và các đơn vị trực thuộc.",
            refused=True,
        )
    if len(visible) > 1:
        names = "; ".join(f"{esc(o.full_name)} ({esc(o.code)}, {esc(o.unit.name)})" for o in visible[:8])
        return WorkAnswer(f"Có {len(visible)} cán bộ tên “{esc(text)}”: {names}. Hãy ghi rõ họ và tên.")
    return visible[0]


# --- answers about a unit ----------------------------------------------------------------------------------


def _unit_answer(session: Session, scope: _UnitScope, intent: Intent, today: date) -> WorkAnswer:
    name = esc(scope.name)
    if intent.kind in (IntentKind.PROGRESS, IntentKind.KPI):
        progress = compute_progress(session, scope.unit, today)
        r = progress.report
        if intent.kind == IntentKind.KPI:
            lines = [
                f"<b>🎯 KPI của {name}</b>: <b>{format_kpi(progress.kpi.score)}</b>/100",
                _kpi_detail(progress.kpi),
            ]
        else:
            lines = [f"<b>📊 {name}</b> đã hoàn thành <b>{pct(r.completion_rate)}</b> nhiệm vụ "
                     f"({r.done}/{r.total}), tính đến ngày {format_date(today)}.", "", *summary_lines(r, progress.kpi)]  # fmt: skip
        buttons = [[button("📊 Chi tiết", unit_data(scope.id)), button("📈 Biểu đồ", chart_data(scope.id))]]
        return WorkAnswer("\n".join(lines), buttons)
    where = _scope_filter(session, scope)
    if intent.kind == IntentKind.OVERDUE:
        query = _open().where(where, overdue_condition(today))
        total_all = (
            session.scalar(
                select(func.count()).select_from(Task).where(where, Task.status != TaskStatus.DA_HUY)
            )
            or 0
        )
        count, tasks = _count_and_page(session, query)
        head = f"<b>⚠️ {name}</b> có <b>{count}</b> nhiệm vụ quá hạn (trên tổng số {total_all}), tính đến ngày {format_date(today)}."
        if not count:
            return WorkAnswer(
                f"<b>✅ {name}</b>: không có nhiệm vụ quá hạn (tính đến ngày {format_date(today)})."
            )
        text, buttons = _listing(head, tasks, today, with_people=True, manage=True)
        buttons.append([button("⚠️ Xem tất cả", overdue_data(scope.id))])
        return WorkAnswer(text, buttons)
    window = intent.window or (DUE_SOON_DEFAULT if intent.kind == IntentKind.DUE_SOON else None)
    query, label = _windowed(intent.kind, window, today, where)
    count, tasks = _count_and_page(session, query)
    if not count:
        return WorkAnswer(f"<b>{name}</b>: không có nhiệm vụ {label}.")
    head = f"<b>📋 {name}</b>: <b>{count}</b> nhiệm vụ {label}."
    text, buttons = _listing(head, tasks, today, with_people=True, manage=True)
    buttons.append([button("📊 Tiến độ đơn vị", unit_data(scope.id))])
    return WorkAnswer(text, buttons)


# --- answers about the asker's own tasks -------------------------------------------------------------------


def _personal_answer(
    session: Session, person: Official, intent: Intent, today: date, *, asker: Official | None = None
) -> WorkAnswer:
    """About `person`'s own tasks; `asker` (a leader) when it is about someone else."""
    where = _scope_filter(session, person)
    about_other = asker is not None and asker.id != person.id  # a leader: open tasks in the /tiendo view
    if not about_other:
        you, your = "Bạn", "của bạn"
    else:
        you = f"{esc(person.full_name)} ({esc(person.code)})"
        your = "của " + you
    if intent.kind == IntentKind.KPI:
        parts = official_kpi(session, person.id, today)
        return WorkAnswer(f"<b>🎯 KPI {your}</b>: <b>{format_kpi(parts.score)}</b>/100\n{_kpi_detail(parts)}")
    if intent.kind == IntentKind.PROGRESS:
        return WorkAnswer(_personal_progress(session, person, today, you))
    if intent.kind == IntentKind.OVERDUE:
        count, tasks = _count_and_page(session, _open().where(where, overdue_condition(today)))
        if not count:
            return WorkAnswer(
                f"✅ {you} không có nhiệm vụ nào quá hạn." + (" Cảm ơn bạn!" if you == "Bạn" else "")
            )
        text, buttons = _listing(
            f"<b>⚠️ {you} có {count} nhiệm vụ quá hạn</b>:", tasks, today, manage=about_other
        )
        return WorkAnswer(text, buttons)
    window = intent.window or (DUE_SOON_DEFAULT if intent.kind == IntentKind.DUE_SOON else None)
    query, label = _windowed(intent.kind, window, today, where)
    count, tasks = _count_and_page(session, query)
    if not count:
        return WorkAnswer(f"{you} không có nhiệm vụ nào {label}. 👍")
    text, buttons = _listing(
        f"<b>📋 Việc {your} {label}</b>: {count} nhiệm vụ", tasks, today, manage=about_other
    )
    return WorkAnswer(text, buttons)


def _personal_progress(session: Session, asker: Official, today: date, you: str = "Bạn") -> str:
    done = Task.status == TaskStatus.HOAN_THANH
    total, n_done, on_time, overdue = (
        int(v or 0)
        for v in session.execute(
            select(
                func.count(),
                func.sum(case((done, 1), else_=0)),
                func.sum(case((and_(done, Task.completed_on <= Task.deadline), 1), else_=0)),
                func.sum(case((overdue_condition(today), 1), else_=0)),
            ).where(Task.assignee_id == asker.id, Task.status != TaskStatus.DA_HUY)
        ).one()
    )
    if not total:
        return f"{you} chưa được giao nhiệm vụ nào."
    kpi = official_kpi(session, asker.id, today)
    return "\n".join(
        [
            f"<b>📊 {you} đã hoàn thành {pct(n_done / total)} nhiệm vụ</b> ({n_done}/{total}), tính đến ngày {format_date(today)}.",
            f"✅ Đúng hạn: {on_time}",
            f"🔄 Đang thực hiện (chưa đến hạn): {total - n_done - overdue}",
            f"⚠️ Quá hạn: {overdue}",
            f"🎯 KPI: {format_kpi(kpi.score)}/100",
        ]
    )


# --- shared pieces -----------------------------------------------------------------------------------------


def _open() -> Select[tuple[Task]]:
    return select(Task).where(Task.status.not_in(CLOSED_STATUSES))


def _windowed(kind: IntentKind, window: Window | None, today: date, where) -> tuple[Select[tuple[Task]], str]:
    """Open tasks of the scope for a window: due in it (due soon: from today on; otherwise overdue ones
    are included, they are still to do), with the words describing it."""
    query = _open().where(where)
    if window is None:
        return query, "đang thực hiện"
    start, end = window.bounds(today)
    if kind == IntentKind.DUE_SOON:
        return query.where(
            Task.deadline >= max(start, today), Task.deadline <= end
        ), f"đến hạn trong {window.label(today)}"
    return query.where(Task.deadline <= end), f"cần hoàn thành trong {window.label(today)}"


def _count_and_page(session: Session, query: Select[tuple[Task]]) -> tuple[int, list[Task]]:
    count = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    tasks = session.scalars(
        query.options(selectinload(Task.assignee), selectinload(Task.lead_unit))
        .order_by(Task.deadline, Task.id)
        .limit(LIST_LIMIT)
    ).all()
    return count, list(tasks)


def _listing(
    head: str, tasks: list[Task], today: date, *, with_people: bool = False, manage: bool = False
) -> tuple[str, Keyboard]:
    """Numbered tasks; the numbers open a task: the card (t:v) for one's own tasks, the leaders' view of
    /tiendo (td:t, with "Giao lại" / "Hủy nhiệm vụ" where allowed) when `manage`."""
    lines = [head]
    for i, task in enumerate(tasks, start=1):
        overdue = task.is_overdue(today)
        when = (
            f"⚠️ quá hạn {(today - task.deadline).days} ngày" if overdue else time_left(task.deadline, today)
        )
        lines.append(
            f"\n{i}. <b>{esc(task.code)}</b> · hạn {format_date(task.deadline)} ({when}) · {task.progress}%"
        )
        lines.append(f"   {esc(shorten(task.content, 160))}")
        if with_people:
            lines.append(f"   👤 {esc(task.assignee.full_name)} · {esc(shorten(task.lead_unit.name, 50))}")
    if len(tasks) == LIST_LIMIT:
        lines.append(f"\n<i>(Hiển thị {LIST_LIMIT} nhiệm vụ có hạn sớm nhất.)</i>")
    opener = (lambda t: manage_data("t", t.id)) if manage else (lambda t: task_data(t.id))
    numbered = [button(str(i), opener(t)) for i, t in enumerate(tasks, start=1)]
    return "\n".join(lines), [numbered[i : i + 5] for i in range(0, len(numbered), 5)]


def _kpi_detail(parts: KpiParts) -> str:
    if not parts.judged:
        return "Chưa có nhiệm vụ nào đến hạn hoặc hoàn thành để tính KPI."
    return (
        f"Tính trên {parts.judged} nhiệm vụ đã đến hạn hoặc đã hoàn thành: {parts.on_time} hoàn thành đúng hạn, "
        f"{parts.late} hoàn thành trễ, "
        + (f"{parts.undated} hoàn thành không rõ ngày, " if parts.undated else "")
        + f"{parts.overdue} quá hạn chưa xong. (Đúng hạn +1; trễ được tối đa 0,5, giảm dần "
        f"về 0 sau {GRACE_DAYS} ngày; hoàn thành không rõ ngày +0,5; quá hạn bị trừ tới 0,5 tùy số ngày trễ.)"
    )
