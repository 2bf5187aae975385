"""FFT302: a task created with ``create_task`` / ``ensure_future`` whose result is thrown away."""

from __future__ import annotations

import ast
from typing import Any, Optional

import libcst as cst

from fftlint.analysis.names import dotted
from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.rule import Invalid, Rule

from ._common import (
    discarded,
    in_dead_branch,
    inside_expected_raise,
    leak_facts,
    load_catalog,
    may_resolve,
    reachable,
    split_name,
)


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
    Checks for `asyncio.create_task(...)`, `asyncio.ensure_future(...)` and
    `loop.create_task(...)` calls whose result is discarded: the call is a statement of
    its own (also when only `.add_done_callback(...)` is chained onto it). Not inside
    `with pytest.raises(...)` / `with self.assertRaises(...)`, where the call is expected
    to fail before it makes a task.

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

    background_tasks = set()

    async def handle(request):
        task = asyncio.create_task(send_email(request.user))
        background_tasks.add(task)
        task.add_done_callback(background_tasks.discard)
        return {"ok": True}
    ```
    or, on Python 3.11+, an `asyncio.TaskGroup` (`tg.create_task(...)` is not reported:
    the group holds its tasks).

    ## Fix safety
    No fix: where the reference should live (a set, an attribute, a task group) is a
    design decision.
    """

    code = "FFT302"
    contexts = PRODUCTION_ONLY  # tests and scripts are short-lived: nothing piles up
    name = "dangling-task"
    message = "The task from `{call}` is not kept: the event loop holds only a weak reference, so it can be garbage-collected mid-flight and its exception is lost"
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
    ]
    INVALID = [
        Invalid(
            "import asyncio\n\nasync def handle(request):\n    asyncio.create_task(send(request))\n    return 1\n",
            line=4,
            column=5,
            message_contains="asyncio.create_task",
        ),
        Invalid("from asyncio import ensure_future\nasync def f():\n    ensure_future(work())\n"),
        Invalid("import asyncio\ndef f():\n    loop = asyncio.get_event_loop()\n    loop.create_task(work())\n"),
        Invalid("import asyncio\nasync def f():\n    asyncio.get_running_loop().create_task(work())\n"),
        Invalid("import asyncio\nclass C:\n    def start(self):\n        self._loop.create_task(self.run())\n"),
        Invalid("import asyncio\nasync def f(loop: asyncio.AbstractEventLoop):\n    loop.create_task(work())\n"),
        Invalid("import asyncio\nasync def f():\n    asyncio.create_task(work()).add_done_callback(report)\n"),
        Invalid(
            "import asyncio\nasync def f(items):\n    for item in items:\n        asyncio.create_task(process(item))\n",
            count=1,
        ),
    ]

    @classmethod
    def could_match(cls, view: Any) -> bool:
        """Stage 2 of the pre-filter: an expression statement that is a call (or
        ``<call>.add_done_callback(...)``) whose callee can resolve to a spawner, or a
        ``.create_task`` whose receiver can be an event loop (``_spawner``)."""
        catalog = load_catalog("tasks.yaml")
        facts = leak_facts(view)
        spawners = reachable([split_name(s) for s in catalog["spawners"]], facts)
        loops = reachable([split_name(s) for s in catalog["loops"]], facts)
        if not spawners and "create_task" not in view.text:
            return False  # no spawner, and no `.create_task` on anything
        for stmt in view.nodes(ast.Expr):
            call = stmt.value
            if not isinstance(call, ast.Call):
                continue
            calls = [call]
            func = call.func
            if isinstance(func, ast.Attribute) and func.attr == "add_done_callback" and isinstance(func.value, ast.Call):
                calls.append(func.value)
            for candidate in calls:
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

    def visit_Call(self, node: cst.Call) -> None:
        statement = self.ctx.statements[-1] if self.ctx.statements else None
        if not isinstance(statement, cst.SimpleStatementLine):
            return
        if discarded(statement, node):
            call = node
        else:
            return
        # ``create_task(...).add_done_callback(cb)``: the task itself is still thrown away
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == "add_done_callback" and isinstance(func.value, cst.Call):
            call = func.value
        if self._spawner(call) is not None and not inside_expected_raise(self.ctx) and not in_dead_branch(self.ctx):
            self.report(call, call=dotted(call.func) or self.ctx.code_for(call.func))

    def _spawner(self, call: cst.Call) -> Optional[str]:
        catalog = load_catalog("tasks.yaml")
        func = call.func
        resolved = self.ctx.names.resolve(func)
        if resolved in catalog["spawners"]:
            if resolved.endswith("ensure_future") and not (call.args and isinstance(call.args[0].value, cst.Call)):
                return None  # an existing future or task comes back unchanged
            return resolved
        if not isinstance(func, cst.Attribute) or func.attr.value != "create_task":
            return None
        receiver = self.ctx.names.resolve(func.value)
        if receiver is not None and receiver in catalog["loops"]:
            return f"{receiver}.create_task"
        last = func.value.attr.value if isinstance(func.value, cst.Attribute) else (
            func.value.value if isinstance(func.value, cst.Name) else None
        )
        if last in catalog["loop_names"] and (receiver is None or receiver == last):
            return f"{last}.create_task"
        return None
