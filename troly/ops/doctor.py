"""`troly doctor`: check an installation before (and while) it runs, and say in Vietnamese what to fix.

Each check returns a `Check` with a status: "ok", "warn" (works, but something should be done) or "error"
(something essential is broken: the bot or the CLI would fail). `troly doctor` exits non-zero when any check
is an error. Checks never change anything (the database is opened without migrating).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from troly.config import Settings, cache_dir

OK, WARN, ERROR = "ok", "warn", "error"
TOKEN_RE = re.compile(r"^\d{5,}:[A-Za-z0-9_-]{30,}$")
DISK_ERROR_BYTES = 1 * 1024**3  # below 1 GiB free, SQLite writes and re-indexing start to fail
DISK_WARN_BYTES = 5 * 1024**3


@dataclass(frozen=True)
class Check:
    """One result: `name` (short Vietnamese label), `status` (ok|warn|error), `message`, `fix` ("" when ok)."""

    name: str
    status: str
    message: str
    fix: str = ""


def run_checks(settings: Settings) -> list[Check]:
    """Every check, in the order they are printed. Never raises: a crashing check becomes an error."""
    checks: list[Callable[[Settings], Check]] = [
        check_token,
        check_env_file,
        check_timezone,
        check_database,
        check_migrations,
        check_outbox,
        check_model,
        check_index,
        check_chroma,
        check_tesseract,
        check_disk,
    ]
    results = []
    for check in checks:
        try:
            results.append(check(settings))
        except Exception as exc:  # a check must report, not crash the doctor
            results.append(Check(check.__name__.removeprefix("check_"), ERROR, f"lỗi khi kiểm tra: {exc}"))
    return [r for r in results if r.name]


def to_json(results: list[Check]) -> dict:
    """`{"ok": bool, "checks": [{"name", "status", "message", "fix"}]}`; ok = no check is an error."""
    return {"ok": all(r.status != ERROR for r in results), "checks": [asdict(r) for r in results]}


# -- the checks ------------------------------------------------------------------------------------------
def check_token(settings: Settings) -> Check:
    token = settings.telegram_token
    if not token:
        return Check(
            "Mã bot Telegram", ERROR, "chưa đặt TELEGRAM_BOT_TOKEN",
            "Lấy mã từ @BotFather rồi ghi `TELEGRAM_BOT_TOKEN=...` vào tệp .env (chỉ `troly bot` cần mã này).",
        )  # fmt: skip
    if not TOKEN_RE.match(token.strip()):
        return Check(
            "Mã bot Telegram", ERROR, "TELEGRAM_BOT_TOKEN không đúng dạng <số>:<chuỗi 35 ký tự>",
            "Sao chép lại nguyên mã từ @BotFather (không dấu cách, không dấu nháy).",
        )  # fmt: skip
    return Check("Mã bot Telegram", OK, f"đã đặt (bot số {token.split(':', 1)[0]})")


def check_env_file(settings: Settings) -> Check:
    """The `.env` file holds the bot token (and often the database password): nobody else may read it."""
    from troly.ops.datahome import env_file

    path = env_file()
    if path is None:
        return Check("", OK, "")
    mode = path.stat().st_mode & 0o777
    if mode & 0o007:
        return Check(
            "Tệp cấu hình .env", WARN, f"{path} ai trên máy cũng đọc được (quyền {mode:o}) mà chứa mã bot",
            f"Chạy `chmod 600 {path}` (hoặc `chown root:troly` và `chmod 640` khi chạy bằng dịch vụ).",
        )  # fmt: skip
    return Check("Tệp cấu hình .env", OK, f"{path} (quyền {mode:o})")


def check_timezone(settings: Settings) -> Check:
    try:
        ZoneInfo(settings.timezone_name)
    except (ZoneInfoNotFoundError, ValueError):
        return Check(
            "Múi giờ", ERROR, f"TROLY_TIMEZONE='{settings.timezone_name}' không phải múi giờ hợp lệ",
            "Đặt TROLY_TIMEZONE=Asia/Ho_Chi_Minh (hoặc bỏ trống để dùng mặc định).",
        )  # fmt: skip
    return Check("Múi giờ", OK, settings.timezone_name)


def _database_label(settings: Settings) -> str:
    from troly.ops.datahome import database_of

    try:
        return database_of(settings).label
    except ValueError:
        from tasks.db import shown_url

        return shown_url(settings.database_url)


def check_database(settings: Settings) -> Check:
    from sqlalchemy import text

    from tasks.db import make_engine

    label = _database_label(settings)
    missing = _missing_sqlite_file(settings)
    if missing is not None:
        return Check(
            "Cơ sở dữ liệu", WARN, f"chưa có tệp {missing}",
            "Nhập danh sách cán bộ: `troly officials import DANH_SACH.xlsx` (CSDL được tạo tự động).",
        )  # fmt: skip
    try:
        engine = make_engine(settings.database_url, connect_args=_timeout_args(settings.database_url))
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        finally:
            engine.dispose()
    except Exception as exc:
        detail = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else exc.__class__.__name__
        return Check(
            "Cơ sở dữ liệu", ERROR, f"không kết nối được {label}: {detail}",
            "Kiểm tra TROLY_DATABASE_URL (máy chủ, cổng, tên CSDL, người dùng, mật khẩu) và máy chủ PostgreSQL "
            "đang chạy (`pg_isready -h HOST`); với SQLite, thư mục dữ liệu phải ghi được.",
        )  # fmt: skip
    return Check("Cơ sở dữ liệu", OK, f"kết nối được {label}")


def _missing_sqlite_file(settings: Settings) -> Path | None:
    """The SQLite file when it does not exist yet (connecting would create it: the doctor changes nothing)."""
    from troly.ops.datahome import database_of

    try:
        db = database_of(settings)
    except ValueError:
        return None
    return db.path if db.path is not None and not db.path.exists() else None


def _timeout_args(url: str) -> dict:
    return {"connect_timeout": 5} if url.startswith(("postgresql", "postgres")) else {}


def check_migrations(settings: Settings) -> Check:
    from alembic.script import ScriptDirectory

    from tasks.db import alembic_config, current_revision, head_revision, make_engine

    if _missing_sqlite_file(settings) is not None:
        return Check("", OK, "")  # no database yet: already reported by check_database
    try:
        engine = make_engine(settings.database_url, connect_args=_timeout_args(settings.database_url))
        try:
            current = current_revision(engine)
        finally:
            engine.dispose()
    except Exception:
        return Check("", OK, "")  # unreachable: already reported by check_database
    head = head_revision()
    if current == head:
        return Check("Lược đồ CSDL", OK, f"mới nhất ({head})")
    if current is None:
        return Check(
            "Lược đồ CSDL", WARN, "cơ sở dữ liệu còn trống",
            "Nhập danh sách cán bộ: `troly officials import DANH_SACH.xlsx` (lược đồ được tạo tự động).",
        )  # fmt: skip
    known = {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if current not in known:
        return Check(
            "Lược đồ CSDL", ERROR, f"cơ sở dữ liệu ở phiên bản {current}, mới hơn phần mềm (mới nhất: {head})",
            "Cài lại phiên bản phần mềm mới hơn đã dùng với CSDL này, hoặc khôi phục bản sao lưu cũ.",
        )  # fmt: skip
    return Check(
        "Lược đồ CSDL", WARN, f"ở phiên bản {current}, phần mềm cần {head}",
        "Lược đồ tự nâng cấp khi bot hoặc một lệnh `troly officials/tasks` mở CSDL; sao lưu trước "
        "(`troly backup`) rồi chạy `troly officials list` để nâng cấp ngay.",
    )  # fmt: skip


def check_outbox(settings: Settings) -> Check:
    """Messages the bot gave up on (replies after 15 minutes, notices after 24 hours of retries) in the last
    7 days, and messages waiting for long: what an administrator must know about deliveries."""
    from datetime import timedelta

    from tasks.db import current_revision, make_engine
    from tasks.outbox import stats
    from tasks.timeutil import utcnow

    if _missing_sqlite_file(settings) is not None:
        return Check("", OK, "")
    try:
        engine = make_engine(settings.database_url, connect_args=_timeout_args(settings.database_url))
    except Exception:
        return Check("", OK, "")
    try:
        try:
            if "outbox" not in _tables(engine) or current_revision(engine) is None:
                return Check("", OK, "")
        except Exception:
            return Check("", OK, "")  # unreachable: already reported by check_database
        from sqlalchemy.orm import Session

        now = utcnow()
        with Session(engine) as session:
            report = stats(session, now, now - timedelta(days=7))
    finally:
        engine.dispose()
    waiting = ""
    if report.pending:
        age = int(report.oldest_pending.total_seconds() // 60) if report.oldest_pending else 0
        waiting = f"; {report.pending} tin đang chờ gửi (lâu nhất {age} phút)"
    if report.failed:
        last = report.failures[0]
        when = _local(last.failed_at, settings)
        error = last.error or ""
        # a chat Telegram refuses (blocked bot, chat gone) is the official's side, not the connection's
        unreachable = any(
            k in error.lower() for k in ("chat not found", "blocked", "forbidden", "deactivated")
        )
        fix = (
            "Người nhận đã chặn bot hoặc chưa từng nhắn cho bot: nhờ họ mở bot và nhắn một tin; "
            "`troly officials list` cho biết ai không nhận được tin nhắn."
            if unreachable
            else 'Xem nhật ký bot (dòng "KHÔNG gửi được"); kiểm tra kết nối tới api.telegram.org và mã bot.'
        )
        return Check(
            "Hộp thư đi", WARN,
            f"{report.failed} tin không gửi được trong 7 ngày qua (gần nhất: chat {last.chat_id}, "
            f"{when}, {last.attempts} lần thử: {error[:120]}){waiting}",
            fix + " Tin trả lời được thử lại 15 phút, thông báo 24 giờ (docs/trien-khai.md, hộp thư đi).",
        )  # fmt: skip
    return Check("Hộp thư đi", OK, f"{report.sent} tin đã gửi trong 7 ngày qua, không tin nào bị bỏ{waiting}")


def _local(moment, settings: Settings) -> str:
    """A stored UTC time as the office reads it: "30/11/2026 03:29 (giờ Asia/Ho_Chi_Minh)"."""
    from datetime import UTC

    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return f"{aware.astimezone(settings.tz):%d/%m/%Y %H:%M} (giờ {settings.timezone_name})"


def _tables(engine) -> set[str]:
    from sqlalchemy import inspect

    return set(inspect(engine).get_table_names())


def expected_model_id(settings: Settings) -> tuple[str | None, str]:
    """(model id the index must have been built with, or None when the model is missing; a description).

    Computed from the model folder's files, without loading the model (same id as the embedder's)."""
    from retrieval.default_model import default_model_dir, is_complete
    from retrieval.embeddings import EmbeddingError, _fingerprint, resolve_model_folder

    if settings.embedding_model:
        try:
            folder = resolve_model_folder(settings.embedding_model)
        except EmbeddingError as exc:
            return None, str(exc)
    else:
        folder = default_model_dir(cache_dir())
        if not is_complete(folder):
            return None, f"chưa dựng mô hình nhúng mặc định tại {folder}"
    return f"{folder.name}-{_fingerprint(folder)}", str(folder)


def check_model(settings: Settings) -> Check:
    model_id, where = expected_model_id(settings)
    if model_id is None:
        return Check(
            "Mô hình nhúng", ERROR, where,
            "Chạy `troly model build` (mô hình mặc định) hoặc sửa TROLY_EMBEDDING_MODEL.",
        )  # fmt: skip
    return Check("Mô hình nhúng", OK, where)


def check_index(settings: Settings) -> Check:
    manifest_path = settings.index_dir / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Check(
            "Chỉ mục văn bản", WARN, f"chưa có chỉ mục ({settings.index_dir})",
            "Chạy `troly ingest` trước khi mở bot (nếu không, câu hỏi đầu tiên phải chờ lập chỉ mục vài phút).",
        )  # fmt: skip
    except (OSError, ValueError) as exc:
        return Check(
            "Chỉ mục văn bản", ERROR, f"không đọc được {manifest_path}: {exc}",
            "Chạy `troly ingest` để lập lại chỉ mục.",
        )  # fmt: skip
    files = len(manifest.get("files") or {})
    built_with = manifest.get("model_id")
    model_id, _ = expected_model_id(settings)
    if model_id is not None and built_with != model_id:
        return Check(
            "Chỉ mục văn bản", ERROR, f"được lập bằng mô hình '{built_with}', cấu hình hiện dùng '{model_id}'",
            "Chạy `troly ingest` để lập lại chỉ mục bằng mô hình đang cấu hình (vài phút), rồi khởi động lại bot.",
        )  # fmt: skip
    if files == 0:
        return Check(
            "Chỉ mục văn bản", WARN, "chỉ mục chưa có văn bản nào",
            "Chạy `troly ingest` (mặc định lập chỉ mục thư mục corpus/).",
        )  # fmt: skip
    passages = len(json.loads((settings.index_dir / "passages.json").read_text(encoding="utf-8")))
    return Check("Chỉ mục văn bản", OK, f"{files} tệp, {passages} đoạn, khớp mô hình đang cấu hình")


def check_chroma(settings: Settings) -> Check:
    if not settings.chroma_url:
        return Check("", OK, "")
    from urllib.parse import urlparse

    import chromadb

    u = urlparse(settings.chroma_url)
    try:
        client = chromadb.HttpClient(
            host=u.hostname or "localhost",
            port=u.port or (443 if u.scheme == "https" else 8000),
            ssl=u.scheme == "https",
            settings=chromadb.Settings(anonymized_telemetry=False),
        )
        client.heartbeat()
    except Exception as exc:
        return Check(
            "Máy chủ Chroma", ERROR, f"không kết nối được {settings.chroma_url}: {exc}",
            "Khởi động máy chủ (`chroma run --path /var/lib/troly/chroma --port 8000`) hoặc sửa TROLY_CHROMA_URL.",
        )  # fmt: skip
    missing, total = _vectors_on_server(settings)
    if missing:
        return Check(
            "Máy chủ Chroma", ERROR,
            f"{settings.chroma_url} đang chạy nhưng thiếu vectơ của {missing}/{total} đoạn của chỉ mục "
            "(máy chủ mới, bị xoá hoặc khôi phục từ bản cũ): tìm theo nghĩa bỏ sót các đoạn này",
            "Chạy `troly ingest` (chỉ bổ sung vectơ còn thiếu), rồi khởi động lại bot.",
        )  # fmt: skip
    held = f", có đủ vectơ của {total} đoạn" if total else ""
    return Check("Máy chủ Chroma", OK, f"{settings.chroma_url} đang chạy{held}")


def _vectors_on_server(settings: Settings) -> tuple[int, int]:
    """(passages of the index whose vector the server lacks, passages of the index); (0, 0) when there is
    no index yet (the index check says so)."""
    if not (settings.index_dir / "manifest.json").is_file():
        return 0, 0
    from retrieval.store import Store

    try:
        store = Store(settings.index_dir, settings.chroma_url)
        if not store.passages or not store.manifest.get("collection"):
            return 0, 0
        return len(store.missing_vectors()), len(store.passages)
    except Exception:  # a damaged index: the index check reports it
        return 0, 0


def check_tesseract(settings: Settings) -> Check:
    exe = shutil.which("tesseract")
    fix = "Cài Tesseract và gói tiếng Việt: `sudo apt install tesseract-ocr tesseract-ocr-vie`."
    if exe is None:
        return Check("Tesseract (OCR)", WARN, "chưa cài: văn bản PDF dạng ảnh quét sẽ không đọc được", fix)
    try:
        langs = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Check("Tesseract (OCR)", WARN, f"không chạy được {exe}: {exc}", fix)
    if "vie" not in (langs.stdout + langs.stderr).split():
        return Check("Tesseract (OCR)", WARN, "đã cài nhưng thiếu dữ liệu tiếng Việt (vie)", fix)
    return Check("Tesseract (OCR)", OK, f"{exe}, có tiếng Việt")


def check_disk(settings: Settings) -> Check:
    folder = settings.home
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    gib = free / 1024**3
    fix = (
        f"Giải phóng dung lượng trên ổ chứa {folder} (xoá bản sao lưu cũ, nhật ký cũ) hoặc chuyển TROLY_HOME."
    )
    if free < DISK_ERROR_BYTES:
        return Check("Dung lượng đĩa", ERROR, f"chỉ còn {gib:.1f} GB trống tại {probe}", fix)
    if free < DISK_WARN_BYTES:
        return Check("Dung lượng đĩa", WARN, f"còn {gib:.1f} GB trống tại {probe}", fix)
    return Check("Dung lượng đĩa", OK, f"còn {gib:.0f} GB trống tại {probe}")


def home_note(settings: Settings) -> str:
    """One line naming the data folder being checked (printed first)."""
    return f"Thư mục dữ liệu: {Path(settings.home).resolve()}"
