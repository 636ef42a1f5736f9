"""Passages, the question and the chat history as fenced, numbered data for the prompt: anything tag-like
inside is neutralised, so text in a document can never open or close a fence."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from retrieval.citations import format_citation_label
from retrieval.types import Citation, Passage

if TYPE_CHECKING:
    pass


HISTORY_TURNS = 3
MAX_PASSAGE_CHARS = 2500
# What the model writes when the passages hold no answer (the prompt files receive it as {not_found_marker}).
NOT_FOUND_MARKER = "KHONG_CO_THONG_TIN"

_TAGLIKE = str.maketrans({"<": "‹", ">": "›"})


def fence_safe(text: str) -> str:
    """Text that cannot open or close a fence: ``<`` and ``>`` become ``‹`` and ``›``."""
    return (text or "").translate(_TAGLIKE)


def _attr(text: str) -> str:
    return fence_safe(text).replace('"', "”").replace("\n", " ")


def passage_label(p: Passage) -> str:
    return format_citation_label(Citation.from_passage(p, quote=""))


def format_passages(passages: Sequence[Passage]) -> str:
    """``<tai_lieu so="1" nguon="…">…</tai_lieu>`` blocks, numbered from 1, contents neutralised."""
    blocks = []
    for n, p in enumerate(passages, 1):
        lines = []
        if p.doc.title:
            lines.append(f"Tiêu đề: {fence_safe(p.doc.title)}")
        if p.section:
            lines.append(f"Mục: {fence_safe(p.section)}")
        text = p.text if len(p.text) <= MAX_PASSAGE_CHARS else p.text[:MAX_PASSAGE_CHARS] + "…"
        lines.append(fence_safe(text))
        body = "\n".join(lines)
        blocks.append(f'<tai_lieu so="{n}" nguon="{_attr(passage_label(p))}">\n{body}\n</tai_lieu>')
    return "\n\n".join(blocks)


def format_question(question: str) -> str:
    return fence_safe(question)


def format_history(history: Sequence[tuple[str, str]], turns: int = HISTORY_TURNS) -> str:
    lines = []
    for q, a in list(history)[-turns:]:
        a = " ".join((a or "").split())
        if len(a) > 400:
            a = a[:400] + "…"
        lines.append(f"Cán bộ: {fence_safe(' '.join((q or '').split()))}")
        lines.append(f"Trợ lý: {fence_safe(a)}")
    return "\n".join(lines) or "(không có)"
