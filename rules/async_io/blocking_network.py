"""FFT103: blocking network I/O inside ``async def``."""

from __future__ import annotations

from fftlint.engine.contexts import PRODUCTION_ONLY
from fftlint.rule import Invalid

from ._base import BlockingCallRule


class BlockingNetworkIOInAsync(BlockingCallRule):
    """## What it does
    Checks for synchronous network calls made directly inside an `async def` body:
    `requests.*` and `requests.Session` methods, `httpx`'s sync module functions and
    `httpx.Client` methods, `urllib.request.urlopen`, `urllib3`, `http.client`
    connections, and blocking `socket` calls (`connect`, `recv`, `sendall`, DNS look-ups).
    Instances are tracked through assignments, `with ... as`, annotations and
    `self.attr = ...` in methods. Not reported: socket calls in the body of a `try` that
    handles `BlockingIOError` / `ssl.SSLWantReadError` (a non-blocking socket, retried when
    ready), calls on a socket the function itself switched to non-blocking mode
    (`sock.setblocking(False)` / `settimeout(0)` earlier in the function), and `getaddrinfo` / `gethostbyname` of a literal IP address or with
    `AI_NUMERICHOST` (no DNS query).

    ## Why is this bad?
    A sync HTTP request holds the thread for the whole round trip (often hundreds of
    milliseconds, unbounded without a timeout). Inside a coroutine, that freezes every other
    request the server is handling.

    ## Example
    ```python
    import requests

    async def get_user(uid):
        return requests.get(f"https://api.example.com/users/{uid}").json()
    ```

    ## Use instead
    ```python
    import httpx

    async def get_user(uid):
        async with httpx.AsyncClient() as client:
            return (await client.get(f"https://api.example.com/users/{uid}")).json()
    ```
    (or `aiohttp`; or `await asyncio.to_thread(requests.get, url)` as a stop-gap).

    ## Fix safety
    Unsafe: the fix wraps a whole-statement / assignment / return call in
    `await asyncio.to_thread(f, *args, **kwargs)`; other tasks run during the request,
    and a shared `requests.Session` is not guaranteed thread-safe.
    No fix for a call that creates or uses a thread-affine object (the catalog's
    `thread_affine` section: DB-API connections and cursors, `threading.local()` state,
    locks, event loops, GUI toolkits, `Thread.join()` / `Executor.shutdown()`), also when
    such an object is passed as an argument: in a worker thread it fails at run time
    (SQLite raises `ProgrammingError` for a connection made in another thread).
    """

    code = "FFT103"
    contexts = PRODUCTION_ONLY  # blocking in an async test slows the suite; no server stalls
    name = "blocking-network-io-in-async"
    kind = "network"

    VALID = [
        "import aiohttp\nasync def f(url):\n    async with aiohttp.ClientSession() as session:\n        async with session.get(url) as r:\n            return await r.json()\n",
        "import httpx\nasync def f(url):\n    async with httpx.AsyncClient() as client:\n        r = await client.get(url)\n        return r.json()\n",
        "async def f(d):\n    return d.get('k')\n",
        "import requests\ndef f(url):\n    return requests.get(url)\n",
        "import requests\nasync def f(requests, url):\n    return requests.get(url)\n",
        "import asyncio, requests\nasync def f(url):\n    return await asyncio.to_thread(requests.get, url)\n",
        "import asyncio, requests\nasync def f(url):\n    loop = asyncio.get_running_loop()\n    return await loop.run_in_executor(None, lambda: requests.get(url))\n",
        "import requests\nasync def f(url):\n    raise requests.HTTPError(url)\n",
        "import httpx\nclass C:\n    def __init__(self):\n        self.client = httpx.AsyncClient()\n    async def f(self, url):\n        return await self.client.get(url)\n",
        "import requests\nasync def f(url):\n    s = requests.Session()\n    s.headers.update({'a': 'b'})\n    return s\n",
        # a socket the function has switched to non-blocking mode returns at once
        "import socket\nasync def source_ip(target):\n    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n    probe.setblocking(False)\n    probe.connect((target, 1))\n    return probe.getsockname()[0]\n",
        # no DNS query: a literal IP address, or AI_NUMERICHOST
        'import socket\nasync def f(port):\n    return socket.getaddrinfo(\'::1\', port), socket.gethostbyname("10.0.0.7")\n',
        'import socket\nasync def is_ip(text):\n    try:\n        return bool(socket.getaddrinfo(text, 0, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST))\n    except socket.gaierror:\n        return False\n',
        'import socket\nasync def f(loop, path):\n    sock = socket.socket(socket.AF_UNIX)\n    sock.setblocking(False)\n    try:\n        sock.connect(path)\n    except BlockingIOError:\n        await loop.sock_connect(sock, path)\n    return sock\n',
        'import socket, ssl\nasync def f(sock: socket.socket, wait):\n    while True:\n        try:\n            return sock.recv(4096)\n        except (InterruptedError, ssl.SSLWantReadError):\n            await wait(sock)\n',
    ]
    INVALID = [
        # in redundant parentheses (over lines, with a comment): the fix replaces the
        # call inside them and copies neither the parentheses nor the comment
        Invalid(
            "import requests\n\nasync def f(url):\n    r = (  # why\n        requests.get(url)\n    )\n",
            fixed="import requests\nimport asyncio\n\nasync def f(url):\n    r = (  # why\n        await asyncio.to_thread(requests.get, url)\n    )\n",
            safety="unsafe",
        ),
        Invalid(
            "import requests\n\nasync def f(url):\n    r = requests.get(url, timeout=5)\n    return r.json()\n",
            fixed="import requests\nimport asyncio\n\nasync def f(url):\n    r = await asyncio.to_thread(requests.get, url, timeout=5)\n    return r.json()\n",
            safety="unsafe",
            line=4,
            column=9,
        ),
        Invalid(
            "import requests as rq\nimport asyncio\n\nasync def f(url):\n    with rq.Session() as s:\n        return s.post(url, json={})\n",
            message_contains="network call: requests.Session().post",
            fixed="import requests as rq\nimport asyncio\n\nasync def f(url):\n    with rq.Session() as s:\n        return await asyncio.to_thread(s.post, url, json={})\n",
            safety="unsafe",
        ),
        Invalid(
            "import httpx\nclass Api:\n    def __init__(self):\n        self.client = httpx.Client(timeout=3)\n    async def fetch(self, url):\n        return self.client.get(url).json()\n",
            line=6,
        ),
        Invalid("from urllib.request import urlopen\nasync def f(u):\n    with urlopen(u) as r:\n        return r.read()\n", count=1),
        Invalid("import httpx\nasync def f(u):\n    return httpx.post(u).text\n"),
        Invalid(
            "import socket\nasync def f(host):\n    sock = socket.create_connection((host, 80))\n    sock.sendall(b'x')\n    return sock.recv(10)\n",
            count=3,
        ),
        Invalid("import http.client\nasync def f(h):\n    c = http.client.HTTPSConnection(h)\n    c.request('GET', '/')\n    return c.getresponse()\n", count=2),
        Invalid("import urllib3\nasync def f(u):\n    pool = urllib3.PoolManager()\n    return pool.request('GET', u)\n"),
        Invalid("import socket\nasync def f(port):\n    return socket.getaddrinfo('db.internal', port, flags=socket.AI_CANONNAME)\n", message_contains="socket.getaddrinfo"),
        Invalid(
            "import socket\nasync def f(addr):\n    s = socket.socket()\n    s.connect(addr)\n    s.setblocking(False)\n    return s\n",
            line=4,
        ),
        Invalid("from typing import Optional\nimport requests\nasync def f(s: Optional[requests.Session], u):\n    return s.get(u)\n"),
    ]
