"""libcst is loaded when a file first needs it, not when fftlint starts (fftlint/_deferred.py).

A pre-commit run on one changed file that no rule needs LibCST for would otherwise spend
a third of its time importing libcst. The checks run in a fresh interpreter: the test
process itself has long since loaded libcst."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from fftlint import _deferred


def _python(code: str, cwd=None) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, cwd=cwd, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_importing_fftlint_and_every_rule_does_not_load_libcst():
    out = _python(
        """
        import sys
        from fftlint import api, cli, registry
        rules = registry.all_rules()
        print(len(rules), "libcst._nodes" in sys.modules)
        """
    )
    count, loaded = out.split()
    assert int(count) >= 30 and loaded == "False"


def test_a_run_that_parses_nothing_with_libcst_never_loads_it(tmp_path):
    (tmp_path / "plain.py").write_text("def area(w, h):\n    return w * h\n", encoding="utf-8")
    (tmp_path / "slow.py").write_text("import time\n\nasync def f():\n    time.sleep(1)\n", encoding="utf-8")
    code = """
        import json, sys
        from fftlint import api
        from fftlint.config.settings import Settings
        config = api.make_config(Settings(root="."), select=["ALL"])
        results = api.lint_paths([{path!r}], config)
        codes = sorted(d.code for r in results for d in r.diagnostics)
        print(json.dumps([codes, "libcst._nodes" in sys.modules]))
    """
    assert json.loads(_python(code.format(path="plain.py"), cwd=tmp_path)) == [[], False]
    # a file a rule needs: libcst is loaded then, and the rule reports as before
    codes, loaded = json.loads(_python(code.format(path="slow.py"), cwd=tmp_path))
    assert "FFT101" in codes and loaded is True


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A throwaway package whose ``__init__`` counts its runs in ``builtins``."""
    root = tmp_path / "deferredpkg"
    root.mkdir()
    (root / "__init__.py").write_text("import builtins\nbuiltins.DEFERRED_RUNS = getattr(builtins, 'DEFERRED_RUNS', 0) + 1\nVALUE = 42\n")
    (root / "sub.py").write_text("from deferredpkg import VALUE\nDOUBLE = VALUE * 2\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield root
    import builtins

    for name in ("deferredpkg", "deferredpkg.sub"):
        sys.modules.pop(name, None)
    if hasattr(builtins, "DEFERRED_RUNS"):
        del builtins.DEFERRED_RUNS


def test_the_stand_in_becomes_the_real_module_on_first_use(package):
    import builtins

    stand_in = _deferred.defer("deferredpkg")
    assert stand_in is sys.modules["deferredpkg"]
    import deferredpkg  # a plain import does not run the package yet

    assert deferredpkg is stand_in and not hasattr(builtins, "DEFERRED_RUNS")
    assert deferredpkg.VALUE == 42 and builtins.DEFERRED_RUNS == 1
    assert type(deferredpkg).__name__ == "module"  # a plain module from now on
    assert deferredpkg.VALUE == 42 and builtins.DEFERRED_RUNS == 1
    with pytest.raises(AttributeError):
        deferredpkg.missing  # noqa: B018


def test_a_submodule_import_runs_the_package_first(package):
    import builtins

    _deferred.defer("deferredpkg")
    import deferredpkg.sub

    assert deferredpkg.sub.DOUBLE == 84 and builtins.DEFERRED_RUNS == 1


def test_an_error_in_the_package_reaches_the_reader_and_a_later_import_retries(package):
    (package / "__init__.py").write_text("raise ImportError('broken on purpose')\n")
    module = _deferred.defer("deferredpkg")
    with pytest.raises(ImportError, match="broken on purpose"):
        module.anything  # noqa: B018
    assert "deferredpkg" not in sys.modules
    (package / "__init__.py").write_text("VALUE = 1\n")
    import deferredpkg

    assert deferredpkg.VALUE == 1


def test_nothing_changes_for_a_module_already_imported_or_missing():
    assert _deferred.defer("json") is None and sys.modules["json"] is json
    assert _deferred.defer("no_such_package_fftlint") is None
