"""Scale-out, proven here: two ``troly bot --webhook`` processes behind a round-robin proxy (nginx's
``upstream``), sharing one PostgreSQL database and one Chroma server, with one fake Telegram — as in
production, where both processes talk to the one Telegram and either may receive any update.

200 users at once: every one asks a document question (a dozen real questions, with and without
diacritics); 60 officials send /viec, 30 of them press "50%" on their card; 30 press "✅ Hoàn thành" on
their reminder and type the product as their next message (the two steps of a dialogue land on whichever
process the proxy picks: many land on different ones); meanwhile 160 reminders are due. Checked after both
processes have stopped (so nothing can still arrive): every question answered exactly once, by one process;
every reminder row marked sent has exactly one message, and none is left unsent; every dialogue finished;
never more than 30 messages in any one-second window at the fake server; no error reply, no Traceback.
Details of the stack: tests/e2e/scale_stack.py.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from tests.e2e.scale_stack import (
    Crowd,
    add_due_tasks,
    is_answer,
    max_in_window,
    message_calls,
    pending_outbox,
    prepare_officials,
    reminders_sent,
    scale_stack,
)
from tests.engine_fixtures import prepared_index
from tests.polling import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(1200)]

USERS, OFFICIALS = 200, 160
TELEGRAM_LIMIT = 30  # messages per second for the whole bot


def test_two_webhook_processes_behind_a_proxy_serve_200_users_while_reminders_go_out(pg_databases, tmp_path):
    pg_url = pg_databases.create()
    url = pg_url.render_as_string(hide_password=False)
    try:
        roster = prepare_officials(url, USERS, OFFICIALS)
        with scale_stack(url, prepared_index() / "index", tmp_path, 2, roster.users) as stack:
            tg, proxy = stack.tg, stack.proxy
            assert stack.ingest["vectors_restored"] == stack.ingest["total_passages"] > 400
            for log in stack.logs():  # dense search reads the server, which holds every vector
                assert f"Tìm theo nghĩa: máy chủ Chroma {stack.chroma_url}, đủ vectơ" in log, log[-3000:]
            crowd = Crowd(tg, roster, viec=60, progress=30, dialogue=30)
            crowd.start()  # 200 questions at once, and the morning's reminders due while they are served:
            # planned once the first answer is out (causality, not timing, makes the two overlap)
            tg.wait_for(lambda: any(is_answer(m) for m in tg.sent_messages()), timeout=300)
            assert add_due_tasks(url, roster) == OFFICIALS
            tg.wait_for(crowd.step, timeout=600)
            # Quiet: nothing waits in the outbox and every due reminder is marked sent.
            wait_until(
                lambda: pending_outbox(url) == 0 and reminders_sent(url)[1] == 0, 300, "a quiet outbox"
            )
            wait_until(
                lambda: len(tg.webhook_deliveries) == len(tg.pushed_updates()), 60, "every update delivered"
            )
            dialogues = [u for u in crowd.users if u.plan == "dialogue"]
            split = [
                u for u in dialogues
                if proxy.backend_of(tg.update_id_of_callback(u.done_query))
                != proxy.backend_of(tg.update_id_of_message(u.chat, u.product_message))
            ]  # fmt: skip
        # Both processes have stopped: whatever was sent is all there will ever be.
        assert stack.exit_codes == [0, 0], [log[-3000:] for log in stack.logs()]
        for log in stack.logs():
            assert "Traceback" not in log, log[-5000:]
            assert "Rate limit hit" not in log
        assert all(d["status"] == 200 for d in tg.webhook_deliveries), Counter(
            d["status"] for d in tg.webhook_deliveries
        )
        assert len(proxy.counts) == 2 and min(proxy.counts.values()) > len(tg.pushed_updates()) // 4, (
            proxy.counts
        )
        assert len(split) >= 3, (
            f"only {len(split)} of {len(dialogues)} dialogues had their steps on different processes"
        )

        messages = tg.sent_messages()
        assert not [m for m in messages if m["text"].startswith("Xin lỗi, đã có lỗi")]
        # Every question answered exactly once, by exactly one process.
        answers = Counter(m["chat"]["id"] for m in messages if is_answer(m))
        assert answers == Counter(roster.users), {c: n for c, n in answers.items() if n != 1}
        answered_by = [len(re.findall(r"answered chat=", log)) for log in stack.logs()]
        assert sum(answered_by) == USERS and min(answered_by) > 0, answered_by
        # Every reminder row sent once, and exactly one message for it.
        sent, unsent = reminders_sent(url)
        assert unsent == 0 and sum(sent.values()) == OFFICIALS and set(sent.values()) == {1}
        # (counted as sent, not as shown now: a reminder pressed "Hoàn thành" under has become the card)
        calls = message_calls(tg)
        shown = Counter(
            (int(c.params["chat_id"]), code)
            for c in calls if c.method == "sendMessage" and "⏰" in str(c.params.get("text", ""))[:20]
            for code in re.findall(r"TT-\d{4}", c.params["text"])[:1]
        )  # fmt: skip
        assert shown == sent
        # Every dialogue finished; the leader got each product to review once.
        for user in dialogues:
            submitted = [
                m
                for m in tg.sent_messages(user.chat)
                if m["text"].startswith(f"📤 Đã nộp sản phẩm nhiệm vụ {user.code}")
            ]
            assert len(submitted) == 1, user
            leader = roster.leader_of[user.chat]
            reviews = [
                m for m in tg.sent_messages(leader) if m["text"].startswith("📥") and user.code in m["text"]
            ]
            assert len(reviews) == 1, (user, [m["text"][:80] for m in tg.sent_messages(leader)])
        # Telegram's limit for the whole bot, at the server: never above 30 messages in any second.
        assert max_in_window([c.at for c in calls]) <= TELEGRAM_LIMIT
        # The reminders went out while the users were being served, not before or after. Replies go first in
        # the outbox (a person is waiting), so the question answers may all precede the reminders on a fast
        # run; the conversation goes on around them by construction: the reminders are planned after the
        # first answer is out, and the dialogues reply to a reminder after it arrives. Checked on the
        # server's clock, with no assumption on how fast either side is.
        reminder_times = [c.at for c in calls if "⏰" in str(c.params.get("text", ""))[:20]]
        reply_times = [c.at for c in calls if "⏰" not in str(c.params.get("text", ""))[:20]]
        assert min(reply_times) < min(reminder_times) < max(reply_times)
    finally:
        pg_databases.drop(pg_url)
