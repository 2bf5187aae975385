"""Which calls block the event loop: the FFT1xx catalog (YAML data) and its matcher.

The catalog lives beside the rules (``rules/async_io/blocking_calls.yaml``) and is loaded
once. Callees are matched on the canonical names of the facts layer (:mod:`fftlint.facts`)
(``"requests.Session().get"``), after *normalising* instance prefixes to type tags
(``"pathlib.Path().parent.read_text"`` -> ``"@path.read_text"``). The same matcher serves
the LibCST rules and the ``ast``-based project summaries (the family's fact provider,
:mod:`.provider`), so a helper in another module is judged by exactly the same data.
"""

from __future__ import annotations

from fftlint import yamlfile
import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

#: kind -> the rule code that reports it
KINDS: Dict[str, str] = {
    "sleep": "FFT101",
    "file": "FFT102",
    "network": "FFT103",
    "process": "FFT104",
    "driver": "FFT105",
    "custom": "FFT107",
}
#: human words for a kind, used in messages
KIND_WORDS: Dict[str, str] = {
    "sleep": "sleep",
    "file": "file-system",
    "network": "network",
    "process": "subprocess",
    "driver": "blocking driver / synchronisation",
    "custom": "configured blocking",
}

OPTIONS_KEY = "async-io"

#: exceptions only non-blocking I/O raises: a call in the body of a ``try`` that catches
#: one of them is non-blocking I/O by design (a socket or fd in non-blocking mode,
#: retried when the loop says it is ready)
WOULD_BLOCK_ERRORS = frozenset(("BlockingIOError", "ssl.SSLWantReadError", "ssl.SSLWantWriteError"))


@dataclass(frozen=True)
class AsyncIOOptions:
    """``[tool.fftlint.async-io]`` -- shared by every FFT1xx rule.

    * ``blocking-calls``: extra callees that block (canonical dotted names such as
      ``"mylib.db.query"``, ``"mylib.Client().fetch"``, or ``"mylib.legacy.*"`` for every
      attribute of a module); reported as FFT107, and followed through helpers (FFT106).
    * ``offload-wrappers``: extra callables that run a function in a worker thread; a sync
      function decorated with one is awaitable, not a blocking helper.
    """

    blocking_calls: Tuple[str, ...] = ()
    offload_wrappers: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    kind: str
    canonical: str  # what the callee resolved to
    normalized: str  # with type tags: "@path.read_text"
    display: str  # readable catalog name: "pathlib.Path().read_text"


Args = Tuple[Tuple[Optional[str], ...], Mapping[str, Optional[str]]]
"""Literal text of a call's arguments: (positional, keyword) -- ``None`` where not a
number, a name, a dotted name or a plain string literal (its quoted source, e.g.
``"'::1'"``). Used for ``block=False``-style exceptions and literal IP addresses."""


def _literal_in(text: Optional[str], values: Tuple[str, ...]) -> bool:
    """``text`` (an argument's literal source) is one of ``values``; numbers compare by
    value, so ``0.``, ``0x0`` and ``0.0`` all match ``"0"``."""
    if text is None:
        return False
    if text in values:
        return True
    number = _number(text)
    return number is not None and any(_number(v) == number for v in values)


def _number(text: str) -> Optional[float]:
    try:
        return float(int(text, 0))
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return None


def catalog_path() -> str:
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "blocking_calls.yaml")


@lru_cache(maxsize=1)
def _raw_catalog() -> Dict[str, Any]:

    with open(catalog_path(), "rb") as fh:
        data = yamlfile.safe_load(fh)
    if not isinstance(data, dict):  # pragma: no cover - packaging bug
        raise RuntimeError(f"{catalog_path()}: expected a mapping")
    return data


class Catalog:
    """The blocking-call catalog plus a user's extra calls and wrappers."""

    def __init__(self, data: Mapping[str, Any], extra_calls: Sequence[str] = (), extra_wrappers: Sequence[str] = ()) -> None:
        self.types: Dict[str, str] = {}
        self.type_display: Dict[str, str] = {}
        for tag, producers in (data.get("types") or {}).items():
            for producer in producers:
                self.types[str(producer)] = str(tag)
            self.type_display[str(tag)] = str(producers[0]) if producers else str(tag)
        self.exact: Dict[str, str] = {}
        self.any_method: Dict[str, str] = {}  # "@redis" -> kind  (from "@redis.*")
        self.any_attribute: Dict[str, str] = {}  # "mylib.legacy" -> kind (from "mylib.legacy.*")
        for kind in KINDS:
            for entry in data.get(kind) or ():
                self._add(str(entry), kind)
        for entry in extra_calls:
            self._add(self.normalize(entry.strip()), "custom", user=True)
        self.not_blocking: FrozenSet[str] = frozenset(str(x) for x in data.get("not_blocking") or ())
        self.lazy: FrozenSet[str] = frozenset(str(x) for x in data.get("lazy") or ())
        self.unbounded_put: FrozenSet[str] = frozenset(str(x) for x in data.get("unbounded_put") or ())
        self.numeric_host: FrozenSet[str] = frozenset(str(x) for x in data.get("numeric_host") or ())
        self.switches: Dict[str, FrozenSet[Tuple[str, str]]] = {
            str(tag): frozenset((str(m), str(v)) for m, v in pairs) for tag, pairs in (data.get("nonblocking_switch") or {}).items()
        }
        self.free_when_done: FrozenSet[str] = frozenset(str(x) for x in data.get("free_when_done") or ())
        self.free_when_fresh: FrozenSet[str] = frozenset(str(x) for x in data.get("free_when_fresh") or ())
        self.file_consumers: Dict[str, int] = {str(k): int(v) for k, v in (data.get("file_consumers") or {}).items()}
        self.conditions: Dict[str, Tuple[str, int, Tuple[str, ...]]] = {}
        for name, cond in (data.get("non_blocking_when") or {}).items():
            values = cond["value"] if isinstance(cond["value"], list) else [cond["value"]]
            self.conditions[str(name)] = (str(cond["keyword"]), int(cond["position"]), tuple(str(v) for v in values))
        affine = data.get("thread_affine") or {}
        self.thread_affine_types: FrozenSet[str] = frozenset(str(x) for x in affine.get("types") or ())
        self.thread_affine_calls: FrozenSet[str] = frozenset(str(x) for x in affine.get("calls") or ())
        self.thread_affine_prefixes: Tuple[str, ...] = tuple(str(x) for x in affine.get("prefixes") or ())
        self.wrappers: FrozenSet[str] = frozenset(
            self.normalize(str(w)) for w in (*(data.get("offload_wrappers") or ()), *extra_wrappers)
        )
        self.fingerprint = hashlib.sha256(
            json.dumps([data, list(extra_calls), list(extra_wrappers)], sort_keys=True, default=str).encode()
        ).hexdigest()[:16]

    def _add(self, entry: str, kind: str, user: bool = False) -> None:
        if entry.endswith(".*"):
            head = entry[:-2]
            (self.any_method if head.startswith("@") else self.any_attribute)[head] = kind
        elif user:
            self.exact.setdefault(entry, kind)  # a built-in kind keeps its own code
        else:
            self.exact[entry] = kind

    # -- matching ---------------------------------------------------------------
    def normalize(self, canonical: str) -> str:
        """Replace instance prefixes by type tags: ``open().read`` -> ``@file.read``."""
        if canonical.startswith("builtins."):
            canonical = canonical[len("builtins."):]
        segments = canonical.split(".")
        current = segments[0]
        for seg in segments[1:]:
            tag = self.types.get(current)
            if tag is not None:
                current = "@" + tag
            current = f"{current}.{seg}"
        return current

    def instance_type(self, canonical: str) -> Optional[str]:
        """The type tag of an instance marker (``"pathlib.Path()"`` -> ``"path"``)."""
        return self.types.get(self.normalize(canonical))

    def match(self, canonical: Optional[str], args: Optional[Callable[[], Args]] = None) -> Optional[Match]:
        """The catalog entry a callee's canonical name matches, or None."""
        if not canonical:
            return None
        norm = self.normalize(canonical)
        kind = self.exact.get(norm)
        if kind is None:
            if norm in self.not_blocking:
                return None
            head = norm.rpartition(".")[0]
            kind = self.any_method.get(head) if head.startswith("@") else None
            if kind is None and self.any_attribute:
                probe = norm
                while "." in probe and kind is None:
                    probe = probe.rpartition(".")[0]
                    kind = self.any_attribute.get(probe)
            if kind is None:
                return None
        cond = self.conditions.get(norm)
        if cond is not None and args is not None:
            keyword, position, values = cond
            positional, keywords = args()
            if _literal_in(keywords.get(keyword), values):
                return None
            if len(positional) > position and _literal_in(positional[position], values):
                return None
        if norm in self.numeric_host and args is not None and _numeric_lookup(*args()):
            return None
        return Match(kind, canonical, norm, self.display(norm))

    def switch_of(self, normalized: str) -> FrozenSet[Tuple[str, str]]:
        """The ``(method, literal)`` calls that make the receiver of a ``@tag.method``
        match non-blocking (``sock.setblocking(False)``), or an empty set."""
        if not normalized.startswith("@"):
            return frozenset()
        return self.switches.get(normalized[1:].partition(".")[0], frozenset())

    def file_argument(self, canonical: Optional[str]) -> Optional[int]:
        """Position of the file argument of a function that reads or writes a file object
        it is given (``json.load`` -> 0), or None."""
        return self.file_consumers.get(canonical) if canonical else None

    def consumes_file(self, canonical: str, argument: Optional[str]) -> Optional[Match]:
        """``json.load(fh)`` where ``fh`` resolved to an open file (``argument`` is its
        instance marker, e.g. ``"open()"``)."""
        if argument is None or self.instance_type(argument) != "file":
            return None
        return Match("file", canonical, canonical, f"{canonical}({self.display(self.normalize(argument))})")

    def iterates_file(self, iterable: Optional[str]) -> Optional[Match]:
        """``for line in fh`` where ``fh`` resolved to an open file: each step reads it."""
        if iterable is None or self.instance_type(iterable) != "file":
            return None
        return Match("file", iterable, "@file.__iter__", f"for ... in {self.display(self.normalize(iterable))}")

    def display(self, normalized: str, _depth: int = 0) -> str:
        """``@dbapi_cursor.fetchall`` -> ``sqlite3.connect().cursor().fetchall``."""
        if normalized.startswith("@") and _depth < 8:
            tag, _, rest = normalized[1:].partition(".")
            head = self.display(self.type_display.get(tag, tag), _depth + 1)
            return f"{head}.{rest}" if rest else head
        return normalized

    def is_wrapper(self, canonical: Optional[str]) -> bool:
        return bool(canonical) and self.normalize(canonical) in self.wrappers  # type: ignore[arg-type]


def _numeric_lookup(positional: Sequence[Optional[str]], keywords: Mapping[str, Optional[str]]) -> bool:
    """A name look-up that needs no DNS: the host is a literal IP address, or the
    ``AI_NUMERICHOST`` flag is passed."""
    host = keywords.get("host") if "host" in keywords else (positional[0] if positional else None)
    if host and host[:1] in ("'", '"'):
        import ipaddress

        try:
            ipaddress.ip_address(host[1:-1])
            return True
        except ValueError:
            pass
    return any(v is not None and v.rsplit(".", 1)[-1] == "AI_NUMERICHOST" for v in (*positional, *keywords.values()))


@lru_cache(maxsize=32)
def _catalog(extra_calls: Tuple[str, ...], extra_wrappers: Tuple[str, ...]) -> Catalog:
    return Catalog(_raw_catalog(), extra_calls, extra_wrappers)


def catalog_for(options: Optional[AsyncIOOptions] = None) -> Catalog:
    """The (cached) catalog extended by a run's options."""
    if options is None:
        return _catalog((), ())
    return _catalog(tuple(options.blocking_calls), tuple(options.offload_wrappers))


def options_of(options: Any) -> AsyncIOOptions:
    return options if isinstance(options, AsyncIOOptions) else AsyncIOOptions()


def chain_text(chain: List[str]) -> str:
    return " -> ".join(chain)
