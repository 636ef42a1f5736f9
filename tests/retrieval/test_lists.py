"""Enumerations in a passage (retrieval.lists): lists on their own lines, sub-headings, inline markers, clauses."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.lists import (
    announced_count,
    block_list,
    find_list,
    inline_list,
    line_mark,
    mark_kind,
    ordinal,
    paren_list,
    semicolon_list,
    subheading_content,
)

OUTLINE = [
    "Mục tiêu của Nghị quyết:",
    "- Mục tiêu tổng quát đến năm 2030",
    "Bảo đảm vững chắc an ninh năng lượng quốc gia.",
    "- Mục tiêu cụ thể đến năm 2030",
    "+ Tổng cung năng lượng sơ cấp khoảng 150 triệu tấn.",
    "Giải thích thêm cho chỉ tiêu này.",
    "+ Tổng tiêu thụ năng lượng cuối cùng khoảng 120 triệu tấn.",
    "+ Hệ thống điện thông minh, hiệu quả.",
    "- Tầm nhìn đến năm 2045",
    "Bảo đảm vững chắc an ninh năng lượng.",
]
PLUS_ITEMS = [
    "Tổng cung năng lượng sơ cấp khoảng 150 triệu tấn.",
    "Tổng tiêu thụ năng lượng cuối cùng khoảng 120 triệu tấn.",
    "Hệ thống điện thông minh, hiệu quả.",
]


def test_markers_and_their_order():
    assert [mark_kind(m) for m in ("-", "+", "1.", "2)", "(3)", "a)", "(iv)")] == [
        "dash",
        "plus",
        "num.",
        "num)",
        "num()",
        "alpha",
        "roman",
    ]
    assert [ordinal(m) for m in ("3.", "c)", "đ)", "e)", "(iii)", "-")] == [3, 3, 5, 6, 3, None]


def test_a_subheading_stands_for_the_items_under_it_not_for_its_siblings():
    for idx in (3, 4, 6, 7):  # the sub-heading itself or any of its items
        found = block_list(OUTLINE, idx)
        assert found is not None
        assert found.lead == "Mục tiêu cụ thể đến năm 2030"
        assert found.items == PLUS_ITEMS  # the paragraph between items belongs to the item above


def test_a_list_of_subheadings_is_an_outline_not_an_answer():
    text = "\n".join(OUTLINE)
    assert find_list(text, "- Mục tiêu tổng quát đến năm 2030") is None
    assert find_list(text, "- Tầm nhìn đến năm 2045") is None
    assert find_list(text, "- Mục tiêu cụ thể đến năm 2030").items == PLUS_ITEMS


def test_a_subheading_quoted_alone_brings_its_paragraph():
    text = "\n".join(OUTLINE)
    assert (
        subheading_content(text, "- Mục tiêu tổng quát đến năm 2030")
        == "Mục tiêu tổng quát đến năm 2030: Bảo đảm vững chắc an ninh năng lượng quốc gia."
    )
    assert subheading_content(text, "+ Tổng tiêu thụ năng lượng cuối cùng khoảng 120 triệu tấn.") is None


def test_a_lead_in_announces_the_items_that_follow_and_numbering_ends_a_list():
    lines = [
        "Các nhiệm vụ sau:",
        "1. Hoàn thiện thể chế.",
        "a) Sửa luật đất đai.",
        "b) Sửa luật đầu tư.",
        "2. Phát triển nhân lực.",
        "3. Chuyển đổi số.",
        "1. Một danh sách khác.",
    ]
    found = block_list(lines, 0)
    assert found.lead == "Các nhiệm vụ sau:"
    assert found.items == ["Hoàn thiện thể chế.", "Phát triển nhân lực.", "Chuyển đổi số."]
    assert block_list(lines, 2).items == ["Sửa luật đất đai.", "Sửa luật đầu tư."]
    assert block_list(lines, 5).items == found.items


def test_inline_items_are_all_shown_with_the_lead_and_the_tail_apart():
    para = (
        "Khẩn trương hoàn thiện các báo cáo: (i) Báo cáo tình hình thực hiện Nghị quyết; "
        "(ii) Báo cáo xử lý vướng mắc, trong đó phân loại: đã xử lý; chưa xử lý; "
        "(iii) Báo cáo về cắt giảm thủ tục hành chính. Các báo cáo gửi Bộ Tư pháp trước ngày 05/12."
    )
    found = inline_list(para)
    assert found.lead == "Khẩn trương hoàn thiện các báo cáo:"
    assert found.items == [
        "Báo cáo tình hình thực hiện Nghị quyết",
        "Báo cáo xử lý vướng mắc, trong đó phân loại: đã xử lý; chưa xử lý",
        "Báo cáo về cắt giảm thủ tục hành chính.",
    ]
    assert found.tail == "Các báo cáo gửi Bộ Tư pháp trước ngày 05/12."
    # the list is found from any of its sentences, and wins over the dash list the paragraph belongs to
    text = f"- Tập trung rà soát các nhiệm vụ.\n- {para}\n- Chủ động nhận diện vướng mắc."
    assert find_list(text, "(ii) Báo cáo xử lý vướng mắc, trong đó phân loại: đã xử lý;").items == found.items


def test_inline_letters_and_numbers_and_stray_markers():
    assert inline_list("Gồm: a) Cấp tỉnh; b) Cấp xã; c) Thôn, tổ dân phố.").items == [
        "Cấp tỉnh",
        "Cấp xã",
        "Thôn, tổ dân phố.",
    ]
    assert inline_list("(1) Đảng lãnh đạo. (2) Nhà nước quản lý. (3) Nhân dân làm chủ.").items == [
        "Đảng lãnh đạo.",
        "Nhà nước quản lý.",
        "Nhân dân làm chủ.",
    ]
    assert inline_list("Theo quy định tại điểm a) khoản 2 thì được hỗ trợ.") is None
    assert inline_list("Xem (2) và (3) của Điều này.") is None  # no (1): not a list


def test_clauses_after_a_lead_in_follow_the_chosen_sentence():
    para = (
        "Các địa phương được hỗ trợ một phần chi phí hạ tầng. Các nội dung được hỗ trợ bao gồm: hỗ trợ thu hồi "
        "đất, bồi thường; hỗ trợ đầu tư công trình giao thông; chi phí xử lý nước thải."
    )
    found = find_list(para, "Các địa phương được hỗ trợ một phần chi phí hạ tầng.")
    assert found.lead.endswith("Các nội dung được hỗ trợ bao gồm:")
    assert found.items == [
        "hỗ trợ thu hồi đất, bồi thường",
        "hỗ trợ đầu tư công trình giao thông",
        "chi phí xử lý nước thải",
    ]
    assert semicolon_list("Quy định này áp dụng từ ngày ký.") is None


_words = st.lists(
    st.sampled_from(["phát", "triển", "kinh", "tế", "số", "xã", "hội", "an", "ninh"]), min_size=2, max_size=6
)
_item = _words.map(lambda ws: " ".join(ws).capitalize() + ".")


@settings(max_examples=80, deadline=None)
@given(
    items=st.lists(_item, min_size=2, max_size=8),
    style=st.sampled_from(["(i)", "(1)", "a)"]),
    pick=st.integers(0, 7),
)
def test_every_inline_item_comes_back_in_order(items, style, pick):
    roman = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii"]
    letters = "abcdđegh"
    marks = {
        "(i)": [f"({r})" for r in roman],
        "(1)": [f"({n})" for n in range(1, 9)],
        "a)": [f"{c})" for c in letters],
    }[style]
    para = "Nội dung gồm: " + " ".join(f"{m} {it.rstrip('.')};" for m, it in zip(marks, items, strict=False))
    para = para.rstrip(";") + "."
    found = inline_list(para)
    assert found is not None and found.lead == "Nội dung gồm:"
    assert [it.rstrip(".") for it in found.items] == [it.rstrip(".") for it in items]


@settings(max_examples=80, deadline=None)
@given(items=st.lists(_item, min_size=2, max_size=8), notes=st.lists(st.booleans(), min_size=8, max_size=8))
def test_block_items_survive_paragraphs_between_them(items, notes):
    lines = ["Các giải pháp chủ yếu:"]
    for it, note in zip(items, notes, strict=False):
        lines.append(f"- {it}")
        if note:
            lines.append("Đoạn giải thích thêm cho giải pháp này.")
    for idx in range(len(lines)):
        found = block_list(lines, idx)
        if lines[idx].startswith("Đoạn"):
            continue
        assert found is not None and found.items == items


def test_a_lead_in_cut_at_its_semicolons_still_brings_every_clause():
    para = (
        "Rà soát toàn bộ hệ thống văn bản. Trong đó, ưu tiên các lĩnh vực: Tài chính - ngân sách; đất đai và quy "
        "hoạch; giáo dục, đào tạo, y tế. Các bộ báo cáo trước ngày 31/12."
    )
    # the sentence splitter may hand over the lead-in with its first clause only
    found = find_list(para, "Trong đó, ưu tiên các lĩnh vực: Tài chính - ngân sách;")
    assert found.lead == "Trong đó, ưu tiên các lĩnh vực:"
    assert found.items == ["Tài chính - ngân sách", "đất đai và quy hoạch", "giáo dục, đào tạo, y tế"]


def test_names_in_brackets_are_a_list_but_a_colon_inside_brackets_leads_none():
    sentence = (
        "Các tỉnh uỷ khẩn trương sắp xếp các cơ sở giáo dục công lập cấp xã (trường mầm non, tiểu học, trung học "
        "cơ sở, trường liên cấp) trước ngày 31/12/2025."
    )
    found = paren_list(sentence)
    assert found.lead.endswith("cấp xã") and found.items[-1] == "trường liên cấp" and len(found.items) == 4
    assert paren_list("Báo cáo (nếu có) gửi Bộ Nội vụ.") is None  # one aside is not a list
    bracketed = (
        "Giao Ban Tổ chức tổng hợp đề án của các đơn vị (các Đảng uỷ: Chính phủ, Mặt trận); xây dựng báo cáo."
    )
    assert semicolon_list(bracketed) is None


def test_a_list_broken_after_a_bare_marker_continues_on_the_next_line():
    text = (
        "### 2. Nguyên nhân chủ yếu: (1) Quyết tâm chưa đủ mạnh; (2) Thể chế chậm cập nhật; (3)\n\n"
        "Tổ chức thực hiện còn lúng túng; (4) Kỷ luật, kỷ cương chưa nghiêm."
    )
    found = find_list(text, "Nguyên nhân chủ yếu: (1) Quyết tâm chưa đủ mạnh;")
    assert len(found.items) == 4 and found.items[2].startswith("Tổ chức thực hiện")
    assert found.items[3].startswith("Kỷ luật")


def test_names_announced_by_a_lead_in_are_a_list_even_when_short():
    text = (
        "Các thể loại văn bản của Đảng gồm:\n1- Cương lĩnh chính trị\n"
        "Cương lĩnh chính trị là văn bản trình bày mục tiêu, đường lối.\n2- Điều lệ Đảng\n"
        "Điều lệ Đảng là văn bản xác định tôn chỉ, mục đích.\n3- Chiến lược"
    )
    found = find_list(text, "Các thể loại văn bản của Đảng gồm:")
    assert found is not None
    assert found.items == ["Cương lĩnh chính trị", "Điều lệ Đảng", "Chiến lược"]
    assert mark_kind("1-") == "num-" and ordinal("2-") == 2


def test_a_list_announced_with_its_count_reads_on_through_the_plain_paragraphs_that_follow():
    text = (
        "Chủ tịch đề nghị Sở tập trung thực hiện tốt 5 nhiệm vụ trọng tâm. Cụ thể: Sở cần quan tâm công tác "
        "xây dựng Đảng; giữ gìn đoàn kết trong toàn cơ quan.\n"
        "Quán triệt nghiêm túc các chủ trương của Đảng.\n"
        "Siết chặt kỷ cương hành chính và kỷ luật công vụ.\n"
        "Thực hiện tốt chính sách tiền lương, bảo hiểm xã hội.\n"
        "Đồng chí Chủ tịch cũng đề nghị các sở phối hợp."
    )
    found = find_list(text, "Chủ tịch đề nghị Sở tập trung thực hiện tốt 5 nhiệm vụ trọng tâm.")
    assert found is not None and announced_count(found.lead) == 5
    assert found.items[2:] == [
        "Quán triệt nghiêm túc các chủ trương của Đảng.",
        "Siết chặt kỷ cương hành chính và kỷ luật công vụ.",
        "Thực hiện tốt chính sách tiền lương, bảo hiểm xã hội.",
    ]
    # without a count, or when too few plain paragraphs follow, the list is what the paragraph holds
    uncounted = text.replace("5 nhiệm vụ", "các nhiệm vụ")
    assert len(find_list(uncounted, "Cụ thể: Sở cần quan tâm công tác xây dựng Đảng").items) == 2
    short = text.replace("5 nhiệm vụ", "9 nhiệm vụ")
    assert len(find_list(short, "Cụ thể: Sở cần quan tâm công tác xây dựng Đảng").items) == 2


@pytest.mark.parametrize(
    ("lead", "count"),
    [
        ("Sở đề ra 10 nhiệm vụ trọng tâm. Cụ thể:", 10),
        ("Nghị quyết nêu ba nhóm giải pháp sau:", 3),
        ("Năm 2026, tỉnh phấn đấu như sau:", None),  # a year is no count
        ("Tăng 15% so với năm trước, cụ thể:", None),
        ("Trong năm nhiệm vụ trọng tâm:", None),  # "năm" is far more often "year"
    ],
)
def test_the_count_a_lead_in_announces(lead, count):
    assert announced_count(lead) == count


def test_a_notices_requests_numbered_in_words_are_a_list_under_their_lead_in():
    lines = [
        "Thủ tướng yêu cầu như sau:",
        "Thứ nhất, các bộ, ngành phải quyết liệt hơn nữa.",
        "Thứ hai, các địa phương hoàn thành dứt điểm công tác GPMB; cái gì có lợi cho dân phải hết sức làm.",
        "Thời gian qua các tỉnh chịu ảnh hưởng lớn của bão.",
        "Thứ ba, các tuyến cao tốc phải đồng bộ cả hệ thống trạm dừng nghỉ.",
    ]
    found = find_list("\n".join(lines), "Thủ tướng yêu cầu như sau:")
    assert found is not None and found.kind == "thu" and len(found.items) == 3
    assert found.items[2].startswith("các tuyến cao tốc")
    # a request chosen for its own words is quoted, not swapped for the list of the requests
    assert (
        find_list("\n".join(lines[1:]), "Thứ hai, các địa phương hoàn thành dứt điểm công tác GPMB;") is None
    )
    # a weekday is no marker
    assert line_mark("Thứ Hai, ngày 12/1, Sở họp.") is None and line_mark("Thứ hai, ngày 12/1 họp") is None
    assert ordinal("Thứ tư,") == 4


def test_which_marker_is_outer_is_read_from_the_announced_list_itself():
    lines = [
        "- Một ý của danh sách trước.",
        "Các hình thức tuyên truyền, cụ thể như sau:",
        "1. Tổ chức học tập, quán triệt.",
        "2. Tuyên truyền trên báo chí.",
        "- Xây dựng phóng sự, bản tin.",
        "3. Tuyên truyền miệng.",
        "4. Tổ chức hội thảo, tọa đàm.",
    ]
    found = find_list("\n".join(lines), "Các hình thức tuyên truyền, cụ thể như sau:")
    assert found is not None and found.kind.startswith("num") and len(found.items) == 4
