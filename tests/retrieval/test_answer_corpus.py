"""Answers over the shipped corpus: quote properties on every passage, and the questions officials try first."""

import re

import pytest

from retrieval.extractive import _sentences, enumeration
from retrieval.lists import is_heading
from retrieval.types import SearchHit

pytestmark = pytest.mark.slow

_BOUNDARY = re.compile(r"(^|[.!?…:;]\s+|\n\s*)$")


def _starts_at_a_boundary(text: str, quote: str) -> bool:
    """The quote starts at the start of a line or right after a sentence's end, never mid-sentence."""
    starts = [m.start() for m in re.finditer(re.escape(quote), text)]
    return any(_BOUNDARY.search(text[:pos]) for pos in starts)


def test_every_candidate_quote_of_every_passage_is_a_whole_sentence(engine):
    passages = list(engine.store.passages.values())
    assert len(passages) > 300
    for p in passages:
        for sentence in _sentences(p.text):
            assert not is_heading(sentence), (p.id, sentence)
            assert len(re.findall(r"\w+", sentence)) >= 4, (p.id, sentence)
            assert _starts_at_a_boundary(p.text, sentence), (p.id, sentence)
            ends = [m.end() for m in re.finditer(re.escape(sentence), p.text)]
            assert any(end == len(p.text) or p.text[end] in " \n" for end in ends), (p.id, sentence)


def test_every_list_is_returned_whole(engine):
    seen = 0
    for p in engine.store.passages.values():
        flat = " ".join(p.text.split())
        for sentence in _sentences(p.text):
            listed = enumeration(p.text, sentence)
            if listed is None:
                continue
            seen += 1
            _, items = listed
            assert len(items) >= 2
            at = 0
            for item in items:  # every item is whole text of the passage, in order
                found = flat.find(" ".join(item.split()), at)
                assert found >= 0, (p.id, item)
                at = found + 1
    assert seen > 20


def ask(engine, question, *after):
    from retrieval.evaluate import ask_in_conversation

    return ask_in_conversation(engine, question, after)


@pytest.mark.parametrize(
    "question",
    [
        "Nguyên tắc 6 rõ là gì?",
        "6 ro gom nhung gi",
        "sáu rõ gồm những gì",
        "nguyen tac 6 ro gom nhung gi",  # a new user's spelling that once drew NQ 198's "nguyên tắc" instead
    ],
)
def test_six_clear_rule_in_three_spellings(engine, question):
    answer = ask(engine, question)
    assert answer.grounded
    text = answer.text.casefold()
    for part in ("rõ người", "rõ việc", "rõ thời gian", "rõ trách nhiệm", "rõ sản phẩm", "rõ thẩm quyền"):
        assert part in text, (question, answer.text)


def test_nq57_targets_2030_then_the_2045_follow_up(engine):
    first = ask(engine, "Nghị quyết 57 đặt mục tiêu gì đến năm 2030?")
    assert first.grounded and "mục II.1" in first.text and "gồm 5 ý" in first.text
    for fact in ("30% GDP", "nhóm 3 nước dẫn đầu Đông Nam Á", "2% GDP"):
        assert fact in first.text
    assert "Đất nước ta đang đứng trước" not in first.text  # not the preamble
    later = ask(engine, "còn mục tiêu đến 2045 thì sao?", "Nghị quyết 57 đặt mục tiêu gì đến năm 2030?")
    assert later.grounded and "mục II.2" in later.text and "50% GDP" in later.text


def test_nq57_viewpoints_are_counted_and_listed(engine):
    answer = ask(engine, "NQ 57 có mấy quan điểm chỉ đạo?")
    assert answer.grounded and "5 quan điểm chỉ đạo" in answer.text
    assert answer.text.count("\n") >= 5 and "I- QUAN ĐIỂM CHỈ ĐẠO" not in answer.text


def test_an_ordinal_follow_up_picks_the_item(engine):
    answer = ask(engine, "giải pháp thứ 6 là gì?", "Nghị quyết 71 có bao nhiêu nhiệm vụ, giải pháp?")
    assert answer.grounded and "giáo dục nghề nghiệp" in answer.text


def test_everyday_words_reach_the_administrative_passage(engine):
    answer = ask(engine, "Đến 2030 con nít với tụi tuổi mới lớn phải nhích lên được mấy phân?")
    assert answer.grounded and "1,5 cm" in answer.text


@pytest.mark.parametrize(
    "question",
    [
        "Nghị quyết 71/NQ-CP do ai ký?",  # same number as 71-NQ/TW, another issuer, and no signature in the corpus
        "Nghị quyết 999-NQ/TW ban hành ngày nào?",
        # the topic is there, the asked detail is not: a year, an amount, the holder of an office, a place
        "Theo Nghị quyết 57 thì đến năm nào cả nước phủ sóng 6G?",
        "Nghị quyết 72 muốn tuổi thọ bình quân năm 2040 đạt bao nhiêu tuổi?",
        "Giám đốc Sở Tư pháp tỉnh Phú Thọ là ai?",
        "Tỷ lệ hộ nghèo ở tỉnh Nghệ An năm 2025 là bao nhiêu?",
        "Nghị quyết 68-NQ/TW do ai ký?",  # only articles on it: no signature block to read the signer from
    ],
)
def test_near_miss_documents_are_refused(engine, question):
    answer = ask(engine, question)
    assert not answer.grounded and not answer.citations


def test_a_document_known_only_by_citing_sentences_is_dated_from_them_not_confused_with_71_nq_tw(engine):
    # CV 6225 and TB 624 cite "Nghị quyết số 71/NQ-CP ngày 01/4/2025": the date is answered from that sentence,
    # cited as CV 6225 / TB 624, never from Nghị quyết 71-NQ/TW (22/8/2025).
    answer = ask(engine, "Nghị quyết 71/NQ-CP của Chính phủ ban hành ngày nào?")
    assert answer.grounded and "01/4/2025" in answer.text and "22/8/2025" not in answer.text
    assert answer.citations and all(c.doc_number != "71-NQ/TW" for c in answer.citations)


def test_hits_passed_in_are_quoted_from(engine):
    hits = engine.search("quy mô kinh tế số 2030", k=3)
    assert all(isinstance(h, SearchHit) for h in hits)
    answer = engine.ask("Quy mô kinh tế số đến năm 2030 đạt bao nhiêu phần trăm GDP?")
    assert answer.grounded and "30% GDP" in answer.text
    for c in answer.citations:
        assert c.quote.split("\n")[0].lstrip("- ") in engine.get_passage(c.passage_id).text


def test_nq71_viewpoints_include_the_items_left_under_the_section_itself(engine):
    """Items 5 and 6 of NQ 71 mục I sit in a passage without a titled child: they are counted too."""
    answer = ask(engine, "NQ 71 có mấy quan điểm chỉ đạo?")
    assert answer.grounded and "6 quan điểm chỉ đạo" in answer.text
    assert "Giáo dục công lập là trụ cột" in answer.text


@pytest.mark.parametrize(
    ("question", "count", "fact"),
    [
        ("Quan điểm chỉ đạo của Nghị quyết 72 gồm những nội dung gì?", 5, "sang chủ động phòng bệnh"),
        ("quan diem chi dao nq 70", 5, "Đảng lãnh đạo toàn diện"),
    ],
)
def test_an_article_quoting_several_resolutions_lists_the_asked_one_only(engine, question, count, fact):
    answer = ask(engine, question)
    assert answer.grounded and f"gồm {count} ý" in answer.text, answer.text[:300]
    assert fact in answer.text
    # the other resolutions' viewpoints are not mixed in
    assert "Nhận thức sâu sắc, đầy đủ và thực hiện nhất quán quan điểm giáo dục" not in answer.text


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        (
            "Nghị quyết 70-NQ/TW là nghị quyết về vấn đề gì?",
            "bảo đảm an ninh năng lượng quốc gia đến năm 2030",
        ),
        ("nghi quyet 59 ve van de gi", "hội nhập quốc tế trong tình hình mới"),
        ("Nghị quyết 57-NQ/TW có tên là gì?", "đột phá phát triển khoa học, công nghệ"),
    ],
)
def test_what_a_document_is_about_even_when_only_cited(engine, question, fact):
    answer = ask(engine, question)
    assert answer.grounded and fact in answer.text
    assert answer.citations


@pytest.mark.parametrize("question", ["Báo cáo 565-BC/BTCTW do ai ký?", "Thông báo 552/TB-VPCP do ai ký?"])
def test_the_signer_of_a_document_only_cited_is_not_answered_from_the_citing_sentence(engine, question):
    answer = ask(engine, question)
    assert not answer.grounded and not answer.citations
    assert "chưa xác định được người ký" in answer.text


def test_a_date_stated_before_ban_hanh_dates_a_document_only_cited(engine):
    answer = ask(engine, "Nghị quyết 281/NQ-CP ban hành ngày nào?")
    assert answer.grounded and "15/9/2025" in answer.text and answer.citations


@pytest.mark.parametrize(
    ("question", "count"),
    [
        # how officials ask for a whole list: politely, completely, naming the document by its subject
        ("NQ 57 có bao nhiêu quan điểm chỉ đạo thế, kể hết ra giúp tôi với", 5),
        ("Nghị quyết 57 về khoa học công nghệ có mấy nhóm nhiệm vụ giải pháp, nêu tên từng nhóm nhé", 7),
        ("nghị quyết 71 về giáo dục đào tạo nêu mấy quan điểm chỉ đạo vậy bạn, liệt kê đầy đủ", 6),
    ],
)
def test_a_whole_section_is_listed_however_the_list_is_asked_for(engine, question, count):
    answer = ask(engine, question)
    assert answer.grounded and f"nêu {count} " in answer.text.split("\n")[0], answer.text[:300]
    assert f"\n{count}. " in answer.text  # every item, numbered to the last


def test_a_section_quoted_by_an_article_is_listed_when_the_question_adds_the_documents_subject(engine):
    # NQ 72's viewpoints are only in an article; "về bảo vệ, chăm sóc sức khỏe Nhân dân" is NQ 72's own title
    answer = ask(
        engine, "NQ 72 nêu mấy quan điểm chỉ đạo về bảo vệ, chăm sóc sức khỏe Nhân dân? Là những gì?"
    )
    assert answer.grounded and "5 quan điểm chỉ đạo" in answer.text, answer.text[:300]
    assert "Sức khỏe là vốn quý nhất của con người" in answer.text


def test_a_plan_the_index_lacks_is_answered_from_the_named_resolutions_article_quoting_it(engine):
    # Kế hoạch 263/KH-UBND is not held; an article on NQ 68 quotes its Mục III, the date two passages below
    answer = ask(engine, "ke hoach 263 trien khai nq 68 yeu cau hoan thanh quan triet truoc ngay nao")
    assert answer.grounded and "15/10/2025" in answer.text, answer.text[:300]


def test_the_asked_years_target_may_sit_in_the_fourth_or_fifth_passage(engine):
    answer = ask(engine, "NQ 66 đặt mục tiêu đến năm 2027 phải xong việc gì")
    assert answer.grounded and "Năm 2027, hoàn thành" in answer.text, answer.text[:300]


def test_a_follow_up_is_answered_by_its_own_words_not_by_the_earlier_question(engine):
    earlier = "KL 127 giao ai chủ trì xây dựng đề án sáp nhập tỉnh, không tổ chức cấp huyện?"
    answer = ask(engine, "hạn trình BCH TW là bao giờ", earlier)
    assert answer.grounded and "07/4/2025" in answer.text.split("\n")[0], answer.text[:300]


def test_who_holds_an_office_is_answered_by_the_sentence_naming_it(engine):
    answer = ask(engine, "Giám đốc Sở Tư pháp báo cáo tại hội nghị tổng kết ngày 16/1 ở Thanh Hóa là ai?")
    assert answer.grounded and "Mai Xuân Bình" in answer.text.split("\n")[0], answer.text[:300]


def test_a_sentence_on_the_office_without_its_holder_does_not_answer_who_holds_it(engine):
    # NQ 66 speaks of "giám đốc sở tư pháp" joining the provincial committee, naming nobody
    answer = ask(engine, "Hiện nay ai là giám đốc sở tư pháp tỉnh Lạng Sơn?")
    assert not answer.grounded and not answer.citations, answer.text[:300]


def test_a_named_document_is_quoted_or_a_document_speaking_of_it_never_an_unrelated_one(engine):
    # Thanh Hóa's news matches "Sở Tư pháp tỉnh Thanh Hóa" but says nothing of Thông báo 659
    answer = ask(engine, "Thông báo 659 có giao việc gì cho Sở Tư pháp tỉnh Thanh Hóa không?")
    assert not answer.citations or all(c.doc_number == "659/TB-VPCP" for c in answer.citations), answer.text


def test_the_short_answer_is_the_value_of_the_asked_year(engine):
    answer = ask(engine, "Bảo hiểm y tế năm 2026 phải bao phủ bao nhiêu phần trăm dân số?")
    assert answer.grounded and answer.text.startswith("Trả lời ngắn: trên 95%"), answer.text[:200]
    answer = ask(engine, "Đến năm 2030 bao phủ bảo hiểm y tế đạt mức nào?")
    assert "Trả lời ngắn: trên 95%" not in answer.text  # 95% is the 2026 figure


def test_a_count_question_over_a_section_stub_takes_the_section_that_lists_the_items(engine):
    # several articles on NQ 68 carry a bare "III- NHIỆM VỤ, GIẢI PHÁP" heading; one lists the 8 items
    answer = ask(engine, "NQ 68-NQ/TW có bao nhiêu nhiệm vụ, giải pháp vậy?")
    # the count first, in the asked words, then the section with its items
    assert answer.grounded and answer.text.startswith("Trả lời ngắn: 8 nhiệm vụ, giải pháp."), answer.text[
        :300
    ]
    assert "gồm 8 ý" in answer.text.split("\n\n")[1].split("\n")[0], answer.text[:300]
    assert "\n8. " in answer.text


def test_more_detail_gives_a_longer_answer_than_the_first(engine):
    first = ask(engine, "Kinh tế tư nhân đóng góp bao nhiêu phần trăm GDP theo NQ 68?")
    more = ask(engine, "chi tiết hơn", "Kinh tế tư nhân đóng góp bao nhiêu phần trăm GDP theo NQ 68?")
    assert first.grounded and more.grounded
    assert len(more.text) > len(first.text) and more.text != first.text


def test_the_sentence_with_the_rare_asked_words_beats_one_with_many_common_ones(engine):
    # "hộ kinh doanh, cá nhân kinh doanh" fills many sentences of Điều 10; "môn bài" is in one
    answer = ask(engine, "hộ buôn bán nhỏ còn phải đóng tiền môn bài nữa ko, NQ 198 nói sao")
    assert answer.grounded and "lệ phí môn bài" in answer.text, answer.text[:300]


def test_an_amount_asked_in_chat_shorthand_is_refused_when_no_sentence_gives_it(engine):
    answer = ask(engine, "con nít học mầm non được hỗ trợ tiền ăn trưa bn 1 ngày?")
    assert not answer.grounded and not answer.citations, answer.text[:300]


def test_the_recipients_of_a_letter_are_never_the_list_asked_for(engine):
    answer = ask(engine, "Bộ VHTTDL đã ban hành mấy văn bản triển khai, gồm những loại nào (CV 6225)")
    assert answer.grounded and "06 Quyết định" in answer.text, answer.text[:300]
    assert "Kính gửi" not in answer.text


def test_that_meeting_in_a_follow_up_is_the_meeting_of_the_previous_notice(engine):
    answer = ask(engine, "cuộc họp đó diễn ra hôm nào", "TB 659 là kết luận của ai?")
    assert answer.grounded and "28 tháng 11 năm 2025" in answer.text, answer.text[:300]


def test_who_chaired_is_answered_by_the_sentence_naming_people(engine):
    question = (
        "hội nghị tổng kết khối VH-XH, nội vụ, tư pháp của UBND tỉnh Thanh Hóa sáng 16/1 ai đồng chủ trì?"
    )
    answer = ask(engine, question)
    assert answer.grounded and ("Lê Quang Hùng" in answer.text or "Đầu Thanh Tùng" in answer.text), (
        answer.text[:300]
    )


def test_a_follow_up_on_a_news_report_stays_in_that_report(engine):
    """A report has no number: its file is the follow-up's context, so the Chủ tịch asked about is Phú Thọ's."""
    first = ask(engine, "Sở Nội vụ Phú Thọ tổ chức hội nghị tổng kết năm 2025 vào ngày nào?")
    assert any(d.startswith("tệp: seeds/002") for d in first.referenced_docs), first.referenced_docs
    answer = ask(
        engine,
        "Chủ tịch tỉnh yêu cầu Sở phải có tinh thần gì?",
        "Sở Nội vụ Phú Thọ tổ chức hội nghị tổng kết năm 2025 vào ngày nào?",
    )
    assert answer.grounded and {c.source for c in answer.citations} == {first.citations[0].source}
    assert "nghĩ lớn, hành động lớn" in answer.text


def test_an_amount_set_for_another_year_does_not_answer_the_asked_year(engine):
    # the 90 days of petrol reserves are NQ 70's 2030 target; nothing is said of 2045
    assert not ask(engine, "NQ 70 đặt mức dự trữ xăng dầu đến năm 2045 là bao nhiêu ngày?").grounded
    assert (
        "khoảng 90 ngày" in ask(engine, "NQ 70 đặt mức dự trữ xăng dầu đến năm 2030 là bao nhiêu ngày?").text
    )


def test_a_news_reports_fact_is_told_apart_from_sentences_repeating_its_province_and_year(engine):
    answer = ask(engine, "Sở Nội vụ Phú Thọ điều động, biệt phái bao nhiêu cán bộ về xã năm 2025?")
    assert answer.grounded and "651 cán bộ" in answer.text.split("\n")[0], answer.text[:300]


def test_a_document_the_corpus_only_quotes_answers_through_the_lead_in_that_cites_it(engine):
    """ "Theo Điều 4 Quy định 66-QĐ/TW … quy định: … Các thể loại văn bản của Đảng gồm: 1- Cương lĩnh chính trị
    … là văn bản …": the definition stands under a lead-in citing the regulation the corpus does not hold."""
    answer = ask(engine, "Cương lĩnh chính trị là văn bản ntn theo QĐ 66-QĐ/TW?")
    assert answer.grounded and "mục tiêu, đường lối, nhiệm vụ và phương pháp cách mạng" in answer.text
    other = ask(engine, "Quyết định 66-QĐ/TW quy định mức lương thế nào?")
    assert not other.grounded


def test_a_year_inside_a_document_number_is_not_the_asked_year(engine):
    # TB 627 cites "Nghị quyết 106/2023/QH15": no meeting of 2023 is reported anywhere
    assert not ask(engine, "Hội nghị tổng kết năm 2023 của Sở Nội vụ do ai dự và chỉ đạo?").grounded


def test_a_lead_in_is_not_quoted_beside_a_sentence_that_states_the_fact(engine):
    answer = ask(engine, "nq 68 den 2045 co bn doanh nghiep")
    assert answer.grounded and all(not c.quote.rstrip().endswith(":") for c in answer.citations), answer.text


def test_a_document_the_corpus_lacks_gets_one_message_with_what_to_do(engine):
    answer = ask(engine, "Nghị định 57/2025/NĐ-CP quy định gì?")
    assert not answer.grounded and answer.text.startswith("Kho văn bản hiện chưa có Nghị định 57/2025/NĐ-CP")
    assert "Chưa tìm thấy" not in answer.text and "ví dụ" not in answer.text


def test_who_attended_is_answered_by_the_sentence_naming_them_not_the_one_setting_the_meeting(engine):
    answer = ask(engine, "hoi nghi tong ket cua so noi vu ngay 5/1 ai du va chi dao")
    assert answer.grounded and answer.text.startswith("Trả lời ngắn: Trần Duy Đông."), answer.text[:300]


# (question, earlier questions, how the answer opens or None, a string it must hold): answers this round fixed
FIXED_ANSWERS = [
    # "… 10 nhiệm vụ trọng tâm. Cụ thể: A; B; C." then seven paragraphs over four passages: all ten, counted
    (
        "Chủ tịch Phú Thọ giao Sở Nội vụ mấy nhiệm vụ trọng tâm năm 2026, gồm gì",
        (),
        "Trả lời ngắn: 10 nhiệm vụ trọng tâm.",
        "chính sách tiền lương, bảo hiểm xã hội",
    ),
    # NQ 68's five viewpoints, one a passage: read on to the last
    (
        "NQ 68 nêu mấy quan điểm chỉ đạo? liệt kê ngắn thôi",
        (),
        "Trả lời ngắn: 5 quan điểm chỉ đạo.",
        "Tạo môi trường kinh doanh thông thoáng, minh bạch",
    ),
    # a lead-in ending its passage ("… cụ thể như sau:") lists the items of the next passages
    (
        "kh 263 tuyen truyen nq 68 co may hinh thuc, ke ra?",
        (),
        "Gồm 5 ý.",
        "Phát động các phong trào thi đua",
    ),
    # chat words around a section question ("kể ra giúp e") are no detail inside the section
    (
        "NQ 66 đề ra mấy nhiệm vụ giải pháp lớn, kể ra giúp e",
        (),
        "Nghị quyết 66-NQ/TW ngày 30/04/2025 nêu 7 nhiệm vụ, giải pháp:",
        "Thực hiện cơ chế tài chính đặc biệt",
    ),
    # a year follow-up: the 2045 figure, not the lead-in "… được nêu tại Mục II như sau:"
    (
        "con 2045 thi sao",
        ("nghi quyet 68 muc tieu 2030 co bao nhieu doanh nghiep",),
        None,
        "3 triệu doanh nghiệp",
    ),
    # "(5) … độ phủ … mạng 5G" holds no amount; "(4) … phải đạt 90% … (đến nay mới đạt 39,5%)" does
    ("5G giờ phủ được bao nhiêu % rồi, TB 624 nói sao", (), None, "39,5%"),
    # everyday ways of asking when, and of sending staff to the communes
    ("cái ngày sức khỏe cho cả dân mình là bữa nào ta", (), None, "7/4 hằng năm"),
    ("Phú Thọ đưa nhiêu cán bộ xuống xã làm vậy", (), "Trả lời ngắn: 651 cán bộ.", "651 cán bộ về xã"),
]


@pytest.mark.parametrize(("question", "after", "opening", "holds"), FIXED_ANSWERS)
def test_lists_read_whole_and_facts_found_for_everyday_and_follow_up_questions(
    engine, question, after, opening, holds
):
    answer = ask(engine, question, *after)
    assert answer.grounded and holds in answer.text, answer.text[:300]
    assert opening is None or answer.text.startswith(opening), answer.text[:200]


def test_a_count_of_another_noun_is_refused(engine):
    assert not ask(engine, "NQ 72 quy định đến 2030 mỗi trạm y tế xã phải có bao nhiêu điều dưỡng?").grounded
    kept = ask(engine, "NQ 71 đến 2030 bao nhiêu % trường phổ thông đạt chuẩn quốc gia?")
    assert kept.grounded and "80%" in kept.text
