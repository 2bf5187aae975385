"""FFT404: a regex built from changing data and compiled inside a loop."""

from __future__ import annotations

from typing import Dict, Set

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


def _is_literal_collection(node: cst.BaseExpression) -> bool:
    if isinstance(node, (cst.Tuple, cst.List, cst.Set)):
        return all(isinstance(el.value, (cst.SimpleString, cst.ConcatenatedString, cst.Integer))
                   for el in node.elements)
    return False


def _literal_targets(node: cst.CSTNode) -> Set[str]:
    """Targets of ``for x in ("a", "b")`` style loops (a For or a comprehension)."""
    out: Set[str] = set()
    fors = [node] if isinstance(node, cst.For) else []
    comp = getattr(node, "for_in", None)
    while comp is not None:
        fors.append(comp)
        comp = comp.inner_for_in
    for f in fors:
        if _is_literal_collection(f.iter):
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
    iteration (the loop variable, or something assigned in the loop). A constant
    pattern inside a loop is not reported: `re` caches compiled patterns.

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
    ]
    INVALID = [
        Invalid("import re\nfor w in words:\n    rx = re.compile(w)\n", line=3),
        Invalid("import re\ndef f(lines, tags):\n    return [l for l in lines for t in tags if re.search(r'\\b%s\\b' % t, l)]\n"),
        Invalid("import re\nwhile True:\n    p = input()\n    re.match(f'^{p}$', s)\n"),
        Invalid("import regex\nfor k, v in pairs:\n    text = regex.sub(k, v, text)\n"),
    ]

    # ``[re.compile(p) for p in patterns]``, ``out.append(re.compile(p))``,
    # ``table[i] = re.compile(p)``: compiling each pattern once to keep it is the cure,
    # not the disease.
    def _kept(self) -> Set[int]:
        kept = getattr(self.ctx, "_fft404_kept", None)
        if kept is None:
            kept = set()
            setattr(self.ctx, "_fft404_kept", kept)
        return kept

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._kept().add(id(node.elt))

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self._kept().add(id(node.elt))

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._kept().add(id(node.elt))

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self._kept().add(id(node.value))

    def visit_Assign(self, node: cst.Assign) -> None:
        if any(isinstance(t.target, (cst.Subscript, cst.Attribute)) for t in node.targets):
            self._kept().add(id(node.value))

    def visit_Call(self, node: cst.Call) -> None:
        if not self.ctx.stack.in_loop:
            return
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in ("append", "add", "insert", "extend", "setdefault"):
            for arg in node.args:
                self._kept().add(id(arg.value))
            return
        hit = self.regex_call(node)
        if hit is None:
            return
        callee, (pi, _fi, _mode) = hit
        if callee.endswith(".compile") and id(node) in self._kept():
            return
        positional = [a for a in node.args if a.keyword is None and not a.star]
        keywords = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
        pattern = positional[pi].value if len(positional) > pi else keywords.get("pattern", keywords.get("regex"))
        if pattern is None:
            return
        if static_pattern(pattern, self._resolver(), self.ctx.stack.function) is not None:
            return
        changing: Set[str] = set()
        constant: Set[str] = set()
        for frame in self.ctx.stack.loops:
            changing |= self._loop_bound(frame.node)
            constant |= _literal_targets(frame.node)
        # a loop over a literal list of strings gives finitely many patterns: cached
        changing -= constant
        if _used(pattern) & changing:
            self.report(pattern, call=callee.rsplit(".", 1)[-1],
                        properties={"call": callee})

    def _loop_bound(self, node: cst.CSTNode) -> Set[str]:
        cache: Dict[int, Set[str]] = getattr(self.ctx, "_fft404_bound", None)
        if cache is None:
            cache = {}
            setattr(self.ctx, "_fft404_bound", cache)
        key = id(node)
        if key not in cache:
            cache[key] = _bound_in(node)
        return cache[key]
