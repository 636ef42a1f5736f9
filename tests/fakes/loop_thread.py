"""An asyncio server of a test fake on its own thread: started (or its start error raised), stopped, joined.

Shared by the fake Telegram server and the round-robin proxy, whose servers are aiohttp apps."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable


def start_loop_thread(
    serve: Callable[[], Awaitable[None]], shutdown: Callable[[], Awaitable[None]], name: str
) -> tuple[asyncio.AbstractEventLoop, threading.Thread]:
    """Run `serve()` on a new loop in a daemon thread, keep the loop running until it is stopped, then
    `shutdown()`. Returns once `serve()` is done (≤ 10 s); an exception of `serve()` is raised here."""
    ready = threading.Event()
    errors: list[BaseException] = []
    holder: list[asyncio.AbstractEventLoop] = []

    def run() -> None:
        loop = asyncio.new_event_loop()
        holder.append(loop)
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(serve())
        except BaseException as exc:
            errors.append(exc)
            ready.set()
            return
        ready.set()
        loop.run_forever()
        loop.run_until_complete(shutdown())
        loop.close()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    ready.wait(10)
    if errors:
        raise errors[0]
    return holder[0], thread
