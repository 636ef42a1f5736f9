"""Section answers: enumerations written inside one paragraph, and whole sections of a named document."""

from hypothesis import given
from hypothesis import strategies as st

from retrieval.sections import inline_items, section_answer
from retrieval.types import DocumentMeta, Passage


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


# --- whole sections of a named document ---------------------------------------------------------------------

NQ = DocumentMeta(
    source="nq.md", title="Về pháp luật", doc_number="66-NQ/TW", doc_type="Nghị quyết", date="2025-04-30"
)
TB = DocumentMeta(
    source="tb.md", title="Kết luận họp", doc_number="627/TB-VPCP", doc_type="Thông báo", date="2025-11-18"
)


def _passages(doc, rows):
    return [
        Passage(id=f"{doc.source}{i}", text=text, section=section, doc=doc, position=i, section_ref=ref)
        for i, (section, ref, text) in enumerate(rows)
    ]


def test_numbered_items_are_counted_in_order_when_the_chunker_packed_some_with_their_parent():
    head = "Cụ thể, về quan điểm chỉ đạo"
    rows = [
        (
            f"{head} › 1. Bảo đảm sự lãnh đạo của Đảng…",
            "1",
            f"{head}:\n1. Bảo đảm sự lãnh đạo của Đảng. Chi tiết.",
        ),
        (f"{head} › 2. Xây dựng pháp luật là đột phá…", "2", "2. Xây dựng pháp luật là đột phá."),
        (head, "", "3. Bám sát thực tiễn.\n4. Nâng cao hiệu quả thi hành pháp luật."),
        (f"{head} › 5. Đầu tư cho pháp luật…", "5", "5. Đầu tư cho pháp luật là đầu tư cho phát triển."),
        (f"{head} › 5. Đầu tư cho pháp luật…", "5", "Năm 2025, tháo gỡ điểm nghẽn."),
    ]
    text, cits = section_answer(
        "Nghị quyết 66 có mấy quan điểm chỉ đạo?", ["nq.md"], lambda s: _passages(NQ, rows)
    )
    first, *items = text.split("\n")
    # the count matches the items shown; a heading "về …" is named by what it introduces; no number: no "mục"
    assert first == "Nghị quyết 66-NQ/TW ngày 30/04/2025 nêu 5 quan điểm chỉ đạo:"
    assert [it.split(" ", 1)[0] for it in items] == ["1.", "2.", "3.", "4.", "5."]
    assert items[2] == "3. Bám sát thực tiễn." and items[3].startswith("4. Nâng cao")
    assert "Năm 2025" not in text and cits[0].section_ref == ""


def test_a_numbered_title_the_passage_leaves_out_is_still_an_item():
    rows = [
        (
            "III. NHIỆM VỤ TRỌNG TÂM",
            "III",
            "Yêu cầu các bộ, ngành:\n1. Hoàn thành 3.000 km cao tốc trong năm 2025",
        ),
        ("III. NHIỆM VỤ TRỌNG TÂM › 1. Hoàn thành 3.000 km…", "III.1", "a) Các bộ quyết liệt hơn."),
        ("III. NHIỆM VỤ TRỌNG TÂM", "III", "b) Đôn đốc địa phương.\n2. Đẩy nhanh thủ tục đầu tư các dự án"),
        ("III. NHIỆM VỤ TRỌNG TÂM › 3. Các nội dung khác", "III.3", "a) Bộ Nông nghiệp kiểm soát tiến độ."),
    ]
    text, _ = section_answer(
        "Thông báo 627 nêu những nhiệm vụ trọng tâm nào?", ["tb.md"], lambda s: _passages(TB, rows)
    )
    assert text.split("\n")[1:] == [
        "1. Hoàn thành 3.000 km cao tốc trong năm 2025",
        "2. Đẩy nhanh thủ tục đầu tư các dự án",
        "3. Các nội dung khác",
    ]
    assert "3 nhiệm vụ trọng tâm (mục III)" in text.split("\n")[0]


def test_sub_sections_titled_by_the_asked_thing_are_the_list():
    from retrieval.sections import titled_items

    texts = [
        (
            "II- NỘI DUNG › 1. Xây dựng đề án sáp nhập tỉnh",
            "1. Xây dựng đề án sáp nhập tỉnh\nGiao Ban Tổ chức …",
        ),
        ("II- NỘI DUNG › 2. Xây dựng đề án về tòa án", "Giao Đảng uỷ Toà án …"),
        ("II- NỘI DUNG › 3. Rà soát quy định của Đảng", "Rà soát, sửa đổi …"),
        ("II- NỘI DUNG › 4. Xây dựng đề án về Quân đội", "Giao Quân uỷ Trung ương …"),
    ]
    doc = DocumentMeta(source="kl.md", title="Kết luận", doc_type="Kết luận", doc_number="127-KL/TW")
    passages = [
        Passage(id=f"p{i}", text=t, section=s, doc=doc, position=i, section_ref=f"II.{i + 1}")
        for i, (s, t) in enumerate(texts)
    ]
    text, cits = titled_items("KL 127 giao xây dựng những đề án nào?", ["kl.md"], lambda _: passages)
    assert "gồm 3 ý" in text and "3. Xây dựng đề án về Quân đội" in text and "Rà soát" not in text
    assert "(Nội dung)" in text and cits[0].section_ref == "II"
    assert titled_items("KL 127 giao những cơ quan nào?", ["kl.md"], lambda _: passages) is None
