"""FFT5xx's index-coverage model, checked against PostgreSQL's real planner.

The fixture DDL (fixtures/sql/db/*.sql) is applied to a throwaway database, then:

* the tables are filled with ROWS rows of high-cardinality data and ANALYZEd, so the
  planner's choices are the ones production would see (with ``enable_seqscan = off`` it
  would instead scan a whole composite index to check a *non-leading* column -- an "Index
  Cond" that is no cheaper than a Seq Scan, which is exactly why FFT501 reports it);
* every column of every table is probed (``WHERE col = $1`` and ``ORDER BY col LIMIT 1``,
  generic plans): the planner uses an index condition / an ordered index scan exactly
  when the learned schema says an index leads with the column;
* every SQL statement of the fixture code is explained: where FFT501 / FFT503 report a
  table's columns, the planner finds no index condition on them (it scans the table);
  where they stay silent on a filtered statement, the plan has an index condition.

PostgreSQL comes from ``.ci/postgres.sh`` (``FFTLINT_PG_SOCKET`` names the socket
directory). Without it the test skips locally and FAILS under CI.
"""

from __future__ import annotations

import glob
import json
import os
import uuid

import pytest

from fftlint.analysis.sql.ddl import learn_ddl
from fftlint.analysis.sql.query import analyse
from fftlint.analysis.sql.schema import build_schema
from fftlint.engine.run import lint_source
from fftlint.rules.sql.missing_index import MissingIndexRawSql

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.abspath(os.path.join(HERE, "..", "..", "fixtures", "sql"))
DDL_FILES = [os.path.join(FIXTURE, "db", "schema.sql")] + sorted(glob.glob(os.path.join(FIXTURE, "db", "migrations", "*.sql")))
CODE_FILES = sorted(glob.glob(os.path.join(FIXTURE, "shop", "*.py")))
ROWS = 20000
GROUPS = 20


def _value_sql(data_type: str, length, grouped: bool = False) -> str:
    """A high-cardinality value of the column's type for row ``g`` (ids 1..ROWS, so
    foreign keys to other tables' ids are valid); for a ``grouped`` column one of GROUPS
    values, each shared by ROWS / GROUPS rows (an order's many payments)."""
    t = data_type.lower()
    if grouped:
        return f"1 + g % {GROUPS}" if t in ("smallint", "integer", "bigint", "numeric") else f"md5((g % {GROUPS})::text)"
    if t in ("smallint", "integer", "bigint", "numeric", "real", "double precision"):
        return "g"
    if t == "boolean":
        return "g % 2 = 0"
    if t.startswith("timestamp") or t == "date":
        return "(timestamp '2020-01-01' + g * interval '1 minute')"
    if t == "character" and length:
        return f"left(md5(g::text), {int(length)})"
    return "md5(g::text)"


def _fill(conn, tables, grouped=()) -> None:
    for table in tables:
        cols = conn.execute(
            "SELECT column_name, data_type, character_maximum_length FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
            (table,),
        ).fetchall()
        names = ", ".join(c[0] for c in cols)
        values = ", ".join(_value_sql(c[1], c[2], (table, c[0]) in grouped) for c in cols)
        conn.execute(f"INSERT INTO {table} ({names}) SELECT {values} FROM generate_series(1, {ROWS}) AS g")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL planner test cannot run under CI: {reason}")
    pytest.skip(f"PostgreSQL planner test skipped: {reason} (start one with: eval \"$(bash .ci/postgres.sh start)\")")


@pytest.fixture(scope="module")
def db(schema):
    yield from _database(schema)


def _database(schema, grouped=()):
    """A throwaway database with the fixture DDL, filled (``grouped`` columns skewed)."""
    socket_dir = os.environ.get("FFTLINT_PG_SOCKET")
    if not socket_dir:
        _unavailable("FFTLINT_PG_SOCKET is not set")
    try:
        import psycopg
    except ImportError:
        _unavailable("psycopg is not installed (it is in the `test` extra)")
    try:
        admin = psycopg.connect(host=socket_dir, user="postgres", dbname="postgres", autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        _unavailable(f"cannot connect to PostgreSQL on {socket_dir}: {exc}")
    name = "fftlint_" + uuid.uuid4().hex[:12]
    admin.execute(f"CREATE DATABASE {name}")
    conn = psycopg.connect(host=socket_dir, user="postgres", dbname=name, autocommit=True)
    try:
        for path in DDL_FILES:
            with open(path, encoding="utf-8") as fh:
                conn.execute(fh.read())
        _fill(conn, list(schema.tables), grouped)
        conn.execute("ANALYZE")
        conn.execute("SET plan_cache_mode = force_generic_plan")
        yield conn
    finally:
        conn.close()
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.close()


@pytest.fixture(scope="module")
def schema():
    facts = []
    for path in DDL_FILES:
        with open(path, encoding="utf-8") as fh:
            facts.append(learn_ddl(fh.read(), path))
    return build_schema(facts)


# --------------------------------------------------------------------------- plans
def _nodes(plan):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _relation_nodes(plan, table):
    """Scan nodes of ``table``, with the Bitmap Index Scans under a Bitmap Heap Scan."""
    for node in _nodes(plan):
        if node.get("Relation Name") == table:
            yield node
            if node["Node Type"] == "Bitmap Heap Scan":
                yield from _nodes(node)


def _index_conditions(plan, table):
    conds = []
    for node in _relation_nodes(plan, table):
        if "Index Cond" in node:
            conds.append(node["Index Cond"])
    return conds


def _mentions(cond: str, column: str) -> bool:
    import re

    return re.search(rf"(?<![\w.]){re.escape(column)}\b|\.{re.escape(column)}\b", cond) is not None


def to_dollar_params(sql: str) -> tuple:
    """%s / ? / :name / %(name)s -> $n (named ones reuse their number); -> (sql, count)."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, dialect="postgres")
    numbers = [int(p.this.this) for p in tree.find_all(exp.Parameter) if isinstance(p.this, exp.Literal)]
    counter = [max(numbers, default=0)]
    named = {}
    # in the order of the text; an anonymous ``%s`` / ``?`` is named "?" by sqlglot, so
    # only a placeholder with a name of its own (``:e``, ``%(e)s``) reuses a number
    for node in list(tree.find_all(exp.Placeholder, bfs=False)):
        key = node.name if node.args.get("this") else None
        if key and key in named:
            n = named[key]
        else:
            counter[0] += 1
            n = counter[0]
            if key:
                named[key] = n
        node.replace(exp.Parameter(this=exp.Literal.number(n)))
    return tree.sql(dialect="postgres"), counter[0]


def explain(db, sql: str) -> dict:
    text, count = to_dollar_params(sql)
    name = "p_" + uuid.uuid4().hex[:8]
    db.execute(f"PREPARE {name} AS {text}")
    try:
        args = ", ".join(["NULL"] * count)
        row = db.execute(f"EXPLAIN (FORMAT JSON) EXECUTE {name}" + (f"({args})" if count else "")).fetchone()
    finally:
        db.execute(f"DEALLOCATE {name}")
    data = row[0] if not isinstance(row[0], str) else json.loads(row[0])
    return data[0]["Plan"]


# --------------------------------------------------------------------------- the model, column by column
def test_every_column_probe_agrees_with_the_schema(db, schema):
    checked = 0
    disagreements = []
    major = int(db.execute("SHOW server_version_num").fetchone()[0]) // 10000
    for table in schema.tables.values():
        for column in table.columns:
            expected = table.leading_indexed(column)
            plan = explain(db, f"SELECT * FROM {table.name} WHERE {column} = $1")
            used = any(_mentions(c, column) for c in _index_conditions(plan, table.name))
            if used != expected and not (used and major >= 18):  # PG 18 skip scans may use later columns
                disagreements.append(f"WHERE {table.name}.{column}: schema says indexed={expected}, planner index cond={used}")
            plan = explain(db, f"SELECT * FROM {table.name} ORDER BY {column} LIMIT 1")
            sorted_by_index = not any(n["Node Type"] in ("Sort", "Incremental Sort") for n in _nodes(plan))
            if sorted_by_index != expected:
                disagreements.append(f"ORDER BY {table.name}.{column}: schema says indexed={expected}, planner ordered by an index={sorted_by_index}")
            checked += 1
    assert checked >= 25
    assert not disagreements, "\n".join(disagreements)


# --------------------------------------------------------------------------- the fixture's statements
class _Recorder(MissingIndexRawSql):
    statements: list = []

    def end(self) -> None:
        type(self).statements.extend(site.text for site in self.sql.queries)


def fixture_statements():
    _Recorder.statements = []
    for path in CODE_FILES:
        with open(path, encoding="utf-8") as fh:
            lint_source(fh.read(), path, [_Recorder])
    return list(_Recorder.statements)


def test_reported_statements_really_scan_and_silent_ones_use_an_index(db, schema):
    statements = fixture_statements()
    assert len(statements) >= 15
    reported = silent = 0
    problems = []
    for sql in statements:
        result = analyse(sql, schema)
        assert result.error is None, (sql, result.error)
        if not result.tables:
            continue  # tables the schema does not know (audit_log): nothing to check
        plan = explain(db, sql)
        claims = [(g.table, [c for c, k in zip(g.columns, g.clauses) if k != "ORDER BY"], "FFT501") for g in result.gaps]
        claims += [(u.table, [u.column], "FFT503") for u in result.unsargable]
        for table, columns, code in claims:
            reported += 1
            conds = _index_conditions(plan, table)
            hit = [c for c in conds for col in columns if _mentions(c, col)]
            if hit:
                problems.append(f"{code} says {table}{columns} has no usable index, but the planner used {hit}: {sql}")
        for gap in result.gaps:
            for col, clause in zip(gap.columns, gap.clauses):
                if clause == "ORDER BY" and not any(n["Node Type"] in ("Sort", "Incremental Sort") for n in _nodes(plan)):
                    problems.append(f"FFT501 says ORDER BY {gap.table}.{col} needs a sort, the planner did not sort: {sql}")
        if not claims and " where " in " ".join(sql.lower().split()):
            silent += 1
            if not any(_index_conditions(plan, t) for t in result.tables):
                problems.append(f"FFT501 is silent, but the planner found no index condition: {sql}")
    assert reported >= 8 and silent >= 5, (reported, silent)
    assert not problems, "\n".join(problems)


def test_placeholder_conversion():
    sql, n = to_dollar_params("SELECT 1 FROM t WHERE a = %s AND b = :e AND c = $1 AND d = :e AND x LIKE '%son'")
    assert n == 3
    assert "a = $2" in sql and "b = $3" in sql and "d = $3" in sql and "'%son'" in sql
    sql, n = to_dollar_params("SELECT 1 FROM t WHERE a = %s AND b >= %s AND (c < %s OR d = %s)")
    assert n == 4 and "a = $1 AND b >= $2 AND (c < $3 OR d = $4)" in sql


# --------------------------------------------------------------------------- the suggestions, applied
def _plan_indexes(plan):
    return {n["Index Name"] for n in _nodes(plan) if "Index Name" in n}


def _ddl_statements(ddl):
    return [s.strip() for s in ddl.split(";") if s.strip()]


def _index_names(statements):
    import sqlglot

    return {sqlglot.parse_one(s, read="postgres").this.name for s in statements}


def check_suggestion(db, diag, problems, tables):
    """Run the finding's suggested DDL inside a transaction that is rolled back: every
    statement must succeed, and the planner must then be able to use one of the new
    indexes for the finding's own statement (which it did not before)."""
    import psycopg

    props = diag.properties
    statements = _ddl_statements(props["ddl"])
    names = _index_names(statements)
    before = _plan_indexes(explain(db, props["sql"]))
    assert not (before & names), (diag.message, before)
    try:
        with db.transaction():
            for stmt in statements:
                db.execute(stmt)
            for table in tables:
                db.execute(f'ANALYZE "{table}"')
            # whether the index CAN serve the statement: with a NULL parameter an open
            # range is estimated at a third of the table, so the planner is asked to
            # prefer indexes (a full scan of an index that serves no condition nor the
            # order is never chosen for SELECT *, so a hit still means the index fits)
            db.execute("SET LOCAL enable_seqscan = off")
            after = _plan_indexes(explain(db, props["sql"]))
            raise psycopg.Rollback()
    except psycopg.Error as exc:
        problems.append(f"{diag.code}: {props['ddl']!r} failed on PostgreSQL: {exc}")
        return
    if not (after & names):
        problems.append(f"{diag.code}: after {props['ddl']!r} the planner still uses {sorted(after) or 'no index'} for {props['sql']}")


def test_every_suggested_index_is_created_and_used(db, schema):
    from fftlint.rules.sql.unsargable_predicate import UnsargablePredicate

    db.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    problems = []
    checked = set()
    for path in CODE_FILES:
        with open(path, encoding="utf-8") as fh:
            result = lint_source(fh.read(), path, [MissingIndexRawSql, UnsargablePredicate])
        for diag in result.diagnostics:
            if diag.code in ("FFT501", "FFT503") and diag.properties.get("ddl"):
                check_suggestion(db, diag, problems, [diag.properties["table"]])
                checked.add(diag.code)
    assert checked == {"FFT501", "FFT503"}
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- ORM findings, on the learned schema
LEARNED_ROOT = FIXTURE


def _learned_schema():
    from fftlint import registry
    from fftlint.testing import project_for, python_files

    project = project_for([r for r in registry.all_rules() if r.code.startswith("FFT5")], python_files(LEARNED_ROOT))
    return build_schema(project.facts_of("sql-schema")), project


def _create_learned(conn, schema, grouped=()) -> list:
    """The tables the Python sources teach (Django models, SQLAlchemy models, Alembic),
    every column ``text`` (the planner's choices here depend on selectivity, not type),
    with the indexes fftlint learned, Django's many-to-many join tables, and ROWS rows of
    distinct values (GROUPS values in a ``grouped`` column)."""
    from fftlint.rules.sql._django import m2m_table

    def q(name):
        return '"' + name + '"'

    tables = []
    for table in schema.tables.values():
        if table.opaque or not table.columns:
            continue
        conn.execute(f"CREATE TABLE {q(table.name)} (" + ", ".join(f"{q(c)} text" for c in table.columns) + ")")
        for n, ix in enumerate(table.indexes):
            if any(c.startswith("expr:") for c in ix.columns):
                continue
            conn.execute(f"CREATE INDEX {q(f'learned_{table.name}_{n}')} ON {q(table.name)} (" + ", ".join(q(c) for c in ix.columns) + ")")
        values = ", ".join(
            f"(1 + g % {GROUPS})::text" if (table.name, c) in grouped else "g::text" if c == "id" or c.endswith("_id") else "md5(g::text)"
            for c in table.columns
        )
        conn.execute(f"INSERT INTO {q(table.name)} SELECT {values} FROM generate_series(1, {ROWS}) AS g")
        tables.append(table.name)
    for owner in schema.models.values():
        for fld in owner.fields.values():
            target = schema.related_model(owner, fld) if fld.m2m else None
            if target is None:
                continue
            link, (mine, theirs) = m2m_table(owner, fld, target)
            conn.execute(f"CREATE TABLE {q(link)} ({q(mine)} text, {q(theirs)} text)")
            conn.execute(f"CREATE INDEX ON {q(link)} ({q(mine)})")
            conn.execute(f"CREATE INDEX ON {q(link)} ({q(theirs)})")
            conn.execute(f"INSERT INTO {q(link)} SELECT g::text, g::text FROM generate_series(1, {ROWS}) AS g")
    return tables


@pytest.fixture(scope="module")
def learned_db():
    yield from _learned_database()


def _learned_database(grouped_by=None):
    """The learned tables in a throwaway database; ``grouped_by(project)`` names the
    columns to skew."""
    socket_dir = os.environ.get("FFTLINT_PG_SOCKET")
    if not socket_dir:
        _unavailable("FFTLINT_PG_SOCKET is not set")
    import psycopg

    schema, project = _learned_schema()
    admin = psycopg.connect(host=socket_dir, user="postgres", dbname="postgres", autocommit=True, connect_timeout=10)
    name = "fftlint_orm_" + uuid.uuid4().hex[:12]
    admin.execute(f"CREATE DATABASE {name}")
    conn = psycopg.connect(host=socket_dir, user="postgres", dbname=name, autocommit=True)
    try:
        _create_learned(conn, schema, grouped_by(project) if grouped_by else ())
        conn.execute("ANALYZE")
        conn.execute("SET plan_cache_mode = force_generic_plan")
        yield conn, project
    finally:
        conn.close()
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.close()


ORM_CODES = ("FFT502", "FFT505")


def orm_findings(project):
    from fftlint import registry

    rules = [registry.lookup(code) for code in ORM_CODES]
    for dirpath, _, files in os.walk(LEARNED_ROOT):
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8") as fh:
                    result = lint_source(fh.read(), path, rules, project=project)
                yield from (d for d in result.diagnostics if d.code in ORM_CODES)


def test_orm_findings_scan_and_their_suggested_index_is_used(learned_db):
    db, project = learned_db
    problems = []
    codes = set()
    for diag in orm_findings(project):
        props = diag.properties
        assert props.get("sql") and props.get("ddl"), diag
        plan = explain(db, props["sql"])
        table = props["table"]
        columns = [c for c in props.get("columns", [])] or None
        if columns and any(_mentions(c, col) for c in _index_conditions(plan, table) for col in columns):
            problems.append(f"{diag.code} says {table}{columns} has no usable index, but the planner used one: {props['sql']}")
        check_suggestion(db, diag, problems, [table])
        codes.add(diag.code)
    assert codes == set(ORM_CODES), codes
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- FFT504: composites, on skewed data
def composite_findings(paths, project=None):
    from fftlint import registry

    rule = registry.lookup("FFT504")
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            result = lint_source(fh.read(), path, [rule], project=project)
        yield from (d for d in result.diagnostics if d.code == "FFT504")


def _grouped(findings):
    """(table, column) of the equality columns the findings' composites start with: in
    the skewed databases each of their values is shared by ROWS / GROUPS rows, as an
    order's payments or a customer's orders are."""
    return {(d.properties["table"], c) for d in findings for c in d.properties["columns"][:-1]}


@pytest.fixture(scope="module")
def skewed_db(schema):
    yield from _database(schema, _grouped(list(composite_findings(CODE_FILES))))


def _sorts(plan) -> bool:
    return any(n["Node Type"] in ("Sort", "Incremental Sort") for n in _nodes(plan))


def _describe(plan, depth=0):
    line = "  " * depth + plan["Node Type"] + " " + " ".join(f"{k}={plan[k]}" for k in ("Relation Name", "Index Name", "Index Cond", "Filter", "Sort Key") if k in plan)
    return "\n".join([line] + [_describe(c, depth + 1) for c in plan.get("Plans", [])])


def _mentioned(plan, table, column) -> bool:
    return any(_mentions(c, column) for c in _index_conditions(plan, table))


def _one_condition_holds(plan, table, first, second) -> bool:
    """Some index node of ``table`` has both columns in its condition."""
    return any(_mentions(c, first) and _mentions(c, second) for c in _index_conditions(plan, table))


def check_composite(db, diag, problems):
    """Before: no single index condition holds the prefix and the range or sort column:
    the planner reaches the rows through the prefix index and sorts them (order) or tests
    the range row by row (range) -- or, when the column leads an index of its own (the
    finding's ``alternative``), reads in that order or range and tests the equality row by
    row. After the suggested ``CREATE INDEX`` (in a transaction that is rolled back): the
    planner uses the new index, without a sort, with the range in its condition. No
    planner knob is touched: on data where the prefix is shared by many rows, the plain
    planner picks the composite."""
    import psycopg

    props = diag.properties
    table, column, role, sql = props["table"], props["column"], props["role"], props["sql"]
    first = props["existing"]["columns"][0]
    names = _index_names(_ddl_statements(props["ddl"]))
    before = explain(db, sql)
    where = f"{diag.code} {role} {table}.{column}: {sql}"
    if _mentioned(before, table, first):
        if role == "order" and not _sorts(before):
            problems.append(f"{where}: the planner reads through the prefix and does not sort:\n{_describe(before)}")
    elif not props["alternative"]:
        problems.append(f"{where}: the planner does not reach the rows through {props['existing']}:\n{_describe(before)}")
    elif (_sorts(before) if role == "order" else not _mentioned(before, table, column)):
        problems.append(f"{where}: the planner uses neither {props['existing']} nor {props['alternative']}:\n{_describe(before)}")
    if _one_condition_holds(before, table, first, column):
        problems.append(f"{where}: an index condition already holds both {first} and {column}:\n{_describe(before)}")
    try:
        with db.transaction():
            db.execute(props["ddl"])
            db.execute(f'ANALYZE "{table}"')
            after = explain(db, sql)
            raise psycopg.Rollback()
    except psycopg.Error as exc:
        problems.append(f"{where}: {props['ddl']!r} failed on PostgreSQL: {exc}")
        return
    if not (_plan_indexes(after) & names):
        problems.append(f"{where}: after {props['ddl']!r} the planner does not use it:\n{_describe(after)}")
    elif role == "order" and _sorts(after):
        problems.append(f"{where}: after {props['ddl']!r} the planner still sorts:\n{_describe(after)}")
    elif role == "range" and not _mentioned(after, table, column):
        problems.append(f"{where}: after {props['ddl']!r} the range is still outside the index:\n{_describe(after)}")


def test_composite_suggestions_let_the_scan_stop_early(skewed_db):
    problems = []
    roles = set()
    findings = list(composite_findings(CODE_FILES))
    for diag in findings:
        check_composite(skewed_db, diag, problems)
        roles.add(diag.properties["role"])
    assert len(findings) >= 3 and roles == {"order", "range"}, findings
    assert not problems, "\n".join(problems)


def _orm_composites(project):
    """FFT504's findings on Django and SQLAlchemy queries of the fixture project."""
    paths = [os.path.join(d, n) for d, _, files in os.walk(LEARNED_ROOT) for n in sorted(files) if n.endswith(".py")]
    return [d for d in composite_findings(paths, project) if d.properties["source"] != "sql"]


@pytest.fixture(scope="module")
def skewed_learned_db():
    yield from _learned_database(lambda project: _grouped(_orm_composites(project)))


def test_orm_composite_suggestions_let_the_scan_stop_early(skewed_learned_db):
    db, project = skewed_learned_db
    problems = []
    roles = set()
    findings = _orm_composites(project)
    for diag in findings:
        check_composite(db, diag, problems)
        roles.add(diag.properties["role"])
    assert {d.properties["source"] for d in findings} == {"django", "sqlalchemy"}
    assert len(findings) >= 5 and roles == {"order", "range"}, findings
    assert not problems, "\n".join(problems)
