"""Cost of the FFT309 callers fact (``rules/leaks/callers.py``'s ``once_called``) alone.

    python bench/callers_cost.py FILE_LIST [--runs 3] [--save out.txt] [--compare out.txt]

FILE_LIST has one path a line (e.g. every ``.py`` of the stdlib). Prints the wall and CPU
seconds of each cold run (no cache, the in-process memo cleared), how many files were
parsed, and the number of once-called functions; ``--save`` writes the set (one
``path<TAB>name`` a line) and ``--compare`` checks a saved set is unchanged. Run it from
the repository root."""

from __future__ import annotations

import argparse
import ast
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main(argv=None) -> int:
    from rules.leaks import callers

    parser = argparse.ArgumentParser()
    parser.add_argument("file_list")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--save")
    parser.add_argument("--compare")
    args = parser.parse_args(argv)
    with open(args.file_list, encoding="utf-8") as fh:
        files = [line.strip() for line in fh if line.strip()]
    parses = [0]
    real_parse = ast.parse

    def counting_parse(*a, **k):
        parses[0] += 1
        return real_parse(*a, **k)

    found = frozenset()
    for run in range(args.runs):
        callers._MEMO.clear()
        parses[0] = 0
        ast.parse = counting_parse
        try:
            wall, cpu = time.perf_counter(), time.process_time()
            found = callers.once_called(files, (), None)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        finally:
            ast.parse = real_parse
        print(f"run {run + 1}: wall {wall:.2f} s, cpu {cpu:.2f} s, {parses[0]} parses, {len(found)} once-called functions over {len(files)} files")
    lines = sorted(f"{path}\t{name}" for path, name in found)
    if args.save:
        with open(args.save, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
    if args.compare:
        with open(args.compare, encoding="utf-8") as fh:
            saved = {line.rstrip("\n") for line in fh if line.strip()}
        gone, new = saved - set(lines), set(lines) - saved
        print(f"compared with {args.compare}: {len(gone)} gone, {len(new)} new")
        for line in sorted(gone):
            print("  gone", line)
        for line in sorted(new):
            print("  new ", line)
        return 1 if gone else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
