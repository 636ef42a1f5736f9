"""Recognise references to official documents in queries and texts.

Officials write "NQ 57", "nq57", "Nghị quyết số 57", "nghi quyet 57", "57-NQ/TW", "KL 221", "TB 659",
"thông báo 624", "CV 6225", "198/2025/QH15", "22498/UBND-THĐT". Each becomes a `DocRef` with a number and,
when it can be told, a kind (NQ, KL, TB, CV, CT, QĐ...). A document in the index has keys of the same shape,
so a query naming a document can be matched to it whatever the spelling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval.textnorm import DOC_NUMBER_RE, fold, nfc

# Folded names of document kinds → short code. Longest names first so "nghi quyet" wins over "nq".
_KIND_WORDS: dict[str, str] = {
    "nghi quyet": "NQ",
    "ket luan": "KL",
    "thong bao": "TB",
    "cong van": "CV",
    "chi thi": "CT",
    "quyet dinh": "QD",
    "thong tu": "TT",
    "nghi dinh": "ND",
    "ke hoach": "KH",
    "nq": "NQ",
    "kl": "KL",
    "tb": "TB",
    "cv": "CV",
    "ct": "CT",
    "qd": "QD",
    "tt": "TT",
    "nd": "ND",
    "kh": "KH",
}

# Document type labels as written in front matter → code: the long names above.
_TYPE_LABELS = {name: code for name, code in _KIND_WORDS.items() if " " in name}

# Display names for codes, for messages like "Kho văn bản chưa có Nghị quyết 18".
KIND_NAMES = {
    "NQ": "Nghị quyết",
    "KL": "Kết luận",
    "TB": "Thông báo",
    "CV": "Công văn",
    "CT": "Chỉ thị",
    "QD": "Quyết định",
    "TT": "Thông tư",
    "ND": "Nghị định",
    "KH": "Kế hoạch",
    "LUAT": "Luật",
}

_kind_alt = "|".join(sorted((re.escape(k) for k in _KIND_WORDS), key=len, reverse=True))
# "nghi quyet so 57", "nq57", "NQ-57", "kl 221", "thong bao so 624"; the number must not be a year or a date.
_SHORT_RE = re.compile(
    rf"(?<![a-z0-9])({_kind_alt})\s*(?:so\s*)?[-.:]?\s*(?!(?:19|20)\d\d(?!\d))(\d{{1,6}})(?![0-9])",
)


@dataclass(frozen=True)
class DocRef:
    number: str  # "57", "198", "22498"
    kind: str | None = None  # "NQ", "KL", ... or None when unknown
    full: str | None = None  # canonical full number when written out, e.g. "57-NQ/TW"

    def key(self) -> str:
        return f"{self.kind or '?'}:{self.number}"

    def display(self) -> str:
        if self.full:
            name = KIND_NAMES.get(self.kind or "", "")
            if self.kind == "QD" and self.full.endswith("-QĐ/TW"):
                name = "Quy định"  # the Party's "66-QĐ/TW" is a Quy định; a Quyết định is "15/QĐ-UBND"
            return f"{name} {self.full}".strip()
        return f"{KIND_NAMES.get(self.kind or '', 'văn bản')} {self.number}"


def canonical_number(raw: str) -> str:
    """Canonical spelling of a full number for comparison: NFC, upper case, no spaces."""
    return nfc(raw).replace(" ", "").upper()


def kind_of_number(full: str) -> str | None:
    """The kind encoded in a full number: 57-NQ/TW → NQ, 624/TB-VPCP → TB, 198/2025/QH15 → NQ (QH resolutions)."""
    parts = [p for p in re.split(r"[-/]", fold(full)) if p]
    for p in parts[1:]:
        code = _KIND_WORDS.get(p)
        if code:
            return code
    if any(p.startswith("qh") for p in parts[1:]):
        return "NQ"  # National Assembly resolutions are numbered NNN/YYYY/QHxx
    return None


def parse_full_number(raw: str) -> DocRef:
    full = canonical_number(raw)
    number = re.match(r"\d+", full)
    return DocRef(number=number.group(0) if number else full, kind=kind_of_number(full), full=full)


def kind_of_type_label(label: str | None) -> str | None:
    if not label:
        return None
    return _TYPE_LABELS.get(fold(label).strip())


def find_refs(text: str) -> list[DocRef]:
    """All document references in `text`, in order of appearance, without duplicates."""
    found: list[tuple[int, DocRef]] = []
    spans: list[tuple[int, int]] = []
    for m in DOC_NUMBER_RE.finditer(nfc(text)):
        ref = parse_full_number(m.group(1))
        # a date like 22/12/2024 has no letters and is not matched; "15/9/2025" neither.
        found.append((m.start(), ref))
        spans.append((m.start(), m.end()))
    folded = fold(text)
    # fold() keeps positions aligned with NFC text for Vietnamese (one char in, one char out).
    for m in _SHORT_RE.finditer(folded):
        if any(s <= m.start(2) < e for s, e in spans):
            continue
        kind = _KIND_WORDS[m.group(1)]
        found.append((m.start(), DocRef(number=m.group(2), kind=kind)))
    found.sort(key=lambda x: x[0])
    out: list[DocRef] = []
    seen: set[tuple[str, str | None]] = set()
    for _, ref in found:
        ident = (ref.number, ref.kind)
        if ident in seen:
            continue
        seen.add(ident)
        out.append(ref)
    return out


def document_keys(doc_number: str | None, doc_type: str | None, refers_to: tuple[str, ...] = ()) -> set[str]:
    """Keys under which a document can be referred to: "NQ:57", "?:57", and the full number."""
    keys: set[str] = set()
    for raw in (doc_number, *refers_to):
        if not raw:
            continue
        ref = parse_full_number(raw)
        kind = ref.kind or kind_of_type_label(doc_type)
        keys.add(f"{kind or '?'}:{ref.number}")
        keys.add(f"?:{ref.number}")
        if ref.full:
            keys.add(f"full:{ref.full}")
    return keys


def ref_matches(ref: DocRef, keys: set[str]) -> bool:
    """Whether a reference names a document with these keys (`document_keys`).

    A reference written in full must match the full number when the document has one: "71/NQ-CP" (a
    Government resolution) is not "71-NQ/TW" although both are "Nghị quyết 71"; a short one ("NQ 71") matches
    by kind and number.
    """
    if ref.full:
        if f"full:{ref.full}" in keys:
            return True
        if any(k.startswith("full:") for k in keys):
            return False
    if ref.kind is None:
        return f"?:{ref.number}" in keys
    return f"{ref.kind}:{ref.number}" in keys


def without_refs(text: str) -> str:
    """`text` with its document references taken out ("KL 221 ai ký?" → "ai ký?"), spaces collapsed: what
    an earlier question asked, to be asked again of another document ("còn NQ 66?")."""
    text = nfc(text)
    spans = [(m.start(), m.end()) for m in DOC_NUMBER_RE.finditer(text)]
    spans += [(m.start(), m.end()) for m in _SHORT_RE.finditer(fold(text))]  # fold keeps positions
    out, last = [], 0
    for start, end in sorted(spans):  # overlapping spans ("Kết luận 221" and "221-KL/TW") are merged
        out.append(text[last:start] if start > last else "")
        last = max(last, end)
    out.append(text[last:])
    return " ".join("".join(out).split())
