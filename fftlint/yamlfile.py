"""Reading YAML (rule catalogs, ``.fftlint.yaml``) with libyaml's C loader when PyYAML has
it: the pure-Python loader spent a quarter of a second per run on the catalogs alone,
which a pre-commit hook on one file pays every time. Same safe subset either way."""

from __future__ import annotations

from typing import IO, Any, Union

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(stream: Union[str, bytes, IO[Any]]) -> Any:
    """``yaml.safe_load``, on the C loader when available."""
    return yaml.load(stream, Loader=_LOADER)  # noqa: S506 - a safe loader
