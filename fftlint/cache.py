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
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Sequence, Tuple, Type

from fftlint import __version__

if TYPE_CHECKING:  # pragma: no cover
    from fftlint.api import RunConfig
    from fftlint.config.settings import Settings
    from fftlint.rule import Rule
    from fftlint.types import FileResult

DEFAULT_DIRNAME = ".fftlint_cache"
RESULTS = "results"
FORMAT = "2"  # bump when the layout of entries changes (2: results carry their dependencies)

_README = "This directory is fftlint's cache; it is safe to delete.\n"
_GITIGNORE = "# Automatically created by fftlint.\n*\n"
#: https://bford.info/cachedir/ -- backup tools, and file walks (ours included), skip it
CACHEDIR_TAG = "CACHEDIR.TAG"
_CACHEDIR_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by fftlint.\n"


def skips_directory(path: str) -> bool:
    """Whether a walk of the project skips directory ``path``: a cache directory (ours by
    its default name, any tool's by its ``CACHEDIR.TAG``) holds no source, and a warm
    cache holds thousands of entries that a walk would otherwise list on every run."""
    return os.path.basename(path) == DEFAULT_DIRNAME or os.path.isfile(os.path.join(path, CACHEDIR_TAG))


def _digest(*parts: str) -> str:
    h = hashlib.blake2b(digest_size=20)
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=20).hexdigest()


_CODE_FILES = (".py", ".yaml", ".yml", ".json", ".toml", ".txt")


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
    return _digest(__version__, FORMAT, sys.version, *_tree_stats(roots))


def _tree_stats(roots: Iterable[str]) -> List[str]:
    """``relpath:size:mtime`` of the code and data files under ``roots`` (a directory,
    or one module file)."""
    parts = []
    for root in sorted(set(roots)):
        if os.path.isfile(root):
            try:
                st = os.stat(root)
            except OSError:
                continue
            parts.append(f"{root}:{st.st_size}:{st.st_mtime_ns}")
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                if name.endswith(_CODE_FILES):
                    full = os.path.join(dirpath, name)
                    try:
                        st = os.stat(full)
                    except OSError:
                        continue
                    parts.append(f"{os.path.relpath(full, root)}:{st.st_size}:{st.st_mtime_ns}")
    return parts


def plugin_fingerprint(classes: Iterable[type]) -> str:
    """The code of the rules and fact providers that live outside fftlint (plugins):
    the files of each one's top-level package (or its module file), so editing a
    plugin's rule, message or data file invalidates cached results as editing a
    built-in rule does. Empty when every class is fftlint's own."""
    import fftlint

    own = os.path.dirname(os.path.abspath(fftlint.__file__)) + os.sep
    top = sorted({c.__module__.split(".")[0] for c in classes})
    return _plugin_fingerprint(tuple(top), own)


@lru_cache(maxsize=8)
def _plugin_fingerprint(top: Tuple[str, ...], own: str) -> str:
    roots = []
    for name in top:
        module = sys.modules.get(name)
        if module is None:
            continue
        paths = list(getattr(module, "__path__", None) or ())
        where = paths or ([module.__file__] if getattr(module, "__file__", None) else [])
        for path in where:
            path = os.path.abspath(path)
            if not (path + os.sep).startswith(own):
                roots.append(path)
    if not roots:
        return ""
    return _digest(*_tree_stats(roots))


def project_digest(project: Any) -> str:
    """A digest of the project index (cross-file facts): a canonical walk of its public
    state, stable across processes (no object addresses, no hash-seed-dependent set
    order) and across cache round trips (unlike pickles, which depend on object sharing).
    A plain-string ``digest`` attribute of the index is trusted instead; a ``digest()``
    method is not (reprs of nested objects may carry addresses); a ``digest_state()``
    method names the part of the state worth walking."""
    if project is None:
        return ""
    stable = getattr(project, "stable_digest", None)
    if callable(stable):
        return stable()
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
        self._files: Any = None

    @property
    def files(self) -> Any:
        """The current run's :class:`fftlint.filememo.FileMemo` over this cache (the
        project files' bytes and hashes, read once per run and remembered across runs),
        or None before :meth:`begin_run`."""
        return self._files

    def begin_run(self) -> Any:
        """Start a run: a fresh file memo (files may have changed since the last run of
        this process, a language server's say). Returns it."""
        from fftlint.filememo import FileMemo

        self._files = FileMemo(self if self.enabled else None)
        return self._files

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
    def get_result(self, key: str, keys: Optional["ResultKeys"] = None) -> Optional["FileResult"]:
        """The result stored under ``key``, unless a project module it depends on has
        changed since (``keys`` checks)."""
        from fftlint.types import FileResult

        value = self.get(RESULTS, key)
        if not isinstance(value, tuple) or len(value) != 2 or not isinstance(value[0], FileResult):
            return None
        result, state = value
        if state and (keys is None or not keys.fresh(state)):
            return None
        return result

    def put_result(self, key: str, result: "FileResult", keys: Optional["ResultKeys"] = None) -> None:
        if result.error:  # an internal error may be a transient bug: do not keep it
            return
        state = keys.state(result.depends) if keys is not None and result.depends else ()
        self.put(RESULTS, key, (result, state))

    # -- internals -------------------------------------------------------------------
    def _path(self, namespace: str, key: str) -> str:
        # fftlint's own code is part of every address: what a provider caches (a schema, a
        # model index, a summary) is read back only by the code that wrote it
        name = _digest(code_fingerprint(), namespace, key)
        safe_ns = "".join(c if c.isalnum() or c in "-_." else "_" for c in namespace) or "_"
        return os.path.join(self.directory, FORMAT, safe_ns, name[:2], name[2:])

    def _prepare(self) -> None:
        if self._ready:
            return
        os.makedirs(self.directory, exist_ok=True)
        for name, text in (("README", _README), (".gitignore", _GITIGNORE), (CACHEDIR_TAG, _CACHEDIR_TAG)):
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
        self._files = None


def default_directory(settings: "Settings") -> str:
    """``cache-dir`` from the config (relative to the config's directory), else
    ``.fftlint_cache`` in the project root (the config file's directory); outside any
    project (no config file found) the user cache directory, ``$XDG_CACHE_HOME/fftlint``
    or ``~/.cache/fftlint``, never the working directory. ``FFTLINT_CACHE_DIR`` overrides
    all of them."""
    env = os.environ.get("FFTLINT_CACHE_DIR")
    if env:
        return env
    if settings.cache_dir:
        return os.path.join(settings.root, os.path.expanduser(settings.cache_dir))
    if settings.source == "<defaults>":
        # one folder per working directory: keys hold paths as the run names them
        return os.path.join(user_cache_directory(), _digest(os.path.abspath(settings.root))[:16])
    return os.path.join(settings.root, DEFAULT_DIRNAME)


def user_cache_directory() -> str:
    """``$XDG_CACHE_HOME/fftlint``, else ``~/.cache/fftlint``."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base or not os.path.isabs(base):  # the XDG spec: a relative value is ignored
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "fftlint")


def stat_digest(paths: Iterable[str]) -> str:
    """Paths, sizes and modification times of files a run reads besides the Python files."""
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

    A file's key covers its bytes, the settings, the rules and their options, fftlint's
    own code, and -- for the rules the pre-filter may let through -- the digests of their
    fact providers (catalogs, the model index, the schema) and the non-Python files those
    read (``Provider.external_inputs``: the SQL rules' ``schema-files``). What the file's
    result learned from *other project modules* is checked when an entry is read: each
    result records the modules its rules consulted (:attr:`FileResult.depends`), the entry
    stores their content hashes, and a changed, added or removed module makes it a miss --
    so editing one module re-lints only the files that looked at it."""

    def __init__(self, config: "RunConfig") -> None:
        project = config.project
        base = (
            code_fingerprint(),
            plugin_fingerprint([*config.rules, *(type(p) for p in getattr(project, "providers", ()) or ())]),
            config.settings.fingerprint(),
            rules_fingerprint(config.rules, config.options),
            f"prefilter={config.prefilter}",
        ) + (("line-hashes",) if getattr(config, "line_hashes", False) else ())
        self.base = _digest(*base)
        self.prefilter = config.prefilter
        project = config.project
        self.source = getattr(project, "source", None)
        self.providers = {p.name: p for p in getattr(project, "providers", ()) or ()}
        self._provider_digests: Dict[str, str] = {}

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

    def _provider_digest(self, name: str) -> str:
        found = self._provider_digests.get(name)
        if found is None:
            provider = self.providers.get(name)
            found = self._provider_digests[name] = provider.digest() if provider is not None else ""
        return found

    def key(self, path: str, data: bytes, rules: Iterable[Type["Rule"]]) -> str:
        cross = ""
        names = set()
        found: Dict[str, bool] = {}
        for rule in rules:
            declared = getattr(rule, "providers", ())
            if declared and self._may_apply(rule, data, found):
                names.update(cls.name for cls in declared)
        for name in sorted(names):
            cross += f":{name}={self._provider_digest(name)}"
            provider = self.providers.get(name)
            inputs = provider.external_inputs(path) if provider is not None else ""
            if inputs:
                cross += f"+{inputs}"
        return _digest(self.base, path, content_hash(data), cross)

    def state(self, depends: Iterable[str]) -> Tuple[Tuple[str, str], ...]:
        """The content hashes of the project modules a result depends on (an empty hash
        for a name that is no project module)."""
        source = self.source
        if source is None:
            return tuple((m, "") for m in sorted(depends))
        return tuple((m, source.hash_of(m)) for m in sorted(depends))

    def fresh(self, state: Tuple[Tuple[str, str], ...]) -> bool:
        return self.state(m for m, _ in state) == tuple(state)
