"""The package boundaries of the design card: `retrieval/` and `tasks/` never import `bot/`, `retrieval/`
never imports `tasks/`, and neither imports the composition root `troly/` (each declares the settings it
needs; `troly/config.py` composes them). The application layer `app/` (the one place that joins tasks and
retrieval) never imports the Telegram adapter `bot/` nor `troly/`, and no domain imports `app/`. Only
`troly/config.py` reads the environment, and the install-time model build tool stays out of the query path.
Checked on the source, so a lazy import inside a function counts too."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "retrieval": {"bot", "tasks", "app", "troly"},
    "tasks": {"bot", "retrieval", "app", "troly"},
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


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _reads_environment(path: Path) -> list[int]:
    """Lines that read the environment: any use of `os.environ` other than `os.environ.setdefault(...)` or
    `os.environ[...] = ...` (writes: the offline guards of the model hub clients), and `os.getenv`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "getenv":
            lines.append(node.lineno)
        elif isinstance(node, ast.Attribute) and node.attr == "environ":
            parent = parents.get(node)
            writes = (isinstance(parent, ast.Attribute) and parent.attr == "setdefault") or (
                isinstance(parent, ast.Subscript) and isinstance(parent.ctx, ast.Store)
            )
            if not writes:
                lines.append(node.lineno)
    return lines


def test_only_the_settings_read_the_environment():
    readers = {
        str(p.relative_to(ROOT)): lines
        for package in ("bot", "retrieval", "tasks", "troly", "vntext", "prompts")
        for p in (ROOT / package).rglob("*.py")
        if (lines := _reads_environment(p))
    }
    # cache_dir() falls back to XDG_CACHE_HOME inside troly/config.py itself
    assert set(readers) <= {"troly/config.py"}, readers


def test_the_query_path_does_not_import_the_model_build_tool():
    offenders = {
        str(p.relative_to(ROOT)): sorted(
            m for m in _imported_modules(p) if m.startswith("retrieval.modelbuild")
        )
        for p in (ROOT / "retrieval").rglob("*.py")
        if "modelbuild" not in p.parts
    }
    assert {k: v for k, v in offenders.items() if v} == {}
