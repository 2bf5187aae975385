"""FFT502: Django ORM lookups filtering or ordering on fields the model does not index."""

from __future__ import annotations

from typing import Any, List, Optional, Set, Tuple

import libcst as cst

from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.rule import Invalid, Rule

from ._common import SqlOptions, analysis, options_of, runs_once
from ._precheck import django_rule_could_match

#: QuerySet methods that can end up in the WHERE / ORDER BY of the query, and the ones
#: that only pass the queryset along.
FILTERING = {"filter", "get", "get_or_create", "update_or_create", "order_by", "latest", "earliest", "first", "last"}
PASSING = {"all", "exclude", "select_related", "prefetch_related", "only", "defer", "values", "values_list", "distinct", "using", "annotate", "filter", "order_by"}
LIMITING = {"first", "last", "latest", "earliest", "get"}
LOOKUPS = {"exact": "= 1", "in": "IN (1)", "gt": "> 1", "gte": ">= 1", "lt": "< 1", "lte": "<= 1", "range": "BETWEEN 1 AND 2", "isnull": "IS NULL"}


class DjangoUnindexedLookup(Rule):
    """## What it does
    Checks Django ORM queries -- `Model.objects.filter(...)`, `.get(...)`,
    `.order_by(...)[:n]`, `.latest(...)`, `.get_or_create(...)` -- whose lookups filter or
    order on fields that no index covers: not the primary key, not `unique`, not
    `db_index=True`, not a `ForeignKey` (indexed by Django unless `db_index=False`), and
    not the first field of a `Meta.indexes` / `unique_together` / `index_together` entry
    or of an index added by a migration.

    Only models defined in the project are checked (Django models and migrations are
    read with `ast`, never imported). Lookups through relations (`customer__email`),
    transforms (`created_at__date`), case-insensitive and pattern lookups, `exclude()`
    and `Q` negations are not judged, nor are `True`/`False` flag lookups (`published=True`:
    half the table either way, so a B-tree index rarely helps). Like FFT501, a query with
    at least one indexed filter is fine.

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
    needs_project = True
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
        _MODELS + "def f(pk):\n    return Order.objects.get(pk=pk)\n",
        _MODELS + "def f(d):\n    return Order.objects.filter(placed_on__gte=d).order_by('-placed_on')[:10]\n",
        _MODELS + "def f():\n    return Order.objects.exclude(status='paid')\n",
        _MODELS + "def f(e):\n    return Order.objects.filter(customer__email=e)\n",
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
        self.seen: Set[int] = set()
        self.limited: Set[int] = set()
        self.chains: List[Tuple[cst.Call, str, List[Tuple[str, cst.Call]], bool]] = []

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if isinstance(node.value, cst.Call) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Slice):
            self.limited.add(id(node.value))

    def visit_Call(self, node: cst.Call) -> None:
        if id(node) in self.seen or not isinstance(node.func, cst.Attribute):
            return
        if node.func.attr.value not in FILTERING and node.func.attr.value not in PASSING:
            return
        chain: List[Tuple[str, cst.Call]] = []
        current: cst.BaseExpression = node
        while isinstance(current, cst.Call) and isinstance(current.func, cst.Attribute):
            method = current.func.attr.value
            if method not in FILTERING and method not in PASSING:
                return
            chain.append((method, current))
            current = current.func.value
        if not (isinstance(current, cst.Attribute) and current.attr.value == "objects" and isinstance(current.value, cst.Name)):
            return
        for _, call in chain:
            self.seen.add(id(call))
        limited = id(node) in self.limited or chain[0][0] in LIMITING
        self.chains.append((node, current.value.value, list(reversed(chain)), limited))

    def end(self) -> None:
        if not self.chains:
            return
        from fftlint.analysis.sql.loader import schema_for

        opts = options_of(self)
        ctx = self.ctx
        if runs_once(ctx.path):
            return
        schema = schema_for(ctx.path, ctx.source, project=ctx.project, dialect=opts.dialect, schema_files=opts.schema_files)
        ignored = {t.lower() for t in opts.ignore_tables}
        for node, model_name, chain, limited in self.chains:
            info = schema.model(model_name) if schema else None
            if info is None or info.table in ignored:
                continue
            sql = self._sql(info, chain, limited)
            if sql is None:
                continue
            columns_to_fields = {f.column: name for name, f in info.fields.items()}
            for gap in analysis(sql, schema, "postgres").gaps:
                fields = [columns_to_fields.get(c, c) for c in gap.columns]
                shown = fields[0] if len(fields) == 1 else "(" + ", ".join(fields) + ")"
                if len(gap.suggestions) == 1 and len(gap.suggestions[0]) == 1:
                    advice = f"add `db_index=True` to `{model_name}.{columns_to_fields.get(gap.suggestions[0][0], gap.suggestions[0][0])}`"
                else:
                    entries = ", ".join(
                        "models.Index(fields=[" + ", ".join(repr(columns_to_fields.get(c, c)) for c in cols) + "])"
                        for cols in gap.suggestions
                    )
                    advice = f"add `Meta.indexes = [{entries}]`"
                self.report(
                    node,
                    model=model_name,
                    fields=shown,
                    clauses="/".join(dict.fromkeys(gap.clauses)),
                    table=info.table,
                    advice=advice,
                    properties={"model": model_name, "fields": fields, "table": info.table, "ddl": gap.ddl},
                )

    # -- chain -> SQL ---------------------------------------------------------------
    def _sql(self, info: Any, chain: List[Tuple[str, cst.Call]], limited: bool) -> Optional[str]:
        where: List[str] = []
        order: Optional[str] = None
        for method, call in chain:
            if method in ("filter", "get", "get_or_create", "update_or_create"):
                for arg in call.args:
                    if arg.keyword is not None:
                        if arg.keyword.value == "defaults" or _flag(arg.value):
                            continue
                        cond = self._lookup(info, arg.keyword.value)
                        if cond:
                            where.append(cond)
                    elif arg.star == "":
                        cond = self._q(info, arg.value)
                        if cond:
                            where.append(cond)
            elif method == "order_by" and call.args:
                order = self._order(info, call.args[0].value)
            elif method in ("latest", "earliest") and call.args:
                order = self._order(info, call.args[0].value)
        if not where and order is None:
            return None
        sql = f"SELECT * FROM {info.table}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        if order:
            sql += f" ORDER BY {order}"
        if limited:
            sql += " LIMIT 1"
        return sql

    def _lookup(self, info: Any, key: str) -> Optional[str]:
        parts = key.split("__")
        op = LOOKUPS["exact"]
        if len(parts) > 1 and parts[-1] in LOOKUPS:
            op = LOOKUPS[parts.pop()]
        if len(parts) == 2 and parts[1] in ("id", "pk"):
            fld = info.fields.get(parts[0])
            if fld is None or not fld.relation:
                return None
            return f"{fld.column} {op}"
        if len(parts) != 1:
            return None  # a relation traversal or a transform: not judged
        column = info.column_for(parts[0])
        return f"{column} {op}" if column else None

    def _q(self, info: Any, node: cst.BaseExpression) -> Optional[str]:
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.BitOr, cst.BitAnd)):
            left, right = self._q(info, node.left), self._q(info, node.right)
            if left is None or right is None:
                return None
            joiner = " OR " if isinstance(node.operator, cst.BitOr) else " AND "
            return f"({left}{joiner}{right})"
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "Q":
            conds = []
            for arg in node.args:
                if arg.keyword is None:
                    return None
                if _flag(arg.value):
                    continue
                cond = self._lookup(info, arg.keyword.value)
                if cond is None:
                    return None
                conds.append(cond)
            return "(" + " AND ".join(conds) + ")" if conds else None
        return None

    def _order(self, info: Any, node: cst.BaseExpression) -> Optional[str]:
        if not isinstance(node, cst.SimpleString):
            return None
        value = node.evaluated_value
        if not isinstance(value, str):
            return None
        name = value.lstrip("-+")
        if "__" in name or name == "?":
            return None
        column = info.column_for(name)
        return column


def _flag(value: cst.BaseExpression) -> bool:
    """A ``True`` / ``False`` literal: a low-cardinality predicate an index rarely serves
    (a partial index would, but that is a design choice, not a missing index)."""
    return isinstance(value, cst.Name) and value.value in ("True", "False")
