"""A cheap import map: local names -> canonical dotted names, with scopes and shadowing.

Not full qualified-name metadata (that costs a scope analysis of the whole module); the
engine feeds bindings to a :class:`Scopes` stack as it walks, and rules ask
:meth:`Scopes.resolve` what an expression refers to.

Canonical strings:

* ``"time.sleep"`` -- an imported module attribute (``from time import sleep as zz``);
* ``"open"`` -- a name bound nowhere in the file (a builtin);
* ``"requests.Session()"`` -- an *instance* produced by calling ``requests.Session``
  (``s = requests.Session()``, ``with open(p) as f``, ``def f(c: httpx.Client)``), so
  ``s.get`` resolves to ``"requests.Session().get"``;
* ``None`` -- unknown, or a local value that shadows an import.
"""

from __future__ import annotations

import ast
from typing import Dict, Iterable, List, Optional, Sequence, Union

import libcst as cst

LOCAL = ""  # a binding to something that is not an import: shadows, resolves to None


def dotted(node: cst.BaseExpression) -> Optional[str]:
    """``a.b.c`` -> "a.b.c" for Name/Attribute chains, else None."""
    parts: List[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


def ast_dotted(node: ast.AST) -> Optional[str]:
    """The same for the stdlib ``ast`` (pre-filter checks and summaries read ``ast``)."""
    parts: List[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def import_module_name(node: Union[cst.Attribute, cst.Name]) -> str:
    return dotted(node) or ""


def resolve_relative(module: str, level: int, current_module: Optional[str], is_package: bool) -> str:
    """``from ..x import y`` inside ``pkg.sub.mod`` -> ``pkg.x``."""
    if level == 0:
        return module
    if not current_module:
        return "." * level + module
    parts = current_module.split(".")
    if not is_package:
        parts = parts[:-1]
    drop = level - 1
    if drop:
        parts = parts[:-drop] if drop <= len(parts) else []
    base = ".".join(parts)
    if module:
        return f"{base}.{module}" if base else module
    return base


def import_bindings(
    node: Union[cst.Import, cst.ImportFrom], current_module: Optional[str] = None, is_package: bool = False
) -> Dict[str, str]:
    """Local names an import statement binds, with their canonical targets."""
    out: Dict[str, str] = {}
    if isinstance(node, cst.Import):
        for alias in node.names:
            full = import_module_name(alias.name)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                out[alias.asname.name.value] = full
            else:
                top = full.split(".", 1)[0]
                out[top] = top
        return out
    module = import_module_name(node.module) if node.module is not None else ""
    base = resolve_relative(module, len(node.relative), current_module, is_package)
    if isinstance(node.names, cst.ImportStar):
        return out
    for alias in node.names:
        name = import_module_name(alias.name)
        local = name
        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
            local = alias.asname.name.value
        out[local] = f"{base}.{name}" if base else name
    return out


def target_names(target: cst.BaseExpression) -> Iterable[str]:
    """Names bound by an assignment target (tuples, lists, starred)."""
    if isinstance(target, cst.Name):
        yield target.value
    elif isinstance(target, (cst.Tuple, cst.List)):
        for el in target.elements:
            yield from target_names(el.value)
    elif isinstance(target, cst.StarredElement):
        yield from target_names(target.value)


class SelfInfo:
    """The ``self`` parameter of a method of a module-level class, and what the class
    stores on ``self`` (``self.session = requests.Session()`` -> ``"requests.Session()"``)."""

    __slots__ = ("param", "cls", "attributes")

    def __init__(self, param: str, cls: str, attributes: Dict[str, str]) -> None:
        self.param = param
        self.cls = cls  # canonical name of the class
        self.attributes = attributes


class Scope:
    __slots__ = ("kind", "bindings", "globals", "self_info")

    def __init__(self, kind: str) -> None:
        self.kind = kind  # "module" | "class" | "function" | "lambda" | "comprehension"
        self.bindings: Dict[str, str] = {}
        self.globals: set = set()
        self.self_info: Optional[SelfInfo] = None


class Scopes:
    """The scope chain the engine maintains while it walks one file."""

    def __init__(self, current_module: Optional[str] = None, is_package: bool = False) -> None:
        self.current_module = current_module
        self.is_package = is_package
        self.stack: List[Scope] = [Scope("module")]

    # -- building -------------------------------------------------------------
    @property
    def module(self) -> Scope:
        return self.stack[0]

    def push(self, kind: str) -> None:
        self.stack.append(Scope(kind))

    def pop(self) -> None:
        self.stack.pop()

    def bind(self, name: str, value: str = LOCAL) -> None:
        scope = self.stack[-1]
        if name in scope.globals:
            scope = self.stack[0]
        if scope is self.stack[0] and scope.bindings.get(name, LOCAL) != LOCAL and value == LOCAL:
            # ``import x`` then ``x = ...`` at module level: the later binding wins, but a
            # module-level pre-pass must not let a conditional fallback hide the import
            # (``try: import ujson as json / except: import json``).
            return
        scope.bindings[name] = value

    def bind_import(self, node: Union[cst.Import, cst.ImportFrom]) -> None:
        for local, full in import_bindings(node, self.current_module, self.is_package).items():
            self.stack[-1].bindings[local] = full

    def bind_target(self, target: cst.BaseExpression, value: str = LOCAL) -> None:
        for name in target_names(target):
            self.bind(name, value)

    def prebind_module(self, module: cst.Module) -> None:
        """Record module-level bindings up front: functions run after the module is built."""
        self._prebind(module.body)

    def _prebind(self, body: Sequence[cst.CSTNode]) -> None:
        for stmt in body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, (cst.Import, cst.ImportFrom)):
                        self.bind_import(small)
                    elif isinstance(small, cst.Assign):
                        value = self.instance_of(small.value)
                        for t in small.targets:
                            self.bind_target(t.target, value)
                    elif isinstance(small, cst.AnnAssign):
                        self.bind_target(small.target, self.annotation_instance(small.annotation.annotation))
            elif isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                self.bind(stmt.name.value, self.qualify(stmt.name.value))
            elif isinstance(stmt, (cst.If, cst.Try, cst.With)):
                self._prebind(stmt.body.body)
                for extra in _compound_blocks(stmt):
                    self._prebind(extra)

    def qualify(self, name: str) -> str:
        """Canonical name of a module-level definition of this file."""
        return f"{self.current_module}.{name}" if self.current_module else name

    # -- querying -------------------------------------------------------------
    def lookup(self, name: str) -> Optional[str]:
        """Canonical binding of a bare name; the name itself when unbound (a builtin)."""
        top = len(self.stack) - 1
        for i in range(top, -1, -1):
            scope = self.stack[i]
            if scope.kind == "class" and i != top:
                continue  # class bodies are not visible from nested functions
            if name in scope.bindings:
                value = scope.bindings[name]
                return value if value != LOCAL else None
        return name

    def _binding_scope(self, name: str) -> Optional[Scope]:
        top = len(self.stack) - 1
        for i in range(top, -1, -1):
            scope = self.stack[i]
            if scope.kind == "class" and i != top:
                continue
            if name in scope.bindings:
                return scope
        return None

    def self_info(self, name: str) -> Optional[SelfInfo]:
        """What ``name`` is when it is the ``self`` parameter of a method (else None)."""
        scope = self._binding_scope(name)
        info = scope.self_info if scope is not None else None
        return info if info is not None and info.param == name else None

    def self_class(self, name: str) -> Optional[str]:
        """Canonical name of the class when ``name`` is the ``self`` of one of its methods."""
        info = self.self_info(name)
        return info.cls if info is not None else None

    def set_self(self, param: str, cls: str, attributes: Dict[str, str]) -> None:
        """Mark ``param`` of the current (method) scope as ``self`` of class ``cls``."""
        self.stack[-1].self_info = SelfInfo(param, cls, attributes)

    def class_attributes(self, node: cst.ClassDef) -> Dict[str, str]:
        """Instance markers of attributes a class assigns: ``x: httpx.Client`` in the class
        body and ``self.x = requests.Session()`` in its methods (statement level only; an
        attribute assigned two different things is unknown)."""
        out: Dict[str, str] = {}

        def record(attr: str, value: str) -> None:
            if attr in out and out[attr] != value:
                out[attr] = LOCAL
            else:
                out[attr] = value

        for stmt in node.body.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                        value = self.instance_of(small.value) if small.value is not None else LOCAL
                        record(small.target.value, value or self.annotation_instance(small.annotation.annotation))
            elif isinstance(stmt, cst.FunctionDef):
                param = method_self_param(stmt)
                if param is None:
                    continue
                for small in _small_statements(stmt.body.body):
                    if isinstance(small, cst.Assign):
                        value = self.instance_of(small.value)
                        for target in small.targets:
                            t = target.target
                            if isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name) and t.value.value == param:
                                record(t.attr.value, value)
                    elif isinstance(small, cst.AnnAssign):
                        t = small.target
                        if isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name) and t.value.value == param:
                            value = self.instance_of(small.value) if small.value is not None else LOCAL
                            record(t.attr.value, value or self.annotation_instance(small.annotation.annotation))
        return {k: v for k, v in out.items() if v != LOCAL}

    def resolve(self, node: cst.BaseExpression) -> Optional[str]:
        """Canonical dotted name of a Name/Attribute chain, or None."""
        parts: List[str] = []
        while isinstance(node, cst.Attribute):
            parts.append(node.attr.value)
            node = node.value
        if isinstance(node, cst.Name):
            base = self.lookup(node.value)
            if base is None and parts:
                info = self.self_info(node.value)
                if info is not None and parts[-1] in info.attributes:
                    base = info.attributes[parts.pop()]
        elif isinstance(node, cst.Call):
            inner = self.resolve(node.func)
            base = inner + "()" if inner else None
        else:
            return None
        if base is None:
            return None
        parts.append(base)
        return ".".join(reversed(parts))

    def instance_of(self, value: Optional[cst.BaseExpression]) -> str:
        """Binding value for ``x = <value>``: an instance marker for calls, else LOCAL."""
        if isinstance(value, cst.Await):
            return LOCAL
        if isinstance(value, cst.Call):
            name = self.resolve(value.func)
            if name:
                return name + "()"
            return LOCAL
        if isinstance(value, cst.Name):  # ``s2 = s``: an alias of an instance
            bound = self.lookup(value.value)
            return bound if bound and bound.endswith("()") else LOCAL
        if isinstance(value, cst.BooleanOperation):  # ``client = client or httpx.Client()``
            left, right = self.instance_of(value.left), self.instance_of(value.right)
            return left if left == right else LOCAL
        if isinstance(value, cst.IfExp):
            body, orelse = self.instance_of(value.body), self.instance_of(value.orelse)
            return body if body == orelse else LOCAL
        return LOCAL

    def annotation_instance(self, annotation: cst.BaseExpression) -> str:
        if isinstance(annotation, cst.SimpleString):
            return LOCAL
        if isinstance(annotation, cst.Subscript):  # Optional[httpx.Client]
            value = annotation.value
            name = self.resolve(value) or ""
            if name.rsplit(".", 1)[-1] == "Optional" and len(annotation.slice) == 1:
                inner = annotation.slice[0].slice
                if isinstance(inner, cst.Index):
                    return self.annotation_instance(inner.value)
            return LOCAL
        name = self.resolve(annotation)
        return name + "()" if name else LOCAL


def method_self_param(node: cst.FunctionDef) -> Optional[str]:
    """The first parameter of a method, unless it is a static or class method."""
    for deco in node.decorators:
        target = deco.decorator
        if isinstance(target, cst.Call):
            target = target.func
        name = dotted(target) if isinstance(target, (cst.Name, cst.Attribute)) else None
        if name and name.rsplit(".", 1)[-1] in ("staticmethod", "classmethod"):
            return None
    params = (*node.params.posonly_params, *node.params.params)
    return params[0].name.value if params else None


def _small_statements(body: Sequence[cst.CSTNode]) -> Iterable[cst.BaseSmallStatement]:
    """Small statements of a block and of the blocks nested in its compound statements
    (not in nested functions or classes)."""
    for stmt in body:
        if isinstance(stmt, cst.BaseSmallStatement):  # a one-line block: ``def f(self): ...``
            yield stmt
        elif isinstance(stmt, cst.SimpleStatementLine):
            yield from stmt.body
        elif isinstance(stmt, (cst.If, cst.Try, cst.With, cst.For, cst.While)):
            yield from _small_statements(stmt.body.body)
            for extra in _compound_blocks(stmt):
                yield from _small_statements(extra)
            orelse = getattr(stmt, "orelse", None)
            if isinstance(stmt, (cst.For, cst.While)) and orelse is not None:
                yield from _small_statements(orelse.body.body)


def _compound_blocks(stmt: cst.CSTNode) -> Iterable[Sequence[cst.CSTNode]]:
    if isinstance(stmt, cst.If):
        orelse = stmt.orelse
        while orelse is not None:
            yield orelse.body.body
            orelse = orelse.orelse if isinstance(orelse, cst.If) else None
    elif isinstance(stmt, cst.Try):
        for handler in stmt.handlers:
            yield handler.body.body
        if stmt.orelse is not None:
            yield stmt.orelse.body.body
        if stmt.finalbody is not None:
            yield stmt.finalbody.body.body
