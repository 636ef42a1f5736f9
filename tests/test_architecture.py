"""The package boundaries of the design card: `retrieval/` and `tasks/` never import `bot/`, and `retrieval/`
never imports `tasks/`; the application layer `app/` (the one place that joins tasks and retrieval) never
imports the Telegram adapter `bot/` nor the composition root `troly/`, and no domain imports `app/`.
Checked on the source, so a lazy import inside a function counts too."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "retrieval": {"bot", "tasks", "app"},
    "tasks": {"bot", "retrieval", "app"},
    "vntext": {"bot", "tasks", "retrieval", "troly", "prompts", "app"},
    "app": {"bot", "troly", "telegram"},
}


def _imported_top_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_boundaries(package):
    offenders = {
        str(p.relative_to(ROOT)): sorted(_imported_top_packages(p) & FORBIDDEN[package])
        for p in (ROOT / package).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}
