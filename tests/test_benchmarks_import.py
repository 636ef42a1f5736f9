"""Every benchmark module imports (the benchmarks import test helpers by path: a moved helper must not
leave a benchmark that only fails when someone runs it). Importing runs no benchmark: each one works only
under ``if __name__ == "__main__"``."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

BENCHMARKS = sorted(p.stem for p in (Path(__file__).resolve().parent.parent / "benchmarks").glob("*.py"))


def test_there_are_benchmarks() -> None:
    assert {"outbox", "report", "scale"} <= set(BENCHMARKS)


@pytest.mark.parametrize("name", [n for n in BENCHMARKS if n != "__init__"])
def test_benchmark_module_imports(name: str) -> None:
    module = importlib.import_module(f"benchmarks.{name}")
    if name != "report":
        assert callable(getattr(module, "main", None)), f"benchmarks/{name}.py has no main()"
