"""FFT3xx on the annotated fixtures (``# expect: FFT3xx``): a Django shop, an asyncio
worker with event buses, and a PyQt window, with look-alikes beside every finding."""

from __future__ import annotations

import os
import re
from typing import List, Set, Tuple

from fftlint.engine.run import lint_source
from fftlint.engine.source import read

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")
DIRS = [os.path.join(ROOT, "leaks"), os.path.join(ROOT, "demo")]
EXPECT = re.compile(r"#\s*expect:\s*([A-Z0-9, ]+)")
# Findings the fixtures document as out of reach (none at the moment: `order_paid`, a
# Django Signal defined in another module, is followed through the project's summaries).
KNOWN_MISSES: Set[Tuple[str, str, str]] = set()


def fixture_files() -> List[str]:
    out = []
    for base in DIRS:
        for dirpath, _, names in os.walk(base):
            out.extend(os.path.join(dirpath, n) for n in names if n.endswith(".py"))
    return sorted(out)


def expected(text: str) -> Set[Tuple[int, str]]:
    out = set()
    for lineno, line in enumerate(text.splitlines(), 1):
        m = EXPECT.search(line)
        if m:
            out.update((lineno, c.strip()) for c in m.group(1).split(",") if c.strip().startswith("FFT3"))
    return out


def measure():
    """Lint each fixture directory like the CLI does with ``--select FFT3`` (so the project
    index is built for the FFT3 rules alone)."""
    from fftlint import api
    from fftlint.config.load import discover

    results = {}
    for base in DIRS:
        config = api.make_config(discover([base]), select=["FFT3"])
        for result in api.lint_paths([base], config, jobs=1):
            results[os.path.abspath(result.path)] = result
    tp, fp, fn = [], [], []
    for path in fixture_files():
        text = read(path).text
        want = expected(text)
        result = results[os.path.abspath(path)]
        assert not [d for d in result.diagnostics if d.code in ("FFT001", "FFT002")], result.diagnostics
        got = {(d.span.line, d.code) for d in result.diagnostics}
        rel = os.path.relpath(path, ROOT).replace(os.sep, "/")
        lines = text.splitlines()
        tp += [(rel, x) for x in got & want]
        fp += [(rel, x, lines[x[0] - 1].strip()) for x in got - want]
        fn += [(rel, x, lines[x[0] - 1].strip()) for x in want - got]
    return tp, fp, fn


def _known(miss) -> bool:
    rel, (_, code), line = miss
    return any(rel == k[0] and code == k[1] and k[2] in line for k in KNOWN_MISSES)


def test_fixtures_are_annotated_with_every_leak_rule():
    files = [p for p in fixture_files() if os.sep + "leaks" + os.sep in p]
    assert len(files) >= 8
    codes = {c for p in files for _, c in expected(read(p).text)}
    assert codes >= {"FFT301", "FFT302", "FFT303"}


def test_precision_is_perfect_and_only_documented_findings_are_missed():
    tp, fp, fn = measure()
    assert not fp, f"false positives: {fp}"
    unexplained = [m for m in fn if not _known(m)]
    assert not unexplained, f"missed: {unexplained}"
    assert len(tp) >= 14
    precision = len(tp) / (len(tp) + len(fp))
    recall = len(tp) / (len(tp) + len(fn))
    print(f"FFT3xx fixtures: tp={len(tp)} fp={len(fp)} fn={len(fn)} precision={precision:.2f} recall={recall:.2f}")


def test_bounded_method_cache_is_reported_unless_turned_off():
    from fftlint.config.options import build_options
    from fftlint.rules.leaks.cache_on_method import CacheOnMethod

    path = os.path.join(ROOT, "leaks", "shop", "models.py")
    text = read(path).text
    loud = lint_source(text, path, [CacheOnMethod])
    opts = build_options([CacheOnMethod], {"leaks": {"report-bounded-caches": False}}, "test")
    quiet = lint_source(text, path, [CacheOnMethod], opts)
    extra = {d.span.line for d in loud.diagnostics} - {d.span.line for d in quiet.diagnostics}
    bounded = [i for i, line in enumerate(text.splitlines(), 1) if "maxsize=32" in line]
    assert extra == set(bounded)
