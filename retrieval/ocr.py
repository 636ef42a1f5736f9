"""OCR for scanned PDF pages: pypdfium2 renders a page, Tesseract (Vietnamese model) reads it.

Offices receive many documents as scans without a text layer. The loader calls `ocr_pdf_pages` only for the
pages that have no text; the ingest report lists them. Tesseract is a system program (Debian packages
`tesseract-ocr` and `tesseract-ocr-vie`); when it or its Vietnamese model is missing, `OcrUnavailable` says
which command installs it, and the caller reports the file and ingests the rest.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from retrieval.textnorm import nfc

INSTALL_COMMAND = "sudo apt-get install -y tesseract-ocr tesseract-ocr-vie"
LANG = "vie"
DPI = 300  # Tesseract reads 10–12 pt text best at about 300 dpi


class OcrUnavailable(RuntimeError):
    """Tesseract or its Vietnamese model is not installed; the message is Vietnamese and gives the command."""


@lru_cache(maxsize=1)
def _languages() -> tuple[str, ...] | None:
    """Installed Tesseract languages, or None when the program is missing."""
    try:
        import pytesseract

        return tuple(pytesseract.get_languages(config=""))
    except Exception:
        return None


def ocr_status() -> str | None:
    """None when OCR works here; otherwise the Vietnamese reason with the install command."""
    langs = _languages()
    if langs is None:
        return f"PDF là bản scan (không có lớp chữ) nhưng máy chưa cài Tesseract OCR. Cài bằng: {INSTALL_COMMAND}"
    if LANG not in langs:
        return (
            "PDF là bản scan (không có lớp chữ) nhưng Tesseract chưa có mô hình tiếng Việt. "
            f"Cài bằng: {INSTALL_COMMAND}"
        )
    return None


def ocr_image(image) -> str:
    """Text of one PIL image read with the Vietnamese model (NFC, cleaned)."""
    import pytesseract

    return nfc(pytesseract.image_to_string(image, lang=LANG, config="--psm 6"))


def ocr_pdf_pages(path: Path, pages: list[int], *, dpi: int = DPI) -> dict[int, str]:
    """OCR the given 0-based pages of a PDF → {page index: text}.

    Raises `OcrUnavailable` when Tesseract or its Vietnamese model is missing.
    """
    reason = ocr_status()
    if reason:
        raise OcrUnavailable(reason)
    import pypdfium2 as pdfium

    out: dict[int, str] = {}
    pdf = pdfium.PdfDocument(str(path))
    try:
        for i in pages:
            bitmap = pdf[i].render(scale=dpi / 72)
            out[i] = ocr_image(bitmap.to_pil()).strip()
    finally:
        pdf.close()
    return out
