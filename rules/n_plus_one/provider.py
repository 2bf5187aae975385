"""The FFT2xx fact provider: the project's ORM models, what ORM values are, which calls query.

Project-wide facts: the model index (:func:`fftlint.analysis.orm.build_model_index`: every
Django and SQLAlchemy model with its relations, forward and reverse, and its managers),
built once per run with ``ast`` and cached by content hash.

Values (:class:`fftlint.facts.values.Opaque` with provider ``"orm"``) -- so a queryset held
in a name, returned by a helper, stored on ``self`` or passed in as an annotated argument
is still a queryset of its model. ``data`` is ``(kind, model, loads, related)``:

* ``"qs"``: a Django manager or queryset (``Book.objects``, ``.filter(...)``, a custom
  manager, a related manager ``author.books`` -- then ``related`` is
  ``"<owner model>:<attribute>"``, with :data:`FILTERED` appended once a method other
  than ``all()`` narrowed it); iterating it runs a query and gives ``model()``;
* ``"query"``: a SQLAlchemy query (``session.query(Book)``, Flask-SQLAlchemy's
  ``Book.query``) or select (``select(Book)``, ``sa.select(Book)``);
* ``"result"``: what ``session.execute(select(Book))`` gives (rows are tuples; its
  ``scalars()`` are ``"rows"``);
* ``"rows"``: rows already fetched (``query.all()``, ``session.scalars(stmt)``):
  iterating them runs no query, reading a lazy relation of each still does.

``model`` is the model's qualified name ("" when the query's model is unknown, e.g.
``db.query(self.model)`` in a generic repository); ``loads`` the relation paths the query
loads with it (sorted; ``"*"`` means "may load anything": a loader whose arguments cannot
be read, a custom manager or queryset method). ``select_related`` / ``prefetch_related``
with string paths keep exactly those paths, also when the model comes from another module
(the receiver waits for the project, the paths are read where the call is written); a
``select_related()`` without arguments is :data:`BARE` (the non-null foreign keys); any
other argument (a ``Prefetch``, a name) counts as ``"*"``. SQLAlchemy
``options(selectinload(...))`` chains keep their exact loads.

``("method", receiver, name)`` is a method of one of those (``receiver`` is its data)
before it is called; ``("method", ("row", model, (), ""), name)`` is ``save``/``delete`` of
a Django model instance.

Effects (provider name ``"orm"``), found when the call graph is searched (FFT203):

* ``query``: a Django queryset method that runs a query (``get``, ``first``, ``count``,
  ``exists``, ...), iterating a queryset, a SQLAlchemy query method that runs it
  (``all``, ``first``, ``one``, ...), ``session.execute/scalars/scalar/get``, DB-API
  ``cursor.execute``;
* ``write``: ``save()``/``delete()``/``refresh_from_db()`` on a model instance, and the
  writing queryset methods (``create``, ``update``, ``delete``, ``get_or_create``...).

Batch APIs (``bulk_create``, ``bulk_update``, ``iterator``) are no effect: they are meant
to run once per batch.
"""

from __future__ import annotations

import ast
import bisect
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Dict, FrozenSet, List, Optional, Sequence, Tuple

from fftlint.analysis.orm import ModelIndex, build_model_index
from fftlint.facts.bindings import own_nodes
from fftlint.facts.provider import Effect, Provider
from fftlint.facts.values import NONE, UNKNOWN, Awaitable, Opaque, Value, Values

if TYPE_CHECKING:  # pragma: no cover
    from fftlint.facts.project import ProjectFacts
    from fftlint.facts.summary import CallFacts, CallSite, ClassFacts, FunctionView

NAME = "orm"
SUMMARY_FORMAT = "orm-8"  # bump when notes or local values change shape
CACHED = "cached"  # a function memoized by a decorator: its queries run once per argument
#: with :data:`CACHED`: a ``cached_property``, memoized on its instance -- once per row
#: when each iteration reads it on a new row
PER_INSTANCE = "cached-per-instance"
ANY = "*"  # a loads entry: the query may load any relation
BARE = "<select_related()>"  # a loads entry: ``select_related()`` without arguments
FILTERED = "|filtered"  # the end of ``related``: a related manager narrowed by a method

_WRITES = frozenset(("create", "get_or_create", "update_or_create", "update", "delete", "acreate", "aget_or_create",
                     "aupdate_or_create", "aupdate", "adelete"))
_INSTANCE_WRITES = frozenset(("save", "asave", "delete", "adelete", "refresh_from_db", "arefresh_from_db"))
_SESSION_QUERIES = frozenset(("execute", "scalars", "scalar", "get", "refresh", "merge", "flush"))
_FLASK_SESSION_QUERIES = frozenset(("execute", "scalars", "scalar"))
_CACHE_DECORATORS = frozenset(("functools.lru_cache", "functools.cache", "functools.cached_property", "lru_cache", "cache",
                               "cached_property", "django.utils.functional.cached_property", "cachetools.cached"))
#: Statement builders that take the model first (``select(Book)``), and the ones whose
#: statement changes rows (``update(Book)``, ``insert(...)``, ``text("UPDATE ...")``).
_SELECTS = frozenset(("select",))
_STATEMENT_MODULES = ("sqlalchemy", "sqlmodel")
#: Django queryset methods whose result is not model instances.
_NOT_INSTANCES = frozenset(("values", "values_list", "dates", "datetimes"))
_LOADERS = frozenset(("select_related", "prefetch_related"))
_DJANGO_ROWS = frozenset(("get", "first", "last", "earliest", "latest", "create", "aget", "afirst", "alast", "acreate"))
#: Django's shortcuts that run a query on the model or queryset they are given.
DJANGO_SHORTCUTS = frozenset(("django.shortcuts.get_object_or_404", "django.shortcuts.get_list_or_404"))
_DJANGO_ASYNC_ROWS = frozenset(("aget", "afirst", "alast", "acreate"))
_DJANGO_QUERYSET_CLASSES = frozenset(("django.db.models.QuerySet", "django.db.models.query.QuerySet", "django.db.models.Manager",
                                      "django.db.models.manager.Manager", "django.db.models.manager.BaseManager"))
_SQLA_ONE = frozenset(("first", "one", "one_or_none", "get", "scalar_one", "scalar_one_or_none", "scalar"))


@lru_cache(maxsize=1)
def _catalog() -> Dict[str, Any]:
    from ._querysets import catalog

    return catalog()


def orm_value(kind: str, model: str, loads: Tuple[str, ...] = (), related: str = "") -> Opaque:
    return Opaque(NAME, (kind, model, tuple(sorted(set(loads))), related))


def _one(value: Opaque) -> Values:
    return frozenset((value,))


def _opaque(*data: Any) -> Values:
    return frozenset((Opaque(NAME, tuple(data)),))


def _method(receiver: Tuple[Any, ...], name: str) -> Values:
    return _opaque("method", receiver, name)


def orm_data(value: Any) -> Optional[Tuple[Any, ...]]:
    """The data of an ORM value (None for anything else)."""
    if isinstance(value, Opaque) and value.provider == NAME:
        return value.data  # type: ignore[no-any-return]
    return None


class OrmProvider(Provider):
    name = NAME

    def project_facts(self, files: Sequence[str], cache: Any = None) -> Optional[ModelIndex]:
        return build_model_index(files, cache=cache, words=database_words())

    def summary_digest(self) -> str:
        """Summaries hold this provider's notes and local values: their version."""
        return SUMMARY_FORMAT

    def digest(self) -> str:
        facts = getattr(self, "facts", None)
        return self.summary_digest() + (facts.digest() if isinstance(facts, ModelIndex) else "")

    @property
    def index(self) -> Optional[ModelIndex]:
        facts = getattr(self, "facts", None)
        if isinstance(facts, ModelIndex):
            return facts
        return self.__dict__.get("_local")

    def _index_for(self, module: str, project: "ProjectFacts") -> Optional[ModelIndex]:
        """The project's model index; without one (a file linted on its own), the models
        of the modules looked at so far, read from their binding maps."""
        facts = getattr(self, "facts", None)
        if isinstance(facts, ModelIndex):
            return facts
        local = self.__dict__.get("_local")
        seen = self.__dict__.setdefault("_local_modules", set())
        if module not in seen:
            seen.add(module)
            tree_facts = project.module_facts(module)
            if tree_facts is not None:
                from fftlint.analysis.orm import summarize_models

                summary = summarize_models("", module, tree_facts.is_package, tree=tree_facts.tree)
                if summary["models"]:
                    local = self.__dict__["_local"] = (local.with_summary(summary) if local is not None else ModelIndex([summary]))
        return local

    # -- summary time ---------------------------------------------------------------
    def marks(self, function: "FunctionView") -> FrozenSet[str]:
        """:data:`CACHED` for a memoized function; a pass-through's mark
        (:mod:`._through`) for a helper that hands back the query it is given."""
        for values in function.decorator_values():
            for value in values:
                if isinstance(value, str) and (value in _CACHE_DECORATORS or value.rsplit(".", 1)[-1] in ("lru_cache", "cache", "cached_property", "memoize")):
                    return frozenset((CACHED, PER_INSTANCE)) if value.rsplit(".", 1)[-1] == "cached_property" else frozenset((CACHED,))
        if _cache_aside(function) or _global_memo(function.node):
            return frozenset((CACHED,))
        from ._through import through_mark

        mark = through_mark(function)
        return frozenset((mark,)) if mark is not None else frozenset()

    def notes(self, site: "CallSite") -> FrozenSet[str]:
        """``guard:<param>:falsy`` / ``guard:<param>:truthy``: the call runs only when a
        parameter of the function is falsy / truthy (``if not shallow: <query>``), so a
        caller passing a literal (``shallow=True``) never reaches it."""
        guards = _parameter_guards(site.function)
        found = guards.get(id(site.node), frozenset())
        tables = _table_parameters(site)
        return found | tables if tables else found

    def call_value(self, facts: Any, call: ast.Call, callee: Values, look: Any) -> Optional[Values]:
        """Calls whose result the provider knows inside one module: ``session.query(Book)``
        and ``select(Book)`` are queries of Book; methods of those (with their arguments:
        ``options(selectinload(Book.author))`` loads ``author``); ``session.scalars(stmt)``
        / ``session.execute(stmt)`` / ``session.get(Book, pk)`` of a known statement."""
        out = set()
        hit = False
        for value in callee:
            data = orm_data(value)
            if data is not None and data[0] == "method":
                got = self._local_method(data[1], data[2], call, facts, look)
                hit = True
                out.update(got if got is not None else (UNKNOWN,))
                continue
            if data is not None and data[0] == "pattr":
                hit = True
                pending, name = data[1], data[2]
                out.add(Opaque(NAME, ("pending", ("method", pending, name, self._method_info(name, call)), f"{pending[2]}.{name}()")))
                continue
            if not isinstance(value, str) or value in (UNKNOWN, NONE):
                out.add(UNKNOWN)
                continue
            got = _model_loader(value, call)
            if got is None:
                got = _shortcut_instance(value, call, facts, look)
            if got is None:
                got = self._local_call(value, call, facts, look)
            if got is None:
                got = self._pending_call(value, call, facts, look)
            if got is None:
                got = _through_call(value, call, facts, look)
            if got is not None:
                hit = True
                out.update(got)
            else:
                out.add(value + "()")
        return frozenset(out) if hit else None

    def _method_info(self, name: str, call: ast.Call) -> Tuple[str, ...]:
        """What a method's arguments tell: the relations ``options(...)`` /
        ``select_related(...)`` / ``prefetch_related(...)`` load."""
        if name in _LOADERS:
            return _django_loader_paths(name, call)
        if name != "options":
            return ()
        extra = []
        for arg in call.args:
            got = _loader_paths(arg)
            extra.extend(got if got is not None else (ANY,))
        return tuple(extra)

    def _pending_call(self, value: str, call: ast.Call, facts: Any, look: Any) -> Optional[Values]:
        """``self.db.query(Book)`` / ``session.scalars(stmt_from_a_helper())``: whether the
        receiver is a session, or the statement a query, only the project can tell. The
        value waits (:meth:`resolve_value`); it knows the symbolic value the call has
        when it is not (``fallback``)."""
        head, _, tail = value.rpartition(".")
        if head and tail in _LOADERS:
            # ``Book.objects.filter(...).select_related("author")`` with ``Book`` from
            # another module: what the receiver is waits for the project, what the call
            # loads is read here
            paths = _django_loader_paths(tail, call)
            if paths == (ANY,):
                return None
            return frozenset((Opaque(NAME, ("pending", ("method", ("pending", ("symbol", head), head), tail, paths), value + "()")),))
        if not head or tail not in ("query", "scalars", "execute", "scalar", "get") or not call.args or isinstance(call.args[0], ast.Starred):
            return None
        if head.split(".", 1)[0] in _catalog()["not_databases"] or head.startswith(("builtins.", "dict", "os.", "str(")):
            return None
        if tail == "get" and len(call.args) < 2:
            return None
        arg = call.args[0]
        if tail in ("query", "get"):
            model = _model_argument(facts, arg, look)
            if model is None:
                return None
            info: Tuple[Any, ...] = (model,)
        else:
            stmt = facts._eval(arg, look)
            if not any(orm_data(v) is not None or isinstance(v, str) and "(" in v and v not in (UNKNOWN, NONE) for v in stmt):
                return None  # a string of SQL, a name of unknown value
            info = (stmt,)
        return frozenset((Opaque(NAME, ("pending", ("call", value, tail, info), value + "()")),))

    # -- waiting values ------------------------------------------------------------------
    def resolve_value(self, value: Any, project: "ProjectFacts") -> Optional[Values]:
        data = orm_data(value)
        if data is not None and data[0] == "pattr":  # ``self.db.query(Book).all`` before its call
            pending, name = data[1], data[2]
            receivers = self._resolve_pending(pending, project)
            if receivers and all(orm_data(r) is not None and orm_data(r)[0] in ("qs", "query", "rows", "result") for r in receivers):  # type: ignore[index]
                return frozenset(Opaque(NAME, ("method", r.data, name)) for r in receivers)  # type: ignore[union-attr]
            if pending[1][0] == "model":  # ``Book = get_model(...)`` then ``Book.objects``
                return project.resolve(frozenset(f"{r}.{name}" for r in receivers)) if receivers else frozenset((UNKNOWN,))
            if receivers and all(isinstance(r, str) and r.endswith("()") for r in receivers):
                # ``student = db.session.get(Student, pk)`` then ``student.grades``: an attribute
                # of the instance the waiting call gives
                return project.resolve(frozenset(f"{r}.{name}" for r in receivers))
            return project.resolve(frozenset((f"{pending[2]}.{name}",)))
        if data is None or data[0] != "pending":
            return None
        found = self._resolve_pending(data, project)
        if found is not None:
            return found
        return project.resolve(frozenset((data[2],)))

    def _resolve_pending(self, data: Tuple[Any, ...], project: "ProjectFacts") -> Optional[Values]:
        step = data[1]
        if step[0] == "symbol":  # a receiver whose value only the project knows
            return project.resolve(frozenset((step[1],)))
        if step[0] == "attr":  # an attribute of a waiting value
            return self.resolve_value(Opaque(NAME, step[1]), project)
        if step[0] == "model":  # ``get_model("shop", "Book")``: the project's model of that app
            index = self.index
            model = index.by_label(step[1], step[2]) if index is not None else None
            return frozenset((model.qualname,)) if model is not None else None
        if step[0] == "call":
            _, callee, tail, info = step
            out = set()
            for resolved in project.resolve(frozenset((callee,))):
                if not isinstance(resolved, str) or not resolved.endswith("." + tail):
                    continue
                head = resolved[: -len(tail) - 1]
                if not _session_like(head, asynchronous=True):
                    continue
                got = self._session_result(head, tail, info, project)
                if got is not None:
                    out.update(got)
            return frozenset(out) if out else None
        if step[0] == "method":
            _, base, name, info = step
            receivers = self._resolve_pending(base, project)
            if not receivers:
                return None
            out = set()
            for receiver in receivers:
                rdata = orm_data(receiver)
                if rdata is None or rdata[0] not in ("qs", "query", "rows", "result"):
                    return None
                if name == "options" and rdata[0] == "query" or name in _LOADERS and rdata[0] == "qs":
                    out.add(orm_value(rdata[0], rdata[1], rdata[2] + info, *rdata[3:]))
                    continue
                got = self._apply_method(rdata, name)
                if got is None:
                    return None
                out.update(got)
            return frozenset(out)
        if step[0] == "through":  # ``stmt = self._apply_filters(stmt, f)``: see ._through
            return self._resolve_through(step[1], step[2], project)
        if step[0] == "iter":
            receivers = self._resolve_pending(step[1], project)
            if not receivers:
                return None
            out = set()
            for receiver in receivers:
                got = self.iterate(receiver, project)
                if got is None:
                    return None
                out.update(got)
            return frozenset(out)
        return None

    def _resolve_through(self, callee: str, args: Tuple[Any, ...], project: "ProjectFacts") -> Optional[Values]:
        """What a pass-through helper gives: the query passed for its parameter with the
        helper's methods and loads applied (None when it is no pass-through, or the
        argument is no query)."""
        from ._through import fills, mark_of

        through = mark_of(project, (callee,))
        if through is None:
            return None
        given = next((v for position, keyword, v in args if fills(through, position, keyword)), None)
        if given is None:
            return None
        out = set()
        for value in project.resolve(given):
            data = orm_data(value)
            if data is None or data[0] not in ("qs", "query"):
                return None
            got = self._through_data(data, through, project, 0)
            if got is None:
                return None
            out.add(got)
        return frozenset(out) if out else None

    def _through_data(self, data: Tuple[Any, ...], through: Any, project: "ProjectFacts", depth: int) -> Optional[Opaque]:
        """``data`` once the helper ran: its methods applied (each must keep the kind), its
        loads added, the pass-throughs it calls in turn followed."""
        from ._through import MAX_DEPTH, nested_mark

        loaders = {m for m, _ in through.loads}
        for method in through.methods:
            if method in loaders:
                continue
            got = self._apply_method(data, method)
            found = [orm_data(v) for v in got or ()]
            if len(found) != 1 or found[0] is None or found[0][0] != data[0]:
                return None
            data = found[0]
        kind, model, loads, related = data
        extra = tuple(p for _, paths in through.loads for p in paths)
        value = orm_value(kind, model, loads + extra, related)
        for step in through.nested:
            inner = nested_mark(project, step)
            if inner is None or depth >= MAX_DEPTH:
                return None
            nested = self._through_data(value.data, inner, project, depth + 1)
            if nested is None:
                return None
            value = nested
        return value

    def _session_result(self, head: str, tail: str, info: Tuple[Any, ...], project: "ProjectFacts") -> Optional[Values]:
        asynchronous = session_kind(head) == "async"
        got: Optional[Values] = None
        if tail in ("query", "get"):
            model = info[0]
            if model:
                found = [v for v in project.resolve(frozenset((model,))) if isinstance(v, str) and v not in (UNKNOWN, NONE)]
                model = found[0] if len(found) == 1 and "(" not in found[0] else model
            if tail == "query":
                got = _one(orm_value("query", model))
            elif model:
                got = frozenset((model + "()",))
        else:
            stmt = [orm_data(v) for v in project.resolve(info[0]) if v not in (UNKNOWN, NONE)]
            if len(stmt) != 1 or stmt[0] is None or stmt[0][0] != "query":
                return None
            got = _statement_result(tail, stmt[0])
        if got is None:
            return None
        return frozenset((Awaitable(got),)) if asynchronous else got

    def _local_call(self, value: str, call: ast.Call, facts: Any, look: Any) -> Optional[Values]:
        head, _, tail = value.rpartition(".")
        if tail == "query" and _session_like(head):
            if not call.args or isinstance(call.args[0], ast.Starred):
                return None
            model = _model_argument(facts, call.args[0], look)
            if model is None:
                return None
            return _one(orm_value("query", model))
        if tail in _SELECTS and value.split(".", 1)[0] in _STATEMENT_MODULES:
            if not call.args or isinstance(call.args[0], ast.Starred):
                return None
            # ``select(Trace, *order_columns)``: its scalars are the first entity's rows
            model = _model_argument(facts, call.args[0], look)
            return _one(orm_value("query", model)) if model else None
        if tail in ("scalars", "execute", "scalar", "get") and head and _session_like(head, asynchronous=True) and call.args:
            asynchronous = session_kind(head) == "async"
            if tail == "get":
                model = _model_argument(facts, call.args[0], look) if len(call.args) >= 2 else None
                got = frozenset((model + "()",)) if model else None
            else:
                stmt = [orm_data(v) for v in facts._eval(call.args[0], look)]
                queries = {d for d in stmt if d is not None and d[0] == "query"}
                if len(queries) != 1 or len(stmt) != 1:
                    return None
                got = _statement_result(tail, next(iter(queries)))
            if got is None:
                return None
            return frozenset((Awaitable(got),)) if asynchronous else got
        return None

    def _local_method(self, receiver: Tuple[Any, ...], name: str, call: ast.Call, facts: Any, look: Any) -> Optional[Values]:
        kind, model, loads, related = receiver
        if kind == "qs" and name in _LOADERS:
            return _one(orm_value("qs", model, loads + _django_loader_paths(name, call), related))
        if kind == "query":
            if name == "options":
                extra = []
                for arg in call.args:
                    got = _loader_paths(arg)
                    extra.extend(got if got is not None else (ANY,))
                return _one(orm_value("query", model, loads + tuple(extra)))
        return self._apply_method(receiver, name)

    # -- values -----------------------------------------------------------------------
    def class_attribute(self, cls: "ClassFacts", name: str, instance: bool, project: "ProjectFacts") -> Optional[Values]:
        from fftlint.facts.project import found_module

        module = found_module(cls.qualname, project.modules) or cls.qualname.rpartition(".")[0]
        index = self._index_for(module, project)
        if index is None:
            return None
        model = index.models.get(cls.qualname)
        if model is None:
            if instance and name == "get_queryset":
                return self._manager_get_queryset(cls, project)
            return None
        if not index.orm_of(model):
            if instance and name == "model" and "model" not in cls.attributes:
                return _registered_model(cls, module, project)
            return None
        orm = index.orm_of(model)
        if not instance:
            if orm == "django" and name in set(index.managers(model)) | set(_catalog()["django"]["managers"]):
                manager = name
                if name == "_default_manager":  # ``Meta.default_manager_name``, else the first declared
                    declared = [m for m in index.managers(model) if m not in ("_default_manager", "_base_manager")]
                    manager = index.default_manager(model) or (declared[0] if declared else "objects")
                custom = manager in index.custom_managers(model)
                return _one(orm_value("qs", model.qualname, (ANY,) if custom else index.manager_loads(model, manager)))
            if orm == "sqlalchemy" and name == "query":
                return _one(orm_value("query", model.qualname))
            return None
        rel = index.relation(model, name)
        if rel is None and orm == "django" and name in _INSTANCE_WRITES:
            return _method(("row", model.qualname, (), ""), name)  # ``book.save()``: one row written
        if rel is None or not rel.target:
            return None
        if rel.many:
            if orm == "django":
                return _one(orm_value("qs", rel.target, (), f"{model.qualname}:{rel.name}"))
            return _one(orm_value("rows", rel.target, ()))
        return frozenset((rel.target + "()",))

    def _manager_get_queryset(self, cls: "ClassFacts", project: "ProjectFacts") -> Optional[Values]:
        """``self.get_queryset()`` inside a project manager or queryset class: a queryset
        of the model it is attached to (unknown here); one its own override may load
        anything into."""
        overridden = False
        for klass in project.mro(cls):
            if isinstance(klass, str):
                if klass in _DJANGO_QUERYSET_CLASSES:
                    return _method(("qs", "", (ANY,) if overridden else (), ""), "all")
                continue
            if "get_queryset" in klass.methods:
                overridden = True
        return None

    def _custom_method(self, model: str, name: str, project: Optional["ProjectFacts"]) -> Optional[Values]:
        """A method of the model's custom manager or queryset class (``Branch.objects.open()``):
        a queryset of the model when every value it returns is a queryset; its loads."""
        index = self.index
        found = index.models.get(model) if index is not None and project is not None else None
        if found is None:
            return None
        for qualname in index.queryset_classes(found):  # type: ignore[union-attr]
            cls = project.class_facts(qualname)  # type: ignore[union-attr]
            if cls is None:
                continue
            fn = project.method(cls, name)  # type: ignore[union-attr]
            if fn is None:
                continue
            returns = project.resolve(fn.declared if fn.declared is not None else project.details(fn).returns)  # type: ignore[union-attr]
            loads: list = []
            for value in returns:
                data = orm_data(value)
                if data is None or data[0] != "qs" or data[1] not in ("", model):
                    kept = _keeps_chain(project, fn)
                    return _one(orm_value("qs", model, kept)) if kept is not None else None
                loads.extend(data[2])
            return _one(orm_value("qs", model, tuple(loads))) if returns else None
        return None

    def attribute(self, value: Any, name: str, project: Optional["ProjectFacts"]) -> Optional[Values]:
        data = value.data
        if data[0] in ("qs", "query", "rows", "result"):
            return _method(data, name)
        if data[0] == "pending" and project is None:
            return _opaque("pattr", data, name)
        if data[0] == "pattr" and project is None:  # ``row.options.all``: one more step waits
            return _opaque("pattr", ("pending", ("attr", data), f"{data[1][2]}.{data[2]}"), name)
        return None

    def call(self, value: Any, project: "ProjectFacts") -> Optional[Values]:
        data = value.data
        if data[0] != "method":
            return None
        return self._apply_method(data[1], data[2], project)

    def _apply_method(self, receiver: Tuple[Any, ...], name: str, project: Optional["ProjectFacts"] = None) -> Optional[Values]:
        """A method of an ORM value called with arguments nobody read."""
        kind, model, loads, related = receiver
        instance = frozenset((model + "()",)) if model else None
        if kind == "qs":
            django = _catalog()["django"]
            if name == "get_queryset":
                return _one(orm_value("qs", model, loads, related))
            if name in _LOADERS:
                return _one(orm_value("qs", model, loads + (ANY,), related))
            if name in django["lazy"] and name not in _NOT_INSTANCES:
                if related and name not in django["prefetch_cached"] and not related.endswith(FILTERED):
                    related += FILTERED  # ``author.books.filter(...)``: a prefetch cache cannot serve it
                return _one(orm_value("qs", model, loads, related))
            if name in _DJANGO_ROWS or name in django["cached"]:
                return _awaited_row(name, instance)
            if model and not related and name not in django["query"] and name not in django["batch"]:
                found = self._custom_method(model, name, project)
                if found is not None:
                    return frozenset(orm_value("qs", model, v.data[2] + loads, related) for v in found)
            return None
        if kind == "query":
            sqla = _catalog()["sqlalchemy"]
            if name == "options":
                return _one(orm_value("query", model, loads + (ANY,)))
            if name in sqla["lazy"] and name not in ("with_entities", "add_columns"):
                return _one(orm_value("query", model, loads))
            if name == "all":
                return _one(orm_value("rows", model, loads))
            if name in ("first", "one", "one_or_none", "get"):
                return instance
            return None
        if kind == "result":
            if name == "scalars":
                return _one(orm_value("rows", model, loads))
            if name in ("scalar_one", "scalar_one_or_none", "scalar"):
                return instance
            return None
        if kind == "rows":
            if name in ("all", "unique"):
                return _one(orm_value("rows", model, loads))
            if name in ("first", "one", "one_or_none"):
                return instance
        return None

    def iterate(self, value: Any, project: Optional["ProjectFacts"]) -> Optional[Values]:
        data = orm_data(value)
        if data is not None and data[0] in ("qs", "query", "rows") and data[1]:
            return frozenset((data[1] + "()",))
        if data is not None and data[0] == "pending" and project is None:
            return frozenset((Opaque(NAME, ("pending", ("iter", data), data[2] + "[iter]")),))
        if data is not None and data[0] == "pattr" and project is None:  # ``for g in student.grades``
            pending = ("pending", ("attr", data), f"{data[1][2]}.{data[2]}")
            return frozenset((Opaque(NAME, ("pending", ("iter", pending), pending[2] + "[iter]")),))
        return None

    def refine(self, value: str, project: "ProjectFacts") -> Optional[Values]:
        """``self.filter(...)`` inside a project queryset or manager class: Django's
        QuerySet / Manager methods on a queryset of a model only the caller knows."""
        head, _, tail = value.rpartition(".")
        if head.endswith("()") and head[:-2] in _DJANGO_QUERYSET_CLASSES and tail:
            return _method(("qs", "", (), ""), tail)
        return None

    # -- effects ------------------------------------------------------------------------
    def match(self, callee: Value, call: "CallFacts", project: "ProjectFacts") -> Optional[Effect]:
        if isinstance(callee, Opaque):
            if callee.provider != NAME or callee.data[0] != "method":
                return None
            receiver, name = callee.data[1], callee.data[2]
            kind, model = receiver[0], receiver[1]
            short = _short(model)
            if kind == "qs":
                django = _catalog()["django"]
                if name in django["query"]:
                    served = _prefetch_served(receiver) if name in django["prefetch_cached"] else None
                    if served is not None:  # ``self.tags.count()``: a prefetch of ``tags`` serves it
                        return Effect(NAME, PREFETCHABLE, f"{served}.{name}", call.line, call.column)
                    return Effect(NAME, "write" if name in _WRITES else "query", f"{short}.objects.{name}", call.line, call.column)
                return None
            if kind == "query":
                if name in _catalog()["sqlalchemy"]["query"]:
                    return Effect(NAME, "write" if name in ("delete", "update") else "query", f"query({short}).{name}", call.line, call.column)
                return None
            if kind == "row" and name in _INSTANCE_WRITES:
                return Effect(NAME, "write", f"{short}.{name}", call.line, call.column)
            return None
        if not isinstance(callee, str) or callee in (UNKNOWN, NONE):
            return None
        if callee in DJANGO_SHORTCUTS:  # ``get_object_or_404(Model, pk=pk)`` runs ``.get()``
            return Effect(NAME, "query", callee.rpartition(".")[2], call.line, call.column)
        head, _, method = callee.rpartition(".")
        if not head:
            return None
        if method in (_SESSION_QUERIES if head.endswith("()") else _FLASK_SESSION_QUERIES) and _session_like(head):
            # ``Session()``; Flask-SQLAlchemy's ``db.session``: the methods that always run a
            # statement (its ``refresh`` / ``merge`` / ``flush`` calls were never followed)
            return Effect(NAME, "query", f"session.{method}", call.line, call.column)
        if method in _catalog()["dbapi"]["methods"] and _cursor_like(head):
            return Effect(NAME, "query", f"{DBAPI}{method}", call.line, call.column)
        if method in _catalog()["django"]["instance_queries"] and head.endswith("()") and "[" not in head:
            index = self.index
            model = index.models.get(head[:-2]) if index is not None else None
            if model is not None and index.orm_of(model) == "django":
                return Effect(NAME, "query", f"{model.name}.{method}", call.line, call.column)
        if method in _INSTANCE_WRITES and head.endswith("()") and "[" not in head:
            index = self.index
            model = index.models.get(head[:-2]) if index is not None else None
            if model is not None and index.orm_of(model) == "django":
                return Effect(NAME, "write", f"{model.name}.{method}", call.line, call.column)
        return None

    def match_iteration(self, iterable: Value, site: "CallFacts", project: "ProjectFacts") -> Optional[Effect]:
        data = orm_data(iterable)
        if data is not None and data[0] in ("qs", "query"):
            served = _prefetch_served(data) if data[0] == "qs" else None
            if served is not None:  # ``for t in self.tags.all()``: a prefetch of ``tags`` serves it
                return Effect(NAME, PREFETCHABLE, f"for ... in {served}", site.line, site.column)
            return Effect(NAME, "query", f"for ... in {_short(data[1])} query", site.line, site.column)
        return None

    def follows(self, call: "CallFacts", target: Any) -> bool:
        return CACHED not in target.marks


def member_query(project: Any, qualname: str, module: str) -> Optional[str]:
    """The call chain by which a model member runs a query that no ``select_related`` /
    ``prefetch_related`` serves (a filtered or aggregated read of a relation, another
    model's queryset), as FFT203 finds it; None when it runs none, is memoized, or the
    query is a plain read a prefetch serves."""
    target = project.functions.get(qualname) if hasattr(project, "functions") else None
    if target is None:
        found = [t for t in project.targets(frozenset((qualname,))) if t.qualname == qualname]
        target = found[0] if len(found) == 1 else None
    if target is None or CACHED in target.marks and PER_INSTANCE not in target.marks or target.is_async:
        return None  # memoized per argument (a ``cached_property`` is per row: each row runs it)
    chain = project.explain(target, NAME, module)
    if chain is None or chain.effect.kind == PREFETCHABLE or CACHED in target.marks and not memo_per_row_counts(chain.effect):
        return None
    return " -> ".join(chain.names)


def memo_per_row_counts(effect: Effect) -> bool:
    """Whether a ``cached_property`` read on each row reports the query it runs: a read no
    prefetch serves does (``self.comments.order_by(...).first()``); a read a prefetch serves
    (the code building the rows often prefetches it, or fills the property itself) and a
    write (an error path's log entry, as a parsing property's) do not."""
    return effect.kind == "query"


def _cache_aside(function: Any) -> bool:
    """A function that reads a cache and fills it (``x = cache.get(k)`` ... ``cache.set(k,
    x)``): the cache-aside idiom, whose queries run on a miss, once per key, not once per
    call; or one that memoizes on the object it gets (:func:`_memo_guard`). Its code
    (nested functions included) must spell the words, so only functions over a line that
    does are walked."""
    node = function.node
    lines = _word_lines(function.facts)
    if lines is not None:
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])
        last = getattr(node, "end_lineno", None) or 1 << 30
        at = bisect.bisect_left(lines, first)
        if at == len(lines) or lines[at] > last:
            return False
    reads = writes = False
    for sub in ast.walk(node):
        if isinstance(sub, ast.If) and _memo_guard(sub):
            return True
        if isinstance(sub, ast.Call):
            verb = _cache_verb(sub)
            if verb is not None:
                reads, writes = reads or verb, writes or not verb
                if reads and writes:
                    return True
    return False


def _global_memo(node: ast.AST) -> bool:
    """``global X`` / ``if X: return X`` (or ``if X is not None: return X``) at the top
    of the body / ``X = ...`` later, or ``global X`` / ``if X is None: X = ...`` (``if not
    X:``) first / ``return X`` last: the function fills a module global on its first call
    and returns it from then on, so its queries run once per process."""
    body = getattr(node, "body", None)
    if not isinstance(body, list):
        return False
    names = {n for stmt in body if isinstance(stmt, ast.Global) for n in stmt.names}
    if not names:
        return False
    guarded = None
    for stmt in body:
        filled = _fills_when_empty(stmt, names)
        if filled is not None:
            # ``if X is None: X = <query>`` first, ``return X`` last: the other form
            last = body[-1]
            again = any(isinstance(sub, ast.Assign) and any(isinstance(t, ast.Name) and t.id == filled for t in sub.targets)
                        for other in body if other is not stmt for sub in ast.walk(other))
            return not again and isinstance(last, ast.Return) and isinstance(last.value, ast.Name) and last.value.id == filled
        if isinstance(stmt, ast.If) and not stmt.orelse and len(stmt.body) == 1 and isinstance(stmt.body[0], ast.Return):
            test, value = stmt.test, stmt.body[0].value
            if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.IsNot) and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None:
                test = test.left
            if isinstance(test, ast.Name) and test.id in names and isinstance(value, ast.Name) and value.id == test.id:
                guarded = test.id
            break
        if not isinstance(stmt, (ast.Global, ast.Expr)):
            break  # the guard must come first (after ``global`` and a docstring)
    if guarded is None:
        return False
    return any(
        isinstance(sub, (ast.Assign, ast.AnnAssign)) and any(isinstance(t, ast.Name) and t.id == guarded for t in (sub.targets if isinstance(sub, ast.Assign) else [sub.target]))
        for stmt in body for sub in ast.walk(stmt)
    )


def _fills_when_empty(stmt: ast.stmt, names: Any) -> Optional[str]:
    """The global ``X`` of ``if X is None:`` / ``if not X:`` whose body assigns ``X``."""
    if not isinstance(stmt, ast.If) or stmt.orelse:
        return None
    test = stmt.test
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test = test.operand
    elif isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Is) and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None:
        test = test.left
    else:
        return None
    if not isinstance(test, ast.Name) or test.id not in names:
        return None
    assigned = any(isinstance(sub, ast.Assign) and any(isinstance(t, ast.Name) and t.id == test.id for t in sub.targets) for b in stmt.body for sub in ast.walk(b))
    return test.id if assigned else None


def _word_lines(facts: Any) -> Optional[List[int]]:
    """The lines (1-based, sorted) of the module that spell ``cache`` (any case) or
    ``hasattr``; None without the module's text. Computed once per binding map."""
    found = facts.__dict__.get("_fft2_word_lines")
    if found is None:
        text = getattr(facts, "text", None)
        if text is None:
            return None
        lowered = text.lower()
        if "cache" not in lowered and "hasattr" not in lowered:
            found = []
        else:
            found = [i for i, line in enumerate(lowered.split("\n"), 1) if "cache" in line or "hasattr" in line]
        facts.__dict__["_fft2_word_lines"] = found
    return found  # type: ignore[no-any-return]


def _parameter_guards(function: Any) -> Dict[int, FrozenSet[str]]:
    """Calls of the function under ``if <param>:`` / ``if not <param>:`` (the body of the
    ``if``; its ``else`` the other way), by ``id`` of the call node. One walk per function."""
    found = function.memo.get("fft2-guards")
    if found is not None:
        return found  # type: ignore[no-any-return]
    node = function.node
    args = node.args
    positional = [a.arg for a in (*args.posonlyargs, *args.args)]
    if positional and function.scope.self_param == positional[0]:
        positional = positional[1:]  # ``self`` / ``cls``: not passed by the caller
    defaults: Dict[str, str] = {}
    for arg, default in zip([a.arg for a in (*args.posonlyargs, *args.args)][-len(args.defaults):] if args.defaults else [], args.defaults):
        if isinstance(default, ast.Constant):
            defaults[arg] = repr(default.value)
    for arg, default in zip(args.kwonlyargs, args.kw_defaults):
        if isinstance(default, ast.Constant):
            defaults[arg.arg] = repr(default.value)
    params = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
    out: Dict[int, FrozenSet[str]] = {}

    def test_of(test: ast.AST) -> Optional[Tuple[str, str]]:
        if isinstance(test, ast.Name) and test.id in params:
            return _guard_name(test.id, positional, defaults), "truthy"
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and isinstance(test.operand, ast.Name) and test.operand.id in params:
            return _guard_name(test.operand.id, positional, defaults), "falsy"
        return None

    def walk(body: Sequence[ast.AST], guards: FrozenSet[str]) -> None:
        for stmt in body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                continue
            if isinstance(stmt, ast.If):
                got = test_of(stmt.test)
                inner = guards | {f"guard:{got[0]}:{got[1]}"} if got else guards
                other = guards | {f"guard:{got[0]}:{'truthy' if got[1] == 'falsy' else 'falsy'}"} if got else guards
                for sub in ast.walk(stmt.test):
                    if isinstance(sub, ast.Call) and guards:
                        out[id(sub)] = guards
                walk(stmt.body, inner)
                walk(stmt.orelse, other)
                continue
            if guards:
                for sub in ast.walk(stmt):
                    if isinstance(sub, ast.Call):
                        out[id(sub)] = guards
            for field in ("body", "orelse", "handlers", "finalbody"):
                inner_body = getattr(stmt, field, None)
                if isinstance(inner_body, list) and not guards:
                    walk(inner_body, guards)

    if params:
        walk(node.body, frozenset())
    function.memo["fft2-guards"] = out
    return out


#: SQL that names a table right before an interpolation (``FROM {table}``, ``INTO "{t}"``):
#: FFT201's in-place check reads f-strings with it, the notes below the ``ast`` ones
TABLE_BEFORE = re.compile(r'(?:\bFROM|\bINTO|\bUPDATE|\bJOIN|\bTABLE(?:\s+IF\s+(?:NOT\s+)?EXISTS)?)\s+(?:\w+\.)?["`\[]?$', re.IGNORECASE)


def _table_parameters(site: "CallSite") -> FrozenSet[str]:
    """``table:<param>@<position>`` for each parameter of the function that the call's
    SQL puts in a table's place: ``session.execute(text(f"SELECT * FROM {target_table}"))``,
    ``cursor.execute(f"DELETE FROM {table} ...")``. A caller passing a different table on
    each pass runs one statement per table, which no single statement can replace."""
    node = site.node
    if not node.args or not isinstance(node.func, ast.Attribute):
        return frozenset()
    sql = node.args[0]
    if isinstance(sql, ast.Call) and sql.args and (isinstance(sql.func, ast.Name) and sql.func.id == "text" or isinstance(sql.func, ast.Attribute) and sql.func.attr == "text"):
        sql = sql.args[0]
    if not isinstance(sql, ast.JoinedStr):
        return frozenset()
    args = site.function.node.args
    positional = [a.arg for a in (*args.posonlyargs, *args.args)]
    if positional and site.function.scope.self_param == positional[0]:
        positional = positional[1:]
    params = set(positional) | {a.arg for a in args.kwonlyargs}
    out = set()
    before = ""
    for part in sql.values:
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            before = part.value
            continue
        if isinstance(part, ast.FormattedValue) and isinstance(part.value, ast.Name) and part.value.id in params and TABLE_BEFORE.search(before):
            name = part.value.id
            out.add(f"table:{name}@{positional.index(name) if name in positional else -1}")
        before = ""
    return frozenset(out)


def _guard_name(param: str, positional: Sequence[str], defaults: Dict[str, str]) -> str:
    """``name@position=default`` (position -1: keyword-only; default "" when none)."""
    position = positional.index(param) if param in positional else -1
    return f"{param}@{position}={defaults.get(param, '')}"


def guard_blocks(notes: FrozenSet[str], literal: Any, positional_count: int = -1) -> bool:
    """Whether a call with ``literal`` keyword arguments (``{"shallow": "True"}``) and
    ``positional_count`` positional ones (-1: unknown) never reaches a call of the callee
    that has ``notes`` (its guards on the callee's parameters; a parameter the call does
    not pass has its literal default)."""
    for note in notes:
        if not note.startswith("guard:"):
            continue
        _, spec, need = note.split(":", 2)
        param, _, rest = spec.partition("@")
        position_text, _, default = rest.partition("=")
        value = literal.get(param)
        if value is None and default and positional_count >= 0:
            position = int(position_text) if position_text.lstrip("-").isdigit() else -1
            if position == -1 or position >= positional_count:
                value = default  # not passed: its default
        if value is None:
            continue
        truthy = value not in ("False", "None", "0", "''", '""', "()", "[]", "{}")
        if value in ("True", "False", "None", "0", "1") or value.startswith(("'", '"')):
            if (need == "falsy") == truthy:
                return True
    return False


def _memo_guard(node: ast.If) -> bool:
    """``if not hasattr(request, "_cart_cache"): request._cart_cache = ...``: the work
    runs on the first call for that object only."""
    test = node.test
    if not (isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)):
        return False
    test = test.operand
    if not (isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id == "hasattr" and len(test.args) == 2):
        return False
    owner, attr = test.args
    if not (isinstance(owner, ast.Name) and isinstance(attr, ast.Constant) and isinstance(attr.value, str)):
        return False
    return any(
        isinstance(sub, ast.Assign)
        and any(isinstance(t, ast.Attribute) and t.attr == attr.value and isinstance(t.value, ast.Name) and t.value.id == owner.id for t in sub.targets)
        for sub in ast.walk(node)
    )


def _cache_verb(node: ast.Call) -> Optional[bool]:
    """True for a read of a cache (``cache.get(k)``), False for a write (``cache.set``),
    None for any other call: a receiver whose name says cache, a cache method."""
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr in _CACHE_VERBS):
        return None
    receiver = func.value
    name = receiver.attr if isinstance(receiver, ast.Attribute) else receiver.id if isinstance(receiver, ast.Name) else ""
    if "cache" not in name.lower():
        return None
    return func.attr in ("get", "get_many")


_CACHE_VERBS = frozenset(("get", "get_many", "set", "set_many", "add", "get_or_set"))


DBAPI = "cursor."  # the display of DB-API effects starts with it


def is_dbapi(effect: Effect) -> bool:
    """A DB-API ``cursor.execute`` (not an ORM call): a blocking driver call to FFT1."""
    return effect.display.startswith(DBAPI)


PREFETCHABLE = "query-prefetchable"  # an effect kind: a related manager read a prefetch serves


def _prefetch_served(receiver: Tuple[Any, ...]) -> Optional[str]:
    """``Owner.attr`` when ``receiver`` is a plain related manager (``all()`` only) of a
    model instance, which ``prefetch_related("attr")`` on the owner's query serves."""
    related = receiver[3] if len(receiver) > 3 else ""
    if not related or related.endswith(FILTERED):
        return None
    owner, _, attr = related.partition(":")
    return f"{_short(owner)}.{attr}"


#: ``self.<name>(...)`` of a queryset that gives a queryset of the same rows (Django's private
#: clone steps; the lazy methods come from the catalog)
_CLONES = frozenset(("_clone", "_chain", "all"))


def _keeps_chain(project: Any, fn: Any) -> Optional[Tuple[str, ...]]:
    """A method of a queryset class (or of a mixin the class inherits) whose every
    ``return`` gives ``self``, a chain of queryset methods on ``self`` or a name bound only
    to one (``clone = self._clone(); clone.flag = ...; return clone``): the same queryset,
    so the rows a caller iterates. The relations it loads: ``(ANY,)`` when the chain
    eager-loads, else none. None when any return gives anything else (unknown)."""
    from fftlint.facts.project import found_module

    from ._serializers import _class_node

    owner, _, name = fn.qualname.rpartition(".")
    module = found_module(owner, project.modules)
    facts = project.module_facts(module) if module else None
    node = _class_node(facts, owner) if facts is not None else None
    method = next((s for s in node.body if isinstance(s, ast.FunctionDef) and s.name == name), None) if node is not None else None
    if method is None or not method.args.args or method.decorator_list:
        return None
    me = method.args.args[0].arg
    lazy = set(_catalog()["django"]["lazy"]) | _CLONES | _LOADERS
    bound: Dict[str, List[ast.AST]] = {}
    returns: List[Optional[ast.AST]] = []
    for sub in own_nodes(method):
        if isinstance(sub, (ast.Yield, ast.YieldFrom, ast.Await)):
            return None
        if isinstance(sub, ast.Return):
            returns.append(sub.value)
        elif isinstance(sub, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.For, ast.With, ast.NamedExpr)):
            targets = sub.targets if isinstance(sub, ast.Assign) else [getattr(sub, "target", None)] if not isinstance(sub, ast.With) else [i.optional_vars for i in sub.items]
            for target in targets:
                for leaf in _bound_names(target):
                    value = sub.value if isinstance(sub, (ast.Assign, ast.AnnAssign)) and target is leaf else None
                    bound.setdefault(leaf.id, []).append(value)  # type: ignore[arg-type]
    if me in bound or not returns:
        return None
    loads = [False]

    def chain(expr: Optional[ast.AST], depth: int = 0) -> bool:
        if depth > 8 or expr is None:
            return False
        if isinstance(expr, ast.Name):
            if expr.id == me:
                return True
            values = bound.get(expr.id)
            return bool(values) and all(chain(v, depth + 1) for v in values)  # type: ignore[arg-type]
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr in lazy:
            loads[0] = loads[0] or expr.func.attr in _LOADERS
            return chain(expr.func.value, depth + 1)
        return False

    if not all(chain(r) for r in returns):
        return None
    return (ANY,) if loads[0] else ()


def _registered_model(cls: Any, module: str, project: Any) -> Optional[Values]:
    """``self.model`` of a Django ``ModelAdmin`` registered with ``@admin.register(Page)``
    (one model): that model class. Any other class, or several models, is unknown."""
    if not any(isinstance(k, str) and k.rpartition(".")[2] == "ModelAdmin" and k.startswith("django.") for k in project.mro(cls)):
        return None
    from ._serializers import _class_node

    facts = project.module_facts(module)
    node = _class_node(facts, cls.qualname) if facts is not None else None
    if node is None:
        return None
    for deco in node.decorator_list:
        if not isinstance(deco, ast.Call) or len(deco.args) != 1 or not isinstance(deco.args[0], ast.Name):
            continue
        func = deco.func
        named = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if named != "register":
            continue
        found = [v for v in project.resolve(frozenset((f"{module}.{deco.args[0].id}",))) if isinstance(v, str) and v not in (UNKNOWN, NONE)]
        index = project.provider(NAME).index if project.provider(NAME) is not None else None
        if len(found) == 1 and index is not None and found[0] in index.models:
            return frozenset(found)
    return None


def _bound_names(target: Optional[ast.AST]) -> List[ast.Name]:
    """The names an assignment target rebinds (``clone.flag = 1`` rebinds none)."""
    if isinstance(target, ast.Name):
        return [target]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for elt in target.elts for n in _bound_names(elt)]
    if isinstance(target, ast.Starred):
        return _bound_names(target.value)
    return []


def _model_loader(value: str, call: ast.Call) -> Optional[Values]:
    """``get_model("shop", "Book")`` / ``apps.get_model("shop.Book")`` with constant
    strings: a model the project index finds by app label and name (it waits for the
    project). A ``get_model`` called any other way is not a loader this knows."""
    if value.rpartition(".")[2] != "get_model" or "(" in value or "[" in value or call.keywords:
        return None
    args = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None for a in call.args]
    if None in args:
        return None
    if len(args) == 1 and args[0].count(".") == 1:  # type: ignore[union-attr]
        args = args[0].split(".")  # type: ignore[union-attr]
    if len(args) != 2 or not all(args):
        return None
    label, name = args
    return frozenset((Opaque(NAME, ("pending", ("model", label, name), value + "()")),))


def _awaited_row(name: str, instance: Optional[Values]) -> Optional[Values]:
    """``aget`` / ``afirst`` / ``alast`` / ``acreate`` return a coroutine: ``await`` gives the
    instance (the coroutine itself is none)."""
    if instance is None or name not in _DJANGO_ASYNC_ROWS:
        return instance
    return frozenset((Awaitable(instance),))


def _shortcut_instance(value: str, call: ast.Call, facts: Any, look: Any) -> Optional[Values]:
    """Django's ``get_object_or_404(Model, ...)`` / ``get_object_or_404(queryset, ...)``:
    one instance of the model, what ``queryset.get(...)`` gives (a chain the project
    resolves later gets ``.get()`` appended)."""
    if value != "django.shortcuts.get_object_or_404" or not call.args or isinstance(call.args[0], ast.Starred):
        return None
    out = set()
    for got in facts._eval(call.args[0], look):
        data = orm_data(got)
        if data is not None and data[0] == "qs" and data[1]:
            out.add(data[1] + "()")
        elif isinstance(got, str) and got not in (UNKNOWN, NONE) and "[" not in got and got.endswith(")"):
            out.add(got + ".get()")  # ``Meeting.objects.filter()``: resolved by the project
        elif isinstance(got, str) and "(" not in got and "[" not in got and got.rsplit(".", 1)[-1][:1].isupper():
            out.add(got + "()")
        else:
            return None
    return frozenset(out) or None


def _short(model: str) -> str:
    return model.rsplit(".", 1)[-1] if model else "..."


def _statement_result(tail: str, query: Tuple[Any, ...]) -> Optional[Values]:
    """What ``session.<tail>(stmt)`` gives for a statement that is ``query``: a row of its
    model (``scalar``), its rows (``scalars``) or a result (``execute``)."""
    _kind, model, loads, _rel = query
    if tail == "scalar":
        return frozenset((model + "()",)) if model else None
    return _one(orm_value("rows" if tail == "scalars" else "result", model, loads))


def _model_argument(facts: Any, node: ast.AST, look: Any) -> Optional[str]:
    """The model a ``query(M)`` / ``select(M)`` argument names: a class (capitalised, not
    an instance, not a column ``M.name``); "" when it cannot be told (``self.model`` of a
    generic repository); None when it is something else."""
    models = [v for v in facts._eval(node, look) if v not in (UNKNOWN, NONE)]
    if len(models) == 1 and isinstance(models[0], str) and "(" not in models[0] and "[" not in models[0]:
        if models[0].rsplit(".", 1)[-1][:1].isupper():
            return models[0]
        return None
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls") and node.attr in ("model", "model_class", "_model"):
        return ""  # a generic repository's model
    return None


_HOLDERS = (ast.Name, ast.Attribute, ast.Call)  # arguments that may hold a query (not literals)


def _through_call(value: str, call: ast.Call, facts: Any, look: Any) -> Optional[Values]:
    """``helper(qs, ...)`` of a project function with a query held in a name among its
    arguments: whether the helper hands it back (:mod:`._through`) only the project can
    tell, so the value waits with those arguments' values."""
    if "." not in value or value.startswith(("builtins.", "dict", "os.", "str(")):
        return None
    args = []
    for position, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred):
            return None
        if isinstance(arg, _HOLDERS):
            args.append((position, "", arg))
    args.extend((-1, k.arg, k.value) for k in call.keywords if k.arg and isinstance(k.value, _HOLDERS))
    found = []
    for position, keyword, node in args:
        values = facts._eval(node, look)
        if any(_query_like(v) for v in values):
            found.append((position, keyword, values))
    if not found:
        return None
    return frozenset((Opaque(NAME, ("pending", ("through", value, tuple(found)), value + "()")),))


def _query_like(value: Any) -> bool:
    data = orm_data(value)
    return data is not None and (data[0] in ("qs", "query") or data[0] == "pending")


def _django_loader_paths(name: str, call: ast.Call) -> Tuple[str, ...]:
    """What ``select_related(...)`` / ``prefetch_related(...)`` with these arguments loads:
    its string paths; ``select_related()`` without any, :data:`BARE` (Django follows the
    non-null foreign keys); anything else (a ``Prefetch``, a name, ``None``) may load
    anything."""
    if call.keywords:
        return (ANY,)
    if not call.args:
        return (BARE,) if name == "select_related" else (ANY,)
    if all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in call.args):
        return tuple(a.value for a in call.args)  # type: ignore[attr-defined]
    return (ANY,)


def _loader_paths(node: ast.AST) -> Optional[Tuple[str, ...]]:
    """``selectinload(User.addresses).joinedload(Address.city)`` -> ("addresses",
    "addresses__city"): each chained loader loads one more hop of the path."""
    loaders = set(_catalog()["sqlalchemy"]["loaders"])
    calls = []
    cur = node
    while isinstance(cur, ast.Call) and isinstance(cur.func, ast.Attribute) and isinstance(cur.func.value, ast.Call):
        calls.append(cur)
        cur = cur.func.value
    if not isinstance(cur, ast.Call):
        return None
    func = cur.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if name not in loaders:
        return None
    hops: List[str] = []
    for call in [cur, *reversed(calls)]:
        if call is not cur and call.func.attr not in loaders:  # type: ignore[attr-defined]
            continue  # ``.load_only(...)``: columns, no hop
        for arg in call.args:
            if isinstance(arg, ast.Attribute):
                hops.append(arg.attr)
            elif isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                hops.append(arg.value)
            else:
                return None
    return tuple("__".join(hops[: i + 1]) for i in range(len(hops)))


_SYNC_SESSIONS = frozenset((
    "sqlalchemy.orm.Session", "sqlalchemy.orm.session.Session", "sqlalchemy.orm.scoped_session",
    "sqlalchemy.orm.scoping.scoped_session", "sqlalchemy.orm.sessionmaker()", "sqlalchemy.orm.session.sessionmaker()",
    "sqlalchemy.Connection", "sqlalchemy.engine.Connection", "sqlalchemy.engine.base.Connection",
    "sqlalchemy.Engine", "sqlalchemy.engine.Engine", "sqlalchemy.engine.base.Engine",
    "sqlalchemy.create_engine", "sqlalchemy.engine.create_engine", "sqlmodel.create_engine",
    "sqlmodel.Session", "sqlmodel.orm.session.Session",
))
_ASYNC_SESSIONS = frozenset((
    "sqlalchemy.ext.asyncio.AsyncSession", "sqlalchemy.ext.asyncio.session.AsyncSession",
    "sqlalchemy.ext.asyncio.async_sessionmaker()", "sqlalchemy.ext.asyncio.session.async_sessionmaker()",
    "sqlalchemy.ext.asyncio.async_scoped_session", "sqlalchemy.ext.asyncio.AsyncConnection",
    "sqlalchemy.ext.asyncio.AsyncEngine", "sqlalchemy.ext.asyncio.create_async_engine",
    "sqlmodel.ext.asyncio.session.AsyncSession",
))
_FLASK_SESSION = "flask_sqlalchemy.SQLAlchemy().session"


def session_kind(value: str) -> Optional[str]:
    """"sync" / "async" when ``value`` (a resolved receiver) is a SQLAlchemy session,
    connection or engine -- ``Session()``, ``sessionmaker(...)()``, ``scoped_session(...)``,
    ``create_engine(...)`` and its ``connect()`` / ``begin()``, Flask-SQLAlchemy's
    ``db.session``, their ``asyncio`` forms --, else None (any other SQLAlchemy object,
    such as a ``URL``, is not one)."""
    v = value
    while v.endswith((".connect()", ".begin()", "[enter]", "[aenter]")):
        v = v[: v.rindex("[")] if v.endswith("]") else v[: v.rindex(".")]
    if v == _FLASK_SESSION or v == _FLASK_SESSION + "()":
        return "sync"
    if not v.endswith("()"):
        return None
    base = v[:-2]
    if base in _SYNC_SESSIONS:
        return "sync"
    if base in _ASYNC_SESSIONS:
        return "async"
    return None


def _session_like(value: str, asynchronous: bool = False) -> bool:
    """A SQLAlchemy session (or engine/connection) by what it resolved to."""
    kind = session_kind(value)
    return kind == "sync" or asynchronous and kind == "async"


def _cursor_like(value: str) -> bool:
    for connect in _catalog()["dbapi"]["connect"]:
        if value == f"{connect}().cursor()" or value == f"{connect}()":
            return True
    return False


@lru_cache(maxsize=1)
def database_words() -> Tuple[str, ...]:
    """Text some project file must contain for any call to be a query (:meth:`match`):
    the ORMs' package names (a model, a session) and the DB-API drivers' modules (a
    connection's cursor). A project none of whose files contains one runs no query."""
    words = {"django", "flask_sqlalchemy", *_STATEMENT_MODULES}
    words.update(name.split(".", 1)[0] for name in _catalog()["dbapi"]["connect"])
    return tuple(sorted(words))


def uses_no_database(project: Any) -> bool:
    """The project's model index looked for :func:`database_words` in every file and
    found none (False when it did not look: a file linted on its own)."""
    index = project_models(project)
    return index is not None and index.words_seen is not None and not index.words_seen


def project_models(project: Any) -> Optional[ModelIndex]:
    """The project's model index (None without a project or models)."""
    if project is None:
        return None
    facts_of = getattr(project, "facts_of", None)
    found = facts_of(NAME) if callable(facts_of) else None
    return found if isinstance(found, ModelIndex) else None
