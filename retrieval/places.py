"""Vietnam's provinces and cities, and the one a local news report is about.

Why: a provincial paper names its province once ("UBND tỉnh Thanh Hóa tổ chức…") and then writes "tỉnh",
"Tỉnh ủy", "Sở Nội vụ". An official asks "Trưởng Ban Tổ chức Tỉnh ủy Phú Thọ là ai?" and the paragraph that
answers never says "Phú Thọ". The report's province is therefore part of every passage's header
(`DocumentMeta.place`), where the lexical index, the embedding and the judge all read it.

Names come from package data `retrieval/data/provinces.txt` (reviewed by hand, names before and after the
2025 merger).
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def province_names() -> tuple[str, ...]:
    """Display names ("Phú Thọ", "Bà Rịa - Vũng Tàu"), NFC, in file order."""
    text = resources.files("retrieval.data").joinpath("provinces.txt").read_text(encoding="utf-8")
    lines = (ln.strip() for ln in text.splitlines())
    return tuple(ln for ln in lines if ln and not ln.startswith("#"))


@lru_cache(maxsize=1)
def _province_pattern() -> re.Pattern[str]:
    names = sorted(province_names(), key=len, reverse=True)  # "Bà Rịa - Vũng Tàu" before a shorter name
    return re.compile(r"(?<!\w)(" + "|".join(re.escape(n) for n in names) + r")(?!\w)")


def dominant_province(text: str) -> str | None:
    """The province or city `text` names most often, written as a name (capitalised, with its diacritics:
    "hòa bình" the word is not Hòa Bình the province); None when it names none or two tie.

    Example: a report naming "tỉnh Thanh Hóa" twice and "Hà Nội" once → "Thanh Hóa".
    """
    counts = Counter(m.group(1) for m in _province_pattern().finditer(text))
    if not counts:
        return None
    (best, n), *rest = counts.most_common(2)
    if rest and rest[0][1] == n:
        return None
    return best
