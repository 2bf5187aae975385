"""Inline suppressions.

* ``# fftlint: ignore[FFT101, FFT2]`` or ``# fftlint: ignore`` (every code);
* ``# noqa: FFT101`` or a bare ``# noqa`` (every code); ``# noqa: E501`` names only
  other tools' codes and suppresses nothing of ours;
* ``# fftlint: skip-file`` on a line of its own skips the whole file.

A comment applies to findings on its own line, or anywhere in a statement when it sits
on the statement's first line.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

from fftlint.types import Diagnostic, Span

UNUSED = ("FFT003", "unused-suppression")

_SKIP_FILE = re.compile(r"^[ \t\f]*#[ \t]*fftlint:[ \t]*skip-file\b", re.M)
_IGNORE = re.compile(r"fftlint:[ \t]*ignore\b(?:\[(?P<codes>[^\]]*)\])?", re.I)
_NOQA = re.compile(r"\bnoqa\b(?::[ \t]*(?P<codes>[A-Z]+[0-9]+(?:[ \t]*,?[ \t]*[A-Z]+[0-9]+)*))?", re.I)
_CODE = re.compile(r"[A-Z]+[0-9]*", re.I)


def skip_file(text: str) -> bool:
    return "skip-file" in text and _SKIP_FILE.search(text) is not None


@dataclass
class Comment:
    line: int
    column: int
    codes: Optional[Tuple[str, ...]]  # None: every code
    kind: str  # "fftlint" | "noqa"
    used: Set[str] = field(default_factory=set)

    def matches(self, code: str) -> Optional[str]:
        if self.codes is None:
            return "*"
        for c in self.codes:
            if code == c or code.startswith(c):
                return c
        return None


def _comments(text: str) -> List[Tuple[int, int, str]]:
    out: List[Tuple[int, int, str]] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                out.append((tok.start[0], tok.start[1], tok.string))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        for i, line in enumerate(text.splitlines(), 1):
            pos = line.find("#")
            if pos >= 0:
                out.append((i, pos, line[pos:]))
    return out


def _ours(code: str) -> bool:
    """A code fftlint owns: its own (``FFT...``) or a plugin family's (``ACME101``). A
    ``# noqa: E501`` is another tool's and is never reported unused."""
    if code.startswith("FFT"):
        return True
    from fftlint.registry import family_of

    return family_of(code) is not None


def parse_comment(text: str) -> Optional[Tuple[str, Optional[Tuple[str, ...]]]]:
    m = _IGNORE.search(text)
    if m:
        raw = m.group("codes")
        if raw is None:
            return "fftlint", None
        return "fftlint", tuple(c.upper() for c in _CODE.findall(raw))
    m = _NOQA.search(text)
    if m:
        raw = m.group("codes")
        if raw is None:
            return "noqa", None
        ours = tuple(c.upper() for c in _CODE.findall(raw) if _ours(c.upper()))
        return "noqa", ours
    return None


class Suppressions:
    def __init__(self, comments: List[Comment]) -> None:
        self.by_line: Dict[int, List[Comment]] = {}
        for comment in comments:
            self.by_line.setdefault(comment.line, []).append(comment)

    @classmethod
    def scan(cls, text: str) -> "Suppressions":
        if "noqa" not in text.lower() and "fftlint" not in text:
            return cls([])
        comments = []
        for line, col, raw in _comments(text):
            parsed = parse_comment(raw)
            if parsed is not None:
                kind, codes = parsed
                comments.append(Comment(line, col, codes, kind))
        return cls(comments)

    def covers(self, diag: Diagnostic) -> bool:
        for line in {diag.span.line, diag.statement_line}:
            for comment in self.by_line.get(line, ()):
                hit = comment.matches(diag.code)
                if hit is not None:
                    comment.used.add(hit)
                    return True
        return False

    def unused(self, path: str) -> List[Diagnostic]:
        """FFT003 for our suppressions (or codes in them) that suppressed nothing.

        A bare ``# noqa`` is left alone: it is usually there for another tool.
        """
        out = []
        code, name = UNUSED
        for comments in self.by_line.values():
            for c in comments:
                if c.codes is None:
                    if c.kind == "noqa" or c.used:
                        continue
                    unused = ["all codes"]
                else:
                    unused = [x for x in c.codes if x not in c.used]
                if not unused:
                    continue
                span = Span(c.line, c.column + 1, c.line, c.column + 1)
                msg = f"Unused suppression ({', '.join(unused)}): nothing reported here"
                out.append(Diagnostic(code, name, msg, path, span, "note"))
        return out
