"""The one-file (pre-commit) run on a warm cache, as issue 8's speed criterion states it:
one changed file of a ~100k-line project, under 0.5 s.

    python bench/one_file.py --project /tmp/proj128k --fftlint /venv/bin/fftlint [--runs 7]

The project is copied to a scratch directory; its cache is filled with
``fftlint --select ALL --exit-zero .``; then, for each profile (``--select ALL`` and the
default rules), each timed run first rewrites ``asyncio/tasks.py`` with a unique comment
appended (so the run lints it afresh against the cached facts of the rest) and times
``fftlint [--select ALL --exit-zero] asyncio/tasks.py`` from the project's root. Every
run's wall and CPU time (user + sys of the child) is printed, then the medians. Use a
non-editable install of the commit being measured.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Sequence

TARGET = os.path.join("asyncio", "tasks.py")


def timed(cmd: Sequence[str], cwd: str) -> Dict[str, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(list(cmd), cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu}


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", required=True, help="the project to copy (a stdlib part with asyncio/)")
    parser.add_argument("--fftlint", required=True, help="the fftlint console script of a non-editable install")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", help="copy the project here and keep it (default: a temporary directory)")
    args = parser.parse_args(list(argv) or None)
    base = args.keep or tempfile.mkdtemp(prefix="fftlint-one-file-")
    work = os.path.join(base, "proj")
    try:
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(args.project, work, ignore=shutil.ignore_patterns(".fftlint_cache", "__pycache__"))
        with open(os.path.join(work, TARGET), "rb") as fh:
            original = fh.read()
        fill = timed([args.fftlint, "--select", "ALL", "--exit-zero", "."], work)
        print(f"cache filled in {fill['wall']:.1f} s wall", flush=True)
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        for label, extra in (("--select ALL", ["--select", "ALL", "--exit-zero"]), ("default rules", ["--exit-zero"])):
            samples: List[Dict[str, float]] = []
            for _ in range(args.runs):
                with open(os.path.join(work, TARGET), "wb") as fh:
                    fh.write(original + f"# edit {random.getrandbits(48)}\n".encode())
                samples.append(timed([args.fftlint, *extra, TARGET], work))
            walls = ", ".join(f"{s['wall']:.2f}" for s in samples)
            cpus = ", ".join(f"{s['cpu']:.2f}" for s in samples)
            print(f"{label}: wall {walls} s (median {statistics.median(s['wall'] for s in samples):.2f} s); "
                  f"cpu {cpus} s (median {statistics.median(s['cpu'] for s in samples):.2f} s)", flush=True)
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
