"""GitHub's ``primaryLocationLineHash``, computed as github/codeql-action's upload does.

The reference implementation (``src/fingerprints.ts``) is a rolling hash; these tests
check ours against a direct, non-rolling evaluation of the same definition:

* spaces and tabs are skipped, ``\\r\\n`` and ``\\r`` become ``\\n``;
* characters are UTF-16 code units; a 65535 marks the end of the file, then zeros;
* the hash of a line is the polynomial ``sum(c[i] * 37**(99 - i))`` mod 2**64 over the
  100 characters starting with the line's first kept character, printed as unsigned
  lowercase hex, followed by ``:n`` where n counts earlier occurrences of that hex value.
"""

from __future__ import annotations

import pytest

from fftlint.report.fingerprint import line_hashes

MASK = (1 << 64) - 1


def reference(text: str):
    units = []
    prev_cr = False
    starts = []
    line_start = True
    for ch in _utf16(text):
        if ch in (0x20, 0x09) or (prev_cr and ch == 0x0A):
            prev_cr = False
            continue
        if ch == 0x0D:
            ch, prev_cr = 0x0A, True
        else:
            prev_cr = False
        if line_start:
            starts.append(len(units))
            line_start = False
        if ch == 0x0A:
            line_start = True
        units.append(ch)
    if line_start:
        starts.append(len(units))
    units.append(65535)
    units.extend([0] * 100)
    out = {}
    seen = {}
    for number, start in enumerate(starts, 1):
        value = 0
        for i in range(100):
            value += units[start + i] * pow(37, 99 - i)
        hexed = format(value & MASK, "x")
        seen[hexed] = seen.get(hexed, 0) + 1
        out[number] = f"{hexed}:{seen[hexed]}"
    return out


def _utf16(text: str):
    data = text.encode("utf-16-le", "surrogatepass")
    return [data[i] | (data[i + 1] << 8) for i in range(0, len(data), 2)]


def test_empty_file_is_one_line_of_the_eof_marker():
    # By hand: the only line starts at the EOF marker, followed by 99 zeros.
    assert line_hashes("") == {1: format((65535 * 37**99) & MASK, "x") + ":1"}


def test_single_character():
    # By hand: 'a' (97), then the EOF marker, then zeros.
    expected = format((97 * 37**99 + 65535 * 37**98) & MASK, "x")
    assert line_hashes("a") == {1: expected + ":1"}


@pytest.mark.parametrize(
    "text",
    [
        "import time\n\nasync def f():\n    time.sleep(1)\n",
        " a\nb\n  \t\tc\n d",
        "x = 1\r\ny = 2\r\n\r\n",
        "x = 1\ry = 2\r",
        "s = 'h\u00e9llo \U0001f600'\n" * 3,
        "# " + "long line " * 40 + "\nshort\n",
        "\ufeffprint(1)\n",
        "\t\t\n  \n",
    ],
)
def test_matches_the_direct_definition(text):
    assert line_hashes(text) == reference(text)


def test_repeated_lines_are_numbered():
    text = "pass\n" * 30
    hashes = line_hashes(text)
    assert len(hashes) == 31  # 30 lines plus the empty last line
    # Lines far enough from the end of the file see the same 100 characters.
    first = hashes[1].split(":")[0]
    assert hashes[2] == first + ":2" and hashes[3] == first + ":3"
    assert hashes[30].split(":")[0] != first


def test_line_endings_and_indentation_do_not_change_the_hash():
    lf = line_hashes("def f():\n    return 1\n")
    assert line_hashes("def f():\r\n    return 1\r\n") == lf
    assert line_hashes("def f():\r\treturn 1\r") == lf
    assert line_hashes("def f():\n        return 1\n") == lf


def test_astral_characters_count_as_two_code_units():
    # U+1F600 is the surrogate pair D83D DE00 in UTF-16, as JavaScript's charCodeAt sees it.
    expected = format((0xD83D * 37**99 + 0xDE00 * 37**98 + 65535 * 37**97) & MASK, "x")
    assert line_hashes("\U0001f600") == {1: expected + ":1"}
