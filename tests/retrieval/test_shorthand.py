"""Chat shorthand spelled out before a question is read (retrieval.shorthand)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retrieval.engine import clean_query
from retrieval.shorthand import Shorthand, default_shorthand, expand_shorthand, parse_shorthand


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("phụ cấp bn 1 tháng", "phụ cấp bao nhiêu 1 tháng"),
        ("hộ kinh doanh còn đóng thuế ko?", "hộ kinh doanh còn đóng thuế không?"),
        ("Ko biết NQ 57 ntn", "không biết NQ 57 như thế nào"),
        ("con nít có dc miễn học phí j ko", "con nít có được miễn học phí gì không"),
        ("Long Thành gđ 1 xong chưa", "Long Thành giai đoạn 1 xong chưa"),
    ],
)
def test_chat_shorthand_is_spelled_out(typed, meant):
    assert expand_shorthand(typed) == meant


@pytest.mark.parametrize(
    "kept", ["điểm k khoản 1 Điều 5", "BN mắc bệnh hiếm", "bn/tháng", "Z-score", "bao nhiêu"]
)
def test_capitals_symbols_and_parts_of_words_are_left_alone(kept):
    assert expand_shorthand(kept) == kept


def test_every_entry_of_the_shipped_table_expands_to_its_full_form():
    table = default_shorthand().table
    assert len(table) >= 30
    for short, full in table.items():
        assert expand_shorthand(f"hỏi {short} nhé") == f"hỏi {full} nhé"


def test_the_question_is_spelled_out_where_every_reader_sees_it():
    assert clean_query("  mỗi xã cử bn   cán bộ ") == "mỗi xã cử bao nhiêu cán bộ"


def test_a_malformed_line_is_named():
    with pytest.raises(ValueError, match="Dòng 2"):
        parse_shorthand("bn = bao nhiêu\nko không\n")


_WORDS = st.lists(
    st.sampled_from(["Nghị", "quyết", "57", "điểm", "k", "BN", "tỉnh", "Điều", "5", "bao", "nhiêu"])
)


@given(_WORDS)
def test_text_without_shorthand_is_unchanged(words):
    text = " ".join(words)
    assert Shorthand({"bn": "bao nhiêu", "ko": "không"}).expand(text) == text


@given(st.text(alphabet="abn kođ", max_size=30))
def test_expanding_twice_changes_nothing_more(text):
    once = expand_shorthand(text)
    assert expand_shorthand(once) == once


def test_a_question_typed_without_diacritics_gets_full_forms_without_them():
    # half-accented text would pass for accented, and the rest would never get its accents restored
    assert (
        expand_shorthand("so cbcc dc dieu dong la bn") == "so can bo, cong chuc duoc dieu dong la bao nhieu"
    )
    assert expand_shorthand("phụ cấp bn 1 tháng") == "phụ cấp bao nhiêu 1 tháng"


def test_spoken_nhieu_alone_is_bao_nhieu_in_the_shipped_table():
    assert (
        expand_shorthand("Sân bay giờ xây được nhiêu phần rồi?") == "Sân bay giờ xây được bao nhiêu phần rồi?"
    )
    assert expand_shorthand("Nhiêu tiền?") == "Bao nhiêu tiền?"
    assert expand_shorthand("bao nhiêu phần") == "bao nhiêu phần"  # never "bao bao nhiêu"
    assert expand_shorthand("nhieu nguoi") == "nhieu nguoi"  # without accents it may be "nhiều"
