"""Ready means ready: the first burst of questions after a start is all answered.

Updates queued while the bot was down arrive together in its first ``getUpdates``; they must all be answered
by the real engine (model, Chroma, BM25, accent restorer opened by the warm-up before "Bộ tra cứu đã sẵn
sàng"), never with "Xin lỗi, đã có lỗi xảy ra". Three fresh starts of the real ``troly bot``, 16 chats each.
"""

from __future__ import annotations

import signal

import pytest

from bot import texts
from tests.bot_fixtures import READY_LOG, copy_home, start_bot_process
from tests.fakes.fake_telegram import FakeTelegram

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

QUESTIONS = [
    "Nghị quyết 57-NQ/TW đặt mục tiêu gì đến năm 2030?",
    "nq 68 muc tieu den nam 2030 co bao nhieu doanh nghiep",
    "Kết luận 221-KL/TW ban hành ngày nào?",
    "Nghị quyết 66 về đổi mới công tác xây dựng pháp luật",
    "chi cho nghiên cứu phát triển đạt bao nhiêu phần trăm GDP",
    "kinh te tu nhan dong gop bao nhieu GDP",
    "Nghị quyết 71 về giáo dục đào tạo",
    "Nghị quyết 72 chăm sóc sức khỏe nhân dân",
    "chuyển đổi số quốc gia",
    "Nghị quyết 198/2025/QH15 quy định gì",
    "mục tiêu đến năm 2045",
    "đổi mới sáng tạo",
    "doanh nghiệp nhỏ và vừa",
    "chính quyền địa phương hai cấp",
    "thu hút nhân tài khoa học công nghệ",
    "hạ tầng số và dữ liệu",
]


@pytest.mark.parametrize("start", [1, 2, 3])
def test_a_burst_of_questions_right_after_a_fresh_start_is_all_answered(start, troly_home, tmp_path_factory):
    home = copy_home(troly_home, tmp_path_factory, f"ready_home_{start}")
    chats = [1000 * start + i for i in range(len(QUESTIONS))]
    with FakeTelegram() as tg:
        # Queued while the bot is down: they arrive together in the first getUpdates.
        for chat_id, question in zip(chats, QUESTIONS, strict=True):
            tg.push_message(chat_id, chat_id, question)
        bot = start_bot_process(tg, home, home / "bot.log")
        try:
            replies = tg.wait_for(
                lambda: all(tg.sent_messages(c) for c in chats) and {c: tg.sent_messages(c) for c in chats},
                timeout=300,
            )
            bot.wait_log(READY_LOG, timeout=60)
            for chat_id, sent in replies.items():
                text = sent[0]["text"]
                assert texts.ERROR not in text, (chat_id, bot.log()[-3000:])
                assert "Nguồn:" in text or "Chưa tìm thấy" in text or "chưa có" in text, (chat_id, text)
            assert "Traceback" not in bot.log(), bot.log()[-3000:]
            assert bot.terminate(signal.SIGINT, timeout=60) == 0, bot.log()[-3000:]
        finally:
            bot.kill()
