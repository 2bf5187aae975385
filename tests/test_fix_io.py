"""--fix never loses data: atomic writes, encoding, BOM, newline style, file mode, idempotence."""

import os
import stat

import pytest

from fftlint.cli import main
from fftlint.fix import Edit, apply_edits, choose
from fftlint.types import Diagnostic, Fix, Span

SRC = "import time\n\nasync def f():\n    time.sleep(1)\n"
FIXED = "import time\nimport asyncio\n\nasync def f():\n    await asyncio.sleep(1)\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_fix_rewrites_and_second_run_changes_nothing(project):
    path = project / "a.py"
    path.write_text(SRC)
    assert main(["--fix", "a.py"]) == 0
    assert path.read_text() == FIXED
    before = path.stat().st_mtime_ns
    assert main(["--fix", "a.py"]) == 0
    assert path.read_text() == FIXED
    assert path.stat().st_mtime_ns == before  # unchanged files are not rewritten


def test_fix_keeps_crlf_bom_and_mode(project):
    path = project / "a.py"
    path.write_bytes(b"\xef\xbb\xbf" + SRC.replace("\n", "\r\n").encode())
    os.chmod(path, 0o751)
    assert main(["--fix", "a.py"]) == 0
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data[3:].decode() == FIXED.replace("\n", "\r\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o751
    assert not [p for p in os.listdir(project) if p.startswith(".fftlint-")]  # no temp files left


def test_fix_keeps_a_declared_legacy_encoding(project):
    path = project / "a.py"
    text = "# -*- coding: latin-1 -*-\nimport time\nNAME = 'café'\n\nasync def f():\n    time.sleep(1)\n"
    path.write_bytes(text.encode("latin-1"))
    assert main(["--fix", "a.py"]) == 0
    out = path.read_bytes().decode("latin-1")
    assert "café" in out and "await asyncio.sleep(1)" in out


def test_diff_changes_nothing_and_exits_1(project, capsys):
    path = project / "a.py"
    path.write_text(SRC)
    assert main(["--diff", "a.py"]) == 1
    out = capsys.readouterr().out
    assert "-    time.sleep(1)" in out and "+    await asyncio.sleep(1)" in out
    assert path.read_text() == SRC
    path.write_text(FIXED)
    assert main(["--diff", "a.py"]) == 0


def test_fix_on_stdin_writes_fixed_code_to_stdout(project, monkeypatch, capsysbinary):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(SRC.encode())))
    assert main(["--fix", "--stdin-filename", "svc/a.py", "-"]) == 0
    assert capsysbinary.readouterr().out.decode() == FIXED


def _diag(edits, applicability="safe"):
    return Diagnostic("FFT999", "x", "m", "a.py", Span(1, 1, 1, 1), fix=Fix("t", applicability, tuple(edits)))


def test_overlapping_fixes_are_skipped_and_shared_imports_deduplicated():
    imp = Edit(0, 0, "import asyncio\n")
    a = _diag([Edit(10, 20, "A"), imp])
    b = _diag([Edit(15, 25, "B"), imp])  # overlaps a
    c = _diag([Edit(30, 31, "C"), imp])
    chosen = choose([a, b, c], unsafe=False)
    assert chosen == [a, c]
    text = "0123456789" * 4
    assert apply_edits(text, [e for d in chosen for e in d.fix.edits]) == "import asyncio\n0123456789A" + text[20:30] + "C" + text[31:]


def test_unsafe_fixes_need_the_flag():
    d = _diag([Edit(0, 1, "x")], applicability="unsafe")
    assert choose([d], unsafe=False) == []
    assert choose([d], unsafe=True) == [d]
