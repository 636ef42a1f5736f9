"""`troly doctor` and `troly reset` against a real Chroma server (`chroma run`, as in docs/trien-khai.md)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.chroma_server import chroma_server as running_chroma
from troly.cli import app


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    with running_chroma(tmp_path / "server") as server:
        yield server.url, server.proc


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


@pytest.mark.slow
def test_ingest_fills_a_new_chroma_server_and_doctor_tells_when_it_is_empty(
    chroma_server, tmp_path: Path, monkeypatch
) -> None:
    """An index made with the embedded Chroma, then TROLY_CHROMA_URL set (moving to several processes, as
    docs/trien-khai.md §8 says): every file is "unchanged", yet the server holds no vector. `troly ingest`
    copies the vectors made on this machine; once the server is emptied again and no local copy is left, it
    embeds them again. `troly doctor` says when vectors are missing."""
    import chromadb

    from tests.engine_fixtures import ROOT

    monkeypatch.chdir(tmp_path)
    url, _ = chroma_server
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("tb-659-TB-VPCP-2025.md", "kl-221-KL-TW-2025-11-28.md"):
        (corpus / name).write_text((ROOT / "corpus" / name).read_text(encoding="utf-8"), encoding="utf-8")
    home = tmp_path / "home"
    embedded = {**env_for(home, ""), "TROLY_CORPUS": str(corpus)}
    served = {**embedded, "TROLY_CHROMA_URL": url}
    runner = CliRunner()

    def ingest(env: dict[str, str]) -> dict:
        result = runner.invoke(app, ["ingest", "--json"], env=env)
        assert result.exit_code == 0, result.stdout + result.stderr
        return json.loads(result.stdout)

    def chroma_check() -> dict:
        result = runner.invoke(app, ["doctor", "--json"], env=served)
        return {c["name"]: c for c in json.loads(result.stdout)["checks"]}["Máy chủ Chroma"]

    first = ingest(embedded)
    total = first["total_passages"]
    assert total > 5 and first["vectors_restored"] == 0

    check = chroma_check()
    assert check["status"] == "error" and f"thiếu vectơ của {total}/{total} đoạn" in check["message"]
    assert "troly ingest" in check["fix"]

    moved = ingest(served)  # nothing changed in the files, the server is new: vectors copied over
    assert (moved["added"], moved["updated"], moved["vectors_restored"]) == ([], [], total)
    client = chromadb.HttpClient(
        host="127.0.0.1",
        port=int(url.rsplit(":", 1)[1]),
        settings=chromadb.Settings(anonymized_telemetry=False),
    )
    (collection,) = client.list_collections()
    assert collection.count() == total
    check = chroma_check()
    assert check["status"] == "ok" and f"có đủ vectơ của {total} đoạn" in check["message"]
    assert ingest(served)["vectors_restored"] == 0  # a second run does nothing

    # The server emptied and no embedded copy left: the passages are embedded again.
    client.delete_collection(collection.name)
    shutil.rmtree(home / "index" / "chroma")
    again = ingest(served)
    assert again["vectors_restored"] == total and client.get_collection(collection.name).count() == total

    # Dense search reads the server: the nearest passage of a question is found through it.
    search = runner.invoke(app, ["search", "Kết luận 221 do ai ký", "--json"], env=served)
    assert json.loads(search.stdout)["results"][0]["doc_number"] == "221-KL/TW"
