"""Helpers that hand back the queryset they are given, narrowed.

``qs = sort_queryset(qs, request, ["name"])``, ``queryset = self.apply_search(queryset)``,
``stmt = self._apply_filters(stmt, f)``: real code passes the query it is building through
its own helpers, in the same module or another one, and goes on with what they return.
A helper is a *pass-through* of its parameter ``p`` when every ``return`` gives ``p`` or a
chain of query methods on it (``p.filter(...).order_by(...)``), possibly through local
names assigned only such chains (``queryset = queryset.filter(...)``) or through another
pass-through (``return self.apply_code_filter(queryset, code)``). What it gives is then
the argument's query with the methods applied: same model, what it loads plus what the
helper's loaders load on any path (``select_related("x")`` on one branch counts as
loading ``x``: a miss, never a false report).

Read at summary time from the function's ``ast`` (a provider mark, so cached with the
module's summary and followed across modules). Two readers use it: the rules' own
analysis of an expression (:meth:`._querysets.Analyzer._through`, which keeps where the
query was built), and the facts layer's values (the provider's ``("through", ...)``
waiting value), so a statement held in a name and passed through helpers is still a
``select(Model)`` at ``session.execute(stmt)``. Nothing is a pass-through when a path
falls off the end, returns anything else (``list(p)``, another queryset, ``p.values()``
is kept but is no longer rows), or reassigns a name of the chain from something else.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

from fftlint.facts.values import UNKNOWN

MARK = "through|"
#: how many pass-throughs deep a chain of them is followed
MAX_DEPTH = 4


@dataclass(frozen=True)
class Through:
    position: int  # among the arguments a call passes (``self`` left out); -1: keyword-only
    name: str
    methods: Tuple[str, ...]  # every method the helper applies on some path
    loads: Tuple[Tuple[str, Tuple[str, ...]], ...]  # (loader method, its literal paths or ("*",))
    nested: Tuple[Tuple[Tuple[str, ...], int, str], ...]  # (callee values, position, keyword) of pass-through calls


def through_mark(function: Any) -> Optional[str]:
    """The mark of a pass-through function (see the module docstring), or None."""
    node = function.node
    if not isinstance(node, ast.FunctionDef):  # a coroutine gives an awaitable, not the query
        return None
    params = _parameters(function)
    if not params:
        return None
    returns = [n for n in function.nodes if isinstance(n, ast.Return)]
    if not returns or any(r.value is None for r in returns):
        return None
    if function.facts.flow(function.scope).falls_off:
        return None
    assigns, spoiled = _assignments(function.nodes)
    local = set(params) | set(assigns) | spoiled
    reads = {id(v): _read(v, local) for values in assigns.values() for v in values}
    reads.update((id(r.value), _read(r.value, local)) for r in returns)  # type: ignore[arg-type]
    found = [got for got in (_through_of(p, params, assigns, spoiled, returns, reads) for p in params) if got is not None]
    if len(found) != 1:
        return None
    param, chains = found[0]
    methods: Set[str] = set()
    loads: Set[Tuple[str, Tuple[str, ...]]] = set()
    nested: Set[Tuple[Tuple[str, ...], int, str]] = set()
    for chain, arg in chains:
        methods.update(m for m, _ in chain.methods)
        loads.update(l for _, l in chain.methods if l is not None)
        if chain.call is not None and arg is not None:
            values = _callee_values(function, chain.call)
            if values is None:
                return None
            nested.add((values, arg[0], arg[1]))
    position, _ = params[param]
    data = [position, param, sorted(methods), sorted([m, list(p)] for m, p in loads), sorted([list(v), p, k] for v, p, k in nested)]
    return MARK + json.dumps(data, separators=(",", ":"))


def parse_mark(marks: FrozenSet[str]) -> Optional[Through]:
    for mark in marks:
        if mark.startswith(MARK):
            try:
                position, name, methods, loads, nested = json.loads(mark[len(MARK):])
            except ValueError:  # pragma: no cover - written by through_mark
                return None
            return Through(position, name, tuple(methods), tuple((m, tuple(p)) for m, p in loads), tuple((tuple(v), p, k) for v, p, k in nested))
    return None


def _through_of(param: str, params: Dict[str, Tuple[int, bool]], assigns: Dict[str, List[ast.AST]], spoiled: Set[str],
                returns: List[ast.Return], reads: Dict[int, Optional["_Read"]]) -> Optional[Tuple[str, List[Tuple["_Read", Optional[Tuple[int, str]]]]]]:
    """Whether the function hands back ``param``: the names that hold only what it was
    given, narrowed (the greatest such set), and every return reading one of them. The
    chains that made them, with the argument passed on to a helper."""
    clean = ({param} | {n for n in assigns if n not in params}) - spoiled
    changed = True
    while changed:
        changed = False
        for name in list(clean):
            if any(_source(reads.get(id(v)), clean) is None for v in assigns.get(name, ())):
                clean.discard(name)
                changed = True
    if param not in clean:
        return None
    chains: List[Tuple[_Read, Optional[Tuple[int, str]]]] = []
    for ret in returns:
        got = reads.get(id(ret.value))
        arg = _source(got, clean)
        if got is None or arg is None:
            return None
        chains.append((got, arg if got.call is not None else None))
    for name in clean:
        for value in assigns.get(name, ()):
            got = reads[id(value)]
            chains.append((got, _source(got, clean) if got is not None and got.call is not None else None))  # type: ignore[arg-type]
    return param, chains


def _source(read: Optional["_Read"], clean: Set[str]) -> Optional[Tuple[int, str]]:
    """The (position, keyword) of the one argument holding a clean name when the chain
    starts with a call of another function; (-2, "") when it starts from a clean name;
    None when it reads from anything else."""
    if read is None:
        return None
    if read.call is None:
        return (-2, "") if read.root in clean else None
    hits = [(p, k) for p, k, n in read.candidates if n in clean]
    return hits[0] if len(hits) == 1 else None


# --------------------------------------------------------------------------- reading
@dataclass
class _Read:
    root: str  # the local name the chain starts from ("" when it starts with a call)
    methods: List[Tuple[str, Optional[Tuple[str, Tuple[str, ...]]]]]  # (method, loads)
    call: Optional[ast.Call] = None  # a call of another function the query is passed to
    candidates: Tuple[Tuple[int, str, str], ...] = ()  # its (position, keyword, name) arguments that are names


_LOADERS = frozenset(("select_related", "prefetch_related", "options"))


def _read(expr: ast.AST, local: Set[str]) -> Optional[_Read]:
    """``name``, ``name.m1(...).m2(...)`` or ``helper(..., name, ...).m(...)`` (``local``:
    the function's own names; a call on anything else is a function called with the
    query: ``self.apply_search(qs)``, ``sorting.sort_queryset(qs)``)."""
    methods: List[Tuple[str, Optional[Tuple[str, Tuple[str, ...]]]]] = []
    node = expr
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _on_chain(node.func.value, local):
        method = node.func.attr
        methods.append((method, (method, _loader_paths(node)) if method in _LOADERS else None))
        node = node.func.value
    methods.reverse()
    if isinstance(node, ast.Name):
        return _Read(node.id, methods)
    if isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)):
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            return None
        names = [(i, "", a.id) for i, a in enumerate(node.args) if isinstance(a, ast.Name)]
        names += [(-1, k.arg, k.value.id) for k in node.keywords if isinstance(k.value, ast.Name) and k.arg]
        return _Read("", methods, node, tuple(names)) if names else None
    return None


def _on_chain(receiver: ast.AST, local: Set[str]) -> bool:
    """A method's receiver is the query being built: a local name, or a call (the chain
    goes on); an attribute (``self.helper``) or a global name (a module) is not."""
    if isinstance(receiver, ast.Name):
        return receiver.id in local
    return isinstance(receiver, ast.Call)


def _loader_paths(call: ast.Call) -> Tuple[str, ...]:
    """The relations a loader call loads: literal paths of ``select_related`` /
    ``prefetch_related`` (:data:`BARE` for none), those of ``options(selectinload(...))``;
    ``*`` for anything else."""
    from .provider import ANY, _django_loader_paths, _loader_paths as sqlalchemy_paths

    method = call.func.attr  # type: ignore[attr-defined]
    if method != "options":
        return _django_loader_paths(method, call)
    out: List[str] = []
    for arg in call.args:
        got = sqlalchemy_paths(arg)
        if got is None or call.keywords:
            return (ANY,)
        out.extend(got)
    return tuple(out)


def _parameters(function: Any) -> Dict[str, Tuple[int, bool]]:
    """Parameter name -> (position among what a call passes, -1 keyword-only; annotated)."""
    args = function.node.args
    positional = [*args.posonlyargs, *args.args]
    scope = function.scope
    if scope.cls is not None and scope.self_param and positional and positional[0].arg == scope.self_param:
        positional = positional[1:]
    out = {a.arg: (i, a.annotation is not None) for i, a in enumerate(positional)}
    out.update({a.arg: (-1, a.annotation is not None) for a in args.kwonlyargs})
    return out


def _assignments(nodes: Sequence[ast.AST]) -> Tuple[Dict[str, List[ast.AST]], Set[str]]:
    assigns: Dict[str, List[ast.AST]] = {}
    spoiled: Set[str] = set()

    def spoil(target: ast.AST) -> None:
        for sub in ast.walk(target):
            if isinstance(sub, ast.Name):
                spoiled.add(sub.id)

    for node in nodes:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    assigns.setdefault(target.id, []).append(node.value)
                else:
                    spoil(target)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            if node.value is not None:
                assigns.setdefault(node.target.id, []).append(node.value)
        elif isinstance(node, ast.AugAssign):
            spoil(node.target)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            spoil(node.target)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    spoil(item.optional_vars)
        elif isinstance(node, ast.NamedExpr):
            spoil(node.target)
        elif isinstance(node, (ast.Global, ast.Nonlocal, ast.Delete)):
            for name in getattr(node, "names", ()):
                spoiled.add(name)
            for target in getattr(node, "targets", ()):
                spoil(target)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            spoiled.add(node.name)
    return assigns, spoiled


def _callee_values(function: Any, call: ast.Call) -> Optional[Tuple[str, ...]]:
    stmt = _statement_of(function, call)
    if stmt is None:
        return None
    values = function.values(call.func, function.facts.ordinal_of(stmt))
    out = tuple(sorted(v for v in values if isinstance(v, str) and v != UNKNOWN and "." in v and not v.startswith("builtins.")))
    return out if out and len(out) == len(values) else None  # a builtin (``list(qs)``) or unknown: no pass-through


def _statement_of(function: Any, node: ast.AST) -> Optional[ast.stmt]:
    memo = function.memo.setdefault("through-statements", {})
    if not memo:
        for stmt in function.nodes:
            if isinstance(stmt, ast.stmt):
                for sub in ast.walk(stmt):
                    memo[id(sub)] = stmt  # pre-order: the innermost statement wins
    return memo.get(id(node))  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- use
#: methods after which the helper's result is no longer model rows
_NOT_ROWS = frozenset(("values", "values_list", "dates", "datetimes", "with_entities", "add_columns", "with_only_columns"))


def through_target(ctx: Any, callee: Any) -> Optional[Through]:
    """The pass-through the callee expression names (one project function), or None."""
    project = ctx.project
    if project is None or not hasattr(project, "targets"):
        return None
    values = ctx.names.values(callee)
    if not values or UNKNOWN in values:
        return None
    return mark_of(project, values)


def mark_of(project: Any, callee: Any) -> Optional[Through]:
    """The pass-through mark of the one project function ``callee`` (values) names."""
    targets = project.targets(project.resolve(frozenset(callee)))
    return parse_mark(targets[0].marks) if len(targets) == 1 else None


def fills(through: Through, position: int, keyword: str) -> bool:
    """A call argument at ``position`` (-1: by keyword ``keyword``) fills the pass-through's parameter."""
    return position >= 0 and position == through.position or bool(keyword) and keyword == through.name


def nested_mark(project: Any, step: Tuple[Tuple[str, ...], int, str]) -> Optional[Through]:
    """The pass-through a helper hands its query on to (one of ``Through.nested``), when
    the argument it passes is that helper's parameter."""
    callee, position, keyword = step
    inner = mark_of(project, callee)
    return inner if inner is not None and fills(inner, position, keyword) else None


def argument(call: Any, through: Through) -> Any:
    """The argument of a CST call that fills the pass-through's parameter."""
    position = 0
    for arg in call.args:
        if arg.star:
            return None
        if arg.keyword is not None:
            if arg.keyword.value == through.name:
                return arg.value
            continue
        if position == through.position:
            return arg.value
        position += 1
    return None


def apply_through(q: Any, through: Through, project: Any, lazy: Set[str], depth: int = 0) -> Optional[Any]:
    """``q`` once the helper ran: its methods applied (None when one runs the query or is
    not a query method we know), its loads added, its nested pass-throughs followed."""
    from .provider import ANY, BARE

    if depth > MAX_DEPTH:
        return None
    loaders = {m for m, _ in through.loads}
    for method in through.methods:
        if method in _NOT_ROWS:
            q.instances = False
        elif method not in lazy and method not in loaders:
            return None
        else:
            q.methods.append(method)
    for method, paths in through.loads:
        if ANY in paths:
            q.loads_unknown = True
        elif method == "select_related":
            q.select_all = q.select_all or BARE in paths
            q.select_related.update(p for p in paths if p != BARE)
        else:
            q.prefetch.update(paths)
    for step in through.nested:
        inner = nested_mark(project, step)
        if inner is None:
            return None
        q = apply_through(q, inner, project, lazy, depth + 1)
        if q is None:
            return None
    return q
