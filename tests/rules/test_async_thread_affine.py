"""The to_thread fix never moves thread-affine objects into a worker thread (issue 13).

The fixture ``fixtures/async_threads`` is a small service whose SQLite connection is made
and used in async functions, next to plain file-system calls. ``--fix --unsafe-fixes``
must rewrite the file calls, leave every SQLite call alone, and the fixed program must
still run and print the same thing (it is our own fixture, run in a child process)."""

import os
import shutil
import subprocess
import sys

from fftlint import api
from fftlint.rules.async_io.catalog import catalog_for
from fftlint.cli import main
from fftlint.config.settings import Settings
from fftlint.rules.async_io._base import thread_affine

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "async_threads")


def _run(project, tmp_path):
    out = tmp_path / "run"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "inventory.app", str(out)], cwd=project, capture_output=True, text=True, timeout=60
    )
    return proc.returncode, proc.stdout, proc.stderr


def test_unsafe_fixes_keep_the_sqlite_service_working(tmp_path, monkeypatch):
    project = tmp_path / "async_threads"
    shutil.copytree(FIXTURE, project)
    before = _run(project, tmp_path)
    assert before[0] == 0, before[2]
    monkeypatch.chdir(project)
    main(["--isolated", "--no-cache", "--fix", "--unsafe-fixes", "--exit-zero", "."])
    store = (project / "inventory" / "store.py").read_text()
    export = (project / "inventory" / "export.py").read_text()
    assert "to_thread" not in store  # SQLite objects stay in the loop's thread
    assert "await asyncio.to_thread(os.makedirs, directory, exist_ok=True)" in export
    assert "os.fsync(_local.fd)" in export  # thread-local state is not read in a worker
    after = _run(project, tmp_path)
    assert after == before
    # a second run changes nothing more
    snapshot = {p: p.read_text() for p in (project / "inventory").glob("*.py")}
    main(["--isolated", "--no-cache", "--fix", "--unsafe-fixes", "--exit-zero", "."])
    assert {p: p.read_text() for p in snapshot} == snapshot


def test_the_catalog_marks_thread_bound_objects_as_data():
    catalog = catalog_for()
    for name in (
        "sqlite3.connect",  # produces a connection
        "@dbapi_connection.execute",
        "@dbapi_cursor.fetchall",
        "@thread.join",
        "@executor.shutdown",
        "@thread_lock.acquire",
        "@event_loop.run_until_complete",
        "asyncio.run",
        "@thread_local.conn",
        "tkinter.Tk",
        "PySide6.QtWidgets.QApplication",
    ):
        assert thread_affine(catalog, catalog.normalize(name)), name
    for name in ("os.fsync", "requests.get", "@redis.get", "@file.read", "subprocess.run", "@thread_event.wait"):
        assert not thread_affine(catalog, catalog.normalize(name)), name


def test_a_connection_passed_as_an_argument_withholds_the_fix():
    config = api.make_config(Settings(), select=["FFT102"])
    text = "import shutil, sqlite3\nasync def f(p, dst):\n    conn = sqlite3.connect(p)\n    shutil.copyfileobj(conn, dst)\n"
    [diag] = [d for d in api.lint_text(text, "m.py", config).diagnostics if d.code == "FFT102"]
    assert diag.fix is None
    text = text.replace("copyfileobj(conn, dst)", "copyfileobj(p, dst)")
    [diag] = [d for d in api.lint_text(text, "m.py", config).diagnostics if d.code == "FFT102"]
    assert diag.fix is not None
