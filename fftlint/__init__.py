"""fftlint: a static-analysis linter for Python performance anti-patterns."""

__version__ = "0.1.0"
