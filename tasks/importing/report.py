"""What an import reports: created / updated / unchanged counts, conflicts kept, officials deactivated and
every row error (as numbered in the spreadsheet); `ImportReport.to_dict` is the CLI's `--json` shape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

# Called as progress(stage, done, total): stage "read" (rows read from the file), "check" (rows validated),
# "write" (rows written); total is 0 when not known yet. The CLI draws a progress bar from it.
Progress = Callable[[str, int, int], None]


class RowError(NamedTuple):
    """A problem in the file: `row` as numbered in the spreadsheet (None: the whole file)."""

    row: int | None
    column: str | None
    message: str


@dataclass
class Conflict:
    """A value reported through the bot, newer than the spreadsheet, kept instead of the file's value."""

    row: int
    code: str
    column: str
    kept: str
    ignored: str
    changed_at: datetime  # when the bot changed it
    reason: str = ""  # why the database's value was kept (newer than the file, task cancelled…)


@dataclass
class Deactivated:
    """An official missing from a complete roster (--full): deactivated, with their unfinished tasks."""

    code: str
    full_name: str
    unit: str
    open_tasks: list[str]
    # pending approvals that passed on: {"task": code, "kind": "gia hạn" | "duyệt sản phẩm", "to": [codes]}
    handed_over: list[dict] = field(default_factory=list)


@dataclass
class ImportReport:
    """What an import did (or, with errors, would refuse to do: then nothing was written)."""

    kind: str
    file: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    units_created: int = 0
    file_time: datetime | None = None
    sheet: str | None = None  # the sheet read (None for CSV)
    conflicts: list[Conflict] = field(default_factory=list)
    deactivated: list[Deactivated] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False  # a preview: nothing was written (the counts say what an import would do)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, row: int | None, column: str | None, message: str) -> None:
        self.errors.append(RowError(row, column, message))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the CLI's `--json` output)."""
        return {
            "kind": self.kind,
            "file": self.file,
            "ok": self.ok,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "units_created": self.units_created,
            "file_time": self.file_time.isoformat() if self.file_time else None,
            "sheet": self.sheet,
            "conflicts": [{**asdict(c), "changed_at": c.changed_at.isoformat()} for c in self.conflicts],
            "deactivated": [asdict(d) for d in self.deactivated],
            "errors": [e._asdict() for e in self.errors],
        }
