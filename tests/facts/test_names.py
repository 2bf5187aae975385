"""``ctx.names`` as LibCST rules see it: the binding map plus the project, per statement."""

from __future__ import annotations

import pytest

from fftlint.facts.imports import resolve_relative

from .helpers import calls, probe


def test_aliases_and_attribute_chains():
    seen = calls(
        "from time import sleep as zz\nimport requests as r\nimport os.path\nimport urllib.request\n"
        "zz(1)\nr.get(u)\nos.path.exists(p)\nurllib.request.urlopen(u)\n"
    )
    assert seen["zz"] == "time.sleep"
    assert seen["r.get"] == "requests.get"
    assert seen["os.path.exists"] == "os.path.exists"
    assert seen["urllib.request.urlopen"] == "urllib.request.urlopen"


def test_builtins_resolve_to_their_name_and_local_defs_shadow_them():
    assert calls("open(p)\n")["open"] == "open"
    assert calls("def open(p):\n    pass\nopen(p)\n")["open"] == "pkg.mod.open"


def test_parameters_and_assignments_shadow_imports():
    assert calls("import time\ndef f(time):\n    time.sleep(1)\n")["time.sleep"] is None
    assert calls("import requests\nasync def f():\n    requests = make()\n    requests.get(u)\n")["requests.get"] == "make().get"


def test_a_name_is_what_it_holds_at_that_statement():
    seen = probe(
        "import time\n"
        "async def f(p):\n"
        "    time.sleep(1)\n"
        "    time = object()\n"
        "    time.sleep(2)\n"
    )
    assert [name for src, name, _a, _l in seen if src == "time.sleep"] == [None, "object().sleep"]  # a local from the start
    seen = probe("from pathlib import Path\nasync def f(p):\n    p.exists()\n    p = Path(p)\n    p.exists()\n")
    assert [name for src, name, _a, _l in seen if src == "p.exists"] == [None, "pathlib.Path().exists"]


def test_instances_from_calls_with_annotations_and_strings():
    seen = calls(
        "import requests, httpx\n"
        "s = requests.Session()\n"
        "def f(c: httpx.Client, o: 'httpx.Client', u: 'httpx.Client | None' = None):\n"
        "    s.get(u)\n    c.post(u)\n    o.put(u)\n    u.delete(x)\n"
        "    with open(p) as fh:\n        fh.read()\n"
    )
    assert seen["s.get"] == "requests.Session().get"
    assert seen["c.post"] == "httpx.Client().post"
    assert seen["o.put"] == "httpx.Client().put"
    assert seen["u.delete"] == "httpx.Client().delete"
    assert seen["fh.read"] == "open().read"


def test_class_scope_is_invisible_to_methods_and_globals_declared_in_functions():
    assert calls("import time\nclass A:\n    time = None\n    def m(self):\n        time.sleep(1)\n")["time.sleep"] == "time.sleep"
    assert calls("def f():\n    global requests\n    import requests\n\ndef g():\n    requests.get(u)\n")["requests.get"] == "requests.get"


def test_conditional_import_fallback_keeps_the_import():
    assert calls("try:\n    import ujson as json\nexcept ImportError:\n    json = None\njson.loads(s)\n")["json.loads"] == "ujson.loads"


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
    assert calls("from .helpers import load\nload()\n", module="app.handlers")["load"] == "app.helpers.load"


def test_self_attributes_assigned_in_any_method():
    seen = calls(
        "import requests, httpx\n"
        "class Api:\n"
        "    client: httpx.Client\n"
        "    def __init__(self):\n"
        "        if True:\n"
        "            self.session = requests.Session()\n"
        "    async def f(me):\n"
        "        me.session.get('u')\n"
        "        me.client.post('u')\n"
        "        me.other.get('u')\n",
        module="m",
    )
    assert seen["me.session.get"] == "requests.Session().get"
    assert seen["me.client.post"] == "httpx.Client().post"
    assert seen["me.other.get"] is None


def test_conflicting_self_attributes_are_unknown_and_static_methods_have_no_self():
    seen = probe(
        "import requests, httpx\n"
        "class Api:\n"
        "    def a(self):\n"
        "        self.c = requests.Session()\n"
        "    def b(self):\n"
        "        self.c = httpx.AsyncClient()\n"
        "    async def f(self):\n"
        "        self.c.get('u')\n"
        "    @staticmethod\n"
        "    def g(self):\n"
        "        self.c.get('u')\n",
        module="m",
    )
    assert [name for _s, name, _a, _l in seen][-2:] == [None, None]


def test_aliases_and_defaults_keep_the_instance():
    seen = dict(
        (s, n)
        for s, n, _a, _l in probe(
            "import httpx\n"
            "from typing import Optional\n"
            "async def f(c: Optional[httpx.Client] = None, flag=False):\n"
            "    c = c or httpx.Client()\n"
            "    d = c\n"
            "    e = d if flag else httpx.Client()\n"
            "    g = d if flag else httpx.AsyncClient()\n"
            "    e.get('u')\n"
            "    g.get('u')\n"
        )
    )
    assert seen["e.get"] == "httpx.Client().get"
    assert seen["g.get"] is None


def test_lambda_parameters_and_comprehension_targets():
    seen = calls(
        "import time\nfrom pathlib import Path\n"
        "def f(paths: list[Path]):\n"
        "    g = lambda time: time.sleep(1)\n"
        "    [p.exists() for p in paths]\n"
        "    [q.read_text() for ps in [paths] for q in ps]\n"
    )
    assert seen["time.sleep"] is None
    assert seen["p.exists"] == "pathlib.Path().exists"
    assert seen["q.read_text"] == "pathlib.Path().read_text"


def test_values_returned_by_functions_of_the_same_file():
    seen = calls(
        "from pathlib import Path\n"
        "def image_path(name) -> Path:\n    return Path(name)\n"
        "def make():\n    return Path('x')\n"
        "async def f():\n    p = image_path('a')\n    p.exists()\n    make().unlink()\n"
    )
    assert seen["p.exists"] == "pathlib.Path().exists"
    assert seen["make().unlink"] == "pathlib.Path().unlink"


def test_self_class_and_nested_functions():
    from fftlint.engine.run import lint_source
    from fftlint.rule import Rule

    seen = []

    class SelfProbe(Rule):
        code = "FFT998"

        def visit_Call(self, node):  # type: ignore[no-untyped-def]
            seen.append(self.ctx.names.self_class("self"))

    lint_source("class C:\n    def m(self):\n        def inner():\n            return self.m()\n        return inner\n", "pkg/m.py", [SelfProbe], module_name="pkg.m", prefilter=False)
    assert seen == [None]  # inside a nested function `self` is a closure variable, not the parameter


def test_frames_seen_by_rules():
    seen = probe(
        "async def f():\n"
        "    direct()\n"
        "    for x in source():\n"
        "        body()\n"
        "        [elt(y) for y in first() for z in second()]\n"
        "    def inner():\n        nested()\n"
    )
    frames = {s: (a, loops) for s, _n, a, loops in seen}
    assert frames["direct"] == (True, 0)
    assert frames["source"] == (True, 0)
    assert frames["body"] == (True, 1)
    assert frames["first"] == (True, 1)
    assert frames["second"] == (True, 2)
    assert frames["nested"] == (False, 0)
