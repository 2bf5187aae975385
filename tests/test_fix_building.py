"""Fix building is linear in the number of fixable findings (issue 13).

Timings belong in ``bench/fix_building.py``; here we count the work that used to be
repeated per finding (a walk of the module's top-level bindings for every fix that
needs an import) and check that choosing fixes keeps its overlap semantics."""

import random

from fftlint import api, fix as fixer
from fftlint.config.settings import Settings
from fftlint.types import SAFE, Diagnostic, Edit, Fix, Span

FUNCTION = "async def f{i}():\n    time.sleep({i} + 1)\n\n"  # sleep(0) yields: not a finding


def _module(n):
    return '"""Doc."""\nimport time\n\n' + "".join(FUNCTION.format(i=i) for i in range(n))


def test_module_bindings_are_collected_once_per_file_not_per_fix(monkeypatch):
    from fftlint.facts import bindings

    calls = []
    original = bindings._Runner.__init__

    def counting(self, facts, scope, flow, sequential):
        if scope.kind == "module":
            calls.append(scope)
        return original(self, facts, scope, flow, sequential)

    monkeypatch.setattr(bindings._Runner, "__init__", counting)
    config = api.make_config(Settings(), select=["FFT101"])
    text = _module(40)
    result = api.lint_text(text, "m.py", config)
    fixes = [d.fix for d in result.diagnostics if d.fix is not None]
    assert len(fixes) == 40
    # the module's bindings are read once (the facts layer), whatever the number of fixes
    assert len(calls) <= 1
    # every fix carries the same import insertion after the last import
    imports = {e for f in fixes for e in f.edits if e.content == "import asyncio\n"}
    assert len(imports) == 1
    anchor = text.index("\n\nasync def f0")  # the line after ``import time``
    assert next(iter(imports)).start == anchor + 1


def test_many_fixes_apply_in_one_round_and_are_stable():
    config = api.make_config(Settings(), select=["FFT101"])
    text = _module(60)
    outcome = fixer.fix_to_fixpoint(text, lambda t: api.lint_text(t, "m.py", config))
    assert len(outcome.applied) == 60
    assert outcome.text.count("import asyncio\n") == 1
    assert outcome.text.count("await asyncio.sleep(") == 60
    again = fixer.fix_to_fixpoint(outcome.text, lambda t: api.lint_text(t, "m.py", config))
    assert again.text == outcome.text and not again.applied


def _diag(edits):
    return Diagnostic("FFT101", "x", "m", "p.py", Span(1, 1, 1, 1), fix=Fix("t", SAFE, tuple(edits)))


def _reference_choose(diagnostics):
    """The quadratic definition the fast ``choose`` must agree with."""
    chosen, taken = [], []
    for diag in sorted(diagnostics, key=lambda d: d.fix.edits[0].start if d.fix.edits else 0):
        edits = diag.fix.edits
        if any(fixer._overlaps(e, t) for e in edits for t in taken):
            continue
        chosen.append(diag)
        taken.extend(edits)
    return chosen


def test_choose_agrees_with_the_pairwise_overlap_definition():
    rng = random.Random(13)
    for _ in range(300):
        diagnostics = []
        for _ in range(rng.randint(1, 12)):
            # a fix's own edits do not overlap one another (distinct nodes + one import)
            edits, pos = [], rng.randint(0, 5)
            for _ in range(rng.randint(1, 3)):
                start = pos + rng.choice((0, 1, 3, 8))
                end = start + rng.choice((0, 0, 1, 2, 5))
                edits.append(Edit(start, end, rng.choice(("", "a", "import x\n"))))
                pos = end
            diagnostics.append(_diag(edits))
        assert fixer.choose(diagnostics, unsafe=False) == _reference_choose(diagnostics)


def test_no_fix_adds_an_import_of_the_package_the_module_belongs_to(tmp_path):
    """``import asyncio`` must never be inserted into a module of ``asyncio`` itself."""
    package = tmp_path / "asyncio"
    package.mkdir()
    (package / "__init__.py").write_text("")
    module = package / "helpers.py"
    module.write_text("import time\n\nasync def pause():\n    time.sleep(1)\n")
    config = api.make_config(Settings(), select=["FFT101"])
    result = api.lint_file(str(module), config)
    [diag] = [d for d in result.diagnostics if d.code == "FFT101"]
    assert diag.fix is None
    # the same code outside the package keeps its fix
    other = tmp_path / "app.py"
    other.write_text(module.read_text())
    [diag] = [d for d in api.lint_file(str(other), config).diagnostics if d.code == "FFT101"]
    assert diag.fix is not None and any("import asyncio" in e.content for e in diag.fix.edits)
