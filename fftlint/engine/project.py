"""The project index: cross-file facts, built once per run before workers start.

For FFT106 (blocking calls through helpers) every module gets a *summary*, computed with
the stdlib :mod:`ast` parser (~13x faster than LibCST): for each module-level function and
class method, its qualified name, the blocking calls it makes directly (resolved through
the file's imports with the FFT1 catalog), and the calls it makes that may land on project
functions. The index answers "does calling this sync function block, and through which
chain?" with a transitive closure that is cycle-safe and depth-capped.

Everything here is plain picklable data. Summaries are keyed by the file's content hash
(plus the catalog fingerprint) in an optional cache with the interface
``cache.get(namespace, key) -> Optional[Any]`` / ``cache.put(namespace, key, value)``.
"""

from __future__ import annotations

import ast
import hashlib
import os
import sys
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Sequence, Set, Tuple

from fftlint.analysis.blocking import Args, Catalog
from fftlint.analysis.names import ast_dotted, resolve_relative

SUMMARY_VERSION = "6"
CACHE_NAMESPACE = "fft1-summary"
MAX_DEPTH = 8
LOCAL = ""


# --------------------------------------------------------------------------- data
@dataclass(frozen=True)
class Blocking:
    display: str  # catalog name, e.g. "open" or "requests.Session().get"
    kind: str
    line: int


@dataclass(frozen=True)
class FunctionSummary:
    qualname: str  # "pkg.mod.func" / "pkg.mod.Class.method"
    short: str  # "func" / "Class.method"
    line: int
    is_async: bool = False
    offloaded: bool = False  # decorated with an offload wrapper: calling it does not block
    blocking: Tuple[Blocking, ...] = ()
    calls: Tuple[Tuple[str, int], ...] = ()  # (canonical callee, line), possibly project functions
    returns: str = ""  # canonical name of the return annotation's class ("pkg.db.Repo")


@dataclass(frozen=True)
class ModuleSummary:
    module: str
    path: str
    functions: Tuple[FunctionSummary, ...] = ()
    classes: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()  # (qualname, base canonicals)
    aliases: Tuple[Tuple[str, str], ...] = ()  # ("pkg.name", canonical target) for re-exports
    imports: Tuple[str, ...] = ()  # canonical names the module imports (for reachability)


@dataclass
class ProjectIndex:
    """Summaries of a project's modules, and the blocking-chain query over them."""

    modules: Dict[str, ModuleSummary] = field(default_factory=dict)
    functions: Dict[str, FunctionSummary] = field(default_factory=dict)
    classes: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    aliases: Dict[str, str] = field(default_factory=dict)
    catalog: Optional[Catalog] = None  # to re-match callees reached through re-exports
    #: Other families' project facts (built by ``fftlint.api.build_project`` when their
    #: rules are selected): the ORM model index (FFT2xx) and schema facts (FFT5xx).
    orm_models: Any = None
    schema_facts: Any = None
    #: Where summaries come from on demand (:func:`build_index`); None: only what was added.
    source: Optional["ModuleSource"] = field(default=None, repr=False, compare=False)
    _chains: Dict[str, Optional[Tuple[Tuple[str, ...], str]]] = field(default_factory=dict, repr=False)
    _steps: Dict[str, Tuple[Tuple[str, str, int], ...]] = field(default_factory=dict, repr=False)

    def digest(self) -> str:
        """Changes whenever a summary (or the catalog) does: part of result-cache keys."""
        return digest_of(self)

    def digest_state(self) -> Tuple[Any, ...]:
        """What result-cache keys hash (``fftlint.cache.project_digest``): what the
        summaries are made from (every project file's content for a lazy index, else the
        summaries through their stable reprs; ``functions``/``classes``/``aliases`` are
        derived from them), the catalog, and the other families' facts."""
        fingerprint = self.catalog.fingerprint if self.catalog is not None else ""
        return (_summaries_digest(self), fingerprint, self.orm_models, self.schema_facts)

    # -- on-demand loading ------------------------------------------------------
    def _ensure(self, name: str) -> None:
        """Load the summaries of the project modules ``name`` may live in (``pkg.mod.f``:
        ``pkg`` and ``pkg.mod``). Every look-up below asks first, so a module is parsed
        only when a chain can pass through it."""
        source = self.source
        if source is None or name in source.ensured:
            return
        source.ensured.add(name)
        for module in _modules_of(name, source.by_module):
            if module not in source.tried:
                summary = source.load(module)
                if summary is not None:
                    self.add(summary)

    def has_module(self, module: str) -> bool:
        """Whether the index knows ``module`` (loading it when the project has it)."""
        if module not in self.modules and self.source is not None and module in self.source.by_module:
            self._ensure(module)
        return module in self.modules

    def add(self, summary: ModuleSummary) -> None:
        self.modules[summary.module] = summary
        for fn in summary.functions:
            self.functions[fn.qualname] = fn
        for qual, bases in summary.classes:
            self.classes[qual] = bases
        for name, target in summary.aliases:
            self.aliases[name] = target
        self._chains.clear()
        self._steps.clear()

    # -- lookups --------------------------------------------------------------------
    def lookup(self, name: str, _depth: int = 0) -> Optional[FunctionSummary]:
        """The project function a canonical callee refers to: follows re-exports
        (``from .config import load``), constructors (``Repo()`` -> ``Repo.__init__``),
        instance methods (``Repo().load`` -> ``Repo.load``) and base classes."""
        if _depth > MAX_DEPTH or not name:
            return None
        self._ensure(name)
        fn = self.functions.get(name)
        if fn is not None:
            return fn
        if name in self.classes:
            return self.lookup(name + ".__init__", _depth + 1)
        head, _, attr = name.rpartition(".")
        if not head:
            return None
        if head.endswith("()"):
            maker = self.functions.get(head[:-2])
            if maker is not None and maker.returns:  # ``default_repo().count`` -> ``Repo.count``
                return self.lookup(f"{maker.returns}.{attr}", _depth + 1)
            return self.lookup(f"{head[:-2]}.{attr}", _depth + 1)
        if head in self.classes:
            for base in self.classes[head]:
                found = self.lookup(f"{base}.{attr}", _depth + 1)
                if found is not None:
                    return found
            return None
        expanded = self.expand(name)
        if expanded != name:
            return self.lookup(expanded, _depth + 1)
        return None

    def expand(self, name: str) -> str:
        """Rewrite a re-exported prefix to where it is defined: with ``from .db import
        session`` in ``pkg/__init__.py``, ``pkg.session.get`` -> ``pkg.db.session.get``,
        and with ``session = requests.Session()`` in ``pkg/db.py`` ->
        ``requests.Session().get``."""
        for _ in range(MAX_DEPTH):
            self._ensure(name)
            target = self.aliases.get(name)
            if target is not None and target != name:
                name = target
                continue
            segments = name.split(".")
            for i in range(len(segments) - 1, 0, -1):
                prefix = ".".join(segments[:i])
                paren = "()" if prefix.endswith("()") else ""
                core = prefix[: -len(paren)] if paren else prefix
                target = self.aliases.get(core)
                if target is not None and target != core:
                    name = f"{target}{paren}.{'.'.join(segments[i:])}"
                    break
            else:
                return name
        return name

    def chain(self, name: str) -> Optional[Tuple[str, ...]]:
        """Shortest call chain from the project sync function ``name`` to a blocking call,
        as display names ending with the blocking callee; None when it does not block."""
        found = self.explain(name)
        return found[0] if found is not None else None

    def explain(self, name: str, caller: str = "") -> Optional[Tuple[Tuple[str, ...], str]]:
        """(chain, kind of the blocking call at its end), or None. ``caller``: the module
        the call is made from (a call from another package into a copy of the standard
        library is not followed: see :func:`crosses_into_stdlib`)."""
        start = self.lookup(name)
        if start is None or start.is_async or start.offloaded:
            return None
        if caller and crosses_into_stdlib(caller, start.qualname):
            return None
        key = start.qualname
        if key not in self._chains:
            self._chains[key] = self._search(start)
        return self._chains[key]

    def steps(self, name: str, caller: str = "") -> Tuple[Tuple[str, str, int], ...]:
        """Where each step of :meth:`explain`'s chain happens: ``(what, path, line)``
        for the call each helper makes to the next one, ending with the blocking call."""
        if self.explain(name, caller) is None:
            return ()
        start = self.lookup(name)
        return self._steps.get(start.qualname, ()) if start is not None else ()

    def path_of(self, fn: FunctionSummary) -> str:
        """The file that defines ``fn``."""
        parts = fn.qualname.split(".")
        for i in range(len(parts) - 1, 0, -1):
            summary = self.modules.get(".".join(parts[:i]))
            if summary is not None:
                return summary.path
        return ""

    def _search(self, start: FunctionSummary) -> Optional[Tuple[Tuple[str, ...], str]]:
        Step = Tuple[str, str, int]
        queue: "deque[Tuple[FunctionSummary, Tuple[str, ...], Tuple[Step, ...]]]" = deque([(start, (start.short,), ())])
        seen: Set[str] = {start.qualname}
        while queue:
            fn, path, steps = queue.popleft()
            if fn.blocking:
                first = fn.blocking[0]
                self._steps[start.qualname] = steps + ((f"`{fn.short}` calls `{first.display}`", self.path_of(fn), first.line),)
                return path + (first.display,), first.kind
            if len(path) >= MAX_DEPTH:
                continue
            for callee, line in fn.calls:
                if self.catalog is not None:
                    expanded = self.expand(callee)
                    match = self.catalog.match(expanded) if expanded != callee else None
                    if match is not None:
                        self._steps[start.qualname] = steps + ((f"`{fn.short}` calls `{match.display}`", self.path_of(fn), line),)
                        return path + (match.display,), match.kind
                target = self.lookup(callee)
                if target is None or target.is_async or target.offloaded or target.qualname in seen:
                    continue
                if crosses_into_stdlib(fn.qualname, target.qualname):
                    continue
                seen.add(target.qualname)
                queue.append((target, path + (target.short,), steps + ((f"`{fn.short}` calls `{target.short}`", self.path_of(fn), line),)))
        return None


def _stdlib_top_levels() -> FrozenSet[str]:
    names = getattr(sys, "stdlib_module_names", None)
    if names is not None:
        return frozenset(names)
    import sysconfig  # Python 3.9: the modules and packages of this interpreter's stdlib

    out = set(sys.builtin_module_names)
    root = sysconfig.get_paths()["stdlib"]
    try:
        entries = os.listdir(root)
    except OSError:  # pragma: no cover - no stdlib directory
        entries = []
    for entry in entries:
        if entry.endswith(".py"):
            out.add(entry[:-3])
        elif entry != "site-packages" and os.path.isfile(os.path.join(root, entry, "__init__.py")):
            out.add(entry)
    return frozenset(out)


STDLIB_TOP_LEVELS = _stdlib_top_levels()


def crosses_into_stdlib(caller: str, target: str) -> bool:
    """A call from one top-level package into a project module named like a top-level
    standard-library module (a vendored copy of the stdlib, a Python checkout linted
    next to the code that uses it). Such chains are not followed: the catalog is the
    model of the standard library, and the stdlib's own internals (``traceback`` stats
    source files through ``linecache``, ``Thread.start`` waits for the thread to boot)
    would otherwise be reported as blocking chains of every caller."""
    top = target.split(".", 1)[0]
    return top in STDLIB_TOP_LEVELS and top != caller.split(".", 1)[0]


# --------------------------------------------------------------------------- summaries
def _dotted(node: ast.AST) -> Optional[List[str]]:
    name = ast_dotted(node)
    return name.split(".") if name is not None else None


def _literal(node: ast.AST) -> Optional[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, (bool, int, float)) or (
        isinstance(node, ast.Constant) and node.value is None
    ):
        return repr(node.value)
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return repr(node.value)
    if isinstance(node, ast.Attribute):
        parts = _dotted(node)
        return ".".join(parts) if parts else None
    return None


def _made_before(nodes: Sequence[ast.AST], call: ast.Call) -> bool:
    """``x.acquire()`` where an earlier statement of the function assigns ``x`` (a name
    or ``self.attr``) the result of a call: a new object that nobody else holds."""
    receiver = _dotted(call.func.value) if isinstance(call.func, ast.Attribute) else None
    if not receiver:
        return False
    for node in nodes:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and (node.lineno, node.col_offset) < (call.lineno, call.col_offset):
            if any(_dotted(t) == receiver for t in node.targets):
                return True
    return False


def _switched_before(nodes: Sequence[ast.AST], call: ast.Call, switches: Any) -> bool:
    """``sock.recv()`` after ``sock.setblocking(False)`` earlier in the same function."""
    if not switches or not isinstance(call.func, ast.Attribute):
        return False
    receiver = _dotted(call.func.value)
    if not receiver:
        return False
    for node in nodes:
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.args
            and (node.lineno, node.col_offset) < (call.lineno, call.col_offset)
            and _dotted(node.func.value) == receiver
            and (node.func.attr, _literal(node.args[0])) in switches
        ):
            return True
    return False


def _argument(node: ast.Call, position: int, keywords: Tuple[str, ...]) -> Optional[ast.AST]:
    for kw in node.keywords:
        if kw.arg in keywords:
            return kw.value
    positional = [a for a in node.args if not isinstance(a, ast.Starred)]
    return positional[position] if len(positional) > position else None


def call_args(node: ast.Call) -> Args:
    positional = tuple(_literal(a) for a in node.args if not isinstance(a, ast.Starred))
    keywords = {k.arg: _literal(k.value) for k in node.keywords if k.arg}
    return positional, keywords


class _Summarizer:
    """Builds one module's summary: the same resolution rules as the LibCST import map
    (imports, module-level definitions, instances, local shadowing, ``self``)."""

    def __init__(self, tree: ast.Module, module: str, is_package: bool, path: str, catalog: Catalog) -> None:
        self.tree = tree
        self.module = module
        self.is_package = is_package
        self.path = path
        self.catalog = catalog
        self.bindings: Dict[str, str] = {}
        self.imports: Set[str] = set()
        self.functions: List[FunctionSummary] = []
        self.classes: List[Tuple[str, Tuple[str, ...]]] = []

    def qualify(self, name: str) -> str:
        return f"{self.module}.{name}" if self.module else name

    # -- bindings ---------------------------------------------------------------------
    def import_bindings(self, node: ast.AST) -> Dict[str, str]:
        out: Dict[str, str] = {}
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    out[alias.asname] = alias.name
                else:
                    top = alias.name.split(".", 1)[0]
                    out[top] = top
                self.imports.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = resolve_relative(node.module or "", node.level or 0, self.module, self.is_package)
            for alias in node.names:
                if alias.name == "*":
                    continue
                full = f"{base}.{alias.name}" if base else alias.name
                out[alias.asname or alias.name] = full
                self.imports.add(full)
        return out

    def prebind(self, body: Sequence[ast.stmt]) -> None:
        for stmt in body:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                self.bindings.update(self.import_bindings(stmt))
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.bindings[stmt.name] = self.qualify(stmt.name)
            elif isinstance(stmt, ast.Assign):
                value = self.instance_of(stmt.value, {})
                for target in stmt.targets:
                    for name in _target_names(target):
                        self._bind_module(name, value)
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                self._bind_module(stmt.target.id, self.annotation_instance(stmt.annotation, {}))
            elif isinstance(stmt, (ast.If, ast.Try, ast.With)):
                self.prebind(stmt.body)
                for extra in _blocks(stmt):
                    self.prebind(extra)

    def _bind_module(self, name: str, value: str) -> None:
        if self.bindings.get(name, LOCAL) != LOCAL and value == LOCAL:
            return  # ``try: import ujson as json / except: json = None`` keeps the import
        self.bindings[name] = value

    def lookup(self, name: str, local: Dict[str, str]) -> Optional[str]:
        if name in local:
            return local[name] or None
        if name in self.bindings:
            return self.bindings[name] or None
        return name

    def resolve(self, node: ast.AST, local: Dict[str, str], self_info: Optional[Tuple[str, str, Dict[str, str]]] = None) -> Optional[str]:
        parts: List[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name):
            base = self.lookup(node.id, local)
            if base is None and parts and self_info is not None and node.id == self_info[0]:
                attrs = self_info[2]
                if parts[-1] in attrs:
                    base = attrs[parts.pop()]
        elif isinstance(node, ast.Call):
            inner = self.resolve(node.func, local, self_info)
            base = inner + "()" if inner else None
        else:
            return None
        if base is None:
            return None
        parts.append(base)
        return ".".join(reversed(parts))

    def instance_of(self, value: Optional[ast.AST], local: Dict[str, str], self_info: Any = None) -> str:
        if isinstance(value, ast.Call):
            name = self.resolve(value.func, local, self_info)
            return name + "()" if name else LOCAL
        if isinstance(value, ast.Name):
            bound = self.lookup(value.id, local)
            return bound if bound and bound.endswith("()") else LOCAL
        if isinstance(value, ast.BoolOp):
            kinds = {self.instance_of(v, local, self_info) for v in value.values}
            return kinds.pop() if len(kinds) == 1 else LOCAL
        if isinstance(value, ast.IfExp):
            body, orelse = self.instance_of(value.body, local, self_info), self.instance_of(value.orelse, local, self_info)
            return body if body == orelse else LOCAL
        return LOCAL

    def annotation_instance(self, node: Optional[ast.AST], local: Dict[str, str]) -> str:
        if node is None or isinstance(node, ast.Constant):
            return LOCAL
        if isinstance(node, ast.Subscript):
            name = self.resolve(node.value, local) or ""
            inner = node.slice
            if isinstance(inner, ast.Index):  # pragma: no cover - Python 3.8 shape
                inner = inner.value  # type: ignore[attr-defined]
            if name.rsplit(".", 1)[-1] == "Optional":
                return self.annotation_instance(inner, local)
            return LOCAL
        name = self.resolve(node, local)
        return name + "()" if name else LOCAL

    # -- functions --------------------------------------------------------------------
    def run(self) -> ModuleSummary:
        self.prebind(self.tree.body)
        self._body(self.tree.body, prefix="")
        aliases = tuple(
            (self.qualify(name), target)
            for name, target in sorted(self.bindings.items())
            if target and target != self.qualify(name)
        )
        return ModuleSummary(
            self.module,
            self.path,
            tuple(self.functions),
            tuple(self.classes),
            aliases,
            tuple(sorted(self.imports)),
        )

    def _body(self, body: Sequence[ast.stmt], prefix: str, cls: Optional[Tuple[str, Dict[str, str]]] = None) -> None:
        for stmt in body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._function(stmt, prefix, cls)
            elif isinstance(stmt, ast.ClassDef):
                qual = self.qualify(prefix + stmt.name)
                bases = tuple(b for b in (self.resolve(base, {}) for base in stmt.bases) if b)
                self.classes.append((qual, bases))
                self._body(stmt.body, prefix + stmt.name + ".", (qual, self._class_attributes(stmt)))
            elif isinstance(stmt, (ast.If, ast.Try)) and not prefix:
                self._body(stmt.body, prefix, cls)
                for extra in _blocks(stmt):
                    self._body(extra, prefix, cls)

    def _class_attributes(self, node: ast.ClassDef) -> Dict[str, str]:
        out: Dict[str, str] = {}

        def record(attr: str, value: str) -> None:
            out[attr] = LOCAL if attr in out and out[attr] != value else value

        for stmt in node.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                value = self.instance_of(stmt.value, {}) if stmt.value is not None else LOCAL
                record(stmt.target.id, value or self.annotation_instance(stmt.annotation, {}))
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                param = _self_param(stmt)
                if param is None:
                    continue
                for small in _statements(stmt.body):
                    targets: List[ast.AST] = []
                    value = LOCAL
                    if isinstance(small, ast.Assign):
                        targets = list(small.targets)
                        value = self.instance_of(small.value, {})
                    elif isinstance(small, ast.AnnAssign):
                        targets = [small.target]
                        value = self.instance_of(small.value, {}) if small.value is not None else LOCAL
                        value = value or self.annotation_instance(small.annotation, {})
                    for t in targets:
                        if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == param:
                            record(t.attr, value)
        return {k: v for k, v in out.items() if v != LOCAL}

    def _function(self, node: Any, prefix: str, cls: Optional[Tuple[str, Dict[str, str]]]) -> None:
        short = prefix + node.name
        qual = self.qualify(short)
        is_async = isinstance(node, ast.AsyncFunctionDef)
        offloaded = any(self._is_wrapper(d) for d in node.decorator_list)
        returns = self.annotation_instance(node.returns, {})[:-2] if node.returns is not None else ""
        nodes = list(_own_nodes(node))  # one traversal serves every question below
        if is_async or offloaded:
            for sub in nodes:  # imports inside coroutines count for reachability
                if isinstance(sub, (ast.Import, ast.ImportFrom)):
                    self.import_bindings(sub)
            self.functions.append(FunctionSummary(qual, short, node.lineno, is_async, offloaded, returns=returns))
            return
        binders = [sub for sub in nodes if sub.__class__ in _BINDER_TYPES]
        local = self._locals(node, binders)
        self_info = None
        if cls is not None:
            param = _self_param(node)
            if param is not None:
                self_info = (param, cls[0], cls[1])
        blocking: List[Blocking] = []
        calls: List[Tuple[str, int]] = []
        nonblocking = self._would_block_bodies(nodes, local)
        for call in sorted(_calls(nodes), key=lambda c: (c.lineno, c.col_offset)):
            canonical = self.resolve(call.func, local, self_info)
            if canonical is None and self_info is not None:
                parts = _dotted(call.func)
                if parts and len(parts) == 2 and parts[0] == self_info[0]:
                    canonical = f"{self_info[1]}.{parts[1]}"
            if canonical is None:
                continue
            match = self.catalog.match(canonical, lambda c=call: call_args(c)) if id(call) not in nonblocking else None
            position = self.catalog.file_argument(canonical)
            if match is None and position is not None and id(call) not in nonblocking:
                arg = _argument(call, position, ("fp", "stream", "file"))
                if arg is not None:
                    match = self.catalog.consumes_file(canonical, self.resolve(arg, local, self_info))
            if match is not None and match.normalized in self.catalog.free_when_fresh and _made_before(nodes, call):
                match = None
            if match is not None and _switched_before(nodes, call, self.catalog.switch_of(match.normalized)):
                match = None
            if match is not None:
                blocking.append(Blocking(match.display, match.kind, call.lineno))
            elif not _is_stdlib_like(canonical):
                calls.append((canonical, call.lineno))
        for sub in nodes:  # ``for line in fh`` over an open file
            if isinstance(sub, (ast.For, ast.comprehension)) and isinstance(sub.iter, (ast.Name, ast.Attribute)):
                found = self.catalog.iterates_file(self.resolve(sub.iter, local, self_info))
                if found is not None:
                    blocking.append(Blocking(found.display, found.kind, getattr(sub, "lineno", None) or getattr(sub.iter, "lineno", 0)))
        blocking.sort(key=lambda b: b.line)
        self.functions.append(
            FunctionSummary(qual, short, node.lineno, False, False, tuple(blocking), tuple(calls), returns)
        )

    def _would_block_bodies(self, nodes: Sequence[ast.AST], local: Dict[str, str]) -> Set[int]:
        """Calls in the body of a ``try`` that handles ``BlockingIOError``: non-blocking
        I/O by design (they are still followed as calls, never matched as blocking)."""
        out: Set[int] = set()
        for node in nodes:
            if not isinstance(node, ast.Try):
                continue
            names: List[str] = []
            for handler in node.handlers:
                types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
                names.extend(self.resolve(t, local) or "" for t in types if t is not None)
            if any(n.replace("builtins.", "", 1) in WOULD_BLOCK_ERRORS for n in names):
                for stmt in node.body:
                    out.update(id(sub) for sub in ast.walk(stmt) if isinstance(sub, ast.Call))
        return out

    def _is_wrapper(self, decorator: ast.AST) -> bool:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        return self.catalog.is_wrapper(self.resolve(target, {}))

    def _locals(self, node: Any, nodes: Sequence[ast.AST]) -> Dict[str, str]:
        """Names the function binds, with instance markers (conflicting bindings: LOCAL)."""
        local: Dict[str, str] = {}
        declared_global: Set[str] = set()

        def bind(name: str, value: str = LOCAL) -> None:
            if name in declared_global:
                return
            local[name] = LOCAL if name in local and local[name] != value else value

        args = node.args
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
            bind(arg.arg, self.annotation_instance(arg.annotation, {}))
        for arg in (args.vararg, args.kwarg):
            if arg is not None:
                bind(arg.arg)
        for sub in nodes:
            if isinstance(sub, (ast.Global, ast.Nonlocal)):
                declared_global.update(sub.names)
        for sub in nodes:
            if isinstance(sub, ast.Assign):
                value = self.instance_of(sub.value, local)
                for target in sub.targets:
                    for name in _target_names(target):
                        bind(name, value)
            elif isinstance(sub, ast.AnnAssign) and isinstance(sub.target, ast.Name):
                value = self.instance_of(sub.value, local) if sub.value is not None else LOCAL
                bind(sub.target.id, value or self.annotation_instance(sub.annotation, local))
            elif isinstance(sub, (ast.AugAssign,)) and isinstance(sub.target, ast.Name):
                bind(sub.target.id)
            elif isinstance(sub, ast.NamedExpr):
                bind(sub.target.id, self.instance_of(sub.value, local))
            elif isinstance(sub, (ast.For, ast.AsyncFor, ast.comprehension)):
                for name in _target_names(sub.target):
                    bind(name)
            elif isinstance(sub, (ast.With, ast.AsyncWith)):
                for item in sub.items:
                    if item.optional_vars is not None:
                        value = self.instance_of(item.context_expr, local)
                        for name in _target_names(item.optional_vars):
                            bind(name, value)
            elif isinstance(sub, ast.ExceptHandler) and sub.name:
                bind(sub.name)
            elif isinstance(sub, (ast.Import, ast.ImportFrom)):
                for name, target in self.import_bindings(sub).items():
                    bind(name, target)
            elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bind(sub.name)
        return local


def _is_stdlib_like(canonical: str) -> bool:
    """Callees that can never be project functions (builtins with no dot are kept: a
    module-level ``def`` resolves to its qualified name, never to a bare word)."""
    return "." not in canonical


def _self_param(node: Any) -> Optional[str]:
    for deco in node.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        parts = _dotted(target)
        if parts and parts[-1] in ("staticmethod", "classmethod"):
            return None
    params = (*node.args.posonlyargs, *node.args.args)
    return params[0].arg if params else None


def _target_names(target: ast.AST) -> Iterable[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for el in target.elts:
            yield from _target_names(el)
    elif isinstance(target, ast.Starred):
        yield from _target_names(target.value)


def _blocks(stmt: ast.AST) -> Iterable[Sequence[ast.stmt]]:
    if isinstance(stmt, ast.If):
        yield stmt.orelse
    elif isinstance(stmt, ast.Try):
        for handler in stmt.handlers:
            yield handler.body
        yield stmt.orelse
        yield stmt.finalbody


def _statements(body: Sequence[ast.stmt]) -> Iterable[ast.stmt]:
    for stmt in body:
        yield stmt
        if isinstance(stmt, (ast.If, ast.For, ast.While, ast.With, ast.Try)):
            yield from _statements(stmt.body)
            yield from _statements(getattr(stmt, "orelse", []) or [])
            if isinstance(stmt, ast.Try):
                for handler in stmt.handlers:
                    yield from _statements(handler.body)
                yield from _statements(stmt.finalbody)


#: fields that never hold a call or a binding (contexts, operators, names as strings)
_LEAF_FIELDS = frozenset(("ctx", "op", "ops", "type_comment", "kind", "id", "arg", "attr", "name", "names", "module", "level", "value_is_str"))
_FIELDS_OF: Dict[type, Tuple[str, ...]] = {}


def _child_fields(cls: type) -> Tuple[str, ...]:
    fields = _FIELDS_OF.get(cls)
    if fields is None:
        leaf = _LEAF_FIELDS
        if cls in (ast.Constant, ast.Name):
            fields = ()
        else:
            fields = tuple(f for f in cls._fields if f not in leaf or (cls is ast.Attribute and f == "value"))  # type: ignore[attr-defined]
        _FIELDS_OF[cls] = fields
    return fields


_BINDER_TYPES = frozenset(
    (
        ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr, ast.For, ast.AsyncFor,
        ast.comprehension, ast.With, ast.AsyncWith, ast.ExceptHandler, ast.Import,
        ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Global, ast.Nonlocal,
    )
)


def _own_nodes(func: Any) -> Iterable[ast.AST]:
    """Nodes executed when ``func`` is called: its body, not nested function, lambda or
    class bodies (their decorators and defaults do run, and are included)."""
    stack: List[ast.AST] = list(reversed(func.body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            stack.extend(node.decorator_list)
            stack.extend(d for d in (*node.args.defaults, *node.args.kw_defaults) if d is not None)
            continue
        if isinstance(node, ast.Lambda):
            stack.extend(d for d in (*node.args.defaults, *node.args.kw_defaults) if d is not None)
            continue
        if isinstance(node, ast.ClassDef):
            stack.extend(node.decorator_list)
            stack.extend(node.bases)
            continue
        if isinstance(node, ast.If) and _constant_false(node.test):
            stack.extend(reversed(node.orelse))  # the body never runs
            continue
        for name in _child_fields(type(node)):
            value = getattr(node, name, None)
            if value.__class__ is list:
                stack.extend(v for v in value if isinstance(v, ast.AST))
            elif value is not None and isinstance(value, ast.AST):
                stack.append(value)


def _constant_false(test: ast.AST) -> bool:
    """``if 0:`` / ``if False:`` / ``if None:`` / ``if TYPE_CHECKING:``."""
    if isinstance(test, ast.Constant):
        return not test.value
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


#: exceptions only non-blocking I/O raises (see ``rules/async_io/_base.py``)
WOULD_BLOCK_ERRORS = frozenset(("BlockingIOError", "ssl.SSLWantReadError", "ssl.SSLWantWriteError"))


def _calls(nodes: Iterable[ast.AST]) -> Iterable[ast.Call]:
    awaited: Set[int] = set()
    for node in nodes:
        if isinstance(node, ast.Await):
            awaited.add(id(node.value))
        elif isinstance(node, ast.Call) and id(node) not in awaited:
            yield node


def summarize(text: str, module: str, is_package: bool, path: str, catalog: Catalog) -> Optional[ModuleSummary]:
    """A module's summary, or None when it does not parse (the linter reports that)."""
    from fftlint.engine import asts

    try:
        tree = asts.parse(text, path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    try:
        return _Summarizer(tree, module, is_package, path, catalog).run()
    except RecursionError:
        return None


_CODE_VERSION: List[str] = []


def _code_version() -> str:
    """Summaries depend on this module's and the matcher's code: editing either must
    invalidate cached summaries."""
    if not _CODE_VERSION:
        from fftlint.analysis import blocking, names

        h = hashlib.sha256(SUMMARY_VERSION.encode())
        for mod_file in (__file__, blocking.__file__, names.__file__):
            try:
                with open(mod_file, "rb") as fh:
                    h.update(fh.read())
            except OSError:  # pragma: no cover - zipped install
                h.update(mod_file.encode())
        _CODE_VERSION.append(h.hexdigest()[:16])
    return _CODE_VERSION[0]


def _summary_key(text: str, module: str, is_package: bool, catalog: Catalog) -> str:
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{_code_version()}:{catalog.fingerprint}:{module}:{int(is_package)}:{digest}"


def cached_summary(
    text: str, module: str, is_package: bool, path: str, catalog: Catalog, cache: Any = None
) -> Optional[ModuleSummary]:
    key = _summary_key(text, module, is_package, catalog) if cache is not None else ""
    if cache is not None:
        try:
            hit = cache.get(CACHE_NAMESPACE, key)
        except Exception:  # noqa: BLE001 - a broken cache must not break linting
            hit = None
        if isinstance(hit, ModuleSummary):
            return hit if hit.path == path else ModuleSummary(hit.module, path, hit.functions, hit.classes, hit.aliases, hit.imports)
    summary = summarize(text, module, is_package, path, catalog)
    if cache is not None and summary is not None:
        try:
            cache.put(CACHE_NAMESPACE, key, summary)
        except Exception:  # noqa: BLE001
            pass
    return summary


def index_for_source(text: str, module: str, is_package: bool, path: str, catalog: Catalog) -> ProjectIndex:
    """A one-file index (``lint_source`` on a lone text, no project): same-file helpers."""
    index = ProjectIndex(catalog=catalog)
    summary = summarize(text, module, is_package, path, catalog)
    if summary is not None:
        index.add(summary)
    return index


class ModuleSource:
    """The project's modules by name, summarised on first use (cached by content when
    a cache is given). Plain data, so an index that holds one still pickles."""

    def __init__(self, by_module: Dict[str, Tuple[str, bool]], catalog: Catalog, cache: Any = None, buffers: Optional[Dict[str, str]] = None) -> None:
        self.by_module = by_module
        self.catalog = catalog
        self.cache = cache
        self.buffers = buffers or {}
        self.tried: Set[str] = set()
        self.ensured: Set[str] = set()
        self._digest: Optional[str] = None

    def text_of(self, path: str) -> Optional[str]:
        from fftlint.engine.source import SourceError, read

        buffered = self.buffers.get(os.path.abspath(path))
        if buffered is not None:
            return buffered
        try:
            return read(path).text or None
        except (SourceError, OSError):
            return None

    def load(self, module: str) -> Optional[ModuleSummary]:
        self.tried.add(module)
        path, is_package = self.by_module[module]
        text = self.text_of(path)
        if text is None:
            return None
        return cached_summary(text, module, is_package, path, self.catalog, self.cache)

    def digest(self) -> str:
        """Every module's name and content: what any summary could be made from."""
        if self._digest is None:
            h = hashlib.sha256(f"{_code_version()}:{self.catalog.fingerprint}".encode())
            for module in sorted(self.by_module):
                path, is_package = self.by_module[module]
                text = self.text_of(path) or ""
                h.update(f"\0{module}:{int(is_package)}:".encode("utf-8", "surrogatepass"))
                h.update(hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest())
            self._digest = h.hexdigest()
        return self._digest

    def fork(self) -> "ModuleSource":
        """The same modules for another index (each index tracks what it loaded)."""
        other = ModuleSource(self.by_module, self.catalog, self.cache, self.buffers)
        other._digest = self._digest
        return other

    def __getstate__(self) -> Dict[str, Any]:
        state = dict(self.__dict__)
        state["tried"], state["ensured"] = set(), set()  # a copy loads into its own index
        return state


def build_index(
    files: Sequence[str],
    catalog: Catalog,
    cache: Any = None,
    buffers: Optional[Dict[str, str]] = None,
) -> ProjectIndex:
    """An index over the modules of ``files`` that loads a module's summary only when a
    look-up needs it: a blocking chain starts at a call in an ``async def`` and follows
    the names it resolves to, so modules no chain reaches are never parsed (on the
    stdlib, a few dozen of ~1,800 instead of the ~500 that async code imports).

    ``buffers`` (absolute path -> text) replace files' contents on disk: an editor's
    unsaved buffer linted through stdin.
    """
    from fftlint.engine.run import module_name_for

    by_module: Dict[str, Tuple[str, bool]] = {}
    buffers = {os.path.abspath(p): t for p, t in (buffers or {}).items()}
    known = {os.path.abspath(p) for p in files}
    files = list(files) + [p for p in buffers if p not in known]
    for path in files:
        if not path.endswith(".py"):
            continue
        module, is_package = module_name_for(path)
        by_module.setdefault(module, (path, is_package))
    return ProjectIndex(catalog=catalog, source=ModuleSource(by_module, catalog, cache, buffers))


def _modules_of(name: str, by_module: Dict[str, Tuple[str, bool]]) -> Iterable[str]:
    """Project modules an imported name may live in: ``pkg.mod.func`` -> ``pkg.mod``,
    and the packages above it (their ``__init__`` may re-export it)."""
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        candidate = ".".join(parts[:i])
        if candidate in by_module:
            yield candidate


def project_files(paths: Sequence[str], settings: Any) -> List[str]:
    """The Python files the project index covers: everything under the config file's
    directory when there is one, else the linted paths (a lone file: its top-level
    package, or its directory), so a pre-commit run on one file still sees its helpers."""
    from fftlint.engine import files as discovery

    roots: List[str] = []
    if getattr(settings, "source", "<defaults>") != "<defaults>":
        roots.append(settings.root)
    for path in paths:
        if path == "-":
            continue
        if os.path.isdir(path):
            roots.append(path)
        elif os.path.isfile(path):
            directory = os.path.dirname(os.path.abspath(path))
            while os.path.isfile(os.path.join(directory, "__init__.py")):
                parent = os.path.dirname(directory)
                if parent == directory:
                    break
                directory = parent
            roots.append(directory)
    roots = _outermost(roots)
    out = discovery.discover(roots, settings.excludes, settings.root)
    seen = {os.path.abspath(p) for p in out}
    out.extend(p for p in paths if os.path.isfile(p) and os.path.abspath(p) not in seen)
    return out


def _outermost(roots: Sequence[str]) -> List[str]:
    full = sorted({os.path.abspath(r) for r in roots}, key=len)
    kept: List[str] = []
    for root in full:
        if not any(root == k or root.startswith(k.rstrip(os.sep) + os.sep) for k in kept):
            kept.append(root)
    return kept


def _facts_digest(facts: Any) -> str:
    """A stable digest of another family's project facts (never an object address)."""
    if facts is None:
        return "-"
    own = getattr(facts, "digest", None)
    if callable(own):
        own = own()
    if isinstance(own, str):
        return own
    try:
        import pickle

        return hashlib.sha256(pickle.dumps(facts, protocol=4)).hexdigest()
    except Exception:  # noqa: BLE001 - unpicklable: a fresh digest, so never a stale hit
        return os.urandom(8).hex()


def _summaries_digest(index: "ProjectIndex") -> str:
    if index.source is not None:
        return index.source.digest()
    return hashlib.sha256(repr(sorted(index.modules.items())).encode("utf-8", "surrogatepass")).hexdigest()


def digest_of(index: "ProjectIndex") -> str:
    data = _summaries_digest(index).encode()
    for facts in (index.orm_models, index.schema_facts):
        data += _facts_digest(facts).encode()
    fingerprint = index.catalog.fingerprint if index.catalog is not None else ""
    return hashlib.sha256(fingerprint.encode() + data).hexdigest()[:32]


def build_for_run(
    paths: Sequence[str],
    settings: Any,
    options: Any = None,
    cache: Any = None,
    buffers: Optional[Dict[str, str]] = None,
    every: Optional[Sequence[str]] = None,
) -> ProjectIndex:
    """The index a run shares with its workers: every Python file of the project (see
    :func:`project_files`), summarised on demand."""
    from fftlint.analysis.blocking import catalog_for, options_of

    catalog = catalog_for(options_of(options))
    if cache is not None and not getattr(cache, "enabled", True):
        cache = None
    if every is None:
        every = project_files(paths, settings)
    return build_index(every, catalog, cache, buffers=buffers)
