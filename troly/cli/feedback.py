"""`troly feedback export` and `troly stats`: the question log kept in the task database.

Both open the (migrated) database named by TROLY_DATABASE_URL; contracts in docs/cli.md §2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from troly.cli.common import JsonOpt, emit_json, err, fail, out, settings

feedback_app = typer.Typer(help="Góp ý của người dùng về câu trả lời (👎) để rà soát.", no_args_is_help=True)


def _log_database():
    """Settings and the task database (migrated), or a clear Vietnamese failure."""
    from tasks.db import Database, connect_reason, shown_url

    try:
        parsed = settings()
    except ValueError as exc:
        fail(str(exc))
    try:
        return parsed, Database.open(parsed.database_url, tz=parsed.tz)
    except Exception as exc:  # a short reason, never the password nor the driver's text
        fail(f"Không mở được cơ sở dữ liệu ({shown_url(parsed.database_url)}): {connect_reason(exc)}.")


@feedback_app.command("export")
def feedback_export_cmd(
    file: Annotated[Path, typer.Argument(help="Tệp .jsonl sẽ ghi (ghi đè nếu đã có)")],
    as_json: JsonOpt = False,
) -> None:
    """Ghi các câu trả lời bị đánh giá 👎 thành dòng câu hỏi đánh giá, đánh dấu "needs_review": true."""
    from tasks.feedback import negative_cases

    _, db = _log_database()
    with db, db.session() as session:
        cases = negative_cases(session)
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        with file.open("w", encoding="utf-8") as fh:
            for case in cases:
                fh.write(json.dumps(case, ensure_ascii=False) + "\n")
    except OSError as exc:
        fail(f"Không ghi được tệp {file}: {exc}")
    if as_json:
        emit_json({"file": str(file), "cases": len(cases)})
    else:
        out.print(
            f"Đã ghi {len(cases)} câu trả lời bị đánh giá 👎 vào {file}. Mỗi dòng cần được rà soát: thêm "
            '"answer_contains" và bỏ "needs_review" để dùng trong troly eval.'
        )


def stats_cmd(
    days: Annotated[int, typer.Option("--days", min=1, max=3650, help="Số ngày gần nhất")] = 30,
    as_json: JsonOpt = False,
) -> None:
    """Câu hỏi được hỏi nhiều nhất và chưa trả lời được nhiều nhất (không kèm tên người hỏi).

    Đồng thời xoá nhật ký câu hỏi cũ hơn TROLY_LOG_RETENTION_DAYS ngày."""
    from tasks.feedback import purge_old, question_stats

    settings, db = _log_database()
    with db, db.session() as session:
        deleted = purge_old(session, settings.log_retention_days)
        stats = question_stats(session, days)
    if as_json:
        emit_json(stats)
        return
    out.print(
        f"Trong {stats['days']} ngày qua: {stats['questions']} câu hỏi, trả lời được {stats['answered']}, "
        f"chưa tìm được câu trả lời {stats['refused']}."
    )
    for title, key in (("Hỏi nhiều nhất", "top"), ("Chưa trả lời được nhiều nhất", "top_refused")):
        if stats[key]:
            out.print(f"\n[bold]{title}:[/]")
            for i, item in enumerate(stats[key], start=1):
                out.print(f"{i}. {item['question']} — {item['count']} lần", markup=False)
    if deleted:
        err.print(f"Đã xoá {deleted} câu hỏi cũ hơn {settings.log_retention_days} ngày.")


def register(app: typer.Typer) -> None:
    """Mount `feedback` (group) and `stats` on the root app."""
    app.add_typer(feedback_app, name="feedback")
    app.command("stats")(stats_cmd)
