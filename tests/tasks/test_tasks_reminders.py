"""Reminder queue: the schedule (days, hours, weekends, quiet hours), planning, claims and leases, retries,
obsolescence, on SQLite and PostgreSQL, all driven by an explicit clock."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tasks.db import Database, current_revision, downgrade, make_engine, upgrade
from tasks.models import Official, Reminder, ReminderSetting, Task, Unit
from tasks.reminders import (
    BEFORE_1D,
    BEFORE_3D,
    DIGEST,
    DUE_DAY,
    OVERDUE,
    Prefs,
    ReminderPolicy,
    backoff,
    claim_due,
    mark_failed,
    mark_sent,
    next_sending_time,
    plan_reminders,
    recheck,
    task_slot_days,
)
from tasks.reminders.settings import parse_settings_args, update_prefs
from tasks.service import complete_task
from tasks.timeutil import DEFAULT_TZ
from tests.db_fixtures import T0, Org
from troly.config import Settings

POLICY = ReminderPolicy()
WEEKDAYS_ONLY = Prefs(enabled=True, hour=8, weekends=False, digest=True)
EVERY_DAY = Prefs(enabled=True, hour=8, weekends=True, digest=True)
THU, FRI, SAT, SUN, MON = (date(2026, 11, d) for d in (19, 20, 21, 22, 23))


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """An aware UTC instant for hour:minute in Hà Nội on `day`."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=DEFAULT_TZ).astimezone(UTC)


def link(org: Org, session: Session) -> Org:
    """Give every official of the org a Telegram account (chat id = 1000 + their id)."""
    for o in session.scalars(select(Official)):
        o.telegram_user_id = 1000 + o.id
    session.commit()
    return org


def add_task(
    session: Session, code: str, assignee: Official, deadline: date, unit: Unit | None = None, **values
) -> Task:
    fields = {
        "content": f"Nội dung {code}", "product": "Báo cáo", "assigned_by": "Chủ tịch UBND tỉnh",
        "created_at": T0, "updated_at": T0, "progress_updated_at": T0, **values,
    }  # fmt: skip
    task = Task(code=code, assignee=assignee, lead_unit=unit or assignee.unit, deadline=deadline, **fields)
    session.add(task)
    session.commit()
    return task


def deliver(
    session: Session, now: datetime, worker: str = "w1", policy: ReminderPolicy = POLICY
) -> list[Reminder]:
    """One synchronous sweep without a transport: plan, claim, re-check, mark sent. Returns what was sent."""
    plan_reminders(session, now, policy)
    sent = []
    for claim in claim_due(session, now, worker, 1000, policy):
        row = recheck(session, claim, now, policy)
        if row is not None:
            assert mark_sent(session, claim, now)
            sent.append(row)
    return sent


@pytest.fixture
def linked(session: Session, org: Org) -> Org:
    """The org with every official linked; leaders' digests off (tests about digests switch them on)."""
    link(org, session)
    for leader in (org.leader_a, org.leader_b):
        update_prefs(session, leader, digest=False, now=T0)
    return org


# --- the schedule, pure ------------------------------------------------------------------------------------


def test_warnings_three_days_one_day_and_due_day() -> None:
    deadline = date(2026, 11, 26)  # Thursday
    slots = task_slot_days(deadline, WEEKDAYS_ONLY, POLICY, date(2026, 11, 20), date(2026, 12, 1))
    assert slots == [
        (BEFORE_3D, date(2026, 11, 23)),
        (BEFORE_1D, date(2026, 11, 25)),
        (DUE_DAY, date(2026, 11, 26)),
        (OVERDUE, date(2026, 11, 27)),  # Friday; Saturday and Sunday skipped
        (OVERDUE, date(2026, 11, 30)),
        (OVERDUE, date(2026, 12, 1)),
    ]


def test_weekend_warnings_move_back_to_friday_and_the_most_urgent_wins() -> None:
    # Monday deadline: 3 days before = Friday, 1 day before = Sunday → Friday too: only "before_1d" is kept.
    assert task_slot_days(MON, WEEKDAYS_ONLY, POLICY, THU, MON) == [(BEFORE_1D, FRI), (DUE_DAY, MON)]
    # Sunday deadline: due day → Friday, 1 day before (Saturday) → Friday, 3 days before = Thursday.
    assert task_slot_days(SUN, WEEKDAYS_ONLY, POLICY, THU - timedelta(days=3), MON) == [
        (BEFORE_3D, THU), (DUE_DAY, FRI), (OVERDUE, MON),
    ]  # fmt: skip
    # An official who accepts weekend messages gets them on the nominal days, overdue ones every day.
    assert task_slot_days(SUN, EVERY_DAY, POLICY, THU, MON) == [
        (BEFORE_3D, THU), (BEFORE_1D, SAT), (DUE_DAY, SUN), (OVERDUE, MON),
    ]  # fmt: skip


def test_overdue_reminders_can_be_capped() -> None:
    capped = ReminderPolicy(max_overdue_days=2)
    slots = task_slot_days(MON, EVERY_DAY, capped, MON, MON + timedelta(days=10))
    assert [s for s in slots if s[0] == OVERDUE] == [
        (OVERDUE, MON + timedelta(1)),
        (OVERDUE, MON + timedelta(2)),
    ]


def test_next_sending_time_respects_quiet_hours_and_weekends() -> None:
    assert next_sending_time(local(THU, 10), WEEKDAYS_ONLY, POLICY) == local(THU, 10)
    assert next_sending_time(local(THU, 22), WEEKDAYS_ONLY, POLICY) == local(FRI, 8)
    assert next_sending_time(local(FRI, 5), WEEKDAYS_ONLY, POLICY) == local(FRI, 8)
    assert next_sending_time(local(FRI, 21, 30), WEEKDAYS_ONLY, POLICY) == local(MON, 8)
    assert next_sending_time(local(SAT, 12), WEEKDAYS_ONLY, POLICY) == local(MON, 8)
    assert next_sending_time(local(SAT, 12), EVERY_DAY, POLICY) == local(SAT, 12)


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(50) == POLICY.backoff_max


def test_policy_from_settings() -> None:
    env = {"TROLY_REMINDER_HOUR": "9", "TROLY_REMINDER_WEEKENDS": "1", "TROLY_QUIET_HOURS": "22-6"}
    settings = Settings.from_env(env, dotenv=False).tasks
    policy = ReminderPolicy.from_settings(settings)
    assert (policy.default_hour, policy.weekends, policy.quiet_start, policy.quiet_end) == (9, True, 22, 6)
    assert list(policy.allowed_hours) == list(range(6, 22))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tắt", {"enabled": False}),
        ("BAT", {"enabled": True}),
        ("7h", {"hour": 7}),
        ("08:00", {"hour": 8}),
        ("9 giờ sáng", {"hour": 9}),
        ("cuối tuần bật", {"weekends": True}),
        ("tom tat tat", {"digest": False}),
        ("", {}),
    ],
)
def test_parse_settings_args(text: str, expected: dict) -> None:
    change = parse_settings_args(text)
    assert {k: v for k, v in vars(change).items() if v is not None} == expected


# --- the schedule through the database, day by day ------------------------------------------------------------


def walk(
    session: Session, start: date, days: int, hours=(6, 7, 8, 12, 22), *, digests: bool = False
) -> list[tuple[str, str, str]]:
    """Sweep at several local times each day; returns (local time, task code, kind) of each message
    (leaders' digests are sent too, but listed only with `digests=True`)."""
    out = []
    for i in range(days):
        day = start + timedelta(days=i)
        for hour in hours:
            now = local(day, hour)
            for row in deliver(session, now):
                if row.kind == DIGEST and not digests:
                    continue
                code = row.task.code if row.task else f"digest:{row.official.code}"
                out.append((now.astimezone(DEFAULT_TZ).strftime("%a %d %H:%M"), code, row.kind))
    return out


def test_reminders_at_the_right_local_times_across_days_and_weekends(session: Session, linked: Org) -> None:
    add_task(session, "T1", linked.staff_a, date(2026, 11, 26))  # Thursday
    sent = walk(session, date(2026, 11, 20), 12)
    assert sent == [
        ("Mon 23 08:00", "T1", BEFORE_3D),
        ("Wed 25 08:00", "T1", BEFORE_1D),
        ("Thu 26 08:00", "T1", DUE_DAY),
        ("Fri 27 08:00", "T1", OVERDUE),
        ("Mon 30 08:00", "T1", OVERDUE),
        ("Tue 01 08:00", "T1", OVERDUE),
    ]
    # Each was sent once, and nothing is left pending for the past.
    assert (
        session.scalar(
            select(func.count()).where(Reminder.sent_at.is_not(None), Reminder.task_id.is_not(None))
        )
        == 6
    )


def test_chosen_hour_weekends_and_switching_off(session: Session, linked: Org) -> None:
    update_prefs(session, linked.staff_a, hour=10, weekends=True, now=T0)
    add_task(session, "T1", linked.staff_a, SUN)
    add_task(session, "T2", linked.staff_b, SUN)
    update_prefs(session, linked.staff_b, enabled=False, now=T0)
    sent = walk(session, THU, 4, hours=(8, 10, 12))
    assert sent == [
        ("Thu 19 10:00", "T1", BEFORE_3D),
        ("Sat 21 10:00", "T1", BEFORE_1D),
        ("Sun 22 10:00", "T1", DUE_DAY),
    ]
    with pytest.raises(Exception, match="Giờ nhắc phải từ 7h đến 20h"):
        update_prefs(session, linked.staff_a, hour=22, now=T0)


def test_a_deadline_moved_cancels_the_old_schedule(session: Session, linked: Org) -> None:
    task = add_task(session, "T1", linked.staff_a, date(2026, 11, 26))
    assert [r.kind for r in deliver(session, local(MON, 8))] == [BEFORE_3D]
    plan_reminders(session, local(date(2026, 11, 24), 12), POLICY)  # the 25th's before_1d is now planned
    task.deadline = date(2026, 12, 3)  # moved a week later (an import, or a leader's decision)
    session.commit()
    sent = walk(session, date(2026, 11, 24), 10, hours=(8,))
    assert [(when[:6], kind) for when, _code, kind in sent] == [
        ("Mon 30", BEFORE_3D), ("Wed 02", BEFORE_1D), ("Thu 03", DUE_DAY),
    ]  # fmt: skip
    moved = session.scalars(select(Reminder).where(Reminder.cancel_reason == "deadline_moved")).all()
    assert moved and all(r.deadline == date(2026, 11, 26) and r.sent_at is None for r in moved)


def test_done_tasks_and_unlinked_officials_get_nothing(session: Session, linked: Org) -> None:
    add_task(session, "T1", linked.staff_a, MON)
    add_task(session, "T2", linked.staff_b, MON)
    plan_reminders(session, local(THU, 12), POLICY)
    complete_task(session, linked.staff_a, session.scalar(select(Task.id).where(Task.code == "T1")), "Xong",
                  now=local(THU, 13))  # fmt: skip
    linked.staff_b.telegram_user_id = None
    session.commit()
    assert walk(session, FRI, 4, hours=(8,)) == []
    reasons = dict(
        session.execute(select(Reminder.cancel_reason, func.count()).group_by(Reminder.cancel_reason)).all()
    )
    assert reasons == {"task_done": 1, "recipient_off": 1}


def test_after_downtime_only_the_latest_reminder_of_a_task_goes_out(session: Session, linked: Org) -> None:
    add_task(session, "T1", linked.staff_a, date(2026, 11, 26))
    plan_reminders(session, local(date(2026, 11, 22), 12), POLICY)  # Sunday: Monday's before_3d planned
    plan_reminders(session, local(date(2026, 11, 24), 12), POLICY)  # bot down, nothing sent; Wed planned
    sent = deliver(session, local(date(2026, 11, 25), 9))  # back on Wednesday at 09:00
    assert [r.kind for r in sent] == [BEFORE_1D]
    assert session.scalar(select(Reminder.cancel_reason).where(Reminder.kind == BEFORE_3D)) == "superseded"


def test_planning_is_idempotent(session: Session, linked: Org) -> None:
    add_task(session, "T1", linked.staff_a, date(2026, 11, 26))
    first = plan_reminders(session, local(date(2026, 11, 25), 6), POLICY)
    again = plan_reminders(session, local(date(2026, 11, 25), 7), POLICY)
    # before_1d (Wed) and due_day (Thu): today and tomorrow are planned
    assert (first.created, again.created, again.cancelled) == (2, 0, 0)
    kinds = session.scalars(select(Reminder.kind).order_by(Reminder.due_at, Reminder.kind)).all()
    assert kinds.count(BEFORE_1D) == 1 and kinds.count(DUE_DAY) == 1
    with pytest.raises(IntegrityError):
        row = session.scalars(select(Reminder).where(Reminder.kind == DUE_DAY)).one()
        session.add(Reminder(task_id=row.task_id, official_id=row.official_id, kind=DUE_DAY, deadline=row.deadline,
                             due_at=row.due_at, next_attempt_at=row.due_at, attempts=0))  # fmt: skip
        session.commit()
    session.rollback()


def test_leaders_get_a_digest_on_working_days(session: Session, linked: Org) -> None:
    for leader in (linked.leader_a, linked.leader_b):
        update_prefs(session, leader, digest=True, now=T0)
    sent = walk(session, FRI, 4, hours=(8,), digests=True)
    assert sent == [
        ("Fri 20 08:00", "digest:LA01", DIGEST), ("Fri 20 08:00", "digest:LB01", DIGEST),
        ("Mon 23 08:00", "digest:LA01", DIGEST), ("Mon 23 08:00", "digest:LB01", DIGEST),
    ]  # fmt: skip
    update_prefs(session, linked.leader_b, digest=False, now=T0)
    # Tue 24/11/2026 is Ngày Văn hóa Việt Nam, a public holiday: no digest; Wednesday gets one again.
    assert deliver(session, local(date(2026, 11, 24), 8)) == []
    assert [r.official.code for r in deliver(session, local(date(2026, 11, 25), 8))] == ["LA01"]
    with pytest.raises(IntegrityError):  # the partial unique index keeps digest rows idempotent too
        session.add(Reminder(task_id=None, official_id=linked.leader_a.id, kind=DIGEST,
                             due_at=local(date(2026, 11, 25), 8), next_attempt_at=T0, attempts=0))  # fmt: skip
        session.commit()
    session.rollback()


def test_changing_the_hour_replans_pending_rows(session: Session, linked: Org) -> None:
    add_task(session, "T1", linked.staff_a, date(2026, 11, 26))
    plan_reminders(session, local(date(2026, 11, 25), 6), POLICY)
    update_prefs(session, linked.staff_a, hour=9, now=local(date(2026, 11, 25), 6))
    assert [r for r in deliver(session, local(date(2026, 11, 25), 8)) if r.task_id] == []  # digests only
    sent = [r.kind for r in deliver(session, local(date(2026, 11, 25), 9)) if r.task_id]
    assert sent == [BEFORE_1D]
    assert session.scalar(select(func.count()).where(Reminder.cancel_reason == "replanned")) >= 1


# --- claims, leases, failures ------------------------------------------------------------------------------


def test_claims_expire_so_a_crashed_worker_loses_nothing(session: Session, linked: Org) -> None:
    for i in range(5):
        add_task(session, f"T{i}", linked.staff_a, MON)
    now = local(MON, 8)
    plan_reminders(session, now, POLICY)
    crashed = claim_due(session, now, "crashed", 100, POLICY)  # claimed, then the process died
    assert len(crashed) == 5
    assert claim_due(session, now + timedelta(minutes=4), "w2", 100, POLICY) == []  # lease still held
    later = now + POLICY.lease + timedelta(seconds=1)
    sent = deliver(session, later, "w2")
    assert len(sent) == 5
    for claim in crashed:  # the dead worker's marks (if it came back) are refused
        assert not mark_sent(session, claim, later)
    assert session.scalar(select(func.count()).where(Reminder.sent_at.is_not(None))) == 5


def test_failures_back_off_and_are_never_dropped(session: Session, linked: Org) -> None:
    add_task(session, "T1", linked.staff_a, MON)
    now = local(MON, 8)
    plan_reminders(session, now, POLICY)
    delays = []
    for _ in range(8):
        (claim,) = claim_due(session, now, "w", 10, POLICY)
        when = mark_failed(session, claim, now, "NetworkError: boom", policy=POLICY)
        assert claim_due(session, now, "w", 10, POLICY) == []  # not before its time
        delays.append((when - now).total_seconds())
        now = when
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600]
    (claim,) = claim_due(session, now, "w", 10, POLICY)
    assert mark_failed(session, claim, now, "429", retry_after=7, policy=POLICY) == now + timedelta(seconds=7)
    row = session.get(Reminder, claim.id, populate_existing=True)
    assert (row.attempts, row.last_error, row.is_pending) == (9, "429", True)


def test_nothing_is_claimed_during_quiet_hours(session: Session, linked: Org) -> None:
    add_task(session, "T1", linked.staff_a, MON)
    plan_reminders(session, local(MON, 8), POLICY)
    assert claim_due(session, local(MON, 21), "w", 10, POLICY) == []
    assert claim_due(session, local(date(2026, 11, 24), 6, 59), "w", 10, POLICY) == []
    assert len(claim_due(session, local(date(2026, 11, 24), 7), "w", 10, POLICY)) >= 1


def test_concurrent_claims_never_share_a_row(db: Database, linked: Org) -> None:
    with db.session() as session:
        for i in range(60):
            add_task(session, f"T{i}", session.get(Official, linked.staff_a.id), MON)
        plan_reminders(session, local(MON, 8), POLICY)
    got: list[list[int]] = []
    barrier = threading.Barrier(4)

    def worker(name: str) -> None:
        mine = []
        with db.session() as s:
            barrier.wait()
            while claims := claim_due(s, local(MON, 8), name, 3, POLICY):
                mine += [c.id for c in claims]
        got.append(mine)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    ids = [i for mine in got for i in mine]
    assert len(ids) == len(set(ids)) == 60  # each claimed exactly once


# --- schema ----------------------------------------------------------------------------------------------


def test_migration_0002_up_and_down(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        upgrade(engine, "0001")
        assert "reminders" not in inspect(engine).get_table_names()
        upgrade(engine, "0002")
        assert current_revision(engine) == "0002"
        assert {"reminders", "reminder_settings"} <= set(inspect(engine).get_table_names())
        downgrade(engine, "0001")
        assert not {"reminders", "reminder_settings"} & set(inspect(engine).get_table_names())
        assert current_revision(engine) == "0001"
    finally:
        engine.dispose()


def test_settings_rows_go_with_the_official(session: Session, linked: Org) -> None:
    update_prefs(session, linked.staff_b, hour=9, now=T0)
    assert session.get(ReminderSetting, linked.staff_b.id).hour == 9
    session.delete(linked.staff_b)
    session.commit()
    assert session.get(ReminderSetting, linked.staff_b.id) is None
