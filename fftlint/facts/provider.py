"""Fact providers: how a rule family teaches the facts layer what its calls do.

The core knows names, values and the call graph; it knows nothing about blocking calls,
queries or listeners. A rule family (built in under ``rules/`` or a plugin) subclasses
:class:`Provider` and lists it in its rules' ``providers``; the engine makes one instance
per run (from the options of the first selected rule that lists it) and

* asks it, while summarising a project function, what each call does
  (:meth:`Provider.effect`, with the syntax around the call at hand) and how to mark the
  function (:meth:`Provider.marks`, e.g. "runs in a worker thread");
* asks it again while searching the call graph, once a callee has been resolved through
  the project (:meth:`Provider.match`: ``from .db import session`` then ``session.get()``
  is only known to be ``requests.Session().get`` there), and whether an effect travels
  through a call (:meth:`Provider.follows`: a blocking call does not block an ``async``
  caller through an awaited coroutine; a query does run once per awaited call);
* lets it refine values (:meth:`Provider.refine`: ``Book.objects.filter()`` is a queryset
  of ``Book``; :meth:`Provider.iterate`: its rows are ``Book`` instances);
* builds its project-wide facts once before workers start
  (:meth:`Provider.project_facts`: a model index, a schema), and folds
  :meth:`Provider.digest` into every cache key those facts can change.

Everything a provider returns must be plain picklable data.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, FrozenSet, Mapping, Optional, Sequence, Tuple

from fftlint.facts.values import Values

if TYPE_CHECKING:  # pragma: no cover
    from fftlint.facts.project import ProjectFacts
    from fftlint.facts.summary import CallFacts, CallSite, ClassFacts, FunctionFacts, FunctionView, IterationSite


@dataclass(frozen=True)
class Effect:
    """Something a call does that a rule family cares about: ``provider`` is the
    provider's name, ``kind`` its own classification (``"file"``, ``"query"``),
    ``display`` what messages show (``"open"``, ``"Owner.objects.get"``)."""

    provider: str
    kind: str
    display: str
    line: int
    column: int = 0


class Provider:
    """Base class of fact providers (see the module docstring)."""

    #: unique name; effects carry it, rules ask for it
    name: ClassVar[str] = ""

    def __init__(self, options: Any = None) -> None:
        self.options = options

    # -- identity -------------------------------------------------------------------
    def summary_digest(self) -> str:
        """What summary-time answers (:meth:`effect`, :meth:`marks`) depend on besides
        the module's text: catalogs, options. Part of each cached summary's key."""
        return ""

    def digest(self) -> str:
        """Everything this provider's answers depend on (summary digest plus project
        facts): part of every result-cache key of files linted with cross-file rules."""
        return self.summary_digest()

    def external_inputs(self, path: str) -> str:
        """A digest of non-Python files answers for ``path`` depend on (SQL schema
        files): part of that file's result-cache key. Empty: none."""
        return ""

    # -- project-wide facts --------------------------------------------------------
    def project_facts(self, files: Sequence[str], cache: Any = None) -> Any:
        """Facts built once per run from every project file (plain data), or None."""
        return None

    def bind(self, facts: Any) -> None:
        """Receive what :meth:`project_facts` built (also in workers, after pickling)."""
        self.facts = facts

    # -- summary time (the function's ``ast`` at hand) --------------------------------
    def effect(self, site: "CallSite") -> Optional[Effect]:
        return None

    def iteration_effect(self, site: "IterationSite") -> Optional[Effect]:
        """``for x in <iterable>`` (or a comprehension) in a project function."""
        return None

    def marks(self, function: "FunctionView") -> FrozenSet[str]:
        return frozenset()

    def notes(self, site: "CallSite") -> FrozenSet[str]:
        """What :meth:`match` will need to know about the syntax around a call (it only
        sees the call's facts): e.g. "inside a ``try`` that handles ``BlockingIOError``"."""
        return frozenset()

    def call_value(self, facts: Any, call: ast.Call, callee: Values, look: Any) -> Optional[Values]:
        """What a call gives, where the provider knows better than "an instance of the
        callee" (``session.query(Book)`` is a query of Book): read while values are
        inferred inside one module."""
        return None

    # -- search time (the project at hand) --------------------------------------------
    def match(self, callee: Any, call: "CallFacts", project: "ProjectFacts") -> Optional[Effect]:
        """An effect of a call whose callee the project resolved to ``callee`` (a canonical
        string, or one of this provider's own values)."""
        return None

    def match_iteration(self, iterable: Any, site: "CallFacts", project: "ProjectFacts") -> Optional[Effect]:
        """An effect of ``for x in <iterable>`` once the project resolved the iterable."""
        return None

    def follows(self, call: "CallFacts", target: "FunctionFacts") -> bool:
        """Whether this provider's effects reach a caller through ``call`` of ``target``."""
        return True

    def class_attribute(self, cls: "ClassFacts", name: str, instance: bool, project: "ProjectFacts") -> Optional[Values]:
        """An attribute of a project class (or of its instances, ``instance``) the provider
        knows better than the class body says (``Book.objects`` is a queryset of Book,
        ``book.author`` an Author), or None."""
        return None

    def refine(self, value: str, project: "ProjectFacts") -> Optional[Values]:
        """A better answer for a resolved canonical value, or None."""
        return None

    def iterate(self, value: Any, project: "ProjectFacts") -> Optional[Values]:
        """What iterating one of this provider's values gives, or None."""
        return None

    def attribute(self, value: Any, name: str, project: Optional["ProjectFacts"]) -> Optional[Values]:
        """An attribute of one of this provider's values, or None. ``project`` is None when
        the value is read inside one module (``session.query(Book).filter``), before the
        project is at hand; a call of the result then reaches :meth:`call_value`
        (:meth:`iterate` is asked the same way for ``for x in <value>``)."""
        return None

    def resolve_value(self, value: Any, project: "ProjectFacts") -> Optional[Values]:
        """One of this provider's values made inside one module, resolved through the
        project (it may have waited for what a name of another module is), or None
        when it is final."""
        return None

    def call(self, value: Any, project: "ProjectFacts") -> Optional[Values]:
        """Calling one of this provider's values, or None."""
        return None


def provider_digests(providers: Sequence[Provider]) -> Tuple[Tuple[str, str], ...]:
    return tuple(sorted((p.name, p.digest()) for p in providers))


Args = Tuple[Tuple[Optional[str], ...], Mapping[str, Optional[str]]]
"""Literal text of a call's arguments: (positional, keyword) -- ``None`` where not a
number, a name, a dotted name or a plain string literal (its quoted source)."""
