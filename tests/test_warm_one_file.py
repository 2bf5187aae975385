"""The one-file (pre-commit) run on a warm cache: what it must not redo, and what must
still invalidate it (speed targets live in bench/, never here)."""

from __future__ import annotations

import os

from fftlint.analysis.sql import loader
from fftlint.cache import Cache, skips_directory
from fftlint.engine.files import discover


def _tree(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.fftlint]\n")
    (tmp_path / "app.py").write_text("x = 1\n")
    (tmp_path / "schema.sql").write_text("CREATE TABLE t (id int);\n")
    cache = Cache(str(tmp_path / "somewhere_cache"))
    cache.put("ns", "k", {"value": 1})
    # a cache directory may hold files with any name; none of them is the project's
    stray = tmp_path / "somewhere_cache" / "stray"
    stray.mkdir()
    (stray / "leftover.sql").write_text("CREATE TABLE ghost (id int);\n")
    (stray / "leftover.py").write_text("y = 2\n")
    return cache


def test_cache_directory_is_tagged(tmp_path):
    cache = _tree(tmp_path)
    assert os.path.isfile(os.path.join(cache.directory, "CACHEDIR.TAG"))
    assert skips_directory(cache.directory)
    assert not skips_directory(str(tmp_path))


def test_discovery_and_sql_walk_skip_cache_directories(tmp_path):
    _tree(tmp_path)
    found = {os.path.relpath(p, tmp_path) for p in discover([str(tmp_path)], [], str(tmp_path))}
    assert found == {"app.py"}
    loader._walks.clear()
    sql = {os.path.relpath(p, tmp_path) for p in loader.sql_files(str(tmp_path))}
    assert sql == {"schema.sql"}


def test_the_default_cache_directory_name_is_skipped_before_it_is_tagged(tmp_path):
    # caches written by an older fftlint have no tag yet
    old = tmp_path / ".fftlint_cache" / "2" / "results"
    old.mkdir(parents=True)
    (old / "x.py").write_text("z = 3\n")
    (tmp_path / "app.py").write_text("x = 1\n")
    found = {os.path.relpath(p, tmp_path) for p in discover([str(tmp_path)], [], str(tmp_path))}
    assert found == {"app.py"}


# --------------------------------------------------------------------------- file memo
from fftlint.filememo import SETTLED_NS, FileMemo  # noqa: E402


def _settle(path, seconds=60):
    """Make a file look written ``seconds`` ago (its change time stays now)."""
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - seconds * 1_000_000_000))


def _counting(monkeypatch):
    reads = []
    real = FileMemo.data

    def data(self, path):
        if os.path.abspath(path) not in self._bytes:
            reads.append(os.path.basename(path))
        return real(self, path)

    monkeypatch.setattr(FileMemo, "data", data)
    return reads


def test_a_file_is_read_once_per_run_and_not_at_all_when_unchanged_since(tmp_path, monkeypatch):
    import time

    cache = Cache(str(tmp_path / "c"))
    f = tmp_path / "m.py"
    f.write_text("x = 1\n")
    _settle(str(f))
    time.sleep(SETTLED_NS / 1e9)  # the change time settles too
    reads = _counting(monkeypatch)
    memo = cache.begin_run()
    first = memo.digest(str(f))
    assert memo.data(str(f)) == b"x = 1\n" and memo.digest(str(f)) == first
    assert reads == ["m.py"]
    memo.save()
    memo = cache.begin_run()
    assert memo.digest(str(f)) == first
    assert reads == ["m.py"]  # the next run trusted the unchanged stat


def test_a_rewrite_that_keeps_size_and_modification_time_is_still_seen(tmp_path):
    cache = Cache(str(tmp_path / "c"))
    f = tmp_path / "m.py"
    f.write_text("x = 1\n")
    memo = cache.begin_run()
    first = memo.digest(str(f))
    memo.save()
    st = os.stat(f)
    f.write_text("x = 2\n")  # same size, at once: the same mtime on a coarse file system
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    memo = cache.begin_run()
    assert memo.digest(str(f)) != first


def test_derived_facts_follow_the_content(tmp_path):
    cache = Cache(str(tmp_path / "c"))
    f = tmp_path / "m.py"
    f.write_text("class Book(models.Model): pass\n")
    calls = []

    def marked(data):
        calls.append(1)
        return b"Model" in data

    memo = cache.begin_run()
    assert memo.derived("t", str(f), marked) is True
    memo.save()
    assert cache.begin_run().derived("t", str(f), marked) is True
    assert len(calls) == 1  # remembered by content hash
    f.write_text("x = 1\n")
    assert cache.begin_run().derived("t", str(f), marked) is False
    assert cache.begin_run().derived("t", str(f), marked, salt="other") is False
    assert len(calls) == 3  # new content, then another salt: computed again


def test_a_memo_pickles_without_the_bytes(tmp_path):
    import pickle

    f = tmp_path / "m.py"
    f.write_text("x = 1\n")
    memo = FileMemo()
    digest = memo.digest(str(f))
    other = pickle.loads(pickle.dumps(memo))
    assert other._bytes == {} and other.digest(str(f)) == digest


# --------------------------------------------------------------------------- providers
from fftlint import api  # noqa: E402
from fftlint.config.settings import Settings  # noqa: E402

MODELS = """from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=10)


class Book(models.Model):
    title = models.CharField(max_length=10)
    author = models.ForeignKey(Author, on_delete=models.CASCADE)
"""

MIGRATION = """from django.db import migrations, models


class Migration(migrations.Migration):
    operations = [
        migrations.AddIndex(model_name="book", index=models.Index(fields=["title"], name="book_title")),
    ]
"""


def _django(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.fftlint]\n")
    app = tmp_path / "shop"
    (app / "migrations").mkdir(parents=True)
    (app / "__init__.py").write_text("")
    (app / "migrations" / "__init__.py").write_text("")
    (app / "models.py").write_text(MODELS)
    (app / "migrations" / "0002_index.py").write_text(MIGRATION)
    (app / "views.py").write_text("from .models import Book\n\n\ndef titles():\n    return [b.author.name for b in Book.objects.all()]\n")
    (tmp_path / "schema.sql").write_text("CREATE TABLE shop_extra (id int);\n")
    for path in tmp_path.rglob("*"):
        if path.is_file():
            _settle(str(path))  # old files: their stats are remembered across runs
    return app


def _project(tmp_path, cache):
    config = api.make_config(Settings(root=str(tmp_path)), select=["ALL"])
    files = api.discover_files([str(tmp_path)], config.settings)
    return api.build_project([str(tmp_path)], files, config, cache)


def _facts(tmp_path, cache):
    from fftlint.cache import project_digest

    project = _project(tmp_path, cache)
    index = project.facts_of("orm")
    models = {m.qualname: sorted(f["name"] for f in m.fields) for m in index.models.values()}
    sql = project.provider("sql-schema")
    return models, project_digest(list(sql.facts or ())), sql.external_inputs(str(tmp_path / "shop" / "views.py"))


def test_warm_runs_reuse_and_edits_between_runs_change_the_facts(tmp_path, monkeypatch):
    import fftlint.filememo

    monkeypatch.setattr(fftlint.filememo, "SETTLED_NS", 0)  # no waiting for change times to settle
    app = _django(tmp_path)
    cache = Cache(str(tmp_path / ".fftlint_cache"))
    cold = _facts(tmp_path, cache)
    reads = _counting(monkeypatch)
    assert _facts(tmp_path, cache) == cold
    assert reads == []  # a warm run with nothing changed reads no project file
    # a model file: the index changes (and only that file is read)
    (app / "models.py").write_text(MODELS.replace("    author = models.ForeignKey(Author, on_delete=models.CASCADE)\n", ""))
    after_model = _facts(tmp_path, cache)
    assert after_model[0] != cold[0] and after_model[2] == cold[2]
    assert reads == ["models.py"]
    # a migration: the schema facts change
    (app / "migrations" / "0002_index.py").write_text(MIGRATION.replace('"title"', '"author"'))
    after_migration = _facts(tmp_path, cache)
    assert after_migration[1] != after_model[1]
    # a .sql file: the external inputs of FFT5xx results change
    from fftlint.analysis.sql import loader

    loader._walks.clear()  # the walk is memoized in-process for a few seconds
    (tmp_path / "schema.sql").write_text("CREATE TABLE shop_extra (id int, name text);\n")
    assert _facts(tmp_path, cache)[2] != after_migration[2]


# --------------------------------------------------------------------------- plugins
def _dist(site, name, text):
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    if text is not None:
        (info / "entry_points.txt").write_text(text)


def test_the_entry_point_pre_scan_finds_only_distributions_that_declare_the_group(tmp_path):
    from fftlint import registry

    site = tmp_path / "site"
    _dist(site, "other", "[console_scripts]\nother = other:main\n")
    _dist(site, "bare", None)
    assert not registry.may_declare_plugins([str(site), str(tmp_path / "missing")])
    _dist(site, "acme_rules", "[fftlint.rules]\nacme = acme_rules\n")
    assert registry.may_declare_plugins([str(site)])
    # an egg-info, or an entry on the path that is an archive: it may declare some
    egg = tmp_path / "eggs"
    (egg / "old.egg-info").mkdir(parents=True)
    (egg / "old.egg-info" / "entry_points.txt").write_text("[fftlint.rules]\nold = old\n")
    assert registry.may_declare_plugins([str(egg)])
    archive = tmp_path / "plugins.zip"
    archive.write_bytes(b"PK\x05\x06" + b"\0" * 18)
    assert registry.may_declare_plugins([str(archive)])


def test_no_plugin_means_no_metadata_import(tmp_path):
    import subprocess
    import sys

    import pytest

    if registry_has_plugins():
        pytest.skip("this interpreter has an fftlint plugin installed: the full scan is the right one")
    code = (
        "import sys\n"
        "from fftlint import registry\n"
        "registry.all_rules(); registry.families()\n"
        "print('importlib.metadata' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=str(tmp_path))
    assert out.stdout.strip() == "False"


def registry_has_plugins() -> bool:
    import sys

    from fftlint import registry

    return registry.may_declare_plugins(sys.path)


# --------------------------------------------------------------------------- singletons
REGISTRY = """from functools import lru_cache


class Registry:
    @lru_cache(maxsize=100)
    def store_for(self, uri):
        return uri
"""


def test_singletons_are_reused_across_runs_until_a_file_that_matters_changes(tmp_path, monkeypatch):
    import rules.leaks.instances as instances
    from fftlint.testing import python_files, write_tree

    write_tree(tmp_path, {
        "app/__init__.py": "",
        "app/registry.py": REGISTRY,
        "app/service.py": "from .registry import Registry\n_r = Registry()\n",
        "app/other.py": "def f():\n    return 1\n",
    })
    cache = Cache(str(tmp_path / ".cache"))
    computed = []
    real = instances._singletons

    def counting(*args, **kwargs):
        computed.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(instances, "_singletons", counting)

    def run():
        cache.begin_run()
        return sorted(cls for _, cls in instances.singletons(python_files(str(tmp_path)), cache))

    assert run() == ["Registry"] and len(computed) == 1
    assert run() == ["Registry"] and len(computed) == 1  # nothing changed: the last answer
    (tmp_path / "app" / "other.py").write_text("def f():\n    return 2\n")
    assert run() == ["Registry"] and len(computed) == 1  # a file that names no candidate
    (tmp_path / "app" / "new.py").write_text("X = 1\n")
    assert run() == ["Registry"] and len(computed) == 1  # a new file that names none either
    # a file that did not matter starts making an instance per call: the answer changes
    (tmp_path / "app" / "other.py").write_text("from .registry import Registry\n\ndef f():\n    return Registry()\n")
    assert run() == [] and len(computed) == 2
    # ... and back: the file now matters, so its change is followed again
    (tmp_path / "app" / "other.py").write_text("def f():\n    return 3\n")
    assert run() == ["Registry"] and len(computed) == 3
    # a candidate's own file changes
    (tmp_path / "app" / "registry.py").write_text(REGISTRY.replace("@lru_cache(maxsize=100)", "@staticmethod"))
    assert run() == [] and len(computed) == 4


# --------------------------------------------------------------------------- call chains
def test_a_helper_edited_between_runs_changes_the_chain_found_through_it(tmp_path):
    from fftlint.testing import write_tree

    write_tree(tmp_path, {
        "pyproject.toml": "[tool.fftlint]\n",
        "svc/__init__.py": "",
        "svc/files.py": "def read_config(path):\n    with open(path) as fh:\n        return fh.read()\n",
        "svc/views.py": "from .files import read_config\n\n\nasync def handler(path):\n    return read_config(path)\n",
    })
    cache = Cache(str(tmp_path / ".fftlint_cache"))

    def codes():
        config = api.make_config(Settings(root=str(tmp_path)), select=["FFT1"])
        return sorted(d.code for r in api.lint_paths([str(tmp_path)], config, cache=cache) for d in r.diagnostics if r.path.endswith("views.py"))

    first = codes()
    assert first and codes() == first  # the warm run answers the same
    (tmp_path / "svc" / "files.py").write_text("def read_config(path):\n    return {'path': path}\n")
    assert codes() == []
    (tmp_path / "svc" / "files.py").write_text("def read_config(path):\n    with open(path) as fh:\n        return fh.read()\n")
    assert codes() == first


def test_a_file_written_during_the_run_is_hashed_as_read(tmp_path):
    import time

    cache = Cache(str(tmp_path / "c"))
    f = tmp_path / "m.py"
    f.write_text("x = 1\n")
    _settle(str(f))
    time.sleep(SETTLED_NS / 1e9)
    memo = cache.begin_run()
    old = memo.digest(str(f))
    memo.save()
    memo = cache.begin_run()
    assert memo.digest(str(f)) == old  # trusted from the stat, the file not read
    f.write_text("x = 22\n")  # written after this run's stat
    seen = memo.derived("t", str(f), lambda data: data)
    assert seen == b"x = 22\n" and memo.digest(str(f)) != old
    # what was derived is filed under the hash of what was read, not the stale one
    bundle = memo._bundle("t")
    assert bundle[str(f)][0].endswith(memo.digest(str(f)))
