"""``--format json``: an array of findings with stable keys (documented in README.md)."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Sequence

from fftlint.api import display_path
from fftlint.report.context import FileText, ReportContext
from fftlint.types import Diagnostic, Edit, FileResult, Fix


def edit_json(edit: Edit, text: Optional[FileText]) -> Dict[str, Any]:
    """``start``/``end``: character offsets into the file's text (BOM excluded);
    ``line``/``column``/``end_line``/``end_column``: the same range, 1-based, end exclusive."""
    out: Dict[str, Any] = {"content": edit.content, "start": edit.start, "end": edit.end}
    if text is not None:
        out["line"], out["column"] = text.position(edit.start)
        out["end_line"], out["end_column"] = text.position(max(edit.start, edit.end))
    return out


def fix_json(fix: Optional[Fix], text: Optional[FileText] = None) -> Optional[Dict[str, Any]]:
    if fix is None:
        return None
    return {
        "title": fix.title,
        "applicability": fix.applicability,
        "edits": [edit_json(e, text) for e in sorted(set(fix.edits), key=lambda e: (e.start, e.end))],
    }


def diagnostic_json(diag: Diagnostic, ctx: Optional[ReportContext] = None) -> Dict[str, Any]:
    text = ctx.file_text(diag.path) if (ctx is not None and diag.fix is not None) else None
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
        "fix": fix_json(diag.fix, text),
        "properties": diag.properties,
    }


def render(results: Sequence[FileResult], ctx: ReportContext) -> str:
    items: List[Dict[str, Any]] = [diagnostic_json(d, ctx) for r in results for d in r.diagnostics]
    return json.dumps(items, indent=2, ensure_ascii=False, default=str) + "\n"
