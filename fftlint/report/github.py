"""``--format github``: GitHub Actions workflow commands (annotations)."""

from __future__ import annotations

import os
from typing import Sequence

from fftlint.paths import display_path
from fftlint.report import held_back
from fftlint.report.context import ReportContext
from fftlint.types import Diagnostic, FileResult

_LEVEL = {"error": "error", "warning": "warning", "note": "notice"}


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def message(diag: Diagnostic) -> str:
    """The finding's message, then its call chain one step a line (``path:line: step``):
    an annotation shows one place, the chain says how the code gets to the problem."""
    if not diag.related:
        return diag.message
    steps = [f"{display_path(s.path).replace(os.sep, '/')}:{s.span.line}: {s.message}" for s in diag.related]
    return diag.message + "\nCall chain:\n" + "\n".join(f"  {i}. {step}" for i, step in enumerate(steps, 1))


def render(results: Sequence[FileResult], ctx: ReportContext) -> str:
    lines = []
    for result in results:
        for d in result.diagnostics:
            props = ",".join(
                [
                    f"file={escape_property(display_path(d.path).replace(os.sep, '/'))}",
                    f"line={d.span.line}",
                    f"col={d.span.column}",
                    f"endLine={d.span.end_line}",
                    f"endColumn={d.span.end_column}",
                    f"title={escape_property(d.code)}",
                ]
            )
            lines.append(f"::{_LEVEL.get(d.severity, 'warning')} {props}::{escape_data(message(d))}")
    note = held_back.note(results)
    if note:  # one notice, not per file: the findings themselves stay out of the PR
        lines.append(f"::notice title=fftlint::{escape_data(note)}")
    return "\n".join(lines) + ("\n" if lines else "")
