"""The calibrated evidence judge: features on hand-made passages, training, the JSON file it ships as."""

import json
import math

import pytest

from retrieval.evidence import CorpusStats
from retrieval.judge import (
    FEATURES,
    Judge,
    answer_type_found,
    asked_detail_missing,
    asked_places,
    asked_role_missing,
    asked_roles,
    asked_type,
    asked_unit,
    body_unnamed,
    default_judge,
    features,
    fit_judge,
    hits_about_asked_places,
    named_bodies,
    names_a_place,
    off_the_asked_case,
    proper_names,
    quantity_missing,
    under_another_year,
)
from retrieval.types import DocumentMeta, Passage, SearchHit

DOC = DocumentMeta(
    source="nq.md", title="Nghị quyết thử", doc_number="57-NQ/TW", doc_type="Nghị quyết", date="2024-12-22"
)
TEXTS = [
    "Kinh phí chi cho nghiên cứu phát triển đạt 2% GDP.",
    "Đến năm 2030, tăng chiều cao trung bình của trẻ em thêm 1,5 cm.",
    "Doanh nghiệp nhỏ được hỗ trợ lãi suất 2%/năm.",
    "Tổ chức thực hiện nghị quyết trong toàn hệ thống chính trị.",
]
STATS = CorpusStats(TEXTS)


def _hits(dense=(0.9, 0.85, 0.84)):
    out = []
    for i, (text, d) in enumerate(zip(TEXTS, dense, strict=False)):
        p = Passage(id=f"p{i}", text=text, section="", doc=DOC, position=i)
        out.append(SearchHit(p, score=1.0 / (i + 1), rank=i + 1, dense=d, lexical=5.0 - i))
    return out


def test_features_have_every_name_and_sane_ranges():
    f = features("kinh phí nghiên cứu phát triển bao nhiêu GDP", _hits(), STATS, [TEXTS[0]], ["nq.md"])
    assert set(f) == set(FEATURES)
    assert f["dense_top"] == 0.9 and f["named_doc"] == 1.0 and f["unknown_ref"] == 0.0
    assert f["coverage"] == 1.0 and f["missing_rare"] == 0.0
    assert f["type_asked"] == 1.0 and f["type_found"] == 1.0
    assert all(0.0 <= v <= 10 for v in f.values())


def test_missing_words_numbers_and_everyday_words():
    off = features("giá vàng SJC hôm nay bao nhiêu", _hits(), STATS, [TEXTS[0]])
    assert off["missing_rare"] > 0.5 and off["coverage"] < 0.5
    year = features("kinh phí nghiên cứu phát triển năm 2035 bao nhiêu GDP", _hits(), STATS, [TEXTS[0]])
    assert year["missing_number"] == 1.0
    # "con nít" is "trẻ em": the everyday word is not missing when the passage has the administrative one
    kid = features("con nít cao thêm mấy cm", _hits(), STATS, [TEXTS[1]])
    plain = features("trẻ em cao thêm mấy cm", _hits(), STATS, [TEXTS[1]])
    assert kid["coverage"] == plain["coverage"] and kid["missing_rare"] == plain["missing_rare"] == 0.0


def test_answer_types():
    assert asked_type("Kết luận 221 ban hành ngày nào?") == "date"
    assert asked_type("6 ro gom nhung gi") == "list"
    assert asked_type("tăng thêm bao nhiêu cm") == "number"
    assert asked_type("ai làm trưởng ban") == "person"
    # people asked in the plural are still people: named in a sentence, not listed as items
    assert asked_type("Hội nghị do những đồng chí nào đồng chủ trì?") == "person"
    assert asked_type("Những cơ quan nào phối hợp?") == "list"
    assert answer_type_found("date", "ký ngày 28/11/2025") and not answer_type_found("date", "không có")
    assert asked_type("Ngày Sức khỏe toàn dân là ngày mấy?") == "date"
    assert asked_unit("bao giờ thì bỏ lệ phí môn bài?") is None  # a date is asked, not a sum of money
    assert asked_unit("lệ phí môn bài bao nhiêu tiền?") == "money"
    assert asked_type("Có trường nào chuyên dạy AI cho người giỏi không?") != "person"  # AI: trí tuệ nhân tạo
    # "có mấy / nêu mấy …" asks for the items of a list, unless it counts people or things
    assert asked_type("TB 624 nêu mấy nguyên nhân chủ yếu của hạn chế? là gì") == "list"
    assert asked_type("Trạm y tế xã đến năm 2027 có mấy bác sĩ?") == "number"


def test_training_separates_the_fixture_and_keeps_answerable_refusals_low():
    rows, labels = [], []
    for i in range(40):
        good = {"dense_top": 0.88 + (i % 5) * 0.01, "coverage": 0.8 + (i % 3) * 0.05, "missing_rare": 0.0}
        bad = {"dense_top": 0.84 + (i % 5) * 0.01, "coverage": 0.3 + (i % 4) * 0.1, "missing_rare": 0.7}
        rows += [good, bad]
        labels += [1, 0]
    judge = fit_judge(rows, labels, max_refused=0.03)
    positives = [r for r, y in zip(rows, labels, strict=True) if y]
    negatives = [r for r, y in zip(rows, labels, strict=True) if not y]
    assert sum(not judge.accept(r) for r in positives) / len(positives) <= 0.03
    assert sum(not judge.accept(r) for r in negatives) / len(negatives) >= 0.9
    # coverage helps, a missing rare word hurts
    coef = dict(zip(judge.names, judge.coef, strict=True))
    assert coef["coverage"] > 0 and coef["missing_rare"] < 0


def test_the_judge_round_trips_through_plain_json(tmp_path):
    judge = Judge(("dense_top", "coverage"), (0.8, 0.5), (0.1, 0.2), (2.0, 1.0), -0.5, 0.4)
    path = tmp_path / "judge.json"
    judge.save(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert set(data) == {"features", "mean", "scale", "coef", "intercept", "threshold"}
    again = Judge.from_json(data)
    f = {"dense_top": 0.9, "coverage": 0.7}
    z = -0.5 + 2.0 * (0.9 - 0.8) / 0.1 + 1.0 * (0.7 - 0.5) / 0.2
    assert math.isclose(again.probability(f), 1 / (1 + math.exp(-z)), rel_tol=1e-6)


def test_the_shipped_judge_uses_known_features():
    judge = default_judge()
    assert set(judge.names) <= set(FEATURES) and 0.0 < judge.threshold < 1.0


def test_a_detail_the_passages_do_not_state_is_a_feature():
    """Near misses: an amount, a year or a place the question asks about that the evidence does not hold."""
    # "học phí" asks for money: a sentence with a percentage does not give it
    fee = features("Học phí nghiên cứu phát triển là bao nhiêu?", _hits(), STATS, [TEXTS[0]])
    assert asked_unit("Học phí nghiên cứu phát triển là bao nhiêu?") == "money" and fee["unit_missing"] == 1.0
    pct = features("Chi cho nghiên cứu phát triển bao nhiêu phần trăm GDP?", _hits(), STATS, [TEXTS[0]])
    assert pct["unit_missing"] == 0.0
    # a year of the question that no chosen sentence holds
    late = features("Đến năm 2045 chiều cao trẻ em tăng bao nhiêu?", _hits(), STATS, [TEXTS[1]])
    on_time = features("Đến năm 2030 chiều cao trẻ em tăng bao nhiêu?", _hits(), STATS, [TEXTS[1]])
    assert late["year_missing"] == 1.0 and on_time["year_missing"] == 0.0
    # a province the passages never mention
    place = features("Tỉnh Bắc Giang hỗ trợ lãi suất bao nhiêu?", _hits(), STATS, [TEXTS[2]])
    assert place["name_missing"] == 1.0
    assert (
        features("Doanh nghiệp nhỏ được hỗ trợ lãi suất bao nhiêu?", _hits(), STATS, [TEXTS[2]])[
            "name_missing"
        ]
        == 0.0
    )


def test_proper_names_leave_out_offices_document_types_and_acronyms():
    assert proper_names("Tỉnh Bắc Giang sáp nhập với tỉnh nào?") == ["bac giang"]
    assert proper_names("Giám đốc Sở Nội vụ Phú Thọ là ai?") == ["phu tho"]
    assert proper_names("Nghị quyết 57-NQ/TW đặt mục tiêu gì?") == []
    assert proper_names("Bí thư Tỉnh ủy Thanh Hóa là ai?") == ["thanh hoa"]


def test_an_asked_date_or_amount_must_be_stated_not_just_a_document_number():
    no_year = ["Phát triển mạng di động 5G, 6G phủ sóng toàn quốc theo Nghị quyết số 57-NQ/TW."]
    assert asked_detail_missing("NQ 57 đặt mục tiêu phủ 6G toàn quốc vào năm nào?", no_year)
    assert not asked_detail_missing("NQ 57 đặt mục tiêu phủ 6G vào năm nào?", ["Đến năm 2030, phủ sóng 5G."])
    # a date is not an amount, "một số" is not a count, a clause number is not a figure
    dated = ["Ngày 28 tháng 11 năm 2025, Bộ giao một số nhiệm vụ theo Điều 7 Nghị quyết số 140/NQ-CP."]
    assert asked_detail_missing("Nghị quyết 140/NQ-CP giao bao nhiêu nhiệm vụ?", dated)
    assert not asked_detail_missing(
        "Nghị quyết 140 giao bao nhiêu nhiệm vụ?", ["Giao 35 nhiệm vụ cho các bộ."]
    )
    assert not asked_detail_missing("Đến 2030 tăng chiều cao mấy phân?", ["tăng thêm tối thiểu 1,5 cm"])
    # a news report's "Ngày 5/1" is a date whole: no "/1" is left behind as an amount
    opening = ["Ngày 5/1, Sở Nội vụ tổ chức hội nghị tổng kết năm 2025."]
    assert asked_detail_missing("Hội nghị ngày 5/1 kết nối tới bao nhiêu xã, phường?", opening)
    assert not asked_detail_missing("Kết nối tới bao nhiêu xã?", ["Ngày 16/1, kết nối tới 166 xã, phường."])
    # a yes/no question, and "mấy hộ" meaning "those households", ask for no amount
    assert not asked_detail_missing(
        "Nhà nước có cho mấy hộ làm ăn nhỏ tư vấn luật không?", ["miễn phí tư vấn"]
    )
    assert not asked_detail_missing("Nghị quyết 57 nói gì về 6G?", no_year)  # asks for no date or amount


def test_who_holds_an_office_needs_a_sentence_naming_that_office():
    other = ["Đồng chí Chủ tịch UBND tỉnh Trần Duy Đông biểu dương Sở Nội vụ."]
    assert asked_role_missing("Giám đốc Sở Nội vụ Phú Thọ là ai?", other)
    assert not asked_role_missing("Giám đốc Sở Nội vụ là ai?", ["Giám đốc Sở Nội vụ Nguyễn Văn A phát biểu."])
    assert not asked_role_missing("Ai chủ trì hội nghị?", other)  # not "who holds an office"
    deputy = ["Đồng chí Đầu Thanh Tùng, Phó Chủ tịch UBND tỉnh phát biểu tại hội nghị."]
    assert asked_role_missing("Chủ tịch UBND tỉnh hiện nay là ai?", deputy)  # a deputy is not the head
    assert not asked_role_missing("Phó Chủ tịch UBND tỉnh là ai?", deputy)
    # "tên là gì" asks who, and abbreviations are read as written out
    named = ["Giám đốc Sở Văn hóa, Thể thao và Du lịch Lê Văn Trung báo cáo kết quả."]
    assert not asked_role_missing("GĐ Sở VHTTDL Thanh Hóa phát biểu ở hội nghị là ai?", named)
    assert asked_role_missing("Giám đốc Sở Tư pháp Thanh Hóa tên là gì?", named)
    # typed without diacritics and in lower case, the place run into the office's name
    judge = ["Giám đốc Sở Tư pháp Mai Xuân Bình báo cáo kết quả."]
    assert not asked_role_missing("giam doc so tu phap thanh hoa ten gi", judge)
    assert asked_role_missing("giam doc so tai chinh thanh hoa ten gi", judge)


def test_an_asked_sum_of_money_or_share_must_be_stated_in_that_unit():
    works = ["Giao Bộ Xây dựng tháo gỡ vướng mắc của 12 dự án cao tốc."]
    assert asked_detail_missing("Cao tốc Đồng Đăng có tổng mức đầu tư bao nhiêu tỷ đồng?", works)
    assert not asked_detail_missing("Dự án có tổng mức đầu tư bao nhiêu?", ["tổng mức đầu tư 14.000 tỷ đồng"])
    # an allowance may be a share of the salary
    assert not asked_detail_missing(
        "Phụ cấp ưu đãi cho nhân viên được bao nhiêu?", ["tối thiểu 30% cho nhân viên"]
    )
    assert asked_detail_missing("Tỷ lệ giải ngân đạt bao nhiêu phần trăm?", ["Đã giải ngân 120 tỷ đồng."])
    # a raise may be a share; a monthly sum may not
    raised = ["nâng phụ cấp ưu đãi nghề lên tối thiểu 70% cho giáo viên"]
    assert not asked_detail_missing("Cô giáo được tăng tiền phụ cấp đứng lớp lên bao nhiêu?", raised)
    assert asked_detail_missing("Lương bác sĩ bậc 2 là bao nhiêu tiền một tháng?", raised)


def test_a_phone_number_or_a_document_number_must_be_stated_when_asked():
    quote = ["Văn phòng Bộ chủ trì, phối hợp các đơn vị theo Công văn 6225/BVHTTDL-VP."]
    assert asked_detail_missing("Cho mình xin số điện thoại Văn phòng Bộ để hỏi CV 6225", quote)
    assert not asked_detail_missing("Số điện thoại Văn phòng Bộ?", ["Liên hệ Văn phòng Bộ: 024 3943 8231."])
    rate = ["Doanh nghiệp được hỗ trợ lãi suất 2%/năm theo Nghị quyết 198/2025/QH15."]
    assert asked_detail_missing("Thông tư hướng dẫn hỗ trợ lãi suất theo NQ 198 là thông tư số mấy?", rate)
    assert not asked_detail_missing(
        "Thông tư hướng dẫn hỗ trợ lãi suất là thông tư số mấy?", ["Thông tư 14/2025/TT-NHNN hướng dẫn."]
    )


def test_a_province_typed_in_lower_case_without_diacritics_is_a_place():
    assert asked_places("giam doc so tu phap nghe an la ai") == ["nghe an"]
    assert asked_places("Tuổi thọ ở tỉnh Phú Thọ là bao nhiêu?") == ["phu tho"]  # found once, not twice
    assert asked_places("NQ 57 đặt mục tiêu gì?") == []


def test_places_are_the_capitalised_words_after_an_administrative_word():
    assert asked_places("Trưởng Ban Tổ chức Tỉnh ủy Phú Thọ là ai?") == ["phu tho"]
    assert asked_places("thành phố Hồ Chí Minh, tỉnh Đắk Lắk và xã Hợp Tiến") == [
        "ho chi minh",
        "dak lak",
        "hop tien",
    ]
    assert asked_places("xã hội hóa giáo dục ở tỉnh này") == []
    # after "ở / tại": a name of two words or more, never an office or a meeting
    assert asked_places("Tỉ lệ có thẻ bảo hiểm y tế ở Phú Thọ năm 2025?") == ["phu tho"]
    assert asked_places("phát biểu tại Hội nghị, ở Bộ Tài chính, tại Văn Phòng Chính Phủ, ở Huế") == []


def _passage(
    i: int, text: str, source: str = "a.md", url: str | None = None, number: str | None = "72-NQ/TW"
):
    doc = DocumentMeta(source=source, title="Văn bản", url=url, doc_number=number)
    return Passage(id=f"{source}{i}", text=text, section="", doc=doc, position=i)


def test_a_year_or_place_the_passages_never_name_is_a_near_miss():
    doc = [_passage(0, "Mục tiêu cụ thể đến năm 2030:"), _passage(1, "Tuổi thọ trung bình đạt 75,5 tuổi.")]
    hit = [SearchHit(doc[1], score=1.0, rank=1)]
    by_source = {"a.md": doc}
    # the lead-in of the list, one passage back, states the year
    assert not off_the_asked_case("Tuổi thọ trung bình năm 2030 là bao nhiêu?", hit, by_source.get)
    assert off_the_asked_case("Tuổi thọ trung bình năm 2035 là bao nhiêu?", hit, by_source.get)
    # a resolution's national figure does not answer for one province
    assert off_the_asked_case("Tuổi thọ ở tỉnh Phú Thọ là bao nhiêu?", hit, by_source.get)
    assert not off_the_asked_case("Nghị quyết 57/2024 nói gì?", hit)  # a document number is not a year
    meeting = [
        _passage(0, "Thủ tướng chủ trì Phiên họp lần thứ 21 Ban Chỉ đạo."),
        _passage(1, "Họp ngày 8/11."),
    ]
    at = [SearchHit(meeting[1], score=1.0, rank=1)]
    assert off_the_asked_case("Phiên họp lần thứ 22 họp ngày nào?", at, {"a.md": meeting}.get)
    assert not off_the_asked_case("Phiên họp lần thứ 21 họp ngày nào?", at, {"a.md": meeting}.get)
    sixth = [_passage(0, "Phiên họp lần thứ năm của Ban Chỉ đạo."), _passage(1, "Kết luận như sau.")]
    at = [SearchHit(sixth[1], score=1.0, rank=1)]
    assert off_the_asked_case("Phiên họp lần thứ sáu kết luận gì?", at, {"a.md": sixth}.get)
    assert not off_the_asked_case("Phiên họp lần thứ 5 kết luận gì?", at, {"a.md": sixth}.get)
    # "lần thứ mấy?" asks for the ordinal itself: there it is the stated number
    assert not asked_detail_missing("TB 627 là kết luận phiên họp lần thứ mấy?", ["Phiên họp lần thứ 21."])


def test_local_news_answers_for_the_province_it_names_or_for_an_unnamed_home_province():
    def case(text: str, url: str | None = None) -> bool:
        news = [_passage(0, text, "b.md", url, number=None)]
        hit = [SearchHit(news[0], score=1.0, rank=1)]
        return off_the_asked_case("Tỉnh ủy Thanh Hóa kiểm tra xã Xuân Du ngày nào?", hit, {"b.md": news}.get)

    assert not case("Sáng 19/3, Phó Bí thư kiểm tra xã Xuân Du.", "http://baothanhhoa.vn/x")  # its address
    assert not case("Sáng 19/3, UBND tỉnh Thanh Hóa kiểm tra xã Xuân Du.")  # its text
    assert not case("Sáng 19/3, Phó Bí thư Tỉnh ủy kiểm tra xã Xuân Du.")  # the home province, unnamed
    assert case("Sáng 19/3, Phó Bí thư Tỉnh ủy Phú Thọ kiểm tra xã Xuân Du tỉnh Phú Thọ.")  # another province


def test_passages_of_a_report_on_another_province_or_commune_are_dropped_before_sentences_are_chosen():
    def doc(source: str, text: str, place: str | None = None) -> list[Passage]:
        meta = DocumentMeta(source=source, title="Tin", place=place)
        return [Passage(id=source, text=text, section="", doc=meta)]

    phu_tho = doc("p.md", "Sở giải quyết thôi việc cho 5.448 trường hợp.", place="Phú Thọ")
    thanh_hoa = doc("t.md", "Sáng 16/1, UBND tỉnh Thanh Hóa tổ chức hội nghị.")
    unnamed = doc("u.md", "Sáng 19/3, Phó Bí thư Tỉnh ủy làm việc với xã Xuân Du.")
    national = [_passage(0, "Giải quyết chế độ thôi việc theo quy định.")]
    docs = {d[0].doc.source: d for d in (phu_tho, thanh_hoa, unnamed, national)}
    hits = [SearchHit(d[0], score=1.0, rank=i) for i, d in enumerate(docs.values(), start=1)]

    def kept(question: str) -> list[str]:
        return [h.passage.doc.source for h in hits_about_asked_places(question, hits, docs.get)]

    # a report tagged with another province, a resolution's national rule: not evidence for Thanh Hóa
    assert kept("Thanh Hóa giải quyết thôi việc cho bao nhiêu trường hợp?") == ["t.md", "u.md"]
    # the home province's report that names none may be about Phú Thọ too; Thanh Hóa's may not
    assert kept("Sở Nội vụ tỉnh Phú Thọ giải quyết thôi việc cho bao nhiêu trường hợp?") == ["p.md", "u.md"]
    # a commune must be named: the unnamed home province stands for a province, never for any commune
    assert kept("Phó Bí thư làm việc với xã Bá Thước ngày nào?") == []
    assert kept("Phó Bí thư làm việc với xã Xuân Du ngày nào?") == ["u.md"]
    assert kept("Giải quyết thôi việc thế nào?") == ["p.md", "t.md", "u.md", "a.md"]  # no place asked


def test_an_effective_date_is_answered_only_by_a_sentence_on_taking_effect():
    cited = ["Thực hiện Nghị định số 289/2025/NĐ-CP ngày 06 tháng 11 năm 2025 của Chính phủ."]
    assert asked_detail_missing("Nghị định 289/2025/NĐ-CP có hiệu lực từ ngày nào?", cited)
    assert not asked_detail_missing(
        "Nghị định 289 có hiệu lực từ ngày nào?", ["Nghị định này có hiệu lực từ ngày 01/01/2026."]
    )
    assert not asked_detail_missing("Nghị định 289/2025/NĐ-CP ban hành ngày nào?", cited)


def test_a_news_report_states_its_year_once_for_the_whole_report():
    news = [
        _passage(0, "Ngày 5/1, Sở Nội vụ tổng kết công tác năm 2025.", "n.md", number=None),
        _passage(1, "Sở nêu nhiều kết quả nổi bật.", "n.md", number=None),
        _passage(2, "Sở đã hoàn thành đúng hạn.", "n.md", number=None),
        _passage(3, "Sở hoàn thành 184/184 nhiệm vụ được giao.", "n.md", number=None),
    ]
    hit = [SearchHit(news[3], score=1.0, rank=1)]
    assert not off_the_asked_case(
        "Năm 2025 Sở Nội vụ hoàn thành bao nhiêu nhiệm vụ?", hit, {"n.md": news}.get
    )
    assert off_the_asked_case("Năm 2024 Sở Nội vụ hoàn thành bao nhiêu nhiệm vụ?", hit, {"n.md": news}.get)


def test_the_office_asked_about_carries_its_body_not_the_place():
    assert asked_roles("Giám đốc Sở Tư pháp Thanh Hóa báo cáo tại hội nghị là ai?") == {"giám đốc sở tư pháp"}
    assert asked_roles("Trưởng Ban Tổ chức Tỉnh ủy Phú Thọ là ai?") == {"trưởng ban tổ chức"}
    # the abbreviation as typed and written out: a report may print either
    assert asked_roles("Chủ tịch UBND tỉnh Phú Thọ là ai?") == {"chủ tịch ubnd", "chủ tịch ủy ban nhân dân"}
    assert asked_roles("Giám đốc Sở Nội vụ chủ trì hội nghị nào?") == set()  # not "who holds it"
    # another director does not answer for the director of justice
    other = ["Giám đốc Sở Nội vụ Nguyễn Văn A báo cáo tại hội nghị."]
    assert asked_role_missing("Giám đốc Sở Tư pháp là ai?", other)
    assert not asked_role_missing(
        "Giám đốc Sở Tư pháp là ai?", ["Giám đốc Sở Tư pháp Mai Xuân Bình báo cáo."]
    )


@pytest.mark.parametrize(
    ("question", "sentence", "missing"),
    [
        # a place is asked: only a sentence naming one answers
        (
            "Trung tâm dữ liệu quốc gia số 2 đặt ở tỉnh nào",
            "Nghiên cứu, đề xuất xây dựng Trung tâm dữ liệu quốc gia số 2 và số 3.",
            True,
        ),
        ("Hội nghị tổ chức ở đâu?", "Hội nghị được tổ chức tại Hà Nội ngày 5/1.", False),
        ("Xã nào làm tốt nhất?", "Xã Hợp Tiến dẫn đầu về chuyển đổi số.", False),
        ("tinh nao dan dau", "Tỉnh Phú Thọ xếp thứ nhất cả nước.", False),
        # a span of time is asked: a date does not answer it, nor does the number of a table's row
        (
            "thời hạn giải quyết tối đa mấy ngày?",
            "| 11. | Rà soát theo Thông báo số 46-TB/TGV ngày 30/09/2025 |",
            True,
        ),
        ("miễn thuế mấy năm?", "Miễn thuế trong thời hạn 02 năm.", False),
        ("có bao nhiêu chỉ tiêu?", "| 37 | Đăng ký mục tiêu giai đoạn 2026 - 2030 |", True),
    ],
)
def test_the_asked_place_span_or_amount_must_be_stated(question, sentence, missing):
    assert asked_detail_missing(question, [sentence]) is missing


def test_a_span_of_time_is_a_number_not_a_date():
    assert asked_type("thời hạn tối đa mấy ngày?") == "number"
    assert asked_unit("được miễn thuế bao nhiêu năm?") == "duration"
    assert asked_type("ban hành ngày mấy?") == "date"
    assert asked_type("đến năm nào?") == "date"


def test_the_asked_place_ends_where_a_persons_name_begins():
    assert asked_places("CT UBND tỉnh Phú Thọ Trần Duy Đông đề nghị Sở Nội vụ làm gì?") == ["phu tho"]
    assert asked_places("xã Hợp Tiến có gì mới?") == ["hop tien"]


@pytest.mark.parametrize(
    ("question", "missing"),
    [
        ("NQ 72 miễn viện phí cho người trên 75 tuổi từ năm nào", True),
        ("phụ cấp 70% quy ra tiền là bao nhiêu 1 tháng?", True),
        ("phụ cấp tăng lên 70% cho ai?", False),
        ("NQ 70 mục tiêu 2030 tỷ lệ năng lượng tái tạo bao nhiêu", False),  # a year, not "2030 tỷ"
        ("trung tâm có mở cửa thứ 7 không", False),
    ],
)
def test_a_quantity_of_the_question_must_be_in_the_passages(question, missing):
    passage = "Nâng phụ cấp ưu đãi nghề lên tối thiểu 70% cho giáo viên từ năm 2026; miễn viện phí cho người cao tuổi."
    assert quantity_missing(question, [passage]) is missing


def test_a_question_about_phones_is_not_a_request_for_a_phone_number():
    question = "mỗi xã phải cử mấy cán bộ đi học để về chỉ dân xài điện thoại làm dịch vụ công?"
    assert not asked_detail_missing(question, ["UBND cấp xã lựa chọn ít nhất 02 cán bộ, công chức."])
    assert asked_detail_missing("số điện thoại của Sở Tư pháp là gì?", ["Sở Tư pháp tỉnh Thanh Hóa."])
    assert asked_detail_missing("điện thoại liên hệ của Văn phòng?", ["Văn phòng UBND tỉnh."])


def test_a_document_number_glued_to_its_kind_is_not_a_quantity():
    # "NQ72 năm 2026": 72 is the resolution, not "72 năm"
    assert not quantity_missing("NQ72 năm 2026 bao phủ BHYT phải đạt bao nhiêu?", ["Đến năm 2026, trên 95%."])


def test_a_quantity_matches_its_zero_padded_spelling():
    assert not quantity_missing("1 năm tối đa mấy lần?", ["không được quá 01 lần trong năm"])


def test_how_long_asks_a_span_of_time_whatever_else_is_named():
    # "còn lệ phí môn bài thì sao? (… miễn thuế bao lâu)": a span, not the fee's amount
    assert asked_unit("còn lệ phí môn bài thì sao? (NQ198 miễn thuế TNDN bao lâu)") == "duration"
    assert asked_unit("học phí năm học 2025-2026 là bao nhiêu") == "money"


def test_the_year_that_governs_an_amount_is_its_own_or_its_lead_ins():
    doc = DocumentMeta(source="m.md", title="Mục tiêu", doc_number="70-NQ/TW")
    lead = Passage(id="m0", text="- Mục tiêu cụ thể đến năm 2030", section="II", doc=doc, position=0)
    items = Passage(
        id="m1",
        text="+ Đến năm 2026, tỉ lệ bao phủ đạt trên 95% dân số.\n+ Mức dự trữ xăng dầu đạt khoảng 90 ngày nhập ròng.",
        section="II",
        doc=doc,
        position=1,
    )
    reserve = "+ Mức dự trữ xăng dầu đạt khoảng 90 ngày nhập ròng."
    # the lead-in in the passage before governs; the 2026 of the item above does not
    assert under_another_year("Dự trữ xăng dầu đến năm 2045 là bao nhiêu ngày?", items, reserve, [lead])
    assert not under_another_year("Dự trữ xăng dầu đến năm 2030 là bao nhiêu ngày?", items, reserve, [lead])
    covered = "+ Đến năm 2026, tỉ lệ bao phủ đạt trên 95% dân số."
    assert under_another_year(
        "Đến năm 2030 tỉ lệ bao phủ là bao nhiêu?", items, covered, [lead]
    )  # its own year
    # a sentence naming the asked year, a question without a year, no year above: never
    assert not under_another_year("Năm 2026 tỉ lệ bao phủ là bao nhiêu?", items, covered, [lead])
    assert not under_another_year("Dự trữ xăng dầu là bao nhiêu ngày?", items, reserve, [lead])
    assert not under_another_year("Dự trữ xăng dầu đến năm 2045 là bao nhiêu ngày?", items, reserve)
    # a list marker or a document's number is not the amount ("(5) … trong năm 2026 … 500.000 thuê bao")
    starlink = Passage(
        id="s", text="(5) Triển khai Starlink trong năm 2026 (đạt 500.000 thuê bao).", section="", doc=doc
    )
    assert not under_another_year("Starlink đạt bao nhiêu thuê bao trong năm 2026?", starlink, starlink.text)


def test_a_body_the_quoted_documents_never_name_is_a_near_miss():
    assert named_bodies("Giám đốc Sở Y tế Thanh Hóa báo cáo gì?") == ["so y te"]
    assert named_bodies("cv 6225 giao Cục Điện ảnh nhiệm vụ gì?") == ["cuc dien anh"]
    # an acronym is written out in documents, "sở, ban, ngành" names no one
    assert named_bodies("Bộ VHTTDL giao các sở, ban, ngành làm gì?") == []
    doc = DocumentMeta(source="cv.md", title="Công văn", doc_number="6225/BVHTTDL-VP")
    letter = [Passage(id="c", text="Giao Cục Phát thanh truyền hình và Thông tin điện tử xây dựng bộ quy tắc.",
                      section="", doc=doc)]  # fmt: skip
    assert body_unnamed("cv 6225 giao Cục Điện ảnh nhiệm vụ gì?", [letter])
    assert not body_unnamed("cv 6225 giao Cục Phát thanh truyền hình nhiệm vụ gì?", [letter])
    assert not body_unnamed("cv 6225 giao nhiệm vụ gì?", [letter])


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        # the everyday plural "mấy" ("those") beside the word that really asks
        ("Nhà nước rủ mấy công ty tư nhân vô làm chung, ví dụ như cái gì?", None),
        ("Tới 2030 mấy công ty tư nhân phải lo việc làm cho bao nhiêu phần trăm người đi làm?", "number"),
        ("Cái thuế môn bài mấy tiệm tạp hóa phải đóng chừng nào thì bỏ luôn?", "date"),
        # "mấy" after a verb of having, naming or reaching still counts
        ("NQ 57 có mấy quan điểm chỉ đạo?", "list"),
        ("TB 624 nêu mấy nguyên nhân chủ yếu của hạn chế? là gì", "list"),
        ("Tới năm mấy thì người dân được miễn viện phí?", "date"),
        ("hồi nào Bộ ban hành quy chế?", "date"),
        # "một năm", "mỗi năm" before "mấy" say how often, not which year
        ("một năm mấy công ty bị thanh tra nhiều nhất mấy lần?", "number"),
        ("người dân được khám bệnh cho không mỗi năm mấy lần?", "number"),
    ],
)
def test_the_everyday_plural_may_does_not_ask_how_many(question, kind):
    assert asked_type(question) == kind


def test_interest_asked_in_money_words_is_answered_by_a_rate():
    question = "Vay tiền nhà băng làm dự án xanh thì nhà nước gánh giùm bao nhiêu tiền lãi?"
    assert asked_unit(question) is None
    assert not asked_detail_missing(question, ["Nhà nước hỗ trợ lãi suất 2%/năm khi vay vốn dự án xanh."])
    assert asked_unit("cán bộ nhũng nhiễu bị phạt tiền bao nhiêu?") == "money"


def test_a_word_after_a_digit_is_not_a_capitalised_name():
    assert proper_names("Sóng 5G giờ phủ được bao nhiêu rồi?") == []
    assert proper_names("Tỉnh Bắc Giang giao Sở 5G làm gì") == ["bac giang"]


def test_a_day_asked_is_not_answered_by_a_year_alone():
    question = "Kế hoạch 263/KH-UBND năm 2025 được ký ban hành ngày nào?"
    assert asked_detail_missing(question, ["Hình thức tuyên truyền theo Kế hoạch 263/KH-UBND năm 2025."])
    assert not asked_detail_missing(question, ["Kế hoạch 263/KH-UBND ban hành ngày 15/10/2025."])
    assert not asked_detail_missing("hạn nộp báo cáo ngày nào?", ["Báo cáo trước tháng 12 năm 2025."])


def test_a_body_or_a_topic_after_a_preposition_is_not_a_place():
    assert not names_a_place("đồng bộ dữ liệu về Trung tâm dữ liệu quốc gia: (1) Cơ sở dữ liệu về Bảo hiểm")
    assert not names_a_place("Hội nghị tổ chức tại Bộ Công an.")
    assert names_a_place("Hội nghị tổ chức tại Hà Nội.") and names_a_place("đưa cán bộ về xã Xuân Du")


def test_who_is_the_deputy_asked_as_la_dong_chi_nao_is_not_answered_by_the_head():
    question = "Phó Trưởng Ban Chỉ đạo Trung ương về hoàn thiện thể chế, pháp luật là đồng chí nào?"
    assert asked_roles(question) == {"phó trưởng ban chỉ đạo"}
    head = "Thành lập Ban Chỉ đạo Trung ương do đồng chí Tổng Bí thư làm Trưởng Ban."
    assert asked_role_missing(question, [head])


def test_a_follow_up_asks_what_its_own_words_ask():
    completed = (
        "còn tới 2035 thì có mấy trường đại học vô top 100 (NQ 71 có bao nhiêu phần trăm trường đạt chuẩn)"
    )
    assert asked_unit(completed) is None and asked_type(completed) == "number"
    # "ý thứ 7 là gì?" asks the earlier question's kind
    assert asked_type("ý thứ 7 là gì (NQ 68 có mấy nhiệm vụ, giải pháp)") == asked_type(
        "NQ 68 có mấy nhiệm vụ"
    )


def test_a_salary_asked_per_month_is_money_but_a_production_volume_is_not():
    assert asked_unit("lương giáo viên mầm non theo nghị quyết 71 được bao nhiêu một tháng") == "money"
    assert asked_unit("Dự án Long Thành phải phấn đấu sản lượng mỗi tháng tối thiểu bao nhiêu?") is None
