"""Catastrophic-backtracking (ReDoS) analysis for CPython's ``re`` (issue #3).

    analyze(pattern, flags=0, mode="search", budget_ms=200) -> RegexReport
    verify(pattern, flags, attack, mode="search", timeout_s=2.0) -> Verification
"""
from .analyzer import Attack, RegexReport, analyze
from .sre_adapter import RegexSyntaxError
from .verify import Verification, verify

__all__ = ["Attack", "RegexReport", "RegexSyntaxError", "Verification", "analyze", "verify"]
