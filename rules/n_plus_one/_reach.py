"""Which project modules can reach a database library through their imports.

A call can run a query only through a value or function some module defines from a
database library (a model, a session, a DB-API connection), which that module binds by
importing the library, and the facts layer follows a name into another module only
through an import. So a module whose imports, followed through the project, never lead to
a module that imports a database library (or defines a model of the project's model
index) cannot run a query, whatever its loops call: FFT203's pre-check need not read its
functions.

The imports are read from the text, as a superset: every ``import a.b`` / ``from x import
y`` anywhere (inside strings and comments too), and for ``from pkg import ...`` every
submodule of ``pkg`` whose name is a word of the imported list (up to the closing
parenthesis, or the end of the line and its continuations). Reading more edges than there are only
lets more files through; reading fewer would hide findings, so every ambiguity adds one.
Computed once per project and process, for the modules a run asks about.
"""

from __future__ import annotations

import re
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

# no leading ``\b``: a literal first word lets ``re`` scan for it fast (25x here); a
# longer word ending so (``xfrom a import b``) only adds an edge
_FROM = re.compile(r"from\s+(\.*)\s*([\w.]*)\s+import\s*(\([^)]*\)?|[^\n\\]*(?:\\\n[^\n\\]*)*)")
_IMPORT = re.compile(r"import\s+((?:[\w.]+(?:\s+as\s+\w+)?\s*,\s*(?:\\\s*)?)*[\w.]+)")
_WORD = re.compile(r"\w+")

_MEMO_KEY = "_fft203_reaches_database"


def _prefixes(dotted: str) -> Iterable[str]:
    parts = dotted.split(".")
    for i in range(1, len(parts) + 1):
        yield ".".join(parts[:i])


def _base(module: str, is_package: bool, level: int) -> Optional[str]:
    """The package a ``from`` import with ``level`` dots starts from."""
    parts = module.split(".") if is_package else module.split(".")[:-1]
    if level - 1 > len(parts):
        return None
    return ".".join(parts[: len(parts) - (level - 1)])


def imported_modules(text: str, module: str, is_package: bool, children: Dict[str, Set[str]]) -> Set[str]:
    """Every module name ``text`` may import (a superset; see the module docstring).
    ``children``: the project's packages -> the last names of their submodules."""
    out: Set[str] = set()
    for match in _FROM.finditer(text):
        dots, name, names = match.group(1), match.group(2), match.group(3)
        if dots:
            base = _base(module, is_package, len(dots))
            if base is None:
                continue
            target = f"{base}.{name}" if base and name else base or name
        else:
            target = name
        if not target:
            continue
        out.update(_prefixes(target))
        subs = children.get(target)
        if subs:  # every word of the imported list (aliases and comments too)
            out.update(f"{target}.{word}" for word in _WORD.findall(names) if word in subs)
    for match in _IMPORT.finditer(text):
        for item in match.group(1).replace("\\", " ").split(","):
            name = item.split()[0] if item.split() else ""
            if name:
                out.update(_prefixes(name))
    return out


def _children(modules: Iterable[str]) -> Dict[str, Set[str]]:
    out: Dict[str, Set[str]] = {}
    for name in modules:
        head, _, last = name.rpartition(".")
        if head:
            out.setdefault(head, set()).add(last)
    return out


def imports_a_library(text: str, module: str, is_package: bool, libraries: FrozenSet[str]) -> bool:
    """``text`` may import one of ``libraries`` (top-level names): a canonical value of a
    library (``sqlite3.connect()``) exists only where some module binds it by an import."""
    if not any(name in text for name in libraries):
        return False
    return any(m.split(".", 1)[0] in libraries for m in imported_modules(text, module, is_package, {}))


def _model_modules(project: Any) -> FrozenSet[str]:
    """Modules that define (or hold the managers of) a model of the project's model
    index: an ORM value can start there whatever the module imports."""
    from .provider import project_models

    out: Set[str] = set()
    index = project_models(project)
    if index is None:
        return frozenset(out)
    for summary in index._summaries:
        module = summary.get("module")
        for entry in summary.get("models", ()):
            model = index.models.get(entry.get("qualname"))
            if module and model is not None and index.orm_of(model):  # every class is summarised, few are models
                out.add(str(module))
                break
    for model in index.models.values():
        if not index.orm_of(model):
            continue
        for _name, manager, queryset in model.manager_classes:
            for qualname in (manager, queryset):
                if qualname:
                    out.update(_prefixes(qualname))
    return frozenset(out)


class _Reach:
    def __init__(self, project: Any, libraries: FrozenSet[str]) -> None:
        self.project = project
        self.source = project.source
        self.libraries = libraries
        self.models = _model_modules(project)
        self.children = _children(self.source.by_module)
        self.known: Dict[str, bool] = {}
        #: module -> (it imports a database library itself, the project modules it imports);
        #: read from a module's text when the search first reaches it
        self.read: Dict[str, Tuple[bool, Set[str]]] = {}

    def _read(self, module: str) -> Tuple[bool, Set[str]]:
        found = self.read.get(module)
        if found is None:
            path, is_package = self.source.by_module[module]
            text = self.source.text_of(path) or ""  # empty or unreadable: the facts layer reads nothing there either
            names = imported_modules(text, module, is_package, self.children)
            seed = any(n in text for n in self.libraries) and any(m.split(".", 1)[0] in self.libraries for m in names)
            found = self.read[module] = (seed, {m for m in names if m in self.source.by_module and m != module})
        return found

    def is_seed(self, module: str) -> bool:
        """The module imports a database library, or defines a model."""
        return module in self.models or self._read(module)[0]

    def reaches(self, module: str) -> bool:
        """Breadth-first over the imports; a negative answer holds for the whole closure
        (each module in it reaches no more than it), a positive one for the path found."""
        if module in self.known:
            return self.known[module]
        parent: Dict[str, Optional[str]] = {module: None}
        todo: List[str] = [module]
        hit: Optional[str] = None
        while todo and hit is None:
            current = todo.pop()
            if self.known.get(current) or self.is_seed(current):
                hit = current
                break
            if current in self.known:  # known False: its closure has no seed
                continue
            for nxt in self._read(current)[1]:
                if nxt not in parent:
                    parent[nxt] = current
                    todo.append(nxt)
        if hit is None:
            for name in parent:
                self.known[name] = False
            return False
        step: Optional[str] = hit
        while step is not None:
            self.known[step] = True
            step = parent[step]
        return True


def _reach(project: Any) -> Optional[_Reach]:
    if getattr(getattr(project, "source", None), "by_module", None) is None:
        return None
    found = project.__dict__.get(_MEMO_KEY)
    if found is None:
        from .provider import database_words

        found = project.__dict__[_MEMO_KEY] = _Reach(project, frozenset(database_words()))
    return found


def reaches_database(project: Any, module: str) -> bool:
    """Whether the project module ``module`` names a database library or imports
    (through any chain of project modules) one that does. True whenever it cannot tell:
    no project sources, a module outside them."""
    reach = _reach(project)
    if reach is None or module not in reach.source.by_module:
        return True
    return reach.reaches(module)


def text_reaches_database(project: Any, text: str, module: str, is_package: bool) -> bool:
    """The same for a module's text as the linter holds it (an editor buffer, stdin):
    it names a database library itself, or imports a project module that reaches one."""
    reach = _reach(project)
    if reach is None or module in reach.models or imports_a_library(text, module, is_package, reach.libraries):
        return True
    for target in imported_modules(text, module, is_package, reach.children):
        if target != module and target in reach.source.by_module and reach.reaches(target):
            return True
    return False
