"""Finding and reading configuration: ``[tool.fftlint]`` in pyproject.toml, ``.fftlint.yaml``.

The nearest config file walking up from a path wins (memoized per directory). Every key
is validated here; an unknown key or a wrong type raises :class:`ConfigError` naming the
file and the key. Per-rule option tables (``[tool.fftlint.async-io]``) are kept raw here and
validated against the rules' option dataclasses in :mod:`fftlint.config.options`, so this
module never imports rules.
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from typing import Any, Dict, List, Optional, Tuple

from fftlint.config.settings import SUPPORTED_TARGETS, ConfigError, Settings

CONFIG_FILES = (".fftlint.yaml", ".fftlint.yml", "pyproject.toml")

_LIST_KEYS = {
    "select": "select",
    "ignore": "ignore",
    "extend-select": "extend_select",
    "exclude": "exclude",
    "extend-exclude": "extend_exclude",
}
_TOP_KEYS = set(_LIST_KEYS) | {
    "per-file-ignores",
    "target-version",
    "cache-dir",
    "force-exclude",
    "contexts",
    "report-contexts",
}


def _load_toml(path: str) -> Dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.9/3.10
        import tomli as tomllib
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(path, "", f"cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "", f"invalid TOML: {exc}") from None


def _load_yaml(path: str) -> Dict[str, Any]:
    import yaml

    try:
        with open(path, "rb") as fh:
            data = yaml.safe_load(fh)
    except OSError as exc:
        raise ConfigError(path, "", f"cannot read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(path, "", f"invalid YAML{where}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(path, "", "expected a mapping of settings at the top level")
    return data


def read_table(path: str) -> Optional[Dict[str, Any]]:
    """The fftlint table of a config file, or None when a pyproject has none."""
    if path.endswith(".toml"):
        data = _load_toml(path)
        tool = data.get("tool", {})
        if not isinstance(tool, dict) or "fftlint" not in tool:
            return None
        table = tool["fftlint"]
        if not isinstance(table, dict):
            raise ConfigError(path, "tool.fftlint", "expected a table")
        return table
    return _load_yaml(path)


def _str_list(source: str, key: str, value: Any) -> Tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(source, key, f"expected a list of strings, got {value!r}")
    return tuple(value)


def parse_table(table: Dict[str, Any], source: str, root: str) -> Settings:
    changes: Dict[str, Any] = {"root": root, "source": source}
    options: Dict[str, Dict[str, Any]] = {}
    for key, value in table.items():
        if key in _LIST_KEYS:
            changes[_LIST_KEYS[key]] = _str_list(source, key, value)
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise ConfigError(source, key, "expected a table of glob = [codes]")
            changes["per_file_ignores"] = tuple(
                (str(glob), _str_list(source, f"{key}.{glob}", codes)) for glob, codes in value.items()
            )
        elif key == "target-version":
            if value not in SUPPORTED_TARGETS:
                allowed = ", ".join(sorted(SUPPORTED_TARGETS))
                raise ConfigError(source, key, f"unknown version {value!r} (use one of {allowed})")
            changes["target_version"] = SUPPORTED_TARGETS[value]
        elif key == "force-exclude":
            if not isinstance(value, bool):
                raise ConfigError(source, key, f"expected true or false, got {value!r}")
            changes["force_exclude"] = value
        elif key == "contexts":
            changes["contexts"] = _context_globs(source, key, value)
        elif key == "report-contexts":
            changes["report_contexts"] = _report_contexts(source, key, value)
        elif key == "cache-dir":
            if not isinstance(value, str):
                raise ConfigError(source, key, "expected a path string")
            changes["cache_dir"] = os.path.join(root, value)
        elif isinstance(value, dict):
            options[key] = value  # a rule-option table, validated against the rules later
        else:
            raise ConfigError(source, key, "unknown setting")
    changes["rule_options"] = options
    return Settings().with_overrides(**changes)


def _context_globs(source: str, key: str, value: Any) -> Tuple[Tuple[str, Tuple[str, ...]], ...]:
    """``contexts = {tests = ["qa/**"], production = ["bin/server.py"]}``."""
    from fftlint.engine.contexts import CONTEXTS

    if not isinstance(value, dict):
        raise ConfigError(source, key, f"expected a table of context = [globs] ({', '.join(CONTEXTS)})")
    out = []
    for name, globs in value.items():
        if name not in CONTEXTS:
            raise ConfigError(source, f"{key}.{name}", f"unknown context (use {', '.join(CONTEXTS)})")
        out.append((str(name), _str_list(source, f"{key}.{name}", globs)))
    return tuple(out)


def _report_contexts(source: str, key: str, value: Any) -> Tuple[str, ...]:
    """``report-contexts = "all"`` / ``"default"`` / ``["production", "tests"]``."""
    from fftlint.engine.contexts import parse_names

    try:
        return parse_names(_str_list(source, key, value))
    except ValueError as exc:
        raise ConfigError(source, key, str(exc)) from None


def load_file(path: str) -> Settings:
    path = os.path.abspath(path)
    table = read_table(path)
    if table is None:
        table = {}
    return parse_table(table, path, os.path.dirname(path))


@lru_cache(maxsize=None)
def find_config(directory: str) -> Optional[str]:
    """The nearest config file at or above ``directory`` (memoized per directory)."""
    for name in CONFIG_FILES:
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate):
            if name != "pyproject.toml" or _has_fftlint_table(candidate):
                return candidate
    parent = os.path.dirname(directory)
    if parent == directory:
        return None
    return find_config(parent)


def _has_fftlint_table(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return b"[tool.fftlint" in fh.read()
    except OSError:
        return False


def discover(paths: List[str], explicit: Optional[str] = None, isolated: bool = False) -> Settings:
    """Settings for a run: ``--config``, else the nearest file above the first path."""
    if isolated:
        return Settings(root=os.getcwd())
    if explicit:
        if not os.path.isfile(explicit):
            raise ConfigError(explicit, "", "config file not found")
        return load_file(explicit)
    start = os.path.abspath(paths[0] if paths else ".")
    if not os.path.isdir(start):
        start = os.path.dirname(start)
    found = find_config(start)
    if found is None:
        return Settings(root=os.getcwd())
    return load_file(found)
