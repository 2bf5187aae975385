"""Running many files: cache look-ups in the parent, then the misses in-process (small
runs) or in a process pool (chunked, each worker warmed once).

The parent reads every file once, hashes it and asks the result cache; only misses are
linted. Workers receive the run configuration once (initializer) — with it the project
index, computed once before the pool starts — and then chunks of ``(path, bytes)``.
Results come back in the order of ``files`` whatever the scheduling. Works with the
``fork``, ``forkserver`` and ``spawn`` start methods (``FFTLINT_START_METHOD`` picks one).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Callable, List, Optional, Sequence, Tuple

from fftlint.types import FileResult

if TYPE_CHECKING:  # pragma: no cover
    from fftlint.api import RunConfig
    from fftlint.cache import Cache

#: Below this many bytes to lint, a pool costs more than it saves (pre-commit runs).
MIN_PARALLEL_BYTES = 256 * 1024
#: Files per chunk sent to a worker, at most.
MAX_CHUNK = 16

Progress = Callable[[int], None]  # called with the number of files just finished

_WORKER: Optional[Tuple["RunConfig"]] = None


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))  # type: ignore[attr-defined]
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def read_bytes(path: str) -> Tuple[Optional[bytes], Optional[FileResult]]:
    from fftlint.api import unreadable

    try:
        with open(path, "rb") as fh:
            return fh.read(), None
    except OSError as exc:
        return None, unreadable(path, f"cannot read: {exc.strerror or exc}")


def _lint(path: str, data: bytes, config: "RunConfig") -> FileResult:
    from fftlint.api import lint_bytes

    return lint_bytes(data, path, config)[1]


def _warm() -> None:
    """Load LibCST's parser and node classes once per worker, not in the first file."""
    import libcst

    try:
        libcst.parse_module("async def f(x):\n    with x as y:\n        return [await y async for _ in y]\n")
    except Exception:  # noqa: BLE001 - warming is best effort
        pass


def _init(config: "RunConfig") -> None:
    global _WORKER
    _WORKER = (config,)
    _warm()


def _lint_chunk(chunk: Sequence[Tuple[str, bytes, str]]) -> List[FileResult]:
    assert _WORKER is not None, "worker not initialised"
    config = _WORKER[0]
    return [_lint(path, data, config) for path, data, _ in chunk]


def _chunks(items: Sequence[Tuple[str, bytes, str]], jobs: int) -> List[List[Tuple[str, bytes, str]]]:
    size = max(1, min(MAX_CHUNK, len(items) // (jobs * 8) or 1))
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def _context():  # type: ignore[no-untyped-def]
    import multiprocessing

    method = os.environ.get("FFTLINT_START_METHOD")
    return multiprocessing.get_context(method) if method else multiprocessing.get_context()


def run_files(
    files: Sequence[str],
    config: "RunConfig",
    jobs: int = 1,
    cache: Optional["Cache"] = None,
    progress: Optional[Progress] = None,
) -> List[FileResult]:
    """Lint ``files`` (results in the same order), reusing cached results."""
    from fftlint.api import rules_for

    keys = None
    if cache is not None and cache.enabled:
        from fftlint.cache import ResultKeys

        keys = ResultKeys(config)
    results: List[Optional[FileResult]] = [None] * len(files)
    todo: List[Tuple[int, str, bytes, str]] = []
    for i, path in enumerate(files):
        data, failed = read_bytes(path)
        if data is None:
            results[i] = failed
            continue
        key = ""
        if keys is not None and cache is not None:
            key = keys.key(path, data, rules_for(config, path))
            hit = cache.get_result(key)
            if hit is not None:
                results[i] = hit
                continue
        todo.append((i, path, data, key))
    if progress is not None and len(files) - len(todo):
        progress(len(files) - len(todo))

    total = sum(len(item[2]) for item in todo)
    if jobs <= 1 or len(todo) < 2 or total < MIN_PARALLEL_BYTES:
        for i, path, data, key in todo:
            result = _lint(path, data, config)
            if cache is not None and key:
                cache.put_result(key, result)
            results[i] = result
            if progress is not None:
                progress(1)
    else:
        items = [(path, data, key) for _, path, data, key in todo]
        chunks = _chunks(items, jobs)
        positions = [i for i, _, _, _ in todo]
        done = 0
        with _context().Pool(min(jobs, len(chunks)), initializer=_init, initargs=(config,)) as pool:
            for chunk_result in pool.imap(_lint_chunk, chunks):
                for result in chunk_result:
                    results[positions[done]] = result
                    key = items[done][2]
                    if cache is not None and key:
                        cache.put_result(key, result)
                    done += 1
                if progress is not None:
                    progress(len(chunk_result))
    return [r for r in results if r is not None]
