"""Each benchmark owns one section of docs/benchmarks.md, between `<!-- NAME:start -->` and `<!-- NAME:end -->`."""

from __future__ import annotations

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
