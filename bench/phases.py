"""Where one fftlint run spends its CPU time, by phase.

    python bench/phases.py [fftlint arguments ...]
    python bench/phases.py --isolated --no-cache -j1 --select ALL /path/to/stdlib

Runs the CLI in this process with timers around the engine's phases (cumulative CPU
seconds and call counts on stderr; the lint output goes to stdout as usual). Phases
nest: ``_lint`` contains the LibCST parse, the ``ast`` stage, the walk and positions;
``Walker.run`` contains the rules' hooks and any summaries the FFT106 index loads on
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
    from fftlint.engine import parallel, prefilter, project, run, walk

    _timed(parallel, "_lint", "lint one file (all of the below)")
    _timed(run, "_parse", "LibCST parse")
    _timed(prefilter, "parse_ast", "ast parse (pre-filter stage 2)")
    _timed(prefilter, "_bucket", "ast node walk shared by could_match checks")
    _timed(run, "applicable", "requires strings (stage 1)")
    _timed(walk.Walker, "run", "walk with rule hooks")
    _timed(run, "_position_tuples", "positions (files with findings)")
    _timed(run, "syntax_ok", "syntax check of files no rule needs")
    _timed(api, "build_project", "project index before workers start")
    _timed(project, "summarize", "FFT106 module summaries (on demand)")
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
