"""The one set of display helpers for text shown to a user: HTML escaping, shortening, dates.

Every front end (the bot, the task screens, answers with citations) shows database values and document text
in Telegram HTML. Before this module each side had its own escape, its own "cut at a word with …" and its own
dd/mm/yyyy formatter, and they drifted apart (one folded whitespace, one did not). It lives in `vntext`
because every package may import it and it depends on nothing of ours.
"""

from __future__ import annotations

import html
from datetime import date

FIELD_LIMIT = 700


def esc(text: object) -> str:
    """`text` escaped for Telegram HTML (``&``, ``<``, ``>``; quotes are fine outside attributes).

    None becomes ""; any other value goes through ``str`` first (ids, numbers, enum labels)."""
    return html.escape("" if text is None else str(text), quote=False)


def shorten(text: str | None, limit: int = FIELD_LIMIT) -> str:
    """`text` with runs of whitespace folded to one space, cut at a word boundary with "…" when longer than
    `limit` characters (not yet escaped: escape after shortening, so an entity is never cut in half)."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;.:") + "…"


def format_date(value: date | None) -> str:
    """dd/mm/yyyy, the way Vietnamese documents write dates ("" for no date)."""
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}" if value else ""


def display_date(iso: str | None) -> str | None:
    """An ISO date string ("2024-12-22") as dd/mm/yyyy; an unparsable string as it is; None for nothing."""
    if not iso:
        return None
    try:
        return format_date(date.fromisoformat(iso))
    except ValueError:
        return iso
