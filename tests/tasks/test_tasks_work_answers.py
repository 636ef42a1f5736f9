"""Free-text answers about work: routing with the real unit names, numbers, and who may ask what."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tasks.intents import IntentKind
from tasks.models import Official
from tasks.work_answers import NOT_LINKED, STAFF_ASKS_UNIT, WorkAnswer, answer, route
from tests.db_fixtures import Org
from tests.fakes.fake_telegram import parse_telegram_html
from tests.tasks.test_tasks_kpi import TODAY, build_work


@pytest.fixture
def work(session: Session, org: Org) -> Org:
    return build_work(session, org)


def ask(session: Session, who: Official | None, text: str) -> WorkAnswer:
    intent = route(session, text)
    assert intent.is_work, text
    reply = answer(session, who, intent, today=TODAY)
    parse_telegram_html(reply.html)  # valid Telegram HTML, or this raises
    return reply


def plain(reply: WorkAnswer) -> str:
    return parse_telegram_html(reply.html)[0]


def test_routing_uses_the_real_unit_names(session: Session, work: Org) -> None:
    assert route(session, "xa hop tien hoan thanh bao nhieu phan tram").unit_text == "UBND xã Hợp Tiến"
    assert route(session, "Kết luận 221-KL/TW ban hành ngày nào?").kind == IntentKind.DOCUMENT
    assert route(session, "Chuyển đổi số quốc gia có những nhiệm vụ gì?").kind == IntentKind.DOCUMENT


# --- permissions -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "việc của tôi tuần này",
        "Sở Nội vụ còn bao nhiêu nhiệm vụ quá hạn?",
        "KPI của tôi",
        "viec nao sap den han",
    ],
)
def test_unlinked_people_are_refused_politely(session: Session, work: Org, text: str) -> None:
    reply = ask(session, None, text)
    assert reply.refused and plain(reply) == NOT_LINKED and reply.buttons == []


def test_deactivated_officials_are_refused(session: Session, work: Org) -> None:
    work.staff_a.active = False
    session.commit()
    assert ask(session, work.staff_a, "việc của tôi").refused


@pytest.mark.parametrize(
    "text",
    [
        "Sở Nội vụ còn bao nhiêu nhiệm vụ quá hạn?",
        "xã Hợp Tiến hoàn thành bao nhiêu phần trăm?",
        "KPI của Sở NV",
        "tình hình thực hiện nhiệm vụ của đơn vị tôi",
        "toàn tỉnh có bao nhiêu nhiệm vụ quá hạn",
    ],
)
def test_an_official_may_not_ask_about_units(session: Session, work: Org, text: str) -> None:
    reply = ask(session, work.staff_a, text)
    assert reply.refused and plain(reply) == STAFF_ASKS_UNIT


def test_a_leader_may_not_ask_about_another_subtree(session: Session, work: Org) -> None:
    reply = ask(session, work.leader_a, "xã Hợp Tiến hoàn thành bao nhiêu phần trăm?")
    assert reply.refused and "chỉ xem được tiến độ của Sở Nội vụ" in plain(reply)
    reply = ask(session, work.leader_b, "Sở Nội vụ còn bao nhiêu nhiệm vụ quá hạn?")
    assert reply.refused and "UBND xã Hợp Tiến" in plain(reply)


def test_an_official_only_ever_sees_their_own_tasks(session: Session, work: Org) -> None:
    reply = ask(session, work.staff_a1, "viec nao qua han")
    assert not reply.refused
    assert "A1-OVER10" in plain(reply) and "A-OVER45" not in plain(reply)
    reply = ask(session, work.staff_b, "tôi có việc nào quá hạn không")
    assert plain(reply) == "✅ Bạn không có nhiệm vụ nào quá hạn. Cảm ơn bạn!"


# --- numbers -----------------------------------------------------------------------------------------------


def test_a_leader_asks_about_their_units(session: Session, work: Org) -> None:
    reply = ask(session, work.leader_a, "Sở Nội vụ còn bao nhiêu nhiệm vụ quá hạn?")
    text = plain(reply)
    assert text.startswith("⚠️ Sở Nội vụ có 2 nhiệm vụ quá hạn (trên tổng số 8)")
    assert text.index("A-OVER45") < text.index("A1-OVER10")  # most late first
    assert "quá hạn 45 ngày" in text and "Trần Thị Sở" in text
    data = [d for row in reply.buttons for _, d in row]
    # the numbers open the leaders' task view of /tiendo
    assert f"td:o:{work.so_a.id}:1" in data and any(d.startswith("td:t:") for d in data)
    reply = ask(session, work.leader_a, "phòng công chức sở nội vụ hoàn thành bao nhiêu phần trăm")
    assert plain(reply).startswith("📊 Phòng Công chức - Sở Nội vụ đã hoàn thành 50% nhiệm vụ (2/4)")
    reply = ask(session, work.leader_a, "Tiến độ của đơn vị tôi thế nào?")  # own unit, no name
    assert "Sở Nội vụ đã hoàn thành 50% nhiệm vụ (4/8)" in plain(reply) and "KPI" in plain(reply)
    reply = ask(session, work.leader_a, "viec nao sap den han")  # a leader without "của tôi": their unit
    assert "Sở Nội vụ: 2 nhiệm vụ đến hạn trong 7 ngày tới" in plain(reply)
    assert "A-LEADER1" in plain(reply) and "A1-SOON2" in plain(reply) and "B-SOON5" not in plain(reply)
    reply = ask(session, work.leader_a, "việc của tôi")  # "của tôi": their own tasks only
    assert "A-LEADER1" in plain(reply) and "A1-SOON2" not in plain(reply)


def test_an_administrator_sees_everything(session: Session, work: Org) -> None:
    reply = ask(session, work.admin, "toàn tỉnh có bao nhiêu nhiệm vụ quá hạn")
    assert plain(reply).startswith("⚠️ Tất cả đơn vị có 2 nhiệm vụ quá hạn (trên tổng số 10)")
    reply = ask(session, work.admin, "xa hop tien hoan thanh bao nhieu phan tram")
    assert "UBND xã Hợp Tiến đã hoàn thành 50% nhiệm vụ (1/2)" in plain(reply)
    reply = ask(session, work.admin, "kpi cua so noi vu")
    assert plain(reply).startswith("🎯 KPI của Sở Nội vụ:")


def test_personal_questions(session: Session, work: Org) -> None:
    reply = ask(session, work.staff_a1, "việc của tôi tuần này")  # week of Sunday 22/11: 16/11–22/11
    text = plain(reply)
    assert "Việc của bạn cần hoàn thành trong tuần này (16/11–22/11/2026): 1 nhiệm vụ" in text
    assert "A1-OVER10 · hạn 12/11/2026 (⚠️ quá hạn 10 ngày)" in text  # still to do, so listed
    reply = ask(session, work.staff_a1, "my tasks next week")
    assert "A1-SOON2" in plain(reply)
    reply = ask(session, work.staff_a1, "tôi đã hoàn thành bao nhiêu phần trăm công việc")
    assert plain(reply).startswith("📊 Bạn đã hoàn thành 50% nhiệm vụ (2/4)")
    reply = ask(session, work.staff_b, "KPI của tôi")
    assert plain(reply).startswith("🎯 KPI của bạn: 100/100")
    reply = ask(session, work.leader_a, "KPI của tôi")
    assert "Chưa có nhiệm vụ nào đến hạn" in plain(reply)
    reply = ask(session, work.staff_b, "viec nao sap den han")
    assert "B-SOON5" in plain(reply) and "A1-SOON2" not in plain(reply)


def test_unknown_units_get_suggestions(session: Session, work: Org) -> None:
    reply = ask(session, work.admin, "tiến độ của Sở Nội vụ và Đào tạo")  # the name is there: Sở Nội vụ
    assert "Sở Nội vụ đã hoàn thành" in plain(reply)
    reply = ask(session, work.admin, "tiến độ của Sở Nộ vụ")
    assert (
        not reply.refused
        and plain(reply) == "Không tìm thấy đơn vị “Sở Nộ vụ”. Có phải ý bạn là: “Sở Nội vụ”?"
    )


def test_answers_escape_task_text(session: Session, work: Org) -> None:
    from tests.tasks.test_tasks_reminders import add_task

    add_task(session, "X<1>", work.staff_b, TODAY, content="So sánh a < b & c > d")
    reply = ask(session, work.staff_b, "việc của tôi hôm nay")
    assert "So sánh a < b & c > d" in plain(reply) and "X<1>" in plain(reply)
