"""FFT309: paths a constant argument switches off, and command-line entry points.

``rules/leaks/switched.py`` marks functions that leave early on a plain test of a
parameter and searches the call graph with what each call passes; the rule treats
functions that take the parsed command line, argparse ``set_defaults(func=...)`` targets
and what ``if __name__ == "__main__":`` calls as running once per process. Multi-file
projects, as in real code: the switch is passed on through another module."""

from __future__ import annotations

import ast
import textwrap

from fftlint.testing import lint_tree, write_tree as write
from rules.leaks import switched
from rules.leaks.registration_helper_per_call import module_entry_points


def findings(root):
    return sorted((path, d.span.line) for path, d in lint_tree(root, ["FFT309"]))


def marks(src, is_method=False):
    fn = ast.parse(textwrap.dedent(src)).body[0]
    return switched.exit_marks(fn, is_method)


def test_exit_marks_read_plain_tests_of_a_parameter_only():
    assert marks("def f(disabled=False):\n    if disabled:\n        return []\n    g()\n") == {"exit-when|disabled|true|0|3|False"}
    assert marks("def f(a, *, enabled=True):\n    if not enabled:\n        raise SystemExit\n") == {"exit-when|enabled|false|-1|3|True"}
    # bound method: `self` is not passed by its callers
    assert marks("def m(self, quiet=None):\n    if quiet:\n        return\n", is_method=True) == {"exit-when|quiet|true|0|3|None"}
    # not a plain test, not an exit, or the parameter is re-bound first
    assert marks("def f(p):\n    if p and q:\n        return\n") == frozenset()
    assert marks("def f(p):\n    if p:\n        log()\n") == frozenset()
    assert marks("def f(p):\n    p = not p\n    if p:\n        return\n") == frozenset()
    # a parameter passed on: its callers' positional arguments are named
    assert "params|a,disabled" in marks("def f(a, disabled=False):\n    g(disabled=disabled)\n")


def test_bind_literals_defaults_passed_on_and_starred():
    exits = [switched.Exit("exit-when|disabled|true|0|3|False")]
    assert switched.bind(exits, (), {"disabled": "True"}, False, {}) == {("disabled", True)}
    assert switched.bind(exits, ("1",), {}, False, {}) == {("disabled", True)}
    assert switched.bind(exits, (), {}, False, {}) == {("disabled", False)}  # the default
    assert switched.bind(exits, (), {"disabled": "off"}, False, {"off": True}) == {("disabled", True)}
    assert switched.bind(exits, (), {}, True, {}) == frozenset()  # `f(**kw)`: unknown
    assert switched.bind(exits, (), {"disabled": "flag"}, False, {}) == frozenset()
    assert switched.truth("''") is False and switched.truth("'x'") is True and switched.truth("0.0") is False
    assert switched.truth("name") is None


TRACING = {
    "trace/__init__.py": "",
    "trace/exporters.py": """
        import atexit

        class Batcher:
            def __init__(self):
                atexit.register(self.flush)

            def flush(self):
                pass
    """,
    "trace/setup.py": """
        from .exporters import Batcher

        def _processors(disabled=False):
            if disabled:
                return []
            return [Batcher()]

        def init_provider(disabled=False):
            return _processors(disabled=disabled)
    """,
}


def test_switch_passed_on_through_modules(tmp_path):
    write(tmp_path, {**TRACING, "trace/api.py": """
        from .setup import init_provider

        def disable():
            init_provider(disabled=True)

        def reset():
            init_provider(True)

        def set_destination(d):
            init_provider()

        def resume(request):
            init_provider(disabled=False)
    """})
    assert findings(tmp_path) == [("trace/api.py", 11), ("trace/api.py", 14)]


def test_a_registration_before_the_exit_still_reports(tmp_path):
    write(tmp_path, {**TRACING, "trace/setup.py": """
        import atexit
        from .exporters import Batcher

        def flush():
            pass

        def init_provider(disabled=False):
            atexit.register(flush)
            if disabled:
                return None
            return Batcher()
    """, "trace/api.py": "from .setup import init_provider\n\ndef disable():\n    init_provider(disabled=True)\n"})
    assert findings(tmp_path) == [("trace/api.py", 4)]


def test_module_entry_points():
    tree = ast.parse(textwrap.dedent("""
        def a(args): pass
        def b(args): pass
        def c(): pass
        p.set_defaults(func=a)
        if __name__ == "__main__":
            c()
            x.d()
    """))
    assert module_entry_points(tree) == {"a", "c"}


def test_entry_points_across_modules(tmp_path):
    write(tmp_path, {
        "ops/__init__.py": "",
        "ops/logs.py": """
            import logging

            def setup_logging(path):
                logging.getLogger().addHandler(logging.FileHandler(path))
        """,
        "ops/daemon.py": """
            import argparse
            from .logs import setup_logging

            def run_with_daemon(*, args: argparse.Namespace, log_file):
                setup_logging(log_file)

            def run_job(job):
                setup_logging(job.log)
        """,
    })
    assert findings(tmp_path) == [("ops/daemon.py", 9)]


def test_fixture_once_called_functions():
    import os

    from fftlint.testing import python_files
    from rules.leaks.callers import once_called

    base = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "leaks", "ops")
    found = once_called(python_files(os.path.normpath(base)))
    assert sorted(name for _, name in found) == ["_run"]


CLI = {
    "tool/__init__.py": "",
    "tool/logs.py": """
        import logging

        def setup_logging(path):
            logging.getLogger().addHandler(logging.FileHandler(path))
    """,
    "tool/work.py": """
        from .logs import setup_logging

        def _execute(args):
            setup_logging(args.log)
    """,
    "tool/cli.py": """
        import sys
        from .work import _execute

        def main():
            _execute(sys.argv)

        if __name__ == "__main__":
            main()
    """,
}


def test_a_private_function_only_main_calls_runs_once(tmp_path):
    write(tmp_path, CLI)
    assert findings(tmp_path) == []


def test_any_other_reference_keeps_reporting(tmp_path):
    cases = {
        "called per request": "from .work import _execute\n\ndef view(request):\n    _execute(request)\n",
        "called in a loop": "from .work import _execute\n\ndef main():\n    for a in [1, 2]:\n        _execute(a)\n",
        "handed around": "from .work import _execute\n\nHANDLERS = [_execute]\n",
        "attribute": "from . import work\n\ndef view(request):\n    work._execute(request)\n",
        "in a lambda": "from .work import _execute\n\ndef main():\n    return lambda: _execute(1)\n",
    }
    for label, text in cases.items():
        root = tmp_path / label.replace(" ", "_")
        write(root, {**CLI, "tool/other.py": text})
        assert findings(root) == [("tool/work.py", 5)], label


def test_a_decorated_or_public_library_function_is_not_followed(tmp_path):
    decorated = dict(CLI)
    decorated["tool/work.py"] = "from functools import wraps\nfrom .logs import setup_logging\n\ndef traced(f):\n    return f\n\n@traced\ndef _execute(args):\n    setup_logging(args.log)\n"
    decorated["tool/cli.py"] = CLI["tool/cli.py"]
    write(tmp_path / "a", decorated)
    assert findings(tmp_path / "a") == [("tool/work.py", 9)]
    public = {**CLI, "tool/work.py": CLI["tool/work.py"].replace("_execute", "execute"), "tool/cli.py": CLI["tool/cli.py"].replace("_execute", "execute")}
    write(tmp_path / "b", public)
    assert findings(tmp_path / "b") == [("tool/work.py", 5)]


def test_a_name_spelled_in_many_modules_is_unknown(tmp_path):
    """Past 16 modules that spell it, the references of a name are not told apart (each
    would cost a parse): unknown, so FFT309 keeps reporting."""
    many = {f"tool/mod{i:02d}.py": f"# _execute is documented in the tool's guide ({i})\n" for i in range(17)}
    write(tmp_path / "many", {**CLI, **many})
    assert findings(tmp_path / "many") == [("tool/work.py", 5)]
    few = {f"tool/mod{i:02d}.py": f"# _execute is documented in the tool's guide ({i})\n" for i in range(10)}
    write(tmp_path / "few", {**CLI, **few})
    assert findings(tmp_path / "few") == []


MAIN_BLOCKS = {
    "import unittest\nif __name__ == '__main__':\n    unittest.main()\n": False,
    "if '__main__' == __name__:\n    unittest.main()\n\ndef f():\n    g()\n": False,
    "if __name__ == '__main__':\n    import sys\n    sys.exit(0)\nelse:\n    go()\n": False,
    "def main():\n    pass\nif __name__ == \"__main__\":\n    main()\n": True,
    "if __name__ == '__main__': run()\n": True,
    "if (__name__ == '__main__'):\n    main()\n": True,  # spelled another way: read the file
    "x = '__main__'\nif __name__ == '__main__':\n    unittest.main()\n": True,
    # a line at column 0 inside a string or a comment does not end the block
    "if __name__ == '__main__':\n    text = \"\"\"\nabc\n\"\"\"\n    wrap(text)\n": True,
    "if __name__ == '__main__':\n# run it\n    main()\n": True,
}


def test_files_whose_main_block_calls_no_bare_name_are_not_parsed_for_entry_points():
    """The text gate in front of the entry-point parse says "no entry point" only where
    module_entry_points agrees (a main block of attribute calls: unittest.main())."""
    from rules.leaks.callers import _main_block_calls

    for code, may in MAIN_BLOCKS.items():
        called = _main_block_calls(code.encode())
        assert (called is None or bool(called)) is may, code
        if not may:
            assert module_entry_points(ast.parse(code)) == frozenset(), code


PROVIDERS = {
    "obs/__init__.py": "",
    "obs/flush.py": """
        import atexit

        def _flush():
            pass

        def register_flush():
            atexit.register(_flush)
    """,
    "obs/metrics.py": """
        import logging.config

        from opentelemetry import metrics
        from opentelemetry.sdk.metrics import MeterProvider

        from .flush import register_flush

        def get_meter_logger(prefix):
            metrics.set_meter_provider(MeterProvider())
            register_flush()
            return metrics.get_meter(prefix)

        def configure_from(config):
            logging.config.dictConfig(config)
            register_flush()

        def get_counter(name):
            register_flush()
            return metrics.get_meter("x").create_counter(name)

        def get_nested(prefix):
            def later():
                metrics.set_meter_provider(MeterProvider())
            register_flush()
            return later
    """,
}


def test_a_function_that_installs_process_wide_configuration_is_set_up_code(tmp_path):
    """Setting the process's meter provider or logging configuration is what set-up code
    does (a getter that did it per call would replace the process's metrics each time):
    the exit hook next to it is registered once per process. A getter that only
    registers, or whose configuration call is in a nested function, still reports."""
    write(tmp_path, PROVIDERS)
    assert findings(tmp_path) == [("obs/metrics.py", 19), ("obs/metrics.py", 25)]
