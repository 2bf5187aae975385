"""Instance tracking the FFT1 rules rely on (additions to the import map)."""

from __future__ import annotations

import libcst as cst

from fftlint.analysis.names import Scopes
from fftlint.engine.walk import Walker
from fftlint.rule import FileContext, Rule


def resolved(source: str, module: str = "m"):
    """(callee source, canonical) of every call, as the walker sees it."""
    tree = cst.parse_module(source)
    out = []

    class Probe(Rule):
        code = "X999"

        def visit_Call(self, node):
            out.append((self.ctx.code_for(node.func), self.ctx.names.resolve(node.func)))

    ctx = FileContext("m.py", source, tree, Scopes(module), module)
    Walker(ctx, [Probe(ctx)]).run(tree)
    return out


def test_self_attributes_assigned_in_any_method():
    src = (
        "import requests, httpx\n"
        "class Api:\n"
        "    client: httpx.Client\n"
        "    def __init__(self):\n"
        "        if True:\n"
        "            self.session = requests.Session()\n"
        "    async def f(me):\n"
        "        me.session.get('u')\n"
        "        me.client.post('u')\n"
        "        me.other.get('u')\n"
    )
    calls = dict(resolved(src))
    assert calls["me.session.get"] == "requests.Session().get"
    assert calls["me.client.post"] == "httpx.Client().post"
    assert calls["me.other.get"] is None


def test_conflicting_self_attributes_are_unknown_and_static_methods_have_no_self():
    src = (
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
        "        self.c.get('u')\n"
    )
    assert [c for _, c in resolved(src)][-2:] == [None, None]


def test_self_class_and_nested_functions():
    src = "class C:\n    def m(self):\n        def inner():\n            return self.m()\n        return inner\n"
    tree = cst.parse_module(src)
    seen = []

    class Probe(Rule):
        code = "X998"

        def visit_Call(self, node):
            seen.append(self.ctx.names.self_class("self"))

    ctx = FileContext("m.py", src, tree, Scopes("pkg.m"), "pkg.m")
    Walker(ctx, [Probe(ctx)]).run(tree)
    assert seen == ["pkg.m.C"]


def test_aliases_and_defaults_keep_the_instance():
    src = (
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
    calls = resolved(src)
    assert ("e.get", "httpx.Client().get") in calls
    assert ("g.get", None) in calls
