"""FFT503: a predicate that no plain index can serve (function-wrapped column, leading-wildcard LIKE)."""

from __future__ import annotations

import re
from typing import Any


from fftlint.rule import Invalid, Rule

from ._common import SQL_WORDS, SqlOptions, SqlTextRule
from ._precheck import text_rule_could_match
from fftlint.analysis.sql.schema import index_name
from fftlint.engine.contexts import PRODUCTION_ONLY


class UnsargablePredicate(SqlTextRule, Rule):
    """## What it does
    Checks SQL run by a known SQL-executing call for a predicate that no B-tree index on
    the column can serve, on a table that has no other index to start from:
    a function or cast around the column (`WHERE lower(email) = %s`,
    `WHERE date(created_at) = %s`, `WHERE id::text = %s`), or a `LIKE` / `ILIKE`
    pattern that starts with a wildcard (`WHERE name LIKE '%son'`).

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
    needs_project = True
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
            message_contains="CREATE INDEX ix_users_lower_email ON users (lower(email))",
        ),
        Invalid(
            _SCHEMA + "def f(cur, d):\n    cur.execute('SELECT id FROM users WHERE date(created_at) = %s', (d,))\n",
            message_contains="users.created_at",
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
                if item.reason == "function":
                    expr = item.expression.lower()
                    name = "ix_" + "_".join([item.table] + re.findall(r"\w+", expr))[:60]
                    advice = f"add `CREATE INDEX {name} ON {item.table} ({expr})` or compare the bare column"
                else:
                    advice = (
                        f"a B-tree index cannot match a leading wildcard: add `CREATE INDEX {index_name(item.table, [item.column])}_trgm "
                        f"ON {item.table} USING gin ({item.column} gin_trgm_ops)` (pg_trgm) or use full-text search"
                    )
                    expr = item.expression
                self.report(
                    site.node,
                    expression=expr,
                    table=item.table,
                    column=item.column,
                    advice=advice,
                    properties={"table": item.table, "column": item.column, "reason": item.reason},
                )
