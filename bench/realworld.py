"""A real-world regression corpus: fftlint on pinned releases of real applications (issue 11).

For each project below: download its pinned wheel from the package index (``pip download
--no-deps --only-binary :all:``: a wheel is a zip of the source, nothing of it is built, run
or imported) into ``--dir`` (default ``/tmp/fftlint-realworld``; never inside the repository,
never committed) and unpack it there. Then run fftlint from the checkout this script lives in,
twice per project, each in a fresh wrapper process that records wall time, CPU time (user +
sys of the process tree) and peak RSS (``ru_maxrss`` of the largest single process):

* ``default``: ``fftlint . --format json`` (the default profile: default rules, each rule in
  its own code contexts);
* ``all``: ``fftlint . --format json --select ALL --contexts all``.

A crash (an exit code other than 0 or 1, a run that prints no JSON) never stops the run: it is
recorded and reported, as are FFT002 internal errors.

The findings are diffed against the committed, hand-judged ``bench/realworld_judged.tsv``
(columns: project, version, path relative to the project, line, code, text, label, reason).
A finding is keyed by project, path, code, the stripped source line's text (whitespace runs
folded) and its occurrence number among findings with the same key in the file (in line
order), so a line shift inside a file keeps the judgement; ``line`` and ``version`` are for
the reader. Findings not yet judged are listed as new (and written to ``--unjudged`` for
judging); judged findings that no run produced any more are listed as vanished (a recall
signal).

The default profile is judged on a sample stratified by family (``SAMPLE_SIZES``,
``SAMPLE_SEED``): a fixed-seed random sample for the big families, every finding of the
others; ``--unjudged FILE`` writes the part of that sample not judged yet.

It prints, and writes between the markers of ``bench/REALWORLD.md``: per family precision
(true / judged, with a 95% Wilson interval) for the default profile's sample and for the ``all`` run in production code, findings
per code context, the share of default-profile findings in production code, internal errors,
time and peak memory per project, and the command that produced the figures.

Usage::

    python bench/realworld.py [--dir /tmp/fftlint-realworld] [--only wagtail ...] [-j 2]
    python bench/realworld.py --render-only      # re-score the last results (after judging)

It is a script, not a test: it needs the network (the package index) and minutes of time.
``tests/bench/test_realworld_scoring.py`` tests its scoring on a tiny sample.
"""

from __future__ import annotations

import argparse
import csv
import glob
import hashlib
import json
import math
import os
import re
import subprocess
import sys
import time
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKOUT = os.path.dirname(HERE)
JUDGED = os.path.join(HERE, "realworld_judged.tsv")
REPORT = os.path.join(HERE, "REALWORLD.md")
BEGIN, END = "<!-- realworld:begin -->", "<!-- realworld:end -->"

CONTEXT_NAMES = ("production", "tests", "migrations", "scripts")
#: families scored (FFT0xx are the engine's: FFT002 is counted as an internal error instead)
FAMILIES = ("FFT1", "FFT2", "FFT3", "FFT4", "FFT5")
TARGETS = {"FFT1": 0.95, "FFT2": 0.95, "FFT3": 0.95, "FFT4": 0.95, "FFT5": 0.90}
PROFILES = {
    "default": ["--format", "json"],
    "all": ["--format", "json", "--select", "ALL", "--contexts", "all"],
}
#: the judging sample of the default profile, stratified by family: families named here are
#: judged on a fixed-seed random sample of this many findings, every other family in full.
#: A finding's place in the sample is the SHA-256 of the seed and its key (project, path,
#: code, line text, occurrence), lowest first: the same findings give the same sample in any
#: order, other findings coming or going move it by no more than they must, and a larger
#: size keeps the smaller sample, so judgements carry over from run to run.
SAMPLE_SEED = "fftlint-realworld-1"
SAMPLE_SIZES = {"FFT1": 60, "FFT2": 60}
TSV_COLUMNS = ("project", "version", "path", "line", "code", "text", "label", "reason")


@dataclass(frozen=True)
class Project:
    name: str  # the distribution on the package index
    version: str  # pinned exactly
    kind: str  # what it is, for the report


PROJECTS = (
    Project("wagtail", "8.0.1", "application framework: Django CMS"),
    Project("django-oscar", "4.2.1", "application framework: Django e-commerce"),
    Project("pretix", "2026.8.0", "application: Django ticketing shop"),
    Project("label-studio", "1.23.2", "application: Django data labelling"),
    Project("apache-superset", "6.1.0", "application: Flask + SQLAlchemy BI"),
    Project("mlflow", "3.18.0", "application + library: Flask/FastAPI + SQLAlchemy tracking server"),
    Project("prefect", "3.9.1", "application + library: FastAPI + async SQLAlchemy orchestration server"),
    Project("apache-airflow-core", "3.3.2", "application: FastAPI + SQLAlchemy scheduler and API server"),
)


def slug(project: Project) -> str:
    return f"{project.name}-{project.version}"


# --------------------------------------------------------------------------- install


def install(project: Project, workdir: str) -> str:
    """The unpacked source tree of ``project`` under ``workdir`` (downloaded once)."""
    tree = os.path.join(workdir, "src", slug(project))
    if os.path.isdir(tree):
        return tree
    downloads = os.path.join(workdir, "downloads")
    os.makedirs(downloads, exist_ok=True)
    wheel = _wheel(project, downloads)
    if wheel is None:
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:", "-d", downloads, f"{project.name}=={project.version}"]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        wheel = _wheel(project, downloads)
        if wheel is None:
            raise RuntimeError(f"cannot download {project.name}=={project.version}:\n{proc.stdout.decode(errors='replace')[-2000:]}")
    partial = tree + ".partial"
    with zipfile.ZipFile(wheel) as zf:
        members = [m for m in zf.namelist() if not m.split("/", 1)[0].endswith((".dist-info", ".data"))]
        zf.extractall(partial, members)
    os.replace(partial, tree)
    return tree


def _wheel(project: Project, downloads: str) -> Optional[str]:
    stem = re.sub(r"[-_.]+", "_", project.name).lower()
    for path in glob.glob(os.path.join(downloads, "*.whl")):
        name, version = os.path.basename(path).split("-")[:2]
        if name.lower() == stem and version == project.version:
            return path
    return None


def python_lines(tree: str) -> Tuple[int, int]:
    """(files, lines) of the ``.py`` files below ``tree``."""
    files = lines = 0
    for root, _dirs, names in os.walk(tree):
        for name in names:
            if name.endswith(".py"):
                files += 1
                with open(os.path.join(root, name), "rb") as fh:
                    lines += fh.read().count(b"\n")
    return files, lines


# --------------------------------------------------------------------------- run

_WRAPPER = r"""
import json, resource, subprocess, sys, time
cmd, out = json.loads(sys.argv[1]), sys.argv[2]
start = time.perf_counter()
with open(out, "wb") as fh:
    proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.PIPE)
wall = time.perf_counter() - start
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "maxrss_kb": ru.ru_maxrss,
                  "rc": proc.returncode, "stderr": proc.stderr.decode("utf-8", "replace")[-4000:]}))
"""


def fftlint_command(profile: str, jobs: Optional[int]) -> List[str]:
    cmd = [sys.executable, "-m", "fftlint", ".", *PROFILES[profile], "--no-cache"]
    return cmd + (["-j", str(jobs)] if jobs else [])


def run_fftlint(tree: str, profile: str, out: str, jobs: Optional[int]) -> Dict:
    """Run one profile on ``tree``; never raises for what fftlint does."""
    env = dict(os.environ, PYTHONPATH=CHECKOUT)
    cmd = fftlint_command(profile, jobs)
    try:
        proc = subprocess.run([sys.executable, "-c", _WRAPPER, json.dumps(cmd), out], cwd=tree, env=env, stdout=subprocess.PIPE, timeout=3600)
        measured = json.loads(proc.stdout.decode())
    except (subprocess.TimeoutExpired, ValueError) as exc:
        return {"rc": None, "wall": 0.0, "cpu": 0.0, "maxrss_kb": 0, "stderr": f"wrapper failed: {exc}", "findings": None}
    try:
        with open(out, encoding="utf-8") as fh:
            measured["findings"] = json.load(fh)
    except (OSError, ValueError) as exc:
        measured["findings"] = None
        measured["stderr"] += f"\n(no JSON output: {exc})"
    return measured


def records(findings: Iterable[Dict], tree: str, project: Project) -> List[Dict]:
    """The findings of one run as flat records: path relative to the project, the line's
    text, the file's code context (fftlint's own classification)."""
    sys.path.insert(0, CHECKOUT)
    from fftlint.engine.contexts import classify

    texts: Dict[str, List[str]] = {}
    out = []
    for f in findings:
        path = os.path.relpath(os.path.join(tree, f["filename"]), tree).replace(os.sep, "/")
        if path not in texts:
            try:
                with open(os.path.join(tree, path), encoding="utf-8", errors="replace") as fh:
                    texts[path] = fh.read().splitlines()
            except OSError:
                texts[path] = []
        lines = texts[path]
        line = int(f.get("line") or 0)
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        out.append(
            {
                "project": project.name,
                "version": project.version,
                "path": path,
                "line": line,
                "code": f["code"],
                "text": normalize(text),
                "message": " ".join(str(f.get("message", "")).split()),
                "context": classify(os.path.join(tree, path), tree),
            }
        )
    return out


# --------------------------------------------------------------------------- scoring (tested)


def normalize(text: str) -> str:
    return " ".join(text.split())


Key = Tuple[str, str, str, str, int]


def keyed(rows: Iterable[Dict]) -> Dict[Key, Dict]:
    """``rows`` (findings or judged rows) by key: project, path, code, normalized line text,
    and the occurrence number among rows sharing those four, in line order."""
    seen: Counter = Counter()
    out: Dict[Key, Dict] = {}
    for row in sorted(rows, key=lambda r: (r["project"], r["path"], int(r["line"]), r["code"])):
        base = (row["project"], row["path"], row["code"], normalize(row["text"]))
        out[base + (seen[base],)] = row
        seen[base] += 1
    return out


def read_judged(path: str) -> List[Dict]:
    """The judged rows; a malformed row is an error naming its line."""
    if not os.path.exists(path):
        return []
    rows = []
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        for n, cells in enumerate(reader, 1):
            if not cells or cells[0].startswith("#") or (n == 1 and cells[0] == "project"):
                continue
            if len(cells) != len(TSV_COLUMNS):
                raise ValueError(f"{path}:{n}: expected {len(TSV_COLUMNS)} tab-separated columns ({', '.join(TSV_COLUMNS)}), got {len(cells)}")
            row = dict(zip(TSV_COLUMNS, cells))
            if row["label"] not in ("true", "false"):
                raise ValueError(f"{path}:{n}: label must be true or false, not {row['label']!r}")
            if not row["line"].isdigit():
                raise ValueError(f"{path}:{n}: line must be a number, not {row['line']!r}")
            rows.append(row)
    return rows


def write_tsv(path: str, rows: Iterable[Dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write("\t".join(TSV_COLUMNS) + "\n")
        for row in rows:
            fh.write("\t".join(_cell(row.get(c, "")) for c in TSV_COLUMNS) + "\n")


def _cell(value: object) -> str:
    return " ".join(str(value).replace("\t", " ").split())


@dataclass
class Diff:
    judged: List[Tuple[Dict, Dict]]  # (finding, judged row)
    new: List[Dict]  # findings not judged yet
    vanished: List[Dict]  # judged rows no finding matched


def _base(row: Dict) -> Tuple[str, str, str, str]:
    return (row["project"], row["path"], row["code"], normalize(row["text"]))


def diff(findings: Sequence[Dict], judged: Sequence[Dict], projects: Optional[Iterable[str]] = None) -> Diff:
    """Match ``findings`` to ``judged`` rows by project, path, code and line text; among
    several with the same four (a repeated line), each judged row takes the finding
    nearest its line, in line order -- so a line shift keeps the judgement, and judging
    only some of the repeats (a sample) still matches them. Vanished rows are only those
    of ``projects`` (the projects that were run; default: those with findings)."""
    ran = set(projects) if projects is not None else {f["project"] for f in findings}
    candidates: Dict[Tuple[str, str, str, str], List[Dict]] = defaultdict(list)
    for f in sorted(findings, key=lambda r: int(r["line"])):
        candidates[_base(f)].append(f)
    pairs: List[Tuple[Dict, Dict]] = []
    vanished: List[Dict] = []
    matched = set()
    for row in sorted(judged, key=lambda r: (r["project"], r["path"], int(r["line"]))):
        pool = candidates.get(_base(row))
        if not pool:
            if row["project"] in ran:
                vanished.append(row)
            continue
        best = min(pool, key=lambda f: (abs(int(f["line"]) - int(row["line"])), int(f["line"])))
        pool.remove(best)
        matched.add(id(best))
        pairs.append((best, row))
    new = [f for f in findings if id(f) not in matched]
    return Diff(pairs, new, vanished)


def family(code: str) -> str:
    return code[:4]


def _rank(key: Key, seed: str) -> str:
    return hashlib.sha256("\x1f".join([seed, *map(str, key)]).encode("utf-8")).hexdigest()


def sample(findings: Sequence[Dict], sizes: Dict[str, int] = SAMPLE_SIZES, seed: str = SAMPLE_SEED) -> set:
    """The keys of the findings to judge: per family in ``sizes``, the ``sizes[family]``
    findings ranked lowest by ``_rank``; every finding of the other families."""
    strata: Dict[str, List[Key]] = defaultdict(list)
    for key in keyed(findings):
        strata[family(key[2])].append(key)
    chosen = set()
    for fam, keys in strata.items():
        if fam in sizes:
            keys = sorted(keys, key=lambda k: _rank(k, seed))[: sizes[fam]]
        chosen.update(keys)
    return chosen


def sampled(findings: Sequence[Dict], sizes: Dict[str, int] = SAMPLE_SIZES, seed: str = SAMPLE_SEED) -> List[Dict]:
    """The findings of ``sample``, as the finding records themselves."""
    chosen = sample(findings, sizes, seed)
    return [f for k, f in keyed(findings).items() if k in chosen]


def sampled_precision(findings: Sequence[Dict], judged: Sequence[Dict], sizes: Dict[str, int] = SAMPLE_SIZES, seed: str = SAMPLE_SEED) -> Dict[str, Dict[str, int]]:
    """family -> findings, sample (its size), true / judged (over the sample only, so
    judgements outside it do not bias the estimate) and unjudged (sample not judged yet)."""
    label = {id(f): row["label"] for f, row in diff(findings, judged).judged}
    out: Dict[str, Dict[str, int]] = {f: {"findings": 0, "sample": 0, "true": 0, "judged": 0, "unjudged": 0} for f in FAMILIES}
    for f in findings:
        if family(f["code"]) in out:
            out[family(f["code"])]["findings"] += 1
    for f in sampled(findings, sizes, seed):
        s = out.get(family(f["code"]))
        if s is None:
            continue
        s["sample"] += 1
        if id(f) in label:
            s["judged"] += 1
            s["true"] += label[id(f)] == "true"
        else:
            s["unjudged"] += 1
    return out


def wilson(true: int, judged: int, z: float = 1.96) -> Optional[Tuple[float, float]]:
    """The Wilson score interval (95% by default) of the proportion ``true / judged``."""
    if not judged:
        return None
    p = true / judged
    denom = 1 + z * z / judged
    centre = (p + z * z / (2 * judged)) / denom
    margin = z * math.sqrt(p * (1 - p) / judged + z * z / (4 * judged * judged)) / denom
    return max(0.0, centre - margin), min(1.0, centre + margin)


def precision(pairs: Iterable[Tuple[Dict, Dict]], unjudged: Iterable[Dict] = ()) -> Dict[str, Dict[str, int]]:
    """family -> {"true", "judged", "unjudged"} over scored families."""
    out: Dict[str, Dict[str, int]] = {f: {"true": 0, "judged": 0, "unjudged": 0} for f in FAMILIES}
    for finding, row in pairs:
        fam = family(finding["code"])
        if fam in out:
            out[fam]["judged"] += 1
            out[fam]["true"] += row["label"] == "true"
    for finding in unjudged:
        fam = family(finding["code"])
        if fam in out:
            out[fam]["unjudged"] += 1
    return out


def per_context(findings: Iterable[Dict]) -> Dict[str, int]:
    counts = Counter(f["context"] for f in findings if family(f["code"]) in FAMILIES)
    return {c: counts.get(c, 0) for c in CONTEXT_NAMES}


def production_share(findings: Sequence[Dict]) -> Optional[float]:
    counts = per_context(findings)
    total = sum(counts.values())
    return counts["production"] / total if total else None


def internal_errors(findings: Iterable[Dict]) -> List[Dict]:
    return [f for f in findings if f["code"] == "FFT002"]


def pct(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "n/a"


def precision_table(scores: Dict[str, Dict[str, int]], targets: Optional[Dict[str, float]] = None) -> List[str]:
    """Rows of ``precision`` (all judged) or ``sampled_precision`` scores (with a sample)."""
    sampled = any("sample" in s for s in scores.values())
    head = "| family |" + (" findings | sample |" if sampled else "") + " true / judged | precision | 95% Wilson | not judged |" + (" target |" if targets else "")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for fam, s in scores.items():
        ci = wilson(s["true"], s["judged"])
        row = f"| {fam}xx |" + (f" {s['findings']} | {s['sample']} |" if sampled else "")
        row += f" {s['true']} / {s['judged']} | {pct(s['true'], s['judged'])} | {'n/a' if ci is None else f'{ci[0]:.1%}-{ci[1]:.1%}'} | {s['unjudged']} |"
        if targets:
            met = "n/a" if not s["judged"] else ("met" if s["true"] / s["judged"] >= targets[fam] else "**not met**")
            row += f" {targets[fam]:.0%} {met} |"
        lines.append(row)
    return lines


# --------------------------------------------------------------------------- report


def score(results: Dict, judged: Sequence[Dict]) -> Dict:
    """Everything the report shows, from the raw ``results`` of the runs."""
    ran = [p for p in results["projects"]]
    by_profile: Dict[str, List[Dict]] = defaultdict(list)
    for p in ran:
        for profile, run in p["runs"].items():
            by_profile[profile].extend(run.get("records") or [])
    names = [p["name"] for p in ran]
    default = diff(by_profile["default"], judged, names)
    every = diff(by_profile["all"], judged, names)
    prod_1to4 = [(f, r) for f, r in every.judged if f["context"] == "production" and family(f["code"]) in FAMILIES[:4]]
    prod_1to4_new = [f for f in every.new if f["context"] == "production" and family(f["code"]) in FAMILIES[:4]]
    # a judged row is vanished only when neither run produced it
    vanished_keys = {id(r) for r in every.vanished} & {id(r) for r in default.vanished}
    return {
        "default": sampled_precision(by_profile["default"], judged),
        "to_judge": [f for f in sampled(by_profile["default"]) if id(f) in {id(n) for n in default.new}],
        "all_production": precision(prod_1to4, prod_1to4_new),
        "contexts_all": per_context(by_profile["all"]),
        "contexts_default": per_context(by_profile["default"]),
        "production_share": production_share(by_profile["default"]),
        "internal": internal_errors(by_profile["default"]) + internal_errors(by_profile["all"]),
        "new_default": default.new,
        "new_all": every.new,
        "vanished": [r for r in every.vanished if id(r) in vanished_keys],
        "false_default": [(f, r) for f, r in default.judged if r["label"] == "false"],
    }


def render(results: Dict, judged: Sequence[Dict]) -> str:
    s = score(results, judged)
    out: List[str] = []
    out.append(f"Produced by `{results['command']}` on {results['date']} (fftlint {results['fftlint']}, commit {results['commit']}, Python {results['python']}).")
    out.append("")
    total_lines = sum(p["lines"] for p in results["projects"])
    out.append(f"**Corpus**: {len(results['projects'])} projects, {sum(p['files'] for p in results['projects'])} Python files, {total_lines:,} lines.")
    out.append("")
    out.append("### Default profile (`fftlint . --format json`): precision per family")
    out.append("")
    sizes = ", ".join(f"{fam}xx {n}" for fam, n in SAMPLE_SIZES.items())
    out.append(
        f"Judged on a sample stratified by family: a fixed-seed random sample of {sizes} findings "
        f"(seed `{SAMPLE_SEED}`; rank = SHA-256 of seed and finding key), every finding of the other families. "
        "Precision counts the sample only."
    )
    out.append("")
    out += precision_table(s["default"], TARGETS)
    out.append("")
    cd = s["contexts_default"]
    share = s["production_share"]
    out.append(
        f"Default-profile findings in production code: {cd['production']} of {sum(cd.values())} "
        f"({'n/a' if share is None else f'{share:.1%}'}; target 80%)."
    )
    out.append("")
    out.append("### `--select ALL --contexts all`: FFT1xx-FFT4xx in production code, precision per family")
    out.append("")
    out += precision_table({k: v for k, v in s["all_production"].items() if k != "FFT5"})
    out.append("")
    out.append("### Findings per code context (FFT1xx-FFT5xx)")
    out.append("")
    out.append("| run | " + " | ".join(CONTEXT_NAMES) + " |")
    out.append("|---|" + "---|" * len(CONTEXT_NAMES))
    for title, counts in (("default", s["contexts_default"]), ("ALL, --contexts all", s["contexts_all"])):
        out.append(f"| {title} | " + " | ".join(str(counts[c]) for c in CONTEXT_NAMES) + " |")
    out.append("")
    out.append("### Per project (time and peak memory: preliminary, shared machine)")
    out.append("")
    out.append("| project | version | files | lines | run | findings | wall | CPU | peak RSS | exit |")
    out.append("|---|---|---|---|---|---|---|---|---|---|")
    for p in results["projects"]:
        for profile, run in p["runs"].items():
            n = "crash" if run.get("records") is None else str(sum(1 for r in run["records"] if family(r["code"]) in FAMILIES))
            out.append(
                f"| {p['name']} | {p['version']} | {p['files']} | {p['lines']:,} | {profile} | {n} | {run['wall']:.1f} s | {run['cpu']:.1f} s | {run['maxrss_kb'] / 1024:.0f} MB | {run['rc']} |"
            )
    out.append("")
    crashes = [(p["name"], profile, run) for p in results["projects"] for profile, run in p["runs"].items() if run["rc"] not in (0, 1)]
    out.append(f"### Internal errors: {len(s['internal'])} FFT002, {len(crashes)} runs that did not exit 0 or 1")
    out.append("")
    for f in s["internal"]:
        out.append(f"- {f['project']} `{f['path']}:{f['line']}` {f['message']}")
    for name, profile, run in crashes:
        out.append(f"- {name} ({profile}): exit {run['rc']}: `{run['stderr'].strip().splitlines()[-1] if run['stderr'].strip() else ''}`")
    out.append("")
    out.append(
        f"### Judging status: {len(s['to_judge'])} findings of the default-profile sample not judged "
        f"({len(s['new_default'])} default-profile findings in all, {len(s['new_all'])} in the ALL run, not judged); "
        f"{len(s['vanished'])} judged findings vanished"
    )
    out.append("")
    for f in s["to_judge"][:50]:
        out.append(f"- new: {f['project']} `{f['path']}:{f['line']}` {f['code']}")
    for r in s["vanished"][:50]:
        out.append(f"- vanished: {r['project']} `{r['path']}:{r['line']}` {r['code']} ({r['label']}: {r['reason']})")
    out.append("")
    out.append("### False findings in the default profile")
    out.append("")
    if not s["false_default"]:
        out.append("None.")
    for f, r in s["false_default"]:
        out.append(f"- {f['project']} `{f['path']}:{f['line']}` {f['code']}: {r['reason']}")
    return "\n".join(out).rstrip() + "\n"


def write_report(body: str, path: str = REPORT) -> None:
    text = open(path, encoding="utf-8").read() if os.path.exists(path) else f"# Real-world corpus\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        text = text.rstrip() + f"\n\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(head + BEGIN + "\n" + body + END + tail)


def _git(*args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=CHECKOUT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return proc.stdout.decode().strip()


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", default="/tmp/fftlint-realworld", help="scratch folder for downloads, sources and results")
    parser.add_argument("--only", nargs="*", help="run these projects only (by name)")
    parser.add_argument("-j", "--jobs", type=int, default=None, help="fftlint worker processes (default: fftlint's)")
    parser.add_argument("--render-only", action="store_true", help="re-score the last results.json (after judging)")
    parser.add_argument("--judged", default=JUDGED)
    parser.add_argument("--report", default=REPORT, help="Markdown file to write the figures into (between its markers)")
    parser.add_argument("--unjudged", default=None, help="write the findings not judged yet here (TSV, label empty)")
    args = parser.parse_args(argv)
    workdir = os.path.abspath(args.dir)
    if os.path.commonpath([workdir, CHECKOUT]) == CHECKOUT:
        parser.error("--dir must be outside the repository (the corpus is never committed)")
    results_path = os.path.join(workdir, "results.json")
    try:
        judged = read_judged(args.judged)
    except ValueError as exc:
        print(f"realworld: {exc}", file=sys.stderr)
        return 2
    if args.render_only:
        with open(results_path, encoding="utf-8") as fh:
            results = json.load(fh)
    else:
        results = collect(args, workdir)
        with open(results_path, "w", encoding="utf-8") as fh:
            json.dump(results, fh)
    body = render(results, judged)
    print(body)
    write_report(body, args.report)
    if args.unjudged:
        s = score(results, judged)
        pending = s["to_judge"]
        write_tsv(args.unjudged, ({**f, "label": "", "reason": f["message"]} for f in pending))
    return 0


def collect(args: argparse.Namespace, workdir: str) -> Dict:
    wanted = set(args.only or [])
    unknown = wanted - {p.name for p in PROJECTS}
    if unknown:
        raise SystemExit(f"realworld: unknown project(s): {', '.join(sorted(unknown))}")
    command = "python bench/realworld.py" + "".join(f" {a}" for a in (sys.argv[1:] if argv_is_cli() else []))
    results: Dict = {
        "command": command.strip(),
        "date": time.strftime("%Y-%m-%d"),
        "fftlint": _version(),
        "commit": _git("rev-parse", "--short", "HEAD") + ("+dirty" if _git("status", "--porcelain", "--untracked-files=no") else ""),
        "python": sys.version.split()[0],
        "projects": [],
    }
    for project in PROJECTS:
        if wanted and project.name not in wanted:
            continue
        log(f"{slug(project)}: install")
        tree = install(project, workdir)
        files, lines = python_lines(tree)
        entry = {"name": project.name, "version": project.version, "kind": project.kind, "files": files, "lines": lines, "runs": {}}
        for profile in PROFILES:
            out = os.path.join(workdir, f"{slug(project)}.{profile}.json")
            run = run_fftlint(tree, profile, out, args.jobs)
            found = run.pop("findings")
            run["records"] = None if found is None else records(found, tree, project)
            log(f"{slug(project)} {profile}: exit {run['rc']}, wall {run['wall']:.1f}s cpu {run['cpu']:.1f}s rss {run['maxrss_kb'] / 1024:.0f}MB, {len(found or [])} findings")
            entry["runs"][profile] = run
        results["projects"].append(entry)
    return results


def argv_is_cli() -> bool:
    return os.path.basename(sys.argv[0]) == os.path.basename(__file__)


def _version() -> str:
    sys.path.insert(0, CHECKOUT)
    import fftlint

    return fftlint.__version__


def log(msg: str) -> None:
    print(f"[realworld {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
