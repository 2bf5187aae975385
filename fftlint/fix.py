"""Applying fixes: non-overlapping edits, a re-lint fixpoint, a syntax check, atomic writes."""

from __future__ import annotations

import bisect
import errno
import os
from dataclasses import dataclass
from dataclasses import replace as dc_replace
from typing import Callable, List, Optional, Sequence, Tuple

import libcst as cst

from fftlint.atomic import write_bytes, write_in_place
from fftlint.engine.parallel import gc_paused
from fftlint.engine.source import SourceError, SourceFile, read
from fftlint.types import SAFE, Diagnostic, Edit, FileResult, Fix, Span

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
    """Write next to the file, then rename over it: keeps encoding, BOM and file mode.

    ``path`` is the real file (links resolved by the caller). A file with other hard
    links is rewritten in place instead (a rename would split it from its other names;
    see :func:`fftlint.atomic.write_in_place`). A file that vanished since it was read
    raises ``FileNotFoundError`` rather than being created again."""
    data = source.encode(text)
    st = os.stat(path)
    if st.st_nlink > 1:
        write_in_place(path, data)
    else:
        write_bytes(path, data, mode=st.st_mode & 0o7777, fsync=True)


#: engine code and name for a file ``--fix`` wanted to change but did not write
NOT_WRITTEN = ("FFT005", "fix-not-written")


def not_written(path: str, why: str, severity: str = "error") -> Diagnostic:
    code, name = NOT_WRITTEN
    return Diagnostic(code, name, why, path, Span(1, 1, 1, 1), severity)


def linted_tree(paths: Sequence[str], project_root: Optional[str] = None) -> Tuple[str, ...]:
    """The real directories a run lints: each directory argument, the directory holding
    each file argument, and the project root (the config file's directory) when there is
    one. ``--fix`` writes through a symbolic link only to a target inside them."""
    roots = []
    for path in paths:
        full = os.path.abspath(path)
        roots.append(os.path.realpath(full if os.path.isdir(full) else os.path.dirname(full)))
    if project_root:
        roots.append(os.path.realpath(project_root))
    return tuple(sorted(set(roots)))


def _inside(real: str, roots: Sequence[str]) -> bool:
    return any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


@dataclass
class FixRun:
    """What :func:`fix_files` did: results after fixing (in the order given), the
    ``(path, code)`` of every applied fix, and unified diffs (``diff=True``)."""

    results: List[FileResult]
    fixed: List[Tuple[str, str]]
    diffs: List[Tuple[str, str, str]]  # (path, old text, new text)


def fix_files(
    results: Sequence[FileResult],
    lint: Callable[[str, str], FileResult],
    unsafe: bool,
    roots: Sequence[str],
    diff: bool = False,
) -> FixRun:
    """Fix every file with fixable findings; never stops at one bad file.

    ``lint(text, path)`` lints text as the file at ``path``. Links: a file is fixed
    through its real path (resolved once, so one file reached by two paths is fixed and
    written once; the other paths are re-linted from the new text), symbolic links stay
    links, hard links stay linked. A link whose target is outside ``roots`` is left
    alone and reported (warning). A file that cannot be read back or written (vanished,
    read-only file system, immutable) is reported as an error naming the OS error; the
    other files are still fixed."""
    out: List[FileResult] = []
    fixed: List[Tuple[str, str]] = []
    diffs: List[Tuple[str, str, str]] = []
    done: dict = {}  # real path -> fixed text
    for result in results:
        if not fixable(result.diagnostics, unsafe):
            out.append(result)
            continue
        real = os.path.realpath(result.path)
        if real in done:
            out.append(lint(done[real], result.path) if not diff else result)
            continue
        if not _inside(real, roots):
            note = not_written(
                result.path, f"--fix left this file alone: it is a link to {real}, outside the linted tree", "warning"
            )
            out.append(_with(result, note))
            continue
        try:
            source = read(real)
        except SourceError as exc:
            out.append(_with(result, not_written(result.path, f"--fix could not read the file back: {exc}"), error=True))
            continue
        with gc_paused():  # each round re-lints the whole file, as the first lint did
            outcome = fix_to_fixpoint(source.text, lambda t, p=result.path: lint(t, p), unsafe)
        done[real] = outcome.text
        if outcome.text == source.text:
            out.append(outcome.result)
            continue
        if diff:
            diffs.append((result.path, source.text, outcome.text))
            out.append(result)
            continue
        try:
            write_atomic(real, source, outcome.text)
        except OSError as exc:
            done[real] = source.text
            why = exc.strerror or str(exc)
            errno_name = errno.errorcode.get(exc.errno or 0, "")
            out.append(_with(result, not_written(result.path, f"--fix could not write the file: {why}" + (f" ({errno_name})" if errno_name else "")), error=True))
            continue
        fixed.extend((result.path, d.code) for d in outcome.applied)
        out.append(outcome.result)
    return FixRun(out, fixed, diffs)


def _with(result: FileResult, diag: Diagnostic, error: bool = False) -> FileResult:
    diagnostics = tuple(sorted((*result.diagnostics, diag), key=lambda d: d.sort_key))
    return dc_replace(result, diagnostics=diagnostics, error=result.error or error)
