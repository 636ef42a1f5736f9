"""Finding units by the names people actually type: any case, with or without diacritics, abbreviated.

Exact folded matches are trusted (import, reports); abbreviations such as "Sở NV" for "Sở Nội vụ" or
"VP UBND tỉnh" for "Văn phòng UBND tỉnh" are only suggested in errors, or accepted by read-only lookups
when they point at exactly one unit.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasks.errors import UnitNotFound
from tasks.models import Unit
from tasks.normalize import fold, fold_key

_CONNECTORS = frozenset({"va"})  # "và" in "Sở Khoa học và Công nghệ" is skipped by abbreviations


@cache
def _tokens(name: str) -> tuple[str, ...]:
    return tuple(t for t in fold_key(name).split() if t not in _CONNECTORS)


def _abbrev_match(query: Sequence[str], words: Sequence[str]) -> bool:
    """True when each query token is a whole word or the initials of a run of words, in order.

    "so nv" matches (so, noi, vu); "so khcn" matches (so, khoa, hoc, cong, nghe); every word must be
    covered, so "so" alone does not match every Sở.
    """
    if not query:
        return not words
    if not words:
        return False
    head, rest = query[0], query[1:]
    if head == words[0] and _abbrev_match(rest, words[1:]):
        return True
    n = len(head)
    return (
        n > 1
        and len(words) >= n
        and "".join(w[0] for w in words[:n]) == head
        and _abbrev_match(rest, words[n:])
    )


def abbreviation_matches(query: str, names: Iterable[str]) -> list[str]:
    """Names that `query` abbreviates (see `_abbrev_match`)."""
    q = _tokens(query)
    return [name for name in names if q and _abbrev_match(q, _tokens(name))]


SUGGEST_CUTOFF = 0.8  # difflib ratio on folded names: "Sở Giáo dục" must not suggest "Sở Nội vụ" (≈ 0.6)


_COUNCIL_PREFIXES = ("ubnd ", "hdnd ", "uy ban nhan dan ")


def _close_keys(key: str, keys: list[str], limit: int, cutoff: float) -> list[str]:
    """Folded names whose difflib ratio with `key` is ≥ `cutoff`, best first; a name is also compared
    without its leading "UBND"/"HĐND", so "xa hop tienn" finds "UBND xã Hợp Tiến"."""
    scored = []
    for k in keys:
        bare = next((k.removeprefix(p) for p in _COUNCIL_PREFIXES if k.startswith(p)), k)
        ratio = max(
            difflib.SequenceMatcher(None, key, k).ratio(), difflib.SequenceMatcher(None, key, bare).ratio()
        )
        if ratio >= cutoff:
            scored.append((-ratio, k))
    return [k for _, k in sorted(scored)[:limit]]


def suggest(query: str, names: Sequence[str], limit: int = 3, cutoff: float = SUGGEST_CUTOFF) -> list[str]:
    """Up to `limit` close names: abbreviations first, then names containing the query, then fuzzy ones
    (difflib ratio ≥ `cutoff` on folded names; a shared "Sở …"/"UBND xã …" prefix alone is not close)."""
    found: list[str] = []
    key = fold_key(query)
    folded = {fold_key(n): n for n in names}
    candidates = [
        *abbreviation_matches(query, names),
        *(n for k, n in folded.items() if key and key in k),
        *(folded[k] for k in _close_keys(key, list(folded), limit, cutoff)),
    ]
    for name in candidates:
        if name not in found:
            found.append(name)
    return found[:limit]


def find_unit(session: Session, name: str, *, allow_abbreviation: bool = False) -> Unit:
    """The unit named `name` (folded comparison); `UnitNotFound` with suggestions otherwise.

    With `allow_abbreviation` (read-only uses), an abbreviation or a part of a name ("so van hoa") that
    points at exactly one unit is accepted.
    """
    unit = session.scalar(select(Unit).where(Unit.name_folded == fold(name)))
    if unit is not None:
        return unit
    names = list(session.scalars(select(Unit.name).order_by(Unit.id)))
    if allow_abbreviation:
        key = fold_key(name)
        matches = abbreviation_matches(name, names) or [n for n in names if key and key in fold_key(n)]
        if len(matches) == 1:
            return session.scalars(select(Unit).where(Unit.name == matches[0])).one()
    raise UnitNotFound(name, suggest(name, names))


# --- levels: which unit can sit above which ------------------------------------------------------------

PROVINCE, DEPARTMENT, OFFICE, COMMUNE, OTHER = "province", "department", "office", "commune", "other"
_BODIES = ("ubnd", "hdnd", "uy ban nhan dan", "hoi dong nhan dan", "dang uy", "mttq", "uy ban mttq")
_COMMUNE_WORDS = ("xa", "phuong", "thi tran", "dac khu")
_COMMUNE_BODY = re.compile(r"\b(ubnd|hdnd|dang uy|uy ban nhan dan)\s+(xa|phuong|thi tran|dac khu)\b")
_DEPARTMENT_WORDS = (
    "so", "ban", "van phong", "thanh tra", "cuc", "chi cuc", "trung tam", "bao", "dai", "truong", "benh vien",
    "bo chi huy", "cong an", "kho bac", "thue",
)  # fmt: skip


def unit_level(name: str) -> str:
    """The administrative level a unit's name shows: "province" (UBND tỉnh …, Tỉnh ủy), "commune" (UBND
    xã/phường …, xã …), "department" (Sở …, Ban …, Văn phòng …), "office" (Phòng …), else "other"."""
    key = " ".join(_tokens(name))
    for body in (*_BODIES, ""):
        rest = key[len(body) :].strip() if key.startswith(body) else None
        if rest is None:
            continue
        if (rest.startswith(("tinh", "thanh pho")) and body) or key.startswith("tinh uy"):
            return PROVINCE
        if any(rest == w or rest.startswith(w + " ") for w in _COMMUNE_WORDS):
            return COMMUNE
        if body:
            break
    if key == "phong" or key.startswith("phong "):
        return OFFICE
    if any(key == w or key.startswith(w + " ") for w in _DEPARTMENT_WORDS):
        return DEPARTMENT
    return OTHER


def _shape(name: str) -> tuple[str, ...]:
    """The leading words that give a name its kind ("ubnd tinh", "so", "ubnd xa"): first two tokens."""
    return _tokens(name)[:2]


def suggest_parent(missing: str, child: str, names: Sequence[str], limit: int = 3) -> list[str]:
    """Names to propose for an unknown parent unit `missing` of unit `child`.

    Candidates close to `missing` come first when they have the same level and name shape, then the same
    level; a commune is never proposed as the parent of a unit above commune level (a department, the
    province), and `child` itself never.
    """
    child_level, wanted_level = unit_level(child), unit_level(missing)
    candidates = [
        n for n in suggest(missing, names, limit=max(limit * 4, 12), cutoff=0.6) if fold(n) != fold(child)
    ]
    above_communes = child_level in (PROVINCE, DEPARTMENT) and not _COMMUNE_BODY.search(fold_key(child))
    if above_communes or wanted_level == PROVINCE:
        candidates = [n for n in candidates if unit_level(n) != COMMUNE]
    shape = _shape(missing)

    def rank(name: str) -> int:
        if unit_level(name) == wanted_level and _shape(name) == shape:
            return 0
        return 1 if unit_level(name) == wanted_level else 2

    return sorted(candidates, key=rank)[:limit]
