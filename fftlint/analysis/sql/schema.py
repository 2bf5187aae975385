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
from dataclasses import dataclass, field, replace
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple


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
    #: Its indexes cannot all be known (Django ``managed = False``, a ``Meta.indexes`` that is
    #: not a literal list, ``__table_args__`` computed at run time): never judged.
    opaque: bool = False
    #: Columns that hold a handful of values (flags, small integers, choices, enums): a
    #: range over one selects a large share of the rows.
    few_values: Set[str] = field(default_factory=set)

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
    target: Optional[str] = None  # related model as written: "Brand", "shop.Brand", "self"
    related_name: Optional[str] = None  # the reverse lookup name (related_query_name wins)
    m2m: bool = False  # ManyToManyField: a join table, no column here
    choices: bool = False  # declares ``choices=``: a handful of values (a status, a type)
    unique: bool = False  # primary key, ``unique=True``, ``OneToOneField``
    few_values: bool = False  # a flag, a small integer, ``choices=``


@dataclass(frozen=True)
class ModelFact:
    """A Django model class (or a ``migrations.CreateModel``)."""

    class_name: str
    app_label: str
    path: str
    fields: Tuple[FieldFact, ...] = ()
    db_table: Optional[str] = None
    indexes: Tuple[Index, ...] = ()  # columns are field names (or columns), leading first
    bases: Tuple[str, ...] = ()
    abstract: bool = False
    opaque: bool = False  # unmanaged, or indexes that cannot be read statically
    meta_bases: Tuple[str, ...] = ()  # ``class Meta(Base.Meta)``: dotted names


@dataclass(frozen=True)
class DjangoOpFact:
    """A Django migration operation on an existing model (AddIndex, AddField, AlterField)."""

    app_label: str
    model: str  # lower-case model name
    kind: str  # add_index | add_field | opaque
    index: Optional[Index] = None  # columns are field names
    field: Optional[FieldFact] = None


@dataclass(frozen=True)
class SaModelFact:
    """A SQLAlchemy declarative class: a mapped model (``__tablename__``), a mixin or
    abstract base holding columns, or a single-table subclass (no ``__tablename__``)."""

    class_name: str
    path: str
    table: Optional[str] = None
    columns: Tuple[Tuple[str, str], ...] = ()  # (attribute, column)
    indexes: Tuple[Index, ...] = ()  # from the column definitions (index=True, unique=True)
    foreign_keys: Tuple[Tuple[str, str], ...] = ()  # (column, referenced table)
    relationships: Tuple[Tuple[str, Optional[str]], ...] = ()  # (attribute, target class or None)
    bases: Tuple[str, ...] = ()
    few_values: Tuple[str, ...] = ()  # columns typed Boolean / SmallInteger / Enum


@dataclass
class SaModelInfo:
    """A resolved SQLAlchemy model: attribute -> column of its table, its relationships
    (attribute -> target class) and foreign keys (column -> referenced table)."""

    class_name: str
    table: str
    columns: Dict[str, str]
    relationships: Dict[str, Optional[str]]
    foreign_keys: Dict[str, str]


@dataclass
class SchemaFacts:
    """What one file teaches about the schema. Picklable; merged by :func:`build_schema`."""

    tables: List[Table] = field(default_factory=list)
    indexes: List[Tuple[str, Index]] = field(default_factory=list)  # (table, index)
    columns: List[Tuple[str, str]] = field(default_factory=list)  # (table, column)
    models: List[ModelFact] = field(default_factory=list)
    django_ops: List[DjangoOpFact] = field(default_factory=list)
    dropped: List[str] = field(default_factory=list)  # index names (DROP INDEX, op.drop_index)
    sa_models: List[SaModelFact] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.tables or self.indexes or self.columns or self.models or self.django_ops or self.dropped or self.sa_models)

    def extend(self, other: "SchemaFacts") -> None:
        self.tables.extend(other.tables)
        self.indexes.extend(other.indexes)
        self.columns.extend(other.columns)
        self.models.extend(other.models)
        self.django_ops.extend(other.django_ops)
        self.dropped.extend(other.dropped)
        self.sa_models.extend(other.sa_models)


# --------------------------------------------------------------------------- schema
@dataclass
class ModelInfo:
    """A resolved Django model: its table and lookup-name -> column map."""

    class_name: str
    table: str
    fields: Dict[str, FieldFact]
    pk: str
    app_label: str = ""

    def column_for(self, lookup: str) -> Optional[str]:
        """The column a lookup field name refers to (``customer``, ``customer_id``, ``pk``)."""
        if lookup == "pk":
            return self.fields[self.pk].column if self.pk in self.fields else None
        fld = self.fields.get(lookup)
        if fld is not None:
            return None if fld.m2m else fld.column
        for fld in self.fields.values():
            if fld.relation and lookup == fld.column:
                return fld.column
        return None


class Schema:
    def __init__(self) -> None:
        self.tables: Dict[str, Table] = {}
        self.models: Dict[str, ModelInfo] = {}
        self._ambiguous_models: set = set()
        #: (target class, reverse lookup name) -> (source model, its relation field)
        self._reverse: Optional[Dict[Tuple[str, str], Optional[Tuple[ModelInfo, FieldFact]]]] = None
        self.sa_models: Dict[str, SaModelInfo] = {}
        self._ambiguous_sa: set = set()

    def sa_model(self, class_name: str) -> Optional[SaModelInfo]:
        """A SQLAlchemy model by class name (None when unknown or defined twice)."""
        return None if class_name in self._ambiguous_sa else self.sa_models.get(class_name)

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
        table.opaque = table.opaque or other.opaque
        table.few_values.update(other.few_values)

    def model(self, class_name: str) -> Optional[ModelInfo]:
        if class_name in self._ambiguous_models:
            return None
        return self.models.get(class_name)

    def related_model(self, info: ModelInfo, fld: FieldFact) -> Optional[ModelInfo]:
        """The model a relation field points to; None when it is not a project model we
        can name unambiguously (``settings.AUTH_USER_MODEL``, a third-party model)."""
        target = fld.target
        if not target:
            return None
        if target == "self":
            return self.model(info.class_name)
        found = self.model(target.rsplit(".", 1)[-1])
        if found is not None and "." in target and found.app_label and target.split(".", 1)[0] != found.app_label:
            return None  # "otherapp.Name" is not the project's Name
        return found

    def reverse(self, info: ModelInfo, name: str) -> Optional[Tuple[ModelInfo, FieldFact]]:
        """The relation that another model holds to ``info`` under the reverse lookup
        ``name`` (``brand.items`` / ``Brand.objects.filter(items__sku=...)``)."""
        if self._reverse is None:
            self._reverse = self._index_reverse()
        return self._reverse.get((info.class_name, name))

    def _index_reverse(self) -> Dict[Tuple[str, str], Optional[Tuple[ModelInfo, FieldFact]]]:
        out: Dict[Tuple[str, str], Optional[Tuple[ModelInfo, FieldFact]]] = {}
        for source in self.models.values():
            for fld in source.fields.values():
                if not (fld.relation or fld.m2m):
                    continue
                target = self.related_model(source, fld)
                if target is None:
                    continue
                name = fld.related_name or source.class_name.lower()
                if name.endswith("+"):
                    continue  # no reverse relation
                key = (target.class_name, name)
                out[key] = None if key in out else (source, fld)  # two claims: ambiguous
        return out

    def add_model(self, info: ModelInfo) -> None:
        self._reverse = None
        old = self.models.get(info.class_name)
        if old is not None and old.table != info.table:
            self._ambiguous_models.add(info.class_name)
            return
        if old is not None:
            merged = dict(old.fields)
            for name, fld in info.fields.items():
                prev = merged.get(name)
                merged[name] = fld if prev is None or (fld.indexed and not prev.indexed) else prev
            info = ModelInfo(info.class_name, info.table, merged, old.pk or info.pk, old.app_label or info.app_label)
        self.models[info.class_name] = info


def _django_table(model: ModelFact) -> str:
    return norm(model.db_table) if model.db_table else f"{model.app_label}_{model.class_name.lower()}"


def _abstract(name: str, by_name: Dict[str, List[ModelFact]]) -> Optional[ModelFact]:
    candidates = [m for m in by_name.get(name.rsplit(".", 1)[-1], []) if m.abstract]
    return candidates[0] if len(candidates) == 1 else None


def _resolve_fields(model: ModelFact, by_name: Dict[str, List[ModelFact]], seen: Tuple[str, ...] = ()) -> List[FieldFact]:
    """Own fields plus those inherited from abstract project models (by class name)."""
    fields: List[FieldFact] = []
    for base in model.bases:
        parent = _abstract(base, by_name)
        if parent is not None and base not in seen:
            fields.extend(_resolve_fields(parent, by_name, seen + (model.class_name,)))
    own = {f.name for f in model.fields}
    return [f for f in fields if f.name not in own] + list(model.fields)


def _resolve_indexes(model: ModelFact, by_name: Dict[str, List[ModelFact]], seen: Tuple[str, ...] = ()) -> Tuple[List[Index], bool]:
    """Own indexes plus those of abstract project bases (Django copies an abstract
    parent's ``Meta`` when the child declares none or subclasses it; counting them
    either way errs towards silence), their columns still field names, and whether some
    of them cannot be known: an opaque model or base, or a ``Meta`` subclassing a class
    that is not a project model's ``Meta``."""
    indexes = list(model.indexes)
    opaque = model.opaque
    for meta_base in model.meta_bases:
        owner = meta_base[: -len(".Meta")] if meta_base.endswith(".Meta") else None
        if owner is None or _abstract(owner, by_name) is None:
            opaque = True
    for base in model.bases:
        parent = _abstract(base, by_name)
        if parent is not None and base not in seen:
            more, dark = _resolve_indexes(parent, by_name, seen + (model.class_name,))
            indexes.extend(more)
            opaque = opaque or dark
    return indexes, opaque


def _on_columns(index: Index, info: ModelInfo) -> Index:
    """A Django index named by field names, on the model's columns."""
    return replace(index, columns=tuple(norm(info.column_for(n) or n) for n in index.columns))


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
        indexes, opaque = _resolve_indexes(m, by_name)
        pk = next((f.name for f in fields if f.primary), None)
        if pk is None:
            fields = [FieldFact("id", "id", indexed=True, primary=True)] + fields
            pk = "id"
        table_name = _django_table(m)
        table = schema.ensure(table_name, m.path)
        table.opaque = table.opaque or opaque
        for fld in fields:
            if fld.m2m:
                continue
            table.add_column(fld.column)
            if fld.few_values:
                table.few_values.add(norm(fld.column))
            if fld.indexed:
                table.add_index(Index((norm(fld.column),), unique=fld.primary or fld.unique, primary=fld.primary))
        info = ModelInfo(m.class_name, table_name, {f.name: f for f in fields}, pk, m.app_label)
        for idx in indexes:
            table.add_index(_on_columns(idx, info))
        schema.add_model(info)
        by_app_model[(m.app_label, m.class_name.lower())] = schema.models.get(m.class_name, info)
    for fact in all_facts:
        for op in fact.django_ops:
            info = by_app_model.get((op.app_label, op.model))
            if info is None:
                continue
            table = schema.ensure(info.table)
            if op.kind == "opaque":
                table.opaque = True
            elif op.kind == "add_index" and op.index is not None:
                table.add_index(_on_columns(op.index, info))
            elif op.kind == "add_field" and op.field is not None:
                fld = op.field
                info.fields[fld.name] = fld
                if fld.m2m:
                    continue
                table.add_column(fld.column)
                if fld.few_values:
                    table.few_values.add(norm(fld.column))
                if fld.indexed:
                    table.add_index(Index((norm(fld.column),), unique=fld.primary or fld.unique, primary=fld.primary))
    _build_sa_models(schema, [m for fact in all_facts for m in fact.sa_models])
    dropped = {name for fact in all_facts for name in fact.dropped}
    if dropped:
        for table in schema.tables.values():
            table.indexes = [ix for ix in table.indexes if ix.name is None or ix.name not in dropped]
    return schema


#: PostgreSQL's reserved key words (including those that can only be function or type
#: names): as a column or table name they must be double-quoted.
PG_RESERVED = frozenset(
    """all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate
    collation column concurrently constraint create cross current_catalog current_date current_role
    current_schema current_time current_timestamp current_user default deferrable desc distinct do else end
    except false fetch for foreign freeze from full grant group having ilike in initially inner intersect into
    is isnull join lateral leading left like limit localtime localtimestamp natural not notnull null offset on
    only or order outer overlaps placing primary references returning right select session_user similar some
    symmetric system_user table tablesample then to trailing true union unique user using variadic verbose
    when where window with""".split()
)
_PLAIN_IDENT = re.compile(r"^[a-z_][a-z0-9_$]*$")


def quote_ident(name: str) -> str:
    """``status`` stays bare; ``order``, ``user`` and ``Created At`` are double-quoted."""
    if _PLAIN_IDENT.match(name) and name not in PG_RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def _build_sa_models(schema: Schema, facts: List[SaModelFact]) -> None:
    """Mixins and abstract bases lend their columns (and the indexes those declare) to
    every mapped subclass; a subclass without ``__tablename__`` maps its parent's table
    (single-table inheritance). Columns of a joined-inheritance parent live in the
    parent's table and are not attributed to the child."""
    by_name: Dict[str, List[SaModelFact]] = {}
    for m in facts:
        by_name.setdefault(m.class_name, []).append(m)

    def unique(name: str) -> Optional[SaModelFact]:
        found = by_name.get(name.rsplit(".", 1)[-1], [])
        return found[0] if len(found) == 1 else None

    def table_of(m: SaModelFact, seen: Tuple[str, ...] = ()) -> Optional[str]:
        if m.table:
            return m.table
        for base in m.bases:
            parent = unique(base)
            if parent is not None and parent.class_name not in seen:
                found = table_of(parent, seen + (m.class_name,))
                if found:
                    return found
        return None

    def inherited(m: SaModelFact, seen: Tuple[str, ...] = ()) -> List[SaModelFact]:
        out = []
        for base in m.bases:
            parent = unique(base)
            if parent is None or parent.class_name in seen or parent.table:
                continue  # unknown, or a mapped parent: its columns are its table's
            out.extend(inherited(parent, seen + (m.class_name,)))
            out.append(parent)
        return out

    for name, group in by_name.items():
        if len(group) > 1:
            schema._ambiguous_sa.add(name)
            continue
        m = group[0]
        table_name = table_of(m)
        if not table_name:
            continue
        parts = inherited(m) + [m]
        if not m.table:  # single-table inheritance: the parent's own columns too
            parent = next((unique(b) for b in m.bases if unique(b) is not None and table_of(unique(b)) == table_name), None)  # type: ignore[arg-type]
            if parent is not None:
                parts = inherited(parent) + [parent] + parts
        columns: Dict[str, str] = {}
        relationships: Dict[str, Optional[str]] = {}
        fks: Dict[str, str] = {}
        table = schema.ensure(table_name, m.path)
        for part in parts:
            columns.update(part.columns)
            relationships.update(part.relationships)
            fks.update(part.foreign_keys)
            for col in dict(part.columns).values():
                table.add_column(col)
            table.few_values.update(part.few_values)
            for ix in part.indexes:
                table.add_index(ix)
        schema.sa_models[m.class_name] = SaModelInfo(m.class_name, norm(table_name), columns, relationships, fks)
    for info in schema.sa_models.values():  # ForeignKey(Customer.id): the class's table
        for col, ref in list(info.foreign_keys.items()):
            if ref.startswith("@"):
                target = schema.sa_model(ref[1:])
                if target is not None:
                    info.foreign_keys[col] = target.table
                else:
                    del info.foreign_keys[col]


def index_name(table: str, columns: Sequence[str]) -> str:
    return "ix_" + "_".join([norm(table)] + [re.sub(r"\W+", "_", c).strip("_") for c in columns])[:60]


def create_index_ddl(table: str, columns: Sequence[str]) -> str:
    """``CREATE INDEX ix_<table>_<cols> ON <table> (<cols>)``, identifiers quoted as needed."""
    cols = ", ".join(quote_ident(c) for c in dict.fromkeys(columns))
    return f"CREATE INDEX {index_name(table, list(dict.fromkeys(columns)))} ON {quote_ident(norm(table))} ({cols})"
