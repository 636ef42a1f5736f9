"""Chat shorthand in a question ("bn", "ko", "dc", "ntn") spelled out before anything reads it.

Officials type on phones: "phụ cấp bn 1 tháng", "hộ kinh doanh còn đóng thuế ko". The question's kind ("bao
nhiêu" asks for an amount) and its words are read from the spelled-out text; the official still sees their
own words. The table is `retrieval/data/shorthand.txt`, reviewed by hand; only whole words in lower case (or
with a capital first letter) are replaced, so "BN", "K" or "điểm k" are left alone.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from retrieval.textnorm import fold, has_diacritics, nfc


def parse_shorthand(text: str) -> dict[str, str]:
    """`short = full` lines (comments with #, blank lines skipped) → {short: full}, both NFC.

    Raises ValueError naming the line when a line has no "=" or an empty side.
    """
    table: dict[str, str] = {}
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        short, sep, full = (part.strip() for part in line.partition("="))
        if not sep or not short or not full:
            raise ValueError(f"Dòng {n} của bảng viết tắt không đúng dạng 'viết tắt = đầy đủ': {raw!r}")
        table[nfc(short).lower()] = nfc(full)
    return table


class Shorthand:
    """Whole-word replacement of chat shorthand by its full form."""

    def __init__(self, table: dict[str, str], *, bare_nhieu: bool = False) -> None:
        self.table = table
        self.bare_nhieu = bare_nhieu  # "nhiêu" alone read as "bao nhiêu" (the shipped table's rule)
        forms: list[str] = []
        for short in sorted(table, key=len, reverse=True):
            forms.append(re.escape(short))
            if len(short) > 1:
                forms.append(re.escape(short[0].upper() + short[1:]))
        self._re = re.compile(r"(?<!\w)(" + "|".join(forms) + r")(?![\w/-])") if forms else None

    def expand(self, text: str) -> str:
        """`text` with every shorthand word spelled out ("bn tiền" → "bao nhiêu tiền"); else unchanged.

        A question typed without diacritics gets the full forms without them too ("so cbcc dc dieu dong la bn"
        → "so can bo, cong chuc duoc dieu dong la bao nhieu"): half-accented text would pass for accented,
        and the accents of the rest would never be restored."""
        if self._re is None:
            return text
        plain = not has_diacritics(text)
        if self.bare_nhieu:
            text = _BARE_NHIEU.sub(lambda m: "Bao nhiêu" if m.group(0)[0] == "N" else "bao nhiêu", text)
        return self._re.sub(lambda m: _spelled(self.table[m.group(1).lower()], plain), text)


# "xây được nhiêu phần rồi?": "nhiêu" alone is spoken "bao nhiêu" (with its accent only: "nhieu" is "nhiều" too)
_BARE_NHIEU = re.compile(r"(?<!\w)(?<![Bb]ao )(?<!BAO )[Nn]hiêu(?!\w)")


def _spelled(full: str, plain: bool) -> str:
    return fold(full) if plain else full


@lru_cache(maxsize=1)
def default_shorthand() -> Shorthand:
    """The shipped table (package data `retrieval/data/shorthand.txt`), parsed once per process."""
    text = resources.files("retrieval.data").joinpath("shorthand.txt").read_text(encoding="utf-8")
    return Shorthand(parse_shorthand(text), bare_nhieu=True)


def expand_shorthand(text: str) -> str:
    """`default_shorthand().expand(text)`."""
    return default_shorthand().expand(text)
