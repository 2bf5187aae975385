"""FFT206: a Django template reads a relation per row that the view's queryset does not load."""

from __future__ import annotations

import ast
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import libcst as cst

from fftlint.analysis.orm import PREFETCH_RELATED, SELECT_RELATED, Model
from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.rule import FixSpec, Invalid, Rule, Valid, replace
from fftlint.types import UNSAFE, Related, Span

from ._querysets import OPTIONS_KEY, NPlusOneOptions, Query, QueryLoopTracker, _returns, catalog, default_rows, short_code, unchain
from ._templates import PARSE_VERSION, TemplateProvider, expand, parse_template, resolve
from .lazy_relation_in_loop import _NOT_FOLLOWED, member_def, member_prefetch_reads, member_relation_reads
from .provider import OrmProvider, member_query

LIST_VIEWS = frozenset(("django.views.generic.ListView", "django.views.generic.list.ListView"))
DETAIL_VIEWS = frozenset(("django.views.generic.DetailView", "django.views.generic.detail.DetailView"))
TEMPLATE_VIEWS = frozenset(("django.views.generic.TemplateView", "django.views.generic.base.TemplateView"))
#: views of one object whose template Django names ``<app>/<model><suffix>.html``
OBJECT_VIEWS = {
    **{v: "_detail" for v in DETAIL_VIEWS},
    "django.views.generic.UpdateView": "_form", "django.views.generic.edit.UpdateView": "_form",
    "django.views.generic.DeleteView": "_confirm_delete", "django.views.generic.edit.DeleteView": "_confirm_delete",
}
_KINDS = {**{v: "list" for v in LIST_VIEWS}, **{v: "detail" + OBJECT_VIEWS[v] for v in OBJECT_VIEWS}, **{v: "template" for v in TEMPLATE_VIEWS}}
RENDERERS = frozenset(("django.shortcuts.render", "django.template.response.TemplateResponse", "django.template.response.SimpleTemplateResponse"))
#: class attributes / methods of a list view that decide what it renders
_VIEW_ATTRS = frozenset(("queryset", "model", "template_name", "context_object_name", "template_name_suffix"))
_VIEW_METHODS = frozenset(("get_queryset", "get_template_names", "get_context_object_name"))
#: bases of another package known to set nothing a list view renders
_NEUTRAL_BASES = ("django.contrib.auth.mixins.", "django.views.generic.base.", "builtins.object", "object")
#: what a prefetched related manager answers from its cache
_CACHED = frozenset(("all", "count", "exists"))

EXAMPLE_PATH = "fixtures/n_plus_one/bookshop/example.py"
EXAMPLE_MODELS = (
    "from django.db import models\n"
    "from django.shortcuts import render\n"
    "from django.views.generic import ListView\n\n"
    "class Publisher(models.Model):\n    name = models.CharField(max_length=80)\n\n"
    "class Author(models.Model):\n    name = models.CharField(max_length=80)\n"
    "    publisher = models.ForeignKey(Publisher, on_delete=models.CASCADE, related_name='authors')\n\n"
    "class Tag(models.Model):\n    label = models.CharField(max_length=30)\n\n"
    "class Book(models.Model):\n    title = models.CharField(max_length=120)\n"
    "    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name='books')\n"
    "    tags = models.ManyToManyField(Tag, related_name='books')\n\n"
)

Need = Tuple[str, str, int, str, str, str]  # (path, loader, template line, text read, template name, file)
#: a member read that is a query of its own (``"@query:Range.hits -> self.daily_hits.aggregate"``):
#: no loader serves it, an annotation on the view's queryset does
MEMBER_QUERY = "@query:"


#: the relations (path from the model) a member of the model reads from ``self`` when the
#: template calls it: ``(model, member name) -> [path, ...]``; [] when it is no member
Members = Callable[[Model, str], List[str]]


def per_row_reads(events: List[Tuple[Any, ...]], sources: Dict[str, Tuple[str, Model]], index: Any, members: Optional[Members] = None) -> List[Need]:
    """The relations a template reads per row of the querysets ``sources`` (context name ->
    ("rows", model) for a queryset, ("page", model) for ``page_obj``, ("object", model)
    for a detail view's object: only loops over its to-many relations have rows), in template order;
    with ``members``, also those a model ``@property`` / method the template calls reads
    (``{{ rating.book_title }}`` whose body reads ``self.book``)."""
    scopes: List[Dict[str, Any]] = [dict(sources)]
    isolated: List[bool] = [False]  # a scope of ``{% include ... only %}``: nothing outside it is seen
    files: List[Tuple[str, str]] = [("", "")]
    out: List[Need] = []

    def lookup(name: str) -> Any:
        for scope, alone in zip(reversed(scopes), reversed(isolated)):
            if name in scope:
                return scope[name]
            if alone:
                return None
        return None

    def need(step: str, loader: str, line: int, text: str) -> None:
        out.append((step, loader, line, text, files[-1][0], files[-1][1]))

    def walk(binding: Any, rest: List[str], line: int, text: str, iterated: bool) -> Optional[Tuple[Model, str, bool]]:
        """Follow ``rest`` from a row binding; note what it loads; the row it ends on."""
        _, model, prefix, many = binding
        current: Optional[Model] = model
        path = prefix
        for k, attr in enumerate(rest):
            rel = index.relation(current, attr) if current is not None else None
            if rel is None and members is not None and current is not None:
                for read in members(current, attr):
                    if read.startswith(MEMBER_QUERY):
                        if not path:  # the row's own member runs a query (no loader serves it)
                            need(read, MEMBER_QUERY, line, text)
                        continue
                    step = f"{path}__{read}" if path else read
                    need(step, PREFETCH_RELATED if many or _ends_many(index, current, read) else SELECT_RELATED, line, text)
                return None  # what a member returns is not followed further
            if rel is None or rel.loader not in (SELECT_RELATED, PREFETCH_RELATED):
                return None  # a column, the primary key, unknown: nothing we follow
            nxt = rest[k + 1] if k + 1 < len(rest) else None
            step = f"{path}__{rel.name}" if path else rel.name
            if rel.many:
                if nxt in _CACHED or nxt is None and iterated:
                    need(step, PREFETCH_RELATED, line, text)
                    if nxt is None or nxt == "all" and k + 2 == len(rest):
                        return (index.models.get(rel.target or ""), step, True) if rel.target else None
                return None
            need(step, PREFETCH_RELATED if many or rel.loader == PREFETCH_RELATED else SELECT_RELATED, line, text)
            current = index.models.get(rel.target or "")
            path = step
        return (current, path, many) if current is not None else None

    for event in events:
        kind = event[0]
        if kind == "file":
            files.append((event[1], event[2]))
        elif kind == "endfile":
            if len(files) > 1:
                files.pop()
        elif kind == "read":
            chain, line = event[1], event[2]
            binding = lookup(chain[0])
            if binding is not None and binding[0] == "row" and len(chain) > 1:
                walk(binding, chain[1:], line, ".".join(chain), False)
        elif kind == "for":
            target, chain, line = event[1], event[2], event[3]
            bound: Any = None
            if chain:
                binding = lookup(chain[0])
                rest = chain[1:]
                if binding is not None and binding[0] == "object":
                    binding, rest = _object_rows(binding, rest, index), []
                if binding is not None and binding[0] == "related" and rest in ([], ["all"]):
                    bound = ("row", binding[1], binding[2], True)
                elif binding is not None and binding[0] == "rows" and rest in ([], ["all"]):
                    bound = ("row", binding[1], "", False)
                elif binding is not None and binding[0] == "page" and rest in ([], ["object_list"]):
                    bound = ("row", binding[1], "", False)
                elif binding is not None and binding[0] == "row" and rest:
                    found = walk(binding, rest, line, ".".join(chain), True)
                    if found is not None and found[2]:
                        bound = ("row", found[0], found[1], True)
            scopes.append({target: bound} if target else {})
            isolated.append(False)
        elif kind == "with":
            scope: Dict[str, Any] = {}
            for name, chain in event[1]:
                binding = lookup(chain[0]) if chain else None
                found = None
                if chain is not None and len(chain) == 1:
                    scope[name] = binding  # ``with item=row``: the same row (or rows) by another name
                    continue
                if binding is not None and binding[0] == "object" and chain is not None:
                    scope[name] = _object_rows(binding, chain[1:], index)  # ``with orders=customer.orders.all``
                    continue
                if binding is not None and binding[0] == "row" and len(chain) > 1:
                    found = _follow_to_one(binding, chain[1:], index)
                scope[name] = ("row", found[0], found[1], binding[3]) if found is not None else None
            scopes.append(scope)
            isolated.append(len(event) > 3 and bool(event[3]))
        elif kind in ("endfor", "endwith") and len(scopes) > 1:
            scopes.pop()
            isolated.pop()
    return out


def _object_rows(binding: Any, rest: List[str], index: Any) -> Any:
    """``customer.orders`` / ``customer.orders.all`` of a detail view's object: the rows
    of one to-many relation (one query; what each row reads is per row), as
    ``("related", target model, relation name)``; None for anything else."""
    if not rest or len(rest) > 2 or len(rest) == 2 and rest[1] != "all":
        return None
    rel = index.relation(binding[1], rest[0])
    target = index.models.get(rel.target or "") if rel is not None and rel.many else None
    return ("related", target, rel.name) if target is not None else None


def _ends_many(index: Any, model: Model, path: str) -> bool:
    """The relation path from ``model`` ends on a to-many relation (a member's
    ``self.products.count()``): only a ``prefetch_related`` loads it."""
    current: Optional[Model] = model
    rel = None
    for attr in path.split("__"):
        rel = index.relation(current, attr) if current is not None else None
        if rel is None:
            return False
        current = index.models.get(rel.target or "")
    return rel is not None and rel.many


def _follow_to_one(binding: Any, rest: List[str], index: Any) -> Optional[Tuple[Model, str]]:
    current: Optional[Model] = binding[1]
    path = binding[2]
    for attr in rest:
        rel = index.relation(current, attr) if current is not None else None
        if rel is None or rel.many or rel.loader != SELECT_RELATED or not rel.target:
            return None
        path = f"{path}__{rel.name}" if path else rel.name
        current = index.models.get(rel.target)
    return (current, path) if current is not None else None


def _abstract(node: cst.FunctionDef) -> bool:
    """A method whose body only raises ``NotImplementedError``."""
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    stmts = [s for s in body if not (isinstance(s, cst.SimpleStatementLine) and all(isinstance(x, cst.Expr) and isinstance(x.value, cst.SimpleString) for x in s.body))]
    if len(stmts) != 1 or not isinstance(stmts[0], cst.SimpleStatementLine) or len(stmts[0].body) != 1:
        return False
    stmt = stmts[0].body[0]
    if not isinstance(stmt, cst.Raise) or stmt.exc is None:
        return False
    exc = stmt.exc.func if isinstance(stmt.exc, cst.Call) else stmt.exc
    return isinstance(exc, cst.Name) and exc.value == "NotImplementedError"


def app_label(model: Model) -> Optional[str]:
    """Django's default app label of a model: the package holding its ``models`` module."""
    parts = model.qualname.split(".")[:-1]
    if "models" in parts:
        k = parts.index("models")
        return parts[k - 1] if k > 0 else None
    return parts[-1] if parts else None


class TemplateRelationPerRow(QueryLoopTracker, Rule):
    """## What it does
    Checks for a Django view whose template loops over the view's queryset and reads, for
    each row, a relation the queryset does not load:

    - a `ListView` (directly or through your own base classes that set nothing it renders)
      with `queryset = ...`, `get_queryset()`, or only `model = ...`, rendering
      `template_name` or Django's default `<app_label>/<model>_list.html`. Every `return`
      of `get_queryset()` is read, and the rows load what any returned value loads
      (`if not form.is_valid(): return qs` then `return qs.filter(...)`); a name returned
      there holds every value it was given in the method; assignments to the view's own
      state (`self.form = ...`) do not matter. The queryset may go through your own
      helpers that hand back what they are given, narrowed (`qs = sort_queryset(qs, ...)`,
      `return self.apply_search(queryset)`, in this module or another: every `return` of
      the helper gives its parameter or a chain of queryset methods on it, also through
      another such helper), see FFT202; `super().get_queryset()` is Django's own: the
      class's `queryset` (`.all()`), else the model's default manager. The template's rows are
      `{% for row in object_list %}`, `<model>_list` / `context_object_name`, `page_obj`
      and `page_obj.object_list`; and the querysets its
      `get_context_data()` adds (`context["imprints"] = Imprint.objects.all()` or
      `context.update({...})` / `context.update(imprints=...)` on the dict it returns; a
      key set twice or to something we cannot read is not checked, and an update with a
      mapping we cannot read stops the check of every key);
    - a `DetailView` (and `UpdateView` / `DeleteView`: templates `<model>_form.html`,
      `<model>_confirm_delete.html`) read the same way (default template `<app_label>/<model>_detail.html`):
      its object (`object`, `context_object_name` or `<model>`) is one row, so what the
      template reads of it directly is one query each and is not reported; a loop over one
      of its to-many relations (`{% for order in customer.orders.all %}`, or through
      `{% with orders=customer.orders.all %}`) has rows, and what each of them reads needs
      `prefetch_related("orders__lines")` on the view's queryset;
    - a `TemplateView` with `template_name`: the querysets its `get_context_data()` adds;
    - a function view `render(request, "app/x.html", {"rows": queryset})` /
      `TemplateResponse(...)` with a dict of the context written in the call, or a context
      built in a variable before the call: `ctx = {...}` (or `dict(...)`) once, then
      `ctx["rows"] = queryset` and `ctx.update({...})` / `ctx.update(rows=...)`. Silent when
      the variable is passed anywhere else, updated with a mapping we cannot read
      (`ctx.update(extra_context)`), or a key is given more than one value.

    The template is read as Django renders it: an `{% extends "base.html" %}` parent found
    in the same template dirs renders, with the child's `{% block %}`s replacing the
    parent's of the same name (the loop may be in the parent and the per-row reads in the
    child's block, or the reverse); `{% include "row.html" %}` renders in place and sees the
    loop variable, `with item=row` binds names, `only` hides the rest. A parent that no
    single file has leaves the child read as written; an include of a variable or of a
    name no single file has is skipped.

    Per row it follows `{{ row.author.name }}` (a forward foreign key / one-to-one, two and
    more hops), `row.tags.all` / `row.tags.count` / `{% for t in row.tags.all %}` (a reverse
    or many-to-many manager; inside that loop, `t.<fk>` as `tags__<fk>`), a
    GenericForeignKey (`row.content_object`: `prefetch_related("content_object")`; what
    is read of the object it points to is not followed), in `{{ }}`, tag
    arguments (`{% if %}`, `{% url %}`) and `{% with x=row.author %}`. Free: columns,
    `row.author_id`, annotated values (`row.author.pk` loads the author first: a query). Templates are found in the
    `templates/` directories of the linted package (and beside it); when no file or more
    than one file has the template's name, nothing is reported. A model `@property` or
    method of `self` alone that the template calls (`{{ rating.book_title }}` whose body
    reads `self.book.title`) counts as reading the forward relations its body reads from
    `self` (what it returns is not followed further; `save()`/`delete()` and methods with
    required arguments are never called by a template), and the to-many relations of
    `self` it reads only through `.count()`, `.exists()` or a bare `.all()`
    (`{{ range.num_products }}` with `return self.products.count()`): a
    `prefetch_related("products")` serves them. A member of the row that runs a query no
    loader serves (`self.products.filter(...).count()`, `self.daily_hits.aggregate(...)`,
    another model's queryset; found as FFT203 finds a query behind a call) runs it once
    per row: reported with the chain, and the way out is an annotation on the queryset
    (`annotate(n=Count(...))`). Silent when the queryset already annotates something (the
    member may read the annotation instead: `if hasattr(self, "n")`), when the member is
    memoized, or reached through a relation (`row.author.num_books`). Not followed:
    `{{ block.super }}`, custom template tags and inclusion tags,
    `get_template_names()`, Jinja2. A queryset a project helper returns
    (`return recent_books()`, in any module) is read from the facts layer as FFT202 reads
    it (its string `select_related` / `prefetch_related` paths, anything else loads
    anything); `super().get_queryset()` of a project base that defines it, and custom
    managers we cannot read, are assumed to load what is needed.

    ## Why is this bad?
    A list page of 50 offers whose template shows `{{ offer.benefit.name }}` makes 51
    queries: the rows, then one per row for its benefit. Nothing in the Python code shows it:
    the view only builds the queryset, the template runs the queries.

    ## Example
    ```python
    class OfferListView(ListView):
        model = Offer
        queryset = Offer.objects.order_by("-created")  # offer_list.html: {{ offer.benefit.name }}
    ```

    ## Use instead
    ```python
    class OfferListView(ListView):
        model = Offer
        queryset = Offer.objects.order_by("-created").select_related("benefit")
    ```

    ## Fix safety
    The fix appends `.select_related("path")` / `.prefetch_related("path")` to the view's
    queryset when it is one chain written in this file, and to every value `get_queryset()`
    returns when it is built over several statements or through helpers (each `return`
    a name or a chain of calls, no slice; unsafe, as for FFT202: the SQL
    changes, and a relation read from a template can be behind a condition that is rarely
    true). The report is on the view's queryset (where it is built in `get_queryset()`,
    on `template_name` or the class when the queryset is only `model = ...`), with the
    template line as a related location.
    """

    code = "FFT206"
    name = "template-relation-per-row"
    message = "`{template}` line {line} reads `{text}` for each row of {query}; {hint}"
    fix_title = "Load the relation with the view's queryset"
    requires = ("ListView", "DetailView", "UpdateView", "DeleteView", "template_name", "render", "TemplateResponse")
    Options = NPlusOneOptions
    options_key = OPTIONS_KEY
    needs_project = True
    providers = (OrmProvider, TemplateProvider)
    tags = ("performance", "database", "n+1", "django-templates")
    contexts = PRODUCTION_ONLY

    # Templates are files of a project: the examples are linted as a module of the
    # fixture project fixtures/n_plus_one/bookshop, whose templates/ they render.
    VALID = [
        Valid(EXAMPLE_MODELS + "class Books(ListView):\n    queryset = Book.objects.select_related('author')\n    template_name = 'bookshop/novel_list.html'\n", path=EXAMPLE_PATH),
        # only the foreign key column and plain columns
        Valid(EXAMPLE_MODELS + "class Books(ListView):\n    queryset = Book.objects.all()\n    template_name = 'bookshop/book_ids.html'\n", path=EXAMPLE_PATH),
        # no such template
        Valid(EXAMPLE_MODELS + "class Books(ListView):\n    queryset = Book.objects.all()\n    template_name = 'bookshop/nowhere.html'\n", path=EXAMPLE_PATH),
        # a queryset from a helper of another module
        Valid(EXAMPLE_MODELS + "from .selectors import recent_books\n\nclass Books(ListView):\n    template_name = 'bookshop/novel_list.html'\n\n    def get_queryset(self):\n        return recent_books()\n", path=EXAMPLE_PATH),
        # the same view in a test module
        Valid(EXAMPLE_MODELS + "class Books(ListView):\n    queryset = Book.objects.all()\n    template_name = 'bookshop/novel_list.html'\n", path="fixtures/n_plus_one/bookshop/tests/test_views.py"),
    ]
    INVALID = [
        Invalid(
            EXAMPLE_MODELS + "class Books(ListView):\n    queryset = Book.objects.order_by('title')\n    template_name = 'bookshop/novel_list.html'\n",
            message_contains='`bookshop/novel_list.html` line 5 reads `book.author.name`',
            fixed=EXAMPLE_MODELS + "class Books(ListView):\n    queryset = Book.objects.order_by('title').select_related(\"author\")\n    template_name = 'bookshop/novel_list.html'\n",
            safety=UNSAFE, path=EXAMPLE_PATH,
        ),
        Invalid(
            EXAMPLE_MODELS + "def tags(request):\n    return render(request, 'bookshop/tags.html', {'tags': Tag.objects.filter(label__startswith='a')})\n",
            message_contains='prefetch_related("books")',
            fixed=EXAMPLE_MODELS + "def tags(request):\n    return render(request, 'bookshop/tags.html', {'tags': Tag.objects.filter(label__startswith='a').prefetch_related(\"books\")})\n",
            safety=UNSAFE, path=EXAMPLE_PATH,
        ),
        Invalid(
            EXAMPLE_MODELS + "class Authors(ListView):\n    template_name = 'bookshop/authors.html'\n\n    def get_queryset(self):\n        return Author.objects.select_related('publisher')\n",
            message_contains='reads `author.books.all`', count=1,
            fixed=EXAMPLE_MODELS + "class Authors(ListView):\n    template_name = 'bookshop/authors.html'\n\n    def get_queryset(self):\n        return Author.objects.select_related('publisher').prefetch_related(\"books\")\n",
            safety=UNSAFE, path=EXAMPLE_PATH,
        ),
        Invalid(
            # built over several statements: the loader goes on every value returned
            EXAMPLE_MODELS + "class Books(ListView):\n    template_name = 'bookshop/novel_list.html'\n\n    def get_queryset(self):\n"
            "        qs = Book.objects.all()\n        if self.request.GET.get('q'):\n            return qs.filter(title__icontains=self.request.GET['q'])\n        return qs\n",
            message_contains='reads `book.author.name`', count=1,
            fixed=EXAMPLE_MODELS + "class Books(ListView):\n    template_name = 'bookshop/novel_list.html'\n\n    def get_queryset(self):\n"
            "        qs = Book.objects.all()\n        if self.request.GET.get('q'):\n            return qs.filter(title__icontains=self.request.GET['q']).select_related(\"author\")\n"
            "        return qs.select_related(\"author\")\n",
            safety=UNSAFE, path=EXAMPLE_PATH,
        ),
    ]

    @classmethod
    def could_match(cls, view: Any) -> bool:
        """A class with bases, or a call to something named like a renderer."""
        for node in view.nodes(ast.ClassDef):
            if node.bases:
                return True
        for node in view.nodes(ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in ("render", "TemplateResponse", "SimpleTemplateResponse"):
                return True
        return False

    def __init__(self, ctx: Any, options: Any = None) -> None:
        super().__init__(ctx, options)
        self._views: List[Dict[str, Any]] = []

    # -- templates --------------------------------------------------------------------
    def _templates(self) -> Optional[TemplateProvider]:
        provider = self.ctx.provider(TemplateProvider.name) if hasattr(self.ctx, "provider") else None
        return provider if isinstance(provider, TemplateProvider) else None

    def _template(self, names: List[str]) -> Optional[Tuple[str, str, List[Tuple[Any, ...]]]]:
        """The template the view renders, its parents and includes read in (see
        :func:`expand`); None when no single file has its name."""
        provider = self._templates()
        if provider is None:
            return None
        files = provider.files_for(self.ctx.path)
        found = resolve(files, names)
        if found is None:
            return None
        name, path = found
        events = self._events(path)
        if events is None:
            return None

        def load(other: str) -> Optional[Tuple[str, List[Tuple[Any, ...]]]]:
            hit = resolve(files, [other])
            parsed = self._events(hit[1]) if hit is not None else None
            return (hit[1], parsed) if hit is not None and parsed is not None else None

        return name, path, expand(name, path, events, load)

    def _events(self, path: str) -> Optional[List[Tuple[Any, ...]]]:
        project = self.ctx.project
        memo = getattr(getattr(project, "source", None), "files", None)
        try:
            if memo is not None:
                events = memo.derived("fft206-template", path, parse_template, salt=PARSE_VERSION)
            else:
                with open(path, "rb") as fh:
                    events = parse_template(fh.read())
        except OSError:
            return None
        return events

    # -- list views ---------------------------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        kind, suffix = self._view_kind(node), "_list"
        if kind is not None and kind.startswith("detail_"):
            kind, suffix = "detail", kind[len("detail"):]
        declared = {}
        for stmt in node.body.body:
            for small in stmt.body if isinstance(stmt, cst.SimpleStatementLine) else ():
                if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                    declared[small.targets[0].target.value] = small.value
        self._views.append({"node": node, "list": kind is not None, "kind": kind, "suffix": suffix, "declared": declared})

    def _view_kind(self, node: cst.ClassDef) -> Optional[str]:
        """"list" for a ``ListView``, "detail" for a ``DetailView``, "template" for a
        ``TemplateView`` (only what its ``get_context_data`` adds is read), whose other bases set
        nothing it renders: Django's own mixins (``LoginRequiredMixin``) or project classes
        that set no queryset, template or context name. A base we cannot read (another
        package's mixin) may: not a view we can tell about."""
        project = self.ctx.project
        kinds = set()
        for base in node.bases:
            values = [v for v in self.ctx.names.values(base.value) if isinstance(v, str)]
            if len(values) != 1:
                return None
            value = values[0]
            if value in _KINDS:
                kinds.add(_KINDS[value])
                continue
            cls = project.class_facts(value) if project is not None and hasattr(project, "class_facts") else None
            if cls is None:
                if not value.startswith(_NEUTRAL_BASES):
                    return None
                continue
            if self._base_decides(project, cls):
                return None
            for k in project.mro(cls):
                if isinstance(k, str) and k in _KINDS:
                    kinds.add(_KINDS[k])
        return kinds.pop() if len(kinds) == 1 else None

    def _base_decides(self, project: Any, cls: Any) -> bool:
        """A project base class that sets what the view renders (its queryset, template,
        context name): the view's own body does not tell the whole story."""
        from fftlint.facts.project import found_module

        from ._serializers import _class_node

        for base in project.mro(cls):
            if isinstance(base, str):
                if base in _KINDS or base.startswith(_NEUTRAL_BASES) or base.startswith("django.views.generic."):
                    continue
                return True  # another package's class: what it sets is unknown
            module = found_module(base.qualname, project.modules)
            facts = project.module_facts(module) if module else None
            body = _class_node(facts, base.qualname) if facts is not None else None
            if body is None:
                return True
            for stmt in body.body:
                if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id in _VIEW_ATTRS for t in stmt.targets):
                    return True
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name in _VIEW_METHODS:
                    return True
        return False

    def _view(self) -> Optional[Dict[str, Any]]:
        view = self._views[-1] if self._views else None
        if view is None or not view["list"] or self.ctx.stack.function is not None:
            return None
        frames = self.ctx.stack.frames
        return view if frames and frames[-1].node is view["node"] else None

    def _in_view_method(self, name: str) -> Optional[Dict[str, Any]]:
        """The list view being walked, when the walk is directly in its method ``name``."""
        view = self._views[-1] if self._views else None
        frames = self.ctx.stack.frames
        function = self.ctx.stack.function
        if view is None or not view["list"] or not isinstance(function, cst.FunctionDef) or function.name.value != name:
            return None
        if len(frames) < 2 or frames[-2].node is not view["node"] or frames[-1].node is not function:
            return None
        return view

    def _context_addition(self, node: cst.Assign) -> None:
        """``context["recent"] = Book.objects.filter(...)`` in the view's
        ``get_context_data`` that returns ``context``: the template sees those rows too."""
        if len(node.targets) != 1:
            return
        target = node.targets[0].target
        if not (isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name) and len(target.slice) == 1):
            return
        key = target.slice[0].slice
        key = key.value if isinstance(key, cst.Index) else None
        if isinstance(key, cst.SimpleString) and isinstance(key.evaluated_value, str):
            self._add_context(target.value.value, key.evaluated_value, node.value)

    def _context_update(self, node: cst.Call) -> None:
        """``context.update({"recent": qs})`` / ``context.update(recent=qs)`` on the dict
        ``get_context_data`` returns; an update we cannot read spoils every key."""
        func = node.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "update" and isinstance(func.value, cst.Name)):
            return
        entries = _call_entries(node)
        if entries is None:
            view = self._in_view_method("get_context_data")
            if view is not None and self._returned_name(func.value.value):
                view["extra_spoiled"] = True
            return
        for key, value in entries.items():
            if value is not None:
                self._add_context(func.value.value, key, value)

    def _returned_name(self, name: str) -> bool:
        returns = _returns(self.ctx.stack.function)  # type: ignore[arg-type]
        return bool(returns) and all(isinstance(r, cst.Name) and r.value == name for r in returns)

    def _add_context(self, name: str, key: str, value: cst.BaseExpression) -> None:
        view = self._in_view_method("get_context_data")
        if view is None or not self._returned_name(name):
            return
        extra = view.setdefault("extra", {})
        query = self.qa.analyze(value)
        readable = query is not None and query.orm == "django" and query.model is not None and query.instances and query.terminal in (None, "all")
        # a key given twice, or something we cannot read, is not checked
        extra[key] = (query, value) if readable and key not in extra else None

    def visit_Assign(self, node: cst.Assign) -> None:
        super().visit_Assign(node)
        self._context_addition(node)
        inner = self._in_view_method("get_queryset")
        if inner is not None:
            # every value a name of get_queryset() takes: the returned queryset loads only
            # what all of them load (``if ...: qs = qs.select_related(...)`` may not run)
            assigned = inner.setdefault("assigned", {})
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    assigned.setdefault(target.target.value, []).append(self.qa.lookup(target.target.value))
                elif isinstance(target.target, (cst.Attribute, cst.Subscript)) and _base_name(target.target) in ("self", "cls"):
                    continue  # ``self.form = ...``: state of the view, not the rows
                else:
                    for name in _target_names(target.target):
                        assigned.setdefault(name, []).append(None)  # unpacked: unknown
                    if isinstance(target.target, (cst.Attribute, cst.Subscript)):
                        inner["dynamic"] = True  # ``qs.query.x = ...``: unknown
        view = self._view()
        if view is None:
            return
        for target in node.targets:
            if isinstance(target.target, cst.Name) and target.target.value in _VIEW_ATTRS:
                view[target.target.value] = node.value
                view[target.target.value + "@"] = node

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        super().visit_FunctionDef(node)
        view = self._views[-1] if self._views else None
        frames = self.ctx.stack.frames
        if view is None or not view["list"] or not frames or frames[-1].node is not view["node"]:
            return
        if node.name.value == "get_queryset":
            self.qa.super_queryset = lambda: self._generic_queryset(view)
            returns = _returns(node)
            view["get_queryset"] = returns[0] if len(returns) == 1 else None
            view["dynamic"] = view.get("dynamic") or not returns
        elif node.name.value in _VIEW_METHODS or _abstract(node):
            view["dynamic"] = True  # an abstract base: its subclasses decide what it renders

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        super().leave_FunctionDef(node)
        if node.name.value == "get_queryset":
            self.qa.super_queryset = lambda: None

    @staticmethod
    def _fixable_returns(view: Dict[str, Any], returned: Sequence[Query]) -> List[cst.BaseExpression]:
        """The values ``get_queryset()`` returns, when a loader can be appended to each: a
        name or a chain of calls (no slice, no ``values()``), every one a queryset that
        does not load anything unknown."""
        ends = view.get("return_values") or []
        if not ends or any(q.custom or q.loads_unknown or q.terminal is not None or not q.instances for q in returned):
            return []
        for end in ends:
            if not isinstance(end, (cst.Name, cst.Call)) or any(link.kind == "index" for link in unchain(end)[1]):
                return []
        return list(ends)

    def _generic_queryset(self, view: Dict[str, Any]) -> Optional[Query]:
        """``super().get_queryset()`` in a view whose bases are Django's generic views (and
        project classes that set nothing it renders): Django's ``queryset.all()`` when the
        class declares one, else the model's default manager ``all()``."""
        declared = view.get("declared") or {}
        if "queryset" in declared:
            q = self.qa.analyze(declared["queryset"])
            if q is None or q.orm != "django" or q.terminal is not None or not q.instances:
                return None
            q.origin = declared["queryset"]  # where a fix would load more
            return q
        model = self.qa.model_of(declared["model"]) if "model" in declared else None
        if model is None or self.qa.index.orm_of(model) != "django":
            return None
        return default_rows(self.qa.index, model, f"{model.name}._default_manager.all()")

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        super().visit_AugAssign(node)
        inner = self._in_view_method("get_queryset")
        if inner is not None and isinstance(node.target, cst.Name):
            inner.setdefault("assigned", {}).setdefault(node.target.value, []).append(None)

    def visit_Return(self, node: cst.Return) -> None:
        """Each ``return`` of ``get_queryset()``: a name gives every value it was assigned
        there, anything else its value here (``return qs.filter(...)``,
        ``return self.apply_search(qs)`` through a pass-through helper)."""
        view = self._in_view_method("get_queryset")
        if view is None or node.value is None:
            return
        if isinstance(node.value, cst.Name):
            values = view.get("assigned", {}).get(node.value.value, [])
        else:
            values = [self.qa.analyze(node.value)]
        if not values or any(v is None for v in values):
            view["dynamic"] = True  # a value we cannot read (a helper, super().get_queryset())
            return
        returned = view.setdefault("returned", [])
        returned.append((values[-1], values))
        view.setdefault("return_values", []).append(node.value)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        view = self._views.pop() if self._views else None
        if view is None or not view["list"] or view.get("dynamic") or "template_name_suffix" in view:
            return
        if view["kind"] == "template":
            template = view.get("template_name")
            if isinstance(template, cst.SimpleString) and isinstance(template.evaluated_value, str):
                self._check_extras(view, [template.evaluated_value], {})
            return
        expr = view.get("get_queryset") or view.get("queryset")
        at: cst.CSTNode
        others: List[Query] = []
        direct = None
        ends: List[cst.BaseExpression] = []
        if expr is not None and not isinstance(expr, cst.Name):
            root, links = unchain(expr)
            direct = self.qa._django(root, links)
        if direct is not None and expr is not None:
            query = direct
            if query.terminal is not None or not query.instances:
                return
            at, fixable = expr, True
        elif expr is not None and "get_queryset" not in view:
            return  # ``queryset = ...`` we cannot read
        elif "get_queryset" in view:
            # ``qs = X.objects...; qs = sort(qs, ...); if ...: return qs; return qs.filter(...)``:
            # the rows load what any value returned there loads
            returned = view.get("returned")
            if not returned:
                return
            query = returned[0][0]
            others = [q for _, values in returned for q in values]
            if any(q.terminal is not None or not q.instances or q.orm != "django" or q.model != query.model for q in others):
                return
            origin = query.origin if isinstance(query.origin, cst.BaseExpression) else None
            at, fixable = (origin or expr or node), False
            ends = self._fixable_returns(view, others)
        else:
            model_expr = view.get("model")
            model = self.qa.model_of(model_expr) if model_expr is not None else None
            if model is None or self.qa.index.orm_of(model) != "django" or self.qa.index.custom_managers(model) or self.qa.index.default_manager(model):
                return
            query = Query("django", model, model.name, f"{model.name}.objects.all()")
            at, fixable = view.get("template_name@") or node, False
        model = query.model
        if model is None:
            return
        names: List[str] = []
        template = view.get("template_name")
        if template is not None:
            if not isinstance(template, cst.SimpleString) or not isinstance(template.evaluated_value, str):
                return
            names.append(template.evaluated_value)
        else:
            label = app_label(model)
            if label is None:
                return
            names.append(f"{label}/{model.name.lower()}{view['suffix']}.html")
        context = view.get("context_object_name")
        if context is not None and (not isinstance(context, cst.SimpleString) or not isinstance(context.evaluated_value, str)):
            return
        shown = self.ctx.code_for(at) if isinstance(at, cst.BaseExpression) else query.display
        if view["kind"] == "detail":
            # ``{% for order in customer.orders.all %}{{ order.lines.count }}``: per row of one
            # relation of the object; ``prefetch_related("orders__lines")`` on the view's
            # queryset loads them with the object
            name = context.evaluated_value if context is not None else model.name.lower()
            self._check(names, {"object": ("object", model), name: ("object", model)}, query, at, shown, "the view's queryset",
                        fixable and expr is not None, others, detail=name, ends=ends)
            return
        sources: Dict[str, Tuple[str, Model]] = {"object_list": ("rows", model), "page_obj": ("page", model)}
        sources[context.evaluated_value if context is not None else f"{model.name.lower()}_list"] = ("rows", model)
        self._check(names, sources, query, at, shown, "the view's queryset", fixable and expr is not None, others, ends=ends)
        self._check_extras(view, names, sources)

    def _check_extras(self, view: Dict[str, Any], names: List[str], sources: Dict[str, Any]) -> None:
        """The querysets ``get_context_data()`` adds to the context (none when an update
        of it could not be read)."""
        if view.get("extra_spoiled"):
            return
        for key, added in (view.get("extra") or {}).items():
            if added is None or key in sources:
                continue
            extra_query, value = added
            self._check(names, {key: ("rows", extra_query.model)}, extra_query, value, self.ctx.code_for(value), "the queryset", not isinstance(value, cst.Name))

    # -- render(request, "t.html", {"rows": qs}) -----------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        self._context_update(node)
        name = self.ctx.names.resolve(node.func)
        if name not in RENDERERS:
            return
        positional = [a.value for a in node.args if a.keyword is None and not a.star]
        keywords = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
        template = keywords.get("template_name", positional[1] if len(positional) > 1 else None)
        context = keywords.get("context", positional[2] if len(positional) > 2 else None)
        if not isinstance(template, cst.SimpleString) or not isinstance(template.evaluated_value, str):
            return
        if isinstance(context, cst.Dict):
            entries = _dict_entries(context)
        elif isinstance(context, cst.Name) and isinstance(self.ctx.stack.function, cst.FunctionDef):
            entries = _built_context(self.ctx.stack.function, context.value, node)
        else:
            return
        for key, value in (entries or {}).items():
            if value is None:
                continue  # a key given something we cannot read, or more than one value
            query = self.qa.analyze(value)
            if query is None or query.orm != "django" or query.model is None or not query.instances or query.terminal not in (None, "all"):
                continue
            direct = not isinstance(value, cst.Name)
            self._check([template.evaluated_value], {key: ("rows", query.model)}, query, value, self.ctx.code_for(value), "the queryset", direct)

    def _member_reads(self, model: Model, name: str) -> List[str]:
        """The Django to-one relation paths a model member the template calls reads from
        ``self`` (``@property`` or a method of ``self`` alone: a template passes no
        argument); none for a method that alters data (``save``, ``delete``: templates
        refuse to call them) or one we cannot read."""
        project = self.ctx.project
        if project is None or not hasattr(project, "class_facts") or name.startswith("_") or name in _NOT_FOLLOWED or name in catalog()["django"]["instance"]:
            return []
        memo = self.__dict__.setdefault("_members_memo", {})
        key = (model.qualname, name)
        if key not in memo:
            cls = project.class_facts(model.qualname)
            reads: List[str] = []
            if cls is not None and name in cls.methods and _takes_only_self(project, model, name):
                reads = member_reads_per_row(project, self.qa.index, model, name)
                query = member_query(project, cls.methods[name], self.ctx.module_name)
                if query is not None:
                    reads.append(MEMBER_QUERY + query)
            memo[key] = reads
        return memo[key]

    # -- the check ------------------------------------------------------------------------------
    def _check(self, names: List[str], sources: Dict[str, Tuple[str, Model]], query: Query, at: cst.CSTNode, shown: str, where: str, fixable: bool,
               others: Sequence[Query] = (), detail: str = "", ends: Sequence[cst.BaseExpression] = ()) -> None:
        """Report what the template reads per row that ``query`` (or any of ``others``)
        does not load. The fix appends the loader to ``at`` when ``fixable``, else to every
        value ``get_queryset()`` returns (``ends``)."""
        found = self._template(names)
        if found is None:
            return
        name, path, events = found
        needs = per_row_reads(events, sources, self.qa.index, self._member_reads)
        missing: Dict[str, Need] = {}
        for need in needs:
            if not query.covers(need[0]) and not any(q.covers(need[0]) for q in others):
                missing.setdefault(need[0], need)
        shown = f"`{short_code(shown)}`"
        annotated = any(m in ("annotate", "alias", "extra") for q in (query, *others) for m in q.methods) or any(q.custom or q.loads_unknown for q in (query, *others))
        for step, (_, loader, line, text, t_name, t_path) in missing.items():
            related = [Related(f"`{text}` read per row", t_path or path, Span(line, 1, line, 1))]
            rows = f"`{detail}.{step.split('__')[0]}`" if detail else shown
            if loader == MEMBER_QUERY:
                if not annotated:  # an annotation the member may read instead (``hasattr(self, "n")``)
                    chain = step[len(MEMBER_QUERY):]
                    self.report(at, template=t_name or name, line=line, text=text, query=rows, related=related,
                                hint=f"the member runs a query for each row (`{chain}`) that no loader serves; annotate the value on {where} instead")
                continue
            if any(p != step and p.startswith(step + "__") for p in missing):
                continue  # the longer path's loader loads this one too
            method = "select_related" if loader == SELECT_RELATED else "prefetch_related"
            addition = f'.{method}("{step}")'
            fix = None
            if fixable and isinstance(at, cst.BaseExpression) and not (query.no_fix or query.custom or query.loads_unknown or query.terminal is not None):
                fix = replace(at, self.ctx.code_for(at) + addition, safety=UNSAFE, title=f"Add `{addition}`")
            elif ends:
                fix = FixSpec(tuple((end, self.ctx.code_for(end) + addition) for end in ends), UNSAFE, f"Add `{addition}` to what `get_queryset()` returns")
            self.report(at, template=t_name or name, line=line, text=text, query=rows, hint=f"add `{addition}` to {where}", fix=fix, related=related)


def _base_name(node: cst.BaseExpression) -> Optional[str]:
    while isinstance(node, (cst.Attribute, cst.Subscript)):
        node = node.value
    return node.value if isinstance(node, cst.Name) else None


def _target_names(node: cst.CSTNode) -> List[str]:
    if isinstance(node, cst.Name):
        return [node.value]
    if isinstance(node, (cst.Tuple, cst.List)):
        return [n for e in node.elements for n in _target_names(e.value)]
    if isinstance(node, cst.StarredElement):
        return _target_names(node.value)
    return []


def _dict_entries(node: cst.Dict) -> Optional[Dict[str, Optional[cst.BaseExpression]]]:
    """The string keys of a dict display and their values; None when it unpacks another
    mapping (``**extra``: any key may come from it)."""
    out: Dict[str, Optional[cst.BaseExpression]] = {}
    for element in node.elements:
        if not isinstance(element, cst.DictElement):
            return None
        if isinstance(element.key, cst.SimpleString) and isinstance(element.key.evaluated_value, str):
            key = element.key.evaluated_value
            out[key] = None if key in out else element.value
    return out


def _call_entries(call: cst.Call) -> Optional[Dict[str, Optional[cst.BaseExpression]]]:
    """``dict(a=x)`` / ``ctx.update(a=x)`` / ``ctx.update({"a": x})``: keys and values; None
    when an argument is anything else (a mapping we cannot read may set any key)."""
    out: Dict[str, Optional[cst.BaseExpression]] = {}
    for arg in call.args:
        if arg.keyword is not None and not arg.star:
            out[arg.keyword.value] = arg.value
        elif arg.keyword is None and not arg.star and isinstance(arg.value, cst.Dict) and not out:
            entries = _dict_entries(arg.value)
            if entries is None:
                return None
            out.update(entries)
        else:
            return None
    return out


class _ContextBuild:
    """What a function puts into one context variable before the render call that passes it
    (a plain walk in source order: no visitor class, so importing the rule loads no LibCST)."""

    def __init__(self, name: str, render: cst.Call) -> None:
        self.name = name
        self.render = render
        self.done = False
        self.unknown = False
        self.assigned = 0
        self.entries: Dict[str, List[Optional[cst.BaseExpression]]] = {}
        self.allowed: List[cst.CSTNode] = []  # uses of the name we understood

    def _add(self, entries: Optional[Dict[str, Optional[cst.BaseExpression]]]) -> None:
        if entries is None:
            self.unknown = True
            return
        for key, value in entries.items():
            self.entries.setdefault(key, []).append(value)

    def _is_name(self, node: cst.CSTNode) -> bool:
        return isinstance(node, cst.Name) and node.value == self.name

    def walk(self, node: Any) -> None:
        if self.done:
            return
        method = getattr(self, "visit_" + type(node).__name__, None)
        if method is not None and method(node) is False:
            return
        for child in node.children:
            self.walk(child)

    def visit_Call(self, node: cst.Call) -> Optional[bool]:
        if self.done:
            return False
        if node is self.render:
            self.done = True
            for arg in node.args:
                if self._is_name(arg.value):
                    self.allowed.append(arg.value)
            return None
        func = node.func
        if isinstance(func, cst.Attribute) and self._is_name(func.value) and func.attr.value == "update":
            self.allowed.append(func.value)
            self._add(_call_entries(node))
        return None

    def visit_Assign(self, node: cst.Assign) -> Optional[bool]:
        if self.done:
            return False
        for target in node.targets:
            t = target.target
            if self._is_name(t):
                self.allowed.append(t)
                self.assigned += 1
                value = node.value
                if isinstance(value, cst.Dict):
                    self._add(_dict_entries(value))
                elif isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "dict":
                    self._add(_call_entries(value))
                else:
                    self.unknown = True
            elif isinstance(t, cst.Subscript) and self._is_name(t.value):
                self.allowed.append(t.value)
                index = t.slice[0].slice if len(t.slice) == 1 else None
                key = index.value if isinstance(index, cst.Index) else None
                if isinstance(key, cst.SimpleString) and isinstance(key.evaluated_value, str):
                    self.entries.setdefault(key.evaluated_value, []).append(node.value)
                else:
                    self.unknown = True
        return None

    def visit_Name(self, node: cst.Name) -> None:
        if not self.done and node.value == self.name and not any(node is a for a in self.allowed):
            self.unknown = True  # passed to a helper, augmented, returned...: it may hold anything


def _built_context(function: cst.FunctionDef, name: str, render: cst.Call) -> Optional[Dict[str, Optional[cst.BaseExpression]]]:
    """The context a function builds in the variable ``name`` for ``render``: ``ctx = {...}``
    (or ``dict(...)``) once, then ``ctx["k"] = v`` and ``ctx.update(...)``; key -> value
    (None for a key given more than one value). None when the variable is used any other
    way or takes something we cannot read."""
    build = _ContextBuild(name, render)
    build.walk(function.body)
    if not build.done or build.unknown or build.assigned != 1:
        return None
    return {key: values[0] if len(values) == 1 else None for key, values in build.entries.items()}


def member_reads_per_row(project: Any, index: Any, model: Model, name: str) -> List[str]:
    """The relation paths a model member a template calls once per row loads from
    ``self`` (the member is known to take ``self`` alone): forward to-one hops a
    ``select_related`` serves, and to-many relations read only through
    ``.all()`` / ``.count()`` / ``.exists()``, which a ``prefetch_related`` serves."""
    reads = [step for rel, step, _ in member_relation_reads(project, index, model, name) if rel.loader == SELECT_RELATED]
    reads.extend(step for _, step, _ in member_prefetch_reads(project, index, model, name) if step not in reads)
    return reads


def _takes_only_self(project: Any, model: Model, name: str) -> bool:
    """The member ``name`` of the model's class is a function of ``self`` alone (or one
    whose other parameters have defaults): what a template can call."""
    fn = member_def(project, model, name)
    if fn is None:
        return False
    args = fn.args
    positional = [*args.posonlyargs, *args.args]
    required = len(positional) - len(args.defaults)
    return bool(positional) and required <= 1 and all(d is not None for d in args.kw_defaults)
