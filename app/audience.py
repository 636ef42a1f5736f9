"""Who may read which documents, decided from the task domain's roster: the one place that turns a Telegram
sender into a retrieval `Audience` (documents limited to some units, front matter ``pham_vi``).

- a group chat, an unlinked account, an inactive official: the public (documents without a limit only);
- a linked official: their unit and every unit above it (a document for "Sở Tài chính" reaches an official
  of a division under it);
- a quản trị (administrator): every document.

The command line asks "as an official of unit X" (`troly ask --unit X`): `audience_of_units`.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from retrieval.scope import EVERYONE, PUBLIC, Audience
from tasks.models import Official, Unit
from tasks.normalize import Role
from tasks.service import get_official_by_telegram
from tasks.units import find_unit


def audience_of_official(official: Official | None) -> Audience:
    """The audience of a (possibly missing) official: see the module docstring."""
    if official is None:
        return PUBLIC
    if official.role == Role.QUAN_TRI:
        return EVERYONE
    return Audience.of_units(_unit_and_above(official.unit))


def _unit_and_above(unit: Unit | None) -> list[str]:
    names: list[str] = []
    seen: set[int] = set()
    while unit is not None and unit.id not in seen:  # a cycle in a broken roster must not hang a question
        seen.add(unit.id)
        names.append(unit.name)
        unit = unit.parent
    return names


def audience_of_units(session: Session | None, names: list[str]) -> Audience:
    """The audience of an official of each unit named (``--unit``, repeatable): the unit and every unit
    above it from the roster (`session`; None: no database), found as `troly tasks list --unit` finds it
    (folded, abbreviations); without a roster, the name alone. No names: the public.

    Raises `tasks.errors.UnitNotFound` (Vietnamese, with suggestions) for a name the roster does not hold."""
    readable: list[str] = []
    roster = session is not None and session.scalar(select(func.count()).select_from(Unit)) > 0
    for name in names:
        found: Unit | None = None
        if roster:
            # as `troly tasks list --unit` reads it ("Sở NV" = Sở Nội vụ); an unknown name is an error with
            # suggestions, never a silent fall-back to the public documents
            found = find_unit(session, name, allow_abbreviation=True)
        readable += _unit_and_above(found) if found is not None else [name]
    return Audience.of_units(readable)


def audience_of(session: Session, telegram_id: int | None, *, group: bool) -> Audience:
    """The audience of a message's sender; in a group everyone reads the answer, so only public documents."""
    if group or telegram_id is None:
        return PUBLIC
    return audience_of_official(get_official_by_telegram(session, telegram_id))
