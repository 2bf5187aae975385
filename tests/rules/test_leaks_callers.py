"""The FFT309 callers fact (``rules/leaks/callers.py``): which module-level functions run
once per process because every reference to them is a plain call made once.

``once_called`` reads only the files whose text can matter and looks names up in word
sets; a straightforward reference here parses every file, walks every tree recursively
and scans every text per name. Both must give the same set, on the fixture projects and
(slow) on the standard library. Seeds are every module-level entry point and set-up
function (by name, decorator or the ``setup-functions`` option), whatever module it is
in."""

from __future__ import annotations

import ast
import os
import re
import sysconfig

import pytest

from fftlint.testing import lint_tree, python_files, write_tree as write
from rules.leaks import callers
from rules.leaks.callers import _MAX_LEVELS, _MAX_MODULES, _may_seed, _resolve, _takes_namespace, once_called
from rules.leaks.listener_per_call import _setup_def
from rules.leaks.registration_helper_per_call import module_entry_points

FIXTURES = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "fixtures"))
LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


# --------------------------------------------------------------------------- the reference
def reference_info(data, path, setup):
    """Every file parsed, every node visited recursively (``ast.iter_child_nodes``)."""
    try:
        tree = ast.parse(data, filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {"entries": frozenset(), "commands": frozenset(), "defs": frozenset(), "plain": frozenset(), "imports": {}, "calls": {}, "refs": {}}
    refs, calls, imports = {}, {}, {}

    def ref(name, kind):
        refs.setdefault(name, []).append(kind)

    def visit(node, fn, rep, parent):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for expr in [*node.decorator_list, *node.args.defaults, *[d for d in node.args.kw_defaults if d is not None]]:
                visit(expr, fn, rep, node)
            top = fn is None and not rep and isinstance(parent, ast.Module)
            for stmt in node.body:
                visit(stmt, node.name if top else fn, rep or not top, node)
        elif isinstance(node, (ast.Lambda, ast.ClassDef)):
            for child in ast.iter_child_nodes(node):
                visit(child, fn, True, node)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            ref(node.func.id, ("other", "") if rep else ("function", fn) if fn else ("module", ""))
            if fn and not rep:
                calls.setdefault(fn, []).append(node.func.id)
            for child in [*node.args, *node.keywords]:
                visit(child, fn, rep, node)
        elif isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                ref(node.id, ("other", ""))
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.asname and alias.asname != alias.name:
                    ref(alias.name, ("other", ""))
                # of two imports of one name (`try: from a import f` / `except ImportError:
                # from b import f`), the first one in the source is followed
                imports.setdefault(alias.asname or alias.name, (node.module or "", node.level, alias.name))
        else:
            if isinstance(node, ast.Attribute) and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                ref(node.attr, ("other", ""))
            looped = rep or isinstance(node, LOOPS)
            for child in ast.iter_child_nodes(node):
                once = isinstance(node, (ast.For, ast.AsyncFor)) and child is node.iter
                visit(child, fn, rep if once else looped, node)

    for stmt in tree.body:
        visit(stmt, None, False, tree)
    defs = {s.name: s for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
    namespace = {"argparse.Namespace"} | {
        a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == "argparse" for a in n.names if a.name == "Namespace"
    }
    commands = set(module_entry_points(tree)) | {name for name, fn in defs.items() if _takes_namespace(fn, namespace)}
    entries = commands | {name for name, fn in defs.items() if _setup_def(fn, setup)}
    return {
        "entries": frozenset(entries & set(defs)),
        "commands": frozenset(commands & set(defs)),
        "defs": frozenset(defs),
        "plain": frozenset(name for name, fn in defs.items() if not fn.decorator_list),
        "imports": imports,
        "calls": calls,
        "refs": refs,
    }


def reference_once_called(files, setup=()):
    from fftlint.engine.run import module_name_for

    texts = {}
    for path in files:
        with open(path, "rb") as fh:
            texts[os.path.abspath(path)] = fh.read()
    modules = {path: module_name_for(path)[0] for path in texts}
    by_module = {m: p for p, m in modules.items()}
    infos = {path: reference_info(data, path, tuple(setup)) for path, data in texts.items()}
    entries = {(path, name) for path, info in infos.items() for name in info["entries"]}
    once, frontier = set(), set(entries)
    for _ in range(_MAX_LEVELS):
        candidates = set()
        for path, name in frontier:
            for callee in infos[path]["calls"].get(name, ()):
                target = _resolve(callee, path, modules, by_module, infos[path])
                if target is None or target in once or target in entries:
                    continue
                home = infos[target[0]]
                if target[1] in home["plain"] and (target[1].startswith("_") or home["commands"]):
                    candidates.add(target)
        proven = set()
        for target in candidates:
            word = re.compile(rb"(?<![\w])" + re.escape(target[1].encode()) + rb"(?![\w])")
            mentions = [p for p, data in texts.items() if word.search(data)]
            if len(mentions) > _MAX_MODULES:
                continue
            kinds = [(p, k) for p in mentions for k in infos[p]["refs"].get(target[1], ())]
            if kinds and all(
                kind == "module" or (kind == "function" and ((p, where) in once | {target} or where in infos[p]["entries"]))
                for p, (kind, where) in kinds
            ):
                proven.add(target)
        if not proven:
            break
        once |= proven
        frontier = proven
    return frozenset(once)


# --------------------------------------------------------------------------- tests
def fixture_files():
    return [p for p in python_files(FIXTURES)]


@pytest.mark.parametrize("setup", [(), ("warm_*", "handle_*")])
def test_once_called_agrees_with_the_reference_on_the_fixture_projects(setup):
    callers._MEMO.clear()
    files = fixture_files()
    want = reference_once_called(files, setup)
    assert want, "the fixture projects have once-called functions"
    assert once_called(files, setup) == want


def test_set_up_functions_in_any_module_seed_the_callers():
    """``initdb`` (a one-off database command by its name) and a startup hook (set-up
    code by its decorator) live in modules without a command line or a main block: the
    private helpers only they call run once; one also called per request does not."""
    base = os.path.join(FIXTURES, "leaks", "dbtool")
    found = once_called(python_files(base))
    assert sorted(name for _, name in found) == ["_create_tables", "_load_defaults"]


def test_configured_setup_functions_seed_the_callers(tmp_path):
    write(tmp_path, {
        "svc/__init__.py": "",
        "svc/boot.py": """
            from .work import _prime

            def prime_caches():
                _prime()
        """,
        "svc/work.py": """
            def _prime():
                pass
        """,
    })
    files = python_files(str(tmp_path))
    assert once_called(files) == frozenset()
    assert {name for _, name in once_called(files, ("prime_*",))} == {"_prime"}


def test_a_helper_also_called_per_request_keeps_reporting(tmp_path):
    """The true positive of the fixture stays, and the look-alike goes silent."""
    base = os.path.join(FIXTURES, "leaks", "dbtool")
    found = sorted((path, d.span.line) for path, d in lint_tree(base, ["FFT309"]))
    assert found == [("schema.py", 28)]


SEEDS = {
    # (text, whether the text may hold a seed that calls a project function by name)
    "def initdb():\n    _create()\n\ndef _create():\n    pass\n": True,
    "def initdb():\n    print('x')\n": False,  # a builtin, not imported, not a def here
    "def handle():\n    _create()\n\ndef _create():\n    pass\n": False,  # no seed
    "from .jobs import (\n    a,\n    _run,\n)\n\ndef main():\n    _run()\n": True,
    "from .jobs import run as _go\n\ndef main():\n    _go()\n": True,
    "from .jobs import a, \\\n    _run\n\ndef main():\n    _run()\n": True,
    "@app.on_event('startup')\ndef warm():\n    _load()\n\ndef _load():\n    pass\n": True,
    "@traced\ndef warm():\n    _load()\n\ndef _load():\n    pass\n": False,  # not a set-up decorator
    "@app.on_event('startup')\n# warm the caches\n\ndef warm():\n    _load()\n\ndef _load():\n    pass\n": True,
    "def _load():\n    return go(1)\n\ndef warm():\n    _load()\n": False,  # the line above is another body's
    "@app.on_event(\n'startup')\ndef warm():\n    _load()\n\ndef _load():\n    pass\n": True,
    "@app.on_event(\n    'startup',\n)\ndef warm():\n    _load()\n\ndef _load():\n    pass\n": True,  # spread over lines: unclear
    # a line at column 0 inside a string would cut the body short: unclear
    'def setup():\n    s = """\nx\n"""\n    _load()\n\ndef _load():\n    pass\n': True,
    "def warm():\n    _load()\n\ndef _load():\n    pass\n\nif __name__ == '__main__':\n    warm()\n": True,
    "def warm():\n    _load()\n\ndef _load():\n    pass\n\nif __name__ == '__main__':\n    unittest.main()\n": False,
    "import argparse\n\ndef run(args: argparse.Namespace):\n    pass\n": True,
}


def test_the_seed_pre_check_reads_the_text_conservatively():
    for text, may in SEEDS.items():
        assert _may_seed(text.encode(), ()) is may, text


def test_the_seed_pre_check_never_skips_a_seed_that_calls_by_name():
    """Every fixture file whose parse shows a seed calling a def of its module or an
    imported name is one the text pre-check keeps."""
    for path in fixture_files():
        with open(path, "rb") as fh:
            data = fh.read()
        info = reference_info(data, path, ())
        leads = [c for e in info["entries"] for c in info["calls"].get(e, ()) if c in info["defs"] or c in info["imports"]]
        assert not leads or _may_seed(data, ()), path


@pytest.mark.slow
def test_once_called_agrees_with_the_reference_on_the_standard_library():
    root = sysconfig.get_paths()["stdlib"]
    files = [p for p in python_files(root) if "site-packages" not in p]
    callers._MEMO.clear()
    assert once_called(files) == reference_once_called(files)


def test_a_warm_run_answers_the_seed_pre_check_from_the_file_memo(tmp_path, monkeypatch):
    """The seed pre-check of an unchanged file is kept by content hash in the run's file
    memo: a warm run (a pre-commit hook on one changed file) reads it from there, and the
    edited file alone is checked again, with the same result as a cold run."""
    from fftlint.cache import Cache

    root = tmp_path / "p"
    write(root, {
        "tool/__init__.py": "",
        "tool/db.py": "def initdb():\n    _create()\n\n\ndef _create():\n    import atexit\n    atexit.register(print)\n",
        "tool/web.py": "def handler(request):\n    return request\n",
    })
    files = python_files(str(root))
    cache = Cache(str(tmp_path / "c"))
    cold = once_called(files, (), None)
    first = cache.begin_run()
    assert once_called(files, (), cache) == cold
    first.save()
    checked = []
    real = callers._may_seed
    monkeypatch.setattr(callers, "_may_seed", lambda data, setup: checked.append(data) or real(data, setup))
    cache.begin_run()
    assert once_called(files, (), cache) == cold and checked == []
    (root / "tool" / "web.py").write_text("def handler(request):\n    return request.path\n", encoding="utf-8")
    cache.begin_run()
    assert once_called(files, (), cache) == cold
    assert checked == [b"def handler(request):\n    return request.path\n"]
