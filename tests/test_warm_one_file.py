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
