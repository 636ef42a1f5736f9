"""Linking Telegram accounts: by phone (normalised), by single-use invitation code, relinking, unlinking."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tasks.errors import NotFound
from tasks.linking import LinkStatus, create_invite, link_by_phone, redeem_invite, unlink
from tasks.models import AuditLog, LinkCode
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
    assert redeem_invite(session, first, 9, None, T0 + timedelta(hours=1)).status is LinkStatus.CODE_EXPIRED
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
