"""Callback data of any shape gets an answer, never an error: a property test through the real application.

Button data comes back from the client and may be forged or stale: huge numbers
(``src:99999999999999999999:1``), digits that are not ASCII (``fb:²:u``, ``t:v:١``), garbage, more than 64
bytes. Each press must be answered (the stale-button note for anything outside the grammar) and nothing may
reach the error handler ("Xin lỗi, đã có lỗi xảy ra"). The bot (real handlers, real task database of the
examples) runs its polling loop in a background thread so that hypothesis can drive it synchronously.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import texts
from tests.bot.task_bot_fixtures import task_bot
from tests.fakes.fake_telegram import FakeTelegram

USER = 7007  # linked to CB007 below: task buttons reach the database
PREFIXES = ["fb", "src", "t", "td", "bc", "nv", "ad", "gv", "gh"]
ACTIONS = [
    "u",
    "d",
    "p",
    "done",
    "v",
    "doc",
    "skip",
    "x",
    "pg",
    "o",
    "c",
    "menu",
    "on",
    "off",
    "h",
    "we",
    "dg",
    "i",
    "ix",
    "add",
    "all",
    "lim",
    "ok",
    "dx",
    "rm",
    "rmx",
    "e",
    "f",
    "a",
    "s",
    "dp",
    "r",
    "y",
    "n",
    "k",
]
ODD_DIGITS = "0123456789²³¹١٢٣٤۵߁०੦๑٠"


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class ThreadedBot:
    """`task_bot` in its own thread and event loop, for synchronous (hypothesis) tests."""

    def __init__(self, tmp: Path) -> None:
        self.tg = FakeTelegram().start()
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self.bot = None
        self.thread = threading.Thread(target=self._run, args=(tmp,), daemon=True)
        self.thread.start()
        if not self._ready.wait(120) or self.bot is None:
            raise RuntimeError("the bot did not start")

    def _run(self, tmp: Path) -> None:
        asyncio.set_event_loop(self.loop)

        async def main() -> None:
            self._stop = asyncio.Event()
            async with task_bot(self.tg, tmp) as bot:
                self.bot = bot
                self._ready.set()
                await self._stop.wait()

        try:
            self.loop.run_until_complete(main())
        finally:
            self._ready.set()

    def close(self) -> None:
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self.thread.join(60)
        self.tg.stop()


@pytest.fixture(scope="module")
def threaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ThreadedBot, int, _Errors]]:
    errors = _Errors()
    logging.getLogger().addHandler(errors)
    bot = ThreadedBot(tmp_path_factory.mktemp("callbacks"))
    try:
        # Answers saved in the database, as in production (ids are row numbers there).
        from bot.db_runner import SharedDatabaseAnswerLog
        from bot.deps import BOT_DATA_KEY

        app = bot.bot.application
        app.bot_data[BOT_DATA_KEY].answers = SharedDatabaseAnswerLog(
            bot.bot.settings.database_url, store=bot.bot.store
        )
        bot.bot.link("CB007", USER)
        bot.tg.push_message(USER, USER, "/start")
        (welcome,) = bot.tg.wait_for(lambda: bot.tg.sent_messages(USER), timeout=60)
        yield bot, welcome["message_id"], errors
    finally:
        bot.close()
        logging.getLogger().removeHandler(errors)


def _press(bot: ThreadedBot, message_id: int, data: str) -> dict:
    tg = bot.tg
    qid = tg.push_callback(USER, USER, data, message_id)
    return tg.wait_for(
        lambda: next((a for a in tg.callback_answers if a["callback_query_id"] == qid), None), timeout=60
    )


def _check(threaded, data: str) -> dict:
    bot, message_id, errors = threaded
    before = len(bot.tg.sent_messages(USER))
    answer = _press(bot, message_id, data)
    assert answer["text"] != texts.ERROR, data
    assert not errors.records, (data, [r.getMessage() for r in errors.records])
    assert all(m["text"] != texts.ERROR for m in bot.tg.sent_messages(USER)[before:]), data
    return answer


@pytest.mark.parametrize(
    "data",
    [
        "src:99999999999999999999:1",
        "fb:99999999999999999999:u",
        "fb:²:u",
        "src:²:1",
        "src:1:²",
        "src:1:99999999999999999999",
        "src:1:-1",
        "fb:١٢:u",
        "t:v:١",
        "t:p:1:٥٠",
        "t:v:99999999999999999999",
        "t:v:1\n",
        "td:u:99999999999999999999:1",
        "td:u:1:99999999999999999999",
        "bc:x:99999999999999999999",
        "nv:h:99999999999999999999",
        "nv:h:²",
        "ad:pg:1:0",
        "ad:u:1",
        "ad:rm:99999999999999999999",
        "gv:f:0",
        "gv:f:7",
        "gv:d:6",
        "gv:ok:1",
        "gh:y",
        "gh:x:1",
        "gv:a:99999999999999999999",
        "fb:1:u:x",
        "src:1:01",
        "fb: 1:u",
        "fb::",
        "src",
        "::::",
        "x" * 200,
        "fb:" + "9" * 70 + ":u",
        "",
    ],
)
def test_stale_or_forged_button_data_gets_the_stale_button_note(threaded, data):
    answer = _check(threaded, data)
    assert answer["text"] in (texts.CALLBACK_UNKNOWN, texts.ANSWER_EXPIRED), (data, answer)


_part = st.one_of(
    st.integers(min_value=-(10**25), max_value=10**25).map(str),
    st.text(alphabet=ODD_DIGITS, max_size=25),
    st.text(max_size=6),
    st.sampled_from(ACTIONS),
)
_data = st.one_of(
    st.text(max_size=80),
    st.builds(
        lambda prefix, parts: ":".join([prefix, *parts]),
        st.sampled_from(PREFIXES),
        st.lists(_part, max_size=4),
    ),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=_data)
def test_any_callback_data_is_answered_without_an_error(threaded, data):
    _check(threaded, data)


def test_real_buttons_still_work(threaded):
    bot, _, _ = threaded
    before = len(bot.tg.sent_messages(USER))
    bot.tg.push_message(USER, USER, "/hoi Nghị quyết 57 đặt mục tiêu gì đến năm 2030?")
    answer = bot.tg.wait_for(
        lambda: next((m for m in bot.tg.sent_messages(USER)[before:] if m.get("reply_markup")), None),
        timeout=60,
    )
    data = [b["callback_data"] for row in answer["reply_markup"]["inline_keyboard"] for b in row]
    assert data[0].startswith("fb:") and data[0].endswith(":u")
    assert _press(bot, answer["message_id"], data[0])["text"] == texts.FEEDBACK_THANKS_UP
    source = next(d for d in data if d.startswith("src:"))
    assert _press(bot, answer["message_id"], source)["text"] in (None, "")
