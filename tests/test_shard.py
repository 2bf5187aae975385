"""--shard I/N: deterministic, disjoint, and together exactly the unsharded run."""

from __future__ import annotations

import pytest

from fftlint import api
from fftlint.config.settings import Settings
from fftlint.engine import shard
from fftlint.engine.shard import ShardError, parse_shard


@pytest.fixture
def tree(tmp_path):
    for i in range(60):
        sub = tmp_path / f"d{i % 4}"
        sub.mkdir(exist_ok=True)
        body = "import time\n\nasync def f():\n    time.sleep(1)\n" if i % 3 == 0 else f"x = {i}\n"
        (sub / f"m{i}.py").write_text(body)
    return tmp_path


def test_shards_partition_the_files_and_findings(tree):
    config = api.make_config(Settings(root=str(tree)))
    whole = api.lint_paths([str(tree)], config)
    for count in (1, 2, 3, 7):
        parts = [api.lint_paths([str(tree)], config, shard=(i, count)) for i in range(1, count + 1)]
        paths = [r.path for part in parts for r in part]
        assert len(paths) == len(set(paths)), "shards overlap"
        assert sorted(paths) == sorted(r.path for r in whole)
        found = sorted(
            (d.path, d.span.line, d.code) for part in parts for r in part for d in r.diagnostics
        )
        assert found == sorted((d.path, d.span.line, d.code) for r in whole for d in r.diagnostics)
        assert len(found) == 20
    sizes = [len(api.lint_paths([str(tree)], config, shard=(i, 3))) for i in (1, 2, 3)]
    assert all(s > 5 for s in sizes), f"unbalanced shards: {sizes}"


def test_assignment_depends_only_on_the_relative_path(tree, tmp_path_factory):
    files = api.discover_files([str(tree)], Settings(root=str(tree)))
    first = [shard.shard_of(f, str(tree), 4) for f in files]
    assert first == [shard.shard_of(f, str(tree), 4) for f in files]
    # the same relative layout elsewhere (another CI machine) gives the same split
    other = tmp_path_factory.mktemp("elsewhere")
    moved = [str(other / f[len(str(tree)) + 1 :]) for f in files]
    assert first == [shard.shard_of(f, str(other), 4) for f in moved]
    # and a file's shard does not depend on which other files exist
    assert shard.select(files[:5], 2, 4, str(tree)) == [f for f in shard.select(files, 2, 4, str(tree)) if f in files[:5]]


@pytest.mark.parametrize("text, expected", [("1/1", (1, 1)), ("2/4", (2, 4)), (" 3/3 ", (3, 3))])
def test_parse_shard(text, expected):
    assert parse_shard(text) == expected


@pytest.mark.parametrize("text", ["0/4", "5/4", "1/0", "a/b", "3", "1/2/3", "-1/2", ""])
def test_parse_shard_rejects(text):
    with pytest.raises(ShardError, match="--shard"):
        parse_shard(text)


def test_cross_file_findings_survive_sharding(tmp_path):
    """The project index covers the whole project, not just the shard: a blocking helper
    in one shard is still seen from async callers in the others."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "helpers.py").write_text("import time\n\ndef load():\n    time.sleep(1)\n")
    for i in range(8):
        (pkg / f"caller{i}.py").write_text(f"from pkg.helpers import load\n\nasync def handler{i}():\n    load()\n")
    config = api.make_config(Settings(root=str(tmp_path)))
    if not any(r.needs_project for r in config.rules):
        pytest.skip("no cross-file rule is enabled by default")

    def found(results):
        return sorted((d.path, d.span.line, d.code) for r in results for d in r.diagnostics)

    whole = found(api.lint_paths([str(pkg)], config))
    assert len([f for f in whole if f[0].endswith(".py") and "caller" in f[0]]) == 8
    shards = []
    for i in (1, 2, 3):
        shards.extend(found(api.lint_paths([str(pkg)], api.make_config(Settings(root=str(tmp_path))), shard=(i, 3))))
    assert sorted(shards) == whole
