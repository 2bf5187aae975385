"""FFT306: timers and periodic tasks started per call or per object with no way to cancel them."""

from __future__ import annotations

import ast
from typing import Any, Dict, List, Optional, Set

import libcst as cst

from fftlint.analysis.names import dotted
from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.rule import Invalid, Rule

from ._common import called_or_aliased, holders, in_dead_branch, leak_facts, load_catalog, may_resolve, method_classes, reachable, split_name, walk_nodes
from .unclosed_resource import runs_once

CATALOG = "timers.yaml"


def _catalog() -> Dict[str, Any]:
    return load_catalog(CATALOG)


def _tasks() -> Dict[str, Any]:
    return load_catalog("tasks.yaml")


class TimerWithoutCancel(Rule):
    """## What it does
    Checks for timers and periodic work that nothing can stop:
    - a `threading.Timer` started in a function that runs per call (not `main`,
      `setup_*`, `__init__`, `test_*`, ...) and not kept anywhere (`Timer(...).start()`,
      or a local used only to start it): one more thread per call, none cancellable
      (not with a literal interval under 10 seconds: a delayed clean-up ends soon);
    - a method that re-schedules itself (`threading.Timer(t, self.tick)`,
      `loop.call_later(t, self.tick)`, `loop.call_at(...)`) with no way out: the handle is
      thrown away or never cancelled anywhere in the class, and the method has no
      condition on the object's state (`if self._closed: return`);
    - a timer handle stored on the object (`self._flush = loop.call_later(5, self.flush)`,
      `self._timer = threading.Timer(...)`) outside `__init__`, that no method of the class
      ever cancels: each call leaves the previous timer running, and close/stop/`__exit__`
      cannot stop the last one;
    - a periodic task started per object (`self._task = asyncio.create_task(self._poll())`)
      whose method loops `while True:` with no `break`, `return` or `raise`, when the class
      never cancels the stored task; the same for a thread
      (`threading.Thread(target=self._poll).start()`) in a class whose objects end (it has
      `close`, `stop`, `shutdown`, `__exit__`, `__del__`, ...) without stopping it — a
      thread of an object that never ends lives with the process by design.

    A stored periodic task is not reported when any function of the module cancels or
    awaits that attribute on another object (`runner.decoder._reader_task.cancel()`, or a
    local bound to it, `if (t := self.decoder._reader_task): t.cancel()`): the object's
    owner ends the task.

    Not followed: timers handed to other objects or returned (their owner cancels them),
    cancel paths in other modules, and re-scheduling through helper functions.
    A task that is thrown away right where it is created is FFT302's.

    ## Why is this bad?
    A pending timer or a running periodic task holds its callback, and a bound method holds
    its object: the object can never be freed, and its timer keeps firing after the code
    is done with it (on closed connections, stale caches, finished jobs). Timers started
    per call pile up, each `threading.Timer` with an operating-system thread of its own
    until it fires.

    ## Example
    ```python
    import asyncio

    class Heartbeat:
        def __init__(self, conn):
            self.conn = conn
            self._loop = asyncio.get_running_loop()
            self._loop.call_later(30, self.beat)

        def beat(self):
            self.conn.send(b"PING")
            self._loop.call_later(30, self.beat)
    ```

    ## Use instead
    Keep the handle and cancel it when the object is done:
    ```python
    import asyncio

    class Heartbeat:
        def __init__(self, conn):
            self.conn = conn
            self._loop = asyncio.get_running_loop()
            self._handle = self._loop.call_later(30, self.beat)

        def beat(self):
            self.conn.send(b"PING")
            self._handle = self._loop.call_later(30, self.beat)

        def close(self):
            self._handle.cancel()
    ```

    ## Fix safety
    No fix: where the object's life ends (close, stop, `__exit__`) is the program's to say.
    """

    code = "FFT306"
    contexts = PRODUCTION_ONLY  # tests and scripts are short-lived: nothing piles up
    name = "timer-without-cancel"
    message = "`{call}` {how}: {consequence}"
    # a timer or thread class called or imported under another name; a scheduling method
    requires = (
        *called_or_aliased("Timer", "Thread"),
        "call_later", "call_at", "create_task", "ensure_future",
    )

    VALID = [
        "import threading\ndef main():\n    threading.Timer(60, report).start()\n",
        "import threading\nclass Job:\n    def __init__(self):\n        self._timer = threading.Timer(60, self.expire)\n        self._timer.start()\n    def close(self):\n        self._timer.cancel()\n    def expire(self):\n        pass\n",
        "import threading\ndef touch(state):\n    t = threading.Timer(5, state.flush)\n    state.timers.append(t)\n    t.start()\n",
        "import threading\ndef touch(cb):\n    threading.Timer(0.1, cb).start()\n",
        "import os, threading\ndef view(name):\n    threading.Timer(1.0, os.unlink, args=[name]).start()\n",
        "import asyncio\nclass Beat:\n    def __init__(self, loop):\n        self._loop = loop\n        self._handle = loop.call_later(30, self.beat)\n    def beat(self):\n        self._handle = self._loop.call_later(30, self.beat)\n    def close(self):\n        self._handle.cancel()\n",
        "import asyncio\nclass Beat:\n    def beat(self):\n        if self._closed:\n            return\n        self._loop.call_later(30, self.beat)\n",
        "import asyncio\nclass Poller:\n    def start(self):\n        self._task = asyncio.create_task(self._poll())\n    async def stop(self):\n        self._task.cancel()\n    async def _poll(self):\n        while True:\n            await asyncio.sleep(5)\n",
        "import asyncio\nclass Poller:\n    def start(self):\n        self._task = asyncio.create_task(self._poll())\n    async def _poll(self):\n        while not self._stopped:\n            await asyncio.sleep(5)\n",
        # the task's owner cancels it from outside the class (directly or through an alias)
        "import asyncio\nclass Decoder:\n    async def start(self):\n        self._reader = asyncio.create_task(self._read())\n    async def _read(self):\n        while True:\n            await asyncio.sleep(1)\nclass Runner:\n    async def run(self):\n        try:\n            await self.work()\n        finally:\n            if (t := self.decoder._reader) is not None:\n                t.cancel()\n",
        "import asyncio\nclass Pump:\n    def start(self):\n        self._pump_task = asyncio.create_task(self._pump())\n    async def _pump(self):\n        while True:\n            await asyncio.sleep(1)\nasync def shutdown(pump):\n    pump._pump_task.cancel()\n",
        "import threading\nclass Worker:\n    def __init__(self):\n        threading.Thread(target=self._run, daemon=True).start()\n    def _run(self):\n        while True:\n            item = self.queue.get()\n            if item is None:\n                break\n",
        # a thread of an object that never ends: it lives with the process by design
        "import threading\nclass Server:\n    def serve(self):\n        threading.Thread(target=self._accept, daemon=True).start()\n    def _accept(self):\n        while True:\n            self.handle()\n",
        # a one-shot call_later in a loop method, not re-scheduling
        "import asyncio\nclass Conn:\n    def ping(self):\n        self._loop.call_later(5, self.check)\n    def check(self):\n        pass\n",
    ]
    INVALID = [
        Invalid("import threading\ndef handle(request):\n    threading.Timer(300, expire, args=(request.session,)).start()\n", message_contains="one more thread"),
        Invalid("import threading\ndef handle(request):\n    t = threading.Timer(request.ttl, expire)\n    t.start()\n"),
        Invalid(
            "import asyncio\nclass Heartbeat:\n    def __init__(self, loop):\n        self._loop = loop\n        loop.call_later(30, self.beat)\n    def beat(self):\n        self.send()\n        self._loop.call_later(30, self.beat)\n",
            line=8,
            message_contains="re-schedules itself",
        ),
        Invalid("import threading\nclass Stats:\n    def flush(self):\n        self.write()\n        threading.Timer(10, self.flush).start()\n"),
        Invalid(
            "import asyncio\nclass Buffer:\n    def add(self, item):\n        self.items.append(item)\n        self._flush = asyncio.get_running_loop().call_later(5, self.flush)\n    def flush(self):\n        pass\n",
            message_contains="never cancels",
        ),
        Invalid(
            "import asyncio\nclass Poller:\n    def __init__(self):\n        self._task = asyncio.create_task(self._poll())\n    async def _poll(self):\n        while True:\n            await asyncio.sleep(5)\n",
            message_contains="runs forever",
        ),
        # another object's task of another name is cancelled: this one is not
        Invalid(
            "import asyncio\nclass Pump:\n    def start(self):\n        self._pump_task = asyncio.create_task(self._pump())\n    async def _pump(self):\n        while True:\n            await asyncio.sleep(1)\nasync def shutdown(pump):\n    pump._other_task.cancel()\n    pump._pump_task.done()\n",
            message_contains="runs forever",
        ),
        Invalid(
            "import threading\nclass Poller:\n    def start(self):\n        threading.Thread(target=self._poll, daemon=True).start()\n    def _poll(self):\n        while True:\n            self.check()\n    def close(self):\n        self.conn.close()\n",
        ),
    ]

    @classmethod
    def could_match(cls, view: Any) -> bool:
        """Stage 2 of the pre-filter, per kind of call (``_kind``), inside a ``def``:
        a thread timer (any); a ``.call_later`` / ``.call_at`` / timer in a method of a
        class whose callback is ``self.<that method>`` or whose value is assigned to
        ``self.<attr>``; a thread, task starter or ``.create_task`` in a method of a class
        whose target is ``self.<m>`` and ``m`` (a method of that class) has a
        ``while True`` / ``while 1`` loop."""
        facts = leak_facts(view)
        cat = _catalog()
        timers = reachable([split_name(n) for n in cat["thread_timers"]], facts)
        starters_threads = reachable([split_name(n) for n in cat["threads"]], facts)
        starters_tasks = reachable([split_name(n) for n in cat["task_starters"]], facts)
        starters = starters_threads + starters_tasks
        schedulers = set(cat["loop_schedulers"])
        parents: Optional[Dict[int, ast.AST]] = None
        for call in view.nodes(ast.Call):
            func = call.func
            attr = func.attr if isinstance(func, ast.Attribute) else None
            timer = bool(timers) and any(may_resolve(func, t, facts) for t in timers)
            later = attr in schedulers
            starter = attr == "create_task" or (bool(starters) and any(may_resolve(func, t, facts) for t in starters))
            if not (timer or later or starter):
                continue
            fn = facts.innermost_function(call)
            if fn is None:
                continue
            if timer and not runs_once(fn.name):  # type: ignore[attr-defined]
                return True  # a dropped timer per call
            if parents is None:
                parents = holders(view)
            klass = method_classes(view).get(id(fn))
            if klass is None:
                continue  # the other kinds need a method
            if timer or later:
                holder = parents.get(id(call))
                stored = isinstance(holder, (ast.Assign, ast.AnnAssign)) and any(
                    isinstance(t, ast.Attribute) for t in (holder.targets if isinstance(holder, ast.Assign) else [holder.target])
                )
                values = [*call.args, *(k.value for k in call.keywords)]
                itself = any(isinstance(v, ast.Attribute) and v.attr == fn.name for v in values)  # type: ignore[attr-defined]
                attrs = [t.attr for t in (holder.targets if isinstance(holder, ast.Assign) else [getattr(holder, "target", None)])
                         if isinstance(t, ast.Attribute)] if stored else []
                if attrs and all(a in _ast_cancelled(klass) for a in attrs):
                    continue  # `self._timer.cancel()` somewhere in the class
                if stored or itself:
                    return True
                continue
            # a thread (`target=self.m`) of a class with an end method, or a task (`self.m()`
            # first) stored on `self`, where `m` (the class's own) runs forever (`_runs_forever`)
            thread = bool(starters_threads) and any(may_resolve(func, t, facts) for t in starters_threads)
            task = attr == "create_task" or (bool(starters_tasks) and any(may_resolve(func, t, facts) for t in starters_tasks))
            if thread and _ends_ast(klass):
                target = next((k.value for k in call.keywords if k.arg == "target"), None)
                if _self_method(target) is not None and _runs_forever_ast(klass, _self_method(target)):  # type: ignore[arg-type]
                    return True
            if task and _stored_on_self_ast(parents.get(id(call)), call):
                first: Optional[ast.AST] = call.args[0] if call.args else (call.keywords[0].value if call.keywords else None)
                if isinstance(first, ast.Starred):
                    first = first.value
                name = _self_method(first.func) if isinstance(first, ast.Call) else None
                if name is not None and _runs_forever_ast(klass, name):
                    return True
        return False

    def __init__(self, ctx: Any, options: Any = None) -> None:
        super().__init__(ctx, options)
        self._cancelled: Dict[int, Set[str]] = {}

    def visit_Call(self, node: cst.Call) -> None:
        frame = self.ctx.stack.function_frame
        if frame is None or not isinstance(frame.node, cst.FunctionDef):
            return
        func = frame.node
        cls = self._class_of(frame)
        kind = self._kind(node)
        if kind is None or in_dead_branch(self.ctx):
            return
        statement = self.ctx.statements[-1] if self.ctx.statements else None
        stored = self._stored_on_self(statement, node)
        call = (dotted(node.func) or self.ctx.code_for(node.func)) + "(...)"
        if kind in ("timer", "later"):
            callback = self._callback(node, kind)
            if cls is not None and callback == func.name.value:
                # re-schedules itself
                if self._has_state_test(func):
                    return
                if stored is not None and stored in self._cancelled_attrs(cls):
                    return
                self.report(node, call=call, how="re-schedules itself with no way to stop it",
                            consequence="the object (and its timer) live for ever, and the callback keeps firing after the code is done with it")
                return
            if stored is not None and cls is not None:
                if func.name.value == "__init__" or stored in self._cancelled_attrs(cls):
                    return
                self.report(node, call=call, how=f"is stored in `self.{stored}`, which the class never cancels",
                            consequence="each call leaves the previous timer running, and closing the object cannot stop the last one")
                return
            if kind == "timer" and not runs_once(func.name.value) and self._dropped_timer(node, statement, func):
                if self._short(node):
                    return
                self.report(node, call=call, how=f"starts one more thread on every call of `{func.name.value}` and nothing can cancel it",
                            consequence="pending timers pile up, each holding a thread and its callback until it fires")
            return
        # a periodic task or thread started for the object
        if cls is None:
            return
        target = self._target_method(node, kind)
        if target is None:
            return
        method = self._method(cls, target)
        if method is None or not self._runs_forever(method):
            return
        if kind == "task" and (stored is None or stored in self._cancelled_attrs(cls)):
            return  # a dropped task is FFT302's; a cancelled one is fine
        if kind == "task" and stored in self._ended_in_module():
            return  # its owner stops it from outside: `runner.decoder._reader_task.cancel()`
        if kind == "thread" and (stored is not None and stored in self._cancelled_attrs(cls) or not self._ends(cls)):
            return  # a thread of an object with no end (close/stop/...) lives with the process
        self.report(node, call=call, how=f"starts `{target}`, which runs forever (`while True` with no way out), and the class never stops it",
                    consequence="the task or thread keeps the object alive for ever and keeps working after the code is done with it")

    # -- what the call is -----------------------------------------------------------------
    def _kind(self, call: cst.Call) -> Optional[str]:
        names = self.ctx.names
        resolved = names.resolve(call.func)
        cat = _catalog()
        if resolved in cat["thread_timers"]:
            return "timer"
        if resolved in cat["threads"]:
            return "thread"
        if resolved in cat["task_starters"]:
            return "task"
        func = call.func
        if isinstance(func, cst.Attribute):
            if func.attr.value in cat["loop_schedulers"] and self._is_loop(func.value):
                return "later"
            if func.attr.value == "create_task" and self._is_loop(func.value):
                return "task"
        return None

    def _is_loop(self, expr: cst.BaseExpression) -> bool:
        tasks = _tasks()
        receiver = self.ctx.names.resolve(expr)
        if receiver is not None and receiver in tasks["loops"]:
            return True
        if receiver is not None and receiver.endswith(("get_event_loop()", "get_running_loop()")):
            return True
        last = expr.attr.value if isinstance(expr, cst.Attribute) else (expr.value if isinstance(expr, cst.Name) else None)
        return last in tasks["loop_names"] and (receiver is None or receiver == last or receiver.startswith("self."))

    def _callback(self, call: cst.Call, kind: str) -> Optional[str]:
        """The method name of a ``self.<name>`` callback (the function argument)."""
        positional = [a.value for a in call.args if a.keyword is None and not a.star]
        keyword = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
        fn = keyword.get("function") if kind == "timer" else keyword.get("callback")
        if fn is None and len(positional) > 1:
            fn = positional[1]
        if isinstance(fn, cst.Attribute) and isinstance(fn.value, cst.Name) and fn.value.value == "self":
            return fn.attr.value
        return None

    def _target_method(self, call: cst.Call, kind: str) -> Optional[str]:
        if kind == "thread":
            for arg in call.args:
                if arg.keyword is not None and arg.keyword.value == "target":
                    value = arg.value
                    if isinstance(value, cst.Attribute) and isinstance(value.value, cst.Name) and value.value.value == "self":
                        return value.attr.value
            return None
        coro = call.args[0].value if call.args else None
        if isinstance(coro, cst.Call) and isinstance(coro.func, cst.Attribute):
            owner = coro.func.value
            if isinstance(owner, cst.Name) and owner.value == "self":
                return coro.func.attr.value
        return None

    # -- the class around it --------------------------------------------------------------
    def _class_of(self, frame: Any) -> Optional[cst.ClassDef]:
        frames = self.ctx.stack.frames
        index = next(i for i in range(len(frames) - 1, -1, -1) if frames[i] is frame)
        if index and frames[index - 1].kind == "class":
            node = frames[index - 1].node
            return node if isinstance(node, cst.ClassDef) else None
        return None

    @staticmethod
    def _method(cls: cst.ClassDef, name: str) -> Optional[cst.FunctionDef]:
        for stmt in cls.body.body:
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value == name:
                return stmt
        return None

    def _cancelled_attrs(self, cls: cst.ClassDef) -> Set[str]:
        """``self.<attr>`` names the class calls ``.cancel()`` / ``.set()`` / ``.stop()`` on
        (``self._timer.cancel()``, also through a local alias ``t = self._timer``)."""
        found = self._cancelled.get(id(cls))
        if found is not None:
            return found
        out: Set[str] = set()
        aliases: Dict[str, str] = {}
        for sub in walk_nodes(cls.body):
            if isinstance(sub, cst.Assign) and isinstance(sub.value, cst.Attribute):
                value = sub.value
                if isinstance(value.value, cst.Name) and value.value.value == "self":
                    for t in sub.targets:
                        if isinstance(t.target, cst.Name):
                            aliases[t.target.value] = value.attr.value
        for sub in walk_nodes(cls.body):
            if isinstance(sub, cst.Call) and isinstance(sub.func, cst.Attribute) and sub.func.attr.value in ("cancel", "cancel_all"):
                owner = sub.func.value
                if isinstance(owner, cst.Attribute) and isinstance(owner.value, cst.Name) and owner.value.value == "self":
                    out.add(owner.attr.value)
                elif isinstance(owner, cst.Name) and owner.value in aliases:
                    out.add(aliases[owner.value])
        self._cancelled[id(cls)] = out
        return out

    def _ended_in_module(self) -> Set[str]:
        """Attribute names whose value some function of the module cancels or awaits on
        any object (``obj._task.cancel()``, ``await obj._task``), also through a local of
        that function bound to it (``t = obj._task`` / ``(t := obj._task)``, then
        ``t.cancel()`` / ``await t``): the owner of the object ends the task."""
        found = self._cancelled.get(id(self.ctx.module))
        if found is not None:
            return found
        out: Set[str] = set()
        for fn in walk_nodes(self.ctx.module):
            if not isinstance(fn, cst.FunctionDef):
                continue
            aliases: Dict[str, Set[str]] = {}
            ended: List[cst.BaseExpression] = []
            for sub in walk_nodes(fn.body, into_scopes=False):
                if isinstance(sub, (cst.Assign, cst.NamedExpr)) and self._on_other(sub.value):
                    targets = [t.target for t in sub.targets] if isinstance(sub, cst.Assign) else [sub.target]
                    for t in targets:
                        if isinstance(t, cst.Name):
                            aliases.setdefault(t.value, set()).add(sub.value.attr.value)
                elif isinstance(sub, cst.Call) and isinstance(sub.func, cst.Attribute) and sub.func.attr.value == "cancel":
                    ended.append(sub.func.value)
                elif isinstance(sub, cst.Await):
                    ended.append(sub.expression)
            for expr in ended:
                if isinstance(expr, cst.Attribute) and self._on_other(expr):
                    out.add(expr.attr.value)
                elif isinstance(expr, cst.Name):
                    out.update(aliases.get(expr.value, ()))
        self._cancelled[id(self.ctx.module)] = out
        return out

    @staticmethod
    def _on_other(expr: cst.BaseExpression) -> bool:
        """``<obj>.<attr>`` on an object that is not ``self`` (``self.<attr>`` is the
        class's own, which ``_cancelled_attrs`` reads per class)."""
        return isinstance(expr, cst.Attribute) and not (isinstance(expr.value, cst.Name) and expr.value.value == "self")

    @staticmethod
    def _ends(cls: cst.ClassDef) -> bool:
        """The class has a method that ends an object's life (``close``, ``stop``,
        ``__exit__``, ...): its objects are meant to go away before the process does."""
        ends = set(_catalog()["end_methods"])
        return any(isinstance(s, cst.FunctionDef) and s.name.value in ends for s in cls.body.body)

    @staticmethod
    def _stored_on_self(statement: Optional[cst.CSTNode], call: cst.Call) -> Optional[str]:
        """``self.<attr> = <call>`` -> "<attr>"."""
        if not isinstance(statement, cst.SimpleStatementLine):
            return None
        for small in statement.body:
            if isinstance(small, (cst.Assign, cst.AnnAssign)) and small.value is call:
                targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
                for t in targets:
                    if isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name) and t.value.value == "self":
                        return t.attr.value
        return None

    @staticmethod
    def _has_state_test(func: cst.FunctionDef) -> bool:
        """An ``if`` / ``while`` in the method tests the object's state (``self.<attr>``)."""
        for sub in walk_nodes(func.body, into_scopes=False):
            if isinstance(sub, (cst.If, cst.While, cst.IfExp)):
                test = sub.test
                if any(isinstance(n, cst.Attribute) and isinstance(n.value, cst.Name) and n.value.value == "self"
                       for n in [test, *walk_nodes(test)]):
                    return True
        return False

    @staticmethod
    def _runs_forever(func: cst.FunctionDef) -> bool:
        """A ``while True:`` (or ``while 1:``) loop with no ``break`` / ``return`` /
        ``raise`` in it (nested functions aside), and no test of the object's state."""
        for sub in walk_nodes(func.body, into_scopes=False):
            if isinstance(sub, cst.While):
                test = sub.test
                if not ((isinstance(test, cst.Name) and test.value == "True") or (isinstance(test, cst.Integer) and test.value == "1")):
                    continue
                body = list(walk_nodes(sub.body, into_scopes=False))
                if any(isinstance(n, (cst.Break, cst.Return, cst.Raise)) for n in body):
                    continue
                if any(isinstance(n, cst.If) and any(
                    isinstance(m, cst.Attribute) and isinstance(m.value, cst.Name) and m.value.value == "self"
                    for m in [n.test, *walk_nodes(n.test)]) for n in body):
                    continue
                return True
        return False

    @staticmethod
    def _dropped_timer(call: cst.Call, statement: Optional[cst.CSTNode], func: cst.FunctionDef) -> bool:
        """``Timer(...).start()`` as a statement, or ``t = Timer(...)`` where ``t`` is only
        ever started."""
        if not isinstance(statement, cst.SimpleStatementLine):
            return False
        for small in statement.body:
            if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
                f = small.value.func
                if isinstance(f, cst.Attribute) and f.value is call and f.attr.value == "start":
                    return True
            if isinstance(small, cst.Assign) and small.value is call and len(small.targets) == 1:
                target = small.targets[0].target
                if not isinstance(target, cst.Name):
                    return False
                name = target.value
                uses: List[str] = []
                attrs: Set[int] = set()
                for sub in walk_nodes(func.body):
                    if isinstance(sub, cst.Attribute) and isinstance(sub.value, cst.Name) and sub.value.value == name:
                        attrs.add(id(sub.value))
                        uses.append(sub.attr.value)
                    elif isinstance(sub, cst.Attribute):
                        attrs.add(id(sub.attr))
                names = [sub for sub in walk_nodes(func.body) if isinstance(sub, cst.Name) and sub.value == name and sub is not target and id(sub) not in attrs]
                if names:
                    return False  # handed on, returned, stored
                return bool(uses) and all(u in ("start", "daemon", "name", "setDaemon") for u in uses)
        return False

    def _short(self, call: cst.Call) -> bool:
        interval = call.args[0].value if call.args and call.args[0].keyword is None else None
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value == "interval":
                interval = arg.value
        if isinstance(interval, (cst.Integer, cst.Float)):
            return float(interval.evaluated_value) < float(_catalog()["short_interval"])
        return False


def _ast_cancelled(klass: ast.ClassDef) -> Set[str]:
    """``_cancelled_attrs`` on the ``ast``: ``self.<attr>.cancel()`` (also through a local
    alias ``t = self.<attr>``) anywhere in the class."""
    aliases: Dict[str, str] = {}
    out: Set[str] = set()
    for node in ast.walk(klass):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Attribute):
            if isinstance(node.value.value, ast.Name) and node.value.value.id == "self":
                for t in node.targets:
                    if isinstance(t, ast.Name):
                        aliases[t.id] = node.value.attr
    for node in ast.walk(klass):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("cancel", "cancel_all"):
            owner = node.func.value
            if isinstance(owner, ast.Attribute) and isinstance(owner.value, ast.Name) and owner.value.id == "self":
                out.add(owner.attr)
            elif isinstance(owner, ast.Name) and owner.id in aliases:
                out.add(aliases[owner.id])
    return out


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _below(node: ast.AST) -> List[ast.AST]:
    """Every node below ``node``, not inside a nested ``def``, class or lambda (those
    nodes themselves included, as ``walk_nodes(..., into_scopes=False)`` yields them)."""
    out: List[ast.AST] = []
    stack = list(ast.iter_child_nodes(node))
    while stack:
        sub = stack.pop()
        out.append(sub)
        if not isinstance(sub, _SCOPES):
            stack.extend(ast.iter_child_nodes(sub))
    return out


def _own(stmts: List[ast.stmt]) -> List[ast.AST]:
    """``walk_nodes(<block>, into_scopes=False)``: the statements and what is below them,
    not inside a nested ``def``, class or lambda."""
    out: List[ast.AST] = []
    for stmt in stmts:
        out.append(stmt)
        if not isinstance(stmt, _SCOPES):
            out.extend(_below(stmt))
    return out


def _self_method(expr: Optional[ast.AST]) -> Optional[str]:
    """``self.<name>`` -> name."""
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "self":
        return expr.attr
    return None


def _runs_forever_ast(klass: ast.ClassDef, name: str) -> bool:
    """``_method`` + ``_runs_forever`` on ``ast``, over-approximating: the class's first
    ``def`` of that name has a ``while True`` / ``while 1`` with no ``break`` / ``return``
    / ``raise`` in its body and no ``if`` there that tests ``self.<attr>``."""
    method = next((s for s in klass.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == name), None)
    if method is None:
        return False
    for loop in _own(method.body):
        if not (isinstance(loop, ast.While) and isinstance(loop.test, ast.Constant) and loop.test.value in (True, 1)):
            continue
        body = _own(loop.body)
        if any(isinstance(n, (ast.Break, ast.Return, ast.Raise)) for n in body):
            continue
        if any(isinstance(n, ast.If) and any(_self_method(m) is not None for m in (n.test, *_below(n.test))) for n in body):
            continue
        return True
    return False


def _ends_ast(klass: ast.ClassDef) -> bool:
    """``_ends``: the class defines one of the catalog's end methods (``close``, ...)."""
    ends = set(_catalog()["end_methods"])
    return any(isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name in ends for s in klass.body)


def _stored_on_self_ast(holder: Optional[ast.AST], call: ast.Call) -> bool:
    """``_stored_on_self``: ``self.<attr> = <call>`` (the call is the whole value)."""
    if isinstance(holder, ast.Assign):
        targets = holder.targets
    elif isinstance(holder, ast.AnnAssign):
        targets = [holder.target]
    else:
        return False
    return holder.value is call and any(_self_method(t) is not None for t in targets)
