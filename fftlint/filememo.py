"""One run's memo of the project's files: each file is stat'ed once, read at most once,
and hashed at most once, for every fact provider and the facts layer alike.

With a cache, the memo also remembers across runs

* the content hash of each file by its stat (size, modification and change times, inode):
  a file whose stat has not changed since the last run is not read to know its hash. An
  entry is only kept once the file is some seconds old (:data:`SETTLED_NS`), as git does
  for its index: a file rewritten within the file system's timestamp granularity keeps
  its stat, and a stat taken that soon cannot vouch for its content;
* what a provider derived from each file's bytes (:meth:`FileMemo.derived`: "does it
  mention a model marker", "which words does it hold"), keyed by the content hash: one
  small bundle per provider instead of one read of every file.

So a warm run on a project where one file changed reads that one file. Everything here is
plain data: a memo pickles (to worker processes) without the bytes it holds.
"""

from __future__ import annotations

import hashlib
import os
import time
from typing import Any, Callable, Dict, Optional, Set, Tuple, TypeVar

T = TypeVar("T")

STATS_NAMESPACE = "file-stats"
DERIVED_NAMESPACE = "file-derived"
FORMAT = "1"
#: a stat younger than this (nanoseconds) is not remembered (see the module docstring)
SETTLED_NS = 3_000_000_000
#: bytes held at once (the rest are read again if asked again)
MAX_HELD_BYTES = 64 * 1024 * 1024

Stat = Tuple[int, int, int, int]


def content_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=20).hexdigest()


def _stat_of(st: os.stat_result) -> Stat:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


class FileMemo:
    """See the module docstring. ``cache``: an object with ``get(namespace, key)`` and
    ``put(namespace, key, value)`` (:class:`fftlint.cache.Cache`), or None (this run
    only)."""

    def __init__(self, cache: Any = None) -> None:
        self.cache = cache
        self._stats: Dict[str, Stat] = {}  # this run's stats
        self._digests: Dict[str, str] = {}  # this run's hashes
        self._bytes: Dict[str, bytes] = {}
        self._held = 0
        self._known: Optional[Dict[str, Tuple[Stat, str]]] = None  # last runs': stat -> hash
        self._known_dirty = False
        self._bundles: Dict[str, Dict[str, Tuple[str, Any]]] = {}
        self._dirty: Set[str] = set()
        self._absolute: Dict[str, str] = {}  # paths as given -> absolute (asked many times)

    def _key(self, path: str) -> str:
        found = self._absolute.get(path)
        if found is None:
            found = self._absolute[path] = os.path.abspath(path)
        return found

    # -- this run ---------------------------------------------------------------------
    def stat(self, path: str) -> Stat:
        """The file's stat (raises OSError), taken once per run."""
        key = self._key(path)
        found = self._stats.get(key)
        if found is None:
            found = self._stats[key] = _stat_of(os.stat(key))
        return found

    def data(self, path: str) -> bytes:
        """The file's bytes (raises OSError), read once per run."""
        key = self._key(path)
        found = self._bytes.get(key)
        if found is not None:
            return found
        st = self.stat(key)  # before reading: a later write changes the stat, never the reverse
        with open(key, "rb") as fh:
            found = fh.read()
        # the hash of what was read, even when the last runs' one was trusted: a file
        # written since this run's stat must not be filed under its old hash
        self._remember(key, st, content_digest(found))
        if self._held + len(found) <= MAX_HELD_BYTES:
            self._bytes[key] = found
            self._held += len(found)
        return found

    def digest(self, path: str) -> str:
        """The hash of the file's bytes (raises OSError): from the last runs when its stat
        is unchanged, else read."""
        key = self._key(path)
        found = self._digests.get(key)
        if found is not None:
            return found
        st = self.stat(key)
        known = self._load_known().get(key)
        if known is not None and known[0] == st:
            found = self._digests[key] = known[1]
            return found
        self.data(key)
        return self._digests[key]

    def _remember(self, key: str, st: Stat, digest: str) -> None:
        self._digests[key] = digest
        now = time.time_ns()
        if self.cache is not None and now - st[1] >= SETTLED_NS and now - st[2] >= SETTLED_NS:
            known = self._load_known()
            if known.get(key) != (st, digest):
                known[key] = (st, digest)
                self._known_dirty = True

    def forget(self, path: str) -> None:
        """Drop what this run knows of ``path`` (it was written during the run)."""
        key = self._key(path)
        self._stats.pop(key, None)
        self._digests.pop(key, None)
        data = self._bytes.pop(key, None)
        if data is not None:
            self._held -= len(data)

    # -- derived facts ------------------------------------------------------------------
    def derived(self, namespace: str, path: str, compute: Callable[[bytes], T], salt: str = "") -> T:
        """``compute(bytes of path)``, remembered by the file's content hash (and ``salt``:
        what else the answer depends on) under ``namespace``; raises OSError when the
        file cannot be read. The value must be small plain data."""
        key = self._key(path)
        stamp = f"{salt}\0{self.digest(key)}"
        bundle = self._bundle(namespace)
        hit = bundle.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]  # type: ignore[no-any-return]
        value = compute(self.data(key))
        stamp = f"{salt}\0{self.digest(key)}"  # of what was read (it may differ from the stat's)
        bundle[key] = (stamp, value)
        self._dirty.add(namespace)
        return value

    # -- persistence ----------------------------------------------------------------------
    def save(self) -> None:
        """Write what changed back to the cache (no-op without one)."""
        if self.cache is None:
            return
        if self._known_dirty and self._known is not None:
            self._put(STATS_NAMESPACE, self._prune(self._known, self._stats))
            self._known_dirty = False
        for namespace in sorted(self._dirty):
            self._put(f"{DERIVED_NAMESPACE}:{namespace}", self._prune(self._bundles[namespace], self._stats))
        self._dirty.clear()

    @staticmethod
    def _prune(entries: Dict[str, Any], touched: Dict[str, Any]) -> Dict[str, Any]:
        # files of other runs sharing the cache stay, within bounds: entries of files this
        # run did not see go once they outnumber the ones it did
        if len(entries) > 4 * max(len(touched), 1000):
            return {k: v for k, v in entries.items() if k in touched}
        return entries

    def _load_known(self) -> Dict[str, Tuple[Stat, str]]:
        if self._known is None:
            self._known = self._get(STATS_NAMESPACE)
        return self._known

    def _bundle(self, namespace: str) -> Dict[str, Tuple[str, Any]]:
        found = self._bundles.get(namespace)
        if found is None:
            found = self._bundles[namespace] = self._get(f"{DERIVED_NAMESPACE}:{namespace}")
        return found

    def _get(self, namespace: str) -> Dict[str, Any]:
        if self.cache is None:
            return {}
        try:
            value = self.cache.get(namespace, FORMAT)
        except Exception:  # noqa: BLE001 - a broken cache must not break linting
            value = None
        return dict(value) if isinstance(value, dict) else {}

    def _put(self, namespace: str, value: Dict[str, Any]) -> None:
        try:
            self.cache.put(namespace, FORMAT, value)
        except Exception:  # noqa: BLE001
            pass

    def __getstate__(self) -> Dict[str, Any]:
        state = dict(self.__dict__)
        state["_bytes"], state["_held"] = {}, 0
        state["_bundles"], state["_dirty"], state["_known"], state["_known_dirty"] = {}, set(), None, False
        return state


def memo_of(cache: Any) -> Optional[FileMemo]:
    """The run's memo a cache carries (:attr:`fftlint.cache.Cache.files`), or None."""
    found = getattr(cache, "files", None) if cache is not None else None
    return found if isinstance(found, FileMemo) else None
