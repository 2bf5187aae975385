"""``path:line:col: CODE message`` lines (flake8 / ruff concise), then a summary line.

The per-finding line format is a contract with editors' problem matchers::

    ^(.+?):(\\d+):(\\d+): ([A-Z]+[0-9]+) (.*)$
"""

from __future__ import annotations

from collections import Counter
from typing import List, Sequence

from fftlint.paths import display_path
from fftlint.report import held_back
from fftlint.report.context import ReportContext
from fftlint.types import SAFE, Diagnostic, FileResult

PROBLEM_MATCHER = r"^(.+?):(\d+):(\d+): ([A-Z]+[0-9]+) (.*)$"

_BOLD = "\x1b[1m"
_RED = "\x1b[31m"
_CYAN = "\x1b[36m"
_DIM = "\x1b[2m"
_RESET = "\x1b[0m"


def line_for(diag: Diagnostic, color: bool = False) -> str:
    path = display_path(diag.path)
    message = " ".join(diag.message.splitlines())
    if not color:
        return f"{path}:{diag.span.line}:{diag.span.column}: {diag.code} {message}"
    return (
        f"{_BOLD}{path}{_RESET}{_CYAN}:{_RESET}{diag.span.line}{_CYAN}:{_RESET}{diag.span.column}"
        f"{_CYAN}:{_RESET} {_BOLD}{_RED}{diag.code}{_RESET} {message}"
    )


def _source_excerpt(diag: Diagnostic, src: str) -> List[str]:
    width = max(1, (diag.span.end_column - diag.span.column) if diag.span.end_line == diag.span.line else len(src) - diag.span.column + 1)
    return [f"  {diag.span.line:>4} | {src}", "       | " + " " * (diag.span.column - 1) + "^" * width]


def render(results: Sequence[FileResult], ctx: ReportContext) -> str:
    out: List[str] = []
    diagnostics = [d for r in results for d in r.diagnostics]
    for result in results:
        for diag in result.diagnostics:
            out.append(line_for(diag, ctx.color))
            if ctx.show_source and diag.span.line in result.lines:
                out.extend(_source_excerpt(diag, result.lines[diag.span.line]))
    if ctx.show_fixes and ctx.fixed:
        out.append("")
        out.append("Fixed:")
        for path, code, count in ctx.fixed:
            out.append(f"  {display_path(path)}: {code} x{count}")
    if ctx.statistics and diagnostics:
        out.append("")
        counts = Counter((d.code, d.name) for d in diagnostics)
        for (code, name), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            out.append(f"{n:>6}  {code}  {name}")
    if not ctx.quiet:
        out.append(summary(diagnostics, ctx, held_back.note(results, more=bool(diagnostics))))
    return "\n".join(out) + "\n" if out else ""


def summary(diagnostics: Sequence[Diagnostic], ctx: ReportContext, held: str = "") -> str:
    """The last line; ``held`` (what the code contexts held back) follows as a second
    sentence, so nothing disappears silently."""
    fixed = sum(n for _, _, n in ctx.fixed)
    prefix = f"Fixed {fixed} problem{'s' if fixed != 1 else ''}. " if fixed else ""
    suffix = f" {held}" if held else ""
    if not diagnostics:
        if ctx.baselined:
            return prefix + f"All checks passed! ({ctx.baselined} known problem{'s' if ctx.baselined != 1 else ''} in the baseline)" + suffix
        return prefix + "All checks passed!" + suffix
    n = len(diagnostics)
    safe = sum(1 for d in diagnostics if d.fix is not None and d.fix.applicability == SAFE)
    unsafe = sum(1 for d in diagnostics if d.fix is not None and d.fix.applicability != SAFE)
    text = f"{prefix}Found {n} problem{'s' if n != 1 else ''}"
    extra = []
    if safe:
        extra.append(f"{safe} fixable with --fix")
    if unsafe:
        extra.append(f"{unsafe} more with --unsafe-fixes")
    known = f" {ctx.baselined} more in the baseline." if ctx.baselined else ""
    return text + (f" ({', '.join(extra)})." if extra else ".") + known + suffix
