"""Storing the bot's answers and the user's 👍/👎, so answer quality can be measured from real use.

The bot saves the answer first (`record_answer`) and puts the returned id in the buttons' callback data
(Telegram limits it to 64 bytes, far too small for the question), then `rate` stores the click.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tasks.errors import NotFound
from tasks.models import Feedback
from tasks.timeutil import as_utc, utcnow


def record_answer(
    session: Session,
    *,
    question: str,
    answer: str,
    sources: Any = None,
    telegram_user_id: int | None = None,
    chat_id: int | None = None,
    rating: int | None = None,
    now: datetime | None = None,
) -> Feedback:
    """Save a question/answer pair (sources: any JSON-able value, e.g. the citations). Commits."""
    if rating not in (None, 1, -1):
        raise ValueError("Đánh giá chỉ nhận +1 (👍) hoặc -1 (👎).")
    row = Feedback(
        at=as_utc(now) if now else utcnow(),
        telegram_user_id=telegram_user_id,
        chat_id=chat_id,
        question=question,
        answer=answer,
        sources=sources,
        rating=rating,
    )
    session.add(row)
    session.commit()
    return row


def rate(session: Session, feedback_id: int, rating: int) -> Feedback:
    """Store 👍 (+1) or 👎 (-1) for a saved answer; a second click replaces the first. Commits."""
    if rating not in (1, -1):
        raise ValueError("Đánh giá chỉ nhận +1 (👍) hoặc -1 (👎).")
    row = session.get(Feedback, feedback_id)
    if row is None:
        raise NotFound("Không tìm thấy câu trả lời cần đánh giá.")
    row.rating = rating
    session.commit()
    return row
