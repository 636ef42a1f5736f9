"""The repository stands alone: no file points at a design document or a folder outside it, and every
relative link in README.md and docs/ leads to a file of the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP_DIRS = {
    ".git",
    ".venv",
    "node_modules",
    "__pycache__",
    ".troly",
    ".troly-demo",
    ".pytest_cache",
    ".ruff_cache",
}
# Built from pieces so that this file does not match itself.
FORBIDDEN = ["DESIGN" + ".md", "DESIGN" + " §", "../" + "shared", "/work/" + "shared"]


def repo_files(*suffixes: str) -> list[Path]:
    found = []
    for path in ROOT.rglob("*"):
        rel = path.relative_to(ROOT)
        if any(part in SKIP_DIRS or part.startswith(".hypothesis") for part in rel.parts):
            continue
        if path.is_file() and (path.suffix in suffixes or path.name in suffixes):
            found.append(path)
    return found


def test_no_reference_to_documents_outside_the_repository() -> None:
    files = repo_files(".py", ".md", ".toml", ".yaml", ".yml", ".service", "Makefile", "Dockerfile", ".txt")
    assert ROOT / "README.md" in files and ROOT / "docs" / "cli.md" in files
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(
            path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1
        )
        if any(pattern in line for pattern in FORBIDDEN)
    ]
    assert not offenders, "\n".join(offenders)


def test_relative_links_in_docs_lead_to_files_of_the_repository() -> None:
    broken = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)\s]+)\)", doc.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue  # a web address or an anchor in the same page
            path = (doc.parent / target.split("#", 1)[0]).resolve()
            if not path.exists() or ROOT not in path.parents:
                broken.append(f"{doc.relative_to(ROOT)} → {target}")
    assert not broken, broken


def test_the_contracts_document_covers_every_installed_command() -> None:
    from typer.main import get_command

    from troly.cli import app

    cli_doc = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    group = get_command(app)
    missing = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        for full in [f"troly {name} {sub}" for sub in subcommands] if subcommands else [f"troly {name}"]:
            if f"`{full}" not in cli_doc:
                missing.append(full)
    assert not missing, f"commands not documented in docs/cli.md: {missing}"
