"""Does ``fftlint --fix --unsafe-fixes`` break real projects? (issue 13)

For each library below: download its sdist from the package index (source, with its test
suite), unpack it twice under ``--workdir`` (a pristine copy and one to fix), run its tests,
apply ``fftlint --fix --unsafe-fixes`` to the copy, run the tests again, and record what
changed. Nothing is installed into fftlint's environment: the libraries' tests run in a
throwaway venv (``--workdir``/venv) that imports the library from its source tree.

Usage::

    python bench/fix_corpus.py [--workdir /tmp/fixcorpus] [--only aiosqlite ...]
        [--fftlint PATH-TO-fftlint | --fftlint-src OLD-SOURCE-TREE]

Prints a Markdown table (and the per-library fixes applied). It is a script, not a test:
it needs the network (the package index) and minutes of time.
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple


@dataclass
class Library:
    name: str
    version: str
    test: List[str]  # command, run in the source tree with the corpus venv's python
    pythonpath: str = "."  # relative to the source tree
    stdlib: bool = False  # a package of the standard library (copied, tested with `test`)


LIBRARIES = [
    Library("aiosqlite", "0.22.1", ["-m", "unittest", "aiosqlite.tests"]),
    Library("aiofiles", "25.1.0", ["-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider", "tests"], "src"),
    Library("asgiref", "3.13.0", ["-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider", "tests"]),
    Library("janus", "2.0.0", ["-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider", "-o", "addopts=", "tests"]),
    Library("aiosmtplib", "5.1.3", ["-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider", "tests"], "src"),
    Library("aioitertools", "0.13.0", ["-m", "unittest", "aioitertools.tests"]),
    # the standard library's own asyncio (a copy shadows it on PYTHONPATH), tested by
    # CPython's test_asyncio for the modules the fixes touched
    Library(
        "asyncio",
        "stdlib",
        ["-m", "unittest", "test.test_asyncio.test_base_events", "test.test_asyncio.test_unix_events"],
        stdlib=True,
    ),
]
#: what the libraries' test suites need (never the libraries themselves: they are imported
#: from the source tree being fixed)
TEST_DEPENDENCIES = ["pytest", "pytest-asyncio", "pytest-cov", "hypothesis", "aiosmtpd", "trustme"]


def run(cmd: List[str], cwd: Optional[str] = None, env: Optional[Dict[str, str]] = None, timeout: int = 900) -> Tuple[int, str]:
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    return proc.returncode, proc.stdout.decode(errors="replace")


def ensure_venv(workdir: str) -> str:
    venv = os.path.join(workdir, "venv")
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        run([sys.executable, "-m", "venv", venv])
        code, out = run([python, "-m", "pip", "install", "-q", *TEST_DEPENDENCIES], timeout=1800)
        if code:
            raise SystemExit(f"cannot install the test dependencies:\n{out}")
    return python


def fetch(workdir: str, lib: Library, python: str = sys.executable) -> str:
    """The unpacked pristine source tree of ``lib``."""
    if lib.stdlib:
        pristine = os.path.join(workdir, "pristine", f"{lib.name}-{lib.version}")
        if not os.path.isdir(pristine):
            _, where = run([python, "-c", f"import {lib.name}, os; print(os.path.dirname({lib.name}.__file__))"])
            shutil.copytree(where.strip(), os.path.join(pristine, lib.name))
        return pristine
    sdists = os.path.join(workdir, "sdists")
    os.makedirs(sdists, exist_ok=True)
    pattern = os.path.join(sdists, f"{lib.name}-{lib.version}.tar.gz")
    if not glob.glob(pattern):
        code, out = run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:", "-d", sdists, f"{lib.name}=={lib.version}"]
        )
        if code:
            raise SystemExit(f"cannot download {lib.name}:\n{out}")
    pristine = os.path.join(workdir, "pristine", f"{lib.name}-{lib.version}")
    if not os.path.isdir(pristine):
        with tarfile.open(glob.glob(pattern)[0]) as tar:
            tar.extractall(os.path.join(workdir, "pristine"))
    return pristine


def summary(output: str) -> str:
    """The test runner's closing line (pytest's or unittest's)."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in reversed(lines):
        if re.search(r"\b(passed|failed|error)", line) and ("=" in line or " in " in line):
            return line.strip("= ")
    ran = next((line for line in reversed(lines) if line.startswith("Ran ")), "")
    status = next((line for line in reversed(lines) if line.startswith(("OK", "FAILED"))), "")
    return f"{ran}: {status}" if ran else (lines[-1] if lines else "(no output)")


_FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+::\S+)|^(?:FAIL|ERROR): (\S+) \(", re.M)


def failures(output: str) -> List[str]:
    """Ids of the failed and errored tests (pytest's ``-rfE`` lines, unittest's headers)."""
    return sorted({a or b for a, b in _FAILED.findall(output)})


def tests(python: str, tree: str, lib: Library) -> Tuple[int, str, float]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.join(tree, lib.pythonpath)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.perf_counter()
    code, out = run([python, *lib.test], cwd=tree, env=env)
    return code, out, time.perf_counter() - start


def _first_error(output: str) -> str:
    """The last frames and the message of the first failure in a test run's output."""
    lines = output.splitlines()
    ends = [i for i, line in enumerate(lines) if re.match(r"^[A-Za-z_.]*(Error|Exception)\b.*:", line)]
    if not ends:
        return "\n".join(lines[-15:])
    end = ends[0]
    return "\n".join(line.replace(os.getcwd(), ".") for line in lines[max(0, end - 6): end + 1])


def _timeless(line: str) -> str:
    return re.sub(r" in [0-9.]+s\b", "", line)


def changed_files(pristine: str, fixed: str) -> List[str]:
    """The Python files of ``pristine`` whose copy in ``fixed`` differs."""
    out = []
    for dirpath, _, files in os.walk(pristine):
        for name in files:
            if not name.endswith(".py"):
                continue
            a = os.path.join(dirpath, name)
            b = os.path.join(fixed, os.path.relpath(a, pristine))
            with open(a, "rb") as fa, open(b, "rb") as fb:
                if fa.read() != fb.read():
                    out.append(os.path.relpath(a, pristine))
    return sorted(out)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default="/tmp/fixcorpus")
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--fftlint", default=shutil.which("fftlint") or "fftlint")
    parser.add_argument("--diffs", action="store_true", help="print the full diffs (their code: keep them out of commits)")
    parser.add_argument("--fftlint-src", help="run `python -m fftlint` from this source tree instead "
                        "(e.g. a `git archive` of an older commit, to compare)")
    args = parser.parse_args(argv)
    fftlint_cmd = [args.fftlint]
    fftlint_env = None
    if args.fftlint_src:
        fftlint_cmd = [sys.executable, "-m", "fftlint"]
        fftlint_env = dict(os.environ, PYTHONPATH=args.fftlint_src)
    python = ensure_venv(args.workdir)
    rows = []
    details = []
    for lib in LIBRARIES:
        if args.only and lib.name not in args.only:
            continue
        pristine = fetch(args.workdir, lib, python)
        work = os.path.join(args.workdir, "fixed", os.path.basename(pristine))
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(pristine, work, symlinks=True)
        before_code, before_out, _ = tests(python, work, lib)
        fix_code, fix_out = run([*fftlint_cmd, "--fix", "--unsafe-fixes", "--show-fixes", "--no-cache", "--exit-zero", "."], cwd=work, env=fftlint_env)
        found = re.search(r"Fixed (\d+) problem", fix_out)
        applied = int(found.group(1)) if found else 0
        if fix_code not in (0, 1):
            print(f"{lib.name}: fftlint exited {fix_code}:\n{fix_out[-2000:]}", file=sys.stderr)
        changed = changed_files(pristine, work)
        after_code, after_out, _ = tests(python, work, lib)
        _, diff = run(["diff", "-ru", "-x", "__pycache__", "-x", "*.pyc", "-x", ".pytest_cache", pristine, work])
        diff = diff.replace(pristine + "/", "a/").replace(work + "/", "b/")
        diff = "\n".join(line for line in diff.splitlines() if not line.startswith(("diff -ru", "Only in ")))
        newly = sorted(set(failures(after_out)) - set(failures(before_out)))
        rows.append((lib, summary(before_out), before_code, applied, len(changed), summary(after_out), after_code, newly))
        details.append((lib, diff, fix_out, after_out if newly or after_code != before_code else "", failures(before_out)))
        print(f"{lib.name}: before {summary(before_out)} -> after {summary(after_out)}; {len(changed)} files changed", file=sys.stderr)
    print("| library | tests before | fixes applied | files changed | tests after | newly failing |")
    print("|---|---|---:|---:|---|---|")
    for lib, before, bcode, applied, nchanged, after, acode, newly in rows:
        broken = ", ".join(f"`{t}`" for t in newly[:3]) + (f" (+{len(newly) - 3} more)" if len(newly) > 3 else "")
        if not newly:
            broken = "none" if bcode == acode else f"**exit {bcode} -> {acode}**"
        else:
            broken = f"**{len(newly)}**: {broken}"
        print(f"| {lib.name} {lib.version} | {_timeless(before)} | {applied} | {nchanged} | {_timeless(after)} | {broken} |")
    for lib, diff, fix_out, failure, failing_before in details:
        print(f"\n### {lib.name} {lib.version}\n")
        if failing_before:
            print("Failing before any fix (the environment, not fftlint): " + ", ".join(f"`{t}`" for t in failing_before) + "\n")
        fixed = fix_out.partition("Fixed:\n")[2].split("\n\n")[0].strip()
        print("Fixes applied (`--show-fixes`):\n")
        print("```")
        print(fixed or "(none)")
        print("```")
        if args.diffs:
            print("\n```diff")
            print(diff.strip() or "(no change)")
            print("```")
        if failure:
            print("\nTests after fixing (the first error):\n\n```")
            print(_first_error(failure))
            print("```")
    return 0


if __name__ == "__main__":
    sys.exit(main())
