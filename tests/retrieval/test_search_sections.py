"""Which passages of a named article rank first: not those under another document's heading (no model)."""

from retrieval.search import _under_other_document
from retrieval.types import DocumentMeta, Passage

ARTICLE = DocumentMeta(
    source="bai-viet.md",
    title="Nghị quyết 59 70 71 72 ra sao?",
    doc_number="59-NQ/TW, 70-NQ/TW, 71-NQ/TW, 72-NQ/TW",
    doc_type="Bài viết",
    refers_to=("59-NQ/TW", "70-NQ/TW", "71-NQ/TW", "72-NQ/TW"),
)
RESOLUTION = DocumentMeta(source="nq.md", title="Về y tế", doc_number="72-NQ/TW", doc_type="Nghị quyết")


def _p(doc, section):
    return Passage(id=section, text="- Mục tiêu đến năm 2030", section=section, doc=doc, position=0)


def test_a_passage_under_another_documents_heading_is_not_about_the_asked_one():
    top = "Nghị quyết 59 70 71 72 ra sao? › Mục tiêu được đặt ra tại Nghị quyết 59 70 71 72"
    assert _under_other_document(_p(ARTICLE, f"{top} › (2) Nghị quyết 70-NQ/TW năm 2025"), {"72"})
    assert not _under_other_document(_p(ARTICLE, f"{top} › (4) Nghị quyết 72-NQ/TW năm 2025"), {"72"})
    # the nearest heading naming documents decides; one naming none says nothing
    assert not _under_other_document(_p(ARTICLE, f"{top} › (4) Nghị quyết 72-NQ/TW › Tầm nhìn 2045"), {"72"})
    # an article's own title, or a document about one number only, is never "another document"
    assert not _under_other_document(_p(ARTICLE, "Nghị quyết 70 ra sao?"), {"72"})
    assert not _under_other_document(_p(RESOLUTION, "Về y tế › Nghị quyết 70-NQ/TW"), {"72"})
    assert not _under_other_document(_p(ARTICLE, f"{top} › (2) Nghị quyết 70-NQ/TW năm 2025"), set())
