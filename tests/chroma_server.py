"""A real Chroma server for tests and benchmarks: ``chroma run`` from the installed chromadb package, as
docs/trien-khai.md §8 starts it, on a free loopback port, waited for by its heartbeat."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.polling import wait_until

CHROMA = "import sys; from chromadb.cli.cli import app; sys.argv[0] = 'chroma'; app()"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def heartbeat(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@dataclass
class ChromaServer:
    url: str
    proc: subprocess.Popen
    log_path: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


@contextlib.contextmanager
def chroma_server(folder: Path, timeout: float = 120) -> Iterator[ChromaServer]:
    """``chroma run --path folder/chroma --port <free>``; stopped at the end."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = folder / "chroma.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", CHROMA, "run", "--path", str(folder / "chroma"), "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    server = ChromaServer(url, proc, log_path)
    try:
        wait_until(lambda: heartbeat(url) or proc.poll() is not None, timeout, "the Chroma server")
        assert proc.poll() is None, log_path.read_text()
        yield server
    finally:
        server.stop()
