"""FFT2xx on the annotated fixtures (``# expect: FFT2xx``): a multi-file Django app, a
SQLAlchemy module and raw DB-API code, with and without the cross-file model index."""

import os
import re


from fftlint import registry
from fftlint.engine.run import lint_source
from fftlint.testing import project_for
from fftlint.engine.source import read

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")
DIRS = [os.path.join(ROOT, "n_plus_one"), os.path.join(ROOT, "demo")]
EXPECT = re.compile(r"#\s*expect:\s*([A-Z0-9, ]+)")


def fixture_files():
    out = []
    for base in DIRS:
        for dirpath, _, names in os.walk(base):
            out.extend(os.path.join(dirpath, n) for n in sorted(names) if n.endswith(".py"))
    return sorted(out)


def rules():
    return [r for r in registry.all_rules() if r.code.startswith("FFT2")]


def expected(text):
    out = set()
    for lineno, line in enumerate(text.splitlines(), 1):
        m = EXPECT.search(line)
        if m:
            out.update((lineno, c.strip()) for c in m.group(1).split(",") if c.strip().startswith("FFT2"))
    return out


def measure(with_project):
    files = fixture_files()
    project = project_for(rules(), files) if with_project else None
    tp, fp, fn = [], [], []
    for path in files:
        text = read(path).text
        want = expected(text)
        result = lint_source(text, path, rules(), project=project)
        got = {(d.span.line, d.code) for d in result.diagnostics}
        assert not [d for d in result.diagnostics if d.code in ("FFT001", "FFT002")], result.diagnostics
        rel = os.path.relpath(path, ROOT)
        tp += [(rel, x) for x in got & want]
        fp += [(rel, x) for x in got - want]
        fn += [(rel, x) for x in want - got]
    return tp, fp, fn


def test_fixtures_exist_and_are_annotated():
    files = fixture_files()
    assert len(files) >= 5
    total = sum(len(expected(read(p).text)) for p in files)
    codes = {c for p in files for _, c in expected(read(p).text)}
    assert total >= 20 and codes >= {"FFT201", "FFT202"}


def test_with_project_index_every_annotation_is_found_and_nothing_else():
    tp, fp, fn = measure(with_project=True)
    assert not fp, f"false positives: {fp}"
    assert not fn, f"missed: {fn}"
    assert len(tp) >= 20


def test_without_project_index_precision_stays_perfect():
    """Degraded mode (each file alone): it may miss cross-file relations and helpers in
    other modules, never invent one."""
    tp, fp, fn = measure(with_project=False)
    assert not fp, f"false positives: {fp}"
    assert tp, "the unmistakable query-in-loop patterns are still found"
    # files that define their own models (or use none) need no other file: all found
    single_file = ("etl_dbapi.py", "inventory_sqla.py")
    assert not [f for f in fn if f[0].endswith(single_file)], f"single-file findings missed: {fn}"


if __name__ == "__main__":  # pragma: no cover - `python tests/rules/test_n_plus_one_fixtures.py`
    for flag in (True, False):
        tp, fp, fn = measure(flag)
        p = len(tp) / (len(tp) + len(fp)) if tp or fp else 1.0
        r = len(tp) / (len(tp) + len(fn)) if tp or fn else 1.0
        print(f"project index={flag}: TP={len(tp)} FP={len(fp)} FN={len(fn)} precision={p:.3f} recall={r:.3f}")
        for item in fp:
            print("  FP", item)
        for item in fn:
            print("  FN", item)


def test_unsafe_fixes_on_the_fixtures_reparse_remove_their_findings_and_are_stable(tmp_path):
    """``--fix --unsafe-fixes`` over the N+1 fixture projects: every file still parses, the
    loads are added where the queries are built (the view's queryset, a helper's return,
    the one assignment of a name), those findings are gone, and a second run changes
    nothing. Files other than the ones holding the query are never edited."""
    import shutil

    from fftlint.cli import main
    from fftlint.fix import parses

    target = tmp_path / "n_plus_one"
    shutil.copytree(os.path.join(ROOT, "n_plus_one"), target)
    before = {p: p.read_text() for p in target.rglob("*.py")}
    main([str(target), "--select", "FFT202,FFT204", "--fix", "--unsafe-fixes", "--no-cache", "--jobs", "1"])
    texts = {p: p.read_text() for p in target.rglob("*.py")}
    assert all(parses(t) for t in texts.values())
    changed = {p.relative_to(target).as_posix() for p in texts if texts[p] != before[p]}
    assert {"library/api.py", "shop/views.py"} <= changed
    assert 'Loan.objects.filter(returned=False).select_related("member")' in texts[target / "library" / "api.py"]
    assert 'return Member.everyone.all().prefetch_related("clubs")' in texts[target / "library" / "api.py"]
    assert not any(p.endswith(("models.py", "serializers.py", "selectors.py")) for p in changed)
    main([str(target), "--select", "FFT202,FFT204", "--fix", "--unsafe-fixes", "--no-cache", "--jobs", "1"])
    assert {p: p.read_text() for p in target.rglob("*.py")} == texts
