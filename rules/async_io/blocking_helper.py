"""FFT106: a call to a project sync function that (transitively) blocks, inside ``async def``."""

from __future__ import annotations

import os
from typing import Optional

import libcst as cst

from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.rule import Invalid, Valid
from fftlint.types import Related, Span

from ._base import BlockingCallRule, callee_text, quiet_region
from .catalog import KIND_WORDS, chain_text
from .provider import NAME as BLOCKING
from .provider import OFFLOADED


class BlockingHelperCallInAsync(BlockingCallRule):
    """## What it does
    Checks for calls, inside an `async def` body, to a *synchronous function of your own
    project* that makes a blocking call itself or through other sync functions it calls --
    in the same module or in another one. The finding is reported at the call site in the
    coroutine, with the chain that leads to the blocking call:
    `handler -> load_config -> read_file -> open`.

    The project is every Python file under the directory of the config file (else under the
    linted paths; a lone file: its top-level package), summarised with the fast `ast`
    parser; imports, re-exports in `__init__.py`, `self.method()`, instances of project
    classes, constructors (`__init__`) and base classes are followed. The blocking calls
    are the FFT101-FFT105 catalog plus your `blocking-calls`. A sync function decorated with
    an offload wrapper (`asgiref.sync.sync_to_async`, `asyncer.asyncify`, or one of your
    `offload-wrappers`) is not a blocking helper. A chain does not go through a call under
    a lazy-initialisation guard on state of the process (`global _store` then
    `if _store is None: _store = make(); configure(uri)`, or a `cls._x` / class attribute
    set in the guard's body): that work runs on the first call only. A guard on a local or
    a parameter (`if store is None: store = get_store()` fills in a default on every
    call), on `self._x` (once per instance, and instances may be made per call), or a call
    after the guard still counts. Chains are searched breadth-first, at
    most 8 calls deep, and cycles are cut. A chain does not enter a project module named
    like a top-level standard-library module from another package (a vendored copy of the
    stdlib): the catalog is the model of the standard library.

    ## Why is this bad?
    Moving a blocking call into a helper does not stop it from blocking: the coroutine still
    runs the helper on the event loop's thread. Per-line linters miss these; they are the
    most common blocking calls left in async services.

    ## Example
    ```python
    # config.py
    def load_config(path):
        with open(path) as fh:
            return json.load(fh)

    # handlers.py
    from config import load_config

    async def handler(request):
        cfg = load_config("settings.json")
    ```

    ## Use instead
    ```python
    async def handler(request):
        cfg = await asyncio.to_thread(load_config, "settings.json")
    ```
    or make the helper async all the way down, or load the config once at start-up.

    ## Fix safety
    Unsafe: a whole-statement / assignment / return call becomes
    `await asyncio.to_thread(helper, *args, **kwargs)`. The helper then runs in a worker
    thread, concurrently with other tasks: if it touches shared state that is not
    thread-safe, that is a behaviour change.
    No fix for a call that creates or uses a thread-affine object (the catalog's
    `thread_affine` section: DB-API connections and cursors, `threading.local()` state,
    locks, event loops, GUI toolkits, `Thread.join()` / `Executor.shutdown()`), also when
    such an object is passed as an argument: in a worker thread it fails at run time
    (SQLite raises `ProgrammingError` for a connection made in another thread).
    """

    code = "FFT106"
    contexts = PRODUCTION_ONLY  # blocking in an async test slows the suite; no server stalls
    name = "blocking-helper-call-in-async"
    kind = "helper"
    needs_project = True
    message = "`{callee}` blocks the event loop inside `async def {func}`: {chain} ({what} call)"

    VALID = [
        "def helper(x):\n    return x + 1\nasync def f():\n    return helper(1)\n",
        "import asyncio\ndef load(p):\n    return open(p).read()\nasync def f(p):\n    return await asyncio.to_thread(load, p)\n",
        "def load(p):\n    return open(p).read()\ndef g(p):\n    return load(p)\n",
        "def load(p):\n    return open(p).read()\nasync def f(p):\n    def inner():\n        return load(p)\n    return inner\n",
        "async def load(p):\n    return 1\nasync def f(p):\n    return await load(p)\n",
        "import time\ndef a():\n    return b()\ndef b():\n    return a()\nasync def f():\n    return a()\n",
        "from asgiref.sync import sync_to_async\n@sync_to_async\ndef load(p):\n    return open(p).read()\nasync def f(p):\n    return await load(p)\n",
        "import time\nasync def f():\n    time.sleep(1)\n",
        "def load(open):\n    return open('x')\nasync def f():\n    return load(print)\n",
        "class Repo:\n    def load(self):\n        return 1\n    async def get(self):\n        return self.load()\n",
        Valid("import asyncio\ndef read(p):\n    return open(p).read()\nasync def f(p):\n    return await asyncio.to_thread(read, p)\n"),
        # non-blocking I/O by design: the helper drains a socket until it would block
        "import socket\ndef drain(sock: socket.socket):\n    try:\n        while True:\n            sock.recv(65536)\n    except BlockingIOError:\n        pass\n"
        "class Waker:\n    async def wait_woken(self, sock):\n        drain(sock)\n",
        # a non-blocking socket in the helper
        "import socket\ndef source_ip(target):\n    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n    probe.setblocking(False)\n    probe.connect((target, 1))\n    return probe.getsockname()[0]\nasync def f(t):\n    return source_ip(t)\n",
        # acquiring a lock the constructor has just made never waits
        "import threading\nclass Worker:\n    def __init__(self):\n        self._gate = threading.Lock()\n        self._gate.acquire()\nasync def spawn():\n    return Worker()\n",
        # a name look-up that makes no DNS query
        "import socket\ndef is_ip(text):\n    return socket.getaddrinfo(text, 0, 0, 0, 0, socket.AI_NUMERICHOST)\nasync def f(host):\n    return is_ip(host)\n",
        # a zero sleep in a helper: it yields the GIL and returns at once
        "import time\ndef let_others_run():\n    time.sleep(0)\nasync def f():\n    let_others_run()\n",
        # code that never runs
        "import typing\ndef helper(p):\n    if typing.TYPE_CHECKING:\n        open(p)\n    return p\nasync def f(p):\n    return helper(p)\n",
    ]
    INVALID = [
        Invalid(
            "import json\n\ndef load_config(path):\n    with open(path) as fh:\n        return json.load(fh)\n\n"
            "async def handler(request):\n    cfg = load_config('settings.json')\n    return cfg\n",
            line=8,
            column=11,
            message_contains="handler -> load_config -> open (file-system call)",
            fixed="import json\nimport asyncio\n\ndef load_config(path):\n    with open(path) as fh:\n        return json.load(fh)\n\n"
            "async def handler(request):\n    cfg = await asyncio.to_thread(load_config, 'settings.json')\n    return cfg\n",
            safety="unsafe",
        ),
        Invalid(
            "import requests\n\ndef a(u):\n    return b(u)\n\ndef b(u):\n    return c(u)\n\ndef c(u):\n    return requests.get(u)\n\n"
            "async def f(u):\n    a(u)\n",
            message_contains="f -> a -> b -> c -> requests.get (network call)",
        ),
        Invalid(
            "import subprocess\n\nclass Deployer:\n    def _run(self, cmd):\n        return subprocess.run(cmd, check=True)\n\n"
            "    async def deploy(self):\n        self._run(['make'])\n",
            message_contains="deploy -> Deployer._run -> subprocess.run",
        ),
        Invalid(
            "import sqlite3\n\nclass Repo:\n    def __init__(self, path):\n        self.conn = sqlite3.connect(path)\n\n"
            "    def count(self):\n        return self.conn.execute('select count(*) from t').fetchone()\n\n"
            "async def f():\n    repo = Repo('db.sqlite')\n    return repo.count()\n",
            count=2,
            message_contains="f -> Repo.__init__ -> sqlite3.connect",
            safety="unsafe",  # the connection is made in __init__: no to_thread fix for either call
        ),
        Invalid(  # a connection handed to the helper would be used in the worker thread
            "import sqlite3\n\ndef export(conn, path):\n    with open(path, 'w') as fh:\n        fh.write(str(conn.total_changes))\n\n"
            "async def f(p):\n    conn = sqlite3.connect(p)\n    export(conn, 'out.txt')\n",
            message_contains="f -> export -> open",
            safety="unsafe",
        ),
        Invalid(
            "class Log:\n    def __init__(self, path):\n        self.fh = open(path)\n    def count(self):\n        return sum(1 for _ in self.fh)\n"
            "async def f(log: Log):\n    return log.count()\n",
            message_contains="f -> Log.count -> for ... in open() (file-system call)",
        ),
        Invalid(
            "import functools, os\n@functools.lru_cache(maxsize=None)\ndef size_of(path):\n    return os.stat(path).st_size\nasync def f(p):\n    return size_of(p)\n",
            message_contains="f -> size_of -> os.stat",
        ),
        Invalid(
            "def a():\n    return b()\n\ndef b():\n    if a():\n        return input()\n\nasync def f():\n    a()\n",
            message_contains="f -> a -> b -> input",
        ),
        Invalid(
            "def helper():\n    return legacy_call()\n\nfrom legacy import legacy_call\n\nasync def f():\n    helper()\n",
            options={"blocking-calls": ["legacy.legacy_call"]},
            message_contains="f -> helper -> legacy.legacy_call (configured blocking call)",
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        if not self.ctx.stack.in_async_def:
            return
        state = self.state()
        if state.is_awaited(node) or state.classify(node) is not None:
            return  # direct catalog hits are FFT101-FFT105 / FFT107
        project = self.ctx.project
        if project is None or quiet_region(self.ctx):
            return
        found = None
        for target in project.targets(self.ctx.names.values(node.func)):
            if target.is_async or OFFLOADED in target.marks:
                continue
            found = project.explain(target, BLOCKING, self.ctx.module_name)
            if found is not None:
                break
        if found is None:
            return
        func = self.ctx.stack.function_name
        chain = [func, *found.names]
        related = [Related(step.what, self._path(step.path), Span(step.line, step.column + 1, step.line, step.column + 1)) for step in found.steps]
        self.report(
            node,
            callee=callee_text(self.ctx, node),
            func=func,
            chain=chain_text(chain),
            what=KIND_WORDS.get(found.effect.kind, found.effect.kind),
            fix=self.make_fix(node, found.names[-1] if found.names else None),  # type: ignore[arg-type]
            properties={"chain": chain, "kind": found.effect.kind},
            related=related,
        )

    def _path(self, path: str) -> str:
        """Steps in the linted file carry its path as the run names it."""
        if not path or os.path.abspath(path) == os.path.abspath(self.ctx.path):
            return self.ctx.path
        return path

    def make_fix(self, node: cst.Call, match: object) -> Optional["object"]:  # type: ignore[override]
        """``match``: the display name of the blocking call the chain ends with."""
        from ._base import to_thread_fix

        catalog = self.state().catalog
        called = catalog.normalize(match) if isinstance(match, str) else None
        return to_thread_fix(self.ctx, node, catalog, called)
