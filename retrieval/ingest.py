"""Incremental ingest: hash each file, re-embed only what changed, drop what disappeared.

A corrupt file is reported by name and skipped; the rest of the corpus is still indexed. Running the same
ingest twice does nothing the second time.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from retrieval.chunking import CHUNKER_VERSION, chunk_document
from retrieval.embeddings import Embedder
from retrieval.loaders import (
    SKIPPED_NAMES,
    SUPPORTED_SUFFIXES,
    LoadedDocument,
    LoadError,
    load,
    sidecar_path,
)
from retrieval.sentences import embed_candidates
from retrieval.store import Store
from retrieval.types import Passage


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (source, Vietnamese message)
    warnings: list[str] = field(default_factory=list)  # Vietnamese, e.g. two files with the same content
    ocr_pages: dict[str, list[int]] = field(default_factory=dict)  # source → 1-based pages read by OCR
    passages_added: int = 0
    vectors_restored: int = 0  # passages already indexed whose vector Chroma lacked (a new or emptied server)
    total_passages: int = 0
    seconds: float = 0.0
    rebuilt: bool = False

    def to_json(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": len(self.unchanged),
            "errors": [{"source": s, "message": m} for s, m in self.errors],
            "warnings": self.warnings,
            "ocr_pages": self.ocr_pages,
            "passages_added": self.passages_added,
            "vectors_restored": self.vectors_restored,
            "total_passages": self.total_passages,
            "seconds": round(self.seconds, 2),
            "rebuilt": self.rebuilt,
        }


@dataclass(frozen=True)
class _Found:
    path: Path
    source: str
    root: Path


def discover(paths: Sequence[Path]) -> tuple[list[_Found], list[tuple[str, str]]]:
    """Files to index under the given paths; a missing path or an unsupported named file is an error."""
    found: list[_Found] = []
    errors: list[tuple[str, str]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            root = path.resolve()
            for f in sorted(root.rglob("*")):
                rel = f.relative_to(root)
                if not f.is_file() or any(part.startswith(".") for part in rel.parts):
                    continue
                if f.name.lower() in SKIPPED_NAMES or f.suffix.lower() not in SUPPORTED_SUFFIXES:
                    continue
                found.append(_Found(f, rel.as_posix(), root))
        elif path.is_file():
            f = path.resolve()
            if f.suffix.lower() not in SUPPORTED_SUFFIXES:
                errors.append(
                    (
                        path.name,
                        f"Tệp {path.name}: định dạng {f.suffix or '(không có đuôi)'} chưa được hỗ trợ.",
                    )
                )
                continue
            found.append(_Found(f, f.name, f.parent))
        else:
            errors.append((str(path), f"Không tìm thấy tệp hoặc thư mục: {path}"))
    return found, errors


def _sha256(path: Path) -> str:
    """The file's content hash; its sidecar (``<name>.meta.yaml``: scope, number…) counts too, so changing
    who may read a document re-indexes it."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    side = sidecar_path(path)
    if side.is_file():
        h.update(b"\0sidecar\0" + side.read_bytes())
    return h.hexdigest()


def _passages_for(path: Path, source: str, digest: str) -> tuple[LoadedDocument, list[Passage]]:
    doc = load(path, source)
    chunks = chunk_document(doc.body)
    out = []
    for c in chunks:
        pid = hashlib.sha1(f"{source}\0{digest}\0{c.position}".encode()).hexdigest()[:20]
        out.append(
            Passage(
                id=pid,
                text=c.text,
                section=c.section,
                doc=doc.meta,
                position=c.position,
                section_ref=c.section_ref,
                labels=c.labels,
            )
        )
    return doc, out


def ingest(
    store: Store,
    embedder: Embedder,
    paths: Sequence[Path],
    *,
    progress: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    started = time.perf_counter()
    report = IngestReport()
    m = store.manifest
    if m.get("model_id") != embedder.model_id or m.get("chunker") != CHUNKER_VERSION or "collection" not in m:
        report.rebuilt = bool(m.get("files"))
        store.reset(embedder.model_id, CHUNKER_VERSION)
    files: dict[str, dict] = store.manifest["files"]

    found, errors = discover(paths)
    report.errors.extend(errors)
    roots = {f.root for f in found} | {Path(p).resolve() for p in paths if Path(p).is_dir()}
    seen_keys: set[str] = set()
    moved = False
    todo: list[tuple[_Found, str, str]] = []  # (file, key, digest)
    digests = {f.source: _sha256(f.path) for f in found}
    keepers = _keepers(found, digests, files)
    # Files are keyed by their source name (path relative to the corpus root), so a moved checkout or a copied
    # index is still recognised; the absolute path is kept to notice deletions.
    for f in found:
        key = f.source
        digest = digests[key]
        kept = keepers[digest]
        if kept != key:
            # the same content twice would be indexed (and cited) twice: only one copy is kept; when the kept
            # file disappears, the copy is indexed on the next ingest
            report.warnings.append(
                f"Tệp {f.source} có nội dung giống hệt tệp {kept}: văn bản bị trùng, đã giữ {kept} và bỏ qua "
                f"{f.source} (không lập chỉ mục bản trùng)."
            )
            continue
        seen_keys.add(key)
        entry = files.get(key)
        if entry and entry.get("sha256") == digest:
            if entry.get("path") != str(f.path):
                entry["path"] = str(f.path)
                moved = True
            report.unchanged.append(f.source)
            continue
        todo.append((f, key, digest))

    # files that were under an ingested root (or anywhere) and are gone now
    for key in list(files):
        p = Path(files[key].get("path", key))
        if key not in seen_keys and (not p.exists() or any(_is_under(p, r) for r in roots)):
            store.remove(files[key].get("passages", []))
            store.drop_document(files[key].get("source", key))
            report.removed.append(files[key].get("source", p.name))
            del files[key]

    bar = _progress_bar(len(todo)) if progress and todo else None
    try:
        for i, (f, key, digest) in enumerate(todo):
            try:
                doc, passages = _passages_for(f.path, f.source, digest)
            except LoadError as exc:
                report.errors.append((f.source, str(exc)))
                continue
            if doc.ocr_pages:
                report.ocr_pages[f.source] = list(doc.ocr_pages)
            vectors = embedder.embed_passages([p.indexed_text for p in passages])
            old = files.get(key)
            if old:
                store.remove(old.get("passages", []))
                report.updated.append(f.source)
            else:
                report.added.append(f.source)
            store.add(passages, vectors)
            for pid, svec in embed_candidates(embedder, passages).items():
                store.sentences.set(pid, svec)
            store.set_document(f.source, doc.fields, doc.body, doc.ocr_pages)
            files[key] = {
                "source": f.source,
                "path": str(f.path),
                "sha256": digest,
                "passages": [p.id for p in passages],
            }
            report.passages_added += len(passages)
            if bar:
                bar[0].update(bar[1], advance=1, description=f.source[:40])
            if on_progress:
                on_progress(i + 1, len(todo))
    finally:
        if bar:
            bar[0].stop()
    report.vectors_restored = _restore_vectors(store, embedder)
    if todo or report.removed or report.rebuilt:
        store.rebuild_lexical()
        store.save()
    elif moved:
        store.save()
    report.total_passages = len(store.passages)
    report.seconds = time.perf_counter() - started
    return report


def _restore_vectors(store: Store, embedder: Embedder, batch: int = 256) -> int:
    """Embed again the indexed passages whose vector Chroma does not hold; how many.

    The passage table lives in TROLY_HOME, the vectors in Chroma: pointing TROLY_CHROMA_URL at a new server
    (or one emptied, or restored from an older copy) leaves every file "unchanged" while the server has no
    vector, and dense search would silently find nothing. The files' hashes cannot tell; the collection can.
    """
    missing = store.missing_vectors()
    if not missing:
        return 0
    # moving from the embedded Chroma to a server: the vectors already made on this machine are copied
    copied = store.embedded_vectors(missing)
    if copied:
        part = [store.passages[pid] for pid in missing if pid in copied]
        store.add(part, np.stack([copied[p.id] for p in part]))
    rest = [pid for pid in missing if pid not in copied]
    for start in range(0, len(rest), batch):
        part = [store.passages[pid] for pid in rest[start : start + batch]]
        store.add(part, embedder.embed_passages([p.indexed_text for p in part]))
    return len(missing)


def _keepers(found: list[_Found], digests: dict[str, str], files: dict[str, dict]) -> dict[str, str]:
    """For each content digest, the one file indexed: the one already indexed with that content, else the
    one with the shortest name (then the first by name)."""
    out: dict[str, str] = {}
    # a copy usually has the longer name ("a (1).md", "a-ban-sao.md"): shortest name first, then by name
    for f in sorted(found, key=lambda f: (len(f.source), f.source)):
        d = digests[f.source]
        entry = files.get(f.source)
        if entry and entry.get("sha256") == d and (d not in out or not _indexed(files, out[d], d)):
            out[d] = f.source
        out.setdefault(d, f.source)
    return out


def _indexed(files: dict[str, dict], source: str, digest: str) -> bool:
    entry = files.get(source)
    return bool(entry and entry.get("sha256") == digest)


def _is_under(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def _progress_bar(total: int):
    if not sys.stderr.isatty():
        return None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    prog = Progress(
        TextColumn("Lập chỉ mục"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=Console(stderr=True),
        transient=True,
    )
    prog.start()
    task = prog.add_task("", total=total)
    return prog, task
