"""The process pool gives exactly the serial results, in path order, with any start method."""

from __future__ import annotations

import os

import pytest

from fftlint import api
from fftlint.config.settings import Settings
from fftlint.engine import parallel
from fftlint.engine.parallel import run_files

SOURCES = [
    "import time\n\nasync def f():\n    time.sleep({i})\n",
    "import asyncio\n\nasync def f():\n    await asyncio.sleep({i})\n",
    "def broken({i}:\n",
    "x = {i}  # noqa: FFT101\n",
    "import time\n\ndef g():\n    time.sleep({i})\n",
]


@pytest.fixture
def tree(tmp_path):
    for i in range(40):
        sub = tmp_path / f"pkg{i % 3}"
        sub.mkdir(exist_ok=True)
        (sub / f"mod_{i:02d}.py").write_text(SOURCES[i % len(SOURCES)].format(i=i))
    (tmp_path / "latin.py").write_bytes(b"x = '\xe9'\n")  # not UTF-8: unreadable
    return tmp_path


def _config(root):
    return api.make_config(Settings(root=str(root)), select=["ALL"])


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_parallel_equals_serial(tree, monkeypatch, method):
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setenv("FFTLINT_START_METHOD", method)
    config = _config(tree)
    files = api.discover_files([str(tree)], config.settings)
    serial = run_files(files, config, jobs=1)
    pooled = run_files(files, config, jobs=2)
    assert [r.path for r in pooled] == files
    assert pooled == serial
    codes = {d.code for r in serial for d in r.diagnostics}
    assert {"FFT101", "FFT001", "FFT003", "FFT004"} <= codes


def test_small_runs_stay_in_process(tree, monkeypatch):
    def no_pool(*args, **kwargs):
        raise AssertionError("a pool was started for a tiny run")

    monkeypatch.setattr(parallel, "_context", no_pool)
    config = _config(tree)
    files = api.discover_files([str(tree)], config.settings)[:3]
    results = run_files(files, config, jobs=8)
    assert [r.path for r in results] == files


def test_progress_counts_every_file(tree, monkeypatch):
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)
    config = _config(tree)
    files = api.discover_files([str(tree)], config.settings)
    seen = []
    run_files(files, config, jobs=2, progress=seen.append)
    assert sum(seen) == len(files)


def test_lint_paths_orders_by_path(tree):
    results = api.lint_paths([str(tree)], _config(tree), jobs=2)
    assert [r.path for r in results] == api.discover_files([str(tree)], Settings(root=str(tree)))


def test_unreadable_file_is_reported_not_raised(tmp_path):
    missing = str(tmp_path / "gone.py")
    (result,) = run_files([missing], _config(tmp_path), jobs=1)
    assert [d.code for d in result.diagnostics] == ["FFT004"]


def test_default_jobs_is_positive():
    assert parallel.default_jobs() >= 1
    if hasattr(os, "sched_getaffinity"):
        assert parallel.default_jobs() == len(os.sched_getaffinity(0))


class _Stream:
    def __init__(self, tty):
        self.tty = tty
        self.text = ""

    def isatty(self):
        return self.tty

    def write(self, s):
        self.text += s

    def flush(self):
        pass

    def fileno(self):
        raise OSError("not a real stream")


def test_progress_bar_only_on_a_terminal(monkeypatch):
    from fftlint.engine import progress

    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("FFTLINT_NO_PROGRESS", raising=False)
    assert progress.for_stream(_Stream(False)) is None
    assert progress.for_stream(_Stream(True)) is not None
    monkeypatch.setenv("CI", "true")
    assert progress.for_stream(_Stream(True)) is None


def test_progress_bar_draws_after_the_delay_and_erases_itself():
    from fftlint.engine.progress import ProgressBar

    stream = _Stream(True)
    quick = ProgressBar(stream, delay=60)
    quick.begin(10)
    quick(10)
    quick.close()
    assert stream.text == "", "a short run must stay silent"
    bar = ProgressBar(stream, delay=0)
    bar.begin(4)
    bar(2)
    bar(2)
    assert "4/4 files" in stream.text
    bar.close()
    assert stream.text.endswith("\r")


class _Node:
    def __init__(self):
        self.other = None


def test_a_batch_file_frees_its_cycles_and_freezes_what_it_keeps(monkeypatch):
    """After a file of a batch run, the cyclic garbage it made is collected, and what it
    keeps (project facts, results) is moved out of the GC's reach, so later collections do
    not scan it again and again."""
    import gc
    import weakref

    kept = []

    def fake_lint_bytes(data, path, config):
        a, b = _Node(), _Node()
        a.other, b.other = b, a  # a cycle that is garbage once the file is done
        probe.append(weakref.ref(a))
        kept.append({"facts": [path]})  # something the run keeps
        return None, "result"

    probe = []
    monkeypatch.setattr(api, "lint_bytes", fake_lint_bytes)
    frozen = gc.get_freeze_count()
    try:
        assert parallel._lint("x.py", b"", None) == "result"
        assert probe[0]() is None
        assert gc.get_freeze_count() > frozen
        assert gc.isenabled()
    finally:
        gc.unfreeze()
