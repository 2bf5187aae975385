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

SUBCOMMANDS = ("check", "rules", "explain")


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
@click.option("--cache-dir", type=click.Path(file_okay=False), help="Cache directory (default: .fftlint_cache in the project root).")
@click.option("--shard", help="Lint only shard I of N (I/N, 1-based), split deterministically by path.")
@click.option("--no-prefilter", is_flag=True, hidden=True, help="Parse every file (for testing the pre-filter).")
@click.option("--target-version", type=click.Choice([f"py3{m}" for m in range(9, 15)]), help="Python version of the linted code.")
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
    from fftlint.config.settings import SUPPORTED_TARGETS, ConfigError
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

    unsafe = bool(opts.get("unsafe_fixes"))
    want_fix = bool(opts.get("fix"))
    want_diff = bool(opts.get("diff"))
    fixed: List[tuple] = []
    diffs: List[str] = []
    sources = {}

    if stdin_mode:
        name = opts.get("stdin_filename") or "-"
        data = sys.stdin.buffer.read()
        _stdin_project(name, data, config)
        source, result = api.lint_bytes(data, name, config)
        results = [result]
        if source is not None:
            sources[name] = source.text
            if want_fix or want_diff:
                outcome = fixer.fix_to_fixpoint(source.text, lambda t: api.lint_text(t, name, config), unsafe)
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
        bar = progress_bar.for_stream(sys.stderr)
        try:
            results = api.lint_paths(paths, config, jobs=jobs, cache=cache, shard=shard, progress=bar)
        finally:
            if bar is not None:
                bar.close()
        if want_fix or want_diff:
            results = _fix_files(results, config, unsafe, want_diff, fixed, diffs)
        if opts.get("show_source"):
            for r in results:
                if r.diagnostics:
                    try:
                        sources[r.path] = api.read(r.path).text
                    except Exception:  # noqa: BLE001 - the excerpt is optional
                        pass

    if opts.get("verify_regex"):
        results = api.verify_regex_findings(results)

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
        sources=sources,
        execution_successful=not any(r.error for r in results),
        fixed=tuple(_count_fixed(fixed)),
        version=__version__,
    )
    render = get_renderer(opts.get("fmt") or "text")
    _emit(render(results, ctx), opts.get("output_file"), ctx.color)
    _held_back_note(results, opts.get("fmt") or "text")
    return _exit_code(results, opts, fixing=want_fix)


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


def _fix_files(results, config, unsafe, want_diff, fixed, diffs):  # type: ignore[no-untyped-def]
    from fftlint import api, fix as fixer
    from fftlint.engine.source import SourceError, read

    out = []
    for result in results:
        if not fixer.fixable(result.diagnostics, unsafe):
            out.append(result)
            continue
        try:
            source = read(result.path)
        except SourceError:
            out.append(result)
            continue
        outcome = fixer.fix_to_fixpoint(source.text, lambda t, p=result.path: api.lint_text(t, p, config), unsafe)
        if outcome.text != source.text:
            if want_diff:
                diffs.append(_unified(result.path, source.text, outcome.text))
                out.append(result)
                continue
            fixer.write_atomic(result.path, source, outcome.text)
            fixed.extend((result.path, d.code) for d in outcome.applied)
        out.append(outcome.result)
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


@click.command(name="rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--all", "show_all", is_flag=True, help="Include the engine diagnostics (FFT0xx).")
def rules_cmd(fmt: str, show_all: bool) -> None:
    """List the rules: code, name, fixable, default, family."""
    import json

    from fftlint import registry

    rules = [r for r in registry.all_rules() if show_all or not r.code.startswith("FFT0") or r.code == "FFT003"]
    if fmt == "json":
        click.echo(json.dumps([rule_row(r) for r in rules], indent=2))
        raise _Exit(0)
    rows = [("CODE", "NAME", "FIX", "DEFAULT", "FAMILY")]
    for r in rules:
        row = rule_row(r)
        rows.append((row["code"], row["name"], "yes" if row["fixable"] else "", "on" if row["default"] else "opt-in", row["family"]))
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
    }


@click.command(name="explain")
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


_COMMANDS = {"check": check, "rules": rules_cmd, "explain": explain_cmd}


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``fftlint [check] PATHS...``, ``fftlint rules``, ``fftlint explain CODE``.

    A first argument naming a subcommand selects it; lint a directory called ``rules``
    as ``fftlint ./rules`` or ``fftlint check rules``.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    command = check
    if args and args[0] in _COMMANDS:
        command = _COMMANDS[args.pop(0)]
    try:
        command.main(args=args, prog_name="fftlint", standalone_mode=False)
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
