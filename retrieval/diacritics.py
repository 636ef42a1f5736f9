"""Put the accents back on a query typed without them, using the indexed corpus as the dictionary.

The embedding model understands "nghị quyết đặt mục tiêu" far better than "nghi quyet dat muc tieu". For a
query without diacritics, each word gets the accented form that the corpus uses for it, chosen with bigram
counts so that "muc tieu" becomes "mục tiêu" rather than "mức tiêu". Words the corpus never uses stay as
typed. Lexical search does not need this (it matches folded forms); the dense side does.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

from retrieval.textnorm import _fold_word, nfc

_WORD = re.compile(r"\w+", re.UNICODE)

# Everyday question words that documents rarely contain; without them "may" would become "máy".
COMMON_PHRASES = """
bao nhiêu mấy mỗi phần trăm như thế nào là gì cái gì việc gì những gì ai nào khi nào bao giờ ở đâu
có không có phải không được không thế nào tại sao vì sao hạn chót đến hạn trước ngày nào ngày nào
của tôi cho tôi tôi muốn hỏi cần làm gì phải làm gì ai chịu trách nhiệm giao cho ai thôi việc nghỉ việc
năm nay tháng này tuần này hôm nay bao lâu mấy năm mấy tháng tối thiểu tối đa ít nhất nhiều nhất
"""


class AccentRestorer:
    def __init__(self, texts: list[str]) -> None:
        self._unigrams: dict[str, Counter[str]] = defaultdict(Counter)
        self._bigrams: Counter[tuple[str, str]] = Counter()
        for text in texts:
            words = [w.lower() for w in _WORD.findall(nfc(text))]
            for w in words:
                self._unigrams[_fold_word(w)][w] += 1
            for a, b in zip(words, words[1:], strict=False):
                self._bigrams[(a, b)] += 1
        common = [w.lower() for w in _WORD.findall(nfc(COMMON_PHRASES))]
        for w in common:
            self._unigrams[_fold_word(w)][w] += 50
        for a, b in zip(common, common[1:], strict=False):
            self._bigrams[(a, b)] += 5

    def _candidates(self, folded: str) -> list[tuple[str, int]]:
        counts = self._unigrams.get(folded)
        if not counts:
            return [(folded, 1)]
        return counts.most_common(6)

    def restore(self, query: str) -> str:
        """The query with accents restored word by word (Viterbi over corpus bigram counts)."""
        parts = re.split(r"(\w+)", nfc(query))
        words = [p for i, p in enumerate(parts) if i % 2 == 1]
        if not words:
            return query
        lattice = [self._candidates(_fold_word(w.lower())) for w in words]
        # score: log-ish counts; bigram evidence dominates unigram frequency
        best: list[dict[str, tuple[float, str | None]]] = []
        first = {c: (math.log1p(n), None) for c, n in lattice[0]}
        best.append(first)
        for i in range(1, len(words)):
            layer: dict[str, tuple[float, str | None]] = {}
            for cand, n in lattice[i]:
                options = []
                for prev, (score, _) in best[i - 1].items():
                    bigram = self._bigrams.get((prev, cand), 0)
                    options.append((score + math.log1p(n) + 3.0 * math.log1p(bigram), prev))
                layer[cand] = max(options)
            best.append(layer)
        choice = max(best[-1].items(), key=lambda kv: kv[1][0])[0]
        chosen = [choice]
        for i in range(len(words) - 1, 0, -1):
            choice = best[i][choice][1]  # type: ignore[assignment]
            chosen.append(choice)  # type: ignore[arg-type]
        chosen.reverse()
        out = []
        for i, part in enumerate(parts):
            if i % 2 == 1:
                word = chosen[i // 2]
                if word == part.lower():
                    out.append(part)  # nothing restored: keep what was typed ("R&D", "KPI")
                else:
                    out.append(word.upper() if part.isupper() and len(part) > 1 else word)
            else:
                out.append(part)
        return "".join(out)
