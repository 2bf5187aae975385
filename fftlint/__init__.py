"""fftlint: a static-analysis linter for Python performance anti-patterns."""

from fftlint._deferred import defer as _defer

__version__ = "0.1.0"

# LibCST is loaded when a file first needs it (most runs parse few files with it, or none)
_defer("libcst")
