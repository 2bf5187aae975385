"""Running many files: cache look-ups in the parent, then the misses in-process (small
runs) or in a process pool (chunked, each worker warmed once).

The parent reads every file once, hashes it and asks the result cache; only misses are
linted. Workers receive the run configuration once (initializer) — with it the project
index, computed once before the pool starts — and then chunks of paths to read and lint.
Largest files are dispatched first; results come back in the order of ``files``. Works with the
``fork``, ``forkserver`` and ``spawn`` start methods (``FFTLINT_START_METHOD`` picks one).
"""

from __future__ import annotations

import gc
import os
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, Iterator, List, Optional, Sequence, Tuple

from fftlint.types import FileResult

if TYPE_CHECKING:  # pragma: no cover
    from fftlint.api import RunConfig
    from fftlint.cache import Cache

#: Below this many bytes to lint, a pool costs more than it saves (pre-commit runs).
MIN_PARALLEL_BYTES = 256 * 1024
#: Files per chunk sent to a worker, at most.
MAX_CHUNK = 16

Progress = Callable[[int], None]  # called with the number of files just finished

#: Peak memory of a worker per byte of the file it lints (LibCST tree, positions, rule
#: state), measured on 1-5 MB modules (bench/large_file.py, bench/RESULTS.md), rounded up.
MEMORY_PER_SOURCE_BYTE = 500
#: A worker's memory before it reads a file (interpreter, LibCST, rules, project index).
WORKER_BASE_MEMORY = 80 * 1024 * 1024
#: Share of the available memory the workers may plan to use together.
MEMORY_SHARE = 0.6

_WORKER: Optional[Tuple["RunConfig", Any]] = None


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))  # type: ignore[attr-defined]
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def available_memory() -> Optional[int]:
    """Bytes of memory available to new work (Linux ``MemAvailable``), or None if unknown."""
    try:
        with open("/proc/meminfo", "rb") as fh:
            for line in fh:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def memory_bounded_jobs(jobs: int, sizes: Sequence[int], available: Optional[int] = None) -> int:
    """Fewer workers when the queued files are large: the largest files are dispatched
    first, one per worker, so they are in memory together. Keeps the estimate of their
    peaks (``WORKER_BASE_MEMORY + MEMORY_PER_SOURCE_BYTE * size`` each) within
    ``MEMORY_SHARE`` of the available memory; always at least one worker."""
    if jobs <= 1:
        return jobs
    if available is None:
        available = available_memory()
    if not available:
        return jobs
    budget = available * MEMORY_SHARE
    total = 0
    workers = 0
    for size in sorted(sizes, reverse=True)[:jobs]:
        need = WORKER_BASE_MEMORY + MEMORY_PER_SOURCE_BYTE * size
        if workers and total + need > budget:
            break
        total += need
        workers += 1
    return max(1, min(jobs, workers or 1))


def skipped_for_size(path: str, size: int, limit: int) -> FileResult:
    from fftlint.config.settings import format_size

    return FileResult(path, skipped=f"{format_size(size)}, above max-file-size ({format_size(limit)})")


def read_bytes(path: str) -> Tuple[Optional[bytes], Optional[FileResult]]:
    from fftlint.api import unreadable

    try:
        with open(path, "rb") as fh:
            return fh.read(), None
    except OSError as exc:
        return None, unreadable(path, f"cannot read: {exc.strerror or exc}")


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic GC paused while one file is linted: a LibCST tree is hundreds of
    thousands of acyclic objects, and generation scans during the parse cost ~15-20% of
    it (more on large files). Whatever cycles a file leaves are collected once the GC
    runs again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _settle() -> None:
    """Collect the young garbage one file left (its cycles), then move what survives out
    of the GC's reach (:func:`gc.freeze`). What survives a file is what the run keeps
    (results, the project's facts of linted modules) or frees by reference counting; left
    in the generations, every later collection would scan it again, ~8% of a
    whole-stdlib run. Only for batch runs: a long-lived process (the language server)
    keeps the ordinary GC."""
    gc.collect(0)
    freeze = getattr(gc, "freeze", None)
    if freeze is not None:
        freeze()


def _lint(path: str, data: bytes, config: "RunConfig") -> FileResult:
    """Lint one file of a batch run with the cyclic GC paused (:func:`gc_paused`), then
    :func:`_settle` what it left."""
    from fftlint.api import lint_bytes

    try:
        with gc_paused():
            return lint_bytes(data, path, config)[1]
    finally:
        if gc.isenabled():
            _settle()


def _freeze() -> None:
    """Move everything alive before linting (modules, rules, the project index) out of
    the GC's reach: later collections scan only what linting allocates."""
    freeze = getattr(gc, "freeze", None)
    if freeze is not None:
        gc.collect()
        freeze()


def _warm() -> None:
    """Load LibCST's parser and node classes once per worker, not in the first file."""
    import libcst

    try:
        libcst.parse_module("async def f(x):\n    with x as y:\n        return [await y async for _ in y]\n")
    except Exception:  # noqa: BLE001 - warming is best effort
        pass


def _init(config: "RunConfig", keys: Any = None) -> None:
    global _WORKER
    _WORKER = (config, keys)
    _warm()
    _freeze()


def _read_and_lint(path: str, config: "RunConfig", keys: Any) -> Tuple[FileResult, str]:
    """Read, key and lint one file; the key describes the bytes actually linted."""
    from fftlint.api import rules_for

    data, failed = read_bytes(path)
    if data is None:
        return failed, ""  # type: ignore[return-value]
    key = keys.key(path, data, rules_for(config, path)) if keys is not None else ""
    return _lint(path, data, config), key


def _lint_chunk(chunk: Sequence[Tuple[int, str, int]]) -> List[Tuple[int, FileResult, str]]:
    assert _WORKER is not None, "worker not initialised"
    config, keys = _WORKER
    out = []
    for i, path, _ in chunk:
        result, key = _read_and_lint(path, config, keys)
        out.append((i, result, key))
    return out


def _chunks(items: Sequence[Tuple[int, str, int]], jobs: int) -> List[List[Tuple[int, str, int]]]:
    """Largest files first (so no big file is left for the end), grouped into chunks of
    about ``total / (jobs * 16)`` bytes and at most MAX_CHUNK files."""
    ordered = sorted(items, key=lambda item: -item[2])
    target = max(1, sum(item[2] for item in items) // (jobs * 16))
    chunks: List[List[Tuple[int, str, int]]] = []
    current: List[Tuple[int, str, int]] = []
    size = 0
    for item in ordered:
        current.append(item)
        size += item[2]
        if size >= target or len(current) >= MAX_CHUNK:
            chunks.append(current)
            current, size = [], 0
    if current:
        chunks.append(current)
    return chunks


def _context():  # type: ignore[no-untyped-def]
    import multiprocessing

    method = os.environ.get("FFTLINT_START_METHOD")
    return multiprocessing.get_context(method) if method else multiprocessing.get_context()


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def run_files(
    files: Sequence[str],
    config: "RunConfig",
    jobs: int = 1,
    cache: Optional["Cache"] = None,
    progress: Optional[Progress] = None,
) -> List[FileResult]:
    """Lint ``files`` (results in the same order), reusing cached results.

    No file's bytes are kept longer than its own lint: one job streams file by file; with
    a pool the parent reads and hashes for the cache look-ups, and the workers re-read
    the misses themselves."""
    from fftlint.api import rules_for

    keys = None
    if cache is not None and cache.enabled:
        from fftlint.cache import ResultKeys

        keys = ResultKeys(config)
    results: List[Optional[FileResult]] = [None] * len(files)

    def lint_here(i: int, path: str, known_miss: bool = False) -> None:
        data, failed = read_bytes(path)
        if data is None:
            results[i] = failed
        else:
            key = keys.key(path, data, rules_for(config, path)) if keys is not None else ""
            hit = cache.get_result(key, keys) if key and cache is not None and not known_miss else None
            if hit is not None:
                results[i] = hit
            else:
                result = _lint(path, data, config)
                if key and cache is not None:
                    cache.put_result(key, result, keys)
                results[i] = result
        if progress is not None:
            progress(1)

    sizes = [_size(p) for p in files]
    limit = config.settings.max_file_size
    if limit:  # too large to lint: reported as skipped, never read
        for i, (path, size) in enumerate(zip(files, sizes)):
            if size > limit:
                results[i] = skipped_for_size(path, size, limit)
                sizes[i] = 0
    if jobs <= 1 or len(files) < 2 or sum(sizes) < MIN_PARALLEL_BYTES:
        if len(files) > 8:
            _freeze()
        for i, path in enumerate(files):
            if results[i] is None:
                lint_here(i, path)
            elif progress is not None:
                progress(1)
        return [r for r in results if r is not None]

    todo: List[Tuple[int, str, int]] = []
    if keys is None:  # nothing to look up: the workers do all the reading
        todo = [(i, path, size) for i, (path, size) in enumerate(zip(files, sizes)) if results[i] is None]
    for i, path in enumerate(files if keys is not None else ()):
        if results[i] is not None:
            continue
        data, failed = read_bytes(path)
        if data is None:
            results[i] = failed
            continue
        if keys is not None and cache is not None:
            hit = cache.get_result(keys.key(path, data, rules_for(config, path)), keys)
            if hit is not None:
                results[i] = hit
                continue
        todo.append((i, path, len(data)))
    if progress is not None and len(files) - len(todo):
        progress(len(files) - len(todo))

    if len(todo) >= 2:
        jobs = memory_bounded_jobs(jobs, [size for _, _, size in todo])
    if jobs <= 1 or len(todo) < 2 or sum(size for _, _, size in todo) < MIN_PARALLEL_BYTES:
        for i, path, _ in todo:
            lint_here(i, path, known_miss=True)
    else:
        chunks = _chunks(todo, jobs)
        _freeze()  # forked workers inherit a frozen heap: their own collections skip it
        with _context().Pool(min(jobs, len(chunks)), initializer=_init, initargs=(config, keys)) as pool:
            for chunk_result in pool.imap_unordered(_lint_chunk, chunks):
                for i, result, key in chunk_result:
                    results[i] = result
                    if cache is not None and key:
                        cache.put_result(key, result, keys)
                if progress is not None:
                    progress(len(chunk_result))
    return [r for r in results if r is not None]
