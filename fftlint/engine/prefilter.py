"""The two-stage pre-filter that keeps files away from LibCST.

Stage 1, ``Rule.requires``: strings (or compiled patterns) one of which must occur in
the file's text. Stage 2, an optional classmethod ``Rule.could_match(view)`` that looks
at the file's stdlib ``ast`` (~13x cheaper to build than a LibCST tree) through an
:class:`AstView`. Neither stage may change an answer: a rule is dropped for a file only
when it cannot report there. ``tests/test_prefilter_equivalence.py`` checks that over
the whole stdlib, every rule example and every fixture.
"""

from __future__ import annotations

import ast
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Sequence, Tuple, Type

from fftlint.rule import Rule

#: Diagnostics the engine itself produces (syntax, internal, unused-suppression, read and
#: fix-write errors): their rules have nothing to walk, so they must never force a parse.
ENGINE_ONLY = frozenset(("FFT001", "FFT002", "FFT003", "FFT004", "FFT005"))

#: Node types whose body runs once per pass: every loop and comprehension (rules that
#: ignore ``while`` loops, such as the N+1 ones, use their own tuple).
LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def walked(rules: Sequence[Type[Rule]]) -> List[Type[Rule]]:
    """The rules that need the walk (everything but the engine's own diagnostics)."""
    return [r for r in rules if r.code not in ENGINE_ONLY]


def _occurs(needle: Any, text: str) -> bool:
    # a plain substring, or a compiled pattern (``re.compile(...)``) searched in the text
    return needle in text if isinstance(needle, str) else needle.search(text) is not None


def applicable(rules: Sequence[Type[Rule]], text: str) -> List[Type[Rule]]:
    """Stage 1: walked rules whose required strings (or compiled patterns) occur in the
    file. Rules of a family share their strings: each is looked for once per file."""
    found: Dict[Any, bool] = {}

    def occurs(needle: Any) -> bool:
        key = needle if isinstance(needle, str) else id(needle)
        hit = found.get(key)
        if hit is None:
            hit = found[key] = _occurs(needle, text)
        return hit

    return [r for r in walked(rules) if not r.requires or any(occurs(s) for s in r.requires)]


class AstView:
    """One file as the ``ast`` stage sees it: the tree and text, the run's rule options
    and project index, and node lists by type from one shared walk (made on first use).
    ``memo`` lets the rules of a family share a fact they all derive."""

    __slots__ = ("tree", "text", "path", "project", "module", "is_package", "_options", "_by_type", "_memo", "_facts")

    def __init__(
        self,
        tree: ast.Module,
        text: str,
        path: str = "",
        options: Optional[Dict[Any, Any]] = None,
        project: Any = None,
        module: str = "",
        is_package: bool = False,
    ) -> None:
        self.tree = tree
        self.text = text
        self.path = path
        self.project = project
        self.module = module
        self.is_package = is_package
        self._options = options or {}
        self._by_type: Optional[Dict[type, List[ast.AST]]] = None
        self._memo: Dict[str, Any] = {}
        self._facts: Any = None

    @property
    def facts(self) -> Any:
        """The file's binding map (:class:`fftlint.facts.bindings.ModuleFacts`), made on
        first use, lent to the project as this module's (so values that lead back into
        the file resolve without another parse) and handed on to the LibCST stage."""
        if self._facts is None:
            from fftlint.facts.bindings import ModuleFacts
            from fftlint.facts.project import call_hooks, value_hooks

            project = self.project
            providers = project.providers if project is not None and hasattr(project, "providers") else ()
            self._facts = ModuleFacts(
                self.tree, self.module, self.is_package, self.path, call_hooks=call_hooks(providers), text=self.text, value_hooks=value_hooks(providers)
            )
            if project is not None and hasattr(project, "overlay_file"):
                project.overlay_file(self.module, self.path, self._facts)
        return self._facts

    def imported(self, local: str) -> Any:
        """What imports anywhere in the file bind ``local`` to (canonical names)."""
        table = self.memo("imports", _import_table)
        return table.get(local, frozenset())

    def opaque_names(self, project: bool = True) -> FrozenSet[str]:
        """Names the facts layer may resolve to something a look at this file's imports
        cannot tell: assigned anywhere in the file (``search = re.search``,
        ``log = get_logger()``) and, with ``project``, imported from a module of the
        project (``from .signals import order_paid``, a Signal made there). A pre-check
        that reads only the text and the imports must let calls through such names."""
        found = self.memo("opaque-names", _opaque_names)
        return found[0] | found[1] if project else found[1]

    def values_at(self, expr: ast.AST, project: bool = True) -> Optional[FrozenSet[Any]]:
        """What the facts layer says ``expr`` may be where it stands (at the statement that
        contains it), as the rules' ``ctx.names`` sees it: resolved through the project
        (``resolve``), or with ``project=False`` from the file alone (``resolve_local``).
        None when that cannot be told here -- a name bound by a comprehension or a lambda
        (the rules see it through an overlay), no project: a pre-check must then let the
        expression through."""
        root = expr
        while isinstance(root, (ast.Attribute, ast.Call, ast.Subscript)):
            root = root.func if isinstance(root, ast.Call) else root.value
        if isinstance(root, ast.Name) and _inner_bound(self, root):
            return None
        resolver = self.project if project else None
        if project and (resolver is None or not hasattr(resolver, "resolve")):
            return None
        ordinal = _statement_at(self, expr)
        if ordinal < 0:
            return None
        values = self.facts.values(expr, ordinal)
        return resolver.resolve(values) if resolver is not None else values

    def statement_at(self, node: ast.AST) -> int:
        """The ordinal of the innermost statement that holds ``node``, in the numbering of
        the file's binding map (``facts.values(expr, ordinal)``); -1 when none does."""
        return _statement_at(self, node)

    def options_for(self, rule: Type[Rule]) -> Any:
        return self._options.get(rule)

    def nodes(self, *types: type) -> List[ast.AST]:
        """Every node of exactly these types, in no particular order."""
        by_type = self._by_type
        if by_type is None:
            by_type = self._by_type = _bucket(self.tree)
        if len(types) == 1:
            return by_type.get(types[0], [])
        out: List[ast.AST] = []
        for t in types:
            out.extend(by_type.get(t, ()))
        return out

    def has(self, *types: type) -> bool:
        return any(self.nodes(t) for t in types)

    def memo(self, key: str, compute: Callable[["AstView"], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = compute(self)
        return self._memo[key]


def _inner_bound(view: AstView, name: ast.Name) -> bool:
    """``name`` stands inside a comprehension, lambda or walrus scope that binds it."""
    scopes = view.memo("inner-scopes", _inner_scopes)
    names = scopes.get(name.id)
    if not names:
        return False
    pos = (name.lineno, name.col_offset)
    return any(start <= pos < end for start, end in names)


def _inner_scopes(view: AstView) -> Dict[str, List[Tuple[Tuple[int, int], Tuple[int, int]]]]:
    """name -> spans of the comprehensions and lambdas that bind it (a walrus binds in
    the enclosing function: the whole file, to stay safe)."""
    out: Dict[str, List[Tuple[Tuple[int, int], Tuple[int, int]]]] = {}

    def add(name: str, node: ast.AST) -> None:
        end = (getattr(node, "end_lineno", None) or 1 << 30, getattr(node, "end_col_offset", None) or 0)
        out.setdefault(name, []).append(((node.lineno, node.col_offset), end))  # type: ignore[attr-defined]

    for kind in (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp):
        for comp in view.nodes(kind):
            for gen in comp.generators:  # type: ignore[attr-defined]
                for n in ast.walk(gen.target):
                    if isinstance(n, ast.Name):
                        add(n.id, comp)
    for fn in view.nodes(ast.Lambda):
        args = fn.args  # type: ignore[attr-defined]
        for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
            if a is not None:
                add(a.arg, fn)
    for n in view.nodes(ast.NamedExpr):
        if isinstance(n.target, ast.Name):  # type: ignore[attr-defined]
            out.setdefault(n.target.id, []).append(((0, 0), (1 << 30, 0)))  # type: ignore[attr-defined]
    return out


def _statement_at(view: AstView, node: ast.AST) -> int:
    """The ordinal of the innermost statement (in the binding map's pre-order numbering)
    whose text contains ``node``; -1 when none does."""
    import bisect

    starts, ends = view.memo("statement-spans", lambda v: _statement_spans(v.facts.statements))
    pos = (node.lineno, node.col_offset)  # type: ignore[attr-defined]
    i = bisect.bisect_right(starts, pos) - 1
    while i >= 0:
        if ends[i] > pos:
            return i
        i -= 1
    return -1


def _statement_spans(statements: Sequence[Any]) -> Tuple[List[Tuple[int, int]], List[Tuple[int, int]]]:
    starts: List[Tuple[int, int]] = []
    ends: List[Tuple[int, int]] = []
    for stmt in statements:
        line, col = stmt.lineno, stmt.col_offset
        for deco in getattr(stmt, "decorator_list", ()):
            if (deco.lineno, deco.col_offset) < (line, col):
                line, col = deco.lineno, deco.col_offset - 1  # the ``@``
        starts.append((line, col))
        ends.append((getattr(stmt, "end_lineno", None) or 1 << 30, getattr(stmt, "end_col_offset", None) or 0))
    return starts, ends


def _bucket(tree: ast.AST) -> Dict[type, List[ast.AST]]:
    by_type: Dict[type, List[ast.AST]] = {}
    get = by_type.get
    stack = [tree]
    pop, push = stack.pop, stack.extend
    fields_of: Dict[type, Tuple[str, ...]] = {}
    while stack:
        node = pop()
        cls = type(node)
        bucket = get(cls)
        if bucket is None:
            bucket = by_type[cls] = []
        bucket.append(node)
        names = fields_of.get(cls)
        if names is None:
            names = fields_of[cls] = cls._fields
        for name in names:
            value = getattr(node, name, None)
            if value is None:
                continue
            if isinstance(value, list):
                push([v for v in value if isinstance(v, ast.AST)])
            elif isinstance(value, ast.AST):
                stack.append(value)
    return by_type


def _import_table(view: AstView) -> Dict[str, Any]:
    from fftlint.facts import imports as import_map

    table: Dict[str, set] = {}
    for node in view.nodes(ast.Import, ast.ImportFrom):
        for local, target, _full in import_map.bindings(node, view.module, view.is_package):
            table.setdefault(local, set()).add(target)
    return {k: frozenset(v) for k, v in table.items()}


def _opaque_names(view: AstView) -> Tuple[FrozenSet[str], FrozenSet[str]]:
    from fftlint.facts import imports as import_map

    project = view.project
    source = getattr(project, "source", None)
    tops = set(getattr(source, "tops", ()) or ())
    if view.module:
        tops.add(view.module.split(".", 1)[0])
    imported: set = set()
    for node in view.nodes(ast.Import, ast.ImportFrom):
        relative = isinstance(node, ast.ImportFrom) and bool(node.level)
        for local, target, _full in import_map.bindings(node, view.module, view.is_package):
            if relative or target.split(".", 1)[0] in tops:
                imported.add(local)
    assigned = {node.id for node in view.nodes(ast.Name) if type(node.ctx) is ast.Store}  # type: ignore[attr-defined]
    return frozenset(imported), frozenset(assigned)


def overrides_could_match(rule: Type[Rule]) -> bool:
    return getattr(rule.could_match, "__func__", None) is not getattr(Rule.could_match, "__func__", None)


def parse_ast(text: str, path: str) -> Optional[ast.Module]:
    from fftlint.engine import asts

    try:
        return asts.parse(text, path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def narrowed(
    selected: Sequence[Type[Rule]],
    text: str,
    path: str,
    options: Optional[Dict[Any, Any]] = None,
    project: Any = None,
    module: str = "",
    is_package: bool = False,
) -> Tuple[List[Type[Rule]], Optional[AstView]]:
    """Stage 2, for rules whose strings matched: ``Rule.could_match(view)`` says whether
    the rule could report in this file. Like ``requires`` it must never change the
    answer: False only when no finding is possible. Returns the remaining rules and the
    view (None when no rule has a check, or ``ast`` rejects the file)."""
    if not any(overrides_could_match(r) for r in selected):
        return list(selected), None
    facts_for = getattr(project, "facts_for", None)
    made = facts_for(module, text) if facts_for is not None else None  # parsed for a summary
    tree = made.tree if made is not None else parse_ast(text, path)
    if tree is None:
        return list(selected), None  # LibCST decides, and reports the error
    view = AstView(tree, text, path, options, project, module, is_package)
    if made is not None:
        view._facts = made
    out: List[Type[Rule]] = []
    for rule in selected:
        if overrides_could_match(rule):
            try:
                if not rule.could_match(view):
                    continue
            except Exception:  # noqa: BLE001 - a broken pre-check must not hide findings
                pass
        out.append(rule)
    return out, view
