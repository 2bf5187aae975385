"""The project: every module's summary (loaded on demand), values resolved across modules,
and the effect chains of the call graph.

:class:`ProjectFacts` is built once per run before workers start and shipped to them as
plain data (summaries load lazily, in each process, cached by content hash). It answers

* :meth:`ProjectFacts.resolve` -- what a symbolic value really is: ``pkg.images.image_path()``
  is what ``image_path`` returns (its annotation or its ``return`` statements),
  ``pkg.db.session`` follows ``from .db import session`` and ``session = requests.Session()``,
  ``pkg.svc.Svc().client`` is what the class assigns to ``self.client``, methods and
  properties are found through base classes, ``with``/``await``/iteration of project
  objects go through ``__enter__``/``async`` returns/``__iter__``; providers refine the
  rest (:meth:`fftlint.facts.provider.Provider.refine`);
* :meth:`ProjectFacts.targets` -- the project functions a call may run (a function, a
  method of an inferred instance, a constructor's ``__init__``, a property getter);
* :meth:`ProjectFacts.explain` -- the shortest call chain from a call to an effect of one
  provider (blocking, query, ...), breadth-first, at most :data:`MAX_DEPTH` calls deep,
  cycles cut, with where each step happens (memoised); :meth:`ProjectFacts.search` is the
  same search, not memoised, with an optional :class:`ChainCarry` that threads what a rule
  knows along each call edge (known constant arguments, say) and cuts a function short;
* :meth:`ProjectFacts.call_effect` -- the effect of one provider a call itself has.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Dict, FrozenSet, Hashable, Iterable, List, Optional, Protocol, Sequence, Set, Tuple

from fftlint.facts.provider import Effect, Provider
from fftlint.facts.summary import SUMMARY_VERSION, CallFacts, ClassFacts, FunctionDetails, FunctionFacts, ModuleSummary
if TYPE_CHECKING:  # pragma: no cover
    from fftlint.facts.bindings import ModuleFacts
from fftlint.facts.values import (
    MAP_METHODS,
    NONE,
    UNKNOWN,
    UNKNOWN_VALUES,
    Awaitable,
    Map,
    Opaque,
    Seq,
    Tup,
    Value,
    Values,
    map_method,
)

MAX_DEPTH = 8
CACHE_NAMESPACE = "facts-summary"
DETAILS_NAMESPACE = "facts-details"
_OPS = ("[iter]", "[item]", "[enter]", "[aenter]", "[await]")


@dataclass(frozen=True)
class Step:
    """One step of a chain: ``what`` happens at ``path:line:column`` (1-based line,
    0-based column as ``ast`` gives it)."""

    what: str
    path: str
    line: int
    column: int = 0


@dataclass(frozen=True)
class Chain:
    names: Tuple[str, ...]  # display names: ("load_config", "read_file", "open")
    effect: Effect  # the effect at the end
    steps: Tuple[Step, ...]  # where each call and the effect happen


# --------------------------------------------------------------------------- parsing
def tokens(value: str) -> List[Tuple[str, str]]:
    """``pkg.C().x[iter]`` -> [("name", "pkg"), ("attr", "C"), ("call", ""), ("attr", "x"), ("op", "[iter]")]."""
    out: List[Tuple[str, str]] = []
    i, n = 0, len(value)
    start = 0
    first = True
    while i < n:
        c = value[i]
        if c in ".([":
            if i > start:
                out.append(("name" if first else "attr", value[start:i]))
                first = False
            if c == "(":
                end = value.find(")", i)
                end = n - 1 if end < 0 else end
                out.append(("call", ""))
                i = end + 1
            elif c == "[":
                end = value.find("]", i)
                end = n - 1 if end < 0 else end
                out.append(("op", value[i:end + 1]))
                i = end + 1
            else:
                i += 1
            start = i
            continue
        i += 1
    if start < n:
        out.append(("name" if first else "attr", value[start:]))
    return out


def _stdlib_top_levels() -> FrozenSet[str]:
    names = getattr(sys, "stdlib_module_names", None)
    if names is not None:
        return frozenset(names)
    import sysconfig  # Python 3.9: the modules and packages of this interpreter's stdlib

    out = set(sys.builtin_module_names)
    root = sysconfig.get_paths()["stdlib"]
    try:
        entries = os.listdir(root)
    except OSError:  # pragma: no cover
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
    standard-library module (a vendored copy of the stdlib, a Python checkout linted next
    to the code that uses it). Such chains are not followed: catalogs model the standard
    library, and its internals would otherwise become chains of every caller."""
    top = target.split(".", 1)[0]
    return top in STDLIB_TOP_LEVELS and top != caller.split(".", 1)[0]


# --------------------------------------------------------------------------- sources
class ModuleSource:
    """The project's modules by name, summarised on first use (cached by content when a
    cache is given). Plain data, so an index that holds one still pickles. Files are read
    and hashed through the run's :class:`fftlint.filememo.FileMemo` (the cache's, shared
    with the providers): once per run, and a file unchanged since the last run is not
    read to know its hash."""

    def __init__(self, by_module: Dict[str, Tuple[str, bool]], cache: Any = None, buffers: Optional[Dict[str, str]] = None) -> None:
        from fftlint.filememo import FileMemo, memo_of

        self.by_module = by_module
        self.cache = cache
        self.buffers = buffers or {}
        self.files = memo_of(cache) or FileMemo()
        self.tops = frozenset(m.split(".", 1)[0] for m in by_module)
        self._digest: Optional[str] = None

    def text_of(self, path: str) -> Optional[str]:
        from fftlint.engine.source import SourceError, decode

        buffered = self.buffers.get(os.path.abspath(path))
        if buffered is not None:
            return buffered
        try:
            return decode(self.files.data(path), path).text or None
        except (SourceError, OSError):
            return None

    def file_hash(self, path: str) -> str:
        """The content hash of a file ("?" when it cannot be read)."""
        buffered = self.buffers.get(os.path.abspath(path))
        if buffered is not None:
            return "text:" + hashlib.blake2b(buffered.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()
        try:
            return self.files.digest(path)
        except OSError:
            return "?"

    def hash_of(self, module: str) -> str:
        """The content hash of a project module's file ("" when it is not one; "?" when
        it cannot be read)."""
        entry = self.by_module.get(module)
        return "" if entry is None else self.file_hash(entry[0])

    def digest(self) -> str:
        """Every module's name and content: what any summary could be made from."""
        if self._digest is None:
            h = hashlib.sha256(f"{code_version()}".encode())
            for module in sorted(self.by_module):
                path, is_package = self.by_module[module]
                h.update(f"\0{module}:{int(is_package)}:{self.file_hash(path)}".encode("utf-8", "surrogatepass"))
            self._digest = h.hexdigest()
        return self._digest


_CODE_VERSION: List[str] = []


def code_version() -> str:
    """Summaries depend on the facts layer's own code: editing it invalidates them."""
    if not _CODE_VERSION:
        from fftlint.facts import bindings, imports, summary, values

        h = hashlib.sha256(SUMMARY_VERSION.encode())
        for mod in (bindings, imports, summary, values, sys.modules[__name__]):
            try:
                with open(mod.__file__ or "", "rb") as fh:
                    h.update(fh.read())
            except OSError:  # pragma: no cover - zipped install
                h.update(str(mod.__file__).encode())
        _CODE_VERSION.append(h.hexdigest()[:16])
    return _CODE_VERSION[0]


def summarize_text(text: str, module: str, is_package: bool, path: str, providers: Sequence[Provider] = ()) -> Optional[ModuleSummary]:
    """A module's summary, or None when it does not parse (the linter reports that)."""
    facts = parse_facts(text, module, is_package, path, providers)
    return _summarize(facts, path, providers) if facts is not None else None


def parse_facts(text: str, module: str, is_package: bool, path: str, providers: Sequence[Provider] = ()) -> Any:
    """A module's binding map (:class:`ModuleFacts`), or None when it does not parse."""
    import ast
    import warnings

    from fftlint.facts.bindings import ModuleFacts

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text, path)
        return ModuleFacts(tree, module, is_package, path, call_hooks=call_hooks(providers), text=text, value_hooks=value_hooks(providers))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _summarize(facts: Any, path: str, providers: Sequence[Provider]) -> Optional[ModuleSummary]:
    from fftlint.facts.summary import summarize_facts

    try:
        return summarize_facts(facts, path, providers)
    except RecursionError:
        return None


def call_hooks(providers: Sequence[Provider]) -> List[Callable[..., Optional[Values]]]:
    return [p.call_value for p in providers if type(p).call_value is not Provider.call_value]


def value_hooks(providers: Sequence[Provider]) -> Dict[str, Provider]:
    """Providers whose own values keep their meaning inside one module (an attribute or
    the items of ``session.query(Book)``), by name."""
    return {p.name: p for p in providers if type(p).attribute is not Provider.attribute or type(p).iterate is not Provider.iterate}


# --------------------------------------------------------------------------- the project
def _instances_only(values: Values) -> bool:
    """A declared return that is only instances of classes, or collections of them
    (``Trip``, ``Sequence[Trip]``, ``list[Trip]``): nothing a provider refined."""
    if not values:
        return False
    for value in values:
        if isinstance(value, Seq):
            if not _instances_only(value.items):
                return False
        elif not (isinstance(value, str) and value.endswith("()") and "(" not in value[:-2] and "[" not in value):
            return False
    return True


class ProjectFacts:
    """Summaries of a project's modules and the queries over them (see module docstring)."""

    def __init__(self, source: Optional[ModuleSource] = None, providers: Sequence[Provider] = ()) -> None:
        self.source = source
        self.providers: List[Provider] = list(providers)
        self.modules: Dict[str, ModuleSummary] = {}
        self.functions: Dict[str, FunctionFacts] = {}
        self.classes: Dict[str, ClassFacts] = {}
        self.overlay: Dict[str, Callable[[], Optional[ModuleSummary]]] = {}
        self._tried: Set[str] = set()
        self._resolved: Dict[str, Tuple[Values, FrozenSet[str]]] = {}
        self._chains: Dict[Tuple[str, str], Tuple[Optional[Chain], FrozenSet[str]]] = {}
        self._summary_key = ""
        self._tops: Set[str] = set()  # top-level names of modules added or overlaid
        #: module names consulted by the computation in progress (innermost last): what a
        #: file's result depends on, so the result cache can tell when it is stale
        self._tracking: List[Set[str]] = []
        #: binding maps of modules whose function bodies were read in this process (a
        #: few, most recent last), and what reading each function gave
        self._facts: Dict[str, Any] = {}
        self._details: Dict[str, FunctionDetails] = {}
        self._pinned: Set[str] = set()  # modules added as text: their maps are never dropped
        self._facts_text: Dict[str, str] = {}  # the text each map in ``_facts`` was made from
        self._texts: Dict[str, str] = {}  # content hashes of modules added as text

    # -- providers ----------------------------------------------------------------
    def provider(self, name: str) -> Optional[Provider]:
        for p in self.providers:
            if p.name == name:
                return p
        return None

    def facts_of(self, name: str) -> Any:
        """The project-wide facts of provider ``name`` (a model index, a schema)."""
        p = self.provider(name)
        return getattr(p, "facts", None) if p is not None else None

    def stable_digest(self) -> str:
        """Changes whenever a summary, a provider's catalog or its facts can: part of the
        result-cache key of files linted with cross-file rules."""
        h = hashlib.sha256(b"project")
        if self.source is not None:
            h.update(self.source.digest().encode())
        else:  # a project made of summaries added by hand: their content
            from fftlint.cache import project_digest

            h.update(project_digest([self.modules[m] for m in sorted(self.modules)]).encode())
            h.update(repr(sorted(self._texts.items())).encode())
        for name, digest in sorted((p.name, p.digest()) for p in self.providers):
            h.update(f"\0{name}={digest}".encode("utf-8", "surrogatepass"))
        return h.hexdigest()[:32]

    def summary_key(self) -> str:
        if not self._summary_key:
            parts = [code_version()] + [f"{p.name}={p.summary_digest()}" for p in sorted(self.providers, key=lambda p: p.name)]
            self._summary_key = hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:16]
        return self._summary_key

    def __getstate__(self) -> Dict[str, Any]:
        state = dict(self.__dict__)
        state["overlay"], state["_resolved"], state["_chains"], state["_facts"], state["_details"] = {}, {}, {}, {}, {}
        state["_facts_text"] = {}  # the texts of binding maps that stay behind
        state.pop("_text_digests", None)
        if self.source is not None:
            # loaded summaries and memos stay in the process that made them; each worker
            # loads (from the cache) what its files reach
            state["modules"], state["functions"], state["classes"] = {}, {}, {}
            state["_tried"], state["_tops"] = set(), set()
        return state

    # -- dependencies ---------------------------------------------------------------
    def begin(self) -> None:
        """Start collecting the project modules consulted (see :meth:`end`)."""
        self._tracking.append(set())

    def end(self) -> FrozenSet[str]:
        """The project modules (present or looked for) consulted since :meth:`begin`."""
        deps = self._tracking.pop() if self._tracking else set()
        if self._tracking:
            self._tracking[-1] |= deps
        return frozenset(deps)

    def _note(self, name: str) -> None:
        if self._tracking:
            self._tracking[-1].add(name)

    def depends_on(self, module: str) -> None:
        """Record that what is being computed (since :meth:`begin`) depends on the text of
        ``module`` (present or not): a rule that reads module texts itself says so."""
        self._note(module)

    def _note_all(self, names: Iterable[str]) -> None:
        if self._tracking:
            self._tracking[-1].update(names)

    # -- loading ------------------------------------------------------------------
    def fork(self) -> "ProjectFacts":
        """Another view of the same project (a file outside it adds its own module)."""
        other = ProjectFacts(self.source, self.providers)
        other._summary_key = self._summary_key
        return other

    def holds(self, module: str, path: str) -> bool:
        """Whether ``path`` is this project's module ``module`` (a file of another
        project, or a second ``app.py`` elsewhere, gets a view of its own)."""
        if module in self.overlay:
            return True
        if self.source is None:
            return False
        found = self.source.by_module.get(module)
        return found is not None and os.path.abspath(found[0]) == os.path.abspath(path)

    def facts_for(self, module: str, text: str) -> Any:
        """The binding map this project already made of ``module`` from exactly ``text``
        (to summarise it or read its functions), so linting the file need not parse it
        again; None when there is none."""
        facts = self._facts.get(module)
        if facts is not None and self._facts_text.get(module) == text:
            return facts
        return None

    def _keep(self, module: str, facts: Any, text: str) -> None:
        """Keep a module's binding map at hand (a bounded set: the oldest goes)."""
        if len(self._facts) >= 32:
            for old in list(self._facts):
                if old not in self._pinned:
                    self._facts.pop(old)
                    self._facts_text.pop(old, None)
                    break
        self._facts[module] = facts
        self._facts_text[module] = text

    def overlay_file(self, module: str, path: str, facts: Any) -> None:
        """Summarise ``module`` from the linted file's own binding map (already parsed)
        if a look-up needs it before it is loaded."""
        if module in self.modules:
            return
        from fftlint.facts.summary import summarize_facts

        self._tried.discard(module)
        self.overlay[module] = lambda: summarize_facts(facts, path, self.providers)
        self._facts[module] = facts
        self._tops.add(module.split(".", 1)[0])

    def release_file(self, module: str) -> None:
        """The linted file is done: its binding map joins the bounded set kept at hand
        (a later look-up that summarises the module reads it instead of parsing the file
        again); its summary, once made, stays."""
        self.overlay.pop(module, None)
        facts = self._facts.pop(module, None)
        self._facts_text.pop(module, None)
        text = getattr(facts, "text", None)
        if facts is not None and text is not None:
            self._keep(module, facts, text)

    # -- function bodies -------------------------------------------------------------
    def details(self, fn: FunctionFacts) -> FunctionDetails:
        """What ``fn``'s body returns, calls and does (read on first use)."""
        module = found_module(fn.qualname, self.modules)
        if module is not None:
            self._note(module)
        found = self._details.get(fn.qualname)
        if found is not None:
            return found
        if module is None:
            return FunctionDetails()
        key = self._details_key(module, fn.qualname)
        cache = self.source.cache if self.source is not None else None
        if key:
            try:
                hit = cache.get(DETAILS_NAMESPACE, key)
            except Exception:  # noqa: BLE001 - a broken cache must not break linting
                hit = None
            if isinstance(hit, FunctionDetails):
                self._details[fn.qualname] = hit
                return hit
        facts = self.module_facts(module)
        from fftlint.facts.summary import function_details, scope_of_function

        scope = scope_of_function(facts, fn.qualname) if facts is not None else None
        try:
            found = function_details(facts, scope, self.providers) if scope is not None else FunctionDetails()
        except RecursionError:
            found = FunctionDetails()
        self._details[fn.qualname] = found
        key = self._details_key(module, fn.qualname) if key else ""  # of what was read
        if key and facts is not None:
            try:
                cache.put(DETAILS_NAMESPACE, key, found)
            except Exception:  # noqa: BLE001
                pass
        return found

    def _details_key(self, module: str, qualname: str) -> str:
        """The cache key of a function's details: what its module's summary is keyed by
        (summary-time answers of the providers, the file's content), and the function;
        "" when they are not cached (no cache, a module given as text, a file that is not
        this project's module, an unreadable file)."""
        source = self.source
        if source is None or source.cache is None or module in self._pinned:
            return ""
        entry = source.by_module.get(module)
        summary = self.modules.get(module)
        if entry is None or summary is None or os.path.abspath(summary.path) != os.path.abspath(entry[0]):
            return ""
        at_hand = self._facts.get(module)
        if at_hand is not None:
            # the binding map the details would be read from (the linted file's own, made
            # from the text being linted, which a fix may have changed): keyed by its text
            text = getattr(at_hand, "text", None)
            if not isinstance(text, str):
                return ""
            memo = self.__dict__.setdefault("_text_digests", {})
            known = memo.get(module)
            if known is None or known[0] is not text:
                known = memo[module] = (text, "text:" + hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest())
            digest = known[1]
        else:
            digest = source.file_hash(entry[0])
        if digest == "?":
            return ""
        return f"{self.summary_key()}:{module}:{int(entry[1])}:{digest}:{qualname}"

    def module_facts(self, module: str) -> Optional["ModuleFacts"]:
        """The binding map (:class:`fftlint.facts.bindings.ModuleFacts`) of project module
        ``module``, parsed again when it is not at hand; None when its summary is not
        loaded (see :meth:`summary_of`), its text cannot be read or it does not parse.
        Records no dependency (see :meth:`depends_on`)."""
        facts = self._facts.get(module)
        if facts is not None:
            return facts
        summary = self.modules.get(module)
        if summary is None or self.source is None:
            return None
        text = self.source.text_of(summary.path)
        if text is None:
            return None
        facts = parse_facts(text, module, summary.is_package, summary.path, self.providers)
        if facts is not None:
            self._keep(module, facts, text)
        return facts

    def add_source(self, text: str, module: str, is_package: bool = False, path: str = "") -> Optional[ModuleSummary]:
        """Add a module given as text (a project without files on disk: tests, a lone
        text); its binding map stays at hand for reading function bodies."""
        import ast
        import warnings

        from fftlint.facts.bindings import ModuleFacts
        from fftlint.facts.summary import summarize_facts

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(text, path or module)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        facts = ModuleFacts(tree, module, is_package, path, call_hooks=call_hooks(self.providers), text=text, value_hooks=value_hooks(self.providers))
        summary = summarize_facts(facts, path or f"{module}.py", self.providers)
        self._facts[module] = facts
        self._facts_text[module] = text
        self._pinned.add(module)
        self._texts[module] = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
        self.add(summary)
        return summary

    def add(self, summary: ModuleSummary) -> None:
        self.modules[summary.module] = summary
        self._tops.add(summary.module.split(".", 1)[0])
        self.functions.update(summary.functions)
        self.classes.update(summary.classes)
        self._tried.add(summary.module)
        # memos stay: loading is on demand, so a module loaded now was not consulted by
        # anything computed before (it would have been loaded then)

    def has_module(self, module: str) -> bool:
        self.summary_of(module)
        return module in self.modules

    def knows(self, module: str) -> bool:
        """Whether ``module`` is a project module (without loading it)."""
        self._note(module)
        return module in self.modules or module in self.overlay or (self.source is not None and module in self.source.by_module)

    def summary_of(self, module: str) -> Optional[ModuleSummary]:
        """The summary of project module ``module``, loaded on demand (cached by content
        hash); None when it is not a project module or does not parse. The module is
        recorded as consulted (see :meth:`begin`)."""
        self._note(module)
        found = self.modules.get(module)
        if found is not None or module in self._tried:
            return found
        self._tried.add(module)
        maker = self.overlay.get(module)
        summary: Optional[ModuleSummary] = None
        if maker is not None:
            summary = maker()
        elif self.source is not None and module in self.source.by_module:
            path, is_package = self.source.by_module[module]
            summary = self._cached(module, is_package, path)
        if summary is not None:
            self.add(summary)
        return summary

    def _cached(self, module: str, is_package: bool, path: str) -> Optional[ModuleSummary]:
        """The module's summary from the cache (by the file's content hash: a file
        unchanged since the last run is not even read), else made from its text."""
        assert self.source is not None
        cache = self.source.cache
        key = ""
        if cache is not None:
            digest = self.source.file_hash(path)
            if digest == "?":
                return None
            key = f"{self.summary_key()}:{module}:{int(is_package)}:{digest}"
            try:
                hit = cache.get(CACHE_NAMESPACE, key)
            except Exception:  # noqa: BLE001 - a broken cache must not break linting
                hit = None
            if isinstance(hit, ModuleSummary):
                return hit.moved(path)
        text = self.source.text_of(path)
        if text is None:
            return None
        if cache is not None:  # the hash of what was read (the file may have changed since)
            key = f"{self.summary_key()}:{module}:{int(is_package)}:{self.source.file_hash(path)}"
        facts = self.facts_for(module, text) or parse_facts(text, module, is_package, path, self.providers)
        summary = _summarize(facts, path, self.providers) if facts is not None else None
        if summary is not None:
            self._keep(module, facts, text)  # its functions' bodies, or its own lint, may follow
        if cache is not None and summary is not None:
            try:
                cache.put(CACHE_NAMESPACE, key, summary)
            except Exception:  # noqa: BLE001
                pass
        return summary

    def _module_of(self, name: str) -> Optional[Tuple[str, List[str]]]:
        """The longest project module that is a prefix of dotted ``name``, and the rest."""
        parts = name.split(".")
        if parts[0] not in self._tops and (self.source is None or parts[0] not in self.source.tops):
            return None
        for i in range(len(parts), 0, -1):
            candidate = ".".join(parts[:i])
            if self.knows(candidate) and self.summary_of(candidate) is not None:
                return candidate, parts[i:]
        return None

    def path_of(self, qualname: str) -> str:
        parts = qualname.split(".")
        for i in range(len(parts) - 1, 0, -1):
            summary = self.modules.get(".".join(parts[:i]))
            if summary is not None:
                return summary.path
        return ""

    # -- resolution -----------------------------------------------------------------
    def resolve(self, values: Iterable[Value]) -> Values:
        """Symbolic values as the project resolves them."""
        out: Set[Value] = set()
        for value in values:
            if isinstance(value, str):
                out.update(self._resolve_str(value))
            elif isinstance(value, Seq):
                out.add(Seq(self.resolve(value.items)))
            elif isinstance(value, Tup):
                out.add(Tup(tuple(self.resolve(i) for i in value.items)))
            elif isinstance(value, Map):
                out.add(Map(self.resolve(value.keys), self.resolve(value.values)))
            elif isinstance(value, Awaitable):
                out.add(Awaitable(self.resolve(value.result)))
            elif isinstance(value, Opaque):
                # a provider's value made inside one module may wait for the project
                # (``session.scalars(stmt)`` with ``stmt`` from a helper of another module)
                p = self.provider(value.provider)
                found = p.resolve_value(value, self) if p is not None else None
                out.update(found if found is not None else (value,))
            else:
                out.add(value)
        return frozenset(out) if out else UNKNOWN_VALUES

    def _resolve_str(self, value: str, depth: int = 0) -> Values:
        if value in (UNKNOWN, NONE):
            return frozenset((value,))
        memo = self._resolved.get(value)
        if memo is not None:
            self._note_all(memo[1])
            return memo[0]
        if depth > MAX_DEPTH:
            return UNKNOWN_VALUES
        self._resolved[value] = (UNKNOWN_VALUES, frozenset())  # a cycle resolves to unknown
        self.begin()
        try:
            result = self._walk(value, depth)
        except RecursionError:
            result = UNKNOWN_VALUES
        finally:
            deps = self.end()
        self._resolved[value] = (result, deps)
        return result

    def _walk(self, value: str, depth: int) -> Values:
        toks = tokens(value)
        if not toks:
            return frozenset((value,))
        head = self._module_of(".".join(t[1] for t in _leading_names(toks)))
        if head is None:  # outside the project: context managers give themselves
            if "[enter]" in value or "[aenter]" in value:
                value = value.replace("[aenter]", "").replace("[enter]", "")
            return self._refine(value)
        module, rest = head
        current: Values = frozenset((module,))
        i = len(module.split("."))
        while i < len(toks):
            kind, text = toks[i]
            maps = [v for v in current if isinstance(v, Map)]
            if maps and kind == "attr" and text in MAP_METHODS and i + 1 < len(toks) and toks[i + 1][0] == "call":
                current = map_method(maps, text)  # ``REGISTRY.get(k)`` of a typed mapping
                i += 2
            else:
                current = self._apply(current, kind, text, depth)
                i += 1
            if current == UNKNOWN_VALUES:
                break
        return current

    def _apply(self, values: Values, kind: str, text: str, depth: int) -> Values:
        out: Set[Value] = set()
        for value in values:
            out.update(self._apply_one(value, kind, text, depth))
        return frozenset(out) if out else UNKNOWN_VALUES

    def _apply_one(self, value: Value, kind: str, text: str, depth: int) -> Values:
        if isinstance(value, str):
            if value in (UNKNOWN, NONE):
                return UNKNOWN_VALUES
            if kind == "attr":
                return self._attribute(value, text, depth)
            if kind == "call":
                return self._call(value, depth)
            return self._op(value, text, depth)
        if isinstance(value, (Seq, Tup)):
            if kind == "op" and (text in ("[iter]", "[item]") or text[1:-1].isdigit()):
                if isinstance(value, Seq):
                    return value.items
                if text[1:-1].isdigit():
                    i = int(text[1:-1])
                    return value.items[i] if i < len(value.items) else UNKNOWN_VALUES
                return frozenset(v for item in value.items for v in item) or UNKNOWN_VALUES
            return UNKNOWN_VALUES
        if isinstance(value, Map):
            if kind == "op" and text == "[iter]":
                return value.keys
            if kind == "op" and (text == "[item]" or text[1:-1].isdigit()):
                return value.values
            return UNKNOWN_VALUES
        if isinstance(value, Awaitable):
            return value.result if kind == "op" and text == "[await]" else UNKNOWN_VALUES
        if isinstance(value, Opaque):
            p = self.provider(value.provider)
            if p is None:
                return UNKNOWN_VALUES
            if kind == "attr":
                found = p.attribute(value, text, self)
            elif kind == "call":
                found = p.call(value, self)
            elif text in ("[iter]", "[item]"):
                found = p.iterate(value, self)
            elif text in ("[enter]", "[aenter]"):
                found = frozenset((value,))
            else:
                found = None
            return found if found is not None else UNKNOWN_VALUES
        return UNKNOWN_VALUES

    def _entity(self, value: str) -> Tuple[str, Any]:
        """What a resolved string names in the project: ("module", name),
        ("function", facts), ("class", facts), ("instance", class facts) or ("", None)."""
        if value.endswith("()") and "[" not in value:
            cls = self.class_facts(value[:-2])
            if cls is not None:
                return "instance", cls
            return "", None
        if value in self.modules or (self.knows(value) and self.summary_of(value) is not None):
            return "module", value
        fn = self._function(value)
        if fn is not None:
            return "function", fn
        cls = self.class_facts(value)
        if cls is not None:
            return "class", cls
        return "", None

    def _function(self, qualname: str) -> Optional[FunctionFacts]:
        fn = self.functions.get(qualname)
        if fn is None and "." in qualname:
            module = self._module_of(qualname)
            if module is not None:
                fn = self.functions.get(qualname)
        return fn

    def class_facts(self, qualname: str) -> Optional[ClassFacts]:
        """The project class named by dotted ``qualname`` (its module loaded on demand)."""
        cls = self.classes.get(qualname)
        if cls is None and "." in qualname:
            module = self._module_of(qualname)
            if module is not None:
                cls = self.classes.get(qualname)
        return cls

    def _global(self, module: str, name: str, depth: int) -> Optional[Values]:
        summary = self.summary_of(module)
        if summary is None:
            return None
        found = summary.globals.get(name)
        qual = f"{module}.{name}"
        if found is not None:
            if found == frozenset((qual,)) or qual in summary.functions or qual in summary.classes:
                return frozenset((qual,))  # a definition of the module
            return self._resolve_all(found, depth + 1)
        if self.knows(qual):
            return frozenset((qual,))
        for star in summary.star_imports:
            if self.knows(star) and star != module:
                got = self._global(star, name, depth + 1)
                if got is not None:
                    return got
        return None

    def _resolve_all(self, values: Values, depth: int) -> Values:
        out: Set[Value] = set()
        for v in values:
            if isinstance(v, str):
                out.update(self._resolve_str(v, depth))
            else:
                out.update(self.resolve((v,)))
        return frozenset(out) if out else UNKNOWN_VALUES

    def _attribute(self, value: str, name: str, depth: int) -> Values:
        kind, entity = self._entity(value)
        if kind == "module":
            found = self._global(entity, name, depth)
            return found if found is not None else frozenset((f"{value}.{name}",))
        if kind in ("class", "instance"):
            # an attribute the class (and its project bases) never binds: unknown (a base
            # outside the project answers in ``_member``)
            return self._member(entity, name, depth, instance=kind == "instance") or UNKNOWN_VALUES
        if kind == "function":
            return UNKNOWN_VALUES
        return self._refine(f"{value}.{name}")

    def mro(self, cls: ClassFacts, _depth: int = 0) -> List[Any]:
        """The class, then its bases depth-first: project classes as facts, other bases
        as canonical names (``requests.Session``)."""
        out: List[Any] = [cls]
        seen = {cls.qualname}
        queue = list(cls.bases)
        while queue and len(out) < 32:
            values = queue.pop(0)
            for base in self._resolve_all(values, _depth + 1):
                if not isinstance(base, str) or base in (UNKNOWN, NONE) or base in seen:
                    continue
                seen.add(base)
                facts = self.class_facts(base)
                if facts is not None:
                    out.append(facts)
                    queue.extend(facts.bases)
                else:
                    out.append(base)
        return out

    def _member(self, cls: ClassFacts, name: str, depth: int, instance: bool) -> Optional[Values]:
        for p in self.providers:
            found = p.class_attribute(cls, name, instance, self)
            if found is not None:
                return found
        for klass in self.mro(cls, depth):
            if isinstance(klass, str):  # an outside base: its instances' attributes
                return self._refine(f"{klass}().{name}" if instance else f"{klass}.{name}")
            method = klass.methods.get(name)
            if method is not None:
                fn = self.functions.get(method)
                if instance and fn is not None and fn.is_property:
                    return self._returns(fn, depth)
                return frozenset((method,))
            if name in klass.attributes:
                return self._resolve_all(klass.attributes[name], depth + 1)
        return None

    def _returns(self, fn: FunctionFacts, depth: int) -> Values:
        returns = fn.declared if fn.declared is not None else self.details(fn).returns
        got = self._resolve_all(returns, depth + 1)
        if fn.declared is not None and _instances_only(got):
            got = self._body_over_declared(fn, got, depth)
        if fn.is_async:
            return frozenset((Awaitable(got),))
        return got

    def _body_over_declared(self, fn: FunctionFacts, declared: Values, depth: int) -> Values:
        """``def recent(self) -> Sequence[Trip]: return self.session.scalars(stmt).all()``:
        the annotation says only "Trips"; when every ``return`` of the body resolves to a
        provider's value (which knows what the rows are and load), the body says more."""
        each = self.details(fn).each_return
        if not each:
            return declared
        body = self._resolve_all(frozenset(v for values in each for v in values), depth + 1)
        if body and all(isinstance(v, Opaque) for v in body):
            return body
        return declared

    def _call(self, value: str, depth: int) -> Values:
        kind, entity = self._entity(value)
        if kind == "function":
            return self._returns(entity, depth)
        if kind == "class":
            return frozenset((entity.qualname + "()",))
        if kind == "instance":
            call = self._member(entity, "__call__", depth, instance=True)
            if call:
                return self._apply(call, "call", "", depth)
            return UNKNOWN_VALUES
        if kind == "module":
            return UNKNOWN_VALUES
        return self._refine(value + "()")

    def _op(self, value: str, op: str, depth: int) -> Values:
        kind, entity = self._entity(value)
        if op[1:-1].isdigit():
            op = "[item]" if kind == "instance" else op
        if kind == "instance":
            dunder = {"[iter]": "__iter__", "[item]": "__getitem__", "[enter]": "__enter__", "[aenter]": "__aenter__", "[await]": "__await__"}[op]
            member = self._member(entity, dunder, depth, instance=True)
            if not member:
                return frozenset((value,)) if op in ("[enter]", "[aenter]") else UNKNOWN_VALUES
            got = self._apply(member, "call", "", depth)
            if op == "[aenter]":
                got = self._apply(got, "op", "[await]", depth)
            if op == "[iter]":
                got = self._apply(got, "op", "[iter]", depth)
            return got
        if kind in ("function", "class", "module"):
            return UNKNOWN_VALUES
        if op in ("[enter]", "[aenter]"):
            return self._refine(value)  # outside context managers give themselves
        refined = None
        if op in ("[iter]", "[item]"):
            for p in self.providers:
                refined = p.iterate(value, self)
                if refined is not None:
                    return refined
        return frozenset((value + op,))

    def _refine(self, value: str) -> Values:
        for p in self.providers:
            found = p.refine(value, self)
            if found is not None:
                return found
        return frozenset((value,))

    # -- call targets ----------------------------------------------------------------
    def targets(self, callee: Values, attribute: str = "") -> List[FunctionFacts]:
        """Project functions that calling something that may be ``callee`` runs (or, with
        ``attribute``, that reading ``<callee>.attribute`` runs: a property getter)."""
        out: List[FunctionFacts] = []
        for value in self.resolve(callee):
            if not isinstance(value, str) or value in (UNKNOWN, NONE):
                continue
            kind, entity = self._entity(value)
            if attribute:
                if kind == "instance":
                    fn = self._property(entity, attribute)
                    if fn is not None:
                        out.append(fn)
                continue
            if kind == "function":
                out.append(entity)
            elif kind == "class":
                init = self.method(entity, "__init__") or self.method(entity, "__post_init__")
                if init is not None:
                    out.append(init)
            elif kind == "instance":
                call = self.method(entity, "__call__")
                if call is not None:
                    out.append(call)
        seen: Set[str] = set()
        unique = []
        for fn in out:
            if fn.qualname not in seen:
                seen.add(fn.qualname)
                unique.append(fn)
        return unique

    def method(self, cls: ClassFacts, name: str) -> Optional[FunctionFacts]:
        """The project method ``name`` of ``cls`` as its method resolution order finds it
        (None when it is not found, or a base outside the project comes first)."""
        for klass in self.mro(cls):
            if isinstance(klass, str):
                return None
            qual = klass.methods.get(name)
            if qual is not None:
                return self.functions.get(qual)
        return None

    def _property(self, cls: ClassFacts, name: str) -> Optional[FunctionFacts]:
        for klass in self.mro(cls):
            if isinstance(klass, str):
                return None
            if name in klass.methods:
                fn = self.functions.get(klass.methods[name])
                return fn if fn is not None and fn.is_property else None
            if name in klass.attributes:
                return None
        return None

    def function(self, canonical: str) -> Optional[FunctionFacts]:
        """The project function a canonical callee names (after resolution), if one."""
        found = self.targets(frozenset((canonical,)))
        return found[0] if found else None

    # -- chains ---------------------------------------------------------------------
    def explain(self, start: FunctionFacts, provider: str, caller: str = "") -> Optional[Chain]:
        """The shortest chain from calling ``start`` to an effect of ``provider``, or None.
        ``caller``: the module the call is made from (see :func:`crosses_into_stdlib`)."""
        if caller and crosses_into_stdlib(caller, start.qualname):
            return None
        key = (start.qualname, provider)
        memo = self._chains.get(key)
        if memo is None:
            self.begin()
            try:
                found = self.search(start, provider)
            finally:
                deps = self.end()
            memo = self._chains[key] = (found, deps)
        else:
            self._note_all(memo[1])
        return memo[0]

    def search(
        self,
        start: FunctionFacts,
        provider_name: str,
        state: Hashable = None,
        carry: Optional["ChainCarry"] = None,
    ) -> Optional[Chain]:
        """The shortest chain from calling ``start`` to an effect of ``provider_name``
        (breadth-first, at most :data:`MAX_DEPTH` calls deep, cycles cut), not memoised.

        ``carry`` lets a caller thread what it knows along each call edge (e.g. the known
        constant arguments of a call): ``state`` is what is known on entering ``start``;
        :meth:`ChainCarry.last_line` says after which line of a function nothing runs
        given its state (its effects and calls after that line are not followed), and
        :meth:`ChainCarry.into` gives the state on entering the callee of a call. A
        function is visited once per distinct state. Without ``carry`` every function
        is visited once (this is what :meth:`explain` runs)."""
        provider = self.provider(provider_name)
        if provider is None:
            return None
        queue: "deque[Tuple[FunctionFacts, Hashable, Tuple[str, ...], Tuple[Step, ...]]]" = deque([(start, state, (start.short,), ())])
        seen: Set[Tuple[str, Hashable]] = {(start.qualname, state)}
        while queue:
            fn, known, names, steps = queue.popleft()
            body = self.details(fn)
            last = carry.last_line(fn, known) if carry is not None else None
            own = [e for e in body.effects if e.provider == provider_name and (last is None or e.line <= last)]
            path = self.path_of(fn.qualname)
            if own:
                effect = own[0]
                return Chain(names + (effect.display,), effect, steps + (Step(f"`{fn.short}` calls `{effect.display}`", path, effect.line, effect.column),))
            if len(names) >= MAX_DEPTH:
                continue
            for call in body.calls:
                if last is not None and call.line > last:
                    continue
                if call.kind != "read":
                    # the callee as the project resolves it (``from .db import session``
                    # then ``session.get()`` is ``requests.Session().get``); the provider's
                    # notes carry what it saw of the syntax around the call
                    effect = self.call_effect(call, provider_name)
                    if effect is not None:
                        verb = "iterates" if call.kind == "iter" else "calls"
                        return Chain(names + (effect.display,), effect, steps + (Step(f"`{fn.short}` {verb} `{effect.display}`", path, call.line, call.column),))
                    if call.kind == "iter":
                        continue
                for target in self.targets(call.callee, call.attribute):
                    inner = carry.into(fn, known, call, target) if carry is not None else None
                    if (target.qualname, inner) in seen or not provider.follows(call, target):
                        continue
                    if crosses_into_stdlib(fn.qualname, target.qualname):
                        continue
                    seen.add((target.qualname, inner))
                    verb = "reads" if call.attribute else "calls"
                    queue.append((target, inner, names + (target.short,), steps + (Step(f"`{fn.short}` {verb} `{target.short}`", path, call.line, call.column),)))
        return None

    def call_effect(self, call: CallFacts, provider_name: str) -> Optional[Effect]:
        """The effect of ``provider_name`` that ``call`` itself has (the callee as the
        project resolves it, matched by the provider; an ``iter`` call by its iteration
        match), at the call's position; None when it has none or the provider is unknown."""
        provider = self.provider(provider_name)
        if provider is None:
            return None
        for value in self.resolve(call.callee):
            own = isinstance(value, Opaque) and value.provider == provider_name
            if own or isinstance(value, str) and value not in (UNKNOWN, NONE):
                found = provider.match_iteration(value, call, self) if call.kind == "iter" else provider.match(value, call, self)
                if found is not None:
                    return Effect(found.provider, found.kind, found.display, call.line, call.column)
        return None


class ChainCarry(Protocol):
    """What :meth:`ProjectFacts.search` threads along call edges (see there). States
    must be hashable: a function is visited once per state."""

    def last_line(self, fn: FunctionFacts, state: Any) -> Optional[int]:
        """The line of ``fn`` after which nothing runs given ``state``; None: all may."""

    def into(self, caller: FunctionFacts, state: Any, call: CallFacts, target: FunctionFacts) -> Hashable:
        """The state on entering ``target`` through ``call`` made in ``caller``."""


def found_module(qualname: str, modules: Dict[str, ModuleSummary]) -> Optional[str]:
    """The loaded module that defines function or class ``qualname``."""
    parts = qualname.split(".")
    for i in range(len(parts) - 1, 0, -1):
        name = ".".join(parts[:i])
        summary = modules.get(name)
        if summary is not None and (qualname in summary.functions or qualname in summary.classes):
            return name
    return None


def _leading_names(toks: List[Tuple[str, str]]) -> List[Tuple[str, str]]:
    out = []
    for kind, text in toks:
        if kind not in ("name", "attr"):
            break
        out.append((kind, text))
    return out


# --------------------------------------------------------------------------- building
def build(files: Sequence[str], providers: Sequence[Provider] = (), cache: Any = None, buffers: Optional[Dict[str, str]] = None) -> ProjectFacts:
    """The project over the modules of ``files``; summaries load on first use.
    ``buffers`` (absolute path -> text) replace files' contents on disk (stdin)."""
    from fftlint.engine.run import module_name_for

    by_module: Dict[str, Tuple[str, bool]] = {}
    buffers = {os.path.abspath(p): t for p, t in (buffers or {}).items()}
    known = {os.path.abspath(p) for p in files}
    every = list(files) + [p for p in buffers if p not in known]
    for path in every:
        if not path.endswith((".py", ".pyi")):
            continue
        module, is_package = module_name_for(path)
        by_module.setdefault(module, (path, is_package))
    if cache is not None and not getattr(cache, "enabled", True):
        cache = None
    source = ModuleSource(by_module, cache, buffers)
    source.files.save()  # what the providers learned of the files, for the next run
    return ProjectFacts(source, providers)
