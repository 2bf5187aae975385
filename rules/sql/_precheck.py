"""Stdlib-``ast`` pre-checks of the FFT5xx rules (``could_match``): whether a rule could
report in a file, decided without LibCST.

Each check mirrors the rule's own necessary conditions and errs towards True: a False
must mean the rule cannot report there (same options, same project index).

* FFT501 / FFT503 report only static SQL query text that a SQL-running call receives,
  outside migrations, when a schema is known. :func:`sql_sites` mirrors
  ``runs_sql`` / ``sql_argument`` / ``static_text`` / ``module_constants`` on ``ast``
  with a superset of the candidate calls; an f-string without expressions counts as
  "cannot decide" (LibCST keeps its raw text, escapes and all, ``ast`` the evaluated one).
* FFT502 reports only ``Model.objects.<queryset calls>`` chains that filter or order,
  on a model the schema knows.
"""

from __future__ import annotations

import ast
from typing import Any, Dict, FrozenSet, Optional, Set, Tuple, Union

from ._common import SqlOptions, catalog, is_ddl, is_query, runs_once
from .provider import schema_source


class _Unsure:
    """Static text whose exact value the ``ast`` cannot tell (LibCST might read it as SQL)."""

    def __repr__(self) -> str:
        return "UNSURE"


UNSURE = _Unsure()
Text = Union[str, _Unsure, None]


def options(view: Any, rule: Any) -> SqlOptions:
    opts = view.options_for(rule)
    return opts if isinstance(opts, SqlOptions) else SqlOptions()


# --------------------------------------------------------------------------- static text
def static_text(node: ast.AST, constants: Dict[str, Text]) -> Text:
    """``_common.static_text`` on ``ast``: a str, None (not static) or UNSURE."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        if any(isinstance(part, ast.FormattedValue) for part in node.values):
            return None  # some f-string part has an expression: LibCST gives None too
        return UNSURE  # LibCST uses the raw source text of f-string parts
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = static_text(node.left, constants)
        if left is None:
            return None
        right = static_text(node.right, constants)
        if right is None:
            return None
        if isinstance(left, str) and isinstance(right, str):
            return left + right
        return UNSURE
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    return None


def module_constants(tree: ast.Module) -> Dict[str, Text]:
    """``_common.module_constants`` on ``ast``: module-level names assigned exactly once
    (directly in the module body) to static text."""
    seen: Dict[str, int] = {}
    values: Dict[str, Text] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                seen[target.id] = seen.get(target.id, 0) + 1
                text = static_text(value, values)
                if text is not None:
                    values[target.id] = text
    return {k: v for k, v in values.items() if seen.get(k) == 1}


def sql_argument(call: ast.Call) -> Optional[ast.AST]:
    """``_common.sql_argument`` on ``ast``. A plain positional argument can follow no
    keyword, so ``args[0]`` (when not starred) is the call's first argument."""
    if call.args and not isinstance(call.args[0], ast.Starred):
        return call.args[0]
    keywords = catalog()["keywords"]
    for kw in call.keywords:
        if kw.arg is not None and kw.arg in keywords:
            return kw.value
    return None


# --------------------------------------------------------------------------- candidate calls
def _last(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def _import_tails(tree: ast.Module, view: Any) -> Dict[str, Set[str]]:
    """Local name -> last parts of what the file's imports bind it to (anywhere)."""
    out: Dict[str, Set[str]] = {}
    for node in view.nodes(ast.Import, ast.ImportFrom):
        for alias in node.names:  # type: ignore[attr-defined]
            if alias.name == "*":
                continue
            if isinstance(node, ast.Import):
                local = alias.asname or alias.name.split(".", 1)[0]
                target = alias.name if alias.asname else local
            else:
                local = alias.asname or alias.name
                target = alias.name
            out.setdefault(local, set()).add(_last(target))
    return out


class CallFilter:
    """A superset of the calls ``_common.runs_sql`` accepts.

    ``runs_sql`` takes an attribute call whose name is a catalog/extra method, or a call
    whose callee resolves (through the import map) to a catalog/extra function. A
    resolved name ends with the callee's own last attribute, or -- for a bare name --
    with the name itself (a builtin or a definition of this file) or with the last part
    of the import that binds it; instance markers end with ``()``, which no dotted
    function name does (a configured name that does makes every call a candidate)."""

    def __init__(self, opts: SqlOptions, tree: ast.Module, view: Any) -> None:
        cat = catalog()
        functions = tuple(cat["functions"]) + tuple(opts.extra_functions)
        self.methods: FrozenSet[str] = frozenset(cat["methods"]) | frozenset(opts.extra_methods)
        self.tails: FrozenSet[str] = frozenset(_last(f) for f in functions)
        self.any_call = any("(" in f or ")" in f or not _last(f) for f in functions)
        self.imports = _import_tails(tree, view) if not self.any_call else {}

    def __call__(self, call: ast.Call) -> bool:
        if self.any_call:
            return True
        func = call.func
        if isinstance(func, ast.Attribute):
            return func.attr in self.methods or func.attr in self.tails
        if isinstance(func, ast.Name):
            if func.id in self.tails:
                return True
            bound = self.imports.get(func.id)
            return bool(bound and not bound.isdisjoint(self.tails))
        return False


def candidate_words(opts: SqlOptions) -> Optional[Tuple[str, ...]]:
    """Identifiers one of which a file must spell for :class:`CallFilter` to accept a call
    (the method name, or the last part of a function's name as called or imported);
    None when a configured function name makes every call a candidate."""
    cat = catalog()
    functions = tuple(cat["functions"]) + tuple(opts.extra_functions)
    if any("(" in f or ")" in f or not _last(f) for f in functions):
        return None
    return tuple(sorted(set(cat["methods"]) | set(opts.extra_methods) | {_last(f) for f in functions}))


def spells_candidate(text: str, opts: SqlOptions) -> bool:
    """False only when no identifier of the file can name a SQL-running call: a text-only
    bail-out before the shared node walk. Identifiers are whole words of the text (of its
    NFKC form when it is not ASCII, as the parser normalises them)."""
    from fftlint.analysis.sql.sources import has_word

    words = candidate_words(opts)
    if words is None or has_word(text, words):
        return True
    if text.isascii():
        return False
    import unicodedata

    return has_word(unicodedata.normalize("NFKC", text), words)


class Sites:
    """What the SQL-running calls of a file receive, as far as ``ast`` can tell."""

    __slots__ = ("query", "ddl", "unsure")

    def __init__(self) -> None:
        self.query = False  # some static text is a query
        self.ddl = False  # some static text is DDL the file runs
        self.unsure = False  # some static-looking text could not be evaluated


def sql_sites(view: Any, opts: SqlOptions) -> Sites:
    """Scan the candidate calls once (shared by FFT501 and FFT503 through ``view.memo``)."""

    def compute(v: Any) -> Sites:
        sites = Sites()
        tree = v.tree
        accepts = CallFilter(opts, tree, v)
        constants: Optional[Dict[str, Text]] = None
        for call in v.nodes(ast.Call):
            if not accepts(call):
                continue
            arg = sql_argument(call)  # type: ignore[arg-type]
            if arg is None:
                continue
            if isinstance(arg, ast.Name) and constants is None:
                constants = module_constants(tree)
            text = static_text(arg, constants or {})
            if text is None:
                continue
            if isinstance(text, _Unsure):
                sites.unsure = True
            elif is_query(text):
                sites.query = True
            elif is_ddl(text):
                sites.ddl = True
        return sites

    key = "fft5-sql-sites:" + repr((tuple(opts.extra_methods), tuple(opts.extra_functions)))
    return view.memo(key, compute)


def has_schema(view: Any, opts: SqlOptions) -> bool:
    """Whether ``loader.schema_for`` -- what the rules ask when the file runs no DDL of
    its own -- knows any table for this file (project DDL files, project facts, or the
    file's own models)."""
    from fftlint.analysis.sql.loader import schema_for

    schema = schema_for(view.path, view.text, project=schema_source(view.project), dialect=opts.dialect, schema_files=opts.schema_files)
    return bool(schema)


def text_rule_could_match(rule: Any, view: Any) -> bool:
    """FFT501 / FFT503: a static query reaches a SQL-running call, outside migrations,
    and a schema is known."""
    if runs_once(view.path):
        return False
    opts = options(view, rule)
    calls = repr((tuple(opts.extra_methods), tuple(opts.extra_functions)))
    if not view.memo("fft5-spelled:" + calls, lambda v: spells_candidate(v.text, opts)):
        return False
    sites = sql_sites(view, opts)
    if not (sites.query or sites.unsure):
        return False
    if sites.ddl or sites.unsure:
        return True  # the file's own DDL teaches a schema: let the rule decide
    return bool(view.memo("fft5-schema:" + repr((opts.dialect, tuple(opts.schema_files))), lambda v: has_schema(v, opts)))


# --------------------------------------------------------------------------- FFT502
def manager_models(view: Any, filtering: Set[str], passing: Set[str]) -> Set[str]:
    """Names ``X`` of ``X.objects.<queryset calls>`` chains (every call in the chain a
    queryset method) in which some filtering / ordering call has arguments."""
    productive = {"filter", "get", "get_or_create", "update_or_create", "order_by", "latest", "earliest"}
    names: Set[str] = set()
    for call in view.nodes(ast.Call):
        func = call.func  # type: ignore[attr-defined]
        if not isinstance(func, ast.Attribute) or (func.attr not in filtering and func.attr not in passing):
            continue
        useful = False
        current: ast.AST = call
        ok = True
        while isinstance(current, ast.Call) and isinstance(current.func, ast.Attribute):
            method = current.func.attr
            if method not in filtering and method not in passing:
                ok = False
                break
            if method in productive and (current.args or current.keywords):
                useful = True
            current = current.func.value
        if not ok or not useful:
            continue
        if isinstance(current, ast.Attribute) and current.attr == "objects" and isinstance(current.value, ast.Name):
            names.add(current.value.id)
    return names


def django_rule_could_match(rule: Any, view: Any, filtering: Set[str], passing: Set[str]) -> bool:
    if runs_once(view.path):
        return False
    names = manager_models(view, filtering, passing)
    if not names:
        return False
    from fftlint.analysis.sql.loader import schema_for

    opts = options(view, rule)
    schema = schema_for(view.path, view.text, project=schema_source(view.project), dialect=opts.dialect, schema_files=opts.schema_files)
    if not schema:
        return False
    ignored = {t.lower() for t in opts.ignore_tables}
    for name in names:
        info = schema.model(name)
        if info is not None and info.table not in ignored:
            return True
    return False



# --------------------------------------------------------------------------- FFT505
def sqlalchemy_rule_could_match(rule: Any, view: Any) -> bool:
    """FFT505: outside migrations, a filtering/ordering method is called, the schema
    knows SQLAlchemy models, and the file names one of them."""
    if runs_once(view.path):
        return False
    if not any(isinstance(c.func, ast.Attribute) and c.func.attr in ("filter", "filter_by", "where", "order_by") for c in view.nodes(ast.Call)):  # type: ignore[attr-defined]
        return False
    from fftlint.analysis.sql.loader import schema_for

    opts = options(view, rule)
    schema = schema_for(view.path, view.text, project=schema_source(view.project), dialect=opts.dialect, schema_files=opts.schema_files)
    if not schema or not schema.sa_models:
        return False
    return any(schema.sa_model(n.id) is not None for n in view.nodes(ast.Name))  # type: ignore[attr-defined]
