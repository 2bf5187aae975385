"""Catastrophic-backtracking (ReDoS) analysis for CPython's ``re`` (issue #3).

    analyze(pattern, flags=0, mode="search", budget_ms=200) -> RegexReport
    verify(pattern, flags, attack, mode="search", timeout_s=2.0) -> Verification
"""
from .analyzer import Attack, RegexReport, analyze
from .sre_adapter import RegexSyntaxError
from .verify import Verification, verify

__all__ = ["Attack", "RegexReport", "RegexSyntaxError", "Verification", "analyze", "verify",
           "verify_properties"]


def verify_properties(props: dict, timeout_s: float = 2.0) -> Verification:
    """Dynamic check of an FFT401-FFT403 diagnostic from its ``properties`` (what a
    ``--verify-regex`` CLI flag calls): times CPython's ``re`` in a child process."""
    attack = props.get("attack")
    pattern = props.get("pattern")
    if not attack or pattern is None:
        return Verification(False, "unknown")
    if props.get("pattern_is_bytes"):
        pattern = pattern.encode("latin-1")
    return verify(pattern, int(props.get("flags", 0)), Attack(**attack),
                  mode=props.get("mode", "search"), timeout_s=timeout_s)
