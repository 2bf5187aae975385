"""FFT401: a regular expression with exponential backtracking."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from fftlint.engine.contexts import PRODUCTION_AND_SCRIPTS
from fftlint.rule import FixSpec, Invalid, Rule, Valid, replace

from ._common import REQUIRES, Finding, RegexCallMixin, redundant_nesting_fix
from ._prefilter import analysis_could_report


class ExponentialRegex(RegexCallMixin, Rule):
    """## What it does
    Checks for regular expressions that CPython's `re` can take exponential time to
    reject: a repetition that can match the same text in two different ways, such as a
    nested quantifier `(a+)+` or overlapping alternatives `(a|ab?)*`, followed by
    something that can fail. The pattern is analysed statically (`re.compile`,
    `re.search`, `re.match`, `re.fullmatch`, `re.findall`, `re.finditer`, `re.sub`,
    `re.subn`, `re.split`, the `regex` package, Django `re_path` and `RegexValidator`),
    with the call's flags and matching mode.

    ## Why is this bad?
    Each extra repetition of the ambiguous part doubles the work: a few dozen
    characters of crafted (or just unlucky) input keep a worker busy for minutes.
    This is a denial-of-service (ReDoS, CWE-1333). The message shows an input that
    triggers it; its `attack` property (SARIF) holds `prefix + pump * n + suffix`.

    ## Example
    ```python
    import re

    EMAIL = re.compile(r"^([a-zA-Z0-9])(([\\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+[.]{1}(([a-z]{2,3})|([a-z]{2,3}[.]{1}[a-z]{2,3}))$")
    ```

    ## Use instead
    Make every piece of text matchable in only one way, e.g. by letting the inner
    repetition start with a character the outer one cannot:
    ```python
    EMAIL = re.compile(r"^[a-zA-Z0-9]+(?:[-._][a-zA-Z0-9]+)*@[a-z0-9]+(?:\\.[a-z]{2,3}){1,2}$")
    ```
    On Python 3.11+, possessive quantifiers (`a++`) and atomic groups (`(?>...)`)
    also remove the backtracking.

    ## Fix safety
    A fix is offered only for a redundant nesting of one repeated character or class,
    `(?:a+)+` -> `a+` (also `*` variants): it matches the same strings and finds the
    same greedy match, so it is safe. Other findings need a human rewrite.
    """

    code = "FFT401"
    contexts = PRODUCTION_AND_SCRIPTS  # scripts read files and input too; tests match their own data
    name = "regex-exponential-backtracking"
    message = "exponential backtracking in regex: `{sub}` can match the same text in many ways; {call} is very slow on e.g. {attack!r}"
    fix_title = "Remove the redundant nested quantifier"
    severity = "error"
    requires = REQUIRES

    @classmethod
    def could_match(cls, view) -> bool:  # type: ignore[no-untyped-def]
        return analysis_could_report(view, "exponential")

    tags = ("security", "redos")

    VALID = [
        "import re\nre.compile(r'^[a-z0-9]+(?:-[a-z0-9]+)*$')\n",
        "import re\nre.search(r'(x+)+')\n",                      # nothing can make it fail
        "import re\nre.search(r'(\\d|0)*\"')\n",                  # CPython merges \\d|0 into one class
        "import re\ndef f(p, s):\n    return re.search(p + '(x+)+y', s)\n",  # not static: skipped
        "import re\nre.compile(r'(?:ab|Ab)*c')\n",
        "import os\nos.path.join(r'(x+)+y')\n",
        Valid("from re import compile as c\nc(r'^(?:ab)+$')\n"),
    ]
    INVALID = [
        Invalid("import re\nre.compile(r'(x+)+y')\n", line=2, message_contains="(x+)+"),
        Invalid("import re\nre.compile(r'(?:x+)+y')\n", fixed="import re\nre.compile(r'x+y')\n"),
        Invalid("import re\nWORDS = r'^(\\w+\\s?)*$'\n\ndef check(s):\n    return re.match(WORDS, s)\n", line=2),
        Invalid("import re\ndef f(s):\n    pat = (r'^prefix'\n           r'(?:x|xy?)*z')\n    return re.findall(pat, s)\n", line=4),
        Invalid("import re\nre.search('(?:ab|Ab)*c', 'x', re.I | re.M)\n", line=2),
        Invalid("import re\nre.sub(pattern=r'(?i)(?:ab|Ab)*c', repl='', string='s')\n"),
        Invalid("import re\nre.compile(rb'(?:\\d*)+x')\n", fixed="import re\nre.compile(rb'\\d*x')\n"),
        Invalid("import regex\nregex.search(r'(?:.*,)*[ \\t]*realm=', '')\n"),
        Invalid("from django.urls import re_path\nurlpatterns = [re_path(r'^(?:[a-z]+/?)*$', view)]\n"),
        Invalid("from django.core.validators import RegexValidator\nv = RegexValidator(regex=r'^(\\w+\\s?)*$')\n"),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        f = self.finding(node)
        if f is not None and f.report.complexity == "exponential":
            self.report_finding(f)

    def make_fix(self, f: Finding, lit: cst.SimpleString) -> Optional[FixSpec]:
        rep = f.report
        if rep.span is None or len(f.pattern.pieces) != 1:
            return None
        new_sub = redundant_nesting_fix(rep.subpattern)
        if new_sub is None:
            return None
        piece = f.pattern.pieces[0]
        s, e = rep.span
        idx = piece.src_index
        # the sub-pattern must be written 1:1 in the source (no escapes to re-encode)
        if e > len(idx) or idx[e - 1] - idx[s] + 1 != e - s:
            return None
        src = lit.value
        new_src = src[:idx[s]] + new_sub + src[idx[e - 1] + 1:]
        return replace(lit, new_src, title=self.fix_title)
