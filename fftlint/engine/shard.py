"""``--shard I/N``: a deterministic split of the file list for CI matrices.

A file belongs to shard ``hash(relative path) mod N`` (1-based on the command line, like
``jest --shard``), with a stable hash of its ``/``-separated path relative to the project
root — the same on every machine and every run, independent of the other files, so the
union of all shards is exactly the unsharded file list.
"""

from __future__ import annotations

import hashlib
import os
from typing import List, Sequence, Tuple


class ShardError(ValueError):
    """A malformed ``I/N``."""


def parse_shard(text: str) -> Tuple[int, int]:
    """``"2/4"`` -> ``(2, 4)``; raises :class:`ShardError` with a readable message."""
    index_text, sep, count_text = text.strip().partition("/")
    try:
        if not sep:
            raise ValueError
        index, count = int(index_text), int(count_text)
    except ValueError:
        raise ShardError(f"--shard expects I/N with whole numbers, like 1/4 (got {text!r})") from None
    if count < 1 or not 1 <= index <= count:
        raise ShardError(f"--shard {text}: I must be between 1 and N, and N at least 1")
    return index, count


def shard_key(path: str, root: str) -> str:
    full = os.path.abspath(path)
    try:
        rel = os.path.relpath(full, os.path.abspath(root))
    except ValueError:  # another drive on Windows
        rel = full
    if rel.startswith(".."):
        rel = full
    return rel.replace(os.sep, "/")


def shard_of(path: str, root: str, count: int) -> int:
    """The 1-based shard a file belongs to."""
    digest = hashlib.blake2b(shard_key(path, root).encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % count + 1


def select(files: Sequence[str], index: int, count: int, root: str) -> List[str]:
    """The files of shard ``index`` of ``count``, in their original order."""
    if count <= 1:
        return list(files)
    return [f for f in files if shard_of(f, root, count) == index]
