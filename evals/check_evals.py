#!/usr/bin/env python3
"""Validate the retrieval evaluation sets in evals/.

Files checked (one JSON object per line, UTF-8):
  questions.jsonl         answerable, main/report set
  unanswerable.jsonl      unanswerable, main/report set
  dev_questions.jsonl     answerable, tuning set
  dev_unanswerable.jsonl  unanswerable, tuning set

Answerable rows: {"question", "answer_contains": [1-3 str], "doc", "tags"}.
  Every answer_contains string must occur verbatim (after Unicode NFC +
  casefold) in the BODY of `doc` (front matter of .md files and the first
  header line of seeds/*.txt are excluded).
Unanswerable rows: {"question", "answer_contains": [], "tags"} and optionally
  "absent_terms": terms that must not occur anywhere in the corpus.

Also checks: allowed tags, no_diacritics questions are pure ASCII, no
duplicate questions across all four files, no answer string shared between
the main and dev sets, coverage (every corpus .md + >= 3 seeds in the main
set), minimum counts. Prints a summary; exits 1 on any error.

Usage: python evals/check_evals.py [--corpus DIR] [--evals DIR] [--strict]
Stdlib only.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

ANSWERABLE_TAGS = {
    "no_diacritics",
    "short_ref",
    "paraphrase",
    "figure",
    "date",
    "who",
    "deadline",
    "definition",
}
UNANSWERABLE_TAGS = {
    "no_diacritics",
    "short_ref",
    "paraphrase",
    "off_topic",
    "other_document",
    "near_miss",
    "future_event",
    "procedure",
    "salary",
    "local_fact",
}
FILES = {
    "questions.jsonl": ("answerable", "main"),
    "unanswerable.jsonl": ("unanswerable", "main"),
    "dev_questions.jsonl": ("answerable", "dev"),
    "dev_unanswerable.jsonl": ("unanswerable", "dev"),
}
# minimum sizes: (total, no_diacritics, short_ref)
MINIMA = {
    "questions.jsonl": (90, 23, 23),
    "unanswerable.jsonl": (25, 0, 0),
    "dev_questions.jsonl": (25, 5, 5),
    "dev_unanswerable.jsonl": (10, 0, 0),
}
MIN_SEEDS_COVERED = 3
# a reference to a document in short form: "NQ 57", "nq57", "KL 221", "TB 659",
# "thông báo 624", "CV 6225", "nghị quyết 198", "CT 26", "Nghị quyết 68" ...
SHORT_REF_RE = re.compile(
    r"(?<![\w/-])(nq|kl|tb|cv|ct|nghị quyết|nghi quyet|kết luận|ket luan|"
    r"thông báo|thong bao|công văn|cong van|chỉ thị|chi thi)\s*(\d{2,4})(?![\d/-])",
    re.IGNORECASE,
)
MAX_ANSWER_WORDS = 20  # answer strings must fit comfortably in one passage
MIN_ANSWER_CHARS = 4
WARN_DOCS_CONTAINING = 4  # string found in >= this many docs -> not distinctive
WARN_TOTAL_OCCURRENCES = 8  # or this many occurrences overall


def norm(s: str) -> str:
    return unicodedata.normalize("NFC", s).casefold()


def split_front_matter(text: str) -> tuple[str, str]:
    """Return (front_matter, body) for a markdown file with YAML front matter."""
    if text.startswith("---"):
        lines = text.split("\n")
        for i in range(1, len(lines)):
            if lines[i].strip() == "---":
                return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :])
    return "", text


def load_corpus(corpus: Path) -> dict[str, dict[str, str]]:
    """Map relative path (e.g. 'nq-57-....md', 'seeds/000_....txt') to
    {'body': normalised body, 'full': normalised full text}."""
    docs: dict[str, dict[str, str]] = {}
    for p in sorted(corpus.glob("*.md")):
        if p.name.lower() == "readme.md":
            continue
        text = p.read_text(encoding="utf-8")
        _, body = split_front_matter(text)
        docs[p.name] = {"body": norm(body), "full": norm(text)}
    for p in sorted((corpus / "seeds").glob("*.txt")):
        text = p.read_text(encoding="utf-8")
        # first line is a header (" date YYYY-MM-DD Title" or the title)
        body = text.split("\n", 1)[1] if "\n" in text else ""
        docs[f"seeds/{p.name}"] = {"body": norm(body), "full": norm(text)}
    return docs


def resolve_doc(name: str, docs: dict) -> str | None:
    if name in docs:
        return name
    base = Path(name).name
    hits = [k for k in docs if Path(k).name == base]
    return hits[0] if len(hits) == 1 else None


class Report:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def err(self, msg: str) -> None:
        self.errors.append(msg)

    def warn(self, msg: str) -> None:
        self.warnings.append(msg)


def read_jsonl(path: Path, rep: Report) -> list[tuple[int, dict]]:
    rows = []
    if not path.exists():
        rep.err(f"{path.name}: file missing")
        return rows
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        rep.err(f"{path.name}: not UTF-8 ({e})")
        return rows
    if "\\u" in text:
        rep.warn(f"{path.name}: contains \\u escapes (expected ensure_ascii=False output)")
    for ln, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            rep.err(f"{path.name}:{ln}: invalid JSON ({e})")
            continue
        if not isinstance(obj, dict):
            rep.err(f"{path.name}:{ln}: not a JSON object")
            continue
        rows.append((ln, obj))
    return rows


def check_common(fname: str, ln: int, obj: dict, allowed_tags: set, rep: Report) -> list[str]:
    where = f"{fname}:{ln}"
    q = obj.get("question")
    if not isinstance(q, str) or not q.strip():
        rep.err(f"{where}: 'question' missing or empty")
    elif unicodedata.normalize("NFC", q) != q:
        rep.warn(f"{where}: question is not NFC")
    ac = obj.get("answer_contains")
    if not isinstance(ac, list) or not all(isinstance(x, str) for x in ac):
        rep.err(f"{where}: 'answer_contains' must be a list of strings")
    tags = obj.get("tags")
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        rep.err(f"{where}: 'tags' must be a list of strings")
        return []
    bad = [t for t in tags if t not in allowed_tags]
    if bad:
        rep.err(f"{where}: unknown tags {bad}")
    if len(set(tags)) != len(tags):
        rep.warn(f"{where}: duplicate tags")
    if isinstance(q, str):
        if "no_diacritics" in tags and not q.isascii():
            rep.err(f"{where}: tagged no_diacritics but question has non-ASCII characters: {q!r}")
        if "short_ref" in tags and not SHORT_REF_RE.search(q):
            rep.warn(f"{where}: tagged short_ref but no short document reference found: {q!r}")
    return tags


def main() -> int:
    here = Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=here.parent / "corpus")
    ap.add_argument("--evals", type=Path, default=here)
    ap.add_argument("--strict", action="store_true", help="treat warnings as errors")
    args = ap.parse_args()

    rep = Report()
    docs = load_corpus(args.corpus)
    if not docs:
        print(f"ERROR: no documents found under {args.corpus}")
        return 1

    seen_questions: dict[str, str] = {}
    answer_keys: dict[str, set] = {"main": set(), "dev": set()}
    tag_counts: dict[str, Counter] = {}
    doc_counts: dict[str, Counter] = {}
    totals: dict[str, int] = {}

    for fname, (kind, split) in FILES.items():
        rows = read_jsonl(args.evals / fname, rep)
        totals[fname] = len(rows)
        tc: Counter = Counter()
        dc: Counter = Counter()
        allowed = ANSWERABLE_TAGS if kind == "answerable" else UNANSWERABLE_TAGS
        for ln, obj in rows:
            where = f"{fname}:{ln}"
            tags = check_common(fname, ln, obj, allowed, rep)
            tc.update(tags)
            q = obj.get("question")
            if isinstance(q, str):
                key = " ".join(norm(q).split())
                if key in seen_questions:
                    rep.err(f"{where}: duplicate question (also {seen_questions[key]})")
                else:
                    seen_questions[key] = where
            ac = obj.get("answer_contains") if isinstance(obj.get("answer_contains"), list) else []

            if kind == "unanswerable":
                if ac:
                    rep.err(f"{where}: unanswerable question must have answer_contains == []")
                if obj.get("doc"):
                    rep.err(f"{where}: unanswerable question must not name a doc")
                absent = obj.get("absent_terms", [])
                if not isinstance(absent, list):
                    rep.err(f"{where}: 'absent_terms' must be a list")
                    absent = []
                for term in absent:
                    found = [d for d, t in docs.items() if norm(term) in t["full"]]
                    if found:
                        rep.err(f"{where}: absent term {term!r} occurs in corpus: {found}")
                continue

            # answerable
            doc = obj.get("doc")
            if not isinstance(doc, str) or not doc:
                rep.err(f"{where}: 'doc' missing")
                continue
            rdoc = resolve_doc(doc, docs)
            if rdoc is None:
                rep.err(f"{where}: doc {doc!r} not found in corpus")
                continue
            dc[rdoc] += 1
            if not 1 <= len(ac) <= 3:
                rep.err(f"{where}: answer_contains must have 1-3 strings (has {len(ac)})")
            body = docs[rdoc]["body"]
            for s in ac:
                ns = norm(s)
                if len(ns.strip()) < MIN_ANSWER_CHARS:
                    rep.err(f"{where}: answer string too short: {s!r}")
                if ns != ns.strip():
                    rep.warn(f"{where}: answer string has leading/trailing spaces: {s!r}")
                if len(s.split()) > MAX_ANSWER_WORDS:
                    rep.warn(f"{where}: answer string longer than {MAX_ANSWER_WORDS} words: {s!r}")
                if ns not in body:
                    hint = ""
                    if ns in docs[rdoc]["full"]:
                        hint = " (only in front matter/header)"
                    else:
                        elsewhere = [d for d, t in docs.items() if ns in t["body"]]
                        if elsewhere:
                            hint = f" (found in {elsewhere})"
                    rep.err(f"{where}: answer string not in body of {rdoc}: {s!r}{hint}")
                    continue
                in_docs = [d for d, t in docs.items() if ns in t["body"]]
                occ = sum(t["body"].count(ns) for t in docs.values())
                if len(in_docs) >= WARN_DOCS_CONTAINING or occ >= WARN_TOTAL_OCCURRENCES:
                    rep.warn(
                        f"{where}: answer string not distinctive ({occ} occurrences in {len(in_docs)} docs): {s!r}"
                    )
                akey = f"{rdoc}\x00{ns}"
                answer_keys[split].add(akey)

        tag_counts[fname] = tc
        doc_counts[fname] = dc

        total_min, nd_min, sr_min = MINIMA[fname]
        if totals[fname] < total_min:
            rep.err(f"{fname}: {totals[fname]} questions, need >= {total_min}")
        if tc["no_diacritics"] < nd_min:
            rep.err(f"{fname}: {tc['no_diacritics']} no_diacritics questions, need >= {nd_min}")
        if tc["short_ref"] < sr_min:
            rep.err(f"{fname}: {tc['short_ref']} short_ref questions, need >= {sr_min}")

    # main/dev leakage: same answer string for the same document
    shared = answer_keys["main"] & answer_keys["dev"]
    for k in sorted(shared):
        d, s = k.split("\x00")
        rep.err(f"main and dev share answer string {s!r} for {d}")

    # coverage of the main answerable set
    main_docs = doc_counts.get("questions.jsonl", Counter())
    for d in docs:
        if not d.startswith("seeds/") and main_docs[d] == 0:
            rep.err(f"questions.jsonl: no question for corpus document {d}")
    seeds_cov = [d for d in main_docs if d.startswith("seeds/")]
    if len(seeds_cov) < MIN_SEEDS_COVERED:
        rep.err(f"questions.jsonl: covers {len(seeds_cov)} seed articles, need >= {MIN_SEEDS_COVERED}")

    # ---- summary
    print("== Eval set summary ==")
    for fname in FILES:
        tc = tag_counts.get(fname, Counter())
        tags = ", ".join(f"{t}={n}" for t, n in sorted(tc.items()))
        print(f"{fname:24s} {totals.get(fname, 0):4d} questions | {tags}")
    print("\n== Main set (questions.jsonl) per document ==")
    for d in docs:
        print(
            f"  {main_docs[d]:3d}  main  {doc_counts.get('dev_questions.jsonl', Counter())[d]:3d}  dev   {d}"
        )
    if rep.warnings:
        print(f"\n== {len(rep.warnings)} warning(s) ==")
        for w in rep.warnings:
            print("  WARN", w)
    if rep.errors:
        print(f"\n== {len(rep.errors)} error(s) ==")
        for e in rep.errors:
            print("  ERROR", e)
    failed = bool(rep.errors) or (args.strict and bool(rep.warnings))
    print("\nRESULT:", "FAIL" if failed else "OK")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
