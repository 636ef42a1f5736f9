"""Section answers' building blocks: enumerations written inside one paragraph."""

from hypothesis import given
from hypothesis import strategies as st

from retrieval.sections import inline_items


def test_items_in_one_paragraph_are_split_at_their_markers():
    text = (
        "(1) Đảng lãnh đạo toàn diện. (2) Phát triển năng lượng phù hợp; bền vững. (3) Khuyến khích đầu tư."
    )
    assert inline_items(text) == [
        "Đảng lãnh đạo toàn diện.",
        "Phát triển năng lượng phù hợp; bền vững.",
        "Khuyến khích đầu tư.",
    ]


def test_a_lone_marker_or_one_out_of_order_is_not_a_list():
    assert inline_items("Theo khoản (2) Điều 5, việc này do Sở chủ trì.") == []
    assert inline_items("(1) Một việc duy nhất.") == []
    assert inline_items("(2) Bắt đầu giữa chừng. (3) Tiếp theo.") == []


def test_a_list_continues_in_a_passage_cut_mid_item():
    assert inline_items("đoạn cuối của ý trước. (5) Ý thứ năm. (6) Ý thứ sáu.", start=5) == [
        "Ý thứ năm.",
        "Ý thứ sáu.",
    ]


@given(
    st.lists(st.text(alphabet="abc đê ", min_size=1, max_size=20).filter(str.strip), min_size=2, max_size=9)
)
def test_numbered_items_round_trip(items):
    text = " ".join(f"({i}) {it.strip()}." for i, it in enumerate(items, start=1))
    assert inline_items(text) == [f"{it.strip()}." for it in items]
