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

from troly.config import ConfigError, Settings

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


def load_settings() -> Settings:
    """Parse the configuration, or stop the command with exit code 2 and the one Vietnamese message of the
    unusable variable (`Cấu hình sai: …`), before it does anything."""
    try:
        return Settings.from_env()
    except ConfigError as exc:
        typer.echo(f"Cấu hình sai: {exc}", err=True)
        raise typer.Exit(2) from None


def settings() -> Settings:
    """The settings the root callback parsed once for this command; parsed here (same stop on a bad value)
    when a command runs without the root app (`python -m bot`, tests invoking `tasks_app`)."""
    ctx = click.get_current_context(silent=True)
    parsed = ctx.find_root().obj if ctx is not None else None
    return parsed if isinstance(parsed, Settings) else load_settings()
