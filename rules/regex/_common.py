"""Helpers shared by the FFT4xx rules (no rules here): which calls take a regex, static
pattern and flag evaluation, mapping pattern offsets back into the string literal, and
a cached call into :mod:`fftlint.analysis.regex`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, List, Optional, Sequence, Tuple, Union

from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:  # pragma: no cover - the analyser is imported on first use only
    from fftlint.analysis.regex import RegexReport

#: Pre-filter: a file is parsed for the FFT4xx rules only if one of these occurs.
REQUIRES = ("re.", "regex", "import re", "from re ", "re_path", "RegexValidator", "urls")

# call -> (pattern positional index, flags positional index or -1, mode)
_FUNCS = {
    "compile": (0, 1, "search"),
    "search": (0, 2, "search"),
    "match": (0, 2, "match"),
    "fullmatch": (0, 2, "fullmatch"),
    "findall": (0, 2, "search"),
    "finditer": (0, 2, "search"),
    "split": (0, 3, "search"),
    "sub": (0, 4, "search"),
    "subn": (0, 4, "search"),
}
REGEX_CALLS: Dict[str, Tuple[int, int, str]] = {}
for _mod in ("re", "regex"):
    for _name, _spec in _FUNCS.items():
        REGEX_CALLS["%s.%s" % (_mod, _name)] = _spec
# Django: both resolve / validate with ``regex.search``
for _name in ("django.urls.re_path", "django.conf.urls.url", "django.urls.conf.re_path"):
    REGEX_CALLS[_name] = (0, -1, "search")
for _name in ("django.core.validators.RegexValidator",):
    REGEX_CALLS[_name] = (0, 3, "search")

_FLAG_VALUES = {
    "I": 2, "IGNORECASE": 2, "L": 4, "LOCALE": 4, "M": 8, "MULTILINE": 8, "S": 16, "DOTALL": 16,
    "U": 32, "UNICODE": 32, "X": 64, "VERBOSE": 64, "A": 256, "ASCII": 256, "NOFLAG": 0,
    "T": 1, "TEMPLATE": 1, "DEBUG": 128,
}


@dataclass
class Piece:
    """One string literal token of a (possibly concatenated) pattern."""

    node: cst.SimpleString
    start: int          # offset of this piece in the evaluated pattern
    value: str          # evaluated text (bytes decoded as latin-1)
    src_index: List[int]  # for each char of value: offset in the token's source text


@dataclass
class StaticPattern:
    text: str
    is_bytes: bool
    pieces: List[Piece]

    @property
    def value(self) -> Union[str, bytes]:
        return self.text.encode("latin-1") if self.is_bytes else self.text

    def locate(self, offset: int) -> Tuple[cst.SimpleString, int, int]:
        """(literal node, line delta, column) of pattern offset ``offset``: column is
        a delta from the literal's start when line delta is 0, else absolute (0-based)."""
        piece = self.pieces[0]
        for p in self.pieces:
            if p.start <= offset < p.start + len(p.value) or (not p.value and p.start == offset):
                piece = p
                break
            if p.start <= offset:
                piece = p
        idx = min(max(offset - piece.start, 0), max(len(piece.src_index) - 1, 0))
        src = piece.node.value
        pos = piece.src_index[idx] if piece.src_index else 0
        before = src[:pos]
        nl = before.count("\n")
        col = pos if nl == 0 else len(before) - before.rfind("\n") - 1
        return piece.node, nl, col


# --------------------------------------------------------------------- literals
_SIMPLE_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "a": "\a", "b": "\b", "f": "\f",
                   "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def decode_literal(token: str) -> Optional[Tuple[str, bool, List[int]]]:
    """Evaluate a Python string literal token; return (text, is_bytes, source index of
    each char).  None for f-strings and anything odd."""
    i = 0
    while i < len(token) and token[i] not in "'\"":
        i += 1
    prefix = token[:i].lower()
    if "f" in prefix or "t" in prefix:
        return None
    is_bytes = "b" in prefix
    raw = "r" in prefix
    q = token[i:i + 3] if token[i:i + 3] in ('"""', "'''") else token[i]
    body_start = i + len(q)
    body_end = len(token) - len(q)
    if body_end < body_start:
        return None
    out: List[str] = []
    index: List[int] = []
    j = body_start
    while j < body_end:
        c = token[j]
        if c != "\\" or raw:
            if raw and c == "\\" and j + 1 < body_end:
                out.append(c)
                index.append(j)
                out.append(token[j + 1])
                index.append(j + 1)
                j += 2
                continue
            out.append(c)
            index.append(j)
            j += 1
            continue
        nxt = token[j + 1] if j + 1 < body_end else ""
        if nxt == "\n":
            j += 2
            continue
        if nxt in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[nxt])
            index.append(j)
            j += 2
            continue
        if nxt in "01234567":
            k = j + 1
            digits = ""
            while k < body_end and len(digits) < 3 and token[k] in "01234567":
                digits += token[k]
                k += 1
            out.append(chr(int(digits, 8)))
            index.append(j)
            j = k
            continue
        width = {"x": 2, "u": 4, "U": 8}.get(nxt)
        if width and not (is_bytes and nxt in "uU"):
            hexd = token[j + 2:j + 2 + width]
            try:
                out.append(chr(int(hexd, 16)))
            except ValueError:
                return None
            index.append(j)
            j += 2 + width
            continue
        if nxt == "N" and not is_bytes:
            close = token.find("}", j)
            if close < 0:
                return None
            import unicodedata

            try:
                out.append(unicodedata.lookup(token[j + 3:close]))
            except KeyError:
                return None
            index.append(j)
            j = close + 1
            continue
        # unknown escape: the backslash stays
        out.append("\\")
        index.append(j)
        j += 1
    text = "".join(out)
    if is_bytes and any(ord(ch) > 255 for ch in text):
        return None
    return text, is_bytes, index


class Resolver:
    """Static values of names: module constants and same-scope locals assigned once."""

    def __init__(self, module: cst.Module) -> None:
        self.module = module
        self._scopes: Dict[int, Dict[str, Optional[cst.BaseExpression]]] = {}

    def _assignments(self, body: Sequence[cst.CSTNode]) -> Dict[str, Optional[cst.BaseExpression]]:
        found: Dict[str, Optional[cst.BaseExpression]] = {}

        def bind(name: str, value: Optional[cst.BaseExpression]) -> None:
            found[name] = value if name not in found else None

        class V(cst.CSTVisitor):
            def visit_Assign(self, node: cst.Assign) -> None:
                for t in node.targets:
                    if isinstance(t.target, cst.Name) and len(node.targets) == 1:
                        bind(t.target.value, node.value)
                    else:
                        for n in _names(t.target):
                            bind(n, None)

            def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
                if isinstance(node.target, cst.Name):
                    bind(node.target.value, node.value)

            def visit_AugAssign(self, node: cst.AugAssign) -> None:
                for n in _names(node.target):
                    bind(n, None)

            def visit_For(self, node: cst.For) -> None:
                for n in _names(node.target):
                    bind(n, None)

            def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
                for n in _names(node.target):
                    bind(n, None)

            def visit_AsName(self, node: cst.AsName) -> None:
                for n in _names(node.name):
                    bind(n, None)

            def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
                bind(node.name.value, None)
                return False

            def visit_ClassDef(self, node: cst.ClassDef) -> bool:
                bind(node.name.value, None)
                return False

            def visit_Lambda(self, node: cst.Lambda) -> bool:
                return False

        for stmt in body:
            stmt.visit(V())
        return found

    def scope(self, node: Optional[cst.CSTNode]) -> Dict[str, Optional[cst.BaseExpression]]:
        key = id(node) if node is not None else 0
        if key not in self._scopes:
            if node is None:
                self._scopes[key] = self._assignments(self.module.body)
            else:
                # a def's block of statements; a lambda's body is one expression, where
                # only walrus targets (and the parameters) bind
                body = _statements(node.body) if isinstance(node, cst.FunctionDef) else [getattr(node, "body", None)]
                table = self._assignments([b for b in body if isinstance(b, cst.CSTNode)])
                if isinstance(node, (cst.FunctionDef, cst.Lambda)):
                    for p in _params(node.params):
                        table[p] = None
                self._scopes[key] = table
        return self._scopes[key]

    def value(self, name: str, function: Optional[cst.CSTNode]) -> Optional[cst.BaseExpression]:
        if function is not None:
            local = self.scope(function)
            if name in local:
                return local[name]
        return self.scope(None).get(name)


def _statements(body: cst.BaseSuite) -> Sequence[cst.CSTNode]:
    """The statements of a block: an indented block's, or the simple statement line of
    ``def f(): return x`` (a SimpleStatementSuite)."""
    return getattr(body, "body", ())


def _params(params: cst.Parameters) -> List[str]:
    out = [p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)]
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            out.append(star.name.value)
    return out


def _names(target: cst.CSTNode) -> List[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        out = []
        for el in target.elements:
            out.extend(_names(el.value))
        return out
    if isinstance(target, cst.StarredElement):
        return _names(target.value)
    return []


def static_pattern(node: cst.BaseExpression, resolver: Resolver, function: Optional[cst.CSTNode],
                   depth: int = 0) -> Optional[StaticPattern]:
    if depth > 8:
        return None
    if isinstance(node, cst.SimpleString):
        dec = decode_literal(node.value)
        if dec is None:
            return None
        text, is_bytes, index = dec
        return StaticPattern(text, is_bytes, [Piece(node, 0, text, index)])
    if isinstance(node, cst.ConcatenatedString):
        left = static_pattern(node.left, resolver, function, depth + 1)
        right = static_pattern(node.right, resolver, function, depth + 1)
        return _join(left, right)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        left = static_pattern(node.left, resolver, function, depth + 1)
        right = static_pattern(node.right, resolver, function, depth + 1)
        return _join(left, right)
    if isinstance(node, cst.Name):
        value = resolver.value(node.value, function)
        if value is None:
            return None
        module_level = any(v is value for v in resolver.scope(None).values())
        return static_pattern(value, resolver, None if module_level else function, depth + 1)
    return None


def _join(a: Optional[StaticPattern], b: Optional[StaticPattern]) -> Optional[StaticPattern]:
    if a is None or b is None or a.is_bytes != b.is_bytes:
        return None
    shift = len(a.text)
    pieces = list(a.pieces) + [Piece(p.node, p.start + shift, p.value, p.src_index) for p in b.pieces]
    return StaticPattern(a.text + b.text, a.is_bytes, pieces)


def static_flags(node: Optional[cst.BaseExpression], names, resolver: Resolver,
                 function: Optional[cst.CSTNode], depth: int = 0) -> Optional[int]:
    if node is None:
        return 0
    if depth > 8:
        return None
    if isinstance(node, cst.Integer):
        try:
            return int(node.value, 0)
        except ValueError:
            return None
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.BitOr, cst.Add)):
        a = static_flags(node.left, names, resolver, function, depth + 1)
        b = static_flags(node.right, names, resolver, function, depth + 1)
        return None if a is None or b is None else (a | b)
    canonical = names.resolve(node) if names is not None else None
    if canonical:
        mod, _, attr = canonical.rpartition(".")
        attr = attr.replace("RegexFlag.", "")
        if mod in ("re", "regex", "re.RegexFlag") and attr in _FLAG_VALUES:
            return _FLAG_VALUES[attr]
    if isinstance(node, cst.Name):
        value = resolver.value(node.value, function)
        if value is not None:
            return static_flags(value, names, resolver, function, depth + 1)
    return None


def call_args(node: cst.Call, pattern_index: int, flags_index: int):
    """(pattern expression, flags expression or None, ok)."""
    positional = [a for a in node.args if a.keyword is None and not a.star]
    keywords = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
    if any(a.star for a in node.args):
        return None, None, False
    pattern = positional[pattern_index].value if len(positional) > pattern_index else keywords.get("pattern", keywords.get("regex"))
    flags = None
    if flags_index >= 0 and len(positional) > flags_index:
        flags = positional[flags_index].value
    elif "flags" in keywords:
        flags = keywords["flags"]
    return pattern, flags, pattern is not None


@lru_cache(maxsize=2048)
def cached_analysis(pattern: Union[str, bytes], flags: int, mode: str, exclude: str = "") -> Optional["RegexReport"]:
    """The analysis of ``pattern``; with ``exclude``, for subjects that hold none of
    those characters."""
    # imported here: rule discovery must not load the analyser for files without regexes
    from fftlint.analysis.regex import RegexSyntaxError, analyze

    try:
        return analyze(pattern, flags, mode=mode, exclude=exclude)
    except RegexSyntaxError:
        return None


_SIMPLE_ATOM = r"(?:\\[dDwWsS.]|\\?[^\\()\[\]{}|*+?^$]|\[(?:\\.|[^\]\\])+\])"
_NESTED = re.compile(r"^\(\?:(%s)([+*])\)([+*])$" % _SIMPLE_ATOM)


def redundant_nesting_fix(sub: str) -> Optional[str]:
    """``(?:a+)+`` -> ``a+``, ``(?:\\d*)+`` -> ``\\d*``: same language, same greedy
    match, no capture group involved."""
    m = _NESTED.match(sub)
    if not m:
        return None
    atom, q1, q2 = m.groups()
    return atom + ("*" if "*" in (q1, q2) else "+")


@dataclass
class Finding:
    report: RegexReport
    pattern: StaticPattern
    mode: str
    callee: str
    flags: int
    literal: bool = False  # the pattern argument is a string literal itself


class RegexCallMixin:
    """Finds regex calls with a static pattern and analyses them once per pattern use."""

    def _resolver(self) -> Resolver:
        return self.ctx.shared(("FFT4", "resolver"), lambda: Resolver(self.ctx.module))

    def regex_call(self, node: cst.Call) -> Optional[Tuple[str, Tuple[int, int, str]]]:
        # the file's own names only: the text pre-filter (``requires``) sees one file
        name = self.ctx.names.resolve_local(node.func)
        if not name:
            return None
        name = name.rstrip("()")
        spec = REGEX_CALLS.get(name)
        return (name, spec) if spec else None

    def finding(self, node: cst.Call) -> Optional[Finding]:
        # ``re.compile(P).match(s)``: the method tells the mode
        func = node.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Call):
            inner = self.regex_call(func.value)
            method = _FUNCS.get(func.attr.value)
            if inner is not None and inner[0].endswith(".compile") and method is not None:
                handled = self._handled()
                handled.add(id(func.value))
                return self._finding(func.value, inner[0], inner[1][0], inner[1][1], method[2])
            return None
        if id(node) in self._handled():
            return None
        hit = self.regex_call(node)
        if hit is None:
            return None
        callee, (pi, fi, mode) = hit
        return self._finding(node, callee, pi, fi, mode)

    def _handled(self) -> set:
        return self.ctx.shared(("FFT4", "handled", self.code), set)

    def _finding(self, node: cst.Call, callee: str, pi: int, fi: int, mode: str) -> Optional[Finding]:
        pattern_node, flags_node, ok = call_args(node, pi, fi)
        if not ok:
            return None
        function = self.ctx.stack.function
        resolver = self._resolver()
        pat = static_pattern(pattern_node, resolver, function)
        if pat is None:
            return None
        flags = static_flags(flags_node, self.ctx.names, resolver, function)
        if flags is None:
            return None
        report = cached_analysis(pat.value, flags, mode)
        if report is None:
            return None
        return Finding(report, pat, mode, callee, flags,
                       isinstance(pattern_node, (cst.SimpleString, cst.ConcatenatedString)))

    def report_finding(self, f: Finding) -> None:
        rep = f.report
        offset = rep.span[0] if rep.span else 0
        lit, dl, col = f.pattern.locate(offset)
        key = (id(lit), self.code, offset)
        done = self.ctx.shared(("FFT4", "done"), set)
        if key in done:
            return
        done.add(key)
        attack = rep.attack
        props = {
            "complexity": rep.complexity,
            "degree": rep.degree,
            "cause": rep.cause,
            "subpattern": rep.subpattern,
            "pattern_offset": offset,
            "complete": rep.complete,
            "mode": f.mode,
            "call": f.callee,
            "attack": {"prefix": attack.prefix, "pump": attack.pump, "suffix": attack.suffix} if attack else None,
            # enough to re-check dynamically: fftlint.analysis.regex.verify_properties(props)
            "pattern": f.pattern.text,
            "pattern_is_bytes": f.pattern.is_bytes,
            "flags": f.flags,
        }
        fix = self.make_fix(f, lit) if hasattr(self, "make_fix") else None
        example = attack.build(3) if attack else ""
        if len(example) > 40:
            example = example[:37] + "..."
        # the report starts at the sub-expression inside the literal
        self.report(lit, fix=fix, properties=props, inside=(dl, col), sub=rep.subpattern or f.pattern.text,
                    degree=rep.degree, call=_call_text(f.callee), attack=example)


def _call_text(callee: str) -> str:
    """How a message names the matching call: ``re.compile`` itself is cheap, it is
    matching with the compiled pattern that is slow."""
    name = callee.rsplit(".", 1)[-1]
    return "matching with it" if name == "compile" else f"`{name}()`"
