"""What a reporter may know about the run besides the results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Optional, Sequence, Tuple, Type

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
    sources: Dict[str, str] = field(default_factory=dict)  # path -> text, for --show-source
    execution_successful: bool = True
    fixed: Tuple[Tuple[str, str, int], ...] = ()  # (path, code, count) fixed by --fix
    version: Optional[str] = None
