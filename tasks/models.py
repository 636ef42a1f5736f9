"""Database tables of the task domain (SQLAlchemy 2 typed declarative).

The schema itself is created by the Alembic migrations in `tasks/migrations/` (a test checks that the
two agree); these classes are how the code reads and writes it. Every timestamp is an aware UTC datetime
on both SQLite and PostgreSQL (`UTCDateTime`), so comparisons such as "changed by the bot after the
spreadsheet was saved" never mix naive and aware values.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ColumnElement,
    Date,
    DateTime,
    Dialect,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    and_,
    or_,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from tasks.normalize import CLOSED_STATUSES, Role, TaskStatus, Via, fold, normalize_phone
from tasks.timeutil import utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, whatever the backend.

    SQLite has no time zone type: values are stored as naive UTC there; PostgreSQL uses timestamptz.
    A naive value handed in by code is taken to be UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _enum(cls: type, name: str) -> Enum:
    """Enum stored as its value in a VARCHAR (a CHECK constraint is created by the migration)."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=False,
        length=20,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class Unit(Base):
    """An organisational unit (UBND tỉnh, Sở, xã/phường...). `parent_id` makes the tree of docs/cli.md §4."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    # Loose key ("so noi vu"): two spellings of one unit must not become two units.
    name_folded: Mapped[str] = mapped_column(Text, unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent", order_by="Unit.id")
    officials: Mapped[list[Official]] = relationship(back_populates="unit")

    @validates("name")
    def _set_folded(self, _key: str, value: str) -> str:
        self.name_folded = fold(value)
        return value

    def ancestors_and_self(self) -> list[Unit]:
        """This unit, its parent, ... up to the top (cycle-safe, though imports forbid cycles)."""
        chain: list[Unit] = []
        seen: set[int] = set()
        unit: Unit | None = self
        while unit is not None and id(unit) not in seen:
            seen.add(id(unit))
            chain.append(unit)
            unit = unit.parent
        return chain

    def __repr__(self) -> str:
        return f"Unit({self.id!r}, {self.name!r})"


class Official(Base):
    """A civil servant from the roster; `telegram_user_id` is set once they link their account."""

    __tablename__ = "officials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(Text)
    position: Mapped[str | None] = mapped_column(Text)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    phone: Mapped[str | None] = mapped_column(Text)
    phone_normalized: Mapped[str | None] = mapped_column(String(16), index=True)
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    telegram_username: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"), default=Role.CAN_BO)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Telegram refused to deliver to this official's chat (403 blocked / 400 chat not found) since then;
    # pushes stop until they write to the bot again (`tasks.reachability`).
    unreachable_since: Mapped[datetime | None] = mapped_column(default=None)

    unit: Mapped[Unit] = relationship(back_populates="officials")

    @validates("phone")
    def _set_phone_normalized(self, _key: str, value: str | None) -> str | None:
        try:
            self.phone_normalized = normalize_phone(value) if value else None
        except ValueError:
            self.phone_normalized = None
        return value

    def __repr__(self) -> str:
        return f"Official({self.code!r}, {self.full_name!r}, {self.role.value})"


class Task(Base):
    """A task with the "6 rõ": việc, người, trách nhiệm, thời gian, sản phẩm, thẩm quyền.

    `progress_updated_at/_via` remember who last changed status/progress/completion, separately from
    `updated_at`: an import that keeps the bot's progress but updates the wording must not make an older
    spreadsheet win on the next re-import.
    """

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    content: Mapped[str] = mapped_column(Text)
    assignee_id: Mapped[int] = mapped_column(ForeignKey("officials.id", ondelete="RESTRICT"), index=True)
    lead_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    deadline: Mapped[date] = mapped_column(Date, index=True)
    product: Mapped[str] = mapped_column(Text)
    assigned_by: Mapped[str] = mapped_column(Text)
    source_document: Mapped[str | None] = mapped_column(Text)
    status: Mapped[TaskStatus] = mapped_column(
        _enum(TaskStatus, "task_status"), default=TaskStatus.CHUA_BAT_DAU
    )
    progress: Mapped[int] = mapped_column(SmallInteger, default=0)
    completed_on: Mapped[date | None] = mapped_column(Date)
    result_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_via: Mapped[Via] = mapped_column(_enum(Via, "via"), default=Via.IMPORT)
    progress_updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    progress_updated_via: Mapped[Via] = mapped_column(_enum(Via, "via"), default=Via.IMPORT)
    created_by: Mapped[str | None] = mapped_column(Text)
    # The first deadline, kept when an approved extension moves `deadline` ("gia hạn từ …"); None until then.
    original_deadline: Mapped[date | None] = mapped_column(Date)
    # Who assigned the task, as an official (in chat; an imported `Người giao` that is a Mã cán bộ); else
    # None and `assigned_by` keeps the free text. Decides extensions and reviews (`tasks.workflow`).
    assigner_official_id: Mapped[int | None] = mapped_column(
        ForeignKey("officials.id", ondelete="SET NULL"), index=True
    )
    # The office's date of the hand-in waiting for review (status chờ duyệt): on or before the deadline, the
    # task is not overdue while it waits. Cleared when the product is sent back.
    submitted_on: Mapped[date | None] = mapped_column(Date)

    assignee: Mapped[Official] = relationship(foreign_keys=[assignee_id])
    lead_unit: Mapped[Unit] = relationship()
    assigner: Mapped[Official | None] = relationship(foreign_keys=[assigner_official_id])

    @property
    def is_done(self) -> bool:
        return self.status == TaskStatus.HOAN_THANH

    @property
    def is_cancelled(self) -> bool:
        """Withdrawn (đã hủy): kept with its history, counted nowhere."""
        return self.status == TaskStatus.DA_HUY

    @property
    def is_closed(self) -> bool:
        """Done or cancelled: nothing more is expected (no reminder, no progress)."""
        return self.status in CLOSED_STATUSES

    @property
    def is_waiting_review(self) -> bool:
        """Handed in (chờ duyệt): the approver has the product; the official waits."""
        return self.status == TaskStatus.CHO_DUYET

    def is_overdue(self, today: date) -> bool:
        """Not done (nor cancelled), the deadline is before today (today in TROLY_TIMEZONE), and not a
        product handed in by the deadline that waits for review (`overdue_condition` is the SQL form)."""
        if self.is_closed or self.deadline >= today:
            return False
        handed_in_on_time = self.submitted_on is not None and self.submitted_on <= self.deadline
        return not (self.is_waiting_review and handed_in_on_time)

    def __repr__(self) -> str:
        return f"Task({self.code!r}, {self.status.value}, {self.progress}%)"


def overdue_condition(today: date) -> ColumnElement[bool]:
    """SQL form of `Task.is_overdue(today)`, for counts and lists: not closed, past the deadline, and not a
    product handed in by the deadline waiting for review (the wait is the approver's, not the official's)."""
    return and_(
        Task.status.not_in(CLOSED_STATUSES),
        Task.deadline < today,
        or_(
            Task.status != TaskStatus.CHO_DUYET,
            Task.submitted_on.is_(None),
            Task.submitted_on > Task.deadline,
        ),
    )


class AuditLog(Base):
    """One row per changed field (or refused attempt): who, when, through what, old → new."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity_entity_key", "entity", "entity_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(Text)
    via: Mapped[str] = mapped_column(String(20))
    entity: Mapped[str] = mapped_column(String(20))
    entity_key: Mapped[str] = mapped_column(Text)
    field: Mapped[str | None] = mapped_column(String(64))
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)


class LinkCode(Base):
    """A single-use invitation code that links a Telegram account to an official (deep link /start CODE)."""

    __tablename__ = "link_codes"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(20))  # "group" | "replaced"

    official: Mapped[Official] = relationship()


# What was wrong with an answer rated 👎 (the buttons "Sai", "Thiếu", "Không liên quan", "Khác").
FEEDBACK_REASONS = ("sai", "thieu", "khong_lien_quan", "khac")


class LinkAttempt(Base):
    """A failed redemption of an invitation code by a Telegram account (for the per-account throttle)."""

    __tablename__ = "link_attempts"
    __table_args__ = (Index("ix_link_attempts_telegram_user_id_at", "telegram_user_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str] = mapped_column(String(20))


class Feedback(Base):
    """A question answered by the bot (the question log) and the asker's 👍 (+1) / 👎 (-1), with what was
    wrong (`reason`, `comment`) after a 👎.

    `token` is the random, unguessable id put in the buttons' callback data (never the sequential `id`).
    `question_key` is the question's normalised form (`tasks.feedback.question_key`: case, accents, spaces,
    punctuation) that statistics group by. `refused`: the bot said it found nothing (not grounded, no
    citation). Rows older than TROLY_LOG_RETENTION_DAYS are deleted (`tasks.feedback.purge_old`).
    """

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: _new_token())
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    question: Mapped[str] = mapped_column(Text)
    question_key: Mapped[str] = mapped_column(Text, default="", index=True)
    answer: Mapped[str] = mapped_column(Text)
    sources: Mapped[Any | None] = mapped_column(JSON)
    refused: Mapped[bool] = mapped_column(Boolean, default=False)
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    reason: Mapped[str | None] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)


def _new_token() -> str:
    """``a`` + 16 URL-safe characters (96 random bits): fits callback data, cannot be guessed."""
    import secrets

    return "a" + secrets.token_urlsafe(12)


class FeedbackPending(Base):
    """A 👎 waiting for its optional comment: the asker's next text in that chat, until `expires_at`.

    In the database (not in memory) so the step survives a restart and works with several bot processes.
    One row per (user, chat): a newer 👎 replaces the older wait.
    """

    __tablename__ = "feedback_pending"

    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), index=True)
    prompt_message_id: Mapped[int | None] = mapped_column(BigInteger)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# Reminder kinds (how reminders work: docs/tasks.md). Stored as plain strings with a CHECK constraint.
REMINDER_KINDS = ("before_3d", "before_1d", "due_day", "overdue", "digest")
_PENDING = text("sent_at IS NULL AND cancelled_at IS NULL")
_NO_TASK = text("task_id IS NULL")


class Reminder(Base):
    """One message to push to one official at one moment: a row per (task, kind, due time).

    Rows are the queue: `tasks.reminders.plan_reminders` inserts them (idempotently, thanks to the unique
    key), a dispatcher claims due ones (`claimed_by`/`claimed_at`, a lease), sends and sets `sent_at`; a
    failure bumps `attempts` and pushes `next_attempt_at` back. Rows are never deleted by the queue, so a
    restart finds everything still pending; obsolete rows get `cancelled_at` and a `cancel_reason`.
    `deadline` is the task deadline the row was planned for: a moved deadline makes the row obsolete.
    Digest rows (`kind == "digest"`) have no task; a partial unique index keeps them idempotent too.
    """

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("task_id", "kind", "due_at"),
        Index(
            "uq_reminders_digest_official_id_kind_due_at",
            "official_id",
            "kind",
            "due_at",
            unique=True,
            sqlite_where=_NO_TASK,
            postgresql_where=_NO_TASK,
        ),
        Index(
            "ix_reminders_pending_next_attempt_at",
            "next_attempt_at",
            sqlite_where=_PENDING,
            postgresql_where=_PENDING,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    deadline: Mapped[date | None] = mapped_column(Date)
    due_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    task: Mapped[Task | None] = relationship()
    official: Mapped[Official] = relationship()

    @property
    def is_pending(self) -> bool:
        return self.sent_at is None and self.cancelled_at is None

    def __repr__(self) -> str:
        state = "sent" if self.sent_at else "cancelled" if self.cancelled_at else "pending"
        return f"Reminder({self.id!r}, task={self.task_id!r}, {self.kind}, {self.due_at:%Y-%m-%d %H:%M}Z, {state})"


class ReminderSetting(Base):
    """An official's choices in /nhacviec. No row = the defaults of `tasks.reminders.ReminderPolicy`.

    A separate table (not columns on `officials`) so roster imports never touch these choices and the
    defaults can change in configuration without rewriting every official.
    """

    __tablename__ = "reminder_settings"

    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id", ondelete="CASCADE"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    hour: Mapped[int] = mapped_column(SmallInteger, default=8)
    weekends: Mapped[bool] = mapped_column(Boolean, default=False)
    digest: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- the "6 rõ" cycle in chat: products, extensions, dialogue state ------------------------------------------

PRODUCT_KINDS = ("file", "photo", "text", "link")
VERDICTS = ("dat", "chua_dat")  # đạt / chưa đạt
EXTENSION_STATES = ("pending", "approved", "rejected")
_PENDING_EXTENSION = text("status = 'pending'")


class TaskProduct(Base):
    """One thing handed in for a task (rõ sản phẩm): a file or photo stored under the data folder by content
    hash (`path` relative to it), a text, or a link; and the approver's verdict on it.

    Several rows handed in before one review are judged together: the review stamps every row of the task
    that has no verdict yet. Rows are kept after a "chưa đạt" (the history of what was handed in).
    """

    __tablename__ = "task_products"
    __table_args__ = (
        CheckConstraint("kind IN ('file', 'photo', 'text', 'link')", name="kind"),
        CheckConstraint("verdict IS NULL OR verdict IN ('dat', 'chua_dat')", name="verdict"),
        CheckConstraint("size IS NULL OR size >= 0", name="size_non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(Text)  # file name as sent, "Ảnh", the link, or the text's first words
    size: Mapped[int | None] = mapped_column(BigInteger)  # bytes (files, photos, texts)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    path: Mapped[str | None] = mapped_column(Text)  # relative to the data folder: products/ab/abcdef….pdf
    mime_type: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[str | None] = mapped_column(Text)  # the text or the link itself
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("officials.id", ondelete="RESTRICT"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id", ondelete="SET NULL"))
    verdict: Mapped[str | None] = mapped_column(String(10))
    review_comment: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[datetime | None]

    task: Mapped[Task] = relationship()
    submitted_by: Mapped[Official] = relationship(foreign_keys=[submitted_by_id])
    reviewer: Mapped[Official | None] = relationship(foreign_keys=[reviewer_id])


class ExtensionRequest(Base):
    """An official's request for a later deadline, with a reason, and the decision on it.

    At most one request per task is pending (a partial unique index): a second one is refused until the
    first is decided. `old_deadline` is the deadline when asked (the decision is refused if it moved since).
    """

    __tablename__ = "extension_requests"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status"),
        Index(
            "uq_extension_requests_pending_task_id",
            "task_id",
            unique=True,
            sqlite_where=_PENDING_EXTENSION,
            postgresql_where=_PENDING_EXTENSION,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("officials.id", ondelete="RESTRICT"), index=True)
    old_deadline: Mapped[date] = mapped_column(Date)
    requested_deadline: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)

    task: Mapped[Task] = relationship()
    requested_by: Mapped[Official] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[Official | None] = relationship(foreign_keys=[decided_by_id])


class DialogueState(Base):
    """The state of one multi-step dialogue (assign form, extension request, product, import confirmation).

    In the database so it survives a restart and two bot processes sharing the database see the same step;
    `key` names the conversation ("chat:<chat id>:user:<user id>"), `kind` the dialogue, `data` its JSON.
    A row past `expires_at` is as good as absent. Written by `tasks.dialogue_state.DialogueStore`.
    """

    __tablename__ = "dialogue_states"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    data: Mapped[Any] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxMessage(Base):
    """One message the bot must send (a reply, a notice to someone else, a reminder), until it is sent or has
    failed for good. Written and drained by `tasks.outbox`; `payload` is the message as plain JSON (text,
    buttons, reply/edit ids), never a Telegram object.

    `key` makes an enqueue idempotent (a reminder row is handed over once, whatever crashes). `claimed_by`
    / `claimed_at` is the lease of the process sending it; `parts_sent` counts the parts of a long message
    already accepted (a retry resumes after them). Exactly one of `sent_at` / `failed_at` is set at the end.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index(
            "ix_outbox_due",
            "priority",
            "next_attempt_at",
            postgresql_where=text("sent_at IS NULL AND failed_at IS NULL"),
            sqlite_where=text("sent_at IS NULL AND failed_at IS NULL"),
        ),
        Index(
            "ix_outbox_chat_pending",
            "chat_id",
            "id",
            postgresql_where=text("sent_at IS NULL AND failed_at IS NULL"),
            sqlite_where=text("sent_at IS NULL AND failed_at IS NULL"),
        ),
        Index("ix_outbox_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str | None] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    priority: Mapped[int] = mapped_column(SmallInteger, default=0)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    deadline_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    parts_sent: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    failed_at: Mapped[datetime | None]
    error_kind: Mapped[str | None] = mapped_column(String(20))
    last_error: Mapped[str | None] = mapped_column(Text)
    retry_after: Mapped[float | None]


class OutboxBudget(Base):
    """The send budget shared by every process: one row per scope ("all", "chat:<id>", "group:<id>") with
    the times (epoch seconds) of its recent sends, and for "all" a pause ordered by Telegram (429)."""

    __tablename__ = "outbox_budget"

    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    stamps: Mapped[Any] = mapped_column(JSON)
    paused_until: Mapped[float] = mapped_column(default=0.0)
    updated_at: Mapped[float] = mapped_column(default=0.0)


class IndexGeneration(Base):
    """A counter every bot process watches: bumped when the document index changes (a document added or
    removed in chat), so processes sharing the database reload their copy of the index within seconds.

    One row per index (`key`, "corpus"). Written by `tasks.index_generation`.
    """

    __tablename__ = "index_generations"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by: Mapped[str | None] = mapped_column(Text)
