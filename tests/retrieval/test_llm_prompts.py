"""The prompt files: they load as LangChain templates, use exactly their variables, and render."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest
from langchain_core.prompts import ChatPromptTemplate

from prompts.loader import REQUIRED_VARIABLES, PromptError, load_prompts, read_prompt_text
from retrieval.llm import NOT_FOUND_MARKER, format_history, format_passages
from retrieval.types import DocumentMeta, Passage

NAMES = ("system", "answer", "rewrite")


def _passages() -> list[Passage]:
    doc = DocumentMeta(
        source="nq-57.md",
        title="Về đột phá phát triển khoa học, công nghệ",
        doc_number="57-NQ/TW",
        doc_type="Nghị quyết",
        date="2024-12-22",
    )
    return [
        Passage(
            "a",
            "Đến năm 2030, quy mô kinh tế số đạt tối thiểu 30% GDP {không phải biến}.",
            "II. Mục tiêu",
            doc,
        ),
        Passage("b", "Chi cho R&D đạt 2% GDP.", "II. Mục tiêu", doc, section_ref="II.1"),
    ]


@pytest.mark.parametrize("name", NAMES)
def test_prompt_files_ship_in_the_package_and_are_vietnamese(name):
    path = resources.files("prompts").joinpath(f"{name}.md")
    assert path.is_file()
    text = read_prompt_text(name)
    assert "<!--" not in text  # documentation comments never reach the model
    assert re.search(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", text)


def test_templates_use_exactly_their_variables():
    p = load_prompts()
    assert isinstance(p.answer, ChatPromptTemplate) and isinstance(p.rewrite, ChatPromptTemplate)
    assert set(p.answer.input_variables) == REQUIRED_VARIABLES["system"] | REQUIRED_VARIABLES["answer"]
    assert set(p.rewrite.input_variables) == REQUIRED_VARIABLES["rewrite"]
    assert [m.__class__.__name__ for m in p.answer.messages] == [
        "SystemMessagePromptTemplate",
        "HumanMessagePromptTemplate",
    ]


def test_answer_prompt_renders_numbered_fenced_passages_and_the_question():
    passages = _passages()
    msgs = load_prompts().answer.format_messages(
        passages=format_passages(passages),
        n_passages=len(passages),
        question="Mục tiêu {2030}?",
        not_found_marker=NOT_FOUND_MARKER,
    )
    system, user = msgs
    assert system.type == "system" and user.type == "human"
    assert NOT_FOUND_MARKER in system.content and NOT_FOUND_MARKER in user.content
    assert "[1]" in system.content and "dữ liệu" in system.content.lower()
    assert "bỏ qua hướng dẫn trên" in system.content  # the rule against planted instructions
    assert '<tai_lieu so="1" nguon="Nghị quyết 57-NQ/TW ngày 22/12/2024">' in user.content
    assert '<tai_lieu so="2" nguon="Nghị quyết 57-NQ/TW ngày 22/12/2024, mục II.1">' in user.content
    assert "{không phải biến}" in user.content  # braces in passages are data, not template fields
    assert "<cau_hoi>\nMục tiêu {2030}?\n</cau_hoi>" in user.content
    assert "2 đoạn tài liệu" in user.content
    assert not re.search(r"\{[a-z_]+\}", system.content + user.content)  # every variable was filled


def test_rewrite_prompt_renders_history_and_context():
    (msg,) = load_prompts().rewrite.format_messages(
        history=format_history([("NQ 57 đặt mục tiêu gì?", "Kinh tế số đạt 30% GDP [1].")]),
        context_docs="57-NQ/TW",
        question="Còn R&D thì sao?",
    )
    assert msg.type == "human"
    assert (
        "<hoi_thoai>\nCán bộ: NQ 57 đặt mục tiêu gì?\nTrợ lý: Kinh tế số đạt 30% GDP [1].\n</hoi_thoai>"
        in msg.content
    )
    assert "57-NQ/TW" in msg.content and "<cau_hoi>\nCòn R&D thì sao?\n</cau_hoi>" in msg.content
    assert not re.search(r"\{[a-z_]+\}", msg.content)


def test_a_prompts_dir_overrides_and_is_validated(tmp_path: Path):
    for name in NAMES:
        (tmp_path / f"{name}.md").write_text(read_prompt_text(name), encoding="utf-8")
    (tmp_path / "system.md").write_text(
        "<!-- chú thích {x} -->Hệ thống tùy chỉnh. {not_found_marker}\n", "utf-8"
    )
    p = load_prompts(tmp_path)
    system = p.answer.format_messages(passages="", n_passages=0, question="q", not_found_marker="KHONG")[0]
    assert system.content == "Hệ thống tùy chỉnh. KHONG\n"

    bad = tmp_path / "bad"
    bad.mkdir()
    for name in NAMES:
        (bad / f"{name}.md").write_text(read_prompt_text(name), encoding="utf-8")
    (bad / "answer.md").write_text("Chỉ có {question} và {bien_la}.", encoding="utf-8")
    with pytest.raises(PromptError, match=r"answer\.md"):
        load_prompts(bad)
    with pytest.raises(PromptError, match=r"system\.md"):
        load_prompts(tmp_path / "khong-co")
