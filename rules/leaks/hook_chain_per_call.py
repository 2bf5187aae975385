"""FFT307: a process-wide hook (``sys.excepthook``, a signal handler) wrapped around the previous one on every call."""

from __future__ import annotations

import ast
from typing import Any, Dict, List, Optional, Set

import libcst as cst

from fftlint.analysis.names import dotted
from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.facts.bindings import own_nodes
from fftlint.rule import Invalid, Rule

from ._common import (
    LeaksOptions,
    called_or_aliased,
    in_dead_branch,
    leak_facts,
    load_catalog,
    may_resolve,
    reachable,
    repeats_in_loop,
    repeats_in_loop_ast,
    split_name,
    walk_nodes,
)
from .listener_per_call import setup_by_name

CATALOG = "hooks.yaml"


def _catalog() -> Dict[str, Any]:
    return load_catalog(CATALOG)


class HookChainPerCall(Rule):
    """## What it does
    Checks for a process-wide hook installed by code that runs again and again, when the
    new hook wraps the one before it:
    - `sys.excepthook`, `threading.excepthook`, `sys.unraisablehook`, `sys.displayhook` or
      `sys.breakpointhook` assigned in a function that also reads the current hook
      (`previous = sys.excepthook`, `sys.excepthook = wrap(sys.excepthook)`);
    - `signal.signal(signum, handler)` with a handler made in the call (a nested function, a
      lambda, `functools.partial(...)`), when the function keeps the previous handler
      (`previous = signal.signal(...)`, `signal.getsignal(...)`).

    "Runs again and again": a function that is not set-up code by its name (`install_*`,
    `setup_*`, `main`, `__init__` ... are, and the `setup-functions` option adds more), or
    any code in a loop. Not reported: a function that puts the previous hook back
    (`sys.excepthook = previous`, `signal.signal(signum, previous)`), or that tests the
    current hook first (`if sys.excepthook is not _hook:`). Hooks installed through helpers
    of other modules are not followed.

    ## Why is this bad?
    Each call installs one more wrapper around the previous hook, so the chain grows by one
    level per call: every wrapper (and all its closure holds: requests, jobs, loggers) stays
    alive for the rest of the process, and each exception or signal runs through all of them —
    duplicate crash reports, a signal handled N times, and eventually a `RecursionError` in
    the hook itself.

    ## Example
    ```python
    import sys

    def run_job(job):
        previous = sys.excepthook

        def hook(*exc_info):
            job.report(exc_info)
            previous(*exc_info)

        sys.excepthook = hook
        job.run()
    ```

    ## Use instead
    Install the hook once, or put the previous one back:
    ```python
    import sys

    def run_job(job):
        previous = sys.excepthook

        def hook(*exc_info):
            job.report(exc_info)
            previous(*exc_info)

        sys.excepthook = hook
        try:
            job.run()
        finally:
            sys.excepthook = previous
    ```

    ## Fix safety
    No fix: whether the hook belongs in set-up code or should be restored is the program's
    choice.

    ## Options
    `setup-functions` (shared with FFT301): extra names of functions that run once.
    """

    code = "FFT307"
    contexts = PRODUCTION_ONLY  # tests and scripts are short-lived: nothing piles up
    name = "hook-chain-per-call"
    message = "`{hook}` is wrapped around the previous one on {where}: the chain grows by one wrapper per call, keeps every wrapper (and what it holds) alive, and each {event} runs through all of them"
    # a hook's name, or `signal` called or imported under another name
    requires = ("excepthook", "unraisablehook", "displayhook", "breakpointhook", *called_or_aliased("signal"))
    Options = LeaksOptions
    options_key = "leaks"

    VALID = [
        "import sys\ndef install_hook():\n    previous = sys.excepthook\n    def hook(*a):\n        previous(*a)\n    sys.excepthook = hook\n",
        "import sys\ndef run_job(job):\n    previous = sys.excepthook\n    sys.excepthook = job.hook\n    try:\n        job.run()\n    finally:\n        sys.excepthook = previous\n",
        "import sys\ndef run_job(job):\n    if sys.excepthook is not _hook:\n        sys.excepthook = wrap(sys.excepthook)\n",
        "import sys\ndef run_job(job):\n    sys.excepthook = job.hook\n",
        "import signal\ndef serve(server):\n    signal.signal(signal.SIGTERM, lambda *a: server.stop())\n",
        "import signal\ndef run(job):\n    previous = signal.signal(signal.SIGINT, lambda *a: job.cancel())\n    try:\n        job()\n    finally:\n        signal.signal(signal.SIGINT, previous)\n",
        "import sys\nprevious = sys.excepthook\nsys.excepthook = lambda *a: previous(*a)\n",
        # one handler per signal, the previous ones put back afterwards
        "import signal\nasync def wait_for(signals, event):\n    old = {}\n    def handle(signum, frame):\n        signal.signal(signum, old[signum])\n    for sig in signals:\n        old[sig] = signal.signal(sig, handle)\n    try:\n        await event.wait()\n    finally:\n        for sig in signals:\n            signal.signal(sig, old[sig])\n",
    ]
    INVALID = [
        Invalid(
            "import sys\ndef run_job(job):\n    previous = sys.excepthook\n    def hook(*exc_info):\n        job.report(exc_info)\n        previous(*exc_info)\n    sys.excepthook = hook\n    job.run()\n",
            line=7,
            message_contains="`sys.excepthook` is wrapped around the previous one on every call of `run_job`",
        ),
        Invalid("import threading\ndef spawn(task):\n    threading.excepthook = make_hook(threading.excepthook, task)\n"),
        Invalid(
            "import signal, functools\ndef handle(request):\n    previous = signal.signal(signal.SIGTERM, functools.partial(on_term, request))\n    return previous\n",
            message_contains="`signal.signal` is wrapped",
        ),
        Invalid(
            "import signal\ndef handle(request):\n    old = signal.getsignal(signal.SIGUSR1)\n    def dump(signum, frame):\n        log(request)\n        old(signum, frame)\n    signal.signal(signal.SIGUSR1, dump)\n",
        ),
        Invalid(
            "import sys\ndef main(jobs):\n    for job in jobs:\n        previous = sys.excepthook\n        sys.excepthook = lambda *a: (job.fail(), previous(*a))\n",
            message_contains="every iteration",
        ),
    ]

    @classmethod
    def could_match(cls, view: Any) -> bool:
        """Stage 2 of the pre-filter: an assignment to an attribute that can resolve to a
        hook, in a ``def`` that also reads an attribute of that name; or a call that can
        resolve to ``signal.signal`` with a handler that can be fresh, inside a ``def``,
        whose value is assigned or in a file that spells ``getsignal`` (set-up names,
        restores and tests are not checked)."""
        facts = leak_facts(view)
        hooks = reachable([split_name(h) for h in _catalog()["hooks"]], facts)
        setters = reachable([split_name(s) for s in _catalog()["signal_setters"]], facts)
        if not hooks and not setters:
            return False
        opts = view.options_for(cls)
        setup_names = tuple(opts.setup_functions) if isinstance(opts, LeaksOptions) else ()
        loops: Dict[int, Any] = {}

        def once(fn: Any, node: ast.AST, probe: ast.AST) -> bool:
            """``_where`` is None: set-up code by its name, not repeated by a loop."""
            return setup_by_name(fn.name, setup_names) and not repeats_in_loop_ast(fn, node, probe, loops)

        for node in view.nodes(ast.Assign):
            for t in node.targets:
                if not isinstance(t, ast.Attribute):
                    continue
                matched = [".".join(h) for h in hooks if may_resolve(t, h, facts)]
                if not matched:
                    continue
                fn = facts.innermost_function(node)
                if fn is None or once(fn, t, t):
                    continue
                # the function reads the hook somewhere else: `previous = sys.excepthook`, or
                # an attribute whose value is the hook (`self._old_hook`, saved elsewhere)
                if _reads_hook(fn, t, matched, facts) and not _put_back_or_tested(view, fn, t):
                    return True
        getter = any(g.rsplit(".", 1)[-1] in view.text for g in _catalog()["signal_getters"])
        for call in view.nodes(ast.Call):
            if len(call.args) < 2 or not any(may_resolve(call.func, s, facts) for s in setters):
                continue
            handler = call.args[1]
            if not isinstance(handler, (ast.Lambda, ast.Call, ast.Name)):
                continue  # `_fresh` needs a lambda, a call or a nested def
            fn = facts.innermost_function(call)
            if fn is None or facts.in_lambda(call) or once(fn, call, call.args[0]):
                continue  # module level, a lambda, set-up code: ``_where`` is None
            if not isinstance(handler, ast.Name) or _defines(fn, handler.id):
                if (getter or _assigned(view, call)) and not _handler_put_back(view, fn, call):
                    return True
        return False

    def __init__(self, ctx: Any, options: Any = None) -> None:
        super().__init__(ctx, options)
        opts = options if isinstance(options, LeaksOptions) else LeaksOptions()
        self._setup_names = tuple(opts.setup_functions)

    def _where(self, node: cst.CSTNode) -> Optional[str]:
        """Where the code repeats: "every call of `f`", "every iteration of a loop in `f`",
        or None for code that runs once (module level, set-up functions)."""
        frame = self.ctx.stack.function_frame
        if frame is None or not isinstance(frame.node, cst.FunctionDef):
            return None
        name = frame.node.name.value
        if repeats_in_loop(self.ctx, node):
            return f"every iteration of a loop in `{name}`"
        if setup_by_name(name, self._setup_names):
            return None
        return f"every call of `{name}`"

    def visit_Assign(self, node: cst.Assign) -> None:
        hooks = _catalog()["hooks"]
        for target in node.targets:
            t = target.target
            if not isinstance(t, cst.Attribute):
                continue
            hook = self.ctx.names.resolve(t)
            if hook not in hooks:
                continue
            where = self._where(t)  # one global hook, whatever the value
            if where is None or in_dead_branch(self.ctx):
                return
            func = self.ctx.stack.function
            assert isinstance(func, cst.FunctionDef)
            reads, restores, tested = self._hook_uses(func, hook, t)
            if not reads or restores or tested:
                return
            self.report(t, hook=hook, where=where, event=hooks[hook])

    def _hook_uses(self, func: cst.FunctionDef, hook: str, target: cst.CSTNode) -> "tuple[bool, bool, bool]":
        """(the function reads the current hook, puts a saved one back, tests it)."""
        saved: Set[str] = set()
        reads = False
        for sub in walk_nodes(func.body):
            if isinstance(sub, cst.Attribute) and sub is not target and self.ctx.names.resolve(sub) == hook:
                reads = True
            if isinstance(sub, cst.Assign) and isinstance(sub.value, cst.Attribute) and self.ctx.names.resolve(sub.value) == hook:
                saved.update(t.target.value for t in sub.targets if isinstance(t.target, cst.Name))
        restores = tested = False
        for sub in walk_nodes(func.body):
            if isinstance(sub, cst.Assign) and isinstance(sub.value, cst.Name) and sub.value.value in saved:
                if any(self.ctx.names.resolve(t.target) == hook for t in sub.targets if isinstance(t.target, cst.Attribute)):
                    restores = True
            if isinstance(sub, (cst.If, cst.IfExp)) and any(
                isinstance(n, cst.Attribute) and self.ctx.names.resolve(n) == hook for n in [sub.test, *walk_nodes(sub.test)]
            ):
                tested = True
        return reads, restores, tested

    def visit_Call(self, node: cst.Call) -> None:
        name = self.ctx.names.resolve(node.func)
        if name not in _catalog()["signal_setters"] or len(node.args) < 2:
            return
        where = self._where(node.args[0].value)  # the same signal each iteration?
        if where is None or in_dead_branch(self.ctx):
            return
        func = self.ctx.stack.function
        assert isinstance(func, cst.FunctionDef)
        if not self._fresh(node.args[1].value, func):
            return
        statement = self.ctx.statements[-1] if self.ctx.statements else None
        keeps = isinstance(statement, cst.SimpleStatementLine) and any(
            isinstance(small, cst.Assign) and small.value is node for small in statement.body
        )
        getters = _catalog()["signal_getters"]
        saved: Set[str] = set()
        for sub in walk_nodes(func.body):
            if isinstance(sub, cst.Assign) and isinstance(sub.value, cst.Call):
                callee = self.ctx.names.resolve(sub.value.func)
                if callee in getters or callee in _catalog()["signal_setters"]:
                    saved.update(t.target.value for t in sub.targets if isinstance(t.target, cst.Name))
            if isinstance(sub, cst.Call) and self.ctx.names.resolve(sub.func) in getters:
                keeps = True
        if not keeps:
            return  # the previous handler is simply replaced
        for sub in walk_nodes(func.body):
            if isinstance(sub, cst.Call) and sub is not node and self.ctx.names.resolve(sub.func) == name and len(sub.args) > 1:
                value = sub.args[1].value
                if isinstance(value, cst.Subscript):
                    value = value.value  # `signal.signal(sig, old_handlers[sig])`
                if isinstance(value, cst.Name) and (value.value in saved or self._container_of_saved(func, value.value, node)):
                    return  # put back
        self.report(node, hook=dotted(node.func) or name, where=where, event="signal")

    @staticmethod
    def _container_of_saved(func: cst.FunctionDef, name: str, call: cst.Call) -> bool:
        """``<name>[key] = signal.signal(...)``: ``name`` collects the previous handlers."""
        for sub in walk_nodes(func.body):
            if isinstance(sub, cst.Assign) and sub.value is call:
                return any(isinstance(t.target, cst.Subscript) and dotted(t.target.value) == name for t in sub.targets)
        return False

    @staticmethod
    def _fresh(handler: cst.BaseExpression, func: cst.FunctionDef) -> bool:
        """A handler made by this call: a lambda, a call (``functools.partial``), a nested def."""
        if isinstance(handler, (cst.Lambda, cst.Call)):
            return True
        if isinstance(handler, cst.Name):
            return any(isinstance(s, cst.FunctionDef) and s.name.value == handler.value for s in walk_nodes(func.body, into_scopes=False))
        return False


def _reads_hook(fn: ast.AST, target: ast.Attribute, hooks: List[str], facts: Any) -> bool:
    """``_hook_uses``' reads, as a necessary condition: an attribute of ``fn`` other than
    ``target`` is loaded that spells the hook's name, or that the facts layer may resolve
    to the hook (None, cannot tell: it may)."""
    for n in ast.walk(fn):
        if not isinstance(n, ast.Attribute) or n is target or not isinstance(n.ctx, ast.Load):
            continue
        if n.attr == target.attr:
            return True
        values = facts.resolved(n)
        if values is None or any(h in values for h in hooks):
            return True
    return False


def _defines(fn: ast.AST, name: str) -> bool:
    """``_fresh`` for a name: ``fn`` itself defines a function of that name."""
    return any(isinstance(n, ast.FunctionDef) and n.name == name for n in own_nodes(fn))


def _put_back_or_tested(view: Any, fn: ast.AST, target: ast.Attribute) -> bool:
    """``_hook_uses``' restores or tested, ahead of LibCST: the function puts a saved hook
    back (``saved = sys.displayhook`` ... ``sys.displayhook = saved``) or tests it in an
    ``if``. Only names the file alone resolves to the very hook count (anything else may be
    another object, and the rule would report)."""

    def is_hook(expr: ast.AST) -> bool:
        return isinstance(expr, ast.Attribute) and view.values_at(expr, project=False) == frozenset((hook,))

    hook = next(iter(view.values_at(target, project=False) or ()), None)
    if not isinstance(hook, str) or hook not in _catalog()["hooks"] or not is_hook(target):
        return False
    nodes = [n for stmt in fn.body for n in ast.walk(stmt)]  # type: ignore[attr-defined]
    saved = {
        t.id for n in nodes if isinstance(n, ast.Assign) and is_hook(n.value) for t in n.targets if isinstance(t, ast.Name)
    }
    for n in nodes:
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Name) and n.value.id in saved:
            if any(is_hook(t) for t in n.targets):
                return True
        if isinstance(n, (ast.If, ast.IfExp)) and any(is_hook(sub) for sub in ast.walk(n.test)):
            return True
    return False


def _handler_put_back(view: Any, fn: ast.AST, call: ast.Call) -> bool:
    """The rule's put-back, ahead of LibCST: ``old = signal.signal(s, h)`` (or
    ``getsignal``) and, elsewhere in the function, the same setter called with ``old``
    (``old[s]`` too). Only calls the file alone resolves exactly count."""
    setters, getters = _catalog()["signal_setters"], _catalog()["signal_getters"]
    name = next(iter(view.values_at(call.func, project=False) or ()), None)
    if name not in setters or view.values_at(call.func, project=False) != frozenset((name,)):
        return False

    def resolves(expr: ast.AST, names: Any) -> bool:
        found = view.values_at(expr, project=False)
        return found is not None and len(found) == 1 and next(iter(found)) in names

    nodes = [n for stmt in fn.body for n in ast.walk(stmt)]  # type: ignore[attr-defined]
    saved = {
        t.id for n in nodes
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and resolves(n.value.func, (*getters, *setters))
        for t in n.targets if isinstance(t, ast.Name)
    }
    for n in nodes:
        if isinstance(n, ast.Call) and n is not call and len(n.args) > 1 and resolves(n.func, (name,)):
            value = n.args[1].value if isinstance(n.args[1], ast.Subscript) else n.args[1]
            if isinstance(value, ast.Name) and value.id in saved:
                return True
    return False


def _assigned(view: Any, call: ast.Call) -> bool:
    """Some assignment of the file has ``call`` as its value (``prev = signal.signal(...)``)."""
    return any(node.value is call for node in view.nodes(ast.Assign))
