"""The colloquial ↔ administrative lexicon: every entry parses, folds and expands; matching rules."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retrieval.lexicon import Lexicon, default_lexicon, parse_lexicon
from retrieval.textnorm import fold

LEX = default_lexicon()


def test_the_shipped_lexicon_is_large_and_reviewed_pairs():
    assert len(LEX.entries) >= 300
    pairs = {(fold(e.everyday), fold(e.administrative)) for e in LEX.entries}
    assert len(pairs) == len(LEX.entries)  # no duplicate lines
    for must in [
        ("con nit", "tre em"),
        ("nha thuong", "benh vien"),
        ("nha bang", "ngan hang"),
        ("bu lai", "ho tro lai suat"),
        ("so sach", "ke toan"),
        ("cho khong", "mien phi"),
        ("lam an", "kinh doanh"),
        ("tien loi", "loi nhuan"),
    ]:
        assert must in pairs


@pytest.mark.parametrize("entry", LEX.entries, ids=lambda e: e.everyday)
def test_every_entry_folds_and_expands(entry):
    assert fold(entry.everyday) != fold(entry.administrative)  # an entry that changes nothing is noise
    for typed in (entry.everyday, fold(entry.everyday), entry.everyday.upper()):
        question = f"Cho hỏi {typed} thế nào?"
        assert entry.administrative in LEX.expansions(question) or any(
            # a longer entry starting the same way may win (longest match first)
            m.entry.everyday != entry.everyday and fold(entry.everyday) in fold(m.entry.everyday)
            for m in LEX.matches(question)
        ), typed
        rewritten = LEX.rewrite(question)
        assert rewritten.startswith("Cho hỏi ") and rewritten.endswith(" thế nào?")


def test_accented_words_must_match_exactly_unaccented_ones_match_folded():
    lex = Lexicon(parse_lexicon("nhà băng = ngân hàng\nlàm ăn = kinh doanh"))
    assert lex.expansions("nha bang o dau") == ["ngân hàng"]
    assert lex.expansions("nhà băng ở đâu") == ["ngân hàng"]
    assert lex.expansions("nhà bằng ở đâu") == []  # a different word, typed with its accents
    assert lex.rewrite("Dân làm ăn, vay nhà băng được không?") == "Dân kinh doanh, vay ngân hàng được không?"
    assert lex.expand("vay nha bang") == "vay nha bang ngân hàng"


def test_bad_lines_are_reported_with_their_number():
    with pytest.raises(ValueError, match="line 2"):
        parse_lexicon("# comment\nno equals sign here")


@given(st.text(alphabet="abcdđeêghiklmnoôơpqrstuưvxyàáảãạ ,.?", max_size=60))
def test_rewrite_never_loses_text_that_matches_nothing(text):
    if not LEX.matches(text):
        assert LEX.rewrite(text) == text
    assert LEX.expand(text).startswith(text)
