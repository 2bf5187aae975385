"""FFT504 (sql-composite-index) on real applications: how many of its findings are right?

Installs pinned releases of ORM-heavy applications from the package index into
``--workdir`` (``pip install --no-deps --target``: their code only, nothing is imported or
run), lints each with ``fftlint check --select FFT504 --isolated``, and compares every
finding with the hand judgement in ``bench/composite_judged.tsv`` (``key``, ``true`` /
``false``, one-line reason; ``key`` is ``project/path:line``). Prints a Markdown report:
the findings with their judgement, findings nobody has judged yet, judged findings that
went away, and the precision.

Usage::

    python bench/composite_corpus.py [--workdir /tmp/composite-corpus] [--skip-install]

It is a script, not a test: it needs the package index and a few minutes.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import time
from typing import Dict, List, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
JUDGED = os.path.join(HERE, "composite_judged.tsv")

#: (project, pinned requirement, package folders to lint)
PROJECTS: List[Tuple[str, str, Tuple[str, ...]]] = [
    ("django-oscar", "django-oscar==4.2.1", ("oscar",)),
    ("wagtail", "wagtail==8.0.1", ("wagtail",)),
    ("pretix", "pretix==2026.8.0", ("pretix",)),
    ("indico", "indico==3.2.9", ("indico",)),
    ("label-studio", "label-studio==1.23.2", ("label_studio",)),
    ("lemur", "lemur==1.9.3", ("lemur",)),
    ("mlflow", "mlflow==3.18.0", ("mlflow",)),
    ("prefect", "prefect==3.9.1", ("prefect",)),
    ("weblate", "weblate==5.14.3", ("weblate",)),
    ("pulpcore", "pulpcore==3.123.1", ("pulpcore",)),
    ("ckan", "ckan==2.12.0", ("ckan",)),
    ("apache-superset", "apache-superset==6.1.0", ("superset",)),
    ("misago", "misago==0.39.6", ("misago",)),
    ("hyperkitty", "hyperkitty==1.3.12", ("hyperkitty",)),
    ("django-cms", "django-cms==5.1.3", ("cms",)),
]
FINDING = re.compile(r"^(?P<path>.+?):(?P<line>\d+):\d+: (?P<code>FFT\d{3}) (?P<message>.*)$")


def install(workdir: str, project: str, requirement: str) -> None:
    target = os.path.join(workdir, project)
    if os.path.isdir(target):
        return
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", target, requirement], check=True)


def python_lines(folder: str) -> int:
    total = 0
    for dirpath, _, files in os.walk(folder):
        for name in files:
            if name.endswith(".py"):
                with open(os.path.join(dirpath, name), "rb") as fh:
                    total += fh.read().count(b"\n")
    return total


def lint(workdir: str, project: str, folders: Tuple[str, ...]) -> Tuple[List[Tuple[str, str]], float]:
    base = os.path.join(workdir, project)
    paths = [os.path.join(base, f) for f in folders if os.path.isdir(os.path.join(base, f))]
    start = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-m", "fftlint", "check", "--select", "FFT504", "--isolated", "--no-cache", "-q", *paths],
        capture_output=True,
        text=True,
    )
    elapsed = time.monotonic() - start
    findings = []
    for line in out.stdout.splitlines():
        m = FINDING.match(line)
        if m and m.group("code") == "FFT504":
            rel = os.path.relpath(m.group("path"), workdir).replace(os.sep, "/")
            findings.append((f"{rel}:{m.group('line')}", m.group("message")))
    return findings, elapsed


def judged() -> Dict[str, Tuple[str, str]]:
    out: Dict[str, Tuple[str, str]] = {}
    with open(JUDGED, encoding="utf-8") as fh:
        for row in csv.reader((line for line in fh if line.strip() and not line.startswith("#")), delimiter="\t"):
            out[row[0]] = (row[1], row[2] if len(row) > 2 else "")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--workdir", default="/tmp/composite-corpus")
    parser.add_argument("--skip-install", action="store_true")
    args = parser.parse_args(argv)
    os.makedirs(args.workdir, exist_ok=True)
    verdicts = judged()
    rows, new, lines, seconds = [], [], 0, 0.0
    seen = set()
    for project, requirement, folders in PROJECTS:
        if not args.skip_install:
            install(args.workdir, project, requirement)
        lines += sum(python_lines(os.path.join(args.workdir, project, f)) for f in folders)
        findings, elapsed = lint(args.workdir, project, folders)
        seconds += elapsed
        for key, message in findings:
            seen.add(key)
            if key in verdicts:
                rows.append((key, verdicts[key][0], verdicts[key][1], message))
            else:
                new.append((key, message))
    true = sum(1 for r in rows if r[1] == "true")
    print(f"# FFT504 on {len(PROJECTS)} applications ({lines:,} lines of Python), {seconds:.0f} s\n")
    print("| finding | judged | why |\n| --- | --- | --- |")
    for key, verdict, why, _ in rows:
        print(f"| `{key}` | {verdict} | {why} |")
    if new:
        print("\n## Not judged yet\n")
        for key, message in new:
            print(f"- `{key}`: {message}")
    gone = sorted(k for k in verdicts if k not in seen)
    if gone:
        print("\n## Judged, no longer reported\n")
        for key in gone:
            print(f"- `{key}` ({verdicts[key][0]}: {verdicts[key][1]})")
    if rows:
        print(f"\nPrecision: {true}/{len(rows)} = {true / len(rows):.0%} of the judged findings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
