"""How long the language server takes to re-lint a ~2,000-line file after an edit.

    python bench/editor_relint.py [--edits 30] [--file PATH] [--lsp]

The file is CPython's ``asyncio/base_events.py`` (1,947 lines of real async code; the
interpreter running this script provides it), linted inside a copy of its package (the
project the cross-file facts are built from), with fftlint's default rule selection.
It goes through the server's own :class:`fftlint.server.session.Session` as the server does:
``change`` then ``lint`` on each edit (the cross-file facts as they were), and, every fifth
edit, the rebuild of the cross-file facts the server makes once changes pause, timed
apart; first with the server's incremental parser, then with a full LibCST parse per lint. Each
edit changes one line inside a method in the middle of the file, the way typing does.

``--lsp`` also measures the round trip through a real server process: ``didChange`` sent,
``publishDiagnostics`` received (debounce 0), which adds JSON-RPC and conversion.

Milliseconds per re-lint, wall clock and CPU of this process (median, 90th percentile,
max); the first lint of the
file (cold: parse, summaries, project index) is reported on its own. The target (issue 12):
a re-lint under 150 ms after the first lint. Timings on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _project(source: Path, scratch: Path) -> Path:
    package = scratch / source.parent.name
    shutil.copytree(source.parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    (scratch / "pyproject.toml").write_text("[tool.fftlint]\n", encoding="utf-8")
    return package / source.name


def _edits(text: str, count: int):
    """Versions of ``text`` with one line inside a method changed (a digit typed)."""
    lines = text.splitlines(keepends=True)
    middle = len(lines) // 2
    targets = [i for i in range(middle - 300, middle + 300) if lines[i].startswith("        ") and lines[i].strip() and not lines[i].rstrip().endswith(("\\", ",", "(", ":"))]
    for n in range(count):
        i = targets[n % len(targets)]
        changed = list(lines)
        changed[i] = lines[i].rstrip("\r\n") + f"  # edit {n}\n"
        yield "".join(changed)


def measure(path: Path, edits: int, incremental: bool) -> dict:
    from fftlint.engine.reparse import IncrementalParser
    from fftlint.server.session import Session

    session = Session()
    session.parse = IncrementalParser() if incremental else None
    uri = path.as_uri()
    text = path.read_text(encoding="utf-8")
    session.open(uri, str(path), text, 1)
    start = time.perf_counter()
    first = session.lint(uri)
    cold = time.perf_counter() - start
    times = []
    cpu = []
    rebuilds = []
    for version, edited in enumerate(_edits(text, edits), 2):
        session.change(uri, edited, version)  # what the server does on each change
        start, start_cpu = time.perf_counter(), time.process_time()
        outcome = session.lint(uri)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        assert len(outcome.result.diagnostics) == len(first.result.diagnostics)
        if version % 5 == 0:  # ... and once changes pause: cross-file facts rebuilt, re-lint
            session.refresh_project()
            start = time.perf_counter()
            session.lint(uri)
            rebuilds.append(time.perf_counter() - start)
    return {"cold": cold, "times": times, "cpu": cpu, "rebuilds": rebuilds, "findings": len(first.result.diagnostics)}


def measure_lsp(path: Path, edits: int) -> list:
    import asyncio

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    import lsp_harness as h

    async def scenario():
        editor = await h.start(path.parents[1], h.capabilities(), {"debounce": 0, "projectDebounce": 30})
        uri = editor.open(str(path.relative_to(path.parents[1])))
        await editor.diagnostics(uri)
        times = []
        for edited in _edits(path.read_text(encoding="utf-8"), edits):
            count = len(editor.pushed[uri])
            start = time.perf_counter()
            editor.replace(uri, edited)
            await editor.diagnostics(uri, lambda d: len(editor.pushed[uri]) > count)
            times.append(time.perf_counter() - start)
        await h.stop(editor)
        return times

    return asyncio.run(scenario())


def _row(name: str, times: list) -> str:
    ms = sorted(t * 1000 for t in times)
    p90 = ms[min(len(ms) - 1, int(round(0.9 * (len(ms) - 1))))]
    return f"| {name} | {statistics.median(ms):.0f} | {p90:.0f} | {ms[-1]:.0f} |"


def main() -> int:
    import asyncio.base_events as default

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, default=Path(default.__file__))
    parser.add_argument("--edits", type=int, default=30)
    parser.add_argument("--lsp", action="store_true", help="also time didChange -> publishDiagnostics through a server process")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fftlint-relint-") as scratch:
        path = _project(args.file, Path(scratch))
        lines = path.read_text(encoding="utf-8").count("\n")
        inc = measure(path, args.edits, incremental=True)
        full = measure(path, args.edits, incremental=False)
        lsp = measure_lsp(path, args.edits) if args.lsp else None
    print(f"{args.file.name}: {lines} lines, {inc['findings']} findings, {args.edits} edits; Python {sys.version.split()[0]}")
    print(f"first lint (cold): {inc['cold'] * 1000:.0f} ms")
    print("| re-lint after an edit | median ms | p90 ms | max ms |")
    print("| --- | --- | --- | --- |")
    print(_row("server session, incremental parse (wall)", inc["times"]))
    print(_row("server session, incremental parse (CPU)", inc["cpu"]))
    print(_row("server session, full parse each time (wall)", full["times"]))
    print(_row("server session, full parse each time (CPU)", full["cpu"]))
    print(_row("after a pause: project facts rebuilt + re-lint (wall)", inc["rebuilds"]))
    if lsp is not None:
        print(_row("LSP round trip, didChange -> publishDiagnostics (wall)", lsp))
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
