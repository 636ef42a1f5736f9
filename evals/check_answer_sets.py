#!/usr/bin/env python3
"""Check the answer-level evaluation sets evals/answers_test.jsonl and evals/answers_dev.jsonl.

Why: these sets measure the text an official reads (`troly eval FILE --answers`), so every expected string
must really be in the cited document, every kind must be represented, and the test split must never leak
into the dev split (not even as the same question typed without accents).

Line format (one JSON object per line, UTF-8):
  answerable: {"question", "answer_contains": [1-4 short str], "kind", "source", "history"?}
  near miss:  {"question", "kind": "near_miss", "source"?, "history"?}  -- no answer_contains
`source` is a file under corpus/ ("nq-57-NQ-TW-2024-12-22.md", "seeds/002_e4fefde7bd2e0ec1.txt").

Checks, each an error:
  - valid JSON object per line, only known keys, known kind, non-empty question;
  - answerable kinds carry 1-4 non-empty strings; near_miss carries none;
  - follow_up lines carry a non-empty "history" list of strings;
  - no_diacritics questions (and their history) are plain ASCII;
  - every answer_contains string occurs in the source file after NFC, case folding and collapsing
    whitespace. The file's front matter counts as part of the document; its ISO `ngay_ban_hanh` is
    also matched as dd/mm/yyyy, d/m/yyyy and "ngày d tháng m năm yyyy" (how answers print dates);
  - no question repeated inside a split or across splits, also after folding accents and punctuation;
  - per-kind minimum counts (test: 20 each, everyday 50, near_miss 60; dev: 10 each, everyday 25,
    near_miss 30).

Usage: python evals/check_answer_sets.py [--root REPO_DIR]   (exit 1 on any error). Stdlib only.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

ANSWERABLE_KINDS = (
    "definition",
    "targets_by_year",
    "metadata",
    "count_list",
    "who_what_when",
    "local_news",
    "numbers",
    "clause",
    "follow_up",
    "no_diacritics",
    "everyday",
)
KINDS = (*ANSWERABLE_KINDS, "near_miss")
KEYS = {"question", "answer_contains", "kind", "source", "history", "needs_review"}

MIN_TEST = {k: 20 for k in ANSWERABLE_KINDS} | {"everyday": 50, "near_miss": 60}
MIN_DEV = {k: 10 for k in ANSWERABLE_KINDS} | {"everyday": 25, "near_miss": 30}
SPLITS = (("answers_test.jsonl", MIN_TEST), ("answers_dev.jsonl", MIN_DEV))


def norm(text: str) -> str:
    """NFC, case-fold and collapse whitespace: the comparison `troly eval --answers` uses."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text).casefold()).strip()


def fold(text: str) -> str:
    """Accent- and punctuation-free form, so "6 rõ là gì?" and "6 ro la gi" count as the same question."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.findall(r"[a-z0-9]+", bare))


def searchable(path: Path) -> str:
    """Normalised text of a corpus file plus the printed forms of its front-matter issue date."""
    text = path.read_text(encoding="utf-8")
    extra = []
    m = re.search(r'^ngay_ban_hanh:\s*"?(\d{4})-(\d{2})-(\d{2})"?', text, re.M)
    if m:
        y, mo, d = m.group(1), m.group(2), m.group(3)
        extra = [f"{d}/{mo}/{y}", f"{int(d)}/{int(mo)}/{y}", f"ngày {int(d)} tháng {int(mo)} năm {y}"]
    return norm("\n".join([text, *extra]))


def check_line(obj: object, where: str, corpus: Path, cache: dict[str, str]) -> list[str]:
    """Errors of one parsed line (empty list when it is valid)."""
    if not isinstance(obj, dict):
        return [f"{where}: not a JSON object"]
    errors = [f"{where}: unknown key {k!r}" for k in obj if k not in KEYS]
    q, kind = obj.get("question"), obj.get("kind")
    if not isinstance(q, str) or not q.strip():
        errors.append(f"{where}: empty question")
    if kind not in KINDS:
        return [*errors, f"{where}: unknown kind {kind!r}"]
    history = obj.get("history")
    if history is not None and (
        not isinstance(history, list) or not history or not all(isinstance(h, str) and h for h in history)
    ):
        errors.append(f"{where}: history must be a non-empty list of strings")
    if kind == "follow_up" and not history:
        errors.append(f"{where}: follow_up without history")
    if kind == "no_diacritics":
        for text in [q or "", *(history or [])]:
            if not text.isascii():
                errors.append(f"{where}: no_diacritics text is not plain ASCII: {text!r}")
    source = obj.get("source")
    if source is not None and (not isinstance(source, str) or not (corpus / source).is_file()):
        errors.append(f"{where}: source {source!r} is not a file under corpus/")
        source = None
    strings = obj.get("answer_contains")
    if kind == "near_miss":
        if strings is not None:
            errors.append(f"{where}: near_miss must not have answer_contains")
        return errors
    if not isinstance(strings, list) or not 1 <= len(strings) <= 4:
        return [*errors, f"{where}: answer_contains must be a list of 1-4 strings"]
    if source is None:
        return [*errors, f"{where}: answerable line without a valid source"]
    if source not in cache:
        cache[source] = searchable(corpus / source)
    for s in strings:
        if not isinstance(s, str) or not s.strip():
            errors.append(f"{where}: empty answer string")
        elif norm(s) not in cache[source]:
            errors.append(f"{where}: {s!r} not found in {source}")
    return errors


def check(root: Path) -> tuple[list[str], dict[str, Counter]]:
    """Check both splits under root/evals against root/corpus; return (errors, counts per split)."""
    corpus, errors, counts, cache = root / "corpus", [], {}, {}
    seen: dict[str, str] = {}
    for name, minimum in SPLITS:
        path = root / "evals" / name
        counts[name] = Counter()
        if not path.is_file():
            errors.append(f"{name}: missing")
            continue
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{name}:{no}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.append(f"{where}: invalid JSON ({exc.msg})")
                continue
            errors += check_line(obj, where, corpus, cache)
            if not isinstance(obj, dict):
                continue
            counts[name][obj.get("kind")] += 1
            key = fold(obj.get("question") or "")
            if obj.get("history"):
                key = " | ".join([*map(fold, obj["history"]), key])
            if key in seen:
                errors.append(f"{where}: question repeats {seen[key]}")
            else:
                seen[key] = where
        for kind, n in minimum.items():
            if counts[name][kind] < n:
                errors.append(f"{name}: {counts[name][kind]} lines of kind {kind}, need at least {n}")
    return errors, counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args(argv)
    errors, counts = check(args.root)
    for name, counter in counts.items():
        summary = ", ".join(f"{k}={counter[k]}" for k in KINDS)
        print(f"{name}: {sum(counter.values())} lines ({summary})")
    for e in errors:
        print("ERROR", e, file=sys.stderr)
    print("OK" if not errors else f"{len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
