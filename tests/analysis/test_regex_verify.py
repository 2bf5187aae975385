"""Attack strings really slow CPython's `re` down (measured in a child process)."""
import os
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fftlint.analysis.regex import Attack, analyze, verify


def test_exponential_attack_confirmed():
    rep = analyze(r"^(\w+\s?)*$")
    v = verify(r"^(\w+\s?)*$", 0, rep.attack, timeout_s=3.0)
    assert v.confirmed and v.growth == "exponential"


def test_polynomial_attack_confirmed_with_degree():
    rep = analyze(r"\s*#?\s*$")           # CVE-2018-1061 (difflib), search
    v = verify(r"\s*#?\s*$", 0, rep.attack, timeout_s=3.0)
    assert v.confirmed and v.growth == "polynomial" and v.degree >= 1.6


def test_linear_pattern_not_confirmed():
    v = verify(r"^[a-z]+$", 0, Attack("", "a", "!"), timeout_s=3.0)
    assert not v.confirmed and v.growth == "linear"


def test_bytes_and_match_mode():
    rep = analyze(rb"\s*#?\s*$", mode="match")
    v = verify(rb"\s*#?\s*$", 0, rep.attack, mode="match", timeout_s=3.0)
    if not v.confirmed:  # timings on a loaded machine: measure once more before judging
        v = verify(rb"\s*#?\s*$", 0, rep.attack, mode="match", timeout_s=3.0)
    assert v.confirmed, v.timings[-5:]


def test_no_attack_is_not_confirmed():
    assert verify("a", 0, None).confirmed is False


# -------------------------------------------------------------- property test
ATOMS = ["a", "b", ".", r"\d", r"\w", r"\s", "[ab]", "[^a]", "x"]


def regexes():
    leaf = st.sampled_from(ATOMS)

    def extend(inner):
        quant = st.sampled_from(["*", "+", "?", "{1,3}", "*?", "+?"])
        return st.one_of(
            st.tuples(inner, quant).map(lambda t: "(?:%s)%s" % t),
            st.lists(inner, min_size=2, max_size=3).map("".join),
            st.lists(inner, min_size=2, max_size=3).map(lambda xs: "(?:%s)" % "|".join(xs)),
        )
    body = st.recursive(leaf, extend, max_leaves=6)
    return st.tuples(st.sampled_from(["", "^"]), body, st.sampled_from(["", "$", "!", "a"])).map("".join)


#: the same patterns on every run (a landing gate is never decided by a draw);
#: FFTLINT_FUZZ=1 draws fresh ones
FIXED = not os.environ.get("FFTLINT_FUZZ")


@settings(max_examples=150, derandomize=FIXED, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(regexes())
def test_random_regexes_never_crash_or_overrun(pattern):
    re.compile(pattern)
    rep = analyze(pattern, budget_ms=100)
    assert rep.complexity in ("exponential", "polynomial", "linear", "unknown")
    assert rep.elapsed_ms < 100 + 2000       # the budget holds (slack: a loaded CI machine)
    if rep.complexity in ("exponential", "polynomial"):
        assert rep.attack is not None
        assert rep.degree >= 2 or rep.complexity == "exponential"


_confirmed = {"n": 0}


@settings(max_examples=60, derandomize=FIXED, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(regexes())
def test_every_reported_exponential_attack_is_confirmed(pattern):
    rep = analyze(pattern, budget_ms=100)
    if rep.complexity != "exponential" or _confirmed["n"] >= 6:
        return
    _confirmed["n"] += 1
    v = verify(pattern, 0, rep.attack, timeout_s=2.0)
    assert v.confirmed and v.growth == "exponential", (pattern, rep.attack, v.timings[-5:])


def test_one_inflated_timing_does_not_confirm_growth():
    from fftlint.analysis.regex.verify import _poly_growth

    # a linear pattern's timings on a busy machine: the last size was descheduled, so
    # its last step alone looks like n^2.8; the step before shows no growth
    noisy = [(8192, 5.2e-4), (16384, 1.07e-3), (32768, 1.9e-3), (65536, 3.9e-3), (131072, 2.7e-2)]
    assert _poly_growth(noisy)[0] == "linear"
    quadratic = [(1024, 1.1e-3), (2048, 4.3e-3), (4096, 1.7e-2), (8192, 6.9e-2)]
    growth, degree = _poly_growth(quadratic)
    assert growth == "polynomial" and 1.8 < degree < 2.2
