"""Library entry points: lint files or text and get results back. No terminal I/O here."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple, Type

from fftlint import registry
from fftlint.config.options import build_options
from fftlint.config.settings import ConfigError, Settings
from fftlint.engine import files as file_discovery
from fftlint.engine.run import lint_source
from fftlint.engine.source import SourceError, SourceFile, decode, read
from fftlint.rule import Rule
from fftlint.types import Diagnostic, FileResult, Span


@dataclass
class RunConfig:
    """Everything a worker needs to lint a file; picklable."""

    settings: Settings
    rules: Tuple[Type[Rule], ...]
    options: Dict[Type[Rule], Any] = field(default_factory=dict)
    prefilter: bool = True
    project: Any = None

    @property
    def report_unused(self) -> bool:
        return any(r.code == "FFT003" for r in self.rules)


def resolve_rules(
    settings: Settings,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    extend_select: Sequence[str] = (),
) -> Tuple[Tuple[Type[Rule], ...], Dict[Type[Rule], Any]]:
    """Selected rules and their option objects; raises ConfigError for unknown codes."""
    known = registry.all_rules()
    sel = tuple(select) or settings.select
    ign = tuple(settings.ignore) + tuple(ignore)
    ext = tuple(settings.extend_select) + tuple(extend_select)
    for key, values in (("select", sel), ("ignore", ign), ("extend-select", ext)):
        bad = registry.check_selectors(values, known)
        if bad:
            raise ConfigError(settings.source if not select else "command line", key, f"unknown rule code {', '.join(bad)}")
    for glob, codes in settings.per_file_ignores:
        bad = registry.check_selectors(codes, known)
        if bad:
            raise ConfigError(settings.source, f"per-file-ignores.{glob}", f"unknown rule code {', '.join(bad)}")
    rules = tuple(registry.select(known, sel, ign, ext))
    options = build_options(known, settings.rule_options, settings.source)
    return rules, {r: options[r] for r in rules if r in options}


def make_config(settings: Settings, **selection: Sequence[str]) -> RunConfig:
    rules, options = resolve_rules(settings, **selection)
    return RunConfig(settings, rules, options)


def unreadable(path: str, why: str) -> FileResult:
    diag = Diagnostic("FFT004", "unreadable-file", f"cannot read file: {why}", path, Span(1, 1, 1, 1), "error")
    return FileResult(path, (diag,))


def rules_for(config: RunConfig, path: str) -> Sequence[Type[Rule]]:
    ignored = config.settings.ignored_codes_for(path)
    if not ignored:
        return config.rules
    return [r for r in config.rules if not any(r.code.startswith(c.upper()) for c in ignored) or r.code in registry.ALWAYS_ON]


def lint_text(text: str, path: str, config: RunConfig) -> FileResult:
    """Lint already-decoded source text as if it were the file at ``path``; findings
    outside their rules' code contexts are held back (counted, not shown)."""
    result = lint_source(
        text,
        path,
        rules_for(config, path),
        config.options,
        project=config.project,
        target_version=config.settings.target_version,
        prefilter=config.prefilter,
        report_unused_suppressions=config.report_unused,
    )
    return in_context(result, config)


def in_context(result: FileResult, config: RunConfig) -> FileResult:
    """The result with the file's code context set and the findings of rules that do
    not report there (``Rule.contexts``, or ``report-contexts`` for every rule) held
    back. Applied after suppressions: a comment that covers such a finding is used."""
    from fftlint.engine import contexts

    settings = config.settings
    context = contexts.classify(result.path, settings.root, settings.contexts)
    shown = frozenset(settings.report_contexts)
    by_code = {r.code: r.contexts for r in config.rules}
    return contexts.hold_back(result, context, lambda code: shown or by_code.get(code, contexts.EVERYWHERE))


def lint_file(path: str, config: RunConfig) -> FileResult:
    try:
        source = read(path)
    except SourceError as exc:
        return unreadable(path, str(exc))
    return lint_text(source.text, path, config)


def lint_bytes(data: bytes, path: str, config: RunConfig) -> Tuple[Optional[SourceFile], FileResult]:
    try:
        source = decode(data, path)
    except SourceError as exc:
        return None, unreadable(path, str(exc))
    return source, lint_text(source.text, path, config)


def discover_files(paths: Sequence[str], settings: Settings) -> List[str]:
    return file_discovery.discover(paths, settings.excludes, settings.root, settings.force_exclude)


def lint_paths(
    paths: Sequence[str],
    config: RunConfig,
    jobs: int = 1,
    *,
    cache: Any = None,
    shard: Optional[Tuple[int, int]] = None,
    progress: Any = None,
) -> List[FileResult]:
    """Lint every Python file under ``paths``; results are in a stable (path) order.

    ``cache``: a :class:`fftlint.cache.Cache` (None: no cache). ``shard``: ``(I, N)``,
    lint only the files of shard I of N. ``progress``: an object with ``begin(total)``
    and ``__call__(files_done)`` (see :mod:`fftlint.engine.progress`).
    """
    files = discover_files(paths, config.settings)
    if shard is not None:
        from fftlint.engine import shard as sharding

        files = sharding.select(files, shard[0], shard[1], config.settings.root)
    from fftlint.engine.parallel import run_files

    if config.project is None:
        config.project = build_project(paths, files, config, cache)
    if progress is not None:
        progress.begin(len(files))
    return run_files(files, config, jobs, cache=cache, progress=progress)


def build_project(
    paths: Sequence[str],
    files: Sequence[str],
    config: RunConfig,
    cache: Any = None,
    buffers: Optional[Dict[str, str]] = None,
) -> Any:
    """The project index (cross-file facts) when a selected rule needs it, built once
    before workers start; None otherwise. ``buffers``: path -> text that replaces the
    file on disk (stdin)."""
    if not any(getattr(r, "needs_project", False) for r in config.rules):
        return None
    from fftlint.engine.project import ProjectIndex, build_for_run, project_files

    every = project_files(paths, config.settings)  # discovered once for every family
    users = [r for r in config.rules if getattr(r, "needs_project", False) and r.options_key == "async-io"]
    if users:
        index = build_for_run(paths, config.settings, config.options.get(users[0]), cache, buffers, every)
    else:
        index = ProjectIndex()
    codes = {r.code[:4] for r in config.rules}
    if "FFT2" in codes or "FFT5" in codes:
        if "FFT2" in codes:
            from fftlint.analysis.orm import build_model_index

            index.orm_models = build_model_index(every, cache=cache)
        if "FFT5" in codes:
            from fftlint.analysis.sql.loader import python_schema_facts

            index.schema_facts = python_schema_facts(every, cache)
    return index


REGEX_CODES = ("FFT401", "FFT402", "FFT403")


def verify_regex_findings(results: Sequence[FileResult], timeout_s: float = 2.0) -> List[FileResult]:
    """Confirm FFT401-403 findings by timing their attack strings against CPython's ``re``
    in a child process (the linted code itself is never run). Each finding's message says
    whether super-linear growth was measured; ``properties["verified"]`` holds the data."""
    from dataclasses import replace as dc_replace

    from fftlint.analysis.regex import verify_properties

    out: List[FileResult] = []
    for result in results:
        diagnostics = []
        for diag in result.diagnostics:
            if diag.code in REGEX_CODES and diag.properties.get("attack"):
                check = verify_properties(diag.properties, timeout_s=timeout_s)
                growth = check.growth if check.growth != "polynomial" else f"n^{check.degree:.1f}"
                note = f" [confirmed: {growth} growth measured]" if check.confirmed else " [not confirmed by measurement]"
                props = dict(diag.properties)
                props["verified"] = {
                    "confirmed": check.confirmed,
                    "growth": check.growth,
                    "degree": check.degree,
                    "timed_out": check.timed_out,
                    "timings": [list(t) for t in check.timings],
                }
                diag = dc_replace(diag, message=diag.message + note, properties=props)
            diagnostics.append(diag)
        out.append(dc_replace(result, diagnostics=tuple(diagnostics)))
    return out


def display_path(path: str) -> str:
    """Relative to the working directory when below it, with forward slashes."""
    if path in ("-", "<stdin>"):
        return path
    full = os.path.abspath(path)
    try:
        rel = os.path.relpath(full)
    except ValueError:
        return full
    return full if rel.startswith("..") else rel
