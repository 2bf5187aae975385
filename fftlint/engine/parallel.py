"""Running many files: in-process for one job, a process pool with chunks for more."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, List, Sequence

from fftlint.types import FileResult

if TYPE_CHECKING:  # pragma: no cover
    from fftlint.api import RunConfig

_CONFIG = None


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))  # type: ignore[attr-defined]
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _init(config: "RunConfig") -> None:
    global _CONFIG
    _CONFIG = config


def _lint_chunk(paths: Sequence[str]) -> List[FileResult]:
    from fftlint.api import lint_file

    return [lint_file(p, _CONFIG) for p in paths]  # type: ignore[arg-type]


def run_files(files: Sequence[str], config: "RunConfig", jobs: int = 1) -> List[FileResult]:
    from fftlint.api import lint_file

    if jobs <= 1 or len(files) < 2:
        return [lint_file(p, config) for p in files]
    size = max(1, min(64, len(files) // (jobs * 8) or 1))
    chunks = [list(files[i : i + size]) for i in range(0, len(files), size)]
    results: List[FileResult] = []
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init, initargs=(config,)) as pool:
        for chunk_result in pool.map(_lint_chunk, chunks):
            results.extend(chunk_result)
    return results
