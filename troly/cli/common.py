"""What every `troly` command module shares: the two consoles, the `--json` option, and how to fail.

Vietnamese for people on stdout, errors on stderr; `--json` prints exactly one JSON document (docs/cli.md §2).
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, NoReturn

import click
import typer
from rich.console import Console

from troly.config import Settings

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="In đúng một tài liệu JSON ra stdout.")]


def fail(message: str, code: int = 1) -> NoReturn:
    """Print `Lỗi: message` on stderr and stop the command with exit code `code`."""
    err.print(f"[bold red]Lỗi:[/] {message}")
    raise typer.Exit(code)


def emit_json(data: object) -> None:
    """Write `data` as one line of JSON (UTF-8 text kept as is) on stdout."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")


def settings() -> Settings:
    """The settings the root callback parsed once for this command (a `ConfigError` has already stopped
    it); parsed here when a sub-app runs on its own (tests invoke `tasks_app` directly)."""
    ctx = click.get_current_context(silent=True)
    parsed = ctx.find_root().obj if ctx is not None else None
    return parsed if isinstance(parsed, Settings) else Settings.from_env()
