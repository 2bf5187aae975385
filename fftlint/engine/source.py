"""Reading a Python file's text faithfully: PEP 263 encoding, BOM, newline style.

``--fix`` writes back with the same encoding, BOM and newline style, so reading must
remember them.
"""

from __future__ import annotations

import bisect
import io
import re
import tokenize
from dataclasses import dataclass
from typing import List, Tuple


class SourceError(Exception):
    """The file cannot be read as Python text (I/O error, bad encoding)."""


@dataclass(frozen=True)
class SourceFile:
    text: str  # decoded, BOM stripped, newlines untouched
    encoding: str  # codec name to write back with ("utf-8" for a BOM file too)
    bom: bool
    newline: str  # dominant newline: "\n", "\r\n" or "\r"

    def encode(self, text: str) -> bytes:
        data = text.encode(self.encoding)
        return (b"\xef\xbb\xbf" + data) if self.bom else data


def newline_style(text: str) -> str:
    if "\r" not in text:  # one scan for nearly every file
        return "\n"
    crlf = text.count("\r\n")
    lf = text.count("\n") - crlf
    cr = text.count("\r") - crlf
    if crlf > lf and crlf >= cr:
        return "\r\n"
    if cr > lf:
        return "\r"
    return "\n"


def decode(data: bytes, path: str = "<bytes>") -> SourceFile:
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:  # bad or conflicting coding cookie, or non-UTF-8 first lines
        where = ""
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as bad:  # name the byte, as for an error further down
            where = f": {_short(bad)}"
        raise SourceError(f"cannot decode: {exc}{where}") from None
    if bom:
        data = data[3:]
        encoding = "utf-8"
    if encoding == "utf-8-sig":
        encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise SourceError(f"cannot decode as {encoding}: {_short(exc)}") from None
    return SourceFile(text, encoding, bom, newline_style(text))


def read(path: str) -> SourceFile:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}") from None
    return decode(data, path)


#: Markers of a generated file: Meta's ``@generated``, and ``DO NOT EDIT`` as protoc, Go's
#: ``Code generated ... DO NOT EDIT.`` and many code generators write it (upper case only:
#: a hand-written "do not edit this list by hand" is not a generated file).
GENERATED_MARKERS = ("@generated", "DO NOT EDIT")
#: How far from the top the marker may be: comment lines or the module docstring in the
#: first lines, before any code.
GENERATED_HEAD_LINES = 10


def generated_marker(text: str) -> str:
    """The generated-file marker in a comment or the docstring at the top of ``text``,
    or ``""``."""
    in_docstring = ""
    for line in text[:8192].splitlines()[:GENERATED_HEAD_LINES]:
        stripped = line.strip()
        found = next((m for m in GENERATED_MARKERS if m in line), "")
        if in_docstring:
            if found:
                return found
            if in_docstring in stripped:
                in_docstring = ""
            continue
        if not stripped:
            continue
        if stripped.startswith("#"):
            if found:
                return found
            continue
        body = stripped.lstrip("rRuUbB")
        quote = next((q for q in ('"""', "'''", '"', "'") if body.startswith(q)), "")
        if not quote:
            return ""  # code starts: a marker below it is not a file header
        if found:
            return found
        if len(quote) == 3 and body.count(quote) == 1:
            in_docstring = quote
    return ""


def _short(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        line = exc.object[: exc.start].count(b"\n") + 1
        return f"invalid byte {exc.object[exc.start:exc.start + 1]!r} at offset {exc.start} (line {line})"
    return str(exc)


_NEWLINE = re.compile(r"\r\n|\r|\n")


def line_starts(text: str) -> List[int]:
    """Character offset at which each line (1-based index - 1) starts."""
    return [0] + [m.end() for m in _NEWLINE.finditer(text)]


def offset_of(starts: List[int], line: int, column: int) -> int:
    """Offset of a 1-based line and 0-based character column."""
    return starts[min(line, len(starts)) - 1] + column


def position_of(starts: List[int], offset: int) -> Tuple[int, int]:
    """1-based (line, character column) of a character offset (clamped to the text)."""
    offset = max(0, offset)
    line = bisect.bisect_right(starts, offset)
    return line, offset - starts[line - 1] + 1
