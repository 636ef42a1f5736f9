"""`troly officials ...` and `troly tasks ...`: typer sub-apps mounted by the main CLI (troly/cli/__init__.py).

Each command opens the database named by TROLY_DATABASE_URL (migrating it if needed), prints Vietnamese
text for people, or exactly one JSON document on stdout with `--json`. Failures go to stderr with a
non-zero exit code: 1 for bad input (e.g. an import with row errors), 2 when the database cannot be used.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from tasks import listing
from tasks.db import Database, connect_reason, shown_url
from tasks.errors import TaskDomainError
from tasks.exporting import export_tasks
from tasks.importing import ImportReport, import_officials, import_tasks
from tasks.kpi import format_kpi, kpi_by_lead_unit, unit_kpis
from tasks.linking import INVITE_VALIDITY, create_invite, unlink
from tasks.models import LinkCode, Official, Task
from tasks.normalize import CLOSED_STATUSES, Via, format_date
from tasks.progress_view import node_kpi
from tasks.report_files import report_for_name, write_docx, write_xlsx
from tasks.reporting import UnitProgress, unit_report
from tasks.service import cancel_reason, cancel_task, reassign_task
from tasks.timeutil import DEFAULT_TZ, format_local, local_date, utcnow
from troly.cli.common import settings as parsed_settings
from troly.config import Settings
from vntext.display import shorten

officials_app = typer.Typer(help="Danh sách cán bộ, đơn vị và liên kết Telegram.", no_args_is_help=True)
tasks_app = typer.Typer(help="Nhiệm vụ: nhập, xuất bảng tính, báo cáo tiến độ.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="In đúng một tài liệu JSON ra stdout.")]

PIPE_WIDTH = 160  # tables written to a file or a pipe need not fit an 80-column terminal


def _console(stderr: bool = False) -> Console:
    """A console on the current stdout/stderr (created per use, so test runners can capture it)."""
    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal:
        console.width = PIPE_WIDTH
    return console


def _print(*objects: Any, err: bool = False) -> None:
    """Print text (never interpreted as rich markup: unit names may contain brackets) or a table."""
    _console(err).print(*objects, markup=False)


def _fail(message: str, code: int = 1) -> NoReturn:
    _print(message, err=True)
    raise typer.Exit(code)


def _private(path: Path) -> Path:
    """Make a written report/export readable by its owner only (0600): it holds personal data."""
    path.chmod(0o600)
    return path


def _print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


@contextmanager
def _session() -> Iterator[tuple[Settings, Session]]:
    """Settings from the environment and a session on the (migrated) database; errors → clear exit."""
    settings = parsed_settings()
    try:
        db = Database.open(settings.database_url, tz=settings.tz)
    except (SQLAlchemyError, OSError) as exc:
        _fail(f"Không mở được cơ sở dữ liệu ({shown_url(settings.database_url)}): {connect_reason(exc)}.", 2)
    try:
        with db.session() as session:
            yield settings, session
    except TaskDomainError as exc:
        _fail(str(exc))
    except SQLAlchemyError as exc:
        _fail(f"Lỗi cơ sở dữ liệu: {exc.__class__.__name__}: {exc}", 2)
    finally:
        db.dispose()


def _report_import(report: ImportReport, as_json: bool, what: str, tz: ZoneInfo = DEFAULT_TZ) -> None:
    name = Path(report.file).name
    if as_json:
        _print_json(report.to_dict())
    if not report.ok:
        lines = [
            f"Không nhập được {what} từ “{name}”: {len(report.errors)} lỗi, chưa ghi gì vào cơ sở dữ liệu."
        ]
        for error in report.errors:
            where = "Tệp" if error.row is None else f"Dòng {error.row}"
            if error.column:
                where += f", cột “{error.column}”"
            lines.append(f"- {where}: {error.message}")
        _fail("\n".join(lines))
    if as_json:
        return
    done = "Kiểm tra (chưa ghi gì)" if report.dry_run else "Đã nhập"
    summary = f"{done} {what} từ “{name}”: {report.created} mới, {report.updated} cập nhật, {report.unchanged} không đổi"
    if report.kind == "officials":
        summary += f"; {report.units_created} đơn vị mới"
    if report.sheet:
        summary += f" (trang “{report.sheet}”)"
    _print(summary + ".")
    if report.deactivated:
        table = Table(
            title=f"Cán bộ thôi hoạt động (không có trong danh sách đầy đủ): {len(report.deactivated)}"
        )
        for header in ("Mã", "Họ và tên", "Đơn vị", "Nhiệm vụ chưa xong cần giao lại"):
            table.add_column(header)
        for d in report.deactivated:
            table.add_row(d.code, d.full_name, d.unit, ", ".join(d.open_tasks) or "—")
        _print(table)
    if report.conflicts:
        table = Table(title="Giữ số liệu trong hệ thống (mới hơn bảng tính, hoặc nhiệm vụ đã hủy)")
        zone = "giờ Việt Nam" if tz.key == "Asia/Ho_Chi_Minh" else tz.key
        for header in (
            "Dòng",
            "Mã nhiệm vụ",
            "Cột",
            "Giữ",
            "Bỏ qua (trong tệp)",
            f"Cập nhật qua bot/lệnh lúc ({zone})",
            "Lý do giữ",
        ):
            table.add_column(header)
        for c in report.conflicts:
            table.add_row(
                str(c.row), c.code, c.column, c.kept, c.ignored, format_local(c.changed_at, tz), c.reason
            )
        _print(table)


SheetOption = Annotated[
    str | None,
    typer.Option("--sheet", help="Tên trang tính cần nhập (mặc định: trang hiện có dòng tiêu đề phù hợp)."),
]
DryRunOption = Annotated[
    bool,
    typer.Option(
        "--dry-run",
        help="Chỉ kiểm tra và báo trước kết quả (lỗi theo dòng, số mới/cập nhật), không ghi gì.",
    ),
]

_STAGES = {"read": "Đọc tệp", "check": "Kiểm tra", "write": "Ghi"}


@contextmanager
def _import_progress(enabled: bool) -> Iterator[Any]:
    """A progress bar on stderr when it is a terminal (not with --json, not in a pipe); else None."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=Console(stderr=True), transient=True,
    )  # fmt: skip
    task = bar.add_task("Đọc tệp", total=None)

    def update(stage: str, done: int, total: int) -> None:
        bar.update(task, description=_STAGES.get(stage, stage), completed=done, total=total or None)

    with bar:
        yield update


@officials_app.command("import")
def officials_import(
    file: Annotated[Path, typer.Argument(help="Bảng tính .xlsx hoặc .csv danh sách cán bộ.")],
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Tệp là danh sách đầy đủ: cán bộ không có trong tệp thôi hoạt động (không xóa; "
            "liệt kê nhiệm vụ chưa xong của họ để giao lại).",
        ),
    ] = False,
    sheet: SheetOption = None,
    dry_run: DryRunOption = False,
    as_json: JsonOption = False,
) -> None:
    """Nhập/cập nhật danh sách cán bộ và cây đơn vị (tất cả hoặc không gì cả)."""
    with _session() as (_settings, session), _import_progress(not as_json) as progress:
        report = import_officials(
            session, file, actor=f"import:{file.name}", full=full, sheet=sheet, progress=progress,
            dry_run=dry_run,
        )  # fmt: skip
    _report_import(report, as_json, "danh sách cán bộ")


@officials_app.command("invite")
def officials_invite(
    code: Annotated[str, typer.Argument(help="Mã cán bộ.")],
    bot_username: Annotated[
        str | None, typer.Option("--bot-username", help="Tên bot (mặc định: biến TROLY_BOT_USERNAME).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Cấp mã liên kết Telegram dùng một lần (hiệu lực 7 ngày) và đường dẫn mở bot."""
    with _session() as (settings, session):
        now = utcnow()
        invite = create_invite(session, code, now, actor="cli")
        official = session.get(LinkCode, invite).official
        name, official_code = official.full_name, official.code
    username = (bot_username or settings.bot.username or "").strip().lstrip("@")
    link = f"https://t.me/{username}?start={invite}" if username else None
    expires = now + INVITE_VALIDITY
    if as_json:
        _print_json(
            {
                "official": official_code,
                "full_name": name,
                "code": invite,
                "link": link,
                "expires_at": expires.isoformat(),
            }
        )
        return
    local_expiry = expires.astimezone(settings.tz)
    _print(f"Mã liên kết cho {name} ({official_code}): {invite}")
    _print(f"Hiệu lực đến {local_expiry:%H:%M} ngày {local_expiry:%d/%m/%Y}, dùng một lần.")
    if link:
        _print(f"Gửi đường dẫn này cho cán bộ: {link}")
    else:
        _print(f"Cán bộ mở bot và gõ: /start {invite} (thêm --bot-username để in sẵn đường dẫn).")


@officials_app.command("unlink")
def officials_unlink(
    code: Annotated[str, typer.Argument(help="Mã cán bộ.")],
    as_json: JsonOption = False,
) -> None:
    """Hủy liên kết Telegram của một cán bộ."""
    with _session() as (_settings, session):
        removed = unlink(session, code, actor="cli")
    if as_json:
        _print_json({"official": code.strip(), "unlinked": removed})
    elif removed:
        _print(f"Đã hủy liên kết Telegram của cán bộ {code.strip()}.")
    else:
        _print(f"Cán bộ {code.strip()} chưa liên kết Telegram; không có gì để hủy.")


@officials_app.command("list")
def officials_list(as_json: JsonOption = False) -> None:
    """Liệt kê cán bộ, đơn vị, vai trò và tình trạng liên kết Telegram."""
    with _session() as (settings, session):
        settings_tz = settings.tz
        officials = session.scalars(
            select(Official).options(selectinload(Official.unit)).order_by(Official.unit_id, Official.code)
        ).all()
        rows = [
            {
                "code": o.code,
                "full_name": o.full_name,
                "position": o.position,
                "unit": o.unit.name,
                "role": o.role.value,
                "phone": o.phone_normalized,
                "telegram_username": o.telegram_username,
                "linked": o.telegram_user_id is not None,
                "active": o.active,
                "unreachable_since": o.unreachable_since.isoformat() if o.unreachable_since else None,
            }
            for o in officials
        ]
        labels = {o.code: o.role.label for o in officials}
        inactive = [o.id for o in officials if not o.active]
        open_counts = dict(
            session.execute(
                select(Task.assignee_id, func.count(Task.id))
                .where(Task.assignee_id.in_(inactive), Task.status.not_in(CLOSED_STATUSES))
                .group_by(Task.assignee_id)
            ).all()
        ) if inactive else {}  # fmt: skip
        states = {
            o.code: "đang hoạt động"
            if o.active
            else f"đã thôi — {open_counts.get(o.id, 0)} việc chưa xong cần giao lại"
            for o in officials
        }
    if as_json:
        _print_json({"officials": rows})
        return
    if not rows:
        _print("Chưa có cán bộ nào: hãy nhập danh sách bằng “troly officials import TỆP”.")
        return
    table = Table(title=f"Danh sách cán bộ ({len(rows)})")
    for header in ("Mã", "Họ và tên", "Chức vụ", "Đơn vị", "Vai trò", "Điện thoại", "Telegram", "Tình trạng"):
        table.add_column(header, no_wrap=header in ("Mã", "Điện thoại"))
    for r in rows:
        telegram = ("đã liên kết" if r["linked"] else "chưa") + (
            f" (@{r['telegram_username']})" if r["telegram_username"] else ""
        )
        if r["unreachable_since"]:
            since = format_date(local_date(datetime.fromisoformat(r["unreachable_since"]), settings_tz))
            telegram += f" — không nhận được tin nhắn từ {since}"
        table.add_row(
            r["code"],
            r["full_name"],
            r["position"] or "",
            r["unit"],
            labels[r["code"]],
            r["phone"] or "",
            telegram,
            states[r["code"]],
        )
    _print(table)


@tasks_app.command("import")
def tasks_import(
    file: Annotated[Path, typer.Argument(help="Bảng tính .xlsx hoặc .csv nhiệm vụ.")],
    sheet: SheetOption = None,
    dry_run: DryRunOption = False,
    as_json: JsonOption = False,
) -> None:
    """Nhập/cập nhật nhiệm vụ (tất cả hoặc không gì cả, báo lỗi theo từng dòng)."""
    with _session() as (settings, session), _import_progress(not as_json) as progress:
        report = import_tasks(
            session, file, actor=f"import:{file.name}", tz=settings.tz, sheet=sheet, progress=progress,
            dry_run=dry_run,
        )  # fmt: skip
    _report_import(report, as_json, "nhiệm vụ", settings.tz)


@tasks_app.command("export")
def tasks_export(
    file: Annotated[Path, typer.Argument(help="Tệp .xlsx sẽ ghi ra.")],
    as_json: JsonOption = False,
) -> None:
    """Xuất nhiệm vụ (trạng thái, tiến độ) ra .xlsx; nhập lại tệp này không mất dữ liệu."""
    if file.suffix.lower() != ".xlsx":
        _fail(f"Tệp xuất phải có đuôi .xlsx (nhận được “{file.name}”).")
    with _session() as (settings, session):
        count = export_tasks(session, file, today=local_date(tz=settings.tz))
    _private(file)
    if as_json:
        _print_json({"file": str(file), "tasks": count})
    else:
        _print(f"Đã xuất {count} nhiệm vụ ra “{file}”.")


def _report_rows(node: UnitProgress, depth: int = 0) -> Iterator[tuple[str, UnitProgress]]:
    yield "  " * depth + node.unit, node
    for child in node.units:
        yield from _report_rows(child, depth + 1)


def _report_file_option(suffix: str, what: str) -> Any:
    return typer.Option(f"--{suffix}", help=f"Ghi thêm báo cáo {what} ra tệp này.", dir_okay=False)


DocumentOption = Annotated[
    str | None,
    typer.Option("--document", help="Số hiệu văn bản giao: “221-KL/TW”, “KL 221”, “Kết luận 221”."),
]


@tasks_app.command("report")
def tasks_report(
    unit: Annotated[
        str | None, typer.Option("--unit", help="Tên đơn vị (gõ không dấu hoặc viết tắt cũng được).")
    ] = None,
    xlsx: Annotated[Path | None, _report_file_option("xlsx", "Excel (.xlsx: tổng hợp, quá hạn, KPI)")] = None,
    docx: Annotated[
        Path | None, _report_file_option("docx", "Word (.docx, thể thức văn bản hành chính)")
    ] = None,
    as_json: JsonOption = False,
    document: DocumentOption = None,
) -> None:
    """Tiến độ thực hiện nhiệm vụ của một đơn vị và các đơn vị trực thuộc (mặc định: toàn bộ).

    Với --xlsx/--docx, báo cáo còn được ghi ra tệp; nơi ban hành trong tệp Word lấy từ biến
    TROLY_REPORT_PLACE (ví dụ "Thanh Hóa"). Đầu ra JSON không đổi. Với --document: chỉ các nhiệm vụ
    giao theo một văn bản ("KL 221", "221-KL/TW"), theo đơn vị.
    """
    if document is not None:
        return _report_document(document, as_json)
    for path, suffix in ((xlsx, ".xlsx"), (docx, ".docx")):
        if path is not None and path.suffix.lower() != suffix:
            _fail(f"Tệp báo cáo phải có đuôi {suffix} (nhận được “{path.name}”).")
    written: list[Path] = []
    with _session() as (settings, session):
        today = local_date(tz=settings.tz)
        report = unit_report(session, unit, today=today)
        kpis = unit_kpis(session, today) if not as_json else {}
        own_kpis = kpi_by_lead_unit(session, today) if not as_json else {}
        if xlsx is not None or docx is not None:
            data = report_for_name(session, unit, today=today)
            try:
                if xlsx is not None:
                    write_xlsx(data, xlsx)
                    written.append(_private(xlsx))
                if docx is not None:
                    write_docx(data, docx, place=settings.tasks.report_place)
                    written.append(_private(docx))
            except OSError as exc:
                _fail(f"Không ghi được tệp báo cáo: {exc}")
    if as_json:
        _print_json(report.to_dict())
        return
    table = Table(title=f"Tiến độ nhiệm vụ đến ngày {format_date(today)}")
    table.add_column("Đơn vị")
    for header in ("Tổng", "Hoàn thành", "Đúng hạn", "Đang thực hiện", "Quá hạn", "Tỷ lệ", "KPI"):
        table.add_column(header, justify="right", no_wrap=True)
    for label, node in _report_rows(report):
        table.add_row(
            label, str(node.total), str(node.done), str(node.done_on_time), str(node.in_progress),
            str(node.overdue), f"{node.completion_rate:.0%}", format_kpi(node_kpi(node, kpis, own_kpis).score),
        )  # fmt: skip
    _print(table)
    for path in written:
        _print(f"Đã ghi báo cáo ra “{path}”.")


@tasks_app.command("reassign")
def tasks_reassign(
    code: Annotated[str, typer.Argument(help="Mã nhiệm vụ.")],
    official: Annotated[str, typer.Argument(help="Mã cán bộ nhận nhiệm vụ.")],
    as_json: JsonOption = False,
) -> None:
    """Giao lại nhiệm vụ cho cán bộ khác (ví dụ khi người thực hiện chuyển công tác); có ghi nhật ký."""
    with _session() as (_settings, session):
        task, previous = reassign_task(session, None, code, official, via=Via.CLI)
        new = task.assignee
        result = {"code": task.code, "assignee": new.code, "previous_assignee": previous.code}
        message = (
            f"Đã giao lại nhiệm vụ {task.code}: {previous.full_name} ({previous.code}) → "
            f"{new.full_name} ({new.code})."
        )
    if as_json:
        _print_json(result)
    else:
        _print(message)


@tasks_app.command("cancel")
def tasks_cancel(
    code: Annotated[str, typer.Argument(help="Mã nhiệm vụ.")],
    reason: Annotated[
        str | None, typer.Option("--reason", help="Lý do hủy (bắt buộc, ghi vào nhật ký).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Hủy nhiệm vụ (trạng thái “đã hủy”): không còn tính vào số liệu, KPI, không nhắc việc nữa."""
    if not (reason or "").strip():  # checked here too, so a missing option is refused in Vietnamese
        _fail(f"Hãy ghi lý do hủy: troly tasks cancel {code} --reason “văn bản giao đã được thay thế”.")
    with _session() as (_settings, session):
        task = cancel_task(session, None, code, reason, via=Via.CLI)
        result = {"code": task.code, "status": task.status.label, "reason": cancel_reason(session, task)}
    if as_json:
        _print_json(result)
    else:
        _print(f"Đã hủy nhiệm vụ {result['code']}. Lý do: {result['reason']}")


# --- list, show, report --document (docs/cli.md §2; queries and JSON in tasks/listing.py) --------------------


def _report_document(document: str, as_json: bool) -> None:
    with _session() as (settings, session):
        today = local_date(tz=settings.tz)
        try:
            ref, report = listing.document_report(session, document, today=today)
        except ValueError as exc:
            _fail(str(exc))
    if as_json:
        _print_json(listing.document_report_dict(ref, report))
        return
    rows = list(_report_rows(report))
    if not rows or all(node.total == 0 for _, node in rows):
        _print(f"Chưa có nhiệm vụ nào giao theo {ref.display()} (cột “Văn bản giao” của danh sách nhiệm vụ).")
        return
    _print(f"Tiến độ nhiệm vụ giao theo {ref.display()} đến ngày {format_date(today)}:")
    for label, node in rows:
        _print(
            f"{label}: {node.done}/{node.total} hoàn thành ({node.completion_rate:.0%}), {node.overdue} quá hạn"
        )


@tasks_app.command("list")
def tasks_list(
    assignee: Annotated[str | None, typer.Option("--assignee", help="Mã cán bộ thực hiện.")] = None,
    unit: Annotated[
        str | None, typer.Option("--unit", help="Đơn vị chủ trì (cả các đơn vị trực thuộc).")
    ] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="Trạng thái (có dấu hay không) hoặc “quá hạn”.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Danh sách nhiệm vụ, hạn sớm nhất trước; lọc theo người thực hiện, đơn vị, trạng thái."""
    try:
        wanted = listing.parse_status_filter(status) if status is not None else None
    except ValueError as exc:
        _fail(str(exc))
    with _session() as (settings, session):
        today = local_date(tz=settings.tz)
        result = listing.list_tasks(
            session, assignee=assignee, unit=unit, status=wanted, today=today, tz=settings.tz
        )
    if as_json:
        _print_json(result)
        return
    for item in result["tasks"]:
        deadline = format_date(date.fromisoformat(item["deadline"]))
        _print(
            f"{item['code']} · hạn {deadline} · {item['status']} · {item['assignee']} · {shorten(item['content'], 80)}"
        )
    _print(f"{len(result['tasks'])} nhiệm vụ.")


@tasks_app.command("show")
def tasks_show(
    code: Annotated[str, typer.Argument(help="Mã nhiệm vụ.")], as_json: JsonOption = False
) -> None:
    """Một nhiệm vụ: nội dung, thời hạn (cả thời hạn ban đầu nếu đã gia hạn), sản phẩm đã nộp, lịch sử."""
    with _session() as (settings, session):
        result = listing.show_task(session, code, tz=settings.tz)
    if as_json:
        _print_json(result)
    else:
        _print("\n".join(listing.task_lines(result)))


__all__ = ["officials_app", "tasks_app"]
