"""The context stack: which frame a node is in, as rules see it."""

from fftlint.engine.run import lint_source
from fftlint.rule import Rule


class _Frames(Rule):
    code = "FFT998"
    name = "frames"
    message = "frames"

    calls: dict = {}

    def visit_Call(self, node):
        name = self.ctx.code_for(node.func)
        stack = self.ctx.stack
        _Frames.calls[name] = (stack.in_async_def, len(stack.loops), stack.function_name)


def frames(code):
    _Frames.calls = {}
    lint_source(code, "m.py", [_Frames], module_name="m", prefilter=False)
    return _Frames.calls


class _Skips(Rule):
    """Returns False from visit_ClassDef: the class body is skipped for this rule only."""

    code = "FFT997"
    name = "skips"
    message = "skips"
    seen: list = []

    def visit_ClassDef(self, node):
        _Skips.seen.append(("class", node.name.value))
        return False

    def leave_ClassDef(self, node):
        _Skips.seen.append(("leave", node.name.value))

    def visit_Call(self, node):
        _Skips.seen.append(("call", self.ctx.code_for(node.func)))


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


def test_visit_returning_false_skips_the_children_for_that_rule_only():
    _Skips.seen, _Frames.calls = [], {}
    lint_source("class K:\n    inside()\noutside()\n", "m.py", [_Skips, _Frames], module_name="m", prefilter=False)
    assert _Skips.seen == [("class", "K"), ("leave", "K"), ("call", "outside")]
    assert set(_Frames.calls) == {"inside", "outside"}
