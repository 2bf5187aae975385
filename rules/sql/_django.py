"""Django ORM query shapes for the FFT5xx rules (no rules here): ``Model.objects.<queryset
calls>`` chains collected during the walk, and their translation into the SQL that Django
would run -- joins for lookups across relations included -- so that the index analysis of
:mod:`fftlint.analysis.sql.query` judges them like any other statement.

What a lookup becomes:

* ``status="x"`` / ``created__gte=d`` / ``id__in=[...]``: a condition on the model's column;
  ``customer=c`` / ``customer_id=c`` / ``customer__id=c`` / ``customer__pk=c``: on the
  foreign key column (Django compares the key, no join).
* ``customer__email=e`` (forward ``ForeignKey`` / ``OneToOneField``), ``items__sku=s``
  (the reverse name of another model's foreign key), ``tags__name=n`` (``ManyToManyField``,
  either side): an inner join per relation, then the condition on the remote model.
* Neutral (the condition cannot use a plain index either way, so it is left out):
  ``True``/``False`` flags, unindexed fields declared with ``choices=`` (a status or a
  type: a handful of values, each a large share of the rows, which is why such queries
  are usually whole-table reads or served by a partial index by design),
  ``F()`` comparisons of two columns, ``exclude()`` and ``~Q``,
  annotations, and transforms or pattern lookups (``email__iexact``, ``created__date``)
  on a column that no index of any kind mentions.
* Cannot judge (the whole query is left alone): ``**kwargs`` and ``*args``, positional
  arguments that are not ``Q(...)`` combinations (``Exists(...)``, a ``Q`` held in a
  variable, a call), unknown fields, relations to models outside the project
  (``settings.AUTH_USER_MODEL``), and transforms on a column that some index mentions (an
  expression index may serve them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Set, Tuple, Union

import libcst as cst

#: QuerySet methods that can end up in the WHERE / ORDER BY of the query, and the ones
#: that only pass the queryset along.
FILTERING = {"filter", "get", "get_or_create", "update_or_create", "order_by", "latest", "earliest", "first", "last"}
PASSING = {"all", "exclude", "select_related", "prefetch_related", "only", "defer", "values", "values_list", "distinct", "using", "annotate", "alias", "filter", "order_by"}
LIMITING = {"first", "last", "latest", "earliest", "get"}
#: Methods that end a chain without adding conditions; any other method (a custom
#: QuerySet's ``.active()``) may filter on anything, so the chain below it is not judged.
TERMINAL = {
    "count", "exists", "delete", "update", "aggregate", "iterator", "in_bulk", "select_for_update", "explain",
    "values_list", "values", "first", "last", "get", "latest", "earliest", "contains", "union", "none",
}  # fmt: skip
LOOKUPS = {
    "exact": "= %s",
    "in": "IN (%s)",
    "gt": "> %s",
    "gte": ">= %s",
    "lt": "< %s",
    "lte": "<= %s",
    "range": "BETWEEN %s AND %s",
    "isnull": "IS NULL",
}
NOT_FILTERS = {"defaults", "create_defaults"}  # get_or_create / update_or_create


class _Mark:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


NEUTRAL = _Mark("NEUTRAL")  # no index question here: leave the condition out
UNKNOWN = _Mark("UNKNOWN")  # cannot tell: the whole AND/OR cannot be judged
Cond = Union[str, _Mark]


@dataclass
class Chain:
    node: cst.Call  # the outermost call (where a finding is reported)
    model: str
    calls: List[Tuple[str, cst.Call]]  # innermost first
    limited: bool


class DjangoChains:
    """Collects ``Model.objects.<queryset calls>`` chains as the walker passes; a rule
    forwards its ``visit_Call`` / ``visit_Subscript`` here."""

    def __init__(self) -> None:
        self.seen: Set[int] = set()
        self.sliced: Set[int] = set()
        self.tainted: Set[int] = set()  # receivers of methods that may add conditions
        self.chains: List[Chain] = []

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if isinstance(node.value, cst.Call) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Slice):
            self.sliced.add(id(node.value))

    def visit_Call(self, node: cst.Call) -> None:
        if not isinstance(node.func, cst.Attribute):
            return
        method = node.func.attr.value
        if id(node) in self.tainted or (method not in FILTERING and method not in PASSING and method not in TERMINAL):
            self.tainted.add(id(node.func.value))  # the walk visits outer calls first
            return
        if id(node) in self.seen or (method not in FILTERING and method not in PASSING):
            return
        calls: List[Tuple[str, cst.Call]] = []
        current: cst.BaseExpression = node
        while isinstance(current, cst.Call) and isinstance(current.func, cst.Attribute):
            method = current.func.attr.value
            if method not in FILTERING and method not in PASSING:
                return
            calls.append((method, current))
            current = current.func.value
        if not (isinstance(current, cst.Attribute) and current.attr.value == "objects" and isinstance(current.value, cst.Name)):
            return
        for _, call in calls:
            self.seen.add(id(call))
        limited = id(node) in self.sliced or calls[0][0] in LIMITING
        self.chains.append(Chain(node, current.value.value, list(reversed(calls)), limited))


@dataclass
class Translated:
    """A chain as SQL, and which model each table alias stands for."""

    sql: str
    aliases: Dict[str, Any]  # alias -> ModelInfo
    order: Optional[Tuple[str, str]] = None  # (alias, column) of the leading ORDER BY key
    filters: List[str] = field(default_factory=list)


def m2m_table(owner: Any, fld: Any, target: Any) -> Tuple[str, Tuple[str, str]]:
    """Django's automatic join table of ``owner.fld`` (``<owner table>_<field>``) and its
    two foreign key columns (owner side, target side)."""
    return f"{owner.table}_{fld.name}", (f"{owner.class_name.lower()}_id", f"{target.class_name.lower()}_id")


def unjudged(schema: Any, table_name: str, column: str) -> Cond:
    """A transform, pattern or function of a column: neutral unless some index mentions
    the column (an expression or pattern index may serve it: cannot judge)."""
    table = schema.table(table_name)
    if table is None:
        return UNKNOWN
    for ix in table.indexes:
        if column in ix.columns or any(c.startswith("expr:") and column in c for c in ix.columns):
            return UNKNOWN
    return NEUTRAL


def _flag(value: cst.BaseExpression) -> bool:
    """A ``True`` / ``False`` literal: a low-cardinality predicate an index rarely serves
    (a partial index would, but that is a design choice, not a missing index)."""
    return isinstance(value, cst.Name) and value.value in ("True", "False")


def _relation_by_column(model: Any, column: str) -> Any:
    """The relation field of ``model`` stored in ``column`` (``order_id``), or None."""
    return next((f for f in model.fields.values() if f.relation and f.column == column), None)


def _callee(node: cst.Call) -> Optional[str]:
    func = node.func
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return None


def _column_ref(value: cst.BaseExpression) -> bool:
    """``F("other")`` (or an arithmetic on one): a comparison of two columns of a row,
    which no plain index on either serves."""
    if isinstance(value, cst.Call) and _callee(value) == "F":
        return True
    if isinstance(value, cst.BinaryOperation):
        return _column_ref(value.left) or _column_ref(value.right)
    return False


def _and(parts: List[Cond]) -> Cond:
    if any(p is UNKNOWN for p in parts):
        return UNKNOWN
    kept = [p for p in parts if isinstance(p, str)]
    if not kept:
        return NEUTRAL
    return kept[0] if len(kept) == 1 else "(" + " AND ".join(kept) + ")"


def _or(parts: List[Cond]) -> Cond:
    if any(p is UNKNOWN for p in parts):
        return UNKNOWN
    if any(p is NEUTRAL for p in parts):
        return NEUTRAL  # one branch no index can serve: the OR scans whatever the rest does
    return "(" + " OR ".join(parts) + ")"  # type: ignore[arg-type]


def _q(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and _callee(node) == "Q"


class _Query:
    """Translates one chain; aliases ``t0`` (the chain's model), ``t1``, ... (joins)."""

    def __init__(self, schema: Any, base: Any, chain: Chain) -> None:
        self.schema = schema
        self.base = base
        self.aliases: Dict[str, Any] = {"t0": base}
        self.joins: List[str] = []
        self.paths: Dict[Tuple[str, ...], Tuple[str, Any]] = {(): ("t0", base)}
        self.through = 0
        self.annotations: Set[str] = set()
        for method, call in chain.calls:
            if method in ("annotate", "alias"):
                self.annotations.update(a.keyword.value for a in call.args if a.keyword is not None)

    # -- joins ----------------------------------------------------------------------
    def _alias(self) -> str:
        return f"t{len(self.aliases) + self.through}"

    def _join(self, path: Tuple[str, ...], model: Any, on: str, alias: str) -> Tuple[str, Any]:
        self.joins.append(f'JOIN "{model.table}" AS "{alias}" ON {on}')
        self.aliases[alias] = model
        self.paths[path] = (alias, model)
        return alias, model

    def _pk_column(self, model: Any) -> Optional[str]:
        return model.column_for("pk")

    def _forward(self, path: Tuple[str, ...], alias: str, fld: Any, target: Any) -> Optional[Tuple[str, Any]]:
        hit = self.paths.get(path)
        if hit is not None:
            return hit
        pk = self._pk_column(target)
        if pk is None:
            return None
        new = self._alias()
        return self._join(path, target, f'"{new}"."{pk}" = "{alias}"."{fld.column}"', new)

    def _reverse(self, path: Tuple[str, ...], alias: str, model: Any, source: Any, fld: Any) -> Optional[Tuple[str, Any]]:
        hit = self.paths.get(path)
        if hit is not None:
            return hit
        pk = self._pk_column(model)
        if pk is None:
            return None
        new = self._alias()
        return self._join(path, source, f'"{new}"."{fld.column}" = "{alias}"."{pk}"', new)

    def _m2m(self, path: Tuple[str, ...], alias: str, model: Any, other: Any, owner: Any, fld: Any) -> Optional[Tuple[str, Any]]:
        """Through Django's join table (never in the schema, so neutral: Django indexes
        both of its foreign keys). ``owner`` declares the ``ManyToManyField`` ``fld``."""
        hit = self.paths.get(path)
        if hit is not None:
            return hit
        pk, other_pk = self._pk_column(model), self._pk_column(other)
        if pk is None or other_pk is None or model is other:
            return None
        link, columns = m2m_table(owner, fld, other if owner is model else model)
        mine, theirs = columns if owner is model else columns[::-1]
        self.through += 1
        step = f"m{self.through}"
        self.joins.append(f'JOIN "{link}" AS "{step}" ON "{step}"."{mine}" = "{alias}"."{pk}"')
        new = self._alias()
        return self._join(path, other, f'"{new}"."{other_pk}" = "{step}"."{theirs}"', new)

    # -- conditions -----------------------------------------------------------------
    def _cond(self, alias: str, column: str, op: str) -> str:
        return f'"{alias}"."{column}" {LOOKUPS[op]}'

    def _indexed_field(self, parts: List[str]) -> bool:
        """``parts`` (``["order", "isnull"]``) names one field of the base model that an
        index of its own serves (``db_index``, unique, a foreign key, the primary key)."""
        if len(parts) != 2:
            return False
        name = self.base.pk if parts[0] == "pk" else parts[0]
        fld = self.base.fields.get(name) or _relation_by_column(self.base, name)
        return fld is not None and bool(fld.indexed) and not fld.m2m

    def _unjudged(self, model: Any, column: str) -> Cond:
        return unjudged(self.schema, model.table, column)

    def lookup(self, key: str, value: cst.BaseExpression) -> Cond:
        parts = key.split("__")
        if len(parts) > 1 and parts[-1] == "isnull" and _flag(value):
            # ``fk__isnull=True`` on an indexed field is ``fk IS NULL``, which its b-tree
            # index serves; on any other field, or ``isnull=False`` (IS NOT NULL, most
            # rows), there is no index to ask for
            if getattr(value, "value", "") != "True" or not self._indexed_field(parts):
                return NEUTRAL
        elif _flag(value) or _column_ref(value):
            return NEUTRAL
        if parts[0] in self.annotations:
            return NEUTRAL
        alias, model = "t0", self.base
        path: Tuple[str, ...] = ()
        i = 0
        while i < len(parts):
            name, rest = parts[i], parts[i + 1:]
            op_only = not rest or (len(rest) == 1 and rest[0] in LOOKUPS)
            op = rest[0] if rest else "exact"
            if name == "pk":
                name = model.pk
            fld = model.fields.get(name)
            if fld is None:
                fld = _relation_by_column(model, name)
                if fld is not None and op_only:
                    return self._cond(alias, fld.column, op)
                fld = None
            path = path + (name,)
            if fld is None:
                rev = self.schema.reverse(model, name)
                if rev is None:
                    return UNKNOWN
                source, rel = rev
                hop = self._m2m(path, alias, model, source, source, rel) if rel.m2m else self._reverse(path, alias, model, source, rel)
                if hop is None:
                    return UNKNOWN
                alias, model = hop
                if op_only:
                    pk = self._pk_column(model)
                    return self._cond(alias, pk, op) if pk else UNKNOWN
                i += 1
                continue
            if fld.m2m:
                target = self.schema.related_model(model, fld)
                hop = self._m2m(path, alias, model, target, model, fld) if target is not None else None
                if hop is None:
                    return UNKNOWN
                alias, model = hop
                if op_only:
                    pk = self._pk_column(model)
                    return self._cond(alias, pk, op) if pk else UNKNOWN
                i += 1
                continue
            if fld.relation:
                if op_only:
                    return self._cond(alias, fld.column, op)
                target = self.schema.related_model(model, fld)
                if target is None:
                    return UNKNOWN
                if rest[0] in ("pk", target.pk) and (len(rest) == 1 or (len(rest) == 2 and rest[1] in LOOKUPS)):
                    return self._cond(alias, fld.column, rest[1] if len(rest) == 2 else "exact")
                hop = self._forward(path, alias, fld, target)
                if hop is None:
                    return UNKNOWN
                alias, model = hop
                i += 1
                continue
            if fld.choices and not fld.indexed:
                return NEUTRAL  # a status or a type: a few values, each a large share of rows
            if op_only:
                return self._cond(alias, fld.column, op)
            return self._unjudged(model, fld.column)
        return UNKNOWN

    def q(self, node: cst.BaseExpression) -> Cond:
        """``Q(...)`` combined with ``|``, ``&`` and ``~``."""
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.BitOr, cst.BitAnd)):
            left, right = self.q(node.left), self.q(node.right)
            return _or([left, right]) if isinstance(node.operator, cst.BitOr) else _and([left, right])
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.BitInvert):
            return NEUTRAL if self.q(node.expression) is not UNKNOWN else UNKNOWN
        if _q(node):
            return self.arguments(node.args)  # type: ignore[union-attr]
        return UNKNOWN

    def arguments(self, args: Any, skip: Set[str] = frozenset()) -> Cond:  # type: ignore[assignment]
        parts: List[Cond] = []
        for arg in args:
            if arg.star:
                return UNKNOWN  # **kwargs / *args: any column at all
            if arg.keyword is not None:
                if arg.keyword.value in skip:
                    continue
                parts.append(self.lookup(arg.keyword.value, arg.value))
            else:
                parts.append(self.q(arg.value))
        return _and(parts)

    def order(self, node: cst.BaseExpression) -> Optional[Tuple[str, str]]:
        if not isinstance(node, cst.SimpleString):
            return None
        value = node.evaluated_value
        if not isinstance(value, str):
            return None
        name = value.lstrip("-+")
        if "__" in name or name == "?":
            return None
        if name == "pk":
            name = self.base.pk
        fld = self.base.fields.get(name)
        if fld is None or fld.m2m or fld.relation:
            # ordering by a relation follows the related model's Meta.ordering
            column = name if fld is None and any(f.relation and f.column == name for f in self.base.fields.values()) else None
        else:
            column = fld.column
        return ("t0", column) if column else None


def translate(schema: Any, base: Any, chain: Chain) -> Optional[Translated]:
    """The SQL of ``chain`` on model ``base``; None when it filters and orders on nothing
    we can judge, or when some part of it cannot be judged."""
    query = _Query(schema, base, chain)
    where: List[Cond] = []
    order: Optional[Tuple[str, str]] = None
    for method, call in chain.calls:
        if method in ("filter", "get", "get_or_create", "update_or_create"):
            where.append(query.arguments(call.args, NOT_FILTERS))
        elif method in ("order_by", "latest", "earliest") and call.args:
            order = query.order(call.args[0].value)
    cond = _and(where)
    if cond is UNKNOWN or (cond is NEUTRAL and order is None):
        return None
    sql = f'SELECT "t0".* FROM "{base.table}" AS "t0"'
    if query.joins:
        sql += " " + " ".join(query.joins)
    if isinstance(cond, str):
        sql += " WHERE " + cond
    if order is not None:
        sql += f' ORDER BY "{order[0]}"."{order[1]}"'
    if chain.limited:
        sql += " LIMIT 1"
    return Translated(sql, dict(query.aliases), order)
