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


class Scope:
    __slots__ = ("kind", "bindings", "globals")

    def __init__(self, kind: str) -> None:
        self.kind = kind  # "module" | "class" | "function" | "lambda" | "comprehension"
        self.bindings: Dict[str, str] = {}
        self.globals: set = set()


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

    def resolve(self, node: cst.BaseExpression) -> Optional[str]:
        """Canonical dotted name of a Name/Attribute chain, or None."""
        parts: List[str] = []
        while isinstance(node, cst.Attribute):
            parts.append(node.attr.value)
            node = node.value
        if isinstance(node, cst.Name):
            base = self.lookup(node.value)
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
