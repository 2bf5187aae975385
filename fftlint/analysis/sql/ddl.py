"""Learn tables and indexes from SQL DDL text (``schema.sql``, ``migrations/*.sql``).

Understands CREATE TABLE (column PRIMARY KEY / UNIQUE, table-level PRIMARY KEY / UNIQUE
constraints), CREATE [UNIQUE] INDEX (composite, expression, partial), ALTER TABLE ADD
COLUMN / ADD CONSTRAINT (PRIMARY KEY / UNIQUE) and DROP INDEX. Statements sqlglot cannot
parse (``CREATE EXTENSION``, ``DO $$ ... $$``) are skipped one by one; never raises.
sqlglot is imported here, lazily, by whoever first needs DDL.
"""

from __future__ import annotations

import logging
from typing import Dict, List, Optional

from fftlint.analysis.sql.schema import Index, SchemaFacts, Table, expr_key, norm

DEFAULT_DIALECT = "postgres"


def _quiet() -> None:
    logging.getLogger("sqlglot").setLevel(logging.CRITICAL)


def split_statements(text: str, dialect: str = DEFAULT_DIALECT) -> List[str]:
    """Split SQL text on top-level semicolons (strings, comments, dollar quotes respected)."""
    from sqlglot.dialects.dialect import Dialect
    from sqlglot.tokens import TokenType

    try:
        tokens = Dialect.get_or_raise(dialect).tokenize(text)
    except Exception:  # noqa: BLE001 - untokenizable text: fall back to naive splitting
        return [s for s in text.split(";") if s.strip()]
    out: List[str] = []
    start: Optional[int] = None
    for tok in tokens:
        if tok.token_type == TokenType.SEMICOLON:
            if start is not None:
                out.append(text[start:tok.start])
            start = None
        elif start is None:
            start = tok.start
    if start is not None:
        out.append(text[start:])
    return [s for s in out if s.strip()]


def _ident(node) -> Optional[str]:  # noqa: ANN001
    from sqlglot import exp

    if node is None:
        return None
    if isinstance(node, exp.Identifier):
        return norm(node.name)
    if isinstance(node, (exp.Column, exp.Table)):
        return norm(node.name)
    if isinstance(node, exp.Ordered):
        return _ident(node.this)
    return None


def _parts(nodes, dialect: str) -> List[str]:  # noqa: ANN001
    """Index parts: bare columns by name, expressions as ``expr:<sql>``."""
    from sqlglot import exp

    out = []
    for node in nodes or []:
        inner = node.this if isinstance(node, exp.Ordered) else node
        if isinstance(inner, exp.Opclass):  # ``name gin_trgm_ops``: the opclass does not matter here
            inner = inner.this
        name = _ident(inner)
        if name is not None:
            out.append(name)
        else:
            out.append(expr_key(inner.sql(dialect=dialect)))
    return out


def _constraint_index(kind, dialect: str) -> Optional[Index]:  # noqa: ANN001
    from sqlglot import exp

    if isinstance(kind, exp.PrimaryKey):
        cols = _parts(kind.expressions, dialect)
        return Index(tuple(cols), unique=True, primary=True) if cols else None
    if isinstance(kind, exp.UniqueColumnConstraint) and isinstance(kind.this, exp.Schema):
        cols = _parts(kind.this.expressions, dialect)
        return Index(tuple(cols), unique=True) if cols else None
    return None


def _create_table(stmt, dialect: str, origin: str) -> Optional[Table]:  # noqa: ANN001
    from sqlglot import exp

    schema = stmt.this
    if not isinstance(schema, exp.Schema) or not isinstance(schema.this, exp.Table):
        return None
    table = Table(norm(schema.this.name), origin=origin)
    few_value_types = {exp.DataType.Type.BOOLEAN, exp.DataType.Type.SMALLINT, exp.DataType.Type.TINYINT, exp.DataType.Type.ENUM}
    for item in schema.expressions:
        if isinstance(item, exp.ColumnDef):
            col = norm(item.name)
            table.add_column(col)
            kind = item.args.get("kind")
            if isinstance(kind, exp.DataType) and kind.this in few_value_types:
                table.few_values.add(col)
            for cons in item.args.get("constraints") or []:
                kind = cons.args.get("kind")
                if isinstance(kind, exp.PrimaryKeyColumnConstraint):
                    table.add_index(Index((col,), unique=True, primary=True))
                elif isinstance(kind, exp.UniqueColumnConstraint):
                    table.add_index(Index((col,), unique=True))
        elif isinstance(item, exp.Constraint):
            for kind in item.expressions:
                ix = _constraint_index(kind, dialect)
                if ix is not None:
                    table.add_index(Index(ix.columns, ix.unique, ix.primary, norm(item.name) or None))
        elif isinstance(item, exp.IndexColumnConstraint):  # MySQL ``KEY ix (a, b)`` / ``INDEX ix (a)``
            cols = _parts(item.expressions, dialect)
            if cols:
                table.add_index(Index(tuple(cols), name=_ident(item.this)))
        else:
            ix = _constraint_index(item, dialect)
            if ix is not None:
                table.add_index(ix)
    return table


def learn_ddl(text: str, origin: str = "", dialect: str = DEFAULT_DIALECT) -> SchemaFacts:
    """Schema facts from DDL text, in statement order."""
    import sqlglot
    from sqlglot import exp

    _quiet()
    facts = SchemaFacts()
    tables: Dict[str, Table] = {}
    for chunk in split_statements(text, dialect):
        head = chunk.lstrip().split(None, 1)[0].upper() if chunk.strip() else ""
        if head not in ("CREATE", "ALTER", "DROP"):
            continue
        try:
            stmt = sqlglot.parse_one(chunk, dialect=dialect)
        except Exception:  # noqa: BLE001 - unsupported DDL is skipped, never fatal
            continue
        if isinstance(stmt, exp.Create):
            kind = (stmt.args.get("kind") or "").upper()
            if kind == "TABLE":
                table = _create_table(stmt, dialect, origin)
                if table is not None:
                    tables[table.name] = table
                    facts.tables.append(table)
            elif kind == "INDEX" and isinstance(stmt.this, exp.Index):
                idx = stmt.this
                target = idx.args.get("table")
                params = idx.args.get("params")
                if not isinstance(target, exp.Table) or params is None:
                    continue
                cols = _parts(params.args.get("columns"), dialect)
                using = params.args.get("using")
                method = norm(using.name) if using is not None and using.name else None
                if cols:
                    facts.indexes.append(
                        (
                            norm(target.name),
                            Index(
                                tuple(cols),
                                unique=bool(stmt.args.get("unique")),
                                name=norm(idx.name) if idx.name else None,
                                partial=params.args.get("where") is not None,
                                method=method,
                            ),
                        )
                    )
        elif isinstance(stmt, exp.Alter) and isinstance(stmt.this, exp.Table):
            name = norm(stmt.this.name)
            for action in stmt.args.get("actions") or []:
                if isinstance(action, exp.ColumnDef):
                    facts.columns.append((name, norm(action.name)))
                    for cons in action.args.get("constraints") or []:
                        kind = cons.args.get("kind")
                        if isinstance(kind, (exp.PrimaryKeyColumnConstraint, exp.UniqueColumnConstraint)):
                            facts.indexes.append((name, Index((norm(action.name),), unique=True)))
                elif isinstance(action, exp.AddConstraint):
                    for cons in action.expressions:
                        kinds = cons.expressions if isinstance(cons, exp.Constraint) else [cons]
                        for kind in kinds:
                            ix = _constraint_index(kind, dialect)
                            if ix is not None:
                                facts.indexes.append((name, ix))
        elif isinstance(stmt, exp.Drop) and (stmt.args.get("kind") or "").upper() == "INDEX":
            targets = list(stmt.args.get("tables") or []) or ([stmt.this] if stmt.this is not None else [])
            for target in targets:
                if isinstance(target, exp.Table) and target.name:
                    facts.dropped.append(norm(target.name))
    return facts
