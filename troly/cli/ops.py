"""The operator's commands: `troly reset`, `troly backup`, `troly restore`, `troly doctor`.

`register(app)` mounts them on the main `troly` app; the logic lives in `troly/ops/` (`reset`, `backup`, `doctor`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from troly.cli.common import settings as parsed_settings
from troly.config import ConfigError, Settings

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

YesOpt = Annotated[bool, typer.Option("--yes", help="Xác nhận: cho phép xoá/ghi đè dữ liệu hiện có.")]


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]Lỗi:[/] {message}")
    raise typer.Exit(code)


def reset_cmd(yes: YesOpt = False) -> None:
    """Xoá sạch thư mục dữ liệu (CSDL, chỉ mục, tệp đã nộp, nhật ký) để bắt đầu lại. Cần --yes."""
    from troly.ops.reset import plan_reset, run_reset

    settings = parsed_settings()
    try:
        plan = plan_reset(settings)
    except Exception as exc:
        _fail(f"Không kiểm tra được dữ liệu hiện có: {exc}")
    if plan.empty:
        out.print(f"Thư mục dữ liệu {settings.home} đã trống: không có gì để xoá.")
        return
    lines = plan.lines()
    if not yes:
        err.print(f"Lệnh này sẽ XOÁ VĨNH VIỄN dữ liệu của {settings.home}:")
        for line in lines:
            err.print(f"  - {line}")
        _fail("chưa xoá gì. Sao lưu trước (`troly backup TỆP`) rồi chạy lại với --yes để xoá thật.")
    try:
        run_reset(settings, plan)
    except Exception as exc:
        _fail(f"Xoá chưa xong: {exc}")
    out.print(f"Đã xoá dữ liệu của {settings.home}:")
    for line in lines:
        out.print(f"  - {line}")


def backup_cmd(file: Annotated[Path, typer.Argument(help="Tệp sao lưu sẽ ghi ra (.tar.gz).")]) -> None:
    """Sao lưu CSDL, chỉ mục, tệp đã nộp và .env vào MỘT tệp .tar.gz (quyền 0600: có mã bot, dữ liệu cá nhân)."""
    from troly.ops.backup import BackupError, backup

    try:
        report = backup(parsed_settings(), file)
    except BackupError as exc:
        _fail(str(exc))
    size = (
        f"{report.size / 1024**2:.1f} MB" if report.size >= 1024**2 else f"{max(1, report.size // 1024)} KB"
    )
    out.print(f"Đã sao lưu vào {report.archive} ({size}, chỉ chủ tệp đọc được):")
    for line in report.lines:
        out.print(f"  - {line}")


def restore_cmd(
    file: Annotated[Path, typer.Argument(help="Tệp sao lưu do `troly backup` tạo.")],
    yes: YesOpt = False,
) -> None:
    """Khôi phục từ tệp sao lưu. Từ chối ghi đè dữ liệu hiện có nếu không có --yes."""
    from troly.ops.backup import BackupError, restore, restore_blockers

    settings = parsed_settings()
    try:
        if not file.expanduser().is_file():
            raise BackupError(f"Không thấy tệp sao lưu {file}.")
        blockers = [] if yes else restore_blockers(settings)
        if blockers:
            err.print("Khôi phục sẽ GHI ĐÈ dữ liệu đang có:")
            for line in blockers:
                err.print(f"  - {line}")
            _fail("chưa khôi phục gì. Sao lưu dữ liệu hiện tại trước nếu cần, rồi chạy lại với --yes.")
        report = restore(settings, file)
    except BackupError as exc:
        _fail(str(exc))
    out.print(f"Đã khôi phục từ {report.archive}:")
    for line in report.lines:
        out.print(f"  - {line}")
    out.print("Khởi động lại bot để dùng dữ liệu vừa khôi phục.")


def doctor_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="In đúng một tài liệu JSON ra stdout.")] = False,
) -> None:
    """Kiểm tra cài đặt (mã bot, CSDL, lược đồ, chỉ mục/mô hình, OCR, múi giờ, đĩa) và chỉ cách sửa."""
    from troly.ops.doctor import ERROR, WARN, home_note, run_checks, to_json

    try:
        settings = Settings.from_env(strict=False)  # a bad time zone is one of the checks, not a stop
    except ConfigError as exc:  # any other unusable variable: the same message as every other command
        typer.echo(f"Cấu hình sai: {exc}", err=True)
        raise typer.Exit(2) from None
    results = run_checks(settings)
    if as_json:
        sys.stdout.write(json.dumps(to_json(results), ensure_ascii=False) + "\n")
    else:
        out.print(home_note(settings))
        marks = {"ok": "[green]✔[/]", WARN: "[yellow]⚠[/]", ERROR: "[red]✘[/]"}
        for r in results:
            out.print(f"{marks[r.status]} {r.name}: {r.message}")
            if r.fix:
                out.print(f"    → Cách sửa: {r.fix}")
        errors = sum(r.status == ERROR for r in results)
        warns = sum(r.status == WARN for r in results)
        if errors:
            out.print(f"\n[bold red]{errors} lỗi cần sửa[/] trước khi chạy bot; {warns} cảnh báo.")
        elif warns:
            out.print(f"\nSẵn sàng chạy, còn {warns} cảnh báo nên xử lý.")
        else:
            out.print("\nMọi thứ đều ổn.")
    if any(r.status == ERROR for r in results):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("reset")(reset_cmd)
    app.command("backup")(backup_cmd)
    app.command("restore")(restore_cmd)
    app.command("doctor")(doctor_cmd)
