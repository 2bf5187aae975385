"""The FFT2xx fact provider: the project's ORM models, what ORM values are, which calls query.

Project-wide facts: the model index (:func:`fftlint.analysis.orm.build_model_index`: every
Django and SQLAlchemy model with its relations, forward and reverse), built once per run
with ``ast`` and cached by content hash.

Values (:class:`fftlint.facts.values.Opaque` with provider ``"orm"``) -- so a queryset held
in a name, returned by a helper or stored on ``self`` is still a queryset of its model:

* ``("qs", model)``: a Django manager or queryset (``Book.objects``, ``.filter(...)``,
  custom managers a model declares, a related manager ``author.books``); iterating it
  gives ``model()`` instances;
* ``("query", model)``: a SQLAlchemy query (``session.query(Book)``, Flask-SQLAlchemy's
  ``Book.query``) or select (``select(Book)``), ``model`` possibly symbolic;
* ``("rows", model)``: a SQLAlchemy result (``session.scalars(select(Book))``);
* ``("method", kind, model, name)``: a method of one of those, before it is called.

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
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Dict, FrozenSet, Optional, Sequence, Tuple

from fftlint.analysis.orm import ModelIndex, build_model_index
from fftlint.facts.provider import Effect, Provider
from fftlint.facts.values import NONE, UNKNOWN, Opaque, Seq, Value, Values

if TYPE_CHECKING:  # pragma: no cover
    from fftlint.facts.project import ProjectFacts
    from fftlint.facts.summary import CallFacts, ClassFacts, FunctionView

NAME = "orm"
CACHED = "cached"  # a function memoized by a decorator: its queries run once per argument

_WRITES = frozenset(("create", "get_or_create", "update_or_create", "update", "delete", "acreate", "aget_or_create",
                     "aupdate_or_create", "aupdate", "adelete"))
_INSTANCE_WRITES = frozenset(("save", "asave", "delete", "adelete", "refresh_from_db", "arefresh_from_db"))
_SESSION_QUERIES = frozenset(("execute", "scalars", "scalar", "get", "refresh", "merge"))
_SESSION_MARKS = ("sqlalchemy.", "sqlmodel.", "flask_sqlalchemy.")
_CACHE_DECORATORS = frozenset(("functools.lru_cache", "functools.cache", "functools.cached_property", "lru_cache", "cache",
                               "cached_property", "django.utils.functional.cached_property", "cachetools.cached"))


@lru_cache(maxsize=1)
def _catalog() -> Dict[str, Any]:
    from ._querysets import catalog

    return catalog()


def _opaque(*data: Any) -> Values:
    return frozenset((Opaque(NAME, tuple(data)),))


class OrmProvider(Provider):
    name = NAME

    def project_facts(self, files: Sequence[str], cache: Any = None) -> Optional[ModelIndex]:
        return build_model_index(files, cache=cache, words=database_words())

    def digest(self) -> str:
        facts = getattr(self, "facts", None)
        return facts.digest() if isinstance(facts, ModelIndex) else ""

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
            tree_facts = project._module_facts(module)
            if tree_facts is not None:
                from fftlint.analysis.orm import summarize_models

                summary = summarize_models("", module, tree_facts.is_package, tree=tree_facts.tree)
                if summary["models"]:
                    local = self.__dict__["_local"] = (local.with_summary(summary) if local is not None else ModelIndex([summary]))
        return local

    # -- summary time ---------------------------------------------------------------
    def marks(self, function: "FunctionView") -> FrozenSet[str]:
        for values in function.decorator_values():
            for value in values:
                if isinstance(value, str) and (value in _CACHE_DECORATORS or value.rsplit(".", 1)[-1] in ("lru_cache", "cache", "cached_property", "memoize")):
                    return frozenset((CACHED,))
        return frozenset()

    def call_value(self, facts: Any, call: ast.Call, callee: Values, look: Any) -> Optional[Values]:
        """``session.query(Model)`` and ``select(Model)`` keep the model they are about."""
        if not call.args or isinstance(call.args[0], ast.Starred):
            return None
        for value in callee:
            if not isinstance(value, str):
                continue
            tail = value.rsplit(".", 1)[-1]
            if tail == "query" and _session_like(value) or tail == "select" and value.split(".", 1)[0] in ("sqlalchemy", "sqlmodel"):
                models = [v for v in facts._eval(call.args[0], look) if isinstance(v, str) and v not in (UNKNOWN, NONE) and "(" not in v]
                if len(models) == 1:
                    return _opaque("query", models[0])
        return None

    # -- values -----------------------------------------------------------------------
    def class_attribute(self, cls: "ClassFacts", name: str, instance: bool, project: "ProjectFacts") -> Optional[Values]:
        from fftlint.facts.project import found_module

        module = found_module(cls.qualname, project.modules) or cls.qualname.rpartition(".")[0]
        index = self._index_for(module, project)
        if index is None:
            return None
        model = index.models.get(cls.qualname)
        if model is None or not index.orm_of(model):
            return None
        orm = index.orm_of(model)
        if not instance:
            if orm == "django" and name in set(index.managers(model)) | set(_catalog()["django"]["managers"]):
                return _opaque("qs", model.qualname)
            if orm == "sqlalchemy" and name == "query":
                return _opaque("query", model.qualname)
            return None
        rel = index.relation(model, name)
        if rel is None and orm == "django" and name in _INSTANCE_WRITES:
            return _opaque("method", "row", model.qualname, name)  # ``book.save()``: one row written
        if rel is None or not rel.target:
            return None
        if rel.many:
            return _opaque("qs", rel.target) if orm == "django" else frozenset((Seq(frozenset((rel.target + "()",))),))
        return frozenset((rel.target + "()",))

    def attribute(self, value: Any, name: str, project: "ProjectFacts") -> Optional[Values]:
        kind = value.data[0]
        if kind in ("qs", "query", "rows"):
            return _opaque("method", kind, value.data[1], name)
        return None

    def call(self, value: Any, project: "ProjectFacts") -> Optional[Values]:
        data = value.data
        if data[0] != "method":
            return None
        _, kind, model, name = data
        if kind == "qs":
            django = _catalog()["django"]
            if name in django["lazy"] and name not in ("values", "values_list", "dates", "datetimes"):
                return _opaque("qs", model)
            if name in ("get", "first", "last", "earliest", "latest", "create", "aget", "afirst", "alast", "acreate"):
                return frozenset((model + "()",))
            return None
        if kind == "query":
            sqla = _catalog()["sqlalchemy"]
            if name in sqla["lazy"] and name not in ("with_entities", "add_columns"):
                return _opaque("query", model)
            if name == "all":
                return frozenset((Seq(frozenset((model + "()",))),))
            if name in ("first", "one", "one_or_none", "get"):
                return frozenset((model + "()",))
            return None
        if kind == "rows" and name == "all":
            return frozenset((Seq(frozenset((model + "()",))),))
        if kind == "rows" and name in ("first", "one", "one_or_none"):
            return frozenset((model + "()",))
        return None

    def iterate(self, value: Any, project: "ProjectFacts") -> Optional[Values]:
        if isinstance(value, Opaque):
            if value.data[0] in ("qs", "query", "rows"):
                return frozenset((value.data[1] + "()",))
            return None
        if isinstance(value, str):  # session.scalars(select(Book)) iterates Book rows
            return None
        return None

    def refine(self, value: str, project: "ProjectFacts") -> Optional[Values]:
        return None

    # -- effects ------------------------------------------------------------------------
    def match(self, callee: Value, call: "CallFacts", project: "ProjectFacts") -> Optional[Effect]:
        if isinstance(callee, Opaque):
            if callee.provider != NAME or callee.data[0] != "method":
                return None
            _, kind, model, name = callee.data
            short = _short(model)
            if kind == "qs":
                django = _catalog()["django"]
                if name in django["query"]:
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
        head, _, method = callee.rpartition(".")
        if not head:
            return None
        if method in _SESSION_QUERIES and head.endswith("()") and _session_like(head):
            return Effect(NAME, "query", f"session.{method}", call.line, call.column)
        if method in _catalog()["dbapi"]["methods"] and _cursor_like(head):
            return Effect(NAME, "query", f"cursor.{method}", call.line, call.column)
        if method in _INSTANCE_WRITES and head.endswith("()") and "[" not in head:
            index = self.index
            model = index.models.get(head[:-2]) if index is not None else None
            if model is not None and index.orm_of(model) == "django":
                return Effect(NAME, "write", f"{model.name}.{method}", call.line, call.column)
        return None

    def match_iteration(self, iterable: Value, site: "CallFacts", project: "ProjectFacts") -> Optional[Effect]:
        if isinstance(iterable, Opaque) and iterable.provider == NAME and iterable.data[0] in ("qs", "query"):
            return Effect(NAME, "query", f"for ... in {_short(iterable.data[1])} query", site.line, site.column)
        return None

    def follows(self, call: "CallFacts", target: Any) -> bool:
        return CACHED not in target.marks


def _short(model: str) -> str:
    return model.rsplit(".", 1)[-1]


def _session_like(value: str) -> bool:
    """A SQLAlchemy session (or engine/connection) by what it resolved to."""
    return value.startswith(_SESSION_MARKS) and not value.startswith(("sqlalchemy.ext.asyncio.", "sqlalchemy.ext.asyncio"))


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
    words = {"django", *(mark.rstrip(".") for mark in _SESSION_MARKS)}
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


def _unused(*_: Any) -> Tuple[()]:  # pragma: no cover - keeps type checkers quiet on hooks
    return ()
