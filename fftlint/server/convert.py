"""fftlint's values as LSP values: positions in the negotiated encoding, diagnostics,
text edits. Pure functions of a document's text (no pygls server state).

fftlint counts columns in code points, 1-based, end exclusive; LSP counts 0-based
positions in UTF-16 code units unless client and server agreed on ``utf-8`` or ``utf-32``
(``general.positionEncodings``). A column after an emoji is where the editor shows it.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import List, Optional, Sequence, Tuple
from urllib.parse import unquote, urlparse

from lsprotocol import types as lsp

from fftlint.engine.source import line_starts
from fftlint.types import Diagnostic, Edit, Span

SOURCE = "fftlint"
SEVERITY = {"error": lsp.DiagnosticSeverity.Error, "warning": lsp.DiagnosticSeverity.Warning, "note": lsp.DiagnosticSeverity.Information}


class Text:
    """A document's text with its lines (split as the engine splits them)."""

    def __init__(self, text: str, encoding: str = "utf-16") -> None:
        self.text = text
        self.encoding = str(encoding).lower()
        self.starts = line_starts(text)

    def line(self, number: int) -> str:
        """Line ``number`` (0-based), without its line break."""
        if not 0 <= number < len(self.starts):
            return ""
        end = self.starts[number + 1] if number + 1 < len(self.starts) else len(self.text)
        return self.text[self.starts[number] : end].rstrip("\r\n")

    def units(self, chars: str) -> int:
        if self.encoding == "utf-32":
            return len(chars)
        if self.encoding == "utf-8":
            return len(chars.encode("utf-8", "surrogatepass"))
        return len(chars) + sum(1 for c in chars if ord(c) > 0xFFFF)

    def position(self, line: int, column: int) -> lsp.Position:
        """1-based line and code-point column -> LSP position."""
        number = max(0, line - 1)
        if number >= len(self.starts):  # past the end: the end of the last line
            number = len(self.starts) - 1
            column = len(self.line(number)) + 1
        text = self.line(number)
        return lsp.Position(number, self.units(text[: max(0, column - 1)]))

    def range(self, span: Span) -> lsp.Range:
        start = self.position(span.line, span.column)
        end = self.position(span.end_line, span.end_column)
        if (end.line, end.character) < (start.line, start.character):
            end = start
        return lsp.Range(start, end)

    def column(self, position: lsp.Position) -> Tuple[int, int]:
        """LSP position -> 1-based line and code-point column."""
        text = self.line(position.line)
        units = 0
        for i, ch in enumerate(text):
            if units >= position.character:
                return position.line + 1, i + 1
            units += self.units(ch)
        return position.line + 1, len(text) + 1


def path_of(uri: str) -> Optional[str]:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    path = unquote(parsed.path)
    if os.name == "nt" and path.startswith("/") and len(path) > 2 and path[2] == ":":  # pragma: no cover
        path = path[1:]
    return os.path.normpath(path)


def uri_of(path: str) -> str:
    from pathlib import Path

    return Path(os.path.abspath(path)).as_uri()


@lru_cache(maxsize=None)
def rule_href(code: str) -> Optional[str]:
    from fftlint import registry
    from fftlint.docs import rule_url

    try:
        return rule_url(registry.lookup(code))
    except KeyError:
        return None


def diagnostic(diag: Diagnostic, text: Text, texts_of_others: "OtherTexts") -> lsp.Diagnostic:
    href = rule_href(diag.code)
    related = [
        lsp.DiagnosticRelatedInformation(
            location=lsp.Location(uri_of(step.path), texts_of_others(step.path, text).range(step.span)),
            message=step.message,
        )
        for step in diag.related
    ]
    return lsp.Diagnostic(
        range=text.range(diag.span),
        message=diag.message,
        severity=SEVERITY.get(diag.severity, lsp.DiagnosticSeverity.Warning),
        code=diag.code,
        code_description=lsp.CodeDescription(href=href) if href else None,
        source=SOURCE,
        related_information=related or None,
        data={"name": diag.name, "fixable": diag.fix is not None},
    )


class OtherTexts:
    """Texts of the other files a chain points into (open buffers first, then disk),
    so their positions convert right too; a file that cannot be read converts with
    its lines unknown (columns as code points)."""

    def __init__(self, buffers: Optional[dict] = None) -> None:
        self.buffers = buffers or {}
        self._read: dict = {}

    def __call__(self, path: str, current: Text) -> Text:
        full = os.path.abspath(path)
        if full in self.buffers:
            return Text(self.buffers[full], current.encoding)
        if full not in self._read:
            try:
                with open(full, encoding="utf-8", errors="replace") as fh:
                    self._read[full] = fh.read()
            except OSError:
                self._read[full] = ""
        return Text(self._read[full], current.encoding)


def text_edit(edit: Edit, text: Text) -> lsp.TextEdit:
    if edit.span is not None:
        rng = text.range(edit.span)
    else:
        from fftlint.engine.source import position_of

        start = position_of(text.starts, edit.start)
        end = position_of(text.starts, max(edit.start, edit.end))
        rng = lsp.Range(text.position(*start), text.position(*end))
    return lsp.TextEdit(rng, edit.content)


def text_edits(edits: Sequence[Edit], text: Text) -> List[lsp.TextEdit]:
    return [text_edit(e, text) for e in sorted(set(edits), key=lambda e: (e.start, e.end))]


def replace_text(old: Text, new: str) -> List[lsp.TextEdit]:
    """One edit that turns ``old`` into ``new`` (the changed middle only), or none."""
    a = old.text
    if a == new:
        return []
    prefix = 0
    limit = min(len(a), len(new))
    while prefix < limit and a[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and a[len(a) - 1 - suffix] == new[len(new) - 1 - suffix]:
        suffix += 1
    return [text_edit(Edit(prefix, len(a) - suffix, new[prefix : len(new) - suffix]), old)]


def overlaps(span: Span, rng_start: Tuple[int, int], rng_end: Tuple[int, int]) -> bool:
    """Whether a diagnostic's span touches the (1-based line, column) range asked about."""
    start = (span.line, span.column)
    end = (span.end_line, span.end_column)
    return start <= rng_end and rng_start <= end
