"""Enumerations in a passage: what a "có mấy … là những gì", "gồm những gì", "những … nào" question is answered by.

An answer to a list question is the whole enumeration, every item in order, never a sub-heading alone and never
one item of a list written inside a sentence. Three shapes are recognised, all pure functions of the text:

- a list on its own lines (`block_list`): items marked "-", "+", "•", "1.", "1)", "1-", "(1)", "a)", "(i)",
  "Thứ nhất," introduced by a line ending with ":" or by a sub-heading. A marked line that is a sub-heading ("- Mục tiêu đến năm
  2030", short, no final punctuation) followed by items of another marker ("+ …") stands for those items;
  unmarked paragraphs between items belong to the item above them;
- markers inside one paragraph (`inline_list`): "…các báo cáo: (i) Báo cáo A; (ii) Báo cáo B; (iii) …",
  "(1) … (2) …", "a) … b) …"; markers must run in order (i, ii, iii; 1, 2, 3; a, b, c);
- clauses after a lead-in (`semicolon_list`): "Các nội dung được hỗ trợ bao gồm: A; B; C."
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from retrieval.chunking import split_sentences

_ROMAN = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii", "xiii", "xiv", "xv"]
_LETTERS = "abcdđeghiklmnopqrstuvxy"  # Vietnamese lists skip f, j, w, z and put đ after d

# a marker at the start of a line, and its kind
_THU = ["nhất", "hai", "ba", "tư", "năm", "sáu", "bảy", "tám", "chín", "mười"]
_LINE_MARK = re.compile(
    r"^\s*(?P<mark>[-•+*–]|\((?:[ivx]{1,5}|\d{1,2}|[a-zđ])\)|\d{1,2}[.)-]|[a-zđ]\)"
    # "Thứ nhất, …", "Thứ hai, …" (a notice's requests), not a weekday ("Thứ Hai, ngày 12/1")
    rf"|Thứ (?:{'|'.join(_THU)}),(?! ngày))\s+(?=\S)"
)
_END_PUNCT = '.;:!?…"”)'
SUBHEADING_WORDS = 14  # a marked line of at most this many words, without final punctuation, may head items


_HEADING = re.compile(r"^\s*(#+\s|(?:[IVX]+|[A-Z])[-.–]\s)")


def is_heading(line: str) -> bool:
    """A heading line: Markdown `#`, a Roman-numeral section title, or a line in capitals."""
    text = line.strip()
    if not text:
        return False
    if _HEADING.match(text):
        return True
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 4 and all(c.isupper() for c in letters)


@dataclass
class Enumeration:
    lead: str  # the sentence or sub-heading that introduces the list ("" when none)
    items: list[str]  # whole items without their markers, in order
    tail: str = ""  # text after the list in the same paragraph
    kind: str = field(default="")


def mark_kind(mark: str) -> str:
    """ "dash" ("-", "–", "•", "*"), "plus", "num" ("1.", "1)", "(1)"), "alpha" ("a)", "(a)"), "roman" ("(i)"),
    "thu" ("Thứ nhất,")."""
    m = mark.strip()
    if m.startswith("Thứ "):
        return "thu"
    if m in "-•*–":
        return "dash"
    if m == "+":
        return "plus"
    inner = m.strip("()").rstrip(".)-")
    if inner.isdigit():
        return "num" + ("()" if m.startswith("(") else m[-1])
    if m.startswith("(") and inner in _ROMAN:
        return "roman"
    return "alpha" + ("()" if m.startswith("(") else "")


def ordinal(mark: str) -> int | None:
    """Position of a marker in its sequence: "3." → 3, "c)" → 3, "(iii)" → 3; None for a dash."""
    if mark.startswith("Thứ "):
        return _THU.index(mark[4:].rstrip(",")) + 1
    inner = mark.strip().strip("()").rstrip(".)-")
    if inner.isdigit():
        return int(inner)
    if mark.strip().startswith("(") and inner in _ROMAN:
        return _ROMAN.index(inner) + 1
    if len(inner) == 1 and inner in _LETTERS:
        return _LETTERS.index(inner) + 1
    return None


def line_mark(line: str) -> tuple[str, str] | None:
    """(marker, text after it) of a list line, or None."""
    m = _LINE_MARK.match(line)
    if not m:
        return None
    return m.group("mark"), line[m.end() :].strip()


def is_subheading(text: str) -> bool:
    """A short line without final punctuation ("Mục tiêu cụ thể đến năm 2030"): a title, not a statement."""
    t = text.strip()
    return bool(t) and t[-1] not in _END_PUNCT and len(t.split()) <= SUBHEADING_WORDS


def block_list(lines: list[str], idx: int) -> Enumeration | None:
    """The list that line `idx` of a passage belongs to, heads or announces, or None.

    - a line ending with ":" followed by marked lines announces them;
    - a sub-heading line followed by items of another marker heads them;
    - a marked line brings its siblings (same marker kind); unmarked paragraphs and items of inner markers
      between them belong to the item above (a paragraph chosen there brings the list of that item).

    Which marker is outer is read from the passage itself: the kind that appears first ("-" before "+").
    """
    if not 0 <= idx < len(lines):
        return None
    order = _kinds_in(lines)
    here = line_mark(lines[idx])
    nxt = line_mark(lines[idx + 1]) if idx + 1 < len(lines) else None
    own = here[1] if here else lines[idx].strip()
    if nxt and (
        own.endswith(":") or (is_subheading(own) and (not here or mark_kind(here[0]) != mark_kind(nxt[0])))
    ):
        kind = mark_kind(nxt[0])
        if own.endswith(":"):
            # an announced list: which marker is outer is read from the list itself, not from lists above it
            # ("- …" items earlier in an article do not make the "- …" sub-items here outer to "1. …")
            order = _kinds_in(lines[idx + 1 :])
        items = _siblings(lines, idx + 1, kind, order)
        return Enumeration(lead=own, items=items, kind=kind) if len(items) >= 2 else None
    if here is None:
        # a paragraph between items belongs to the item above it
        j = idx - 1
        while j >= 0 and line_mark(lines[j]) is None:
            if is_heading(lines[j]) or lines[j].rstrip().endswith(":"):
                return None
            j -= 1
        return block_list(lines, j) if j >= 0 else None
    kind = mark_kind(here[0])
    start, j = idx, idx - 1
    while j >= 0:
        m = line_mark(lines[j])
        if m and mark_kind(m[0]) == kind:
            start = j
        elif m and order.index(mark_kind(m[0])) < order.index(kind):
            break  # the item this list hangs under
        elif not m and (lines[j].rstrip().endswith(":") or is_heading(lines[j])):
            break
        j -= 1
    above = lines[j].strip() if j >= 0 else ""
    parent = line_mark(above)
    lead = ""
    if above.endswith(":") or (parent and is_subheading(parent[1])):
        lead = parent[1] if parent else above
    items = _siblings(lines, start, kind, order)
    return Enumeration(lead=lead, items=items, kind=kind) if len(items) >= 2 else None


def _kinds_in(lines: list[str]) -> list[str]:
    """Marker kinds in the order they first appear (the first is the outermost)."""
    order: list[str] = []
    for line in lines:
        m = line_mark(line)
        if m and mark_kind(m[0]) not in order:
            order.append(mark_kind(m[0]))
    return order


def _siblings(lines: list[str], start: int, kind: str, order: list[str]) -> list[str]:
    """Items of marker `kind` from line `start` on. Lines between them (paragraphs, items of inner markers)
    belong to the item above; the list ends at an item of an outer marker, at a heading, at an unmarked line
    announcing another list, or where the numbering starts again."""
    items: list[str] = []
    first = line_mark(lines[start])
    seq = ordinal(first[0]) if first else None
    for line in lines[start:]:
        m = line_mark(line)
        if m is None:
            if items and (is_heading(line) or line.rstrip().endswith(":")):
                break
            continue
        k = mark_kind(m[0])
        if k != kind:
            if k in order and order.index(k) < order.index(kind):
                break
            continue
        n = ordinal(m[0])
        if seq is not None and n is not None and n != seq + len(items):
            break  # "1. 2. 3." then another "1.": a new list
        items.append(m[1])
    return items


def _inline_marks(text: str) -> list[re.Match[str]]:
    """Inline markers in order, one sequence: "(i) (ii) (iii)", "(1) (2)", "a) b) c)"."""
    patterns = (
        r"\((?P<m>[ivx]{1,5})\)\s+",
        r"\((?P<m>\d{1,2})\)\s+",
        r"(?:(?<=^)|(?<=[\s:;,]))(?P<m>\d{1,2})\)\s+",
        r"(?:(?<=^)|(?<=[\s:;,]))(?P<m>[a-zđ])\)\s+",
        r"\((?P<m>[a-zđ])\)\s+",
    )
    best: list[re.Match[str]] = []
    for pat in patterns:
        roman = "ivx" in pat
        seq: list[re.Match[str]] = []
        for m in re.finditer(pat, text):
            tok = m.group("m")
            n = (_ROMAN.index(tok) + 1 if tok in _ROMAN else None) if roman else ordinal(tok + ")")
            if n is None:
                continue
            if n == len(seq) + 1:
                seq.append(m)
            elif n == 1 and len(seq) < 2:
                seq = [m]  # a stray "(i)" before the real list
        if len(seq) >= 2 and len(seq) > len(best):
            best = seq
    return best


_TRAILING = re.compile(r"[\s;,]+(?:và|hoặc)?\s*$")


def inline_list(text: str) -> Enumeration | None:
    """Items marked inside one paragraph: "lead: (i) A; (ii) B; (iii) C. Tail." → lead, [A, B, C], tail."""
    marks = _inline_marks(text)
    if len(marks) < 2:
        return None
    lead = text[: marks[0].start()].strip()
    items: list[str] = []
    for m, nxt in zip(marks, [*marks[1:], None], strict=True):
        end = nxt.start() if nxt is not None else len(text)
        items.append(text[m.end() : end])
    # the last item ends with its sentence; what follows is the paragraph's tail
    last = split_sentences(items[-1])
    tail = ""
    if len(last) > 1:
        items[-1], tail = last[0], " ".join(last[1:])
    items = [_TRAILING.sub("", it).strip() for it in items]
    if any(not it for it in items):
        return None
    return Enumeration(lead=lead, items=items, tail=tail, kind="inline")


def semicolon_list(sentence: str) -> Enumeration | None:
    """ "Các nội dung … bao gồm: A; B; C." → lead "Các nội dung … bao gồm:", items [A, B, C]."""
    head, sep, rest = sentence.partition(":")
    if not sep or not rest.strip() or len(head.split()) < 2 or head.count("(") > head.count(")"):
        return None  # "… của các đơn vị (các Đảng uỷ: Chính phủ, …)": a colon inside brackets leads no list
    parts = [p.strip() for p in re.split(r";\s+", rest.strip()) if p.strip()]
    if len(parts) < 2:
        return None
    parts = [_TRAILING.sub("", p.rstrip(".")).strip() for p in parts]
    return Enumeration(lead=head.strip() + ":", items=[p for p in parts if p], kind="semicolon")


_PAREN = re.compile(r"\(([^()]{10,300})\)")


def paren_list(sentence: str) -> Enumeration | None:
    """ "… các cơ sở giáo dục công lập cấp xã (trường mầm non, tiểu học, trung học cơ sở, trường liên cấp) …"
    → lead "… các cơ sở giáo dục công lập cấp xã", items [trường mầm non, tiểu học, …]: at least three short
    comma-separated names in brackets."""
    for m in _PAREN.finditer(sentence):
        parts = [p.strip() for p in re.split(r",\s+|\s+và\s+", m.group(1)) if p.strip()]
        if len(parts) >= 3 and all(len(p.split()) <= 6 for p in parts) and ":" not in m.group(1):
            return Enumeration(lead=sentence[: m.start()].strip(), items=parts, kind="paren")
    return None


def paragraph_list(paragraph: str, sentence: str) -> Enumeration | None:
    """The enumeration inside a paragraph that `sentence` is part of or that follows `sentence` in it."""
    found = inline_list(paragraph)
    if found is not None:
        return found
    sentences = split_sentences(paragraph)
    at = next((i for i, s in enumerate(sentences) if sentence in s or s in sentence), None)
    if at is None:
        return None
    start = paragraph.find(sentence)
    if ":" in sentence and start >= 0:
        # a long enumeration may have been cut at its semicolons: read on to the end of the whole sentence
        end = re.search(r"[.!?](?=\s+[A-ZĐÀ-Ỹ]|\s*$)", paragraph[start + len(sentence) - 1 :])
        whole = paragraph[start : start + len(sentence) - 1 + (end.end() if end else len(paragraph))]
        found = semicolon_list(whole)
        if found is not None:
            return found
    for s in sentences[at : at + 2]:
        found = semicolon_list(s)
        if found is not None:
            if s != sentences[at]:
                found.lead = f"{sentences[at]} {found.lead}"
            return found
    return paren_list(sentences[at])


def _strip_mark(text: str) -> str:
    m = line_mark(text)
    return m[1] if m else text.strip()


_DANGLING_MARK = re.compile(r"(?:^|[;:.]\s)\((?:\d{1,2}|[ivx]{1,4}|[a-zđ])\)\s*$")


def _lines(text: str) -> list[str]:
    """The passage's non-empty lines (table rules left out). A line ending with a bare inline marker ("…; (3)")
    was broken inside its list by the source: the next line is that item, so the two are one line."""
    lines = [
        ln.strip() for ln in text.split("\n") if ln.strip() and not re.match(r"^\|[\s:|-]+\|?$", ln.strip())
    ]
    joined: list[str] = []
    for line in lines:
        if joined and _DANGLING_MARK.search(joined[-1]):
            joined[-1] = f"{joined[-1]} {line}"
        else:
            joined.append(line)
    return joined


def find_list(text: str, sentence: str) -> Enumeration | None:
    """The enumeration a chosen sentence of a passage belongs to, heads or announces, or None.

    A list inside the sentence's paragraph comes first (markers: "…các báo cáo: (i) …; (ii) …", or clauses
    after a lead-in in the sentence or the next one: "… bao gồm: A; B; C."), then a list on its own lines. A list
    whose items are all sub-headings ("- Mục tiêu tổng quát …", "- Mục tiêu cụ thể …") is an outline, not an
    answer (None), unless a lead-in ending with ":" announces it.
    """
    lines = _lines(text)
    idx = next((i for i, ln in enumerate(lines) if sentence in ln), None)
    if idx is None:
        return None
    paragraph = _strip_mark(lines[idx])
    # the innermost list first: one inside the chosen sentence's paragraph, unless the paragraph announces
    # the lines below it
    found = None if paragraph.endswith(":") else paragraph_list(paragraph, sentence)
    if found is None:
        found = block_list(lines, idx)
        # an outline's titles are no answer; names announced by a lead-in ("Các thể loại … gồm: 1- Cương lĩnh
        # chính trị, 2- Điều lệ Đảng …", each with its paragraph) are
        announced = (
            found is not None
            and found.lead.rstrip().endswith(":")
            and {mark_kind(m[0]) for ln in lines[_line_of(lines, found.lead, idx) :] if (m := line_mark(ln))}
            == {found.kind}
        )
        if found is not None and not announced and all(is_subheading(it) for it in found.items):
            found = None
    if found is not None and found.kind == "thu" and not lines[idx].rstrip().endswith(":"):
        # "Thứ hai, … ; cái gì có lợi cho dân …": a notice's requests are whole paragraphs, each long; a chosen
        # one is what was asked (its words), and the requests are listed only under a lead-in announcing them
        return None
    if found is not None:
        found.lead = _strip_mark(found.lead)
        if found.kind in ("semicolon", "inline") and not found.tail:
            # the count may sit in the sentence before the lead-in ("… 10 nhiệm vụ trọng tâm. Cụ thể: A; B; C.")
            at = paragraph.find(found.lead)
            before = paragraph[: at + len(found.lead)] if at >= 0 else found.lead
            found.items += _announced_rest(before, found.items, lines[idx + 1 :])
    return found


_NUMBER_WORDS = {"hai": 2, "ba": 3, "bốn": 4, "sáu": 6, "bảy": 7, "tám": 8, "chín": 9, "mười": 10}
# "… tập trung thực hiện tốt 10 nhiệm vụ trọng tâm. Cụ thể:": the count a lead-in announces, a small number
# followed by a word (not "%", not a year, not "10/2025")
_ANNOUNCED = re.compile(
    r"(?<![\w,./])(\d{1,2}|hai|ba|bốn|sáu|bảy|tám|chín|mười)\s+(?=[^\W\d])", re.IGNORECASE
)


def announced_count(lead: str) -> int | None:
    """The number of items a lead-in announces ("… 10 nhiệm vụ trọng tâm. Cụ thể:" → 10), read in its last
    two sentences; None when it names none. ("năm" is left out: it is far more often "year".)"""
    tail = " ".join(split_sentences(lead)[-2:])
    found = _ANNOUNCED.findall(tail)
    if not found:
        return None
    word = found[-1].lower()
    n = int(word) if word.isdigit() else _NUMBER_WORDS[word]
    return n if 2 <= n <= 20 else None


def _announced_rest(lead: str, items: list[str], following: list[str]) -> list[str]:
    """The items a paragraph's list leaves to the next paragraphs: "… 10 nhiệm vụ trọng tâm. Cụ thể: A; B; C."
    followed by seven plain paragraphs, one item each (a news article's way). Only when the lead-in's count
    is larger than the items found and exactly that many plain paragraphs (no marker, no heading, no lead-in
    of their own) follow; otherwise nothing is added."""
    n = announced_count(lead)
    if n is None or n <= len(items):
        return []
    rest = following[: n - len(items)]
    if len(rest) < n - len(items) or any(
        line_mark(ln) or is_heading(ln) or ln.rstrip().endswith(":") for ln in rest
    ):
        return []
    return [ln.strip() for ln in rest]


def _line_of(lines: list[str], text: str, before: int) -> int:
    """Index of the last line at or before `before` that holds `text` (0 when none)."""
    return next((i for i in range(min(before, len(lines) - 1), -1, -1) if text and text in lines[i]), 0)


def subheading_content(text: str, sentence: str) -> str | None:
    """A chosen line that is only a sub-heading ("- Mục tiêu tổng quát đến năm 2030") stands for what follows
    it: "sub-heading: its first paragraph's first sentence". None when the line is not such a sub-heading."""
    lines = _lines(text)
    idx = next((i for i, ln in enumerate(lines) if sentence in ln), None)
    own = line_mark(lines[idx]) if idx is not None else None
    if own is None or not is_subheading(_strip_mark(lines[idx])):
        return None
    if idx + 1 >= len(lines) or is_heading(lines[idx + 1]):
        return None
    inner = line_mark(lines[idx + 1])
    # "2. Đối với dự án …" over "a) Hiện nay tổng khối lượng … khoảng 61% …": its first inner item stands for it
    if inner is not None and mark_kind(inner[0]) == mark_kind(own[0]):
        return None
    first = split_sentences(inner[1] if inner else lines[idx + 1])
    return f"{_strip_mark(lines[idx])}: {first[0]}" if first else None
