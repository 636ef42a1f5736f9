"""A small round-robin reverse proxy on loopback, standing in for nginx's ``upstream`` in the tests.

Every request to ``http://127.0.0.1:<port>/<path>`` is forwarded (method, path, body and the headers that
matter: ``Content-Type`` and Telegram's ``X-Telegram-Bot-Api-Secret-Token``) to the next backend in turn,
and the backend's status and body are relayed. A backend that refuses the connection is skipped for this
request, as nginx does with ``proxy_next_upstream error`` (the default); only when none answers is the
answer 502. Runs its own event loop in a background thread, so synchronous tests can use it::

    with RoundRobinProxy(["http://127.0.0.1:8443", "http://127.0.0.1:8444"]) as proxy:
        url = f"{proxy.base_url}/telegram"      # what the bots register as their webhook
        ...
        proxy.counts                             # {backend: requests it answered}
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from collections import Counter
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from tests.fakes.loop_thread import start_loop_thread

FORWARDED_HEADERS = ("Content-Type", "X-Telegram-Bot-Api-Secret-Token")


@dataclass
class Forwarded:
    backend: str
    path: str
    status: int
    update_id: int | None = None  # of a Telegram update in the request body
    body: bytes = field(repr=False, default=b"")


def _update_id(body: bytes) -> int | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data.get("update_id") if isinstance(data, dict) else None


class RoundRobinProxy:
    def __init__(self, backends: list[str], host: str = "127.0.0.1") -> None:
        if not backends:
            raise ValueError("at least one backend")
        self.backends = [b.rstrip("/") for b in backends]
        self.host = host
        self.port: int | None = None
        self._next = itertools.cycle(range(len(self.backends)))
        self._lock = threading.Lock()
        self.log: list[Forwarded] = []  # every request answered by a backend, in order
        self.refused: Counter[str] = Counter()  # connections a backend refused (it was down)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def counts(self) -> Counter[str]:
        """Requests each backend answered (whatever the status)."""
        with self._lock:
            return Counter(f.backend for f in self.log)

    def forwarded(self) -> list[Forwarded]:
        with self._lock:
            return list(self.log)

    def backend_of(self, update_id: int) -> str | None:
        """The backend that accepted (200) the update ``update_id``."""
        with self._lock:
            return next((f.backend for f in self.log if f.update_id == update_id and f.status == 200), None)

    # -- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> RoundRobinProxy:
        self._loop, self._thread = start_loop_thread(self._serve, self._shutdown, "round-robin-proxy")
        if self.port is None:
            raise RuntimeError("the proxy did not start")
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop = None
        self._thread = None

    def __enter__(self) -> RoundRobinProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _serve(self) -> None:
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_route("*", "/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
        self.port = sockets[0].getsockname()[1]
        # no pooling limit: like nginx, as many connections to the backends as there are requests
        self._client = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))

    async def _shutdown(self) -> None:
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- forwarding ------------------------------------------------------------------------------------

    def _order(self) -> list[str]:
        """The backends for one request: the next in turn first, then the others (if it refuses)."""
        with self._lock:
            first = next(self._next)
        n = len(self.backends)
        return [self.backends[(first + i) % n] for i in range(n)]

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {h: request.headers[h] for h in FORWARDED_HEADERS if h in request.headers}
        path = request.rel_url.raw_path_qs
        assert self._client is not None
        for backend in self._order():
            try:
                async with self._client.request(
                    request.method, backend + path, data=body, headers=headers,
                    timeout=aiohttp.ClientTimeout(total=60),
                ) as resp:  # fmt: skip
                    answer = await resp.read()
                    status = resp.status
            except aiohttp.ClientConnectorError:
                with self._lock:
                    self.refused[backend] += 1
                continue
            with self._lock:
                self.log.append(Forwarded(backend, path, status, _update_id(body), answer))
            return web.Response(status=status, body=answer)
        return web.Response(status=502, text="Bad Gateway: no backend answered")
