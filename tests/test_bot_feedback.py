"""The answer log in the project's database (SQLite by default) through tasks.feedback."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from bot.feedback import DatabaseAnswerLog, SourceRef, StoredAnswer


def test_answers_and_ratings_are_stored_in_the_feedback_table(tmp_path):
    url = f"sqlite:///{tmp_path / 'troly.db'}"
    log = DatabaseAnswerLog(url)
    src = SourceRef(
        "Nghị quyết 57-NQ/TW ngày 22/12/2024, mục II.1", "abc", "57-NQ/TW", "Nghị quyết", "2024-12-22"
    )
    aid = log.save(StoredAnswer("", "NQ 57 mục tiêu?", "30% GDP", (src,), telegram_user_id=7, chat_id=70))
    assert aid.isdigit()
    assert log.get(aid).rating is None
    assert log.rate(aid, 1).rating == 1
    assert log.rate(aid, -1).rating == -1
    assert log.rate("999999", 1) is None and log.get("999999") is None
    got = log.get(aid)
    assert got.sources == (src,) and got.question == "NQ 57 mục tiêu?" and got.chat_id == 70
    log.close()
    with create_engine(url).connect() as conn:
        row = conn.execute(
            text("select question, answer, rating, telegram_user_id, sources from feedback")
        ).one()
    assert row[:4] == ("NQ 57 mục tiêu?", "30% GDP", -1, 7)
    assert '"passage_id": "abc"' in row[4]


def test_database_failure_falls_back_to_memory(tmp_path):
    (tmp_path / "a-file").write_text("not a directory")
    log = DatabaseAnswerLog(f"sqlite:///{tmp_path / 'a-file' / 'troly.db'}")
    aid = log.save(StoredAnswer("", "q", "a"))
    assert aid.startswith("m")
    assert log.rate(aid, 1).rating == 1 and log.get(aid).question == "q"
