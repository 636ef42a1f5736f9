"""The fake Telegram server, checked with python-telegram-bot's real ``Bot`` client."""

from __future__ import annotations

import asyncio
import json
import urllib.request

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Conflict, InvalidToken, NetworkError, RetryAfter

from tests.fakes.fake_telegram import FakeTelegram, parse_telegram_html


@pytest.fixture
async def client(fake_telegram: FakeTelegram):
    async with Bot(fake_telegram.token, base_url=fake_telegram.api_url) as bot:
        yield bot


async def test_get_me_describes_the_bot(client, fake_telegram):
    me = await client.get_me()
    assert me.id == fake_telegram.bot_id and me.username == fake_telegram.bot_username and me.is_bot


async def test_wrong_token_is_rejected(fake_telegram):
    with pytest.raises(InvalidToken):
        async with Bot("1:wrong", base_url=fake_telegram.api_url):
            pass
    assert fake_telegram.call_log("getMe")[-1].status == 401


async def test_get_updates_long_polls_and_honours_offsets(client, fake_telegram):
    assert await client.get_updates(timeout=0) == ()
    fake_telegram.push_message(10, 20, "/start")
    fake_telegram.push_message(10, 20, "NQ 57?")
    ups = await client.get_updates(timeout=1)
    assert [u.message.text for u in ups] == ["/start", "NQ 57?"]
    assert ups[0].message.entities[0].type == "bot_command"
    # Not confirmed yet: returned again; offset = last + 1 confirms them.
    assert len(await client.get_updates(timeout=0)) == 2
    assert await client.get_updates(offset=ups[-1].update_id + 1, timeout=0) == ()
    # A long poll returns as soon as an update arrives.
    loop = asyncio.get_running_loop()
    loop.call_later(0.3, fake_telegram.push_message, 10, 20, "muộn")
    t0 = loop.time()
    (late,) = await client.get_updates(offset=ups[-1].update_id + 1, timeout=5)
    assert late.message.text == "muộn" and loop.time() - t0 < 2


async def test_send_message_parses_html_like_telegram(client, fake_telegram):
    fake_telegram.push_message(10, 20, "hi")
    msg = await client.send_message(10, "<b>Đậm</b> &amp; &lt;thường&gt;", parse_mode=ParseMode.HTML)
    assert msg.text == "Đậm & <thường>"
    assert msg.entities[0].type == "bold" and msg.entities[0].length == 3
    (sent,) = fake_telegram.sent_messages(10)
    assert sent["html"] == "<b>Đậm</b> &amp; &lt;thường&gt;" and sent["parse_mode"] == "HTML"


@pytest.mark.parametrize(
    "bad",
    [
        "a < b",
        "a & b",
        "AT&T",
        "<b>không đóng",
        "<b><i>x</b></i>",
        "<script>x</script>",
        "</b>",
        "x <",
        "&nbsp;",
    ],
)
async def test_unparseable_html_is_a_400(client, fake_telegram, bad):
    fake_telegram.push_message(10, 20, "hi")
    with pytest.raises(BadRequest, match=r"(?i)parse entities"):
        await client.send_message(10, bad, parse_mode=ParseMode.HTML)


async def test_too_long_empty_and_unknown_chat_are_400(client, fake_telegram):
    fake_telegram.push_message(10, 20, "hi")
    await client.send_message(10, "ạ" * 4096)
    with pytest.raises(BadRequest, match=r"(?i)too long"):
        await client.send_message(10, "ạ" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)too long"):
        await client.send_message(10, "😀" * 2049)  # counted in UTF-16 units, like Telegram
    with pytest.raises(BadRequest, match=r"(?i)empty"):
        await client.send_message(10, "<b> </b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await client.send_message(999, "ai đó?")


async def test_callback_data_over_64_bytes_is_rejected(client, fake_telegram):
    fake_telegram.push_message(10, 20, "hi")
    ok = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="x" * 64)]])
    await client.send_message(10, "a", reply_markup=ok)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("no", callback_data="đ" * 33)]])
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await client.send_message(10, "b", reply_markup=too_long)


async def test_injected_failures_429_and_5xx(client, fake_telegram):
    fake_telegram.push_message(10, 20, "hi")
    fake_telegram.fail_next(1, status=429, retry_after=3, method="sendMessage")
    await client.send_chat_action(10, ChatAction.TYPING)  # other methods are not affected
    with pytest.raises(RetryAfter) as exc:
        await client.send_message(10, "a")
    assert exc.value.retry_after in (3, 3.0) or exc.value.retry_after.total_seconds() == 3
    fake_telegram.fail_next(2, status=503)
    for _ in range(2):
        with pytest.raises(NetworkError):
            await client.get_me()
    assert (await client.send_message(10, "b")).text == "b"
    assert [c.status for c in fake_telegram.call_log("sendMessage")] == [429, 200]


async def test_edits_callbacks_chat_actions_and_files(client, fake_telegram):
    fake_telegram.push_message(10, 20, "hi")
    kb = InlineKeyboardMarkup([[InlineKeyboardButton("👍", callback_data="fb:1:u")]])
    msg = await client.send_message(10, "gốc", reply_markup=kb)
    edited = await client.edit_message_text(
        "<i>mới</i>", chat_id=10, message_id=msg.message_id, parse_mode="HTML"
    )
    assert edited.text == "mới"
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await client.edit_message_reply_markup(chat_id=10, message_id=msg.message_id, reply_markup=None)
    await client.edit_message_reply_markup(chat_id=10, message_id=msg.message_id, reply_markup=kb)
    (sent,) = fake_telegram.sent_messages(10)
    assert sent["text"] == "mới" and sent["edits"] == 2 and sent["reply_markup"]["inline_keyboard"]

    qid = fake_telegram.push_callback(10, 20, "fb:1:u", msg.message_id)
    (update,) = await client.get_updates(offset=2, timeout=1)
    assert (
        update.callback_query.data == "fb:1:u" and update.callback_query.message.message_id == msg.message_id
    )
    assert await client.answer_callback_query(qid, text="Cảm ơn!")
    with pytest.raises(BadRequest, match=r"(?i)query"):
        await client.answer_callback_query(qid, text="lần hai")
    assert fake_telegram.callback_answers == [
        {"callback_query_id": qid, "text": "Cảm ơn!", "show_alert": False}
    ]

    assert await client.send_chat_action(10, ChatAction.TYPING)
    photo = await client.send_photo(10, photo=b"\x89PNG fake", caption="<b>ảnh</b>", parse_mode="HTML")
    assert photo.photo and photo.caption == "ảnh"
    doc = await client.send_document(10, document=b"%PDF-1.4", filename="bao-cao.pdf", caption="Báo cáo")
    assert doc.document.file_name == "bao-cao.pdf"
    with pytest.raises(BadRequest, match=r"(?i)parse entities"):
        await client.send_photo(10, photo=b"x", caption="a < b", parse_mode="HTML")


async def test_commands_and_webhook_management(client, fake_telegram):
    from telegram import BotCommand

    await client.set_my_commands([BotCommand("hoi", "Hỏi về văn bản")])
    assert [c.command for c in await client.get_my_commands()] == ["hoi"]
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await client.set_my_commands([BotCommand("Hỏi", "dấu không hợp lệ")])
    assert (await client.get_webhook_info()).url == ""
    await client.set_webhook("https://example.vn/hook", secret_token="bi-mat")
    info = await client.get_webhook_info()
    assert info.url == "https://example.vn/hook"
    assert fake_telegram.webhook["secret_token"] == "bi-mat"
    with pytest.raises(Conflict):
        await client.get_updates(timeout=0)
    await client.delete_webhook()
    assert await client.get_updates(timeout=0) == ()


def test_accepts_json_and_query_string_requests(fake_telegram):
    url = f"{fake_telegram.api_url}{fake_telegram.token}"
    fake_telegram.push_message(3, 3, "hi")
    req = urllib.request.Request(
        f"{url}/sendMessage",
        data=json.dumps({"chat_id": 3, "text": "<u>json</u>", "parse_mode": "HTML"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        body = json.load(resp)
    assert body["ok"] and body["result"]["text"] == "json"
    with urllib.request.urlopen(f"{url}/getMe", timeout=5) as resp:
        assert json.load(resp)["result"]["username"] == fake_telegram.bot_username
    assert fake_telegram.calls[-1] == ("getMe", {})


def test_webhook_delivery_posts_updates_with_the_secret_header(fake_telegram):
    """The fake POSTs pushed updates to the registered webhook, with Telegram's secret header."""
    from aiohttp import web

    received: list[tuple[str | None, dict]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.Response(text="ok")

    with FakeTelegram() as receiver_host:  # reuse its loop/thread to host a tiny receiver

        async def serve() -> tuple[web.AppRunner, int]:
            app = web.Application()
            app.router.add_post("/hook", hook)
            runner = web.AppRunner(app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            return runner, site._server.sockets[0].getsockname()[1]

        runner, port = asyncio.run_coroutine_threadsafe(serve(), receiver_host._loop).result(5)
        fake_telegram.webhook = {"url": f"http://127.0.0.1:{port}/hook", "secret_token": "s3cret"}
        fake_telegram.push_message(4, 4, "qua webhook")
        fake_telegram.wait_for(lambda: fake_telegram.webhook_deliveries, timeout=10)
        assert fake_telegram.webhook_deliveries[0]["status"] == 200
        assert received[0][0] == "s3cret" and received[0][1]["message"]["text"] == "qua webhook"
        assert fake_telegram.post_to_webhook({"update_id": 99}, secret_token=None) == 200
        assert received[-1] == (None, {"update_id": 99})
        asyncio.run_coroutine_threadsafe(runner.cleanup(), receiver_host._loop).result(5)


def test_html_parser_entities_use_utf16_offsets():
    text, entities = parse_telegram_html('😀 <b>đậm</b> <a href="https://x.vn/?a=1&amp;b=2">link</a>')
    assert text == "😀 đậm link"
    assert entities[0] == {"type": "bold", "offset": 3, "length": 3}
    assert entities[1]["type"] == "text_link" and entities[1]["url"] == "https://x.vn/?a=1&b=2"
