"""ORM model discovery with the stdlib ``ast`` (cheap enough for every file of a project).

Two layers:

* :func:`summarize_models` -- one file's source -> a plain, picklable summary of the ORM
  model classes it defines (Django ``models.Model`` subclasses, SQLAlchemy declarative
  classes) with their relation fields. It never imports or executes the code.
* :class:`ModelIndex` -- the summaries of one or many files merged: resolves relation
  targets (``ForeignKey("Author")``, ``"app.Author"``, ``"self"``, imported classes),
  inheritance (abstract Django bases), and derives the *reverse* relations
  (``related_name`` / ``<model>_set``, SQLAlchemy ``backref``) that only exist on the
  other model.

Summary shape (``dict``; stable keys so a project cache can store it as JSON)::

    {"module": "shop.models",
     "models": [{"name": "Book", "qualname": "shop.models.Book", "orm": "django",
                 "bases": ["django.db.models.Model"], "abstract": False,
                 "managers": ["objects"],
                 "fields": [{"name": "author", "kind": "fk", "target": "Author",
                             "related_name": "books", "lazy": None}]}]}

Field kinds: ``fk``, ``o2o``, ``m2m`` (Django) and ``rel`` (SQLAlchemy ``relationship``,
with ``uselist`` and ``lazy``; ``backref`` gives the reverse).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Sequence, Set, Tuple

from fftlint.facts import imports as import_map

SUMMARY_VERSION = 10  # 10: manager classes of the module (``manager_defs``), for a model in another module; 2: `X.as_manager()` declares a manager; 3: `Mapped[...]` tells uselist; 4: GenericForeignKey; 5: manager classes; 6: what a custom get_queryset loads; 7: a relation's literal null=True; 8: Meta.app_label, classes under a module-level `if`, `M.from_queryset(QS)` aliases; 9: `class X(M.from_queryset(QS))`

DJANGO_MODEL_BASES = frozenset(
    (
        "django.db.models.Model",
        "django.db.models.base.Model",
        "django.contrib.auth.models.AbstractUser",
        "django.contrib.auth.models.AbstractBaseUser",
        "django.contrib.auth.base_user.AbstractBaseUser",
        "django.contrib.auth.models.PermissionsMixin",
    )
)
_DJANGO_FIELD_MODULES = ("django.db.models.", "django.db.models.fields.related.")
_DJANGO_RELATIONS = {"ForeignKey": "fk", "OneToOneField": "o2o", "ManyToManyField": "m2m"}
SQLA_BASE_FACTORIES = frozenset(
    (
        "sqlalchemy.orm.declarative_base",
        "sqlalchemy.ext.declarative.declarative_base",
        "sqlalchemy.orm.decl_api.declarative_base",
    )
)
SQLA_BASE_CLASSES = frozenset(
    ("sqlalchemy.orm.DeclarativeBase", "sqlalchemy.orm.DeclarativeBaseNoMeta", "sqlalchemy.orm.decl_api.DeclarativeBase")
)
# Loader strategies that make attribute access free (or an error) instead of a query.
SQLA_NOT_LAZY = frozenset(("joined", "selectin", "subquery", "immediate", "raise", "raise_on_sql", "noload", "dynamic", "write_only", "False"))

#: Built-in Django models users commonly loop over (``django.contrib.auth``).
BUILTIN_DJANGO_MODELS: Tuple[Dict[str, Any], ...] = (
    {
        "name": "User",
        "qualname": "django.contrib.auth.models.User",
        "orm": "django",
        "bases": ["django.db.models.Model"],
        "abstract": False,
        "managers": ["objects"],
        "fields": [
            {"name": "groups", "kind": "m2m", "target": "django.contrib.auth.models.Group", "related_name": "user_set", "lazy": None},
            {"name": "user_permissions", "kind": "m2m", "target": "django.contrib.auth.models.Permission", "related_name": "user_set", "lazy": None},
        ],
    },
    {
        "name": "Group",
        "qualname": "django.contrib.auth.models.Group",
        "orm": "django",
        "bases": ["django.db.models.Model"],
        "abstract": False,
        "managers": ["objects"],
        "fields": [
            {"name": "permissions", "kind": "m2m", "target": "django.contrib.auth.models.Permission", "related_name": None, "lazy": None},
        ],
    },
    {
        "name": "ContentType",
        "qualname": "django.contrib.contenttypes.models.ContentType",
        "orm": "django",
        "bases": ["django.db.models.Model"],
        "abstract": False,
        "managers": ["objects"],
        "custom_managers": ["objects"],  # ContentTypeManager caches get_for_model / get_for_id
        "fields": [],
    },
    {
        "name": "Permission",
        "qualname": "django.contrib.auth.models.Permission",
        "orm": "django",
        "bases": ["django.db.models.Model"],
        "abstract": False,
        "managers": ["objects"],
        "fields": [],
    },
)


# --------------------------------------------------------------------------- per file
class _Imports:
    """The ast counterpart of the engine's import map (module level, no shadowing)."""

    def __init__(self, module: str, is_package: bool) -> None:
        self.module = module
        self.is_package = is_package
        self.names: Dict[str, str] = {}
        self.sqla_bases: set = set()  # local names bound to declarative bases
        self.uses_sqlalchemy = False
        #: module-level ``Name = M.from_queryset(QS)`` (or ``class Name(M.from_queryset(QS))``):
        #: the manager class and queryset class a later ``Name()`` makes
        self.manager_aliases: Dict[str, Tuple[Optional[str], Optional[str]]] = {}

    def add(self, node: ast.AST) -> None:
        for local, target, full in import_map.bindings(node, self.module, self.is_package):
            self.names[local] = target
            if full.split(".", 1)[0] in ("sqlalchemy", "flask_sqlalchemy", "sqlmodel"):
                self.uses_sqlalchemy = True

    def resolve(self, node: Optional[ast.AST]) -> Optional[str]:
        parts: List[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Call):
            inner = self.resolve(node.func)
            if inner is None:
                return None
            parts.append(inner + "()")
        elif isinstance(node, ast.Name):
            parts.append(self.names.get(node.id, f"{self.module}.{node.id}" if self.module else node.id))
        else:
            return None
        return ".".join(reversed(parts))


def _const_str(node: Optional[ast.AST]) -> Optional[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _kwarg(call: ast.Call, name: str) -> Optional[ast.AST]:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def _target_spec(node: Optional[ast.AST], imports: _Imports) -> Optional[str]:
    """A relation target as written: a string, or the canonical name of a class."""
    if node is None:
        return None
    text = _const_str(node)
    if text is not None:
        return text
    if isinstance(node, ast.Lambda):
        return _target_spec(node.body, imports)
    return imports.resolve(node)


_GENERIC_FOREIGN_KEYS = frozenset(("django.contrib.contenttypes.fields.GenericForeignKey", "django.contrib.contenttypes.generic.GenericForeignKey"))


def _django_relation(call: ast.Call, imports: _Imports) -> Optional[Dict[str, Any]]:
    name = imports.resolve(call.func) or ""
    if name in _GENERIC_FOREIGN_KEYS:
        # ``content_object``: one query per row for its content type's model; only
        # ``prefetch_related`` loads it (``select_related`` cannot follow it)
        return {"kind": "gfk", "target": None, "related_name": "+", "has_related_name": True, "lazy": None}
    short = name.rsplit(".", 1)[-1]
    if short not in _DJANGO_RELATIONS:
        return None
    if not (name.startswith(_DJANGO_FIELD_MODULES) or name == short):
        return None
    target = call.args[0] if call.args else _kwarg(call, "to")
    related = _kwarg(call, "related_name")
    null = _kwarg(call, "null")
    return {
        "kind": _DJANGO_RELATIONS[short],
        "target": _target_spec(target, imports),
        "related_name": _const_str(related) if related is not None else None,
        "has_related_name": related is not None,
        "lazy": None,
        # ``null=True`` written out (``select_related()`` without arguments skips it);
        # None when not literal
        "null": True if isinstance(null, ast.Constant) and null.value is True else (False if null is None or isinstance(null, ast.Constant) else None),
    }


def _sqla_relation(call: ast.Call, imports: _Imports) -> Optional[Dict[str, Any]]:
    func = call.func
    short = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if short != "relationship" or not imports.uses_sqlalchemy:
        return None
    target = call.args[0] if call.args else _kwarg(call, "argument")
    lazy_node = _kwarg(call, "lazy")
    lazy = "select"
    if lazy_node is not None:
        lazy = _const_str(lazy_node) or (str(lazy_node.value) if isinstance(lazy_node, ast.Constant) else "unknown")
        if lazy == "True":
            lazy = "select"
    uselist = _kwarg(call, "uselist")
    backref = _kwarg(call, "backref")
    backref_name, backref_lazy = None, "select"
    if _const_str(backref) is not None:
        backref_name = _const_str(backref)
    elif isinstance(backref, ast.Call) and backref.args:
        backref_name = _const_str(backref.args[0])
        bl = _kwarg(backref, "lazy")
        if bl is not None:
            backref_lazy = _const_str(bl) or "unknown"
    return {
        "kind": "rel",
        "target": _target_spec(target, imports),
        "related_name": backref_name,
        "backref_lazy": backref_lazy,
        "uselist": None if uselist is None else bool(getattr(uselist, "value", True)),
        "secondary": _kwarg(call, "secondary") is not None,
        "lazy": lazy,
    }


def _annotation_target(annotation: Optional[ast.AST], imports: _Imports) -> Optional[str]:
    """``Mapped[List["Address"]]`` -> "Address" (for ``relationship()`` without a target)."""
    node = annotation
    while isinstance(node, ast.Subscript):
        node = node.slice
        if isinstance(node, ast.Index):  # Python 3.8 shape
            node = node.value  # type: ignore[attr-defined]
    return _target_spec(node, imports) if node is not None else None


_COLLECTION_HINTS = frozenset(("List", "list", "Set", "set", "Sequence", "Collection", "Iterable", "DynamicMapped", "WriteOnlyMapped"))


def _annotation_is_collection(annotation: ast.AST, imports: _Imports) -> Optional[bool]:
    """``Mapped[List["Address"]]`` -> True, ``Mapped["User"]`` / ``Mapped[Optional[User]]``
    -> False (a many-to-one), anything unreadable -> None (SQLAlchemy's default)."""
    node = annotation
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            node = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return None
    if not isinstance(node, ast.Subscript):
        return None
    inner = node.slice
    if isinstance(inner, ast.Index):  # Python 3.8 shape
        inner = inner.value  # type: ignore[attr-defined]
    if isinstance(inner, ast.Subscript):
        head = inner.value
        name = head.attr if isinstance(head, ast.Attribute) else head.id if isinstance(head, ast.Name) else ""
        if name in _COLLECTION_HINTS:
            return True
        if name == "Optional":
            return False
        return None
    if isinstance(inner, (ast.Name, ast.Attribute, ast.Constant)):
        return False
    return None


def _is_abstract(cls: ast.ClassDef) -> bool:
    for stmt in cls.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
            for item in stmt.body:
                if isinstance(item, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "abstract" for t in item.targets):
                    return isinstance(item.value, ast.Constant) and item.value.value is True
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__abstract__" for t in stmt.targets):
            return isinstance(stmt.value, ast.Constant) and stmt.value.value is True
    return False


_DJANGO_MANAGERS = frozenset(("django.db.models.Manager", "django.db.models.manager.Manager", None))


def _manager_classes(call: ast.Call, imports: _Imports) -> Tuple[Optional[str], Optional[str]]:
    """``Manager()`` -> (Manager, None); ``QS.as_manager()`` -> (Django's Manager, QS);
    ``M.from_queryset(QS)()`` -> (M, QS)."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr == "as_manager":
        return "django.db.models.Manager", imports.resolve(func.value)
    if isinstance(func, ast.Call) and isinstance(func.func, ast.Attribute) and func.func.attr == "from_queryset":
        queryset = imports.resolve(func.args[0]) if func.args else None
        return imports.resolve(func.func.value), queryset
    if isinstance(func, ast.Name) and func.id in imports.manager_aliases:
        return imports.manager_aliases[func.id]
    return imports.resolve(func), None


def _overrides_get_queryset(manager: Optional[str], local_classes: Dict[str, ast.ClassDef]) -> bool:
    """A project manager class defines ``get_queryset`` (unknown classes are assumed to)."""
    node = local_classes.get(manager or "")
    if node is None:
        return True
    return _get_queryset_def(node) is not None


def _get_queryset_def(node: ast.ClassDef) -> Optional[ast.AST]:
    for stmt in node.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == "get_queryset":
            return stmt
    return None


#: queryset methods a manager's ``get_queryset`` may chain without loading a relation
_LOAD_NEUTRAL = frozenset(("filter", "exclude", "order_by", "annotate", "alias", "only", "defer", "distinct", "using", "all", "none", "reverse", "extra"))


def _manager_loads(manager: Optional[str], local_classes: Dict[str, ast.ClassDef]) -> Optional[List[str]]:
    """The relations a project manager's ``get_queryset`` loads, when its body says so
    plainly: one ``return super().get_queryset()`` followed by a chain of filters, orderings,
    annotations and ``select_related`` / ``prefetch_related`` with string paths. None when
    anything else is there (a ``Prefetch``, a helper call, a branch): unknown, trusted to
    load anything."""
    node = local_classes.get(manager or "")
    fn = _get_queryset_def(node) if node is not None else None
    if fn is None:
        return None
    body = [s for s in fn.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) and isinstance(s.value.value, str))]
    if len(body) != 1 or not isinstance(body[0], ast.Return) or body[0].value is None:
        return None
    expr = body[0].value
    loads: List[str] = []
    while isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
        method = expr.func.attr
        base = expr.func.value
        if method == "get_queryset" and isinstance(base, ast.Call) and isinstance(base.func, ast.Name) and base.func.id == "super":
            return sorted(set(loads))
        if method in ("select_related", "prefetch_related"):
            if expr.keywords or not expr.args:
                return None  # ``select_related()``: every foreign key, not one path
            for arg in expr.args:
                if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                    return None
                loads.append(arg.value)
        elif method not in _LOAD_NEUTRAL:
            return None
        expr = base
    if _fresh_queryset(expr):  # ``PageQuerySet(self.model, using=self._db).filter(...)``
        return sorted(set(loads))
    return None


def _fresh_queryset(expr: ast.AST) -> bool:
    """``QS(self.model, ...)`` / ``QS(model=self.model, ...)``: a queryset class built on
    the manager's model, which loads no relation by itself."""
    if not (isinstance(expr, ast.Call) and isinstance(expr.func, (ast.Name, ast.Attribute))):
        return False
    first = expr.args[0] if expr.args else next((k.value for k in expr.keywords if k.arg == "model"), None)
    return isinstance(first, ast.Attribute) and first.attr == "model" and isinstance(first.value, ast.Name) and first.value.id == "self"


def _manager_defs(classes: List[ast.ClassDef], prefix: str) -> Dict[str, Optional[List[str]]]:
    """Module classes that define ``get_queryset``, by qualified name, with the relations
    it plainly loads (None: unknown). Read only for a model in another module whose
    manager is one of them."""
    local = {prefix + c.name: c for c in classes}
    return {name: _manager_loads(name, local) for name, c in local.items() if _get_queryset_def(c) is not None}


def _meta_option(cls: ast.ClassDef, option: str) -> Optional[str]:
    for stmt in cls.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
            for item in stmt.body:
                if isinstance(item, ast.Assign) and any(isinstance(t, ast.Name) and t.id == option for t in item.targets):
                    return _const_str(item.value)
    return None


def _class_summary(cls: ast.ClassDef, imports: _Imports, local_classes: Optional[Dict[str, ast.ClassDef]] = None) -> Optional[Dict[str, Any]]:
    local_classes = local_classes or {}
    bases = [b for b in (imports.resolve(base) for base in cls.bases) if b]
    fields: List[Dict[str, Any]] = []
    managers: List[str] = []
    custom: List[str] = []  # managers whose get_queryset may load relations
    manager_loads: Dict[str, List[str]] = {}  # managers whose get_queryset says what it loads
    manager_classes: Dict[str, List[Optional[str]]] = {}  # name -> [manager class, queryset class]
    orm = None
    if any(b in DJANGO_MODEL_BASES for b in bases):
        orm = "django"
    elif any(b in SQLA_BASE_CLASSES or b.rsplit(".", 1)[-1] in imports.sqla_bases for b in bases):
        orm = "sqlalchemy"
    elif imports.uses_sqlalchemy and any(b.endswith(".Model") and not b.startswith("django.") for b in bases):
        orm = "sqlalchemy"  # Flask-SQLAlchemy's ``db.Model``
    has_tablename = False
    for stmt in cls.body:
        targets: List[ast.AST] = []
        value: Optional[ast.AST] = None
        annotation: Optional[ast.AST] = None
        if isinstance(stmt, ast.Assign):
            targets, value = list(stmt.targets), stmt.value
        elif isinstance(stmt, ast.AnnAssign):
            targets, value, annotation = [stmt.target], stmt.value, stmt.annotation
        else:
            continue
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        if not names:
            continue
        if names[0] == "__tablename__":
            has_tablename = True
        if not isinstance(value, ast.Call):
            continue
        rel = _django_relation(value, imports)
        if rel is not None:
            orm = orm or "django"
        else:
            rel = _sqla_relation(value, imports)
            if rel is not None:
                orm = orm or "sqlalchemy"
                if rel["target"] is None:
                    rel["target"] = _annotation_target(annotation, imports)
                if rel.get("uselist") is None and annotation is not None:
                    rel["uselist"] = _annotation_is_collection(annotation, imports)
        if rel is not None:
            for name in names:
                fields.append(dict(rel, name=name))
            continue
        callee = imports.resolve(value.func) or ""
        if callee.endswith(("Manager()", "Manager", ".as_manager", ".as_manager()", ".from_queryset()")):
            managers.extend(names)
            manager, queryset = _manager_classes(value, imports)
            for name in names:
                manager_classes[name] = [manager, queryset]
            if manager not in _DJANGO_MANAGERS and _overrides_get_queryset(manager, local_classes):
                loaded = _manager_loads(manager, local_classes)
                if loaded is None:
                    custom.extend(names)  # its get_queryset may load, filter or annotate anything
                else:
                    for name in names:
                        manager_loads[name] = loaded
        elif callee.startswith("django.db.models."):
            orm = orm or "django"
    if orm is None and has_tablename and imports.uses_sqlalchemy:
        orm = "sqlalchemy"
    if orm is None:
        # May still be a model through a base defined in another file; the index decides.
        if not bases:
            return None
    if orm == "django" and "objects" not in managers:
        managers.insert(0, "objects")
    return {
        "name": cls.name,
        "qualname": f"{imports.module}.{cls.name}" if imports.module else cls.name,
        "orm": orm,
        "bases": bases,
        "abstract": _is_abstract(cls),
        "managers": managers,
        "custom_managers": custom,
        "manager_loads": manager_loads,
        "manager_classes": manager_classes,
        "default_manager": _meta_option(cls, "default_manager_name"),
        "app_label": _meta_option(cls, "app_label"),
        "fields": fields,
    }


def _module_classes(body: Sequence[ast.stmt]) -> List[ast.ClassDef]:
    """Classes a module defines: at module level, or under a module-level ``if`` (a
    model defined only when no other app registered it, ``if not registered(...): class
    Offer(AbstractOffer)``)."""
    out: List[ast.ClassDef] = []
    for stmt in body:
        if isinstance(stmt, ast.ClassDef):
            out.append(stmt)
        elif isinstance(stmt, ast.If):
            out.extend(_module_classes(stmt.body))
            out.extend(_module_classes(stmt.orelse))
    return out


def summarize_models(source: str, module: str = "", is_package: bool = False, tree: Optional[ast.AST] = None) -> Dict[str, Any]:
    """Summary of the model classes defined at module level. Never raises on bad input:
    a file that does not parse summarises to no models."""
    if tree is None:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return {"version": SUMMARY_VERSION, "module": module, "models": []}
    imports = _Imports(module, is_package)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.add(node)
    body = getattr(tree, "body", [])
    for stmt in body:
        # Base = declarative_base()  /  class Base(DeclarativeBase): ...
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call):
            if (imports.resolve(stmt.value.func) or "") in SQLA_BASE_FACTORIES:
                imports.sqla_bases.update(t.id for t in stmt.targets if isinstance(t, ast.Name))
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            value = stmt.value
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "from_queryset" and len(value.args) == 1:
                imports.manager_aliases[stmt.targets[0].id] = (imports.resolve(value.func.value), imports.resolve(value.args[0]))
        if isinstance(stmt, ast.ClassDef):
            if any((imports.resolve(b) or "") in SQLA_BASE_CLASSES for b in stmt.bases):
                imports.sqla_bases.add(stmt.name)
            # class PostManager(models.Manager.from_queryset(PostQuerySet)): a manager class
            # of its own (its methods count) whose queryset class is PostQuerySet
            for base in stmt.bases:
                if isinstance(base, ast.Call) and isinstance(base.func, ast.Attribute) and base.func.attr == "from_queryset" and len(base.args) == 1:
                    own = f"{module}.{stmt.name}" if module else stmt.name
                    imports.manager_aliases[stmt.name] = (own, imports.resolve(base.args[0]))
    models = []
    prefix = f"{module}." if module else ""
    classes = _module_classes(body)
    local_classes = {prefix + stmt.name: stmt for stmt in classes}
    for stmt in classes:
        if stmt.name not in imports.sqla_bases:
            summary = _class_summary(stmt, imports, local_classes)
            if summary is not None:
                models.append(summary)
    out: Dict[str, Any] = {"version": SUMMARY_VERSION, "module": module, "models": models}
    defs = _manager_defs(classes, prefix)
    if defs:
        out["manager_defs"] = defs
    return out


# --------------------------------------------------------------------------- index
#: How a relation is loaded ahead of a loop.
SELECT_RELATED = "select_related"
PREFETCH_RELATED = "prefetch_related"
SQLA_LOAD = "sqlalchemy"


@dataclass(frozen=True)
class Relation:
    name: str
    model: str  # qualname of the model the attribute lives on
    target: Optional[str]  # qualname of the related model, when known
    kind: str  # fk | o2o | m2m | reverse_fk | reverse_o2o | reverse_m2m | rel | backref
    many: bool  # accessing it yields a manager / collection
    loader: str  # SELECT_RELATED | PREFETCH_RELATED | SQLA_LOAD
    lazy: bool = True  # False when the mapping already loads it eagerly (SQLAlchemy)
    dynamic: bool = False  # SQLAlchemy ``lazy="dynamic"``: a query, run on every use


@dataclass
class Model:
    name: str
    qualname: str
    orm: Optional[str]
    bases: Tuple[str, ...]
    abstract: bool
    managers: Tuple[str, ...]
    fields: Tuple[Dict[str, Any], ...]
    custom_managers: Tuple[str, ...] = ()
    manager_classes: Tuple[Tuple[str, Optional[str], Optional[str]], ...] = ()  # (name, manager, queryset)
    default_manager: Optional[str] = None
    manager_loads: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()  # (name, relation paths its get_queryset loads)
    app_label: Optional[str] = None  # ``Meta.app_label`` as written on the class


#: names the user model goes by (``ForeignKey(settings.AUTH_USER_MODEL)``, ``User = get_user_model()``)
_USER_MODEL_NAMES = frozenset(("django.conf.settings.AUTH_USER_MODEL", "django.contrib.auth.get_user_model()"))
_USER_BASES = frozenset(("django.contrib.auth.models.AbstractUser", "django.contrib.auth.models.AbstractBaseUser",
                         "django.contrib.auth.base_user.AbstractBaseUser"))


class ModelIndex:
    """Models of one file or a whole project, with forward and reverse relations."""

    def __init__(self, summaries: Iterable[Dict[str, Any]] = (), builtins: bool = True) -> None:
        self.models: Dict[str, Model] = {}
        self._by_short: Dict[str, List[str]] = {}
        self._relations: Optional[Dict[str, Dict[str, Relation]]] = None
        self._summaries: List[Dict[str, Any]] = []
        #: project classes that define ``get_queryset``: what it plainly loads (None: unknown)
        self._manager_defs: Dict[str, Optional[Tuple[str, ...]]] = {}
        #: of the words :func:`build_model_index` was asked to look for, those some
        #: project file contains (None: not looked for, e.g. a single file's index)
        self.words_seen: Optional[FrozenSet[str]] = None
        if builtins:
            self.add({"module": "django.contrib.auth.models", "models": list(BUILTIN_DJANGO_MODELS)})
        for summary in summaries:
            self.add(summary)

    def add(self, summary: Dict[str, Any]) -> None:
        for m in summary.get("models", ()):
            model = Model(
                m["name"], m["qualname"], m["orm"], tuple(m["bases"]), m["abstract"],
                tuple(m["managers"]), tuple(m["fields"]), tuple(m.get("custom_managers", ())),
                tuple((k, v[0], v[1]) for k, v in sorted((m.get("manager_classes") or {}).items())), m.get("default_manager"),
                tuple((k, tuple(v)) for k, v in sorted((m.get("manager_loads") or {}).items())),
                m.get("app_label"),
            )
            if model.qualname not in self.models:
                self._by_short.setdefault(model.name, []).append(model.qualname)
            self.models[model.qualname] = model
        for name, loads in (summary.get("manager_defs") or {}).items():
            self._manager_defs[name] = None if loads is None else tuple(loads)
        self._summaries.append(summary)
        self._relations = None
        self.__dict__.pop("_user_model", None)

    def with_summary(self, summary: Dict[str, Any]) -> "ModelIndex":
        """A copy of this index with one file's summary replacing its stored one (the
        file being linted may have changed since the project index was built)."""
        module = summary.get("module")
        out = ModelIndex(builtins=False)
        for s in self._summaries:
            if s.get("module") != module:
                out.add(s)
        out.add(summary)
        return out

    def digest(self) -> str:
        """A stable digest of the summaries the index is made of (cache keys)."""
        import hashlib
        import json

        data = json.dumps(
            [sorted(self._summaries, key=lambda m: str(m.get("module"))), sorted(self.words_seen or ()), self.words_seen is None],
            sort_keys=True, default=str,
        )
        return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()[:32]

    def __bool__(self) -> bool:
        return any(not q.startswith("django.contrib.") for q in self.models)

    # -- lookups --------------------------------------------------------------
    def find(self, canonical: Optional[str], near: Optional[str] = None) -> Optional[Model]:
        """The model a canonical name (``shop.models.Book``) or string reference
        (``"Book"``, ``"shop.Book"``) denotes; ``near`` is the referring module.
        ``settings.AUTH_USER_MODEL`` and ``get_user_model()`` denote :meth:`user_model`."""
        if not canonical:
            return None
        if canonical in _USER_MODEL_NAMES:
            return self.user_model()
        model = self.models.get(canonical)
        if model is None and near:
            model = self.models.get(f"{near}.{canonical}")
        if model is None:
            short = canonical.rsplit(".", 1)[-1]
            candidates = self._by_short.get(short, [])
            if "." in canonical:
                # an imported name: only a model of the same top-level package
                top = canonical.split(".", 1)[0]
                candidates = [q for q in candidates if q.split(".", 1)[0] == top]
            if near:
                local = [q for q in candidates if q.rsplit(".", 1)[0] == near]
                if len(local) == 1:
                    return self.models[local[0]]
            if len(candidates) == 1:
                model = self.models[candidates[0]]
        return model if model is not None and self.orm_of(model) else None

    def app_label(self, model: Model) -> Optional[str]:
        """The Django app label of a model: ``Meta.app_label`` of the model or of an
        abstract ancestor (Django inherits it from an abstract parent's Meta), else
        Django's default, the package that holds the ``models`` module (``shop.models``
        and ``shop.models.book`` are app ``shop``; a model elsewhere, the package of its
        module)."""
        if model.app_label:
            return model.app_label
        for parent in self._ancestors(model):
            if parent.app_label and parent.abstract:
                return parent.app_label
        parts = model.qualname.split(".")[:-1]
        if "models" in parts:
            i = len(parts) - 1 - parts[::-1].index("models")
            return parts[i - 1] if i > 0 else None
        return parts[-2] if len(parts) >= 2 else None

    def by_label(self, app_label: str, name: str) -> Optional[Model]:
        """The one concrete Django model named ``name`` (case-insensitive, as Django's
        ``apps.get_model``) in app ``app_label``; None when none or several match."""
        lowered = name.lower()
        found = [
            m for short, quals in self._by_short.items() if short.lower() == lowered for m in (self.models[q] for q in quals)
            if not m.abstract and self.orm_of(m) == "django" and self.app_label(m) == app_label
        ]
        return found[0] if len(found) == 1 else None

    def orm_of(self, model: Model, _seen: Optional[set] = None) -> Optional[str]:
        if model.orm:
            return model.orm
        seen = _seen or set()
        if model.qualname in seen:
            return None
        seen.add(model.qualname)
        for base in model.bases:
            parent = self.models.get(base) or self._unique_short(base)
            if parent is not None:
                orm = self.orm_of(parent, seen)
                if orm:
                    return orm
        return None

    def _unique_short(self, name: str) -> Optional[Model]:
        candidates = self._by_short.get(name.rsplit(".", 1)[-1], [])
        return self.models[candidates[0]] if len(candidates) == 1 else None

    def managers(self, model: Model) -> Tuple[str, ...]:
        out = list(model.managers)
        for parent in self._ancestors(model):
            out.extend(m for m in parent.managers if m not in out)
        if self.orm_of(model) == "django" and "objects" not in out:
            out.insert(0, "objects")
        return tuple(out)

    def custom_managers(self, model: Model) -> Tuple[str, ...]:
        """Managers the model or its bases declare with a class other than Django's own
        ``Manager`` (their ``get_queryset`` may load relations, filter or annotate)."""
        out: List[str] = []
        for owner in (model, *self._ancestors(model)):
            out.extend(m for m in owner.custom_managers if m not in out and self._imported_loads(owner, m) is None)
        return tuple(out)

    def _imported_loads(self, owner: Model, name: str) -> Optional[Tuple[str, ...]]:
        """What the manager ``name`` of ``owner`` loads when its class is a project class
        of another module whose ``get_queryset`` says so plainly (None: unknown)."""
        for declared, manager, _queryset in owner.manager_classes:
            if declared == name and manager and not manager.startswith(owner.qualname.rpartition(".")[0] + "."):
                return self._manager_defs.get(manager)
        return None

    def manager_loads(self, model: Model, name: str) -> Tuple[str, ...]:
        """The relation paths the model's manager ``name`` loads by its own ``get_queryset``
        (the model's or its nearest base's declaration); () for Django's own managers."""
        for owner in (model, *self._ancestors(model)):
            for declared, loads in owner.manager_loads:
                if declared == name:
                    return loads
            if name in owner.custom_managers:
                imported = self._imported_loads(owner, name)
                if imported is not None:
                    return imported
        return ()

    def default_manager(self, model: Model) -> Optional[str]:
        """``Meta.default_manager_name`` of the model or its nearest base that sets it."""
        for owner in (model, *self._ancestors(model)):
            if owner.default_manager:
                return owner.default_manager
        return None

    def queryset_classes(self, model: Model) -> Tuple[str, ...]:
        """Project classes whose methods a manager of the model offers: each manager's
        class (when not Django's) and queryset class (``as_manager`` / ``from_queryset``),
        the model's and its bases'."""
        out: List[str] = []
        for owner in (model, *self._ancestors(model)):
            for _name, manager, queryset in owner.manager_classes:
                for cls in (manager, queryset):
                    if cls and cls not in _DJANGO_MANAGERS and cls not in out:
                        out.append(cls)
        return tuple(out)

    def user_model(self) -> Optional[Model]:
        """The model ``AUTH_USER_MODEL`` names, without reading settings: the project's one
        concrete subclass of Django's ``AbstractUser`` / ``AbstractBaseUser``, else (none)
        Django's own ``auth.User``; None when the project has several."""
        found = self.__dict__.get("_user_model", False)
        if found is False:
            custom = [m for m in self.models.values() if not m.abstract and not m.qualname.startswith("django.")
                      and any(b in _USER_BASES for a in (m, *self._ancestors(m)) for b in a.bases)]
            found = custom[0] if len(custom) == 1 else None if custom else self.models.get("django.contrib.auth.models.User")
            self.__dict__["_user_model"] = found
        return found

    def _ancestors(self, model: Model) -> List[Model]:
        out: List[Model] = []
        stack = list(model.bases)
        seen = {model.qualname}
        while stack:
            base = stack.pop(0)
            parent = self.models.get(base) or self._unique_short(base)
            if parent is None or parent.qualname in seen:
                continue
            seen.add(parent.qualname)
            out.append(parent)
            stack.extend(parent.bases)
        return out

    def _target(self, spec: Optional[str], owner: Model) -> Optional[str]:
        if not spec:
            return None
        if spec == "self":
            return owner.qualname
        near = owner.qualname.rsplit(".", 1)[0] if "." in owner.qualname else None
        found = self.find(spec, near)
        if found is None and "." in spec and not spec.startswith(near or "\0"):
            found = self.find(spec.rsplit(".", 1)[-1], near)  # "app_label.Model"
        return found.qualname if found else None

    def relations(self, model: Model) -> Dict[str, Relation]:
        if self._relations is None:
            self._relations = self._build()
        return self._relations.get(model.qualname, {})

    def relation(self, model: Model, attr: str) -> Optional[Relation]:
        return self.relations(model).get(attr)

    def back_field(self, rel: Relation) -> Optional[str]:
        """For a reverse foreign key (``author.books``), the foreign key of the rows that
        points back at the owner (``Book.author``). Django's related manager hands every
        row it loads that instance (``_known_related_objects``): reading it is no query."""
        if rel.kind != "reverse_fk" or not rel.target:
            return None
        rows = self.models.get(rel.target)
        if rows is None:
            return None
        found = [f["name"] for f in self._effective_fields(rows)
                 if f["kind"] == "fk" and self._target(f.get("target"), rows) == rel.model and self._reverse_name(f, rows, "fk") == rel.name]
        return found[0] if len(found) == 1 else None

    def _effective_fields(self, model: Model) -> List[Dict[str, Any]]:
        out: Dict[str, Dict[str, Any]] = {}
        for parent in reversed(self._ancestors(model)):
            for f in parent.fields:
                out[f["name"]] = f
        for f in model.fields:
            out[f["name"]] = f
        return list(out.values())

    def _build(self) -> Dict[str, Dict[str, Relation]]:
        table: Dict[str, Dict[str, Relation]] = {}
        for model in self.models.values():
            orm = self.orm_of(model)
            if not orm:
                continue
            own = table.setdefault(model.qualname, {})
            for f in self._effective_fields(model):
                target = self._target(f.get("target"), model)
                kind = f["kind"]
                if kind == "rel":
                    lazy = f.get("lazy") or "select"
                    own[f["name"]] = Relation(f["name"], model.qualname, target, "rel", f.get("uselist") is not False, SQLA_LOAD, lazy == "select",
                                              dynamic=lazy == "dynamic")
                    if target and f.get("related_name"):
                        back = f.get("backref_lazy") or "select"
                        table.setdefault(target, {}).setdefault(
                            f["related_name"],
                            # the other side of a one-to-many is many-to-one, unless through a
                            # secondary (association) table
                            Relation(f["related_name"], target, model.qualname, "backref", bool(f.get("secondary")), SQLA_LOAD, back == "select"),
                        )
                    continue
                many = kind == "m2m"
                if kind == "gfk":
                    own[f["name"]] = Relation(f["name"], model.qualname, None, kind, False, PREFETCH_RELATED)
                    continue
                own[f["name"]] = Relation(f["name"], model.qualname, target, kind, many, PREFETCH_RELATED if many else SELECT_RELATED)
                if model.abstract or not target:
                    continue
                reverse = self._reverse_name(f, model, kind)
                if reverse:
                    table.setdefault(target, {}).setdefault(
                        reverse,
                        Relation(
                            reverse,
                            target,
                            model.qualname,
                            "reverse_" + kind,
                            kind != "o2o",
                            SELECT_RELATED if kind == "o2o" else PREFETCH_RELATED,
                        ),
                    )
        return table

    @staticmethod
    def _reverse_name(f: Dict[str, Any], model: Model, kind: str) -> Optional[str]:
        name = f.get("related_name")
        if f.get("has_related_name") or name is not None:
            if not name or name.endswith("+"):
                return None
            if "%(app_label)s" in name:
                return None
            return name.replace("%(class)s", model.name.lower())
        return model.name.lower() if kind == "o2o" else model.name.lower() + "_set"


def index_for_source(source: str, module: str = "", is_package: bool = False, extra: Sequence[Dict[str, Any]] = ()) -> ModelIndex:
    """The models one file defines (plus ``extra`` summaries from other files)."""
    own = summarize_models(source, module, is_package)
    others = [s for s in extra if s.get("module") != module]
    return ModelIndex([*others, own])


# --------------------------------------------------------------------------- project
#: Cheap pre-filter for project files: a file with none of these defines no model.
MODEL_MARKERS = ("models", "relationship", "Model", "__tablename__")
#: what the project index also reads: a module of manager classes only (``get_queryset``)
_INDEX_MARKERS = MODEL_MARKERS + ("get_queryset",)


def build_model_index(files: Sequence[str], read: Optional[Any] = None, cache: Any = None, words: Sequence[str] = ()) -> ModelIndex:
    """Models of a whole project: every ``.py`` file that mentions a model marker,
    summarised with ``ast``; unreadable files are skipped. ``cache`` (optional) has
    ``get(namespace, key)`` / ``put(namespace, key, value)``. ``words``: strings to look
    for in every file on the way (:attr:`ModelIndex.words_seen`; pre-filters ask "does
    the project use a database library at all"). With the run's file memo (a
    :class:`fftlint.cache.Cache` carries one) and no ``read``, what each file holds of
    the markers and words is remembered by its content hash: a warm run reads only the
    files that changed."""
    import hashlib

    from fftlint.engine.run import module_name_for
    from fftlint.filememo import memo_of

    memo = memo_of(cache) if read is None else None
    if read is None:
        from fftlint.engine.source import read as read_source

        def read(path: str) -> str:
            return read_source(path).text

    words = tuple(words)
    salt = f"{SUMMARY_VERSION}:{_INDEX_MARKERS!r}:{words!r}"
    summaries = []
    seen: Set[str] = set()
    everything = False  # an unreadable file: assume it says every word
    for path in files:
        if not path.endswith((".py", ".pyi")):
            continue
        text: Optional[str] = None
        try:
            if memo is not None:
                hits, marked = memo.derived("orm-scan", path, lambda data: _scan(_decoded(data, path), words), salt)
            else:
                text = read(path)
                hits, marked = _scan(text, words)
        except Exception:  # noqa: BLE001 - an unreadable file is reported by the linter itself
            everything = True
            continue
        seen.update(hits)
        if not marked:
            continue
        module, is_package = module_name_for(path)
        if memo is not None:  # by the bytes' hash: a cached summary needs no read
            content = "bytes:" + memo.digest(path)
        else:
            assert text is not None
            content = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        key = f"{SUMMARY_VERSION}:{module}:{int(is_package)}:{content}"
        summary = None
        if cache is not None:
            try:
                summary = cache.get("orm-models", key)
            except Exception:  # noqa: BLE001
                summary = None
        if summary is None:
            try:
                if text is None:
                    text = _decoded(memo.data(path), path) if memo is not None else read(path)
            except Exception:  # noqa: BLE001 - vanished since
                everything = True
                continue
            summary = summarize_models(text, module, is_package)
            if memo is not None:  # the hash of what was read (the file may have changed since)
                key = f"{SUMMARY_VERSION}:{module}:{int(is_package)}:bytes:{memo.digest(path)}"
            if cache is not None:
                try:
                    cache.put("orm-models", key, summary)
                except Exception:  # noqa: BLE001
                    pass
        if summary["models"] or summary.get("manager_defs"):
            summaries.append(summary)
    if everything:
        seen.update(words)
    index = ModelIndex(summaries)
    if words:
        index.words_seen = frozenset(seen)
    return index


def _decoded(data: bytes, path: str) -> str:
    from fftlint.engine.source import decode

    return decode(data, path).text


def _scan(text: str, words: Sequence[str]) -> Tuple[FrozenSet[str], bool]:
    """The ``words`` a file's text holds, and whether it mentions a model marker."""
    return frozenset(w for w in words if w in text), any(marker in text for marker in _INDEX_MARKERS)
