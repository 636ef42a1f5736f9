"""`troly`: the command line (contracts in docs/cli.md). Vietnamese for people; `--json` for scripts.

This package is the one home of the CLI and the composition root: it reads the settings and hands them to
`retrieval/`, `tasks/` and `bot/`. One module per family of commands:

- `documents`: ingest, search, ask, eval, documents, model build / train-judge
- `feedback`: feedback export, stats (the question log)
- `tasks`: officials …, tasks …
- `bot`: bot (also `python -m bot`)
- `ops`: reset, backup, restore, doctor

To add a command, add it to the module of its family (or a new module) and to that module's `register`.
"""

from __future__ import annotations

import os
import sys

import typer

from troly.cli import bot, documents, feedback, ops
from troly.cli.common import load_settings
from troly.cli.tasks import officials_app, tasks_app
from troly.cli.usage_errors import ClickException, NoArgsIsHelpError, explain

app = typer.Typer(
    name="troly",
    help="Trợ lý công vụ: tra cứu văn bản có trích dẫn, theo dõi nhiệm vụ, bot Telegram.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _check_settings(ctx: typer.Context) -> None:
    """Stop every command (the bot included) with one clear message when a variable is unusable; the
    doctor reads the settings leniently and reports such a variable among its checks."""
    if ctx.invoked_subcommand == "doctor" or ctx.resilient_parsing:
        return
    ctx.obj = load_settings()  # parsed once; the commands read it through `common.settings()`


# The order here is the order of `troly --help`.
documents.register(app)
feedback.register(app)
app.add_typer(officials_app, name="officials")
app.add_typer(tasks_app, name="tasks")
app.command("bot")(bot.bot_command)
ops.register(app)  # reset, backup, restore, doctor


def main() -> None:
    """The `troly` command. Files and folders it creates (database, index, logs, reports) are its owner's
    only: they hold officials' personal data (umask 077; the places that create them also chmod)."""
    os.umask(0o077)
    try:
        code = app(standalone_mode=False)
    except typer.Abort:
        sys.stderr.write("Đã huỷ.\n")
        sys.exit(1)
    except NoArgsIsHelpError as error:  # `troly` alone: the help, as before
        error.show()
        sys.exit(error.exit_code)
    except ClickException as error:  # typed wrongly: one Vietnamese line instead of an English box
        sys.stderr.write(explain(error, sys.argv[1:]) + "\n")
        sys.exit(error.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


__all__ = ["app", "main"]
