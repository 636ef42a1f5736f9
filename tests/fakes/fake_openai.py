"""A fake OpenAI-compatible server for tests and benchmarks: real HTTP on 127.0.0.1, scripted replies.

    with FakeOpenAI() as srv:                     # srv.base_url == "http://127.0.0.1:PORT/v1"
        srv.script(Reply("Theo … [1]."))          # next reply (FIFO); then the default responder
        srv.script(Reply("…", delay=5))           # a slow reply (to force a client timeout)
        srv.script(Reply(status=500))             # a server error
        srv.responder = lambda req: "…"           # or compute every reply from the request
        srv.requests[-1].system / .user / .passages()

Serves ``POST /v1/chat/completions`` (plain JSON, or server-sent events when ``"stream": true``) and
``GET /v1/models``. Every request is recorded with the time the server spent on it (``server_ms``).
The default reply copies the first sentence of passage 1 and cites it ``[1]``; a request without passages
(follow-up rewriting) gets the question back.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_PASSAGE = re.compile(r'<tai_lieu so="(\d+)"[^>]*>\n(.*?)\n</tai_lieu>', re.DOTALL)
_QUESTION = re.compile(r"<cau_hoi>\n(.*?)\n</cau_hoi>", re.DOTALL)


@dataclass
class Reply:
    content: str = ""
    delay: float = 0.0  # seconds before answering
    status: int = 200
    error: str = "fake server error"


@dataclass
class Recorded:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    received: float = field(default_factory=time.monotonic)
    server_ms: float = 0.0  # time spent by the server on this request (including any scripted delay)
    reply: str | None = None

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages") or [])

    def _content(self, role: str) -> str:
        for m in self.messages:
            if m.get("role") == role:
                c = m.get("content")
                return c if isinstance(c, str) else json.dumps(c, ensure_ascii=False)
        return ""

    @property
    def system(self) -> str:
        return self._content("system")

    @property
    def user(self) -> str:
        return self._content("user")

    def passages(self) -> dict[int, str]:
        """Numbered passages given to the model: number → fenced body."""
        return {int(n): body for n, body in _PASSAGE.findall(self.user)}

    def question(self) -> str:
        m = _QUESTION.search(self.user)
        return m.group(1) if m else ""


def passage_sentence(body: str, min_words: int = 6) -> str:
    """The first real sentence (≥ ``min_words`` words) of a passage's text, after its title/section lines."""
    lines = [ln for ln in body.split("\n") if ln.strip() and not ln.startswith(("Tiêu đề:", "Mục:"))]
    text = " ".join(lines)
    sentences = [s.strip() for s in re.split(r"(?<=[.;!?])\s+", text) if s.strip()]
    for s in sentences:
        if len(s.split()) >= min_words:
            return s if len(s) <= 400 else s[:400].rsplit(" ", 1)[0]
    return text[:400]


def default_reply(req: Recorded) -> str:
    passages = req.passages()
    if passages:
        return f"{passage_sentence(passages[min(passages)])} [1]"
    return req.question() or "?"


class FakeOpenAI:
    def __init__(
        self, responder: Callable[[Recorded], str | Reply] | None = None, model: str = "fake"
    ) -> None:
        self.responder = responder or default_reply
        self.model = model
        self.requests: list[Recorded] = []
        self._script: deque[Reply | Callable[[Recorded], str | Reply]] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control ---------------------------------------------------------------------------------------
    def script(self, *replies: Reply | str | Callable[[Recorded], str | Reply]) -> None:
        with self._lock:
            for r in replies:
                self._script.append(Reply(r) if isinstance(r, str) else r)

    def reset(self) -> None:
        with self._lock:
            self._script.clear()
            self.requests.clear()
        self.responder = default_reply

    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> FakeOpenAI:
        owner = self

        class Handler(_Handler):
            fake = owner

        self._stop.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-openai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # wakes delayed replies
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- serving ---------------------------------------------------------------------------------------
    def _next_reply(self, req: Recorded) -> Reply:
        with self._lock:
            item = self._script.popleft() if self._script else self.responder
        if callable(item) and not isinstance(item, Reply):
            item = item(req)
        return Reply(item) if isinstance(item, str) else item


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOpenAI
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
    disable_nagle_algorithm = True  # headers and body leave at once: no 40 ms delayed-ACK stalls
    wbufsize = 1 << 16  # flushed after each request by BaseHTTPRequestHandler

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._send(200, {"object": "list", "data": [{"id": self.fake.model, "object": "model"}]})
        else:
            self._send(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        t0 = time.perf_counter()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._send(400, {"error": {"message": "invalid JSON"}})
            return
        req = Recorded(self.path, body, {k.lower(): v for k, v in self.headers.items()})
        with self.fake._lock:
            self.fake.requests.append(req)
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send(404, {"error": {"message": "not found"}})
            return
        reply = self.fake._next_reply(req)
        if reply.delay and self.fake._stop.wait(reply.delay):
            return
        req.reply = reply.content
        try:
            if reply.status != 200:
                self._send(reply.status, {"error": {"message": reply.error, "type": "server_error"}})
            elif body.get("stream"):
                self._stream(body, reply.content)
            else:
                self._send(200, _completion(body, reply.content))
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            pass
        finally:
            req.server_ms = (time.perf_counter() - t0) * 1000

    def _stream(self, body: dict[str, Any], content: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time())}
        base["model"] = body.get("model", "fake")
        words = re.findall(r"\S+\s*", content) or [""]
        for i, w in enumerate(words):
            delta = {"role": "assistant", "content": w} if i == 0 else {"content": w}
            chunk = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
            self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
            self.wfile.flush()
        end = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())
        self.wfile.flush()
        self.close_connection = True


def _completion(body: dict[str, Any], content: str) -> dict[str, Any]:
    prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in body.get("messages") or [])
    completion_tokens = len(content.split())
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }
