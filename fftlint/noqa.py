"""``--add-noqa[=REASON]``: append ``# noqa: CODE`` to the lines with findings (as ruff does).

Where the comment goes: on the finding's first line, or -- when that line ends inside a
string literal or with a backslash continuation, where a comment cannot go -- on the first
line of the finding's statement (a suppression there covers the whole statement, see
:mod:`fftlint.suppress`). A finding with neither is skipped and reported, never written
into a string.

How it merges: a line that already has ``# noqa: E501`` gets ``# noqa: E501, FFT101``; one
with ``# fftlint: ignore[FFT2]`` gets ``# fftlint: ignore[FFT2, FFT101]``; any other comment
keeps its text and gets ``  # noqa: FFT101`` after it. Codes are added once per line, in
order. The reason, when given, follows the codes (``# noqa: FFT101 legacy``).

Only the text changes; the caller writes it back with the file's encoding, BOM and line
endings (:func:`fftlint.fix.write_atomic`). A result that does not parse when the original
did is never returned.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
import warnings
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from fftlint.engine.source import line_starts
from fftlint.suppress import _IGNORE, _NOQA
from fftlint.types import Diagnostic

#: Engine diagnostics a comment cannot (FFT002) or need not (FFT001, FFT004) suppress.
NOT_SUPPRESSIBLE = frozenset({"FFT001", "FFT002", "FFT004"})


@dataclass
class NoqaOutcome:
    text: str
    added: int = 0  # comments written or extended (one per line)
    skipped: List[Tuple[Diagnostic, str]] = field(default_factory=list)  # and why


@dataclass
class _Line:
    end: int  # column where the code ends (the line break, or the comment)
    comment: Optional[str] = None


def _lines(text: str) -> Optional[Dict[int, _Line]]:
    """Lines a comment can be added to: those that end with a (logical or physical)
    line break outside any string, with where their code ends and their comment."""
    out: Dict[int, _Line] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text, newline=None).readline):
            if tok.type == tokenize.COMMENT:
                out[tok.start[0]] = _Line(tok.start[1], tok.string)
            elif tok.type in (tokenize.NEWLINE, tokenize.NL):
                line = tok.start[0]
                if line not in out:
                    out[line] = _Line(tok.start[1])
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    return out


def _parses(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
        return True
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False


def _merged(comment: Optional[str], codes: Sequence[str], reason: Optional[str]) -> Tuple[str, bool]:
    """The comment with ``codes`` added, and whether it was a new ``# noqa``."""
    suffix = f" {reason}" if reason else ""
    if comment is None:
        return f"# noqa: {', '.join(codes)}{suffix}", True
    for pattern in (_IGNORE, _NOQA):
        m = pattern.search(comment)
        if m and m.group("codes") is not None:
            present = {c.strip().upper() for c in re.split(r"[\s,]+", m.group("codes")) if c.strip()}
            new = [c for c in codes if c not in present]
            if not new:
                return comment, False
            at = m.end("codes")
            return comment[:at] + ", " + ", ".join(new) + comment[at:], False
    return f"{comment.rstrip()}  # noqa: {', '.join(codes)}{suffix}", True


def add_noqa(text: str, diagnostics: Sequence[Diagnostic], reason: Optional[str] = None) -> NoqaOutcome:
    reason = " ".join(reason.split()) if reason else None
    wanted = [d for d in diagnostics if d.code not in NOT_SUPPRESSIBLE]
    if not wanted:
        return NoqaOutcome(text)
    lines = _lines(text)
    if lines is None:
        return NoqaOutcome(text, 0, [(d, "the file cannot be tokenized") for d in wanted])
    codes: Dict[int, List[str]] = {}
    skipped: List[Tuple[Diagnostic, str]] = []
    for diag in sorted(wanted, key=lambda d: d.sort_key):
        target = next((ln for ln in (diag.span.line, diag.statement_line) if ln in lines), None)
        if target is None:
            skipped.append((diag, "its line ends inside a string or with a line continuation"))
            continue
        bucket = codes.setdefault(target, [])
        if diag.code not in bucket:
            bucket.append(diag.code)
    starts = line_starts(text)
    new_text = text
    added = 0
    for number in sorted(codes, reverse=True):  # from the end: earlier offsets stay valid
        info = lines[number]
        comment, _ = _merged(info.comment, codes[number], reason)
        if comment == info.comment:
            continue
        begin = starts[number - 1]
        at = begin + info.end
        if info.comment is None:
            code_end = at
            while code_end > begin and new_text[code_end - 1] in " \t":
                code_end -= 1
            prefix = "  " if code_end > begin else ""
            new_text = new_text[:code_end] + prefix + comment + new_text[at:]
        else:
            new_text = new_text[:at] + comment + new_text[at + len(info.comment) :]
        added += 1
    if added and _parses(text) and not _parses(new_text):  # pragma: no cover - defensive
        return NoqaOutcome(text, 0, [(d, "the result would not parse") for d in wanted])
    return NoqaOutcome(new_text, added, skipped)
