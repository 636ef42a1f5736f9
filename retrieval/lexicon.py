"""Everyday words ↔ the words of the documents: "con nít" is "trẻ em", "nhà băng" is "ngân hàng".

Officials and citizens ask in everyday words; resolutions are written in administrative ones. The pairs live in
`retrieval/data/lexicon.txt` (one `everyday = administrative` pair a line, reviewed by hand). A question's
everyday phrases are found word by word: a word typed with diacritics must match exactly (after tone
normalisation), a word typed without them matches the folded form, so "con nit" and "con nít" both meet
"con nít". Search uses the result twice: the lexical query gets the administrative words added, and the text
the embedding model sees has the everyday phrase replaced by the administrative one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from retrieval.textnorm import _fold_word, has_diacritics, normalize

_SPLIT = re.compile(r"(\w+)", re.UNICODE)


@dataclass(frozen=True)
class Entry:
    everyday: str  # as written in the file
    administrative: str
    norm: tuple[str, ...]  # normalised words of `everyday`
    folded: tuple[str, ...]  # folded words of `everyday`


@dataclass(frozen=True)
class Match:
    """An everyday phrase found in a question: words `start` to `end` (exclusive) of its word list."""

    start: int
    end: int
    entry: Entry


def parse_lexicon(text: str) -> list[Entry]:
    """Entries of a lexicon file. Raises ValueError (with the line number) on a line without ` = `."""
    entries: list[Entry] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise ValueError(f"lexicon line {n}: expected 'everyday = administrative', got {raw!r}")
        a, b = (part.strip() for part in line.split("=", 1))
        if not a or not b:
            raise ValueError(f"lexicon line {n}: empty side in {raw!r}")
        words = [w for w in _SPLIT.findall(normalize(a))]
        entries.append(Entry(a, b, tuple(words), tuple(_fold_word(w) for w in words)))
    return entries


class Lexicon:
    """Finds everyday phrases in a question; longest match first, matches never overlap."""

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries
        self._by_first: dict[str, list[Entry]] = {}
        for e in entries:
            self._by_first.setdefault(e.folded[0], []).append(e)
        for group in self._by_first.values():
            group.sort(key=lambda e: -len(e.folded))

    def matches(self, text: str) -> list[Match]:
        words = _SPLIT.findall(text)
        norm = [normalize(w) for w in words]
        folded = [_fold_word(w) for w in norm]
        accented = [has_diacritics(w) for w in words]
        out: list[Match] = []
        i = 0
        while i < len(words):
            found = None
            for e in self._by_first.get(folded[i], ()):
                n = len(e.folded)
                if i + n > len(words):
                    continue
                if all(
                    (norm[i + j] == e.norm[j]) if accented[i + j] else (folded[i + j] == e.folded[j])
                    for j in range(n)
                ):
                    found = Match(i, i + n, e)
                    break
            if found:
                out.append(found)
                i = found.end
            else:
                i += 1
        return out

    def expansions(self, text: str) -> list[str]:
        """The administrative phrases for the everyday phrases of `text`, in order, without repeats."""
        return list(dict.fromkeys(m.entry.administrative for m in self.matches(text)))

    def expand(self, text: str) -> str:
        """`text` followed by the administrative phrases (for the lexical index)."""
        extra = self.expansions(text)
        return f"{text} {' '.join(extra)}" if extra else text

    def rewrite(self, text: str, matches: list[Match] | None = None) -> str:
        """`text` with each everyday phrase replaced by its administrative phrase (for the embedding model).

        `matches` may come from another spelling of the same text with the same words (the question before
        its accents were restored), so the replacement follows what the user typed.
        """
        matches = self.matches(text) if matches is None else matches
        if not matches:
            return text
        parts = _SPLIT.split(text)  # even: separators, odd: words
        starts = {m.start: m for m in matches}
        out: list[str] = []
        skip_until = -1
        for idx, part in enumerate(parts):
            if idx % 2 == 0:
                w = (idx - 1) // 2  # the word before this separator
                if w < skip_until - 1 and idx > 0:
                    continue  # a separator inside a replaced phrase
                out.append(part)
                continue
            w = idx // 2
            if w < skip_until:
                continue
            m = starts.get(w)
            if m is not None:
                out.append(m.entry.administrative)
                skip_until = m.end
            else:
                out.append(part)
        return "".join(out)


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """The shipped lexicon (package data `retrieval/data/lexicon.txt`), parsed once per process."""
    text = resources.files("retrieval.data").joinpath("lexicon.txt").read_text(encoding="utf-8")
    return Lexicon(parse_lexicon(text))
