"""Which filter / join / order-by columns of a SQL statement no index covers.

For every query block (sqlglot scopes: the main SELECT, CTEs, subqueries, UNION branches,
and the WHERE of UPDATE / DELETE) each table *occurrence* is judged:

* its **WHERE** predicates (and constant conditions in JOIN ... ON) form a tree of
  AND / OR over sargable atoms (``col = x``, ``<``, ``BETWEEN``, ``IN``, ``IS NULL``).
  An AND is index-capable when any member is (the planner needs one index to start
  from); an OR only when every branch is (a BitmapOr). A column counts as indexed when
  it *leads* some index (leftmost prefix); primary keys and unique constraints count.
* its **JOIN** equalities (``o.customer_id = c.id``): an index on its side of the join
  is useful only when the other side is restricted (has a filter, directly or through
  other joins); that is when a nested loop wants to probe this table.
* its **ORDER BY** leading column, when the query is paginated (LIMIT) or already
  reported: an index that leads with it lets the planner skip the sort.

A table occurrence is reported when it has no index-capable access path; columns and
tables unknown to the schema, function-wrapped columns and negations are neutral (they
never cause a report), so an incomplete schema errs on the side of silence.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Set, Tuple

from fftlint.analysis.sql.composite import Composite, composite_gap, occurrence_conditions
from fftlint.analysis.sql.schema import Schema, create_index_ddl, norm

SAT, UNSAT, NEUTRAL = "sat", "unsat", "neutral"
KIND_ORDER = {"eq": 0, "in": 1, "null": 2, "range": 3}


@dataclass(frozen=True)
class Gap:
    """One table occurrence whose filter/join/order columns no index covers."""

    table: str
    alias: str
    columns: Tuple[str, ...]
    clauses: Tuple[str, ...]  # WHERE / JOIN / ORDER BY, aligned with ``columns``
    suggestions: Tuple[Tuple[str, ...], ...]

    @property
    def ddl(self) -> str:
        return "; ".join(create_index_ddl(self.table, cols) for cols in self.suggestions)


@dataclass(frozen=True)
class Unsargable:
    """A predicate that wraps an indexed-looking column so no plain index applies (FFT503)."""

    table: str
    column: str
    expression: str
    reason: str  # function | leading-wildcard
    alias: str = ""
    indexable: str = ""  # the expression without the query's table qualifiers (for CREATE INDEX)


@dataclass
class Analysis:
    gaps: List[Gap] = field(default_factory=list)
    unsargable: List[Unsargable] = field(default_factory=list)
    composites: List[Composite] = field(default_factory=list)  # FFT504: a prefix index, no composite
    tables: Set[str] = field(default_factory=set)  # known tables the statement touches
    error: Optional[str] = None


# --------------------------------------------------------------------------- predicate trees
@dataclass(frozen=True)
class Atom:
    inst: str
    column: str
    kind: str
    outer: bool = False  # compared to a column of an outer query (a correlated subquery)


@dataclass(frozen=True)
class JoinEq:
    left: Tuple[str, str]
    right: Tuple[str, str]


@dataclass(frozen=True)
class Node:
    op: str  # and | or
    children: Tuple[object, ...]


@dataclass
class _Block:
    """One query block: its table occurrences and clauses."""

    instances: Dict[str, Optional[str]]  # alias -> known table name, None for derived/unknown
    conditions: List[object]  # sqlglot expressions (WHERE, JOIN ON), AND-ed
    using: List[Tuple[str, str]]  # (joined alias, column) from JOIN ... USING
    order: Optional[object] = None
    limited: bool = False
    nullable: Set[str] = field(default_factory=set)  # outer-joined aliases (LEFT JOIN's right side)
    grouped: bool = False  # GROUP BY / DISTINCT / aggregates / windows: rows are not the scan's


class _Analyzer:
    def __init__(self, schema: Schema, dialect: str) -> None:
        self.schema = schema
        self.dialect = dialect
        from sqlglot import exp

        self.exp = exp

    # -- resolution ---------------------------------------------------------
    def resolve(self, column, block: _Block):  # noqa: ANN001
        """-> ("inst", alias, col) | ("external",) | ("unknown",)."""
        name = norm(column.name)
        qualifier = column.table
        if qualifier:
            q = norm(qualifier)
            if q in block.instances:
                return ("inst", q, name)
            return ("external",)
        if len(block.instances) == 1:
            return ("inst", next(iter(block.instances)), name)
        owners = []
        for alias, table in block.instances.items():
            if table is None:
                return ("unknown",)
            t = self.schema.table(table)
            if t is not None and t.has_column(name):
                owners.append(alias)
            elif t is None:
                return ("unknown",)
        if len(owners) == 1:
            return ("inst", owners[0], name)
        return ("unknown",)

    def _free_of(self, node, block: _Block) -> bool:  # noqa: ANN001
        """True when ``node`` references no column of this block (a constant, parameter,
        or a correlated outer column)."""
        exp = self.exp
        if isinstance(node, (exp.Subquery, exp.Select)):
            return True
        for col in node.find_all(exp.Column):
            if self.resolve(col, block)[0] != "external":
                return False
        return True

    def _outer(self, node) -> bool:  # noqa: ANN001
        """A value side that names a column (of an outer query: it is free of this block)."""
        return not isinstance(node, (self.exp.Subquery, self.exp.Select)) and node.find(self.exp.Column) is not None

    def _column_side(self, node, block: _Block):  # noqa: ANN001
        exp = self.exp
        while isinstance(node, exp.Paren):
            node = node.this
        if isinstance(node, exp.Column) and not isinstance(node.this, exp.Star):
            res = self.resolve(node, block)
            if res[0] == "inst":
                return res
        return None

    def tree(self, node, block: _Block, unsargable: List[Unsargable]):  # noqa: ANN001
        exp = self.exp
        if node is None:
            return None
        if isinstance(node, exp.Paren):
            return self.tree(node.this, block, unsargable)
        if isinstance(node, exp.And):
            return Node("and", (self.tree(node.left, block, unsargable), self.tree(node.right, block, unsargable)))
        if isinstance(node, exp.Or):
            return Node("or", (self.tree(node.left, block, unsargable), self.tree(node.right, block, unsargable)))
        comparisons = (exp.EQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ)
        if isinstance(node, comparisons):
            left = self._column_side(node.left, block)
            right = self._column_side(node.right, block)
            kind = "eq" if isinstance(node, (exp.EQ, exp.NullSafeEQ)) else "range"
            if left and right:
                if isinstance(node, exp.EQ) and left[1] != right[1]:
                    return JoinEq((left[1], left[2]), (right[1], right[2]))
                return None
            if isinstance(node.left, exp.Boolean) or isinstance(node.right, exp.Boolean):
                return None  # a true/false flag: half the table either way, no index helps
            if left and self._free_of(node.right, block):
                return Atom(left[1], left[2], kind, self._outer(node.right))
            if right and self._free_of(node.left, block):
                return Atom(right[1], right[2], kind, self._outer(node.left))
            self._wrapped(node.left, node.right, block, unsargable)
            self._wrapped(node.right, node.left, block, unsargable)
            return None
        if isinstance(node, exp.In):
            side = self._column_side(node.this, block)
            if side and (node.args.get("query") is not None or all(self._free_of(e, block) for e in node.expressions)):
                return Atom(side[1], side[2], "in")
            return None
        if isinstance(node, exp.Between):
            side = self._column_side(node.this, block)
            if side and self._free_of(node.args.get("low"), block) and self._free_of(node.args.get("high"), block):
                return Atom(side[1], side[2], "range")
            return None
        if isinstance(node, exp.Is):
            side = self._column_side(node.this, block)
            if side and isinstance(node.expression, exp.Null):
                return Atom(side[1], side[2], "null")
            return None
        if isinstance(node, (exp.Like, exp.ILike)):
            self._leading_wildcard(node, block, unsargable)
            return None
        return None

    # -- FFT503 material ------------------------------------------------------
    def _wrapped(self, side, other, block: _Block, unsargable: List[Unsargable]) -> None:  # noqa: ANN001
        """``lower(email) = %s``: a function over one bare column compared to a constant."""
        exp = self.exp
        while isinstance(side, exp.Paren):
            side = side.this
        if not isinstance(side, (exp.Func, exp.Cast)) or isinstance(side, exp.Column):
            return
        if not self._free_of(other, block):
            return
        cols = list(side.find_all(exp.Column))
        if len(cols) != 1:
            return
        res = self.resolve(cols[0], block)
        if res[0] != "inst":
            return
        table = self._table(block, res[1])
        if table is None or not table.has_column(res[2]):
            return
        sql = side.sql(dialect=self.dialect)
        if table.expression_indexed(sql) or table.expression_indexed(_unqualified(side, self.dialect)):
            return
        unsargable.append(Unsargable(table.name, res[2], sql, "function", res[1], _unqualified(side, self.dialect)))

    def _leading_wildcard(self, node, block: _Block, unsargable: List[Unsargable]) -> None:  # noqa: ANN001
        exp = self.exp
        side = self._column_side(node.this, block)
        pattern = node.expression
        if not side or not isinstance(pattern, exp.Literal) or not pattern.is_string:
            return
        if not pattern.this.startswith(("%", "_")):
            return
        table = self._table(block, side[1])
        if table is None or not table.has_column(side[2]) or table.non_btree_indexed(side[2]):
            return
        unsargable.append(Unsargable(table.name, side[2], node.sql(dialect=self.dialect), "leading-wildcard", side[1]))

    def _table(self, block: _Block, alias: str):  # noqa: ANN001
        """The schema table of an occurrence; None when unknown or opaque (its indexes
        cannot all be known, so it is never judged)."""
        name = block.instances.get(alias)
        table = self.schema.table(name) if name else None
        return None if table is None or table.opaque else table

    # -- evaluation -------------------------------------------------------------
    def evaluate(self, node, alias: str, block: _Block):  # noqa: ANN001
        """-> (status, [(column, kind)], [suggested index columns])."""
        if isinstance(node, Atom):
            if node.inst != alias:
                return NEUTRAL, [], []
            table = self._table(block, alias)
            if table is None or not table.has_column(node.column):
                return NEUTRAL, [], []
            if table.leading_indexed(node.column):
                return SAT, [], []
            return UNSAT, [(node.column, node.kind)], [(node.column,)]
        if isinstance(node, Node):
            results = [self.evaluate(c, alias, block) for c in node.children]
            if node.op == "and":
                if any(r[0] == SAT for r in results):
                    return SAT, [], []
                unsat = [r for r in results if r[0] == UNSAT]
                if not unsat:
                    return NEUTRAL, [], []
                cols = [c for r in unsat for c in r[1]]
                if all(len(r[2]) == 1 for r in unsat):
                    ordered = sorted(dict.fromkeys(cols), key=lambda c: KIND_ORDER.get(c[1], 9))
                    composite = tuple(dict.fromkeys(c for c, _ in ordered))[:3]
                    return UNSAT, cols, [composite]
                return UNSAT, cols, unsat[0][2]
            if any(r[0] == NEUTRAL for r in results):
                return NEUTRAL, [], []
            if all(r[0] == SAT for r in results):
                return SAT, [], []
            unsat = [r for r in results if r[0] == UNSAT]
            return UNSAT, [c for r in unsat for c in r[1]], [s for r in unsat for s in r[2]]
        return NEUTRAL, [], []

    # -- blocks -------------------------------------------------------------------
    def block_gaps(self, block: _Block, out: Analysis) -> None:
        atoms: List[object] = []
        joins: List[JoinEq] = []
        unsargable: List[Unsargable] = []
        for cond in block.conditions:
            t = self.tree(cond, block, unsargable)
            for member in _conjuncts(t):
                if isinstance(member, JoinEq):
                    joins.append(member)
                elif isinstance(member, Atom) and member.kind == "null" and member.inst in block.nullable:
                    continue  # ``LEFT JOIN p ... WHERE p.id IS NULL``: an anti-join, not a filter on p
                else:
                    atoms.append(member)
        for joined, col in block.using:
            for alias, table in block.instances.items():
                if alias == joined:
                    break
                t = self.schema.table(table) if table else None
                if t is not None and t.has_column(col):
                    joins.append(JoinEq((alias, col), (joined, col)))
                    break
        tree = Node("and", tuple(atoms))
        status = {alias: self.evaluate(tree, alias, block) for alias in block.instances}
        seeds = {a for a, s in status.items() if s[0] != NEUTRAL}
        edges: Dict[str, List[Tuple[str, str, str]]] = {}
        for j in joins:
            edges.setdefault(j.left[0], []).append((j.left[1], j.right[0], j.right[1]))
            edges.setdefault(j.right[0], []).append((j.right[1], j.left[0], j.left[1]))

        def restricted_without(excluded: str) -> Set[str]:
            reach = {s for s in seeds if s != excluded}
            frontier = list(reach)
            while frontier:
                cur = frontier.pop()
                for _, other, _ in edges.get(cur, []):
                    if other != excluded and other not in reach:
                        reach.add(other)
                        frontier.append(other)
            return reach

        order_alias, order_col = self._order_key(block)
        for alias, table_name in block.instances.items():
            table = self._table(block, alias)
            if table is None:
                continue
            out.tables.add(table.name)
            st, cols, suggestions = status[alias]
            if st == SAT:
                if not restricted_without(alias):  # this table drives the block
                    self._composite(block, alias, table, atoms, out)
                continue
            restricted = restricted_without(alias)
            join_cols = [(c, other) for c, other, _ in edges.get(alias, []) if other in restricted and table.has_column(c)]
            if any(table.leading_indexed(c) for c, _ in join_cols):
                continue
            # no index can drive this table: predicates that defeat an index matter here
            out.unsargable.extend(u for u in unsargable if u.alias == alias and u not in out.unsargable)
            columns = list(dict.fromkeys(c for c, _ in cols))
            clauses = ["WHERE"] * len(columns)
            sugg = list(suggestions)
            for c, _ in join_cols:
                if c not in columns:
                    columns.append(c)
                    clauses.append("JOIN")
                    sugg.append((c,))
            if order_alias == alias and table.has_column(order_col):
                if table.leading_indexed(order_col):
                    if not columns:
                        continue
                elif columns or block.limited:
                    if order_col not in columns:
                        columns.append(order_col)
                        clauses.append("ORDER BY")
                        if len(sugg) == 1 and st == UNSAT and all(k == "eq" for _, k in cols) and len(sugg[0]) < 3:
                            sugg = [tuple(dict.fromkeys(sugg[0] + (order_col,)))]
                        else:
                            sugg.append((order_col,))
            if not columns:
                continue
            out.gaps.append(Gap(table.name, alias, tuple(columns), tuple(clauses), tuple(dict.fromkeys(sugg))))

    def _composite(self, block: _Block, alias: str, table, atoms: List[object], out: Analysis) -> None:  # noqa: ANN001
        conditions = occurrence_conditions(atoms, alias, table, Atom)
        if conditions is None:
            return
        keys = self._order_keys(block, alias, table) if block.limited and not block.grouped else None
        found = composite_gap(table, alias, conditions, keys, block.limited)
        if found is not None:
            out.composites.append(found)

    def _order_keys(self, block: _Block, alias: str, table) -> List[Optional[str]]:  # noqa: ANN001
        """The ORDER BY keys as columns of ``alias``; None for a key that is not one (an
        expression, another table's column, a column the schema does not know, a NULLS
        placement no plain index has)."""
        exp = self.exp
        keys: List[Optional[str]] = []
        for item in block.order.expressions if block.order is not None else ():
            node = item.this if isinstance(item, exp.Ordered) else item
            side = self._column_side(node, block)
            default_nulls = isinstance(item, exp.Ordered) and bool(item.args.get("nulls_first")) == bool(item.args.get("desc"))
            if side is None or side[1] != alias or not table.has_column(side[2]) or (self.dialect == "postgres" and isinstance(item, exp.Ordered) and not default_nulls):
                keys.append(None)
                break
            keys.append(side[2])
        return keys

    def _order_key(self, block: _Block) -> Tuple[Optional[str], str]:
        exp = self.exp
        order = block.order
        if order is None or not order.expressions:
            return None, ""
        first = order.expressions[0]
        node = first.this if isinstance(first, exp.Ordered) else first
        side = self._column_side(node, block)
        return (side[1], side[2]) if side else (None, "")


def _unqualified(node, dialect: str) -> str:  # noqa: ANN001
    """``coalesce(u0.vrf_id, 0)`` -> ``coalesce(vrf_id, 0)``: an index expression names
    the table's columns, never the query's aliases."""
    from sqlglot import exp

    def strip(n):  # noqa: ANN001, ANN202
        if isinstance(n, exp.Column) and n.table:
            return exp.column(n.this.copy())
        return n

    return node.copy().transform(strip).sql(dialect=dialect)


def _grouped(select) -> bool:  # noqa: ANN001
    """Rows of the block are not the scan's rows: grouped, distinct, aggregated, windowed."""
    from sqlglot import exp

    if select.args.get("group") or select.args.get("distinct") or select.args.get("having"):
        return True
    return any(e.find(exp.AggFunc, exp.Window) is not None for e in select.expressions)


def _conjuncts(node) -> Iterable[object]:  # noqa: ANN001
    if isinstance(node, Node) and node.op == "and":
        for child in node.children:
            yield from _conjuncts(child)
    elif node is not None:
        yield node


def _alias_of(table) -> str:  # noqa: ANN001
    return norm(table.alias_or_name)


def _blocks(statement, schema: Schema) -> Iterable[_Block]:  # noqa: ANN001
    from sqlglot import exp
    from sqlglot.optimizer.scope import Scope, traverse_scope

    def known(table) -> Optional[str]:  # noqa: ANN001
        if not isinstance(table, exp.Table) or not table.name:
            return None
        return norm(table.name) if schema.table(table.name) is not None else None

    for scope in traverse_scope(statement):
        select = scope.expression
        if not isinstance(select, exp.Select):
            continue
        instances: Dict[str, Optional[str]] = {}
        for alias, (node, source) in scope.selected_sources.items():
            instances[norm(alias)] = known(source) if not isinstance(source, Scope) else None
        conditions = []
        using: List[Tuple[str, str]] = []
        where = select.args.get("where")
        if where is not None:
            conditions.append(where.this)
        nullable: Set[str] = set()
        for join in select.args.get("joins") or []:
            side = (join.args.get("side") or "").upper()
            if side in ("LEFT", "FULL") and join.this is not None and join.this.alias_or_name:
                nullable.add(norm(join.this.alias_or_name))
            on = join.args.get("on")
            if on is not None:
                conditions.append(on)
            for ident in join.args.get("using") or []:
                if isinstance(join.this, exp.Table):
                    using.append((_alias_of(join.this), norm(ident.name)))
        limited = select.args.get("limit") is not None or select.args.get("fetch") is not None
        yield _Block(instances, conditions, using, select.args.get("order"), limited, nullable, _grouped(select))

    if isinstance(statement, (exp.Update, exp.Delete)) and isinstance(statement.this, exp.Table):
        instances = {_alias_of(statement.this): known(statement.this)}
        extra = []
        if isinstance(statement, exp.Update):
            frm = statement.args.get("from_") or statement.args.get("from")
            if frm is not None:
                extra = [frm.this] + list(frm.expressions or [])
        else:
            extra = list(statement.args.get("using") or [])
        for t in extra:
            if isinstance(t, exp.Table):
                instances[_alias_of(t)] = known(t)
            elif t is not None and t.alias_or_name:
                instances[norm(t.alias_or_name)] = None
        where = statement.args.get("where")
        conditions = [where.this] if where is not None else []
        yield _Block(instances, conditions, [], None, False)


_PYFORMAT = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|%\(\w+\)s|%s")


def _null_for_placeholder(m: "re.Match") -> str:
    text = m.group(0)
    return text if text[0] in "'\"" else "NULL"


def analyse(sql: str, schema: Schema, dialect: str = "postgres") -> Analysis:
    """Index gaps of every statement in ``sql``. Never raises: unparsable SQL -> ``error``."""
    import sqlglot
    from sqlglot import exp

    logging.getLogger("sqlglot").setLevel(logging.CRITICAL)
    out = Analysis()
    try:
        statements = sqlglot.parse(sql, dialect=dialect)
    except Exception as exc:  # noqa: BLE001 - the SQL is the user's, not ours
        try:
            # DB-API ``%s`` / ``%(name)s`` placeholders that this dialect's parser rejects
            # (MySQL, SQLite): a NULL stands in, outside string literals.
            statements = sqlglot.parse(_PYFORMAT.sub(_null_for_placeholder, sql), dialect=dialect)
        except Exception:  # noqa: BLE001
            out.error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            return out
    analyzer = _Analyzer(schema, dialect)
    for statement in statements:
        if statement is None or isinstance(statement, exp.Command):
            continue
        try:
            for block in _blocks(statement, schema):
                analyzer.block_gaps(block, out)
        except Exception as exc:  # noqa: BLE001 - sqlglot scope building can fail on odd SQL
            out.error = f"{type(exc).__name__}: {exc}"
    return out
