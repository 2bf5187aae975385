"""The one place that touches CPython's private regex parser.

CPython moved ``sre_parse`` to ``re._parser`` in 3.11 (and added possessive
quantifiers and atomic groups).  Everything version-specific lives here; the rest
of the analyser sees a plain, version-independent tree:

* a *sequence* is a ``list`` of nodes, a node is ``(op, av)`` with ``op`` a string
  (``"LITERAL"``, ``"IN"``, ``"MAX_REPEAT"`` ...);
* repeats are ``(op, (min, max_or_None, body, ordinal))`` where ``ordinal`` numbers
  the repeats in pre-order, so that :func:`parse` can pair them with offsets;
* categories and anchors are plain strings (``"CATEGORY_DIGIT"``, ``"AT_END"``).

CPython's parser does not record offsets, so :func:`scan_offsets` runs a light
tokenizer over the pattern (escapes, classes, comments, verbose mode) that finds
the span of every group and every quantified atom.  Spans are paired with the tree
only when the counts agree (CPython factors common branch prefixes, which can drop
repeats); otherwise a repeat simply has no span.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple, Union

if sys.version_info >= (3, 11):  # pragma: no cover - depends on interpreter
    from re import _constants as _sre_constants  # type: ignore[attr-defined]
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
else:  # pragma: no cover - depends on interpreter
    import sre_constants as _sre_constants  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

import warnings

#: possessive quantifiers ``*+`` and atomic groups ``(?>...)`` exist (3.11+)
HAS_POSSESSIVE = hasattr(_sre_constants, "POSSESSIVE_REPEAT")
MAXREPEAT = _sre_constants.MAXREPEAT

FLAG_IGNORECASE = 2
FLAG_LOCALE = 4
FLAG_MULTILINE = 8
FLAG_DOTALL = 16
FLAG_UNICODE = 32
FLAG_VERBOSE = 64
FLAG_ASCII = 256

_REPEATS = {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}

Span = Tuple[int, int]


class RegexSyntaxError(ValueError):
    """The pattern does not compile with this interpreter's ``re``."""


@dataclass
class Parsed:
    text: str                       # the pattern as text (bytes decoded latin-1)
    is_bytes: bool
    flags: int                      # final global flags (inline ones included)
    tree: list                      # plain tree, see module docstring
    groups: int                     # number of capturing groups + 1
    group_spans: Dict[int, Span] = field(default_factory=dict)
    repeat_spans: Dict[int, Span] = field(default_factory=dict)  # ordinal -> span


def _name(x) -> str:
    return str(x)


def _plain_seq(sub, counter: List[int]) -> list:
    return [_plain_node(op, av, counter) for op, av in (sub.data if hasattr(sub, "data") else sub)]


def _plain_node(op, av, counter: List[int]):
    name = _name(op)
    if name in ("LITERAL", "NOT_LITERAL", "GROUPREF"):
        return (name, av)
    if name == "ANY":
        return (name, None)
    if name == "AT":
        return (name, _name(av))
    if name == "IN":
        items = []
        for iop, iav in av:
            iname = _name(iop)
            if iname == "CATEGORY":
                items.append((iname, _name(iav)))
            elif iname == "NEGATE":
                items.append((iname, None))
            else:
                items.append((iname, iav))
        return (name, items)
    if name == "BRANCH":
        return (name, [_plain_seq(b, counter) for b in av[1]])
    if name == "SUBPATTERN":
        group, add, dele, p = av
        return (name, (group, add, dele, _plain_seq(p, counter)))
    if name in _REPEATS:
        lo, hi, item = av
        ordinal = counter[0]
        counter[0] += 1
        return (name, (lo, None if hi == MAXREPEAT else hi, _plain_seq(item, counter), ordinal))
    if name == "GROUPREF_EXISTS":
        g, yes, no = av
        return (name, (g, _plain_seq(yes, counter), _plain_seq(no, counter) if no is not None else None))
    if name in ("ASSERT", "ASSERT_NOT"):
        d, p = av
        return (name, (d, _plain_seq(p, counter)))
    if name == "ATOMIC_GROUP":
        return (name, _plain_seq(av, counter))
    if name == "CATEGORY":  # pragma: no cover - parser wraps categories in IN
        return ("IN", [("CATEGORY", _name(av))])
    raise RegexSyntaxError("unsupported regex construct %s" % name)  # pragma: no cover


def cpython_parse(pattern: Union[str, bytes], flags: int = 0):
    """Run this interpreter's own parser; return (SubPattern, final flags). ``re.DEBUG``
    is dropped: it only makes the parser print the pattern's tree (into our output)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            p = _sre_parse.parse(pattern, flags & ~_sre_constants.SRE_FLAG_DEBUG)
        except (_sre_constants.error, OverflowError, ValueError, RecursionError) as exc:
            raise RegexSyntaxError(str(exc)) from None
    return p


def parse(pattern: Union[str, bytes], flags: int = 0) -> Parsed:
    """Parse ``pattern`` with CPython's parser and attach offsets."""
    p = cpython_parse(pattern, flags)
    counter = [0]
    tree = _plain_seq(p, counter)
    final_flags = p.state.flags
    groups = p.state.groups
    is_bytes = isinstance(pattern, bytes)
    text = pattern.decode("latin-1") if is_bytes else pattern
    parsed = Parsed(text=text, is_bytes=is_bytes, flags=final_flags, tree=tree, groups=groups)
    try:
        gspans, rspans = scan_offsets(text, final_flags)
    except Exception:  # pragma: no cover - offsets are best effort
        return parsed
    parsed.group_spans = {i + 1: s for i, s in enumerate(gspans)}
    if len(rspans) == counter[0]:
        parsed.repeat_spans = dict(enumerate(rspans))
    return parsed


_WHITESPACE = " \t\n\r\v\f"
_FLAGCHARS = "aiLmsux"


def scan_offsets(text: str, flags: int) -> Tuple[List[Span], List[Span]]:
    """Spans of capturing groups (in group order) and of quantified atoms
    (in pre-order: outer before inner), with quantifier included."""
    n = len(text)
    i = 0
    capture_spans: List[Optional[Span]] = []
    repeats: List[Tuple[int, int]] = []
    # stack of (open index, capture slot or -1, verbose of enclosing)
    stack: List[Tuple[int, int, bool]] = []
    verbose = bool(flags & FLAG_VERBOSE)
    last_atom: Optional[int] = None   # start of the previous atom, None if not repeatable

    def skip_class(j: int) -> int:
        # j points just after '['
        if j < n and text[j] == "^":
            j += 1
        first = True
        while j < n:
            c = text[j]
            if c == "]" and not first:
                return j + 1
            if c == "\\":
                j += 2
            else:
                j += 1
            first = False
        return n

    while i < n:
        c = text[i]
        if verbose and c in _WHITESPACE:
            i += 1
            continue
        if verbose and c == "#":
            while i < n and text[i] != "\n":
                i += 1
            continue
        if c == "\\":
            start = i
            i += 2
            if i - 1 < n and text[i - 1] == "N" and i < n and text[i] == "{":
                close = text.find("}", i)
                i = n if close < 0 else close + 1
            elif i - 1 < n and text[i - 1] in "AbBZ":
                last_atom = None
                continue
            last_atom = start
            continue
        if c == "[":
            start = i
            i = skip_class(i + 1)
            last_atom = start
            continue
        if c == "(":
            if text.startswith("(?#", i):
                close = text.find(")", i)
                i = n if close < 0 else close + 1
                continue
            sub_verbose = verbose
            slot = -1
            j = i + 1
            if text.startswith("?", j):
                k = j + 1
                if k < n and (text[k] in _FLAGCHARS or text[k] == "-"):
                    m = k
                    while m < n and (text[m] in _FLAGCHARS or text[m] == "-"):
                        m += 1
                    flagtxt = text[k:m]
                    on, _, off = flagtxt.partition("-")
                    if m < n and text[m] == ")":  # global flags
                        if "x" in on:
                            verbose = True
                        i = m + 1
                        continue
                    if "x" in on:
                        sub_verbose = True
                    if "x" in off:
                        sub_verbose = False
                    i = m + 1
                elif text.startswith("P<", k):
                    close = text.find(">", k)
                    slot = len(capture_spans)
                    capture_spans.append(None)
                    i = close + 1
                elif text.startswith("P=", k):
                    close = text.find(")", k)
                    last_atom = i
                    i = close + 1
                    continue
                elif k < n and text[k] == "(":
                    close = text.find(")", k)
                    i = close + 1
                elif text.startswith("<=", k) or text.startswith("<!", k):
                    i = k + 2
                else:
                    i = k + 1
            else:
                slot = len(capture_spans)
                capture_spans.append(None)
                i = j
            stack.append((j - 1, slot, verbose))
            verbose = sub_verbose
            last_atom = None
            continue
        if c == ")":
            if stack:
                start, slot, outer_verbose = stack.pop()
                verbose = outer_verbose
                if slot >= 0:
                    capture_spans[slot] = (start, i + 1)
                last_atom = start
            i += 1
            continue
        if c in "*+?" or c == "{":
            qstart = i
            if c == "{":
                m = i + 1
                while m < n and text[m].isdigit() and text[m] in "0123456789":
                    m += 1
                if m < n and text[m] == ",":
                    m += 1
                    while m < n and text[m] in "0123456789":
                        m += 1
                if m >= n or text[m] != "}" or text[i + 1:i + 2] == "}":
                    last_atom = i          # a literal '{'
                    i += 1
                    continue
                i = m + 1
            else:
                i += 1
            if last_atom is None:
                i = qstart + 1
                continue
            # optional lazy / possessive suffix (possibly after verbose space? no: CPython
            # reads the suffix immediately)
            if i < n and text[i] == "?":
                i += 1
            elif i < n and text[i] == "+" and HAS_POSSESSIVE:
                i += 1
            repeats.append((last_atom, i))
            last_atom = None
            continue
        if c == "|":
            last_atom = None
            i += 1
            continue
        if c in "^$":
            last_atom = None
            i += 1
            continue
        last_atom = i
        i += 1
    # pre-order: outer atoms start earlier; for equal starts the longer span is outer
    repeats.sort(key=lambda s: (s[0], -s[1]))
    return [s if s is not None else (0, n) for s in capture_spans], repeats
