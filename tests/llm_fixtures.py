"""Fixtures for the LLM tests: one fake OpenAI-compatible server per module, reset before each test."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.fakes.fake_openai import FakeOpenAI


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenAI]:
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    with FakeOpenAI() as srv:
        yield srv


@pytest.fixture
def fake(server: FakeOpenAI) -> FakeOpenAI:
    server.reset()
    return server
