"""/tiendo screens: figures, drill-down buttons, overdue pages, chart photo, and forged callbacks."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tasks.errors import NotFound, PermissionDenied
from tasks.progress_view import chart_photo, overdue_screen, progress_screen
from tasks.ui import parse_callback
from tests.db_fixtures import Org
from tests.fakes.fake_telegram import MAX_TEXT, parse_telegram_html
from tests.tasks.test_tasks_charts import png_size
from tests.tasks.test_tasks_kpi import TODAY, build_work, days
from tests.tasks.test_tasks_reminders import add_task


@pytest.fixture
def work(session: Session, org: Org) -> Org:
    return build_work(session, org)


def check(screen) -> str:
    """The plain text of a screen, after checking it is valid Telegram HTML with valid callback data."""
    text, _ = parse_telegram_html(screen.html)
    assert len(text) <= MAX_TEXT
    for row in screen.buttons:
        for label, data in row:
            assert label and parse_callback(data) is not None, data
    return text


def data_of(screen) -> list[str]:
    return [d for row in screen.buttons for _, d in row]


def test_a_leader_sees_their_subtree_with_kpi_and_drill_down(session: Session, work: Org) -> None:
    screen = progress_screen(session, work.leader_a, today=TODAY)
    text = check(screen)
    assert text.startswith("📊 Tiến độ nhiệm vụ — Sở Nội vụ")
    for line in ("Tổng số: 8 nhiệm vụ", "✅ Hoàn thành: 4 (50%), đúng hạn 1", "🔄 Đang thực hiện (chưa đến hạn): 2",
                 "⚠️ Quá hạn: 2", "🎯 KPI: 20,3/100"):  # fmt: skip
        assert line in text
    direct = "• Sở Nội vụ (trực tiếp): 4 nhiệm vụ · hoàn thành 50% · 1 quá hạn · KPI"
    phong = "• Phòng Công chức - Sở Nội vụ: 4 nhiệm vụ · hoàn thành 50% · 1 quá hạn · KPI"
    assert direct in text and phong in text and text.index(direct) < text.index(phong)
    data = data_of(screen)
    assert f"td:u:{work.phong_a1.id}:1" in data and f"td:o:{work.so_a.id}:1" in data
    assert (
        f"td:c:{work.so_a.id}" in data and f"bc:x:{work.so_a.id}" in data and f"bc:d:{work.so_a.id}" in data
    )
    assert not any(d == f"td:u:{work.tinh.id}:1" for d in data)  # no way up beyond the leader's unit
    child = progress_screen(session, work.leader_a, work.phong_a1.id, today=TODAY)
    assert check(child).startswith("📊 Tiến độ nhiệm vụ — Phòng Công chức - Sở Nội vụ")
    assert f"td:u:{work.so_a.id}:1" in data_of(child)  # back up to Sở Nội vụ


def test_forged_or_stale_unit_ids_are_refused(session: Session, work: Org) -> None:
    with pytest.raises(PermissionDenied, match="chỉ xem được tiến độ của Sở Nội vụ"):
        progress_screen(session, work.leader_a, work.xa_b.id, today=TODAY)
    with pytest.raises(PermissionDenied):
        overdue_screen(session, work.leader_b, work.so_a.id, today=TODAY)
    with pytest.raises(PermissionDenied, match="dành cho lãnh đạo"):
        progress_screen(session, work.staff_a, today=TODAY)
    with pytest.raises(NotFound):
        progress_screen(session, work.admin, 999_999, today=TODAY)


def test_an_administrator_starts_from_all_units(session: Session, work: Org) -> None:
    screen = progress_screen(session, work.admin, today=TODAY)
    assert check(screen).startswith("📊 Tiến độ nhiệm vụ — Tất cả đơn vị")
    assert "td:o:0:1" in data_of(screen)
    top = progress_screen(session, work.admin, work.tinh.id, today=TODAY)
    assert "td:u:0:1" in data_of(top)  # back to all units


def test_overdue_list_pages(session: Session, work: Org) -> None:
    for i in range(12):
        add_task(session, f"OLD-{i:02d}", work.staff_a1, days(-30 - i), work.phong_a1)
    first = overdue_screen(session, work.leader_a, today=TODAY)
    text = check(first)
    assert "14 nhiệm vụ, tính đến ngày 22/11/2026 · trang 1/2" in text
    assert text.index("A-OVER45") < text.index("OLD-11")  # 45 days late before 41
    assert "1. A-OVER45 — quá hạn 45 ngày (hạn 08/10/2026)" in text and "👤 Trần Thị Sở" in text
    assert (
        f"td:o:{work.so_a.id}:2" in data_of(first)
        and len([d for d in data_of(first) if d.startswith("td:t:")]) == 10
    )
    second = check(overdue_screen(session, work.leader_a, work.so_a.id, today=TODAY, page=2))
    assert "11. " in second and "A1-OVER10" in second
    empty = check(overdue_screen(session, work.leader_b, today=TODAY))
    assert empty.startswith("✅ UBND xã Hợp Tiến: không có nhiệm vụ quá hạn")


def test_chart_photo(session: Session, work: Org) -> None:
    png, caption = chart_photo(session, work.leader_a, today=TODAY)
    assert png_size(png)[0] == 1000
    assert (
        parse_telegram_html(caption)[0]
        == "Sở Nội vụ: hoàn thành 50%, 2 nhiệm vụ quá hạn (đến ngày 22/11/2026)."
    )


def test_the_guides_tiendo_example_is_the_real_screen(tmp_path) -> None:
    """docs/huong-dan.md §4 shows /tiendo for Sở Nội vụ on the demo data: it must be what the product renders."""
    import html as html_lib
    import re
    from datetime import UTC, date, datetime
    from pathlib import Path

    from sqlalchemy import select

    from tasks.db import Database
    from tasks.importing import import_officials, import_tasks
    from tasks.models import Official, Unit
    from tasks.normalize import Role

    root = Path(__file__).resolve().parents[2]
    guide = (root / "docs" / "huong-dan.md").read_text(encoding="utf-8")
    start = guide.index("📊 Tiến độ nhiệm vụ — Sở Nội vụ")
    documented = guide[start : guide.index("```", start)].strip()
    now = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
    db = Database.open(f"sqlite:///{tmp_path / 'demo.db'}")
    try:
        with db.session() as s:
            assert import_officials(s, root / "examples" / "officials.xlsx", now=now).ok
            assert import_tasks(s, root / "examples" / "tasks.xlsx", now=now, as_of=now).ok
            unit = s.scalars(select(Unit).where(Unit.name == "Sở Nội vụ")).one()
            leader = s.scalars(
                select(Official).where(Official.unit_id == unit.id, Official.role == Role.LANH_DAO)
            ).first()
            screen = progress_screen(s, leader, unit.id, today=date(2026, 11, 30))
    finally:
        db.dispose()
    rendered = html_lib.unescape(re.sub(r"<[^>]+>", "", screen.html))
    rendered += "\n" + "\n".join(" ".join(f"[{label}]" for label, _ in row) for row in screen.buttons)
    assert documented == rendered.strip()
