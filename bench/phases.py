"""Where one fftlint run spends its CPU time, by phase.

    python bench/phases.py [fftlint arguments ...]
    python bench/phases.py --isolated --no-cache -j1 --select ALL /path/to/stdlib

Runs the CLI in this process with timers around the engine's phases (cumulative CPU
seconds and call counts on stderr; the lint output goes to stdout as usual). Phases
nest: ``_lint`` contains the LibCST parse, the ``ast`` stage, the walk and positions;
``Walker.run`` contains the rules' hooks and any summaries the facts layer loads on
demand. Use ``-j1``: the timers see only this process.
"""

from __future__ import annotations

import collections
import functools
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

TOTALS: "collections.Counter[str]" = collections.Counter()
CALLS: "collections.Counter[str]" = collections.Counter()


def _timed(owner, name: str, label: str) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        start = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            TOTALS[label] += time.process_time() - start
            CALLS[label] += 1

    setattr(owner, name, wrapper)


def main(argv) -> int:
    from fftlint import api
    from fftlint.engine import parallel, positions, prefilter, run, walk
    from fftlint.facts import bindings, cst as facts_cst, project, summary

    _timed(parallel, "_lint", "lint one file (all of the below)")
    _timed(run, "_parse", "LibCST parse")
    _timed(prefilter, "parse_ast", "ast parse (pre-filter stage 2)")
    _timed(prefilter, "_bucket", "ast node walk shared by could_match checks")
    _timed(run, "applicable", "requires strings (stage 1)")
    _timed(walk.Walker, "run", "walk with rule hooks")
    _timed(positions, "position_tuples", "positions (files with findings)")
    _timed(run, "syntax_ok", "syntax check of files no rule needs")
    _timed(api, "build_project", "project facts before workers start")
    _timed(project.ProjectFacts, "_cached", "module summaries: shapes (on demand)")
    _timed(summary, "function_details", "module summaries: function bodies (on demand)")
    _timed(bindings.ModuleFacts, "_number", "binding maps: numbering")
    _timed(facts_cst.Names, "_values", "name resolution asked by rules (all of its work)")
    from fftlint.rules.async_io import _prefilter as fft1_prefilter

    _timed(fft1_prefilter, "_kinds", "FFT1 pre-filter on the facts layer")
    from fftlint.cli import main as cli

    start = time.process_time()
    try:
        cli(argv)
    except SystemExit:
        pass
    total = time.process_time() - start
    for label, seconds in sorted(TOTALS.items(), key=lambda kv: -kv[1]):
        print(f"{seconds:8.2f} s {CALLS[label]:6d}x  {label}", file=sys.stderr)
    print(f"{total:8.2f} s          total CPU of this process", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
