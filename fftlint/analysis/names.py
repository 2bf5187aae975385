"""Small helpers on names in both trees: dotted chains and assignment targets.

What a name *holds* is the facts layer's business (:mod:`fftlint.facts`): imports, values,
annotations, ``self.x``, project functions. These helpers only read syntax.
"""

from __future__ import annotations

import ast
from typing import Iterable, List, Optional

import libcst as cst

from fftlint.facts.imports import resolve_relative  # noqa: F401 - the one implementation, re-exported


def dotted(node: cst.BaseExpression) -> Optional[str]:
    """``a.b.c`` -> "a.b.c" for LibCST Name/Attribute chains, else None."""
    parts: List[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


def ast_dotted(node: ast.AST) -> Optional[str]:
    """The same for the stdlib ``ast``."""
    parts: List[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def target_names(target: cst.BaseExpression) -> Iterable[str]:
    """Names bound by a LibCST assignment target (tuples, lists, starred)."""
    if isinstance(target, cst.Name):
        yield target.value
    elif isinstance(target, (cst.Tuple, cst.List)):
        for el in target.elements:
            yield from target_names(el.value)
    elif isinstance(target, cst.StarredElement):
        yield from target_names(target.value)
