"""FFT3xx against ruff on real async code: dangling tasks (RUF006 / FFT302) and cached
methods (B019 / FFT303), plus every FFT3xx finding listed for judging by hand.

A script, not a test. It installs a fixed set of async libraries and applications from
PyPI into a scratch folder (``--corpus``, ``pip install --no-deps --target``; nothing of
theirs is ever committed), runs ``ruff check --select RUF006,B019 --isolated`` and
``fftlint check --select FFT302,FFT303`` on the same packages, and matches findings by
(file, line). Then it runs ``--select FFT3`` once and writes every finding to
``--findings`` for the hand judgement recorded in ``bench/LEAKS_RESULTS.md``.

    python bench/leaks_parity.py --install            # first time (needs PyPI)
    python bench/leaks_parity.py --ruff /tmp/ruffvenv/bin/ruff
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from typing import Dict, List, Set, Tuple

#: package (pip requirement) -> top-level folders it installs that are linted
CORPUS: Dict[str, Tuple[str, ...]] = {
    "aiohttp==3.14.5": ("aiohttp",),
    "distributed==2026.8.0": ("distributed",),
    "jupyter_server==2.21.1": ("jupyter_server",),
    "ipykernel==7.4.0": ("ipykernel",),
    "textual==8.2.8": ("textual",),
    "pymodbus==3.16.1": ("pymodbus",),
    "aiokafka==0.14.0": ("aiokafka",),
    "nats-py==2.16.0": ("nats",),
    "websockets==17.4": ("websockets",),
    "uvicorn==0.55.0": ("uvicorn",),
    "sanic==25.12.1": ("sanic",),
    "aiogram==3.31.0": ("aiogram",),
    "telethon==1.45.0": ("telethon",),
    "slack_bolt==1.30.0": ("slack_bolt",),
    "mitmproxy==11.0.2": ("mitmproxy",),
    "homeassistant==2024.1.0": ("homeassistant",),
}
PAIRS = {"RUF006": "FFT302", "B019": "FFT303"}
LINE = re.compile(r"^(?P<path>[^:\s]+):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+) (?P<message>.*)$")

Finding = Tuple[str, int, str]


def parse(text: str, codes: Set[str]) -> Dict[Finding, str]:
    out: Dict[Finding, str] = {}
    for line in text.splitlines():
        m = LINE.match(line)
        if m and m.group("code") in codes:
            out[(m.group("path"), int(m.group("line")), m.group("code"))] = m.group("message")
    return out


def run(cmd: List[str], cwd: str) -> Tuple[str, float]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True)
    return proc.stdout, time.perf_counter() - start


def main(argv: List[str] = None) -> int:  # type: ignore[assignment]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default="/tmp/leakcorpus")
    parser.add_argument("--ruff", default="ruff")
    parser.add_argument("--install", action="store_true", help="pip install the corpus first")
    parser.add_argument("--findings", default="/tmp/leakcorpus-fft3.txt", help="where to write every FFT3xx finding")
    args = parser.parse_args(argv)
    if args.install:
        os.makedirs(args.corpus, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", args.corpus, *CORPUS], check=True)
    folders = [f for dirs in CORPUS.values() for f in dirs if os.path.isdir(os.path.join(args.corpus, f))]
    if not folders:
        print(f"no corpus in {args.corpus}: run with --install", file=sys.stderr)
        return 2
    fftlint = [sys.executable, "-m", "fftlint", "check", "--no-cache", "--exit-zero", "-j", "1"]
    ruff_out, ruff_s = run([args.ruff, "check", "--select", ",".join(PAIRS), "--isolated", "--output-format", "concise", *folders], args.corpus)
    fft_out, fft_s = run([*fftlint, "--select", ",".join(PAIRS.values()), *folders], args.corpus)
    ruff = {(p, n, PAIRS[c]): m for (p, n, c), m in parse(ruff_out, set(PAIRS)).items()}
    ours = parse(fft_out, set(PAIRS.values()))
    print(f"corpus: {len(folders)} packages in {args.corpus}")
    print("| pair | ruff | fftlint | both | ruff only | fftlint only |")
    print("|---|---:|---:|---:|---:|---:|")
    for peer, code in PAIRS.items():
        r = {k for k in ruff if k[2] == code}
        f = {k for k in ours if k[2] == code}
        print(f"| {peer} / {code} | {len(r)} | {len(f)} | {len(r & f)} | {len(r - f)} | {len(f - r)} |")
    for key in sorted(set(ruff) - set(ours)):
        print("ruff only:", *key)
    for key in sorted(set(ours) - set(ruff)):
        print("fftlint only:", *key)
    all_out, all_s = run([*fftlint, "--select", "FFT3", *folders], args.corpus)
    every = parse(all_out, {f"FFT30{i}" for i in range(10)})
    with open(args.findings, "w", encoding="utf-8") as fh:
        for (path, line, code), message in sorted(every.items()):
            fh.write(f"{path}:{line}: {code} {message}\n")
    counts: Dict[str, int] = {}
    for _, _, code in every:
        counts[code] = counts.get(code, 0) + 1
    print(f"--select FFT3: {len(every)} findings {dict(sorted(counts.items()))}, listed in {args.findings}")
    print(f"wall time (one job, no cache): ruff {ruff_s:.1f} s, fftlint FFT302+FFT303 {fft_s:.1f} s, fftlint FFT3 {all_s:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
