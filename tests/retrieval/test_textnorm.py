"""Normalisation properties: idempotent, NFC = NFD, tone placements equal, folding."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retrieval.textnorm import fold, has_diacritics, normalize, tokens

VIETNAMESE = "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"
vi_text = st.text(alphabet=VIETNAMESE + VIETNAMESE.upper() + " -/0123456789,.qghkt", max_size=60)


@given(vi_text)
def test_normalize_is_idempotent(text):
    assert normalize(normalize(text)) == normalize(text)


@given(vi_text)
def test_nfd_input_equals_nfc_input(text):
    assert normalize(unicodedata.normalize("NFD", text)) == normalize(unicodedata.normalize("NFC", text))
    assert fold(unicodedata.normalize("NFD", text)) == fold(text)


@given(vi_text)
def test_fold_removes_every_diacritic(text):
    folded = fold(text)
    assert folded == fold(folded)
    assert all(ord(ch) < 128 for ch in folded if ch.isalpha())


@given(vi_text)
def test_fold_of_normalized_equals_fold(text):
    assert fold(normalize(text)) == fold(text)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("hoà", "hòa"),
        ("thuỷ", "thủy"),
        ("qúy", "quý"),
        ("khoẻ", "khỏe"),
        ("Uỷ ban", "ủy ban"),
        ("HOÀ BÌNH", "hòa bình"),
        ("hoạ", "họa"),
    ],
)
def test_old_and_new_tone_placement_compare_equal(old, new):
    assert normalize(old) == normalize(new)


@pytest.mark.parametrize("word", ["người", "quốc", "giữa", "gìn", "hoạch", "tuổi", "khuyến", "thuở"])
def test_normalize_keeps_ordinary_words(word):
    assert normalize(word) == word


def test_fold_and_diacritic_detection():
    assert fold("Đổi mới sáng tạo") == "doi moi sang tao"
    assert has_diacritics("nghị quyết") and not has_diacritics("nghi quyet 57")


def test_tokens_keep_document_numbers_whole():
    toks = tokens("Theo Nghị quyết số 57-NQ/TW và 198/2025/QH15, Công văn 22498/UBND-THĐT")
    assert "57-nq/tw" in toks and "198/2025/qh15" in toks and "22498/ubnd-thđt" in toks
    assert "nghị" in toks and "57" in toks


def test_stopwords_go_by_spelling_when_the_question_has_its_accents():
    from retrieval.evidence import is_stopword, topic_words

    # folded, "biệt phái" is "biết phải" and "cán bộ" is "cần bộ"
    assert topic_words("tỉnh Phú Thọ biệt phái bao nhiêu cán bộ về xã?") == [
        "tinh",
        "phu",
        "tho",
        "biet",
        "phai",
        "can",
        "bo",
        "xa",
    ]
    assert "biet" not in topic_words("tinh phu tho biet phai bao nhieu can bo")  # no accents: the stopword
    assert is_stopword("phải", True) and not is_stopword("phái", True) and is_stopword("phai", False)
    assert not is_stopword("đầu", True) and not is_stopword("tư", True) and is_stopword("từ", True)
    # "5G giờ phủ được bao nhiêu % rồi": particles of speech, not words a passage must hold
    assert topic_words("5G giờ phủ được bao nhiêu % rồi") == ["5g", "phu"]
    assert is_stopword("giờ", True) and not is_stopword("gió", True)
    # "bữa nào", "chừng nào" ask when; "bữa ăn trưa", "chung sức" keep their words
    assert topic_words("ngày sức khỏe là bữa nào ta") == ["ngay", "suc", "khoe"]
    assert topic_words("hỗ trợ bữa ăn trưa, chung sức") == ["ho", "tro", "bua", "an", "trua", "chung", "suc"]
