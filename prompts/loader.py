"""The Vietnamese prompt templates (``prompts/*.md``) as LangChain ``ChatPromptTemplate``s.

The prompt text lives only in the ``.md`` files next to this module (package data, read through
``importlib.resources``); an operator may point ``TROLY_PROMPTS_DIR`` at a folder holding edited copies.
A file may start with HTML comments (``<!-- ... -->``) documenting it: they are stripped and never reach the model.
Templates use ``{variable}`` placeholders (``{{`` and ``}}`` for literal braces).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from langchain_core.prompts import ChatPromptTemplate

SYSTEM = "system"
ANSWER = "answer"
REWRITE = "rewrite"

# The variables each template must use (a file missing one is rejected when loaded, not at the first question).
REQUIRED_VARIABLES: dict[str, frozenset[str]] = {
    SYSTEM: frozenset({"not_found_marker"}),
    ANSWER: frozenset({"passages", "n_passages", "question", "not_found_marker"}),
    REWRITE: frozenset({"history", "context_docs", "question"}),
}

_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


class PromptError(ValueError):
    """A prompt file that is missing or does not use its variables."""


def read_prompt_text(name: str, directory: str | Path | None = None) -> str:
    """The text of ``prompts/<name>.md`` (or ``<directory>/<name>.md``) without its HTML comments."""
    filename = f"{name}.md"
    try:
        if directory:
            raw = Path(directory, filename).read_text(encoding="utf-8")
        else:
            raw = resources.files("prompts").joinpath(filename).read_text(encoding="utf-8")
    except (FileNotFoundError, OSError) as exc:
        raise PromptError(f"Không đọc được tệp lời nhắc {filename}: {exc}") from exc
    return _COMMENT.sub("", raw).strip() + "\n"


def _check(name: str, template: ChatPromptTemplate, expected: frozenset[str]) -> None:
    used = set(template.input_variables)
    missing = expected - used
    unknown = used - expected
    if missing or unknown:
        raise PromptError(
            f"Tệp lời nhắc {name}.md: thiếu biến {sorted(missing)}, biến lạ {sorted(unknown)} "
            f"(cần đúng các biến {sorted(expected)})."
        )


@dataclass(frozen=True)
class Prompts:
    answer: ChatPromptTemplate  # system.md (system message) + answer.md (user message)
    rewrite: ChatPromptTemplate  # rewrite.md (user message)


def load_prompts(directory: str | Path | None = None) -> Prompts:
    """Load and validate the templates; raises ``PromptError`` on a missing file or a wrong variable set."""
    return _load(str(directory) if directory else None)


@lru_cache(maxsize=8)
def _load(directory: str | None) -> Prompts:
    texts = {name: read_prompt_text(name, directory) for name in (SYSTEM, ANSWER, REWRITE)}
    for name, text in texts.items():
        _check(name, ChatPromptTemplate.from_messages([("human", text)]), REQUIRED_VARIABLES[name])
    answer = ChatPromptTemplate.from_messages([("system", texts[SYSTEM]), ("human", texts[ANSWER])])
    rewrite = ChatPromptTemplate.from_messages([("human", texts[REWRITE])])
    return Prompts(answer=answer, rewrite=rewrite)


def answer_prompt(directory: str | Path | None = None) -> ChatPromptTemplate:
    return load_prompts(directory).answer


def rewrite_prompt(directory: str | Path | None = None) -> ChatPromptTemplate:
    return load_prompts(directory).rewrite
