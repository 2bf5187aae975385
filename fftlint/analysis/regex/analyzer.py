"""``analyze()``: static ReDoS analysis of one pattern for CPython's ``re``."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Optional, Tuple, Union

from . import charset, sre_adapter
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
            budget_ms: int = 200, confirm: bool = False, exclude: str = "") -> RegexReport:
    """Classify the worst-case backtracking time of ``pattern`` under ``mode``.

    ``exclude``: characters the subject is known not to hold (the lines of
    ``s.split("\\n")`` hold no newline); the analysis then only considers subjects made
    of the other characters, so an attack that needs one of them is not found.

    ``confirm=True`` times CPython's ``re`` on the attack (in a child process, about a
    second) when the static result is approximate (``complete=False``) and drops a
    finding that does not reproduce.  Off by default: the lint path stays static.

    Raises :class:`sre_adapter.RegexSyntaxError` when the pattern does not compile.
    """
    report = _analyze_static(pattern, flags, mode, budget_ms, charset.norm((ord(c), ord(c)) for c in exclude))
    if confirm and report.complexity == "unknown" and report.attack is not None:
        from .verify import verify

        v = verify(pattern, flags, report.attack, mode=mode, timeout_s=1.5)
        if v.confirmed and v.growth == "exponential":
            return _with(report, complexity="exponential", cause="ambiguity",
                         note="confirmed by timing CPython's re: " + report.note)
        return report
    if confirm and report.vulnerable and not report.complete:
        from .verify import verify

        v = verify(pattern, flags, report.attack, mode=mode, timeout_s=1.5)
        if not v.confirmed:
            return _with(report, complexity="linear", degree=0, cause="", attack=None,
                         note="approximate finding not reproduced by CPython's re: " + report.note)
        return _with(report, note=report.note + " (confirmed: %s)" % v.growth)
    return report


def _analyze_static(pattern, flags, mode, budget_ms, exclude=()) -> RegexReport:
    if mode not in MODES:
        raise ValueError("mode must be one of %s" % (MODES,))
    t0 = time.perf_counter()
    parsed = sre_adapter.parse(pattern, flags)
    if not parsed.is_bytes:
        charset.warm(parsed.text)
    budget = Budget(budget_ms)
    try:
        report = _analyze(parsed, mode, budget, exclude)
    except (BudgetExceeded, RecursionError) as exc:
        report = RegexReport("unknown", complete=False,
                             note="analysis budget exceeded (%s)" % exc)
    elapsed = (time.perf_counter() - t0) * 1000
    return _with(report, elapsed_ms=elapsed)


def _with(r: RegexReport, **kw) -> RegexReport:
    d = r.__dict__.copy()
    d.update(kw)
    return RegexReport(**d)


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
    prefix = getattr(w, "prefix", None)
    if prefix is None:
        prefix = an.prefix_to(w.start)
    if prefix is None:
        return None
    return Attack(an.word(prefix), an.word(w.pump), an.word(w.suffix or []))


def _prefers_empty(items: list) -> bool:
    """Does the backtracker try the empty match first (lazy skips, empty first
    alternatives, zero-width items)?"""
    for op, av in items:
        if op == "MIN_REPEAT" and av[0] == 0:
            continue
        if op in ("AT", "ASSERT", "ASSERT_NOT"):
            continue
        if op == "SUBPATTERN" and _prefers_empty(av[3]):
            continue
        if op == "BRANCH" and av and _prefers_empty(av[0]):
            continue
        if op in ("MAX_REPEAT", "POSSESSIVE_REPEAT") and av[1] == 0:
            continue
        return False
    return True


def _install_attack_check(an: Analysis, full: Analysis) -> None:
    """Only keep attacks on which the whole pattern fails at position 0: a match
    found early (e.g. by an earlier alternative) ends the search before any
    blow-up."""
    def check(w, pump, z):
        masks = full.prefix_masks(w.start)
        if masks is None:
            return False
        prefixes = list(full._variants(masks)) if masks else [[]]
        if w.start in full.nfa.s0_states:
            # search retry: a leading character that starts no match may help
            prefixes += [[a] for a in full.ab.ordered(full.ab.full)[:6]]
        retry = w.start in full.nfa.s0_states
        for prefix in prefixes:
            # a retry costs only if the attempts at every position fail
            if all(full.fails(prefix + pump * k + z,
                              len(prefix) + k * len(pump) if retry else 0) for k in (1, 2, 3)):
                w.prefix = prefix
                return True
        if retry:
            return False
        # a suffix computed for the whole attempt rather than the loop's continuation
        for prefix in prefixes[:3]:
            z2 = full.suffix_for_attempt(prefix + pump * 3)
            if z2 is not None and all(full.fails(prefix + pump * k + z2) for k in (1, 2, 3, 4)):
                w.prefix = prefix
                w.suffix_override = z2
                return True
        if full.prefers_empty:
            return False
        loop = getattr(w, "loop_states", set())
        for prefix in prefixes:
            if all(full.fails_before(prefix + pump * k + z, loop) for k in (1, 2, 3)):
                w.prefix = prefix
                return True
        return False
    an.accept_attack = check


MAX_EDA_WITNESSES = 12


def _exponential(parsed, an: Analysis, s0c, why: str, complete: bool) -> Optional[RegexReport]:
    for ci in an.loops:
        if ci == s0c or an.atomic_only(ci) or an.from_backref(ci):
            continue
        for k, w in enumerate(an.eda(ci)):
            if k >= MAX_EDA_WITNESSES:
                break
            la = an.nfa.la[w.end]
            w.ctx = la[-1] if la else 0
            w.loop_states = set(an.comps[ci])
            w.suffix = an.rejecting_suffix(w)
            if w.suffix is None:
                continue
            attack = _attack(an, w)
            if attack is None:
                continue
            span = _span_of(parsed, an, ci, outer=True)
            sub = parsed.text[span[0]:span[1]] if span else parsed.text
            return RegexReport(
                "exponential", 0, "ambiguity", attack, span, sub, complete,
                "nested or overlapping repetition %r can match the same text in "
                "exponentially many ways; a failing input such as %r backtracks "
                "through all of them%s" % (sub, attack.build(3), why))
    return None


def _pairs(an: Analysis, validate: Analysis):
    s0 = an.nfa.s0_states
    s0c = an.comp_of[next(iter(s0))] if s0 else None
    pairs = {}
    for c1 in an.loops:
        for c2 in an.loops:
            if c1 <= c2 or c2 == s0c:
                continue  # Tarjan numbers components in reverse topological order
            if an.from_backref(c1) or an.from_backref(c2):
                continue
            if an.atomic_only(c1) and an.atomic_only(c2) and \
                    an.nfa.atomic[an.comps[c1][0]] == an.nfa.atomic[an.comps[c2][0]]:
                continue
            w = an.ida(c1, c2)
            if w is None:
                continue
            w.loop_states = set(an.comps[c1]) | set(an.comps[c2])
            la_p, la_q = an.nfa.la[w.start], an.nfa.la[w.end]
            if c1 != s0c and len(la_q) > len(la_p):
                # the second loop runs inside a lookahead entered from the first:
                # the first loop's own continuation must fail
                w.check_from = w.start
                w.ctx = la_p[-1] if la_p else 0
            else:
                w.ctx = la_q[-1] if la_q else 0
            w.suffix = validate.rejecting_suffix(w)
            if w.suffix is None:
                continue
            pairs[(c1, c2)] = w
    return pairs, s0c


def _longest(pairs, loops, exclude):
    memo = {}

    def chain(c):
        if c in memo:
            return memo[c]
        res = (1, None)
        for (a, b) in pairs:
            if a != c or a == exclude:
                continue
            ln, _ = chain(b)
            if ln + 1 > res[0]:
                res = (ln + 1, (a, b))
        memo[c] = res
        return res
    best = (1, None)
    for c in loops:
        if c == exclude:
            continue
        r = chain(c)
        if r[0] > best[0]:
            best = r
    return best


def _analyze(parsed, mode: str, budget: Budget, exclude=()) -> RegexReport:
    nfa, builder = build_nfa(parsed, mode, budget, exclude)
    an = Analysis(nfa, budget)
    an.prefers_empty = _prefers_empty(parsed.tree)
    _install_attack_check(an, an)
    incomplete = sorted(set(builder.incomplete))
    complete = not incomplete
    why = (" (approximated: %s)" % ", ".join(incomplete)) if incomplete else ""
    text = parsed.text
    s0c = an.comp_of[nfa.s0] if nfa.s0 is not None else None

    if nfa.approximate:
        # exponential only on proven paths (no approximated zero-width item)
        ex = Analysis(nfa, budget, exact=True)
        ex.prefers_empty = an.prefers_empty
        _install_attack_check(ex, an)
        rep = _exponential(parsed, ex, ex.comp_of[nfa.s0] if nfa.s0 is not None else None, why, complete)
        unproven = _exponential(parsed, an, s0c, why, complete) if rep is None else None
    else:
        rep = _exponential(parsed, an, s0c, why, complete)
        unproven = None
    if rep is not None:
        return rep

    # polynomial: pairs of loops on the full graph and on the graph without the
    # back-edges of outer loops (loops nested in an accepting outer loop)
    best = None
    graphs = [an]
    if any(nfa.back.values()):
        red = Analysis(nfa, budget, reduced=True)
        _install_attack_check(red, an)
        graphs.append(red)
    for g in graphs:
        pairs, gs0 = _pairs(g, an)
        if not pairs:
            continue
        deg_all, key_all = _longest(pairs, g.loops, None)
        deg_pat, key_pat = _longest(pairs, g.loops, gs0)
        if deg_pat >= 2:
            cand = (deg_pat >= 2, deg_all, "ambiguity", pairs[key_pat], key_pat, g, gs0)
        else:
            cand = (False, deg_all, "retry", pairs[key_all], key_all, g, gs0)
        if best is None or cand[:2] > best[:2]:
            best = cand
    if best is None:
        if unproven is not None:
            return _with(unproven, complexity="unknown", complete=False,
                         note="possible exponential backtracking only through approximated "
                              "parts (not claimed; analyze(confirm=True) times it)" + why)
        return RegexReport("linear", 0, "", None, None, "", complete,
                           "no ambiguous repetition found" + why)
    _amb, degree, cause, w, key, g, gs0 = best
    attack = _attack(an, w)
    c1, c2 = key
    sp2 = _span_of(parsed, g, c2)
    sp1 = _span_of(parsed, g, c1) if c1 != gs0 else None
    if sp1 and sp2:
        span = (min(sp1[0], sp2[0]), max(sp1[1], sp2[1]))
    else:
        span = sp2 or sp1
    sub = text[span[0]:span[1]] if span else text
    example = attack.build(3) if attack else ""
    if cause == "retry":
        note = ("%r is retried from every start position and scans to the end each "
                "time before failing: O(n^%d) on input such as %r%s"
                % (sub, degree, example, why))
    else:
        note = ("adjacent repetitions in %r can split the same text in polynomially many "
                "ways: O(n^%d) on a failing input such as %r%s" % (sub, degree, example, why))
    return RegexReport("polynomial", degree, cause, attack, span, sub, complete, note)
