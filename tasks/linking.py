"""Linking Telegram accounts to officials: by the phone number in the roster, or by an invitation code.

One Telegram account ↔ one official. Linking an account that is already linked to someone else moves it
(the old link is removed and audited). A phone number whose official is already linked to another
account is refused, because a phone can change hands; an invitation code issued by an administrator is
trusted and moves the official's link to the new account.

Invitation codes are secrets: a code seen in a group is revoked at once (`revoke_invite`), a newer code
replaces the older one, and redeeming is one conditional UPDATE (`… WHERE used_at IS NULL AND revoked_at
IS NULL AND expires_at > now`), so two accounts redeeming one code at the same moment get exactly one
winner on SQLite and PostgreSQL alike; the other is told the code is used. Wrong codes are throttled per
Telegram account (`MAX_FAILURES` in `FAILURE_WINDOW`, then `COOLDOWN`), recorded in `link_attempts` and
written to the audit log.

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
from tasks.models import LinkAttempt, LinkCode, Official
from tasks.normalize import Via, normalize_phone
from tasks.timeutil import as_utc, utcnow

INVITE_VALIDITY = timedelta(days=7)
MAX_FAILURES = 5  # wrong codes per account within FAILURE_WINDOW before the cool-down
FAILURE_WINDOW = timedelta(minutes=10)
COOLDOWN = timedelta(minutes=15)  # counted from the last wrong code

REVOKED_GROUP = "group"  # typed in a group chat: seen by others
REVOKED_REPLACED = "replaced"  # a newer invitation was issued for the same official


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
    CODE_REPLACED = "code_replaced"
    CODE_REVOKED = "code_revoked"
    THROTTLED = "throttled"


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

    Earlier unused codes of the same official stop working (revoked as "replaced"): only the latest
    invitation is valid, and the older one is reported as replaced, not as expired.
    """
    now = as_utc(now) if now else utcnow()
    official = _official_by_code(session, official_code)
    session.execute(
        update(LinkCode)
        .where(
            LinkCode.official_id == official.id,
            LinkCode.used_at.is_(None),
            LinkCode.revoked_at.is_(None),
            LinkCode.expires_at > now,
        )
        .values(revoked_at=now, revoked_reason=REVOKED_REPLACED)
    )
    code = secrets.token_urlsafe(12)
    session.add(LinkCode(code=code, official_id=official.id, created_at=now, expires_at=now + valid_for))
    audit.record(
        session, actor=actor, via=via, entity="official", key=official.code, field="link_code",
        new=f"hết hạn {(now + valid_for).isoformat()}", at=now, note="Cấp mã liên kết Telegram",
    )  # fmt: skip
    session.commit()
    return code


def revoke_invite(
    session: Session, code: str, *, reason: str = REVOKED_GROUP, actor: str, now: datetime | None = None
) -> bool:
    """Revoke an unused code at once (e.g. it was typed in a group); audited. True if a code was revoked.

    Commits. Unknown, used or already revoked codes change nothing (and the caller's message should not
    reveal which, so that a group cannot be used to probe codes)."""
    now = as_utc(now) if now else utcnow()
    code = (code or "").strip()
    if not code or len(code) > 64:
        return False
    result = session.execute(
        update(LinkCode)
        .where(LinkCode.code == code, LinkCode.used_at.is_(None), LinkCode.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        session.rollback()
        return False
    official = session.scalar(select(Official).join(LinkCode).where(LinkCode.code == code))
    audit.record(
        session, actor=actor, via=Via.BOT, entity="official", key=official.code if official else "?",
        field="link_code", old="còn hiệu lực", new="đã huỷ", at=now,
        note="Huỷ mã liên kết vì mã đã lộ trong nhóm" if reason == REVOKED_GROUP else f"Huỷ mã liên kết ({reason})",
    )  # fmt: skip
    session.commit()
    return True


def cooldown_left(session: Session, tg_user_id: int, now: datetime | None = None) -> timedelta | None:
    """How long this account must still wait before trying a code again (None: it may try now).

    Locked once `MAX_FAILURES` wrong codes fall within `FAILURE_WINDOW`; the lock lasts `COOLDOWN` after
    the last wrong code (attempts during the lock count too, so hammering keeps it locked)."""
    now = as_utc(now) if now else utcnow()
    recent = list(
        session.scalars(
            select(LinkAttempt.at)
            .where(
                LinkAttempt.telegram_user_id == tg_user_id, LinkAttempt.at > now - FAILURE_WINDOW - COOLDOWN
            )
            .order_by(LinkAttempt.at.desc())
            .limit(MAX_FAILURES)
        )
    )
    if len(recent) < MAX_FAILURES or recent[0] - recent[-1] > FAILURE_WINDOW:
        return None
    left = recent[0] + COOLDOWN - now
    return left if left > timedelta(0) else None


def _minutes(left: timedelta) -> int:
    return max(1, -(-int(left.total_seconds()) // 60))


def _failed(session: Session, tg_user_id: int, status: LinkStatus, message: str, now: datetime) -> LinkResult:
    """Record a failed redemption (throttle table + audit log), commit, and return the outcome."""
    session.rollback()  # nothing of the attempt itself is kept
    session.add(LinkAttempt(telegram_user_id=tg_user_id, at=now, outcome=str(status)))
    audit.record(
        session, actor=f"telegram:{tg_user_id}", via=Via.BOT, entity="telegram", key=str(tg_user_id),
        field="link_code", at=now, note=f"Nhập mã liên kết không thành công ({status})",
    )  # fmt: skip
    session.commit()
    return LinkResult(status, message)


_OUTCOME_MESSAGES = {
    LinkStatus.INVALID_CODE: "Mã liên kết không đúng. Hãy kiểm tra lại mã quản trị viên đã gửi.",
    LinkStatus.CODE_USED: "Mã liên kết này đã được dùng; mỗi mã chỉ dùng một lần. Hãy xin mã mới.",
    LinkStatus.CODE_EXPIRED: "Mã liên kết đã hết hạn. Hãy đề nghị quản trị viên cấp mã mới.",
    LinkStatus.CODE_REPLACED: (
        "Mã liên kết này đã được thay bằng mã mới. Hãy dùng mã mới nhất quản trị viên đã gửi, "
        "hoặc đề nghị cấp lại."
    ),
    LinkStatus.CODE_REVOKED: (
        "Mã liên kết này đã bị huỷ vì đã lộ trong nhóm chat. Hãy đề nghị quản trị viên cấp mã mới "
        "và chỉ nhập mã trong chat riêng với bot."
    ),
}


def _why_unusable(invite: LinkCode | None, now: datetime) -> LinkStatus:
    if invite is None:
        return LinkStatus.INVALID_CODE
    if invite.used_at is not None:
        return LinkStatus.CODE_USED
    if invite.revoked_at is not None:
        return (
            LinkStatus.CODE_REPLACED if invite.revoked_reason == REVOKED_REPLACED else LinkStatus.CODE_REVOKED
        )
    if now >= invite.expires_at:
        return LinkStatus.CODE_EXPIRED
    return LinkStatus.INVALID_CODE  # inactive official (handled by the caller)


def redeem_invite(
    session: Session, code: str, tg_user_id: int, username: str | None, now: datetime | None = None
) -> LinkResult:
    """Link this Telegram account to the official the code was issued for. Commits.

    The code is taken by one conditional UPDATE: of two accounts redeeming it at the same moment exactly
    one wins and the other gets `CODE_USED`. A throttled account gets `THROTTLED` without the code being
    looked at. Every failure is recorded for the throttle and audited."""
    now = as_utc(now) if now else utcnow()
    left = cooldown_left(session, tg_user_id, now)
    if left is not None:
        return _failed(
            session, tg_user_id, LinkStatus.THROTTLED,
            f"Bạn đã nhập sai mã liên kết quá nhiều lần. Vui lòng thử lại sau {_minutes(left)} phút.", now,
        )  # fmt: skip
    code = (code or "").strip()
    invite = session.get(LinkCode, code) if code and len(code) <= 64 else None
    if (
        invite is None
        or invite.used_at is not None
        or invite.revoked_at is not None
        or now >= invite.expires_at
    ):
        status = _why_unusable(invite, now)
        return _failed(session, tg_user_id, status, _OUTCOME_MESSAGES[status], now)
    official = invite.official
    if not official.active:
        return _failed(
            session, tg_user_id, LinkStatus.INVALID_CODE,
            "Cán bộ của mã liên kết này không còn trong danh sách hoạt động.", now,
        )  # fmt: skip
    taken = session.execute(
        update(LinkCode)
        .where(
            LinkCode.code == code,
            LinkCode.used_at.is_(None),
            LinkCode.revoked_at.is_(None),
            LinkCode.expires_at > now,
        )
        .values(used_at=now, used_by_telegram_id=tg_user_id)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()  # someone else took (or revoked) it between the read and the update
        status = _why_unusable(session.get(LinkCode, code, populate_existing=True), now)
        return _failed(session, tg_user_id, status, _OUTCOME_MESSAGES[status], now)
    _attach(session, official, tg_user_id, username, f"telegram:{tg_user_id}", Via.BOT, now)
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
