"""End to end: two ``troly bot`` processes on one PostgreSQL database, each behind its own fake Telegram server,
so every update is known to reach exactly the process the test chose. A dialogue started in one process is
finished in the other: "Hoàn thành" pressed in A, the product typed in B; «Chưa đạt» pressed in B, the comment
typed in A. Nothing of the dialogue lives in a process's memory (`bot.dialogue.DatabaseDialogueStore`)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.bot.task_bot_fixtures import NOW, OFFICIALS_XLSX, TASKS_XLSX, button, cards
from tests.bot_fixtures import READY_LOG, copy_home, start_bot_process
from tests.fakes.fake_telegram import FakeTelegram

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(900)]

MAI, YEN = 5010, 5009
FAKE_NOW = "2026-11-22T09:00:00+07:00"
TIMEOUT = 90


def _prepare(url: str) -> None:
    from tasks.db import Database
    from tasks.importing import import_officials, import_tasks
    from tasks.models import Official

    db = Database.open(url)
    try:
        with db.session() as s:
            assert not import_officials(s, OFFICIALS_XLSX, now=NOW).errors
        with db.session() as s:
            assert not import_tasks(s, TASKS_XLSX, now=NOW, as_of=NOW).errors
        with db.session() as s:
            for code, tg_id in (("CB010", MAI), ("CB009", YEN)):
                s.scalar(select(Official).where(Official.code == code)).telegram_user_id = tg_id
            s.commit()
    finally:
        db.dispose()


def _task(url: str, code: str):
    from tasks.db import Database
    from tasks.models import Task, TaskProduct

    db = Database.open(url, migrate=False)
    try:
        with db.session() as s:
            task = s.scalar(select(Task).where(Task.code == code))
            products = list(s.scalars(select(TaskProduct).where(TaskProduct.task_id == task.id)))
            return task.status.value, [(p.kind, p.body, p.verdict, p.review_comment) for p in products]
    finally:
        db.dispose()


def _new(tg: FakeTelegram, chat_id: int, before: int, n: int = 1) -> list[dict]:
    return tg.wait_for(
        lambda: len(msgs := tg.sent_messages(chat_id)) >= before + n and msgs[before:], timeout=TIMEOUT
    )


def test_a_dialogue_started_in_one_bot_process_is_finished_in_the_other(
    pg_databases, troly_home, tmp_path_factory
):
    pg_url = pg_databases.create()
    url = pg_url.render_as_string(hide_password=False)
    try:
        _prepare(url)
        with FakeTelegram() as tg_a, FakeTelegram() as tg_b:
            for tg in (tg_a, tg_b):
                for chat_id in (MAI, YEN):
                    tg._chat(chat_id, "private", None, {"id": chat_id, "first_name": f"Cán bộ {chat_id}"})
            bots = []
            for name, tg in (("a", tg_a), ("b", tg_b)):
                home = copy_home(troly_home, tmp_path_factory, f"dialogue_bot_{name}")
                # Each process talks to its own fake server here (to route an update to one process), while
                # in production both reach the one Telegram: so each must send what it wrote itself. A
                # process's sender is woken at once by its own writes; a slow poll keeps the other away.
                bots.append(start_bot_process(tg, home, home / "bot.log", TROLY_DATABASE_URL=url,
                                              TROLY_FAKE_NOW=FAKE_NOW, TROLY_REMINDER_INTERVAL="0",
                                              TROLY_OUTBOX_POLL="10"))  # fmt: skip
            try:
                for tg in (tg_a, tg_b):
                    tg.wait_for(lambda tg=tg: tg.call_log("getUpdates"), timeout=180)
                # A: /viec, then "Hoàn thành" on NV-086.
                tg_a.push_message(MAI, MAI, "/viec")
                page = _new(tg_a, MAI, 0, 7)
                card = next(c for c in cards(page) if "NV-086" in c["text"])
                before = len(tg_a.sent_messages(MAI))
                tg_a.push_callback(
                    MAI, MAI, button(card, "✅ Hoàn thành")["callback_data"], card["message_id"]
                )
                (prompt,) = _new(tg_a, MAI, before)
                assert prompt["text"].startswith("Báo hoàn thành nhiệm vụ NV-086")
                # B: the product, typed next, is handed in by the other process.
                tg_b.push_message(MAI, MAI, "Đã trình Báo cáo số 125/BC-STC")
                reply = _new(tg_b, MAI, 0)[0]
                assert reply["text"].startswith(
                    "📤 Đã nộp sản phẩm nhiệm vụ NV-086: 📝 Đã trình Báo cáo số 125/BC-STC"
                )
                assert _task(url, "NV-086")[0] == "cho_duyet"
                review = tg_b.wait_for(
                    lambda: next((m for m in tg_b.sent_messages(YEN) if m["text"].startswith("📥")), None),
                    timeout=TIMEOUT,
                )
                # B: the approver presses «Chưa đạt»; A: the comment, typed next, is taken by the first process.
                before = len(tg_b.sent_messages(YEN))
                tg_b.push_callback(
                    YEN, YEN, button(review, "↩️ Chưa đạt")["callback_data"], review["message_id"]
                )
                (ask,) = _new(tg_b, YEN, before)
                assert ask["text"].startswith("↩️ Trả lại sản phẩm nhiệm vụ NV-086")
                tg_a.push_message(YEN, YEN, "Cần bổ sung phụ lục số liệu")
                (done,) = _new(tg_a, YEN, 0)
                assert done["text"].startswith("↩️ Đã trả lại sản phẩm nhiệm vụ NV-086 (chưa đạt)")
                told = tg_a.wait_for(
                    lambda: next((m for m in tg_a.sent_messages(MAI) if "chưa đạt" in m["text"]), None),
                    timeout=TIMEOUT,
                )
                assert "Nhận xét: Cần bổ sung phụ lục số liệu" in told["text"]
                assert _task(url, "NV-086") == (
                    "dang_thuc_hien",
                    [("text", "Đã trình Báo cáo số 125/BC-STC", "chua_dat", "Cần bổ sung phụ lục số liệu")],
                )
                # Neither process answered the dialogue's messages as questions.
                assert not [
                    m for tg in (tg_a, tg_b) for m in tg.sent_messages(MAI) if m["text"].startswith("Trả lời")
                ]
            finally:
                for bot in bots:
                    if bot.proc.poll() is None:
                        bot.wait_log(READY_LOG, timeout=300)
                    code = bot.terminate()
                    bot.kill()
                    assert code == 0, bot.log()[-3000:]
                    assert "Traceback" not in bot.log(), bot.log()[-3000:]
    finally:
        pg_databases.drop(pg_url)
