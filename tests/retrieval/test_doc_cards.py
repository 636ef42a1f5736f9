"""Document cards: signature blocks of every administrative format, and every shipped document's card checked
against its front matter and its text (front matter wins, parsing fills gaps, nothing guessed)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from retrieval.doc_cards import build_card, parse_recipients, parse_signature, proper_case
from retrieval.loaders import load

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus"

# (signature block at the end of a body, name, mode, on behalf of, own title, capacity)
SIGNATURES = [
    # Party: Politburo, Secretariat, provincial committee
    ("T/M BỘ CHÍNH TRỊ\n\nTrần Cẩm Tú", "Trần Cẩm Tú", "T/M", "Bộ Chính trị", None, "Thay mặt Bộ Chính trị"),
    (
        "T/M BAN BÍ THƯ\n\nTHƯỜNG TRỰC BAN BÍ THƯ\n\nTrần Cẩm Tú",
        "Trần Cẩm Tú",
        "T/M",
        "Ban Bí thư",
        "Thường trực Ban Bí thư",
        "Thường trực Ban Bí thư, thay mặt Ban Bí thư",
    ),
    (
        "T/M BAN THƯỜNG VỤ\n\nBÍ THƯ\n\nNguyễn Văn Thành",
        "Nguyễn Văn Thành",
        "T/M",
        "Ban thường vụ",
        "Bí thư",
        "Bí thư, thay mặt Ban thường vụ",
    ),
    # Government
    (
        "KT. THỦ TƯỚNG\n\nPHÓ THỦ TƯỚNG\n\nHồ Quốc Dũng",
        "Hồ Quốc Dũng",
        "KT",
        "Thủ tướng",
        "Phó Thủ tướng",
        "Phó Thủ tướng, ký thay Thủ tướng",
    ),
    ("THỦ TƯỚNG\n\nPhạm Minh Chính", "Phạm Minh Chính", None, None, "Thủ tướng", "Thủ tướng"),
    (
        "KT. BỘ TRƯỞNG, CHỦ NHIỆM\n\nPHÓ CHỦ NHIỆM\n\nNguyễn Sỹ Hiệp",
        "Nguyễn Sỹ Hiệp",
        "KT",
        "Bộ trưởng, Chủ nhiệm",
        "Phó Chủ nhiệm",
        "Phó Chủ nhiệm, ký thay Bộ trưởng, Chủ nhiệm",
    ),
    # Ministry
    (
        "TL. BỘ TRƯỞNG\n\nCHÁNH VĂN PHÒNG\n\nLê Thị Hoa",
        "Lê Thị Hoa",
        "TL",
        "Bộ trưởng",
        "Chánh Văn phòng",
        "Chánh Văn phòng, thừa lệnh Bộ trưởng",
    ),
    ("BỘ TRƯỞNG\n\n(Đã ký)\n\nNguyễn Văn Hùng", "Nguyễn Văn Hùng", None, None, "Bộ trưởng", "Bộ trưởng"),
    # Province
    (
        "TM. ỦY BAN NHÂN DÂN\n\nCHỦ TỊCH\n\nĐỗ Minh Tuấn",
        "Đỗ Minh Tuấn",
        "T/M",
        "Ủy ban nhân dân",
        "Chủ tịch",
        "Chủ tịch, thay mặt Ủy ban nhân dân",
    ),
    (
        "TUQ. CHỦ TỊCH\n\nGIÁM ĐỐC SỞ NỘI VỤ\n\nLê Văn An",
        "Lê Văn An",
        "TUQ",
        "Chủ tịch",
        "Giám đốc Sở Nội vụ",
        "Giám đốc Sở Nội vụ, thừa ủy quyền Chủ tịch",
    ),
    # Commune
    (
        "TM. ỦY BAN NHÂN DÂN XÃ TÂN LẬP\n\nKT. CHỦ TỊCH\n\nPHÓ CHỦ TỊCH\n\nHoàng Thị Mai",
        "Hoàng Thị Mai",
        "KT",
        "Chủ tịch",
        "Phó Chủ tịch",
        "Phó Chủ tịch, ký thay Chủ tịch",
    ),
    (
        "TM. ỦY BAN NHÂN DÂN PHƯỜNG HẠC THÀNH\n\nCHỦ TỊCH\n\nVũ Đức Long",
        "Vũ Đức Long",
        "T/M",
        "Ủy ban nhân dân phường Hạc Thành",
        "Chủ tịch",
        "Chủ tịch, thay mặt Ủy ban nhân dân phường Hạc Thành",
    ),
]

NOI_NHAN = "Nơi nhận:\n\n- Như trên;\n\n- Lưu: VT, VP.\n\n"


@pytest.mark.parametrize(("block", "name", "mode", "on_behalf", "title", "capacity"), SIGNATURES)
def test_signature_blocks(block, name, mode, on_behalf, title, capacity):
    body = f"Số: 12/UBND-VP\n\nNội dung văn bản do ông Nguyễn Văn Bình trình bày.\n\n{NOI_NHAN}{block}"
    sig = parse_signature(body)
    assert sig is not None
    assert (sig.name, sig.mode, sig.on_behalf, sig.title) == (name, mode, on_behalf, title)
    assert sig.capacity() == capacity


def test_signature_before_an_annex_is_found_and_a_name_in_a_sentence_is_not_a_signer():
    body = f"Nội dung.\n\n{NOI_NHAN}KT. BỘ TRƯỞNG\n\nTHỨ TRƯỞNG\n\nLê Hải\n\n## PHỤ LỤC\n\n| 1 | Việc | Hạn |"
    assert parse_signature(body).name == "Lê Hải"
    assert parse_signature("Đồng chí Trần Cẩm Tú phát biểu.\n\nNghị quyết này phổ biến đến chi bộ.") is None
    assert parse_signature("Hội nghị thống nhất.\n\nNơi nhận:\n\n- Như trên.") is None


def test_recipients():
    assert parse_recipients(f"Nội dung.\n\n{NOI_NHAN}T/M BỘ CHÍNH TRỊ\n\nTrần Cẩm Tú") == [
        "Như trên",
        "Lưu: VT, VP",
    ]
    assert parse_recipients("Không có nơi nhận.") == []


@given(st.text(alphabet="ABCDEGHIKLMNOPQRSTUVXYĐÂĂÊÔƠƯÁÀẢÃẠẾỀỂỄỆỐỒỔỖỘỚỜỞỠỢỨỪỬỮỰ ,", max_size=60))
def test_proper_case_keeps_letters_and_is_idempotent(text):
    out = proper_case(text)
    assert out.lower() == " ".join(text.split()).lower()
    assert proper_case(out) == out


def _front_matter(path: Path) -> dict:
    m = re.match(r"\A---\s*\n(.*?)\n---\s*\n", path.read_text(encoding="utf-8"), re.DOTALL)
    return yaml.safe_load(m.group(1)) if m else {}


SHIPPED = sorted(p for p in CORPUS.glob("*.md") if p.name != "README.md")


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_document_card_agrees_with_front_matter_and_text(path: Path):
    fm = {k: str(v) for k, v in _front_matter(path).items()}
    doc = load(path, path.name)
    card = build_card(doc.meta, doc.fields, doc.body)
    if fm.get("loai") == "Bài viết":
        # an article: its own date or none, never the covered document's; it is about its so_hieu
        assert card.date == fm.get("ngay_dang")
        assert card.doc_number is None and card.signer is None
        assert set(card.about) == {s.strip() for s in fm["so_hieu"].split(",")}
        return
    assert card.doc_number == fm["so_hieu"]
    assert card.doc_type == fm["loai"]
    assert card.issuer == fm.get("co_quan") or (card.issuer is None and "co_quan" not in fm)
    # the date: the front matter's, else none (never a meeting date or a quoted document's date)
    assert card.date == fm.get("ngay_ban_hanh")
    assert card.title == fm["tieu_de"]
    if card.signer:
        # a signer is a name standing on its own line of the text, after a signing line
        assert re.search(rf"^{re.escape(card.signer)}$", doc.body, re.MULTILINE)
    if card.date:
        d = card.date.split("-")
        stated = (
            f"ngày {int(d[2]):02d} tháng {int(d[1])} năm {d[0]}",
            f"ngày {int(d[2])} tháng {int(d[1])} năm {d[0]}",
        )
        # a date parsed from the text must be in the text; a front-matter date may come from the source page
        if "ngay_ban_hanh" not in fm:
            assert any(s in doc.body for s in stated)


EXPECTED_SIGNERS = {
    "kl-221-KL-TW-2025-11-28.md": ("Trần Cẩm Tú", "Thay mặt Bộ Chính trị"),
    "tb-627-TB-VPCP-2025.md": ("Nguyễn Sỹ Hiệp", "Phó Chủ nhiệm, ký thay Bộ trưởng, Chủ nhiệm"),
    "tb-659-TB-VPCP-2025.md": ("Đỗ Ngọc Huỳnh", "Phó Chủ nhiệm, ký thay Bộ trưởng, Chủ nhiệm"),
    "tb-624-TB-VPCP-2025.md": ("Phạm Mạnh Cường", "Phó Chủ nhiệm, ký thay Bộ trưởng, Chủ nhiệm"),
    "cv-6225-BVHTTDL-VP-2025.md": ("Nguyễn Văn Hùng", "Bộ trưởng"),
    "nq-57-NQ-TW-2024-12-22.md": (None, None),
    "nq-198-2025-QH15.md": (None, None),
    "kl-127-KL-TW-2025-02-28.md": (None, None),
}


@pytest.mark.parametrize(("name", "expected"), EXPECTED_SIGNERS.items())
def test_shipped_signers(name, expected):
    doc = load(CORPUS / name, name)
    card = build_card(doc.meta, doc.fields, doc.body)
    assert (card.signer, card.signer_capacity) == expected


def test_article_is_never_dated_by_a_document_it_quotes():
    name = "bai-viet-ct-26-CT-TTg.md"
    doc = load(CORPUS / name, name)
    assert doc.meta.date is None  # 15/9/2025 is Chỉ thị 26's date, not the article's
    assert _front_matter(CORPUS / name)["ngay_ban_hanh"] == "2025-09-15"


def test_effective_sentence():
    doc = load(CORPUS / "nq-198-2025-QH15.md", "nq-198-2025-QH15.md")
    card = build_card(doc.meta, doc.fields, doc.body)
    assert card.effective == "Nghị quyết này có hiệu lực thi hành từ ngày được Quốc hội thông qua."


@given(st.text(max_size=400))
def test_signature_parsing_never_invents_a_name(text):
    sig = parse_signature(text)
    if sig is not None:
        lines = [ln.strip().lstrip("#").strip() for ln in text.split("\n")]
        assert sig.name in lines  # the signer is a line of the text, never assembled
    assert isinstance(parse_recipients(text), list)


# -- cards of ingested files: the trích yếu after the type line, nothing guessed ---------------------------

DOCX_HEAD = [
    "ỦY BAN NHÂN DÂN XÃ HÒA BÌNH",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "Số: 15/QĐ-UBND",
    "Hòa Bình, ngày 3 tháng 3 năm 2027",
    "QUYẾT ĐỊNH",
    "Tổ chức Ngày hội đọc sách xã Hòa Bình năm 2027",
    "CHỦ TỊCH ỦY BAN NHÂN DÂN XÃ HÒA BÌNH",
    "Căn cứ Luật Tổ chức chính quyền địa phương năm 2025;",
    "QUYẾT ĐỊNH:",
    "Điều 1. Tổ chức Ngày hội đọc sách vào ngày 21/4/2027.",
]


def test_docx_title_is_the_line_after_the_type_line_not_the_issuer(tmp_path: Path):
    import docx

    d = docx.Document()
    for line in DOCX_HEAD:
        d.add_paragraph(line)
    d.save(tmp_path / "qd-15.docx")
    doc = load(tmp_path / "qd-15.docx", "qd-15.docx")
    card = build_card(doc.meta, doc.fields, doc.body)
    assert card.title == "Tổ chức Ngày hội đọc sách xã Hòa Bình năm 2027"
    assert card.doc_type == "Quyết định" and card.issuer == "Ủy ban nhân dân xã Hòa Bình"


@pytest.mark.parametrize(
    ("lines", "doc_type", "title"),
    [
        (
            ["UBND XÃ A", "THÔNG BÁO", "Lịch tiếp công dân tháng 5", "1. Nội dung"],
            "Thông báo",
            "Lịch tiếp công dân tháng 5",
        ),
        (
            ["SỞ NỘI VỤ", "KẾ HOẠCH", "TRIỂN KHAI CHUYỂN ĐỔI SỐ", "Căn cứ…"],
            "Kế hoạch",
            "Triển khai chuyển đổi số",
        ),
        (
            ["BỘ Y TẾ", "Số: 12/BYT-VP", "V/v báo cáo tiêm chủng", "Kính gửi: Sở Y tế"],
            "Công văn",
            "báo cáo tiêm chủng",
        ),
        (
            ["UBND XÃ B", "Về việc cử cán bộ dự tập huấn", "Kính gửi: Phòng Nội vụ"],
            "Công văn",
            "Về việc cử cán bộ dự tập huấn",
        ),
        (
            ["QUYẾT ĐỊNH", "Về việc thành lập Tổ công tác", "rà soát hồ sơ đất đai", "Căn cứ Luật Đất đai;"],
            "Quyết định",
            "Về việc thành lập Tổ công tác rà soát hồ sơ đất đai",
        ),
        (
            ["QUYẾT ĐỊNH Về việc thành lập Tổ công tác", "Căn cứ Luật Đất đai;"],
            "Quyết định",
            "Về việc thành lập Tổ công tác",
        ),
    ],
)
def test_subject_after_the_type_line(lines, doc_type, title):
    from retrieval.doc_cards import parse_subject

    assert parse_subject("\n\n".join(lines)) == (doc_type, title)


def test_scanned_pdf_text_gives_its_card_not_the_file_name():
    """OCR text arrives as lines; header lines stay apart, so the card is read as from any other text."""
    from retrieval.loaders import _join_pdf_lines, _meta

    ocr = (
        "ỦY BAN NHÂN DÂN XÃ HÒA BÌNH\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"
        "Số: 7/QĐ-UBND\nHòa Bình, ngày 2 tháng 3 năm 2027\nQUYẾT ĐỊNH\nVề việc thành lập Tổ công tác\n"
        "rà soát hồ sơ đất đai\nCăn cứ Luật Đất đai năm 2024;\n"
    )
    body = _join_pdf_lines(ocr)
    meta = _meta({}, body, "quyet-dinh-scan.pdf")
    card = build_card(meta, {}, body)
    assert card.title == "Về việc thành lập Tổ công tác rà soát hồ sơ đất đai"
    assert (card.doc_type, card.doc_number, card.date) == ("Quyết định", "7/QĐ-UBND", "2027-03-02")
    assert card.issuer == "Ủy ban nhân dân xã Hòa Bình"


def test_plain_txt_without_front_matter_is_not_guessed_an_article(tmp_path: Path):
    (tmp_path / "ghi-chu.txt").write_text(
        "Ghi chú cuộc họp giao ban\n\nXã triển khai cấp tài khoản định danh điện tử cho người dân.\n",
        encoding="utf-8",
    )
    doc = load(tmp_path / "ghi-chu.txt", "ghi-chu.txt")
    card = build_card(doc.meta, doc.fields, doc.body)
    assert card.doc_type is None and not card.is_article
    assert "Ghi chú cuộc họp giao ban" in doc.body  # the first line stays content
