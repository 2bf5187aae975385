"""FFT303: ``functools.lru_cache`` / ``functools.cache`` on an instance method."""

from __future__ import annotations

import ast
import os
from typing import Any, Dict, FrozenSet, Optional, Set

import libcst as cst

from fftlint.analysis.names import dotted
from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.rule import FixSpec, Invalid, NodeRange, Rule, Valid, replace

from .instances import NAME as INSTANCES, InstancesProvider, class_level_defs as _class_level_defs
from ._common import LeaksOptions, leak_facts, load_catalog, may_resolve, reachable, split_name, walk_nodes

IMPLICIT_BINDERS = {"__new__", "__init_subclass__", "__class_getitem__"}
BINDERS = {"staticmethod", "classmethod", "abc.abstractclassmethod", "abc.abstractstaticmethod"}


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
    Checks for memoizing decorators on instance methods: `@functools.lru_cache` /
    `@functools.cache` (and the same decorators from `async_lru` and `cachetools.func`),
    `@cachetools.cached(cache)` with a key that hashes `self` (the default `hashkey` does),
    and `@cachetools.cachedmethod(getter, key=...)` when the getter returns one cache shared
    by every instance (a module-level or class-level object) and the key hashes `self`
    (`key=hashkey`, a key function that uses its first argument: cachetools 5 passes `self`
    first). A method is a function defined directly in a class body that is not
    `@staticmethod`, `@classmethod` or `__new__`; in a *metaclass* (a class whose base is
    `type`, `abc.ABCMeta`, `enum.EnumMeta` or a name ending in `Meta`, also through a
    metaclass of the same module) a method whose first parameter is `cls` is one too: that
    `cls` is an instance of the metaclass, and the cache keeps every class it is called on.

    Bounded caches (`lru_cache(maxsize=128)`, the `lru_cache` default, a `cachetools`
    cache with a `maxsize`) are reported too: they keep up to `maxsize` instances alive.
    Set `report-bounded-caches = false` under `[tool.fftlint.leaks]` to report only
    unbounded ones (`@cache`, `lru_cache(maxsize=None)`, `cached({})`) that nothing clears.

    A method whose cache the module empties itself (`self.method.cache_clear()`) is
    reported as bounded (in time: instances stay until the next clear, if it comes).

    Not reported: enum classes (their members live for the whole process anyway); functions
    the class body turns into class or static methods after the fact
    (`lookups = classmethod(lookups)`); a
    `cachedmethod` whose cache lives on the instance (`lambda self: self._cache`, assigned
    in a method) or whose key leaves `self` out (the default `methodkey`); a key function
    fftlint cannot see into (unknown stays silent). A metaclass defined in another module is
    not followed.

    Not reported either: a module-level class the project makes *once per process* — every
    instantiation of it and of its subclasses, in any module, is in module-level code
    (`_registry = Registry()`), in a module-level factory memoized with `functools.cache` /
    `lru_cache`, or under a lazy-initialisation guard on a global (`global _r` and
    `if _r is None: _r = Registry()`, also double-checked under a lock, or after
    `if _r is not None: return _r`). That one instance lives for the whole process anyway:
    the cache keeps nothing extra alive. Anything else makes it unknown and the method is
    reported as before: an instantiation in a function or a method that runs per call, the
    class handed around as a value (`factory=Registry`), aliased on import, named in a
    string (an import path), made by its own `cls()` / `type(self)()` / `copy(self)`, or
    never instantiated in the project (a library's users make the instances).

    ## Why is this bad?
    The cache lives on the *function*, which lives as long as the class, and its keys
    include `self`. Every instance a cached method is ever called on is kept alive by the
    cache (with all it refers to: buffers, connections, sessions) — forever with
    `@cache` / `lru_cache(maxsize=None)`, and up to `maxsize` instances otherwise. The cache
    is also shared by all instances, so one busy instance evicts the others' entries.

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
    (`self.lookup = lru_cache(maxsize=256)(self._lookup)`, or
    `cachedmethod(lambda self: self._cache)` with `self._cache = LRUCache(256)`), or a
    module-level cached function that takes the values it needs instead of `self`.

    ## Fix safety
    Safe fix for `@property` directly over the cache on a `def f(self)` in a class without
    `__slots__`: both decorators become `@functools.cached_property`, which reads the same
    (`obj.f`) and stores the value on the instance. No fix elsewhere: `cached_property`
    changes the call syntax (`obj.total` instead of `obj.total()`), and a per-instance
    cache changes the class's layout.

    ## Options
    `report-bounded-caches` (default `true`): also report caches with a `maxsize`.
    """

    code = "FFT303"
    contexts = PRODUCTION_ONLY  # tests and scripts are short-lived: nothing piles up
    name = "cache-on-method"
    message = "`@{decorator}` on method `{cls}.{method}` keeps every {what} it is called on alive {extent}"
    fix_title = "Use `@functools.cached_property`"
    requires = ("cache",)
    Options = LeaksOptions
    options_key = "leaks"
    needs_project = True  # where the project makes instances of the class
    providers = (InstancesProvider,)

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
        # bounded caches are not reported when the option is turned off
        Valid(
            "import functools\nclass C:\n    @functools.lru_cache(maxsize=256)\n    def f(self, x):\n        return x\n",
            options={"report-bounded-caches": False},
        ),
        Valid(
            "import functools\nclass C:\n    @functools.lru_cache\n    def f(self, x):\n        return x\n",
            options={"report-bounded-caches": False},
        ),
        # __new__ is implicitly a staticmethod: its first argument is the class
        "import functools\nclass C:\n    @functools.lru_cache(maxsize=None)\n    def __new__(cls, x):\n        return super().__new__(cls)\n",
        # the code manages the cache's lifetime itself: bounded in time (reported by default)
        Valid(
            "import functools\nclass Registry:\n    @functools.cache\n    def models(self, hidden=False):\n        return list(self.all)\n    def reset(self):\n        self.models.cache_clear()\n",
            options={"report-bounded-caches": False},
        ),
        # turned into a classmethod after the body: its first argument is the class
        "import functools\nclass Mixin:\n    @functools.cache\n    def lookups(cls):\n        return dict(cls.table)\n    lookups = classmethod(lookups)\n",
        # a local decorator named `cache`
        "def cache(f):\n    return f\nclass C:\n    @cache\n    def f(self):\n        return 1\n",
        # a classmethod of a metaclass gets the metaclass itself
        "import functools\nclass Meta(type):\n    @classmethod\n    @functools.cache\n    def registry(mcs):\n        return {}\n",
        # an Enum's metaclass name is not an Enum: but a class *deriving from* it is a metaclass
        "import enum, functools\nclass Color(enum.Enum):\n    RED = 1\n    @functools.cache\n    def label(cls):\n        return 1\n",
        # cachetools: the key leaves `self` out, or the cache lives on the instance
        "from cachetools import cached, LRUCache\nfrom cachetools.keys import methodkey\nclass C:\n    @cached(LRUCache(maxsize=64), key=methodkey)\n    def f(self, x):\n        return x\n",
        "from cachetools import cached, LRUCache, keys\nclass C:\n    @cached(LRUCache(64), key=lambda self, x: keys.hashkey(x))\n    def f(self, x):\n        return x\n",
        "from cachetools import cachedmethod, LRUCache\nclass C:\n    def __init__(self):\n        self._cache = LRUCache(maxsize=64)\n    @cachedmethod(lambda self: self._cache)\n    def f(self, x):\n        return x\n",
        "import operator\nfrom cachetools import cachedmethod, LRUCache, keys\nclass C:\n    def __init__(self):\n        self.cache = LRUCache(maxsize=64)\n    @cachedmethod(operator.attrgetter('cache'), key=keys.hashkey)\n    def f(self, x):\n        return x\n",
        # a shared cache with the default key (`methodkey`): instances are not keys
        "from cachetools import cachedmethod, LRUCache\nCACHE = LRUCache(64)\nclass C:\n    @cachedmethod(lambda self: CACHE)\n    def f(self, x):\n        return x\n",
        # a key function fftlint cannot see into
        "from cachetools import cached, LRUCache\nfrom .keys import my_key\nclass C:\n    @cached(LRUCache(64), key=my_key)\n    def f(self, x):\n        return x\n",
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
        ),
        # bounded caches are reported by default (parity with ruff's B019)
        Invalid("import functools\nclass C:\n    @functools.lru_cache\n    def f(self, x):\n        return x\n", message_contains="up to 128 instances"),
        Invalid(
            "import functools\nclass C:\n    @functools.lru_cache(maxsize=256)\n    def f(self, x):\n        return x\n",
            options={"report-bounded-caches": True},
        ),
        Invalid(
            "from async_lru import alru_cache\nclass C:\n    @alru_cache(maxsize=1)\n    async def f(self, x):\n        return x\n",
            message_contains="up to 1 instance)",
        ),
        Invalid("import functools\nclass C:\n    @functools.lru_cache(maxsize=None, typed=True)\n    def f(self, x):\n        return x\n", message_contains="forever"),
        # @property over a cache: the safe fix is cached_property
        Invalid(
            "import functools\nclass C:\n    @property\n    @functools.cache\n    def f(self):\n        return 1\n",
            fixed="import functools\nclass C:\n    @functools.cached_property\n    def f(self):\n        return 1\n",
        ),
        Invalid(
            "from functools import cached_property, lru_cache\nclass C:\n    @property\n    @lru_cache()\n    def f(self):\n        return 1\n",
            message_contains="up to 128",
            fixed="from functools import cached_property, lru_cache\nclass C:\n    @cached_property\n    def f(self):\n        return 1\n",
        ),
        Invalid(
            "from functools import lru_cache\nclass C:\n    @property\n    @lru_cache(maxsize=None)\n    def f(self):\n        return 1\n",
            fixed="from functools import lru_cache\nimport functools\nclass C:\n    @functools.cached_property\n    def f(self):\n        return 1\n",
        ),
        # no fix with __slots__ (no instance __dict__ to store the value in)
        Invalid("import functools\nclass C:\n    __slots__ = ('x',)\n    @property\n    @functools.cache\n    def f(self):\n        return 1\n"),
        Invalid(
            "import functools\nclass Registry:\n    @functools.cache\n    def models(self, hidden=False):\n        return list(self.all)\n    def reset(self):\n        self.models.cache_clear()\n",
            message_contains="until the code calls its `cache_clear()`",
        ),
        # a first parameter named `cls` without a classmethod is still the instance
        Invalid("import functools\nclass Styles:\n    @functools.lru_cache(1024)\n    def inner(cls, color):\n        return color\n"),
        # metaclasses: `cls` is an instance of the metaclass
        Invalid(
            "import functools\nclass ModelMeta(type):\n    @functools.cache\n    def fields(cls):\n        return list(cls.__dict__)\n",
            message_contains="keeps every class it is called on alive forever",
        ),
        Invalid("import abc, functools\nclass Base(abc.ABCMeta):\n    @functools.lru_cache(maxsize=32)\n    def fields(cls):\n        return 1\n", message_contains="up to 32 classes"),
        Invalid(
            "import functools\nclass Meta(type):\n    pass\nclass SubMeta(Meta):\n    @functools.cache\n    def fields(cls):\n        return 1\n",
        ),
        # cachetools
        Invalid(
            "from cachetools import cached, LRUCache\nclass C:\n    @cached(cache=LRUCache(maxsize=100))\n    def f(self, x):\n        return x\n",
            message_contains="up to 100 instances",
        ),
        Invalid("import cachetools\nclass C:\n    @cachetools.cached({})\n    def f(self, x):\n        return x\n", message_contains="forever"),
        Invalid(
            "from cachetools import cachedmethod, LRUCache\nfrom cachetools.keys import hashkey\nCACHE = LRUCache(maxsize=500)\nclass C:\n    @cachedmethod(lambda self: CACHE, key=hashkey)\n    def f(self, x):\n        return x\n",
            message_contains="up to 500 instances",
        ),
        Invalid(
            "import operator\nfrom cachetools import cachedmethod, TTLCache, keys\nclass C:\n    cache = TTLCache(maxsize=10, ttl=60)\n    @cachedmethod(operator.attrgetter('cache'), key=keys.hashkey)\n    def f(self, x):\n        return x\n",
        ),
        Invalid(
            "from cachetools import cachedmethod\nclass C:\n    _shared = {}\n    @cachedmethod(lambda self: type(self)._shared, key=lambda self, x: (self, x))\n    def f(self, x):\n        return x\n",
            message_contains="forever",
        ),
    ]

    @classmethod
    def could_match(cls, view: Any) -> bool:
        """Stage 2 of the pre-filter: a decorated def at class level (not nested in a
        function) with a first parameter that is not a class (in a class without bases,
        which cannot be a metaclass), not a binder by name, whose cache the module does not
        clear, and a decorator that can resolve to a catalog cache (an unbounded one unless
        bounded caches are reported). Not checked: the ``staticmethod`` / ``classmethod``
        decorators, enum bases and what a ``cachetools`` key or cache is."""
        facts = leak_facts(view)
        catalog = load_catalog("caches.yaml")
        defaults: Dict[str, Optional[int]] = dict(catalog["method_caches"])
        for name in (*catalog["keyed_caches"], *catalog["method_cache_getters"]):
            defaults[name] = None  # how long they keep instances depends on their cache object
        caches = [(t, defaults[".".join(t)]) for t in reachable([split_name(name) for name in defaults], facts)]
        if not caches:
            return False
        classes = view.nodes(ast.ClassDef)
        if not classes:
            return False
        opts = view.options_for(cls)
        report_bounded = not isinstance(opts, LeaksOptions) or opts.report_bounded_caches
        cleared: Optional[Set[str]] = None
        for klass in classes:
            for fn in _class_level_defs(klass.body):  # type: ignore[attr-defined]
                if not fn.decorator_list or fn.name in IMPLICIT_BINDERS:
                    continue
                params = (*fn.args.posonlyargs, *fn.args.args)
                if not params:
                    continue
                for expr in fn.decorator_list:
                    target = expr.func if isinstance(expr, ast.Call) else expr
                    for name, default in caches:
                        if not may_resolve(target, name, facts):
                            continue
                        if not (report_bounded or default is None or _may_be_unbounded(expr)):
                            continue
                        if report_bounded:
                            return True
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
        cls = frames[-1].node
        assert isinstance(cls, cst.ClassDef)
        metaclass = self._is_metaclass(cls)
        if node.name.value in self._rebound(cls):
            return  # made a classmethod later (`f = classmethod(f)`): classes live anyway
        if self._is_enum(cls):
            return
        if self._singleton(cls):
            return  # one instance for the whole process: the cache keeps nothing extra alive
        catalog = load_catalog("caches.yaml")
        for i, (deco, expr, name) in enumerate(resolved):
            if name is None:
                continue
            if name in catalog["method_caches"]:
                extent: Optional[str] = self._extent(expr, catalog["method_caches"][name])
            elif name in catalog["keyed_caches"]:
                extent = self._keyed_cache_extent(expr)
            elif name in catalog["method_cache_getters"]:
                extent = self._cached_method_extent(expr, cls)
            else:
                continue
            if extent is None:
                return  # the cache does not hold `self`
            if node.name.value in self._cleared():
                # the code empties this cache itself (`self.method.cache_clear()`): bounded
                # in time, not in size (instances stay until the next clear, if it comes)
                extent = "until the code calls its `cache_clear()`"
            report_bounded = not isinstance(self.options, LeaksOptions) or self.options.report_bounded_caches
            if extent != "forever" and not report_bounded:
                return
            short = name.rsplit(".", 1)[-1]
            what = "class" if metaclass else "instance"
            self.report(
                deco.decorator,
                decorator=short,
                cls=cls.name.value,
                method=node.name.value,
                what=what,
                extent=extent if what == "instance" else extent.replace("instance", "class").replace("classs", "classes"),
                fix=self._fix(node, i, cls),
            )
            return

    def _singleton(self, cls: cst.ClassDef) -> bool:
        """The project makes one instance of ``cls`` per process (module level, a
        memoized factory, a lazily built global: :mod:`.instances`)."""
        if len(self.ctx.stack.frames) > 2 or self.ctx.stack.frames[0].kind != "module":
            return False  # a class nested in a function or a class: not looked up by name
        facts = self.ctx.project.facts_of(INSTANCES) if self.ctx.project is not None and hasattr(self.ctx.project, "facts_of") else None
        if not facts:
            return False
        return (os.path.abspath(self.ctx.path), cls.name.value) in facts

    # -- fix: ``@property`` over a cache is ``functools.cached_property`` -------------------
    def _fix(self, node: cst.FunctionDef, index: int, cls: cst.ClassDef) -> Optional[FixSpec]:
        """``@property`` directly above the cache, on a plain ``def f(self)``, in a class
        without ``__slots__`` (``cached_property`` stores the value in the instance's
        ``__dict__``): the value is then cached on the instance and freed with it, and
        ``obj.f`` reads the same. Nothing else gets a fix: turning ``obj.f()`` into a
        property would break its callers."""
        if index == 0 or node.asynchronous is not None:
            return None
        above = node.decorators[index - 1].decorator
        if self.ctx.names.resolve(above) not in ("property", "builtins.property"):
            return None
        params = node.params
        if len(params.params) != 1 or params.posonly_params or params.kwonly_params or isinstance(params.star_arg, cst.Param) or params.star_kwarg is not None:
            return None
        if self._has_slots(cls):
            return None
        local = next(
            (n for n, v in self.ctx.names.module_bindings().items() if v == "functools.cached_property"), None
        )
        if local is not None and self.ctx.names.resolve(cst.Name(local)) == "functools.cached_property":
            return replace(NodeRange(node.decorators[index - 1], node.decorators[index]), f"@{local}", title=f"Use `@{local}`")
        return replace(
            NodeRange(node.decorators[index - 1], node.decorators[index]),
            "@functools.cached_property",
            imports=["functools"],
            title="Use `@functools.cached_property`",
        )

    @staticmethod
    def _has_slots(cls: cst.ClassDef) -> bool:
        for stmt in cls.body.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else (
                        [small.target] if isinstance(small, cst.AnnAssign) else []
                    )
                    if any(isinstance(t, cst.Name) and t.value == "__slots__" for t in targets):
                        return True
        return False

    # -- cachetools ---------------------------------------------------------------------
    def _keyed_cache_extent(self, expr: cst.BaseExpression) -> Optional[str]:
        """``@cached(cache, key=...)``: None when the key leaves `self` out, else how long
        the cache keeps instances."""
        if not isinstance(expr, cst.Call):
            return None
        if not self._key_includes_self(_keyword(expr, "key")):
            return None
        cache = _keyword(expr, "cache")
        if cache is None:
            positional = [a.value for a in expr.args if a.keyword is None and not a.star]
            cache = positional[0] if positional else None
        return self._cache_extent(cache)

    def _cached_method_extent(self, expr: cst.BaseExpression, cls: cst.ClassDef) -> Optional[str]:
        """``@cachedmethod(getter, key=...)``: reported only when the key hashes `self`
        (``hashkey`` / ``typedkey`` / a key function that uses its first argument) and the
        getter returns a cache shared by all instances (a module-level or class-level
        object); a cache stored on each instance is freed with it."""
        if not isinstance(expr, cst.Call):
            return None
        key = _keyword(expr, "key")
        if key is None or not self._key_includes_self(key):
            return None  # the default key (`methodkey`) leaves `self` out
        getter = _keyword(expr, "cache")
        if getter is None:
            positional = [a.value for a in expr.args if a.keyword is None and not a.star]
            getter = positional[0] if positional else None
        shared = self._shared_cache(getter, cls)
        if shared is None:
            return None
        return self._cache_extent(shared if isinstance(shared, cst.BaseExpression) else None)

    def _key_includes_self(self, key: Optional[cst.BaseExpression]) -> bool:
        """The key function hashes its first argument. No key: the default ``hashkey``."""
        if key is None:
            return True
        if isinstance(key, cst.Call) and self.ctx.names.resolve(key.func) == "functools.partial" and key.args:
            key = key.args[0].value  # `partial(hashkey, "prefix")` still hashes every argument
        if isinstance(key, cst.Lambda):
            params = key.params
            positional = [*params.posonly_params, *params.params]
            used = {n.value for n in walk_nodes(key.body) if isinstance(n, cst.Name)}
            if positional:
                return positional[0].name.value in used
            star = params.star_arg
            return isinstance(star, cst.Param) and star.name.value in used
        name = self.ctx.names.resolve(key) if isinstance(key, (cst.Name, cst.Attribute)) else None
        return name in load_catalog("caches.yaml")["self_keys"]

    def _shared_cache(self, getter: Optional[cst.BaseExpression], cls: cst.ClassDef) -> Any:
        """What a ``cachedmethod`` getter returns when it is shared by every instance: the
        expression of the cache object when the file assigns it, else True; None when the
        cache is per instance or unknown."""
        attr: Optional[str] = None
        if isinstance(getter, cst.Lambda):
            positional = [*getter.params.posonly_params, *getter.params.params]
            param = positional[0].name.value if positional else None
            body = getter.body
            if isinstance(body, cst.Attribute) and isinstance(body.value, cst.Name) and body.value.value == param:
                attr = body.attr.value  # `lambda self: self.cache`
            elif isinstance(body, cst.Name) and body.value != param:
                value = self._module_value(body.value)  # `lambda self: CACHE`
                return value if value is not None else (True if body.value in self.ctx.names.module_bindings() else None)
            elif isinstance(body, cst.Attribute) and isinstance(body.value, cst.Call):
                inner = body.value  # `lambda self: type(self).cache`
                if self.ctx.names.resolve(inner.func) == "type":
                    return self._class_value(cls, body.attr.value) or True
                return None
            else:
                return None
        elif isinstance(getter, cst.Call) and self.ctx.names.resolve(getter.func) == "operator.attrgetter":
            arg = getter.args[0].value if len(getter.args) == 1 else None
            if isinstance(arg, cst.SimpleString) and isinstance(arg.evaluated_value, str) and "." not in arg.evaluated_value:
                attr = arg.evaluated_value
        if attr is None or self._instance_attribute(cls, attr):
            return None
        return self._class_value(cls, attr)

    def _class_value(self, cls: cst.ClassDef, attr: str) -> Optional[cst.BaseExpression]:
        for stmt in cls.body.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Assign) and any(
                        isinstance(t.target, cst.Name) and t.target.value == attr for t in small.targets
                    ):
                        return small.value
                    if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) and small.target.value == attr:
                        return small.value
        return None

    def _module_value(self, name: str) -> Optional[cst.BaseExpression]:
        for stmt in self.ctx.module.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Assign) and any(
                        isinstance(t.target, cst.Name) and t.target.value == name for t in small.targets
                    ):
                        return small.value
        return None

    @staticmethod
    def _instance_attribute(cls: cst.ClassDef, attr: str) -> bool:
        """Some method assigns ``self.<attr>``: each instance has its own."""
        for sub in walk_nodes(cls.body):
            if isinstance(sub, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
                targets = [t.target for t in sub.targets] if isinstance(sub, cst.Assign) else [sub.target]
                for t in targets:
                    if isinstance(t, cst.Attribute) and t.attr.value == attr and isinstance(t.value, cst.Name):
                        return True
        return False

    def _cache_extent(self, cache: Optional[cst.BaseExpression]) -> str:
        """How long a cache object keeps its keys: "forever" for a dict, "(up to N ...)"
        for a cachetools cache with a literal `maxsize`."""
        if isinstance(cache, cst.Name) and cache.value in self.ctx.names.module_bindings():
            cache = self._module_value(cache.value) or cache
        if isinstance(cache, cst.Dict) or (
            isinstance(cache, cst.Call) and self.ctx.names.resolve(cache.func) == "dict" and not cache.args
        ):
            return "forever"
        if isinstance(cache, cst.Call) and self.ctx.names.resolve(cache.func) in load_catalog("caches.yaml")["bounded_caches"]:
            size = _keyword(cache, "maxsize")
            if size is None and cache.args and cache.args[0].keyword is None:
                size = cache.args[0].value
            if isinstance(size, cst.Integer):
                n = int(size.evaluated_value)
                return f"(up to {n} instance{'s' if n != 1 else ''})"
        return "(up to its cache's `maxsize` instances)"

    @staticmethod
    def _rebound(cls: cst.ClassDef) -> Set[str]:
        """Names the class body rebinds through ``classmethod(...)`` / ``staticmethod(...)``
        (``merged = classmethod(merged)``): their functions are no instance methods."""
        out: Set[str] = set()
        for stmt in cls.body.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Assign) and isinstance(small.value, cst.Call):
                        if dotted(small.value.func) in ("classmethod", "staticmethod"):
                            out.update(t.target.value for t in small.targets if isinstance(t.target, cst.Name))
        return out

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
            if name.startswith("enum.") and not tail.endswith(("Meta", "Type")) or tail.endswith(("Enum", "Flag")):
                return True
        return False

    def _is_metaclass(self, cls: cst.ClassDef, _depth: int = 0) -> bool:
        """A base is ``type`` (or another metaclass: a catalog name, a name ending in
        ``Meta`` / ``Metaclass``, or a metaclass defined in this module)."""
        bases = load_catalog("caches.yaml")["metaclass_bases"]
        for base in cls.bases:
            name = self.ctx.names.resolve(base.value) or ""
            if name in bases or metaclass_name(name.rsplit(".", 1)[-1]):
                return True
            if _depth < 8 and isinstance(base.value, cst.Name):
                for stmt in self.ctx.module.body:
                    if isinstance(stmt, cst.ClassDef) and stmt.name.value == base.value.value and stmt is not cls:
                        if self._is_metaclass(stmt, _depth + 1):
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


def metaclass_name(last: str) -> bool:
    return last.endswith(("Meta", "Metaclass", "MetaClass")) and last not in ("Meta",)


def _keyword(call: cst.Call, name: str) -> Optional[cst.BaseExpression]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
    return None
