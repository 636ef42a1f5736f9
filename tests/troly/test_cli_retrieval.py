"""`troly search/ask/eval/ingest` as a user runs them: JSON shapes, exit codes, Vietnamese errors."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.engine_fixtures import ROOT, copy_index_to

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return copy_index_to(tmp_path_factory.mktemp("cli_home"))


def troly(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TROLY_", "OPENAI_"))}
    env.update(TROLY_HOME=str(home), TROLY_CORPUS=str(ROOT / "corpus"))
    proc = subprocess.run(
        [sys.executable, "-m", "troly", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_search_json_shape(home):
    proc = troly(home, "search", "nq 66 quỹ hỗ trợ xây dựng chính sách", "--k", "3", "--json")
    data = json.loads(proc.stdout)
    assert data["query"] == "nq 66 quỹ hỗ trợ xây dựng chính sách"
    assert [r["rank"] for r in data["results"]] == [1, 2, 3]
    first = data["results"][0]
    assert {"rank", "score", "text", "source", "title", "doc_number", "date"} <= set(first)
    assert first["doc_number"] == "66-NQ/TW" and first["date"] == "2025-04-30"


def test_ask_json_shape_and_people_output(home):
    data = json.loads(troly(home, "ask", "Kết luận 221-KL/TW ban hành ngày nào?", "--json").stdout)
    assert set(data) >= {"question", "answer", "citations", "grounded"}
    assert data["grounded"] is True and data["mode"] == "extractive"
    assert {"source", "title", "doc_number", "date", "quote"} <= set(data["citations"][0])
    text = troly(home, "ask", "Kết luận 221-KL/TW ban hành ngày nào?").stdout
    assert "Nguồn:" in text and "221-KL/TW" in text


def test_eval_json_shape(home, tmp_path):
    f = tmp_path / "q.jsonl"
    f.write_text(
        '{"question": "Kết luận 221-KL/TW ban hành ngày nào?", "answer_contains": ["28/11/2025"]}\n'
        '{"question": "nghi quyet 57 chi R&D bao nhieu phan tram GDP", "answer_contains": ["2% GDP"]}\n',
        encoding="utf-8",
    )
    data = json.loads(troly(home, "eval", str(f), "--json").stdout)
    assert set(data) == {"n", "hit_at_1", "hit_at_k", "mrr", "k", "p50_ms", "p95_ms"}
    assert data["n"] == 2 and data["k"] == 5 and data["hit_at_k"] == 1.0


def test_ingest_second_run_is_a_no_op(home):
    data = json.loads(troly(home, "ingest", "--json").stdout)
    assert data["added"] == [] and data["updated"] == [] and data["passages_added"] == 0


def test_bad_input_gives_vietnamese_errors_and_non_zero_exit(home, tmp_path):
    empty = troly(home, "ask", "   ", check=False)
    assert empty.returncode != 0 and "Câu hỏi trống" in empty.stderr and "Traceback" not in empty.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{không phải json\n", encoding="utf-8")
    proc = troly(home, "eval", str(bad), check=False)
    assert proc.returncode != 0 and "Dòng 1" in proc.stderr
    missing = troly(home, "ingest", str(tmp_path / "khong-co"), check=False)
    assert missing.returncode != 0 and "Không tìm thấy" in missing.stderr


def test_eval_answers_json_shape(home, tmp_path):
    f = tmp_path / "a.jsonl"
    f.write_text(
        '{"question": "Kết luận 221-KL/TW ban hành ngày nào?", "answer_contains": ["28/11/2025"], '
        '"kind": "metadata"}\n'
        '{"question": "còn mục tiêu đến năm 2045 thì sao?", "history": ["NQ 57 đặt mục tiêu gì đến năm 2030?"], '
        '"answer_contains": ["2045"], "kind": "follow-up"}\n'
        '{"question": "Nghị quyết 999-NQ/TW ban hành ngày nào?", "kind": "near-miss"}\n'
        '{"question": "chưa duyệt", "needs_review": true}\n',
        encoding="utf-8",
    )
    data = json.loads(troly(home, "eval", str(f), "--answers", "--json").stdout)
    keys = {"n", "answer_has_fact", "grounded", "refused_unanswerable", "p50_ms", "p95_ms"}
    assert set(data) == keys | {"by_kind"}
    assert data["n"] == 3  # the needs_review line is skipped
    assert data["answer_has_fact"] == 1.0 and data["grounded"] == 1.0 and data["refused_unanswerable"] == 1.0
    assert set(data["by_kind"]) == {"metadata", "follow-up", "near-miss"}
    assert all(set(v) == keys for v in data["by_kind"].values())
    # a figure over an empty group is null
    assert data["by_kind"]["near-miss"]["answer_has_fact"] is None
    assert data["by_kind"]["metadata"]["refused_unanswerable"] is None


def test_ask_after_earlier_question_keeps_the_document(home):
    data = json.loads(
        troly(
            home,
            "ask",
            "còn mục tiêu đến năm 2045 thì sao?",
            "--after",
            "NQ 57 đặt mục tiêu gì đến năm 2030?",
            "--json",
        ).stdout
    )
    assert data["grounded"] is True
    assert {c["doc_number"] for c in data["citations"]} == {"57-NQ/TW"}
