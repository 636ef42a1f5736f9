"""Administrators add and remove documents of the corpus from the chat (`/themvanban`, `/xoavanban`).

The clerk of the provincial office receives new documents as files and cannot reach the server: a quản trị
sends the file to the bot, chooses who may read it ("Toàn tỉnh" or some units), and the bot stores it in the
corpus folder the index is built from, writes the scope into the sidecar ``<file>.meta.yaml`` (``pham_vi``,
read by `retrieval.loaders`), re-indexes (`RetrievalEngine.ingest`, incremental: only the new file is
embedded) and bumps the index generation (`tasks.index_generation`) so every other bot process reloads.

Every step re-checks that the sender is an active quản trị (`require_admin`); anybody else gets one
Vietnamese refusal and nothing is stored. A file the loaders refuse (secret-marked — MẬT, TỐI MẬT, TUYỆT MẬT
—, unreadable, empty) is checked BEFORE anything is written, from a private temporary copy.

The functions are synchronous: the bot runs the session ones in its database pool and the engine ones in its
retrieval pool.
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.viewer import Viewer, official_of
from retrieval.doc_cards import build_card
from retrieval.loaders import SUPPORTED_SUFFIXES, LoadError, load, sidecar_path
from retrieval.scope import EVERYONE
from tasks import audit, index_generation
from tasks.models import Official, Unit
from tasks.normalize import Role, Via

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024  # the Bot API's download limit
DOCUMENT_SUFFIXES = frozenset(SUPPORTED_SUFFIXES)
ADMIN_ONLY = (
    "Chỉ quản trị viên mới thêm hoặc xoá văn bản trong kho qua chat. Anh/chị có thể gửi văn bản cho quản "
    "trị viên của đơn vị để đưa vào kho."
)
MAX_NAME_CHARS = 120


class NotAdmin(Exception):
    """The sender is linked but not a quản trị: the message is the one Vietnamese refusal."""

    def __init__(self, message: str = ADMIN_ONLY) -> None:
        super().__init__(message)


class DocumentRefused(Exception):
    """The file cannot go into the corpus (secret-marked, unreadable, too big, a name already used…);
    the message is Vietnamese and says why. Nothing was stored."""


def require_admin(session: Session, viewer: Viewer, refusal: str = ADMIN_ONLY) -> Official:
    """The sender's official when they are an active quản trị; `NotLinked` / `NotAdmin(refusal)` otherwise."""
    official = official_of(session, viewer)
    if official.role != Role.QUAN_TRI or not official.active:
        raise NotAdmin(refusal)
    return official


# --- the file -------------------------------------------------------------------------------------------


def safe_file_name(name: str | None) -> str:
    """A file name safe to store in the corpus folder: no folders, no hidden or odd characters, NFC, ≤ 120
    characters (extension kept). Raises `DocumentRefused` for an unsupported extension."""
    raw = unicodedata.normalize("NFC", Path(name or "").name).strip()
    stem, suffix = Path(raw).stem, Path(raw).suffix.lower()
    if suffix not in DOCUMENT_SUFFIXES:
        shown = suffix or "(không có đuôi)"
        raise DocumentRefused(
            f"Không đưa được tệp “{raw or 'không tên'}” vào kho: định dạng {shown} chưa được hỗ trợ "
            "(nhận .pdf, .docx, .md, .html, .txt)."
        )
    stem = re.sub(r"[^\w\s.()-]", "_", stem).strip(" .") or "van-ban"
    stem = re.sub(r"\s+", " ", stem)[: MAX_NAME_CHARS - len(suffix)]
    if stem.lower().startswith("readme"):
        stem = "van-ban-" + stem
    return stem + suffix


def check_size(size: int | None) -> None:
    """Refuse a file over the Bot API's 20 MB download limit (before downloading it)."""
    if size is not None and size > MAX_DOCUMENT_BYTES:
        raise DocumentRefused(
            f"Tệp lớn {size / 1024 / 1024:.1f} MB, quá giới hạn 20 MB của Telegram cho bot: hãy gửi bản nhỏ hơn "
            "(ví dụ PDF nén) hoặc nhờ người quản lý máy chủ thêm bằng lệnh troly ingest."
        )


@dataclass(frozen=True)
class CheckedDocument:
    """What the loaders read from a file: enough to tell the administrator what they are adding."""

    file_name: str
    doc_number: str | None
    doc_type: str | None
    title: str | None

    @property
    def label(self) -> str:
        name = " ".join(p for p in (self.doc_type, self.doc_number) if p)
        return name or self.title or self.file_name


def check_document(file_name: str, data: bytes) -> CheckedDocument:
    """Read the file as the index would (from a private temporary copy); `DocumentRefused` with the
    loaders' Vietnamese reason when it cannot go into the corpus (MẬT, unreadable, empty)."""
    name = safe_file_name(file_name)
    check_size(len(data))
    with tempfile.TemporaryDirectory(prefix="troly-doc-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            loaded = load(path, name)
        except LoadError as exc:
            raise DocumentRefused(f"Không đưa tệp vào kho. {exc}") from None
    card = build_card(loaded.meta, loaded.fields, loaded.body)  # the type/title the document card will show
    return CheckedDocument(name, card.doc_number, card.doc_type, card.title or None)


# --- who may read it ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitChoice:
    id: int
    name: str
    depth: int


def unit_choices(session: Session) -> list[UnitChoice]:
    """Every unit as a tree (parents first, children indented by `depth`), for "Chỉ đơn vị …"."""
    units = list(session.scalars(select(Unit)))
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    out: list[UnitChoice] = []

    def walk(parent: int | None, depth: int) -> None:
        for unit in sorted(children.get(parent, []), key=lambda u: u.name_folded):
            out.append(UnitChoice(unit.id, unit.name, depth))
            walk(unit.id, depth + 1)

    walk(None, 0)
    return out


def unit_names(session: Session, ids: Sequence[int]) -> list[str]:
    """Names of the units `ids` (unknown ids dropped), in the order given."""
    by_id = {u.id: u.name for u in session.scalars(select(Unit).where(Unit.id.in_(list(ids))))}
    return [by_id[i] for i in ids if i in by_id]


# --- adding ---------------------------------------------------------------------------------------------


@dataclass
class Added:
    """A document stored and indexed: its card (`troly documents --json` shape), passages, scope."""

    source: str
    card: dict[str, Any] | None
    passages: int
    scope: list[str]
    warnings: list[str] = field(default_factory=list)


def corpus_folder(engine: Any) -> Path:
    """The folder documents added in chat go to: the first folder of the engine's default corpus
    (TROLY_CORPUS), created when missing. Indexing that corpus then finds the file under its plain name."""
    for path in getattr(engine, "default_corpus", None) or ():
        path = Path(path)
        if path.is_dir() or not path.exists():
            path.mkdir(parents=True, exist_ok=True)
            return path
    raise DocumentRefused(
        "Máy chủ chưa có thư mục kho văn bản (TROLY_CORPUS) để lưu tệp: nhờ người quản lý máy chủ cấu hình."
    )


def store_and_ingest(engine: Any, file_name: str, data: bytes, scope: Sequence[str]) -> Added:
    """Write the file (and, when `scope` is not empty, its sidecar with ``pham_vi``) into the corpus folder
    and re-index the corpus. Runs in the retrieval pool.

    Refused, storing nothing, when the file would not be indexed (`check_document`) or a file of that name
    is already in the folder (adding it would silently replace another document). When indexing still
    fails for the file, the file and its sidecar are removed again and `DocumentRefused` says why.
    """
    checked = check_document(file_name, data)
    folder = corpus_folder(engine)
    target = folder / checked.file_name
    side = sidecar_path(target)
    if target.exists() or side.exists():
        raise DocumentRefused(
            f"Trong kho đã có tệp tên “{checked.file_name}”: đổi tên tệp rồi gửi lại, hoặc xoá văn bản cũ "
            "bằng /xoavanban trước."
        )
    if scope:
        side.write_text(
            yaml.safe_dump({"pham_vi": list(scope)}, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
    target.write_bytes(data)
    try:
        report = engine.ingest()
    except BaseException:
        _remove_files(target)
        raise
    source = checked.file_name
    failed = [message for src, message in report.errors if src == source]
    if failed or source not in report.added + report.updated:
        _remove_files(target)
        engine.ingest()  # the index must not keep anything of it
        reason = failed[0] if failed else "tệp trùng nội dung với một văn bản đã có trong kho."
        if not failed:
            reason = next((w for w in report.warnings if source in w), reason)
        raise DocumentRefused(f"Không đưa tệp vào kho. {reason}")
    cards = [c for c in engine.document_cards(EVERYONE) if c.get("source") == source]
    card = cards[0] if cards else None
    return Added(source, card, int(card["passages"]) if card else 0, list(scope), list(report.warnings))


def _remove_files(target: Path) -> None:
    target.unlink(missing_ok=True)
    sidecar_path(target).unlink(missing_ok=True)


def record_added(session: Session, viewer: Viewer, added: Added) -> int:
    """Audit the addition (via bot) and bump the index generation; returns the new generation."""
    official = require_admin(session, viewer)
    audit.record(
        session, actor=official.code, via=Via.BOT, entity="document", key=added.source, field="pham_vi",
        old=None, new="; ".join(added.scope) or "Toàn tỉnh", at=viewer.now, note="Thêm văn bản vào kho qua chat",
    )  # fmt: skip
    session.commit()
    return index_generation.bump(session, f"telegram:{viewer.telegram_id}", now=viewer.now)


# --- removing -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Removable:
    """A document `/xoavanban` may remove: its source, card and the file it was read from."""

    source: str
    card: dict[str, Any]
    path: Path


def find_removable(engine: Any, reference: str) -> list[dict[str, Any]]:
    """Cards of the indexed documents `reference` names ("57", "KL 221", "221-KL/TW", or a file name)."""
    reference = " ".join(reference.split())
    cards = engine.find_documents(reference, EVERYONE)
    if not cards:
        cards = [c for c in engine.document_cards(EVERYONE) if c.get("source") == reference]
    return [c for c in cards if c.get("doc_number")] or cards


def removable(engine: Any, source: str) -> Removable:
    """The document `source` when its file lives in a corpus folder of the bot; `DocumentRefused` otherwise
    (a file indexed from elsewhere is removed on the server, not from chat)."""
    cards = [c for c in engine.document_cards(EVERYONE) if c.get("source") == source]
    path = engine.source_path(source)
    if not cards or path is None:
        raise DocumentRefused("Văn bản này không còn trong kho.")
    folders = [Path(p).resolve() for p in getattr(engine, "default_corpus", None) or () if Path(p).is_dir()]
    if not any(path.resolve().is_relative_to(f) for f in folders):
        raise DocumentRefused(
            f"Tệp {source} không nằm trong thư mục kho văn bản của bot: nhờ người quản lý máy chủ xoá."
        )
    return Removable(source, cards[0], path)


def remove_and_reindex(engine: Any, source: str) -> Removable:
    """Delete the document's file and sidecar and re-index; runs in the retrieval pool."""
    found = removable(engine, source)
    _remove_files(found.path)
    engine.ingest()
    return found


def record_removed(session: Session, viewer: Viewer, source: str) -> int:
    """Audit the removal (via bot) and bump the index generation; returns the new generation."""
    official = require_admin(session, viewer)
    audit.record(
        session, actor=official.code, via=Via.BOT, entity="document", key=source, field=None, old=None,
        new=None, at=viewer.now, note="Xoá văn bản khỏi kho qua chat",
    )  # fmt: skip
    session.commit()
    return index_generation.bump(session, f"telegram:{viewer.telegram_id}", now=viewer.now)
