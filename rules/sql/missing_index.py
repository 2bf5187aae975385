"""FFT501: raw SQL filtering, joining or ordering on columns that no index covers."""

from __future__ import annotations

from typing import Any, List


from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.rule import Invalid, Rule, Valid
from ._common import SQL_WORDS, SqlOptions, SqlTextRule
from ._precheck import text_rule_could_match
from .provider import SchemaProvider


class MissingIndexRawSql(SqlTextRule, Rule):
    """## What it does
    Checks SQL text run by a known SQL-executing call (DB-API `cursor.execute`,
    `executemany`, asyncpg `fetch` / `fetchrow`, SQLAlchemy `text(...)`, Django `raw()`,
    pandas `read_sql`, ... -- the catalog `sql_calls.yaml`) whose `WHERE`, `JOIN ... ON`
    or paginated `ORDER BY` columns are not the leading column of any index of that table.

    The schema is learned, never guessed: `CREATE TABLE` / `CREATE INDEX` / `ALTER TABLE`
    in the project's `.sql` files, Django models and migrations, Alembic migrations,
    SQLAlchemy models, and DDL the file itself runs. Tables or columns the schema does
    not know are never reported; primary keys, unique constraints and the leftmost
    column of composite indexes count as indexed. An `AND` is fine when any of its
    columns is indexed; an `OR` needs an index for every branch. A join column matters
    when the other side of the join is filtered (the planner wants to probe this table).
    Not reported: `TRUE`/`FALSE` flag comparisons, the database's own catalogs
    (`pg_*`, `sqlite_*`, `information_schema`), and SQL in migrations (`migrations/`,
    `alembic/` folders), which runs once per database.

    ## Why is this bad?
    Without an index the database reads the whole table for every execution: a query
    that takes a millisecond on a developer's hundred rows takes seconds on production's
    ten million, holds locks longer, and evicts hot pages from the cache.

    ## Example
    ```sql
    -- schema.sql
    CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id bigint, status text);
    ```
    ```python
    cur.execute("SELECT id, status FROM orders WHERE customer_id = %s", (customer_id,))
    ```

    ## Use instead
    Add the index the message names, in a migration:
    ```sql
    CREATE INDEX ix_orders_customer_id ON orders (customer_id);
    ```

    ## Fix safety
    No automatic fix: an index is a schema change (a migration, built concurrently on
    large tables), not an edit of this line.

    ## Options
    `[tool.fftlint.sql]`: `dialect` (sqlglot dialect, default `postgres`),
    `schema-files` (globs under the project root, default `["**/*.sql"]`),
    `extra-methods` / `extra-functions` (more calls that run SQL), `ignore-tables`
    (small lookup tables where a full scan is fine).
    """

    code = "FFT501"
    contexts = PRODUCTION_ONLY  # a test or a one-shot backfill needs no index
    name = "sql-missing-index"
    message = "no index covers {table}.{columns} used in {clauses}: each run reads every row of `{table}`; add `{ddl}`"
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
        'SCHEMA = """\n'
        "CREATE TABLE customers (id bigserial PRIMARY KEY, email text UNIQUE, country text);\n"
        "CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id bigint REFERENCES customers (id),\n"
        "                     status text, created_at timestamptz, total numeric);\n"
        "CREATE INDEX ix_orders_status_created ON orders (status, created_at);\n"
        'CREATE TABLE order_items (id bigserial PRIMARY KEY, order_id bigint NOT NULL, sku text);\n"""\n'
        "def migrate(cur):\n    cur.execute(SCHEMA)\n"
    )

    VALID = [
        # primary key lookup
        _SCHEMA + "def f(cur, i):\n    cur.execute('SELECT * FROM orders WHERE id = %s', (i,))\n",
        # unique constraint
        _SCHEMA + "def f(cur, e):\n    cur.execute('SELECT id FROM customers WHERE email = %s', (e,))\n",
        # leftmost prefix of a composite index, and the full prefix
        _SCHEMA + "def f(cur, s):\n    cur.execute('SELECT id FROM orders WHERE status = %s', (s,))\n",
        _SCHEMA + "def f(cur, s, d):\n    cur.execute('SELECT id FROM orders WHERE status = %s AND created_at > %s', (s, d))\n",
        # one indexed column is enough for an AND
        _SCHEMA + "def f(cur, i):\n    cur.execute('SELECT id FROM orders WHERE id = %s AND total > 10', (i,))\n",
        # unknown table / unknown column: no schema, no finding
        _SCHEMA + "def f(cur, x):\n    cur.execute('SELECT * FROM audit_log WHERE actor = %s', (x,))\n",
        _SCHEMA + "def f(cur, x):\n    cur.execute('SELECT * FROM orders WHERE coupon = %s', (x,))\n",
        # no filter at all: a full read is what the query asks for
        _SCHEMA + "def f(cur):\n    cur.execute('SELECT count(*) FROM orders')\n",
        # function-wrapped column: FFT503's business
        _SCHEMA + "def f(cur, c):\n    cur.execute('SELECT id FROM customers WHERE lower(country) = %s', (c,))\n",
        # dynamic SQL text is not analysed
        _SCHEMA + "def f(cur, col, v):\n    cur.execute(f'SELECT * FROM orders WHERE {col} = %s', (v,))\n",
        # not a SQL-running call
        _SCHEMA + "def f(log):\n    log.info('SELECT * FROM orders WHERE customer_id = 1')\n",
        # ignored table (a small lookup table)
        Valid(
            _SCHEMA + "def f(cur, c):\n    cur.execute('SELECT id FROM customers WHERE country = %s', (c,))\n",
            options={"ignore-tables": ["customers"]},
        ),
        # a data migration runs once per database
        Valid(
            _SCHEMA + "def f(cur, c):\n    cur.execute('SELECT id FROM orders WHERE customer_id = %s', (c,))\n",
            path="billing/migrations/0007_backfill_totals.py",
        ),
        # the database's own catalogs are indexed by the engine
        _SCHEMA.replace("CREATE TABLE customers", "CREATE TABLE pg_type (oid oid, typname name);\nCREATE TABLE customers")
        + "def f(cur, n):\n    cur.execute('SELECT oid FROM pg_type WHERE typname = %s', (n,))\n",
        # a true/false flag splits the table in halves: an index would not be used
        _SCHEMA.replace("total numeric", "total numeric, paid boolean")
        + "def f(cur):\n    cur.execute('SELECT id FROM orders WHERE paid = true')\n",
        # the join column on the probed side is indexed (the primary key)
        _SCHEMA + "def f(cur, s):\n    cur.execute('SELECT c.email FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.status = %s', (s,))\n",
    ]
    INVALID = [
        Invalid(
            _SCHEMA + "def f(cur, c):\n    cur.execute('SELECT id FROM orders WHERE customer_id = %s', (c,))\n",
            line=11,
            column=5,
            message_contains="add `CREATE INDEX ix_orders_customer_id ON orders (customer_id)`",
        ),
        # the second column of a composite index does not lead it
        Invalid(
            _SCHEMA + "def f(cur, d):\n    cur.execute('SELECT id FROM orders WHERE created_at > %s', (d,))\n",
            message_contains="orders.created_at",
        ),
        # an OR needs an index on every branch
        Invalid(
            _SCHEMA + "def f(cur, s, c):\n    cur.execute('SELECT id FROM orders WHERE status = %s OR customer_id = %s', (s, c))\n",
            message_contains="customer_id",
        ),
        # join from a filtered table into an unindexed foreign key column
        Invalid(
            _SCHEMA
            + "def f(cur, i):\n    cur.execute(\n        'SELECT i.sku FROM orders o '\n        'JOIN order_items i ON i.order_id = o.id '\n        'WHERE o.id = %s', (i,))\n",
            message_contains="order_items.order_id used in JOIN",
        ),
        # paginated ORDER BY without an index that leads with the column
        Invalid(
            _SCHEMA + "def f(cur):\n    cur.execute('SELECT id FROM orders ORDER BY created_at DESC LIMIT 20')\n",
            message_contains="ORDER BY",
        ),
        # asyncpg, module constant, UPDATE
        Invalid(
            _SCHEMA + "CANCEL = 'UPDATE orders SET status = $1 WHERE customer_id = $2'\n"
            "async def f(conn, c):\n    await conn.execute(CANCEL, 'cancelled', c)\n",
        ),
        # SQLAlchemy text() with a correlated subquery
        Invalid(
            "import sqlalchemy as sa\n" + _SCHEMA
            + "Q = sa.text('SELECT * FROM orders o WHERE EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id AND i.sku = :sku)')\n",
            message_contains="order_items",
        ),
        # SQLAlchemy model in the same file teaches the schema
        Invalid(
            "import sqlalchemy as sa\nfrom sqlalchemy import Column, Integer, String\n"
            "class User(Base):\n    __tablename__ = 'users'\n    id = Column(Integer, primary_key=True)\n"
            "    email = Column(String, unique=True)\n    city = Column(String)\n\n"
            "def by_city(session, city):\n    return session.execute(sa.text('SELECT * FROM users WHERE city = :c'), {'c': city})\n",
        ),
    ]

    def end(self) -> None:
        for site, result in self.analysed():
            for gap in result.gaps:
                if not self.reportable(gap.table):
                    continue
                cols: List[str] = list(gap.columns)
                columns = cols[0] if len(cols) == 1 else "(" + ", ".join(cols) + ")"
                clauses = "/".join(dict.fromkeys(gap.clauses))
                self.report(
                    site.node,
                    table=gap.table,
                    columns=columns,
                    clauses=clauses,
                    ddl=gap.ddl,
                    properties={"table": gap.table, "columns": cols, "clauses": list(gap.clauses), "ddl": gap.ddl, "sql": site.text},
                )
