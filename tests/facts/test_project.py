"""The project facts across modules (FFT106 chains): reach, laziness, cache, pickling, limits."""

from __future__ import annotations

import os
import pickle
import shutil
import textwrap

import pytest

from fftlint import api, registry
from fftlint.config.load import discover
from fftlint.engine.files import project_files
from fftlint.facts.project import MAX_DEPTH, ProjectFacts, build, summarize_text
from fftlint.rules.async_io.provider import BlockingProvider
from fftlint.testing import write_tree as write

def providers():
    provider = BlockingProvider()
    provider.bind(None)
    return [provider]


def index_of(files, cache=None):
    return build([str(f) for f in files], providers(), cache)


def index_for_text(text, module="m"):
    project = ProjectFacts(None, providers())
    project.add_source(text, module, False, f"{module}.py")
    return project


def chain(project, name, caller=""):
    """Display names of the blocking chain from calling ``name``, or None."""
    fn = project.function(name)
    found = project.explain(fn, "blocking", caller) if fn is not None else None
    return found.names if found is not None else None


FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "async_service")


SERVICE = {
    "svc/__init__.py": "from .config import load_config\n",
    "svc/config.py": """
        import json

        def read_file(path):
            with open(path) as fh:
                return fh.read()

        def load_config(path="cfg.json"):
            return json.loads(read_file(path))
    """,
    "svc/handlers.py": """
        from svc import load_config
        from svc.config import read_file as rf

        async def handler(request):
            cfg = load_config()
            return cfg

        async def other(request):
            return rf("x")
    """,
    "svc/unrelated.py": "def g():\n    return open('x')\n",
}


def lint(paths, select=("FFT106",), **kw):
    settings = discover(list(paths))
    config = api.make_config(settings, select=list(select))
    return [d for r in api.lint_paths(list(paths), config, **kw) for d in r.diagnostics]


def test_cross_module_chain_through_a_reexport(tmp_path):
    write(tmp_path, SERVICE)
    found = lint([str(tmp_path / "svc")])
    messages = sorted((os.path.basename(d.path), d.span.line, d.message) for d in found)
    assert messages == [
        ("handlers.py", 6, "`load_config` blocks the event loop inside `async def handler`: handler -> load_config -> read_file -> open (file-system call)"),
        ("handlers.py", 10, "`rf` blocks the event loop inside `async def other`: other -> read_file -> open (file-system call)"),
    ]


def test_one_file_run_still_sees_helpers_in_other_modules(tmp_path):
    """pre-commit passes changed files one by one, with no config file."""
    write(tmp_path, SERVICE)
    found = lint([str(tmp_path / "svc" / "handlers.py")])
    assert [d.span.line for d in found] == [6, 10]
    assert all(d.path.endswith("handlers.py") for d in found)


def test_config_directory_is_the_project_root(tmp_path):
    write(tmp_path, {**SERVICE, "pyproject.toml": "[tool.fftlint]\nselect = ['FFT1']\n", "tools/t.py": "async def f():\n    from svc.config import load_config\n    load_config()\n"})
    found = lint([str(tmp_path / "tools" / "t.py")])
    assert [d.message.split(": ", 1)[1] for d in found] == ["f -> load_config -> read_file -> open (file-system call)"]


def test_without_a_project_only_same_file_helpers_are_followed():
    from fftlint.engine.run import lint_source

    rule = registry.lookup("FFT106")
    text = "from other import helper\n\ndef local():\n    return open('x')\n\nasync def f():\n    helper()\n    local()\n"
    result = lint_source(text, "m.py", [rule], module_name="m")
    assert [d.span.line for d in result.diagnostics] == [8]


def test_only_modules_a_chain_reaches_are_summarised(tmp_path):
    files = dict(SERVICE)
    files["svc/docs.py"] = '"""async helpers, asynchat"""\nfrom svc import unrelated\n'
    write(tmp_path, files)
    settings = discover([str(tmp_path)])
    index = index_of(project_files([str(tmp_path / "svc")], settings))
    assert index.modules == {}  # nothing is parsed up front
    assert index.has_module("svc.handlers")
    assert chain(index, "svc.load_config", "svc.handlers") == ("load_config", "read_file", "open")
    assert set(index.modules) == {"svc", "svc.config", "svc.handlers"}
    assert not index.has_module("svc.absent")


def test_a_lazy_index_gives_the_answers_of_a_complete_one(tmp_path):
    from fftlint.engine.run import module_name_for

    write(tmp_path, SERVICE)
    settings = discover([str(tmp_path)])
    files = project_files([str(tmp_path / "svc")], settings)
    lazy = index_of(files)
    complete = ProjectFacts(None, providers())
    for path in files:
        module, is_package = module_name_for(path)
        complete.add_source(open(path).read(), module, is_package, path)
    for name in ("svc.load_config", "svc.config.read_file", "svc.config.load_config", "svc.unrelated.g", "svc.handlers.handler", "json.loads"):
        assert chain(lazy, name, "svc.handlers") == chain(complete, name, "svc.handlers"), name
        assert lazy.resolve(frozenset((name,))) == complete.resolve(frozenset((name,)))


def test_summaries_use_ast_not_libcst(tmp_path, monkeypatch):
    import libcst

    write(tmp_path, SERVICE)
    monkeypatch.setattr(libcst, "parse_module", lambda *a, **k: pytest.fail("LibCST used for a summary"))
    files = [str(p) for p in (tmp_path / "svc").glob("*.py")]
    index = index_of(files)
    assert chain(index, "svc.config.load_config") == ("load_config", "read_file", "open")


def test_index_is_plain_picklable_data(tmp_path):
    write(tmp_path, SERVICE)
    index = index_of((tmp_path / "svc").glob("*.py"))
    chain(index, "svc.config.load_config")  # warm the memo: must not break pickling
    clone = pickle.loads(pickle.dumps(index))
    assert chain(clone, "svc.load_config") == chain(index, "svc.load_config") == ("load_config", "read_file", "open")
    assert clone.stable_digest() == index.stable_digest()


class DictCache:
    def __init__(self):
        self.data, self.gets, self.hits = {}, 0, 0
        self.hits_by_namespace = {}

    def get(self, namespace, key):
        self.gets += 1
        value = self.data.get((namespace, key))
        self.hits += value is not None and namespace == "facts-summary"  # summaries
        self.hits_by_namespace[namespace] = self.hits_by_namespace.get(namespace, 0) + (value is not None)
        return value

    def put(self, namespace, key, value):
        self.data[(namespace, key)] = pickle.loads(pickle.dumps(value))


def test_summaries_are_cached_by_content(tmp_path):
    write(tmp_path, SERVICE)
    files = [str(p) for p in sorted((tmp_path / "svc").glob("*.py"))]
    cache = DictCache()
    first = index_of(files, cache)
    assert chain(first, "svc.load_config") == ("load_config", "read_file", "open")
    assert cache.hits == 0 and cache.data
    second = index_of(files, cache)
    assert chain(second, "svc.load_config") == ("load_config", "read_file", "open")
    assert cache.hits == len(second.modules) > 0 and second.stable_digest() == first.stable_digest()
    assert cache.hits_by_namespace.get("facts-details", 0) > 0  # the bodies read for the chain: not parsed again
    (tmp_path / "svc" / "config.py").write_text("def load_config(path='x'):\n    return {}\n")
    third = index_of(files, cache)
    assert chain(third, "svc.load_config") is None


def test_cycles_terminate_and_depth_is_capped():
    n = MAX_DEPTH + 3
    body = "".join(f"def f{i}():\n    return f{i + 1}()\n\n" for i in range(n)) + f"def f{n}():\n    return open('x')\n"
    index = index_for_text(body + "def g():\n    return h()\n\ndef h():\n    return g()\n")
    assert chain(index, "m.g") is None
    assert chain(index, f"m.f{n - MAX_DEPTH + 2}") is not None
    assert chain(index, "m.f0") is None  # deeper than MAX_DEPTH: not followed


def test_methods_constructors_bases_and_return_annotations():
    text = textwrap.dedent(
        """
        import sqlite3
        import requests

        class Base:
            def fetch(self, u):
                return requests.get(u)

        class Api(Base):
            def __init__(self):
                self.db = sqlite3.connect(":memory:")

            def save(self):
                self.db.commit()

        def make() -> Api:
            return Api.__new__(Api)
        """
    )
    index = index_for_text(text)
    assert chain(index, "m.Api().fetch") == ("Base.fetch", "requests.get")
    assert chain(index, "m.Api") == ("Api.__init__", "sqlite3.connect")
    assert chain(index, "m.make().save") == ("Api.save", "sqlite3.connect().commit")


def test_summary_of_a_file_that_does_not_parse_is_none():
    assert summarize_text("def (:\n", "m", False, "m.py", providers()) is None


def test_fixture_service_reports_every_chain_with_its_path():
    found = lint([FIXTURE])
    chains = {d.message.split(": ", 1)[1].split(" (")[0] for d in found}
    assert "health -> get_settings -> load_config -> open" in chains
    assert "price -> convert -> fetch_exchange_rate -> requests.get" in chains
    assert "admin_stats -> default_repo -> OrderRepo.__init__ -> sqlite3.connect" in chains


def test_fix_twice_on_the_fixture_changes_nothing_the_second_time(tmp_path):
    from fftlint.cli import main
    from fftlint.fix import parses

    target = tmp_path / "async_service"
    shutil.copytree(FIXTURE, target)
    assert main([str(target), "--select", "FFT1", "--fix", "--unsafe-fixes", "--no-cache", "--jobs", "1"]) == 1
    texts = {p: p.read_text() for p in target.rglob("*.py")}
    assert all(parses(t) for t in texts.values())
    assert "await asyncio.to_thread(requests.get, " in texts[target / "shop" / "handlers.py"]
    assert "await asyncio.sleep(1)" in texts[target / "shop" / "worker.py"]
    main([str(target), "--select", "FFT1", "--fix", "--unsafe-fixes", "--no-cache", "--jobs", "1"])
    assert {p: p.read_text() for p in target.rglob("*.py")} == texts


def test_project_digest_is_stable_across_runs_with_every_family_selected(tmp_path):
    """The result cache keys on the digest: it must not depend on object addresses."""
    write(tmp_path, SERVICE)
    config = api.make_config(discover([str(tmp_path)]), select=["ALL"])
    files = api.discover_files([str(tmp_path)], config.settings)
    first = api.build_project([str(tmp_path)], files, config)
    second = api.build_project([str(tmp_path)], files, config)
    assert first.stable_digest() == second.stable_digest()
    (tmp_path / "svc" / "config.py").write_text("def load_config(path='x'):\n    return {}\n")
    assert api.build_project([str(tmp_path)], files, config).stable_digest() != first.stable_digest()


def test_fft1_needs_an_async_def_not_the_word():
    import ast as std_ast

    from fftlint.engine.prefilter import AstView
    from fftlint.engine.run import lint_source
    from fftlint.registry import lookup

    rule = lookup("FFT101")
    for code, expected in (
        ('"""Helpers for async code (asynchat, async_chat)."""\ndef f():\n    time.sleep(1)\n', False),
        ("# an async def would block here\ndef f():\n    time.sleep(1)\n", False),
        ("import time\nasync \\\n  def f():\n    time.sleep(1)\n", True),
    ):
        assert rule.could_match(AstView(std_ast.parse(code), code, "m.py")) is expected, code
        found = [d.code for d in lint_source(code, "m.py", [rule], prefilter=False, module_name="m").diagnostics]
        assert bool(found) is expected


def test_a_loose_file_sees_its_folder_and_its_packages_not_every_folder_below(tmp_path):
    write(
        tmp_path,
        {
            "loose/script.py": "import helpers\n",
            "loose/helpers.py": "def load():\n    return 1\n",
            "loose/pkg/__init__.py": "",
            "loose/pkg/sub/__init__.py": "",
            "loose/pkg/sub/mod.py": "X = 1\n",
            "loose/other/deep.py": "Y = 2\n",  # a folder, not a package: not importable from here
            "loose/venv/lib/site.py": "Z = 3\n",
        },
    )
    settings = discover([str(tmp_path / "loose" / "script.py")])
    found = {os.path.relpath(p, tmp_path / "loose").replace(os.sep, "/") for p in project_files([str(tmp_path / "loose" / "script.py")], settings)}
    assert found == {"script.py", "helpers.py", "pkg/__init__.py", "pkg/sub/__init__.py", "pkg/sub/mod.py"}


def test_a_file_inside_a_package_still_sees_the_whole_package(tmp_path):
    write(tmp_path, {"repo/app/__init__.py": "", "repo/app/views.py": "", "repo/app/api/__init__.py": "", "repo/app/api/v1.py": "", "repo/notes/x.py": ""})
    settings = discover([str(tmp_path / "repo" / "app" / "views.py")])
    found = {os.path.relpath(p, tmp_path / "repo").replace(os.sep, "/") for p in project_files([str(tmp_path / "repo" / "app" / "views.py")], settings)}
    assert found == {"app/__init__.py", "app/views.py", "app/api/__init__.py", "app/api/v1.py"}


def test_typed_mappings_in_other_modules_keep_their_value_types(tmp_path):
    """``CLIENTS: dict[str, httpx.Client]`` in one module, ``CLIENTS[k].get()`` and a helper
    looping over ``CLIENTS.values()`` in others; a mapping of async clients stays silent."""
    write(tmp_path, {
        "gw/__init__.py": "",
        "gw/pool.py": """
            import httpx

            CLIENTS: dict[str, httpx.Client] = {}
            ASYNC: "dict[str, httpx.AsyncClient]" = {}

            def close_all():
                for client in CLIENTS.values():
                    client.close()
        """,
        "gw/views.py": """
            from gw.pool import ASYNC, CLIENTS, close_all

            async def fetch(name):
                return CLIENTS[name].get("/")

            async def fetch_async(name):
                return await ASYNC.get(name).get("/")

            async def shutdown():
                close_all()
        """,
    })
    found = lint([str(tmp_path / "gw" / "views.py")], select=("FFT1",))
    assert sorted((d.span.line, d.code) for d in found) == [(5, "FFT103"), (11, "FFT106")]
    chained = [d.message for d in found if d.code == "FFT106"]
    assert chained == [
        "`close_all` blocks the event loop inside `async def shutdown`: shutdown -> close_all -> httpx.Client().close (network call)"
    ]

def test_each_return_is_read_from_the_body_whatever_the_annotation_says():
    project = index_for_text(textwrap.dedent("""
        from django.conf import settings

        def sources(flag) -> list:
            if flag:
                return settings.SOURCES
            return ("a", "b")

        def untyped():
            return settings.SOURCES
        """))
    fn = project.function("m.sources")
    each = [project.resolve(v) for v in project.details(fn).each_return]
    assert each[0] == frozenset({"django.conf.settings.SOURCES"})
    assert len(each) == 2 and all(type(v).__name__ == "Tup" for v in each[1])
    assert "django.conf.settings.SOURCES" not in project.details(fn).returns  # the annotation wins there
    assert [project.resolve(v) for v in project.details(project.function("m.untyped")).each_return] == [frozenset({"django.conf.settings.SOURCES"})]
