"""FFT304: a connection pool, client or executor created on every call and never closed."""

from __future__ import annotations

import ast
from typing import Any, Dict, Optional, Set

import libcst as cst

from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.rule import Invalid, Rule

from ._common import leak_facts, load_catalog, may_resolve, reachable, split_name, walk_nodes
from .listener_per_call import SETUP_DUNDERS, SETUP_WORDS, words


def _requires() -> tuple:
    return tuple(sorted({name.rsplit(".", 1)[-1] for name in load_catalog("resources.yaml")["resources"]}))


def runs_once(name: str) -> bool:
    """A function that runs once by its name (shared by the rule and its pre-check)."""
    if name.startswith("test"):
        return True  # a test function runs once per session
    return name in SETUP_DUNDERS or any(w in SETUP_WORDS for w in words(name))


def _used_as_value(view: Any) -> Set[int]:
    """ids of calls that ``_use_of`` can classify: ``X().attr``, ``n = X()``, ``n: T = X()``."""
    out: Set[int] = set()
    for node in view.nodes(ast.Attribute):
        if type(node.value) is ast.Call:
            out.add(id(node.value))
    for node in view.nodes(ast.Assign):
        if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            out.add(id(node.value))
    for node in view.nodes(ast.AnnAssign):
        if node.value is not None and isinstance(node.target, ast.Name):
            out.add(id(node.value))
    return out


class UnclosedResourcePerCall(Rule):
    """## What it does
    Checks for a pooled resource — an HTTP session or client (`requests.Session`,
    `httpx.Client`, `aiohttp.ClientSession`), a thread or process pool, a network database
    or Redis connection — created inside a function and then neither closed, used in a
    `with` block, returned, stored, nor handed to anything else: it is used and dropped.
    `requests.Session().get(url)` (nobody can ever close that session) is the shortest
    form. The constructors are a catalog (`rules/leaks/resources.yaml`); `sqlite3.connect`
    is not in it (opening a local file is cheap, and CPython closes a dropped connection).

    Functions that run once (`main`, `setup_*`, `__init__`, `test_*`, ...) are not reported.

    ## Why is this bad?
    Every call pays the full set-up cost — new TCP and TLS handshakes instead of a
    kept-alive connection, new worker threads or processes — and leaves the sockets,
    threads and file descriptors for the garbage collector (and `ResourceWarning`s, or
    aiohttp's "Unclosed client session"). Under load the process runs out of sockets or
    descriptors long before the collector catches up.

    ## Example
    ```python
    import requests

    def fetch_price(sku):
        session = requests.Session()
        return session.get(f"https://prices/{sku}").json()
    ```

    ## Use instead
    Share one long-lived client (module level, or on the object that uses it), or close it:
    ```python
    import requests

    SESSION = requests.Session()

    def fetch_price(sku):
        return SESSION.get(f"https://prices/{sku}").json()
    ```

    ## Fix safety
    No fix: whether to share the client or close it depends on the program.
    """

    code = "FFT304"
    contexts = PRODUCTION_ONLY  # tests and scripts are short-lived: nothing piles up
    name = "unclosed-resource-per-call"
    message = "`{call}` creates {what} on every call of `{func}` and never closes it: new connections or workers each call, left to the garbage collector"
    requires = _requires()

    VALID = [
        "import requests\nSESSION = requests.Session()\ndef f(u):\n    return SESSION.get(u)\n",
        "import requests\ndef f(u):\n    with requests.Session() as s:\n        return s.get(u)\n",
        "import requests\ndef f(u):\n    s = requests.Session()\n    try:\n        return s.get(u)\n    finally:\n        s.close()\n",
        "import requests\ndef make_session():\n    s = requests.Session()\n    s.headers['x'] = 'y'\n    return s\n",
        "import requests\nclass C:\n    def connect(self):\n        self.session = requests.Session()\n",
        "import requests\ndef f(u):\n    s = requests.Session()\n    return Api(s).get(u)\n",
        "import requests\ndef main():\n    s = requests.Session()\n    s.get('http://x')\n",
        "import requests\ndef test_health():\n    assert requests.Session().get('http://x').ok\n",
        "from concurrent.futures import ThreadPoolExecutor\ndef f(jobs):\n    pool = ThreadPoolExecutor(4)\n    futs = [pool.submit(j) for j in jobs]\n    pool.shutdown(wait=True)\n    return futs\n",
        "import psycopg2, contextlib\ndef f(p):\n    with contextlib.closing(psycopg2.connect(p)) as db:\n        return db.execute('select 1').fetchall()\n",
        "import aiohttp\nasync def f(u):\n    async with aiohttp.ClientSession() as s:\n        async with s.get(u) as r:\n            return await r.text()\n",
        # a closure keeps it: ownership moves with the function
        "import requests\ndef f():\n    s = requests.Session()\n    return lambda u: s.get(u)\n",
        # a local class or function of the same name
        "def f():\n    class Session:\n        def get(self, u):\n            return u\n    s = Session()\n    return s.get(1)\n",
    ]
    INVALID = [
        Invalid(
            "import requests\n\ndef fetch_price(sku):\n    session = requests.Session()\n    return session.get(sku).json()\n",
            line=4,
            column=15,
            message_contains="`requests.Session()` creates an HTTP session",
        ),
        Invalid("import requests\ndef f(u):\n    return requests.Session().get(u)\n", message_contains="every call of `f`"),
        Invalid("from concurrent.futures import ThreadPoolExecutor\ndef f(jobs):\n    return list(ThreadPoolExecutor(8).map(run, jobs))\n"),
        Invalid("import psycopg2\nclass Repo:\n    def count(self):\n        db = psycopg2.connect(self.dsn)\n        return db.execute('select count(*) from t').fetchone()[0]\n"),
        Invalid("import aiohttp\nasync def f(u):\n    s = aiohttp.ClientSession()\n    r = await s.get(u)\n    return await r.text()\n"),
        Invalid("import httpx\ndef f(urls):\n    for u in urls:\n        c = httpx.Client()\n        c.get(u)\n"),
    ]

    @classmethod
    def could_match(cls, view: Any) -> bool:
        """Stage 2 of the pre-filter: a call whose callee can resolve to a catalog
        constructor, in the body of a ``def`` that does not run once by its name, used as
        ``X().attr`` or assigned to a single name (``_use_of``); ``_dropped`` is not checked."""
        facts = leak_facts(view)
        resources = reachable([split_name(name) for name in load_catalog("resources.yaml")["resources"]], facts)
        if not resources:
            return False
        lasts = {t[-1] for t in resources}
        used: Optional[Set[int]] = None
        for call in view.nodes(ast.Call):
            func = call.func
            if isinstance(func, ast.Attribute):
                last = func.attr
            elif isinstance(func, ast.Name):
                last = func.id
            else:
                continue
            if last not in lasts and not (isinstance(func, ast.Name) and last in facts.aliases):
                continue
            if not any(may_resolve(func, t, facts) for t in resources):
                continue
            fn = facts.innermost_function(call)
            if fn is None or runs_once(fn.name):  # type: ignore[attr-defined]
                continue
            if used is None:
                used = _used_as_value(view)
            if id(call) in used:
                return True
        return False

    def visit_Call(self, node: cst.Call) -> None:
        frame = self.ctx.stack.function_frame
        if frame is None or not isinstance(frame.node, cst.FunctionDef):
            return
        resolved = self.ctx.names.resolve(node.func)
        entry: Optional[Dict[str, Any]] = load_catalog("resources.yaml")["resources"].get(resolved or "")
        if entry is None:
            return
        func = frame.node
        if self._runs_once(func):
            return
        parent = self._use_of(node, func)
        if parent is None:
            return
        kind, name = parent
        if kind == "name" and not self._dropped(name, func, entry):
            return
        self.report(node, call=f"{resolved}()", what=entry["what"], func=func.name.value)

    @staticmethod
    def _runs_once(func: cst.FunctionDef) -> bool:
        return runs_once(func.name.value)

    def _use_of(self, node: cst.Call, func: cst.FunctionDef) -> Optional[tuple]:
        """How the new object is used: ("chain", None) for `X().method(...)`,
        ("name", n) for `n = X()`, None for anything that keeps or hands it on."""
        for sub in walk_nodes(func.body, into_scopes=False):
            if isinstance(sub, cst.Attribute) and sub.value is node:
                return ("chain", None) if sub.attr.value not in ("__enter__",) else None
            if isinstance(sub, cst.Assign) and sub.value is node:
                targets = [t.target for t in sub.targets]
                if len(targets) == 1 and isinstance(targets[0], cst.Name):
                    return ("name", targets[0].value)
                return None
            if isinstance(sub, cst.AnnAssign) and sub.value is node and isinstance(sub.target, cst.Name):
                return ("name", sub.target.value)
        return None

    def _dropped(self, name: str, func: cst.FunctionDef, entry: Dict[str, Any]) -> bool:
        """The local is only ever used as `name.method(...)` / `name.attr`, never closed."""
        close = set(entry.get("close", ()))
        uses = 0
        for sub in walk_nodes(func.body, into_scopes=True):
            if isinstance(sub, (cst.Global, cst.Nonlocal)):
                if any(n.name.value == name for n in sub.names):
                    return False
            if isinstance(sub, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                if any(isinstance(n, cst.Name) and n.value == name for n in walk_nodes(sub)):
                    return False  # a closure (or nested code) keeps it
        for sub in walk_nodes(func.body, into_scopes=False):
            if isinstance(sub, cst.Attribute) and isinstance(sub.value, cst.Name) and sub.value.value == name:
                if sub.attr.value in close or sub.attr.value in ("__enter__", "__aenter__", "__exit__"):
                    return False
                uses += 1
        names = sum(1 for sub in walk_nodes(func.body, into_scopes=False) if isinstance(sub, cst.Name) and sub.value == name)
        # every mention is the assignment target (1) or the receiver of an attribute
        return names == 1 + uses
