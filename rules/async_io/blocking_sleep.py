"""FFT101: ``time.sleep`` inside ``async def``."""

from __future__ import annotations

import libcst as cst

from fftlint.rule import Invalid, Rule, Valid, replace


class BlockingSleepInAsync(Rule):
    """## What it does
    Checks for `time.sleep(...)` called directly inside an `async def` body.

    ## Why is this bad?
    `time.sleep` blocks the thread, and with it the event loop: every other task,
    request and timer in the process stalls for the whole duration.

    ## Example
    ```python
    import time

    async def poll():
        time.sleep(1)
    ```

    ## Use instead
    ```python
    import asyncio

    async def poll():
        await asyncio.sleep(1)
    ```
    (`trio.sleep` / `anyio.sleep` when that is the library the module uses.)

    ## Fix safety
    Safe: `await asyncio.sleep(x)` waits as long, and lets other tasks run meanwhile.
    The fix adds the import it needs.
    """

    code = "FFT101"
    name = "blocking-sleep-in-async"
    message = "`time.sleep` blocks the event loop inside `async def {func}`"
    fix_title = "Use `await asyncio.sleep(...)`"
    requires = ("async",)

    VALID = [
        "import asyncio\nasync def f():\n    await asyncio.sleep(1)\n",
        "import time\ndef f():\n    time.sleep(1)\n",
        "import time\nasync def f():\n    def g():\n        time.sleep(1)\n    return g\n",
        "import time\nasync def f():\n    return lambda: time.sleep(1)\n",
        "import asyncio, time\nasync def f():\n    await asyncio.to_thread(time.sleep, 1)\n",
        "from trio import sleep\nasync def f():\n    await sleep(1)\n",
        "import time\nasync def f(time):\n    time.sleep(1)\n",
        Valid("def sleep(x):\n    pass\nasync def f():\n    sleep(1)\n"),
    ]
    INVALID = [
        Invalid(
            "import time\n\nasync def f():\n    time.sleep(1)\n",
            fixed="import time\nimport asyncio\n\nasync def f():\n    await asyncio.sleep(1)\n",
            line=4,
            column=5,
        ),
        Invalid(
            "from time import sleep as zz\nimport asyncio\n\nasync def f(x):\n    zz(x)\n",
            fixed="from time import sleep as zz\nimport asyncio\n\nasync def f(x):\n    await asyncio.sleep(x)\n",
        ),
        Invalid(
            "import time\nimport trio\n\nasync def f():\n    time.sleep(0.5)\n",
            fixed="import time\nimport trio\n\nasync def f():\n    await trio.sleep(0.5)\n",
        ),
        Invalid(
            "import time\nasync def f():\n    async with lock:\n        for i in range(3):\n            time.sleep(i)\n",
            count=1,
            fixed="import time\nimport asyncio\nasync def f():\n    async with lock:\n        for i in range(3):\n            await asyncio.sleep(i)\n",
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        if not self.ctx.stack.in_async_def:
            return
        if self.ctx.names.resolve(node.func) != "time.sleep":
            return
        fix = None
        if self._awaitable_position(node):
            lib = self._sleep_library()
            args = self.ctx.code_for(node.with_changes(func=cst.Name("x"))).strip()[1:]
            fix = replace(node, f"await {lib}.sleep{args}", imports=[lib], title=f"Use `await {lib}.sleep(...)`")
        self.report(node, func=self.ctx.stack.function_name, fix=fix)

    def _sleep_library(self) -> str:
        bindings = self.ctx.names.module.bindings
        for lib in ("trio", "anyio"):
            if bindings.get(lib) == lib:
                return lib
        return "asyncio"

    def _awaitable_position(self, node: cst.Call) -> bool:
        """Only a bare expression statement can become ``await ...`` without reparenthesising."""
        stmt = self.ctx.statements[-1] if self.ctx.statements else None
        return (
            isinstance(stmt, cst.SimpleStatementLine)
            and len(stmt.body) == 1
            and isinstance(stmt.body[0], cst.Expr)
            and stmt.body[0].value is node
        )
