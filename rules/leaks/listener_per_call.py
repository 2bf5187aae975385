"""FFT301: a listener, handler or callback registered on every call of a function, never removed."""

from __future__ import annotations

import fnmatch
import re
import ast
from typing import Any, Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

import libcst as cst

from fftlint.analysis.names import dotted
from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.facts.values import NONE, UNKNOWN
from fftlint.rule import FixSpec, Invalid, Rule, Valid, replace
from fftlint.types import UNSAFE

from ._common import (
    LeaksOptions,
    ast_dotted,
    attribute_names,
    comprehension_values,
    in_dead_branch,
    leak_facts,
    load_catalog,
    may_resolve,
    reachable,
    repeats_in_loop,
    root_name,
    repeats_in_loop_ast,
    rooted_in,
    split_name,
    walk_nodes,
)

CATALOG = "listeners.yaml"

# Functions that run once per process, object or app by their name.
SETUP_DUNDERS = frozenset(
    ("__init__", "__new__", "__post_init__", "__init_subclass__", "__set_name__", "__enter__", "__aenter__")
)
#: Methods that run once per object: a strong registration there is one per instance.
PER_OBJECT = frozenset(("__init__", "__new__", "__post_init__", "__enter__", "__aenter__", "__set_name__"))
#: Base classes (by last name) whose frameworks make a new instance per request: Django
#: and DRF views and viewsets, Tornado request handlers.
PER_REQUEST_BASES = ("View", "ViewSet", "APIView", "RequestHandler")
SETUP_WORDS = frozenset(
    (
        "init", "initialize", "initialise", "setup", "configure", "config", "install", "register",
        "bootstrap", "startup", "enable", "attach", "connect", "subscribe", "listen", "hook",
        "wire", "bind", "activate", "main", "ready", "boot", "instrument", "serve",
        # a one-off command (`migrate`): runs once per process
        "migrate",
        # a process's entry point by its name (`entrypoint`, `cli_entry_point`)
        "entrypoint",
    )
)
#: one-off database commands spelled as one word (`initdb`, `resetdb`, `syncdb`): a set-up
#: verb and the database it makes, run once per `<tool> db init` process
_DB_COMMAND = re.compile(r"(?:init|reset|sync|create|setup|upgrade|migrate|drop)(?:db|database)")
# `add_file_handler`, `make_listener`: functions whose job is to register; their callers own it.
API_VERBS = frozenset(
    (
        "add", "create", "make", "build", "new", "set", "get", "install", "register",
        # `_suppress_third_party_warnings`, `ignore_pandas_warnings`: their job is the filter
        "suppress", "ignore", "silence", "filter", "mute",
        # `run_server`, `start_app`: a process's entry point (with an app noun below)
        "run", "start", "launch",
    )
)
API_NOUNS = frozenset(
    (
        "handler", "handlers", "listener", "listeners", "hook", "hooks", "callback", "callbacks",
        "receiver", "receivers", "signal", "signals", "slot", "slots", "observer", "observers",
        "warnings",
        # application factories (`create_app`): run once per process
        "app", "application", "server", "wsgi", "asgi",
    )
)
SETUP_DECORATORS = frozenset(
    (
        "fixture", "on_event", "before_first_request", "before_app_first_request", "before_serving",
        "cache", "lru_cache", "cached", "once", "command", "group", "hookimpl", "on_startup",
        "startup", "contextmanager", "asynccontextmanager",
    )
)
# Signals that fire once per process (a receiver of theirs is set-up code).
ONCE_SIGNALS = frozenset(
    (
        "worker_process_init", "worker_init", "worker_ready", "setup_logging", "after_setup_logger",
        "after_setup_task_logger", "celeryd_init", "celeryd_after_setup", "beat_init", "import_modules",
        "post_migrate", "class_prepared", "appcontext_pushed",
    )
)
GUARD_WORDS = (
    "handlers", "hashandlers", "registered", "connected", "installed", "initialized", "initialised",
    "configured", "setup", "set_up", "_done", "once", "hooked", "started", "listening", "subscribed",
    "attached", "ready", "_init", "active",
)

_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def words(name: str) -> List[str]:
    return [w.lower() for w in _WORD.findall(name)]


def setup_by_name(name: str, setup_names: Sequence[str]) -> bool:
    """A function that runs once by its name (shared by the rule and its pre-check)."""
    if name in SETUP_DUNDERS:
        return True
    for pattern in setup_names:
        if name == pattern or (pattern.endswith("*") and name.startswith(pattern[:-1])):
            return True
    parts = words(name)
    if any(w in SETUP_WORDS or _DB_COMMAND.fullmatch(w) for w in parts):
        return True
    if any(a == "entry" and b == "point" for a, b in zip(parts, parts[1:])):
        return True
    if parts and parts[0] == "test" and name.startswith("test"):
        return True  # a test function runs once per test session
    # the noun ends the name: `add_file_handler`, `create_app`; not `get_server_permission`
    return bool(parts and parts[0] in API_VERBS and parts[-1] in API_NOUNS)


def setup_decorator(text: str) -> bool:
    """A decorator (its dotted name, without the call) that makes a function run once."""
    last = text.rsplit(".", 1)[-1]
    if last in SETUP_DECORATORS:
        return True
    return bool(last == "connect" and text.rsplit(".", 2)[-2:-1] and text.rsplit(".", 2)[-2] in ONCE_SIGNALS)


def _requires() -> Tuple[str, ...]:
    """Every registration needs one of these strings in the file (derived from the catalog)."""
    out: Set[str] = set()
    for entry in load_catalog(CATALOG)["listeners"]:
        # a callee's own name always appears in the file (in the call or its import)
        out.update(name.rsplit(".", 1)[-1] for name in entry.get("calls", ()))
        out.update(entry.get("methods", ()))
        # a receiver that resolves to `pyee.EventEmitter()` needs an import of pyee, or its
        # method's name when the receiver comes from another module (`order_paid.connect`)
        out.update(glob.split(".", 1)[0] for glob in entry.get("receivers", ()))
        if "receivers" in entry:
            out.update(entry.get("receiver_methods", ()))
        out.update(entry.get("qt", ()))
    return tuple(sorted(out))


def _setup_def(fn: Any, setup_names: Sequence[str]) -> bool:
    """``_setup_by_name_or_decorator`` on an ``ast`` def, minus ``@receiver(<signal>)``
    (which only makes it say True more often)."""
    if setup_by_name(fn.name, setup_names):
        return True
    for expr in fn.decorator_list:
        target = expr.func if isinstance(expr, ast.Call) else expr
        if setup_decorator(ast_dotted(target) or ""):
            return True
    return False


def _candidates(entries: List[Dict[str, Any]], call: ast.Call) -> List[Dict[str, Any]]:
    """The catalog entries ``_match`` could pick for ``call``: by the method name for
    ``x.name(...)``; any entry with ``calls`` for a bare name (an alias can bind any)."""
    func = call.func
    if isinstance(func, ast.Attribute):
        attr = func.attr
        return [
            e for e in entries
            if attr in e.get("methods", ()) or attr in e.get("receiver_methods", ())
            or any(name.rsplit(".", 1)[-1] == attr for name in e.get("calls", ()))
        ]
    return [e for e in entries if e.get("calls")]


def _ast_attribute_names(node: ast.AST, memo: Dict[int, Set[str]]) -> Set[str]:
    """``attribute_names`` on ``ast``: every ``.attr`` below ``node`` and every bare name
    that is called."""
    found = memo.get(id(node))
    if found is None:
        found = set()
        for sub in ast.walk(node):
            if isinstance(sub, ast.Attribute):
                found.add(sub.attr)
            elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name):
                found.add(sub.func.id)
        memo[id(node)] = found
    return found


def _outermost(view: Any, fn: ast.AST) -> ast.AST:
    """The outermost ``def`` or class around ``fn`` (``fn`` itself at module level)."""
    line = fn.lineno  # type: ignore[attr-defined]
    best = fn
    for node in view.nodes(ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
        end = getattr(node, "end_lineno", None) or 1 << 30
        if node.lineno <= line <= end and node.lineno < best.lineno:  # type: ignore[attr-defined]
            best = node
    return best


def _released_at(entries: List[Dict[str, Any]], call: ast.Call, fn: ast.AST, view: Any, memo: Dict[int, Set[str]]) -> bool:
    """``_released`` ahead of LibCST: every entry the call could match names a release
    (``unregister``) that the function or its outermost ``def``/class spells, so the rule
    returns there whatever else it finds."""
    candidates = _candidates(entries, call)
    if not candidates or any(not e.get("unregister") for e in candidates):
        return False
    spelled = _ast_attribute_names(fn, memo) | _ast_attribute_names(_outermost(view, fn), memo)
    return all(any(name in spelled for name in e["unregister"]) for e in candidates)


def _by_method(entries: List[Dict[str, Any]], call: ast.Call) -> bool:
    """``x.name(...)`` may match an entry by its method (``methods``, ``receiver_methods``,
    a Qt signal): ``_match`` then hands the rule the receiver, not the call, as what a
    loop must not vary."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    return any(func.attr in e.get("methods", ()) or func.attr in e.get("receiver_methods", ()) for e in entries)


def _strong(call: ast.Call) -> bool:
    """``weak=False`` (a catalog ``weak_keyword``): a strongly held receiver, reported in
    per-object set-up code too."""
    keywords = {e["weak_keyword"] for e in load_catalog(CATALOG)["listeners"] if e.get("weak_keyword")}
    if any(k.arg in keywords and isinstance(k.value, ast.Constant) and k.value.value is False for k in call.keywords):
        return True
    # `loop.add_reader(fd, self._on_read)`: a callback that holds `self` (``_holds_instance``)
    func = call.func
    if isinstance(func, ast.Attribute):
        for entry in load_catalog(CATALOG)["listeners"]:
            position = entry.get("object_callback_argument")
            if position is not None and func.attr in entry.get("methods", ()) and len(call.args) > position:
                arg = call.args[position]
                if isinstance(arg, (ast.Attribute, ast.Lambda)) and any(isinstance(n, ast.Name) and n.id == "self" for n in ast.walk(arg)):
                    return True
    return False


def _ast_root(expr: ast.AST) -> Optional[str]:
    while isinstance(expr, (ast.Attribute, ast.Subscript)):
        expr = expr.value
    return expr.id if isinstance(expr, ast.Name) else None


def _module_object_receiver(receiver: ast.Attribute, call: ast.Call, facts: Any) -> bool:
    """``G.<signal>`` with ``G`` a plain name that the function around ``call`` does not
    bind (a module-level object, or one imported from another module): the pre-check's
    side of ``_qt_module_object``."""
    root = receiver.value
    if not isinstance(root, ast.Name) or root.id == "self":
        return False
    fn = facts.innermost_function(call)
    if fn is None:
        return False
    args = fn.args  # type: ignore[attr-defined]
    if root.id in {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg) if a is not None}:
        return False
    return not any(isinstance(n, ast.Name) and n.id == root.id and not isinstance(n.ctx, ast.Load) for n in ast.walk(fn))


class _Plan:
    """The catalog as necessary conditions on one ``ast.Call`` of a file (``_match``):
    a ``methods`` name; a callee that can resolve to a ``calls`` name; a receiver method
    whose receiver can resolve to a ``receivers`` glob (globs with a wildcard: any receiver,
    once the glob's package is mentioned); a Qt ``self.<...>.connect`` in a file that
    mentions a Qt binding."""

    __slots__ = ("facts", "entries", "methods", "calls", "call_lasts", "receivers", "qt_methods", "any_calls", "opaque_methods", "catalog_lasts")

    def __init__(self, entries: List[Dict[str, Any]], facts: Any) -> None:
        self.facts = facts
        self.entries = entries
        self.methods: Set[str] = set()
        self.calls: List[Tuple[str, ...]] = []
        self.receivers: List[Tuple[FrozenSet[str], bool, List[Tuple[str, ...]]]] = []
        self.qt_methods: Set[str] = set()
        #: a name the facts layer may resolve through other modules or assignments can be
        #: any catalog callee, and its receiver methods any receiver's
        self.any_calls = any(entry.get("calls") for entry in entries)
        self.catalog_lasts = {name.rsplit(".", 1)[-1] for entry in entries for name in entry.get("calls", ())}
        self.opaque_methods: Set[str] = set()
        for entry in entries:
            self.methods.update(m for m in entry.get("methods", ()) if m in facts.text)
            self.calls.extend(reachable([split_name(name) for name in entry.get("calls", ())], facts))
            methods = frozenset(entry.get("receiver_methods", ()))
            if "receivers" in entry:
                self.opaque_methods.update(m for m in methods if m in facts.text)
                wild = False
                exact: List[Tuple[str, ...]] = []
                for glob in entry["receivers"]:
                    if not facts.mentions(glob.split(".", 1)[0]):
                        continue
                    if any(ch in glob for ch in "*?["):
                        wild = True
                    else:
                        exact.append(split_name(glob))
                if wild or exact:
                    self.receivers.append((methods, wild, exact))
            elif "qt" in entry and any(facts.mentions(module) for module in entry["qt"]):
                self.qt_methods.update(methods)
        self.call_lasts = {t[-1] for t in self.calls}

    def empty(self) -> bool:
        return not (self.methods or self.calls or self.receivers or self.qt_methods or (self.facts.opaque and (self.any_calls or self.opaque_methods)))

    def may_match(self, call: ast.Call) -> int:
        """NO, SURE (the text allows a match), or RESOLVE: the callee's root is a name
        only the facts layer can tell (assigned in the file, imported from the project),
        so :meth:`resolves` must ask it."""
        func = call.func
        facts = self.facts
        if isinstance(func, ast.Attribute):
            attr = func.attr
            if attr in self.methods:
                return SURE
            qt = attr in self.qt_methods and isinstance(func.value, ast.Attribute) and (
                _ast_root(func.value) == "self" or bool(call.args) and _module_object_receiver(func.value, call, facts)
            )
            if qt:
                return SURE  # before the project's answer: a Qt object from another module
            if rooted_in(func, facts.opaque):
                # ``hooks.register`` with ``hooks`` from another module, ``order_paid.connect``
                if attr in self.call_lasts or attr in self.opaque_methods or any(attr in m for m, _, _ in self.receivers):
                    return RESOLVE
            else:
                if attr in self.call_lasts and any(may_resolve(func, t, facts) for t in self.calls):
                    return SURE
                for methods, wild, exact in self.receivers:
                    if attr in methods and (wild or any(may_resolve(func.value, t, facts) for t in exact)):
                        return SURE
            return NO
        if isinstance(func, ast.Name):
            if rooted_in(func, facts.opaque):
                if not self.any_calls:
                    return NO
                if func.id not in facts._view.opaque_names(project=False):
                    # bound only by an import from the project: the rule follows it when it
                    # was imported under a catalog call's name (``from .compat import register``)
                    origins = {str(t).rsplit(".", 1)[-1] for t in facts._view.imported(func.id)}
                    if not origins & self.catalog_lasts:
                        return NO
                return RESOLVE  # ``register = atexit.register``
            if (func.id in self.call_lasts or func.id in facts.aliases) and any(may_resolve(func, t, facts) for t in self.calls):
                return SURE
        return NO

    def resolves(self, view: Any, function: ast.AST, call: ast.Call) -> bool:
        """The callee, as the facts layer resolves it, can be a catalog call or a receiver
        method of a catalog receiver (what ``_match`` asks of ``ctx.names``)."""
        values = view.values_at(call.func)
        if values is None:
            values = comprehension_values(view, call.func)  # ``[f(x) for f in funcs]``
        if values is None:
            return True  # cannot tell here: let it through
        method = call.func.attr if isinstance(call.func, ast.Attribute) else None
        for value in values:
            if not isinstance(value, str) or value in (UNKNOWN, NONE):
                continue
            for entry in self.entries:
                if value in entry.get("calls", ()):
                    return True
                if method and "receivers" in entry and method in entry.get("receiver_methods", ()) and value.endswith("." + method):
                    receiver = value[: -len(method) - 1]
                    if any(fnmatch.fnmatchcase(receiver, g) for g in entry["receivers"]):
                        return True
        return False


NO, SURE, RESOLVE = 0, 1, 2


def _attribute_names(entries: List[Dict[str, Any]]) -> FrozenSet[str]:
    """The last names an attribute call must have to match some catalog entry: a call's
    last component, a method, a receiver method (Qt signals connect like receivers)."""
    out: Set[str] = set()
    for entry in entries:
        out.update(name.rsplit(".", 1)[-1] for name in entry.get("calls", ()))
        out.update(entry.get("methods", ()))
        out.update(entry.get("receiver_methods", ()))
    return frozenset(out)


class ListenerPerCall(Rule):
    """## What it does
    Checks for a listener, handler or callback registered inside a function that runs
    again and again (a request handler, a method, a helper) when nothing in that function,
    its class or its module ever removes it. The register/unregister pairs come from a
    catalog (`rules/leaks/listeners.yaml`): `Logger.addHandler` / `removeHandler`,
    `atexit.register` / `unregister`, `sys.addaudithook` (never removable), Django and
    blinker/Flask `signal.connect` / `disconnect`, pyee `on` / `remove_listener`, Qt
    `signal.connect` / `disconnect`, `copyreg.pickle` of a class made per call, asyncio
    `loop.add_reader` / `add_writer` / `remove_reader` / `remove_writer`,
    `loop.add_signal_handler` of a handler made per call / `remove_signal_handler`,
    `warnings.filterwarnings` / `simplefilter` (outside `with warnings.catch_warnings()`),
    `faulthandler.register` / `unregister`.

    Also reported:
    - set-up code that repeats the same registration in a loop (the call mentions nothing
      the loop binds: the same logger gets one more handler per iteration);
    - a strongly held receiver that is a bound method of `self` or a closure over it
      (`post_save.connect(self.on_save, weak=False)`), connected in `__init__` or a method
      `__init__` calls, or in any method of a view or request handler (a class whose base
      ends in `View`, `ViewSet` or `RequestHandler`: one instance per request): one
      receiver per object, and the signal keeps every object alive;
    - an event-loop reader or writer whose callback holds `self` (`self.loop.add_reader(fd,
      self._on_read)`), added in `__init__`, a method it calls or a set-up method of the
      object (`attach`, `start`), when the class never calls `remove_reader` /
      `remove_writer` and its objects end (it has `close`, `stop`, `__exit__`, ...): the
      loop keeps every instance;
    - a method that set-up code calls in a loop (once per item) is not set-up code itself;
    - a Qt signal of a module-level object, not only of `self`: `SETTINGS.changed.connect(
      self.refresh)` where `SETTINGS = Settings()` is made at module level, or imported from
      a module of the same package (`from .settings import SETTINGS`). A name of a library
      (`from eventbus import bus`), a parameter or a local stays unknown and silent, and a
      `disconnect` anywhere in the class counts as the release of all its connections.

    A signal defined in another module of the project (`from .signals import order_paid`,
    with `order_paid = Signal()` there) is followed through the project's module summaries.
    Not followed: receivers and registries passed around as arguments, registrations made
    through helper functions of other modules, and calls of a function from elsewhere.

    It stays silent on the idioms that make a registration happen once:
    - module level, class bodies, and set-up functions: `__init__`, `AppConfig.ready`,
      `main`, `setup_*` / `configure_*` / `init_*` / `register_*` / `connect_*` ...,
      `create_app`, `test_*` functions, management commands (`class Command(BaseCommand)`),
      functions called at module level, methods called from `__init__`, `@pytest.fixture`,
      `@app.on_event("startup")`, `@lru_cache`'d factories, receivers of once-per-process
      signals (`worker_process_init`), and names listed in the `setup-functions` option;
    - guards: `if not logger.handlers:`, `if handler not in ...`, `if self._hook is None:`,
      a global "configured" flag, or an early `return` on such a test;
    - registries that ignore a repeat: `logger.addHandler(shared_handler)` with the same
      object, Django/blinker `connect(receiver)` with a module-level receiver, a weakly held
      receiver (the default), or `dispatch_uid=`; Qt's `Qt.UniqueConnection`;
    - receivers that are created in the function itself (a fresh `QPushButton`, a private
      `logging.Logger`): they die with the registration;
    - functions that return the handler they register (the caller owns it);
    - `atexit.register(os.remove, path)`, a fresh closure, or a method of an object the
      call itself created (`lock = make_lock(path); atexit.register(lock.release)`):
      clean-up of a resource the call created, one callback per resource by design (any
      `atexit.register` with arguments counts so, `atexit.register(self.report, path)`
      too: fftlint cannot tell a per-resource clean-up from a per-call report);
    - a strongly held receiver that is a bound method of a parameter
      (`user_joined.connect(user.greet, weak=False)`): whether the same object comes back
      is the caller's, so it stays unknown and silent;
    - code that never runs (`if 0:`, `if TYPE_CHECKING:`).

    Names are followed through the facts layer (assignments, other modules), with one
    limit: a catalog function that another module of the project re-exports under a
    different name (`from .compat import hook` where `hook = atexit.register`) is not
    followed; imported under its own name (`from .compat import register`), it is.

    ## Why is this bad?
    The registry outlives the function. Each call adds one more entry, and none is ever
    removed: handlers, receivers and callbacks accumulate with everything their closures
    reference, every event runs all of them (duplicate log lines, a slot that fires N
    times), and file handlers keep their files open until the process runs out of
    descriptors. The cost grows with uptime, which is why it is found in production.

    ## Example
    ```python
    import logging

    def get_logger(name):
        logger = logging.getLogger(name)
        logger.addHandler(logging.FileHandler("app.log"))
        return logger
    ```

    ## Use instead
    Register once (at import time, in a set-up function, or behind a guard), or remove
    what you add:
    ```python
    import logging

    def get_logger(name):
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(logging.FileHandler("app.log"))
        return logger
    ```

    ## Fix safety
    Unsafe fix for a strongly held per-object receiver: drop `weak=False`, so the signal
    holds the bound method weakly and the receiver goes away with its object. Unsafe
    because an object that only the signal kept alive stops receiving. No fix elsewhere:
    whether the registration should move to set-up code, get a guard, or be paired with a
    removal depends on the program.

    ## Options
    `setup-functions`: extra names (or `prefix*` patterns) of functions that run once.
    """

    code = "FFT301"
    contexts = PRODUCTION_ONLY  # tests and scripts are short-lived: nothing piles up
    name = "listener-registered-per-call"
    message = "`{call}` {what} on {where} and nothing removes it: {consequence}"
    requires = _requires()
    Options = LeaksOptions
    options_key = "leaks"
    #: signals defined in another module of the project are followed through its summaries
    needs_project = True

    VALID = [
        # module level
        "import logging\nlogger = logging.getLogger(__name__)\nlogger.addHandler(logging.StreamHandler())\n",
        # guarded
        "import logging\ndef get_logger(name):\n    logger = logging.getLogger(name)\n    if not logger.handlers:\n        logger.addHandler(logging.StreamHandler())\n    return logger\n",
        "import logging\ndef get_logger(name):\n    logger = logging.getLogger(name)\n    if logger.handlers:\n        return logger\n    logger.addHandler(logging.StreamHandler())\n    return logger\n",
        "import atexit\n_done = False\ndef ensure_cleanup():\n    global _done\n    if _done:\n        return\n    _done = True\n    atexit.register(cleanup)\n",
        # set-up functions, by name, by call site, by decorator
        "import logging\ndef setup_logging(path):\n    logging.getLogger().addHandler(logging.FileHandler(path))\n",
        "import logging\ndef _logging():\n    logging.getLogger().addHandler(logging.StreamHandler())\n_logging()\n",
        "from django.apps import AppConfig\nfrom django.db.models.signals import post_save\nclass Shop(AppConfig):\n    def ready(self):\n        post_save.connect(on_save, weak=False)\n",
        "import logging, pytest\n@pytest.fixture\ndef caplog_file(tmp_path):\n    logging.getLogger().addHandler(logging.FileHandler(tmp_path / 'x'))\n",
        # removed again
        "import logging\ndef run(job):\n    h = logging.FileHandler(job.log)\n    log = logging.getLogger('jobs')\n    log.addHandler(h)\n    try:\n        job()\n    finally:\n        log.removeHandler(h)\n        h.close()\n",
        "import logging\nlog = logging.getLogger(__name__)\nclass Capture:\n    def start(self):\n        self.h = logging.StreamHandler()\n        log.addHandler(self.h)\n    def stop(self):\n        log.removeHandler(self.h)\n",
        # the same (module-level) handler object: addHandler ignores a repeat
        "import logging\nHANDLER = logging.StreamHandler()\ndef view(request):\n    logging.getLogger('x').addHandler(HANDLER)\n",
        # a private logger created here dies with its handlers
        "import logging\ndef render(report):\n    log = logging.Logger('render')\n    log.addHandler(logging.StreamHandler())\n    log.info(report)\n",
        # the caller owns the returned handler
        "import logging\ndef stderr_logging(level):\n    handler = logging.StreamHandler()\n    logging.getLogger('pkg').addHandler(handler)\n    return handler\n",
        # Django: module-level receiver (deduplicated), weak default, dispatch_uid
        "from django.db.models.signals import post_save\ndef view(request):\n    post_save.connect(on_save)\n",
        "from django.db.models.signals import post_save\ndef view(request):\n    post_save.connect(lambda **kw: None)\n",
        "from django.db.models.signals import post_save\ndef view(request):\n    post_save.connect(lambda **kw: None, weak=False, dispatch_uid='x')\n",
        # not a signal: sockets and databases also `connect`
        "import sqlite3\ndef view(request):\n    db = sqlite3.connect('x.db')\n    db.close()\n",
        "def view(request, sock):\n    sock.connect(('localhost', 80))\n",
        # Qt: a widget created here, connections in __init__ and set-up methods
        "from PyQt5.QtWidgets import QPushButton\nclass W:\n    def refresh(self):\n        btn = QPushButton('x')\n        btn.clicked.connect(self.go)\n",
        "from PyQt5 import QtWidgets\nclass W(QtWidgets.QWidget):\n    def __init__(self):\n        super().__init__()\n        self._build()\n    def _build(self):\n        self.ok.clicked.connect(self.accept)\n",
        "from PyQt5 import QtCore\nclass W:\n    def refresh(self):\n        self.ok.clicked.connect(self.accept, QtCore.Qt.UniqueConnection)\n",
        # an event-loop reader the class removes again; a callback that does not hold `self`
        "class Connection:\n    def attach(self, sock):\n        self.loop.add_reader(sock.fileno(), self._on_readable)\n"
        "    def detach(self, sock):\n        self.loop.remove_reader(sock.fileno())\n",
        "class Connection:\n    def attach(self, sock):\n        self.loop.add_reader(sock.fileno(), on_readable, sock)\n    def close(self):\n        pass\n",
        # an object that never ends (no close / stop / ...): its reader may be meant for good
        "class Server:\n    def __init__(self, loop, sock):\n        loop.add_reader(sock.fileno(), self._accept)\n    def _accept(self):\n        pass\n",
        # a library's name (a module, a class: unknown), a local, a parameter
        "from PyQt5 import QtCore\nfrom eventbus import bus\nclass W:\n    def refresh(self):\n        bus.changed.connect(self.reload)\n",
        "from PyQt5 import QtCore\nclass W:\n    def refresh(self, model):\n        model.changed.connect(self.reload)\n",
        "from PyQt5 import QtCore\nSETTINGS = QtCore.QObject()\nclass W:\n    def refresh(self):\n        SETTINGS = make()\n        SETTINGS.changed.connect(self.reload)\n",
        # a function whose job is registering: its caller decides how often
        "import atexit\ndef register_cleanup(path):\n    atexit.register(remove, path)\n",
        Valid(
            "import atexit\ndef prepare_workdir(path):\n    atexit.register(flush_all)\n",
            options={"setup-functions": ["prepare_*"]},
        ),
        # atexit clean-up of something this call created: one callback per resource, by design
        "import atexit, os, tempfile\ndef scratch():\n    fd, path = tempfile.mkstemp()\n    atexit.register(os.remove, path)\n    return fd\n",
        "import atexit\ndef lock(path):\n    def unlock():\n        path.unlink()\n    atexit.register(unlock)\n",
        # run once per process or per test
        "import logging\ndef create_app():\n    logging.getLogger().addHandler(logging.StreamHandler())\n",
        "import logging\ndef test_export(tmp_path):\n    logging.getLogger().addHandler(logging.FileHandler(tmp_path / 'log'))\n",
        "import logging\nfrom django.core.management.base import BaseCommand\nclass Command(BaseCommand):\n"
        "    def handle(self, *args, **options):\n        logging.getLogger().addHandler(logging.StreamHandler(self.stdout))\n",
        # the exit callback releases an object this call created: one per object, by design
        "import atexit\ndef lock_pidfile(path):\n    lock = PidLock(path)\n    lock.acquire()\n    atexit.register(lock.release)\n    return lock\n",
        "import atexit\nclass Step:\n    def build(self, worker):\n        worker.store = Store(worker.path)\n        atexit.register(worker.store.flush)\n",
        # code that never runs
        "import logging\nclass T:\n    def before_each(self):\n        if 0:  # debugging aid\n            logging.getLogger('t').addHandler(logging.StreamHandler())\n",
        # replaces rather than accumulates
        "import asyncio, signal\nasync def serve():\n    loop = asyncio.get_running_loop()\n    loop.add_signal_handler(signal.SIGTERM, stop)\n",
        # per object, but weak (the default), deduplicated, disconnected, or a singleton
        "from django.db.models.signals import post_save\nclass Cache:\n    def __init__(self):\n        post_save.connect(self.invalidate)\n",
        "from django.db.models.signals import post_save\nclass Cache:\n    def __init__(self):\n        post_save.connect(self.invalidate, weak=False, dispatch_uid='cache')\n",
        "from django.db.models.signals import post_save\nclass Cache:\n    def __init__(self):\n        post_save.connect(self.invalidate, weak=False)\n    def close(self):\n        post_save.disconnect(self.invalidate)\n",
        "from django.apps import AppConfig\nfrom django.db.models.signals import post_save\nclass Shop(AppConfig):\n    def __init__(self, *a):\n        super().__init__(*a)\n        post_save.connect(self.on_save, weak=False)\n",
        # a loop in set-up code that registers on a different object each iteration
        "import logging\ndef configure(names):\n    for name in names:\n        logging.getLogger(name).addHandler(logging.StreamHandler())\n",
        "import atexit\ndef main(jobs):\n    for job in jobs:\n        atexit.register(job.cleanup)\n",
        # copyreg: a module-level class is registered once, whatever the number of calls
        "import copyreg\ndef install(reducer):\n    copyreg.pickle(Point, reducer)\n",
        # filters restored at the end of the block, set-up code, a shared signal handler
        "import warnings\ndef parse(text):\n    with warnings.catch_warnings():\n        warnings.simplefilter('ignore')\n        return load(text)\n",
        "import warnings\ndef configure_warnings():\n    warnings.filterwarnings('ignore', category=DeprecationWarning)\n",
        "import faulthandler, signal\ndef main():\n    faulthandler.register(signal.SIGUSR1)\n",
        # the reader is removed again
        "class Conn:\n    def start(self, sock):\n        self._loop.add_reader(sock.fileno(), self._on_read)\n    def close(self):\n        self._loop.remove_reader(self._sock.fileno())\n",
    ]
    INVALID = [
        Invalid(
            "import logging\n\ndef get_logger(name):\n    logger = logging.getLogger(name)\n    logger.addHandler(logging.FileHandler('app.log'))\n    return logger\n",
            line=5,
            column=5,
            message_contains="every call of `get_logger`",
        ),
        Invalid(
            "import logging\nlog = logging.getLogger(__name__)\ndef handle(request):\n    h = logging.FileHandler(request.path)\n    log.addHandler(h)\n    return 'ok'\n",
        ),
        # another function's clean-up does not excuse this one
        Invalid(
            "import logging\nlog = logging.getLogger('x')\ndef add(h):\n    log.addHandler(h)\n"
            "def drop(h):\n    log.removeHandler(h)\ndef view(request):\n    log.addHandler(logging.StreamHandler())\n",
            count=1,
            line=8,
        ),
        Invalid(
            "import logging\nclass Worker:\n    def process(self, item):\n        self.logger.addHandler(logging.StreamHandler())\n",
        ),
        Invalid(
            "import logging\ndef view(request):\n    if request.user.is_staff:\n        logging.getLogger('audit').addHandler(logging.StreamHandler())\n",
        ),
        Invalid("import atexit\ndef save(doc):\n    atexit.register(doc.flush)\n", message_contains="exit callback"),
        Invalid("import atexit\ndef handle(request):\n    atexit.register(flush_metrics)\n"),
        Invalid("from atexit import register\nclass Pool:\n    def acquire(self):\n        register(self.release_all)\n"),
        Invalid("import sys\ndef sandbox(code):\n    sys.addaudithook(audit)\n    exec(code)\n", message_contains="never be removed"),
        Invalid(
            "from django.db.models.signals import post_save\ndef checkout(request):\n    def notify(sender, **kw):\n        send(request.user)\n    post_save.connect(notify, weak=False)\n",
        ),
        Invalid(
            "import blinker\nupdated = blinker.signal('updated')\nclass View:\n    def get(self, request):\n        updated.connect(lambda s: None, weak=False)\n",
        ),
        Invalid(
            "from pyee import EventEmitter\nbus = EventEmitter()\nasync def on_message(msg):\n    bus.on('ack', lambda a: print(a))\n",
        ),
        Invalid(
            "from PyQt5 import QtWidgets\nclass W(QtWidgets.QWidget):\n    def on_reload(self):\n        self.ok.clicked.connect(self.accept)\n",
            message_contains="Qt",
        ),
        Invalid(
            "class Connection:\n    def __init__(self, loop):\n        self.loop = loop\n"
            "    def attach(self, sock):\n        self.loop.add_reader(sock.fileno(), self._on_readable, sock)\n"
            "    def _on_readable(self, sock):\n        sock.recv(4096)\n    def close(self):\n        self.sock.close()\n",
            message_contains="every instance of `Connection`",
        ),
        Invalid(
            "from PySide6.QtCore import QObject, Signal\nclass Settings(QObject):\n    changed = Signal(str)\n"
            "SETTINGS = Settings()\nclass Gallery:\n    def add_item(self, path):\n        SETTINGS.changed.connect(self.refresh)\n",
            message_contains="Qt signal",
        ),
        Invalid(
            "import atexit\ndef prepare_workdir(path):\n    atexit.register(flush_all)\n",
        ),
        # a fresh exit callback that cleans up nothing of this call: the same one again
        Invalid("import atexit, logging\ndef handle(request):\n    atexit.register(lambda: logging.shutdown())\n"),
        # one more handler on the same logger per job, even in run-once code
        Invalid(
            "import logging\nlog = logging.getLogger('jobs')\ndef main(jobs):\n    for job in jobs:\n        log.addHandler(logging.FileHandler(job.path))\n        job.run()\n",
            message_contains="every iteration",
        ),
        # set-up code, but the loop repeats the same registration on the same object
        Invalid(
            "import logging\ndef configure(names):\n    log = logging.getLogger('app')\n    for name in names:\n        log.addHandler(logging.StreamHandler())\n",
            message_contains="every iteration of a loop in `configure`",
        ),
        Invalid(
            "from PyQt5 import QtWidgets\nclass W(QtWidgets.QWidget):\n    def __init__(self, rows):\n        super().__init__()\n        for row in rows:\n            self.refresh_button.clicked.connect(self.refresh)\n",
        ),
        # a strongly held bound method per object: every instance stays alive
        Invalid(
            "from django.db.models.signals import post_save\nclass Cache:\n    def __init__(self):\n        self.data = {}\n        post_save.connect(self.invalidate, weak=False)\n    def invalidate(self, **kw):\n        self.data.clear()\n",
            message_contains="every instance of `Cache`",
            safety="unsafe",
            fixed="from django.db.models.signals import post_save\nclass Cache:\n    def __init__(self):\n        self.data = {}\n        post_save.connect(self.invalidate)\n    def invalidate(self, **kw):\n        self.data.clear()\n",
        ),
        Invalid(
            "import blinker\nupdated = blinker.signal('updated')\nclass View:\n    def __init__(self):\n        self._wire()\n    def _wire(self):\n        updated.connect(lambda sender: self.refresh(), weak=False)\n",
        ),
        # a class-based view: Django makes one instance per request
        Invalid(
            "from django.views import View\nfrom django.db.models.signals import post_save\nclass OrderView(View):\n    def post(self, request):\n        post_save.connect(self.on_save, weak=False)\n    def on_save(self, **kw):\n        pass\n",
            message_contains="every instance of `OrderView`",
            safety="unsafe",
            fixed="from django.views import View\nfrom django.db.models.signals import post_save\nclass OrderView(View):\n    def post(self, request):\n        post_save.connect(self.on_save)\n    def on_save(self, **kw):\n        pass\n",
        ),
        # a method that set-up code calls once per item is not set-up code
        Invalid(
            "from PyQt5 import QtWidgets\nclass Table(QtWidgets.QWidget):\n    def __init__(self, rows):\n        super().__init__()\n        for row in rows:\n            self._add_row(row)\n    def _add_row(self, row):\n        self.model.changed.connect(self.refresh)\n",
        ),
        Invalid(
            "import warnings\ndef parse(row):\n    warnings.filterwarnings('ignore', message=f'column {row.name}')\n    return row.value\n",
            message_contains="warnings filter",
        ),
        Invalid("import faulthandler, signal\ndef run_job(job):\n    faulthandler.register(signal.SIGUSR1, file=job.log)\n    job()\n"),
        Invalid(
            "import asyncio, signal\nasync def handle_client(reader, writer):\n    loop = asyncio.get_running_loop()\n    loop.add_signal_handler(signal.SIGTERM, lambda: writer.close())\n",
        ),
        Invalid(
            "import asyncio, signal\nclass Conn:\n    def handle_client(self, loop):\n        loop.add_signal_handler(signal.SIGTERM, lambda: self.close())\n",
        ),
        # process-wide registries that keep what each call makes
        Invalid(
            "import copyreg\ndef make_type(name):\n    class Dyn:\n        pass\n    copyreg.pickle(Dyn, reduce_dyn)\n    return Dyn\n",
            message_contains="pickle reducer",
        ),
        Invalid(
            "class Client:\n    def watch(self, sock):\n        self._loop.add_reader(sock.fileno(), self._on_read)\n    def _on_read(self):\n        pass\n",
            message_contains="file descriptor",
        ),
    ]

    @classmethod
    def could_match(cls, view: Any) -> bool:
        """Stage 2 of the pre-filter: a call that can match a catalog entry (see
        :class:`_Plan`), in the body of a ``def`` that is not set-up code by its name or
        decorators (the rest of ``_runs_once``, the guards and releases are not checked)."""
        facts = leak_facts(view)
        plan = _Plan(load_catalog(CATALOG)["listeners"], facts)
        if plan.empty():
            return False
        opts = view.options_for(cls)
        setup_names = tuple(opts.setup_functions) if isinstance(opts, LeaksOptions) else ()
        verdicts: Dict[int, bool] = {}
        loops: Dict[int, Any] = {}
        names: Dict[int, Set[str]] = {}
        for call in view.nodes(ast.Call):
            verdict = plan.may_match(call)  # type: ignore[arg-type]
            if not verdict:
                continue
            fn = facts.innermost_function(call)
            if fn is None:
                continue  # module level or a class body
            if facts.in_lambda(call):
                continue  # the rule reports in a ``def`` only, never in a lambda body
            ok = verdicts.get(id(fn))
            if ok is None:
                ok = verdicts[id(fn)] = not _setup_def(fn, setup_names)  # type: ignore[arg-type]
            probe = call.func.value if _by_method(plan.entries, call) else call  # type: ignore[attr-defined]
            if ok or _strong(call) or repeats_in_loop_ast(fn, call, probe, loops):
                if _released_at(plan.entries, call, fn, view, names):
                    continue
                if verdict == RESOLVE and not plan.resolves(view, fn, call):  # type: ignore[arg-type]
                    continue
                return True
        return False

    def __init__(self, ctx: Any, options: Any = None) -> None:
        super().__init__(ctx, options)
        self._entries: List[Dict[str, Any]] = load_catalog(CATALOG)["listeners"]
        self._attrs_matched = _attribute_names(self._entries)
        self._call_lasts = {name.rsplit(".", 1)[-1] for entry in self._entries for name in entry.get("calls", ())}
        opts = options if isinstance(options, LeaksOptions) else LeaksOptions()
        self._setup_names = tuple(opts.setup_functions)
        self._attrs: Dict[int, Set[str]] = {}
        self._locals_cache: Dict[int, Dict[str, Tuple[str, Optional[cst.CSTNode]]]] = {}
        self._class_setup: Dict[int, FrozenSet[str]] = {}
        self._module_calls: Optional[Set[str]] = None
        self._qt: Optional[Set[str]] = None

    # -- matching ---------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        frames = self.ctx.stack.frames
        frame = self.ctx.stack.function_frame
        if frame is None or not isinstance(frame.node, cst.FunctionDef):
            return  # module level, class body, lambda
        match = self._match(node)
        if match is None:
            return
        entry, receiver = match
        func = frame.node
        index = next(i for i in range(len(frames) - 1, -1, -1) if frames[i] is frame)
        cls = frames[index - 1].node if index and frames[index - 1].kind == "class" else None
        if in_dead_branch(self.ctx):
            return
        where = f"every call of `{func.name.value}`"
        if cls is not None and self._holds_instance(entry, node, func, cls):
            # `post_save.connect(self.on_save, weak=False)` in `__init__`: one strongly held
            # receiver per object, and each keeps its object alive
            if self._released(entry, index) or any(self._keyword(node, kw) is not None for kw in entry.get("dedup_keywords", ())):
                return
            call = (dotted(node.func) or self.ctx.code_for(node.func)) + "(...)"
            by_callback = entry.get("object_callback_argument") is not None
            self.report(
                node,
                call=call,
                what=entry["what"],
                where=f"every instance of `{cls.name.value}` (in `{func.name.value}`), held strongly",  # type: ignore[attr-defined]
                consequence=(
                    "the loop keeps the callback, so every instance, registered for its descriptor after the object is done"
                    if by_callback
                    else "the signal keeps every instance alive for the rest of the process, and calls all of them"
                ),
                fix=None if by_callback else self._weak_fix(entry, node),
            )
            return
        if self._runs_once(func, cls):
            # set-up code still registers once per iteration of a loop, when the
            # registration does not depend on the loop (the same receiver, a fresh argument)
            if not self._repeated_in_loop(node, receiver):
                return
            where = f"every iteration of a loop in `{func.name.value}`"
        if self._released(entry, index):
            return
        if receiver is not None and self._receiver_is_local(entry, receiver, func):
            return
        if self._idempotent(entry, node, func):
            return
        if self._guarded(func, receiver):
            return
        call = (dotted(node.func) or self.ctx.code_for(node.func)) + "(...)"
        self.report(
            node,
            call=call,
            what=entry["what"],
            where=where,
            consequence=" ".join(str(entry["consequence"]).split()),
        )

    def _holds_instance(self, entry: Dict[str, Any], call: cst.Call, func: cst.FunctionDef, cls: cst.CSTNode) -> bool:
        """A strongly held (``weak=False``) receiver that is a bound method of ``self``, or a
        closure over it, connected in code that runs once per object (``__init__`` and the
        methods it calls), in a class that is not a per-process singleton (``AppConfig``)."""
        position = entry.get("object_callback_argument")
        if position is not None:
            # `loop.add_reader(fd, self._on_read)`: the registry holds the callback strongly
            positional = [a for a in call.args if a.keyword is None and not a.star]
            arg: Optional[cst.BaseExpression] = positional[position].value if len(positional) > position else None
        else:
            weak_keyword = entry.get("weak_keyword")
            if not weak_keyword:
                return False
            weak = self._keyword(call, weak_keyword)
            if not (isinstance(weak, cst.Name) and weak.value == "False"):
                return False
            arg = self._argument(entry, call)
        if isinstance(arg, cst.Attribute):
            holds = isinstance(arg.value, cst.Name) and arg.value.value == "self"
        elif isinstance(arg, cst.Lambda):
            holds = any(isinstance(n, cst.Name) and n.value == "self" for n in walk_nodes(arg.body))
        else:
            holds = False
        if not holds:
            return False
        assert isinstance(cls, cst.ClassDef)
        if position is not None and not self._ends(cls):
            return False  # an object that never ends (a server) may keep its reader for good
        bases = [(self.ctx.names.resolve(b.value) or dotted(b.value) or "").rsplit(".", 1)[-1] for b in cls.bases]
        if any(b in ("AppConfig", "BaseCommand") for b in bases):
            return False
        if any(b.endswith(PER_REQUEST_BASES) for b in bases):
            return True  # a view or request handler: a new instance per request
        if func.name.value in PER_OBJECT or func.name.value in self._called_from_init(cls):
            return True
        # a set-up method of the object (`attach`, `start`): once per instance too
        return position is not None and self._setup_by_name_or_decorator(func)

    @staticmethod
    def _ends(cls: cst.ClassDef) -> bool:
        """The class has a method that ends an object's life (``close``, ``stop``,
        ``__exit__``, ...; FFT306's ``end_methods``): its objects go away before the process."""
        ends = set(load_catalog("timers.yaml")["end_methods"])
        return any(isinstance(s, cst.FunctionDef) and s.name.value in ends for s in cls.body.body)

    @staticmethod
    def _called_from_init(cls: cst.ClassDef) -> Set[str]:
        out: Set[str] = set()
        for stmt in cls.body.body:
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value in PER_OBJECT:
                for sub in walk_nodes(stmt.body, into_scopes=False):
                    if isinstance(sub, cst.Call) and isinstance(sub.func, cst.Attribute):
                        if isinstance(sub.func.value, cst.Name) and sub.func.value.value == "self":
                            out.add(sub.func.attr.value)
        return out

    def _weak_fix(self, entry: Dict[str, Any], call: cst.Call) -> Optional[FixSpec]:
        """Drop ``weak=False``: the receiver is then held weakly (a bound method for as long
        as its object lives). Unsafe: an object only the signal kept alive goes away."""
        weak_keyword = entry.get("weak_keyword")
        args = [a for a in call.args if not (a.keyword is not None and a.keyword.value == weak_keyword)]
        if len(args) == len(call.args) or not args:
            return None
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return replace(call, call.with_changes(args=args), safety=UNSAFE, title=f"Drop `{weak_keyword}=False`: hold the receiver weakly")

    def _repeated_in_loop(self, call: cst.Call, receiver: Optional[cst.BaseExpression]) -> bool:
        """In a loop of its function, a registration *on* an object repeats when that object
        is the same each time (the handler may vary: one more handler per iteration); one
        without a receiver (`atexit.register(...)`) repeats when nothing in it varies."""
        return repeats_in_loop(self.ctx, receiver if receiver is not None else call)

    def _match(self, call: cst.Call) -> Optional[Tuple[Dict[str, Any], Optional[cst.BaseExpression]]]:
        names = self.ctx.names
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value not in self._attrs_matched:
            return None  # ``x.other(...)``: no catalog call or method ends so (as the pre-check)
        if isinstance(func, cst.Name) and self._imported_under_another_name(func.value):
            return None  # ``from .util import write``: not a catalog call (as the pre-check)
        resolved = names.resolve(func)
        method = func.attr.value if isinstance(func, cst.Attribute) else None
        receiver = func.value if isinstance(func, cst.Attribute) else None
        receiver_name: Optional[str] = None
        for entry in self._entries:
            if resolved is not None and resolved in entry.get("calls", ()):
                return entry, None
            if method is None or receiver is None:
                continue
            if method in entry.get("methods", ()):
                return entry, receiver
            if method not in entry.get("receiver_methods", ()):
                continue
            if "receivers" in entry:
                if receiver_name is None:
                    receiver_name = self._receiver_name(receiver)
                if receiver_name and any(fnmatch.fnmatchcase(receiver_name, g) for g in entry["receivers"]):
                    return entry, receiver
            elif "qt" in entry and self._imports_any(entry["qt"]):
                # `self.<widget>.<signal>.connect(...)` or `self.<signal>.connect(...)`
                if isinstance(receiver, cst.Attribute) and root_name(receiver) == "self":
                    return entry, receiver
                # `SETTINGS.changed.connect(...)`: a signal of a module-level object
                if isinstance(receiver, cst.Attribute) and isinstance(receiver.value, cst.Name) and call.args:
                    if self._qt_module_object(receiver.value.value):
                        return entry, receiver
        return None

    def _imported_under_another_name(self, name: str) -> bool:
        """``name`` is bound by ``from m import x`` only (never assigned in the file), and no
        catalog call ends in ``x``: a re-export of ``atexit.register`` under another name
        is not followed (the pre-check cannot afford to resolve every imported call)."""
        origins, assigned = self.ctx.shared(("FFT301", "import-origins"), self._import_table)
        found = origins.get(name)
        return bool(found) and name not in assigned and not (found & self._call_lasts)

    def _import_table(self) -> Tuple[Dict[str, Set[str]], Set[str]]:
        origins: Dict[str, Set[str]] = {}
        assigned: Set[str] = set()
        tree = getattr(self.ctx.names.facts, "tree", None)
        if tree is not None:
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom):
                    for alias in node.names:
                        origins.setdefault(alias.asname or alias.name, set()).add(alias.name)
                elif isinstance(node, ast.Name) and type(node.ctx) is ast.Store:
                    assigned.add(node.id)
        return origins, assigned

    def _receiver_name(self, receiver: cst.BaseExpression) -> str:
        """The canonical name of a receiver; a name defined in another module of the
        project (``from .signals import order_paid``) is followed to what that module
        binds it to (``order_paid = Signal()`` -> ``django.dispatch.Signal()``)."""
        return self.ctx.names.resolve(receiver) or ""  # the facts layer follows it

    def _qt_module_object(self, name: str) -> bool:
        """``name`` is a module-level object that lives as long as its module: made at
        module level in this file (``SETTINGS = Settings()``), or imported from a module of
        the same package (``from .settings import SETTINGS``). A name the function binds
        itself is ruled out later (``_receiver_is_local``); anything else stays unknown."""
        facts = self.ctx.names.facts
        if facts is None or name == "self":
            return False
        values = facts.module_globals().get(name)
        if not values:
            return False
        top = (self.ctx.module_name or "").split(".")[0]
        for value in values:
            if not isinstance(value, str) or value in ("?", "None"):
                return False
            if value.endswith("()"):
                continue  # an instance made when the module runs
            if not (top and value.startswith(top + ".") and value.count(".") >= 2):
                return False  # a library's name: a module, a class, anything
        return True

    def _imports_any(self, modules: List[str]) -> bool:
        if self._qt is None:
            self._qt = set(self.ctx.names.module_roots())
        return any(m in self._qt for m in modules)

    # -- does the function run once? ------------------------------------------
    def _runs_once(self, func: cst.FunctionDef, cls: Optional[cst.CSTNode]) -> bool:
        if self._setup_by_name_or_decorator(func):
            return True
        if cls is None:
            return func.name.value in self._called_at_module_level()
        return func.name.value in self._setup_methods(cls)

    def _setup_by_name_or_decorator(self, func: cst.FunctionDef) -> bool:
        if setup_by_name(func.name.value, self._setup_names):
            return True
        for deco in func.decorators:
            expr = deco.decorator
            target = expr.func if isinstance(expr, cst.Call) else expr
            text = dotted(target) or ""
            last = text.rsplit(".", 1)[-1]
            if setup_decorator(text):
                return True
            if last == "receiver" and isinstance(expr, cst.Call) and expr.args:
                signal = dotted(expr.args[0].value) or ""
                if signal.rsplit(".", 1)[-1] in ONCE_SIGNALS:
                    return True
        return False

    def _called_at_module_level(self) -> Set[str]:
        if self._module_calls is None:
            calls: Set[str] = set()
            for sub in walk_nodes(self.ctx.module, into_scopes=False):
                if isinstance(sub, cst.Call) and isinstance(sub.func, cst.Name):
                    calls.add(sub.func.value)
            self._module_calls = calls
        return self._module_calls

    def _setup_methods(self, cls: cst.CSTNode) -> FrozenSet[str]:
        """Methods that run once per object: set-up by name, and those they call on self."""
        cached = self._class_setup.get(id(cls))
        if cached is not None:
            return cached
        assert isinstance(cls, cst.ClassDef)
        methods = {
            stmt.name.value: stmt for stmt in cls.body.body if isinstance(stmt, cst.FunctionDef)
        }
        if self._is_command(cls):
            # a command-line command (Django's BaseCommand, cliff, ...) runs once per process
            result = frozenset(methods)
            self._class_setup[id(cls)] = result
            return result
        setup = {name for name, fn in methods.items() if self._setup_by_name_or_decorator(fn)}
        todo = list(setup)
        while todo:
            fn = methods[todo.pop()]
            # a method called in a loop of set-up code runs once per item, not once
            per_item = {id(n) for loop in walk_nodes(fn.body, into_scopes=False) if isinstance(loop, (cst.For, cst.While))
                        for n in walk_nodes(loop.body, into_scopes=False)}
            for sub in walk_nodes(fn.body, into_scopes=False):
                if id(sub) in per_item:
                    continue
                if (
                    isinstance(sub, cst.Call)
                    and isinstance(sub.func, cst.Attribute)
                    and isinstance(sub.func.value, cst.Name)
                    and sub.func.value.value == "self"
                ):
                    callee = sub.func.attr.value
                    if callee in methods and callee not in setup:
                        setup.add(callee)
                        todo.append(callee)
        result = frozenset(setup)
        self._class_setup[id(cls)] = result
        return result

    @staticmethod
    def _is_command(cls: cst.ClassDef) -> bool:
        for base in cls.bases:
            name = (dotted(base.value) or "").rsplit(".", 1)[-1]
            if name.endswith("Command"):
                return True
        return False

    # -- is it released? --------------------------------------------------------
    def _released(self, entry: Dict[str, Any], index: int) -> bool:
        unregister = entry.get("unregister") or ()
        if not unregister:
            return False
        frames = self.ctx.stack.frames
        # the function itself, and the outermost definition around it: its class (a
        # `stop()` method pairs with `start()`), or its module-level enclosing function.
        # Not the whole module: an unrelated function's clean-up must not excuse this one.
        outer = next((f for f in frames[1 : index + 1] if f.kind in ("class", "def", "async def")), None)
        scopes = [frames[index].node]
        if outer is not None and outer.node is not frames[index].node:
            scopes.append(outer.node)
        for scope in scopes:
            if any(name in self._attribute_names(scope) for name in unregister):
                return True
        return False

    def _attribute_names(self, node: cst.CSTNode) -> Set[str]:
        found = self._attrs.get(id(node))
        if found is None:
            found = attribute_names(node)
            self._attrs[id(node)] = found
        return found

    # -- what is registered on what ---------------------------------------------
    def _locals(self, func: cst.FunctionDef) -> Dict[str, Tuple[str, Optional[cst.CSTNode]]]:
        """Names bound in ``func``'s own body: kind ("param", "call", "alias", "lambda",
        "def", "loop", "other") and the bound value where there is one."""
        cached = self._locals_cache.get(id(func))
        if cached is not None:
            return cached
        out: Dict[str, Tuple[str, Optional[cst.CSTNode]]] = {}
        params = func.params
        for p in (*params.posonly_params, *params.params, *params.kwonly_params):
            out[p.name.value] = ("param", None)
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                out[star.name.value] = ("param", None)

        def bind(target: cst.CSTNode, kind: str, value: Optional[cst.CSTNode]) -> None:
            if isinstance(target, cst.Name):
                previous = out.get(target.value)
                # a local object wins over an alias or a parameter: precision first
                if previous is None or previous[0] in ("param", "alias"):
                    out[target.value] = (kind, value)
            elif isinstance(target, (cst.Tuple, cst.List)):
                for el in target.elements:
                    bind(el.value, "other", None)
            elif isinstance(target, cst.StarredElement):
                bind(target.value, "other", None)

        def classify(value: cst.CSTNode) -> str:
            if isinstance(value, cst.Call):
                return "call"
            if isinstance(value, cst.Lambda):
                return "lambda"
            if isinstance(value, (cst.Name, cst.Attribute)):
                return "alias"
            return "other"

        for sub in walk_nodes(func.body, into_scopes=False):
            if isinstance(sub, cst.Assign):
                for t in sub.targets:
                    bind(t.target, classify(sub.value), sub.value)
            elif isinstance(sub, (cst.AnnAssign, cst.NamedExpr)) and sub.value is not None:
                bind(sub.target, classify(sub.value), sub.value)
            elif isinstance(sub, (cst.For, cst.CompFor)):
                bind(sub.target, "loop", None)
            elif isinstance(sub, cst.WithItem) and sub.asname is not None:
                bind(sub.asname.name, "loop", None)
            elif isinstance(sub, (cst.FunctionDef, cst.ClassDef)):
                bind(sub.name, "def", sub)
        self._locals_cache[id(func)] = out
        return out

    def _receiver_is_local(self, entry: Dict[str, Any], receiver: cst.BaseExpression, func: cst.FunctionDef) -> bool:
        """The object registered *on* was made in this function: it dies with the registration."""
        factories = entry.get("global_factories", ())
        base = receiver
        while isinstance(base, (cst.Attribute, cst.Subscript)):
            base = base.value
        if isinstance(base, cst.Call):
            return (self.ctx.names.resolve(base.func) or "") not in factories
        if not isinstance(base, cst.Name):
            return True
        if "qt" in entry:
            if base.value == "self":
                return False
            return base.value in self._locals(func) or not self._qt_module_object(base.value)
        kind, value = self._locals(func).get(base.value, ("global", None))
        if kind == "call":
            assert isinstance(value, cst.Call)
            return (self.ctx.names.resolve(value.func) or "") not in factories
        return kind in ("loop", "def", "lambda", "other")

    def _argument(self, entry: Dict[str, Any], call: cst.Call) -> Optional[cst.BaseExpression]:
        keyword = entry.get("argument_keyword")
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value == keyword:
                return arg.value
        position = entry.get("argument", 0)
        positional = [a for a in call.args if a.keyword is None and not a.star]
        return positional[position].value if len(positional) > position else None

    def _keyword(self, call: cst.Call, name: str) -> Optional[cst.BaseExpression]:
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value == name:
                return arg.value
        return None

    def _idempotent(self, entry: Dict[str, Any], call: cst.Call, func: cst.FunctionDef) -> bool:
        """A repeat of this registration adds nothing (or is dropped, or owned by the caller)."""
        if any(self._keyword(call, kw) is not None for kw in entry.get("dedup_keywords", ())):
            return True
        markers = entry.get("unique_markers", ())
        if markers and any(m in (dotted(a.value) or "") for a in call.args for m in markers):
            return True
        if entry.get("per_resource_cleanup"):
            positional = [a for a in call.args if a.keyword is None]
            if len(positional) > 1 or any(a.keyword is not None for a in call.args):
                return True  # `atexit.register(os.remove, path)`: one callback per resource
            if positional and self._fresh(positional[0].value, func) and self._closes_over_local(positional[0].value, func):
                return True  # a closure over what this call created
            if positional and self._method_of_new_object(positional[0].value, func):
                return True  # `lock = make_lock(); atexit.register(lock.release)`
        if entry.get("dedup") != "argument":
            return False
        weak_keyword = entry.get("weak_keyword")
        if weak_keyword:
            weak = self._keyword(call, weak_keyword)
            if not (isinstance(weak, cst.Name) and weak.value == "False"):
                return True  # held weakly: a fresh receiver is dropped, not kept
        arg = self._argument(entry, call)
        if arg is None or not self._fresh(arg, func):
            return True  # `self._handler`, a module-level object: the same one each time
        return isinstance(arg, cst.Name) and entry.get("returned_is_owned", True) and self._returns(func, arg.value)

    def _fresh(self, arg: cst.BaseExpression, func: cst.FunctionDef) -> bool:
        """A new object on every call: a constructor call, a lambda, a nested def."""
        if isinstance(arg, (cst.Call, cst.Lambda)):
            return True
        if isinstance(arg, cst.Name):
            kind, _ = self._locals(func).get(arg.value, ("global", None))
            return kind in ("call", "lambda", "def")
        return False

    def _closes_over_local(self, arg: cst.BaseExpression, func: cst.FunctionDef) -> bool:
        """A fresh callback that uses a name of ``func`` (a parameter or a local it
        assigns): it cleans up something of this call. One that uses only globals is the
        same callback registered again."""
        local = set(self._locals(func))
        if isinstance(arg, cst.Name):
            kind, value = self._locals(func).get(arg.value, ("global", None))
            if kind == "def" and isinstance(value, cst.FunctionDef):
                body: cst.CSTNode = value.body
            elif kind in ("lambda", "call") and value is not None:
                body = value
            else:
                return True
            local.discard(arg.value)
        elif isinstance(arg, cst.Lambda):
            body = arg.body
        else:
            body = arg
        return any(isinstance(n, cst.Name) and n.value in local for n in [body, *walk_nodes(body)])

    def _method_of_new_object(self, arg: cst.BaseExpression, func: cst.FunctionDef) -> bool:
        """``obj.method`` where ``obj`` (a local or an attribute) is assigned the result of
        a call in this function: one callback per object this call created."""
        if not isinstance(arg, cst.Attribute):
            return False
        owner = arg.value
        if isinstance(owner, cst.Name):
            kind, _ = self._locals(func).get(owner.value, ("global", None))
            return kind == "call"
        text = dotted(owner)
        if not text or not isinstance(owner, cst.Attribute):
            return False
        for sub in walk_nodes(func.body, into_scopes=False):
            if isinstance(sub, cst.Assign) and isinstance(sub.value, cst.Call):
                if any(dotted(t.target) == text for t in sub.targets):
                    return True
        return False

    @staticmethod
    def _returns(func: cst.FunctionDef, name: str) -> bool:
        for sub in walk_nodes(func.body, into_scopes=False):
            if isinstance(sub, (cst.Return, cst.Yield)) and sub.value is not None:
                value = sub.value
                items = [el.value for el in value.elements] if isinstance(value, cst.Tuple) else [value]
                if any(isinstance(item, cst.Name) and item.value == name for item in items):
                    return True
        return False

    # -- guards ---------------------------------------------------------------------
    def _guarded(self, func: cst.FunctionDef, receiver: Optional[cst.BaseExpression]) -> bool:
        statements = self.ctx.statements
        try:
            start = max(i for i, s in enumerate(statements) if s is func)
        except ValueError:
            return False
        receiver_text = (dotted(receiver) or "") if receiver is not None else ""
        if receiver_text == "self":
            receiver_text = ""
        global_names = {
            n.name.value
            for sub in walk_nodes(func.body, into_scopes=False)
            if isinstance(sub, (cst.Global, cst.Nonlocal))
            for n in sub.names
        }
        chain = statements[start:]
        for i, stmt in enumerate(chain):
            if isinstance(stmt, cst.If) and i + 1 < len(chain) and self._guard_test(stmt.test, receiver_text, global_names, True):
                return True
            if i + 1 < len(chain):
                for sibling in self._preceding(stmt, chain[i + 1]):
                    if isinstance(sibling, cst.If) and self._exits(sibling) and self._guard_test(
                        sibling.test, receiver_text, global_names, False
                    ):
                        return True
        return False

    @staticmethod
    def _blocks(stmt: cst.CSTNode) -> List[List[cst.CSTNode]]:
        out: List[List[cst.CSTNode]] = []

        def add(block: Any) -> None:
            if isinstance(block, cst.IndentedBlock):
                out.append(list(block.body))

        add(getattr(stmt, "body", None))
        orelse = getattr(stmt, "orelse", None)
        if isinstance(orelse, cst.If):
            out.append([orelse])
        elif orelse is not None:
            add(orelse.body)
        if isinstance(stmt, cst.Try):
            for handler in stmt.handlers:
                add(handler.body)
            if stmt.finalbody is not None:
                add(stmt.finalbody.body)
        return out

    def _preceding(self, parent: cst.CSTNode, child: cst.CSTNode) -> List[cst.CSTNode]:
        for block in self._blocks(parent):
            for j, stmt in enumerate(block):
                if stmt is child:
                    return block[:j]
        return []

    @staticmethod
    def _exits(node: cst.If) -> bool:
        body = node.body
        last = body.body[-1] if isinstance(body, cst.IndentedBlock) and body.body else None
        if isinstance(last, cst.SimpleStatementLine):
            last = last.body[-1] if last.body else None
        elif isinstance(body, cst.SimpleStatementSuite):
            last = body.body[-1] if body.body else None
        return isinstance(last, (cst.Return, cst.Raise, cst.Continue))

    def _guard_test(self, test: cst.BaseExpression, receiver_text: str, global_names: Set[str], negation: bool) -> bool:
        for sub in [test, *walk_nodes(test)]:
            if negation and isinstance(sub, cst.UnaryOperation) and isinstance(sub.operator, cst.Not):
                return True
            if isinstance(sub, cst.Comparison):
                for target in sub.comparisons:
                    op = target.operator
                    if isinstance(op, (cst.NotIn, cst.In)):
                        return True
                    if isinstance(op, (cst.Is, cst.IsNot)) and isinstance(target.comparator, cst.Name) and target.comparator.value == "None":
                        return True
            if isinstance(sub, cst.Name) and sub.value in global_names:
                return True
        text = self.ctx.code_for(test)
        if receiver_text and receiver_text in text:
            return True
        lowered = text.lower()
        return any(word in lowered for word in GUARD_WORDS)
