"""SQLAlchemy ORM query shapes for the FFT5xx rules (no rules here): query chains collected
during the walk and their translation into SQL for :mod:`fftlint.analysis.sql.query`.

Roots: ``<session>.query(Model, ...)`` / ``<session>.query(Model.col, ...)``, Flask-
SQLAlchemy's ``Model.query``, and ``select(Model)`` / ``select(Model.col, ...)`` where
``select`` resolves to SQLAlchemy's (or SQLModel's). Then ``filter``, ``filter_by``,
``where``, ``join`` / ``outerjoin`` (a relationship attribute, a model with one foreign key
between the two tables, or an explicit ``onclause``), ``order_by`` (its first key),
``limit`` / ``first`` / ``one`` / ``one_or_none`` / ``scalar`` / ``[:n]``, and methods that
only pass the query along. Any other method makes the chain unknown.

Conditions: ``Model.col == x`` (and ``<``, ``<=``, ``>``, ``>=``), ``== None``,
``.in_()``, ``.between()``, ``.is_(None)``, ``and_()`` / ``or_()``, relationship filters
``Model.rel.has(...)`` / ``Model.rel.any(...)`` (joins). Neutral: ``!=``, ``~`` / ``not_``,
``True``/``False`` flags, ``.isnot()``, two columns of one table, ``.like()`` and friends and
functions of a column no index mentions. Unknown (the query is left alone): anything else --
``text()``, a condition held in a name, a call we do not know, a column of a model that is
not part of the query. Values held in names are not followed (the lead's facts layer will
feed them later).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Set, Tuple

import libcst as cst

from ._django import NEUTRAL, UNKNOWN, Cond, _and, _or, unjudged

SELECTS = {"sqlalchemy.select", "sqlalchemy.sql.select", "sqlalchemy.future.select", "sqlalchemy.sql.expression.select", "sqlmodel.select"}
FILTERS = {"filter", "where", "filter_by"}
JOINS = {"join", "outerjoin"}
LIMITING = {"first", "one", "one_or_none", "scalar", "limit"}
PASSING = {
    "order_by", "offset", "all", "options", "distinct", "execution_options", "with_for_update", "count",
    "params", "enable_eagerloads", "yield_per", "scalars", "unique", "exists", "select_from", "group_by",
}  # fmt: skip
METHODS = FILTERS | JOINS | LIMITING | PASSING
#: LibCST comparison operator class name -> SQL (names: libcst is loaded on first use)
RANGE = {"LessThan": "<", "LessThanEqual": "<=", "GreaterThan": ">", "GreaterThanEqual": ">="}


@dataclass
class SaChain:
    node: cst.BaseExpression  # the outermost call (where a finding is reported)
    root: cst.BaseExpression  # the entity expression: ``Model`` or ``Model.col``
    calls: List[Tuple[str, cst.Call]]  # innermost first
    limited: bool


def _method(node: cst.BaseExpression) -> Optional[str]:
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        return node.func.attr.value
    return None


class SaChains:
    """Collects SQLAlchemy query chains; a rule forwards ``visit_Call`` /
    ``visit_Subscript`` here and passes ``resolve`` (``ctx.names.resolve``)."""

    def __init__(self, resolve: Any) -> None:
        self.resolve = resolve
        self.seen: Set[int] = set()
        self.sliced: Set[int] = set()
        self.tainted: Set[int] = set()  # receivers of methods we do not know
        self.chains: List[SaChain] = []

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if isinstance(node.value, cst.Call) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Slice):
            self.sliced.add(id(node.value))

    def _root(self, node: cst.BaseExpression) -> Optional[cst.BaseExpression]:
        """The entity of a chain's root, or None when ``node`` is no root."""
        if isinstance(node, cst.Call):
            if isinstance(node.func, cst.Attribute) and node.func.attr.value == "query" and node.args and not node.args[0].keyword:
                return node.args[0].value
            if self.resolve(node.func) in SELECTS and node.args and not node.args[0].keyword:
                return node.args[0].value
        if isinstance(node, cst.Attribute) and node.attr.value == "query" and isinstance(node.value, cst.Name):
            return node.value  # Flask-SQLAlchemy: Model.query
        return None

    def visit_Call(self, node: cst.Call) -> None:
        if id(node) in self.tainted or (_method(node) is not None and _method(node) not in METHODS):
            # an unknown method (a custom Query's ``.active()``) may add any condition:
            # the query it is called on cannot be judged (the walk visits outer calls first)
            if isinstance(node.func, cst.Attribute):
                self.tainted.add(id(node.func.value))
            return
        if id(node) in self.seen or _method(node) not in METHODS:
            return
        calls: List[Tuple[str, cst.Call]] = []
        current: cst.BaseExpression = node
        while True:
            method = _method(current)
            if method is None or method not in METHODS:
                root = self._root(current)
                if root is None:
                    return
                break
            assert isinstance(current, cst.Call) and isinstance(current.func, cst.Attribute)
            calls.append((method, current))
            root = self._root(current.func.value)
            if root is not None:
                break
            current = current.func.value
        for _, call in calls:
            self.seen.add(id(call))
        limited = id(node) in self.sliced or any(m in LIMITING for m, _ in calls)
        self.chains.append(SaChain(node, root, list(reversed(calls)), limited))


@dataclass
class SaTranslated:
    sql: str
    aliases: Dict[str, Any]  # alias -> SaModelInfo


def _tail(node: cst.BaseExpression) -> Optional[str]:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return None


def _literal_flag(node: cst.BaseExpression) -> bool:
    """``True`` / ``False``, or SQLAlchemy's ``true()`` / ``false()`` (``sa.false()``)."""
    if isinstance(node, cst.Call) and not node.args:
        return _tail(node.func) in ("true", "false")
    return isinstance(node, cst.Name) and node.value in ("True", "False")


def _none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


class _SaQuery:
    def __init__(self, schema: Any, base: Any) -> None:
        self.schema = schema
        self.entities: Dict[str, str] = {base.class_name: "t0"}  # class name -> alias
        self.aliases: Dict[str, Any] = {"t0": base}
        self.joins: List[str] = []
        self.last = base

    # -- entities and columns -------------------------------------------------------
    def column(self, node: cst.BaseExpression) -> Optional[Tuple[str, Any, str]]:
        """``Model.attr`` of an entity of the query -> (alias, model, column)."""
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
            alias = self.entities.get(node.value.value)
            if alias is not None:
                model = self.aliases[alias]
                col = model.columns.get(node.attr.value)
                if col is not None:
                    return alias, model, col
        return None

    def mentions_model(self, node: cst.BaseExpression) -> bool:
        """Does ``node`` refer to a mapped class (so it is no constant)?"""
        found = False

        class Finder(cst.CSTVisitor):
            def visit_Name(inner, n: cst.Name) -> None:  # noqa: N805
                nonlocal found
                if self.schema.sa_model(n.value) is not None:
                    found = True

        node.visit(Finder())
        return found

    def _fk_between(self, left: Any, right: Any) -> Optional[Tuple[Any, str, Any, str]]:
        """The one foreign key between two models' tables: (holder, fk column, referenced
        model, its primary key column 'id'-like); None when there is not exactly one."""
        found = []
        for holder, other in ((left, right), (right, left)):
            for col, table in holder.foreign_keys.items():
                if table == other.table:
                    pk = next((c for a, c in other.columns.items() if a == "id" or c == "id"), None)
                    if pk is not None:
                        found.append((holder, col, other, pk))
        return found[0] if len(found) == 1 else None

    def join_model(self, target: Any, onclause: Optional[cst.BaseExpression] = None, frm: Optional[Any] = None) -> Optional[str]:
        if target.class_name in self.entities:
            return None  # a self-join needs aliased(): not followed
        alias = f"t{len(self.aliases)}"
        self.entities[target.class_name] = alias
        self.aliases[alias] = target
        if onclause is not None:
            on = self.cond(onclause)
            if not isinstance(on, str):
                return None
        else:
            link = None
            for model in [frm] if frm is not None else list(self.aliases.values())[:-1]:
                link = self._fk_between(model, target)
                if link is not None:
                    break
            if link is None:
                return None
            holder, col, ref, pk = link
            on = f'"{self.entities[holder.class_name]}"."{col}" = "{self.entities[ref.class_name]}"."{pk}"'
        self.joins.append(f'JOIN "{target.table}" AS "{alias}" ON {on}')
        self.last = target
        return alias

    def relationship(self, node: cst.BaseExpression) -> Optional[Tuple[Any, Any]]:
        """``Model.rel`` of an entity -> (owner model, target model)."""
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
            alias = self.entities.get(node.value.value)
            if alias is not None:
                owner = self.aliases[alias]
                if node.attr.value in owner.relationships:
                    target_name = owner.relationships[node.attr.value]
                    target = self.schema.sa_model(target_name) if target_name else None
                    return (owner, target) if target is not None else (owner, None)
        return None

    def join(self, call: cst.Call) -> bool:
        args = [a.value for a in call.args if a.keyword is None and not a.star]
        if not args or len(args) > 2 or any(a.keyword is not None and a.keyword.value not in ("isouter", "full") for a in call.args):
            return False
        rel = self.relationship(args[0])
        if rel is not None:
            owner, target = rel
            return target is not None and len(args) == 1 and self.join_model(target, frm=owner) is not None
        target = self.schema.sa_model(args[0].value) if isinstance(args[0], cst.Name) else None
        if target is None:
            return False
        return self.join_model(target, args[1] if len(args) == 2 else None) is not None

    # -- conditions -----------------------------------------------------------------
    def _unjudged(self, model: Any, column: str) -> Cond:
        return unjudged(self.schema, model.table, column)

    def _wrapped(self, node: cst.BaseExpression) -> Cond:
        """``func.lower(Model.col)`` compared to a constant: a function of one column."""
        if isinstance(node, cst.Call):
            cols = [self.column(a.value) for a in node.args]
            found = [c for c in cols if c is not None]
            if len(found) == 1 and all(c is not None or not self.mentions_model(a.value) for c, a in zip(cols, node.args)):
                return self._unjudged(found[0][1], found[0][2])
        return UNKNOWN

    def _value(self, node: cst.BaseExpression) -> Optional[str]:
        """A value side: a constant ("%s"), or None when it refers to the model."""
        return None if self.mentions_model(node) else "%s"

    def cond(self, node: cst.BaseExpression) -> Cond:
        if isinstance(node, cst.Comparison) and len(node.comparisons) == 1:
            op = node.comparisons[0].operator
            left, right = node.left, node.comparisons[0].comparator
            lcol, rcol = self.column(left), self.column(right)
            if lcol is None and rcol is not None:
                left, right, lcol, rcol = right, left, rcol, None
                op = {cst.LessThan: cst.GreaterThan(), cst.GreaterThan: cst.LessThan(), cst.LessThanEqual: cst.GreaterThanEqual(), cst.GreaterThanEqual: cst.LessThanEqual()}.get(type(op), op)  # type: ignore[call-arg]
            if lcol is None:
                return self._wrapped(left) if rcol is None and self._value(right) else UNKNOWN
            alias, model, col = lcol
            if isinstance(op, cst.NotEqual):
                return NEUTRAL
            if rcol is not None:
                if isinstance(op, cst.Equal) and rcol[0] != alias:
                    return f'"{alias}"."{col}" = "{rcol[0]}"."{rcol[2]}"'
                return NEUTRAL
            if isinstance(op, cst.Equal) and _none(right):
                return f'"{alias}"."{col}" IS NULL'
            if _literal_flag(right):
                return NEUTRAL
            if self._value(right) is None:
                return UNKNOWN
            if isinstance(op, cst.Equal):
                return f'"{alias}"."{col}" = %s'
            sym = RANGE.get(type(op).__name__)
            return f'"{alias}"."{col}" {sym} %s' if sym else UNKNOWN
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.BitInvert):
            return NEUTRAL if self.cond(node.expression) is not UNKNOWN else UNKNOWN
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.BitAnd, cst.BitOr)):
            parts = [self.cond(node.left), self.cond(node.right)]
            return _and(parts) if isinstance(node.operator, cst.BitAnd) else _or(parts)
        if isinstance(node, cst.Call):
            name = _tail(node.func)
            args = [a.value for a in node.args if a.keyword is None and not a.star]
            if any(a.star for a in node.args):
                return UNKNOWN
            if name in ("and_", "or_") and isinstance(node.func, (cst.Name, cst.Attribute)) and self.column(node.func) is None:
                parts = [self.cond(a) for a in args]
                return _and(parts) if name == "and_" else _or(parts)
            if name == "not_":
                return NEUTRAL if all(self.cond(a) is not UNKNOWN for a in args) else UNKNOWN
            if isinstance(node.func, cst.Attribute):
                rel = self.relationship(node.func.value)
                if rel is not None and name in ("has", "any"):
                    owner, target = rel
                    if target is None or self.join_model(target, frm=owner) is None:
                        return UNKNOWN
                    return _and([self.cond(a) for a in args]) if args else NEUTRAL
                col = self.column(node.func.value)
                if col is not None:
                    alias, model, column = col
                    if name == "in_" and len(args) == 1 and self._value(args[0]):
                        return f'"{alias}"."{column}" IN (%s)'
                    if name == "between" and len(args) == 2 and all(self._value(a) for a in args):
                        return f'"{alias}"."{column}" BETWEEN %s AND %s'
                    if name == "is_" and len(args) == 1 and _none(args[0]):
                        return f'"{alias}"."{column}" IS NULL'
                    if name in ("is_", "isnot", "is_not", "not_in", "notin_", "is_distinct_from", "isnot_distinct_from"):
                        return NEUTRAL
                    return self._unjudged(model, column)  # like/ilike/contains/startswith/op/...
            # func.lower(Model.col) == x arrives as a Comparison; a bare function call here is unknown
        return UNKNOWN

    def filter_by(self, call: cst.Call) -> Cond:
        parts: List[Cond] = []
        model = self.last
        alias = self.entities[model.class_name]
        for arg in call.args:
            if arg.star or arg.keyword is None:
                return UNKNOWN
            name = arg.keyword.value
            col = model.columns.get(name)
            if col is None:
                return UNKNOWN
            if _literal_flag(arg.value):
                parts.append(NEUTRAL)
            elif _none(arg.value):
                parts.append(f'"{alias}"."{col}" IS NULL')
            elif self._value(arg.value) is None:
                return UNKNOWN
            else:
                parts.append(f'"{alias}"."{col}" = %s')
        return _and(parts)

    def order(self, node: cst.BaseExpression) -> Optional[str]:
        while True:
            if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in ("desc", "asc", "nullslast", "nullsfirst", "nulls_last", "nulls_first") and not node.args:
                node = node.func.value
            elif isinstance(node, cst.Call) and _tail(node.func) in ("desc", "asc", "nullslast", "nullsfirst") and len(node.args) == 1:
                node = node.args[0].value
            else:
                break
        col = self.column(node)
        return f'"{col[0]}"."{col[2]}"' if col else None


def base_model(schema: Any, root: cst.BaseExpression) -> Optional[Any]:
    """The model a root entity names: ``Model`` or ``Model.col``."""
    if isinstance(root, cst.Attribute) and isinstance(root.value, cst.Name):
        root = root.value
    return schema.sa_model(root.value) if isinstance(root, cst.Name) else None


def translate(schema: Any, base: Any, chain: SaChain) -> Optional[SaTranslated]:
    query = _SaQuery(schema, base)
    where: List[Cond] = []
    order: Optional[str] = None
    for method, call in chain.calls:
        if method in ("filter", "where"):
            if any(a.star or a.keyword is not None for a in call.args):
                return None
            where.append(_and([query.cond(a.value) for a in call.args]))
        elif method == "filter_by":
            where.append(query.filter_by(call))
        elif method in JOINS:
            if not query.join(call):
                return None
        elif method == "order_by" and call.args and order is None:
            order = query.order(call.args[0].value)
        elif method == "select_from":
            return None
    cond = _and(where)
    if cond is UNKNOWN or (cond is NEUTRAL and order is None):
        return None
    sql = f'SELECT "t0".* FROM "{base.table}" AS "t0"'
    if query.joins:
        sql += " " + " ".join(query.joins)
    if isinstance(cond, str):
        sql += " WHERE " + cond
    if order:
        sql += f" ORDER BY {order}"
    if chain.limited:
        sql += " LIMIT 1"
    return SaTranslated(sql, dict(query.aliases))
