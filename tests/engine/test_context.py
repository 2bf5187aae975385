"""The context stack: which frame a node is in, as rules see it."""

import libcst as cst

from fftlint.analysis.names import Scopes
from fftlint.engine.walk import Walker
from fftlint.rule import FileContext, Rule


class _Frames(Rule):
    code = "FFT998"
    name = "frames"
    message = "frames"

    def __init__(self, ctx, options=None):
        super().__init__(ctx, options)
        self.calls = {}

    def visit_Call(self, node):
        name = self.ctx.code_for(node.func)
        stack = self.ctx.stack
        self.calls[name] = (stack.in_async_def, len(stack.loops), stack.function_name)


def frames(code):
    module = cst.parse_module(code)
    ctx = FileContext("x.py", code, module, Scopes("m"), "m")
    rule = _Frames(ctx)
    Walker(ctx, [rule]).run(module)
    return rule.calls


def test_async_body_but_not_nested_def_lambda_or_class():
    calls = frames(
        "async def f():\n"
        "    direct()\n"
        "    def inner():\n        nested()\n"
        "    cb = lambda: in_lambda()\n"
        "    class K:\n        in_class()\n"
    )
    assert calls["direct"] == (True, 0, "f")
    assert calls["nested"][0] is False
    assert calls["in_lambda"][0] is False
    assert calls["in_class"][0] is False


def test_decorators_and_defaults_are_evaluated_outside_the_function():
    calls = frames("async def outer():\n    @deco()\n    async def f(x=default()):\n        pass\n")
    assert calls["deco"] == (True, 0, "outer")
    assert calls["default"] == (True, 0, "outer")
    calls = frames("@deco()\nasync def f(x=default()):\n    pass\n")
    assert calls["deco"][0] is False and calls["default"][0] is False


def test_loops_iterables_and_comprehensions():
    calls = frames(
        "def f():\n"
        "    for x in source():\n"
        "        body()\n"
        "        [elt(y) for y in first() for z in second()]\n"
        "    while cond():\n        pass\n"
        "    else:\n        after()\n"
    )
    assert calls["source"][1] == 0  # evaluated once, before the loop
    assert calls["body"][1] == 1
    assert calls["first"][1] == 1  # the comprehension's first iterable: outside it, inside the for
    assert calls["second"][1] == 2
    assert calls["elt"][1] == 2
    assert calls["cond"][1] == 1  # a while test runs every iteration
    assert calls["after"][1] == 0


def test_loop_in_outer_function_does_not_leak_into_nested_function():
    calls = frames("def f():\n    for x in y:\n        def g():\n            call()\n")
    assert calls["call"][1] == 0
