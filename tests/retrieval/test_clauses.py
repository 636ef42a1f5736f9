"""Clause references in questions, and finding exactly that clause in a document's structure."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retrieval.chunking import chunk_document
from retrieval.clauses import ClauseRef, find_clause, format_labels, narrow_labels, outline, parse_clause_ref
from retrieval.loaders import load

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def _body(name: str) -> str:
    return load(CORPUS / name, name).body


@pytest.mark.parametrize(
    ("question", "ref"),
    [
        ("Điều 5 khoản 2 Nghị quyết 198/2025/QH15 quy định gì?", ClauseRef(dieu="5", khoan="2")),
        ("Khoản 4 Điều 10 Nghị quyết 198 miễn thuế cho ai?", ClauseRef(dieu="10", khoan="4")),
        ("dieu 5 khoan 2 nq 198", ClauseRef(dieu="5", khoan="2")),
        ("điểm a khoản 1 Điều 3 NQ 198", ClauseRef(dieu="3", khoan="1", diem="a")),
        ("điểm đ khoản 1 Điều 3 NQ 198", ClauseRef(dieu="3", khoan="1", diem="đ")),
        ("mục II.1 NQ 57", ClauseRef(muc=("II", "1"))),
        ("muc II.1 nq 57", ClauseRef(muc=("II", "1"))),
        ("tiểu mục III.2.1 Nghị quyết 68", ClauseRef(muc=("III", "2", "1"))),
        ("phần III NQ 72", ClauseRef(phan="III")),
        ("Chương IV Nghị quyết 198", ClauseRef(chuong="IV")),
        ("Điều 17 NQ 198", ClauseRef(dieu="17")),
    ],
)
def test_parse_clause_ref(question, ref):
    assert parse_clause_ref(question) == ref


@pytest.mark.parametrize(
    "question",
    [
        "NQ 57 đặt mục tiêu gì đến năm 2030?",
        "mục tiêu của Nghị quyết 57",
        "Điều này quy định gì",
        "NQ 198 có mục vì dân không",
        "điểm a là gì",
        "Kết luận 221-KL/TW do ai ký?",
    ],
)
def test_questions_without_a_clause(question):
    assert parse_clause_ref(question) is None


@given(st.text(max_size=80))
def test_parse_never_crashes(text):
    ref = parse_clause_ref(text)
    assert ref is None or ref.display()


# (document, question, expected start of the clause's text, expected label) — None: the document lacks it
ROUTING = [
    (
        "nq-198-2025-QH15.md",
        "Điều 5 khoản 2 NQ 198",
        "2. Đối với vi phạm, vụ việc về dân sự",
        "Điều 5, khoản 2",
    ),
    (
        "nq-198-2025-QH15.md",
        "khoản 4 Điều 10 NQ 198",
        "4. Miễn thuế thu nhập doanh nghiệp",
        "Điều 10, khoản 4",
    ),
    ("nq-198-2025-QH15.md", "Điều 17 NQ 198", "Điều 17. Điều khoản thi hành", "Điều 17"),
    ("nq-57-NQ-TW-2024-12-22.md", "mục II.1 NQ 57", "1. Đến năm 2030", "mục II.1"),
    ("nq-57-NQ-TW-2024-12-22.md", "mục III NQ 57", "III- NHIỆM VỤ, GIẢI PHÁP", "mục III"),
    ("nq-72-NQ-TW-2025-09-09-phan-III-IV.md", "phần III NQ 72", "Mục III Nghị quyết 72-NQ/TW", "mục III"),
    (
        "nq-72-NQ-TW-2025-09-09-phan-III-IV.md",
        "mục III.2 NQ 72",
        "(2) Kịp thời hoàn thiện thể chế",
        "mục III.2",
    ),
    ("nq-198-2025-QH15.md", "Điều 25 NQ 198", None, None),
    ("nq-198-2025-QH15.md", "khoản 19 Điều 5 NQ 198", None, None),
    ("nq-198-2025-QH15.md", "điểm k khoản 1 Điều 3 NQ 198", None, None),
    ("nq-57-NQ-TW-2024-12-22.md", "mục VI NQ 57", None, None),
    ("nq-72-NQ-TW-2025-09-09-phan-III-IV.md", "phần I NQ 72", None, None),
]


@pytest.mark.parametrize(("name", "question", "start", "label"), ROUTING)
def test_find_clause(name, question, start, label):
    section = find_clause(_body(name), parse_clause_ref(question))
    if start is None:
        assert section is None
        return
    assert section is not None and section.text.startswith(start)
    assert format_labels(section.labels).endswith(label)


def test_a_clause_is_quoted_whole_and_mentions_of_other_clauses_never_match():
    body = _body("nq-198-2025-QH15.md")
    dieu5k2 = find_clause(body, ClauseRef(dieu="5", khoan="2")).text
    # whole: up to the next khoản, not beyond
    assert not dieu5k2.split("\n")[-1].startswith("3.")
    assert "\n3. " not in dieu5k2
    # Điều 7 khoản 3 mentions "khoản 1 và khoản 2 Điều này" but is not Điều 5 khoản 2
    dieu7k3 = find_clause(body, ClauseRef(dieu="7", khoan="3"))
    assert dieu7k3 is not None and dieu7k3.text != dieu5k2
    dieu10 = find_clause(body, ClauseRef(dieu="10")).text
    k4 = find_clause(body, ClauseRef(dieu="10", khoan="4")).text
    assert k4 in dieu10 and k4 != dieu10


def test_ambiguous_references_and_numbered_conclusions():
    from retrieval.clauses import find_clauses

    # "khoản 2" alone in a law with 17 Điều, "khoản 1" in a resolution with parts I–IV: several matches
    assert len(find_clauses(_body("nq-198-2025-QH15.md"), ClauseRef(khoan="2"))) > 1
    assert len(find_clauses(_body("nq-57-NQ-TW-2024-12-22.md"), ClauseRef(khoan="1"))) > 1
    # "mục 2 KL 221": the Kết luận is numbered 1., 2., 3. at its top level
    (item,) = find_clauses(_body("kl-221-KL-TW-2025-11-28.md"), parse_clause_ref("mục 2 Kết luận 221"))
    assert item.text.startswith("2. Yêu cầu các cấp uỷ")


def test_outline_counts_articles():
    assert outline(_body("nq-198-2025-QH15.md"), "dieu") == [str(i) for i in range(1, 18)]


def test_chunks_carry_structural_labels():
    chunks = chunk_document(_body("nq-198-2025-QH15.md"))
    labels = {c.labels for c in chunks}
    assert any(dict(lb).get("dieu") == "10" for lb in labels)
    assert all(
        k in {"phan", "chuong", "muc", "dieu", "khoan", "tiet", "diem"} for lb in labels for k, _ in lb
    )
    nq57 = chunk_document(_body("nq-57-NQ-TW-2024-12-22.md"))
    assert any(c.labels == (("muc", "II"), ("khoan", "1")) for c in nq57)


def test_format_labels():
    assert format_labels((("chuong", "II"), ("dieu", "5"), ("khoan", "2"))) == "Điều 5, khoản 2"
    assert format_labels((("dieu", "3"), ("khoan", "1"), ("diem", "a"))) == "Điều 3, khoản 1, điểm a"
    assert format_labels((("muc", "II"), ("khoan", "1"))) == "mục II.1"
    assert format_labels((("muc", "III"), ("khoan", "2"), ("tiet", "2.1"))) == "mục III.2.1"
    assert format_labels((("khoan", "2"),)) == "mục 2"  # a flat-numbered Kết luận
    assert format_labels(()) == ""


# -- citations: the label in the text and the `clause` field agree, and name the khoản of the quote -----

_DIEU_10 = (
    "Điều 10. Miễn, giảm thuế\n1. Miễn thuế thu nhập doanh nghiệp cho doanh nghiệp nhỏ trong ba năm.\n"
    "6. Miễn thuế thu nhập cá nhân cho chuyên gia trong hai năm.\n7. Giảm 50% lệ phí môn bài năm đầu."
)


@pytest.mark.parametrize(
    ("quote", "clause"),
    [
        ("Giảm 50% lệ phí môn bài năm đầu.", "Điều 10, khoản 7"),
        ("Miễn thuế thu nhập cá nhân cho chuyên gia trong hai năm.", "Điều 10, khoản 6"),
        (
            "Miễn thuế thu nhập cá nhân cho chuyên gia trong hai năm.\n7. Giảm 50% lệ phí môn bài năm đầu.",
            "Điều 10",
        ),
        ("Điều 10. Miễn, giảm thuế", "Điều 10"),
    ],
)
def test_citation_names_the_khoan_the_quote_lies_in(quote, clause):
    from retrieval.types import Citation, DocumentMeta, Passage

    meta = DocumentMeta(
        source="nq.md", title="NQ", doc_number="198/2025/QH15", doc_type="Nghị quyết", date=None
    )
    p = Passage(
        id="x",
        text=_DIEU_10,
        section="Điều 10",
        doc=meta,
        position=0,
        section_ref="Điều 10",
        labels=(("dieu", "10"),),
    )
    c = Citation.from_passage(p, quote=quote)
    assert c.clause == clause and c.label().endswith(f", {clause}")


def test_label_uses_the_structural_clause_not_a_deeper_section_ref():
    from retrieval.types import Citation, DocumentMeta, Passage

    meta = DocumentMeta(source="a.md", title="Bài", doc_number=None, doc_type="Bài viết", date=None)
    p = Passage(
        id="y",
        text="Đẩy mạnh cải cách thủ tục.",
        section="III › 2",
        doc=meta,
        position=0,
        section_ref="III.2.2.1",
        labels=(("muc", "III"), ("khoan", "2"), ("tiet", "2.1")),
    )
    c = Citation.from_passage(p)
    assert c.clause == "mục III.2.1" and c.label().endswith(", mục III.2.1") and "III.2.2.1" not in c.label()


def test_a_numbered_point_of_a_part_is_that_item_of_the_part():
    # "điểm 7 mục II": Party documents number the points of a part 1., 2., 3.; "điểm a" stays a letter
    assert parse_clause_ref("điểm 7 mục II KL 127 nói gì") == ClauseRef(muc=("II", "7"))
    assert parse_clause_ref("điểm a khoản 1 Điều 3").diem == "a"


def test_a_quote_from_a_chapter_of_packed_articles_is_cited_by_its_own_article():
    # small articles are packed into one passage labelled by their chapter; the quote still names its Điều
    text = "Điều 1. Phạm vi điều chỉnh\nNghị quyết này quy định.\nĐiều 3. Giải thích từ ngữ\n1. A là B.\n2. C là D."
    assert format_labels(narrow_labels((("chuong", "I"),), text, "A là B.")) == "Điều 3, khoản 1"
    assert format_labels(narrow_labels((("chuong", "I"),), text, "Nghị quyết này quy định.")) == "Điều 1"
