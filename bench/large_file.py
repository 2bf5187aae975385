"""Time and peak memory of linting one large file (issue 13).

Generates modules of the given sizes in two shapes -- ``code`` (many small functions,
async ones among them, as hand-written code looks) and ``data`` (one big literal table,
as generated modules look) -- and lints each in a fresh child process
(``fftlint --isolated --no-cache -j1 --select ALL --max-file-size 0``), reporting wall
time and the child's peak RSS (``ru_maxrss``: one process, i.e. what one worker needs).

Usage: ``python bench/large_file.py [--sizes 1 5] [--shapes code data]``; prints a
Markdown table. A script, not a test: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from typing import List, Optional

CODE = '''

async def handler_{i}(request, db):
    """Handle request {i}."""
    value = request.get("key_{i}", {i})
    if value > {i} and request.user:
        result = [x * 2 for x in range(value) if x % 3]
        await db.store("k{i}", result)
    return {{"id": {i}, "value": value, "name": f"item-{{value}}"}}


def helper_{i}(items):
    total = 0
    for item in items:
        total += item.price * item.quantity
    return total
'''

DATA_ROW = '    ("row-{i}", {i}, {f}, "{s}", ({i}, {j}, {k})),\n'


def generate(shape: str, megabytes: float) -> str:
    target = int(megabytes * 1024 * 1024)
    parts: List[str] = ['"""Generated for the large-file benchmark."""\nimport asyncio\n']
    size = len(parts[0])
    i = 0
    if shape == "data":
        parts.append("TABLE = [\n")
    while size < target:
        if shape == "code":
            chunk = CODE.format(i=i)
        else:
            chunk = DATA_ROW.format(i=i, f=i / 7, s="x" * (i % 17), j=i * 3, k=i % 11)
        parts.append(chunk)
        size += len(chunk)
        i += 1
    if shape == "data":
        parts.append("]\n")
    return "".join(parts)


_MEASURE = r"""
import resource, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - start
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(proc.returncode, wall, peak_kb)
sys.stderr.write(proc.stderr.decode()[-2000:])
"""


def measure(path: str, extra: Optional[List[str]] = None):
    cmd = [sys.executable, "-m", "fftlint", "--isolated", "--no-cache", "-j1", "--select", "ALL", *(extra or []), path]
    proc = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    code, wall, peak = proc.stdout.split()
    return int(code), float(wall), int(peak) / 1024


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="*", default=[1.0, 5.0])
    parser.add_argument("--shapes", nargs="*", default=["code", "data"])
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for shape in args.shapes:
            for mb in args.sizes:
                path = os.path.join(tmp, f"{shape}_{mb:g}mb.py")
                with open(path, "w") as fh:
                    fh.write(generate(shape, mb))
                size = os.path.getsize(path)
                code, wall, peak = measure(path, ["--max-file-size", "0"])
                rows.append((shape, size, code, wall, peak))
                print(f"{shape} {size / 1e6:.1f} MB: exit {code}, {wall:.1f} s, peak {peak:.0f} MB", file=sys.stderr)
    print("| file | size | exit | wall | peak RSS (one process) | peak / file size |")
    print("|---|---:|---:|---:|---:|---:|")
    for shape, size, code, wall, peak in rows:
        print(f"| {shape} | {size / 1e6:.2f} MB | {code} | {wall:.1f} s | {peak:.0f} MB | {peak * 1024 * 1024 / size:.0f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
