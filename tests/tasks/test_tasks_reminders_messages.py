"""Texts and buttons: reminder messages ("6 rõ"), /nhacviec screens and callbacks, the leaders' digest,
and the callback-data grammar."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from tasks.digest import digest_numbers, leader_digest
from tasks.errors import InvalidOperation
from tasks.normalize import TaskStatus
from tasks.reminders.settings import get_prefs
from tasks.service import complete_task, set_progress
from tasks.settings_view import handle_settings_callback
from tasks.task_card import reminder_heading, reminder_screen, task_screen
from tasks.ui import Callback, button, parse_callback
from tests.db_fixtures import Org
from tests.fakes.fake_telegram import MAX_CALLBACK_DATA, parse_telegram_html
from tests.tasks.test_tasks_kpi import TODAY, build_work, days
from tests.tasks.test_tasks_reminders import add_task, local


def plain(html: str) -> str:
    return parse_telegram_html(html)[0]


def test_reminder_shows_the_six_fields_escaped_with_buttons(session: Session, org: Org) -> None:
    task = add_task(session, "NV-7", org.staff_a, days(3), content="Rà soát <quy chế> & báo cáo",
                    source_document="Kết luận 221-KL/TW", progress=30, status=TaskStatus.DANG_THUC_HIEN)  # fmt: skip
    screen = reminder_screen(task, TODAY)
    text = plain(screen.html)
    assert text.split("\n")[:3] == ["⏰ Nhắc việc: còn 3 ngày đến hạn", "", "NV-7"]
    for expected in (  # the one task card (the same as under /viec)
        "📝 Việc: Rà soát <quy chế> & báo cáo",
        "👤 Người thực hiện: Trần Thị Sở (SA01)",
        "🏢 Chủ trì: Sở Nội vụ",
        "📅 Hạn: 25/11/2026 (còn 3 ngày)",
        "📦 Sản phẩm: Báo cáo",
        "✍️ Người giao: Chủ tịch UBND tỉnh · 📄 Kết luận 221-KL/TW",
        "📊 Tiến độ: ▰▰▰▱▱▱▱▱▱▱ 30% · đang thực hiện",
    ):
        assert expected in text
    data = [d for row in screen.buttons for _, d in row]
    assert data == [f"t:p:{task.id}:{p}" for p in (0, 25, 50, 75, 100)] + [
        f"t:done:{task.id}", f"t:doc:{task.id}", "nv:menu"]  # fmt: skip
    assert all(len(d.encode()) <= MAX_CALLBACK_DATA and parse_callback(d) for d in data)


def test_headings_follow_the_days_left() -> None:
    assert reminder_heading(days(1), TODAY) == "⏰ Nhắc việc: ngày mai đến hạn"
    assert reminder_heading(TODAY, TODAY) == "⏰ Nhắc việc: hôm nay là hạn chót"
    assert reminder_heading(days(-4), TODAY) == "⚠️ Nhiệm vụ đã quá hạn 4 ngày"


def test_a_long_task_stays_within_telegram_limits(session: Session, org: Org) -> None:
    task = add_task(session, "NV-L", org.staff_a, TODAY, content="rất dài " * 2000, product="sản phẩm " * 500)
    text = plain(reminder_screen(task, TODAY).html)
    assert len(text) < 4096 and "…" in text


def test_task_screen_after_progress_and_completion(session: Session, org: Org) -> None:
    task = add_task(session, "NV-8", org.staff_a, days(5))
    set_progress(session, org.staff_a, task.id, 80, now=local(TODAY, 9))
    screen = task_screen(task, TODAY)
    assert [d for row in screen.buttons for _, d in row] == [
        *(f"t:p:{task.id}:{p}" for p in (0, 25, 50, 75, 100)),
        f"t:done:{task.id}",
    ]
    assert [label for label, _ in screen.buttons[0]] == [
        "0%",
        "25%",
        "50%",
        "75%",
        "100%",
    ]  # 80 %: none ticked
    complete_task(session, org.staff_a, task.id, "Đã gửi báo cáo", now=local(TODAY, 10))
    screen = task_screen(task, TODAY)
    text = plain(screen.html)
    assert "100% · hoàn thành" in text and "xong ngày 22/11/2026" in text and screen.buttons == []


def test_settings_screen_and_buttons(session: Session, org: Org) -> None:
    screen = handle_settings_callback(session, org.leader_a, Callback("nv", "menu"), now=local(TODAY, 9))
    text = plain(screen.html)
    assert "Nhắc việc: đang bật" in text and "Giờ nhắc: 08:00" in text and "Tóm tắt hằng ngày" in text
    assert [d for row in screen.buttons for _, d in row] == ["nv:off", "nv:h", "nv:we:1", "nv:dg:0"]
    picker = handle_settings_callback(session, org.leader_a, parse_callback("nv:h"))
    hours = [d for row in picker.buttons for _, d in row]
    assert hours[0] == "nv:h:7" and hours[-2] == "nv:h:20" and hours[-1] == "nv:menu"
    assert "✓ 8h" in [label for row in picker.buttons for label, _ in row]
    after = handle_settings_callback(session, org.leader_a, parse_callback("nv:h:7"))
    assert "Giờ nhắc: 07:00" in plain(after.html)
    handle_settings_callback(session, org.leader_a, parse_callback("nv:off"))
    handle_settings_callback(session, org.leader_a, parse_callback("nv:we:1"))
    prefs = get_prefs(session, org.leader_a)
    assert (prefs.enabled, prefs.hour, prefs.weekends, prefs.digest) == (False, 7, True, True)
    with pytest.raises(InvalidOperation, match="Giờ nhắc phải từ 7h đến 20h"):
        handle_settings_callback(session, org.leader_a, parse_callback("nv:h:23"))
    staff = plain(handle_settings_callback(session, org.staff_a, parse_callback("nv:menu")).html)
    assert "Tóm tắt" not in staff  # only leaders get the digest


def test_callback_grammar() -> None:
    assert parse_callback("t:p:42:50") == Callback("t", "p", (42, 50))
    assert parse_callback("td:u:0:1") == Callback("td", "u", (0, 1))
    assert parse_callback("nv:h") == Callback("nv", "h") and parse_callback("nv:h:9").args == (9,)
    for bad in (None, "", "t:p:42", "t:p:x:50", "td:u:1", "zz:1", "fb:abc:u", "t:done:1:2", "nv:h:1:2"):
        assert parse_callback(bad) is None, bad
    assert Callback("t", "done", (7,)).data == "t:done:7"
    with pytest.raises(ValueError):
        button("x", "t:" + "9" * 70)


def test_leader_digest_counts_and_changes(session: Session, org: Org) -> None:
    work = build_work(session, org)
    now = local(TODAY, 8)
    yesterday_evening = local(TODAY - timedelta(days=1), 17)
    soon = add_task(session, "NEW-1", work.staff_a1, days(1), work.phong_a1, created_at=yesterday_evening)
    set_progress(session, work.staff_a1, soon.id, 20, now=yesterday_evening)
    complete_task(
        session, work.staff_a1, soon.id, "Xong", now=yesterday_evening, today=TODAY - timedelta(days=1)
    )
    numbers = digest_numbers(session, work.leader_a, now)
    assert numbers["overdue"] == 2 and numbers["completed"] == 1 and numbers["progressed"] == 1
    assert numbers["total"] == 9 and numbers["due_soon"] == 2  # A1-SOON2 and A-LEADER1
    assert numbers["overdue_yesterday"] == 2
    text = plain(leader_digest(session, work.leader_a, now))
    assert text.startswith("📋 Tóm tắt công việc Chủ nhật, ngày 22/11/2026")
    assert "⚠️ Quá hạn: 2 nhiệm vụ (không đổi so với hôm qua)" in text and "✅ Hoàn thành: 1" in text
    other = digest_numbers(session, work.leader_b, now)
    assert (other["total"], other["completed"]) == (2, 0)  # Xã B sees nothing of Sở A
