"""FFT302: a task created with ``create_task`` / ``ensure_future`` whose result is thrown away."""

from __future__ import annotations

import ast
from typing import Any, Dict, List, Optional, Set, Tuple

import libcst as cst

from fftlint.analysis.names import dotted
from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.engine.walk import replaced
from fftlint.rule import FixSpec, Invalid, Rule

from ._common import (
    block_of,
    blocks_of,
    fresh_name,
    in_dead_branch,
    inside_expected_raise,
    leak_facts,
    load_catalog,
    may_resolve,
    names_in,
    reachable,
    split_name,
    walk_nodes,
)

BACKGROUND = "_background_tasks"
#: How a task is dropped -> the first half of the message (``{call}``: the spawner).
HOW = {
    "statement": "The task from `{call}` is not kept",
    "chained": "The task from `{call}` is not kept (`.{detail}(...)` stores nothing outside the task)",
    "display": "The task from `{call}` is put in a {detail} that is thrown away",
    "conditional": "The task from `{call}` is the value of an expression that is thrown away",
    "with": "The task from `{call}` is a `with` item that nothing keeps",
    "argument": "The task from `{call}` is passed to `{detail}`, which does not keep it",
    "callback": "The task from `{call}` is returned by a callback whose return value `{detail}` throws away",
    "unused": "The task from `{call}` is stored in `{detail}`, which is never used again",
    "callbacks-only": "The task from `{call}` is stored in `{detail}`, which is only used to add callbacks to it",
    "loop": "`{detail}` keeps only the last task from `{call}` of the loop",
}
Site = Tuple[str, str, Optional["cst.BaseSmallStatement"]]  # (how, detail, statement to fix)


def _maybe_create_task(func: ast.AST, facts: Any) -> bool:
    """The callee can resolve to a ``create_task`` spawner (an ``ensure_future`` one is
    reported only when its first argument is a call)."""
    if isinstance(func, ast.Attribute):
        return func.attr != "ensure_future"
    if isinstance(func, ast.Name):
        return func.id != "ensure_future" or any(last != "ensure_future" for last in facts.aliases.get(func.id, ()))
    return True


def _first_argument_is_call(call: ast.Call) -> bool:
    """LibCST's ``call.args[0].value`` (the first argument in source order, keyword or not,
    without its stars) is a call."""
    items = [(a.lineno, a.col_offset, a.value if isinstance(a, ast.Starred) else a) for a in call.args]
    items += [(k.lineno, k.col_offset, k.value) for k in call.keywords if hasattr(k, "lineno")]
    if len(items) != len(call.args) + len(call.keywords):
        return True  # no positions for keywords (Python 3.8): cannot tell
    if not items:
        return False
    return isinstance(min(items, key=lambda t: (t[0], t[1]))[2], ast.Call)


class DanglingTask(Rule):
    """## What it does
    Checks for tasks made by `asyncio.create_task(...)`, `asyncio.ensure_future(...)` and
    `loop.create_task(...)` that nothing keeps a reference to:
    - the call is a statement of its own (also when only `.add_done_callback(...)` is
      chained onto it);
    - the task is stored in a local variable that is never used again, or used only to add
      done-callbacks (the callbacks live on the task itself), or reassigned in a loop and
      used only after it (only the last task survives);
    - it is an element of a list, tuple or set display, or of a list or set comprehension,
      that is thrown away; a branch of a conditional expression or an operand of
      `and` / `or` whose value is thrown away; a `with` item;
    - it is passed straight to a call that does not keep its arguments (`print`, `str`,
      `repr`, `id`, a logger method, ...);
    - a lambda creates it and is handed to an event-loop method that throws the callback's
      return value away (`loop.add_signal_handler(SIGTERM, lambda: asyncio.create_task(
      stop()))`, `call_soon`, `call_later`, `add_done_callback`, ...).

    Not reported: tasks passed to any other call (`asyncio.gather`, `asyncio.wait`,
    `tasks.append`, a function of the project: unknown stays silent), tasks of an
    `asyncio.TaskGroup` (`tg.create_task`: the group keeps them), stored in attributes,
    globals, containers or returned; module-level and class-level variables (they live on);
    `ensure_future` of something that is not a call (an existing future comes back
    unchanged); calls inside `with pytest.raises(...)` / `with self.assertRaises(...)`, or
    in code that never runs (`if TYPE_CHECKING:`).

    ## Why is this bad?
    The event loop keeps only a *weak* reference to a task. A task nobody else refers to
    can be garbage-collected in the middle of its work ("Task was destroyed but it is
    pending!"), so the work silently stops half-way, and an exception it raises is never
    retrieved. The asyncio documentation says: "Save a reference to the result of this
    function, to avoid a task disappearing mid-execution."

    ## Example
    ```python
    import asyncio

    async def handle(request):
        asyncio.create_task(send_email(request.user))
        return {"ok": True}
    ```

    ## Use instead
    Keep a strong reference until the task is done, and look at its outcome:
    ```python
    import asyncio

    _background_tasks = set()

    async def handle(request):
        task = asyncio.create_task(send_email(request.user))
        _background_tasks.add(task)
        task.add_done_callback(_background_tasks.discard)
        return {"ok": True}
    ```
    or, on Python 3.11+, an `asyncio.TaskGroup` (`tg.create_task(...)` is not reported:
    the group holds its tasks).

    ## Fix safety
    Safe fix for a task that is a statement of its own or stored in an unused local (on a
    line of its own in an indented block): the task is added to a module-level
    `_background_tasks = set()` (created after the imports when the module lacks it) and
    removes itself when done, which is what the asyncio documentation recommends. The
    task then runs to completion instead of possibly being collected; nothing else
    changes. No fix for the other forms, or when `_background_tasks` is already bound to
    something else.
    """

    code = "FFT302"
    contexts = PRODUCTION_ONLY  # tests and scripts are short-lived: nothing piles up
    name = "dangling-task"
    message = "{how}: the event loop holds only a weak reference to a task, so it can be garbage-collected mid-flight and its exception is lost"
    fix_title = "Keep the task in a module-level set until it is done"
    requires = ("create_task", "ensure_future")

    VALID = [
        "import asyncio\nasync def f():\n    task = asyncio.create_task(work())\n    await task\n",
        "import asyncio\nTASKS = set()\nasync def f():\n    t = asyncio.create_task(work())\n    TASKS.add(t)\n    t.add_done_callback(TASKS.discard)\n",
        "import asyncio\nasync def f():\n    await asyncio.create_task(work())\n",
        "import asyncio\nasync def f():\n    return asyncio.ensure_future(work())\n",
        "import asyncio\nasync def f(tasks):\n    tasks.append(asyncio.create_task(work()))\n",
        "import asyncio\nasync def f():\n    async with asyncio.TaskGroup() as tg:\n        tg.create_task(work())\n",
        "import asyncio\nasync def f(tg: asyncio.TaskGroup):\n    tg.create_task(work())\n",
        # ensure_future of something that is already a future returns that same object
        "import asyncio\nasync def f(fut):\n    asyncio.ensure_future(fut)\n",
        # an unrelated create_task method (not an event loop)
        "async def f(scheduler):\n    scheduler.create_task(job)\n",
        # a local function that shadows the import
        "async def f():\n    def create_task(c):\n        return c\n    create_task(work())\n",
        "import trio\nasync def f():\n    async with trio.open_nursery() as n:\n        n.start_soon(work)\n",
        # a test that expects the call to raise: no task is created
        "import asyncio, pytest\nasync def test_closed(loop):\n    with pytest.raises(RuntimeError):\n        asyncio.ensure_future(work(), loop=loop)\n",
        "import asyncio, unittest\nclass T(unittest.TestCase):\n    def test_closed(self):\n        with self.assertRaises(RuntimeError):\n            asyncio.ensure_future(work(), loop=self.loop)\n",
        # kept: gather holds its children, a used list, an attribute, a global, a closure
        "import asyncio\nasync def f():\n    await asyncio.gather(asyncio.create_task(a()), asyncio.create_task(b()))\n",
        "import asyncio\nasync def f():\n    tasks = [asyncio.create_task(a()), asyncio.create_task(b())]\n    await asyncio.wait(tasks)\n",
        "import asyncio\nclass C:\n    def start(self):\n        self._task = asyncio.create_task(self.run())\n",
        "import asyncio\n_task = None\ndef start():\n    global _task\n    _task = asyncio.create_task(run())\n",
        "import asyncio\nasync def f():\n    t = asyncio.create_task(work())\n    def stop():\n        t.cancel()\n    return stop\n",
        # a callback that keeps the task through its arguments
        "import asyncio, functools\nasync def f(pending):\n    t = asyncio.create_task(work())\n    t.add_done_callback(functools.partial(pending.discard, t))\n    pending.add(t)\n",
        # used inside the loop: every task is awaited in its own iteration
        "import asyncio\nasync def f(items):\n    for item in items:\n        t = asyncio.create_task(process(item))\n        await t\n",
        # module level: the variable lives as long as the module
        "import asyncio\nloop = asyncio.new_event_loop()\nmain_task = loop.create_task(main())\n",
        # a call that may keep it (unknown), and a lambda whose value someone uses
        "import asyncio\ndef f(registry):\n    registry.track(asyncio.create_task(work()))\n",
        "import asyncio\ndef f(executor):\n    executor.submit(lambda: asyncio.create_task(work()))\n",
        # a generator expression that is thrown away never runs
        "import asyncio\ndef f(items):\n    (asyncio.create_task(work(i)) for i in items)\n",
    ]
    INVALID = [
        Invalid(
            "import asyncio\n\nasync def handle(request):\n    asyncio.create_task(send(request))\n    return 1\n",
            line=4,
            column=5,
            message_contains="asyncio.create_task",
            fixed=(
                "import asyncio\n_background_tasks = set()\n\nasync def handle(request):\n"
                "    task = asyncio.create_task(send(request))\n    _background_tasks.add(task)\n"
                "    task.add_done_callback(_background_tasks.discard)\n    return 1\n"
            ),
        ),
        Invalid(
            "from asyncio import ensure_future\nasync def f(task):\n    ensure_future(work())\n",
            fixed=(
                "from asyncio import ensure_future\n_background_tasks = set()\nasync def f(task):\n"
                "    task_2 = ensure_future(work())\n    _background_tasks.add(task_2)\n"
                "    task_2.add_done_callback(_background_tasks.discard)\n"
            ),
        ),
        Invalid(
            "import asyncio\n_background_tasks = set()\ndef f():\n    loop = asyncio.get_event_loop()\n    loop.create_task(work())\n",
            fixed=(
                "import asyncio\n_background_tasks = set()\ndef f():\n    loop = asyncio.get_event_loop()\n"
                "    task = loop.create_task(work())\n    _background_tasks.add(task)\n"
                "    task.add_done_callback(_background_tasks.discard)\n"
            ),
        ),
        Invalid(
            "import asyncio\nasync def f():\n    asyncio.get_running_loop().create_task(work())\n",
            fixed=(
                "import asyncio\n_background_tasks = set()\nasync def f():\n    task = asyncio.get_running_loop().create_task(work())\n"
                "    _background_tasks.add(task)\n    task.add_done_callback(_background_tasks.discard)\n"
            ),
        ),
        Invalid(
            "import asyncio\nclass C:\n    def start(self):\n        self._loop.create_task(self.run())\n",
            fixed=(
                "import asyncio\n_background_tasks = set()\nclass C:\n    def start(self):\n        task = self._loop.create_task(self.run())\n"
                "        _background_tasks.add(task)\n        task.add_done_callback(_background_tasks.discard)\n"
            ),
        ),
        Invalid("import asyncio\nasync def f(loop: asyncio.AbstractEventLoop):\n    if loop: loop.create_task(work())\n"),
        Invalid(
            "import asyncio\nasync def f():\n    asyncio.create_task(work()).add_done_callback(report)\n",
            message_contains="add_done_callback",
            fixed=(
                "import asyncio\n_background_tasks = set()\nasync def f():\n    task = asyncio.create_task(work())\n"
                "    _background_tasks.add(task)\n    task.add_done_callback(_background_tasks.discard)\n"
                "    task.add_done_callback(report)\n"
            ),
        ),
        Invalid(
            "import asyncio\nasync def f(items):\n    for item in items:\n        asyncio.create_task(process(item))\n",
            count=1,
            fixed=(
                "import asyncio\n_background_tasks = set()\nasync def f(items):\n    for item in items:\n"
                "        task = asyncio.create_task(process(item))\n        _background_tasks.add(task)\n"
                "        task.add_done_callback(_background_tasks.discard)\n"
            ),
        ),
        # a local never used again (ruff's RUF006 too), or only for callbacks
        Invalid(
            "import asyncio\nasync def f():\n    t = asyncio.create_task(work())\n    return 1\n",
            message_contains="stored in `t`, which is never used again",
            fixed=(
                "import asyncio\n_background_tasks = set()\nasync def f():\n    t = asyncio.create_task(work())\n"
                "    _background_tasks.add(t)\n    t.add_done_callback(_background_tasks.discard)\n    return 1\n"
            ),
        ),
        Invalid(
            "import asyncio\nasync def f():\n    t = asyncio.create_task(work())\n    t.add_done_callback(log_errors)\n",
            message_contains="only used to add callbacks",
            fixed=(
                "import asyncio\n_background_tasks = set()\nasync def f():\n    t = asyncio.create_task(work())\n"
                "    _background_tasks.add(t)\n    t.add_done_callback(_background_tasks.discard)\n    t.add_done_callback(log_errors)\n"
            ),
        ),
        # reassigned in a loop and used after it: only the last task is kept
        Invalid(
            "import asyncio\nasync def f(items):\n    for item in items:\n        t = asyncio.create_task(process(item))\n    await t\n",
            message_contains="keeps only the last task",
            fixed=(
                "import asyncio\n_background_tasks = set()\nasync def f(items):\n    for item in items:\n"
                "        t = asyncio.create_task(process(item))\n        _background_tasks.add(t)\n"
                "        t.add_done_callback(_background_tasks.discard)\n    await t\n"
            ),
        ),
        # displays, comprehensions, conditional expressions, `and` / `or`, `with` items
        Invalid("import asyncio\nasync def f():\n    [asyncio.create_task(a()), asyncio.create_task(b())]\n", count=2, message_contains="list"),
        Invalid("import asyncio\nasync def f(items):\n    [asyncio.create_task(work(i)) for i in items]\n"),
        Invalid("import asyncio\nasync def f(c):\n    asyncio.create_task(a()) if c else None\n"),
        Invalid("import asyncio\nasync def f(c):\n    c and asyncio.ensure_future(a())\n"),
        Invalid("import asyncio\nasync def f():\n    with asyncio.create_task(a()):\n        pass\n"),
        # passed to a call that does not keep it
        Invalid("import asyncio\nasync def f():\n    print(asyncio.create_task(a()))\n", message_contains="passed to `print`"),
        Invalid(
            "import asyncio, logging\nlog = logging.getLogger(__name__)\nasync def f():\n    log.info('started %s', asyncio.create_task(a()))\n",
        ),
        # a callback whose return value the loop throws away
        Invalid(
            "import asyncio, signal\nasync def main():\n    loop = asyncio.get_running_loop()\n    loop.add_signal_handler(signal.SIGTERM, lambda: asyncio.create_task(stop()))\n",
            message_contains="add_signal_handler",
        ),
        Invalid("import asyncio\ndef on_done(fut):\n    fut.add_done_callback(lambda _: asyncio.ensure_future(cleanup()))\n"),
    ]

    @classmethod
    def could_match(cls, view: Any) -> bool:
        """Stage 2 of the pre-filter: a call in one of the places the rule looks at
        (``_candidates``: a discarded expression and what it is made of, a local assignment
        whose name is not read in its function other than as a task-method receiver, or
        that sits in a loop, a ``with`` item, an argument of a call named like a
        non-keeping one, a lambda's body) whose callee can resolve to a spawner, or a
        ``.create_task`` whose receiver can be an event loop (``_spawner``)."""
        catalog = load_catalog("tasks.yaml")
        facts = leak_facts(view)
        spawners = reachable([split_name(s) for s in catalog["spawners"]], facts)
        loops = reachable([split_name(s) for s in catalog["loops"]], facts)
        if not spawners and "create_task" not in view.text:
            return False  # no spawner, and no `.create_task` on anything
        for candidate in _candidates(view, catalog):
            func = candidate.func
            last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
            if last is None:
                continue
            if last not in ("create_task", "ensure_future") and last not in facts.aliases:
                continue
            if any(may_resolve(func, s, facts) for s in spawners) and (
                _maybe_create_task(func, facts) or _first_argument_is_call(candidate)
            ):
                return True
            if last == "create_task" and isinstance(func, ast.Attribute):
                receiver = func.value
                tail = receiver.attr if isinstance(receiver, ast.Attribute) else receiver.id if isinstance(receiver, ast.Name) else None
                if tail in catalog["loop_names"]:
                    return True
                if any(may_resolve(receiver, s, facts) for s in loops):
                    return True
        return False

    def __init__(self, ctx: Any, options: Any = None) -> None:
        super().__init__(ctx, options)
        self._catalog = load_catalog("tasks.yaml")
        self._sites: Dict[int, Dict[int, Site]] = {}

    def visit_Call(self, node: cst.Call) -> None:
        statement = self.ctx.statements[-1] if self.ctx.statements else None
        if statement is None:
            return
        site = self._sites_of(statement).get(id(node))
        if site is None:
            return
        spawner = self._spawner(node)
        if spawner is None:
            return
        how, detail, small = site
        if how == "local":
            verdict = self._local_verdict(detail)
            if verdict is None:
                return
            how = verdict
        if inside_expected_raise(self.ctx) or in_dead_branch(self.ctx):
            return
        call = dotted(node.func) or self.ctx.code_for(node.func)
        fix = self._fix(node, how, detail, small) if small is not None else None
        self.report(node, how=HOW[how].format(call=call, detail=detail), fix=fix)

    # -- where a task can be dropped ------------------------------------------------------
    def _sites_of(self, statement: cst.CSTNode) -> Dict[int, Site]:
        found = self._sites.get(id(statement))
        if found is not None:
            return found
        out: Dict[int, Site] = {}
        if isinstance(statement, cst.SimpleStatementLine):
            smalls: List[cst.BaseSmallStatement] = list(statement.body)
        else:  # one-line suites: `if ready: asyncio.create_task(go())`
            smalls = [small for block in blocks_of(statement) if isinstance(block, cst.SimpleStatementSuite) for small in block.body]
        if smalls:
            for small in smalls:
                if isinstance(small, cst.Expr):
                    self._discarded(small.value, "statement", out, small)
                elif isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                    if isinstance(small.value, cst.Call):
                        out[id(small.value)] = ("local", small.targets[0].target.value, small)
                elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) and isinstance(small.value, cst.Call):
                    out[id(small.value)] = ("local", small.target.value, small)
                self._passed_on(small, out)
        if isinstance(statement, cst.With):
            for item in statement.items:
                if item.asname is None and isinstance(item.item, cst.Call):
                    out[id(item.item)] = ("with", "", None)
                self._passed_on(item.item, out)
        elif isinstance(statement, (cst.If, cst.While)):
            self._passed_on(statement.test, out)
        self._sites[id(statement)] = out
        return out

    def _discarded(self, expr: cst.BaseExpression, how: str, out: Dict[int, Site], small: Optional[cst.BaseSmallStatement]) -> None:
        """Record the calls whose value ``expr`` (a value that is thrown away) drops."""
        if isinstance(expr, cst.Call):
            out.setdefault(id(expr), (how, "", small if how == "statement" else None))
            func = expr.func
            if (
                isinstance(func, cst.Attribute)
                and func.attr.value in self._catalog["task_methods_not_keeping"]
                and isinstance(func.value, cst.Call)
            ):
                out[id(func.value)] = ("chained", func.attr.value, small if how == "statement" else None)
        elif isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
            kind = {cst.List: "list", cst.Tuple: "tuple", cst.Set: "set"}[type(expr)]
            for el in expr.elements:
                if isinstance(el, cst.Element):
                    self._discarded(el.value, "display", out, None)
                    if out.get(id(el.value), ("",))[0] == "display":
                        out[id(el.value)] = ("display", kind, None)
        elif isinstance(expr, (cst.ListComp, cst.SetComp)):
            self._discarded(expr.elt, "display", out, None)
            if out.get(id(expr.elt), ("",))[0] == "display":
                out[id(expr.elt)] = ("display", "list comprehension" if isinstance(expr, cst.ListComp) else "set comprehension", None)
        elif isinstance(expr, cst.IfExp):
            self._discarded(expr.body, "conditional", out, None)
            self._discarded(expr.orelse, "conditional", out, None)
        elif isinstance(expr, cst.BooleanOperation):
            self._discarded(expr.left, "conditional", out, None)
            self._discarded(expr.right, "conditional", out, None)

    def _passed_on(self, node: cst.CSTNode, out: Dict[int, Site]) -> None:
        """Arguments of calls that do not keep them, and lambdas whose value an event-loop
        method throws away (not inside nested ``def`` / ``class`` bodies)."""
        subs = [node, *walk_nodes(node, into_scopes=False)]
        for sub in subs:
            if not isinstance(sub, cst.Call):
                continue
            callee = self._not_keeping(sub)
            if callee is not None:
                for arg in sub.args:
                    if isinstance(arg.value, cst.Call) and not arg.star:
                        out.setdefault(id(arg.value), ("argument", callee, None))
            method = self._discarding(sub)
            if method is not None:
                for arg in sub.args:
                    if isinstance(arg.value, cst.Lambda) and isinstance(arg.value.body, cst.Call):
                        out.setdefault(id(arg.value.body), ("callback", method, None))

    def _not_keeping(self, call: cst.Call) -> Optional[str]:
        func = call.func
        name = self.ctx.names.resolve(func)
        if name is not None and name in self._catalog["not_keeping"]:
            return dotted(func) or name
        if isinstance(func, cst.Attribute) and func.attr.value in self._catalog["logger_methods"]:
            receiver = self.ctx.names.resolve(func.value) or ""
            last = func.value.attr.value if isinstance(func.value, cst.Attribute) else (
                func.value.value if isinstance(func.value, cst.Name) else ""
            )
            if receiver.startswith("logging.getLogger()") or receiver in ("logging", "logging.root") or (
                last in self._catalog["logger_names"] and (receiver in ("", last) or receiver.startswith("logging."))
            ):
                return dotted(func) or func.attr.value
        return None

    def _discarding(self, call: cst.Call) -> Optional[str]:
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in self._catalog["discarding_callbacks"]:
            return None
        if func.attr.value == "add_done_callback" or self._is_loop(func.value):
            return dotted(func) or func.attr.value
        return None

    # -- a task stored in a local ---------------------------------------------------------
    def _local_verdict(self, name: str) -> Optional[str]:
        """"unused" / "callbacks-only" / "loop", or None when the local is used (or is not
        a local of a function at all)."""
        frame = self.ctx.stack.function_frame
        if frame is None or not isinstance(frame.node, cst.FunctionDef):
            return None
        func = frame.node
        targets: Set[int] = set()
        receivers: Set[int] = set()
        uses: List[cst.Name] = []
        methods = self._catalog["task_methods_not_keeping"]
        for sub in walk_nodes(func.body):
            if isinstance(sub, (cst.Global, cst.Nonlocal)) and any(n.name.value == name for n in sub.names):
                return None
            if isinstance(sub, cst.Assign):
                for t in sub.targets:
                    if isinstance(t.target, cst.Name):
                        targets.add(id(t.target))
            elif isinstance(sub, cst.AnnAssign) and isinstance(sub.target, cst.Name):
                targets.add(id(sub.target))
            elif (
                isinstance(sub, cst.Call)
                and isinstance(sub.func, cst.Attribute)
                and sub.func.attr.value in methods
                and isinstance(sub.func.value, cst.Name)
            ):
                receivers.add(id(sub.func.value))
            elif isinstance(sub, cst.Attribute):
                targets.add(id(sub.attr))  # `self.<name>` is not the local
            elif isinstance(sub, cst.Arg) and sub.keyword is not None:
                targets.add(id(sub.keyword))  # nor is `f(<name>=...)`
            elif isinstance(sub, cst.Name) and sub.value == name:
                uses.append(sub)
        if self._is_param(func, name):
            return None
        real = [u for u in uses if id(u) not in targets and id(u) not in receivers]
        if not real:
            return "callbacks-only" if any(id(u) in receivers for u in uses) else "unused"
        loops = [f for f in self.ctx.stack.loops if f.kind in ("loop", "async loop")]
        if loops:
            body = loops[-1].node.body  # type: ignore[attr-defined]
            inside = {id(n) for n in walk_nodes(body)}
            if not any(id(u) in inside for u in real):
                return "loop"
        return None

    @staticmethod
    def _is_param(func: cst.FunctionDef, name: str) -> bool:
        params = func.params
        return any(p.name.value == name for p in (*params.posonly_params, *params.params, *params.kwonly_params))

    # -- the fix ------------------------------------------------------------------------------
    def _fix(self, call: cst.Call, how: str, detail: str, small: cst.BaseSmallStatement) -> Optional[FixSpec]:
        if how not in ("statement", "chained", "unused", "callbacks-only", "loop"):
            return None
        if not isinstance(self.ctx.statements[-1], cst.SimpleStatementLine):
            return None  # `if ready: asyncio.create_task(go())`: not on a line of its own
        bound = self.ctx.names.module_bindings().get(BACKGROUND)
        if bound is not None and not self._module_set():
            return None  # `_background_tasks` is something else here
        line = self.ctx.statements[-1]
        parent = self.ctx.statements[-2] if len(self.ctx.statements) > 1 else self.ctx.module
        block = self.ctx.module if isinstance(parent, cst.Module) else block_of(parent, line)
        if not isinstance(block, (cst.IndentedBlock, cst.Module)) or not any(s is line for s in block.body):
            return None
        code = self.ctx.code_for
        if how in ("unused", "callbacks-only", "loop"):
            t, first = detail, line
            extra: List[str] = []
        else:
            assert isinstance(small, cst.Expr)
            scope = self.ctx.stack.function
            t = fresh_name("task", names_in(scope if scope is not None else self.ctx.module))
            assign = cst.parse_statement(f"{t} = {code(call)}\n")
            assert isinstance(assign, cst.SimpleStatementLine)
            first = line.with_changes(body=[assign.body[0] if s is small else s for s in line.body])
            extra = []
            if how == "chained":
                whole, inner = code(small.value), code(call)
                if not whole.startswith(inner):
                    return None
                extra.append(f"{t}{whole[len(inner):]}")
        added = [cst.parse_statement(f"{text}\n") for text in (f"{BACKGROUND}.add({t})", f"{t}.add_done_callback({BACKGROUND}.discard)", *extra)]
        body: List[cst.BaseStatement] = []
        for stmt in block.body:
            body.extend([first, *added] if stmt is line else [stmt])  # type: ignore[list-item]
        module = replaced(self.ctx.module, block, block.with_changes(body=body), self.ctx.statements[:-1])
        assert isinstance(module, cst.Module)
        return FixSpec((), rewrite=module, module_statements=(f"{BACKGROUND} = set()",))

    def _module_set(self) -> bool:
        for stmt in self.ctx.module.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Assign) and any(
                        isinstance(t.target, cst.Name) and t.target.value == BACKGROUND for t in small.targets
                    ):
                        value = small.value
                        return isinstance(value, cst.Call) and dotted(value.func) == "set" and not value.args
        return False

    # -- spawners -------------------------------------------------------------------------------
    def _spawner(self, call: cst.Call) -> Optional[str]:
        catalog = self._catalog
        func = call.func
        resolved = self.ctx.names.resolve(func)
        if resolved in catalog["spawners"]:
            if resolved.endswith("ensure_future") and not (call.args and isinstance(call.args[0].value, cst.Call)):
                return None  # an existing future or task comes back unchanged
            return resolved
        if not isinstance(func, cst.Attribute) or func.attr.value != "create_task":
            return None
        if self._is_loop(func.value):
            return "create_task"
        return None

    def _is_loop(self, expr: cst.BaseExpression) -> bool:
        catalog = self._catalog
        receiver = self.ctx.names.resolve(expr)
        if receiver is not None and receiver in catalog["loops"]:
            return True
        last = expr.attr.value if isinstance(expr, cst.Attribute) else (expr.value if isinstance(expr, cst.Name) else None)
        return last in catalog["loop_names"] and (receiver is None or receiver == last)


def _candidates(view: Any, catalog: Dict[str, Any]) -> List[ast.Call]:
    """The calls ``DanglingTask._sites_of`` can record, on the ``ast`` (over-approximated:
    a local counts unless its name is never read in its function other than as the
    receiver of a task method, and always inside a loop)."""
    out: List[ast.Call] = []
    methods = set(catalog["task_methods_not_keeping"])

    def discarded(expr: ast.AST) -> None:
        if isinstance(expr, ast.Call):
            out.append(expr)
            func = expr.func
            if isinstance(func, ast.Attribute) and func.attr in methods and isinstance(func.value, ast.Call):
                out.append(func.value)
        elif isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
            for el in expr.elts:
                discarded(el)
        elif isinstance(expr, (ast.ListComp, ast.SetComp)):
            discarded(expr.elt)
        elif isinstance(expr, ast.IfExp):
            discarded(expr.body)
            discarded(expr.orelse)
        elif isinstance(expr, ast.BoolOp):
            for value in expr.values:
                discarded(value)

    for stmt in view.nodes(ast.Expr):
        discarded(stmt.value)
    for item in view.nodes(ast.withitem):
        if isinstance(item.context_expr, ast.Call):
            out.append(item.context_expr)
    # arguments of calls named like a non-keeping callee; lambda bodies
    lasts = {name.rsplit(".", 1)[-1] for name in catalog["not_keeping"]} | set(catalog["logger_methods"])
    for call in view.nodes(ast.Call):
        func = call.func
        last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if last in lasts or isinstance(func, ast.Name):  # a bare name may alias `print`
            out.extend(a for a in call.args if isinstance(a, ast.Call))
    for lam in view.nodes(ast.Lambda):
        if isinstance(lam.body, ast.Call):
            out.append(lam.body)
    # locals: not read in the function (except as a task-method receiver), or in a loop
    assigns = [
        (node, node.targets[0].id if isinstance(node, ast.Assign) else node.target.id)  # type: ignore[attr-defined]
        for node in (*view.nodes(ast.Assign), *view.nodes(ast.AnnAssign))
        if isinstance(node.value, ast.Call)
        and (
            (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name))
            or (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name))
        )
    ]
    if assigns:
        facts = leak_facts(view)
        for node, name in assigns:
            func = node.value.func  # type: ignore[attr-defined]
            last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
            if last not in ("create_task", "ensure_future") and last not in facts.aliases:
                continue  # could_match drops it anyway: skip the walks below
            fn = facts.innermost_function(node)
            if fn is None:
                continue
            if _in_loop(fn, node) or not _read(fn, name, methods):
                out.append(node.value)  # type: ignore[arg-type]
    return out


def _in_loop(fn: ast.AST, node: ast.AST) -> bool:
    for loop in ast.walk(fn):
        if isinstance(loop, (ast.For, ast.AsyncFor, ast.While)) and any(sub is node for sub in ast.walk(loop)):
            return True
    return False


def _read(fn: ast.AST, name: str, methods: Set[str]) -> bool:
    receivers = set()
    for sub in ast.walk(fn):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr in methods:
            if isinstance(sub.func.value, ast.Name):
                receivers.add(id(sub.func.value))
    return any(
        isinstance(sub, ast.Name) and sub.id == name and not isinstance(sub.ctx, ast.Store) and id(sub) not in receivers
        for sub in ast.walk(fn)
    ) or any(isinstance(sub, (ast.Global, ast.Nonlocal)) and name in sub.names for sub in ast.walk(fn))
