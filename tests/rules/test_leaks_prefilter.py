"""The FFT3xx ``could_match`` pre-checks (stage 2 of the pre-filter) are sound and useful.

Sound: for every snippet where a rule reports (run without any pre-filter), its
``could_match`` says True, including import aliases, ``self`` attributes, instances, the
module's own definitions and rule options. Useful: on look-alikes that cannot report, it
says False. Then a filtered and an unfiltered run must agree on the leak fixtures and on
a sample of the stdlib.
"""

from __future__ import annotations

import ast
import os
import sysconfig
import zlib
from typing import Any, Dict, List, Optional, Type

import pytest

from fftlint.config.options import build_options
from fftlint.engine.prefilter import AstView, applicable
from fftlint.engine.run import lint_source
from fftlint.engine.source import read
from fftlint.rule import Rule
from fftlint.rules.leaks.cache_on_method import CacheOnMethod
from fftlint.rules.leaks.dangling_task import DanglingTask
from fftlint.rules.leaks.listener_per_call import ListenerPerCall
from fftlint.rules.leaks.finalizer_keeps_object import FinalizerKeepsObject
from fftlint.rules.leaks.hook_chain_per_call import HookChainPerCall
from fftlint.rules.leaks.timer_without_cancel import TimerWithoutCancel
from fftlint.rules.leaks.unclosed_file import UnclosedFile
from fftlint.rules.leaks.unclosed_resource import UnclosedResourcePerCall
from fftlint.testing import lint_example

RULES: List[Type[Rule]] = [ListenerPerCall, DanglingTask, CacheOnMethod, UnclosedResourcePerCall, UnclosedFile, TimerWithoutCancel, HookChainPerCall, FinalizerKeepsObject]


def _options(rule: Type[Rule], options: Optional[Dict[str, Any]]) -> Dict[Any, Any]:
    if not options or rule.Options is None:
        return {}
    return build_options([rule], {rule.options_key: options}, "<test>")


def could(rule: Type[Rule], code: str, options: Optional[Dict[str, Any]] = None, path: str = "example.py") -> bool:
    view = AstView(ast.parse(code), code, path, _options(rule, options))
    return bool(rule.could_match(view))


def reports(rule: Type[Rule], code: str, options: Optional[Dict[str, Any]] = None, path: str = "example.py") -> int:
    result = lint_example(rule, code, path, options or {}, prefilter=False)
    return sum(1 for d in result.diagnostics if d.code == rule.code)


def _case(rule, code, options=None, path="example.py"):
    return pytest.param(rule, code, options, path, id=f"{rule.code}-{zlib.crc32((code + path + repr(options)).encode()):08x}")


# -- snippets the rules report: could_match must say True ------------------------------
REPORTED = [
    # FFT301
    _case(ListenerPerCall, "import logging\ndef get_logger(name):\n    lg = logging.getLogger(name)\n    lg.addHandler(logging.FileHandler('a'))\n    return lg\n"),
    _case(ListenerPerCall, "import atexit as ae\ndef save(doc):\n    ae.register(doc.flush)\n"),
    _case(ListenerPerCall, "from atexit import register as on_exit\ndef handle(req):\n    on_exit(flush)\n"),
    _case(ListenerPerCall, "from sys import addaudithook as hook_in\ndef sandbox(code):\n    hook_in(audit)\n    exec(code)\n"),
    _case(ListenerPerCall, "import sys as system\nclass Box:\n    def run(self, code):\n        system.addaudithook(audit)\n"),
    # a nested handler inside a set-up function is not set-up code itself
    _case(ListenerPerCall, "import atexit\ndef setup_app():\n    def on_request(r):\n        atexit.register(r.close)\n    return on_request\n"),
    # a default value of a nested def runs in the enclosing function, not in the nested one
    _case(ListenerPerCall, "import atexit\ndef handle(req):\n    def setup_x(cb=atexit.register(flush)):\n        pass\n    return setup_x\n"),
    # this module *is* `atexit`: its own `register` resolves to atexit.register
    _case(ListenerPerCall, "def register(f):\n    return f\ndef handle(req):\n    register(flush)\n", None, "atexit.py"),
    _case(ListenerPerCall, "import blinker as bl\nupdated = bl.signal('updated')\nclass View:\n    def get(self, request):\n        updated.connect(lambda s: None, weak=False)\n"),
    _case(ListenerPerCall, "from pyee import EventEmitter as Bus\nbus = Bus()\nasync def on_message(msg):\n    bus.on('ack', lambda a: print(a))\n"),
    _case(ListenerPerCall, "from django.db.models import signals as sg\ndef checkout(request):\n    def notify(sender, **kw):\n        send(request.user)\n    sg.post_save.connect(notify, weak=False)\n"),
    _case(ListenerPerCall, "from PySide6 import QtWidgets\nclass W(QtWidgets.QWidget):\n    def on_reload(self):\n        self.ok.clicked.connect(self.accept)\n"),
    _case(ListenerPerCall, "import atexit\ndef prepare_workdir(path):\n    atexit.register(flush_all)\n", {"setup-functions": ["boot_*"]}),
    # the release is another catalog entry's (a filter is not undone by `removeHandler`)
    _case(ListenerPerCall, "import warnings\ndef load(p, log, h):\n    warnings.simplefilter('ignore')\n    log.removeHandler(h)\n"),
    # released in a class method, but the call can be another entry's too (an alias)
    _case(ListenerPerCall, "import atexit, warnings\nreg = atexit.register\nclass C:\n    def run(self):\n        reg(self.close)\n    def stop(self):\n        warnings.catch_warnings()\n"),
    # FFT302
    _case(DanglingTask, "import asyncio\nasync def handle(r):\n    asyncio.create_task(send(r))\n"),
    _case(DanglingTask, "from asyncio import ensure_future as spawn\nasync def f():\n    spawn(work())\n"),
    _case(DanglingTask, "import asyncio as aio\nasync def f():\n    aio.get_running_loop().create_task(work())\n"),
    _case(DanglingTask, "import asyncio\nasync def f(ev: asyncio.AbstractEventLoop):\n    ev.create_task(work())\n"),
    _case(DanglingTask, "import asyncio\nclass C:\n    def start(self):\n        self._loop.create_task(self.run())\n"),
    _case(DanglingTask, "import asyncio\nasync def f():\n    asyncio.create_task(work()).add_done_callback(report)\n"),
    _case(DanglingTask, "import asyncio\nasyncio.ensure_future(main())\n"),
    _case(DanglingTask, "import asyncio\nclass S:\n    def __init__(self):\n        self.runner = asyncio.new_event_loop()\n    def go(self):\n        self.runner.create_task(job())\n"),
    _case(DanglingTask, "import asyncio as aio\nasync def f():\n    t = aio.create_task(work())\n    t.add_done_callback(cb)\n"),
    _case(DanglingTask, "import asyncio\nasync def f(xs):\n    for x in xs:\n        t: asyncio.Task = asyncio.ensure_future(work(x))\n    await t\n"),
    _case(DanglingTask, "from asyncio import create_task as spawn\nasync def f(c):\n    (spawn(a()), spawn(b())) if c else [spawn(d()) for _ in c]\n"),
    _case(DanglingTask, "import asyncio\nasync def f():\n    with asyncio.create_task(a()):\n        pass\n"),
    _case(DanglingTask, "import asyncio\nimport logging\nasync def f():\n    logging.info('%s', asyncio.create_task(a()))\n"),
    _case(DanglingTask, "import asyncio\ndef f(loop):\n    loop.call_soon(lambda: loop.create_task(a()))\n"),
    _case(DanglingTask, "import asyncio\nasync def f(ok):\n    if ok: asyncio.create_task(a())\n"),
    # FFT303
    _case(CacheOnMethod, "from functools import lru_cache as memo\nclass R:\n    @memo(maxsize=None)\n    def total(self):\n        return 1\n"),
    _case(CacheOnMethod, "import functools, sys\nclass R:\n    if sys.version_info >= (3, 9):\n        @functools.cache\n        def total(self):\n            return 1\n"),
    _case(CacheOnMethod, "import functools\nclass R:\n    @functools.lru_cache\n    def total(self):\n        return 1\n", {"report-bounded-caches": True}),
    _case(CacheOnMethod, "import functools\nclass R:\n    @functools.lru_cache(None)\n    def total(self, x):\n        return x\n"),
    _case(CacheOnMethod, "import functools\nclass R:\n    @property\n    @functools.lru_cache(maxsize=None, typed=True)\n    def total(self):\n        return 1\n"),
    # bounded by default; metaclass methods; cachetools
    _case(CacheOnMethod, "import functools\nclass R:\n    @functools.lru_cache\n    def total(self):\n        return 1\n"),
    _case(CacheOnMethod, "import functools\nclass M(type):\n    @functools.cache\n    def fields(cls):\n        return 1\n"),
    _case(CacheOnMethod, "from functools import cache as memo\nclass Base(type):\n    pass\nclass M(Base):\n    @memo\n    def fields(mcls):\n        return 1\n"),
    _case(CacheOnMethod, "import cachetools as ct\nclass R:\n    @ct.cached(ct.LRUCache(10))\n    def total(self, x):\n        return x\n"),
    _case(CacheOnMethod, "from cachetools import cachedmethod as cm\nfrom cachetools.keys import hashkey\nC = {}\nclass R:\n    @cm(lambda self: C, key=hashkey)\n    def total(self, x):\n        return x\n"),
    _case(CacheOnMethod, "import functools\nclass C:\n    @functools.cache\n    def lookups(cls):\n        return 1\n"),
    _case(CacheOnMethod, "import functools\nclass C:\n    @functools.cache\n    def models(self):\n        return 1\n    def reset(self):\n        self.models.cache_clear()\n"),
    # this module *is* functools: its own `cache` is functools.cache
    _case(CacheOnMethod, "def cache(f):\n    return f\nclass R:\n    @cache\n    def total(self):\n        return 1\n", None, "functools.py"),
    # FFT305
    _case(UnclosedFile, "def handle(req):\n    fh = open(req.path)\n    return fh.read()\n"),
    _case(UnclosedFile, "import io as x\ndef handle(req):\n    fh = x.open(req.path)\n    return fh.read()\n"),
    _case(UnclosedFile, "import json\ndef main(ps):\n    for p in ps:\n        json.load(open(p))\n"),
    _case(UnclosedFile, "import json\nfor p in ps:\n    json.load(open(p))\n"),
    _case(UnclosedFile, "from socket import create_connection as cc\nclass C:\n    def ping(self):\n        s = cc(('h', 1))\n        s.send(b'x')\n"),
    _case(UnclosedFile, "from pathlib import Path\ndef head(p: Path):\n    fh = p.open()\n    return fh.readline()\n"),
    # FFT306
    _case(TimerWithoutCancel, "from threading import Timer as T\ndef handle(r):\n    T(300, f).start()\n"),
    _case(TimerWithoutCancel, "import asyncio\nclass B:\n    def beat(self):\n        self._loop.call_later(3, self.beat)\n"),
    _case(TimerWithoutCancel, "import asyncio as aio\nclass P:\n    def __init__(self):\n        self._t = aio.ensure_future(self._poll())\n    async def _poll(self):\n        while 1:\n            await aio.sleep(1)\n"),
    _case(TimerWithoutCancel, "import asyncio, sys\nclass B:\n    if sys.platform:\n        def beat(self):\n            self._loop.call_later(3, self.beat)\n"),
    _case(UnclosedFile, "def f(p):\n    fh = open(p)\n    try:\n        pass\n    finally:\n        print(fh)\n    return fh.read()\n"),
    _case(UnclosedFile, "import csv\ndef rows(p):\n    r = csv.reader(open(p))\n    return r\n"),
    # ... but not a close on the same line, one that may not run, or one before the open
    _case(UnclosedFile, "def probe(p):\n    f = open(p); f.close()\n    return True\n"),
    _case(UnclosedFile, "def probe(p):\n    f = open(p)\n    f.close(); g()\n"),
    _case(UnclosedFile, "def probe(p):\n    try:\n        f = open(p)\n    except OSError:\n        return False\n    else: f.close()\n"),
    _case(UnclosedFile, "def probe(p):\n    f = open(p)\n    if p:\n        f.close()\n"),
    _case(UnclosedFile, "def probe(p, f):\n    f.close()\n    f = open(p)\n    f.read()\n"),
    _case(UnclosedFile, "def probe(p):\n    f = open(p)\n    f.read()\n    f.close()\n"),
    _case(UnclosedFile, "import json\ndef probe(p):\n    f = open(p)\n    if f is None or not f:\n        return\n    for line in f:\n        print(line, file=f)\n    json.load(f)\n"),
    # FFT307, FFT308
    _case(HookChainPerCall, "import sys as system\ndef run(job):\n    system.excepthook = wrap(system.excepthook)\n"),
    _case(HookChainPerCall, "from signal import signal as sig, getsignal\ndef run(job):\n    old = getsignal(2)\n    sig(2, lambda *a: old(*a))\n"),
    _case(HookChainPerCall, "import signal\ndef run():\n    old = signal.getsignal(2)\n    def h(*a):\n        old(*a)\n    signal.signal(2, h)\n"),
    _case(HookChainPerCall, "import sys\ndef run(x):\n    saved = sys.displayhook\n    sys.displayhook = x\n    other.displayhook = saved\n"),
    _case(HookChainPerCall, "import signal\ndef run(t, other):\n    def h(*a):\n        pass\n    old = signal.signal(14, h)\n    other.signal(14, old)\n"),
    _case(FinalizerKeepsObject, "import weakref as w\nclass C:\n    def __init__(self):\n        w.finalize(self, self.close)\n"),
    # FFT304
    _case(UnclosedResourcePerCall, "import requests as rq\ndef f(u):\n    return rq.Session().get(u)\n"),
    _case(UnclosedResourcePerCall, "from concurrent.futures import ThreadPoolExecutor as TPE\ndef f(jobs):\n    return list(TPE(8).map(run, jobs))\n"),
    _case(UnclosedResourcePerCall, "import concurrent.futures\ndef f(jobs):\n    ex = concurrent.futures.ThreadPoolExecutor()\n    ex.submit(jobs)\n"),
    _case(UnclosedResourcePerCall, "import httpx\nclass Api:\n    def fetch(self, u):\n        c: httpx.Client = httpx.Client()\n        return c.get(u)\n"),
    _case(UnclosedResourcePerCall, "import requests\ndef setup_x():\n    def fetch(u):\n        return requests.Session().get(u)\n    return fetch\n"),
]


@pytest.mark.parametrize("rule, code, options, path", REPORTED)
def test_could_match_whenever_the_rule_reports(rule, code, options, path):
    assert reports(rule, code, options, path), f"{rule.code} should report on:\n{code}"
    assert could(rule, code, options, path), f"{rule.code}.could_match said False where it reports:\n{code}"


# -- look-alikes that cannot report: could_match should say False ---------------------
SILENT = [
    # FFT301: other `register`s, module level, set-up functions, removals elsewhere
    _case(ListenerPerCall, "import codecs\ndef f(search):\n    codecs.register(search)\n"),
    _case(ListenerPerCall, "import abc\nclass A(abc.ABC):\n    pass\ndef f():\n    A.register(int)\n"),
    _case(ListenerPerCall, "class Registry:\n    def register(self, x):\n        pass\n    def add(self, x):\n        self.register(x)\n"),
    _case(ListenerPerCall, "import atexit\natexit.register(print)\n"),
    _case(ListenerPerCall, "import atexit\nclass C:\n    atexit.register(print)\n"),
    _case(ListenerPerCall, "import atexit\ndef setup_logging():\n    atexit.register(flush)\n"),
    _case(ListenerPerCall, "import atexit\ndef test_exit():\n    atexit.register(flush)\n"),
    _case(ListenerPerCall, "import atexit\nimport pytest\n@pytest.fixture\ndef cleanup():\n    atexit.register(flush)\n"),
    _case(ListenerPerCall, "import atexit\ndef prepare_workdir(path):\n    atexit.register(flush_all)\n", {"setup-functions": ["prepare_*"]}),
    _case(ListenerPerCall, "import logging\nlog = logging.getLogger()\nlog.addHandler(logging.StreamHandler())\n"),
    _case(ListenerPerCall, "import socket\ndef view(request, sock):\n    sock.connect(('localhost', 80))\n"),
    _case(ListenerPerCall, "def register(f):\n    return f\ndef handle(req):\n    register(flush)\n"),
    # released where it is made: a filter inside `catch_warnings()`, a handler removed in
    # the same class (the rule's `unregister` names, in the function or its outer def/class)
    _case(ListenerPerCall, "import warnings\ndef load(p):\n    with warnings.catch_warnings():\n        warnings.simplefilter('ignore')\n        return p.read()\n"),
    _case(ListenerPerCall, "import logging\nclass T:\n    def setUp(self):\n        self.log.addHandler(self.h)\n    def tearDown(self):\n        self.log.removeHandler(self.h)\n    def run_one(self):\n        self.log.addHandler(self.h)\n"),
    # FFT302: the task is kept, or the receiver is no event loop
    _case(DanglingTask, "import asyncio\nasync def f():\n    task = asyncio.create_task(work())\n    await task\n"),
    _case(DanglingTask, "import asyncio\nasync def f():\n    await asyncio.create_task(work())\n"),
    _case(DanglingTask, "async def f(scheduler):\n    scheduler.create_task(job)\n"),
    _case(DanglingTask, "import asyncio\nasync def f(tasks):\n    tasks.append(asyncio.create_task(work()))\n"),
    _case(DanglingTask, "import asyncio\nasync def f():\n    t = asyncio.create_task(work())\n    t.add_done_callback(cb)\n    return t\n"),
    _case(DanglingTask, "import asyncio\nasync def f():\n    x = str(asyncio.sleep(1))\n    t = asyncio.create_task(work())\n    await asyncio.wait([t])\n"),
    # FFT303: not a method, a bounded cache, a class-like first parameter, cleared caches
    _case(CacheOnMethod, "from functools import lru_cache\n@lru_cache(maxsize=None)\ndef f(x):\n    return x\n"),
    _case(CacheOnMethod, "import functools\nclass C:\n    @functools.lru_cache(maxsize=256)\n    def f(self, x):\n        return x\n", {"report-bounded-caches": False}),
    _case(CacheOnMethod, "import functools\nclass C:\n    @functools.lru_cache\n    def f(self, x):\n        return x\n", {"report-bounded-caches": False}),
    _case(CacheOnMethod, "from functools import cached_property\nclass C:\n    @cached_property\n    def total(self):\n        return 1\n"),
    _case(CacheOnMethod, "import functools\nclass C:\n    def f(self):\n        @functools.cache\n        def g(x):\n            return x\n        return g\n"),
    _case(CacheOnMethod, "import functools\nclass C:\n    @functools.cache\n    def models(self):\n        return 1\n    def reset(self):\n        self.models.cache_clear()\n", {"report-bounded-caches": False}),
    _case(CacheOnMethod, "# cache\nclass C:\n    @property\n    def f(self):\n        return 1\n"),
    # FFT305: run once, no opener, a local `open`
    _case(UnclosedFile, "def main(p):\n    return open(p).read()\n"),
    _case(UnclosedFile, "X = open('x').read()\n"),
    _case(UnclosedFile, "import webbrowser\ndef f(u):\n    webbrowser.open(u)\n"),
    _case(UnclosedFile, "def open(p):\n    return p\n"),
    # FFT306: module level, no timer at all
    _case(TimerWithoutCancel, "import threading\nthreading.Timer(60, f).start()\n"),
    _case(TimerWithoutCancel, "import threading\ndef f(lock):\n    lock.acquire()\n"),
    _case(UnclosedFile, "def f(p):\n    fh = open(p)\n    try:\n        return fh.read()\n    finally:\n        fh.close()\n"),
    _case(UnclosedFile, "def f(p):\n    return open(p)\n"),
    _case(UnclosedFile, "def f(p, reg):\n    fh = open(p)\n    reg.add(fh)\n"),
    # FFT305: the rule's own silencers that the ast settles: a use that is not a method
    # call, an iteration, a reader's argument or a test hands the file on (a tuple returned,
    # a wrapper's argument); a global; closed as the very next statement
    _case(UnclosedFile, "def f(p):\n    fh = open(p)\n    return fh, p\n"),
    _case(UnclosedFile, "import io\ndef f(p):\n    fh = open(p, 'rb')\n    t = io.TextIOWrapper(fh)\n    return t\n"),
    _case(UnclosedFile, "def log(p):\n    global fp\n    fp = open(p, 'a')\n"),
    _case(UnclosedFile, "def probe(p):\n    try:\n        f = open(p)\n    except OSError:\n        return False\n    else:\n        f.close()\n    return True\n"),
    _case(UnclosedFile, "def probe(p):\n    f = open(p)\n    f.close()\n    return True\n"),
    _case(UnclosedFile, "def f(p):\n    fh = open(p)\n    fh.__enter__()\n"),
    _case(TimerWithoutCancel, "import asyncio\nclass C:\n    def ping(self):\n        self._loop.call_later(5, self.check)\n"),
    # FFT307, FFT308: module level, no hook, no watcher
    _case(HookChainPerCall, "import sys\nsys.excepthook = wrap(sys.excepthook)\n"),
    _case(HookChainPerCall, "import signal\ndef f(p):\n    p.signal()\n"),
    # the hook is put back, or tested; the handler is no fresh one (a module-level def)
    _case(HookChainPerCall, "import sys\ndef run(x):\n    saved = sys.displayhook\n    sys.displayhook = x\n    try:\n        pass\n    finally:\n        sys.displayhook = saved\n"),
    _case(HookChainPerCall, "import sys\ndef run(x):\n    if sys.excepthook is sys.__excepthook__:\n        sys.excepthook = x\n    print(sys.excepthook)\n"),
    _case(HookChainPerCall, "import signal\ndef handler(*a):\n    pass\ndef run():\n    old = signal.getsignal(2)\n    signal.signal(2, handler)\n"),
    _case(HookChainPerCall, "import signal\ndef run(t):\n    def h(*a):\n        pass\n    old = signal.signal(14, h)\n    try:\n        t()\n    finally:\n        signal.signal(14, old)\n"),
    _case(FinalizerKeepsObject, "import weakref\nc = C()\nweakref.finalize(c, c.close)\n"),
    _case(FinalizerKeepsObject, "import weakref\ndef f(o):\n    return weakref.ref(o)\n"),
    # FFT304: not a pooled resource, module level, set-up code, `with`
    _case(UnclosedResourcePerCall, "import requests\ndef f(u):\n    return requests.get(u)\n"),
    _case(UnclosedResourcePerCall, "import requests\nSESSION = requests.Session()\ndef f(u):\n    return SESSION.get(u)\n"),
    _case(UnclosedResourcePerCall, "import requests\ndef main():\n    requests.Session().get('http://x')\n"),
    _case(UnclosedResourcePerCall, "import requests\ndef f(u):\n    with requests.Session() as s:\n        return s.get(u)\n"),
    _case(UnclosedResourcePerCall, "import requests\ndef f(u):\n    return Api(requests.Session())\n"),
]


@pytest.mark.parametrize("rule, code, options, path", SILENT)
def test_could_match_rejects_look_alikes(rule, code, options, path):
    assert not reports(rule, code, options, path), f"{rule.code} unexpectedly reports on:\n{code}"
    assert not could(rule, code, options, path), f"{rule.code}.could_match should rule out:\n{code}"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_every_invalid_example_passes_the_check(rule):
    for ex in rule.INVALID:
        assert could(rule, ex.code, ex.options, ex.path), f"{rule.code}: could_match False on its own example:\n{ex.code}"


# -- filtered == unfiltered over the fixtures and a sample of the stdlib ----------------
FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "leaks")
STDLIB = sysconfig.get_paths()["stdlib"]
STDLIB_SAMPLE = (
    "logging/config.py", "logging/handlers.py", "asyncio/base_events.py", "asyncio/tasks.py",
    "asyncio/streams.py", "asyncio/runners.py", "concurrent/futures/process.py", "multiprocessing/util.py",
    "multiprocessing/pool.py", "functools.py", "ipaddress.py", "tracemalloc.py", "unittest/async_case.py",
    "importlib/metadata/__init__.py", "test/test_atexit.py", "codecs.py", "abc.py", "selectors.py",
    "zipfile/_path.py", "idlelib/run.py", "platform.py", "urllib/request.py",
)


def _fixture_files() -> List[str]:
    out = []
    for dirpath, _, names in os.walk(FIXTURES):
        out.extend(os.path.join(dirpath, n) for n in names if n.endswith(".py"))
    return sorted(out)


def _stdlib_files() -> List[str]:
    return [p for p in (os.path.join(STDLIB, rel) for rel in STDLIB_SAMPLE) if os.path.isfile(p)]


def _comparable(result):
    return [(d.code, d.span.line, d.span.column, d.message) for d in result.diagnostics]


def test_filtered_equals_unfiltered_on_fixtures_and_stdlib_sample():
    files = _fixture_files() + _stdlib_files()
    assert len(_fixture_files()) >= 3, "the leak fixtures are missing"
    assert len(_stdlib_files()) >= 12, "the stdlib sample is missing"
    dropped = {r.code: 0 for r in RULES}
    for path in files:
        text = read(path).text
        filtered = lint_source(text, path, RULES)
        unfiltered = lint_source(text, path, RULES, prefilter=False)
        assert _comparable(filtered) == _comparable(unfiltered), path
        view = AstView(ast.parse(text), text, path)
        for rule in applicable(RULES, text):
            if not rule.could_match(view):
                dropped[rule.code] += 1
    # the checks do narrow: each rule is ruled out on some file whose text passed stage 1
    assert all(dropped.values()), dropped


# -- combinations: every spelling of an import, in every kind of enclosing code ---------
# ({x} is the spelling the import gives the module or the callee)
SPELLINGS = {
    ListenerPerCall: [
        ("import atexit", "atexit.register(flush)"),
        ("import atexit as ae", "ae.register(flush)"),
        ("from atexit import register as on_exit", "on_exit(flush)"),
        ("import sys", "sys.addaudithook(audit)"),
        ("import logging", "logging.getLogger('x').addHandler(logging.StreamHandler())"),
        ("from django.db.models.signals import post_save as ps", "ps.connect(lambda **kw: None, weak=False)"),
        ("from PyQt6 import QtCore", "self.ok.clicked.connect(self.accept)"),
    ],
    DanglingTask: [
        ("import asyncio", "asyncio.ensure_future(work())"),
        ("import asyncio as aio", "aio.create_task(work())"),
        ("from asyncio import create_task as spawn", "spawn(work())"),
        ("import asyncio", "asyncio.get_event_loop().create_task(work())"),
        ("import asyncio", "loop.create_task(work())"),
        ("import asyncio", "self._loop.create_task(work()).add_done_callback(print)"),
    ],
    UnclosedResourcePerCall: [
        ("import requests", "requests.Session().get(u)"),
        ("import requests as rq", "s = rq.Session()\n    s.get(u)"),
        ("from multiprocessing.pool import ThreadPool as TP", "TP(4).map(f, u)"),
        ("import redis", "r: redis.Redis = redis.Redis()\n    r.get(u)"),
    ],
}
CONTEXTS = [
    "{imp}\n{stmt}\n",
    "{imp}\ndef handle(self, u):\n    {stmt}\n",
    "{imp}\nasync def handle(self, u):\n    {stmt}\n",
    "{imp}\ndef setup_app(self, u):\n    {stmt}\n",
    "{imp}\nclass C:\n    def refresh(self, u):\n        if u:\n            {stmt}\n",
    "{imp}\nclass C:\n    {stmt}\n",
    "{imp}\ndef configure(self, u):\n    def inner(self, u):\n        {stmt}\n    return inner\n",
    "{imp}\ndef handle(self, u):\n    def setup_cb(self=None, u=None):\n        pass\n    {stmt}\n",
    "{imp}\ndef handle(self, u):\n    return lambda: {stmt}\n",
    "{imp}\nimport pytest\n@pytest.fixture\ndef res(self, u):\n    {stmt}\n",
    "def handle(self, u):\n    {imp}\n    {stmt}\n",
]


def _combinations():
    for rule, pairs in SPELLINGS.items():
        for imp, stmt in pairs:
            for ctx in CONTEXTS:
                if "lambda: " in ctx and "\n" in stmt:
                    continue
                yield rule, ctx.format(imp=imp, stmt=stmt.replace("\n    ", "\n" + " " * (ctx.index("{stmt}") - ctx.rindex("\n", 0, ctx.index("{stmt}")) - 1)))


def test_could_match_holds_on_every_combination():
    reported = 0
    for rule, code in _combinations():
        ast.parse(code)  # the generator makes valid Python
        if reports(rule, code):
            reported += 1
            assert could(rule, code), f"{rule.code}.could_match said False where it reports:\n{code}"
    assert reported >= 40, reported  # the combinations do exercise the rules


@pytest.mark.parametrize(
    "code, expected",
    [
        ("import asyncio\nasync def f(fut):\n    asyncio.ensure_future(fut)\n", False),
        ("import asyncio\nasync def f(fut):\n    asyncio.ensure_future(fut, loop=make())\n", False),
        ("import asyncio\nasync def f():\n    asyncio.ensure_future(coro_or_future=work())\n", True),
        ("import asyncio\nasync def f(c):\n    asyncio.ensure_future(*make(c))\n", True),
        ("from asyncio import create_task as ensure_future\nasync def f(c):\n    ensure_future(c)\n", True),
        # `self` is never assigned an event loop here: `self.create_task` is another API
        ("import asyncio\nclass Loop(asyncio.AbstractEventLoop):\n    def serve(self):\n        self.create_task(accept())\n", False),
        ("import asyncio\nclass S:\n    def go(self):\n        ev = asyncio.get_event_loop()\n        ev.create_task(accept())\n", True),
    ],
)
def test_dangling_task_check_follows_the_rule_on_arguments_and_receivers(code, expected):
    assert bool(reports(DanglingTask, code)) == expected
    assert could(DanglingTask, code) == expected
