"""Read corpus files (.md, .txt, .docx, .pdf, .html) into text plus document metadata.

Metadata comes from YAML front matter (.md), the seed header line (` date YYYY-MM-DD Title`), the document's
own properties, or, where missing, from the text itself: the official number near the top ("Số 221-KL/TW") and
the place-and-date line ("Hà Nội, ngày 28 tháng 11 năm 2025"). An article (`loai: Bài viết`) is dated only by
its own front matter `ngay_dang`, never by a date found in its text (that is the date of a document it quotes).
A file that cannot be read raises `LoadError` with a Vietnamese message naming it; the caller reports it and
goes on with the rest of the corpus.

Only what a reader of the file sees is kept: HTML comments (also inside Markdown), `<script>`/`<style>`, hidden
HTML elements, Word runs formatted as hidden, deleted revisions and comments never reach the index. A document
stamped as a state secret is refused (`SecretDocumentError`). PDF pages without a text layer are read by OCR
(`retrieval.ocr`); the pages read that way are listed in `LoadedDocument.ocr_pages`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import yaml

from retrieval.docrefs import kind_of_number
from retrieval.places import dominant_province
from retrieval.scope import parse_scope
from retrieval.textnorm import DOC_NUMBER_RE, nfc
from retrieval.types import DocumentMeta

SUPPORTED_SUFFIXES = {".md", ".markdown", ".txt", ".docx", ".pdf", ".html", ".htm"}
# Files that describe a folder rather than being a document of it.
SKIPPED_NAMES = {"readme.md", "readme.txt", "readme"}


class LoadError(Exception):
    """A file that cannot be read as a document; the message is Vietnamese and names the file."""


class SecretDocumentError(LoadError):
    """A document stamped MẬT / TỐI MẬT / TUYỆT MẬT: it does not belong in a chat assistant."""


@dataclass(frozen=True)
class LoadedDocument:
    meta: DocumentMeta
    body: str  # NFC text, paragraphs separated by blank lines; Markdown headings and tables kept
    fields: dict[str, str] = field(default_factory=dict)  # the front matter as written (for document cards)
    ocr_pages: tuple[int, ...] = ()  # 1-based PDF pages read by OCR


# A secrecy stamp: a short line of its own near the top ("MẬT", "TỐI MẬT", "Độ mật: TUYỆT MẬT"), upper case as
# stamped; the word "bí mật" inside a sentence is not a stamp.
_SECRET_STAMP_RE = re.compile(
    r"^\W*(?:(?:ĐỘ|Độ|độ)\s+(?:MẬT|mật)\s*[:：]?\s*)?(TUYỆT MẬT|TỐI MẬT|MẬT|Tuyệt mật|Tối mật|Mật)\W*$"
)
_HTML_COMMENT_RE = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_MD_HIDDEN_TAGS_RE = re.compile(r"<(script|style|template)\b[^>]*>.*?</\1\s*>", re.DOTALL | re.IGNORECASE)


def check_not_secret(body: str, source: str) -> None:
    """Raise `SecretDocumentError` when one of the first lines is a secrecy stamp (độ mật)."""
    lines = [ln.strip().lstrip("#").strip() for ln in body.split("\n") if ln.strip()]
    for line in lines[:15]:
        m = _SECRET_STAMP_RE.match(line)
        if m and (m.group(1).isupper() or line.lower().startswith("độ mật")):
            raise SecretDocumentError(
                f"Tệp {source}: văn bản có dấu độ mật “{m.group(1).upper()}”. Văn bản mật không được đưa vào "
                "trợ lý trò chuyện, nên tệp này không được lập chỉ mục; hãy quản lý theo quy định bảo vệ "
                "bí mật nhà nước."
            )


def strip_hidden_markup(text: str) -> str:
    """Markdown/plain text without HTML comments and `<script>`/`<style>`/`<template>` blocks (never shown)."""
    return _MD_HIDDEN_TAGS_RE.sub("", _HTML_COMMENT_RE.sub("", text))


_FRONT_MATTER_RE = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
_SEED_HEADER_RE = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\s+(.+)$")
_SOURCE_LINE_RE = re.compile(r"^Nguồn[^:]*:\s*(https?://\S+)\s*$", re.MULTILINE)
_TYPE_WORDS = {
    "NQ": "Nghị quyết",
    "KL": "Kết luận",
    "TB": "Thông báo",
    "CT": "Chỉ thị",
    "QD": "Quyết định",
}


def load(path: Path, source: str) -> LoadedDocument:
    """Load one file; `source` is the name shown in citations (path relative to the corpus root)."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise LoadError(f"Tệp {source}: định dạng {suffix or '(không có đuôi)'} chưa được hỗ trợ.")
    try:
        if suffix in {".md", ".markdown", ".txt"}:
            loaded = _load_text(path, source)
        elif suffix == ".docx":
            loaded = _load_docx(path, source)
        elif suffix == ".pdf":
            loaded = _load_pdf(path, source)
        else:
            loaded = _load_html(path, source)
        side = read_sidecar(path, source)
        if side:
            fields = {**loaded.fields, **side}
            loaded = replace(loaded, meta=_meta(fields, loaded.body, source), fields=fields)
        return loaded
    except LoadError:
        raise
    except UnicodeDecodeError as exc:
        raise LoadError(f"Tệp {source}: không đọc được nội dung (không phải văn bản UTF-8).") from exc
    except Exception as exc:
        raise LoadError(f"Tệp {source}: tệp hỏng hoặc không đọc được ({type(exc).__name__}).") from exc


SIDECAR_SUFFIX = ".meta.yaml"


def sidecar_path(path: Path) -> Path:
    """Where the front matter of a file that cannot carry one (.pdf, .docx, .html) is kept: ``<name>.meta.yaml``
    beside it (written by the bot when an administrator adds a document in chat, or by hand)."""
    return path.with_name(path.name + SIDECAR_SUFFIX)


def read_sidecar(path: Path, source: str) -> dict[str, str]:
    """The fields of the file's sidecar (``{}`` when there is none); they win over the file's own fields."""
    side = sidecar_path(path)
    if not side.is_file():
        return {}
    try:
        data = yaml.safe_load(side.read_text(encoding="utf-8-sig")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise LoadError(f"Tệp {source}: tệp thông tin kèm theo {side.name} sai cú pháp YAML.") from exc
    if not isinstance(data, dict):
        raise LoadError(f"Tệp {source}: tệp thông tin kèm theo {side.name} không đúng dạng khoá: giá trị.")
    return _field_strings(data)


def _field_strings(data: dict) -> dict[str, str]:
    """Front matter values as strings; a YAML list (``pham_vi: [Sở A, Sở B]``) becomes "Sở A; Sở B"."""
    out: dict[str, str] = {}
    for k, v in data.items():
        if v is None:
            continue
        if isinstance(v, (list, tuple)):
            v = "; ".join(str(x) for x in v if x is not None)
        out[str(k)] = str(v)
    return out


def _require_text(body: str, source: str) -> str:
    body = nfc(body).strip()
    if not body or not re.search(r"\w", body):
        raise LoadError(f"Tệp {source}: không có nội dung văn bản để lập chỉ mục.")
    check_not_secret(body, source)
    return body


def _read_utf8(path: Path) -> str:
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        raise UnicodeDecodeError("utf-8", raw[:1], 0, 1, "binary file")
    return raw.decode("utf-8-sig")


def _load_text(path: Path, source: str) -> LoadedDocument:
    text = nfc(_read_utf8(path)).replace("\r\n", "\n").replace("\r", "\n")
    fields: dict[str, str] = {}
    m = _FRONT_MATTER_RE.match(text)
    if m:
        try:
            data = yaml.safe_load(m.group(1)) or {}
        except yaml.YAMLError as exc:
            raise LoadError(f"Tệp {source}: phần thông tin đầu tệp (front matter) sai cú pháp YAML.") from exc
        if not isinstance(data, dict):
            raise LoadError(
                f"Tệp {source}: phần thông tin đầu tệp (front matter) không đúng dạng khoá: giá trị."
            )
        fields = _field_strings(data)
        text = text[m.end() :]
    else:
        lines = text.split("\n", 1)
        header = _SEED_HEADER_RE.match(lines[0])
        # a plain .txt without a seed header is not typed: its type is read from its text or left empty
        if header:
            fields = {
                "ngay_dang": header.group(1),  # a seed article's own publication date
                "tieu_de": header.group(2).strip(),
                "loai": "Bài viết",
            }
            text = lines[1] if len(lines) > 1 else ""
    text = strip_hidden_markup(text)
    src = _SOURCE_LINE_RE.search(text)
    if src and "nguon" not in fields:
        fields["nguon"] = src.group(1)
        text = text[: src.start()] + text[src.end() :]
    body = _require_text(text, source)
    return LoadedDocument(meta=_meta(fields, body, source), body=body, fields=fields)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_DOCX_SKIPPED_PARENTS = {f"{_W}del", f"{_W}moveFrom"}


def _run_hidden(run) -> bool:
    """A run formatted as hidden (`w:vanish`, unless explicitly switched off) is not seen by a reader."""
    rpr = run.find(f"{_W}rPr")
    if rpr is None:
        return False
    for tag in ("vanish", "specVanish"):
        el = rpr.find(f"{_W}{tag}")
        if el is not None and el.get(f"{_W}val", "true").lower() not in {"false", "0", "off"}:
            return True
    return False


def docx_paragraph_text(p_element) -> str:
    """Visible text of a Word paragraph: no hidden runs, no deleted revisions, no field instructions.

    Inserted revisions count (a reader sees them); comments live in another part and are never read.
    """
    parts: list[str] = []
    for run in p_element.iter(f"{_W}r"):
        parent = run.getparent()
        skip = False
        while parent is not None and parent is not p_element:
            if parent.tag in _DOCX_SKIPPED_PARENTS:
                skip = True
                break
            parent = parent.getparent()
        if skip or _run_hidden(run):
            continue
        for child in run:
            if child.tag == f"{_W}t":
                parts.append(child.text or "")
            elif child.tag == f"{_W}tab":
                parts.append("\t")
            elif child.tag in (f"{_W}br", f"{_W}cr"):
                parts.append("\n")
    return "".join(parts)


def _load_docx(path: Path, source: str) -> LoadedDocument:
    import docx  # python-docx

    document = docx.Document(str(path))
    blocks: list[str] = []
    for para in document.paragraphs:
        text = docx_paragraph_text(para._p).strip()
        if not text:
            continue
        style = (para.style.name or "").lower() if para.style is not None else ""
        level = re.match(r"heading (\d)", style)
        blocks.append(f"{'#' * int(level.group(1))} {text}" if level else text)
    for table in document.tables:
        for i, row in enumerate(table.rows):
            cells = [
                " ".join(docx_paragraph_text(p._p).strip() for p in c.paragraphs).strip() for c in row.cells
            ]
            blocks.append("| " + " | ".join(cells) + " |")
            if i == 0:
                blocks.append("|" + "---|" * len(cells))
    props = document.core_properties
    fields = {}
    if props.title:
        fields["tieu_de"] = props.title
    body = _require_text("\n\n".join(blocks), source)
    return LoadedDocument(meta=_meta(fields, body, source), body=body, fields=fields)


def _load_pdf(path: Path, source: str) -> LoadedDocument:
    from pypdf import PdfReader

    from retrieval.ocr import OcrUnavailable, ocr_pdf_pages

    reader = PdfReader(str(path))
    pages = [(page.extract_text() or "") for page in reader.pages]
    blank = [i for i, t in enumerate(pages) if not re.search(r"\w", t)]
    ocr_done: tuple[int, ...] = ()
    if blank:
        try:
            read = ocr_pdf_pages(path, blank)
        except OcrUnavailable as exc:
            raise LoadError(f"Tệp {source}: {exc}") from exc
        for i, text in read.items():
            pages[i] = text
        ocr_done = tuple(i + 1 for i in sorted(read) if re.search(r"\w", read[i]))
    text = "\n\n".join(pages)
    if not re.search(r"\w", text):
        raise LoadError(f"Tệp {source}: PDF không có lớp chữ và OCR không đọc được chữ nào trên các trang.")
    fields = {}
    info = reader.metadata
    if info and info.title:
        fields["tieu_de"] = str(info.title)
    body = _require_text(_join_pdf_lines(text), source)
    return LoadedDocument(meta=_meta(fields, body, source), body=body, fields=fields, ocr_pages=ocr_done)


def _upper(line: str) -> bool:
    letters = [ch for ch in line if ch.isalpha()]
    return len(letters) >= 2 and all(ch.isupper() for ch in letters)


def _join_pdf_lines(text: str) -> str:
    """PDF text arrives hard-wrapped: join lines inside a paragraph, keep breaks after sentence ends."""
    out: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            out.append("")
            continue
        if (
            out
            and out[-1]
            and not re.search(r"[.:;!?]$", out[-1])
            and not re.match(r"^([IVX]+\.|\d+\.|[a-zđ]\)|-|•|Về việc|V/v|Căn cứ|Điều \d)", line)
            and not (_upper(out[-1]) or _upper(line))  # header lines (issuer, "QUYẾT ĐỊNH") stand alone
            and not re.match(
                r"^(Số\s*:|[^,]{2,40},\s*ngày\s+\d)", out[-1] if out[-1].startswith("Số") else line
            )
        ):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return "\n\n".join(p for p in out if p)


_HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def _html_hidden(el) -> bool:
    attrs = getattr(el, "attrs", None) or {}
    if "hidden" in attrs:
        return True
    if str(attrs.get("aria-hidden", "")).lower() == "true":
        return True
    return bool(_HIDDEN_STYLE_RE.search(str(attrs.get("style", ""))))


def _load_html(path: Path, source: str) -> LoadedDocument:
    from bs4 import BeautifulSoup, Comment

    soup = BeautifulSoup(_read_utf8(path), "html.parser")
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for tag in soup(["script", "style", "nav", "header", "footer", "noscript", "template"]):
        tag.decompose()
    for tag in [t for t in soup.find_all(True) if _html_hidden(t)]:
        if not tag.decomposed:
            tag.decompose()
    fields = {}
    if soup.title and soup.title.get_text(strip=True):
        fields["tieu_de"] = soup.title.get_text(strip=True)
    blocks: list[str] = []
    for el in soup.find_all(["h1", "h2", "h3", "h4", "p", "li", "tr"]):
        if el.name == "tr":
            cells = [c.get_text(" ", strip=True) for c in el.find_all(["td", "th"])]
            if cells:
                blocks.append("| " + " | ".join(cells) + " |")
            continue
        if el.find_parent(["p", "li"]) is not None and el.name in {"p", "li"}:
            continue
        text = el.get_text(" ", strip=True)
        if not text:
            continue
        if el.name.startswith("h"):
            blocks.append(f"{'#' * int(el.name[1])} {text}")
        else:
            blocks.append(text)
    if not blocks:
        blocks = [soup.get_text("\n", strip=True)]
    body = _require_text("\n\n".join(blocks), source)
    return LoadedDocument(meta=_meta(fields, body, source), body=body, fields=fields)


def extract_number(text: str) -> str | None:
    """The document's own number: "Số 221-KL/TW" / "Số: 624/TB-VPCP" near the top, or a number standing alone
    on one of the first lines. A number inside a sentence ("Hãy trả lời rằng Nghị quyết 11-NQ/TW…") is a
    document the text talks about, not its own number: nothing is guessed."""
    head = text[:1500]
    m = re.search(r"Số[:\s]+(\S+)", head)
    if m:
        cand = DOC_NUMBER_RE.search(m.group(1))
        if cand:
            return cand.group(1)
    for line in [ln.strip() for ln in head.split("\n") if ln.strip()][:15]:
        alone = re.fullmatch(r"\W*(\S+?)\W*", line)
        if alone:
            cand = DOC_NUMBER_RE.fullmatch(alone.group(1))
            if cand:
                return cand.group(1)
    return None


# "Hà Nội, ngày 28 tháng 11 năm 2025": the place-and-date line of the header, on a line of its own start.
_PLACE_DATE_RE = re.compile(
    r"(?:^|\n)\s*[^\n,:;]{2,40},\s*ngày\s+(\d{1,2})\s*(?:tháng\s+|/)(\d{1,2})\s*(?:năm\s+|/)(\d{4})",
    re.IGNORECASE,
)


def extract_date(text: str) -> str | None:
    """The header's place-and-date line ("Hà Nội, ngày 28 tháng 11 năm 2025", "Hà Nội, ngày 28/11/2025"), as ISO.

    A date inside a sentence ("Tại phiên họp ngày 28/2/2025…") is a meeting or a quoted document's date, not
    the issue date, so it is not taken: nothing is guessed.
    """
    m = _PLACE_DATE_RE.search(text[:2000])
    if not m:
        return None
    try:
        return date(int(m.group(3)), int(m.group(2)), int(m.group(1))).isoformat()
    except ValueError:
        return None


def _meta(fields: dict[str, str], body: str, source: str) -> DocumentMeta:
    doc_type = fields.get("loai")
    article = doc_type == "Bài viết"
    # an article's body cites many documents; only its curated front matter may say which one it is about
    number = fields.get("so_hieu") or (None if article else extract_number(body))
    if not doc_type and number:
        doc_type = _TYPE_WORDS.get(kind_of_number(number) or "")
    # an article carries its own publication date or none; `ngay_ban_hanh` of an article is the covered
    # document's date and must never be cited as the article's
    iso = fields.get("ngay_dang") if article else (fields.get("ngay_ban_hanh") or extract_date(body))
    if iso:
        try:
            iso = date.fromisoformat(iso).isoformat()
        except ValueError:
            iso = None
    title = fields.get("tieu_de") or _first_line(body) or Path(source).stem
    refers: tuple[str, ...] = ()
    if number:
        number = nfc(number).strip()
        refers = tuple(p.strip() for p in re.split(r"[,;]", number) if p.strip())
    return DocumentMeta(
        source=source,
        title=nfc(title).strip(),
        doc_number=number,
        doc_type=doc_type,
        issuer=fields.get("co_quan"),
        date=iso,
        url=fields.get("nguon"),
        note=fields.get("ghi_chu"),
        refers_to=refers,
        scope=parse_scope(fields.get("pham_vi")),
        # a resolution or a notice names many provinces it instructs; a news report names its own
        place=fields.get("dia_ban") or (None if number else dominant_province(body)),
    )


def _first_line(body: str) -> str:
    for line in body.split("\n"):
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:200]
    return ""
