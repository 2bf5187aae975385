"""What every format says about findings the code contexts held back (see
:mod:`fftlint.engine.contexts`): how many, in which contexts, and how to see them."""

from __future__ import annotations

from collections import Counter
from typing import Dict, Sequence

from fftlint.types import CONTEXTS, FileResult

SHOW = "--contexts all"


def counts(results: Sequence[FileResult]) -> Dict[str, int]:
    """Held-back findings per context, in the canonical context order."""
    found: Counter = Counter()
    for result in results:
        if result.held_back:
            found[result.context or "unknown"] += result.held_back
    order = [c for c in CONTEXTS if c in found] + sorted(c for c in found if c not in CONTEXTS)
    return {c: found[c] for c in order}


def total(results: Sequence[FileResult]) -> int:
    return sum(r.held_back for r in results)


def where(by_context: Dict[str, int]) -> str:
    return ", ".join(f"{c} ({n})" for c, n in by_context.items())


def note(results: Sequence[FileResult], more: bool = False) -> str:
    """``3 findings held back in tests (2), scripts (1): `--contexts all` shows them.``
    (``3 more held back ...`` after a count of shown findings); "" when none were."""
    n = total(results)
    if not n:
        return ""
    head = f"{n} more" if more else f"{n} finding{'s' if n != 1 else ''}"
    return f"{head} held back in {where(counts(results))}: `{SHOW}` shows them."
