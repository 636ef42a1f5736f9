"""The question log on a small database (SQLite and PostgreSQL): `troly feedback export` (👎 as evaluation
lines to review), `troly stats` (most asked / most refused, grouped by a normalised question, no names),
retention (TROLY_LOG_RETENTION_DAYS), the answer tokens and the 0003 migration of existing rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, text
from typer.testing import CliRunner

from tasks.db import Database, downgrade, make_engine, upgrade
from tasks.errors import InvalidOperation, NotFound, PermissionDenied
from tasks.feedback import (
    purge_old,
    question_key,
    question_stats,
    rate,
    record_answer,
    set_reason,
    skip_comment,
    stats_html,
    take_comment,
)
from tasks.models import Feedback, FeedbackPending
from tests.db_fixtures import db_url
from troly.cli import app
from troly.config import Settings

NOW = datetime.now(UTC)
STATS_KEYS = ["days", "questions", "answered", "refused", "top", "top_refused"]
SRC = [{"label": "Nghị quyết 57-NQ/TW ngày 22/12/2024, mục II.1", "passage_id": "p1"}]


def _ask(session, question, *, refused=False, days_ago=0.0, user=11, rating=None):
    return record_answer(
        session,
        question=question,
        answer="Chưa tìm thấy thông tin." if refused else "Đến năm 2030, kinh tế số đạt 30% GDP.",
        sources=[] if refused else SRC,
        telegram_user_id=user,
        chat_id=user,
        refused=refused,
        rating=rating,
        now=NOW - timedelta(days=days_ago),
    )


def _fill(session):
    """Five spellings of one question, two of a refused one, one old (40 days), one very old (400 days)."""
    for q in (
        "Nghị quyết 57 đặt mục tiêu gì đến năm 2030?",
        "nghị quyết 57 đặt mục tiêu gì đến năm 2030",
        "Nghi quyet 57 dat muc tieu gi den nam 2030?",
        "NGHỊ QUYẾT  57 đặt mục tiêu gì đến năm 2030 ?",
        "Nghị quyết 57 đặt mục tiêu gì đến năm 2030?",
    ):
        _ask(session, q, user=11)
    _ask(session, "Mức lương cơ sở hiện nay là bao nhiêu?", refused=True, user=12)
    _ask(session, "mức lương cơ sở hiện nay là bao nhiêu", refused=True, user=13)
    bad = _ask(session, "6 rõ là gì?", user=14)
    rate(session, bad.token, -1, telegram_user_id=14)
    set_reason(session, bad.token, "thieu", telegram_user_id=14, chat_id=14, now=NOW)
    take_comment(session, 14, 14, "Thiếu rõ thẩm quyền", now=NOW)
    _ask(session, "Kết luận 221 ban hành ngày nào?", days_ago=40, rating=-1, user=15)
    _ask(session, "Câu hỏi rất cũ", days_ago=400, user=16)


def _cli(url: str, *args: str, **env: str):
    result = CliRunner().invoke(app, list(args), env={"TROLY_DATABASE_URL": url, **env})
    assert result.exit_code == 0, result.output
    return result


# --- the domain -------------------------------------------------------------------------------------------


def test_stats_group_spellings_count_refusals_and_name_nobody(db):
    with db.session() as s:
        _fill(s)
        stats = question_stats(s, 30, now=NOW)
    assert list(stats) == STATS_KEYS
    assert (stats["days"], stats["questions"], stats["answered"], stats["refused"]) == (30, 8, 6, 2)
    assert stats["top"][0] == {"question": "Nghị quyết 57 đặt mục tiêu gì đến năm 2030?", "count": 5}
    assert stats["top"][1] == {"question": "Mức lương cơ sở hiện nay là bao nhiêu?", "count": 2}
    assert stats["top_refused"] == [{"question": "Mức lương cơ sở hiện nay là bao nhiêu?", "count": 2}]
    assert all(set(item) == {"question", "count"} for item in stats["top"] + stats["top_refused"])
    with db.session() as s:
        assert question_stats(s, 60, now=NOW)["questions"] == 9  # the 40-day-old one too
    screen = stats_html(stats)
    assert "Thống kê câu hỏi — 30 ngày qua" in screen and "Mức lương cơ sở" in screen
    assert "Tổng số câu hỏi: 8 (trả lời được: 6, chưa tìm được câu trả lời: 2)" in screen


def test_only_the_asker_rates_and_the_comment_wait_expires(db):
    with db.session() as s:
        row = _ask(s, "NQ 57?", user=21)
        token = row.token
        assert token.startswith("a") and len(token) == 17 and token != _ask(s, "NQ 57?").token
        with pytest.raises(PermissionDenied):
            rate(s, token, -1, telegram_user_id=22)
        with pytest.raises(NotFound):
            rate(s, str(row.id), -1, telegram_user_id=21)  # the sequential id is not a token
        with pytest.raises(InvalidOperation):  # a reason needs a 👎 first
            set_reason(s, token, "sai", telegram_user_id=21, chat_id=21, now=NOW)
        rate(s, token, -1, telegram_user_id=21)
        with pytest.raises(PermissionDenied):
            set_reason(s, token, "sai", telegram_user_id=22, chat_id=21, now=NOW)
        set_reason(s, token, "sai", telegram_user_id=21, chat_id=21, now=NOW)
        assert take_comment(s, 21, 99, "khác chat", now=NOW) is None
        assert take_comment(s, 21, 21, "quá hạn", now=NOW + timedelta(minutes=6)) is None  # expired: gone
        assert s.scalar(select(FeedbackPending)) is None
        set_reason(s, token, "khong_lien_quan", telegram_user_id=21, chat_id=21, now=NOW)
        skip_comment(s, token, telegram_user_id=21)
        assert take_comment(s, 21, 21, "sau khi bỏ qua", now=NOW) is None
        s.expire_all()
        stored = s.get(Feedback, row.id)
        assert (stored.rating, stored.reason, stored.comment) == (-1, "khong_lien_quan", None)
        rate(s, token, 1, telegram_user_id=21)  # 👍 after 👎: the reason goes
        s.expire_all()
        assert (s.get(Feedback, row.id).rating, s.get(Feedback, row.id).reason) == (1, None)


def test_purge_deletes_the_log_older_than_the_retention_and_expired_waits(db):
    with db.session() as s:
        _fill(s)
        old = s.scalar(select(Feedback).where(Feedback.question == "Câu hỏi rất cũ"))
        s.add(
            FeedbackPending(
                telegram_user_id=16, chat_id=16, feedback_id=old.id, expires_at=NOW, created_at=NOW
            )
        )
        s.commit()
        assert purge_old(s, 180, now=NOW) == 1
        assert purge_old(s, 30, now=NOW) == 1  # the 40-day-old one
        assert s.scalar(select(FeedbackPending)) is None
        assert {r.question for r in s.scalars(select(Feedback))} >= {"6 rõ là gì?"}
        assert s.scalar(select(Feedback).where(Feedback.at < NOW - timedelta(days=30))) is None
        with pytest.raises(ValueError):
            purge_old(s, 0, now=NOW)


VIETNAMESE = "aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"


@given(st.text(alphabet=VIETNAMESE + VIETNAMESE.upper() + "0123456789 ?,.-/", max_size=80))
def test_question_key_ignores_case_accents_and_spaces(q):
    key = question_key(q)
    assert question_key(key) == key
    assert question_key(q.upper()) == key == question_key("  " + q.replace(" ", "   ") + " ")
    assert key == key.strip() and "  " not in key


def test_question_key_examples():
    assert (
        question_key("Nghị quyết 57 là gì?") == question_key("nghi  quyet 57 LA GI") == "nghi quyet 57 la gi"
    )
    assert question_key("Văn hoá") == question_key("Văn hóa")  # old and new tone placement


# --- the command line -------------------------------------------------------------------------------------


def test_feedback_export_writes_thumbs_down_as_lines_to_review(db, tmp_path):
    with db.session() as s:
        _fill(s)
    out = tmp_path / "review" / "feedback.jsonl"
    result = _cli(db_url(db), "feedback", "export", str(out))
    assert "Đã ghi 2 câu trả lời" in result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [x["question"] for x in lines] == [
        "Kết luận 221 ban hành ngày nào?",
        "6 rõ là gì?",
    ]  # oldest first
    for line in lines:
        assert line["needs_review"] is True and "answer_contains" not in line
        assert set(line) == {
            "question",
            "needs_review",
            "bot_answer",
            "citations",
            "reason",
            "comment",
            "asked_at",
        }
        assert line["citations"] == ["Nghị quyết 57-NQ/TW ngày 22/12/2024, mục II.1"]
        assert "telegram_user_id" not in json.dumps(line)
    assert (lines[1]["reason"], lines[1]["comment"]) == ("thieu", "Thiếu rõ thẩm quyền")
    assert lines[1]["bot_answer"].startswith("Đến năm 2030")
    as_json = _cli(db_url(db), "feedback", "export", str(out), "--json")
    assert json.loads(as_json.stdout) == {"file": str(out), "cases": 2}


def test_stats_json_and_retention_through_the_cli(db):
    with db.session() as s:
        _fill(s)
    result = _cli(db_url(db), "stats", "--json")
    stats = json.loads(result.stdout)
    assert list(stats) == STATS_KEYS and stats["days"] == 30 and stats["questions"] == 8
    assert stats["top_refused"][0]["count"] == 2
    with db.session() as s:  # the default retention (180 days) removed the 400-day-old question
        assert s.scalar(select(Feedback).where(Feedback.question == "Câu hỏi rất cũ")) is None
        assert s.scalar(select(Feedback).where(Feedback.question.like("Kết luận 221%"))) is not None
    week = json.loads(
        _cli(db_url(db), "stats", "--days", "60", "--json", TROLY_LOG_RETENTION_DAYS="35").stdout
    )
    assert week["questions"] == 8  # the 40-day-old question was deleted before counting
    human = _cli(db_url(db), "stats", "--days", "7")
    assert "Trong 7 ngày qua: 8 câu hỏi" in human.output and "Hỏi nhiều nhất" in human.output


def test_a_bad_retention_setting_is_refused_clearly(tmp_path):
    with pytest.raises(ValueError, match="TROLY_LOG_RETENTION_DAYS"):
        Settings.from_env({"TROLY_HOME": str(tmp_path), "TROLY_LOG_RETENTION_DAYS": "0"}, dotenv=False)
    assert Settings.from_env({"TROLY_HOME": str(tmp_path)}, dotenv=False).log_retention_days == 180
    result = CliRunner().invoke(
        app, ["stats"], env={"TROLY_HOME": str(tmp_path), "TROLY_LOG_RETENTION_DAYS": "x"}
    )
    assert result.exit_code != 0 and "TROLY_LOG_RETENTION_DAYS" in result.output


# --- migration of a database that already has answers -----------------------------------------------------


def test_migration_0003_gives_existing_answers_tokens_keys_and_refusals(empty_db_url):
    engine = make_engine(empty_db_url)
    try:
        upgrade(engine, "0002")
        with engine.begin() as conn:
            for q, sources in (("Nghị Quyết 57?", '[{"passage_id": "p"}]'), ("Lương cơ sở?", "[]")):
                conn.execute(
                    text("INSERT INTO feedback (at, question, answer, sources) VALUES (:at, :q, 'a', :s)"),
                    {"at": NOW.replace(tzinfo=None), "q": q, "s": sources},
                )
        upgrade(engine)
        with Database(engine).session() as s:
            rows = list(s.scalars(select(Feedback).order_by(Feedback.id)))
            assert [(r.question_key, r.refused) for r in rows] == [
                ("nghi quyet 57", False),
                ("luong co so", True),
            ]
            assert len({r.token for r in rows}) == 2 and all(r.token.startswith("a") for r in rows)
        downgrade(engine, "0002")
        upgrade(engine)
    finally:
        engine.dispose()
