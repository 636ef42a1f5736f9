"""Clean Vietnamese text as it arrives from keyboards, Word, converted PDFs and spreadsheets.

One normaliser shared by the document side (`retrieval/`) and the task side (`tasks/`), so a unit name, an
official's code, a query and an indexed passage are cleaned by the same rule. It depends on nothing of ours.

`clean(text)` returns NFC text in which:
- zero-width characters (U+200B–U+200D, U+2060, U+FEFF) and soft hyphens (U+00AD) are removed: they are
  invisible, so a reader never typed them ("A02\u200b" is "A02");
- non-breaking and other Unicode spaces become a plain space;
- look-alike letters become the Vietnamese letter a reader sees: Ð (U+00D0, Icelandic eth, common from some
  keyboards and PDF converters) → Đ, ð → đ, Ɖ (U+0189) → Đ, ɖ → đ, and Cyrillic/Greek letters that look like
  Latin ones (а е о р с х у і ј ѕ ԁ, А В Е К М Н О Р С Т Х, Greek Ο ο Α Ε Ι Κ Μ Ν Ρ Τ Χ Υ) → Latin.
Case, punctuation and document numbers such as `66-NQ/TW` are kept.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["LOOKALIKES", "clean", "clean_line"]

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"), None)

LOOKALIKES: dict[str, str] = {
    # D with stroke look-alikes
    "\u00d0": "Đ",  # Ð Latin capital eth
    "\u00f0": "đ",  # ð Latin small eth
    "\u0189": "Đ",  # Ɖ African D
    "\u0256": "đ",  # ɖ
    # Cyrillic
    "\u0430": "a", "\u0435": "e", "\u043e": "o", "\u0440": "p", "\u0441": "c", "\u0445": "x", "\u0443": "y",
    "\u0456": "i", "\u0458": "j", "\u0455": "s", "\u0501": "d",
    "\u0410": "A", "\u0412": "B", "\u0415": "E", "\u041a": "K", "\u041c": "M", "\u041d": "H", "\u041e": "O",
    "\u0420": "P", "\u0421": "C", "\u0422": "T", "\u0425": "X", "\u0406": "I", "\u0408": "J", "\u0405": "S",
    # Greek
    "\u039f": "O", "\u03bf": "o", "\u0391": "A", "\u0395": "E", "\u0399": "I", "\u039a": "K", "\u039c": "M",
    "\u039d": "N", "\u03a1": "P", "\u03a4": "T", "\u03a7": "X", "\u03a5": "Y",
}  # fmt: skip
_LOOKALIKE_TABLE = str.maketrans(LOOKALIKES)
# Every Unicode space separator (NBSP, narrow NBSP, figure space, ideographic space…) but the plain one.
_ODD_SPACES = re.compile(r"[^\S\n\r\t ]|[\u00a0\u2000-\u200a\u202f\u205f\u3000]")
_LINE_SPACES = re.compile(r"\s+")


def clean(text: str) -> str:
    """NFC text without invisible characters, with plain spaces and the Vietnamese letters a reader sees.

    Applied before NFC as well as after: a look-alike may carry a combining tone mark (Ð + dot below).
    Line breaks are kept; runs of spaces are not collapsed (see `clean_line`).
    """
    if not text:
        return text
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE).translate(_LOOKALIKE_TABLE)
    text = _ODD_SPACES.sub(" ", text)
    return unicodedata.normalize("NFC", text)


def clean_line(text: str) -> str:
    """`clean` for one-line values (codes, names, units, spreadsheet cells): spaces collapsed, trimmed."""
    return _LINE_SPACES.sub(" ", clean(text)).strip()
