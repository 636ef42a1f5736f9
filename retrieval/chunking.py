"""Structure-aware chunking of Vietnamese administrative documents.

Documents are trees: Phần / Chương / I. II. / Điều / 1. 2. / 1.1. / a) b), written as Markdown headings or as
plain lines starting with such a marker. A chunk never crosses a sentence boundary, knows its section path
("II- MỤC TIÊU › 1. Đến năm 2030"), and stays under the embedding model's window. Tables are split by rows,
each piece keeping the table's header row. Small sibling sections are packed together so a chunk has enough
context to be found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CHUNKER_VERSION = "6"  # bump when loading or chunking changes: the index is rebuilt
MAX_TOKENS = 300  # body budget; the header adds up to ~60 more, well inside the model's 512
SOFT_TOKENS = 200  # packing small sections stops around here
SEP = " › "

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_MARKERS: list[tuple[re.Pattern[str], float]] = [
    (re.compile(r"^(Phần\s+(?:thứ\s+)?[\wÀ-ỹ]+)\b", re.IGNORECASE), 0),
    (re.compile(r"^(Chương\s+[IVXLC\d]+)\b", re.IGNORECASE), 1),
    (re.compile(r"^(Mục\s+(?:\d+|[IVXLC]{1,6}))\b", re.IGNORECASE), 2),
    (re.compile(r"^([IVXLC]{1,6})\s*[.\-–)]\s*(?=\S)"), 2),
    (re.compile(r"^(Điều\s+\d+)\b", re.IGNORECASE), 3),
    (re.compile(r"^(\d{1,2}(?:\.\d{1,2}){2})\.?\s+(?=\S)"), 6),
    (re.compile(r"^(\d{1,2}\.\d{1,2})\.?\s+(?=\S)"), 5),
    (re.compile(r"^(\d{1,2})[.)]\s+(?=\S)"), 4),
    (re.compile(r"^([a-zđ])\)\s+(?=\S)"), 7),
]
# Sentence ends: . ! ? … followed by space and an upper-case letter, digit, quote or bracket.
_SENTENCE_END = re.compile(r"(?<=[.!?…;])\s+(?=[\"“(\[A-ZĐÀ-Ỹ0-9-])")
_TOKENISH = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def estimate_tokens(text: str) -> int:
    """A cheap, slightly pessimistic estimate of XLM-R pieces for Vietnamese text (one syllable ≈ one piece)."""
    n = 0
    for tok in _TOKENISH.findall(text):
        n += 1 if len(tok) <= 7 or not tok.isdigit() else 2
        if tok.isdigit() and len(tok) > 2:
            n += 1
    return int(n * 1.15) + 1


# "(1) Đổi mới …" numbers an item only when it is a Markdown heading; as a plain line it is an enumeration.
_MD_ONLY_MARKERS: list[tuple[re.Pattern[str], float]] = [(re.compile(r"^\((\d{1,2})\)\s+(?=\S)"), 4)]
# Structural kind of each heading level, for the labels chunks carry (clause routing).
LEVEL_KINDS = {0: "phan", 1: "chuong", 2: "muc", 3: "dieu", 4: "khoan", 5: "tiet", 6: "tiet", 7: "diem"}
_KIND_PREFIX = re.compile(r"(?i)^(phần(?:\s+thứ)?|chương|mục|điều)\s+")


@dataclass
class Heading:
    marker: str  # "II", "1", "Điều 3", "a", "" for an unmarked heading
    label: str  # text shown in the section path
    level: float


@dataclass
class Chunk:
    text: str
    section: str
    section_ref: str  # "II.1", "Điều 3", "" — used in citations ("mục II.1")
    position: int = 0
    labels: tuple[tuple[str, str], ...] = ()  # (("dieu", "5"), ("khoan", "2")): see `structure_labels`


@dataclass
class _Unit:
    path: list[Heading]
    heading_text: str | None  # the heading's own line, when it is a Markdown heading
    blocks: list[str] = field(default_factory=list)

    def size(self) -> int:
        return sum(estimate_tokens(b) for b in self.blocks)


def split_sentences(text: str) -> list[str]:
    parts = [p.strip() for p in _SENTENCE_END.split(text)]
    return [p for p in parts if p]


def _heading_of(line: str, md_depth: int | None) -> Heading | None:
    text = line.strip()
    for rx, level in (*_MARKERS, *(_MD_ONLY_MARKERS if md_depth is not None else ())):
        m = rx.match(text)
        if m:
            marker = m.group(1)
            # a marker line that is a whole paragraph gets a short label: its marker and first words
            limit = 90 if md_depth is not None else 48
            return Heading(marker=marker, label=_short_label(text, limit), level=level)
    if md_depth is not None:
        return Heading(marker="", label=_short_label(text), level=md_depth + 0.5)
    return None


def _short_label(text: str, limit: int = 90) -> str:
    text = text.strip().rstrip(":")
    if len(text) <= limit:
        return text
    cut = text[:limit]
    return cut[: cut.rfind(" ")] + "…" if " " in cut else cut + "…"


def _blocks(body: str) -> list[str]:
    """Paragraphs; consecutive table rows form one block; every non-empty line stands alone otherwise."""
    out: list[str] = []
    table: list[str] = []
    for raw in body.split("\n"):
        line = raw.strip()
        if line.startswith("|"):
            table.append(line)
            continue
        if table:
            out.append("\n".join(table))
            table = []
        if line:
            out.append(line)
    if table:
        out.append("\n".join(table))
    return out


def _units(body: str) -> list[_Unit]:
    units: list[_Unit] = [_Unit(path=[], heading_text=None)]
    stack: list[Heading] = []
    for block in _blocks(body):
        md = _MD_HEADING.match(block)
        if md:
            heading = _heading_of(md.group(2), len(md.group(1)))
            assert heading is not None
            current = units[-1]
            if current.heading_text is not None and not current.blocks and heading.marker == "" and stack:
                # "## Chương I" then "### QUY ĐỊNH CHUNG": one heading, two lines
                stack[-1].label = f"{stack[-1].label}. {heading.label}"
                current.heading_text = f"{current.heading_text}. {md.group(2).strip()}"
                continue
            stack = [h for h in stack if h.level < heading.level] + [heading]
            units.append(_Unit(path=list(stack), heading_text=md.group(2).strip()))
            continue
        heading = None if block.startswith("|") else _heading_of(block, None)
        if heading is not None and len(block) < 2000:
            stack = [h for h in stack if h.level < heading.level] + [heading]
            units.append(_Unit(path=list(stack), heading_text=None, blocks=[block]))
            continue
        units[-1].blocks.append(block)
    return [u for u in units if u.blocks or u.heading_text]


def section_ref(path: list[Heading]) -> str:
    """Citation reference: "Điều 3, khoản 2" in laws, "II.1.a" in resolutions."""
    markers = [h for h in path if h.marker]
    dieu = [i for i, h in enumerate(markers) if h.marker.lower().startswith("điều")]
    if dieu:
        i = dieu[-1]
        ref = markers[i].marker
        rest = [h.marker for h in markers[i + 1 :]]
        if rest:
            ref += ", khoản " + rest[0]
            if len(rest) > 1:
                ref += ", điểm " + rest[1]
        return ref
    simple = [h.marker for h in markers if not re.match(r"(?i)(phần|chương|mục)\b", h.marker)]
    if simple:
        return ".".join(simple)
    return markers[-1].marker if markers else ""


def structure_labels(path: list[Heading]) -> tuple[tuple[str, str], ...]:
    """The structural position of a section as (kind, number) pairs, outermost first.

    Kinds: phan, chuong, muc (Mục 2 / I. II.), dieu, khoan (1. 2. and "(1)" headings), tiet (1.1, 1.1.1),
    diem (a) b)). Unmarked headings carry no label. Example: [("dieu", "5"), ("khoan", "2"), ("diem", "a")].
    """
    out: list[tuple[str, str]] = []
    for h in path:
        if not h.marker:
            continue
        kind = LEVEL_KINDS.get(int(h.level))
        if kind is None:
            continue
        out.append((kind, _KIND_PREFIX.sub("", h.marker).strip()))
    return tuple(out)


def _split_long(block: str, budget: int) -> list[str]:
    """Split a block over budget: tables by rows (header kept), text by sentences, then by clauses/words."""
    if block.startswith("|"):
        rows = block.split("\n")
        header = rows[:2] if len(rows) > 1 and re.match(r"^\|[\s:|-]+\|?$", rows[1]) else rows[:1]
        pieces, cur = [], list(header)
        body_rows: list[str] = []
        for row in rows[len(header) :]:
            body_rows.extend(_split_words(row, budget // 2) if estimate_tokens(row) > budget // 2 else [row])
        for row in body_rows:
            if cur != header and estimate_tokens("\n".join([*cur, row])) > budget:
                pieces.append("\n".join(cur))
                cur = list(header)
            cur.append(row)
        pieces.append("\n".join(cur))
        return pieces
    sentences = split_sentences(block)
    out: list[str] = []
    cur = ""
    for s in sentences:
        if estimate_tokens(s) > budget:
            if cur:
                out.append(cur)
                cur = ""
            out.extend(_split_words(s, budget))
            continue
        cand = f"{cur} {s}".strip()
        if cur and estimate_tokens(cand) > budget:
            out.append(cur)
            cur = s
        else:
            cur = cand
    if cur:
        out.append(cur)
    return out


def _split_words(sentence: str, budget: int) -> list[str]:
    clauses = re.split(r"(?<=[;,])\s+", sentence)
    out, cur = [], ""
    for c in clauses:
        cand = f"{cur} {c}".strip()
        if cur and estimate_tokens(cand) > budget:
            out.append(cur)
            cur = c
        else:
            cur = cand
        while estimate_tokens(cur) > budget:
            words = cur.split()
            keep = max(1, int(len(words) * budget / max(estimate_tokens(cur), 1)))
            out.append(" ".join(words[:keep]))
            cur = " ".join(words[keep:])
    if cur:
        out.append(cur)
    return out


def chunk_document(body: str, *, max_tokens: int = MAX_TOKENS, soft_tokens: int = SOFT_TOKENS) -> list[Chunk]:
    """Cut a document body into chunks with section paths."""
    units = _units(body)
    groups: list[list[_Unit]] = []
    for unit in units:
        if groups:
            last = groups[-1]
            base = last[0].path
            # pack with the previous group only inside one named section (never the preamble with a section,
            # never two top-level sections together)
            shared = _common_path([*(u.path for u in last), unit.path])
            related = bool(shared) or (not base and not unit.path)
            total = sum(u.size() + _heading_cost(u) for u in last) + unit.size() + _heading_cost(unit)
            if related and total <= soft_tokens:
                last.append(unit)
                continue
        groups.append([unit])

    chunks: list[Chunk] = []
    for group in groups:
        path = _common_path([u.path for u in group if u.blocks] or [u.path for u in group])
        section = SEP.join(h.label for h in path)
        ref = section_ref(path)
        labels = structure_labels(path)
        lines: list[str] = []
        for u in group:
            if u.heading_text and (u.path != path or len(u.heading_text) > 90):
                lines.append(u.heading_text)
            lines.extend(u.blocks)
        pieces: list[str] = []
        cur: list[str] = []
        for line in lines:
            for part in _split_long(line, max_tokens) if estimate_tokens(line) > max_tokens else [line]:
                if cur and estimate_tokens("\n".join([*cur, part])) > max_tokens:
                    pieces.append("\n".join(cur))
                    cur = []
                cur.append(part)
        if cur:
            pieces.append("\n".join(cur))
        for text in pieces:
            chunks.append(Chunk(text=text, section=section, section_ref=ref, labels=labels))
    for i, c in enumerate(chunks):
        c.position = i
    return [c for c in chunks if re.search(r"\w", c.text)]


def _heading_cost(u: _Unit) -> int:
    return estimate_tokens(u.heading_text) if u.heading_text else 0


def _common_path(paths: list[list[Heading]]) -> list[Heading]:
    first = paths[0]
    n = len(first)
    for p in paths[1:]:
        i = 0
        while i < min(n, len(p)) and p[i] is first[i]:
            i += 1
        n = i
    return first[:n]
