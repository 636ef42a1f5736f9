"""End to end: the operator's commands and ``troly bot`` as child processes, on the real engine and corpus,
against the fake Telegram server — link by an invitation code (/start <code>), /viec, "Văn bản giao" through
real retrieval, and "Hoàn thành" with a result (handed in, then approved by the leader of the lead unit),
checked in the database the bot wrote."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.bot.task_bot_fixtures import OFFICIALS_XLSX, TASKS_XLSX, button, cards
from tests.bot_fixtures import READY_LOG, ROOT, VENV_BIN, child_env, copy_home, start_bot_process
from tests.fakes.fake_telegram import FakeTelegram

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

TIMEOUT = 60
USER = 4242
LEADER = 4243  # CB009, lãnh đạo of Sở Tài chính: reviews its products


def _troly(home: Path, tg: FakeTelegram, *args: str) -> dict:
    script = VENV_BIN / "troly"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "troly"]
    done = subprocess.run(
        [*command, *args, "--json"],
        cwd=ROOT,
        env=child_env(tg, home),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _wait_new(tg: FakeTelegram, chat_id: int, before: int, n: int) -> list[dict]:
    return tg.wait_for(
        lambda: (msgs := tg.sent_messages(chat_id)) and len(msgs) >= before + n and msgs[before:],
        timeout=TIMEOUT,
    )


def test_link_by_code_then_viec_document_and_done_in_the_real_bot(troly_home, tmp_path_factory):
    home = copy_home(troly_home, tmp_path_factory, "tasks_bot_home")
    with FakeTelegram() as tg:
        assert _troly(home, tg, "officials", "import", str(OFFICIALS_XLSX))
        assert _troly(home, tg, "tasks", "import", str(TASKS_XLSX))
        invite = _troly(home, tg, "officials", "invite", "CB010", "--bot-username", tg.bot_username)
        assert invite["link"] == f"https://t.me/{tg.bot_username}?start={invite['code']}"
        leader_invite = _troly(home, tg, "officials", "invite", "CB009", "--bot-username", tg.bot_username)

        # No reminder job here: on a working day it would message the linked official in the middle of the
        # conversation this test reads (reminders have their own tests: test_bot_reminders*.py).
        bot = start_bot_process(tg, home, home / "bot.log", TROLY_REMINDER_INTERVAL="0")
        try:
            tg.wait_for(lambda: tg.call_log("getUpdates"), timeout=120)
            # The deep link: Telegram sends "/start <code>".
            tg.push_message(USER, USER, f"/start {invite['code']}")
            (linked,) = _wait_new(tg, USER, 0, 1)
            assert linked["text"].startswith(
                "Đã liên kết tài khoản Telegram với Lê Hồng Mai (CB010, Sở Tài chính)."
            )

            tg.push_message(USER, USER, "/viec")
            page = _wait_new(tg, USER, 1, 7)  # header, 5 cards, pages footer
            assert page[0]["text"].startswith("📋 Việc của Lê Hồng Mai: 6 việc chưa hoàn thành")
            shown = cards(page)
            assert len(shown) == 5 and "QUÁ HẠN" in shown[0]["text"]

            # "Văn bản giao" of NV-002 (Kết luận 221-KL/TW) through the real retrieval engine.
            bot.wait_log(READY_LOG, timeout=240)
            kl = next(c for c in shown if "NV-002" in c["text"])
            before = len(tg.sent_messages(USER))
            tg.push_callback(USER, USER, button(kl, "📄 Văn bản giao")["callback_data"], kl["message_id"])
            (doc,) = _wait_new(tg, USER, before, 1)
            assert doc["text"].startswith("📄 Văn bản giao của nhiệm vụ NV-002: Kết luận 221-KL/TW")
            assert re.search(r"\[1\] Kết luận 221-KL/TW", doc["text"]), doc["text"]

            # "Hoàn thành", then the result as the next message.
            card = next(c for c in shown if "NV-071" in c["text"])
            before = len(tg.sent_messages(USER))
            tg.push_callback(USER, USER, button(card, "✅ Hoàn thành")["callback_data"], card["message_id"])
            (prompt,) = _wait_new(tg, USER, before, 1)
            assert prompt["text"].startswith("Báo hoàn thành nhiệm vụ NV-071")
            tg.push_message(LEADER, LEADER, f"/start {leader_invite['code']}")
            _wait_new(tg, LEADER, 0, 1)
            tg.push_message(USER, USER, "Đã ban hành Kế hoạch số 12/KH-STC")
            (reply,) = _wait_new(tg, USER, before + 1, 1)
            assert reply["text"].startswith("📤 Đã nộp sản phẩm nhiệm vụ NV-071")
            assert (
                "Lê Ngọc Yến (CB009)" in reply["text"]
                and "Đã ban hành Kế hoạch số 12/KH-STC" in reply["text"]
            )
            edited = tg.wait_for(
                lambda: (m := tg.message(USER, card["message_id"])) and m.get("edit_date") and m
            )
            assert "Lê Hồng Mai (CB010) đã nộp sản phẩm" in edited["text"]
            # The leader approves: done, with the hand-in day as completion day.
            (review,) = _wait_new(tg, LEADER, 1, 1)
            tg.push_callback(LEADER, LEADER, button(review, "✅ Đạt")["callback_data"], review["message_id"])
            told = tg.wait_for(
                lambda: next(
                    (m for m in tg.sent_messages(USER) if m["text"].startswith("✅ Sản phẩm")), None
                ),
                timeout=TIMEOUT,
            )
            assert "duyệt: đạt" in told["text"]
            assert not [c for c in tg.call_log() if c.status and c.status >= 400]
        finally:
            code = bot.terminate()
            bot.kill()
        assert code == 0, bot.log()[-3000:]
        assert "Traceback" not in bot.log(), bot.log()[-3000:]

    from tasks.db import Database
    from tasks.models import AuditLog, Official, Task

    db = Database.open(f"sqlite:///{home / 'troly.db'}")
    try:
        with db.session() as s:
            assert s.scalar(select(Official.telegram_user_id).where(Official.code == "CB010")) == USER
            task = s.scalar(select(Task).where(Task.code == "NV-071"))
            assert (task.status.value, task.progress, task.result_note) == (
                "hoan_thanh",
                100,
                "Đã ban hành Kế hoạch số 12/KH-STC",
            )
            audited = s.scalars(
                select(AuditLog).where(AuditLog.entity_key == "NV-071", AuditLog.via == "bot")
            ).all()
            assert {a.field for a in audited} >= {
                "status",
                "progress",
                "completed_on",
                "result_note",
                "product",
            }
            assert {a.actor for a in audited} == {"CB010", "CB009"}
    finally:
        db.dispose()
