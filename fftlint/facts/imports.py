"""Import statements -> the local names they bind and the canonical names they bind them to.

The one implementation every part of fftlint uses (the binding map, the project summaries,
the model index, the pre-filters): ``import a.b as c`` binds ``c`` to ``a.b``, ``import a.b``
binds ``a`` to ``a``, ``from ..x import y as z`` inside ``pkg.sub.mod`` binds ``z`` to
``pkg.x.y``; ``from m import *`` binds nothing by itself (the star module is recorded).
"""

from __future__ import annotations

import ast
from typing import List, Optional, Tuple

#: (local name, canonical target, the module the statement imports for reachability)
Binding = Tuple[str, str, str]


def resolve_relative(module: str, level: int, current_module: Optional[str], is_package: bool) -> str:
    """``from ..x import y`` inside ``pkg.sub.mod`` -> ``pkg.x``."""
    if level == 0:
        return module
    if not current_module:
        return "." * level + module
    parts = current_module.split(".")
    if not is_package:
        parts = parts[:-1]
    drop = level - 1
    if drop:
        parts = parts[:-drop] if drop <= len(parts) else []
    base = ".".join(parts)
    if module:
        return f"{base}.{module}" if base else module
    return base


def bindings(node: ast.AST, current_module: Optional[str] = None, is_package: bool = False) -> List[Binding]:
    """What an ``import`` / ``from ... import`` statement binds."""
    out: List[Binding] = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                out.append((alias.asname, alias.name, alias.name))
            else:
                top = alias.name.split(".", 1)[0]
                out.append((top, top, alias.name))
    elif isinstance(node, ast.ImportFrom):
        base = resolve_relative(node.module or "", node.level or 0, current_module, is_package)
        for alias in node.names:
            if alias.name == "*":
                continue
            full = f"{base}.{alias.name}" if base else alias.name
            out.append((alias.asname or alias.name, full, full))
    return out


def star_module(node: ast.AST, current_module: Optional[str] = None, is_package: bool = False) -> Optional[str]:
    """The module of ``from m import *``, else None."""
    if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
        return resolve_relative(node.module or "", node.level or 0, current_module, is_package) or None
    return None
