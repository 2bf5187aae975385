"""Odd but valid Python: real code moved into the shapes rules forget about.

A program starts from a seed (a rule example, a fixture module, or one top-level
definition of a stdlib module with that module's imports), optionally spliced with a
second seed. One call of the seed is the *target* -- the kind of node rules match and
then inspect the surroundings of -- and a chain of steps moves it into odd places:

* ``("expr", i)`` wraps the target (or what the previous step wrapped it in) in
  ``EXPRESSION_TEMPLATES[i]``: a lambda body, a conditional, a comprehension element or
  condition, a walrus, an f-string, a star-expression, ``await``, ``yield``, a default;
* ``("stmt", i, level)`` wraps the statement around it (``level`` statements up) in
  ``BLOCK_TEMPLATES[i]``: a loop, ``with``, ``try``, ``match``, a nested (decorated,
  async) def, a class body;
* ``("noise", name, choice)`` applies one of :data:`MUTATIONS` anywhere in the module:
  turn a def, loop, ``with`` or comprehension async, decorate, spread call arguments with
  ``*``/``**``, unpack an assignment.

Every step is checked with ``compile()`` (bytecode only: nothing is run) and dropped when
the result is not valid Python, so a program is always valid for the running interpreter.
Mutations work on the stdlib ``ast`` and print with ``ast.unparse`` (Python 3.9+).
"""

from __future__ import annotations

import ast
import copy
import os
import sys
import sysconfig
import warnings
from functools import lru_cache
from typing import Callable, Dict, List, Optional, Sequence, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(os.path.dirname(HERE), "fixtures")

#: stdlib modules with regexes, loops, async code, resources and handlers: their
#: top-level definitions are seeds (missing ones are skipped)
STDLIB_SEEDS = (
    "asyncio/streams.py",
    "asyncio/tasks.py",
    "asyncio/locks.py",
    "concurrent/futures/thread.py",
    "email/_header_value_parser.py",
    "http/cookiejar.py",
    "urllib/parse.py",
    "textwrap.py",
    "shlex.py",
    "string.py",
    "difflib.py",
    "logging/handlers.py",
    "sqlite3/dump.py",
    "tokenize.py",
    "glob.py",
    "fnmatch.py",
)
MAX_CHUNK_LINES = 80

E = "__E__"  # the placeholder a template's hole is written as
S = "__S__"  # the placeholder statement a block template wraps

#: one hole (``__E__``) each; the first occurrence holds the target itself, others copies
EXPRESSION_TEMPLATES = (
    "(lambda *_a, **_k: __E__)",
    "(lambda: __E__)()",
    "(__E__ if _c else None)",
    "(None if _c else __E__)",
    "[__E__ for _x in _xs]",
    "[_x for _x in _xs if __E__]",
    "[[__E__ for _y in _x] for _x in _xs]",
    "{_k: __E__ for _k in _ks}",
    "{__E__: _v for _v in _vs}",
    "(__E__ for _ in _xs)",
    "{__E__ for _ in _xs}",
    "[_y for _x in __E__ for _y in _x]",
    "(_w := __E__)",
    "f'{__E__!r:>{_n}}'",
    "f'{__E__=}'",
    "[*__E__]",
    "{**__E__}",
    "_f(*__E__, **_kw)",
    "await __E__",
    "(yield __E__)",
    "(yield from __E__)",
    "(_a and __E__ or _b)",
    "_lo < __E__ < _hi",
    "__E__[0]",
    "__E__.attr",
    "__E__()",
    "_f(__E__, key=__E__)",
    "(lambda _x=__E__: _x)",
    "(__E__, *_rest)",
    "not __E__",
    # a lambda around each kind of expression body (a conditional, a comprehension, a
    # lambda, a walrus): code that treats a lambda like a def meets them all
    "(lambda _x: __E__ if _x else [])",
    "(lambda _x: [__E__ for _s in _x] if _x else [])",
    "(lambda: lambda: __E__)",
    "(lambda: (_w := __E__))",
    "(lambda *_a: [__E__ for _ in _a])",
    "(lambda: f'{__E__}')",
    "[_obj.attr for _obj.attr in __E__]",
    "[_x for _d['k'] in _xs for _x in __E__]",
    "{**_defaults, 'k': __E__, **_more}",
    "f'{__E__:{_width}.{_precision}}'",
)

#: one placeholder statement (``__S__``) or more; each holds a copy of the statement
BLOCK_TEMPLATES = (
    "for _it in _items:\n    __S__",
    "async for _it in _items:\n    __S__",
    "while _cond:\n    __S__",
    "with _ctx() as _v:\n    __S__",
    "async with _ctx() as (_v, _w):\n    __S__",
    "try:\n    __S__\nexcept (ValueError, TypeError) as _exc:\n    raise\nfinally:\n    pass",
    "try:\n    pass\nexcept Exception:\n    __S__\nelse:\n    pass",
    "if _flag:\n    __S__\nelse:\n    pass",
    "def _inner(*_a, **_k):\n    __S__",
    "async def _inner(_p, /, *, _q=None):\n    __S__",
    "@_decorate\n@_factory(1, key=[i for i in ()])\ndef _inner():\n    __S__",
    "class _Inner(_Base, metaclass=_Meta):\n    __S__",
    "for _i, (_a, *_b) in enumerate(_pairs):\n    pass\nelse:\n    __S__",
    # targets that are not plain names
    "for _obj.attr in _items:\n    __S__",
    "for _table['k'], *_rest in _rows:\n    __S__",
    "with _ctx() as _obj.attr, _other() as (_a, *_b):\n    __S__",
    "class _Inner(*_bases, **_kw):\n    __S__",
)
if sys.version_info >= (3, 10):
    BLOCK_TEMPLATES += (
        "match _subject:\n    case {'k': _v, **_rest}:\n        __S__\n    case [_x, *_xs] | (_x, *_xs):\n        pass",
        "match _subject:\n    case _Point(x=0, y=_y) if _y:\n        pass\n    case str() | bytes() as _s:\n        __S__",
    )
if sys.version_info >= (3, 11):
    BLOCK_TEMPLATES += ("try:\n    __S__\nexcept* ValueError:\n    pass",)

DECORATORS = (
    "(lambda f: f)",
    "functools.lru_cache(maxsize=None)",
    "functools.wraps(_g)",
    "contextlib.contextmanager",
    "property",
    "staticmethod",
    "classmethod",
    "_registry[0].register",
    "_deco(*_args, **_kwargs)",
)

Step = Tuple[str, int, int]  # ("expr", template, _) | ("stmt", template, level) | ("noise", mutation, choice)


# --------------------------------------------------------------------------- seeds
@lru_cache(maxsize=1)
def seed_groups() -> Tuple[Tuple[str, ...], ...]:
    """Rule examples, fixture modules and stdlib definitions (three groups, each in a
    stable order), valid for the running interpreter."""
    from fftlint.registry import all_rules

    examples: List[str] = []
    for rule in all_rules():
        for ex in (*rule.VALID, *rule.INVALID):
            examples.append(ex if isinstance(ex, str) else ex.code)
    fixtures: List[str] = []
    for dirpath, dirnames, filenames in sorted(os.walk(FIXTURES)):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(".py"):
                with open(os.path.join(dirpath, name), encoding="utf-8") as fh:
                    fixtures.append(fh.read())
    stdlib: List[str] = []
    root = sysconfig.get_paths()["stdlib"]
    for rel in STDLIB_SEEDS:
        path = os.path.join(root, *rel.split("/"))
        if os.path.isfile(path):
            stdlib.extend(definitions(path))
    return tuple(tuple(src for src in group if _valid(src)) for group in (examples, fixtures, stdlib))


def seeds() -> Tuple[str, ...]:
    return tuple(src for group in seed_groups() for src in group)


def definitions(path: str) -> List[str]:
    """The module's imports followed by one of its top-level defs or classes, for each
    one short enough to lint quickly."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    tree = ast.parse(text)
    imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    head = "\n".join(ast.unparse(n) for n in imports)
    out = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            if lines <= MAX_CHUNK_LINES:
                out.append(head + "\n" + ast.unparse(node) + "\n")
    return out


# --------------------------------------------------------------------------- program
MARK = "_shape_current"  # set on the target (then on its outermost wrapper)
ORIGINAL = "_shape_original"  # the index of a seed's own call (:func:`every_call`)


def program(
    seed: str, splice: Optional[str] = None, target: int = 0, steps: Sequence[Step] = (), compact: int = 0
) -> str:
    """The seed (plus the spliced seed's statements) after every step that keeps it
    valid; ``target`` picks the seed's call (any expression when it has none);
    ``compact`` (see :func:`compacted`) then writes some blocks on one line."""
    tree = ast.parse(seed)
    holes = _expression_holes(tree)
    calls = [h for h in holes if isinstance(_current(h), ast.Call)]
    hole = _pick(calls or holes, target)
    if hole is not None:
        setattr(_current(hole), MARK, True)
    if splice is not None:
        tree.body.extend(ast.parse(splice).body)
    for step in steps:
        candidate = apply(copy.deepcopy(tree), step)
        if candidate is not None and _valid_tree(candidate):
            tree = candidate
    text = ast.unparse(ast.fix_missing_locations(tree)) + "\n"
    return concrete(text, compact)


def concrete(text: str, choice: int) -> str:
    """``choice`` 0: the text as it is; else one-line blocks (:func:`compacted`) when
    ``choice`` is odd, redundant parentheses (:func:`parenthesized`) when it is even,
    keeping only what stays valid."""
    if not choice:
        return text
    shaped = compacted(text, choice) if choice & 1 else parenthesized(text, choice)
    return shaped if _valid(shaped) else text


def parenthesized(text: str, choice: int) -> str:
    """Calls in redundant parentheses -- ``(f(x))``, and over lines with a comment
    inside -- which ``ast.unparse`` drops: a fix that copies a node's text must not copy
    them. ``choice`` picks which calls (bit patterns, like :func:`compacted`)."""
    import libcst as cst

    counter = [0]

    class Wrap(cst.CSTTransformer):
        def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
            counter[0] += 1
            if not (choice >> (counter[0] % 16)) & 1:
                return updated
            if counter[0] % 3:
                return updated.with_changes(lpar=[cst.LeftParen(), *updated.lpar], rpar=[*updated.rpar, cst.RightParen()])
            spread = cst.ParenthesizedWhitespace(
                first_line=cst.TrailingWhitespace(whitespace=cst.SimpleWhitespace("  "), comment=cst.Comment("# why")),
                indent=True,
                last_line=cst.SimpleWhitespace("    "),
            )
            return updated.with_changes(
                lpar=[cst.LeftParen(whitespace_after=spread), *updated.lpar], rpar=[*updated.rpar, cst.RightParen()]
            )

    return cst.parse_module(text).visit(Wrap()).code


def compacted(text: str, choice: int) -> str:
    """Shapes only a concrete syntax tree has (``ast.unparse`` never writes them): a
    block of one simple statement on its header's line (``for x in y: f(x)``, a
    ``SimpleStatementSuite``) and simple statements joined by ``;``. ``choice`` picks
    which blocks and statement runs (bit patterns), so both forms meet the plain one."""
    import libcst as cst

    counter = [0]

    def chosen() -> bool:
        counter[0] += 1
        return bool((choice >> (counter[0] % 16)) & 1) or choice & 1 == 1

    class Compact(cst.CSTTransformer):
        def leave_IndentedBlock(self, original: cst.IndentedBlock, updated: cst.IndentedBlock) -> cst.BaseSuite:
            body = updated.body
            if len(body) == 1 and isinstance(body[0], cst.SimpleStatementLine) and not body[0].leading_lines and chosen():
                return cst.SimpleStatementSuite(body=body[0].body)
            return updated.with_changes(body=_joined(body))

        def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
            return updated.with_changes(body=_joined(updated.body))

    def _joined(body: Sequence[cst.BaseStatement]) -> List[cst.BaseStatement]:
        out: List[cst.BaseStatement] = []
        for stmt in body:
            prev = out[-1] if out else None
            if (
                isinstance(stmt, cst.SimpleStatementLine)
                and isinstance(prev, cst.SimpleStatementLine)
                and not stmt.leading_lines
                and chosen()
            ):
                out[-1] = prev.with_changes(body=[*prev.body, *stmt.body])
            else:
                out.append(stmt)
        return out

    return cst.parse_module(text).visit(Compact()).code


def every_call(seed: str, step: Step, compact: int = 0) -> str:
    """The seed with ``step`` applied around each of its own calls in turn (the steps
    that keep it valid; not around the calls a template brings): one program that puts
    every call of a rule example in one shape."""
    tree = ast.parse(seed)
    originals = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    for k, call in enumerate(originals):
        setattr(call, ORIGINAL, k)
    for k in range(len(originals)):
        candidate = copy.deepcopy(tree)
        node = next((n for n in ast.walk(candidate) if getattr(n, ORIGINAL, None) == k), None)
        if node is None:
            continue
        for sub in ast.walk(candidate):
            sub.__dict__.pop(MARK, None)
        setattr(node, MARK, True)
        candidate = apply(candidate, step)
        if candidate is not None and _valid_tree(candidate):
            tree = candidate
    text = ast.unparse(ast.fix_missing_locations(tree)) + "\n"
    return concrete(text, compact)


def apply(tree: ast.Module, step: Step) -> Optional[ast.Module]:
    kind, a, b = step
    if kind == "expr":
        return wrap_target(tree, a)
    if kind == "stmt":
        return wrap_target_statement(tree, a, b)
    names = sorted(MUTATIONS)
    return MUTATIONS[names[a % len(names)]](tree, b)


def _marked(tree: ast.AST) -> Optional[ast.AST]:
    for node in ast.walk(tree):
        if getattr(node, MARK, False):
            return node
    return None


def _unmarked_copy(node: ast.AST) -> ast.AST:
    clone = copy.deepcopy(node)
    for sub in ast.walk(clone):
        sub.__dict__.pop(MARK, None)
        sub.__dict__.pop(ORIGINAL, None)
    return clone


def _locations(tree: ast.AST) -> Dict[int, Hole]:
    out: Dict[int, Hole] = {}
    for node in ast.walk(tree):
        for field, value in ast.iter_fields(node):
            if isinstance(value, ast.AST):
                out[id(value)] = (node, field, None)
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, ast.AST):
                        out[id(item)] = (node, field, i)
    return out


def _first_then_copies(node: ast.AST) -> Callable[[], ast.AST]:
    """The template's first hole gets ``node`` itself, any other hole a copy."""
    used = []

    def value() -> ast.AST:
        if used:
            return _unmarked_copy(node)
        used.append(True)
        return node

    return value


def wrap_target(tree: ast.Module, index: int) -> Optional[ast.Module]:
    node = _marked(tree)
    where = _locations(tree).get(id(node)) if node is not None else None
    if node is None or where is None or not isinstance(node, ast.expr):
        return None
    new = _fill(_template(EXPRESSION_TEMPLATES[index % len(EXPRESSION_TEMPLATES)]), E, _first_then_copies(node))
    node.__dict__.pop(MARK, None)
    setattr(new, MARK, True)
    _replace(where, new)
    return tree


def wrap_target_statement(tree: ast.Module, index: int, level: int) -> Optional[ast.Module]:
    """Wrap the statement ``level`` statements above the target (the innermost one at
    level 0) in a block template."""
    node = _marked(tree)
    if node is None:
        return None
    locations = _locations(tree)
    enclosing: List[Tuple[ast.stmt, Hole]] = []
    current: ast.AST = node
    while id(current) in locations:
        where = locations[id(current)]
        if isinstance(current, ast.stmt) and where[2] is not None:
            enclosing.append((current, where))
        current = where[0]
    if not enclosing:
        return None
    stmt, (parent, field, i) = enclosing[min(level, len(enclosing) - 1)]
    block = _fill(_template(BLOCK_TEMPLATES[index % len(BLOCK_TEMPLATES)], "exec"), S, _first_then_copies(stmt))
    body = getattr(parent, field)
    setattr(parent, field, body[:i] + block.body + body[i + 1:])  # type: ignore[attr-defined]
    return tree


def _valid(source: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "'str' object is not callable" and the like
            compile(source, "<shape>", "exec", dont_inherit=True)  # bytecode only, never run
    except (SyntaxError, ValueError, RecursionError):
        return False
    return True


def _valid_tree(tree: ast.Module) -> bool:
    try:
        source = ast.unparse(ast.fix_missing_locations(tree))
    except (ValueError, RecursionError, AttributeError):
        return False
    return _valid(source)


# --------------------------------------------------------------------------- holes
Hole = Tuple[ast.AST, str, Optional[int]]
#: nodes whose expressions stay as they are: f-string internals, match patterns (3.10+)
_NOT_INTO: Tuple[type, ...] = (ast.JoinedStr, ast.expr_context) + ((ast.pattern,) if hasattr(ast, "pattern") else ())


def _expression_holes(tree: ast.AST) -> List[Hole]:
    """Places holding an expression that is read (not assigned or deleted), outside
    f-string internals and match patterns."""
    out: List[Hole] = []
    for node in ast.walk(tree):
        if isinstance(node, _NOT_INTO):
            continue
        for field, value in ast.iter_fields(node):
            if isinstance(value, ast.expr) and _readable(value):
                out.append((node, field, None))
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, ast.expr) and _readable(item):
                        out.append((node, field, i))
    return out


def _readable(node: ast.expr) -> bool:
    ctx = getattr(node, "ctx", None)
    return not isinstance(ctx, (ast.Store, ast.Del)) and not isinstance(node, ast.Starred)


def _bodies(tree: ast.AST) -> List[Tuple[ast.AST, str]]:
    """Statement lists (module, def, class, loop, if, with, try bodies)."""
    out = []
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            value = getattr(node, field, None)
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                out.append((node, field))
    return out


def _pick(items: Sequence, choice: int):
    return items[choice % len(items)] if items else None


def _template(text: str, mode: str = "eval") -> ast.AST:
    tree = ast.parse(text, mode=mode)
    return tree.body if mode == "eval" else tree


def _fill(template: ast.AST, hole: str, value: Callable[[], object]) -> ast.AST:
    """Replace every ``Name(hole)`` expression (or ``Expr(Name(hole))`` statement) of the
    template by a fresh copy of ``value()``."""

    class Fill(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            return value() if node.id == hole else node  # type: ignore[return-value]

        def visit_Expr(self, node: ast.Expr) -> object:
            if isinstance(node.value, ast.Name) and node.value.id == hole:
                return value()
            self.generic_visit(node)
            return node

    return Fill().visit(template)


def _replace(hole: Hole, new: ast.AST) -> None:
    parent, field, index = hole
    if index is None:
        setattr(parent, field, new)
    else:
        getattr(parent, field)[index] = new


def _current(hole: Hole) -> ast.AST:
    parent, field, index = hole
    value = getattr(parent, field)
    return value if index is None else value[index]


# --------------------------------------------------------------------------- mutations
def wrap_statements(tree: ast.Module, choice: int) -> Optional[ast.Module]:
    """Wrap one to three consecutive statements of some body in a block template."""
    where = _pick(_bodies(tree), choice)
    if where is None:
        return None
    node, field = where
    body: List[ast.stmt] = getattr(node, field)
    start = (choice // 5) % len(body)
    stop = min(len(body), start + 1 + (choice // 11) % 3)
    inner = body[start:stop]
    text = BLOCK_TEMPLATES[(choice // 13) % len(BLOCK_TEMPLATES)]
    used: List[bool] = []

    def value() -> List[ast.stmt]:
        if used:
            return [_unmarked_copy(n) for n in inner]  # type: ignore[misc]
        used.append(True)
        return inner

    block = _fill(_template(text, "exec"), S, value)
    setattr(node, field, body[:start] + block.body + body[stop:])  # type: ignore[attr-defined]
    return tree


def make_async(tree: ast.Module, choice: int) -> Optional[ast.Module]:
    """A def becomes ``async def``; a loop, ``with`` or comprehension becomes async."""
    kinds = (ast.FunctionDef, ast.For, ast.With, ast.comprehension)
    nodes = [n for n in ast.walk(tree) if isinstance(n, kinds)]
    node = _pick(nodes, choice)
    if node is None:
        return None
    if isinstance(node, ast.comprehension):
        node.is_async = 1
        return tree
    target = {ast.FunctionDef: ast.AsyncFunctionDef, ast.For: ast.AsyncFor, ast.With: ast.AsyncWith}[type(node)]
    fields = {f: getattr(node, f) for f in node._fields if hasattr(node, f)}
    new = target(**fields)
    ast.copy_location(new, node)
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if isinstance(value, list) and any(v is node for v in value):
                setattr(parent, field, [new if v is node else v for v in value])
    return tree


def decorate(tree: ast.Module, choice: int) -> Optional[ast.Module]:
    nodes = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    node = _pick(nodes, choice)
    if node is None:
        return None
    text = DECORATORS[(choice // 3) % len(DECORATORS)]
    node.decorator_list.insert(0, _template(text))
    return tree


def spread_arguments(tree: ast.Module, choice: int) -> Optional[ast.Module]:
    """``f(a, k=v)`` -> ``f(*[a], *_more, **{'k': v}, **_extra)`` (one of those)."""
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    call = _pick(calls, choice)
    if call is None:
        return None
    how = (choice // 3) % 4
    if how == 0 and call.args and not isinstance(call.args[0], ast.Starred):
        call.args[0] = ast.Starred(ast.List([call.args[0]], ast.Load()), ast.Load())
    elif how == 1:
        call.args.append(ast.Starred(ast.Name("_more", ast.Load()), ast.Load()))
    elif how == 2 and call.keywords and call.keywords[0].arg:
        kw = call.keywords[0]
        call.keywords[0] = ast.keyword(None, ast.Dict([ast.Constant(kw.arg)], [kw.value]))
    else:
        call.keywords.append(ast.keyword(None, ast.Name("_extra", ast.Load())))
    return tree


def unpack_assignment(tree: ast.Module, choice: int) -> Optional[ast.Module]:
    """``x = v`` -> ``x, *_rest = v, _pad`` / ``x = _y = v`` / ``x: _T = v`` / walrus."""
    assigns = [n for n in ast.walk(tree) if isinstance(n, ast.Assign) and len(n.targets) == 1]
    node = _pick(assigns, choice)
    if node is None:
        return None
    how = (choice // 3) % 3
    if how == 0:
        node.targets = [ast.Tuple([node.targets[0], ast.Starred(ast.Name("_rest", ast.Store()), ast.Store())], ast.Store())]
        node.value = ast.Tuple([node.value, ast.Name("_pad", ast.Load())], ast.Load())
    elif how == 1:
        node.targets.append(ast.Name("_y", ast.Store()))
    else:
        node.value = ast.NamedExpr(ast.Name("_w", ast.Store()), node.value)
    return tree


MUTATIONS: Dict[str, Callable[[ast.Module, int], Optional[ast.Module]]] = {
    "wrap_statements": wrap_statements,
    "make_async": make_async,
    "decorate": decorate,
    "spread_arguments": spread_arguments,
    "unpack_assignment": unpack_assignment,
}
