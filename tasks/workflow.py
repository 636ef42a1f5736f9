"""The "6 rõ" cycle as use cases: assign, acknowledge, ask for more time, decide, hand in, review.

Plain functions over a session and the acting official, for the bot (and any other front end): no Telegram
types here. Each one
- re-checks permission against the database (a button in an old message or a forged callback must not act);
- works on the task row re-read under the write lock of `tasks.writes` (so two presses, in one process or
  two, never both succeed), and changes task fields through `change_task` (audited field by field, with
  the `via` the caller gives);
- returns a result that says whom to notify (`notify`: officials; the bot sends them the messages), or a
  `Refused` with a Vietnamese reason, after which nothing has changed: no row, no audit entry.

Who decides an extension and reviews a product (`approvers`): the assigner when the task has one as a linked,
active official; otherwise the leaders (lãnh đạo) of the lead unit, or of the nearest unit above it that has
one. A leader of a unit above an approver's, and a quản trị, may decide too; nobody decides their own request
or judges their own product.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.orm import Session, selectinload

from tasks import audit
from tasks.access import can_view_unit
from tasks.errors import NotFound, TaskDomainError
from tasks.models import ExtensionRequest, Official, Task, TaskProduct, Unit
from tasks.normalize import Role, TaskStatus, Via, fold, format_date, nfc
from tasks.product_files import MAX_TEXT, ProductItem, product_rows
from tasks.service import done_phrase, find_task_locked
from tasks.timeutil import DEFAULT_TZ, as_utc, local_date, utcnow
from tasks.units import find_unit
from tasks.workdays import WorkCalendar, default_calendar
from tasks.writes import begin_write, change_task

CODE_PREFIX = "NV"
MAX_REASON = 500
REVIEW_WAIT_WORKING_DAYS = 3
CODE_LOCK_ID = 7_215_039  # PostgreSQL advisory lock: one code handed out at a time


# --- results --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refused:
    """Not done, and nothing changed; `reason` is the Vietnamese sentence to show the person who asked."""

    reason: str
    ok: ClassVar[bool] = False


@dataclass(frozen=True)
class Assigned:
    """A new task; `notify`: the assignee (unless they assigned it to themselves)."""

    task: Task
    notify: list[Official]
    ok: ClassVar[bool] = True


@dataclass(frozen=True)
class Acknowledged:
    """The assignee took the task on (in progress); `notify`: the assigner, or the approvers."""

    task: Task
    notify: list[Official]
    ok: ClassVar[bool] = True


@dataclass(frozen=True)
class ExtensionRequested:
    """A pending request; `notify`: whoever may decide it (the approvers)."""

    task: Task
    request: ExtensionRequest
    notify: list[Official]
    ok: ClassVar[bool] = True


@dataclass(frozen=True)
class ExtensionDecided:
    """An approved (deadline moved, reminders re-planned) or rejected request; `notify`: the requester."""

    task: Task
    request: ExtensionRequest
    notify: list[Official]
    ok: ClassVar[bool] = True

    @property
    def approved(self) -> bool:
        return self.request.status == "approved"


@dataclass(frozen=True)
class ProductSubmitted:
    """The product is stored and the task waits for review; `notify`: the approvers."""

    task: Task
    products: list[TaskProduct]
    notify: list[Official]
    ok: ClassVar[bool] = True


@dataclass(frozen=True)
class ProductReviewed:
    """Đạt (task done) or chưa đạt (back in progress, with the comment); `notify`: the assignee."""

    task: Task
    verdict: str
    comment: str | None
    notify: list[Official]
    ok: ClassVar[bool] = True

    @property
    def accepted(self) -> bool:
        return self.verdict == "dat"


@dataclass(frozen=True)
class WaitingReview:
    """A product waiting for review longer than allowed: flagged against `approvers`, not the official."""

    task: Task
    approvers: list[Official]
    waiting_since: date
    working_days: int


# --- who decides ------------------------------------------------------------------------------------------


def _active(official: Official | None) -> bool:
    return official is not None and official.active


def approvers(session: Session, task: Task, *, exclude: Official | None = None) -> list[Official]:
    """Who decides extensions and reviews products of `task` (see the module docstring), in id order.

    `exclude`: the official asking (nobody decides their own request): a leader who is the only leader of the
    lead unit, or the task's own assigner, is passed over for the leaders of the units above; [] when nobody is
    left (a top leader's own task)."""
    skip = exclude.id if exclude is not None else None
    if task.assigner_official_id is not None and _active(task.assigner) and task.assigner_official_id != skip:
        assert task.assigner is not None
        return [task.assigner]
    for unit in task.lead_unit.ancestors_and_self():
        leaders = list(
            session.scalars(
                select(Official)
                .where(Official.unit_id == unit.id, Official.role == Role.LANH_DAO, Official.active.is_(True))
                .order_by(Official.id)
            )
        )
        leaders = [leader for leader in leaders if leader.id != skip]
        if leaders:
            return leaders
    return []


def _strictly_above(leader: Official, unit: Unit) -> bool:
    return any(u.id == leader.unit_id for u in unit.ancestors_and_self()[1:])


def may_decide(session: Session, actor: Official | None, task: Task) -> bool:
    """Whether `actor` may decide an extension or review a product of `task`: an approver, a leader of a
    unit above an approver's (or above the lead unit), or a quản trị."""
    if not _active(actor):
        return False
    assert actor is not None
    if actor.role == Role.QUAN_TRI:
        return True
    chosen = approvers(session, task)
    if any(a.id == actor.id for a in chosen):
        return True
    if actor.role != Role.LANH_DAO:
        return False
    return _strictly_above(actor, task.lead_unit) or any(_strictly_above(actor, a.unit) for a in chosen)


# --- assign -----------------------------------------------------------------------------------------------


def _lock_codes(session: Session) -> None:
    """Serialise code allocation: PostgreSQL advisory lock; SQLite's single write lock."""
    begin_write(session)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": CODE_LOCK_ID})


def next_task_code(session: Session, year: int) -> str:
    """The next free code of `year`: NV-2026-0001, NV-2026-0002, … (after the largest of that form)."""
    prefix = f"{CODE_PREFIX}-{year}-"
    numbers = [
        int(code[len(prefix) :])
        for code in session.scalars(select(Task.code).where(Task.code.like(prefix + "%")))
        if code[len(prefix) :].isdigit()
    ]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


def _find_official(session: Session, code: str) -> Official | None:
    code = nfc(code)
    found = session.scalar(select(Official).where(Official.code == code))
    if found is None:
        matches = [o for o in session.scalars(select(Official)) if o.code.casefold() == code.casefold()]
        found = matches[0] if len(matches) == 1 else None
    return found


def _one_line(value: str | None) -> str:
    return " ".join(nfc(value or "").split())


def assign_task(
    session: Session,
    actor: Official | None,
    *,
    assignee_code: str,
    content: str,
    deadline: date,
    product: str,
    document: str | None = None,
    lead_unit: str | None = None,
    via: str = Via.BOT,
    now: datetime | None = None,
    tz: ZoneInfo = DEFAULT_TZ,
) -> Assigned | Refused:
    """Create a task from the chat: `actor` (a lãnh đạo for officials of their unit subtree, a quản trị for
    anyone) gives it to the official `assignee_code`. Commits.

    `deadline` (today or later, in `tz`; `tasks.deadlines.parse` reads what people type), `product` (rõ sản
    phẩm, required), `document` (the assigning document's reference, kept as typed), `lead_unit` (a unit
    name; default: the assignee's unit; a leader's must be in their subtree). The code is the next
    NV-<year>-<nnnn>; the assigner is stored as the official (`assigner_official_id`) and by name.
    """
    now = as_utc(now) if now else utcnow()
    today = local_date(now, tz)
    if not _active(actor) or actor is None or actor.role not in (Role.LANH_DAO, Role.QUAN_TRI):
        return Refused("Chỉ lãnh đạo (cho cán bộ thuộc đơn vị mình) và quản trị viên mới được giao việc.")
    text_ = " ".join(nfc(content or "").split())
    wanted = _one_line(product)
    if not any(ch.isalnum() for ch in text_):
        return Refused("Hãy ghi nội dung công việc cần giao.")
    if not any(ch.isalnum() for ch in wanted):
        return Refused("Hãy ghi sản phẩm cần nộp (rõ sản phẩm), ví dụ: “Báo cáo bằng văn bản”.")
    if deadline < today:
        return Refused(f"Thời hạn {format_date(deadline)} đã qua: hôm nay là {format_date(today)}.")
    assignee = _find_official(session, assignee_code)
    if assignee is None:
        return Refused(f"Không có cán bộ mã “{nfc(assignee_code)}”.")
    if not assignee.active:
        return Refused(
            f"Cán bộ {assignee.full_name} ({assignee.code}) đã ngừng hoạt động; hãy giao cho người khác."
        )
    if actor.role == Role.LANH_DAO and not can_view_unit(actor, assignee.unit):
        return Refused(
            f"{assignee.full_name} ({assignee.code}) không thuộc {actor.unit.name} hoặc các đơn vị trực thuộc: "
            "lãnh đạo chỉ giao việc cho cán bộ trong đơn vị mình."
        )
    unit = assignee.unit
    if lead_unit and lead_unit.strip():
        try:
            unit = find_unit(session, lead_unit, allow_abbreviation=True)
        except TaskDomainError as exc:
            return Refused(str(exc))
        if actor.role == Role.LANH_DAO and not can_view_unit(actor, unit):
            return Refused(f"{unit.name} không thuộc {actor.unit.name} hoặc các đơn vị trực thuộc.")
    doc = _one_line(document) or None
    _lock_codes(session)
    code = next_task_code(session, today.year)
    task = Task(
        code=code, content=text_, assignee=assignee, lead_unit=unit, deadline=deadline, product=wanted,
        assigned_by=actor.full_name, assigner_official_id=actor.id, source_document=doc,
        status=TaskStatus.CHUA_BAT_DAU, progress=0, created_at=now, updated_at=now, updated_via=Via(via),
        progress_updated_at=now, progress_updated_via=Via(via), created_by=actor.code,
    )  # fmt: skip
    session.add(task)
    session.flush()
    audit.record(
        session, actor=actor.code, via=via, entity="task", key=code, new=assignee, at=now,
        note=f"Tạo mới (giao việc): giao {assignee.code}, hạn {format_date(deadline)}"
        + (f", văn bản giao {doc}" if doc else ""),
    )  # fmt: skip
    session.commit()
    return Assigned(task, [] if assignee.id == actor.id else [assignee])


# --- acknowledge ------------------------------------------------------------------------------------------


def _locked(session: Session, ref: int | str) -> Task | Refused:
    try:
        return find_task_locked(session, ref)
    except NotFound as exc:
        return Refused(str(exc))


def _refuse(session: Session, reason: str) -> Refused:
    session.rollback()  # releases the write lock; nothing was written
    return Refused(reason)


def _closed_reason(task: Task) -> str | None:
    if task.is_cancelled:
        return f"Nhiệm vụ {task.code} đã bị hủy."
    if task.is_done:
        return f"Nhiệm vụ {task.code} đã {done_phrase(task)}."
    return None


def acknowledge(
    session: Session,
    actor: Official | None,
    task: int | str,
    via: str = Via.BOT,
    *,
    now: datetime | None = None,
) -> Acknowledged | Refused:
    """The assignee takes the task on ("Nhận việc"): not started → in progress. Commits.

    `notify`: the assigner (as an official), or the approvers when there is none.
    """
    now = as_utc(now) if now else utcnow()
    found = _locked(session, task)
    if isinstance(found, Refused):
        return found
    if not _active(actor) or actor is None or found.assignee_id != actor.id:
        return _refuse(
            session, f"Chỉ người được giao ({found.assignee.full_name}) mới nhận nhiệm vụ {found.code}."
        )
    if reason := _closed_reason(found):
        return _refuse(session, reason)
    if found.status != TaskStatus.CHUA_BAT_DAU:
        return _refuse(session, f"Bạn đã nhận nhiệm vụ {found.code} rồi (trạng thái: {found.status.label}).")
    change_task(
        session,
        found,
        {"status": TaskStatus.DANG_THUC_HIEN},
        actor=actor.code,
        via=via,
        now=now,
        note="Nhận việc",
    )
    session.commit()
    return Acknowledged(found, [a for a in approvers(session, found) if a.id != actor.id])


# --- more time --------------------------------------------------------------------------------------------


def _reason_problem(reason: str, what: str) -> str | None:
    if not any(ch.isalnum() for ch in reason):
        return f"Hãy ghi {what}."
    if len(reason) > MAX_REASON:
        return f"{what[0].upper()}{what[1:]} dài {len(reason)} ký tự; tối đa {MAX_REASON} ký tự."
    return None


def extension_refusal(session: Session, actor: Official | None, task: Task) -> str | None:
    """Why `actor` may not ask for more time on `task` now (the Vietnamese sentence), or None: only the
    assignee, on an open task not waiting for review, without another request pending. The chat asks this
    before it asks for a date and a reason; `request_extension` asks it again under the write lock."""
    if not _active(actor) or actor is None or task.assignee_id != actor.id:
        return f"Chỉ người được giao ({task.assignee.full_name}) mới xin gia hạn nhiệm vụ {task.code}."
    if reason_closed := _closed_reason(task):
        return reason_closed
    if task.is_waiting_review:
        return f"Nhiệm vụ {task.code} đã nộp sản phẩm và đang chờ duyệt; không cần gia hạn."
    pending = session.scalar(
        select(ExtensionRequest).where(
            ExtensionRequest.task_id == task.id, ExtensionRequest.status == "pending"
        )
    )
    if pending is not None:
        return (
            f"Nhiệm vụ {task.code} đã có đề nghị gia hạn đến {format_date(pending.requested_deadline)} đang chờ "
            "quyết định."
        )
    return None


def extension_date_problem(task: Task, new_deadline: date, today: date) -> str | None:
    """Why `new_deadline` cannot be asked for `task` (not after the current deadline, or past), or None."""
    if new_deadline <= task.deadline:
        return f"Thời hạn mới ({format_date(new_deadline)}) phải sau thời hạn hiện tại ({format_date(task.deadline)})."
    if new_deadline < today:
        return f"Thời hạn {format_date(new_deadline)} đã qua: hôm nay là {format_date(today)}."
    return None


def request_extension(
    session: Session,
    actor: Official | None,
    task: int | str,
    new_deadline: date,
    reason: str,
    via: str = Via.BOT,
    *,
    now: datetime | None = None,
    tz: ZoneInfo = DEFAULT_TZ,
) -> ExtensionRequested | Refused:
    """The assignee asks for `new_deadline` (later than the current deadline, not in the past) with a reason
    (required, ≤ 500 characters). One pending request per task. Commits; `notify`: the approvers."""
    now = as_utc(now) if now else utcnow()
    today = local_date(now, tz)
    found = _locked(session, task)
    if isinstance(found, Refused):
        return found
    if blocked := extension_refusal(session, actor, found):
        return _refuse(session, blocked)
    why = " ".join(nfc(reason or "").split())
    if problem := _reason_problem(why, "lý do xin gia hạn"):
        return _refuse(session, problem)
    if problem := extension_date_problem(found, new_deadline, today):
        return _refuse(session, problem)
    chosen = approvers(session, found, exclude=actor)
    if not chosen:
        return _refuse(
            session,
            f"Chưa có lãnh đạo nào của {found.lead_unit.name} để quyết định gia hạn; hãy báo quản trị viên.",
        )
    request = ExtensionRequest(
        task=found, requested_by=actor, old_deadline=found.deadline, requested_deadline=new_deadline, reason=why,
        status="pending", created_at=now,
    )  # fmt: skip
    session.add(request)
    audit.record(
        session, actor=actor.code, via=via, entity="task", key=found.code, field="extension_request",
        old=found.deadline, new=new_deadline, at=now, note=f"Xin gia hạn. Lý do: {why}",
    )  # fmt: skip
    session.commit()
    return ExtensionRequested(found, request, [a for a in chosen if a.id != actor.id] or chosen)


def decide_extension(
    session: Session,
    actor: Official | None,
    request_id: int,
    approve: bool,
    note: str | None = None,
    via: str = Via.BOT,
    *,
    now: datetime | None = None,
    replan: Any = None,
) -> ExtensionDecided | Refused:
    """Approve or reject a pending extension request. Commits; `notify`: the requester.

    Approved: `deadline` becomes the requested date for every figure, `original_deadline` keeps the first
    deadline (set once), and the reminders are re-planned: `replan(session, now)` (e.g. `tasks.reminders.
    plan_reminders` with the bot's policy; default: with the default policy). Refused when `actor` may not
    decide (see `may_decide`), decides their own request, or the request is no longer pending.
    """
    now = as_utc(now) if now else utcnow()
    request = session.get(ExtensionRequest, request_id)
    if request is None:
        return Refused(f"Không tìm thấy đề nghị gia hạn số {request_id}.")
    found = _locked(session, request.task_id)
    if isinstance(found, Refused):
        return found
    session.refresh(request)
    if not may_decide(session, actor, found) or actor is None:
        return _refuse(
            session,
            f"Bạn không có quyền quyết định gia hạn nhiệm vụ {found.code}: chỉ người giao việc, lãnh đạo đơn vị "
            "chủ trì, lãnh đạo cấp trên hoặc quản trị viên.",
        )
    if request.requested_by_id == actor.id:
        return _refuse(session, "Bạn không tự quyết định đề nghị gia hạn của chính mình.")
    if request.status != "pending":
        who = request.decided_by.full_name if request.decided_by else "người khác"
        state = "đồng ý" if request.status == "approved" else "không đồng ý"
        return _refuse(session, f"Đề nghị gia hạn này đã được {who} quyết định ({state}).")
    if reason := _closed_reason(found):
        return _refuse(session, reason)
    remark = _one_line(note) or None
    if remark and len(remark) > MAX_REASON:
        return _refuse(session, f"Ghi chú dài {len(remark)} ký tự; tối đa {MAX_REASON} ký tự.")
    request.status = "approved" if approve else "rejected"
    request.decided_by_id = actor.id
    request.decided_at = now
    request.note = remark
    if approve:
        values = {
            "deadline": request.requested_deadline,
            "original_deadline": found.original_deadline or found.deadline,
        }
        change_task(
            session, found, values, actor=actor.code, via=via, now=now,
            note=f"Gia hạn theo đề nghị của {request.requested_by.code}" + (f". Ghi chú: {remark}" if remark else ""),
        )  # fmt: skip
    else:
        audit.record(
            session, actor=actor.code, via=via, entity="task", key=found.code, field="extension_request",
            old=request.requested_deadline, new="rejected", at=now,
            note="Không đồng ý gia hạn" + (f". Ghi chú: {remark}" if remark else ""),
        )  # fmt: skip
    session.commit()
    if approve:
        if replan is None:
            from tasks.reminders import plan_reminders as replan
        replan(session, now)
    return ExtensionDecided(found, request, [request.requested_by])


def annotate_extension(
    session: Session,
    actor: Official | None,
    request_id: int,
    note: str,
    via: str = Via.BOT,
    *,
    now: datetime | None = None,
) -> ExtensionDecided | Refused:
    """The decider's note sent right after the decision (in chat a decision is one press, and the note,
    optional, follows as the next message). Only the person who decided, once, ≤ 500 characters. Commits
    (the request's `note` and an audit entry); `notify`: the requester."""
    now = as_utc(now) if now else utcnow()
    begin_write(session)  # one note: the second of two racing writers sees the first one's
    request = session.get(ExtensionRequest, request_id, populate_existing=True)
    if request is None:
        return _refuse(session, f"Không tìm thấy đề nghị gia hạn số {request_id}.")
    if not _active(actor) or actor is None or request.decided_by_id != actor.id:
        return _refuse(session, "Chỉ người đã quyết định đề nghị gia hạn này mới ghi chú được.")
    remark = _one_line(note)
    if problem := _reason_problem(remark, "ghi chú"):
        return _refuse(session, problem)
    if request.note:
        return _refuse(session, "Đề nghị gia hạn này đã có ghi chú.")
    request.note = remark
    audit.record(
        session, actor=actor.code, via=via, entity="task", key=request.task.code, field="extension_note",
        new=remark, at=now, note="Ghi chú về quyết định gia hạn",
    )  # fmt: skip
    session.commit()
    return ExtensionDecided(request.task, request, [request.requested_by])


# --- hand in, review --------------------------------------------------------------------------------------


def submit_product(
    session: Session,
    actor: Official | None,
    task: int | str,
    items: list[ProductItem],
    data_dir: Path,
    via: str = Via.BOT,
    *,
    now: datetime | None = None,
    tz: ZoneInfo = DEFAULT_TZ,
) -> ProductSubmitted | Refused:
    """The assignee hands in the product (files, photos, a text, a link): files are stored under `data_dir`
    by content hash (≤ 20 MB each, office documents/images/archives only), the task becomes "chờ duyệt" with
    the hand-in date (`submitted_on`, in `tz`). Handing in more while waiting adds to the same review.
    Commits; `notify`: the approvers."""
    now = as_utc(now) if now else utcnow()
    if not items:
        return Refused("Chưa có sản phẩm nào: hãy gửi tệp, ảnh, nội dung hoặc đường dẫn.")
    found = _locked(session, task)
    if isinstance(found, Refused):
        return found
    if not _active(actor) or actor is None or found.assignee_id != actor.id:
        return _refuse(
            session,
            f"Chỉ người được giao ({found.assignee.full_name}) mới nộp sản phẩm nhiệm vụ {found.code}.",
        )
    if reason := _closed_reason(found):
        return _refuse(session, reason)
    chosen = approvers(session, found, exclude=actor)
    if not chosen:
        return _refuse(
            session,
            f"Chưa có lãnh đạo nào của {found.lead_unit.name} để duyệt sản phẩm; hãy báo quản trị viên.",
        )
    rows = product_rows(items, Path(data_dir))  # every item is checked before any file is written
    if isinstance(rows, str):
        return _refuse(session, rows)
    for row in rows:
        row.task = found
        row.submitted_by = actor
        row.submitted_at = now
        session.add(row)
        audit.record(
            session, actor=actor.code, via=via, entity="task", key=found.code, field="product", new=row.name, at=now,
            note=f"Nộp sản phẩm ({row.kind}" + (f", {row.size} byte, sha256 {row.sha256}" if row.sha256 else "") + ")",
        )  # fmt: skip
    values: dict[str, Any] = {"status": TaskStatus.CHO_DUYET}
    if not found.is_waiting_review:
        values["submitted_on"] = local_date(now, tz)
    change_task(session, found, values, actor=actor.code, via=via, now=now, stamp=True, note="Nộp sản phẩm")
    session.commit()
    return ProductSubmitted(found, rows, [a for a in chosen if a.id != actor.id] or chosen)


VERDICT_LABELS = {"dat": "đạt", "chua_dat": "chưa đạt"}


def parse_verdict(value: str) -> str | None:
    """ "dat" / "chua_dat" from "Đạt", "đạt", "chua dat", "chưa đạt"…; None otherwise."""
    key = fold(str(value)).replace("_", " ").strip()
    return {"dat": "dat", "chua dat": "chua_dat", "khong dat": "chua_dat"}.get(key)


def review_product(
    session: Session,
    actor: Official | None,
    task: int | str,
    verdict: str,
    comment: str | None = None,
    via: str = Via.BOT,
    *,
    now: datetime | None = None,
    tz: ZoneInfo = DEFAULT_TZ,
) -> ProductReviewed | Refused:
    """Judge the product waiting for review: "đạt" → done at 100 % with the hand-in date as completion
    date; "chưa đạt" → back in progress, the comment going to the official. Every product not yet judged is
    stamped with the verdict. Commits; `notify`: the assignee."""
    now = as_utc(now) if now else utcnow()
    decided = parse_verdict(verdict)
    if decided is None:
        return Refused(f"Đánh giá “{verdict}” không hợp lệ; chọn “đạt” hoặc “chưa đạt”.")
    found = _locked(session, task)
    if isinstance(found, Refused):
        return found
    if not may_decide(session, actor, found) or actor is None:
        return _refuse(
            session,
            f"Bạn không có quyền duyệt sản phẩm nhiệm vụ {found.code}: chỉ người giao việc, lãnh đạo đơn vị chủ "
            "trì, lãnh đạo cấp trên hoặc quản trị viên.",
        )
    if found.assignee_id == actor.id:
        return _refuse(session, "Bạn không tự duyệt sản phẩm của chính mình.")
    if not found.is_waiting_review:
        return _refuse(
            session,
            f"Nhiệm vụ {found.code} không có sản phẩm đang chờ duyệt (trạng thái: {found.status.label}).",
        )
    remark = _one_line(comment) or None
    if remark and len(remark) > MAX_TEXT:
        return _refuse(session, f"Nhận xét dài {len(remark)} ký tự; tối đa {MAX_TEXT} ký tự.")
    pending = list(
        session.scalars(
            select(TaskProduct)
            .where(TaskProduct.task_id == found.id, TaskProduct.verdict.is_(None))
            .order_by(TaskProduct.submitted_at, TaskProduct.id)
        )
    )
    for product in pending:
        product.reviewer_id = actor.id
        product.verdict = decided
        product.review_comment = remark
        product.reviewed_at = now
    note = f"Sản phẩm {VERDICT_LABELS[decided]}" + (f". Nhận xét: {remark}" if remark else "")
    if decided == "dat":
        handed_in = found.submitted_on or (
            local_date(pending[-1].submitted_at, tz) if pending else local_date(now, tz)
        )
        names = "; ".join(p.name for p in pending)
        values: dict[str, Any] = {"status": TaskStatus.HOAN_THANH, "progress": 100, "completed_on": handed_in}
        if names and not found.result_note:
            values["result_note"] = names[:500]
    else:
        values = {"status": TaskStatus.DANG_THUC_HIEN, "submitted_on": None}
    change_task(session, found, values, actor=actor.code, via=via, now=now, stamp=True, note=note)
    session.commit()
    return ProductReviewed(found, decided, remark, [found.assignee])


def products_of(session: Session, task: Task) -> list[TaskProduct]:
    """What was handed in for `task`, oldest first."""
    return list(
        session.scalars(
            select(TaskProduct)
            .where(TaskProduct.task_id == task.id)
            .order_by(TaskProduct.submitted_at, TaskProduct.id)
        )
    )


def waiting_reviews(
    session: Session,
    today: date,
    calendar: WorkCalendar | None = None,
    *,
    approver: Official | None = None,
    days: int = REVIEW_WAIT_WORKING_DAYS,
) -> list[WaitingReview]:
    """Products waiting for review more than `days` working days (after the hand-in date, by `calendar`),
    oldest first; with `approver`, only those `approver` is expected to review (their /tiendo, the digest).
    The delay is the approver's: the task itself is not overdue for it (`Task.is_overdue`)."""
    cal = calendar or default_calendar()
    tasks = session.scalars(
        select(Task)
        .where(Task.status == TaskStatus.CHO_DUYET, Task.submitted_on.is_not(None), Task.submitted_on < today)
        .options(selectinload(Task.lead_unit), selectinload(Task.assigner), selectinload(Task.assignee))
        .order_by(Task.submitted_on, Task.id)
    )
    found: list[WaitingReview] = []
    for task in tasks:
        assert task.submitted_on is not None
        waited = cal.working_days_between(task.submitted_on, today)
        if waited <= days:
            continue
        chosen = approvers(session, task)
        if approver is not None and all(a.id != approver.id for a in chosen):
            continue
        found.append(WaitingReview(task, chosen, task.submitted_on, waited))
    return found


def pending_extensions(session: Session, decider: Official) -> list[ExtensionRequest]:
    """Pending extension requests `decider` may decide, oldest first (for their list of things to do)."""
    requests = session.scalars(
        select(ExtensionRequest)
        .where(ExtensionRequest.status == "pending")
        .order_by(ExtensionRequest.created_at)
    )
    return [r for r in requests if r.requested_by_id != decider.id and may_decide(session, decider, r.task)]


def review_due_date(submitted_on: date, calendar: WorkCalendar | None = None) -> date:
    """The last working day a review is on time: `REVIEW_WAIT_WORKING_DAYS` working days after the hand-in."""
    cal = calendar or default_calendar()
    day = submitted_on
    for _ in range(REVIEW_WAIT_WORKING_DAYS):
        day = cal.next_working_day(day + timedelta(days=1))
    return day
