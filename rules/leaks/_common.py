"""Helpers shared by the FFT3xx rules (no rules here): subtree scans and the YAML catalogs."""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Dict, FrozenSet, Iterator, List, Optional, Sequence, Set, Tuple

import libcst as cst

from fftlint import yamlfile
from fftlint.analysis.names import ast_dotted, dotted  # noqa: F401 - ast_dotted: re-exported for the rules
from fftlint.engine.walk import descendants, parent_map  # noqa: F401 - parent_map re-exported for the family

HERE = os.path.dirname(os.path.abspath(__file__))


@lru_cache(maxsize=None)
def load_catalog(filename: str) -> Dict[str, Any]:
    """A YAML catalog shipped beside the rules (parsed once per process)."""
    with open(os.path.join(HERE, filename), encoding="utf-8") as fh:
        data = yamlfile.safe_load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{filename}: expected a mapping at the top level")
    return data


walk_nodes = descendants  # every node below a node (pre-order); into_scopes=False stops at nested scopes


def attribute_names(node: cst.CSTNode) -> Set[str]:
    """Every ``.attr`` name used anywhere below ``node``, plus bare names that are called."""
    out: Set[str] = set()
    for sub in walk_nodes(node):
        if isinstance(sub, cst.Attribute):
            out.add(sub.attr.value)
        elif isinstance(sub, cst.Call) and isinstance(sub.func, cst.Name):
            out.add(sub.func.value)
    return out


def discarded(stmt: Optional[cst.CSTNode], node: cst.CSTNode) -> bool:
    """``node`` is an expression statement of its own (its value is thrown away)."""
    if not isinstance(stmt, cst.SimpleStatementLine):
        return False
    return any(isinstance(small, cst.Expr) and small.value is node for small in stmt.body)


def root_name(expr: cst.BaseExpression) -> Optional[str]:
    """``self.a.b`` -> "self"; ``f().x`` -> None."""
    while isinstance(expr, (cst.Attribute, cst.Subscript)):
        expr = expr.value
    return expr.value if isinstance(expr, cst.Name) else None


def in_dead_branch(ctx: Any) -> bool:
    """The current node is in the body of an ``if`` of its function that never runs
    (``if 0:``, ``if False:``, ``if TYPE_CHECKING:``)."""
    from ..async_io._base import is_constant_false

    statements = ctx.statements
    for i in range(len(statements) - 2, -1, -1):
        parent, child = statements[i], statements[i + 1]
        if isinstance(parent, cst.FunctionDef):
            return False
        if isinstance(parent, cst.If) and isinstance(parent.body, cst.IndentedBlock):
            if any(child is s for s in parent.body.body) and is_constant_false(ctx, parent.test):
                return True
    return False


def inside_expected_raise(ctx: Any) -> bool:
    """Inside ``with pytest.raises(...)`` / ``with self.assertRaises(...)``: the block is
    expected to raise before its statements have their usual effect."""
    for frame in reversed(ctx.stack.frames):
        if frame.kind in ("def", "async def", "lambda", "class"):
            return False
        if frame.kind in ("with", "async with") and isinstance(frame.node, cst.With):
            for item in frame.node.items:
                call = item.item
                if not isinstance(call, cst.Call):
                    continue
                name = ctx.names.resolve(call.func) or dotted(call.func) or ""
                if name == "pytest.raises" or name.rsplit(".", 1)[-1] in ("assertRaises", "assertRaisesRegex"):
                    return True
    return False


def text_of(expr: cst.BaseExpression) -> str:
    return dotted(expr) or ""


@dataclass
class LeaksOptions:
    """``[tool.fftlint.leaks]``: options of the FFT3xx rules."""

    #: Extra names of functions that run once (set-up code), where FFT301 never reports.
    #: Exact function names, or prefixes ending in ``*`` (``"prepare_*"``).
    setup_functions: List[str] = field(default_factory=list)
    #: FFT303 also reports bounded caches (`lru_cache(maxsize=128)`) on methods: they keep
    #: up to `maxsize` instances alive (parity with ruff's B019). False: only unbounded ones.
    report_bounded_caches: bool = True


# -- the ast pre-checks (``could_match``): necessary conditions, never sufficient ones --------
#
# ``ctx.names.resolve`` (the facts layer) builds a canonical name as
# ``binding(root) + "." + attributes``. The last component of a binding always comes from
# the file's text: the imported name (or its module, ``import a.b`` binds ``a``), the name
# of a definition of the module (``pkg.mod.name``), the name itself when it is unbound, or
# an instance marker ``"...Name()"`` made from a call or an annotation. :func:`may_resolve`
# checks exactly what that allows, over-approximating wherever an instance is involved.


Position = Tuple[int, int]


class LeakFacts:
    """What the FFT3xx pre-checks share about one file (built once, through ``view.memo``):
    text look-ups, import aliases and the body spans of every function (the last two from
    the shared node walk, made only when a check gets that far)."""

    __slots__ = ("text", "path", "_view", "_aliases", "_spans", "_mentioned", "_holders", "_resolved", "_lambdas", "_opaque")

    def __init__(self, view: Any) -> None:
        self.text: str = view.text
        # the module name comes from the absolute path (``module_name_for``)
        self.path: str = os.path.abspath(view.path) if view.path else ""
        self._view = view
        self._aliases: Optional[Dict[str, Set[str]]] = None
        self._spans: Optional[List[Tuple[Position, Position, ast.AST]]] = None
        self._mentioned: Dict[str, bool] = {}
        self._holders: Optional[Set[str]] = None
        self._resolved: Dict[int, Optional[Any]] = {}
        self._lambdas: Optional[List[Tuple[Position, Position]]] = None
        self._opaque: Optional[FrozenSet[str]] = None

    @property
    def aliases(self) -> Dict[str, Set[str]]:
        """local name -> last components of what imports bind it to"""
        if self._aliases is None:
            aliases: Dict[str, Set[str]] = {}
            for imp in self._view.nodes(ast.Import, ast.ImportFrom):
                for alias in imp.names:
                    if alias.name == "*":
                        continue
                    if isinstance(imp, ast.Import) and alias.asname is None:
                        local = last = alias.name.split(".", 1)[0]
                    else:
                        local = alias.asname or alias.name
                        last = alias.name.rsplit(".", 1)[-1]
                    aliases.setdefault(local, set()).add(last)
            self._aliases = aliases
        return self._aliases

    @property
    def spans(self) -> List[Tuple[Position, Position, ast.AST]]:
        """(body start, end, def) of every function; the body starts at its first statement,
        so decorators, defaults and annotations (evaluated outside) are not in it"""
        if self._spans is None:
            spans: List[Tuple[Position, Position, ast.AST]] = []
            for fn in self._view.nodes(ast.FunctionDef, ast.AsyncFunctionDef):
                first = fn.body[0]
                end = (getattr(fn, "end_lineno", None), getattr(fn, "end_col_offset", None))
                if end[0] is None or end[1] is None:
                    end = (1 << 30, 0)
                spans.append(((first.lineno, first.col_offset), end, fn))  # type: ignore[arg-type]
            self._spans = spans
        return self._spans

    @property
    def opaque(self) -> Any:
        """Names the facts layer may resolve through other modules or assignments (asked
        once per call site by several checks: the union is made once per file)."""
        if self._opaque is None:
            self._opaque = self._view.opaque_names()
        return self._opaque

    def may_hold_instance(self, name: str) -> bool:
        """``name`` can be bound to an instance marker: only an assignment (``=``, ``:=``,
        ``with ... as``, an annotated assignment, all ``Store`` names) or an annotated
        parameter binds one; plain parameters, loops and imports never do."""
        if self._holders is None:
            holders: Set[str] = set()
            for node in self._view.nodes(ast.Name):
                if type(node.ctx) is ast.Store:
                    holders.add(node.id)
            for arg in self._view.nodes(ast.arg):
                if arg.annotation is not None:
                    holders.add(arg.arg)
            self._holders = holders
        return name in self._holders

    def may_bind(self, name: str, last: str) -> bool:
        """``name`` can be bound to something whose last component is ``last`` (other than an
        instance): the name itself, or an import alias of it."""
        return name == last or last in self.aliases.get(name, ())

    def instance_possible(self, marker: str) -> bool:
        """Something in the file can be an instance marker ``X()``: ``X`` is spelled there."""
        key = "()" + marker
        found = self._mentioned.get(key)
        if found is None:
            found = self._mentioned[key] = marker[:-2] in self.text
        return found

    def mentions(self, module: str) -> bool:
        """A canonical name can start with ``module``: it is spelled in the text, or it is a
        part of this file's own module name (relative imports, the module's definitions)."""
        found = self._mentioned.get(module)
        if found is None:
            found = self._mentioned[module] = module in self.text or module in self.path
        return found

    def in_lambda(self, node: ast.AST) -> bool:
        """``node`` is inside a lambda's body or defaults (no ``def`` can be inside one)."""
        if self._lambdas is None:
            self._lambdas = [
                ((fn.lineno, fn.col_offset), (getattr(fn, "end_lineno", None) or 1 << 30, getattr(fn, "end_col_offset", None) or 0))
                for fn in self._view.nodes(ast.Lambda)
            ]
        pos = (node.lineno, node.col_offset)  # type: ignore[attr-defined]
        return any(start <= pos < end for start, end in self._lambdas)

    def resolved(self, expr: ast.AST) -> Optional[Any]:
        """What the facts layer resolves ``expr`` to where it stands (see
        :meth:`fftlint.engine.prefilter.AstView.values_at`), None when it cannot tell."""
        key = id(expr)
        memo = self._resolved
        if key not in memo:
            memo[key] = self._view.values_at(expr)
        return memo[key]

    def innermost_function(self, node: ast.AST) -> Optional[ast.AST]:
        """The innermost ``def`` whose body contains ``node`` (lambdas and class bodies are
        ignored: callers use this only to rule out set-up functions)."""
        pos = (node.lineno, node.col_offset)  # type: ignore[attr-defined]
        best: Optional[Tuple[Position, Position, ast.AST]] = None
        for span in self.spans:
            if span[0] <= pos <= span[1] and (best is None or span[0] > best[0]):
                best = span
        return best[2] if best is not None else None


_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


def comprehension_values(view: Any, expr: ast.AST) -> Optional[Any]:
    """What ``expr`` may be when its root is a target of the comprehensions around it
    (``[f(x) for f in funcs]``), where ``view.values_at`` cannot tell: each target holds
    the items of its iterable, as the walker's overlay binds them for the rules (the
    first iterable of a comprehension seen from outside it, later ones after the earlier
    targets). None when that cannot be told here either: no project, a lambda or walrus
    in the way, a name the comprehensions do not bind."""
    from fftlint.facts.bindings import unpack

    project = view.project
    root = expr
    while isinstance(root, (ast.Attribute, ast.Call, ast.Subscript)):
        root = root.func if isinstance(root, ast.Call) else root.value
    if not isinstance(root, ast.Name) or project is None or not hasattr(project, "resolve"):
        return None
    pos = (expr.lineno, expr.col_offset)  # type: ignore[attr-defined]

    def inside(node: ast.AST) -> bool:
        end = (getattr(node, "end_lineno", None) or 1 << 30, getattr(node, "end_col_offset", None) or 0)
        return (node.lineno, node.col_offset) <= pos < end  # type: ignore[attr-defined]

    if any(inside(fn) for fn in view.nodes(ast.Lambda)):
        return None  # lambda parameters are unknown to the rules; not followed here
    around = sorted((c for c in view.nodes(*_COMPREHENSIONS) if inside(c)), key=lambda c: (c.lineno, c.col_offset))  # type: ignore[attr-defined]
    if not around:
        return None
    mentioned = {n.id for c in around for g in c.generators for n in ast.walk(g.iter) if isinstance(n, ast.Name)}  # type: ignore[attr-defined]
    mentioned.update(n.id for n in ast.walk(expr) if isinstance(n, ast.Name))
    if any(isinstance(n.target, ast.Name) and n.target.id in mentioned for n in view.nodes(ast.NamedExpr)):  # type: ignore[attr-defined]
        return None  # a walrus binds it in the enclosing function (``values_at`` gives up too)
    ordinal = view.statement_at(expr)  # the statement ``values_at`` uses
    if ordinal < 0:
        return None
    facts = view.facts
    overlay: Dict[str, Any] = {}
    for comp in around:
        for gen in comp.generators:  # type: ignore[attr-defined]
            if inside(gen.iter):
                break  # ``expr`` is in this iterable: this and later targets are not bound there
            items = project.resolve(facts.items(facts.values(gen.iter, ordinal, dict(overlay))))
            for name, values in unpack(gen.target, items, facts):
                overlay[name] = values
            if any(inside(cond) for cond in gen.ifs):
                break  # in this generator's condition: later targets are not bound yet
    if root.id not in overlay:
        return None
    return project.resolve(facts.values(expr, ordinal, overlay))


_SCOPES_AST = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _own_loops(fn: Any) -> List[Tuple[Tuple[int, int], Tuple[int, int], Set[str]]]:
    """The loops of ``fn``'s own scope (not of a nested ``def``, class or lambda), each as
    the extent of its frame (a ``for``'s target and body; a ``while``'s test and body:
    its iterable and ``else`` run outside, as ``ContextStack`` says) and the names it
    varies: a ``for`` target, and what ``=``, ``:=``, ``+=``, an annotated assignment or a
    nested ``for`` binds in its body (a subset of what ``repeats_in_loop`` counts)."""
    out: List[Tuple[Tuple[int, int], Tuple[int, int], Set[str]]] = []
    stack: List[ast.AST] = list(fn.body)
    while stack:
        node = stack.pop()
        if isinstance(node, _SCOPES_AST):
            continue
        if isinstance(node, (ast.For, ast.AsyncFor, ast.While)) and node.body:
            last = node.body[-1]
            end = (getattr(last, "end_lineno", None) or (1 << 30), getattr(last, "end_col_offset", None) or 0)
            if isinstance(node, (ast.For, ast.AsyncFor)):
                # the target and the body: the iterable between them is evaluated outside
                first: ast.AST = node.body[0]
                target = node.target
                target_end = (getattr(target, "end_lineno", None) or (1 << 30), getattr(target, "end_col_offset", None) or 0)
                extents = [((target.lineno, target.col_offset), target_end), ((first.lineno, first.col_offset), end)]
            else:
                extents = [((node.test.lineno, node.test.col_offset), end)]
            varying: Set[str] = set()
            if isinstance(node, (ast.For, ast.AsyncFor)):
                varying.update(_bound(node.target))
            todo: List[ast.AST] = list(node.body)
            while todo:
                sub = todo.pop()
                if isinstance(sub, _SCOPES_AST) or isinstance(sub, _COMPREHENSIONS):
                    continue
                if isinstance(sub, ast.Assign):
                    for target in sub.targets:
                        varying.update(_bound(target))
                elif isinstance(sub, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr, ast.For, ast.AsyncFor)):
                    varying.update(_bound(sub.target))
                todo.extend(ast.iter_child_nodes(sub))
            out.extend((start, stop, varying) for start, stop in extents)
        stack.extend(ast.iter_child_nodes(node))
    return out


def _bound(target: ast.AST) -> Iterator[str]:
    """``target_names`` on ``ast``: the names a target binds (tuples, lists, starred)."""
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for el in target.elts:
            yield from _bound(el)
    elif isinstance(target, ast.Starred):
        yield from _bound(target.value)


def repeats_in_loop_ast(fn: Any, node: ast.AST, probe: ast.AST, memo: Dict[int, Any]) -> bool:
    """:func:`repeats_in_loop` ahead of LibCST, as a necessary condition: ``node`` is in a
    loop of ``fn``'s own scope and ``probe`` (what the rule hands it, or a part of that,
    which mentions fewer names) mentions no name those loops vary. Set-up code repeats
    its work once per iteration only then (``for signum in signals:
    faulthandler.register(signum)`` registers each signal once). ``memo``: per ``fn``."""
    loops = memo.get(id(fn))
    if loops is None:
        loops = memo[id(fn)] = _own_loops(fn)
    pos = (node.lineno, node.col_offset)  # type: ignore[attr-defined]
    around = [varying for start, end, varying in loops if start <= pos < end]
    if not around:
        return False
    varying: Set[str] = set().union(*around)
    return not any(isinstance(n, ast.Name) and n.id in varying for n in ast.walk(probe))


def leak_facts(view: Any) -> LeakFacts:
    return view.memo("leaks.facts", LeakFacts)


def may_resolve(expr: ast.AST, target: Sequence[str], facts: LeakFacts) -> bool:
    """Necessary condition for ``ctx.names.resolve(expr) == ".".join(target)``
    (``target`` split into components: ``("asyncio", "get_event_loop()", "create_task")``).
    An expression rooted in a name only the facts layer can tell (assigned in the file,
    imported from the project) is asked of it, as the rules ask ``ctx.names``."""
    opaque = rooted_in(expr, facts.opaque)
    if opaque:
        attrs = _attribute_chain(expr)
        if attrs is not None and attrs and list(target[-len(attrs):]) != attrs:
            return False  # ``x.other`` never ends in the target's last names (no aliasing
            # through a module attribute is followed, here or by the rules' pre-checks)
        values = facts.resolved(expr)
        if values is not None:
            return ".".join(target) in values
    first = target[0][:-2] if target[0].endswith("()") else target[0]
    if not facts.mentions(first) and not opaque:
        return False  # a canonical name starts with an import, an unbound name or the module
    return _may_resolve(expr, target, facts)


def _attribute_chain(expr: ast.AST) -> Optional[List[str]]:
    """``a.b.c`` -> ``["b", "c"]`` (a plain name: ``[]``); None for other shapes."""
    attrs: List[str] = []
    node = expr
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    attrs.reverse()
    return attrs


def rooted_in(expr: ast.AST, names: Any) -> bool:
    node = expr
    while isinstance(node, (ast.Attribute, ast.Call)):
        node = node.value if isinstance(node, ast.Attribute) else node.func
    return isinstance(node, ast.Name) and node.id in names


def _may_resolve(expr: ast.AST, target: Sequence[str], facts: LeakFacts) -> bool:
    attrs: List[str] = []
    node = expr
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    attrs.reverse()
    if isinstance(node, ast.Name) and node.id in facts.opaque and list(target[len(target) - len(attrs):]) == attrs:
        return True  # a name whose value the project tells (a Signal made in another module)
    k, m = len(attrs), len(target)
    if k < m and list(target[m - k :]) == attrs:
        last = target[m - k - 1]
        if isinstance(node, ast.Name):
            if last.endswith("()"):
                if facts.instance_possible(last) and facts.may_hold_instance(node.id):
                    return True
            elif facts.may_bind(node.id, last):
                return True
        elif isinstance(node, ast.Call) and last.endswith("()"):
            if _may_resolve(node.func, (*target[: m - k - 1], last[:-2]), facts):
                return True
    # ``self.attr.rest``: ``self.attr`` stands for an instance its class assigned
    if isinstance(node, ast.Name) and k >= 1:
        j = k - 1
        if j < m and list(target[m - j :]) == attrs[1:] and target[m - j - 1].endswith("()"):
            return facts.instance_possible(target[m - j - 1])
    return False


def split_name(name: str) -> Tuple[str, ...]:
    return tuple(name.split("."))


def may_resolve_any(expr: ast.AST, targets: Sequence[Tuple[str, ...]], facts: LeakFacts) -> bool:
    return any(may_resolve(expr, t, facts) for t in targets)


def reachable(targets: Sequence[Tuple[str, ...]], facts: LeakFacts) -> List[Tuple[str, ...]]:
    """The targets the file can produce at all: the first component is spelled in it or in
    its module name (see :func:`may_resolve`), and the last one is spelled in the text (an
    attribute, or the name an import or a definition binds)."""
    out = []
    for t in targets:
        first = t[0][:-2] if t[0].endswith("()") else t[0]
        last = t[-1][:-2] if t[-1].endswith("()") else t[-1]
        if facts.mentions(first) and facts.instance_possible(last + "()"):
            out.append(t)
    return out


# -- fixes ----------------------------------------------------------------------------------
def blocks_of(stmt: cst.CSTNode) -> List[cst.BaseSuite]:
    """The suites a compound statement holds (body, ``else``, handlers, ``finally``)."""
    out: List[cst.BaseSuite] = []
    body = getattr(stmt, "body", None)
    if isinstance(body, cst.BaseSuite):
        out.append(body)
    orelse = getattr(stmt, "orelse", None)
    while orelse is not None:
        if isinstance(orelse, cst.If):
            out.append(orelse.body)
            orelse = orelse.orelse
        else:
            out.append(orelse.body)
            orelse = None
    for handler in getattr(stmt, "handlers", ()) or ():
        out.append(handler.body)
    final = getattr(stmt, "finalbody", None)
    if final is not None:
        out.append(final.body)
    return out


def block_of(parent: cst.CSTNode, child: cst.CSTNode) -> Optional[cst.BaseSuite]:
    """The suite of ``parent`` (a compound statement, or the module) that holds ``child``."""
    if isinstance(parent, cst.Module):
        return None
    for block in blocks_of(parent):
        if isinstance(block, cst.IndentedBlock) and any(s is child for s in block.body):
            return block
        if isinstance(block, cst.SimpleStatementSuite) and child is block:
            return block
    return None


def names_in(node: cst.CSTNode) -> Set[str]:
    """Every bare name used or bound anywhere below ``node`` (nested scopes included)."""
    return {sub.value for sub in walk_nodes(node) if isinstance(sub, cst.Name)}


def fresh_name(base: str, taken: Set[str]) -> str:
    if base not in taken:
        return base
    i = 2
    while f"{base}_{i}" in taken:
        i += 1
    return f"{base}_{i}"


def _holders(view: Any) -> Dict[int, ast.AST]:
    holders: Dict[int, ast.AST] = {}
    for node in view.nodes(ast.Assign, ast.AnnAssign, ast.Attribute, ast.Return, ast.Yield, ast.Await, ast.Expr):
        value = getattr(node, "value", None)
        if value is not None:
            holders[id(value)] = node
    for node in view.nodes(ast.Call):
        for arg in node.args:
            holders[id(arg)] = node
        for kw in node.keywords:
            holders[id(kw.value)] = node
    for node in view.nodes(ast.For, ast.AsyncFor, ast.comprehension):
        holders[id(node.iter)] = node
    for node in view.nodes(ast.withitem):
        holders[id(node.context_expr)] = node
    return holders


def holders(view: Any) -> Dict[int, ast.AST]:
    """id(expression) -> the node that holds it as a value (an assignment's or a return's
    value, an attribute's object, a call's argument, a loop's iterable, a ``with`` item),
    from the shared node lists: the parent links the FFT3xx pre-checks ask about, without a
    walk of their own."""
    return view.memo("leaks.holders", _holders)


def _method_classes(view: Any) -> Dict[int, ast.ClassDef]:
    out: Dict[int, ast.ClassDef] = {}

    def visit(body: Sequence[ast.stmt], klass: ast.ClassDef) -> None:
        for stmt in body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                out[id(stmt)] = klass
            elif not isinstance(stmt, ast.ClassDef):
                for field in ("body", "orelse", "finalbody"):
                    block = getattr(stmt, field, None)
                    if isinstance(block, list):
                        visit(block, klass)
                for handler in [*(getattr(stmt, "handlers", None) or ()), *(getattr(stmt, "cases", None) or ())]:
                    visit(handler.body, klass)

    for klass in view.nodes(ast.ClassDef):
        visit(klass.body, klass)  # type: ignore[attr-defined]
    return out


def method_classes(view: Any) -> Dict[int, ast.ClassDef]:
    """id(def) -> the class whose body holds it (also under ``if`` / ``try`` / ``with``)."""
    return view.memo("leaks.method_classes", _method_classes)


def parents_in(node: ast.AST) -> Dict[int, ast.AST]:
    """id(child) -> parent below one ``ast`` node (a function: the walks that need every
    parent stay inside the candidate's function)."""
    return {id(c): n for n in ast.walk(node) for c in ast.iter_child_nodes(n)}


def repeats_in_loop(ctx: Any, probe: cst.CSTNode) -> bool:
    """The current node is in a loop of its function (not a comprehension) and ``probe``
    mentions none of the names the loops bind or assign: every iteration does the same
    thing again (``for job in jobs: log.addHandler(...)`` with ``probe`` = ``log``)."""
    loops = ctx.stack.loops
    if not loops or any(f.kind == "comprehension" for f in loops):
        return False
    from fftlint.analysis.names import target_names

    varying: Set[str] = set()
    for frame in loops:
        loop = frame.node
        if isinstance(loop, cst.For):
            varying.update(target_names(loop.target))
        for sub in walk_nodes(loop.body, into_scopes=False):
            if isinstance(sub, (cst.AssignTarget, cst.AnnAssign, cst.AugAssign, cst.NamedExpr, cst.For, cst.CompFor)):
                varying.update(target_names(sub.target))  # the names it binds (not `obj.attr = ...`)
    return not any(isinstance(n, cst.Name) and n.value in varying for n in [probe, *walk_nodes(probe)])


def called_or_aliased(*names: str) -> Tuple["re.Pattern[str]", ...]:
    """``requires`` needles: one of ``names`` as a whole word followed by ``(`` (a call) or
    by ``as`` (an import alias: ``from io import open as io_open``). One pattern per name,
    each starting with its literal (Python's ``re`` then scans for it quickly; a leading
    ``\b`` or an alternation makes the scan many times slower on every file)."""
    out = []
    for name in sorted(set(names)):
        lit = re.escape(name)
        out.append(re.compile(rf"{lit}(?<!\w{lit})(?:\s*\(|\s+as\b)"))
    return tuple(out)

