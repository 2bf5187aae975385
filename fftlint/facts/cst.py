"""The facts layer as LibCST rules see it: ``ctx.names`` answers for CST expressions.

The engine's walker counts statements exactly as :class:`~fftlint.facts.bindings.ModuleFacts`
numbers them (small statements one by one, in source order) and tells :class:`Names` which
statement it is in, and which lambda parameters and comprehension targets are in scope.
A rule asks

* :meth:`Names.resolve` -- the canonical dotted name an expression denotes
  (``"requests.Session().get"``, ``"pathlib.Path().exists"``), or None when it is unknown or
  several different things;
* :meth:`Names.values` -- every value it may be (unions, collections, awaitables);

and both are resolved through the project (a call of a project function is what that
function returns; ``self.client`` is what the class assigns to it). A CST expression is
converted to an ``ast`` expression (names, attributes, calls, subscripts, literals,
displays, comprehensions; anything else is unknown) and evaluated by the same code that
builds the project summaries, so a helper in another module and the code being linted are
judged alike.

When the running Python cannot parse the file with ``ast`` (syntax newer than the
interpreter), there are no facts: every name is unknown and rules stay silent.
"""

from __future__ import annotations

import ast
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Tuple

import libcst as cst

from fftlint.facts.bindings import ModuleFacts, unpack
from fftlint.facts.values import UNKNOWN_VALUES, Values, single

_PLACEHOLDER = ast.Lambda  # evaluates to "unknown"

#: LibCST statement class -> the ``ast`` class names it may correspond to (sync check)
_AST_KIND: Dict[type, Tuple[str, ...]] = {}
for _cls in cst.BaseSmallStatement.__subclasses__():
    _AST_KIND[_cls] = ({"Del": "Delete"}.get(_cls.__name__, _cls.__name__),)
for _cls in cst.BaseCompoundStatement.__subclasses__():
    name = _cls.__name__
    _AST_KIND[_cls] = {
        "For": ("For", "AsyncFor"),
        "With": ("With", "AsyncWith"),
        "FunctionDef": ("FunctionDef", "AsyncFunctionDef"),
    }.get(name, (name,))
COUNTED = frozenset(_AST_KIND)

_BINOPS = {cst.Divide: ast.Div, cst.Add: ast.Add, cst.Modulo: ast.Mod, cst.Multiply: ast.Mult}
_CONSTANT_NAMES = {"None": None, "True": True, "False": False}


def _placeholder() -> ast.AST:
    # a node the facts layer knows nothing of; built whole (a bare ``ast.Lambda()`` is
    # deprecated since Python 3.13 and an error from 3.15)
    empty = ast.arguments(posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
    return ast.Lambda(args=empty, body=ast.Constant(value=None))


class Names:
    """Name resolution for one file's LibCST walk (see the module docstring)."""

    def __init__(self, facts: Optional[ModuleFacts], module_name: str, is_package: bool, project: Any = None) -> None:
        self.facts = facts
        self.current_module = module_name
        self.is_package = is_package
        self.project = project
        self.ordinal = -1
        self.desynced = facts is None
        self._ordinals: List[int] = []
        self._next = 0
        self._overlays: List[Dict[str, Callable[[], Values]]] = []
        self._converted: Dict[int, ast.AST] = {}
        self._memo: Dict[Tuple[int, int, int], Values] = {}

    # -- the walker's side ------------------------------------------------------------
    def enter_statement(self, node: cst.CSTNode) -> None:
        ordinal = self._next
        self._next += 1
        self._ordinals.append(ordinal)
        self.ordinal = ordinal
        facts = self.facts
        if facts is not None and not self.desynced:
            kinds = _AST_KIND.get(type(node), ())
            if facts.statement_kind(ordinal) not in kinds:
                self.desynced = True  # the trees disagree: know nothing rather than something wrong

    def leave_statement(self) -> None:
        self._ordinals.pop()
        self.ordinal = self._ordinals[-1] if self._ordinals else -1

    def push_lambda(self, node: cst.Lambda) -> None:
        params = node.params
        names: Dict[str, Callable[[], Values]] = {}
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            names[param.name.value] = lambda: UNKNOWN_VALUES
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                names[star.name.value] = lambda: UNKNOWN_VALUES
        self._overlays.append(names)

    def push_comprehension(self) -> None:
        self._overlays.append({})

    def bind_comprehension_target(self, target: cst.BaseExpression, iterable: cst.BaseExpression, first: bool) -> None:
        """``for target in iterable`` of the comprehension being walked: its names hold
        the iterable's items (computed when somebody asks). The first iterable is
        evaluated outside the comprehension; later ones see the earlier targets."""
        overlay = self._overlays[-1]
        ordinal = self.ordinal
        depth = len(self._overlays) - 1 if first else len(self._overlays)
        cache: Dict[str, Values] = {}
        busy: List[bool] = []

        def compute() -> Dict[str, Values]:
            if not cache and not busy:
                busy.append(True)  # ``for y in y``: the target is unknown inside its own iterable
                try:
                    items = self._items(iterable, ordinal, depth)
                    for name, values in unpack(self._to_ast(target), items, self.facts):
                        cache[name] = values
                finally:
                    busy.clear()
            return cache

        for name in _target_names(target):
            overlay[name] = lambda name=name: compute().get(name, UNKNOWN_VALUES)  # type: ignore[misc]
        self._memo.clear()

    def pop_overlay(self) -> None:
        self._overlays.pop()
        self._memo.clear()

    # -- the rules' side --------------------------------------------------------------
    def values(self, node: cst.BaseExpression) -> Values:
        """Every value ``node`` may be, resolved through the project."""
        if self.desynced or self.facts is None:
            return UNKNOWN_VALUES
        key = (id(node), self.ordinal, len(self._overlays))
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._values(node, self.ordinal, len(self._overlays))
        return found

    def _values(self, node: cst.BaseExpression, ordinal: int, depth: int) -> Values:
        local = self._local(node, ordinal, depth)
        return self.project.resolve(local) if self.project is not None else local

    def _local(self, node: cst.BaseExpression, ordinal: int, depth: int) -> Values:
        assert self.facts is not None
        return self.facts._eval(self._to_ast(node), self._look(ordinal, depth))

    def resolve_local(self, node: cst.BaseExpression) -> Optional[str]:
        """Like :meth:`resolve`, from this file alone: imports, assignments and
        annotations of the file, no values of other modules. For rule families whose
        text pre-filters can only see the file (a regex function aliased in another
        module is not followed)."""
        if self.desynced or self.facts is None or not isinstance(node, (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Await)):
            return None
        return single(self._local(node, self.ordinal, len(self._overlays)))

    def local_values(self, node: cst.BaseExpression) -> Values:
        """Every value ``node`` may be from this file alone (symbolic where another module
        decides: ``pkg.svc.make()``), as the file's summary records it."""
        if self.desynced or self.facts is None:
            return UNKNOWN_VALUES
        return self._local(node, self.ordinal, len(self._overlays))

    def _items(self, node: cst.BaseExpression, ordinal: int, depth: int) -> Values:
        if self.facts is None:
            return UNKNOWN_VALUES
        local = self.facts._eval(self._to_ast(node), self._look(ordinal, depth))
        items = self.facts.items(local)
        return self.project.resolve(items) if self.project is not None else items

    def _look(self, ordinal: int, depth: int) -> Callable[[str], Values]:
        facts = self.facts
        assert facts is not None
        overlays = self._overlays[:depth]
        scope = facts.scope_at(ordinal)

        def look(name: str) -> Values:
            for overlay in reversed(overlays):
                thunk = overlay.get(name)
                if thunk is not None:
                    return thunk()
            return facts._lookup(name, scope, ordinal)

        return look

    def resolve(self, node: cst.BaseExpression) -> Optional[str]:
        """The one canonical dotted name ``node`` denotes, or None (unknown, or a union of
        different things). ``None`` and unknown members of a union are ignored:
        ``path: Path | None`` resolves to ``pathlib.Path()``."""
        if not isinstance(node, (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Await)):
            return None
        return single(self.values(node))

    def lookup(self, name: str) -> Optional[str]:
        """What a bare name denotes here (the name itself when it is a builtin)."""
        return self.resolve(cst.Name(name))

    def self_class(self, name: str) -> Optional[str]:
        """Canonical name of the class when ``name`` is the ``self`` of one of its methods."""
        if self.facts is None or self.desynced:
            return None
        scope = self.facts.scope_at(self.ordinal)
        while scope is not None and scope.kind != "function":
            scope = scope.parent  # type: ignore[assignment]
        if scope is None or scope.self_param != name or scope.self_kind != "instance" or scope.cls is None:
            return None
        if any(name in overlay for overlay in self._overlays):
            return None
        return scope.cls.qualname

    def module_binding(self, name: str) -> Optional[str]:
        """What a module-level name denotes once the module has run (imports included)."""
        if self.facts is None or name not in self.facts.scopes[""].locals:
            return None
        return single(self.facts.global_values(name))

    def module_bindings(self) -> Dict[str, str]:
        """Every module-level name with the one canonical name it holds once the module
        has run ("" when it is unknown or several things)."""
        if self.facts is None:
            return {}
        found = self.__dict__.get("_module_bindings")
        if found is None:
            found = self.__dict__["_module_bindings"] = {name: single(values) or "" for name, values in self.facts.module_globals().items()}
        return found

    def module_roots(self) -> FrozenSet[str]:
        """Top-level names of everything module-level names are bound to (``PyQt5`` when
        the module imports from it)."""
        if self.facts is None:
            return frozenset()
        found = self.__dict__.get("_roots")
        if found is None:
            out = set()
            for values in self.facts.module_globals().values():
                for v in values:
                    if isinstance(v, str) and v not in ("?", "None"):
                        out.add(v.split(".", 1)[0].split("(", 1)[0])
            found = self.__dict__["_roots"] = frozenset(out)
        return found

    def star_modules(self) -> Tuple[str, ...]:
        return tuple(self.facts.star_imports) if self.facts is not None else ()

    def qualify(self, name: str) -> str:
        return f"{self.current_module}.{name}" if self.current_module else name

    # -- CST -> ast ---------------------------------------------------------------------
    def _to_ast(self, node: cst.CSTNode) -> ast.AST:
        found = self._converted.get(id(node))
        if found is None:
            found = self._converted[id(node)] = _convert(node)
        return found


def _target_names(target: cst.BaseExpression) -> List[str]:
    from fftlint.analysis.names import target_names

    return list(target_names(target))


def _convert(node: Any, depth: int = 0) -> ast.AST:
    if depth > 60:
        return _placeholder()
    c = lambda n: _convert(n, depth + 1)  # noqa: E731
    if isinstance(node, cst.Name):
        if node.value in _CONSTANT_NAMES:
            return ast.Constant(value=_CONSTANT_NAMES[node.value])
        return ast.Name(id=node.value, ctx=ast.Load())
    if isinstance(node, cst.Attribute):
        return ast.Attribute(value=c(node.value), attr=node.attr.value, ctx=ast.Load())
    if isinstance(node, cst.Call):
        args: List[ast.AST] = []
        keywords: List[ast.keyword] = []
        for arg in node.args:
            if arg.keyword is not None:
                keywords.append(ast.keyword(arg=arg.keyword.value, value=c(arg.value)))
            elif arg.star == "**":
                keywords.append(ast.keyword(arg=None, value=c(arg.value)))
            elif arg.star == "*":
                args.append(ast.Starred(value=c(arg.value), ctx=ast.Load()))
            else:
                args.append(c(arg.value))
        return ast.Call(func=c(node.func), args=args, keywords=keywords)
    if isinstance(node, cst.Subscript):
        elements = node.slice
        if len(elements) == 1:
            inner = elements[0].slice
            index = c(inner.value) if isinstance(inner, cst.Index) else ast.Slice()
        else:
            index = ast.Tuple(elts=[c(e.slice.value) if isinstance(e.slice, cst.Index) else ast.Slice() for e in elements], ctx=ast.Load())
        return ast.Subscript(value=c(node.value), slice=index, ctx=ast.Load())
    if isinstance(node, cst.Await):
        return ast.Await(value=c(node.expression))
    if isinstance(node, (cst.Integer, cst.Float, cst.Imaginary)):
        try:
            return ast.Constant(value=ast.literal_eval(node.value))
        except (ValueError, SyntaxError):
            return _placeholder()
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        try:
            value = node.evaluated_value
        except Exception:  # noqa: BLE001 - f-strings inside a concatenation
            value = None
        return ast.Constant(value=value) if isinstance(value, (str, bytes)) else ast.JoinedStr(values=[])
    if isinstance(node, cst.FormattedString):
        return ast.JoinedStr(values=[])
    if isinstance(node, (cst.Tuple, cst.List, cst.Set)):
        elts = [ast.Starred(value=c(e.value), ctx=ast.Load()) if isinstance(e, cst.StarredElement) else c(e.value) for e in node.elements]
        kind = {cst.Tuple: ast.Tuple, cst.List: ast.List, cst.Set: ast.Set}[type(node)]
        return kind(elts=elts, ctx=ast.Load()) if kind is not ast.Set else ast.Set(elts=elts)
    if isinstance(node, cst.BooleanOperation):
        op = ast.And() if isinstance(node.operator, cst.And) else ast.Or()
        return ast.BoolOp(op=op, values=[c(node.left), c(node.right)])
    if isinstance(node, cst.IfExp):
        return ast.IfExp(test=c(node.test), body=c(node.body), orelse=c(node.orelse))
    if isinstance(node, cst.BinaryOperation):
        op = _BINOPS.get(type(node.operator))
        if op is None:
            return _placeholder()
        return ast.BinOp(left=c(node.left), op=op(), right=c(node.right))
    if isinstance(node, cst.NamedExpr):
        target = node.target
        return ast.NamedExpr(target=ast.Name(id=target.value, ctx=ast.Store()) if isinstance(target, cst.Name) else _placeholder(), value=c(node.value))
    if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
        generators = []
        comp: Optional[cst.CompFor] = node.for_in
        while comp is not None:
            generators.append(
                ast.comprehension(target=_store(comp.target, depth + 1), iter=c(comp.iter), ifs=[c(i.test) for i in comp.ifs], is_async=int(comp.asynchronous is not None))
            )
            comp = comp.inner_for_in
        kind = {cst.ListComp: ast.ListComp, cst.SetComp: ast.SetComp, cst.GeneratorExp: ast.GeneratorExp}[type(node)]
        return kind(elt=c(node.elt), generators=generators)
    if isinstance(node, cst.Ellipsis):
        return ast.Constant(value=...)
    if isinstance(node, cst.StarredElement):
        return ast.Starred(value=c(node.value), ctx=ast.Load())
    return _placeholder()


def _store(node: Any, depth: int) -> ast.AST:
    if isinstance(node, cst.Name):
        return ast.Name(id=node.value, ctx=ast.Store())
    if isinstance(node, (cst.Tuple, cst.List)):
        elts = [_store(e.value, depth + 1) if not isinstance(e, cst.StarredElement) else ast.Starred(value=_store(e.value, depth + 1), ctx=ast.Store()) for e in node.elements]
        return ast.Tuple(elts=elts, ctx=ast.Store())
    return _placeholder()
