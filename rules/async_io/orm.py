"""Which values are synchronous ORM work (FFT108 and the FFT1 pre-filter read the same).

Values come from the facts layer, with the ORM provider's own values
(:mod:`rules.n_plus_one.provider`: querysets, SQLAlchemy queries, model instances'
``save``). A SQLAlchemy receiver is synchronous when it resolves into ``sqlalchemy`` /
``sqlmodel`` / ``flask_sqlalchemy`` outside their ``ext.asyncio`` packages; a union that
may be an ``AsyncSession`` (or is unknown) is not.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional, Sequence

from fftlint.facts.values import NONE, UNKNOWN, Opaque, Values

ORM = "orm"  # the ORM provider's name, and the FFT1 pre-filter's kind for FFT108

#: methods of a sync Session / Connection / Engine that talk to the database
SESSION_IO = frozenset((
    "execute", "scalars", "scalar", "get", "commit", "flush", "refresh", "merge", "rollback", "connect", "begin",
    "exec_driver_sql", "get_one", "bulk_save_objects", "bulk_insert_mappings", "bulk_update_mappings", "exec",
))
_INSPECT = frozenset(("sqlalchemy.inspect", "sqlalchemy.inspection.inspect"))
_EVALUATORS = frozenset(("list", "len", "bool", "tuple", "set", "sorted", "sum", "any", "all", "max", "min"))
HINT_SQLA = "use an `AsyncSession` (`await session.execute(...)`) or run it in a worker thread (`await run_in_threadpool(...)`)"
HINT_DJANGO = "use Django's async API (`aget`, `afirst`, `acount`, `aexists`, `acreate`, `asave`, `async for`) or `await sync_to_async(...)()`"
_QUERY_RUNNERS = frozenset(("all", "first", "one", "one_or_none", "scalar", "count", "get", "delete", "update", "exists"))


def _orm(value: Any) -> Optional[tuple]:
    if isinstance(value, Opaque) and value.provider == ORM:
        return value.data  # type: ignore[no-any-return]
    return None


def _known(values: Iterable[Any]) -> list:
    return [v for v in values if v != UNKNOWN and v != NONE]


def _sync_receiver(head: str) -> bool:
    from ..n_plus_one.provider import session_kind

    return session_kind(head) == "sync"


def sqlalchemy_sync_io(callee: Values, first_arg: Optional[Sequence[Values]]) -> Optional[str]:
    """A hint when calling something that may be ``callee`` is sync SQLAlchemy I/O (every
    known value is). ``first_arg``: the values of the first argument, None when unknown
    (the pre-filter then answers for a superset)."""
    known = _known(callee)
    if not known:
        return None
    for value in known:
        data = _orm(value)
        if data is not None:
            # ``session.query(M).all()``: only a sync Session has ``query``
            if data[0] != "method" or data[1][0] != "query" or data[2] not in _QUERY_RUNNERS:
                return None
            continue
        if not isinstance(value, str):
            return None
        if value in _INSPECT:
            if first_arg is None:
                continue
            args = [v for group in first_arg for v in _known(group)]
            if not args or not all(isinstance(a, str) and _sync_receiver(a) for a in args):
                return None
            continue
        head, _, method = value.rpartition(".")
        if method not in SESSION_IO or not _sync_receiver(head):
            return None
    return HINT_SQLA


def django_runs(callee: Values, first_arg: Optional[Sequence[Values]]) -> Optional[str]:
    """A hint when the call evaluates a Django queryset or writes a model instance
    synchronously."""
    from ..n_plus_one._querysets import catalog
    from ..n_plus_one.provider import DJANGO_SHORTCUTS

    django = catalog()["django"]
    known = _known(callee)
    if not known:
        return None
    for value in known:
        data = _orm(value)
        if data is not None and data[0] == "method":
            receiver, name = data[1], data[2]
            if receiver[0] == "qs" and name in django["query"] and not name.startswith("a"):
                continue
            if receiver[0] == "row" and name in django["instance"] and not name.startswith("a"):
                continue
            return None
        if isinstance(value, str) and value in DJANGO_SHORTCUTS:
            continue  # ``get_object_or_404(Model, pk=pk)``: a sync ``.get()``
        if isinstance(value, str) and value in _EVALUATORS:
            if first_arg is None:
                return None  # summaries record ``list(qs)`` as an iteration of ``qs``
            args = [v for group in first_arg for v in _known(group)]
            if args and all((_orm(a) or ("",))[0] == "qs" for a in args):
                continue
        return None
    return HINT_DJANGO


def sync_orm_iteration(values: Values) -> Optional[str]:
    """A hint when a plain (sync) ``for`` over something that may be ``values`` runs a
    query: a Django queryset (``async for`` is its async form) or a SQLAlchemy query."""
    known = _known(values)
    if not known:
        return None
    kinds = set()
    for value in known:
        data = _orm(value)
        if data is None or data[0] not in ("qs", "query"):
            return None
        kinds.add(data[0])
    return HINT_DJANGO if kinds == {"qs"} else HINT_SQLA
