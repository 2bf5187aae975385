"""FFT2xx on real N+1 fixes mined from public release histories (issue 9's criterion).

    python bench/n1_fixes.py download [--dir /tmp/n1fixes]     # wheels of PROJECTS from PyPI
    python bench/n1_fixes.py mine [--dir ...] [--out FILE]     # candidate hunks, to read by hand
    python bench/n1_fixes.py score [--dir ...] [--report bench/N1_FIXES.md]

Issue 9 asks that, on real N+1 fixes from public projects, at least 80% of the fixes are
"caught at the line the fix changed" and nothing is reported on the fixed code.

``download`` fetches the wheels of the pinned versions below (``pip download --no-deps
--only-binary :all:``; a wheel of a pure-Python package holds its sources) into
``<dir>/dl`` and unpacks each into ``<dir>/src/<dist>-<version>``; nothing is committed.

``mine`` diffs the Python files of consecutive pinned versions and prints every hunk that
*adds* an eager load or a batching of per-row work (see ``classify_hunk``). The hunks were
read by hand; the real N+1 fixes among them are the rows of ``bench/n1_fixes_cases.tsv``
(project, versions, path, the old and new lines the fix changed, the loop the fix makes go
away, kind, reason, and for a miss the class of issue 9 it belongs to).

``score`` runs ``fftlint --select FFT2 --format json --isolated --no-cache --contexts all``
on the whole package directory of every old and new tree named by a case (cached in
``<dir>/lint``; ``--relint`` drops the cache; ``lint`` fills the cache only), tests and
migrations excluded (no case lives there), and counts, per case:

* ``at_line``: an FFT2xx finding in the old tree on a line the fix changed;
* ``at_fix``: an FFT2xx finding whose fix edit or related location is on such a line;
* ``in_loop``: an FFT2xx finding inside the loop (or comprehension) the fix makes go away;
* ``silent_after``: no FFT2xx finding in the new tree in the function that holds the new
  lines (and, when the case names one, in the loop that remains there).
"""

from __future__ import annotations

import argparse
import ast
import csv
import difflib
import json
import os
import re
import subprocess
import sys
import zipfile
from typing import Dict, Iterable, Iterator, List, NamedTuple, Optional, Sequence, Set, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "n1_fixes_cases.tsv")

# name: (PyPI distribution, package directory inside the wheel, versions diffed in order)
PROJECTS: Dict[str, Tuple[str, str, Tuple[str, ...]]] = {
    "oscar": ("django-oscar", "oscar", ("2.0", "2.1", "3.0", "3.1", "3.2", "4.0", "4.1", "4.2")),
    "import-export": (
        "django-import-export",
        "import_export",
        ("2.7.0", "2.8.0", "2.9.0", "3.0.0", "3.1.0", "3.2.0", "3.3.0", "4.0.0", "4.1.0", "4.2.0", "4.3.0", "4.4.0"),
    ),
    "simple-history": (
        "django-simple-history",
        "simple_history",
        ("3.1.0", "3.2.0", "3.3.0", "3.4.0", "3.5.0", "3.6.0", "3.7.0", "3.8.0", "3.10.1", "3.11.0", "3.12.0", "3.13.0"),
    ),
    "guardian": (
        "django-guardian",
        "guardian",
        ("1.5.0", "2.0.0", "2.1.0", "2.2.0", "2.3.0", "2.4.0", "3.0.0", "3.1.0", "3.2.0", "3.3.0", "3.4.0", "3.5.0"),
    ),
    "reversion": (
        "django-reversion",
        "reversion",
        ("3.0.0", "4.0.0", "5.0.0", "5.1.0", "6.0.0", "6.1.0", "6.2.0", "6.3.0", "6.4.0"),
    ),
    "taggit": (
        "django-taggit",
        "taggit",
        ("1.2.0", "1.3.0", "1.4.0", "1.5.0", "2.0.0", "2.1.0", "3.0.0", "3.1.0", "4.0.0", "5.0.1", "6.0.0", "6.1.0"),
    ),
    "polymorphic": (
        "django-polymorphic",
        "polymorphic",
        ("3.1.0", "4.0.0", "4.1.0", "4.2.0", "4.3.1", "4.4.0", "4.5.2", "4.6.0", "4.8.0", "4.9.2", "4.10.5", "4.11.0"),
    ),
    "helpdesk": (
        "django-helpdesk",
        "helpdesk",
        ("1.3.0", "1.5.0", "1.6.0", "1.7.0", "1.8.0", "2.0.1", "2.1.0", "2.2.0", "2.3.0", "2.4.0", "2.5.0", "2.6.0"),
    ),
    "auditlog": (
        "django-auditlog",
        "auditlog",
        ("2.0.0", "2.1.0", "2.2.0", "2.3.0", "3.0.0", "3.1.2", "3.2.0", "3.3.0", "3.4.0"),
    ),
    "filer": (
        "django-filer",
        "filer",
        ("1.6.0", "1.7.0", "2.0.0", "2.1", "2.2", "3.0.0", "3.1.0", "3.2.0", "3.3.0", "3.4.1", "3.5.0", "3.6.0"),
    ),
    "cms": (
        "django-cms",
        "cms",
        ("3.5.0", "3.6.0", "3.7.0", "3.8.0", "3.9.0", "3.10.0", "3.11.0", "4.1.0", "5.0.0", "5.1.0"),
    ),
    "wagtail": (
        "wagtail",
        "wagtail",
        ("5.2", "6.0", "6.1", "6.2", "6.3", "6.4", "7.0", "7.1", "7.2", "7.3", "7.4", "8.0"),
    ),
    "pretix": (
        "pretix",
        "pretix",
        (
            "2024.7.0", "2025.1.0", "2025.4.0", "2025.7.1", "2025.8.0", "2025.9.0", "2025.10.0", "2026.1.0",
            "2026.2.0", "2026.3.0", "2026.4.0", "2026.5.0", "2026.6.0", "2026.7.0", "2026.8.0",
        ),
    ),
    "mlflow": (
        "mlflow",
        "mlflow",
        (
            "2.14.0", "2.16.0", "2.18.0", "2.20.0", "2.22.0", "3.1.0", "3.3.0", "3.5.0", "3.7.0", "3.9.0",
            "3.11.1", "3.13.0", "3.15.0", "3.17.0",
        ),
    ),
}

SKIP_PARTS = ("tests", "test", "migrations", "testapp")

# What ``score`` lints when it is not the whole package: mlflow's SQLAlchemy stores hold their
# own models (``dbmodels``) and every mlflow case; the other 900 files of the package
# (flavours, UI server, tracing SDK) hold none and would cost most of a run.
LINT_ROOT = {"mlflow": "mlflow/store"}

# What a hunk must add to be a candidate: the kind and the token that marks it.
KIND_TOKENS: Tuple[Tuple[str, re.Pattern], ...] = (
    ("eager-load", re.compile(r"\b(select_related|prefetch_related|Prefetch|selectinload|joinedload|subqueryload|contains_eager)\(")),
    ("batch-write", re.compile(r"\b(bulk_create|bulk_update)\(")),
    ("in_bulk", re.compile(r"\bin_bulk\(|__in\s*=")),
)
ANNOTATE = re.compile(r"\b(annotate|alias)\(")
AGGREGATE = re.compile(r"\b(Count|Exists|Subquery|Sum|Max|Min)\(")


def _count(pattern: re.Pattern, lines: Iterable[str]) -> int:
    return sum(len(pattern.findall(line)) for line in lines)


def classify_hunk(removed: Sequence[str], added: Sequence[str]) -> Set[str]:
    """The kinds of per-row batching a diff hunk adds (more occurrences added than removed).

    ``annotate`` counts only when the added lines also add an aggregate or subquery
    (``Count(``, ``Exists(``, ``Subquery(`` ...): an ``annotate(F(...))`` batches nothing.
    A line that only moved (same token removed and added) adds nothing.
    """
    kinds = {kind for kind, pattern in KIND_TOKENS if _count(pattern, added) > _count(pattern, removed)}
    if _count(ANNOTATE, added) > _count(ANNOTATE, removed) and _count(AGGREGATE, added) > _count(AGGREGATE, removed):
        kinds.add("annotate")
    return kinds


class Hunk(NamedTuple):
    path: str
    old_start: int
    new_start: int
    lines: Tuple[str, ...]  # unified-diff body lines, each starting with ' ', '-' or '+'

    @property
    def removed(self) -> List[str]:
        return [line[1:] for line in self.lines if line.startswith("-")]

    @property
    def added(self) -> List[str]:
        return [line[1:] for line in self.lines if line.startswith("+")]


HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def diff_hunks(path: str, old: Sequence[str], new: Sequence[str], context: int = 3) -> Iterator[Hunk]:
    """The hunks of a unified diff of two versions of one file (lines without newlines)."""
    current: Optional[List[str]] = None
    starts = (0, 0)
    for line in difflib.unified_diff(list(old), list(new), lineterm="", n=context):
        if line.startswith(("---", "+++")) and current is None:
            continue
        header = HUNK_HEADER.match(line)
        if header:
            if current is not None:
                yield Hunk(path, starts[0], starts[1], tuple(current))
            current = []
            starts = (int(header.group(1)), int(header.group(2)))
        elif current is not None:
            current.append(line)
    if current is not None:
        yield Hunk(path, starts[0], starts[1], tuple(current))


def parse_lines(spec: str) -> Set[int]:
    """``"12-14,20"`` -> {12, 13, 14, 20}; ``"-"`` or empty -> empty set."""
    out: Set[int] = set()
    for part in spec.split(","):
        part = part.strip()
        if not part or part == "-":
            continue
        if "-" in part:
            lo, hi = part.split("-", 1)
            out.update(range(int(lo), int(hi) + 1))
        else:
            out.add(int(part))
    return out


# ----------------------------------------------------------------------------- trees


def tree_dir(root: str, dist: str, version: str) -> str:
    return os.path.join(root, "src", f"{dist}-{version}")


def download(root: str, names: Sequence[str]) -> None:
    dl = os.path.join(root, "dl")
    os.makedirs(dl, exist_ok=True)
    for name in names:
        dist, _, versions = PROJECTS[name]
        for version in versions:
            target = tree_dir(root, dist, version)
            if os.path.isdir(target):
                continue
            wheel = _find_wheel(dl, dist, version)
            if wheel is None:
                subprocess.run(
                    [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "-q", "-d", dl, f"{dist}=={version}"],
                    check=False,
                )
                wheel = _find_wheel(dl, dist, version)
            if wheel is None:
                print(f"no wheel for {dist}=={version}", file=sys.stderr)
                continue
            with zipfile.ZipFile(wheel) as zf:
                zf.extractall(target)


def _find_wheel(dl: str, dist: str, version: str) -> Optional[str]:
    stem = f"{dist.replace('-', '_').lower()}-{version}-"
    for name in sorted(os.listdir(dl)):
        if name.lower().startswith(stem) and name.endswith(".whl"):
            return os.path.join(dl, name)
    return None


def python_files(tree: str, package: str) -> Dict[str, str]:
    """Relative path -> absolute path of the production Python files of a package."""
    out: Dict[str, str] = {}
    base = os.path.join(tree, package)
    for folder, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_PARTS)
        for name in files:
            if name.endswith(".py") and not name.startswith("test"):
                full = os.path.join(folder, name)
                out[os.path.relpath(full, tree)] = full
    return out


def _read(path: str) -> List[str]:
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.read().splitlines()


def mine(root: str, names: Sequence[str], out) -> int:
    count = 0
    for name in names:
        dist, package, versions = PROJECTS[name]
        for old_v, new_v in zip(versions, versions[1:]):
            old_t, new_t = tree_dir(root, dist, old_v), tree_dir(root, dist, new_v)
            if not (os.path.isdir(old_t) and os.path.isdir(new_t)):
                continue
            old_files, new_files = python_files(old_t, package), python_files(new_t, package)
            for rel in sorted(set(old_files) & set(new_files)):
                old, new = _read(old_files[rel]), _read(new_files[rel])
                if old == new:
                    continue
                for hunk in diff_hunks(rel, old, new, context=6):
                    kinds = classify_hunk(hunk.removed, hunk.added)
                    if not kinds:
                        continue
                    count += 1
                    out.write(f"=== {name} {old_v} -> {new_v} {rel} -{hunk.old_start} +{hunk.new_start} {','.join(sorted(kinds))}\n")
                    out.write("\n".join(hunk.lines) + "\n")
    return count


# ----------------------------------------------------------------------------- scoring


class Case(NamedTuple):
    project: str
    old_version: str
    new_version: str
    path: str
    old_lines: Set[int]
    new_lines: Set[int]
    loop: Tuple[str, Set[int]]  # (path, old lines of the loop the fix makes go away)
    new_loop: Tuple[str, Set[int]]
    kind: str
    reason: str
    miss_class: str
    row: Dict[str, str]


def _located(spec: str, default_path: str) -> Tuple[str, Set[int]]:
    spec = spec.strip()
    if not spec or spec == "-":
        return (default_path, set())
    if ":" in spec:
        path, lines = spec.rsplit(":", 1)
        return (path, parse_lines(lines))
    return (default_path, parse_lines(spec))


def load_cases(path: str) -> List[Case]:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t"))
    cases = []
    for row in rows:
        cases.append(
            Case(
                row["project"],
                row["old_version"],
                row["new_version"],
                row["path"],
                parse_lines(row["old_lines"]),
                parse_lines(row["new_lines"]),
                _located(row.get("loop", ""), row["path"]),
                _located(row.get("new_loop", ""), row["path"]),
                row["kind"],
                row["reason"],
                row.get("miss_class", "").strip(),
                row,
            )
        )
    return cases


# Tests and migrations are excluded to keep a tree to minutes on a shared machine: no case is in
# them, and the models the project facts need live in the production code.
LINT_COMMAND = [
    "fftlint", "--select", "FFT2", "--format", "json", "--isolated", "--no-cache", "--contexts", "all",
    "--extend-exclude", "**/tests/**", "--extend-exclude", "**/migrations/**", "--extend-exclude", "**/test_*.py",
]


def lint_tree(root: str, dist: str, package: str, version: str, relint: bool, jobs: int) -> List[dict]:
    """FFT2xx findings of one whole package tree, paths relative to the tree (cached)."""
    cache_dir = os.path.join(root, "lint")
    os.makedirs(cache_dir, exist_ok=True)
    cache = os.path.join(cache_dir, f"{dist}-{version}.json")
    if relint or not os.path.exists(cache):
        tree = tree_dir(root, dist, version)
        fftlint = os.path.join(os.path.dirname(sys.executable), "fftlint")
        cmd = [fftlint if os.path.exists(fftlint) else "fftlint"] + LINT_COMMAND[1:] + ["-j", str(jobs), LINT_ROOT.get(package, package)]
        proc = subprocess.run(cmd, cwd=tree, capture_output=True, text=True)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"fftlint failed on {tree} ({proc.returncode}): {proc.stderr[-2000:]}")
        findings = json.loads(proc.stdout or "[]")
        for finding in findings:
            finding["filename"] = os.path.relpath(os.path.join(tree, finding["filename"]), tree)
        with open(cache, "w", encoding="utf-8") as fh:
            json.dump(findings, fh)
    with open(cache, encoding="utf-8") as fh:
        return json.load(fh)


def enclosing_function(source: str, lines: Set[int]) -> Optional[Tuple[int, int]]:
    """The line span of the innermost function holding every line in ``lines``."""
    if not lines:
        return None
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    best: Optional[Tuple[int, int]] = None
    lo, hi = min(lines), max(lines)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            end = getattr(node, "end_lineno", None) or node.lineno
            if start <= lo and hi <= end and (best is None or end - start < best[1] - best[0]):
                best = (start, end)
    return best


def _fix_lines(finding: dict) -> Set[int]:
    out: Set[int] = set()
    fix = finding.get("fix") or {}
    for edit in fix.get("edits", []) or []:
        out.update(range(edit["line"], edit.get("end_line", edit["line"]) + 1))
    return out


def _related_lines(finding: dict, path: str) -> Set[int]:
    out: Set[int] = set()
    for rel in finding.get("related", []) or []:
        filename = rel.get("filename")
        if filename and not os.path.normpath(filename).endswith(os.path.normpath(path)):
            continue
        if "line" in rel:
            out.update(range(rel["line"], rel.get("end_line", rel["line"]) + 1))
    return out


def _same_file(finding: dict, path: str) -> bool:
    return os.path.normpath(finding["filename"]) == os.path.normpath(path)


def score_case(case: Case, old_findings: List[dict], new_findings: List[dict], new_source: Optional[str]) -> Dict[str, object]:
    in_file = [f for f in old_findings if _same_file(f, case.path)]
    at_line = [f for f in in_file if f["line"] in case.old_lines]
    at_fix = [f for f in old_findings if _fix_lines(f) & case.old_lines and _same_file(f, case.path)]
    at_fix += [f for f in in_file if _related_lines(f, case.path) & case.old_lines and f not in at_fix]
    loop_path, loop_lines = case.loop
    in_loop = [f for f in old_findings if loop_lines and _same_file(f, loop_path) and f["line"] in loop_lines]
    span = enclosing_function(new_source, case.new_lines) if new_source is not None else None
    after = [f for f in new_findings if _same_file(f, case.path) and span and span[0] <= f["line"] <= span[1]]
    new_loop_path, new_loop_lines = case.new_loop
    after_loop = [f for f in new_findings if new_loop_lines and _same_file(f, new_loop_path) and f["line"] in new_loop_lines]
    after += [f for f in after_loop if f not in after]
    return {
        "at_line": at_line,
        "at_fix": at_fix,
        "in_loop": in_loop,
        "after": after,
        "after_loop": after_loop,
        "span": span,
    }


def _codes(findings: List[dict]) -> str:
    return ", ".join(sorted({f"{f['code']}@{f['line']}" for f in findings})) or "-"


def score(
    root: str, cases_path: str, report: Optional[str], relint: bool, jobs: int, names: Sequence[str], cached_only: bool = False
) -> int:
    cases = [case for case in load_cases(cases_path) if case.project in names]
    results = []
    unmeasured = []
    for case in cases:
        dist, package, _ = PROJECTS[case.project]
        if cached_only and not all(
            os.path.exists(os.path.join(root, "lint", f"{dist}-{v}.json")) for v in (case.old_version, case.new_version)
        ):
            unmeasured.append(case)
            continue
        old = lint_tree(root, dist, package, case.old_version, relint, jobs)
        new = lint_tree(root, dist, package, case.new_version, relint, jobs)
        new_path = os.path.join(tree_dir(root, dist, case.new_version), case.path)
        new_source = open(new_path, encoding="utf-8").read() if os.path.exists(new_path) else None
        results.append((case, score_case(case, old, new, new_source)))
    text = render(results)
    if unmeasured:
        text += "\nNot measured (trees not linted yet, `--cached-only`): " + ", ".join(
            f"{c.project} {c.old_version} → {c.new_version} `{c.path}`" for c in unmeasured
        ) + ".\n"
    if report:
        write_report(report, text)
    print(text)
    return 0


MARKER = "<!-- generated by bench/n1_fixes.py score: everything below this line is rewritten -->"


def write_report(path: str, text: str) -> None:
    """Rewrite the generated part of ``path``, keeping the hand-written text above ``MARKER``."""
    head = ""
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            old = fh.read()
        if MARKER in old:
            head = old.split(MARKER, 1)[0]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(head + MARKER + "\n\n" + text if head else text)


def render(results: List[Tuple[Case, Dict[str, object]]]) -> str:
    n = len(results)

    def pct(k: int) -> str:
        return f"{k}/{n} ({100 * k / n:.0f}%)" if n else "0/0"

    at_line = sum(1 for _, r in results if r["at_line"])
    at_fix = sum(1 for _, r in results if r["at_fix"])
    in_loop = sum(1 for _, r in results if r["in_loop"])
    any_caught = sum(1 for _, r in results if r["at_line"] or r["at_fix"] or r["in_loop"])
    silent = sum(1 for _, r in results if not r["after"])
    silent_loop = sum(1 for _, r in results if not r["after_loop"])
    python_loop = [(c, r) for c, r in results if c.loop[1]]
    in_loop_py = sum(1 for _, r in python_loop if r["in_loop"])
    out = [
        "## Measured — preliminary (shared machine)",
        "",
        "Generated by `python bench/n1_fixes.py score --dir /tmp/q14 --report bench/N1_FIXES.md`",
        "from the cases in `bench/n1_fixes_cases.tsv`. Each tree is linted whole with",
        "",
        "```console",
        "$ cd <dir>/src/<dist>-<version> && " + " ".join(repr(a) if "*" in a else a for a in LINT_COMMAND) + " -j 2 <package>",
        "```",
        "",
        "| measure | cases |",
        "| --- | --- |",
        f"| caught at a line the fix changed (`at_line`) | {pct(at_line)} |",
        f"| caught through a finding's fix edit / related location on such a line (`at_fix`) | {pct(at_fix)} |",
        f"| caught inside the loop the fix makes go away (`in_loop`) | {pct(in_loop)} |",
        f"| caught by any of the three | {pct(any_caught)} |",
        f"| cases whose per-row work ran in a Python loop of the project (`loop` given) | {len(python_loop)}/{n} |",
        f"| `in_loop` among those | {in_loop_py}/{len(python_loop)} |",
        f"| nothing FFT2xx in the function holding the fix, new tree (`silent_after`) | {pct(silent)} |",
        f"| nothing FFT2xx on the loop that remains, new tree (`silent_loop`) | {pct(silent_loop)} |",
        "",
        "| # | project | versions | path | old lines | kind | at_line | at_fix | in_loop | after | caught | miss class / note |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for i, (case, r) in enumerate(results, 1):
        caught = "yes" if (r["at_line"] or r["at_fix"] or r["in_loop"]) else "**no**"
        out.append(
            f"| {i} | {case.project} | {case.old_version} → {case.new_version} | `{case.path}` | "
            f"{case.row['old_lines']} | {case.kind} | {_codes(r['at_line'])} | {_codes(r['at_fix'])} | "
            f"{_codes(r['in_loop'])} | {_codes(r['after'])} | {caught} | {case.miss_class} |"
        )
    out.append("")
    return "\n".join(out)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("download", "mine", "lint", "score"))
    parser.add_argument("--dir", default="/tmp/n1fixes", help="downloads, unpacked trees and lint cache")
    parser.add_argument("--project", action="append", help="only these projects (default: all)")
    parser.add_argument("--out", help="mine: write the candidate hunks here (default: stdout)")
    parser.add_argument("--cases", default=CASES)
    parser.add_argument("--report", help="score: write the Markdown table here")
    parser.add_argument("--relint", action="store_true", help="score: ignore the lint cache")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--cached-only", action="store_true", help="score: skip cases whose trees are not linted yet")
    args = parser.parse_args(argv)
    names = args.project or list(PROJECTS)
    unknown = [n for n in names if n not in PROJECTS]
    if unknown:
        parser.error(f"unknown project(s): {', '.join(unknown)}; known: {', '.join(PROJECTS)}")
    if args.command == "download":
        download(args.dir, names)
        return 0
    if args.command == "mine":
        out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout
        try:
            count = mine(args.dir, names, out)
        finally:
            if args.out:
                out.close()
        print(f"{count} candidate hunks", file=sys.stderr)
        return 0
    if args.command == "lint":
        for case in load_cases(args.cases):
            if case.project in names:
                dist, package, _ = PROJECTS[case.project]
                for version in (case.old_version, case.new_version):
                    lint_tree(args.dir, dist, package, version, args.relint, args.jobs)
        return 0
    return score(args.dir, args.cases, args.report, args.relint, args.jobs, names, args.cached_only)


if __name__ == "__main__":
    sys.exit(main())
