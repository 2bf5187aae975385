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


def unanalysed_counts(results: Sequence[FileResult]) -> Dict[str, int]:
    """Files per context that no selected rule read, because none reports there."""
    found: Counter = Counter(r.context or "unknown" for r in results if r.unanalysed)
    order = [c for c in CONTEXTS if c in found] + sorted(c for c in found if c not in CONTEXTS)
    return {c: found[c] for c in order}


def note(results: Sequence[FileResult], more: bool = False) -> str:
    """``3 findings held back in tests (2), scripts (1): `--contexts all` shows them.``
    (``3 more held back ...`` after a count of shown findings), and ``4 files in tests (3),
    migrations (1) not analysed: no selected rule reports there (`--contexts all` analyses
    them).`` for the files skipped by context; "" when neither happened."""
    out = []
    n = total(results)
    if n:
        head = f"{n} more" if more else f"{n} finding{'s' if n != 1 else ''}"
        out.append(f"{head} held back in {where(counts(results))}: `{SHOW}` shows them.")
    files = unanalysed_counts(results)
    if files:
        m = sum(files.values())
        out.append(f"{m} file{'s' if m != 1 else ''} in {where(files)} not analysed: no selected rule reports there (`{SHOW}` analyses them).")
    return " ".join(out)
