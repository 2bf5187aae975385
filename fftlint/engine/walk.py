"""One read-only traversal of a LibCST module that feeds every selected rule.

LibCST's own ``visit`` rebuilds each node it passes (``_visit_and_replace_children``);
a linter only reads, so this walker iterates dataclass fields directly. It also owns the
context stack and the scope chain that rules query, so rules need no metadata for them.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Dict, Iterator, List, Sequence, Tuple

import libcst as cst

from fftlint.analysis.names import method_self_param
from fftlint.rule import FileContext, Rule

# Tokens and trivia that never contain expressions: not walked.
_SKIP_TYPES = {
    cst.SimpleWhitespace,
    cst.ParenthesizedWhitespace,
    cst.TrailingWhitespace,
    cst.EmptyLine,
    cst.Newline,
    cst.Comment,
    cst.LeftParen,
    cst.RightParen,
    cst.LeftSquareBracket,
    cst.RightSquareBracket,
    cst.LeftCurlyBrace,
    cst.RightCurlyBrace,
    cst.Comma,
    cst.Dot,
    cst.Semicolon,
    cst.Colon,
    cst.AssignEqual,
    cst.ImportStar,
}
for _base in (cst.BaseBinaryOp, cst.BaseBooleanOp, cst.BaseCompOp, cst.BaseUnaryOp, cst.BaseAugOp):
    _SKIP_TYPES.update(_base.__subclasses__())

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
        kind = 0 if cls in _SKIP_TYPES else 1
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


_STATEMENT_TYPES = (
    cst.SimpleStatementLine,
    cst.If,
    cst.For,
    cst.While,
    cst.With,
    cst.Try,
    cst.FunctionDef,
    cst.ClassDef,
)


class Walker:
    """Dispatches ``visit_<Node>`` / ``leave_<Node>`` of many rules in one pass."""

    def __init__(self, ctx: FileContext, rules: Sequence[Rule]) -> None:
        self.ctx = ctx
        self.failures: Dict[str, str] = {}
        self.visits: Dict[str, List[Callable[[cst.CSTNode], None]]] = {}
        self.leaves: Dict[str, List[Callable[[cst.CSTNode], None]]] = {}
        for rule in rules:
            for attr in dir(type(rule)):
                if attr.startswith("visit_"):
                    self.visits.setdefault(attr[6:], []).append(getattr(rule, attr))
                elif attr.startswith("leave_"):
                    self.leaves.setdefault(attr[6:], []).append(getattr(rule, attr))
        # (canonical class name, attribute markers) of the module-level class being walked
        self._classes: List[Tuple[str, Dict[str, str]]] = []
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
            "Import": self._import,
            "ImportFrom": self._import,
            "Assign": self._assign,
            "AnnAssign": self._annassign,
            "NamedExpr": self._namedexpr,
            "Global": self._global,
            "Nonlocal": self._global,
            "ExceptHandler": self._except,
        }

    def run(self, module: cst.Module) -> None:
        self.ctx.names.prebind_module(module)
        self.ctx.stack.push("module", module)
        self.walk(module)
        self.ctx.stack.pop()

    def walk(self, node: cst.CSTNode) -> None:
        kind = type(node).__name__
        hooks = self.visits.get(kind)
        if hooks:
            self._call(hooks, node)
        cls = type(node)
        is_statement = _IS_STATEMENT.get(cls)
        if is_statement is None:
            is_statement = _IS_STATEMENT[cls] = issubclass(cls, _STATEMENT_TYPES)
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
            self._call(hooks, node)

    def _call(self, hooks: List[Callable[[cst.CSTNode], None]], node: cst.CSTNode) -> None:
        for hook in hooks:
            try:
                hook(node)
            except RecursionError:
                raise
            except Exception as exc:  # noqa: BLE001 - a rule bug must not stop the others
                self._disable(hook.__self__, exc)  # type: ignore[attr-defined]

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
    def _bind_params(self, params: cst.Parameters) -> None:
        names = self.ctx.names
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            value = names.annotation_instance(param.annotation.annotation) if param.annotation else ""
            names.bind(param.name.value, value)
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                names.bind(star.name.value)

    def _params_outer(self, params: cst.Parameters) -> None:
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            if param.default is not None:
                self.walk(param.default)
            if param.annotation is not None:
                self.walk(param.annotation)

    def _function(self, node: cst.FunctionDef) -> None:
        names = self.ctx.names
        self._walk_all(node.decorators)
        self._params_outer(node.params)
        if node.returns is not None:
            self.walk(node.returns)
        if len(names.stack) == 1:
            names.bind(node.name.value, names.qualify(node.name.value))
        else:
            names.bind(node.name.value)
        method_of = self._classes[-1] if self._classes and names.stack[-1].kind == "class" else None
        self.ctx.stack.push("async def" if node.asynchronous is not None else "def", node)
        names.push("function")
        self._bind_params(node.params)
        if method_of is not None and method_of[0]:
            param = method_self_param(node)
            if param is not None:
                names.set_self(param, method_of[0], method_of[1])
        self.walk(node.body)
        names.pop()
        self.ctx.stack.pop()

    def _lambda(self, node: cst.Lambda) -> None:
        self._params_outer(node.params)
        self.ctx.stack.push("lambda", node)
        self.ctx.names.push("lambda")
        self._bind_params(node.params)
        self.walk(node.body)
        self.ctx.names.pop()
        self.ctx.stack.pop()

    def _class(self, node: cst.ClassDef) -> None:
        names = self.ctx.names
        self._walk_all(node.decorators)
        self._walk_all([arg.value for arg in (*node.bases, *node.keywords)])
        top_level = len(names.stack) == 1
        qualified = names.qualify(node.name.value) if top_level else ""
        self._classes.append((qualified, names.class_attributes(node) if top_level else {}))
        self.ctx.stack.push("class", node)
        names.push("class")
        self.walk(node.body)
        names.pop()
        self.ctx.stack.pop()
        self._classes.pop()
        if len(names.stack) == 1:
            names.bind(node.name.value, names.qualify(node.name.value))
        else:
            names.bind(node.name.value)

    def _for(self, node: cst.For) -> None:
        self.walk(node.iter)
        self.ctx.stack.push("async loop" if node.asynchronous is not None else "loop", node)
        self.ctx.names.bind_target(node.target)
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
        names = self.ctx.names
        for item in node.items:
            self.walk(item.item)
            if item.asname is not None:
                names.bind_target(item.asname.name, names.instance_of(item.item))
                self.walk(item.asname.name)
        self.ctx.stack.push("async with" if node.asynchronous is not None else "with", node)
        self.walk(node.body)
        self.ctx.stack.pop()

    def _comprehension(self, node: cst.BaseComp) -> None:
        comp_for = node.for_in
        self.walk(comp_for.iter)  # the first iterable is evaluated outside
        self.ctx.stack.push("comprehension", node)
        self.ctx.names.push("comprehension")
        first = True
        current = comp_for
        while current is not None:
            if not first:
                self.walk(current.iter)
            first = False
            self.ctx.names.bind_target(current.target)
            self.walk(current.target)
            self._walk_all(list(current.ifs))
            current = current.inner_for_in
        if isinstance(node, cst.DictComp):
            self.walk(node.key)
            self.walk(node.value)
        else:
            self.walk(node.elt)
        self.ctx.names.pop()
        self.ctx.stack.pop()

    def _import(self, node: cst.CSTNode) -> None:
        self.ctx.names.bind_import(node)
        for child in children(node):
            self.walk(child)

    def _assign(self, node: cst.Assign) -> None:
        self.walk(node.value)
        value = self.ctx.names.instance_of(node.value)
        for target in node.targets:
            self.walk(target.target)
            self.ctx.names.bind_target(target.target, value)

    def _annassign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self.walk(node.value)
        self.walk(node.annotation)
        self.walk(node.target)
        names = self.ctx.names
        value = names.instance_of(node.value) if node.value is not None else ""
        names.bind_target(node.target, value or names.annotation_instance(node.annotation.annotation))

    def _namedexpr(self, node: cst.NamedExpr) -> None:
        self.walk(node.value)
        self.walk(node.target)
        self.ctx.names.bind_target(node.target, self.ctx.names.instance_of(node.value))

    def _global(self, node: cst.CSTNode) -> None:
        scope = self.ctx.names.stack[-1]
        for item in node.names:
            scope.globals.add(item.name.value)

    def _except(self, node: cst.ExceptHandler) -> None:
        if node.type is not None:
            self.walk(node.type)
        if node.name is not None and isinstance(node.name.name, cst.Name):
            self.ctx.names.bind(node.name.name.value)
        self.walk(node.body)
