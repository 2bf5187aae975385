"""GitHub code scanning's ``partialFingerprints.primaryLocationLineHash``.

Computed exactly as github/codeql-action's SARIF upload computes it when a result has
none (``src/fingerprints.ts``), so that alerts keep their identity across runs whether
or not the upload recomputes it:

* the file is decoded as UTF-8 (invalid bytes become U+FFFD, a BOM is kept) and read
  as UTF-16 code units (JavaScript's ``charCodeAt``);
* spaces and tabs are skipped; ``\\r\\n`` and ``\\r`` count as ``\\n``;
* a rolling polynomial hash (base 37, modulo 2**64) over a window of 100 kept
  characters; the hash of a line is the window that starts at its first kept character;
  a 65535 marks the end of the file and zeros pad the last windows;
* the value is printed as unsigned lowercase hex plus ``:n``, where n numbers the
  occurrences of the same hex value in the file (1 for the first).
"""

from __future__ import annotations

from array import array
import sys
from typing import Dict

BLOCK_SIZE = 100
_MOD = 37
_MASK = (1 << 64) - 1
_FIRST_MOD = pow(_MOD, BLOCK_SIZE, 1 << 64)
_EOF = 65535
_TAB, _SPACE, _LF, _CR = 9, 32, 10, 13


def _code_units(text: str) -> array:
    units = array("H")
    units.frombytes(text.encode("utf-16-le", "surrogatepass"))
    if sys.byteorder == "big":  # pragma: no cover - little-endian machines everywhere we test
        units.byteswap()
    return units


def line_hashes(text: str) -> Dict[int, str]:
    """``{line number (1-based): "hexhash:n"}`` for every line of ``text``."""
    window = [0] * BLOCK_SIZE
    line_numbers = [-1] * BLOCK_SIZE
    out: Dict[int, str] = {}
    counts: Dict[str, int] = {}
    value = 0
    index = 0
    line_number = 0
    line_start = True
    prev_cr = False

    def emit() -> None:
        hexed = format(value, "x")
        counts[hexed] = counts.get(hexed, 0) + 1
        out[line_numbers[index]] = f"{hexed}:{counts[hexed]}"
        line_numbers[index] = -1

    units = _code_units(text)
    units.append(_EOF)
    for current in units:
        if current == _SPACE or current == _TAB or (prev_cr and current == _LF):
            prev_cr = False
            continue
        if current == _CR:
            current = _LF
            prev_cr = True
        else:
            prev_cr = False
        if line_numbers[index] != -1:
            emit()
        if line_start:
            line_start = False
            line_number += 1
            line_numbers[index] = line_number
        if current == _LF:
            line_start = True
        begin = window[index]
        window[index] = current
        value = (_MOD * value + current - _FIRST_MOD * begin) & _MASK
        index = (index + 1) % BLOCK_SIZE
    for _ in range(BLOCK_SIZE):
        if line_numbers[index] != -1:
            emit()
        begin = window[index]
        window[index] = 0
        value = (_MOD * value - _FIRST_MOD * begin) & _MASK
        index = (index + 1) % BLOCK_SIZE
    return out


def file_line_hashes(data: bytes) -> Dict[int, str]:
    """Line hashes of a file's bytes, decoded the way the upload action reads them."""
    return line_hashes(data.decode("utf-8", errors="replace"))
