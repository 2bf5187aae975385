"""Helpers shared by the FFT5xx rules (no rules here): options, the SQL-call catalog,
static SQL text extraction, and the per-file schema."""

from __future__ import annotations

from fftlint import yamlfile
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import libcst as cst

from .provider import schema_source

HERE = os.path.dirname(os.path.abspath(__file__))

#: Pre-filter for the raw-SQL rules: some SQL keyword must appear in the file.
SQL_WORDS = ("SELECT", "select", "Select", "UPDATE", "update", "Update", "DELETE", "delete", "Delete")

# (fftlint's own FFT402 found `\(?\s*` after `\s*` quadratic on long blank prefixes:
# the optional parenthesis now carries its own whitespace)
_QUERY_START = re.compile(r"^(?:\s*--[^\n]*\n)*\s*(?:\(\s*)?(select|with|update|delete|insert)\b", re.IGNORECASE)
_DDL_START = re.compile(r"^(?:\s*--[^\n]*\n)*\s*(create|alter)\s", re.IGNORECASE)


@dataclass(frozen=True)
class SqlOptions:
    """``[tool.fftlint.sql]``: shared by every FFT5xx rule."""

    dialect: str = field(default="postgres", metadata={"help": "sqlglot dialect of the SQL in the code and the DDL files (`postgres`, `mysql`, `sqlite`, ...)"})
    schema_files: Tuple[str, ...] = field(
        default=("**/*.sql",),
        metadata={"help": "globs, relative to the project root, of the DDL / migration files the schema is learned from"},
    )
    extra_methods: Tuple[str, ...] = field(default=(), metadata={"help": "more method names whose first argument is SQL text (`db.run_query`)"})
    extra_functions: Tuple[str, ...] = field(default=(), metadata={"help": "more functions, by canonical dotted name, whose first argument is SQL text"})
    ignore_tables: Tuple[str, ...] = field(default=(), metadata={"help": "tables never reported (small lookup tables where a full scan is fine)"})

    def __post_init__(self) -> None:
        if self.dialect != "postgres":  # only then is sqlglot imported at config time
            from fftlint.config.settings import ConfigError

            try:
                from sqlglot.dialects.dialect import Dialect

                Dialect.get_or_raise(self.dialect)
            except Exception as exc:  # noqa: BLE001 - sqlglot raises ValueError with suggestions
                raise ConfigError("[tool.fftlint.sql]", "dialect", f"unknown SQL dialect {self.dialect!r}: {str(exc).splitlines()[0]}") from None


_SYSTEM_TABLE = re.compile(r"^(?:pg_|sqlite_|information_schema$|innodb_)", re.IGNORECASE)
_RUN_ONCE_DIRS = ("migrations", "alembic", "migrate")


def system_table(name: str) -> bool:
    """The database's own catalogs (``pg_class``, ``sqlite_master``, ...): indexed by the
    engine, never the application's to index."""
    return bool(_SYSTEM_TABLE.match(name))


def runs_once(path: str) -> bool:
    """Schema and data migrations run once per database: a scan there costs nothing
    worth an index, and their SQL is the schema's history, not the application's
    queries."""
    parts = os.path.normpath(path).replace(os.sep, "/").split("/")[:-1]
    return any(part in _RUN_ONCE_DIRS for part in parts)


@lru_cache(maxsize=None)
def catalog() -> Dict[str, Tuple[str, ...]]:
    with open(os.path.join(HERE, "sql_calls.yaml"), encoding="utf-8") as fh:
        data = yamlfile.safe_load(fh) or {}
    return {key: tuple(data.get(key) or ()) for key in ("methods", "functions", "keywords")}


def options_of(rule: Any) -> SqlOptions:
    return rule.options if isinstance(rule.options, SqlOptions) else SqlOptions()


def static_text(node: cst.BaseExpression, constants: Dict[str, str]) -> Optional[str]:
    """The SQL text of ``node`` when it is static; None otherwise."""
    if isinstance(node, cst.SimpleString):
        if "b" in node.prefix.lower():
            return None
        try:
            value = node.evaluated_value
        except Exception:  # noqa: BLE001 - odd escapes
            return None
        return value if isinstance(value, str) else None
    if isinstance(node, cst.ConcatenatedString):
        left = static_text(node.left, constants)
        right = static_text(node.right, constants)
        return left + right if left is not None and right is not None else None
    if isinstance(node, cst.FormattedString):
        if all(isinstance(part, cst.FormattedStringText) for part in node.parts):
            return "".join(part.value for part in node.parts)  # type: ignore[union-attr]
        return None
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        left = static_text(node.left, constants)
        right = static_text(node.right, constants)
        return left + right if left is not None and right is not None else None
    if isinstance(node, cst.Name):
        return constants.get(node.value)
    return None


def module_constants(module: cst.Module) -> Dict[str, str]:
    """Module-level ``NAME = "<static string>"`` bindings assigned exactly once."""
    seen: Dict[str, int] = {}
    values: Dict[str, str] = {}
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            targets: List[cst.BaseExpression] = []
            value: Optional[cst.BaseExpression] = None
            if isinstance(small, cst.Assign):
                targets = [t.target for t in small.targets]
                value = small.value
            elif isinstance(small, cst.AnnAssign) and small.value is not None:
                targets = [small.target]
                value = small.value
            for target in targets:
                if isinstance(target, cst.Name):
                    seen[target.value] = seen.get(target.value, 0) + 1
                    text = static_text(value, values) if value is not None else None
                    if text is not None:
                        values[target.value] = text
    return {k: v for k, v in values.items() if seen.get(k) == 1}


def is_query(text: str) -> bool:
    return bool(_QUERY_START.match(text))


def is_ddl(text: str) -> bool:
    return bool(_DDL_START.match(text))


def sql_argument(node: cst.Call) -> Optional[cst.BaseExpression]:
    for arg in node.args:
        if arg.keyword is None and arg.star == "":
            return arg.value
        break
    keywords = catalog()["keywords"]
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value in keywords:
            return arg.value
    return None


def runs_sql(rule: Any, node: cst.Call) -> bool:
    """Is ``node`` a call the catalog (or the user's config) says runs SQL?"""
    opts = options_of(rule)
    functions = catalog()["functions"] + tuple(opts.extra_functions)
    # the file's own names only: the text pre-filter (``requires``) sees one file
    resolved = rule.ctx.names.resolve_local(node.func)
    if resolved is not None and resolved in functions:
        return True
    if isinstance(node.func, cst.Attribute):
        name = node.func.attr.value
        if name in catalog()["methods"] or name in opts.extra_methods:
            return True  # whatever the receiver: the argument must still be static SQL
    return False


@dataclass
class Site:
    node: cst.Call
    text: str


class SqlCollector:
    """Collects the SQL call sites of one file as the walker passes (shared logic)."""

    def __init__(self) -> None:
        self.constants: Optional[Dict[str, str]] = None
        self.queries: List[Site] = []
        self.ddl: List[str] = []

    def visit(self, rule: Any, node: cst.Call) -> None:
        if not runs_sql(rule, node):
            return
        arg = sql_argument(node)
        if arg is None:
            return
        if self.constants is None:
            self.constants = module_constants(rule.ctx.module)
        text = static_text(arg, self.constants)
        if text is None:
            return
        if is_query(text):
            self.queries.append(Site(node, text))
        elif is_ddl(text):
            self.ddl.append(text)


def file_schema(rule: Any, ddl_in_file: Sequence[str]) -> Any:
    """The schema for the rule's file: project DDL files, project or same-file Python
    facts, plus DDL the file itself runs (``cur.execute("CREATE TABLE ...")``)."""
    from fftlint.analysis.sql.ddl import learn_ddl
    from fftlint.analysis.sql.loader import schema_for
    from fftlint.analysis.sql.schema import build_schema
    from fftlint.analysis.sql.sources import summarize

    opts = options_of(rule)
    ctx = rule.ctx
    if not ddl_in_file:
        return schema_for(ctx.path, ctx.source, project=schema_source(ctx.project), dialect=opts.dialect, schema_files=opts.schema_files)
    own = summarize(ctx.source, ctx.path)
    for text in ddl_in_file:
        own.extend(learn_ddl(text, ctx.path, opts.dialect))
    base = schema_for(ctx.path, ctx.source, project=schema_source(ctx.project), dialect=opts.dialect, schema_files=opts.schema_files, own_facts=own)
    return base if base is not None else build_schema([own])


_analyses: Dict[Tuple[str, int, str], Any] = {}


def analysis(text: str, schema: Any, dialect: str) -> Any:
    """Memoized :func:`fftlint.analysis.sql.query.analyse` (FFT501 and FFT503 share it)."""
    from fftlint.analysis.sql.query import analyse

    key = (text, id(schema), dialect)
    hit = _analyses.get(key)
    if hit is None or hit[0] is not schema:
        if len(_analyses) > 512:
            _analyses.clear()
        hit = (schema, analyse(text, schema, dialect))
        _analyses[key] = hit
    return hit[1]


class SqlTextRule:
    """Mixin of the rules that read SQL text (FFT501, FFT503): collect the file's
    SQL-running calls during the walk, then analyse each text against the schema."""

    def __init__(self, ctx: Any, options: Any = None) -> None:
        super().__init__(ctx, options)  # type: ignore[call-arg]
        self.sql = SqlCollector()
        self._ignored: Optional[set] = None

    def visit_Call(self, node: cst.Call) -> None:
        self.sql.visit(self, node)

    def analysed(self) -> Iterable[Tuple["Site", Any]]:
        """``(site, analysis)`` for each SQL text; nothing in migrations (they run once)
        or when no schema is known."""
        if not self.sql.queries or runs_once(self.ctx.path):  # type: ignore[attr-defined]
            return
        opts = options_of(self)
        schema = file_schema(self, self.sql.ddl)
        if not schema:
            return
        self._ignored = {t.lower() for t in opts.ignore_tables}
        for site in self.sql.queries:
            yield site, analysis(site.text, schema, opts.dialect)

    def reportable(self, table: str) -> bool:
        """Not a table the user ignores, nor one of the database's own catalogs."""
        return table not in (self._ignored or ()) and not system_table(table)
