"""FFT107: a user-configured blocking call inside ``async def``."""

from __future__ import annotations

from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.rule import Invalid, Valid

from ._base import BlockingCallRule

OPTS = {"blocking-calls": ["legacy.db.query", "legacy.Client().fetch", "vendor.sdk.*"]}


class ConfiguredBlockingCallInAsync(BlockingCallRule):
    """## What it does
    Checks for calls to functions your project declares as blocking, inside an
    `async def` body. Declare them in config:
    ```toml
    [tool.fftlint.async-io]
    blocking-calls = ["legacy.db.query", "legacy.Client().fetch", "vendor.sdk.*"]
    ```
    Names are canonical dotted names (what `import` makes them, whatever the local alias);
    `X().m` is method `m` of an instance of `X`; `mod.*` is every attribute of `mod`. An
    entry the built-in catalog already knows keeps its built-in code. Configured calls are
    also followed through helpers (FFT106).

    ## Why is this bad?
    An in-house client or a vendor SDK that does sync I/O blocks the event loop just like
    `requests` does; fftlint cannot know it without being told.

    ## Example
    ```python
    from legacy.db import query

    async def handler(uid):
        return query("select * from users where id = %s", uid)
    ```

    ## Use instead
    ```python
    import asyncio
    from legacy.db import query

    async def handler(uid):
        return await asyncio.to_thread(query, "select * from users where id = %s", uid)
    ```

    ## Fix safety
    Unsafe: a whole-statement / assignment / return call becomes
    `await asyncio.to_thread(f, *args, **kwargs)`; other tasks run meanwhile.
    No fix for a call that creates or uses a thread-affine object (the catalog's
    `thread_affine` section: DB-API connections and cursors, `threading.local()` state,
    locks, event loops, GUI toolkits, `Thread.join()` / `Executor.shutdown()`), also when
    such an object is passed as an argument: in a worker thread it fails at run time
    (SQLite raises `ProgrammingError` for a connection made in another thread).
    """

    code = "FFT107"
    contexts = PRODUCTION_ONLY  # blocking in an async test slows the suite; no server stalls
    name = "configured-blocking-call-in-async"
    kind = "custom"

    VALID = [
        Valid("from legacy.db import query\ndef f():\n    return query('x')\n", options=OPTS),
        Valid("from legacy.db import query\nasync def f():\n    return await query('x')\n", options=OPTS),
        Valid("from legacy import db\nasync def f():\n    return db.other('x')\n", options=OPTS),
        "from legacy.db import query\nasync def f():\n    return query('x')\n",
    ]
    INVALID = [
        Invalid(
            "from legacy.db import query as q\nimport asyncio\n\nasync def f(uid):\n    return q('select', uid)\n",
            options=OPTS,
            fixed="from legacy.db import query as q\nimport asyncio\n\nasync def f(uid):\n    return await asyncio.to_thread(q, 'select', uid)\n",
            safety="unsafe",
            message_contains="configured blocking",
        ),
        Invalid("import legacy\nasync def f(c: legacy.Client):\n    return c.fetch(1)\n", options=OPTS),
        # a GUI toolkit's calls belong to the main thread: reported, never moved to a worker
        Invalid(
            "from tkinter import messagebox\n\nasync def notify(text):\n    messagebox.showinfo('Done', text)\n",
            options={"blocking-calls": ["tkinter.messagebox.showinfo"]},
            safety="unsafe",
        ),
        Invalid("import vendor.sdk as sdk\nasync def f():\n    sdk.upload('x')\n", options=OPTS),
    ]
