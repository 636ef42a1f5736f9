"""Follow-up questions completed from the previous one: the document it was about, what it asked."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retrieval.docrefs import find_refs, without_refs
from retrieval.followup import is_follow_up, standalone


def test_that_document_is_named_in_place_of_the_earlier_question():
    earlier = "Nghị quyết 281/NQ-CP ban hành ngày nào?"
    assert standalone("nghị quyết đó về nội dung gì?", earlier, ["281/NQ-CP"]) == (
        "Nghị quyết 281/NQ-CP về nội dung gì?"
    )
    assert standalone("Văn bản này do ai ký?", "KL 221 ban hành ngày nào?", ["221-KL/TW"]) == (
        "Kết luận 221-KL/TW do ai ký?"
    )
    # without the document the answer was about, the earlier question still completes it
    assert standalone("nghị quyết đó về nội dung gì?", earlier, []).endswith(
        "(Nghị quyết 281/NQ-CP ban hành ngày nào)"
    )


def test_another_document_is_asked_what_the_earlier_question_asked_not_both():
    out = standalone("còn NQ 66?", "KL 221 ai ký?", ["221-KL/TW"])
    assert out == "còn NQ 66? (ai ký)"
    assert [r.number for r in find_refs(out)] == ["66"]
    # the follow-up's own year replaces the earlier one, which would pull the 2030 sentences back
    assert standalone("còn mục tiêu đến 2045 thì sao?", "NQ 57 mục tiêu 2030?", ["57-NQ/TW"]).endswith(
        "(NQ 57 mục tiêu)"
    )


def test_without_refs_takes_out_every_reference_and_only_them():
    assert without_refs("Kết luận 221-KL/TW và NQ 57 ai ký?") == "và ai ký?"
    assert without_refs("Nghị quyết số 66 ban hành năm 2025?") == "ban hành năm 2025?"


@given(st.text(alphabet="abcdeghiklmnoqrstuvxyàáạảãâầấậăđêếệôơưứữ ?,", max_size=60))
def test_taking_out_refs_only_removes_text(text):
    out = without_refs(text)
    assert len(out) <= len(" ".join(text.split()))
    if not find_refs(text):
        assert out == " ".join(text.split())


def test_a_follow_up_with_its_own_year_or_opening_word():
    # a follow-up with nothing but a year asks the earlier question of that year only
    out = standalone("đến 2035 thì sao ạ", "NQ 71 phấn đấu đến năm 2030 có mấy trường ĐH vào top 100?", [])
    assert "2035" in out and "2030" not in out and "top 100" in out
    # "vậy / rồi …" opens a follow-up too
    assert standalone(
        "vậy mỗi tháng phải đạt bao nhiêu?", "Sân bay Long Thành đã xong bao nhiêu %?", []
    ).endswith("(Sân bay Long Thành đã xong bao nhiêu %)")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("cuộc họp đó diễn ra hôm nào", "cuộc họp (Thông báo 659/TB-VPCP) diễn ra hôm nào"),
        ("Hội nghị này do ai chủ trì?", "Hội nghị (Thông báo 659/TB-VPCP) do ai chủ trì?"),
    ],
)
def test_that_meeting_is_the_one_the_previous_notice_reports(question, expected):
    assert is_follow_up(question)
    assert standalone(question, "TB 659 là kết luận của ai?", ["659/TB-VPCP"]) == expected


@pytest.mark.parametrize(
    ("question", "follows"),
    [
        ("hạn chót là bao giờ?", True),  # the asking words aside, no topic of its own
        ("vùng DTTS, biên giới thì được bao nhiêu?", True),  # a case of the earlier question
        ("tầm nhìn 2045 thì sao", False),  # a topic of its own: searched as typed, in the document's context
        ("Nghị quyết 57 đặt mục tiêu gì đến năm 2030?", False),
        ("Giám đốc Sở Tư pháp Phú Thọ là ai?", False),
    ],
)
def test_which_questions_read_as_follow_ups(question, follows):
    assert is_follow_up(question) is follows
