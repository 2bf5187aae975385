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
  (followed a few levels down from the seeds: the entry points and the module-level
  set-up functions of every module, by name, by decorator or by the ``setup-functions``
  option, e.g. a one-off ``initdb`` command's private helpers).

Only the modules whose text may hold a seed that calls a project function by name are
parsed for their seeds (:func:`_may_seed`, conservative: unclear text is parsed), and a
candidate's references are read from the modules whose word set holds its name.

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
_NAMESPACE = "leaks-callers-4"
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

    from fftlint.filememo import memo_of

    memo = memo_of(cache)  # the run's file memo: per-file answers kept by content hash
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
    infos: Dict[str, Dict[str, Any]] = {}

    def info_of(path: str) -> Dict[str, Any]:
        info = infos.get(path)
        if info is None:
            info = infos[path] = _file_info(path, texts[path], setup, cache)
        return info

    # the entry points and set-up functions (the seeds), and what they call
    entries: Set[Tuple[str, str]] = set()
    salt = _NAMESPACE + ":" + ",".join(setup)
    for path, data in texts.items():
        may = memo.derived("leaks-callers-seed", path, lambda d: _may_seed(d, setup), salt) if memo is not None else _may_seed(data, setup)
        if may:
            entries.update((path, name) for name in info_of(path)["entries"])
    once: Set[Tuple[str, str]] = set()
    frontier = set(entries)
    words = _Spellings(texts)
    for _ in range(_MAX_LEVELS):
        candidates: Set[Tuple[str, str]] = set()
        for path, name in frontier:
            info = info_of(path)
            for callee in info["calls"].get(name, ()):
                target = _resolve(callee, path, modules, by_module, info)
                if target is None or target in once or target in entries or target[0] not in texts:
                    continue
                home = info_of(target[0])
                if target[1] in home["entries"]:
                    continue  # once by its own role (its module's text may not have said so)
                if target[1] in home["plain"] and (target[1].startswith("_") or home["commands"]):
                    # undecorated (a decorator may register it with a framework), and
                    # private or in a command module (a public function of a library
                    # may be called by its users, outside the project)
                    candidates.add(target)
        spelled = words.modules_spelling({name for _, name in candidates})
        proven: Set[Tuple[str, str]] = set()
        for target in sorted(candidates):
            if _every_call_once(target[1], spelled.get(target[1], ()), info_of, infos, entries | once | {target}):
                proven.add(target)
        if not proven:
            break
        once |= proven
        frontier = proven
    return frozenset(once)


class _Spellings:
    """Which modules spell a word (as a whole word, in code, strings or comments alike),
    for many words at once. Each text's set of words is made once, on the first question
    (bytes that are not ASCII word bytes, what ``\\w`` of a bytes pattern leaves out,
    turned into spaces, then split): a look-up per word and module after that, not one
    scan of every text per word."""

    def __init__(self, texts: Dict[str, bytes]) -> None:
        self.texts = texts
        self.words: Dict[str, FrozenSet[bytes]] = {}

    def modules_spelling(self, names: Set[str]) -> Dict[str, List[str]]:
        """name -> the paths whose text spells it, in the order of ``texts``."""
        found: Dict[str, List[str]] = {}
        if not names:
            return found
        if not self.words:
            self.words = {path: frozenset(data.translate(_SPACES).split()) for path, data in self.texts.items()}
        for name in names:
            needle = name.encode()
            if needle.isascii():
                where = [path for path, words in self.words.items() if needle in words]
            else:  # not one run of word bytes: read the texts (ASCII `\w`, as above)
                word = re.compile(rb"(?<![\w])" + re.escape(needle) + rb"(?![\w])")
                where = [path for path, data in self.texts.items() if needle in data and word.search(data)]
            if where:
                found[name] = where
        return found


#: every byte that is not an ASCII letter, digit or ``_`` (``\w`` of a bytes pattern) -> a space
_SPACES = bytes(b if (48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122 or b == 95) else 32 for b in range(256))


_MAIN_TEST = re.compile(rb"""^if[ \t]+(?:__name__[ \t]*==[ \t]*(['"])__main__\1|(['"])__main__\2[ \t]*==[ \t]*__name__)[ \t]*:(.*)$""", re.M)
_PLAIN_CALL = re.compile(rb"(?<![\w.])([A-Za-z_]\w*)[ \t]*\(")
#: a ``def`` at column 0 (a module-level one; a form feed may come first) and its name
_TOP_DEF = re.compile(rb"^\x0c*(?:async[ \t\x0c]+)?def[ \t\x0c]+([^\s(]+)", re.M)
#: ``Namespace`` as a word (``argparse.Namespace``, ``from argparse import Namespace``;
#: not ``SimpleNamespace``): an annotation :func:`_takes_namespace` accepts spells it
_NAMESPACE_WORD = re.compile(rb"(?<![\w])Namespace(?![\w])")


def _main_block_calls(data: bytes) -> Optional[Set[bytes]]:
    """The names an ``if __name__ == "__main__":`` block of the module calls plainly
    (``name(...)``, what :func:`module_entry_points` takes from it), read from the text;
    None when the text cannot say (``__main__`` spelled another way: parentheses, a
    string elsewhere; a block with bytes outside ASCII, or where a line at column 0
    inside a string or brackets may have ended it early: :func:`_may_cut`)."""
    tests = list(_MAIN_TEST.finditer(data))
    if len(tests) != data.count(b"__main__"):
        return None  # spelled another way (parentheses, a string elsewhere): read the file
    out: Set[bytes] = set()
    for test in tests:
        # the block: the rest of the `if` line and the lines up to the next one that
        # starts at column 0 (blank lines and comments aside)
        end = _BODY_END.search(data, test.end())
        block = data[test.start(3):end.start() if end is not None else len(data)]
        if not block.isascii() or _may_cut(block):
            return None  # a line at column 0 inside a string or brackets may have cut the block short
        out.update(_PLAIN_CALL.findall(block))
    return out


def _balanced(block: bytes) -> bool:
    return all(block.count(a) == block.count(b) for a, b in ((b"(", b")"), (b"[", b"]"), (b"{", b"}")))


def _may_seed(data: bytes, setup: Tuple[str, ...]) -> bool:
    """Whether the module may hold a seed (what ``_read`` puts in ``entries``: an entry
    point or a set-up function at module level) that calls a function of the project by
    name, read from the text so that only such modules are parsed for their seeds.

    A seed is, by the text: a ``def`` at column 0 that is set-up code by its name, that
    the module's main block calls, or that has a decorator at column 0 (a set-up one;
    one that is not spelled plainly counts). Its body is the lines up to the next one at
    column 0; it may lead somewhere when it calls a name that is a ``def`` at column 0
    of the module or a word of one of its import statements.
    An argparse dispatch (``set_defaults``) or an ``argparse.Namespace`` parameter is
    read from the parse. Says True whenever the text is unclear: a body with a
    triple-quoted string, brackets or a backslash that may cut it short, bytes outside
    ASCII."""
    from .listener_per_call import setup_by_name, setup_decorator

    if b"set_defaults" in data or _NAMESPACE_WORD.search(data):
        return True
    tops = list(_TOP_DEF.finditer(data))
    if not tops:
        return False
    names = {m.group(1) for m in tops}
    if not all(name.isascii() for name in names):
        return True  # an identifier outside ASCII is compared after NFKC: read the file
    imported: Optional[Set[bytes]] = None
    called: Optional[Set[bytes]] = set()
    if b"__main__" in data:
        called = _main_block_calls(data)
        if called is None:
            return True
    for match in tops:
        name = match.group(1)
        seed = setup_by_name(name.decode(), setup) or name in called
        if not seed:
            decorators = _decorators_before(data, match.start())
            if decorators is None or any(setup_decorator(d.decode()) for d in decorators):
                seed = True
        if not seed:
            continue
        end = _BODY_END.search(data, match.end())
        body = data[match.start():end.start() if end is not None else len(data)]
        if not body.isascii() or _may_cut(body):
            return True
        calls = set(_PLAIN_CALL.findall(body))
        calls.discard(name)
        if not calls.isdisjoint(names):
            return True
        if imported is None:
            imported = _imported_words(data)
        if not calls.isdisjoint(imported):
            return True
    return False


#: where a module-level def's body ends: the next line at column 0 that is code
_BODY_END = re.compile(rb"\n(?=[^\s#])")
_DECORATOR_LINE = re.compile(rb"\x0c*@[ \t]*([A-Za-z_][\w.]*)[ \t]*(?:\(.*\)[ \t]*)?(?:#.*)?\r?$")


def _decorators_before(data: bytes, start: int) -> Optional[List[bytes]]:
    """The dotted names of the decorators above ``start`` (a def at column 0; blank and
    comment lines may come between); None when one is not spelled on one line as
    ``@name`` or ``@name(...)`` (it may be spread over lines)."""
    out: List[bytes] = []
    end = start - 1
    while end > 0:
        begin = data.rfind(b"\n", 0, end) + 1
        line = data[begin:end]
        end = begin - 1
        stripped = line.strip()
        if not stripped or stripped.startswith(b"#"):
            continue
        if line.startswith((b"@", b"\x0c@")):
            found = _DECORATOR_LINE.match(line)
            if found is None:
                return None
            out.append(found.group(1))
            continue
        if line[:1].isspace() or sum(line.count(c) for c in b")]}") > sum(line.count(c) for c in b"([{"):
            # an indented line, or one that closes brackets: the tail of a decorator
            # spread over lines when the statement it belongs to starts with `@`
            if begin and data.startswith((b"@", b"\x0c@"), _statement_start(data, data.rfind(b"\n", 0, begin - 1) + 1)):
                return None
        return out
    return out


def _statement_start(data: bytes, begin: int) -> int:
    """Where the last line at column 0 that is code, at or above the line that starts at
    ``begin``, starts."""
    while begin > 0:
        first = data[begin:begin + 1]
        if first and not first.isspace() and first != b"#":
            return begin
        begin = data.rfind(b"\n", 0, begin - 1) + 1
    return 0


def _may_cut(body: bytes) -> bool:
    """A line at column 0 inside a string or brackets may end ``body`` too early."""
    return bool(body.count(b'"""') % 2 or body.count(b"'''") % 2 or _CONTINUED.search(body)) or not _balanced(body)


_CONTINUED = re.compile(rb"\\\r?\n")


def _imported_words(data: bytes) -> Set[bytes]:
    """Every word of the module's import statements, read from the text (``from .jobs
    import _run``, ``from .jobs import (\\n _run,\\n)``, ``... import run as _run``,
    continued lines): what ``_resolve`` can bind a called name to, besides a def."""
    out: Set[bytes] = set()
    for match in _IMPORT_TAIL.finditer(data):
        out.update(_WORD.findall(match.group(1) or match.group(2)))
    return out


_IMPORT_TAIL = re.compile(rb"(?<![\w.])import[ \t]*(?:\(([^)]*)\)|((?:[^\n\\(]|\\\r?\n)*))")
_WORD = re.compile(rb"[\w\x80-\xff]+")


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


def _every_call_once(name: str, mentions: Sequence[str], info_of: Any, read: Dict[str, Any], once: Set[Tuple[str, str]]) -> bool:
    """Every reference to ``name`` in the modules that spell it (``mentions``) is a plain
    call made once per process. The modules already read go first: one bad reference
    there settles it without a parse of the others."""
    if len(mentions) > _MAX_MODULES:
        return False  # a name this common is unknown: reading every module that spells it costs a parse each
    calls = 0
    for path in sorted(mentions, key=lambda p: p not in read):
        info = info_of(path)
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
    from .registration_helper_per_call import main_block_calls, set_defaults_targets

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
    dispatched: Set[str] = set()
    _walk(tree, None, False, refs, calls, import_nodes, dispatched.update, set_defaults_targets)
    for node in import_nodes:
        for alias in node.names:
            if alias.asname and alias.asname != alias.name:
                refs.setdefault(alias.name, []).append(("other", ""))  # `import f as g`: g is not followed
            if node.module == "argparse" and alias.name == "Namespace":
                namespace_names.add(alias.asname or alias.name)
            imports[alias.asname or alias.name] = (node.module or "", node.level, alias.name)
    # module_entry_points, its set_defaults part collected by the walk
    commands = dispatched | main_block_calls(tree) if b"__main__" in data or b"set_defaults" in data else set()
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


#: fields that never hold a node the walk records (contexts, operators, strings)
_LEAF_FIELDS = frozenset(("ctx", "op", "ops", "id", "attr", "name", "arg", "asname", "module", "level", "type_comment", "kind", "is_async", "conversion", "lineno", "col_offset"))
#: node types with nothing below them that the walk records
def _leaf_types() -> FrozenSet[type]:
    """Exact types of the values below which the walk records nothing: constants,
    contexts, operators, plain statements, and the strings, numbers and ``None`` that
    some fields hold."""
    roots = (ast.expr_context, ast.operator, ast.boolop, ast.cmpop, ast.unaryop)
    out: Set[type] = {type(None), str, int, bool, bytes, ast.Constant, ast.Import, ast.alias, ast.Pass, ast.Break, ast.Continue, ast.Global, ast.Nonlocal}
    for root in roots:
        out.update(kind for kind in vars(ast).values() if isinstance(kind, type) and issubclass(kind, root))
    return frozenset(out)


_LEAF_TYPES = _leaf_types()
_CHILD_FIELDS: Dict[type, Tuple[str, ...]] = {}


def _walk(node: ast.AST, function: Optional[str], repeated: bool, refs: Dict[str, List[Ref]], calls: Dict[str, List[str]], imports: List[ast.ImportFrom], dispatched: Any = None, targets: Any = None) -> None:
    """Record every reference by where it sits: ``function`` is the enclosing module-level
    def (None at module level); ``repeated``: inside a loop, a nested scope or a class.
    ``dispatched`` is given ``targets(call)`` of each ``X.set_defaults(...)`` call on the
    way (``module_entry_points``' argparse part), so that no second walk is needed.

    The children of a node are visited in ``ast.iter_child_nodes`` order, minus the
    leaves that record nothing (:data:`_LEAF_TYPES`), so the lists come out in the order
    a generic walk gives them (the last ``from`` import of a name wins)."""
    FunctionDef, AsyncFunctionDef, Lambda, ClassDef = ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef
    Call, Name, Attribute, ImportFrom, Module, Load = ast.Call, ast.Name, ast.Attribute, ast.ImportFrom, ast.Module, ast.Load
    loops = _LOOPS
    fors = (ast.For, ast.AsyncFor)
    leaves, child_fields = _LEAF_TYPES, _CHILD_FIELDS
    stack: List[Tuple[ast.AST, Optional[str], bool, Optional[ast.AST]]] = [(node, function, repeated, None)]
    pop, push = stack.pop, stack.append
    while stack:
        cur, fn, rep, parent = pop()
        kind = type(cur)
        if kind in leaves:
            continue
        if (kind is FunctionDef or kind is AsyncFunctionDef) and parent is not None:
            for expr in (*cur.decorator_list, *cur.args.defaults, *(d for d in cur.args.kw_defaults if d is not None)):
                push((expr, fn, rep, cur))
            top = fn is None and not rep and type(parent) is Module
            for stmt in cur.body:
                push((stmt, cur.name if top else fn, rep or not top, cur))
            continue
        if (kind is Lambda or kind is ClassDef) and parent is not None:
            for child in ast.iter_child_nodes(cur):
                push((child, fn, True, cur))
            continue
        if kind is Call:
            func = cur.func
            if type(func) is Name:
                name = func.id
                refs.setdefault(name, []).append(("other", "") if rep else ("function", fn) if fn is not None else ("module", ""))
                if fn is not None and not rep:
                    calls.setdefault(fn, []).append(name)
                for child in (*cur.args, *cur.keywords):
                    push((child, fn, rep, cur))
                continue
            if dispatched is not None and type(func) is Attribute and func.attr == "set_defaults":
                dispatched(targets(cur))
        elif kind is Name:
            if type(cur.ctx) is Load:
                refs.setdefault(cur.id, []).append(("other", ""))  # passed around as a value
            continue
        elif kind is Attribute:
            value = cur.value
            if not (type(value) is Name and value.id in ("self", "cls")):
                refs.setdefault(cur.attr, []).append(("other", ""))  # `mod.f` / `obj.f`: not followed
        elif kind is ImportFrom:
            imports.append(cur)
            continue
        in_loop = rep or isinstance(cur, loops)
        iterable = cur.iter if in_loop != rep and isinstance(cur, fors) else None  # evaluated once
        fields = child_fields.get(kind)
        if fields is None:  # in ``_fields`` order, the order ``ast.iter_child_nodes`` yields
            fields = child_fields[kind] = tuple(f for f in kind._fields if f not in _LEAF_FIELDS)
        for field in fields:
            value = getattr(cur, field, None)
            if type(value) is list:
                for item in value:
                    if type(item) not in leaves:
                        push((item, fn, in_loop, cur))
            elif type(value) not in leaves:
                push((value, fn, rep if value is iterable else in_loop, cur))
