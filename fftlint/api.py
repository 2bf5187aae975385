"""Library entry points: lint files or text and get results back. No terminal I/O here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from typing import Any, Dict, List, Optional, Sequence, Tuple, Type

from fftlint import registry
from fftlint.config.options import build_options
from fftlint.config.settings import ConfigError, Settings
from fftlint.engine import files as file_discovery
from fftlint.engine.run import lint_source
from fftlint.engine.source import SourceError, SourceFile, decode, generated_marker, line_starts
from fftlint.paths import display_path  # noqa: F401 - part of the API
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
    #: put GitHub's line hashes of the findings' lines into results (for SARIF)
    line_hashes: bool = False

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


def lint_text(text: str, path: str, config: RunConfig, *, parse: Any = None) -> FileResult:
    """Lint already-decoded source text as if it were the file at ``path``; a file marked
    generated at the top (``skip-generated``) is skipped, and says so; findings outside
    their rules' code contexts are held back (counted, not shown). ``parse``: see
    :func:`fftlint.engine.run.lint_source`."""
    if config.settings.skip_generated:
        marker = generated_marker(text)
        if marker:
            return FileResult(path, skipped=f"generated ({marker})")
    rules, unanalysed = reporting_rules(config, path)
    result = lint_source(
        text,
        path,
        rules,
        config.options,
        project=config.project,
        target_version=config.settings.target_version,
        prefilter=config.prefilter,
        # a suppression of a rule that did not run here is not "unused"
        report_unused_suppressions=config.report_unused and not unanalysed,
        parse=parse,
    )
    result = in_context(result, config)
    if unanalysed:
        result = dc_replace(result, unanalysed=unanalysed)
    return with_lines(result, text)


def reporting_rules(config: RunConfig, path: str) -> Tuple[Sequence[Type[Rule]], int]:
    """The rules to run on the file at ``path``: those that report in its code context
    (``Rule.contexts``, or ``report-contexts`` for every rule), and how many selected rules
    are left out. A rule that does not report in the context would only have its findings
    held back, so it is not run at all: in the default profile most of a project's tests
    and migrations are read by no rule (the summary says how many files)."""
    from fftlint.engine import contexts

    rules = rules_for(config, path)
    settings = config.settings
    context = contexts.classify(path, settings.root, settings.contexts)
    shown = frozenset(settings.report_contexts)
    active = [r for r in rules if context in (shown or getattr(r, "contexts", contexts.EVERYWHERE))]
    return (active, len(rules) - len(active)) if len(active) != len(rules) else (rules, 0)


def _finding_lines(result: FileResult) -> List[int]:
    return sorted({d.span.line for d in result.diagnostics})


def with_lines(result: FileResult, text: str) -> FileResult:
    """``result`` with the text of the lines its findings start on (reporters show
    them and never read files)."""
    if not result.diagnostics:
        return result
    starts = line_starts(text)
    lines = {}
    for line in _finding_lines(result):
        if 1 <= line <= len(starts):
            end = starts[line] if line < len(starts) else len(text)
            lines[line] = text[starts[line - 1] : end].rstrip("\r\n")
    return dc_replace(result, lines=lines)


def with_line_hashes(result: FileResult, data: bytes) -> FileResult:
    """``result`` with GitHub's ``primaryLocationLineHash`` of each line a finding
    starts on, from the file's bytes (one pass over the whole file: asked for only when
    the report needs them)."""
    if not result.diagnostics:
        return result
    from fftlint.report.fingerprint import file_line_hashes

    hashes = file_line_hashes(data)
    return dc_replace(result, line_hashes={line: hashes[line] for line in _finding_lines(result) if line in hashes})


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
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        return unreadable(path, f"cannot read: {exc.strerror or exc}")
    return lint_bytes(data, path, config)[1]


def lint_bytes(data: bytes, path: str, config: RunConfig, *, is_file: bool = True) -> Tuple[Optional[SourceFile], FileResult]:
    """Lint a file's bytes. ``is_file``: they are the bytes of the file at ``path`` (not
    an editor's buffer), so line hashes made from them identify the file's lines."""
    try:
        source = decode(data, path)
    except SourceError as exc:
        return None, unreadable(path, str(exc))
    result = lint_text(source.text, path, config)
    if config.line_hashes and is_file and path not in ("-", "<stdin>"):
        result = with_line_hashes(result, data)
    return source, result


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
    """The project's facts (:class:`fftlint.facts.project.ProjectFacts`), built once
    before workers start (summaries of other modules load on demand, when a rule's name
    resolution or call-chain search reaches them); None when only engine diagnostics are
    selected. The selected rules' providers build their project-wide facts here.
    ``buffers``: path -> text that replaces the file on disk (stdin)."""
    from fftlint.engine.prefilter import walked

    if not walked(config.rules):
        return None
    from fftlint.engine.files import project_files
    from fftlint.facts.project import build
    from fftlint.facts.setup import make_providers

    if cache is not None and not getattr(cache, "enabled", True):
        cache = None
    every = project_files(paths, config.settings)  # discovered once for every provider
    if cache is not None and hasattr(cache, "begin_run"):
        cache.begin_run()  # one memo of the files' bytes and hashes for every provider
    providers = make_providers(config.rules, config.options)
    for provider in providers:
        provider.bind(provider.project_facts(every, cache))
    return build(every, providers, cache, buffers)




def verify_regex_findings(results: Sequence[FileResult], timeout_s: float = 2.0) -> List[FileResult]:
    """Confirm FFT401-403 findings by timing their attack strings against CPython's ``re``
    in a child process (the linted code itself is never run). Each finding's message says
    whether super-linear growth was measured; ``properties["verified"]`` holds the data."""
    from fftlint.analysis.regex import verify_properties

    out: List[FileResult] = []
    for result in results:
        diagnostics = []
        for diag in result.diagnostics:
            if isinstance(diag.properties.get("attack"), dict):  # a finding with an attack string to time
                check = verify_properties(diag.properties, timeout_s=timeout_s)
                message, note = _measured_message(diag.message, diag.properties.get("degree"), check)
                props = dict(diag.properties)
                props["verified"] = {
                    "confirmed": check.confirmed,
                    "growth": check.growth,
                    "degree": check.degree,
                    "timed_out": check.timed_out,
                    "timings": [list(t) for t in check.timings],
                }
                diag = dc_replace(diag, message=message + note, properties=props)
            diagnostics.append(diag)
        out.append(dc_replace(result, diagnostics=tuple(diagnostics)))
    return out


_DEGREE = re.compile(r"O\(n\^(\d+)\)")


def _measured_message(message: str, static_degree: Any, check: Any) -> Tuple[str, str]:
    """The finding's message and the note ``--verify-regex`` appends, agreeing on the
    degree: a confirmed polynomial's measured degree (rounded) replaces the ``O(n^k)`` the
    static analysis wrote when they differ, and the note says what was estimated."""
    if not check.confirmed:
        return message, " [not confirmed by measurement]"
    if check.growth != "polynomial":
        return message, f" [confirmed: {check.growth} growth measured]"
    measured = max(2, int(round(check.degree)))
    found = _DEGREE.search(message)
    estimated = found.group(1) if found else (str(static_degree) if static_degree else "")
    if found and int(found.group(1)) != measured:
        message = message[: found.start()] + f"O(n^{measured})" + message[found.end():]
        return message, f" [confirmed: O(n^{measured}) growth measured (n^{check.degree:.1f}); the static estimate was O(n^{estimated})]"
    return message, f" [confirmed: O(n^{measured}) growth measured (n^{check.degree:.1f})]"
