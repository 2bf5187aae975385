"""Applying fixes: non-overlapping edits, a re-lint fixpoint, a syntax check, atomic writes."""

from __future__ import annotations

import bisect
import os
from dataclasses import dataclass
from typing import Callable, List, Sequence, Tuple

import libcst as cst

from fftlint.atomic import write_bytes
from fftlint.engine.source import SourceFile
from fftlint.types import SAFE, Diagnostic, Edit, FileResult, Fix

MAX_ITERATIONS = 10


def wanted(fix: Fix, unsafe: bool) -> bool:
    return fix.applicability == SAFE or unsafe


def fixable(diagnostics: Sequence[Diagnostic], unsafe: bool) -> List[Diagnostic]:
    return [d for d in diagnostics if d.fix is not None and wanted(d.fix, unsafe)]


def _overlaps(a: Edit, b: Edit) -> bool:
    if a == b:
        return False  # the same edit (e.g. the same import) requested by two fixes
    if a.start == a.end == b.start == b.end:
        return False  # two insertions at one point: both apply, in order
    return a.start < b.end and b.start < a.end


class _Taken:
    """The edits of the fixes chosen so far, sorted, with an overlap test in O(log n)
    (plus the few neighbours it touches) instead of a scan of every chosen edit: 8,000
    fixes in one file made the pairwise test the slowest part of ``--fix``.

    Chosen edits never overlap each other (that is what choosing means), so sorted by
    start their ends are sorted too: scanning left from the last edit that starts before
    ``edit`` ends, the first one that ends at or before ``edit`` starts ends the search.
    A fix's own edits are expected not to overlap one another (the engine builds them from
    distinct nodes plus one import insertion)."""

    def __init__(self) -> None:
        self.keys: List[Tuple[int, int]] = []
        self.edits: List[Edit] = []
        self.seen: set = set()

    def overlaps(self, edit: Edit) -> bool:
        i = bisect.bisect_left(self.keys, (edit.end, -1))  # every edit before i starts before edit.end
        for j in range(i - 1, -1, -1):
            taken = self.edits[j]
            if taken.end <= edit.start and taken.start < edit.start:
                return False
            if _overlaps(edit, taken):
                return True
        return False

    def add(self, edit: Edit) -> None:
        if edit in self.seen:
            return
        self.seen.add(edit)
        i = bisect.bisect_right(self.keys, (edit.start, edit.end))
        self.keys.insert(i, (edit.start, edit.end))
        self.edits.insert(i, edit)


def choose(diagnostics: Sequence[Diagnostic], unsafe: bool) -> List[Diagnostic]:
    """Fixes to apply together: in source order, skipping any that overlap a chosen one."""
    chosen: List[Diagnostic] = []
    taken = _Taken()
    for diag in sorted(fixable(diagnostics, unsafe), key=lambda d: (d.fix.edits[0].start if d.fix.edits else 0)):  # type: ignore[union-attr]
        edits = diag.fix.edits  # type: ignore[union-attr]
        if any(taken.overlaps(e) for e in edits):
            continue
        chosen.append(diag)
        for e in edits:
            taken.add(e)
    return chosen


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    unique = sorted(set(edits), key=lambda e: (e.start, e.end))
    out: List[str] = []
    pos = 0
    for edit in unique:
        if edit.start < pos:  # overlapping duplicates were filtered; be defensive
            continue
        out.append(text[pos : edit.start])
        out.append(edit.content)
        pos = edit.end
    out.append(text[pos:])
    return "".join(out)


def parses(text: str) -> bool:
    try:
        cst.parse_module(text)
        return True
    except Exception:  # noqa: BLE001 - any parser failure means "does not parse"
        return False


def apply_once(text: str, diagnostics: Sequence[Diagnostic], unsafe: bool) -> Tuple[str, List[Diagnostic]]:
    """Apply all compatible fixes; drop fixes whose result does not parse."""
    chosen = choose(diagnostics, unsafe)
    if not chosen:
        return text, []
    new = apply_edits(text, [e for d in chosen for e in d.fix.edits])  # type: ignore[union-attr]
    if parses(new):
        return new, chosen
    applied: List[Diagnostic] = []
    current = text
    for diag in reversed(chosen):  # later edits first keeps earlier offsets valid
        candidate = apply_edits(current, diag.fix.edits)  # type: ignore[union-attr]
        if parses(candidate):
            current = candidate
            applied.append(diag)
    return current, applied


@dataclass
class FixOutcome:
    text: str
    applied: List[Diagnostic]
    result: FileResult  # diagnostics that remain after fixing


def fix_to_fixpoint(
    text: str, lint: Callable[[str], FileResult], unsafe: bool = False
) -> FixOutcome:
    """Lint, fix, re-lint until nothing more is fixable (at most MAX_ITERATIONS rounds)."""
    applied: List[Diagnostic] = []
    result = lint(text)
    for _ in range(MAX_ITERATIONS):
        new, done = apply_once(text, result.diagnostics, unsafe)
        if not done or new == text:
            break
        applied.extend(done)
        text = new
        result = lint(text)
    return FixOutcome(text, applied, result)


def write_atomic(path: str, source: SourceFile, text: str) -> None:
    """Write next to the file, then rename over it: keeps encoding, BOM and file mode."""
    data = source.encode(text)
    try:
        mode = os.stat(path).st_mode & 0o7777
    except OSError:
        mode = None
    write_bytes(path, data, mode=mode, fsync=True)
