"""Learn the schema from Python sources with the stdlib ``ast`` (the project is never imported).

* Django models: fields (``db_index=True``, ``unique=True``, ``primary_key=True``,
  ``ForeignKey`` / ``OneToOneField`` which Django indexes by default, ``db_column``),
  ``Meta.db_table``, ``Meta.indexes = [models.Index(fields=[...])]``,
  ``Meta.unique_together``, ``Meta.index_together``, ``Meta.constraints`` with
  ``UniqueConstraint(fields=[...])``, abstract bases defined in the project.
* Django migrations: ``CreateModel`` (fields and ``options``), ``AddIndex``, ``AddField``,
  ``AlterField``.
* Alembic migrations: ``op.create_table`` (``sa.Column(..., primary_key/index/unique)``,
  ``PrimaryKeyConstraint``, ``UniqueConstraint``, ``Index``), ``op.create_index``,
  ``op.add_column``, ``op.create_unique_constraint``, ``op.create_primary_key``.
* SQLAlchemy: declarative classes with ``__tablename__`` (``Column`` / ``mapped_column``
  with ``primary_key`` / ``index`` / ``unique``, ``__table_args__``), ``Table(...)``
  objects, and module-level ``Index("name", Model.col, ...)``.

:func:`summarize` is cheap to call on any file: a byte-level pre-check returns empty facts
for files that mention none of these APIs.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from fftlint.analysis.names import ast_dotted
from fftlint.analysis.sql.schema import (
    DjangoOpFact,
    FieldFact,
    Index,
    ModelFact,
    SaModelFact,
    SchemaFacts,
    Table,
    norm,
)

#: Any of these in a file's text means it may define schema.
MARKERS = ("models.", "Model", "migrations", "op.create_", "op.add_column", "op.drop_index", "Column(", "mapped_column", "Table(", "Index(")

#: Identifiers without one of which :func:`summarize_tree` learns nothing: a Django model
#: base (``Model`` / ``models.Model``, which abstract chains also start from), the
#: migration operations it reads, ``__tablename__``, ``Table`` and the Alembic operations.
TEACHING_WORDS = (
    "Model", "CreateModel", "AddIndex", "AddConstraint", "AddField", "AlterField", "__tablename__", "Table",
    "create_table", "create_index", "add_column", "create_unique_constraint", "create_primary_key", "drop_index",
    "AlterUniqueTogether", "AlterIndexTogether", "AlterModelOptions",
)  # fmt: skip


def has_word(text: str, words: Sequence[str]) -> bool:
    """One of ``words`` occurs delimited by non-word characters (``re``'s ``\\b``: a word
    character is alphanumeric or ``_``). ``str.find`` is ~5x faster than a regex
    alternation here, and most occurrences are whole words or absent."""
    n = len(text)
    for word in words:
        start = text.find(word)
        while start >= 0:
            end = start + len(word)
            before = text[start - 1] if start else " "
            after = text[end] if end < n else " "
            if not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_"):
                return True
            start = text.find(word, start + 1)
    return False


RELATION_FIELDS = {"ForeignKey", "OneToOneField", "ParentalKey"}
#: Django fields and SQLAlchemy types that hold a handful of values.
FEW_VALUE_FIELDS = {"BooleanField", "NullBooleanField", "SmallIntegerField", "PositiveSmallIntegerField"}
FEW_VALUE_TYPES = {"Boolean", "BOOLEAN", "SmallInteger", "SMALLINT", "Enum", "ENUM"}
NON_COLUMN_FIELDS = {"GenericRelation", "GenericForeignKey", "ManyToManyRel"}


def _is_relation(kind: str) -> bool:
    """``ForeignKey`` and its subclasses by name (``TreeForeignKey``, ``ParentalKey``)."""
    return kind in RELATION_FIELDS or kind.endswith(("ForeignKey", "OneToOneField"))


def _indexed_by_default(kind: str) -> bool:
    """Django field classes whose ``db_index`` defaults to True: ``SlugField`` and its
    subclasses by name (django-extensions' ``AutoSlugField``)."""
    return kind.endswith("SlugField")


def _target(call: ast.Call) -> Optional[str]:
    """The related model of a relation field as written: ``Brand``, ``"shop.Brand"``,
    ``"self"``; None for anything else (``settings.AUTH_USER_MODEL``, a call)."""
    node = call.args[0] if call.args else _kw(call, "to")
    text = _const_str(node)
    if text is not None:
        return text
    if isinstance(node, ast.Name):
        return node.id
    return None


def _tail(node: ast.AST) -> Optional[str]:
    """``models.ForeignKey`` -> ``ForeignKey``; ``Index`` -> ``Index``."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def _const_str(node: Optional[ast.AST]) -> Optional[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Call) and _tail(node.func) == "f" and node.args:  # alembic op.f("ix")
        return _const_str(node.args[0])
    return None


def _kw(call: ast.Call, name: str) -> Optional[ast.AST]:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def _true(node: Optional[ast.AST]) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _strings(node: Optional[ast.AST]) -> Optional[Tuple[str, ...]]:
    """A list/tuple of string constants (``["a", "-b"]``), leading ``-`` stripped."""
    if not isinstance(node, (ast.List, ast.Tuple)):
        return None
    out = []
    for elt in node.elts:
        s = _const_str(elt)
        if s is None:
            return None
        out.append(s.lstrip("-+"))
    return tuple(out)


def _string_groups(node: Optional[ast.AST]) -> Optional[List[Tuple[str, ...]]]:
    """``unique_together = ("a", "b")`` or ``[("a", "b"), ("c",)]`` (or a set of
    tuples, as migrations write it); None when it is not such a literal."""
    flat = _strings(node)
    if flat is not None:
        return [flat] if flat else []
    if not isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return None
    out = []
    for elt in node.elts:
        group = _strings(elt)
        if group is None:
            return None
        if group:
            out.append(group)
    return out


def _index_list(node: ast.AST, key: str) -> Optional[List[Index]]:
    """``Meta.indexes`` / ``Meta.constraints``: their indexes and unique constraints, with
    field names as columns; None when the list is not a literal we can read whole (a
    name, a concatenation, a starred part), so that the model's indexes are unknown."""
    if not isinstance(node, (ast.List, ast.Tuple)):
        return None
    out: List[Index] = []
    for elt in node.elts:
        if not isinstance(elt, ast.Call):
            return None
        if key == "constraints" and _tail(elt.func) != "UniqueConstraint":
            continue  # CheckConstraint, ExclusionConstraint: no B-tree to use
        found = _django_index(elt)
        if found is not None:
            out.append(found)
    return out


def _django_index(call: ast.AST) -> Optional[Index]:
    """``models.Index(fields=[...], name=..., condition=...)`` / ``UniqueConstraint(...)``
    -> an Index whose columns are the field names (None without a literal field list)."""
    fields = _index_fields(call)
    if not fields or not isinstance(call, ast.Call):
        return None
    name = _const_str(_kw(call, "name"))
    return Index(fields, unique=_tail(call.func) == "UniqueConstraint", name=norm(name) if name else None, partial=_kw(call, "condition") is not None)


def app_label_for(path: str) -> str:
    """``shop/models.py`` -> ``shop``; ``shop/models/order.py`` and
    ``shop/migrations/0001_x.py`` -> ``shop``."""
    parts = os.path.normpath(os.path.abspath(path)).split(os.sep)
    parts = parts[:-1]
    while parts and parts[-1] in ("models", "migrations"):
        parts = parts[:-1]
    # an app label is a Python identifier (the app package's name); a folder such as
    # ``my-service`` can only hold loose example files, so keep its label usable in SQL
    return re.sub(r"\W", "_", parts[-1]) if parts else ""


# --------------------------------------------------------------------------- Django
def _django_field(name: str, call: ast.Call) -> Optional[FieldFact]:
    kind = _tail(call.func)
    if kind is None or not kind.endswith(("Field", "Key")) or kind in NON_COLUMN_FIELDS:
        return None
    related_name = _const_str(_kw(call, "related_query_name")) or _const_str(_kw(call, "related_name"))
    if kind.endswith("ManyToManyField"):
        # an explicit through= model joins through its own foreign keys: not followed
        target = None if _kw(call, "through") is not None else _target(call)
        return FieldFact(name, "", target=target, related_name=related_name, m2m=True)
    relation = _is_relation(kind)
    primary = _true(_kw(call, "primary_key"))
    db_index = _kw(call, "db_index")
    no_index = isinstance(db_index, ast.Constant) and db_index.value is False
    indexed = primary or _true(_kw(call, "unique")) or _true(db_index)
    if (relation or _indexed_by_default(kind)) and not no_index:
        indexed = True
    if kind.endswith("OneToOneField"):
        indexed = True  # OneToOne is unique
    column = _const_str(_kw(call, "db_column")) or (name + "_id" if relation else name)
    target = _target(call) if relation else None
    choices = _kw(call, "choices") is not None
    unique = primary or _true(_kw(call, "unique")) or kind.endswith("OneToOneField")
    few = choices or kind in FEW_VALUE_FIELDS
    return FieldFact(
        name, norm(column), indexed, primary, relation, target, related_name if relation else None, choices=choices, unique=unique, few_values=few
    )


def _index_fields(call: ast.AST) -> Optional[Tuple[str, ...]]:
    """``models.Index(fields=[...])`` / ``UniqueConstraint(fields=[...])`` -> field names."""
    if not isinstance(call, ast.Call):
        return None
    fields = _strings(_kw(call, "fields"))
    return fields or None


@dataclass
class _Meta:
    db_table: Optional[str] = None
    abstract: bool = False
    opaque: bool = False
    indexes: List[Index] = field(default_factory=list)  # columns are field names


def _meta_option(meta: _Meta, key: str, value: ast.AST) -> None:
    """One ``Meta`` option (a class attribute or a ``CreateModel(options={...})`` entry)."""
    if key == "db_table":
        meta.db_table = _const_str(value)
    elif key == "abstract":
        meta.abstract = _true(value)
    elif key == "managed":
        # ``managed = False``: a view or a table another system owns, indexes unknown
        meta.opaque = meta.opaque or not _true(value)
    elif key in ("unique_together", "index_together"):
        groups = _string_groups(value)
        if groups is None:
            meta.opaque = True
        else:
            meta.indexes.extend(Index(group, unique=key == "unique_together") for group in groups)
    elif key in ("indexes", "constraints"):
        found = _index_list(value, key)
        if found is None:
            meta.opaque = True
        else:
            meta.indexes.extend(found)


def _meta_indexes(meta: ast.ClassDef) -> _Meta:
    out = _Meta()
    for stmt in meta.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            _meta_option(out, stmt.targets[0].id, stmt.value)
        elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)) and isinstance(stmt.target, ast.Name):
            if stmt.target.id in ("indexes", "constraints", "unique_together", "index_together", "managed"):
                out.opaque = True
    return out


def _looks_like_django_model(node: ast.ClassDef, known_models: Sequence[str]) -> bool:
    for base in node.bases:
        dotted = ast_dotted(base) or ""
        if dotted.endswith("models.Model") or dotted == "Model" or dotted.rsplit(".", 1)[-1] in known_models:
            return True
    return False


def _django_model(node: ast.ClassDef, path: str) -> Optional[ModelFact]:
    fields: List[FieldFact] = []
    meta = _Meta()
    meta_bases: Tuple[str, ...] = ()
    for stmt in node.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            target, value = stmt.targets[0].id, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            target, value = stmt.target.id, stmt.value
        elif isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
            meta = _meta_indexes(stmt)
            meta_bases = tuple(ast_dotted(b) or "?" for b in stmt.bases)
            continue
        else:
            continue
        if isinstance(value, ast.Call):
            fld = _django_field(target, value)
            if fld is not None:
                fields.append(fld)
    bases = tuple(ast_dotted(b) or "" for b in node.bases)
    return ModelFact(
        node.name, app_label_for(path), path, tuple(fields), meta.db_table, tuple(meta.indexes), bases, meta.abstract, meta.opaque, meta_bases
    )


def _migration_ops(call: ast.Call, path: str, facts: SchemaFacts) -> None:
    op = _tail(call.func)
    app = app_label_for(path)
    if op == "CreateModel":
        name = _const_str(_kw(call, "name") or (call.args[0] if call.args else None))
        field_list = _kw(call, "fields") or (call.args[1] if len(call.args) > 1 else None)
        if not name or not isinstance(field_list, (ast.List, ast.Tuple)):
            return
        fields = []
        for elt in field_list.elts:
            if isinstance(elt, ast.Tuple) and len(elt.elts) == 2 and isinstance(elt.elts[1], ast.Call):
                fname = _const_str(elt.elts[0])
                fld = _django_field(fname, elt.elts[1]) if fname else None
                if fld is not None:
                    fields.append(fld)
        meta = _Meta()
        options = _kw(call, "options")
        if isinstance(options, ast.Dict):
            for key, value in zip(options.keys, options.values):
                k = _const_str(key)
                if k is not None:
                    _meta_option(meta, k, value)
        elif options is not None:
            meta.opaque = True
        facts.models.append(ModelFact(name, app, path, tuple(fields), meta.db_table, tuple(meta.indexes), opaque=meta.opaque))
    elif op in ("AddIndex", "AddConstraint"):
        model = _const_str(_kw(call, "model_name") or (call.args[0] if call.args else None))
        index = _kw(call, "index") or _kw(call, "constraint") or (call.args[1] if len(call.args) > 1 else None)
        found = _django_index(index) if index is not None else None
        if model and found is not None:
            facts.django_ops.append(DjangoOpFact(app, model.lower(), "add_index", index=found))
    elif op in ("AlterUniqueTogether", "AlterIndexTogether"):
        model = _const_str(_kw(call, "name") or (call.args[0] if call.args else None))
        value = _kw(call, "unique_together" if op == "AlterUniqueTogether" else "index_together") or (call.args[1] if len(call.args) > 1 else None)
        groups = _string_groups(value) if value is not None else None
        if model and groups:
            for group in groups:
                facts.django_ops.append(DjangoOpFact(app, model.lower(), "add_index", index=Index(group, unique=op == "AlterUniqueTogether")))
    elif op == "AlterModelOptions":
        model = _const_str(_kw(call, "name") or (call.args[0] if call.args else None))
        options = _kw(call, "options") or (call.args[1] if len(call.args) > 1 else None)
        if model and isinstance(options, ast.Dict):
            for key, value in zip(options.keys, options.values):
                if _const_str(key) == "managed" and not _true(value):
                    facts.django_ops.append(DjangoOpFact(app, model.lower(), "opaque"))
    elif op in ("AddField", "AlterField"):
        model = _const_str(_kw(call, "model_name") or (call.args[0] if call.args else None))
        fname = _const_str(_kw(call, "name") or (call.args[1] if len(call.args) > 1 else None))
        fcall = _kw(call, "field") or (call.args[2] if len(call.args) > 2 else None)
        if model and fname and isinstance(fcall, ast.Call):
            fld = _django_field(fname, fcall)
            if fld is not None:
                facts.django_ops.append(DjangoOpFact(app, model.lower(), "add_field", field=fld))


# --------------------------------------------------------------------------- SQLAlchemy / Alembic
COLUMN_CALLS = {"Column", "mapped_column"}


def _sa_column(call: ast.Call, attr: Optional[str] = None) -> Optional[Tuple[str, List[Index]]]:
    """``Column("name", Integer, index=True)`` -> (column, indexes on it)."""
    if _tail(call.func) not in COLUMN_CALLS:
        return None
    name = _const_str(call.args[0]) if call.args else None
    name = _const_str(_kw(call, "name")) or name or attr
    if not name:
        return None
    col = norm(name)
    indexes = []
    if _true(_kw(call, "primary_key")):
        indexes.append(Index((col,), unique=True, primary=True))
    elif _true(_kw(call, "unique")):
        indexes.append(Index((col,), unique=True))
    elif _true(_kw(call, "index")):
        indexes.append(Index((col,)))
    return col, indexes


def _sa_few_values(call: ast.Call, annotation: Optional[ast.AST] = None) -> bool:
    """A column typed ``Boolean`` / ``SmallInteger`` / ``Enum`` (or ``Mapped[bool]``)."""
    for arg in list(call.args) + [kw.value for kw in call.keywords if kw.arg == "type_"]:
        if _tail(arg.func if isinstance(arg, ast.Call) else arg) in FEW_VALUE_TYPES:
            return True
    while isinstance(annotation, ast.Subscript):
        annotation = annotation.slice
    return isinstance(annotation, ast.Name) and annotation.id == "bool"


def _sa_constraint(call: ast.Call, attrs: Dict[str, str], skip_name: bool) -> Optional[Index]:
    """``Index("ix", "a", "b")``, ``UniqueConstraint("a")``, ``PrimaryKeyConstraint("id")``."""
    kind = _tail(call.func)
    if kind not in ("Index", "UniqueConstraint", "PrimaryKeyConstraint"):
        return None
    args = list(call.args)
    name = None
    if kind == "Index" and skip_name and args:
        name = _const_str(args[0])
        args = args[1:]
    cols = []
    for arg in args:
        while isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) and arg.func.attr in ("desc", "asc") and not arg.args:
            arg = arg.func.value  # Model.col.desc(): the column, in either direction
        s = _const_str(arg)
        if s is None and isinstance(arg, ast.Name):
            s = attrs.get(arg.id)
        if s is None and isinstance(arg, ast.Attribute):
            s = attrs.get(arg.attr, arg.attr)
        if s is None:
            break  # an expression part: the rest is not a plain column prefix
        cols.append(norm(s))
    if not cols:
        return None
    return Index(
        tuple(cols),
        unique=kind != "Index" or _true(_kw(call, "unique")),
        primary=kind == "PrimaryKeyConstraint",
        name=norm(name) if name else None,
    )


def _table_from_items(name: str, items: Sequence[ast.AST], path: str) -> Table:
    table = Table(norm(name), origin=path)
    for item in items:
        if not isinstance(item, ast.Call):
            continue
        col = _sa_column(item)
        if col is not None:
            table.add_column(col[0])
            if _sa_few_values(item):
                table.few_values.add(col[0])
            for ix in col[1]:
                table.add_index(ix)
            continue
        ix = _sa_constraint(item, {}, skip_name=True)
        if ix is not None:
            table.add_index(ix)
    return table


def _sa_model(node: ast.ClassDef, path: str) -> Optional[Tuple[Table, Dict[str, str]]]:
    tablename = None
    for stmt in node.body:
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and stmt.targets[0].id == "__tablename__"
        ):
            tablename = _const_str(stmt.value)
    if not tablename:
        return None
    table = Table(norm(tablename), origin=path)
    attrs: Dict[str, str] = {}
    table_args: Optional[ast.AST] = None
    class_level: List[ast.Call] = []
    for stmt in node.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            target, value = stmt.targets[0].id, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            target, value = stmt.target.id, stmt.value
        else:
            continue
        if target == "__table_args__":
            table_args = value
            continue
        if isinstance(value, ast.Call):
            col = _sa_column(value, target)
            if col is not None:
                attrs[target] = col[0]
                table.add_column(col[0])
                if _sa_few_values(value, stmt.annotation if isinstance(stmt, ast.AnnAssign) else None):
                    table.few_values.add(col[0])
                for ix in col[1]:
                    table.add_index(ix)
            elif _tail(value.func) in ("Index", "UniqueConstraint"):
                class_level.append(value)  # ``ix = Index("ix", not_after.desc())`` in the class body
    items: List[ast.AST] = list(class_level)
    if isinstance(table_args, (ast.Tuple, ast.List)):
        items += list(table_args.elts)
        if any(isinstance(i, ast.Starred) for i in items):
            table.opaque = True
    elif table_args is not None and not isinstance(table_args, ast.Dict):
        table.opaque = True  # computed at run time: its indexes cannot be read
    if any(isinstance(stmt, ast.FunctionDef) and stmt.name == "__table_args__" for stmt in node.body):
        table.opaque = True  # @declared_attr def __table_args__
    for item in items:
        if isinstance(item, ast.Call):
            ix = _sa_constraint(item, attrs, skip_name=True)
            if ix is not None:
                table.add_index(ix)
    return table, attrs


def _fk_target(call: ast.Call) -> Optional[str]:
    """``Column(ForeignKey("customers.id"))`` / ``mapped_column(ForeignKey(Customer.id))``
    -> the referenced table (``customers``) or, for an attribute, ``@Customer`` (a class)."""
    for arg in list(call.args) + [kw.value for kw in call.keywords]:
        if isinstance(arg, ast.Call) and _tail(arg.func) == "ForeignKey" and arg.args:
            ref = arg.args[0]
            text = _const_str(ref)
            if text and "." in text:
                return norm(text.rsplit(".", 1)[0])
            if isinstance(ref, ast.Attribute) and isinstance(ref.value, ast.Name):
                return "@" + ref.value.id
    return None


def _sa_class(node: ast.ClassDef, path: str) -> Optional[SaModelFact]:
    """A declarative class's columns, relationships and foreign keys (also for mixins and
    abstract bases); None for a class that declares none of them."""
    tablename: Optional[str] = None
    columns: List[Tuple[str, str]] = []
    indexes: List[Index] = []
    fks: List[Tuple[str, str]] = []
    rels: List[Tuple[str, Optional[str]]] = []
    few: List[str] = []
    for stmt in node.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            target, value = stmt.targets[0].id, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            target, value = stmt.target.id, stmt.value
            if value is None:
                ann = ast_dotted(stmt.annotation.value) if isinstance(stmt.annotation, ast.Subscript) else None
                if ann and ann.rsplit(".", 1)[-1] == "Mapped" and not target.startswith("_"):
                    columns.append((target, norm(target)))  # ``name: Mapped[str]``: a column
                continue
        else:
            continue
        if target == "__tablename__":
            tablename = _const_str(value)
            continue
        if not isinstance(value, ast.Call):
            continue
        kind = _tail(value.func)
        if kind in COLUMN_CALLS:
            col = _sa_column(value, target)
            if col is not None:
                columns.append((target, col[0]))
                indexes.extend(col[1])
                if _sa_few_values(value, stmt.annotation if isinstance(stmt, ast.AnnAssign) else None):
                    few.append(col[0])
                ref = _fk_target(value)
                if ref:
                    fks.append((col[0], ref))
        elif kind == "relationship":
            ref = value.args[0] if value.args else _kw(value, "argument")
            name = _const_str(ref) or (ref.id if isinstance(ref, ast.Name) else None)
            if _kw(value, "secondary") is not None or _kw(value, "primaryjoin") is not None:
                name = None  # an association table or a custom join: not followed
            rels.append((target, name.rsplit(".", 1)[-1] if name else None))
    if not (tablename or columns or rels):
        return None
    bases = tuple(ast_dotted(b) or "" for b in node.bases)
    return SaModelFact(node.name, path, norm(tablename) if tablename else None, tuple(columns), tuple(indexes), tuple(fks), tuple(rels), bases, tuple(few))


ALEMBIC_OPS = {"create_table", "create_index", "add_column", "create_unique_constraint", "create_primary_key", "drop_index"}


def _alembic(call: ast.Call, path: str, facts: SchemaFacts) -> bool:
    dotted = ast_dotted(call.func) or ""
    if not (dotted.startswith("op.") or dotted.startswith("alembic.op.")):
        return False
    op = dotted.rsplit(".", 1)[-1]
    if op not in ALEMBIC_OPS:
        return False
    args = list(call.args)
    if op == "drop_index":
        name = _const_str(args[0]) if args else _const_str(_kw(call, "index_name"))
        if name and _enclosing_is_upgrade(call):
            facts.dropped.append(norm(name))
        return True
    if op == "create_table":
        name = _const_str(args[0]) if args else None
        if name:
            facts.tables.append(_table_from_items(name, args[1:], path))
    elif op in ("create_index", "create_unique_constraint", "create_primary_key"):
        ix_name = _const_str(args[0]) if args else _const_str(_kw(call, "index_name") or _kw(call, "constraint_name"))
        table = _const_str(args[1]) if len(args) > 1 else _const_str(_kw(call, "table_name"))
        cols = _strings(args[2] if len(args) > 2 else _kw(call, "columns"))
        if table and cols:
            facts.indexes.append(
                (
                    norm(table),
                    Index(
                        tuple(norm(c) for c in cols),
                        unique=op != "create_index" or _true(_kw(call, "unique")),
                        primary=op == "create_primary_key",
                        name=norm(ix_name) if ix_name else None,
                    ),
                )
            )
    elif op == "add_column":
        table = _const_str(args[0]) if args else None
        if table and len(args) > 1 and isinstance(args[1], ast.Call):
            col = _sa_column(args[1])
            if col is not None:
                facts.columns.append((norm(table), col[0]))
                for ix in col[1]:
                    facts.indexes.append((norm(table), ix))
    return True


def _enclosing_is_upgrade(call: ast.Call) -> bool:
    """Set by :func:`summarize_tree`: drops inside ``downgrade()`` undo, they do not apply."""
    return getattr(call, "_fft_in_downgrade", False) is False


# --------------------------------------------------------------------------- DDL strings in migrations
DJANGO_OPS = ("CreateModel", "AddIndex", "AddConstraint", "AddField", "AlterField", "AlterUniqueTogether", "AlterIndexTogether", "AlterModelOptions")
MIGRATION_DIRS = ("migrations", "alembic", "migrate")
#: Alembic's revision folder: a migration only when the file is a revision (pyenv keeps
#: the whole stdlib under ``~/.pyenv/versions/``, many projects have a ``versions/``)
REVISION_DIRS = ("versions",)
_REVISION = re.compile(r"^down_revision\b", re.MULTILINE)
DDL_WORDS = ("CREATE", "create", "Create", "ALTER", "alter", "Alter")
_DDL_TEXT = re.compile(r"^(?:\s*--[^\n]*\n)*\s*(?:create|alter)\s", re.IGNORECASE)


def is_migration(path: str, source: Optional[str] = None) -> bool:
    """A Django / Alembic migration file: by its folders, or (``source`` given) an Alembic
    revision (a module-level ``down_revision``) in a ``versions/`` folder."""
    parts = _folders(path)
    if any(part in MIGRATION_DIRS or part.endswith("_migrations") for part in parts):
        return True
    return source is not None and _in_revision_dir(path) and _REVISION.search(source) is not None


def _folders(path: str) -> List[str]:
    return os.path.normpath(path).replace(os.sep, "/").split("/")[:-1]


def _in_revision_dir(path: str) -> bool:
    return any(part in REVISION_DIRS for part in _folders(path))


def _is_revision(tree: ast.AST) -> bool:
    """The module assigns ``down_revision`` at its top level (an Alembic revision)."""
    for stmt in getattr(tree, "body", ()):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.AnnAssign) else []
        if any(isinstance(t, ast.Name) and t.id == "down_revision" for t in targets):
            return True
    return False


def _migration_ddl(tree: ast.AST, path: str, facts: SchemaFacts) -> None:
    """``CREATE INDEX`` / ``CREATE TABLE`` / ``ALTER TABLE`` text anywhere in a migration
    (``RunSQL``, ``op.execute``, ``cursor.execute`` in a ``RunPython`` function): learned
    as DDL. Only statements that add schema are read from these strings (a ``DROP``
    may be the reverse step), so a miss errs towards more indexes, i.e. silence."""
    texts = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str) and _DDL_TEXT.match(n.value)]
    if not texts:
        return
    from fftlint.analysis.sql.ddl import learn_ddl

    for text in texts:
        learned = learn_ddl(text, path)
        learned.dropped.clear()
        facts.extend(learned)


# --------------------------------------------------------------------------- entry points
def summarize_tree(tree: ast.AST, path: str) -> SchemaFacts:
    facts = SchemaFacts()
    classes = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    model_names: List[str] = []
    sa_attrs: Dict[str, Tuple[str, Dict[str, str]]] = {}
    # two rounds so that a model deriving from an abstract model defined below it is found
    for _ in range(2):
        for node in classes:
            if node.name not in model_names and _looks_like_django_model(node, model_names):
                model_names.append(node.name)
    for node in classes:
        sa = _sa_model(node, path)
        if sa is not None:
            facts.tables.append(sa[0])
            sa_attrs[node.name] = (sa[0].name, sa[1])
        if node.name not in model_names:
            sa_fact = _sa_class(node, path)
            if sa_fact is not None:
                facts.sa_models.append(sa_fact)
        if sa is None and node.name in model_names:
            model = _django_model(node, path)
            if model is not None:
                facts.models.append(model)
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef) and fn.name == "downgrade":
            for sub in ast.walk(fn):
                if isinstance(sub, ast.Call):
                    sub._fft_in_downgrade = True  # type: ignore[attr-defined]
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if getattr(node, "_fft_in_downgrade", False):
            continue  # downgrade() reverts the schema; the upgrade path is the current one
        kind = _tail(node.func)
        if kind in DJANGO_OPS and (
            (ast_dotted(node.func) or "").startswith("migrations.") or kind == "CreateModel"
        ):
            _migration_ops(node, path, facts)
        elif _alembic(node, path, facts):
            continue
        elif kind == "Table" and len(node.args) >= 2:
            name = _const_str(node.args[0])
            if name and any(isinstance(a, ast.Call) and _tail(a.func) in COLUMN_CALLS for a in node.args[1:]):
                facts.tables.append(_table_from_items(name, node.args[2:], path))
        elif kind == "Index" and node.args and any(isinstance(a, ast.Attribute) for a in node.args[1:]):
            # module-level Index("ix", Order.customer_id, Order.created_at)
            first = next((a for a in node.args[1:] if isinstance(a, ast.Attribute)), None)
            owner = first.value if first is not None else None
            owner_name = owner.id if isinstance(owner, ast.Name) else None
            if owner_name in sa_attrs:
                table, attrs = sa_attrs[owner_name]
                ix = _sa_constraint(node, attrs, skip_name=True)
                if ix is not None:
                    facts.indexes.append((table, ix))
    if is_migration(path) or (_in_revision_dir(path) and _is_revision(tree)):
        _migration_ddl(tree, path, facts)
    return facts


def may_teach(source: str, path: str = "") -> bool:
    """False only when :func:`summarize` returns empty facts for ``source``: none of the
    :data:`MARKERS` occurs, or no identifier that :func:`summarize_tree` needs does
    (checked on the NFKC form too when the text is not ASCII, as the parser normalises
    identifiers that way), and -- for a migration at ``path`` -- no DDL word either.
    Saves the ``ast`` parse of files that merely mention models."""
    if path and is_migration(path, source) and has_word(source, DDL_WORDS):
        return True
    if not any(marker in source for marker in MARKERS):
        return False
    if has_word(source, TEACHING_WORDS):
        return True
    if source.isascii():
        return False
    import unicodedata

    return has_word(unicodedata.normalize("NFKC", source), TEACHING_WORDS)


def summarize(source: str, path: str) -> SchemaFacts:
    """Schema facts taught by one Python file; empty for files that teach none (or do not parse)."""
    if not may_teach(source, path):
        return SchemaFacts()
    try:
        tree = ast.parse(source, path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return SchemaFacts()
    return summarize_tree(tree, path)
