"""Helpers shared by the FFT3xx rules (no rules here): subtree scans and the YAML catalogs."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Dict, List, Optional, Set

import libcst as cst
import yaml

from fftlint.analysis.names import dotted
from fftlint.engine.walk import descendants

HERE = os.path.dirname(os.path.abspath(__file__))


@lru_cache(maxsize=None)
def load_catalog(filename: str) -> Dict[str, Any]:
    """A YAML catalog shipped beside the rules (parsed once per process)."""
    with open(os.path.join(HERE, filename), encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{filename}: expected a mapping at the top level")
    return data


walk_nodes = descendants  # every node below a node (pre-order); into_scopes=False stops at nested scopes


def attribute_names(node: cst.CSTNode) -> Set[str]:
    """Every ``.attr`` name used anywhere below ``node``, plus bare names that are called."""
    out: Set[str] = set()
    for sub in walk_nodes(node):
        if isinstance(sub, cst.Attribute):
            out.add(sub.attr.value)
        elif isinstance(sub, cst.Call) and isinstance(sub.func, cst.Name):
            out.add(sub.func.value)
    return out


def discarded(stmt: Optional[cst.CSTNode], node: cst.CSTNode) -> bool:
    """``node`` is an expression statement of its own (its value is thrown away)."""
    if not isinstance(stmt, cst.SimpleStatementLine):
        return False
    return any(isinstance(small, cst.Expr) and small.value is node for small in stmt.body)


def root_name(expr: cst.BaseExpression) -> Optional[str]:
    """``self.a.b`` -> "self"; ``f().x`` -> None."""
    while isinstance(expr, (cst.Attribute, cst.Subscript)):
        expr = expr.value
    return expr.value if isinstance(expr, cst.Name) else None


def in_dead_branch(ctx: Any) -> bool:
    """The current node is in the body of an ``if`` of its function that never runs
    (``if 0:``, ``if False:``, ``if TYPE_CHECKING:``)."""
    from ..async_io._base import is_constant_false

    statements = ctx.statements
    for i in range(len(statements) - 2, -1, -1):
        parent, child = statements[i], statements[i + 1]
        if isinstance(parent, cst.FunctionDef):
            return False
        if isinstance(parent, cst.If) and isinstance(parent.body, cst.IndentedBlock):
            if any(child is s for s in parent.body.body) and is_constant_false(ctx, parent.test):
                return True
    return False


def inside_expected_raise(ctx: Any) -> bool:
    """Inside ``with pytest.raises(...)`` / ``with self.assertRaises(...)``: the block is
    expected to raise before its statements have their usual effect."""
    for frame in reversed(ctx.stack.frames):
        if frame.kind in ("def", "async def", "lambda", "class"):
            return False
        if frame.kind in ("with", "async with") and isinstance(frame.node, cst.With):
            for item in frame.node.items:
                call = item.item
                if not isinstance(call, cst.Call):
                    continue
                name = ctx.names.resolve(call.func) or dotted(call.func) or ""
                if name == "pytest.raises" or name.rsplit(".", 1)[-1] in ("assertRaises", "assertRaisesRegex"):
                    return True
    return False


def text_of(expr: cst.BaseExpression) -> str:
    return dotted(expr) or ""


@dataclass
class LeaksOptions:
    """``[tool.fftlint.leaks]``: options of the FFT3xx rules."""

    #: Extra names of functions that run once (set-up code), where FFT301 never reports.
    #: Exact function names, or prefixes ending in ``*`` (``"prepare_*"``).
    setup_functions: List[str] = field(default_factory=list)
    #: FFT303 also reports bounded caches (`lru_cache(maxsize=128)`) on methods: they keep
    #: up to `maxsize` instances alive, a bounded cost rather than a leak.
    report_bounded_caches: bool = False
