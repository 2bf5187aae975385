"""FFT1xx precision on patterns found in real async libraries (each test is a look-alike
written for fftlint, not a copy of the library's code)."""

from __future__ import annotations

import os
import textwrap

from fftlint import api
from fftlint.config.load import discover


def write(root, files):
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


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
