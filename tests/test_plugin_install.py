"""A rule plugin, packaged and installed as a user would (issue 8, item 6).

The test builds a small distribution with an ``fftlint.rules`` entry point, installs it
with pip into a fresh virtual environment that sees this fftlint (a ``.pth`` file adds the
running interpreter's site directories, so no network and no second copy of fftlint),
and runs ``python -m fftlint`` there: the plugin's rule reports, selects by its own
prefix, explains itself, obeys ``# noqa``, runs its examples through
``fftlint.testing``, and an edit of its code invalidates the result cache."""

import json
import os
import site
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="the venv layout below is POSIX (bin/python)"
)

PYPROJECT = """\
[build-system]
requires = ["setuptools>=70.1"]
build-backend = "setuptools.build_meta"

[project]
name = "fftlint-acme"
version = "0.1.0"
dependencies = ["fftlint"]

[project.entry-points."fftlint.rules"]
acme = "fftlint_acme"
broken = "fftlint_acme_broken"

[tool.setuptools]
packages = ["fftlint_acme"]
py-modules = ["fftlint_acme_broken"]

[tool.setuptools.package-data]
fftlint_acme = ["*.yaml"]
"""

INIT = '''\
"""ACME's house rules for fftlint."""

from fftlint.rule import Family

FAMILY = Family("ACME1", "ACME house rules", "debugger hooks left in shipped code")
'''

RULE = '''\
"""ACME101: a debugger hook left in the code."""

import os

import libcst as cst
import yaml

from fftlint.rule import Invalid, Rule, Valid

with open(os.path.join(os.path.dirname(__file__), "hooks.yaml"), encoding="utf-8") as fh:
    HOOKS = frozenset(yaml.safe_load(fh)["hooks"])


class DebuggerHook(Rule):
    """## What it does
    Finds debugger hooks (`breakpoint()`, `pdb.set_trace()`) left in code.

    ## Why is this bad?
    A shipped debugger hook stops a worker until someone attaches a terminal.

    ## Example
    ```python
    import pdb

    def handle(event):
        pdb.set_trace()
    ```

    ## Use instead
    ```python
    def handle(event):
        ...
    ```

    ## Fix safety
    No fix: only the author knows what the hook was for.
    """

    code = "ACME101"
    name = "debugger-hook"
    message = "`{call}` stops the process in a debugger"
    VALID = [Valid("def f(x):\\n    return x\\n")]
    INVALID = [Invalid("import pdb\\n\\ndef f(x):\\n    pdb.set_trace()\\n    return x\\n")]

    def visit_Call(self, node: cst.Call) -> None:
        target = self.ctx.names.resolve(node.func)
        if target in HOOKS:
            self.report(node, call=target)
'''

HOOKS = "hooks:\n  - builtins.breakpoint\n  - pdb.set_trace\n"

BROKEN = 'raise ImportError("this plugin needs a library that is not installed")\n'

PROJECT_FILE = """\
from pdb import set_trace as stop


def handler(event):
    stop()
    breakpoint()  # noqa: ACME101
    return event
"""


def _site_dirs():
    dirs = list(site.getsitepackages()) + [site.getusersitepackages()]
    return [d for d in dirs if os.path.isdir(d)]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    root = tmp_path_factory.mktemp("plugin")
    dist = root / "fftlint-acme"
    (dist / "fftlint_acme").mkdir(parents=True)
    (dist / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (dist / "fftlint_acme" / "__init__.py").write_text(INIT + "\nfrom .debugger_hook import DebuggerHook  # noqa: F401\n", encoding="utf-8")
    (dist / "fftlint_acme" / "debugger_hook.py").write_text(RULE, encoding="utf-8")
    (dist / "fftlint_acme" / "hooks.yaml").write_text(HOOKS, encoding="utf-8")
    (dist / "fftlint_acme_broken.py").write_text(BROKEN, encoding="utf-8")

    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    lines = "".join(f"import site; site.addsitedir({d!r})\n" for d in _site_dirs())
    Path(purelib, "_outer_site.pth").write_text(lines, encoding="utf-8")
    build = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index", str(dist)],
        capture_output=True, text=True,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    installed = Path(purelib) / "fftlint_acme"
    assert (installed / "debugger_hook.py").is_file(), "pip installed the plugin elsewhere"

    project = root / "project"
    project.mkdir()
    (project / "app.py").write_text(PROJECT_FILE, encoding="utf-8")
    (project / "pyproject.toml").write_text("[tool.fftlint]\n", encoding="utf-8")  # the cache goes here
    return python, project, installed


def _run(env, *args):
    python, project, _ = env
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FFTLINT_", "PYTHON"))}
    return subprocess.run(
        [str(python), "-m", "fftlint", *args], cwd=project, capture_output=True, text=True, env=clean, timeout=120
    )


def test_the_plugin_rule_reports_by_its_own_prefix(env):
    done = _run(env, "--select", "ACME1", "--format", "json", "app.py")
    assert done.returncode == 1, done.stderr
    findings = json.loads(done.stdout)
    assert [(d["code"], d["line"]) for d in findings] == [("ACME101", 5)]  # line 6 has noqa
    assert findings[0]["message"] == "`pdb.set_trace` stops the process in a debugger"
    # a plugin that fails to import is named on stderr and does not stop the others
    assert "cannot load rule plugin 'broken'" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_plugin_family_and_docs_are_first_class(env):
    done = _run(env, "explain", "ACME101")
    assert done.returncode == 0, done.stderr
    assert "debugger-hook" in done.stdout and "ACME house rules" in done.stdout
    assert "A shipped debugger hook stops a worker" in done.stdout
    listed = _run(env, "rules")
    assert any(line.split()[:2] == ["ACME101", "debugger-hook"] for line in listed.stdout.splitlines()), listed.stdout
    sarif = json.loads(_run(env, "--select", "ACME101", "--format", "sarif", "app.py").stdout)
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules if not r["id"].startswith("FFT0")] == ["ACME101"]


def test_the_plugin_examples_pass_through_fftlint_testing(env):
    python, project, _ = env
    script = textwrap.dedent(
        """
        from fftlint.registry import lookup
        from fftlint.testing import check_example, rule_doc_problems
        rule = lookup("ACME101")
        for ex in (*rule.VALID, *rule.INVALID):
            check_example(rule, ex)
        assert rule_doc_problems(rule) is None, rule_doc_problems(rule)
        print("ok", rule.family())
        """
    )
    done = subprocess.run([str(python), "-c", script], cwd=project, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "ok ACME house rules"


def test_editing_the_plugin_invalidates_cached_results(env):
    _, project, installed = env
    first = _run(env, "--select", "ACME1", "--format", "json", "app.py")
    assert "stops the process" in first.stdout
    assert (project / ".fftlint_cache").is_dir(), "the run wrote no cache"
    rule = installed / "debugger_hook.py"
    text = rule.read_text(encoding="utf-8")
    rule.write_text(text.replace("stops the process in a debugger", "halts the worker"), encoding="utf-8")
    second = _run(env, "--select", "ACME1", "--format", "json", "app.py")
    assert [d["message"] for d in json.loads(second.stdout)] == ["`pdb.set_trace` halts the worker"]
    # data files of the plugin count too
    hooks = installed / "hooks.yaml"
    hooks.write_text("hooks:\n  - builtins.breakpoint\n", encoding="utf-8")
    third = _run(env, "--select", "ACME1", "--format", "json", "app.py")
    assert json.loads(third.stdout) == []
