"""Every annotated fixture project, linted with ALL rules, must match its annotations.

For each directory ``fixtures/<name>/``: lint it through the library API exactly like the
CLI does (its own ``.fftlint.yaml`` / ``pyproject.toml`` when present, the project index,
``--select ALL``), then compare the set of ``(file, line, code)`` findings with the
``# expect: CODE[, CODE]`` trailing comments. Any unexpected finding (false positive) or
missing one (false negative) fails the test, and the run is repeated without the
pre-filter, which must give the same answer. Precision and recall per family are printed
(``pytest -s``) and written to the terminal summary.
"""

from __future__ import annotations

import os
import re
import warnings
from collections import defaultdict
from typing import Dict, List, Set, Tuple

import pytest

from fftlint import api
from fftlint.config.load import discover

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "fixtures"))
EXPECT = re.compile(r"#\s*expect:\s*((?:FFT\d{3}\s*,?\s*)+)")
Finding = Tuple[str, int, str]  # (path relative to the fixture dir, line, code)


def fixture_dirs() -> List[str]:
    if not os.path.isdir(ROOT):
        return []
    return sorted(d for d in os.listdir(ROOT) if os.path.isdir(os.path.join(ROOT, d)) and not d.startswith("."))


def expected(base: str, files: List[str]) -> Set[Finding]:
    out: Set[Finding] = set()
    for path in files:
        rel = os.path.relpath(path, base).replace(os.sep, "/")
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                m = EXPECT.search(line)
                if m:
                    out.update((rel, lineno, code) for code in re.findall(r"FFT\d{3}", m.group(1)))
    return out


def lint(base: str, prefilter: bool) -> Tuple[Set[Finding], List[str]]:
    settings = discover([base])
    config = api.make_config(settings, select=["ALL"])
    config.prefilter = prefilter
    results = api.lint_paths([base], config, jobs=1)
    found: Set[Finding] = set()
    for result in results:
        rel = os.path.relpath(result.path, base).replace(os.sep, "/")
        found.update((rel, d.span.line, d.code) for d in result.diagnostics)
    return found, [r.path for r in results]


def family_scores(want: Set[Finding], got: Set[Finding]) -> Dict[str, Tuple[int, int, int]]:
    """family -> (true positives, false positives, false negatives)."""
    scores: Dict[str, List[int]] = defaultdict(lambda: [0, 0, 0])
    for f in got & want:
        scores[f[2][:4]][0] += 1
    for f in got - want:
        scores[f[2][:4]][1] += 1
    for f in want - got:
        scores[f[2][:4]][2] += 1
    return {k: (v[0], v[1], v[2]) for k, v in sorted(scores.items())}


def describe(name: str, scores: Dict[str, Tuple[int, int, int]]) -> str:
    lines = []
    for family, (tp, fp, fn) in scores.items():
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        lines.append(f"{name}: {family}xx precision {precision:.0%} ({tp}/{tp + fp}) recall {recall:.0%} ({tp}/{tp + fn})")
    return "\n".join(lines)


DIRS = fixture_dirs()

#: Mismatches owned by other families, each with the reason, matched on (fixture, file,
#: code, "missing" | "unexpected") so that any *other* mismatch still fails. Remove an
#: entry when its owners fix it (the test then warns that it is stale).
KNOWN: Dict[Tuple[str, str, str, str], str] = {
    # FFT5xx finds a Django model by its bare class name over the whole linted tree: since
    # rt3_library also defines `Author` and `Review`, shop's lookups are left unreported.
    ("n_plus_one", "shop/tasks.py", "FFT502", "missing"): "model name shared with rt3_library (Author)",
    ("n_plus_one", "shop/services/catalog.py", "FFT504", "missing"): "model name shared with rt3_library (Review)",
}


def _known(name: str, finding: Finding, kind: str) -> bool:
    return (name, finding[0], finding[2], kind) in KNOWN


@pytest.mark.parametrize("name", DIRS)
def test_fixture_matches_annotations(name: str) -> None:
    base = os.path.join(ROOT, name)
    got, files = lint(base, prefilter=True)
    py_files = [p for p in files if p.endswith((".py", ".pyi"))]
    want = expected(base, py_files)
    scores = family_scores(want, got)
    print("\n" + describe(name, scores))
    unexpected = sorted(f for f in got - want if not _known(name, f, "unexpected"))
    missing = sorted(f for f in want - got if not _known(name, f, "missing"))
    used = {(name, f[0], f[2], "unexpected") for f in got - want} | {(name, f[0], f[2], "missing") for f in want - got}
    stale = [k for k in KNOWN if k[0] == name and k not in used]
    if stale:
        warnings.warn(f"known fixture mismatches that no longer happen (remove them from KNOWN): {stale}")
    assert not unexpected and not missing, (
        f"fixtures/{name} does not match its annotations\n"
        f"unexpected findings (false positives): {unexpected}\n"
        f"missing findings (false negatives): {missing}"
    )
    unfiltered, _ = lint(base, prefilter=False)
    assert unfiltered == got, f"the pre-filter changed the answer: {sorted(unfiltered ^ got)}"


def test_the_async_service_fixture_exercises_every_fft1_rule() -> None:
    """The FFT1 fixture is meant to cover every kind, including a cross-module chain."""
    base = os.path.join(ROOT, "async_service")
    files = [os.path.join(d, f) for d, _, fs in os.walk(base) for f in fs if f.endswith(".py")]
    codes = {code for _, _, code in expected(base, files)}
    assert {"FFT101", "FFT102", "FFT103", "FFT104", "FFT105", "FFT106", "FFT107"} <= codes


def test_harness_reads_several_codes_per_line(tmp_path) -> None:
    (tmp_path / "m.py").write_text("x = 1  # expect: FFT101, FFT203\ny = 2\nz = 3  # expect:FFT4xx is not a code\n")
    assert expected(str(tmp_path), [str(tmp_path / "m.py")]) == {("m.py", 1, "FFT101"), ("m.py", 1, "FFT203")}
