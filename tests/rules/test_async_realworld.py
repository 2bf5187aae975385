"""FFT1xx precision on patterns found in real async libraries (each test is a look-alike
written for fftlint, not a copy of the library's code)."""

from __future__ import annotations

import os

from fftlint import api
from fftlint.config.load import discover
from fftlint.testing import write_tree as write


def lint(paths, select=("FFT1",)):
    settings = discover(list(paths))
    config = api.make_config(settings, select=list(select))
    return [d for r in api.lint_paths(list(paths), config, jobs=1) for d in r.diagnostics]


def test_chains_do_not_descend_into_a_copy_of_the_standard_library(tmp_path):
    """Linting an application next to a copy of the stdlib (a vendored tree, a Python
    checkout) must not chain into stdlib internals: the catalog is the model of the
    standard library (``traceback.format_exc`` stats source files through ``linecache``,
    ``Thread.start`` waits for the thread to boot: neither is a blocking call to report)."""
    write(
        tmp_path,
        {
            "lib/traceback.py": "import os\ndef format_exc():\n    return os.stat('x')\n",
            "lib/threading.py": "class Event:\n    def wait(self):\n        pass\nclass Thread:\n    def start(self):\n        import time\n        time.sleep(0.1)\n",
            "lib/tbtools.py": "import os\ndef format_exc():\n    return os.stat('x')\n",
            "app/__init__.py": "",
            "app/errors.py": """
                import traceback
                import threading
                import tbtools

                def describe():
                    return traceback.format_exc()

                async def handler(request):
                    text = describe()
                    threading.Thread(target=print).start()
                    return tbtools.format_exc(), text
            """,
        },
    )
    found = lint([str(tmp_path / "app"), str(tmp_path / "lib")])
    assert [(os.path.basename(d.path), d.span.line, d.code) for d in found] == [("errors.py", 12, "FFT106")]
    assert found[0].message.startswith("`tbtools.format_exc` blocks") and found[0].message.endswith("-> os.stat (file-system call)")


def test_a_stdlib_package_linted_as_the_project_still_follows_its_own_helpers(tmp_path):
    write(
        tmp_path,
        {
            "asyncio/__init__.py": "",
            "asyncio/helpers.py": "import os\ndef remove_stale(p):\n    os.remove(p)\n",
            "asyncio/server.py": "from . import helpers\nasync def serve(p):\n    helpers.remove_stale(p)\n",
        },
    )
    found = lint([str(tmp_path / "asyncio")])
    assert [(os.path.basename(d.path), d.span.line, d.code) for d in found] == [("server.py", 3, "FFT106")]


def test_a_chain_does_not_go_through_a_lazy_initialisation_guard(tmp_path):
    """``global _store`` then ``if _store is None: _store = make(); configure(uri)`` does its
    file-system work on the first call of the process only (a tracking server's store
    getter): no FFT106 at the handler; a class attribute (``cls._x``) is the same. The
    helper without the guard, a guard whose body never sets the tested name, the blocking
    call after the guard, a default filled in for a missing argument (``if store is
    None: store = ...``) and once-per-instance state (``self._x``) still report."""
    write(
        tmp_path,
        {
            "srv/__init__.py": "",
            "srv/paths.py": "import os\ndef prepare(root):\n    os.makedirs(root, exist_ok=True)\n    return root\n",
            "srv/stores.py": """
                from .paths import prepare

                _store = None
                _cfg = None

                def get_store():
                    global _store
                    if _store is None:
                        _store = prepare("/var/srv")
                    return _store

                def get_cfg():
                    global _cfg
                    if not _cfg:
                        with open("/etc/srv.cfg") as fh:
                            _cfg = fh.read()
                    return _cfg

                class Holder:
                    _shared = None

                    def __init__(self):
                        self._root = None

                    @classmethod
                    def shared(cls):
                        if cls._shared is None:
                            cls._shared = prepare("/var/shared")
                        return cls._shared

                    def root(self):
                        if self._root is None:
                            self._root = prepare("/var/holder")
                        return self._root

                def unguarded():
                    return prepare("/var/srv")

                def guard_never_set():
                    if _store is None:
                        return prepare("/var/srv")
                    return _store

                def after_guard():
                    global _store
                    if _store is None:
                        _store = "/var/srv"
                    return prepare(_store)

                def with_default(store=None):
                    if store is None:
                        store = prepare("/var/srv")
                    return store
            """,
            "srv/api.py": """
                from .stores import Holder, after_guard, get_cfg, get_store, guard_never_set, unguarded, with_default

                async def quiet(request):
                    return get_store(), get_cfg(), Holder.shared()

                async def loud(request):
                    a = unguarded()
                    b = guard_never_set()
                    c = after_guard()
                    d = with_default()
                    e = Holder().root()
                    return a, b, c, d, e
            """,
        },
    )
    found = lint([str(tmp_path / "srv")])
    assert sorted((os.path.basename(d.path), d.span.line, d.code) for d in found) == [
        ("api.py", line, "FFT106") for line in range(8, 13)
    ]
