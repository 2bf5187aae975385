"""Rows Django fetched for a view: the signed-in user, the object of a detail view.

**The signed-in user.**

``request.user`` (a view function's ``request`` parameter) and ``self.request.user`` (in a
class-based view of Django or Django REST framework) are the instance Django's
authentication middleware fetched with a plain ``get()`` of the user model: none of its
relations is prefetched. Which model that is comes from
:meth:`~fftlint.analysis.orm.ModelIndex.user_model` (the project's one concrete
``AbstractUser`` / ``AbstractBaseUser`` subclass, else ``auth.User``); with several
candidates it is unknown and nothing here applies.

What is not read as the request: a ``request`` parameter annotated with another type
(Starlette's, a test client's), a ``request`` the function rebinds, ``self.request`` in a
class that is not a view, or that the class assigns itself. A to-one relation of such a
row (``request.user.member``) is one more row, loaded by itself: the same holds for it.

**The object of a detail view.** In a method of a ``DetailView`` / ``UpdateView`` /
``DeleteView`` that declares ``model = Book`` or a ``queryset`` that prefetches nothing
(no ``get_queryset`` or ``get_object`` of its own, other bases only Django's auth
mixins), ``self.object`` and ``self.get_object()`` are the one ``Book`` Django's
``get_object()`` fetched: nothing of its to-many relations prefetched. The same holds
for ``self.get_object()`` in a Django REST framework generic view or viewset (an
``@action``, ``retrieve()``). A view whose queryset prefetches, that overrides how it
finds its object, or that has a base we cannot read decides what the object loads: not
followed.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Tuple

import libcst as cst

from fftlint.analysis.orm import Model

#: what an annotated request parameter may be
REQUEST_TYPES = frozenset((
    "django.http.HttpRequest", "django.http.request.HttpRequest", "django.core.handlers.wsgi.WSGIRequest",
    "django.core.handlers.asgi.ASGIRequest", "rest_framework.request.Request",
))
#: bases of the classes whose ``self.request`` Django (or DRF) sets: views, admin, forms of views
VIEW_BASES = ("django.views.", "django.contrib.admin.", "django.contrib.auth.views.", "rest_framework.views.",
              "rest_framework.generics.", "rest_framework.viewsets.", "rest_framework.mixins.")


#: views of one object, fetched by ``get_object()``
OBJECT_VIEWS = frozenset((
    "django.views.generic.DetailView", "django.views.generic.detail.DetailView",
    "django.views.generic.UpdateView", "django.views.generic.edit.UpdateView",
    "django.views.generic.DeleteView", "django.views.generic.edit.DeleteView",
))
#: Django REST framework's views whose ``get_object()`` fetches one row of ``queryset``
DRF_OBJECT_VIEWS = ("rest_framework.generics.", "rest_framework.viewsets.")
_NEUTRAL = ("django.contrib.auth.mixins.", "django.views.generic.base.", "rest_framework.mixins.")


def view_instance(qa: Any, root: cst.BaseExpression, links: Sequence[Any], cls: Optional[cst.ClassDef] = None) -> Optional[Tuple[Model, int]]:
    """The model and how many links of the chain ``root.links`` reach a row Django
    fetched for the view (``request.user`` -> 1, ``self.request.user`` -> 2,
    ``self.object`` -> 1, ``self.get_object()`` -> 2), or None. ``cls``: the class whose
    method holds the chain, when the walk is not inside it."""
    if not isinstance(root, cst.Name):
        return None
    ctx, index = qa.ctx, qa.index
    if root.value == "self" and links and links[0].kind == "attr" and links[0].name in ("object", "get_object"):
        used = 1 if links[0].name == "object" else 2
        if used == 2 and not (len(links) > 1 and links[1].kind == "call" and not links[1].node.args):
            return None
        cls = cls or _method_class(ctx)
        model = _kept(qa, ("detail", id(cls), links[0].name), lambda: _detail_model(qa, cls, links[0].name)) if cls is not None else None
        return _to_one(index, model, links, used) if model is not None else None
    if root.value == "request" and links and links[0].kind == "attr" and links[0].name == "user":
        used = 1 if _kept(qa, ("request", id(ctx.stack.function)), lambda: _request_parameter(ctx)) else 0
    elif root.value == "self" and len(links) >= 2 and links[0].kind == "attr" and links[0].name == "request" \
            and links[1].kind == "attr" and links[1].name == "user":
        used = 2 if _kept(qa, ("view", id(cls or ctx.stack.function)), lambda: _view_method(ctx, cls)) else 0
    else:
        return None
    if not used:
        return None
    model = index.user_model()
    if model is None or index.orm_of(model) != "django":
        return None
    return _to_one(index, model, links, used)


def _to_one(index: Any, model: Model, links: Sequence[Any], used: int) -> Tuple[Model, int]:
    """Further to-one hops of the chain (``request.user.member``): each is one more row,
    fetched lazily by itself, whose relations nobody prefetched either."""
    from fftlint.analysis.orm import SELECT_RELATED

    while used < len(links) and links[used].kind == "attr":
        rel = index.relation(model, links[used].name)
        target = index.models.get(rel.target or "") if rel is not None and not rel.many and rel.loader == SELECT_RELATED else None
        if target is None:
            break
        model, used = target, used + 1
    return model, used


def _kept(qa: Any, key: Any, compute: Any) -> Any:
    """``compute()``, once per ``key`` for the file the analyzer walks (the answers depend
    on one function or class node, alive for the whole walk)."""
    memo = qa.__dict__.setdefault("_view_instance_memo", {})
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def bound_view_instance(qa: Any, name: str) -> Optional[Model]:
    """The model of the row a local ``name`` holds when the walked function binds it once,
    to a row Django fetched for the view (``user = request.user``)."""
    function = qa.ctx.stack.function
    if not isinstance(function, cst.FunctionDef):
        return None
    memo = qa.__dict__.setdefault("_view_instance_names", {})
    key = (id(function), name)
    if key not in memo:
        memo[key] = _bound_view_instance(qa, function, name)
    return memo[key]


def _bound_view_instance(qa: Any, function: cst.FunctionDef, name: str) -> Optional[Model]:
    from ._querysets import _assignments

    value = _candidates(qa, function).get(name)
    if value is None or _assignments(function, name) != 1:
        return None
    root, links = _unchain(value)
    row = view_instance(qa, root, links)
    return row[0] if row is not None and row[1] == len(links) else None


def _candidates(qa: Any, function: cst.FunctionDef) -> Dict[str, cst.BaseExpression]:
    """Names the function assigns a chain from ``request`` or ``self`` (one walk of the
    function, kept per file): the only ones that may hold a view's row."""
    memo = qa.__dict__.setdefault("_view_instance_candidates", {})
    found = memo.get(id(function))
    if found is None:
        from fftlint.engine.walk import descendants

        found = memo[id(function)] = {}
        for node in descendants(function, into_scopes=False):
            if isinstance(node, cst.Assign) and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
                root, _ = _unchain(node.value)
                if isinstance(root, cst.Name) and root.value in ("request", "self"):
                    found.setdefault(node.targets[0].target.value, node.value)
    return found


def _request_parameter(ctx: Any) -> bool:
    """``request`` is a parameter of the walked function that it never rebinds, and not
    annotated with a type other than Django's (or DRF's) request."""
    from ._querysets import _assignments

    function = ctx.stack.function
    if not isinstance(function, cst.FunctionDef) or _assignments(function, "request") != 1:
        return False
    params = function.params
    param = next((p for p in (*params.posonly_params, *params.params, *params.kwonly_params) if p.name.value == "request"), None)
    if param is None:
        return False
    if param.annotation is not None:
        return any(v in REQUEST_TYPES for v in ctx.names.values(param.annotation.annotation) if isinstance(v, str))
    return True


def _method_class(ctx: Any) -> Optional[cst.ClassDef]:
    """The class the walked function is a method of (directly in its body)."""
    frames = ctx.stack.frames
    function = ctx.stack.function
    if not isinstance(function, cst.FunctionDef) or len(frames) < 2:
        return None
    at = next((i for i in range(len(frames) - 1, -1, -1) if frames[i].node is function), None)
    if at is None or at == 0 or frames[at - 1].kind != "class":
        return None
    cls = frames[at - 1].node
    return cls if isinstance(cls, cst.ClassDef) else None


def _self_assigned(cls: cst.ClassDef, attr: str) -> list:
    """The values the class's methods assign to ``self.<attr>``."""
    from fftlint.engine.walk import descendants

    out = []
    for node in descendants(cls):
        pairs = (
            [(t.target, node.value) for t in node.targets] if isinstance(node, cst.Assign)
            else [(node.target, node.value)] if isinstance(node, (cst.AnnAssign, cst.AugAssign)) else []
        )
        for target, value in pairs:
            if isinstance(target, cst.Attribute) and target.attr.value == attr \
                    and isinstance(target.value, cst.Name) and target.value.value == "self":
                out.append(value)
    return out


def _view_method(ctx: Any, cls: Optional[cst.ClassDef] = None) -> bool:
    """The walked function is a method of a view class (a base of Django's or DRF's views,
    directly or through project classes), and the class never sets ``self.request``."""
    cls = cls or _method_class(ctx)
    return cls is not None and _a_view(ctx, cls) and not _self_assigned(cls, "request")


def _detail_model(qa: Any, cls: cst.ClassDef, attr: str) -> Optional[Model]:
    """The model of a detail view whose object Django fetches plainly (module docstring);
    ``attr`` is how the method reaches it (``object``: Django's views only)."""
    names = qa.ctx.names
    kinds = set()
    for base in cls.bases:
        values = [v for v in names.values(base.value) if isinstance(v, str)]
        if len(values) != 1:
            return None
        value = values[0]
        if value in OBJECT_VIEWS or attr == "get_object" and value.startswith(DRF_OBJECT_VIEWS):
            kinds.add(True)
        elif value.startswith(_NEUTRAL):
            kinds.add(False)
        else:
            return None
    if True not in kinds:
        return None
    model = declared = None
    for stmt in cls.body.body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value in ("get_queryset", "get_object", "filter_queryset"):
            return None
        for small in stmt.body if isinstance(stmt, cst.SimpleStatementLine) else ():
            if isinstance(small, (cst.Assign, cst.AnnAssign)) and small.value is not None:
                targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
                names_set = {t.value for t in targets if isinstance(t, cst.Name)}
                if "queryset" in names_set:
                    declared = _plain_rows(qa, small.value)
                    if declared is None:
                        return None
                if "model" in names_set:
                    model = qa.model_of(small.value)
    if declared is not None:
        model = declared if model is None or model is declared else None
    for value in _self_assigned(cls, "object"):
        root, links = _unchain(value)
        if not (isinstance(root, cst.Name) and root.value == "self" and len(links) == 2 and links[0].name == "get_object"):
            return None  # ``self.object = something else``
    if model is None or qa.index.orm_of(model) != "django":
        return None
    return model


def _plain_rows(qa: Any, expr: cst.BaseExpression) -> Optional[Model]:
    """The model of a declared ``queryset = Order.objects.filter(...)`` that prefetches
    nothing (``select_related`` is to-one, no loop's business) and that we read whole."""
    q = qa.analyze(expr)
    if q is None or q.orm != "django" or q.model is None or q.terminal is not None or q.related is not None:
        return None
    if q.prefetch or q.loads_unknown or q.custom or q.custom_method or q.via == "values":
        return None
    return q.model


def _unchain(expr: cst.BaseExpression) -> Tuple[cst.BaseExpression, list]:
    from ._querysets import unchain

    return unchain(expr)


def _a_view(ctx: Any, cls: cst.ClassDef) -> bool:
    from ._querysets import derives_from

    return derives_from(ctx, cls, lambda name: name.startswith(VIEW_BASES))
