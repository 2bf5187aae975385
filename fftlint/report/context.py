"""What a reporter may know about the run besides the results."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple, Type

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
    quiet: bool = False  # -q: findings only, no summary line
    fixed: Tuple[Tuple[str, str, int], ...] = ()  # (path, code, count) fixed by --fix
    version: Optional[str] = None
    _files: Dict[str, Optional["FileText"]] = field(default_factory=dict, repr=False)

    def file_text(self, path: str) -> Optional["FileText"]:
        """The linted text of ``path`` (read lazily, once), or None when unreadable.

        Reporters call this only for results that need it (fix regions, fingerprints):
        a run with no fixable findings reads nothing.
        """
        if path not in self._files:
            self._files[path] = _load(path, self.sources.get(path))
        return self._files[path]


@dataclass(frozen=True)
class FileText:
    text: str  # decoded as the engine decodes it (BOM stripped): offsets refer to this
    raw: Optional[bytes]  # the bytes on disk (None for stdin)

    @property
    def line_starts(self) -> List[int]:
        starts = self.__dict__.get("_starts")
        if starts is None:
            from fftlint.engine.source import line_starts

            starts = line_starts(self.text)
            object.__setattr__(self, "_starts", starts)
        return starts

    def position(self, offset: int) -> Tuple[int, int]:
        """1-based (line, character column) of a character offset into ``text``."""
        offset = max(0, min(offset, len(self.text)))
        starts = self.line_starts
        line = bisect.bisect_right(starts, offset)
        return line, offset - starts[line - 1] + 1


def _load(path: str, text: Optional[str]) -> Optional[FileText]:
    from fftlint.engine.source import SourceError, decode

    raw: Optional[bytes] = None
    if path not in ("-", "<stdin>"):
        try:
            with open(path, "rb") as fh:
                raw = fh.read()
        except OSError:
            raw = None
    if text is None:
        if raw is None:
            return None
        try:
            text = decode(raw, path).text
        except SourceError:
            return None
    elif raw is not None:
        # stdin linted under a real file's name: the bytes on disk are another text.
        try:
            if decode(raw, path).text != text:
                raw = None
        except SourceError:
            raw = None
    return FileText(text, raw)
