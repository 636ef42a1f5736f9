"""A command typed wrongly gets one Vietnamese line and exit code 2 (troly.cli.usage_errors), never click's
English box; `troly` alone still prints the help."""

import os
import subprocess
import sys

import pytest

from tests.engine_fixtures import ROOT


def troly(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TROLY_", "OPENAI_"))}
    env.update(TROLY_HOME=str(tmp_path))
    return subprocess.run(
        [sys.executable, "-m", "troly", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask"], "Thiếu câu hỏi. Xem cách dùng: "),
        (["ask", "--after"], "Tùy chọn --after cần có giá trị đi kèm. Xem cách dùng: troly ask --help"),
        (["ask", "--bogus", "x"], "Không có tùy chọn --bogus."),
        (["stats", "--days", "abc"], "Giá trị của tùy chọn --days không hợp lệ: cần một số nguyên."),
        (["stats", "--days", "0"], "cần một số không nhỏ hơn 1"),
        (["stats", "--days", "5000"], "cần một số không lớn hơn 3650"),
        (["feedback", "export"], "Thiếu tệp .jsonl sẽ ghi."),
        (["lenh-khong-co"], "Không có lệnh “lenh-khong-co”. Xem các lệnh: "),
        # a near miss names what was typed and what was probably meant
        (["aks", "hello"], "Không có lệnh “aks”. Có phải anh/chị muốn gõ: "),
    ],
)
def test_a_command_typed_wrongly_is_explained_in_vietnamese(tmp_path, args, message):
    proc = troly(tmp_path, *args)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Error" not in proc.stderr and "Usage" not in proc.stderr and "Traceback" not in proc.stderr
    if args[0] == "aks":
        assert "troly ask?" in proc.stderr  # the command meant, as it would be typed


def test_troly_alone_prints_the_help(tmp_path):
    proc = troly(tmp_path)
    assert proc.returncode == 2 and "ask" in (proc.stdout + proc.stderr)
