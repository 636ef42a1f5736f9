"""bot.render: escaping, the "Nguồn:" list, and splitting under 4096 characters without breaking HTML."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import texts
from bot.render import (
    TELEGRAM_MAX_CHARS,
    citation_label,
    escape,
    render_answer,
    render_passage,
    split_html,
    utf16_len,
    visible_text,
)
from retrieval.types import Answer, Citation, DocumentMeta, Passage
from tests.fakes.fake_telegram import TelegramHTMLError, parse_telegram_html


def _citation(**kw) -> Citation:
    base = dict(
        source="nq-57-NQ-TW-2024-12-22.md",
        title="Về đột phá phát triển khoa học, công nghệ",
        doc_number="57-NQ/TW",
        doc_type="Nghị quyết",
        date="2024-12-22",
        section="II. Mục tiêu › 1. Đến năm 2030",
        quote="Đến năm 2030…",
        passage_id="abc123",
        section_ref="II.1",
    )
    base.update(kw)
    return Citation(**base)


def _nonspace(s: str) -> str:
    return "".join(s.split())


def assert_valid_parts(parts: list[str], limit: int = TELEGRAM_MAX_CHARS) -> None:
    assert parts, "no parts"
    for p in parts:
        assert utf16_len(p) <= limit, utf16_len(p)
        parse_telegram_html(p)  # raises on anything Telegram would reject


def test_escape_handles_the_three_html_specials():
    assert escape('a < b > c & d "e"') == 'a &lt; b &gt; c &amp; d "e"'


def test_answer_has_text_then_sources_with_number_type_date_and_section():
    answer = Answer(question="q", text="Mục tiêu là 30% GDP.", citations=[_citation()], grounded=True)
    (html,) = render_answer(answer)
    text, _ = parse_telegram_html(html)
    assert text.startswith("Mục tiêu là 30% GDP.")
    assert "<b>Nguồn:</b>" in html
    sources = text.split("Nguồn:", 1)[1]
    assert "[1] Nghị quyết 57-NQ/TW ngày 22/12/2024" in sources
    assert "II.1" in sources


def test_citation_label_uses_retrieval_formatter_and_falls_back():
    c = _citation()
    assert citation_label(c) == c.label()

    class Bare:  # no label(): the renderer still names number, type, date, section
        doc_type, doc_number, date, section, title, source = (
            "Kết luận",
            "221-KL/TW",
            "2025-11-28",
            "Mục 2",
            "t",
            "s",
        )

    assert citation_label(Bare()) == "Kết luận 221-KL/TW ngày 28/11/2025, mục Mục 2"


def test_interpolated_text_is_escaped_everywhere():
    nasty = "<script>alert('x')</script> & <b>"
    answer = Answer(
        question=nasty,
        text=f"Câu hỏi: {nasty}",
        citations=[
            _citation(title=nasty, doc_type="Bài viết", doc_number=None, section=nasty, section_ref=nasty)
        ],
    )
    parts = render_answer(answer)
    assert_valid_parts(parts)
    text, _ = parse_telegram_html(parts[0])
    assert nasty in text  # shown literally, not interpreted


def test_answer_without_text_says_nothing_was_found():
    (html,) = render_answer(Answer(question="q", text="   "))
    assert visible_text(html) == texts.NO_ANSWER


def test_long_answer_is_split_at_paragraphs_into_valid_parts():
    paragraphs = [f"Đoạn {i}: " + ("nội dung & <chi tiết> " * 40).strip() for i in range(30)]
    answer = Answer(question="q", text="\n\n".join(paragraphs), citations=[_citation()])
    parts = render_answer(answer)
    assert len(parts) >= 3
    assert_valid_parts(parts)
    # Split at paragraph boundaries: every part starts with a paragraph ("Đoạn N:") or the sources.
    for p in parts:
        assert visible_text(p).startswith(("Đoạn ", "Nguồn:")), visible_text(p)[:30]
    joined = "".join(visible_text(p) for p in parts)
    assert _nonspace(joined) == _nonspace("".join(paragraphs) + "Nguồn:" + f"[1] {_citation().label()}")


def test_split_never_cuts_inside_a_tag_and_reopens_open_tags():
    body = (
        "<b>"
        + " ".join(f"từ{i}" for i in range(2000))
        + '</b> <a href="https://x.vn/?a=1&amp;b=2">liên kết</a>'
    )
    parts = split_html(body, limit=500)
    assert len(parts) > 5
    assert_valid_parts(parts, 500)
    for p in parts[:-1]:
        assert p.startswith("<b>") and p.endswith("</b>")
    assert _nonspace("".join(visible_text(p) for p in parts)) == _nonspace(visible_text(body))


def test_split_hard_cuts_a_word_longer_than_the_limit_between_characters():
    word = "x" * 1000 + "&amp;" + "y" * 1000
    parts = split_html(word, limit=300)
    assert_valid_parts(parts, 300)
    assert "".join(visible_text(p) for p in parts) == "x" * 1000 + "&" + "y" * 1000


def test_split_counts_utf16_units_like_telegram():
    emoji = "😀" * 3000  # 6000 UTF-16 units
    parts = split_html(emoji, limit=TELEGRAM_MAX_CHARS)
    assert len(parts) == 2
    assert all(utf16_len(p) <= TELEGRAM_MAX_CHARS for p in parts)


def test_split_rejects_malformed_input():
    with pytest.raises(ValueError):
        split_html("a < b " * 2000, limit=100)
    with pytest.raises(ValueError):
        split_html("<b>x</i>" + "y " * 2000, limit=100)


def test_render_passage_shows_header_and_full_text():
    doc = DocumentMeta(
        source="s.md", title="Tiêu đề <A&B>", doc_number="57-NQ/TW", doc_type="Nghị quyết", date="2024-12-22"
    )
    p = Passage(id="p1", text="Đoạn một.\n\nĐoạn hai & ba.", section="II. Mục tiêu", doc=doc)
    parts = render_passage(p)
    assert_valid_parts(parts)
    text = "".join(visible_text(x) for x in parts)
    assert "Nguyên văn — Nghị quyết 57-NQ/TW ngày 22/12/2024, mục II. Mục tiêu" in text
    assert "Tiêu đề <A&B>" in text and "Đoạn hai & ba." in text


# --- properties -------------------------------------------------------------------------------------------

_text = st.text(
    alphabet=st.characters(
        codec="utf-8",
        categories=("L", "N", "P", "S", "Zs"),
        include_characters="\n <>&\"'😀",
        exclude_characters="\r",
    ),
    max_size=400,
)
_tags = st.sampled_from(["b", "i", "u", "s", "code", "blockquote", "tg-spoiler"])


@st.composite
def _html_docs(draw) -> str:
    """Random well-formed Telegram HTML: escaped text runs, some wrapped in (nested) tags."""
    chunks = []
    for _ in range(draw(st.integers(1, 12))):
        t = escape(draw(_text))
        depth = draw(st.integers(0, 2))
        for _ in range(depth):
            tag = draw(_tags)
            t = f"<{tag}>{t}</{tag}>"
        chunks.append(t)
        chunks.append(draw(st.sampled_from(["\n\n", "\n", " ", ""])))
    return "".join(chunks)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=_html_docs(), limit=st.integers(min_value=120, max_value=600))
def test_property_split_parts_fit_are_well_formed_and_preserve_content(doc: str, limit: int):
    parts = split_html(doc, limit=limit)
    for p in parts:
        assert utf16_len(p) <= limit
        try:
            parse_telegram_html(p)
        except TelegramHTMLError as exc:  # pragma: no cover - the assertion message is the point
            raise AssertionError(f"part not valid Telegram HTML: {exc}: {p!r}") from exc
    assert _nonspace("".join(visible_text(p) for p in parts)) == _nonspace(visible_text(doc))


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=12000), n_citations=st.integers(0, 4))
def test_property_rendered_answers_are_always_valid(text: str, n_citations: int):
    answer = Answer(question="q", text=text, citations=[_citation(section=text[:50])] * n_citations)
    parts = render_answer(answer)
    assert_valid_parts(parts)
    if text.strip():
        rendered = "".join(visible_text(p) for p in parts)
        assert _nonspace(text.replace("\r", "")) in _nonspace(rendered)
