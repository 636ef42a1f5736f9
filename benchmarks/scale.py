"""Scale-out: the same crowd against one and against two ``troly bot --webhook`` processes.

The stack of tests/e2e/test_scale_out.py (tests/e2e/scale_stack.py): PostgreSQL, a real Chroma server
holding the vectors, the fake Telegram server, a round-robin proxy and N bot processes behind it. N users
(default 200) ask a document question each at the same moment (a dozen real questions), 60 officials then
send /viec and 30 of them press "50%", 30 press "✅ Hoàn thành" on their reminder and type the product, while
the reminders of 160 officials are due. Measured at the fake server:

- answers/s: questions answered / seconds from the pushes to the last answer;
- answer latency p50 / p95: from a question's push to its answer reaching the server;
- messages/s: every message sent or edited (replies, cards, reminders, notices) over the whole run, and the
  most messages in any one-second window (Telegram allows ~30/s for the whole bot; the outbox aims at 25);
- how the proxy split the updates between the processes.

    .venv/bin/python benchmarks/scale.py [--users 200] [--processes 1,2] [--write-docs]

Needs PostgreSQL (TROLY_BENCH_POSTGRES_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/postgres;
a scratch database is created and dropped). ``--write-docs`` replaces the section ``scale`` of
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from benchmarks.report import percentile, write_section  # noqa: E402
from tests.e2e.scale_stack import (  # noqa: E402
    Crowd,
    add_due_tasks,
    answer_latencies,
    is_answer,
    max_in_window,
    message_calls,
    pending_outbox,
    prepare_officials,
    reminders_sent,
    scale_stack,
)
from tests.polling import wait_until  # noqa: E402

DOCS = ROOT / "docs" / "benchmarks.md"
PG = os.environ.get("TROLY_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def scratch_database() -> tuple[str, object, str]:
    from tasks.db import make_engine

    admin = make_engine(PG, isolation_level="AUTOCOMMIT")
    name = f"bench_scale_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    return make_url(PG).set(database=name).render_as_string(hide_password=False), admin, name


def drop_database(admin, name: str) -> None:
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def run(processes: int, users: int, index: Path) -> dict:
    officials = min(160, users - users % 16)
    url, admin, name = scratch_database()
    try:
        roster = prepare_officials(url, users, officials)
        with tempfile.TemporaryDirectory(prefix="troly-scale-") as tmp:
            started_stack = time.monotonic()
            with scale_stack(url, index, Path(tmp), processes, roster.users) as stack:
                ready_s = time.monotonic() - started_stack
                tg = stack.tg
                crowd = Crowd(tg, roster, viec=min(60, len(roster.staff)), progress=30, dialogue=30)
                crowd.start()
                due = add_due_tasks(url, roster)
                tg.wait_for(crowd.step, timeout=1200)
                scripts_done = max(u.finished_at for u in crowd.users) - crowd.started
                wait_until(
                    lambda: pending_outbox(url) == 0 and reminders_sent(url)[1] == 0, 600, "a quiet outbox"
                )
                counts = {b.rsplit(":", 1)[1]: n for b, n in sorted(stack.proxy.counts.items())}
            assert all(code == 0 for code in stack.exit_codes), stack.exit_codes
            answered = [len([m for m in tg.sent_messages(u) if is_answer(m)]) for u in roster.users]
            sent, _ = reminders_sent(url)
            latencies = answer_latencies(tg, crowd)
            calls = [c for c in message_calls(tg) if c.at >= crowd.started]
            times = [c.at for c in calls]
            last_answer = max(latencies)
            result = {
                "processes": processes,
                "users": users,
                "questions": len(crowd.users),
                "answered_once": sum(1 for n in answered if n == 1),
                "answers_per_s": len(latencies) / last_answer,
                "p50_s": percentile(latencies, 50),
                "p95_s": percentile(latencies, 95),
                "messages": len(calls),
                "messages_per_s": len(calls) / (times[-1] - crowd.started),
                "max_1s": max_in_window(times),
                "reminders": sum(sent.values()),
                "reminders_due": due,
                "scripts_s": scripts_done,
                "ready_s": ready_s,
                "updates_by_port": counts,
            }
            print(result, flush=True)
            return result
    finally:
        drop_database(admin, name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--processes", default="1,2")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    from tests.engine_fixtures import prepared_index

    index = prepared_index() / "index"
    load_before = os.getloadavg()[0]
    rows = [run(int(n), args.users, index) for n in args.processes.split(",")]
    lines = [
        "## Scale-out (`benchmarks/scale.py`)",
        "",
        "The stack of `tests/e2e/test_scale_out.py`: PostgreSQL, a Chroma server (`chroma run`) holding the vectors,",
        "the fake Telegram server, a round-robin proxy on loopback (nginx's `upstream`) and N `troly bot --webhook`",
        "processes behind it (default settings: outbox 25 messages/s for the whole bot). All users ask one question",
        "each at the same moment (a dozen real questions, with and without diacritics); then 60 officials send",
        "/viec (30 press “50%”), 30 press “✅ Hoàn thành” on their reminder and type the product, while the",
        "reminders of 160 officials are due. Latency: from a question's push to its answer reaching the server;",
        "messages: every send or edit accepted by the server, from the first push to the last message.",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, {os.cpu_count()} CPUs (shared), "
        f"Python {platform.python_version()}; load average {load_before:.1f} at the start.",
        "",
        "| processes | users | answered once | answers/s | answer p50 | answer p95 | messages | messages/s "
        "| most in 1 s | reminders sent | all scripts done | updates per process |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['processes']} | {r['users']} | {r['answered_once']} | {r['answers_per_s']:.1f} "
            f"| {r['p50_s']:.1f} s | {r['p95_s']:.1f} s | {r['messages']} | {r['messages_per_s']:.1f} "
            f"| {r['max_1s']} | {r['reminders']} / {r['reminders_due']} | {r['scripts_s']:.0f} s "
            f"| {' / '.join(str(n) for n in r['updates_by_port'].values())} |"
        )
    by_n = {r["processes"]: r for r in rows}
    if 1 in by_n and 2 in by_n:
        one, two = by_n[1], by_n[2]
        lines += [
            "",
            f"On this {os.cpu_count()}-CPU machine two processes answer {two['answers_per_s'] / one['answers_per_s']:.2f}× "
            "as many questions per second as one (a single process does not keep both cores busy: its question "
            "workers share one interpreter), yet every answer still waits its turn for the CPU — the latencies "
            "above are queueing for 200 questions asked in the same second, not the time of one question "
            "(≈ 50–300 ms, see “Bot round trip”). The average send rate stays under the outbox's 25 messages/s "
            f"either way, and no one-second window reached Telegram's ~30 (at most {max(one['max_1s'], two['max_1s'])}). "
            "A second process on 2 CPUs is mainly for availability (one restarts while the other answers: "
            "docs/trien-khai.md §9a); on more cores it adds throughput.",
        ]
    text_ = "\n".join(lines)
    print(text_)
    if args.write_docs:
        write_section(DOCS, "scale", text_)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
