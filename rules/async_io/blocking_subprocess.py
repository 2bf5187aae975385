"""FFT104: blocking subprocess calls inside ``async def``."""

from __future__ import annotations

from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.rule import Invalid

from ._base import BlockingCallRule


class BlockingSubprocessInAsync(BlockingCallRule):
    """## What it does
    Checks for synchronous process management inside an `async def` body:
    `subprocess.run` / `call` / `check_call` / `check_output` / `Popen`, `Popen.wait()` and
    `Popen.communicate()`, `os.system`, `os.popen`, `os.wait*` and `os.spawn*`.

    ## Why is this bad?
    These calls wait for a child process (or fork/exec one) on the event loop's thread;
    a slow command stalls the whole service for its full run time.

    ## Example
    ```python
    import subprocess

    async def git_head():
        return subprocess.check_output(["git", "rev-parse", "HEAD"])
    ```

    ## Use instead
    ```python
    import asyncio

    async def git_head():
        proc = await asyncio.create_subprocess_exec(
            "git", "rev-parse", "HEAD", stdout=asyncio.subprocess.PIPE
        )
        out, _ = await proc.communicate()
        return out
    ```

    ## Fix safety
    Unsafe: the fix runs a whole-statement / assignment / return call through
    `await asyncio.to_thread(f, *args, **kwargs)`; the command still runs, but other tasks
    run meanwhile. Prefer `asyncio.create_subprocess_exec` by hand.
    No fix for a call that creates or uses a thread-affine object (the catalog's
    `thread_affine` section: DB-API connections and cursors, `threading.local()` state,
    locks, event loops, GUI toolkits, `Thread.join()` / `Executor.shutdown()`), also when
    such an object is passed as an argument: in a worker thread it fails at run time
    (SQLite raises `ProgrammingError` for a connection made in another thread).
    """

    code = "FFT104"
    contexts = PRODUCTION_ONLY  # blocking in an async test slows the suite; no server stalls
    name = "blocking-subprocess-in-async"
    kind = "process"

    VALID = [
        "import asyncio\nasync def f():\n    p = await asyncio.create_subprocess_exec('ls')\n    await p.wait()\n",
        "import subprocess\ndef f():\n    return subprocess.run(['ls'])\n",
        "import asyncio, subprocess\nasync def f():\n    return await asyncio.to_thread(subprocess.run, ['ls'])\n",
        "import os\nasync def f():\n    return os.getpid(), os.environ.get('X')\n",
        "import subprocess\nasync def f():\n    return subprocess.PIPE, subprocess.CalledProcessError\n",
    ]
    INVALID = [
        Invalid(
            "import subprocess\n\nasync def f():\n    subprocess.run(['make'], check=True)\n",
            fixed="import subprocess\nimport asyncio\n\nasync def f():\n    await asyncio.to_thread(subprocess.run, ['make'], check=True)\n",
            safety="unsafe",
        ),
        Invalid(
            "from subprocess import Popen, PIPE\nasync def f():\n    p = Popen(['ls'], stdout=PIPE)\n    out, err = p.communicate()\n    return p.wait()\n",
            count=3,
        ),
        Invalid("import os\nasync def f(cmd):\n    os.system(cmd)\n    return os.popen(cmd).read()\n", count=2),
        Invalid("import os\nasync def f(pid):\n    return os.waitpid(pid, 0)\n", message_contains="subprocess"),
    ]
