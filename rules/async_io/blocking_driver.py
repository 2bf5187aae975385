"""FFT105: blocking database drivers and synchronisation primitives inside ``async def``."""

from __future__ import annotations

from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.rule import Invalid

from ._base import BlockingCallRule


class BlockingDriverInAsync(BlockingCallRule):
    """## What it does
    Checks for calls inside an `async def` body that block on a synchronous driver or
    primitive: DB-API drivers (`sqlite3`, `psycopg2`/`psycopg`, `pymysql`, `MySQLdb`):
    connecting, `execute`, `fetch*`, `commit`; the sync `redis.Redis` client;
    `threading.Lock.acquire()`, `Event.wait()`, `Thread.join()`; `queue.Queue.get()` /
    `put()` unless `block=False` (`put` only on a queue built with a `maxsize`, or whose
    construction the file does not show: `put` on an unbounded queue never waits);
    `concurrent.futures` `Future.result()` (not under `if fut.done():`),
    `concurrent.futures.wait`, `Executor.map` and `as_completed` (when iterated);
    `multiprocessing.Pool` `map` / `apply` / `join`; `select.select` with a timeout;
    `asyncio.run_coroutine_threadsafe(...).result()` (deadlocks in the loop's own thread);
    `input()`; and `asyncio.run()` /
    `loop.run_until_complete()`, which cannot work inside a running loop at all.

    ## Why is this bad?
    Each of these waits on a socket, a lock or another thread while holding the event
    loop. A lock or queue that another *task* would release deadlocks the process, since
    that task can never run.

    ## Example
    ```python
    import sqlite3

    async def count_users(db_path):
        conn = sqlite3.connect(db_path)
        return conn.execute("select count(*) from users").fetchone()
    ```

    ## Use instead
    An async driver (`aiosqlite`, `asyncpg`, `psycopg`'s `AsyncConnection`,
    `redis.asyncio`), `asyncio.Lock` / `asyncio.Queue`, `await asyncio.wrap_future(fut)`,
    `await coro` instead of `asyncio.run(coro)`, or `await asyncio.to_thread(...)`.

    ## Fix safety
    Unsafe where offered: a whole-statement / assignment / return call becomes
    `await asyncio.to_thread(f, *args, **kwargs)`. No fix for `asyncio.run` /
    `run_until_complete` (the right fix is `await`).
    No fix for a call that creates or uses a thread-affine object (the catalog's
    `thread_affine` section: DB-API connections and cursors, `threading.local()` state,
    locks, event loops, GUI toolkits, `Thread.join()` / `Executor.shutdown()`), also when
    such an object is passed as an argument: in a worker thread it fails at run time
    (SQLite raises `ProgrammingError` for a connection made in another thread).
    """

    code = "FFT105"
    contexts = PRODUCTION_ONLY  # blocking in an async test slows the suite; no server stalls
    name = "blocking-driver-in-async"
    kind = "driver"

    VALID = [
        "import aiosqlite\nasync def f(p):\n    async with aiosqlite.connect(p) as db:\n        await db.execute('select 1')\n",
        "import queue\nasync def f(q: queue.Queue):\n    return q.get(block=False), q.get_nowait(), q.put(1, False)\n",
        "import threading\nasync def f(lock: threading.Lock):\n    return lock.acquire(blocking=False)\n",
        "import asyncio\nasync def f(q: asyncio.Queue, lock: asyncio.Lock):\n    await lock.acquire()\n    return await q.get()\n",
        "import asyncio\nasync def f():\n    fut = asyncio.get_running_loop().create_future()\n    return fut.result()\n",
        "import redis.asyncio as redis\nasync def f():\n    r = redis.Redis()\n    return await r.get('k')\n",
        "import redis\nasync def f():\n    r = redis.Redis()\n    pipe = r.pipeline()\n    return pipe\n",
        "import asyncio\ndef main():\n    asyncio.run(serve())\n",
        "import sqlite3\ndef f(p):\n    return sqlite3.connect(p).execute('select 1').fetchall()\n",
        # `with lock:` around a short critical section is the thread-safety idiom, not a
        # wait worth reporting (measured: dozens of such sections in async libraries)
        "import threading\nclass Cache:\n    def __init__(self):\n        self._lock = threading.RLock()\n        self.data = {}\n"
        "    async def put(self, k, v):\n        with self._lock:\n            self.data[k] = v\n",
        # a lock this function has just made is free
        "import threading\nclass Worker:\n    async def start(self):\n        self._ready = threading.Lock()\n        self._ready.acquire()\n        return self._ready\n",
        # polling with a zero timeout returns at once; an iterator handed to a thread
        "import select\nasync def f(socks):\n    return select.select(socks, [], [], 0)\n",
        "import asyncio, concurrent.futures as cf\nasync def f(futs):\n    pending = cf.as_completed(futs)\n    return await asyncio.to_thread(list, pending)\n",
        # the future is already done
        "from concurrent.futures import Future\nasync def f(fut: Future):\n    if fut.done() and not fut.cancelled():\n        return fut.result()\n    return None\n",
        # put on a queue without a maxsize never waits
        'import queue\nasync def f(items):\n    q = queue.Queue()\n    for item in items:\n        q.put(item)\n    return q\n',
        'import queue\nclass Bridge:\n    def __init__(self):\n        self.outbox = queue.Queue(maxsize=0)\n        self.wake = queue.SimpleQueue()\n    async def send(self, msg):\n        self.outbox.put(msg)\n        self.wake.put(None)\n',
    ]
    INVALID = [
        Invalid(
            "import sqlite3\nasync def f(p):\n    conn = sqlite3.connect(p)\n    cur = conn.cursor()\n    cur.execute('select 1')\n    return cur.fetchall()\n",
            count=3,
        ),
        # thread-affine objects: a connection made (or used) in a worker thread breaks
        # every later use in another thread -- reported, but no to_thread fix
        Invalid(
            "import sqlite3\nasync def f(p):\n    conn = sqlite3.connect(p)\n    cur = conn.execute('select 1')\n    rows = cur.fetchall()\n    conn.commit()\n    return rows\n",
            count=4,
            safety="unsafe",
        ),
        Invalid(
            "import psycopg2\n\nCONN = psycopg2.connect('dbname=app')\n\nasync def f():\n    cur = CONN.cursor()\n    cur.execute('select 1')\n",
            safety="unsafe",
        ),
        Invalid("import threading\nasync def stop(worker: threading.Thread):\n    worker.join()\n", safety="unsafe"),
        Invalid(
            "from concurrent.futures import ThreadPoolExecutor\nPOOL = ThreadPoolExecutor()\nasync def close():\n    POOL.shutdown(wait=True)\n",
            safety="unsafe",
        ),
        Invalid(
            "import redis\n\nr = redis.Redis.from_url('redis://')\n\nasync def f(k):\n    return r.get(k)\n",
            fixed="import redis\nimport asyncio\n\nr = redis.Redis.from_url('redis://')\n\nasync def f(k):\n    return await asyncio.to_thread(r.get, k)\n",
            safety="unsafe",
        ),
        Invalid(
            "import threading\n\nLOCK = threading.Lock()\n\nasync def f():\n    LOCK.acquire()\n",
            message_contains="threading.Lock().acquire",
        ),
        Invalid("import queue\nq = queue.Queue()\nasync def f():\n    return q.get(timeout=1)\n"),
        Invalid("import queue\nq = queue.Queue(10)\nasync def f(x):\n    q.put(x)\n", message_contains="queue.Queue().put"),

        Invalid("import queue\nasync def f(q: queue.Queue, x):\n    q.put(x)\n"),
        Invalid(
            "import asyncio\nasync def f(coro, loop):\n    fut = asyncio.run_coroutine_threadsafe(coro, loop)\n    return fut.result()\n",
            message_contains="`fut.result` blocks the event loop",
        ),
        Invalid(
            "from concurrent.futures import ThreadPoolExecutor, as_completed\nPOOL = ThreadPoolExecutor()\n"
            "async def f(jobs):\n    futs = [POOL.submit(j) for j in jobs]\n    done = [x.result() for x in as_completed(futs)]\n    return done, list(POOL.map(len, jobs))\n",
            count=2,
        ),
        Invalid("from concurrent.futures import Future\nasync def f(fut: Future):\n    if not fut.done():\n        return fut.result()\n"),
        Invalid("import multiprocessing\nasync def f(xs):\n    with multiprocessing.Pool(4) as pool:\n        return pool.map(abs, xs)\n"),
        Invalid("import select\nasync def f(socks):\n    return select.select(socks, [], [], 5)\n"),
        Invalid("import queue\nclass C:\n    def __init__(self):\n        self.q = queue.SimpleQueue()\n    async def f(self):\n        return self.q.get()\n"),
        Invalid(
            "from concurrent.futures import ThreadPoolExecutor\nasync def f(g):\n    with ThreadPoolExecutor() as ex:\n        fut = ex.submit(g)\n        return fut.result()\n",
            message_contains="result",
        ),
        Invalid("import asyncio\nasync def f(c):\n    return asyncio.run(c)\n", message_contains="asyncio.run"),
        Invalid("import asyncio\nasync def f(c):\n    loop = asyncio.get_event_loop()\n    loop.run_until_complete(c)\n"),
        Invalid("async def f():\n    name = input('name? ')\n    return name\n"),
        Invalid("import psycopg2\nasync def f(dsn):\n    with psycopg2.connect(dsn) as conn:\n        with conn.cursor() as cur:\n            cur.execute('select 1')\n", count=2),
    ]
