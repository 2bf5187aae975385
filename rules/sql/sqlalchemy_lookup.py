"""FFT505: SQLAlchemy ORM queries filtering or ordering on columns the mapped table does not index."""

from __future__ import annotations

from typing import Any

import libcst as cst

from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.rule import Invalid, Rule, Valid

from ._common import SqlOptions, analysis, options_of, runs_once
from ._precheck import sqlalchemy_rule_could_match
from ._sqlalchemy import SaChains, base_model, translate
from .provider import SchemaProvider, schema_source


class SqlAlchemyUnindexedLookup(Rule):
    """## What it does
    Checks SQLAlchemy ORM queries -- `session.query(Model).filter(Model.col == x)`,
    `.filter_by(col=x)`, `select(Model).where(...)`, `.order_by(...).limit(n)`, joins
    along relationships, `Model.rel.has(...)` / `.any(...)` -- whose conditions or
    paginated ordering use columns that no index of the mapped table leads with.

    The schema comes from the project's declarative models (`index=True`,
    `unique=True`, `primary_key=True`, `Index(...)` in `__table_args__` or at module
    level, columns inherited from mixins), `Table(...)` objects, Alembic migrations
    (`op.create_index`, `op.create_table`, `CREATE INDEX` run by `op.execute`) and `.sql`
    files; never by importing the code. A `ForeignKey` column is *not* an index:
    PostgreSQL does not index the referencing side by itself (MySQL's InnoDB does: set
    the `dialect` option, and such findings are dropped).

    Not judged: `!=`, negations, `True`/`False` flags (and `true()`/`false()`), `.like()` / functions on columns
    no index mentions, comparisons of two columns of one table. A query is left alone
    as a whole when part of it cannot be read: `text()`, a condition or a statement
    held in a name, an unknown method in the chain, a relationship with `secondary=`
    or `primaryjoin=`, a table whose `__table_args__` is computed. As with FFT501, one
    indexed condition is enough for an `AND`; an `OR` needs every branch indexed.

    ## Why is this bad?
    Each run reads the whole table: fine with a developer's hundred rows, seconds and
    a flood of buffer reads with production's millions.

    ## Example
    ```python
    class Order(Base):
        __tablename__ = "orders"
        id = Column(Integer, primary_key=True)
        customer_id = Column(ForeignKey("customers.id"))

    session.query(Order).filter(Order.customer_id == customer.id).all()
    ```

    ## Use instead
    ```python
    customer_id = Column(ForeignKey("customers.id"), index=True)
    ```
    (and the Alembic migration that creates the index).

    ## Fix safety
    No automatic fix: an index is a schema change (a migration).

    ## Options
    `[tool.fftlint.sql]`: `dialect` (`mysql` counts foreign keys as indexed),
    `ignore-tables`, `schema-files`.
    """

    code = "FFT505"
    contexts = PRODUCTION_ONLY  # a test or a one-shot backfill needs no index
    name = "sqlalchemy-unindexed-lookup"
    message = "`{model}` has no index on {columns} used in {clauses}: the query reads every row of `{table}`; {advice}"
    requires = ("filter", "where", "order_by")
    Options = SqlOptions
    options_key = "sql"
    needs_project = True  # the project's facts (its provider's)
    providers = (SchemaProvider,)
    tags = ("sql", "performance", "database", "sqlalchemy")

    @classmethod
    def could_match(cls, view: Any) -> bool:
        return sqlalchemy_rule_could_match(cls, view)

    _MODELS = (
        "from sqlalchemy import Column, ForeignKey, Index, Integer, String, DateTime, select, and_, or_\n"
        "from sqlalchemy.orm import relationship\n\n"
        "class Customer(Base):\n    __tablename__ = 'customers'\n    id = Column(Integer, primary_key=True)\n"
        "    email = Column(String, unique=True)\n    country = Column(String(2))\n\n"
        "class Order(Base):\n    __tablename__ = 'orders'\n    id = Column(Integer, primary_key=True)\n"
        "    customer_id = Column(Integer, ForeignKey('customers.id'))\n    status = Column(String(20))\n"
        "    created_at = Column(DateTime, index=True)\n    placed_on = Column(DateTime)\n"
        "    customer = relationship(Customer)\n"
        "    __table_args__ = (Index('ix_orders_status_placed', 'status', 'placed_on'),)\n\n"
    )

    VALID = [
        _MODELS + "def f(s, i):\n    return s.query(Order).filter(Order.id == i).one()\n",
        _MODELS + "def f(s, e):\n    return s.query(Customer).filter_by(email=e).first()\n",
        _MODELS + "def f(s, st):\n    return s.execute(select(Order).where(Order.status == st)).scalars().all()\n",
        _MODELS + "def f(s):\n    return s.query(Order).order_by(Order.created_at.desc()).limit(10).all()\n",
        _MODELS + "def f(s, d):\n    return s.query(Order).filter(Order.placed_on > d, Order.created_at > d).all()\n",
        _MODELS + "def f(s, c):\n    return s.query(Order).filter(Order.status != c).all()\n",
        _MODELS + "def f(s, c):\n    return s.query(Order).filter(text('customer_id = :c')).all()\n",
        _MODELS + "def f(s, cond):\n    return s.query(Order).filter(cond, Order.placed_on > 1).all()\n",
        _MODELS + "def f(s, x):\n    return s.query(Order).filter(Order.coupon == x).all()\n",  # unknown column
        _MODELS + "def f(s, x):\n    return s.query(Invoice).filter(Invoice.number == x).all()\n",  # unknown model
        _MODELS + "def f(s, e):\n    return s.query(Order).filter(Order.customer.has(Customer.email == e), Order.status == 'x').all()\n",
        _MODELS + "def f(s, q):\n    return s.query(Order).filter(Order.placed_on > 1).active().all()\n",  # unknown method
        _MODELS + "def f(s):\n    return s.query(Order).filter(Order.placed_on == Order.created_at).all()\n",
        _MODELS + "def f(s, n):\n    return s.query(Customer).filter(Customer.country.ilike(n)).all()\n",
        Valid(
            _MODELS + "def f(s, c):\n    return s.query(Order).filter(Order.customer_id == c).all()\n",
            options={"dialect": "mysql"},
        ),
    ]
    INVALID = [
        Invalid(
            _MODELS + "def f(s, c):\n    return s.query(Order).filter(Order.customer_id == c).all()\n",
            message_contains="`Order` has no index on customer_id used in WHERE",
        ),
        Invalid(
            _MODELS + "def f(s, c):\n    return s.query(Order).filter_by(customer_id=c).first()\n",
            message_contains="a ForeignKey: PostgreSQL does not index it by itself",
        ),
        Invalid(
            _MODELS + "def f(s, c):\n    return s.scalars(select(Order).where(Order.placed_on >= c).order_by(Order.placed_on).limit(5)).all()\n",
            message_contains="placed_on",
        ),
        Invalid(
            _MODELS + "def f(s, c):\n    return s.query(Customer).filter(Customer.country.in_(c)).all()\n",
            message_contains="add `index=True` to `Customer.country`",
        ),
        Invalid(
            _MODELS + "def f(s, a, b):\n    return s.query(Order).filter(or_(Order.id == a, Order.placed_on == b)).all()\n",
            message_contains="placed_on",
        ),
        # customers are found by their unique email; their orders need customer_id indexed
        Invalid(
            _MODELS + "def f(s, e):\n    return s.query(Order).join(Order.customer).filter(Customer.email == e).all()\n",
            message_contains="`Order` has no index on customer_id used in JOIN",
        ),
        # the relationship join reaches customers, whose country has no index
        Invalid(
            _MODELS + "def f(s, c):\n    return s.query(Order).join(Order.customer).filter(Customer.country == c).all()\n",
            message_contains="`Customer` has no index on country",
        ),
        Invalid(
            _MODELS + "def f(c):\n    return Order.query.filter(Order.customer_id == c).all()\n",
            message_contains="customer_id",
        ),
    ]

    def __init__(self, ctx: Any, options: Any = None) -> None:
        super().__init__(ctx, options)
        self.chains = SaChains(ctx.names.resolve)

    def visit_Subscript(self, node: cst.Subscript) -> None:
        self.chains.visit_Subscript(node)

    def visit_Call(self, node: cst.Call) -> None:
        self.chains.visit_Call(node)

    def end(self) -> None:
        if not self.chains.chains or runs_once(self.ctx.path):
            return
        from fftlint.analysis.sql.loader import schema_for

        opts = options_of(self)
        ctx = self.ctx
        schema = schema_for(ctx.path, ctx.source, project=schema_source(ctx.project), dialect=opts.dialect, schema_files=opts.schema_files)
        if not schema or not schema.sa_models:
            return
        ignored = {t.lower() for t in opts.ignore_tables}
        fk_indexed = opts.dialect == "mysql"  # InnoDB indexes the referencing columns
        for chain in self.chains.chains:
            base = base_model(schema, chain.root)
            if base is None:
                continue
            query = translate(schema, base, chain)
            if query is None:
                continue
            for gap in analysis(query.sql, schema, "postgres").gaps:
                model = query.aliases.get(gap.alias)
                if model is None or gap.table in ignored:
                    continue
                attrs = {col: attr for attr, col in model.columns.items()}
                columns = list(dict.fromkeys(gap.columns))
                if fk_indexed and any(c in model.foreign_keys for c in columns):
                    continue
                shown = attrs.get(columns[0], columns[0]) if len(columns) == 1 else "(" + ", ".join(attrs.get(c, c) for c in columns) + ")"
                if len(gap.suggestions) == 1 and len(gap.suggestions[0]) == 1:
                    col = gap.suggestions[0][0]
                    advice = f"add `index=True` to `{model.class_name}.{attrs.get(col, col)}`"
                    if col in model.foreign_keys:
                        advice += " (a ForeignKey: PostgreSQL does not index it by itself)"
                else:
                    entries = ", ".join(
                        f"Index({'ix_' + gap.table + '_' + '_'.join(cols)!r}, " + ", ".join(f"{model.class_name}.{attrs.get(c, c)}" for c in cols) + ")"
                        for cols in gap.suggestions
                    )
                    advice = f"add `{entries}` to `__table_args__`"
                self.report(
                    chain.node,
                    model=model.class_name,
                    columns=shown,
                    clauses="/".join(dict.fromkeys(gap.clauses)),
                    table=gap.table,
                    advice=advice,
                    properties={"model": model.class_name, "columns": columns, "table": gap.table, "ddl": gap.ddl, "sql": query.sql},
                )
