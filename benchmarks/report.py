"""Each benchmark owns one section of docs/benchmarks.md, between `<!-- NAME:start -->` and `<!-- NAME:end -->`."""

from __future__ import annotations

import statistics
from pathlib import Path


def replace_block(path: Path, start: str, end: str, block: str) -> None:
    """Put `block` (which begins with `start` and ends with `end`) in place of the old one, or append it;
    every other section of the file stays as it was."""
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if start in current and end in current:
        before = current[: current.index(start)]
        after = current[current.index(end) + len(end) :]
        current = before + block + after
    else:
        current = current.rstrip() + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(current, encoding="utf-8")


def write_section(path: Path, name: str, text: str) -> None:
    """Replace (or append) the section `name` with `text`, adding its markers."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    replace_block(path, start, end, f"{start}\n{text.rstrip()}\n{end}")


def percentile(values: list[float], p: float) -> float:
    """Linear-interpolated percentile (NaN for no values)."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summary(ms: list[float], digits: int = 1) -> dict[str, float]:
    """n, p50, p95, max and mean of a list of milliseconds."""
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), digits),
        "p95_ms": round(percentile(ms, 95), digits),
        "max_ms": round(max(ms), digits) if ms else float("nan"),
        "mean_ms": round(statistics.fmean(ms), digits) if ms else float("nan"),
    }
