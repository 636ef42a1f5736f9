"""The chunker: sentences whole, section paths right, sizes bounded."""

from pathlib import Path

import pytest

from retrieval.chunking import MAX_TOKENS, chunk_document, estimate_tokens, split_sentences
from retrieval.loaders import load

SAMPLE = """Mở đầu ngắn của văn bản.

## I- QUAN ĐIỂM CHỈ ĐẠO

1. Quan điểm thứ nhất về phát triển khoa học. Câu thứ hai của quan điểm.

2. Quan điểm thứ hai.

## II- MỤC TIÊU

### 1. Đến năm 2030

- Kinh phí chi cho nghiên cứu phát triển đạt 2% GDP.

### 2. Tầm nhìn đến năm 2045

- Việt Nam trở thành nước phát triển, thu nhập cao.

## Chương I

### QUY ĐỊNH CHUNG

### Điều 3. Giải thích từ ngữ

1. Doanh nghiệp khởi nghiệp sáng tạo là doanh nghiệp mới.

a) Điểm a của khoản 1.
"""


def test_section_paths_follow_headings():
    chunks = chunk_document(SAMPLE, soft_tokens=0)
    by_text = {c.text.splitlines()[-1]: c for c in chunks}
    c2030 = by_text["- Kinh phí chi cho nghiên cứu phát triển đạt 2% GDP."]
    assert c2030.section == "II- MỤC TIÊU › 1. Đến năm 2030"
    assert c2030.section_ref == "II.1"
    c2045 = by_text["- Việt Nam trở thành nước phát triển, thu nhập cao."]
    assert c2045.section.endswith("2. Tầm nhìn đến năm 2045")
    dieu = by_text["a) Điểm a của khoản 1."]
    assert dieu.section.startswith("Chương I. QUY ĐỊNH CHUNG › Điều 3. Giải thích từ ngữ")
    assert dieu.section_ref == "Điều 3, khoản 1, điểm a"


def test_small_sibling_sections_are_packed_together():
    chunks = chunk_document(SAMPLE)
    quan_diem = [c for c in chunks if "Quan điểm thứ nhất" in c.text]
    assert len(quan_diem) == 1 and "Quan điểm thứ hai" in quan_diem[0].text
    assert quan_diem[0].section == "I- QUAN ĐIỂM CHỈ ĐẠO"


def test_long_paragraph_split_at_sentence_boundaries():
    sentences = [
        f"Câu số {i} nói về chuyển đổi số và đổi mới sáng tạo trong cơ quan nhà nước." for i in range(80)
    ]
    chunks = chunk_document("## I. Nội dung\n\n" + " ".join(sentences))
    assert len(chunks) > 1
    for c in chunks:
        assert estimate_tokens(c.text) <= MAX_TOKENS
        for piece in split_sentences(c.text):
            assert piece in sentences  # every sentence kept whole


def test_table_pieces_keep_header_row():
    rows = "\n".join(
        f"| {i} | Nhiệm vụ số {i} về chuyển đổi số cấp xã | Sở KH&CN | Quý {i % 4 + 1}/2026 |"
        for i in range(60)
    )
    body = "## Phụ lục\n\n| STT | Nhiệm vụ | Chủ trì | Thời hạn |\n|---|---|---|---|\n" + rows
    chunks = chunk_document(body)
    assert len(chunks) > 1
    assert all(c.text.startswith("| STT | Nhiệm vụ | Chủ trì | Thời hạn |") for c in chunks)


@pytest.mark.parametrize("path", sorted(Path("corpus").rglob("*.md")) + sorted(Path("corpus").rglob("*.txt")))
def test_real_corpus_chunks_fit_the_model(path):
    if path.name == "README.md":
        pytest.skip("folder description, not a document")
    doc = load(path, path.name)
    chunks = chunk_document(doc.body)
    assert chunks
    assert max(estimate_tokens(c.text) for c in chunks) <= MAX_TOKENS
