"""Questions about a document's identity, answered from its card in one natural sentence with its citation.

"Kết luận 221-KL/TW do ai ký?" → "Kết luận 221-KL/TW do đồng chí Trần Cẩm Tú ký thay mặt Bộ Chính trị, ngày
28/11/2025." Forms recognised (with or without diacritics): ai ký / người ký / ký thay mặt (signer), ban hành ngày
nào / khi nào / ngày ban hành (date), cơ quan nào ban hành (issuer), về việc gì / nội dung chính / trích yếu
(subject), có hiệu lực từ (effective). When the card lacks the field, the answer says so plainly
("Bản Nghị quyết 57-NQ/TW trong kho không có khối chữ ký, nên chưa xác định được người ký.") and is not grounded.
"""

from __future__ import annotations

import re

from retrieval.citations import display_date
from retrieval.clauses import format_labels, sections
from retrieval.doc_cards import DocumentCard, signing_line
from retrieval.textnorm import fold
from retrieval.types import Answer, Citation, Passage

SIGNER, DATE, ISSUER, SUBJECT, EFFECTIVE = "signer", "date", "issuer", "subject", "effective"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        SIGNER,
        re.compile(
            r"\b(ai ky|ai da ky|nguoi ky|nguoi da ky|ky thay mat|thay mat .{0,40} ky|ky ten|ky boi ai|"
            r"ky thay|ky thua lenh|chu ky cua ai|ai la nguoi ky|"
            r"(dong chi|ong|ba|nguoi|lanh dao|can bo|vi) nao (da )?ky|ky boi (dong chi|ong|ba) nao)\b"
        ),
    ),
    (
        ISSUER,
        re.compile(
            r"\b(co quan nao ban hanh|ai ban hanh|do ai ban hanh|don vi nao ban hanh|cap nao ban hanh|"
            r"co quan ban hanh|ban hanh boi|cua co quan nao|do co quan nao|noi ban hanh)\b"
        ),
    ),
    (
        DATE,
        re.compile(
            r"\b(ban hanh (vao )?(ngay nao|khi nao|bao gio|luc nao|nam nao|thang nao|hom nao|ngay may|nam may)|"
            r"ngay ban hanh|"
            r"ngay nao ban hanh|khi nao ban hanh|ky (vao )?(ngay nao|khi nao)|ngay ky|ra doi (khi nao|ngay nao))\b"
        ),
    ),
    (
        EFFECTIVE,
        re.compile(r"\b(co hieu luc|hieu luc (tu|ke tu|khi nao|ngay nao|thi hanh|bao gio|tu ngay nao))\b"),
    ),
    (
        SUBJECT,
        re.compile(
            r"\b(ve viec gi|ve van de gi|noi dung chinh|trich yeu|ve cai gi|noi ve (viec |van de )?gi|"
            r"ve noi dung gi|(?<!ke )ten day du|tieu de|ve linh vuc gi|ve chu de gi|co ten (la )?gi|ten (goi |chinh thuc )?la gi|"
            r"ten (cua )?(nghi quyet|ket luan|chi thi|van ban|thong bao|cong van|quyet dinh)( nay)? la gi|"
            r"de cap (den |toi )?(van de |noi dung )?gi|ban ve (van de )?gi|"
            # a Thông báo kết luận is titled by whose conclusion it is: "Kết luận của Phó Thủ tướng …"
            r"do ai ket luan|ket luan cua (\w+ ){0,4}(ai|nao)|"
            r"ket luan (tai )?(cuoc hop|phien hop|hoi nghi) nao)\b"
        ),
    ),
]


def metadata_field(question: str) -> str | None:
    """Which card field a question asks for (`SIGNER`, `DATE`, `ISSUER`, `SUBJECT`, `EFFECTIVE`) or None."""
    fields = metadata_fields(question)
    return fields[0] if fields else None


def metadata_fields(question: str) -> list[str]:
    """Every card field a question asks for, in the order of `_PATTERNS` ("Kết luận 127 của cơ quan nào, về
    vấn đề gì?" → [ISSUER, SUBJECT]); [] when none."""
    q = " ".join(fold(question).split())
    return [name for name, rx in _PATTERNS if rx.search(q)]


def doc_name(card: DocumentCard) -> str:
    """ "Kết luận 221-KL/TW"; an article: "bài viết «…»"."""
    if card.doc_number:
        return f"{card.doc_type} {card.doc_number}" if card.doc_type else card.doc_number
    return f"{card.doc_type or 'Tài liệu'} «{card.title or card.source}»"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


def _signer_phrase(card: DocumentCard) -> str:
    name = card.signer or ""
    if card.party:
        who = f"đồng chí {name}"
        if card.signer_title and card.signing_mode:
            who += f" ({card.signer_title})"
    else:
        who = f"{card.signer_title} {name}" if card.signer_title else name
    on = card.signing_for or ""
    mode = card.signing_mode
    if mode == "T/M":
        return f"do {who} ký thay mặt {on}"
    if mode == "KT":
        return f"do {who} ký thay {_lower_first(on)}" if card.party else f"do {who} ký thay {on}"
    if mode == "TL":
        return f"do {who} ký thừa lệnh {on}"
    if mode == "TUQ":
        return f"do {who} ký thừa ủy quyền {on}"
    if mode == "Q":
        return f"do {who}, Quyền {_lower_first(on)}, ký"
    return f"do {who} ký"


def _find_passage(passages: list[Passage], needle: str | None, *, last: bool = False) -> Passage | None:
    if not passages:
        return None
    if needle:
        hits = [p for p in passages if needle in p.text]
        if hits:
            return hits[-1] if last else hits[0]
    return passages[-1] if last else passages[0]


def _citation(
    card: DocumentCard, passage: Passage | None, quote: str, *, clause: str | None = None
) -> Citation:
    """A citation of the document itself (its card), pointing at a passage; `clause` when one is meant."""
    return Citation(
        source=card.source,
        title=card.title or card.source,
        doc_number=card.doc_number,
        doc_type=card.doc_type,
        date=card.date,
        section=passage.section if passage and clause else "",
        quote=quote,
        passage_id=passage.id if passage else "",
        section_ref=clause or "",
        clause=clause,
    )


_WRITTEN_DATE = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)


def _date_line(body: str, iso: str | None) -> str | None:
    """The line near the top of the document that writes its date in words ("Hà Nội, ngày 16 tháng 11 năm
    2025"), when that date is the card's; None otherwise."""
    if not iso:
        return None
    for line in body[:2000].split("\n"):
        m = _WRITTEN_DATE.search(line)
        if m and f"{m.group(3)}-{int(m.group(2)):02d}-{int(m.group(1)):02d}" == iso:
            return line.strip().strip("*_ ")
    return None


def _effective_day(effective: str, body: str, when: str | None) -> str:
    """The day a relative start ("từ ngày được Quốc hội thông qua", "kể từ ngày ký") falls on, from the document
    itself: its adoption line ("… thông qua ngày 17 tháng 5 năm 2025.") or its date; "" when neither is there."""
    folded = fold(effective)
    if "thong qua" in folded:
        line = next(
            (ln.strip() for ln in body.split("\n") if re.search(r"thông qua ngày \d", ln)),
            None,
        )
        if line:
            return f" — văn bản ghi: “{line}”"
    if re.search(r"\bngay (ky|ban hanh)\b", folded) and when:
        return f" — ngày ký ban hành ghi trên văn bản: {when}"
    return ""


def answer_metadata(
    question: str, field: str, card: DocumentCard, passages: list[Passage], body: str
) -> Answer:
    """One sentence answering `field` about the document of `card`, cited; not grounded when the card lacks it."""
    name = doc_name(card)
    when = display_date(card.date)
    missing: str | None = None
    text = ""
    cit: Citation | None = None
    if field == SIGNER:
        if card.signer:
            text = f"{name} {_signer_phrase(card)}" + (f", ngày {when}." if when else ".")
            mode_line = next(
                (ln.strip() for ln in reversed(body.split("\n")) if signing_line(ln.strip())), ""
            )
            quote = "\n".join(
                x for x in (mode_line, card.signer_title and card.signer_title.upper(), card.signer) if x
            )
            cit = _citation(card, _find_passage(passages, card.signer, last=True), quote)
        else:
            missing = f"Bản {name} trong kho không có khối chữ ký, nên chưa xác định được người ký."
    elif field == DATE:
        if when:
            by = f" do {card.issuer}" if card.issuer else ""
            text = f"{name}{by} ban hành ngày {when}" if by else f"{name} được ban hành ngày {when}"
            line = _date_line(body, card.date)
            # the date line as the document prints it ("Hà Nội, ngày 16 tháng 11 năm 2025"): the very words
            text += f" (văn bản ghi: “{line}”)." if line else "."
            cit = _citation(card, passages[0] if passages else None, line or f"Ngày ban hành: {when}")
        else:
            missing = f"Bản {name} trong kho không ghi ngày ban hành, nên chưa xác định được ngày ban hành."
    elif field == ISSUER:
        if card.issuer:
            text = f"{name} do {card.issuer} ban hành" + (f", ngày {when}." if when else ".")
            cit = _citation(card, passages[0] if passages else None, f"Cơ quan ban hành: {card.issuer}")
        else:
            missing = (
                f"Bản {name} trong kho không ghi cơ quan ban hành, nên chưa xác định được cơ quan ban hành."
            )
    elif field == SUBJECT:
        if card.title:
            title = card.title.rstrip(".")
            if re.match(r"(?i)^về\s", title):
                by = f" của {card.issuer}" if card.issuer else ""
                text = f"{name}{by} {_lower_first(title)}."
            else:
                text = f"Trích yếu của {name}: {title}."
            cit = _citation(card, passages[0] if passages else None, title)
        else:
            missing = f"Bản {name} trong kho không ghi trích yếu."
    elif field == EFFECTIVE:
        if card.effective:
            p = _find_passage(passages, card.effective[:60])
            holders = [s for s in sections(body) if card.effective in s.text]
            where = format_labels(max(holders, key=lambda s: len(s.labels)).labels) if holders else ""
            text = f"{name} ghi" + (f" tại {where}" if where else "") + f": “{card.effective}”"
            text += _effective_day(card.effective, body, when)
            cit = _citation(card, p, card.effective, clause=where or None)
        else:
            missing = f"Bản {name} trong kho không ghi thời điểm có hiệu lực, nên chưa xác định được ngày có hiệu lực."
    if missing or cit is None:
        return Answer(
            question=question,
            text=missing or f"Bản {name} trong kho không có thông tin này.",
            citations=[],
            grounded=False,
            referenced_docs=(card.doc_number,) if card.doc_number else (),
        )
    return Answer(
        question=question,
        text=text,
        citations=[cit],
        grounded=True,
        referenced_docs=(card.doc_number,) if card.doc_number else (),
    )
