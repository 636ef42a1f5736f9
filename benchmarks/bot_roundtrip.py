"""Bot round trip: question → reply through the fake Telegram server, with the real bot (``troly bot``) and
the real engine (warm, no LLM).

- single user: questions from ``evals/questions.jsonl`` one after another (≥ 50), p50/p95 of the time from
  the moment the update is available to the bot until the answer's last ``sendMessage`` reaches the server;
- 20 concurrent users: 20 users (own chats) ask at the same moment, repeated for a few rounds.

Targets (issue): single user p95 ≤ 300 ms; 20 concurrent users all answered, p95 ≤ 2 s.

    .venv/bin/python benchmarks/bot_roundtrip.py [--n 60] [--users 20] [--rounds 3] [--write-docs] [--json]

``TROLY_HOME`` with an index is reused (copied) when it has one; otherwise the corpus is ingested first.
``--write-docs`` replaces the "Bot round trip" section of docs/benchmarks.md (between its markers only).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.report import replace_block, summary  # noqa: E402
from tests.bot_fixtures import READY_LOG, start_bot_process  # noqa: E402
from tests.fakes.fake_telegram import FakeTelegram  # noqa: E402

START, END = "<!-- bot_roundtrip:start -->", "<!-- bot_roundtrip:end -->"


def load_questions(path: Path) -> list[str]:
    return [json.loads(line)["question"] for line in path.open(encoding="utf-8") if line.strip()]


def _answer_calls(tg: FakeTelegram, chat_id: int) -> list:
    """Successful sendMessage calls that carried the answer keyboard (the last part of an answer)."""
    return [
        c
        for c in tg.call_log("sendMessage")
        if c.params.get("chat_id") == chat_id and c.status == 200 and c.params.get("reply_markup")
    ]


def answer_time(tg: FakeTelegram, chat_id: int) -> float | None:
    """Server-side arrival time (monotonic) of the answer in a fresh chat, or None if not there yet."""
    calls = _answer_calls(tg, chat_id)
    return calls[-1].at if calls else None


def ask_and_wait(tg: FakeTelegram, chat_id: int, question: str, timeout: float = 60) -> float:
    """Push a question; milliseconds until its answer reached the server."""
    seen = len(_answer_calls(tg, chat_id))
    t0 = time.monotonic()
    tg.push_message(chat_id, chat_id, question)
    calls = tg.wait_for(lambda: (c := _answer_calls(tg, chat_id)) and len(c) > seen and c, timeout=timeout)
    return (calls[-1].at - t0) * 1000


def search_times(log_text: str) -> list[float]:
    return [float(m) for m in re.findall(r"answered chat=\S+ search_ms=(\d+)", log_text)]


def prepare_home(tmp: Path) -> Path:
    """A private TROLY_HOME: a copy of $TROLY_HOME's index if it has one, else of the cached test index."""
    home = tmp / "home"
    existing = os.environ.get("TROLY_HOME")
    source = Path(existing) / "index" if existing else None
    if source is None or not source.is_dir():
        from tests.engine_fixtures import prepared_index

        print("Chuẩn bị chỉ mục kho văn bản (lần đầu có thể mất vài phút)…", file=sys.stderr)
        source = prepared_index() / "index"
    shutil.copytree(source, home / "index")
    return home


def run(args: argparse.Namespace) -> dict:
    questions = load_questions(Path(args.questions))
    if len(questions) < args.n:
        questions = (questions * (args.n // max(1, len(questions)) + 1))[: args.n]
    with tempfile.TemporaryDirectory(prefix="bot_bench_") as tmpdir:
        home = prepare_home(Path(tmpdir))
        with FakeTelegram() as tg:
            bot = start_bot_process(tg, home, home / "bot.log")
            try:
                bot.wait_log(READY_LOG, timeout=600)
                tg.wait_for(lambda: tg.call_log("getUpdates"), timeout=60)
                for q in questions[:3]:  # warm caches (model already loaded by the bot's warm-up)
                    ask_and_wait(tg, 999, q)
                log_mark = len(bot.log())

                single = [ask_and_wait(tg, 1, q) for q in questions[: args.n]]
                single_search = search_times(bot.log()[log_mark:])
                log_mark = len(bot.log())

                concurrent: list[float] = []
                answered = 0
                total = 0
                for r in range(args.rounds):
                    chats = [10_000 + r * 100 + i for i in range(args.users)]
                    qs = [questions[(r * args.users + i) % len(questions)] for i in range(args.users)]
                    t0 = time.monotonic()
                    for c, q in zip(chats, qs, strict=True):
                        tg.push_message(c, c, q)
                    total += len(chats)

                    def all_done(chats=chats):
                        return all(answer_time(tg, c) for c in chats)

                    with contextlib.suppress(TimeoutError):
                        tg.wait_for(all_done, timeout=120)
                    for c in chats:
                        t = answer_time(tg, c)
                        if t is not None:
                            answered += 1
                            concurrent.append((t - t0) * 1000)
                concurrent_search = search_times(bot.log()[log_mark:])
            finally:
                bot.terminate()
                bot.kill()
    return {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU, Python {platform.python_version()}",
        "single_user": {**summary(single), "search": summary(single_search) if single_search else None},
        "concurrent": {
            "users": args.users,
            "rounds": args.rounds,
            "answered": answered,
            "asked": total,
            **summary(concurrent),
            "search": summary(concurrent_search) if concurrent_search else None,
        },
    }


def render_section(res: dict) -> str:
    s, c = res["single_user"], res["concurrent"]
    ss, cs = s.get("search") or {}, c.get("search") or {}

    def ok(flag: bool) -> str:
        return "✅" if flag else "❌"

    return "\n".join(
        [
            START,
            "## Bot round trip",
            "",
            "`benchmarks/bot_roundtrip.py`: `troly bot` (polling, real engine, warm model, no LLM) against the fake",
            "Telegram server of `tests/fakes/fake_telegram.py`; a question is pushed as an update and timed until the",
            "answer's last `sendMessage` reaches the server. Questions from `evals/questions.jsonl`.",
            f"Measured {res['when']} on {res['machine']} (shared machine: other work was running).",
            "",
            "| scenario | questions | p50 | p95 | max | target | met |",
            "| --- | --- | --- | --- | --- | --- | --- |",
            f"| 1 user, one question at a time | {s['n']} | {s['p50_ms']:.0f} ms | {s['p95_ms']:.0f} ms | "
            f"{s['max_ms']:.0f} ms | p95 ≤ 300 ms | {ok(s['p95_ms'] <= 300)} |",
            f"| {c['users']} users at once × {c['rounds']} rounds | {c['asked']} ({c['answered']} answered) | "
            f"{c['p50_ms']:.0f} ms | {c['p95_ms']:.0f} ms | {c['max_ms']:.0f} ms | all answered, p95 ≤ 2 s | "
            f"{ok(c['answered'] == c['asked'] and c['p95_ms'] <= 2000)} |",
            "",
            "Of which retrieval (`engine.ask` in the bot's thread pool, from the bot's log):"
            f" single user p50 {ss.get('p50_ms', float('nan')):.0f} ms / p95 {ss.get('p95_ms', float('nan')):.0f} ms;"
            f" concurrent p50 {cs.get('p50_ms', float('nan')):.0f} ms / p95 {cs.get('p95_ms', float('nan')):.0f} ms"
            " (includes waiting for a free worker). The rest is the bot: Telegram I/O, rendering, saving the answer:"
            f" mean round trip − mean retrieval = {s['mean_ms'] - ss.get('mean_ms', float('nan')):.0f} ms single user,"
            f" {c['mean_ms'] - cs.get('mean_ms', float('nan')):.0f} ms with {c['users']} users.",
            *(["", f"Note: {res['note']}"] if res.get("note") else []),
            END,
        ]
    )


def write_docs(section: str, path: Path) -> None:
    replace_block(path, START, END, section)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--questions", default=str(ROOT / "evals" / "questions.jsonl"))
    ap.add_argument("--n", type=int, default=60, help="single-user questions (≥ 50)")
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md (own section only)")
    ap.add_argument("--json", action="store_true", help="print the result as one JSON document")
    ap.add_argument("--from-json", help="render/write a previous --json result instead of measuring")
    ap.add_argument("--note", help="a sentence added under the table")
    args = ap.parse_args()
    res = json.loads(Path(args.from_json).read_text(encoding="utf-8")) if args.from_json else run(args)
    if args.note:
        res["note"] = args.note
    section = render_section(res)
    if args.write_docs:
        write_docs(section, ROOT / "docs" / "benchmarks.md")
    if args.json:
        print(json.dumps(res, ensure_ascii=False))
    else:
        print(section)


if __name__ == "__main__":
    main()
