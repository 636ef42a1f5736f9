"""Questions about a whole section of a named document: "NQ 57 đặt mục tiêu gì đến năm 2030?",
"tầm nhìn 2045", "có mấy quan điểm chỉ đạo?", "nhiệm vụ, giải pháp", "tổ chức thực hiện".

The answer is the items of that section in order (not the preamble that mentions the same words), with their
count. A question that asks a detail inside the section ("mục tiêu về giao dịch không dùng tiền mặt") is left
to sentence selection: the section route is taken only when nothing but the section's name (and a year)
remains once question words are set aside.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence

from retrieval.chunking import split_sentences
from retrieval.citations import format_document_label
from retrieval.docrefs import find_refs
from retrieval.evidence import WORD_RE
from retrieval.judge import ORDINAL_WORDS, asked_type
from retrieval.lists import is_heading, ordinal
from retrieval.textnorm import fold
from retrieval.types import Citation, Passage

# folded cue → how the answer names it
CUES = (
    "quan diem chi dao",
    "nhiem vu, giai phap",
    "nhiem vu giai phap",
    "to chuc thuc hien",
    "tam nhin",
    "muc tieu",
    "quan diem",
    "nhiem vu",
    "giai phap",
)
# words a section question may carry besides the section's name
_FILLER = set(
    [
        "la",
        "gi",
        "nhung",
        "gom",
        "co",
        "may",
        "bao",
        "nhieu",
        "the",
        "nao",
        "nao",
        "neu",
        "ra",
        "dat",
        "de",
        "den",
        "nam",
        "cua",
        "ve",
        "con",
        "thi",
        "sao",
        "chi",
        "tiet",
        "cu",
        "hon",
        "noi",
        "dung",
        "chinh",
        "yeu",
        "tong",
        "quat",
        "duoc",
        "nhu",
        "tren",
        "trong",
        "theo",
        "nghi",
        "quyet",
        "ket",
        "luan",
        "so",
        "van",
        "ban",
        "nay",
        "do",
        "va",
        "cac",
        "xin",
        "cho",
        "biet",
        "hoi",
        "toi",
        "minh",
        "a",
        "oi",
        "nhe",
        "vay",
        "ke",
        "liet",
        "cho",
        "ta",
        "chung",
        "chu",
        "ve",
        "phan",
        "muc",
        "tong",
        "cong",
        "bao",
        "gio",
        "dat",
    ]
)
_FILLER |= set(
    [
        # what a chat message adds around the asked section ("kể ra giúp e", "liệt kê ngắn gọn thôi")
        "giup",
        "e",
        "em",
        "anh",
        "voi",
        "di",
        "nha",
        "ad",
        "ae",
        "mn",
        "thoi",
        "ngan",
        "gon",
        "y",
        "thu",
        "nhat",
        "hai",
        "ba",
        "tu",
        "bon",
        "sau",
        "bay",
        "tam",
        "chin",
        "muoi",
        "diem",
        "quan",
        "chi",
        "dao",
        "nhiem",
        "vu",
        "giai",
        "phap",
        "to",
        "chuc",
        "thuc",
        "hien",
        "tam",
        "nhin",
        "muc",
        "tieu",
    ]
)
# the names of document types ("Thông báo 627 nêu …", "Chỉ thị 26 …") are filler too
_FILLER |= {"thong", "chi", "thi", "quy", "dinh", "cong", "van", "ke", "hoach", "huong", "dan", "bai", "viet"}
# how officials ask for a list politely or completely: "liệt kê giúp mình từng cái", "kể tên đủ giúp em",
# "anh chị liệt kê hộ", "nêu đủ các ý", "tóm tắt từng quan điểm", "mấy nhóm tất cả"
_FILLER |= {
    "giup",
    "ho",
    "dum",
    "gium",
    "em",
    "anh",
    "chi",
    "ban",
    "minh",
    "toi",
    "tung",
    "cai",
    "du",
    "het",
    "tat",
    "ca",
    "ten",
    "tom",
    "y",
    "nhom",
    "dua",
    "xem",
    "vui",
    "long",
    "nha",
    "voi",
    "khong",
    "di",
    "luon",
    "the",
    "lon",
    "day",
    "ro",
    "mot",
    "nhe",
    "dang",
    "duoc",
    "ay",
    "kia",
    "ne",
    "hay",
    "lai",
    "qua",
    # how short the official wants it: "liệt kê ngắn gọn", "sơ lược", "nói nhanh"
    "ngan",
    "gon",
    "so",
    "luoc",
    "nhanh",
}
_ORDINAL = re.compile(r"\b(?:y|muc|diem|giai phap|nhiem vu|quan diem|muc tieu|noi dung)\s+thu\s+(\w+)")
_ITEM = re.compile(r"^\s*(?P<mark>[-•+*]|\(?\d{1,2}[.)]|\(?[a-zđ]\))\s+")
MAX_ITEMS = 10
ITEM_CHARS = 420
ANSWER_CHARS = 3700  # what all the items of a section may take together (a Telegram message holds 4096)


def _cue(q: str) -> str | None:
    for cue in CUES:
        if cue in q:
            return cue
    return None


def _residual(question: str, cue: str) -> list[str]:
    """The question's words beyond the section's name, question words, numbers and document references."""
    q = fold(question).replace(cue, " ")
    rest = [
        w
        for w in WORD_RE.findall(q)
        if w not in _FILLER
        and not re.fullmatch(r"(19|20)\d\d|\d{1,3}", w)
        and not re.match(r"^[a-z]{2}\d+$", w)
    ]
    return [w for w in rest if w not in {"nq", "kl", "tw", "qh15", "ct", "ttg", "tb"}]


# A Party resolution (…-NQ/TW) is laid out the same way: part III is its tasks and solutions, part IV how it is
# carried out. A source that prints part III under "Mục III Nghị quyết 72-NQ/TW" alone is still that part.
_PARTY_PARTS = {"iii": "nhiem vu giai phap", "iv": "to chuc thuc hien"}
_BARE_PART = re.compile(r"^(?:muc|phan)\s+(iii|iv)\b(?!.*(?:quan diem|muc tieu|nhiem vu|giai phap|to chuc))")


def _implied_name(prefix: str, doc_number: str | None) -> str:
    """The folded name a bare part heading of a Party resolution stands for ("Mục III …" → "nhiem vu giai
    phap"), or ""."""
    if not doc_number or not doc_number.upper().endswith("-NQ/TW"):
        return ""
    m = _BARE_PART.match(fold(prefix.split(" › ")[-1]))
    return _PARTY_PARTS[m.group(1)] if m else ""


def _has_number(folded: str, number: str) -> bool:
    """ "quan diem chi dao nghi quyet 70-nq/tw" has 70; "nghi quyet 170" does not."""
    return re.search(rf"(?<![\d/]){re.escape(number.lower())}(?!\d)", folded) is not None


_INLINE_MARK = re.compile(r"(?:^|(?<=[.;:!]\s))\((\d{1,2})\)\s+")


def inline_items(paragraph: str, start: int = 1) -> list[str]:
    """The items of an enumeration written inside one paragraph: "(1) Đảng lãnh đạo … (2) Phát triển …"
    (how pages quoting a resolution often print its list). Markers must run start, start+1, … from the
    beginning of the paragraph (`start` > 1 continues a list begun in an earlier paragraph); anything else (a
    lone "(2)" citing a clause) is not a list: returns []."""
    text = paragraph.strip()
    marks = list(_INLINE_MARK.finditer(text))
    if start > 1:
        # a passage may begin inside the previous item (the chunker cut a long paragraph): skip to the next mark
        marks = marks[next((i for i, m in enumerate(marks) if int(m.group(1)) == start), len(marks)) :]
    if not marks or (start == 1 and marks[0].start() != 0) or int(marks[0].group(1)) != start:
        return []
    kept = []
    for m in marks:
        if int(m.group(1)) == start + len(kept):
            kept.append(m)
    if start == 1 and len(kept) < 2:
        return []
    bounds = [m.start() for m in kept[1:]] + [len(text)]
    return [
        text[m.end() : end].strip()
        for m, end in zip(kept, bounds, strict=True)
        if text[m.end() : end].strip()
    ]


def _item_kind(mark: str) -> str:
    return "dash" if mark in "-•+*" else ("num" if mark.strip("()").rstrip(".)").isdigit() else "alpha")


def first_sentences(text: str, limit: int = ITEM_CHARS) -> str:
    """Whole sentences from the start of an item up to about `limit` characters (at least one)."""
    out = ""
    for s in split_sentences(text):
        if out and len(out) + len(s) + 1 > limit:
            return out + " […]"
        out = f"{out} {s}".strip()
    return out


_NUMBERED = re.compile(
    r"^\s*(?:[IVXLC]{1,6}|\d{1,2}(?:\.\d{1,2}){0,2}|[a-zđ]|\(\d{1,2}\))[-.–)]?\s|^\s*(?:Điều|Chương|Phần|Mục)\s"
)


def _name_in(label: str, cue_words: list[str]) -> str:
    """The section's name as the heading writes it: "Cụ thể, về quan điểm chỉ đạo" → "quan điểm chỉ đạo" (a
    heading that introduces the section "về …" is named by the asked name)."""
    words = label.split()
    folded = [fold(w).strip(",.:;") for w in words]
    n = len(cue_words)
    if not n or folded[:n] == cue_words:
        return label
    for i in range(1, len(words) - n + 1):
        if folded[i : i + n] == cue_words and folded[i - 1] == "ve":
            return " ".join(words[i : i + n]).rstrip(",.:;")
    return label


_CHILD_MARK = re.compile(r"^\(?(\d{1,2}|[a-zđ])[.)]$")


def _numbered_children(inside: Sequence[Passage], children: list[str], depth: int) -> list[str]:
    """The items of a section whose sub-sections are numbered ("1.", "2." or "a)", "b)"), in numbering order:
    each numbered line of the section's passages that continues the numbering, and a sub-section's title where
    its passage does not repeat it (the chunker leaves a short title out, and packs "3." with "2." when both are
    short). [] when the sub-sections are not numbered."""
    marks = [child.split(" ")[0] for child in children]
    if not all(_CHILD_MARK.match(m) for m in marks):
        return []
    numeric = marks[0].strip("(").rstrip(".)").isdigit()
    items: list[str] = []
    seen: set[str] = set()
    inner: set[str | None] = set()  # sub-sections whose own list restarts at 1: their lines are not siblings
    for p in inside:
        parts = p.section.split(" › ")
        lines = [ln.strip() for ln in p.text.split("\n") if ln.strip()]
        child = parts[depth] if len(parts) > depth else None
        if child is not None and child not in seen:
            seen.add(child)
            mark = child.split(" ")[0]
            if (
                _CHILD_MARK.match(mark)
                and ordinal(mark) == len(items) + 1
                and not any(ln.startswith(mark + " ") for ln in lines)
            ):
                items.append(re.sub(r"^\s*\(?(?:\d{1,2}|[a-zđ])[.)]\s*", "", child))
        for line in lines:
            if child in inner:
                break
            m = _ITEM.match(line)
            if m is None:
                continue
            mark = m.group("mark")
            if mark.strip("(").rstrip(".)").isdigit() != numeric or not _CHILD_MARK.match(mark):
                continue
            if ordinal(mark) == 1 and items and child is not None:
                inner.add(child)  # "(1) Đảng ủy Quốc hội …" under "(6) …": the sub-section's own list
                break
            if ordinal(mark) == len(items) + 1:
                items.append(line[m.end() :].strip())
    return items


def section_answer(
    question: str, sources: Sequence[str], doc_passages: Callable[[str], Sequence[Passage]]
) -> tuple[str, list[Citation]] | None:
    """(answer text, citations) listing the items of the asked section, or None when the route does not apply."""
    q = fold(question)
    cue = _cue(q)
    if cue is None:
        return None
    # words beyond the section's name must name the section too ("nhiệm vụ trọng tâm"); otherwise the
    # question asks a detail inside it, left to sentence selection
    extra_all = _residual(question.split(" (", 1)[0], cue) if " (" in question else _residual(question, cue)
    # a follow-up arrives as "còn 2045 thì sao? (the earlier question)": its own year and cue come first
    own = fold(question.split(" (", 1)[0])
    years = re.findall(r"\b(20\d\d)\b", own) or re.findall(r"\b(20\d\d)\b", q)
    cue = _cue(own) or cue
    cue_words = cue.replace(",", "").split()
    wants_count = asked_type(question) in ("list", "number")  # "có mấy / bao nhiêu …": the items, or nothing
    asked_numbers = {r.number for r in find_refs(question)}
    by_source = {source: sorted(doc_passages(source), key=lambda p: p.position) for source in sources}
    # the documents themselves first; an article only when it quotes the section of the asked document
    ordered = sorted(sources, key=lambda s: bool(by_source[s]) and by_source[s][0].doc.doc_type == "Bài viết")
    # the asked document's title words name it in an article on it too ("NQ 72 … về bảo vệ, chăm sóc sức khỏe
    # Nhân dân có mấy quan điểm?" over an article quoting NQ 72's viewpoints)
    asked_titles = {
        w
        for ps in by_source.values()
        if ps
        and ps[0].doc.doc_number
        and any(_has_number(fold(ps[0].doc.doc_number), n) for n in asked_numbers)
        for w in WORD_RE.findall(fold(ps[0].doc.title or ""))
    }
    for source in ordered:
        passages = by_source[source]
        if not passages:
            continue
        is_article = passages[0].doc.doc_type == "Bài viết"
        if is_article and not asked_numbers:
            continue
        # the document's own title words only say which document ("NQ 66 về xây dựng và thi hành pháp luật
        # có mấy nhiệm vụ, giải pháp?"): they are not a detail inside the section
        title = set(WORD_RE.findall(fold(passages[0].doc.title or ""))) | asked_titles
        extra = [w for w in extra_all if w not in title]
        if len(extra) > 3:
            continue
        other_numbers = {
            r.number
            for ref in passages[0].doc.refers_to
            for r in find_refs(ref)
            if r.number not in asked_numbers
        }
        prefixes: list[str] = []
        for p in passages:
            parts = p.section.split(" › ") if p.section else []
            for i in range(len(parts)):
                pre = " › ".join(parts[: i + 1])
                if pre not in prefixes:
                    prefixes.append(pre)

        def fits(
            pre: str,
            is_article: bool = is_article,
            other_numbers: set[str] = other_numbers,
            extra: list[str] = extra,
            doc_number: str | None = passages[0].doc.doc_number,
        ) -> bool:
            f = fold(pre).replace(",", "")
            words = set(WORD_RE.findall(f))
            if is_article:
                # an article on NQ 70, 71 and 72: only a heading of the asked one alone
                # headings without text between them are joined with ". " by the chunker: the last is its own
                own = fold(pre.split(" › ")[-1].split(". ")[-1])
                if not any(_has_number(own, n) for n in asked_numbers) or any(
                    _has_number(own, n) for n in other_numbers
                ):
                    return False
            f = f"{f} {_implied_name(pre, doc_number)}"
            return all(w in f for w in cue_words) and all(y in f for y in years) and set(extra) <= words

        candidates = sorted(
            (p for p in prefixes if fits(p)), key=lambda p: (p.count(" › "), prefixes.index(p))
        )
        if not candidates:
            continue
        prefix = candidates[0]
        # an article heading joined with its parents ("… ra sao?. Quan điểm chỉ đạo Nghị quyết 70-NQ/TW") has
        # its siblings (71, 72) nested under it: only the passages of the heading itself are its items
        joined = is_article and ". " in prefix.split(" › ")[-1]
        inside = [
            p
            for p in passages
            if p.section == prefix or (not joined and p.section.startswith(prefix + " › "))
        ]
        items: list[str] = []
        kind: str | None = None
        depth0 = prefix.count(" › ") + 1
        children: list[str] = []
        for p in inside:
            parts = p.section.split(" › ")
            if len(parts) > depth0 and parts[depth0] not in children:
                children.append(parts[depth0])
        in_order = _numbered_children(inside, children, depth0) if len(children) >= 2 else []
        if len(in_order) >= len(children) >= 2:
            kind, items = "num", in_order
        elif len(children) >= 2:
            kind = "num"
            for child in children:
                part = next(p for p in inside if p.section.split(" › ")[depth0:][:1] == [child])
                lines = [ln.strip() for ln in part.text.split("\n") if ln.strip() and not is_heading(ln)]
                line = lines[0] if lines else ""
                m0 = _ITEM.match(line)
                marker = child.split(" ")[0]
                if m0 and line.startswith(marker):
                    items.append(line[m0.end() :].strip())
                else:
                    items.append(re.sub(r"^\s*(?:[IVX]+|\d+|[a-zđ])[-.–)]\s*", "", child))
            # items the chunker left under the section itself (a passage holding "5. …" and "6. …" after the
            # last titled child) continue the numbering
            for p in inside:
                if p.section != prefix:
                    continue
                for line in p.text.split("\n"):
                    m = _ITEM.match(line)
                    mark = m.group("mark").strip("()").rstrip(".)") if m else ""
                    if m and mark.isdigit() and int(mark) == len(items) + 1:
                        items.append(line[m.end() :].strip())
        for p in inside if not children or len(children) < 2 else ():
            for line in p.text.split("\n"):
                m = _ITEM.match(line)
                if not m:
                    continue
                k = _item_kind(m.group("mark"))
                kind = kind or k
                if k == kind:
                    items.append(line[m.end() :].strip())
        first = inside[0]
        doc = first.doc
        doc_label = format_document_label(doc.doc_type, doc.doc_number, doc.title, doc.date)
        depth = prefix.count(" › ") + 1
        # the reference counts only numbered headings ("Cụ thể, về quan điểm chỉ đạo" has none)
        numbered = sum(1 for seg in prefix.split(" › ") if _NUMBERED.match(seg))
        ref = ".".join(first.section_ref.split(".")[:numbered]) if first.section_ref and numbered else ""
        own_heading = prefix.split(" › ")[-1].split(". ")[-1] if joined else prefix.split(" › ")[-1]
        label = _name_in(
            re.sub(r"^\s*(?:[IVX]+|\d+)[-.–)]\s*", "", own_heading).rstrip("…:").strip(), cue_words
        )
        if label.isupper():
            label = label[:1] + label[1:].lower()
        part = re.match(r"^(?:Mục|Phần)\s+([IVXLC]+)\b", prefix)
        if part and depth == 1:
            ref = part.group(1)  # "Mục III Nghị quyết 72-NQ/TW năm 2025": mục III, not its first item's "1"
            implied = _implied_name(prefix, doc.doc_number)
            label = {
                "nhiem vu giai phap": "nhiệm vụ, giải pháp",
                "to chuc thuc hien": "tổ chức thực hiện",
            }.get(implied, label)
        inline: list[str] = []
        for p in inside:
            for ln in p.text.split("\n"):
                inline += inline_items(ln, len(inline) + 1)
        if len(inline) >= 2 and len(inline) > len(items):
            items, kind = inline, "num"
        if len(items) < 2:
            if wants_count:
                continue  # "có mấy …?" over a section without items: not this section (an article's stub)
            paragraphs = [
                ln.strip()
                for p in inside
                for ln in p.text.split("\n")
                if ln.strip() and not ln.startswith("#") and not is_heading(ln.strip())
            ]
            if not paragraphs:
                continue
            items = paragraphs[:2]
        budget = max(250, ANSWER_CHARS // min(max(len(items), 1), MAX_ITEMS))
        whole = items
        items = [first_sentences(it, budget) for it in items]
        m = _ORDINAL.search(q)
        nth = (int(m.group(1)) if m.group(1).isdigit() else ORDINAL_WORDS.get(m.group(1))) if m else None
        if nth and kind is not None and 1 <= nth <= len(items):
            items[nth - 1] = first_sentences(whole[nth - 1], ANSWER_CHARS)  # the one item asked: all of it
            where = f"mục {ref}" if ref else "phần"
            cit = dataclasses.replace(
                Citation.from_passage(first, quote=items[nth - 1]), section=prefix, section_ref=ref
            )
            text = f"Ý thứ {nth} trong {len(items)} ý của {doc_label}, {where} ({label}):\n{items[nth - 1]}"
            return text, [cit]
        shown = items[:MAX_ITEMS]
        listed = len(items) >= 2 and kind is not None
        body = "\n".join(f"{i}. {it}" for i, it in enumerate(shown, start=1)) if listed else "\n".join(shown)
        if len(items) > len(shown):
            body += f"\n(còn {len(items) - len(shown)} ý nữa — xem nguyên văn)"
        where = f"mục {ref}" if ref else "phần"
        head = (
            f"{doc_label}, {where} ({label}), gồm {len(items)} ý:"
            if listed
            else f"Theo {doc_label}, {where} ({label}):"
        )
        if joined and listed:
            head = f"{label} ({doc_label}) gồm {len(items)} ý:"
        elif listed and fold(prefix.split(" › ")[0]).find(cue_words[0]) >= 0 and depth == 1:
            head = f"{doc_label} nêu {len(items)} {label.lower()}" + (f" ({where}):" if ref else ":")
        cit = dataclasses.replace(Citation.from_passage(first, quote=body), section=prefix, section_ref=ref)
        return f"{head}\n{body}", [cit]
    return None


# how the heads above write the number of items ("…, gồm 8 ý:", "Nghị quyết 57 nêu 5 quan điểm chỉ đạo:")
_COUNT_IN_HEAD = re.compile(r"(?:gồm|nêu) (\d+) ")


def listed_count(answer: str) -> int | None:
    """The number of items a section answer (`section_answer`, `titled_items`) says its list holds, read from
    its first line; None when the answer is a paragraph, not a list."""
    m = _COUNT_IN_HEAD.search(answer.split("\n", 1)[0])
    return int(m.group(1)) if m else None


# "những đề án nào", "các chương trình gì", "mấy nhiệm vụ trọng tâm": the kind of thing the list is of
_LIST_NOUN = re.compile(
    r"\b(?:nhung|cac|may|bao nhieu)\s+(?P<noun>(?:\w+\s){0,2}?\w+)\s+(?:nao|gi|la gi|gom)\b"
)


def _heading_text(passages: Sequence[Passage], child: str) -> str:
    """A sub-section's whole title: its passage's first line when that line is the (possibly clipped) title."""
    short = child.rstrip("…").strip()
    for p in passages:
        first = p.text.lstrip("# ").split("\n", 1)[0].strip()
        if first.startswith(short):
            return first
    return short


def titled_items(
    question: str, sources: Sequence[str], doc_passages: Callable[[str], Sequence[Passage]]
) -> tuple[str, list[Citation]] | None:
    """(answer, citations) for "KL 127 giao xây dựng những đề án nào?" when the named document's sub-sections
    are titled by what is asked ("1. Xây dựng đề án sáp nhập …", "2. Xây dựng đề án sắp xếp …"): the titles of
    the sub-sections of one section that name it, in order. None when no section has at least two such
    sub-sections making up at least half of it."""
    m = _LIST_NOUN.search(fold(question))
    if m is None:
        return None
    noun = m.group("noun")
    for source in sources:
        passages = sorted(doc_passages(source), key=lambda p: p.position)
        if not passages or passages[0].doc.doc_type == "Bài viết":
            continue
        children: dict[str, list[str]] = {}
        for p in passages:
            parts = p.section.split(" › ") if p.section else []
            if len(parts) >= 2:
                parent = " › ".join(parts[:-1])
                if parts[-1] not in children.setdefault(parent, []):
                    children[parent].append(parts[-1])
        for parent, titles in children.items():
            named = [t for t in titles if re.search(rf"\b{re.escape(noun)}\b", fold(t))]
            if len(named) < 2 or 2 * len(named) < len(titles):
                continue
            inside = [p for p in passages if p.section.startswith(parent + " › ")]
            items = [
                re.sub(r"^\s*(?:\d{1,2}|[a-zđ]|[IVX]+)[.)–-]\s*", "", _heading_text(inside, t)) for t in named
            ]
            doc = inside[0].doc
            label = format_document_label(doc.doc_type, doc.doc_number, doc.title, doc.date)
            body = "\n".join(f"{i}. {it}" for i, it in enumerate(items[:MAX_ITEMS], start=1))
            if len(items) > MAX_ITEMS:
                body += f"\n(còn {len(items) - MAX_ITEMS} ý nữa — xem nguyên văn)"
            ref = inside[0].section_ref.split(".")[0] if inside[0].section_ref else ""
            where = f"mục {ref}" if ref else "phần"
            heading = re.sub(r"^\s*(?:[IVX]+|\d+)[-.–)]\s*", "", parent.split(" › ")[-1])
            heading = heading[:1] + heading[1:].lower() if heading.isupper() else heading
            cit = dataclasses.replace(
                Citation.from_passage(inside[0], quote=body), section=parent, section_ref=ref
            )
            return f"{label}, {where} ({heading}), gồm {len(items)} ý:\n{body}", [cit]
    return None
