"""Lint one file: pre-filter, parse once, one batched rule pass, positions, suppressions."""

from __future__ import annotations

import ast
import os
import re
import sys
import warnings
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Sequence, Tuple, Type

import libcst as cst

from fftlint.engine.prefilter import ENGINE_ONLY, AstView, applicable, narrowed, parse_ast, walked  # noqa: F401 - re-exported
from fftlint.engine.source import line_starts, offset_of, position_of
from fftlint.engine.statement import lines_text, statement_hash
from fftlint.rule import FileContext, FixSpec, NodeRange, RawReport, RelatedNode, Rule
from fftlint.suppress import Suppressions, skip_file
from fftlint.types import Diagnostic, Edit, FileResult, Fix, Related, Span

if TYPE_CHECKING:
    from fftlint.engine.positions import Positions
    from fftlint.facts.cst import Names

SYNTAX_ERROR = ("FFT001", "syntax-error")
INTERNAL_ERROR = ("FFT002", "internal-error")


def module_name_for(path: str) -> Tuple[str, bool]:
    """Dotted module name from the package layout on disk (``__init__.py`` chain)."""
    path = os.path.abspath(path)
    directory, filename = os.path.split(path)
    stem = filename.rsplit(".", 1)[0]
    is_package = stem == "__init__"
    parts = [] if is_package else [stem]
    while os.path.isfile(os.path.join(directory, "__init__.py")) or os.path.isfile(
        os.path.join(directory, "__init__.pyi")
    ):
        directory, pkg = os.path.split(directory)
        parts.append(pkg)
        if not pkg:
            break
    parts.reverse()
    return ".".join(p for p in parts if p) or stem, is_package


def _syntax_diagnostic(path: str, message: str, line: int, column: int) -> Diagnostic:
    code, name = SYNTAX_ERROR
    return Diagnostic(code, name, message, path, Span(line, column, line, column), "error")


def internal_error(path: str, message: str) -> Diagnostic:
    code, name = INTERNAL_ERROR
    return Diagnostic(code, name, message, path, Span(1, 1, 1, 1), "error")


_AT = re.compile(r"^(?:parser error: )?error at (\d+):(\d+): ")


def _parse(text: str, path: str) -> Tuple[Optional[cst.Module], Optional[Diagnostic]]:
    try:
        return cst.parse_module(text), None
    except cst.ParserSyntaxError as exc:
        return None, _describe_syntax_error(text, path, exc)
    except (RecursionError, MemoryError, ValueError, TypeError) as exc:
        return None, _syntax_diagnostic(path, f"SyntaxError: cannot parse: {exc}", 1, 1)


def _describe_syntax_error(text: str, path: str, exc: cst.ParserSyntaxError) -> Diagnostic:
    """CPython's own message and position when it also rejects the file (they are the
    ones users know); LibCST's otherwise, with long token lists shortened. When the
    running Python accepts the file, it is not a syntax error but a LibCST limit: say so."""
    python_accepts = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text, path)
        python_accepts = True
    except SyntaxError as err:
        line = err.lineno or 1
        column = err.offset or 1
        return _syntax_diagnostic(path, f"SyntaxError: {err.msg}", line, max(1, column))
    except (ValueError, RecursionError, MemoryError):
        pass
    message = " ".join(str(exc.message).split())
    line, column = exc.raw_line, exc.raw_column + 1
    m = _AT.match(message)
    if m:
        line, column = int(m.group(1)), int(m.group(2)) + 1
        message = message[m.end():]
    if message.startswith("expected one of ") and message.count(",") > 8:
        tokens = message[len("expected one of "):].split(", ")
        message = "expected one of " + ", ".join(tokens[:8]) + ", ..."
    message = message or "invalid syntax"
    if python_accepts:
        version = "%d.%d" % sys.version_info[:2]
        return _syntax_diagnostic(
            path, f"LibCST cannot parse this file, which Python {version} accepts ({message}); no rule ran on it", line, column
        )
    return _syntax_diagnostic(path, f"SyntaxError: {message}", line, column)


def syntax_ok(text: str, path: str) -> Optional[Diagnostic]:
    """Cheap syntax check for files no rule needs to parse (keeps FFT001 pre-filter-proof).

    ``ast`` is ~13x faster than LibCST; only when it rejects the file (possibly newer syntax
    than the running interpreter knows) does LibCST decide -- unless CPython rejects it for
    one of its limits (nesting depth, null bytes), which no version lifts.
    """
    exc = _ast_rejects(text, path)
    if exc is None:
        return None
    limit = _limit_diagnostic(exc, path)
    return limit if limit is not None else _parse(text, path)[1]


def _ast_rejects(text: str, path: str) -> Optional[BaseException]:
    """Why CPython's parser rejects ``text``, or None when it accepts it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text, path)
        return None
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return exc


#: CPython's messages for limits of its tokenizer, parser and compiler (not grammar):
#: "too many nested parentheses", "too many statically nested blocks", "too many
#: levels of indentation", "expression too complex", "nested too deeply"...
_LIMIT = re.compile(r"too many|too deeply|too complex|nested too|recursion|exceed", re.I)


def _limit_diagnostic(exc: BaseException, path: str) -> Optional[Diagnostic]:
    """FFT001 for a file CPython cannot compile whatever its version: a nesting or size
    limit (LibCST, a pure parser, may accept such a file), or a null byte."""
    if isinstance(exc, (RecursionError, MemoryError)):
        return _syntax_diagnostic(path, "SyntaxError: too deeply nested for CPython to compile", 1, 1)
    if isinstance(exc, ValueError):  # "source code string cannot contain null bytes"
        return _syntax_diagnostic(path, f"SyntaxError: {exc}", 1, 1)
    if isinstance(exc, SyntaxError) and _LIMIT.search(exc.msg or ""):
        return _syntax_diagnostic(path, f"SyntaxError: {exc.msg}", exc.lineno or 1, max(1, exc.offset or 1))
    return None


def cpython_limit_error(text: str, path: str) -> Optional[Diagnostic]:
    """:func:`_limit_diagnostic` for ``text``, or None when ``ast`` accepts it."""
    exc = _ast_rejects(text, path)
    return _limit_diagnostic(exc, path) if exc is not None else None


def _wanted_nodes(module: cst.Module, reports: Sequence[RawReport]) -> List[cst.CSTNode]:
    out: List[cst.CSTNode] = []
    imports = False
    for raw in reports:
        out.append(raw.node)
        out.extend(_suite(raw.node))
        if raw.statement is not None:
            out.append(raw.statement)
            out.extend(_suite(raw.statement))
        out.extend(r.node for r in raw.related if isinstance(r, RelatedNode))
        if raw.fix is not None:
            for node, _ in raw.fix.replacements:
                if isinstance(node, NodeRange):
                    out += [node.first, node.last]
                else:
                    out.append(node)
            imports = imports or bool(raw.fix.imports) or bool(raw.fix.module_statements)
    if imports:  # candidates for the statement new imports go after
        for stmt in module.body:
            if not isinstance(stmt, cst.SimpleStatementLine):
                break
            out.append(stmt)
    return out


def _suite(node: cst.CSTNode) -> Tuple[cst.CSTNode, ...]:
    """The body of a compound statement (where its header ends), or nothing."""
    body = getattr(node, "body", None)
    return (body,) if isinstance(body, cst.BaseSuite) and not isinstance(node, cst.Module) else ()


def changed_part(old: str, new: str) -> Edit:
    """One edit that turns ``old`` into ``new``: the span between their common prefix and
    common suffix."""
    limit = min(len(old), len(new))
    lo, hi = 0, limit  # the longest common prefix, by bisection (slice compares run in C)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if old[:mid] == new[:mid]:
            lo = mid
        else:
            hi = mid - 1
    start = lo
    lo, hi = 0, limit - start
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if old[len(old) - mid :] == new[len(new) - mid :]:
            lo = mid
        else:
            hi = mid - 1
    end = lo
    return Edit(start, len(old) - end, new[start : len(new) - end])


class _Collector:
    """Turns raw reports (CST nodes) into diagnostics; positions are computed lazily."""

    def __init__(
        self, path: str, text: str, module: cst.Module, reports: Sequence[RawReport] = (), module_name: str = "", names: Optional[Names] = None
    ) -> None:
        self.names = names  # what the module imports (fixes that need an import)
        self.path = path
        self.module_name = module_name
        self._anchor: Optional[Tuple[int, str]] = None
        self.text = text
        self.module = module
        self._positions: Optional["Positions"] = None
        self._wanted = _wanted_nodes(module, reports)
        self._starts: Optional[List[int]] = None
        self._round_trips: Optional[bool] = None

    @property
    def positions(self) -> "Positions":
        if self._positions is None:
            from fftlint.engine.positions import Positions

            self._positions = Positions(self.module, self._wanted)
        return self._positions

    @property
    def starts(self) -> List[int]:
        if self._starts is None:
            self._starts = line_starts(self.text)
        return self._starts

    def span(self, node: cst.CSTNode) -> Span:
        rng = self.positions[node]
        return Span(rng.start.line, rng.start.column + 1, rng.end.line, rng.end.column + 1)

    def offsets(self, node: cst.CSTNode) -> Tuple[int, int]:
        rng = self.positions[node]
        return (
            offset_of(self.starts, rng.start.line, rng.start.column),
            offset_of(self.starts, rng.end.line, rng.end.column),
        )

    def fix(self, rule: Type[Rule], spec: FixSpec) -> Optional[Fix]:
        """The edits of a fix, or None when the fix would import a module's own package."""
        if self.own_package_import(spec.imports):
            return None
        edits = []
        if spec.rewrite is not None:
            part = changed_part(self.text, spec.rewrite.code)
            edits.append(self.edit(part.start, part.end, part.content))
        for node, new in spec.replacements:
            content = new if isinstance(new, str) else self.module.code_for_node(new)
            if isinstance(node, NodeRange):
                start, end = self.offsets(node.first)[0], self.offsets(node.last)[1]
            else:
                start, end = self.offsets(node)
            edits.append(self.edit(start, end, content))
        edits.extend(self.import_edits(spec.imports, spec.module_statements))
        title = spec.title or rule.fix_title or f"Fix {rule.code}"
        return Fix(title, spec.safety, tuple(sorted(edits, key=lambda e: (e.start, e.end))))

    def _import_anchor(self) -> Tuple[int, str]:
        """Where new imports go, computed once per file: ``(offset, "")`` for the start of
        the line after the leading docstring and imports, ``(end, newline)`` when that is
        the end of a file without a final newline (the text needs one first)."""
        if self._anchor is None:
            anchor = None
            for stmt in self.module.body:
                if not isinstance(stmt, cst.SimpleStatementLine):
                    break
                first = stmt.body[0] if stmt.body else None
                is_docstring = anchor is None and isinstance(first, cst.Expr) and isinstance(
                    first.value, (cst.SimpleString, cst.ConcatenatedString)
                )
                if isinstance(first, (cst.Import, cst.ImportFrom)) or is_docstring:
                    anchor = stmt
                else:
                    break
            if anchor is None:
                self._anchor = (0, "")
            else:
                line = self.positions[anchor].end.line + 1  # the line after the anchor statement
                if line - 1 < len(self.starts):
                    self._anchor = (self.starts[line - 1], "")
                else:
                    self._anchor = (len(self.text), self.module.default_newline)
        return self._anchor

    def own_package_import(self, imports: Sequence[str]) -> bool:
        """A fix would add ``import P`` (or ``P.x``) to a module of package ``P`` itself
        (``import asyncio`` into ``asyncio/base_events.py``): a package imports its own
        parts relatively, and importing itself from inside may be circular."""
        top = self.module_name.split(".")[0] if self.module_name else ""
        if not top:
            return False
        return any(m.split(".")[0] == top for m in self.missing_imports(imports))

    def missing_imports(self, imports: Sequence[str]) -> List[str]:
        if not imports:
            return []
        names = self.names
        return sorted({m for m in imports if names is None or names.module_binding(m.split(".")[0]) != m.split(".")[0]})

    def _can_rewrite(self, spec: FixSpec) -> bool:
        """A whole-module rewrite is diffed against the file's text: only when LibCST
        renders the parsed module back to exactly that text (it does for any ``str``)."""
        if spec.rewrite is None:
            return True
        if self._round_trips is None:
            self._round_trips = self.module.code == self.text
        return self._round_trips

    def import_edits(self, imports: Sequence[str], statements: Sequence[str] = ()) -> List[Edit]:
        """Insert the missing imports, then the module-level statements the module lacks,
        after the leading docstring and imports."""
        missing = self.missing_imports(imports)
        present = set()
        if statements:
            present = {
                self.module.code_for_node(small).strip()
                for stmt in self.module.body
                if isinstance(stmt, cst.SimpleStatementLine)
                for small in stmt.body
            }
        extra = [s for s in dict.fromkeys(statements) if s.strip() not in present]
        if not missing and not extra:
            return []
        newline = self.module.default_newline
        text = "".join(f"import {m}{newline}" for m in missing)
        text += "".join(f"{s}{newline}" for s in extra)
        pos, before = self._import_anchor()
        if before:
            return [self.edit(pos, pos, before + text.rstrip("\r\n"))]
        return [self.edit(pos, pos, text)]

    def edit(self, start: int, end: int, content: str) -> Edit:
        line, column = position_of(self.starts, start)
        end_line, end_column = position_of(self.starts, max(start, end))
        return Edit(start, end, content, Span(line, column, end_line, end_column))

    def _lines(self, node: cst.CSTNode) -> range:
        """The lines of ``node``; of its header only for a compound statement."""
        rng = self.positions[node]
        if isinstance(node, cst.SimpleStatementLine) or not isinstance(node, (cst.BaseCompoundStatement, cst.Match)):
            return range(rng.start.line, rng.end.line + 1)
        suite = _suite(node)
        end = rng.start.line
        if suite:  # an indented block starts at its first statement, a suite on the header line
            body = self.positions[suite[0]].start.line
            end = body - 1 if isinstance(suite[0], cst.IndentedBlock) else body
        return range(rng.start.line, max(rng.start.line, end) + 1)

    def statement_text(self, raw: RawReport) -> str:
        """The source of the flagged statement: the reported node's lines plus those of
        its innermost statement (the header only of a compound one)."""
        lines = set(self._lines(raw.node))
        if raw.statement is not None:
            lines.update(self._lines(raw.statement))
        return lines_text(self.text, self.starts, lines)

    def diagnostic(self, raw: RawReport) -> Diagnostic:
        rule = type(raw.rule)
        statement_line = 0
        if raw.statement is not None:
            statement_line = self.positions[raw.statement].start.line
        fix = self.fix(rule, raw.fix) if raw.fix is not None and self._can_rewrite(raw.fix) else None
        return Diagnostic(
            rule.code,
            rule.name,
            raw.message,
            self.path,
            _narrow(self.span(raw.node), raw.inside),
            rule.severity,
            fix,
            raw.properties,
            statement_line,
            tuple(Related(r.message, self.path, self.span(r.node)) if isinstance(r, RelatedNode) else r for r in raw.related),
            raw.scope,
            statement_hash(self.statement_text(raw)),
        )


def _narrow(span: Span, inside: Optional[Tuple[int, int]]) -> Span:
    """Move a report's start inside its node (``Rule.report(inside=(line_delta, column))``:
    ``column`` 0-based, relative to the node's start column on its first line, absolute on
    later lines). Used by rules that point into a string literal; the end stays the node's
    end."""
    if inside is None:
        return span
    delta, column = inside
    if not isinstance(delta, int) or not isinstance(column, int) or delta < 0 or column < 0:
        return span
    line = span.line + delta
    col = span.column + column if delta == 0 else column + 1
    if (line, col) > (span.end_line, span.end_column):
        return span
    return Span(line, col, span.end_line, span.end_column)


#: Long implicit string concatenations and deeply nested expressions make LibCST trees
#: thousands of levels deep (CPython's ``pydoc_data/topics.py`` needs ~3,000); the walk
#: and position codegen recurse once per level. A bounded raise, not unlimited: on
#: Python < 3.11 each Python frame also uses C stack.
RECURSION_LIMIT = 6000


@contextmanager
def deep_recursion(limit: int = RECURSION_LIMIT) -> Iterator[None]:
    old = sys.getrecursionlimit()
    if old < limit:
        sys.setrecursionlimit(limit)
    try:
        yield
    finally:
        if old < limit:
            sys.setrecursionlimit(old)


def lint_source(
    text: str,
    path: str,
    rules: Sequence[Type[Rule]],
    options: Optional[Dict[Type[Rule], Any]] = None,
    *,
    project: Any = None,
    target_version: Tuple[int, int] = (3, 9),
    module_name: Optional[str] = None,
    is_package: bool = False,
    prefilter: bool = True,
    check_syntax: bool = True,
    report_unused_suppressions: bool = False,
    parse: Optional[Any] = None,
) -> FileResult:
    """Lint one file's text with the given rule classes. Never raises for user input.

    ``parse``: ``(text, path) -> (module, error)`` to use instead of a full LibCST parse
    (the language server's incremental parser); it must give the tree LibCST would."""
    if skip_file(text):
        return FileResult(path)
    selected = applicable(rules, text) if prefilter else walked(rules)
    if not selected:
        return _unparsed(text, path, check_syntax, report_unused_suppressions)
    if module_name is None:
        module_name, is_package = module_name_for(path) if path != "-" else ("stdin", False)
    options = options or {}
    # the project the file is linted against (the pre-filter reads it too, and what both
    # consult of other modules is what the result depends on)
    files = project_view(project, walked(rules), options, module_name, path)
    # a project object of the caller's own making (not the facts layer's) reaches the
    # rules as it is; names are then resolved within the file
    given = files if project is None or project_is_facts(project) else project
    files.begin()
    try:
        result = _lint_selected(
            text, path, rules, selected, options, files, given, module_name, is_package, target_version, prefilter, check_syntax, report_unused_suppressions, parse
        )
    finally:
        depends = tuple(sorted(files.end() - {module_name}))
        files.release_file(module_name)
    return replace(result, depends=depends) if depends else result


def _lint_selected(
    text: str,
    path: str,
    rules: Sequence[Type[Rule]],
    selected: Sequence[Type[Rule]],
    options: Dict[Type[Rule], Any],
    files: Any,
    given: Any,
    module_name: str,
    is_package: bool,
    target_version: Tuple[int, int],
    prefilter: bool,
    check_syntax: bool,
    report_unused_suppressions: bool,
    parse: Optional[Any] = None,
) -> FileResult:
    """Stage 2 of the pre-filter, the LibCST parse, then the rules."""
    view: Optional[AstView] = None
    if prefilter:
        selected, view = narrowed(selected, text, path, options, files, module_name, is_package)
        if not selected:
            return _unparsed(text, path, check_syntax and view is None, report_unused_suppressions)
    module, error = (parse or _parse)(text, path)
    if module is None:
        if not prefilter and not narrowed(applicable(rules, text), text, path, options, files, module_name, is_package)[0] and syntax_ok(text, path) is None:
            # Valid Python that LibCST cannot parse, and no rule needed the parse: the
            # answer a filtered run gives (engine limits matter only where rules look).
            return _unparsed(text, path, check_syntax, report_unused_suppressions)
        return FileResult(path, (error,) if check_syntax and error else ())
    if check_syntax and view is None:
        limit = cpython_limit_error(text, path)  # LibCST accepted what CPython cannot compile
        if limit is not None:
            return FileResult(path, (limit,))
    from fftlint.facts.cst import Names  # with libcst, loaded by the first parse

    facts = file_facts(text, path, module_name, is_package, view, files)
    names = Names(facts, module_name, is_package, files)
    ctx = FileContext(path, text, module, names, module_name, given, target_version, is_package)
    return _run_rules(ctx, selected, options, rules, files, prefilter, check_syntax, report_unused_suppressions)


def _run_rules(
    ctx: FileContext,
    selected: Sequence[Type[Rule]],
    options: Dict[Type[Rule], Any],
    rules: Sequence[Type[Rule]],
    project: Any,
    prefilter: bool,
    check_syntax: bool,
    report_unused_suppressions: bool,
) -> FileResult:
    """One batched rule pass over a parsed file, then positions and suppressions."""
    path, text, module, names = ctx.path, ctx.source, ctx.module, ctx.names
    module_name, is_package = ctx.module_name, ctx.is_package
    instances = [rule(ctx, options.get(rule)) for rule in selected]
    from fftlint.engine.walk import Walker

    walker = Walker(ctx, instances)
    failures: Dict[str, str] = {}
    try:
        with deep_recursion():
            walker.run(module)
    except RecursionError:
        failures["engine"] = "file nests too deeply to analyse"
    for rule in instances:
        try:
            rule.end()
        except Exception as exc:  # noqa: BLE001 - a rule bug must not stop the run
            failures[rule.code] = f"{type(exc).__name__}: {exc}"
    failures.update(walker.failures)
    if "engine" in failures and not prefilter and not narrowed(applicable(rules, text), text, path, options, project, module_name, is_package)[0]:
        return _unparsed(text, path, check_syntax, report_unused_suppressions)

    collector = _Collector(path, text, module, ctx.reports, module_name, names)
    diagnostics: List[Diagnostic] = []
    with deep_recursion():
        for raw in ctx.reports:
            if raw.rule.code in failures:
                continue
            try:
                diagnostics.append(collector.diagnostic(raw))
            except Exception as exc:  # noqa: BLE001 (RecursionError included)
                failures[raw.rule.code] = f"{type(exc).__name__}: {exc}"
    for code, why in sorted(failures.items()):
        diagnostics.append(internal_error(path, f"rule {code} failed on this file: {why}"))
    suppressions = Suppressions.scan(text) if diagnostics or report_unused_suppressions else None
    kept: List[Diagnostic] = []
    suppressed: List[Diagnostic] = []
    for diag in diagnostics:
        if suppressions is not None and diag.code != INTERNAL_ERROR[0] and suppressions.covers(diag):
            suppressed.append(diag)
        else:
            kept.append(diag)
    if report_unused_suppressions and suppressions is not None:
        kept.extend(suppressions.unused(path))
    kept.sort(key=lambda d: d.sort_key)
    _release(ctx, walker, instances)
    return FileResult(path, tuple(kept), tuple(suppressed), error=bool(failures))


def project_view(project: Any, rules: Sequence[Type[Rule]], options: Dict[Type[Rule], Any], module_name: str, path: str) -> Any:
    """The project facts a file is linted against: the run's (when it holds this file),
    else a view of it, or of nothing, that adds this file's module. Providers come from
    the run, else from the rules (with their options)."""
    from fftlint.facts.project import ProjectFacts
    from fftlint.facts.setup import make_providers

    if project is None or not isinstance(project, ProjectFacts):
        return ProjectFacts(None, make_providers(rules, options))
    if project.holds(module_name, path):
        return project
    return project.fork()


def project_is_facts(project: Any) -> bool:
    from fftlint.facts.project import ProjectFacts

    return isinstance(project, ProjectFacts)


def file_facts(text: str, path: str, module_name: str, is_package: bool, view: Optional[AstView], project: Any) -> Any:
    """The file's binding map: the pre-filter's (made with the project's hooks and lent to
    the project for this file's module), else one from a fresh ``ast``; None when the
    running Python cannot parse the file."""
    if view is not None:
        return view.facts
    tree = parse_ast(text, path)
    if tree is None:
        return None
    return AstView(tree, text, path, None, project, module_name, is_package).facts


def _release(*holders: Any) -> None:
    """Drop what the file's context, walker and rule instances hold. Rules keep state
    that points back at them (reports -> rule -> ctx, memoized helpers with bound
    methods), so without this the whole LibCST tree stays alive in a reference cycle
    until the cyclic GC finds it -- a full traversal of hundreds of thousands of nodes
    per file. Cleared, reference counting frees the tree as soon as linting returns."""
    for holder in holders:
        if isinstance(holder, list):
            for item in holder:
                getattr(item, "__dict__", {}).clear()
        else:
            getattr(holder, "__dict__", {}).clear()


def _unparsed(text: str, path: str, check_syntax: bool, report_unused: bool) -> FileResult:
    """The result for a file no rule needs to parse: syntax errors (via ``ast``) and,
    when asked, the suppressions in it (all unused, since nothing can report)."""
    if check_syntax:
        error = syntax_ok(text, path)
        if error is not None:
            return FileResult(path, (error,))
    if report_unused:
        unused = Suppressions.scan(text).unused(path)
        if unused:
            return FileResult(path, tuple(sorted(unused, key=lambda d: d.sort_key)))
    return FileResult(path)
