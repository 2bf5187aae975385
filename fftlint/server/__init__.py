"""``fftlint server``: a language server (LSP over stdin/stdout) built on pygls.

pygls is an optional dependency: ``pip install 'fftlint[lsp]'``. The protocol handling is
in :mod:`fftlint.server.app`, the linting state in :mod:`fftlint.server.session`, the
conversions between fftlint's and LSP's values in :mod:`fftlint.server.convert`.
"""

from __future__ import annotations

MISSING = "fftlint server needs pygls: pip install 'fftlint[lsp]'"


def available() -> bool:
    try:
        import lsprotocol  # noqa: F401
        import pygls  # noqa: F401
    except ImportError:
        return False
    return True


def main() -> int:
    """Serve until the client says exit. 2 when pygls is not installed."""
    if not available():
        import sys

        print(f"fftlint: error: {MISSING}", file=sys.stderr)
        return 2
    from fftlint.server.app import serve

    serve()
    return 0
