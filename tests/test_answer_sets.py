"""The answer-level evaluation sets (evals/answers_test.jsonl, evals/answers_dev.jsonl) stay valid.

Runs evals/check_answer_sets.py on the shipped files (every expected string is in its cited document, every
kind meets its minimum, no question leaks between the splits) and shows on tiny fixtures that the checker
really catches each kind of mistake.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("check_answer_sets", ROOT / "evals" / "check_answer_sets.py")
checker = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(checker)


def test_shipped_splits_pass_every_check():
    errors, counts = checker.check(ROOT)
    assert errors == []
    test, dev = counts["answers_test.jsonl"], counts["answers_dev.jsonl"]
    for kind, minimum in checker.MIN_TEST.items():
        assert test[kind] >= minimum, kind
    for kind, minimum in checker.MIN_DEV.items():
        assert dev[kind] >= minimum, kind


def test_the_questions_officials_try_first_are_in_the_test_split():
    lines = [json.loads(x) for x in (ROOT / "evals" / "answers_test.jsonl").read_text("utf-8").splitlines()]
    questions = {x["question"] for x in lines}
    for q in (
        "Nguyên tắc 6 rõ là gì?",
        "6 ro gom nhung gi",
        "sáu rõ gồm những gì",
        "Nghị quyết 57 đặt mục tiêu gì đến năm 2030?",
        "NQ 57 có mấy quan điểm chỉ đạo?",
        "NQ 66 ban hành ngày nào?",
        "Kết luận 221-KL/TW do ai ký?",
    ):
        assert q in questions
    follow = [x for x in lines if x.get("history") == ["Nghị quyết 57 đặt mục tiêu gì đến năm 2030?"]]
    assert follow and follow[0]["question"] == "còn mục tiêu đến 2045 thì sao?"


def _write_root(tmp_path: Path, test_lines: list[dict], dev_lines: list[dict]) -> Path:
    (tmp_path / "corpus" / "seeds").mkdir(parents=True)
    (tmp_path / "corpus" / "doc.md").write_text(
        '---\nso_hieu: "1-NQ/TW"\nngay_ban_hanh: "2025-04-30"\n---\n\nMục tiêu  đạt 2% GDP vào năm 2030.\n',
        encoding="utf-8",
    )
    (tmp_path / "evals").mkdir()
    for name, lines in (("answers_test.jsonl", test_lines), ("answers_dev.jsonl", dev_lines)):
        text = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n"
        (tmp_path / "evals" / name).write_text(text, encoding="utf-8")
    return tmp_path


def _errors(tmp_path: Path, line: dict, dev: list[dict] | None = None) -> list[str]:
    root = _write_root(tmp_path, [line], dev or [])
    return [e for e in checker.check(root)[0] if "need at least" not in e]


GOOD = {
    "question": "NQ 1 chi cho nghiên cứu bao nhiêu?",
    "answer_contains": ["ĐẠT 2%  gdp"],
    "kind": "numbers",
}


def test_a_good_line_passes_after_nfc_casefold_and_space_collapsing(tmp_path):
    assert _errors(tmp_path, {**GOOD, "source": "doc.md"}) == []


def test_front_matter_date_counts_in_printed_forms(tmp_path):
    line = {"question": "NQ 1 ngày nào?", "answer_contains": ["30/4/2025", "30/04/2025"], "kind": "metadata"}
    assert _errors(tmp_path, {**line, "source": "doc.md"}) == []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ({**GOOD, "source": "doc.md", "answer_contains": ["đạt 3% GDP"]}, "not found in doc.md"),
        ({**GOOD, "source": "missing.md"}, "is not a file under corpus/"),
        ({**GOOD, "source": "doc.md", "kind": "trivia"}, "unknown kind"),
        ({**GOOD, "source": "doc.md", "extra": 1}, "unknown key"),
        ({**GOOD, "source": "doc.md", "answer_contains": []}, "1-4 strings"),
        ({"question": "NQ 1 do ai ký?", "answer_contains": ["x"], "kind": "near_miss"}, "must not have"),
        ({**GOOD, "source": "doc.md", "kind": "follow_up"}, "follow_up without history"),
        ({**GOOD, "source": "doc.md", "kind": "no_diacritics"}, "not plain ASCII"),
    ],
)
def test_each_mistake_is_reported(tmp_path, line, expected):
    assert any(expected in e for e in _errors(tmp_path, line))


def test_a_test_question_retyped_without_accents_in_dev_is_a_leak(tmp_path):
    dev = [{**GOOD, "source": "doc.md", "question": "nq 1 chi cho nghien cuu bao nhieu"}]
    assert any("repeats" in e for e in _errors(tmp_path, {**GOOD, "source": "doc.md"}, dev))


def test_minimum_counts_are_enforced(tmp_path):
    root = _write_root(tmp_path, [{**GOOD, "source": "doc.md"}], [])
    errors = checker.check(root)[0]
    assert any("answers_test.jsonl: 0 lines of kind everyday, need at least 50" in e for e in errors)
