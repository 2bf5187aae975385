"""Per-rule options: raw config tables -> the rules' typed option dataclasses.

A rule declares ``Options`` (a dataclass with defaults) and ``options_key`` (the table
name, shared by a family: ``[tool.fftlint.async-io]``). Keys are written with dashes in
config files and map to the dataclass fields with underscores. Unknown tables, unknown
keys and wrong types are :class:`ConfigError`.
"""

from __future__ import annotations

import dataclasses
import typing
from collections import abc
from typing import Any, Dict, Sequence, Type

from fftlint.config.settings import ConfigError
from fftlint.rule import Rule


def _check_type(source: str, key: str, value: Any, hint: Any) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Any:
        return value
    if origin in (list, tuple, abc.Sequence) or hint in (list, tuple):
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise ConfigError(source, key, f"expected a list, got {value!r}")
        inner = args[0] if args else Any
        return tuple(_check_type(source, f"{key}[{i}]", v, inner) for i, v in enumerate(value))
    if origin in (dict, abc.Mapping) or hint is dict:
        if not isinstance(value, dict):
            raise ConfigError(source, key, f"expected a table, got {value!r}")
        vt = args[1] if len(args) == 2 else Any
        return {str(k): _check_type(source, f"{key}.{k}", v, vt) for k, v in value.items()}
    if origin is typing.Union:
        for arg in args:
            try:
                return _check_type(source, key, value, arg)
            except ConfigError:
                continue
        raise ConfigError(source, key, f"unexpected value {value!r}")
    if hint is type(None):
        if value is None:
            return None
        raise ConfigError(source, key, "expected null")
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(source, key, f"expected true or false, got {value!r}")
        return value
    if hint in (int, float, str):
        if isinstance(value, bool) or not isinstance(value, hint):
            raise ConfigError(source, key, f"expected {hint.__name__}, got {value!r}")
        return value
    return value


def build_options(
    rules: Sequence[Type[Rule]], raw: Dict[str, Dict[str, Any]], source: str
) -> Dict[Type[Rule], Any]:
    """Option objects for each rule that declares ``Options``; validates ``raw``."""
    by_key: Dict[str, Type[Any]] = {}
    for rule in rules:
        if rule.Options is not None and rule.options_key:
            by_key.setdefault(rule.options_key, rule.Options)
    built: Dict[str, Any] = {}
    for key, table in raw.items():
        cls = by_key.get(key)
        if cls is None:
            raise ConfigError(source, key, "unknown setting")
        hints = typing.get_type_hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls)}
        values = {}
        for opt, value in table.items():
            name = opt.replace("-", "_")
            if name not in fields:
                raise ConfigError(source, f"{key}.{opt}", "unknown option")
            values[name] = _check_type(source, f"{key}.{opt}", value, hints[name])
        built[key] = cls(**values)
    out: Dict[Type[Rule], Any] = {}
    for rule in rules:
        if rule.Options is not None and rule.options_key:
            out[rule] = built.get(rule.options_key) or rule.Options()
    return out
