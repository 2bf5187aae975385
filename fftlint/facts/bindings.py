"""The binding map of one module, built on the stdlib ``ast``: what every name may hold.

:class:`ModuleFacts` numbers the module's statements in pre-order (small statements one
by one, as LibCST's walker meets them: the engine keeps the same count, so a LibCST rule
asks about "statement *k*" and both trees agree), records its scopes (the module, each
class, each function), and answers :meth:`ModuleFacts.lookup` -- the values a name may
hold *before* statement *k* -- with a forward pass per scope that follows assignments,
augmented assignments, tuple unpacking, ``for`` targets, ``with ... as``, imports
(``TYPE_CHECKING`` blocks and ``try``/``except ImportError`` fallbacks included),
definitions, ``except ... as``, walrus, ``match`` captures, ``global``/``nonlocal`` and
closures. Branches merge into unions (:mod:`fftlint.facts.values`); a ``return``/``raise``
ends a path. Parameters start from their annotations (``Path | None``,
``Optional[...]``, ``Union[...]``, string annotations), ``self`` is an instance of its
class and ``cls`` the class itself.

Values here are *local*: a call of another module's function stays symbolic
(``"pkg.images.image_path()"``) until :class:`fftlint.facts.project.ProjectFacts` resolves
it. Nothing here imports or runs the linted code.
"""

from __future__ import annotations

import ast
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from fftlint.facts import imports as import_map
from fftlint.facts.values import (
    MAP_METHODS,
    NONE,
    NONE_VALUES,
    UNKNOWN,
    UNKNOWN_VALUES,
    Awaitable,
    Map,
    Opaque,
    Seq,
    Tup,
    Value,
    Values,
    join,
    map_method,
)

#: statement types that hold other statements, and the fields holding them (source order)
_BODIES: Dict[type, Tuple[str, ...]] = {
    ast.FunctionDef: ("body",),
    ast.AsyncFunctionDef: ("body",),
    ast.ClassDef: ("body",),
    ast.If: ("body", "orelse"),
    ast.For: ("body", "orelse"),
    ast.AsyncFor: ("body", "orelse"),
    ast.While: ("body", "orelse"),
    ast.With: ("body",),
    ast.AsyncWith: ("body",),
    ast.Try: ("body", "handlers", "orelse", "finalbody"),
}
if hasattr(ast, "TryStar"):
    _BODIES[ast.TryStar] = ("body", "handlers", "orelse", "finalbody")  # type: ignore[attr-defined]
if hasattr(ast, "Match"):
    _BODIES[ast.Match] = ("cases",)  # type: ignore[attr-defined]

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_TRY = tuple(t for t in (ast.Try, getattr(ast, "TryStar", None)) if t is not None)

#: a scope with more binding statements than this gets "last assignment before the use"
#: semantics instead of merged branches (generated modules with thousands of constants)
MAX_FLOW_BINDINGS = 400
#: names that hold the typing module's special forms under any import style
_OPTIONAL = frozenset(("typing.Optional", "typing_extensions.Optional", "Optional"))
_UNION = frozenset(("typing.Union", "typing_extensions.Union", "Union"))
_UNWRAP = frozenset(
    (
        "typing.Annotated", "typing_extensions.Annotated", "typing.ClassVar", "typing.Final",
        "typing_extensions.Final", "typing.Required", "typing.NotRequired", "typing.ReadOnly",
        "typing_extensions.Required", "typing_extensions.NotRequired", "typing_extensions.ReadOnly",
        "sqlalchemy.orm.Mapped", "sqlalchemy.orm.base.Mapped", "Annotated", "ClassVar", "Final",
    )
)
_SEQUENCES = frozenset(
    "list set frozenset List Set FrozenSet Sequence MutableSequence AbstractSet MutableSet "
    "Iterable Iterator Collection Reversible Generator Deque deque Container KeysView ValuesView".split()
)
#: defaults that stand for a value a framework injects (FastAPI dependencies)
_INJECTED = frozenset(("fastapi.Depends()", "fastapi.Security()", "fastapi.params.Depends()", "fastapi.params.Security()",
                       "fastapi.param_functions.Depends()", "fastapi.param_functions.Security()"))

#: mapping annotations with ``[K, V]``: subscripts, ``.get()``, ``.values()`` give V
_MAPPINGS = frozenset("dict Dict Mapping MutableMapping DefaultDict defaultdict OrderedDict Counter ChainMap".split())
_SEQUENCE_MODULES = ("typing", "typing_extensions", "collections.abc", "collections", "builtins", "")
_AWAITABLES = frozenset(("Awaitable", "Coroutine"))
_ANY = frozenset(("typing.Any", "typing_extensions.Any", "Any", "object", "builtins.object"))
_TYPE_OF = frozenset(("type", "typing.Type", "typing_extensions.Type", "Type"))
#: builtins whose single argument is iterated into a collection of its items
_COLLECTORS = frozenset(("list", "tuple", "set", "frozenset", "sorted", "reversed", "iter"))
_IMPORT_ERRORS = frozenset(("ImportError", "ModuleNotFoundError", "Exception", "BaseException"))
_CONTEXT_PASSTHROUGH = frozenset(("contextlib.closing", "contextlib.nullcontext"))


# --------------------------------------------------------------------------- scopes
class Scope:
    """The module, a class body or a function body."""

    __slots__ = ("key", "kind", "node", "parent", "qualname", "locals", "declared_global", "declared_nonlocal",
                 "cls", "self_param", "self_kind", "ordinals", "bindings", "assigns_self")

    def __init__(self, key: str, kind: str, node: ast.AST, parent: Optional["Scope"], qualname: str) -> None:
        self.key = key  # "" for the module, "C", "C.m", "f.<locals>.g"
        self.kind = kind  # module | class | function
        self.node = node
        self.parent = parent
        self.qualname = qualname  # "pkg.mod.C.m"
        self.locals: Set[str] = set()
        self.declared_global: Set[str] = set()
        self.declared_nonlocal: Set[str] = set()
        self.cls: Optional["Scope"] = None  # the class of a method
        self.self_param: Optional[str] = None
        self.self_kind = ""  # "instance" (self) | "class" (cls of a classmethod)
        self.ordinals: List[int] = []
        self.bindings = 0  # binding statements (flow-analysis budget)
        self.assigns_self = False  # a method that sets ``self.<attr>`` (class attributes)


def _decorator_names(node: Any) -> List[str]:
    out = []
    for deco in getattr(node, "decorator_list", ()):
        target = deco.func if isinstance(deco, ast.Call) else deco
        parts: List[str] = []
        while isinstance(target, ast.Attribute):
            parts.append(target.attr)
            target = target.value
        if isinstance(target, ast.Name):
            parts.append(target.id)
            out.append(".".join(reversed(parts)))
    return out


def _sets_attribute_of(target: ast.AST, name: str) -> bool:
    if isinstance(target, ast.Attribute):
        return isinstance(target.value, ast.Name) and target.value.id == name
    if isinstance(target, (ast.Tuple, ast.List)):
        return any(_sets_attribute_of(e, name) for e in target.elts)
    if isinstance(target, ast.Starred):
        return _sets_attribute_of(target.value, name)
    return False


def _target_names(target: ast.AST) -> Iterable[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for el in target.elts:
            yield from _target_names(el)
    elif isinstance(target, ast.Starred):
        yield from _target_names(target.value)


_FIELDS: Dict[type, Tuple[str, ...]] = {}
_LEAVES = frozenset(("ctx", "op", "ops", "type_comment", "kind", "id", "arg", "attr", "name", "names", "module", "level", "conversion", "is_async", "lineno", "col_offset"))


def children(node: ast.AST) -> List[ast.AST]:
    """Child nodes (a faster ``ast.iter_child_nodes``: field names cached per class)."""
    cls = node.__class__
    fields = _FIELDS.get(cls)
    if fields is None:
        fields = _FIELDS[cls] = tuple(f for f in cls._fields if f not in _LEAVES)  # type: ignore[attr-defined]
    out: List[ast.AST] = []
    for name in fields:
        value = getattr(node, name, None)
        if value is None:
            continue
        if value.__class__ is list:
            out.extend(v for v in value if isinstance(v, ast.AST))
        elif isinstance(value, ast.AST):
            out.append(value)
    return out


def _walrus_nodes(stmt: ast.AST) -> Iterable[ast.NamedExpr]:
    """``:=`` in a statement's expressions (not inside lambdas or nested statements;
    comprehensions bind the target in the enclosing scope)."""
    stack: List[ast.AST] = children(stmt)
    while stack:
        cur = stack.pop()
        if cur.__class__ is ast.NamedExpr:
            yield cur  # type: ignore[misc]
        if isinstance(cur, (ast.Lambda, ast.stmt)):
            continue
        stack.extend(children(cur))


def _walrus_targets(node: ast.AST) -> Iterable[str]:
    for found in _walrus_nodes(node):
        if isinstance(found.target, ast.Name):
            yield found.target.id


def statement_lists(stmt: ast.AST) -> Iterable[List[ast.stmt]]:
    for name in _BODIES.get(type(stmt), ()):
        value = getattr(stmt, name, None) or []
        if name in ("handlers", "cases"):
            for part in value:
                yield part.body
        else:
            yield value


# --------------------------------------------------------------------------- environments
class _Env:
    """Name -> values on one path through a scope; copied on write once recorded."""

    __slots__ = ("d", "frozen")

    def __init__(self, d: Optional[Dict[str, Values]] = None) -> None:
        self.d: Dict[str, Values] = d if d is not None else {}
        self.frozen = False

    def set(self, name: str, values: Values) -> "_Env":
        if self.frozen:
            env = _Env(dict(self.d))
            env.d[name] = values
            return env
        self.d[name] = values
        return self


def _merge(*envs: Optional[_Env]) -> Optional[_Env]:
    live = [e for e in envs if e is not None]
    if not live:
        return None
    if len(live) == 1 or all(e is live[0] for e in live):
        return live[0]
    out: Dict[str, Values] = {}
    for env in live:
        for name, values in env.d.items():
            seen = out.get(name)
            out[name] = values if seen is None or seen is values else seen | values
    return _Env(out)


class _Flow:
    """Envs reaching each statement of one scope (and what the scope returns/yields)."""

    def __init__(self) -> None:
        self.at: Dict[int, _Env] = {}
        self.final: _Env = _Env()
        self.everything: Dict[str, Values] = {}  # every value each name gets (closures)
        self.returns: Set[Value] = set()
        self.each_return: Dict[int, Set[Value]] = {}  # the values of each ``return`` statement
        self.yields: Set[Value] = set()
        self.falls_off = False
        self.self_attributes: Dict[str, Set[Value]] = {}  # self.x = ... in this method


# --------------------------------------------------------------------------- the map
EvalHook = Callable[["ModuleFacts", ast.Call, Values, "Lookup"], Optional[Values]]
#: How a provider's own values (:class:`~fftlint.facts.values.Opaque`) read inside one
#: module, before the project is at hand: provider name -> the provider, whose
#: ``attribute(value, name, None)`` and ``iterate(value, None)`` answer (None: unknown)
ValueHooks = Dict[str, Any]
Lookup = Callable[[str], Values]


class ModuleFacts:
    """Binding map and local inference for one module's ``ast``."""

    def __init__(
        self,
        tree: ast.Module,
        module: str = "",
        is_package: bool = False,
        path: str = "",
        call_hooks: Sequence[EvalHook] = (),
        text: Optional[str] = None,
        value_hooks: Optional[ValueHooks] = None,
    ) -> None:
        #: the source text, when known, only rules scans out: no ``:=`` or ``yield``
        #: in the text means none in the tree
        #: the source text (None when not given): what providers' word checks read
        self.text = text
        self.has_walrus = text is None or ":=" in text
        self.has_yield = text is None or "yield" in text
        self.tree = tree
        self.module = module
        self.is_package = is_package
        self.path = path
        self.call_hooks = tuple(call_hooks)
        self.value_hooks = value_hooks or {}
        self.statements: List[ast.stmt] = []
        self.scope_of: List[Scope] = []
        self.scopes: Dict[str, Scope] = {}
        self.scope_of_node: Dict[int, Scope] = {}  # id(def/class node) -> its body's scope
        self.star_imports: List[str] = []
        self.imported: Set[str] = set()  # modules imported anywhere (reachability)
        self.future_annotations = False
        self._flows: Dict[str, _Flow] = {}
        self._busy: Set[str] = set()
        self._number()

    # -- numbering ----------------------------------------------------------------
    def _number(self) -> None:
        module_scope = Scope("", "module", self.tree, None, self.module)
        self.scopes[""] = module_scope
        self.scope_of_node[id(self.tree)] = module_scope
        for stmt in self.tree.body:
            if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
                if any(a.name == "annotations" for a in stmt.names):
                    self.future_annotations = True
        self._block(self.tree.body, module_scope)

    def _block(self, body: Sequence[ast.stmt], scope: Scope) -> None:
        for stmt in body:
            ordinal = len(self.statements)
            self.statements.append(stmt)
            self.scope_of.append(scope)
            scope.ordinals.append(ordinal)
            self._declare(stmt, scope)
            if isinstance(stmt, (*_FUNCTIONS, ast.ClassDef)):
                self._block(stmt.body, self._child_scope(stmt, scope))
                continue
            for inner in statement_lists(stmt):
                self._block(inner, scope)

    def _child_scope(self, node: Any, parent: Scope) -> Scope:
        if parent.kind == "function":
            key = f"{parent.key}.<locals>.{node.name}"
        else:
            key = f"{parent.key}.{node.name}" if parent.key else node.name
        if key in self.scopes:  # a redefinition: the last one keeps the plain key
            n = 2
            while f"{key}#{n}" in self.scopes:
                n += 1
            older = self.scopes.pop(key)
            older.key = f"{key}#{n}"
            self.scopes[older.key] = older
        qualname = f"{self.module}.{key}" if self.module else key
        scope = Scope(key, "class" if isinstance(node, ast.ClassDef) else "function", node, parent, qualname)
        self.scopes[key] = scope
        self.scope_of_node[id(node)] = scope
        if isinstance(node, _FUNCTIONS):
            args = node.args
            for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
                if arg is not None:
                    scope.locals.add(arg.arg)
            if parent.kind == "class":
                scope.cls = parent
                decorators = {d.rsplit(".", 1)[-1] for d in _decorator_names(node)}
                params = (*args.posonlyargs, *args.args)
                if "staticmethod" not in decorators and params:
                    scope.self_param = params[0].arg
                    scope.self_kind = "class" if "classmethod" in decorators or node.name in ("__new__", "__init_subclass__", "__class_getitem__") else "instance"
        return scope

    def _declare(self, stmt: ast.stmt, scope: Scope) -> None:
        """Names ``stmt`` binds in ``scope`` (Python's compile-time rule: an assignment
        anywhere in a function makes the name local to all of it)."""
        names: List[str] = []
        if scope.self_param is not None and isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            for target in stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]:
                if _sets_attribute_of(target, scope.self_param):
                    scope.assigns_self = True
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                names.extend(_target_names(target))
        elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
            names.extend(_target_names(stmt.target))  # ``x: int`` alone makes ``x`` local too
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            names.extend(_target_names(stmt.target))
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                if item.optional_vars is not None:
                    names.extend(_target_names(item.optional_vars))
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for local, _target, full in import_map.bindings(stmt, self.module, self.is_package):
                names.append(local)
                self.imported.add(full)
            star = import_map.star_module(stmt, self.module, self.is_package)
            if star is not None:
                self.imported.add(star)
                if scope.kind == "module":
                    self.star_imports.append(star)
        elif isinstance(stmt, (*_FUNCTIONS, ast.ClassDef)):
            names.append(stmt.name)
        elif isinstance(stmt, ast.Global):
            scope.declared_global.update(stmt.names)
        elif isinstance(stmt, ast.Nonlocal):
            scope.declared_nonlocal.update(stmt.names)
        elif isinstance(stmt, _TRY):
            for handler in stmt.handlers:
                if handler.name:
                    names.append(handler.name)
        elif hasattr(ast, "Match") and isinstance(stmt, ast.Match):  # type: ignore[attr-defined]
            for case in stmt.cases:
                names.extend(_pattern_names(case.pattern))
        if self.has_walrus and not isinstance(stmt, (*_FUNCTIONS, ast.ClassDef)):
            names.extend(_walrus_targets(stmt))
        if names:
            scope.bindings += 1
            for name in names:
                if name not in scope.declared_global and name not in scope.declared_nonlocal:
                    scope.locals.add(name)

    # -- queries ------------------------------------------------------------------
    def scope_at(self, ordinal: int) -> Scope:
        if 0 <= ordinal < len(self.scope_of):
            return self.scope_of[ordinal]
        return self.scopes[""]

    def statement_kind(self, ordinal: int) -> str:
        return type(self.statements[ordinal]).__name__ if 0 <= ordinal < len(self.statements) else ""

    def lookup(self, name: str, ordinal: int) -> Values:
        """What ``name`` may hold just before statement ``ordinal`` runs."""
        return self._lookup(name, self.scope_at(ordinal), ordinal)

    def _lookup(self, name: str, scope: Scope, ordinal: Optional[int]) -> Values:
        current: Optional[Scope] = scope
        first = True
        while current is not None:
            if current.kind == "class" and not first:
                current = current.parent  # class bodies are not visible from methods
                continue
            if name in current.declared_global:
                return self.global_values(name)
            if name in current.locals:
                flow = self.flow(current)
                if first and ordinal is not None:
                    env = flow.at.get(ordinal)
                    if env is not None and name in env.d:
                        return env.d[name]
                    if current.kind == "function":
                        return UNKNOWN_VALUES  # not bound yet on this path
                if current.kind == "module":
                    return self.global_values(name)
                if current.kind == "function":
                    return frozenset(flow.everything.get(name, UNKNOWN_VALUES))
                found = flow.final.d.get(name)
                return found if found is not None else UNKNOWN_VALUES
            first = False
            current = current.parent
        return frozenset((name,))  # a builtin (or a name defined nowhere)

    def global_values(self, name: str) -> Values:
        """What a module-level name holds once the module has run (functions see this)."""
        module = self.scopes[""]
        flow = self.flow(module)
        found = flow.final.d.get(name)
        if found is None:
            found = flow.everything.get(name)  # bound only on a path that ended (``raise``)
        extra = self._global_writes().get(name)
        if found is None and extra is None:
            return frozenset((name,)) if name not in module.locals else UNKNOWN_VALUES
        return frozenset((found or frozenset()) | (extra or frozenset()))

    def module_globals(self) -> Dict[str, Values]:
        module = self.scopes[""]
        return {name: self.global_values(name) for name in sorted(module.locals)}

    def _global_writes(self) -> Dict[str, Values]:
        """Values functions assign to module globals they declare ``global``."""
        cached = self.__dict__.get("_gw")
        if cached is None:
            cached = self.__dict__["_gw"] = {}  # (re-entrant look-ups see it empty)
            for scope in list(self.scopes.values()):
                if scope.kind == "function" and scope.declared_global:
                    flow = self.flow(scope)
                    for name in scope.declared_global:
                        got = flow.everything.get(name)
                        if got:
                            cached[name] = cached.get(name, frozenset()) | got
        return cached

    def values(self, expr: ast.AST, ordinal: int, overlay: Optional[Dict[str, Values]] = None) -> Values:
        """What ``expr`` (an expression of statement ``ordinal``) may be."""
        scope = self.scope_at(ordinal)
        return self._eval(expr, self._lookup_fn(scope, ordinal, overlay))

    def _lookup_fn(self, scope: Scope, ordinal: Optional[int], overlay: Optional[Dict[str, Values]] = None) -> Lookup:
        if overlay:
            def look(name: str) -> Values:
                found = overlay.get(name)
                return found if found is not None else self._lookup(name, scope, ordinal)
            return look
        return lambda name: self._lookup(name, scope, ordinal)

    # -- the forward pass -------------------------------------------------------------
    def flow(self, scope: Scope) -> _Flow:
        flow = self._flows.get(scope.key)
        if flow is not None:
            return flow
        if scope.key in self._busy:  # a cycle (a class body asking about itself)
            return _Flow()
        self._busy.add(scope.key)
        try:
            flow = _Flow()
            self._flows[scope.key] = flow  # partial results for re-entrant look-ups
            runner = _Runner(self, scope, flow, sequential=scope.bindings > MAX_FLOW_BINDINGS)
            env = runner.initial()
            end = runner.block(scope.node.body, env)
            if end is not None:
                flow.falls_off = True
                flow.final = end
            else:
                flow.final = runner.last_live or env
        finally:
            self._busy.discard(scope.key)
        return flow

    # -- evaluation -------------------------------------------------------------------
    def _eval(self, expr: Optional[ast.AST], look: Lookup, depth: int = 0) -> Values:
        if expr is None or depth > 40:
            return UNKNOWN_VALUES
        cls = type(expr)
        if cls is ast.Name:
            return look(expr.id)  # type: ignore[attr-defined]
        if cls is ast.Attribute:
            out = set()
            for value in self._eval(expr.value, look, depth + 1):  # type: ignore[attr-defined]
                if isinstance(value, Opaque):  # a provider's value keeps its meaning along a chain
                    owner = self.value_hooks.get(value.provider)
                    found = owner.attribute(value, expr.attr, None) if owner is not None else None  # type: ignore[attr-defined]
                    out.update(found if found else UNKNOWN_VALUES)
                    continue
                out.add(f"{value}.{expr.attr}" if isinstance(value, str) and value not in (UNKNOWN, NONE) else UNKNOWN)  # type: ignore[attr-defined]
            return frozenset(out)
        if cls is ast.Call:
            return self._eval_call(expr, look, depth)  # type: ignore[arg-type]
        if cls is ast.Await:
            out = set()
            for value in self._eval(expr.value, look, depth + 1):  # type: ignore[attr-defined]
                if isinstance(value, Awaitable):
                    out.update(value.result)
                elif isinstance(value, str) and value not in (UNKNOWN, NONE):
                    out.add(value + "[await]")
                else:
                    out.add(UNKNOWN)
            return frozenset(out)
        if cls is ast.Constant:
            value = expr.value  # type: ignore[attr-defined]
            if value is None:
                return NONE_VALUES
            if value is Ellipsis:
                return UNKNOWN_VALUES  # ``x: T = ...``: a placeholder
            return frozenset((type(value).__name__ + "()",))
        if cls is ast.JoinedStr:
            return frozenset(("str()",))
        if cls is ast.BoolOp:
            return join(*(self._eval(v, look, depth + 1) for v in expr.values))  # type: ignore[attr-defined]
        if cls is ast.IfExp:
            return join(self._eval(expr.body, look, depth + 1), self._eval(expr.orelse, look, depth + 1))  # type: ignore[attr-defined]
        if cls is ast.NamedExpr:
            return self._eval(expr.value, look, depth + 1)  # type: ignore[attr-defined]
        if cls is ast.Tuple:
            if any(isinstance(e, ast.Starred) for e in expr.elts):  # type: ignore[attr-defined]
                return frozenset((Seq(self._items_of_elts(expr.elts, look, depth)),))  # type: ignore[attr-defined]
            return frozenset((Tup(tuple(self._eval(e, look, depth + 1) for e in expr.elts)),))  # type: ignore[attr-defined]
        if cls in (ast.List, ast.Set):
            return frozenset((Seq(self._items_of_elts(expr.elts, look, depth)),))  # type: ignore[attr-defined]
        if cls in (ast.ListComp, ast.SetComp, ast.GeneratorExp):
            inner = self._comprehension_lookup(expr.generators, look, depth)  # type: ignore[attr-defined]
            return frozenset((Seq(self._eval(expr.elt, inner, depth + 1)),))  # type: ignore[attr-defined]
        if cls is ast.Subscript:
            return self._eval_subscript(expr, look, depth)  # type: ignore[arg-type]
        if cls is ast.BinOp:
            left = self._eval(expr.left, look, depth + 1)  # type: ignore[attr-defined]
            op = _BINOPS.get(type(expr.op))  # type: ignore[attr-defined]
            if op is None:
                return UNKNOWN_VALUES
            return frozenset(f"{v}.{op}()" if isinstance(v, str) and v not in (UNKNOWN, NONE) else UNKNOWN for v in left)
        if cls is ast.Starred:
            return self._eval(expr.value, look, depth + 1)  # type: ignore[attr-defined]
        return UNKNOWN_VALUES

    def _items_of_elts(self, elts: Sequence[ast.AST], look: Lookup, depth: int) -> Values:
        out: Set[Value] = set()
        for el in elts:
            if isinstance(el, ast.Starred):
                out.update(self.items(self._eval(el.value, look, depth + 1)))
            else:
                out.update(self._eval(el, look, depth + 1))
        return frozenset(out) if out else UNKNOWN_VALUES

    def _comprehension_lookup(self, generators: Sequence[ast.comprehension], look: Lookup, depth: int) -> Lookup:
        overlay: Dict[str, Values] = {}

        def inner(name: str) -> Values:
            found = overlay.get(name)
            return found if found is not None else look(name)

        for gen in generators:
            items = self.items(self._eval(gen.iter, inner, depth + 1))
            for name, values in unpack(gen.target, items, self):
                overlay[name] = values
        return inner

    def items(self, values: Values) -> Values:
        """What iterating something that may be ``values`` gives."""
        out: Set[Value] = set()
        for value in values:
            if isinstance(value, Seq):
                out.update(value.items)
            elif isinstance(value, Tup):
                for item in value.items:
                    out.update(item)
            elif isinstance(value, Map):
                out.update(value.keys)
            elif isinstance(value, str) and value not in (UNKNOWN, NONE):
                out.add(value + "[iter]")
            elif isinstance(value, Opaque) and value.provider in self.value_hooks:
                found = self.value_hooks[value.provider].iterate(value, None)
                out.update(found if found else UNKNOWN_VALUES)
            else:
                out.add(UNKNOWN)
        return frozenset(out) if out else UNKNOWN_VALUES

    def _eval_subscript(self, expr: ast.Subscript, look: Lookup, depth: int) -> Values:
        index = expr.slice
        if isinstance(index, ast.Slice):
            return self._eval(expr.value, look, depth + 1)
        out: Set[Value] = set()
        for value in self._eval(expr.value, look, depth + 1):
            if isinstance(value, Seq):
                out.update(value.items)
            elif isinstance(value, Map):
                out.update(value.values)
            elif isinstance(value, Tup):
                if isinstance(index, ast.Constant) and isinstance(index.value, int) and -len(value.items) <= index.value < len(value.items):
                    out.update(value.items[index.value])
                else:
                    for item in value.items:
                        out.update(item)
            elif isinstance(value, str) and value not in (UNKNOWN, NONE):
                if isinstance(index, ast.Constant) and isinstance(index.value, int) and index.value >= 0:
                    out.add(f"{value}[{index.value}]")
                else:
                    out.add(value + "[item]")
            else:
                out.add(UNKNOWN)
        return frozenset(out) if out else UNKNOWN_VALUES

    def _eval_call(self, expr: ast.Call, look: Lookup, depth: int) -> Values:
        func = expr.func
        if isinstance(func, ast.Attribute) and func.attr in MAP_METHODS:
            receiver = self._eval(func.value, look, depth + 1)
            maps = [v for v in receiver if isinstance(v, Map)]
            if maps:
                found = self._map_call(maps, expr, look, depth)
                if all(isinstance(v, Map) or v == NONE for v in receiver):
                    return found  # a method of ``None`` raises: it gives nothing
                return join(found, self._eval_plain_call(expr, look, depth))
        return self._eval_plain_call(expr, look, depth)

    def _map_call(self, maps: List[Map], expr: ast.Call, look: Lookup, depth: int) -> Values:
        """``m.get(k)`` / ``m.pop(k, d)`` / ``m.values()`` ... of a mapping whose types are known."""
        attr = expr.func.attr  # type: ignore[attr-defined]
        default = self._eval(expr.args[1], look, depth + 1) if attr in ("get", "pop") and len(expr.args) >= 2 else None
        return map_method(maps, attr, default)

    def _eval_plain_call(self, expr: ast.Call, look: Lookup, depth: int) -> Values:
        callee = self._eval(expr.func, look, depth + 1)
        for hook in self.call_hooks:
            found = hook(self, expr, callee, look)
            if found is not None:
                return found
        out: Set[Value] = set()
        for value in callee:
            if not isinstance(value, str) or value in (UNKNOWN, NONE):
                out.add(UNKNOWN)
                continue
            if value in _COLLECTORS and len(expr.args) == 1 and not expr.keywords:
                arg = expr.args[0]
                if isinstance(arg, ast.Starred):
                    out.add(UNKNOWN)
                else:
                    out.add(Seq(self.items(self._eval(arg, look, depth + 1))))
            elif value == "next" and expr.args:
                out.update(self.items(self._eval(expr.args[0], look, depth + 1)))
            elif value == "enumerate" and expr.args:
                out.add(Seq(frozenset((Tup((frozenset(("int()",)), self.items(self._eval(expr.args[0], look, depth + 1)))),))))
            elif value == "zip" and expr.args:
                out.add(Seq(frozenset((Tup(tuple(self.items(self._eval(a, look, depth + 1)) for a in expr.args)),))))
            elif value in ("typing.cast", "typing_extensions.cast", "cast") and len(expr.args) == 2:
                out.update(self.annotation(expr.args[0], look))
            elif value in ("super", "getattr", "vars", "locals", "globals", "type", "eval", "exec"):
                out.add(UNKNOWN)
            elif value in _CONTEXT_PASSTHROUGH and expr.args:
                out.update(self._eval(expr.args[0], look, depth + 1))
            else:
                out.add(value + "()")
        return frozenset(out) if out else UNKNOWN_VALUES

    # -- annotations ------------------------------------------------------------------
    def annotation(self, node: Optional[ast.AST], look: Lookup, depth: int = 0) -> Values:
        """The values an annotation admits: ``Path | None`` -> {Path(), None};
        ``list[Path]`` -> a collection of Paths; strings are parsed; unknown stays unknown."""
        if node is None or depth > 12:
            return UNKNOWN_VALUES
        if isinstance(node, ast.Constant):
            if node.value is None:
                return NONE_VALUES
            if isinstance(node.value, str):
                try:
                    parsed = ast.parse(node.value.strip(), mode="eval").body
                except (SyntaxError, ValueError, RecursionError, MemoryError):
                    return UNKNOWN_VALUES
                return self.annotation(parsed, look, depth + 1)
            return UNKNOWN_VALUES
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return join(self.annotation(node.left, look, depth + 1), self.annotation(node.right, look, depth + 1))
        if isinstance(node, ast.Subscript):
            base = _single_str(self._eval(node.value, look))
            args = node.slice
            if isinstance(args, ast.Index):  # pragma: no cover - Python 3.8 shape
                args = args.value  # type: ignore[attr-defined]
            elts = list(args.elts) if isinstance(args, ast.Tuple) else [args]
            if base is None:
                return UNKNOWN_VALUES
            short = base.rsplit(".", 1)[-1]
            if base in _OPTIONAL:
                return join(self.annotation(elts[0], look, depth + 1), NONE_VALUES)
            if base in _UNION:
                return join(*(self.annotation(e, look, depth + 1) for e in elts))
            if base in _UNWRAP:
                return self.annotation(elts[0], look, depth + 1)
            if base in _TYPE_OF:
                inner = self.annotation(elts[0], look, depth + 1)
                return frozenset(v[:-2] if isinstance(v, str) and v.endswith("()") else UNKNOWN for v in inner)
            module = base.rpartition(".")[0]
            if short in _SEQUENCES and module in _SEQUENCE_MODULES:
                return frozenset((Seq(self.annotation(elts[0], look, depth + 1)),))
            if short in _MAPPINGS and module in _SEQUENCE_MODULES and len(elts) == 2:
                return frozenset((Map(self.annotation(elts[0], look, depth + 1), self.annotation(elts[1], look, depth + 1)),))
            if short in ("Counter", "DefaultDict", "defaultdict", "OrderedDict") and module in _SEQUENCE_MODULES and len(elts) == 1:
                return frozenset((Map(self.annotation(elts[0], look, depth + 1), UNKNOWN_VALUES),))
            if short in ("tuple", "Tuple") and module in _SEQUENCE_MODULES:
                if len(elts) == 2 and isinstance(elts[1], ast.Constant) and elts[1].value is Ellipsis:
                    return frozenset((Seq(self.annotation(elts[0], look, depth + 1)),))
                return frozenset((Tup(tuple(self.annotation(e, look, depth + 1) for e in elts)),))
            if short in ("AsyncIterator", "AsyncIterable", "AsyncGenerator") and module in _SEQUENCE_MODULES:
                return UNKNOWN_VALUES
            if short in _AWAITABLES and module in _SEQUENCE_MODULES:
                return frozenset((Awaitable(self.annotation(elts[-1], look, depth + 1)),))
            if short in ("Literal", "LiteralString"):
                return UNKNOWN_VALUES
            return frozenset((base + "()",))  # a generic class: ``Queue[int]`` is a Queue
        if isinstance(node, (ast.Name, ast.Attribute)):
            out: Set[Value] = set()
            for value in self._eval(node, look):
                if not isinstance(value, str) or value in (UNKNOWN,):
                    out.add(UNKNOWN)
                elif value == NONE:
                    out.add(NONE)
                elif value in _ANY or value.endswith("()"):
                    out.add(UNKNOWN)
                else:
                    out.add(value + "()")
            return frozenset(out) if out else UNKNOWN_VALUES
        return UNKNOWN_VALUES

    def annotation_lookup(self, scope: Scope) -> Lookup:
        """Annotations are read where the definition is (its enclosing scope), after the
        module has run when they are strings or ``from __future__ import annotations``."""
        parent = scope.parent or scope
        while parent.kind == "class" and parent.parent is not None:
            parent = parent.parent
        return self._lookup_fn(parent, None)

    # -- per-scope facts (for summaries) -----------------------------------------------
    def returns(self, scope: Scope) -> Values:
        """What calling the function gives: its return annotation when it has one, else
        the union of its ``return`` values (``None`` when it can fall off the end)."""
        node = scope.node
        if node.returns is not None:
            found = self.annotation(node.returns, self.annotation_lookup(scope))
            if found != UNKNOWN_VALUES:
                return found
        flow = self.flow(scope)
        if self.is_generator(scope):
            return frozenset((Seq(frozenset(flow.yields) or UNKNOWN_VALUES),))
        out = set(flow.returns)
        if flow.falls_off:
            out.add(NONE)
        return frozenset(out) if out else NONE_VALUES

    def each_return(self, scope: Scope) -> Tuple[Values, ...]:
        """The values of each ``return <value>`` statement of a function, read from its body
        whatever its annotation says (``-> list[str]`` over ``return settings.X``); a bare
        ``return`` or falling off the end is not in it."""
        return tuple(frozenset(v) for v in self.flow(scope).each_return.values())

    def is_generator(self, scope: Scope) -> bool:
        if not self.has_yield:
            return False
        cached = self.__dict__.setdefault("_generators", {})
        key = scope.key
        if key not in cached:
            cached[key] = any(n.__class__ in (ast.Yield, ast.YieldFrom) for n in own_nodes(scope.node))
        return cached[key]

    def class_attributes(self, scope: Scope) -> Dict[str, Values]:
        """Attributes an instance of the class may hold: class-body bindings and
        annotations (dataclass fields), and ``self.x = ...`` in its methods. Methods are
        not attributes here (they are functions of the class)."""
        out: Dict[str, Set[Value]] = {}
        look = self.annotation_lookup(scope)
        for stmt in scope.node.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                values = set(self.annotation(stmt.annotation, look))
                if stmt.value is not None:
                    default = self.values(stmt.value, self._ordinal_of(stmt))
                    if not _is_field_call(stmt.value):
                        values |= default
                    else:
                        values |= _field_factory(stmt.value, self, self._ordinal_of(stmt))
                out.setdefault(stmt.target.id, set()).update(values)
        flow = self.flow(scope)
        for name, values in flow.final.d.items():
            if name in out:
                continue
            if any(isinstance(s, (*_FUNCTIONS, ast.ClassDef)) and s.name == name for s in scope.node.body):
                continue
            out[name] = set(values)
        for child in self.scopes.values():
            if child.cls is scope and child.self_kind == "instance" and child.assigns_self:
                for name, values in self.flow(child).self_attributes.items():
                    out.setdefault(name, set()).update(values)
        return {k: frozenset(v) for k, v in out.items()}

    def _ordinal_of(self, stmt: ast.stmt) -> int:
        index = self.__dict__.get("_stmt_index")
        if index is None:
            index = self.__dict__["_stmt_index"] = {id(s): i for i, s in enumerate(self.statements)}
        return index.get(id(stmt), -1)

    def ordinal_of(self, stmt: ast.stmt) -> int:
        return self._ordinal_of(stmt)


def _single_str(values: Values) -> Optional[str]:
    out = None
    for v in values:
        if not isinstance(v, str) or v == UNKNOWN or (out is not None and v != out):
            return None
        out = v
    return out


def _is_field_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name in ("field", "Field", "attrib", "ib")


def _field_factory(node: ast.Call, facts: ModuleFacts, ordinal: int) -> Set[Value]:
    """``field(default_factory=httpx.Client)`` -> an instance of it."""
    for kw in node.keywords:
        if kw.arg in ("default_factory", "factory"):
            return {f"{v}()" for v in facts.values(kw.value, ordinal) if isinstance(v, str) and v not in (UNKNOWN, NONE)}
        if kw.arg == "default":
            return set(facts.values(kw.value, ordinal))
    return set()


_BINOPS = {ast.Div: "__truediv__", ast.Add: "__add__", ast.Mod: "__mod__", ast.Mult: "__mul__"}


def _pattern_names(pattern: Any) -> Iterable[str]:
    if pattern is None:
        return
    name = getattr(pattern, "name", None)
    if isinstance(name, str):
        yield name
    rest = getattr(pattern, "rest", None)
    if isinstance(rest, str):
        yield rest
    for field_name in ("patterns", "kwd_patterns"):
        for sub in getattr(pattern, field_name, None) or ():
            yield from _pattern_names(sub)
    if getattr(pattern, "pattern", None) is not None:
        yield from _pattern_names(pattern.pattern)


def unpack(target: ast.AST, values: Values, facts: Optional[ModuleFacts] = None) -> List[Tuple[str, Values]]:
    """(name, values) for each name an assignment target binds to ``values``."""
    if isinstance(target, ast.Name):
        return [(target.id, values)]
    if isinstance(target, ast.Starred):
        return unpack(target.value, frozenset((Seq(_items(values, facts)),)), facts)
    if isinstance(target, (ast.Tuple, ast.List)):
        elts = target.elts
        starred = any(isinstance(e, ast.Starred) for e in elts)
        out: List[Tuple[str, Values]] = []
        per: List[Set[Value]] = [set() for _ in elts]
        for value in values:
            if isinstance(value, Tup) and len(value.items) == len(elts) and not starred:
                for i, item in enumerate(value.items):
                    per[i].update(item)
            elif isinstance(value, Seq):
                for i in range(len(elts)):
                    per[i].update(value.items)
            elif isinstance(value, str) and value not in (UNKNOWN, NONE) and not starred:
                for i in range(len(elts)):  # ``a, b = make()``: the project tells what each is
                    per[i].add(f"{value}[{i}]")
            else:
                for i in range(len(elts)):
                    per[i].add(UNKNOWN)
        for el, got in zip(elts, per):
            out.extend(unpack(el, frozenset(got) if got else UNKNOWN_VALUES, facts))
        return out
    return []


def _items(values: Values, facts: Optional[ModuleFacts]) -> Values:
    if facts is not None:
        return facts.items(values)
    out: Set[Value] = set()
    for value in values:
        if isinstance(value, Seq):
            out.update(value.items)
        else:
            out.add(UNKNOWN)
    return frozenset(out) if out else UNKNOWN_VALUES


def own_nodes(func: Any) -> Iterable[ast.AST]:
    """Nodes executed when ``func`` is called: its body, not nested function, lambda or
    class bodies (their decorators, defaults and bases do run, and are included)."""
    stack: List[ast.AST] = list(reversed(func.body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, _FUNCTIONS):
            stack.extend(node.decorator_list)
            stack.extend(d for d in (*node.args.defaults, *node.args.kw_defaults) if d is not None)
            continue
        if isinstance(node, ast.Lambda):
            stack.extend(d for d in (*node.args.defaults, *node.args.kw_defaults) if d is not None)
            continue
        if isinstance(node, ast.ClassDef):
            stack.extend(node.decorator_list)
            stack.extend(node.bases)
            continue
        stack.extend(reversed(children(node)))


class _Runner:
    """The forward pass over one scope's statements."""

    def __init__(self, facts: ModuleFacts, scope: Scope, flow: _Flow, sequential: bool) -> None:
        self.facts = facts
        self.scope = scope
        self.flow = flow
        self.sequential = sequential
        self.last_live: Optional[_Env] = None
        self.loops: List[Tuple[List[_Env], List[_Env]]] = []  # (breaks, continues)

    def initial(self) -> _Env:
        env = _Env()
        scope = self.scope
        if scope.kind != "function":
            return env
        node = scope.node
        args = node.args
        look = self.facts.annotation_lookup(scope)
        positional = (*args.posonlyargs, *args.args)
        defaults: Dict[str, ast.AST] = {}
        for arg, default in zip(positional[len(positional) - len(args.defaults):], args.defaults):
            defaults[arg.arg] = default
        for arg, default in zip(args.kwonlyargs, args.kw_defaults):
            if default is not None:
                defaults[arg.arg] = default
        for arg in (*positional, *args.kwonlyargs):
            if arg.arg == scope.self_param and scope.cls is not None and positional and arg is positional[0]:
                cls = scope.cls.qualname
                env.d[arg.arg] = frozenset((cls + "()" if scope.self_kind == "instance" else cls,))
                continue
            values = self.facts.annotation(arg.annotation, look) if arg.annotation is not None else UNKNOWN_VALUES
            default = defaults.get(arg.arg)
            if default is not None:
                outer = self.facts._lookup_fn(scope.parent or scope, None)
                given = self.facts._eval(default, outer)
                if given & _INJECTED:
                    # ``db: Session = Depends(get_db)``: the framework passes what the
                    # dependency returns, never the marker; the annotation says what
                    values = values if arg.annotation is not None else UNKNOWN_VALUES
                else:
                    values = values | given
            env.d[arg.arg] = values
        if args.vararg is not None:
            inner = self.facts.annotation(args.vararg.annotation, look) if args.vararg.annotation is not None else UNKNOWN_VALUES
            env.d[args.vararg.arg] = frozenset((Seq(inner),))
        if args.kwarg is not None:
            env.d[args.kwarg.arg] = frozenset(("dict()",))
        for name, values in env.d.items():
            self.flow.everything[name] = values
        return env

    # -- helpers ------------------------------------------------------------------
    def look(self, env: _Env) -> Lookup:
        scope, facts = self.scope, self.facts

        def look(name: str) -> Values:
            if name in scope.declared_global:
                return facts.global_values(name)
            if name in scope.locals:
                found = env.d.get(name)
                if found is not None:
                    return found
                if scope.kind == "function":
                    return UNKNOWN_VALUES
                if scope.kind == "module":
                    return frozenset((name,)) if name not in facts.scopes[""].locals else UNKNOWN_VALUES
            return facts._lookup(name, scope.parent, None) if scope.parent is not None and scope.kind != "module" else (
                frozenset((name,))
            )

        if scope.kind == "class":
            def class_look(name: str) -> Values:
                if name in scope.locals:
                    found = env.d.get(name)
                    if found is not None:
                        return found
                current = scope.parent
                while current is not None and current.kind == "class":
                    current = current.parent
                return facts._lookup(name, current, None) if current is not None else frozenset((name,))
            return class_look
        return look

    def bind(self, env: _Env, name: str, values: Values) -> _Env:
        if name in self.scope.declared_global or name in self.scope.declared_nonlocal:
            got = self.flow.everything.get(name)
            self.flow.everything[name] = values if got is None else got | values
            return env
        got = self.flow.everything.get(name)
        self.flow.everything[name] = values if got is None else got | values
        return env.set(name, values)

    def bind_target(self, env: _Env, target: ast.AST, values: Values) -> _Env:
        if isinstance(target, ast.Attribute):
            self._self_attribute(target, values)
            return env
        for name, got in unpack(target, values, self.facts):
            env = self.bind(env, name, got)
        return env

    def _self_attribute(self, target: ast.Attribute, values: Values) -> None:
        scope = self.scope
        if scope.self_kind == "instance" and isinstance(target.value, ast.Name) and target.value.id == scope.self_param:
            self.flow.self_attributes.setdefault(target.attr, set()).update(values)

    def walrus(self, env: _Env, stmt: ast.stmt, look: Lookup) -> _Env:
        if not self.facts.has_walrus:
            return env
        for node in _walrus_nodes(stmt):
            if isinstance(node.target, ast.Name):
                env = self.bind(env, node.target.id, self.facts._eval(node.value, look))
        return env

    # -- statements ------------------------------------------------------------------
    def block(self, body: Sequence[ast.stmt], env: Optional[_Env]) -> Optional[_Env]:
        for stmt in body:
            ordinal = self.facts._ordinal_of(stmt)
            if env is None:  # dead code after return/raise: look-ups see the last live env
                if self.last_live is not None:
                    self.last_live.frozen = True
                    self.flow.at[ordinal] = self.last_live
                if isinstance(stmt, (*_FUNCTIONS, ast.ClassDef)):
                    continue
                for inner in statement_lists(stmt):
                    self.block(inner, None)
                continue
            if not self.sequential:
                env.frozen = True
            self.flow.at[ordinal] = env
            self.last_live = env
            env = self.statement(stmt, env)
        return env

    def statement(self, stmt: ast.stmt, env: _Env) -> Optional[_Env]:
        facts = self.facts
        look = self.look(env)
        cls = type(stmt)
        if cls is ast.Assign:
            values = facts._eval(stmt.value, look)
            env = self.walrus(env, stmt, look)
            for target in stmt.targets:
                if isinstance(target, (ast.Tuple, ast.List)) and isinstance(stmt.value, (ast.Tuple, ast.List)) and len(target.elts) == len(stmt.value.elts) and not any(
                    isinstance(e, ast.Starred) for e in (*target.elts, *stmt.value.elts)
                ):
                    for t, v in zip(target.elts, stmt.value.elts):
                        env = self.bind_target(env, t, facts._eval(v, look))
                else:
                    env = self.bind_target(env, target, values)
            return env
        if cls is ast.AnnAssign:
            env = self.walrus(env, stmt, look)
            declared = facts.annotation(stmt.annotation, facts.annotation_lookup(self.scope) if self.scope.kind != "function" else look)
            if stmt.value is not None:
                # the declared type is what the author says the name holds
                # (``f: TextIOWrapper = make()``); without one, the value tells
                values = declared if declared != UNKNOWN_VALUES else facts._eval(stmt.value, look)
                return self.bind_target(env, stmt.target, values)
            if isinstance(stmt.target, ast.Attribute):
                self._self_attribute(stmt.target, declared)
            elif isinstance(stmt.target, ast.Name):
                return self.bind(env, stmt.target.id, declared)
            return env
        if cls is ast.AugAssign:
            fake = ast.BinOp(left=_load(stmt.target), op=stmt.op, right=stmt.value)
            return self.bind_target(env, stmt.target, facts._eval(fake, look))
        if cls in (ast.Import, ast.ImportFrom):
            for local, target, _full in import_map.bindings(stmt, facts.module, facts.is_package):
                env = self.bind(env, local, frozenset((target,)))
            return env
        if cls in _FUNCTIONS or cls is ast.ClassDef:
            child = facts.scope_of_node.get(id(stmt))
            qual = child.qualname if child is not None else stmt.name
            return self.bind(env, stmt.name, frozenset((qual,)))
        if cls is ast.Return:
            if stmt.value is not None:
                found = facts._eval(stmt.value, look)
                self.flow.returns.update(found)
                self.flow.each_return.setdefault(id(stmt), set()).update(found)
            else:
                self.flow.returns.add(NONE)
            return None
        if cls is ast.Raise:
            return None
        if cls is ast.Expr:
            value = stmt.value
            if isinstance(value, ast.Await):
                value = value.value
            if isinstance(value, ast.Yield):
                self.flow.yields.update(facts._eval(value.value, look) if value.value is not None else NONE_VALUES)
            elif isinstance(value, ast.YieldFrom):
                self.flow.yields.update(facts.items(facts._eval(value.value, look)))
            return self.walrus(env, stmt, look)
        if cls is ast.If:
            env = self.walrus(env, stmt, look)
            return _merge(self.block(stmt.body, env), self.block(stmt.orelse, env))
        if cls in (ast.For, ast.AsyncFor):
            items = facts.items(facts._eval(stmt.iter, look)) if cls is ast.For else UNKNOWN_VALUES
            return self.loop(stmt, env, lambda e: self.bind_target(e, stmt.target, items))
        if cls is ast.While:
            env = self.walrus(env, stmt, look)
            return self.loop(stmt, env, lambda e: e)
        if cls in (ast.With, ast.AsyncWith):
            for item in stmt.items:  # ``with A() as a, B(a) as b``: items run in order
                if item.optional_vars is not None:
                    entered = _entered(facts._eval(item.context_expr, look), cls is ast.AsyncWith)
                    env = self.bind_target(env, item.optional_vars, entered)
                    look = self.look(env)
            return self.block(stmt.body, env)
        if cls in _TRY:
            return self.try_(stmt, env)
        if cls is ast.Break:
            if self.loops:
                self.loops[-1][0].append(env)
            return None
        if cls is ast.Continue:
            if self.loops:
                self.loops[-1][1].append(env)
            return None
        if hasattr(ast, "Match") and cls is ast.Match:  # type: ignore[attr-defined]
            subject = facts._eval(stmt.subject, look)
            ends = []
            for case in stmt.cases:
                case_env = env
                for name, values in _pattern_bindings(case.pattern, subject, facts, look):
                    case_env = self.bind(case_env, name, values)
                ends.append(self.block(case.body, case_env))
            ends.append(env)  # no case matched
            return _merge(*ends)
        return self.walrus(env, stmt, look)

    def loop(self, stmt: Any, env: _Env, enter: Callable[[_Env], _Env]) -> Optional[_Env]:
        """Two passes over the body (values assigned late in the body reach its start on
        the next iteration); nested loops past a depth of three get one pass each."""
        self.loops.append(([], []))
        first = self.block(stmt.body, enter(env))
        breaks, continues = self.loops[-1]
        head = _merge(env, first, *continues)
        second: Optional[_Env] = None
        breaks2: List[_Env] = []
        continues2: List[_Env] = []
        if len(self.loops) <= 3 and head is not None and head is not env:
            self.loops[-1] = ([], [])
            second = self.block(stmt.body, enter(head))
            breaks2, continues2 = self.loops[-1]
        self.loops.pop()
        done = _merge(head, second, *continues2)
        after = self.block(stmt.orelse, done) if stmt.orelse else done
        return _merge(after, *breaks, *breaks2)

    def try_(self, stmt: Any, env: _Env) -> Optional[_Env]:
        body = self.block(stmt.body, env)
        reach = _merge(env, body)
        ends: List[Optional[_Env]] = []
        fallback_imports: Dict[str, Values] = {}
        for handler in stmt.handlers:
            handler_env = reach
            if handler.name and handler_env is not None:
                handler_env = self.bind(handler_env, handler.name, UNKNOWN_VALUES)
            end = self.block(handler.body, handler_env)
            ends.append(end)
            if end is not None and _catches_import_error(handler):
                for sub in handler.body:
                    if isinstance(sub, (ast.Import, ast.ImportFrom)):
                        for local, target, _f in import_map.bindings(sub, self.facts.module, self.facts.is_package):
                            fallback_imports[local] = frozenset((target,))
        orelse = self.block(stmt.orelse, body) if stmt.orelse else body
        merged = _merge(orelse, *ends)
        if merged is not None and fallback_imports:
            # ``try: import ujson as json / except ImportError: import json``: the
            # fallback names the module every reader knows (and both have its API)
            for name, values in fallback_imports.items():
                merged = merged.set(name, values)
        if stmt.finalbody:
            final_in = _merge(merged, reach) if merged is not None else reach
            end = self.block(stmt.finalbody, final_in)
            return end if merged is not None else None
        return merged


def _load(target: ast.AST) -> ast.AST:
    return target


def _entered(values: Values, asynchronous: bool) -> Values:
    """``with x as y``: ``y`` is what ``x.__enter__()`` gives; the project resolves it for
    its own classes and context-manager functions (``[enter]``)."""
    out: Set[Value] = set()
    for value in values:
        if isinstance(value, str) and value not in (UNKNOWN, NONE):
            out.add(value + ("[aenter]" if asynchronous else "[enter]"))
        else:
            out.add(UNKNOWN)
    return frozenset(out) if out else UNKNOWN_VALUES


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    for t in types:
        name = t.attr if isinstance(t, ast.Attribute) else t.id if isinstance(t, ast.Name) else ""
        if name in _IMPORT_ERRORS:
            return True
    return False


def _pattern_bindings(pattern: Any, subject: Values, facts: ModuleFacts, look: Lookup) -> List[Tuple[str, Values]]:
    """Names a ``case`` pattern captures: ``case Path() as p`` -> an instance of Path;
    ``case x`` -> the subject; anything nested -> unknown."""
    out: List[Tuple[str, Values]] = []
    kind = type(pattern).__name__
    if kind == "MatchAs":
        if pattern.name:
            inner = pattern.pattern
            if inner is None:
                out.append((pattern.name, subject))
            elif type(inner).__name__ == "MatchClass":
                out.append((pattern.name, frozenset(f"{v}()" if isinstance(v, str) and v not in (UNKNOWN, NONE) else UNKNOWN for v in facts._eval(inner.cls, look))))
            else:
                out.append((pattern.name, UNKNOWN_VALUES))
        if pattern.pattern is not None:
            out.extend((n, UNKNOWN_VALUES) for n in _pattern_names(pattern.pattern))
        return out
    return [(n, UNKNOWN_VALUES) for n in _pattern_names(pattern)]
