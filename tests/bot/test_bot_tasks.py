"""/viec and the task buttons through the real application and the fake Telegram server, on a real SQLite
database in a temporary TROLY_HOME loaded from the example spreadsheets (today = 22/11/2026).

Example people: CB010 Lê Hồng Mai (cán bộ, Sở Tài chính; 6 open tasks, NV-002 overdue), CB007 Đặng Hữu Tâm
(cán bộ, Sở Nội vụ), CB021 Hồ Quang Hương (cán bộ, Phòng Công chức, viên chức - Sở Nội vụ; NV-039 open),
CB020 (lãnh đạo of that Phòng), CB006 (lãnh đạo, Sở Nội vụ, above it), CB009 (lãnh đạo, Sở Tài chính),
CB004 (quản trị).
"""

from __future__ import annotations

import logging
import re

import pytest

from bot import texts
from bot.render import TELEGRAM_MAX_CHARS, utf16_len
from tests.bot.task_bot_fixtures import TODAY, button, buttons, cards, task_bot
from tests.bot_fixtures import until

MAI, TAM, HUONG, HAI, THAO, YEN, HANH, STRANGER = 1010, 1007, 1021, 1020, 1006, 1009, 1004, 1999


@pytest.fixture
async def tbot(fake_telegram, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    async with task_bot(fake_telegram, tmp_path) as bot:
        for code, tg_id in (
            ("CB010", MAI), ("CB007", TAM), ("CB021", HUONG), ("CB020", HAI), ("CB006", THAO), ("CB009", YEN),
            ("CB004", HANH),
        ):  # fmt: skip
            bot.link(code, tg_id)
        yield bot
    errors = [r for r in caplog.records if r.name == "bot.errors"]
    assert not errors, [r.getMessage() for r in errors]


def _task_id(bot, code: str) -> int:
    return bot.task(code).id


async def _viec(bot, chat_id: int) -> list[dict]:
    """/viec, waiting for the whole page (header, cards and, when paged, the footer)."""
    before = len(bot.replies(chat_id))
    bot.tg.push_message(chat_id, chat_id, "/viec")
    await until(lambda: len(bot.replies(chat_id)) > before)
    await until(lambda: _page_complete(bot.replies(chat_id)[before:]))
    return bot.replies(chat_id)[before:]


def _page_complete(msgs: list[dict]) -> bool:
    if not msgs:
        return False
    head = msgs[0]["text"]
    if not head.startswith("📋"):
        return True
    total = int(re.search(r": (\d+) việc chưa hoàn thành", head).group(1))
    paged = "Trang " in head
    shown = len(cards(msgs))
    footer = [m for m in msgs if m["text"].startswith("Trang ")]
    return shown == min(total, 5) and (not paged or bool(footer))


# --- /viec -------------------------------------------------------------------------------------------------


async def test_unlinked_user_asking_for_tasks_is_told_how_to_link(tbot):
    (msg,) = await tbot.send(STRANGER, "/viec")
    assert msg["text"].startswith("Bạn chưa liên kết tài khoản Telegram với hồ sơ cán bộ")  # the one text
    assert "/lienket" in msg["text"]
    (alias,) = await tbot.send(STRANGER, "/tasks")
    assert alias["text"] == msg["text"]


async def test_viec_lists_my_open_tasks_by_deadline_with_the_six_fields_and_overdue_flags(tbot):
    msgs = await _viec(tbot, MAI)
    header, *rest = msgs
    assert header["text"].startswith(
        "📋 Việc của Lê Hồng Mai: 6 việc chưa hoàn thành, trong đó 1 việc quá hạn. Trang 1/2, sắp xếp theo hạn."
    )
    shown = cards(rest)
    expected = [t.code for t in tbot.open_tasks_of("CB010")]
    assert [re.search(r"NV-\d+", c["text"]).group(0) for c in shown] == expected[:5]
    first = shown[0]["text"]
    # NV-002: deadline 18/09/2026, 65 days before 22/11/2026.
    assert first.startswith("⚠️ 1. NV-002 · QUÁ HẠN 65 NGÀY")
    for label in ("📝 Việc:", "👤 Người thực hiện: Lê Hồng Mai (CB010)", "🏢 Chủ trì: Sở Tài chính",
                  "📅 Hạn: 18/09/2026 — quá hạn 65 ngày", "📦 Sản phẩm:", "✍️ Người giao:",
                  "📄 Kết luận 221-KL/TW", "📊 Tiến độ: ▰▰▰▰▰▰▰▰▱▱ 80% · đang thực hiện"):  # fmt: skip
        assert label in first, label
    assert "QUÁ HẠN" not in shown[1]["text"] and "(còn 12 ngày)" in shown[1]["text"]  # NV-071, 04/12/2026
    for card in shown:
        assert utf16_len(card["html"]) <= TELEGRAM_MAX_CHARS
        labels = [b["text"] for b in buttons(card)]
        assert [lb.removeprefix("✓ ") for lb in labels[:5]] == ["0%", "25%", "50%", "75%", "100%"]
        progress = re.search(r" (\d+)% · ", card["text"]).group(1)
        ticked = [lb for lb in labels[:5] if lb.startswith("✓ ")]
        assert ticked == ([f"✓ {progress}%"] if f"{progress}%" in labels[:5] + ticked and ticked else ticked)
        assert labels[5:] == ["✅ Hoàn thành", "📄 Văn bản giao"]
        assert all(len(b["callback_data"].encode()) <= 64 for b in buttons(card))
    assert "✓ 75%" not in [b["text"] for b in buttons(shown[0])]  # 80% is not a step: none ticked
    footer = msgs[-1]
    assert footer["text"] == "Trang 1/2 — còn 1 việc ở các trang khác."
    assert [b["text"] for b in buttons(footer)] == ["Trang sau ▶️"]
    assert not [c for c in tbot.tg.call_log("sendMessage") if c.status != 200]


async def test_the_next_page_shows_the_remaining_tasks(tbot):
    msgs = await _viec(tbot, MAI)
    footer = msgs[-1]
    before = len(tbot.replies(MAI))
    await tbot.press(MAI, button(footer, "Trang sau ▶️")["callback_data"], footer["message_id"])
    await until(lambda: len(tbot.replies(MAI)) >= before + 3)
    page2 = tbot.replies(MAI)[before:]
    assert (
        page2[0]["text"].startswith("📋 Việc của Lê Hồng Mai: 6 việc chưa hoàn thành")
        and "Trang 2/2" in page2[0]["text"]
    )
    (card,) = cards(page2)
    assert card["text"].startswith("6. NV-140")
    assert [b["text"] for b in buttons(page2[-1])] == ["◀️ Trang trước"]


async def test_a_person_without_open_tasks_is_told_so(tbot):
    tbot.link("CB020", HAI)
    (msg,) = await tbot.send(HAI, "/viec")
    assert msg["text"] == "Bạn (Nguyễn Bảo Hải) hiện không có nhiệm vụ nào chưa hoàn thành. 👏"


async def test_start_viec_deep_link_opens_the_list(tbot):
    header, *_ = await tbot.send(TAM, "/start viec", n=2)
    assert header["text"].startswith("📋 Việc của Đặng Hữu Tâm: 2 việc chưa hoàn thành")


# --- progress ----------------------------------------------------------------------------------------------


async def test_progress_button_updates_the_task_audits_and_shows_who_changed_what(tbot):
    msgs = await _viec(tbot, MAI)
    card = next(c for c in cards(msgs) if "NV-071" in c["text"])  # chưa bắt đầu, 0%
    answer = await tbot.press(MAI, button(card, "50%")["callback_data"], card["message_id"])
    assert answer["text"] == "Đã cập nhật tiến độ 50%."
    task = tbot.task("NV-071")
    assert (task.progress, task.status.value, task.progress_updated_via.value) == (
        50,
        "dang_thuc_hien",
        "bot",
    )
    rows = [(a.actor, a.via, a.field, a.old, a.new) for a in tbot.audit("NV-071") if a.actor == "CB010"]
    assert ("CB010", "bot", "progress", "0", "50") in rows
    assert ("CB010", "bot", "status", "chua_bat_dau", "dang_thuc_hien") in rows
    edited = await until(lambda: (m := tbot.message(MAI, card["message_id"]))["edits"] and m)
    assert "✏️ Lê Hồng Mai (CB010) đã cập nhật tiến độ 0% → 50% lúc 09:00 ngày 22/11/2026." in edited["text"]
    assert "50% · đang thực hiện" in edited["text"]
    assert "✓ 50%" in [b["text"] for b in buttons(edited)]
    # The same step again changes nothing and says so.
    again = await tbot.press(MAI, button(edited, "✓ 50%")["callback_data"], card["message_id"])
    assert again["text"] == "Tiến độ đang là 50%, không có gì thay đổi."
    assert len([a for a in tbot.audit("NV-071") if a.field == "progress"]) == 1


# --- completion --------------------------------------------------------------------------------------------


async def _press_done(bot, chat_id: int, code: str) -> tuple[dict, dict]:
    msgs = await _viec(bot, chat_id)
    card = next(c for c in cards(msgs) if code in c["text"])
    before = len(bot.replies(chat_id))
    answer = await bot.press(
        chat_id, button(card, "✅ Hoàn thành")["callback_data"], card["message_id"], n_messages=1
    )
    assert answer["text"] == texts.DONE_ASK_TOAST
    prompt = bot.replies(chat_id)[before]
    return card, prompt


async def test_done_asks_for_the_result_and_the_next_text_completes_the_task(tbot):
    """The assignee's "Hoàn thành" hands the text in as the product ("chờ duyệt"); the leader of the lead
    unit (CB009, Sở Tài chính: the tasks' assigner is not an official) approves it: done on the hand-in day."""
    (hello,) = await tbot.send(YEN, "/start")  # the approver has a chat with the bot
    card, prompt = await _press_done(tbot, MAI, "NV-086")
    assert prompt["text"].startswith("Báo hoàn thành nhiệm vụ NV-086")
    assert "sản phẩm / kết quả" in prompt["text"] and "hết hạn sau 10 phút" in prompt["text"]
    assert "được chuyển đến Lê Ngọc Yến (CB009) để duyệt" in prompt["text"]
    assert [b["text"] for b in buttons(prompt)] == ["✖️ Hủy"]
    assert prompt["reply_to_message_id"] == card["message_id"]
    before_yen = len(tbot.replies(YEN))
    (reply,) = await tbot.send(MAI, "Đã trình Báo cáo số 125/BC-STC <ngày 20/11> & phụ lục")
    assert reply["text"].startswith("📤 Đã nộp sản phẩm nhiệm vụ NV-086")
    assert "Đã trình Báo cáo số 125/BC-STC <ngày 20/11> & phụ lục" in reply["text"]
    assert "chờ duyệt" in reply["text"] and "(CB009)" in reply["text"]
    assert tbot.task("NV-086").status.value == "cho_duyet"
    review = await until(lambda: len(tbot.replies(YEN)) > before_yen and tbot.replies(YEN)[-1])
    assert review["text"].startswith("📥 Sản phẩm chờ duyệt: nhiệm vụ NV-086")
    assert [b["text"] for b in buttons(review)] == ["✅ Đạt", "↩️ Chưa đạt"]
    answer = await tbot.press(YEN, button(review, "✅ Đạt")["callback_data"], review["message_id"])
    assert answer["text"] == "Đã duyệt: đạt."
    task = tbot.task("NV-086")
    assert (task.status.value, task.progress, task.completed_on, task.result_note) == (
        "hoan_thanh",
        100,
        TODAY,
        "Đã trình Báo cáo số 125/BC-STC <ngày 20/11> & phụ lục",
    )
    fields = {a.field for a in tbot.audit("NV-086") if a.actor == "CB010" and a.via == "bot"}
    assert {"status", "product"} <= fields
    fields = {a.field for a in tbot.audit("NV-086") if a.actor == "CB009" and a.via == "bot"}
    assert {"status", "progress", "completed_on", "result_note"} <= fields
    # The card now says it was handed in; the prompt lost its buttons; Mai is told the verdict.
    edited = await until(lambda: (m := tbot.message(MAI, card["message_id"]))["edits"] and m)
    assert "📤 Lê Hồng Mai (CB010) đã nộp sản phẩm lúc 09:00" in edited["text"]
    assert not buttons(tbot.message(MAI, prompt["message_id"]))
    told = await until(lambda: (m := tbot.replies(MAI)[-1])["text"].startswith("✅ Sản phẩm") and m)
    assert told["text"].startswith(
        "✅ Sản phẩm nhiệm vụ NV-086 đã được Lê Ngọc Yến (CB009) duyệt: đạt. Nhiệm vụ hoàn thành ngày 22/11/2026."
    )
    assert "🏁 Kết quả: Đã trình Báo cáo số 125/BC-STC" in told["text"]
    assert [b["text"] for b in buttons(told)] == ["📄 Văn bản giao"]
    # The conversation is over: the next text is a question again.
    (answer,) = await tbot.send(MAI, "NQ 57 nói gì?")
    assert answer["text"].startswith("Trả lời cho: NQ 57 nói gì?")
    assert [q for q, _ in tbot.engine.calls] == ["NQ 57 nói gì?"]
    assert hello["text"]


async def test_a_leader_completes_a_task_of_their_unit_directly_with_or_without_a_result(tbot):
    """ "Hoàn thành" pressed by a leader who may change the task is the approval itself: the old direct
    completion, with «Bỏ qua» (no result) and «Hủy»."""
    (start,) = await tbot.send(YEN, "/start")
    task_id = _task_id(tbot, "NV-114")
    answer = await tbot.press(YEN, f"t:done:{task_id}", start["message_id"], n_messages=1)
    assert answer["text"] == texts.DONE_ASK_TOAST
    prompt = tbot.replies(YEN)[-1]
    assert prompt["text"].startswith("Báo hoàn thành nhiệm vụ NV-114")
    assert [b["text"] for b in buttons(prompt)] == ["⏭ Bỏ qua", "✖️ Hủy"]
    await tbot.press(YEN, button(prompt, "⏭ Bỏ qua")["callback_data"], prompt["message_id"])
    done = await until(lambda: (m := tbot.message(YEN, prompt["message_id"]))["edits"] and m)
    assert (
        done["text"].startswith("✅ Đã ghi nhận nhiệm vụ NV-114 hoàn thành")
        and "Không kèm kết quả." in done["text"]
    )
    task = tbot.task("NV-114")
    assert task.status.value == "hoan_thanh" and task.result_note is None

    await tbot.press(YEN, f"t:done:{_task_id(tbot, 'NV-086')}", start["message_id"], n_messages=1)
    (too_long,) = await tbot.send(YEN, "x" * 1500)
    assert too_long["text"].startswith("Kết quả hơi dài (1500 ký tự)")

    await tbot.press(YEN, f"t:done:{_task_id(tbot, 'NV-086')}", start["message_id"], n_messages=1)
    (reply,) = await tbot.send(YEN, "Đã trình Báo cáo số 125/BC-STC")
    assert reply["text"].startswith("✅ Đã ghi nhận nhiệm vụ NV-086 hoàn thành ngày 22/11/2026.")
    assert "Người cập nhật: Lê Ngọc Yến (CB009), lúc 09:00 ngày 22/11/2026." in reply["text"]
    assert "Kết quả: Đã trình Báo cáo số 125/BC-STC" in reply["text"]
    assert tbot.task("NV-086").status.value == "hoan_thanh"


async def test_skip_completes_without_a_result_and_cancel_leaves_the_task_open(tbot):
    _card, prompt = await _press_done(tbot, MAI, "NV-010")
    await tbot.press(MAI, button(prompt, "✖️ Hủy")["callback_data"], prompt["message_id"])
    cancelled = await until(lambda: (m := tbot.message(MAI, prompt["message_id"]))["edits"] and m)
    assert cancelled["text"] == "Đã hủy. Nhiệm vụ NV-010 chưa được đánh dấu hoàn thành."
    assert tbot.task("NV-010").status.value == "dang_thuc_hien"
    (answer,) = await tbot.send(MAI, "NQ 57?")  # no longer waiting for a result
    assert answer["text"].startswith("Trả lời cho:")


async def test_typing_huy_cancels_and_an_overlong_result_is_refused(tbot):
    _card, _prompt = await _press_done(tbot, MAI, "NV-010")
    (too_long,) = await tbot.send(MAI, "x" * 4090)  # a product as text: ≤ 4000 characters, else a file
    assert too_long["text"] == "Nội dung dài 4090 ký tự; tối đa 4000. Hãy gửi thành tệp."
    assert tbot.task("NV-010").status.value == "dang_thuc_hien"
    (cancel,) = await tbot.send(MAI, "Hủy")
    assert cancel["text"] == "Đã hủy. Nhiệm vụ NV-010 chưa được đánh dấu hoàn thành."
    assert tbot.task("NV-010").status.value == "dang_thuc_hien"
    assert tbot.engine.calls == []


async def test_the_result_question_expires(tbot):
    from bot.dialogue import DatabaseDialogueStore
    from bot.handlers.tasks import DIALOGUES_KEY
    from tasks.dialogue_state import DialogueStore as DialogueRows

    clock = [1_000_000.0]
    tbot.application.bot_data[DIALOGUES_KEY] = DatabaseDialogueStore(
        lambda: DialogueRows(tbot.store.database().sessions), ttl=600, clock=lambda: clock[0]
    )
    _card, prompt = await _press_done(tbot, MAI, "NV-010")
    clock[0] += 601.0
    (answer,) = await tbot.send(MAI, "NQ 57 nói gì?")  # after expiry: an ordinary question
    assert answer["text"].startswith("Trả lời cho:")
    assert tbot.task("NV-010").status.value == "dang_thuc_hien"
    (start,) = await tbot.send(YEN, "/start")  # a leader's direct completion expires the same way
    await tbot.press(YEN, f"t:done:{_task_id(tbot, 'NV-010')}", start["message_id"], n_messages=1)
    prompt = tbot.replies(YEN)[-1]
    clock[0] += 700.0
    late = await tbot.press(YEN, button(prompt, "⏭ Bỏ qua")["callback_data"], prompt["message_id"])
    assert late["text"] == texts.DONE_EXPIRED and late["show_alert"]
    assert tbot.task("NV-010").status.value == "dang_thuc_hien"


async def test_done_on_a_finished_task_is_refused_politely(tbot):
    msgs = await _viec(tbot, TAM)
    card = cards(msgs)[0]
    done_id = _task_id(tbot, "NV-050")  # Tâm's task finished in the spreadsheet
    answer = await tbot.press(TAM, f"t:done:{done_id}", card["message_id"])
    assert answer["show_alert"] and answer["text"].startswith("Nhiệm vụ NV-050 đã hoàn thành từ ngày")
    answer = await tbot.press(TAM, f"t:p:{done_id}:50", card["message_id"])
    assert answer["show_alert"] and "không cập nhật tiến độ nữa" in answer["text"]


# --- "Văn bản giao" -----------------------------------------------------------------------------------------


async def test_document_button_cites_the_assigning_document_or_says_it_is_not_in_the_corpus(tbot):
    msgs = await _viec(tbot, MAI)
    kl = next(c for c in cards(msgs) if "NV-002" in c["text"])  # Kết luận 221-KL/TW
    await tbot.press(MAI, button(kl, "📄 Văn bản giao")["callback_data"], kl["message_id"], n_messages=1)
    reply = tbot.replies(MAI)[-1]
    assert reply["text"].startswith("📄 Văn bản giao của nhiệm vụ NV-002: Kết luận 221-KL/TW")
    assert "[1] Kết luận 221-KL/TW ngày 28/11/2025" in reply["text"]
    assert "Nghị quyết 57" not in reply["text"]  # hits of other documents are not shown
    assert reply["reply_to_message_id"] == kl["message_id"]
    query, k, context_docs = tbot.engine.searches[-1]
    assert (query, k, context_docs) == (tbot.task("NV-002").content, 3, ("Kết luận 221-KL/TW",))

    cv = next(c for c in cards(msgs) if "NV-010" in c["text"])  # Công văn 22498/UBND-THĐT: not in the corpus
    await tbot.press(MAI, button(cv, "📄 Văn bản giao")["callback_data"], cv["message_id"], n_messages=1)
    assert tbot.replies(MAI)[-1]["text"] == (
        "Văn bản giao của nhiệm vụ NV-010 là Công văn 22498/UBND-THĐT, nhưng kho văn bản hiện chưa có văn bản "
        "này nên tôi chưa trích dẫn được."
    )


async def test_view_button_of_lists_and_reminders_shows_the_card(tbot):
    (start,) = await tbot.send(HANH, "/start")
    no_doc = _task_id(tbot, "NV-112")  # admin's own task without an assigning document
    await tbot.press(HANH, f"t:v:{no_doc}", start["message_id"], n_messages=1)
    card = tbot.replies(HANH)[-1]
    assert card["text"].startswith("NV-112") and "📄" not in card["text"]
    assert [b["text"] for b in buttons(card)][-1] == "✅ Hoàn thành"
    answer = await tbot.press(HANH, f"t:doc:{no_doc}", card["message_id"], n_messages=1)
    assert tbot.replies(HANH)[-1]["text"] == "Nhiệm vụ NV-112 không ghi văn bản giao."
    assert answer["show_alert"] is False


# --- groups ----------------------------------------------------------------------------------------------


async def test_viec_in_a_group_only_asks_to_message_privately(tbot):
    group = -100777
    for text in ("/viec", f"/viec@{tbot.tg.bot_username}", "/tasks"):
        (msg,) = await tbot.send(group, text, user_id=MAI, chat_type="supergroup")
        assert msg["text"] == (
            f"Để bảo mật, tôi không hiển thị nhiệm vụ trong nhóm. Vui lòng nhắn riêng cho tôi "
            f"(@{tbot.tg.bot_username}) và gõ /viec."
        )
        (url,) = buttons(msg)
        assert url["url"] == f"https://t.me/{tbot.tg.bot_username}?start=viec"
    everything = " ".join(m["text"] for m in tbot.replies(group))
    assert not re.search(r"NV-\d+", everything) and "Lê Hồng Mai" not in everything
    # A task button pressed in a group (forged: the bot never puts one there) is refused without details.
    msg = tbot.replies(group)[0]
    answer = await tbot.press(group, f"t:v:{_task_id(tbot, 'NV-002')}", msg["message_id"], user_id=MAI)
    assert answer["text"] == texts.TASKS_IN_GROUP_ALERT and answer["show_alert"]
    assert len(tbot.replies(group)) == 3


# --- forged callbacks and the access matrix ----------------------------------------------------------------


async def test_a_forged_callback_with_someone_elses_task_is_refused_audited_and_logged(tbot, caplog):
    (start,) = await tbot.send(TAM, "/start")
    mai_task = _task_id(tbot, "NV-071")
    before = tbot.task("NV-071")
    for data in (f"t:p:{mai_task}:100", f"t:done:{mai_task}", f"t:v:{mai_task}", f"t:doc:{mai_task}"):
        answer = await tbot.press(TAM, data, start["message_id"])
        assert answer["text"] == texts.DENIED_ALERT and answer["show_alert"], data
    after = tbot.task("NV-071")
    assert (after.progress, after.status) == (before.progress, before.status)
    refused = [a for a in tbot.audit("NV-071") if a.actor == "CB007"]
    assert len(refused) == 4 and all(a.note.startswith("Từ chối") for a in refused)
    assert len([r for r in caplog.records if "Từ chối nút nhiệm vụ (không có quyền)" in r.getMessage()]) == 4
    assert len(tbot.replies(TAM)) == 1  # nothing about Mai's task was sent
    assert tbot.engine.searches == []
    # Garbage and out-of-range data are answered as stale buttons.
    for data in ("t:p:1:101", "t:p:x:50", "t:done", "t:zz:1"):
        answer = await tbot.press(TAM, data, start["message_id"])
        assert answer["text"] == texts.CALLBACK_UNKNOWN


ACCESS_MATRIX = [
    # (who presses, Telegram id, allowed on NV-039 of CB021 in Phòng Công chức, viên chức - Sở Nội vụ)
    ("CB021 own task", HUONG, True),
    ("CB007 cán bộ of the parent unit", TAM, False),
    ("CB020 lãnh đạo of the unit", HAI, True),
    ("CB006 lãnh đạo of the unit above", THAO, True),
    ("CB009 lãnh đạo of another Sở", YEN, False),
    ("CB004 quản trị", HANH, True),
    ("unlinked", STRANGER, False),
]


@pytest.mark.parametrize(("who", "tg_id", "allowed"), ACCESS_MATRIX, ids=[m[0] for m in ACCESS_MATRIX])
async def test_access_matrix_for_task_buttons(tbot, who, tg_id, allowed):
    task_id = _task_id(tbot, "NV-039")
    (start,) = await tbot.send(tg_id, "/start")
    answer = await tbot.press(tg_id, f"t:p:{task_id}:75", start["message_id"])
    task = tbot.task("NV-039")
    if allowed:
        assert answer["text"] == "Đã cập nhật tiến độ 75%."
        assert task.progress == 75
        # The pressed message (here the welcome; normally a card or a reminder) becomes the updated card.
        card = await until(lambda: (m := tbot.message(tg_id, start["message_id"]))["edits"] and m)
        actor = tbot.official({v: k for k, v in _IDS.items()}[tg_id])
        assert f"✏️ {actor.full_name} ({actor.code}) đã cập nhật tiến độ 50% → 75%" in card["text"]
        view = await tbot.press(tg_id, f"t:v:{task_id}", start["message_id"], n_messages=1)
        assert view["show_alert"] is False and tbot.replies(tg_id)[-1]["text"].startswith("NV-039")
    else:
        expected = texts.NOT_LINKED_ALERT if tg_id == STRANGER else texts.DENIED_ALERT
        assert answer["text"] == expected and answer["show_alert"]
        assert task.progress == 50
        view = await tbot.press(tg_id, f"t:v:{task_id}", start["message_id"])
        assert view["text"] == expected
        assert len(tbot.replies(tg_id)) == 1
        actor = f"telegram:{STRANGER}" if tg_id == STRANGER else {v: k for k, v in _IDS.items()}[tg_id]
        refused = [a for a in tbot.audit("NV-039") if a.actor == actor]
        assert len(refused) == 2 and all(a.note.startswith("Từ chối") for a in refused)


_IDS = {"CB010": MAI, "CB007": TAM, "CB021": HUONG, "CB020": HAI, "CB006": THAO, "CB009": YEN, "CB004": HANH}


async def test_reminder_buttons_of_the_task_domain_land_on_the_same_handler(tbot):
    """A reminder built by `tasks.task_card` (as the dispatcher will send it): its buttons work here."""
    reminders = pytest.importorskip("tasks.task_card")
    from sqlalchemy.orm import selectinload
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    from tasks.models import Task
    from tasks.ui import parse_callback

    task_id = _task_id(tbot, "NV-071")
    with tbot.db.session() as s:
        task = s.get(Task, task_id, options=[selectinload(Task.assignee), selectinload(Task.lead_unit)])
        screen = reminders.reminder_screen(task, TODAY)
    task_buttons = [data for row in screen.buttons for _, data in row if data.startswith("t:")]
    assert task_buttons and all(parse_callback(d) for d in task_buttons)
    await tbot.send(MAI, "/start")  # the chat exists
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton(t, callback_data=d) for t, d in row] for row in screen.buttons]
    )
    sent = await tbot.application.bot.send_message(MAI, screen.html, reply_markup=markup)
    reminder = tbot.message(MAI, sent.message_id)
    # the one card: 0/25/50/75/100 with the current step ticked; press the first other one
    step = next(
        b for b in buttons(reminder) if b["callback_data"].startswith("t:p:") and "✓" not in b["text"]
    )
    percent = int(step["callback_data"].rsplit(":", 1)[1])
    answer = await tbot.press(MAI, step["callback_data"], sent.message_id)
    assert answer["text"] == f"Đã cập nhật tiến độ {percent}%." and tbot.task("NV-071").progress == percent
    edited = await until(lambda: (m := tbot.message(MAI, sent.message_id))["edits"] and m)
    assert f"Lê Hồng Mai (CB010) đã cập nhật tiến độ 0% → {percent}%" in edited["text"]
    before = len(tbot.replies(MAI))
    await tbot.press(MAI, button(edited, "✅ Hoàn thành")["callback_data"], sent.message_id, n_messages=1)
    assert tbot.replies(MAI)[before]["text"].startswith("Báo hoàn thành nhiệm vụ NV-071")


async def test_the_database_is_opened_once_per_application(tbot):
    from bot.db_runner import TASKS_KEY

    store = tbot.application.bot_data[TASKS_KEY]
    first = store.database()
    await _viec(tbot, MAI)
    await _viec(tbot, TAM)
    assert store.database() is first
    assert str(first.engine.url) == tbot.settings.database_url
