"""One way for tests to wait: until a condition holds, with a deadline (never a fixed sleep).

A loaded 2-core CI machine makes every fixed delay wrong sooner or later; a condition with a deadline only
fails when the thing really did not happen.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
_never = threading.Event()  # never set: waiting on it is a pause between two looks at the condition


def wait_until(condition: Callable[[], T], timeout: float, what: str, interval: float = 0.05) -> T:
    """Return the first truthy `condition()`; AssertionError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        _never.wait(interval)
