"""The short opening sentence: the asked fact copied from the quote, or nothing."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retrieval.fact_lead import (
    count_lead,
    counts_another_noun,
    person_names,
    short_fact,
)

TARGETS = (
    "Đến năm 2030, tăng chiều cao trung bình của trẻ em và thanh thiếu niên từ 1 - 18 tuổi thêm tối thiểu 1,5 cm; "
    "tuổi thọ trung bình đạt 75,5 tuổi, trong đó số năm sống khỏe mạnh đạt tối thiểu 68 năm."
)


def test_the_amount_the_question_asks_for_with_its_qualifier_and_unit():
    assert short_fact("Đến 2030 trẻ em phải cao thêm mấy phân?", TARGETS) == "tối thiểu 1,5 cm"
    assert short_fact("Tuổi thọ trung bình năm 2030 là bao nhiêu tuổi?", TARGETS) == "đạt 75,5 tuổi"
    both = "Quy mô kinh tế số đạt tối thiểu 30% GDP; chi cho nghiên cứu phát triển (R&D) đạt 2% GDP."
    assert short_fact("Chi cho nghiên cứu phát triển bao nhiêu phần trăm GDP?", both) == "đạt 2% GDP"
    money = "giải quyết thôi việc cho 5.448 trường hợp với kinh phí 5.535 tỷ đồng."
    assert short_fact("Thôi việc cho bao nhiêu người?", money) == "5.448 trường hợp"
    assert short_fact("Kinh phí thôi việc hết bao nhiêu tiền?", money) == "5.535 tỷ đồng"


def test_a_value_counts_only_under_the_asked_year():
    cover = (
        "Đến năm 2026, tỷ lệ bao phủ bảo hiểm y tế đạt trên 95% dân số, đến năm 2030 đạt bao phủ bảo hiểm y tế "
        "toàn dân."
    )
    assert short_fact("Năm 2026 bao phủ bảo hiểm y tế bao nhiêu phần trăm?", cover) == "trên 95%"
    assert short_fact("Đến năm 2030 bao phủ bảo hiểm y tế đạt bao nhiêu?", cover) is None  # 95% is 2026's
    assert short_fact("Tuổi thọ trung bình năm 2035 là bao nhiêu?", TARGETS) is None


def test_a_date_a_person_and_nothing_else():
    cites = "Hoàn thành trước ngày 15/10/2025 theo Nghị quyết số 66-NQ/TW."
    assert short_fact("Phải hoàn thành khi nào?", cites) == "ngày 15/10/2025"
    assert (
        short_fact("NQ 66 giao bao nhiêu nhiệm vụ?", "Thực hiện Nghị quyết số 66-NQ/TW.") is None
    )  # no amount
    who = "Giám đốc Sở Tư pháp Mai Xuân Bình báo cáo kết quả hoạt động của ngành Tư pháp tại hội nghị."
    assert short_fact("Giám đốc Sở Tư pháp là ai?", who) == "Mai Xuân Bình"
    assert short_fact("NQ 57 nói gì về kinh tế số?", "Quy mô kinh tế số đạt tối thiểu 30% GDP.") is None


@given(st.text(max_size=200))
def test_the_fact_is_always_copied_from_the_sentence(sentence):
    for question in ("bao nhiêu?", "khi nào?", "ai là người ký?", "mấy phần trăm?"):
        fact = short_fact(question, sentence)
        assert fact is None or fact in " ".join(sentence.split())


def test_which_meeting_is_answered_by_its_ordinal_not_by_the_first_number():
    sentence = "Ngày 08 tháng 11 năm 2025, Thủ tướng chủ trì Phiên họp lần thứ 21 Ban Chỉ đạo Nhà nước."
    assert short_fact("TB 627 là kết luận phiên họp lần thứ mấy?", sentence) == "Phiên họp lần thứ 21"
    assert short_fact("tb 627 la ket luan phien hop lan thu may", sentence) == "Phiên họp lần thứ 21"


def test_the_value_counted_in_the_asked_words_and_never_a_guess():
    both = (
        "Phấn đấu đến năm 2030 có khoảng 2 triệu doanh nghiệp hoạt động trong nền kinh tế; có ít nhất 20 doanh "
        "nghiệp lớn tham gia chuỗi giá trị toàn cầu."
    )
    # the words of the other value ("… doanh nghiệp hoạt động") do not describe this one
    assert short_fact("NQ 68 mục tiêu 2030 bao nhiêu doanh nghiệp đang hoạt động?", both) == (
        "khoảng 2 triệu doanh nghiệp"
    )
    staff = "Toàn ngành điều động, biệt phái 651 cán bộ về xã (đạt 162% kế hoạch)."
    assert short_fact("Sở Nội vụ điều động bao nhiêu cán bộ về xã?", staff) == "651 cán bộ"
    # two values the question cannot tell apart: no short answer rather than a wrong one
    assert short_fact("bao nhiêu?", "Giao 30 nhiệm vụ, hoàn thành 08 nhiệm vụ.") is None
    dated = "Ngày 28 tháng 11 năm 2025, Phó Thủ tướng chủ trì cuộc họp."
    assert short_fact("cuộc họp ngày nào?", dated) == "Ngày 28 tháng 11 năm 2025"


def test_a_day_answers_which_day_and_a_year_which_year():
    sentence = "Ngày 5/1, Sở Nội vụ tổ chức hội nghị tổng kết năm 2025, triển khai nhiệm vụ năm 2026."
    assert short_fact("Sở Nội vụ tổng kết năm 2025 vào ngày nào", sentence) == "Ngày 5/1"
    assert short_fact(
        "Đến năm nào hoàn thành?", "Trước ngày 1/7/2025 ban hành kế hoạch; hoàn thành trong năm 2030."
    ) in (
        "trong năm 2030",
        "năm 2030",
    )


def test_a_body_is_no_persons_name():
    sentence = "Giao Đảng uỷ Chính phủ chủ trì, phối hợp với Ban Tổ chức Trung ương xây dựng đề án."
    assert short_fact("KL 127 giao ai làm đề án sáp nhập tỉnh", sentence) is None
    assert short_fact("ai chủ trì hội nghị?", "Đồng chí Lê Quang Hùng chủ trì hội nghị.") == "Lê Quang Hùng"


def test_common_middle_names_are_peoples_names():
    assert short_fact("ai chủ trì?", "Phó Thủ tướng Hồ Quốc Dũng chủ trì cuộc họp.") == "Hồ Quốc Dũng"
    assert short_fact("ai phát biểu?", "Đồng chí Nguyễn Văn Hùng phát biểu.") == "Nguyễn Văn Hùng"


def test_a_name_opens_with_a_family_name_and_a_province_is_no_one():
    fund = "Ngân sách nhà nước và Quỹ Bảo hiểm y tế chi trả cho một số dịch vụ phòng bệnh."
    assert short_fact("nq 72 mien vien phi cho ai truoc", fund) is None  # "Quỹ Bảo" is not a person
    assert [m.group(0) for m in person_names("Tại Hà Nội, đồng chí Đầu Thanh Tùng phát biểu.")] == [
        "Đầu Thanh Tùng"
    ]
    assert person_names("Các tỉnh Thái Bình, Lâm Đồng báo cáo.") == []


@pytest.mark.parametrize(
    ("question", "lead"),
    [
        ("Nghị quyết 68 có mấy nhiệm vụ, giải pháp?", "Trả lời ngắn: 8 nhiệm vụ, giải pháp."),
        ("NQ 57 có mấy quan điểm chỉ đạo, là những gì?", "Trả lời ngắn: 8 quan điểm chỉ đạo."),
        ("có bao nhiêu nhiệm vụ được giao cho Bộ?", "Trả lời ngắn: 8 nhiệm vụ."),
        ("nq 68 co may nhiem vu", None),  # typed without diacritics: "8 nhiem vu" would read badly
        ("6 rõ gồm những gì?", None),  # nothing counted
        ("tăng mấy phần trăm?", None),  # an amount, not a count of items
        ("Bộ ban hành mấy quyết định, kế hoạch, công văn?", None),  # three counts asked, not one
        ("Sở giao mấy nhiệm vụ trọng tâm năm 2026?", "Trả lời ngắn: 8 nhiệm vụ trọng tâm."),  # not "… năm."
    ],
)
def test_a_count_question_over_a_list_opens_with_the_count_and_the_asked_noun(question, lead):
    assert count_lead(question, 8) == lead


def test_a_rate_keeps_its_per_unit():
    assert (
        short_fact("tăng bao nhiêu phần trăm?", "Tốc độ tăng trưởng đạt khoảng 10 - 12%/năm.")
        == "khoảng 10 - 12%/năm"
    )
    assert (
        short_fact("mỗi người được bao nhiêu tiền?", "Mức hỗ trợ 5 triệu đồng/người.") == "5 triệu đồng/người"
    )
    assert (
        short_fact("tăng bao nhiêu phần trăm?", "Tăng 10%/ năm 2025 là mốc.") == "10%"
    )  # "/ năm 2025" is a year


def test_a_news_reports_morning_day_and_a_range_of_ages_are_copied_whole():
    sentence = "Sáng 19/3, đồng chí Nguyễn Hồng Phong kiểm tra tình hình thực hiện nhiệm vụ quý I năm 2026."
    assert short_fact("đồng chí Phong đi kiểm tra vào ngày nào?", sentence) == "Sáng 19/3"
    ages = "Hoàn thành phổ cập giáo dục mầm non cho trẻ em từ 3 đến 5 tuổi."
    assert short_fact("phổ cập mầm non cho trẻ từ mấy tuổi?", ages) == "từ 3 đến 5 tuổi"


def test_a_number_the_question_states_is_not_the_answer():
    sentence = "Phấn đấu ít nhất 2 cơ sở giáo dục đại học thuộc nhóm 100 đại học hàng đầu thế giới."
    assert short_fact("đến 2035 mấy trường đại học vào nhóm 100 thế giới?", sentence) == "ít nhất 2"
    assert short_fact("bao nhiêu trường vào top 100?", "Có 100 trường được xét.") is None


def test_a_span_of_years_or_a_bare_year_is_not_an_amount():
    sentence = "Bám sát Quy hoạch tỉnh giai đoạn 2021-2030, tầm nhìn 2050."
    assert short_fact("kết nối trực tuyến tới bao nhiêu xã phường", sentence) is None
    assert short_fact("kết nối tới bao nhiêu xã phường", "Hội nghị kết nối tới 166 xã, phường.") == "166 xã"


def test_a_count_of_another_noun_that_the_sentence_never_names_is_no_answer():
    doctors = "Mỗi năm các địa phương điều động ít nhất 1.000 bác sĩ về làm việc tại trạm y tế cấp xã."
    assert counts_another_noun("mỗi trạm y tế xã có bao nhiêu điều dưỡng?", doctors, "ít nhất 1.000 bác sĩ")
    assert not counts_another_noun("điều động bao nhiêu bác sĩ về xã?", doctors, "ít nhất 1.000 bác sĩ")
    # "người" is counted as "trường hợp"; two asks in one question are not compared
    cases = "Giải quyết thôi việc cho 1.245 trường hợp với kinh phí 5.535 tỷ đồng."
    assert not counts_another_noun("bao nhiêu người thôi việc?", cases, "1.245 trường hợp")
    assert not counts_another_noun("cho bao nhiêu cán bộ nghỉ, hết bao nhiêu tiền", cases, "1.245 trường hợp")


def test_a_follow_up_picks_the_value_of_its_own_words_and_words_after_cho_are_that_values():
    allowance = (
        "Nâng phụ cấp ưu đãi nghề đối với cơ sở giáo dục mầm non và phổ thông lên tối thiểu 70% cho giáo viên, "
        "tối thiểu 30% cho nhân viên, 100% cho giáo viên ở khu vực đặc biệt khó khăn."
    )
    follow_up = (
        "còn nhân viên thì nhiêu? (Phụ cấp ưu đãi nghề của giáo viên mầm non theo NQ 71 là bao nhiêu?)"
    )
    assert short_fact(follow_up, allowance) == "tối thiểu 30%"
    assert short_fact("phụ cấp cho giáo viên mầm non là bao nhiêu?", allowance) == "tối thiểu 70%"
