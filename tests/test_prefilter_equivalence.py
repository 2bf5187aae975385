"""The cheap pre-filter (``Rule.requires``) must never change the answer.

A filtered run and an unfiltered run (every file parsed by LibCST, every selected rule
walked) must report identical diagnostics. The fast variant uses a fixed part of the
running interpreter's stdlib; the slow one the whole stdlib directory, on two cores.
"""

from __future__ import annotations

import os
import sysconfig
from typing import List, Tuple

import libcst
import pytest

from fftlint import api
from fftlint.config.settings import Settings
from fftlint.engine import run as engine_run
from fftlint.engine.parallel import run_files

STDLIB = sysconfig.get_paths()["stdlib"]

# A fixed, varied part of the stdlib: async-heavy code, plain code, packages.
# (~12k lines: async code, SQL strings, caches, tasks, plain code, packages)
SUBSET = (
    "asyncio/tasks.py",
    "asyncio/locks.py",
    "asyncio/queues.py",
    "asyncio/staggered.py",
    "json",
    "concurrent",
    "sqlite3",
    "email/mime",
    "contextlib.py",
    "selectors.py",
    "functools.py",
    "tomllib",
)


def _config(prefilter: bool) -> api.RunConfig:
    config = api.make_config(Settings(root=STDLIB), select=["ALL"])
    config.prefilter = prefilter
    return config


def _comparable(results) -> List[Tuple]:
    out = []
    for r in results:
        out.append((r.path, r.diagnostics, r.suppressed, r.error))
    return out


def _files(parts) -> List[str]:
    paths = [os.path.join(STDLIB, p) for p in parts]
    paths = [p for p in paths if os.path.exists(p)]
    return api.discover_files(paths, Settings(root=STDLIB))


def test_subset_filtered_equals_unfiltered():
    files = _files(SUBSET)
    assert len(files) > 20, "the stdlib subset is missing"
    filtered = run_files(files, _config(True), jobs=1)
    unfiltered = run_files(files, _config(False), jobs=1)
    assert [r.path for r in filtered] == files
    assert _comparable(filtered) == _comparable(unfiltered)


def test_prefilter_skips_libcst_when_no_rule_can_match(monkeypatch, tmp_path):
    calls = []
    real = libcst.parse_module

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(engine_run.cst, "parse_module", counting)
    path = tmp_path / "plain.py"
    path.write_text("import os\n\ndef f(x):\n    return os.path.join(x, 'y')\n")
    config = api.make_config(Settings(root=str(tmp_path)), select=["ALL"])
    # every non-engine rule declares a pre-filter that this file does not satisfy
    from fftlint.engine.prefilter import ENGINE_ONLY

    walkers = [r for r in config.rules if r.code not in ENGINE_ONLY]
    if any(not r.requires for r in walkers):
        pytest.skip("a selected rule declares no pre-filter, so every file must be parsed")
    from fftlint.engine.prefilter import applicable

    if applicable(walkers, path.read_text()):  # strings or compiled patterns
        pytest.skip("the probe file satisfies some rule's pre-filter; pick another probe")
    result = api.lint_file(str(path), config)
    assert result.diagnostics == ()
    assert calls == [], "LibCST parsed a file no rule could match"
    config.prefilter = False
    api.lint_file(str(path), config)
    assert calls == [1]


def test_prefilter_keeps_syntax_errors(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("def f(:\n    pass\n")
    filtered = api.lint_file(str(path), _config(True))
    unfiltered = api.lint_file(str(path), _config(False))
    assert [d.code for d in filtered.diagnostics] == ["FFT001"]
    assert filtered.diagnostics == unfiltered.diagnostics


def test_prefilter_keeps_unused_suppressions(tmp_path):
    path = tmp_path / "noqa.py"
    path.write_text("x = 1  # noqa: FFT101\n")
    config = api.make_config(Settings(root=str(tmp_path)), select=["ALL"])
    filtered = api.lint_file(str(path), config)
    config.prefilter = False
    unfiltered = api.lint_file(str(path), config)
    assert [d.code for d in filtered.diagnostics] == ["FFT003"]
    assert filtered.diagnostics == unfiltered.diagnostics


@pytest.mark.slow
def test_whole_stdlib_filtered_equals_unfiltered():
    """~850k lines: the unfiltered run parses all of it with LibCST (two workers)."""
    files = api.discover_files([STDLIB], Settings(root=STDLIB))
    assert len(files) > 500
    filtered = run_files(files, _config(True), jobs=2)
    unfiltered = run_files(files, _config(False), jobs=2)
    assert [r.path for r in filtered] == files
    assert len(filtered) == len(unfiltered)
    differences = [(a, b) for a, b in zip(_comparable(filtered), _comparable(unfiltered)) if a != b]
    assert differences == []


def test_requires_accepts_compiled_patterns():
    import re

    from fftlint.engine.run import applicable
    from fftlint.rule import Rule

    class SqlInStrings(Rule):
        code = "FFT998"
        requires = (re.compile(r"""(?i)["']\s*select\s"""),)

    class Plain(Rule):
        code = "FFT997"
        requires = ("execute",)

    rules = [SqlInStrings, Plain]
    assert applicable(rules, "q = 'SELECT id FROM t'\n") == [SqlInStrings]
    assert applicable(rules, "select = 1\ncur.execute(q)\n") == [Plain]
    assert applicable(rules, "x = 1\n") == []


class _AsyncCalls:
    """A rule with both pre-filter stages: the string `async`, then an `ast` check that
    some `async def` contains a call."""

    @staticmethod
    def make():
        import ast

        import libcst as cst

        from fftlint.rule import Rule

        class AsyncCall(Rule):
            """## What it does
            Test rule: reports calls inside `async def`."""

            code = "FFT996"
            name = "test-async-call"
            message = "call in async def"
            requires = ("async",)

            @classmethod
            def could_match(cls, view):
                return any(
                    isinstance(sub, ast.Call)
                    for node in ast.walk(view.tree)
                    if isinstance(node, ast.AsyncFunctionDef)
                    for sub in ast.walk(node)
                )

            def visit_Call(self, node: cst.Call) -> None:
                if self.ctx.stack.in_async_def:
                    self.report(node)

        return AsyncCall


def test_ast_stage_skips_libcst_and_keeps_the_answer(monkeypatch, tmp_path):
    rule = _AsyncCalls.make()
    calls = []
    real = libcst.parse_module

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(engine_run.cst, "parse_module", counting)
    settings = Settings(root=str(tmp_path))
    sources = {
        "no_call.py": "async def f():\n    return 1\n",  # passes `async`, fails the ast stage
        "call.py": "async def f():\n    print(1)\n",
        "docstring.py": '"""mentions async"""\ndef g():\n    print(1)\n',
        "broken.py": "async def f(:\n    print(1)\n",
    }
    for name, text in sources.items():
        (tmp_path / name).write_text(text)
    files = sorted(str(tmp_path / n) for n in sources)
    filtered = run_files(files, api.RunConfig(settings, (rule,)), jobs=1)
    parsed_filtered = len(calls)
    unfiltered = run_files(files, api.RunConfig(settings, (rule,), prefilter=False), jobs=1)
    assert _comparable(filtered) == _comparable(unfiltered)
    by_name = {os.path.basename(r.path): [d.code for d in r.diagnostics] for r in filtered}
    assert by_name == {"broken.py": ["FFT001"], "call.py": ["FFT996"], "docstring.py": [], "no_call.py": []}
    assert parsed_filtered == 2, "only call.py and broken.py need LibCST"


def test_a_failing_ast_check_never_hides_findings(tmp_path):
    rule = _AsyncCalls.make()

    class Broken(rule):
        code = "FFT995"

        @classmethod
        def could_match(cls, view):
            raise RuntimeError("bug in a pre-check")

    from fftlint.engine.run import lint_source

    result = lint_source("async def f():\n    print(1)\n", "x.py", [Broken])
    assert [d.code for d in result.diagnostics] == ["FFT995"]
