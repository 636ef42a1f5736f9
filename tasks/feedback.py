"""The question log and the users' feedback on answers: what the office learns from real use.

Every answer the bot sends is saved (`record_answer`) with a random token that goes into its buttons'
callback data (Telegram allows 64 bytes, far too small for the question; a sequential id could be guessed,
so anybody could rate anybody's answer). Only the asker may rate (`rate`); after a 👎 they may say what was
wrong (`set_reason`: sai, thiếu, không liên quan, khác) and add a comment: their next text in that chat within
`COMMENT_WINDOW` (`take_comment`), unless they skip it (`skip_comment`). The waiting step is a row of
`feedback_pending` with an expiry, so it survives a restart.

What comes out: `negative_cases` (👎 as evaluation lines for review, `troly feedback export`) and
`question_stats` (most asked and most refused questions, no names: `troly stats`, `/thongke`). The log is
kept `retention_days` (TROLY_LOG_RETENTION_DAYS) and then deleted by `purge_old`.
"""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tasks.errors import InvalidOperation, NotFound, PermissionDenied
from tasks.models import FEEDBACK_REASONS, Feedback, FeedbackPending
from tasks.normalize import fold, fold_key, nfc
from tasks.timeutil import as_utc, utcnow

COMMENT_WINDOW = timedelta(minutes=5)
MAX_COMMENT_CHARS = 1000
MAX_KEY_CHARS = 500  # a btree index entry must stay small on PostgreSQL
DEFAULT_RETENTION_DAYS = 180
DEFAULT_STATS_DAYS = 30
DEFAULT_TOP = 10

REASON_LABELS = {"sai": "Sai", "thieu": "Thiếu", "khong_lien_quan": "Không liên quan", "khac": "Khác"}
assert tuple(REASON_LABELS) == FEEDBACK_REASONS

NOT_YOURS = "Chỉ người đã hỏi mới đánh giá được câu trả lời này."


def question_key(question: str) -> str:
    """The form questions are grouped by: case, accents (also old/new tone placement), spaces and
    punctuation folded. "Nghị quyết 57 là gì?" and "nghi quyet  57 la gi" give "nghi quyet 57 la gi".
    A question with no Latin letter or digit at all keeps its folded text (so it is not lumped with others)."""
    return (fold_key(question) or fold(question))[:MAX_KEY_CHARS]


def _now(now: datetime | None) -> datetime:
    return as_utc(now) if now else utcnow()


def record_answer(
    session: Session,
    *,
    question: str,
    answer: str,
    sources: Any = None,
    telegram_user_id: int | None = None,
    chat_id: int | None = None,
    refused: bool = False,
    rating: int | None = None,
    now: datetime | None = None,
) -> Feedback:
    """Save a question/answer pair (sources: any JSON-able value, e.g. the citations; ``refused``: the bot
    found nothing to answer with). The returned row's ``token`` goes into the buttons. Commits."""
    if rating not in (None, 1, -1):
        raise ValueError("Đánh giá chỉ nhận +1 (👍) hoặc -1 (👎).")
    row = Feedback(
        at=_now(now),
        telegram_user_id=telegram_user_id,
        chat_id=chat_id,
        question=question,
        question_key=question_key(question),
        answer=answer,
        sources=sources,
        refused=bool(refused),
        rating=rating,
    )
    session.add(row)
    session.commit()
    return row


def by_token(session: Session, token: str) -> Feedback | None:
    """The saved answer whose buttons carry ``token`` (None for an unknown, old numeric or forged one)."""
    if not token or len(token) > 32:
        return None
    return session.scalar(select(Feedback).where(Feedback.token == token))


def _owned(session: Session, token: str, telegram_user_id: int | None) -> Feedback:
    row = by_token(session, token)
    if row is None:
        raise NotFound("Không tìm thấy câu trả lời cần đánh giá.")
    if telegram_user_id is not None and row.telegram_user_id != telegram_user_id:
        raise PermissionDenied(NOT_YOURS)
    return row


def rate(session: Session, token: str, rating: int, *, telegram_user_id: int | None = None) -> Feedback:
    """Store 👍 (+1) or 👎 (-1) for a saved answer; a second click replaces the first (a 👍 after a 👎 drops
    its reason, comment and waiting step). With ``telegram_user_id``, only the asker may rate: anybody else
    gets PermissionDenied and nothing changes. NotFound for an unknown token. Commits."""
    if rating not in (1, -1):
        raise ValueError("Đánh giá chỉ nhận +1 (👍) hoặc -1 (👎).")
    row = _owned(session, token, telegram_user_id)
    row.rating = rating
    if rating == 1:
        row.reason = None
        row.comment = None
        session.execute(delete(FeedbackPending).where(FeedbackPending.feedback_id == row.id))
    session.commit()
    return row


def set_reason(
    session: Session,
    token: str,
    reason: str,
    *,
    telegram_user_id: int,
    chat_id: int,
    prompt_message_id: int | None = None,
    now: datetime | None = None,
    window: timedelta = COMMENT_WINDOW,
) -> Feedback:
    """Record what was wrong with an answer rated 👎 (one of `FEEDBACK_REASONS`) and start waiting for the
    asker's optional comment in ``chat_id`` until now + ``window`` (replacing any older wait of theirs in that
    chat). PermissionDenied for anybody but the asker, InvalidOperation if the answer is not rated 👎 (any
    more), NotFound for an unknown token. Commits."""
    if reason not in FEEDBACK_REASONS:
        raise ValueError(f"Lý do không hợp lệ: {reason!r}.")
    row = _owned(session, token, telegram_user_id)
    if row.rating != -1:
        raise InvalidOperation("Câu trả lời này không còn được đánh giá 👎.")
    at = _now(now)
    row.reason = reason
    session.execute(
        delete(FeedbackPending).where(
            (FeedbackPending.telegram_user_id == telegram_user_id) & (FeedbackPending.chat_id == chat_id)
        )
    )
    session.flush()
    session.add(
        FeedbackPending(
            telegram_user_id=telegram_user_id,
            chat_id=chat_id,
            feedback_id=row.id,
            prompt_message_id=prompt_message_id,
            expires_at=at + window,
            created_at=at,
        )
    )
    session.commit()
    return row


def take_comment(
    session: Session, telegram_user_id: int, chat_id: int, text: str, *, now: datetime | None = None
) -> tuple[Feedback, int | None] | None:
    """If the user is within the comment window of a 👎 in this chat, store ``text`` (cleaned, at most
    `MAX_COMMENT_CHARS`) as its comment, end the wait and return (answer row, prompt message id); else None
    (an expired wait is removed). Commits when something changed."""
    pending = session.get(FeedbackPending, (telegram_user_id, chat_id))
    if pending is None:
        return None
    at = _now(now)
    if pending.expires_at <= at:
        session.delete(pending)
        session.commit()
        return None
    row = session.get(Feedback, pending.feedback_id)
    prompt = pending.prompt_message_id
    session.delete(pending)
    if row is None:
        session.commit()
        return None
    comment = nfc(text)[:MAX_COMMENT_CHARS]
    row.comment = comment or None
    session.commit()
    return row, prompt


def skip_comment(session: Session, token: str, *, telegram_user_id: int) -> Feedback:
    """ "Bỏ qua": no comment for this 👎; ends the wait. PermissionDenied / NotFound as `set_reason`. Commits."""
    row = _owned(session, token, telegram_user_id)
    session.execute(
        delete(FeedbackPending).where(
            (FeedbackPending.feedback_id == row.id) & (FeedbackPending.telegram_user_id == telegram_user_id)
        )
    )
    session.commit()
    return row


# --- retention ------------------------------------------------------------------------------------------


def purge_old(session: Session, retention_days: int, *, now: datetime | None = None) -> int:
    """Delete the question log (answers, ratings, comments) older than ``retention_days`` days, and every
    expired comment wait. Returns the number of answers deleted. Commits."""
    if retention_days < 1:
        raise ValueError("Số ngày lưu nhật ký câu hỏi phải từ 1 trở lên.")
    at = _now(now)
    session.execute(delete(FeedbackPending).where(FeedbackPending.expires_at <= at))
    cutoff = at - timedelta(days=retention_days)
    old = select(Feedback.id).where(Feedback.at < cutoff)
    session.execute(delete(FeedbackPending).where(FeedbackPending.feedback_id.in_(old)))
    result = session.execute(delete(Feedback).where(Feedback.at < cutoff))
    session.commit()
    return int(result.rowcount or 0)


# --- what comes out ---------------------------------------------------------------------------------------


def question_stats(
    session: Session, days: int = DEFAULT_STATS_DAYS, *, now: datetime | None = None, top: int = DEFAULT_TOP
) -> dict[str, Any]:
    """Most asked and most refused questions over the last ``days`` days, grouped by `question_key`; shown
    in the spelling asked most often. Never who asked.

    Returns ``{"days", "questions", "answered", "refused", "top": [{"question", "count"}],
    "top_refused": [{"question", "count"}]}``; lists sorted by count (descending), then by question.
    """
    if days < 1:
        raise ValueError("Số ngày thống kê phải từ 1 trở lên.")
    since = _now(now) - timedelta(days=days)
    grouped = session.execute(  # one row per spelling: the database does the counting
        select(Feedback.question_key, Feedback.question, Feedback.refused, func.count())
        .where(Feedback.at >= since)
        .group_by(Feedback.question_key, Feedback.question, Feedback.refused)
    ).all()
    asked: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for key, question, was_refused, n in grouped:
        key = key or question_key(question)
        asked[key] += n
        refused[key] += n if was_refused else 0
        spellings[key][nfc(question)] += n
    total = sum(asked.values())

    def shown(key: str) -> str:
        """The spelling asked most often; on a tie the one with diacritics and the fewest capitals."""
        return min(spellings[key].items(), key=lambda kv: (-kv[1], *_spelling_rank(kv[0])))[0]

    def ranking(counter: Counter[str]) -> list[dict[str, Any]]:
        items = sorted(((shown(k), n) for k, n in counter.items() if n > 0), key=lambda qn: (-qn[1], qn[0]))
        return [{"question": q, "count": n} for q, n in items[:top]]

    n_refused = sum(refused.values())
    return {
        "days": days,
        "questions": total,
        "answered": total - n_refused,
        "refused": n_refused,
        "top": ranking(asked),
        "top_refused": ranking(refused),
    }


def _spelling_rank(text: str) -> tuple[int, int, str]:
    """Prefer diacritics, then the fewest capitals after the first letter ("NGHỊ QUYẾT" loses), then text."""
    return (-sum(not c.isascii() for c in text), sum(c.isupper() for c in text[1:]), text)


def negative_cases(session: Session) -> list[dict[str, Any]]:
    """Every answer rated 👎, oldest first, as an evaluation line to review (no names, no user ids)::

        {"question", "needs_review": true, "bot_answer", "citations": [label, ...], "reason", "comment", "asked_at"}

    There is no ``answer_contains`` until a reviewer adds it (and drops ``needs_review``); evaluation skips
    lines marked ``needs_review``.
    """
    rows = session.scalars(select(Feedback).where(Feedback.rating == -1).order_by(Feedback.at, Feedback.id))
    out = []
    for row in rows:
        sources = row.sources if isinstance(row.sources, list) else []
        out.append(
            {
                "question": row.question,
                "needs_review": True,
                "bot_answer": row.answer,
                "citations": [
                    str(s.get("label") or s.get("passage_id") or "") for s in sources if isinstance(s, dict)
                ],
                "reason": row.reason,
                "comment": row.comment,
                "asked_at": as_utc(row.at).date().isoformat(),
            }
        )
    return out


def stats_html(stats: dict[str, Any], *, max_question_chars: int = 150) -> str:
    """The /thongke screen (Telegram HTML) for a `question_stats` result."""

    def line(i: int, item: dict[str, Any]) -> str:
        q = item["question"]
        q = q if len(q) <= max_question_chars else q[: max_question_chars - 1] + "…"
        return f"{i}. {html.escape(q)} — {item['count']} lần"

    parts = [
        f"📈 <b>Thống kê câu hỏi — {stats['days']} ngày qua</b>",
        f"Tổng số câu hỏi: {stats['questions']} (trả lời được: {stats['answered']}, "
        f"chưa tìm được câu trả lời: {stats['refused']})",
    ]
    if stats["top"]:
        parts += ["", "<b>Hỏi nhiều nhất</b>", *(line(i, it) for i, it in enumerate(stats["top"], 1))]
    if stats["top_refused"]:
        parts += [
            "",
            "<b>Chưa trả lời được nhiều nhất</b> (nên bổ sung văn bản vào kho)",
            *(line(i, it) for i, it in enumerate(stats["top_refused"], 1)),
        ]
    if not stats["questions"]:
        parts += ["", "Chưa có câu hỏi nào trong khoảng thời gian này."]
    return "\n".join(parts)
