"""`troly documents [--json]`, `ask --json` with clauses, and the ingest report's warnings, as a user runs them."""

import json
import shutil

import pytest

from tests.engine_fixtures import ROOT, copy_index_to
from tests.troly.test_cli_retrieval import troly

pytestmark = pytest.mark.slow

KEYS = {
    "doc_number",
    "doc_type",
    "issuer",
    "date",
    "title",
    "signer",
    "signer_capacity",
    "source",
    "passages",
    "pham_vi",
}


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return copy_index_to(tmp_path_factory.mktemp("cli_docs_home"))


def test_documents_json_shape(home):
    data = json.loads(troly(home, "documents", "--json").stdout)
    docs = {d["source"]: d for d in data["documents"]}
    assert all(set(d) == KEYS for d in docs.values())
    kl = docs["kl-221-KL-TW-2025-11-28.md"]
    assert kl["doc_number"] == "221-KL/TW" and kl["issuer"] == "Bộ Chính trị, Ban Bí thư"
    assert (kl["signer"], kl["signer_capacity"]) == ("Trần Cẩm Tú", "Thay mặt Bộ Chính trị")
    assert docs["nq-57-NQ-TW-2024-12-22.md"]["signer"] is None
    assert docs["bai-viet-nq-68-to-chuc-thuc-hien.md"]["date"] is None  # never NQ 57's date
    assert all(isinstance(d["passages"], int) and d["passages"] > 0 for d in docs.values())
    assert all(d["pham_vi"] == [] for d in docs.values())  # the shipped corpus is for everyone
    text = troly(home, "documents").stdout
    assert "Kết luận 221-KL/TW · 28/11/2025" in text and "ký: Trần Cẩm Tú (Thay mặt Bộ Chính trị)" in text


def test_ask_json_citation_has_the_clause(home):
    data = json.loads(troly(home, "ask", "Khoản 4 Điều 10 Nghị quyết 198 miễn thuế cho ai?", "--json").stdout)
    (c,) = data["citations"]
    assert c["clause"] == "Điều 10, khoản 4" and c["doc_number"] == "198/2025/QH15"
    assert data["answer"].startswith("Theo Nghị quyết 198/2025/QH15 ngày 17/05/2025, Điều 10, khoản 4:")


def test_ingest_warns_about_duplicates(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(ROOT / "corpus" / "tb-659-TB-VPCP-2025.md", folder / "a.md")
    shutil.copy(ROOT / "corpus" / "tb-659-TB-VPCP-2025.md", folder / "b.md")
    proc = troly(tmp_path / "home", "ingest", str(folder))
    assert "Lưu ý:" in proc.stderr and "b.md" in proc.stderr and "giống hệt" in proc.stderr
    # not a terminal (a log, `make demo` in CI): a progress line instead of a bar, so a long ingest shows life
    assert "Đang lập chỉ mục: 1/1 tệp" in proc.stderr
    data = json.loads(troly(tmp_path / "home", "ingest", str(folder), "--json").stdout)
    assert data["warnings"] and data["ocr_pages"] == {}
