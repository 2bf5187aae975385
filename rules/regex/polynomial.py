"""FFT402: a regular expression with polynomial backtracking (ambiguous neighbours)."""

from __future__ import annotations

import libcst as cst

from fftlint.engine.contexts import PRODUCTION_AND_SCRIPTS
from fftlint.rule import Invalid, Rule, Valid

from typing import TYPE_CHECKING

from ._common import REQUIRES, Finding, RegexCallMixin, cached_analysis
from ._prefilter import analysis_could_report
from ._subjects import TRUSTED, excluded_text, file_index, subject_uses

if TYPE_CHECKING:  # pragma: no cover - the analyser is imported on first use only
    from fftlint.analysis.regex import RegexReport


class PolynomialRegex(RegexCallMixin, Rule):
    """## What it does
    Checks for regular expressions where two repetitions next to each other can split
    the same text in many ways (`\\d+\\.?\\d+`, `\\s*#?\\s*$`, `.*(<[^>]+>)`), so a
    failing match costs O(n^2), O(n^3), ... steps in CPython's `re`. The message gives
    the degree (for `search`-like calls one more than for `match`, since every start
    position is tried) and an input that triggers it.

    Input is followed: a pattern literal is silent when every place it is matched is shown safe: the
    subject is a constant or a value the interpreter or the deployment provides
    (`sqlite3.sqlite_version`, `sys.version`, `platform.*()`, Django's `settings.X`, a
    field of a pydantic-settings model: an attribute of an object that is, on every path,
    an instance of a `BaseSettings` subclass, through the project's own base classes, or
    the value a field validator of such a model receives -- a plain pydantic
    `BaseModel`, such as a request body, is not configuration), or
    it cannot hold a character every slow input needs -- an item of `s.split("\\n")` /
    `s.splitlines()` / `s.split()` (without `maxsplit`), where the analysis is run again
    for subjects without those characters. The literal is followed into
    `re.match(P, s)`-style calls, `re.compile(P).match(s)`, and a compiled pattern bound
    to a local, a private module name or a class attribute (read as `self.X` / `cls.X`);
    a subject name through its assignments and `for` targets in the function, and a
    parameter of a private module-level function through the arguments of its calls in
    the file; a parameter of any other function (a method, a classmethod, a public or
    `functools.cache`-d function) through every call of it in the project, in any module
    (the value is trusted only when every caller passes a trusted value: a literal, a
    setting, a `configparser` value, a default; a function handed on as a value has
    callers nobody knows). Any other use (a public module name, a pattern passed on or
    returned, a subject from elsewhere) is reported as before.

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
        if f is not None and _polynomial(f.report) and not self._inputs_are_safe(f):
            self.report_finding(f)

    def _inputs_are_safe(self, f: Finding) -> bool:
        """Every use of the literal matches a subject that cannot carry the attack."""
        facts = self.ctx.names.facts
        if not f.literal or facts is None:
            return False
        index = self.ctx.shared(("FFT4", "subjects-index"), lambda: file_index(facts.tree, facts, self.ctx.names.project))
        uses = self.ctx.shared(("FFT4", "subjects", f.pattern.value), lambda: subject_uses(facts.tree, f.pattern.value, index))
        if uses is None:
            return False
        for subject, mode in uses:
            if subject is None:
                return False
            if subject == TRUSTED:
                continue
            report = cached_analysis(f.pattern.value, f.flags, mode, excluded_text(subject))  # type: ignore[arg-type]
            if report is None or _polynomial(report):
                return False
        return True


def _polynomial(report: RegexReport) -> bool:
    return report.complexity == "polynomial" and report.cause == "ambiguity"
