"""Linking Telegram accounts: by phone (normalised), by single-use invitation code, relinking, unlinking;
codes revoked when seen in a group or replaced, one winner when redeemed concurrently, wrong codes throttled."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tasks.db import Database
from tasks.errors import NotFound
from tasks.linking import (
    COOLDOWN,
    MAX_FAILURES,
    LinkStatus,
    create_invite,
    link_by_phone,
    redeem_invite,
    revoke_invite,
    unlink,
)
from tasks.models import AuditLog, LinkAttempt, LinkCode, Official
from tests.db_fixtures import T0, Org


@pytest.mark.parametrize(
    "spelling", ["0900000003", "+84 900 000 003", "84900000003", "0900.000.003", "900000003"]
)
def test_link_by_phone_matches_any_spelling(spelling: str, session: Session, org: Org) -> None:
    result = link_by_phone(session, 1001, "@tran_so", spelling, now=T0)
    assert result.status is LinkStatus.LINKED and result.ok
    assert result.official is org.staff_a
    assert "Trần Thị Sở" in result.message
    session.expire_all()
    assert (org.staff_a.telegram_user_id, org.staff_a.telegram_username) == (1001, "tran_so")
    entry = session.scalars(select(AuditLog).where(AuditLog.field == "telegram_user_id")).one()
    assert (entry.entity_key, entry.old, entry.new, entry.actor) == ("SA01", None, "1001", "telegram:1001")


def test_link_by_phone_outcomes(session: Session, org: Org) -> None:
    assert link_by_phone(session, 1, None, "0999999999").status is LinkStatus.NO_MATCH
    assert link_by_phone(session, 1, None, "12").status is LinkStatus.INVALID_PHONE
    assert link_by_phone(session, 1, None, "0900000003").status is LinkStatus.LINKED
    again = link_by_phone(session, 1, None, "0900000003")
    assert again.status is LinkStatus.ALREADY_LINKED and again.ok
    taken = link_by_phone(session, 2, None, "0900000003")
    assert taken.status is LinkStatus.TAKEN and not taken.ok and "tài khoản Telegram khác" in taken.message
    assert org.staff_a.telegram_user_id == 1


def test_shared_phone_is_ambiguous(session: Session, org: Org) -> None:
    org.staff_b.phone = "0900000003"
    session.commit()
    assert link_by_phone(session, 1, None, "0900000003").status is LinkStatus.AMBIGUOUS


def test_relinking_moves_the_telegram_account(session: Session, org: Org) -> None:
    link_by_phone(session, 77, None, "0900000003", now=T0)  # staff_a
    result = link_by_phone(session, 77, None, "0900000006", now=T0)  # staff_b, same Telegram account
    assert result.status is LinkStatus.LINKED
    session.expire_all()
    assert org.staff_a.telegram_user_id is None and org.staff_b.telegram_user_id == 77
    moved = session.scalars(
        select(AuditLog).where(AuditLog.entity_key == "SA01", AuditLog.new.is_(None))
    ).one()
    assert moved.old == "77" and "SB01" in (moved.note or "")


def test_invite_is_single_use(session: Session, org: Org) -> None:
    code = create_invite(session, "la01", T0)  # codes are matched case-insensitively
    assert len(code) >= 16 and code.replace("-", "").replace("_", "").isalnum()
    result = redeem_invite(session, code, 500, "@lanh", T0 + timedelta(days=1))
    assert result.status is LinkStatus.LINKED and result.official is org.leader_a
    assert org.leader_a.telegram_username == "lanh"
    assert redeem_invite(session, code, 501, None, T0 + timedelta(days=1)).status is LinkStatus.CODE_USED
    stored = session.get(LinkCode, code)
    assert (stored.used_by_telegram_id, stored.used_at) == (500, T0 + timedelta(days=1))


def test_invite_expires_after_seven_days(session: Session, org: Org) -> None:
    code = create_invite(session, "LA01", T0)
    assert redeem_invite(session, code, 500, None, T0 + timedelta(days=7)).status is LinkStatus.CODE_EXPIRED
    fresh = create_invite(session, "LA01", T0)
    assert redeem_invite(session, fresh, 500, None, T0 + timedelta(days=6, hours=23)).ok


def test_new_invite_replaces_the_unused_one(session: Session, org: Org) -> None:
    first = create_invite(session, "LA01", T0)
    second = create_invite(session, "LA01", T0 + timedelta(minutes=1))
    assert first != second
    replaced = redeem_invite(session, first, 9, None, T0 + timedelta(hours=1))
    assert replaced.status is LinkStatus.CODE_REPLACED
    assert "đã được thay bằng mã mới" in replaced.message and "hết hạn" not in replaced.message
    assert redeem_invite(session, second, 9, None, T0 + timedelta(hours=1)).ok


def test_invite_moves_an_official_to_a_new_account(session: Session, org: Org) -> None:
    link_by_phone(session, 10, None, "0900000002", now=T0)  # leader_a on an old phone
    result = redeem_invite(session, create_invite(session, "LA01", T0), 11, None, T0)
    assert result.ok and org.leader_a.telegram_user_id == 11


def test_bad_codes(session: Session, org: Org) -> None:
    assert redeem_invite(session, "khong-co", 1, None, T0).status is LinkStatus.INVALID_CODE
    assert redeem_invite(session, "  ", 1, None, T0).status is LinkStatus.INVALID_CODE
    with pytest.raises(NotFound, match="ZZ"):
        create_invite(session, "ZZ", T0)


def test_unlink(session: Session, org: Org) -> None:
    link_by_phone(session, 42, None, "0900000004", now=T0)
    assert unlink(session, "SA11", actor="cli", now=T0) is True
    assert org.staff_a1.telegram_user_id is None
    assert unlink(session, "SA11", actor="cli", now=T0) is False
    audit = session.scalars(select(AuditLog).where(AuditLog.note == "Hủy liên kết Telegram")).one()
    assert (audit.actor, audit.old, audit.new) == ("cli", "42", None)
    with pytest.raises(NotFound):
        unlink(session, "ZZ")


def test_a_code_revoked_in_a_group_no_longer_links(session: Session, org: Org) -> None:
    code = create_invite(session, "LA01", T0)
    assert revoke_invite(session, code, actor="telegram:77", now=T0 + timedelta(minutes=1)) is True
    assert revoke_invite(session, code, actor="telegram:77", now=T0 + timedelta(minutes=2)) is False
    assert revoke_invite(session, "khong-co-ma-nay", actor="telegram:77", now=T0) is False
    result = redeem_invite(session, code, 78, None, T0 + timedelta(minutes=3))
    assert result.status is LinkStatus.CODE_REVOKED and "đã bị huỷ vì đã lộ trong nhóm" in result.message
    assert org.leader_a.telegram_user_id is None
    notes = [a.note for a in session.scalars(select(AuditLog).where(AuditLog.entity_key == "LA01"))]
    assert "Huỷ mã liên kết vì mã đã lộ trong nhóm" in notes


def test_wrong_codes_are_throttled_per_account_and_audited(session: Session, org: Org) -> None:
    code = create_invite(session, "LA01", T0)
    for i in range(MAX_FAILURES):
        result = redeem_invite(session, f"doan-bua-{i}", 66, None, T0 + timedelta(minutes=i))
        assert result.status is LinkStatus.INVALID_CODE
    # Locked: even the right code is not looked at during the cool-down.
    locked = redeem_invite(session, code, 66, None, T0 + timedelta(minutes=5))
    assert locked.status is LinkStatus.THROTTLED and "quá nhiều lần" in locked.message
    assert "14 phút" in locked.message  # 15 minutes after the last wrong code (minute 4)
    assert org.leader_a.telegram_user_id is None
    # Another account is not affected.
    assert (
        redeem_invite(session, "doan-bua", 67, None, T0 + timedelta(minutes=5)).status
        is LinkStatus.INVALID_CODE
    )
    # After the cool-down (counted from the last attempt, here the locked one) the account may try again.
    later = T0 + timedelta(minutes=5) + COOLDOWN + timedelta(seconds=1)
    assert redeem_invite(session, code, 66, None, later).ok
    assert session.scalar(select(Official.telegram_user_id).where(Official.code == "LA01")) == 66
    attempts = session.scalars(select(LinkAttempt.outcome).where(LinkAttempt.telegram_user_id == 66)).all()
    assert attempts.count("invalid_code") == MAX_FAILURES and attempts.count("throttled") == 1
    audited = session.scalars(
        select(AuditLog).where(AuditLog.entity == "telegram", AuditLog.entity_key == "66")
    ).all()
    assert len(audited) == MAX_FAILURES + 1 and all(a.actor == "telegram:66" for a in audited)


def test_wrong_codes_spread_over_more_than_ten_minutes_are_not_throttled(session: Session, org: Org) -> None:
    for i in range(3 * MAX_FAILURES):
        result = redeem_invite(session, f"sai-{i}", 66, None, T0 + timedelta(minutes=3 * i))
        assert result.status is LinkStatus.INVALID_CODE


def _race(db: Database, code: str, accounts: tuple[int, int]) -> dict[int, LinkStatus]:
    """Both accounts redeem `code` in their own thread and session, released together by a barrier."""
    barrier = threading.Barrier(len(accounts))
    results: dict[int, LinkStatus] = {}
    errors: list[BaseException] = []

    def redeem(tg_user_id: int) -> None:
        try:
            with db.session() as s:
                barrier.wait(10)
                results[tg_user_id] = redeem_invite(
                    s, code, tg_user_id, None, T0 + timedelta(minutes=1)
                ).status
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=redeem, args=(a,)) for a in accounts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    return results


def test_concurrent_redemption_has_exactly_one_winner(db: Database) -> None:
    """Two accounts redeem one code at the same moment (threads released by a barrier), 20 rounds: exactly
    one is linked and told so, the other is told the code is used; the official ends with the winner."""
    from tests.db_fixtures import build_org

    with db.session() as s:
        build_org(s)
        s.commit()
    for round_ in range(20):
        with db.session() as s:
            code = create_invite(s, "LA01", T0)
        accounts = (1000 + 2 * round_, 1001 + 2 * round_)
        results = _race(db, code, accounts)
        assert sorted(results.values()) == sorted([LinkStatus.LINKED, LinkStatus.CODE_USED]), (
            round_,
            results,
        )
        winner = next(a for a, status in results.items() if status is LinkStatus.LINKED)
        with db.session() as s:
            assert s.scalar(select(Official.telegram_user_id).where(Official.code == "LA01")) == winner
            assert s.get(LinkCode, code).used_by_telegram_id == winner
