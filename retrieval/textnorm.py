"""Vietnamese text normalisation for matching (never for display).

Three views of the same text:
- `nfc(text)`: Unicode NFC; what we store and show.
- `normalize(text)`: NFC, case-folded, with tone marks placed by one fixed rule, so old and new tone placement
  compare equal (hoà = hòa, thuỷ = thủy, qúy = quý) and NFD input equals NFC input.
- `fold(text)`: `normalize` with every diacritic removed (đ → d): what a phone user types without accents.

`tokens(text)` splits into syllables for BM25, keeping document numbers such as `66-NQ/TW` as one token.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from vntext import clean

# The five Vietnamese tone marks as combining characters (NFD).
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
# Vowel-quality marks that stay with their letter (circumflex, breve, horn).
_VOWELS = set("aăâeêioôơuưy")
_MARKED = set("ăâêôơư")

_WORD_RE = re.compile(r"\w+", re.UNICODE)


def nfc(text: str) -> str:
    """NFC without invisible characters and with look-alike letters mapped (see `vntext.clean`)."""
    return clean(text)


def _strip_tone(syllable: str) -> tuple[str, str | None]:
    """Return the syllable without its tone mark (NFC) and the tone mark (combining char) if any."""
    decomposed = unicodedata.normalize("NFD", syllable)
    tone = None
    kept = []
    for ch in decomposed:
        if ch in _TONES:
            tone = ch
        else:
            kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept)), tone


def _tone_position(base: str) -> int | None:
    """Index of the vowel that carries the tone, by one deterministic rule (the traditional placement).

    The rule need not match every style guide; it only has to give every spelling of a syllable the same
    canonical form. "qu" and "gi" count as consonants when another vowel follows.
    """
    start = 0
    if (base.startswith("qu") and len(base) > 2 and base[2] in _VOWELS) or (
        base.startswith("gi") and len(base) > 2 and base[2] in _VOWELS
    ):
        start = 2
    # find the vowel cluster
    i = start
    while i < len(base) and base[i] not in _VOWELS:
        i += 1
    if i == len(base):
        return None
    j = i
    while j < len(base) and base[j] in _VOWELS:
        j += 1
    cluster = range(i, j)
    has_final = j < len(base)
    # a vowel with a quality mark takes the tone; in "ươ" it is the ơ
    marked = [k for k in cluster if base[k] in _MARKED]
    if marked:
        return marked[-1] if base[marked[-1]] == "ơ" else marked[0]
    n = j - i
    if n == 1:
        return i
    if has_final:
        return j - 1
    if n >= 3:
        return i + 1
    return i  # two vowels, open syllable: hòa, thủy, mùa, tài (traditional style)


@lru_cache(maxsize=65536)
def _canonical_syllable(word: str) -> str:
    if not word.isalpha():
        return word
    base, tone = _strip_tone(word)
    if tone is None:
        return base
    pos = _tone_position(base)
    if pos is None:
        return unicodedata.normalize("NFC", base + tone)
    return unicodedata.normalize("NFC", base[: pos + 1] + tone + base[pos + 1 :])


def normalize(text: str) -> str:
    """NFC + case fold + canonical tone placement. Idempotent."""
    text = unicodedata.normalize("NFC", text).casefold()
    text = unicodedata.normalize("NFC", text)
    return _WORD_RE.sub(lambda m: _canonical_syllable(m.group(0)), text)


@lru_cache(maxsize=65536)
def _fold_word(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    out = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return out.replace("đ", "d").replace("Đ", "D")


def fold(text: str) -> str:
    """Lower case, no diacritics, đ → d: the form of text typed on a phone without a Vietnamese keyboard."""
    text = unicodedata.normalize("NFC", text).casefold()
    return _WORD_RE.sub(lambda m: _fold_word(m.group(0)), text)


def has_diacritics(text: str) -> bool:
    """True when the text uses Vietnamese letters beyond plain ASCII (accents, đ)."""
    t = unicodedata.normalize("NFC", text)
    return fold(t) != t.casefold()


# A document number: digits, then groups of letters/digits joined by - or /, at least one group with a letter.
# Matches 57-NQ/TW, 624/TB-VPCP, 198/2025/QH15, 22498/UBND-THĐT, 26/CT-TTg, 140/NQ-CP.
DOC_NUMBER_RE = re.compile(
    r"(?<![\w/-])(\d{1,6}(?:/\d{4})?(?:[-/][A-Za-zĐđ][A-Za-zĐđ0-9]*)+)(?![\w])",
    re.UNICODE,
)
_TOKEN_RE = re.compile(r"\d+(?:[.,]\d+)*%?|\w+", re.UNICODE)


def tokens(text: str) -> list[str]:
    """Normalised syllables (and whole document numbers) of a text, in order."""
    norm = normalize(text)
    out: list[str] = []
    pos = 0
    for m in DOC_NUMBER_RE.finditer(norm):
        out.extend(_TOKEN_RE.findall(norm[pos : m.start()]))
        number = m.group(1)
        out.append(number)
        out.extend(_TOKEN_RE.findall(number))  # its parts too, so "NQ 57" meets "57-NQ/TW"
        pos = m.end()
    out.extend(_TOKEN_RE.findall(norm[pos:]))
    return out


def folded_tokens(text: str) -> list[str]:
    return [_fold_word(t) for t in tokens(text)]
