"""The ``ast`` pre-checks of the FFT4xx rules (see :mod:`fftlint.engine.prefilter`).

FFT401-403 report a regex call whose pattern and flags are static and whose analysis
finds backtracking. The pre-check finds the same calls on the ``ast`` (over-approximating
how names resolve), evaluates every static value the pattern and flags could have, and
runs the same cached analysis the rules run, so a file reaches LibCST only when some
pattern in it is vulnerable. FFT404 needs a regex call with a non-literal pattern
inside a loop.

Over-approximation rules, so a False is always safe:

* a call is a candidate when its callee *could* resolve to ``re.*``/``regex.*`` or a
  Django regex API (import aliases anywhere in the file, unbound ``re``/``regex``);
* a name's possible values are the values of every plain assignment to that name
  anywhere in the file (the rules' resolver picks one of them, or none);
* whatever cannot be enumerated cheaply (too many combinations, an imported name used
  as flags) makes the check answer True.
"""

from __future__ import annotations

import ast
import bisect
import itertools
import re
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Set, Tuple, Union

from fftlint.engine.prefilter import LOOPS

from ._common import _FLAG_VALUES, _FUNCS, REGEX_CALLS, cached_analysis

_REGEX_MODULES = ("re", "regex")
_DJANGO_CALLS = {"re_path": (0, -1, "search"), "url": (0, -1, "search"), "RegexValidator": (0, 3, "search")}
_DJANGO_MODULES = ("django.urls", "django.conf.urls", "django.urls.conf", "django.core.validators")
_MAX_VALUES = 32  # more combinations than this: give up (answer True)
_MAX_DEPTH = 8  # the rules' own recursion bound


class _Unknown(Exception):
    """A value the pre-check cannot enumerate: the answer must be True."""


Value = Union[str, bytes]


#: the spec of a call through a name that may be any regex function: the pattern first
#: (every ``re`` function), the flags wherever some ``re`` function has them (``ANY_FLAGS``),
#: matched in the mode that reports the most
ANY_FLAGS = -2
_ANY_REGEX_CALL = (0, ANY_FLAGS, "search", False)


class _Facts:
    """What the FFT4 pre-checks derive once per file (shared through ``view.memo``)."""

    def __init__(self, view: Any) -> None:
        self.view = view
        self.module_aliases: Set[str] = set(_REGEX_MODULES)  # names that may be re / regex
        self.function_aliases: Dict[str, Tuple[int, int, str]] = {}  # `from re import search as s`
        self.import_bound: Set[str] = set()
        for node in view.nodes(ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".", 1)[0]
                self.import_bound.add(local)
                if alias.name in _REGEX_MODULES and alias.asname:
                    self.module_aliases.add(alias.asname)
        for node in view.nodes(ast.ImportFrom):
            module = node.module or ""
            for alias in node.names:
                local = alias.asname or alias.name
                self.import_bound.add(local)
                if node.level == 0 and module in _REGEX_MODULES and alias.name in _FUNCS:
                    self.function_aliases[local] = _FUNCS[alias.name]
                elif (node.level or module in _DJANGO_MODULES) and alias.name in _DJANGO_CALLS:
                    # (relative: Django's own package, ``from .conf import re_path``)
                    self.function_aliases[local] = _DJANGO_CALLS[alias.name]
        self._assigned: Optional[Dict[str, List[ast.AST]]] = None
        self._loop_lines: Optional[Tuple[List[int], List[int]]] = None
        self.compiles: Set[int] = set()  # ids of the calls that are ``re.compile`` / ``regex.compile``
        self.calls = self._candidate_calls()

    # -- which calls -------------------------------------------------------------
    def spec(self, call: ast.Call) -> Optional[Tuple[int, int, str, bool]]:
        """(pattern index, flags index, mode, is compile) when ``call`` may be a regex call."""
        func = call.func
        if isinstance(func, ast.Name):
            spec = self.function_aliases.get(func.id)
            if spec is None:
                if func.id in self.view.opaque_names(project=False) and self._worth_resolving(call):
                    return self._resolved_spec(func)  # assigned in the file: ask the facts layer
                return None
            return spec[0], spec[1], spec[2], spec is _FUNCS["compile"]
        if isinstance(func, ast.Attribute):
            root = func.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if not isinstance(root, ast.Name):
                return None
            if func.attr in _FUNCS and isinstance(func.value, ast.Name):
                if func.value.id in self.module_aliases:
                    spec = _FUNCS[func.attr]
                    return spec[0], spec[1], spec[2], func.attr == "compile"
                if func.value.id in self.view.opaque_names(project=False) and self._worth_resolving(call):
                    return self._resolved_spec(func)
            if func.attr in _DJANGO_CALLS and (root.id in self.import_bound or root.id == "django"):
                spec = _DJANGO_CALLS[func.attr]
                return spec[0], spec[1], spec[2], False
        return None

    def _worth_resolving(self, call: ast.Call) -> bool:
        """Whether asking the facts layer what a callee holds could matter: the pattern
        (first, as for every regex function) may have a static value (FFT401-403), or is
        not a literal and the call may stand in a loop (FFT404, by lines: a superset)."""
        pattern = next((a for a in call.args if not isinstance(a, ast.Starred)), None)
        if pattern is None:
            pattern = next((k.value for k in call.keywords if k.arg in ("pattern", "regex")), None)
        if pattern is None:
            return False
        if not (isinstance(pattern, ast.Constant) and isinstance(pattern.value, (str, bytes))) and self._on_loop_lines(call):
            return True
        try:
            return bool(self.patterns(pattern))
        except _Unknown:
            return True

    def _on_loop_lines(self, node: ast.AST) -> bool:
        if self._loop_lines is None:
            spans = sorted((n.lineno, getattr(n, "end_lineno", None) or 1 << 30) for n in self.view.nodes(*LOOPS))  # type: ignore[attr-defined]
            merged: List[List[int]] = []
            for start, end in spans:
                if merged and start <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], end)
                else:
                    merged.append([start, end])
            self._loop_lines = ([m[0] for m in merged], [m[1] for m in merged])
        starts, ends = self._loop_lines
        i = bisect.bisect_right(starts, node.lineno) - 1  # type: ignore[attr-defined]
        return i >= 0 and ends[i] >= (getattr(node, "end_lineno", None) or node.lineno)  # type: ignore[attr-defined]

    def _resolved_spec(self, func: ast.AST) -> Optional[Tuple[int, int, str, bool]]:
        """The spec of a callee the file binds by assignment (``search = re.search``), from
        what the facts layer says it holds there -- the same file-only values the rules'
        ``resolve_local`` reads; any regex function when that cannot be told."""
        values = self.view.values_at(func, project=False)
        if values is None:
            return _ANY_REGEX_CALL
        found = {v.rstrip("()") for v in values if isinstance(v, str) and v.rstrip("()") in REGEX_CALLS}
        if not found:
            return None
        if len(found) > 1:
            return _ANY_REGEX_CALL
        name = found.pop()
        pi, fi, mode = REGEX_CALLS[name]
        return pi, fi, mode, name.endswith(".compile")

    def _candidate_calls(self) -> List[Tuple[ast.Call, int, int, str]]:
        calls = self.view.nodes(ast.Call)
        chained: Dict[int, str] = {}
        out: List[Tuple[ast.Call, int, int, str]] = []
        for call in calls:
            func = call.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call) and func.attr in _FUNCS:
                chained[id(func.value)] = _FUNCS[func.attr][2]
        for call in calls:
            if not _has_pattern_argument(call):
                continue  # every regex call takes its pattern first: none here, no finding
            spec = self.spec(call)
            if spec is None:
                continue
            pi, fi, mode, is_compile = spec
            if is_compile and id(call) in chained:
                mode = chained[id(call)]  # ``re.compile(P).match(s)``: the method's mode
            if is_compile:
                self.compiles.add(id(call))
            out.append((call, pi, fi, mode))
        return out

    # -- static values -------------------------------------------------------------
    def assigned(self, name: str) -> List[ast.AST]:
        if self._assigned is None:
            table: Dict[str, List[ast.AST]] = {}
            for node in self.view.nodes(ast.Assign):
                if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    table.setdefault(node.targets[0].id, []).append(node.value)
            for node in self.view.nodes(ast.AnnAssign):
                if node.value is not None and isinstance(node.target, ast.Name):
                    table.setdefault(node.target.id, []).append(node.value)
            self._assigned = table
        return self._assigned.get(name, [])

    def patterns(self, node: ast.AST, depth: int = 0) -> FrozenSet[Value]:
        """Every static value ``node`` may have (empty: never static)."""
        if depth > _MAX_DEPTH:
            return frozenset()
        if isinstance(node, ast.Constant):
            return frozenset((node.value,)) if isinstance(node.value, (str, bytes)) else frozenset()
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = self.patterns(node.left, depth + 1)
            right = self.patterns(node.right, depth + 1)
            if len(left) * len(right) > _MAX_VALUES:
                raise _Unknown
            return frozenset(a + b for a, b in itertools.product(left, right) if type(a) is type(b))  # type: ignore[operator]
        if isinstance(node, ast.Name):
            out: Set[Value] = set()
            for value in self.assigned(node.id):
                out |= self.patterns(value, depth + 1)
                if len(out) > _MAX_VALUES:
                    raise _Unknown
            return frozenset(out)
        return frozenset()

    def any_flags(self, call: ast.Call) -> FrozenSet[int]:
        """Flags a call through an unknown regex function may pass: none, or any static
        value in a position (or keyword) some ``re`` function takes them in."""
        out: Set[int] = {0}
        keywords = {k.arg: k.value for k in call.keywords}
        candidates = [call.args[i] for i in (1, 2, 3, 4) if len(call.args) > i] + ([keywords["flags"]] if "flags" in keywords else [])
        for node in candidates:
            try:
                out |= self.flags(node)
            except _Unknown:
                continue
        return frozenset(out)

    def flags(self, node: Optional[ast.AST], depth: int = 0) -> FrozenSet[int]:
        """Every static value flags ``node`` may have (empty: never static)."""
        if node is None:
            return frozenset((0,))
        if depth > _MAX_DEPTH:
            return frozenset()
        if isinstance(node, ast.Constant):
            return frozenset((node.value,)) if type(node.value) is int else frozenset()
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitOr, ast.Add)):
            left = self.flags(node.left, depth + 1)
            right = self.flags(node.right, depth + 1)
            if len(left) * len(right) > _MAX_VALUES:
                raise _Unknown
            return frozenset(a | b for a in left for b in right)
        if isinstance(node, ast.Attribute):
            return frozenset((_FLAG_VALUES[node.attr],)) if node.attr in _FLAG_VALUES else frozenset()
        if isinstance(node, ast.Name):
            out: Set[int] = set()
            if node.id in _FLAG_VALUES:
                out.add(_FLAG_VALUES[node.id])
            elif node.id in self.import_bound:
                raise _Unknown  # ``from re import IGNORECASE as IC``
            for value in self.assigned(node.id):
                out |= self.flags(value, depth + 1)
            if len(out) > _MAX_VALUES:
                raise _Unknown
            return frozenset(out)
        return frozenset()

    # -- arguments -------------------------------------------------------------------
    @staticmethod
    def arguments(call: ast.Call, pi: int, fi: int) -> Optional[Tuple[ast.AST, Optional[ast.AST]]]:
        """(pattern, flags) as the rules' ``call_args`` picks them; None when it gives up."""
        if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
            return None
        keywords = {k.arg: k.value for k in call.keywords}
        pattern = call.args[pi] if len(call.args) > pi else keywords.get("pattern", keywords.get("regex"))
        if pattern is None:
            return None
        flags = None
        if fi >= 0 and len(call.args) > fi:
            flags = call.args[fi]
        elif "flags" in keywords:
            flags = keywords["flags"]
        return pattern, flags

    # -- results -----------------------------------------------------------------------
    def kinds(self) -> Optional[FrozenSet[Tuple[str, str]]]:
        """(complexity, cause) of every analysis a static call in the file may get;
        None when some value could not be enumerated."""
        out: Set[Tuple[str, str]] = set()
        try:
            for call, pi, fi, mode in self.calls:
                args = self.arguments(call, pi, fi)
                if args is None:
                    continue
                patterns = self.patterns(args[0])
                if not patterns:
                    continue
                flag_values = self.any_flags(call) if fi == ANY_FLAGS else self.flags(args[1])
                for pattern, flags in itertools.product(patterns, flag_values):
                    report = cached_analysis(pattern, flags, mode)
                    if report is not None:
                        out.add((report.complexity, report.cause))
        except _Unknown:
            return None
        return frozenset(out)


def _has_pattern_argument(call: ast.Call) -> bool:
    """A pattern the rules could pick: a plain positional argument (every regex function
    takes the pattern first) or a ``pattern=`` / ``regex=`` keyword."""
    return any(not isinstance(a, ast.Starred) for a in call.args) or any(k.arg in ("pattern", "regex") for k in call.keywords)


def _facts(view: Any) -> _Facts:
    return view.memo("fft4", _Facts)


#: Text every candidate call needs: the ``re`` / ``regex`` module named somewhere (an
#: import, an alias's source, an unbound use), or a Django regex API (``url`` only from
#: Django or, inside Django itself, a relative import).
_SPELLED = re.compile(r"\b(?:re|regex)\b|re_path|RegexValidator")
_RELATIVE_IMPORT = re.compile(r"\bfrom\s*\.")


def _may_call_regex(view: Any) -> bool:
    """A text-only bail-out before the shared node walk."""

    def compute(v: Any) -> bool:
        text = v.text
        return bool(_SPELLED.search(text)) or ("url" in text and ("django" in text or _RELATIVE_IMPORT.search(text) is not None))

    return view.memo("fft4_text", compute)


def analysis_could_report(view: Any, complexity: str, causes: Iterable[str] = ()) -> bool:
    """FFT401-403: some static regex call of the file may analyse to ``complexity``
    (with one of ``causes``, when given)."""
    if not _may_call_regex(view):
        return False
    facts = _facts(view)
    if not facts.calls:
        return False
    kinds = view.memo("fft4_kinds", lambda v: facts.kinds())
    if kinds is None:
        return True
    wanted = set(causes)
    return any(c == complexity and (not wanted or cause in wanted) for c, cause in kinds)


def dynamic_call_in_loop(view: Any) -> bool:
    """FFT404: a regex call inside a loop whose pattern is not a literal and may be
    built from a name the loop rebinds (see :func:`_may_report_in_loop`)."""
    if not _may_call_regex(view):
        return False
    facts = _facts(view)
    dynamic: Dict[int, Tuple[ast.Call, ast.AST]] = {}
    for call, pi, fi, _mode in facts.calls:
        keywords = {k.arg: k.value for k in call.keywords}
        positional = [a for a in call.args if not isinstance(a, ast.Starred)]
        pattern = positional[pi] if len(positional) > pi else keywords.get("pattern", keywords.get("regex"))
        if pattern is not None and not (isinstance(pattern, ast.Constant) and isinstance(pattern.value, (str, bytes))):
            dynamic[id(call)] = (call, pattern)
    if not dynamic or not view.has(*LOOPS):
        return False
    loops_of = _enclosing_loops(view, dynamic)
    if not loops_of:
        return False
    silent = _kept_or_dropped(view, facts) if facts.compiles.intersection(loops_of) else set()
    bindings: Dict[int, Dict[str, list]] = {}
    for key, loops in loops_of.items():
        call, pattern = dynamic[key]
        if key in silent:
            continue
        bound: Dict[str, list] = {}
        for loop in loops:
            if id(loop) not in bindings:
                bindings[id(loop)] = _loop_bindings(loop)
            for name, values in bindings[id(loop)].items():
                bound.setdefault(name, []).extend(values)
        if _may_report_in_loop(pattern, bound):
            return True
    return False


# -- FFT404 on the ``ast``: the rule's own tests, over-approximated ------------------------
#
# The rule reports a pattern that uses a name some enclosing loop (inside the innermost
# function) rebinds, unless the pattern is that loop's element taken as it is
# (``_taken_whole``), or the call is a ``compile`` whose result is kept or dropped. Each
# step below says True (may report) whenever the rule might: more loops than the rule
# sees (a loop's iterable and ``else`` count as inside), more names, fewer "kept".

#: a ``for`` / comprehension target: the name takes each element in turn
_ELEMENT = "element"
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def _span(node: ast.AST) -> Tuple[Tuple[int, int], Tuple[int, int]]:
    return (node.lineno, node.col_offset), (getattr(node, "end_lineno", None) or 1 << 30, getattr(node, "end_col_offset", None) or 0)  # type: ignore[attr-defined]


def _enclosing_loops(view: Any, wanted: Dict[int, Tuple[ast.Call, ast.AST]]) -> Dict[int, Tuple[ast.AST, ...]]:
    """id(call) -> the loops around it inside its innermost function, lambda or class
    body (as the rules' ``ctx.stack.loops``), for the wanted calls that have some. Spans
    of ``ast`` nodes nest, so containment tells: a loop counts unless the innermost body
    around the call starts after it (decorators, defaults and bases lie outside a body
    and see the enclosing loops, as in the rules' walk)."""
    loops = [(_span(n), n) for n in view.nodes(*LOOPS)]
    bodies = []
    for n in view.nodes(*_SCOPES):
        body = n.body if isinstance(n.body, list) else [n.body]  # type: ignore[attr-defined]
        bodies.append((_span(body[0])[0], _span(body[-1])[1]))
    out: Dict[int, Tuple[ast.AST, ...]] = {}
    for key, (call, _pattern) in wanted.items():
        start, end = _span(call)
        barrier = max((b[0] for b in bodies if b[0] <= start and end <= b[1]), default=(0, 0))
        around = [(span, n) for span, n in loops if barrier <= span[0] <= start and end <= span[1]]
        if around:
            around.sort(key=lambda item: item[0][0])
            out[key] = tuple(n for _span_, n in around)
    return out


def _names(target: ast.AST) -> List[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for el in target.elts for n in _names(el)]
    if isinstance(target, ast.Starred):
        return _names(target.value)
    return []


def _loop_bindings(loop: ast.AST) -> Dict[str, list]:
    """What a loop binds each name to, as the rule's ``_bindings_in``: ``_ELEMENT`` for
    its targets, the value of a plain assignment, None for anything else (``+=``, a
    walrus, ``as``). Nested functions and lambdas are not entered (nor by the rule)."""
    out: Dict[str, list] = {}

    def add(names: Iterable[str], value: Any) -> None:
        for name in names:
            out.setdefault(name, []).append(value)

    stack = [loop]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            add(_names(node.target), _ELEMENT)
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                add(_names(t), node.value)
        elif isinstance(node, ast.AnnAssign):
            add(_names(node.target), node.value)
        elif isinstance(node, ast.AugAssign):
            add(_names(node.target), None)
        elif isinstance(node, ast.NamedExpr):
            add(_names(node.target), None)
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            add(_names(node.optional_vars), None)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            add((node.name,), None)
        elif isinstance(node, ast.alias) and node.asname:
            add((node.asname,), None)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) and node is not loop:
            continue
        else:
            for field in ("name", "rest"):  # match patterns (more names: more reports)
                value = getattr(node, field, None)
                if isinstance(value, str) and type(node).__name__.startswith("Match"):
                    add((value,), None)
        stack.extend(ast.iter_child_nodes(node))
    return out


def _used(expr: ast.AST) -> Set[str]:
    return {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)}


#: constants LibCST spells as an Integer, Float, string or a Name (True, None)
_ACCESS_CONSTANTS = (str, bytes, int, float, bool, type(None))


def _access(expr: Any) -> bool:
    """``name``, ``a.b``, ``a[k]``, ``a[0].b`` (the rule's ``_access``); a tuple index is
    never one here (LibCST may see ``a[i, j]`` as two indices)."""
    if isinstance(expr, ast.Name):
        return True
    if isinstance(expr, ast.Attribute):
        return _access(expr.value)
    if isinstance(expr, ast.Subscript):
        index = expr.slice
        constant = isinstance(index, ast.Constant) and type(index.value) in _ACCESS_CONSTANTS
        return _access(expr.value) and (constant or _access(index))
    return False


def _may_report_in_loop(pattern: ast.AST, bound: Dict[str, list]) -> bool:
    """The rule's test, from the bindings of every enclosing loop: the pattern uses a
    name the loops rebind, and is not an element of a collection the loop walks taken
    as it is (or a name the loops assign only such elements to)."""
    changing = set(bound)
    if not _used(pattern) & changing:
        return False

    def whole(expr: Any, depth: int) -> bool:
        if depth > 4 or not _access(expr):
            return False
        for name in _used(expr) & changing:
            for value in bound.get(name, [None]):
                if value is not _ELEMENT and not whole(value, depth + 1):
                    return False
        return True

    return not whole(pattern, 0)


def _kept_or_dropped(view: Any, facts: _Facts) -> Set[int]:
    """ids of the ``compile`` calls the rule leaves alone wherever they stand: held by a
    comprehension's element, a value stored in an item or attribute, yielded or
    returned (``_kept``), or a statement of its own (``_dropped``)."""
    regex_calls = {id(c) for c, _pi, _fi, _m in facts.calls}
    out: Set[int] = set()

    def maybe_regex(call: ast.Call) -> bool:
        # the rule stops at a regex call; stop wherever it may see one (an import the
        # project resolves, a name spelled like a regex function)
        func = call.func
        last = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        imported = isinstance(func, ast.Name) and func.id in facts.import_bound
        return id(call) in regex_calls or imported or last in _FUNCS or last in _DJANGO_CALLS

    def keep(expr: Optional[ast.AST]) -> None:
        stack = [expr] if expr is not None else []
        while stack:
            current = stack.pop()
            out.add(id(current))
            if isinstance(current, (ast.Tuple, ast.List, ast.Set)):
                stack.extend(current.elts)
            elif isinstance(current, ast.Dict):
                stack.extend(k for k in current.keys if k is not None)
                stack.extend(current.values)
            elif isinstance(current, ast.Call) and not maybe_regex(current):
                stack.extend(a.value if isinstance(a, ast.Starred) else a for a in current.args)
                stack.extend(k.value for k in current.keywords)

    for node in view.nodes(ast.ListComp, ast.SetComp, ast.GeneratorExp):
        keep(node.elt)
    for node in view.nodes(ast.DictComp):
        keep(node.key)
        keep(node.value)
    for node in view.nodes(ast.Assign):
        if any(isinstance(t, (ast.Subscript, ast.Attribute)) for t in node.targets):
            keep(node.value)
    for node in view.nodes(ast.Yield, ast.Return):
        keep(node.value)
    dropped = {id(node.value) for node in view.nodes(ast.Expr)}
    return (out | dropped) & facts.compiles
