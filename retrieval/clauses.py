"""Clauses: the structural labels of a document (phần, chương, mục, điều, khoản, điểm) and questions naming one.

Officials cite by clause: "Điều 5 khoản 2 NQ 198", "khoản 4 Điều 10", "điểm a khoản 1 Điều 3", "mục II.1 NQ 57",
"phần III NQ 72". `parse_clause_ref` reads such a reference from a question; `find_clause` finds exactly that
clause in a document's body by its headings (the same heading rules the chunker uses) and returns its whole
text. A passage that merely mentions another clause ("khoản 1 và khoản 2 Điều này") never matches: only the
document's own structure counts. Labels are `(kind, number)` pairs, e.g. `(("dieu", "5"), ("khoan", "2"))`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval.chunking import _MD_HEADING, Heading, _blocks, _heading_of, structure_labels
from retrieval.textnorm import fold

Labels = tuple[tuple[str, str], ...]

_KIND_WORDS = {
    "phan": "phần",
    "chuong": "chương",
    "muc": "mục",
    "dieu": "Điều",
    "khoan": "khoản",
    "diem": "điểm",
}


def format_labels(labels: Labels) -> str:
    """Vietnamese reference for labels: "Điều 5, khoản 2, điểm a", "mục II.1", "phần III", "" when unknown."""
    if not labels:
        return ""
    d = dict(labels)
    if "dieu" in d:
        out = f"Điều {d['dieu']}"
        if "khoan" in d:
            out += f", khoản {d['khoan']}"
        if "diem" in d:
            out += f", điểm {d['diem']}"
        return out
    parts: list[str] = []
    if "phan" in d:
        parts.append(f"phần {d['phan']}")
    if "chuong" in d:
        parts.append(f"chương {d['chuong']}")
    dotted = [d[k] for k in ("muc",) if k in d]
    if "tiet" in d:
        dotted.append(d["tiet"])
    elif "khoan" in d:
        dotted.append(d["khoan"])
    if dotted:
        # a document numbered only 1., 2., 3. (a Kết luận, a Thông báo) calls its items "mục 2" too
        parts.append(f"mục {'.'.join(dotted)}")
    if "diem" in d:
        parts.append(f"điểm {d['diem']}")
    return ", ".join(parts)


_DIEU_LINE = re.compile(r"^(?:#+\s*)?Điều\s+(\d{1,3})\s*[.:]")
_KHOAN_LINE = re.compile(r"^(?:#+\s*)?(\d{1,2})\.\s+\S")


def narrow_labels(labels: Labels, text: str, quote: str) -> Labels:
    """The labels of the quote inside a passage: a passage labelled "Điều 10" whose quoted sentence lies inside
    its "7. …" block is "Điều 10, khoản 7". Unchanged when the quote spans several khoản or is not found."""
    if not labels or not quote or labels[-1][0] not in ("dieu", "chuong"):
        return labels
    # a chapter's small articles packed into one passage ("Chương I" holding Điều 1–3): the quote's own Điều
    packed = labels[-1][0] == "chuong"
    needle = " ".join(quote.split())[:80]
    current: str | None = None
    dieu: str | None = None
    for block in text.split("\n"):
        article = _DIEU_LINE.match(block.strip()) if packed else None
        if article:
            dieu, current = article.group(1), None
            continue
        m = _KHOAN_LINE.match(block.strip())
        if m:
            current = m.group(1)
        if needle and needle in " ".join(block.split()):
            if packed and dieu is None:
                return labels
            base = (*labels, ("dieu", dieu)) if packed and dieu else labels
            if current is None:
                return base
            end = " ".join(quote.split())[-60:]
            return (*base, ("khoan", current)) if end in " ".join(block.split()) else base
    return labels


# -- references in questions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ClauseRef:
    """A clause named in a question. `muc` is a dotted path ("II", "1") for "mục II.1"."""

    phan: str | None = None
    chuong: str | None = None
    muc: tuple[str, ...] = ()
    dieu: str | None = None
    khoan: str | None = None
    diem: str | None = None

    def display(self) -> str:
        """ "Điều 5, khoản 2", "mục II.1", "phần III"."""
        labels: list[tuple[str, str]] = []
        if self.phan:
            labels.append(("phan", self.phan))
        if self.chuong:
            labels.append(("chuong", self.chuong))
        if self.muc:
            labels.append(("muc", self.muc[0]))
            if len(self.muc) > 1:
                labels.append(("tiet" if len(self.muc) > 2 else "khoan", ".".join(self.muc[1:])))
        if self.dieu:
            labels.append(("dieu", self.dieu))
        if self.khoan:
            labels.append(("khoan", self.khoan))
        if self.diem:
            labels.append(("diem", self.diem))
        return format_labels(tuple(labels))


_ROMAN = r"[IVXLC]{1,6}"
_NUM = r"\d{1,3}"
# Matched on the text folded to ASCII (diacritics dropped) but with the case of the original kept, so that
# Roman numerals stay recognisable ("mục II.1") while "mục vì…" is not taken for "mục VI".
_DIEU_RE = re.compile(rf"(?i:\bdieu)\s+({_NUM})\b")
_KHOAN_RE = re.compile(rf"(?i:\bkhoan)\s+({_NUM})\b")
_DIEM_RE = re.compile(r"(?i:\bdiem)\s+([a-z])\)?(?=[\s,.;?!]|$)")
_DIEM_NUM_RE = re.compile(rf"(?i:\bdiem)\s+({_NUM})\b")
_MUC_RE = re.compile(rf"(?i:\b(?:muc|tieu\s+muc))\s+({_ROMAN}|{_NUM})((?:\.\d{{1,2}})*)\b")
_PHAN_RE = re.compile(rf"(?i:\bphan)\s+(?:(?i:thu)\s+)?({_ROMAN}|{_NUM})\b")
_CHUONG_RE = re.compile(rf"(?i:\bchuong)\s+({_ROMAN}|{_NUM})\b")


def _fold_keep_case(text: str) -> str:
    """Diacritics removed (đ → d), case kept: positions and Roman numerals survive."""
    import unicodedata

    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in "đĐ":
            out.append("d" if ch == "đ" else "D")
            continue
        base = unicodedata.normalize("NFD", ch)[0]
        out.append(base)
    return "".join(out)


def parse_clause_ref(question: str) -> ClauseRef | None:
    """The clause a question names, or None. "Điều 5 khoản 2 NQ 198" → ClauseRef(dieu="5", khoan="2")."""
    t = _fold_keep_case(question)
    dieu = _DIEU_RE.search(t)
    khoan = _KHOAN_RE.search(t)
    diem = _DIEM_RE.search(t)
    muc = _MUC_RE.search(t)
    phan = _PHAN_RE.search(t)
    chuong = _CHUONG_RE.search(t)
    numbered = _DIEM_NUM_RE.search(t)
    if numbered and muc and not (dieu or khoan) and not muc.group(2):
        # "điểm 7 mục II KL 127": a resolution numbers the points of a part 1., 2., 3. — item 7 of part II
        return ClauseRef(
            phan=phan.group(1).upper() if phan else None, muc=(muc.group(1).upper(), numbered.group(1))
        )
    if diem and not (khoan or dieu or muc):
        diem = None  # "điểm a" alone names nothing
    if not any((dieu, khoan, muc, phan, chuong)):
        return None
    letter = None
    if diem:
        letter = diem.group(1).lower()
        # "điểm đ" folds to "d": read the letter from the original text
        original = question[diem.start(1) : diem.end(1)] if len(question) == len(t) else letter
        letter = original.lower() if original.lower() in ("đ", letter) else letter
    muc_path: tuple[str, ...] = ()
    if muc:
        muc_path = (muc.group(1).upper(), *[p for p in muc.group(2).split(".") if p])
    return ClauseRef(
        phan=phan.group(1).upper() if phan else None,
        chuong=chuong.group(1).upper() if chuong else None,
        muc=muc_path,
        dieu=dieu.group(1) if dieu else None,
        khoan=khoan.group(1) if khoan else None,
        diem=letter,
    )


# -- clauses in a document -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """One heading of a document with its whole text (the heading line, its own blocks and every sub-section)."""

    labels: Labels
    text: str


def sections(body: str) -> list[Section]:
    """Every marked section of a document body, outermost first, each with its full text."""
    stack: list[Heading] = []
    # (labels, start block index) for each heading, and the blocks in order
    opened: list[tuple[Labels, int, float, int]] = []  # labels, start, level, depth in stack
    blocks = _blocks(body)
    lines: list[str] = []
    for block in blocks:
        md = _MD_HEADING.match(block)
        heading = None
        if md:
            heading = _heading_of(md.group(2), len(md.group(1)))
            shown = md.group(2).strip()
        elif not block.startswith("|") and len(block) < 2000:
            heading = _heading_of(block, None)
            shown = block
        if heading is not None:
            stack = [h for h in stack if h.level < heading.level] + [heading]
            if heading.marker:
                opened.append((structure_labels(stack), len(lines), heading.level, len(stack)))
            lines.append(shown)
            continue
        lines.append(block)
    out: list[Section] = []
    for i, (labels, start, level, _depth) in enumerate(opened):
        end = len(lines)
        for _labels2, start2, level2, _d2 in opened[i + 1 :]:
            if level2 <= level:
                end = start2
                break
        out.append(Section(labels=labels, text="\n".join(lines[start:end]).strip()))
    return out


def _value(labels: Labels, kind: str) -> list[str]:
    return [v for k, v in labels if k == kind]


def _matches(ref: ClauseRef, labels: Labels) -> bool:
    """True when the section's own labels are exactly the named clause (not a parent, not a child)."""
    d: dict[str, str] = {}
    for k, v in labels:
        d[k] = v
    norm = {k: fold(v).upper() for k, v in d.items()}
    wanted: dict[str, str] = {}
    if ref.dieu:
        wanted["dieu"] = ref.dieu
    if ref.khoan:
        wanted["khoan"] = ref.khoan
    if ref.diem:
        wanted["diem"] = fold(ref.diem).upper()
    if ref.chuong:
        wanted["chuong"] = ref.chuong
    top = ref.phan or (ref.muc[0] if ref.muc else None)
    if ref.muc and len(ref.muc) > 1:
        if len(ref.muc) == 2:
            wanted["khoan"] = ref.muc[1]
        else:
            wanted["tiet"] = ".".join(ref.muc[1:])
    for k, v in wanted.items():
        if norm.get(k) != fold(v).upper():
            return False
    if top:
        # resolutions number their top parts I, II, III and call them "phần" or "mục" alike
        tops = [norm[k] for k in ("phan", "muc") if k in norm]
        if fold(top).upper() not in tops:
            return False
    # the deepest label of the section must be the deepest named one: "Điều 10" is not "khoản 4 Điều 10"
    deepest = labels[-1][0] if labels else None
    named = [k for k in ("phan", "chuong", "muc", "dieu", "khoan", "tiet", "diem") if k in wanted]
    if top and not named:
        named = ["phan" if "phan" in norm and norm.get("phan") == fold(top).upper() else "muc"]
    return not (deepest is None or (named and deepest != named[-1]))


def find_clauses(body: str, ref: ClauseRef) -> list[Section]:
    """Every section of `body` that is exactly the named clause: none (absent), one, or several when the
    reference is ambiguous ("khoản 2" in a law with many Điều, "khoản 1" in a resolution with parts I–IV).

    "mục 2" of a document whose top level is numbered 1., 2., 3. (a Kết luận) is its item 2.
    """
    all_sections = sections(body)
    found = [s for s in all_sections if _matches(ref, s.labels)]
    numbered_item = len(ref.muc) == 1 and ref.muc[0].isdigit() and not (ref.dieu or ref.khoan or ref.phan)
    flat = not any(k in ("phan", "muc", "dieu") for s in all_sections for k, _ in s.labels)
    if not found and numbered_item and flat:
        alt = ClauseRef(chuong=ref.chuong, khoan=ref.muc[0], diem=ref.diem)
        found = [s for s in all_sections if _matches(alt, s.labels)]
    return found


def find_clause(body: str, ref: ClauseRef) -> Section | None:
    """The section of `body` that is exactly the named clause, or None when the document has no such clause
    (the first one when the reference is ambiguous: see `find_clauses`)."""
    found = find_clauses(body, ref)
    return found[0] if found else None


def mentioned(body: str, ref: ClauseRef) -> bool:
    """True when the text names the clause in words ("… được nêu rõ tại Mục IV …", "Điều 25") although no heading
    marks it: the stored copy may hold it as plain text, so "the document has no such clause" would be wrong."""
    names: list[str] = []
    top = ref.phan or (ref.muc[0] if len(ref.muc) == 1 else None)
    if top and not (ref.dieu or ref.khoan):
        names.append(rf"(?:phần|mục)\s+{re.escape(top)}")
    if ref.dieu and not ref.khoan:
        names.append(rf"điều\s+{re.escape(ref.dieu)}")
    return any(re.search(rf"\b{n}\b", body, re.IGNORECASE) for n in names)


def outline(body: str, kind: str) -> list[str]:
    """Numbers of the sections of one kind in order ("dieu" → ["1", "2", …]), for "the document has 17 điều"."""
    seen: list[str] = []
    for s in sections(body):
        if s.labels and s.labels[-1][0] == kind and s.labels[-1][1] not in seen:
            seen.append(s.labels[-1][1])
    return seen
