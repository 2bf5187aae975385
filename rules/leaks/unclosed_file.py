"""FFT305: a file or socket opened without ``with`` and not closed on every path, in code that runs repeatedly."""

from __future__ import annotations

import ast
import functools
import re
from typing import Any, Dict, List, Optional, Set, Tuple

import libcst as cst

from fftlint.analysis.names import dotted
from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.engine.walk import replaced
from fftlint.rule import FixSpec, Invalid, Rule

from ._common import (
    called_or_aliased,
    blocks_of,
    holders,
    parents_in,
    fresh_name,
    in_dead_branch,
    inside_expected_raise,
    leak_facts,
    load_catalog,
    may_resolve,
    names_in,
    parent_map,
    reachable,
    split_name,
    walk_nodes,
)
from .unclosed_resource import runs_once

CATALOG = "resources.yaml"
CONSEQUENCE = (
    "it stays open until the last reference goes away (in CPython; not while an exception's "
    "traceback holds the frame, nor in a reference cycle) or until the garbage collector runs (PyPy)"
)
#: what the finding says about the file (``{name}``: the local)
HOW = {
    "never": "is never closed",
    "not-always": "is closed only when nothing before `{name}.close()` raises or returns",
    "chain": "is used once and dropped without being closed, on every iteration",
    "argument": "is handed to `{name}` and never closed, on every iteration",
    "wrapper": "is wrapped by `{name}`, which keeps it open for as long as it lives, and nobody can close it",
    "iter": "is iterated without being closed, on every iteration",
}
Role = Tuple[str, str, Any]  # (how the call is used, a name for the message, extra)


def _catalog() -> Dict[str, Any]:
    return load_catalog(CATALOG)


def _lasts() -> Set[str]:
    return {name.rsplit(".", 1)[-1] for name in _catalog()["files"]}


def _requires() -> Tuple[Any, ...]:
    """Stage 1: an opener's last name followed by ``(`` (a call), or by ``as`` (an import
    alias: ``from io import open as io_open``)."""
    return called_or_aliased(*_lasts())


class UnclosedFile(Rule):
    """## What it does
    Checks for files and sockets (`open`, `io.open`, `gzip.open`, `zipfile.ZipFile`,
    `tempfile.NamedTemporaryFile`, `Path.open`, `socket.socket`,
    `socket.create_connection`, `urllib.request.urlopen`: the catalog in
    `rules/leaks/resources.yaml`) opened without `with` in code that runs repeatedly, that
    are not closed on every path:
    - `f = open(p)` in a function that runs per call (not `main`, `setup_*`, `__init__`,
      `test_*`, ...), or in a loop anywhere, where `f` is never closed, or closed only on
      the normal path (`f.close()` not in a `finally:`, with code in between that can raise
      or return);
    - in a loop: a file used once and dropped (`open(p).read()`), handed straight to a
      reader (`json.load(open(p))`), or iterated (`for line in open(p)`);
    - handed to a wrapper that keeps it and outlives the statement, in code that runs
      repeatedly: `rows = csv.DictReader(open(p))`, `return csv.reader(open(p))`.

    A local file counts as used here (not handed on) when it is iterated, also by a
    comprehension (`[line.strip() for line in f]`), or wrapped by a reader or writer that
    stays in the function: `w = csv.writer(f)` with `w` used only as `w.writerow(...)` or
    iterated, or `for row in csv.DictReader(f)`. No fix then for the wrapper (the
    `with` block would have to reach the wrapper's last use too).

    Not reported: a file used as a `with` item (also through `contextlib.closing`), closed
    in a `finally:`, returned, yielded, stored (an attribute, a container, a global),
    used by a nested function, or passed to any call other than a known reader
    (`json.load`, `shutil.copyfileobj`, `print(file=...)`, ...): whoever gets it owns it.
    The same for a wrapper over it that is returned, stored or passed on
    (`r = csv.reader(f); return r`).
    Module-level code outside loops, and functions that run once, are not reported.

    ## Why is this bad?
    A file object holds an operating-system descriptor (and, for writes, unflushed data)
    until it is closed. CPython closes a dropped file when its reference count reaches
    zero, which hides the problem on the happy path: `open(p).read()` is closed at the end
    of the statement. It does not when something keeps the frame alive — an exception's
    traceback (stored for a log or a retry, or still being handled), a reference cycle
    (the file is freed only when the cycle collector runs), a generator that is never
    finished — and PyPy, GraalPy and other implementations have no reference counting at
    all: their files stay open until a garbage collection. In a loop or a request handler
    that is one more descriptor per call: "Too many open files", sockets in `CLOSE_WAIT`,
    writes that reach the disk late or never, and `ResourceWarning`s under `-W error`.

    ## Example
    ```python
    import json

    def load_all(paths):
        return [json.load(open(p)) for p in paths]

    def read_config(path):
        f = open(path)
        data = f.read()
        f.close()
        return data
    ```

    ## Use instead
    ```python
    import json

    def load_all(paths):
        out = []
        for p in paths:
            with open(p) as fh:
                out.append(json.load(fh))
        return out

    def read_config(path):
        with open(path) as f:
            return f.read()
    ```

    ## Fix safety
    Safe fix when the file is a local of a function, assigned on a line of its own and
    only used by the statements that follow in the same block (as a method receiver, an
    iterable or a reader's argument; never aliased, returned or stored): those statements
    move into `with <call> as f:` and a `f.close()` among them is dropped. The file is then
    closed after its last use, also when one of them raises. In a loop, a statement that
    hands a fresh file to a reader or uses it once (`data = json.load(open(p))`) becomes
    `with open(p) as fh: data = json.load(fh)`. No fix elsewhere.
    """

    code = "FFT305"
    contexts = PRODUCTION_ONLY  # tests and scripts are short-lived: nothing piles up
    name = "file-not-closed"
    message = "`{call}` opens {what} that {how}: {consequence}"
    fix_title = "Open it in a `with` block"
    requires = _requires()

    VALID = [
        "def f(p):\n    with open(p) as fh:\n        return fh.read()\n",
        "def f(p):\n    fh = open(p)\n    try:\n        return fh.read()\n    finally:\n        fh.close()\n",
        "def f(p):\n    fh = open(p)\n    return fh\n",
        "class Log:\n    def open(self, p):\n        self.fh = open(p, 'a')\n",
        "import contextlib\ndef f(p):\n    with contextlib.closing(open(p)) as fh:\n        return fh.read()\n",
        "import contextlib\ndef f(stack, p):\n    return stack.enter_context(open(p))\n",
        # run once: main, set-up code, module level outside loops
        "def main(p):\n    data = open(p).read()\n    print(data)\n",
        "CONFIG = open('settings.ini').read()\n",
        # outside a loop, a statement-long use is closed by reference counting at once
        "import json\ndef load(p):\n    return json.load(open(p))\n",
        "def size(p):\n    return len(open(p).read())\n",
        # handed to something that may keep it: its owner closes it
        "def f(p, registry):\n    fh = open(p)\n    registry.add(fh)\n",
        "import csv\ndef rows(p):\n    f = open(p, newline='')\n    r = csv.reader(f)\n    return r\n",
        "import csv\ndef rows(p, sink):\n    f = open(p, newline='')\n    r = csv.reader(f)\n    sink(r)\n",
        "import csv\ndef rows(p):\n    f = open(p, newline='')\n    r = csv.reader(f)\n    r = list(r)\n    return r\n",
        "def f(p):\n    fh = open(p)\n    def read():\n        return fh.read()\n    return read\n",
        # closed right away: nothing in between can skip it
        "def touch(p):\n    fh = open(p, 'a')\n    fh.close()\n",
        "def exists(p):\n    try:\n        fh = open(p)\n    except OSError:\n        return False\n    else:\n        fh.close()\n    return True\n",
        # not a file: a local function or method named open
        "def open(p):\n    return p\ndef f(p):\n    fh = open(p)\n    return fh.read()\n",
        "import webbrowser\ndef f(url):\n    for u in url:\n        webbrowser.open(u)\n",
        # a wrapper kept only for the statement (closed by reference counting at once)
        "import csv\ndef count(p):\n    return sum(1 for _ in csv.reader(open(p)))\n",
        # a with item
        "def f(paths):\n    for p in paths:\n        with open(p) as fh:\n            fh.read()\n",
        # an archive in memory holds no descriptor
        "import io, zipfile\ndef pack(files):\n    buf = io.BytesIO()\n    z = zipfile.ZipFile(buf, 'w')\n    z.writestr('a', files)\n    z.close()\n    return buf.getvalue()\n",
    ]
    INVALID = [
        Invalid(
            "def load_text(path):\n    f = open(path)\n    data = f.read()\n    f.close()\n    return data\n",
            line=2,
            column=9,
            message_contains="is closed only when nothing before `f.close()` raises or returns",
            fixed="def load_text(path):\n    with open(path) as f:\n        data = f.read()\n    return data\n",
        ),
        Invalid(
            "def handle(request):\n    log = open('/var/log/app.log', 'a')\n    log.write(request.path)\n    return 'ok'\n",
            message_contains="is never closed",
            fixed="def handle(request):\n    with open('/var/log/app.log', 'a') as log:\n        log.write(request.path)\n    return 'ok'\n",
        ),
        Invalid(
            "import json\ndef load_all(paths):\n    out = []\n    for p in paths:\n        data = json.load(open(p))\n        out.append(data)\n    return out\n",
            message_contains="handed to `json.load`",
            fixed=(
                "import json\ndef load_all(paths):\n    out = []\n    for p in paths:\n        with open(p) as fh:\n"
                "            data = json.load(fh)\n        out.append(data)\n    return out\n"
            ),
        ),
        Invalid(
            "def sizes(paths):\n    for p in paths:\n        print(len(open(p, 'rb').read()))\n",
            message_contains="used once and dropped",
            fixed="def sizes(paths):\n    for p in paths:\n        with open(p, 'rb') as fh:\n            print(len(fh.read()))\n",
        ),
        Invalid("import json\ndef load_all(paths):\n    return [json.load(open(p)) for p in paths]\n", message_contains="every iteration"),
        Invalid("def grep(paths, word):\n    for p in paths:\n        for line in open(p):\n            if word in line:\n                yield line\n", message_contains="iterated"),
        Invalid("import csv\ndef rows(p):\n    return csv.DictReader(open(p))\n", message_contains="wrapped by `csv.DictReader`"),
        Invalid("import csv\ndef rows(p):\n    reader = csv.reader(open(p, newline=''))\n    return list(reader)\n"),
        Invalid(
            "def names(p):\n    fh = open(p)\n    found = [line.strip() for line in fh]\n    return found\n",
            fixed="def names(p):\n    with open(p) as fh:\n        found = [line.strip() for line in fh]\n    return found\n",
        ),
        Invalid(
            "import csv\ndef export(p, rows):\n    out = open(p, 'w', newline='')\n    writer = csv.writer(out)\n"
            "    for row in rows:\n        writer.writerow(row)\n    out.close()\n",
            message_contains="closed only when",
        ),
        Invalid("import csv\ndef count(p):\n    f = open(p, newline='')\n    return sum(1 for row in csv.DictReader(f))\n"),
        Invalid(
            "import socket\ndef ping(host):\n    s = socket.create_connection((host, 80))\n    s.sendall(b'PING')\n    if not s.recv(4):\n        return False\n    s.close()\n    return True\n",
            message_contains="a socket",
            fixed=(
                "import socket\ndef ping(host):\n    with socket.create_connection((host, 80)) as s:\n        s.sendall(b'PING')\n"
                "        if not s.recv(4):\n            return False\n    return True\n"
            ),
        ),
        Invalid(
            "from urllib.request import urlopen\ndef fetch(url):\n    r = urlopen(url)\n    return r.read()\n",
            message_contains="HTTP response",
            fixed="from urllib.request import urlopen\ndef fetch(url):\n    with urlopen(url) as r:\n        return r.read()\n",
        ),
        Invalid(
            "from pathlib import Path\ndef head(p: Path):\n    fh = p.open()\n    return fh.readline()\n",
            fixed="from pathlib import Path\ndef head(p: Path):\n    with p.open() as fh:\n        return fh.readline()\n",
        ),
        # a closed-in-`except` is not every path either
        Invalid(
            "def f(p):\n    fh = open(p)\n    try:\n        data = fh.read()\n    except OSError:\n        fh.close()\n        raise\n    return data\n",
            fixed=(
                "def f(p):\n    with open(p) as fh:\n        try:\n            data = fh.read()\n        except OSError:\n"
                "            fh.close()\n            raise\n    return data\n"
            ),
        ),
        # set-up code in a loop still opens one per iteration
        Invalid(
            "def main(paths):\n    for p in paths:\n        text = open(p).read()\n        print(text)\n",
            fixed="def main(paths):\n    for p in paths:\n        with open(p) as fh:\n            text = fh.read()\n        print(text)\n",
        ),
    ]

    @classmethod
    def could_match(cls, view: Any) -> bool:
        """Stage 2 of the pre-filter: a call whose callee can resolve to a catalog opener,
        used in one of the ways ``_roles_of`` records, where the code repeats: a local of a
        function that does not run once by its name (or in a loop) that is not surely handed
        on (``_escapes``) or closed in a ``finally`` that follows; a method receiver, a
        reader's argument or an iterable, in a loop; a wrapper's argument whose value
        outlives the statement."""
        facts = leak_facts(view)
        openers = reachable([split_name(name) for name in _catalog()["files"]], facts)
        if not openers:
            return False
        lasts = {t[-1] for t in openers}
        catalog = _catalog()
        consumer_lasts = {n.rsplit(".", 1)[-1] for n in catalog["file_consumers"]}
        wrapper_lasts = {n.rsplit(".", 1)[-1] for n in catalog["file_wrappers"]}
        loops: Optional[List[Tuple[Tuple[int, int], Tuple[int, int]]]] = None
        parents: Optional[Dict[int, ast.AST]] = None
        local_parents: Dict[int, Dict[int, ast.AST]] = {}
        for call in view.nodes(ast.Call):
            func = call.func
            last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
            if last is None or (last not in lasts and last not in facts.aliases):
                continue
            if not any(may_resolve(func, t, facts) for t in openers):
                continue
            if parents is None:
                parents = holders(view)
                loops = _loop_spans(view)
            assert loops is not None
            fn = facts.innermost_function(call)
            if facts.in_lambda(call) and not _lambda_is_a_root(view, call):
                continue  # ``_roles_of`` never walks into a lambda: no role, no finding
            pos = (call.lineno, call.col_offset)
            in_loop = any(start <= pos <= end for start, end in loops)
            repeated = in_loop or (fn is not None and not runs_once(fn.name))  # type: ignore[attr-defined]
            if not repeated:
                continue
            parent = parents.get(id(call))
            target = _local_target(parent, call)
            if target is not None:
                if fn is None:
                    continue
                inner = local_parents.get(id(fn))
                if inner is None:
                    inner = local_parents[id(fn)] = parents_in(fn)
                if not _escapes(fn, target, parent, inner, consumer_lasts, facts, view.text, wrapper_lasts):
                    return True
                continue
            if isinstance(parent, ast.Call) and any(v is call for v in (*parent.args, *(k.value for k in parent.keywords))):
                pf = parent.func
                plast = pf.attr if isinstance(pf, ast.Attribute) else pf.id if isinstance(pf, ast.Name) else None
                known = plast in consumer_lasts or plast in wrapper_lasts or plast in facts.aliases
                if not known:
                    continue
                holder = parents.get(id(parent))
                outlives = isinstance(holder, (ast.Assign, ast.AnnAssign, ast.Return, ast.Yield, ast.Await))
                if in_loop or (outlives and (plast in wrapper_lasts or plast in facts.aliases)):
                    return True
                continue
            if in_loop and (
                (isinstance(parent, ast.Attribute) and parent.value is call)
                or (isinstance(parent, (ast.For, ast.AsyncFor, ast.comprehension)) and parent.iter is call)
            ):
                return True
        return False

    def __init__(self, ctx: Any, options: Any = None) -> None:
        super().__init__(ctx, options)
        self._roles: Dict[int, Dict[int, Role]] = {}
        self._parents: Dict[int, Dict[int, cst.CSTNode]] = {}
        self._wrapped: Set[Tuple[int, str]] = set()

    def visit_Call(self, node: cst.Call) -> None:
        resolved = self.ctx.names.resolve(node.func)
        entry = _catalog()["files"].get(resolved or "")
        if entry is None:
            return
        statement = self.ctx.statements[-1] if self.ctx.statements else None
        if statement is None:
            return
        role = self._roles_of(statement).get(id(node))
        if role is None:
            return
        kind, name, extra = role
        if self._in_memory(node):
            return  # an archive over a `BytesIO`: no descriptor to leak
        frame = self.ctx.stack.function_frame
        func = frame.node if frame is not None and isinstance(frame.node, cst.FunctionDef) else None
        in_loop = any(f.kind in ("loop", "async loop", "comprehension") for f in self.ctx.stack.loops)
        repeated = in_loop or (func is not None and not runs_once(func.name.value))
        if not repeated:
            return
        fix: Optional[FixSpec] = None
        if kind == "local":
            if func is None:
                return  # a module-level or class-level name: lives with its module
            verdict = self._local_verdict(func, name, extra)
            if verdict is None:
                return
            kind = verdict
            if kind in ("never", "not-always") and (id(func), name) not in self._wrapped:
                fix = self._with_fix(func, name, extra)
        elif kind == "wrapper":
            pass  # outlives the statement: reported wherever the code runs repeatedly
        elif not in_loop:
            return  # a statement-long use outside a loop: closed by reference counting at once
        elif kind in ("chain", "argument"):
            fix = self._statement_fix(node, extra)
        if inside_expected_raise(self.ctx) or in_dead_branch(self.ctx):
            return
        call = (dotted(node.func) or self.ctx.code_for(node.func)) + "()"
        self.report(
            node,
            call=call,
            what=entry["what"],
            how=HOW[kind].format(name=name),
            consequence=CONSEQUENCE,
            fix=fix,
        )

    def _in_memory(self, call: cst.Call) -> bool:
        first = call.args[0].value if call.args and call.args[0].keyword is None else None
        if first is None:
            return False
        name = self.ctx.names.resolve(first.func) + "()" if isinstance(first, cst.Call) and self.ctx.names.resolve(first.func) else (
            self.ctx.names.resolve(first) if isinstance(first, cst.Name) else None
        )
        return name in ("io.BytesIO()", "io.StringIO()")

    # -- how a fresh file is used in its statement ---------------------------------------------
    def _roles_of(self, statement: cst.CSTNode) -> Dict[int, Role]:
        found = self._roles.get(id(statement))
        if found is not None:
            return found
        out: Dict[int, Role] = {}
        catalog = _catalog()
        consumers, wrappers = set(catalog["file_consumers"]), set(catalog["file_wrappers"])
        roots: List[cst.CSTNode] = []
        if isinstance(statement, cst.SimpleStatementLine):
            roots = list(statement.body)
        elif isinstance(statement, cst.For):
            roots = [statement.iter]
            if isinstance(statement.iter, cst.Call):
                out[id(statement.iter)] = ("iter", "", None)
        elif isinstance(statement, (cst.If, cst.While)):
            roots = [statement.test]
        for block in blocks_of(statement):
            if isinstance(block, cst.SimpleStatementSuite):
                roots.extend(block.body)
        for root in roots:
            if isinstance(root, cst.Assign) and len(root.targets) == 1 and isinstance(root.targets[0].target, cst.Name):
                if isinstance(root.value, cst.Call):
                    out[id(root.value)] = ("local", root.targets[0].target.value, root)
            elif isinstance(root, cst.AnnAssign) and isinstance(root.target, cst.Name) and isinstance(root.value, cst.Call):
                out[id(root.value)] = ("local", root.target.value, root)
            outliving = self._outliving(root)
            for sub in [root, *walk_nodes(root, into_scopes=False)]:
                if isinstance(sub, cst.Attribute) and isinstance(sub.value, cst.Call):
                    out.setdefault(id(sub.value), ("chain", sub.attr.value, root))
                elif isinstance(sub, cst.Call):
                    callee = self.ctx.names.resolve(sub.func) or ""
                    label = dotted(sub.func) or callee
                    for arg in sub.args:
                        if not isinstance(arg.value, cst.Call) or arg.star:
                            continue
                        if callee in wrappers and id(sub) in outliving:
                            out.setdefault(id(arg.value), ("wrapper", label, root))
                        elif callee in consumers or callee in wrappers:
                            out.setdefault(id(arg.value), ("argument", label, root))
                elif isinstance(sub, cst.CompFor) and isinstance(sub.iter, cst.Call):
                    out.setdefault(id(sub.iter), ("iter", "", root))
        self._roles[id(statement)] = out
        return out

    @staticmethod
    def _outliving(root: cst.CSTNode) -> Set[int]:
        """ids of the calls whose value outlives the statement: assigned to a name,
        returned or yielded."""
        value: Optional[cst.BaseExpression] = None
        if isinstance(root, (cst.Assign, cst.AnnAssign, cst.Return)):
            value = root.value
        elif isinstance(root, cst.Expr) and isinstance(root.value, (cst.Yield, cst.Await)):
            value = root.value.value if isinstance(root.value.value, cst.BaseExpression) else None
        return {id(value)} if isinstance(value, cst.Call) else set()

    # -- a file in a local -------------------------------------------------------------------------
    def _parents_of(self, func: cst.FunctionDef) -> Dict[int, cst.CSTNode]:
        found = self._parents.get(id(func))
        if found is None:
            found = self._parents[id(func)] = parent_map(func)
        return found

    def _local_verdict(self, func: cst.FunctionDef, name: str, assign: cst.CSTNode) -> Optional[str]:
        """"never" / "not-always", or None when the file is closed on every path, or
        handed on (returned, stored, aliased, passed to an unknown call, used by nested
        code, a `with` item)."""
        parents = self._parents_of(func)
        consumers = set(_catalog()["file_consumers"])
        wrappers = set(_catalog()["file_wrappers"])
        closes: List[cst.Call] = []
        for use in self._uses(func, name):
            parent = parents.get(id(use))
            if isinstance(parent, cst.Attribute) and parent.value is use:
                call = parents.get(id(parent))
                if parent.attr.value == "close" and isinstance(call, cst.Call) and call.func is parent:
                    closes.append(call)
                elif parent.attr.value in ("__enter__", "__exit__", "detach"):
                    return None
                continue  # `f.read()`, `f.name`
            if isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is use:
                continue  # `for line in f`, `[line for line in f]`
            if isinstance(parent, cst.Arg) and parent.keyword is None or isinstance(parent, cst.Arg) and parent.keyword.value == "file":  # type: ignore[union-attr]
                call = parents.get(id(parent))
                if isinstance(call, cst.Call) and (self.ctx.names.resolve(call.func) or "") in consumers:
                    continue
                if isinstance(call, cst.Call) and (self.ctx.names.resolve(call.func) or "") in wrappers:
                    if self._wrapper_stays_here(func, name, call, parents):
                        self._wrapped.add((id(func), name))  # no fix: the wrapper is used after the file's last use
                        continue
            if isinstance(parent, (cst.Comparison, cst.ComparisonTarget, cst.UnaryOperation, cst.If, cst.While)):
                continue  # `if f is None`, `if not f`
            return None  # returned, stored, aliased, passed on, a `with` item, ...
        if self._used_in_nested_scope(func, name):
            return None
        closes = self._after(assign, closes, parents, func)
        if not closes:
            return "never"
        if any(self._in_finally(c, parents, func) for c in closes):
            return None
        if all(not self._in_handler(c, parents, func) for c in closes) and self._closed_next(assign, closes, parents):
            return None
        return "not-always"

    def _wrapper_stays_here(self, func: cst.FunctionDef, name: str, call: cst.Call, parents: Dict[int, cst.CSTNode]) -> bool:
        """A reader or writer over the file (``csv.writer(f)``) that does not outlive this
        function either: iterated right away (``for row in csv.reader(f)``), or bound to a
        local used only as a method receiver (``w.writerow(...)``) or an iterable, never
        handed on. The file is then still this function's to close."""
        holder = parents.get(id(call))
        if isinstance(holder, (cst.For, cst.CompFor)) and holder.iter is call:
            return True
        if not (isinstance(holder, cst.Assign) and holder.value is call and len(holder.targets) == 1):
            return False
        target = holder.targets[0].target
        if not isinstance(target, cst.Name) or target.value == name or self._used_in_nested_scope(func, target.value):
            return False
        bound = sum(1 for n in walk_nodes(func.body) if isinstance(n, cst.AssignTarget) and isinstance(n.target, cst.Name) and n.target.value == target.value)
        if bound != 1:
            return False
        for use in self._uses(func, target.value):
            parent = parents.get(id(use))
            if isinstance(parent, cst.Attribute) and parent.value is use:
                continue
            if isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is use:
                continue
            return False
        return True

    @staticmethod
    def _after(assign: cst.CSTNode, closes: List[cst.Call], parents: Dict[int, cst.CSTNode], func: cst.CSTNode) -> List[cst.Call]:
        """The ``close()`` calls that can run after the assignment: in the statements that
        follow it in its block and in every enclosing block (with a ``try``'s ``else`` and
        ``finally``), not in a sibling branch (the ``else:`` of the ``if`` it is in)."""
        region: Set[int] = set()
        current: Optional[cst.CSTNode] = parents.get(id(assign))  # its statement line
        while current is not None and current is not func:
            block = parents.get(id(current))
            if isinstance(block, (cst.IndentedBlock, cst.Module)):
                body = list(block.body)
                if current in body:
                    for stmt in body[body.index(current) + 1 :]:
                        region.update(id(n) for n in walk_nodes(stmt))
                owner = parents.get(id(block))
                if isinstance(owner, cst.Try) and owner.body is block:
                    for extra in (owner.orelse, owner.finalbody):
                        if extra is not None:
                            region.update(id(n) for n in walk_nodes(extra))
            current = block
        return [c for c in closes if id(c) in region]

    def _uses(self, func: cst.FunctionDef, name: str) -> List[cst.Name]:
        """Loads of the local ``name`` in ``func`` (not its assignment targets, attribute
        names or keyword names); a global or nonlocal declaration returns a fake use."""
        parents = self._parents_of(func)
        out: List[cst.Name] = []
        for sub in walk_nodes(func.body):
            if isinstance(sub, (cst.Global, cst.Nonlocal)) and any(n.name.value == name for n in sub.names):
                return [cst.Name(name)]  # no parent: counts as handed on
            if not (isinstance(sub, cst.Name) and sub.value == name):
                continue
            parent = parents.get(id(sub))
            if isinstance(parent, cst.AssignTarget) and parent.target is sub:
                continue
            if isinstance(parent, cst.AnnAssign) and parent.target is sub:
                continue
            if isinstance(parent, cst.Attribute) and parent.attr is sub:
                continue
            if isinstance(parent, cst.Arg) and parent.keyword is sub:
                continue
            if isinstance(parent, (cst.Param, cst.FunctionDef, cst.ClassDef, cst.ImportAlias, cst.AsName)):
                continue
            out.append(sub)
        return out

    @staticmethod
    def _used_in_nested_scope(func: cst.FunctionDef, name: str) -> bool:
        for sub in walk_nodes(func.body, into_scopes=False):
            if isinstance(sub, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                if any(isinstance(n, cst.Name) and n.value == name for n in walk_nodes(sub)):
                    return True
        return False

    @staticmethod
    def _in_finally(node: cst.CSTNode, parents: Dict[int, cst.CSTNode], func: cst.CSTNode) -> bool:
        current: Optional[cst.CSTNode] = node
        while current is not None and current is not func:
            if isinstance(current, cst.Finally):
                return True
            current = parents.get(id(current))
        return False

    @staticmethod
    def _in_handler(node: cst.CSTNode, parents: Dict[int, cst.CSTNode], func: cst.CSTNode) -> bool:
        current: Optional[cst.CSTNode] = node
        while current is not None and current is not func:
            if isinstance(current, (cst.ExceptHandler, cst.ExceptStarHandler)):
                return True
            current = parents.get(id(current))
        return False

    @staticmethod
    def _closed_next(assign: cst.CSTNode, closes: List[cst.Call], parents: Dict[int, cst.CSTNode]) -> bool:
        """``f = open(p)`` and then ``f.close()`` as the very next statement of the block:
        nothing in between can skip it."""
        line = parents.get(id(assign))
        block = parents.get(id(line)) if line is not None else None
        if not isinstance(block, (cst.IndentedBlock, cst.Module)):
            return False
        body = list(block.body)
        index = next((i for i, s in enumerate(body) if s is line), None)
        if index is None:
            return False
        if index + 1 < len(body):
            nxt = body[index + 1]
        else:
            # `try: f = open(p)` / `except OSError: ...` / `else: f.close()`
            owner = parents.get(id(block))
            if not (isinstance(owner, cst.Try) and owner.body is block and owner.orelse is not None):
                return False
            rest = owner.orelse.body
            if not isinstance(rest, cst.IndentedBlock) or not rest.body:
                return False
            nxt = rest.body[0]
        return isinstance(nxt, cst.SimpleStatementLine) and len(nxt.body) == 1 and isinstance(nxt.body[0], cst.Expr) and any(
            nxt.body[0].value is c for c in closes
        )

    # -- fixes ---------------------------------------------------------------------------------
    def _with_fix(self, func: cst.FunctionDef, name: str, assign: cst.CSTNode) -> Optional[FixSpec]:
        """Move the statements from the assignment to the last use of the file into
        ``with <call> as <name>:`` (dropping ``<name>.close()`` lines among them)."""
        parents = self._parents_of(func)
        line = parents.get(id(assign))
        block = parents.get(id(line)) if line is not None else None
        if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1 or not isinstance(block, cst.IndentedBlock):
            return None
        if not isinstance(assign, cst.Assign) or len(assign.targets) != 1 or not isinstance(assign.value, cst.Call):
            return None
        body = list(block.body)
        index = next(i for i, s in enumerate(body) if s is line)
        uses = self._uses(func, name)
        holders: List[int] = []
        for use in uses:
            holder = self._statement_in(use, block, parents)
            if holder is None:
                return None  # used outside this block
            holders.append(body.index(holder))
        if not holders or min(holders) <= index:
            return None
        last = max(holders)
        moved = []
        for stmt in body[index + 1 : last + 1]:
            if self._is_close_line(stmt, name):
                continue
            moved.append(stmt)
        if not moved or any(self._is_close_line(s, name) for s in body[last + 1 :]):
            return None
        if any(isinstance(n, cst.Name) and n.value == name for s in body[last + 1 :] for n in walk_nodes(s)):
            return None
        dropped = [s for s in body[index + 1 : last + 1] if s not in moved]
        if any(_has_comment(s) for s in dropped):
            return None  # a comment on, in or above a dropped `close()` line would be lost
        if sum(1 for n in walk_nodes(func.body) if isinstance(n, cst.AssignTarget) and isinstance(n.target, cst.Name) and n.target.value == name) != 1:
            return None  # reassigned: each assignment is its own finding
        new_with = cst.With(
            items=[cst.WithItem(item=assign.value, asname=cst.AsName(name=cst.Name(name)))],
            body=cst.IndentedBlock(body=moved),
            leading_lines=line.leading_lines,
        )
        new_body = body[:index] + [new_with] + body[last + 1 :]
        module = replaced(self.ctx.module, block, block.with_changes(body=new_body), (func,))
        assert isinstance(module, cst.Module)
        return FixSpec((), title=f"Open `{name}` in a `with` block", rewrite=module)

    @staticmethod
    def _statement_in(node: cst.CSTNode, block: cst.IndentedBlock, parents: Dict[int, cst.CSTNode]) -> Optional[cst.CSTNode]:
        current: Optional[cst.CSTNode] = node
        while current is not None:
            parent = parents.get(id(current))
            if parent is block:
                return current
            current = parent
        return None

    @staticmethod
    def _is_close_line(stmt: cst.CSTNode, name: str) -> bool:
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
            return False
        small = stmt.body[0]
        return (
            isinstance(small, cst.Expr)
            and isinstance(small.value, cst.Call)
            and not small.value.args
            and dotted(small.value.func) == f"{name}.close"
        )

    def _statement_fix(self, call: cst.Call, root: cst.CSTNode) -> Optional[FixSpec]:
        """``data = json.load(open(p))`` in a loop -> ``with open(p) as fh: data = json.load(fh)``."""
        statement = self.ctx.statements[-1]
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1 or statement.body[0] is not root:
            return None
        if self.ctx.stack.frames[-1].kind in ("comprehension", "lambda"):
            return None  # the file is opened per element: it cannot move out of the expression
        parents = parent_map(root)
        current: Optional[cst.CSTNode] = call
        while current is not None and current is not root:
            if isinstance(current, (cst.IfExp, cst.BooleanOperation, cst.Lambda, cst.BaseComp)):
                return None  # opened only on some evaluations: moving it out would open it always
            current = parents.get(id(current))
        if len(self.ctx.statements) < 2:
            return None
        parent = self.ctx.statements[-2]
        block = next(
            (b for b in blocks_of(parent) if isinstance(b, cst.IndentedBlock) and any(s is statement for s in b.body)),
            None,
        )
        if block is None:
            return None
        if sum(1 for sub in walk_nodes(statement) if isinstance(sub, cst.Call) and sub is not call and
               (self.ctx.names.resolve(sub.func) or "") in _catalog()["files"]):
            return None  # two files in one statement: one fix at a time keeps it readable
        scope = self.ctx.stack.function
        name = fresh_name("fh", names_in(scope if scope is not None else self.ctx.module))
        inner = replaced(statement, call, cst.Name(name))
        assert isinstance(inner, cst.SimpleStatementLine)
        new_with = cst.With(
            items=[cst.WithItem(item=call, asname=cst.AsName(name=cst.Name(name)))],
            body=cst.IndentedBlock(body=[inner.with_changes(leading_lines=())]),
            leading_lines=statement.leading_lines,
        )
        body = [new_with if s is statement else s for s in block.body]
        module = replaced(self.ctx.module, block, block.with_changes(body=body), self.ctx.statements[:-1])
        assert isinstance(module, cst.Module)
        return FixSpec((), title="Open it in a `with` block", rewrite=module)


def _has_comment(stmt: cst.CSTNode) -> bool:
    """A comment above, inside or after the statement (its own lines included); LibCST's
    visitor enters the whitespace nodes that hold comments, our walk does not."""
    return _comment_finder().found_in(stmt)


@functools.lru_cache(maxsize=None)
def _comment_finder() -> Any:
    """The visitor class, made on first use (libcst is loaded when first needed)."""

    class CommentFinder(cst.CSTVisitor):
        found = False

        def visit_Comment(self, node: cst.Comment) -> None:
            self.found = True

        @classmethod
        def found_in(cls, node: cst.CSTNode) -> bool:
            finder = cls()
            node.visit(finder)
            return finder.found

    return CommentFinder


def _loop_spans(view: Any) -> List[Tuple[Tuple[int, int], Tuple[int, int]]]:
    """(start, end) of every loop body and comprehension (a superset of the loop frames)."""
    out = []
    for node in view.nodes(ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp):
        end = (getattr(node, "end_lineno", None) or (1 << 30), getattr(node, "end_col_offset", None) or 0)
        out.append(((node.lineno, node.col_offset), end))
    return out


def _local_target(parent: Optional[ast.AST], call: ast.Call) -> Optional[str]:
    """``name = <call>`` / ``name: T = <call>`` -> "name"."""
    if isinstance(parent, ast.Assign) and parent.value is call and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name):
        return parent.targets[0].id
    if isinstance(parent, ast.AnnAssign) and parent.value is call and isinstance(parent.target, ast.Name):
        return parent.target.id
    return None


def _escapes(
    fn: ast.AST, name: str, assign: Any, parents: Dict[int, ast.AST], consumers: Set[str], facts: Any, text: str = "", wrappers: Set[str] = frozenset()  # type: ignore[assignment]
) -> bool:
    """The rule surely stays silent on the local ``name`` of ``fn`` (``_local_verdict``):
    declared global or nonlocal, used other than as a method receiver, an iterable, a
    possible reader's argument or in a test (returned, yielded, aliased, in a tuple, a
    ``with`` item, passed to a call that cannot be a reader, ...), entered by hand, used by
    nested code, closed in a ``finally`` that follows the assignment, or closed as the very
    next statement (``_closed_next``)."""
    closes: List[ast.Call] = []
    for sub in ast.walk(fn):
        if isinstance(sub, (ast.Global, ast.Nonlocal)) and name in sub.names:
            return True
        if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)) and sub is not fn:
            if any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(sub)):
                return True
        if not (isinstance(sub, ast.Name) and sub.id == name and isinstance(sub.ctx, ast.Load)):
            continue
        parent = parents.get(id(sub))
        if isinstance(parent, ast.Attribute):
            call = parents.get(id(parent))
            if parent.attr == "close" and isinstance(call, ast.Call) and call.func is parent:
                if _in_following_finally(call, assign, parents, fn):
                    return True
                closes.append(call)
            elif parent.attr in ("__enter__", "__exit__", "detach"):
                return True
            continue
        if isinstance(parent, (ast.For, ast.AsyncFor, ast.comprehension)) and parent.iter is sub:
            continue
        if isinstance(parent, (ast.Compare, ast.UnaryOp, ast.If, ast.While, ast.Starred)):
            continue  # `if f is None`, `if not f`; `*f` may be a reader's argument
        if isinstance(parent, ast.keyword):
            call = parents.get(id(parent))
            if parent.arg in (None, "file") and isinstance(call, ast.Call) and _may_consume(call, consumers, facts):
                continue
            return True
        if isinstance(parent, ast.Call) and any(sub is a for a in parent.args) and _may_consume(parent, consumers, facts):
            continue
        if isinstance(parent, ast.Call) and any(sub is a for a in parent.args) and _may_consume(parent, wrappers, facts):
            if _wrapper_may_stay(fn, name, parent, parents):
                continue
        return True
    return bool(text) and _closed_next(assign, closes, parents, text)


def _wrapper_may_stay(fn: ast.AST, name: str, call: ast.Call, parents: Dict[int, ast.AST]) -> bool:
    """The ``ast`` side of ``_wrapper_stays_here``: the wrapper is iterated at once, or bound
    to a local used only as a method receiver or an iterable, in ``fn`` only."""
    holder = parents.get(id(call))
    if isinstance(holder, (ast.For, ast.AsyncFor, ast.comprehension)) and holder.iter is call:
        return True
    if not (isinstance(holder, ast.Assign) and holder.value is call and len(holder.targets) == 1 and isinstance(holder.targets[0], ast.Name)):
        return False
    wrapper = holder.targets[0].id
    if wrapper == name:
        return False
    stores = 0
    for sub in ast.walk(fn):
        if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)) and sub is not fn:
            if any(isinstance(n, ast.Name) and n.id == wrapper for n in ast.walk(sub)):
                return False
        if isinstance(sub, (ast.Global, ast.Nonlocal)) and wrapper in sub.names:
            return False
        if not (isinstance(sub, ast.Name) and sub.id == wrapper):
            continue
        if not isinstance(sub.ctx, ast.Load):
            stores += 1
            continue
        parent = parents.get(id(sub))
        if isinstance(parent, ast.Attribute) and parent.value is sub:
            continue
        if isinstance(parent, (ast.For, ast.AsyncFor, ast.comprehension)) and parent.iter is sub:
            continue
        return False
    return stores == 1


def _lambda_is_a_root(view: Any, node: ast.AST) -> bool:
    """A lambda around ``node`` is itself what ``_roles_of`` starts its walk from (the test
    of an ``if`` / ``while``, the iterable of a ``for``), so the walk does enter it."""
    pos = (node.lineno, node.col_offset)  # type: ignore[attr-defined]
    for stmt in view.nodes(ast.If, ast.While, ast.For, ast.AsyncFor):
        root = stmt.iter if isinstance(stmt, (ast.For, ast.AsyncFor)) else stmt.test  # type: ignore[attr-defined]
        if isinstance(root, ast.Lambda):
            end = (getattr(root, "end_lineno", None) or 1 << 30, getattr(root, "end_col_offset", None) or 0)
            if (root.lineno, root.col_offset) <= pos < end:
                return True
    return False


def _may_consume(call: ast.Call, consumers: Set[str], facts: Any) -> bool:
    """``call``'s callee may be a known reader (by its last name, or an import alias)."""
    pf = call.func
    plast = pf.attr if isinstance(pf, ast.Attribute) else pf.id if isinstance(pf, ast.Name) else None
    return plast in consumers or plast in facts.aliases


def _own_line(stmt: ast.AST, lines: List[str]) -> bool:
    """Only blanks before ``stmt`` on its first line (not after ``;`` or ``else:``)."""
    line = lines[stmt.lineno - 1] if 0 < stmt.lineno <= len(lines) else ""
    return not line[: stmt.col_offset].strip()


def _closed_next(assign: ast.AST, closes: List[ast.Call], parents: Dict[int, ast.AST], text: str) -> bool:
    """The ast twin of ``UnclosedFile._closed_next``: the assignment is the last
    statement of its line in a block, and the next statement of that block (or the first of
    the ``else:`` of the ``try`` whose body it ends) is ``name.close()`` alone on its line;
    no close runs in an ``except`` handler."""
    if not closes:
        return False
    holder = parents.get(id(assign))
    if holder is None:
        return False
    current: Optional[ast.AST] = closes[0]
    for close in closes:
        current = close
        while current is not None:
            if isinstance(current, ast.ExceptHandler):
                return False
            current = parents.get(id(current))
    lines = re.split(r"\r\n|\r|\n", text)  # ast's line breaks (not str.splitlines's \f, \x1c, ...)
    block = next((b for b in (getattr(holder, f, None) for f in ("body", "orelse", "finalbody")) if isinstance(b, list) and any(s is assign for s in b)), None)
    if block is None or not _own_line(assign, lines):
        return False
    index = next(i for i, s in enumerate(block) if s is assign)
    if index + 1 < len(block):
        nxt, rest = block[index + 1], block[index + 2 :]
    elif isinstance(holder, ast.Try) and holder.body is block and holder.orelse:
        nxt, rest = holder.orelse[0], holder.orelse[1:]
    else:
        return False
    if nxt.lineno <= (assign.end_lineno or assign.lineno) or not _own_line(nxt, lines):
        return False
    if rest and rest[0].lineno <= (nxt.end_lineno or nxt.lineno):
        return False  # `f.close(); more()`
    return isinstance(nxt, ast.Expr) and any(nxt.value is c for c in closes)


def _in_following_finally(node: ast.AST, assign: ast.AST, parents: Dict[int, ast.AST], fn: ast.AST) -> bool:
    """``node`` is in the ``finally:`` of a ``try`` whose body holds the assignment, or of a
    ``try`` that comes after the assignment (or after a statement that holds it) in the
    same block."""
    tries = []
    current: Optional[ast.AST] = node
    while current is not None and current is not fn:
        parent = parents.get(id(current))
        if isinstance(parent, ast.Try) and any(current is s for s in parent.finalbody):
            tries.append(parent)
        current = parent
    for t in tries:
        ancestor: Optional[ast.AST] = assign
        while ancestor is not None and ancestor is not fn:
            holder = parents.get(id(ancestor))
            if holder is t and any(ancestor is s for s in t.body):
                return True
            for field in ("body", "orelse", "finalbody"):
                block = getattr(holder, field, None)
                if isinstance(block, list) and any(ancestor is s for s in block) and any(t is s for s in block[block.index(ancestor) + 1 :]):
                    return True
            ancestor = holder
    return False
