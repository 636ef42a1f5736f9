"""Plain data types shared by ingest, search, answering and every caller (CLI, bot, LLM chain).

They are dataclasses, not ORM or LangChain objects, so callers never depend on how the index stores them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class DocumentMeta:
    """What we know about one source file: its official number, type, issuing body and date."""

    source: str  # path relative to the corpus root it was ingested from (e.g. "nq-57-NQ-TW-2024-12-22.md")
    title: str
    doc_number: str | None = None  # canonical number, e.g. "57-NQ/TW", "198/2025/QH15"
    doc_type: str | None = None  # "Nghị quyết", "Kết luận", "Thông báo", "Công văn", "Chỉ thị", "Bài viết"...
    issuer: str | None = None
    date: str | None = None  # ISO yyyy-mm-dd
    url: str | None = None
    note: str | None = None
    # The documents a file is about (an article on NQ 68 refers to "68-NQ/TW"): canonical numbers.
    refers_to: tuple[str, ...] = ()
    # The units it is limited to (front matter `pham_vi`); () = everyone. See retrieval.scope.
    scope: tuple[str, ...] = ()
    # The province or city a local news report is about (front matter `dia_ban`, else the one its text names
    # most; only for a file without an official number): it joins every passage's header. See retrieval.places.
    place: str | None = None

    def display_date(self) -> str | None:
        """dd/mm/yyyy, the way Vietnamese documents write dates."""
        from retrieval.citations import display_date

        return display_date(self.date)


@dataclass(frozen=True)
class Passage:
    """One indexed chunk: its text (without the section header), the section path and the document metadata."""

    id: str
    text: str
    section: str  # e.g. "II. Mục tiêu › 1. Đến năm 2030" ("" when the chunk sits before any heading)
    doc: DocumentMeta
    position: int = 0  # order of the chunk inside its document
    section_ref: str = ""  # short reference for citations: "II.1", "Điều 3, khoản 2"
    # structural position: (("dieu", "5"), ("khoan", "2")) — see retrieval.chunking.structure_labels
    labels: tuple[tuple[str, str], ...] = ()

    @property
    def header(self) -> str:
        """The line prepended to the text for embedding and lexical indexing."""
        # a long official title costs many tokens in every chunk; its first words carry the topic
        words = self.doc.title.split()
        title = " ".join(words[:14]) + ("…" if len(words) > 14 else "")
        parts = [
            p for p in (self.doc.doc_type, self.doc.doc_number, title, self.doc.place, self.section) if p
        ]
        return " | ".join(parts)

    @property
    def indexed_text(self) -> str:
        return f"{self.header}\n{self.text}" if self.header else self.text


@dataclass(frozen=True)
class SearchHit:
    passage: Passage
    score: float  # fused score (higher is better)
    rank: int
    dense: float = 0.0  # cosine similarity of query and passage
    lexical: float = 0.0  # BM25 score


@dataclass(frozen=True)
class Citation:
    source: str
    title: str
    doc_number: str | None
    doc_type: str | None
    date: str | None  # ISO
    section: str
    quote: str
    passage_id: str
    section_ref: str = ""
    clause: str | None = None  # "Điều 5, khoản 2", "mục II.1" when the structural position is known

    @classmethod
    def from_passage(cls, p: Passage, quote: str | None = None) -> Citation:
        from retrieval.clauses import format_labels, narrow_labels

        labels = narrow_labels(p.labels, p.text, quote) if quote else p.labels
        return cls(
            source=p.doc.source,
            title=p.doc.title,
            doc_number=p.doc.doc_number,
            doc_type=p.doc.doc_type,
            date=p.doc.date,
            section=p.section,
            quote=quote if quote is not None else p.text,
            passage_id=p.id,
            section_ref=p.section_ref,
            clause=format_labels(labels) or None,
        )

    def label(self) -> str:
        """Human citation in Vietnamese, e.g. "Nghị quyết 57-NQ/TW ngày 22/12/2024, mục II.1"."""
        from retrieval.citations import format_citation_label

        return format_citation_label(self)

    def to_json(self) -> dict:
        d = asdict(self)
        d.pop("passage_id", None)
        return d


@dataclass
class Answer:
    question: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    grounded: bool = False
    mode: str = "extractive"  # "extractive" | "llm"
    hits: list[SearchHit] = field(default_factory=list)
    referenced_docs: tuple[str, ...] = ()  # document numbers the question (or its context) named
    # answered from the document itself (its card or one exact clause): an LLM must not rephrase it
    from_document: bool = False

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "answer": self.text,
            "citations": [c.to_json() for c in self.citations],
            "grounded": self.grounded,
            "mode": self.mode,
        }
