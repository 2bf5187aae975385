"""How much code each rule's pre-filter lets through to LibCST.

    python bench/prefilter_share.py [DIR ...] [--select CODES] [--project]

For every selected rule: the files and the share of lines that pass stage 1
(``requires``) and stage 2 (``could_match`` on the ``ast``), and for all rules together
the share LibCST must parse. Default directory: the running interpreter's stdlib.
``--project`` builds the project index first (as a real run does), so checks that
consult it see it.
"""

from __future__ import annotations

import argparse
import os
import sys
import sysconfig
import time
from typing import Dict, List

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from fftlint import api  # noqa: E402
from fftlint.config.settings import Settings  # noqa: E402
from fftlint.engine.prefilter import AstView, applicable, parse_ast, walked  # noqa: E402
from fftlint.engine.run import module_name_for  # noqa: E402
from fftlint.engine.source import SourceError, read  # noqa: E402


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--select", default="ALL")
    parser.add_argument("--project", action="store_true")
    args = parser.parse_args(argv)
    paths = args.paths or [sysconfig.get_paths()["stdlib"]]
    settings = Settings(root=os.path.abspath(paths[0]))
    config = api.make_config(settings, select=args.select.split(","))
    files = api.discover_files(paths, settings)
    rules = walked(config.rules)
    project = api.build_project(paths, files, config) if args.project else None
    stage1: Dict[str, List[int]] = {r.code: [0, 0] for r in rules}
    stage2: Dict[str, List[int]] = {r.code: [0, 0] for r in rules}
    total_lines = 0
    any1 = [0, 0]
    any2 = [0, 0]
    check_time: Dict[str, float] = {r.code: 0.0 for r in rules}
    ast_time = 0.0
    for path in files:
        try:
            text = read(path).text
        except (SourceError, OSError):
            continue
        lines = text.count("\n") + 1
        total_lines += lines
        first = applicable(rules, text)
        for r in first:
            stage1[r.code][0] += 1
            stage1[r.code][1] += lines
        if first:
            any1[0] += 1
            any1[1] += lines
        if not first:
            continue
        t0 = time.perf_counter()
        tree = parse_ast(text, path)
        ast_time += time.perf_counter() - t0
        passed = []
        module, is_package = module_name_for(path)  # as the engine makes its views
        view = AstView(tree, text, path, config.options, project, module, is_package) if tree is not None else None
        for r in first:
            check = getattr(r, "could_match", None)
            ok = True
            if view is not None and callable(check):
                t0 = time.perf_counter()
                ok = bool(check(view))
                check_time[r.code] += time.perf_counter() - t0
            if ok:
                passed.append(r)
                stage2[r.code][0] += 1
                stage2[r.code][1] += lines
        if passed:
            any2[0] += 1
            any2[1] += lines

    def share(n: int) -> str:
        return f"{100.0 * n / max(total_lines, 1):.1f}%"

    print(f"{len(files)} files, {total_lines:,} lines; ast parse of stage-1 files: {ast_time:.2f} s")
    print("| rule | requires: files | lines | + could_match: files | lines | check time |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rules:
        a, b = stage1[r.code], stage2[r.code]
        print(f"| {r.code} {r.name} | {a[0]} | {share(a[1])} | {b[0]} | {share(b[1])} | {check_time[r.code]:.2f} s |")
    print(f"| all rules (parsed by LibCST) | {any1[0]} | {share(any1[1])} | {any2[0]} | {share(any2[1])} | |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
