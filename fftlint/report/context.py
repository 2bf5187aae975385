"""What a reporter may know about the run besides the results.

Reporters never read files nor call the engine: what they show of the source comes in
the results (``FileResult.lines``, ``FileResult.line_hashes``, ``Edit.span``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Tuple, Type

from fftlint.rule import Rule


@dataclass
class ReportContext:
    rules: Sequence[Type[Rule]] = ()  # the rules that ran (for SARIF's rule list)
    color: bool = False
    show_source: bool = False
    show_fixes: bool = False
    statistics: bool = False
    unsafe_fixes: bool = False
    root: str = "."  # SARIF %SRCROOT%
    execution_successful: bool = True
    quiet: bool = False  # -q: findings only, no summary line
    fixed: Tuple[Tuple[str, str, int], ...] = ()  # (path, code, count) fixed by --fix
    version: Optional[str] = None
    baselined: int = 0  # findings left out because the baseline has them
