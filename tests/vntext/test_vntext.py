"""The shared Vietnamese text cleaner: invisible characters gone, look-alike letters mapped, nothing else changed."""

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from vntext import LOOKALIKES, clean, clean_line


def test_eth_lookalike_becomes_d_with_stroke():
    assert clean("Ðến năm 2030, Nghị quyết 57") == "Đến năm 2030, Nghị quyết 57"
    assert clean("ðồng chí") == "đồng chí"


def test_zero_width_and_soft_hyphen_are_removed_and_nbsp_is_a_space():
    assert clean_line("A02\u200b") == "A02"
    assert clean("chuyển\u00adđổi\u00a0số\ufeff") == "chuyểnđổi số"
    assert clean_line("  Sở\u00a0Nội \u202fvụ  ") == "Sở Nội vụ"


def test_document_numbers_and_line_breaks_are_kept():
    assert clean("66-NQ/TW\n198/2025/QH15") == "66-NQ/TW\n198/2025/QH15"


def test_cyrillic_lookalikes_in_a_code_become_latin():
    assert clean_line("\u0410\u041e2") == "AO2"  # Cyrillic А О typed in a code


vietnamese = st.text(
    alphabet=st.sampled_from(
        list(
            "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵĐ 0123456789-/.,\n"
        )
    ),
    max_size=80,
)


@given(vietnamese)
def test_plain_vietnamese_is_unchanged(text):
    assert clean(text) == unicodedata.normalize("NFC", text)


@given(st.text(max_size=80))
def test_clean_is_idempotent_nfc_and_free_of_invisibles(text):
    once = clean(text)
    assert clean(once) == once
    assert unicodedata.is_normalized("NFC", once)
    assert not any(ch in once for ch in "\u200b\u200c\u200d\u2060\ufeff\u00ad")
    assert not any(ch in once for ch in LOOKALIKES)
