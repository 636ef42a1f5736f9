"""The document-reference parser over a table of the forms officials type."""

import pytest

from retrieval.docrefs import DocRef, document_keys, find_refs, parse_full_number, ref_matches

CASES = [
    ("57-NQ/TW là gì", [("57", "NQ")]),
    ("NQ 57 đặt mục tiêu gì", [("57", "NQ")]),
    ("nq57", [("57", "NQ")]),
    ("Nghị quyết số 57", [("57", "NQ")]),
    ("nghi quyet 57 noi gi", [("57", "NQ")]),
    ("KL 221", [("221", "KL")]),
    ("Kết luận 221-KL/TW", [("221", "KL")]),
    ("TB 659", [("659", "TB")]),
    ("thông báo 624", [("624", "TB")]),
    ("thong bao so 627", [("627", "TB")]),
    ("CV 6225", [("6225", "CV")]),
    ("công văn 6225/BVHTTDL-VP", [("6225", None)]),
    ("198/2025/QH15", [("198", "NQ")]),
    ("22498/UBND-THĐT", [("22498", None)]),
    ("Chỉ thị 26/CT-TTg", [("26", "CT")]),
    ("NQ68 và KL221", [("68", "NQ"), ("221", "KL")]),
    ("ngày 22/12/2024", []),
    ("kế hoạch năm 2026", []),
    ("kế hoạch 2026", []),
    ("tỷ lệ 57% dân số", []),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_find_refs(text, expected):
    assert [(r.number, r.kind) for r in find_refs(text)] == expected


@pytest.mark.parametrize(
    ("query", "number", "doc_type", "matches"),
    [
        ("NQ 57", "57-NQ/TW", "Nghị quyết", True),
        ("nghi quyet 198", "198/2025/QH15", "Nghị quyết", True),
        ("CV 6225", "6225/BVHTTDL-VP", "Công văn", True),
        ("TB 624", "624/TB-VPCP", "Thông báo", True),
        ("KL 57", "57-NQ/TW", "Nghị quyết", False),
        ("NQ 68", "68-NQ/TW", "Bài viết", True),
        ("NQ 66", "57-NQ/TW", "Nghị quyết", False),
    ],
)
def test_ref_matches_document(query, number, doc_type, matches):
    (ref,) = find_refs(query)
    assert ref_matches(ref, document_keys(number, doc_type)) is matches


def test_display_names():
    assert DocRef("18", "NQ").display() == "Nghị quyết 18"
    # the Party numbers its regulations "66-QĐ/TW": a Quy định; a Quyết định is numbered "15/QĐ-UBND"
    assert parse_full_number("66-QĐ/TW").display() == "Quy định 66-QĐ/TW"
    assert parse_full_number("15/QĐ-UBND").display() == "Quyết định 15/QĐ-UBND"
