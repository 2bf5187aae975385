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


def write_in_place(path: str, data: bytes, *, prefix: str = ".fftlint-") -> None:
    """Overwrite ``path`` in place, keeping its inode (so its other hard links see the
    change), its mode and its owner. Not atomic: the old bytes are first copied (and
    fsynced) to a backup beside the file, which is removed once the new bytes are on
    disk -- after a crash mid-write the backup (``.fftlint-*.bak``) still holds them. A
    failed write puts the old bytes back before raising."""
    directory = os.path.dirname(os.path.abspath(path))
    with open(path, "rb") as fh:
        old = fh.read()
    fd, backup = tempfile.mkstemp(prefix=prefix, suffix=".bak", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(old)
            fh.flush()
            os.fsync(fh.fileno())
        fh = open(path, "r+b")
    except BaseException:
        os.unlink(backup)  # nothing was written to the file
        raise
    with fh:
        try:
            fh.write(data)
            fh.truncate()
            fh.flush()
            os.fsync(fh.fileno())
        except BaseException:
            fh.seek(0)
            fh.write(old)  # if this fails too, the backup keeps the old bytes
            fh.truncate()
            fh.flush()
            os.unlink(backup)
            raise
    os.unlink(backup)
