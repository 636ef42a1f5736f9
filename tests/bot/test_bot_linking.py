"""Linking a Telegram account to an official, through the real application and the fake Telegram server:
/lienket and the share-phone button, a shared contact (own / someone else's / unknown number), invitation
codes (/start <code>, /lienket <code>), relinking, unlinking by an administrator, and groups."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest

from bot import texts
from tests.bot.task_bot_fixtures import NOW, push_contact, task_bot
from tests.bot_fixtures import until

TAM = 7007  # Telegram id used for CB007 Đặng Hữu Tâm (cán bộ, Sở Nội vụ; phone 0979.955.606)
OTHER = 8008


@pytest.fixture
async def tbot(fake_telegram, tmp_path, caplog):
    async with task_bot(fake_telegram, tmp_path) as bot:
        yield bot
    errors = [r for r in caplog.records if r.name == "bot.errors"]
    assert not errors, [r.getMessage() for r in errors]


def _invite(bot, code: str, *, now=NOW) -> str:
    from tasks.linking import create_invite

    with bot.db.session() as s:
        return create_invite(s, code, now)


async def test_lienket_offers_the_share_phone_button_and_the_code_route(tbot):
    (msg,) = await tbot.send(TAM, "/lienket")
    assert msg["text"].startswith("Liên kết tài khoản Telegram với hồ sơ cán bộ")
    assert "/lienket MÃ" in msg["text"]
    keyboard = msg["reply_markup"]["keyboard"]
    assert keyboard == [[{"text": "📱 Chia sẻ số điện thoại", "request_contact": True}]]
    assert msg["reply_markup"]["one_time_keyboard"] is True


@pytest.mark.parametrize("phone", ["+84979955606", "84979955606", "0979.955.606", "+84 979 955 606"])
async def test_own_contact_links_the_account_whatever_the_phone_format(tbot, phone):
    before = len(tbot.replies(TAM))
    push_contact(tbot.tg, TAM, TAM, phone, contact_user_id=TAM)
    (msg,) = await until(lambda: tbot.replies(TAM)[before:], settle=tbot.application)
    assert msg["text"].startswith("Đã liên kết tài khoản Telegram với Đặng Hữu Tâm (CB007, Sở Nội vụ).")
    assert "/viec" in msg["text"]
    assert msg["reply_markup"] == {"remove_keyboard": True}
    assert tbot.official("CB007").telegram_user_id == TAM
    (row,) = [a for a in tbot.audit("CB007") if a.field == "telegram_user_id"]
    assert (row.old, row.new, row.via, row.actor) == (None, str(TAM), "bot", f"telegram:{TAM}")
    # The account now works: /viec lists Tâm's tasks.
    header, *_ = await tbot.send(TAM, "/viec", n=2)
    assert header["text"].startswith("📋 Việc của Đặng Hữu Tâm")


async def test_a_contact_of_someone_else_is_refused_and_nothing_is_linked(tbot, caplog):
    caplog.set_level(logging.WARNING, logger="bot.handlers.linking")
    push_contact(tbot.tg, OTHER, OTHER, "0979955606", contact_user_id=TAM)  # Tâm's card, sent by OTHER
    push_contact(tbot.tg, OTHER + 1, OTHER + 1, "0979955606", contact_user_id=None)  # an address-book entry
    (a,) = await until(lambda: tbot.replies(OTHER), settle=tbot.application)
    (b,) = await until(lambda: tbot.replies(OTHER + 1), settle=tbot.application)
    for msg in (a, b):
        assert msg["text"].startswith("Tôi chỉ nhận số điện thoại của chính bạn")
        assert msg["reply_markup"]["keyboard"][0][0]["request_contact"] is True  # try again with the button
    assert tbot.official("CB007").telegram_user_id is None
    assert any("không phải của người gửi" in r.getMessage() for r in caplog.records)


async def test_a_phone_matching_nobody_gets_a_clear_answer(tbot):
    push_contact(tbot.tg, OTHER, OTHER, "+84 912 000 111", contact_user_id=OTHER)
    (msg,) = await until(lambda: tbot.replies(OTHER), settle=tbot.application)
    assert msg["text"].startswith("Số điện thoại 0912000111 chưa có trong danh sách cán bộ.")
    assert "/lienket" in msg["text"] and "quản trị viên" in msg["text"]
    push_contact(tbot.tg, OTHER, OTHER, "12345", contact_user_id=OTHER)
    await until(lambda: len(tbot.replies(OTHER)) >= 2, settle=tbot.application)
    assert tbot.replies(OTHER)[1]["text"].startswith("Số điện thoại không hợp lệ")


async def test_a_phone_whose_official_is_linked_to_another_account_is_refused(tbot):
    tbot.link("CB007", TAM)
    push_contact(tbot.tg, OTHER, OTHER, "0979955606", contact_user_id=OTHER)
    (msg,) = await until(lambda: tbot.replies(OTHER), settle=tbot.application)
    assert "đã liên kết với một tài khoản Telegram khác" in msg["text"]
    assert tbot.official("CB007").telegram_user_id == TAM


async def test_start_with_an_invitation_code_links_once(tbot):
    code = _invite(tbot, "CB010")
    (msg,) = await tbot.send(OTHER, f"/start {code}")
    assert msg["text"].startswith("Đã liên kết tài khoản Telegram với Lê Hồng Mai (CB010, Sở Tài chính).")
    assert tbot.official("CB010").telegram_user_id == OTHER
    # Single use: the same code from another account is refused and the link stays.
    (again,) = await tbot.send(OTHER + 1, f"/start {code}")
    assert again["text"].startswith("Mã liên kết này đã được dùng")
    assert tbot.official("CB010").telegram_user_id == OTHER
    (bad,) = await tbot.send(OTHER + 2, "/start khongphaima")
    assert bad["text"].startswith("Mã liên kết không đúng") and "/lienket" in bad["text"]


async def test_an_expired_code_is_refused(tbot):
    code = _invite(tbot, "CB010", now=NOW - timedelta(days=8))
    (msg,) = await tbot.send(OTHER, f"/start {code}")
    assert msg["text"].startswith("Mã liên kết đã hết hạn")
    assert tbot.official("CB010").telegram_user_id is None


async def test_lienket_with_a_code_argument(tbot):
    code = _invite(tbot, "CB007")
    (msg,) = await tbot.send(TAM, f"/lienket {code}")
    assert msg["text"].startswith("Đã liên kết tài khoản Telegram với Đặng Hữu Tâm")


async def test_relinking_shows_the_current_link_and_a_code_moves_the_account(tbot):
    tbot.link("CB007", TAM)
    (msg,) = await tbot.send(TAM, "/lienket")
    assert msg["text"].startswith("Tài khoản này đang liên kết với Đặng Hữu Tâm (CB007, Sở Nội vụ).")
    # Same phone again: already linked.
    push_contact(tbot.tg, TAM, TAM, "0979955606", contact_user_id=TAM)
    await until(lambda: len(tbot.replies(TAM)) >= 2, settle=tbot.application)
    assert tbot.replies(TAM)[1]["text"].startswith("Tài khoản này đã liên kết với Đặng Hữu Tâm.")
    # An administrator's code for another official moves this account there (audited on both).
    code = _invite(tbot, "CB008")
    (moved,) = await tbot.send(TAM, f"/start {code}")
    assert moved["text"].startswith("Đã liên kết tài khoản Telegram với Phạm Quang Sơn (CB008")
    assert tbot.official("CB007").telegram_user_id is None
    assert tbot.official("CB008").telegram_user_id == TAM
    assert any(a.note and "chuyển sang CB008" in a.note for a in tbot.audit("CB007"))


async def test_after_an_administrator_unlinks_the_account_tasks_are_refused_with_a_hint(tbot):
    from tasks.linking import unlink

    tbot.link("CB007", TAM)
    _header, card, *_ = await tbot.send(TAM, "/viec", n=2)
    with tbot.db.session() as s:
        assert unlink(s, "CB007", actor="cli")
    (msg,) = await tbot.send(TAM, "/viec")
    assert msg["text"] == texts.NOT_LINKED.replace("<b>", "").replace("</b>", "")
    assert "hủy" in msg["text"] and "/lienket" in msg["text"]
    # A button on an old card is refused too (the link is re-read on every press).
    data = next(b["callback_data"] for row in card["reply_markup"]["inline_keyboard"] for b in row)
    answer = await tbot.press(TAM, data, card["message_id"])
    assert answer["text"] == texts.NOT_LINKED_ALERT and answer["show_alert"]
    code = re.search(r"NV-\d+", card["text"]).group(0)
    assert any(a.actor == f"telegram:{TAM}" and a.note.startswith("Từ chối") for a in tbot.audit(code))


async def test_linking_in_a_group_points_to_the_private_chat_and_a_code_typed_there_is_revoked(tbot):
    group = -100500
    code = _invite(tbot, "CB010")
    (a,) = await tbot.send(group, "/lienket", user_id=OTHER, chat_type="supergroup")
    assert a["text"].startswith("Để bảo mật, việc liên kết tài khoản chỉ làm trong chat riêng")
    (url_button,) = [b for row in a["reply_markup"]["inline_keyboard"] for b in row]
    assert url_button["url"] == f"https://t.me/{tbot.tg.bot_username}?start=lienket"
    (b,) = await tbot.send(group, f"/start {code}", user_id=OTHER, chat_type="supergroup")
    assert b["text"].startswith("Mã liên kết chỉ dùng trong chat riêng")
    assert "đã bị huỷ vì đã lộ trong nhóm" in b["text"]
    assert tbot.official("CB010").telegram_user_id is None
    # A wrong code gets the very same reply (a group cannot be used to probe codes).
    (c,) = await tbot.send(group, "/lienket khong-phai-ma", user_id=OTHER + 1, chat_type="supergroup")
    assert c["text"] == b["text"]
    # A contact shared in a group is not used for linking.
    push_contact(tbot.tg, group, OTHER, "0951196413", contact_user_id=OTHER, chat_type="supergroup")
    # The code seen in the group no longer works, for anyone: another member cannot use it in private.
    (stolen,) = await tbot.send(OTHER + 2, f"/start {code}")
    assert stolen["text"].startswith("Mã liên kết này đã bị huỷ vì đã lộ trong nhóm chat.")
    assert tbot.official("CB010").telegram_user_id is None
    assert any(a.note == "Huỷ mã liên kết vì mã đã lộ trong nhóm" for a in tbot.audit("CB010"))
    # A new invitation works in private; the one it replaced is reported as replaced, not expired.
    older = _invite(tbot, "CB010")
    newer = _invite(tbot, "CB010")
    (replaced,) = await tbot.send(OTHER, f"/start {older}")
    assert "đã được thay bằng mã mới" in replaced["text"] and "hết hạn" not in replaced["text"]
    (private,) = await tbot.send(OTHER, f"/start {newer}")
    assert private["text"].startswith("Đã liên kết tài khoản Telegram với Lê Hồng Mai")


async def test_wrong_codes_are_throttled_per_account(tbot):
    from tasks.linking import MAX_FAILURES

    code = _invite(tbot, "CB010")
    for i in range(MAX_FAILURES):
        (wrong,) = await tbot.send(OTHER, f"/lienket doan-bua-{i}")
        assert wrong["text"].startswith("Mã liên kết không đúng")
    (locked,) = await tbot.send(OTHER, f"/lienket {code}")
    assert locked["text"].startswith(
        "Bạn đã nhập sai mã liên kết quá nhiều lần. Vui lòng thử lại sau 15 phút."
    )
    assert tbot.official("CB010").telegram_user_id is None
    assert len(tbot.audit(str(OTHER))) == MAX_FAILURES + 1
    # Someone else (e.g. the right official) is not locked out by it.
    (ok,) = await tbot.send(OTHER + 1, f"/lienket {code}")
    assert ok["text"].startswith("Đã liên kết tài khoản Telegram với Lê Hồng Mai")


async def test_start_lienket_payload_opens_the_link_prompt(tbot):
    (msg,) = await tbot.send(OTHER, "/start lienket")
    assert msg["text"].startswith("Liên kết tài khoản Telegram với hồ sơ cán bộ")
