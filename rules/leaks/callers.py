"""Functions that run once per process because of who calls them (FFT309).

FFT309 reads a function as "runs again and again" unless it is set-up code (by name or
decorator) or a command-line entry point (:func:`entry_points`: a parameter annotated
``argparse.Namespace``, an argparse ``set_defaults(func=...)`` target, a callee of the
``if __name__ == "__main__":`` block). This provider adds, once per run and with the
stdlib ``ast`` only, the module-level functions whose *every* reference in the project is
a plain call made once per process:

* in module-level code (not in a loop), or
* directly in the body (not in a loop, a comprehension, a nested function or a lambda) of
  a module-level function that is an entry point, set-up code, or itself such a function
  (followed a few levels down from the entry points).

A candidate is undecorated (a decorator may hand it to a framework that calls it per
request) and private (``_name``) or defined in a module with an entry point of its own (a
public function of a library may be called by its users, outside the project). The
callees of entry points are found by name: a module-level ``def`` of the same module,
or a name imported with ``from <module> import name`` from a project module. Any other
reference to the name anywhere in the project (an attribute ``x.name`` other than
``self.name`` / ``cls.name``, which are methods, the function
passed as a value, an aliased import, a call in a loop or in a function that runs per
call) makes it unknown, and FFT309 reports as before; so does a name spelled in more than
16 modules (telling its references apart would cost a parse of each). Functions of the same name in
different modules pool their references (more references can only say "unknown").
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
from typing import Any, Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

from fftlint.facts.provider import Provider

from ._common import LeaksOptions

NAME = "leaks-callers"
_NAMESPACE = "leaks-callers-3"
_MAX_LEVELS = 4
#: a candidate spelled in more modules than this is "unknown" (each module that spells it
#: is parsed to tell its references apart)
_MAX_MODULES = 16
_LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)

Ref = Tuple[str, str]  # ("module", "") | ("function", name of the enclosing module-level def) | ("other", "")


class CallersProvider(Provider):
    name = NAME

    def __init__(self, options: Any = None) -> None:
        super().__init__(options)
        opts = options if isinstance(options, LeaksOptions) else LeaksOptions()
        self.setup_names: Tuple[str, ...] = tuple(opts.setup_functions)

    def summary_digest(self) -> str:
        return _NAMESPACE + ":" + ",".join(self.setup_names)

    def digest(self) -> str:
        facts = getattr(self, "facts", None) or frozenset()
        text = "\n".join(f"{p}\0{f}" for p, f in sorted(facts))
        return f"{self.summary_digest()}:{hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest()[:16]}"

    def project_facts(self, files: Sequence[str], cache: Any = None) -> FrozenSet[Tuple[str, str]]:
        """(absolute path, function name) of module-level functions called once per process."""
        return once_called(files, self.setup_names, cache)


def once_called(files: Sequence[str], setup_names: Sequence[str] = (), cache: Any = None) -> FrozenSet[Tuple[str, str]]:
    from fftlint.engine.run import module_name_for

    texts: Dict[str, bytes] = {}
    modules: Dict[str, str] = {}
    packages: Dict[str, str] = {}  # directory -> its dotted package ("" outside one), for this run
    for path in files:
        if not path.endswith(".py"):
            continue
        path = os.path.abspath(path)
        try:
            with open(path, "rb") as fh:
                texts[path] = fh.read()
        except OSError:
            return frozenset()
        directory, filename = os.path.split(path)
        package = packages.get(directory)
        if package is None:  # module_name_for of a module in the directory, minus its own name
            marker = os.path.join(directory, "__init__.py")
            inside = os.path.isfile(marker) or os.path.isfile(marker + "i")
            package = packages[directory] = module_name_for(marker)[0] if inside else ""
        stem = filename[:-3]
        modules[path] = package if stem == "__init__" and package else f"{package}.{stem}" if package else stem
    by_module = {m: p for p, m in modules.items()}
    setup = tuple(setup_names)
    # the entry points and what they call
    entries: Set[Tuple[str, str]] = set()
    for path, data in texts.items():
        if b"set_defaults" in data or b"Namespace" in data or (b"__main__" in data and _main_block_may_call(data)):
            info = _file_info(path, data, setup, cache)
            entries.update((path, name) for name in info["entries"])
    once: Set[Tuple[str, str]] = set()
    frontier = set(entries)
    refs_memo: Dict[str, Dict[str, List[Ref]]] = {}
    for _ in range(_MAX_LEVELS):
        candidates: Set[Tuple[str, str]] = set()
        for path, name in frontier:
            info = _file_info(path, texts[path], setup, cache)
            for callee in info["calls"].get(name, ()):
                target = _resolve(callee, path, modules, by_module, info)
                if target is None or target in once or target in entries or target[0] not in texts:
                    continue
                home = _file_info(target[0], texts[target[0]], setup, cache)
                if target[1] in home["plain"] and (target[1].startswith("_") or home["commands"]):
                    # undecorated (a decorator may register it with a framework), and
                    # private or in a command module (a public function of a library
                    # may be called by its users, outside the project)
                    candidates.add(target)
        proven: Set[Tuple[str, str]] = set()
        for target in sorted(candidates):
            if _every_call_once(target[1], texts, setup, cache, entries | once | {target}, refs_memo):
                proven.add(target)
        if not proven:
            break
        once |= proven
        frontier = proven
    return frozenset(once)


_MAIN_TEST = re.compile(rb"""^if[ \t]+(?:__name__[ \t]*==[ \t]*(['"])__main__\1|(['"])__main__\2[ \t]*==[ \t]*__name__)[ \t]*:(.*)$""", re.M)
_PLAIN_CALL = re.compile(rb"(?<![\w.])[A-Za-z_]\w*[ \t]*\(")


def _main_block_may_call(data: bytes) -> bool:
    """Whether an ``if __name__ == "__main__":`` block of the module may make a plain call
    ``name(...)`` (what :func:`module_entry_points` takes from it). False only when every
    spelling of ``__main__`` is such a test at column 0 and no block calls a bare name
    (``unittest.main()`` does not): the file need not be parsed for its entry points."""
    tests = list(_MAIN_TEST.finditer(data))
    if len(tests) != data.count(b"__main__"):
        return True  # spelled another way (parentheses, a string elsewhere): read the file
    lines = data.split(b"\n")
    starts = {data.count(b"\n", 0, m.start()) for m in tests}
    for first in starts:
        block = [lines[first].split(b":", 1)[1]]
        for line in lines[first + 1:]:
            if line.strip() and not line[:1].isspace():
                break
            block.append(line)
        if _PLAIN_CALL.search(b"\n".join(block)):
            return True
    return False


def _resolve(callee: str, path: str, modules: Dict[str, str], by_module: Dict[str, str], info: Dict[str, Any]) -> Optional[Tuple[str, str]]:
    if callee in info["defs"]:
        return (path, callee)
    origin = info["imports"].get(callee)
    if origin is None:
        return None
    module, level, name = origin
    if level:
        base = modules[path].split(".")
        if not path.endswith("__init__.py"):
            base = base[:-1]
        if level > 1:
            base = base[: len(base) - (level - 1)]
        module = ".".join([*base, module] if module else base)
    target = by_module.get(module)
    return (target, name) if target is not None else None


def _every_call_once(name: str, texts: Dict[str, bytes], setup: Tuple[str, ...], cache: Any, once: Set[Tuple[str, str]], memo: Dict[str, Dict[str, List[Ref]]]) -> bool:
    needle = name.encode()
    word = re.compile(rb"(?<![\w])" + re.escape(needle) + rb"(?![\w])")
    mentions = []
    for path, data in texts.items():
        if needle in data and word.search(data):
            mentions.append(path)
            if len(mentions) > _MAX_MODULES:
                return False  # a name this common is unknown: reading every module that spells it costs a parse each
    calls = 0
    for path in mentions:
        data = texts[path]
        info = _file_info(path, data, setup, cache)
        for kind, where in info["refs"].get(name, ()):
            if kind == "module":
                calls += 1
            elif kind == "function" and ((path, where) in once or where in info["entries"]):
                calls += 1
            else:
                return False
    return calls > 0


# --------------------------------------------------------------------------- per file
def _file_info(path: str, data: bytes, setup: Tuple[str, ...], cache: Any) -> Dict[str, Any]:
    """What one module says: its entry points, module-level defs, ``from`` imports, the
    plain calls each module-level def makes (once per call of it), and every reference
    to every name (see :data:`Ref`). Cached by content hash."""
    key = hashlib.sha256(data + b"\0" + ",".join(setup).encode()).hexdigest()
    memo = _MEMO.get((path, key))
    if memo is not None:
        return memo
    found = cache.get(_NAMESPACE, key) if cache is not None else None
    if not isinstance(found, dict):
        found = _read(data, path, setup)
        if cache is not None:
            cache.put(_NAMESPACE, key, found)
    if len(_MEMO) > 4096:
        _MEMO.clear()
    _MEMO[(path, key)] = found
    return found


_MEMO: Dict[Tuple[str, str], Dict[str, Any]] = {}


def _read(data: bytes, path: str, setup: Tuple[str, ...]) -> Dict[str, Any]:
    from .listener_per_call import _setup_def
    from .registration_helper_per_call import module_entry_points

    empty: Dict[str, Any] = {"entries": frozenset(), "commands": frozenset(), "defs": frozenset(), "plain": frozenset(), "imports": {}, "calls": {}, "refs": {}}
    try:
        tree = ast.parse(data, filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return empty
    defs = {stmt.name: stmt for stmt in tree.body if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))}
    imports: Dict[str, Tuple[str, int, str]] = {}
    namespace_names = {"argparse.Namespace"}
    refs: Dict[str, List[Ref]] = {}
    calls: Dict[str, List[str]] = {}
    import_nodes: List[ast.ImportFrom] = []
    _walk(tree, None, False, refs, calls, import_nodes)
    for node in import_nodes:
        for alias in node.names:
            if alias.asname and alias.asname != alias.name:
                refs.setdefault(alias.name, []).append(("other", ""))  # `import f as g`: g is not followed
            if node.module == "argparse" and alias.name == "Namespace":
                namespace_names.add(alias.asname or alias.name)
            imports[alias.asname or alias.name] = (node.module or "", node.level, alias.name)
    commands = set(module_entry_points(tree)) if b"__main__" in data or b"set_defaults" in data else set()
    for name, fn in defs.items():
        if _takes_namespace(fn, namespace_names):
            commands.add(name)
    entries = set(commands)
    for name, fn in defs.items():
        if _setup_def(fn, setup):
            entries.add(name)
    plain = frozenset(name for name, fn in defs.items() if not fn.decorator_list)
    return {
        "entries": frozenset(entries & set(defs)),
        "commands": frozenset(commands & set(defs)),
        "defs": frozenset(defs),
        "plain": plain,
        "imports": imports,
        "calls": calls,
        "refs": refs,
    }


def _takes_namespace(fn: Any, names: Set[str]) -> bool:
    args = fn.args
    for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
        ann = arg.annotation
        if isinstance(ann, ast.Name) and ann.id in names:
            return True
        if isinstance(ann, ast.Attribute) and isinstance(ann.value, ast.Name) and f"{ann.value.id}.{ann.attr}" in names:
            return True
    return False


def _walk(node: ast.AST, function: Optional[str], repeated: bool, refs: Dict[str, List[Ref]], calls: Dict[str, List[str]], imports: List[ast.ImportFrom]) -> None:
    """Record every reference by where it sits: ``function`` is the enclosing module-level
    def (None at module level); ``repeated``: inside a loop, a nested scope or a class."""
    stack: List[Tuple[ast.AST, Optional[str], bool, Optional[ast.AST]]] = [(node, function, repeated, None)]
    while stack:
        cur, fn, rep, parent = stack.pop()
        if isinstance(cur, (ast.FunctionDef, ast.AsyncFunctionDef)) and parent is not None:
            for expr in (*cur.decorator_list, *cur.args.defaults, *(d for d in cur.args.kw_defaults if d is not None)):
                stack.append((expr, fn, rep, cur))
            top = fn is None and not rep and isinstance(parent, ast.Module)
            for stmt in cur.body:
                stack.append((stmt, cur.name if top else fn, rep or not top, cur))
            continue
        if isinstance(cur, (ast.Lambda, ast.ClassDef)) and parent is not None:
            for child in ast.iter_child_nodes(cur):
                stack.append((child, fn, True, cur))
            continue
        if isinstance(cur, ast.Call) and isinstance(cur.func, ast.Name):
            name = cur.func.id
            refs.setdefault(name, []).append(("other", "") if rep else ("function", fn) if fn is not None else ("module", ""))
            if fn is not None and not rep:
                calls.setdefault(fn, []).append(name)
            for child in (*cur.args, *cur.keywords):
                stack.append((child, fn, rep, cur))
            continue
        if isinstance(cur, ast.Name) and isinstance(cur.ctx, ast.Load):
            refs.setdefault(cur.id, []).append(("other", ""))  # passed around as a value
            continue
        if isinstance(cur, ast.Attribute):
            if not (isinstance(cur.value, ast.Name) and cur.value.id in ("self", "cls")):
                refs.setdefault(cur.attr, []).append(("other", ""))  # `mod.f` / `obj.f`: not followed
        elif isinstance(cur, ast.ImportFrom):
            imports.append(cur)
            continue
        in_loop = rep or isinstance(cur, _LOOPS)
        for child in ast.iter_child_nodes(cur):
            if isinstance(cur, (ast.For, ast.AsyncFor)) and child is cur.iter:
                stack.append((child, fn, rep, cur))  # the iterable is evaluated once
            else:
                stack.append((child, fn, in_loop, cur))
