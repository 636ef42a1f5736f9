"""Answer candidates embedded at ingest, and quotes chosen by meaning."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from retrieval.engine import RetrievalEngine
from retrieval.extractive import select_sentences
from retrieval.sentences import SentenceVectors, candidate_sentences
from troly.compose import build_model
from troly.config import cache_dir

MODEL = {"model_cache": cache_dir(), "build_model": build_model}

DOC = """---
so_hieu: 30/KH-UBND
loai: Kế hoạch
ngay_ban_hanh: 2026-03-02
---
# Kế hoạch chăm sóc sức khỏe học đường năm 2026

Điều 1. Các trường tổ chức khám sức khỏe định kỳ cho học sinh mỗi năm một lần.

Đến năm 2030, tăng chiều cao trung bình của trẻ em và thanh thiếu niên thêm tối thiểu 1,5 cm.

Bếp ăn bán trú được kiểm tra an toàn thực phẩm hằng quý.
"""


def test_vectors_round_trip_and_follow_the_passages(tmp_path: Path):
    store = SentenceVectors(tmp_path)
    store.set("a", np.ones((2, 4), dtype=np.float32))
    store.set("b", np.zeros((0, 0), dtype=np.float32))
    store.save()
    again = SentenceVectors(tmp_path)
    assert again.get("a").shape == (2, 4) and again.get("b").shape[0] == 0
    again.keep_only(["b"])
    assert again.get("a") is None and again.missing(["a", "b"]) == ["a"]


def test_candidates_are_whole_sentences_without_headings_or_questions():
    text = "# TIÊU ĐỀ\nMục tiêu là gì?\nĐến năm 2030, tăng chiều cao trung bình thêm 1,5 cm. Ngắn."
    assert candidate_sentences(text) == ["Đến năm 2030, tăng chiều cao trung bình thêm 1,5 cm."]


def test_ingest_stores_one_vector_per_candidate_and_an_old_index_is_backfilled(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "kh-30.md").write_text(DOC, encoding="utf-8")
    engine = RetrievalEngine(tmp_path / "index", [corpus], **MODEL)
    engine.ingest([corpus])
    store = engine.store
    for pid, passage in store.passages.items():
        assert store.sentences.get(pid).shape[0] == len(candidate_sentences(passage.text))

    # an index written before sentence vectors existed: the first question embeds them once
    (tmp_path / "index" / SentenceVectors.FILE).unlink()
    old = RetrievalEngine(tmp_path / "index", [corpus], **MODEL)
    assert old.store.sentences.missing(old.store.passages)
    old.search("chiều cao học sinh", 3)
    assert not old.store.sentences.missing(old.store.passages)
    assert (tmp_path / "index" / SentenceVectors.FILE).exists()


def test_a_question_in_everyday_words_gets_the_sentence_it_means(tmp_path: Path):
    """Few words are shared with the answer ("con nít … cao lên mấy phân" / "trẻ em … chiều cao … 1,5 cm"):
    the stored sentence vectors put the right sentence first."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "kh-30.md").write_text(DOC, encoding="utf-8")
    engine = RetrievalEngine(tmp_path / "index", [corpus], **MODEL)
    engine.ingest([corpus])
    question = "tụi con nít phải cao lên được mấy phân?"
    hits, plan = engine.search_with_plan(question, 3)
    assert plan.query_vector is not None and plan.sentence_vectors is not None
    picked = select_sentences(question, hits, limit=1, plan=plan)
    assert "1,5 cm" in picked[0][1]
