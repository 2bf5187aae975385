"""Shared by the FFT2xx rules: the ORM catalog, query-chain analysis, loop classification.

A *chain* is ``root.link.link...``: ``Book.objects.filter(x=1).select_related("a")[:10]``
is the root ``Book`` and the links ``.objects``, ``.filter``, ``(...)``,
``.select_related``, ``(...)``, ``[:10]``. :func:`analyze` reads a chain as a Django
QuerySet or a SQLAlchemy query when the catalog says it is one, and records what it
loads eagerly and whether it already ran (a terminal method such as ``.get()``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

import libcst as cst

from fftlint import yamlfile
from fftlint.analysis.names import dotted
from fftlint.analysis.orm import SQLA_LOAD, SUMMARY_VERSION, Model, ModelIndex, Relation, summarize_models
from fftlint.facts.values import NONE, UNKNOWN, Tup

from .provider import ANY, BARE, FILTERED, TABLE_BEFORE, orm_data, project_models
from ._view_instances import bound_view_instance, view_instance

CATALOG_PATH = os.path.join(os.path.dirname(__file__), "orm_calls.yaml")


@lru_cache(maxsize=1)
def catalog() -> Dict[str, Any]:
    with open(CATALOG_PATH, encoding="utf-8") as fh:
        return yamlfile.safe_load(fh)


@dataclass(frozen=True)
class NPlusOneOptions:
    """``[tool.fftlint.n-plus-one]``"""

    #: Extra Django manager attribute names (``Book.published.filter(...)``).
    managers: Tuple[str, ...] = ()
    #: Extra names of SQLAlchemy session receivers (``uow.query(...)``).
    session_names: Tuple[str, ...] = ()
    #: Extra names of DB-API cursor receivers.
    cursor_names: Tuple[str, ...] = ()


OPTIONS_KEY = "n-plus-one"
#: Pre-filters (must never change the answer; tests/rules/test_n_plus_one_prefilter.py).
#: FFT201 reports only inside a ``for`` loop or a comprehension, and custom manager
#: names are arbitrary, so "for" is the only string every finding needs.
REQUIRES_QUERY_IN_LOOP = ("for",)
#: FFT202 needs a collection loop: its rows may come from a manager the file spells, or
#: from a helper, a parameter or ``self`` (the pre-check asks the facts layer).
REQUIRES_LAZY_RELATION = ("for",)


def options_of(rule: Any) -> NPlusOneOptions:
    return rule.options if isinstance(rule.options, NPlusOneOptions) else NPlusOneOptions()


# --------------------------------------------------------------------------- models


#: Text every model definition contains (a Django ``models.`` field or ``Model`` base, a
#: SQLAlchemy declarative base, column or relationship).
_MODEL_MARKERS = ("models", "Model", "relationship", "Column", "column", "Mapped", "declarative", "Base")


def model_index(ctx: Any) -> ModelIndex:
    """The models the rules know for this file: the project's (the ORM provider's facts,
    when the engine built the project) merged with the ones this file defines."""
    return ctx.shared("fft2-models", lambda: _model_index(ctx))


def _model_index(ctx: Any) -> ModelIndex:
    shared = project_models(getattr(ctx, "project", None))
    if any(marker in ctx.source for marker in _MODEL_MARKERS):
        own = summarize_models(ctx.source, ctx.module_name, ctx.names.is_package)
    else:  # no model can be defined here: skip the ast pass (most files)
        own = {"version": SUMMARY_VERSION, "module": ctx.module_name, "models": []}
    if isinstance(shared, ModelIndex):
        return shared.with_summary(own)
    return ModelIndex([own])


def is_capwords(name: str) -> bool:
    return bool(name) and name[0].isupper() and any(c.islower() for c in name)


def last_name(node: cst.BaseExpression) -> Optional[str]:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return None


def orm_of_values(values: Any) -> Optional[Tuple[Any, ...]]:
    """The one ORM query value (kind, model, loads, related) that ``values`` names: its
    known members all ORM queries, rows or results of the same kind and model (``None``
    and unknown members ignored, as :func:`fftlint.facts.values.single` does); loads
    merged (a query that may load more is assumed to)."""
    found: Optional[Tuple[Any, ...]] = None
    loads: Set[str] = set()
    for value in values:
        if value == UNKNOWN or value == NONE:
            continue
        data = orm_data(value)
        if data is None or data[0] not in ("qs", "query", "rows", "result"):
            return None
        if found is not None and (found[0], found[1], found[3]) != (data[0], data[1], data[3]):
            return None
        found = data
        loads.update(data[2])
    if found is None:
        return None
    return (found[0], found[1], tuple(sorted(loads)), found[3])


# --------------------------------------------------------------------------- chains
@dataclass(frozen=True)
class Link:
    kind: str  # attr | call | index
    name: str  # attribute name ("" for call / index)
    node: cst.BaseExpression  # the expression up to and including this link


def unchain(expr: cst.BaseExpression) -> Tuple[cst.BaseExpression, List[Link]]:
    links: List[Link] = []
    node = expr
    while True:
        if isinstance(node, cst.Attribute):
            links.append(Link("attr", node.attr.value, node))
            node = node.value
        elif isinstance(node, cst.Call):
            links.append(Link("call", "", node))
            node = node.func
        elif isinstance(node, cst.Subscript):
            links.append(Link("index", "", node))
            node = node.value
        else:
            break
    links.reverse()
    return node, links


@dataclass
class Query:
    """A Django QuerySet / related manager or a SQLAlchemy query, as far as we can tell."""

    orm: str  # django | sqlalchemy
    model: Optional[Model]
    model_name: str  # as written: "Book"
    display: str  # "Book.objects" / "session.query(User)"
    instances: bool = True  # iterating yields model instances
    deferred: Set[str] = field(default_factory=set)  # ``defer("a")``: columns each row loads on first read
    only: Optional[Set[str]] = None  # ``only("a", "b")``: the columns rows have (with the pk)
    select_related: Set[str] = field(default_factory=set)
    select_all: bool = False  # select_related() without arguments
    prefetch: Set[str] = field(default_factory=set)
    loads_unknown: bool = False  # a loader argument we cannot read: assume it covers
    custom: bool = False  # a custom manager or queryset method: may load anything
    no_fix: bool = False  # only/defer/union/slicing/iterator...: do not edit
    terminal: Optional[str] = None  # the method that ran it (".get", "[]", ...)
    batch: bool = False  # bulk_create / bulk_update: a batch API
    related: Optional[Relation] = None  # a related manager (``author.books``)
    methods: List[str] = field(default_factory=list)
    batched_on: List[cst.BaseExpression] = field(default_factory=list)  # `__in=` / `.in_()` values
    model_expr: Optional[cst.BaseExpression] = None
    via: str = "manager"  # manager | query | session | values (the facts layer told)
    origin: Optional[cst.BaseExpression] = None  # the expression whose value was the query
    narrowed: bool = False  # a related manager filtered before we saw it (facts layer)
    custom_method: bool = False  # a method of a custom manager / queryset class in the chain
    index: Any = field(default=None, repr=False, compare=False)  # the model index, for select_all

    def copy(self, **changes: Any) -> "Query":
        """The same query with its own sets and lists (``changes`` replace fields)."""
        fresh = dict(methods=list(self.methods), select_related=set(self.select_related), prefetch=set(self.prefetch), batched_on=list(self.batched_on),
                     deferred=set(self.deferred), only=set(self.only) if self.only is not None else None)
        fresh.update(changes)
        return replace(self, **fresh)

    def covers(self, path: str) -> bool:
        if self.loads_unknown or self.custom:
            return True
        if self.orm == "django":
            if self.select_all and (bare_select_covers(self.index, self.model, path) if self.index is not None and self.model is not None else "__" not in path):
                return True
            loaded = self.select_related | self.prefetch
            return any(p == path or p.startswith(path + "__") for p in loaded)
        return path in self.prefetch


#: how deep Django's ``select_related()`` without arguments follows foreign keys
BARE_SELECT_DEPTH = 5


def bare_select_covers(index: Any, model: Model, path: str) -> bool:
    """Whether ``select_related()`` without arguments loads ``path``: Django follows
    forward foreign keys and one-to-ones that are not nullable, up to five hops, so not a
    hop declared ``null=True``, nor a reverse or to-many one (a hop whose nullness is not
    literal, or not found in the models, is taken to be loaded)."""
    hops = path.split("__")
    if len(hops) > BARE_SELECT_DEPTH:
        return False
    current: Optional[Model] = model
    for hop in hops:
        rel = index.relation(current, hop) if current is not None else None
        if rel is None:
            return True
        if rel.kind not in ("fk", "o2o"):
            return False
        found = next((f for f in index._effective_fields(current) if f.get("name") == hop), None) if current is not None else None
        if found is not None and found.get("null") is True:
            return False
        current = index.models.get(rel.target or "")
    return True


def dbapi_name(name: Optional[str], options: "NPlusOneOptions") -> bool:
    """A receiver named like a DB-API cursor (``cur``, ``db_cursor``, the configured
    ``cursor-names``) or connection (``conn``, ``db_connection``); callers still ask for a
    literal SQL statement."""
    if not name:
        return False
    cat = catalog()["dbapi"]
    return (name in cat["cursor_names"] or name in options.cursor_names or name.endswith("_cursor")
            or name in cat.get("connection_names", ()) or name.endswith(("_conn", "_connection")))


def default_rows(index: Any, model: Model, display: str) -> Optional[Query]:
    """The queryset Django builds from the model's default manager (a changelist, a
    generic listing), loading what that manager's ``get_queryset`` plainly loads; None
    when the manager is custom in a way we cannot read."""
    manager = index.default_manager(model) or "objects"
    if manager in index.custom_managers(model):
        return None
    q = Query("django", model, model.name, display)
    loaded = index.manager_loads(model, manager)
    q.select_related.update(loaded)
    q.prefetch.update(loaded)
    return q


def _string_args(call: cst.Call) -> Optional[List[str]]:
    out: List[str] = []
    for arg in call.args:
        if arg.keyword is not None or arg.star:
            return None
        value = arg.value
        if isinstance(value, cst.SimpleString):
            text = value.evaluated_value
            if not isinstance(text, str):
                return None
            out.append(text)
        elif isinstance(value, cst.Call) and last_name(value.func) == "Prefetch":
            # Prefetch("books") only; a custom queryset / to_attr may load anything
            if len(value.args) != 1 or value.args[0].keyword is not None:
                return None
            first = value.args[0].value
            if not isinstance(first, cst.SimpleString) or not isinstance(first.evaluated_value, str):
                return None
            out.append(first.evaluated_value)
        else:
            return None
    return out


def _batched_values(call: cst.Call) -> List[cst.BaseExpression]:
    """Values of ``field__in=...`` keywords (a Django batch lookup)."""
    return [a.value for a in call.args if a.keyword is not None and a.keyword.value.endswith("__in")]


def _apply_django(q: Query, links: Sequence[Link]) -> Optional[Query]:
    cat = catalog()["django"]
    lazy, query, batch = set(cat["lazy"]), cat["query"], set(cat["batch"])
    i = 0
    while i < len(links):
        link = links[i]
        if q.terminal is not None:
            return None  # something applied to the result of a query
        if link.kind == "index":
            sl = link.node.slice  # type: ignore[attr-defined]
            if len(sl) == 1 and isinstance(sl[0].slice, cst.Slice):
                q.no_fix = True
                i += 1
                continue
            q.terminal = "[]"
            i += 1
            continue
        if link.kind != "attr" or i + 1 >= len(links) or links[i + 1].kind != "call":
            return None
        name, call = link.name, links[i + 1].node
        assert isinstance(call, cst.Call)
        q.methods.append(name)
        if name in lazy:
            if name == "select_related":
                args = _string_args(call)
                if args is None:
                    q.loads_unknown = True
                elif not args:
                    q.select_all = True
                q.select_related.update(args or ())
            elif name == "prefetch_related":
                args = _string_args(call)
                if args is None:
                    q.loads_unknown = True
                q.prefetch.update(args or ())
            elif name in ("values", "values_list", "dates", "datetimes"):
                q.instances = False
            elif name in ("only", "defer", "union", "intersection", "difference", "extra", "none"):
                q.no_fix = True
                args = _string_args(call) if name in ("only", "defer") else None
                if name == "defer" and args:
                    q.deferred.update(a for a in args if "__" not in a)
                elif name == "only" and args is not None:
                    q.only = {a.split("__", 1)[0] for a in args}
            elif name in ("filter", "exclude"):
                q.batched_on.extend(_batched_values(call))
        elif name in query:
            if q.related is not None and name in ("create", "get_or_create", "update_or_create"):
                pass
            q.terminal = name
            q.batched_on.extend(_batched_values(call))
        elif name in batch:
            if name in ("iterator", "aiterator"):
                q.no_fix = True
            else:
                q.batch = True
                q.terminal = name
        else:
            q.custom = True
            q.no_fix = True
            q.custom_method = True
        i += 2
    return q


def _apply_sqlalchemy(q: Query, links: Sequence[Link], names: Any) -> Optional[Query]:
    cat = catalog()["sqlalchemy"]
    lazy, query = set(cat["lazy"]), cat["query"]
    loaders = set(cat["loaders"])
    i = 0
    while i < len(links):
        link = links[i]
        if q.terminal is not None:
            return None
        if link.kind == "index":
            q.no_fix = True
            i += 1
            continue
        if link.kind != "attr" or i + 1 >= len(links) or links[i + 1].kind != "call":
            return None
        name, call = link.name, links[i + 1].node
        assert isinstance(call, cst.Call)
        q.methods.append(name)
        if name == "options":
            for arg in call.args:
                got = _loader_attrs(arg.value, loaders)
                if got is None:
                    q.loads_unknown = True
                else:
                    q.prefetch.update(got)
        elif name in ("with_entities", "add_columns"):
            q.instances = False
        elif name in ("filter", "where"):
            q.batched_on.extend(_in_values(call))
        elif name in lazy:
            pass
        elif name in query:
            q.terminal = name
        else:
            q.custom = True
        i += 2
    return q


def _loader_attrs(expr: cst.BaseExpression, loaders: Set[str]) -> Optional[Set[str]]:
    """``selectinload(User.addresses).joinedload(Address.city)`` -> {"addresses",
    "addresses__city"}: each chained loader loads one more hop of the path."""
    root, links = unchain(expr)
    if not links or links[0].kind != "call":
        return None
    if last_name(root) not in loaders:
        return None
    calls = [links[0].node]
    for i in range(1, len(links) - 1, 2):
        if links[i].kind != "attr" or links[i + 1].kind != "call":
            return None
        if links[i].name in loaders:
            calls.append(links[i + 1].node)  # ``.load_only(...)`` and the like: columns, no hop
    hops: List[str] = []
    for call in calls:
        assert isinstance(call, cst.Call)
        for arg in call.args:
            value = arg.value
            if isinstance(value, cst.Attribute):
                hops.append(value.attr.value)
            elif isinstance(value, cst.SimpleString) and isinstance(value.evaluated_value, str):
                hops.append(value.evaluated_value)
            else:
                return None
    return {"__".join(hops[: i + 1]) for i in range(len(hops))}


def _in_values(call: cst.Call) -> List[cst.BaseExpression]:
    out: List[cst.BaseExpression] = []
    for arg in call.args:
        for node in _walk(arg.value):
            if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in ("in_", "any_"):
                out.extend(a.value for a in node.args)
    return out


def _walk(node: cst.CSTNode) -> List[cst.CSTNode]:
    out = [node]
    stack = [node]
    while stack:
        cur = stack.pop()
        for child in cur.children:
            out.append(child)
            stack.append(child)
    return out


def derives_from(ctx: Any, cls: cst.ClassDef, accepts: Callable[[str], bool]) -> bool:
    """A base of ``cls`` (by its value), or a class in the project MRO of one, is a name
    ``accepts`` (``ListView``, Django's ``ModelAdmin``, any of DRF's views)."""
    project = ctx.project
    for base in cls.bases:
        for value in ctx.names.values(base.value):
            if not isinstance(value, str):
                continue
            if accepts(value):
                return True
            facts = project.class_facts(value) if project is not None and hasattr(project, "class_facts") else None
            if facts is not None and any(isinstance(k, str) and accepts(k) for k in project.mro(facts)):
                return True
    return False


def short_code(text: str, limit: int = 60) -> str:
    """Source text for a message: whitespace runs folded, cut to ``limit`` with "..."."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def not_database(canonical: Optional[str]) -> bool:
    return bool(canonical) and canonical.split(".", 1)[0] in catalog()["not_databases"]  # type: ignore[union-attr]


def is_session(expr: cst.BaseExpression, names: Any, extra: Sequence[str] = ()) -> bool:
    canonical = names.resolve(expr)
    if not_database(canonical):
        return False
    if canonical and canonical.startswith(("sqlalchemy.", "sqlmodel.", "flask_sqlalchemy.")):
        return True
    name = last_name(expr)
    if name is None:
        return False
    low = name.lower()
    return low.endswith("session") or low in catalog()["sqlalchemy"]["session_names"] or name in extra


class Analyzer:
    """Reads expressions of one file as queries. ``bound`` maps local names to the
    queries assigned to them; ``instance`` tells the model of a loop variable."""

    def __init__(self, ctx: Any, options: NPlusOneOptions) -> None:
        self.ctx = ctx
        self.options = options
        self.index = model_index(ctx)
        self.bound: List[Dict[str, Query]] = [{}]
        self.instance: Callable[[str], Optional[Tuple[Model, str]]] = lambda name: None
        #: what the module's callers pass for a parameter of the walked function
        self.parameter: Callable[[str], Optional[Any]] = lambda name: None
        self._through_depth = 0
        #: what ``super().get_queryset()`` gives in the walked method (a rule that knows the
        #: class's generic base sets it: Django's ``queryset`` / ``model`` default)
        self.super_queryset: Callable[[], Optional[Query]] = lambda: None

    # -- model lookup ---------------------------------------------------------
    def model_of(self, expr: cst.BaseExpression) -> Optional[Model]:
        canonical = self.ctx.names.resolve(expr)
        if not canonical or not_database(canonical):
            return None
        return self.index.find(canonical, near=self.ctx.module_name)

    # -- names bound to queries ----------------------------------------------
    def push(self) -> None:
        self.bound.append({})

    def pop(self) -> None:
        if len(self.bound) > 1:
            self.bound.pop()

    def bind(self, name: str, query: Optional[Query]) -> None:
        scope = self.bound[-1]
        if query is not None and query.orm == "sqlalchemy" and query.terminal in ("execute", "scalars") and query.instances and query.model is not None:
            # ``rows = session.execute(stmt).scalars().all()``: rows fetched here; iterating
            # them runs no query, reading their lazy relations does
            scope[name] = replace(query, terminal="rows")
        elif query is None or query.terminal is not None:
            scope[name] = None  # type: ignore[assignment]  # shadows outer bindings
        else:
            scope[name] = query

    def lookup(self, name: str) -> Optional[Query]:
        for scope in reversed(self.bound):
            if name in scope:
                return scope[name]
        return None

    # -- analysis ------------------------------------------------------------
    def analyze(self, expr: cst.BaseExpression) -> Optional[Query]:
        q = self._analyze(expr)
        if q is not None and q.index is None:
            q.index = self.index
        return q

    def _analyze(self, expr: cst.BaseExpression) -> Optional[Query]:
        fetched = _shortcut_fetch(self, expr)
        if fetched is not None:
            return fetched  # ``get_object_or_404(Meeting, pk=pk)``: a query, run here
        root, links = unchain(expr)
        if isinstance(root, cst.Name) and root.value == "super" and len(links) >= 3 and links[0].kind == "call" and not links[0].node.args \
                and links[1].name == "get_queryset" and links[2].kind == "call" and not links[2].node.args:  # type: ignore[attr-defined]
            base = self.super_queryset()
            if base is not None:
                return _apply_django(base.copy(), links[3:])
        if isinstance(root, cst.Name) and links:
            bound = self.lookup(root.value)
            if bound is not None:
                q = bound.copy()
                got = (_apply_django if q.orm == "django" else lambda q, l: _apply_sqlalchemy(q, l, None))(q, links)  # type: ignore[operator]
                if got is not None and got.custom_method and not bound.custom_method:
                    return self._from_values(root, links)  # a custom method: what it returns is the facts layer's to say
                return got
            inst, used = self.instance(root.value), 0
            if inst is None:
                user = view_instance(self, root, links)  # ``request.user.seats.all()``, ``self.object.lines``
                if user is not None:
                    inst, used = (user[0], ""), user[1]
                else:
                    held = bound_view_instance(self, root.value)  # ``user = request.user``
                    inst = (held, "") if held is not None else None
            if inst is not None:
                q = self.related_rows(inst[0], links, used)
                if q is not None:
                    return q
        elif isinstance(root, cst.Name) and not links:
            bound = self.lookup(root.value)
            if bound is not None:
                return bound
            return self._from_values(root, links) or self._from_callers(root, links)
        q = self._django(root, links) or self._sqlalchemy(root, links)
        if q is not None and q.custom_method:
            # ``Branch.objects.open()``: only the facts layer can tell what the method
            # returns (a queryset, or a dict, a number...); unknown stays unknown
            return self._from_values(root, links)
        # a pass-through helper first: read here, the query keeps where it was built
        return q or self._through(root, links) or self._from_values(root, links) or self._from_callers(root, links)

    def related_rows(self, model: Model, links: Sequence[Link], used: int) -> Optional[Query]:
        """``links[used]`` is a to-many relation of an instance of ``model`` (the chain
        before it): its related manager's query, with the rest of the chain applied."""
        if len(links) <= used or links[used].kind != "attr":
            return None
        rel = self.index.relation(model, links[used].name)
        if rel is None or not rel.many:
            return None
        target = self.index.models.get(rel.target or "")
        display = " ".join(self.ctx.code_for(links[used].node).split())
        if rel.loader == SQLA_LOAD and rel.dynamic:
            # ``lazy="dynamic"``: the attribute is a query of the row's items, which every
            # ``.count()`` / ``.all()`` / iteration runs again; no loader option serves it
            q = Query("sqlalchemy", target, target.name if target else "", display, via="query", no_fix=True)
            return _apply_sqlalchemy(q, links[used + 1:], None)
        if rel.loader == SQLA_LOAD:
            # ``for c in t.courses``: the collection of a row, loaded (lazily, or by the
            # owner's query) as a whole; a loader path through it keeps covering it
            return Query("sqlalchemy", target, target.name if target else "", display, related=rel) if len(links) == used + 1 else None
        q = Query("django", target, target.name if target else "", display, related=rel)
        return _apply_django(q, links[used + 1:])

    def _through(self, root: cst.BaseExpression, links: List[Link]) -> Optional[Query]:
        """``sort_queryset(qs, request)`` / ``self.apply_search(qs)``: a project helper that
        hands back the query it is given, narrowed (:mod:`._through`); what it gives is the
        argument's query with the helper's methods and loads, then the rest of the chain."""
        first = next((i for i, l in enumerate(links) if l.kind != "attr"), None)
        if first is None or links[first].kind != "call" or not links[first].node.args or not self.values_possible() or self._through_depth > 3:  # type: ignore[attr-defined]
            return None
        from ._through import apply_through, argument, through_target

        callee = root if first == 0 else links[first - 1].node
        through = through_target(self.ctx, callee)
        arg = argument(links[first].node, through) if through is not None else None
        if arg is None:
            return None
        self._through_depth += 1
        try:
            inner = self.analyze(arg)
        finally:
            self._through_depth -= 1
        if inner is None or inner.terminal is not None or inner.orm not in ("django", "sqlalchemy"):
            return None
        q = inner.copy(no_fix=True, origin=inner.origin or arg)
        got = apply_through(q, through, self.ctx.project, set(catalog()[inner.orm]["lazy"]))  # type: ignore[arg-type]
        if got is None:
            return None
        rest = links[first + 1:]
        got = _apply_django(got, rest) if got.orm == "django" else _apply_sqlalchemy(got, rest, None)
        return None if got is None or got.custom_method else got

    def _from_callers(self, root: cst.BaseExpression, links: List[Link]) -> Optional[Query]:
        """An unannotated parameter of the walked function, as its module's callers fill
        it (``summarize(Ticket.objects.filter(...))``), with the rest of the chain applied."""
        if not isinstance(root, cst.Name) or any(l.kind != "call" and l.kind != "attr" for l in links) or not self.values_possible():
            return None
        told = self.parameter(root.value)
        data = orm_of_values(told) if told is not None else None
        if data is None:
            return None
        q = self._query_of(data, root)
        if q is None:
            return None
        if q.terminal is not None:
            return q if not links else None
        got = _apply_django(q, links) if q.orm == "django" else _apply_sqlalchemy(q, links, None)
        return None if got is None or got.custom_method else got

    # -- values of the facts layer ----------------------------------------------
    def values_possible(self) -> bool:
        """Whether any value here can be an ORM one: the project or the file has models,
        or SQLAlchemy is spelled in the file or used by the project's models (the
        pre-filters ask the same: :func:`._prefilter.loops_over_opaque_values`)."""
        found = self.__dict__.get("_possible")
        if found is None:
            from ._prefilter import has_orm_models, values_may_be_orm

            found = self.__dict__["_possible"] = has_orm_models(self.index) or values_may_be_orm(self.ctx.source, self.ctx.path, self.ctx.project)
        return found

    def _from_values(self, root: cst.BaseExpression, links: List[Link]) -> Optional[Query]:
        """The longest prefix of the chain whose value the facts layer knows is a query
        (a name holding one, ``self.qs``, a helper's return value, a related manager of a
        model instance), with the rest of the chain applied to it."""
        if not self.values_possible():
            return None
        nodes: List[cst.BaseExpression] = [root, *(l.node for l in links)]
        for i in range(len(nodes) - 1, -1, -1):
            node = nodes[i]
            if i < len(links) and links[i].kind == "call" or not isinstance(node, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)):
                continue  # ``qs.filter`` (a method before its call) is never a query itself
            data = orm_of_values(self.ctx.names.values(node))
            if data is None:
                continue
            q = self._query_of(data, node)
            if q is None:
                return None
            rest = links[i:]
            if q.terminal is not None:
                return q if not rest else None
            got = _apply_django(q, rest) if q.orm == "django" else _apply_sqlalchemy(q, rest, None)
            if got is not None and got.custom_method:
                return None  # a method the facts layer could not read (it returns a dict, a count...)
            return got
        return None

    def _runs_here(self, node: cst.Call) -> bool:
        """The call is an ORM or session method (not a project function returning rows)."""
        for value in self.ctx.names.values(node.func):
            data = orm_data(value)
            if data is not None and data[0] == "method":
                return True
            if isinstance(value, str) and value.rsplit(".", 1)[-1] in ("scalars", "execute", "all") and value.startswith(("sqlalchemy.", "sqlmodel.", "flask_sqlalchemy.")):
                return True
        return False

    def _query_of(self, data: Tuple[Any, ...], node: cst.BaseExpression) -> Optional[Query]:
        kind, qualname, loads, related = data
        model = self.index.models.get(qualname) if qualname else None
        display = " ".join(self.ctx.code_for(node).split())
        name = model.name if model is not None else ""
        unknown = ANY in loads
        paths = {p for p in loads if p != ANY and p != BARE}
        if kind == "qs":
            if model is None or self.index.orm_of(model) != "django":
                return None
            q = Query("django", model, name, display, select_related=set(paths), prefetch=set(paths), loads_unknown=unknown, no_fix=True, via="values", origin=node)
            q.select_all = BARE in loads
            if related:
                if related.endswith(FILTERED):
                    related = related[: -len(FILTERED)]
                    q.narrowed = True  # no prefetch cache serves it
                owner, _, attr = related.partition(":")
                owner_model = self.index.models.get(owner)
                q.related = self.index.relation(owner_model, attr) if owner_model is not None else None
                if q.related is None:
                    return None
            return q
        if model is not None and self.index.orm_of(model) != "sqlalchemy":
            return None
        q = Query("sqlalchemy", model, name, display, prefetch=set(paths), loads_unknown=unknown, no_fix=True, via="values", origin=node)
        if kind in ("rows", "result"):
            # fetched here (``session.scalars(stmt)``, ``query.all()``: FFT201's) or by a
            # project function that returns the rows (FFT203's, at the call)
            here = isinstance(node, cst.Call) and self._runs_here(node)
            q.terminal = ("scalars" if kind == "rows" else "execute") if here else "rows"
            q.instances = kind == "rows"
        if model is None:
            q.instances = False  # ``db.query(self.model)``: a query, rows of an unknown model
        return q

    def _django(self, root: cst.BaseExpression, links: List[Link]) -> Optional[Query]:
        managers = set(catalog()["django"]["managers"]) | set(self.options.managers)
        for i, link in enumerate(links):
            if link.kind != "attr":
                return None
            prefix = root if i == 0 else links[i - 1].node
            model = self.model_of(prefix)
            own = set(self.index.managers(model)) if model is not None and self.index.orm_of(model) == "django" else set()
            if link.name in managers or link.name in own:
                name = last_name(prefix) or ""
                if model is None:
                    if link.name != "objects" or not is_capwords(name):
                        return None
                elif self.index.orm_of(model) != "django":
                    return None
                q = Query("django", model, name, f"{self.ctx.code_for(prefix)}.{link.name}", model_expr=prefix)
                if model is None and link.name not in catalog()["django"]["managers"] or model is not None and link.name in self.index.custom_managers(model):
                    # a custom manager's get_queryset may load relations
                    q.custom = True
                elif model is not None:
                    # one that says what it loads (``super().get_queryset().select_related("x")``)
                    loaded = self.index.manager_loads(model, link.name)
                    q.select_related.update(loaded)
                    q.prefetch.update(loaded)
                return _apply_django(q, links[i + 1:])
        return None

    def _sqlalchemy(self, root: cst.BaseExpression, links: List[Link]) -> Optional[Query]:
        names = self.ctx.names
        for i, link in enumerate(links):
            if link.kind != "attr":
                return None
            prefix = root if i == 0 else links[i - 1].node
            if link.name == "query" and i + 1 < len(links) and links[i + 1].kind == "call":
                call = links[i + 1].node
                assert isinstance(call, cst.Call)
                if not call.args or call.args[0].keyword is not None:
                    return None
                first = call.args[0].value
                model = self.model_of(first)
                session = is_session(prefix, names, self.options.session_names)
                if not session and (model is None or self.index.orm_of(model) != "sqlalchemy"):
                    return None
                if model is None and not (session and is_capwords(last_name(first) or "")):
                    return None
                q = Query("sqlalchemy", model, last_name(first) or "", f"{self.ctx.code_for(prefix)}.query({self.ctx.code_for(first)})", model_expr=first, via="query")
                if len(call.args) > 1 or isinstance(first, cst.Attribute) and model is None:
                    q.instances = False
                return _apply_sqlalchemy(q, links[i + 2:], names)
            if link.name == "query" and (i + 1 == len(links) or links[i + 1].kind == "attr"):
                model = self.model_of(prefix)
                if model is None or self.index.orm_of(model) != "sqlalchemy":
                    return None  # Flask-SQLAlchemy's Model.query, only for known models
                q = Query("sqlalchemy", model, model.name, f"{self.ctx.code_for(prefix)}.query", model_expr=prefix, via="query")
                return _apply_sqlalchemy(q, links[i + 1:], names)
            if link.name in ("execute", "scalars", "scalar", "get", "refresh") and i + 1 < len(links) and links[i + 1].kind == "call":
                return self._session_call(prefix, link.name, links[i + 1].node, links[i + 2:])  # type: ignore[arg-type]
        return None

    def _session_call(self, receiver: cst.BaseExpression, method: str, call: cst.Call, rest: List[Link]) -> Optional[Query]:
        names = self.ctx.names
        if not is_session(receiver, names, self.options.session_names) or not call.args:
            return None
        first = call.args[0].value
        if method == "refresh":
            # ``session.refresh(obj)``: a SELECT of the object's row, again
            if rest or call.args[0].keyword is not None or call.args[0].star:
                return None
            return Query("sqlalchemy", None, "", f"{self.ctx.code_for(receiver)}.refresh()", terminal="refresh", via="session", instances=False, no_fix=True)
        if method == "get":
            if len(call.args) < 2 or call.args[0].keyword is not None or not is_capwords(last_name(first) or ""):
                return None
            model = self.model_of(first)
            q = Query("sqlalchemy", model, last_name(first) or "", f"{self.ctx.code_for(receiver)}.get()", terminal="get", via="session")
            return q if not rest else None
        stmt_root, stmt_links = unchain(first)
        builder = names.resolve(stmt_root)
        while builder not in catalog()["sqlalchemy"]["statements"] and stmt_links and stmt_links[0].kind == "attr":
            # ``sa.update(User)``: the builder is a module attribute
            stmt_root, stmt_links = stmt_links[0].node, stmt_links[1:]
            builder = names.resolve(stmt_root)
        if builder not in catalog()["sqlalchemy"]["statements"]:
            return self._held_statement(receiver, method, first, rest)
        model: Optional[Model] = None
        model_name = ""
        if stmt_links and stmt_links[0].kind == "call":
            sel = stmt_links[0].node
            assert isinstance(sel, cst.Call)
            if builder.endswith("select") and sel.args and not sel.args[0].star and sel.args[0].keyword is None:
                model = self.model_of(sel.args[0].value)
                model_name = last_name(sel.args[0].value) or ""
        q = Query("sqlalchemy", model, model_name, f"{self.ctx.code_for(receiver)}.{method}({builder.rsplit('.', 1)[-1]}(...))", terminal=method, via="session")
        if stmt_links and stmt_links[0].kind == "call":
            built = stmt_links[0].node
            if isinstance(built, cst.Call) and built.args and built.args[0].keyword is None and not built.args[0].star:
                q.model_expr = built.args[0].value  # the entity (``delete(M)``) or the SQL (``text(...)``)
        inner = _apply_sqlalchemy(Query("sqlalchemy", model, model_name, ""), stmt_links[1:], names)
        if inner is not None:
            q.prefetch, q.loads_unknown, q.custom, q.batched_on = inner.prefetch, inner.loads_unknown, inner.custom, inner.batched_on
        q.instances = method == "scalars" or any(l.name == "scalars" for l in rest)
        q.no_fix = True
        if model is None:
            q.instances = False
        return q

    def _held_statement(self, receiver: cst.BaseExpression, method: str, stmt: cst.BaseExpression, rest: List[Link]) -> Optional[Query]:
        """``session.execute(stmt)`` / ``session.scalars(stmt)`` on a session named like one,
        with a ``select(Model)`` the facts layer knows ``stmt`` holds (built in names,
        through pass-through helpers)."""
        if method not in ("execute", "scalars") or not self.values_possible():
            return None
        data = orm_of_values(self.ctx.names.values(stmt))
        if data is None or data[0] != "query" or not data[1]:
            return None
        model = self.index.models.get(data[1])
        if model is None or self.index.orm_of(model) != "sqlalchemy":
            return None
        loads = data[2]
        q = Query("sqlalchemy", model, model.name, f"{self.ctx.code_for(receiver)}.{method}({self.ctx.code_for(stmt)})", terminal=method, via="session",
                  prefetch={p for p in loads if p != ANY}, loads_unknown=ANY in loads, no_fix=True)
        q.instances = method == "scalars" or any(l.name == "scalars" for l in rest)
        if isinstance(stmt, cst.Name):
            q.origin = self._select_built(stmt.value)
        return q

    def _select_built(self, name: str) -> Optional[cst.BaseExpression]:
        """The one ``name = select(...)`` of the walked function: where the statement a
        name holds is built (and an eager load would go)."""
        function = self.ctx.stack.function
        if function is None:
            return None
        found = []
        for node in _walk(function):
            if isinstance(node, cst.Assign) and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name) and node.targets[0].target.value == name:
                root, links = unchain(node.value)
                if links and links[0].kind == "call" and (self.ctx.names.resolve(root) or "").rsplit(".", 1)[-1] == "select":
                    found.append(node.value)
        return found[0] if len(found) == 1 else None


_RECEIVERS = frozenset(("django.dispatch.receiver", "django.dispatch.dispatcher.receiver"))
_INSTANCE_SIGNALS = frozenset("django.db.models.signals." + s for s in ("pre_save", "post_save", "pre_delete", "post_delete", "post_init"))


# --------------------------------------------------------------------------- loops
_BOUNDED_CALLS = frozenset(("range", "itertools.count", "itertools.repeat"))


def bounded_iterable(expr: cst.BaseExpression, names: Any) -> bool:
    """A literal collection, ``range(...)`` or a class (an ``Enum`` / ``TextChoices``: its
    members): a fixed number of passes, not one per row."""
    if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
        return not any(isinstance(el, cst.StarredElement) for el in expr.elements)
    if configured(expr, names) or fixed_tuple(expr, names):
        return True
    if isinstance(expr, cst.Call):
        name = names.resolve(expr.func)
        if name in _BOUNDED_CALLS or _retry_call(expr.func):
            return True
        if name == "enumerate" and expr.args:
            return bounded_iterable(expr.args[0].value, names)
    if isinstance(expr, (cst.Name, cst.Attribute)):
        if _is_a_class(names.resolve(expr), names):
            return True
        # a nested class (``Authenticator.Type``) is a symbol of its module
        local = [v for v in names.local_values(expr) if isinstance(v, str) and v not in (UNKNOWN, NONE)] if hasattr(names, "local_values") else []
        return len(local) == 1 and _is_a_class(local[0], names)
    return False


def fixed_tuple(expr: cst.BaseExpression, names: Any) -> bool:
    """A name, attribute or call whose every value the facts give is a tuple display
    (``FALLBACKS = ("a", "b")`` imported from another module, a helper's
    ``return "a", "b"``): a tuple of known positions has a fixed number of items."""
    if not isinstance(expr, (cst.Name, cst.Attribute, cst.Call)):
        return False
    values = names.values(expr)
    return bool(values) and all(isinstance(v, Tup) for v in values)


#: where an application's configuration lives: iterating a setting gives the few
#: configured things (sources, backends, algorithms), not rows
CONFIG_ROOTS = ("django.conf.settings.", "flask.current_app.config[", "flask.current_app.config.get(")


def configured(expr: cst.BaseExpression, names: Any) -> bool:
    """``settings.X`` (Django), ``current_app.config["X"]`` / ``.get("X")`` (Flask), or
    ``.items()`` / ``.keys()`` / ``.values()`` of one: every value the facts give is a
    configuration value."""
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value in ("items", "keys", "values") and not expr.args:
        expr = expr.func.value
    if not isinstance(expr, (cst.Attribute, cst.Subscript, cst.Call)):
        return False
    found = names.resolve(expr)
    values = [found] if isinstance(found, str) else [v for v in names.values(expr) if isinstance(v, str)]
    if values and all(v.startswith(CONFIG_ROOTS) for v in values):
        return True
    return isinstance(expr, cst.Call) and _returns_configuration(expr, names)


def _returns_configuration(call: cst.Call, names: Any) -> bool:
    """A call of a project function each of whose ``return`` statements reads the
    configuration (its annotation, ``-> list[str]``, says nothing about how many), or
    gives a tuple display. A return reads the configuration when the facts know it is a
    configuration value for every receiver they can tell (``app = app or current_app;
    return app.config.get("X", [])``: the app passed in, else Flask's); a return of a
    query, of rows or of anything unknown makes the helper unbounded."""
    project = getattr(names, "project", None)
    callee = names.resolve(call.func)
    fn = project.function(callee) if project is not None and callee else None
    if fn is None or fn.is_async:
        return False
    each = project.details(fn).each_return
    return bool(each) and all(_reads_configuration(project.resolve(values)) for values in each)


def _reads_configuration(values: Any) -> bool:
    known = [v for v in values if v not in (UNKNOWN, NONE)]
    if not known:
        return False
    if all(isinstance(v, Tup) for v in known):
        return UNKNOWN not in values
    return all(isinstance(v, str) and v.startswith(CONFIG_ROOTS) for v in known)


#: words of a callee whose iteration gives attempts, not rows: ``for attempt in
#: run_with_db_retries():`` / ``tenacity.Retrying(...)`` runs the body again only after
#: a failure
_RETRY_WORDS = frozenset(("retry", "retries", "retrying", "attempts"))


def _retry_call(func: cst.BaseExpression) -> bool:
    name = last_name(func) or ""
    spelled = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
    return any(word in _RETRY_WORDS for word in spelled.split("_"))


def _is_a_class(canonical: Optional[str], names: Any) -> bool:
    """A class of the project, or of ``enum`` / Django's choices (iterating it gives its
    members)."""
    if not canonical or canonical.endswith(")") or "[" in canonical:
        return False
    if canonical.startswith(("enum.", "django.db.models.enums.")):
        return True
    project = getattr(names, "project", None)
    finder = getattr(project, "class_facts", None)
    return finder is not None and finder(canonical) is not None


#: Calls that split a collection into batches: a loop over them runs once per batch.
BATCHING_CALLS = frozenset((
    "itertools.batched", "more_itertools.chunked", "more_itertools.ichunked", "more_itertools.batched",
    "more_itertools.sliced", "more_itertools.grouper", "toolz.partition_all", "toolz.itertoolz.partition_all",
    "cytoolz.partition_all", "funcy.chunks", "boltons.iterutils.chunked",
))
_BATCH_NAMES = ("chunk", "batch")


def per_batch(node: cst.CSTNode, names: Any) -> bool:
    """A ``for`` whose passes are batches, not rows: ``for chunk in batched(rows, 500)``
    (a batching function, or a target named ``chunk`` / ``batch``; ``for row in chunk``
    is a loop over rows again)."""
    if not isinstance(node, cst.For):
        return False
    iterable = node.iter
    if isinstance(iterable, cst.Call) and names.resolve(iterable.func) in BATCHING_CALLS:
        return True
    words = " ".join(loop_targets(node)).lower()
    return any(w in words for w in _BATCH_NAMES)


def is_collection_loop(node: cst.CSTNode, names: Any) -> bool:
    if isinstance(node, cst.For):
        return not bounded_iterable(node.iter, names) and not per_batch(node, names)
    if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
        comp: Optional[cst.CompFor] = node.for_in
        while comp is not None:
            if not bounded_iterable(comp.iter, names):
                return True
            comp = comp.inner_for_in
        return False
    return False  # while loops poll or page on purpose


def loop_targets(node: cst.CSTNode) -> Set[str]:
    from fftlint.analysis.names import target_names

    out: Set[str] = set()
    if isinstance(node, cst.For):
        out.update(target_names(node.target))
    elif isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
        comp: Optional[cst.CompFor] = node.for_in
        while comp is not None:
            out.update(target_names(comp.target))
            comp = comp.inner_for_in
    return out


def targets_of(loops: Sequence[cst.CSTNode]) -> Set[str]:
    """The names the loops bind (every target of each)."""
    out: Set[str] = set()
    for loop in loops:
        out |= loop_targets(loop)
    return out


def mentions(expr: cst.CSTNode, names: Set[str]) -> bool:
    return any(isinstance(n, cst.Name) and n.value in names for n in _walk(expr))


#: methods that grow a collection in place: a name they are called on is not a constant
_GROWERS = frozenset(("append", "extend", "add", "update", "insert", "setdefault", "__setitem__", "__iadd__", "union"))


def constant_collection(ctx: Any, loop: cst.CSTNode) -> bool:
    """``for name, task in tasks.items():`` where ``tasks`` is bound -- in the function,
    or, when the function does not bind it, once at the module's top level -- only to
    list / tuple / set / dict displays of fixed elements (no comprehension, no ``*`` or
    ``**`` unpacking) that nothing grows (``.append`` / ``.update`` / ``x[k] = ...`` /
    ``+=``): a fixed number of passes, written in the code. Also a dict display iterated
    in place. A parameter, a name bound to anything else, or an imported name stays a
    collection of rows."""
    if not isinstance(loop, cst.For):
        return False
    expr = loop.iter
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value in ("items", "keys", "values") and not expr.args:
        expr = expr.func.value
    if isinstance(expr, cst.Dict):
        return _fixed_display(expr)
    if not isinstance(expr, cst.Name):
        return False
    name = expr.value
    function = ctx.stack.function
    if isinstance(function, cst.FunctionDef):
        params = function.params
        every = [*params.posonly_params, *params.params, *params.kwonly_params]
        every += [p for p in (params.star_arg, params.star_kwarg) if isinstance(p, cst.Param)]
        if any(p.name.value == name for p in every):
            return False
        per_function = ctx.shared("fft2-function-bindings", dict)
        found = per_function.get(id(function))
        if found is None:
            found = per_function[id(function)] = (function, _bindings(function))  # the node kept: its id stays its own
        assigned, spoiled = found[1]
        if name in spoiled:
            return False
        if name in assigned:
            return all(_fixed_display(v) for v in assigned[name])
    elif function is not None:
        return False  # a lambda
    assigned, spoiled = ctx.shared("fft2-module-bindings", lambda: _module_bindings(ctx.module))
    values = assigned.get(name)
    return values is not None and name not in spoiled and len(values) == 1 and _fixed_display(values[0])


def _fixed_display(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Dict):
        return all(isinstance(el, cst.DictElement) for el in node.elements)
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return not any(isinstance(el, cst.StarredElement) for el in node.elements)
    return False


def _bindings(scope: cst.CSTNode) -> Tuple[Dict[str, List[cst.BaseExpression]], Set[str]]:
    """``name = value`` bindings in ``scope`` (nested scopes included: conservative), and
    the names it binds otherwise (loop / ``with`` / walrus targets, ``+=``, imports,
    ``global``) or grows in place (``x.append(...)``, ``x[k] = ...``)."""
    assigned: Dict[str, List[cst.BaseExpression]] = {}
    spoiled: Set[str] = set()

    def spoil(target: cst.CSTNode) -> None:
        spoiled.update(n.value for n in _walk(target) if isinstance(n, cst.Name))

    for node in _walk(scope):
        if isinstance(node, cst.Assign):
            for t in node.targets:
                target = t.target
                if isinstance(target, cst.Name):
                    assigned.setdefault(target.value, []).append(node.value)
                elif isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
                    spoiled.add(target.value.value)
                elif not isinstance(target, (cst.Attribute, cst.Subscript)):
                    spoil(target)
        elif isinstance(node, cst.AnnAssign) and isinstance(node.target, cst.Name):
            if node.value is not None:
                assigned.setdefault(node.target.value, []).append(node.value)
        elif isinstance(node, (cst.AugAssign, cst.NamedExpr, cst.For, cst.CompFor)):
            spoil(node.target)
        elif isinstance(node, cst.AsName):
            spoil(node.name)
        elif isinstance(node, (cst.Global, cst.Nonlocal)):
            spoiled.update(n.name.value for n in node.names)
        elif isinstance(node, (cst.Import, cst.ImportFrom)) and not isinstance(node.names, cst.ImportStar):
            for alias in node.names:  # type: ignore[union-attr]
                bound = alias.asname.name if alias.asname is not None else alias.name
                if isinstance(bound, cst.Name):
                    spoiled.add(bound.value)
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in _GROWERS and isinstance(node.func.value, cst.Name):
            spoiled.add(node.func.value.value)
    return assigned, spoiled


def _module_bindings(module: cst.Module) -> Tuple[Dict[str, List[cst.BaseExpression]], Set[str]]:
    """Like :func:`_bindings` for the whole module; a name also bound inside a function
    or class (not at the top level) is spoiled."""
    assigned, spoiled = _bindings(module)
    top: Dict[str, int] = {}
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, (cst.Assign, cst.AnnAssign)):
                    targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
                    for t in targets:
                        if isinstance(t, cst.Name):
                            top[t.value] = top.get(t.value, 0) + 1
    for name, values in assigned.items():
        if top.get(name, 0) != len(values):
            spoiled.add(name)
    return assigned, spoiled


def collection_loops(ctx: Any) -> List[cst.CSTNode]:
    """The enclosing loops whose passes grow with the data (decided once per loop node;
    the rules of the family share the answers)."""
    frames = ctx.stack.loops
    if not frames:
        return []
    known: Dict[int, bool] = ctx.shared("fft2-collection-loops", dict)
    out = []
    for frame in frames:
        node = frame.node
        found = known.get(id(node))
        if found is None:
            found = known[id(node)] = is_collection_loop(node, ctx.names) and not constant_collection(ctx, node)
        if found:
            out.append(node)
    return out


def per_table(expr: Optional[cst.BaseExpression], loops: Sequence[cst.CSTNode]) -> bool:
    """The statement's table changes with the loop: its entity is a loop variable
    (``for model in models: session.execute(delete(model)...)``), or its SQL puts one in
    the table's place (``f"DELETE FROM {table} WHERE ..."``). One statement per table, not
    one per row: no single statement can replace the loop."""
    if expr is None:
        return False
    targets = targets_of(loops)
    if isinstance(expr, (cst.Name, cst.Attribute, cst.Subscript)):
        root = expr
        while isinstance(root, (cst.Attribute, cst.Subscript)):
            root = root.value
        return isinstance(root, cst.Name) and root.value in targets
    if isinstance(expr, cst.FormattedString):
        before = ""
        for part in expr.parts:
            if isinstance(part, cst.FormattedStringText):
                before = part.value
            elif isinstance(part, cst.FormattedStringExpression):
                if mentions(part.expression, targets) and TABLE_BEFORE.search(before):
                    return True
                before = ""
    return False


def batched(query: Query, loops: Sequence[cst.CSTNode]) -> bool:
    """``filter(id__in=chunk)`` with ``chunk`` a loop variable: a deliberate batch. So is a
    collection made from what the loop gives -- ``[r.id for r in segment.rows]``,
    ``sorted({m.id for m in group})``, inline or through a name bound in the loop
    (``keys = [...]; .in_(keys)``): the statement covers the whole batch of the pass. A
    list or tuple display (``[row.id]``, ``(row.a, row.b)``) holds one value per element:
    one row per pass, not a batch."""
    if not query.batched_on:
        return False
    targets = targets_of(loops)
    return any(_batch_value(value, targets, loops, 0) for value in query.batched_on)


def _batch_value(value: cst.BaseExpression, targets: Set[str], loops: Sequence[cst.CSTNode], depth: int) -> bool:
    if isinstance(value, (cst.List, cst.Tuple, cst.Set)):
        return any(isinstance(el, cst.StarredElement) and _batch_value(el.value, targets, loops, depth) for el in value.elements)
    if isinstance(value, cst.Name) and value.value not in targets:
        bound = _bound_in_loop(loops, value.value) if depth < 3 else None
        return bool(bound) and all(_batch_value(b, targets, loops, depth + 1) for b in bound)  # type: ignore[union-attr]
    return mentions(value, targets)


def _bound_in_loop(loops: Sequence[cst.CSTNode], name: str) -> Optional[List[cst.BaseExpression]]:
    """The values ``name = ...`` gives it inside the loops, or None when the loops bind it
    otherwise too (a loop target, ``+=``, a walrus, ``with ... as``): not followed."""
    if not loops:
        return None
    out: List[cst.BaseExpression] = []
    for node in _walk(loops[0]):
        if isinstance(node, cst.Assign):
            for t in node.targets:
                if isinstance(t.target, cst.Name) and t.target.value == name:
                    out.append(node.value)
                elif mentions(t.target, {name}):
                    return None
        elif isinstance(node, cst.AnnAssign) and isinstance(node.target, cst.Name) and node.target.value == name:
            if node.value is None:
                continue
            out.append(node.value)
        elif isinstance(node, (cst.AugAssign, cst.NamedExpr, cst.AsName, cst.CompFor, cst.For)):
            target = node.target if not isinstance(node, cst.AsName) else node.name
            if mentions(target, {name}):
                return None
    return out or None


#: builtins that iterate a queryset once into a list of its rows
_EVALUATORS: FrozenSet[str] = frozenset(("list", "tuple", "sorted", "reversed"))
SEQUENCE_BUILTINS: FrozenSet[str] = frozenset(("list", "len", "bool", "tuple", "set", "sorted", "sum", "any", "all", "max", "min", "dict", "frozenset"))


# --------------------------------------------------------------------------- base rule
@dataclass
class LoopVar:
    """A loop variable bound to the rows of a query."""

    name: str
    query: Query
    model: Optional[Model]
    loop: cst.CSTNode
    root_query: Query  # the query at the outermost loop (where prefetching goes)
    root_iter: Optional[cst.BaseExpression]  # its expression, when it is a direct chain
    prefix: str = ""  # relation path from the root query's model ("books")
    function: Optional[cst.CSTNode] = None
    dead: bool = False
    reported: Set[str] = field(default_factory=set)
    prefix_to_one: bool = True  # every hop of ``prefix`` can be select_related




class QueryLoopTracker:
    """Mixin for FFT2xx rules: tracks names bound to queries and loop variables bound to
    query rows, in walk order. Rules call :meth:`setup` lazily through :attr:`qa`."""

    _qa: Optional[Analyzer] = None

    @property
    def qa(self) -> Analyzer:
        if self._qa is None:
            self._qa = Analyzer(self.ctx, options_of(self))  # type: ignore[attr-defined]
            self._qa.instance = self._instance
            self._qa.parameter = self._parameter
            self.loop_vars: List[LoopVar] = []
        return self._qa

    def _parameter(self, name: str) -> Optional[Any]:
        """What the module's calls of the walked function pass for its unannotated
        parameter ``name`` (:mod:`._callers`, which leaves annotated ones to their
        annotation); None when the body rebinds it."""
        function = self.ctx.stack.function  # type: ignore[attr-defined]
        if not isinstance(function, cst.FunctionDef) or _assignments(function, name) != 1:
            return None
        params = function.params
        if not any(p.name.value == name for p in (*params.posonly_params, *params.params, *params.kwonly_params)):
            return None  # a local bound once, not a parameter: no call fills it
        from ._admin_actions import action_queryset

        selected = action_queryset(self, function, name)
        if selected is not None:
            return selected  # ``def mark_paid(self, request, queryset)`` of a ModelAdmin
        from ._callers import caller_values

        return caller_values(self.ctx, self.ctx.scope_name(), name)  # type: ignore[attr-defined]

    def _instance(self, name: str) -> Optional[Tuple[Model, str]]:
        var = self.loop_var(name)
        if var is not None and var.model is not None:
            return var.model, var.prefix
        if name == "instance":
            model = self._receiver_sender()
            if model is not None:
                return model, ""
        return None

    def _receiver_sender(self) -> Optional[Model]:
        """``@receiver(post_save, sender=Pet) def f(sender, instance, **kw)``: Django passes
        the saved (deleted, initialised) ``Pet`` as ``instance`` (only the model signals of
        one instance; ``m2m_changed`` may send either side)."""
        function = self.ctx.stack.function  # type: ignore[attr-defined]
        if not isinstance(function, cst.FunctionDef) or _assignments(function, "instance") != 1:
            return None
        params = function.params
        if not any(p.name.value == "instance" for p in (*params.params, *params.kwonly_params)):
            return None
        names = self.ctx.names  # type: ignore[attr-defined]
        for deco in function.decorators:
            call = deco.decorator
            if not isinstance(call, cst.Call) or names.resolve(call.func) not in _RECEIVERS or not call.args:
                continue
            signals = call.args[0].value
            parts = [e.value for e in signals.elements] if isinstance(signals, (cst.List, cst.Tuple)) else [signals]
            if not parts or any(names.resolve(p) not in _INSTANCE_SIGNALS for p in parts):
                continue
            sender = next((a.value for a in call.args if a.keyword is not None and a.keyword.value == "sender"), None)
            model = self.qa.model_of(sender) if sender is not None else None
            if model is not None and self.qa.index.orm_of(model) == "django":
                return model
        return None

    def loop_var(self, name: str) -> Optional[LoopVar]:
        self.qa  # noqa: B018 - initialise
        function = self.ctx.stack.function  # type: ignore[attr-defined]
        for var in reversed(self.loop_vars):
            if var.name == name:
                if var.dead or var.function is not function:
                    return None
                return var
        return None

    # -- scopes ---------------------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.qa.push()

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.qa.pop()

    def evaluated(self, expr: cst.BaseExpression) -> Optional[cst.BaseExpression]:
        """The iterable a builtin turns into a list of its items (``list(qs)``, ``tuple(qs)``,
        ``sorted(qs, key=...)``, ``reversed(qs)``): for a queryset, its rows, fetched once."""
        if not isinstance(expr, cst.Call) or not expr.args:
            return None
        first, rest = expr.args[0], expr.args[1:]
        if first.keyword is not None or first.star:
            return None
        name = self.ctx.names.resolve(expr.func)  # type: ignore[attr-defined]
        if name not in _EVALUATORS:
            return None
        if rest and (name != "sorted" or any(a.keyword is None or a.keyword.value not in ("key", "reverse") for a in rest)):
            return None
        return first.value

    def visit_Assign(self, node: cst.Assign) -> None:
        value = None
        if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            value = self.qa.analyze(node.value)
            inner = self.evaluated(node.value) if value is None else None
            if inner is not None:
                # ``rows = list(qs)``: the name holds the rows of ``qs``, fetched once here
                value = self.qa.analyze(inner)
                if value is not None and value.terminal not in (None, "all"):
                    value = None
                if value is not None and value.via != "values" and value.origin is None:
                    value.origin = inner
            if value is not None and value.via != "values" and value.origin is None:
                value.origin = node.value  # where a fix adds what the query should load
        from fftlint.analysis.names import target_names

        for target in node.targets:
            for name in target_names(target.target):
                self.qa.bind(name, value)
                self._kill(name)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, cst.Name):
            self.qa.bind(node.target.value, None)
            self._kill(node.target.value)

    def _kill(self, name: str) -> None:
        var = self.loop_var(name)
        if var is not None:
            var.dead = True

    # -- loops ----------------------------------------------------------------
    def iter_query(self, expr: cst.BaseExpression) -> Tuple[Optional[Query], Optional[str]]:
        """The query a ``for`` iterates, and the target position it binds rows to
        (``enumerate(qs)`` binds the second element)."""
        if isinstance(expr, cst.Call) and self.ctx.names.resolve(expr.func) == "enumerate" and expr.args:  # type: ignore[attr-defined]
            q = self.qa.analyze(expr.args[0].value)
            return q, "enumerate"
        if isinstance(expr, cst.Call) and len(expr.args) > 1 and self.ctx.names.resolve(expr.func) == "itertools.chain":  # type: ignore[attr-defined]
            return self._chained(expr), "chain"
        return self.qa.analyze(expr), None

    def _chained(self, expr: cst.Call) -> Optional[Query]:
        """``chain(qs1.iterator(), qs2)``: the rows of querysets of one model, one after
        the other; a row loads what every part loads."""
        if any(a.star or a.keyword is not None for a in expr.args):
            return None
        parts = [self.qa.analyze(a.value) for a in expr.args]
        first = parts[0]
        if first is None or first.model is None:
            return None
        for q in parts:
            if q is None or q.model is not first.model or q.orm != first.orm or not q.instances or q.terminal not in (None, "all") or q.related is not None:
                return None
        return replace(
            first, display=self.ctx.code_for(expr), methods=[], no_fix=True, related=None, origin=None,  # type: ignore[attr-defined]
            select_related=set.intersection(*(q.select_related for q in parts)), select_all=all(q.select_all for q in parts),
            prefetch=set.intersection(*(q.prefetch for q in parts)),
            loads_unknown=any(q.loads_unknown for q in parts), custom=any(q.custom for q in parts),
        )

    def _track(self, loop: cst.CSTNode, target: cst.BaseExpression, iter_expr: cst.BaseExpression) -> None:
        inner = self.evaluated(iter_expr)
        if inner is not None and self.qa.analyze(iter_expr) is None:
            iter_expr = inner  # ``for r in sorted(qs, key=...)``: the rows of ``qs``
        q, how = self.iter_query(iter_expr)
        if q is None or q.terminal is not None and q.terminal not in ("all", "execute", "scalars", "rows") or not q.instances:
            return
        if how == "enumerate":
            if not (isinstance(target, cst.Tuple) and len(target.elements) == 2):
                return
            target = target.elements[1].value
        if not isinstance(target, cst.Name):
            return
        # fixes edit the query where it is built: in the ``for`` statement itself, in the
        # one assignment of the name it iterates, or in the one ``return`` of a function of
        # this file that builds it
        direct = iter_expr if how is None and not isinstance(iter_expr, cst.Name) and q.via != "values" else None
        if how is None and direct is None and q.related is None:
            built = self._built_at(iter_expr, q)
            if built is not None:
                direct, q = built
        var = LoopVar(target.value, q, q.model, loop, q, direct, "", self.ctx.stack.function)  # type: ignore[attr-defined]
        if q.related is not None:
            owner = self._owner_var(iter_expr)
            if owner is None:
                if not self._fetched_owner(iter_expr, q) and not self._signal_owner(iter_expr, q) and not self._view_owner(iter_expr, q):
                    return
                # ``cart = Cart.objects.get(...)`` then ``for line in cart.lines.all()``: the
                # rows of one fetched instance's related manager load what its chain loads
                var.root_query, var.root_iter = replace(q, related=None), None
                self.loop_vars.append(var)
                self.on_loop(var)
                return
            var.root_query, var.root_iter, var.reported = owner.root_query, owner.root_iter, owner.reported
            var.prefix = f"{owner.prefix}__{q.related.name}" if owner.prefix else q.related.name
            var.prefix_to_one = False
            if not _plain_related_read(q):
                var.root_iter = None  # a filtered related manager: prefetching the path would not serve it
                var.root_query = replace(owner.root_query, loads_unknown=True)
        self.loop_vars.append(var)
        self.on_loop(self.loop_vars[-1])

    def _built_at(self, expr: cst.BaseExpression, q: Query) -> Optional[Tuple[cst.BaseExpression, Query]]:
        """Where the query a loop iterates is built, in this file: the value of the only
        assignment of a local name, or the only ``return`` of the function of this module
        the call runs (``self.get_queryset()``, ``open_loans()``), read as a chain
        (which says exactly what it loads) that agrees with the facts layer's model."""
        function = self.ctx.stack.function  # type: ignore[attr-defined]
        source: Optional[cst.BaseExpression] = None
        if isinstance(expr, cst.Name):
            if q.origin is None or q.via == "values":
                return None
            if _assignments(function if function is not None else self.ctx.module, expr.value) != 1:  # type: ignore[attr-defined]
                return None
            source = q.origin
            return (source, q) if not q.no_fix else None
        if not isinstance(expr, cst.Call) or q.via != "values":
            return None
        project = self.ctx.project  # type: ignore[attr-defined]
        if project is None or not hasattr(project, "targets"):
            return None
        targets = project.targets(self.ctx.names.values(expr.func))  # type: ignore[attr-defined]
        module = self.ctx.module_name  # type: ignore[attr-defined]
        if len(targets) != 1 or not targets[0].qualname.startswith(module + "."):
            return None
        definition = _find_definition(self.ctx.module, targets[0].qualname[len(module) + 1:].split("."))  # type: ignore[attr-defined]
        returns = _returns(definition) if definition is not None else []
        if len(returns) != 1:
            return None
        source = returns[0]
        root, links = unchain(source)
        built = self.qa._django(root, links) or self.qa._sqlalchemy(root, links)
        if built is None or built.model is None or q.model is None or built.model.qualname != q.model.qualname or built.orm != q.orm:
            return None
        if built.terminal is not None and built.terminal != "all" or built.no_fix or built.custom or built.loads_unknown:
            return None
        return source, built

    def _fetched_owner(self, expr: cst.BaseExpression, q: Query, depth: int = 0) -> bool:
        """The related manager's owner is a local name bound once, in this function, to one
        instance fetched by a chain we can read that prefetches nothing
        (``cart = Cart.objects.get(pk=...)``): its relations' rows were not loaded."""
        from fftlint.engine.walk import descendants

        root, _ = unchain(expr)
        function = self.ctx.stack.function  # type: ignore[attr-defined]
        if not isinstance(root, cst.Name) or q.related is None or not isinstance(function, cst.FunctionDef) or _assignments(function, root.value) != 1:
            return False
        value = next((n.value for n in descendants(function, into_scopes=False)
                      if isinstance(n, cst.Assign) and len(n.targets) == 1 and isinstance(n.targets[0].target, cst.Name) and n.targets[0].target.value == root.value), None)
        if value is not None and isinstance(expr, cst.Name) and depth == 0:
            bound = self.qa.analyze(value)
            if bound is not None and bound.related is not None and bound.related.name == q.related.name:
                # ``rows = meeting.attendances.all()`` then ``for a in rows``: the owner is the chain's
                return self._fetched_owner(value, q, depth + 1)
        if value is not None:
            vroot, vlinks = unchain(value)
            row = view_instance(self.qa, vroot, vlinks)  # ``user = request.user``, ``book = self.get_object()``
            if row is not None and row[1] == len(vlinks):
                return row[0].qualname == q.related.model
        owner = (_shortcut_fetch(self.qa, value) or self.qa.analyze(value)) if value is not None else None
        return (
            owner is not None and owner.orm == "django" and owner.model is not None and owner.model.qualname == q.related.model
            and owner.terminal in ("get", "first", "last", "earliest", "latest")
            and not (owner.prefetch or owner.loads_unknown or owner.custom or owner.custom_method or owner.related is not None)
        )

    def _signal_owner(self, expr: cst.BaseExpression, q: Query) -> bool:
        """The owner is the ``instance`` a model signal's receiver gets: one row Django
        saved or deleted, whose relations nobody prefetched."""
        root, _ = unchain(expr)
        if not isinstance(root, cst.Name) or root.value != "instance" or q.related is None:
            return False
        model = self._receiver_sender()
        return model is not None and model.qualname == q.related.model

    def _view_owner(self, expr: cst.BaseExpression, q: Query) -> bool:
        """The owner is a row Django fetched for the view (:mod:`._view_instances`: the
        signed-in user, a detail view's object), whose relations nobody prefetched."""
        root, links = unchain(expr)
        user = view_instance(self.qa, root, links) if q.related is not None else None
        return user is not None and len(links) > user[1] and links[user[1]].name == q.related.name and user[0].qualname == q.related.model  # type: ignore[union-attr]

    def _owner_var(self, expr: cst.BaseExpression) -> Optional[LoopVar]:
        root, _ = unchain(expr)
        return self.loop_var(root.value) if isinstance(root, cst.Name) else None

    def on_loop(self, var: LoopVar) -> None:
        """Hook: a loop over query rows starts."""

    def on_query_iteration(self, iter_expr: cst.BaseExpression, loops: List[cst.CSTNode]) -> None:
        """Hook: a query is iterated (``for``/comprehension) inside other loops."""

    def visit_For(self, node: cst.For) -> None:
        loops = collection_loops(self.ctx)  # type: ignore[attr-defined]
        if loops:
            self.on_query_iteration(node.iter, loops)
        self._track(node, node.target, node.iter)

    def leave_For(self, node: cst.For) -> None:
        self._untrack(node)

    def _untrack(self, node: cst.CSTNode) -> None:
        if self._qa is not None:
            self.loop_vars = [v for v in self.loop_vars if v.loop is not node]

    def _visit_comp(self, node: Any) -> None:
        comp = node.for_in
        loops = collection_loops(self.ctx)  # type: ignore[attr-defined]
        first = True
        while comp is not None:
            inside = loops if first else loops + ([node] if is_collection_loop(node, self.ctx.names) else [])  # type: ignore[attr-defined]
            if inside:
                self.on_query_iteration(comp.iter, inside)
            if first:
                self._track(node, comp.target, comp.iter)
            first = False
            comp = comp.inner_for_in

    def visit_ListComp(self, node: cst.BaseComp) -> None:
        self._visit_comp(node)

    def leave_ListComp(self, node: cst.BaseComp) -> None:
        self._untrack(node)

    # every comprehension kind is tracked the same way
    visit_SetComp = visit_GeneratorExp = visit_DictComp = visit_ListComp
    leave_SetComp = leave_GeneratorExp = leave_DictComp = leave_ListComp


def _shortcut_fetch(qa: Analyzer, value: cst.BaseExpression) -> Optional[Query]:
    """Django's ``get_object_or_404(Model, ...)`` / ``get_object_or_404(queryset, ...)``:
    one instance, fetched by the model's default manager or by that queryset (which
    loads what its chain loads), as ``.get(...)`` would."""
    if not isinstance(value, cst.Call) or not value.args or value.args[0].keyword is not None or value.args[0].star:
        return None
    if qa.ctx.names.resolve(value.func) != "django.shortcuts.get_object_or_404":
        return None
    arg = value.args[0].value
    model = qa.model_of(arg)
    if model is not None:
        return Query("django", model, model.name, f"get_object_or_404({qa.ctx.code_for(arg)})", terminal="get")
    inner = qa.analyze(arg)
    if inner is None or inner.orm != "django" or inner.terminal is not None:
        return None
    return replace(inner, terminal="get")


def _assignments(function: cst.CSTNode, name: str) -> int:
    """How many statements of ``function`` (not of nested scopes) bind ``name``."""
    from fftlint.analysis.names import target_names
    from fftlint.engine.walk import descendants

    count = 0
    for node in descendants(function, into_scopes=False):
        if isinstance(node, cst.Assign):
            count += sum(1 for t in node.targets if name in target_names(t.target))
        elif isinstance(node, (cst.AugAssign, cst.AnnAssign)) and isinstance(node.target, cst.Name) and node.target.value == name:
            count += 1
        elif isinstance(node, (cst.For, cst.CompFor)) and name in target_names(node.target):
            count += 1
        elif isinstance(node, cst.NamedExpr) and isinstance(node.target, cst.Name) and node.target.value == name:
            count += 1
        elif isinstance(node, cst.AsName) and isinstance(node.name, cst.Name) and node.name.value == name:
            count += 1
    if isinstance(function, cst.FunctionDef):
        params = function.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            if param.name.value == name:
                count += 1
    return count


def _find_definition(module: cst.Module, path: Sequence[str]) -> Optional[cst.FunctionDef]:
    """The function ``a.b.c`` of the module (classes and functions by name, last wins)."""
    body: Sequence[cst.CSTNode] = module.body
    found: Optional[cst.CSTNode] = None
    for part in path:
        found = None
        for stmt in body:
            if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)) and stmt.name.value == part:
                found = stmt
        if found is None:
            return None
        inner = found.body  # type: ignore[attr-defined]
        body = inner.body if isinstance(inner, cst.IndentedBlock) else ()
    return found if isinstance(found, cst.FunctionDef) else None


def _returns(function: cst.FunctionDef) -> List[cst.BaseExpression]:
    from fftlint.engine.walk import descendants

    out: List[cst.BaseExpression] = []
    for node in descendants(function.body, into_scopes=False):
        if isinstance(node, cst.Return):
            if node.value is None:
                return []
            out.append(node.value)
        elif isinstance(node, (cst.Yield,)):
            return []
    return out


def _plain_related_read(q: Query) -> bool:
    cached = set(catalog()["django"]["prefetch_cached"])
    return not q.narrowed and all(m in cached for m in q.methods)


# --------------------------------------------------------------------------- at most once
def _block_of(parent: cst.CSTNode, child: cst.CSTNode) -> Optional[Sequence[cst.CSTNode]]:
    """The statement list of ``parent`` (a compound statement) that holds ``child``."""
    for name in ("body", "orelse", "finalbody"):
        block = getattr(parent, name, None)
        if isinstance(block, (cst.Else, cst.Finally)):
            block = block.body
        if isinstance(block, cst.If):  # ``elif``
            if block is child:
                return None
            continue
        if isinstance(block, (cst.IndentedBlock, cst.SimpleStatementSuite)) and any(s is child for s in block.body):
            return block.body
    for handler in getattr(parent, "handlers", ()) or ():
        block = handler.body
        if isinstance(block, (cst.IndentedBlock, cst.SimpleStatementSuite)) and any(s is child for s in block.body):
            return block.body
    return None


def _ends(stmt: cst.CSTNode, kinds: Tuple[type, ...]) -> bool:
    """A statement that always leaves by one of ``kinds`` (``return`` / ``raise`` /
    ``break``): a simple statement line with one, or an ``if``/``else`` whose branches all do."""
    if isinstance(stmt, cst.SimpleStatementLine):
        return any(isinstance(small, kinds) for small in stmt.body)
    if isinstance(stmt, cst.If) and stmt.orelse is not None:
        branches = [stmt.body, stmt.orelse.body if isinstance(stmt.orelse, cst.Else) else None]
        if isinstance(stmt.orelse, cst.If):
            return _ends(stmt.body.body[-1], kinds) if stmt.body.body else False  # type: ignore[union-attr]
        return all(b is not None and b.body and _ends(b.body[-1], kinds) for b in branches)  # type: ignore[union-attr]
    return False


def _handlers_leave(node: cst.Try, kinds: Tuple[type, ...]) -> bool:
    return all(h.body.body and _ends(h.body.body[-1], kinds) for h in node.handlers)  # type: ignore[union-attr]


def _guard_once(stmt: cst.If, ctx: Any, loop: Optional[cst.CSTNode] = None) -> bool:
    """``if x is None: x = <query>`` / ``if not x: x = ...``: the body fills what it tests
    (lazy initialisation in a loop); ``if i == 0:`` with ``i`` an ``enumerate`` index is
    handled by the caller. Also a memo refreshed when a key changes (``if last != row.event
    or rules is None: last = row.event; rules = <query>``: once per run of equal keys, per
    group of rows sorted by it) and a memo filled per key (``if k not in seen: seen[k] =
    <query>``: once per distinct key), also when the body fills it through a method of
    the enclosing class (``if k not in self._cache: self._load([k])`` where ``_load``
    stores into ``self._cache``: cache-aside at the call site)."""
    if _refreshed_when_key_changes(stmt) or _filled_per_key(stmt, _enclosing_class(ctx), loop):
        return True
    test = stmt.test
    tested: Optional[str] = None
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and isinstance(test.comparisons[0].operator, cst.Is):
        right = test.comparisons[0].comparator
        if isinstance(right, cst.Name) and right.value == "None" and isinstance(test.left, cst.Name):
            tested = test.left.value
    elif isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not) and isinstance(test.expression, cst.Name):
        tested = test.expression.value
    if tested is None:
        return False
    from fftlint.analysis.names import target_names
    from fftlint.engine.walk import descendants

    for node in descendants(stmt.body, into_scopes=False):
        if isinstance(node, cst.Assign) and any(tested in target_names(t.target) for t in node.targets):
            return True
    return False


def _assigned_names(body: cst.CSTNode) -> Set[str]:
    from fftlint.analysis.names import target_names
    from fftlint.engine.walk import descendants

    out: Set[str] = set()
    for node in descendants(body, into_scopes=False):
        if isinstance(node, cst.Assign):
            for t in node.targets:
                out.update(target_names(t.target))
    return out


def _refreshed_when_key_changes(stmt: cst.If) -> bool:
    """Every alternative of the test is ``N != <expr>`` / ``N is None`` / ``not N`` for a
    name ``N`` the body assigns: the block refreshes what it tests, when it changes."""
    alternatives: List[cst.BaseExpression] = []
    pending: List[cst.BaseExpression] = [stmt.test]
    while pending:
        cur = pending.pop()
        if isinstance(cur, cst.BooleanOperation) and isinstance(cur.operator, cst.Or):
            pending.extend((cur.left, cur.right))
        else:
            alternatives.append(cur)
    tested: Set[str] = set()
    changes = False
    for alt in alternatives:
        if isinstance(alt, cst.UnaryOperation) and isinstance(alt.operator, cst.Not) and isinstance(alt.expression, cst.Name):
            tested.add(alt.expression.value)
            continue
        if not (isinstance(alt, cst.Comparison) and len(alt.comparisons) == 1):
            return False
        op, right = alt.comparisons[0].operator, alt.comparisons[0].comparator
        if isinstance(op, cst.Is) and isinstance(right, cst.Name) and right.value == "None" and isinstance(alt.left, cst.Name):
            tested.add(alt.left.value)
        elif isinstance(op, cst.NotEqual) and (isinstance(alt.left, cst.Name) or isinstance(right, cst.Name)):
            tested.add(alt.left.value if isinstance(alt.left, cst.Name) else right.value)  # type: ignore[union-attr]
            changes = True
        else:
            return False
    return changes and bool(tested) and tested <= _assigned_names(stmt.body)


def _filled_per_key(stmt: cst.If, cls: Optional[cst.ClassDef] = None, loop: Optional[cst.CSTNode] = None) -> bool:
    """``if k not in memo:`` whose body stores ``memo[k] = ...`` (or ``memo.add(k)`` /
    ``memo.setdefault(k, ...)`` / ``memo.update(...)``) on the same container, when the
    key is not the innermost loop's own variable (or its ``pk`` / ``id``: distinct per
    row, so the guard lets every row through); with ``cls``,
    also a body that calls ``self.<method>(...)`` of that class when the method stores into
    ``self.<attr>``, the container tested."""
    from fftlint.engine.walk import descendants

    test = stmt.test
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and isinstance(test.comparisons[0].operator, cst.NotIn)):
        return False
    container = dotted(test.comparisons[0].comparator)
    if not container:
        return False
    key = test.left
    if isinstance(key, cst.Attribute) and key.attr.value in ("pk", "id"):
        key = key.value
    if loop is not None and isinstance(key, cst.Name) and key.value in loop_targets(loop):
        return False  # keyed by the row itself (``if slot not in existing:``): once per row
    if _stores_into(stmt.body, container):
        return True
    if cls is None or not container.startswith("self.") or container.count(".") != 1:
        return False
    methods = {
        item.name.value: item
        for item in getattr(cls.body, "body", ())
        if isinstance(item, cst.FunctionDef)
    }
    for node in descendants(stmt.body, into_scopes=False):
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and dotted(node.func.value) == "self":
            method = methods.get(node.func.attr.value)
            if method is not None and _stores_into(method.body, container):
                return True
    return False


def _stores_into(body: cst.CSTNode, container: str) -> bool:
    """``body`` (not its nested scopes) stores into ``container``: ``container[k] = ...``,
    ``container.add/setdefault/update(...)``."""
    from fftlint.engine.walk import descendants

    for node in descendants(body, into_scopes=False):
        if isinstance(node, cst.Assign) and any(isinstance(t.target, cst.Subscript) and dotted(t.target.value) == container for t in node.targets):
            return True
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in ("add", "setdefault", "update") and dotted(node.func.value) == container:
            return True
    return False


def _enclosing_class(ctx: Any) -> Optional[cst.ClassDef]:
    """The class whose method is being walked (the innermost function's class), if any."""
    stack = getattr(ctx, "stack", None)
    frames = list(getattr(stack, "frames", ()) or ())
    seen_function = False
    for frame in reversed(frames):
        if frame.kind == "class":
            return frame.node if seen_function else None
        if frame.kind in ("def", "async def"):
            if seen_function:
                return None
            seen_function = True
    return None


def _first_pass_guard(stmt: cst.If, loop: cst.CSTNode) -> bool:
    """``for i, x in enumerate(xs): if i == 0:`` / ``if not i:``."""
    if not isinstance(loop, cst.For) or not isinstance(loop.iter, cst.Call) or last_name(loop.iter.func) != "enumerate":
        return False
    if not isinstance(loop.target, cst.Tuple) or not loop.target.elements or not isinstance(loop.target.elements[0].value, cst.Name):
        return False
    index = loop.target.elements[0].value.value  # type: ignore[attr-defined]
    test = stmt.test
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return isinstance(test.expression, cst.Name) and test.expression.value == index
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and isinstance(test.comparisons[0].operator, cst.Equal):
        right = test.comparisons[0].comparator
        return isinstance(test.left, cst.Name) and test.left.value == index and isinstance(right, cst.Integer) and right.value == "0"
    return False


def _key_guard(stmt: cst.If, loop: cst.CSTNode) -> bool:
    """``for k in fields: if k == "itemvars":`` (``for k, v in d.items()`` too): the body
    runs for one value of the loop variable, once for a loop over keys or names."""
    if not isinstance(loop, cst.For):
        return False
    target = loop.target
    if isinstance(target, cst.Tuple) and target.elements and isinstance(loop.iter, cst.Call) and last_name(loop.iter.func) == "items":
        target = target.elements[0].value
    if not isinstance(target, cst.Name):
        return False
    test = stmt.test
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and isinstance(test.comparisons[0].operator, cst.Equal)):
        return False
    sides = (test.left, test.comparisons[0].comparator)
    literal = (cst.SimpleString, cst.ConcatenatedString, cst.Integer)
    return any(isinstance(a, cst.Name) and a.value == target.value and isinstance(b, literal) for a, b in (sides, sides[::-1]))


ATOMIC_BLOCKS: FrozenSet[str] = frozenset(("django.db.transaction.atomic",))


def _from_innermost_loop(ctx: Any, loops: Sequence[cst.CSTNode]) -> List[cst.CSTNode]:
    """The statements around the current node from the innermost loop inwards (empty
    when that loop is not among them)."""
    stack = list(ctx.statements)
    innermost = loops[-1]
    start = next((i for i, s in enumerate(stack) if s is innermost), None)
    return [] if start is None else stack[start:]


def row_lock(ctx: Any, query: Query, loops: Sequence[cst.CSTNode]) -> bool:
    """``with transaction.atomic(): row = M.objects.select_for_update().get(pk=row.pk)``
    inside the loop: each row re-read under a lock in a transaction of its own -- the race
    guard, one lock per row by design (locking every row at once would hold them all for
    the whole loop). A transaction around the loop instead does not count."""
    if "select_for_update" not in query.methods or not loops:
        return False
    chain = _from_innermost_loop(ctx, loops)
    for stmt in chain[1:]:
        if isinstance(stmt, cst.With):
            for item in stmt.items:
                call = item.item
                if isinstance(call, cst.Call) and ctx.names.resolve(call.func) in ATOMIC_BLOCKS:
                    return True
    return False


#: attributes a flush fills in on a new object: its generated primary key
GENERATED_KEYS: FrozenSet[str] = frozenset(("id", "pk"))


def flush_for_id(ctx: Any, loops: Sequence[cst.CSTNode]) -> bool:
    """``run = make_run(...); session.flush(); req.run_id = run.id`` in the loop: the flush
    is there to obtain the generated key of an object made in this pass, read by a later
    statement of the same pass -- it cannot move after the loop as written (the INSERT
    per row is the maker's, reported there when it is a query). The loop's own rows
    (its targets) had their key before the flush: reading it does not count."""
    if not loops:
        return False
    chain = _from_innermost_loop(ctx, loops)
    if len(chain) < 2:
        return False
    innermost = chain[0]
    made = _made_in_pass(innermost) - loop_targets(innermost)
    if not made:
        return False
    for parent, child in zip(reversed(chain[:-1]), reversed(chain[1:])):
        block = _block_of(parent, child)
        if block is not None:
            index = next((i for i, s in enumerate(block) if s is child), -1)
            if any(_reads_new_key(later, made) for later in block[index + 1:]):
                return True
        if parent is innermost:
            break
    return False


def _reads_new_key(stmt: cst.CSTNode, made: Set[str]) -> bool:
    return any(isinstance(n, cst.Attribute) and n.attr.value in GENERATED_KEYS and isinstance(n.value, cst.Name) and n.value.value in made for n in _walk(stmt))


def key_written_back(ctx: Any, loops: Sequence[cst.CSTNode]) -> bool:
    """``session.flush(); req.run_id = run.id; session.flush()`` in the loop: the second
    flush sends the key the first one obtained. The pass flushes for that key anyway,
    so the row it writes back would go to the database with the next pass's flush: a
    flush after the loop would save no round trip. Only when every statement between
    the two flushes is an assignment that stores a generated key of an object made in
    the pass; anything else between them (another write, a query) still reports."""
    if not loops:
        return False
    chain = _from_innermost_loop(ctx, loops)
    if len(chain) < 2:
        return False
    innermost = chain[0]
    made = _made_in_pass(innermost) - loop_targets(innermost)
    block = _block_of(chain[-2], chain[-1]) if made else None
    if block is None:
        return False
    index = next((i for i, s in enumerate(block) if s is chain[-1]), -1)
    between = 0
    for earlier in reversed(block[:max(index, 0)]):
        if _is_flush(earlier):
            return between > 0
        if not (isinstance(earlier, cst.SimpleStatementLine) and all(isinstance(small, (cst.Assign, cst.AnnAssign)) for small in earlier.body) and _reads_new_key(earlier, made)):
            return False
        between += 1
    return False


def _is_flush(stmt: cst.CSTNode) -> bool:
    """A statement line that is only ``<receiver>.flush()``."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1 or not isinstance(stmt.body[0], cst.Expr):
        return False
    call = stmt.body[0].value
    return isinstance(call, cst.Call) and not call.args and isinstance(call.func, cst.Attribute) and call.func.attr.value == "flush"


def _made_in_pass(loop: cst.CSTNode) -> Set[str]:
    """Names the loop's body binds with ``x = ...`` or hands to ``session.add(x)``."""
    body = getattr(loop, "body", None)
    out: Set[str] = set()
    if body is None:
        return out
    for node in _walk(body):
        if isinstance(node, cst.Assign):
            out.update(t.target.value for t in node.targets if isinstance(t.target, cst.Name))
        elif isinstance(node, cst.AnnAssign) and isinstance(node.target, cst.Name) and node.value is not None:
            out.add(node.target.value)
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "add" and len(node.args) == 1 and isinstance(node.args[0].value, cst.Name):
            out.add(node.args[0].value.value)
    return out


def runs_at_most_once(ctx: Any, loops: Sequence[cst.CSTNode]) -> bool:
    """The statement being walked runs at most once per call of the function, however many
    rows the loops have: it returns or raises (and no ``try`` between it and the loops
    catches and goes on), it is followed in its block (or an enclosing one inside the
    loops) by ``return``/``raise`` -- or by ``break`` when only one collection loop
    encloses it --, or it sits under a first-pass guard (``if i == 0``, ``if x is None:
    x = ...``), or, under one collection loop, a guard on one value of its variable
    (``if key == "name":``)."""
    if not loops:
        return False
    stack = list(ctx.statements)
    outer = loops[0]
    try:
        start = next(i for i, s in enumerate(stack) if s is outer)
    except StopIteration:
        return False
    chain = stack[start:]
    single = len(loops) == 1
    kinds: Tuple[type, ...] = (cst.Return, cst.Raise) + ((cst.Break,) if single else ())
    innermost = loops[-1]
    pairs = list(zip(reversed(chain[:-1]), reversed(chain[1:])))  # (parent, child), innermost first
    # inside a ``try`` whose handlers let the loop go on, a raise starts the next pass
    protected = any(
        isinstance(parent, cst.Try) and any(s is child for s in parent.body.body) and not _handlers_leave(parent, (cst.Return, cst.Raise, cst.Break))  # type: ignore[union-attr]
        for parent, child in pairs
    )
    if not protected and _ends(chain[-1], kinds):
        return True
    for parent, child in pairs:
        if isinstance(parent, cst.If) and any(s is child for s in parent.body.body):  # type: ignore[union-attr]
            if _guard_once(parent, ctx, innermost) or _first_pass_guard(parent, innermost) or (single and _key_guard(parent, innermost)):
                return True
        block = _block_of(parent, child)
        if block is not None and not protected:
            index = next((i for i, s in enumerate(block) if s is child), -1)
            for later in block[index + 1:]:
                if isinstance(later, cst.SimpleStatementLine) and any(isinstance(s, cst.Continue) for s in later.body):
                    break
                if _ends(later, kinds):
                    return True
        if parent is outer:
            break
    return False
