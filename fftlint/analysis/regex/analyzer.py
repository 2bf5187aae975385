"""``analyze()``: static ReDoS analysis of one pattern for CPython's ``re``."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import List, Optional, Tuple, Union

from . import sre_adapter
from .ambiguity import Analysis, Witness
from .automaton import Budget, BudgetExceeded, build_nfa

MODES = ("search", "match", "fullmatch")


@dataclass(frozen=True)
class Attack:
    prefix: str
    pump: str
    suffix: str

    def build(self, n: int) -> str:
        return self.prefix + self.pump * n + self.suffix


@dataclass(frozen=True)
class RegexReport:
    complexity: str                 # "exponential" | "polynomial" | "linear" | "unknown"
    degree: int = 0
    cause: str = ""                 # "ambiguity" | "retry" | ""
    attack: Optional[Attack] = None
    span: Optional[Tuple[int, int]] = None
    subpattern: str = ""
    complete: bool = True
    note: str = ""
    elapsed_ms: float = 0.0

    @property
    def vulnerable(self) -> bool:
        return self.complexity in ("exponential", "polynomial")


def analyze(pattern: Union[str, bytes], flags: int = 0, mode: str = "search",
            budget_ms: int = 200) -> RegexReport:
    """Classify the worst-case backtracking time of ``pattern`` under ``mode``.

    Raises :class:`sre_adapter.RegexSyntaxError` when the pattern does not compile.
    """
    if mode not in MODES:
        raise ValueError("mode must be one of %s" % (MODES,))
    t0 = time.perf_counter()
    parsed = sre_adapter.parse(pattern, flags)
    budget = Budget(budget_ms)
    try:
        report = _analyze(parsed, mode, budget)
    except (BudgetExceeded, RecursionError) as exc:
        report = RegexReport("unknown", complete=False,
                             note="analysis budget exceeded (%s)" % exc)
    elapsed = (time.perf_counter() - t0) * 1000
    return _with(report, elapsed_ms=elapsed)


def _with(r: RegexReport, **kw) -> RegexReport:
    d = r.__dict__.copy()
    d.update(kw)
    return RegexReport(**d)


def _decode(parsed, s: str):
    return s


def _span_of(parsed, an: Analysis, ci: int, outer: bool = False) -> Optional[Tuple[int, int]]:
    reps = [an.nfa.reps[s] for s in an.comps[ci]]
    common: Tuple[int, ...] = reps[0]
    for r in reps[1:]:
        k = 0
        while k < len(common) and k < len(r) and common[k] == r[k]:
            k += 1
        common = common[:k]
    for ordinal in (common if outer else reversed(common)):
        sp = parsed.repeat_spans.get(ordinal)
        if sp is not None:
            return sp
    return None


def _attack(an: Analysis, w: Witness) -> Optional[Attack]:
    prefix = an.prefix_to(w.start)
    if prefix is None:
        return None
    return Attack(an.word(prefix), an.word(w.pump), an.word(w.suffix or []))


def _analyze(parsed, mode: str, budget: Budget) -> RegexReport:
    nfa, builder = build_nfa(parsed, mode, budget)
    an = Analysis(nfa, budget)
    incomplete = sorted(set(builder.incomplete))
    complete = not incomplete
    why = (" (approximated: %s)" % ", ".join(incomplete)) if incomplete else ""
    text = parsed.text
    loops = [ci for ci in an.loops]
    s0c = an.comp_of[nfa.s0] if nfa.s0 is not None else None

    # ---- exponential
    for ci in loops:
        if ci == s0c or an.atomic_only(ci):
            continue
        w = an.eda(ci)
        if w is None:
            continue
        w.suffix = an.rejecting_suffix(w)
        if w.suffix is None:
            continue
        attack = _attack(an, w)
        if attack is None:
            continue
        span = _span_of(parsed, an, ci, outer=True)
        sub = text[span[0]:span[1]] if span else text
        return RegexReport(
            "exponential", 0, "ambiguity", attack, span, sub, complete,
            "nested or overlapping repetition %r can match the same text in "
            "exponentially many ways; a failing input such as %r backtracks "
            "through all of them%s" % (sub, attack.build(3), why))

    # ---- polynomial: pairs of loops, then the longest chain
    order = {ci: ci for ci in range(len(an.comps))}  # Tarjan: reverse topological
    cand = [ci for ci in loops]
    pairs = {}
    for c1 in cand:
        for c2 in cand:
            if c1 == c2 or order[c1] <= order[c2]:
                continue  # c2 must come after c1 (lower reverse-topo index)
            if c2 == s0c:
                continue
            if an.atomic_only(c1) and an.atomic_only(c2) and \
                    an.nfa.atomic[an.comps[c1][0]] == an.nfa.atomic[an.comps[c2][0]]:
                continue
            w = an.ida(c1, c2)
            if w is None:
                continue
            w.suffix = an.rejecting_suffix(w)
            if w.suffix is None:
                continue
            pairs[(c1, c2)] = w
    if not pairs:
        return RegexReport("linear", 0, "", None, None, "", complete,
                           "no ambiguous repetition found" + why)

    def longest(exclude_s0: bool):
        best = {}
        # process in topological order: higher reverse-topo index first
        for c1 in sorted(cand, key=lambda c: -order[c]):
            pass
        memo = {}

        def chain(c):
            if c in memo:
                return memo[c]
            res = (1, None)
            for (a, b), w in pairs.items():
                if a != c or (exclude_s0 and a == s0c):
                    continue
                ln, _ = chain(b)
                if ln + 1 > res[0]:
                    res = (ln + 1, (a, b))
            memo[c] = res
            return res
        for c in cand:
            if exclude_s0 and c == s0c:
                continue
            best[c] = chain(c)
        return max(best.values(), key=lambda x: x[0]) if best else (1, None)

    deg_all, first_all = longest(False)
    deg_pat, first_pat = longest(True)
    if deg_pat >= 2:
        cause = "ambiguity"
        key = first_pat
    else:
        cause = "retry"
        key = first_all
    degree = deg_all
    w = pairs[key]
    attack = _attack(an, w)
    c1, c2 = key
    sp2 = _span_of(parsed, an, c2)
    sp1 = _span_of(parsed, an, c1) if c1 != s0c else None
    if sp1 and sp2:
        span = (min(sp1[0], sp2[0]), max(sp1[1], sp2[1]))
    else:
        span = sp2 or sp1
    sub = text[span[0]:span[1]] if span else text
    if cause == "retry":
        note = ("%r is retried from every start position and scans to the end each "
                "time before failing: O(n^%d) on input such as %r%s"
                % (sub, degree, attack.build(3) if attack else "", why))
    else:
        note = ("adjacent repetitions in %r can split the same text in polynomially many "
                "ways: O(n^%d) on a failing input such as %r%s"
                % (sub, degree, attack.build(3) if attack else "", why))
    return RegexReport("polynomial", degree, cause, attack, span, sub, complete, note)
