"""Assigning work from the chat (/giaoviec, a leader's "giao anh Tâm … trước 15/12") and the new task's card
("Nhận việc", "Trao đổi").

Three ways in, one rule (`tasks.workflow.assign_task`: a lãnh đạo for officials of their unit subtree, a
quản trị for anyone, a deadline not in the past, a product):
- the guided form: assignee (a name or code typed, picked from buttons when several match), content,
  deadline (`tasks.deadlines.parse`), product, the assigning document (suggested from the corpus), lead
  unit (default: the assignee's), then a card with "Giao việc" / "Sửa" / "Huỷ";
- the one-line form ``MÃ_CÁN_BỘ | nội dung | thời hạn | sản phẩm [| văn bản giao]``: created at once;
- free text from a leader, "giao anh Tâm báo cáo … trước 15/12": the person is matched among the officials
  the leader may assign to, the deadline found (`tasks.deadlines.find_deadline`), a document named in it
  suggested; what is missing (the product, usually) is asked, then the same card.

The form's state is plain JSON data (`Step.state`); every function re-reads the sender's official (a
link may be revoked between two messages) and the final "Giao việc" re-checks everything in the domain.
Looking a document up in the corpus runs in another pool: a call that needs it returns `Step(lookup=…)`
and is called again with `cards=` (the engine's `find_documents` result).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import cycle_texts as tx
from app.outcome import Notice, Step, refusal
from app.viewer import Viewer, official_of
from retrieval.docrefs import find_refs
from tasks import deadlines, workflow
from tasks.access import can_view_unit, unit_subtree_ids
from tasks.authorization import authorize_task
from tasks.errors import TaskDomainError
from tasks.models import Official, Task, Unit
from tasks.normalize import Role, Via, fold, nfc
from tasks.task_card import card_html, task_buttons
from tasks.timeutil import format_local
from tasks.ui import (
    Keyboard,
    Screen,
    assign_data,
    button,
    esc,
    extension_data,
    format_date,
    shorten,
    time_left,
)
from tasks.units import find_unit

ASSIGN = "assign"  # the dialogue kind
FORM_TTL_SECONDS = 30 * 60
STEPS = ("assignee", "content", "deadline", "product", "document", "unit")
MAX_PEOPLE = 8
MAX_DOCUMENTS = 5
MAX_CONTENT = 2000
HONORIFICS = ("anh", "chi", "ong", "ba", "co", "chu", "bac", "em", "dong chi", "d/c", "đ/c")


# --- who may be given work -------------------------------------------------------------------------------


def _leads(official: Official) -> bool:
    return official.active and official.role in (Role.LANH_DAO, Role.QUAN_TRI)


def _pool(session: Session, actor: Official) -> list[Official]:
    """The active officials `actor` may assign work to (a leader: their unit subtree; a quản trị: all)."""
    query = select(Official).where(Official.active.is_(True)).order_by(Official.id)
    if actor.role != Role.QUAN_TRI:
        query = query.where(Official.unit_id.in_(unit_subtree_ids(session, actor.unit_id)))
    return list(session.scalars(query))


def _everyone(session: Session) -> list[Official]:
    return list(session.scalars(select(Official).where(Official.active.is_(True)).order_by(Official.id)))


def _scope(actor: Official) -> str:
    if actor.role == Role.QUAN_TRI:
        return tx.SCOPE_ALL
    return tx.SCOPE_SUBTREE.format(unit=esc(actor.unit.name))


def _words(text: str) -> list[str]:
    return re.findall(r"[0-9a-z]+", fold(text))


def _strip_honorific(words: list[str]) -> list[str]:
    for h in sorted(HONORIFICS, key=len, reverse=True):
        parts = _words(h) if "/" not in h else ["d", "c"]
        if words[: len(parts)] == parts and len(words) > len(parts):
            return words[len(parts) :]
    return words


def find_people(pool: Sequence[Official], query: str) -> list[Official]:
    """Officials of `pool` that `query` names: a code (any case), else every word of the query among the
    words of the name (diacritics optional, an honorific ignored), those whose name ENDS with the query
    first ("Tâm" is Đặng Hữu Tâm before Tâm Văn Hải)."""
    typed = nfc(query).strip()
    by_code = [o for o in pool if o.code.casefold() == typed.casefold()]
    if by_code:
        return by_code
    words = _strip_honorific(_words(typed))
    if not words:
        return []
    found = [o for o in pool if all(w in _words(o.full_name) for w in words)]
    ending = [o for o in found if _words(o.full_name)[-len(words) :] == words]
    return ending or found


def _label(official: Official) -> str:
    return f"{official.full_name} ({official.code})"


# --- the form's state -------------------------------------------------------------------------------------


def _new_state(**values: Any) -> dict[str, Any]:
    state: dict[str, Any] = {
        "step": "assignee", "assignee_id": None, "content": None, "deadline": None, "product": None,
        "document": None, "document_asked": False, "unit_id": None, "choices": [], "docs": [], "typed": None,
        "editing": False, "notes": [],
    }  # fmt: skip
    state.update(values)
    return state


def _next_step(state: dict[str, Any]) -> str:
    """The first step still open: a pick waiting (several people, several documents), a required field
    missing, then — unless the card was shown already (editing) — the document and the lead unit."""
    if state["choices"]:
        return "assignee"
    if state["docs"]:
        return "document"
    for step, key in (("assignee", "assignee_id"), ("content", "content"), ("deadline", "deadline"),
                      ("product", "product")):  # fmt: skip
        if not state[key]:
            return step
    if state["editing"]:
        return "confirm"
    if not state["document_asked"]:
        return "document"
    if not state["unit_id"]:
        return "unit"
    return "confirm"


def _cancel_button() -> list[tuple[str, str]]:
    return [button(tx.BUTTON_CANCEL, assign_data("x"))]


def _prompt(session: Session, actor: Official, state: dict[str, Any], today: date) -> Screen:
    """The screen asking for the current step (or the confirm card), with the notes gathered so far."""
    step = state["step"]
    notes = "\n".join(state.get("notes") or [])
    head = f"{notes}\n\n" if notes else ""
    state["notes"] = []
    if step == "confirm":
        return _confirm_screen(session, actor, state, today, head)
    title = tx.FORM_TITLE.format(n=STEPS.index(step) + 1)
    rows: Keyboard = []
    if step == "assignee":
        if state["choices"]:
            people = [session.get(Official, i) for i in state["choices"]]
            ask = (
                tx.ASK_ASSIGNEE_PICK.format(count=len(people), query=esc(state["typed"] or ""))
                if state["typed"]
                else tx.ASK_ASSIGNEE_PICK_FREE
            )
            rows = [
                [button(f"{o.full_name} ({o.code}) — {shorten(o.unit.name, 30)}", assign_data("p", o.id))]
                for o in people
                if o is not None
            ]
        else:
            ask = tx.ASK_ASSIGNEE
    elif step == "content":
        ask = tx.ASK_CONTENT
    elif step == "deadline":
        ask = tx.ASK_DEADLINE.format(examples=esc(deadlines.EXAMPLES))
    elif step == "product":
        ask = tx.ASK_PRODUCT
        rows = [[button(tx.DEFAULT_PRODUCT, assign_data("dp"))]]
    elif step == "document":
        if state["docs"]:
            ask = tx.ASK_DOCUMENT_PICK.format(count=len(state["docs"]), typed=esc(state["typed"] or ""))
            rows = [
                [button(shorten(label, 60), assign_data("d", i))]
                for i, (_, label) in enumerate(state["docs"], 1)
            ]
            rows.append([button(tx.BUTTON_KEEP_TYPED, assign_data("d", 0))])
        else:
            ask = tx.ASK_DOCUMENT
            rows = [[button(tx.BUTTON_SKIP, assign_data("s"))]]
    else:  # unit
        assignee = session.get(Official, state["assignee_id"])
        ask = tx.ASK_UNIT.format(unit=esc(assignee.unit.name))
        rows = [[button(shorten(assignee.unit.name, 60), assign_data("u", assignee.unit_id))]]
    rows.append(_cancel_button())
    return Screen(f"{head}{title}\n{ask}", rows)


def _deadline_text(value: str | None, today: date) -> str:
    if not value:
        return tx.MISSING
    day = date.fromisoformat(value)
    return f"{format_date(day)} ({time_left(day, today)})"


def _form_html(session: Session, actor: Official, state: dict[str, Any], today: date) -> str:
    assignee = session.get(Official, state["assignee_id"]) if state["assignee_id"] else None
    unit = session.get(Unit, state["unit_id"]) if state["unit_id"] else (assignee.unit if assignee else None)
    who = tx.MISSING
    if assignee is not None:
        position = f", {esc(assignee.position)}" if assignee.position else ""
        who = f"{esc(_label(assignee))}{position} — {esc(assignee.unit.name)}"
    return tx.CONFIRM_LINES.format(
        assignee=who,
        content=esc(shorten(state["content"], 700)) if state["content"] else tx.MISSING,
        deadline=_deadline_text(state["deadline"], today),
        product=esc(shorten(state["product"], 300)) if state["product"] else tx.MISSING,
        document=esc(shorten(state["document"], 200)) if state["document"] else tx.NO_DOCUMENT,
        unit=esc(unit.name) if unit is not None else tx.MISSING,
        assigner=esc(actor.full_name),
    )


def _confirm_screen(
    session: Session, actor: Official, state: dict[str, Any], today: date, head: str
) -> Screen:
    html = f"{head}{tx.CONFIRM_TITLE}\n\n{_form_html(session, actor, state, today)}"
    rows = [[button(tx.BUTTON_ASSIGN, assign_data("ok")), button(tx.BUTTON_EDIT, assign_data("e")),
             button(tx.BUTTON_CANCEL, assign_data("x"))]]  # fmt: skip
    return Screen(html, rows)


def _edit_screen(session: Session, actor: Official, state: dict[str, Any], today: date) -> Screen:
    html = f"{tx.EDIT_TITLE}\n\n{_form_html(session, actor, state, today)}"
    fields = [button(label, assign_data("f", i)) for i, label in enumerate(tx.FIELD_BUTTONS, 1)]
    rows = [fields[0:2], fields[2:4], fields[4:6],
            [button(tx.BUTTON_ASSIGN, assign_data("ok")), button(tx.BUTTON_CANCEL, assign_data("x"))]]  # fmt: skip
    return Screen(html, rows)


def _advance(
    session: Session, actor: Official, state: dict[str, Any], today: date, *, edit: bool = False
) -> Step:
    state["step"] = _next_step(state)
    if state["step"] == "confirm":
        state["editing"] = True  # from now on a changed field comes back to the card
    return Step(_prompt(session, actor, state, today), state=state, edit=edit)


# --- starting ---------------------------------------------------------------------------------------------


def _leader(session: Session, viewer: Viewer) -> Official | Step:
    official = official_of(session, viewer)
    if not _leads(official):
        return refusal(tx.LEADERS_ONLY)
    return official


def start(session: Session, viewer: Viewer, args: str = "", cards: list[dict] | None = None) -> Step:
    """/giaoviec [arguments]: the form (no arguments), the one-line form (with "|"), or free text read as
    "giao …" (anything else; when no person is recognised, the form starts with it as the assignee's name).
    An official who leads nothing gets the one refusal; `NotLinked` for an unlinked account."""
    actor = _leader(session, viewer)
    if isinstance(actor, Step):
        return actor
    text = " ".join(nfc(args or "").split())
    if "|" in text:
        return _one_line(session, viewer, actor, text, cards)
    if text:
        step = _free_text(session, viewer, actor, "giao " + text, cards)
        if step is not None:
            return step
        return answer(session, viewer, _new_state(), text)
    state = _new_state()
    return Step(_prompt(session, actor, state, viewer.today), state=state)


# --- the one-line form ------------------------------------------------------------------------------------


def _document_choices(cards: Sequence[dict]) -> list[list[str]]:
    """[value, label] of the documents (not articles) among `cards`: value "Kết luận 221-KL/TW", label with
    the date."""
    found: list[list[str]] = []
    for card in cards:
        number = card.get("doc_number")
        if not number:
            continue
        value = " ".join(filter(None, [card.get("doc_type"), number]))
        day = card.get("date")
        label = value + (f" ({format_date(date.fromisoformat(day))})" if _iso(day) else "")
        if value not in (v for v, _ in found):
            found.append([value, label])
    return found[:MAX_DOCUMENTS]


def _iso(value: Any) -> bool:
    try:
        date.fromisoformat(str(value))
    except ValueError:
        return False
    return True


def _one_line(session: Session, viewer: Viewer, actor: Official, text: str, cards: list[dict] | None) -> Step:
    fields = [f.strip() for f in text.split("|")]
    if len(fields) == 5 and not fields[4]:
        fields = fields[:4]
    if len(fields) not in (4, 5):
        return refusal_html(tx.ONE_LINE_USAGE.format(count=len(fields)))
    code, content, when, product, *rest = fields
    try:
        deadline = deadlines.parse(when, viewer.today)
    except deadlines.DeadlineError as exc:
        return refusal(exc.reason)
    typed = rest[0] if rest else None
    if typed and cards is None:
        return Step(lookup=typed)
    notes: list[str] = []
    document = typed
    if typed:
        choices = _document_choices(cards or [])
        if choices:
            document = choices[0][0]
        else:
            notes.append(tx.DOCUMENT_UNKNOWN.format(document=esc(typed)))
    result = workflow.assign_task(
        session, actor, assignee_code=code, content=content, deadline=deadline, product=product,
        document=document, via=Via.BOT, now=viewer.now, tz=viewer.tz,
    )  # fmt: skip
    return _assigned(session, viewer, actor, result, notes)


def refusal_html(html: str) -> Step:
    """A refusal whose text is HTML already (a usage example): sent as a message, plain in an alert."""
    return Step(Screen(html), toast=shorten(re.sub(r"<[^>]+>", "", html), 190), alert=True)


# --- free text: "giao anh Tâm báo cáo … trước 15/12" -------------------------------------------------------

_LEAD_WORDS = ("giao", "viec", "cho", "nhiem", "vu")


def _same(token: str, name_word: str) -> bool:
    """A typed word and a word of a name: compared with diacritics when the word was typed with them
    ("phòng" is not "Phong"), without when it was typed without ("tam" is "Tâm")."""
    typed = nfc(token).lower()
    if fold(typed) == typed:
        return typed == fold(name_word)
    return typed == nfc(name_word).lower()


def _clean(token: str) -> str:
    return token.strip(".,;:!?()\"'“”")


def _match_person(tokens: list[str], start: int, people: Sequence[Official]) -> tuple[int, list[Official]]:
    """(number of tokens, officials) of the longest name (or name ending, or code) at `tokens[start:]`."""
    best, found = 0, []
    words = [_clean(t) for t in tokens[start:]]
    for person in people:
        if words and words[0].casefold() == person.code.casefold():
            k = 1
        else:
            name = nfc(person.full_name).split()
            k = 0
            for n in range(min(len(name), len(words)), 0, -1):
                tail = name[-n:]
                if all(_same(w, nw) for w, nw in zip(words[:n], tail, strict=True)):
                    k = n
                    break
        if k > best:
            best, found = k, [person]
        elif k and k == best:
            found.append(person)
    return best, found


def _skip_honorific(tokens: list[str], i: int) -> tuple[int, bool]:
    folded = [fold(_clean(t)) for t in tokens]
    if i < len(folded) and folded[i] in ("anh", "chi", "ong", "ba", "co", "chu", "bac", "em", "d/c"):
        return i + 1, True
    if folded[i : i + 2] == ["dong", "chi"]:
        return i + 2, True
    return i, False


def _name_length(tokens: list[str], i: int) -> int:
    """How many capitalised words (at most 4, at least 1) follow position `i`: a name not in the roster."""
    n = 1
    while n < 4 and i + n < len(tokens) and _clean(tokens[i + n])[:1].isupper():
        n += 1
    return n


def looks_like_assignment(text: str) -> bool:
    """Whether a private text may be a leader assigning work ("giao …"): cheap, before any database work."""
    return fold(text).lstrip().startswith("giao ")


def from_text(session: Session, viewer: Viewer, text: str, cards: list[dict] | None = None) -> Step | None:
    """A leader's free text "giao anh Tâm …" as the form (the confirm card, or the first missing step);
    None when it is not one (not a leader or a quản trị, or no person named): a question, then."""
    official = official_of(session, viewer)
    if not _leads(official) or not looks_like_assignment(text):
        return None
    return _free_text(session, viewer, official, text, cards)


def _free_text(
    session: Session, viewer: Viewer, actor: Official, text: str, cards: list[dict] | None
) -> Step | None:
    tokens = nfc(text).split()
    i = 1
    while i < len(tokens) and fold(_clean(tokens[i])) in _LEAD_WORDS[1:]:
        i += 1
    i, honorific = _skip_honorific(tokens, i)
    k, people = _match_person(tokens, i, _everyone(session))
    lone_word = k == 1 and not _clean(tokens[i])[:1].isupper()
    if (
        lone_word
        and not honorific
        and not any(_clean(tokens[i]).casefold() == p.code.casefold() for p in people)
    ):
        people = []  # "giao việc cho phòng …": a lower-case word alone is no name
    state = _new_state(document_asked=True, quick=True)
    if not people:
        if not honorific or i >= len(tokens):
            return None  # no one named: a question, not an assignment
        k = _name_length(tokens, i)  # "giao anh Minh …" and no Minh: ask who, keep the rest
        typed = " ".join(_clean(t) for t in tokens[i : i + k])
        state["notes"] = [tx.NO_SUCH_PERSON.format(query=esc(typed), scope=_scope(actor))]
    else:
        allowed_ids = {o.id for o in _pool(session, actor)}
        mine = [p for p in people if p.id in allowed_ids]
        if not mine:
            names = ", ".join(_label(p) for p in people[:3])
            return refusal(tx.OUT_OF_SCOPE.format(people=names, unit=actor.unit.name))
        if len(mine) == 1:
            _set_assignee(state, mine[0])
        else:
            state["choices"] = [p.id for p in mine[:MAX_PEOPLE]]
    rest = " ".join(tokens[i + k :]).lstrip(" ,:;-–")
    found = deadlines.find_deadline(rest, viewer.today)
    if found is not None:
        rest = found.remainder
        if found.deadline is not None:
            state["deadline"] = found.deadline.isoformat()
        elif found.error is not None:
            state["notes"].append(f"⚠️ {esc(found.error.reason)}")
    content = rest.strip(" ,;:-–")
    if any(ch.isalnum() for ch in content):
        state["content"] = (content[:1].upper() + content[1:])[:MAX_CONTENT]  # "báo cáo …" → "Báo cáo …"
    refs = find_refs(content) if state["content"] else []
    if refs:
        if cards is None:
            return Step(lookup=refs[0].display())
        choices = _document_choices(cards)
        if choices:
            state["document"] = choices[0][0]
    return _advance(session, actor, state, viewer.today)


# --- answers to the form's questions ----------------------------------------------------------------------


def _folded_words(text: str) -> str:
    return " ".join(_words(text))


def answer(
    session: Session, viewer: Viewer, state: dict[str, Any], text: str, cards: list[dict] | None = None
) -> Step:
    """The sender's text for the current step: checked, stored, and the next question (or the card);
    the same question again with the reason when the text does not fit."""
    actor = _leader(session, viewer)
    if isinstance(actor, Step):
        return actor  # no longer a leader: the form ends
    text = " ".join(nfc(text or "").split())
    if _folded_words(text) in tx.CANCEL_WORDS:
        return Step(Screen(tx.FORM_CANCELLED))
    step = state["step"]
    problem: str | None = None
    if step == "assignee":
        problem = _answer_assignee(session, actor, state, text)
    elif step == "content":
        if not any(ch.isalnum() for ch in text):
            problem = tx.EMPTY_ANSWER.format(what=tx.WHAT_CONTENT)
        elif len(text) > MAX_CONTENT:
            problem = tx.CONTENT_TOO_LONG.format(length=len(text), limit=MAX_CONTENT)
        else:
            state["content"] = text
    elif step == "deadline":
        try:
            state["deadline"] = deadlines.parse(text, viewer.today).isoformat()
        except deadlines.DeadlineError as exc:
            problem = esc(exc.reason)
    elif step == "product":
        if not any(ch.isalnum() for ch in text):
            problem = tx.EMPTY_ANSWER.format(what=tx.WHAT_PRODUCT)
        else:
            state["product"] = text[:MAX_CONTENT]
    elif step == "document":
        if _folded_words(text) in tx.SKIP_WORDS:
            state.update(document=None, document_asked=True, docs=[])
        elif cards is None:
            return Step(lookup=text, state=state)
        else:
            _answer_document(state, text, cards)
    elif step == "unit":
        problem = _answer_unit(session, actor, state, text)
    else:  # the card is shown: a text is not an answer
        return Step(Screen(tx.FORM_STILL_OPEN), state=state)
    if problem:
        state["notes"] = [problem]
        return Step(_prompt(session, actor, state, viewer.today), state=state)
    return _advance(session, actor, state, viewer.today)


def _answer_assignee(session: Session, actor: Official, state: dict[str, Any], text: str) -> str | None:
    pool = _pool(session, actor)
    people = find_people(pool, text)
    state["typed"] = text
    state["choices"] = []
    if not people:
        outside = find_people(_everyone(session), text)
        if outside and actor.role != Role.QUAN_TRI:
            names = ", ".join(_label(p) for p in outside[:3])
            return esc(tx.OUT_OF_SCOPE.format(people=names, unit=actor.unit.name))
        return tx.NO_SUCH_PERSON.format(query=esc(text), scope=_scope(actor))
    if len(people) > MAX_PEOPLE:
        return tx.TOO_MANY_PEOPLE.format(count=len(people), query=esc(text))
    if len(people) > 1:
        state["choices"] = [p.id for p in people]  # the next prompt offers them as buttons
        return None
    _set_assignee(state, people[0])
    return None


def _set_assignee(state: dict[str, Any], person: Official) -> None:
    """The assignee chosen; the lead unit becomes theirs when it is not asked separately (free text, or a
    change from the card: shown there, and changed with "Sửa" like any field)."""
    state.update(assignee_id=person.id, choices=[], typed=None)
    if state["editing"] or state.get("quick"):
        state["unit_id"] = person.unit_id


def _answer_document(state: dict[str, Any], text: str, cards: list[dict]) -> None:
    choices = _document_choices(cards)
    state["typed"] = text
    if len(choices) == 1:
        state.update(document=choices[0][0], document_asked=True, docs=[])
        state["notes"] = [tx.DOCUMENT_FOUND.format(document=esc(choices[0][0]))]
    elif choices:
        state["docs"] = choices
    else:
        state.update(document=text[:300], document_asked=True, docs=[])
        state["notes"] = [tx.DOCUMENT_UNKNOWN.format(document=esc(text))]


def _answer_unit(session: Session, actor: Official, state: dict[str, Any], text: str) -> str | None:
    try:
        unit = find_unit(session, text, allow_abbreviation=True)
    except TaskDomainError as exc:
        return esc(str(exc))
    if not can_view_unit(actor, unit):
        return esc(f"{unit.name} không thuộc {actor.unit.name} hoặc các đơn vị trực thuộc.")
    state["unit_id"] = unit.id
    return None


# --- the form's buttons -----------------------------------------------------------------------------------


def press(session: Session, viewer: Viewer, state: dict[str, Any], action: str, arg: int | None) -> Step:
    """A `gv:` button of the form (p, u, d, s, dp, ok, e, f, x) on the stored `state`; the screen replaces
    the pressed message. "Giao việc" (ok) creates the task (see `confirm`)."""
    actor = _leader(session, viewer)
    if isinstance(actor, Step):
        return actor
    today = viewer.today
    if action == "x":
        return Step(Screen(tx.FORM_CANCELLED), edit=True)
    if action == "ok":
        return confirm(session, viewer, actor, state)
    if action == "e":
        state["step"] = "confirm"
        return Step(_edit_screen(session, actor, state, today), state=state, edit=True)
    if action == "f" and arg is not None:
        state.update(editing=True, step=STEPS[arg - 1], docs=[], choices=[], typed=None)
        return Step(_prompt(session, actor, state, today), state=state, edit=True)
    if action == "p" and arg is not None:
        if state["step"] != "assignee" or arg not in state["choices"]:
            return refusal(tx.FORM_EXPIRED, state=state)
        person = next((o for o in _pool(session, actor) if o.id == arg), None)
        if person is None:
            return refusal(tx.FORM_EXPIRED, state=state)
        _set_assignee(state, person)
    elif action == "u" and arg is not None:
        unit = session.get(Unit, arg)
        if state["step"] != "unit" or unit is None or not can_view_unit(actor, unit):
            return refusal(tx.FORM_EXPIRED, state=state)
        state["unit_id"] = unit.id
    elif action == "d" and arg is not None:
        if state["step"] != "document" or (arg and arg > len(state["docs"])):
            return refusal(tx.FORM_EXPIRED, state=state)
        value = state["docs"][arg - 1][0] if arg else (state["typed"] or "")[:300] or None
        state.update(document=value, document_asked=True, docs=[])
    elif action == "s":
        if state["step"] != "document":
            return refusal(tx.FORM_EXPIRED, state=state)
        state.update(document=None, document_asked=True, docs=[])
    elif action == "dp":
        if state["step"] != "product":
            return refusal(tx.FORM_EXPIRED, state=state)
        state["product"] = tx.DEFAULT_PRODUCT
    else:
        return refusal(tx.FORM_EXPIRED, state=state)
    return _advance(session, actor, state, today, edit=True)


def confirm(session: Session, viewer: Viewer, actor: Official, state: dict[str, Any]) -> Step:
    """ "Giao việc": create the task (the domain checks everything again); on a refusal the card stays."""
    assignee = session.get(Official, state["assignee_id"]) if state.get("assignee_id") else None
    unit = session.get(Unit, state["unit_id"]) if state.get("unit_id") else None
    if assignee is None or not state.get("deadline") or not state.get("content") or not state.get("product"):
        return refusal(tx.FORM_EXPIRED, state=state)
    result = workflow.assign_task(
        session, actor, assignee_code=assignee.code, content=state["content"],
        deadline=date.fromisoformat(state["deadline"]), product=state["product"], document=state.get("document"),
        lead_unit=unit.name if unit is not None else None, via=Via.BOT, now=viewer.now, tz=viewer.tz,
    )  # fmt: skip
    if isinstance(result, workflow.Refused):
        return refusal(result.reason, state=state)
    step = _assigned(session, viewer, actor, result, [])
    return Step(step.reply, notices=step.notices, toast=tx.ASSIGNED_TOAST, edit=True, replan=True)


def _assigned(session: Session, viewer: Viewer, actor: Official, result: Any, notes: list[str]) -> Step:
    if isinstance(result, workflow.Refused):
        return refusal(result.reason)
    task: Task = result.task
    assignee = task.assignee
    lines = [tx.ASSIGNED.format(code=esc(task.code), assignee=esc(_label(assignee)))]
    notices: list[Notice] = []
    if result.notify:
        if assignee.telegram_user_id:
            lines.append(tx.ASSIGNED_TOLD.format(name=esc(assignee.full_name)))
            notices.append(Notice(assignee.telegram_user_id, new_task_screen(task, actor, viewer)))
        else:
            lines.append(tx.ASSIGNED_NOT_LINKED.format(name=esc(assignee.full_name)))
    lines += notes
    html = "\n".join(lines) + "\n\n" + card_html(task, viewer.today)
    return Step(Screen(html), notices=tuple(notices), replan=True)


# --- the new task's card: "Nhận việc", "Xin gia hạn", "Trao đổi" -------------------------------------------


def _at(viewer: Viewer) -> str:
    return format_local(viewer.now, viewer.tz)


def new_task_buttons(task: Task) -> Keyboard:
    return [[button(tx.BUTTON_ACKNOWLEDGE, assign_data("a", task.id))],
            [button(tx.BUTTON_EXTEND, extension_data("r", task.id)),
             button(tx.BUTTON_CONTACT, assign_data("c", task.id))]]  # fmt: skip


def follow_up_buttons(task: Task) -> Keyboard:
    """Under an acknowledged task: the usual card buttons, then "Xin gia hạn" / "Trao đổi"."""
    rows = task_buttons(task)
    if not task.is_closed:
        rows.append([button(tx.BUTTON_EXTEND, extension_data("r", task.id)),
                     button(tx.BUTTON_CONTACT, assign_data("c", task.id))])  # fmt: skip
    return rows


def new_task_screen(task: Task, assigner: Official, viewer: Viewer) -> Screen:
    """What the assignee receives at once: who assigned it, the card, "Nhận việc" / "Xin gia hạn" / "Trao
    đổi"."""
    head = tx.NEW_TASK.format(assigner=esc(_label(assigner)), at=_at(viewer))
    return Screen(f"{head}\n\n{card_html(task, viewer.today)}\n\n{tx.NEW_TASK_HINT}", new_task_buttons(task))


def acknowledge(session: Session, viewer: Viewer, task_id: int) -> Step:
    """ "Nhận việc": the task is in progress (the domain checks it is the assignee's and not started);
    the card is edited with who took it on, and the assigner (or the approvers) are told."""
    actor = official_of(session, viewer, task_id=task_id, action="nhận việc")
    result = workflow.acknowledge(session, actor, task_id, Via.BOT, now=viewer.now)
    if isinstance(result, workflow.Refused):
        return refusal(result.reason)
    task = result.task
    who = esc(_label(actor))
    note = tx.ACKNOWLEDGED_NOTE.format(who=who, at=_at(viewer))
    card = Screen(card_html(task, viewer.today, note=note), follow_up_buttons(task))
    told = tx.ACKNOWLEDGED_NOTICE.format(
        who=who, code=esc(task.code), content=esc(shorten(task.content, 300))
    )
    view = [[button(tx.BUTTON_VIEW, f"t:v:{task.id}")]]
    notices = tuple(
        Notice(o.telegram_user_id, Screen(told, view)) for o in result.notify if o.telegram_user_id
    )
    return Step(card, notices=notices, toast=tx.ACKNOWLEDGED_TOAST, edit=True)


def contact(session: Session, viewer: Viewer, task_id: int) -> Step:
    """ "Trao đổi": who assigned the task and how to reach them (phone, a button opening their Telegram
    chat), or the leaders who decide for it when the assigner is not in the roster."""
    actor = official_of(session, viewer, task_id=task_id, action="trao đổi")
    task = authorize_task(session, actor, task_id, change=False, action="trao đổi", now=viewer.now)
    lines = [tx.CONTACT_TITLE.format(code=esc(task.code)), f"<i>{esc(shorten(task.content, 300))}</i>", ""]
    rows: Keyboard = []
    people = [task.assigner] if task.assigner is not None and task.assigner.active else []
    if people:
        a = people[0]
        position = f", {esc(a.position)}" if a.position else ""
        lines.append(
            tx.CONTACT_ASSIGNER.format(name=esc(a.full_name), position=position, unit=esc(a.unit.name))
        )
    else:
        people = workflow.approvers(session, task)
        leaders = ", ".join(esc(_label(o)) for o in people) or tx.MISSING
        lines.append(tx.CONTACT_APPROVERS.format(assigned_by=esc(task.assigned_by), leaders=leaders))
    for person in people[:3]:
        if person.phone:
            lines.append(tx.CONTACT_PHONE.format(phone=esc(person.phone)) + f" ({esc(person.full_name)})")
        username = (person.telegram_username or "").lstrip("@")
        if re.fullmatch(r"[A-Za-z0-9_]{5,32}", username):
            lines.append(tx.CONTACT_TELEGRAM.format(username=esc("@" + username)))
            rows.append([button(tx.BUTTON_MESSAGE.format(name=shorten(person.full_name, 40)),
                                f"https://t.me/{username}")])  # fmt: skip
    if actor.id == task.assignee_id and not task.is_closed:
        lines += ["", tx.CONTACT_HINT.format(code=esc(task.code))]
    return Step(Screen("\n".join(lines), rows))
