"""The on-disk cache: lint results per file, and generic values (``get`` / ``put``).

A file's result is keyed by everything that can change it: the file's bytes, its path
(results carry it), the settings fingerprint, the selected rules and their options, the
fftlint version and a fingerprint of fftlint's own code (so editing a rule invalidates
what it reported), and — for files linted with cross-file rules (``needs_project``) — a
digest of the project index, so their findings follow the files they depend on.

Entries are pickles written atomically (temporary file + ``os.replace``); an entry that
cannot be read or unpickled is a miss. The cache never fails a run: when its directory
cannot be created or written, it switches itself off (one warning on stderr).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import sys
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Dict, Iterable, Optional, Sequence, Type

from fftlint import __version__

if TYPE_CHECKING:  # pragma: no cover
    from fftlint.api import RunConfig
    from fftlint.config.settings import Settings
    from fftlint.rule import Rule
    from fftlint.types import FileResult

DEFAULT_DIRNAME = ".fftlint_cache"
RESULTS = "results"
FORMAT = "1"  # bump when the layout of entries changes

_README = "This directory is fftlint's cache; it is safe to delete.\n"
_GITIGNORE = "# Automatically created by fftlint.\n*\n"


def _digest(*parts: str) -> str:
    h = hashlib.blake2b(digest_size=20)
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=20).hexdigest()


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """fftlint's version plus the size and mtime of its own sources and the rules'
    (and their YAML catalogs): changing a rule during development invalidates results."""
    import fftlint

    roots = [os.path.dirname(os.path.abspath(fftlint.__file__))]
    try:
        import fftlint.rules as builtin

        roots.extend(os.path.abspath(p) for p in builtin.__path__)
    except ImportError:  # pragma: no cover - no built-in rules installed
        pass
    parts = [__version__, FORMAT, sys.version]
    for root in sorted(set(roots)):
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                if name.endswith((".py", ".yaml", ".yml")):
                    full = os.path.join(dirpath, name)
                    try:
                        st = os.stat(full)
                    except OSError:
                        continue
                    parts.append(f"{os.path.relpath(full, root)}:{st.st_size}:{st.st_mtime_ns}")
    return _digest(*parts)


def project_digest(project: Any) -> str:
    """A digest of the project index (cross-file facts): a canonical walk of its public
    state, stable across processes (no object addresses, no hash-seed-dependent set
    order) and across cache round trips (unlike pickles, which depend on object sharing).
    A plain-string ``digest`` attribute of the index is trusted instead; a ``digest()``
    method is not (reprs of nested objects may carry addresses); a ``digest_state()``
    method names the part of the state worth walking."""
    if project is None:
        return ""
    own = getattr(project, "digest", None)
    if isinstance(own, str) and own:
        return own
    state = getattr(project, "digest_state", None)
    h = hashlib.blake2b(digest_size=20)
    _canonical(state() if callable(state) else project, h, set(), 0)
    return h.hexdigest()


_SCALARS = (str, int, float, bool, bytes, type(None))
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _canonical(obj: Any, h: Any, active: set, depth: int) -> None:
    if isinstance(obj, _SCALARS):
        h.update(repr(obj).encode("utf-8", "surrogatepass"))
        return
    if depth > 50 or id(obj) in active:
        h.update(b"<cycle>")
        return
    active.add(id(obj))
    try:
        if isinstance(obj, (list, tuple)):
            h.update(b"[")
            for item in obj:
                _canonical(item, h, active, depth + 1)
                h.update(b",")
            h.update(b"]")
        elif isinstance(obj, dict):
            items = []
            for key, value in obj.items():
                if isinstance(key, str) and key.startswith("_"):
                    continue
                kh = hashlib.blake2b(digest_size=16)
                _canonical(key, kh, active, depth + 1)
                vh = hashlib.blake2b(digest_size=16)
                _canonical(value, vh, active, depth + 1)
                items.append(kh.digest() + vh.digest())
            h.update(b"{" + b"".join(sorted(items)) + b"}")
        elif isinstance(obj, (set, frozenset)):
            parts = []
            for item in obj:
                ih = hashlib.blake2b(digest_size=16)
                _canonical(item, ih, active, depth + 1)
                parts.append(ih.digest())
            h.update(b"(" + b"".join(sorted(parts)) + b")")
        elif isinstance(obj, type) or (callable(obj) and hasattr(obj, "__qualname__")):
            # classes, functions, methods: by name (their reprs carry addresses)
            h.update(f"<fn {getattr(obj, '__module__', '')}.{obj.__qualname__}>".encode())
        else:
            state: dict = {}
            for klass in type(obj).__mro__:
                for name in getattr(klass, "__slots__", ()):
                    if hasattr(obj, name):
                        state[name] = getattr(obj, name)
            state.update(getattr(obj, "__dict__", {}))
            h.update(f"<{type(obj).__module__}.{type(obj).__qualname__}>".encode())
            if state:
                _canonical(state, h, active, depth + 1)
            else:
                h.update(_ADDRESS.sub("", repr(obj)).encode("utf-8", "surrogatepass"))
    finally:
        active.discard(id(obj))


def rules_fingerprint(rules: Sequence[Type["Rule"]], options: Any) -> str:
    opts = options or {}
    return _digest(*(f"{r.__module__}.{r.__qualname__}={r.code}:{opts.get(r)!r}" for r in rules))


class Cache:
    """A directory of pickled values, addressed by ``(namespace, key)``."""

    def __init__(self, directory: str) -> None:
        self.directory = os.path.abspath(directory)
        self.enabled = True
        self._ready = False
        self._warned = False

    # -- generic interface (also used by the project index for per-file summaries) ----
    def get(self, namespace: str, key: str) -> Optional[Any]:
        if not self.enabled:
            return None
        try:
            with open(self._path(namespace, key), "rb") as fh:
                return pickle.load(fh)
        except Exception:  # noqa: BLE001 - missing, truncated, corrupt or foreign: a miss
            return None

    def put(self, namespace: str, key: str, value: Any) -> None:
        if not self.enabled:
            return
        path = self._path(namespace, key)
        try:
            data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - an unpicklable value is simply not cached
            return
        try:
            self._prepare()
            directory = os.path.dirname(path)
            os.makedirs(directory, exist_ok=True)
            from fftlint.atomic import write_bytes  # only when writing: keeps start-up light

            write_bytes(path, data, prefix=".tmp-")
        except OSError as exc:
            self._disable(exc)

    # -- lint results ----------------------------------------------------------------
    def get_result(self, key: str) -> Optional["FileResult"]:
        from fftlint.types import FileResult

        value = self.get(RESULTS, key)
        return value if isinstance(value, FileResult) else None

    def put_result(self, key: str, result: "FileResult") -> None:
        if result.error:  # an internal error may be a transient bug: do not keep it
            return
        self.put(RESULTS, key, result)

    # -- internals -------------------------------------------------------------------
    def _path(self, namespace: str, key: str) -> str:
        name = _digest(namespace, key)
        safe_ns = "".join(c if c.isalnum() or c in "-_." else "_" for c in namespace) or "_"
        return os.path.join(self.directory, FORMAT, safe_ns, name[:2], name[2:])

    def _prepare(self) -> None:
        if self._ready:
            return
        os.makedirs(self.directory, exist_ok=True)
        for name, text in (("README", _README), (".gitignore", _GITIGNORE)):
            marker = os.path.join(self.directory, name)
            if not os.path.exists(marker):
                with open(marker, "w", encoding="utf-8") as fh:
                    fh.write(text)
        self._ready = True

    def _disable(self, exc: OSError) -> None:
        self.enabled = False
        if not self._warned:
            self._warned = True
            why = exc.strerror or str(exc)
            print(f"fftlint: warning: cache disabled: cannot write {self.directory}: {why}", file=sys.stderr)

    def __getstate__(self) -> dict:
        return {"directory": self.directory, "enabled": self.enabled, "_ready": self._ready, "_warned": self._warned}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)


def default_directory(settings: "Settings") -> str:
    """``cache-dir`` from the config (relative to the config's directory), else
    ``.fftlint_cache`` in the project root; ``FFTLINT_CACHE_DIR`` overrides both."""
    env = os.environ.get("FFTLINT_CACHE_DIR")
    if env:
        return env
    if settings.cache_dir:
        return os.path.join(settings.root, os.path.expanduser(settings.cache_dir))
    return os.path.join(settings.root, DEFAULT_DIRNAME)


def _stat_digest(paths: Iterable[str]) -> str:
    parts = []
    for path in sorted(paths):
        try:
            st = os.stat(path)
        except OSError:
            continue
        parts.append(f"{path}:{st.st_size}:{st.st_mtime_ns}")
    return _digest(*parts)


class ResultKeys:
    """Computes result keys for one run; the run-wide part is hashed once.

    Files linted with a cross-file rule (``needs_project``) also key on the project
    index digest and on the non-Python files such rules read on their own (the SQL
    rules' ``schema-files``: size and mtime of each)."""

    def __init__(self, config: "RunConfig") -> None:
        base = (
            code_fingerprint(),
            config.settings.fingerprint(),
            rules_fingerprint(config.rules, config.options),
            f"prefilter={config.prefilter}",
        ) + (("line-hashes",) if getattr(config, "line_hashes", False) else ())
        self.base = _digest(*base)
        self.needs = any(getattr(r, "needs_project", False) for r in config.rules)
        self.project = project_digest(config.project) if self.needs else ""
        self.prefilter = config.prefilter
        globs = {"**/*.sql"}
        self.schema_rules = set()
        for rule, opts in (config.options or {}).items():
            found = getattr(opts, "schema_files", None)
            if isinstance(found, (list, tuple)):
                globs.update(str(g) for g in found)
                self.schema_rules.add(rule)
        self.schema_globs = tuple(sorted(globs))
        self._inputs: dict = {}

    def external_inputs(self, path: str) -> str:
        try:
            from fftlint.analysis.sql import loader
        except ImportError:  # pragma: no cover - no SQL analysis installed
            return ""
        if path in ("-", "<stdin>"):
            return ""
        root = loader.project_root(path) or os.path.dirname(os.path.abspath(path))
        digest = self._inputs.get(root)
        if digest is None:
            try:
                digest = _stat_digest(loader.sql_files(root, self.schema_globs))
            except Exception:  # noqa: BLE001 - unknown inputs: never reuse such results
                digest = "unknown:" + os.urandom(8).hex()
            self._inputs[root] = digest
        return digest

    def _may_apply(self, rule: Type["Rule"], data: bytes, found: Dict[str, bool]) -> bool:
        """Whether the pre-filter could let ``rule`` see this file (conservative: a
        rule the pre-filter rules out cannot report, so its inputs cannot matter).
        ``found`` memoizes needle look-ups within one file (rules share needles)."""
        if not self.prefilter or not rule.requires or b"\0" in data:  # NUL: UTF-16/32, bytes differ from text
            return True
        for needle in rule.requires:
            if not isinstance(needle, str) or not needle.isascii():
                return True
            hit = found.get(needle)
            if hit is None:
                hit = found[needle] = needle.encode("ascii") in data
            if hit:
                return True
        return False

    def key(self, path: str, data: bytes, rules: Iterable[Type["Rule"]]) -> str:
        cross = ""
        if self.needs:
            found: Dict[str, bool] = {}
            live = [r for r in rules if getattr(r, "needs_project", False) and self._may_apply(r, data, found)]
            if live:
                cross = self.project
                if any(r in self.schema_rules for r in live):
                    cross += ":" + self.external_inputs(path)
        return _digest(self.base, path, content_hash(data), cross)
