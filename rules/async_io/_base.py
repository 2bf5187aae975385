"""Shared machinery of the FFT1xx rules (not a rule itself: it has no code).

Each FFT1 rule reports one *kind* of catalog entry. The per-file work (resolving a
callee, matching it against the catalog, remembering which calls are awaited) is done
once per call and shared by all FFT1 rules of the run through :class:`FileState`.
"""

from __future__ import annotations

import ast
import re
from typing import Any, Callable, ClassVar, Dict, Iterator, Optional, Set, Tuple

import libcst as cst

from fftlint.analysis.names import dotted
from fftlint.engine.walk import descendants
from fftlint.rule import FileContext, FixSpec, Rule, replace
from fftlint.types import UNSAFE

from .catalog import (
    KIND_WORDS,
    OPTIONS_KEY,
    WOULD_BLOCK_ERRORS,
    Args,
    AsyncIOOptions,
    Catalog,
    Match,
    catalog_for,
    options_of,
)
from ._prefilter import possible_kinds
from .provider import BlockingProvider

def _literal(node: cst.BaseExpression) -> Optional[str]:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, (cst.Integer, cst.Float)):
        return node.value
    if isinstance(node, cst.Attribute):
        return dotted(node)
    if isinstance(node, cst.SimpleString) and not node.prefix.strip("rRuU"):
        value = node.evaluated_value
        return repr(value) if isinstance(value, str) else None
    return None




def _exception_names(ctx: FileContext, expr: Optional[cst.BaseExpression]) -> Iterator[str]:
    if isinstance(expr, cst.Tuple):
        for el in expr.elements:
            yield from _exception_names(ctx, el.value)
    elif expr is not None:
        name = ctx.names.resolve(expr) or ""
        yield name[len("builtins."):] if name.startswith("builtins.") else name


def is_constant_false(ctx: FileContext, test: cst.BaseExpression) -> bool:
    """``if 0:``, ``if False:``, ``if None:``, ``if TYPE_CHECKING:``: a body that never runs."""
    if isinstance(test, cst.Integer):
        return test.value in ("0", "0x0", "0o0", "0b0")
    if isinstance(test, cst.Name) and test.value in ("False", "None"):
        return True
    name = ctx.names.resolve(test) if isinstance(test, (cst.Name, cst.Attribute)) else None
    return name in ("typing.TYPE_CHECKING", "typing_extensions.TYPE_CHECKING") or (
        isinstance(test, cst.Name) and test.value == "TYPE_CHECKING" and name in (None, "TYPE_CHECKING")
    )


def quiet_region(ctx: FileContext) -> bool:
    """The current node is in code of its function that never runs (``if TYPE_CHECKING:``
    / ``if 0:``), or in the body of a ``try`` that handles ``BlockingIOError``."""
    statements = ctx.statements
    for i in range(len(statements) - 2, -1, -1):
        parent, child = statements[i], statements[i + 1]
        if isinstance(parent, cst.FunctionDef):
            return False
        if isinstance(parent, cst.If):
            if isinstance(parent.body, cst.IndentedBlock) and any(child is s for s in parent.body.body):
                if is_constant_false(ctx, parent.test):
                    return True
        elif isinstance(parent, cst.Try):
            if isinstance(parent.body, cst.IndentedBlock) and any(child is s for s in parent.body.body):
                for handler in parent.handlers:
                    if any(n in WOULD_BLOCK_ERRORS for n in _exception_names(ctx, handler.type)):
                        return True
    return False


#: builtins that iterate their argument at once
CONSUMERS = frozenset(("list", "tuple", "set", "frozenset", "sorted", "next", "sum", "any", "all", "dict", "max", "min", "enumerate"))


def stored_unconsumed(ctx: FileContext, node: cst.Call) -> bool:
    """A lazy iterator stored in a local (``it = root.rglob("*")``, also one branch of a
    conditional expression) that the function never iterates itself: the I/O happens
    wherever the iterator goes (typically a worker thread)."""
    stmt = ctx.statements[-1] if ctx.statements else None
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return False
    small = stmt.body[0]
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target: cst.BaseExpression = small.targets[0].target
    elif isinstance(small, cst.AnnAssign) and small.value is not None:
        target = small.target
    else:
        return False
    value = small.value
    while isinstance(value, cst.IfExp) and value is not node:
        value = value.body if _contains(value.body, node) else value.orelse
    if value is not node or not isinstance(target, cst.Name):
        return False
    func = ctx.stack.function
    if func is None:
        return False
    name = target.value
    for sub in walk_scope(func):
        iterated: Optional[cst.BaseExpression] = None
        if isinstance(sub, (cst.For, cst.CompFor)):
            iterated = sub.iter
        elif isinstance(sub, cst.Call) and isinstance(sub.func, cst.Name) and sub.func.value in CONSUMERS and sub.args:
            iterated = sub.args[0].value
        elif isinstance(sub, (cst.Yield)) and isinstance(sub.value, cst.From):
            iterated = sub.value.item
        if isinstance(iterated, cst.Name) and iterated.value == name:
            return False
    return True


def _contains(tree: cst.CSTNode, node: cst.CSTNode) -> bool:
    return tree is node or any(sub is node for sub in walk_scope(tree, into_scopes=True))


def walk_scope(node: cst.CSTNode, into_scopes: bool = False) -> Iterator[cst.CSTNode]:
    """Nodes below ``node``; without ``into_scopes``, not the bodies of nested functions,
    lambdas and classes. Pre-order, in source order."""
    return descendants(node, into_scopes=into_scopes)


def checked_done(ctx: FileContext, node: cst.Call) -> bool:
    """``fut.result()`` in the body of ``if fut.done():`` (also ``if a and fut.done():``)."""
    if not isinstance(node.func, cst.Attribute):
        return False
    text = dotted(node.func.value)
    statements = ctx.statements
    for i in range(len(statements) - 2, -1, -1):
        parent, child = statements[i], statements[i + 1]
        if isinstance(parent, cst.FunctionDef):
            return False
        if isinstance(parent, cst.If) and isinstance(parent.body, cst.IndentedBlock) and any(child is s for s in parent.body.body):
            tests = [parent.test]
            while tests:
                test = tests.pop()
                if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
                    tests.extend((test.left, test.right))
                elif (
                    isinstance(test, cst.Call)
                    and isinstance(test.func, cst.Attribute)
                    and test.func.attr.value == "done"
                    and text is not None
                    and dotted(test.func.value) == text
                ):
                    return True
    return False


def _earlier_in_function(ctx: FileContext, node: cst.Call, found: Callable[[cst.CSTNode, str], bool]) -> bool:
    """Whether, before ``node`` (a ``receiver.method()`` call) in the same function, some
    node satisfies ``found(node, receiver_text)``."""
    func = ctx.stack.function
    if func is None or not isinstance(node.func, cst.Attribute):
        return False
    text = dotted(node.func.value)
    if not text:
        return False
    for sub in walk_scope(func):
        if sub is node:
            return False  # reached the call first: anything later does not count
        if found(sub, text):
            return True
    return False


def made_before(ctx: FileContext, node: cst.Call) -> bool:
    """``x.method()`` where the same function assigns ``x`` (a name or ``self.attr``) the
    result of a call in an earlier statement: the object is new, nobody else holds it."""

    def assigns(sub: cst.CSTNode, text: str) -> bool:
        return isinstance(sub, cst.Assign) and isinstance(sub.value, cst.Call) and any(
            dotted(t.target) == text for t in sub.targets
        )

    return _earlier_in_function(ctx, node, assigns)


def switched_before(ctx: FileContext, node: cst.Call, switches: Any) -> bool:
    """``sock.recv()`` after ``sock.setblocking(False)`` earlier in the same function."""

    def switches_off(sub: cst.CSTNode, text: str) -> bool:
        return (
            isinstance(sub, cst.Call)
            and isinstance(sub.func, cst.Attribute)
            and bool(sub.args)
            and dotted(sub.func.value) == text
            and (sub.func.attr.value, _literal(sub.args[0].value)) in switches
        )

    return _earlier_in_function(ctx, node, switches_off)


def built_unbounded(ctx: FileContext, receiver: cst.BaseExpression) -> bool:
    """Every construction of ``receiver`` this file shows (``q = Queue()`` in the function
    or at module level, ``self.q = Queue()`` in the class) passes no ``maxsize`` (or 0):
    ``put`` on it never waits."""
    scopes: list = []
    attr: Optional[str] = None
    if isinstance(receiver, cst.Name):
        name = receiver.value
        if ctx.stack.function is not None:
            scopes.append(ctx.stack.function)
        scopes.append(ctx.module)
    elif isinstance(receiver, cst.Attribute) and isinstance(receiver.value, cst.Name):
        name, attr = receiver.value.value, receiver.attr.value
        scopes.extend(f.node for f in ctx.stack.frames if f.kind == "class")
    else:
        return False
    for scope in scopes:
        builds = []
        for sub in walk_scope(scope, into_scopes=attr is not None):
            if not isinstance(sub, (cst.Assign, cst.AnnAssign)) or not isinstance(sub.value, cst.Call):
                continue
            targets = [t.target for t in sub.targets] if isinstance(sub, cst.Assign) else [sub.target]
            for t in targets:
                if attr is None and isinstance(t, cst.Name) and t.value == name:
                    builds.append(sub.value)
                elif attr is not None and isinstance(t, cst.Attribute) and t.attr.value == attr and isinstance(t.value, cst.Name) and t.value.value in ("self", name):
                    builds.append(sub.value)
        if builds:
            return all(_no_maxsize(call) for call in builds)
    return False


def _no_maxsize(call: cst.Call) -> bool:
    for i, arg in enumerate(call.args):
        if arg.star:
            return False
        if (arg.keyword is None and i == 0) or (arg.keyword is not None and arg.keyword.value == "maxsize"):
            return isinstance(arg.value, cst.Integer) and arg.value.value == "0"
    return True


def call_args(node: cst.Call) -> Args:
    positional = tuple(_literal(a.value) for a in node.args if a.keyword is None and not a.star)
    keywords = {a.keyword.value: _literal(a.value) for a in node.args if a.keyword is not None}
    return positional, keywords


class FileState:
    """Per-file facts shared by every FFT1 rule instance."""

    def __init__(self, ctx: FileContext, catalog: Catalog) -> None:
        self.ctx = ctx
        self.catalog = catalog
        self.awaited: Set[int] = set()
        self.matches: Dict[int, Optional[Match]] = {}

    def is_awaited(self, node: cst.Call) -> bool:
        return id(node) in self.awaited

    def classify(self, node: cst.Call) -> Optional[Match]:
        """The catalog entry the call matches: its callee as the facts layer resolves it
        (imports, annotations, unions without ``None``, unpacking, ``with``, ``self.x``,
        values returned by project functions, the values of typed mappings:
        ``clients: dict[str, httpx.Client]`` then ``clients[k]`` / ``.get(k)`` / ``.values()``), then -- for a bare name imported with
        ``from m import *`` -- as ``m.name``; ``json.load(fh)`` with ``fh`` an open file."""
        key = id(node)
        if key in self.matches:
            return self.matches[key]
        names = self.ctx.names
        canonical = names.resolve(node.func)
        args = lambda: call_args(node)  # noqa: E731
        match = self.catalog.match(canonical, args) if canonical is not None else self._every(node, args)
        if match is None and canonical and "." not in canonical and isinstance(node.func, cst.Name):
            for module in names.star_modules():  # ``from time import *`` ... ``sleep(1)``
                match = self.catalog.match(f"{module}.{canonical}", args)
                if match is not None:
                    break
        position = self.catalog.file_argument(canonical)
        if match is None and position is not None:
            arg = _argument(node, position, ("fp", "stream", "file"))
            if arg is not None:
                match = self.catalog.consumes_file(canonical or "", names.resolve(arg))
        self.matches[key] = match
        return match


    def _every(self, node: cst.Call, args: Callable[[], Args]) -> Optional[Match]:
        """A callee that may be several things (``Path | None`` merged with
        ``MEDIA_ROOT / "x"``): a match only when every one of them is the same kind of
        blocking call."""
        found: Optional[Match] = None
        for value in self.ctx.names.values(node.func):
            if not isinstance(value, str) or value in ("?", "None"):
                continue
            match = self.catalog.match(value, args)
            if match is None or (found is not None and match.kind != found.kind):
                return None
            found = found or match
        return found


def _argument(node: cst.Call, position: int, keywords: Tuple[str, ...]) -> Optional[cst.BaseExpression]:
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value in keywords:
            return arg.value
    positional = [a for a in node.args if a.keyword is None and not a.star]
    return positional[position].value if len(positional) > position else None


def file_state(ctx: FileContext, options: Any) -> FileState:
    catalog = catalog_for(options_of(options))
    return ctx.shared(("fft1-state", catalog.fingerprint), lambda: FileState(ctx, catalog))


def callee_text(ctx: FileContext, node: cst.Call) -> str:
    return " ".join(ctx.code_for(node.func).split())


def module_uses(ctx: FileContext, library: str) -> bool:
    return ctx.names.module_binding(library) == library


def fix_position(ctx: FileContext, node: cst.Call) -> bool:
    """The call is a whole expression statement, or the whole value of an assignment or
    ``return``: wrapping it in ``await ...`` keeps the code's meaning and precedence."""
    stmt = ctx.statements[-1] if ctx.statements else None
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return False
    small = stmt.body[0]
    if isinstance(small, (cst.Expr, cst.Assign, cst.AnnAssign, cst.Return)):
        return small.value is node
    return False


def thread_affine(catalog: Catalog, normalized: Optional[str]) -> bool:
    """A normalized name the catalog's ``thread_affine`` section covers: a listed call, a
    call into a listed module, a method of (or the call that produces) an instance of a
    listed type, or such an instance itself (``"sqlite3.connect()"``)."""
    if not normalized:
        return False
    if normalized in catalog.thread_affine_calls or normalized.startswith(catalog.thread_affine_prefixes):
        return True
    head = normalized.split(".", 1)[0]
    if head.startswith("@") and head[1:] in catalog.thread_affine_types:
        return True
    tag = catalog.types.get(normalized) or catalog.types.get(normalized + "()")
    return tag in catalog.thread_affine_types


def uses_thread_affine(ctx: FileContext, catalog: Catalog, node: cst.Call, called: Optional[str]) -> bool:
    """The call creates or uses a thread-bound object: ``called`` (its normalized catalog
    name, or the last step of a helper's chain) is thread-affine, or its receiver or one of
    its arguments resolves to such an instance. Arguments whose value is unknown are not
    followed (a connection kept in a plain dict, say)."""
    if thread_affine(catalog, called):
        return True
    exprs = [a.value for a in node.args]
    if isinstance(node.func, cst.Attribute):
        exprs.append(node.func.value)
    for expr in exprs:
        if isinstance(expr, (cst.Name, cst.Attribute, cst.Call)):
            canonical = ctx.names.resolve(expr)
            if canonical and thread_affine(catalog, catalog.normalize(canonical)):
                return True
    return False


def to_thread_fix(
    ctx: FileContext, node: cst.Call, catalog: Optional[Catalog] = None, called: Optional[str] = None
) -> Optional[FixSpec]:
    """``f(*args, **kwargs)`` -> ``await asyncio.to_thread(f, *args, **kwargs)`` (unsafe);
    ``trio.to_thread.run_sync`` in a trio module (positional arguments only); no fix in
    an anyio module (its ``run_sync`` takes no keyword arguments and ``asyncio`` may not be
    the backend). No fix either for a call that creates or uses a thread-affine object
    (``catalog``'s ``thread_affine`` section; ``called``: the call's normalized name). The
    engine drops a fix whose import would be of the module's own package (``import
    asyncio`` inside ``asyncio/``)."""
    if not fix_position(ctx, node) or isinstance(node.func, cst.Lambda):
        return None
    if module_uses(ctx, "anyio"):
        return None
    if catalog is not None and uses_thread_affine(ctx, catalog, node, called):
        return None
    if module_uses(ctx, "trio"):
        if any(a.keyword is not None or a.star == "**" for a in node.args):
            return None
        runner: cst.BaseExpression = cst.parse_expression("trio.to_thread.run_sync")
        library = "trio"
    else:
        runner = cst.parse_expression("asyncio.to_thread")
        library = "asyncio"
    first = cst.Arg(node.func, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")) if node.args else cst.MaybeSentinel.DEFAULT)
    call = node.with_changes(func=runner, args=(first, *node.args), lpar=[], rpar=[])  # the edit is inside its parentheses
    new = cst.Await(expression=call)
    return replace(
        node,
        new,
        safety=UNSAFE,
        imports=[library],
        title=f"Run it in a worker thread: `await {ctx.module.code_for_node(runner)}(...)`",
    )


#: ``async def`` in the text (a line continuation may split it): needed before the node walk.
_ASYNC_DEF = re.compile(r"\basync[\s\\]+def\b")


class BlockingCallRule(Rule):
    """Base of the FFT1 rules that report one kind of catalog entry."""

    kind: ClassVar[str] = ""
    message = "`{callee}` blocks the event loop inside `async def {func}` ({what} call{note})"
    fix_title = "Run it in a worker thread: `await asyncio.to_thread(...)`"
    requires: ClassVar[Tuple[str, ...]] = ("async",)
    Options = AsyncIOOptions
    options_key = OPTIONS_KEY
    tags = ("performance", "async")
    providers = (BlockingProvider,)
    needs_project = True  # values returned by functions of other modules, their classes

    @classmethod
    def could_match(cls, view: Any) -> bool:
        """FFT1 rules report only inside an ``async def`` (half the files that mention
        ``async`` define none), and only where a call there can be of the rule's kind
        (see :mod:`._prefilter`: most coroutines never block)."""
        if not (_ASYNC_DEF.search(view.text) and view.has(ast.AsyncFunctionDef)):
            return False
        kinds = possible_kinds(view, view.options_for(cls))
        return cls.kind in kinds or "*" in kinds

    def state(self) -> FileState:
        state = self.__dict__.get("_state")
        if state is None:
            state = self.__dict__["_state"] = file_state(self.ctx, self.options)
        return state

    def visit_Await(self, node: cst.Await) -> None:
        self.state().awaited.add(id(node.expression))

    def visit_Call(self, node: cst.Call) -> None:
        if not self.ctx.stack.in_async_def:
            return
        state = self.state()
        if state.is_awaited(node):
            return
        match = state.classify(node)
        if match is None or match.kind != self.kind or quiet_region(self.ctx):
            return
        if match.normalized in state.catalog.lazy and stored_unconsumed(self.ctx, node):
            return
        if match.normalized in state.catalog.free_when_fresh and made_before(self.ctx, node):
            return
        if match.normalized in state.catalog.free_when_done and checked_done(self.ctx, node):
            return
        switches = state.catalog.switch_of(match.normalized)
        if switches and switched_before(self.ctx, node, switches):
            return
        if match.normalized in state.catalog.unbounded_put and isinstance(node.func, cst.Attribute):
            if built_unbounded(self.ctx, node.func.value):
                return
        self.report_match(node, match)

    def visit_For(self, node: cst.For) -> None:
        self._iteration(node.iter, node.asynchronous is not None)

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._iteration(node.for_in.iter, node.for_in.asynchronous is not None)

    visit_SetComp = visit_ListComp
    visit_DictComp = visit_ListComp
    visit_GeneratorExp = visit_ListComp

    def _iteration(self, iterable: cst.BaseExpression, asynchronous: bool) -> None:
        """``for line in fh`` over an open (sync) file: every step reads the disk."""
        if self.kind != "file" or asynchronous or not self.ctx.stack.in_async_def:
            return
        if not isinstance(iterable, (cst.Name, cst.Attribute)) or quiet_region(self.ctx):
            return
        match = self.state().catalog.iterates_file(self.ctx.names.resolve(iterable))
        if match is None:
            return
        callee = " ".join(self.ctx.code_for(iterable).split())
        self.report(
            iterable,
            callee=f"for ... in {callee}",
            what=KIND_WORDS[match.kind],
            func=self.ctx.stack.function_name,
            note=f": {match.display}",
            properties={"blocking_call": match.display, "kind": match.kind},
        )

    def report_match(self, node: cst.Call, match: Match) -> None:
        callee = callee_text(self.ctx, node)
        note = f": {match.display}" if match.display != callee else ""
        self.report(
            node,
            callee=callee,
            what=KIND_WORDS[match.kind],
            func=self.ctx.stack.function_name,
            note=note,
            fix=self.make_fix(node, match),
            properties={"blocking_call": match.display, "kind": match.kind},
        )

    def make_fix(self, node: cst.Call, match: Match) -> Optional[FixSpec]:
        return to_thread_fix(self.ctx, node, self.state().catalog, match.normalized)
