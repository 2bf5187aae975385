"""FFT205: an eager load (``select_related`` / ``prefetch_related`` / ``selectinload``...) of
a relation that no row of the loop reads."""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

import libcst as cst

from fftlint.analysis.orm import Model
from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.engine.walk import children
from fftlint.facts.values import NONE, UNKNOWN
from fftlint.rule import Invalid, Rule, replace
from fftlint.types import UNSAFE

from ._prefilter import unused_eager_load_could_match
from ._querysets import (
    OPTIONS_KEY,
    LoopVar,
    NPlusOneOptions,
    Query,
    QueryLoopTracker,
    _apply_django,
    _apply_sqlalchemy,
    _assignments,
    _loader_attrs,
    catalog,
    last_name,
    unchain,
)
from .provider import OrmProvider

MODELS = (
    "from django.db import models\n\n"
    "class Author(models.Model):\n"
    "    name = models.CharField(max_length=50)\n\n"
    "class Book(models.Model):\n"
    "    title = models.CharField(max_length=50)\n"
    "    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name='books')\n"
    "    tags = models.ManyToManyField('Tag')\n\n"
    "    @property\n"
    "    def byline(self):\n"
    "        return self.author.name\n\n"
    "class Tag(models.Model):\n"
    "    label = models.CharField(max_length=20)\n\n"
)
SQLA = (
    "from sqlalchemy import ForeignKey\n"
    "from sqlalchemy.orm import DeclarativeBase, relationship, selectinload\n\n"
    "class Base(DeclarativeBase):\n"
    "    pass\n\n"
    "class User(Base):\n"
    "    __tablename__ = 'users'\n"
    "    addresses = relationship('Address', back_populates='user')\n\n"
    "class Address(Base):\n"
    "    __tablename__ = 'addresses'\n"
    "    user = relationship('User', back_populates='addresses')\n\n"
)

#: Django queryset methods after which the rows are not full model instances (or the
#: loaded columns are chosen by hand): not a row loop this rule reads.
_NOT_ROW_LOOPS = frozenset(("only", "defer", "values", "values_list", "dates", "datetimes", "union", "intersection",
                            "difference", "extra", "none", "raw"))
#: Queryset methods whose result holds no model row (a number, a bool, dicts or tuples).
_ROWLESS_METHODS = frozenset(("count", "exists", "aggregate", "values", "values_list", "acount", "aexists", "aaggregate"))
#: Attributes that hold what the query loaded (Django's prefetch cache and
#: ``_state.fields_cache``, SQLAlchemy's instance state; ``__dict__`` for both).
_LOADED_STATE = frozenset(("_prefetched_objects_cache", "_state", "_sa_instance_state"))
#: SQLAlchemy loader options that load eagerly (``raiseload`` / ``noload`` / ``lazyload`` /
#: ``defaultload`` load nothing; ``contains_eager`` fills from a join written by hand).
_SQLA_EAGER = frozenset(("selectinload", "joinedload", "subqueryload", "immediateload"))
#: Calls that can reach any local name: the rows could be read through them.
_INTROSPECTION = frozenset(("locals", "vars", "eval", "exec", "globals"))
_BASE_MODULES = ("django.", "sqlalchemy.", "sqlmodel.", "flask_sqlalchemy.")

ROOT = ""  # the loop variable itself (a path of no relation)


class _Unknown(Exception):
    """A use of the rows the rule cannot follow: the loop is not reported."""


class UnusedEagerLoad(QueryLoopTracker, Rule):
    """## What it does
    Checks for an eager load that the code never uses: a `select_related("author")`,
    `prefetch_related("tags")` / `Prefetch("tags")` (Django) or
    `options(selectinload(User.addresses))` / `joinedload(...)` / `subqueryload(...)` /
    `immediateload(...)` (SQLAlchemy) on a query whose rows are iterated, when no row of
    the loop reads that relation. For a nested path
    (`select_related("author__publisher")`) the first segment nobody reads is named.

    The rule reports only when it can see every use of the rows:

    - the query is built and iterated in one function: in the `for` statement or
      comprehension itself, or in the assignments of a local name (`qs = Book.objects...`
      and `qs = qs.filter(...)` narrowing it with catalog methods) used elsewhere only
      in ways that hand no row to other code (`qs.count()`, `qs.exists()`,
      `qs.values_list(...)`, `len(qs)`, `if qs:`) -- never returned, passed, stored,
      formatted or put in a template context;
    - the loop variable is used only as `row.attr` (never passed to a call, stored,
      returned, yielded, formatted or given to `getattr`), the function calls no
      `locals()` / `vars()` / `eval()`, and the variable is not read in a nested
      function, lambda or class, nor after the loop;
    - every attribute read of a row is a relation (followed further for to-one
      relations), or a column: an attribute that a model class of the project defines
      as a method or property (which may read a relation), a method call on the row,
      a model with a base class outside the project and the ORM, or a read of the
      loaded state (`_prefetched_objects_cache`, `_state`, `__dict__`) makes the loop
      unknown. A related object that escapes (`authors.append(book.author)`) counts as
      reading everything below it.

    Anything else is silent: queries built in another function, `only()` / `defer()` /
    `values()` / `values_list()` queries, loaders whose arguments cannot be read
    (`Prefetch(..., to_attr=...)`, `*fields`, `select_related()` with no argument),
    custom managers' queryset methods, related-manager loops, SQLAlchemy `raiseload` /
    `noload` / `lazyload` / `contains_eager` (not an eager load to remove), loader chains
    (`selectinload(A.b).joinedload(B.c)`) and loaders with options (`innerjoin=True`
    changes the rows), and statements held in a name (`session.scalars(stmt)`).

    The rule is **opt-in** (`default_enabled = False`) while its precision on real code
    is being proven: a loop that looks complete to a static reading can still hand its
    rows to code the rule does not see (a signal, a custom field descriptor, a
    SQLAlchemy `load` event listener).

    ## Why is this bad?
    An eager load costs on every run: `select_related` widens the query with a JOIN and
    builds the related objects, `prefetch_related` / `selectinload` run one more query
    loading every related row. When the loop never reads the relation, that is work and
    memory for nothing -- the reverse of an N+1, and as Rails' Bullet reports it
    ("unused eager loading"), usually left over after the code that read it changed.

    ## Example
    ```python
    def titles():
        return [b.title for b in Book.objects.select_related("author")]
    ```

    ## Use instead
    ```python
    def titles():
        return [b.title for b in Book.objects.all()]
    ```

    ## Fix safety
    Django only: the fix removes the argument -- a plain string literal -- from the
    `select_related(...)` / `prefetch_related(...)` call. When it is the only argument the
    call goes: `Book.objects.filter(x=1).select_related("a").order_by("t")` becomes
    `Book.objects.filter(x=1).order_by("t")`; on a manager or a name the call becomes
    `.all()` (`Book.objects.select_related("a")` becomes `Book.objects.all()`: a manager
    is not iterable). It is **unsafe**: the rule reads the code statically, and a use it
    cannot see (a signal handler or a field descriptor reading the relation) would then
    run one query per row. No fix is offered for `Prefetch(...)` arguments, SQLAlchemy
    loader options, or a call with a comment inside it.

    ## Options
    Shares `[tool.fftlint.n-plus-one]` with FFT201/FFT202 (`managers`, `session_names`).
    """

    code = "FFT205"
    contexts = PRODUCTION_ONLY  # tests and scripts load what they like
    name = "unused-eager-load"
    default_enabled = False  # opt-in while its precision on real code is being proven
    message = "{loader} loads `{relation}`, which no row of `{query}` reads in the loop; remove it"
    fix_title = "Remove the unused eager load"
    requires = ("select_related", "prefetch_related", "options")
    Options = NPlusOneOptions
    options_key = OPTIONS_KEY
    needs_project = True  # the project's models and classes (the ORM provider's facts)
    providers = (OrmProvider,)
    tags = ("performance", "database")

    @classmethod
    def could_match(cls, view) -> bool:  # type: ignore[no-untyped-def]
        return unused_eager_load_could_match(view)

    VALID = [
        # the relation is read
        MODELS + "def names():\n    return [b.author.name for b in Book.objects.select_related('author')]\n",
        MODELS + "def show():\n    for a in Author.objects.prefetch_related('books'):\n        print(a.books.count())\n",
        # the rows leave the loop: a helper, a container, the row formatted
        MODELS + "def show():\n    for b in Book.objects.select_related('author'):\n        render(b)\n",
        MODELS + "def show(out):\n    for b in Book.objects.select_related('author'):\n        out.append(b)\n",
        MODELS + "def show():\n    for b in Book.objects.select_related('author'):\n        print(f'{b}')\n",
        # a property of the model may read the relation
        MODELS + "def show():\n    for b in Book.objects.select_related('author'):\n        print(b.byline)\n",
        # a method call on the row: it gets the row
        MODELS + "def show():\n    for b in Book.objects.select_related('author'):\n        b.save()\n",
        # the queryset is returned, or given to a template context
        MODELS + "def books():\n    qs = Book.objects.select_related('author')\n    for b in qs:\n        print(b.title)\n    return qs\n",
        MODELS + "def view(request):\n    qs = Book.objects.select_related('author')\n    for b in qs:\n        print(b.title)\n    return render(request, 'b.html', {'books': qs})\n",
        # read in a nested function / after the loop
        MODELS + "def show():\n    for b in Book.objects.select_related('author'):\n        cb = lambda: b.author.name\n",
        MODELS + "def show():\n    for b in Book.objects.select_related('author'):\n        pass\n    return b\n",
        # a Prefetch with to_attr (read as `recent`): what it loads is not followed
        MODELS
        + "from django.db.models import Prefetch\ndef show():\n    qs = Author.objects.prefetch_related(Prefetch('books', queryset=Book.objects.all(), to_attr='recent'))\n    for a in qs:\n        print(a.recent)\n",
        # values() rows are dicts
        MODELS + "def show():\n    for r in Book.objects.select_related('author').values('title'):\n        print(r['title'])\n",
        # built at module level (other modules may import it)
        MODELS + "for b in Book.objects.select_related('author'):\n    print(b.title)\n",
        # locals() can hand anything to a template
        MODELS + "def show():\n    for b in Book.objects.select_related('author'):\n        print(b.title)\n    return locals()\n",
        # the caches of what the query loaded
        MODELS + "def show():\n    for b in Book.objects.prefetch_related('tags'):\n        print(b.title, 'tags' in b._prefetched_objects_cache)\n",
        MODELS + "def show():\n    for b in Book.objects.select_related('author'):\n        print(b._state.fields_cache, b.__dict__)\n",
        # a related object that escapes counts as read below it
        MODELS + "def show(out):\n    for b in Book.objects.select_related('author'):\n        out.append(b.author)\n",
        # a collection read: anything below it may be read through it
        MODELS + "def show():\n    for t in Tag.objects.prefetch_related('book_set__author'):\n        print([b.title for b in t.book_set.all()])\n",
        SQLA + "def show(session):\n    for u in session.query(User).options(selectinload(User.addresses)):\n        print(len(u.addresses))\n",
        # not an eager load: a guard against lazy loads
        SQLA + "from sqlalchemy.orm import raiseload\ndef show(session):\n    for u in session.query(User).options(raiseload(User.addresses)):\n        print(u.id)\n",
    ]
    INVALID = [
        Invalid(
            MODELS + "def titles():\n    return [b.title for b in Book.objects.select_related('author')]\n",
            line=19,
            column=58,
            message_contains="`author`",
            fixed=MODELS + "def titles():\n    return [b.title for b in Book.objects.all()]\n",
            safety=UNSAFE,
        ),
        # one argument of several; the rest of the chain stays
        Invalid(
            MODELS + "def show():\n    for b in Book.objects.filter(title='x').prefetch_related('tags', 'author'):\n        print(b.author.name)\n",
            message_contains="`tags`",
            fixed=MODELS + "def show():\n    for b in Book.objects.filter(title='x').prefetch_related('author'):\n        print(b.author.name)\n",
            safety=UNSAFE,
        ),
        # two unread arguments: two reports, both fixed (one per --fix pass)
        Invalid(
            MODELS + "def show():\n    for b in Book.objects.filter(title='x').prefetch_related('tags', 'author'):\n        print(b.title)\n",
            count=2,
            fixed=MODELS + "def show():\n    for b in Book.objects.filter(title='x'):\n        print(b.title)\n",
            safety=UNSAFE,
        ),
        # the only argument of a call inside the chain: the call goes
        Invalid(
            MODELS + "def show():\n    for b in Book.objects.filter(title='x').select_related('author').order_by('title'):\n        print(b.title, b.author_id)\n",
            fixed=MODELS + "def show():\n    for b in Book.objects.filter(title='x').order_by('title'):\n        print(b.title, b.author_id)\n",
            safety=UNSAFE,
        ),
        # a name assigned once and iterated once
        Invalid(
            MODELS + "def show():\n    qs = Author.objects.prefetch_related('books')\n    for a in qs:\n        print(a.name)\n",
            fixed=MODELS + "def show():\n    qs = Author.objects.all()\n    for a in qs:\n        print(a.name)\n",
            safety=UNSAFE,
        ),
        # narrowed by reassignment; on a name the call becomes .all()
        Invalid(
            MODELS + "def show(flag):\n    qs = Book.objects.filter(title='x')\n    if flag:\n        qs = qs.select_related('author')\n    for b in qs:\n        print(b.title)\n",
            fixed=MODELS + "def show(flag):\n    qs = Book.objects.filter(title='x')\n    if flag:\n        qs = qs.all()\n    for b in qs:\n        print(b.title)\n",
            safety=UNSAFE,
        ),
        # a nested path: the first segment nobody reads
        Invalid(
            MODELS + "def show():\n    for b in Book.objects.prefetch_related('author__books'):\n        print(b.author.name)\n",
            message_contains="`author__books`",
            safety=UNSAFE,
            fixed=MODELS + "def show():\n    for b in Book.objects.all():\n        print(b.author.name)\n",
        ),
        # a Prefetch of a plain name: reported, no fix
        Invalid(
            MODELS + "from django.db.models import Prefetch\ndef show():\n    for a in Author.objects.prefetch_related(Prefetch('books')):\n        print(a.name)\n",
            message_contains="`books`",
        ),
        # SQLAlchemy: reported, no fix
        Invalid(
            SQLA + "def show(session):\n    for u in session.query(User).options(selectinload(User.addresses)).all():\n        print(u.id)\n",
            message_contains="`addresses`",
        ),
        Invalid(
            SQLA + "from sqlalchemy import select\ndef show(session):\n    for a in session.scalars(select(Address).options(selectinload(Address.user))):\n        print(a.id)\n",
            message_contains="`user`",
        ),
    ]

    def on_loop(self, var: LoopVar) -> None:
        try:
            self._check(var)
        except _Unknown:
            return

    # -- the query ------------------------------------------------------------------
    def _check(self, var: LoopVar) -> None:
        q = var.query
        function = self.ctx.stack.function
        if not isinstance(function, cst.FunctionDef) or var.prefix or q.related is not None or var.function is not function:
            return
        if q.model is None or q.via not in ("manager", "query", "session") or not _readable(q):
            return
        self._loop_query = q
        loop_iter = _loop_iter(var.loop)
        if loop_iter is None:
            return
        expr = loop_iter
        if isinstance(expr, cst.Call) and self.ctx.names.resolve(expr.func) == "enumerate":
            if len(expr.args) != 1:
                return
            expr = expr.args[0].value
        scans: Dict[int, _Scan] = self.__dict__.setdefault("_scans", {})
        scan = scans.get(id(function))
        if scan is None:
            scan = scans[id(function)] = _Scan(function)  # one walk per function, however many loops
        if scan.introspects:
            return
        loaders = list(self._loaders(q, self._chains(expr, function, scan, 0)))
        if not loaders:
            return
        used, below = self._uses(var, scan)
        for call, arg, path, relation in loaders:
            unread = _first_unread(path, used, below)
            if unread is None:
                continue
            self._report(q, loop_iter, call, arg, path, unread, relation)

    def _chains(self, expr: cst.BaseExpression, function: cst.FunctionDef, scan: "_Scan", depth: int) -> List[cst.BaseExpression]:
        """The expressions the query is built from: the loop's own, and the values of the
        assignments of a local name it starts from (``qs = Book.objects...`` and any
        ``qs = qs.filter(...)`` narrowing it, in a branch or not), each read as a chain of
        the same model whose methods the catalog knows."""
        root, _ = unchain(expr)
        out = [expr]
        if not (isinstance(root, cst.Name) and self.qa.lookup(root.value) is not None):
            return out
        name = root.value
        values = scan.assigned_values(name)
        if depth > 3 or name in scan.declared or not values or _assignments(function, name) != len(values):
            raise _Unknown  # bound by ``+=``, a ``for``, a ``with``, a walrus, ``global``...
        refinements: Set[int] = set()
        for value in values:
            value_root, links = unchain(value)
            if isinstance(value_root, cst.Name) and value_root.value == name:
                refinements.add(id(value_root))  # ``qs = qs.filter(...)``
                if not self._narrows(links):
                    raise _Unknown
                out.append(value)
            else:
                out.extend(self._chains(value, function, scan, depth + 1))
                if not self._same_query(value):
                    raise _Unknown
        for node, nested in scan.names(name):
            if node is root or id(node) in refinements or isinstance(scan.parent(node), cst.AssignTarget):
                continue  # this use, a narrowing and the assignments
            if nested or not self._gives_no_row(node, scan):
                raise _Unknown  # returned, passed, stored, ...: its rows may be read elsewhere
        return out

    def _narrows(self, links: List[Any]) -> bool:
        """``.filter(...).order_by(...)`` applied to a query: catalog methods only (no
        custom method, no ``values()`` / ``only()``, nothing that runs it)."""
        if not links:
            return False
        q = self._loop_query
        probe = Query(q.orm, q.model, q.model_name, "")
        got = _apply_django(probe, links) if q.orm == "django" else _apply_sqlalchemy(probe, links, None)
        return got is not None and _readable(got)

    def _same_query(self, value: cst.BaseExpression) -> bool:
        """A fresh chain (``qs = Book.objects...``) of the loop's model and ORM; a name
        bound to one is checked where it is assigned."""
        root, links = unchain(value)
        if isinstance(root, cst.Name) and self.qa.lookup(root.value) is not None:
            return True
        got = self.qa._django(root, links) or self.qa._sqlalchemy(root, links)
        q = self._loop_query
        return got is not None and got.model is not None and q.model is not None and got.model.qualname == q.model.qualname and got.orm == q.orm and _readable(got)

    def _gives_no_row(self, node: cst.Name, scan: "_Scan") -> bool:
        """A use of the queryset that hands no row to other code: ``qs.count()``,
        ``qs.exists()``, ``qs.values_list(...)`` (dicts / tuples), ``len(qs)``,
        ``bool(qs)``, ``if qs:`` / ``not qs`` (the same rows, evaluated)."""
        parent = scan.parent(node)
        if isinstance(parent, cst.Attribute) and parent.value is node:
            call = scan.parent(parent)
            return parent.attr.value in _ROWLESS_METHODS and isinstance(call, cst.Call) and call.func is parent
        if isinstance(parent, cst.Arg) and parent.value is node and not parent.keyword and not parent.star:
            call = scan.parent(parent)
            return isinstance(call, cst.Call) and len(call.args) == 1 and self.ctx.names.resolve(call.func) in ("len", "bool")
        if isinstance(parent, cst.UnaryOperation) and isinstance(parent.operator, cst.Not):
            return True
        if isinstance(parent, (cst.If, cst.While)) and parent.test is node:
            return True
        if isinstance(parent, cst.BooleanOperation):  # ``if a and qs:``: truth only when the result is a test
            return isinstance(scan.parent(parent), (cst.If, cst.While, cst.UnaryOperation))
        return False

    def _loaders(self, q: Query, chains: List[cst.BaseExpression]) -> Iterator[Tuple[cst.Call, cst.Arg, str, str]]:
        """``(call, argument, path, display)`` for every eager load of the chains."""
        for expr in chains:
            yield from self._chain_loaders(q, expr)

    def _chain_loaders(self, q: Query, expr: cst.BaseExpression) -> Iterator[Tuple[cst.Call, cst.Arg, str, str]]:
        _, links = unchain(expr)
        for i, link in enumerate(links[:-1]):
            nxt = links[i + 1]
            if link.kind != "attr" or nxt.kind != "call":
                continue
            call = nxt.node
            assert isinstance(call, cst.Call)
            if q.orm == "django" and link.name in ("select_related", "prefetch_related"):
                for arg in call.args:
                    path = _django_path(arg)
                    if path is None:
                        raise _Unknown  # the query's own reading says unknown loads stop earlier
                    if self._relation_path(q.model, path):
                        yield call, arg, path, path
            elif q.orm == "sqlalchemy" and link.name == "options":
                loaders = set(catalog()["sqlalchemy"]["loaders"])
                for arg in call.args:
                    got = _loader_attrs(arg.value, loaders)
                    if got is None or len(got) != 1:
                        raise _Unknown
                    attr = next(iter(got))
                    if _sqla_single_loader(arg.value, q) and self.qa.index.relation(q.model, attr) is not None:  # type: ignore[arg-type]
                        yield call, arg, attr, attr
            elif q.orm == "sqlalchemy" and link.name in ("scalars", "execute") and call.args:
                yield from self._chain_loaders(q, call.args[0].value)

    def _relation_path(self, model: Optional[Model], path: str) -> bool:
        """Every segment of ``a__b`` is a relation of the model it is read on."""
        index = self.qa.index
        for part in path.split("__"):
            if model is None:
                return False
            rel = index.relation(model, part)
            if rel is None:
                return False
            model = index.models.get(rel.target or "")
        return True

    # -- the rows ---------------------------------------------------------------------
    def _uses(self, var: LoopVar, scan: "_Scan") -> Tuple[Set[str], Set[str]]:
        """The relation paths the loop reads on its rows (``used``), and the ones whose
        object escapes, so anything below them may be read (``below``)."""
        name, loop = var.name, var.loop
        target = _loop_target(loop, name)
        region = set(map(id, _loop_region(loop)))
        used: Set[str] = set()
        below: Set[str] = set()
        for node, nested in scan.names(name):
            if node is target:
                continue
            if id(node) not in region:
                if isinstance(loop, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
                    continue  # another variable: the comprehension's is its own
                raise _Unknown
            if nested:
                raise _Unknown  # a nested function or class reads the row later
            parent = scan.parent(node)
            if not (isinstance(parent, cst.Attribute) and parent.value is node):
                raise _Unknown  # the row itself goes somewhere
            self._read(var.model, ROOT, parent, scan, used, below)  # type: ignore[arg-type]
        return used, below

    def _read(self, model: Model, path: str, node: cst.Attribute, scan: "_Scan", used: Set[str], below: Set[str]) -> None:
        """``node`` reads ``node.attr`` of an object at ``path`` of the row (of ``model``)."""
        index = self.qa.index
        attr = node.attr.value
        rel = index.relation(model, attr)
        parent = scan.parent(node)
        if rel is not None:
            step = f"{path}__{attr}" if path else attr
            used.add(step)
            target = index.models.get(rel.target or "")
            if rel.many or target is None:
                below.add(step)
                return
            if isinstance(parent, cst.Attribute) and parent.value is node:
                self._read(target, step, parent, scan, used, below)
            else:
                below.add(step)  # the related object itself goes somewhere
            return
        called = isinstance(parent, cst.Call) and parent.func is node
        if called or attr in _LOADED_STATE or attr.startswith("__") or self._runs_code(model, attr):
            if path == ROOT:
                raise _Unknown  # a method or property of the row may read any relation
            below.add(path)

    def _runs_code(self, model: Model, attr: str) -> bool:
        """Reading ``attr`` may run code: a method or property of a model class of the
        project, or a class the project cannot see (a third-party base)."""
        project = getattr(self.ctx, "project", None)
        finder = getattr(project, "class_facts", None)
        if finder is None:
            return True
        stack, seen = [model.qualname], set()
        while stack:
            qualname = stack.pop()
            if qualname in seen or qualname.startswith(_BASE_MODULES):
                continue
            seen.add(qualname)
            cls = finder(qualname)
            if cls is None:
                return True
            if attr in cls.methods or attr in cls.properties:
                return True
            values = cls.attributes.get(attr, ())
            if any(isinstance(v, str) and ("property" in v or v in cls.methods.values()) for v in values):
                return True
            for base in cls.bases:
                for value in base:
                    if not isinstance(value, str) or value in (UNKNOWN, NONE) or "(" in value:
                        return True
                    stack.append(value)
        return False

    # -- the report -------------------------------------------------------------------
    def _report(self, q: Query, loop_iter: cst.BaseExpression, call: cst.Call, arg: cst.Arg, path: str, unread: str, relation: str) -> None:
        query = " ".join(self.ctx.code_for(loop_iter).split())
        if len(query) > 60:
            query = query[:57] + "..."
        method = call.func.attr.value if isinstance(call.func, cst.Attribute) else "options"
        loader = f"`{method}({' '.join(self.ctx.code_for(arg.value).split())})`"
        fix = self._fix(call, arg) if q.orm == "django" and isinstance(arg.value, cst.SimpleString) else None
        self.report(arg.value, loader=loader, relation=unread, query=query, fix=fix)

    def _fix(self, call: cst.Call, arg: cst.Arg):  # type: ignore[no-untyped-def]
        if "#" in self.ctx.code_for(call):
            return None
        rest = [a for a in call.args if a is not arg]
        if rest:
            last = rest[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            new: cst.BaseExpression = call.with_changes(args=[*rest[:-1], last])
            return replace(call, new, safety=UNSAFE, title="Remove the unused eager load")
        func = call.func
        if not isinstance(func, cst.Attribute):
            return None
        receiver = func.value
        if isinstance(receiver, (cst.Call, cst.Subscript)):
            new = receiver.with_changes(lpar=call.lpar, rpar=call.rpar) if call.lpar else receiver
        else:  # a manager (``Book.objects``) or a name: ``.all()`` keeps it iterable
            new = call.with_changes(func=func.with_changes(attr=cst.Name("all")), args=[])
        return replace(call, new, safety=UNSAFE, title="Remove the unused eager load")


def _readable(q: Query) -> bool:
    """A query whose rows are model instances and whose loads are all read: a custom
    manager (``q.custom``) still gives model rows, but a custom method in the chain is
    the facts layer's to read; ``only()`` / ``values()`` / ``union()``... are not row
    loops this rule reads; nothing ran it but ``all()`` / ``scalars()``."""
    if not q.instances or q.custom_method or q.loads_unknown or q.select_all or q.batch:
        return False
    if q.terminal not in (None, "all", "scalars"):
        return False
    return not (q.orm == "django" and _NOT_ROW_LOOPS & set(q.methods))


def _django_path(arg: cst.Arg) -> Optional[str]:
    """The relation path a ``select_related`` / ``prefetch_related`` argument loads: a
    string literal, or ``Prefetch("path")`` with nothing else."""
    if arg.keyword is not None or arg.star:
        return None
    value = arg.value
    if isinstance(value, cst.SimpleString) and isinstance(value.evaluated_value, str):
        return value.evaluated_value
    if isinstance(value, cst.Call) and last_name(value.func) == "Prefetch" and len(value.args) == 1:
        first = value.args[0]
        if first.keyword is None and not first.star and isinstance(first.value, cst.SimpleString) and isinstance(first.value.evaluated_value, str):
            return first.value.evaluated_value
    return None


def _sqla_single_loader(expr: cst.BaseExpression, q: Query) -> bool:
    """``selectinload(User.addresses)`` on a query of ``User``: one loader, one relation
    of the query's own model (not a chain ``.joinedload(...)`` or another entity's)."""
    root, links = unchain(expr)
    if last_name(root) not in _SQLA_EAGER or len(links) != 1 or not isinstance(links[0].node, cst.Call):
        return False
    args = links[0].node.args
    if len(args) != 1 or not isinstance(args[0].value, cst.Attribute):
        return False
    owner = args[0].value.value
    return isinstance(owner, cst.Name) and q.model is not None and owner.value == q.model.name


def _loop_iter(loop: cst.CSTNode) -> Optional[cst.BaseExpression]:
    if isinstance(loop, cst.For):
        return loop.iter
    if isinstance(loop, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
        return loop.for_in.iter
    return None


def _loop_target(loop: cst.CSTNode, name: str) -> Optional[cst.CSTNode]:
    target = loop.target if isinstance(loop, cst.For) else loop.for_in.target  # type: ignore[attr-defined]
    if isinstance(target, cst.Name):
        return target
    if isinstance(target, cst.Tuple):  # ``for i, row in enumerate(qs)``
        for el in target.elements:
            if isinstance(el.value, cst.Name) and el.value.value == name:
                return el.value
    return None


def _loop_region(loop: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The nodes where the loop variable holds a row: a ``for``'s body and ``else``, a
    comprehension's element, conditions and inner loops (not its first iterable)."""
    if isinstance(loop, cst.For):
        parts: List[cst.CSTNode] = [loop.body] + ([loop.orelse] if loop.orelse is not None else [])
    else:
        comp = loop.for_in  # type: ignore[attr-defined]
        parts = [*comp.ifs]
        if comp.inner_for_in is not None:
            parts.append(comp.inner_for_in)
        if isinstance(loop, cst.DictComp):
            parts += [loop.key, loop.value]
        else:
            parts.append(loop.elt)  # type: ignore[attr-defined]
    for part in parts:
        yield part
        yield from _all_below(part)


def _all_below(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack = list(children(node))
    while stack:
        cur = stack.pop()
        yield cur
        stack.extend(children(cur))


class _Scan:
    """One walk of a function: parents, name occurrences (and whether they sit in a
    nested scope), the values of its assignments, ``global`` / ``nonlocal`` names and
    introspection calls. An attribute's name (``x.name``) and a keyword (``f(name=1)``)
    are not occurrences of a variable."""

    def __init__(self, function: cst.FunctionDef) -> None:
        self._parent: Dict[int, cst.CSTNode] = {}
        self._names: Dict[str, List[Tuple[cst.Name, bool]]] = {}
        self._assigned: Dict[str, List[cst.BaseExpression]] = {}
        self.declared: Set[str] = set()
        self.introspects = False
        stack: List[Tuple[cst.CSTNode, bool]] = [(function.body, False)]
        while stack:
            node, nested = stack.pop()
            if isinstance(node, cst.Name):
                parent = self._parent.get(id(node))
                if not (isinstance(parent, cst.Attribute) and parent.attr is node or isinstance(parent, cst.Arg) and parent.keyword is node):
                    self._names.setdefault(node.value, []).append((node, nested))
            elif isinstance(node, (cst.Global, cst.Nonlocal)):
                self.declared.update(n.name.value for n in node.names)
            elif isinstance(node, cst.Call) and last_name(node.func) in _INTROSPECTION:
                self.introspects = True
            elif isinstance(node, cst.Assign) and not nested:
                for t in node.targets:
                    if isinstance(t.target, cst.Name):
                        self._assigned.setdefault(t.target.value, []).append(node.value)
            inner = nested or isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda))
            for child in children(node):
                self._parent[id(child)] = node
                stack.append((child, inner))

    def parent(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        return self._parent.get(id(node))

    def names(self, name: str) -> List[Tuple[cst.Name, bool]]:
        return self._names.get(name, [])

    def occurrences(self, name: str) -> int:
        return len(self._names.get(name, []))

    def assigned_values(self, name: str) -> List[cst.BaseExpression]:
        """The values of the plain ``name = ...`` statements (not in nested scopes)."""
        return self._assigned.get(name, [])


def _first_unread(path: str, used: Set[str], below: Set[str]) -> Optional[str]:
    """The first segment of ``a__b__c`` no row reads (``a`` / ``a__b`` / ``a__b__c``), or
    None when every one is read or an escaping object above it may read the rest."""
    parts = path.split("__")
    for k in range(1, len(parts) + 1):
        prefix = "__".join(parts[:k])
        if prefix in below:
            return None
        if prefix not in used:
            return prefix
    return None
