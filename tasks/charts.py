"""Progress charts as PNG bytes: completion % and overdue count by sub-unit, made to be read on a phone.

Why these choices: horizontal bars leave room for Vietnamese unit names (wrapped on two lines, shortened
with "…" beyond that); two panels side by side share the unit axis so a leader reads one row per unit;
1000 px wide at 100 dpi fits Telegram's photo viewer without zooming. matplotlib's object API with the Agg
canvas is used directly (no pyplot): no display needed, no global state, safe to call from worker threads.
DejaVu Sans, matplotlib's bundled default, has every Vietnamese glyph.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from datetime import date

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from tasks.normalize import format_date
from tasks.reporting import UnitProgress

WIDTH_PX = 1000
DPI = 100
MAX_UNITS = 15
LABEL_WIDTH = 24  # characters per line of a unit name
GREEN, RED, GREY = "#2e7d32", "#c62828", "#9e9e9e"
FONT = "DejaVu Sans"


@dataclass(frozen=True)
class Bar:
    label: str
    completion: float  # 0–1
    overdue: int
    total: int


def short_label(name: str, width: int = LABEL_WIDTH, lines: int = 2) -> str:
    """`name` wrapped on at most `lines` lines of `width` characters, "…" when cut."""
    wrapped = textwrap.wrap(name, width=width, break_long_words=True) or [""]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][: width - 1].rstrip() + "…"
    return "\n".join(wrapped)


def bars_for(report: UnitProgress, max_units: int = MAX_UNITS) -> list[Bar]:
    """One bar per row of the unit's breakdown — its "(trực tiếp)" row (its own tasks) and its sub-units,
    so the bars add up to the unit — or the unit itself when it has none; beyond `max_units`, the rows
    with the most overdue tasks are kept and the rest are summed up in one "Các đơn vị khác" bar."""
    nodes = report.units or [report]
    bars = [Bar(n.unit, n.completion_rate, n.overdue, n.total) for n in nodes]
    if len(bars) > max_units:
        ranked = sorted(bars, key=lambda b: (-b.overdue, -b.total, b.label))
        kept, rest = ranked[: max_units - 1], ranked[max_units - 1 :]
        total = sum(b.total for b in rest)
        done = sum(b.completion * b.total for b in rest)
        others = Bar(
            f"Các đơn vị khác ({len(rest)})",
            done / total if total else 0.0,
            sum(b.overdue for b in rest),
            total,
        )
        order = {b.label: i for i, b in enumerate(bars)}
        bars = [*sorted(kept, key=lambda b: order[b.label]), others]
    return bars


def progress_chart_png(report: UnitProgress, *, today: date, max_units: int = MAX_UNITS) -> bytes:
    """PNG of `report`'s sub-units: completion % (green) and overdue tasks (red), one row per unit."""
    bars = bars_for(report, max_units)
    n = len(bars)
    height_px = max(420, 150 + 62 * n)
    fig = Figure(figsize=(WIDTH_PX / DPI, height_px / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    fig.set_layout_engine("constrained")
    left, right = fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [3, 2]})
    labels = [short_label(b.label) for b in bars]
    y = list(range(n))[::-1]  # first unit on top
    percents = [round(b.completion * 100, 1) for b in bars]
    overdue = [b.overdue for b in bars]

    left.barh(y, [100] * n, color="#eeeeee", height=0.6)
    left.barh(y, percents, color=GREEN, height=0.6)
    left.set_xlim(0, 112)
    left.set_yticks(y, labels, fontsize=12, fontfamily=FONT)
    left.set_title("Tỷ lệ hoàn thành, % (tổng số nhiệm vụ)", fontsize=14, fontfamily=FONT, loc="left")
    for yi, p, b in zip(y, percents, bars, strict=True):
        text = f"{p:.0f}%".replace(".", ",") + (f"  ({b.total})" if b.total else "  (0)")
        left.text(min(p, 100) + 1.5, yi, text, va="center", fontsize=11, fontfamily=FONT)

    colors = [RED if v else GREY for v in overdue]
    right.barh(y, overdue, color=colors, height=0.6)
    top = max([*overdue, 1])
    right.set_xlim(0, top * 1.25 + 0.5)
    right.set_title("Số nhiệm vụ quá hạn", fontsize=14, fontfamily=FONT, loc="left")
    for yi, v in zip(y, overdue, strict=True):
        right.text(v + top * 0.02 + 0.05, yi, str(v), va="center", fontsize=11, fontfamily=FONT)

    for ax in (left, right):
        ax.tick_params(axis="x", labelsize=10)
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
    fig.suptitle(
        f"Tiến độ nhiệm vụ – {short_label(report.unit, 60, 1)}\nđến ngày {format_date(today)} "
        f"(tổng {report.total}, hoàn thành {report.done}, quá hạn {report.overdue})",
        fontsize=15,
        fontfamily=FONT,
    )
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
