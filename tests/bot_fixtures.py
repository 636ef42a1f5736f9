"""Fixtures for the Telegram bot tests: the fake Bot API server, a small fake retrieval engine for handler
tests, an in-process bot in its real polling loop, and the real bot (``troly bot``) as a subprocess on the
real engine and corpus (``TROLY_HOME`` built once per test session).

Registered in ``tests/conftest.py`` with one line.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import tests.fakes.fake_telegram as fake_telegram_module
from tests.fakes.fake_telegram import FakeTelegram
from tests.polling import wait_until

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


# --- a small engine double (tests only) -----------------------------------------------------------------


def _doc(number: str, doc_type: str, date: str, title: str, source: str):
    from retrieval.types import DocumentMeta

    return DocumentMeta(source=source, title=title, doc_number=number, doc_type=doc_type, date=date)


class FakeEngine:
    """Answers from a few canned passages; records every call. Special questions:

    - containing "chậm": sleeps ``slow_seconds`` (a long search);
    - containing "dài": an answer of ``long_chars`` characters in many paragraphs;
    - containing "lỗi": raises RuntimeError;
    - anything else: echoes the question (so ``<``, ``>``, ``&`` reach the renderer) with one citation.
    """

    def __init__(self, slow_seconds: float = 2.0, long_chars: int = 9000) -> None:
        from retrieval.types import Passage

        self.slow_seconds = slow_seconds
        self.long_chars = long_chars
        self.calls: list[tuple[str, tuple[str, ...]]] = []
        self.audiences: list[
            Any
        ] = []  # the `audience=` of every ask, in order (documents limited by pham_vi)
        self._lock = threading.Lock()
        nq57 = _doc(
            "57-NQ/TW",
            "Nghị quyết",
            "2024-12-22",
            "Về đột phá phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số quốc gia",
            "nq-57-NQ-TW-2024-12-22.md",
        )
        kl221 = _doc(
            "221-KL/TW", "Kết luận", "2025-11-28", "Kết luận của Bộ Chính trị", "kl-221-KL-TW-2025-11-28.md"
        )
        self.passages = {
            "p2030": Passage(
                "p2030",
                "Đến năm 2030, quy mô kinh tế số đạt tối thiểu 30% GDP; chi cho R&D đạt 2% GDP.",
                "II. Mục tiêu › 1. Đến năm 2030",
                nq57,
            ),
            "p2045": Passage(
                "p2045",
                "Đến năm 2045, khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số phát triển vững chắc.",
                "II. Mục tiêu › 2. Tầm nhìn đến năm 2045",
                nq57,
            ),
            "pkl": Passage("pkl", "Kết luận được ban hành ngày 28/11/2025.", "", kl221),
        }

    def warmup(self) -> None:
        pass

    def ask(self, question: str, *, context_docs=(), audience=None):
        from retrieval.types import Answer, Citation

        with self._lock:
            self.calls.append((question, tuple(context_docs)))
            self.audiences.append(audience)
        q = question.lower()
        if "lỗi" in q:
            raise RuntimeError("engine exploded")
        if "chậm" in q:  # a slow engine: the answer takes this long (a simulated duration, not a wait)
            threading.Event().wait(self.slow_seconds)
        refs: tuple[str, ...] = ()
        if "57" in q:
            refs = ("57-NQ/TW",)
        elif "221" in q:
            refs = ("221-KL/TW",)
        elif context_docs:
            refs = tuple(context_docs)
        if "2045" in q and "57-NQ/TW" in refs:
            pid = "p2045"
        elif "221-KL/TW" in refs:
            pid = "pkl"
        else:
            pid = "p2030"
        p = self.passages[pid]
        if "dài" in q:
            para = "Đoạn văn thử nghiệm về chuyển đổi số & đổi mới sáng tạo <quan trọng>. " * 8
            paras, total = [], 0
            while total < self.long_chars:
                paras.append(f"{len(paras) + 1}. {para.strip()}")
                total += len(para) + 2
            text = "\n\n".join(paras)
        else:
            text = f"Trả lời cho: {question}\n\n{p.text}"
        return Answer(
            question=question,
            text=text,
            citations=[Citation.from_passage(p)],
            grounded=True,
            referenced_docs=refs,
        )

    def get_passage(self, passage_id: str, audience=None):
        return self.passages.get(passage_id)


# --- waiting helpers --------------------------------------------------------------------------------------


async def until(
    predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02, *, settle: Any = None
) -> Any:
    """Async wait for a truthy ``predicate()`` without blocking the loop the in-process bot runs on.

    ``settle=application`` (an in-process bot run by `polling`): once the predicate holds, also wait until
    that bot has finished every update it received (`settled`), then return ``predicate()`` again — the
    whole reply, not the first part of it. Use it before unpacking an exact number of messages."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)  # a pause between two looks at the condition, under the deadline above
    if settle is None:
        return value
    await settled(settle, timeout=max(timeout, 30.0))
    return predicate() or value


class InFlight:
    """The tasks an in-process application is running (``Application.create_task``, used by PTB for every
    concurrently processed update and every ``block=False`` handler): "idle" is provable, not guessed."""

    KEY = "troly_test_inflight"

    def __init__(self, app: Any) -> None:
        self.tasks: set[asyncio.Task] = set()
        original = app.create_task

        def create_task(coroutine: Any, update: object | None = None, *, name: str | None = None):
            task = original(coroutine, update=update, name=name)
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
            return task

        app.create_task = create_task
        app.bot_data[self.KEY] = self


def is_idle(app: Any) -> bool:
    """The application has fetched every update the fake server holds and finished handling all of them."""
    inflight: InFlight | None = app.bot_data.get(InFlight.KEY)
    tg: FakeTelegram | None = app.bot_data.get("troly_test_fake_telegram")
    if inflight is None:
        raise RuntimeError("settled() needs a bot started by tests.bot_fixtures.polling")
    fetched = tg is None or tg.pending_updates() == 0
    return fetched and app.update_queue.empty() and not inflight.tasks


async def settled(app: Any, timeout: float = 30.0) -> None:
    """Wait (with a deadline) until the in-process bot is idle: every pushed update answered completely."""
    await until(lambda: is_idle(app), timeout=timeout, interval=0.01)


# --- fixtures: the fake server and an in-process bot ----------------------------------------------------


def _fake_of(app: Any) -> FakeTelegram | None:
    """The fake server this application talks to (matched by its base URL), if it is one of ours."""
    base = str(getattr(app.bot, "base_url", ""))
    return next(
        (tg for tg in fake_telegram_module.RUNNING if tg.port is not None and base.startswith(tg.api_url)),
        None,
    )


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram() as tg:
        yield tg


@pytest.fixture
def fake_engine() -> FakeEngine:
    return FakeEngine()


@dataclass
class InProcessBot:
    tg: FakeTelegram
    engine: FakeEngine
    application: Any
    answers: Any
    settings: Any

    def replies(self, chat_id: int) -> list[dict[str, Any]]:
        return self.tg.sent_messages(chat_id=chat_id)


@contextlib.asynccontextmanager
async def polling(app):
    """Run a built Application's whole life (init, post_init, polling, shutdown) around the block."""
    InFlight(app)
    fake = _fake_of(app)
    if fake is not None:
        app.bot_data["troly_test_fake_telegram"] = fake
    await app.initialize()
    if app.post_init:
        await app.post_init(app)
    await app.start()
    await app.updater.start_polling(poll_interval=0.0, timeout=1, drop_pending_updates=False)
    try:
        yield app
    finally:
        with contextlib.suppress(Exception):
            await app.updater.stop()
        with contextlib.suppress(Exception):
            await app.stop()
        if app.post_shutdown:
            with contextlib.suppress(Exception):
                await app.post_shutdown(app)
        await app.shutdown()


@pytest.fixture
async def inprocess_bot(fake_telegram: FakeTelegram, fake_engine: FakeEngine, tmp_path: Path):
    """The real application (handlers, rate limiter, polling loop) against the fake server, in this loop."""
    from bot.app import build_application
    from bot.feedback import MemoryAnswerLog
    from troly.config import Settings

    settings = Settings.from_env(
        {
            "TROLY_HOME": str(tmp_path / "home"),
            "TELEGRAM_BOT_TOKEN": fake_telegram.token,
            "TELEGRAM_API_BASE_URL": fake_telegram.api_url,
        },
        dotenv=False,
    )
    answers = MemoryAnswerLog()
    app = build_application(settings, fake_engine, answers=answers, workers=4)
    async with polling(app):
        yield InProcessBot(fake_telegram, fake_engine, app, answers, settings)


# --- the real bot as a subprocess ------------------------------------------------------------------------


def troly_command() -> list[str]:
    """``troly bot`` once the CLI exists (console script or ``python -m troly``), else ``python -m bot``."""
    if (ROOT / "troly" / "cli" / "__init__.py").exists():
        script = VENV_BIN / "troly"
        if script.exists():
            return [str(script), "bot"]
        return [sys.executable, "-m", "troly", "bot"]
    return [sys.executable, "-m", "bot"]


def child_env(tg: FakeTelegram, home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TROLY_", "TELEGRAM_", "OPENAI_"))}
    env.update(
        TROLY_HOME=str(home),
        TROLY_CORPUS=str(ROOT / "corpus"),
        TELEGRAM_BOT_TOKEN=tg.token,
        TELEGRAM_API_BASE_URL=tg.api_url,
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        PYTHONUNBUFFERED="1",
        TOKENIZERS_PARALLELISM="false",
    )
    env.pop("TROLY_LLM", None)
    env.update(extra)
    return env


@dataclass
class BotProcess:
    proc: subprocess.Popen
    log_path: Path
    started: float = field(default_factory=time.monotonic)

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def wait_log(self, needle: str, timeout: float) -> None:
        def logged() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"bot exited with {self.proc.returncode}:\n{self.log()[-4000:]}")
            return needle in self.log()

        try:
            wait_until(logged, timeout, f"{needle!r} in the bot's log")
        except AssertionError:
            raise TimeoutError(f"{needle!r} not logged within {timeout} s:\n{self.log()[-4000:]}") from None

    def terminate(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(10)


def start_bot_process(
    tg: FakeTelegram, home: Path, log_path: Path, args: tuple[str, ...] = (), **env: str
) -> BotProcess:
    log_file = open(log_path, "w", encoding="utf-8")  # noqa: SIM115 - owned by the child
    try:
        proc = subprocess.Popen(
            [*troly_command(), *args],
            cwd=ROOT,
            env=child_env(tg, home, **env),
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    finally:
        log_file.close()
    return BotProcess(proc, log_path)


READY_LOG = "Bộ tra cứu đã sẵn sàng"


@pytest.fixture(scope="session")
def troly_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TROLY_HOME with the real corpus indexed by the real engine (a copy of the shared cached test index
    of ``tests/engine_fixtures.py``, built once per code version)."""
    from tests.engine_fixtures import prepared_index

    home = tmp_path_factory.mktemp("troly_home")
    shutil.copytree(prepared_index() / "index", home / "index")
    return home


@dataclass
class RunningBot:
    tg: FakeTelegram
    process: BotProcess
    home: Path


@pytest.fixture(scope="module")
def running_bot(troly_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    """``troly bot`` (polling) on the real engine, against a fake Telegram; shared by a module's tests."""
    home = copy_home(troly_home, tmp_path_factory, "bot_home")
    with FakeTelegram() as tg:
        bot = start_bot_process(tg, home, home / "bot.log")
        try:
            bot.wait_log(READY_LOG, timeout=240)
            tg.wait_for(lambda: tg.call_log("getUpdates"), timeout=60)
            yield RunningBot(tg, bot, home)
        finally:
            bot.terminate()
            bot.kill()


# --- a long LLM answer for the "answer longer than 4096" subprocess test -----------------------------------


def long_llm_reply(req: Any) -> str:
    """Responder for ``tests.fakes.fake_openai.FakeOpenAI``: every sentence of every passage given to the model,
    each cited, twice over — a grounded answer of several thousand characters (the extractive engine caps its
    answers at ~700 characters, so only an LLM answer can exceed one Telegram message on the real corpus)."""
    import re

    passages = req.passages()
    if not passages:  # follow-up rewriting: the question itself
        return req.question() or "?"
    out = []
    for n, body in sorted(passages.items()):
        lines = [ln for ln in body.split("\n") if ln.strip() and not ln.startswith(("Tiêu đề:", "Mục:"))]
        out += [
            f"{s.strip()} [{n}]" for s in re.split(r"(?<=[.;!?])\s+", " ".join(lines)) if len(s.split()) >= 6
        ]
    return "\n\n".join(out + out)


def copy_home(troly_home: Path, tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    home = tmp_path_factory.mktemp(name)
    shutil.copytree(troly_home / "index", home / "index")
    return home
