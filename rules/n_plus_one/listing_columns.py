"""FFT209: a wagtail listing view declares a column that reads a relation per row that its queryset does not load."""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

import libcst as cst

from fftlint.analysis.orm import SELECT_RELATED, Model
from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.rule import Invalid, Rule

from ._querysets import OPTIONS_KEY, NPlusOneOptions, Query, QueryLoopTracker, _apply_django, default_rows
from ._row_reads import RowReader
from ._serializers import Read
from .admin_list_relations import _const, _elements
from .provider import OrmProvider

#: wagtail's generic model listing (``BaseListingView.get_base_queryset``: ``queryset``, else
#: ``model._default_manager.all()``), which renders every column once per row.
INDEX_VIEWS = frozenset(("wagtail.admin.views.generic.IndexView", "wagtail.admin.views.generic.models.IndexView"))
#: Columns whose cell is ``multigetattr(instance, accessor)`` (``Column.get_value``) and
#: that do not override it (wagtail/admin/ui/tables/__init__.py).
COLUMNS = frozenset(
    f"{module}.{name}"
    for module in ("wagtail.admin.ui.tables",)
    for name in ("Column", "TitleColumn", "StatusFlagColumn", "DateColumn")
)
#: Members of the view (or of the viewset that builds it) that change the rows or the columns.
_OPAQUE = frozenset((
    "get_queryset", "get_base_queryset", "order_queryset", "filter_queryset", "search_queryset",
    "get_columns", "columns_for", "list_display", "queryset",
))
_VIEWSETS_OPAQUE = frozenset(("get_queryset", "index_view", "queryset"))
#: Viewset methods that pass keyword arguments to the views: read unless they name these.
_VIEW_KWARGS = frozenset(("get_index_view_kwargs", "get_common_view_kwargs"))
_KWARG_WORDS = ("queryset", "model", "columns")

MODELS = (
    "from django.db import models\n"
    "from wagtail.admin.ui.tables import Column, TitleColumn\n"
    "from wagtail.admin.views import generic\n\n"
    "class Region(models.Model):\n"
    "    name = models.CharField(max_length=50)\n\n"
    "class Store(models.Model):\n"
    "    name = models.CharField(max_length=50)\n"
    "    region = models.ForeignKey(Region, on_delete=models.CASCADE)\n\n"
)


class ListingColumnRelationPerRow(RowReader, QueryLoopTracker, Rule):
    """## What it does
    Checks for a wagtail generic `IndexView` whose declared `columns` read, for every
    row of the listing, a relation its queryset does not load. wagtail renders each
    `Column("name")` (also `TitleColumn`, `StatusFlagColumn`, `DateColumn`) as
    `multigetattr(row, accessor)`: a forward foreign key named by the column (or
    reached by `accessor="region.name"`) is loaded per row, and a foreign key is shown
    as its target's `str()`, so what that `__str__` reads is loaded per row too; a
    model method or property named by the column is read like FFT207 reads one.

    The rows are the view's `queryset = Model.objects...` when it sets one, else
    `model._default_manager.all()`, the model being the view's `model = ...` or the
    `model` of a viewset in the same module whose `index_view_class` is the view. Silent
    when anything deciding the rows or the columns cannot be read: a `get_queryset` /
    `get_base_queryset` / `order_queryset` / `filter_queryset` / `search_queryset`
    override, a base other than wagtail's `IndexView`, a viewset that overrides how it
    builds the view, a custom default manager, a column with a callable accessor, a
    column class other than those above.

    ## Why is this bad?
    A listing of 50 stores with a region column runs 51 queries each time it is shown:
    nothing in the project loops, wagtail's table template does.

    ## Example
    ```python
    class StoreIndexView(generic.IndexView):
        model = Store
        columns = [TitleColumn("name"), Column("region")]
    ```

    ## Use instead
    ```python
    class StoreIndexView(generic.IndexView):
        model = Store
        queryset = Store.objects.select_related("region")
        columns = [TitleColumn("name"), Column("region")]
    ```

    ## Fix safety
    No fix: the queryset is set in a `queryset` attribute or a `get_base_queryset`
    override, a choice left to the project.
    """

    code = "FFT209"
    name = "listing-column-relation-per-row"
    message = "column `{column}` of `{view}` {what}, for each row of the listing; {hint}"
    requires = ("columns",)
    Options = NPlusOneOptions
    options_key = OPTIONS_KEY
    needs_project = True
    providers = (OrmProvider,)
    tags = ("performance", "database", "n+1", "wagtail")
    contexts = PRODUCTION_ONLY

    VALID = [
        # the queryset loads the column's relation
        MODELS + "class V(generic.IndexView):\n    model = Store\n    queryset = Store.objects.select_related('region')\n"
        "    columns = [TitleColumn('name'), Column('region')]\n",
        # own fields and the foreign key's id
        MODELS + "class V(generic.IndexView):\n    model = Store\n    columns = [TitleColumn('name'), Column('region_id')]\n",
        # a get_queryset we do not read
        MODELS + "class V(generic.IndexView):\n    model = Store\n    columns = [Column('region')]\n\n"
        "    def get_queryset(self):\n        return optimise(super().get_queryset())\n",
    ]
    INVALID = [
        Invalid(
            MODELS + "class V(generic.IndexView):\n    model = Store\n    columns = [TitleColumn('name'), Column('region')]\n",
            message_contains='select_related("region")',
        ),
        # a dotted accessor follows the relation
        Invalid(
            MODELS + "class V(generic.IndexView):\n    queryset = Store.objects.order_by('name')\n"
            "    columns = [Column('region_name', accessor='region.name')]\n",
            message_contains="row.region",
        ),
        # the model comes from the viewset that builds the view
        Invalid(
            MODELS + "from wagtail.admin.viewsets.model import ModelViewSet\n\n"
            "class V(generic.IndexView):\n    columns = [Column('region')]\n\n"
            "class StoreViewSet(ModelViewSet):\n    model = Store\n    index_view_class = V\n",
            message_contains="region",
        ),
    ]

    @classmethod
    def could_match(cls, view: Any) -> bool:
        from ._prefilter import listing_columns_could_match

        return listing_columns_could_match(view)

    def leave_Module(self, node: cst.Module) -> None:
        views: List[Tuple[cst.ClassDef, List[cst.BaseExpression]]] = []
        viewsets: List[cst.ClassDef] = []
        for stmt in node.body:
            if not isinstance(stmt, cst.ClassDef) or not isinstance(stmt.body, cst.IndentedBlock):
                continue
            if self._is_index_view(stmt):
                columns = self._columns(stmt)
                if columns is not None:
                    views.append((stmt, columns))
            else:
                viewsets.append(stmt)
        for view, columns in views:
            rows = self._rows(view, viewsets)
            if rows is not None:
                self._check(view, columns, rows)

    # -- the view ------------------------------------------------------------------
    def _is_index_view(self, node: cst.ClassDef) -> bool:
        if len(node.bases) != 1:
            return False
        values = list(self.ctx.names.values(node.bases[0].value))
        return len(values) == 1 and values[0] in INDEX_VIEWS

    @staticmethod
    def _assigns(node: cst.ClassDef) -> List[Tuple[str, cst.BaseExpression]]:
        out: List[Tuple[str, cst.BaseExpression]] = []
        assert isinstance(node.body, cst.IndentedBlock)
        for stmt in node.body.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                        out.append((small.targets[0].target.value, small.value))
        return out

    @staticmethod
    def _defines(node: cst.ClassDef) -> List[str]:
        assert isinstance(node.body, cst.IndentedBlock)
        return [s.name.value for s in node.body.body if isinstance(s, cst.FunctionDef)]

    def _columns(self, node: cst.ClassDef) -> Optional[List[cst.BaseExpression]]:
        if any(name in _OPAQUE - {"queryset"} for name in self._defines(node)):
            return None
        found: Optional[List[cst.BaseExpression]] = None
        for name, value in self._assigns(node):
            if name == "columns":
                found = _elements(value)
                if found is None:
                    return None
            elif name in ("get_queryset", "get_base_queryset"):
                return None
        return found

    def _rows(self, view: cst.ClassDef, viewsets: List[cst.ClassDef]) -> Optional[Query]:
        assigns = dict(self._assigns(view))
        if "queryset" in assigns:
            q = self.qa.analyze(assigns["queryset"])
            if q is None or q.orm != "django" or q.model is None or not q.instances or q.terminal is not None:
                return None
            return q
        model_expr = assigns.get("model")
        if model_expr is None:
            owners = [
                vs for vs in viewsets
                if any(n == "index_view_class" and isinstance(v, cst.Name) and v.value == view.name.value for n, v in self._assigns(vs))
            ]
            if len(owners) != 1 or any(name in _VIEWSETS_OPAQUE for name in self._defines(owners[0])):
                return None
            if not self._plain_kwargs(owners[0]):
                return None
            found = dict(self._assigns(owners[0]))
            if "queryset" in found:
                return None
            model_expr = found.get("model")
        if model_expr is None:
            return None
        model = self.qa.model_of(model_expr)
        if model is None or self.qa.index.orm_of(model) != "django":
            return None
        q = default_rows(self.qa.index, model, "the listing")
        return _apply_django(q, []) if q is not None else None

    def _plain_kwargs(self, viewset: cst.ClassDef) -> bool:
        """Whether the viewset's overrides of the view keyword arguments leave the
        view's model, queryset and columns alone (they do not name them)."""
        assert isinstance(viewset.body, cst.IndentedBlock)
        for stmt in viewset.body.body:
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value in _VIEW_KWARGS:
                code = self.ctx.code_for(stmt.body)
                if any(word in code for word in _KWARG_WORDS):
                    return False
        return True

    # -- the columns -----------------------------------------------------------------
    def _column_reads(self, model: Model, call: cst.Call) -> Tuple[Optional[str], List[Read]]:
        values = list(self.ctx.names.values(call.func))
        if len(values) != 1 or values[0] not in COLUMNS or any(a.star for a in call.args):
            return None, []
        positional = [a for a in call.args if a.keyword is None]
        name = _const(positional[0].value) if positional else None
        accessor_expr = next((a.value for a in call.args if a.keyword is not None and a.keyword.value == "accessor"), None)
        if accessor_expr is None:
            accessor_expr = next((a.value for a in call.args if a.keyword is not None and a.keyword.value == "name"), None) if name is None else None
            accessor = name if name is not None else (_const(accessor_expr) if accessor_expr is not None else None)
        else:
            accessor = _const(accessor_expr)
        if not accessor:
            return name, []
        index = self.qa.index
        current: Optional[Model] = model
        path: List[str] = []
        reads: List[Read] = []
        bits = accessor.split(".")
        for k, bit in enumerate(bits):
            rel = index.relation(current, bit) if current is not None else None
            if rel is None:
                if k == len(bits) - 1 and current is not None and not bit.startswith("_"):
                    project = self.ctx.project
                    cls = project.class_facts(current.qualname) if project is not None and hasattr(project, "class_facts") else None
                    if cls is not None and bit in cls.methods:
                        prefix = "__".join(path)
                        for r in self._member(current, bit, 1):
                            if r.loader == SELECT_RELATED:
                                reads.append(Read(bit, f"{prefix}__{r.path}" if prefix else r.path, r.loader, f"reads `{r.how}`"))
                break
            if rel.many or rel.kind == "gfk" or rel.loader != SELECT_RELATED:
                return name or accessor, []
            path.append(rel.name)
            reads.append(Read(bit, "__".join(path), SELECT_RELATED, f"reads `row.{'.'.join(bits[:k + 1])}`"))
            current = index.models.get(rel.target or "")
            if k == len(bits) - 1 and current is not None:
                for r in self._member(current, "__str__", 1):
                    if r.loader == SELECT_RELATED:
                        reads.append(Read(bit, f"{'__'.join(path)}__{r.path}", r.loader, f"renders `str(row.{accessor})`, which reads `{r.how}`"))
        return name or accessor, reads

    def _check(self, view: cst.ClassDef, columns: List[cst.BaseExpression], rows: Query) -> None:
        assert rows.model is not None
        for node in columns:
            if not isinstance(node, cst.Call):
                continue
            label, reads = self._column_reads(rows.model, node)
            missing = [r for r in reads if not rows.covers(r.path)]
            paths = [r.path for r in missing]
            paths = [p for p in paths if not any(o != p and o.startswith(p + "__") for o in paths)]
            if not paths:
                continue
            args = ", ".join(f'"{p}"' for p in paths)
            what = "; ".join(r.how for r in missing if r.path in paths)
            hint = f"load it with the view's queryset (`.select_related({args})`, in `queryset` or `get_base_queryset`)"
            self.report(node, column=label, view=view.name.value, what=what, hint=hint)
