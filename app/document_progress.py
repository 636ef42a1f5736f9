"""Progress by the document that assigned the work (`/tiendo KL 221`, "tiến độ triển khai Kết luận 221 đến
đâu?", the ``td:dc`` chart): who is asking is resolved here, the figures and screens are the task domain's
(`tasks.document_progress`)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.viewer import Viewer, official_of
from tasks import document_progress
from tasks.errors import UnitNotFound
from tasks.listing import document_texts
from tasks.ui import Screen
from tasks.units import find_unit
from vntext.docrefs import DocRef


def names_document(session: Session, text: str) -> bool:
    """Whether the text after `/tiendo` means a document: it reads as a reference ("KL 221", "221-KL/TW")
    and is not the exact name of a unit (a unit keeps its name even if it looks like a number)."""
    if document_progress.reads_as_document(text) is None:
        return False
    try:
        find_unit(session, text)
    except UnitNotFound:
        return True
    return False


def asked_document(session: Session, text: str) -> DocRef | None:
    """The document of a free-text progress question, when tasks were assigned under it (otherwise the
    question is one for document search: "tiến độ" may be a word of the document itself)."""
    ref = document_progress.document_progress_question(text)
    if ref is None or not document_texts(session, ref):
        return None
    return ref


def progress_screen(session: Session, viewer: Viewer, document: str | DocRef) -> Screen:
    """The document's progress within the viewer's access (`NotLinked` for an unlinked account)."""
    official = official_of(session, viewer)
    return document_progress.document_progress_screen(session, official, document, today=viewer.today)


def chart(session: Session, viewer: Viewer, key: int) -> tuple[bytes, str]:
    """``td:dc:<key>``: (PNG, HTML caption) of the document's progress by unit within the viewer's access."""
    official = official_of(session, viewer)
    return document_progress.document_chart(session, official, key, today=viewer.today)
