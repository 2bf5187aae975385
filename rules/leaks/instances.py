"""Where the project makes instances of its classes that have cached methods (FFT303).

A method cache keeps the instances it is called on alive; when the project makes one
instance of the class for the whole process, nothing *extra* is kept: that instance lives
anyway. This provider builds, once per run and with the stdlib ``ast`` only, the set of
such *process singletons* among the classes that have a memoized method:

1. the classes defined at module level with a method under a memoizing decorator (the
   files are found by a byte-level pattern first, then parsed);
2. every file that names one of them (bytes first) is parsed, and each reference to the
   name is read: a call (an instantiation), a base of another class (a subclass, whose own
   references count too), an annotation, an ``isinstance`` / ``except`` test or an
   attribute of the class (``Registry.X``: nothing made), or anything else (the class
   passed around, aliased, named in a string such as an import path): unknown;
3. an instantiation runs once per process when it is in module-level code (a class body
   at module level included), in a module-level function memoized with
   ``functools.cache`` / ``lru_cache`` (one instance per argument, kept by that cache
   anyway), or in a module-level function under a lazy-initialisation guard on a global
   (``global _r`` and ``if _r is None: ... _r = ...``, also double-checked under a lock, or
   after ``if _r is not None: return _r``).

A class is a singleton when it and its subclasses are instantiated at least once, only in
such places, and none of their bodies makes instances itself (``cls(...)``,
``type(self)(...)``, ``self.__class__(...)``, ``copy.copy(self)``). Names are compared
as spelled (two classes of one name in different modules pool their references: more
references can only say "unknown"). Not seen: instances made outside the project (a
library's users), through entry points declared in non-Python files, or by
``pickle`` / ``copy`` elsewhere; a class of a library is reported as before.
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
from typing import Any, Dict, FrozenSet, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from fftlint.facts.provider import Provider

from ._common import load_catalog

NAME = "leaks-instances"
_NAMESPACE = "leaks-instances-1"
#: a decorated, indented ``def`` whose decorator's last name is a memoizing one
_CACHED_METHOD = re.compile(rb"^[ \t]+@[ \t]*(?:[\w.]+\.)?(\w*cache\w*)\b[^\n]*\n(?:[ \t]+@[^\n]*\n)*[ \t]+(?:async[ \t]+)?def[ \t]", re.M)
_GUARD_DECORATORS = frozenset(("cache", "lru_cache"))


def _cache_decorator_names() -> FrozenSet[str]:
    catalog = load_catalog("caches.yaml")
    names = [*catalog["method_caches"], *catalog["keyed_caches"], *catalog["method_cache_getters"]]
    return frozenset(n.rsplit(".", 1)[-1] for n in names)


class InstancesProvider(Provider):
    name = NAME

    def summary_digest(self) -> str:
        return _NAMESPACE

    def digest(self) -> str:
        facts = getattr(self, "facts", None) or frozenset()
        text = "\n".join(f"{p}\0{c}" for p, c in sorted(facts))
        return f"{_NAMESPACE}:{hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest()[:16]}"

    def project_facts(self, files: Sequence[str], cache: Any = None) -> FrozenSet[Tuple[str, str]]:
        """(absolute path, class name) of every module-level class with a memoized method
        that the project instantiates once per process (see the module docstring)."""
        return singletons(files, cache)


def singletons(files: Sequence[str], cache: Any = None) -> FrozenSet[Tuple[str, str]]:
    from fftlint.filememo import memo_of

    memo = memo_of(cache)
    if memo is None:
        return _singletons(files, cache)[0]
    decorators = _cache_decorator_names()
    key = _digest(b"", "whole", ",".join(sorted(decorators)))
    try:
        inputs = {os.path.abspath(p): memo.digest(p) for p in files if p.endswith(".py")}
    except OSError:
        return frozenset()  # a file we cannot read may make instances: unknown
    last = cache.get(_NAMESPACE, key)
    if isinstance(last, tuple) and len(last) == 4 and _still(last, inputs, memo, decorators):
        return last[3]  # type: ignore[no-any-return]
    found, scanned, matched = _singletons(files, cache, memo.data)
    cache.put(_NAMESPACE, key, (inputs, frozenset(scanned), frozenset(matched), found))
    return found


def _still(last: Tuple[Any, ...], inputs: Dict[str, str], memo: Any, decorators: FrozenSet[str]) -> bool:
    """Whether the last run's answer holds for ``inputs`` (path -> content hash): every
    file that changed, appeared or went was neither a candidate's nor one whose references
    were read, and none now defines a candidate or names a class the last run looked for.
    Such a file made no difference then and makes none now (the answer does not depend on
    the order files are read in)."""
    before, scanned, matched, _ = last
    changed = {p for p in inputs if before.get(p) != inputs[p]} | {p for p in before if p not in inputs}
    for path in changed:
        if path in matched:
            return False
        if path not in inputs:
            continue
        try:
            data = memo.data(path)
        except OSError:
            return False
        if b"cache" in data and any(m.group(1).decode() in decorators for m in _CACHED_METHOD.finditer(data)):
            return False
        if any(n.encode() in data for n in scanned):
            return False
    return True


def _singletons(files: Sequence[str], cache: Any = None, read: Any = None) -> Tuple[FrozenSet[Tuple[str, str]], Set[str], Set[str]]:
    """The singletons, the class names looked for, and the files that defined a candidate
    or whose references were read."""
    texts: Dict[str, bytes] = {}
    for path in files:
        if not path.endswith(".py"):
            continue
        try:
            if read is not None:
                texts[os.path.abspath(path)] = read(path)
                continue
            with open(path, "rb") as fh:
                texts[os.path.abspath(path)] = fh.read()
        except OSError:
            return frozenset(), set(), set()  # a file we cannot read may make instances: unknown
    decorators = _cache_decorator_names()
    matched: Set[str] = set()
    candidates: Dict[str, List[str]] = {}  # class name -> files defining it
    for path, data in texts.items():
        if b"cache" not in data:  # the pattern's decorator name holds it: most files are out at once
            continue
        if not any(m.group(1).decode() in decorators for m in _CACHED_METHOD.finditer(data)):
            continue
        for cls in _cached_classes(path, data, decorators, cache):
            candidates.setdefault(cls, []).append(path)
            matched.add(path)
    if not candidates:
        return frozenset(), set(), matched
    # every reference to the candidates and (transitively) their subclasses; a candidate
    # with one reference that is not a once-per-process instantiation is decided (unknown),
    # and its names are not looked for any further
    stats: Dict[str, "_Stats"] = {}
    family: Dict[str, Set[str]] = {name: {name} for name in candidates}  # candidate -> it and its subclasses
    unknown: Set[str] = set()
    scanned: Set[str] = set()
    pending: Set[str] = set(candidates)
    # files that make an instance inside an indented block first: the likeliest to decide
    order = sorted(texts, key=lambda p: not _indented_call(texts[p], pending))
    while pending:
        names = pending - scanned
        pending = set()
        scanned |= names
        for path in order:
            live = {n for n in names if any(n in family[c] for c in candidates if c not in unknown)}
            if not live:
                break
            data = texts[path]
            needles = [n for n in live if n.encode() in data]
            if not needles:
                continue
            matched.add(path)
            for name, found in _references(path, data, frozenset(needles), cache).items():
                stats.setdefault(name, _Stats()).merge(found)
                if found.other:
                    unknown.update(c for c in candidates if name in family[c])
        for name in names:
            for sub in stats.get(name, _Stats()).subclasses:
                for cand, members in family.items():
                    if name in members and sub not in members:
                        members.add(sub)
                        if stats.get(sub) is not None and stats[sub].other:
                            unknown.add(cand)
                if sub not in scanned:
                    pending.add(sub)
        pending = {n for n in pending if any(n in family[c] for c in candidates if c not in unknown)}
    out: Set[Tuple[str, str]] = set()
    for name, paths in candidates.items():
        if name in unknown:
            continue
        merged = _Stats()
        for member in family[name]:
            merged.merge(stats.get(member, _Stats()))
        if merged.once and not merged.other:
            out.update((p, name) for p in paths)
    return frozenset(out), scanned, matched


def _indented_call(data: bytes, names: Iterable[str]) -> bool:
    """Some line that starts with white space calls one of ``names`` (bytes only)."""
    for name in names:
        needle = name.encode() + b"("
        at = data.find(needle)
        while at != -1:
            line = data.rfind(b"\n", 0, at) + 1
            if data[line:line + 1] in (b" ", b"\t"):
                return True
            at = data.find(needle, at + 1)
    return False


class _Stats:
    __slots__ = ("once", "other", "subclasses")

    def __init__(self, once: int = 0, other: int = 0, subclasses: Iterable[str] = ()) -> None:
        self.once = once
        self.other = other
        self.subclasses: Set[str] = set(subclasses)

    def merge(self, other: "_Stats") -> None:
        self.once += other.once
        self.other += other.other
        self.subclasses |= other.subclasses

    def __getstate__(self) -> Tuple[int, int, Tuple[str, ...]]:
        return self.once, self.other, tuple(sorted(self.subclasses))

    def __setstate__(self, state: Tuple[int, int, Tuple[str, ...]]) -> None:
        self.once, self.other, subs = state
        self.subclasses = set(subs)


def _digest(data: bytes, *parts: str) -> str:
    h = hashlib.sha256(data)
    for part in parts:
        h.update(b"\0" + part.encode())
    return h.hexdigest()


def _parse(data: bytes, path: str) -> Optional[ast.Module]:
    try:
        return ast.parse(data, filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


# --------------------------------------------------------------------------- phase 1
def _module_level_classes(body: Sequence[ast.stmt]) -> Iterable[ast.ClassDef]:
    for stmt in body:
        if isinstance(stmt, ast.ClassDef):
            yield stmt
        elif isinstance(stmt, (ast.If, ast.Try)) or type(stmt).__name__ == "TryStar":
            for field in ("body", "orelse", "finalbody"):
                yield from _module_level_classes(getattr(stmt, field, None) or ())
            for handler in getattr(stmt, "handlers", ()) or ():
                yield from _module_level_classes(handler.body)


def class_level_defs(body: list) -> Iterator[Any]:
    """Defs of a class body, also under ``if`` / ``try`` / ``with`` / loops (more than the
    rule's "the enclosing frame is the class": that only makes the check say True more)."""
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield stmt
        elif isinstance(stmt, ast.ClassDef):
            continue
        else:
            for field in ("body", "orelse", "finalbody"):
                block = getattr(stmt, field, None)
                if isinstance(block, list):
                    yield from class_level_defs(block)
            for sub in getattr(stmt, "handlers", None) or getattr(stmt, "cases", None) or ():
                yield from class_level_defs(sub.body)


def _last_name(expr: ast.AST) -> str:
    target = expr.func if isinstance(expr, ast.Call) else expr
    if isinstance(target, ast.Attribute):
        return target.attr
    return target.id if isinstance(target, ast.Name) else ""


def _cached_classes(path: str, data: bytes, decorators: FrozenSet[str], cache: Any) -> List[str]:
    key = _digest(data, "classes", ",".join(sorted(decorators)))
    if cache is not None:
        hit = cache.get(_NAMESPACE, key)
        if isinstance(hit, list):
            return hit
    tree = _parse(data, path)
    out: List[str] = []
    if tree is not None:
        for cls in _module_level_classes(tree.body):
            if any(any(_last_name(d) in decorators for d in fn.decorator_list) for fn in class_level_defs(cls.body)):
                out.append(cls.name)
    if cache is not None:
        cache.put(_NAMESPACE, key, out)
    return out


# --------------------------------------------------------------------------- phase 2
def _references(path: str, data: bytes, names: FrozenSet[str], cache: Any) -> Dict[str, _Stats]:
    key = _digest(data, "refs", *sorted(names))
    if cache is not None:
        hit = cache.get(_NAMESPACE, key)
        if isinstance(hit, dict):
            return hit
    tree = _parse(data, path)
    # an unreadable module may make instances: every name is unknown there
    out = {n: _Stats(other=1) for n in names} if tree is None else _read(tree, names)
    if cache is not None:
        cache.put(_NAMESPACE, key, out)
    return out


def _read(tree: ast.Module, names: FrozenSet[str]) -> Dict[str, _Stats]:
    out: Dict[str, _Stats] = {}
    parents: Dict[int, ast.AST] = {}
    ignored: Set[int] = set()  # nodes inside annotations and `__all__`
    once_cache: Dict[int, Set[int]] = {}

    def stat(name: str) -> _Stats:
        return out.setdefault(name, _Stats())

    # one breadth-first pass: a node's parent (and whether an ancestor is an annotation)
    # is known before the node is read
    todo: List[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        children = list(ast.iter_child_nodes(node))
        for child in children:
            parents[id(child)] = node
        todo.extend(children)
        if id(node) in ignored:
            ignored.update(id(c) for c in children)
            continue
        for annotation in _annotations(node):
            ignored.update(id(n) for n in ast.walk(annotation))
        if _exports(node):
            ignored.update(id(c) for c in children)  # `__all__ = ["C"]`: a name, not a use
            continue
        _classify(node, names, parents, once_cache, stat)
    return out


def _classify(node: ast.AST, names: FrozenSet[str], parents: Dict[int, ast.AST], once_cache: Dict[int, Set[int]], stat: Any) -> None:
    if isinstance(node, ast.ClassDef):
        if node.name in names and _makes_itself(node):
            stat(node.name).other += 1
        return
    if isinstance(node, ast.ImportFrom):
        for alias in node.names:
            if alias.name in names and alias.asname and alias.asname != alias.name:
                stat(alias.name).other += 1  # `import C as D`: D is not followed
        return
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            for name in names:
                if name in node.value and re.search(rf"(?:^|[.:]){re.escape(name)}$", node.value):
                    stat(name).other += 1  # an import path: made where we cannot see
        return
    if isinstance(node, ast.Name):
        name = node.id
    elif isinstance(node, ast.Attribute):
        name = node.attr
    else:
        return
    if name not in names:
        return
    if not isinstance(node.ctx, ast.Load):
        stat(name).other += 1  # re-bound: the name no longer says what it is
        return
    parent = parents.get(id(node))
    if isinstance(parent, ast.Call) and parent.func is node:
        if _runs_once(parent, parents, once_cache):
            stat(name).once += 1
        else:
            stat(name).other += 1
    elif isinstance(parent, ast.ClassDef) and node in parent.bases:
        stat(name).subclasses.add(parent.name)
    elif isinstance(parent, ast.Attribute) and parent.value is node:
        return  # `C.attr`: read from the class, nothing made (its own `cls()` is read above)
    elif _type_test(node, parent, parents):
        return
    else:
        stat(name).other += 1  # passed around: where it is called is unknown


def _annotations(node: ast.AST) -> List[ast.AST]:
    if isinstance(node, ast.arg) and node.annotation is not None:
        return [node.annotation]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns is not None:
        return [node.returns]
    if isinstance(node, ast.AnnAssign):
        return [node.annotation]
    return []


def _exports(node: ast.AST) -> bool:
    targets: List[ast.AST] = []
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        targets = [node.target]
    return any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets)


def _type_test(node: ast.AST, parent: Optional[ast.AST], parents: Dict[int, ast.AST]) -> bool:
    """``isinstance(x, C)`` / ``issubclass(x, (C, D))`` / ``except C:``."""
    if isinstance(parent, ast.Tuple):
        node, parent = parent, parents.get(id(parent))
    if isinstance(parent, ast.ExceptHandler):
        return parent.type is node
    return (
        isinstance(parent, ast.Call)
        and isinstance(parent.func, ast.Name)
        and parent.func.id in ("isinstance", "issubclass")
        and len(parent.args) == 2
        and parent.args[1] is node
    )


def _makes_itself(cls: ast.ClassDef) -> bool:
    """The class body makes instances of its own class (or of a subclass it is
    called on): ``cls(...)``, ``type(self)(...)``, ``self.__class__(...)``, ``copy(self)``."""
    for node in ast.walk(cls):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "cls":
            return True
        if isinstance(func, ast.Call) and isinstance(func.func, ast.Name) and func.func.id == "type":
            return True
        if isinstance(func, ast.Attribute) and func.attr == "__class__":
            return True
        if _last_name(func) in ("copy", "deepcopy", "replace") and any(isinstance(a, ast.Name) and a.id == "self" for a in node.args):
            return True
    return False


def _runs_once(call: ast.Call, parents: Dict[int, ast.AST], memo: Dict[int, Set[int]]) -> bool:
    """The call runs once per process: module-level code, or a module-level function that
    is memoized or guards the call with a lazy-initialisation test on a global."""
    chain: List[ast.AST] = []
    cur = parents.get(id(call))
    while cur is not None:
        if isinstance(cur, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            chain.append(cur)
        cur = parents.get(id(cur))
    functions = [c for c in chain if not isinstance(c, ast.ClassDef)]
    if not functions:
        return True  # module-level code, a class body at module level
    if len(chain) != 1 or isinstance(chain[0], ast.Lambda):
        return False  # a method, a nested function, a lambda: runs per call of something
    fn = chain[0]
    if any(_last_name(d) in _GUARD_DECORATORS for d in fn.decorator_list):  # type: ignore[attr-defined]
        return True
    found = memo.get(id(fn))
    if found is None:
        found = memo[id(fn)] = _global_guarded(fn)
    return id(call) in found


def _global_guarded(fn: Any) -> Set[int]:
    """Ids of the calls in ``fn`` that run only while a global it assigns is unset:
    in the body of ``if G is None:`` / ``if not G:`` (at any depth), or after a top-level
    ``if G is not None: return`` / ``if G: return``, where ``fn`` declares ``global G``
    and assigns it."""
    declared = {n for node in ast.walk(fn) if isinstance(node, ast.Global) for n in node.names}
    if not declared:
        return set()
    assigned = {
        t.id
        for node in ast.walk(fn)
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign))
        for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(t, ast.Name)
    } & declared
    if not assigned:
        return set()
    out: Set[int] = set()
    for node in ast.walk(fn):
        if isinstance(node, ast.If) and _unset_test(node.test, assigned) is True:
            out.update(id(c) for stmt in node.body for c in ast.walk(stmt) if isinstance(c, ast.Call))
    for i, stmt in enumerate(fn.body):
        if isinstance(stmt, ast.If) and _unset_test(stmt.test, assigned) is False and stmt.body and isinstance(stmt.body[-1], ast.Return):
            out.update(id(c) for later in fn.body[i + 1:] for c in ast.walk(later) if isinstance(c, ast.Call))
    return out


def _unset_test(test: ast.AST, names: Set[str]) -> Optional[bool]:
    """True for "G is not set yet" (``G is None``, ``not G``), False for "G is set"
    (``G is not None``, ``G``), None for anything else."""
    if isinstance(test, ast.Name):
        return False if test.id in names else None
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and isinstance(test.operand, ast.Name):
        return True if test.operand.id in names else None
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.left, ast.Name)
        and test.left.id in names
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
    ):
        if isinstance(test.ops[0], ast.Is):
            return True
        if isinstance(test.ops[0], ast.IsNot):
            return False
    return None
