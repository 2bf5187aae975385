"""Composite coverage: an index reaches a table's rows by a prefix of the query's equality
columns, but no index continues with the column the query then ranges over or sorts by.

:mod:`fftlint.analysis.sql.query` asks :func:`composite_gap` about every table occurrence
that FFT501's model calls covered (some index leads with one of its filter columns) and
that drives its query block (no other table of the block is filtered). The question is
whether the scan can stop early:

* **equality columns** ``E``: ``col = x`` conjuncts (``IN`` lists, ``IS NULL``, flags and
  functions of a column are not: they filter rows inside whatever scan is chosen -- but an
  ``IN`` list or ``IS NULL`` on a column some index leads with is an access path of its
  own, maybe the better one, and the occurrence is not judged);
* the **target** ``T``: the first ``ORDER BY`` key not fixed by ``E`` when the block is
  paginated (``LIMIT`` / ``FETCH``) and its rows come straight from the scan (no
  ``GROUP BY``, ``DISTINCT``, aggregate or window function), else the one range column
  (``<``, ``>=``, ``BETWEEN``) unless it holds few values (a flag, a small integer, a
  choice: such a range selects a large share of the rows anyway). A range on one column
  and a sort on another, or two range columns, have no single right composite: not judged.

An equality with a column of an outer query (a correlated ``EXISTS`` / ``IN``) counts
only in a block with a ``LIMIT`` (a ``LATERAL`` top-N: one probe per outer row);
without one the planner may turn the subquery into a join that reads the whole table,
and the occurrence is not judged.

It is a gap when some plain B-tree index leads with columns of ``E`` (the access path
the planner has: a foreign key index, a single-column index, a shorter composite), no
index of the table is *served* -- columns of ``E`` (at least one) and then ``T`` (for a
range, ``T`` anywhere after them) -- and no unique index is fixed by ``E`` (one row at
most). Partial indexes count as serving (their predicate may match the query) and never
as the known access path; an index of another method (BRIN, GIN, GiST) that mentions
``T`` makes the table unjudgeable. A range column that leads an index of its own is not
reported: the planner can combine the two indexes (a BitmapAnd) or use the narrower; a
sort column that does is (an ordered scan of it tests every row against ``E`` and reads
the whole index when the matches are rare). The suggestion is the existing prefix, then the other
equality columns in the query's order, then ``T``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from fftlint.analysis.sql.schema import Index, Table, create_index_ddl

ORDER, RANGE = "order", "range"
#: Equality columns beyond which a suggested composite is too specific to recommend.
MAX_EQUALITY = 3
_BTREE = (None, "btree")


@dataclass(frozen=True)
class Composite:
    """A table occurrence reached by a prefix index that stops short of ``column``."""

    table: str
    alias: str
    equality: Tuple[str, ...]  # the query's equality columns, in the suggested order
    column: str  # the range or sort column the existing index does not continue with
    role: str  # "order" | "range"
    existing: Index  # the index the planner reaches the rows by
    prefix: Tuple[str, ...]  # the leading columns of ``existing`` the query fixes
    suggestion: Tuple[str, ...]  # equality columns..., then ``column``
    #: An index that leads with the sort ``column``: the planner may read in its order
    #: instead, testing every row against the equalities.
    alternative: Optional[Index] = None

    @property
    def ddl(self) -> str:
        return create_index_ddl(self.table, self.suggestion)


def _run(index: Index, fixed: Sequence[str]) -> int:
    """How many leading columns of ``index`` the equality columns ``fixed`` pin down."""
    n = 0
    for col in index.columns:
        if col not in fixed:
            break
        n += 1
    return n


def _serves(index: Index, fixed: Sequence[str], target: str, role: str) -> bool:
    """Equality columns (at least one), then ``target``: the scan is one ordered range.
    For a range the index also helps when other columns sit between (an index condition
    read without visiting the heap), so any later position counts."""
    run = _run(index, fixed)
    if run == 0 or run >= len(index.columns):
        return False
    if role == ORDER:
        return index.columns[run] == target
    return target in index.columns[run:]


def target_of(conditions: Sequence[Tuple[str, str]], order_keys: Optional[Sequence[Optional[str]]], equality: Sequence[str]) -> Optional[Tuple[str, str]]:
    """``(column, role)`` the scan should continue with, or None when there is none or
    no single right one. ``order_keys`` is None when the sort does not follow the scan;
    a None key is one that is no plain column of this table (it ends the useful part)."""
    ranges = list(dict.fromkeys(c for c, kind in conditions if kind == "range" and c not in equality))
    sort = None
    for key in order_keys or ():
        if key is None:
            break
        if key not in equality:
            sort = key
            break
    if sort is not None:
        if ranges and ranges != [sort]:
            return None
        return sort, ORDER
    if len(ranges) == 1:
        return ranges[0], RANGE
    return None


def composite_gap(
    table: Table, alias: str, conditions: Sequence[Tuple[str, str]], order_keys: Optional[Sequence[Optional[str]]], limited: bool = False
) -> Optional[Composite]:
    """The composite gap of one table occurrence (see the module docstring).

    ``conditions`` are the ``(column, kind)`` conjuncts of this occurrence (kinds ``eq``,
    ``outer`` -- an equality with a column of an outer query --, ``in``, ``null``,
    ``range``), only columns the table has; ``limited``: the block has a LIMIT."""
    if not limited and any(kind == "outer" for _, kind in conditions):
        return None  # a correlated EXISTS / IN may become a join over the whole table
    equality = list(dict.fromkeys(c for c, kind in conditions if kind in ("eq", "outer")))
    if not equality or len(equality) > MAX_EQUALITY:
        return None
    found = target_of(conditions, order_keys, equality)
    if found is None:
        return None
    target, role = found
    if role == RANGE and target in table.few_values:
        return None  # a range over a flag or a small integer selects a large share anyway
    if any(ix.unique and ix.columns and set(ix.columns) <= set(equality) for ix in table.indexes):
        return None  # one row at most
    if any(kind in ("in", "null") and table.leading_indexed(c) for c, kind in conditions):
        return None  # ``id IN (...)``: another access path, maybe the better one
    for ix in table.indexes:
        if ix.method not in _BTREE:
            if target in ix.columns:
                return None  # BRIN / GIN / GiST on the column: cannot judge
            continue
        if _serves(ix, equality, target, role):
            return None
    best: Optional[Index] = None
    best_run = 0
    for ix in table.indexes:
        if ix.partial or ix.method not in (None, "btree", "hash"):
            continue
        run = _run(ix, equality)
        if run > best_run or (run == best_run and best is not None and len(ix.columns) < len(best.columns)):
            best, best_run = ix, run
    if best is None or best_run == 0:
        return None
    alternative = next((ix for ix in table.indexes if ix.leading == target and not ix.partial and ix.method in _BTREE), None)
    if role == RANGE and alternative is not None:
        return None  # both have an index: the planner combines them (BitmapAnd) or picks the narrower
    prefix = tuple(best.columns[:best_run])
    ordered = prefix + tuple(c for c in equality if c not in prefix)
    return Composite(table.name, alias, ordered, target, role, best, prefix, ordered + (target,), alternative)


def occurrence_conditions(members: Sequence[object], alias: str, table: Table, atom_type: type) -> Optional[List[Tuple[str, str]]]:
    """The ``(column, kind)`` conjuncts of ``alias`` among a block's AND-ed ``members``
    (atoms and OR trees); None when an OR tree mentions ``alias`` (no plain prefix)."""
    out: List[Tuple[str, str]] = []
    for member in members:
        if isinstance(member, atom_type):
            if member.inst == alias and table.has_column(member.column):  # type: ignore[attr-defined]
                outer = member.kind == "eq" and member.outer  # type: ignore[attr-defined]
                out.append((member.column, "outer" if outer else member.kind))  # type: ignore[attr-defined]
        elif _mentions(member, alias, atom_type):
            return None
    return out


def _mentions(node: object, alias: str, atom_type: type) -> bool:
    if isinstance(node, atom_type):
        return node.inst == alias  # type: ignore[attr-defined]
    return any(_mentions(child, alias, atom_type) for child in getattr(node, "children", ()))
