"""Extractive answer composition on hand-made passages (no model needed)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.evidence import CorpusStats
from retrieval.extractive import _query_terms, _sentence_score, compose, select_sentences
from retrieval.judge import Judge
from retrieval.search import QueryPlan
from retrieval.types import DocumentMeta, Passage, SearchHit

DOC = DocumentMeta(
    source="nq.md", title="Nghị quyết thử", doc_number="57-NQ/TW", doc_type="Nghị quyết", date="2024-12-22"
)


# composition is tested apart from the decision to answer: this judge accepts everything
ACCEPT = Judge(("dense_top",), (0.0,), (1.0,), (0.0,), 0.0, 0.0)


def _hit(text: str, rank: int = 1, section_ref: str = "II.1", dense: float = 0.9) -> SearchHit:
    p = Passage(
        id=f"p{rank}", text=text, section="II. Mục tiêu", doc=DOC, position=rank, section_ref=section_ref
    )
    return SearchHit(passage=p, score=1.0 / rank, rank=rank, dense=dense)


def test_rhetorical_questions_and_lead_ins_are_not_answers():
    hit = _hit(
        "Nghị quyết đặt mục tiêu đến năm 2030 có bao nhiêu doanh nghiệp?\n"
        "Mục tiêu đến năm 2030 như sau:\n"
        "- Phấn đấu có 2 triệu doanh nghiệp hoạt động trong nền kinh tế đến năm 2030."
    )
    picked = select_sentences("mục tiêu đến năm 2030 có bao nhiêu doanh nghiệp", [hit])
    assert picked[0][1].startswith("- Phấn đấu có 2 triệu doanh nghiệp")


def test_long_enumerations_are_quoted_whole_never_from_the_middle():
    text = (
        "Mở đầu của mục này nói về nhân lực.\n"
        "- Kinh phí chi cho nghiên cứu phát triển đạt 2% GDP, trong đó kinh phí từ xã hội chiếm hơn 60%; "
        "bố trí ít nhất 3% tổng chi ngân sách hằng năm cho khoa học; nguồn nhân lực nghiên cứu đạt 12 người "
        "trên một vạn dân; có từ 40 - 50 tổ chức khoa học và công nghệ được xếp hạng khu vực và thế giới."
    )
    picked = select_sentences("kinh phí chi cho nghiên cứu phát triển bao nhiêu phần trăm GDP", [_hit(text)])
    quote = picked[0][1]
    assert "2% GDP" in quote
    # the quote is the whole list item: it starts where the item starts and ends with the item's stop
    assert quote.startswith("- Kinh phí") and quote.endswith("thế giới.")
    assert "Mở đầu" not in quote


def test_headings_and_fragments_are_never_quoted():
    hit = _hit("I- QUAN ĐIỂM CHỈ ĐẠO\nlà lực.\nKinh phí chi cho nghiên cứu phát triển đạt 2% GDP.")
    for q in ("quan điểm chỉ đạo là gì", "là lực", "kinh phí nghiên cứu"):
        for _, sentence in select_sentences(q, [hit]):
            assert sentence == "Kinh phí chi cho nghiên cứu phát triển đạt 2% GDP."


def test_a_list_question_gets_the_whole_list_with_its_count():
    stats = CorpusStats(["nguyên tắc sáu rõ người việc", "doanh nghiệp", "ngân sách", "mục tiêu"])
    hit = _hit(
        "Khi phân công nhiệm vụ phải bảo đảm các yêu cầu sau:\n"
        "- rõ người thực hiện nhiệm vụ được giao;\n- rõ việc cần làm và sản phẩm;\n"
        "- rõ thời gian hoàn thành nhiệm vụ.\nĐoạn sau nói chuyện khác hẳn về ngân sách."
    )
    plan = QueryPlan("q", [], [], [])
    answer = compose("phân công nhiệm vụ phải bảo đảm những yêu cầu gì", [hit], plan, stats, ACCEPT)
    assert answer.grounded
    assert answer.text.startswith("Gồm 3 ý.")
    for item in ("rõ người thực hiện", "rõ việc cần làm", "rõ thời gian hoàn thành"):
        assert item in answer.text
    assert "ngân sách" not in answer.citations[0].quote


def test_answer_starts_with_its_citation_and_quotes_only_the_passage():
    stats = CorpusStats(["kinh phí nghiên cứu phát triển GDP", "doanh nghiệp", "ngân sách"])
    hit = _hit("Kinh phí chi cho nghiên cứu phát triển đạt 2% GDP.")
    plan = QueryPlan("q", [], [], [])
    answer = compose("kinh phí nghiên cứu phát triển đạt bao nhiêu GDP", [hit], plan, stats, ACCEPT)
    assert answer.grounded
    # the asked amount first, copied from the quote; then the quote, introduced by its citation
    assert answer.text == (
        "Trả lời ngắn: đạt 2% GDP.\n\n"
        "Theo Nghị quyết 57-NQ/TW ngày 22/12/2024, mục II.1: Kinh phí chi cho nghiên cứu phát triển đạt 2% GDP."
    )
    assert answer.citations[0].quote in hit.passage.text
    # a question asking for no date, amount or person opens with the citation itself
    answer = compose("kinh phí nghiên cứu phát triển", [hit], plan, stats, ACCEPT)
    assert answer.text.startswith("Theo Nghị quyết 57-NQ/TW")


def test_weak_evidence_is_refused():
    stats = CorpusStats(["kinh phí nghiên cứu phát triển GDP", "doanh nghiệp", "ngân sách"])
    hit = _hit("Kinh phí chi cho nghiên cứu phát triển đạt 2% GDP.", dense=0.8)
    answer = compose("giá vàng SJC hôm nay bao nhiêu", [hit], QueryPlan("q", [], [], []), stats)
    assert not answer.grounded and answer.citations == []


def test_the_passage_holding_the_asked_amount_is_quoted_first():
    """A "how much money" question: the sentence with the amount in đồng leads, whatever the rank."""
    from retrieval.extractive import lead_with_fact

    first = _hit("Hộ kinh doanh được hỗ trợ chuyển đổi lên doanh nghiệp theo quy định.", rank=1)
    second = _hit("Mức hỗ trợ cho mỗi hộ kinh doanh là 5 triệu đồng một lần.", rank=2)
    picked = [(first, first.passage.text), (second, second.passage.text)]
    ordered = lead_with_fact("Mức hỗ trợ cho hộ kinh doanh là bao nhiêu tiền?", picked)
    assert [h.passage.id for h, _ in ordered] == ["p2", "p1"]
    # nothing asked in a unit, or no sentence holding it: the order stays
    assert lead_with_fact("Hộ kinh doanh được hỗ trợ gì?", picked) == picked
    stats = CorpusStats([first.passage.text, second.passage.text])
    answer = compose(
        "Mức hỗ trợ cho hộ kinh doanh là bao nhiêu tiền?",
        [first, second],
        QueryPlan("q", [], [], []),
        stats,
        ACCEPT,
    )
    assert "5 triệu đồng" in answer.text.split("\n\n")[0]


_SENTENCES = [
    "Mức hỗ trợ cho mỗi hộ kinh doanh là 5 triệu đồng một lần.",
    "Tỷ lệ chi cho nghiên cứu phát triển đạt 2% GDP vào năm 2030.",
    "Hộ kinh doanh được hỗ trợ chuyển đổi lên doanh nghiệp theo quy định.",
    "Nghị quyết được ban hành ngày 22/12/2024 tại Hà Nội.",
]


@settings(max_examples=60, deadline=None)
@given(
    order=st.permutations(range(len(_SENTENCES))),
    question=st.sampled_from(
        [
            "Mức hỗ trợ là bao nhiêu tiền?",
            "Tỷ lệ chi là bao nhiêu phần trăm?",
            "Ban hành ngày nào?",
            "Hộ kinh doanh được hỗ trợ gì?",
        ]
    ),
)
def test_leading_with_the_fact_only_reorders_what_was_chosen(order, question):
    """Nothing is invented or dropped: the lead is one of the chosen sentences, and it holds the asked fact."""
    from retrieval.extractive import lead_with_fact

    hits = [_hit(_SENTENCES[i], rank=n + 1) for n, i in enumerate(order)]
    picked = [(h, h.passage.text) for h in hits]
    out = lead_with_fact(question, picked)
    assert sorted(s for _, s in out) == sorted(s for _, s in picked)
    numbers = {"tiền": "5 triệu đồng", "phần trăm": "2%", "ngày nào": "22/12/2024"}
    for asked, fact in numbers.items():
        if asked in question:
            assert fact in out[0][1]


def _doc_hit(pid: str, section: str, text: str, position: int, section_ref: str = "") -> SearchHit:
    p = Passage(id=pid, text=text, section=section, doc=DOC, position=position, section_ref=section_ref)
    return SearchHit(passage=p, score=1.0, rank=position + 1, dense=0.9)


LIST_STATS = CorpusStats(["mục tiêu thể lực bệnh tật", "doanh nghiệp", "ngân sách", "báo cáo"])


def test_a_list_cut_by_the_chunker_is_shown_whole_and_alone():
    first = _doc_hit(
        "a",
        "Mục tiêu › (4) Nghị quyết 72",
        "- Mục tiêu đến năm 2030\n+ Nâng cao thể lực, tầm vóc của Nhân dân.\nĐến năm 2030 tăng chiều cao.\n"
        "+ Giảm gánh nặng bệnh tật.",
        0,
    )
    # the next passage sits under a "heading" that is really its first paragraph: it continues the list
    second = _doc_hit(
        "b",
        "Mục tiêu › Đến năm 2030, người dân được miễn viện phí…",
        "Đến năm 2030, người dân được miễn viện phí ở mức cơ bản.\n+ Bảo hiểm y tế bao phủ toàn dân.",
        1,
    )
    other = _doc_hit(
        "c", "Tầm nhìn", "Đến năm 2045 tuổi thọ trung bình đạt 80 tuổi, hệ thống y tế hiện đại.", 2
    )
    answer = compose(
        "mục tiêu đến năm 2030 gồm những nhóm nào",
        [first, other],
        QueryPlan("q", [], [], []),
        LIST_STATS,
        ACCEPT,
        doc_passages=lambda source: [first.passage, second.passage, other.passage],
    )
    assert answer.text.startswith("Gồm 3 ý.")
    assert "Mục tiêu đến năm 2030\n1. Nâng cao thể lực" in answer.text
    assert "3. Bảo hiểm y tế bao phủ toàn dân." in answer.text
    assert "2045" not in answer.text and len(answer.citations) == 1  # nothing else distracts from the list


def test_a_sub_heading_is_never_quoted_alone():
    hit = _hit(
        "- Mục tiêu tổng quát đến năm 2030\nBảo đảm vững chắc an ninh năng lượng quốc gia trong mọi tình huống.\n"
        "- Tầm nhìn đến năm 2045\nNgành năng lượng phát triển bền vững."
    )
    answer = compose(
        "mục tiêu tổng quát đến năm 2030 là gì", [hit], QueryPlan("q", [], [], []), LIST_STATS, ACCEPT
    )
    assert "Mục tiêu tổng quát đến năm 2030: Bảo đảm vững chắc an ninh năng lượng" in answer.text


def test_a_paragraph_cut_in_two_is_joined_back_for_its_inline_list():
    first = _doc_hit(
        "a",
        "1. Các Bộ",
        "- Hoàn thiện các báo cáo: (i) Báo cáo tình hình thực hiện; (ii) Báo cáo vướng mắc;",
        0,
    )
    second = _doc_hit("b", "1. Các Bộ", "(iii) Báo cáo cắt giảm thủ tục. Các báo cáo gửi Bộ Tư pháp.", 1)
    answer = compose(
        "các Bộ hoàn thiện những báo cáo nào",
        [first],
        QueryPlan("q", [], [], []),
        LIST_STATS,
        ACCEPT,
        doc_passages=lambda source: [first.passage, second.passage],
    )
    assert answer.text.startswith("Gồm 3 ý.")
    assert "3. Báo cáo cắt giảm thủ tục." in answer.text and "gửi Bộ Tư pháp" not in answer.text


def test_a_list_whose_first_items_the_chunker_left_in_the_previous_passage_is_shown_from_its_first_item():
    first = _doc_hit(
        "a",
        "Điều 9. Hỗ trợ tài chính",
        "1. Doanh nghiệp được hỗ trợ lãi suất.\n2. Quỹ hỗ trợ thực hiện các chức năng sau đây:\n"
        "a) Cho vay doanh nghiệp nhỏ;\nb) Cho vay khởi nghiệp;",
        0,
    )
    # the rest of the list, filed by the chunker under the lead-in as if it were a heading
    second = _doc_hit(
        "b",
        "Điều 9. Hỗ trợ tài chính › 2. Quỹ hỗ trợ thực hiện…",
        "c) Đầu tư vào các quỹ đầu tư địa phương;\nd) Tiếp nhận vốn ủy thác để hỗ trợ doanh nghiệp.",
        1,
    )
    answer = compose(
        "quỹ hỗ trợ có những chức năng nào",
        [second],
        QueryPlan("q", [], [], []),
        CorpusStats(["quỹ hỗ trợ chức năng", "doanh nghiệp", "vốn ủy thác"]),
        ACCEPT,
        doc_passages=lambda source: [first.passage, second.passage],
    )
    assert answer.text.startswith("Gồm 4 ý."), answer.text
    assert "1. Cho vay doanh nghiệp nhỏ;" in answer.text and "4. Tiếp nhận vốn ủy thác" in answer.text


def test_a_news_reports_province_counts_little_in_telling_its_sentences_apart():
    """Every sentence of a Phú Thọ report is about Phú Thọ (the province is in every passage header)."""
    stats = CorpusStats(["Tỉnh Phú Thọ xếp thứ nhất.", "Điều động cán bộ về xã.", "Nghị quyết về cán bộ."])
    terms, bigrams = _query_terms("Phú Thọ điều động bao nhiêu cán bộ?")
    sentence = "Với những nỗ lực đó, tỉnh Phú Thọ xếp thứ nhất cả nước về dữ liệu cán bộ."
    full = _sentence_score(terms, bigrams, sentence, stats)
    reduced = _sentence_score(terms, bigrams, sentence, stats, frozenset({"phu", "tho"}))
    assert 0 < reduced < full


def test_the_questions_focus_is_the_words_around_what_it_asks():
    from retrieval.extractive import _focus_terms

    # "kết nối tới bao nhiêu xã phường": the setting ("hội nghị … ngày 16/1") is not the focus
    assert _focus_terms("Hội nghị của tỉnh ngày 16/1 kết nối tới bao nhiêu xã phường?") >= {"xa", "phuong"}
    assert not _focus_terms("Hội nghị của tỉnh ngày 16/1 kết nối tới bao nhiêu xã phường?") & {"16", "ngay"}
    assert {"du", "dao"} <= _focus_terms("hoi nghi ngay 5/1 ai du va chi dao")
    assert _focus_terms("Nghị quyết 57 đặt mục tiêu đến năm 2030.") == set()  # nothing asked


def test_a_quote_opening_a_list_of_clauses_runs_to_the_end_of_that_list():
    from retrieval.extractive import through_list_end

    text = (
        "Giao Đảng uỷ Chính phủ rà soát văn bản. Trong đó, ưu tiên các lĩnh vực: Tài chính - ngân sách; "
        "đất đai và quy hoạch; chuyển đổi số. Câu sau nói chuyện khác."
    )
    cut = "Trong đó, ưu tiên các lĩnh vực: Tài chính - ngân sách;"
    assert through_list_end(text, cut) == (
        "Trong đó, ưu tiên các lĩnh vực: Tài chính - ngân sách; đất đai và quy hoạch; chuyển đổi số."
    )
    assert (
        through_list_end(text, "Giao Đảng uỷ Chính phủ rà soát văn bản.")
        == "Giao Đảng uỷ Chính phủ rà soát văn bản."
    )
    # the last piece of such a list, and a piece in lower case, start where their sentence starts
    report = (
        "Sáng 16/1 họp. Tại hội nghị, các ngành: Khoa học và Công nghệ; Tư pháp; Nội vụ đã báo cáo kết quả."
    )
    assert through_list_end(report, "Nội vụ đã báo cáo kết quả.") == (
        "Tại hội nghị, các ngành: Khoa học và Công nghệ; Tư pháp; Nội vụ đã báo cáo kết quả."
    )
    target = "+ 100% trạm y tế cấp xã được đầu tư; đến năm 2027 có ít nhất từ 4 - 5 bác sĩ. Tăng tỉ lệ."
    assert through_list_end(target, "đến năm 2027 có ít nhất từ 4 - 5 bác sĩ.") == (
        "100% trạm y tế cấp xã được đầu tư; đến năm 2027 có ít nhất từ 4 - 5 bác sĩ."
    )
    # a short sentence cut at ";" is quoted whole from its start
    short = "Sở đề ra 10 nhiệm vụ. Trong đó, bám sát các nghị quyết 57, 59; Nghị quyết Đại hội Đảng bộ tỉnh."
    assert through_list_end(short, "Nghị quyết Đại hội Đảng bộ tỉnh.") == (
        "Trong đó, bám sát các nghị quyết 57, 59; Nghị quyết Đại hội Đảng bộ tỉnh."
    )
    # an item of a marked list is whole by itself
    items = "Bộ Công an: (1) mở rộng Trung tâm Dữ liệu; (2) phát triển VNeID với 05 chức năng."
    assert (
        through_list_end(items, "(2) phát triển VNeID với 05 chức năng.")
        == "(2) phát triển VNeID với 05 chức năng."
    )


def test_a_list_question_prefers_the_lead_in_that_announces_the_list():
    stats = CorpusStats(["văn bản của Đảng", "thể loại", "ngân sách", "mục tiêu"])
    hit = _hit(
        "Theo Quy định thì văn bản của Đảng là loại hình tài liệu ghi lại hoạt động của các tổ chức đảng.\n"
        "Các thể loại văn bản của Đảng gồm:\n1- Cương lĩnh chính trị\nCương lĩnh là văn bản về đường lối.\n"
        "2- Điều lệ Đảng\nĐiều lệ là văn bản về tôn chỉ.\n3- Chiến lược"
    )
    answer = compose(
        "Các thể loại văn bản của Đảng là những gì?", [hit], QueryPlan("q", [], [], []), stats, ACCEPT
    )
    assert answer.text.startswith("Gồm 3 ý.")
    assert "Điều lệ Đảng" in answer.text and "Chiến lược" in answer.text


def _two_passages(first_text: str, second_text: str, sections: tuple[str, str]) -> str:
    """What the composer reads of the first passage: it and the next one of its document (`_with_next`)."""
    from retrieval.extractive import _with_next

    first = Passage(id="a", text=first_text, section=sections[0], doc=DOC, position=1)
    second = Passage(id="b", text=second_text, section=sections[1], doc=DOC, position=2)
    return _with_next(first, lambda source: [first, second])


def test_a_list_the_chunker_cut_between_two_items_is_read_on_separate_lines():
    from retrieval.lists import find_list

    lead = "Quỹ thực hiện các chức năng sau đây:"
    joined = _two_passages(
        f"{lead}\na) Cho vay doanh nghiệp;\nb) Cho vay khởi nghiệp;\nc) Tài trợ vườn ươm;",
        "d) Đầu tư vào các quỹ;\nđ) Tiếp nhận nguồn vốn.",
        ("Điều 9", "Điều 9"),
    )
    assert "vườn ươm;\nd) Đầu tư" in joined
    found = find_list(joined, lead)
    assert found is not None and len(found.items) == 5


def test_a_subheading_ending_a_passage_stands_for_the_first_item_of_the_next():
    from retrieval.lists import subheading_content

    joined = _two_passages(
        "1. Đối với cao tốc: hoàn thành 3.000 km.\n2. Đối với dự án sân bay Long Thành",
        "a) Hiện nay tổng khối lượng hoàn thành khoảng 61%. Còn lại rất lớn.\nb) Giao Bộ Xây dựng.",
        ("III", "III › 2. Đối với dự án sân bay Long Thành"),
    )
    assert "Long Thành\na) Hiện nay" in joined
    assert subheading_content(joined, "Đối với dự án sân bay Long Thành") == (
        "Đối với dự án sân bay Long Thành: Hiện nay tổng khối lượng hoàn thành khoảng 61%."
    )
