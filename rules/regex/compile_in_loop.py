"""FFT404: a regex built from changing data and compiled inside a loop."""

from __future__ import annotations

import ast

from typing import Callable, Dict, Iterator, Optional, Sequence, Set

import libcst as cst

from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.rule import Invalid, Rule

from ._common import REQUIRES, RegexCallMixin, _names, static_pattern
from ._prefilter import dynamic_call_in_loop


def _bound_in(node: cst.CSTNode) -> Set[str]:
    """Names a loop (re)binds on every iteration: its targets and assignments in it."""
    out: Set[str] = set()

    class V(cst.CSTVisitor):
        def visit_For(self, n: cst.For) -> None:
            out.update(_names(n.target))

        def visit_CompFor(self, n: cst.CompFor) -> None:
            out.update(_names(n.target))

        def visit_Assign(self, n: cst.Assign) -> None:
            for t in n.targets:
                out.update(_names(t.target))

        def visit_AnnAssign(self, n: cst.AnnAssign) -> None:
            out.update(_names(n.target))

        def visit_AugAssign(self, n: cst.AugAssign) -> None:
            out.update(_names(n.target))

        def visit_NamedExpr(self, n: cst.NamedExpr) -> None:
            out.update(_names(n.target))

        def visit_AsName(self, n: cst.AsName) -> None:
            out.update(_names(n.name))

        def visit_FunctionDef(self, n: cst.FunctionDef) -> bool:
            return False

        def visit_Lambda(self, n: cst.Lambda) -> bool:
            return False

    node.visit(V())
    return out


#: a binding by a ``for`` / comprehension target: the name takes each element in turn
_ELEMENT = "element"


def _bindings_in(node: cst.CSTNode) -> Dict[str, list]:
    """What a loop binds each name to: ``_ELEMENT`` for its targets, the value of a plain
    assignment (``x = expr``, ``a, b = expr``), ``None`` for anything else (``+=``, ``as``,
    a walrus)."""
    out: Dict[str, list] = {}

    def add(target: cst.CSTNode, value: object) -> None:
        for name in _names(target):
            out.setdefault(name, []).append(value)

    class V(cst.CSTVisitor):
        def visit_For(self, n: cst.For) -> None:
            add(n.target, _ELEMENT)

        def visit_CompFor(self, n: cst.CompFor) -> None:
            add(n.target, _ELEMENT)

        def visit_Assign(self, n: cst.Assign) -> None:
            for t in n.targets:
                add(t.target, n.value)

        def visit_AnnAssign(self, n: cst.AnnAssign) -> None:
            add(n.target, n.value)

        def visit_AugAssign(self, n: cst.AugAssign) -> None:
            add(n.target, None)

        def visit_NamedExpr(self, n: cst.NamedExpr) -> None:
            add(n.target, None)

        def visit_AsName(self, n: cst.AsName) -> None:
            add(n.name, None)

        def visit_FunctionDef(self, n: cst.FunctionDef) -> bool:
            return False

        def visit_Lambda(self, n: cst.Lambda) -> bool:
            return False

    node.visit(V())
    return out


def _access(expr: object) -> bool:
    """``name``, ``a.b``, ``a[k]``, ``a[0].b``: an object taken as it is, nothing built."""
    if isinstance(expr, cst.Name):
        return True
    if isinstance(expr, cst.Attribute):
        return _access(expr.value)
    if isinstance(expr, cst.Subscript):
        return _access(expr.value) and all(
            isinstance(s.slice, cst.Index) and (_access(s.slice.value) or isinstance(s.slice.value, (cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float))) for s in expr.slice
        )
    return False


#: At most this many constant patterns count as "a fixed, small set": far below the 512
#: compiled patterns ``re`` caches (since Python 3.7), which the rest of the program shares.
MAX_CACHED = 100

#: builtins that iterate their (constant) arguments and give constants back
_PASS_THROUGH = frozenset(("enumerate", "sorted", "reversed", "list", "tuple", "set", "frozenset", "zip"))
#: values (as the facts layer names them) of an already compiled pattern: passing one to
#: ``re.match`` & co compiles nothing
_COMPILED = frozenset(("re.compile()", "regex.compile()", "re.Pattern()", "typing.Pattern()", "regex.Pattern()"))
#: calls whose result *is* the compiled pattern or an object holding it (a URL route, a
#: validator): made once and kept, they are the advice, not a finding
_BUILDERS = frozenset(("django.urls.re_path", "django.conf.urls.url", "django.urls.conf.re_path", "django.core.validators.RegexValidator"))
#: methods that store their argument in the receiver (a compiled pattern kept for later)
KEEPERS = frozenset(("append", "add", "insert", "extend", "setdefault", "update", "appendleft"))
#: methods that change a collection in place: a name they are called on is not constant
_MUTATORS = frozenset((
    "append", "extend", "insert", "add", "update", "setdefault", "pop", "popitem",
    "remove", "discard", "clear", "__setitem__", "__delitem__",
))


def _is_literal(node: cst.BaseExpression) -> bool:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float)):
        return not (isinstance(node, cst.ConcatenatedString) and _has_fstring(node))
    if isinstance(node, cst.Name):
        return node.value in ("None", "True", "False")
    if isinstance(node, cst.Tuple):
        return all(_is_literal(el.value) for el in node.elements if not isinstance(el, cst.StarredElement))
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        return isinstance(node.expression, (cst.Integer, cst.Float))
    return False


def _has_fstring(node: cst.CSTNode) -> bool:
    return any(isinstance(sub, cst.FormattedString) for sub in _subtree(node))


def _subtree(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.children)


def _literal_elements(node: cst.BaseExpression) -> Optional[int]:
    """The number of entries of a display whose entries are all literals (a tuple,
    list, set or dict of strings, numbers and tuples of them); None otherwise."""
    if isinstance(node, (cst.Tuple, cst.List, cst.Set)):
        if all(not isinstance(el, cst.StarredElement) and _is_literal(el.value) for el in node.elements):
            return len(node.elements)
        return None
    if isinstance(node, cst.Dict):
        if all(isinstance(el, cst.DictElement) and _is_literal(el.key) and _is_literal(el.value) for el in node.elements):
            return len(node.elements)
    return None


def _held_by(expr: cst.BaseExpression, is_regex_call: Callable[[cst.Call], object]) -> Iterator[cst.BaseExpression]:
    """``expr`` and what it holds: the entries of a tuple, list, set or dict display and
    the arguments of a call that is not itself a regex call (``Route(re.compile(p), v)``)."""
    stack = [expr]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, (cst.Tuple, cst.List, cst.Set)):
            stack.extend(el.value for el in current.elements)
        elif isinstance(current, cst.Dict):
            for el in current.elements:
                if isinstance(el, cst.DictElement):
                    stack.extend((el.key, el.value))
                else:
                    stack.append(el.value)
        elif isinstance(current, cst.Call) and not is_regex_call(current):
            stack.extend(a.value for a in current.args)


def _holds_name(expr: cst.BaseExpression, names: Sequence[str], is_regex_call: Callable[[cst.Call], object]) -> bool:
    return any(isinstance(e, cst.Name) and e.value in names for e in _held_by(expr, is_regex_call))


def _mutated_names(module: cst.Module) -> Set[str]:
    out: Set[str] = set()

    def receiver(node: cst.BaseExpression) -> None:
        if isinstance(node, cst.Name):
            out.add(node.value)
        elif isinstance(node, cst.Attribute):
            out.add("." + node.attr.value)

    for sub in _subtree(module):
        if isinstance(sub, cst.Call) and isinstance(sub.func, cst.Attribute) and sub.func.attr.value in _MUTATORS:
            receiver(sub.func.value)
        elif isinstance(sub, (cst.Assign, cst.AugAssign, cst.AnnAssign, cst.Del)):
            targets = [t.target for t in sub.targets] if isinstance(sub, cst.Assign) else [sub.target]
            for t in targets:
                for el in _held_by(t, lambda c: True):
                    if isinstance(el, cst.Subscript):
                        receiver(el.value)
                    elif isinstance(el, cst.Attribute):
                        receiver(el)  # ``self.PATTERNS = ...`` outside the class body
                    elif isinstance(el, cst.Name) and isinstance(sub, cst.AugAssign):
                        out.add(el.value)
        elif isinstance(sub, cst.Global):
            out.update(n.name.value for n in sub.names)
    return out


def _mutated_names_ast(tree: ast.AST) -> Set[str]:
    """:func:`_mutated_names` on the stdlib ``ast`` of the same file (the facts layer's
    tree: a walk of it costs a fraction of a LibCST visit)."""
    out: Set[str] = set()

    def receiver(node: ast.AST) -> None:
        if isinstance(node, ast.Name):
            out.add(node.id)
        elif isinstance(node, ast.Attribute):
            out.add("." + node.attr)

    def elements(target: ast.AST) -> Iterator[ast.AST]:
        stack = [target]
        while stack:
            current = stack.pop()
            yield current
            if isinstance(current, (ast.Tuple, ast.List)):
                stack.extend(current.elts)
            elif isinstance(current, ast.Starred):
                stack.append(current.value)

    for sub in ast.walk(tree):
        if isinstance(sub, ast.Call):
            if isinstance(sub.func, ast.Attribute) and sub.func.attr in _MUTATORS:
                receiver(sub.func.value)
        elif isinstance(sub, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = sub.targets if isinstance(sub, (ast.Assign, ast.Delete)) else [sub.target]
            for t in targets:
                for el in elements(t):
                    if isinstance(el, ast.Subscript):
                        receiver(el.value)
                    elif isinstance(el, ast.Attribute):
                        receiver(el)  # ``self.PATTERNS = ...`` outside the class body
                    elif isinstance(el, ast.Name) and isinstance(sub, ast.AugAssign):
                        out.add(el.id)
        elif isinstance(sub, ast.Global):
            out.update(sub.names)
    return out


def _literal_targets(node: cst.CSTNode, constant: Callable[[cst.BaseExpression], bool]) -> Set[str]:
    """Targets of the loops ``node`` runs (a For or a comprehension) over a constant
    collection (``constant(iterable)``): they take finitely many literal values."""
    out: Set[str] = set()
    fors = [node] if isinstance(node, cst.For) else []
    comp = getattr(node, "for_in", None)
    while comp is not None:
        fors.append(comp)
        comp = comp.inner_for_in
    for f in fors:
        if constant(f.iter):
            out.update(_names(f.target))
    return out


def _used(expr: cst.CSTNode) -> Set[str]:
    out: Set[str] = set()

    class V(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            out.add(n.value)

        def visit_Attribute(self, n: cst.Attribute) -> bool:
            n.value.visit(self)
            return False

    expr.visit(V())
    return out


class RegexCompiledInLoop(RegexCallMixin, Rule):
    """## What it does
    Checks for `re.compile(...)` (and `re.search`, `re.sub`, ... with a pattern) inside
    a loop or comprehension, where the pattern is built from data that changes on each
    iteration (the loop variable, or something assigned in the loop).

    Not reported, because nothing is compiled again and again:
    * a constant pattern, or one built only from the variable of a loop over a fixed,
      small set of constants -- a tuple, list, set or dict display of at most 100
      literals, a name or class attribute bound once to one and never changed in place
      (`append`, `d[k] = ...`, `global`), or `enumerate` / `sorted` / `zip` /
      `.items()` of those: `re`'s cache (512 patterns) serves them;
    * compiling patterns to keep them, which is the advice: `[re.compile(p) for p in
      patterns]`, `out.append((re.compile(p), name))`, `table[k] = re.compile(p)`,
      `rx = re.compile(p)` that the same loop then stores, yields or returns; the same for
      the Django objects that hold a compiled pattern (`re_path(...)` /
      `RegexValidator(...)` added to a list of URL patterns);
    * a pattern that is already compiled: `re.match(rx, s)` over `rx` taken from a
      collection of `re.compile(...)` results (a set or list display, a comprehension,
      `append`ed in `__init__`, or annotated `re.Pattern`; as far as the facts layer
      follows values: a dict of lists of them filled through a local is not followed);
    * a pattern taken as it is from a collection the loop walks -- the loop variable,
      `pair[0]`, `rule.pattern`, `TABLE[kind]`, or a name the loop assigns only such
      elements to: a collection of patterns (configured, or compiled already) is compiled
      once per pattern and then served by `re`'s cache. Only a pattern *built* from the
      changing data (`+`, `%`, f-string, `.format`, `.replace`, a call) is reported.
      Missed on purpose: more than 512 distinct patterns walked over and over.
    * `re.compile(p)` as a statement of its own (its result dropped): it only checks
      that `p` is a valid pattern.

    Not followed: a pattern assigned in the loop from constants only (`pat = r"\\b" + w`)
    counts as changing.

    ## Why is this bad?
    Compiling a regular expression costs far more than matching a short string with
    it. With a new pattern on every iteration, the `re` cache (512 entries) cannot help,
    and a loop over many items spends most of its time in the regex compiler (and
    evicts the cached patterns the rest of the program uses).

    ## Example
    ```python
    import re

    def tagged(lines, tags):
        return [line for line in lines for tag in tags if re.search(r"\\b%s\\b" % tag, line)]
    ```

    ## Use instead
    Build one pattern outside the loop:
    ```python
    def tagged(lines, tags):
        rx = re.compile(r"\\b(?:%s)\\b" % "|".join(map(re.escape, tags)))
        return [line for line in lines if rx.search(line)]
    ```

    ## Fix safety
    No automatic fix.
    """

    code = "FFT404"
    contexts = PRODUCTION_ONLY  # the cost is per call of code that runs again and again
    name = "regex-compiled-in-loop"
    message = "regex built from changing data is compiled on every iteration (`{call}()` inside a loop)"
    severity = "warning"
    requires = REQUIRES

    @classmethod
    def could_match(cls, view) -> bool:  # type: ignore[no-untyped-def]
        return dynamic_call_in_loop(view)

    tags = ("performance",)

    VALID = [
        "import re\nfor s in items:\n    re.search(r'\\d+', s)\n",          # constant: cached
        "import re\nP = r'x'\nfor s in items:\n    re.compile(P + 'y').search(s)\n",
        "import re\ndef f(items, word):\n    pat = r'\\b' + word\n    for s in items:\n        re.search(pat, s)\n",
        "import re\nfor w in words:\n    pass\nre.compile(w)\n",
        "import re\ndef f(w):\n    return re.compile(w)\n",
        "import re\nRX = [re.compile(p) for p in PATTERNS]\n",
        "import re\nfor p in pats:\n    compiled.append(re.compile(p, re.I))\n",
        "import re\nfor sep in (',', ';', '|'):\n    parts = re.split(sep + r'\\s*', text)\n",
        # a loop over a fixed, small set of constant patterns: `re`'s cache serves them
        "import re\nPATTERNS = (r'\\d+', r'[a-z]+')\ndef f(s):\n    for p in PATTERNS:\n        re.search(p, s)\n",
        "import re\nSUBS = {r'\\s+': ' ', r'-+': '-'}\ndef clean(s):\n    for pat, rep in SUBS.items():\n        s = re.sub(pat, rep, s)\n    return s\n",
        "import re\nRULES = [(r'^a', 'A'), (r'^b', 'B')]\ndef kind(s):\n    for rx, name in RULES:\n        if re.match(rx, s):\n            return name\n",
        "import re\ndef f(s):\n    seps = [',', ';']\n    for i, sep in enumerate(seps):\n        re.split(sep + r'\\s*', s)\n",
        "import re\nWORDS = frozenset(('foo', 'bar'))\ndef f(s):\n    return [w for w in sorted(WORDS) if re.search(r'\\b%s\\b' % w, s)]\n",
        "import re\nclass Lexer:\n    TOKENS = {'num': r'\\d+', 'name': r'\\w+'}\n    def kinds(self, s):\n        for kind, pat in Lexer.TOKENS.items():\n            yield kind, re.match(pat, s)\n",
        # building the compiled patterns once is the advice, not a finding
        "import re\ndef build(pats):\n    out = []\n    for p in pats:\n        rx = re.compile(p)\n        out.append(rx)\n    return out\n",
        "import re\ndef build(rules):\n    return [(re.compile(p), repl) for p, repl in rules]\n",
        "import re\ndef build(rules):\n    out = []\n    for name, p in rules:\n        out.append((re.compile(p, re.I), name))\n    return out\n",
        "import re\ndef build(table):\n    compiled = {}\n    for name, p in table.items():\n        rx = re.compile(p)\n        compiled[name] = rx\n    return compiled\n",
        "import re\ndef patterns(raw):\n    for p in raw:\n        yield re.compile(p)\n",
        "import re\ndef first(raw):\n    for p in raw:\n        return re.compile(p)\n",
        "import re\nclass Router:\n    def __init__(self, routes):\n        self.routes = []\n        for path, view in routes:\n            self.routes.append(Route(re.compile(path), view))\n",
        # a collection of patterns, each taken as it is: compiled once, then `re`'s cache
        # serves it (or it is compiled already); nothing is built from data
        "import re\nfor w in words:\n    rx = re.compile(w)\n",
        # compiled only to validate it: the result is dropped
        "import re\ndef bad(values):\n    for v in values:\n        try:\n            re.compile('^' + v)\n        except re.error:\n            return v\n",
        "import regex\nfor k, v in pairs:\n    text = regex.sub(k, v, text)\n",
        "import re\ndef allowed(uri, urls):\n    for url in urls:\n        if re.match(url, uri):\n            return True\n",
        "import re\ndef roles(pairs, pvms):\n    for pair in pairs:\n        view_rx = pair[0]\n        for pvm in pvms:\n            re.match(view_rx, pvm.name)\n",
        "import re\ndef pii(kinds, s):\n    return [k for k in kinds if re.search(PII[k], s)]\n",
        "import re\ndef f(s):\n    for rule in self.rules:\n        re.search(rule.pattern, s)\n",
    ]
    INVALID = [
        Invalid("import re\nfor v in values:\n    re.compile('^' + v).search(s)\n"),
        Invalid("import re\nfor w in words:\n    rx = re.compile(r'\\b' + w)\n", line=3),
        Invalid("import re\ndef f(lines, tags):\n    return [l for l in lines for t in tags if re.search(r'\\b%s\\b' % t, l)]\n"),
        Invalid("import re\nwhile True:\n    p = input()\n    re.match(f'^{p}$', s)\n"),
        Invalid("import regex\nfor k, v in pairs:\n    text = regex.sub(k + r'\\b', v, text)\n"),
        # look-alikes of the cases above that still compile again and again
        Invalid("import re\nPATTERNS = ['a']\nPATTERNS.append(load())\ndef f(s):\n    for p in PATTERNS:\n        re.search(p + '$', s)\n", line=6),
        Invalid("import re\nPATTERNS = (a, b)\ndef f(s):\n    for p in PATTERNS:\n        re.search(p + '$', s)\n"),
        Invalid("import re\nHUGE = (%s)\ndef f(s):\n    for p in HUGE:\n        re.search('^' + p, s)\n" % ", ".join(repr("w%d" % i) for i in range(129))),
        Invalid("import re\nWORDS = ('a', 'b')\ndef f(lines, s):\n    for w in WORDS:\n        for line in lines:\n            re.search(w + line, s)\n"),
        Invalid("import re\ndef f(words, s):\n    for w in words:\n        rx = re.compile(w + '$')\n        rx.search(s)\n", line=4),
        Invalid("import re\ndef f(words, s):\n    found = []\n    for w in words:\n        rx = re.compile(w + '$')\n        found.append(rx.search(s))\n"),
        # an element assigned in the loop, then built on
        Invalid("import re\ndef f(rows, s):\n    for row in rows:\n        p = row[0]\n        p = p.replace('x', 'y')\n        re.match(p, s)\n", line=6),
    ]

    # ``[re.compile(p) for p in patterns]``, ``out.append((re.compile(p), name))``,
    # ``table[i] = re.compile(p)``, ``rx = re.compile(p); out.append(rx)``, ``yield``:
    # compiling each pattern once to keep it is the cure, not the disease.
    def _kept(self) -> Set[int]:
        return self.ctx.shared(("FFT404", "kept"), set)

    def _keep(self, expr: Optional[cst.BaseExpression]) -> None:
        if expr is not None:
            self._kept().update(id(e) for e in _held_by(expr, self.regex_call))

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._keep(node.elt)

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self._keep(node.elt)

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._keep(node.elt)

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self._keep(node.key)
        self._keep(node.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        if any(isinstance(t.target, (cst.Subscript, cst.Attribute)) for t in node.targets):
            self._keep(node.value)

    def visit_Yield(self, node: cst.Yield) -> None:
        if isinstance(node.value, cst.BaseExpression):
            self._keep(node.value)

    def visit_Return(self, node: cst.Return) -> None:
        self._keep(node.value)  # leaves the loop: runs once

    def visit_Call(self, node: cst.Call) -> None:
        if not self.ctx.stack.in_loop:
            return
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in KEEPERS:
            for arg in node.args:
                self._keep(arg.value)
            return
        hit = self.regex_call(node)
        if hit is None:
            return
        callee, (pi, _fi, _mode) = hit
        if (callee.endswith(".compile") or callee in _BUILDERS) and (id(node) in self._kept() or self._stored_later(node)):
            return
        if callee.endswith(".compile") and self._dropped(node):
            return  # compiled only to check the pattern: nothing to hoist
        positional = [a for a in node.args if a.keyword is None and not a.star]
        keywords = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
        pattern = positional[pi].value if len(positional) > pi else keywords.get("pattern", keywords.get("regex"))
        if pattern is None:
            return
        if static_pattern(pattern, self._resolver(), self.ctx.stack.function) is not None:
            return
        compiled = self.ctx.names.values(pattern)
        if compiled and compiled <= _COMPILED:
            return  # already a compiled pattern: nothing is compiled here
        changing: Set[str] = set()
        constant: Set[str] = set()
        for frame in self.ctx.stack.loops:
            changing |= self._loop_bound(frame.node)
            constant |= _literal_targets(frame.node, self._constant_iterable)
        # a loop over a fixed set of literals gives finitely many patterns: cached
        changing -= constant
        if _used(pattern) & changing and not self._taken_whole(pattern, changing):
            self.report(pattern, call=callee.rsplit(".", 1)[-1],
                        properties={"call": callee})

    # -- compiled once, kept for later -------------------------------------------
    def _dropped(self, node: cst.Call) -> bool:
        """``re.compile(p)`` as a statement of its own: the result is dropped, the call
        only checks that ``p`` is a valid pattern (``try: re.compile(p) except re.error``)."""
        stmt = self.ctx.statements[-1] if self.ctx.statements else None
        return isinstance(stmt, cst.SimpleStatementLine) and any(isinstance(s, cst.Expr) and s.value is node for s in stmt.body)

    def _stored_later(self, node: cst.Call) -> bool:
        """``rx = re.compile(p)`` whose name the same loop then keeps (appends it, stores
        it in a container or an attribute, yields or returns it)."""
        stmt = self.ctx.statements[-1] if self.ctx.statements else None
        if not isinstance(stmt, cst.SimpleStatementLine):
            return False
        names = [
            t.target.value
            for small in stmt.body
            if isinstance(small, cst.Assign) and small.value is node
            for t in small.targets
            if isinstance(t.target, cst.Name)
        ]
        if not names:
            return False
        loop = self.ctx.stack.loops[-1].node
        for sub in _subtree(loop):
            held: Optional[cst.BaseExpression] = None
            if isinstance(sub, cst.Call) and isinstance(sub.func, cst.Attribute) and sub.func.attr.value in KEEPERS:
                for arg in sub.args:
                    if _holds_name(arg.value, names, self.regex_call):
                        return True
            elif isinstance(sub, cst.Assign) and any(isinstance(t.target, (cst.Subscript, cst.Attribute)) for t in sub.targets):
                held = sub.value
            elif isinstance(sub, (cst.Yield, cst.Return)) and isinstance(sub.value, cst.BaseExpression):
                held = sub.value
            if held is not None and _holds_name(held, names, self.regex_call):
                return True
        return False

    # -- constant collections ----------------------------------------------------
    def _constant_iterable(self, expr: cst.BaseExpression, depth: int = 0) -> bool:
        """A fixed, small collection of literals: a display of at most MAX_CACHED of
        them, a name or class attribute bound once to one and never changed in place,
        or ``enumerate`` / ``sorted`` / ``zip`` / ``.items()`` ... of those."""
        if depth > 6:
            return False
        if isinstance(expr, cst.Call):
            func = expr.func
            if isinstance(func, cst.Name) and self.ctx.names.resolve(func) in _PASS_THROUGH:
                args = [a for a in expr.args if a.keyword is None]
                return bool(args) and all(not a.star and self._constant_iterable(a.value, depth + 1) for a in args)
            if isinstance(func, cst.Attribute) and func.attr.value in ("items", "keys", "values") and not expr.args:
                return self._constant_iterable(func.value, depth + 1)
            return False
        count = _literal_elements(expr)
        if count is not None:
            return count <= MAX_CACHED
        mutated = self._mutated()
        value: Optional[cst.BaseExpression] = None
        if isinstance(expr, cst.Name):
            if expr.value in mutated:
                return False
            value = self._resolver().value(expr.value, self.ctx.stack.function)
        elif isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
            if "." + expr.attr.value in mutated:
                return False
            value = self._class_constant(expr.value.value, expr.attr.value)
        return value is not None and value is not expr and self._constant_iterable(value, depth + 1)

    def _class_constant(self, owner: str, attr: str) -> Optional[cst.BaseExpression]:
        """``Cls.ATTR`` / ``self.ATTR`` / ``cls.ATTR``: the value of the one assignment
        to ATTR in the body of that class (a module-level class, or the one around)."""
        classes = [f.node for f in self.ctx.stack.frames if f.kind == "class"]
        target: Optional[cst.ClassDef] = None
        if owner in ("self", "cls") and classes:
            target = classes[-1]  # type: ignore[assignment]
        else:
            for stmt in self.ctx.module.body:
                if isinstance(stmt, cst.ClassDef) and stmt.name.value == owner:
                    target = stmt
        if target is None or not isinstance(target.body, cst.IndentedBlock):
            return None
        found = [
            small.value
            for stmt in target.body.body
            if isinstance(stmt, cst.SimpleStatementLine)
            for small in stmt.body
            if isinstance(small, cst.Assign) and len(small.targets) == 1
            and isinstance(small.targets[0].target, cst.Name) and small.targets[0].target.value == attr
        ]
        return found[0] if len(found) == 1 else None

    def _mutated(self) -> Set[str]:
        """Names (``"PATTERNS"``) and attribute names (``".PATTERNS"``) that the file
        changes in place or rebinds from a function (``global``)."""
        def compute() -> Set[str]:
            facts = self.ctx.names.facts
            return _mutated_names_ast(facts.tree) if facts is not None else _mutated_names(self.ctx.module)

        return self.ctx.shared(("FFT404", "mutated"), compute)

    def _taken_whole(self, pattern: cst.BaseExpression, changing: Set[str]) -> bool:
        """The pattern is an element of a collection the loop walks, taken as it is
        (``for p in patterns: re.match(p, s)``, ``pair[0]``, ``TABLE[kind]``), or a name
        the loop assigns only such elements to: a collection of patterns, each compiled
        once and then served by ``re``'s cache (or compiled already), nothing built from
        data on each iteration."""
        bindings: Dict[str, list] = {}
        for frame in self.ctx.stack.loops:
            for name, values in self._loop_bindings(frame.node).items():
                bindings.setdefault(name, []).extend(values)

        def whole(expr: object, depth: int) -> bool:
            if depth > 4 or not _access(expr):
                return False
            for name in _used(expr) & changing:  # type: ignore[arg-type]
                for value in bindings.get(name, [None]):
                    if value is not _ELEMENT and not whole(value, depth + 1):
                        return False
            return True

        return whole(pattern, 0)

    def _loop_bindings(self, node: cst.CSTNode) -> Dict[str, list]:
        cache: Dict[int, Dict[str, list]] = self.ctx.shared(("FFT404", "bindings"), dict)
        key = id(node)
        if key not in cache:
            cache[key] = _bindings_in(node)
        return cache[key]

    def _loop_bound(self, node: cst.CSTNode) -> Set[str]:
        cache: Dict[int, Set[str]] = self.ctx.shared(("FFT404", "bound"), dict)
        key = id(node)
        if key not in cache:
            cache[key] = _bound_in(node)
        return cache[key]
