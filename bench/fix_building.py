"""Fix building and applying on files with many fixable findings (issue 13).

Generates modules of N ``async def`` functions that each call ``time.sleep`` (one
FFT101 finding with a safe fix and an ``import asyncio`` per function), plus one module of
about 1 MB, and times, in this process:

* ``lint``: one lint of the text, fixes built for every finding (``lint_source``);
* ``fix``: ``fix_to_fixpoint`` (choose non-overlapping fixes, apply, re-parse, re-lint).

Times are CPU seconds of this process (``time.process_time``), with the cyclic GC paused
as the engine pauses it.

Usage: ``python bench/fix_building.py [--sizes 2000 4000 8000] [--mb 1.0] [--skip-fix]``.
Prints a Markdown table to stdout. It is a script, not a test: timings depend on the
machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Callable, List, Tuple

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from fftlint import api, fix as fixer  # noqa: E402
from fftlint.config.settings import Settings  # noqa: E402
from fftlint.engine.parallel import gc_paused  # noqa: E402

FUNCTION = "async def handler_{i}(request):\n    value = request.get({i})\n    time.sleep(0.01)\n    return value\n\n\n"


def module(functions: int) -> str:
    return '"""Generated for the fix-building benchmark."""\nimport time\n\n\n' + "".join(
        FUNCTION.format(i=i) for i in range(functions)
    )


def module_of_size(megabytes: float) -> Tuple[str, int]:
    per = len(FUNCTION.format(i=10000))
    functions = int(megabytes * 1024 * 1024 / per)
    return module(functions), functions


def timed(work: Callable[[], object]) -> Tuple[float, object]:
    """CPU time of this process (steadier than wall time on a shared machine), with the
    cyclic GC paused as the engine and ``--fix`` run it."""
    start = time.process_time()
    with gc_paused():
        value = work()
    return time.process_time() - start, value


def measure(text: str, config: api.RunConfig, do_fix: bool) -> Tuple[float, int, float]:
    path = "bench_fix_module.py"
    lint_s, result = timed(lambda: api.lint_text(text, path, config))
    findings = sum(1 for d in result.diagnostics if d.fix is not None)  # type: ignore[attr-defined]
    fix_s = float("nan")
    if do_fix:
        fix_s, outcome = timed(lambda: fixer.fix_to_fixpoint(text, lambda t: api.lint_text(t, path, config)))
        left = [d for d in outcome.result.diagnostics if d.code == "FFT101"]  # type: ignore[attr-defined]
        assert not left, f"{len(left)} findings left after --fix"
    return lint_s, findings, fix_s


def main(argv: List[str] = None) -> int:  # type: ignore[assignment]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[2000, 4000, 8000])
    parser.add_argument("--mb", type=float, default=1.0, help="size of the large module (0: none)")
    parser.add_argument("--skip-fix", action="store_true", help="time fix building only")
    args = parser.parse_args(argv)
    config = api.make_config(Settings(), select=["FFT101"])
    rows = []
    cases = [(f"{n:,} functions", module(n)) for n in args.sizes]
    if args.mb:
        text, n = module_of_size(args.mb)
        cases.append((f"{len(text.encode()) / 1e6:.2f} MB ({n:,} functions)", text))
    for label, text in cases:
        lint_s, findings, fix_s = measure(text, config, not args.skip_fix)
        rows.append((label, findings, lint_s, fix_s))
        print(f"{label}: {findings} fixable, lint+build {lint_s:.2f} s, fix {fix_s:.2f} s", file=sys.stderr)
    print("| module | fixable findings | lint + build fixes (CPU) | `--fix` to fixpoint (CPU) |")
    print("|---|---:|---:|---:|")
    for label, findings, lint_s, fix_s in rows:
        print(f"| {label} | {findings:,} | {lint_s:.2f} s | {fix_s:.2f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
