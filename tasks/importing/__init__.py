"""Importing the officials roster and the task list from the office's spreadsheets (docs/cli.md §4).

All or nothing: every row is validated before anything is written, and a single bad row leaves the
database untouched while the report lists every problem with its row number as seen in Excel. Re-importing
updates by code and writes one audit row per changed field. Progress reported through the bot after the
spreadsheet was saved is kept (last change wins by timestamp) and the conflict is logged and reported.

The package: `report` (what an import did), `cells` (the shared parts), `officials` and `tasks` (one import
each). The names below are the public surface.
"""

from tasks.importing.officials import import_officials
from tasks.importing.report import Conflict, Deactivated, ImportReport, Progress, RowError
from tasks.importing.tasks import ProgressState, derive_state, import_tasks

__all__ = [
    "Conflict",
    "Deactivated",
    "ImportReport",
    "Progress",
    "ProgressState",
    "RowError",
    "derive_state",
    "import_officials",
    "import_tasks",
]
