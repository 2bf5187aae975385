"""FFT204: a Django REST framework serializer reads a relation per row that the view's queryset does not load."""

from __future__ import annotations

import ast
from typing import Any, Dict, List, Optional

import libcst as cst

from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.rule import Invalid, Rule, replace
from fftlint.types import UNSAFE

from ._querysets import OPTIONS_KEY, NPlusOneOptions, Query, QueryLoopTracker, short_code, unchain
from ._serializers import SerializerReader
from .provider import OrmProvider

#: Views whose ``list`` serializes every row of ``queryset`` / ``get_queryset()``.
LIST_VIEWS = frozenset((
    "rest_framework.generics.ListAPIView", "rest_framework.generics.ListCreateAPIView",
    "rest_framework.viewsets.ModelViewSet", "rest_framework.viewsets.ReadOnlyModelViewSet",
    "rest_framework.mixins.ListModelMixin",
))

MODELS = (
    "from django.db import models\n"
    "from rest_framework import generics, serializers, viewsets\n\n"
    "class Author(models.Model):\n"
    "    name = models.CharField(max_length=50)\n\n"
    "class Book(models.Model):\n"
    "    title = models.CharField(max_length=50)\n"
    "    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name='books')\n"
    "    tags = models.ManyToManyField('Tag')\n\n"
    "class Tag(models.Model):\n"
    "    label = models.CharField(max_length=20)\n\n"
)
SERIALIZERS = (
    "class AuthorSerializer(serializers.ModelSerializer):\n"
    "    class Meta:\n"
    "        model = Author\n"
    "        fields = ['id', 'name']\n\n"
    "class BookSerializer(serializers.ModelSerializer):\n"
    "    author = AuthorSerializer(read_only=True)\n"
    "    class Meta:\n"
    "        model = Book\n"
    "        fields = ['id', 'title', 'author']\n\n"
)


class SerializerRelationPerRow(QueryLoopTracker, Rule):
    """## What it does
    Checks for a Django REST framework serializer that reads a relation of every row it
    serializes, used for many rows whose queryset does not load that relation:

    - by a list view -- `ListAPIView`, `ListCreateAPIView`, `ModelViewSet`,
      `ReadOnlyModelViewSet`, `ListModelMixin` (directly or through your own base
      classes) -- whose `serializer_class` reads it and whose `queryset = ...` or single
      `return` of `get_queryset()` lacks the `select_related` / `prefetch_related`
      (also a related manager of the signed-in user, `return self.request.user.orders.all()`,
      whose rows' foreign key back to that user is no query);
    - by `MySerializer(queryset, many=True)` on a queryset.

    A serializer reads a relation through a nested serializer field (`author =
    AuthorSerializer()`, two levels deep), `source="author.name"`, `StringRelatedField` /
    `SlugRelatedField` / `PrimaryKeyRelatedField(many=True)`, a many-valued relation listed
    in `Meta.fields` (rendered as primary keys), `Meta.depth`, or a `SerializerMethodField`
    whose `get_<name>(self, obj)` reads `obj.<relation>` -- or runs a query for each row
    (`obj.books.filter(...)`: no loader serves that; annotate or `Prefetch(to_attr=...)`),
    also through another model's queryset or a project helper it calls
    (`return average_stars(obj)` where the helper aggregates `Review.objects`: found by the
    facts layer as FFT203 finds a query behind a call; a memoized helper is not one).
    Serializers are read from their classes, in any module of the project. Not followed:
    `get_serializer_class()`, fields added in `__init__`, querysets built over several
    statements (a `to_representation` override is read like a method field: what it reads
    of its `instance`); custom managers and querysets whose loading
    cannot be read are assumed to load what is needed.

    ## Why is this bad?
    Serializing a page of 100 books with a nested author makes 101 queries: one for the
    books, one per book for its author. The view looks innocent; the queries hide in the
    serializer, usually in another file.

    ## Example
    ```python
    class BookSerializer(serializers.ModelSerializer):
        author = AuthorSerializer(read_only=True)
        class Meta:
            model = Book
            fields = ["id", "title", "author"]

    class BookList(generics.ListAPIView):
        queryset = Book.objects.all()
        serializer_class = BookSerializer
    ```

    ## Use instead
    ```python
    class BookList(generics.ListAPIView):
        queryset = Book.objects.select_related("author")
        serializer_class = BookSerializer
    ```

    ## Fix safety
    The fix appends `.select_related("path")` / `.prefetch_related("path")` to the view's
    queryset when it is one chain written in this file (unsafe, as for FFT202: the SQL
    changes, and a relation name read statically can be contradicted at run time). No fix
    for a per-row query in a `SerializerMethodField`.
    """

    code = "FFT204"
    name = "serializer-relation-per-row"
    message = "`{serializer}.{field}` {what} for each row of {query}; {hint}"
    fix_title = "Load the relation with the view's queryset"
    requires = ("erializer",)
    Options = NPlusOneOptions
    options_key = OPTIONS_KEY
    needs_project = True
    providers = (OrmProvider,)
    tags = ("performance", "database", "n+1", "django-rest-framework")
    contexts = PRODUCTION_ONLY  # a list view's N+1 in a test costs the suite, not users

    VALID = [
        MODELS + SERIALIZERS + "class BookList(generics.ListAPIView):\n    queryset = Book.objects.select_related('author')\n    serializer_class = BookSerializer\n",
        # a detail view serializes one row
        MODELS + SERIALIZERS + "class BookDetail(generics.RetrieveAPIView):\n    queryset = Book.objects.all()\n    serializer_class = BookSerializer\n",
        # a serializer that only reads columns and the foreign key's primary key
        MODELS + "class BookSerializer(serializers.ModelSerializer):\n    class Meta:\n        model = Book\n        fields = ['id', 'title', 'author']\n\n"
        "class BookList(generics.ListAPIView):\n    queryset = Book.objects.all()\n    serializer_class = BookSerializer\n",
        # a queryset whose loading cannot be read
        MODELS + SERIALIZERS + "class BookList(generics.ListAPIView):\n    queryset = Book.objects.select_related(*FIELDS)\n    serializer_class = BookSerializer\n",
        # one object
        MODELS + SERIALIZERS + "def show(pk):\n    return BookSerializer(Book.objects.get(pk=pk)).data\n",
    ]
    INVALID = [
        Invalid(
            MODELS + SERIALIZERS + "class BookList(generics.ListAPIView):\n    queryset = Book.objects.all()\n    serializer_class = BookSerializer\n",
            message_contains='select_related("author")',
            fixed=MODELS + SERIALIZERS + "class BookList(generics.ListAPIView):\n    queryset = Book.objects.all().select_related(\"author\")\n    serializer_class = BookSerializer\n",
            safety=UNSAFE,
        ),
        Invalid(
            MODELS + "class BookSerializer(serializers.ModelSerializer):\n    class Meta:\n        model = Book\n        fields = ['id', 'tags']\n\n"
            "class BookList(generics.ListAPIView):\n    serializer_class = BookSerializer\n    def get_queryset(self):\n        return Book.objects.filter(title__startswith='A')\n",
            message_contains='prefetch_related("tags")',
            fixed=MODELS + "class BookSerializer(serializers.ModelSerializer):\n    class Meta:\n        model = Book\n        fields = ['id', 'tags']\n\n"
            "class BookList(generics.ListAPIView):\n    serializer_class = BookSerializer\n    def get_queryset(self):\n        return Book.objects.filter(title__startswith='A').prefetch_related(\"tags\")\n",
            safety=UNSAFE,
        ),
        Invalid(
            MODELS + "class AuthorSerializer(serializers.ModelSerializer):\n    n_books = serializers.SerializerMethodField()\n"
            "    def get_n_books(self, obj):\n        return obj.books.filter(title__startswith='A').count()\n"
            "    class Meta:\n        model = Author\n        fields = ['id', 'n_books']\n\n"
            "def authors(request):\n    return AuthorSerializer(Author.objects.all(), many=True).data\n",
            message_contains="runs a query",
        ),
        Invalid(
            MODELS + "class BookSerializer(serializers.ModelSerializer):\n    author_name = serializers.CharField(source='author.name')\n"
            "    class Meta:\n        model = Book\n        fields = ['id', 'author_name']\n\n"
            "class BookViewSet(viewsets.ModelViewSet):\n    queryset = Book.objects.order_by('title')\n    serializer_class = BookSerializer\n",
            message_contains="author",
            fixed=MODELS + "class BookSerializer(serializers.ModelSerializer):\n    author_name = serializers.CharField(source='author.name')\n"
            "    class Meta:\n        model = Book\n        fields = ['id', 'author_name']\n\n"
            "class BookViewSet(viewsets.ModelViewSet):\n    queryset = Book.objects.order_by('title').select_related(\"author\")\n    serializer_class = BookSerializer\n",
            safety=UNSAFE,
        ),
    ]

    @classmethod
    def could_match(cls, view: Any) -> bool:
        """A class assigning ``serializer_class``, or a call passing ``many=True``."""
        for node in view.nodes(ast.keyword):
            if node.arg == "many" and isinstance(node.value, ast.Constant) and node.value.value is True:
                return True
        for node in view.nodes(ast.Name):
            if node.id == "serializer_class" and isinstance(node.ctx, ast.Store):
                return True
        return False

    def __init__(self, ctx: Any, options: Any = None) -> None:
        super().__init__(ctx, options)
        self._views: List[Dict[str, Any]] = []

    def _reader(self) -> Optional[SerializerReader]:
        project = self.ctx.project
        if project is None or not hasattr(project, "mro"):
            return None
        return self.ctx.shared("fft204-reader", lambda: SerializerReader(project, self.qa.index))

    # -- list views -------------------------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._views.append({"node": node, "list": self._is_list_view(node)})

    def _is_list_view(self, node: cst.ClassDef) -> bool:
        from ._querysets import derives_from

        return derives_from(self.ctx, node, LIST_VIEWS.__contains__)

    def visit_Assign(self, node: cst.Assign) -> None:
        super().visit_Assign(node)
        view = self._views[-1] if self._views else None
        if view is None or not view["list"] or self.ctx.stack.function is not None:
            return
        frames = self.ctx.stack.frames
        if not frames or frames[-1].node is not view["node"]:
            return
        for target in node.targets:
            if isinstance(target.target, cst.Name) and target.target.value == "serializer_class":
                view["serializer"] = self._serializer_of(node.value)
            elif isinstance(target.target, cst.Name) and target.target.value == "queryset":
                view["queryset"] = node.value

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        super().visit_FunctionDef(node)
        view = self._views[-1] if self._views else None
        if view is not None and view["list"] and node.name.value == "get_queryset" and self.ctx.stack.frames and self.ctx.stack.frames[-1].node is view["node"]:
            from ._querysets import _returns

            returns = _returns(node)
            view["queryset"] = returns[0] if len(returns) == 1 else None
            view["dynamic"] = len(returns) != 1

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        view = self._views.pop() if self._views else None
        if view is None or not view["list"] or view.get("dynamic"):
            return
        serializer, expr = view.get("serializer"), view.get("queryset")
        if serializer is None or expr is None:
            return
        root, links = unchain(expr)
        query = self.qa._django(root, links) or self._view_rows(node, root, links)
        if query is not None and query.custom_method:
            # ``Post.objects.published()``: a queryset method of the project; the facts
            # layer says whether it keeps the queryset (and what it loads)
            query = self.qa._from_values(root, links)
        if query is None:
            return
        self._check(serializer, query, expr, "the view's queryset", fixable=True)

    def _view_rows(self, view: cst.ClassDef, root: cst.BaseExpression, links: List[Any]) -> Optional[Query]:
        """``return self.request.user.orders.all()``: rows of a related manager of the
        signed-in user (:mod:`._view_instances`)."""
        from ._view_instances import view_instance

        row = view_instance(self.qa, root, links, cls=view)
        return self.qa.related_rows(row[0], links, row[1]) if row is not None else None

    def _serializer_of(self, expr: cst.BaseExpression) -> Optional[str]:
        reader = self._reader()
        if reader is None:
            return None
        name = self.ctx.names.resolve(expr)
        return name if name and reader.is_serializer(name) else None

    # -- Serializer(qs, many=True) --------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        if not any(a.keyword is not None and a.keyword.value == "many" and isinstance(a.value, cst.Name) and a.value.value == "True" for a in node.args):
            return
        positional = [a for a in node.args if a.keyword is None and not a.star]
        if not positional:
            return
        serializer = self._serializer_of(node.func)
        if serializer is None:
            return
        expr = positional[0].value
        query = self.qa.analyze(expr)
        if query is None or query.orm != "django" or query.terminal is not None and query.terminal != "all" or not query.instances:
            return
        direct = query.via != "values" and not isinstance(expr, cst.Name)
        self._check(serializer, query, expr, "the queryset", fixable=direct)

    # -- the check --------------------------------------------------------------------------
    def _check(self, serializer: str, query: Query, expr: cst.BaseExpression, where: str, fixable: bool) -> None:
        reader = self._reader()
        found = reader.reads(serializer) if reader is not None else None
        if found is None or found[0] is None or query.model is None or found[0].qualname != query.model.qualname:
            return
        _, reads = found
        back = self.qa.index.back_field(query.related) if query.related is not None else None
        missing = [r for r in reads if (r.loader == "query" or not query.covers(r.path)) and (back is None or r.path.split("__")[0] != back)]
        paths = {r.path for r in missing if r.loader != "query"}
        shown = f"`{short_code(self.ctx.code_for(expr))}`"
        short = serializer.rsplit(".", 1)[-1]
        for read in missing:
            if read.loader != "query" and any(p != read.path and p.startswith(read.path + "__") for p in paths):
                continue  # the longer path's loader loads this one too
            if read.loader == "query":
                self.report(expr, serializer=short, field=read.field, what=f"runs a query ({read.how})", query=shown,
                            hint="annotate the value on " + where + " (`annotate(Count(...))`) or prefetch it with `Prefetch(..., to_attr=...)`")
                continue
            method = "select_related" if read.loader == "select_related" else "prefetch_related"
            addition = f'.{method}("{read.path}")'
            fix = None
            if fixable and not (query.no_fix or query.custom or query.loads_unknown or query.terminal is not None):
                fix = replace(expr, self.ctx.code_for(expr) + addition, safety=UNSAFE, title=f"Add `{addition}`")
            self.report(expr, serializer=short, field=read.field, what=f"reads `{read.path}` ({read.how})", query=shown,
                        hint=f"add `{addition}` to {where}", fix=fix)
