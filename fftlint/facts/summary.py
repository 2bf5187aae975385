"""Per-module summaries: what each function returns, calls and does; what each class holds.

A :class:`ModuleSummary` is plain picklable data, computed from a module's
:class:`~fftlint.facts.bindings.ModuleFacts` and cached by the module's content hash (plus
the providers' summary digests). Values in it are symbolic: the project resolves calls of
other modules' functions when it is asked (:mod:`fftlint.facts.project`).

For every function (module level, class methods, nested functions): its returns
(annotation, else inferred), every call it makes with the callee's values, where, whether
it is awaited and whether it runs once per loop pass, the literal text of its arguments,
attribute reads of instances (a ``@property`` runs code), and the *effects* providers find
in its calls and loops. Code that never runs (``if TYPE_CHECKING:``, ``if 0:``) and the
bodies of nested functions and lambdas (they run later, elsewhere) are left out of the
function's own calls.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Sequence, Set, Tuple

from fftlint.facts.bindings import ModuleFacts, Scope, children, statement_lists, unpack
from fftlint.facts.provider import Args, Effect, Provider
from fftlint.facts.values import UNKNOWN_VALUES, Values

SUMMARY_VERSION = "facts-3"  # facts-2: typed mappings (values.Map); facts-3: each return statement's values (FunctionDetails.each_return)


@dataclass(frozen=True)
class CallFacts:
    callee: Values  # symbolic values of the callee expression
    line: int
    column: int
    awaited: bool = False
    in_loop: bool = False
    args: Args = ((), {})
    attribute: str = ""  # an attribute read (``obj.prop``: callee is ``obj``), not a call
    kind: str = "call"  # call | read (``obj.prop``) | iter (``for x in <callee>``)
    notes: FrozenSet[str] = frozenset()  # what providers noted about the syntax around it


@dataclass(frozen=True)
class FunctionFacts:
    """A function as the project sees it without reading its body: where it is, how it
    is called, what its annotation says it returns (``declared``, None without one)."""

    qualname: str  # "pkg.mod.Class.method"
    short: str  # "Class.method"
    line: int
    is_async: bool = False
    is_property: bool = False
    marks: FrozenSet[str] = frozenset()
    declared: Optional[Values] = None
    column: int = 0


@dataclass(frozen=True)
class FunctionDetails:
    """What reading a function's body tells: what it returns (its annotation, else its
    ``return`` statements), every call it makes and the effects providers found;
    ``each_return`` is what each ``return <value>`` statement gives, whatever the
    annotation says (``-> list[str]`` over ``return settings.X``)."""

    returns: Values = UNKNOWN_VALUES
    calls: Tuple[CallFacts, ...] = ()
    effects: Tuple[Effect, ...] = ()
    each_return: Tuple[Values, ...] = ()


@dataclass(frozen=True)
class ClassFacts:
    qualname: str
    line: int
    bases: Tuple[Values, ...] = ()
    attributes: Dict[str, Values] = field(default_factory=dict)
    methods: Dict[str, str] = field(default_factory=dict)  # name -> function qualname
    properties: FrozenSet[str] = frozenset()


@dataclass(frozen=True)
class ModuleSummary:
    module: str
    path: str
    is_package: bool = False
    globals: Dict[str, Values] = field(default_factory=dict)
    star_imports: Tuple[str, ...] = ()
    functions: Dict[str, FunctionFacts] = field(default_factory=dict)
    classes: Dict[str, ClassFacts] = field(default_factory=dict)
    imports: FrozenSet[str] = frozenset()

    def moved(self, path: str) -> "ModuleSummary":
        """The same summary for a copy of the file at another path (a cache hit)."""
        if path == self.path:
            return self
        return ModuleSummary(self.module, path, self.is_package, self.globals, self.star_imports, self.functions, self.classes, self.imports)


# --------------------------------------------------------------------------- sites
class FunctionView:
    """One function as providers see it while it is summarised."""

    def __init__(self, facts: ModuleFacts, scope: Scope) -> None:
        self.facts = facts
        self.scope = scope
        self.node: Any = scope.node
        self._nodes: Optional[List[ast.AST]] = None
        self.memo: Dict[str, Any] = {}

    @property
    def qualname(self) -> str:
        return self.scope.qualname

    @property
    def nodes(self) -> List[ast.AST]:
        """Nodes that run when the function is called (not nested bodies), pre-order."""
        if self._nodes is None:
            from fftlint.facts.bindings import own_nodes

            self._nodes = list(own_nodes(self.node))
        return self._nodes

    def decorator_values(self) -> List[Values]:
        look = self.facts._lookup_fn(self.scope.parent or self.scope, None)
        out = []
        for deco in getattr(self.node, "decorator_list", ()):
            target = deco.func if isinstance(deco, ast.Call) else deco
            out.append(self.facts._eval(target, look))
        return out

    def values(self, expr: ast.AST, ordinal: int) -> Values:
        return self.facts.values(expr, ordinal)


class CallSite:
    """A call inside a function being summarised."""

    __slots__ = ("function", "node", "ordinal", "callee", "awaited", "in_loop", "_look", "_args")

    def __init__(self, function: FunctionView, node: ast.Call, ordinal: int, callee: Values, awaited: bool, in_loop: bool, look: Any) -> None:
        self.function = function
        self.node = node
        self.ordinal = ordinal
        self.callee = callee
        self.awaited = awaited
        self.in_loop = in_loop
        self._look = look
        self._args: Optional[Args] = None

    @property
    def canonical(self) -> Optional[str]:
        from fftlint.facts.values import single

        return single(self.callee)

    @property
    def args(self) -> Args:
        if self._args is None:
            self._args = call_args(self.node)
        return self._args

    def argument(self, position: int, keywords: Sequence[str] = ()) -> Optional[ast.AST]:
        for kw in self.node.keywords:
            if kw.arg in keywords:
                return kw.value
        positional = [a for a in self.node.args if not isinstance(a, ast.Starred)]
        return positional[position] if len(positional) > position else None

    def values_of(self, expr: ast.AST) -> Values:
        return self.function.facts._eval(expr, self._look)


class IterationSite:
    """``for target in iterable`` (a loop or a comprehension) inside a function."""

    __slots__ = ("function", "node", "iterable", "values", "line", "column")

    def __init__(self, function: FunctionView, node: ast.AST, iterable: ast.AST, values: Values) -> None:
        self.function = function
        self.node = node
        self.iterable = iterable
        self.values = values
        self.line = getattr(node, "lineno", 0) or getattr(iterable, "lineno", 0)
        self.column = getattr(iterable, "col_offset", 0)


def _literal(node: ast.AST) -> Optional[str]:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (bool, int, float)) or node.value is None:
            return repr(node.value)
        if isinstance(node.value, str):
            return repr(node.value)
        return None
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        parts: List[str] = []
        cur: ast.AST = node
        while isinstance(cur, ast.Attribute):
            parts.append(cur.attr)
            cur = cur.value
        if isinstance(cur, ast.Name):
            parts.append(cur.id)
            return ".".join(reversed(parts))
    return None


def call_args(node: ast.Call) -> Args:
    positional = tuple(_literal(a) for a in node.args if not isinstance(a, ast.Starred))
    keywords = {k.arg: _literal(k.value) for k in node.keywords if k.arg}
    return positional, keywords


# --------------------------------------------------------------------------- building
_STMT_LIST_FIELDS = frozenset(("body", "orelse", "handlers", "finalbody", "cases"))
#: builtins that iterate (evaluate) their first argument
_CONSUMERS = frozenset(("list", "tuple", "set", "frozenset", "sorted", "len", "bool", "sum", "any", "all", "max", "min", "dict", "enumerate"))
_LOOPS = (ast.For, ast.AsyncFor, ast.While)


def statement_expressions(stmt: ast.stmt) -> List[ast.AST]:
    """The expressions a statement itself evaluates (not its nested statements; for a
    ``def``/``class``: decorators, defaults, bases -- they run where it is defined)."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        args = stmt.args
        return [*stmt.decorator_list, *args.defaults, *(d for d in args.kw_defaults if d is not None)]
    if isinstance(stmt, ast.ClassDef):
        return [*stmt.decorator_list, *stmt.bases, *(k.value for k in stmt.keywords)]
    out: List[ast.AST] = []
    for name, value in ast.iter_fields(stmt):
        if name in _STMT_LIST_FIELDS:
            if name == "handlers":
                out.extend(h.type for h in value if h.type is not None)
            elif name == "cases":
                out.extend(c.guard for c in value if c.guard is not None)
            continue
        if isinstance(value, ast.AST):
            out.append(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, ast.withitem):
                    out.append(item.context_expr)
                    if item.optional_vars is not None:
                        out.append(item.optional_vars)
                elif isinstance(item, ast.AST):
                    out.append(item)
    return out


def _constant_false(test: ast.AST) -> bool:
    """``if 0:`` / ``if False:`` / ``if None:`` / ``if TYPE_CHECKING:``."""
    if isinstance(test, ast.Constant):
        return not test.value
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _live_ordinals(facts: ModuleFacts, scope: Scope) -> Tuple[List[int], Set[int]]:
    """The scope's statements that can run (not under ``if TYPE_CHECKING:``/``if 0:``),
    and those that run once per pass of a loop."""
    live: List[int] = []
    looped: Set[int] = set()

    def walk(body: Sequence[ast.stmt], in_loop: bool) -> None:
        for stmt in body:
            ordinal = facts.ordinal_of(stmt)
            live.append(ordinal)
            if in_loop:
                looped.add(ordinal)
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            if isinstance(stmt, ast.If):
                if not _constant_false(stmt.test):
                    walk(stmt.body, in_loop)
                walk(stmt.orelse, in_loop)
            elif isinstance(stmt, _LOOPS):
                walk(stmt.body, True)
                walk(stmt.orelse, in_loop)
            else:
                for inner in statement_lists(stmt):
                    walk(inner, in_loop)

    walk(scope.node.body, False)
    return live, looped


class _Collector:
    """Calls, attribute reads and iterations in one statement's expressions, with
    comprehension targets bound and lambda bodies skipped."""

    def __init__(self, facts: ModuleFacts, view: FunctionView, ordinal: int, in_loop: bool) -> None:
        self.facts = facts
        self.view = view
        self.ordinal = ordinal
        self.in_loop = in_loop
        self.base = facts._lookup_fn(view.scope, ordinal)
        self.calls: List[Tuple[ast.Call, Values, bool, bool, Any]] = []
        self.reads: List[Tuple[ast.Attribute, Values, bool]] = []
        self.iterations: List[Tuple[ast.AST, ast.AST, Values]] = []

    def run(self, exprs: Iterable[ast.AST]) -> None:
        for expr in exprs:
            self.visit(expr, self.base, self.in_loop, False)

    def visit(self, node: ast.AST, look: Any, in_loop: bool, awaited: bool) -> None:
        stack: List[Tuple[ast.AST, Any, bool, bool]] = [(node, look, in_loop, awaited)]
        while stack:
            cur, lk, loop, aw = stack.pop()
            cls = type(cur)
            if cls is ast.Lambda:  # its body runs later; its defaults now
                for default in (*cur.args.defaults, *(d for d in cur.args.kw_defaults if d is not None)):  # type: ignore[attr-defined]
                    stack.append((default, lk, loop, False))
                continue
            if cls in (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp):
                self.comprehension(cur, lk, loop, stack)
                continue
            if cls is ast.Await:
                stack.append((cur.value, lk, loop, True))  # type: ignore[attr-defined]
                continue
            if cls is ast.Call:
                callee = self.facts._eval(cur.func, lk)  # type: ignore[attr-defined]
                self.calls.append((cur, callee, aw, loop, lk))  # type: ignore[arg-type]
                if cur.args and callee and all(v in _CONSUMERS for v in callee):  # type: ignore[attr-defined]
                    # ``list(qs)`` / ``len(rows)``: the argument is iterated (evaluated) here
                    arg = cur.args[0]  # type: ignore[attr-defined]
                    self.iterations.append((cur, arg, self.facts._eval(arg, lk)))
                func = cur.func  # type: ignore[attr-defined]
                if isinstance(func, ast.Attribute):
                    stack.append((func.value, lk, loop, False))
                elif not isinstance(func, ast.Name):
                    stack.append((func, lk, loop, False))
                for arg in (*cur.args, *(k.value for k in cur.keywords)):  # type: ignore[attr-defined]
                    stack.append((arg, lk, loop, False))
                continue
            if cls is ast.Attribute and isinstance(cur.ctx, ast.Load):  # type: ignore[attr-defined]
                receiver = self.facts._eval(cur.value, lk)  # type: ignore[attr-defined]
                if any(isinstance(v, str) and "()" in v for v in receiver):
                    self.reads.append((cur, receiver, loop))  # type: ignore[arg-type]
                stack.append((cur.value, lk, loop, False))  # type: ignore[attr-defined]
                continue
            for child in children(cur):
                stack.append((child, lk, loop, False))

    def comprehension(self, node: Any, look: Any, loop: bool, stack: List[Any]) -> None:
        overlay: Dict[str, Values] = {}

        def inner(name: str) -> Values:
            found = overlay.get(name)
            return found if found is not None else look(name)

        first = True
        for gen in node.generators:
            if first:
                self.visit(gen.iter, look, loop, False)
            else:
                self.visit(gen.iter, inner, True, False)
            values = self.facts._eval(gen.iter, inner if not first else look)
            self.iterations.append((gen, gen.iter, values))
            for name, got in unpack(gen.target, self.facts.items(values), self.facts):
                overlay[name] = got
            for cond in gen.ifs:
                self.visit(cond, inner, True, False)
            first = False
        if isinstance(node, ast.DictComp):
            self.visit(node.key, inner, True, False)
            self.visit(node.value, inner, True, False)
        else:
            self.visit(node.elt, inner, True, False)


def _is_property(view: FunctionView) -> bool:
    for values in view.decorator_values():
        for v in values:
            if isinstance(v, str) and v.rsplit(".", 1)[-1] in ("property", "cached_property", "cached_attribute", "hybrid_property"):
                return True
    return False


def summarize_facts(facts: ModuleFacts, path: str, providers: Sequence[Provider] = ()) -> ModuleSummary:
    """The module's shape: module-level names, classes (bases, methods, attributes) and
    function headers. Function bodies are read later, one function at a time, when a
    resolution or a call-chain search needs them (:func:`function_details`)."""
    functions: Dict[str, FunctionFacts] = {}
    classes: Dict[str, ClassFacts] = {}
    for key in list(facts.scopes):
        scope = facts.scopes[key]
        if scope.kind == "function":
            fn = _header(facts, scope, providers)
            if "#" not in key or fn.qualname not in functions:
                functions[fn.qualname] = fn
    for key in list(facts.scopes):
        scope = facts.scopes[key]
        if scope.kind == "class" and "#" not in key:
            classes[scope.qualname] = _class(facts, scope, functions)
    module_scope = facts.scopes[""]
    return ModuleSummary(
        facts.module,
        path,
        facts.is_package,
        facts.module_globals() if module_scope.locals else {},
        tuple(facts.star_imports),
        functions,
        classes,
        frozenset(facts.imported),
    )


def _class(facts: ModuleFacts, scope: Scope, functions: Dict[str, FunctionFacts]) -> ClassFacts:
    look = facts._lookup_fn(scope.parent or scope, None)
    node = scope.node
    bases = tuple(facts._eval(b, look) for b in node.bases)
    methods: Dict[str, str] = {}
    properties: Set[str] = set()
    for stmt in node.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            qual = f"{scope.qualname}.{stmt.name}"
            methods[stmt.name] = qual
            fn = functions.get(qual)
            if fn is not None and fn.is_property:
                properties.add(stmt.name)
    return ClassFacts(scope.qualname, node.lineno, bases, facts.class_attributes(scope), methods, frozenset(properties))


def _short(scope: Scope) -> str:
    short = scope.key if "#" not in scope.key else scope.key.split("#", 1)[0]
    return short.replace(".<locals>.", ".")


def _header(facts: ModuleFacts, scope: Scope, providers: Sequence[Provider]) -> FunctionFacts:
    node = scope.node
    view = FunctionView(facts, scope)
    marks: Set[str] = set()
    for provider in providers:
        marks |= provider.marks(view)
    declared = None
    if node.returns is not None and not facts.is_generator(scope):
        found = facts.annotation(node.returns, facts.annotation_lookup(scope))
        declared = found if found != UNKNOWN_VALUES else None
    return FunctionFacts(
        scope.qualname, _short(scope), node.lineno, isinstance(node, ast.AsyncFunctionDef), _is_property(view), frozenset(marks), declared, node.col_offset
    )


def scope_of_function(facts: ModuleFacts, qualname: str) -> Optional[Scope]:
    """The scope of a function of this module by qualified name (the last definition)."""
    prefix = f"{facts.module}." if facts.module else ""
    if not qualname.startswith(prefix):
        return None
    scope = facts.scopes.get(qualname[len(prefix):])
    return scope if scope is not None and scope.kind == "function" else None


def function_details(facts: ModuleFacts, scope: Scope, providers: Sequence[Provider] = ()) -> FunctionDetails:
    """Read one function's body: returns, calls (callee values, where, awaited, once per
    loop pass, literal arguments, providers' notes), attribute reads of instances,
    iterations, and the providers' effects. A module or class body is read the same way
    (it returns nothing)."""
    view = FunctionView(facts, scope)
    live, looped = _live_ordinals(facts, scope)
    calls: List[CallFacts] = []
    effects: List[Effect] = []
    for ordinal in live:
        stmt = facts.statements[ordinal]
        collector = _Collector(facts, view, ordinal, ordinal in looped)
        collector.run(statement_expressions(stmt))
        if isinstance(stmt, ast.For):
            collector.iterations.append((stmt, stmt.iter, facts.values(stmt.iter, ordinal)))
        for call, callee, awaited, in_loop, look in collector.calls:
            site = CallSite(view, call, ordinal, callee, awaited, in_loop, look)
            notes: Set[str] = set()
            for provider in providers:
                found = provider.effect(site)
                if found is not None:
                    effects.append(found)
                notes |= provider.notes(site)
            calls.append(CallFacts(callee, call.lineno, call.col_offset, awaited, in_loop, site.args, notes=frozenset(notes)))
        for attr, receiver, in_loop in collector.reads:
            calls.append(CallFacts(receiver, attr.lineno, attr.col_offset, False, in_loop, ((), {}), attribute=attr.attr, kind="read"))
        for loop_node, iterable, values in collector.iterations:
            isite = IterationSite(view, loop_node, iterable, values)
            for provider in providers:
                found = provider.iteration_effect(isite)
                if found is not None:
                    effects.append(found)
                    break
            if isinstance(iterable, (ast.Name, ast.Attribute, ast.Call)):
                calls.append(CallFacts(values, isite.line, isite.column, False, True, kind="iter"))
    effects.sort(key=lambda e: (e.line, e.column))
    returns = facts.returns(scope) if scope.kind == "function" else UNKNOWN_VALUES
    each_return = facts.each_return(scope) if scope.kind == "function" and not facts.is_generator(scope) else ()
    return FunctionDetails(returns, tuple(calls), tuple(effects), each_return)
