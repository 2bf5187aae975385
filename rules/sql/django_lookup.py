"""FFT502: Django ORM lookups filtering or ordering on fields the model does not index."""

from __future__ import annotations

from typing import Any

import libcst as cst

from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.rule import Invalid, Rule

from ._common import SqlOptions, analysis, options_of, runs_once
from ._django import FILTERING, PASSING, DjangoChains, translate
from ._precheck import django_rule_could_match
from .provider import SchemaProvider, schema_source


class DjangoUnindexedLookup(Rule):
    """## What it does
    Checks Django ORM queries -- `Model.objects.filter(...)`, `.get(...)`,
    `.order_by(...)[:n]`, `.latest(...)`, `.get_or_create(...)` -- whose lookups filter or
    order on fields that no index covers: not the primary key, not `unique`, not
    `db_index=True`, not a `ForeignKey` (indexed by Django unless `db_index=False`), and
    not the first field of a `Meta.indexes` / `unique_together` / `index_together` entry
    or of an index added by a migration.

    Only models defined in the project are checked (Django models and migrations are
    read with `ast`, never imported). Lookups across relations (`customer__email=e`,
    reverse names such as `items__sku=s`, many-to-many fields) are followed as joins:
    the foreign key index gets the query to the remote table, and the remote model's
    own index must serve the condition there. Like FFT501, a query with at least one
    indexed filter is fine.

    `field__isnull=True` on a field with an index of its own (a foreign key, `db_index`,
    `unique`) is `IS NULL`, which that b-tree index serves; on any other field, and
    `isnull=False` (most rows), it is left out.

    Not judged, so never reported: `True`/`False` flag lookups (half the table either
    way) and unindexed fields with `choices=` (a status or a type: a few values, each a
    large share of the rows), `F()` comparisons, `exclude()` and `~Q`, transforms and pattern lookups
    (`created_at__date`, `email__iexact`) on columns no index mentions; and a query is
    left alone as a whole when part of it cannot be read: `**kwargs` or `*args`, a
    positional filter that is not a `Q(...)` combination, an unknown field, a relation
    to a model outside the project (`settings.AUTH_USER_MODEL`), a transform on an
    indexed column (an expression index may serve it), or a model whose indexes cannot
    all be read (`managed = False`, a `Meta.indexes` that is not a literal list, a `Meta`
    subclassing a class outside the project). `SlugField` and foreign keys are indexed
    by Django unless `db_index=False`.

    ## Why is this bad?
    The query becomes a full table scan: fast with test data, slow and lock-heavy once
    the table is large.

    ## Example
    ```python
    class Order(models.Model):
        status = models.CharField(max_length=20)

    Order.objects.filter(status="pending")
    ```

    ## Use instead
    ```python
    class Order(models.Model):
        status = models.CharField(max_length=20, db_index=True)
    ```
    or `Meta.indexes = [models.Index(fields=["status"])]`, then `makemigrations`.

    ## Fix safety
    No automatic fix: adding an index is a migration.
    """

    code = "FFT502"
    contexts = PRODUCTION_ONLY  # a test or a one-shot backfill needs no index
    name = "django-unindexed-lookup"
    message = "`{model}` has no index on {fields} used in {clauses}: the query reads every row of `{table}`; {advice}"
    requires = ("objects",)
    Options = SqlOptions
    options_key = "sql"
    needs_project = True  # the project's facts (its provider's)
    providers = (SchemaProvider,)
    tags = ("sql", "performance", "database", "django")

    @classmethod
    def could_match(cls, view: Any) -> bool:
        return django_rule_could_match(cls, view, FILTERING, PASSING)

    _MODELS = (
        "from django.db import models\n\n"
        "class Customer(models.Model):\n    email = models.EmailField(unique=True)\n    country = models.CharField(max_length=2)\n\n"
        "class Order(models.Model):\n"
        "    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)\n"
        "    status = models.CharField(max_length=20)\n"
        "    created_at = models.DateTimeField()\n"
        "    placed_on = models.DateField()\n"
        "    class Meta:\n        indexes = [models.Index(fields=['placed_on', 'status'])]\n\n"
    )

    VALID = [
        _MODELS + "def f(c):\n    return Order.objects.filter(customer=c)\n",
        _MODELS + "def f(c):\n    return Order.objects.filter(customer_id=c.id, status='paid')\n",
        _MODELS + "def f(e):\n    return Customer.objects.get(email=e)\n",
        # IS NULL on an indexed foreign key: its b-tree index serves the query
        _MODELS + "def f(d):\n    return Order.objects.filter(customer__isnull=True, created_at__lt=d)\n",
        _MODELS + "def f(pk):\n    return Order.objects.get(pk=pk)\n",
        _MODELS + "def f(d):\n    return Order.objects.filter(placed_on__gte=d).order_by('-placed_on')[:10]\n",
        _MODELS + "def f():\n    return Order.objects.exclude(status='paid')\n",
        _MODELS + "def f(e):\n    return Order.objects.filter(customer__email=e)\n",  # FK + unique
        _MODELS + "def f(e):\n    return Order.objects.filter(status='x', customer__email__iexact=e)\n",  # an indexed column's transform
        _MODELS + "def f(x):\n    return Order.objects.filter(status='x', **x)\n",  # any column at all
        _MODELS + "def f(x):\n    return Order.objects.filter(build_filter(x), status='x')\n",
        _MODELS + "def f(q):\n    return Order.objects.filter(q, status='x')\n",
        _MODELS + "def f(x):\n    return Order.objects.filter(status='x', discount=x)\n",  # unknown field
        _MODELS + "def f(c):\n    return Order.objects.filter(status='x', customer__in=c)\n",
        _MODELS + "def f(c):\n    return Order.objects.filter(status=F('customer__country'))\n",
        _MODELS.replace("status = models.CharField(max_length=20)", "status = models.CharField(max_length=20, choices=STATUSES)")
        + "def f():\n    return Order.objects.filter(status__in=['paid', 'shipped'])\n",
        _MODELS + "def f():\n    return Order.objects.annotate(n=Count('id')).filter(n__gt=1)\n",
        _MODELS.replace("country = models.CharField(max_length=2)", "country = models.CharField(max_length=2)\n    slug = models.SlugField()")
        + "def f(s):\n    return Customer.objects.get(slug=s)\n",
        _MODELS.replace("    class Meta:\n        indexes", "    class Meta:\n        managed = False\n        indexes")
        + "def f():\n    return Order.objects.filter(status='x')\n",
        _MODELS.replace("indexes = [models.Index(fields=['placed_on', 'status'])]", "indexes = COMMON + [models.Index(fields=['placed_on'])]")
        + "def f():\n    return Order.objects.filter(status='x')\n",
        _MODELS + "def f(d):\n    return Order.objects.filter(created_at__date=d)\n",
        _MODELS + "def f():\n    return Order.objects.order_by('created_at')\n",  # full ordered read
        _MODELS + "def f(x):\n    return Invoice.objects.filter(number=x)\n",  # unknown model
        _MODELS + "def f(x):\n    return Order.objects.filter(coupon=x)\n",  # unknown field
        _MODELS + "def f(qs):\n    return qs.filter(status='x')\n",  # unknown queryset
        # a true/false flag splits a table in two halves: a B-tree index on it rarely helps
        _MODELS.replace("placed_on = models.DateField()", "placed_on = models.DateField()\n    paid = models.BooleanField()")
        + "def f():\n    return Order.objects.filter(paid=True)\n",
    ]
    INVALID = [
        # ... not on an unindexed column, nor IS NOT NULL (most rows)
        Invalid(_MODELS + "def f(d):\n    return Order.objects.filter(status__isnull=True, created_at__lt=d)\n", message_contains="created_at"),
        Invalid(_MODELS + "def f(d):\n    return Order.objects.filter(customer__isnull=False, created_at__lt=d)\n", message_contains="created_at"),
        # across a relation: the FK index reaches customers, whose country has no index
        Invalid(
            _MODELS + "def f():\n    return Order.objects.filter(customer__country='NZ')\n",
            message_contains="`Customer` has no index on country used in WHERE",
        ),
        # the reverse name of Order.customer, and a column filtered twice is named once
        Invalid(
            _MODELS + "def f(a, b):\n    return Customer.objects.filter(order__created_at__gte=a, order__created_at__lt=b)\n",
            message_contains="`Order` has no index on created_at used in WHERE",
        ),
        Invalid(
            _MODELS + "def f():\n    return Order.objects.filter(status='pending')\n",
            line=16,
            column=12,
            message_contains="`Order` has no index on status used in WHERE",
        ),
        Invalid(
            _MODELS + "def f(c):\n    return Customer.objects.filter(country__in=c).first()\n",
            message_contains="country",
        ),
        Invalid(
            _MODELS + "def f():\n    return Order.objects.filter(status='x').order_by('-created_at')[:20]\n",
            count=1,
            message_contains="(status, created_at) used in WHERE/ORDER BY",
        ),
        Invalid(
            _MODELS + "def f():\n    return Order.objects.latest('created_at')\n",
            message_contains="ORDER BY",
        ),
        Invalid(
            "from django.db import models\nfrom django.db.models import Q\n\n"
            "class Ticket(models.Model):\n    ref = models.CharField(max_length=9, unique=True)\n    title = models.TextField()\n\n"
            "def find(x):\n    return Ticket.objects.filter(Q(ref=x) | Q(title=x))\n",
            message_contains="title",
        ),
    ]

    def __init__(self, ctx: Any, options: Any = None) -> None:
        super().__init__(ctx, options)
        self.chains = DjangoChains()

    def visit_Subscript(self, node: cst.Subscript) -> None:
        self.chains.visit_Subscript(node)

    def visit_Call(self, node: cst.Call) -> None:
        self.chains.visit_Call(node)

    def end(self) -> None:
        if not self.chains.chains:
            return
        from fftlint.analysis.sql.loader import schema_for

        opts = options_of(self)
        ctx = self.ctx
        if runs_once(ctx.path):
            return
        schema = schema_for(ctx.path, ctx.source, project=schema_source(ctx.project), dialect=opts.dialect, schema_files=opts.schema_files)
        if not schema:
            return
        ignored = {t.lower() for t in opts.ignore_tables}
        for chain in self.chains.chains:
            info = schema.model(chain.model)
            if info is None:
                continue
            query = translate(schema, info, chain)
            if query is None:
                continue
            for gap in analysis(query.sql, schema, "postgres").gaps:
                model = query.aliases.get(gap.alias)
                if model is None or gap.table in ignored:
                    continue
                columns_to_fields = {f.column: name for name, f in model.fields.items() if not f.m2m}
                fields = list(dict.fromkeys(columns_to_fields.get(c, c) for c in gap.columns))
                shown = fields[0] if len(fields) == 1 else "(" + ", ".join(fields) + ")"
                if len(gap.suggestions) == 1 and len(gap.suggestions[0]) == 1:
                    advice = f"add `db_index=True` to `{model.class_name}.{columns_to_fields.get(gap.suggestions[0][0], gap.suggestions[0][0])}`"
                else:
                    entries = ", ".join(
                        "models.Index(fields=[" + ", ".join(repr(columns_to_fields.get(c, c)) for c in cols) + "])"
                        for cols in gap.suggestions
                    )
                    advice = f"add `Meta.indexes = [{entries}]`"
                self.report(
                    chain.node,
                    model=model.class_name,
                    fields=shown,
                    clauses="/".join(dict.fromkeys(gap.clauses)),
                    table=gap.table,
                    advice=advice,
                    properties={"model": model.class_name, "fields": fields, "columns": list(dict.fromkeys(gap.columns)), "table": gap.table, "ddl": gap.ddl, "sql": query.sql},
                )
