"""Who may read a document: documents limited to some units (front matter ``pham_vi``) and the audience asking.

A province shares most documents with everyone ("Toàn tỉnh"), but some are meant for a few units only (a
department's internal plan, a directive to the communes of one area). Such a document carries
``pham_vi: [Sở Tài chính, UBND xã Tân Lập]``; it may be used — searched, quoted, listed, shown in full, put in
an LLM prompt — only for an audience inside one of those units (the unit itself or any unit below it).

The filter is applied inside retrieval, before ranking: the dense query gets a Chroma ``where`` on the
allowed sources and the lexical candidates are restricted to them, so a limited passage never even enters
the candidate list of someone outside its units. Callers say who is asking with an :class:`Audience`;
the default, :data:`PUBLIC`, sees only documents without a limit (groups, unlinked users, the command line
without ``--unit``).

Unit names are compared folded (case, diacritics and spacing ignored): "Sở Tài chính" = "so tai chinh".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from retrieval.textnorm import fold

# Values meaning "no limit" when written in front matter or chosen in chat.
_EVERYONE_WORDS = {"toan tinh", "tat ca", "cong khai", "moi nguoi", "*"}


_PEOPLES_COMMITTEE = re.compile(r"^(?:ubnd|uy ban nhan dan)\s+")


def unit_key(name: str) -> str:
    """The folded form two spellings of one unit share: "Sở  Tài Chính" → "so tai chinh"; a commune or the
    province named with or without its People's Committee is one unit ("UBND xã Hợp Tiến" = "xã Hợp Tiến")."""
    return _PEOPLES_COMMITTEE.sub("", " ".join(fold(name).split()))


def parse_scope(raw: object) -> tuple[str, ...]:
    """Unit names of a ``pham_vi`` value: a YAML list, or a string separated by ";" , "," or new lines.

    Returns ``()`` (no limit) for empty values and for "Toàn tỉnh" / "tất cả". Names keep their spelling
    (shown on the document card); duplicates (folded) are dropped.
    """
    if raw is None:
        return ()
    items: Iterable[object] = raw if isinstance(raw, (list, tuple, set)) else re.split(r"[;,\n]", str(raw))
    out: dict[str, str] = {}
    for item in items:
        name = " ".join(str(item).split()).strip(" -•*[]'\"")
        key = unit_key(name)
        if not key:
            continue
        if key in _EVERYONE_WORDS:
            return ()
        out.setdefault(key, name)
    return tuple(out.values())


@dataclass(frozen=True)
class Audience:
    """Who is asking, as far as limited documents are concerned.

    `units`: the names of the asker's unit and of every unit above it (a document limited to "Sở Nội vụ" is
    readable by an official of a division under Sở Nội vụ). `everything`: an administrator (quản trị) or the
    server operator, who may read every document.
    """

    units: frozenset[str] = frozenset()
    everything: bool = False

    @classmethod
    def of_units(cls, names: Iterable[str]) -> Audience:
        return cls(units=frozenset(unit_key(n) for n in names if unit_key(n)))

    def may_read(self, scope: tuple[str, ...]) -> bool:
        """True when a document limited to `scope` (``()`` = no limit) may be used for this audience."""
        if not scope or self.everything:
            return True
        return any(unit_key(name) in self.units for name in scope)

    def cache_key(self) -> tuple[bool, frozenset[str]]:
        return (self.everything, self.units)


PUBLIC = Audience()
EVERYONE = Audience(everything=True)
