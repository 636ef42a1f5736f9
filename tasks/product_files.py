"""Products handed in for a task: what is accepted, and where the files are kept.

Why apart from the use cases (`tasks.workflow`): the checks (size, type, not a program) and the storage by
content hash are file handling, tested on their own; the workflow only decides who may hand in and what the
task becomes. Files go under the data folder as `products/<2 hex>/<sha256><suffix>`: the same content is kept
once however often it is sent, and a half-written file is never visible (written to a temporary name, then
renamed).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from tasks.models import TaskProduct
from tasks.normalize import nfc

MAX_PRODUCT_BYTES = 20 * 1024 * 1024  # the Bot API's download limit (20 MB)
MAX_TEXT = 4000  # a Telegram message
# What may be handed in as a file: office documents, PDFs, images, archives of them. Anything else (programs,
# scripts) is refused: products are opened by leaders on office machines.
ALLOWED_EXTENSIONS = frozenset(
    [
        ".pdf",
        ".doc",
        ".docx",
        ".odt",
        ".rtf",
        ".txt",
        ".md",
        ".xls",
        ".xlsx",
        ".ods",
        ".csv",
        ".ppt",
        ".pptx",
        ".odp",
        ".jpg",
        ".jpeg",
        ".png",
        ".gif",
        ".webp",
        ".heic",
        ".tif",
        ".tiff",
        ".zip",
        ".rar",
        ".7z",
    ]
)
_EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"#!")


@dataclass(frozen=True)
class ProductItem:
    """One thing to hand in. `kind`: "file" | "photo" (with `data`, the bytes, and `name`, the file name) |
    "text" (with `text`) | "link" (with `text`, an http(s) address). `mime_type` as Telegram reports it."""

    kind: str
    name: str = ""
    data: bytes | None = None
    text: str | None = None
    mime_type: str | None = None


def _file_problem(item: ProductItem) -> str | None:
    data = item.data or b""
    shown = item.name or ("ảnh" if item.kind == "photo" else "tệp")
    if not data:
        return f"Tệp “{shown}” rỗng."
    if len(data) > MAX_PRODUCT_BYTES:
        return f"Tệp “{shown}” nặng {len(data) / 1024 / 1024:.1f} MB; tối đa {MAX_PRODUCT_BYTES // 1024 // 1024} MB."
    if problem := upload_problem(item.name, item.kind):
        return problem
    if data.startswith(_EXECUTABLE_MAGIC):
        return f"Không nhận tệp “{shown}”: đây là chương trình chạy được, không phải sản phẩm."
    return None


def upload_problem(name: str, kind: str) -> str | None:
    """The type check by name alone (`kind` "file" | "photo"): what a chat front end can refuse before
    downloading a file it was told about. None when the name is acceptable."""
    shown = name or ("ảnh" if kind == "photo" else "tệp")
    suffix = Path(name).suffix.casefold() if name else (".jpg" if kind == "photo" else "")
    if suffix not in ALLOWED_EXTENSIONS:
        return (
            f"Không nhận tệp “{shown}”: chỉ nhận văn bản (PDF, Word, Excel, PowerPoint…), ảnh và tệp nén. "
            "Hãy gửi lại đúng loại tệp."
        )
    return None


def _store_file(data_dir: Path, data: bytes, suffix: str) -> tuple[str, str]:
    """Write `data` under `data_dir/products/<2 hex>/<sha256><suffix>` (once; atomically). → (sha, rel path)."""
    sha = hashlib.sha256(data).hexdigest()
    relative = Path("products") / sha[:2] / f"{sha}{suffix}"
    target = data_dir / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return sha, relative.as_posix()


def _link_ok(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in value


def product_rows(items: list[ProductItem], data_dir: Path) -> list[TaskProduct] | str:
    """The rows for `items` (files written under `data_dir`), or the first problem as a Vietnamese sentence."""
    for item in items:
        if item.kind in ("file", "photo"):
            if problem := _file_problem(item):
                return problem
        elif item.kind == "text":
            body = (item.text or "").strip()
            if not body:
                return "Nội dung sản phẩm đang để trống."
            if len(body) > MAX_TEXT:
                return f"Nội dung dài {len(body)} ký tự; tối đa {MAX_TEXT}. Hãy gửi thành tệp."
        elif item.kind == "link":
            if not _link_ok((item.text or "").strip()):
                return f"Đường dẫn “{(item.text or '').strip()}” không hợp lệ (cần bắt đầu bằng http:// hoặc https://)."
        else:
            return f"Không nhận loại sản phẩm “{item.kind}”."
    rows: list[TaskProduct] = []
    for item in items:
        if item.kind in ("file", "photo"):
            data = item.data or b""
            suffix = Path(item.name).suffix.casefold() if item.name else ".jpg"
            sha, relative = _store_file(data_dir, data, suffix)
            name = nfc(item.name) or ("Ảnh" if item.kind == "photo" else "Tệp")
            rows.append(TaskProduct(kind=item.kind, name=name, size=len(data), sha256=sha, path=relative,
                                    mime_type=item.mime_type))  # fmt: skip
        else:
            body = nfc(item.text or "")
            name = body if item.kind == "link" else (body.splitlines()[0][:80] if body else "Văn bản")
            rows.append(TaskProduct(kind=item.kind, name=name, size=len(body.encode()), body=body))
    return rows
