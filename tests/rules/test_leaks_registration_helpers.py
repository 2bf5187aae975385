"""FFT309: set-up helpers that register something, called from code that repeats.

Multi-file projects: the helper lives in another module, the registration is reached
through the project (a re-exported ``atexit.register``), the caller's cached result
follows edits of the helper, and the pre-check agrees with the rule."""

from __future__ import annotations


from fftlint.cache import Cache
from fftlint.testing import lint_tree, write_tree as write


def findings(root, prefilter=True, cache=None, select=("FFT3",)):
    return sorted((path, d.span.line, d.code, d.message) for path, d in lint_tree(root, select, prefilter=prefilter, cache=cache))


SERVICE = {
    "svc/__init__.py": "",
    "svc/compat.py": "from atexit import register\n",
    "svc/hooks.py": """
        from .compat import register

        def install_exit_hook(flush):
            register(flush)
    """,
    "svc/logs.py": """
        import logging

        def configure_logger(name):
            logger = logging.getLogger(name)
            logger.addHandler(logging.StreamHandler())
            return logger
    """,
    "svc/worker.py": """
        from .hooks import install_exit_hook
        from .logs import configure_logger as logger_for

        def handle(message, flush):
            install_exit_hook(flush)
            log = logger_for("worker")
            log.info(message)
    """,
}


def test_registrations_reached_through_the_project_and_import_aliases(tmp_path):
    write(tmp_path, SERVICE)
    found = findings(tmp_path)
    assert [(p, line, code) for p, line, code, _ in found] == [("svc/worker.py", 6, "FFT309"), ("svc/worker.py", 7, "FFT309")]
    messages = [m for *_, m in found]
    assert "handle -> install_exit_hook -> atexit.register" in messages[0]
    assert "handle -> configure_logger -> logger.addHandler" in messages[1]
    assert findings(tmp_path, prefilter=False) == found


def test_a_guard_added_to_the_helper_refreshes_the_callers_cached_result(tmp_path):
    write(tmp_path, SERVICE)
    cache = Cache(str(tmp_path / ".cache"))
    assert len(findings(tmp_path, cache=cache)) == 2
    write(tmp_path, {"svc/logs.py": """
        import logging

        def configure_logger(name):
            logger = logging.getLogger(name)
            if not logger.handlers:
                logger.addHandler(logging.StreamHandler())
            return logger
    """})
    assert [line for _, line, _, _ in findings(tmp_path, cache=cache)] == [6]


def test_an_alias_made_by_assignment_is_not_a_set_up_call(tmp_path):
    files = dict(SERVICE)
    files["svc/worker.py"] = """
        from .logs import configure_logger

        get = configure_logger

        def handle(message):
            get("worker").info(message)
    """
    write(tmp_path, files)
    assert findings(tmp_path) == findings(tmp_path, prefilter=False) == []


def test_helpers_called_once_stay_silent_and_loops_in_set_up_code_do_not(tmp_path):
    files = dict(SERVICE)
    files["svc/worker.py"] = """
        from .logs import configure_logger

        def main(names):
            configure_logger("root")
            for name in names:
                configure_logger(name)
    """
    write(tmp_path, files)
    assert [(p, line) for p, line, _, _ in findings(tmp_path)] == [("svc/worker.py", 7)]
