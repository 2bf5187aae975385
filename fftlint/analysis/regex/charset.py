"""Character sets as interval lists, CPython's categories, case folding, and the
partition of the alphabet into *atoms* (classes of characters that no set in the
pattern tells apart), so that every label becomes a bit mask."""
from __future__ import annotations

import array
import bisect
import re
from functools import lru_cache
from typing import Dict, Iterable, List, Sequence, Tuple

from .sre_adapter import FLAG_ASCII, FLAG_DOTALL, FLAG_IGNORECASE, FLAG_LOCALE

Intervals = Tuple[Tuple[int, int], ...]   # sorted, disjoint, inclusive

UNICODE_MAX = 0x10FFFF
BYTES_MAX = 0xFF
NEWLINE = 10


def norm(ivs: Iterable[Tuple[int, int]]) -> Intervals:
    out: List[List[int]] = []
    for lo, hi in sorted(ivs):
        if lo > hi:
            continue
        if out and lo <= out[-1][1] + 1:
            if hi > out[-1][1]:
                out[-1][1] = hi
        else:
            out.append([lo, hi])
    return tuple((a, b) for a, b in out)


def complement(ivs: Intervals, top: int) -> Intervals:
    out = []
    prev = 0
    for lo, hi in ivs:
        if lo > prev:
            out.append((prev, lo - 1))
        prev = hi + 1
    if prev <= top:
        out.append((prev, top))
    return tuple(out)


def size(ivs: Intervals) -> int:
    return sum(hi - lo + 1 for lo, hi in ivs)


@lru_cache(maxsize=None)
def _unicode_category(name: str) -> Intervals:
    universe = _universe()
    pat = {"DIGIT": r"\d+", "SPACE": r"\s+", "WORD": r"\w+"}[name]
    return tuple((m.start(), m.end() - 1) for m in re.finditer(pat, universe))


#: no character above this is matched by \d, \s or \w in any supported Python
#: (Unicode 15.1 assigns letters and digits up to U+323AF; tests check this)
CATEGORY_SCAN_MAX = 0x323FF


@lru_cache(maxsize=1)
def _universe() -> str:
    return array.array("I", range(CATEGORY_SCAN_MAX + 1)).tobytes().decode("utf-32-le", "surrogatepass")


def warm(text: str) -> None:
    """Compute the Unicode category tables a pattern needs (a one-time cost
    that should not count against one pattern's analysis budget)."""
    if "\\" not in text:
        return
    for letter, name in (("d", "DIGIT"), ("s", "SPACE"), ("w", "WORD"), ("b", "WORD")):
        if "\\" + letter in text or "\\" + letter.upper() in text:
            _unicode_category(name)


_ASCII = {
    "DIGIT": ((48, 57),),
    "SPACE": norm([(9, 13), (32, 32)]),
    "WORD": norm([(48, 57), (65, 90), (95, 95), (97, 122)]),
}


def category(name: str, flags: int, top: int) -> Intervals:
    """``name`` is CPython's, e.g. ``CATEGORY_NOT_DIGIT``."""
    base = name.replace("CATEGORY_", "")
    negate = base.startswith("NOT_")
    base = base.replace("NOT_", "")
    if base == "LINEBREAK":
        ivs: Intervals = ((NEWLINE, NEWLINE),)
    elif top == BYTES_MAX or flags & (FLAG_ASCII | FLAG_LOCALE):
        ivs = _ASCII[base]
    else:
        ivs = _unicode_category(base)
    return complement(ivs, top) if negate else ivs


_FOLD_LIMIT = 2048


def _variants(c: int, ascii_only: bool, top: int) -> List[int]:
    ch = chr(c)
    out = [c]
    if ascii_only and c > 127:
        return out
    for v in (ch.lower(), ch.upper(), ch.swapcase(), ch.title()):
        if len(v) == 1:
            o = ord(v)
            if o <= top and (not ascii_only or o <= 127):
                out.append(o)
    return out


def fold(ivs: Intervals, flags: int, top: int) -> Intervals:
    """Approximate CPython's IGNORECASE matching of a (positive) set."""
    if not flags & FLAG_IGNORECASE:
        return ivs
    ascii_only = bool(flags & (FLAG_ASCII | FLAG_LOCALE)) or top == BYTES_MAX
    extra: List[Tuple[int, int]] = []
    if size(ivs) <= _FOLD_LIMIT:
        for lo, hi in ivs:
            for c in range(lo, hi + 1):
                for v in _variants(c, ascii_only, top):
                    extra.append((v, v))
    else:  # large sets: fold the ASCII letters only
        for lo, hi in ivs:
            for c in range(max(lo, 65), min(hi, 122) + 1):
                for v in _variants(c, True, top):
                    extra.append((v, v))
    return norm(list(ivs) + extra)


def in_items(items: Sequence[tuple], flags: int, top: int) -> Intervals:
    """Intervals for CPython's ``IN`` item list (LITERAL/RANGE/CATEGORY/NEGATE)."""
    negate = False
    parts: List[Tuple[int, int]] = []
    for op, av in items:
        if op == "NEGATE":
            negate = True
        elif op == "LITERAL":
            parts.append((av, av))
        elif op == "RANGE":
            parts.append((av[0], av[1]))
        elif op == "CATEGORY":
            parts.extend(category(av, flags, top))
    ivs = fold(norm(parts), flags, top)
    return complement(ivs, top) if negate else ivs


def leaf(op: str, av, flags: int, top: int) -> Intervals:
    if op == "LITERAL":
        return fold(((av, av),), flags, top)
    if op == "NOT_LITERAL":
        return complement(fold(((av, av),), flags, top), top)
    if op == "ANY":
        if flags & FLAG_DOTALL:
            return ((0, top),)
        return complement(((NEWLINE, NEWLINE),), top)
    if op == "IN":
        return in_items(av, flags, top)
    raise ValueError(op)


_PREFERRED = (
    "abcdefghijklmnopqrstuvwxyz0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ_-.,;:!@#$%&*+=/\\|'\"<>?()[]{}~`^"
    "\n\t\r\x0b\x0c\x00\xa0\u00e9\u0660"
)


class Alphabet:
    """Partition of the universe into atoms; sets become int bit masks."""

    def __init__(self, sets: Iterable[Intervals], top: int, exclude: Intervals = ()):
        self.top = top
        sets = list(dict.fromkeys(sets))
        bounds = {0, top + 1}
        # characters the subject cannot hold: their cells get no atom (-1), so no set,
        # no attack word and no rejecting suffix can use them
        for lo, hi in exclude:
            bounds.add(lo)
            bounds.add(hi + 1)
        for s in sets:
            for lo, hi in s:
                bounds.add(lo)
                bounds.add(hi + 1)
        self.bounds = sorted(bounds)
        ncell = len(self.bounds) - 1
        sig = [0] * ncell
        for k, s in enumerate(sets):
            bit = 1 << k
            for lo, hi in s:
                a = bisect.bisect_left(self.bounds, lo)
                b = bisect.bisect_left(self.bounds, hi + 1)
                for c in range(a, b):
                    sig[c] |= bit
        atom_of_sig: Dict[int, int] = {}
        self.cell_atom = []
        for c in range(ncell):
            if any(lo <= self.bounds[c] <= hi for lo, hi in exclude):
                self.cell_atom.append(-1)
                continue
            a = atom_of_sig.setdefault(sig[c], len(atom_of_sig))
            self.cell_atom.append(a)
        self.n = len(atom_of_sig)
        self.full = (1 << self.n) - 1
        self.masks: Dict[Intervals, int] = {}
        for s in sets:
            self.masks[s] = self.mask_of(s)
        # representative characters
        self.rep: List[str] = [""] * self.n
        for ch in _PREFERRED:
            o = ord(ch)
            if o > top:
                continue
            a = self.atom_of(o)
            if a >= 0 and not self.rep[a]:
                self.rep[a] = ch
        for c in range(ncell):
            a = self.cell_atom[c]
            if a >= 0 and not self.rep[a]:
                self.rep[a] = chr(self.bounds[c])

    def atom_of(self, cp: int) -> int:
        return self.cell_atom[bisect.bisect_right(self.bounds, cp) - 1]

    def mask_of(self, s: Intervals) -> int:
        m = self.masks.get(s)
        if m is not None:
            return m
        m = 0
        for lo, hi in s:
            a = bisect.bisect_left(self.bounds, lo)
            b = bisect.bisect_left(self.bounds, hi + 1)
            for c in range(a, b):
                if self.cell_atom[c] >= 0:
                    m |= 1 << self.cell_atom[c]
        return m

    def char(self, mask: int) -> str:
        """A representative character of the lowest-preference atom in mask."""
        best = None
        for a in range(self.n):
            if mask >> a & 1:
                ch = self.rep[a]
                score = _PREFERRED.find(ch)
                if score < 0:
                    score = 10_000
                if best is None or score < best[0]:
                    best = (score, ch)
        return best[1] if best else ""

    def ordered(self, mask: int) -> List[int]:
        """Atoms of ``mask``, most readable representative first."""
        def score(a: int) -> int:
            k = _PREFERRED.find(self.rep[a])
            return k if k >= 0 else 10_000 + a
        return sorted((a for a in range(self.n) if mask >> a & 1), key=score)

    def atoms(self, mask: int) -> List[int]:
        return [a for a in range(self.n) if mask >> a & 1]
