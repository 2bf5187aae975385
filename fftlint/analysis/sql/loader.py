"""The schema a file's SQL is checked against: DDL files of its project + Python facts.

* ``.sql`` files are not Python, so the project index never sees them: they are found
  here, under the file's project root (the nearest ancestor with ``pyproject.toml``,
  ``setup.cfg``, ``setup.py``, ``manage.py``, ``alembic.ini`` or ``.git``), matched by
  the ``schema-files`` globs, and their facts are cached per process by
  (path, mtime, size) -- the walk itself is re-done at most every few seconds.
* Python facts (models, migrations) come from the project index when it offers them
  (``project.schema_facts``: a sequence of :class:`SchemaFacts`); without a project
  index, from the linted file alone.

A file that does not exist on disk (an example, stdin without a filename) sees no DDL.
"""

from __future__ import annotations

import fnmatch
import os
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

from fftlint.analysis.sql.schema import Schema, SchemaFacts, build_schema

ROOT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", "manage.py", "alembic.ini", ".git")
SKIP_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "env", ".tox", ".nox", "node_modules", "__pycache__", "build", "dist", "site-packages", ".mypy_cache", ".pytest_cache"}
MAX_SQL_FILES = 2000
MAX_SQL_BYTES = 4 * 1024 * 1024
WALK_TTL = 5.0

_walks: Dict[Tuple[str, Tuple[str, ...]], Tuple[float, List[str]]] = {}
_ddl: Dict[Tuple[str, int, int, str], SchemaFacts] = {}
_schemas: Dict[Any, Schema] = {}


def project_root(path: str) -> Optional[str]:
    """The nearest ancestor directory holding a project marker; None when there is none."""
    directory = os.path.dirname(os.path.abspath(path))
    while True:
        if any(os.path.exists(os.path.join(directory, m)) for m in ROOT_MARKERS):
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def _matches(rel: str, globs: Sequence[str]) -> bool:
    rel = rel.replace(os.sep, "/")
    for pattern in globs:
        if fnmatch.fnmatch(rel, pattern):
            return True
        if pattern.startswith("**/") and fnmatch.fnmatch(rel, pattern[3:]):
            return True
    return False


def _name_suffixes(globs: Sequence[str]) -> Optional[Tuple[str, ...]]:
    """The endings a file name needs for any of ``globs`` to match (``**/*.sql`` needs
    ``.sql``), or None when some glob's last part is not ``*`` + a literal ending."""
    out = []
    for pattern in globs:
        last = pattern.replace(os.sep, "/").rsplit("/", 1)[-1]
        if not last.startswith("*") or any(c in last[1:] for c in "*?[]") or not last[1:]:
            return None
        out.append(os.path.normcase(last[1:]))
    return tuple(out)


def sql_files(root: str, globs: Sequence[str] = ("**/*.sql",)) -> List[str]:
    key = (root, tuple(globs))
    now = time.monotonic()
    hit = _walks.get(key)
    if hit is not None and now - hit[0] < WALK_TTL:
        return hit[1]
    found: List[str] = []
    suffixes = _name_suffixes(globs)
    from fftlint.cache import skips_directory

    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info") and not skips_directory(os.path.join(dirpath, d)))
        for name in sorted(filenames):
            if suffixes is not None and not os.path.normcase(name).endswith(suffixes):
                continue  # no glob can match a file of this name (most of a tree's files)
            full = os.path.join(dirpath, name)
            if _matches(os.path.relpath(full, root), globs):
                found.append(full)
        if len(found) >= MAX_SQL_FILES:
            break
    _walks[key] = (now, found)
    return found


def ddl_facts(path: str, dialect: str) -> Optional[SchemaFacts]:
    from fftlint.analysis.sql.ddl import learn_ddl

    try:
        st = os.stat(path)
    except OSError:
        return None
    if st.st_size > MAX_SQL_BYTES:
        return None
    key = (path, st.st_mtime_ns, st.st_size, dialect)
    facts = _ddl.get(key)
    if facts is None:
        try:
            with open(path, "rb") as handle:
                text = handle.read().decode("utf-8", "replace")
        except OSError:
            return None
        facts = learn_ddl(text, path, dialect) if any(w in text.upper() for w in ("CREATE", "ALTER")) else SchemaFacts()
        _ddl[key] = facts
    return facts


def schema_for(
    path: str,
    source: str,
    *,
    project: Any = None,
    dialect: str = "postgres",
    schema_files: Sequence[str] = ("**/*.sql",),
    own_facts: Optional[SchemaFacts] = None,
) -> Schema:
    """The schema for the file at ``path`` (memoized per DDL set + Python facts)."""
    from fftlint.analysis.sql.sources import summarize

    facts: List[SchemaFacts] = []
    ddl_key: List[Any] = []
    if path not in ("-", "<stdin>") and os.path.isfile(path):
        root = project_root(path) or os.path.dirname(os.path.abspath(path))
        for sql_path in sql_files(root, schema_files):
            f = ddl_facts(sql_path, dialect)
            if f:
                facts.append(f)
                ddl_key.append(id(f))
    project_facts = getattr(project, "schema_facts", None) if project is not None else None
    if callable(project_facts):
        project_facts = project_facts()
    if project_facts:
        facts.extend(project_facts)
        return _shared_schema((tuple(ddl_key), id(project)), facts)
    mine = own_facts if own_facts is not None else summarize(source, path)
    if not mine:
        return _shared_schema((tuple(ddl_key), None), facts)
    return build_schema(facts + [mine])


def _shared_schema(key: Any, facts: List[Any]) -> Any:
    """One schema per set of inputs shared by many files (bounded memo)."""
    cached = _schemas.get(key)
    if cached is not None:
        return cached
    schema = build_schema(facts)
    if len(_schemas) > 64:
        _schemas.clear()
    _schemas[key] = schema
    return schema


CACHE_NAMESPACE = "fft5-schema"
SUMMARY_VERSION = "2"


def python_schema_facts(paths: Sequence[str], cache: Any = None) -> List[SchemaFacts]:
    """Schema facts of many Python files (what a project index holds for FFT5xx).

    ``cache`` (optional) has ``get(namespace, key)`` / ``put(namespace, key, value)``;
    keys are content hashes, so an unchanged file is never parsed twice.
    """
    import hashlib

    from fftlint.analysis.sql.sources import may_teach, summarize
    from fftlint.filememo import memo_of

    memo = memo_of(cache)  # the run's file memo: a warm run reads only changed files
    out: List[SchemaFacts] = []
    for path in paths:
        data: Optional[bytes] = None
        try:
            if memo is not None:
                teaches = memo.derived("sql-teach", path, lambda raw: may_teach(raw.decode("utf-8", "replace"), path), f"{SUMMARY_VERSION}:{path}")
                content = memo.digest(path)
            else:
                with open(path, "rb") as handle:
                    data = handle.read()
                teaches = may_teach(data.decode("utf-8", "replace"), path)
                content = hashlib.sha256(data).hexdigest()
        except OSError:
            continue
        if not teaches:
            continue
        key = f"{SUMMARY_VERSION}:{content}:{os.path.abspath(path)}"
        facts = None
        if cache is not None:
            try:
                facts = cache.get(CACHE_NAMESPACE, key)
            except Exception:  # noqa: BLE001 - a broken cache must not break linting
                facts = None
        if not isinstance(facts, SchemaFacts):
            try:
                text = (data if data is not None else memo.data(path) if memo is not None else b"").decode("utf-8", "replace")
            except OSError:
                continue
            facts = summarize(text, path)
            if memo is not None:  # the hash of what was read (the file may have changed since)
                key = f"{SUMMARY_VERSION}:{memo.digest(path)}:{os.path.abspath(path)}"
            if cache is not None:
                try:
                    cache.put(CACHE_NAMESPACE, key, facts)
                except Exception:  # noqa: BLE001
                    pass
        if facts:
            out.append(facts)
    return out


class SchemaProject:
    """The minimal project object the FFT5xx rules read (``schema_facts``); the engine's
    project index can offer the same attribute."""

    def __init__(self, paths: Sequence[str], cache: Any = None) -> None:
        self.schema_facts = python_schema_facts(paths, cache)

    @classmethod
    def under(cls, root: str) -> "SchemaProject":
        paths = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
            paths.extend(os.path.join(dirpath, f) for f in sorted(filenames) if f.endswith(".py"))
        return cls(paths)


def ddl_fingerprint(path: str, schema_files: Sequence[str] = ("**/*.sql",)) -> str:
    """A digest of the DDL files the FFT5xx rules read for ``path`` (paths, sizes,
    mtimes): a result cache must fold it into the key of files linted with FFT5xx, as
    editing ``schema.sql`` changes their findings without touching the Python file."""
    import hashlib

    root = project_root(path) or os.path.dirname(os.path.abspath(path))
    h = hashlib.blake2b(digest_size=16)
    for sql_path in sql_files(root, schema_files):
        try:
            st = os.stat(sql_path)
        except OSError:
            continue
        h.update(f"{sql_path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode("utf-8", "surrogatepass"))
    return h.hexdigest()
