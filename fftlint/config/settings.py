"""Settings: the validated, merged view of config files and command-line flags."""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Optional, Tuple


class ConfigError(Exception):
    """Bad configuration: reported as ``file: key: what is wrong`` with exit code 2."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        super().__init__(f"{source}: {key}: {problem}" if key else f"{source}: {problem}")


DEFAULT_EXCLUDES = (
    ".git",
    ".hg",
    ".svn",
    ".bzr",
    ".venv",
    "venv",
    ".env",
    ".direnv",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".fftlint_cache",
    "__pycache__",
    "__pypackages__",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    "*.egg-info",
    ".eggs",
)

SUPPORTED_TARGETS = {f"py3{minor}": (3, minor) for minor in range(9, 15)}

#: Files larger than this are skipped (and reported as skipped): LibCST needs about 300-500
#: bytes of memory per byte of source, so a 20 MB generated module takes ~10 GB. Hand-written
#: Python stays well below it (CPython's largest module, ``pydoc_data/topics.py``, is ~0.8 MB).
DEFAULT_MAX_FILE_SIZE = 1024 * 1024

_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1024**2, "mb": 1024**2, "mib": 1024**2, "g": 1024**3, "gb": 1024**3, "gib": 1024**3}


def parse_size(value: Any) -> int:
    """Bytes from ``1048576``, ``"1MB"``, ``"512 KiB"``, ``"1.5M"`` (units of 1024);
    ``0`` means no limit. Raises ValueError with a readable reason."""
    if isinstance(value, bool):
        raise ValueError(f"expected a size such as 1048576 or \"1MB\", got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"expected 0 (no limit) or a positive size, got {value!r}")
        return value
    if isinstance(value, str):
        import re

        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", value)
        if m and m.group(2).lower() in _UNITS:
            return int(float(m.group(1)) * _UNITS[m.group(2).lower()])
    raise ValueError(f"expected a size such as 1048576 or \"1MB\", got {value!r}")


def format_size(size: int) -> str:
    """``1048576`` -> ``"1 MB"``, ``5347737`` -> ``"5.1 MB"`` (units of 1024)."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".rstrip("0").rstrip(".") + f" {unit}"
    return f"{size} bytes"


@dataclass(frozen=True)
class Settings:
    root: str = "."  # directory of the config file (or the working directory)
    source: str = "<defaults>"  # the config file the settings came from
    select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()
    extend_select: Tuple[str, ...] = ()
    per_file_ignores: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    exclude: Tuple[str, ...] = DEFAULT_EXCLUDES
    extend_exclude: Tuple[str, ...] = ()
    target_version: Tuple[int, int] = (3, 9)
    cache_dir: Optional[str] = None
    force_exclude: bool = False  # apply excludes to files named on the command line too
    max_file_size: int = DEFAULT_MAX_FILE_SIZE  # bytes; 0: no limit
    skip_generated: bool = True  # skip files marked ``@generated`` / ``DO NOT EDIT`` at the top
    baseline: Optional[str] = None  # the baseline file (absolute, or relative to the working directory)
    #: ``contexts``: (context, globs) pairs that classify files before the conventions
    contexts: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    #: ``report-contexts`` / ``--contexts``: report every rule in exactly these contexts;
    #: empty: each rule in its own (``Rule.contexts``)
    report_contexts: Tuple[str, ...] = ()
    rule_options: Dict[str, Dict[str, Any]] = field(default_factory=dict, compare=False, hash=False)

    def with_overrides(self, **changes: Any) -> "Settings":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def excludes(self) -> Tuple[str, ...]:
        return self.exclude + self.extend_exclude

    def ignored_codes_for(self, path: str) -> Tuple[str, ...]:
        """Codes that ``per-file-ignores`` switch off for this path."""
        if not self.per_file_ignores:
            return ()
        rel = os.path.relpath(os.path.abspath(path), self.root).replace(os.sep, "/")
        out: List[str] = []
        for pattern, codes in self.per_file_ignores:
            if path_matches(rel, pattern):
                out.extend(codes)
        return tuple(out)

    def fingerprint(self) -> str:
        """A stable description of everything that changes results (for the cache key)."""
        import json

        return json.dumps(
            {
                "select": self.select,
                "ignore": self.ignore,
                "extend_select": self.extend_select,
                "pfi": self.per_file_ignores,
                "target": self.target_version,
                "options": self.rule_options,
                "generated": self.skip_generated,
                "contexts": self.contexts,
                "report_contexts": self.report_contexts,
            },
            sort_keys=True,
            default=str,
        )


def path_matches(rel: str, pattern: str) -> bool:
    """Glob match on a /-separated relative path: whole path, any suffix, or any part."""
    pattern = pattern.rstrip("/")
    if fnmatch.fnmatchcase(rel, pattern):
        return True
    parts = rel.split("/")
    if "/" not in pattern:
        return any(fnmatch.fnmatchcase(part, pattern) for part in parts)
    return any(fnmatch.fnmatchcase("/".join(parts[i:]), pattern) for i in range(len(parts)))
