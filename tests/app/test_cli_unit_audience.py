"""`troly ask|search --unit NAME`: ask as an official of a unit (the unit and the units above it from the
roster when the database holds it, else the name alone); without it, the public; `troly documents` lists
every document with its `pham_vi`. In-process through the real `troly` app (one model load)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.audience import audience_of_units
from tests.bot.task_bot_fixtures import prepare_home
from tests.retrieval.test_document_scope import LIMITED, PUBLIC_DOC
from troly.cli import app

pytestmark = pytest.mark.slow

UNIT = "Sở Khoa học và Công nghệ"
DIVISION = "Phòng Chuyển đổi số - Sở Khoa học và Công nghệ"  # under UNIT in the example roster
FIGURE = "4.700"
QUESTION = "mức trần kinh phí máy chủ dự phòng là bao nhiêu"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("unit_corpus")
    (folder / "kh-45-stc.md").write_text(
        LIMITED.replace("pham_vi: [Sở Tài chính]", f"pham_vi: [{UNIT}]"), encoding="utf-8"
    )
    (folder / "kh-12-ubnd.md").write_text(PUBLIC_DOC, encoding="utf-8")
    return folder


def troly(home: Path, corpus: Path, *args: str) -> str:
    result = CliRunner().invoke(
        app, list(args), env={"TROLY_HOME": str(home), "TROLY_CORPUS": str(corpus), "TROLY_LLM": ""}
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def test_ask_and_search_answer_for_the_public_unless_a_unit_is_given(tmp_path: Path, corpus: Path):
    rostered = tmp_path / "with-roster"
    prepare_home(rostered)[1].dispose()  # the example roster: DIVISION sits under UNIT
    bare = tmp_path / "no-roster"

    public = json.loads(troly(rostered, corpus, "ask", QUESTION, "--json"))
    assert FIGURE not in public["answer"]
    assert all(c["source"] != "kh-45-stc.md" for c in public["citations"])

    # the division's official reads its department's documents (the roster gives the units above)
    below = json.loads(troly(rostered, corpus, "ask", QUESTION, "--unit", DIVISION, "--json"))
    assert FIGURE in below["answer"] and below["citations"][0]["source"] == "kh-45-stc.md"
    # without a roster the name stands alone: the division is not the department
    alone = json.loads(troly(bare, corpus, "ask", QUESTION, "--unit", DIVISION, "--json"))
    assert FIGURE not in alone["answer"]
    assert not list(bare.rglob("*.db"))  # asking never creates a database
    named = json.loads(troly(bare, corpus, "ask", QUESTION, "--unit", "Sở Nội vụ", "--unit", UNIT, "--json"))
    assert FIGURE in named["answer"]

    hits = json.loads(troly(rostered, corpus, "search", QUESTION, "--json"))["results"]
    assert {h["source"] for h in hits} == {"kh-12-ubnd.md"}
    hits = json.loads(troly(rostered, corpus, "search", QUESTION, "--unit", DIVISION, "--json"))["results"]
    assert hits[0]["source"] == "kh-45-stc.md"
    text = troly(rostered, corpus, "search", QUESTION, "--unit", "so noi vu")
    assert "45/KH-STC" not in text

    # a unit the roster does not hold is an error naming it (never a silent public answer); abbreviations
    # are read as `tasks list --unit` reads them
    wrong = CliRunner().invoke(
        app,
        ["ask", QUESTION, "--unit", "Sở Không Có"],
        env={"TROLY_HOME": str(rostered), "TROLY_CORPUS": str(corpus), "TROLY_LLM": ""},
    )
    assert wrong.exit_code != 0 and "Sở Không Có" in wrong.output
    short = json.loads(troly(rostered, corpus, "ask", QUESTION, "--unit", "Sở KH&CN", "--json"))
    assert FIGURE in short["answer"]

    documents = json.loads(troly(rostered, corpus, "documents", "--json"))["documents"]
    assert {d["source"]: d["pham_vi"] for d in documents} == {"kh-45-stc.md": [UNIT], "kh-12-ubnd.md": []}
    assert f"chỉ cho: {UNIT}" in troly(rostered, corpus, "documents")


def test_audience_of_units_without_a_roster_is_the_names():
    audience = audience_of_units(None, ["Sở Tài chính", "  so tai  chinh "])
    assert audience.may_read(("Sở Tài chính",)) and not audience.may_read(("Sở Nội vụ",))
    assert not audience_of_units(None, []).may_read(("Sở Tài chính",))
