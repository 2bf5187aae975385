"""FFT102: blocking file-system I/O inside ``async def``."""

from __future__ import annotations

from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.rule import Invalid

from ._base import BlockingCallRule


class BlockingFileIOInAsync(BlockingCallRule):
    """## What it does
    Checks for synchronous file-system calls made directly inside an `async def` body:
    `open()` / `io.open()` / `os.open()`, reads and writes on the file objects they return,
    `pathlib.Path` I/O methods (`read_text`, `write_bytes`, `open`, `exists`, `stat`,
    `iterdir`, `glob`, ...), `shutil` copies and moves, and the `os` / `os.path` functions
    that touch the disk (`os.listdir`, `os.path.exists`, ...; pure ones such as
    `os.path.join` are fine). Also `json.load(fh)` / `pickle.dump(obj, fh)` / `yaml.safe_load(fh)`
    (and the like) on an open file, and `for line in fh` loops and comprehensions over one.

    The catalog is data: `rules/async_io/blocking_calls.yaml` (kind `file`).

    Not reported: a lazy iterator (`os.walk`, `glob.iglob`, `Path.glob` / `rglob` /
    `walk` / `iterdir`) stored in a variable that the coroutine never iterates itself
    (it is handed to a worker thread); calls in the body of a `try` that handles
    `BlockingIOError` (non-blocking descriptors, by design); code under `if TYPE_CHECKING:`
    / `if 0:`, which never runs. Every FFT1 rule skips the last two.

    ## Why is this bad?
    Disk access blocks the calling thread. On a loaded or network file system a single
    `stat` can take milliseconds to seconds, and while it runs the event loop serves no
    other request, timer or heartbeat.

    ## Example
    ```python
    async def load_template(name):
        with open(f"templates/{name}") as fh:
            return fh.read()
    ```

    ## Use instead
    ```python
    import asyncio
    from pathlib import Path

    async def load_template(name):
        return await asyncio.to_thread(Path(f"templates/{name}").read_text)
    ```
    or an async file library (`aiofiles`, `anyio.Path`, `trio.Path`).

    ## Fix safety
    Unsafe: the fix moves a call that is a whole statement, assignment value or return
    value into `await asyncio.to_thread(f, *args, **kwargs)`. That is the same call in a
    worker thread, but other tasks now run meanwhile, which can reorder side effects, and
    thread-local state (e.g. a `contextvars` copy) differs. `with open(...)` blocks are not
    rewritten. In a trio module the fix uses `trio.to_thread.run_sync` (positional
    arguments only); in an anyio module there is no fix.
    No fix for a call that creates or uses a thread-affine object (the catalog's
    `thread_affine` section: DB-API connections and cursors, `threading.local()` state,
    locks, event loops, GUI toolkits, `Thread.join()` / `Executor.shutdown()`), also when
    such an object is passed as an argument: in a worker thread it fails at run time
    (SQLite raises `ProgrammingError` for a connection made in another thread).
    """

    code = "FFT102"
    contexts = PRODUCTION_ONLY  # blocking in an async test slows the suite; no server stalls
    name = "blocking-file-io-in-async"
    kind = "file"

    VALID = [
        "import os\nasync def f(a, b):\n    return os.path.join(a, b)\n",
        "from pathlib import Path\nasync def f(p: Path):\n    return p.name, p.suffix, p.parent.name\n",
        "def open(path):\n    return path\nasync def f():\n    return open('x')\n",
        "async def f(open):\n    return open('x')\n",
        "import asyncio\nasync def f(p):\n    return await asyncio.to_thread(open, p)\n",
        "def read(p):\n    with open(p) as fh:\n        return fh.read()\n",
        "async def f(p):\n    def inner():\n        with open(p) as fh:\n            return fh.read()\n    return inner\n",
        "import aiofiles\nasync def f(p):\n    async with aiofiles.open(p) as fh:\n        return await fh.read()\n",
        "import io\nasync def f():\n    buf = io.StringIO()\n    buf.write('x')\n    return buf.read()\n",
        "import anyio\nasync def f(p):\n    return await anyio.Path(p).read_text()\n",
        "import os\nasync def f(p):\n    return os.path.basename(p), os.path.splitext(p), os.getpid()\n",
        "import shutil\nclass C:\n    shutil.copy('a', 'b')\n",
        # json.load of something that is not a file; iterating an in-memory or async file
        "import io, json, aiofiles\nasync def f(text, p):\n    buf = io.StringIO(text)\n    rows = [line for line in buf]\n    async with aiofiles.open(p) as fh:\n        async for line in fh:\n            rows.append(line)\n    return json.load(buf), json.loads(text), rows\n",
        # a lazy iterator handed to a worker thread: the disk is read there
        'import os, anyio\nasync def tree(root):\n    it = os.walk(root)\n    while (step := await anyio.to_thread.run_sync(next, it, None)) is not None:\n        yield step\n',
        'import sys, asyncio\nfrom pathlib import Path\nasync def entries(p: Path):\n    it = p.iterdir() if sys.version_info < (3, 13) else await asyncio.to_thread(p.iterdir)\n    return await asyncio.to_thread(list, it)\n',
        'import os\nasync def send(fd, data, wait_writable):\n    while data:\n        try:\n            data = data[os.write(fd, data):]\n        except BlockingIOError:\n            await wait_writable(fd)\n',
        'from typing import TYPE_CHECKING\nasync def f(p):\n    if TYPE_CHECKING:\n        reveal_type(open(p))\n    if 0:  # debugging aid\n        print(open(p).read())\n    return p\n',
    ]
    INVALID = [
        # a value read from thread-local state differs in the worker thread: no fix
        Invalid(
            "import os, threading\n_state = threading.local()\nasync def flush():\n    os.fsync(_state.fd)\n",
            safety="unsafe",
        ),
        Invalid(
            "import os\nasync def flush(fd):\n    os.fsync(fd)\n",
            fixed="import os\nimport asyncio\nasync def flush(fd):\n    await asyncio.to_thread(os.fsync, fd)\n",
            safety="unsafe",
        ),
        Invalid(
            "import json\nclass Feed:\n    def __init__(self, path):\n        self.fh = open(path)\n"
            "    async def entries(self):\n        header = json.load(self.fh)\n        return header, [line for line in self.fh]\n",
            count=2,
            message_contains="json.load(open())",
        ),
        Invalid(
            "async def tail(path):\n    fh = open(path)\n    for line in fh:\n        yield line\n",
            count=2,
            message_contains="`for ... in fh` blocks the event loop inside `async def tail`",
        ),
        Invalid(
            "import glob\nasync def f(pattern):\n    found = glob.iglob(pattern)\n    return [p for p in found]\n",
            line=3,
            message_contains="glob.iglob",
        ),
        Invalid(
            "async def f(p):\n    with open(p) as fh:\n        return fh.read()\n",
            count=2,
            line=2,
            column=10,
            message_contains="`open` blocks the event loop inside `async def f` (file-system call)",
        ),
        Invalid(
            "from pathlib import Path\n\nasync def f(name):\n    text = Path(name).read_text(encoding='utf-8')\n    return text\n",
            fixed=(
                "from pathlib import Path\nimport asyncio\n\nasync def f(name):\n"
                "    text = await asyncio.to_thread(Path(name).read_text, encoding='utf-8')\n    return text\n"
            ),
            safety="unsafe",
            message_contains="pathlib.Path().read_text",
        ),
        Invalid(
            "import os.path\nimport asyncio\n\nasync def f(p):\n    if os.path.exists(p):\n        return 1\n",
            line=5,
        ),
        Invalid(
            "import shutil as sh\nimport asyncio\n\nasync def f(a, b):\n    sh.copytree(a, b, dirs_exist_ok=True)\n",
            fixed="import shutil as sh\nimport asyncio\n\nasync def f(a, b):\n    await asyncio.to_thread(sh.copytree, a, b, dirs_exist_ok=True)\n",
            safety="unsafe",
        ),
        Invalid(
            "from pathlib import Path\nasync def f(root: Path):\n    for child in (root / 'x').parent.iterdir():\n        pass\n    return [p for p in root.parent.glob('*.py')]\n",
            count=2,  # `root / 'x'` is a Path too
        ),
        Invalid(
            "import tempfile\nfrom pathlib import Path\nasync def f(root: Path, name):\n    target = root.joinpath(name).resolve()\n    return target, tempfile.mktemp()\n",
            count=2,
            message_contains="pathlib.Path().resolve",
        ),
        Invalid(
            "from pathlib import Path\nasync def f(root: Path):\n    return root.joinpath('a').with_suffix('.txt').exists()\n",
            message_contains="pathlib.Path().exists",
        ),
        Invalid(
            "import os\nasync def f(d):\n    return [e.name for e in os.scandir(d)], os.listdir(d)\n",
            count=2,
        ),
        Invalid(
            "import trio\nasync def f(p, data):\n    fh = open(p, 'w')\n    fh.write(data)\n",
            count=2,
            fixed="import trio\nasync def f(p, data):\n    fh = await trio.to_thread.run_sync(open, p, 'w')\n    await trio.to_thread.run_sync(fh.write, data)\n",
            safety="unsafe",
        ),
        Invalid(
            "class Store:\n    def __init__(self, path):\n        self.fh = open(path)\n\n    async def load(self):\n        return self.fh.read()\n",
            line=6,
            message_contains="file-system call: open().read",
        ),
    ]
