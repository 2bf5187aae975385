"""The FFT3xx fact provider: which project functions register a listener that piles up.

Summarising a project function, each call is matched against the listener catalog
(``listeners.yaml``) the way FFT301 matches it in place, for the entries a helper can hide:
a catalog call (``atexit.register``, ``sys.addaudithook``, ``warnings.filterwarnings``, ...)
and a catalog method on any receiver (``logger.addHandler``). Not counted, as FFT301 does
not count them:

* a registration the function guards (``if not logger.handlers:``, ``if
  logger.hasHandlers(): return``, a module-level flag, ``if name not in _seen:``) or
  releases (the function, or its class, names the entry's unregister call);
* a repeat the registry ignores: a handler that is not made fresh in the call (a
  module-level handler added again is a no-op), a ``dispatch_uid``-style keyword;
* per-resource clean-up (``atexit.register(os.remove, path)``);
* a registration on an object the function itself made (it dies with the function).

Receiver-typed entries (Django and blinker signals, pyee, Qt) are FFT301's alone: their
receivers must resolve to a signal type, which a helper's caller does not change.

A function memoized by a decorator (``functools.cache``, ``lru_cache``) registers once per
argument: chains do not go through it (:data:`CACHED`). Functions that are set-up code by
their name (``setup_logger``, ``configure_logging``, ``add_file_handler``, the
``setup-functions`` option) are marked :data:`SETUP`: FFT301 trusts them to run once,
FFT309 reports where repeated code calls them.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any, Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

from fftlint.analysis.names import ast_dotted
from fftlint.facts.guards import ONCE
from fftlint.facts.guards import once_guarded_in as _once_guarded_in
from fftlint.facts.provider import Effect, Provider
from fftlint.facts.values import NONE, UNKNOWN

from ._common import LeaksOptions, load_catalog
from .switched import STARRED, exit_marks, starred

if TYPE_CHECKING:  # pragma: no cover
    from fftlint.facts.project import ProjectFacts
    from fftlint.facts.summary import CallFacts, CallSite, FunctionFacts, FunctionView

NAME = "leaks"
CACHED = "memoized"
SETUP = "setup"

#: decorators that memoize: the body runs once per distinct argument
_CACHE_DECORATORS = frozenset(("cache", "lru_cache", "cached", "cached_property", "once"))


class LeaksProvider(Provider):
    name = NAME

    def __init__(self, options: Any = None) -> None:
        super().__init__(options)
        self.entries: List[Dict[str, Any]] = [e for e in load_catalog("listeners.yaml")["listeners"] if "receivers" not in e and "qt" not in e]
        self.calls: Dict[str, Dict[str, Any]] = {c: e for e in self.entries for c in e.get("calls", ())}
        self.methods: Dict[str, Dict[str, Any]] = {m: e for e in self.entries for m in e.get("methods", ())}
        self.by_last: Dict[str, List[Dict[str, Any]]] = {}
        for call, entry in self.calls.items():
            self.by_last.setdefault(call.rsplit(".", 1)[-1], []).append(entry)
        opts = options if isinstance(options, LeaksOptions) else LeaksOptions()
        self.setup_names: Sequence[str] = tuple(opts.setup_functions)

    def summary_digest(self) -> str:
        return "leaks-3:" + ",".join(self.setup_names)

    # -- summary time ---------------------------------------------------------------
    def project_facts(self, files: Sequence[str], cache: Any = None) -> FrozenSet[str]:
        """The catalog's registration words some project file contains (a pre-check:
        with none, no project function registers anything)."""
        from fftlint.filememo import memo_of

        words = self.words()
        memo = memo_of(cache)  # the run's file memo: remembered by content hash
        salt = ",".join(sorted(words))
        seen: Set[str] = set()
        for path in files:
            if len(seen) == len(words):
                break
            try:
                if memo is not None:
                    seen |= memo.derived("leaks-words", path, lambda data: frozenset(w for w in words if w.encode() in data), salt)
                    continue
                with open(path, "rb") as fh:
                    data = fh.read()
            except OSError:
                return frozenset(words)  # unknown: it may say anything
            seen.update(w for w in words if w not in seen and w.encode() in data)
        return frozenset(seen)

    def digest(self) -> str:
        facts = getattr(self, "facts", None)
        return self.summary_digest() + ":" + ",".join(sorted(facts or ()))

    def words(self) -> FrozenSet[str]:
        return frozenset({c.rsplit(".", 1)[-1] for c in self.calls} | set(self.methods))

    def marks(self, function: "FunctionView") -> FrozenSet[str]:
        from .registration_helper_per_call import helper_by_name

        out: Set[str] = set()
        for deco in getattr(function.node, "decorator_list", ()):
            target = deco.func if isinstance(deco, ast.Call) else deco
            if (ast_dotted(target) or "").rsplit(".", 1)[-1] in _CACHE_DECORATORS:
                out.add(CACHED)
        if helper_by_name(getattr(function.node, "name", ""), self.setup_names):
            out.add(SETUP)
        # `if disabled: return` on a parameter: what a constant argument switches off
        out |= exit_marks(function.node, function.scope.self_param is not None)
        return frozenset(out)

    def effect(self, site: "CallSite") -> Optional[Effect]:
        if site.awaited:
            return None
        entry, receiver = self._entry(site.canonical, site.node)
        if entry is None or _excused(entry, site, receiver):
            return None
        return Effect(NAME, str(entry["id"]), _display(site.node, site.canonical), site.node.lineno, site.node.col_offset)

    # -- search time ---------------------------------------------------------------
    def match(self, callee: Any, call: "CallFacts", project: "ProjectFacts") -> Optional[Effect]:
        """A call the project resolved further (``from .compat import register``): only
        catalog calls, the syntax checks having been made where the call was read."""
        if not isinstance(callee, str) or callee in (UNKNOWN, NONE) or call.kind != "call":
            return None
        entry = self.calls.get(callee)
        if entry is None or f"{EXCUSED}:{entry['id']}" in call.notes:
            return None
        positional, keywords = call.args
        if entry.get("per_resource_cleanup") and (len(positional) > 1 or keywords):
            return None
        return Effect(NAME, str(entry["id"]), callee, call.line, call.column)

    def notes(self, site: "CallSite") -> FrozenSet[str]:
        """For a call that may resolve to a catalog call only once the project is at hand
        (``from .compat import register``; its last name is a catalog call's): the catalog
        entries whose syntax checks excuse it, for :meth:`match`. For any call under a
        lazy-initialisation guard: :data:`ONCE` (chains do not go through it)."""
        out: Set[str] = {ONCE} if id(site.node) in _once_guarded_in(site.function) else set()
        if starred(site.node):
            out.add(STARRED)  # `f(*args, **kw)`: what it passes to `f`'s switches is unknown
        func = site.node.func
        last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        for e in self.by_last.get(last, ()):
            if _excused(e, site, None):
                out.add(f"{EXCUSED}:{e['id']}")
        return frozenset(out)

    def follows(self, call: "CallFacts", target: "FunctionFacts") -> bool:
        if CACHED in target.marks:
            return False  # memoized: it registers once per argument
        if ONCE in call.notes:
            return False  # `if _store is None: _store = make()`: runs once per process
        return call.awaited or not target.is_async  # an un-awaited coroutine runs nothing

    # -- helpers ----------------------------------------------------------------------
    def _entry(self, canonical: Optional[str], node: ast.Call) -> "Tuple[Optional[Dict[str, Any]], Optional[ast.AST]]":
        if canonical is not None:
            entry = self.calls.get(canonical)
            if entry is not None:
                return entry, None
        func = node.func
        if isinstance(func, ast.Attribute):
            entry = self.methods.get(func.attr)
            if entry is not None:
                return entry, func.value
        return None, None


EXCUSED = "registration-excused"


def _display(node: ast.Call, canonical: Optional[str]) -> str:
    text = ast_dotted(node.func)
    return text or canonical or "call"


# --------------------------------------------------------------------------- syntax checks
def _excused(entry: Dict[str, Any], site: "CallSite", receiver: Optional[ast.AST]) -> bool:
    """What FFT301 does not count, read on the ``ast`` of the function."""
    node = site.node
    function = site.function
    keywords = {k.arg for k in node.keywords if k.arg}
    if keywords & set(entry.get("dedup_keywords", ())):
        return True
    if _released(entry, function):
        return True
    if receiver is not None and _receiver_is_local(entry, site, receiver):
        return True
    if entry.get("dedup") == "argument" and not _fresh_argument(entry, site):
        return True  # the same object registered again: the registry ignores it
    if entry.get("per_resource_cleanup") and _per_resource(node):
        return True
    return _guarded(function, node, receiver)


def _argument(entry: Dict[str, Any], node: ast.Call) -> Optional[ast.AST]:
    keyword = entry.get("argument_keyword")
    for kw in node.keywords:
        if keyword and kw.arg == keyword:
            return kw.value
    position = int(entry.get("argument", 0))
    positional = [a for a in node.args if not isinstance(a, ast.Starred)]
    return positional[position] if len(positional) > position else None


def _fresh_argument(entry: Dict[str, Any], site: "CallSite") -> bool:
    """The registered object is made by this call of the function: a constructor call,
    a lambda, or a local name bound to a new instance."""
    arg = _argument(entry, site.node)
    if arg is None:
        return False
    if isinstance(arg, (ast.Call, ast.Lambda)):
        return True
    if isinstance(arg, ast.Name):
        if arg.id not in site.function.scope.locals or arg.id in _parameters(site.function):
            return False  # the caller's object, or a global: the same one every call
        return any(isinstance(v, str) and v.endswith("()") for v in site.values_of(arg))
    return False


def _parameters(function: "FunctionView") -> Set[str]:
    args = getattr(function.node, "args", None)
    if args is None:
        return set()
    return {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg) if a is not None}


def _per_resource(node: ast.Call) -> bool:
    """``atexit.register(os.remove, path)``, a fresh closure: one callback per resource."""
    if len(node.args) > 1 or node.keywords:
        return True
    return bool(node.args) and isinstance(node.args[0], (ast.Lambda, ast.Call))


def _receiver_is_local(entry: Dict[str, Any], site: "CallSite", receiver: ast.AST) -> bool:
    base = receiver
    while isinstance(base, (ast.Attribute, ast.Subscript)):
        base = base.value
    if isinstance(base, ast.Call):
        return _made_here(entry, site.values_of(base.func))
    if not isinstance(base, ast.Name):
        return True
    if base.id not in site.function.scope.locals or base.id in _parameters(site.function):
        return False  # a parameter's or a global's object outlives the call
    values = site.values_of(base)
    return bool(values) and all(isinstance(v, str) and v.endswith("()") for v in values) and _made_here(
        entry, frozenset(v[:-2] for v in values if isinstance(v, str))
    )


def _made_here(entry: Dict[str, Any], callee: Any) -> bool:
    factories = set(entry.get("global_factories", ()))
    named = [v for v in callee if isinstance(v, str) and v not in (UNKNOWN, NONE)]
    return bool(named) and not any(v in factories for v in named)


def _attribute_names(function: "FunctionView") -> Set[str]:
    found = function.memo.get("leaks.attrs")
    if found is None:
        found = set()
        for node in ast.walk(function.node):
            if isinstance(node, ast.Attribute):
                found.add(node.attr)
            elif isinstance(node, ast.Name):
                found.add(node.id)
        function.memo["leaks.attrs"] = found
    return found


def _released(entry: Dict[str, Any], function: "FunctionView") -> bool:
    """The function, or the class it is a method of, names the entry's unregister call
    (``removeHandler``; ``handlers`` / ``hasHandlers`` for a logger it checks)."""
    unregister = set(entry.get("unregister") or ())
    if not unregister:
        return False
    if unregister & _attribute_names(function):
        return True
    cls = function.scope.cls
    if cls is not None:
        names = {n.attr for n in ast.walk(cls.node) if isinstance(n, ast.Attribute)}
        return bool(unregister & names)
    return False


def _parents(function: "FunctionView") -> Dict[int, ast.AST]:
    found = function.memo.get("leaks.parents")
    if found is None:
        found = {}
        for parent in ast.walk(function.node):
            for child in ast.iter_child_nodes(parent):
                found[id(child)] = parent
        function.memo["leaks.parents"] = found
    return found


def _guarded(function: "FunctionView", node: ast.Call, receiver: Optional[ast.AST]) -> bool:
    """FFT301's guards: an ``if`` around the registration whose test reads like a "not
    yet" check, or an earlier ``if ...: return`` that reads like a "done already" one."""
    from .listener_per_call import GUARD_WORDS

    parents = _parents(function)
    receiver_text = ast_dotted(receiver) if receiver is not None else None
    if receiver_text == "self":
        receiver_text = None
    global_names = {n for stmt in ast.walk(function.node) if isinstance(stmt, (ast.Global, ast.Nonlocal)) for n in stmt.names}
    child: ast.AST = node
    current = parents.get(id(node))
    while current is not None and current is not function.node:
        if isinstance(current, ast.If) and _inside(child, current.body) and _guard_test(current.test, receiver_text, global_names, True, GUARD_WORDS):
            return True
        for block in _blocks(current):
            if child in block:
                for sibling in block[: block.index(child)]:
                    if isinstance(sibling, ast.If) and _exits(sibling) and _guard_test(sibling.test, receiver_text, global_names, False, GUARD_WORDS):
                        return True
        child, current = current, parents.get(id(current))
    for sibling in _before(function.node.body, child):
        if isinstance(sibling, ast.If) and _exits(sibling) and _guard_test(sibling.test, receiver_text, global_names, False, GUARD_WORDS):
            return True
    return False


def _inside(child: ast.AST, body: Sequence[ast.AST]) -> bool:
    return any(child is stmt for stmt in body)


def _before(body: Sequence[ast.AST], child: ast.AST) -> List[ast.AST]:
    for i, stmt in enumerate(body):
        if stmt is child:
            return list(body[:i])
    return []


def _blocks(stmt: ast.AST) -> List[List[ast.AST]]:
    out = []
    for name in ("body", "orelse", "finalbody"):
        block = getattr(stmt, name, None)
        if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
            out.append(block)
    for handler in getattr(stmt, "handlers", ()) or ():
        out.append(handler.body)
    return out


def _exits(node: ast.If) -> bool:
    last = node.body[-1] if node.body else None
    return isinstance(last, (ast.Return, ast.Raise, ast.Continue))


def _guard_test(test: ast.AST, receiver_text: Optional[str], global_names: Set[str], negation: bool, guard_words: Sequence[str]) -> bool:
    for sub in ast.walk(test):
        if negation and isinstance(sub, ast.UnaryOp) and isinstance(sub.op, ast.Not):
            return True
        if isinstance(sub, ast.Compare):
            for op, right in zip(sub.ops, sub.comparators):
                if isinstance(op, (ast.In, ast.NotIn)):
                    return True
                if isinstance(op, (ast.Is, ast.IsNot)) and isinstance(right, ast.Constant) and right.value is None:
                    return True
        if isinstance(sub, ast.Name) and sub.id in global_names:
            return True
    try:
        text = ast.unparse(test)
    except Exception:  # noqa: BLE001 - ast.unparse is 3.9+; odd trees stay unguarded
        return False
    if receiver_text and receiver_text in text:
        return True
    lowered = text.lower()
    return any(word in lowered for word in guard_words)
