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

from fftlint import yamlfile
from fftlint.config.settings import SUPPORTED_TARGETS, ConfigError, Settings, parse_size

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
    "max-file-size",
    "skip-generated",
    "baseline",
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
        raise ConfigError(path, "", f"invalid TOML{_toml_where(path, str(exc))}") from None


def _toml_where(path: str, message: str) -> str:
    """`` (line 3, column 7): Invalid value`` from tomllib's ``Invalid value (at line 3,
    column 7)``; an error at the end of the document names the file's last line."""
    import re

    m = re.search(r"\s*\(at line (\d+), column (\d+)\)\s*$", message)
    if m:
        return f" (line {m.group(1)}, column {m.group(2)}): {message[: m.start()]}"
    m = re.search(r"\s*\(at end of document\)\s*$", message)
    if m:
        try:
            with open(path, "rb") as fh:
                lines = fh.read().count(b"\n") + 1
        except OSError:
            lines = 0
        where = f" (line {lines}, at the end of the file)" if lines else " (at the end of the file)"
        return f"{where}: {message[: m.start()]}"
    return f": {message}"


def _load_yaml(path: str) -> Dict[str, Any]:
    import yaml

    try:
        with open(path, "rb") as fh:
            data = yamlfile.safe_load(fh)
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
    """A list of strings. A bare string is an error, not a one-item list: ``select =
    "FFT4"`` would work while ``select = "FFT4,FFT1"`` fails, so both fail alike."""
    if isinstance(value, str):
        raise ConfigError(source, key, f"expected a list of strings, got the string {value!r} (write [{value!r}])")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(source, key, f"expected a list of strings, got {value!r}")
    return tuple(value)


def _word_or_list(source: str, key: str, value: Any) -> Tuple[str, ...]:
    """One word or a list (``report-contexts = "all"``, ``contexts.tests = "qa/**"``):
    keys whose single value is the usual case. A comma-separated string is still an
    error, for the reason `_str_list` gives."""
    if isinstance(value, str):
        if "," in value:
            items = [v.strip() for v in value.split(",")]
            raise ConfigError(source, key, f"expected one value or a list, got {value!r} (write {items!r})")
        return (value,)
    return _str_list(source, key, value)


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
            if not isinstance(value, str) or value not in SUPPORTED_TARGETS:
                allowed = ", ".join(sorted(SUPPORTED_TARGETS))
                raise ConfigError(source, key, f"unknown version {value!r} (use one of {allowed})")
            changes["target_version"] = SUPPORTED_TARGETS[value]
        elif key in ("force-exclude", "skip-generated"):
            if not isinstance(value, bool):
                raise ConfigError(source, key, f"expected true or false, got {value!r}")
            changes[key.replace("-", "_")] = value
        elif key == "max-file-size":
            try:
                changes["max_file_size"] = parse_size(value)
            except ValueError as exc:
                raise ConfigError(source, key, str(exc)) from None
        elif key == "baseline":
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(source, key, f"expected the path of a baseline file, got {value!r}")
            changes["baseline"] = os.path.join(root, value)
        elif key == "contexts":
            changes["contexts"] = _context_globs(source, key, value)
        elif key == "report-contexts":
            changes["report_contexts"] = _report_contexts(source, key, value)
        elif key == "cache-dir":
            if not isinstance(value, str):
                raise ConfigError(source, key, f"expected a path string, got {value!r}")
            changes["cache_dir"] = os.path.join(root, value)
        elif isinstance(value, dict):
            options[key] = value  # a rule-option table, validated against the rules later
        elif key.replace("_", "-") in _TOP_KEYS:
            raise ConfigError(source, key, f"unknown setting (did you mean {key.replace('_', '-')!r}?)")
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
        out.append((str(name), _word_or_list(source, f"{key}.{name}", globs)))
    return tuple(out)


def _report_contexts(source: str, key: str, value: Any) -> Tuple[str, ...]:
    """``report-contexts = "all"`` / ``"default"`` / ``["production", "tests"]``."""
    from fftlint.engine.contexts import parse_names

    try:
        return parse_names(_word_or_list(source, key, value))
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
