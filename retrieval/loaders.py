"""Read corpus files (.md, .txt, .docx, .pdf, .html) into text plus document metadata.

Metadata comes from YAML front matter (.md), the seed header line (` date YYYY-MM-DD Title`), the document's
own properties, or, where missing, from the text itself: the first official number ("Số 221-KL/TW") and the
first date ("Hà Nội, ngày 28 tháng 11 năm 2025"). A file that cannot be read raises `LoadError` with a
Vietnamese message naming it; the caller reports it and goes on with the rest of the corpus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from retrieval.docrefs import kind_of_number
from retrieval.textnorm import DOC_NUMBER_RE, nfc
from retrieval.types import DocumentMeta

SUPPORTED_SUFFIXES = {".md", ".markdown", ".txt", ".docx", ".pdf", ".html", ".htm"}
# Files that describe a folder rather than being a document of it.
SKIPPED_NAMES = {"readme.md", "readme.txt", "readme"}


class LoadError(Exception):
    """A file that cannot be read as a document; the message is Vietnamese and names the file."""


@dataclass(frozen=True)
class LoadedDocument:
    meta: DocumentMeta
    body: str  # NFC text, paragraphs separated by blank lines; Markdown headings and tables kept


_FRONT_MATTER_RE = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
_SEED_HEADER_RE = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\s+(.+)$")
_SOURCE_LINE_RE = re.compile(r"^Nguồn[^:]*:\s*(https?://\S+)\s*$", re.MULTILINE)
_DATE_WORDS_RE = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)
_DATE_NUM_RE = re.compile(r"ngày\s+(\d{1,2})/(\d{1,2})/(\d{4})", re.IGNORECASE)
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
            return _load_text(path, source)
        if suffix == ".docx":
            return _load_docx(path, source)
        if suffix == ".pdf":
            return _load_pdf(path, source)
        return _load_html(path, source)
    except LoadError:
        raise
    except UnicodeDecodeError as exc:
        raise LoadError(f"Tệp {source}: không đọc được nội dung (không phải văn bản UTF-8).") from exc
    except Exception as exc:
        raise LoadError(f"Tệp {source}: tệp hỏng hoặc không đọc được ({type(exc).__name__}).") from exc


def _require_text(body: str, source: str) -> str:
    body = nfc(body).strip()
    if not body or not re.search(r"\w", body):
        raise LoadError(f"Tệp {source}: không có nội dung văn bản để lập chỉ mục.")
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
        fields = {str(k): str(v) for k, v in data.items() if v is not None}
        text = text[m.end() :]
    else:
        lines = text.split("\n", 1)
        header = _SEED_HEADER_RE.match(lines[0])
        if header:
            fields = {
                "ngay_ban_hanh": header.group(1),
                "tieu_de": header.group(2).strip(),
                "loai": "Bài viết",
            }
            text = lines[1] if len(lines) > 1 else ""
        elif path.suffix.lower() == ".txt" and lines[0].strip() and len(lines[0]) < 300:
            # seed articles without a date: the first line is the title
            fields = {"tieu_de": lines[0].strip(), "loai": "Bài viết"}
            text = lines[1] if len(lines) > 1 else ""
    src = _SOURCE_LINE_RE.search(text)
    if src and "nguon" not in fields:
        fields["nguon"] = src.group(1)
        text = text[: src.start()] + text[src.end() :]
    body = _require_text(text, source)
    return LoadedDocument(meta=_meta(fields, body, source), body=body)


def _load_docx(path: Path, source: str) -> LoadedDocument:
    import docx  # python-docx

    document = docx.Document(str(path))
    blocks: list[str] = []
    for para in document.paragraphs:
        text = para.text.strip()
        if not text:
            continue
        style = (para.style.name or "").lower() if para.style is not None else ""
        level = re.match(r"heading (\d)", style)
        blocks.append(f"{'#' * int(level.group(1))} {text}" if level else text)
    for table in document.tables:
        for i, row in enumerate(table.rows):
            cells = [c.text.strip().replace("\n", " ") for c in row.cells]
            blocks.append("| " + " | ".join(cells) + " |")
            if i == 0:
                blocks.append("|" + "---|" * len(cells))
    props = document.core_properties
    fields = {}
    if props.title:
        fields["tieu_de"] = props.title
    body = _require_text("\n\n".join(blocks), source)
    return LoadedDocument(meta=_meta(fields, body, source), body=body)


def _load_pdf(path: Path, source: str) -> LoadedDocument:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    pages = [(page.extract_text() or "") for page in reader.pages]
    text = "\n\n".join(pages)
    if not re.search(r"\w", text):
        raise LoadError(f"Tệp {source}: PDF không có lớp chữ (bản scan?) nên không trích được nội dung.")
    fields = {}
    info = reader.metadata
    if info and info.title:
        fields["tieu_de"] = str(info.title)
    body = _require_text(_join_pdf_lines(text), source)
    return LoadedDocument(meta=_meta(fields, body, source), body=body)


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
            and not re.match(r"^([IVX]+\.|\d+\.|[a-zđ]\)|-|•)", line)
        ):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return "\n\n".join(p for p in out if p)


def _load_html(path: Path, source: str) -> LoadedDocument:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_read_utf8(path), "html.parser")
    for tag in soup(["script", "style", "nav", "header", "footer", "noscript"]):
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
    return LoadedDocument(meta=_meta(fields, body, source), body=body)


def extract_number(text: str) -> str | None:
    """The document's own number: "Số 221-KL/TW" / "Số: 624/TB-VPCP" near the top, else the first full number."""
    head = text[:1500]
    m = re.search(r"Số[:\s]+(\S+)", head)
    if m:
        cand = DOC_NUMBER_RE.search(m.group(1))
        if cand:
            return cand.group(1)
    m = DOC_NUMBER_RE.search(head)
    return m.group(1) if m else None


def extract_date(text: str) -> str | None:
    """The first "ngày 28 tháng 11 năm 2025" (or "ngày 28/11/2025") in the first part of the text, as ISO."""
    head = text[:2000]
    for rx in (_DATE_WORDS_RE, _DATE_NUM_RE):
        m = rx.search(head)
        if m:
            try:
                return date(int(m.group(3)), int(m.group(2)), int(m.group(1))).isoformat()
            except ValueError:
                continue
    return None


def _meta(fields: dict[str, str], body: str, source: str) -> DocumentMeta:
    doc_type = fields.get("loai")
    # an article's body cites many documents; only its curated front matter may say which one it is about
    number = fields.get("so_hieu") or (None if doc_type == "Bài viết" else extract_number(body))
    if not doc_type and number:
        doc_type = _TYPE_WORDS.get(kind_of_number(number) or "")
    iso = fields.get("ngay_ban_hanh") or extract_date(body)
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
    )


def _first_line(body: str) -> str:
    for line in body.split("\n"):
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:200]
    return ""
