"""The pure parts of assigning and asking for more time: a leading deadline split from its reason, a typed
name matched to officials, the `gv:`/`gh:` callback grammar (strict, ≤ 64 bytes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.assign import find_people, looks_like_assignment
from app.extensions import split_deadline
from tasks.ui import MAX_CALLBACK_BYTES, assign_data, extension_data, parse_callback

TODAY = date(2026, 11, 22)  # a Sunday


@dataclass
class Person:
    code: str
    full_name: str


PEOPLE = [
    Person("CB007", "Đặng Hữu Tâm"),
    Person("CB022", "Vũ Quang Tâm"),
    Person("CB021", "Hồ Quang Hương"),
    Person("CB031", "Hoàng Minh Giang"),
    Person("CB099", "Tâm Văn Hải"),
]


def test_a_typed_name_finds_officials_with_or_without_diacritics_and_honorifics():
    assert [p.code for p in find_people(PEOPLE, "Tâm")] == ["CB007", "CB022"]  # names ending in Tâm first
    assert [p.code for p in find_people(PEOPLE, "anh tam")] == ["CB007", "CB022"]
    assert [p.code for p in find_people(PEOPLE, "Hữu Tâm")] == ["CB007"]
    assert [p.code for p in find_people(PEOPLE, "cb021")] == ["CB021"]
    assert [p.code for p in find_people(PEOPLE, "Minh")] == ["CB031"]  # a middle name, when nothing ends so
    assert find_people(PEOPLE, "Lan") == [] and find_people(PEOPLE, "  ") == []


def test_only_texts_starting_with_giao_may_be_assignments():
    assert looks_like_assignment("giao anh Tâm báo cáo trước 15/12")
    assert looks_like_assignment("Giao việc cho chị Hương: rà soát hồ sơ")
    assert not looks_like_assignment("ai giao việc này?") and not looks_like_assignment("giao")


@given(
    st.dates(min_value=TODAY, max_value=date(2099, 12, 31)), st.sampled_from(["", "chờ số liệu của các xã"])
)
def test_a_leading_date_is_split_from_the_reason(day, reason):
    typed = f"{day:%d/%m/%Y} {reason}".strip()
    found, rest, error = split_deadline(typed, TODAY)
    assert (found, rest, error) == (day, reason, None)


@given(st.integers(min_value=1, max_value=400))
def test_a_phrase_deadline_is_split_too(days):
    found, rest, error = split_deadline(f"trong {days} ngày - vì chờ ý kiến", TODAY)
    assert (found, rest, error) == (TODAY + timedelta(days=days), "vì chờ ý kiến", None)


def test_an_unusable_leading_date_gives_the_reason():
    found, rest, error = split_deadline("01/11/2026 chờ số liệu", TODAY)
    assert found is None and rest == "01/11/2026 chờ số liệu" and error is not None and error.kind == "past"
    found, _, error = split_deadline("chờ số liệu", TODAY)
    assert found is None and error is not None and error.kind == "unreadable"
    assert split_deadline("thứ sáu tuần sau bận họp", TODAY)[:2] == (date(2026, 11, 27), "bận họp")


@given(st.sampled_from(["p", "u", "a", "c"]), st.integers(min_value=0, max_value=10**12 - 1))
def test_assign_buttons_round_trip_within_64_bytes(action, arg):
    data = assign_data(action, arg)
    assert len(data.encode()) <= MAX_CALLBACK_BYTES
    parsed = parse_callback(data)
    assert parsed is not None and (parsed.prefix, parsed.action, parsed.args) == ("gv", action, (arg,))


@given(st.sampled_from(["r", "y", "n", "k"]), st.integers(min_value=0, max_value=10**12 - 1))
def test_extension_buttons_round_trip(action, arg):
    parsed = parse_callback(extension_data(action, arg))
    assert parsed is not None and parsed.data == extension_data(action, arg)


def test_the_grammar_is_strict():
    for ok in ("gv:ok", "gv:e", "gv:x", "gv:s", "gv:dp", "gv:f:1", "gv:f:6", "gv:d:0", "gv:d:5", "gh:x"):
        assert parse_callback(ok) is not None, ok
    for bad in ("gv:f:0", "gv:f:7", "gv:d:6", "gv:ok:1", "gv:p", "gh:y", "gh:x:1", "gh:r:-1", "gv:a:1:2",
                "gv:zz:1", "gh:y:١"):  # fmt: skip
        assert parse_callback(bad) is None, bad
