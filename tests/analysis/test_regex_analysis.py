"""Static ReDoS analysis: complexity classes, CPython facts, attacks, spans."""
import re
import sys
import time

import pytest

from fftlint.analysis.regex import RegexSyntaxError, analyze

PY311 = sys.version_info >= (3, 11)


def fails(pattern, flags, attack, n=4, mode="search"):
    """The attack must make the whole match fail (that is what forces backtracking)."""
    return getattr(re.compile(pattern, flags), mode)(attack.build(n)) is None


# ------------------------------------------------------------------ exponential
@pytest.mark.parametrize("pattern", [
    r"(x+)+y",
    r"^(\w+\s?)*$",
    r"(x|xx?)*y",
    r"(?:x+x+)+y",
    r"^(a+?)+?$",                       # lazy quantifiers backtrack the same on failure
    r"(?:ab|a.)*c",                     # common prefix `a` factored, `b|.` still overlap
    r"^(b()*b)*$",                      # one empty iteration of `()*`: two ways per `aa`
    r"(?:a{1,3})+b",                    # bounded repeats are unrolled
    # CVE-2020-8492, CPython urllib.request.AbstractBasicAuthHandler (bpo-39503)
    r"(?:.*,)*[ \t]*([^ \t]+)[ \t]+realm=([\"']?)([^\"']*)\2",
])
def test_exponential(pattern):
    flags = re.I if "realm" in pattern else 0
    rep = analyze(pattern, flags)
    assert rep.complexity == "exponential", rep
    assert rep.cause == "ambiguity"
    assert rep.attack is not None and rep.attack.pump
    assert fails(pattern, flags, rep.attack)


def test_exponential_span_points_at_the_outer_loop():
    rep = analyze(r"x(b+)+y")
    assert rep.span == (1, 6) and rep.subpattern == "(b+)+"
    rep = analyze("(?x) x ( a + ) + y")
    assert rep.subpattern == "( a + ) +"


# ------------------------------------------------------------------ polynomial
def test_polynomial_degree_from_ambiguous_neighbours():
    rep = analyze(r"\d+\.?\d+x", mode="match")
    assert (rep.complexity, rep.degree, rep.cause) == ("polynomial", 2, "ambiguity")
    # search retries at every start: one more factor of n
    assert analyze(r"\d+\.?\d+x").degree == 3
    assert analyze(r"a*a*a*b", mode="match").degree == 3


@pytest.mark.parametrize("pattern, flags", [
    # CVE-2018-1061, CPython difflib.IS_LINE_JUNK (bpo-32981), used with .match
    (r"\s*#?\s*$", 0),
    (r"^\s*,\s*,?\s*$", 0),
])
def test_polynomial_under_match(pattern, flags):
    rep = analyze(pattern, flags, mode="match")
    assert rep.complexity == "polynomial" and rep.cause == "ambiguity" and rep.degree >= 2
    assert fails(pattern, flags, rep.attack, mode="match")


def test_bytes_pattern_cve_2018_1060_poplib_apop():
    # CVE-2018-1060, CPython poplib.POP3.apop (bpo-32981)
    rep = analyze(rb"\+OK.*(<[^>]+>)")
    assert rep.complexity == "polynomial" and rep.attack is not None
    assert re.search(rb"\+OK.*(<[^>]+>)", rep.attack.build(5).encode("latin-1")) is None


def test_retry_only_quadratic_is_search_specific():
    for pattern in (r"[ \t]+$", r"x*y", r"qq+Z"):
        rep = analyze(pattern)
        assert (rep.complexity, rep.degree, rep.cause) == ("polynomial", 2, "retry"), pattern
        assert fails(pattern, 0, rep.attack)
        assert analyze(pattern, mode="match").complexity == "linear"
    assert analyze(r"^\s+$").complexity == "linear"          # anchored: no retry


# ------------------------------------------------------------------ safe look-alikes
@pytest.mark.parametrize("pattern", [
    r"(@\w+)+",                 # the loop is preceded by `#`: unambiguous
    r"(?:[\s\S]+)*(?=$)",      # nothing can make it fail: no rejecting suffix
    r"(x+)+",                   # ditto, the first path succeeds
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
    r"^\s*$",
    r"(\d|0)*\"",               # not exponential: CPython merges `\d|0` into one class
])
def test_not_exponential(pattern):
    rep = analyze(pattern)
    assert rep.complexity != "exponential", rep
    if pattern.startswith(("^", "(@", "(?:[", "(x")):
        assert rep.complexity == "linear", rep


def test_class_merging_is_only_quadratic_by_retry():
    rep = analyze(r'(\d|0)*"')
    assert rep.complexity == "polynomial" and rep.cause == "retry"
    assert analyze(r'(\d|0\d?)*"').complexity == "exponential"


# ------------------------------------------------------------------ flags
def test_ignorecase_folding_creates_overlap():
    assert analyze(r"(?:ab|Ab)*c").complexity != "exponential"
    assert analyze(r"(?:ab|Ab)*c", re.I).complexity == "exponential"
    assert analyze(r"(?i:(?:ab|Ab)*c)").complexity == "exponential"


def test_unicode_vs_ascii_classes():
    assert analyze(r"(?:é\d|\w\d)*!").complexity == "exponential"
    assert analyze(r"(?:é\d|\w\d)*!", re.A).complexity != "exponential"
    assert analyze(rb"(?:\xe9\d|\w\d)*!").complexity != "exponential"


def test_dotall():
    assert analyze(r"(?:.|\n)*!").complexity != "exponential"
    assert analyze(r"(?:.|\n)*!", re.S).complexity == "exponential"


def test_multiline_anchor_allows_retry_after_newlines():
    assert analyze(r"^(?:a|ab)*c\s+$").complexity != "exponential"
    assert analyze(r"^\s+$", re.M).complexity in ("linear", "polynomial")


def test_word_boundary_is_modelled():
    # `\b` between two digits never holds: only one start per digit run
    assert analyze(r"\b\d+x").complexity == "linear"
    assert analyze(r"\d+x").complexity == "polynomial"


# ------------------------------------------------------------------ possessive / atomic
@pytest.mark.skipif(not PY311, reason="possessive quantifiers and atomic groups need Python 3.11+")
def test_possessive_and_atomic_remove_backtracking():
    rep = analyze(r"(x*+)*y")
    assert rep.complexity == "polynomial" and rep.cause == "retry"
    assert analyze(r"(?>a+)+b").complexity != "exponential"
    assert analyze(r"a*+b").cause == "retry"            # still quadratic under search
    assert analyze(r"a*+b", mode="match").complexity == "linear"
    # the alternative outside the possessive part still overlaps
    assert analyze(r"((xx|x*+)y)*z").complexity == "exponential"


# ------------------------------------------------------------------ lookbehinds
@pytest.mark.parametrize("pattern", [
    r"(?<=://)[^/@\s]+@",           # issue 11: a start needs a `/` before it, the run has none
    r"(?<=[=:])\w+;",
    r"(?<=(?:ab|cd))[^bd]+x",         # every alternative ends in a character the run lacks
    r"(?<=a{3})[^a]+x",
    r"(?<![a-z])[a-z]+@",            # one character, negative: already exact
])
def test_a_lookbehind_that_the_repetition_cannot_satisfy_bounds_the_retry(pattern):
    rep = analyze(pattern)
    assert rep.complexity == "linear", rep


@pytest.mark.parametrize("pattern", [
    r"(?<=:)[^/@\s]+@",             # `:` is in the run: every `:` starts a new scan
    r"(?<=x)[^/]+@",
    r"(?<=a:)[^@]+@",                # the last character is in the run (over-approximated)
])
def test_a_lookbehind_the_repetition_can_satisfy_still_retries(pattern):
    rep = analyze(pattern)
    assert (rep.complexity, rep.cause) == ("polynomial", "retry"), rep
    assert fails(pattern, 0, rep.attack)


def test_a_long_lookbehind_is_still_an_approximation():
    assert analyze(r"(?<=://)[^/@\s]+@").complete is False


# ------------------------------------------------------------------ approximations
def test_backreferences_and_lookarounds_are_incomplete_not_exponential():
    rep = analyze(r"^(a+)\1+$")
    assert rep.complete is False and rep.complexity != "exponential"
    rep = analyze(r"(?=(\w+))\1x")
    assert rep.complete is False
    rep = analyze(r"^x+(?=x+)$")          # lookahead re-run by every backtrack of a+
    assert rep.complexity == "polynomial" and rep.complete is False
    assert analyze(r"^x(?=x+x+)$").complexity == "linear"   # body succeeds: atomic


def test_large_bounds_are_approximated():
    rep = analyze(r"(?:a{1,1000})+b")
    assert rep.complete is False


def test_budget_is_respected():
    big = "(" + "|".join("(?:%s+)+" % c * 3 for c in "abcdefghijklmnop") + ")*$"
    t = time.perf_counter()
    rep = analyze(big, budget_ms=20)
    assert (time.perf_counter() - t) < 5.0  # stops near its 20 ms budget; slack for a loaded machine
    assert rep.complexity in ("unknown", "exponential", "polynomial", "linear")
    if rep.complexity == "unknown":
        assert rep.complete is False


def test_invalid_pattern_raises_syntax_error():
    with pytest.raises(RegexSyntaxError):
        analyze("(a")


def test_modes_validated():
    with pytest.raises(ValueError):
        analyze("a", mode="finditer")


def test_fullmatch_turns_missing_rejection_into_vulnerability():
    # no suffix makes `.+` fail after the loop: only the search retry is quadratic
    assert analyze(r"(.*;)+.+").cause == "retry"
    assert analyze(r"(.*;)+.+", mode="fullmatch").complexity == "exponential"


def test_exponential_only_on_proven_paths_and_confirm_times_the_rest():
    # the inexact negative lookahead is approximated: an overlap through it is not claimed
    rep = analyze(r"^(?:x(?!xx)|x)*y")
    assert rep.complexity == "unknown" and rep.complete is False
    assert analyze(r"^(?:x(?!xx)|x)*y", confirm=True).complexity != "exponential"  # CPython: fast
    rep = analyze(r"^(?:(?!xy)x|x)+$")
    assert rep.complexity == "unknown"
    assert analyze(r"^(?:(?!xy)x|x)+$", confirm=True).complexity == "exponential"  # really is
    exact = analyze(r"(x+)+y", confirm=True)      # complete: no child process needed
    assert exact.complexity == "exponential" and exact.complete


def test_budget_counts_steps_so_a_busy_machine_gets_the_same_answer(monkeypatch):
    from fftlint.analysis.regex import automaton

    big = "(" + "|".join("(?:%s+)+" % c * 3 for c in "abcdefghijklmnop") + ")*$"
    quiet = analyze(big, budget_ms=200)
    assert quiet.complexity == "exponential"
    clock = {"t": 0.0}

    def slow_clock():  # every reading of the clock finds 20 ms gone: a starved CPU
        clock["t"] += 0.02
        return clock["t"]

    monkeypatch.setattr(automaton.time, "perf_counter", slow_clock)
    busy = analyze(big, budget_ms=200)
    assert (busy.complexity, busy.complete, busy.attack) == (quiet.complexity, quiet.complete, quiet.attack)
