"""The identity of a flagged statement that survives edits elsewhere: a hash of its
normalized source.

Normalized means: whitespace, comments and backslash line continuations outside string
literals are dropped; string literals are kept as written. So re-indenting, reflowing,
adding a comment (or a ``# noqa``) or moving the statement leaves the hash unchanged;
changing what it does changes it. The scan is this module's own (not ``tokenize``, whose
tokens differ between Python versions for f-strings), so a hash written on one Python
matches on another. Baselines store these hashes: changing the normalization
invalidates every baseline, so it is versioned (:data:`VERSION`).
"""

from __future__ import annotations

import hashlib
from typing import Iterable, List

VERSION = 1


def normalize(text: str) -> str:
    out: List[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in " \t\f\r\n":
            i += 1
        elif ch == "\\" and i + 1 < n and text[i + 1] in "\r\n":
            i += 2
        elif ch == "#":
            while i < n and text[i] not in "\r\n":
                i += 1
        elif ch in "'\"":
            end = _string_end(text, i)
            out.append(text[i:end])
            i = end
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _string_end(text: str, i: int) -> int:
    """Index after the string literal whose opening quote is at ``i`` (the end of the
    text for an unterminated one). Escapes are skipped in every kind of literal (a raw
    string cannot end with an odd backslash either)."""
    quote = text[i]
    triple = text.startswith(quote * 3, i)
    delim = quote * 3 if triple else quote
    j = i + len(delim)
    n = len(text)
    while j < n:
        ch = text[j]
        if ch == "\\":
            j += 2
            continue
        if not triple and ch in "\r\n":
            return j  # unterminated single-quoted string: stop at the line end
        if text.startswith(delim, j):
            return j + len(delim)
        j += 1
    return n


def statement_hash(text: str) -> str:
    """16 hex digits identifying the normalized ``text``."""
    return hashlib.blake2b(normalize(text).encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def lines_text(text: str, starts: List[int], lines: Iterable[int]) -> str:
    """The source of the given 1-based lines, in order, each with its line break."""
    out = []
    count = len(starts)
    for line in sorted(set(lines)):
        if 1 <= line <= count:
            end = starts[line] if line < count else len(text)
            out.append(text[starts[line - 1] : end])
    return "".join(out)
