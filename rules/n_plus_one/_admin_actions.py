"""The ``queryset`` an admin action gets: the selected rows of the admin's model.

Django calls an action of a ``ModelAdmin`` as ``action(modeladmin, request, queryset)``:
``queryset`` is the changelist's selection, ``ModelAdmin.get_queryset(request)`` narrowed
to the chosen primary keys. So in a method ``def mark_paid(self, request, queryset)`` of
an admin class registered for ``Invoice`` (``@admin.register(Invoice)`` or
``admin.site.register(Invoice, InvoiceAdmin)`` in the same module), ``queryset`` holds
``Invoice`` rows that load what the model's default manager loads. A method is an action
when the class names it in ``actions = [...]`` or it is decorated ``@admin.action``. An admin that
overrides ``get_queryset`` may load anything: its rows' relations are unknown (a write per
row is still one). An admin registered for several models, or whose bases are not
Django's ``ModelAdmin`` (directly or through classes of the module), is not followed.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import libcst as cst

from fftlint.facts.values import Values

_ACTION_DECORATORS = frozenset(("django.contrib.admin.action", "django.contrib.admin.decorators.action"))



def action_queryset(tracker: Any, function: cst.FunctionDef, name: str) -> Optional[Values]:
    """The value of parameter ``name`` when ``function`` is an admin action's method
    and ``name`` is its third parameter (``queryset``); None otherwise."""
    params = function.params.params
    if len(params) != 3 or params[2].name.value != name or params[0].name.value != "self" or params[2].annotation is not None:
        return None
    ctx = tracker.ctx
    frames = ctx.stack.frames
    at = next((i for i in range(len(frames) - 1, -1, -1) if frames[i].node is function), None)
    if at is None or at == 0 or frames[at - 1].kind != "class" or at - 1 != 1:
        return None  # a method of a class at the module's top level
    cls = frames[at - 1].node
    assert isinstance(cls, cst.ClassDef)
    registered = ctx.shared(("fft2-admin-registrations", ctx.path), lambda: _registrations(ctx))
    models = registered.get(cls.name.value, [])
    if len(models) != 1 or not _an_action(ctx, cls, function) or not _an_admin(ctx, cls):
        return None
    qa = tracker.qa
    model = qa.model_of(models[0])
    if model is None or qa.index.orm_of(model) != "django":
        return None
    from ._querysets import default_rows
    from .provider import ANY, orm_value

    own = any(isinstance(s, cst.FunctionDef) and s.name.value == "get_queryset" for s in cls.body.body)
    rows = None if own else default_rows(qa.index, model, "queryset")
    loads = (ANY,) if rows is None else tuple(sorted(rows.select_related | rows.prefetch))
    return frozenset((orm_value("qs", model.qualname, loads),))


def _an_action(ctx: Any, cls: cst.ClassDef, function: cst.FunctionDef) -> bool:
    """The method is decorated ``@admin.action(...)`` or named in the class's
    ``actions = [...]``."""
    for deco in function.decorators:
        target = deco.decorator.func if isinstance(deco.decorator, cst.Call) else deco.decorator
        if ctx.names.resolve(target) in _ACTION_DECORATORS:
            return True
    for stmt in cls.body.body:
        for small in stmt.body if isinstance(stmt, cst.SimpleStatementLine) else ():
            if isinstance(small, cst.Assign) and any(isinstance(t.target, cst.Name) and t.target.value == "actions" for t in small.targets) \
                    and isinstance(small.value, (cst.List, cst.Tuple)):
                listed = {e.value.evaluated_value for e in small.value.elements if isinstance(e.value, cst.SimpleString)}
                return function.name.value in listed
    return False


def _registrations(ctx: Any) -> Dict[str, List[cst.BaseExpression]]:
    """Admin class name -> the model expressions it is registered for, in this module."""
    from .admin_list_relations import _REGISTER, _SITES

    names = ctx.names
    out: Dict[str, List[cst.BaseExpression]] = {}
    for stmt in ctx.module.body:
        if isinstance(stmt, cst.ClassDef):
            for deco in stmt.decorators:
                call = deco.decorator
                if isinstance(call, cst.Call) and names.resolve(call.func) in _REGISTER:
                    out.setdefault(stmt.name.value, []).extend(a.value for a in call.args if a.keyword is None and not a.star)
        elif isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                call = small.value if isinstance(small, cst.Expr) else None
                func = call.func if isinstance(call, cst.Call) else None
                if not isinstance(func, cst.Attribute) or func.attr.value != "register" or names.resolve(func.value) not in _SITES:
                    continue
                args = [a for a in call.args if a.keyword is None and not a.star]
                if len(args) == 2 and isinstance(args[1].value, cst.Name):
                    model = args[0].value
                    models = [e.value for e in model.elements] if isinstance(model, (cst.List, cst.Tuple)) else [model]
                    out.setdefault(args[1].value.value, []).extend(models)
    return out


def _an_admin(ctx: Any, cls: cst.ClassDef) -> bool:
    """``cls`` derives from Django's ``ModelAdmin``, directly or through project classes."""
    from ._querysets import derives_from
    from .admin_list_relations import MODEL_ADMINS

    return derives_from(ctx, cls, MODEL_ADMINS.__contains__)
