"""`fftlint one_file.py` (the pre-commit case) must start fast: heavy optional machinery
(sqlglot, the regex analyser) loads only when a file needs it. Checked in a fresh
interpreter, by the modules it ends up importing (no timing assertions)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

_PROBE = r"""
import json, sys
from fftlint.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _modules(tmp_path, source: str, *extra: str):
    path = tmp_path / "one_file.py"
    path.write_text(source)
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, "--no-cache", "--isolated", *extra, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
        cwd=str(tmp_path),
        timeout=120,
    )
    last = proc.stdout.strip().splitlines()[-1]
    data = json.loads(last)
    assert data["code"] in (0, 1), proc.stderr
    return data["modules"]


def _loaded(modules, prefix):
    return [m for m in modules if m == prefix or m.startswith(prefix + ".")]


SOURCES = {
    "async-file": "import time\n\nasync def f():\n    time.sleep(1)\n",
    "plain-file": "def add(a, b):\n    return a + b\n",
}
@pytest.mark.parametrize("source", sorted(SOURCES))
@pytest.mark.parametrize("heavy", ["sqlglot", "fftlint.analysis.regex"])
def test_one_file_does_not_load_heavy_analysers(tmp_path, source, heavy):
    modules = _modules(tmp_path, SOURCES[source])
    assert not _loaded(modules, heavy), f"{heavy} was imported for a file that needs none of it"


def test_pool_machinery_not_loaded_for_one_file(tmp_path):
    modules = _modules(tmp_path, "x = 1\n")
    assert "multiprocessing.pool" not in modules
    assert "concurrent.futures.process" not in modules

