"""Atomic file writes: write a temporary file beside the target, then rename over it.

Used by ``--fix`` (source files: fsync, keep the file mode) and the result cache.
"""

from __future__ import annotations

import os
import tempfile
from typing import Optional


def write_bytes(path: str, data: bytes, *, mode: Optional[int] = None, fsync: bool = False, prefix: str = ".fftlint-") -> None:
    """Replace ``path`` with ``data`` so readers see the old or the new file, never half."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
