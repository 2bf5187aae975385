"""The cheap import map: what `Scopes.resolve` says an expression refers to."""

import libcst as cst
import pytest

from fftlint.engine.walk import Walker
from fftlint.rule import FileContext, Rule
from fftlint.analysis.names import Scopes, resolve_relative


class _Probe(Rule):
    """Records what every call's callee resolves to, with the frame it sits in."""

    code = "FFT999"
    name = "probe"
    message = "probe"

    def __init__(self, ctx, options=None):
        super().__init__(ctx, options)
        self.seen = []

    def visit_Call(self, node):
        self.seen.append((self.ctx.code_for(node.func), self.ctx.names.resolve(node.func), self.ctx.stack.in_async_def))


def probe(code, module_name="pkg.mod", is_package=False):
    module = cst.parse_module(code)
    ctx = FileContext("x.py", code, module, Scopes(module_name, is_package), module_name)
    rule = _Probe(ctx)
    Walker(ctx, [rule]).run(module)
    return {src: (name, in_async) for src, name, in_async in rule.seen}


def test_aliases_and_attribute_chains():
    seen = probe(
        "from time import sleep as zz\nimport requests as r\nimport os.path\nimport urllib.request\n"
        "zz(1)\nr.get(u)\nos.path.exists(p)\nurllib.request.urlopen(u)\n"
    )
    assert seen["zz"][0] == "time.sleep"
    assert seen["r.get"][0] == "requests.get"
    assert seen["os.path.exists"][0] == "os.path.exists"
    assert seen["urllib.request.urlopen"][0] == "urllib.request.urlopen"


def test_builtins_resolve_to_their_name_and_local_defs_shadow_them():
    assert probe("open(p)\n")["open"][0] == "open"
    assert probe("def open(p):\n    pass\nopen(p)\n")["open"][0] == "pkg.mod.open"


def test_parameters_and_assignments_shadow_imports():
    seen = probe("import time\ndef f(time):\n    time.sleep(1)\n")
    assert seen["time.sleep"][0] is None
    seen = probe("import requests\nasync def f():\n    requests = make()\n    requests.get(u)\n")
    assert seen["requests.get"][0] == "make().get"


def test_instances_from_calls_with_and_annotations():
    seen = probe(
        "import requests, httpx\n"
        "s = requests.Session()\n"
        "def f(c: httpx.Client, o: 'httpx.Client'):\n"
        "    s.get(u)\n    c.post(u)\n    o.put(u)\n"
        "    with open(p) as fh:\n        fh.read()\n"
    )
    assert seen["s.get"][0] == "requests.Session().get"
    assert seen["c.post"][0] == "httpx.Client().post"
    assert seen["o.put"][0] is None  # string annotations are not evaluated
    assert seen["fh.read"][0] == "open().read"


def test_class_scope_is_invisible_to_methods():
    seen = probe("import time\nclass A:\n    time = None\n    def m(self):\n        time.sleep(1)\n")
    assert seen["time.sleep"][0] == "time.sleep"


def test_global_declaration_binds_in_module_scope():
    seen = probe("def f():\n    global requests\n    import requests\n\ndef g():\n    requests.get(u)\n")
    assert seen["requests.get"][0] == "requests.get"


def test_conditional_import_fallback_keeps_the_import():
    seen = probe("try:\n    import ujson as json\nexcept ImportError:\n    json = None\njson.loads(s)\n")
    assert seen["json.loads"][0] == "ujson.loads"


@pytest.mark.parametrize(
    "module, level, current, is_package, expected",
    [
        ("x", 1, "pkg.sub.mod", False, "pkg.sub.x"),
        ("x", 2, "pkg.sub.mod", False, "pkg.x"),
        ("", 1, "pkg.sub", True, "pkg.sub"),
        ("y", 1, "pkg", True, "pkg.y"),
    ],
)
def test_relative_imports(module, level, current, is_package, expected):
    assert resolve_relative(module, level, current, is_package) == expected


def test_relative_import_resolution_in_code():
    seen = probe("from .helpers import load\nload()\n", module_name="app.handlers")
    assert seen["load"][0] == "app.helpers.load"
