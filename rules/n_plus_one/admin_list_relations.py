"""FFT207: a Django admin changelist reads a relation per row that its queryset does not load."""

from __future__ import annotations

import ast
import dataclasses
from typing import Any, Dict, List, Optional, Set, Tuple

import libcst as cst

from fftlint.analysis.orm import PREFETCH_RELATED, SELECT_RELATED, Model
from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.rule import Invalid, Rule, replace
from fftlint.types import UNSAFE

from ._querysets import OPTIONS_KEY, NPlusOneOptions, Query, QueryLoopTracker, _apply_django, _returns, bare_select_covers, default_rows, unchain
from ._serializers import Read, _class_node

from ._django_version import DjangoVersionProvider
from .provider import OrmProvider
from ._row_reads import RowReader

#: Django's ModelAdmin, as a base written in the admin module resolves to it.
MODEL_ADMINS = frozenset(("django.contrib.admin.ModelAdmin", "django.contrib.admin.options.ModelAdmin"))
_REGISTER = frozenset(("django.contrib.admin.register", "django.contrib.admin.decorators.register"))
_SITES = frozenset(("django.contrib.admin.site", "django.contrib.admin.sites.site"))
#: Members that change what the changelist lists or loads in ways not read here.
_OPAQUE = frozenset(("get_queryset", "list_select_related", "get_list_select_related", "get_changelist", "get_changelist_instance", "get_list_display", "list_display"))
_MAX_DEPTH = 2

MODELS = (
    "from django.contrib import admin\n"
    "from django.db import models\n\n"
    "class Author(models.Model):\n"
    "    name = models.CharField(max_length=50)\n\n"
    "class Book(models.Model):\n"
    "    title = models.CharField(max_length=50)\n"
    "    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name='books')\n"
    "    tags = models.ManyToManyField('Tag')\n\n"
    "class Tag(models.Model):\n"
    "    label = models.CharField(max_length=20)\n\n"
)


def _const(node: cst.BaseExpression) -> Optional[str]:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _elements(node: cst.BaseExpression) -> Optional[List[cst.BaseExpression]]:
    if isinstance(node, (cst.Tuple, cst.List)) and not any(isinstance(e, cst.StarredElement) for e in node.elements):
        return [e.value for e in node.elements]
    return None


def _tuple(paths: List[str]) -> str:
    names = [f'"{p}"' for p in paths]
    return "(" + ", ".join(names) + ("," if len(names) == 1 else "") + ")"


class _Admin:
    """What one ModelAdmin class body says about its changelist."""

    def __init__(self, node: cst.ClassDef) -> None:
        self.node = node
        self.display: Optional[List[cst.BaseExpression]] = None
        self.display_stmt: Optional[cst.Assign] = None
        self.select: Any = False  # False | True | list of paths | None (unknown)
        self.select_node: Optional[cst.BaseExpression] = None
        self.get_queryset: Optional[cst.FunctionDef] = None
        self.opaque = False
        self.models: List[Model] = []
        for stmt in node.body.body if isinstance(node.body, cst.IndentedBlock) else ():
            if isinstance(stmt, cst.FunctionDef):
                name = stmt.name.value
                if name == "get_queryset":
                    self.get_queryset = stmt
                elif name in _OPAQUE:
                    self.opaque = True
                continue
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue
            for small in stmt.body:
                if not isinstance(small, cst.Assign) or len(small.targets) != 1 or not isinstance(small.targets[0].target, cst.Name):
                    continue
                target = small.targets[0].target.value
                if target == "list_display":
                    self.display = _elements(small.value)
                    self.display_stmt = small if self.display is not None else None
                    if self.display is None:
                        self.opaque = True
                elif target == "list_select_related":
                    self.select_node = small.value
                    if isinstance(small.value, cst.Name) and small.value.value in ("True", "False"):
                        self.select = small.value.value == "True"
                    else:
                        items = _elements(small.value)
                        paths = [_const(e) for e in items] if items is not None else None
                        self.select = paths if paths is not None and all(p is not None for p in paths) else None


class AdminListRelationPerRow(RowReader, QueryLoopTracker, Rule):
    """## What it does
    Checks for a Django `ModelAdmin` whose changelist reads, for every row it lists, a
    relation that the changelist's queryset does not load. The admin renders each
    `list_display` entry once per row; an entry reads a relation when it is:

    - a method of the admin (`def author_name(self, obj): return obj.author.name`, with
      or without `@admin.display`), or a method / `@property` of the model, whose body
      reads a forward relation (`obj.author.name`), a reverse or many-to-many collection
      (`obj.tags.all()`, `.count()`, `.exists()`) or runs a query on one
      (`obj.items.filter(...)`), also through a property or method of the model it
      calls (two levels);
    - `"__str__"`, or a foreign key shown as its target's `str()`, where that `__str__`
      reads a relation;
    - a `"author__name"` lookup (Django 5.1+), which follows the relation per row;
    - a foreign key named directly, when `list_select_related` is a tuple or list that
      does not name it.

    What the changelist loads is read as Django builds it: `list_select_related = True`
    (`select_related()`), a tuple / list (exactly those paths), or the default `False`,
    under which a foreign key named directly in `list_display` makes Django call
    `select_related()` without arguments, which follows forward foreign keys and
    one-to-ones that are not `null=True`, before Django 6.1; from 6.1 on it selects
    exactly the foreign keys named directly. A nullable foreign key named directly is
    therefore reported only when the project's declared requirement (`pyproject.toml`,
    `setup.cfg`, `setup.py`, `requirements*.txt` or a `*.dist-info/METADATA`, from the
    file's folder up) keeps Django below 6.1; otherwise only what neither version loads
    is reported. Plus what a `get_queryset(self,
    request)` override's single `return super().get_queryset(request)...` chain adds
    (`select_related`, `prefetch_related` with string paths), and what the model's
    default manager is known to load. The admin is matched to its model by
    `@admin.register(Model)` or `admin.site.register(Model, ModelAdmin)` in the same
    file. Silent when anything deciding the queryset or the columns cannot be read: a
    `get_queryset` doing anything else, a `get_list_display` / `get_list_select_related`
    / `get_changelist` override, a base class other than `ModelAdmin` (or a project
    base that sets any of those), a computed `list_display`, a custom default manager.
    `list_filter`, `search_fields` and `readonly_fields` are not read per row.

    ## Why is this bad?
    A changelist page of 100 books with an author column runs 101 queries: one for the
    page, one per row for its author. Admin pages are where such queries hide: the
    column is a method on another class, and the page still opens fast on a small
    development database.

    ## Example
    ```python
    @admin.register(Book)
    class BookAdmin(admin.ModelAdmin):
        list_display = ("title", "author_name")
        list_select_related = ("publisher",)

        def author_name(self, obj):
            return obj.author.name
    ```

    ## Use instead
    ```python
    @admin.register(Book)
    class BookAdmin(admin.ModelAdmin):
        list_display = ("title", "author_name")
        list_select_related = ("publisher", "author")

        def author_name(self, obj):
            return obj.author.name
    ```
    A collection read per row (`obj.tags.count()`) is loaded with
    `get_queryset(self, request)` returning
    `super().get_queryset(request).prefetch_related("tags")`, or the count annotated.

    ## Fix safety
    For a to-one path, the fix appends it to a literal `list_select_related` tuple or
    list, or adds `list_select_related = ("path", ...)` after `list_display` in a
    module-level admin class (naming every foreign key `list_display` names directly, so
    the ones Django loaded before are still loaded). It is **unsafe**: the changelist's
    SQL changes (a JOIN per path), and a relation name read statically can be contradicted
    at run time (Django then raises `FieldError`). No fix for a collection or a query per
    row: they need a `get_queryset` override or an annotation.
    """

    code = "FFT207"
    name = "admin-list-relation-per-row"
    message = "`{entry}` in `{admin}.list_display`: {what}, for each row of the changelist; {hint}"
    fix_title = "Load the relation with the changelist's queryset"
    requires = ("list_display",)
    Options = NPlusOneOptions
    options_key = OPTIONS_KEY
    needs_project = True
    providers = (OrmProvider, DjangoVersionProvider)
    tags = ("performance", "database", "n+1", "django-admin")
    contexts = PRODUCTION_ONLY  # admin.py serves users; a test admin does not

    VALID = [
        # a foreign key named directly: Django calls select_related() for it
        MODELS + "@admin.register(Book)\nclass BookAdmin(admin.ModelAdmin):\n    list_display = ('title', 'author')\n",
        # list_select_related covers the method's read
        MODELS + "@admin.register(Book)\nclass BookAdmin(admin.ModelAdmin):\n    list_display = ('title', 'author_name')\n    list_select_related = ('author',)\n\n"
        "    def author_name(self, obj):\n        return obj.author.name\n",
        # get_queryset prefetches the collection
        MODELS + "class AuthorAdmin(admin.ModelAdmin):\n    list_display = ('name', 'n_books')\n\n"
        "    def get_queryset(self, request):\n        return super().get_queryset(request).prefetch_related('books')\n\n"
        "    def n_books(self, obj):\n        return obj.books.count()\n\nadmin.site.register(Author, AuthorAdmin)\n",
        # the foreign key column and the row's own columns: no query
        MODELS + "@admin.register(Book)\nclass BookAdmin(admin.ModelAdmin):\n    list_display = ('title', 'info')\n\n"
        "    def info(self, obj):\n        return f'{obj.title} by {obj.author_id}'\n",
        # a get_queryset we cannot read may load anything
        MODELS + "@admin.register(Book)\nclass BookAdmin(admin.ModelAdmin):\n    list_display = ('title', 'author_name')\n\n"
        "    def get_queryset(self, request):\n        return optimise(super().get_queryset(request))\n\n"
        "    def author_name(self, obj):\n        return obj.author.name\n",
    ]
    INVALID = [
        Invalid(
            MODELS + "@admin.register(Book)\nclass BookAdmin(admin.ModelAdmin):\n    list_display = ('title', 'author_name')\n\n"
            "    def author_name(self, obj):\n        return obj.author.name\n",
            message_contains='list_select_related = ("author",)',
            fixed=MODELS + "@admin.register(Book)\nclass BookAdmin(admin.ModelAdmin):\n    list_display = ('title', 'author_name')\n"
            "    list_select_related = (\"author\",)\n\n"
            "    def author_name(self, obj):\n        return obj.author.name\n",
            safety=UNSAFE,
        ),
        Invalid(
            MODELS + "class AuthorAdmin(admin.ModelAdmin):\n    list_display = ('name', 'n_books')\n\n"
            "    def n_books(self, obj):\n        return obj.books.count()\n\nadmin.site.register(Author, AuthorAdmin)\n",
            message_contains='prefetch_related("books")',
        ),
        # a tuple that does not name the path: extended
        Invalid(
            MODELS + "@admin.register(Book)\nclass BookAdmin(admin.ModelAdmin):\n    list_display = ('title', 'author__name')\n    list_select_related = []\n",
            message_contains="author",
            fixed=MODELS + "@admin.register(Book)\nclass BookAdmin(admin.ModelAdmin):\n    list_display = ('title', 'author__name')\n    list_select_related = [\"author\"]\n",
            safety=UNSAFE,
        ),
    ]

    @classmethod
    def could_match(cls, view: Any) -> bool:
        """A class body assigning ``list_display``."""
        for node in view.nodes(ast.ClassDef):
            for stmt in node.body:
                if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "list_display" for t in stmt.targets):
                    return True
        return False

    def __init__(self, ctx: Any, options: Any = None) -> None:
        super().__init__(ctx, options)
        self._admins: Dict[str, _Admin] = {}
        self._registered: List[Tuple[str, cst.BaseExpression]] = []  # (admin class name, model expr)

    # -- collecting -------------------------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if self.ctx.stack.frames and any(f.kind != "module" for f in self.ctx.stack.frames):
            return  # admins are module-level classes
        if not self._is_model_admin(node):
            return
        admin = _Admin(node)
        if admin.display is None or admin.opaque:
            return
        self._admins[node.name.value] = admin
        for deco in node.decorators:
            call = deco.decorator
            if isinstance(call, cst.Call) and self.ctx.names.resolve(call.func) in _REGISTER:
                for arg in call.args:
                    if arg.keyword is None and not arg.star:
                        self._registered.append((node.name.value, arg.value))

    def _is_model_admin(self, node: cst.ClassDef) -> bool:
        project = self.ctx.project
        if len(node.bases) != 1:
            return False
        for value in self.ctx.names.values(node.bases[0].value):
            if not isinstance(value, str):
                return False
            if value in MODEL_ADMINS:
                return True
            cls = project.class_facts(value) if project is not None and hasattr(project, "class_facts") else None
            if cls is None:
                return False
            mro = project.mro(cls)
            for klass in mro:
                if isinstance(klass, str):
                    if klass not in MODEL_ADMINS and klass != "object":
                        return False
                    continue
                if any(name in klass.methods or name in klass.attributes for name in _OPAQUE):
                    return False
            return any(isinstance(k, str) and k in MODEL_ADMINS for k in mro)
        return False

    def visit_Call(self, node: cst.Call) -> None:
        """``admin.site.register(Model, ModelAdmin)`` (a list of models too)."""
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value != "register" or self.ctx.stack.function is not None:
            return
        if self.ctx.names.resolve(func.value) not in _SITES:
            return
        args = [a for a in node.args if a.keyword is None and not a.star]
        if len(args) != 2 or not isinstance(args[1].value, cst.Name):
            return
        models = _elements(args[0].value) or [args[0].value]
        for model in models:
            self._registered.append((args[1].value.value, model))

    def leave_Module(self, node: cst.Module) -> None:
        done: Set[str] = set()
        for admin_name, expr in self._registered:
            admin = self._admins.get(admin_name)
            model = self.qa.model_of(expr)
            if admin is None or model is None or self.qa.index.orm_of(model) != "django":
                continue
            done.add(admin_name)
            self._check(admin, model)
        for admin_name, admin in self._admins.items():
            if admin_name in done:
                continue
            for qualname in self._registered_in_package(admin_name):
                model = self.qa.index.find(qualname, near=self.ctx.module_name)
                if model is not None and self.qa.index.orm_of(model) == "django":
                    self._check(admin, model)

    def _registered_in_package(self, admin_name: str) -> List[str]:
        """Models the enclosing package's ``__init__`` registers with this module's admin
        class (``admin/__init__.py``: ``admin.site.register(Folder, FolderAdmin)``)."""
        project = self.ctx.project
        module = self.ctx.module_name or ""
        if project is None or not hasattr(project, "module_facts") or "." not in module or getattr(self.ctx, "is_package", False):
            return []
        parent = module.rsplit(".", 1)[0]
        project.depends_on(parent)
        facts = project.module_facts(parent) if project.summary_of(parent) is not None else None
        if facts is None:
            return []
        wanted = f"{module}.{admin_name}"
        out: List[str] = []
        for stmt in facts.tree.body if hasattr(facts, "tree") else ():
            call = stmt.value if isinstance(stmt, ast.Expr) else None
            if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute) or call.func.attr != "register":
                continue
            if len(call.args) != 2 or call.keywords:
                continue
            ordinal = facts.ordinal_of(stmt)
            def one(expr: ast.AST) -> Optional[str]:
                values = [v for v in project.resolve(facts.values(expr, ordinal)) if isinstance(v, str) and v not in ("?", "None")]
                return values[0] if len(values) == 1 else None
            if one(call.func.value) not in _SITES or one(call.args[1]) != wanted:
                continue
            first = call.args[0]
            for expr in first.elts if isinstance(first, (ast.List, ast.Tuple)) else [first]:
                name = one(expr)
                if name:
                    out.append(name)
        return out

    # -- what the changelist loads ---------------------------------------------------
    def _loaded(self, admin: _Admin, model: Model, direct_fk: bool) -> Optional[Query]:
        index = self.qa.index
        q = default_rows(index, model, "the changelist")
        if q is None:
            return None
        if admin.select is None:
            return None
        if admin.select is True or admin.select is False and direct_fk:
            q.select_all = True
        elif isinstance(admin.select, list):
            q.select_related.update(admin.select)
        if admin.get_queryset is not None:
            rest = self._super_chain(admin.get_queryset)
            if rest is None:
                return None
            got = _apply_django(q, rest)
            if got is None or got.custom or got.loads_unknown or got.terminal is not None:
                return None
            q = got
        return q

    def _super_chain(self, fn: cst.FunctionDef) -> Optional[list]:
        """The links a ``get_queryset`` adds to ``super().get_queryset(request)``: its
        single ``return`` is that chain, or a name assigned it once."""
        returns = _returns(fn)
        if len(returns) != 1:
            return None
        root, links = unchain(returns[0])
        if isinstance(root, cst.Name) and root.value != "super":
            from fftlint.engine.walk import descendants

            assigned = [
                n for n in descendants(fn.body, into_scopes=False)
                if isinstance(n, (cst.Assign, cst.AugAssign, cst.AnnAssign))
                and any(isinstance(t, cst.Name) and t.value == root.value for t in ([x.target for x in n.targets] if isinstance(n, cst.Assign) else [n.target]))
            ]
            if len(assigned) != 1 or not isinstance(assigned[0], cst.Assign) or len(assigned[0].targets) != 1:
                return None
            inner_root, inner = unchain(assigned[0].value)
            root, links = inner_root, inner + links
        if not (isinstance(root, cst.Name) and root.value == "super" and len(links) >= 3):
            return None
        if links[0].kind != "call" or links[1].kind != "attr" or links[1].name != "get_queryset" or links[2].kind != "call":
            return None
        return links[3:]

    def _entry_reads(self, admin: _Admin, model: Model, entry: str) -> Tuple[List[Read], bool]:
        """(what entry ``entry`` reads per row, whether it is a foreign key named directly)."""
        index = self.qa.index
        if entry == "__str__":
            return [Read(entry, r.path, r.loader, f"`str(obj)` reads `{r.how}`") for r in self._member(model, "__str__", 1)], False
        rel = index.relation(model, entry)
        if rel is not None:
            if rel.many or rel.kind == "gfk" or rel.loader != SELECT_RELATED:
                return [], False
            target = index.models.get(rel.target or "")
            reads = [Read(entry, entry, SELECT_RELATED, f"renders `str(obj.{entry})`")]
            if target is not None:
                reads += [Read(entry, f"{entry}__{r.path}", r.loader, f"renders `str(obj.{entry})`, which reads `{r.how}`") for r in self._member(target, "__str__", 1)]
            return reads, rel.kind in ("fk", "o2o")
        if "__" in entry:
            current: Optional[Model] = model
            path: List[str] = []
            for part in entry.split("__"):
                found = index.relation(current, part) if current is not None else None
                if found is None:
                    break
                if found.many or found.loader != SELECT_RELATED:
                    return [], False
                path.append(found.name)
                current = index.models.get(found.target or "")
            if path:
                return [Read(entry, "__".join(path), SELECT_RELATED, f"follows `{'.'.join(path)}`")], False
            return [], False
        own = getattr(self.ctx.names, "facts", None)
        prefix = f"{own.module}." if own is not None and own.module else ""
        fn = self._method(_class_node(own, prefix + admin.node.name.value) if own is not None else None, entry)
        if fn is not None:
            return [Read(entry, r.path, r.loader, f"{'runs' if r.loader == 'query' else 'reads'} `{r.how}`") for r in self._reads(fn, 1, model, 0)], False
        project = self.ctx.project
        cls = project.class_facts(model.qualname) if project is not None and hasattr(project, "class_facts") else None
        if cls is not None and entry in cls.methods:
            return [Read(entry, r.path, r.loader, f"{'runs' if r.loader == 'query' else 'reads'} `{r.how}`") for r in self._member(model, entry, 1)], False
        return [], False

    # -- the check --------------------------------------------------------------------
    def _check(self, admin: _Admin, model: Model) -> None:
        assert admin.display is not None
        entries: List[Tuple[cst.BaseExpression, str, List[Read]]] = []
        direct: List[str] = []
        for node in admin.display:
            entry = _const(node)
            if entry is None:
                continue
            reads, is_fk = self._entry_reads(admin, model, entry)
            if is_fk:
                direct.append(entry)
            entries.append((node, entry, reads))
        query = self._loaded(admin, model, bool(direct))
        if query is None:
            return
        bare = query.select_all
        query = dataclasses.replace(query, select_all=False)  # what it names; bare covers per hop below
        # Django < 6.1 answers ``list_select_related = False`` with a bare select_related()
        # (non-null FKs, recursively); 6.1 selects exactly the FKs named directly. Unless
        # the project's requirement keeps it below 6.1, a read is reported only when
        # neither loads it.
        old_django = bare and admin.select is False and self._before_6_1()
        named = set(direct) if bare and admin.select is False and not old_django else set()
        missing: List[Tuple[cst.BaseExpression, str, Read]] = []
        for node, entry, reads in entries:
            for read in reads:
                if read.loader == "query" or not (query.covers(read.path) or bare and read.loader == SELECT_RELATED and (self._bare_covers(model, read.path) or read.path in named)):
                    missing.append((node, entry, read))
        select_paths: List[str] = []
        for _, _, read in missing:
            if read.loader == SELECT_RELATED and read.path not in select_paths:
                select_paths.append(read.path)
        select_paths = [p for p in select_paths if not any(o != p and o.startswith(p + "__") for o in select_paths)]
        every = [r.path for _, _, reads in entries for r in reads if r.loader == SELECT_RELATED]
        fix = self._fix(admin, direct, select_paths, every)
        seen: Set[Tuple[str, str, str]] = set()
        short = admin.node.name.value
        for node, entry, read in missing:
            key = (entry, read.path, read.loader)
            if key in seen:
                continue
            seen.add(key)
            if read.loader == SELECT_RELATED:
                if read.path not in select_paths:
                    continue  # a longer path's select_related loads it too
                if isinstance(admin.select, list):
                    hint = f'add `"{read.path}"` to `list_select_related`'
                else:
                    hint = f"set `list_select_related = {_tuple(self._wanted(direct, every, select_paths))}`"
                what = f"{read.how}, loading `{read.path}`"
                if old_django:
                    what += " (the project requires Django before 6.1, whose `select_related()` for the foreign keys named in `list_display` skips nullable ones)"
                self.report(node, entry=entry, admin=short, what=what, hint=hint, fix=fix)
            elif read.loader == PREFETCH_RELATED:
                hint = f'return `super().get_queryset(request).prefetch_related("{read.path}")` from `get_queryset` (or annotate the value)'
                self.report(node, entry=entry, admin=short, what=f"{read.how}, loading `{read.path}`", hint=hint)
            else:
                hint = "annotate the value in `get_queryset` (`annotate(Count(...))`) or prefetch it with `Prefetch(..., to_attr=...)`"
                self.report(node, entry=entry, admin=short, what=f"runs a query ({read.how})", hint=hint)

    @staticmethod
    def _wanted(direct: List[str], every: List[str], paths: List[str]) -> List[str]:
        wanted: List[str] = []
        for p in list(direct) + list(every) + list(paths):
            if p not in wanted:
                wanted.append(p)
        return [p for p in wanted if not any(o != p and o.startswith(p + "__") for o in wanted)]

    def _before_6_1(self) -> bool:
        provider = self.ctx.provider(DjangoVersionProvider.name) if hasattr(self.ctx, "provider") else None
        return isinstance(provider, DjangoVersionProvider) and provider.before(self.ctx.path, (6, 1)) is True

    def _bare_covers(self, model: Model, path: str) -> bool:
        return bare_select_covers(self.qa.index, model, path)

    def _fix(self, admin: _Admin, direct: List[str], paths: List[str], every: List[str]) -> Any:
        if not paths:
            return None
        if isinstance(admin.select, list) and isinstance(admin.select_node, (cst.Tuple, cst.List)):
            items = [self.ctx.code_for(e.value) for e in admin.select_node.elements] + [f'"{p}"' for p in paths if p not in admin.select]
            if isinstance(admin.select_node, cst.List):
                text = "[" + ", ".join(items) + "]"
            else:
                text = ", ".join(items) + ("," if len(items) == 1 else "")
                if not admin.select_node.lpar:
                    text = "(" + text + ")"  # the node's span leaves its parentheses out
            return replace(admin.select_node, text, safety=UNSAFE, title=f"Add {', '.join(repr(p) for p in paths)} to `list_select_related`")
        if admin.select is not False or admin.display_stmt is None or not isinstance(admin.node.body, cst.IndentedBlock) or admin.node not in self.ctx.module.body:
            # the indentation written is the class body's own: a class at the module's top level
            return None
        # the tuple replaces the select_related() Django called for a foreign key named
        # directly: it names every to-one path the entries read, so none is lost
        text = _tuple(self._wanted(direct, every, paths))
        indent = admin.node.body.indent if admin.node.body.indent is not None else self.ctx.module.default_indent
        code = self.ctx.code_for(admin.display_stmt)
        return replace(admin.display_stmt, f"{code}\n{indent}list_select_related = {text}", safety=UNSAFE, title=f"Set `list_select_related = {text}`")
