"""Administrators import the roster or the task list by sending the spreadsheet to the bot.

The clerk of the provincial office receives the sheets by e-mail and cannot reach the server. A quản trị
sends the `.xlsx`/`.csv` in a private chat; the bot recognises which sheet it is by its headers
(`recognise`), runs the very import of the command line as a preview (`dry_run`: the same validation and the
same writes, rolled back) and shows the report — the errors by row, or "N mới, M cập nhật" —, and imports
only after "Nhập" (`run_import`, which validates again: the database may have changed meanwhile).

A sheet sent in chat has no save time worth trusting (the file was just downloaded), so the task import runs
with ``trust_file_time=False``: a value set through the bot or the command line after the task was last
imported is kept and listed as a conflict, never overridden. The roster import never deactivates anybody
from chat (that is `troly officials import --full`, on the server).

Anybody but an active quản trị gets one Vietnamese refusal; nothing is read, written or audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.documents_admin import NotAdmin, require_admin
from app.viewer import Viewer
from tasks import audit
from tasks import columns as C
from tasks.importing import ImportReport, import_officials, import_tasks
from tasks.normalize import Via
from tasks.spreadsheets import SUPPORTED, SpreadsheetError, read_table
from tasks.timeutil import format_local
from tasks.ui import Screen, admin_data, button, esc

OFFICIALS = "officials"
TASKS = "tasks"
SHEET_SUFFIXES = frozenset(SUPPORTED)
MAX_SHEET_BYTES = 20 * 1024 * 1024  # the Bot API's download limit
MAX_LISTED = 25  # errors / conflicts listed in one message; the rest are counted
ADMIN_ONLY = (
    "Chỉ quản trị viên mới nhập danh sách cán bộ hoặc danh sách nhiệm vụ qua chat. Anh/chị hãy gửi bảng tính "
    "cho quản trị viên của đơn vị."
)
NO_HEADER_ROW = "dòng tên cột"  # in `read_table`'s message when a sheet has no header row of that kind
WHAT = {OFFICIALS: "danh sách cán bộ", TASKS: "danh sách nhiệm vụ"}
UNKNOWN_SHEET = (
    "Không nhận ra bảng tính “{name}”: dòng tiêu đề cần có các cột của danh sách cán bộ (Mã cán bộ, Họ và "
    "tên, Đơn vị…) hoặc của danh sách nhiệm vụ (Mã nhiệm vụ, Nội dung, Người thực hiện, Đơn vị chủ trì, "
    "Thời hạn, Sản phẩm, Người giao). Xem mẫu trong hướng dẫn (docs/huong-dan.md)."
)

__all__ = ["ADMIN_ONLY", "OFFICIALS", "TASKS", "NotAdmin", "preview_import", "recognise", "run_import"]


def is_sheet(file_name: str | None) -> bool:
    return Path(file_name or "").suffix.lower() in SHEET_SUFFIXES


def check_admin(session: Session, viewer: Viewer) -> None:
    """`NotLinked` / `NotAdmin` (the import refusal) unless the sender is an active quản trị."""
    require_admin(session, viewer, ADMIN_ONLY)


def recognise(path: Path) -> str | None:
    """`OFFICIALS` or `TASKS` by the headers the file names (the required columns of each), or None.

    A task sheet names "Mã nhiệm vụ", a roster "Mã cán bộ" and "Họ và tên"; the kind whose required columns
    are named most wins, and at least two of them must be there. Raises `SpreadsheetError` for a file that
    cannot be read at all (its Vietnamese message is shown as is)."""
    scores: dict[str, int] = {}
    failures: list[SpreadsheetError] = []
    for kind, headers, required in (
        (OFFICIALS, C.OFFICIAL_HEADERS, C.OFFICIAL_REQUIRED),
        (TASKS, C.TASK_HEADERS, C.TASK_REQUIRED),
    ):
        try:
            table = read_table(path, headers, required=required)
        except SpreadsheetError as exc:  # no header row of this kind, or no readable file at all
            failures.append(exc)
            scores[kind] = 0
            continue
        scores[kind] = len(set(table.headers) & set(required))
    unreadable = [f for f in failures if NO_HEADER_ROW not in str(f)]
    if len(failures) == 2 and unreadable:
        raise unreadable[0]
    kind = max(scores, key=lambda k: (scores[k], k == TASKS))
    return kind if scores[kind] >= 2 else None


def _import(
    session: Session, viewer: Viewer, path: Path, kind: str, *, dry_run: bool, display_name: str
) -> ImportReport:
    official = require_admin(session, viewer, ADMIN_ONLY)
    actor = official.code
    if kind == OFFICIALS:
        report = import_officials(session, path, actor=actor, now=viewer.now, dry_run=dry_run)
    else:
        report = import_tasks(
            session, path, actor=actor, now=viewer.now, tz=viewer.tz, dry_run=dry_run, trust_file_time=False
        )
    report.file = display_name
    return report


@dataclass(frozen=True)
class Preview:
    """The preview's screen, and whether the file can be imported ("Nhập" offered)."""

    screen: Screen
    ok: bool
    kind: str | None


def preview_import(session: Session, viewer: Viewer, path: Path, display_name: str, nonce: int) -> Preview:
    """Recognise the sheet and validate it exactly like `troly … import` (a dry run); the report with
    "Nhập" / "Huỷ" buttons (data carrying `nonce`, the pending import's number) when it can be imported."""
    check_admin(session, viewer)
    try:
        kind = recognise(path)
    except SpreadsheetError as exc:
        return Preview(Screen(f"❌ {esc(str(exc))}"), False, None)
    if kind is None:
        return Preview(Screen("❌ " + esc(UNKNOWN_SHEET.format(name=display_name))), False, None)
    report = _import(session, viewer, path, kind, dry_run=True, display_name=display_name)
    html = report_html(report, viewer.tz, preview=True)
    if not report.ok:
        return Preview(Screen(html), False, kind)
    buttons = [[button("📥 Nhập", admin_data("i", nonce)), button("✖️ Huỷ", admin_data("ix", nonce))]]
    return Preview(Screen(html, buttons), True, kind)


def run_import(session: Session, viewer: Viewer, path: Path, kind: str, display_name: str) -> Screen:
    """The "Nhập" button: the real import (validated again; all or nothing). Its rows are audited as an
    import (via import, actor the administrator's code: the conflict rule depends on it), and one more audit
    row via bot records who imported which file from the chat, with the counts."""
    report = _import(session, viewer, path, kind, dry_run=False, display_name=display_name)
    if report.ok:
        official = require_admin(session, viewer, ADMIN_ONLY)
        audit.record(
            session, actor=official.code, via=Via.BOT, entity="import", key=display_name, field=kind,
            old=None, new=None, at=viewer.now,
            note=f"Nhập {WHAT[kind]} qua chat: {report.created} mới, {report.updated} cập nhật, "
            f"{report.unchanged} không đổi, {len(report.conflicts)} giá trị giữ nguyên.",
        )  # fmt: skip
        session.commit()
    return Screen(report_html(report, viewer.tz, preview=False))


def report_html(report: ImportReport, tz: ZoneInfo, *, preview: bool) -> str:
    """The report in Vietnamese (Telegram HTML): errors by row, or the counts and the values kept."""
    name = esc(Path(report.file).name)
    what = WHAT.get(report.kind, report.kind)
    if not report.ok:
        lines = [
            f"❌ <b>Không nhập được {what} từ “{name}”</b>: {len(report.errors)} lỗi, chưa ghi gì. "
            "Sửa các dòng dưới đây rồi gửi lại tệp."
        ]
        for error in report.errors[:MAX_LISTED]:
            where = "Tệp" if error.row is None else f"Dòng {error.row}"
            if error.column:
                where += f", cột “{esc(error.column)}”"
            lines.append(f"• {where}: {esc(error.message)}")
        if len(report.errors) > MAX_LISTED:
            lines.append(f"… và {len(report.errors) - MAX_LISTED} lỗi khác.")
        return "\n".join(lines)
    counts = f"{report.created} mới, {report.updated} cập nhật, {report.unchanged} không đổi"
    if report.kind == OFFICIALS:
        counts += f"; {report.units_created} đơn vị mới"
    sheet = f" (trang “{esc(report.sheet)}”)" if report.sheet else ""
    if preview:
        head = f"📋 <b>Kiểm tra {what} “{name}”</b>{sheet}: hợp lệ, sẽ nhập {counts}."
    else:
        head = f"✅ <b>Đã nhập {what} từ “{name}”</b>{sheet}: {counts}."
    lines = [head]
    if report.conflicts:
        kept = "Giữ" if not preview else "Sẽ giữ"
        lines.append(
            f"\n⚠️ {kept} {len(report.conflicts)} giá trị đã cập nhật qua bot/lệnh sau lần nhập gần nhất "
            "(bảng tính gửi qua chat không ghi đè các thay đổi đó):"
        )
        for c in report.conflicts[:MAX_LISTED]:
            when = format_local(c.changed_at, tz)
            lines.append(
                f"• Dòng {c.row}, {esc(c.code)}, “{esc(c.column)}”: giữ “{esc(c.kept)}”, bỏ qua “{esc(c.ignored)}” "
                f"(cập nhật lúc {when})"
            )
        if len(report.conflicts) > MAX_LISTED:
            lines.append(f"… và {len(report.conflicts) - MAX_LISTED} giá trị khác.")
    if preview:
        lines.append("\nBấm <b>Nhập</b> để ghi vào hệ thống, hoặc <b>Huỷ</b>.")
    return "\n".join(lines)
