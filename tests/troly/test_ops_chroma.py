"""`troly doctor` and `troly reset` against a real Chroma server (`chroma run`, as in docs/trien-khai.md)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.polling import wait_until
from troly.cli import app

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


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path / "chroma.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-c", CHROMA, "run", "--path", str(tmp_path / "chroma"), "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_until(lambda: heartbeat(url) or proc.poll() is not None, 120, "the Chroma server")
        assert proc.poll() is None, (tmp_path / "chroma.log").read_text()
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def env_for(home: Path, chroma_url: str) -> dict[str, str]:
    return {
        "TROLY_HOME": str(home),
        "TROLY_DATABASE_URL": "",
        "TROLY_CHROMA_URL": chroma_url,
        "TELEGRAM_BOT_TOKEN": "123456789:AAHfake-token-for-tests-0123456789abc",
    }


def test_doctor_sees_the_chroma_server_and_its_absence(chroma_server, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    url, proc = chroma_server
    env = env_for(tmp_path / "home", url)
    result = CliRunner().invoke(app, ["doctor", "--json"], env=env)
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["Máy chủ Chroma"]["status"] == "ok" and url in checks["Máy chủ Chroma"]["message"]

    proc.terminate()
    proc.wait(timeout=30)
    result = CliRunner().invoke(app, ["doctor", "--json"], env=env)
    assert result.exit_code == 1
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["Máy chủ Chroma"]["status"] == "error"
    assert (
        "chroma run" in checks["Máy chủ Chroma"]["fix"]
        and "TROLY_CHROMA_URL" in checks["Máy chủ Chroma"]["fix"]
    )


def test_reset_deletes_the_index_collection_on_the_server(chroma_server, tmp_path: Path, monkeypatch) -> None:
    import chromadb

    monkeypatch.chdir(tmp_path)
    url, _ = chroma_server
    port = int(url.rsplit(":", 1)[1])
    client = chromadb.HttpClient(
        host="127.0.0.1", port=port, settings=chromadb.Settings(anonymized_telemetry=False)
    )
    ours = client.get_or_create_collection("troly_test-model", embedding_function=None)
    ours.add(ids=["p1"], embeddings=[[0.1, 0.2, 0.3]], documents=["Nghị quyết 57-NQ/TW"])
    client.get_or_create_collection("another_app", embedding_function=None)
    home = tmp_path / "home"
    (home / "index").mkdir(parents=True)
    (home / "index" / "manifest.json").write_text(
        json.dumps({"collection": "troly_test-model"}), encoding="utf-8"
    )

    env = env_for(home, url)
    refused = CliRunner().invoke(app, ["reset"], env=env)
    assert refused.exit_code == 1 and "troly_test-model" in refused.stderr
    assert "troly_test-model" in [c.name for c in client.list_collections()]

    result = CliRunner().invoke(app, ["reset", "--yes"], env=env)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "bộ vectơ 'troly_test-model' trên máy chủ Chroma" in result.stdout
    names = [c.name for c in client.list_collections()]
    assert "troly_test-model" not in names and "another_app" in names  # only ours
    assert not (home / "index").exists()
