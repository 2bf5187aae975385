"""``--format json``: an array of findings with stable keys (documented in README.md)."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Sequence

from fftlint.paths import display_path
from fftlint.report.context import ReportContext
from fftlint.types import Diagnostic, Edit, FileResult, Fix, Related


def edit_json(edit: Edit) -> Dict[str, Any]:
    """``start``/``end``: character offsets into the file's text (BOM excluded);
    ``line``/``column``/``end_line``/``end_column``: the same range, 1-based, end exclusive."""
    out: Dict[str, Any] = {"content": edit.content, "start": edit.start, "end": edit.end}
    if edit.span is not None:
        out["line"], out["column"] = edit.span.line, edit.span.column
        out["end_line"], out["end_column"] = edit.span.end_line, edit.span.end_column
    return out


def fix_json(fix: Optional[Fix]) -> Optional[Dict[str, Any]]:
    if fix is None:
        return None
    return {
        "title": fix.title,
        "applicability": fix.applicability,
        "edits": [edit_json(e) for e in sorted(set(fix.edits), key=lambda e: (e.start, e.end))],
    }


def related_json(step: Related) -> Dict[str, Any]:
    return {
        "message": step.message,
        "filename": display_path(step.path),
        "line": step.span.line,
        "column": step.span.column,
        "end_line": step.span.end_line,
        "end_column": step.span.end_column,
    }


def diagnostic_json(diag: Diagnostic, ctx: Optional[ReportContext] = None) -> Dict[str, Any]:
    return {
        "code": diag.code,
        "name": diag.name,
        "message": diag.message,
        "filename": display_path(diag.path),
        "line": diag.span.line,
        "column": diag.span.column,
        "end_line": diag.span.end_line,
        "end_column": diag.span.end_column,
        "severity": diag.severity,
        "fix": fix_json(diag.fix),
        "properties": diag.properties,
        "related": [related_json(step) for step in diag.related],
    }


def render(results: Sequence[FileResult], ctx: ReportContext) -> str:
    items: List[Dict[str, Any]] = [diagnostic_json(d, ctx) for r in results for d in r.diagnostics]
    return json.dumps(items, indent=2, ensure_ascii=False, default=str) + "\n"
