"""The scale-out stack, shared by tests/e2e/test_scale_out.py and benchmarks/scale.py (no tests here).

One PostgreSQL database, one real Chroma server (``chroma run``) holding the vectors (``troly ingest`` with
``TROLY_CHROMA_URL``), one fake Telegram, a round-robin proxy (nginx's ``upstream``) and N ``troly bot
--webhook`` processes behind it, each with its own port, sharing one TROLY_HOME (the index folder:
passages, BM25, no embedded vectors left), all registering the proxy's URL with the same secret — as
docs/trien-khai.md describes for production. Each process's output goes to its own log file.

Users (``Roster``): officials in units of one leader and 15 cán bộ, every one linked to Telegram, and
public users who only ask about documents. ``Crowd`` drives them all at once against the fake server with
one state machine per user (a question each; /viec; a progress button on the card; "Hoàn thành" on the
reminder, then the product typed as the next message), one look at the fake server's messages per step,
no sleeping. ``add_due_tasks`` gives every official a task due today and plans its reminder, as
``troly tasks import`` does: a batch of reminders due while the users talk to the bot.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from tests.bot_fixtures import READY_LOG, ROOT, BotProcess, start_bot_process
from tests.chroma_server import chroma_server, free_port
from tests.fakes.fake_telegram import Call, FakeTelegram
from tests.fakes.round_robin_proxy import RoundRobinProxy

SECRET = "bi-mat-webhook-chung-cua-moi-tien-trinh"
FAKE_NOW = "2026-11-23T08:00:00+07:00"  # Monday 08:00 in Hà Nội: the morning's reminders are due
MONDAY = date(2026, 11, 23)
MONDAY_8 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
T0 = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
OFFICIAL_CHATS = 70_000
PUBLIC_CHATS = 90_000
PER_UNIT = 16  # one leader and 15 cán bộ
# What Telegram counts as messages sent (its ~30/s limit): sends and edits. Chat actions and callback
# answers are not messages.
MESSAGE_METHODS = {
    "sendmessage",
    "editmessagetext",
    "editmessagereplymarkup",
    "sendphoto",
    "senddocument",
    "sendmediagroup",
    "copymessage",
    "forwardmessage",
}
FIRST_SWEEP = "Nhắc việc: lượt quét đầu tiên xong"

# A dozen real questions about the corpus, with and without diacritics, reused across users.
QUESTIONS = [
    "Nghị quyết số 57-NQ/TW đặt mục tiêu quy mô kinh tế số đạt bao nhiêu phần trăm GDP vào năm 2030?",
    "nghi quyet 57 muc tieu chi cho nghien cuu phat trien R&D bao nhieu phan tram GDP",
    "NQ 71: đến 2030 bao nhiêu phần trăm trường phổ thông đạt chuẩn quốc gia?",
    "Kết luận 221-KL/TW ban hành ngày nào?",
    "nghi quyet 66 ho tro hang thang bao nhieu phan tram luong cho nguoi lam cong tac xay dung phap luat",
    "TB 624 yêu cầu tỷ lệ phủ sóng 5G toàn quốc đạt bao nhiêu trong năm 2025?",
    "nghi quyet 71 dau tu phat trien bao nhieu dai hoc tinh hoa",
    "Doanh nhân được Bộ Chính trị xác định là gì trong nghị quyết về phát triển kinh tế tư nhân?",
    "TB 659 yêu cầu các Bộ gửi các báo cáo về Bộ Tư pháp trước ngày nào?",
    "nghi quyet 72 tu nam 2026 co lam so suc khoe dien tu cho toan dan khong",
    "EVN được giao xây dựng phương án cấp điện cho bao nhiêu thôn chưa có điện?",
    "Nhà nước hỗ trợ lãi suất bao nhiêu khi doanh nghiệp tư nhân vay vốn làm dự án xanh, tuần hoàn, áp dụng ESG?",
]


# --- the users ---------------------------------------------------------------------------------------------


@dataclass
class Roster:
    """Chat ids of the users; every official's chat id is also their Telegram user id."""

    leaders: list[int]
    staff: list[int]
    leader_of: dict[int, int]  # cán bộ → the leader of their unit (who reviews their products)
    public: list[int]

    @property
    def officials(self) -> list[int]:
        return [*self.leaders, *self.staff]

    @property
    def users(self) -> list[int]:
        return [*self.officials, *self.public]


def task_code(chat: int) -> str:
    return f"TT-{chat - OFFICIAL_CHATS:04d}"


def prepare_officials(url: str, users: int = 200, officials: int = 160) -> Roster:
    """Units of `PER_UNIT` officials (a leader, then cán bộ), all linked; leaders' daily digest off (this is
    about task reminders); the rest of `users` are public users (not officials)."""
    from tasks.db import Database
    from tasks.models import Official, Unit
    from tasks.normalize import Role
    from tasks.reminders.settings import update_prefs

    assert officials % PER_UNIT == 0 and officials <= users
    db = Database.open(url)
    leaders, staff, leader_of = [], [], {}
    try:
        with db.session() as s:
            top = Unit(name="UBND tỉnh Thử Tải", created_at=T0)
            s.add(top)
            people = []
            for u in range(officials // PER_UNIT):
                unit = Unit(name=f"Phòng Thử tải {u + 1}", parent=top, created_at=T0)
                s.add(unit)
                for k in range(PER_UNIT):
                    chat = OFFICIAL_CHATS + u * PER_UNIT + k
                    role = Role.LANH_DAO if k == 0 else Role.CAN_BO
                    people.append(
                        Official(code=f"TT{chat - OFFICIAL_CHATS:04d}", full_name=f"Cán bộ {chat - OFFICIAL_CHATS}",
                                 unit=unit, role=role, telegram_user_id=chat, created_at=T0, updated_at=T0)
                    )  # fmt: skip
                    (leaders if k == 0 else staff).append(chat)
                    if k:
                        leader_of[chat] = OFFICIAL_CHATS + u * PER_UNIT
            s.add_all(people)
            s.commit()
            for person in people:
                if person.role == Role.LANH_DAO:
                    update_prefs(s, person, digest=False, now=T0)
    finally:
        db.dispose()
    public = [PUBLIC_CHATS + i for i in range(users - officials)]
    return Roster(leaders, staff, leader_of, public)


def add_due_tasks(url: str, roster: Roster) -> int:
    """One task due today for every official, and the reminders planned (as a task import does): the
    number of reminder rows due now."""
    from sqlalchemy import func, select

    from tasks.db import Database
    from tasks.models import Official, Reminder, Task
    from tasks.reminders.planning import plan_reminders

    db = Database.open(url, migrate=False)
    try:
        with db.session() as s:
            people = s.scalars(select(Official).where(Official.telegram_user_id.in_(roster.officials))).all()
            s.add_all(
                Task(code=task_code(p.telegram_user_id), assignee=p, lead_unit=p.unit, deadline=MONDAY,
                     content=f"Báo cáo sơ kết công tác quý IV của {p.full_name}", product="Báo cáo",
                     assigned_by="Chủ tịch UBND tỉnh", created_at=T0, updated_at=T0, progress_updated_at=T0)
                for p in people
            )  # fmt: skip
            s.commit()
            plan_reminders(s, MONDAY_8)
            return s.scalar(
                select(func.count()).where(Reminder.sent_at.is_(None), Reminder.cancelled_at.is_(None),
                                           Reminder.due_at <= MONDAY_8)
            )  # fmt: skip
    finally:
        db.dispose()


# --- the stack ---------------------------------------------------------------------------------------------


@dataclass
class Stack:
    tg: FakeTelegram
    proxy: RoundRobinProxy
    bots: list[BotProcess]
    url: str
    chroma_url: str
    ingest: dict[str, Any]
    exit_codes: list[int | None] = field(default_factory=list)

    def logs(self) -> list[str]:
        return [bot.log() for bot in self.bots]

    def stop(self) -> None:
        """A graceful stop of every process (pending answers are finished first); exit codes kept."""
        if self.exit_codes:
            return
        for bot in self.bots:
            if bot.proc.poll() is None:
                bot.proc.terminate()
        for bot in self.bots:
            try:
                bot.proc.wait(60)
            except subprocess.TimeoutExpired:
                bot.kill()
            self.exit_codes.append(bot.proc.returncode)


def troly_ingest(home: Path, chroma_url: str, url: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TROLY_", "TELEGRAM_", "OPENAI_"))}
    env.update(TROLY_HOME=str(home), TROLY_CORPUS=str(ROOT / "corpus"), TROLY_CHROMA_URL=chroma_url,
               TROLY_DATABASE_URL=url, NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")  # fmt: skip
    script = Path(sys.executable).parent / "troly"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "troly"]
    done = subprocess.run([*command, "ingest", "--json"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=1200, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@contextlib.contextmanager
def scale_stack(
    url: str, index_dir: Path, workdir: Path, processes: int, chats: list[int], ready_timeout: float = 400
) -> Iterator[Stack]:
    """Everything running, every process ready (model loaded, webhook registered, first reminder sweep
    done). `index_dir`: a built index of the shipped corpus (its `index/` folder is copied)."""
    with chroma_server(workdir / "chroma-server") as chroma:
        base = workdir / "home"
        shutil.copytree(index_dir, base / "index")
        report = troly_ingest(base, chroma.url, url)  # vectors onto the server (copied from the local index)
        shutil.rmtree(
            base / "index" / "chroma", ignore_errors=True
        )  # no embedded vectors left to fall back on
        with FakeTelegram() as tg:
            for chat in chats:
                tg._chat(chat, "private", None, {"id": chat, "first_name": f"Cán bộ {chat}"})
            ports = [free_port() for _ in range(processes)]
            with RoundRobinProxy([f"http://127.0.0.1:{p}" for p in ports]) as proxy:
                bots = []
                stack = Stack(tg, proxy, bots, url, chroma.url, report)
                try:
                    for i, port in enumerate(ports):
                        bots.append(
                            start_bot_process(
                                tg, base, workdir / f"bot{i + 1}.log",
                                ("--webhook", f"{proxy.base_url}/telegram", "--listen", "127.0.0.1",
                                 "--port", str(port), "--url-path", "telegram"),
                                TROLY_DATABASE_URL=url, TROLY_CHROMA_URL=chroma.url, TELEGRAM_WEBHOOK_SECRET=SECRET,
                                TROLY_FAKE_NOW=FAKE_NOW, TROLY_REMINDER_INTERVAL="1",
                            )
                        )  # fmt: skip
                    for bot in bots:
                        bot.wait_log(READY_LOG, timeout=ready_timeout)
                        bot.wait_log(FIRST_SWEEP, timeout=ready_timeout)
                    assert tg.webhook.get("url") == f"{proxy.base_url}/telegram"
                    assert tg.webhook.get("secret_token") == SECRET
                    yield stack
                finally:
                    stack.stop()


# --- driving the users -------------------------------------------------------------------------------------


def _data(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b.get("callback_data") or "" for row in markup.get("inline_keyboard", []) for b in row]


def is_answer(message: dict[str, Any]) -> bool:
    """An answer to a document question: it carries the 👍/👎 buttons (``fb:``)."""
    return any(d.startswith("fb:") for d in _data(message))


def is_reminder(message: dict[str, Any]) -> bool:
    return message["text"].startswith("⏰ Nhắc việc")


def _button(message: dict[str, Any], label: str) -> str:
    markup = message.get("reply_markup") or {}
    return next(b["callback_data"] for row in markup["inline_keyboard"] for b in row if b["text"] == label)


@dataclass
class User:
    chat: int
    question: str
    plan: str  # "ask" | "viec" | "progress" | "dialogue"
    step: str = "start"
    asked_at: float | None = None
    card_id: int | None = None
    done_query: str | None = None  # the "Hoàn thành" press
    product_message: int | None = None  # the product typed next
    finished_at: float | None = None

    @property
    def code(self) -> str:
        return task_code(self.chat)


class Crowd:
    """Every user's script, advanced by `step()` from one snapshot of what the fake server holds."""

    def __init__(self, tg: FakeTelegram, roster: Roster, *, viec: int, progress: int, dialogue: int) -> None:
        self.tg = tg
        officials = roster.staff  # cán bộ: their leader reviews their products
        assert viec + dialogue <= len(officials) and progress <= viec
        plans = ["dialogue"] * dialogue + ["progress"] * progress + ["viec"] * (viec - progress)
        # spread over the units: the i-th plan to the i-th cán bộ in unit order interleaved
        order = sorted(officials, key=lambda c: ((c - OFFICIAL_CHATS) % PER_UNIT, c))
        plan_of = dict(zip(order, plans, strict=False))
        self.users = [
            User(chat, QUESTIONS[i % len(QUESTIONS)], plan_of.get(chat, "ask"))
            for i, chat in enumerate(roster.users)
        ]
        self.started: float | None = None

    def start(self) -> None:
        """Every user asks their question at once."""
        self.started = time.monotonic()
        for user in self.users:
            user.asked_at = time.monotonic()
            self.tg.push_message(user.chat, user.chat, user.question)
            user.step = "asked"

    def step(self) -> bool:
        """Advance every user as far as what the bot has sent allows; True when every script is done."""
        by_chat: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for m in self.tg.sent_messages():
            by_chat[m["chat"]["id"]].append(m)
        for user in self.users:
            self._advance(user, by_chat.get(user.chat, []))
        return all(u.step == "done" for u in self.users)

    def _finish(self, user: User) -> None:
        user.step = "done"
        user.finished_at = time.monotonic()

    def _advance(self, user: User, msgs: list[dict[str, Any]]) -> None:
        tg, code = self.tg, user.code
        if user.step == "asked" and any(is_answer(m) for m in msgs):
            if user.plan == "ask":
                self._finish(user)
            elif user.plan in ("viec", "progress"):
                tg.push_message(user.chat, user.chat, "/viec")
                user.step = "viec"
            else:
                user.step = "await_reminder"
        if user.step == "viec":
            card = next((m for m in msgs if not is_reminder(m) and code in m["text"]
                         and any(d.startswith("t:done:") for d in _data(m))), None)  # fmt: skip
            if card is not None:
                if user.plan == "viec":
                    self._finish(user)
                else:
                    user.card_id = card["message_id"]
                    tg.push_callback(user.chat, user.chat, _button(card, "50%"), card["message_id"])
                    user.step = "progress"
        if user.step == "progress":
            card = next(m for m in msgs if m["message_id"] == user.card_id)
            if "đã cập nhật tiến độ 0% → 50%" in card["text"]:
                self._finish(user)
        if user.step == "await_reminder":
            reminder = next((m for m in msgs if is_reminder(m) and code in m["text"]), None)
            if reminder is not None:
                user.done_query = tg.push_callback(
                    user.chat, user.chat, _button(reminder, "✅ Hoàn thành"), reminder["message_id"]
                )
                user.step = "await_prompt"
        if user.step == "await_prompt" and any(
            m["text"].startswith(f"Báo hoàn thành nhiệm vụ {code}") for m in msgs
        ):
            sent = tg.push_message(
                user.chat, user.chat, f"Đã gửi Báo cáo số {user.chat - OFFICIAL_CHATS}/BC-TT"
            )
            user.product_message = sent["message_id"]
            user.step = "await_submitted"
        if user.step == "await_submitted" and any(
            m["text"].startswith(f"📤 Đã nộp sản phẩm nhiệm vụ {code}") for m in msgs
        ):
            self._finish(user)

    def run(self, timeout: float) -> None:
        self.start()
        self.tg.wait_for(self.step, timeout=timeout)


# --- measures ----------------------------------------------------------------------------------------------


def message_calls(tg: FakeTelegram) -> list[Call]:
    """Accepted calls that Telegram counts as messages, oldest first."""
    return sorted((c for c in tg.call_log() if c.method.lower() in MESSAGE_METHODS and c.status == 200),
                  key=lambda c: c.at)  # fmt: skip


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most events in any interval of `window` seconds (a sliding window over sorted times)."""
    times = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] >= window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def answer_latencies(tg: FakeTelegram, crowd: Crowd) -> list[float]:
    """Seconds from each question's push to its answer reaching the server (the first part carrying 👍/👎)."""
    first: dict[int, float] = {}
    for call in tg.call_log("sendMessage"):
        if call.status == 200 and any(
            str(d).startswith("fb:") for d in _data({"reply_markup": call.params.get("reply_markup")})
        ):
            chat = int(call.params["chat_id"])
            first.setdefault(chat, call.at)
    return [first[u.chat] - u.asked_at for u in crowd.users if u.chat in first and u.asked_at is not None]


def pending_outbox(url: str) -> int:
    from sqlalchemy import func, select

    from tasks.db import Database
    from tasks.models import OutboxMessage
    from tasks.outbox import pending_condition

    db = Database.open(url, migrate=False)
    try:
        with db.session() as s:
            return s.scalar(select(func.count()).select_from(OutboxMessage).where(pending_condition()))
    finally:
        db.dispose()


def reminders_sent(url: str) -> tuple[Counter[tuple[int, str]], int]:
    """(chat id, task code) of every reminder row marked sent, and the number of due rows neither sent nor
    cancelled."""
    from sqlalchemy import func, select

    from tasks.db import Database
    from tasks.models import Official, Reminder, Task

    db = Database.open(url, migrate=False)
    try:
        with db.session() as s:
            sent = Counter(
                (int(chat), code)
                for chat, code in s.execute(
                    select(Official.telegram_user_id, Task.code)
                    .join(Reminder, Reminder.official_id == Official.id)
                    .join(Task, Task.id == Reminder.task_id)
                    .where(Reminder.sent_at.is_not(None))
                )
            )
            unsent = s.scalar(
                select(func.count()).where(Reminder.sent_at.is_(None), Reminder.cancelled_at.is_(None),
                                           Reminder.due_at <= MONDAY_8)
            )  # fmt: skip
            return sent, unsent
    finally:
        db.dispose()
