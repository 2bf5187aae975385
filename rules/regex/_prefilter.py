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
        self.calls = self._candidate_calls()

    # -- which calls -------------------------------------------------------------
    def spec(self, call: ast.Call) -> Optional[Tuple[int, int, str, bool]]:
        """(pattern index, flags index, mode, is compile) when ``call`` may be a regex call."""
        func = call.func
        if isinstance(func, ast.Name):
            spec = self.function_aliases.get(func.id)
            if spec is None:
                if func.id in self.view.opaque_names(project=False):
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
                if func.value.id in self.view.opaque_names(project=False):
                    return self._resolved_spec(func)
            if func.attr in _DJANGO_CALLS and (root.id in self.import_bound or root.id == "django"):
                spec = _DJANGO_CALLS[func.attr]
                return spec[0], spec[1], spec[2], False
        return None

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
            spec = self.spec(call)
            if spec is None:
                continue
            pi, fi, mode, is_compile = spec
            if is_compile and id(call) in chained:
                mode = chained[id(call)]  # ``re.compile(P).match(s)``: the method's mode
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
    """FFT404: a regex call whose pattern is not a literal, inside some loop."""
    if not _may_call_regex(view):
        return False
    facts = _facts(view)
    dynamic = set()
    for call, pi, fi, _mode in facts.calls:
        keywords = {k.arg: k.value for k in call.keywords}
        positional = [a for a in call.args if not isinstance(a, ast.Starred)]
        pattern = positional[pi] if len(positional) > pi else keywords.get("pattern", keywords.get("regex"))
        if pattern is not None and not (isinstance(pattern, ast.Constant) and isinstance(pattern.value, (str, bytes))):
            dynamic.add(id(call))
    if not dynamic:
        return False
    for loop in view.nodes(*LOOPS):
        for node in ast.walk(loop):
            if id(node) in dynamic:
                return True
    return False
