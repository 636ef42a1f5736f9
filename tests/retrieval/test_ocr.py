"""Scanned PDFs: a PDF made only of page images, rendered from known Vietnamese text, is read back by OCR."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from retrieval import ocr
from retrieval.loaders import LoadError, load

LINES = [
    "BAN CHẤP HÀNH TRUNG ƯƠNG",
    "Số 45-KL/TW",
    "Hà Nội, ngày 12 tháng 3 năm 2026",
    "KẾT LUẬN",
    "Về đẩy mạnh chuyển đổi số ở cấp xã",
    "1. Giao Ủy ban nhân dân cấp tỉnh chỉ đạo hoàn thành số hóa",
    "hồ sơ, thủ tục hành chính trước ngày 30 tháng 6 năm 2026.",
    "2. Sở Nội vụ chủ trì, phối hợp với các sở, ngành rà soát biên",
    "chế, bảo đảm mỗi xã có ít nhất hai công chức am hiểu công nghệ.",
    "3. Định kỳ hằng quý báo cáo kết quả thực hiện về Văn phòng.",
]

needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None or ocr.ocr_status() is not None,
    reason="Tesseract with the Vietnamese model is not installed (sudo apt-get install tesseract-ocr tesseract-ocr-vie)",
)


def _scanned_pdf(path: Path, lines: list[str]) -> None:
    """Draw the lines with DejaVuSans (bundled with matplotlib, has Vietnamese glyphs) on an A4 page image at
    200 dpi and save the image alone as a PDF: no text layer at all."""
    import matplotlib
    from PIL import Image, ImageDraw, ImageFont

    font_path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    font = ImageFont.truetype(str(font_path), 34)
    page = Image.new("RGB", (1654, 2339), "white")
    draw = ImageDraw.Draw(page)
    y = 150
    for line in lines:
        draw.text((120, y), line, font=font, fill="black")
        y += 62
    page.save(path, "PDF", resolution=200)


def _accuracy(expected: str, got: str) -> float:
    a = " ".join(expected.split())
    b = " ".join(got.split())
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


@needs_tesseract
@pytest.mark.slow
def test_scanned_pdf_is_read_by_ocr_with_95_percent_character_accuracy(tmp_path: Path):
    f = tmp_path / "scan.pdf"
    _scanned_pdf(f, LINES)
    from pypdf import PdfReader

    assert not (PdfReader(str(f)).pages[0].extract_text() or "").strip()  # really no text layer
    doc = load(f, "scan.pdf")
    assert doc.ocr_pages == (1,)
    acc = _accuracy("\n".join(LINES), doc.body)
    assert acc >= 0.95, (acc, doc.body)
    assert doc.meta.doc_number == "45-KL/TW" and doc.meta.date == "2026-03-12"


def test_without_tesseract_the_file_is_reported_with_the_install_command(tmp_path: Path, monkeypatch):
    import pytesseract

    f = tmp_path / "scan.pdf"
    _scanned_pdf(f, LINES[:2])
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(tmp_path / "khong-co-tesseract"))
    ocr._languages.cache_clear()
    try:
        with pytest.raises(LoadError) as info:
            load(f, "scan.pdf")
    finally:
        ocr._languages.cache_clear()
    msg = str(info.value)
    assert "scan.pdf" in msg and "Tesseract" in msg and ocr.INSTALL_COMMAND in msg
