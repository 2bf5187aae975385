"""Every index an FFT5xx finding suggests is valid SQL: each statement parses with sqlglot
as a CREATE INDEX on the reported table, names only columns of that table (no query
alias, no duplicate), and quotes what PostgreSQL reserves. The real database runs them in
tests/rules/test_sql_postgres.py."""

import os

import pytest
import sqlglot
from sqlglot import exp

from fftlint import registry
from fftlint.testing import project_for, python_files
from fftlint.analysis.sql.schema import create_index_ddl
from fftlint.engine.run import lint_source

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.abspath(os.path.join(HERE, "..", "..", "fixtures", "sql"))
RULES = [r for r in registry.all_rules() if r.code.startswith("FFT5")]


def statements(ddl):
    return [s.strip() for s in ddl.split(";") if s.strip()]


def check_ddl(ddl, table=None):
    """Parse ``ddl`` (one or more ``;``-separated statements) and return the column lists."""
    out = []
    for text in statements(ddl):
        tree = sqlglot.parse_one(text, read="postgres")
        assert isinstance(tree, exp.Create) and (tree.args.get("kind") or "").upper() == "INDEX", text
        index = tree.this
        target = index.args["table"]
        if table is not None:
            assert target.name == table, (text, table)
        params = index.args["params"]
        parts = params.args["columns"]
        columns = []
        for part in parts:
            node = part.this if isinstance(part, exp.Ordered) else part
            while isinstance(node, exp.Paren):  # ((expr)): PostgreSQL's form for any expression
                node = node.this
            for col in node.find_all(exp.Column):
                assert not col.table, f"a query alias leaked into {text!r}"
            columns.append(node.sql(dialect="postgres"))
        assert len(columns) == len(set(columns)), f"a column is named twice in {text!r}"
        out.append(columns)
    return out


def suggestions(diagnostics):
    for d in diagnostics:
        ddl = (d.properties or {}).get("ddl")
        if ddl:
            yield d, ddl


def test_reserved_words_and_odd_names_are_quoted():
    ddl = create_index_ddl("orders", ["user", "order", "Created At", "status"])
    (cols,) = check_ddl(ddl, "orders")
    assert cols == ['"user"', '"order"', '"Created At"', "status"]
    assert '"user"' in ddl and " status" in ddl or "(status" in ddl


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_every_example_suggestion_parses(rule):
    checked = 0
    for example in rule.INVALID:
        result = lint_source(example.code, example.path, [rule], options={rule.options_key: example.options} if example.options else None)
        for diag, ddl in suggestions(result.diagnostics):
            check_ddl(ddl, diag.properties.get("table"))
            checked += 1
    if rule.INVALID:
        assert checked, f"{rule.code}: no INVALID example carries a suggested index (properties['ddl'])"


def test_every_fixture_suggestion_parses():
    project = project_for(RULES, python_files(FIXTURES))
    checked = 0
    for dirpath, _, files in os.walk(FIXTURES):
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            path = os.path.join(dirpath, name)
            with open(path, encoding="utf-8") as fh:
                result = lint_source(fh.read(), path, RULES, project=project)
            for diag, ddl in suggestions(result.diagnostics):
                check_ddl(ddl, diag.properties.get("table"))
                checked += 1
    assert checked >= 15


EXPRESSION_CASES = [
    # the query's table alias must not reach the expression index (a Django u0 alias)
    ("SELECT * FROM routes u0 WHERE coalesce(u0.vrf_id, 0) = %s", "coalesce(vrf_id, 0)"),
    ('SELECT * FROM routes AS "r" WHERE lower("r"."name") = %s', "lower(name)"),
    ("SELECT * FROM routes WHERE upper(name || 'x') = %s", "upper(name || 'x')"),
]


@pytest.mark.parametrize("sql, expression", EXPRESSION_CASES)
def test_fft503_suggests_an_index_on_the_bare_expression(sql, expression):
    rule = registry.lookup("FFT503")
    code = (
        "DDL = 'CREATE TABLE routes (id bigserial PRIMARY KEY, vrf_id int, name text, created_at timestamptz)'\n"
        "def migrate(cur):\n    cur.execute(DDL)\n"
        f"def f(cur, x):\n    cur.execute({sql!r}, (x,))\n"
    )
    result = lint_source(code, "example.py", [rule])
    (diag,) = [d for d in result.diagnostics if d.code == "FFT503"]
    (cols,) = check_ddl(diag.properties["ddl"], "routes")
    assert [c.lower().replace('"', "") for c in cols] == [expression]
    assert diag.properties["ddl"] in diag.message


@pytest.mark.parametrize("predicate", ["date(created_at) = %s", "created_at::date = %s", "date_trunc('day', r.created_at) = %s"])
def test_time_zone_dependent_expressions_get_a_range_rewrite_not_an_index(predicate):
    # PostgreSQL refuses date(timestamptz) in an index: "functions in index expression
    # must be marked IMMUTABLE" (found by running the suggestions, test_sql_postgres.py)
    rule = registry.lookup("FFT503")
    code = (
        "DDL = 'CREATE TABLE routes (id bigserial PRIMARY KEY, created_at timestamptz)'\n"
        "def migrate(cur):\n    cur.execute(DDL)\n"
        f"def f(cur, x):\n    cur.execute({'SELECT * FROM routes r WHERE ' + predicate!r}, (x,))\n"
    )
    (diag,) = [d for d in lint_source(code, "example.py", [rule]).diagnostics if d.code == "FFT503"]
    assert "ddl" not in diag.properties
    assert "created_at >= %s AND created_at < %s" in diag.message
