"""Exceptions of the task domain. Every message is Vietnamese and fit to show to the user as is."""

from __future__ import annotations

from collections.abc import Sequence


def did_you_mean(suggestions: Sequence[str]) -> str:
    """ " Có phải ý bạn là: “A”; “B”?" — or "" when there is nothing to suggest."""
    if not suggestions:
        return ""
    return " Có phải ý bạn là: " + "; ".join(f"“{s}”" for s in suggestions) + "?"


class TaskDomainError(Exception):
    """Base class: `str(error)` is a complete Vietnamese sentence for the person who caused it."""


class PermissionDenied(TaskDomainError):
    """The viewer may not see or change this object (the attempt has been written to the audit log)."""


class NotFound(TaskDomainError):
    """A task, official, unit or code that does not exist."""


class UnitNotFound(NotFound):
    """An unknown unit name; carries close names so the caller can suggest them."""

    def __init__(self, name: str, suggestions: Sequence[str] = ()) -> None:
        self.name = name
        self.suggestions = list(suggestions)
        super().__init__(f"Không tìm thấy đơn vị “{name}”." + did_you_mean(self.suggestions))


class InvalidOperation(TaskDomainError):
    """The request is understood but not allowed in the current state (e.g. progress of a finished task)."""
