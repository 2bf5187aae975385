"""Composite coverage (FFT504's model): a table that one index reaches by a prefix of the
query's equality columns, while no index continues with the range or sort column."""

import pytest

from fftlint.analysis.sql.ddl import learn_ddl
from fftlint.analysis.sql.query import analyse
from fftlint.analysis.sql.schema import Table, build_schema

DDL = """
CREATE TABLE customers (id bigserial PRIMARY KEY, email text UNIQUE, country text);
CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id bigint REFERENCES customers (id),
                     status text, region text, created_at timestamptz, total numeric, paid boolean,
                     priority smallint);
CREATE INDEX ix_orders_customer ON orders (customer_id);
CREATE INDEX ix_orders_status_created ON orders (status, created_at);
CREATE INDEX ix_orders_created ON orders (created_at);
CREATE TABLE events (id bigserial PRIMARY KEY, account_id bigint, kind text, seq int, created_at timestamptz);
CREATE INDEX ix_events_account_kind ON events (account_id, kind);
CREATE UNIQUE INDEX ux_events_account_seq ON events (account_id, seq);
"""
SCHEMA = build_schema([learn_ddl(DDL)])


def composites(sql, schema=SCHEMA):
    result = analyse(sql, schema)
    assert result.error is None, result.error
    return [(c.table, c.existing.name, c.suggestion, c.column, c.role) for c in result.composites]


@pytest.mark.parametrize(
    "sql, expected",
    [
        # the foreign key index finds the customer's orders; every one is then sorted
        (
            "SELECT * FROM orders WHERE customer_id = %s ORDER BY created_at DESC LIMIT 20",
            ("orders", "ix_orders_customer", ("customer_id", "created_at"), "created_at", "order"),
        ),
        # ... or filtered on the range
        (
            "SELECT id FROM orders WHERE customer_id = %s AND total >= %s",
            ("orders", "ix_orders_customer", ("customer_id", "total"), "total", "range"),
        ),
        (
            "SELECT id FROM orders o WHERE o.customer_id = $1 AND o.created_at BETWEEN $2 AND $3 ORDER BY o.created_at LIMIT 5",
            ("orders", "ix_orders_customer", ("customer_id", "created_at"), "created_at", "order"),
        ),
        # every equality column goes before the sort column, the existing prefix first
        (
            "SELECT * FROM orders WHERE region = %s AND customer_id = %s ORDER BY created_at LIMIT 20",
            ("orders", "ix_orders_customer", ("customer_id", "region", "created_at"), "created_at", "order"),
        ),
        # a shorter composite: (account_id, kind) is a prefix, created_at is not in it
        (
            "SELECT * FROM events WHERE account_id = $1 AND kind = $2 ORDER BY created_at DESC LIMIT 50",
            ("events", "ix_events_account_kind", ("account_id", "kind", "created_at"), "created_at", "order"),
        ),
        # a sort key fixed by an equality is no sort: the next key is
        (
            "SELECT * FROM orders WHERE customer_id = %s ORDER BY customer_id, total DESC LIMIT 10",
            ("orders", "ix_orders_customer", ("customer_id", "total"), "total", "order"),
        ),
        # a sort by a column with few values still stops early
        (
            "SELECT * FROM orders WHERE customer_id = %s ORDER BY priority DESC LIMIT 1",
            ("orders", "ix_orders_customer", ("customer_id", "priority"), "priority", "order"),
        ),
        # a LATERAL top-N: one ordered probe per outer row
        (
            "SELECT c.id, o.id FROM customers c CROSS JOIN LATERAL "
            "(SELECT id FROM orders o WHERE o.customer_id = c.id ORDER BY o.created_at DESC LIMIT 3) o",
            ("orders", "ix_orders_customer", ("customer_id", "created_at"), "created_at", "order"),
        ),
        # a left join that filters nothing leaves orders driving the query
        (
            "SELECT o.* FROM orders o LEFT JOIN customers c ON c.id = o.customer_id WHERE o.customer_id = %s ORDER BY o.created_at LIMIT 10",
            ("orders", "ix_orders_customer", ("customer_id", "created_at"), "created_at", "order"),
        ),
        # UPDATE / DELETE: the range
        (
            "DELETE FROM events WHERE account_id = %s AND created_at < %s",
            ("events", "ix_events_account_kind", ("account_id", "created_at"), "created_at", "range"),
        ),
        # an IN list on an unindexed column filters inside the scan
        (
            "SELECT * FROM orders WHERE customer_id = %s AND region IN ('a', 'b') ORDER BY created_at DESC LIMIT 20",
            ("orders", "ix_orders_customer", ("customer_id", "created_at"), "created_at", "order"),
        ),
        # a true/false flag is not an equality column worth indexing
        (
            "SELECT * FROM orders WHERE customer_id = %s AND paid = true ORDER BY created_at LIMIT 20",
            ("orders", "ix_orders_customer", ("customer_id", "created_at"), "created_at", "order"),
        ),
        # in a common table expression
        (
            "WITH recent AS (SELECT * FROM events WHERE account_id = %s AND created_at > now() - interval '1 day') "
            "SELECT count(*) FROM recent",
            ("events", "ix_events_account_kind", ("account_id", "created_at"), "created_at", "range"),
        ),
    ],
)
def test_a_prefix_index_without_the_range_or_sort_column_is_reported(sql, expected):
    assert composites(sql) == [expected]


@pytest.mark.parametrize(
    "sql",
    [
        # already served: the composite continues with the range / sort column
        "SELECT * FROM orders WHERE status = %s ORDER BY created_at DESC LIMIT 10",
        "SELECT * FROM orders WHERE status = %s AND created_at > %s",
        # ... even when another equality column is not in it (a filter inside the scan)
        "SELECT * FROM orders WHERE status = %s AND customer_id = %s ORDER BY created_at LIMIT 10",
        # nothing to continue with: equalities only, or a sort that is not paginated
        "SELECT * FROM orders WHERE customer_id = %s",
        "SELECT * FROM orders WHERE customer_id = %s AND region = %s",
        "SELECT * FROM orders WHERE customer_id = %s ORDER BY created_at",
        # a unique key fixed by equalities: one row at most
        "SELECT * FROM orders WHERE id = %s ORDER BY created_at LIMIT 1",
        "SELECT * FROM events WHERE account_id = %s AND seq = %s AND created_at > %s",
        # no index on the equality column: FFT501's finding, not this one
        "SELECT * FROM orders WHERE region = %s ORDER BY created_at LIMIT 10",
        # a range over a column with a handful of values selects a large share anyway
        "SELECT * FROM orders WHERE customer_id = %s AND priority >= 3",
        # a range on one column and a sort on another: which composite is better is a guess
        "SELECT * FROM orders WHERE customer_id = %s AND total > 5 ORDER BY created_at LIMIT 10",
        "SELECT * FROM orders WHERE customer_id = %s AND total > 5 AND created_at > %s",
        # the sort does not follow the scan: grouped, distinct, aggregated
        "SELECT status, count(*) FROM orders WHERE customer_id = %s GROUP BY status ORDER BY status LIMIT 5",
        "SELECT DISTINCT region FROM orders WHERE customer_id = %s ORDER BY region LIMIT 5",
        "SELECT max(total) FROM orders WHERE customer_id = %s ORDER BY 1 LIMIT 1",
        # an OR on the table: the access path is not a plain prefix
        "SELECT * FROM orders WHERE customer_id = %s AND (created_at > %s OR total > 5)",
        # another table is filtered: the planner may drive the query from it
        "SELECT o.* FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.email = %s ORDER BY o.created_at LIMIT 10",
        # the sort key is an expression, another table's column, or NULLS LAST on DESC
        "SELECT * FROM orders WHERE customer_id = %s ORDER BY lower(region) LIMIT 10",
        "SELECT o.* FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.customer_id = %s ORDER BY c.email LIMIT 10",
        "SELECT * FROM orders WHERE customer_id = %s ORDER BY created_at DESC NULLS LAST LIMIT 10",
        # IN lists: the index scan returns several runs, not one ordered range
        "SELECT * FROM orders WHERE customer_id IN (1, 2) ORDER BY created_at LIMIT 10",
        # another condition is an indexed access path of its own (a list of ids, a status)
        "SELECT * FROM orders WHERE customer_id = %s AND id IN (1, 2, 3) ORDER BY created_at LIMIT 10",
        "SELECT * FROM orders WHERE customer_id = %s AND status IS NULL AND total > 5",
        # unknown table or column
        "SELECT * FROM invoices WHERE account_id = %s ORDER BY created_at LIMIT 10",
        "SELECT * FROM orders WHERE customer_id = %s ORDER BY shipped_at LIMIT 10",
        # a correlated EXISTS without LIMIT: the planner may join the whole table instead
        "SELECT * FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND o.created_at > now())",
        # the range column has an index of its own: the planner combines the two
        "SELECT * FROM orders WHERE region = %s AND customer_id = %s AND created_at > %s",
        # a function of the column: FFT503's business
        "SELECT * FROM orders WHERE customer_id = %s AND date(created_at) = %s",
    ],
)
def test_served_unbounded_or_unknown_stays_silent(sql):
    assert composites(sql) == []


def test_a_partial_index_of_the_right_shape_may_serve_it():
    schema = build_schema([learn_ddl(DDL + "CREATE INDEX ix_orders_open ON orders (customer_id, created_at) WHERE status = 'open';")])
    assert composites("SELECT * FROM orders WHERE customer_id = %s AND status = 'open' ORDER BY created_at LIMIT 5", schema) == []


def test_a_prefix_index_that_is_partial_is_not_the_known_access_path():
    schema = build_schema(
        [
            learn_ddl(
                "CREATE TABLE jobs (id bigserial PRIMARY KEY, queue text, run_at timestamptz);"
                "CREATE INDEX ix_jobs_queue_pending ON jobs (queue) WHERE run_at IS NULL;"
            )
        ]
    )
    assert composites("SELECT * FROM jobs WHERE queue = %s ORDER BY run_at LIMIT 1", schema) == []


def test_other_index_methods_on_the_target_column_cannot_be_judged():
    schema = build_schema([learn_ddl(DDL + "CREATE INDEX ix_orders_created_brin ON orders USING brin (customer_id, created_at);")])
    assert composites("SELECT * FROM orders WHERE customer_id = %s AND created_at > %s", schema) == []


def test_an_opaque_table_is_never_judged():
    table = Table("report_view", opaque=True)
    for col in ("account_id", "created_at"):
        table.add_column(col)
    schema = build_schema([learn_ddl("CREATE TABLE x (id int PRIMARY KEY); CREATE INDEX ix_rv ON report_view (account_id);")])
    schema.merge_table(table)
    assert composites("SELECT * FROM report_view WHERE account_id = 1 ORDER BY created_at LIMIT 1", schema) == []


def test_the_suggestion_is_valid_ddl_and_no_gap_is_reported_twice():
    result = analyse("SELECT * FROM orders WHERE customer_id = %s ORDER BY created_at DESC LIMIT 20", SCHEMA)
    assert result.gaps == []  # FFT501 is silent: the foreign key index is an access path
    (c,) = result.composites
    assert c.ddl == "CREATE INDEX ix_orders_customer_id_created_at ON orders (customer_id, created_at)"
    # FFT501's gap and a composite never describe the same table occurrence
    result = analyse("SELECT * FROM orders WHERE region = %s ORDER BY created_at LIMIT 10", SCHEMA)
    assert result.gaps and not result.composites


def test_reserved_words_are_quoted_in_the_suggestion():
    schema = build_schema(
        [learn_ddl('CREATE TABLE "user" (id int PRIMARY KEY, "group" int, "order" int); CREATE INDEX ix_user_group ON "user" ("group");')]
    )
    (c,) = analyse('SELECT * FROM "user" WHERE "group" = 1 ORDER BY "order" LIMIT 3', schema).composites
    assert c.ddl == 'CREATE INDEX ix_user_group_order ON "user" ("group", "order")'
