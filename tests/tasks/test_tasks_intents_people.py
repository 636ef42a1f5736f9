"""A colleague named in a work question (`tasks.intents`: `Intent.person_text`): a table and properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.intents import UNIT_HEADS, IntentKind, classify, find_person_text
from tasks.normalize import fold

UNITS = ["Sở Nội vụ", "UBND xã Hợp Tiến"]
PEOPLE = ["Phạm Văn Phòng", "Lê Hồng Mai", "Trần Văn Nam", "Đặng Hữu Tâm"]


@pytest.mark.parametrize(
    ("text", "person", "kind"),
    [
        ("Việc của anh Đặng Hữu Tâm thế nào?", "Đặng Hữu Tâm", IntentKind.MY_TASKS),
        ("chị Mai có việc nào quá hạn không?", "Lê Hồng Mai", IntentKind.OVERDUE),
        ("Phạm Văn Phòng còn bao nhiêu việc sắp đến hạn", "Phạm Văn Phòng", IntentKind.DUE_SOON),
        ("viec cua anh phong tuan nay", "Phạm Văn Phòng", IntentKind.MY_TASKS),
        ("KPI của đồng chí Tâm", "Đặng Hữu Tâm", IntentKind.KPI),
        ("KPI của đ/c Tâm", "Đặng Hữu Tâm", IntentKind.KPI),
        (
            "tiến độ công việc của ông Nguyễn Văn Hùng",
            "Nguyễn Văn Hùng",
            IntentKind.PROGRESS,
        ),  # not in roster
        ("việc của tôi tuần này", None, IntentKind.MY_TASKS),
        ("anh chị cho hỏi việc nào sắp đến hạn", None, IntentKind.DUE_SOON),
        ("Sở Nội vụ còn bao nhiêu nhiệm vụ quá hạn?", None, IntentKind.OVERDUE),
        ("nhiệm vụ có năm việc quá hạn", None, IntentKind.OVERDUE),
        ("co nam viec qua han khong", None, IntentKind.OVERDUE),
        ("việc nào quá hạn ba năm", None, IntentKind.OVERDUE),
        ("Chị ơi việc nào quá hạn", None, IntentKind.OVERDUE),
        ("anh Sở Nội vụ có bao nhiêu việc quá hạn", None, IntentKind.OVERDUE),
    ],
)
def test_people_table(text: str, person: str | None, kind: IntentKind) -> None:
    intent = classify(text, UNITS, PEOPLE)
    assert (intent.person_text, intent.kind) == (person, kind)


def test_a_person_alone_is_not_a_work_question() -> None:
    assert classify("Phạm Văn Phòng là ai?", UNITS, PEOPLE).kind == IntentKind.DOCUMENT


_UPPER = "ABCDĐEGHIKLMNOPQRSTUVXYÂĂÊÔƠƯÁÀẢÃẠÉÈÍÌÓÒÚÙÝ"
_LOWER = "abcdđeghiklmnopqrstuvxyâăêôơưáàảãạéèíìóòúùýếềểễệốồổỗộớờởỡợứừửữựắằẳẵặấầẩẫậ"
name_word = st.builds(
    lambda a, b: a + b, st.sampled_from(_UPPER), st.text(st.sampled_from(_LOWER), min_size=1, max_size=5)
)
names = (
    st.lists(name_word, min_size=2, max_size=4)
    .map(" ".join)
    .filter(lambda n: not any(fold(n).startswith(h + " ") for h in UNIT_HEADS))  # "Xã …" names a unit
)
honorifics = st.sampled_from(["anh", "chị", "ông", "bà", "cô", "chú", "bác", "đồng chí"])


@settings(max_examples=150, deadline=None)
@given(
    name=names, honorific=honorifics, tail=st.sampled_from(["có việc nào quá hạn không?", "còn việc gì?", ""])
)
def test_an_honorific_and_a_capitalised_name_is_a_person(name: str, honorific: str, tail: str) -> None:
    text = f"việc của {honorific} {name} {tail}".strip()
    assert find_person_text(text) == name
    intent = classify(text, UNITS, [name])
    assert intent.person_text == name and intent.is_work


@settings(max_examples=150, deadline=None)
@given(name=names)
def test_a_roster_name_is_found_typed_without_diacritics_or_capitals(name: str) -> None:
    text = f"viec cua {fold(name)} qua han"
    assert classify(text, UNITS, [*PEOPLE, name]).person_text == name


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=80))
def test_classify_never_fails_and_finds_no_roster_name_that_is_not_there(text: str) -> None:
    intent = classify(text, UNITS, PEOPLE)
    if intent.person_text in PEOPLE:
        folded = " " + " ".join(fold(text).split()) + " "
        parts = fold(intent.person_text).split()
        assert any(p in folded for p in parts)
