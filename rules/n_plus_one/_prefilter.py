"""The ``ast`` pre-checks of FFT201 and FFT202 (see :mod:`fftlint.engine.prefilter`).

Both rules report only inside a ``for`` loop or a comprehension, and only about a
*query root* the Analyzer in ``_querysets.py`` recognises: a Django manager attribute
(``Model.objects``, a manager the options or a known model declares), SQLAlchemy's
``.query``, a session's ``execute``/``scalars``/``scalar``/``get``, or a DB-API cursor's
``execute``. Every other way a query reaches a loop (a name bound to a queryset, a loop
variable over rows, a related manager of a row) starts from such a root in the same
file. So a file with no loop, or with no root-shaped attribute, cannot produce a finding.

The checks over-approximate the Analyzer's name resolution: where a root depends on
what a name resolves to (``sqlalchemy.*`` sessions, ``sqlite3.connect().cursor()``),
any mention of those modules in the file's text or path lets every such call count.
"""

from __future__ import annotations

import ast
from typing import Any, FrozenSet, List, Optional

from fftlint.analysis.orm import BUILTIN_DJANGO_MODELS, MODEL_MARKERS
from fftlint.analysis.sql.sources import has_word

from ._querysets import NPlusOneOptions, catalog, dbapi_name
from ._parameters import parameter_calls
from ._reach import text_reaches_database
from .provider import project_models

#: Loops whose passes grow with the data (``while`` is never a collection loop).
COLLECTION_LOOPS = (ast.For, ast.AsyncFor, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)

_SESSION_CALLS = frozenset(("execute", "scalars", "scalar", "get", "refresh"))
_SQLA_MODULES = ("sqlalchemy", "sqlmodel", "flask_sqlalchemy")
_MODEL_CLASS_BODY = (ast.Assign, ast.AnnAssign)
_BUILTIN_MANAGERS = frozenset(
    name for m in BUILTIN_DJANGO_MODELS for name in (*m.get("managers", ()), *m.get("custom_managers", ()))
)
_DBAPI_VERBS = frozenset(("INSERT", "UPDATE", "DELETE", "REPLACE", "UPSERT", "SELECT", "WITH"))


def _options(view: Any, rule: Any) -> NPlusOneOptions:
    opts = view.options_for(rule)
    return opts if isinstance(opts, NPlusOneOptions) else NPlusOneOptions()


def _mentions(view: Any, words: Any) -> bool:
    path = view.path.replace("\\", "/")
    return any(w in view.text or w in path for w in words)


def has_collection_loop(view: Any) -> bool:
    return view.has(*COLLECTION_LOOPS)


def _last_name(node: ast.AST) -> Optional[str]:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _on_model_index(project: Any, attr: str, compute: Any) -> Any:
    """A fact about the project's model index, computed once and kept on the index
    (``None`` without one)."""
    index = project_models(project)
    if index is None:
        return None
    cached = getattr(index, attr, None)
    if cached is None:
        cached = compute(index)
        try:
            setattr(index, attr, cached)
        except AttributeError:  # pragma: no cover - a slotted index
            pass
    return cached


def _manager_names(index: Any) -> FrozenSet[str]:
    names = set()
    for model in getattr(index, "models", {}).values():
        names.update(getattr(model, "managers", ()))
        names.update(getattr(model, "custom_managers", ()))
    return frozenset(names)


def project_manager_names(project: Any) -> FrozenSet[str]:
    """Every manager name a model of the project index declares."""
    return _on_model_index(project, "_fft2_manager_names", _manager_names) or frozenset()


def project_has_sqlalchemy_models(project: Any) -> bool:
    """Some model of the project index is a SQLAlchemy model."""
    return bool(
        _on_model_index(project, "_fft2_has_sqlalchemy", lambda index: any(index.orm_of(m) == "sqlalchemy" for m in index.models.values()))
    )


def sqlalchemy_possible(view: Any) -> bool:
    """A name can resolve into SQLAlchemy (its modules are spelled in the file or its
    path), or a model the file can use is a SQLAlchemy model (the file's own models
    need a SQLAlchemy import, so that is the first case)."""
    return view.memo("fft2_sqla", lambda v: _mentions(v, _SQLA_MODULES) or project_has_sqlalchemy_models(v.project))


def _session_root(view: Any, attr: ast.Attribute, session_names: Any) -> bool:
    """``attr`` can start a SQLAlchemy query: its receiver is a session by name, or some
    name in the file can resolve into SQLAlchemy (a session, or a model's ``.query``)."""
    receiver = _last_name(attr.value)
    if receiver is not None and (receiver.lower().endswith("session") or receiver in session_names):
        return True
    return sqlalchemy_possible(view)


def _own_manager_names(view: Any) -> FrozenSet[str]:
    """A superset of the managers the file's own models declare: class-body names bound
    to a call of something named ``...Manager`` (through an import alias too) or
    ``.as_manager()`` (mirrors ``fftlint.analysis.orm._class_summary``)."""
    aliases = {}
    for node in view.nodes(ast.ImportFrom, ast.Import):
        for alias in node.names:
            if alias.asname:
                aliases[alias.asname] = alias.name.rsplit(".", 1)[-1]
    out = set()
    for cls in view.nodes(ast.ClassDef):
        for stmt in cls.body:
            if isinstance(stmt, ast.Assign):
                targets, value = stmt.targets, stmt.value
            elif isinstance(stmt, ast.AnnAssign):
                targets, value = [stmt.target], stmt.value
            else:
                continue
            if not isinstance(value, ast.Call):
                continue
            func = value.func
            if isinstance(func, ast.Name):
                callee = aliases.get(func.id, func.id)
            elif isinstance(func, ast.Attribute):
                callee = func.attr
            else:
                callee = "Manager"  # a computed callee: could be anything
            if callee.endswith("Manager") or callee == "as_manager":
                out.update(t.id for t in targets if isinstance(t, ast.Name))
    return frozenset(out)


def _sql_arg_could_run(call: ast.Call) -> bool:
    """Mirror of FFT201's ``_sql_text`` + verb test on the first argument of a DB-API
    ``execute``: a literal, f-string or UPPER_CASE name that reads as a statement."""
    if not call.args:
        return False
    first = call.args[0]
    if isinstance(first, ast.Starred):
        return True
    if isinstance(first, ast.JoinedStr):
        return True
    if isinstance(first, ast.Constant):
        if not isinstance(first.value, str):
            return False
        words = first.value.lstrip("( \n\t").split(None, 1)
        return bool(words) and words[0].upper() in _DBAPI_VERBS
    if isinstance(first, ast.Name):
        name = first.id
        return name.isupper() and any(w in name for w in ("SELECT", "QUERY", "INSERT", "UPDATE", "DELETE"))
    return False


def _may_query_by_session(view: Any, session_names: Any) -> bool:
    """Text-only: a session receiver can be spelled (a name ending in ``session``, any
    case, or a session name as a word), or SQLAlchemy can be involved."""
    text = view.text
    if "session" in text.lower() or has_word(text, tuple(session_names)):
        return True
    return sqlalchemy_possible(view)


def query_in_loop_could_match(view: Any, rule: Any) -> bool:
    """FFT201: a collection loop, and a query root of any kind."""
    opts = _options(view, rule)
    cat = catalog()
    managers = set(cat["django"]["managers"]) | set(opts.managers) | project_manager_names(view.project) | _BUILTIN_MANAGERS
    session_names = set(cat["sqlalchemy"]["session_names"]) | set(opts.session_names)
    text = view.text
    if loops_over_opaque_values(view):
        return True  # a queryset held in a name, returned by a helper, on ``self``
    # text-only bail-out before the node walk: every root is spelled in the file
    if not (
        any(m in text for m in managers)
        or "Manager" in text  # a manager the file's own models declare
        or "as_manager" in text
        or any(m in text for m in cat["dbapi"]["methods"])
        or (any(w in text for w in ("query", "scalar", "execute", "get")) and _may_query_by_session(view, session_names))
    ):
        return False
    if not has_collection_loop(view):
        return False
    attrs = view.nodes(ast.Attribute)
    own: Optional[FrozenSet[str]] = None
    cursor_modules = None
    dbapi_methods = set(cat["dbapi"]["methods"])
    for node in attrs:
        name = node.attr
        if name in managers:
            return True
        if own is None:
            own = _own_manager_names(view)
        if name in own:
            return True
        if (name == "query" or name in _SESSION_CALLS) and _session_root(view, node, session_names):
            return True  # ``session.query(M)`` / ``session.get(M, i)`` / ``M.query``
        if name in dbapi_methods:
            receiver = _last_name(node.value)
            cursorish = dbapi_name(receiver, opts)
            if not cursorish:
                if cursor_modules is None:
                    tops = {c.split(".", 1)[0] for c in cat["dbapi"]["connect"]} | {c.split(".", 1)[0] for c in cat["dbapi"]["connection_execute"]}
                    cursor_modules = _mentions(view, tops)
                cursorish = cursor_modules
            if cursorish and _executes_static_sql(view, node):
                return True
    return False


def _executes_static_sql(view: Any, attr: ast.Attribute) -> bool:
    calls = view.memo("fft2_calls_by_func", lambda v: {id(c.func): c for c in v.nodes(ast.Call)})
    call = calls.get(id(attr))
    return call is not None and _sql_arg_could_run(call)


def lazy_relation_could_match(view: Any, rule: Any) -> bool:
    """FFT202: a collection loop over rows of a queryset with a manager the catalog, the
    project's models or the file's models declare, ``.query`` or ``scalars``, or over
    something whose value only the facts layer knows (a name imported from the project or
    assigned in the file, a call of one, ``self.x``)."""
    opts = _options(view, rule)
    managers = set(catalog()["django"]["managers"]) | set(opts.managers) | project_manager_names(view.project) | _BUILTIN_MANAGERS
    session_names = set(catalog()["sqlalchemy"]["session_names"]) | set(opts.session_names)
    text = view.text
    if loops_over_opaque_values(view):
        return True
    if not (
        any(m in text for m in managers)
        or "Manager" in text
        or "as_manager" in text
        or (any(w in text for w in ("query", "scalars", "execute")) and _may_query_by_session(view, session_names))
    ):
        return False
    if not has_collection_loop(view):
        return False
    own: Optional[FrozenSet[str]] = None
    for node in view.nodes(ast.Attribute):
        if node.attr in managers:
            return True
        if own is None:
            own = _own_manager_names(view)
        if node.attr in own:
            return True
        if node.attr in ("query", "scalars", "execute") and _session_root(view, node, session_names):
            # rows of ``session.query(M)`` / ``session.scalars(...)`` /
            # ``session.execute(...).scalars()``, or ``M.query`` of a SQLAlchemy model
            return True
    return False


def loops_over_opaque_values(view: Any) -> bool:
    """Some collection loop (or an expression inside one) starts from a name whose value
    only the facts layer can tell: a parameter, ``self``, a name assigned in the file or
    imported from the project (:meth:`fftlint.engine.prefilter.AstView.opaque_names`).
    The rules read such values (a queryset returned by a helper, stored on ``self``,
    annotated), so these files must reach them."""
    return view.memo("fft2_opaque_loops", _opaque_loops)


def project_has_orm_models(project: Any) -> bool:
    """Some class of the project index is a Django or SQLAlchemy model (the index also
    keeps classes whose base may turn out to be one)."""
    return bool(_on_model_index(project, "_fft2_has_orm", has_orm_models))


def has_orm_models(index: Any) -> bool:
    return any(not q.startswith("django.contrib.") and index.orm_of(m) for q, m in index.models.items())


def values_may_be_orm(text: str, path: str, project: Any) -> bool:
    """Some value of the file can be an ORM one: the project has models (Django or
    SQLAlchemy), or the file spells SQLAlchemy or may define a model."""
    if project_has_orm_models(project):
        return True
    if any(m in text for m in _SQLA_MODULES) or any(m in path.replace("\\", "/") for m in _SQLA_MODULES):
        return True
    return any(marker in text for marker in MODEL_MARKERS)  # the file may define a model


#: how a view reaches the rows Django fetched for it, whatever the module imports
_VIEW_ROWS = ("request.user", "self.object", "get_object()")


def _opaque_loops(view: Any) -> bool:
    if view.project is None:
        return False  # without a project every value is local: the text roots decide
    if not values_may_be_orm(view.text, view.path, view.project):
        return False  # no model anywhere: no name can hold a queryset, rows or a model
    if not has_collection_loop(view):
        return False
    if any(w in view.text for w in _VIEW_ROWS):
        return True  # ``request.user`` / a detail view's object: rows Django fetched (:mod:`._view_instances`)
    if view.module and not text_reaches_database(view.project, view.text, view.module, view.is_package):
        return False  # an ORM value comes from a module that imports its library or defines a model
    opaque = view.opaque_names()
    params = set()
    for fn in view.nodes(ast.FunctionDef, ast.AsyncFunctionDef):
        args = fn.args
        params.update(a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs))
    names = opaque | params
    if not names:
        return False
    for loop in view.nodes(*COLLECTION_LOOPS):
        for node in ast.walk(loop):
            if isinstance(node, ast.Name) and node.id in names:
                return True
    return False


def query_helper_could_match(view: Any) -> bool:
    """FFT203: some call (or attribute read) inside a loop of the file may run a project
    function with a chain to a query -- computed from the same facts the rule reads (the
    function's calls, their callees resolved through the project, the provider's chain
    search), over a superset of the rule's loops (``while`` too, any iterable), in
    functions, class bodies and at module level alike."""
    return view.memo("fft203", _query_helper_possible)


def _query_helper_possible(view: Any) -> bool:
    project = view.project
    if project is None or not hasattr(project, "explain") or project.provider("orm") is None:
        return True  # no facts layer at hand: anything is possible
    if not has_collection_loop(view):
        return False
    seen = getattr(project_models(project), "words_seen", None)
    if seen is not None:  # the model index looked for database words in every file
        if not seen:
            return False
    elif not _project_may_query(project, view):
        return False
    if view.module and not text_reaches_database(project, view.text, view.module, view.is_package):
        return False
    facts = view.facts
    from fftlint.facts.summary import function_details

    for scope in _scopes_with_loops(view, facts):
        details = function_details(facts, scope, ())
        for call in details.calls:
            if not call.in_loop or call.kind == "iter":
                continue
            for target in project.targets(call.callee, call.attribute):
                if project.explain(target, "orm", facts.module) is not None:
                    return True
                # the helper calls something on a parameter this call fills: only the
                # call site's argument says whether that is a query (``count_pets(o)``)
                if call.kind == "call" and (call.args[0] or call.args[1]) and parameter_calls(project, target) is not None:
                    return True
    return False


def _scopes_with_loops(view: Any, facts: Any) -> List[Any]:
    """The scopes whose own statements may hold a loop or comprehension of the file: a
    function whose lines hold one (every function around it, nested ones too), and the
    module or a class body with one in a statement that is not a definition. Only their
    calls can be in a loop, so only their bodies need reading (most functions of a module
    have no loop, and most modules have no loop of their own)."""
    loops = [(n.lineno, getattr(n, "end_lineno", None) or n.lineno) for n in view.nodes(*COLLECTION_LOOPS)]
    if not loops:
        return []
    out = []
    for scope in list(facts.scopes.values()):
        node = scope.node
        if scope.kind == "function":
            first, last = node.lineno, getattr(node, "end_lineno", None) or 1 << 30
            if any(first <= start and end <= last for start, end in loops):
                out.append(scope)
            continue
        spans = [
            (stmt.lineno, getattr(stmt, "end_lineno", None) or stmt.lineno)
            for stmt in node.body
            if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        ]
        if any(first <= start and end <= last for first, last in spans for start, end in loops):
            out.append(scope)
    return out


def _project_may_query(project: Any, view: Any) -> bool:
    """Some module of the project can hold an ORM or DB-API effect: the project has
    models, or a module (this one included) spells SQLAlchemy or a DB-API driver's module.
    Read once per process from the project's sources."""
    found = project.__dict__.get("_fft203_may_query")
    if found is None:
        words = _SQLA_MODULES + tuple({c.split(".", 1)[0] for c in catalog()["dbapi"]["connect"]})
        source = getattr(project, "source", None)
        found = source is None or project_has_orm_models(project)  # a project made by hand: anything
        if not found:
            for path, _pkg in list(source.by_module.values()):
                text = source.text_of(path) or ""
                if any(w in text for w in words):
                    found = True
                    break
        project.__dict__["_fft203_may_query"] = found
    if not found:
        words = _SQLA_MODULES + tuple({c.split(".", 1)[0] for c in catalog()["dbapi"]["connect"]}) + MODEL_MARKERS
        return any(w in view.text for w in words)  # a file outside the project's sources
    return True


_DJANGO_LOADERS = frozenset(("select_related", "prefetch_related"))


def unused_eager_load_could_match(view: Any) -> bool:
    """FFT205: a function with a collection loop and an eager-load call
    (``select_related`` / ``prefetch_related``, or ``options(...)`` with a SQLAlchemy loader
    call among its arguments, as the rule reads them): every finding is an argument of
    such a call on the rows of a loop in a function."""
    if not has_collection_loop(view) or not view.has(ast.FunctionDef, ast.AsyncFunctionDef):
        return False
    if any(node.attr in _DJANGO_LOADERS for node in view.nodes(ast.Attribute)):
        return True
    loaders = frozenset(catalog()["sqlalchemy"]["loaders"])
    for call in view.nodes(ast.Call):
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr == "options":
            if any(_loader_root(arg) in loaders for arg in call.args):
                return True
    return False


def _loader_root(expr: ast.AST) -> Optional[str]:
    """``selectinload(A.b).joinedload(B.c)`` / ``orm.selectinload(A.b)`` -> "selectinload":
    the last name of the call a loader chain starts from (``_loader_attrs``' root)."""
    while isinstance(expr, ast.Call):
        func = expr.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
            expr = func.value
            continue
        return _last_name(func)
    return None


def choice_field_could_match(view: Any) -> bool:
    """FFT208: a class body assigns a call with a ``queryset=`` argument (a model choice
    field, or a subclass of one imported from anywhere), or a method assigns
    ``<...>.queryset = ...`` (``self.fields["x"].queryset``)."""
    for node in view.nodes(ast.ClassDef):
        for stmt in node.body:
            if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call):
                call = stmt.value
                if any(k.arg == "queryset" for k in call.keywords) or call.args and _last_name(call.func) in ("ModelChoiceField", "ModelMultipleChoiceField"):
                    return True
    for node in view.nodes(ast.Assign):
        if any(isinstance(t, ast.Attribute) and t.attr == "queryset" and isinstance(t.value, ast.Subscript) for t in node.targets):
            return True
    return False


def listing_columns_could_match(view: Any) -> bool:
    """FFT209: a class body assigns ``columns`` a list or tuple (wagtail's declared
    listing columns)."""
    for node in view.nodes(ast.ClassDef):
        for stmt in node.body:
            if isinstance(stmt, ast.Assign) and isinstance(stmt.value, (ast.List, ast.Tuple)) and any(isinstance(t, ast.Name) and t.id == "columns" for t in stmt.targets):
                return True
    return False
