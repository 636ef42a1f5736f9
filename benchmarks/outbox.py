"""The outbox's cost and throughput, against the fake Telegram server (no network), on SQLite (and
PostgreSQL when reachable):

- reply latency: `deliver()` of one short reply, straight to Telegram (`deliver_now`) and through the
  outbox (write the row, wake the sender, claim, take the budget, send, mark, hand the id back): p50/p95
  of 100 replies to 100 chats, 150 ms apart (well under the rate budget, so only the outbox's own cost
  shows);
- the morning batch: N reminders due at 08:00 through the reminder dispatcher and the outbox: messages/s
  (the budget's default is 25/s for the whole bot).

    .venv/bin/python benchmarks/outbox.py [--reminders 300] [--backends sqlite,postgresql] [--write-docs]

`--write-docs` replaces the section `outbox` of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from telegram import Bot  # noqa: E402

from benchmarks.report import summary, write_section  # noqa: E402
from bot.db_runner import SessionRunner  # noqa: E402
from bot.outbox_sender import OutboxSender, reminder_send  # noqa: E402
from bot.sending import Outgoing, deliver, deliver_now  # noqa: E402
from tasks.db import Database, make_engine  # noqa: E402
from tasks.models import Official, Unit  # noqa: E402
from tasks.normalize import Role  # noqa: E402
from tasks.outbox_settings import OutboxSettings  # noqa: E402
from tasks.reminders.dispatcher import ReminderDispatcher  # noqa: E402
from tests.fakes.fake_telegram import FakeTelegram  # noqa: E402
from tests.tasks.test_tasks_reminders import add_task  # noqa: E402

DOCS = ROOT / "docs" / "benchmarks.md"
PG = os.environ.get("TROLY_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


async def reply_latency(url: str, tg: FakeTelegram, n: int = 100) -> tuple[dict, dict]:
    chats = [80_000 + i for i in range(n)]
    for chat in chats:
        tg._chat(chat, "private", None, {"id": chat, "first_name": "Cán bộ"})
    store = SessionRunner(url)
    store.open()
    direct, queued = [], []
    async with Bot(tg.token, base_url=tg.api_url) as bot:
        for chat in chats:
            started = time.perf_counter()
            await deliver_now(bot, Outgoing(chat, "Trả lời trực tiếp"))
            direct.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.15)  # a realistic pace: one reply every 150 ms
        sender = OutboxSender(bot, store, OutboxSettings())
        sender.start()
        try:
            for chat in chats:
                started = time.perf_counter()
                assert await deliver(bot, Outgoing(chat, "Trả lời qua hộp thư đi")) is not None
                queued.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(0.15)
        finally:
            await sender.stop()
    store.close()
    return summary(direct), summary(queued)


async def morning_batch(url: str, tg: FakeTelegram, n: int) -> tuple[int, float]:
    from datetime import UTC, date, datetime

    monday = date(2026, 11, 23)
    at_8 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    db = Database.open(url)
    with db.session() as s:
        unit = Unit(name=f"Phòng đo {uuid.uuid4().hex[:6]}", created_at=at_8)
        people = [
            Official(code=f"B{i:04d}", full_name=f"Cán bộ {i}", unit=unit, role=Role.CAN_BO,
                     telegram_user_id=90_000 + i, created_at=at_8, updated_at=at_8)
            for i in range(n)
        ]  # fmt: skip
        s.add_all([unit, *people])
        s.commit()
        for p in people:
            add_task(s, f"BM-{p.code}", p, monday)
            tg._chat(p.telegram_user_id, "private", None, {"id": p.telegram_user_id, "first_name": "Cán bộ"})
    db.dispose()
    origin = time.monotonic()
    store = SessionRunner(url, clock=lambda: at_8 + timedelta(seconds=time.monotonic() - origin))
    store.open()
    before = len(tg.call_log("sendMessage"))
    async with Bot(tg.token, base_url=tg.api_url) as bot:
        sender = OutboxSender(bot, store, OutboxSettings())
        sender.start()
        d = ReminderDispatcher(store.database(), reminder_send(sender), clock=store.now, worker_id="bench")
        started = time.perf_counter()
        sent = 0
        while (result := await d.run_once()).claimed:
            sent += result.sent
        took = time.perf_counter() - started
        await sender.stop()
    store.close()
    assert len(tg.call_log("sendMessage")) - before == sent
    return sent, sent / took


def scratch_postgres() -> tuple[str, object] | None:
    try:
        admin = make_engine(PG, isolation_level="AUTOCOMMIT")
        name = f"bench_outbox_{uuid.uuid4().hex[:8]}"
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        print(f"PostgreSQL bỏ qua: {exc.__class__.__name__}", file=sys.stderr)
        return None
    return make_url(PG).set(database=name).render_as_string(hide_password=False), (admin, name)


def drop_postgres(handle: object) -> None:
    admin, name = handle  # type: ignore[misc]
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reminders", type=int, default=300)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    rows = []
    for backend in args.backends.split(","):
        handle = None
        if backend == "sqlite":
            url = f"sqlite:///{tempfile.mkdtemp(prefix='troly-outbox-')}/bench.db"
        else:
            found = scratch_postgres()
            if found is None:
                continue
            url, handle = found
        try:
            with FakeTelegram() as tg:
                direct, queued = asyncio.run(reply_latency(url, tg))
                sent, rate = asyncio.run(morning_batch(url, tg, args.reminders))
            rows.append((backend, direct, queued, sent, rate))
            print(backend, direct, queued, f"{sent} reminders at {rate:.1f}/s", flush=True)
        finally:
            if handle is not None:
                drop_postgres(handle)
    lines = [
        "## The outbox (`benchmarks/outbox.py`)",
        "",
        f"Against the fake Telegram server on loopback; {platform.machine()}, {os.cpu_count()} CPU(s), shared with",
        "other work. Reply latency: 100 short replies to 100 chats, one every 150 ms (below the rate budget, so",
        "only the outbox's own work shows). Morning batch: reminders due at 08:00 through the reminder",
        "dispatcher and the outbox, one process, default budget (25 messages/s for the whole bot).",
        "",
        "| database | reply direct p50 / p95 | reply via outbox p50 / p95 | added p50 | morning batch |",
        "|---|---|---|---|---|",
    ]
    for backend, direct, queued, sent, rate in rows:
        lines.append(
            f"| {backend} | {direct['p50_ms']} / {direct['p95_ms']} ms | {queued['p50_ms']} / {queued['p95_ms']} ms | "
            f"{queued['p50_ms'] - direct['p50_ms']:.1f} ms | {sent} reminders, {rate:.1f} messages/s |"
        )
    text_ = "\n".join(lines)
    print(text_)
    if args.write_docs:
        write_section(DOCS, "outbox", text_)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
