"""Handing in a task's product and reviewing it, for chat front ends: "Hoàn thành" on a card, `/nopsanpham`,
a file sent in reply to a card, and the approver's «Đạt» / «Chưa đạt».

The rules are the domain's (`tasks.workflow`: who hands in, who reviews, what the task becomes;
`tasks.product_files`: sizes, types, storage by content hash); these use cases resolve who is asking, turn
what the bot received into `ProductItem`s, and say what to show — to the sender (`reply`) and to the others
(`notices`: the approvers with the product and the review buttons, or the official with the verdict). A
refusal is an `InvalidOperation` with the domain's Vietnamese reason; nothing has changed then.

"Hoàn thành" pressed by the assignee starts the hand-in (mode "product"); pressed by a leader or an
administrator who may change the task, it keeps the direct completion of `app.my_tasks` (mode "result": a
leader marking a task done is the approval itself).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import my_tasks, task_replies
from app import product_texts as texts
from app.viewer import Viewer, official_of
from tasks import workflow
from tasks.authorization import authorize_task
from tasks.errors import InvalidOperation, NotFound
from tasks.models import Official, Task, TaskProduct
from tasks.normalize import Role, Via, nfc
from tasks.product_files import MAX_PRODUCT_BYTES, ProductItem, upload_problem
from tasks.task_card import card_html, task_screen
from tasks.ui import Screen, button, esc, format_date, review_data, shorten, stop_completing_data

PRODUCT_TTL_SECONDS = my_tasks.RESULT_TTL_SECONDS
COMMENT_TTL_SECONDS = 10 * 60
TEXT_IN_CARD = 1500  # characters of a text product shown on the review card
TASK_CODE = re.compile(r"\b[A-Za-zĐđ]{1,6}(?:-[A-Za-z0-9Đđ]+)*-\d{1,6}\b")


@dataclass(frozen=True)
class Received:
    """What the bot received as (part of) a product: a downloaded file or photo (`data`, with the Telegram
    `file_id` to show it to the approver without uploading it again), or a text (a link when it is one
    http(s) address)."""

    kind: str  # "file" | "photo" | "text"
    name: str = ""
    data: bytes | None = None
    text: str | None = None
    mime_type: str | None = None
    file_id: str | None = None


@dataclass(frozen=True)
class Attachment:
    """A file to re-send by its Telegram `file_id` ("document" or "photo"), with an HTML caption."""

    kind: str
    file_id: str
    caption: str


@dataclass(frozen=True)
class Notice:
    """A message for another person (`telegram_id`): the attachments first, then the screen."""

    telegram_id: int
    screen: Screen
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class HandIn:
    """ "Hoàn thành" pressed: `mode` "product" (the assignee hands in, reviewed) or "result" (a leader
    completes directly), the task's code and the prompt to show."""

    mode: str
    code: str
    prompt: Screen


@dataclass(frozen=True)
class Outcome:
    """A hand-in or a review done: the task's code, the reply to the sender, the task card as it is now
    (to edit the card the sender pressed), and the messages for the others."""

    code: str
    reply: Screen
    card: Screen
    notices: list[Notice] = field(default_factory=list)


# --- starting ----------------------------------------------------------------------------------------------


def _names(officials: list[Official]) -> str:
    return ", ".join(task_replies.actor_label(o) for o in officials) or "lãnh đạo"


def _approvers_for(session: Session, task: Task, official: Official) -> list[Official]:
    """Who reviews the official's product: never the official themself (see `workflow.approvers`)."""
    return workflow.approvers(session, task, exclude=official)


def start_completion(session: Session, viewer: Viewer, task_id: int) -> HandIn:
    """``t:done``: the assignee gets the "send me the product" prompt (with «Hủy»); a leader or an
    administrator the direct completion's prompt. Refusals: `PermissionDenied` (audited), `InvalidOperation`."""
    official = official_of(session, viewer, task_id=task_id, action="hoàn thành")
    task = authorize_task(session, official, task_id, change=True, action="hoàn thành", now=viewer.now)
    if task.assignee_id != official.id:
        start = my_tasks.start_completion(session, viewer, task_id)
        return HandIn("result", start.code, start.prompt)
    if task.is_done or task.is_cancelled:
        start = my_tasks.start_completion(session, viewer, task_id)  # raises the usual "đã hoàn thành"
        return HandIn("result", start.code, start.prompt)
    chosen = _approvers_for(session, task, official)
    if not chosen and official.role in (Role.LANH_DAO, Role.QUAN_TRI):
        # a top leader's (or an administrator's) own task: nobody above reviews it, their word completes it
        start = my_tasks.start_completion(session, viewer, task_id)
        return HandIn("result", start.code, start.prompt)
    if not chosen:
        raise InvalidOperation(
            f"Chưa có lãnh đạo nào của {task.lead_unit.name} để duyệt sản phẩm; hãy báo quản trị viên."
        )
    prompt = texts.PRODUCT_ASK.format(
        code=esc(task.code), content=esc(shorten(task.content, 300)), product=esc(shorten(task.product, 200)),
        approvers=_names(chosen), minutes=int(PRODUCT_TTL_SECONDS // 60),
    )  # fmt: skip
    return HandIn(
        "product", task.code, Screen(prompt, [[button(my_tasks.BUTTON_STOP, stop_completing_data(task.id))]])
    )


def find_task(session: Session, viewer: Viewer, ref: str) -> tuple[int, str]:
    """(id, code) of the task `ref` names (a code in any case) for the viewer's hand-in; `NotFound` otherwise.

    Whether the viewer may hand it in is decided when they do (`submit`)."""
    official_of(session, viewer)
    code = nfc(ref).strip()
    found = session.scalar(select(Task).where(Task.code == code))
    if found is None:
        matches = [t for t in session.scalars(select(Task).where(Task.code.ilike(code)))]
        found = matches[0] if len(matches) == 1 else None
    if found is None:
        raise NotFound(f"Không có nhiệm vụ mã “{code}”. Xem mã nhiệm vụ của bạn bằng lệnh /viec.")
    return found.id, found.code


def task_code_in(text: str | None) -> str | None:
    """The first thing in `text` that looks like a task code ("NV-2026-0042", "NV-086"), or None."""
    match = TASK_CODE.search(text or "")
    return match.group(0) if match else None


def check_upload(name: str, size: int | None, kind: str) -> str | None:
    """Before downloading a file Telegram announced: its problem (too big, a type not accepted) as the
    Vietnamese sentence to show, or None. The same checks run again on the bytes (`tasks.product_files`)."""
    if size is not None and size > MAX_PRODUCT_BYTES:
        return texts.TOO_BIG.format(
            name=name or ("ảnh" if kind == "photo" else "tệp"), size=f"{size / 1024 / 1024:.1f}".replace(".", ","),
            limit=MAX_PRODUCT_BYTES // 1024 // 1024,
        )  # fmt: skip
    return upload_problem(name, kind)


# --- handing in --------------------------------------------------------------------------------------------


def _item(received: Received) -> ProductItem:
    if received.kind == "text":
        body = (received.text or "").strip()
        is_link = re.fullmatch(r"https?://\S+", body) is not None
        return ProductItem("link" if is_link else "text", text=body)
    return ProductItem(received.kind, name=received.name, data=received.data, mime_type=received.mime_type)


def _size(size: int | None) -> str:
    if size is None:
        return ""
    if size < 1024 * 1024:
        return f" ({max(1, round(size / 1024))} KB)"
    return f" ({size / 1024 / 1024:.1f} MB)".replace(".", ",")


def product_line(product: TaskProduct, *, full: bool = False) -> str:
    """ "📎 bao-cao.pdf (120 KB)", "🖼 Ảnh (80 KB)", "🔗 https://…", "📝 the text" (escaped)."""
    if product.kind in ("file", "photo"):
        icon = "📎" if product.kind == "file" else "🖼"
        return f"{icon} {esc(shorten(product.name, 120))}{_size(product.size)}"
    if product.kind == "link":
        return f"🔗 {esc(shorten(product.body or product.name, 300))}"
    body = product.body or product.name
    return f"📝 {esc(shorten(body, TEXT_IN_CARD if full else 120))}"


def _pending_products(session: Session, task: Task) -> list[TaskProduct]:
    return [p for p in workflow.products_of(session, task) if p.verdict is None]


def review_screen(session: Session, task: Task, today, tz) -> Screen:
    """The approver's card: what waits for review, the task card, «Đạt» / «Chưa đạt»."""
    pending = _pending_products(session, task)
    last = pending[-1] if pending else None
    who = task_replies.actor_label(last.submitted_by if last else task.assignee)
    at = esc(task_replies.format_moment(last.submitted_at, tz)) if last else "?"
    items = "\n".join(f"• {product_line(p, full=True)}" for p in pending)
    html = texts.REVIEW_CARD.format(
        code=esc(task.code), who=who, at=at, items=items, card=card_html(task, today, flags=False)
    )
    buttons = [[button(texts.BUTTON_ACCEPT, review_data("ok", task.id)),
                button(texts.BUTTON_SEND_BACK, review_data("no", task.id))]]  # fmt: skip
    return Screen(html, buttons)


def submit(
    session: Session, viewer: Viewer, task_ref: int | str, received: list[Received], data_dir: Path
) -> Outcome:
    """Hand in `received` for the task `task_ref` (id or code): stored, the task "chờ duyệt", the approvers
    told (each linked approver gets the files, re-sent by file id, then the review card). `InvalidOperation`
    with the domain's reason when refused (nothing changed)."""
    official = official_of(session, viewer)
    items = [_item(r) for r in received]
    result = workflow.submit_product(
        session, official, task_ref, items, Path(data_dir), via=Via.BOT, now=viewer.now, tz=viewer.tz
    )
    if isinstance(result, workflow.Refused):
        raise InvalidOperation(result.reason)
    task = result.task
    shown = ", ".join(product_line(p) for p in result.products)
    reached = [a for a in result.notify if a.telegram_user_id is not None]
    unreached = [a for a in result.notify if a.telegram_user_id is None]
    reply = texts.SUBMITTED.format(code=esc(task.code), items=shown, approvers=_names(result.notify))
    if unreached:
        reply += texts.SUBMITTED_UNREACHED.format(names=_names(unreached))
    caption = texts.REVIEW_FILE_CAPTION.format(code=esc(task.code), who=task_replies.actor_label(official))
    attachments = tuple(
        Attachment("photo" if r.kind == "photo" else "document", r.file_id, caption)
        for r in received
        if r.kind in ("file", "photo") and r.file_id
    )
    card = review_screen(session, task, viewer.today, viewer.tz)
    notices = [Notice(a.telegram_user_id, card, attachments) for a in reached]  # type: ignore[arg-type]
    note = texts.SUBMITTED_NOTE.format(
        who=task_replies.actor_label(official), at=esc(task_replies.format_moment(viewer.now, viewer.tz))
    )
    return Outcome(task.code, Screen(reply), task_screen(task, viewer.today, note=note), notices)


# --- reviewing ---------------------------------------------------------------------------------------------


def _review_refusal(session: Session, official: Official, task: Task) -> str | None:
    """Why `official` may not review `task` now (the domain's wording), or None."""
    if not workflow.may_decide(session, official, task):
        return (
            f"Bạn không có quyền duyệt sản phẩm nhiệm vụ {task.code}: chỉ người giao việc, lãnh đạo đơn vị chủ "
            "trì, lãnh đạo cấp trên hoặc quản trị viên."
        )
    if task.assignee_id == official.id:
        return "Bạn không tự duyệt sản phẩm của chính mình."
    if not task.is_waiting_review:
        return f"Nhiệm vụ {task.code} không có sản phẩm đang chờ duyệt (trạng thái: {task.status.label})."
    return None


def start_send_back(session: Session, viewer: Viewer, task_id: int) -> tuple[str, Screen]:
    """``sp:no``: (task code, "type your comment" prompt) when the viewer may review the task now;
    `InvalidOperation` otherwise (nothing recorded: a refusal changes nothing)."""
    official = official_of(session, viewer)
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"Không tìm thấy nhiệm vụ số {task_id}.")
    if reason := _review_refusal(session, official, task):
        raise InvalidOperation(reason)
    prompt = texts.COMMENT_ASK.format(
        code=esc(task.code), assignee=task_replies.actor_label(task.assignee),
        minutes=COMMENT_TTL_SECONDS // 60,
    )  # fmt: skip
    buttons = [[button(texts.BUTTON_SEND_BACK_NO_COMMENT, review_data("nc", task.id)),
                button(texts.BUTTON_KEEP, review_data("x", task.id))]]  # fmt: skip
    return task.code, Screen(prompt, buttons)


def review(
    session: Session, viewer: Viewer, task_id: int, verdict: str, comment: str | None = None
) -> Outcome:
    """«Đạt» (`verdict` "dat": done, completion date = hand-in date) or «Chưa đạt» ("chua_dat", with the
    optional `comment`: back in progress). The official is told (with the card, to hand in again).
    `InvalidOperation` with the reason when the viewer may not review it now."""
    official = official_of(session, viewer)
    result = workflow.review_product(
        session, official, task_id, verdict, comment, via=Via.BOT, now=viewer.now, tz=viewer.tz
    )
    if isinstance(result, workflow.Refused):
        raise InvalidOperation(result.reason)
    task = result.task
    who = task_replies.actor_label(official)
    at = esc(task_replies.format_moment(viewer.now, viewer.tz))
    remark = texts.REVIEW_COMMENT_LINE.format(comment=esc(result.comment)) if result.comment else ""
    if result.accepted:
        day = format_date(task.completed_on)
        reply = texts.REVIEWED_ACCEPTED.format(code=esc(task.code), day=day, who=who, at=at) + remark
        notice = texts.ACCEPTED_NOTICE.format(code=esc(task.code), who=who, day=day)
    else:
        reply = texts.REVIEWED_SENT_BACK.format(code=esc(task.code), who=who, at=at) + remark
        notice = texts.SENT_BACK_NOTICE.format(code=esc(task.code), who=who, comment=remark)
    card = task_screen(task, viewer.today)
    notices = [
        Notice(o.telegram_user_id, Screen(f"{notice}\n\n{card.html}", card.buttons))
        for o in result.notify
        if o.telegram_user_id is not None and o.id != official.id
    ]
    return Outcome(task.code, Screen(reply), card, notices)


# --- waiting too long ---------------------------------------------------------------------------------------


def waiting_reviews_html(session: Session, official: Official, today) -> str:
    """The products waiting for `official`'s review longer than allowed (for their /tiendo), or ""."""
    waiting = workflow.waiting_reviews(session, today, approver=official)
    if not waiting:
        return ""
    lines = [texts.WAITING_HEADER.format(days=workflow.REVIEW_WAIT_WORKING_DAYS, count=len(waiting))]
    lines += [
        texts.WAITING_LINE.format(
            code=esc(w.task.code),
            assignee=task_replies.actor_label(w.task.assignee),
            day=format_date(w.waiting_since),
            waited=w.working_days,
        )
        for w in waiting
    ]
    return "\n".join(lines)
