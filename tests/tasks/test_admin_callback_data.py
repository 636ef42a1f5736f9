"""The administrators' `ad:` buttons in the one callback grammar (tasks/ui.py): encoders and strict parsing."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tasks.ui import CALLBACK_PATTERN, MAX_CALLBACK_BYTES, Callback, admin_data, parse_callback

ONE_ARG = ("i", "ix", "add", "all", "lim", "ok", "dx", "rm", "rmx")
PENDING = st.integers(min_value=1, max_value=10**12 - 1)


@given(action=st.sampled_from(ONE_ARG), pending=PENDING)
def test_one_argument_buttons_round_trip_within_64_bytes(action: str, pending: int) -> None:
    data = admin_data(action, pending)
    assert len(data.encode()) <= MAX_CALLBACK_BYTES
    assert parse_callback(data) == Callback("ad", action, (pending,))


@given(
    action=st.sampled_from(("u", "pg")), pending=PENDING, arg=st.integers(min_value=1, max_value=10**12 - 1)
)
def test_picker_buttons_carry_the_pending_step_and_a_unit_or_page(
    action: str, pending: int, arg: int
) -> None:
    data = admin_data(action, pending, arg)
    assert len(data.encode()) <= MAX_CALLBACK_BYTES
    assert parse_callback(data) == Callback("ad", action, (pending, arg))


def test_malformed_admin_buttons_parse_to_none() -> None:
    for data in (
        "ad:i",
        "ad:i:1:2",
        "ad:u:1",
        "ad:pg:1:0",
        "ad:zz:1",
        "ad:i:-1",
        "ad:i:١",
        "ad:rm:" + "9" * 13,
    ):
        assert parse_callback(data) is None, data
    assert CALLBACK_PATTERN.startswith("^(") and "ad" in CALLBACK_PATTERN
