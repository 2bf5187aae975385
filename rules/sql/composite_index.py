"""FFT504: a query that an index reaches by a prefix of its equality columns, while no
index continues with the column it then sorts by (paginated) or ranges over."""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, Sequence

import libcst as cst

from fftlint.analysis.sql.composite import ORDER, Composite
from fftlint.analysis.sql.schema import Index, index_name
from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.rule import Invalid, Rule, Valid

from ._common import SQL_WORDS, SqlOptions, SqlTextRule, analysis, options_of
from ._django import FILTERING, PASSING, DjangoChains
from ._django import translate as django_translate
from ._precheck import django_rule_could_match, sqlalchemy_rule_could_match, text_rule_could_match
from ._sqlalchemy import SaChains, base_model
from ._sqlalchemy import translate as sa_translate
from .provider import SchemaProvider, schema_source


class CompositeIndex(SqlTextRule, Rule):
    """## What it does
    Checks queries that an index reaches through some of their equality filters -- a
    foreign key index, a single-column index, a shorter composite -- but that then sort
    every matching row for a paginated `ORDER BY ... LIMIT`, or read every matching row
    to test a range (`created_at >= %s`), because no index continues with that column.
    A composite index `(equality columns..., range or sort column)` lets the scan stop
    early. The message names the index the query uses now and the one to add.

    It reads the SQL text FFT501 reads (a known SQL-running call with static text),
    Django querysets as FFT502 translates them (`Model.objects.filter(...).order_by(...)[:n]`,
    `.latest()`, `.first()`) and SQLAlchemy queries as FFT505 does, against the same schema
    (DDL files, Django models and migrations, SQLAlchemy models, Alembic).

    Not reported: a query some index already serves (its leading columns are equality
    columns, then the range or sort column; partial indexes count, since their predicate
    may match); a unique key or the primary key fixed by the equalities (one row at
    most); a sort without `LIMIT`, or after `GROUP BY` / `DISTINCT` / aggregates; a range
    on one column and a sort on another, or two range columns (no single right
    composite); a range over a column with a handful of values (a flag, a small integer,
    `choices=`), or over a column that leads an index of its own (the planner combines
    the two indexes); `IN` lists, `IS NULL`, `True`/`False` flags and fields with `choices=`
    (not equality columns worth an index), and a query where such a condition is itself
    indexed (another access path); an `OR` on the table; a query another filtered table
    may drive (a join); a correlated subquery without `LIMIT` (`EXISTS`, Django's
    `OuterRef`: the planner may join the whole table instead); more than three equality
    columns; tables whose indexes cannot all be known, or that an index of another kind
    (BRIN, GIN) covers; a table with no index on any filter column (that is FFT501 /
    FFT502 / FFT505's finding); SQL in migrations, and tests (their rows are fixtures).

    Off by default: whether the rows behind the prefix are many (a customer's orders, a
    page's revisions) or few (an event's ten items) is data the code does not show, and on
    15 real applications 12 of its 15 findings were right (`bench/COMPOSITE_CORPUS.md`).
    Enable it with `--select FFT504` (or `extend-select`).

    ## Why is this bad?
    With an index on `customer_id` alone, `WHERE customer_id = %s ORDER BY created_at
    DESC LIMIT 20` reads every order of the customer and sorts them to return twenty:
    cheap for a customer with ten orders, a long scan and a sort for the one with a
    million. An index on `(customer_id, created_at)` returns the twenty rows in order
    and stops.

    ## Example
    ```sql
    CREATE INDEX ix_orders_customer_id ON orders (customer_id);
    ```
    ```python
    cur.execute("SELECT id FROM orders WHERE customer_id = %s ORDER BY created_at DESC LIMIT 20", (c,))
    Order.objects.filter(customer=c).order_by("-created_at")[:20]
    ```

    ## Use instead
    ```sql
    CREATE INDEX ix_orders_customer_id_created_at ON orders (customer_id, created_at);
    ```
    or, in Django, `Meta.indexes = [models.Index(fields=["customer", "created_at"])]`.
    The composite serves every query the prefix index served, so the old index (unless
    it backs a constraint) can usually be dropped.

    ## Fix safety
    No automatic fix: an index is a schema change (a migration, built concurrently on
    large tables).

    ## Options
    `[tool.fftlint.sql]`: `dialect`, `schema-files`, `extra-methods` /
    `extra-functions`, `ignore-tables` (as for FFT501).
    """

    code = "FFT504"
    contexts = PRODUCTION_ONLY  # a test's handful of fixture rows needs no index; nor does a one-shot backfill
    name = "sql-composite-index"
    message = "{subject} has {existing} but no index on ({composite}): the query {cost}; add {advice} so that the scan {why}"
    default_enabled = False
    requires = SQL_WORDS + ("objects", "filter", "where", "order_by")
    Options = SqlOptions
    options_key = "sql"
    needs_project = True  # the project's facts (its provider's)
    providers = (SchemaProvider,)
    tags = ("sql", "performance", "database")

    @classmethod
    def could_match(cls, view: Any) -> bool:
        return text_rule_could_match(cls, view) or django_rule_could_match(cls, view, FILTERING, PASSING) or sqlalchemy_rule_could_match(cls, view)

    _SCHEMA = (
        'SCHEMA = """\n'
        "CREATE TABLE customers (id bigserial PRIMARY KEY, email text UNIQUE);\n"
        "CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id bigint REFERENCES customers (id),\n"
        "                     status text, number int, created_at timestamptz, total numeric);\n"
        "CREATE INDEX ix_orders_customer_id ON orders (customer_id);\n"
        "CREATE INDEX ix_orders_status_created ON orders (status, created_at);\n"
        "CREATE UNIQUE INDEX ux_orders_customer_number ON orders (customer_id, number);\n"
        '"""\n'
        "def migrate(cur):\n    cur.execute(SCHEMA)\n"
    )
    _MODELS = (
        "from django.db import models\n\n"
        "class Customer(models.Model):\n    email = models.EmailField(unique=True)\n\n"
        "class Order(models.Model):\n"
        "    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)\n"
        "    status = models.CharField(max_length=20, db_index=True)\n"
        "    state = models.CharField(max_length=8, choices=STATES)\n"
        "    paid = models.BooleanField(default=False)\n"
        "    number = models.IntegerField()\n"
        "    created_at = models.DateTimeField()\n"
        "    class Meta:\n"
        "        indexes = [models.Index(fields=['status', '-created_at'])]\n"
        "        constraints = [models.UniqueConstraint(fields=['customer', 'number'], name='one_number')]\n\n"
    )
    _SA = (
        "from sqlalchemy import Column, DateTime, Index, Integer, String, select\n\n"
        "class Account(Base):\n    __tablename__ = 'accounts'\n    id = Column(Integer, primary_key=True)\n"
        "    region = Column(String(20), index=True)\n    plan = Column(String(20))\n    created_at = Column(DateTime)\n"
        "    __table_args__ = (Index('ix_accounts_plan_created', 'plan', 'created_at'),)\n\n"
    )

    VALID = [
        # an index continues with the sort column / the range column
        _SCHEMA + "def f(cur, s):\n    cur.execute('SELECT id FROM orders WHERE status = %s ORDER BY created_at DESC LIMIT 20', (s,))\n",
        _SCHEMA + "def f(cur, s, d):\n    cur.execute('SELECT id FROM orders WHERE status = %s AND created_at > %s', (s, d))\n",
        # LIMIT 1 by the primary key, or a unique key: one row at most
        _SCHEMA + "def f(cur, i):\n    cur.execute('SELECT * FROM orders WHERE id = %s ORDER BY created_at LIMIT 1', (i,))\n",
        _SCHEMA + "def f(cur, c, n):\n    cur.execute('SELECT * FROM orders WHERE customer_id = %s AND number = %s AND created_at > now()', (c, n))\n",
        # a sort that is not paginated reads every match anyway; equalities only
        _SCHEMA + "def f(cur, c):\n    cur.execute('SELECT id FROM orders WHERE customer_id = %s ORDER BY created_at', (c,))\n",
        _SCHEMA + "def f(cur, c):\n    cur.execute('SELECT id FROM orders WHERE customer_id = %s AND total = 0', (c,))\n",
        # no index on any filter column: FFT501's finding
        _SCHEMA + "def f(cur):\n    cur.execute('SELECT id FROM orders WHERE total > 5 ORDER BY created_at LIMIT 5')\n",
        # a migration's backfill, a test's fixture rows, an ignored table
        Valid(
            _SCHEMA + "def f(cur, c):\n    cur.execute('SELECT id FROM orders WHERE customer_id = %s ORDER BY created_at LIMIT 20', (c,))\n",
            path="shop/migrations/0003_backfill.py",
        ),
        Valid(
            _SCHEMA + "def test_f(cur):\n    cur.execute('SELECT id FROM orders WHERE customer_id = 1 ORDER BY created_at LIMIT 20')\n",
            path="tests/test_orders.py",
        ),
        Valid(
            _SCHEMA + "def f(cur, c):\n    cur.execute('SELECT id FROM orders WHERE customer_id = %s ORDER BY created_at LIMIT 20', (c,))\n",
            options={"ignore-tables": ["orders"]},
        ),
        # Django: served by Meta.indexes, bounded by a UniqueConstraint, not paginated,
        # a field with choices is no equality column, a flag neither
        _MODELS + "def f(s):\n    return Order.objects.filter(status=s).order_by('-created_at')[:20]\n",
        _MODELS + "def f(c, n):\n    return Order.objects.filter(customer=c, number=n).order_by('-created_at').first()\n",
        _MODELS + "def f(c):\n    return Order.objects.filter(customer=c).order_by('-created_at')\n",
        _MODELS + "def f(c, s):\n    return Order.objects.filter(customer=c, status=s)\n",
        _MODELS + "def f():\n    return Order.objects.filter(state='new', paid=True).order_by('created_at')[:5]\n",
        # a correlated subquery may become a join over the whole table
        _MODELS + "def f(d):\n    return Customer.objects.filter(Exists(Order.objects.filter(customer=OuterRef('pk'), created_at__gte=d)))\n",
        # an IN list on an indexed column is an access path of its own
        _MODELS + "def f(c, ids):\n    return Order.objects.filter(customer=c, pk__in=ids).order_by('-created_at')[:20]\n",
        # SQLAlchemy: served by the composite in __table_args__
        _SA + "def f(s, p):\n    return s.query(Account).filter(Account.plan == p).order_by(Account.created_at.desc()).limit(20).all()\n",
    ]
    INVALID = [
        Invalid(
            _SCHEMA + "def f(cur, c):\n    cur.execute('SELECT id FROM orders WHERE customer_id = %s ORDER BY created_at DESC LIMIT 20', (c,))\n",
            line=12,
            column=5,
            message_contains=(
                "`orders` has `ix_orders_customer_id` (customer_id) but no index on (customer_id, created_at): "
                "the query sorts every match to return the first rows; "
                "add `CREATE INDEX ix_orders_customer_id_created_at ON orders (customer_id, created_at)`"
            ),
        ),
        Invalid(
            _SCHEMA + "def f(cur, c, d):\n    cur.execute('SELECT id FROM orders WHERE customer_id = %s AND created_at >= %s', (c, d))\n",
            message_contains="no index on (customer_id, created_at): the query tests every match against the range; add",
        ),
        Invalid(
            _MODELS + "def f(c):\n    return Order.objects.filter(customer=c).order_by('-created_at')[:20]\n",
            message_contains=(
                "`Order` has the foreign key index on `customer` but no index on (customer, created_at): "
                "the query sorts every match to return the first rows; "
                "add `models.Index(fields=['customer', 'created_at'])` to `Order.Meta.indexes`"
            ),
        ),
        # the flag and the field with choices filter inside the scan: not in the composite
        Invalid(
            _MODELS + "def f(c):\n    return Order.objects.filter(customer=c, paid=True, state='new').latest('created_at')\n",
            message_contains="fields=['customer', 'created_at']",
        ),
        Invalid(
            _MODELS + "def f(c, d):\n    return Order.objects.filter(customer_id=c, created_at__gte=d)\n",
            message_contains="tests every match against the range",
        ),
        Invalid(
            _SA + "def f(s, r):\n    return s.query(Account).filter(Account.region == r).order_by(Account.created_at.desc()).limit(20).all()\n",
            message_contains=(
                "`Account` has the index on `region` but no index on (region, created_at): the query sorts every match to return "
                "the first rows; add `Index('ix_accounts_region_created_at', Account.region, Account.created_at)` to `Account.__table_args__`"
            ),
        ),
        Invalid(
            _SA + "def f(s, r, d):\n    return s.scalars(select(Account).where(Account.region == r, Account.created_at > d)).all()\n",
            message_contains="no index on (region, created_at): the query tests every match against the range",
        ),
    ]

    def __init__(self, ctx: Any, options: Any = None) -> None:
        super().__init__(ctx, options)
        self.django = DjangoChains()
        self.alchemy = SaChains(ctx.names.resolve)

    def visit_Subscript(self, node: cst.Subscript) -> None:
        self.django.visit_Subscript(node)
        self.alchemy.visit_Subscript(node)

    def visit_Call(self, node: cst.Call) -> None:
        self.sql.visit(self, node)
        self.django.visit_Call(node)
        self.alchemy.visit_Call(node)

    def end(self) -> None:
        for site, result in self.analysed():
            for found in result.composites:
                if self.reportable(found.table):
                    self._report(site.node, found, site.text, "sql", f"`{found.table}`", str, f"`{found.ddl}`")
        if self.django.chains or self.alchemy.chains:
            self._orm()

    # -- the ORMs -------------------------------------------------------------------
    def _orm(self) -> None:
        from fftlint.analysis.sql.loader import schema_for

        from ._common import runs_once

        ctx = self.ctx
        if runs_once(ctx.path):
            return
        opts = options_of(self)
        schema = schema_for(ctx.path, ctx.source, project=schema_source(ctx.project), dialect=opts.dialect, schema_files=opts.schema_files)
        if not schema:
            return
        ignored = {t.lower() for t in opts.ignore_tables}
        for chain in self.django.chains:
            if not chain.limited and _correlated(chain):
                continue  # ``Exists(M.objects.filter(fk=OuterRef("pk"), ...))``: may become a join
            info = schema.model(chain.model)
            query = django_translate(schema, info, chain) if info is not None else None
            for model, found in self._found(query, schema, ignored):
                fields = {f.column: name for name, f in model.fields.items() if not f.m2m}
                relations = {f.column for f in model.fields.values() if f.relation}
                label = _labeller(fields)
                entry = "models.Index(fields=[" + ", ".join(repr(label(c)) for c in found.suggestion) + "])"
                advice = f"`{entry}` to `{model.class_name}.Meta.indexes`"
                self._report(chain.node, found, query.sql, "django", f"`{model.class_name}`", label, advice, relations)  # type: ignore[union-attr]
        for chain in self.alchemy.chains:
            base = base_model(schema, chain.root) if schema.sa_models else None
            query = sa_translate(schema, base, chain) if base is not None else None
            for model, found in self._found(query, schema, ignored):
                label = _labeller({col: attr for attr, col in model.columns.items()})
                entry = f"Index({index_name(found.table, found.suggestion)!r}, " + ", ".join(f"{model.class_name}.{label(c)}" for c in found.suggestion) + ")"
                advice = f"`{entry}` to `{model.class_name}.__table_args__`"
                self._report(chain.node, found, query.sql, "sqlalchemy", f"`{model.class_name}`", label, advice)  # type: ignore[union-attr]

    @staticmethod
    def _found(query: Any, schema: Any, ignored: set) -> Iterable[Any]:
        """``(model, composite)`` of a translated ORM query."""
        if query is None:
            return
        for found in analysis(query.sql, schema, "postgres").composites:
            model = query.aliases.get(found.alias)
            if model is not None and found.table not in ignored:
                yield model, found

    def _report(
        self,
        node: cst.CSTNode,
        found: Composite,
        sql: str,
        source: str,
        subject: str,
        label: Callable[[str], str],
        advice: str,
        relations: Sequence[str] = (),
    ) -> None:
        order = found.role == ORDER
        column = label(found.column)
        if order:
            cost = "sorts every match to return the first rows"
            if found.alternative is not None:
                cost = f"sorts every match, or reads rows in `{column}` order testing each one, to return the first rows"
        else:
            cost = "tests every match against the range"
            if found.alternative is not None:
                cost += " (or every row of the range against the rest)"
        self.report(
            node,
            subject=subject,
            existing=describe(found.existing, label, relations),
            composite=", ".join(label(c) for c in found.suggestion),
            cost=cost,
            advice=advice,
            why="stops after the rows it returns" if order else "reads only the rows in the range",
            properties={
                "table": found.table,
                "columns": list(found.suggestion),
                "column": found.column,
                "role": found.role,
                "existing": {"name": found.existing.name, "columns": list(found.existing.columns)},
                "alternative": {"name": found.alternative.name, "columns": list(found.alternative.columns)} if found.alternative else None,
                "ddl": found.ddl,
                "sql": sql,
                "source": source,  # sql | django | sqlalchemy
            },
        )


def _correlated(chain: Any) -> bool:
    """Does a lookup of the Django chain compare with ``OuterRef(...)`` (the chain is a
    correlated subquery)? A subquery in its arguments is a chain of its own."""
    for _, call in chain.calls:
        for arg in call.args:
            value = arg.value
            if isinstance(value, cst.Call):
                func = value.func
                name = func.value if isinstance(func, cst.Name) else func.attr.value if isinstance(func, cst.Attribute) else ""
                if arg.keyword is not None and name == "OuterRef":
                    return True
    return False


def _labeller(names: Dict[str, str]) -> Callable[[str], str]:
    return lambda column: names.get(column, column)


def describe(index: Index, label: Callable[[str], str] = str, relations: Sequence[str] = ()) -> str:
    """How a message names an existing index: by its name when it has one."""
    cols = [label(c) for c in index.columns]
    shown = f"`{cols[0]}`" if len(cols) == 1 else "(" + ", ".join(cols) + ")"
    if index.primary:
        return f"the primary key {shown}"
    if index.name:
        return f"`{index.name}` ({', '.join(cols)})"
    if len(index.columns) == 1 and index.columns[0] in relations:
        return f"the foreign key index on {shown}"
    return f"the {'unique index' if index.unique else 'index'} on {shown}"
