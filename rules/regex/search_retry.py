"""FFT403: a regex that is quadratic only because `search` retries it at every position."""

from __future__ import annotations

import libcst as cst

from fftlint.engine.contexts import PRODUCTION_AND_SCRIPTS
from fftlint.rule import Invalid, Rule

from ._common import REQUIRES, RegexCallMixin
from ._prefilter import analysis_could_report


class SearchRetryRegex(RegexCallMixin, Rule):
    """## What it does
    Checks for unanchored patterns used with `search`, `findall`, `finditer`, `sub`,
    `subn` or `split` whose single repetition scans to the end of the input and then
    fails, e.g. `\\s+$` or `a*b`: the scan is repeated from every start position, so a
    long run of the repeated character costs O(n^2). Opt-in (`default_enabled =
    False`): the constant is small and many such patterns only ever see short input.

    ## Why is this bad?
    `re.sub(r"\\s+$", "", text)` on a 1 MB string of spaces followed by a letter takes
    about a minute; the same input through the anchored version is instant.

    ## Example
    ```python
    import re

    def rstrip_lines(text):
        return re.sub(r"[ \\t]+$", "", text, flags=re.M)
    ```

    ## Use instead
    Anchor the repetition so that a failed scan is not retried from the next
    character, or use string methods:
    ```python
    def rstrip_lines(text):
        return "\\n".join(line.rstrip(" \\t") for line in text.split("\\n"))
    ```
    (`re.match` does not retry; a lookbehind such as `(?<!\\s)\\s+$` also removes the
    retry.) A lookbehind the repetition cannot satisfy inside its own run -- the `/` of
    `(?<=://)[^/@\\s]+@` -- already bounds the retry, and is not reported. Not followed:
    a lookbehind longer than one character counts only by its last character, so
    `(?<=ab)b+c` is still reported.

    ## Fix safety
    No automatic fix.
    """

    code = "FFT403"
    contexts = PRODUCTION_AND_SCRIPTS  # scripts read files and input too; tests match their own data
    name = "regex-search-retry-quadratic"
    message = "{call} retries `{sub}` from every start position: O(n^{degree}) on e.g. {attack!r}"
    severity = "note"
    default_enabled = False
    requires = REQUIRES

    @classmethod
    def could_match(cls, view) -> bool:  # type: ignore[no-untyped-def]
        return analysis_could_report(view, "polynomial", ("retry",))

    tags = ("performance", "redos")

    VALID = [
        "import re\nre.match(r'\\s+$', s)\n",                 # match does not retry
        "import re\nre.search(r'^\\s+$', s)\n",               # anchored
        "import re\nre.search(r'\\d+', s)\n",                 # never fails after the scan
        "import re\nre.sub(r'(?<!\\s)\\s+$', '', s)\n",
        # a lookbehind the repetition's own characters cannot satisfy: after the first
        # scan fails, the next start is past the run (linear)
        "import re\ndef strip_credentials(url):\n    return re.sub(r'(?<=://)[^/@\\s]+@', '', url)\n",
    ]
    INVALID = [
        Invalid("import re\nre.sub(r'\\s+$', '', s)\n", line=2, message_contains="O(n^2)"),
        Invalid("import re\nre.findall(r'x*y', s)\n"),
        Invalid("import re\nP = re.compile(r'[ \\t]+$', re.M)\n"),
        # the look-alike: `:` is one of the run's characters, every `:` starts a scan
        Invalid("import re\ndef f(s):\n    return re.sub(r'(?<=:)[^/@\\s]+@', '', s)\n", line=3),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        f = self.finding(node)
        if f is not None and f.report.complexity == "polynomial" and f.report.cause == "retry":
            self.report_finding(f)
