"""What a pattern is matched against: input provenance for FFT402 (no rules here).

A polynomial pattern only hurts when its subject can be long and chosen by someone else.
:func:`subject_uses` finds, on the file's stdlib ``ast``, every place a pattern literal is
matched, and what each subject can hold:

* :data:`TRUSTED` -- a constant (a literal, a module constant bound once, ``str()`` of
  one) or a value the interpreter or the deployment provides (``sqlite3.sqlite_version``,
  ``sys.version``, ``platform.*()``, Django's ``settings.X``, an attribute of an object
  that is a pydantic-settings model instance, the value parameter of such a model's
  field validator);
* a set of characters the subject cannot contain -- an item of ``s.split("\\n")``,
  ``s.splitlines()``, ``s.split()`` (no ``maxsplit``: the last item of a bounded split
  keeps the separators);
* None -- anything else (unknown).

The pattern is followed from its literal: ``re.match(P, s)`` and friends, ``re.compile(P)``
bound to a local, to a private module name (``_RX = ...``: a public one may be imported
and used elsewhere) or to a class attribute (read as ``self.X`` / ``cls.X`` / ``C.X`` in
this file), and ``re.compile(P).match(s)``. Every read of the bound name must be a match
call or a regex function's pattern argument (``X.pattern`` and other attribute reads are
harmless); any other read (passed on, returned, stored) makes the answer unknown.

A subject name is followed through its bindings in the function (assignments, tuple
unpacking of a project function's tuple returns, ``for`` targets, comprehension targets),
met with what the callers pass when it is a parameter: for a private module-level
function only ever called directly in this file, those calls; for any other function
(a method, a classmethod or staticmethod, a public or ``functools.cache``-d function) every
call the project makes of it, in any module -- unknown when the project is not at hand or
the function is named anywhere but as a call's callee (handed on, stored: other callers
unknown). ``getattr(d, "NAME", default)`` on a builtin ``dict``/``list``/``str`` that has
no such attribute is the default; ``conf.get(...)`` on a ``configparser`` parser is the
deployment's configuration. Depth is bounded (8 steps).
"""

from __future__ import annotations

import ast
import os
from typing import Any, Dict, FrozenSet, List, Optional, Tuple, Union

from fftlint.facts.bindings import own_nodes
from fftlint.facts.values import NONE, Map, is_instance, known, single

from ._common import _FUNCS

#: a subject that is a constant or provided by the interpreter / the deployment
TRUSTED = "trusted"

Subject = Union[str, FrozenSet[str], None]
#: (subject, match mode) of one use of the pattern
Use = Tuple[Subject, str]

_MATCH_METHODS = {name: spec for name, spec in _FUNCS.items() if name != "compile"}
# position of the subject among a module function's arguments (after the pattern)
_SUBJECT_INDEX = {"sub": 2, "subn": 2}

_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_BYTES_LINE_BREAKS = frozenset("\n\r")
_WHITESPACE = frozenset(chr(c) for c in range(0x3001) if chr(c).isspace())

_TRUSTED_ATTRIBUTES = {
    "sqlite3.sqlite_version", "sqlite3.version", "sys.version", "sys.platform", "os.name",
    "ssl.OPENSSL_VERSION", "django.conf.settings",
}
_TRUSTED_CALL_MODULES = ("platform",)
#: settings models whose fields pydantic reads from the deployment's environment
SETTINGS_BASES = frozenset((
    "pydantic_settings.BaseSettings", "pydantic_settings.main.BaseSettings",
    "pydantic.BaseSettings", "pydantic.env_settings.BaseSettings", "pydantic.v1.BaseSettings",
    "pydantic.v1.env_settings.BaseSettings",
))
#: configuration-file readers: what ``get()`` & co. return is the deployment's config
CONFIG_PARSERS = frozenset(("configparser.ConfigParser", "configparser.RawConfigParser", "configparser.SafeConfigParser"))
_CONFIG_READS = frozenset(("get", "getint", "getfloat", "getboolean"))
_BUILTIN_TYPES = {"builtins.dict": dict, "builtins.list": list, "builtins.str": str, "builtins.tuple": tuple,
                  "dict": dict, "list": list, "str": str, "tuple": tuple}
_FIELD_VALIDATORS = frozenset((
    "pydantic.field_validator", "pydantic.functional_validators.field_validator", "pydantic.validator",
    "pydantic.class_validators.validator", "pydantic.v1.validator", "pydantic.v1.class_validators.validator",
))
_TRANSPARENT_DECORATORS = frozenset(("staticmethod", "classmethod", "functools.cache", "functools.lru_cache", "cache", "lru_cache"))
_MAX_DEPTH = 8
#: modules that name a function read for its calls, at most (past that: unknown)
_MAX_CALLER_MODULES = 16


class _File:
    """The module's ``ast`` with parents, scopes and import aliases."""

    def __init__(self, tree: ast.Module, facts: Any = None, project: Any = None) -> None:
        self.tree = tree
        #: the module's binding map and the project (either may be None): what values
        #: names hold, the project's classes and the other modules (callers)
        self.facts = facts
        self.project = project
        self._callers: Dict[str, Optional[List[Tuple["_File", ast.Call, ast.AST]]]] = {}
        self._modules: Dict[str, "_File"] = {}  # other modules read for their calls
        self.parent: Dict[int, ast.AST] = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                self.parent[id(child)] = node
        self.aliases: Dict[str, str] = {}  # local name -> dotted origin
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        self.aliases[a.asname] = a.name
                    else:
                        root = a.name.split(".", 1)[0]
                        self.aliases[root] = root
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                for a in node.names:
                    self.aliases[a.asname or a.name] = node.module + "." + a.name

    def dotted(self, node: ast.AST) -> Optional[str]:
        parts: List[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id not in self.aliases:
            return None
        return ".".join([self.aliases[node.id]] + parts[::-1])

    def regex_function(self, func: ast.AST) -> Optional[str]:
        """``re.match`` / ``regex.sub`` / ``from re import search``: the function's name."""
        name = self.dotted(func)
        if name is None:
            return None
        mod, _, attr = name.rpartition(".")
        return attr if mod in ("re", "regex") and attr in _FUNCS else None

    def function_of(self, node: ast.AST) -> Optional[ast.AST]:
        cur = self.parent.get(id(node))
        while cur is not None and not isinstance(cur, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            cur = self.parent.get(id(cur))
        return cur

    def statement_of(self, node: ast.AST) -> Optional[ast.stmt]:
        cur: Optional[ast.AST] = node
        while cur is not None and not isinstance(cur, ast.stmt):
            cur = self.parent.get(id(cur))
        return cur

    def class_of(self, node: ast.AST) -> Optional[ast.ClassDef]:
        """The class whose body holds the statement ``node`` directly."""
        cur = self.parent.get(id(node))
        return cur if isinstance(cur, ast.ClassDef) else None


def file_index(tree: ast.Module, facts: Any = None, project: Any = None) -> "_File":
    """The parents and import aliases of ``tree`` that :func:`subject_uses` reads (build it
    once per file when several patterns are asked about). ``facts``: the module's binding
    map (:class:`fftlint.facts.bindings.ModuleFacts` of ``tree``), ``project``: the
    :class:`fftlint.facts.project.ProjectFacts`; without them, what a name holds is read
    from this file's syntax alone and parameters only from this file's calls."""
    return _File(tree, facts, project)


def subject_uses(tree: ast.Module, pattern: Union[str, bytes], index: Optional["_File"] = None) -> Optional[List[Use]]:
    """Every use of the literal ``pattern`` in ``tree`` with what its subject may hold;
    None when some use cannot be followed (or the literal is not found). ``index``: the
    file's :func:`file_index`, when the caller keeps one."""
    f = index if index is not None else _File(tree)
    sites = [node for node in ast.walk(tree)
             if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
             and node.args[0].value == pattern and f.regex_function(node.func)]
    if not sites:
        return None
    uses: List[Use] = []
    for call in sites:
        found = _site_uses(f, call)
        if found is None:
            return None
        uses.extend(found)
    return uses or None


def _site_uses(f: _File, call: ast.Call) -> Optional[List[Use]]:
    name = f.regex_function(call.func) or ""
    if name != "compile":
        use = _call_use(f, call, name, 1)
        return None if use is None else [use]
    parent = f.parent.get(id(call))
    if isinstance(parent, ast.Attribute) and parent.attr in _MATCH_METHODS:
        outer = f.parent.get(id(parent))
        if isinstance(outer, ast.Call) and outer.func is parent:
            use = _call_use(f, outer, parent.attr, 0)
            return None if use is None else [use]
        return None
    if not (isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name)):
        return None
    target = parent.targets[0].id
    klass = f.class_of(parent)
    function = f.function_of(parent)
    if klass is not None:
        reads = [n for n in ast.walk(f.tree) if isinstance(n, ast.Attribute) and n.attr == target]
        for r in reads:
            if not (isinstance(r.value, ast.Name) and r.value.id in ("self", "cls", klass.name)):
                return None
        reads += [n for n in ast.walk(klass) if isinstance(n, ast.Name) and n.id == target and n is not parent.targets[0]]
    elif function is not None:
        reads = [n for n in ast.walk(function) if isinstance(n, ast.Name) and n.id == target and n is not parent.targets[0]]
    elif target.startswith("_"):
        reads = [n for n in ast.walk(f.tree) if isinstance(n, ast.Name) and n.id == target and n is not parent.targets[0]]
    else:
        return None  # a public module name: other modules may match with it
    uses: List[Use] = []
    for r in reads:
        if not isinstance(r.ctx, ast.Load):
            return None  # bound again
        use = _read_use(f, r)
        if use is None:
            return None
        if use != "harmless":
            uses.append(use)  # type: ignore[arg-type]
    return uses


def _read_use(f: _File, read: ast.AST) -> Union[Use, str, None]:
    parent = f.parent.get(id(read))
    if isinstance(parent, ast.Attribute) and parent.value is read:
        outer = f.parent.get(id(parent))
        if parent.attr in _MATCH_METHODS:
            if isinstance(outer, ast.Call) and outer.func is parent:
                return _call_use(f, outer, parent.attr, 0)
            return None
        return "harmless" if isinstance(parent.ctx, ast.Load) and not isinstance(outer, ast.Call) else None
    if isinstance(parent, ast.Call) and parent.args and parent.args[0] is read:
        name = f.regex_function(parent.func)
        if name and name != "compile":
            return _call_use(f, parent, name, 1)
    return None


def _call_use(f: _File, call: ast.Call, method: str, first: int) -> Optional[Use]:
    """The subject of a match call: ``X.method(s)`` (``first`` 0) or ``re.method(P, s)``."""
    index = first + (_SUBJECT_INDEX.get(method, 1) - 1)
    if any(isinstance(a, ast.Starred) for a in call.args):
        return None
    if len(call.args) > index:
        subject: Optional[ast.AST] = call.args[index]
    else:
        subject = next((k.value for k in call.keywords if k.arg == "string"), None)
    if subject is None:
        return None
    mode = _MATCH_METHODS[method][2]
    return _classify(f, subject, f.function_of(call), 0), mode


def _meet(a: Subject, b: Subject) -> Subject:
    """What a subject with either of the two provenances can hold at most."""
    if a is None or b is None:
        return None
    if a == TRUSTED:
        return b
    if b == TRUSTED:
        return a
    common = frozenset(a) & frozenset(b)  # type: ignore[arg-type]
    return common or None


def _classify(f: _File, node: ast.AST, function: Optional[ast.AST], depth: int) -> Subject:
    if depth > _MAX_DEPTH:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
        return TRUSTED
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str" \
            and len(node.args) == 1 and not node.keywords:
        return _classify(f, node.args[0], function, depth)
    if isinstance(node, (ast.Attribute, ast.Call)):
        target = node.func if isinstance(node, ast.Call) else node
        dotted = f.dotted(target)
        if dotted is not None:
            if isinstance(node, ast.Attribute) and any(dotted == t or dotted.startswith(t + ".") for t in _TRUSTED_ATTRIBUTES):
                return TRUSTED
            if isinstance(node, ast.Call) and dotted.rpartition(".")[0] in _TRUSTED_CALL_MODULES:
                return TRUSTED
        if isinstance(node, ast.Attribute) and _instance_of(f, node.value, SETTINGS_BASES):
            return TRUSTED  # a field of a pydantic-settings model
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _CONFIG_READS \
                and _instance_of(f, node.func.value, CONFIG_PARSERS):
            return TRUSTED  # a value of the deployment's configuration file
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr" \
                and len(node.args) == 3 and not node.keywords and isinstance(node.args[1], ast.Constant) \
                and isinstance(node.args[1].value, str) and _builtin_lacks(f, node.args[0], node.args[1].value):
            return _classify(f, node.args[2], function, depth + 1)  # the attribute cannot exist: the default
    if isinstance(node, ast.Subscript):
        return _items(f, node.value, function, depth)
    if isinstance(node, ast.Name):
        return _name(f, node.id, function, depth)
    return None


def _items(f: _File, node: ast.AST, function: Optional[ast.AST], depth: int) -> Subject:
    """What an item of iterating ``node`` can hold."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None
    method, args = node.func.attr, node.args
    if method == "splitlines" and not args and not node.keywords:
        return _LINE_BREAKS
    if method in ("split", "rsplit") and not node.keywords and len(args) <= 1:
        if not args or (isinstance(args[0], ast.Constant) and args[0].value is None):
            return _WHITESPACE
        sep = args[0]
        if isinstance(sep, ast.Constant) and isinstance(sep.value, (str, bytes)) and len(sep.value) == 1:
            value = sep.value if isinstance(sep.value, str) else sep.value.decode("latin-1")
            return frozenset(value)
    return None


def _params(function: ast.AST) -> List[str]:
    a = function.args  # type: ignore[attr-defined]
    return [p.arg for p in (*getattr(a, "posonlyargs", ()), *a.args)]


def _name(f: _File, name: str, function: Optional[ast.AST], depth: int) -> Subject:
    out: Subject = TRUSTED
    if function is not None:
        a = function.args  # type: ignore[attr-defined]
        if (a.vararg and a.vararg.arg == name) or (a.kwarg and a.kwarg.arg == name):
            return None
        if _validator_input(f, function, name):
            pass  # the value pydantic-settings read for a field: configuration
        elif name in _params(function) or name in {p.arg for p in a.kwonlyargs}:
            out = _argument(f, function, name, depth)  # what callers pass, and rebinds below
            if out is None:
                return None
        scope: ast.AST = function
    else:
        scope = f.tree
    bindings = _bindings(f, scope, name)
    if bindings is None:
        return None
    if not bindings:
        if function is not None and out == TRUSTED and name not in _all_params(function):
            return _name(f, name, f.function_of(function), depth + 1)  # a name of the enclosing scope
        return out if function is not None and name in _all_params(function) else None
    for kind, value in bindings:
        if kind == "value":
            inner = _classify(f, value, function, depth + 1)
        elif kind == "items":
            inner = _items(f, value, function, depth + 1)
        else:
            inner = _unpacked(f, value, function, depth + 1)  # type: ignore[arg-type]
        out = _meet(out, inner)
        if out is None:
            return None
    return out


def _bindings(f: _File, scope: ast.AST, name: str) -> Optional[List[Tuple[str, Any]]]:
    """("value", expr) / ("items", iterable) / ("unpack", (expr, position, length)) for
    every binding of ``name`` directly in ``scope`` (not in nested functions or classes);
    None when one is of another kind."""
    out: List[Tuple[str, Any]] = []
    body = scope.body if isinstance(scope.body, list) else [scope.body]  # type: ignore[attr-defined]
    stack: List[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            if getattr(node, "name", None) == name:
                return None
            continue
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name) and t.id == name:
                    out.append(("value", node.value))
                elif isinstance(t, (ast.Tuple, ast.List)) and all(isinstance(e, ast.Name) for e in t.elts) \
                        and any(e.id == name for e in t.elts):  # type: ignore[attr-defined]
                    position = [e.id for e in t.elts].index(name)  # type: ignore[attr-defined]
                    out.append(("unpack", (node.value, position, len(t.elts))))  # type: ignore[arg-type]
                elif any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(t)):
                    return None
        elif isinstance(node, (ast.For, ast.AsyncFor)) or isinstance(node, ast.comprehension):
            if isinstance(node.target, ast.Name) and node.target.id == name:
                out.append(("items", node.iter))
            elif any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node.target)):
                return None
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.NamedExpr, ast.withitem, ast.ExceptHandler,
                               ast.Global, ast.Nonlocal, ast.Import, ast.ImportFrom)):
            if node is not None and _binds(node, name):
                if isinstance(node, ast.AnnAssign) and node.value is not None and isinstance(node.target, ast.Name):
                    out.append(("value", node.value))
                else:
                    return None
        stack.extend(ast.iter_child_nodes(node))
    return out


def _binds(node: ast.AST, name: str) -> bool:
    if isinstance(node, (ast.Global, ast.Nonlocal)):
        return name in node.names
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return any((a.asname or a.name.split(".", 1)[0]) == name for a in node.names)
    if isinstance(node, ast.ExceptHandler):
        return node.name == name
    target = getattr(node, "target", None) if not isinstance(node, ast.withitem) else node.optional_vars
    return target is not None and any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(target))


def _argument(f: _File, function: ast.AST, name: str, depth: int) -> Subject:
    """A parameter: what the callers pass. A private module-level function called only
    directly in this file is read from this file; any other function from every call the
    project makes of it (:func:`_project_argument`)."""
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    if f.parent.get(id(function)) is not f.tree or not function.name.startswith("_") or function.decorator_list \
            or name not in _params(function):
        return _project_argument(f, function, name, depth)
    index = _params(function).index(name)
    calls: List[ast.Call] = []
    for node in ast.walk(f.tree):
        if isinstance(node, ast.Name) and node.id == function.name:
            call = f.parent.get(id(node))
            if not (isinstance(call, ast.Call) and call.func is node):
                return None  # passed on or rebound: other callers unknown
            calls.append(call)
    if not calls:
        return None
    out: Subject = TRUSTED
    for call in calls:
        if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
            return None
        if len(call.args) > index:
            arg: Optional[ast.AST] = call.args[index]
        else:
            arg = next((k.value for k in call.keywords if k.arg == name), None)
            if arg is None:
                default = _default(function, index)
                if default is None:
                    return None
                arg = default
        out = _meet(out, _classify(f, arg, f.function_of(call), depth + 1))
        if out is None:
            return None
    return out


def _all_params(function: ast.AST) -> List[str]:
    a = function.args  # type: ignore[attr-defined]
    return _params(function) + [p.arg for p in a.kwonlyargs]


def _project_argument(f: _File, function: ast.AST, name: str, depth: int) -> Subject:
    """A parameter of a project function (a method, a public or decorated function): met
    over every call of it in the project. Unknown when the project is not at hand, when
    a decorator may change the arguments, or when the function is named anywhere but as
    the callee of a call (passed on, stored: other callers unknown)."""
    if f.facts is None or f.project is None:
        return None
    scope = f.facts.scope_of_node.get(id(function))
    if scope is None or scope.kind != "function":
        return None
    decorators = []
    for d in function.decorator_list:  # type: ignore[attr-defined]
        text = _dotted_text(d.func if isinstance(d, ast.Call) else d)
        if text not in _TRANSPARENT_DECORATORS:
            return None
        decorators.append(text)
    method = scope.cls is not None
    bound = method and "staticmethod" not in decorators  # self / cls is given by the call
    params = _params(function)
    a = function.args  # type: ignore[attr-defined]
    kwonly = [p.arg for p in a.kwonlyargs]
    callers = _callers(f, scope.qualname, function.name)  # type: ignore[attr-defined]
    if not callers:
        return None
    out: Subject = TRUSTED
    for caller, call, callee in callers:
        if any(isinstance(x, ast.Starred) for x in call.args) or any(k.arg is None for k in call.keywords):
            return None
        arg = next((k.value for k in call.keywords if k.arg == name), None)
        if arg is None and name in params:
            index = params.index(name)
            if bound:
                if not isinstance(callee, ast.Attribute):
                    return None  # a method called by a bare name: unknown binding
                index -= 1
            if 0 <= index < len(call.args):
                arg = call.args[index]
        if arg is None:
            if name in params:
                arg = _default(function, params.index(name))
            else:
                i = kwonly.index(name)
                arg = a.kw_defaults[i]
            if arg is None:
                return None
            out = _meet(out, _classify(f, arg, f.function_of(function), depth + 1))
        else:
            out = _meet(out, _classify(caller, arg, caller.function_of(call), depth + 1))
        if out is None:
            return None
    return out


def _dotted_text(node: ast.AST) -> str:
    parts: List[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return ""
    return ".".join([node.id] + parts[::-1])


def _callers(f: _File, qualname: str, short: str) -> Optional[List[Tuple[_File, ast.Call, ast.AST]]]:
    """Every call of project function ``qualname`` in the project, as (file, call, callee
    expression); None when some mention of its name is not a call of it or cannot be
    told apart (an unknown receiver), or a module that names it cannot be read."""
    if qualname in f._callers:
        return f._callers[qualname]
    f._callers[qualname] = None  # a cycle: unknown
    project = f.project
    source = getattr(project, "source", None)
    if source is None:
        return None
    found: List[Tuple[_File, ast.Call, ast.AST]] = []
    files = f._modules
    read = 0
    for module, (path, _) in sorted(source.by_module.items()):
        project.depends_on(module)  # the answer depends on every module's text
        text = source.text_of(path)
        if text is None:
            if _empty(path):
                continue
            return None
        if short not in text:
            continue
        other = files.get(module)
        if other is None:
            read += 1
            if read > _MAX_CALLER_MODULES or project.summary_of(module) is None:
                return None  # a name used all over the project: not followed
            facts = project.module_facts(module)
            if facts is None:
                return None
            other = files[module] = _File(facts.tree, facts, project)
        for node in ast.walk(other.tree):
            if not ((isinstance(node, ast.Name) and node.id == short) or (isinstance(node, ast.Attribute) and node.attr == short)):
                continue
            if not isinstance(node.ctx, ast.Load):
                continue
            stmt = other.statement_of(node)
            ordinal = other.facts.ordinal_of(stmt) if stmt is not None else -1
            if ordinal < 0:
                return None
            values = project.resolve(other.facts.values(node, ordinal))
            if qualname in values:
                call = other.parent.get(id(node))
                if not (isinstance(call, ast.Call) and call.func is node):
                    return None  # passed on or stored: who calls it is unknown
                found.append((other, call, node))
            elif not known(values) or len(known(values)) != len(values - {NONE}):
                return None  # may be it: unknown
    f._callers[qualname] = found
    return found


def _empty(path: str) -> bool:
    try:
        return os.path.getsize(path) == 0
    except OSError:
        return False


def _unpacked(f: _File, spec: Tuple[ast.AST, int, int], function: Optional[ast.AST], depth: int) -> Subject:
    """``a, b = helper(...)`` for a project function whose every ``return`` is a tuple of
    that length: position ``i`` of each, read in the helper."""
    value, position, length = spec
    if not isinstance(value, ast.Call) or f.facts is None or f.project is None:
        return None
    stmt = f.statement_of(value)
    ordinal = f.facts.ordinal_of(stmt) if stmt is not None else -1
    if ordinal < 0:
        return None
    target = single(f.project.resolve(f.facts.values(value.func, ordinal)))
    fn = f.project.function(target) if target else None
    if fn is None:
        return None
    module = _module_name(f.project, fn.qualname)
    facts = f.project.module_facts(module) if module else None
    if facts is None:
        return None
    other = f._modules.get(module)
    if other is None:
        other = f._modules[module] = _File(facts.tree, facts, f.project)
    scope = facts.scopes.get(fn.qualname[len(module) + 1:])
    if scope is None or scope.kind != "function":
        return None
    returns = [n for n in own_nodes(scope.node) if isinstance(n, ast.Return)]
    if not returns:
        return None
    out: Subject = TRUSTED
    for r in returns:
        if not (isinstance(r.value, ast.Tuple) and len(r.value.elts) == length) or any(isinstance(e, ast.Starred) for e in r.value.elts):
            return None
        out = _meet(out, _classify(other, r.value.elts[position], scope.node, depth + 1))
        if out is None:
            return None
    return out


def _module_name(project: Any, qualname: str) -> str:
    parts = qualname.split(".")
    for i in range(len(parts) - 1, 0, -1):
        if ".".join(parts[:i]) in project.modules:
            return ".".join(parts[:i])
    return ""


def _instance_of(f: _File, expr: ast.AST, bases: FrozenSet[str]) -> bool:
    """``expr`` holds, on every path, an instance of a class with one of ``bases`` among
    its bases (project bases followed when the project is at hand)."""
    if f.facts is None or f.project is None:
        return False
    stmt = f.statement_of(expr)
    ordinal = f.facts.ordinal_of(stmt) if stmt is not None else -1
    if ordinal < 0:
        return False
    kinds = known(f.project.resolve(f.facts.values(expr, ordinal)))
    if not kinds:
        return False
    for value in kinds:
        if not is_instance(value):
            return False
        canonical = str(value)[:-2]
        if canonical in bases:
            continue
        cls = f.project.class_facts(canonical)
        if cls is None or not any(isinstance(k, str) and k in bases for k in f.project.mro(cls)):
            return False
    return True


def _validator_input(f: _File, function: ast.AST, name: str) -> bool:
    """``name`` is the value parameter of a pydantic field validator (``@field_validator``,
    v1 ``@validator``) of a settings model: the input read for the field from the
    deployment's environment."""
    if f.facts is None or f.project is None or not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    params = _params(function)
    if len(params) < 2 or params[1] != name:
        return False
    scope = f.facts.scope_of_node.get(id(function))
    if scope is None or scope.cls is None:
        return False
    ordinal = f.facts.ordinal_of(function)
    if ordinal < 0:
        return False
    validator = False
    for d in function.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        if f.project.resolve(f.facts.values(target, ordinal)) & _FIELD_VALIDATORS:
            validator = True
    if not validator:
        return False
    cls = f.project.class_facts(scope.cls.qualname)
    return cls is not None and any(isinstance(k, str) and k in SETTINGS_BASES for k in f.project.mro(cls))


def _builtin_lacks(f: _File, expr: ast.AST, attribute: str) -> bool:
    """``expr`` is, on every path, an instance of a builtin container or ``str`` that has
    no attribute ``attribute`` (so ``getattr(expr, attribute, default)`` is the default)."""
    if f.facts is None:
        return False
    stmt = f.statement_of(expr)
    ordinal = f.facts.ordinal_of(stmt) if stmt is not None else -1
    if ordinal < 0:
        return False
    values = f.facts.values(expr, ordinal)
    if f.project is not None:
        values = f.project.resolve(values)
    kinds = known(values)
    if not kinds or len(kinds) != len(values - {NONE}):
        return False
    for value in kinds:
        if isinstance(value, Map):
            kind: Any = dict  # a `dict[K, V]` / `Mapping[K, V]` annotation: its attributes are dict's
        else:
            kind = _BUILTIN_TYPES.get(str(value)[:-2]) if is_instance(value) else None
        if kind is None or hasattr(kind, attribute):
            return False
    return True


def _default(function: ast.AST, index: int) -> Optional[ast.AST]:
    a = function.args  # type: ignore[attr-defined]
    params = [*getattr(a, "posonlyargs", ()), *a.args]
    first_default = len(params) - len(a.defaults)
    return a.defaults[index - first_default] if index >= first_default else None


def excluded_text(subject: FrozenSet[str]) -> str:
    """The characters as the analyser takes them (sorted, so analyses are cached once)."""
    return "".join(sorted(subject))

