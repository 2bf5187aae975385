"""The FFT5xx ``could_match`` pre-checks (stdlib ``ast``) must be sound: False only when
the rule cannot report in the file, with the same options and project index."""

from __future__ import annotations

import ast
import os

import pytest

from fftlint import registry
from fftlint.config.options import build_options
from fftlint.engine.prefilter import AstView
from fftlint.engine.run import lint_source
from fftlint.rules.sql.django_lookup import DjangoUnindexedLookup
from fftlint.rules.sql.missing_index import MissingIndexRawSql
from fftlint.rules.sql.unsargable_predicate import UnsargablePredicate
from fftlint.testing import project_for, python_files

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.abspath(os.path.join(HERE, "..", "..", "fixtures"))
RULES = [r for r in registry.all_rules() if r.code.startswith("FFT5")]
TEXT_RULES = (MissingIndexRawSql, UnsargablePredicate)

DDL = "def migrate(cur):\n    cur.execute('CREATE TABLE orders (id int PRIMARY KEY, customer_id int, status text)')\n"
MODELS = (
    "from django.db import models\n\n"
    "class Order(models.Model):\n"
    "    status = models.CharField(max_length=20)\n"
    "    created_at = models.DateTimeField()\n\n"
)


def _options(rule, options):
    if not options:
        return {}
    return build_options([rule], {rule.options_key: options}, "<test>")


def could_match(rule, code, path="example.py", options=None, project=None):
    view = AstView(ast.parse(code), code, path, _options(rule, options), project)
    return bool(rule.could_match(view))


def same_answer(rule, code, path="example.py", options=None, project=None):
    """Filtered and unfiltered runs agree; returns the filtered findings."""
    opts = _options(rule, options)
    on = lint_source(code, path, [rule], opts, project=project, prefilter=True).diagnostics
    off = lint_source(code, path, [rule], opts, project=project, prefilter=False).diagnostics
    assert on == off
    return off


# --------------------------------------------------------------------------- FFT501 / FFT503
EXTRA_METHOD = (DDL + "def f(db):\n    db.run_query('SELECT * FROM orders WHERE status = 1')\n", {"extra-methods": ["run_query"]})
EXTRA_FUNCTION = (DDL + "from myapp.db import q\ndef f():\n    q('SELECT * FROM orders WHERE status = 1')\n", {"extra-functions": ["myapp.db.q"]})

MUST_MATCH = [
    # a plain literal, keyword argument, comment-prefixed and parenthesised SQL, CTE
    (DDL + "def f(cur, c):\n    cur.execute('SELECT id FROM orders WHERE customer_id = %s', (c,))\n", None),
    (DDL + "def f(cur, c):\n    cur.execute(sql='SELECT id FROM orders WHERE customer_id = %s', params=(c,))\n", None),
    (DDL + "def f(cur):\n    cur.execute('-- hot path\\n  (SELECT id FROM orders WHERE status = 1)')\n", None),
    (DDL + "def f(cur):\n    cur.execute('WITH x AS (SELECT 1) SELECT id FROM orders WHERE status = 1')\n", None),
    # module-level constants (also one built from another), implicit and `+` concatenation
    (DDL + "Q = 'SELECT id FROM orders WHERE customer_id = $1'\nasync def f(conn, c):\n    await conn.fetch(Q, c)\n", None),
    (DDL + "BASE = 'SELECT id FROM orders '\nQ: str = BASE + 'WHERE status = 1'\ndef f(cur):\n    cur.execute(Q)\n", None),
    (DDL + "def f(cur):\n    cur.execute(\n        'SELECT id FROM orders '\n        'WHERE status = %s', (1,))\n", None),
    (DDL + "def f(cur):\n    cur.execute('SELECT id ' + 'FROM orders ' + \"WHERE status = 1\")\n", None),
    # f-string without expressions is static text
    (DDL + "def f(cur):\n    cur.execute(f'SELECT id FROM orders WHERE status = 1')\n", None),
    # UPDATE / DELETE / INSERT ... SELECT through executemany / executescript
    (DDL + "def f(cur, rows):\n    cur.executemany('UPDATE orders SET status = 2 WHERE customer_id = ?', rows)\n", None),
    # SQLAlchemy text(), whatever it is called locally
    (DDL + "import sqlalchemy as sa\nQ = sa.text('SELECT * FROM orders WHERE status = :s')\n", None),
    (DDL + "from sqlalchemy import text as T\nQ = T('SELECT * FROM orders WHERE status = :s')\n", None),
    (DDL + "from sqlalchemy.sql import expression\nQ = expression.text('SELECT * FROM orders WHERE status = :s')\n", None),
    (DDL + "import sqlalchemy.sql.expression as E\nQ = E.TextClause('SELECT * FROM orders WHERE status = :s')\n", None),
    # the user's own SQL-running calls
    EXTRA_METHOD,
    EXTRA_FUNCTION,
    (DDL + "from myapp.db import q as run\ndef f():\n    run('SELECT * FROM orders WHERE status = 1')\n", {"extra-functions": ["myapp.db.q"]}),
    (DDL + "import myapp.db as D\ndef f():\n    D.q('SELECT * FROM orders WHERE status = 1')\n", {"extra-functions": ["myapp.db.q"]}),
    # a schema learned from a SQLAlchemy model in the same file, no DDL call
    (
        "import sqlalchemy as sa\nfrom sqlalchemy import Column, Integer, String\n"
        "class User(Base):\n    __tablename__ = 'users'\n    id = Column(Integer, primary_key=True)\n    city = Column(String)\n\n"
        "def by_city(session, city):\n    return session.execute(sa.text('SELECT * FROM users WHERE city = :c'), {'c': city})\n",
        None,
    ),
]

MUST_NOT_MATCH = [
    # SQL words in docstrings, comments, log messages, exceptions
    DDL + "def f(cur):\n    '''SELECT the rows, then UPDATE them.'''\n    # select * from orders\n    return 1\n",
    DDL + "def f(log):\n    log.info('SELECT id FROM orders WHERE status = 1')\n    raise ValueError('delete failed')\n",
    # .execute() of something that is not SQL
    DDL + "def f(executor, task, cur):\n    executor.execute(task)\n    cur.execute('PRAGMA foreign_keys = ON')\n",
    DDL + "def f(cur):\n    cur.execute(b'SELECT id FROM orders WHERE status = 1')\n",
    # dynamic SQL text is not analysed
    DDL + "def f(cur, col):\n    cur.execute(f'SELECT id FROM orders WHERE {col} = 1')\n",
    DDL + "def f(cur, t):\n    cur.execute('SELECT id FROM %s WHERE status = 1' % t)\n",
    DDL + "def f(cur, t):\n    cur.execute('SELECT id FROM {} WHERE status = 1'.format(t))\n",
    DDL + "def f(cur, sql):\n    cur.execute(sql)\n",
    DDL + "def f(cur, where):\n    cur.execute('SELECT id FROM orders WHERE ' + where)\n",
    # a constant assigned twice, or only inside a function, is not static
    DDL + "Q = 'SELECT id FROM orders WHERE status = 1'\nQ = 'SELECT 1'\ndef f(cur):\n    cur.execute(Q)\n",
    DDL + "def f(cur):\n    q = 'SELECT id FROM orders WHERE status = 1'\n    cur.execute(q)\n",
    # the SQL is not the first positional argument (nor a SQL keyword argument)
    DDL + "def f(cur, c):\n    cur.execute(c, 'SELECT id FROM orders WHERE status = 1')\n",
    DDL + "def f(cur, a):\n    cur.execute(*a, text='SELECT id FROM orders WHERE status = 1')\n",
    # a function that only looks like text()
    DDL + "def f(render):\n    render('SELECT id FROM orders WHERE status = 1')\n",
]


@pytest.mark.parametrize("rule", TEXT_RULES, ids=lambda r: r.code)
@pytest.mark.parametrize("case", range(len(MUST_MATCH)))
def test_text_rules_keep_files_with_static_sql(rule, case):
    code, options = MUST_MATCH[case]
    assert could_match(rule, code, options=options), code
    same_answer(rule, code, options=options)


@pytest.mark.parametrize("rule", TEXT_RULES, ids=lambda r: r.code)
@pytest.mark.parametrize("case", range(len(MUST_NOT_MATCH)))
def test_text_rules_drop_look_alikes(rule, case):
    code = MUST_NOT_MATCH[case]
    assert not could_match(rule, code), code
    assert same_answer(rule, code) == ()


def test_text_rules_need_the_options_that_make_a_call_run_sql():
    for code, options in (EXTRA_METHOD, EXTRA_FUNCTION):
        assert not could_match(MissingIndexRawSql, code)
        assert could_match(MissingIndexRawSql, code, options=options)
        assert same_answer(MissingIndexRawSql, code) == ()
        assert [d.code for d in same_answer(MissingIndexRawSql, code, options=options)] == ["FFT501"]


@pytest.mark.parametrize("rule", TEXT_RULES, ids=lambda r: r.code)
def test_text_rules_drop_migrations_and_files_without_a_schema(rule):
    query = "def f(cur, c):\n    cur.execute('SELECT id FROM orders WHERE customer_id = %s', (c,))\n"
    # a data migration runs once
    assert not could_match(rule, DDL + query, path="shop/migrations/0003_backfill.py")
    # no DDL, no models, no project, no schema files: nothing is known about `orders`
    assert not could_match(rule, query)
    assert same_answer(rule, query) == ()
    # ... but a project index that knows the table keeps it
    project = project_for(RULES, python_files(os.path.join(FIXTURES, "sql")))
    assert could_match(rule, query, project=project)
    same_answer(rule, query, project=project)


def test_text_rules_schema_files_on_disk_keep_the_file(tmp_path):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "schema.sql").write_text("CREATE TABLE orders (id int PRIMARY KEY, customer_id int);\n")
    src = tmp_path / "app.py"
    code = "def f(cur, c):\n    cur.execute('SELECT id FROM orders WHERE customer_id = %s', (c,))\n"
    src.write_text(code)
    assert could_match(MissingIndexRawSql, code, path=str(src))
    assert [d.code for d in same_answer(MissingIndexRawSql, code, path=str(src))] == ["FFT501"]


# --------------------------------------------------------------------------- FFT502
def test_django_lookup_keeps_manager_lookups_on_known_models():
    for tail in (
        "def f():\n    return Order.objects.filter(status='pending')\n",
        "def f():\n    return Order.objects.all().filter(status='pending').first()\n",
        "def f():\n    return Order.objects.latest('created_at')\n",
        "def f(x):\n    return Order.objects.filter(Q(status=x) | Q(created_at=x))\n",
        "def f():\n    return Order.objects.order_by('-created_at')[:10]\n",
    ):
        assert could_match(DjangoUnindexedLookup, MODELS + tail), tail
        same_answer(DjangoUnindexedLookup, MODELS + tail)


def test_django_lookup_drops_look_alikes():
    for code in (
        # the word only: gc, docstrings, attributes named objects
        "import gc\ndef f():\n    '''count the objects'''\n    return len(gc.get_objects())\n",
        "def f(self):\n    return self.objects.filter(x=1)\n",
        # a manager chain without anything that filters or orders
        MODELS + "def f():\n    return Order.objects.all().count()\n",
        MODELS + "def f():\n    return Order.objects.filter()\n",
        # a model nobody defines
        MODELS + "def f(x):\n    return Invoice.objects.filter(number=x)\n",
        # not a manager chain: a method outside the queryset API on the way
        MODELS + "def f(x):\n    return Order.objects.custom(x).filter(status=x)\n",
    ):
        assert not could_match(DjangoUnindexedLookup, code), code
        assert same_answer(DjangoUnindexedLookup, code) == ()
    # a migration runs once
    code = MODELS + "def f():\n    return Order.objects.filter(status='pending')\n"
    assert not could_match(DjangoUnindexedLookup, code, path="shop/migrations/0004_fill.py")


def test_django_lookup_uses_the_project_models():
    project = project_for(RULES, python_files(os.path.join(FIXTURES, "sql")))
    names = [m.class_name for facts in project.facts_of("sql-schema") for m in facts.models if not m.abstract]
    assert names, "the sql fixture project defines Django models"
    code = f"def f(x):\n    return {names[0]}.objects.filter(anything=x)\n"
    assert could_match(DjangoUnindexedLookup, code, project=project)
    assert not could_match(DjangoUnindexedLookup, code)


# --------------------------------------------------------------------------- fixtures, on and off
def _python_files(root):
    for dirpath, _, files in os.walk(root):
        for name in sorted(files):
            if name.endswith(".py"):
                yield os.path.join(dirpath, name)


@pytest.mark.parametrize("name", ["sql", "n_plus_one"])
@pytest.mark.parametrize("with_project", [True, False], ids=["project", "no-project"])
def test_fixture_trees_filtered_equals_unfiltered(name, with_project):
    root = os.path.join(FIXTURES, name)
    project = project_for(RULES, python_files(root)) if with_project else None
    total = 0
    for path in _python_files(root):
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        on = lint_source(text, path, RULES, project=project, prefilter=True)
        off = lint_source(text, path, RULES, project=project, prefilter=False)
        assert on.diagnostics == off.diagnostics, path
        total += len(off.diagnostics)
    if name == "sql":
        assert total > 0, "the sql fixtures must produce findings for this comparison to mean anything"


# --------------------------------------------------------------------------- project schema step
TEACHING = {
    "django model": "from django.db import models\nclass Order(models.Model):\n    status = models.CharField(max_length=9)\n",
    "bare Model base": "from django.db.models import Model, CharField\nclass Order(Model):\n    status = CharField(max_length=9)\n",
    "abstract chain": "from django.db import models\nclass Base(models.Model):\n    class Meta:\n        abstract = True\nclass Order(Base):\n    pass\n",
    "migration": "from django.db import migrations, models\nclass Migration(migrations.Migration):\n"
    "    operations = [migrations.AddIndex(model_name='order', index=models.Index(fields=['status'], name='ix'))]\n",
    "create model": "from django.db import migrations, models\nops = [migrations.CreateModel(name='Order', fields=[('status', models.CharField(max_length=9))])]\n",
    "alembic": "from alembic import op\nimport sqlalchemy as sa\ndef upgrade():\n    op.create_index('ix_o_s', 'orders', ['status'])\n",
    "alembic drop": "from alembic import op\ndef upgrade():\n    op.add_column('orders', sa.Column('x', sa.Integer))\n    op.drop_index('ix_o_s')\n",
    "sqlalchemy table": "import sqlalchemy as sa\nt = sa.Table('orders', meta, sa.Column('id', sa.Integer, primary_key=True))\n",
    "declarative": "from sqlalchemy.orm import mapped_column\nclass Order(Base):\n    __tablename__ = 'orders'\n    id = mapped_column(primary_key=True)\n",
    # identifiers are NFKC-normalised by the parser: fullwidth letters still name `Model`
    "nfkc": "from django.db import models\nclass Order(models.\uff2dodel):\n    status = models.CharField(max_length=9)\n",
}

NOT_TEACHING = {
    "pandas index": "import pandas as pd\nidx = pd.Index([1, 2])\ncol = frame.Column('a')\n",
    "words in strings": "'''models. and migrations are mentioned here, and Index( too'''\nx = 1\n",
    "other Model": "class ModelError(Exception):\n    '''a models.py problem'''\n",
}


@pytest.mark.parametrize("name", sorted(TEACHING))
def test_schema_sources_still_learn_from_teaching_files(name):
    from fftlint.analysis.sql.sources import may_teach, summarize, summarize_tree

    text = TEACHING[name]
    assert summarize_tree(ast.parse(text), "app/models.py"), name
    assert may_teach(text)
    assert summarize(text, "app/models.py") == summarize_tree(ast.parse(text), "app/models.py")


@pytest.mark.parametrize("name", sorted(NOT_TEACHING))
def test_schema_sources_skip_files_that_only_mention_markers(name):
    from fftlint.analysis.sql.sources import MARKERS, may_teach, summarize, summarize_tree

    text = NOT_TEACHING[name]
    assert any(m in text for m in MARKERS), "the look-alike must pass the old marker check"
    assert not summarize_tree(ast.parse(text), "app/x.py")
    assert not may_teach(text)
    assert not summarize(text, "app/x.py")


def test_may_teach_holds_for_every_fixture_that_teaches_a_schema():
    from fftlint.analysis.sql.sources import may_teach, summarize_tree

    taught = 0
    for path in _python_files(FIXTURES):
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        if summarize_tree(tree, path):
            taught += 1
            assert may_teach(text), path
    assert taught >= 5


def test_python_schema_facts_unchanged_on_fixture_projects():
    from fftlint.analysis.sql.loader import python_schema_facts
    from fftlint.analysis.sql.sources import summarize_tree

    for name in ("sql", "n_plus_one"):
        paths = list(_python_files(os.path.join(FIXTURES, name)))
        expected = []
        for path in paths:
            with open(path, encoding="utf-8") as fh:
                facts = summarize_tree(ast.parse(fh.read()), path)
            if facts:
                expected.append(facts)
        assert python_schema_facts(paths) == expected


def test_text_bail_out_needs_a_spelled_call_name():
    from rules.sql._common import SqlOptions
    from rules.sql._precheck import spells_candidate

    opts = SqlOptions()
    assert not spells_candidate("x = 'SELECT id FROM orders'  # executes later\n", opts)
    assert spells_candidate("cur.execute(Q)\n", opts)
    assert spells_candidate("from sqlalchemy import text as T\n", opts)
    # the parser normalises identifiers (NFKC): fullwidth letters still spell `execute`
    assert spells_candidate("cur.\uff45xecute(Q)\n", opts)
    assert not spells_candidate("db.run_query(Q)\n", opts)
    assert spells_candidate("db.run_query(Q)\n", SqlOptions(extra_methods=("run_query",)))
    # a configured name that is not a dotted function name: every call is a candidate
    assert spells_candidate("x = 1\n", SqlOptions(extra_functions=("make()",)))


def test_nfkc_spelled_calls_are_kept():
    code = DDL + "def f(cur):\n    cur.\uff45xecute('SELECT id FROM orders WHERE customer_id = 1')\n"
    for rule in TEXT_RULES:
        assert could_match(rule, code)
        same_answer(rule, code)
