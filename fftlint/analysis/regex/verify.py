"""Dynamic confirmation: time CPython's ``re`` on an attack in a killable child.

The child only compiles and runs the *pattern string* (never linted code) on
``prefix + pump * n + suffix`` for a growing schedule of ``n`` and prints one timing
per line; the parent stops it at ``timeout_s``.
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import List, Optional, Tuple, Union

_CHILD = r"""
import json, re, sys, time
cfg = json.loads(sys.stdin.readline())
pat = cfg["pattern"]
if cfg["bytes"]:
    pat = pat.encode("latin-1")
rx = re.compile(pat, cfg["flags"] & ~re.DEBUG)  # DEBUG only prints the parse tree
fn = getattr(rx, cfg["mode"])
pre, pump, suf = cfg["prefix"], cfg["pump"], cfg["suffix"]
for n in cfg["ns"]:
    s = pre + pump * n + suf
    if cfg["bytes"]:
        s = s.encode("latin-1", "replace")
    dt = None
    runs, i = 3, 0
    while i < runs:  # the minimum of a few runs: a busy machine only ever adds time
        t = time.perf_counter()
        fn(s)
        once = time.perf_counter() - t
        dt = once if dt is None else min(dt, once)
        if once > 0.2:
            break  # slow enough to measure reliably (and to cost the time budget)
        if once > 0.02:
            runs = 2  # the sizes the growth is read from: one pause must not skew a step
        i += 1
    sys.stdout.write("%d %.9f\n" % (n, dt))
    sys.stdout.flush()
    if dt > cfg["stop"]:
        break
"""


@dataclass(frozen=True)
class Verification:
    confirmed: bool
    growth: str                       # "exponential" | "polynomial" | "linear" | "unknown"
    timings: Tuple[Tuple[int, float], ...] = field(default=())
    degree: float = 0.0
    timed_out: bool = False


def _schedule(kind: str, pump_len: int) -> List[int]:
    if kind == "exponential":
        return list(range(2, 80, 1))
    base = max(1, 64 // max(1, pump_len))
    return [base * (2 ** k) for k in range(0, 12)]


def _run(pattern: str, is_bytes: bool, flags: int, attack, mode: str, ns: List[int],
         timeout_s: float, stop: float) -> Tuple[List[Tuple[int, float]], bool]:
    cfg = {"pattern": pattern, "bytes": is_bytes, "flags": flags, "mode": mode,
           "prefix": attack.prefix, "pump": attack.pump, "suffix": attack.suffix,
           "ns": ns, "stop": stop}
    env = dict(os.environ)
    env.pop("PYTHONSTARTUP", None)
    proc = subprocess.Popen([sys.executable, "-I", "-c", _CHILD], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                            text=True)
    timed_out = False
    try:
        out, _ = proc.communicate(json.dumps(cfg) + "\n", timeout=timeout_s)
    except subprocess.TimeoutExpired:
        timed_out = True
        proc.kill()
        out, _ = proc.communicate()
    res = []
    for line in (out or "").splitlines():
        try:
            n, t = line.split()
            res.append((int(n), float(t)))
        except ValueError:
            pass
    return res, timed_out


def _classify(timings: List[Tuple[int, float]], timed_out: bool) -> Tuple[str, float]:
    pts = [(n, t) for n, t in timings if t > 2e-4]
    if len(pts) < 2:
        if timed_out and timings:
            return "exponential", 0.0
        return "linear", 1.0
    (n1, t1), (n2, t2) = pts[-2], pts[-1]
    if n2 == n1 or t1 <= 0:
        return "unknown", 0.0
    slope = math.log(t2 / t1) / math.log(n2 / n1)
    per_step = (t2 / t1) ** (1.0 / (n2 - n1))
    return ("poly", slope) if per_step < 1.25 or n2 > 2 * n1 - 1 else ("exp", per_step)


def verify(pattern: Union[str, bytes], flags: int, attack, mode: str = "search",
           timeout_s: float = 2.0) -> Verification:
    """Run ``re`` on ``attack.build(n)`` for growing ``n``; classify the growth."""
    if attack is None:
        return Verification(False, "unknown")
    is_bytes = isinstance(pattern, bytes)
    text = pattern.decode("latin-1") if is_bytes else pattern
    # exponential probe: n = 2, 3, 4 ... until one call takes > 0.1 s
    t0 = time.perf_counter()
    exp_t, exp_to = _run(text, is_bytes, flags, attack, mode, _schedule("exponential", 1),
                         timeout_s / 2, 0.1)
    growth = "linear"
    degree = 0.0
    if exp_to and len(exp_t) <= 1:
        # even the smallest sizes do not finish: nothing polynomial is that slow
        return Verification(True, "exponential", tuple(exp_t), 0.0, exp_to)
    if exp_t and (exp_t[-1][1] > 0.1 or exp_to):
        # did it blow up at a small n with multiplicative steps?
        last_n, last_t = exp_t[-1]
        if exp_to and last_t < 0.1:
            last_n, last_t = last_n + 1, timeout_s / 2      # the next size did not finish
        before = [(n, t) for n, t in exp_t if n < last_n]
        if last_n <= 64 and before:
            reliable = [(n, t) for n, t in before if t >= 1e-4]
            if reliable:
                n_k, t_k = reliable[-1]
                exp_like = (last_t / t_k) ** (1.0 / (last_n - n_k)) > 1.5
            else:
                exp_like = last_t / max(before[-1][1], 1e-6) > 50
            if exp_like:
                return Verification(True, "exponential", tuple(exp_t), 0.0, exp_to)
    remaining = max(0.2, timeout_s - (time.perf_counter() - t0))
    poly_t, poly_to = _run(text, is_bytes, flags, attack, mode,
                           _schedule("polynomial", len(attack.pump)), remaining, 0.25)
    growth, degree = _poly_growth(exp_t + poly_t)
    if growth == "linear" and poly_to and len(poly_t) <= 2:
        growth, degree = "polynomial", 2.0
    return Verification(growth != "linear", growth, tuple(exp_t + poly_t),
                        round(degree, 2), poly_to)


def _poly_growth(timings) -> Tuple[str, float]:
    """log-log slope of the largest sizes that took measurable time, at least 1.5x
    apart. With enough points, the smaller of the last two step slopes counts: one
    timing inflated by a busy machine (a pause, a descheduled child) must not turn a
    linear pattern into a "confirmed" polynomial one; real growth shows on every step."""
    best: dict = {}
    for n, t in timings:
        if t >= 2e-4:
            best[n] = min(best.get(n, t), t)
    ns = sorted(best)
    if len(ns) < 2:
        return "linear", 1.0

    def step(n2: int) -> Optional[float]:
        smaller = [n for n in ns if n < n2]
        cands = [n for n in smaller if n2 >= 1.9 * n and best[n] >= 1e-3] or [n for n in smaller if n2 >= 1.5 * n]
        if not cands:
            return None
        n1 = cands[-1]
        return math.log(best[n2] / best[n1]) / math.log(n2 / n1)

    last = step(ns[-1])
    if last is None:
        return "linear", 1.0
    slope = last
    earlier = [n for n in ns[:-1] if ns[-1] >= 1.5 * n]
    if earlier:
        previous = step(earlier[-1])
        if previous is not None and best[earlier[-1]] >= 1e-3:
            slope = min(last, previous)
    if slope >= 6:
        return "exponential", slope
    return ("polynomial" if slope >= 1.4 else "linear"), slope
