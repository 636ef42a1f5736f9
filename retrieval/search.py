"""Hybrid search: dense (Chroma) + lexical (BM25) fused by reciprocal rank, with a document-reference boost
and removal of near-duplicate passages.

When a query names a document ("NQ 57", "KL 221-KL/TW"), passages of that document rank first; the same
happens for the documents of a follow-up question's context.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import numpy as np

from retrieval.diacritics import AccentRestorer
from retrieval.docrefs import DocRef, document_keys, find_refs, ref_matches
from retrieval.embeddings import Embedder
from retrieval.evidence import CorpusStats
from retrieval.lexicon import default_lexicon
from retrieval.scope import PUBLIC, Audience
from retrieval.sentences import SentenceVectors
from retrieval.store import Store
from retrieval.textnorm import fold, has_diacritics
from retrieval.types import Passage, SearchHit

RRF_K = 60
# Lexical evidence counts more than dense: syllable bigrams behave like Vietnamese words and the small
# multilingual model often ranks the right passage a few places down (weights tuned on evals/dev_*.jsonl).
DENSE_WEIGHT = 0.7
LEXICAL_WEIGHT = 1.0
CANDIDATES = 40
DEDUP_JACCARD = 0.8
REF_BOOST = 1.0  # larger than any fused RRF score, so named documents come first


MENTION_BOOST = 0.3  # passages that cite a named document the corpus does not hold come next


@dataclass
class QueryPlan:
    query: str
    refs: list[DocRef]  # the documents the query (or its context) names
    ref_sources: list[str]  # source files of those documents in the index
    unknown_refs: list[DocRef]  # named documents that are not in the index
    from_context: bool = False
    mentions: set[str] = field(default_factory=set)  # passages citing an unknown named document
    # the question's vector and the stored vectors of the passages' candidate sentences (retrieval.sentences),
    # so the composer can choose quotes by meaning without another forward pass
    query_vector: np.ndarray | None = None
    sentence_vectors: SentenceVectors | None = None


def _doc_keys_by_source(store: Store) -> dict[str, set[str]]:
    """Reference keys per source file: its own number(s), and the documents its title says it is about
    (TB 659 "về thực hiện Nghị quyết 66-NQ/TW" is found when a question names NQ 66)."""
    keys: dict[str, set[str]] = {}
    for p in store.passages.values():
        if p.doc.source not in keys:
            about = tuple(r.full for r in find_refs(p.doc.title) if r.full)
            keys[p.doc.source] = document_keys(p.doc.doc_number, p.doc.doc_type, (*p.doc.refers_to, *about))
    return keys


def _mention_keys(store: Store) -> dict[str, set[str]]:
    """Reference keys of the documents each passage cites in its text ("theo Quy định 66-QĐ/TW…")."""
    out: dict[str, set[str]] = {}
    for p in store.passages.values():
        keys: set[str] = set()
        for ref in find_refs(p.text):
            keys.add(ref.key())
            keys.add(f"?:{ref.number}")
            if ref.full:
                keys.add(f"full:{ref.full}")
        if keys:
            out[p.id] = keys
    return out


class HybridSearcher:
    def __init__(self, store: Store, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder
        self._derived: dict[str, tuple[int, object]] = {}

    def _cached(self, name: str, build):
        """A structure derived from the passages, rebuilt only when the store has changed."""
        hit = self._derived.get(name)
        if hit is None or hit[0] != self.store.version:
            hit = (self.store.version, build())
            self._derived[name] = hit
        return hit[1]

    def _keys(self) -> dict[str, set[str]]:
        return self._cached("keys", lambda: _doc_keys_by_source(self.store))

    def stats(self) -> CorpusStats:
        return self._cached(
            "stats", lambda: CorpusStats([p.indexed_text for p in self.store.passages.values()])
        )

    def restorer(self) -> AccentRestorer:
        return self._cached(
            "accents", lambda: AccentRestorer([p.indexed_text for p in self.store.passages.values()])
        )

    def dense_text(self, query: str) -> str:
        """What the embedding model sees: the query with accents restored when typed without them, and its
        everyday phrases replaced by the documents' words ("con nít" → "trẻ em", see `retrieval.lexicon`)."""
        lexicon = default_lexicon()
        found = lexicon.matches(query)
        text = query if has_diacritics(query) else self.restorer().restore(query)
        return lexicon.rewrite(text, found) if found else text

    def lexical_text(self, query: str) -> str:
        """What BM25 sees: the query followed by the documents' words for its everyday phrases."""
        return default_lexicon().expand(query)

    def plan(
        self,
        query: str,
        context_docs: Sequence[str] = (),
        allowed: Collection[str] | None = None,
        context_sources: Sequence[str] = (),
    ) -> QueryPlan:
        """The documents the query names, resolved among the sources in `allowed` (None = all): a limited
        document named by someone who may not read it is, for them, a document the corpus does not hold.
        A query that names none takes the previous answer's documents (`context_docs`, numbers) or, for a
        report without a number, its files (`context_sources`) as a follow-up's context."""
        refs = find_refs(query)
        from_context = False
        if not refs and context_docs:
            refs = [r for d in context_docs for r in find_refs(d)]
            from_context = True
        if not refs and context_sources:
            known = {p.doc.source for p in self.store.passages.values()}
            files = [s for s in context_sources if s in known and (allowed is None or s in allowed)]
            if files:
                return QueryPlan(query, [], files, [], True, set())
        keys = self._keys()
        if allowed is not None:
            keys = {s: k for s, k in keys.items() if s in allowed}
        sources: list[str] = []
        unknown: list[DocRef] = []
        for ref in refs:
            matched = [s for s, k in keys.items() if ref_matches(ref, k)]
            if ref.full and matched:
                # "Nghị quyết 71/NQ-CP" is not "71-NQ/TW": a full number must agree with the issuer's suffix
                wanted = _alnum(ref.full)
                matched = [
                    s for s in matched if any(_alnum(k[5:]) == wanted for k in keys[s] if k[:5] == "full:")
                ]
            if matched:
                sources.extend(s for s in matched if s not in sources)
            else:
                unknown.append(ref)
        mentions: set[str] = set()
        if unknown:
            by_passage = self._cached("mentions", lambda: _mention_keys(self.store))
            mentions = {
                pid
                for pid, k in by_passage.items()
                if any(ref_matches(r, k) for r in unknown)
                and (allowed is None or self.store.passages[pid].doc.source in allowed)
            }
        return QueryPlan(query, refs, sources, unknown, from_context, mentions)

    def search(
        self,
        query: str,
        k: int = 5,
        *,
        context_docs: Sequence[str] = (),
        context_sources: Sequence[str] = (),
        audience: Audience = PUBLIC,
    ) -> tuple[list[SearchHit], QueryPlan]:
        """The top `k` passages for `query` among the documents `audience` may read (see retrieval.scope:
        the filter is applied to the candidates of both halves, before fusion). `context_docs`: document
        numbers, `context_sources`: source files of the previous answer (a follow-up's context)."""
        allowed_list = self.store.allowed_sources(audience)
        allowed = None if allowed_list is None else set(allowed_list)
        plan = self.plan(query, context_docs, allowed, context_sources)
        if not self.store.passages or allowed == set():
            return [], plan
        qvec = self.embedder.embed_queries([self.dense_text(query)])[0]
        plan.query_vector = qvec
        plan.sentence_vectors = self.store.sentences

        dense: dict[str, float] = {}
        dense_rank: dict[str, int] = {}
        for rank, (pid, sim) in enumerate(self.store.dense_query(qvec, CANDIDATES, sources=allowed_list)):
            dense[pid] = sim
            dense_rank[pid] = rank
        if plan.ref_sources:
            within = self.store.dense_query(qvec, CANDIDATES, sources=plan.ref_sources)
            for rank, (pid, sim) in enumerate(within):
                dense[pid] = sim
                dense_rank[pid] = min(dense_rank.get(pid, rank), rank)

        lex_scores = (
            self.store.lexical.scores(self.lexical_text(query)) if self.store.lexical else np.zeros(0)
        )
        lexical: dict[str, float] = {}
        lex_rank: dict[str, int] = {}
        if lex_scores.size:
            ids = self.store.lexical.ids
            order = np.argsort(-lex_scores)
            if allowed is not None:
                order = [i for i in order if self.store.passages[ids[i]].doc.source in allowed]
            top = [i for i in order[:CANDIDATES] if lex_scores[i] > 0]
            if plan.ref_sources:
                wanted = set(plan.ref_sources)
                within = [
                    i for i in order if lex_scores[i] > 0 and self.store.passages[ids[i]].doc.source in wanted
                ]
                top += [i for i in within[:CANDIDATES] if i not in top]
            for i in top:
                lexical[ids[i]] = float(lex_scores[i])
            for rank, i in enumerate(sorted(top, key=lambda j: -lex_scores[j])):
                lex_rank[ids[i]] = rank

        ref_set = set(plan.ref_sources)
        asked = {r.number for r in plan.refs}
        fused: dict[str, float] = {}
        for pid in set(dense_rank) | set(lex_rank):
            score = 0.0
            if pid in dense_rank:
                score += DENSE_WEIGHT / (RRF_K + dense_rank[pid] + 1)
            if pid in lex_rank:
                score += LEXICAL_WEIGHT / (RRF_K + lex_rank[pid] + 1)
            if self.store.passages[pid].doc.source in ref_set:
                foreign = _under_other_document(self.store.passages[pid], asked)
                score += REF_BOOST * (FOREIGN_SECTION if foreign else 1.0)
            # a passage citing the named document the index lacks ("theo Kế hoạch 263/KH-UBND"), also inside a
            # named one it carries out ("Kế hoạch 263 triển khai NQ 68" → an article on NQ 68 quoting it)
            if pid in plan.mentions:
                score += MENTION_BOOST
            fused[pid] = score

        # ties are common in rank fusion (rank 1 + rank 3 = rank 3 + rank 1): the closer meaning first, then the
        # passage id, so the same question gets the same passages in every process (set order is not stable)
        ordered = sorted(fused, key=lambda p: (-fused[p], -dense.get(p, 0.0), p))
        if ref_set:
            ordered = _strong_prior(
                ordered, fused, lambda pid: self.store.passages[pid].doc.source in ref_set
            )
        hits: list[SearchHit] = []
        kept_shingles: list[set[str]] = []
        for pid in ordered:
            passage = self.store.passages[pid]
            sh = _shingles(passage)
            if any(_jaccard(sh, other) >= DEDUP_JACCARD for other in kept_shingles):
                continue
            kept_shingles.append(sh)
            hits.append(
                SearchHit(
                    passage=passage,
                    score=round(fused[pid], 6),
                    rank=len(hits) + 1,
                    dense=round(dense.get(pid, 0.0), 4),  # 0 when only BM25 found it
                    lexical=round(lexical.get(pid, 0.0), 4),
                )
            )
            if len(hits) >= k:
                break
        return hits, plan


_WORD = re.compile(r"\w+")


OUTSIDE_SLOTS = 1  # passages outside the named documents that may join the top when they match best
OUTSIDE_RATIO = 1.0


def _strong_prior(ordered: list[str], fused: dict[str, float], named) -> list[str]:
    """A named document is a strong prior, not a wall: its passages come first, except that up to
    `OUTSIDE_SLOTS` other passages that match the question at least about as well (fused score without the
    boost ≥ `OUTSIDE_RATIO` × the best named passage's) take rank 3 — the provincial article reporting
    how Kết luận 221 is carried out still answers "ai chỉ đạo triển khai KL 221?"."""
    inside = [p for p in ordered if named(p)]
    if not inside:
        return ordered
    best_inside = fused[inside[0]] - REF_BOOST
    outside = [p for p in ordered if not named(p) and fused[p] >= OUTSIDE_RATIO * best_inside][:OUTSIDE_SLOTS]
    if not outside:
        return ordered
    rest = [p for p in ordered if p not in outside]
    return rest[:2] + outside + rest[2:]


FOREIGN_SECTION = 0.5  # share of the boost for a named article's passage under another document's heading


def _under_other_document(p: Passage, asked: set[str]) -> bool:
    """True for a passage of an article about several documents whose nearest heading naming documents names
    only others: under "(2) Nghị quyết 70-NQ/TW" of an article on NQ 70, 71 and 72, a question on NQ 72 is
    not answered (the article's title, the first heading, does not count)."""
    if not asked or len(p.doc.refers_to) < 2:
        return False
    for heading in reversed(p.section.split(" › ")[1:]):
        named = {r.number for r in find_refs(heading)}
        if named:
            return not (named & asked)
    return False


def _alnum(number: str) -> str:
    """A document number without punctuation or case ("57-NQ/TW" = "57/nq-tw")."""
    return "".join(ch for ch in fold(number) if ch.isalnum())


def _shingles(p: Passage, n: int = 3) -> set[str]:
    words = _WORD.findall(fold(p.text))
    if len(words) < n:
        return {" ".join(words)}
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def _jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)
