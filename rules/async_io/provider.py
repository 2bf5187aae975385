"""The FFT1xx fact provider: which calls of project functions block, for the facts layer.

Summarising a project function, each of its calls is matched against the blocking-call
catalog (``blocking_calls.yaml`` plus the user's ``blocking-calls``), with the same
exceptions the LibCST rules make: calls in the body of a ``try`` that handles
``BlockingIOError`` (non-blocking I/O by design), ``x.acquire()`` on an object the same
function has just made, ``sock.recv()`` after ``sock.setblocking(False)``, literal
``block=False``-style arguments, name look-ups of literal IP addresses; ``json.load(fh)``
blocks when ``fh`` is an open file; ``for line in fh`` reads it. Awaited calls never block.

Searching the call graph (FFT106), a callee the project resolves further
(``from .db import session`` then ``session.get()``) is matched again. A chain does not go
through ``async def`` functions (calling one only makes a coroutine), nor through sync
functions decorated with an offload wrapper (``asgiref.sync.sync_to_async``, your
``offload-wrappers``): they run in a worker thread. Nor does it go through a call under a
lazy-initialisation guard on state of the process (``global _store`` then ``if _store
is None: _store = make(); configure(uri)``, or a class attribute; see
:mod:`fftlint.facts.guards`): that work is done by the first call only, and a blocking
call directly in such a body is not an effect of the function either. A call after the
guard, under an ``if X is None:`` whose body never sets ``X``, under a test of a local
or parameter (``if store is None: store = get_store()`` runs on every call without one)
or of ``self.x`` (once per instance, and the instance may be made per call) still counts.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any, FrozenSet, Optional, Set

from fftlint.facts.guards import ONCE_PER_PROCESS, once_guarded_in
from fftlint.facts.provider import Effect, Provider
from fftlint.facts.values import single

from .catalog import WOULD_BLOCK_ERRORS, AsyncIOOptions, Catalog, catalog_for, options_of

if TYPE_CHECKING:  # pragma: no cover
    from fftlint.facts.project import ProjectFacts
    from fftlint.facts.summary import CallFacts, CallSite, FunctionFacts, FunctionView, IterationSite

NAME = "blocking"
OFFLOADED = "offloaded"
#: call notes (see :meth:`BlockingProvider.notes`)
WOULD_BLOCK = "in-would-block-try"
FRESH = "receiver-just-made"
SWITCHED = "receiver-switched-to-nonblocking"


class BlockingProvider(Provider):
    name = NAME

    def __init__(self, options: Any = None) -> None:
        super().__init__(options)
        self.catalog: Catalog = catalog_for(options_of(options) if isinstance(options, AsyncIOOptions) else None)

    def summary_digest(self) -> str:
        return self.catalog.fingerprint

    # -- summary time ---------------------------------------------------------------
    def effect(self, site: "CallSite") -> Optional[Effect]:
        if site.awaited:
            return None
        catalog = self.catalog
        canonical = site.canonical
        if canonical is None:
            return None
        if id(site.node) in _would_block_calls(site.function) or id(site.node) in once_guarded_in(site.function, process_wide=True):
            return None
        match = catalog.match(canonical, lambda: site.args)
        position = catalog.file_argument(canonical)
        if match is None and position is not None:
            arg = site.argument(position, ("fp", "stream", "file"))
            if arg is not None:
                match = catalog.consumes_file(canonical, single(site.values_of(arg)))
        if match is None:
            return None
        if match.normalized in catalog.free_when_fresh and _made_before(site.function, site.node):
            return None
        if _switched_before(site.function, site.node, catalog.switch_of(match.normalized)):
            return None
        return Effect(NAME, match.kind, match.display, site.node.lineno, site.node.col_offset)

    def iteration_effect(self, site: "IterationSite") -> Optional[Effect]:
        if not isinstance(site.iterable, (ast.Name, ast.Attribute)):
            return None
        found = self.catalog.iterates_file(single(site.values))
        if found is None:
            return None
        return Effect(NAME, found.kind, found.display, site.line, site.column)

    def marks(self, function: "FunctionView") -> FrozenSet[str]:
        for values in function.decorator_values():
            if any(isinstance(v, str) and self.catalog.is_wrapper(v) for v in values):
                return frozenset((OFFLOADED,))
        return frozenset()

    def notes(self, site: "CallSite") -> FrozenSet[str]:
        out = set()
        if id(site.node) in _would_block_calls(site.function):
            out.add(WOULD_BLOCK)
        if _made_before(site.function, site.node):
            out.add(FRESH)
        if _switched_before(site.function, site.node, self._all_switches):
            out.add(SWITCHED)
        if id(site.node) in once_guarded_in(site.function, process_wide=True):
            out.add(ONCE_PER_PROCESS)
        return frozenset(out)

    @property
    def _all_switches(self) -> FrozenSet[Any]:
        found = self.__dict__.get("_switches")
        if found is None:
            found = self.__dict__["_switches"] = frozenset(pair for pairs in self.catalog.switches.values() for pair in pairs)
        return found

    # -- search time ----------------------------------------------------------------
    def match(self, callee: str, call: "CallFacts", project: "ProjectFacts") -> Optional[Effect]:
        if call.awaited or WOULD_BLOCK in call.notes or ONCE_PER_PROCESS in call.notes:
            return None
        found = self.catalog.match(callee, lambda: call.args)
        if found is None:
            return None
        if found.normalized in self.catalog.free_when_fresh and FRESH in call.notes:
            return None
        if self.catalog.switch_of(found.normalized) and SWITCHED in call.notes:
            return None
        return Effect(NAME, found.kind, found.display, call.line, call.column)

    def match_iteration(self, iterable: str, site: "CallFacts", project: "ProjectFacts") -> Optional[Effect]:
        found = self.catalog.iterates_file(iterable)
        if found is None:
            return None
        return Effect(NAME, found.kind, found.display, site.line, site.column)

    def follows(self, call: "CallFacts", target: "FunctionFacts") -> bool:
        return not call.awaited and not target.is_async and OFFLOADED not in target.marks and ONCE_PER_PROCESS not in call.notes


# --------------------------------------------------------------------------- syntax checks
def _dotted(node: ast.AST) -> Optional[str]:
    from fftlint.analysis.names import ast_dotted

    return ast_dotted(node)


def _literal(node: ast.AST) -> Optional[str]:
    from fftlint.facts.summary import _literal as literal

    return literal(node)


def _would_block_calls(function: "FunctionView") -> Set[int]:
    """Calls in the body of a ``try`` that handles ``BlockingIOError`` (non-blocking I/O
    by design: they are still followed as calls, never matched as blocking)."""
    found = function.memo.get("would_block")
    if found is not None:
        return found
    out: Set[int] = set()
    for node in function.nodes:
        if not isinstance(node, ast.Try):
            continue
        names = []
        for handler in node.handlers:
            types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            for t in types:
                if t is not None:
                    names.append(_dotted(t) or "")
        if any(n.replace("builtins.", "", 1) in WOULD_BLOCK_ERRORS for n in names):
            for stmt in node.body:
                out.update(id(sub) for sub in ast.walk(stmt) if isinstance(sub, ast.Call))
    function.memo["would_block"] = out
    return out


def _receivers(function: "FunctionView") -> Any:
    """Per function, once: where each receiver (a name or ``self.attr``) is first
    assigned the result of a call, and where it is first switched to non-blocking mode
    (``sock.setblocking(False)``), as ``(line, column)``."""
    found = function.memo.get("receivers")
    if found is None:
        made: dict = {}
        switched: dict = {}
        for node in function.nodes:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                at = (node.lineno, node.col_offset)
                for t in node.targets:
                    text = _dotted(t)
                    if text and (text not in made or at < made[text]):
                        made[text] = at
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
                text = _dotted(node.func.value)
                if text:
                    switched.setdefault(text, []).append(((node.lineno, node.col_offset), (node.func.attr, _literal(node.args[0]))))
        found = function.memo["receivers"] = (made, switched)
    return found


def _made_before(function: "FunctionView", call: ast.Call) -> bool:
    """``x.acquire()`` where an earlier statement of the function assigns ``x`` (a name
    or ``self.attr``) the result of a call: a new object that nobody else holds."""
    receiver = _dotted(call.func.value) if isinstance(call.func, ast.Attribute) else None
    if not receiver:
        return False
    first = _receivers(function)[0].get(receiver)
    return first is not None and first < (call.lineno, call.col_offset)


def _switched_before(function: "FunctionView", call: ast.Call, switches: Any) -> bool:
    """``sock.recv()`` after ``sock.setblocking(False)`` earlier in the same function."""
    if not switches or not isinstance(call.func, ast.Attribute):
        return False
    receiver = _dotted(call.func.value)
    if not receiver:
        return False
    at = (call.lineno, call.col_offset)
    return any(where < at and pair in switches for where, pair in _receivers(function)[1].get(receiver, ()))
