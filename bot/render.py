"""Answer → Telegram HTML message parts. Pure functions: no Telegram objects, no I/O.

Telegram accepts at most 4096 characters per message and rejects HTML it cannot parse (an unescaped ``<``
or ``&``, an unknown or unbalanced tag). Everything interpolated is escaped here, and long texts are split
at paragraph boundaries (then lines, then spaces, and only as a last resort anywhere between characters) —
never inside a tag or an entity; a tag that is open at a split point is closed at the end of the part and
reopened at the start of the next, so every part is well-formed on its own.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot import texts
from retrieval.citations import display_date, format_document_label
from vntext.display import esc as escape

TELEGRAM_MAX_CHARS = 4096

__all__ = [
    "TELEGRAM_MAX_CHARS",
    "citation_label",
    "escape",
    "render_answer",
    "render_document_card",
    "render_documents",
    "render_passage",
    "split_html",
    "utf16_len",
    "visible_text",
]


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units: an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def _label(
    doc_type: str | None, doc_number: str | None, title: str, iso_date: str | None, section: str
) -> str:
    label = format_document_label(doc_type, doc_number, title, iso_date)
    return f"{label}, mục {section}" if section else label


def citation_label(citation) -> str:
    """ "Nghị quyết 57-NQ/TW ngày 22/12/2024, mục II.1" (plain text; the caller escapes it): the citation's
    own label (`retrieval.citations.format_citation_label`), or — for an object without one, or when it
    fails — the same document label with its section."""
    try:
        label = citation.label()
    except Exception:  # retrieval's formatter missing or failing must not cost the user the answer
        label = None
    return label or _label(
        citation.doc_type,
        citation.doc_number,
        citation.title or citation.source,
        citation.date,
        citation.section,
    )


def _paragraphs(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    return [p.strip("\n") for p in re.split(r"\n\s*\n", text) if p.strip()]


def render_answer(answer, *, limit: int = TELEGRAM_MAX_CHARS) -> list[str]:
    """The answer text, then "Nguồn:" with one numbered line per citation; split into parts ≤ ``limit``."""
    blocks = [escape(p) for p in _paragraphs(answer.text or "")] or [escape(texts.NO_ANSWER)]
    citations = list(getattr(answer, "citations", None) or [])
    if citations:
        lines = [f"<b>{escape(texts.SOURCES_HEADER)}</b>"]
        for i, c in enumerate(citations, 1):
            lines.append(f"[{i}] {escape(citation_label(c))}")
        blocks.append("\n".join(lines))
    return split_html("\n\n".join(blocks), limit=limit)


def render_passage(passage, *, label: str | None = None, limit: int = TELEGRAM_MAX_CHARS) -> list[str]:
    """The full text of one cited passage under a bold header naming the document and section."""
    if label is None:
        doc = passage.doc
        label = _label(doc.doc_type, doc.doc_number, doc.title or doc.source, doc.date, passage.section)
    blocks = [texts.PASSAGE_HEADER.format(label=escape(label))]
    title = getattr(passage.doc, "title", None)
    if title:
        blocks.append(f"<i>{escape(title)}</i>")
    blocks.extend(escape(p) for p in _paragraphs(passage.text or ""))
    return split_html("\n\n".join(blocks), limit=limit)


# --- /vanban: the documents of the corpus ------------------------------------------------------------------


def _doc_name(card: dict) -> str:
    if card.get("doc_number"):
        return " ".join(p for p in (card.get("doc_type"), card["doc_number"]) if p)
    return card.get("title") or card.get("source") or ""


def render_documents(
    cards: Sequence[dict], *, header: str | None = None, limit: int = TELEGRAM_MAX_CHARS
) -> list[str]:
    """The corpus listing: số hiệu, loại, ngày, trích yếu and number of passages per document; articles after.

    ``header`` (HTML) replaces the "Kho văn bản: N văn bản" line."""
    if not cards:
        return [texts.DOCUMENTS_EMPTY]
    own = [c for c in cards if c.get("doc_number")]
    others = [c for c in cards if not c.get("doc_number")]
    total = sum(int(c.get("passages") or 0) for c in cards)
    blocks = [header or texts.DOCUMENTS_HEADER.format(count=len(cards), passages=total)]
    lines = []
    for c in sorted(own, key=lambda c: (c.get("date") or "", c["doc_number"]), reverse=True):
        when = display_date(c.get("date"))
        head = f"• <b>{escape(_doc_name(c))}</b>" + (f" · {escape(when)}" if when else "")
        title = c.get("title") or ""
        lines.append(f"{head} — {escape(title)} <i>({c.get('passages', 0)} đoạn)</i>")
    if lines:
        blocks.append("\n".join(lines))
    if others:
        art = [texts.DOCUMENTS_ARTICLES.format(count=len(others))]
        for c in others:
            about = ", ".join(c.get("about") or ())
            extra = f" (về {escape(about)})" if about else ""
            when = display_date(c.get("date"))
            extra += f" · {escape(when)}" if when else ""
            art.append(
                f"• {escape(c.get('title') or c.get('source') or '')}{extra} <i>({c.get('passages', 0)} đoạn)</i>"
            )
        blocks.append("\n".join(art))
    blocks.append(texts.DOCUMENTS_FOOTER)
    return split_html("\n\n".join(blocks), limit=limit)


def render_document_card(card: dict, *, limit: int = TELEGRAM_MAX_CHARS) -> list[str]:
    """One document's card: identity, signer, effect, distribution list, passages and its sections."""
    missing = f"<i>{texts.DOCUMENT_MISSING_FIELD}</i>"

    def field(label: str, value: str | None) -> str:
        return f"<b>{label}:</b> {escape(value) if value else missing}"

    article = card.get("doc_type") == "Bài viết"
    lines = [f"📄 <b>{escape(_doc_name(card))}</b>"]
    if article:
        lines.append(field("Loại", "Bài viết"))
        lines.append(field("Về văn bản", ", ".join(card.get("about") or ())))
        lines.append(field("Ngày đăng", display_date(card.get("date"))))
    else:
        lines.append(field("Loại", card.get("doc_type")))
        lines.append(field("Cơ quan ban hành", card.get("issuer")))
        lines.append(field("Ngày ban hành", display_date(card.get("date"))))
        lines.append(field("Trích yếu", card.get("title")))
        signer = card.get("signer")
        if signer and card.get("signer_capacity"):
            signer = f"{signer} — {card['signer_capacity']}"
        lines.append(field("Người ký", signer))
        if card.get("effective"):
            lines.append(field("Hiệu lực", card["effective"]))
        if card.get("recipients"):
            lines.append(field("Nơi nhận", "; ".join(card["recipients"])))
    if card.get("pham_vi"):  # a document limited to some units: the reader is one of them, say so
        lines.append(field("Phạm vi", "chỉ dành cho " + "; ".join(card["pham_vi"])))
    lines.append(f"<b>Số đoạn trong kho:</b> {int(card.get('passages') or 0)}")
    blocks = ["\n".join(lines)]
    sections = card.get("sections") or ()
    if sections:
        blocks.append("<b>Các phần:</b>\n" + "\n".join(f"• {escape(s)}" for s in sections))
    source = card.get("url") or card.get("source")
    if source:
        blocks.append(f"<i>Nguồn: {escape(source)}</i>")
    return split_html("\n\n".join(blocks), limit=limit)


# --- splitting -------------------------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"<[^<>]*>|&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);|[^<&]", re.DOTALL)
_EMPTY_ELEMENT_RE = re.compile(r"<([A-Za-z][\w-]*)(?:\s[^<>]*)?>(\s*)</\1>")
_TAG_NAME_RE = re.compile(r"</?\s*([A-Za-z][\w-]*)")


@dataclass(frozen=True)
class _Token:
    raw: str
    kind: str  # "open" | "close" | "text" | "ws"
    name: str = ""
    size: int = 0


def _tokenize(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    for m in _TOKEN_RE.finditer(source):
        if m.start() != pos:  # a stray "<" or "&": not valid Telegram HTML
            raise ValueError(f"not well-formed HTML at offset {pos}: {source[pos : pos + 20]!r}")
        pos = m.end()
        raw = m.group(0)
        size = utf16_len(raw)
        if raw.startswith("<"):
            nm = _TAG_NAME_RE.match(raw)
            if not nm:
                raise ValueError(f"bad tag {raw!r}")
            name = nm.group(1).lower()
            if raw.startswith("</"):
                tokens.append(_Token(raw, "close", name, size))
            elif raw.endswith("/>"):
                tokens.append(_Token(raw, "text", name, size))  # self-closing: no nesting effect
            else:
                tokens.append(_Token(raw, "open", name, size))
        elif raw in (" ", "\n", "\t"):
            tokens.append(_Token(raw, "ws", "", size))
        else:
            tokens.append(_Token(raw, "text", "", size))
    if pos != len(source):
        raise ValueError(f"not well-formed HTML at offset {pos}: {source[pos : pos + 20]!r}")
    return tokens


# Preference of split points: a blank line (paragraph), a line break, a space, anywhere.
_PARA, _LINE, _SPACE, _ANY, _TAG = 3, 2, 1, 0, -1


def _break_kind(tokens: Sequence[_Token], i: int) -> int:
    t = tokens[i]
    if t.raw == "\n":
        prev_nl = i > 0 and tokens[i - 1].raw == "\n"
        next_nl = i + 1 < len(tokens) and tokens[i + 1].raw == "\n"
        return _PARA if (prev_nl or next_nl) else _LINE
    return _SPACE


def _closers(stack: Iterable[_Token]) -> str:
    return "".join(f"</{t.name}>" for t in reversed(list(stack)))


def split_html(source: str, limit: int = TELEGRAM_MAX_CHARS) -> list[str]:
    """Split well-formed Telegram HTML into parts of at most ``limit`` UTF-16 units each.

    Whitespace at a split point is dropped (Telegram trims messages anyway); nothing else is lost,
    reordered or duplicated except the closing/reopening of tags that span a split.
    """
    source = source.strip()
    while True:  # empty elements carry nothing and only cost room
        cleaned = _EMPTY_ELEMENT_RE.sub(r"\2", source)
        if cleaned == source:
            break
        source = cleaned.strip()
    if not source:
        return []
    if utf16_len(source) <= limit:
        return [source]
    tokens = _tokenize(source)
    parts: list[str] = []
    n = len(tokens)
    start = 0
    stack: list[_Token] = []  # tags open at `start`
    while start < n:
        # Skip whitespace at the start of a part.
        while start < n and tokens[start].kind == "ws":
            start += 1
        if start >= n:
            break
        prefix = "".join(t.raw for t in stack)
        size = utf16_len(prefix)
        cur = list(stack)
        closers_size = sum(len(t.name) + 3 for t in cur)
        best: dict[int, tuple[int, list[_Token]]] = {}  # kind -> (index to cut before, stack there)
        i = start
        while i < n:
            t = tokens[i]
            if i > start:
                # A split point *before* token i: the part would end at i (it fits: token i-1 did).
                if t.kind == "ws":
                    best[_break_kind(tokens, i)] = (i, list(cur))
                elif t.kind == "text" and tokens[i - 1].kind == "text":
                    best[_ANY] = (i, list(cur))
                else:
                    best[_TAG] = (i, list(cur))
            new_cur = cur
            new_closers = closers_size
            if t.kind == "open":
                new_cur = [*cur, t]
                new_closers += len(t.name) + 3
            elif t.kind == "close":
                if not cur or cur[-1].name != t.name:
                    raise ValueError(f"unbalanced tag {t.raw!r}")
                new_cur = cur[:-1]
                new_closers -= len(t.name) + 3
            if size + t.size + new_closers > limit:
                break
            size += t.size
            cur = new_cur
            closers_size = new_closers
            i += 1
        if i >= n:
            body = "".join(t.raw for t in tokens[start:n])
            parts.append(prefix + body + _closers(cur))
            break
        # Choose the strongest split point in the second half of the window, else the strongest anywhere.
        chosen: tuple[int, list[_Token]] | None = None
        half = start + (i - start) // 2
        for kind in (_PARA, _LINE, _SPACE):
            if kind in best and best[kind][0] > half:
                chosen = best[kind]
                break
        if chosen is None:
            for kind in (_PARA, _LINE, _SPACE, _ANY, _TAG):
                if kind in best:
                    chosen = best[kind]
                    break
        if chosen is None:
            raise ValueError("limit too small to make progress")
        cut_at, cut_stack = chosen
        end = cut_at
        while end > start and tokens[end - 1].kind == "ws":
            end -= 1
        body = "".join(t.raw for t in tokens[start:end])
        part = prefix + body + _closers(cut_stack)
        if body.strip():
            parts.append(part)
        start = cut_at
        stack = cut_stack
    return [p for p in parts if visible_text(p).strip()]


class _TextExtractor:
    _TAG_RE = re.compile(r"<[^<>]*>")

    @classmethod
    def run(cls, source: str) -> str:
        return html.unescape(cls._TAG_RE.sub("", source))


def visible_text(source: str) -> str:
    """What the user sees: tags removed, entities decoded."""
    return _TextExtractor.run(source)
