"""FFT503: a predicate that no plain index can serve (function-wrapped column, leading-wildcard LIKE)."""

from __future__ import annotations

import re
from typing import Any


from fftlint.rule import Invalid, Rule

from ._common import SQL_WORDS, SqlOptions, SqlTextRule
from ._precheck import text_rule_could_match
from fftlint.analysis.sql.schema import index_name, quote_ident
from fftlint.engine.contexts import PRODUCTION_ONLY

from .provider import SchemaProvider


class UnsargablePredicate(SqlTextRule, Rule):
    """## What it does
    Checks SQL run by a known SQL-executing call for a predicate that no B-tree index on
    the column can serve, on a table that has no other index to start from:
    a function or cast around the column (`WHERE lower(email) = %s`,
    `WHERE date(created_at) = %s`, `WHERE id::text = %s`), or a `LIKE` / `ILIKE`
    pattern that starts with a wildcard (`WHERE name LIKE '%son'`).

    For a date/time function or cast of the column (`date(created_at)`, `created_at::date`,
    `date_trunc(...)`) the advice is the range on the bare column: on a `timestamptz`
    such an expression depends on the time zone and PostgreSQL refuses it in an index.

    It stays silent when an expression index matches (`CREATE INDEX ON users
    (lower(email))`), when a trigram (GIN / GiST) index covers the column, when another
    predicate of the same table can use an index, and on tables or columns the schema
    does not know.

    ## Why is this bad?
    An index stores the column's values, not `lower(value)` nor the values' suffixes:
    the database must read every row and evaluate the expression, even when the
    column has an index.

    ## Example
    ```python
    cur.execute("SELECT id FROM users WHERE lower(email) = lower(%s)", (email,))
    ```

    ## Use instead
    ```sql
    CREATE INDEX ix_users_lower_email ON users (lower(email));
    ```
    or compare the bare column (store e-mails normalised). For infix search use a
    trigram index (`CREATE INDEX ... USING gin (name gin_trgm_ops)`) or full-text search.

    ## Fix safety
    No automatic fix: the remedy is a schema change or a change of what is stored.
    """

    code = "FFT503"
    contexts = PRODUCTION_ONLY  # a test or a one-shot backfill needs no index
    name = "sql-unsargable-predicate"
    message = "`{expression}` cannot use an index on {table}.{column}, so each run reads every row of `{table}`; {advice}"
    requires = SQL_WORDS
    Options = SqlOptions
    options_key = "sql"
    needs_project = True  # the project's facts (its provider's)
    providers = (SchemaProvider,)
    tags = ("sql", "performance", "database")

    @classmethod
    def could_match(cls, view: Any) -> bool:
        return text_rule_could_match(cls, view)

    _SCHEMA = (
        "DDL = '''\n"
        "CREATE TABLE users (id bigserial PRIMARY KEY, email text UNIQUE, name text, country text, created_at timestamptz);\n"
        "CREATE INDEX ix_users_created ON users (created_at);\n'''\n"
        "def migrate(cur):\n    cur.execute(DDL)\n"
    )

    VALID = [
        _SCHEMA + "def f(cur, e):\n    cur.execute('SELECT id FROM users WHERE email = %s', (e,))\n",
        _SCHEMA + "def f(cur, n):\n    cur.execute(\"SELECT id FROM users WHERE name LIKE 'Jo%'\")\n",
        _SCHEMA + "def f(cur, e):\n    cur.execute('SELECT id FROM users WHERE id = %s AND lower(email) = %s', (1, e))\n",
        _SCHEMA.replace("'''\ndef", "CREATE INDEX ix_users_lower_email ON users (lower(email));\n'''\ndef")
        + "def f(cur, e):\n    cur.execute('SELECT id FROM users WHERE lower(email) = %s', (e,))\n",
        _SCHEMA.replace("'''\ndef", "CREATE INDEX ix_users_name_trgm ON users USING gin (name gin_trgm_ops);\n'''\ndef")
        + "def f(cur):\n    cur.execute(\"SELECT id FROM users WHERE name ILIKE '%son%'\")\n",
        _SCHEMA + "def f(cur, e):\n    cur.execute('SELECT id FROM people WHERE lower(email) = %s', (e,))\n",
    ]
    INVALID = [
        Invalid(
            _SCHEMA + "def f(cur, e):\n    cur.execute('SELECT id FROM users WHERE lower(email) = lower(%s)', (e,))\n",
            line=8,
            message_contains="CREATE INDEX ix_users_lower_email ON users ((lower(email)))",
        ),
        # date() of a timestamptz depends on the time zone: PostgreSQL refuses it in an
        # index (not IMMUTABLE), so the advice is the range on the bare column
        Invalid(
            _SCHEMA + "def f(cur, d):\n    cur.execute('SELECT id FROM users WHERE date(created_at) = %s', (d,))\n",
            message_contains="compare the bare column as a range (`created_at >= %s AND created_at < %s`)",
        ),
        Invalid(
            _SCHEMA + "def f(cur):\n    cur.execute(\"SELECT id FROM users WHERE name LIKE '%son'\")\n",
            message_contains="gin_trgm_ops",
        ),
    ]

    def end(self) -> None:
        for site, result in self.analysed():
            for item in result.unsargable:
                if not self.reportable(item.table):
                    continue
                if item.reason == "function" and _time_dependent(item.indexable or item.expression):
                    expr = item.expression.lower()
                    ddl = None
                    advice = (
                        f"compare the bare column as a range (`{item.column} >= %s AND {item.column} < %s`): "
                        "an index on a date/time function of a timestamp with time zone is refused (not IMMUTABLE)"
                    )
                elif item.reason == "function":
                    expr = item.expression.lower()
                    indexable = (item.indexable or item.expression).lower()
                    name = "ix_" + "_".join([item.table] + re.findall(r"\w+", indexable))[:60]
                    ddl = f"CREATE INDEX {name} ON {quote_ident(item.table)} (({indexable}))"
                    advice = f"add `{ddl}` or compare the bare column"
                else:
                    ddl = (
                        f"CREATE INDEX {index_name(item.table, [item.column])}_trgm "
                        f"ON {quote_ident(item.table)} USING gin ({quote_ident(item.column)} gin_trgm_ops)"
                    )
                    advice = f"a B-tree index cannot match a leading wildcard: add `{ddl}` (pg_trgm) or use full-text search"
                    expr = item.expression
                self.report(
                    site.node,
                    expression=expr,
                    table=item.table,
                    column=item.column,
                    advice=advice,
                    properties={"table": item.table, "column": item.column, "reason": item.reason, "sql": site.text, **({"ddl": ddl} if ddl else {})},
                )


#: Date/time functions and casts whose value depends on the session's time zone when
#: applied to a ``timestamptz``: PostgreSQL refuses them in an index expression.
_TIME_FUNCTIONS = re.compile(r"^\s*(?:date|date_trunc|date_part|extract|to_char|to_date|timezone|age)\s*\(|::\s*(?:date|time|timestamp)\b|^\s*cast\s*\(.*\bas\s+(?:date|time|timestamp)\b", re.IGNORECASE | re.DOTALL)


def _time_dependent(expression: str) -> bool:
    return bool(_TIME_FUNCTIONS.search(expression))
