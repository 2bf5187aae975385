"""FFT202: a lazily loaded relation read on every row of a query, without prefetching."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Set, Tuple

import libcst as cst

from fftlint.analysis.orm import PREFETCH_RELATED, SELECT_RELATED, SQLA_LOAD
from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.facts.bindings import own_nodes as _own_nodes
from fftlint.rule import Invalid, RelatedNode, Rule, replace
from fftlint.types import UNSAFE

from ._prefilter import lazy_relation_could_match
from ._querysets import OPTIONS_KEY, REQUIRES_LAZY_RELATION, LoopVar, NPlusOneOptions, QueryLoopTracker, catalog, collection_loops, runs_at_most_once, short_code
from .provider import OrmProvider

MODELS = (
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
SQLA = (
    "from sqlalchemy import ForeignKey\n"
    "from sqlalchemy.orm import DeclarativeBase, relationship\n\n"
    "class Base(DeclarativeBase):\n"
    "    pass\n\n"
    "class User(Base):\n"
    "    __tablename__ = 'users'\n"
    "    addresses = relationship('Address', back_populates='user')\n"
    "    orders = relationship('Order', lazy='selectin')\n\n"
    "class Address(Base):\n"
    "    __tablename__ = 'addresses'\n"
    "    user = relationship('User', back_populates='addresses')\n\n"
    "class Order(Base):\n"
    "    __tablename__ = 'orders'\n\n"
)


#: Django's own model methods: a write or a validation per row, not a read of a relation
_NOT_FOLLOWED = frozenset(("save_base", "full_clean", "clean", "clean_fields", "validate_unique", "validate_constraints"))


class LazyRelationInLoop(QueryLoopTracker, Rule):
    """## What it does
    Checks for a loop over the rows of a query that reads a related object or
    collection which the query did not load:

    - Django: `book.author` (a forward `ForeignKey` / `OneToOneField`) when the queryset
      has no `select_related("author")`; `author.books.all()` / `.count()` / `.exists()`
      (a reverse `ForeignKey` or a `ManyToManyField`) without `prefetch_related("books")`;
      nested paths (`book.author.publisher`) likewise; and a `@property` or a method of
      the model (its own class, in any module) whose body reads a forward relation of
      `self` (`return self.author.name`): `book.author_name` / `book.label()` loads the
      author per row; so does a row (or a to-one relation of it) shown as text, `str(book)`,
      `f"{book}"`, `"{}".format(book)`, `"%s" % book`, when the model's own `__str__`
      reads a forward relation; and so does a project function given the row
      (`department_of(emp)` whose body reads `employee.team.department`, in any module;
      one function the call resolves to, a parameter it never rebinds). Reads in a lambda or nested function of the member (a fallback
      called later) are not followed; a member reading a Django to-many relation runs a
      query: FFT203.
    - SQLAlchemy: `user.addresses` on a lazily loaded `relationship()` when the query has no
      `options(selectinload(User.addresses))` / `joinedload(...)`, read in the loop or in
      a property or method of the model (`run.to_entity()` reading `self.tags`); a chained
      loader loads the path (`selectinload(User.addresses).joinedload(Address.city)`
      serves `address.city` in a loop over `user.addresses`).

    Relations are read from the model classes, in the same file or (when the project index
    is available) anywhere in the project, including `GenericForeignKey`s
    (`content_object`, loaded by `prefetch_related`). The user model is what
    `settings.AUTH_USER_MODEL` and `get_user_model()` name, read without settings: the
    project's one concrete subclass of `AbstractUser` / `AbstractBaseUser`, else Django's
    `auth.User` (with the reverse relations of every foreign key to it); with several,
    unknown. Without model knowledge the rule stays silent. A custom manager whose `get_queryset` is one plain chain on
    `super().get_queryset()` (filters, orderings, annotations, `select_related` /
    `prefetch_related` with string paths) or on a fresh queryset of the manager's model
    (`PageQuerySet(self.model, using=self._db)`) loads what that chain names, and no
    more, whether the manager class is in the model's module or imported from another
    module of the project (`objects = PageManager()` from `cms.models.managers`); one
    whose `get_queryset` does anything else (a branch, a `Prefetch`, a helper), or a class
    no project module defines at its top level, may load anything: silent. Loops over `values()` /
    `values_list()` and loaders that cannot be read (`Prefetch(..., queryset=...)`,
    non-literal arguments) are not reported. A column the rows' queryset defers
    (`defer("rate")`, or left out of `only(...)`: a name the model class assigns a
    `...Field()`, or a foreign key's `_id`) read per row loads with one query per
    row: reported too. Nor is the foreign key back to a related
    manager's owner (`for book in author.books.all(): book.author`): Django hands every
    row that manager loads the owner instance, no query.

    The rows may come from a query written in the loop, a name bound to one, `self.qs`,
    `self.get_queryset()`, a helper's return value in any module (`open_loans()`,
    `rooms_query(db).all()`, a repository method), `list(qs)` / `sorted(qs, key=...)` (in the
    loop or bound to a name first), `session.scalars(stmt)` with
    `stmt` built elsewhere, a related manager of one instance the function fetched
    with a chain that prefetches nothing (`cart = Cart.objects.get(pk=pk)` or Django's
    `get_object_or_404(Cart, pk=pk)`, then `for line in cart.lines.all()`, also through a
    name bound once, `lines = cart.lines.all()`; or the `instance` a model signal's
    receiver gets, `@receiver(post_save, sender=Pet)`: one row Django saved or deleted;
    the signed-in user, `request.user` of a view function's `request` parameter or
    `self.request.user` in a Django / DRF class-based view, also through `user = request.user`:
    the user model's row the authentication middleware fetched; the object of a
    `DetailView` / `UpdateView` / `DeleteView` that declares only `model = X`,
    `self.object` or `self.get_object()`: a view that declares its queryset, or has a base
    we cannot read, decides what its object loads; an owner of unknown origin may have
    been prefetched: silent), custom queryset
    methods that return querysets,
    `itertools.chain(qs1.iterator(), qs2)` of querysets of one model (a row loads what every
    part loads), and an unannotated parameter that the calls of its function in the same
    module fill with querysets (`queue_titles(Ticket.objects.filter(...))`: what all those
    calls pass, loading what any of them loads; a call in another module, through
    `*args` / `**kwargs` or in a comprehension is not followed, and the fix is left to
    the caller), and the `queryset` of a Django admin action (a method named in the
    admin's `actions` or decorated `@admin.action`: the selected rows of the model the
    admin is registered for in its module, loading what its default manager loads;
    unknown when the admin overrides `get_queryset`). A query passed through a project
    helper that hands back what it is given, narrowed, keeps its rows and loads (`qs = sort_queryset(qs, request)`,
    `stmt = self._apply_filters(stmt, f)`, in any module: every `return` of the helper
    gives its parameter or a chain of query methods on it, through local names assigned
    only such chains or through another such helper; a loader on any of its paths counts
    as loading; one path returning anything else, or falling off the end, and it is not
    followed). What a
    query built in another module loads is read from the facts layer: a Django
    `select_related` / `prefetch_related` with string paths there loads those paths, a bare
    `select_related()` the foreign keys that are not nullable (Django's rule, up to five
    hops), any other argument (a `Prefetch`, a name) anything (silent); a SQLAlchemy
    `options(selectinload(...))` loads what it names. Rows of unknown origin (a
    parameter no call in its module fills, an annotated list of instances) may have been
    loaded by the caller: silent.
    Loops that use a relation only on their first row (`break` / `return` after it) are
    not reported.

    ## Why is this bad?
    Each lazy access is a separate query: a loop over *N* rows runs *N + 1* queries.
    `select_related` loads to-one relations in the same query with a JOIN;
    `prefetch_related` / `selectinload` load a collection for all rows with one extra query.

    ## Example
    ```python
    for book in Book.objects.filter(published=True):
        print(book.title, book.author.name)
    ```

    ## Use instead
    ```python
    for book in Book.objects.filter(published=True).select_related("author"):
        print(book.title, book.author.name)
    ```

    ## Fix safety
    The fix appends `.select_related("path")` / `.prefetch_related("path")` (Django) or
    `.options(selectinload(Model.attr))` (SQLAlchemy `session.query`) to the query written
    in the `for` statement. It is **unsafe**: the rows and their values are the same, but the
    SQL changes (a JOIN, or one extra query loading every related row at once, which can
    use much more memory for large collections), related rows are read when the loop
    starts rather than when each is first accessed, and the relation names come from a
    static reading of the models that a runtime override (a property, a custom manager)
    can contradict, in which case Django raises `FieldError`. The fix edits the query
    where it is built: in the `for` statement, in the only assignment of the name the loop
    iterates, or in the only `return` of the function of this file that builds it
    (`self.get_queryset()`); never another file. No fix is offered when the query uses
    `only()`/`defer()`, slicing, `iterator()`, set operations, custom managers or
    methods, or is built in another file or over several statements.
    """

    code = "FFT202"
    contexts = PRODUCTION_ONLY  # tests fetch fixture rows; migrations and scripts run once
    name = "lazy-relation-in-loop"
    message = "{access} loads {what} with one query per row of {query}; {hint}"
    fix_title = "Load the relation with the query"
    requires = REQUIRES_LAZY_RELATION
    Options = NPlusOneOptions
    options_key = OPTIONS_KEY
    needs_project = True  # the project's facts (its provider's)
    providers = (OrmProvider,)
    tags = ("performance", "database", "n+1")

    @classmethod
    def could_match(cls, view) -> bool:  # type: ignore[no-untyped-def]
        return lazy_relation_could_match(view, cls)

    VALID = [
        MODELS + "for book in Book.objects.select_related('author'):\n    print(book.author.name)\n",
        MODELS + "for book in Book.objects.all().select_related():\n    print(book.author.name)\n",
        MODELS + "for a in Author.objects.prefetch_related('books'):\n    print(a.books.count(), list(a.books.all()))\n",
        MODELS + "from django.db.models import Prefetch\nfor a in Author.objects.prefetch_related(Prefetch('books')):\n    print(a.books.all())\n",
        # the foreign key column is on the row: no query
        MODELS + "for book in Book.objects.all():\n    print(book.author_id, book.title)\n",
        # values() / values_list() rows are dicts / tuples
        MODELS + "for row in Book.objects.values('author__name'):\n    print(row['author__name'])\n",
        # not a queryset: a plain list of objects with the same attribute names
        MODELS + "for book in load_from_cache():\n    print(book.author.name)\n",
        # assigning the relation does not read it
        MODELS + "for book in Book.objects.all():\n    book.author = default_author\n",
        # unknown models (no model information): silent
        "for book in Book.objects.all():\n    print(book.author.name)\n",
        # a loader we cannot read: assume it covers
        MODELS + "for book in Book.objects.select_related(*fields):\n    print(book.author.name)\n",
        # custom queryset methods may select_related themselves
        MODELS + "for book in Book.objects.with_authors():\n    print(book.author.name)\n",
        # the loop variable is rebound before the access
        MODELS + "for book in Book.objects.all():\n    book = cache[book.pk]\n    print(book.author.name)\n",
        # SQLAlchemy: eager relationship, or loaded with options()
        SQLA + "for u in session.query(User):\n    print(u.orders)\n",
        SQLA + "from sqlalchemy.orm import selectinload\nfor u in session.query(User).options(selectinload(User.addresses)):\n    print(u.addresses)\n",
        # a nested function runs later, not per row
        MODELS + "for book in Book.objects.all():\n    def show():\n        return book.author.name\n",
        # a helper's queryset that loads the relation itself
        MODELS + "def with_authors():\n    return Book.objects.filter(title='x').select_related('author')\n\nfor b in with_authors():\n    print(b.author.name)\n",
        # rows of unknown origin (an unannotated argument): whether they were prefetched is unknown
        MODELS + "def show(books):\n    for b in books:\n        print(b.author.name)\n",
        # rows of an annotated list: the caller may have loaded the relation
        MODELS + "from typing import List\ndef show(books: List[Book]):\n    for b in books:\n        print(b.author.name)\n",
    ]
    INVALID = [
        # a queryset in redundant parentheses (with a comment): the addition goes inside
        Invalid(
            MODELS + "for book in (  # the A shelf\n    Book.objects.filter(title__startswith='A')\n):\n    print(book.author.name)\n",
            fixed=MODELS
            + "for book in (  # the A shelf\n    Book.objects.filter(title__startswith='A').select_related(\"author\")\n):\n    print(book.author.name)\n",
            safety=UNSAFE,
        ),
        Invalid(
            MODELS + "for book in Book.objects.filter(title__startswith='A'):\n    print(book.author.name)\n",
            line=15,
            column=11,
            message_contains='select_related("author")',
            fixed=MODELS
            + "for book in Book.objects.filter(title__startswith='A').select_related(\"author\"):\n    print(book.author.name)\n",
            safety=UNSAFE,
        ),
        Invalid(
            MODELS + "for a in Author.objects.all():\n    print(a.name, a.books.count())\n",
            message_contains='prefetch_related("books")',
            fixed=MODELS + "for a in Author.objects.all().prefetch_related(\"books\"):\n    print(a.name, a.books.count())\n",
            safety=UNSAFE,
        ),
        Invalid(
            MODELS + "for b in Book.objects.select_related('author'):\n    print([t.label for t in b.tags.all()])\n",
            fixed=MODELS
            + "for b in Book.objects.select_related('author').prefetch_related(\"tags\"):\n    print([t.label for t in b.tags.all()])\n",
            safety=UNSAFE,
        ),
        # two relations: two reports, both fixed (one per --fix pass)
        Invalid(
            MODELS + "for b in Book.objects.all():\n    print(b.author.name, b.tags.count(), b.author.pk)\n",
            count=2,
            fixed=MODELS
            + "for b in Book.objects.all().select_related(\"author\").prefetch_related(\"tags\"):\n    print(b.author.name, b.tags.count(), b.author.pk)\n",
            safety=UNSAFE,
        ),
        # a comprehension, a name bound to a queryset (reported, no fix: not in the for)
        Invalid(MODELS + "names = [b.author.name for b in Book.objects.all()]\n", count=1),
        # the fix goes where the query is built: the one assignment of the name ...
        Invalid(
            MODELS + "books = Book.objects.filter(title='x')\nfor b in books:\n    print(b.author)\n",
            count=1,
            fixed=MODELS + "books = Book.objects.filter(title='x').select_related(\"author\")\nfor b in books:\n    print(b.author)\n",
            safety=UNSAFE,
        ),
        # ... or the one ``return`` of the function of this file that builds it
        Invalid(
            MODELS + "def recent():\n    return Book.objects.filter(title='x')\n\ndef show():\n    for b in recent():\n        print(b.author.name)\n",
            count=1,
            fixed=MODELS + "def recent():\n    return Book.objects.filter(title='x').select_related(\"author\")\n\ndef show():\n    for b in recent():\n        print(b.author.name)\n",
            safety=UNSAFE,
        ),
        # a name assigned twice: reported, the fix would not know which to edit
        Invalid(
            MODELS + "def f(flag):\n    books = Book.objects.all()\n    if flag:\n        books = Book.objects.filter(title='x')\n    for b in books:\n        print(b.author)\n",
            count=1,
        ),
        # a helper's queryset: what it loads is read from its chain
        Invalid(
            MODELS + "def with_authors():\n    return Book.objects.select_related('author')\n\nfor b in with_authors():\n    print(b.author.name, b.tags.count())\n",
            count=1,
            message_contains='prefetch_related("tags")',
            fixed=MODELS + "def with_authors():\n    return Book.objects.select_related('author').prefetch_related(\"tags\")\n\nfor b in with_authors():\n    print(b.author.name, b.tags.count())\n",
            safety=UNSAFE,
        ),
        # nested loop over a relation: prefetch the path from the outer query
        Invalid(
            MODELS + "for a in Author.objects.prefetch_related('books'):\n    for b in a.books.all():\n        print(b.tags.count())\n",
            message_contains="books__tags",
            fixed=MODELS
            + "for a in Author.objects.prefetch_related('books').prefetch_related(\"books__tags\"):\n    for b in a.books.all():\n        print(b.tags.count())\n",
            safety=UNSAFE,
        ),
        # only() forbids select_related of a deferred field: reported, no fix
        Invalid(MODELS + "for b in Book.objects.only('title'):\n    print(b.author.name)\n", count=1),
        Invalid(
            SQLA + "for u in session.query(User).filter(User.active):\n    print(len(u.addresses))\n",
            message_contains="selectinload(User.addresses)",
            fixed=SQLA.replace("relationship\n", "relationship\nimport sqlalchemy.orm\n", 1)
            + "for u in session.query(User).filter(User.active).options(sqlalchemy.orm.selectinload(User.addresses)):\n    print(len(u.addresses))\n",
            safety=UNSAFE,
        ),
        Invalid(
            SQLA + "from sqlalchemy.orm import selectinload\nfor a in session.query(Address).all():\n    print(a.user.id)\n",
            fixed=SQLA
            + "from sqlalchemy.orm import selectinload\nfor a in session.query(Address).options(selectinload(Address.user)).all():\n    print(a.user.id)\n",
            safety=UNSAFE,
        ),
        Invalid(SQLA + "from sqlalchemy import select\nfor u in session.scalars(select(User)):\n    print(u.addresses)\n", count=1),
    ]

    def __init__(self, ctx, options=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx, options)
        self._done: Set[int] = set()
        self._stores: Set[int] = set()
        self._member_reads: Dict[Tuple[str, str], list] = {}  # (model, member) -> its relation reads of self

    def visit_Assign(self, node: cst.Assign) -> None:
        super().visit_Assign(node)
        for target in node.targets:
            self._stores.add(id(target.target))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if id(node) in self._done or not self.ctx.stack.loops:
            return
        chain: List[cst.Attribute] = []
        cur: cst.BaseExpression = node
        while isinstance(cur, cst.Attribute):
            chain.append(cur)
            self._done.add(id(cur))
            cur = cur.value
        if not isinstance(cur, cst.Name):
            return
        var = self.loop_var(cur.value)
        if var is None or var.model is None:
            return
        chain.reverse()  # innermost first: book.author, book.author.name, ...
        self._walk(var, chain, id(node) in self._stores)

    def _walk(self, var: LoopVar, chain: List[cst.Attribute], store: bool) -> None:
        index = self.qa.index
        model = var.model
        path = var.prefix
        to_one = var.prefix_to_one
        cached = set(catalog()["django"]["prefetch_cached"])
        manager = var.query.related
        back = index.back_field(manager) if manager is not None else None
        for k, node in enumerate(chain):
            if model is None:
                return
            if k == 0 and back is not None and node.attr.value == back:
                return  # ``for book in author.books.all(): book.author``: the manager's own instance
            rel = index.relation(model, node.attr.value)
            if rel is None:
                if not (k == len(chain) - 1 and store):
                    if k == 0 and self._deferred(var, node):
                        return
                    self._through_member(var, node, model, path, "property")
                return
            last = k == len(chain) - 1
            if last and store:
                return
            step = f"{path}__{rel.name}" if path else rel.name
            if rel.loader == SQLA_LOAD:
                if rel.lazy and not var.root_query.covers(step):
                    self._found(var, node, rel, step, False)
                if rel.many:
                    return
            else:
                if rel.many:
                    nxt = chain[k + 1].attr.value if not last else None
                    if nxt not in cached:
                        return  # .filter() on a related manager: FFT201's business
                if not var.root_query.covers(step):
                    self._found(var, node, rel, step, to_one and rel.loader == SELECT_RELATED)
                if rel.many:
                    return
            to_one = to_one and rel.loader != PREFETCH_RELATED
            path = step
            model = index.models.get(rel.target or "")

    def visit_Call(self, node: cst.Call) -> None:
        """``row.display()``: a method of the row's model called per row; ``str(row)`` and
        ``"...".format(row)``: its ``__str__``."""
        func = node.func
        if not self.ctx.stack.loops:
            return
        if isinstance(func, cst.Name) and func.value == "str" and len(node.args) == 1 and self.ctx.names.resolve(func) == "str":
            self._text_of(node.args[0].value, node)
            return
        if isinstance(func, cst.Attribute) and func.attr.value == "format" and isinstance(func.value, (cst.SimpleString, cst.ConcatenatedString)):
            for arg in node.args:
                if not arg.star:
                    self._text_of(arg.value, node)
            return
        self._row_arguments(node)
        if not isinstance(func, cst.Attribute) or not isinstance(func.value, cst.Name):
            return
        var = self.loop_var(func.value.value)
        if var is not None and var.model is not None and self.qa.index.relation(var.model, func.attr.value) is None:
            self._through_member(var, func, var.model, var.prefix, "method")

    def visit_FormattedStringExpression(self, node: cst.FormattedStringExpression) -> None:
        if self.ctx.stack.loops and node.format_spec is None and node.conversion in (None, "s"):
            self._text_of(node.expression, node)

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        """``"%s" % row`` / ``"%s: %s" % (row, n)``."""
        if not self.ctx.stack.loops or not isinstance(node.operator, cst.Modulo) or not isinstance(node.left, (cst.SimpleString, cst.ConcatenatedString)):
            return
        parts = [e.value for e in node.right.elements] if isinstance(node.right, cst.Tuple) else [node.right]
        for part in parts:
            self._text_of(part, node)

    def _text_of(self, expr: cst.BaseExpression, node: cst.CSTNode) -> None:
        """``expr`` is shown as text: a row, or a to-one relation of a row (``s.book``,
        whose ``__str__`` runs on the related row)."""
        hops: List[str] = []
        while isinstance(expr, cst.Attribute):
            hops.append(expr.attr.value)
            expr = expr.value
        if not isinstance(expr, cst.Name):
            return
        var = self.loop_var(expr.value)
        model, path = (var.model, var.prefix) if var is not None else (None, "")
        for hop in reversed(hops):
            rel = self.qa.index.relation(model, hop) if model is not None else None
            if rel is None or rel.many or rel.loader != SELECT_RELATED:
                return
            path = f"{path}__{hop}" if path else hop
            model = self.qa.index.models.get(rel.target or "")
        if var is not None and model is not None:
            self._shown_as_text(var, node, model, path)

    def _deferred(self, var: LoopVar, node: cst.Attribute) -> bool:
        """``e.rate`` on rows of ``defer("rate")`` (or of ``only(...)`` without it): Django
        loads a deferred column with one query per row on its first read. A column is a
        name the model class (or a base) assigns that is no method or property; ``x_id``
        the column of foreign key ``x``."""
        q = var.query
        name = node.attr.value
        if q.orm != "django" or var.model is None or not q.deferred and q.only is None or name in ("pk", "id"):
            return False
        if name in q.deferred:
            hint = f'drop "{name}" from `defer()`'
        elif q.only is not None and name not in q.only and not (name.endswith("_id") and name[:-3] in q.only) and self._column(var.model, name):
            hint = f'add "{name[:-3] if name.endswith("_id") and self.qa.index.relation(var.model, name[:-3]) is not None else name}" to `only()`'
        else:
            return False
        key = "deferred:" + name
        if key in var.reported or runs_at_most_once(self.ctx, collection_loops(self.ctx)):
            return True
        var.reported.add(key)
        self.report(node, access=f"`{self.ctx.code_for(node)}`", what=f"the deferred column `{name}`", query=f"`{var.query.display}`", hint=hint, fix=None)
        return True

    def _column(self, model, name: str) -> bool:  # type: ignore[no-untyped-def]
        project = self.ctx.project  # type: ignore[attr-defined]
        index = self.qa.index
        rel = index.relation(model, name[:-3]) if name.endswith("_id") else None
        if rel is not None:
            return not rel.many and rel.kind in ("fk", "o2o")  # the foreign key's own column
        if project is None or not hasattr(project, "class_facts"):
            return False
        cls = project.class_facts(model.qualname)
        if cls is None:
            return False
        for klass in project.mro(cls):
            if isinstance(klass, str):
                continue
            if name in klass.methods or name in klass.properties:
                return False
            if name in klass.attributes:
                # ``rate = models.IntegerField()``: a field (a constant, a manager is not)
                return any(isinstance(v, str) and v.endswith("Field()") for v in klass.attributes[name])
        return False

    def _row_arguments(self, node: cst.Call) -> None:
        """``department_of(emp)``: a project function given the loop's row reads that
        parameter's relations (``return e.team.department``) per row. One function the
        call resolves to, a plain parameter it never rebinds; a method called on ``self`` /
        an instance skips its ``self``."""
        project = self.ctx.project  # type: ignore[attr-defined]
        if project is None or not hasattr(project, "targets"):
            return
        rows = [(i, a) for i, a in enumerate(node.args) if isinstance(a.value, cst.Name) and not a.star]
        rows = [(i, a, v) for i, a, v in ((i, a, self.loop_var(a.value.value)) for i, a in rows) if v is not None and v.model is not None]
        if not rows:
            return
        targets = project.targets(self.ctx.names.values(node.func))
        if len(targets) != 1 or targets[0].is_async:
            return
        fn = _function_def(project, targets[0].qualname)
        if fn is None:
            return
        params = [*fn.args.posonlyargs, *fn.args.args]
        offset = 1 if isinstance(node.func, cst.Attribute) and params and params[0].arg in ("self", "cls") else 0
        for position, arg, var in rows:
            if arg.keyword is not None:
                name = arg.keyword.value
                if not any(p.arg == name for p in (*params, *fn.args.kwonlyargs)):
                    continue
            elif position + offset < len(params):
                name = params[position + offset].arg
            else:
                continue
            if _rebinds(fn, name):
                continue
            key = (targets[0].qualname, name, var.model.qualname)
            reads = self._member_reads.get(key)
            if reads is None:
                reads = self._member_reads[key] = parameter_relation_reads(self.qa.index, fn, name, var.model)
            shown = short_code(self.ctx.code_for(node), 40)
            self._report_reads(var, node, var.prefix, reads, (f"`{shown}` (it reads `", "`)"))

    def _through_member(self, var: LoopVar, node: cst.Attribute, model, path: str, kind: str) -> None:  # type: ignore[no-untyped-def]
        """``book.author_name`` where ``author_name`` is a ``@property`` of the model (or
        ``book.label()``, a method of it) whose body reads a relation of ``self`` that
        loads lazily: a Django forward relation (``return self.author.name``) or a lazy
        SQLAlchemy ``relationship()``: each row loads it. Django to-many reads in the body
        are FFT203's (a query the member runs); a member of another class, or one we
        cannot read, is silent."""
        project = self.ctx.project  # type: ignore[attr-defined]
        if project is None or not hasattr(project, "class_facts"):
            return
        name = node.attr.value
        if name in _NOT_FOLLOWED or name.startswith("__") or name in catalog()["django"]["instance"]:
            return  # ``save()`` / ``delete()``: a write per row is FFT201's; its reads are part of it
        cls = project.class_facts(model.qualname)
        if cls is None or name not in cls.methods or (name in cls.properties) != (kind == "property"):
            return
        shown = f"{self.ctx.code_for(node)}{'' if kind == 'property' else '()'}"
        self._member_loads(var, node, model, path, name, (f"`{shown}` (the {kind} reads `", "`)"))

    def _shown_as_text(self, var: LoopVar, node: cst.CSTNode, model, path: str) -> None:  # type: ignore[no-untyped-def]
        """``str(row)``, ``f"{row}"``, ``"{}".format(row)``, ``"%s" % row``: the model's
        ``__str__`` (its own class body) runs per row, and loads what it reads."""
        project = self.ctx.project  # type: ignore[attr-defined]
        if project is None or not hasattr(project, "class_facts"):
            return
        shown = short_code(self.ctx.code_for(node), 40)
        self._member_loads(var, node, model, path, "__str__", (f"`{shown}` (its `__str__` reads `", "`)"))

    def _member_loads(self, var: LoopVar, node: cst.CSTNode, model, path: str, name: str, via: Tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
        """Report each relation the member ``name`` reads that the rows do not load;
        ``via``: the message's text before and after the read."""
        project = self.ctx.project  # type: ignore[attr-defined]
        key = (model.qualname, name)
        reads = self._member_reads.get(key)
        if reads is None:
            reads = self._member_reads[key] = self._property_reads(project, model, name)
        self._report_reads(var, node, path, reads, via)

    def _report_reads(self, var: LoopVar, node: cst.CSTNode, path: str, reads: Any, via: Tuple[str, str]) -> None:
        missing = []
        for rel, step_from_model, text in reads:
            step = f"{path}__{step_from_model}" if path else step_from_model
            if not var.root_query.covers(step):
                missing.append((step, rel, text))
        assigned = self._assigned_in_loop(var) if missing else set()
        for step, rel, text in missing:
            if any(other.startswith(step + "__") for other, _, _ in missing):
                continue  # ``select_related("shelf__branch")`` loads ``shelf`` too: report the longest
            if step.split("__", 1)[0] in assigned:
                continue  # ``i.event = self`` in the loop: the relation is set, not loaded
            self._found(var, node, rel, step, var.prefix_to_one, access=via[0] + text + via[1])

    def _assigned_in_loop(self, var: LoopVar) -> Set[str]:
        """Attributes of the row the loop assigns (``i.event = self``)."""
        from fftlint.engine.walk import descendants

        out: Set[str] = set()
        for sub in descendants(var.loop):
            if isinstance(sub, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
                targets = [t.target for t in sub.targets] if isinstance(sub, cst.Assign) else [sub.target]
                for t in targets:
                    if isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name) and t.value.value == var.name:
                        out.add(t.attr.value)
        return out

    def _property_reads(self, project, model, name: str):  # type: ignore[no-untyped-def]
        return member_relation_reads(project, self.qa.index, model, name)

    def _found(self, var: LoopVar, node: cst.Attribute, rel, step: str, select: bool, access: Optional[str] = None) -> None:  # type: ignore[no-untyped-def]
        if step in var.reported:
            return
        if runs_at_most_once(self.ctx, collection_loops(self.ctx)):
            return  # the first row only (``break``/``return`` after it)
        var.reported.add(step)
        target = self.qa.index.models.get(rel.target or "")
        what = f"`{target.name}`" if target is not None and not rel.many else f"`{rel.name}`"
        access = access or f"`{self.ctx.code_for(node)}`"
        query = f"`{var.root_query.display}`"
        fix = None
        if var.root_query.orm == "django":
            method = "select_related" if select else "prefetch_related"
            addition = f'.{method}("{step}")'
            hint = f"add `{addition}` to the queryset"
            fix = self._fix(var, addition)
        else:
            model_name = self.qa.index.models[rel.model].name if rel.model in self.qa.index.models else "Model"
            if var.root_query.model_expr is not None and "__" not in step:
                model_name = self.ctx.code_for(var.root_query.model_expr)
            loader = "selectinload" if rel.many else "joinedload"
            hint = f"add `.options({loader}({model_name}.{rel.name}))` to the query"
            if "__" not in step:
                fix = self._sqla_fix(var, model_name, rel.name)
        self.report(node, access=access, what=what, query=query, hint=hint, fix=fix, related=self._built_here(var, node) if fix is None else ())

    def _built_here(self, var: LoopVar, node: cst.CSTNode) -> List[RelatedNode]:
        """Where the rows' query is built, when the fix cannot be written there but the
        place is in this file and not on the loop's own lines (``stmt = select(...)``
        before helpers narrow it)."""
        origin = var.root_query.origin
        if not isinstance(origin, cst.BaseExpression):
            return []
        from fftlint.engine.walk import descendants

        module_nodes = self.ctx.shared("fft2-module-nodes", lambda: {id(n) for n in descendants(self.ctx.module)})
        if id(origin) not in module_nodes or origin is var.loop or any(sub is origin for sub in descendants(var.loop)):
            return []  # in the loop's own lines, or a node of another tree
        return [RelatedNode("the query is built here", origin)]

    def _fix_target(self, var: LoopVar) -> Optional[Tuple[cst.BaseExpression, str]]:
        q = var.root_query
        if var.root_iter is None or q.no_fix or q.custom or q.loads_unknown:
            return None
        node = var.root_iter
        if q.terminal is not None:
            # session.query(User).all(): the options go before .all()
            if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)):
                return None
            return node.func.value, self._inside_parentheses(node.func.value)
        return node, self._inside_parentheses(node)

    def _inside_parentheses(self, node: cst.BaseExpression) -> str:
        """The text a fix writes over ``node``: its span excludes the node's redundant
        parentheses, so they (and any comment in them) are not copied."""
        if isinstance(node, (cst.Call, cst.Attribute, cst.Subscript, cst.Name)):
            node = node.with_changes(lpar=[], rpar=[])
        return self.ctx.code_for(node)

    def _fix(self, var: LoopVar, addition: str):  # type: ignore[no-untyped-def]
        got = self._fix_target(var)
        if got is None or var.root_query.terminal is not None:
            return None
        node, code = got
        return replace(node, code + addition, safety=UNSAFE, title=f"Add `{addition}`")

    def _sqla_fix(self, var: LoopVar, model_name: str, attr: str):  # type: ignore[no-untyped-def]
        q = var.root_query
        if q.via != "query" or q.terminal not in (None, "all"):
            return None
        got = self._fix_target(var)
        if got is None:
            return None
        node, code = got
        bound = self.ctx.names.module_binding("selectinload")
        if bound == "sqlalchemy.orm.selectinload":
            loader, imports = "selectinload", ()
        else:
            loader, imports = "sqlalchemy.orm.selectinload", ("sqlalchemy.orm",)
        addition = f".options({loader}({model_name}.{attr}))"
        return replace(node, code + addition, safety=UNSAFE, title=f"Add `{addition}`", imports=imports)


def member_relation_reads(project: Any, index: Any, model: Any, name: str) -> List[Tuple[Any, str, str]]:
    """(relation, path from the model, text) of each lazily loaded relation chain the
    body of the model's member ``name`` reads from ``self`` (Django forward to-one hops; a
    lazy SQLAlchemy relationship), in the order they appear."""
    fn = member_def(project, model, name)
    if fn is None or not fn.args.args:
        return []
    return parameter_relation_reads(index, fn, fn.args.args[0].arg, model)


def parameter_relation_reads(index: Any, fn: Any, me: str, model: Any) -> List[Tuple[Any, str, str]]:
    """What :func:`member_relation_reads` says, for the parameter ``me`` of the ``def``
    ``fn`` holding an instance of ``model``."""
    import ast

    from ._serializers import attribute_chains

    out: List[Tuple[Any, str, str]] = []
    for outer, chain in attribute_chains(_own_nodes(fn), me):
        if not isinstance(outer.ctx, ast.Load):
            continue
        current = model
        steps: List[str] = []
        for attr in chain:
            rel = index.relation(current, attr.attr) if current is not None else None
            if rel is None:
                break
            if rel.loader == SQLA_LOAD:
                if rel.lazy and not steps:
                    out.append((rel, rel.name, f"{me}.{rel.name}"))
                break  # one hop: the fix names Model.attr
            if rel.many or rel.loader != SELECT_RELATED:
                break
            steps.append(rel.name)
            out.append((rel, "__".join(steps), f"{me}.{'.'.join(steps)}"))
            current = index.models.get(rel.target or "")
    return out


#: calls on a to-many relation manager that a ``prefetch_related`` of it answers from memory
_PREFETCH_ANSWERS = frozenset(("all", "count", "exists"))


def member_prefetch_reads(project: Any, index: Any, model: Any, name: str) -> List[Tuple[Any, str, str]]:
    """(relation, path, text) of each Django to-many relation of ``self`` the body of the
    model's member ``name`` reads in a way a ``prefetch_related`` of it serves:
    ``self.products.count()`` / ``.exists()`` / ``.all()`` with nothing chained after it
    (iterated, ``len``, returned). A filtered, ordered or aggregated read
    (``self.urls.filter(...)``, ``self.hits.aggregate(...)``) runs its own query however
    the row was loaded: not one of these."""
    import ast

    fn = member_def(project, model, name)
    if fn is None or not fn.args.args:
        return []
    me = fn.args.args[0].arg
    nodes = list(_own_nodes(fn))
    chained = {id(n.value) for n in nodes if isinstance(n, ast.Attribute)}
    out: List[Tuple[Any, str, str]] = []
    for node in nodes:
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and not node.args and not node.keywords):
            continue
        method, manager = node.func.attr, node.func.value
        if method not in _PREFETCH_ANSWERS or method == "all" and id(node) in chained:
            continue
        if not (isinstance(manager, ast.Attribute) and isinstance(manager.value, ast.Name) and manager.value.id == me):
            continue
        rel = index.relation(model, manager.attr)
        if rel is None or not rel.many or rel.loader != PREFETCH_RELATED or any(r[1] == rel.name for r in out):
            continue
        out.append((rel, rel.name, f"{me}.{rel.name}.{method}()"))
    return out


def _function_def(project: Any, qualname: str) -> Any:
    """The ``def`` (``ast``) of a project function or method by its qualified name, from
    its module's scopes."""
    from fftlint.facts.project import found_module

    module = found_module(qualname, project.modules)
    facts = project.module_facts(module) if module else None
    scope = facts.scopes.get(qualname[len(module) + 1:]) if facts is not None else None
    return scope.node if scope is not None and scope.kind == "function" else None


def _rebinds(fn: Any, name: str) -> bool:
    import ast

    return any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store) for n in ast.walk(fn))


def member_def(project: Any, model: Any, name: str) -> Any:
    """The ``def`` of member ``name`` in the model's own class body (``ast``), or None."""
    import ast

    from fftlint.facts.project import found_module

    from ._serializers import _class_node

    module = found_module(model.qualname, project.modules)
    facts = project.module_facts(module) if module else None
    node = _class_node(facts, model.qualname) if facts is not None else None
    return next((s for s in getattr(node, "body", ()) if isinstance(s, ast.FunctionDef) and s.name == name), None)

