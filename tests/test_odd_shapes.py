"""No rule crashes on odd but valid code: every rule, over mutated real modules.

Programs come from :mod:`odd_shapes`: rule examples, fixture modules and stdlib
definitions, with one call moved into lambdas, comprehensions, conditionals, walrus,
``match``, decorated and async defs, class bodies, star-expressions and f-strings, and
blocks written on one line. Each is linted by every rule (opt-in ones too) with and
without the pre-filters, then through the library API as a one-file project (project
index included) and through the fixer; none may report FFT002 or raise.

* ``test_no_rule_crashes_on_odd_shapes``: the property, deterministic and small (default);
* ``test_odd_shapes_at_length`` (slow): the same property over 500 programs, the same on
  every run (``FFTLINT_FUZZ=1`` draws fresh ones: that is how new crashes are found);
* ``test_every_rule_example_in_every_shape`` (slow): exhaustive at depth one -- every
  call of every rule example in each template. With the issue 11 fix reverted it fails
  on ``lambda _x: re.search(p + '(x+)+y', s) if _x else []``.

A crash found here gets a regression test beside its rule.
"""

from __future__ import annotations

import io
import os
import tempfile
import tokenize
from collections import Counter
from typing import List

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import odd_shapes
from fftlint import api, registry
from fftlint.config.options import build_options
from fftlint.config.settings import Settings
from fftlint.engine.run import lint_source
from fftlint.fix import apply_edits, fix_to_fixpoint, parses
from fftlint.types import FileResult

ALL = registry.all_rules()
OPTIONS = build_options(ALL, {}, "<shapes>")
#: where the program is said to live: some rules and contexts read the path
PATHS = ("app/views.py", "app/migrations/0002_backfill.py", "tests/test_views.py", "scripts/run.py", "app/__init__.py")


STEPS = st.one_of(
    st.tuples(st.just("expr"), st.integers(0, len(odd_shapes.EXPRESSION_TEMPLATES) - 1), st.just(0)),
    st.tuples(st.just("stmt"), st.integers(0, len(odd_shapes.BLOCK_TEMPLATES) - 1), st.integers(0, 2)),
    st.tuples(st.just("noise"), st.integers(0, len(odd_shapes.MUTATIONS) - 1), st.integers(0, 2**16)),
)


@st.composite
def programs(draw: st.DrawFn) -> str:
    # each group as likely as the others: the few rule examples are the densest in the
    # calls rules look at, the many stdlib definitions the most varied
    groups = [st.sampled_from(group) for group in odd_shapes.seed_groups() if group]
    seed = draw(st.one_of(groups))
    splice = draw(st.none() | st.one_of(groups))
    target = draw(st.integers(0, 200))
    steps = draw(st.lists(STEPS, min_size=1, max_size=6))
    compact = draw(st.sampled_from((0, 0, 1, 2, 5, 6, 7, 10)))
    return odd_shapes.program(seed, splice, target, steps, compact)


def crashes(result: FileResult) -> List[str]:
    return [d.message for d in result.diagnostics if d.code == "FFT002"]


def comments(text: str) -> Counter:
    tokens = tokenize.generate_tokens(io.StringIO(text).readline)
    return Counter(tok.string for tok in tokens if tok.type == tokenize.COMMENT)


def broken_fixes(source: str, result: FileResult) -> List[str]:
    """Fixes that, applied on their own (as an editor applies one from JSON, SARIF or a
    language server), leave code that is not valid Python, or lose or copy a comment."""
    out = []
    before = None
    # a spliced seed can leave the program itself uncompilable (``from __future__`` after
    # other statements): a fix is judged on keeping valid code valid
    valid = None
    for d in result.diagnostics:
        if d.fix is None:
            continue
        before = comments(source) if before is None else before
        valid = odd_shapes._valid(source) if valid is None else valid
        fixed = apply_edits(source, d.fix.edits)
        if valid and not odd_shapes._valid(fixed) or comments(fixed) != before:
            out.append(f"{d.code} at {d.span.line}:{d.span.column}: {[e.content for e in d.fix.edits]}")
    return out


def check_program(source: str, path: str) -> None:
    for prefilter in (True, False):
        result = lint_source(source, path, ALL, OPTIONS, prefilter=prefilter)
        assert not crashes(result), f"prefilter={prefilter} on {path}:\n{source}\n{crashes(result)}"
        assert not broken_fixes(source, result), f"on {path}:\n{source}\n{broken_fixes(source, result)}"
    with tempfile.TemporaryDirectory() as tmp:
        full = os.path.join(tmp, *path.split("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        directory = os.path.dirname(full)
        while directory != tmp:  # a package, so that module names resolve
            open(os.path.join(directory, "__init__.py"), "a").close()
            directory = os.path.dirname(directory)
        with open(full, "w", encoding="utf-8") as fh:
            fh.write(source)
        config = api.make_config(Settings(root=tmp), select=["ALL"])
        results = api.lint_paths([tmp], config, jobs=1)
        for result in results:
            assert not crashes(result), f"project run on {path}:\n{source}\n{crashes(result)}"
        fixable = [d for r in results for d in r.diagnostics if d.fix is not None and r.path == full]
        if fixable:
            outcome = fix_to_fixpoint(source, lambda text: api.lint_text(text, full, config), unsafe=True)
            assert parses(outcome.text), f"--fix broke the syntax of:\n{source}"
            assert not crashes(outcome.result), f"after --fix:\n{outcome.text}\n{crashes(outcome.result)}"


QUICK = settings(
    max_examples=40,
    derandomize=True,  # the same programs on every run: CI stays deterministic
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@QUICK
@given(programs(), st.sampled_from(PATHS))
def test_no_rule_crashes_on_odd_shapes(source: str, path: str) -> None:
    check_program(source, path)


#: the same 500 programs on every run, so that a landing gate is never decided by a draw;
#: FFTLINT_FUZZ=1 explores fresh random programs instead (a find becomes a regression test)
FUZZ = bool(os.environ.get("FFTLINT_FUZZ"))


@pytest.mark.slow
@settings(max_examples=500, derandomize=not FUZZ, database=None, deadline=None, suppress_health_check=list(HealthCheck))
@given(programs(), st.sampled_from(PATHS))
def test_odd_shapes_at_length(source: str, path: str) -> None:
    check_program(source, path)


SWEEP = [("expr", i, 0, 0) for i in range(len(odd_shapes.EXPRESSION_TEMPLATES))]
SWEEP += [("stmt", i, 0, 0) for i in range(len(odd_shapes.BLOCK_TEMPLATES))]
# one-line blocks and redundant parentheses (the property samples the rest)
SWEEP += [("stmt", 0, 0, 1), ("stmt", 8, 0, 1), ("stmt", 0, 0, 2), ("expr", 0, 0, 6)]


@pytest.mark.slow
@pytest.mark.parametrize("kind, index, level, compact", SWEEP, ids=lambda v: str(v))
def test_every_rule_example_in_every_shape(kind: str, index: int, level: int, compact: int) -> None:
    """Exhaustive where the property samples: every call of every rule example put in
    one shape (a template), all examples in one module, linted by every rule."""
    parts = [odd_shapes.every_call(seed, (kind, index, level), compact) for seed in odd_shapes.seed_groups()[0]]
    source = "\n".join(parts)
    result = lint_source(source, "app/views.py", ALL, OPTIONS, prefilter=False)
    if crashes(result):  # name the smallest program that crashes, not the whole module
        culprit = next(p for p in parts if crashes(lint_source(p, "app/views.py", ALL, OPTIONS, prefilter=False)))
        pytest.fail(f"{crashes(result)} on:\n{culprit}")
    assert not broken_fixes(source, result)  # the 20-odd fixable findings of the module


def test_programs_stay_valid_python_and_reach_the_odd_shapes() -> None:
    """The generator itself: every template and mutation applies to real seeds and keeps
    them valid, so the property above really sees lambdas, walrus, async loops, ..."""
    seeds = odd_shapes.seeds()
    assert len(seeds) > 200
    sample = seeds[:: max(1, len(seeds) // 12)]
    applied = set()
    kinds = [("expr", i, 0) for i in range(len(odd_shapes.EXPRESSION_TEMPLATES))]
    kinds += [("stmt", i, 0) for i in range(len(odd_shapes.BLOCK_TEMPLATES))]
    kinds += [("noise", i, c) for i in range(len(odd_shapes.MUTATIONS)) for c in (5, 1301)]
    for n, seed in enumerate(sample):
        plain = odd_shapes.program(seed, None, n)
        for step in kinds:
            text = odd_shapes.program(seed, None, n, [step])
            assert odd_shapes._valid(text)
            if text != plain:
                applied.add(step[:2])
    assert applied == {step[:2] for step in kinds}


def test_the_chain_reaches_the_shape_of_issue_11() -> None:
    """A comprehension, then a conditional, then a lambda around a regex call: the
    shape that crashed FFT404 is one chain of three steps away from a rule example."""
    seed = "import re\nR = 'x'\nre.sub(R, '', s)\n"
    steps = [("expr", odd_shapes.EXPRESSION_TEMPLATES.index(t), 0) for t in (
        "[__E__ for _x in _xs]", "(__E__ if _c else None)", "(lambda *_a, **_k: __E__)")]
    text = odd_shapes.program(seed, None, 0, steps)
    assert "lambda *_a, **_k: [re.sub(R, '', s) for _x in _xs] if _c else None" in text
    check_program(text, "app/views.py")


def test_parentheses_around_calls() -> None:
    seed = "import time\nasync def f():\n    time.sleep(1)\n    x = time.sleep(2)\n    y = time.sleep(3)\n"
    text = odd_shapes.program(seed, None, 0, [], compact=0xFFFE)
    assert "(time.sleep(1))" in text and "(  # why\n        time.sleep(3))" in text
    check_program(text, "app/views.py")


def test_compaction_writes_blocks_on_one_line() -> None:
    """The shapes only a concrete syntax tree has: ``for ...: stmt`` and ``a; b``."""
    seed = "import re\nfor s in items:\n    re.search(P, s)\nx = 1\ny = 2\n"
    text = odd_shapes.program(seed, None, 0, [], compact=1)
    assert "for s in items: re.search(P, s)" in text and "x = 1; y = 2" in text
    check_program(text, "app/views.py")
