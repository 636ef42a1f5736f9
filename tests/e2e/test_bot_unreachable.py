"""Blocked chats, end to end: Telegram answers 403 ("bot was blocked by the user") or 400 ("chat not found")
for an official's chat → the official is marked "không nhận được tin nhắn" with the date, pushes to them stop,
they are shown in ``troly officials list`` (JSON ``"unreachable_since"``), the leader's /tiendo and the daily
digest — until they write to the bot again, which clears the mark and lets reminders flow again.

The real application (its dispatcher, rate limiter, handlers) against the fake Telegram server, on the example
database: CB007 Đặng Hữu Tâm (cán bộ, Sở Nội vụ) and his leader CB006 Hồ Hữu Thảo.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.bot.task_bot_fixtures import task_bot
from tests.bot.test_bot_reminders import AT_8, MON, Clock, add_task, ok_sends, register_chat, reminders_to
from tests.bot_fixtures import until

TAM, THAO = 7007, 1006
TROLY = Path(sys.executable).parent / "troly"


def _officials_json(home: Path) -> dict[str, dict]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TROLY_")}
    env["TROLY_HOME"] = str(home)
    out = subprocess.run(
        [str(TROLY), "officials", "list", "--json"], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return {o["code"]: o for o in json.loads(out.stdout)["officials"]}


def _calls_to(tg, chat_id: int) -> list:
    return [c for c in tg.call_log("sendMessage") if c.params.get("chat_id") == chat_id]


@pytest.mark.parametrize("status", [403, 400])
async def test_a_blocked_chat_stops_pushes_is_reported_and_clears_when_the_official_writes_again(
    status, fake_telegram, tmp_path, caplog
):
    from tasks.models import AuditLog, Official, Reminder
    from tasks.reachability import CHAT_UNREACHABLE

    caplog.set_level(logging.INFO)
    tg = fake_telegram
    clock = Clock(AT_8)
    async with task_bot(tg, tmp_path, clock=clock) as bot:
        bot.link("CB007", TAM)
        bot.link("CB006", THAO)
        register_chat(tg, TAM)
        register_chat(tg, THAO)
        add_task(bot, "NV-901", "CB007", MON)
        bot.dispatcher.throttle.per_chat_interval = 0.05
        tg.refuse_chat(TAM, status)

        # Monday 08:00: the push to Tâm is refused → he is marked, his other pending pushes are cancelled.
        first = await bot.dispatcher.run_once()
        assert first.failed >= 1
        refused = len(_calls_to(tg, TAM))
        assert refused >= 1 and all(c.status == status for c in _calls_to(tg, TAM))
        tam = bot.official("CB007")
        assert tam.unreachable_since == AT_8
        with bot.db.session() as s:
            pending = s.scalars(
                select(Reminder).where(
                    Reminder.official_id == tam.id,
                    Reminder.sent_at.is_(None),
                    Reminder.cancelled_at.is_(None),
                )
            ).all()
            assert pending == []
            reasons = set(s.scalars(select(Reminder.cancel_reason).where(Reminder.official_id == tam.id)))
            assert CHAT_UNREACHABLE in reasons
            (row,) = s.scalars(
                select(AuditLog).where(AuditLog.entity_key == "CB007", AuditLog.field == "unreachable_since")
            ).all()
            assert row.old is None and row.new and row.note.startswith("Không gửi được tin nhắn")

        # The next days: nothing more is attempted to his chat (no retries five times a day).
        for _ in range(3):
            clock.advance(days=1)
            await bot.dispatcher.run_once()
        assert len(_calls_to(tg, TAM)) == refused

        # The leader sees it in the daily digest (sent on those mornings) and in /tiendo.
        digests = [m for m in bot.replies(THAO) if m["text"].startswith("📋 Tóm tắt")]
        assert (
            digests
            and "📵 Không nhận được tin nhắn (1 cán bộ): Đặng Hữu Tâm (CB007, từ 23/11/2026)"
            in (digests[-1]["text"])
        )
        (screen,) = await bot.send(THAO, "/tiendo")
        assert "Không nhận được tin nhắn (1 cán bộ): Đặng Hữu Tâm (CB007, từ 23/11/2026)" in screen["text"]

        # `troly officials list --json`: the date for Tâm, null for everybody else.
        listed = _officials_json(bot.settings.home)
        assert listed["CB007"]["unreachable_since"].startswith("2026-11-23T01:00:00")
        assert listed["CB006"]["unreachable_since"] is None

        # Tâm unblocks the bot and writes to it: the mark is cleared (audited), his reminders resume.
        tg.accept_chat(TAM)
        await bot.send(TAM, "/start")
        await until(lambda: bot.official("CB007").unreachable_since is None)
        with bot.db.session() as s:
            cleared = s.scalars(
                select(AuditLog).where(AuditLog.entity_key == "CB007", AuditLog.field == "unreachable_since")
            ).all()[-1]
            assert cleared.new is None and cleared.actor == f"telegram:{TAM}"
            assert s.scalar(select(Official.unreachable_since).where(Official.code == "CB007")) is None
        (screen,) = await bot.send(THAO, "/tiendo")
        assert "Không nhận được tin nhắn" not in screen["text"]
        clock.advance(days=1)  # Friday 27/11 08:00: NV-901 is overdue
        await bot.dispatcher.run_once()
        assert any("NV-901" in m["text"] for m in reminders_to(bot, TAM))
        assert ok_sends(bot, TAM)
    errors = [r for r in caplog.records if r.name == "bot.errors" or r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


async def test_a_message_refused_for_another_reason_does_not_mark_the_official(fake_telegram, tmp_path):
    """A 400 about the message itself (e.g. bad HTML) is not the chat's fault: no mark."""
    from bot.reminders import ptb_send
    from tasks.reminders.dispatcher import ChatUnreachable, PermanentFailure

    clock = Clock(AT_8)
    async with task_bot(fake_telegram, tmp_path, clock=clock) as bot:
        register_chat(fake_telegram, TAM)
        send = ptb_send(bot.application.bot)
        with pytest.raises(PermanentFailure) as bad_html:
            await send(TAM, "<b>không đóng thẻ", [])
        assert not isinstance(bad_html.value, ChatUnreachable)
        fake_telegram.refuse_chat(TAM, 400)
        with pytest.raises(ChatUnreachable):
            await send(TAM, "xin chào", [])
