#!/usr/bin/env python
"""Side-by-side benchmark: fftlint vs Fixit, flake8 + flake8-async, ruff, and a bare
LibCST parse, on the stdlib of the running interpreter and a fixed 66k-line part of it.

    python bench/run.py                 # full benchmark, writes bench/RESULTS.md
    python bench/run.py --quick         # subset only, one run each
    python bench/run.py --runs 5 --peers-on-full

Run it with the interpreter whose stdlib should be linted and which has fftlint installed
(the repository's ``.venv/bin/python``). Peers are installed into a throwaway venv
(``--venv``, default ``/tmp/fftlint-bench-venv``), never into the project's environment.

Every command runs in a fresh wrapper process that reports the command's wall time, its
CPU time (user + sys of the whole process tree) and its peak RSS (``ru_maxrss`` of the
largest single process in the tree, i.e. per worker). Medians over ``--runs`` runs.
Linters get the same explicit file list (fftlint's discovery of the directory with its
default excludes, e.g. ``site-packages``), caches off unless measured on purpose.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from typing import Dict, List, Optional, Sequence

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
STDLIB = sysconfig.get_paths()["stdlib"]
PEERS = ("fixit", "flake8", "flake8-async", "ruff", "libcst")

#: The fixed, documented subset (~66k lines on CPython 3.11): whole stdlib packages.
SUBSET = (
    "asyncio",
    "concurrent",
    "email",
    "http",
    "importlib",
    "json",
    "logging",
    "multiprocessing",
    "urllib",
    "xml",
)

_WRAPPER = r"""
import json, resource, subprocess, sys, time
cmd = json.loads(sys.argv[1])
start = time.perf_counter()
proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - start
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "maxrss_kb": ru.ru_maxrss,
                  "rc": proc.returncode, "stderr": proc.stderr.decode("utf-8", "replace")[-2000:]}))
"""

_PARSE = r"""
import sys, libcst
for path in sys.argv[1:]:
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        libcst.parse_module(data)
    except Exception:
        pass
"""


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def measure(cmd: Sequence[str], env: Optional[Dict[str, str]] = None, cwd: Optional[str] = None) -> Dict:
    out = subprocess.run(
        [sys.executable, "-c", _WRAPPER, json.dumps(list(cmd))],
        stdout=subprocess.PIPE,
        env=env,
        cwd=cwd,
        check=True,
    )
    return json.loads(out.stdout)


def repeat(name: str, cmd: Sequence[str], runs: int, ok_codes=(0, 1), **kw) -> Dict:
    samples = []
    for i in range(runs):
        m = measure(cmd, **kw)
        if m["rc"] not in ok_codes:
            raise SystemExit(f"{name} failed (exit {m['rc']}): {m['stderr']}")
        samples.append(m)
        tail = m["stderr"].strip().splitlines()[-1:] if m["stderr"].strip() else []
        log(f"{name} run {i + 1}/{runs}: wall {m['wall']:.2f}s cpu {m['cpu']:.2f}s rss {m['maxrss_kb'] / 1024:.0f}MB {tail}")
    return {
        "wall": statistics.median(s["wall"] for s in samples),
        "cpu": statistics.median(s["cpu"] for s in samples),
        "maxrss_mb": max(s["maxrss_kb"] for s in samples) / 1024,
        "runs": runs,
    }


def setup_venv(venv: str, skip_install: bool) -> Dict[str, str]:
    py = os.path.join(venv, "bin", "python")
    if not os.path.exists(py):
        log(f"creating {venv}")
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        skip_install = False
    if not skip_install:
        log("installing peers: " + " ".join(PEERS))
        subprocess.run([py, "-m", "pip", "install", "-q", *PEERS], check=True)
    versions = {}
    for name in PEERS:
        out = subprocess.run([py, "-m", "pip", "show", name], stdout=subprocess.PIPE, universal_newlines=True)
        for line in out.stdout.splitlines():
            if line.startswith("Version:"):
                versions[name] = line.split(":", 1)[1].strip()
    return versions


def file_list(paths: Sequence[str]) -> List[str]:
    from fftlint.config.settings import Settings
    from fftlint.engine.files import discover

    return discover(paths, Settings(root=STDLIB).excludes, STDLIB)


def materialize(files: Sequence[str], label: str) -> List[str]:
    """Copy the files (same relative layout) to a scratch directory: every tool then lints
    the very same bytes, and none treats them specially for living in the interpreter's
    installation (Fixit 2 silently skips files there)."""
    base = os.path.join(tempfile.gettempdir(), "fftlint-bench-data", label.replace(" ", "-"))
    shutil.rmtree(base, ignore_errors=True)
    out = []
    for path in files:
        rel = os.path.relpath(path, STDLIB)
        dest = os.path.join(base, "lib", rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(path, dest)
        out.append(dest)
    return out


def count_lines(files: Sequence[str]) -> int:
    total = 0
    for path in files:
        with open(path, "rb") as fh:
            total += fh.read().count(b"\n")
    return total


def machine() -> Dict[str, str]:
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        cpus = len(os.sched_getaffinity(0))  # type: ignore[attr-defined]
    except AttributeError:
        cpus = os.cpu_count() or 1
    return {
        "cpus": str(cpus),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def commit() -> str:
    try:
        sha = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE, universal_newlines=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"], stdout=subprocess.PIPE, universal_newlines=True).stdout.strip()
        return sha + (" (plus uncommitted changes in the working tree)" if dirty else "")
    except OSError:
        return "unknown"


def fftlint_cmd(*args: str) -> List[str]:
    return [sys.executable, "-m", "fftlint.cli", "--isolated", "--select", "ALL", "--exit-zero", *args]


#: Environment for fftlint runs: the snapshot first on sys.path, bytecode caching on
#: (a pip-installed fftlint has its .pyc files; PYTHONDONTWRITEBYTECODE would make every
#: run recompile fftlint's sources).
FFTLINT_ENV: Dict[str, str] = dict(os.environ)


def snapshot(ref: str) -> Dict[str, str]:
    """Export ``ref`` of the repository (committed files only) to a temporary directory,
    with ``rules/`` placed as ``fftlint/rules`` as the installed package has it, so edits
    other people make to the working tree during the benchmark do not leak into it."""
    sha = subprocess.run(["git", "-C", REPO, "rev-parse", ref], stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout.strip()
    target = os.path.join(tempfile.gettempdir(), f"fftlint-bench-src-{sha[:12]}")
    if not os.path.isdir(os.path.join(target, "fftlint", "rules")):
        shutil.rmtree(target, ignore_errors=True)
        os.makedirs(target)
        archive = subprocess.run(["git", "-C", REPO, "archive", sha], stdout=subprocess.PIPE, check=True).stdout
        subprocess.run(["tar", "-x", "-C", target], input=archive, check=True)
        if os.path.isdir(os.path.join(target, "rules")):
            shutil.move(os.path.join(target, "rules"), os.path.join(target, "fftlint", "rules"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
    env["PYTHONPATH"] = target
    subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.join(target, "fftlint")], env=env, check=True)
    FFTLINT_ENV.clear()
    FFTLINT_ENV.update(env)
    return {"sha": sha, "dir": target}


_INFO = r"""
import json, sys
from fftlint import api
from fftlint.config.settings import Settings
from fftlint.engine.prefilter import AstView, applicable, parse_ast, walked
files = sys.argv[1:]
config = api.make_config(Settings(), select=["ALL"])
rules = walked(config.rules)
total = 0
first = {r.code: [0, 0] for r in rules}
second = {r.code: [0, 0] for r in rules}
any1, any2 = [0, 0], [0, 0]
for f in files:
    with open(f, "rb") as fh:
        text = fh.read().decode("utf-8", "replace")
    n = text.count(chr(10))
    total += n
    passed = applicable(rules, text)
    tree = parse_ast(text, f) if passed else None
    view = AstView(tree, text, f, config.options) if tree is not None else None
    kept = []
    for r in passed:
        first[r.code][0] += 1
        first[r.code][1] += n
        check = getattr(r, "could_match", None)
        if view is None or not callable(check) or check(view):
            kept.append(r)
            second[r.code][0] += 1
            second[r.code][1] += n
    for seen, acc in ((passed, any1), (kept, any2)):
        if seen:
            acc[0] += 1
            acc[1] += n
total = total or 1
rows = [[r.code, r.name, first[r.code][0], 100.0 * first[r.code][1] / total, second[r.code][0], 100.0 * second[r.code][1] / total] for r in rules]
print(json.dumps({"rules": len(config.rules), "rows": rows, "any": [any1[0], 100.0 * any1[1] / total, any2[0], 100.0 * any2[1] / total]}))
"""


def prefilter_info(files: Sequence[str]) -> Optional[Dict]:
    out = subprocess.run([sys.executable, "-c", _INFO, *files], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=FFTLINT_ENV, universal_newlines=True)
    try:
        return json.loads(out.stdout)
    except ValueError:
        log(f"pre-filter table skipped (exit {out.returncode}): {out.stderr.strip()[-500:] or out.stdout[:200]!r}")
        return None


def bench_target(label: str, files: List[str], args: argparse.Namespace, venv: str, peers: bool) -> Dict:
    vbin = os.path.join(venv, "bin")
    one_core = ["taskset", "-c", "0"] if shutil.which("taskset") and args.pin else []
    res: Dict[str, Dict] = {}
    runs = args.full_runs if label == "whole stdlib" and args.full_runs else args.runs
    log(f"{label}: {len(files)} files")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write("\n".join(files))
    try:
        res["libcst_parse"] = repeat(f"{label} bare LibCST parse", [*one_core, os.path.join(vbin, "python"), "-c", _PARSE, *files], runs)
        measure(fftlint_cmd("--no-cache", "-j1", *files[:3]), env=FFTLINT_ENV)  # bytecode, OS caches
        res["fftlint_cold_1"] = repeat(f"{label} fftlint cold -j1", [*one_core, *fftlint_cmd("--no-cache", "-j1", *files)], runs, env=FFTLINT_ENV)
        res["fftlint_cold_2"] = repeat(f"{label} fftlint cold -j2", fftlint_cmd("--no-cache", "-j2", *files), runs, env=FFTLINT_ENV)
        cache_dir = tempfile.mkdtemp(prefix="fftlint-bench-cache-")
        try:
            measure(fftlint_cmd("--cache-dir", cache_dir, "-j2", *files), env=FFTLINT_ENV)  # fill
            res["fftlint_warm_1"] = repeat(
                f"{label} fftlint warm -j1", [*one_core, *fftlint_cmd("--cache-dir", cache_dir, "-j1", *files)], runs, env=FFTLINT_ENV
            )
        finally:
            shutil.rmtree(cache_dir, ignore_errors=True)
        res["ruff"] = repeat(f"{label} ruff", [os.path.join(vbin, "ruff"), "check", "--no-cache", "--isolated", "--exit-zero", "--quiet", *files], runs)
        res["ruff_1core"] = repeat(f"{label} ruff (1 core)", [*one_core, os.path.join(vbin, "ruff"), "check", "--no-cache", "--isolated", "--exit-zero", "--quiet", *files], runs)
        if peers:
            pr = args.peer_runs or runs
            res["flake8_async"] = repeat(
                f"{label} flake8+flake8-async -j1",
                [*one_core, os.path.join(vbin, "flake8"), "-j", "1", "--isolated", "--exit-zero", *files],
                pr,
            )
            res["fixit"] = repeat(f"{label} fixit", [*one_core, os.path.join(vbin, "fixit"), "lint", *files], pr, ok_codes=tuple(range(256)))
    finally:
        os.unlink(fh.name)
    return res


def small_file(args: argparse.Namespace) -> Dict:
    directory = tempfile.mkdtemp(prefix="fftlint-bench-small-")
    path = os.path.join(directory, "app.py")
    with open(path, "w") as fh:
        fh.write(
            "import asyncio\nimport time\n\n\nasync def handler(request):\n"
            "    time.sleep(0.1)\n    await asyncio.sleep(0)\n    return request\n\n\n"
            "def helper(items):\n    return [i * 2 for i in items]\n"
        )
    try:
        out = {
            "no_cache": repeat("small file --no-cache", fftlint_cmd("--no-cache", path), max(args.runs, 5), cwd=directory, env=FFTLINT_ENV),
            "cached": repeat("small file (cache)", fftlint_cmd(path), max(args.runs, 5), cwd=directory, env=FFTLINT_ENV),
        }
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return out


#: A ~100k-line project (the subset plus more packages of the stdlib) for the one-file run.
PROJECT_PACKAGES = SUBSET + ("unittest", "tomllib", "wsgiref", "sqlite3", "dbm", "ctypes", "xmlrpc", "html", "zoneinfo", "lib2to3", "curses", "idlelib")


def one_changed_file(args: argparse.Namespace) -> Dict:
    """A pre-commit hook on one changed file of a ~100k-line project whose cache is warm:
    the project (a ``pyproject.toml`` with ``[tool.fftlint]`` at its root) is linted once,
    then one file is edited before each timed run of ``fftlint --select ALL <that file>``,
    so every timed run lints it afresh against the cached facts of the rest."""
    base = tempfile.mkdtemp(prefix="fftlint-bench-project-")
    try:
        for name in PROJECT_PACKAGES:
            source = os.path.join(STDLIB, name)
            if os.path.isdir(source):
                shutil.copytree(source, os.path.join(base, name), ignore=shutil.ignore_patterns("__pycache__", "test", "tests"))
        with open(os.path.join(base, "pyproject.toml"), "w") as fh:
            fh.write("[tool.fftlint]\n")
        files = file_list([base])
        # as the console script runs: the working directory (a tree of stdlib-named
        # packages here) must not shadow the interpreter's own modules
        cmd = [sys.executable, "-c", "import sys; sys.path.pop(0); from fftlint.cli import main; sys.exit(main())", "--select", "ALL", "--exit-zero"]
        measure([*cmd, "."], env=FFTLINT_ENV, cwd=base)  # fill the cache
        target = os.path.join("asyncio", "tasks.py")
        samples = []
        for i in range(max(args.runs, 5)):
            with open(os.path.join(base, target), "a") as fh:
                fh.write(f"\n# edit {i}\n")
            m = measure([*cmd, target], env=FFTLINT_ENV, cwd=base)
            log(f"one changed file run {i + 1}: wall {m['wall']:.3f}s cpu {m['cpu']:.3f}s rss {m['maxrss_kb'] / 1024:.0f}MB")
            samples.append(m)
        return {
            "files": len(files),
            "lines": count_lines(files),
            "target": target,
            "wall": statistics.median(x["wall"] for x in samples),
            "cpu": statistics.median(x["cpu"] for x in samples),
            "maxrss_mb": max(x["maxrss_kb"] for x in samples) / 1024,
            "runs": len(samples),
        }
    finally:
        shutil.rmtree(base, ignore_errors=True)


def ratio(a: Optional[float], b: Optional[float]) -> str:
    if not a or not b:
        return "n/a"
    return f"{a / b:.2f}x"


def render(data: Dict) -> str:
    m = data["machine"]
    lines = [
        "# fftlint benchmark results",
        "",
        f"Generated by `bench/run.py` on {data['date']}; commit measured: `{data['commit']}`.",
        "",
        f"Command: `{data['command']}`",
        "",
        f"Machine: {m['cpus']} CPUs available ({m['cpu_model']}), Python {m['python']}, {m['platform']}.",
        f"Load average before / after: {m['load_before']} / {data.get('load_after', '?')} "
        "(the machine is shared; other processes were running, so wall times are noisy —",
        "CPU time, user + sys of the whole process tree, is the steadier number for one-core comparisons).",
        "",
        "fftlint ran from `git archive` of that commit (other people's uncommitted work excluded), bytecode compiled.",
        "Peers (throwaway venv): " + ", ".join(f"{k} {v}" for k, v in sorted(data["versions"].items())) + ".",
        f"Rules selected for fftlint: `--select ALL` ({data['rule_count']} rules).",
        ("One-core runs are pinned with `taskset -c 0`." if data["pinned"] else "Runs are not pinned; one-core comparisons use CPU time (Fixit runs its own process pool)."),
        "",
    ]
    for label, target in data["targets"].items():
        r = target["results"]
        base = r["libcst_parse"]["cpu"]
        lines += [
            f"## {label}: {target['files']} files, {target['lines']:,} lines",
            "",
            f"Files: {target['description']} (copied to a scratch directory; every tool gets the same explicit file list).",
            "",
            "| run | wall (median) | CPU (median) | CPU vs bare LibCST parse | peak RSS per process |",
            "|---|---:|---:|---:|---:|",
        ]
        names = [
            ("libcst_parse", "bare LibCST parse, 1 core"),
            ("fftlint_cold_1", "fftlint cold, 1 job"),
            ("fftlint_cold_2", "fftlint cold, 2 jobs"),
            ("fftlint_warm_1", "fftlint warm (nothing changed), 1 job"),
            ("flake8_async", "flake8 + flake8-async, 1 job"),
            ("fixit", "Fixit 2 (default rules)"),
            ("ruff", "ruff (all threads)"),
            ("ruff_1core", "ruff, 1 core"),
        ]
        for key, title in names:
            if key in r:
                x = r[key]
                lines.append(f"| {title} | {x['wall']:.2f} s | {x['cpu']:.2f} s | {ratio(x['cpu'], base)} | {x['maxrss_mb']:.0f} MB |")
        lines.append("")
        cold = r["fftlint_cold_1"]
        checks = [
            ("cold, 1 job <= 0.9x bare LibCST parse (stretch 0.5x)", f"{ratio(cold['cpu'], base)} (CPU)", cold["cpu"] <= 0.9 * base),
            (
                "warm <= 5% of cold (judged on CPU)",
                f"{100 * r['fftlint_warm_1']['cpu'] / cold['cpu']:.1f}% CPU, {100 * r['fftlint_warm_1']['wall'] / cold['wall']:.1f}% wall",
                r["fftlint_warm_1"]["cpu"] <= 0.05 * cold["cpu"],
            ),
            ("2 jobs >= 1.7x one-job throughput", f"{ratio(cold['wall'], r['fftlint_cold_2']['wall'])} (wall)", cold["wall"] >= 1.7 * r["fftlint_cold_2"]["wall"]),
            (
                "peak memory <= 300 MB per worker",
                f"{max(r[k]['maxrss_mb'] for k in ('fftlint_cold_1', 'fftlint_cold_2', 'fftlint_warm_1')):.0f} MB",
                max(r[k]["maxrss_mb"] for k in ("fftlint_cold_1", "fftlint_cold_2", "fftlint_warm_1")) <= 300,
            ),
        ]
        if "fixit" in r:
            checks.append((">= 30x faster than Fixit", f"{ratio(r['fixit']['cpu'], cold['cpu'])} (CPU)", r["fixit"]["cpu"] >= 30 * cold["cpu"]))
        if "flake8_async" in r:
            checks.append(
                (">= 20x faster than flake8 + flake8-async", f"{ratio(r['flake8_async']['cpu'], cold['cpu'])} (CPU)", r["flake8_async"]["cpu"] >= 20 * cold["cpu"])
            )
        lines += ["| target | measured | met |", "|---|---:|:---:|"]
        lines += [f"| {t} | {v} | {'yes' if ok else '**no**'} |" for t, v, ok in checks]
        lines.append("")
        info = target.get("prefilter")
        if info:
            lines += [
                "Pre-filter: files each rule lets through to LibCST after its `requires` strings, then after its "
                f"`could_match` check on the `ast` (project index not built here, so checks that consult it see none); "
                f"together {info['any'][2]} files, {info['any'][3]:.1f}% of the lines, are parsed "
                f"({info['any'][1]:.1f}% with strings alone).",
                "",
                "| rule | `requires`: files | lines | + `could_match`: files | lines |",
                "|---|---:|---:|---:|---:|",
            ]
            lines += [f"| {code} {name} | {n1} | {p1:.1f}% | {n2} | {p2:.1f}% |" for code, name, n1, p1, n2, p2 in info["rows"]]
            lines.append("")
    o = data.get("one_file")
    if o is not None:
        lines += [
            f"## One changed file in a {o['lines']:,}-line project ({o['files']} files), cache warm: a pre-commit hook",
            "",
            f"The project is linted once; then `{o['target']}` is edited before each of {o['runs']} runs of "
            f"`fftlint --select ALL {o['target']}` from the project root (its `pyproject.toml` makes the whole tree the project).",
            "",
            "| run | wall (median) | CPU (median) | peak RSS |",
            "|---|---:|---:|---:|",
            f"| one changed file | {o['wall']:.3f} s | {o['cpu']:.3f} s | {o['maxrss_mb']:.0f} MB |",
            "",
            f"Target < 0.5 s: {'met' if o['wall'] < 0.5 else '**not met**'} ({o['wall']:.3f} s wall, {o['cpu']:.3f} s CPU).",
            "",
        ]
    s = data.get("small")
    if s is None:
        return "\n".join(lines)
    lines += [
        "## One small file, end to end (interpreter start included)",
        "",
        "| run | wall (median) | CPU | peak RSS |",
        "|---|---:|---:|---:|",
        f"| `fftlint --no-cache app.py` | {s['no_cache']['wall']:.3f} s | {s['no_cache']['cpu']:.3f} s | {s['no_cache']['maxrss_mb']:.0f} MB |",
        f"| `fftlint app.py` (cache warm) | {s['cached']['wall']:.3f} s | {s['cached']['cpu']:.3f} s | {s['cached']['maxrss_mb']:.0f} MB |",
        "",
        f"Target <= 0.4 s: {'met' if s['no_cache']['wall'] <= 0.4 else '**not met**'} on wall time "
        f"({s['no_cache']['wall']:.3f} s without cache); CPU time {s['no_cache']['cpu']:.3f} s "
        f"({'within' if s['no_cache']['cpu'] <= 0.4 else 'over'} 0.4 s; the difference is time spent waiting for a CPU and for I/O).",
        "",
    ]
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="runs per measurement (median reported)")
    ap.add_argument("--peer-runs", type=int, default=0, help="runs for Fixit and flake8 (default: --runs)")
    ap.add_argument("--full-runs", type=int, default=0, help="runs on the whole stdlib (default: --runs)")
    ap.add_argument("--quick", action="store_true", help="subset only, one run each")
    ap.add_argument("--peers-on-full", action="store_true", help="also run Fixit and flake8 on the whole stdlib (tens of minutes)")
    ap.add_argument("--no-full", action="store_true", help="skip the whole-stdlib target")
    ap.add_argument("--venv", default=os.path.join(tempfile.gettempdir(), "fftlint-bench-venv"))
    ap.add_argument("--skip-install", action="store_true", help="reuse the peers already in --venv")
    ap.add_argument("--pin", action="store_true", help="pin one-core runs to CPU 0 with taskset (CPU times are reported either way)")
    ap.add_argument("--output", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument("--json", default=os.path.join(tempfile.gettempdir(), "fftlint-bench.json"))
    ap.add_argument("--commit", default="HEAD", help="the commit to measure (exported from git; default HEAD)")
    ap.add_argument("--render-only", action="store_true", help="re-render --output from an existing --json")
    args = ap.parse_args(argv)
    if args.render_only:
        with open(args.json) as fh:
            text = render(json.load(fh))
        with open(args.output, "w") as fh:
            fh.write(text)
        print(text)
        return 0
    if args.quick:
        args.runs = 1
        args.no_full = True

    snap = snapshot(args.commit)
    data: Dict = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": snap["sha"][:12],
        "command": " ".join(["python", os.path.relpath(os.path.abspath(__file__), REPO), *(argv if argv is not None else sys.argv[1:])]),
        "machine": machine(),
        "versions": setup_venv(args.venv, args.skip_install),
        "rule_count": 0,
        "pinned": args.pin and bool(shutil.which("taskset")),
        "targets": {},
    }
    subset_files = file_list([os.path.join(STDLIB, d) for d in SUBSET])
    targets = [("stdlib part", subset_files, "the packages " + ", ".join(f"`{d}`" for d in SUBSET) + f" of `{STDLIB}`", True)]
    if not args.no_full:
        full = file_list([STDLIB])
        targets.append(("whole stdlib", full, f"`{STDLIB}` minus fftlint's default excludes (`site-packages`, `venv`, ...)", args.peers_on_full))
    for label, files, description, peers in targets:
        files = materialize(files, label)
        info = prefilter_info(files)
        if info is not None:
            data["rule_count"] = info["rules"]
        data["targets"][label] = {
            "files": len(files),
            "lines": count_lines(files),
            "description": description,
            "prefilter": info,
            "results": bench_target(label, files, args, args.venv, peers),
        }
        with open(args.json, "w") as fh:
            json.dump(data, fh, indent=1)
    data["one_file"] = one_changed_file(args)
    data["small"] = small_file(args)
    data["machine"]["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    data["load_after"] = data["machine"]["load_after"]
    with open(args.json, "w") as fh:
        json.dump(data, fh, indent=1)
    text = render(data)
    with open(args.output, "w") as fh:
        fh.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
