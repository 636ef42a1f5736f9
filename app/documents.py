"""A task's "Văn bản giao" (assigning document) looked up in the document corpus: the cross-domain rule that
joins a task (`tasks/`) and the passages of the corpus (`retrieval/`).

Two steps, because they run in different pools: `document_request` reads and authorises the task (a database
session), `document_screen` searches the corpus with the task's content (the retrieval pool) and keeps the
hits that belong to the document the task names. The search sees only the documents the viewer may read
(`app.audience`): a task may name a document limited to other units.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.audience import audience_of_official
from app.task_replies import document_reply
from app.viewer import Viewer, official_of
from retrieval.docrefs import document_keys, find_refs, ref_matches
from retrieval.scope import PUBLIC, Audience
from retrieval.types import Citation
from tasks.authorization import authorize_task
from tasks.ui import Screen

TOP_HITS = 3


@dataclass(frozen=True)
class DocumentRequest:
    """A detached snapshot of what the lookup needs (the session is closed when the search runs)."""

    id: int
    code: str
    content: str
    source_document: str | None
    audience: Audience = PUBLIC  # the documents the viewer may read


def document_request(session: Session, viewer: Viewer, task_id: int) -> DocumentRequest:
    """``t:doc``: the task's code, content and assigning document, if the viewer may see the task."""
    official = official_of(session, viewer, task_id=task_id, action="văn bản giao")
    task = authorize_task(session, official, task_id, change=False, action="văn bản giao", now=viewer.now)
    return DocumentRequest(
        task.id, task.code, task.content, task.source_document, audience_of_official(official)
    )


def document_screen(search: Callable[..., Sequence[Any]] | None, request: DocumentRequest) -> Screen:
    """The "Văn bản giao" answer: citation labels and excerpts of the top hits (k=3) that belong to the
    task's assigning document; or why there are none. `search` is the engine's ``search(query, k=,
    context_docs=, audience=)`` (None: no lookup, e.g. the document names no number)."""
    refs = find_refs(request.source_document) if request.source_document else []
    found: list[tuple[str, str]] = []
    if refs and search is not None:
        hits = search(
            request.content, k=TOP_HITS, context_docs=[request.source_document], audience=request.audience
        )
        for hit in hits:
            doc = hit.passage.doc
            keys = document_keys(doc.doc_number, doc.doc_type)
            if any(ref_matches(ref, keys) for ref in refs):
                found.append((Citation.from_passage(hit.passage).label(), hit.passage.text))
    return Screen(document_reply(request, found, known=bool(refs)))


def needs_search(request: DocumentRequest) -> bool:
    """Whether the corpus has to be searched (the task names a document with a recognisable number)."""
    return bool(request.source_document and find_refs(request.source_document))
