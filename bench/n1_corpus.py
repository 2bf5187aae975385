"""FFT2xx (and FFT108) on real Django / SQLAlchemy applications, for judging by hand.

    python bench/n1_corpus.py [--corpus /tmp/n1corpus] [--install] [--select FFT2,FFT108]

``--install`` downloads the wheels of the applications below from PyPI with ``pip
download --no-deps`` into ``--corpus`` and unpacks them (their code is never committed).
Then every application's production code (tests, test apps and migrations excluded) is
linted with ``fftlint --isolated --no-cache --select ...``; the findings go to
``<corpus>/findings-<name>.txt`` and, with the source lines around each one, to
``<corpus>/judge-<name>.txt`` (``--sample N`` keeps N random findings per application,
with ``--seed``), and the counts per code are printed. Results and the judgement:
``bench/N1_RESULTS.md``.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import re
import subprocess
import sys
import time
import zipfile
from typing import Dict, List

APPS = {
    # name: (PyPI requirement, package directory inside the wheel)
    "oscar": ("django-oscar==4.2.1", "oscar"),
    "wagtail": ("wagtail==8.0.1", "wagtail"),
    "pretix": ("pretix==2026.8.0", "pretix"),
    "allauth": ("django-allauth==65.22.1", "allauth"),
    "lnbits": ("lnbits==1.6.2", "lnbits"),
    "sqladmin": ("sqladmin==0.32.0", "sqladmin"),
}
EXCLUDES = ("**/tests/**", "**/test/**", "**/test_*.py", "**/tests.py", "**/testapp/**", "**/migrations/**")
FINDING = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>FFT\d{3}) ")


def install(corpus: str) -> None:
    wheels = os.path.join(corpus, "dl")
    os.makedirs(wheels, exist_ok=True)
    for requirement, _ in APPS.values():
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", wheels, requirement], check=False)
    for name in os.listdir(wheels):
        if name.endswith(".whl"):
            target = os.path.join(corpus, "src", name.split("-", 1)[0])
            if not os.path.isdir(target):
                with zipfile.ZipFile(os.path.join(wheels, name)) as zf:
                    zf.extractall(target)


def package_dir(corpus: str, requirement: str, package: str) -> str:
    dist = requirement.split("==", 1)[0].replace("-", "_")
    return os.path.join(corpus, "src", dist, package)


def lint(path: str, select: str) -> List[str]:
    cmd = ["fftlint", "--isolated", "--no-cache", "-j2", "--select", select]
    for pattern in EXCLUDES:
        cmd += ["--extend-exclude", pattern]
    out = subprocess.run(cmd + [path], capture_output=True, text=True, cwd=os.path.dirname(os.path.dirname(path)))
    return [line for line in out.stdout.splitlines() if FINDING.match(line)]


def context(root: str, finding: str, before: int = 4) -> str:
    m = FINDING.match(finding)
    assert m is not None
    try:
        with open(os.path.join(root, m.group("path")), encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return finding
    k = int(m.group("line"))
    shown = [f"{i + 1:6}{'>' if i + 1 == k else ' '} {lines[i][:150]}" for i in range(max(0, k - 1 - before), min(len(lines), k + 1))]
    return "### " + finding + "\n" + "\n".join(shown)


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default="/tmp/n1corpus")
    parser.add_argument("--install", action="store_true")
    parser.add_argument("--select", default="FFT2,FFT108")
    parser.add_argument("--sample", type=int, default=0)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    if args.install:
        install(args.corpus)
    totals: Dict[str, collections.Counter] = {}
    for name, (requirement, package) in APPS.items():
        path = package_dir(args.corpus, requirement, package)
        if not os.path.isdir(path):
            print(f"{name}: not installed ({path}); run with --install", file=sys.stderr)
            continue
        start = time.time()
        found = lint(path, args.select)
        elapsed = time.time() - start
        root = os.path.dirname(os.path.dirname(path))
        with open(os.path.join(args.corpus, f"findings-{name}.txt"), "w", encoding="utf-8") as fh:
            fh.write("\n".join(found) + "\n")
        shown = list(found)
        if args.sample and len(shown) > args.sample:
            random.Random(args.seed).shuffle(shown)
            shown = shown[: args.sample]
        with open(os.path.join(args.corpus, f"judge-{name}.txt"), "w", encoding="utf-8") as fh:
            fh.write("\n".join(context(root, f) for f in shown) + "\n")
        totals[name] = collections.Counter(FINDING.match(f).group("code") for f in found)  # type: ignore[union-attr]
        print(f"{name}: {len(found)} findings in {elapsed:.1f} s wall: {dict(sorted(totals[name].items()))}")
    everything: collections.Counter = collections.Counter()
    for counts in totals.values():
        everything.update(counts)
    print(f"all: {sum(everything.values())} findings: {dict(sorted(everything.items()))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
