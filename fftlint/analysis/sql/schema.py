"""The schema model: tables, their columns and the indexes that cover them.

Pure Python (no sqlglot): the facts learned from DDL files, migrations and models are
small picklable records (:class:`SchemaFacts`) that :func:`build_schema` merges into one
:class:`Schema`. Names are compared case-insensitively without their schema qualifier
(``public.orders`` is ``orders``), as PostgreSQL folds unquoted identifiers.

Index coverage follows B-tree semantics: an index can drive a lookup on a column only
when that column is its *leading* column (the leftmost-prefix rule); primary keys and
unique constraints are backed by indexes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Tuple


def norm(name: str) -> str:
    """``"Public"."Orders"`` / ``public.orders`` -> ``orders``."""
    return name.strip().strip('"`[]').rsplit(".", 1)[-1].strip('"`[]').lower()


@dataclass(frozen=True)
class Index:
    """An index (or the index behind a PRIMARY KEY / UNIQUE constraint).

    ``columns`` are column names, in order; an expression part is kept as its SQL text
    prefixed with ``"expr:"`` (``expr:lower(email)``) so it never matches a bare column.
    """

    columns: Tuple[str, ...]
    unique: bool = False
    primary: bool = False
    name: Optional[str] = None
    partial: bool = False
    method: Optional[str] = None  # btree (default) | gin | gist | hash | ...

    @property
    def leading(self) -> Optional[str]:
        return self.columns[0] if self.columns else None


@dataclass
class Table:
    name: str
    columns: Dict[str, None] = field(default_factory=dict)  # ordered set
    indexes: List[Index] = field(default_factory=list)
    origin: str = ""

    def add_column(self, column: str) -> None:
        self.columns.setdefault(norm(column), None)

    def add_index(self, index: Index) -> None:
        if index.columns and index not in self.indexes:
            self.indexes.append(index)
            for col in index.columns:
                if not col.startswith("expr:"):
                    self.add_column(col)

    def has_column(self, column: str) -> bool:
        return norm(column) in self.columns

    def leading_indexed(self, column: str) -> bool:
        """True when some index can drive a lookup on ``column`` (it leads the index)."""
        col = norm(column)
        return any(ix.leading == col for ix in self.indexes)

    def non_btree_indexed(self, column: str) -> bool:
        """An index with another access method (a trigram GIN/GiST) covers ``column``."""
        col = norm(column)
        return any(ix.method not in (None, "btree", "hash") and col in ix.columns for ix in self.indexes)

    def expression_indexed(self, sql: str) -> bool:
        key = "expr:" + _squash(sql)
        return any(ix.leading == key for ix in self.indexes)


def _squash(sql: str) -> str:
    return re.sub(r"\s+", "", sql).lower()


def expr_key(sql: str) -> str:
    return "expr:" + _squash(sql)


# --------------------------------------------------------------------------- facts
@dataclass(frozen=True)
class FieldFact:
    """A Django model field: ``name`` in lookups, ``column`` in SQL."""

    name: str
    column: str
    indexed: bool = False  # db_index / unique / FK / primary key
    primary: bool = False
    relation: bool = False  # ForeignKey / OneToOneField (``name_id`` also works)


@dataclass(frozen=True)
class ModelFact:
    """A Django model class (or a ``migrations.CreateModel``)."""

    class_name: str
    app_label: str
    path: str
    fields: Tuple[FieldFact, ...] = ()
    db_table: Optional[str] = None
    indexes: Tuple[Tuple[str, ...], ...] = ()  # field names (or columns), leading first
    bases: Tuple[str, ...] = ()
    abstract: bool = False


@dataclass(frozen=True)
class DjangoOpFact:
    """A Django migration operation on an existing model (AddIndex, AddField, AlterField)."""

    app_label: str
    model: str  # lower-case model name
    kind: str  # add_index | add_field
    index: Tuple[str, ...] = ()
    field: Optional[FieldFact] = None


@dataclass
class SchemaFacts:
    """What one file teaches about the schema. Picklable; merged by :func:`build_schema`."""

    tables: List[Table] = field(default_factory=list)
    indexes: List[Tuple[str, Index]] = field(default_factory=list)  # (table, index)
    columns: List[Tuple[str, str]] = field(default_factory=list)  # (table, column)
    models: List[ModelFact] = field(default_factory=list)
    django_ops: List[DjangoOpFact] = field(default_factory=list)
    dropped: List[str] = field(default_factory=list)  # index names (DROP INDEX, op.drop_index)

    def __bool__(self) -> bool:
        return bool(self.tables or self.indexes or self.columns or self.models or self.django_ops or self.dropped)

    def extend(self, other: "SchemaFacts") -> None:
        self.tables.extend(other.tables)
        self.indexes.extend(other.indexes)
        self.columns.extend(other.columns)
        self.models.extend(other.models)
        self.django_ops.extend(other.django_ops)
        self.dropped.extend(other.dropped)


# --------------------------------------------------------------------------- schema
@dataclass
class ModelInfo:
    """A resolved Django model: its table and lookup-name -> column map."""

    class_name: str
    table: str
    fields: Dict[str, FieldFact]
    pk: str

    def column_for(self, lookup: str) -> Optional[str]:
        """The column a lookup field name refers to (``customer``, ``customer_id``, ``pk``)."""
        if lookup == "pk":
            return self.fields[self.pk].column if self.pk in self.fields else None
        fld = self.fields.get(lookup)
        if fld is not None:
            return fld.column
        for fld in self.fields.values():
            if fld.relation and lookup == fld.column:
                return fld.column
        return None


class Schema:
    def __init__(self) -> None:
        self.tables: Dict[str, Table] = {}
        self.models: Dict[str, ModelInfo] = {}
        self._ambiguous_models: set = set()

    def __bool__(self) -> bool:
        return bool(self.tables)

    def table(self, name: str) -> Optional[Table]:
        return self.tables.get(norm(name))

    def ensure(self, name: str, origin: str = "") -> Table:
        key = norm(name)
        table = self.tables.get(key)
        if table is None:
            table = self.tables[key] = Table(key, origin=origin)
        return table

    def merge_table(self, other: Table) -> None:
        table = self.ensure(other.name, other.origin)
        for col in other.columns:
            table.add_column(col)
        for ix in other.indexes:
            table.add_index(ix)

    def model(self, class_name: str) -> Optional[ModelInfo]:
        if class_name in self._ambiguous_models:
            return None
        return self.models.get(class_name)

    def add_model(self, info: ModelInfo) -> None:
        old = self.models.get(info.class_name)
        if old is not None and old.table != info.table:
            self._ambiguous_models.add(info.class_name)
            return
        if old is not None:
            merged = dict(old.fields)
            for name, fld in info.fields.items():
                prev = merged.get(name)
                merged[name] = fld if prev is None or (fld.indexed and not prev.indexed) else prev
            info = ModelInfo(info.class_name, info.table, merged, old.pk or info.pk)
        self.models[info.class_name] = info


def _django_table(model: ModelFact) -> str:
    return norm(model.db_table) if model.db_table else f"{model.app_label}_{model.class_name.lower()}"


def _resolve_fields(model: ModelFact, by_name: Dict[str, List[ModelFact]], seen: Tuple[str, ...] = ()) -> List[FieldFact]:
    """Own fields plus those inherited from abstract project models (by class name)."""
    fields: List[FieldFact] = []
    for base in model.bases:
        candidates = [m for m in by_name.get(base.rsplit(".", 1)[-1], []) if m.abstract]
        if len(candidates) == 1 and base not in seen:
            fields.extend(_resolve_fields(candidates[0], by_name, seen + (model.class_name,)))
    own = {f.name for f in model.fields}
    return [f for f in fields if f.name not in own] + list(model.fields)


def build_schema(facts: Iterable[SchemaFacts]) -> Schema:
    """Merge facts in order: tables, loose columns and indexes, Django models, migrations."""
    schema = Schema()
    all_facts = list(facts)
    for fact in all_facts:
        for table in fact.tables:
            schema.merge_table(table)
    for fact in all_facts:
        for name, column in fact.columns:
            schema.ensure(name).add_column(column)
        for name, index in fact.indexes:
            schema.ensure(name).add_index(index)
    models = [m for fact in all_facts for m in fact.models]
    by_name: Dict[str, List[ModelFact]] = {}
    for m in models:
        by_name.setdefault(m.class_name, []).append(m)
    by_app_model: Dict[Tuple[str, str], ModelInfo] = {}
    for m in models:
        if m.abstract:
            continue
        fields = _resolve_fields(m, by_name)
        pk = next((f.name for f in fields if f.primary), None)
        if pk is None:
            fields = [FieldFact("id", "id", indexed=True, primary=True)] + fields
            pk = "id"
        table_name = _django_table(m)
        table = schema.ensure(table_name, m.path)
        for fld in fields:
            table.add_column(fld.column)
            if fld.indexed:
                table.add_index(Index((norm(fld.column),), unique=fld.primary, primary=fld.primary))
        info = ModelInfo(m.class_name, table_name, {f.name: f for f in fields}, pk)
        for idx in m.indexes:
            cols = tuple(norm(info.column_for(n) or n) for n in idx)
            table.add_index(Index(cols))
        schema.add_model(info)
        by_app_model[(m.app_label, m.class_name.lower())] = schema.models.get(m.class_name, info)
    for fact in all_facts:
        for op in fact.django_ops:
            info = by_app_model.get((op.app_label, op.model))
            if info is None:
                continue
            table = schema.ensure(info.table)
            if op.kind == "add_index" and op.index:
                table.add_index(Index(tuple(norm(info.column_for(n) or n) for n in op.index)))
            elif op.kind == "add_field" and op.field is not None:
                fld = op.field
                info.fields[fld.name] = fld
                table.add_column(fld.column)
                if fld.indexed:
                    table.add_index(Index((norm(fld.column),), unique=fld.primary, primary=fld.primary))
    dropped = {name for fact in all_facts for name in fact.dropped}
    if dropped:
        for table in schema.tables.values():
            table.indexes = [ix for ix in table.indexes if ix.name is None or ix.name not in dropped]
    return schema


def index_name(table: str, columns: Sequence[str]) -> str:
    return "ix_" + "_".join([norm(table)] + [re.sub(r"\W+", "_", c) for c in columns])[:60]


def create_index_ddl(table: str, columns: Sequence[str]) -> str:
    return f"CREATE INDEX {index_name(table, columns)} ON {norm(table)} ({', '.join(columns)})"
