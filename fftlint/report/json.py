"""``--format json``: an array of findings with stable keys (documented in README.md)."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Sequence

from fftlint.api import display_path
from fftlint.report.context import ReportContext
from fftlint.types import Diagnostic, FileResult, Fix


def fix_json(fix: Optional[Fix]) -> Optional[Dict[str, Any]]:
    if fix is None:
        return None
    return {
        "title": fix.title,
        "applicability": fix.applicability,
        "edits": [{"start": e.start, "end": e.end, "content": e.content} for e in fix.edits],
    }


def diagnostic_json(diag: Diagnostic) -> Dict[str, Any]:
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
    }


def render(results: Sequence[FileResult], ctx: ReportContext) -> str:
    items: List[Dict[str, Any]] = [diagnostic_json(d) for r in results for d in r.diagnostics]
    return json.dumps(items, indent=2, ensure_ascii=False, default=str) + "\n"
