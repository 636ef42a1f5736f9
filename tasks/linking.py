"""Linking Telegram accounts to officials: by the phone number in the roster, or by an invitation code.

One Telegram account ↔ one official. Linking an account that is already linked to someone else moves it
(the old link is removed and audited). A phone number whose official is already linked to another
account is refused, because a phone can change hands; an invitation code issued by an administrator is
trusted and moves the official's link to the new account.

The bot must only pass a phone number that Telegram shared as the user's own contact (check
`contact.user_id == from_user.id`); this module cannot see that.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tasks import audit
from tasks.errors import NotFound
from tasks.models import LinkCode, Official
from tasks.normalize import Via, normalize_phone
from tasks.timeutil import as_utc, utcnow

INVITE_VALIDITY = timedelta(days=7)


class LinkStatus(StrEnum):
    LINKED = "linked"
    ALREADY_LINKED = "already_linked"  # this account was already linked to this official
    NO_MATCH = "no_match"
    TAKEN = "taken"  # the official is linked to another Telegram account
    AMBIGUOUS = "ambiguous"  # several officials share this phone number
    INVALID_PHONE = "invalid_phone"
    INVALID_CODE = "invalid_code"
    CODE_USED = "code_used"
    CODE_EXPIRED = "code_expired"


@dataclass(frozen=True)
class LinkResult:
    """Outcome of a linking attempt; `message` is ready to send to the user."""

    status: LinkStatus
    message: str
    official: Official | None = None

    @property
    def ok(self) -> bool:
        return self.status in (LinkStatus.LINKED, LinkStatus.ALREADY_LINKED)


def _clean_username(username: str | None) -> str | None:
    return (username or "").strip().lstrip("@") or None


def _greeting(official: Official) -> str:
    return f"Đã liên kết tài khoản Telegram với {official.full_name} ({official.code}, {official.unit.name})."


def _attach(
    session: Session,
    official: Official,
    tg_user_id: int,
    username: str | None,
    actor: str,
    via: str,
    now: datetime,
) -> None:
    """Point `official` at this Telegram account, taking the account away from any other official."""
    previous = session.scalar(
        select(Official).where(Official.telegram_user_id == tg_user_id, Official.id != official.id)
    )
    if previous is not None:
        audit.record(
            session, actor=actor, via=via, entity="official", key=previous.code, field="telegram_user_id",
            old=tg_user_id, new=None, at=now, note=f"Tài khoản Telegram chuyển sang {official.code}",
        )  # fmt: skip
        previous.telegram_user_id = None
        previous.updated_at = now
        session.flush()  # free the unique telegram_user_id before giving it to `official`
    if official.telegram_user_id != tg_user_id:
        audit.record(
            session, actor=actor, via=via, entity="official", key=official.code, field="telegram_user_id",
            old=official.telegram_user_id, new=tg_user_id, at=now,
        )  # fmt: skip
        official.telegram_user_id = tg_user_id
    official.telegram_username = _clean_username(username) or official.telegram_username
    official.updated_at = now


def link_by_phone(
    session: Session, tg_user_id: int, tg_username: str | None, phone: str, *, now: datetime | None = None
) -> LinkResult:
    """Link the account whose owner shared `phone` to the official with that number. Commits on success."""
    now = as_utc(now) if now else utcnow()
    try:
        normalized = normalize_phone(phone)
    except ValueError as exc:
        return LinkResult(LinkStatus.INVALID_PHONE, str(exc))
    matches = list(
        session.scalars(
            select(Official).where(Official.phone_normalized == normalized, Official.active.is_(True))
        )
    )
    if not matches:
        return LinkResult(
            LinkStatus.NO_MATCH,
            f"Số điện thoại {normalized} chưa có trong danh sách cán bộ. Hãy liên hệ quản trị viên để được "
            "cập nhật, hoặc nhập mã liên kết do quản trị viên cấp.",
        )
    if len(matches) > 1:
        return LinkResult(
            LinkStatus.AMBIGUOUS,
            f"Số điện thoại {normalized} được ghi cho nhiều cán bộ; hãy dùng mã liên kết do quản trị viên cấp.",
        )
    official = matches[0]
    if official.telegram_user_id == tg_user_id:
        official.telegram_username = _clean_username(tg_username) or official.telegram_username
        session.commit()
        return LinkResult(
            LinkStatus.ALREADY_LINKED, f"Tài khoản này đã liên kết với {official.full_name}.", official
        )
    if official.telegram_user_id is not None:
        return LinkResult(
            LinkStatus.TAKEN,
            f"Cán bộ {official.full_name} đã liên kết với một tài khoản Telegram khác. Nếu đó không phải "
            "bạn, hãy đề nghị quản trị viên hủy liên kết cũ hoặc cấp mã liên kết mới.",
            official,
        )
    _attach(session, official, tg_user_id, tg_username, f"telegram:{tg_user_id}", Via.BOT, now)
    session.commit()
    return LinkResult(LinkStatus.LINKED, _greeting(official), official)


def _official_by_code(session: Session, code: str) -> Official:
    official = session.scalar(select(Official).where(func.lower(Official.code) == code.strip().lower()))
    if official is None:
        raise NotFound(f"Không có cán bộ mã “{code.strip()}”.")
    return official


def create_invite(
    session: Session,
    official_code: str,
    now: datetime | None = None,
    *,
    actor: str = "cli",
    via: str = Via.CLI,
    valid_for: timedelta = INVITE_VALIDITY,
) -> str:
    """A fresh single-use code (URL-safe, fits a /start deep link) for this official. Commits.

    Earlier unused codes of the same official stop working: only the latest invitation is valid.
    """
    now = as_utc(now) if now else utcnow()
    official = _official_by_code(session, official_code)
    session.execute(
        update(LinkCode)
        .where(LinkCode.official_id == official.id, LinkCode.used_at.is_(None), LinkCode.expires_at > now)
        .values(expires_at=now)
    )
    code = secrets.token_urlsafe(12)
    session.add(LinkCode(code=code, official_id=official.id, created_at=now, expires_at=now + valid_for))
    audit.record(
        session, actor=actor, via=via, entity="official", key=official.code, field="link_code",
        new=f"hết hạn {(now + valid_for).isoformat()}", at=now, note="Cấp mã liên kết Telegram",
    )  # fmt: skip
    session.commit()
    return code


def redeem_invite(
    session: Session, code: str, tg_user_id: int, username: str | None, now: datetime | None = None
) -> LinkResult:
    """Link this Telegram account to the official the code was issued for. Commits on success."""
    now = as_utc(now) if now else utcnow()
    invite = session.get(LinkCode, code.strip()) if code and code.strip() else None
    if invite is None:
        return LinkResult(
            LinkStatus.INVALID_CODE, "Mã liên kết không đúng. Hãy kiểm tra lại mã quản trị viên đã gửi."
        )
    if invite.used_at is not None:
        return LinkResult(
            LinkStatus.CODE_USED, "Mã liên kết này đã được dùng; mỗi mã chỉ dùng một lần. Hãy xin mã mới."
        )
    if now >= invite.expires_at:
        return LinkResult(
            LinkStatus.CODE_EXPIRED, "Mã liên kết đã hết hạn. Hãy đề nghị quản trị viên cấp mã mới."
        )
    official = invite.official
    if not official.active:
        return LinkResult(
            LinkStatus.INVALID_CODE, "Cán bộ của mã liên kết này không còn trong danh sách hoạt động."
        )
    _attach(session, official, tg_user_id, username, f"telegram:{tg_user_id}", Via.BOT, now)
    invite.used_at = now
    invite.used_by_telegram_id = tg_user_id
    session.commit()
    return LinkResult(LinkStatus.LINKED, _greeting(official), official)


def unlink(
    session: Session,
    official_code: str,
    actor: str = "cli",
    *,
    via: str = Via.CLI,
    now: datetime | None = None,
) -> bool:
    """Remove the official's Telegram link (False if there was none). Commits."""
    now = as_utc(now) if now else utcnow()
    official = _official_by_code(session, official_code)
    if official.telegram_user_id is None:
        return False
    audit.record(
        session, actor=actor, via=via, entity="official", key=official.code, field="telegram_user_id",
        old=official.telegram_user_id, new=None, at=now, note="Hủy liên kết Telegram",
    )  # fmt: skip
    official.telegram_user_id = None
    official.updated_at = now
    session.commit()
    return True
