"""Score fftlint's ReDoS analyser against a labelled corpus (search semantics).

    python bench/redos_score.py [--corpus ../shared/redos/corpus-public.jsonl]
                                [--budget-ms 200] [--mode search] [--verbose]

A pattern counts as *flagged* when any FFT4 code would fire: exponential,
polynomial by ambiguity, or polynomial by search retry.  The corpus is benchmark
data read in place; nothing from it is copied into the project.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from fftlint.analysis.regex import RegexSyntaxError, analyze, verify  # noqa: E402

DEFAULT_CORPUS = os.path.join(ROOT, "..", "shared", "redos", "corpus-public.jsonl")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=DEFAULT_CORPUS)
    ap.add_argument("--budget-ms", type=int, default=200)
    ap.add_argument("--mode", default=None, help="override the corpus semantics")
    ap.add_argument("--verbose", "-v", action="store_true", help="print every pattern")
    ap.add_argument("--verify-misses", action="store_true",
                    help="time CPython's re on the attack of every flagged 'safe' pattern")
    args = ap.parse_args(argv)
    path = os.path.normpath(args.corpus)
    if not os.path.exists(path):
        print("corpus not found: %s (pass --corpus PATH)" % path, file=sys.stderr)
        return 2
    rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    stats = {"exponential": [0, 0], "polynomial": [0, 0], "safe": [0, 0]}
    misses = []
    within_budget = 0
    slowest = (0.0, "")
    errors = 0
    t_all = time.perf_counter()
    for row in rows:
        label = row["label"]
        mode = args.mode or row.get("semantics", "search")
        t0 = time.perf_counter()
        try:
            rep = analyze(row["pattern"], row.get("flags", 0), mode=mode,
                          budget_ms=args.budget_ms)
            flagged = rep.complexity in ("exponential", "polynomial")
            got = rep.complexity
            if rep.complexity != "unknown":
                within_budget += 1
        except RegexSyntaxError as exc:
            flagged, got = False, "error: %s" % exc
            errors += 1
        dt = (time.perf_counter() - t0) * 1000
        if dt > slowest[0]:
            slowest = (dt, row["id"])
        st = stats.setdefault(label, [0, 0])
        st[0] += 1
        vulnerable = label != "safe"
        if flagged:
            st[1] += 1
        if flagged != vulnerable:
            extra = ""
            if flagged and args.verify_misses:
                v = verify(row["pattern"], row.get("flags", 0), rep.attack, mode=mode, timeout_s=4.0)
                extra = " [attack %r measured: %s%s]" % (
                    rep.attack, v.growth, " n^%.1f" % v.degree if v.growth == "polynomial" else "")
            misses.append((row["id"], label, got + extra, row["pattern"]))
        if args.verbose:
            print("%-16s %-12s %-12s %7.1fms %r" % (row["id"], label, got, dt, row["pattern"]))
    total = time.perf_counter() - t_all

    def pct(a, b):
        return 100.0 * a / b if b else 0.0

    e, p, s = stats["exponential"], stats["polynomial"], stats["safe"]
    print("corpus: %s (%d patterns)" % (path, len(rows)))
    print("exponential recall: %d/%d = %.1f%%" % (e[1], e[0], pct(e[1], e[0])))
    print("polynomial recall:  %d/%d = %.1f%%" % (p[1], p[0], pct(p[1], p[0])))
    print("safe flagged:       %d/%d = %.1f%%" % (s[1], s[0], pct(s[1], s[0])))
    print("analysed within budget: %d/%d (parse errors: %d)" % (within_budget, len(rows), errors))
    print("slowest analysis: %.1f ms (%s); total %.2f s" % (slowest[0], slowest[1], total))
    if misses:
        print("misses (%d):" % len(misses))
        for mid, label, got, pat in misses:
            print("  %-16s %-12s got %-12s %r" % (mid, label, got, pat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
