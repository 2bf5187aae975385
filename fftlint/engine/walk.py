"""One read-only traversal of a LibCST module that feeds every selected rule.

LibCST's own ``visit`` rebuilds each node it passes (``_visit_and_replace_children``);
a linter only reads, so this walker iterates dataclass fields directly. It also owns the
context stack, and keeps the facts layer's statement count in step, so rules need no
metadata for either.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import libcst as cst

from fftlint.rule import FileContext, Rule

# Tokens and trivia that never contain expressions: not walked (node classes are named,
# not referenced: libcst is loaded when a file is first parsed with it).
_SKIP_NAMES = (
    "SimpleWhitespace", "ParenthesizedWhitespace", "TrailingWhitespace", "EmptyLine", "Newline",
    "Comment", "LeftParen", "RightParen", "LeftSquareBracket", "RightSquareBracket",
    "LeftCurlyBrace", "RightCurlyBrace", "Comma", "Dot", "Semicolon", "Colon", "AssignEqual",
    "ImportStar",
)
_SKIPPED_BASES = ("BaseBinaryOp", "BaseBooleanOp", "BaseCompOp", "BaseUnaryOp", "BaseAugOp")
_STATEMENT_NAMES = ("SimpleStatementLine", "If", "For", "While", "With", "Try", "FunctionDef", "ClassDef")
_TYPES: Dict[str, Any] = {}


def _skip_types() -> Any:
    types = _TYPES.get("skip")
    if types is None:
        types = {getattr(cst, name) for name in _SKIP_NAMES}
        for base in _SKIPPED_BASES:
            types.update(getattr(cst, base).__subclasses__())
        _TYPES["skip"] = types = frozenset(types)
    return types


def _statement_types() -> Tuple[type, ...]:
    types = _TYPES.get("statement")
    if types is None:
        types = _TYPES["statement"] = tuple(getattr(cst, name) for name in _STATEMENT_NAMES)
    return types


_FIELDS: Dict[type, Tuple[str, ...]] = {}


def _fields(cls: type) -> Tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = tuple(
            f.name
            for f in dataclasses.fields(cls)
            if not f.name.startswith("whitespace") and f.name not in ("lpar", "rpar", "leading_lines")
        )
        _FIELDS[cls] = names
    return names


#: What a field value's class is to the walk: 0 a node to skip (tokens, operators),
#: 1 a node to visit, 2 a sequence of values, 3 anything else. ``isinstance`` against
#: ``CSTNode`` (an ABC) is several times slower than one dict look-up per value.
_KIND: Dict[type, int] = {}
#: Node class -> is it a statement (the same trade for ``isinstance`` against ABCs).
_IS_STATEMENT: Dict[type, bool] = {}


def _kind(cls: type) -> int:
    if issubclass(cls, cst.CSTNode):
        kind = 0 if cls in _skip_types() else 1
    elif issubclass(cls, (tuple, list)):
        kind = 2
    else:
        kind = 3
    _KIND[cls] = kind
    return kind


def children(node: cst.CSTNode) -> List[cst.CSTNode]:
    out: List[cst.CSTNode] = []
    kinds = _KIND
    for name in _fields(type(node)):
        value = getattr(node, name)
        cls = value.__class__
        kind = kinds.get(cls)
        if kind is None:
            kind = _kind(cls)
        if kind == 1:
            out.append(value)
        elif kind == 2:
            for item in value:
                icls = item.__class__
                ikind = kinds.get(icls)
                if ikind is None:
                    ikind = _kind(icls)
                if ikind == 1:
                    out.append(item)
    return out


def descendants(node: cst.CSTNode, *, into_scopes: bool = True) -> Iterator[cst.CSTNode]:
    """Every node below ``node``, pre-order in source order (for rules that look around
    a node). ``into_scopes=False`` does not enter nested ``def`` / ``class`` / ``lambda``
    bodies: their code runs at another time."""
    stack: List[cst.CSTNode] = list(reversed(children(node)))
    while stack:
        current = stack.pop()
        yield current
        if not into_scopes and isinstance(current, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        stack.extend(reversed(children(current)))


class Walker:
    """Dispatches ``visit_<Node>`` / ``leave_<Node>`` of many rules in one pass.

    A ``visit_*`` hook that returns ``False`` skips the node's children *for that rule*
    (LibCST's convention); the other rules still see them. The walker also keeps the
    context stack (``ctx.stack``) and tells the facts layer (``ctx.names``) which statement
    it is in and which lambda parameters and comprehension targets are in scope."""

    def __init__(self, ctx: FileContext, rules: Sequence[Rule]) -> None:
        from fftlint.facts.cst import COUNTED  # imported with the first CST walk

        self._counted = COUNTED
        self.ctx = ctx
        self.failures: Dict[str, str] = {}
        self.visits: Dict[str, List[Callable[[cst.CSTNode], Any]]] = {}
        self.leaves: Dict[str, List[Callable[[cst.CSTNode], Any]]] = {}
        for rule in rules:
            for attr in dir(type(rule)):
                if attr.startswith("visit_"):
                    self.visits.setdefault(attr[6:], []).append(getattr(rule, attr))
                elif attr.startswith("leave_"):
                    self.leaves.setdefault(attr[6:], []).append(getattr(rule, attr))
        #: rules that asked to skip the children of a node: rule -> that node
        self._muted: Dict[Rule, cst.CSTNode] = {}
        self._special: Dict[str, Callable[[cst.CSTNode], None]] = {
            "FunctionDef": self._function,
            "Lambda": self._lambda,
            "ClassDef": self._class,
            "For": self._for,
            "While": self._while,
            "With": self._with,
            "ListComp": self._comprehension,
            "SetComp": self._comprehension,
            "GeneratorExp": self._comprehension,
            "DictComp": self._comprehension,
        }

    def run(self, module: cst.Module) -> None:
        self.ctx.stack.push("module", module)
        self.walk(module)
        self.ctx.stack.pop()

    def walk(self, node: cst.CSTNode) -> None:
        cls = type(node)
        kind = cls.__name__
        counted = cls in self._counted
        names = self.ctx.names
        if counted:
            names.enter_statement(node)
        hooks = self.visits.get(kind)
        if hooks:
            self._call(hooks, node, visit=True)
        is_statement = _IS_STATEMENT.get(cls)
        if is_statement is None:
            is_statement = _IS_STATEMENT[cls] = issubclass(cls, _statement_types())
        if is_statement:
            self.ctx.statements.append(node)
        special = self._special.get(kind)
        if special is not None:
            special(node)
        else:
            for child in children(node):
                self.walk(child)
        if is_statement:
            self.ctx.statements.pop()
        hooks = self.leaves.get(kind)
        if hooks:
            self._call(hooks, node, visit=False)
        if self._muted:
            for rule in [r for r, n in self._muted.items() if n is node]:
                del self._muted[rule]
        if counted:
            names.leave_statement()

    def _call(self, hooks: List[Callable[[cst.CSTNode], Any]], node: cst.CSTNode, visit: bool) -> None:
        muted = self._muted
        for hook in hooks:
            rule = hook.__self__  # type: ignore[attr-defined]
            if muted and rule in muted and not (not visit and muted[rule] is node):
                continue
            try:
                result = hook(node)
            except RecursionError:
                raise
            except Exception as exc:  # noqa: BLE001 - a rule bug must not stop the others
                self._disable(rule, exc)
                continue
            if visit and result is False:
                muted[rule] = node

    def _disable(self, rule: Rule, exc: Exception) -> None:
        self.failures[rule.code] = f"{type(exc).__name__}: {exc}"
        for table in (self.visits, self.leaves):
            for kind, hooks in list(table.items()):
                table[kind] = [h for h in hooks if h.__self__ is not rule]  # type: ignore[attr-defined]

    def _walk_all(self, nodes: Sequence[cst.CSTNode]) -> None:
        for node in nodes:
            if node is not None and isinstance(node, cst.CSTNode):
                self.walk(node)

    # -- scopes and frames ----------------------------------------------------
    def _params_outer(self, params: cst.Parameters) -> None:
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            if param.default is not None:
                self.walk(param.default)
            if param.annotation is not None:
                self.walk(param.annotation)

    def _function(self, node: cst.FunctionDef) -> None:
        self._walk_all(node.decorators)
        self._params_outer(node.params)
        if node.returns is not None:
            self.walk(node.returns)
        self.ctx.stack.push("async def" if node.asynchronous is not None else "def", node)
        self.walk(node.body)
        self.ctx.stack.pop()

    def _lambda(self, node: cst.Lambda) -> None:
        self._params_outer(node.params)
        self.ctx.stack.push("lambda", node)
        self.ctx.names.push_lambda(node)
        self.walk(node.body)
        self.ctx.names.pop_overlay()
        self.ctx.stack.pop()

    def _class(self, node: cst.ClassDef) -> None:
        self._walk_all(node.decorators)
        self._walk_all([arg.value for arg in (*node.bases, *node.keywords)])
        self.ctx.stack.push("class", node)
        self.walk(node.body)
        self.ctx.stack.pop()

    def _for(self, node: cst.For) -> None:
        self.walk(node.iter)
        self.ctx.stack.push("async loop" if node.asynchronous is not None else "loop", node)
        self.walk(node.target)
        self.walk(node.body)
        self.ctx.stack.pop()
        if node.orelse is not None:
            self.walk(node.orelse)

    def _while(self, node: cst.While) -> None:
        self.ctx.stack.push("loop", node)
        self.walk(node.test)
        self.walk(node.body)
        self.ctx.stack.pop()
        if node.orelse is not None:
            self.walk(node.orelse)

    def _with(self, node: cst.With) -> None:
        for item in node.items:
            self.walk(item.item)
            if item.asname is not None:
                self.walk(item.asname.name)
        self.ctx.stack.push("async with" if node.asynchronous is not None else "with", node)
        self.walk(node.body)
        self.ctx.stack.pop()

    def _comprehension(self, node: cst.BaseComp) -> None:
        names = self.ctx.names
        comp_for = node.for_in
        self.walk(comp_for.iter)  # the first iterable is evaluated outside
        self.ctx.stack.push("comprehension", node)
        names.push_comprehension()
        first = True
        current = comp_for
        while current is not None:
            if not first:
                self.walk(current.iter)
            names.bind_comprehension_target(current.target, current.iter, first)
            first = False
            self.walk(current.target)
            self._walk_all(list(current.ifs))
            current = current.inner_for_in
        if isinstance(node, cst.DictComp):
            self.walk(node.key)
            self.walk(node.value)
        else:
            self.walk(node.elt)
        names.pop_overlay()
        self.ctx.stack.pop()


def replaced(root: cst.CSTNode, old: cst.CSTNode, new: cst.CSTNode, via: Sequence[cst.CSTNode] = ()) -> cst.CSTNode:
    """``root`` with its descendant ``old`` replaced by ``new``: what LibCST's
    ``root.deep_replace(old, new)`` gives, but only the ancestors of ``old`` are copied
    (``deep_replace`` re-creates every node of the tree, a large share of a whole-module
    fix's cost). ``via``: nodes believed to lie on the path from ``root`` to ``old``,
    outermost first (the walker's statement stack, ``ctx.statements``); each bounds one
    search, and one that is not on the path is skipped. ``ValueError`` when ``old`` is not
    below ``root``."""
    if old is root:
        return new
    path: List[cst.CSTNode] = [root]
    for target in [*(n for n in via if n is not root and n is not old), old]:
        below = _path_below(path[-1], target)
        if below is None:
            if target is old:  # a hint off the path led the search astray: search it all
                below = _path_below(root, old)
                if below is None:
                    raise ValueError("the node to replace is not below the root")
                path = [root]
            else:
                continue
        path.extend(below)
    node = new
    for parent, child in zip(reversed(path[:-1]), reversed(path[1:])):
        node = _with_child(parent, child, node)
    return node


def parent_map(top: cst.CSTNode, until: Optional[cst.CSTNode] = None) -> Dict[int, cst.CSTNode]:
    """id(child) -> parent for every node below ``top`` (nested scopes included); with
    ``until``, the search stops once that node is reached (its ancestors are then in)."""
    parents: Dict[int, cst.CSTNode] = {}
    stack = [top]
    while stack:
        current = stack.pop()
        for child in children(current):
            parents[id(child)] = current
            if child is until:
                return parents
            stack.append(child)
    return parents


def _path_below(top: cst.CSTNode, target: cst.CSTNode) -> Any:
    """The nodes from a child of ``top`` down to ``target`` (a depth-first search), or None."""
    parents = parent_map(top, until=target)
    if id(target) not in parents:
        return None
    out = [target]
    while out[-1] is not top:
        out.append(parents[id(out[-1])])
    out.pop()
    return out[::-1]


def _with_child(parent: cst.CSTNode, child: cst.CSTNode, new: cst.CSTNode) -> cst.CSTNode:
    for name in _fields(type(parent)):
        value = getattr(parent, name)
        if value is child:
            return parent.with_changes(**{name: new})
        if isinstance(value, (tuple, list)) and any(item is child for item in value):
            items = [new if item is child else item for item in value]
            return parent.with_changes(**{name: type(value)(items)})
    raise ValueError("not a child of its parent")  # pragma: no cover - paths come from children()
