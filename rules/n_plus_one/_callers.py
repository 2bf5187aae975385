"""What an unannotated parameter holds when the module's own callers say so.

``def summarize(tickets): for t in tickets: t.queue.title`` says nothing about ``tickets``;
``summarize(Ticket.objects.filter(open=True))`` in the same module does. The values every
call of the function in its module passes for the parameter (a module-level function
called by its name, a method called on ``self`` / ``cls`` / its class) are joined, so the
loop reads the rows of those querysets. Read from the module's ``ast`` and the facts layer
(the argument's value where the call stands); no other module is read: a caller in
another module is not followed.

What stays unknown: an argument passed through ``*args`` / ``**kwargs``, a parameter the
call leaves to its default, an argument inside a comprehension or a lambda (its names
are bound there), a function with no call in its module.
"""

from __future__ import annotations

import ast
from typing import Any, Iterator, List, Optional, Tuple

from fftlint.facts.values import UNKNOWN, Values

_INNER_SCOPES = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def caller_values(ctx: Any, qualname: str, param: str) -> Optional[Values]:
    """The values the calls of function ``qualname`` in its own module pass for ``param``
    (its own argument or keyword), joined; None when no call there tells. Kept per file
    walk."""
    return ctx.shared(("fft2-caller-values", qualname, param), lambda: _caller_values(ctx, qualname, param))


def _caller_values(ctx: Any, qualname: str, param: str) -> Optional[Values]:
    names = ctx.names
    facts = getattr(names, "facts", None)
    project = ctx.project
    if facts is None or getattr(names, "desynced", True) or project is None or not hasattr(project, "targets"):
        return None
    scope = next((s for s in facts.scopes.values() if s.kind == "function" and s.qualname == qualname), None)
    if scope is None:
        return None
    position = _position(scope, param)
    if position is None:
        return None
    function = scope.node
    found: List[Any] = []
    for call, stmt in _calls_named(facts.tree, function.name):
        if call is not None and _inside(function, call):
            continue  # a recursive call passes what the function already holds
        arg = _argument(call, position, param)
        if arg is None:
            continue
        ordinal = facts.ordinal_of(stmt)
        targets = project.targets(project.resolve(facts.values(call.func, ordinal)))
        if len(targets) != 1 or targets[0].qualname != qualname:
            continue
        values = project.resolve(facts.values(arg, ordinal))
        if not values or all(v == UNKNOWN for v in values):
            continue
        found.extend(values)
    return frozenset(found) if found else None


def _position(scope: Any, param: str) -> Optional[int]:
    """Where ``param`` stands among the arguments a call passes (``self`` / ``cls`` of a
    method left out); -1 for a keyword-only one; None when it is annotated (the
    annotation says what it holds), variadic or not there."""
    args = scope.node.args
    positional = [*args.posonlyargs, *args.args]
    if scope.cls is not None and scope.self_param and positional and positional[0].arg == scope.self_param:
        positional = positional[1:]
    for i, arg in enumerate(positional):
        if arg.arg == param:
            return i if arg.annotation is None else None
    for arg in args.kwonlyargs:
        if arg.arg == param:
            return -1 if arg.annotation is None else None
    return None


def _calls_named(tree: ast.AST, name: str) -> Iterator[Tuple[ast.Call, ast.stmt]]:
    """Calls ``name(...)`` / ``<x>.name(...)`` outside comprehensions and lambdas, with
    the innermost statement that holds each."""

    def walk(node: ast.AST, stmt: Optional[ast.stmt]) -> Iterator[Tuple[ast.Call, ast.stmt]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, _INNER_SCOPES):
                continue
            here = child if isinstance(child, ast.stmt) else stmt
            if isinstance(child, ast.Call) and here is not None:
                func = child.func
                if isinstance(func, ast.Name) and func.id == name or isinstance(func, ast.Attribute) and func.attr == name:
                    yield child, here
            yield from walk(child, here)

    yield from walk(tree, None)


def _inside(function: ast.AST, node: ast.AST) -> bool:
    start = (function.lineno, function.col_offset)  # type: ignore[attr-defined]
    end = (getattr(function, "end_lineno", 1 << 30), getattr(function, "end_col_offset", 0))
    return start <= (node.lineno, node.col_offset) < end  # type: ignore[attr-defined]


def _argument(call: ast.Call, position: int, param: str) -> Optional[ast.expr]:
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
        return None  # ``f(*rows)`` / ``f(**kw)``: where it lands is not known
    if 0 <= position < len(call.args):
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == param), None)
