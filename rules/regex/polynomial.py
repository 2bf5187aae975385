"""FFT402: a regular expression with polynomial backtracking (ambiguous neighbours)."""

from __future__ import annotations

import libcst as cst

from fftlint.engine.contexts import PRODUCTION_AND_SCRIPTS
from fftlint.rule import Invalid, Rule, Valid

from ._common import REQUIRES, RegexCallMixin
from ._prefilter import analysis_could_report


class PolynomialRegex(RegexCallMixin, Rule):
    """## What it does
    Checks for regular expressions where two repetitions next to each other can split
    the same text in many ways (`\\d+\\.?\\d+`, `\\s*#?\\s*$`, `.*(<[^>]+>)`), so a
    failing match costs O(n^2), O(n^3), ... steps in CPython's `re`. The message gives
    the degree (for `search`-like calls one more than for `match`, since every start
    position is tried) and an input that triggers it.

    ## Why is this bad?
    Quadratic or worse matching is a denial-of-service when the input is
    attacker-controlled or merely large: 100 KB of whitespace through
    `\\s*#?\\s*$` (CVE-2018-1061, `difflib`) takes minutes.

    ## Example
    ```python
    import re

    JUNK = re.compile(r"\\s*#?\\s*$")
    ```

    ## Use instead
    Make the neighbours disjoint, or bound the input first:
    ```python
    JUNK = re.compile(r"\\s*(?:#\\s*)?$")
    ```

    ## Fix safety
    No automatic fix: an equivalent unambiguous pattern depends on intent.
    """

    code = "FFT402"
    contexts = PRODUCTION_AND_SCRIPTS  # scripts read files and input too; tests match their own data
    name = "regex-polynomial-backtracking"
    message = "polynomial backtracking in regex (O(n^{degree})): repetitions in `{sub}` can split the same text in many ways; {call} is slow on e.g. {attack!r}"
    severity = "warning"
    requires = REQUIRES

    @classmethod
    def could_match(cls, view) -> bool:  # type: ignore[no-untyped-def]
        return analysis_could_report(view, "polynomial", ("ambiguity",))

    tags = ("security", "redos")

    VALID = [
        "import re\nre.match(r'\\s*(?:#\\s*)?$', line)\n",
        "import re\nre.match(r'^\\d+(?:\\.\\d+)?x$', s)\n",
        "import re\nre.search(r'\\s+$', s)\n",               # search retry only: FFT403
        "import re\nre.compile(r'(x+)+y')\n",                 # exponential: FFT401
        Valid("import re\nre.fullmatch(r'[a-z]+-[0-9]+', s)\n"),
    ]
    INVALID = [
        Invalid("import re\nre.match(r'\\s*#?\\s*$', line)\n", line=2, message_contains="O(n^2)"),
        Invalid("import re\nre.search(r'\\d+\\.?\\d+x', s)\n", message_contains="O(n^3)"),
        Invalid("import poplib, re\nTS = re.compile(br'\\+OK.*(<[^>]+>)')\n"),
        Invalid("import re\ndef f(s):\n    sep = r',\\s*'\n    return re.split(r'\\s*' + sep + r'\\s*;', s)\n"),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        f = self.finding(node)
        if f is not None and f.report.complexity == "polynomial" and f.report.cause == "ambiguity":
            self.report_finding(f)
