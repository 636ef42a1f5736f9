"""Each loader on small files the tests generate: docx, pdf, html, md with and without front matter, seed txt."""

from pathlib import Path

import pytest

from retrieval.loaders import LoadError, extract_date, extract_number, load

BODY = "BAN CHẤP HÀNH TRUNG ƯƠNG\n\nSố 99-KL/TW\n\nHà Nội, ngày 5 tháng 3 năm 2026\n\nNội dung kết luận về chuyển đổi số."


def test_markdown_with_front_matter(tmp_path: Path):
    f = tmp_path / "kl.md"
    f.write_text(
        '---\nso_hieu: "221-KL/TW"\nloai: "Kết luận"\nngay_ban_hanh: "2025-11-28"\ntieu_de: "Kết luận về chính quyền 2 cấp"\n---\n\n# Nội dung\n\nVăn bản.\n',
        encoding="utf-8",
    )
    doc = load(f, "kl.md")
    assert doc.meta.doc_number == "221-KL/TW" and doc.meta.doc_type == "Kết luận"
    assert doc.meta.date == "2025-11-28" and doc.meta.title == "Kết luận về chính quyền 2 cấp"
    assert doc.body.startswith("# Nội dung")


def test_markdown_without_front_matter_takes_number_and_date_from_text(tmp_path: Path):
    f = tmp_path / "x.md"
    f.write_text(BODY, encoding="utf-8")
    doc = load(f, "x.md")
    assert doc.meta.doc_number == "99-KL/TW"
    assert doc.meta.doc_type == "Kết luận"
    assert doc.meta.date == "2026-03-05"


def test_nfd_file_is_normalised_to_nfc(tmp_path: Path):
    import unicodedata

    f = tmp_path / "nfd.md"
    f.write_text(unicodedata.normalize("NFD", BODY), encoding="utf-8")
    assert load(f, "nfd.md").body == unicodedata.normalize("NFC", BODY)


def test_seed_txt_header_and_source_line(tmp_path: Path):
    f = tmp_path / "seed.txt"
    f.write_text(
        " date 2026-01-16 Sở Nội vụ triển khai nhiệm vụ năm 2026\n\nNội dung bài viết.\nNguồn Thanh Hóa: http://example.vn/bai-viet.htm\n",
        encoding="utf-8",
    )
    doc = load(f, "seed.txt")
    assert doc.meta.title == "Sở Nội vụ triển khai nhiệm vụ năm 2026"
    assert doc.meta.date == "2026-01-16" and doc.meta.doc_type == "Bài viết"
    assert doc.meta.url == "http://example.vn/bai-viet.htm"
    assert "Nguồn" not in doc.body


def test_docx(tmp_path: Path):
    import docx

    d = docx.Document()
    d.core_properties.title = "Công văn thử"
    d.add_paragraph("Số: 123/UBND-VP")
    d.add_heading("I. Mục tiêu", level=1)
    d.add_paragraph("Hoàn thành chuyển đổi số cấp xã trước ngày 31/12/2026.")
    t = d.add_table(rows=2, cols=2)
    t.cell(0, 0).text, t.cell(0, 1).text = "Việc", "Hạn"
    t.cell(1, 0).text, t.cell(1, 1).text = "Báo cáo", "15/12/2026"
    f = tmp_path / "cv.docx"
    d.save(f)
    doc = load(f, "cv.docx")
    assert doc.meta.title == "Công văn thử" and doc.meta.doc_number == "123/UBND-VP"
    assert "# I. Mục tiêu" in doc.body and "| Báo cáo | 15/12/2026 |" in doc.body


def test_pdf_with_text_layer(tmp_path: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(8.27, 11.69))
    fig.text(0.1, 0.9, "Số 45-NQ/TW", fontsize=12)
    fig.text(0.1, 0.85, "Nghị quyết về phát triển văn hóa.", fontsize=12)
    f = tmp_path / "nq.pdf"
    fig.savefig(f, format="pdf")
    plt.close(fig)
    doc = load(f, "nq.pdf")
    assert "phát triển văn hóa" in doc.body
    assert doc.meta.doc_number == "45-NQ/TW"


def test_html(tmp_path: Path):
    f = tmp_path / "tb.html"
    f.write_text(
        "<html><head><title>Thông báo 7/TB-VP</title><script>var x=1;</script></head><body>"
        "<nav>menu</nav><h2>1. Kết luận</h2><p>Giao Sở Nội vụ chủ trì &amp; báo cáo.</p>"
        "<table><tr><td>Việc</td><td>Hạn</td></tr></table></body></html>",
        encoding="utf-8",
    )
    doc = load(f, "tb.html")
    assert doc.meta.title == "Thông báo 7/TB-VP"
    assert "## 1. Kết luận" in doc.body and "Giao Sở Nội vụ chủ trì & báo cáo." in doc.body
    assert "var x" not in doc.body and "menu" not in doc.body


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("hong.docx", b"day khong phai docx"),
        ("hong.pdf", b"%PDF-1.4 garbage"),
        ("nhi-phan.md", b"\x00\x01\x02\xff\xfe"),
        ("rong.md", b"   \n\n"),
        ("sai.md", "---\nso_hieu: [chưa đóng\n---\nNội dung".encode()),
    ],
)
def test_corrupt_files_raise_a_vietnamese_error_naming_the_file(tmp_path: Path, name, content):
    f = tmp_path / name
    f.write_bytes(content)
    with pytest.raises(LoadError) as info:
        load(f, name)
    assert name in str(info.value) and "Tệp" in str(info.value)


def test_unsupported_suffix(tmp_path: Path):
    f = tmp_path / "bang.xls"
    f.write_bytes(b"x")
    with pytest.raises(LoadError, match="chưa được hỗ trợ"):
        load(f, "bang.xls")


def test_extractors():
    assert extract_number("Số: 624/TB-VPCP\nHà Nội") == "624/TB-VPCP"
    assert extract_date("Hà Nội, ngày 28/11/2025") == "2025-11-28"
    assert extract_date("không có ngày") is None
