"""One stdlib ``ast`` parse per text, shared by the stages that read it.

A lint of one file asks for its ``ast`` up to three times (the pre-filter, the FFT106
module summary, the language server's incremental parser); each parse of a 2,000-line
file costs ~15 ms. The last few successful parses are remembered by text (trees are only
read, never changed, by their users); failures are not remembered, so the caller's own
``SyntaxError`` handling sees each one.
"""

from __future__ import annotations

import ast
import warnings
from collections import OrderedDict

_MEMO: "OrderedDict[str, ast.Module]" = OrderedDict()
SIZE = 4


def parse(text: str, path: str = "<unknown>") -> ast.Module:
    """``ast.parse(text, path)`` (warnings silenced), remembered for the last texts."""
    tree = _MEMO.get(text)
    if tree is not None:
        _MEMO.move_to_end(text)
        return tree
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tree = ast.parse(text, path)
    _MEMO[text] = tree
    while len(_MEMO) > SIZE:
        _MEMO.popitem(last=False)
    return tree


def clear() -> None:
    _MEMO.clear()
