"""Dense search over Chroma is exhaustive for a corpus of a few hundred passages, so the same question gets
the same passages in every process (Chroma rebuilds a small HNSW graph on each start, with threads)."""

from pathlib import Path

import chromadb
import numpy as np

from retrieval.store import SEARCH_EF, Store


def test_a_collection_built_before_the_setting_is_widened_and_finds_the_exact_neighbours(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "index"
    client = chromadb.PersistentClient(
        path=str(folder / "chroma"), settings=chromadb.Settings(anonymized_telemetry=False)
    )
    old = client.get_or_create_collection(
        "passages-old", embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
    )
    assert old.configuration["hnsw"]["ef_search"] < SEARCH_EF  # Chroma's default: approximate
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(300, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    old.add(ids=[f"p{i}" for i in range(300)], embeddings=vectors)
    del client, old

    store = Store(folder)
    store.manifest["collection"] = "passages-old"
    store.passages = {f"p{i}": None for i in range(300)}  # type: ignore[misc]  # only ids are read here
    col = store.collection()
    assert col.configuration["hnsw"]["ef_search"] == SEARCH_EF
    query = rng.normal(size=16).astype(np.float32)
    query /= np.linalg.norm(query)
    exact = [f"p{i}" for i in np.argsort(-(vectors @ query))[:40]]
    found = [pid for pid, _ in store.dense_query(query, 40)]
    assert found == exact  # all forty nearest, in order: nothing approximate at the tail
