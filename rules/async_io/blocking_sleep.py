"""FFT101: ``time.sleep`` inside ``async def``."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.rules.async_io.catalog import Match
from fftlint.rule import FixSpec, Invalid, Valid, replace

from ._base import BlockingCallRule, fix_position, module_uses


class BlockingSleepInAsync(BlockingCallRule):
    """## What it does
    Checks for `time.sleep(...)` called directly inside an `async def` body. A literal
    zero (`time.sleep(0)`, written on purpose to let other threads take the GIL) returns
    at once and is not reported; any other delay is, a variable one included.

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
    contexts = PRODUCTION_ONLY  # blocking in an async test slows the suite; no server stalls
    name = "blocking-sleep-in-async"
    kind = "sleep"
    message = "`time.sleep` blocks the event loop inside `async def {func}`"
    fix_title = "Use `await asyncio.sleep(...)`"

    VALID = [
        "import asyncio\nasync def f():\n    await asyncio.sleep(1)\n",
        "import time\ndef f():\n    time.sleep(1)\n",
        "import time\nasync def f():\n    def g():\n        time.sleep(1)\n    return g\n",
        "import time\nasync def f():\n    return lambda: time.sleep(1)\n",
        "import asyncio, time\nasync def f():\n    await asyncio.to_thread(time.sleep, 1)\n",
        "from trio import sleep\nasync def f():\n    await sleep(1)\n",
        "import time\nasync def f(time):\n    time.sleep(1)\n",
        Valid("def sleep(x):\n    pass\nasync def f():\n    sleep(1)\n"),
        Valid("from time import *\ndef sleep(x):\n    pass\nasync def f():\n    sleep(1)\n"),
        Valid("from time import *\nfrom trio import *\nasync def f():\n    await sleep(1)\n"),
        # a zero sleep yields the GIL to other threads on purpose and returns at once
        "import time\nasync def f():\n    time.sleep(0)\n",
        "from time import sleep\nasync def f():\n    sleep(0.0)\n",
        "import time\nasync def f():\n    time.sleep(0.)\n    time.sleep(0x0)\n",
    ]
    INVALID = [
        Invalid(
            "from time import *\nasync def f():\n    sleep(0.5)\n",
            fixed="from time import *\nimport asyncio\nasync def f():\n    await asyncio.sleep(0.5)\n",
        ),
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
        # a short sleep is still a sleep; and a zero that is not a literal may be anything
        Invalid(
            "import time\nasync def f():\n    time.sleep(0.01)\n",
            fixed="import time\nimport asyncio\nasync def f():\n    await asyncio.sleep(0.01)\n",
        ),
        # a call in redundant parentheses: the fix replaces the call inside them
        Invalid(
            "import time\nasync def f():\n    (time.sleep(1))\n    x = (  # why\n        time.sleep(2)\n    )\n",
            count=2,
            fixed="import time\nimport asyncio\nasync def f():\n    (await asyncio.sleep(1))\n"
            "    x = (  # why\n        await asyncio.sleep(2)\n    )\n",
        ),
        Invalid(
            "import time\nasync def f(delay=0):\n    time.sleep(delay)\n",
            fixed="import time\nimport asyncio\nasync def f(delay=0):\n    await asyncio.sleep(delay)\n",
        ),
        Invalid(
            "import time\nasync def f():\n    async with lock:\n        for i in range(3):\n            time.sleep(i)\n",
            count=1,
            fixed="import time\nimport asyncio\nasync def f():\n    async with lock:\n        for i in range(3):\n            await asyncio.sleep(i)\n",
        ),
    ]

    def make_fix(self, node: cst.Call, match: Match) -> Optional[FixSpec]:
        if not fix_position(self.ctx, node) or match.normalized != "time.sleep":
            return None
        lib = self._sleep_library()
        # the call's own text without its redundant parentheses (the edit replaces the
        # call inside them), with the callee swapped for a one-letter placeholder
        args = self.ctx.code_for(node.with_changes(func=cst.Name("x"), lpar=[], rpar=[])).strip()[1:]
        return replace(node, f"await {lib}.sleep{args}", imports=[lib], title=f"Use `await {lib}.sleep(...)`")

    def _sleep_library(self) -> str:
        for lib in ("trio", "anyio"):
            if module_uses(self.ctx, lib):
                return lib
        return "asyncio"
