"""The tests' round-robin proxy (tests/fakes/round_robin_proxy.py, nginx's ``upstream`` in the scale-out
test): requests alternate between backends, body and secret header reach them, status and body come back,
a backend that is down is skipped."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.chroma_server import free_port
from tests.fakes.round_robin_proxy import RoundRobinProxy

SECRET = "bi-mat-chung"


class Backend:
    """A webhook stand-in: 200 with its name for the right secret, 403 otherwise; records the bodies."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.bodies: list[dict] = []
        backend = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                ok = self.headers.get("X-Telegram-Bot-Api-Secret-Token") == SECRET
                if ok:
                    backend.bodies.append(json.loads(body))
                self.send_response(200 if ok else 403)
                self.end_headers()
                self.wfile.write(backend.name.encode() if ok else b"forbidden")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def backends() -> Iterator[list[Backend]]:
    found = [Backend("a"), Backend("b")]
    yield found
    for b in found:
        b.close()


def post(url: str, update_id: int, secret: str = SECRET) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url, data=json.dumps({"update_id": update_id}).encode(), method="POST",
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_requests_alternate_and_status_and_body_are_relayed(backends: list[Backend]) -> None:
    a, b = backends
    with RoundRobinProxy([a.url, b.url]) as proxy:
        answers = [post(f"{proxy.base_url}/telegram", i) for i in range(1, 7)]
        assert [body for _status, body in answers] == [b"a", b"b"] * 3
        assert [u["update_id"] for u in a.bodies] == [1, 3, 5] and [u["update_id"] for u in b.bodies] == [
            2,
            4,
            6,
        ]
        assert post(f"{proxy.base_url}/telegram", 7, secret="sai") == (403, b"forbidden")
        assert proxy.counts == {a.url: 4, b.url: 3}
        assert proxy.backend_of(2) == b.url and proxy.backend_of(7) is None  # refused: not accepted


def test_a_backend_that_is_down_is_skipped(backends: list[Backend]) -> None:
    a, _ = backends
    down = f"http://127.0.0.1:{free_port()}"  # nobody listens there
    with RoundRobinProxy([a.url, down]) as proxy:
        assert [post(f"{proxy.base_url}/telegram", i)[1] for i in range(1, 5)] == [b"a"] * 4
        assert proxy.refused[down] == 2 and proxy.counts == {a.url: 4}
    with RoundRobinProxy([down]) as proxy:
        assert post(f"{proxy.base_url}/telegram", 9)[0] == 502
