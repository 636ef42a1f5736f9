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
from retrieval.citations import display_date
from retrieval.clauses import (
    ClauseRef,
    find_clause,
    find_clauses,
    format_labels,
    mentioned,
    outline,
    parse_clause_ref,
    sections,
)
from retrieval.doc_cards import _KIND_TYPES, DocumentCard
from retrieval.docrefs import DocRef, document_keys, find_refs, kind_of_number, parse_full_number, ref_matches
from retrieval.extractive import NOT_FOUND, UNKNOWN_DOCUMENT
from retrieval.judge import asked_detail_missing, asked_type
from retrieval.lists import line_mark, mark_kind, ordinal
from retrieval.metadata_answers import (
    DATE,
    ISSUER,
    SIGNER,
    SUBJECT,
    _citation,
    answer_metadata,
    doc_name,
    metadata_field,
    metadata_fields,
)
from retrieval.sections import first_sentences
from retrieval.textnorm import DOC_NUMBER_RE, fold
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
    signed = None if clause else _signed_by(question, catalog)
    if signed is not None:
        return signed
    field = None if clause else metadata_field(question)
    if clause is None and field is None:
        return None
    sources = target_documents(question, catalog, context_docs)
    if not sources:
        refs = find_refs(question)
        if clause is None and field in (DATE, ISSUER, SIGNER, SUBJECT) and len(refs) == 1:
            found = _only_cited(question, field, refs[0], catalog)
            if found is None and field in _NOT_HELD and not _articles_about(refs[0], catalog):
                return _not_held(question, field, refs[0])
            return found
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
        if not answers[0].grounded and field == ISSUER:
            card = catalog.card(sources[0])
            ref = parse_full_number(card.doc_number) if card and card.doc_number else None
            found = _citing(catalog, ref, ISSUER, skip=sources[0]) if ref else None
            return _from_citing(question, ISSUER, found) if found else answers[0]
        return _with_more_fields(question, field, answers[0], catalog, sources[0])
    return Answer(
        from_document=True,
        question=question,
        text="\n".join(a.text for a in answers),
        citations=[c for a in answers for c in a.citations],
        grounded=any(a.grounded for a in answers),
        referenced_docs=tuple(d for a in answers for d in a.referenced_docs),
    )


def _with_more_fields(question: str, field: str, answer: Answer, catalog: Catalog, source: str) -> Answer:
    """The answer to every field a question asks ("… của cơ quan nào, về vấn đề gì?"), each from the card and
    cited; a date comes with the signer or the issuer in one sentence already ("do Bộ Chính trị ban hành,
    ngày …"), and an issuer with the date."""
    # a signer's and an issuer's sentence carry the date already ("… ký thay mặt Bộ Chính trị, ngày …")
    extra = [
        f for f in metadata_fields(question) if f != field and not (f == DATE and field in (SIGNER, ISSUER))
    ]
    extra = [f for f in extra if not (f == ISSUER and field == DATE)]
    if not extra or not answer.grounded:
        return answer
    card = catalog.card(source)
    texts, citations = [answer.text], list(answer.citations)
    for f in extra:
        more = answer_metadata(question, f, card, catalog.passages(source), catalog.body(source))  # type: ignore[arg-type]
        if more.grounded and more.text not in texts:
            texts.append(more.text)
            citations += [c for c in more.citations if c not in citations]
    return dataclasses.replace(answer, text="\n".join(texts), citations=citations)


_DATE_RE = re.compile(
    r"\bngày\s+\d{1,2}\s*/\s*\d{1,2}\s*/\s*\d{4}|\bngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}", re.I
)
_ISSUED_RE = re.compile(r"\bban hành\b", re.I)


_BODIES = (
    "Ban Chấp hành Trung ương Đảng|Ban Chấp hành Trung ương|Bộ Chính trị|Ban Bí thư|Ủy ban Thường vụ Quốc hội|"
    "Quốc hội|Thủ tướng Chính phủ|Chính phủ"
)
_DATE_TEXT = r"\d{1,2}\s*/\s*\d{1,2}\s*/\s*\d{4}|\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}"
# "Nghị quyết số 68-NQ/TW ngày 04 tháng 5 năm 2025 của Bộ Chính trị", "68-NQ/TW, ngày 04/5/2025",
# "72-NQ/TW năm 2025 của Bộ Chính trị": the cited document's date and issuer right after its number
_AFTER_NUMBER = re.compile(
    rf"^\s*,?\s*(?:ngày\s+(?P<date>{_DATE_TEXT})|năm\s+\d{{4}})?\s*(?:của\s+(?P<body>{_BODIES})\b)?"
)


def _iso(text: str) -> str | None:
    nums = [int(n) for n in re.findall(r"\d+", text)]
    if len(nums) != 3:
        return None
    from datetime import date

    try:
        return date(nums[2], nums[1], nums[0]).isoformat()
    except ValueError:
        return None


def _citing(
    catalog: Catalog, ref: DocRef, field: str, *, skip: str | None = None
) -> tuple[str, str, str, Citation] | None:
    """(value, full number, sentence, citation) of the first sentence of another document that states the
    `field` (DATE: ISO date, ISSUER: body) of the document `ref` names, right after its number. Documents
    of their own are read before articles; the citation names the khoản the sentence lies in."""
    cards = sorted(catalog.cards(), key=lambda c: (c.is_article, c.source))
    for other in cards:
        if other.source == skip:
            continue
        body = catalog.body(other.source)
        for p in catalog.passages(other.source):
            for sentence in split_sentences(p.text.replace("\n", " ")):
                stated = _issued_in(sentence, ref, field)
                if stated:
                    cit = _cite_where(Citation.from_passage(p, quote=sentence), sentence, body)
                    return stated[0], stated[1], sentence, cit
                for m in DOC_NUMBER_RE.finditer(sentence):
                    number = m.group(1)
                    if not ref_matches(ref, document_keys(number, None)):
                        continue
                    after = _AFTER_NUMBER.match(sentence[m.end() :])
                    value = None
                    if after and field == DATE and after.group("date"):
                        value = _iso(after.group("date"))
                    elif after and field == ISSUER and after.group("body"):
                        value = after.group("body")
                    elif after and field == SUBJECT:
                        value = _subject_after(sentence[m.end() + after.end() :])
                    if not value:
                        continue
                    cit = _cite_where(Citation.from_passage(p, quote=sentence), sentence, body)
                    return value, number, sentence, cit
    return None


def _cite_where(cit: Citation, sentence: str, body: str) -> Citation:
    """The citation with the khoản/mục the sentence lies in."""
    holders = [s for s in sections(body) if sentence[:80] in " ".join(s.text.split())]
    if holders:
        where = format_labels(max(holders, key=lambda s: len(s.labels)).labels)
        cit = dataclasses.replace(cit, clause=where or None, section_ref=where)
    return cit


def _issued_in(sentence: str, ref: DocRef, field: str) -> tuple[str, str] | None:
    """(value, number) from "Ngày 15/9/2025, Chính phủ ban hành Nghị quyết 281/NQ-CP …": a date (DATE) or an
    issuing body (ISSUER) before "ban hành", and the asked document the first one named after it."""
    if field not in (DATE, ISSUER):
        return None
    issued = _ISSUED_RE.search(sentence)
    if not issued:
        return None
    after = find_refs(sentence[issued.end() :])
    if not after or not ref_matches(ref, document_keys(after[0].full or after[0].number, None)):
        return None
    before = sentence[: issued.start()]
    if field == DATE:
        d = _DATE_RE.search(before)
        value = _iso(d.group()) if d else None
    else:
        bodies = re.findall(_BODIES, before)
        value = bodies[-1] if bodies else None
    return (value, after[0].full or after[0].number) if value else None


# "… 70-NQ/TW năm 2025 của Bộ Chính trị về bảo đảm an ninh năng lượng quốc gia đến năm 2030, tầm nhìn …;"
_SUBJECT_AFTER = re.compile(r"^\s*,?\s*về\s+(?P<subject>[^;(“”\"]+?)\s*(?:[;(“”\"]|\.\s|\.?$)", re.I)
_MAX_SUBJECT = 220


def _subject_after(rest: str) -> str | None:
    """The "về …" phrase right after a cited document's number, date and issuer: what that document is
    about. Too short (a fragment) or too long (a whole sentence) is not taken."""
    m = _SUBJECT_AFTER.match(rest)
    if not m:
        return None
    subject = m.group("subject").strip().rstrip(".,")
    if len(subject.split()) < 3 or len(subject) > _MAX_SUBJECT:
        return None
    return subject


def _as_written(iso: str, sentence: str) -> str:
    """The date `iso` as the citing sentence writes it ("15/9/2025", "17 tháng 5 năm 2025"): the official
    finds the very words of the source; `display_date` when the sentence writes it otherwise."""
    for m in re.finditer(_DATE_TEXT, sentence):
        if _iso(m.group(0)) == iso:
            return m.group(0)
    return display_date(iso)


def _cited_name(number: str, sentence: str) -> str:
    """ "Chỉ thị 26/CT-TTg": the kind and the number as the citing sentence spells it (the canonical form is
    upper case, "26/CT-TTG", which no document writes)."""
    spelled = re.search(re.escape(number), sentence, re.IGNORECASE)
    return f"{_KIND_TYPES.get(kind_of_number(number) or '', '')} {spelled.group(0) if spelled else number}".strip()


def _from_citing(question: str, field: str, found: tuple[str, str, str, Citation]) -> Answer:
    value, number, _sentence, cit = found
    name = _cited_name(number, _sentence)
    if field == SUBJECT:
        text = f"Theo {cit.label()}, {name} là văn bản về {value}."
    elif field == DATE:
        text = f"Theo {cit.label()}, {name} được ban hành ngày {_as_written(value, _sentence)}."
    else:
        text = f"Theo {cit.label()}, {name} do {value} ban hành."
    return Answer(
        question=question,
        text=text,
        citations=[cit],
        grounded=True,
        referenced_docs=(number,),
        from_document=True,
    )


_NOT_HELD = {SIGNER: "người ký", ISSUER: "cơ quan ban hành", DATE: "ngày ban hành"}


def _articles_about(ref: DocRef, catalog: Catalog) -> list[str]:
    return [
        c.source for c in catalog.cards() if c.about and ref_matches(ref, document_keys(None, None, c.about))
    ]


def _not_held(question: str, field: str, ref: DocRef) -> Answer:
    """Who signed / when / which body, for a document the corpus neither holds nor has an article on and
    whose citing sentences do not state it: said plainly, never answered from a sentence that merely cites it
    ("(Kèm theo Báo cáo số 565-BC/BTCTW …)" says nothing of its signer)."""
    return Answer(
        question=question,
        text=(
            f"{UNKNOWN_DOCUMENT} {ref.display()}, nên chưa xác định được {_NOT_HELD[field]} của văn bản này. "
            "Anh/chị có thể bổ sung văn bản vào kho hoặc tra cứu bản gốc."
        ),
        citations=[],
        grounded=False,
        referenced_docs=(ref.full or ref.number,),
        from_document=True,
    )


def _only_cited(question: str, field: str, ref: DocRef, catalog: Catalog) -> Answer | None:
    """A document the corpus holds only through articles or citations (NQ 68, CT 26): its date or issuer from
    the sentence of another document that states it; its signer is never known (no signature block)."""
    articles = catalog.find(ref.full or ref.number) if ref.full else []
    articles = articles or [
        c.source for c in catalog.cards() if c.about and ref_matches(ref, document_keys(None, None, c.about))
    ]
    if field == SIGNER:
        if not articles:
            return None
        about = catalog.card(articles[0])
        number = next(
            (a for a in about.about if ref_matches(ref, document_keys(a, None))), ref.full or ref.number
        )  # type: ignore[union-attr]
        name = f"{_KIND_TYPES.get(kind_of_number(number) or '', '')} {number}".strip()
        # Not even the issuer is added: a refusal carries no citation, and a fact without one is never given.
        text = (
            f"Kho chỉ có bài viết về {name}, không có bản văn bản với khối chữ ký, nên chưa xác định được "
            "người ký. Anh/chị có thể bổ sung bản văn bản vào kho hoặc tra cứu bản gốc."
        )
        return Answer(
            question=question,
            text=text,
            citations=[],
            grounded=False,
            referenced_docs=(number,),
            from_document=True,
        )
    found = _citing(catalog, ref, field)
    if not found:
        return None
    answer = _from_citing(question, field, found)
    # "… ban hành ngày nào, ai ban hành?": every field asked, each from the sentence that states it
    others = {f: _citing(catalog, ref, f) for f in metadata_fields(question) if f not in (field, SIGNER)}
    by_field = {field: found, **{f: v for f, v in others.items() if v}}
    if {DATE, ISSUER} <= by_field.keys() and by_field[DATE][3] == by_field[ISSUER][3]:
        # one source states both: one sentence ("… do Thủ tướng Chính phủ ban hành ngày 15/9/2025.")
        issuer, number, sentence, cit = by_field[ISSUER]
        day = _as_written(by_field[DATE][0], by_field[DATE][2])
        name = _cited_name(number, sentence)
        answer = dataclasses.replace(
            answer, text=f"Theo {cit.label()}, {name} do {issuer} ban hành ngày {day}."
        )
        by_field = {f: v for f, v in by_field.items() if f not in (DATE, ISSUER)}
    else:
        by_field.pop(field)
    for other, more in by_field.items():
        extra = _from_citing(question, other, more)
        answer.text += "\n" + extra.text
        answer.citations += [c for c in extra.citations if c not in answer.citations]
    return answer


_WHICH_SIGNED = re.compile(
    r"\bky\b.*\b(van ban|cong van|quyet dinh|nghi quyet|thong bao|ket luan|chi thi|ke hoach)\s+(nao|gi)\b"
    r"|\bky (nhung )?(van ban|giay to) (nao|gi)\b|\bda ky (nhung )?gi\b"
)


def _signed_by(question: str, catalog: Catalog) -> Answer | None:
    """ "Bộ trưởng Bộ Văn hóa ký công văn nào?": the documents whose card names that signer (by name, or by
    title and issuing body), answered from the cards; None when the question is not of that form or no card
    matches (search decides)."""
    q = " ".join(fold(question).split())
    if not _WHICH_SIGNED.search(q) or find_refs(question):
        return None
    head = q[: q.find(" ky ")] if " ky " in q else q
    matched: list[DocumentCard] = []
    for card in catalog.cards():
        if not card.signer:
            continue
        if fold(card.signer) in head:
            matched.append(card)
            continue
        title = fold(card.signer_title or "")
        if title and re.search(rf"\b{re.escape(title)}\b", head):
            body_words = head[head.find(title) + len(title) :].strip()
            if not body_words or fold(card.issuer or "").startswith(body_words):
                matched.append(card)
    if not matched:
        return None
    answers = [
        answer_metadata(question, SIGNER, c, catalog.passages(c.source), catalog.body(c.source))
        for c in matched[:5]
    ]
    lines = [
        a.text.rstrip(".") + (f": {c.title.rstrip('.')}." if c.title else ".")
        for a, c in zip(answers, matched, strict=False)
    ]
    return Answer(
        question=question,
        text="\n".join(lines),
        citations=[cit for a in answers for cit in a.citations],
        grounded=True,
        referenced_docs=tuple(c.doc_number for c in matched if c.doc_number),
        from_document=True,
    )


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
                said = re.findall(_BODIES, sentence[: issued.start()])
                if card.issuer and said and not any(b in card.issuer for b in said):
                    # the sentence names another issuing body than the document itself: its date is reported,
                    # its wording is not repeated as if it confirmed the issuer
                    dated = _DATE_RE.search(sentence[: issued.start()])
                    day = _iso(dated.group(0)) if dated else None
                    if day:
                        text = f"{statement}; theo {cit.label()}, {doc_name(card)} được ban hành ngày {_as_written(day, sentence)}."
                        return Answer(
                            question=missing.question,
                            text=text,
                            citations=[cit],
                            grounded=True,
                            referenced_docs=missing.referenced_docs,
                            from_document=True,
                        )
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


def top_items(text: str) -> list[str]:
    """The clause's own numbered items in order ("1. …" … "7. …", or "(1) …" … "(6) …"): lines of the first
    marker kind found, each the next number; a list that starts again at 1 inside an item is that item's own
    (NQ 72 prints part IV's "(1) … (7)" inside its item (6)), so counting stops there. [] when not numbered."""
    items: list[str] = []
    kind: str | None = None
    for line in text.split("\n")[1:]:
        found = line_mark(line.strip())
        if found is None or not mark_kind(found[0]).startswith(("num", "alpha")):
            continue
        if kind is None:
            kind = mark_kind(found[0])
        if mark_kind(found[0]) != kind:
            continue
        n = ordinal(found[0])
        if n == len(items) + 1:
            items.append(found[1])
        elif n == 1 and items:
            break
    return items


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
    if asked_detail_missing(question, [section.text]):
        # "khoản 1 Điều 4 … thì bị phạt bao nhiêu tiền?": the clause is there, the asked amount is not
        return Answer(
            question=question,
            text=f"{where[:1].upper()}{where[1:]} của {doc_name(card)} không nêu điều anh/chị hỏi. {NOT_FOUND}",
            grounded=False,
            referenced_docs=refs,
        )
    quote = section.text
    count = ""  # ", gồm 6 ý" when the clause's items are listed
    items = top_items(section.text) if asked_type(question) == "list" else []
    if len(items) >= 2 and not any(it.rstrip().endswith(":") for it in items):
        # "phần III có mấy nhóm nhiệm vụ? nêu tên từng nhóm": the clause's own items, counted, not its full text
        # (an item that leads sub-items of its own keeps the clause whole)
        quote = "\n".join(f"{i}. {first_sentences(it, 300)}" for i, it in enumerate(items, start=1))
        count = f", gồm {len(items)} ý"
    elif len(quote) > MAX_QUOTE_CHARS:
        cut = quote[:MAX_QUOTE_CHARS]
        quote = cut[: cut.rfind("\n")] + "\n…"
    first_line = section.text.split("\n", 1)[0]
    passage = _passage_for(catalog.passages(source), section.labels, first_line)
    cit = dataclasses.replace(_citation(card, passage, quote), clause=where, section_ref=where)
    return Answer(
        question=question,
        text=f"Theo {cit.label()}{count}:\n{quote}",
        citations=[cit],
        grounded=True,
        referenced_docs=refs,
    )
