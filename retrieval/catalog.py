"""The catalogue of indexed documents: one card per source file, its body, its passages, and name lookup.

Built from the store (front matter and body kept at ingest in `documents.json`, metadata and passages in
`passages.json`) and rebuilt only when the store changes. Used by the document-question routing (cards and
clauses), `troly documents` and the bot's `/vanban`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from retrieval.doc_cards import DocumentCard, build_card
from retrieval.docrefs import DocRef, document_keys, find_refs, parse_full_number, ref_matches
from retrieval.store import Store
from retrieval.textnorm import fold
from retrieval.types import Passage


@dataclass
class _Entry:
    card: DocumentCard
    body: str
    passages: list[Passage]
    keys: set[str]


def _same_issuer(ref: DocRef, keys: set[str]) -> bool:
    """A full number must agree with the document's own, suffix included: "Nghị quyết 57/NQ-CP" (the
    Government's) is not 57-NQ/TW (the Politburo's), as in search."""
    if not ref.full:
        return True
    wanted = _alnum(ref.full)
    return any(_alnum(k[5:]) == wanted for k in keys if k.startswith("full:"))


def _alnum(number: str) -> str:
    return "".join(ch for ch in fold(number) if ch.isalnum())


class Catalog:
    """Cards of every indexed document, sorted by source name."""

    def __init__(self, store: Store) -> None:
        by_source: dict[str, list[Passage]] = {}
        for p in store.passages.values():
            by_source.setdefault(p.doc.source, []).append(p)
        self._entries: dict[str, _Entry] = {}
        for source in sorted(by_source):
            passages = sorted(by_source[source], key=lambda p: p.position)
            meta = passages[0].doc
            record = store.documents.get(source) or {}
            body = record.get("body") or "\n\n".join(p.text for p in passages)
            fields = record.get("fields") or {}
            tops = tuple(dict.fromkeys(p.section.split(" › ")[0] for p in passages if p.section))
            card = build_card(meta, fields, body, passages=len(passages), sections=tops)
            keys = document_keys(card.doc_number, card.doc_type) if card.doc_number else set()
            self._entries[source] = _Entry(card, body, passages, keys)

    def restricted(self, allowed: Collection[str] | None) -> Catalog:
        """The same catalog holding only the sources in `allowed` (None: this catalog itself). Routing,
        metadata answers and `/vanban` given this view can neither quote nor name a document outside it."""
        if allowed is None:
            return self
        view = object.__new__(Catalog)
        view._entries = {s: e for s, e in self._entries.items() if s in allowed}
        return view

    def cards(self) -> list[DocumentCard]:
        return [e.card for e in self._entries.values()]

    def card(self, source: str) -> DocumentCard | None:
        e = self._entries.get(source)
        return e.card if e else None

    def body(self, source: str) -> str:
        return self._entries[source].body

    def passages(self, source: str) -> list[Passage]:
        return self._entries[source].passages

    def resolve(self, refs: list[DocRef]) -> list[str]:
        """Sources of the documents themselves (never articles about them) that the references name."""
        out: list[str] = []
        for ref in refs:
            for source, e in self._entries.items():
                if e.keys and ref_matches(ref, e.keys) and source not in out and _same_issuer(ref, e.keys):
                    out.append(source)
        return out

    def find(self, text: str) -> list[str]:
        """Sources named by a free reference: "57", "NQ 57", "57-NQ/TW", "nghị quyết 57"; when the corpus does
        not hold that document itself, the articles about it ("/vanban 68" → the articles on NQ 68)."""
        t = " ".join(text.split())
        refs = find_refs(t)
        if not refs and t.isdigit():
            refs = [DocRef(number=t)]
        elif not refs and t:
            refs = [parse_full_number(t)]
        found = self.resolve(refs)
        if found:
            return found
        return [
            source
            for source, e in self._entries.items()
            if e.card.about and any(ref_matches(r, document_keys(None, None, e.card.about)) for r in refs)
        ]
