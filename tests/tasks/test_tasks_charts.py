"""Charts: a real PNG of phone-friendly size, Vietnamese labels, many units folded into "others"."""

from __future__ import annotations

import struct
from datetime import date

from sqlalchemy.orm import Session

from tasks.charts import WIDTH_PX, bars_for, progress_chart_png, short_label
from tasks.reporting import Counts, UnitProgress, unit_report
from tests.db_fixtures import Org
from tests.tasks.test_tasks_kpi import TODAY, build_work

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def node(name: str, total: int, done: int, overdue: int) -> UnitProgress:
    return UnitProgress.build(name, Counts(total, done, done, overdue), [], None)


def test_chart_of_a_real_report_is_a_phone_sized_png(session: Session, org: Org) -> None:
    build_work(session, org)
    report = unit_report(session, org.tinh, today=TODAY)
    png = progress_chart_png(report, today=TODAY)
    width, height = png_size(png)
    assert width == WIDTH_PX and 400 <= height <= 2000
    assert 10_000 < len(png) < 1_000_000
    leaf = unit_report(session, org.phong_a1, today=TODAY)  # no sub-units: the unit itself is charted
    assert png_size(progress_chart_png(leaf, today=TODAY))[0] == WIDTH_PX


def test_many_units_are_folded_into_others_keeping_the_most_overdue() -> None:
    children = [node(f"UBND xã Số {i:02d}", 10, i % 10, i % 4) for i in range(30)]
    root = UnitProgress.build("UBND tỉnh", Counts(300, 135, 135, 45), children, None)
    bars = bars_for(root, max_units=10)
    assert len(bars) == 10 and bars[-1].label == "Các đơn vị khác (21)"
    assert sum(b.overdue for b in bars) == sum(c.overdue for c in children)
    assert sum(b.total for b in bars) == 300
    # the nine most overdue are shown by name (seven units have 3 overdue tasks, then 2), in report order
    assert sorted((b.overdue for b in bars[:9]), reverse=True) == [3] * 7 + [2] * 2
    assert [b.label for b in bars[:3]] == ["UBND xã Số 02", "UBND xã Số 03", "UBND xã Số 06"]
    png = progress_chart_png(root, today=date(2026, 11, 22))
    assert png_size(png)[0] == WIDTH_PX


def test_long_names_are_wrapped_and_shortened() -> None:
    name = "Trung tâm Phục vụ hành chính công và Chuyển đổi số tỉnh Thử Nghiệm thuộc Văn phòng UBND tỉnh"
    label = short_label(name)
    lines = label.split("\n")
    assert len(lines) == 2 and all(len(line) <= 24 for line in lines) and label.endswith("…")
    assert short_label("Sở Nội vụ") == "Sở Nội vụ"
