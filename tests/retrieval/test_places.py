"""A news report's province (`retrieval.places`) and where it goes: the document card and every passage header."""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retrieval.loaders import load
from retrieval.places import dominant_province, province_names
from retrieval.types import DocumentMeta, Passage


def test_the_province_named_most_wins_and_a_tie_or_none_gives_none() -> None:
    report = "UBND tỉnh Thanh Hóa tổ chức hội nghị. Đoàn công tác của tỉnh Thanh Hóa làm việc với Hà Nội."
    assert dominant_province(report) == "Thanh Hóa"
    assert dominant_province("Các tỉnh Phú Thọ và Sơn La đôn đốc chủ đầu tư.") is None  # a tie
    assert dominant_province("Sở Nội vụ tổ chức hội nghị tổng kết năm 2025.") is None
    # the word, not the province: capitalised names with their diacritics only
    assert dominant_province("vì hòa bình và phát triển; hoa binh") is None
    assert dominant_province("tỉnh Bà Rịa - Vũng Tàu cũ") == "Bà Rịa - Vũng Tàu"  # the longest name first


@given(st.sampled_from(province_names()), st.integers(1, 3), st.text(alphabet="abc xyz,.", max_size=40))
def test_any_province_named_alone_is_found_whatever_the_text_around_it(
    name: str, times: int, filler: str
) -> None:
    text = " ".join([f"{filler} tỉnh {name}"] * times)
    assert dominant_province(text) == name


def test_a_report_without_a_number_gets_its_province_and_front_matter_wins(tmp_path: Path) -> None:
    seed = tmp_path / "001.txt"
    seed.write_text(
        " date 2026-01-05 Sở Nội vụ triển khai nhiệm vụ năm 2026\n\nNgày 5/1, Sở Nội vụ tỉnh Phú Thọ tổ chức hội "
        "nghị.\n\nCùng dự có đồng chí Bùi Đình Thi - Trưởng Ban Tổ chức Tỉnh ủy.\n",
        encoding="utf-8",
    )
    assert load(seed, "001.txt").meta.place == "Phú Thọ"
    stated = tmp_path / "bao-cao.md"
    stated.write_text(
        "---\nloai: Bài viết\ndia_ban: Lào Cai\n---\nUBND tỉnh Yên Bái họp.\n", encoding="utf-8"
    )
    assert load(stated, "bao-cao.md").meta.place == "Lào Cai"
    notice = tmp_path / "tb.md"
    notice.write_text(
        "---\nso_hieu: 627/TB-VPCP\n---\nCác tỉnh Ninh Bình, Ninh Bình, Phú Thọ đôn đốc nhà thầu.\n",
        encoding="utf-8",
    )
    assert (
        load(notice, "tb.md").meta.place is None
    )  # an official document instructs provinces, it is not local


def test_the_place_joins_every_passage_header() -> None:
    doc = DocumentMeta(source="seeds/002.txt", title="Sở Nội vụ triển khai nhiệm vụ năm 2026", doc_type="Bài viết",
                       place="Phú Thọ")  # fmt: skip
    passage = Passage(
        id="p", text="Cùng dự có đồng chí Bùi Đình Thi - Trưởng Ban Tổ chức Tỉnh ủy.", section="", doc=doc
    )
    assert passage.header == "Bài viết | Sở Nội vụ triển khai nhiệm vụ năm 2026 | Phú Thọ"
    assert passage.indexed_text.startswith(passage.header + "\n")


@pytest.mark.slow
def test_the_shipped_reports_are_tagged_with_their_own_province(engine) -> None:
    """Through the real index: the Phú Thọ report's paragraph that never names the province answers for it."""
    answer = engine.ask("Trưởng Ban Tổ chức Tỉnh ủy Phú Thọ là ai?")
    assert answer.grounded and "Bùi Đình Thi" in answer.text
    assert answer.citations[0].source.startswith("seeds/002")
