"""The FFT1xx ``ast`` pre-filter: which kinds of blocking call a file's coroutines can make.

Computed once per file (shared by every FFT1 rule through ``view.memo``) from the same
facts the rules read: every call directly in an ``async def`` body (not in nested
functions or lambdas; decorators and defaults of nested definitions included; code under
``if TYPE_CHECKING:`` left out, where the rules are silent too), its callee resolved
through the binding map and the project exactly as ``ctx.names`` resolves it, then
matched against the catalog *without* the argument and syntax exceptions the rules apply
(``block=False``, ``BlockingIOError`` handlers, ...): a superset of what the rules report,
so the answer never changes. A kind is possible when

* some resolved callee is a catalog entry of that kind (also as ``m.name`` for a bare name
  and ``from m import *``), or a function that reads a file object it is given
  (``json.load``: "file");
* some loop iterates something that resolves to an open file ("file");
* some callee is a project function with a blocking chain ("helper", FFT106);
* with the ORM provider in the run, some call or loop is synchronous ORM work, directly
  or through a project function (``"orm"``, FFT108: :mod:`.orm`, with any argument).
"""

from __future__ import annotations

import ast
from typing import Any, FrozenSet, Set

from fftlint.facts.values import NONE, UNKNOWN

from .catalog import catalog_for, options_of
from .orm import ORM, django_runs, sqlalchemy_sync_io, sync_orm_iteration
from .provider import NAME as BLOCKING
from .provider import OFFLOADED

_ASYNC = (ast.AsyncFunctionDef,)


def possible_kinds(view: Any, options: Any) -> FrozenSet[str]:
    """The catalog kinds (plus "helper") a FFT1 rule could report in this file."""
    key = f"fft1-kinds:{catalog_for(options_of(options)).fingerprint}"
    return view.memo(key, lambda v: _kinds(v, options))


def _kinds(view: Any, options: Any) -> FrozenSet[str]:
    project = view.project
    if project is None or not hasattr(project, "resolve"):
        return frozenset(("*",))  # no facts layer at hand: anything is possible
    facts = view.facts
    catalog = catalog_for(options_of(options))
    from fftlint.facts.summary import function_details

    out: Set[str] = set()
    stars = tuple(facts.star_imports)
    orm = hasattr(project, "provider") and project.provider(ORM) is not None  # FFT108 (or FFT2) selected
    for scope in list(facts.scopes.values()):
        if scope.kind != "function" or not isinstance(scope.node, _ASYNC):
            continue
        details = function_details(facts, scope, ())
        for call in details.calls:
            if call.kind == "read":
                continue
            values = project.resolve(call.callee)
            if call.kind == "iter":
                if any(isinstance(v, str) and catalog.iterates_file(v) is not None for v in values):
                    out.add("file")
                if orm and sync_orm_iteration(values) is not None:
                    out.add(ORM)
                continue
            if call.awaited:
                continue
            if orm and ORM not in out and (sqlalchemy_sync_io(values, None) is not None or django_runs(values, None) is not None):
                out.add(ORM)
            for value in values:
                if not isinstance(value, str) or value in (UNKNOWN, NONE):
                    continue
                match = catalog.match(value)
                if match is not None:
                    out.add(match.kind)
                if catalog.file_argument(value) is not None:
                    out.add("file")
                if "." not in value and stars:
                    for module in stars:
                        found = catalog.match(f"{module}.{value}")
                        if found is not None:
                            out.add(found.kind)
            if "helper" not in out or orm and ORM not in out:
                for target in project.targets(call.callee):
                    if target.is_async or OFFLOADED in target.marks:
                        continue
                    if "helper" not in out and project.explain(target, BLOCKING, facts.module) is not None:
                        out.add("helper")
                    if orm and ORM not in out and project.explain(target, ORM, facts.module) is not None:
                        out.add(ORM)
    return frozenset(out)
