"""The command line. The only module that prints or exits.

Exit codes: 0 clean, 1 findings (or a ``--diff`` that would change something),
2 usage, configuration or internal error. ``--exit-zero`` never hides 2.
"""

from __future__ import annotations

import difflib
import os
import sys
from typing import List, Optional, Sequence

import click

from fftlint import __version__

SUBCOMMANDS = ("check", "rules", "explain", "server")


def _split(values: Sequence[str]) -> List[str]:
    out: List[str] = []
    for value in values:
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return out


def _use_color(stream: object) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _fail(message: str) -> None:
    click.echo(f"fftlint: error: {message}", err=True)


class _Exit(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


@click.command(name="check", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--select", multiple=True, help="Rule codes or prefixes to enable (FFT101, FFT1, ALL); comma-separated.")
@click.option("--ignore", multiple=True, help="Rule codes or prefixes to disable.")
@click.option("--extend-select", multiple=True, help="Codes to enable on top of the selection.")
@click.option("--exclude", multiple=True, help="Glob patterns to exclude (replaces the defaults).")
@click.option("--extend-exclude", multiple=True, help="Glob patterns to exclude on top of the defaults.")
@click.option("--force-exclude", is_flag=True, help="Apply excludes to files named on the command line too (for pre-commit).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Use this config file.")
@click.option("--isolated", is_flag=True, help="Ignore all configuration files.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "github"]), default="text", show_default=True)
@click.option("--output-file", "-o", type=click.Path(dir_okay=False), help="Write the report here instead of stdout.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when problems are found (never hides errors).")
@click.option("--fix", is_flag=True, help="Apply safe fixes in place.")
@click.option("--unsafe-fixes", is_flag=True, help="Also apply (or list) fixes that may change behaviour.")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff; change nothing (exit 1 if any).")
@click.option("--show-fixes", is_flag=True, help="List what --fix changed.")
@click.option("--show-source", is_flag=True, help="Show the offending source line under each finding.")
@click.option("--statistics", is_flag=True, help="Count findings per rule.")
@click.option("--verify-regex", is_flag=True, help="Confirm FFT401-403 findings by timing their attack strings against Python's re (in a child process).")
@click.option("--stdin-filename", help="Lint standard input (path '-') as if it were this file.")
@click.option("--jobs", "-j", type=int, default=None, help="Worker processes (default: available CPUs).")
@click.option("--no-cache", is_flag=True, help="Do not read or write the result cache.")
@click.option("--cache-dir", type=click.Path(file_okay=False), help="Cache directory (default: .fftlint_cache in the project root; outside a project, ~/.cache/fftlint).")
@click.option("--max-file-size", metavar="SIZE", help="Skip (and report) files larger than this: bytes or 512KB, 2MB; 0 for no limit (default: 1MB).")
@click.option("--quiet", "-q", is_flag=True, help="Print the findings only: no summary line, notes or warnings.")
@click.option("--shard", help="Lint only shard I of N (I/N, 1-based), split deterministically by path.")
@click.option("--no-prefilter", is_flag=True, hidden=True, help="Parse every file (for testing the pre-filter).")
@click.option("--target-version", type=click.Choice([f"py3{m}" for m in range(9, 15)]), help="Python version of the linted code.")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False), help="Report only findings that are not in this baseline file (default: the config's `baseline`).")
@click.option("--write-baseline", type=click.Path(dir_okay=False), help="Record every finding in this baseline file (then report only new ones with --baseline).")
@click.option("--strict-baseline", is_flag=True, help="Fail (exit 1) when baseline entries no longer match a finding: the baseline must be rewritten.")
@click.option("--add-noqa", is_flag=True, help="Append `# noqa: CODE` to each line with a finding (--add-noqa=REASON adds a reason); with --diff, show the change only.")
@click.option("--add-noqa-reason", hidden=True, default=None)
@click.option(
    "--contexts",
    "report_contexts",
    metavar="CONTEXTS",
    help="Report in these code contexts: `all`, `default` (each rule's own), or a comma-separated list of production, tests, migrations, scripts.",
)
@click.version_option(__version__, "--version", prog_name="fftlint")
def check(paths, **opts) -> None:  # type: ignore[no-untyped-def]
    """Lint PATHS (files or directories; default: the current directory)."""
    raise _Exit(run_check(list(paths), opts))


def run_check(paths: List[str], opts: dict) -> int:
    from fftlint import api, fix as fixer
    from fftlint.config.load import discover
    from fftlint.config.settings import SUPPORTED_TARGETS, ConfigError, parse_size
    from fftlint.engine.parallel import default_jobs
    from fftlint.report import get as get_renderer
    from fftlint.report.context import ReportContext

    stdin_mode = paths == ["-"] or (not paths and opts.get("stdin_filename"))
    if not paths:
        paths = ["-"] if stdin_mode else ["."]
    try:
        config_anchor = [opts["stdin_filename"]] if stdin_mode and opts.get("stdin_filename") else paths
        settings = discover(config_anchor, opts.get("config_path"), opts.get("isolated", False))
        overrides = {}
        if opts.get("exclude"):
            overrides["exclude"] = tuple(_split(opts["exclude"]))
        if opts.get("extend_exclude"):
            overrides["extend_exclude"] = settings.extend_exclude + tuple(_split(opts["extend_exclude"]))
        if opts.get("force_exclude"):
            overrides["force_exclude"] = True
        if opts.get("target_version"):
            overrides["target_version"] = SUPPORTED_TARGETS[opts["target_version"]]
        if opts.get("max_file_size") is not None:
            try:
                overrides["max_file_size"] = parse_size(opts["max_file_size"])
            except ValueError as exc:
                raise ConfigError("command line", "--max-file-size", str(exc)) from None
        if opts.get("report_contexts") is not None:
            overrides["report_contexts"] = _contexts_option(opts["report_contexts"])
        settings = settings.with_overrides(**overrides)
        config = api.make_config(
            settings,
            select=_split(opts.get("select") or ()),
            ignore=_split(opts.get("ignore") or ()),
            extend_select=_split(opts.get("extend_select") or ()),
        )
    except ConfigError as exc:
        _fail(str(exc))
        return 2
    if opts.get("no_prefilter"):
        config.prefilter = False
    config.line_hashes = opts.get("fmt") == "sarif"
    baseline = None
    if not opts.get("write_baseline"):
        from fftlint.baseline import Baseline, BaselineError

        baseline_file = opts.get("baseline_path") or settings.baseline
        if baseline_file:
            try:
                baseline = Baseline.load(baseline_file)
            except BaselineError as exc:
                _fail(f"{exc}" if opts.get("baseline_path") else f"{settings.source}: baseline: {exc}")
                return 2
    if opts.get("add_noqa") and opts.get("fix"):
        _fail("--add-noqa and --fix do not go together: fix first, then add noqa comments for what is left")
        return 2

    unsafe = bool(opts.get("unsafe_fixes"))
    want_fix = bool(opts.get("fix"))
    want_diff = bool(opts.get("diff"))
    fixed: List[tuple] = []
    diffs: List[str] = []

    if stdin_mode:
        name = opts.get("stdin_filename") or "-"
        data = sys.stdin.buffer.read()
        _stdin_project(name, data, config)
        source, result = api.lint_bytes(data, name, config, is_file=_same_bytes(name, data))
        results = [result]
        if source is not None:
            if want_fix or want_diff:
                outcome = fixer.fix_to_fixpoint(source.text, _linter(name, config, baseline), unsafe)
                results = [outcome.result]
                if want_diff:
                    diffs.append(_unified(name, source.text, outcome.text))
                else:
                    sys.stdout.buffer.write(source.encode(outcome.text))
                    sys.stdout.flush()
                    return _exit_code(results, opts, fixing=True)
    else:
        missing = [p for p in paths if not os.path.exists(p)]
        if missing:
            _fail(f"no such file or directory: {', '.join(missing)}")
            return 2
        from fftlint.engine import progress as progress_bar
        from fftlint.engine.shard import ShardError, parse_shard

        try:
            shard = parse_shard(opts["shard"]) if opts.get("shard") else None
        except ShardError as exc:
            _fail(str(exc))
            return 2
        if opts.get("jobs") is not None and opts["jobs"] < 0:
            _fail("--jobs must be 0 (all CPUs) or more")
            return 2
        jobs = opts.get("jobs") or default_jobs()
        cache = None
        if not opts.get("no_cache"):
            from fftlint.cache import Cache, default_directory

            cache = Cache(opts.get("cache_dir") or default_directory(settings))
        bar = None if opts.get("quiet") else progress_bar.for_stream(sys.stderr)
        try:
            results = api.lint_paths(paths, config, jobs=jobs, cache=cache, shard=shard, progress=bar)
        finally:
            if bar is not None:
                bar.close()
        if not opts.get("quiet"):
            _warn_about_coverage(results, paths, shard)
        if want_fix or want_diff:
            project_root = settings.root if settings.source != "<defaults>" else None
            roots = fixer.linted_tree(paths, project_root)
            results = _fix_files(results, config, unsafe, want_diff, fixed, diffs, roots, baseline)

    if opts.get("verify_regex"):
        results = api.verify_regex_findings(results)

    if opts.get("write_baseline"):
        return _write_baseline(opts["write_baseline"], results)
    stale: list = []
    baselined = 0
    if baseline is not None:
        applied = baseline.apply(results)
        results, baselined, stale = applied.results, applied.baselined, applied.stale
        _note_stale(stale, baseline.path, bool(opts.get("strict_baseline")))
    if opts.get("add_noqa"):
        return _add_noqa(results, opts.get("add_noqa_reason"), want_diff, opts.get("output_file"))

    if want_diff:
        text = "".join(diffs)
        _emit(text, opts.get("output_file"))
        changed = any(diffs)
        if any(r.error for r in results):
            return 2
        return 0 if (not changed or opts.get("exit_zero")) else 1

    stream = sys.stdout
    ctx = ReportContext(
        rules=config.rules,
        color=opts.get("fmt") == "text" and not opts.get("output_file") and _use_color(stream),
        show_source=bool(opts.get("show_source")),
        show_fixes=bool(opts.get("show_fixes")),
        statistics=bool(opts.get("statistics")),
        unsafe_fixes=unsafe,
        root=os.getcwd(),
        execution_successful=not any(r.error for r in results),
        quiet=bool(opts.get("quiet")),
        fixed=tuple(_count_fixed(fixed)),
        version=__version__,
        baselined=baselined,
    )
    render = get_renderer(opts.get("fmt") or "text")
    _emit(render(results, ctx), opts.get("output_file"), ctx.color)
    _held_back_note(results, opts.get("fmt") or "text")
    code = _exit_code(results, opts, fixing=want_fix)
    if code == 0 and stale and opts.get("strict_baseline"):
        return 1
    return code


def _write_baseline(path: str, results) -> int:  # type: ignore[no-untyped-def]
    from fftlint import baseline as baselines
    from fftlint.atomic import write_bytes

    text, count = baselines.render(results, path)
    try:
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        write_bytes(path, text.encode("utf-8"))
    except OSError as exc:
        _fail(f"cannot write baseline {path}: {exc.strerror or exc}")
        return 2
    click.echo(f"fftlint: wrote {count} finding{'s' if count != 1 else ''} to the baseline {path}", err=True)
    for r in results:
        for d in r.diagnostics:
            if not baselines.baselinable(d):
                click.echo(f"fftlint: not baselined: {d.path}:{d.span.line}:{d.span.column}: {d.code} {d.message}", err=True)
    return 2 if any(r.error for r in results) else 0


def _note_stale(stale, path: str, strict: bool) -> None:  # type: ignore[no-untyped-def]
    from fftlint.baseline import describe_stale

    if not stale:
        return
    n = sum(count for _, count in stale)
    what = "error" if strict else "note"
    click.echo(
        f"fftlint: {what}: {n} baseline entr{'ies' if n != 1 else 'y'} in {path} no longer match{'es' if n == 1 else ''} a finding "
        f"(fixed, or the statement changed); rewrite it with --write-baseline {path}:",
        err=True,
    )
    for line in describe_stale(stale):
        click.echo(line, err=True)


def _add_noqa(results, reason, want_diff: bool, output_file) -> int:  # type: ignore[no-untyped-def]
    from fftlint import fix as fixer
    from fftlint.engine.source import SourceError, read
    from fftlint.noqa import add_noqa

    added = 0
    failed = any(r.error for r in results)
    diffs: List[str] = []
    for result in results:
        if not result.diagnostics or result.path in ("-", "<stdin>"):
            continue
        try:
            source = read(result.path)
        except SourceError as exc:
            _fail(f"{result.path}: {exc}")
            failed = True
            continue
        outcome = add_noqa(source.text, result.diagnostics, reason)
        for diag, why in outcome.skipped:
            click.echo(f"fftlint: no noqa added for {diag.path}:{diag.span.line}:{diag.span.column}: {diag.code}: {why}", err=True)
        if outcome.text == source.text:
            continue
        if want_diff:
            diffs.append(_unified(result.path, source.text, outcome.text))
        else:
            try:
                fixer.write_atomic(result.path, source, outcome.text)
            except (OSError, UnicodeEncodeError) as exc:
                _fail(f"cannot write {result.path}: {exc}")
                failed = True
                continue
        added += outcome.added
    if want_diff:
        _emit("".join(diffs), output_file)
    else:
        click.echo(f"Added {added} noqa directive{'s' if added != 1 else ''}.", err=True)
    if failed:
        return 2
    return 1 if want_diff and diffs else 0


def _same_bytes(path: str, data: bytes) -> bool:
    """Whether ``data`` (standard input) is what the file at ``path`` holds: only then
    do line hashes made from it identify the file's lines for code scanning."""
    if path in ("-", "<stdin>"):
        return False
    try:
        with open(path, "rb") as fh:
            return fh.read() == data
    except OSError:
        return False


def _warn_about_coverage(results, paths, shard) -> None:  # type: ignore[no-untyped-def]
    """On stderr, so CI logs show it: a run that linted no file (a mistyped directory, an
    empty shard), and the files skipped as too large or generated."""
    from collections import Counter

    from fftlint.api import display_path

    if not results:
        where = ", ".join(paths)
        extra = f" in shard {shard[0]}/{shard[1]}" if shard else ""
        click.echo(f"fftlint: warning: no Python files to lint{extra} under {where} (check the paths and the exclude settings)", err=True)
        return
    skipped = [r for r in results if r.skipped]
    large = [r for r in skipped if not r.skipped.startswith("generated")]
    for r in large[:20]:
        click.echo(f"fftlint: note: skipped {display_path(r.path)}: {r.skipped}", err=True)
    if len(large) > 20:
        click.echo(f"fftlint: note: skipped {len(large) - 20} more files above max-file-size", err=True)
    generated = Counter(r.skipped for r in skipped if r.skipped.startswith("generated"))
    if generated:
        n = sum(generated.values())
        markers = ", ".join(k[len("generated ("):-1] for k in sorted(generated))
        click.echo(
            f"fftlint: note: skipped {n} generated file{'s' if n != 1 else ''} (marked {markers} at the top; set skip-generated = false to lint them)",
            err=True,
        )
    linted = len(results) - len(skipped)
    if linted == 0:
        click.echo("fftlint: warning: every file was skipped: nothing was linted", err=True)


def _contexts_option(value: str) -> tuple:
    from fftlint.config.settings import ConfigError
    from fftlint.engine.contexts import parse_names

    try:
        return parse_names(value.split(","))
    except ValueError as exc:
        raise ConfigError("command line", "--contexts", str(exc)) from None


def _held_back_note(results, fmt: str) -> None:  # type: ignore[no-untyped-def]
    """JSON keeps its array of findings: the held-back count goes to stderr instead."""
    from fftlint.report.held_back import note

    text = note(results)
    if text and fmt == "json":
        click.echo(f"fftlint: {text}", err=True)


def _stdin_project(name: str, data: bytes, config) -> None:  # type: ignore[no-untyped-def]
    """Cross-file facts for an editor's buffer: the project around the file it names,
    with the buffer standing in for that file."""
    from fftlint import api
    from fftlint.engine.source import SourceError, decode

    if name == "-":
        return
    anchor = os.path.dirname(name) or "."
    if not os.path.isdir(anchor):
        return
    try:
        text = decode(data, name).text
    except SourceError:
        return
    config.project = api.build_project([anchor], [name], config, buffers={name: text})


def _count_fixed(fixed: List[tuple]) -> List[tuple]:
    from collections import Counter

    counts = Counter(fixed)
    return [(path, code, n) for (path, code), n in sorted(counts.items())]


def _linter(path, config, baseline):  # type: ignore[no-untyped-def]
    """Lint ``path``'s text for the fixer: only the findings a baseline does not know
    are fixed (a baselined finding is left as it is, like an unreported one)."""
    from fftlint import api

    if baseline is None:
        return lambda text: api.lint_text(text, path, config)
    return lambda text: baseline.split(api.lint_text(text, path, config))


def _fix_files(results, config, unsafe, want_diff, fixed, diffs, roots, baseline=None):  # type: ignore[no-untyped-def]
    """Fix the files; only the findings a baseline does not know are fixed (a baselined
    finding is left as it is, like an unreported one)."""
    from fftlint import api, fix as fixer

    def lint(text: str, path: str):  # type: ignore[no-untyped-def]
        return _linter(path, config, baseline)(text)

    if baseline is not None:
        results = [baseline.split(r) for r in results]
    run = fixer.fix_files(results, lint, unsafe, roots, diff=want_diff)
    fixed.extend(run.fixed)
    diffs.extend(_unified(path, old, new) for path, old, new in run.diffs)
    if not config.line_hashes:
        return run.results
    changed = {path for path, _code in run.fixed}
    out = []
    for result in run.results:  # a written file's lines moved: hash them again
        if result.path in changed and result.diagnostics:
            try:
                with open(result.path, "rb") as fh:
                    result = api.with_line_hashes(result, fh.read())
            except OSError:
                pass
        out.append(result)
    return out


def _unified(path: str, old: str, new: str) -> str:
    from fftlint.api import display_path

    name = display_path(path)
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{name}", f"b/{name}"
    )
    return "".join(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n" for line in lines)


def _emit(text: str, output_file: Optional[str], color: bool = False) -> None:
    if output_file:
        directory = os.path.dirname(os.path.abspath(output_file))
        os.makedirs(directory, exist_ok=True)
        with open(output_file, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    else:
        click.echo(text, nl=False, color=color)


def _exit_code(results, opts, fixing: bool = False) -> int:  # type: ignore[no-untyped-def]
    if any(r.error for r in results):
        return 2
    if any(r.diagnostics for r in results) and not opts.get("exit_zero"):
        return 1
    return 0


@click.command(name="rules", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--all", "show_all", is_flag=True, hidden=True, help="Kept for compatibility: engine codes are always listed.")
def rules_cmd(fmt: str, show_all: bool) -> None:
    """List the rules, engine diagnostics (FFT0xx) included: code, name, fix, default.

    The engine's own codes are marked "engine" in the family column; they are always on
    (except the opt-in FFT003)."""
    import json

    from fftlint import registry

    rules = registry.all_rules()
    if fmt == "json":
        click.echo(json.dumps([rule_row(r) for r in rules], indent=2))
        raise _Exit(0)
    rows = [("CODE", "NAME", "FIX", "DEFAULT", "FAMILY")]
    for r in rules:
        row = rule_row(r)
        default = "always" if row["code"] in registry.ALWAYS_ON else ("on" if row["default"] else "opt-in")
        family = f"{row['family']} (engine)" if row["engine"] and "engine" not in row["family"] else row["family"]
        rows.append((row["code"], row["name"], "yes" if row["fixable"] else "", default, family))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        click.echo("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    raise _Exit(0)


def rule_row(rule) -> dict:  # type: ignore[no-untyped-def]
    from fftlint.types import CONTEXTS

    return {
        "code": rule.code,
        "name": rule.name,
        "fixable": rule.fixable(),
        "default": rule.default_enabled,
        "family": rule.family(),
        "contexts": [c for c in CONTEXTS if c in rule.contexts],
        "summary": rule.summary(),
        "engine": rule.code in _engine_codes(),
    }


def _engine_codes() -> frozenset:
    from fftlint.registry import ENGINE_CODES

    return ENGINE_CODES


@click.command(name="explain", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("code")
def explain_cmd(code: str) -> None:
    """Show the documentation of a rule (by code or name)."""
    from fftlint import registry

    try:
        rule = registry.lookup(code)
    except KeyError:
        _fail(f"unknown rule {code!r} (see `fftlint rules`)")
        raise _Exit(2)
    fix = "yes" if rule.fixable() else "no"
    click.echo(f"# {rule.code} {rule.name}\n")
    click.echo(f"Family: {rule.family()} · Fixable: {fix} · Default: {'on' if rule.default_enabled else 'opt-in'}")
    click.echo(f"Reports in: {rule.where_it_reports()}\n")
    click.echo(rule.doc())
    raise _Exit(0)


@click.command(name="server")
@click.option("--stdio", is_flag=True, help="Talk LSP over stdin/stdout (the default and only transport).")
def server_cmd(stdio: bool) -> None:
    """Start the language server (LSP over stdin/stdout; needs `pip install 'fftlint[lsp]'`)."""
    from fftlint.server import main as serve

    raise _Exit(serve())


_COMMANDS = {"check": check, "rules": rules_cmd, "explain": explain_cmd, "server": server_cmd}


def _split_add_noqa(args: List[str]) -> List[str]:
    """``--add-noqa=REASON`` (the reason only with ``=``, as in ruff, so that
    ``--add-noqa src/`` lints ``src/``) becomes ``--add-noqa --add-noqa-reason REASON``."""
    out: List[str] = []
    for i, arg in enumerate(args):
        if arg == "--":
            return out + args[i:]
        if arg.startswith("--add-noqa="):
            out.extend(["--add-noqa", "--add-noqa-reason", arg[len("--add-noqa="):]])
        else:
            out.append(arg)
    return out


def _takes_ctx(opt: click.Option) -> bool:
    import inspect

    return "ctx" in inspect.signature(opt.make_metavar).parameters


def _subcommand_help() -> str:
    """The epilog of ``fftlint --help``: the other subcommands with their usage lines."""
    lines = ["\b", "Commands (the first argument; `check` is the default):"]
    for name, command in _COMMANDS.items():
        ctx = click.Context(command, info_name=f"fftlint {name}", **command.context_settings)
        options = [p for p in command.get_params(ctx) if isinstance(p, click.Option) and not p.hidden and "--help" not in p.opts]
        usage = command.collect_usage_pieces(ctx)
        if len(options) <= 3:  # spell short option lists out
            shown = []
            for opt in options:
                metavar = "" if opt.is_flag else " " + opt.make_metavar(ctx) if _takes_ctx(opt) else " " + opt.make_metavar()
                shown.append(f"[{opt.opts[-1]}{metavar}]")
            usage = shown + [u for u in usage if u != "[OPTIONS]"]
        summary = (command.help or "").strip().splitlines()[0]
        lines.append(f"  fftlint {name} {' '.join(usage)}")
        lines.append(f"      {summary}")
    return "\n".join(lines)


check.epilog = _subcommand_help()


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``fftlint [check] PATHS...``, ``fftlint rules``, ``fftlint explain CODE``,
    ``fftlint server``.

    A first argument naming a subcommand selects it; lint a directory called ``rules``
    as ``fftlint ./rules`` or ``fftlint check rules``.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    command = check
    if args and args[0] in _COMMANDS:
        command = _COMMANDS[args.pop(0)]
    if command is check:
        args = _split_add_noqa(args)
    try:
        name = next(n for n, c in _COMMANDS.items() if c is command)
        command.main(args=args, prog_name="fftlint" if command is check else f"fftlint {name}", standalone_mode=False)
    except _Exit as exc:
        return exc.code
    except click.exceptions.Abort:
        _fail("aborted")
        return 2
    except click.exceptions.Exit as exc:  # --help / --version
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - never a traceback for the user
        if os.environ.get("FFTLINT_DEBUG"):
            raise
        _fail(f"internal error: {type(exc).__name__}: {exc} (set FFTLINT_DEBUG=1 for a traceback; please report it)")
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
