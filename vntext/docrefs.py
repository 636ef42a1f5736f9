"""Document references as officials write them: "KL 221", "Kết luận 221-KL/TW", "kl221", "221-KL/TW".

Why here (a leaf package): the document side (`retrieval/`) and the task side (`tasks/`, progress by the
document that assigned the work) must read a reference the same way, and neither may import the other. Pure
functions over text; nothing of ours is imported.

A reference is a `DocRef`: the number ("221"), the kind when it can be told ("KL", "NQ", "QD"…) and the
full number when written out ("221-KL/TW", upper case, no spaces). Two references name the same document
(`same_document`) when their full numbers are equal, or — when one of them is short — when the numbers are
equal and the kinds do not contradict each other ("KL 221" is "221-KL/TW"; "71/NQ-CP" is not "71-NQ/TW").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from vntext import clean

__all__ = ["KIND_NAMES", "DocRef", "find_refs", "parse_ref", "same_document", "text_mentions"]

_KIND_WORDS: dict[str, str] = {
    "nghi quyet": "NQ", "ket luan": "KL", "thong bao": "TB", "cong van": "CV", "chi thi": "CT",
    "quyet dinh": "QD", "thong tu": "TT", "nghi dinh": "ND", "ke hoach": "KH",
    "nq": "NQ", "kl": "KL", "tb": "TB", "cv": "CV", "ct": "CT", "qd": "QD", "tt": "TT", "nd": "ND", "kh": "KH",
}  # fmt: skip
KIND_NAMES = {
    "NQ": "Nghị quyết", "KL": "Kết luận", "TB": "Thông báo", "CV": "Công văn", "CT": "Chỉ thị",
    "QD": "Quyết định", "TT": "Thông tư", "ND": "Nghị định", "KH": "Kế hoạch",
}  # fmt: skip
_KIND_ALT = "|".join(sorted((re.escape(k) for k in _KIND_WORDS), key=len, reverse=True))
# "nghi quyet so 57", "nq57", "NQ-57", "kl 221"; the number must not be a year.
_SHORT_RE = re.compile(
    rf"(?<![a-z0-9])({_KIND_ALT})\s*(?:so\s*)?[-.:]?\s*(?!(?:19|20)\d\d(?!\d))(\d{{1,6}})(?![0-9])"
)
# A full number: digits, then groups joined by - or /, at least one group with a letter ("221-KL/TW").
_FULL_RE = re.compile(r"(?<![\w/-])(\d{1,6}(?:/\d{4})?(?:[-/][A-Za-zĐđ][A-Za-zĐđ0-9]*)+)(?![\w])")


def _fold(text: str) -> str:
    """One character in, one out: lower case, no diacritics, đ → d (positions stay aligned)."""
    out = []
    for ch in text:
        low = ch.lower()
        if len(low) != 1:
            out.append(ch)
        elif low == "đ":
            out.append("d")
        else:
            out.append(unicodedata.normalize("NFD", low)[0])
    return "".join(out)


@dataclass(frozen=True)
class DocRef:
    """`number` ("221"), `kind` ("KL"… or None), `full` ("221-KL/TW" or None)."""

    number: str
    kind: str | None = None
    full: str | None = None

    def display(self) -> str:
        """ "Kết luận 221-KL/TW", "Kết luận 221", "văn bản 221"."""
        name = KIND_NAMES.get(self.kind or "", "văn bản" if not self.full else "")
        return f"{name} {self.full or self.number}".strip()


def _kind_of_full(full: str) -> str | None:
    parts = [p for p in re.split(r"[-/]", _fold(full)) if p]
    for part in parts[1:]:
        if part in _KIND_WORDS:
            return _KIND_WORDS[part]
    if any(p.startswith("qh") for p in parts[1:]):
        return "NQ"  # National Assembly resolutions: NNN/YYYY/QHxx
    return None


def _full_ref(raw: str) -> DocRef:
    full = clean(raw).replace(" ", "").upper()
    number = re.match(r"\d+", full)
    return DocRef(number.group(0) if number else full, _kind_of_full(full), full)


def find_refs(text: str) -> list[DocRef]:
    """Every document reference in `text`, in order of appearance, without repeats."""
    cleaned = clean(text or "")
    found: list[tuple[int, DocRef]] = []
    spans: list[tuple[int, int]] = []
    for m in _FULL_RE.finditer(cleaned):
        found.append((m.start(), _full_ref(m.group(1))))
        spans.append((m.start(), m.end()))
    for m in _SHORT_RE.finditer(_fold(cleaned)):
        if any(s <= m.start(2) < e for s, e in spans):
            continue
        found.append((m.start(), DocRef(m.group(2), _KIND_WORDS[m.group(1)])))
    out: list[DocRef] = []
    for _, ref in sorted(found, key=lambda pair: pair[0]):
        if ref not in out:
            out.append(ref)
    return out


def parse_ref(text: str) -> DocRef | None:
    """The reference `text` names ("KL 221", "Kết luận 221-KL/TW", "221-KL/TW"): its first one, or None."""
    refs = find_refs(text)
    return refs[0] if refs else None


def same_document(a: DocRef, b: DocRef) -> bool:
    """Whether two references name the same document (see the module docstring)."""
    if a.number != b.number:
        return False
    if a.full and b.full:
        return a.full == b.full
    return a.kind is None or b.kind is None or a.kind == b.kind


def text_mentions(text: str | None, ref: DocRef) -> bool:
    """Whether `text` (e.g. a task's `Văn bản giao`) names the document `ref`."""
    return bool(text) and any(same_document(ref, found) for found in find_refs(text or ""))
