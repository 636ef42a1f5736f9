"""Definition questions answered by the sentence that defines the term (retrieval.definitions)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retrieval.definitions import asked_term, defining_sentence
from retrieval.lexicon import default_lexicon
from retrieval.textnorm import fold
from retrieval.types import DocumentMeta, Passage


def _passage(i: int, text: str, source: str = "nq-198.md") -> Passage:
    doc = DocumentMeta(source=source, title="Nghị quyết", doc_number="198/2025/QH15")
    return Passage(id=f"{source}{i}", text=text, section="Điều 3", doc=doc, position=i)


def test_the_asked_term_however_the_question_is_put():
    assert asked_term("Doanh nghiệp khởi nghiệp sáng tạo là gì vậy?") == "doanh nghiep khoi nghiep sang tao"
    assert asked_term("Theo NQ 198 thì hộ kinh doanh được hiểu thế nào?") == "ho kinh doanh"
    assert asked_term("cho em hỏi chính quyền địa phương 2 cấp là gì ạ") == "chinh quyen dia phuong 2 cap"
    assert asked_term("ho kinh doanh nghia la gi") == "ho kinh doanh"
    assert asked_term("AI là gì?") is None  # one word is too loose to look up by a line's opening
    assert asked_term("Ai ký Nghị quyết 57?") is None


def test_the_defining_line_wins_over_lines_that_only_mention_the_term():
    passages = [
        _passage(0, "Hộ kinh doanh được miễn thuế khoán từ năm 2026."),
        _passage(
            1,
            "Điều 3. Giải thích từ ngữ\n1. Doanh nghiệp nhỏ là …\n2. Hộ kinh doanh là loại hình kinh doanh "
            "do một cá nhân hoặc các thành viên hộ gia đình đăng ký thành lập. Hộ phải đăng ký thuế.",
        ),
    ]
    passage, sentence = defining_sentence("ho kinh doanh", passages)
    assert passage.id.endswith("1")
    assert sentence == (
        "Hộ kinh doanh là loại hình kinh doanh do một cá nhân hoặc các thành viên hộ gia đình đăng ký thành lập."
    )
    assert defining_sentence("quy dau tu mao hiem", passages) is None


_word = st.sampled_from(["doanh", "nghiệp", "hộ", "kinh", "quỹ", "đầu", "tư", "sáng", "tạo", "số"])


@given(words=st.lists(_word, min_size=2, max_size=6), tail=st.sampled_from(["là gì?", "được hiểu thế nào?"]))
def test_any_term_comes_back_folded(words, tail):
    term = " ".join(words)
    # everyday words and abbreviations come back in the documents' words ("doanh số" → "doanh thu")
    assert asked_term(f"{term} {tail}") == fold(default_lexicon().rewrite(term))


@pytest.mark.parametrize(
    ("question", "term"),
    [
        ("DN khởi nghiệp sáng tạo theo NQ 198 hiểu là loại DN nào?", "doanh nghiep khoi nghiep sang tao"),
        ("doanh nghiệp nhỏ và vừa là loại doanh nghiệp nào", "doanh nghiep nho va vua"),
        ("chuyển đổi số là sao", "chuyen doi so"),
        ("hộ kinh doanh trong Nghị quyết 198 nghĩa là gì", "ho kinh doanh"),
    ],
)
def test_everyday_ways_of_asking_what_a_term_means(question, term):
    assert asked_term(question) == term
