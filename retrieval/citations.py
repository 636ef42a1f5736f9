"""How a citation reads in Vietnamese: "Nghị quyết 57-NQ/TW ngày 22/12/2024, mục II.1"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vntext.display import display_date

if TYPE_CHECKING:
    from retrieval.types import Citation


def format_document_label(
    doc_type: str | None, doc_number: str | None, title: str, iso_date: str | None
) -> str:
    """ "Nghị quyết 57-NQ/TW ngày 22/12/2024"; an article: "Bài viết «title» (về 68-NQ/TW)"."""
    when = display_date(iso_date)
    if doc_type == "Bài viết" or not doc_number:
        label = f"{doc_type or 'Tài liệu'} «{title}»"
        if doc_number and doc_type == "Bài viết":
            label += f" (về {doc_number})"
        if when:
            label += f", ngày {when}"
        return label
    label = f"{doc_type} {doc_number}" if doc_type else doc_number
    if when:
        label += f" ngày {when}"
    return label


def format_citation_label(c: Citation) -> str:
    """The label an answer prints; its clause part is the citation's `clause` field when known (both come from
    the passage's structural labels, so the text and `clause` always agree), else the passage's section_ref."""
    label = format_document_label(c.doc_type, c.doc_number, c.title, c.date)
    ref = c.clause or c.section_ref
    if ref:
        label += f", {ref}" if ref.lower().startswith(("điều", "chương", "mục", "phần")) else f", mục {ref}"
    return label
