"""A local fake of the Telegram Bot API, for driving the real bot (in-process or as a subprocess).

It serves ``/bot<token>/<method>`` on 127.0.0.1 (a free port) from an aiohttp server running in a background
thread with its own event loop, so that synchronous tests, async tests and child processes can all use it::

    with FakeTelegram() as tg:
        env["TELEGRAM_API_BASE_URL"] = tg.api_url         # f"{tg.base_url}/bot"
        env["TELEGRAM_BOT_TOKEN"] = tg.token
        ...start the bot...
        tg.push_message(chat_id=1, user_id=1, text="/start")
        tg.wait_for(lambda: tg.sent_messages(chat_id=1), timeout=10)

Like Telegram it answers 400 for a text over 4096 characters (after entity parsing) and for HTML it cannot
parse (an unescaped ``<`` or ``&``, an unknown or unbalanced tag), checks callback data (≤ 64 bytes), and can
be told to fail the next N calls with 429 (``retry_after``) or a 5xx (``fail_next``), to fail every call for a
while (``fail_for``: a 429 storm), to hold calls (``delay_next``, ``latency``: hung requests and lost
responses), and to refuse chosen chats (403 bot
blocked, 400 chat not found: ``refuse_chat``). PTB posts form fields whose values are
JSON-encoded (strings are sent as they are); JSON bodies and query strings are accepted too.

Files: a document or photo pushed with ``push_media(..., content=b"…")`` is registered under its ``file_id``;
``getFile`` answers its ``file_path`` (400 "file is too big" over the Bot API's 20 MB, as Telegram does) and
``/file/bot<token>/<file_path>`` serves the bytes (``downloads`` lists what was fetched).

Webhook mode: ``setWebhook`` records the URL and secret; from then on every pushed update is POSTed to that
URL with the ``X-Telegram-Bot-Api-Secret-Token`` header (retried while the bot is not listening yet, as
Telegram does), and ``getUpdates`` answers 409 as Telegram does while a webhook is set. ``pushed_updates``
(and ``update_id_of_message`` / ``update_id_of_callback``) tell which update carried what, e.g. to find
which bot process a proxy handed it to. Every call is logged with its arrival time (``Call.at``,
``time.monotonic()``), for rate checks.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from aiohttp import web

from tests.fakes.loop_thread import start_loop_thread

T = TypeVar("T")

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # the Bot API serves files up to 20 MB (getFile refuses larger ones)

# Parameters whose values PTB sends as raw strings (everything else is JSON-encoded).
_STRING_PARAMS = {
    "text",
    "caption",
    "parse_mode",
    "url",
    "secret_token",
    "callback_query_id",
    "inline_message_id",
    "action",
    "language_code",
    "ip_address",
    "business_connection_id",
    "message_effect_id",
    "emoji",
    "photo",
    "document",
    "sticker",
    "voice",
    "audio",
    "video",
    "animation",
    "thumbnail",
    "description",
    "short_description",
    "name",
    "title",
}

# Telegram's HTML tags (https://core.telegram.org/bots/api#html-style) and the entity each makes.
_TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_MENTION_RE = re.compile(r"@[A-Za-z0-9_]{3,32}")


def png_size(data: bytes) -> tuple[int, int] | tuple[None, None]:
    """(width, height) of PNG bytes, read from the IHDR chunk; (None, None) for anything else."""
    if len(data) >= 24 and data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return None, None


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class TelegramHTMLError(ValueError):
    pass


class _TelegramHTMLParser(HTMLParser):
    """Parses Telegram's HTML subset into plain text + entities, rejecting what Telegram rejects."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.text: list[str] = []
        self.length = 0  # UTF-16 units so far
        self.stack: list[tuple[str, int, dict[str, str | None]]] = []
        self.entities: list[dict[str, Any]] = []

    def _append(self, s: str) -> None:
        self.text.append(s)
        self.length += utf16_len(s)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag not in _TAG_ENTITY:
            raise TelegramHTMLError(f'Unsupported start tag "{tag}" at byte offset {self.getpos()[1]}')
        if tag == "span" and a.get("class") != "tg-spoiler":
            raise TelegramHTMLError('Tag "span" must have class "tg-spoiler"')
        if tag == "a" and not a.get("href"):
            raise TelegramHTMLError('Tag "a" must have attribute "href"')
        self.stack.append((tag, self.length, a))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise TelegramHTMLError(f'Unsupported self-closing tag "{tag}"')

    def handle_endtag(self, tag: str) -> None:
        if not self.stack:
            raise TelegramHTMLError(f'Unexpected end tag "{tag}"')
        open_tag, start, attrs = self.stack.pop()
        if open_tag != tag:
            raise TelegramHTMLError(f'Can\'t find end tag corresponding to start tag "{open_tag}"')
        length = self.length - start
        if length > 0:
            ent: dict[str, Any] = {"type": _TAG_ENTITY[tag], "offset": start, "length": length}
            if tag == "a":
                ent["url"] = attrs.get("href")
            if tag == "pre" and attrs.get("language"):
                ent["language"] = attrs["language"]
            self.entities.append(ent)

    def handle_data(self, data: str) -> None:
        if "<" in data:
            raise TelegramHTMLError('Unexpected character "<": use &lt; for a literal <')
        if "&" in data:
            raise TelegramHTMLError('Unexpected character "&": use &amp; for a literal &')
        self._append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in _NAMED_ENTITIES:
            raise TelegramHTMLError(f'Unsupported HTML entity "&{name};"')
        self._append(_NAMED_ENTITIES[name])

    def handle_charref(self, name: str) -> None:
        try:
            code = int(name[1:], 16) if name.lower().startswith("x") else int(name)
            self._append(chr(code))
        except (ValueError, OverflowError) as exc:
            raise TelegramHTMLError(f'Bad character reference "&#{name};"') from exc

    def handle_comment(self, data: str) -> None:
        raise TelegramHTMLError("Comments are not supported")

    def handle_decl(self, decl: str) -> None:
        raise TelegramHTMLError("Declarations are not supported")

    def handle_pi(self, data: str) -> None:
        raise TelegramHTMLError("Processing instructions are not supported")

    def unknown_decl(self, data: str) -> None:
        raise TelegramHTMLError("Unsupported declaration")


def parse_telegram_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities of Telegram HTML; raises TelegramHTMLError where Telegram answers 400."""
    # Python's parser silently drops an entity reference that is not terminated by ";": Telegram does not.
    for m in re.finditer(r"&(#?\w*)(;?)", source):
        if not m.group(2):
            raise TelegramHTMLError('Unexpected character "&": use &amp; for a literal &')
    p = _TelegramHTMLParser()
    p.feed(source)
    p.close()
    if p.rawdata:  # an incomplete tag such as "a <b" at the very end
        raise TelegramHTMLError(f'Unclosed tag or stray "<" near {p.rawdata[:20]!r}')
    if p.stack:
        raise TelegramHTMLError(f'Can\'t find end tag corresponding to start tag "{p.stack[-1][0]}"')
    text = "".join(p.text)
    # Telegram trims leading and trailing whitespace.
    stripped = text.strip()
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    entities = []
    for e in sorted(p.entities, key=lambda e: (e["offset"], -e["length"])):
        start = max(0, e["offset"] - lead)
        end = min(total, e["offset"] + e["length"] - lead)
        if end > start:
            entities.append({**e, "offset": start, "length": end - start})
    return stripped, entities


class ApiError(Exception):
    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int = 200
    at: float = field(default_factory=time.monotonic)
    error: str | None = None


@dataclass
class _Failure:
    remaining: int
    status: int
    retry_after: int
    method: str | None


RUNNING: list[FakeTelegram] = []  # started and not yet stopped (tests find "their" server by URL)


class FakeTelegram:
    """The fake Bot API server. Thread-safe accessors; start()/stop() or use as a context manager."""

    def __init__(
        self,
        token: str = "123456789:AAFakeTelegramTokenForTests_0123456789",
        *,
        bot_id: int | None = None,
        bot_username: str = "troly_test_bot",
        bot_name: str = "Trợ lý công vụ (thử)",
        host: str = "127.0.0.1",
    ) -> None:
        self.token = token
        self.bot_id = bot_id if bot_id is not None else int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_name = bot_name
        self.host = host
        self.port: int | None = None
        self._cond = threading.Condition(threading.RLock())
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._updates_event: asyncio.Event | None = None
        self._stopping = False
        self._client: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Future] = set()
        self.reset()

    # -- lifecycle -------------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every call, update and message (the server keeps running)."""
        with self._cond:
            self._calls: list[Call] = []
            self._updates: list[dict[str, Any]] = []
            self._pushed: list[dict[str, Any]] = []  # every update pushed, in order (polling or webhook)
            self._update_ids = itertools.count(1)
            self._msg_ids: dict[int, itertools.count] = {}
            self._messages: dict[tuple[int, int], dict[str, Any]] = {}
            self._bot_messages: list[dict[str, Any]] = []
            self._chats: dict[int, dict[str, Any]] = {}
            self._callback_ids: set[str] = set()
            self._callback_seq = itertools.count(1)
            self.callback_answers: list[dict[str, Any]] = []
            self._failures: list[_Failure] = []
            self._storms: list[
                tuple[float, int, int, str | None]
            ] = []  # (until, status, retry_after, method)
            self._delays: list[list[Any]] = []  # [remaining, seconds, method]: slow answers
            self.latency = 0.0  # seconds every call waits before it is handled (a slow network)
            self._refused: dict[int, int] = {}  # chat id -> 403 (bot blocked) or 400 (chat not found)
            self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
            self.webhook: dict[str, Any] = {}
            self.webhook_deliveries: list[dict[str, Any]] = []
            self._files: dict[str, dict[str, Any]] = {}  # file_id -> {"content", "size", "path"}
            self.downloads: list[str] = []  # file paths fetched from /file/bot<token>/…
            self._cond.notify_all()

    def start(self) -> FakeTelegram:
        self._loop, self._thread = start_loop_thread(self._serve, self._shutdown, "fake-telegram")
        if self.port is None:
            raise RuntimeError("fake Telegram server did not start")
        RUNNING.append(self)
        return self

    async def _serve(self) -> None:
        self._updates_event = asyncio.Event()
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/file/bot{token}/{path:.*}", self._handle_file)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
        self.port = sockets[0].getsockname()[1]
        self._client = aiohttp.ClientSession()

    async def _shutdown(self) -> None:
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def stop(self) -> None:
        if self in RUNNING:
            RUNNING.remove(self)
        if self._loop is None or self._thread is None:
            return
        self._stopping = True
        loop = self._loop
        loop.call_soon_threadsafe(self._wake)
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(10)
        self._loop = None
        self._thread = None

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """What to set TELEGRAM_API_BASE_URL to (PTB's ``base_url``: the token is appended)."""
        return f"{self.base_url}/bot"

    def _wake(self) -> None:
        if self._updates_event is not None:
            self._updates_event.set()

    def _notify(self) -> None:
        with self._cond:
            self._cond.notify_all()

    # -- test API: making updates ----------------------------------------------------------------------

    def _next_message_id(self, chat_id: int) -> int:
        with self._cond:
            counter = self._msg_ids.setdefault(chat_id, itertools.count(1))
            return next(counter)

    def _chat(
        self,
        chat_id: int,
        chat_type: str = "private",
        title: str | None = None,
        user: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        with self._cond:
            chat = self._chats.get(chat_id)
            if chat is None:
                if chat_type == "private":
                    chat = {
                        "id": chat_id,
                        "type": "private",
                        "first_name": (user or {}).get("first_name", "Cán bộ"),
                    }
                    if user and user.get("username"):
                        chat["username"] = user["username"]
                else:
                    chat = {"id": chat_id, "type": chat_type, "title": title or f"Nhóm {chat_id}"}
                self._chats[chat_id] = chat
            return chat

    def bot_user(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": self.bot_name, "username": self.bot_username}

    @staticmethod
    def _user(user_id: int, username: str | None, first_name: str | None) -> dict[str, Any]:
        user: dict[str, Any] = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name or f"Cán bộ {user_id}",
            "language_code": "vi",
        }
        if username:
            user["username"] = username
        return user

    @staticmethod
    def auto_entities(text: str) -> list[dict[str, Any]]:
        """The entities Telegram would detect: a leading /command and @mentions (UTF-16 offsets)."""
        entities = []
        m = re.match(r"/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?", text)
        if m:
            entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(m.group(0))})
        for m in _MENTION_RE.finditer(text):
            if m.start() > 0 and text[m.start() - 1] not in " \n\t,.;:!?(":
                continue  # part of /cmd@bot or an e-mail address
            entities.append(
                {"type": "mention", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group(0))}
            )
        return entities

    def _base_message(
        self,
        chat_id: int,
        user_id: int,
        *,
        chat_type: str,
        username: str | None,
        first_name: str | None,
        chat_title: str | None,
        reply_to_bot: bool,
        reply_to_message_id: int | None,
        message_thread_id: int | None,
    ) -> dict[str, Any]:
        user = self._user(user_id, username, first_name)
        chat = self._chat(chat_id, chat_type, chat_title, user)
        msg: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": chat,
            "from": user,
        }
        if message_thread_id is not None:
            msg["message_thread_id"] = message_thread_id
            msg["is_topic_message"] = True
        reply = None
        with self._cond:
            if reply_to_message_id is not None:
                reply = self._messages.get((chat_id, reply_to_message_id))
            elif reply_to_bot:
                mine = [m for m in self._bot_messages if m["chat"]["id"] == chat_id]
                reply = mine[-1] if mine else None
                if reply is None:
                    reply = {
                        "message_id": self._next_message_id(chat_id),
                        "date": int(time.time()),
                        "chat": chat,
                        "from": self.bot_user(),
                        "text": "Xin chào!",
                    }
        if reply is not None:
            msg["reply_to_message"] = {k: v for k, v in reply.items() if k != "reply_to_message"}
        return msg

    def push_message(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        chat_type: str = "private",
        username: str | None = None,
        reply_to_bot: bool = False,
        entities: list[dict[str, Any]] | None = None,
        *,
        first_name: str | None = None,
        chat_title: str | None = None,
        reply_to_message_id: int | None = None,
        message_thread_id: int | None = None,
    ) -> dict[str, Any]:
        """Queue a text message from a user (entities are detected as Telegram would, unless given)."""
        msg = self._base_message(
            chat_id,
            user_id,
            chat_type=chat_type,
            username=username,
            first_name=first_name,
            chat_title=chat_title,
            reply_to_bot=reply_to_bot,
            reply_to_message_id=reply_to_message_id,
            message_thread_id=message_thread_id,
        )
        msg["text"] = text
        ents = self.auto_entities(text) if entities is None else entities
        if ents:
            msg["entities"] = ents
        with self._cond:
            self._messages[(chat_id, msg["message_id"])] = msg
        self.push_update({"message": msg})
        return msg

    def push_media(
        self,
        chat_id: int,
        user_id: int,
        kind: str,
        chat_type: str = "private",
        *,
        caption: str | None = None,
        username: str | None = None,
        reply_to_bot: bool = False,
        content: bytes | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
        file_size: int | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        """Queue a non-text message: sticker, photo, voice, audio, video, document, animation, location…

        A document or photo is downloadable (`getFile`, then the file URL): ``content`` (default a few bytes),
        ``file_name`` / ``mime_type`` of a document, ``file_size`` as Telegram reports it (default the
        content's length; a larger one makes `getFile` refuse, as for a real file over 20 MB)."""
        msg = self._base_message(
            chat_id,
            user_id,
            chat_type=chat_type,
            username=username,
            first_name=None,
            chat_title=None,
            reply_to_bot=reply_to_bot,
            reply_to_message_id=reply_to_message_id,
            message_thread_id=None,
        )
        fid = {"file_id": f"file-{kind}-{msg['message_id']}", "file_unique_id": f"u{msg['message_id']}"}
        data = b"fake file content" if content is None else content
        size = len(data) if file_size is None else file_size
        if kind in ("document", "photo"):
            fid["file_size"] = size
            suffix = ".jpg" if kind == "photo" else ""
            with self._cond:
                self._files[fid["file_id"]] = {
                    "content": data, "size": size, "path": f"{kind}s/{fid['file_id']}{suffix}",
                }  # fmt: skip
        payloads: dict[str, Any] = {
            "sticker": {
                **fid,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": "👍",
            },
            "photo": [{**fid, "width": 90, "height": 90}, {**fid, "width": 800, "height": 800}],
            "voice": {**fid, "duration": 3, "mime_type": "audio/ogg"},
            "audio": {**fid, "duration": 30},
            "video": {**fid, "width": 640, "height": 360, "duration": 5},
            "video_note": {**fid, "length": 240, "duration": 5},
            "animation": {**fid, "width": 320, "height": 240, "duration": 2},
            "document": {
                **fid,
                "file_name": file_name or "van-ban.pdf",
                "mime_type": mime_type or "application/pdf",
            },
            "location": {"latitude": 21.0285, "longitude": 105.8542},
            "contact": {"phone_number": "+84900000000", "first_name": "Cán bộ", "user_id": user_id},
        }
        if kind not in payloads:
            raise ValueError(f"unknown media kind {kind!r}")
        msg[kind] = payloads[kind]
        if caption is not None:
            msg["caption"] = caption
            ents = self.auto_entities(caption)
            if ents:
                msg["caption_entities"] = [e for e in ents if e["type"] == "mention"]
        with self._cond:
            self._messages[(chat_id, msg["message_id"])] = msg
        self.push_update({"message": msg})
        return msg

    def push_document(
        self,
        chat_id: int,
        user_id: int,
        file_name: str,
        content: bytes,
        *,
        caption: str | None = None,
        mime_type: str = "application/octet-stream",
        chat_type: str = "private",
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        """Queue a message carrying a file a user sent; ``getFile`` and the file URL then serve ``content``.

        A caption starting with a command gets its ``bot_command`` entity, as Telegram sends it."""
        msg = self._base_message(
            chat_id, user_id, chat_type=chat_type, username=None, first_name=None, chat_title=None,
            reply_to_bot=False, reply_to_message_id=reply_to_message_id, message_thread_id=None,
        )  # fmt: skip
        file_id = f"doc-{chat_id}-{msg['message_id']}"
        msg["document"] = {
            "file_id": file_id, "file_unique_id": f"ud{chat_id}x{msg['message_id']}", "file_name": file_name,
            "mime_type": mime_type, "file_size": len(content),
        }  # fmt: skip
        if caption is not None:
            msg["caption"] = caption
            ents = self.auto_entities(caption)
            if ents:
                msg["caption_entities"] = ents
        with self._cond:
            self._files[file_id] = {
                "content": content, "size": len(content), "path": f"documents/{file_id}{Path(file_name).suffix}",
            }  # fmt: skip
            self._messages[(chat_id, msg["message_id"])] = msg
        self.push_update({"message": msg})
        return msg

    def push_callback(
        self, chat_id: int, user_id: int, data: str, message_id: int, *, username: str | None = None
    ) -> str:
        """Queue a button press on the bot's message ``message_id``; returns the callback query id."""
        with self._cond:
            message = self._messages.get((chat_id, message_id))
            if message is None:
                raise KeyError(f"no message {message_id} in chat {chat_id}")
            qid = f"cq{next(self._callback_seq)}"
            self._callback_ids.add(qid)
        query = {
            "id": qid,
            "from": self._user(user_id, username, None),
            "message": message,
            "chat_instance": f"ci{chat_id}",
            "data": data,
        }
        self.push_update({"callback_query": query})
        return qid

    def push_update(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update (``update_id`` is assigned when missing); delivered by webhook if one is set."""
        with self._cond:
            update = dict(raw)
            if "update_id" not in update:
                update["update_id"] = next(self._update_ids)
            webhook = dict(self.webhook) if self.webhook.get("url") else None
            self._pushed.append(update)
            if webhook is None:
                self._updates.append(update)
            self._cond.notify_all()
        loop = self._loop
        if loop is not None:
            if webhook is not None:
                asyncio.run_coroutine_threadsafe(self._deliver(update, webhook), loop)
            else:
                loop.call_soon_threadsafe(self._wake)
        return update

    async def _deliver(self, update: dict[str, Any], webhook: dict[str, Any], attempts: int = 60) -> None:
        headers = {"Content-Type": "application/json"}
        if webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = webhook["secret_token"]
        status: int | None = None
        error: str | None = None
        for _ in range(attempts):
            try:
                assert self._client is not None
                async with self._client.post(
                    webhook["url"], data=json.dumps(update), headers=headers
                ) as resp:
                    status = resp.status
                    error = None
                    break
            except aiohttp.ClientError as exc:
                error = repr(exc)
                await asyncio.sleep(0.25)
        with self._cond:
            self.webhook_deliveries.append(
                {"update_id": update["update_id"], "status": status, "error": error}
            )
            self._cond.notify_all()

    def post_to_webhook(self, raw: dict[str, Any], *, secret_token: str | None, timeout: float = 10) -> int:
        """POST one update to the registered webhook with the given secret header; returns the HTTP status."""
        url = self.webhook.get("url")
        if not url or self._loop is None:
            raise RuntimeError("no webhook set")

        async def post() -> int:
            headers = {"Content-Type": "application/json"}
            if secret_token is not None:
                headers["X-Telegram-Bot-Api-Secret-Token"] = secret_token
            assert self._client is not None
            async with self._client.post(url, data=json.dumps(raw), headers=headers) as resp:
                return resp.status

        return asyncio.run_coroutine_threadsafe(post(), self._loop).result(timeout)

    def post_raw_to_webhook(self, body: bytes, *, secret_token: str | None, timeout: float = 10) -> int:
        """POST raw bytes (e.g. malformed JSON) as ``application/json`` to the webhook; returns the status."""
        url = self.webhook.get("url")
        if not url or self._loop is None:
            raise RuntimeError("no webhook set")

        async def post() -> int:
            headers = {"Content-Type": "application/json"}
            if secret_token is not None:
                headers["X-Telegram-Bot-Api-Secret-Token"] = secret_token
            assert self._client is not None
            async with self._client.post(url, data=body, headers=headers) as resp:
                return resp.status

        return asyncio.run_coroutine_threadsafe(post(), self._loop).result(timeout)

    # -- test API: failures ----------------------------------------------------------------------------

    def refuse_chat(self, chat_id: int, status: int = 403) -> None:
        """From now on every call to ``chat_id`` fails as Telegram does for a blocked bot (403 "Forbidden: bot
        was blocked by the user") or a chat that is gone (400 "Bad Request: chat not found").
        ``accept_chat`` undoes it (the user unblocked the bot)."""
        if status not in (400, 403):
            raise ValueError("status must be 400 or 403")
        with self._cond:
            self._refused[int(chat_id)] = status

    def accept_chat(self, chat_id: int) -> None:
        with self._cond:
            self._refused.pop(int(chat_id), None)

    def fail_next(self, n: int, status: int = 429, retry_after: int = 1, method: str | None = None) -> None:
        """Answer the next ``n`` calls (of ``method``, or of any method) with ``status`` (429 or a 5xx)."""
        with self._cond:
            self._failures.append(_Failure(n, status, retry_after, method.lower() if method else None))

    def fail_for(
        self, seconds: float, status: int = 429, retry_after: int = 1, method: str | None = None
    ) -> None:
        """For the next ``seconds``, answer every call (of ``method``, or any) with ``status`` (a 429 storm
        with a fixed ``retry_after``, or a 5xx outage)."""
        with self._cond:
            until = time.monotonic() + seconds
            self._storms.append((until, status, retry_after, method.lower() if method else None))

    def delay_next(self, n: int, seconds: float, method: str | None = None) -> None:
        """Hold the next ``n`` calls (of ``method``) for ``seconds`` before handling them: with a client
        timeout shorter than that, a hung request — and since the call is then handled anyway, a message
        Telegram accepted whose answer the bot never saw (a lost response)."""
        with self._cond:
            self._delays.append([n, seconds, method.lower() if method else None])

    # -- test API: observing ---------------------------------------------------------------------------

    @property
    def calls(self) -> list[tuple[str, dict[str, Any]]]:
        with self._cond:
            return [(c.method, c.params) for c in self._calls]

    def call_log(self, method: str | None = None) -> list[Call]:
        with self._cond:
            return [c for c in self._calls if method is None or c.method.lower() == method.lower()]

    def sent_messages(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Messages the bot sent (current state, after edits): text is the plain text the user sees,
        ``html`` what the bot posted."""
        with self._cond:
            return [dict(m) for m in self._bot_messages if chat_id is None or m["chat"]["id"] == chat_id]

    def uploads(self, method: str | None = None, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Files the bot uploaded in accepted calls (sendPhoto, sendDocument…), oldest first: ``method``,
        ``chat_id``, ``field`` ("photo", "document"…), ``filename``, ``content_type`` and ``content`` (bytes)."""
        found = []
        for call in self.call_log(method):
            if call.status != 200 or (
                chat_id is not None and str(call.params.get("chat_id")) != str(chat_id)
            ):
                continue
            for key, value in call.params.items():
                if isinstance(value, dict) and isinstance(value.get("content"), bytes):
                    found.append(
                        {
                            "method": call.method,
                            "chat_id": call.params.get("chat_id"),
                            "field": key,
                            "filename": value.get("filename"),
                            "content_type": value.get("content_type"),
                            "content": value["content"],
                            "caption": call.params.get("caption"),
                        }
                    )
        return found

    def pushed_updates(self) -> list[dict[str, Any]]:
        """Every update pushed so far (with its ``update_id``), oldest first."""
        with self._cond:
            return list(self._pushed)

    def update_id_of_message(self, chat_id: int, message_id: int) -> int | None:
        """The ``update_id`` of the pushed update carrying the user's message ``message_id`` in ``chat_id``."""
        for u in self.pushed_updates():
            m = u.get("message")
            if m and m["chat"]["id"] == chat_id and m["message_id"] == message_id:
                return u["update_id"]
        return None

    def update_id_of_callback(self, query_id: str) -> int | None:
        """The ``update_id`` of the pushed button press whose callback query id is ``query_id``."""
        return next(
            (
                u["update_id"]
                for u in self.pushed_updates()
                if (u.get("callback_query") or {}).get("id") == query_id
            ),
            None,
        )

    def pending_updates(self) -> int:
        """Updates a polling bot has not acknowledged yet (fetched updates are dropped at its next call)."""
        with self._cond:
            return len(self._updates)

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        with self._cond:
            m = self._messages.get((chat_id, message_id))
            return dict(m) if m else None

    def wait_for(self, predicate: Callable[[], T], timeout: float = 10.0) -> T:
        """Wait until ``predicate()`` is truthy and return its value; TimeoutError (with the recent calls)."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                recent = [(c.method, c.status, c.error) for c in self.call_log()[-15:]]
                raise TimeoutError(f"condition not met within {timeout:.1f} s; recent calls: {recent}")
            with self._cond:
                self._cond.wait(min(remaining, 0.05))

    # -- HTTP ------------------------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        raw: dict[str, Any] = dict(request.query)
        ctype = request.content_type
        if request.can_read_body:
            if ctype == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    return {**raw, **body}
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        content = value.file.read()
                        raw[key] = {
                            "filename": value.filename,
                            "size": len(content),
                            "content_type": value.content_type,
                            "content": content,  # kept for the tests (`uploads`)
                        }
                    else:
                        raw[key] = value
        params: dict[str, Any] = {}
        for key, value in raw.items():
            if isinstance(value, str) and key not in _STRING_PARAMS:
                try:
                    params[key] = json.loads(value)
                except ValueError:
                    params[key] = value
            else:
                params[key] = value
        return params

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        with self._cond:
            self.downloads.append(path)
            found = next((f for f in self._files.values() if f["path"] == path), None)
        if request.match_info["token"] != self.token:
            return web.Response(status=401, text="Unauthorized")
        return web.Response(body=found["content"] if found else b"fake file content")

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        try:
            params = await self._params(request)
        except Exception as exc:
            return self._error(400, f"Bad Request: can't parse request: {exc}")
        delay = self.latency
        with self._cond:
            for d in self._delays:
                if d[0] > 0 and (d[2] is None or d[2] == method.lower()):
                    d[0] -= 1
                    delay += d[1]
                    break
        if delay > 0:
            await asyncio.sleep(delay)  # the simulated network or server time of this call
        call = Call(method, params)
        with self._cond:
            self._calls.append(call)
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            self._maybe_fail(method)
            handler = getattr(self, f"_api_{method.lower()}", None)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            result = await handler(params)
            response = web.json_response({"ok": True, "result": result})
        except ApiError as exc:
            call.status, call.error = exc.status, exc.description
            response = self._error(exc.status, exc.description, exc.parameters)
        self._notify()
        return response

    @staticmethod
    def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=status)

    def _maybe_fail(self, method: str) -> None:
        with self._cond:
            now = time.monotonic()
            for until, status, retry_after, only in self._storms:
                if now < until and (only is None or only == method.lower()):
                    self._failures.insert(0, _Failure(1, status, retry_after, only))
                    break
            for f in self._failures:
                if f.remaining > 0 and (f.method is None or f.method == method.lower()):
                    f.remaining -= 1
                    if f.status == 429:
                        raise ApiError(
                            429,
                            f"Too Many Requests: retry after {f.retry_after}",
                            {"retry_after": f.retry_after},
                        )
                    phrase = {
                        500: "Internal Server Error",
                        502: "Bad Gateway",
                        503: "Service Unavailable",
                        504: "Gateway Timeout",
                    }.get(f.status, "Server Error")
                    raise ApiError(f.status, phrase)
            self._failures = [f for f in self._failures if f.remaining > 0]

    # -- validation ------------------------------------------------------------------------------------

    def _known_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        if chat_id is None:
            raise ApiError(400, "Bad Request: chat_id is empty")
        try:
            chat_id = int(chat_id)
        except (TypeError, ValueError) as exc:
            raise ApiError(400, "Bad Request: chat not found") from exc
        with self._cond:
            chat = self._chats.get(chat_id)
            refused = self._refused.get(chat_id)
        if refused == 403:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat is None or refused == 400:
            raise ApiError(400, "Bad Request: chat not found")
        return chat

    @staticmethod
    def _formatted(text: Any, parse_mode: Any, limit: int, what: str = "message") -> tuple[str, list[dict]]:
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        if isinstance(parse_mode, str) and parse_mode.lower() == "html":
            try:
                plain, entities = parse_telegram_html(text)
            except TelegramHTMLError as exc:
                raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from exc
        else:
            plain, entities = text.strip(), []
        if not plain and what == "message":
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(plain) > limit:
            raise ApiError(400, f"Bad Request: {what} is too long")
        return plain, entities

    @staticmethod
    def _check_markup(markup: Any) -> dict[str, Any] | None:
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not button.get("text"):
                    raise ApiError(400, "Bad Request: BUTTON_TEXT_EMPTY")
                data = button.get("callback_data")
                if data is not None and not (1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA):
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup

    def _new_bot_message(
        self, chat: dict[str, Any], params: dict[str, Any], **content: Any
    ) -> dict[str, Any]:
        msg: dict[str, Any] = {
            "message_id": self._next_message_id(chat["id"]),
            "from": self.bot_user(),
            "chat": chat,
            "date": int(time.time()),
            **{k: v for k, v in content.items() if v not in (None, [], "")},
        }
        # Telegram echoes only an inline keyboard in the returned Message; a reply keyboard (request_contact
        # button) or its removal is applied to the user's client and not echoed. The record kept for the
        # tests' assertions still shows the markup that was sent.
        sent_markup = msg.get("reply_markup")
        if sent_markup is not None and "inline_keyboard" not in sent_markup:
            del msg["reply_markup"]
        reply_params = params.get("reply_parameters") or {}
        reply_id = reply_params.get("message_id") if isinstance(reply_params, dict) else None
        reply_id = reply_id or params.get("reply_to_message_id")
        with self._cond:
            if reply_id is not None:
                original = self._messages.get((chat["id"], int(reply_id)))
                if original is not None:
                    msg["reply_to_message"] = {k: v for k, v in original.items() if k != "reply_to_message"}
                elif not (isinstance(reply_params, dict) and reply_params.get("allow_sending_without_reply")):
                    raise ApiError(400, "Bad Request: message to be replied not found")
            if params.get("message_thread_id") is not None:
                msg["message_thread_id"] = params["message_thread_id"]
            self._messages[(chat["id"], msg["message_id"])] = msg
            record = dict(msg)
            if sent_markup is not None:
                record["reply_markup"] = sent_markup
            record["html"] = params.get("text") if "text" in params else params.get("caption")
            record["parse_mode"] = params.get("parse_mode")
            record["reply_to_message_id"] = reply_id
            record["edits"] = 0
            self._bot_messages.append(record)
        return msg

    def _update_bot_message(self, chat_id: int, message_id: int, **changes: Any) -> None:
        with self._cond:
            for record in self._bot_messages:
                if record["chat"]["id"] == chat_id and record["message_id"] == message_id:
                    record.update(changes)
                    record["edits"] += 1

    # -- methods ---------------------------------------------------------------------------------------

    async def _api_getme(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _api_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        with self._cond:
            if self.webhook.get("url"):
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = max(0.0, float(params.get("timeout") or 0))
        deadline = time.monotonic() + timeout
        assert self._updates_event is not None
        while True:
            self._updates_event.clear()
            with self._cond:
                if offset > 0:
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                    pending = self._updates[:limit]
                elif offset < 0:
                    pending = self._updates[offset:][:limit]
                else:
                    pending = self._updates[:limit]
            remaining = deadline - time.monotonic()
            if pending or remaining <= 0 or self._stopping:
                return pending
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._updates_event.wait(), remaining)

    async def _api_getfile(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params.get("file_id") or "")
        with self._cond:
            found = self._files.get(file_id)
        if found is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if found["size"] > MAX_DOWNLOAD_BYTES:
            raise ApiError(400, "Bad Request: file is too big")
        return {"file_id": file_id, "file_unique_id": f"u-{file_id}", "file_size": found["size"],
                "file_path": found["path"]}  # fmt: skip

    async def _api_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._known_chat(params)
        if "text" not in params:
            raise ApiError(400, "Bad Request: message text is empty")
        text, entities = self._formatted(params["text"], params.get("parse_mode"), MAX_TEXT)
        markup = self._check_markup(params.get("reply_markup"))
        return self._new_bot_message(chat, params, text=text, entities=entities, reply_markup=markup)

    async def _api_sendphoto(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._known_chat(params)
        if not params.get("photo"):
            raise ApiError(400, "Bad Request: there is no photo in the request")
        caption, entities = self._formatted(
            params.get("caption"), params.get("parse_mode"), MAX_CAPTION, "caption"
        )
        markup = self._check_markup(params.get("reply_markup"))
        width, height = (
            png_size(params["photo"].get("content", b""))
            if isinstance(params["photo"], dict)
            else (None, None)
        )
        photo = [
            {
                "file_id": params["photo"] if isinstance(params["photo"], str) else "photo-file-id",
                "file_unique_id": "photo-u",
                "width": width or 800,
                "height": height or 600,
            }
        ]
        return self._new_bot_message(
            chat, params, photo=photo, caption=caption, caption_entities=entities, reply_markup=markup
        )

    async def _api_senddocument(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._known_chat(params)
        doc = params.get("document")
        if not doc:
            raise ApiError(400, "Bad Request: there is no document in the request")
        caption, entities = self._formatted(
            params.get("caption"), params.get("parse_mode"), MAX_CAPTION, "caption"
        )
        markup = self._check_markup(params.get("reply_markup"))
        name = doc.get("filename") if isinstance(doc, dict) else "document"
        file_id = doc if isinstance(doc, str) else "doc-file-id"  # re-sent by file_id, or uploaded
        document = {"file_id": file_id, "file_unique_id": "doc-u", "file_name": name}
        return self._new_bot_message(
            chat, params, document=document, caption=caption, caption_entities=entities, reply_markup=markup
        )

    async def _api_editmessagetext(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._known_chat(params)
        mid = int(params.get("message_id") or 0)
        text, entities = self._formatted(params.get("text"), params.get("parse_mode"), MAX_TEXT)
        markup = self._check_markup(params.get("reply_markup"))
        with self._cond:
            msg = self._messages.get((chat["id"], mid))
            if msg is None or msg.get("from", {}).get("id") != self.bot_id:
                raise ApiError(400, "Bad Request: message to edit not found")
            if (
                msg.get("text") == text
                and msg.get("entities", []) == entities
                and msg.get("reply_markup") == markup
            ):
                raise ApiError(
                    400,
                    "Bad Request: message is not modified: specified new message content and "
                    "reply markup are exactly the same as a current content and reply markup of the message",
                )
            msg.update(text=text, edit_date=int(time.time()))
            msg["entities"] = entities
            if markup is not None:
                msg["reply_markup"] = markup
            else:
                msg.pop("reply_markup", None)
            self._update_bot_message(
                chat["id"], mid, text=text, entities=entities, html=params.get("text"), reply_markup=markup
            )
            return dict(msg)

    async def _api_editmessagereplymarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._known_chat(params)
        mid = int(params.get("message_id") or 0)
        markup = self._check_markup(params.get("reply_markup"))
        with self._cond:
            msg = self._messages.get((chat["id"], mid))
            if msg is None or msg.get("from", {}).get("id") != self.bot_id:
                raise ApiError(400, "Bad Request: message to edit not found")
            if msg.get("reply_markup") == markup:
                raise ApiError(
                    400,
                    "Bad Request: message is not modified: specified new message content and "
                    "reply markup are exactly the same as a current content and reply markup of the message",
                )
            if markup is None:
                msg.pop("reply_markup", None)
            else:
                msg["reply_markup"] = markup
            self._update_bot_message(chat["id"], mid, reply_markup=markup)
            return dict(msg)

    async def _api_answercallbackquery(self, params: dict[str, Any]) -> bool:
        qid = params.get("callback_query_id")
        with self._cond:
            if qid not in self._callback_ids:
                raise ApiError(
                    400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
                )
            self._callback_ids.discard(qid)
            if params.get("text") and len(params["text"]) > 200:
                raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
            self.callback_answers.append(
                {
                    "callback_query_id": qid,
                    "text": params.get("text"),
                    "show_alert": bool(params.get("show_alert")),
                }
            )
        return True

    async def _api_sendchataction(self, params: dict[str, Any]) -> bool:
        self._known_chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    async def _api_setmycommands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        for c in commands:
            if not _COMMAND_RE.match(str(c.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not (1 <= len(str(c.get("description", ""))) <= 256):
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        scope = (params.get("scope") or {}).get("type", "default")
        with self._cond:
            self.commands[(scope, params.get("language_code") or "")] = commands
        return True

    async def _api_getmycommands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        scope = (params.get("scope") or {}).get("type", "default")
        with self._cond:
            return list(self.commands.get((scope, params.get("language_code") or ""), []))

    async def _api_deletemycommands(self, params: dict[str, Any]) -> bool:
        scope = (params.get("scope") or {}).get("type", "default")
        with self._cond:
            self.commands.pop((scope, params.get("language_code") or ""), None)
        return True

    async def _api_setwebhook(self, params: dict[str, Any]) -> bool:
        url = params.get("url") or ""
        with self._cond:
            if not url:
                self.webhook = {}
                return True
            self.webhook = {
                "url": url,
                "secret_token": params.get("secret_token"),
                "allowed_updates": params.get("allowed_updates"),
                "max_connections": params.get("max_connections", 40),
            }
            if params.get("drop_pending_updates"):
                self._updates.clear()
            pending = list(self._updates)
            self._updates.clear()
            webhook = dict(self.webhook)
        for update in pending:  # updates queued before the webhook was set are delivered to it
            task = asyncio.ensure_future(self._deliver(update, webhook))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return True

    async def _api_deletewebhook(self, params: dict[str, Any]) -> bool:
        with self._cond:
            self.webhook = {}
            if params.get("drop_pending_updates"):
                self._updates.clear()
        return True

    async def _api_getwebhookinfo(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._cond:
            info: dict[str, Any] = {
                "url": self.webhook.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }
            if self.webhook.get("url"):
                info["max_connections"] = self.webhook.get("max_connections", 40)
                if self.webhook.get("allowed_updates"):
                    info["allowed_updates"] = self.webhook["allowed_updates"]
            return info

    async def _api_close(self, params: dict[str, Any]) -> bool:
        return True

    async def _api_logout(self, params: dict[str, Any]) -> bool:
        return True
