"""Incremental ingest with the real model on a small corpus the test writes."""

import json
from pathlib import Path

import pytest

from retrieval.engine import RetrievalEngine
from troly.compose import build_model
from troly.config import cache_dir

# The default model under TROLY_CACHE, built on first use like the CLI does.
MODEL = {"model_cache": cache_dir(), "build_model": build_model}

pytestmark = pytest.mark.slow

DOCS = {
    "a.md": '---\nso_hieu: "11-NQ/TW"\nloai: "Nghị quyết"\nngay_ban_hanh: "2025-01-02"\ntieu_de: "Nghị quyết thử A"\n---\n\n## I. Mục tiêu\n\nĐến năm 2030 hoàn thành số hóa hồ sơ cấp xã.\n',
    "b.md": "Số 12-KL/TW\n\nHà Nội, ngày 3 tháng 2 năm 2025\n\n## 1. Kết luận\n\nGiao Sở Nội vụ rà soát biên chế trước ngày 30/6/2025.\n",
    "c.txt": " date 2026-01-05 Xã Hợp Tiến triển khai chuyển đổi số\n\nXã Hợp Tiến đã cấp 500 tài khoản định danh điện tử.\n",
}


@pytest.fixture
def small(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    engine = RetrievalEngine(tmp_path / "home" / "index", [corpus], **MODEL)
    return engine, corpus


def _sources(engine):
    return {p.doc.source for p in engine.store.passages.values()}


def test_second_ingest_does_nothing(small):
    engine, _corpus = small
    first = engine.ingest()
    assert sorted(first.added) == ["a.md", "b.md", "c.txt"] and not first.errors
    second = engine.ingest()
    assert second.added == [] and second.updated == [] and second.removed == []
    assert second.passages_added == 0 and len(second.unchanged) == 3


def test_changed_file_is_the_only_one_reembedded(small):
    engine, corpus = small
    engine.ingest()
    before = {p.id: p for p in engine.store.passages.values()}
    (corpus / "b.md").write_text(
        DOCS["b.md"] + "\nBổ sung: báo cáo kết quả trước ngày 15/7/2025.\n", encoding="utf-8"
    )
    report = engine.ingest()
    assert report.updated == ["b.md"] and report.added == [] and len(report.unchanged) == 2
    after = engine.store.passages
    assert {i for i, p in before.items() if p.doc.source != "b.md"} <= set(after)
    assert any("15/7/2025" in p.text for p in after.values())
    assert not any(i in after for i, p in before.items() if p.doc.source == "b.md")
    assert engine.store.collection().count() == len(after)


def test_deleted_file_chunks_are_gone(small):
    engine, corpus = small
    engine.ingest()
    (corpus / "c.txt").unlink()
    report = engine.ingest()
    assert report.removed == ["c.txt"]
    assert _sources(engine) == {"a.md", "b.md"}
    assert engine.store.collection().count() == len(engine.store.passages)
    assert all(h.passage.doc.source != "c.txt" for h in engine.search("Hợp Tiến tài khoản định danh", k=5))


def test_corrupt_file_is_reported_and_the_rest_indexed(small):
    engine, corpus = small
    (corpus / "hong.docx").write_bytes(b"not a docx")
    report = engine.ingest()
    assert [s for s, _ in report.errors] == ["hong.docx"]
    assert "hong.docx" in report.errors[0][1]
    assert _sources(engine) == {"a.md", "b.md", "c.txt"}


def test_a_different_model_rebuilds_the_index(small):
    engine, corpus = small
    engine.ingest()
    manifest = engine.store.folder / "manifest.json"
    data = json.loads(manifest.read_text())
    data["model_id"] = "another-model-123"
    manifest.write_text(json.dumps(data))
    fresh = RetrievalEngine(engine.index_dir, [corpus], **MODEL)
    report = fresh.ingest()
    assert report.rebuilt and sorted(report.added) == ["a.md", "b.md", "c.txt"]
    assert json.loads(manifest.read_text())["model_id"] == fresh.embedder.model_id


def test_metadata_from_front_matter_text_and_seed_header(small):
    engine, _ = small
    engine.ingest()
    docs = {d["source"]: d for d in engine.documents()}
    assert docs["a.md"]["doc_number"] == "11-NQ/TW" and docs["a.md"]["date"] == "2025-01-02"
    assert docs["b.md"]["doc_number"] == "12-KL/TW" and docs["b.md"]["date"] == "2025-02-03"
    assert docs["c.txt"]["doc_type"] == "Bài viết" and docs["c.txt"]["date"] == "2026-01-05"
