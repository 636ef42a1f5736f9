"""Documents limited to some units (`pham_vi`): never searched, quoted, listed or shown for anyone else.

A matrix over audiences (the public / a group / an unlinked user, another unit's official, the unit's own
official, an official of a unit below it, an administrator) and over every way retrieval hands out text
(search, answers, clause and metadata routing, "Xem nguyên văn", whole-document passages, listings).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retrieval.engine import RetrievalEngine
from retrieval.scope import EVERYONE, PUBLIC, Audience, parse_scope
from troly.compose import build_model
from troly.config import cache_dir

# The default model under TROLY_CACHE, built on first use like the CLI does.
MODEL = {"model_cache": cache_dir(), "build_model": build_model}

LIMITED = """---
so_hieu: 45/KH-STC
loai: Kế hoạch
co_quan: Sở Tài chính
ngay_ban_hanh: 2026-10-02
tieu_de: Kế hoạch rà soát kinh phí chuyển đổi số nội bộ
pham_vi: [Sở Tài chính]
---
# Kế hoạch rà soát kinh phí chuyển đổi số nội bộ

## I. MỤC ĐÍCH

1. Rà soát toàn bộ kinh phí chuyển đổi số của các phòng thuộc Sở trước ngày 20 tháng 12 năm 2026.

## II. NỘI DUNG

Điều 1. Phòng Ngân sách chủ trì lập bảng tổng hợp kinh phí máy chủ dự phòng với mức trần 4.700 triệu đồng.

Điều 2. Văn phòng Sở bố trí phòng họp trực tuyến cho tổ rà soát kinh phí máy chủ dự phòng.

Điều 3. Giải thích từ ngữ

1. Máy chủ dự phòng là máy chủ bí mật đặt tại kho số 7 để thay máy chính khi có sự cố.
"""

PUBLIC_DOC = """---
so_hieu: 12/KH-UBND
loai: Kế hoạch
co_quan: UBND tỉnh
ngay_ban_hanh: 2026-09-01
tieu_de: Kế hoạch chuyển đổi số năm 2026
---
# Kế hoạch chuyển đổi số năm 2026

Điều 1. Các sở, ngành hoàn thành số hoá hồ sơ thủ tục hành chính trước ngày 31 tháng 12 năm 2026.

Điều 2. Trung tâm dữ liệu tỉnh vận hành hệ thống sao lưu tập trung cho các cơ quan nhà nước.
"""

QUESTION = "mức trần kinh phí máy chủ dự phòng là bao nhiêu"

OUTSIDERS = {
    "public (group, unlinked user)": PUBLIC,
    "another unit's official": Audience.of_units(["Sở Nội vụ", "UBND tỉnh"]),
}
INSIDERS = {
    "the unit's official": Audience.of_units(["Sở Tài chính", "UBND tỉnh"]),
    "an official of a unit below it": Audience.of_units(["Phòng Ngân sách", "so tai chinh", "UBND tỉnh"]),
    "an administrator": EVERYONE,
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> RetrievalEngine:
    root = tmp_path_factory.mktemp("scope")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "kh-45-stc.md").write_text(LIMITED, encoding="utf-8")
    (corpus / "kh-12-ubnd.md").write_text(PUBLIC_DOC, encoding="utf-8")
    engine = RetrievalEngine(root / "index", [corpus], **MODEL)
    engine.ingest([corpus])
    return engine


def _sources(hits) -> set[str]:
    return {h.passage.doc.source for h in hits}


@pytest.mark.parametrize("who", list(OUTSIDERS))
def test_an_outsider_never_gets_the_limited_document(engine: RetrievalEngine, who: str):
    audience = OUTSIDERS[who]
    hits = engine.search(QUESTION, 10, audience=audience)
    assert "kh-45-stc.md" not in _sources(hits)
    assert _sources(hits) <= {"kh-12-ubnd.md"}

    answer = engine.ask(QUESTION, audience=audience)
    assert "4.700" not in answer.text
    assert all(c.source != "kh-45-stc.md" for c in answer.citations)

    # named by number or by clause: for this audience the corpus does not hold it
    for q in ("Kế hoạch 45/KH-STC do ai ban hành?", "Điều 1 Kế hoạch 45/KH-STC quy định gì?"):
        routed = engine.ask(q, audience=audience)
        assert "4.700" not in routed.text and "Sở Tài chính" not in routed.text, q
        assert all(c.source != "kh-45-stc.md" for c in routed.citations), q

    # a definition is looked up outside search: still only among the documents the audience may read
    defined = engine.ask("Máy chủ dự phòng là gì?", audience=audience)
    assert "kho số 7" not in defined.text and all(c.source != "kh-45-stc.md" for c in defined.citations)

    limited_ids = [p.id for p in engine.store.passages.values() if p.doc.source == "kh-45-stc.md"]
    assert limited_ids and all(engine.get_passage(pid, audience) is None for pid in limited_ids)
    assert engine.document_passages("kh-45-stc.md", audience) == []
    assert [c["source"] for c in engine.document_cards(audience)] == ["kh-12-ubnd.md"]
    assert engine.find_documents("45/KH-STC", audience) == []
    assert [d["source"] for d in engine.documents(audience)] == ["kh-12-ubnd.md"]


@pytest.mark.parametrize("who", list(INSIDERS))
def test_an_insider_gets_it_like_any_document(engine: RetrievalEngine, who: str):
    audience = INSIDERS[who]
    hits = engine.search(QUESTION, 3, audience=audience)
    assert hits[0].passage.doc.source == "kh-45-stc.md"
    answer = engine.ask(QUESTION, audience=audience)
    assert answer.grounded and "4.700" in answer.text
    assert any(c.source == "kh-45-stc.md" for c in answer.citations)
    assert engine.get_passage(hits[0].passage.id, audience) is not None
    assert "kho số 7" in engine.ask("Máy chủ dự phòng là gì?", audience=audience).text
    assert {c["source"] for c in engine.document_cards(audience)} == {"kh-12-ubnd.md", "kh-45-stc.md"}


def test_the_card_lists_its_units_and_public_documents_have_none(engine: RetrievalEngine):
    cards = {c["source"]: c for c in engine.document_cards()}
    assert cards["kh-45-stc.md"]["pham_vi"] == ["Sở Tài chính"]
    assert cards["kh-12-ubnd.md"]["pham_vi"] == []


def test_the_dense_half_is_filtered_by_chroma_not_afterwards(engine: RetrievalEngine):
    """The Chroma query itself carries the filter: with it, no limited id comes back at all."""
    store = engine.store
    allowed = store.allowed_sources(PUBLIC)
    assert allowed == ["kh-12-ubnd.md"]
    qvec = engine.embedder.embed_queries([QUESTION])[0]
    ids = [pid for pid, _ in store.dense_query(qvec, 50, sources=allowed)]
    assert ids and all(store.passages[pid].doc.source == "kh-12-ubnd.md" for pid in ids)
    assert store.dense_query(qvec, 50, sources=[]) == []
    assert store.allowed_sources(EVERYONE) is None


def test_a_sidecar_limits_a_file_that_cannot_carry_front_matter(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ghi-chu.txt").write_text(
        "Thông báo nội bộ về lịch trực máy chủ dự phòng của Sở Xây dựng trong dịp Tết Nguyên đán.\n",
        encoding="utf-8",
    )
    (corpus / "ghi-chu.txt.meta.yaml").write_text("pham_vi:\n  - Sở Xây dựng\n", encoding="utf-8")
    engine = RetrievalEngine(tmp_path / "index", [corpus], **MODEL)
    report = engine.ingest([corpus])
    assert report.errors == []
    assert engine.search("lịch trực máy chủ dự phòng dịp Tết", 5) == []
    inside = engine.search(
        "lịch trực máy chủ dự phòng dịp Tết", 5, audience=Audience.of_units(["Sở Xây dựng"])
    )
    assert [h.passage.doc.source for h in inside] == ["ghi-chu.txt"]

    # making it public again re-indexes it (the sidecar counts in the file's hash)
    (corpus / "ghi-chu.txt.meta.yaml").write_text("pham_vi: Toàn tỉnh\n", encoding="utf-8")
    engine.ingest([corpus])
    assert [h.passage.doc.source for h in engine.search("lịch trực máy chủ dự phòng dịp Tết", 5)] == [
        "ghi-chu.txt"
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ()),
        ("", ()),
        ("Toàn tỉnh", ()),
        ("toan tinh", ()),
        (["Sở Tài chính", "UBND xã Tân Lập"], ("Sở Tài chính", "UBND xã Tân Lập")),
        ("Sở Tài chính; Sở Nội vụ", ("Sở Tài chính", "Sở Nội vụ")),
        ("Sở Tài chính, so tai chinh", ("Sở Tài chính",)),
    ],
)
def test_parse_scope(raw, expected):
    assert parse_scope(raw) == expected


@given(st.lists(st.text(min_size=1, max_size=30), max_size=5))
def test_an_audience_reads_every_unlimited_document_and_everyone_reads_all(names):
    scope = parse_scope(names)
    assert Audience.of_units(names).may_read(())
    assert EVERYONE.may_read(scope)
    if scope:
        assert not PUBLIC.may_read(scope)
        assert Audience.of_units(scope).may_read(scope)


def test_a_commune_named_with_or_without_its_peoples_committee_is_one_unit():
    assert Audience.of_units(["UBND xã Hợp Tiến", "UBND tỉnh"]).may_read(parse_scope("xã Hợp Tiến"))
    assert Audience.of_units(["xa hop tien"]).may_read(parse_scope(["Ủy ban nhân dân xã Hợp Tiến"]))
    assert not Audience.of_units(["UBND xã Hợp Thành"]).may_read(parse_scope("xã Hợp Tiến"))
