"""The result cache: hits, every kind of invalidation, corruption, unwritable dirs."""

from __future__ import annotations

import os
import pickle
from typing import List

import pytest

from fftlint import api, cache as cache_mod
from fftlint.cache import Cache, ResultKeys
from fftlint.config.settings import Settings
from fftlint.engine.parallel import run_files

ASYNC_SLEEP = "import time\n\nasync def f():\n    time.sleep(1)\n"
CLEAN = "import asyncio\n\nasync def f():\n    await asyncio.sleep(1)\n"


@pytest.fixture
def project(tmp_path):
    (tmp_path / "a.py").write_text(ASYNC_SLEEP)
    (tmp_path / "b.py").write_text(CLEAN)
    return tmp_path


@pytest.fixture
def counted(monkeypatch):
    """Counts the files actually linted (cache misses)."""
    linted: List[str] = []
    real = api.lint_text

    def lint_text(text, path, config):
        linted.append(os.path.basename(path))
        return real(text, path, config)

    monkeypatch.setattr(api, "lint_text", lint_text)
    return linted


def _config(root, **selection):
    return api.make_config(Settings(root=str(root)), **selection)


def _run(root, config, cache):
    return api.lint_paths([str(root)], config, jobs=1, cache=cache)


def _codes(results):
    return [(os.path.basename(r.path), [d.code for d in r.diagnostics]) for r in results]


def test_second_run_is_served_from_the_cache(project, counted):
    cache = Cache(str(project / ".fftlint_cache"))
    first = _run(project, _config(project), cache)
    assert sorted(counted) == ["a.py", "b.py"]
    assert ("a.py", ["FFT101"]) in _codes(first)
    counted.clear()
    second = _run(project, _config(project), cache)
    assert counted == []
    assert second == first


def test_changed_content_is_relinted(project, counted):
    # a rule that reads no other file: only the changed file is linted again
    cache = Cache(str(project / ".cache"))
    _run(project, _config(project, select=["FFT302"]), cache)
    counted.clear()
    (project / "a.py").write_text(CLEAN)
    results = _run(project, _config(project, select=["FFT302"]), cache)
    assert counted == ["a.py"]
    assert all(not r.diagnostics for r in results)


def test_settings_change_invalidates(project, counted):
    cache = Cache(str(project / ".cache"))
    _run(project, _config(project), cache)
    counted.clear()
    other = api.make_config(Settings(root=str(project), target_version=(3, 12)))
    _run(project, other, cache)
    assert sorted(counted) == ["a.py", "b.py"]


def test_rule_selection_change_invalidates(project, counted):
    cache = Cache(str(project / ".cache"))
    _run(project, _config(project), cache)
    counted.clear()
    results = _run(project, _config(project, select=["FFT0"]), cache)
    assert sorted(counted) == ["a.py", "b.py"]
    assert all(not r.diagnostics for r in results)


def test_rule_options_change_invalidates(project):
    config = _config(project)
    rule = config.rules[0]
    base = ResultKeys(config).key("a.py", b"x", config.rules)
    changed = api.RunConfig(config.settings, config.rules, {rule: {"some": "option"}})
    assert ResultKeys(changed).key("a.py", b"x", config.rules) != base


def test_version_and_code_change_invalidate(project, counted, monkeypatch):
    cache = Cache(str(project / ".cache"))
    _run(project, _config(project), cache)
    counted.clear()
    monkeypatch.setattr(cache_mod, "__version__", "999.0")
    cache_mod.code_fingerprint.cache_clear()
    try:
        _run(project, _config(project), cache)
    finally:
        monkeypatch.undo()
        cache_mod.code_fingerprint.cache_clear()
    assert sorted(counted) == ["a.py", "b.py"]


def test_editing_a_rule_source_changes_the_fingerprint(tmp_path, monkeypatch):
    import fftlint.rules as builtin

    rule_file = tmp_path / "rule_mod.py"
    rule_file.write_text("x = 1\n")
    monkeypatch.setattr(builtin, "__path__", [str(tmp_path)])
    cache_mod.code_fingerprint.cache_clear()
    before = cache_mod.code_fingerprint()
    rule_file.write_text("x = 22\n")
    cache_mod.code_fingerprint.cache_clear()
    after = cache_mod.code_fingerprint()
    monkeypatch.undo()
    cache_mod.code_fingerprint.cache_clear()
    assert before != after


HELPER = "def load(p):\n    return open(p).read()\n"
CALLER = "from svc.helpers import load\n\nasync def handler(p):\n    return load(p)\n"
BYSTANDER = "import asyncio\n\nasync def other():\n    await asyncio.sleep(1)\n"


def test_editing_a_module_relints_only_the_files_that_consulted_it(tmp_path, counted):
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "__init__.py").write_text("")
    (tmp_path / "svc" / "helpers.py").write_text(HELPER)
    (tmp_path / "svc" / "handlers.py").write_text(CALLER)
    (tmp_path / "svc" / "other.py").write_text(BYSTANDER)
    cache = Cache(str(tmp_path / ".cache"))
    first = _run(tmp_path, _config(tmp_path, select=["FFT1"]), cache)
    assert ("handlers.py", ["FFT106"]) in _codes(first)
    handlers = next(r for r in first if r.path.endswith("handlers.py"))
    assert "svc.helpers" in handlers.depends
    counted.clear()
    assert _run(tmp_path, _config(tmp_path, select=["FFT1"]), cache) == first
    assert counted == []
    (tmp_path / "svc" / "helpers.py").write_text("def load(p):\n    return p\n")
    counted.clear()
    second = _run(tmp_path, _config(tmp_path, select=["FFT1"]), cache)
    assert sorted(counted) == ["handlers.py", "helpers.py"]  # other.py never looked at helpers
    assert ("handlers.py", []) in _codes(second)
    # a module that appears where a name was looked for counts too
    (tmp_path / "svc" / "helpers.py").unlink()
    counted.clear()
    _run(tmp_path, _config(tmp_path, select=["FFT1"]), cache)
    assert counted == ["handlers.py"]


def test_project_digest_without_own_digest_follows_the_summaries():
    class Index:
        def __init__(self, modules):
            self.modules = modules

    a = cache_mod.project_digest(Index({"m": ("f", 1)}))
    assert a == cache_mod.project_digest(Index({"m": ("f", 1)}))
    shared = "x" * 50
    # equal values, different object sharing (as after a cache round trip): same digest
    assert cache_mod.project_digest(Index({"m": (shared, shared)})) == cache_mod.project_digest(
        Index({"m": ("x" * 50, "".join(["x"] * 50))})
    )
    assert a != cache_mod.project_digest(Index({"m": ("f", 2)}))
    assert cache_mod.project_digest(None) == ""


def test_corrupt_entries_are_ignored_and_replaced(project, counted):
    directory = project / ".cache"
    cache = Cache(str(directory))
    first = _run(project, _config(project), cache)
    entries = [os.path.join(d, f) for d, _, fs in os.walk(directory / cache_mod.FORMAT / cache_mod.RESULTS) for f in fs]
    assert len(entries) == 2
    with open(entries[0], "wb") as fh:
        fh.write(b"\x80\x04not a pickle")
    with open(entries[1], "wb") as fh:
        fh.write(pickle.dumps({"not": "a FileResult"}))
    counted.clear()
    again = _run(project, _config(project), cache)
    assert sorted(counted) == ["a.py", "b.py"]
    assert again == first
    counted.clear()
    _run(project, _config(project), cache)
    assert counted == []


def test_unwritable_cache_dir_disables_the_cache_with_one_warning(project, counted, capsys):
    blocker = project / "not-a-dir"
    blocker.write_text("")
    cache = Cache(str(blocker / "cache"))
    results = _run(project, _config(project), cache)
    assert ("a.py", ["FFT101"]) in _codes(results)
    assert cache.enabled is False
    err = capsys.readouterr().err
    assert err.count("cache disabled") == 1
    counted.clear()
    _run(project, _config(project), cache)
    assert sorted(counted) == ["a.py", "b.py"]


def test_a_cache_that_cannot_be_written_never_stops_linting(project, counted, monkeypatch):
    """What a read-only cache directory does, also where permissions do not apply (as
    root, in CI): every write fails with PermissionError."""
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    monkeypatch.setattr(os, "makedirs", refuse)
    results = _run(project, _config(project), Cache(str(project / "cache")))
    assert ("a.py", ["FFT101"]) in _codes(results)
    again = _run(project, _config(project), Cache(str(project / "cache")))
    assert _codes(again) == _codes(results)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_cache_dir(project, counted):
    directory = project / "ro"
    directory.mkdir()
    os.chmod(directory, 0o500)
    try:
        results = _run(project, _config(project), Cache(str(directory)))
    finally:
        os.chmod(directory, 0o700)
    assert ("a.py", ["FFT101"]) in _codes(results)


def test_generic_get_put(tmp_path):
    cache = Cache(str(tmp_path / "c"))
    assert cache.get("summaries", "k") is None
    cache.put("summaries", "k", {"value": (1, 2)})
    cache.put("other", "k", "different namespace")
    assert cache.get("summaries", "k") == {"value": (1, 2)}
    assert cache.get("other", "k") == "different namespace"
    assert Cache(str(tmp_path / "c")).get("summaries", "k") == {"value": (1, 2)}
    cache.put("summaries", "k", "overwritten")
    assert cache.get("summaries", "k") == "overwritten"
    cache.put("summaries", "unpicklable", lambda: None)  # silently not cached
    assert cache.get("summaries", "unpicklable") is None
    leftovers = [f for _, _, fs in os.walk(tmp_path) for f in fs if f.startswith(".tmp-")]
    assert leftovers == []


def test_cache_dir_marks_itself_ignored(tmp_path):
    cache = Cache(str(tmp_path / "c"))
    cache.put("n", "k", 1)
    assert (tmp_path / "c" / ".gitignore").read_text().strip().endswith("*")


def test_cache_pickles_for_spawned_workers(tmp_path):
    cache = Cache(str(tmp_path / "c"))
    clone = pickle.loads(pickle.dumps(cache))
    clone.put("n", "k", 5)
    assert cache.get("n", "k") == 5


def test_default_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("FFTLINT_CACHE_DIR", raising=False)
    root = str(tmp_path)
    config = os.path.join(root, "pyproject.toml")
    assert cache_mod.default_directory(Settings(root=root, source=config)) == os.path.join(root, ".fftlint_cache")
    assert cache_mod.default_directory(Settings(root=root, cache_dir="build/lint")) == os.path.join(root, "build/lint")
    monkeypatch.setenv("FFTLINT_CACHE_DIR", "/elsewhere")
    assert cache_mod.default_directory(Settings(root=root, source=config)) == "/elsewhere"


def test_outside_any_project_the_cache_goes_to_the_user_cache_directory(tmp_path, monkeypatch):
    from fftlint.cli import main

    monkeypatch.delenv("FFTLINT_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    work = tmp_path / "loose"
    work.mkdir()
    (work / "a.py").write_text("import time\nasync def f():\n    time.sleep(1)\n")
    monkeypatch.chdir(work)
    assert os.path.dirname(cache_mod.default_directory(Settings(root=str(work)))) == str(tmp_path / "xdg" / "fftlint")
    assert main(["a.py"]) == 1
    assert not (work / ".fftlint_cache").exists()  # never the working directory
    assert (tmp_path / "xdg" / "fftlint").is_dir()
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_mod.user_cache_directory() == str(tmp_path / "home" / ".cache" / "fftlint")


def test_internal_errors_are_not_cached(tmp_path):
    from fftlint.types import FileResult

    cache = Cache(str(tmp_path / "c"))
    cache.put_result("k", FileResult("x.py", error=True))
    assert cache.get_result("k") is None
    cache.put_result("k", FileResult("x.py"))
    assert cache.get_result("k") == FileResult("x.py")


def test_parallel_run_fills_and_uses_the_cache(project, counted, monkeypatch):
    from fftlint.engine import parallel

    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)
    for i in range(12):
        (project / f"m{i}.py").write_text(ASYNC_SLEEP)
    config = _config(project)
    files = api.discover_files([str(project)], config.settings)
    cache = Cache(str(project / ".cache"))
    first = run_files(files, config, jobs=2, cache=cache)
    entries = [f for _, _, fs in os.walk(project / ".cache" / cache_mod.FORMAT / cache_mod.RESULTS) for f in fs]
    assert len(entries) == len(files) == 14
    counted.clear()
    second = run_files(files, config, jobs=2, cache=cache)
    assert counted == []
    assert second == first


def test_schema_file_change_invalidates_sql_findings(tmp_path, counted):
    """FFT501 reads the project's .sql files: editing them must refresh cached findings."""
    (tmp_path / "pyproject.toml").write_text("")
    schema = tmp_path / "schema.sql"
    schema.write_text("CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer, status text);\n")
    (tmp_path / "q.py").write_text(
        "def f(cur, c):\n    cur.execute('SELECT id FROM orders WHERE customer_id = %s', (c,))\n"
    )
    config = _config(tmp_path, select=["FFT501"])
    cache = Cache(str(tmp_path / ".cache"))
    first = _run(tmp_path, config, cache)
    assert ("q.py", ["FFT501"]) in _codes(first)
    schema.write_text(schema.read_text() + "CREATE INDEX ix_orders_customer ON orders (customer_id);\n")
    counted.clear()
    second = _run(tmp_path, _config(tmp_path, select=["FFT501"]), cache)
    assert counted == ["q.py"]
    assert ("q.py", []) in _codes(second)


def test_provider_facts_key_only_the_files_their_rules_can_see(tmp_path):
    """A changed model index re-keys files the N+1 rules' pre-filter lets through only."""
    from fftlint.analysis.orm import ModelIndex, summarize_models
    from fftlint.testing import project_for

    config = _config(tmp_path, select=["FFT201"])
    v1 = ModelIndex([summarize_models("from django.db import models\nclass Book(models.Model):\n    pass\n", "shop.models")])
    v2 = ModelIndex([summarize_models("from django.db import models\nclass Author(models.Model):\n    pass\n", "shop.models")])
    k1 = ResultKeys(api.RunConfig(config.settings, config.rules, project=project_for(config.rules, facts={"orm": v1})))
    k2 = ResultKeys(api.RunConfig(config.settings, config.rules, project=project_for(config.rules, facts={"orm": v2})))
    plain, looping = b"x = 1\n", b"for b in books:\n    b.save()\n"
    assert k1.key("p.py", plain, config.rules) == k2.key("p.py", plain, config.rules)
    assert k1.key("p.py", looping, config.rules) != k2.key("p.py", looping, config.rules)


def test_project_digest_ignores_object_addresses():
    class Matcher:
        __slots__ = ()

    def make():
        class Index:
            pass

        index = Index()
        index.modules = {"m": ("f",)}
        index.matcher = lambda name: name == "x"
        index.opaque = Matcher()
        index.pattern = __import__("re").compile("a+")
        return index

    first, second = make(), make()
    assert repr(first.matcher) != repr(second.matcher)
    assert cache_mod.project_digest(first) == cache_mod.project_digest(second)


def test_project_digest_follows_summaries_and_provider_facts_and_survives_a_cache_round_trip():
    import pickle

    from fftlint.facts.project import ProjectFacts
    from fftlint.facts.setup import make_providers
    from fftlint.registry import lookup

    def project(text, models):
        providers = make_providers([lookup("FFT106"), lookup("FFT201")], {})
        for p in providers:
            p.bind(models if p.name == "orm" else None)
        made = ProjectFacts(None, providers)
        made.add_source(text, "m", False, "m.py")
        return made

    from fftlint.analysis.orm import ModelIndex, summarize_models

    books = ModelIndex([summarize_models("from django.db import models\nclass Book(models.Model):\n    pass\n", "shop.models")])
    authors = ModelIndex([summarize_models("from django.db import models\nclass Author(models.Model):\n    pass\n", "shop.models")])
    index = project("import time\ndef f():\n    time.sleep(1)\n", books)
    again = pickle.loads(pickle.dumps(index))
    again.add_source("import time\ndef f():\n    time.sleep(1)\n", "m", False, "m.py")
    assert cache_mod.project_digest(again) == cache_mod.project_digest(index)
    assert cache_mod.project_digest(project("import time\ndef f():\n    return 1\n", books)) != cache_mod.project_digest(index)
    assert cache_mod.project_digest(project("import time\ndef f():\n    time.sleep(1)\n", authors)) != cache_mod.project_digest(index)


def test_fix_then_relint_never_serves_stale_results(tmp_path, monkeypatch, capsys):
    from fftlint.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text(ASYNC_SLEEP)
    cache_dir = str(tmp_path / "cache")
    assert main(["--cache-dir", cache_dir, "--select", "FFT101", "a.py"]) == 1
    assert main(["--cache-dir", cache_dir, "--select", "FFT101", "a.py"]) == 1  # from the cache
    capsys.readouterr()
    assert main(["--cache-dir", cache_dir, "--select", "FFT101", "--fix", "a.py"]) == 0
    assert "asyncio.sleep" in (tmp_path / "a.py").read_text()
    assert main(["--cache-dir", cache_dir, "--select", "FFT101", "a.py"]) == 0
    assert "FFT101" not in capsys.readouterr().out


def test_no_cache_flag_writes_nothing(tmp_path, monkeypatch):
    from fftlint.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text(ASYNC_SLEEP)
    assert main(["--no-cache", "--cache-dir", str(tmp_path / "cache"), "a.py"]) == 1
    assert not (tmp_path / "cache").exists()
    assert not (tmp_path / ".fftlint_cache").exists()
    assert main(["--cache-dir", str(tmp_path / "cache"), "a.py"]) == 1
    assert (tmp_path / "cache").is_dir()


def test_every_cached_value_is_keyed_by_fftlints_code(tmp_path, monkeypatch):
    """Providers cache per-file facts (schemas, model indexes, summaries) under their own
    keys; an upgrade of fftlint whose facts have a new shape must not read the old ones
    (a pickled schema without a new attribute crashed the SQL rules)."""
    cache = Cache(str(tmp_path / "c"))
    cache.put("schema-facts", "k", {"shape": 1})
    assert cache.get("schema-facts", "k") == {"shape": 1}
    monkeypatch.setattr(cache_mod, "code_fingerprint", lambda: "another fftlint")
    assert cache.get("schema-facts", "k") is None
