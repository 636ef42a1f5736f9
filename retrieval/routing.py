"""Questions about one named document that search cannot answer well: its identity, or one of its clauses.

`route(question, catalog, context_docs)` returns an `Answer` when the question names a document of the corpus
(or follows up on one) and either
- names a clause ("khoản 2 Điều 5", "mục II.1", "phần III"): the answer quotes exactly that clause, whole, or
  says plainly that the document has no such clause; or
- asks for a card field ("ai ký?", "ban hành ngày nào?"): one sentence from the document card.
Otherwise it returns None and the question goes to search and the extractive composer.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from retrieval.catalog import Catalog
from retrieval.chunking import split_sentences
from retrieval.clauses import (
    ClauseRef,
    find_clause,
    find_clauses,
    format_labels,
    mentioned,
    outline,
    parse_clause_ref,
)
from retrieval.doc_cards import DocumentCard
from retrieval.docrefs import document_keys, find_refs, parse_full_number, ref_matches
from retrieval.metadata_answers import (
    DATE,
    _citation,
    answer_metadata,
    doc_name,
    metadata_field,
)
from retrieval.types import Answer, Citation, Passage

MAX_QUOTE_CHARS = 6000  # a whole Điều of a law fits; the bot splits long messages


def target_documents(question: str, catalog: Catalog, context_docs: Sequence[str] = ()) -> list[str] | None:
    """Sources the question is about: the documents it names, else the conversation's documents.

    None when it names a document the catalogue does not hold as a document of its own (an article about
    NQ 68 is not NQ 68): the composer then says what the corpus has.
    """
    refs = find_refs(question)
    if refs:
        found = catalog.resolve(refs)
        return found or None
    if context_docs:
        return catalog.resolve([parse_full_number(d) for d in context_docs]) or None
    return None


def route(question: str, catalog: Catalog, context_docs: Sequence[str] = ()) -> Answer | None:
    """A card or clause answer for a question about a named document, or None for the composer.

    When the one named document's copy states no issue date, a sentence of another document that says when it
    was issued ("Ngày 22/8/2025, Ban Chấp hành Trung ương đã ký ban hành Nghị quyết 71-NQ/TW…") is added,
    quoted and cited as that other document.
    """
    clause = parse_clause_ref(question)
    field = None if clause else metadata_field(question)
    if clause is None and field is None:
        return None
    sources = target_documents(question, catalog, context_docs)
    if not sources:
        return None
    # one answer per document: two files holding the same document (a copy) answer once
    unique: dict[str, str] = {}
    for s in sources:
        unique.setdefault(catalog.card(s).doc_number or s, s)  # type: ignore[union-attr]
    sources = list(unique.values())
    if clause is not None:
        answer = answer_clause(question, clause, catalog, sources[0])
        if answer is not None:
            answer.from_document = True
        return answer
    answers = [
        answer_metadata(question, field, catalog.card(s), catalog.passages(s), catalog.body(s))  # type: ignore[arg-type]
        for s in sources[:3]
    ]
    for a in answers:
        a.from_document = True
    if len(answers) == 1:
        if not answers[0].grounded and field == DATE:
            return _date_elsewhere(answers[0], catalog, sources[0])
        return answers[0]
    return Answer(
        from_document=True,
        question=question,
        text="\n".join(a.text for a in answers),
        citations=[c for a in answers for c in a.citations],
        grounded=any(a.grounded for a in answers),
        referenced_docs=tuple(d for a in answers for d in a.referenced_docs),
    )


_DATE_RE = re.compile(
    r"\bngày\s+\d{1,2}\s*/\s*\d{1,2}\s*/\s*\d{4}|\bngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}", re.I
)
_ISSUED_RE = re.compile(r"\bban hành\b", re.I)


def _date_elsewhere(missing: Answer, catalog: Catalog, source: str) -> Answer:
    """Add the sentence of another document that dates this one: a date, then "ban hành", and the first document
    named after "ban hành" is this one ("… ban hành Nghị quyết 281/NQ-CP … thực hiện Nghị quyết 71" dates 281,
    not 71). Without such a sentence the plain "not stated" answer stands."""
    card = catalog.card(source)
    if card is None or not card.doc_number:
        return missing
    keys = document_keys(card.doc_number, card.doc_type)
    for other in catalog.cards():
        if other.source == source:
            continue
        for p in catalog.passages(other.source):
            for sentence in split_sentences(p.text.replace("\n", " ")):
                issued = _ISSUED_RE.search(sentence)
                if not issued or not _DATE_RE.search(sentence[: issued.start()]):
                    continue
                after = find_refs(sentence[issued.end() :])
                if not after or not ref_matches(after[0], keys):
                    continue
                statement = missing.text.split(", nên chưa xác định", 1)[0].rstrip(".")
                cit = Citation.from_passage(p, quote=sentence)
                return Answer(
                    question=missing.question,
                    text=f"{statement}; theo {cit.label()}: “{sentence}”",
                    citations=[cit],
                    grounded=True,
                    referenced_docs=missing.referenced_docs,
                    from_document=True,
                )
    return missing


def _passage_for(
    passages: list[Passage], labels: tuple[tuple[str, str], ...], first_line: str
) -> Passage | None:
    """The first passage inside the clause: its labels start with the clause's, or its text holds the heading."""
    n = len(labels)
    for p in passages:
        if p.labels[:n] == labels:
            return p
    for p in passages:
        if first_line and first_line[:80] in p.text:
            return p
    return None


def _absent(card: DocumentCard, clause: ClauseRef, body: str) -> str:
    name = doc_name(card)
    text = f"Bản {name} trong kho không có {clause.display()}."
    if clause.dieu and not clause.khoan:
        dieus = outline(body, "dieu")
        if dieus:
            text += f" Văn bản có {len(dieus)} điều (Điều {dieus[0]} đến Điều {dieus[-1]})."
    elif clause.dieu and clause.khoan:
        parent = find_clause(body, ClauseRef(dieu=clause.dieu))
        if parent is None:
            text = f"Bản {name} trong kho không có Điều {clause.dieu}."
        elif not clause.diem:
            khoans = outline(parent.text, "khoan")
            if khoans:
                text += f" Điều {clause.dieu} có {len(khoans)} khoản."
    elif clause.muc or clause.phan:
        tops = [v for v in outline(body, "muc") + outline(body, "phan") if v.isupper()]
        if tops:
            text += " Bản trong kho có: " + ", ".join(f"mục {t}" for t in dict.fromkeys(tops)) + "."
    return text + " Anh/chị kiểm tra lại số điều, khoản, mục cần tra."


def answer_clause(question: str, clause: ClauseRef, catalog: Catalog, source: str) -> Answer | None:
    """Exactly the named clause, quoted whole and cited; or a plain statement that the document lacks it.

    None when the reference is ambiguous in this document ("khoản 2" of a law with many Điều): search decides.
    """
    card = catalog.card(source)
    assert card is not None
    body = catalog.body(source)
    found = find_clauses(body, clause)
    if len(found) > 1:
        return None
    section = found[0] if found else None
    refs = (card.doc_number,) if card.doc_number else ()
    if section is None and mentioned(body, clause):
        return None  # named in the text but not marked as a heading: search finds it
    if section is None:
        return Answer(
            question=question, text=_absent(card, clause, body), grounded=False, referenced_docs=refs
        )
    where = format_labels(section.labels)
    quote = section.text
    if len(quote) > MAX_QUOTE_CHARS:
        cut = quote[:MAX_QUOTE_CHARS]
        quote = cut[: cut.rfind("\n")] + "\n…"
    first_line = section.text.split("\n", 1)[0]
    passage = _passage_for(catalog.passages(source), section.labels, first_line)
    cit = _citation(card, passage, quote)
    cit = dataclasses.replace(cit, clause=where, section_ref=where)
    return Answer(
        question=question,
        text=f"Theo {cit.label()}:\n{quote}",
        citations=[cit],
        grounded=True,
        referenced_docs=refs,
    )
