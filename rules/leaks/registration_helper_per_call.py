"""FFT309: a set-up helper that registers a listener, called again and again."""

from __future__ import annotations

import ast
import os
from functools import lru_cache
from typing import Any, Dict, FrozenSet, List, Optional, Set, Tuple

import libcst as cst

from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.rule import Invalid, Rule, Valid
from fftlint.types import Related, Span

from ._common import LeaksOptions, leak_facts, load_catalog, walk_nodes
from .listener_per_call import setup_by_name, setup_decorator
from . import switched
from .callers import NAME as CALLERS, CallersProvider
from .provider import CACHED, NAME, SETUP, LeaksProvider
from .switched import exits_of

LOGS = (
    "import logging\n\n"
    "def setup_logger(name):\n"
    "    logger = logging.getLogger(name)\n"
    "    logger.addHandler(logging.FileHandler(name + '.log'))\n"
    "    return logger\n\n"
)


HOOKS = (
    "import atexit\n\n"
    "def flush():\n"
    "    pass\n\n"
    "def init_hooks(disabled=False):\n"
    "    if disabled:\n"
    "        return\n"
    "    atexit.register(flush)\n\n"
)


class RegistrationHelperPerCall(Rule):
    """## What it does
    Checks for calls, in code that runs again and again, to a function of your project
    that is set-up code by its name (`setup_logger`, `configure_logging`,
    `add_file_handler`, your `setup-functions`) and registers something that piles up:
    it adds a logging handler made fresh in the call, registers an `atexit` callback,
    adds a warnings filter, installs a fault or loop signal handler, or pickles a class
    with `copyreg`, itself or through the functions it calls. Code that runs again and
    again is the body of a loop (in any function), or a function that is not set-up
    code itself: a request handler, a job, a method.

    FFT301 reports registrations in place in functions that run per call, and trusts
    set-up functions to run once; this rule reports where that trust breaks, at the call,
    with the chain that leads to the registration:
    `run_job -> setup_logger -> logger.addHandler`.

    Not reported (the same exceptions as FFT301, read in the helper's body): registrations
    the helper guards (`if not logger.handlers:`, `if logger.hasHandlers(): return`, a
    module-level flag) or undoes (`removeHandler`), a handler that is not made in the
    call (adding the same object again is a no-op), per-resource clean-up
    (`atexit.register(os.remove, path)`), helpers memoized with `functools.cache` /
    `lru_cache` (once per argument), calls in set-up code outside loops, module-level
    code, signal `connect` calls (FFT301 follows those through receivers), and calls under
    a lazy-initialisation guard (`if _store is None: _store = configure_store()`, `if not
    self._client: self._client = ...`), at the call or anywhere along the chain: they run
    the first time only. The same for a method of an object called under a test of that
    object's state (`if not q.is_active(): q.activate()`): it registers once per
    activation, not per call. A guard on another object's state does not count.

    Not reported either: a path a constant argument switches off. When a function on the
    chain leaves at once on a plain test of one of its parameters (`if disabled: return`,
    `if not enabled: return`, `raise` alike, at the top of its body, the parameter never
    re-bound) before the registering call, the argument is followed: a literal passed at
    the call (keyword or positional), the parameter's default when the call does not pass
    it, and a known parameter passed on by a function in between
    (`_processors(disabled=disabled)`). `disable()` calling
    `init_tracer_provider(disabled=True)` registers nothing; the same call with no
    argument, `disabled=False`, a variable or `**options` still reports. Only that plain
    test is read: `if not processors: return` after `processors = make(disabled=...)` is
    not.

    Nor calls in a command-line entry point, which runs once per process by its role: a
    function with a parameter annotated `argparse.Namespace` (it takes the parsed command
    line), the `func` an argparse sub-command dispatches to (`set_defaults(func=name)` in
    the same module), or a function the module's `if __name__ == "__main__":` block calls
    (click and typer commands are set-up code by their `@command` decorator already). The
    same for a module-level function whose every reference in the project is a plain call
    made once per process: in module-level code, or directly (not in a loop) in an entry
    point, in set-up code (`main()`), or in another such function, a few levels down; the
    function is undecorated, and private (`_run`) or defined in a module with an entry
    point (a public function of a library may be called by its users). A call in a loop,
    in a function that runs per call, an attribute call (`cli._run()`), the function handed
    around as a value, or a dispatch by an import string keeps it reported.

    Nor calls in a function that is set-up code by what it does: its own body (not a
    nested function) installs process-wide configuration, such as
    `metrics.set_meter_provider(...)`, `trace.set_tracer_provider(...)`,
    `logging.config.dictConfig(...)`, `sentry_sdk.init(...)` (`process_configuration` in
    `rules/leaks/listeners.yaml`). A getter that did that on every call would replace the
    process's configuration each time, so the code means it to run once per process.

    ## Why is this bad?
    A helper named `setup_logger` looks like it runs once, so its callers call it per job
    or per request. Each call adds one more handler to a logger that lives for the whole
    process: every record is then written once per call so far, and each `FileHandler`
    keeps its file open. `atexit` callbacks, warnings filters and loop signal handlers pile
    up the same way.

    ## Example
    ```python
    # logs.py
    def setup_logger(name):
        logger = logging.getLogger(name)
        logger.addHandler(logging.FileHandler(f"{name}.log"))
        return logger

    # jobs.py
    def run(job):
        log = setup_logger("jobs")
        log.info("running %s", job)
    ```

    ## Use instead
    Configure once (at start-up) and only get the logger per call:
    ```python
    # logs.py
    def setup_logger(name):
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(logging.FileHandler(f"{name}.log"))
        return logger
    ```
    or call `setup_logger` from `main()` and `logging.getLogger("jobs")` in `run`.

    ## Fix safety
    No automatic fix: where the set-up belongs is the program's to say.

    ## Options
    `[tool.fftlint.leaks]` `setup-functions` (shared with FFT301).
    """

    code = "FFT309"
    contexts = PRODUCTION_ONLY  # tests and scripts are short-lived: nothing piles up
    name = "registration-helper-per-call"
    message = "`{callee}` {what} {where} (through {chain}) and nothing removes it: {consequence}"
    Options = LeaksOptions
    options_key = "leaks"
    needs_project = True
    providers = (LeaksProvider, CallersProvider)
    tags = ("performance", "memory")

    VALID = [
        # set-up code that runs once
        LOGS + "def main():\n    setup_logger('app')\n",
        # the helper guards its handler
        "import logging\ndef setup_logger(name):\n    logger = logging.getLogger(name)\n    if not logger.handlers:\n        logger.addHandler(logging.StreamHandler())\n    return logger\n"
        "def run(job):\n    setup_logger('jobs').info(job)\n",
        # memoized: once per name
        "import functools, logging\n@functools.cache\ndef setup_logger(name):\n    logger = logging.getLogger(name)\n    logger.addHandler(logging.StreamHandler())\n    return logger\n"
        "def run(job):\n    setup_logger('jobs').info(job)\n",
        # the same handler object added again is a no-op
        "import logging\nHANDLER = logging.StreamHandler()\ndef setup_logger(name):\n    logging.getLogger(name).addHandler(HANDLER)\n"
        "def run(job):\n    setup_logger('jobs')\n",
        # per-resource clean-up
        "import atexit, os\ndef setup_scratch(path):\n    atexit.register(os.remove, path)\ndef run(paths):\n    for p in paths:\n        setup_scratch(p)\n",
        # a helper that is not set-up code: FFT301 reports inside it
        "import logging\ndef get_job_logger(name):\n    logger = logging.getLogger(name)\n    logger.addHandler(logging.StreamHandler())\n    return logger\n"
        "def run(jobs):\n    for j in jobs:\n        get_job_logger(j)\n",
        # the registration is undone
        "import logging\ndef setup_logger(name, h):\n    logger = logging.getLogger(name)\n    logger.addHandler(logging.StreamHandler())\n    logger.removeHandler(h)\n"
        "def run(job):\n    setup_logger('jobs', job)\n",
        Valid(LOGS + "def handle(request):\n    setup_logger(request.path)\n", path="tests/test_logs.py"),
        # a state guard on the same object: the registration runs once per activation
        "import atexit\nclass Queue:\n    def is_active(self):\n        return self._on\n    def activate(self):\n        atexit.register(self.flush)\n        self._on = True\n    def flush(self):\n        pass\nclass Repo:\n    def __init__(self):\n        self._queue = Queue()\n    def log_async(self, item, other):\n"
            "        if not self._queue.is_active():\n            self._queue.activate()\n",
        # a constant argument switches the registering path off (keyword, positional, passed on)
        HOOKS + "def disable():\n    init_hooks(disabled=True)\n",
        HOOKS + "def reset():\n    init_hooks(True)\n",
        HOOKS + "def init_tracing(disabled=False):\n    init_hooks(disabled=disabled)\ndef disable():\n    init_tracing(disabled=True)\n",
        "import atexit\ndef flush():\n    pass\ndef install_hooks(enabled=False):\n    if not enabled:\n        return\n    atexit.register(flush)\n"
        "def handle(request):\n    install_hooks()\n",
        # command-line entry points run once per process
        "from argparse import Namespace\n" + LOGS + "def run_command(args: Namespace):\n    setup_logger(args.name)\n",
        "import argparse\n" + LOGS + "def work(args):\n    setup_logger(args.name)\n"
        "def build():\n    p = argparse.ArgumentParser()\n    p.set_defaults(func=work)\n    return p\n",
        LOGS + "def report(path):\n    setup_logger(path)\nif __name__ == '__main__':\n    report('app')\n",
    ]
    INVALID = [
        Invalid(LOGS + "def run(job):\n    log = setup_logger('jobs')\n    log.info(job)\n", line=9, message_contains="run -> setup_logger -> logger.addHandler"),
        # the switch left at its default, passed False, or passed something unknown
        Invalid(HOOKS + "def set_destination(d):\n    init_hooks()\n", message_contains="set_destination -> init_hooks -> atexit.register"),
        Invalid(HOOKS + "def resume(request):\n    init_hooks(disabled=False)\n"),
        Invalid(HOOKS + "def toggle(request, flag):\n    init_hooks(disabled=flag)\n"),
        Invalid(HOOKS + "def apply(request, opts):\n    init_hooks(**opts)\n"),
        # a request handler in a module that also has a command line
        Invalid("import argparse\n" + LOGS + "def work(args):\n    setup_logger(args.name)\n"
                "def view(request):\n    setup_logger(request.path)\n"
                "def build():\n    p = argparse.ArgumentParser()\n    p.set_defaults(func=work)\n    return p\n", message_contains="on every call of `view`"),
        Invalid(LOGS + "def main(jobs):\n    for job in jobs:\n        setup_logger(job)\n", line=10, message_contains="on every iteration of a loop"),
        Invalid("import warnings\ndef configure_warnings():\n    warnings.filterwarnings('ignore', category=DeprecationWarning)\n"
                "class Handler:\n    def get(self, request):\n        configure_warnings()\n", message_contains="adds a warnings filter"),
        Invalid("import logging\ndef _attach(logger):\n    logger.addHandler(logging.StreamHandler())\n"
                "def setup_logging(name):\n    _attach(logging.getLogger(name))\n"
                "def handle(request):\n    setup_logging('web')\n", message_contains="handle -> setup_logging -> _attach -> logger.addHandler"),
        # no guard, or a guard on another object's state
        Invalid("import atexit\nclass Queue:\n    def is_active(self):\n        return self._on\n    def activate(self):\n        atexit.register(self.flush)\n        self._on = True\n    def flush(self):\n        pass\nclass Repo:\n    def __init__(self):\n        self._queue = Queue()\n    def log_async(self, item, other):\n"
            "        self._queue.activate()\n", message_contains="atexit"),
        Invalid("import atexit\nclass Queue:\n    def is_active(self):\n        return self._on\n    def activate(self):\n        atexit.register(self.flush)\n        self._on = True\n    def flush(self):\n        pass\nclass Repo:\n    def __init__(self):\n        self._queue = Queue()\n    def log_async(self, item, other):\n"
            "        if not other.is_active():\n            self._queue.activate()\n"),
    ]

    @classmethod
    def could_match(cls, view: Any) -> bool:
        """Stage 2, what the rule asks, on the ``ast``: a call in a ``def`` (in a loop, or
        in a function that is not set-up code) to a project function that is set-up code
        by name, not memoized, and whose chain reaches a registration. The callee is
        resolved only for calls that read as set-up calls (see :meth:`_reads_as_setup`)."""
        project = view.project
        if project is None or not hasattr(project, "targets"):
            return True
        provider = project.provider(NAME) if hasattr(project, "provider") else None
        words = getattr(provider, "facts", None) if provider is not None else None
        if isinstance(words, frozenset) and not words:
            return False  # no project file names a registration
        opts = view.options_for(cls)
        setup_names = tuple(opts.setup_functions) if isinstance(opts, LeaksOptions) else ()
        facts = leak_facts(view)
        loops = _loop_spans(view)
        for call in view.nodes(ast.Call):
            func = call.func
            if isinstance(func, ast.Attribute):
                spelled = {func.attr}
            elif isinstance(func, ast.Name):
                spelled = {func.id, *(str(v).rsplit(".", 1)[-1] for v in view.imported(func.id))}
            else:
                continue
            if not any(helper_by_name(name, setup_names) for name in spelled):
                continue
            fn = facts.innermost_function(call)
            if fn is None or facts.in_lambda(call):
                continue
            if not _in_span(call, loops, fn) and (setup_by_name(fn.name, setup_names) or _setup_decorated_ast(fn)):  # type: ignore[attr-defined]
                continue  # set-up code outside a loop: runs once
            values = view.values_at(func)
            if values is None:
                return True
            for target in project.targets(values):
                if SETUP in target.marks and CACHED not in target.marks and project.explain(target, NAME, view.module) is not None:
                    return True
        return False

    def __init__(self, ctx: Any, options: Any = None) -> None:
        super().__init__(ctx, options)
        opts = options if isinstance(options, LeaksOptions) else LeaksOptions()
        self._setup_names = tuple(opts.setup_functions)
        self._entries: Dict[str, Dict[str, Any]] = {str(e["id"]): e for e in load_catalog("listeners.yaml")["listeners"]}
        self._awaited: set = set()

    def visit_Await(self, node: cst.Await) -> None:
        self._awaited.add(id(node.expression))

    def visit_Call(self, node: cst.Call) -> None:
        project = self.ctx.project
        if project is None or not hasattr(project, "explain"):
            return
        frame = self.ctx.stack.function_frame
        if frame is None or not isinstance(frame.node, cst.FunctionDef):
            return  # module level, class body, lambda: runs once, or FFT301's business
        where = self._repeated(frame.node)
        if where is None or not self._reads_as_setup(node.func):
            return
        if id(node) in self._once_guarded(frame.node):
            return  # `if _store is None: _store = configure()`: runs once per process
        targets = project.targets(self.ctx.names.values(node.func))
        for target in targets:
            if SETUP not in target.marks or CACHED in target.marks:
                continue
            if target.is_async and id(node) not in self._awaited:
                continue  # a coroutine made and not awaited runs nothing
            found = project.explain(target, NAME, self.ctx.module_name)
            if found is not None:
                # a constant argument (or a parameter's default) may switch the path off:
                # search again with what the call passes (the same chain when nothing does)
                found = switched.explain(project, target, NAME, self._bound(node, target))
            if found is None:
                continue
            entry = self._entries.get(found.effect.kind, {})
            chain = [frame.node.name.value, *found.names]
            related = [Related(step.what, self._path(step.path), Span(step.line, step.column + 1, step.line, step.column + 1)) for step in found.steps]
            self.report(
                node,
                callee=" ".join(self.ctx.code_for(node.func).split()) + "(...)",
                what=str(entry.get("what", "registers a listener")),
                where=where,
                chain=" -> ".join(chain),
                consequence=" ".join(str(entry.get("consequence", "registrations pile up")).split()),
                properties={"chain": chain, "registration": found.effect.kind},
                related=related,
            )
            return

    def _bound(self, node: cst.Call, target: Any) -> switched.Bound:
        """What the call passes to ``target``'s switch parameters (literals only)."""
        positional: List[Optional[str]] = []
        keywords: Dict[str, Optional[str]] = {}
        is_starred = False
        for arg in node.args:
            if arg.star:
                is_starred = True
            elif arg.keyword is not None:
                keywords[arg.keyword.value] = _cst_literal(arg.value)
            else:
                positional.append(_cst_literal(arg.value))
        return switched.bind(exits_of(target), tuple(positional), keywords, is_starred, {}, switched.params_of(target))

    def _once_guarded(self, fn: cst.FunctionDef) -> set:
        """Calls in ``fn`` under a lazy-initialisation guard (``if X is None:`` or ``if not
        X:`` whose body assigns ``X``), as the provider's :func:`once_guarded` reads them."""
        cache: Dict[int, set] = self.ctx.shared(("FFT309", "once"), dict)
        if id(fn) not in cache:
            cache[id(fn)] = _once_guarded_cst(fn)
        return cache[id(fn)]

    def _reads_as_setup(self, func: cst.BaseExpression) -> bool:
        """The caller sees a set-up call: the callee's name (``setup_logger``,
        ``logsetup.configure``), or the name it was imported as
        (``from .logs import setup_logger as make_log``), is set-up code by name. An alias
        made by assignment is not followed."""
        if isinstance(func, cst.Attribute):
            return helper_by_name(func.attr.value, self._setup_names)
        if isinstance(func, cst.Name):
            if helper_by_name(func.value, self._setup_names):
                return True
            origin = self.ctx.shared(("FFT309", "import-origins"), self._import_origins).get(func.value, ())
            return any(helper_by_name(name, self._setup_names) for name in origin)
        return False

    def _import_origins(self) -> Dict[str, set]:
        """local name -> the names ``from m import name as local`` imported it under."""
        out: Dict[str, set] = {}
        facts = self.ctx.names.facts
        tree = getattr(facts, "tree", None)
        if tree is None:
            return out
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    out.setdefault(alias.asname or alias.name, set()).add(alias.name)
        return out

    def _repeated(self, func: cst.FunctionDef) -> Optional[str]:
        """Where the call repeats: "on every iteration of a loop" (in any function), "on
        every call of `f`" (a function that is not set-up code), or None."""
        if self.ctx.stack.in_loop:
            return "on every iteration of a loop"
        if setup_by_name(func.name.value, self._setup_names) or self._setup_decorated(func):
            return None
        if self._entry_point(func):
            return None  # a command-line entry point: runs once per process
        if self.ctx.shared(("FFT309", "configures", id(func)), lambda: self._configures_process(func)):
            return None  # it installs process-wide configuration: set-up code by what it does
        return f"on every call of `{func.name.value}`"

    def _configures_process(self, func: cst.FunctionDef) -> bool:
        """A call in the function's own body (not a nested def, lambda or class) installs
        process-wide configuration (``process_configuration`` in ``listeners.yaml``:
        ``metrics.set_meter_provider(...)``, ``logging.config.dictConfig(...)``)."""
        wanted = set(load_catalog("listeners.yaml").get("process_configuration", ()))
        resolve = self.ctx.names.resolve
        for node in walk_nodes(func.body, into_scopes=False):
            if isinstance(node, cst.Call) and resolve(node.func) in wanted:
                return True
        return False

    def _entry_point(self, func: cst.FunctionDef) -> bool:
        """What the code says of a function that runs once per process, by its role: it
        takes the parsed command line (a parameter annotated ``argparse.Namespace``), it
        is the ``func`` an argparse sub-command dispatches to
        (``parser.set_defaults(func=run)`` in this module), or the module's
        ``if __name__ == "__main__":`` block calls it. Click / typer commands are set-up
        by their decorator (``@cli.command()``)."""
        params = func.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            if param.annotation is not None and self.ctx.names.resolve(param.annotation.annotation) == "argparse.Namespace":
                return True
        for frame in self.ctx.stack.frames:
            if frame.node is func:
                break
            if frame.kind in ("def", "async def", "lambda", "class"):
                return False  # a method or a nested function: not named by the module's dispatch
        if func.name.value in self.ctx.shared(("FFT309", "entry-points"), self._module_entry_points):
            return True
        # every call of it in the project is made once per process (`main()` -> `_run(args)`)
        project = self.ctx.project
        once = project.facts_of(CALLERS) if project is not None and hasattr(project, "facts_of") else None
        return bool(once) and (os.path.abspath(self.ctx.path), func.name.value) in once

    def _module_entry_points(self) -> FrozenSet[str]:
        tree = getattr(self.ctx.names.facts, "tree", None)
        return module_entry_points(tree) if tree is not None else frozenset()

    def _setup_decorated(self, func: cst.FunctionDef) -> bool:
        from fftlint.analysis.names import dotted

        for deco in func.decorators:
            expr = deco.decorator
            target = expr.func if isinstance(expr, cst.Call) else expr
            if setup_decorator(dotted(target) or ""):
                return True
        return False

    def _path(self, path: str) -> str:
        if not path or os.path.abspath(path) == os.path.abspath(self.ctx.path):
            return self.ctx.path
        return path


@lru_cache(maxsize=8192)  # asked for every call of every file the pre-check reads
def helper_by_name(name: str, setup_names: Tuple[str, ...]) -> bool:
    """A set-up helper by its name (FFT301's test), constructors and other dunders aside:
    they run per object by design, and FFT301 reads them as such."""
    return not (name.startswith("__") and name.endswith("__")) and setup_by_name(name, setup_names)


def module_entry_points(tree: ast.Module) -> FrozenSet[str]:
    """Names of the module's functions that run once per process by the module's own
    dispatch: ``X.set_defaults(func=name)`` (argparse sub-commands) and plain calls
    ``name(...)`` in the body of ``if __name__ == "__main__":``."""
    out: Set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "set_defaults":
            out.update(set_defaults_targets(node))
    return frozenset(out | main_block_calls(tree))


def set_defaults_targets(call: ast.Call) -> Set[str]:
    """``name`` of ``X.set_defaults(func=name)`` (the caller checked the method's name)."""
    return {kw.value.id for kw in call.keywords if kw.arg == "func" and isinstance(kw.value, ast.Name)}


def main_block_calls(tree: ast.Module) -> Set[str]:
    """Names called plainly (``name(...)``) in the module's ``if __name__ == "__main__":``
    blocks; only those blocks are walked."""
    out: Set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.If) and _is_main_test(stmt.test):
            for sub in stmt.body:
                for call in ast.walk(sub):
                    if isinstance(call, ast.Call) and isinstance(call.func, ast.Name):
                        out.add(call.func.id)
    return out


def _is_main_test(test: ast.AST) -> bool:
    """``__name__ == "__main__"`` (either side)."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = (test.left, test.comparators[0])
    return any(isinstance(x, ast.Name) and x.id == "__name__" for x in sides) and any(
        isinstance(x, ast.Constant) and x.value == "__main__" for x in sides
    )


def _setup_decorated_ast(fn: Any) -> bool:
    from fftlint.analysis.names import ast_dotted

    for deco in fn.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        if setup_decorator(ast_dotted(target) or ""):
            return True
    return False


def _loop_spans(view: Any) -> Any:
    def compute(v: Any) -> Any:
        kinds = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
        return [
            ((n.lineno, n.col_offset), (getattr(n, "end_lineno", None) or 1 << 30, getattr(n, "end_col_offset", None) or 0))
            for n in v.nodes(*kinds)
        ]

    return view.memo("fft309.loops", compute)


def _in_span(node: ast.AST, spans: Any, fn: Any) -> bool:
    """``node`` is in a loop or comprehension inside ``fn``."""
    pos = (node.lineno, node.col_offset)  # type: ignore[attr-defined]
    start = (fn.body[0].lineno, fn.body[0].col_offset)
    return any(s <= pos < e and s >= start for s, e in spans)


def _cst_literal(node: cst.BaseExpression) -> Optional[str]:
    """An argument's literal text as the facts spell it (``True``, ``0``, ``'x'``)."""
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return node.value
    if isinstance(node, (cst.Integer, cst.Float)):
        return node.value
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return repr(value) if isinstance(value, str) else None
    return None


def _dotted_cst(node: cst.BaseExpression) -> Optional[str]:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = _dotted_cst(node.value)
        return None if head is None else f"{head}.{node.attr.value}"
    return None


def _state_receiver(test: cst.BaseExpression) -> Optional[str]:
    """``R.<predicate>()`` (a state test of the object ``R``) -> ``R`` as a dotted name."""
    if isinstance(test, cst.Call) and isinstance(test.func, cst.Attribute) and not test.args:
        return _dotted_cst(test.func.value) or None
    return None


def _once_guarded_cst(fn: cst.FunctionDef) -> set:
    out: set = set()

    class Calls(cst.CSTVisitor):
        def __init__(self) -> None:
            self.ids: set = set()
            self.assigned: set = set()

        def visit_Call(self, n: cst.Call) -> None:
            self.ids.add(id(n))

        def visit_Assign(self, n: cst.Assign) -> None:
            self.assigned.update(_dotted_cst(t.target) for t in n.targets)

        def visit_AnnAssign(self, n: cst.AnnAssign) -> None:
            self.assigned.add(_dotted_cst(n.target))

    class Guards(cst.CSTVisitor):
        def visit_If(self, n: cst.If) -> None:
            test = n.test
            subject: Optional[cst.BaseExpression] = None
            if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
                subject = test.expression
                state = _state_receiver(subject)
                if state is not None:
                    # `if not q.is_active(): q.activate()`: once per change of q's state
                    out.update(id(c) for c in walk_nodes(n.body) if isinstance(c, cst.Call)
                               and isinstance(c.func, cst.Attribute) and _dotted_cst(c.func.value) == state)
                    return
            elif isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
                comp = test.comparisons[0]
                if isinstance(comp.operator, cst.Is) and isinstance(comp.comparator, cst.Name) and comp.comparator.value == "None":
                    subject = test.left
            text = _dotted_cst(subject) if subject is not None else None
            if not text:
                return
            body = Calls()
            n.body.visit(body)
            if text in body.assigned:
                out.update(body.ids)

    fn.body.visit(Guards())
    return out
