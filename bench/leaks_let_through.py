"""Per FFT3xx rule: the files its ``could_match`` lets through to a LibCST parse where the
rule then reports nothing (the pre-check's misses in precision).

    python bench/leaks_let_through.py FILE_LIST [--json OUT]

FILE_LIST holds one path a line (e.g. the stdlib's files). The files are linted as one
project with the leak rules only, every code context reported (a finding that the run
would hold back in a test file still counts as found), one worker.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
from typing import Any, Dict, Set


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("files")
    parser.add_argument("--json", default="")
    args = parser.parse_args()

    from fftlint import api, registry
    from fftlint.config.settings import Settings
    from fftlint.engine.contexts import CONTEXTS
    from fftlint.engine.parallel import run_files

    passed: Dict[str, Set[str]] = collections.defaultdict(set)
    for rule in registry.all_rules():
        if not rule.code.startswith("FFT3") or "could_match" not in rule.__dict__:
            continue
        check = rule.__dict__["could_match"].__func__

        def wrapped(cls: Any, view: Any, check: Any = check, code: str = rule.code) -> bool:
            ok = check(cls, view)
            if ok:
                passed[code].add(view.path)
            return ok

        rule.could_match = classmethod(wrapped)  # type: ignore[method-assign,assignment]
    with open(args.files, encoding="utf-8") as fh:
        files = [line.strip() for line in fh if line.strip()]
    root = os.path.dirname(os.path.commonpath(files))
    config = api.make_config(Settings(root=root, report_contexts=tuple(CONTEXTS)), select=["FFT3"])
    found: Dict[str, Set[str]] = collections.defaultdict(set)
    for result in run_files(files, config, jobs=1):
        for d in result.diagnostics:
            found[d.code].add(result.path)
    out = {}
    for code in sorted(passed):
        nothing = sorted(p for p in passed[code] if p not in found[code])
        out[code] = nothing
        print(f"{code}: let through {len(passed[code])}, reported in {len(found[code])}, for nothing {len(nothing)}")
        for path in nothing:
            print("   ", path)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
