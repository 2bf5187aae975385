"""LibCST's walk and the binding map number statements alike, on real code.

LibCST rules ask the facts layer about "statement *k*"; if the two trees ever disagreed,
the layer would answer about another statement. ``Names`` detects a disagreement and then
knows nothing (rules go silent); this test makes sure it never happens on the standard
library (a sample by default, every file in the slow run)."""

from __future__ import annotations

import ast
import os
import sysconfig
import warnings

import libcst as cst
import pytest

from fftlint.engine.run import deep_recursion
from fftlint.engine.walk import Walker
from fftlint.facts.bindings import ModuleFacts
from fftlint.facts.cst import Names
from fftlint.rule import FileContext

STDLIB = sysconfig.get_paths()["stdlib"]


def stdlib_files():
    out = []
    for dirpath, dirnames, filenames in os.walk(STDLIB):
        dirnames[:] = sorted(d for d in dirnames if d not in ("site-packages", "__pycache__", "test", "tests", "idle_test", "lib2to3"))
        out.extend(os.path.join(dirpath, f) for f in sorted(filenames) if f.endswith(".py"))
    return out


def check(path: str) -> bool:
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        text = data.decode("utf-8")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
        module = cst.parse_module(text)
    except Exception:  # noqa: BLE001 - files either parser rejects are not this test's business
        return False
    facts = ModuleFacts(tree, "m")
    names = Names(facts, "m", False)
    ctx = FileContext(path, text, module, names, "m")
    with deep_recursion():
        Walker(ctx, []).run(module)
    assert not names.desynced, f"{path}: the statement counts disagree"
    assert names._next == len(facts.statements), path
    return True


def test_sample_of_the_stdlib():
    files = stdlib_files()
    sample = files[:: max(1, len(files) // 60)]
    assert sum(check(p) for p in sample) >= 40


def test_odd_statement_shapes():
    code = (
        "if a: b; c\nelif d: e\nelse:\n    f; g;\n"
        "try: h\nexcept* E: i\nelse: j\nfinally: k\n" if hasattr(ast, "TryStar") else "if a: b; c\nelif d: e\nelse:\n    f; g;\n"
    )
    code += "class C: x = 1; y = 2\n@d\ndef f(a=lambda: 1): return [i for i in a]\nwhile x: break\nelse: pass\nwith a as b, c: pass\n"
    if hasattr(ast, "Match"):
        code += "match p:\n    case [1, *r] if r: q\n    case _: pass\n"
    path = "odd.py"
    tree = ast.parse(code)
    module = cst.parse_module(code)
    names = Names(ModuleFacts(tree, "m"), "m", False)
    Walker(FileContext(path, code, module, names, "m"), []).run(module)
    assert not names.desynced and names._next == len(names.facts.statements)


@pytest.mark.slow
def test_every_stdlib_file():
    assert sum(check(p) for p in stdlib_files()) > 500
