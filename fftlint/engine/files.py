"""File discovery: directories recursively, explicit files always, excludes pruned early."""

from __future__ import annotations

import fnmatch
import os
import re
from functools import lru_cache
from typing import Any, Callable, Iterable, List, Sequence, Tuple

from fftlint.cache import skips_directory

PYTHON_SUFFIXES = (".py", ".pyi")


@lru_cache(maxsize=16)
def _matcher(patterns: Tuple[str, ...]) -> Callable[[str], bool]:
    """One compiled test for all exclude globs, with the semantics of
    :func:`fftlint.config.settings.path_matches` (whole path, any suffix, or -- for a
    pattern without ``/`` -- any single part); discovery asks it for every entry."""
    cleaned = [p.rstrip("/") for p in patterns]
    whole = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in cleaned)) if cleaned else None
    single = [p for p in cleaned if "/" not in p]
    part = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in single)) if single else None

    def matches(rel: str) -> bool:
        if whole is None:
            return False
        parts = rel.split("/")
        if part is not None and any(part.match(x) for x in parts):
            return True
        return any(whole.match("/".join(parts[i:])) for i in range(len(parts)))

    return matches


def _excluded(rel: str, name: str, patterns: Sequence[str]) -> bool:
    test = _matcher(tuple(patterns))
    return test(rel) or test(name)


def discover(paths: Iterable[str], excludes: Sequence[str], root: str = ".", force_exclude: bool = False) -> List[str]:
    """Python files under ``paths``. Explicitly named files are included even when
    excluded (editors pass files one by one) unless ``force_exclude`` (pre-commit passes
    every changed file, so its hooks use it); files found by walking honour ``excludes``."""
    out: List[str] = []
    seen = set()
    root = os.path.abspath(root)
    for path in paths:
        if os.path.isfile(path) or not os.path.exists(path):
            if force_exclude and _excluded(_rel(path, root), os.path.basename(path), excludes):
                continue
            key = os.path.abspath(path)
            if key not in seen:
                seen.add(key)
                out.append(path)
            continue
        for dirpath, dirnames, filenames in os.walk(path):
            kept = []
            for d in sorted(dirnames):
                full = os.path.join(dirpath, d)
                rel = _rel(full, root)
                if not _excluded(rel, d, excludes) and not skips_directory(full):
                    kept.append(d)
            dirnames[:] = kept
            for f in sorted(filenames):
                if not f.endswith(PYTHON_SUFFIXES):
                    continue
                full = os.path.join(dirpath, f)
                if _excluded(_rel(full, root), f, excludes):
                    continue
                key = os.path.abspath(full)
                if key not in seen:
                    seen.add(key)
                    out.append(os.path.normpath(full))
    return out


def _rel(path: str, root: str) -> str:
    full = os.path.abspath(path)
    try:
        rel = os.path.relpath(full, root)
    except ValueError:  # another drive on Windows
        rel = full
    if rel.startswith(".."):
        rel = full
    return rel.replace(os.sep, "/")


def project_files(paths: Sequence[str], settings: Any) -> List[str]:
    """The Python files the project index covers: everything under the config file's
    directory when there is one, else the linted paths (a lone file: its top-level
    package, or its directory), so a pre-commit run on one file still sees its helpers."""
    roots: List[str] = []
    lone: List[str] = []  # directories of lone files: their modules and packages only
    if getattr(settings, "source", "<defaults>") != "<defaults>":
        roots.append(settings.root)
    for path in paths:
        if path == "-":
            continue
        if os.path.isdir(path):
            roots.append(path)
        elif os.path.isfile(path):
            directory = os.path.dirname(os.path.abspath(path))
            while os.path.isfile(os.path.join(directory, "__init__.py")):
                parent = os.path.dirname(directory)
                if parent == directory:
                    break
                directory = parent
            lone.append(directory)
    roots = _outermost(roots)
    for directory in _outermost(lone):
        if any(_under(directory, r) for r in roots):
            continue
        # not every folder below a loose script is its project (``~/Downloads``, ``/tmp``):
        # what it can import is the folder's own modules and the packages in it
        roots.extend(_modules_and_packages(directory, settings))
    out = discover(roots, settings.excludes, settings.root)
    seen = {os.path.abspath(p) for p in out}
    out.extend(p for p in paths if os.path.isfile(p) and os.path.abspath(p) not in seen)
    limit = getattr(settings, "max_file_size", 0)
    return [p for p in out if not limit or _size(p) <= limit]  # too large to lint: too large to index


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _under(path: str, root: str) -> bool:
    path, root = os.path.abspath(path), os.path.abspath(root)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _modules_and_packages(directory: str, settings: Any) -> List[str]:
    """The Python files directly in ``directory`` and its sub-directories that are
    packages (an ``__init__.py``), each of which is walked whole."""
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    out = []
    for name in names:
        full = os.path.join(directory, name)
        if name.endswith(PYTHON_SUFFIXES) and os.path.isfile(full):
            if not _excluded(_rel(full, settings.root), name, settings.excludes):
                out.append(full)
        elif os.path.isfile(os.path.join(full, "__init__.py")) and not _excluded(_rel(full, settings.root), name, settings.excludes):
            out.append(full)
    return out


def _outermost(roots: Sequence[str]) -> List[str]:
    full = sorted({os.path.abspath(r) for r in roots}, key=len)
    kept: List[str] = []
    for root in full:
        if not any(root == k or root.startswith(k.rstrip(os.sep) + os.sep) for k in kept):
            kept.append(root)
    return kept
