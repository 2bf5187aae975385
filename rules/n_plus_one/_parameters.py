"""What a project function does with its parameters: the calls rooted at one
(``owner.pets.count()``), read from the function's ``ast`` so that a call site that knows
its argument (a row of a loop's queryset) can ask the ORM provider what that call is.
A parameter the body rebinds is left out: it no longer holds the argument."""

from __future__ import annotations

import ast
from typing import Any, Dict, FrozenSet, Iterator, List, Optional, Tuple

from fftlint.facts.bindings import own_nodes

#: (line, column, parameter, the path after it, kind): ``owner.pets.count()`` ->
#: (l, c, "owner", "pets.count", "call"); ``for p in owner.pets.all():`` ->
#: (l, c, "owner", "pets.all()", "iter")
ParameterCall = Tuple[int, int, str, str, str]


def parameter_calls(project: Any, target: Any) -> Optional[Tuple[List[str], List[ParameterCall]]]:
    """The positional parameters of ``target`` a call fills (``self`` / ``cls`` of a
    method left out) and the calls its own body makes on them, in source order; None
    when the function's source is not at hand or it makes none. Kept per module text and
    function."""
    module = module_of(project, target.qualname)
    facts = project.module_facts(module) if module else None
    if facts is None:
        return None
    # kept on the module's facts, which a changed text replaces (the editor's overlays)
    memo: Dict[Tuple[str, int], Any] = facts.__dict__.setdefault("_fft2_parameter_calls", {})
    key = (target.qualname, target.line)
    if key not in memo:
        memo[key] = _parameter_calls(facts, target, project)
    return memo[key]


def _parameter_calls(facts: Any, target: Any, project: Any) -> Optional[Tuple[List[str], List[ParameterCall]]]:
    tree = getattr(facts, "tree", None)
    if tree is None:
        return None
    function = _function_at(tree, target.line)
    if function is None:
        return None
    params = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
    is_method = project.class_facts(target.qualname.rsplit(".", 1)[0]) is not None
    if is_method and not any(_decorator_name(d) == "staticmethod" for d in function.decorator_list):
        params = params[1:]
    wanted = frozenset(params) | frozenset(a.arg for a in function.args.kwonlyargs)
    calls = list(_calls_on_parameters(function, wanted - _rebound(function)))
    if not calls:
        return None
    return params, calls


def module_of(project: Any, qualname: str) -> Optional[str]:
    parts = qualname.split(".")
    for i in range(len(parts) - 1, 0, -1):
        name = ".".join(parts[:i])
        if name in project.modules:
            return name
    return None


def _function_at(tree: ast.AST, line: int) -> Optional[ast.FunctionDef]:
    return next((n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.lineno == line), None)  # type: ignore[return-value]


def _decorator_name(node: ast.AST) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _rebound(function: ast.AST) -> FrozenSet[str]:
    """Names the function's body binds (a parameter rebound is no longer the argument)."""
    out = set()
    for node in own_nodes(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            out.add(node.id)
    return frozenset(out)


def _calls_on_parameters(function: ast.AST, params: FrozenSet[str]) -> Iterator[ParameterCall]:
    """The calls of ``function``'s own body rooted at one of ``params``, in source order."""
    found = []
    for node in own_nodes(function):
        if isinstance(node, ast.Call):
            dotted = _attribute_path(node.func)
            if dotted and dotted[0] in params and len(dotted) > 2:
                found.append((node, dotted[0], ".".join(dotted[1:]), "call"))
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            iterable = node.iter
            if isinstance(iterable, ast.Call) and not iterable.args and not iterable.keywords:
                dotted = _attribute_path(iterable.func)
                if dotted and dotted[0] in params and len(dotted) > 2:
                    found.append((iterable, dotted[0], ".".join(dotted[1:]) + "()", "iter"))
    found.sort(key=lambda f: (f[0].lineno, f[0].col_offset))
    return iter([(n.lineno, n.col_offset, param, tail, kind) for n, param, tail, kind in found])


def _attribute_path(node: ast.AST) -> Optional[List[str]]:
    """``owner.pets.filter(x=1).exists`` -> ["owner", "pets", "filter()", "exists"]."""
    parts: List[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            node = node.func
            parts.append(node.attr + "()")
            node = node.value
        elif isinstance(node, ast.Name):
            parts.append(node.id)
            return parts[::-1]
        else:
            return None
