"""The annotated FFT5xx fixture project: every `# expect:` is reported, nothing else is."""

import io
import os
import re
import tokenize

import pytest

from fftlint import registry
from fftlint.engine.contexts import classify
from fftlint.engine.run import lint_source
from fftlint.testing import project_for

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "..", "fixtures", "sql")
DEMO = os.path.join(HERE, "..", "..", "fixtures", "demo")
EXPECT = re.compile(r"#\s*expect:\s*([A-Z0-9, ]+)")
RULES = [r for r in registry.all_rules() if r.code.startswith("FFT5")]


def expectations(text):
    out = set()
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.COMMENT:
            m = EXPECT.search(tok.string)
            if m:
                for code in m.group(1).replace(" ", "").split(","):
                    if code.startswith("FFT5"):
                        out.add((tok.start[0], code))
    return out


def python_files(root):
    for dirpath, _, files in os.walk(root):
        for name in sorted(files):
            if name.endswith(".py"):
                yield os.path.join(dirpath, name)


def lint_tree(root, project):
    expected, found = set(), set()
    for path in python_files(root):
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        rel = os.path.relpath(path, root)
        expected |= {(rel, line, code) for line, code in expectations(text)}
        result = lint_source(text, path, RULES, project=project)
        errors = [d for d in result.diagnostics if d.code.startswith("FFT0")]
        assert not errors, errors
        # as a run shows them: findings in a context the rule holds back (tests) are not
        context = classify(path, root)
        found |= {(rel, d.span.line, d.code) for d in result.diagnostics if context in registry.lookup(d.code).contexts}
    return expected, found


def test_fft5_rules_exist():
    assert {"FFT501", "FFT502", "FFT503"} <= {r.code for r in RULES}


def test_fixture_project_matches_annotations():
    root = os.path.abspath(FIXTURES)
    expected, found = lint_tree(root, project_for(RULES, python_files(root)))
    assert len(expected) >= 15
    missing = sorted(expected - found)
    extra = sorted(found - expected)
    assert not missing and not extra, f"missing (false negatives): {missing}\nextra (false positives): {extra}"


def test_without_a_project_index_models_in_other_files_are_unknown():
    # catalog/views.py imports its models: with no project index, FFT502 stays silent
    root = os.path.abspath(FIXTURES)
    _, found = lint_tree(os.path.join(root, "catalog"), None)
    assert not {f for f in found if f[2] == "FFT502"}
    # ... while .sql files are always read from the project root
    _, found = lint_tree(os.path.join(root, "shop"), None)
    assert ("repository.py", 47, "FFT501") in found


@pytest.mark.skipif(not os.path.isdir(os.path.join(DEMO, "app")), reason="the demo project has no app/ yet")
def test_demo_queries_match_annotations():
    root = os.path.abspath(DEMO)
    path = os.path.join(root, "app", "queries.py")
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    expected = expectations(text)
    result = lint_source(text, path, RULES)
    found = {(d.span.line, d.code) for d in result.diagnostics}
    assert expected and found == expected
