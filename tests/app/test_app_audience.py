"""The audience of a sender for documents limited to some units: the roster decides, groups see public only."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.audience import audience_of
from retrieval.scope import EVERYONE, PUBLIC
from tests.db_fixtures import Org

FOR_NOI_VU = ("Sở Nội vụ",)
FOR_XA_B = ("ubnd xa hop tien",)


def _link(session: Session, org: Org) -> None:
    for n, person in enumerate(
        [org.admin, org.leader_a, org.staff_a, org.staff_a1, org.leader_b, org.staff_b]
    ):
        person.telegram_user_id = 1000 + n
    session.commit()


def test_each_official_reads_the_documents_of_their_unit_and_of_the_units_above(session: Session, org: Org):
    _link(session, org)
    staff_a1 = audience_of(session, org.staff_a1.telegram_user_id, group=False)
    staff_a = audience_of(session, org.staff_a.telegram_user_id, group=False)
    staff_b = audience_of(session, org.staff_b.telegram_user_id, group=False)
    assert staff_a1.may_read(FOR_NOI_VU) and staff_a.may_read(FOR_NOI_VU)
    assert not staff_b.may_read(FOR_NOI_VU) and staff_b.may_read(FOR_XA_B)
    assert not staff_a1.may_read(FOR_XA_B)
    assert audience_of(session, org.admin.telegram_user_id, group=False) == EVERYONE


def test_groups_unlinked_and_inactive_accounts_read_public_documents_only(session: Session, org: Org):
    _link(session, org)
    assert audience_of(session, org.admin.telegram_user_id, group=True) == PUBLIC
    assert audience_of(session, 999_999, group=False) == PUBLIC
    assert audience_of(session, None, group=False) == PUBLIC
    org.staff_a.active = False
    session.commit()
    assert audience_of(session, org.staff_a.telegram_user_id, group=False) == PUBLIC
