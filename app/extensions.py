"""Asking for more time from the chat ("⏳ Xin gia hạn", /giahan) and deciding it ("Đồng ý" / "Không đồng ý").

- The assignee presses "Xin gia hạn" under a task (or types ``/giahan MÃ_NHIỆM_VỤ [ngày] [lý do]``): the
  missing date, then the missing reason, are asked as the next messages (a date and its reason may come in
  one message: "30/12 chờ số liệu của các xã"). The request goes to whoever decides it
  (`tasks.workflow.approvers`: the assigner as an official, else the leaders of the lead unit) with
  "Đồng ý" / "Không đồng ý".
- One press decides (`tasks.workflow.decide_extension`: only an approver, a leader above, or a quản trị; an
  approved extension moves the deadline, keeps `original_deadline`, re-plans reminders). The official is told
  at once; the decider may then send a note as the next message (`tasks.workflow.annotate_extension`),
  forwarded to the official.

States are plain JSON data (`Step.state`); every call re-reads the sender's official.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import cycle_texts as tx
from app.assign import follow_up_buttons
from app.outcome import Notice, Step, refusal
from app.viewer import Viewer, official_of
from tasks import deadlines, workflow
from tasks.models import ExtensionRequest, Official, Task
from tasks.normalize import Via, fold, nfc
from tasks.reminders import DEFAULT_POLICY, ReminderPolicy, plan_reminders
from tasks.task_card import card_html
from tasks.ui import Screen, button, esc, extension_data, format_date, shorten

EXTEND = "extend"  # dialogue kinds
NOTE = "extnote"
EXTEND_TTL_SECONDS = 15 * 60
NOTE_TTL_SECONDS = 10 * 60
MAX_DEADLINE_WORDS = 7  # "thứ sáu tuần sau", "ngày 30 tháng 12 năm 2026"
STOP_WORDS = ("huy", "thoi", "cancel", "khong xin nua")


def _label(official: Official) -> str:
    return f"{official.full_name} ({official.code})"


def split_deadline(text: str, today: date) -> tuple[date | None, str, deadlines.DeadlineError | None]:
    """(date, the rest, error) of a text that starts with a deadline: "30/12 chờ số liệu" → (30/12, "chờ số
    liệu", None). The longest leading phrase the parser reads wins; when none reads, the error of the
    longest one that named an unusable date (past, not on the calendar), else an "unreadable" one."""
    tokens = " ".join(nfc(text or "").split()).split(" ")
    unusable: deadlines.DeadlineError | None = None
    for n in range(min(MAX_DEADLINE_WORDS, len(tokens)), 0, -1):
        try:
            day = deadlines.parse(" ".join(tokens[:n]), today)
        except deadlines.DeadlineError as exc:
            if exc.kind in ("past", "no_such_day", "implausible") and unusable is None:
                unusable = exc
            continue
        return day, " ".join(tokens[n:]).strip(" ,;:-–."), None
    if unusable is None:
        try:
            deadlines.parse(text, today)
        except deadlines.DeadlineError as exc:
            unusable = exc
    return None, text, unusable


def _task(session: Session, code: str) -> Task | None:
    """The task of a typed code, any case ("nv-2026-0042")."""
    exact = session.scalar(select(Task).where(Task.code == code))
    if exact is not None:
        return exact
    found = list(session.scalars(select(Task).where(func.lower(Task.code) == code.lower())))
    return found[0] if len(found) == 1 else None


def _ask(task: Task, state: dict[str, Any]) -> Screen:
    stop = [[button(tx.BUTTON_STOP, extension_data("x"))]]
    if state.get("deadline"):
        day = date.fromisoformat(state["deadline"])
        return Screen(tx.EXTEND_ASK_REASON.format(deadline=format_date(day)), stop)
    html = tx.EXTEND_ASK_DATE.format(
        code=esc(task.code), content=esc(shorten(task.content, 300)), deadline=format_date(task.deadline)
    )
    return Screen(html, stop)


def start(session: Session, viewer: Viewer, task_id: int) -> Step:
    """ "⏳ Xin gia hạn" (``gh:r``): the question for the new date, if the sender may ask (the assignee, an
    open task, no request pending); otherwise the reason why not."""
    actor = official_of(session, viewer)
    task = session.get(Task, task_id)
    if task is None:
        return refusal(f"Không tìm thấy nhiệm vụ số {task_id}.")
    return _begin(session, viewer, actor, task, "")


def command(session: Session, viewer: Viewer, args: str) -> Step:
    """``/giahan MÃ_NHIỆM_VỤ [ngày] [lý do]``: sent at once when everything is there, else the missing parts
    are asked. Without a code: how to use it."""
    actor = official_of(session, viewer)
    parts = " ".join(nfc(args or "").split()).split(" ", 1)
    if not parts[0]:
        return Step(Screen(tx.EXTEND_USAGE))
    task = _task(session, parts[0])
    if task is None:
        return refusal(f"Không có nhiệm vụ mã “{parts[0]}”.")
    return _begin(session, viewer, actor, task, parts[1] if len(parts) > 1 else "")


def _begin(session: Session, viewer: Viewer, actor: Official, task: Task, text: str) -> Step:
    if blocked := workflow.extension_refusal(session, actor, task):
        return refusal(blocked)
    state: dict[str, Any] = {"task_id": task.id, "code": task.code, "deadline": None}
    if not text:
        return Step(_ask(task, state), state=state, toast=tx.EXTEND_ASK_TOAST)
    return answer(session, viewer, state, text)


def answer(session: Session, viewer: Viewer, state: dict[str, Any], text: str) -> Step:
    """The next message of the request: the date (with the reason, maybe), then the reason; sent once both
    are there. A date that cannot be used is asked again with the reason why."""
    actor = official_of(session, viewer)
    task = session.get(Task, state["task_id"])
    text = " ".join(nfc(text or "").split())
    if task is None:
        return refusal(tx.EXTEND_EXPIRED)
    if " ".join(fold(text).strip(" .!").split()) in STOP_WORDS:
        return Step(Screen(tx.EXTEND_STOPPED.format(code=esc(task.code))))
    if not state.get("deadline"):
        day, rest, error = split_deadline(text, viewer.today)
        unusable = workflow.extension_date_problem(task, day, viewer.today) if day else None
        if day is None or unusable:
            problem = esc(unusable or (error.reason if error else deadlines.EXAMPLES))
            screen = _ask(task, state)
            return Step(Screen(f"{problem}\n\n{screen.html}", screen.buttons), state=state)
        state = {**state, "deadline": day.isoformat()}
        text = rest
    if not any(ch.isalnum() for ch in text):
        return Step(_ask(task, state), state=state)
    return _send(session, viewer, actor, task, state, text)


def _send(
    session: Session, viewer: Viewer, actor: Official, task: Task, state: dict[str, Any], reason: str
) -> Step:
    result = workflow.request_extension(
        session, actor, task.id, date.fromisoformat(state["deadline"]), reason, Via.BOT,
        now=viewer.now, tz=viewer.tz,
    )  # fmt: skip
    if isinstance(result, workflow.Refused):
        if "Thời hạn" in result.reason:  # a date the domain refused (not later than now): ask again
            screen = _ask(task, {**state, "deadline": None})
            return Step(Screen(f"{esc(result.reason)}\n\n{screen.html}", screen.buttons),
                        state={**state, "deadline": None})  # fmt: skip
        return refusal(result.reason)
    request = result.request
    card = request_screen(request, viewer.today)
    notices = tuple(Notice(o.telegram_user_id, card) for o in result.notify if o.telegram_user_id)
    deciders = ", ".join(esc(_label(o)) for o in result.notify)
    lines = [
        tx.EXTEND_SENT.format(
            code=esc(result.task.code), deadline=format_date(request.requested_deadline), deciders=deciders
        )
    ]
    unreachable = [o.full_name for o in result.notify if not o.telegram_user_id]
    if unreachable:
        lines.append(tx.EXTEND_NOT_TOLD.format(names=esc(", ".join(unreachable))))
    return Step(Screen("\n".join(lines)), notices=notices)


def request_screen(request: ExtensionRequest, today: date) -> Screen:
    """What a decider receives: the request (who, from when to when, why), the task card, the buttons."""
    days = (request.requested_deadline - request.old_deadline).days
    head = tx.EXTEND_REQUEST.format(
        code=esc(request.task.code), who=esc(_label(request.requested_by)),
        old=format_date(request.old_deadline), new=format_date(request.requested_deadline), days=days,
        reason=esc(shorten(request.reason, 500)),
    )  # fmt: skip
    rows = [[button(tx.BUTTON_APPROVE, extension_data("y", request.id)),
             button(tx.BUTTON_REJECT, extension_data("n", request.id))]]  # fmt: skip
    return Screen(f"{head}\n\n{card_html(request.task, today)}", rows)


def stop(session: Session, state: dict[str, Any] | None) -> Step:
    """ "✖️ Thôi" under the question: nothing is sent."""
    code = state["code"] if state else ""
    return Step(Screen(tx.EXTEND_STOPPED.format(code=esc(code))), edit=True)


def decide(
    session: Session, viewer: Viewer, request_id: int, approve: bool, policy: ReminderPolicy = DEFAULT_POLICY
) -> Step:
    """ "Đồng ý" / "Không đồng ý" (``gh:y`` / ``gh:n``): the decision (refused, with nothing changed, for
    anyone who may not decide); the pressed message says what was decided and offers a note; the official
    gets the decision with the task's card."""
    actor = official_of(session, viewer)
    result = workflow.decide_extension(
        session, actor, request_id, approve, None, Via.BOT, now=viewer.now,
        replan=lambda s, now: plan_reminders(s, now, policy),
    )  # fmt: skip
    if isinstance(result, workflow.Refused):
        return refusal(result.reason)
    request, task = result.request, result.task
    requested_by = request.requested_by
    old = format_date(request.old_deadline)
    first = format_date(task.original_deadline or request.old_deadline)
    if result.approved:
        done = tx.DECIDED_APPROVED.format(code=esc(task.code), new=format_date(task.deadline), old=first)
        told = tx.TOLD_APPROVED.format(
            who=esc(_label(actor)), code=esc(task.code), new=format_date(task.deadline), old=first
        )
    else:
        done = tx.DECIDED_REJECTED.format(code=esc(task.code), old=old)
        told = tx.TOLD_REJECTED.format(
            who=esc(_label(actor)), code=esc(task.code),
            requested=format_date(request.requested_deadline), old=format_date(task.deadline),
        )  # fmt: skip
    hint = tx.DECIDED_NOTE_HINT.format(name=esc(requested_by.full_name), minutes=NOTE_TTL_SECONDS // 60)
    reply = Screen(f"{done}\n\n{hint}", [[button(tx.BUTTON_NO_NOTE, extension_data("k", request.id))]])
    card = Screen(f"{told}\n\n{card_html(task, viewer.today)}", follow_up_buttons(task))
    notices = tuple(Notice(o.telegram_user_id, card) for o in result.notify if o.telegram_user_id)
    toast = tx.DECIDED_TOAST_APPROVED if result.approved else tx.DECIDED_TOAST_REJECTED
    state = {"request_id": request.id, "code": task.code}
    return Step(reply, state=state, notices=notices, toast=toast, edit=True, replan=result.approved)


def note(session: Session, viewer: Viewer, state: dict[str, Any], text: str) -> Step:
    """The decider's next message after a decision: the note, forwarded to the official."""
    actor = official_of(session, viewer)
    result = workflow.annotate_extension(session, actor, state["request_id"], text, Via.BOT, now=viewer.now)
    if isinstance(result, workflow.Refused):
        return refusal(result.reason)
    told = tx.NOTE_TOLD.format(
        who=esc(_label(actor)), code=esc(result.task.code), note=esc(result.request.note or "")
    )
    notices = tuple(Notice(o.telegram_user_id, Screen(told)) for o in result.notify if o.telegram_user_id)
    return Step(Screen(tx.NOTE_SENT.format(name=esc(result.request.requested_by.full_name))), notices=notices)


def skip_note() -> Step:
    """ "Không cần ghi chú": the hint's button goes away, the decision stays as it is."""
    return Step(None, toast=tx.NOTE_SKIPPED)
