"""Metadata questions: which card field a question asks for, and the one-sentence answers (no index needed)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retrieval.doc_cards import DocumentCard
from retrieval.metadata_answers import (
    DATE,
    EFFECTIVE,
    ISSUER,
    SIGNER,
    SUBJECT,
    answer_metadata,
    metadata_field,
)
from retrieval.textnorm import fold


@pytest.mark.parametrize(
    ("question", "field"),
    [
        ("Kết luận 221-KL/TW do ai ký?", SIGNER),
        ("KL 221 ai ký thay mặt Bộ Chính trị?", SIGNER),
        ("người ký thông báo 627 là ai", SIGNER),
        ("ai la nguoi ky tb 659", SIGNER),
        ("NQ 57 ban hành ngày nào?", DATE),
        ("nq 57 ban hanh khi nao", DATE),
        ("ngày ban hành của KL 221", DATE),
        ("Cơ quan nào ban hành Thông báo 624?", ISSUER),
        ("tb 624 do co quan nao ban hanh", ISSUER),
        ("NQ 198 về việc gì?", SUBJECT),
        ("nội dung chính của KL 127", SUBJECT),
        ("TB 659 là thông báo kết luận của đồng chí lãnh đạo nào?", SUBJECT),  # its title says whose
        ("tb 627 do ai ket luan", SUBJECT),
        ("NQ 66 của BCT ban hành ngày mấy?", DATE),
        ("NQ 198 có hiệu lực từ khi nào?", EFFECTIVE),
        ("nghi quyet 198 hieu luc tu ngay nao", EFFECTIVE),
    ],
)
def test_metadata_field(question, field):
    assert metadata_field(question) == field


@pytest.mark.parametrize(
    "question",
    [
        "NQ 57 đặt mục tiêu gì đến năm 2030?",
        "Nghị quyết 57 nâng cao hiệu lực, hiệu quả quản lý nhà nước thế nào?",
        "kỹ thuật số trong NQ 57",
        "kỷ nguyên mới theo NQ 57",
        "Kỳ họp thứ 9 thông qua NQ 198",
    ],
)
def test_content_questions_are_not_metadata(question):
    assert metadata_field(question) is None


@given(st.text(max_size=60))
def test_field_ignores_diacritics(text):
    assert metadata_field(text) == metadata_field(fold(text))


PARTY = DocumentCard(
    source="kl.md",
    doc_number="221-KL/TW",
    doc_type="Kết luận",
    issuer="Bộ Chính trị, Ban Bí thư",
    date="2025-11-28",
    title="Kết luận của Bộ Chính trị, Ban Bí thư về chính quyền địa phương 2 cấp",
    signer="Trần Cẩm Tú",
    signer_capacity="Thay mặt Bộ Chính trị",
    signing_mode="T/M",
    signing_for="Bộ Chính trị",
    party=True,
)
PROVINCE = DocumentCard(
    source="qd.md",
    doc_number="15/QĐ-UBND",
    doc_type="Quyết định",
    issuer="Ủy ban nhân dân tỉnh Thanh Hóa",
    date=None,
    title="Về việc giao chỉ tiêu biên chế năm 2026",
    signer="Đỗ Minh Tuấn",
    signer_title="Phó Chủ tịch",
    signer_capacity="Phó Chủ tịch, ký thay Chủ tịch",
    signing_mode="KT",
    signing_for="Chủ tịch",
)


def test_sentences():
    a = answer_metadata("q", SIGNER, PARTY, [], "T/M BỘ CHÍNH TRỊ\n\nTrần Cẩm Tú")
    assert a.text == "Kết luận 221-KL/TW do đồng chí Trần Cẩm Tú ký thay mặt Bộ Chính trị, ngày 28/11/2025."
    assert a.grounded and a.citations[0].quote == "T/M BỘ CHÍNH TRỊ\nTrần Cẩm Tú"
    a = answer_metadata("q", SIGNER, PROVINCE, [], "")
    assert a.text == "Quyết định 15/QĐ-UBND do Phó Chủ tịch Đỗ Minh Tuấn ký thay Chủ tịch."
    a = answer_metadata("q", DATE, PROVINCE, [], "")
    assert not a.grounded and a.text.startswith("Bản Quyết định 15/QĐ-UBND trong kho không ghi ngày ban hành")
    a = answer_metadata("q", SUBJECT, PROVINCE, [], "")
    assert (
        a.text
        == "Quyết định 15/QĐ-UBND của Ủy ban nhân dân tỉnh Thanh Hóa về việc giao chỉ tiêu biên chế năm 2026."
    )
    a = answer_metadata("q", ISSUER, PARTY, [], "")
    assert a.text == "Kết luận 221-KL/TW do Bộ Chính trị, Ban Bí thư ban hành, ngày 28/11/2025."
    a = answer_metadata("q", EFFECTIVE, PARTY, [], "")
    assert not a.grounded and "không ghi thời điểm có hiệu lực" in a.text
