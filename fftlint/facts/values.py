"""What an expression may be: the value domain of the project-facts layer.

A value is one of

* a canonical string, as the import map has always spelled names:
  ``"time.sleep"`` (a module attribute or a definition: a *reference*),
  ``"pathlib.Path()"`` (an *instance* made by calling ``pathlib.Path``),
  ``"requests.Session().get"`` (an attribute of an instance), ``"open"`` (a builtin);
  a string may be *symbolic*: ``"pkg.images.image_path()"`` is what calling a project
  function returns, resolved against the project (:mod:`fftlint.facts.project`) only when
  somebody asks;
* :data:`UNKNOWN` (``"?"``) -- anything at all -- and :data:`NONE` (``"None"``);
* a structured value: :class:`Seq` (a collection or iterator whose items are known),
  :class:`Tup` (a tuple of known positions), :class:`Awaitable` (what ``await`` gives),
  :class:`Awaited` (``await`` of something only the project can tell), or :class:`Opaque`
  (a provider's own kind of value, e.g. a queryset of a model).

An expression's :data:`Values` is a frozenset of these. Unions come from branches
(``x = A() if c else B()``), annotations (``Path | None``) and several assignments; who
asks decides what a union means (:func:`single` takes the one known kind and ignores
``None`` and unknown members). Unknown never becomes a kind: ``frozenset({UNKNOWN})`` is
what the layer answers when it cannot tell.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, FrozenSet, Iterable, Optional, Tuple, Union

UNKNOWN = "?"
NONE = "None"


@dataclass(frozen=True)
class Seq:
    """A collection, iterator or generator whose items may be ``items``."""

    items: "Values"


@dataclass(frozen=True)
class Tup:
    """A tuple whose positions may be ``items[i]``."""

    items: Tuple["Values", ...]


@dataclass(frozen=True)
class Map:
    """A mapping (``dict[str, Path]``) whose keys may be ``keys`` and values ``values``:
    iterating it gives keys, ``m[k]`` / ``m.get(k)`` / ``m.values()`` give values."""

    keys: "Values"
    values: "Values"


@dataclass(frozen=True)
class Awaitable:
    """A coroutine (or other awaitable) whose ``await`` gives ``result``."""

    result: "Values"


@dataclass(frozen=True)
class Awaited:
    """``await`` of a symbolic value (``await pkg.fetch()``): the project tells what it
    gives, when ``pkg.fetch`` is one of its coroutine functions."""

    inner: str


@dataclass(frozen=True)
class Opaque:
    """A provider's own kind of value (``provider`` names it; ``data`` is hashable and
    picklable). The core never looks inside; the provider's hooks do."""

    provider: str
    data: Any


Value = Union[str, Seq, Tup, Map, Awaitable, Awaited, Opaque]
Values = FrozenSet[Value]

UNKNOWN_VALUES: Values = frozenset((UNKNOWN,))
NONE_VALUES: Values = frozenset((NONE,))
EMPTY: Values = frozenset()


def join(*groups: Iterable[Value]) -> Values:
    out: set = set()
    for group in groups:
        out.update(group)
    return frozenset(out) if out else UNKNOWN_VALUES


def known(values: Values) -> Values:
    """The members that are a kind (not unknown, not None)."""
    return frozenset(v for v in values if v != UNKNOWN and v != NONE)


def single(values: Values) -> Optional[str]:
    """The one canonical string a union names, ignoring ``None`` and unknown members
    (``Path | None`` and "a ``Path`` on one branch, unknown on another" are a ``Path``);
    None when it names no string or several."""
    found: Optional[str] = None
    for value in values:
        if value == UNKNOWN or value == NONE:
            continue
        if not isinstance(value, str) or (found is not None and found != value):
            return None
        found = value
    return found


def instance(canonical: str) -> str:
    return canonical + "()"


def is_instance(value: Value) -> bool:
    """An instance marker (``X()`` or an attribute chain ending in a call)."""
    return isinstance(value, str) and value.endswith("()")


def items_of(values: Values) -> Values:
    """What iterating a value gives, where the domain can tell without the project."""
    out: set = set()
    for value in values:
        if isinstance(value, Seq):
            out.update(value.items)
        elif isinstance(value, Tup):
            for item in value.items:
                out.update(item)
        elif isinstance(value, Map):
            out.update(value.keys)
        else:
            out.add(UNKNOWN)
    return frozenset(out) if out else UNKNOWN_VALUES


#: the mapping methods whose result follows from the mapping's key and value types
MAP_METHODS = frozenset(("get", "pop", "setdefault", "values", "items", "keys"))


def map_method(maps: "Iterable[Map]", attr: str, default: Optional["Values"] = None) -> "Values":
    """What ``m.<attr>(...)`` gives for mappings ``maps`` (``attr`` in :data:`MAP_METHODS`);
    ``default`` is what a second argument of ``get`` / ``pop`` may be, when there is one."""
    maps = list(maps)
    keys = join(*(m.keys for m in maps))
    values = join(*(m.values for m in maps))
    if attr == "values":
        return frozenset((Seq(values),))
    if attr == "keys":
        return frozenset((Seq(keys),))
    if attr == "items":
        return frozenset((Seq(frozenset((Tup((keys, values)),))),))
    if attr == "setdefault":
        return values
    if default is not None:
        return join(values, default)
    return join(values, NONE_VALUES) if attr == "get" else values


def render(value: Value) -> str:
    """A readable form (messages, tests)."""
    if isinstance(value, str):
        return value
    if isinstance(value, Seq):
        return "[" + "|".join(sorted(render(v) for v in value.items)) + "]"
    if isinstance(value, Tup):
        return "(" + ", ".join("|".join(sorted(render(v) for v in item)) for item in value.items) + ")"
    if isinstance(value, Map):
        return "{" + "|".join(sorted(render(v) for v in value.keys)) + ": " + "|".join(sorted(render(v) for v in value.values)) + "}"
    if isinstance(value, Awaitable):
        return "await " + "|".join(sorted(render(v) for v in value.result))
    if isinstance(value, Awaited):
        return f"await {value.inner}"
    return f"<{value.provider}:{value.data!r}>"
