"""Index coverage of SQL statements: WHERE / JOIN / ORDER BY per table occurrence."""

import pytest

from fftlint.analysis.sql.ddl import learn_ddl
from fftlint.analysis.sql.query import analyse
from fftlint.analysis.sql.schema import build_schema

SCHEMA = build_schema(
    [
        learn_ddl(
            """
            CREATE TABLE customers (id bigserial PRIMARY KEY, email text UNIQUE, country text, name text);
            CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id bigint, status text,
                                 created_at timestamptz, total numeric);
            CREATE INDEX ix_orders_status_created ON orders (status, created_at);
            CREATE TABLE order_items (id bigserial PRIMARY KEY, order_id bigint, sku text, qty int);
            CREATE INDEX ix_customers_lower_email ON customers (lower(email));
            """
        )
    ]
)


def gaps(sql):
    result = analyse(sql, SCHEMA)
    assert result.error is None, result.error
    return {(g.table, g.columns, g.clauses) for g in result.gaps}


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM orders WHERE id = %s",
        "SELECT * FROM orders WHERE id IN (1, 2, 3)",
        "SELECT * FROM orders WHERE status = ? AND created_at BETWEEN ? AND ?",
        "SELECT * FROM orders WHERE status IS NULL",
        "SELECT * FROM orders WHERE total > 5 AND (status = :a OR id = :b)",
        "SELECT * FROM orders o WHERE o.status = $1 ORDER BY o.created_at LIMIT 10",
        "SELECT * FROM orders ORDER BY status LIMIT 10",
        "SELECT * FROM orders ORDER BY created_at",  # a full ordered read: no pagination
        "SELECT count(*) FROM orders",
        "SELECT * FROM orders WHERE NOT status = 'x'",
        "SELECT * FROM orders WHERE total + 1 > 5",
        "SELECT * FROM invoices WHERE number = 1",  # unknown table
        "SELECT * FROM orders WHERE discount = 1",  # unknown column
        "SELECT * FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.status = %s",
        "SELECT * FROM orders o JOIN order_items i ON i.order_id = o.id",  # nothing filters
        "SELECT * FROM orders o JOIN mystery m ON m.order_id = o.id WHERE m.x = 1",
        "WITH big AS (SELECT id FROM orders WHERE status = 'x') SELECT * FROM big WHERE id > 3",
        "SELECT id FROM orders WHERE status = 'a' UNION SELECT id FROM orders WHERE id = 3",
        "INSERT INTO orders (customer_id) VALUES (1)",
        "SELECT * FROM customers WHERE lower(email) = %s",  # expression index
    ],
)
def test_covered_or_unknown_stays_silent(sql):
    assert gaps(sql) == set()


@pytest.mark.parametrize(
    "sql, expected",
    [
        ("SELECT * FROM orders WHERE customer_id = %s", ("orders", ("customer_id",), ("WHERE",))),
        ("SELECT * FROM orders WHERE created_at > now() - interval '1 day'", ("orders", ("created_at",), ("WHERE",))),
        ("SELECT * FROM orders WHERE status = 'a' OR total > 3", ("orders", ("total",), ("WHERE",))),
        ("select * from ORDERS where CUSTOMER_ID = 1", ("orders", ("customer_id",), ("WHERE",))),
        ("SELECT * FROM orders ORDER BY created_at DESC LIMIT 20", ("orders", ("created_at",), ("ORDER BY",))),
        (
            "SELECT * FROM orders WHERE customer_id = %s ORDER BY created_at DESC LIMIT 20",
            ("orders", ("customer_id", "created_at"), ("WHERE", "ORDER BY")),
        ),
        (
            "SELECT i.* FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.id = %s",
            ("order_items", ("order_id",), ("JOIN",)),
        ),
        (
            "SELECT i.* FROM orders o, order_items i WHERE i.order_id = o.id AND o.status = %s",
            ("order_items", ("order_id",), ("JOIN",)),
        ),
        (
            "SELECT * FROM orders o WHERE o.id IN (SELECT order_id FROM order_items WHERE sku = %s)",
            ("order_items", ("sku",), ("WHERE",)),
        ),
        (
            "SELECT * FROM orders o WHERE EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id)",
            ("order_items", ("order_id",), ("WHERE",)),
        ),
        (
            "WITH recent AS (SELECT * FROM orders WHERE total > 100) SELECT * FROM recent",
            ("orders", ("total",), ("WHERE",)),
        ),
        ("UPDATE orders SET status = 'x' WHERE customer_id = 7", ("orders", ("customer_id",), ("WHERE",))),
        ("DELETE FROM order_items WHERE sku = :sku", ("order_items", ("sku",), ("WHERE",))),
        ("SELECT * FROM customers c WHERE c.country = 'NZ'", ("customers", ("country",), ("WHERE",))),
    ],
)
def test_uncovered_columns_are_reported(sql, expected):
    assert gaps(sql) == {expected}


def test_join_chain_reports_each_unindexed_probe():
    found = gaps(
        "SELECT * FROM customers c JOIN orders o ON o.customer_id = c.id "
        "JOIN order_items i ON i.order_id = o.id WHERE c.email = %s"
    )
    assert found == {("orders", ("customer_id",), ("JOIN",)), ("order_items", ("order_id",), ("JOIN",))}


def test_suggested_ddl_is_composite_for_and_and_separate_for_or():
    (g,) = analyse("SELECT * FROM orders WHERE total > 1 AND customer_id = 2", SCHEMA).gaps
    assert g.ddl == "CREATE INDEX ix_orders_customer_id_total ON orders (customer_id, total)"
    (g,) = analyse("SELECT * FROM orders WHERE customer_id = 1 OR total = 2", SCHEMA).gaps
    assert g.ddl == (
        "CREATE INDEX ix_orders_customer_id ON orders (customer_id); CREATE INDEX ix_orders_total ON orders (total)"
    )
    (g,) = analyse("SELECT * FROM orders WHERE customer_id = 1 ORDER BY created_at LIMIT 5", SCHEMA).gaps
    assert g.ddl == "CREATE INDEX ix_orders_customer_id_created_at ON orders (customer_id, created_at)"


def test_unsargable_predicates_only_when_no_index_path():
    r = analyse("SELECT * FROM customers WHERE lower(country) = %s", SCHEMA)
    assert [(u.table, u.column, u.reason) for u in r.unsargable] == [("customers", "country", "function")]
    r = analyse("SELECT * FROM customers WHERE name LIKE '%son'", SCHEMA)
    assert [(u.column, u.reason) for u in r.unsargable] == [("name", "leading-wildcard")]
    assert not analyse("SELECT * FROM customers WHERE name LIKE 'Jo%'", SCHEMA).unsargable
    assert not analyse("SELECT * FROM customers WHERE id = 1 AND lower(country) = 'x'", SCHEMA).unsargable
    assert not analyse("SELECT * FROM customers WHERE lower(email) = 'x'", SCHEMA).unsargable


def test_bad_sql_is_an_error_not_an_exception():
    result = analyse("SELECT FROM WHERE ((", SCHEMA)
    assert result.gaps == [] and result.error


def test_a_table_whose_indexes_are_unknowable_is_never_judged():
    from fftlint.analysis.sql.schema import Table

    view = Table("report_view", opaque=True)
    view.add_column("region")
    schema = build_schema([])
    schema.merge_table(view)
    assert schema.table("report_view").opaque
    result = analyse("SELECT * FROM report_view WHERE lower(region) = 'x' OR region = 'y'", schema)
    assert result.gaps == [] and result.unsargable == []


def test_a_column_filtered_twice_is_named_once():
    (g,) = analyse("SELECT * FROM orders WHERE total >= 1 AND total < 9", SCHEMA).gaps
    assert g.columns == ("total",) and g.clauses == ("WHERE",)
    (g,) = analyse("SELECT * FROM orders WHERE (customer_id = 1 AND total > 2) OR (customer_id = 3 AND qty = 2)", SCHEMA).gaps or [None]
    assert g is None or len(set(g.columns)) == len(g.columns)
