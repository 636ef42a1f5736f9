"""Document cards: what identifies a document (số hiệu, loại, cơ quan ban hành, ngày, trích yếu, người ký…).

Officials ask "ai ký?", "ban hành ngày nào?", "cơ quan nào ban hành?"; the answer must come from the document
itself, not from a passage that happens to mention a name. A card is built from the file's front matter and its
text: **front matter wins, parsing fills the gaps, nothing is guessed** (a field that neither states is None).

Parsed from the text:
- the signature block at the end: a line "T/M BỘ CHÍNH TRỊ", "T/M BAN BÍ THƯ", "KT. THỦ TƯỚNG", "TL. BỘ TRƯỞNG",
  "TM. ỦY BAN NHÂN DÂN", "TUQ. …", "Q. …" (or a lone title such as "THỦ TƯỚNG"), then the signer's title lines
  ("PHÓ THỦ TƯỚNG", "CHÁNH VĂN PHÒNG", "CHỦ TỊCH"), then the name;
- the distribution list after "Nơi nhận:";
- the issuing body from the header lines, the trích yếu after the type line ("THÔNG BÁO", "V/v …");
- "có hiệu lực … từ …" when the text states it.
An article (`loai: Bài viết`) gets its own date (front matter `ngay_dang`) or none, and the documents it is
about (`so_hieu` of its front matter) — never the date of a document it quotes.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from retrieval.docrefs import kind_of_number
from retrieval.types import DocumentMeta

ARTICLE = "Bài viết"

# Signing modes: the prefix of the first line of a signature block → how the capacity reads in Vietnamese.
_MODES = {
    "T/M": "thay mặt",
    "TM": "thay mặt",
    "KT": "ký thay",
    "TL": "thừa lệnh",
    "TUQ": "thừa ủy quyền",
    "Q": "quyền",
}
_MODE_RE = re.compile(r"^(T/M|TM|KT|TL|TUQ|Q)\s*[.:]?\s+(\S.*)$")
_SKIP_SIGNATURE_LINES = re.compile(r"^[\[(]?\s*(đã ký|da ky|ký|chữ ký|dấu)[^\w]*[\])]?$", re.IGNORECASE)
_TYPE_LINES = {
    "NGHỊ QUYẾT": "Nghị quyết",
    "KẾT LUẬN": "Kết luận",
    "THÔNG BÁO": "Thông báo",
    "QUYẾT ĐỊNH": "Quyết định",
    "CHỈ THỊ": "Chỉ thị",
    "CÔNG VĂN": "Công văn",
    "KẾ HOẠCH": "Kế hoạch",
    "THÔNG TƯ": "Thông tư",
    "NGHỊ ĐỊNH": "Nghị định",
    "BÁO CÁO": "Báo cáo",
    "TỜ TRÌNH": "Tờ trình",
    "QUY ĐỊNH": "Quy định",
}
_KIND_TYPES = {
    "NQ": "Nghị quyết",
    "KL": "Kết luận",
    "TB": "Thông báo",
    "CT": "Chỉ thị",
    "QD": "Quyết định",
    "KH": "Kế hoạch",
    "TT": "Thông tư",
    "ND": "Nghị định",
    "BC": "Báo cáo",
    "HD": "Hướng dẫn",
    "CV": "Công văn",
}
_NATIONAL_LINES = re.compile(
    r"^(CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM|CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM|ĐẢNG CỘNG SẢN VIỆT NAM|"
    r"Độc lập\s*-\s*Tự do\s*-\s*Hạnh phúc)",
    re.IGNORECASE,
)
# Proper spellings inside names of bodies and titles, applied after lower-casing an upper-case line.
_PROPER = [
    ("chánh văn phòng", "Chánh Văn phòng"),
    ("bộ chính trị", "Bộ Chính trị"),
    ("ban bí thư", "Ban Bí thư"),
    ("ban chấp hành trung ương", "Ban Chấp hành Trung ương"),
    ("trung ương", "Trung ương"),
    ("chính phủ", "Chính phủ"),
    ("quốc hội", "Quốc hội"),
    ("nhà nước", "Nhà nước"),
    ("đảng", "Đảng"),
    ("việt nam", "Việt Nam"),
]
_PLACE_WORDS = re.compile(r"\b(tỉnh|thành phố|huyện|quận|thị xã|thị trấn|xã|phường|đặc khu)\s+(.+)$")
_PARTY_BODIES = re.compile(
    r"(?i)(bộ chính trị|ban bí thư|ban chấp hành|tỉnh ủy|tỉnh uỷ|thành ủy|thành uỷ|đảng ủy|đảng uỷ|chi bộ)"
)


def proper_case(upper: str) -> str:
    """ "BỘ TRƯỞNG, CHỦ NHIỆM" → "Bộ trưởng, Chủ nhiệm"; "ỦY BAN NHÂN DÂN TỈNH THANH HÓA" → "Ủy ban nhân dân
    tỉnh Thanh Hóa"; "T/M BỘ CHÍNH TRỊ" bodies → "Bộ Chính trị". Mixed-case input is returned unchanged."""
    text = " ".join(upper.split())
    if not text or text != text.upper():
        return text
    pieces = []
    for piece in text.lower().split(", "):
        for low, proper in _PROPER:
            piece = re.sub(rf"\b{low}\b", proper, piece)
        piece = re.sub(r"^(phó|quyền)\s+(\w)", lambda m: f"{m.group(1)} {m.group(2).upper()}", piece)
        piece = re.sub(
            r"\b(sở|bộ) (?!trưởng\b)(\w)", lambda m: f"{m.group(1).title()} {m.group(2).upper()}", piece
        )
        place = _PLACE_WORDS.search(piece)
        if place:
            name = " ".join(w[:1].upper() + w[1:] for w in place.group(2).split())
            piece = piece[: place.start(2)] + name
        pieces.append(piece[:1].upper() + piece[1:])
    return ", ".join(pieces)


def _is_name(line: str) -> bool:
    """A person's name: 2–6 words, each capitalised then lower case, no digits ("Trần Cẩm Tú")."""
    words = line.split()
    if not 2 <= len(words) <= 6 or any(ch.isdigit() for ch in line):
        return False
    return all(w[:1].isupper() and (len(w) == 1 or w[1:].islower()) and w.isalpha() for w in words)


def _is_upper_line(line: str) -> bool:
    letters = [ch for ch in line if ch.isalpha()]
    return bool(letters) and all(ch.isupper() for ch in letters) and len(line) <= 120


@dataclass(frozen=True)
class Signature:
    """Who signed, in what capacity. `mode` is T/M, KT, TL, TUQ, Q or None (a lone title)."""

    name: str
    mode: str | None  # "T/M", "KT", "TL", "TUQ", "Q", None
    on_behalf: str | None  # "Bộ Chính trị", "Bộ trưởng, Chủ nhiệm", "Ủy ban nhân dân" (proper case)
    title: str | None  # the signer's own title: "Phó Chủ nhiệm", "Chủ tịch", "Thủ tướng"

    def capacity(self) -> str:
        """ "Thay mặt Bộ Chính trị"; "Phó Chủ nhiệm, ký thay Bộ trưởng, Chủ nhiệm"; "Thủ tướng"."""
        parts: list[str] = []
        if self.title:
            parts.append(self.title)
        if self.mode and self.on_behalf:
            verb = _MODES[self.mode]
            if self.mode == "Q":
                return f"Quyền {self.on_behalf[:1].lower() + self.on_behalf[1:]}"
            parts.append(f"{verb} {self.on_behalf}")
        text = ", ".join(parts)
        return text[:1].upper() + text[1:] if text else ""


def signing_line(line: str) -> bool:
    """True for the first line of a signature block: "T/M BỘ CHÍNH TRỊ", "KT. BỘ TRƯỞNG", "TL. CHỦ TỊCH"."""
    m = _MODE_RE.match(line)
    return bool(m and _is_upper_line(m.group(2)))


def _signature_at(lines: list[str], i: int) -> Signature | None:
    """A signature block whose mode line ("T/M BỘ CHÍNH TRỊ", "KT. BỘ TRƯỞNG") is `lines[i]`."""
    m = _MODE_RE.match(lines[i])
    if not m or not _is_upper_line(m.group(2)):
        return None
    titles: list[str] = []
    for line in lines[i + 1 : i + 5]:
        if _is_name(line):
            return Signature(
                name=line,
                mode="T/M" if m.group(1) == "TM" else m.group(1),
                on_behalf=proper_case(m.group(2)),
                title=proper_case(" ".join(titles)) if titles else None,
            )
        if not _is_upper_line(line):
            return None
        titles.append(line)
    return None


def _lone_title_at(lines: list[str], i: int) -> Signature | None:
    """ "THỦ TƯỚNG" / "BỘ TRƯỞNG" / "CHỦ TỊCH" on one line and the name on the next."""
    if i + 1 >= len(lines) or not _is_name(lines[i + 1]):
        return None
    title = lines[i]
    if not _is_upper_line(title) or len(title.split()) > 6 or _NATIONAL_LINES.match(title):
        return None
    if title.rstrip(":").upper() in {"NƠI NHẬN", *_TYPE_LINES}:
        return None
    return Signature(name=lines[i + 1], mode=None, on_behalf=None, title=proper_case(title))


def parse_signature(body: str) -> Signature | None:
    """The signature block of a document (at its end, or before its annexes), or None when it has none.

    A block opens with a signing mode (T/M, TM., KT., TL., TUQ., Q.) anywhere in the text, or is a lone title
    right after the distribution list ("Nơi nhận") or at the very end. Nothing else counts: a name in a
    sentence is never taken for the signer.
    """
    lines = [ln.strip().lstrip("#").strip() for ln in body.split("\n")]
    lines = [ln for ln in lines if ln and not _SKIP_SIGNATURE_LINES.match(ln)]
    for i in range(len(lines) - 1, -1, -1):
        sig = _signature_at(lines, i)
        if sig:
            return sig
    starts: list[int] = []
    for i, line in enumerate(lines):
        if re.match(r"^Nơi nhận\s*:?", line, re.IGNORECASE):
            j = i + 1
            while j < len(lines) and re.match(r"^[-+•]", lines[j]):
                j += 1
            starts.extend(range(j, min(j + 4, len(lines))))
    starts.extend(range(max(len(lines) - 4, 0), len(lines)))
    for i in starts:
        sig = _lone_title_at(lines, i)
        if sig:
            return sig
    return None


def parse_recipients(body: str) -> list[str]:
    """The distribution list after "Nơi nhận:" (each "- …" line, without its dash and trailing punctuation)."""
    lines = [ln.strip() for ln in body.split("\n") if ln.strip()]
    for i, line in enumerate(lines):
        m = re.match(r"^Nơi nhận\s*:?\s*(.*)$", line, re.IGNORECASE)
        if not m:
            continue
        out: list[str] = []
        rest = m.group(1).strip()
        if rest:
            out.extend(p.strip(" -+;,.") for p in re.split(r"(?:^|;)\s*[-+]\s*", rest) if p.strip(" -+;,."))
        for nxt in lines[i + 1 :]:
            if not re.match(r"^[-+•]\s*", nxt):
                break
            out.append(re.sub(r"^[-+•]\s*", "", nxt).rstrip(" ;,."))
        return [r for r in out if r]
    return []


_EFFECTIVE_RE = re.compile(r"[^.\n]*\bcó hiệu lực(?: thi hành)?(?: kể)? từ[^.\n]*\.?", re.IGNORECASE)


def parse_effective(body: str) -> str | None:
    """The sentence that states when the document takes effect ("Nghị quyết này có hiệu lực thi hành từ …")."""
    m = _EFFECTIVE_RE.search(body)
    if not m:
        return None
    sentence = re.sub(r"^\s*(?:\d+\.|[a-zđ]\)|-)\s*", "", m.group(0).strip())
    return sentence


def _header_lines(body: str) -> list[str]:
    out = []
    for ln in body.split("\n")[:40]:
        ln = ln.strip().lstrip("#").strip()
        if ln:
            out.append(ln)
    return out[:14]


def parse_issuer(body: str) -> str | None:
    """The issuing body from the header: the upper-case lines above the national motto, before "Số …"."""
    found: list[str] = []
    for line in _header_lines(body):
        if _NATIONAL_LINES.match(line):
            continue
        if re.match(r"^(Số|Số:)\s", line) or re.search(r",\s*ngày\s+\d", line):
            break
        if _is_upper_line(line) and line not in _TYPE_LINES and not line.startswith("V/v"):
            found.append(line)
            continue
        break
    if not found:
        return None
    # "BAN CHẤP HÀNH TRUNG ƯƠNG" is the body; a line such as "*" or a line of dashes is not
    return proper_case(found[-1] if len(found) > 2 else " ".join(found))


_SUBJECT_STOP = re.compile(
    r"^(Căn cứ|Số\s*:?\s|Kính gửi|Nơi nhận|[IVX]+\.|\d+\.|Điều\s+\d|Chương\s)", re.IGNORECASE
)


def _subject_lines(lines: list[str]) -> str | None:
    """The trích yếu: the line(s) right after the type line, upper case or not ("Tổ chức Ngày hội đọc sách…",
    "Về việc thành lập Tổ công tác…"), up to the first line that opens the body ("Căn cứ…", "Điều 1", "1.")."""
    picked: list[str] = []
    for line in lines[:3]:
        if _SUBJECT_STOP.match(line) or re.search(r",\s*ngày\s+\d", line) or len(line) > 250:
            break
        if set(line) <= set("-_*=~ "):
            break
        if picked and not (
            (_is_upper_line(line) and _is_upper_line(picked[-1]))
            or (not _is_upper_line(picked[-1]) and line[:1].islower())
        ):
            break  # the signer's title line or a new sentence, not the wrapped rest of the trích yếu
        picked.append(line)
        if line.endswith((".", ":", ";")):
            break
    if not picked:
        return None
    text = " ".join(picked)
    return proper_case(text) if _is_upper_line(text) else text


def parse_subject(body: str) -> tuple[str | None, str | None]:
    """(document type, trích yếu) from the header: the line(s) after "QUYẾT ĐỊNH"/"THÔNG BÁO"/"KẾ HOẠCH"…, or
    "V/v …" / "Về việc …" (a Công văn when no type line precedes it). A type line and its trích yếu joined on
    one line ("QUYẾT ĐỊNH Về việc …", as a PDF's text layer often gives it) count too."""
    lines = _header_lines(body)
    for i, line in enumerate(lines):
        vv = re.match(r"^(?:V/v|Về việc)\s*[:.]?\s*(.+)$", line)
        if vv:
            return "Công văn", (line if line.startswith("Về việc") else vv.group(1).strip())
        if line.upper() in _TYPE_LINES and line.isupper():
            return _TYPE_LINES[line.upper()], _subject_lines(lines[i + 1 :])
        for word, doc_type in _TYPE_LINES.items():
            if line.startswith(word + " ") and not line[len(word) + 1 :].isupper():
                rest = line[len(word) + 1 :].strip()
                return doc_type, _subject_lines([rest, *lines[i + 1 :]])
    return None, None


@dataclass(frozen=True)
class DocumentCard:
    """Everything that identifies one document; None means neither the front matter nor the text states it."""

    source: str
    doc_number: str | None  # own number; None for an article (see `about`)
    doc_type: str | None
    issuer: str | None
    date: str | None  # ISO; for an article: its own publication date or None
    title: str | None  # trích yếu (for an article: its headline)
    signer: str | None = None
    signer_title: str | None = None
    signer_capacity: str | None = (
        None  # "Thay mặt Bộ Chính trị", "Phó Chủ nhiệm, ký thay Bộ trưởng, Chủ nhiệm"
    )
    signing_mode: str | None = None  # "T/M", "KT", "TL", "TUQ", "Q" or None
    signing_for: str | None = None  # "Bộ Chính trị", "Bộ trưởng, Chủ nhiệm"
    recipients: tuple[str, ...] = ()
    effective: str | None = None  # the sentence stating when it takes effect
    about: tuple[str, ...] = ()  # for an article: the documents it is about ("68-NQ/TW")
    url: str | None = None
    note: str | None = None
    party: bool = False  # a Party document: its signer is "đồng chí"
    passages: int = 0
    sections: tuple[str, ...] = field(default_factory=tuple)  # top-level section headings
    scope: tuple[str, ...] = ()  # pham_vi: the units it is limited to; () = toàn tỉnh (retrieval.scope)

    @property
    def is_article(self) -> bool:
        return self.doc_type == ARTICLE

    def to_json(self) -> dict:
        """The `troly documents --json` entry plus the extra card fields."""
        d = asdict(self)
        d["recipients"] = list(self.recipients)
        d["about"] = list(self.about)
        d["sections"] = list(self.sections)
        d["pham_vi"] = list(d.pop("scope"))
        return d


def build_card(
    meta: DocumentMeta,
    fields: dict[str, str],
    body: str,
    *,
    passages: int = 0,
    sections: tuple[str, ...] = (),
) -> DocumentCard:
    """The card of one document: front matter (`fields`, already reflected in `meta`) first, text second."""
    article = (fields.get("loai") or meta.doc_type) == ARTICLE
    parsed_type, parsed_subject = (None, None) if article else parse_subject(body)
    number = None if article else meta.doc_number
    doc_type = fields.get("loai") or meta.doc_type or parsed_type
    if not doc_type and number:
        doc_type = _KIND_TYPES.get(kind_of_number(number) or "")
    title = fields.get("tieu_de") or parsed_subject or (meta.title if meta.title else None)
    issuer = None if article else (fields.get("co_quan") or meta.issuer or parse_issuer(body))
    sig = None if article else parse_signature(body)
    party = bool(
        (number and re.search(r"/TW\b|-(NQ|KL|CT|QĐ|QD|HD|TB)/[A-ZĐ]*U\b", number))
        or _PARTY_BODIES.search(issuer or "")
        or (sig and _PARTY_BODIES.search(sig.on_behalf or ""))
    )
    return DocumentCard(
        source=meta.source,
        doc_number=number,
        doc_type=doc_type,
        issuer=issuer,
        date=meta.date,
        title=title,
        signer=sig.name if sig else None,
        signer_title=sig.title if sig else None,
        signer_capacity=(sig.capacity() or None) if sig else None,
        signing_mode=sig.mode if sig else None,
        signing_for=sig.on_behalf if sig else None,
        recipients=tuple(parse_recipients(body)) if not article else (),
        effective=None if article else parse_effective(body),
        about=meta.refers_to if article else (),
        url=meta.url,
        note=meta.note,
        party=party,
        passages=passages,
        sections=sections,
        scope=meta.scope,
    )
