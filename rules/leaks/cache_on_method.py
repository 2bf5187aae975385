"""FFT303: ``functools.lru_cache`` / ``functools.cache`` on an instance method."""

from __future__ import annotations

import ast
from typing import Any, Iterator, FrozenSet, Optional, Set

import libcst as cst

from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.rule import Invalid, Rule

from ._common import LeaksOptions, leak_facts, load_catalog, may_resolve, reachable, split_name, walk_nodes

IMPLICIT_BINDERS = {"__new__", "__init_subclass__", "__class_getitem__"}
#: a first parameter named like this is a class (the function becomes a classmethod later)
CLASS_PARAMS = {"cls", "mcs", "mcls", "metacls", "klass"}
BINDERS = {"staticmethod", "classmethod", "abc.abstractclassmethod", "abc.abstractstaticmethod"}


def _class_level_defs(body: list) -> Iterator[Any]:
    """Defs of a class body, also under ``if`` / ``try`` / ``with`` / loops (more than the
    rule's "the enclosing frame is the class": that only makes the check say True more)."""
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield stmt
        elif isinstance(stmt, ast.ClassDef):
            continue
        else:
            for field in ("body", "orelse", "finalbody"):
                block = getattr(stmt, field, None)
                if isinstance(block, list):
                    yield from _class_level_defs(block)
            for sub in getattr(stmt, "handlers", None) or getattr(stmt, "cases", None) or ():
                yield from _class_level_defs(sub.body)


def _may_be_unbounded(expr: ast.AST) -> bool:
    """``_extent`` can say "forever" for a cache whose default is bounded only when the
    call passes a literal ``None`` (as ``maxsize`` or its first argument)."""
    if not isinstance(expr, ast.Call):
        return False
    values = [*expr.args, *(k.value for k in expr.keywords)]
    return any(isinstance(v, ast.Constant) and v.value is None for v in values)


def _cleared_names(view: Any) -> Set[str]:
    """``_cleared`` on the ``ast``: names in ``<x>.<name>.cache_clear()`` calls."""
    names: Set[str] = set()
    for call in view.nodes(ast.Call):
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr == "cache_clear" and isinstance(func.value, ast.Attribute):
            names.add(func.value.attr)
    return names


class CacheOnMethod(Rule):
    """## What it does
    Checks for `@functools.lru_cache` / `@functools.cache` (and the same decorators from
    `async_lru` and `cachetools.func`) on instance methods: functions defined directly in a
    class body that are not `@staticmethod`, `@classmethod` or `__new__`.

    By default only *unbounded* caches are reported (`@cache`, `lru_cache(maxsize=None)`):
    they grow for ever. Set `report-bounded-caches = true` under `[tool.fftlint.leaks]` to
    also report bounded ones, which keep up to `maxsize` instances alive.

    ## Why is this bad?
    The cache lives on the *function*, which lives as long as the class, and its keys
    include `self`. Every instance a cached method is ever called on is kept alive by the
    cache (with all it refers to: buffers, connections, sessions) — forever with
    `@cache` / `lru_cache(maxsize=None)`, and up to `maxsize` instances otherwise. The cache
    is also shared by all instances, so one busy instance evicts the others' entries.

    Enum classes are not reported: their members live for the whole process anyway. Nor
    are methods whose first parameter is `cls` (made classmethods after the body), or whose
    cache the module empties itself (`self.method.cache_clear()`).

    ## Example
    ```python
    from functools import lru_cache

    class Report:
        def __init__(self, rows):
            self.rows = rows

        @lru_cache(maxsize=None)
        def total(self):
            return sum(r.amount for r in self.rows)
    ```

    ## Use instead
    For a method without arguments, `functools.cached_property` (the value is stored on
    the instance and freed with it):
    ```python
    from functools import cached_property

    class Report:
        @cached_property
        def total(self):
            return sum(r.amount for r in self.rows)
    ```
    With arguments, a per-instance cache made in `__init__`
    (`self.lookup = lru_cache(maxsize=256)(self._lookup)`), or a module-level cached
    function that takes the values it needs instead of `self`.

    ## Fix safety
    No fix: `cached_property` changes the call syntax (`obj.total` instead of
    `obj.total()`), and a per-instance cache changes the class's layout.
    """

    code = "FFT303"
    contexts = PRODUCTION_ONLY  # tests and scripts are short-lived: nothing piles up
    name = "cache-on-method"
    message = "`@{decorator}` on method `{cls}.{method}` keeps every instance it is called on alive {extent}"
    requires = ("cache",)
    Options = LeaksOptions
    options_key = "leaks"

    VALID = [
        "from functools import lru_cache\n@lru_cache(maxsize=None)\ndef f(x):\n    return x\n",
        "import functools\nclass C:\n    @staticmethod\n    @functools.lru_cache()\n    def f(x):\n        return x\n",
        "import functools\nclass C:\n    @classmethod\n    @functools.cache\n    def f(cls, x):\n        return x\n",
        "from functools import cached_property\nclass C:\n    @cached_property\n    def total(self):\n        return 1\n",
        "import enum, functools\nclass Color(enum.Enum):\n    RED = 1\n    @functools.lru_cache()\n    def label(self):\n        return self.name.title()\n",
        # a method *inside* a function inside a class is not a method
        "import functools\nclass C:\n    def f(self):\n        @functools.lru_cache()\n        def g(x):\n            return x\n        return g\n",
        # a per-instance cache built in __init__
        "import functools\nclass C:\n    def __init__(self):\n        self.get = functools.lru_cache(maxsize=64)(self._get)\n    def _get(self, k):\n        return k\n",
        # bounded caches are reported only when asked for
        "import functools\nclass C:\n    @functools.lru_cache(maxsize=256)\n    def f(self, x):\n        return x\n",
        "import functools\nclass C:\n    @functools.lru_cache\n    def f(self, x):\n        return x\n",
        # __new__ is implicitly a staticmethod: its first argument is the class
        "import functools\nclass C:\n    @functools.lru_cache(maxsize=None)\n    def __new__(cls, x):\n        return super().__new__(cls)\n",
        # the code manages the cache's lifetime itself
        "import functools\nclass Registry:\n    @functools.cache\n    def models(self, hidden=False):\n        return list(self.all)\n    def reset(self):\n        self.models.cache_clear()\n",
        # turned into a classmethod after the body: its first argument is the class
        "import functools\nclass Mixin:\n    @functools.cache\n    def lookups(cls):\n        return dict(cls.table)\n    lookups = classmethod(lookups)\n",
        # a local decorator named `cache`
        "def cache(f):\n    return f\nclass C:\n    @cache\n    def f(self):\n        return 1\n",
    ]
    INVALID = [
        Invalid(
            "from functools import lru_cache\n\nclass Report:\n    @lru_cache(maxsize=None)\n    def total(self):\n        return 1\n",
            line=4,
            column=6,
            message_contains="Report.total",
        ),
        Invalid("import functools\nclass C:\n    @functools.cache\n    def f(self, x):\n        return x\n", message_contains="forever"),
        Invalid(
            "import functools as ft\nclass C:\n    @ft.lru_cache(128)\n    def f(self, x):\n        return x\n",
            message_contains="up to 128 instances",
            options={"report-bounded-caches": True},
        ),
        Invalid(
            "import functools\nclass C:\n    @property\n    @functools.lru_cache()\n    def f(self):\n        return 1\n",
            message_contains="up to 128",
            options={"report-bounded-caches": True},
        ),
        Invalid(
            "from async_lru import alru_cache\nclass C:\n    @alru_cache(maxsize=1)\n    async def f(self, x):\n        return x\n",
            message_contains="up to 1 instance)",
            options={"report-bounded-caches": True},
        ),
        Invalid("import functools\nclass C:\n    @property\n    @functools.cache\n    def f(self):\n        return 1\n"),
        Invalid("import functools\nclass C:\n    @functools.lru_cache(maxsize=None, typed=True)\n    def f(self, x):\n        return x\n", message_contains="forever"),
    ]

    @classmethod
    def could_match(cls, view: Any) -> bool:
        """Stage 2 of the pre-filter: a decorated def at class level (not nested in a
        function) with a first parameter that is not a class, not a binder by name, whose
        cache the module does not clear, and a decorator that can resolve to a catalog
        cache (an unbounded one unless bounded caches are reported). Not checked: the
        ``staticmethod`` / ``classmethod`` decorators and enum bases."""
        facts = leak_facts(view)
        catalog = load_catalog("caches.yaml")["method_caches"]
        caches = [(t, catalog[".".join(t)]) for t in reachable([split_name(name) for name in catalog], facts)]
        if not caches:
            return False
        classes = view.nodes(ast.ClassDef)
        if not classes:
            return False
        opts = view.options_for(cls)
        report_bounded = isinstance(opts, LeaksOptions) and opts.report_bounded_caches
        cleared: Optional[Set[str]] = None
        for klass in classes:
            for fn in _class_level_defs(klass.body):  # type: ignore[attr-defined]
                if not fn.decorator_list or fn.name in IMPLICIT_BINDERS:
                    continue
                params = (*fn.args.posonlyargs, *fn.args.args)
                if not params or params[0].arg in CLASS_PARAMS:
                    continue
                for expr in fn.decorator_list:
                    target = expr.func if isinstance(expr, ast.Call) else expr
                    for name, default in caches:
                        if not may_resolve(target, name, facts):
                            continue
                        if not (report_bounded or default is None or _may_be_unbounded(expr)):
                            continue
                        if cleared is None:
                            cleared = _cleared_names(view)
                        if fn.name not in cleared:
                            return True
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        frames = self.ctx.stack.frames
        if not frames or frames[-1].kind != "class" or not node.decorators:
            return
        names = self.ctx.names
        resolved = []
        for deco in node.decorators:
            expr = deco.decorator
            target = expr.func if isinstance(expr, cst.Call) else expr
            resolved.append((deco, expr, names.resolve(target)))
        if any(name in BINDERS for _, _, name in resolved):
            return
        if not (node.params.params or node.params.posonly_params) or node.name.value in IMPLICIT_BINDERS:
            return  # no `self` to hold on to
        first = (*node.params.posonly_params, *node.params.params)[0].name.value
        if first in CLASS_PARAMS:
            return  # made a classmethod later (`f = classmethod(f)`): classes live anyway
        cls = frames[-1].node
        assert isinstance(cls, cst.ClassDef)
        if self._is_enum(cls):
            return
        caches = load_catalog("caches.yaml")["method_caches"]
        for deco, expr, name in resolved:
            if name is None or name not in caches:
                continue
            if node.name.value in self._cleared():
                return  # the code empties this cache itself (`self.method.cache_clear()`)
            extent = self._extent(expr, caches[name])
            report_bounded = isinstance(self.options, LeaksOptions) and self.options.report_bounded_caches
            if extent != "forever" and not report_bounded:
                return
            short = name.rsplit(".", 1)[-1]
            self.report(deco.decorator, decorator=short, cls=cls.name.value, method=node.name.value, extent=extent)
            return

    def _cleared(self) -> FrozenSet[str]:
        """Names of methods whose cache the module clears: ``<x>.<name>.cache_clear()``."""
        found = self.__dict__.get("_cleared_names")
        if found is None:
            names: Set[str] = set()
            for sub in walk_nodes(self.ctx.module):
                if (
                    isinstance(sub, cst.Call)
                    and isinstance(sub.func, cst.Attribute)
                    and sub.func.attr.value == "cache_clear"
                    and isinstance(sub.func.value, cst.Attribute)
                ):
                    names.add(sub.func.value.attr.value)
            found = self.__dict__["_cleared_names"] = frozenset(names)
        return found

    def _is_enum(self, cls: cst.ClassDef) -> bool:
        for base in cls.bases:
            name = self.ctx.names.resolve(base.value) or ""
            tail = name.rsplit(".", 1)[-1]
            if name.startswith("enum.") or tail.endswith(("Enum", "Flag")):
                return True
        return False

    @staticmethod
    def _extent(expr: cst.BaseExpression, default: Optional[int]) -> str:
        """"forever" for unbounded caches, "(up to N instances)" for bounded ones."""
        maxsize: Optional[int] = default
        if isinstance(expr, cst.Call):
            value = None
            for i, arg in enumerate(expr.args):
                if arg.keyword is not None and arg.keyword.value == "maxsize":
                    value = arg.value
                elif arg.keyword is None and i == 0:
                    value = arg.value
            if isinstance(value, cst.Name) and value.value == "None":
                maxsize = None
            elif isinstance(value, cst.Integer):
                maxsize = int(value.evaluated_value)
            elif value is not None:
                return "(up to its `maxsize` instances)"
        if maxsize is None:
            return "forever"
        return f"(up to {maxsize} instance{'s' if maxsize != 1 else ''})"
