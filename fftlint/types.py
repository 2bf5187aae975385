"""Plain, frozen, picklable values that flow from the engine to reporters and the fixer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple

SAFE = "safe"
UNSAFE = "unsafe"

#: Code contexts, in the order messages list them (see :mod:`fftlint.engine.contexts`).
PRODUCTION = "production"
TESTS = "tests"
MIGRATIONS = "migrations"
SCRIPTS = "scripts"
CONTEXTS: Tuple[str, ...] = (PRODUCTION, TESTS, MIGRATIONS, SCRIPTS)


@dataclass(frozen=True)
class Span:
    """A region of a file: 1-based lines, 1-based character columns, end exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Edit:
    """Replace source[start:end] (character offsets) with ``content``.

    ``span``: the same range as 1-based lines and character columns (end exclusive),
    filled in by the engine so that reporters need not have the file's text."""

    start: int
    end: int
    content: str
    span: Optional[Span] = field(default=None, compare=False, hash=False)


@dataclass(frozen=True)
class Fix:
    title: str
    applicability: str  # SAFE or UNSAFE
    edits: Tuple[Edit, ...]


@dataclass(frozen=True)
class Related:
    """Another place that explains a finding: one step of a call chain (the helper
    call in a coroutine, the call inside the helper, the blocking call at the end).
    ``path`` is the file as the run names it; reporters render these as SARIF
    ``relatedLocations`` / ``codeFlows`` and LSP ``relatedInformation``."""

    message: str
    path: str
    span: Span


@dataclass(frozen=True)
class Diagnostic:
    code: str
    name: str
    message: str
    path: str
    span: Span
    severity: str = "warning"  # "error" | "warning" | "note"
    fix: Optional[Fix] = None
    properties: Dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    statement_line: int = 0  # first line of the enclosing statement (suppressions)
    #: the steps that lead to the finding, in order (empty for most rules)
    related: Tuple[Related, ...] = ()
    #: qualified name of the enclosing function or class (``pkg.mod.Class.method``; the
    #: module's name at module level; empty for engine diagnostics)
    scope: str = ""
    #: hash of the normalized source of the flagged statement (its header for a compound
    #: statement): the same wherever the statement moves, whatever its formatting
    #: and comments (:mod:`fftlint.engine.statement`); empty for engine diagnostics
    statement_hash: str = ""

    @property
    def sort_key(self) -> Tuple[str, int, int, str]:
        return (self.path, self.span.line, self.span.column, self.code)


@dataclass(frozen=True)
class FileResult:
    path: str
    diagnostics: Tuple[Diagnostic, ...] = ()
    suppressed: Tuple[Diagnostic, ...] = ()
    error: bool = False  # an internal error (FFT002) happened in this file
    source: Optional[str] = None  # kept only when a fix needs it
    #: project modules the rules consulted for this file (name resolution, chains): the
    #: result cache re-lints the file when one of them changes
    depends: Tuple[str, ...] = ()
    #: why the file was not linted ("" when it was): too large (``max-file-size``), or
    #: marked generated; the CLI counts and reports these, never silently
    skipped: str = ""
    #: the text (without its line break) of each line a diagnostic starts on, for
    #: reporters that show source (``--show-source``); filled in by the engine
    lines: Dict[int, str] = field(default_factory=dict, compare=False, hash=False)
    #: GitHub's ``primaryLocationLineHash`` of each line a diagnostic starts on, when
    #: the run asked for them (SARIF) and the linted text is the file's
    line_hashes: Dict[int, str] = field(default_factory=dict, compare=False, hash=False)
    #: findings a baseline knows (:mod:`fftlint.baseline`): not reported, not failing
    baselined: Tuple[Diagnostic, ...] = ()
    #: the file's code context (production, tests, ...); "" when it was not classified
    context: str = ""
    #: findings left out because their rules do not report in this context by default
    held_back: int = 0
    #: selected rules not run on the file because none of them reports in its context
    #: (they would only have held their findings back); ``--contexts all`` runs them
    unanalysed: int = 0
