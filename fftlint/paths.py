"""How paths are shown to users (no I/O: reporters use it too)."""

from __future__ import annotations

import os


def display_path(path: str) -> str:
    """Relative to the working directory when below it, with forward slashes."""
    if path in ("-", "<stdin>"):
        return path
    full = os.path.abspath(path)
    try:
        rel = os.path.relpath(full)
    except ValueError:
        return full
    return full if rel.startswith("..") else rel
