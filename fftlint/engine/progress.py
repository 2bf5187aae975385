"""A progress bar on stderr for long runs: only on a terminal, only after a short delay,
redrawn at most a few times a second, and erased when the run ends.

The protocol the engine uses: ``begin(total)`` once the file list is known, then
``bar(n)`` as ``n`` more files finish; the caller ``close()``s it.
"""

from __future__ import annotations

import os
import time
from typing import IO, Optional

#: Runs that finish sooner never show a bar.
DELAY = 0.75
REFRESH = 0.1


class ProgressBar:
    def __init__(self, stream: IO[str], total: int = 0, width: Optional[int] = None, delay: float = DELAY) -> None:
        self.total = max(0, total)
        self.done = 0
        self.stream = stream
        self.delay = delay
        self.start = time.monotonic()
        self.last = 0.0
        self.shown = False
        try:
            columns = width or os.get_terminal_size(stream.fileno()).columns
        except (OSError, ValueError, AttributeError):
            columns = 80
        self.width = max(20, min(columns, 100) - 1)

    def begin(self, total: int) -> None:
        self.total = max(0, total)
        self.done = 0
        self.start = time.monotonic()

    def __call__(self, count: int = 1) -> None:
        self.done = min(self.total, self.done + count)
        now = time.monotonic()
        if now - self.start < self.delay or (now - self.last < REFRESH and self.done < self.total):
            return
        self.last = now
        self.draw()

    def line(self) -> str:
        counter = f" {self.done}/{self.total} files"
        bar_width = max(10, self.width - len(counter) - 2)
        filled = int(bar_width * self.done / self.total) if self.total else bar_width
        return "[" + "#" * filled + "." * (bar_width - filled) + "]" + counter

    def draw(self) -> None:
        self.shown = True
        self.stream.write("\r" + self.line())
        self.stream.flush()

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.shown = False


def for_stream(stream: IO[str]) -> Optional[ProgressBar]:
    """A bar when ``stream`` is a terminal (and ``NO_PROGRESS``/CI are not set), else None."""
    if os.environ.get("FFTLINT_NO_PROGRESS") or os.environ.get("CI"):
        return None
    isatty = getattr(stream, "isatty", None)
    try:
        tty = bool(isatty and isatty())
    except (ValueError, OSError):
        tty = False
    return ProgressBar(stream) if tty else None
