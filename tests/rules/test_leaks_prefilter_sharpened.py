"""The FFT3xx pre-checks mirror more of their rules' verdicts on the ``ast``: each case is
a file the check now rejects (the rule, run without any pre-filter, reports nothing) and
its look-alike that the rule reports, which the check must keep. Run over a small project
so that the facts layer resolves what the rules resolve."""

from __future__ import annotations

from typing import Dict

import pytest

from fftlint import api
from fftlint.config.settings import Settings
from fftlint.testing import lint_tree, write_tree


def _project(root):
    config = api.make_config(Settings(root=str(root)), select=["ALL"])
    files = sorted(str(p) for p in root.rglob("*.py"))
    return api.build_project([str(root)], files, config)


def _passes(root, rel: str, code: str) -> bool:
    from fftlint.engine.asts import parse
    from fftlint.engine.prefilter import AstView
    from fftlint.engine.run import module_name_for
    from fftlint.registry import lookup

    project = _project(root)
    path = str(root / rel)
    text = (root / rel).read_text()
    module, is_package = module_name_for(path)
    view = AstView(parse(text, path), text, path, {}, project, module, is_package)
    return bool(lookup(code).could_match(view))


def _reports(root, rel: str, code: str) -> int:
    return sum(1 for path, d in lint_tree(root, [code], prefilter=False) if path == rel and d.code == code)


def _check(tmp_path, files: Dict[str, str], rel: str, code: str, expected: bool) -> None:
    write_tree(tmp_path, files)
    assert bool(_reports(tmp_path, rel, code)) is expected, f"{code} on {rel}: the rule's verdict changed"
    if expected:
        assert _passes(tmp_path, rel, code), f"{code}.could_match drops a file the rule reports on"
    else:
        assert not _passes(tmp_path, rel, code), f"{code}.could_match lets through a file the rule cannot report on"


# -- FFT301: a name a comprehension binds holds its iterable's items ------------------
COMPREHENSION = {
    "pkg/__init__.py": "",
    "pkg/cal.py": """
        import atexit

        def run(funcs, x):
            return [f(x) for f in funcs]

        def weak_refs(refs):
            return [wr() for wr in refs if wr is not None]
    """,
}
COMPREHENSION_KEEP = {
    "pkg/__init__.py": "",
    "pkg/cal.py": """
        import atexit

        def flush_all(pending):
            return [reg(p.flush) for reg in (atexit.register,) for p in pending]
    """,
}


def test_fft301_comprehension_target_of_unknown_items_is_rejected(tmp_path):
    _check(tmp_path, COMPREHENSION, "pkg/cal.py", "FFT301", False)


def test_fft301_comprehension_target_holding_a_registration_is_kept(tmp_path):
    _check(tmp_path, COMPREHENSION_KEEP, "pkg/cal.py", "FFT301", True)


# -- FFT301: set-up code in a loop registers once per item when the loop varies it ----
LOOP_VARIES = {
    "pkg/__init__.py": "",
    "pkg/boot.py": """
        import faulthandler

        def setup_process(signals, fd):
            for signum in signals:
                faulthandler.register(signum, chain=True, file=fd)
    """,
}
LOOP_REPEATS = {
    "pkg/__init__.py": "",
    "pkg/boot.py": """
        import faulthandler

        def setup_process(signals, fd):
            for signum in signals:
                faulthandler.register(10, chain=True, file=fd)
    """,
}
LOOP_METHOD_VARIES = {
    "pkg/__init__.py": "",
    "pkg/logs.py": """
        import logging

        def configure(names):
            for name in names:
                log = logging.getLogger(name)
                log.addHandler(logging.StreamHandler())
    """,
}
LOOP_METHOD_REPEATS = {
    "pkg/__init__.py": "",
    "pkg/logs.py": """
        import logging

        def configure(names):
            log = logging.getLogger("app")
            for name in names:
                log.addHandler(logging.StreamHandler(name))
    """,
}


@pytest.mark.parametrize(
    "files, rel, expected",
    [
        pytest.param(LOOP_VARIES, "pkg/boot.py", False, id="call-varies"),
        pytest.param(LOOP_REPEATS, "pkg/boot.py", True, id="call-repeats"),
        pytest.param(LOOP_METHOD_VARIES, "pkg/logs.py", False, id="receiver-varies"),
        pytest.param(LOOP_METHOD_REPEATS, "pkg/logs.py", True, id="receiver-repeats"),
    ],
)
def test_fft301_setup_code_in_a_loop(tmp_path, files, rel, expected):
    _check(tmp_path, files, rel, "FFT301", expected)


# -- FFT306: a thread or task of the object that runs forever, as `_runs_forever` says ---
def _worker(loop_body: str, start: str = "self._thread = threading.Thread(target=self._run, daemon=True)", end: str = "close") -> Dict[str, str]:
    return {
        "pkg/__init__.py": "",
        "pkg/worker.py": f"""
import threading
import asyncio

class Worker:
    def start(self):
        {start}

    def _run(self):
        while True:
            item = self.queue.get()
{loop_body}

    def {end}(self):
        pass
""",
    }


@pytest.mark.parametrize(
    "files, expected",
    [
        pytest.param(_worker("            if item is None:\n                break\n            self.handle(item)"), False, id="thread-loop-breaks"),
        pytest.param(_worker("            if self.stopped:\n                continue\n            self.handle(item)"), False, id="thread-loop-tests-state"),
        pytest.param(_worker("            self.handle(item)", end="helper"), False, id="thread-of-a-class-without-end"),
        pytest.param(_worker("            def done():\n                return item\n            self.handle(done)"), True, id="thread-return-only-in-nested-def"),
        pytest.param(_worker("            self.handle(item)"), True, id="thread-runs-forever"),
        pytest.param(_worker("            self.handle(item)", start="asyncio.get_running_loop().create_task(self._run())"), False, id="task-not-stored"),
        pytest.param(_worker("            self.handle(item)", start="self._task = asyncio.get_running_loop().create_task(self._run())"), True, id="task-stored"),
    ],
)
def test_fft306_threads_and_tasks_that_run_forever(tmp_path, files, expected):
    _check(tmp_path, files, "pkg/worker.py", "FFT306", expected)


# -- FFT307: set-up code replaces a hook once, unless a loop repeats the same one -------
def _hooks(body: str) -> Dict[str, str]:
    return {"pkg/__init__.py": "", "pkg/hooks.py": "import signal\nimport sys\n\n" + body}


@pytest.mark.parametrize(
    "files, expected",
    [
        pytest.param(_hooks("def setup_signals(stop):\n    old = signal.getsignal(2)\n    signal.signal(2, lambda *a: stop())\n"), False, id="setup-signal"),
        pytest.param(_hooks("def handle(stop):\n    old = signal.getsignal(2)\n    signal.signal(2, lambda *a: stop())\n"), True, id="per-call-signal"),
        pytest.param(
            _hooks("def setup_signals(stop, sigs):\n    for sig in sigs:\n        old = signal.getsignal(sig)\n        signal.signal(sig, lambda *a: stop())\n"),
            False,
            id="setup-loop-varies-the-signal",
        ),
        pytest.param(
            _hooks("def setup_signals(stop, sigs):\n    for sig in sigs:\n        old = signal.getsignal(2)\n        signal.signal(2, lambda *a: stop())\n"),
            True,
            id="setup-loop-repeats-the-signal",
        ),
        pytest.param(
            _hooks("def install_hook(log):\n    previous = sys.excepthook\n    def hook(*exc):\n        log(exc)\n        previous(*exc)\n    sys.excepthook = hook\n"),
            False,
            id="setup-excepthook",
        ),
        pytest.param(
            _hooks("def run_job(log):\n    previous = sys.excepthook\n    def hook(*exc):\n        log(exc)\n        previous(*exc)\n    sys.excepthook = hook\n"),
            True,
            id="per-call-excepthook",
        ),
    ],
)
def test_fft307_setup_code_and_loops(tmp_path, files, expected):
    _check(tmp_path, files, "pkg/hooks.py", "FFT307", expected)


# -- FFT305: the rule never looks inside a lambda (``_roles_of`` does not walk into it) --
@pytest.mark.parametrize(
    "body, expected",
    [
        pytest.param("for name in NAMES:\n    CHECKS.append(lambda: tempfile.TemporaryFile().close())\n", False, id="lambda-in-a-module-loop"),
        pytest.param("def make(paths):\n    return lambda: [open(p).read() for p in paths]\n", False, id="comprehension-in-a-lambda"),
        pytest.param("for name in NAMES:\n    CHECKS.append(tempfile.TemporaryFile().read())\n", True, id="module-loop-without-lambda"),
        pytest.param("def check(names):\n    for name in names:\n        tempfile.TemporaryFile().write(name)\n", True, id="loop-in-a-def"),
    ],
)
def test_fft305_calls_in_lambdas(tmp_path, body, expected):
    files = {"pkg/__init__.py": "", "pkg/checks.py": "import tempfile\nNAMES = ['a']\nCHECKS = []\n" + body}
    _check(tmp_path, files, "pkg/checks.py", "FFT305", expected)


# -- FFT307: the hook read through a saved attribute (``self._old_hook``) counts --------
RESTORE_IN_EXIT = {
    "pkg/__init__.py": "",
    "pkg/catch.py": """
        import sys

        class Catch:
            def _hook(self, unraisable):
                self.unraisable = unraisable

            def __enter__(self):
                self._old_hook = sys.unraisablehook
                sys.unraisablehook = self._hook
                return self

            def __exit__(self, *exc_info):
                sys.unraisablehook = self._old_hook
    """,
}


def test_fft307_keeps_a_hook_read_through_an_attribute_the_facts_layer_resolves(tmp_path):
    # the rule reports `__exit__` (the value of `self._old_hook` is the hook); `__enter__`
    # is set-up code, so only the facts layer's answer can keep the file
    _check(tmp_path, RESTORE_IN_EXIT, "pkg/catch.py", "FFT307", True)


def test_fft301_comprehension_condition_sees_only_the_targets_before_it(tmp_path):
    # `reg` in the first condition is the module's `reg` (atexit.register), not the later
    # target of the same name: the rule reports the call, so the check must keep the file
    files = {
        "pkg/__init__.py": "",
        "pkg/cal.py": """
            import atexit
            reg = atexit.register

            def flush_all(pending, others):
                return [p for p in pending if reg(p.flush) for reg in others]
        """,
    }
    _check(tmp_path, files, "pkg/cal.py", "FFT301", True)
