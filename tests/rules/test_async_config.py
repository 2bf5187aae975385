"""FFT1xx options (`[tool.fftlint.async-io]` / `.fftlint.yaml`) and the YAML catalog."""

from __future__ import annotations

import textwrap

import pytest

from fftlint import api, registry
from fftlint.rules.async_io.catalog import KINDS, AsyncIOOptions, catalog_for, catalog_path
from fftlint.cli import main
from fftlint.config.load import discover
from fftlint.config.settings import ConfigError

HANDLER = textwrap.dedent(
    """
    import vendor.sdk as sdk
    from legacy import db

    def helper():
        return db.query("select 1")

    async def f():
        sdk.upload("x")
        helper()
        return db.other()
    """
)


def findings(tmp_path, config_text, name=".fftlint.yaml", select=("FFT1",)):
    (tmp_path / name).write_text(textwrap.dedent(config_text))
    (tmp_path / "app.py").write_text(HANDLER)
    settings = discover([str(tmp_path)])
    config = api.make_config(settings, select=list(select))
    return [(d.code, d.span.line) for r in api.lint_paths([str(tmp_path)], config) for d in r.diagnostics]


def test_blocking_calls_from_yaml_are_fft107_and_followed_through_helpers(tmp_path):
    got = findings(tmp_path, "async-io:\n  blocking-calls: ['vendor.sdk.*', 'legacy.db.query']\n")
    assert sorted(got) == [("FFT106", 10), ("FFT107", 9)]


def test_blocking_calls_from_pyproject(tmp_path):
    got = findings(tmp_path, "[tool.fftlint.async-io]\nblocking-calls = ['vendor.sdk.upload']\n", name="pyproject.toml")
    assert got == [("FFT107", 9)]


def test_no_configured_calls_no_fft107(tmp_path):
    assert findings(tmp_path, "select: [FFT1]\n") == []


def test_offload_wrapper_decorator_makes_a_helper_awaitable(tmp_path):
    (tmp_path / "app.py").write_text(
        "from myproj.threads import threaded\n\n@threaded\ndef load():\n    return open('x').read()\n\nasync def f():\n    return await load()\n\nasync def g():\n    return load()\n"
    )
    (tmp_path / ".fftlint.yaml").write_text("async-io:\n  offload-wrappers: [myproj.threads.threaded]\n")
    config = api.make_config(discover([str(tmp_path)]), select=["FFT106"])
    assert [d for r in api.lint_paths([str(tmp_path)], config) for d in r.diagnostics] == []
    (tmp_path / ".fftlint.yaml").write_text("select: [FFT1]\n")
    config = api.make_config(discover([str(tmp_path)]), select=["FFT106"])
    assert [d.span.line for r in api.lint_paths([str(tmp_path)], config) for d in r.diagnostics] == [11]


@pytest.mark.parametrize(
    "table, problem",
    [
        ("async-io:\n  bogus: 1\n", "async-io.bogus: unknown option"),
        ("async-io:\n  blocking-calls: requests.get\n", "async-io.blocking-calls: expected a list"),
        ("async-io:\n  offload-wrappers: [1]\n", "async-io.offload-wrappers[0]: expected str"),
    ],
)
def test_bad_options_are_config_errors(tmp_path, capsys, table, problem):
    (tmp_path / ".fftlint.yaml").write_text(table)
    (tmp_path / "app.py").write_text("x = 1\n")
    with pytest.raises(ConfigError) as err:
        api.make_config(discover([str(tmp_path)]))
    assert problem in str(err.value)
    assert main([str(tmp_path)]) == 2
    assert problem in capsys.readouterr().err


def test_every_fft1_rule_shares_one_options_table():
    rules = [r for r in registry.all_rules() if r.code.startswith("FFT1")]
    assert {r.code for r in rules} == {"FFT101", "FFT102", "FFT103", "FFT104", "FFT105", "FFT106", "FFT107", "FFT108"}
    assert {r.options_key for r in rules} == {"async-io"}
    assert {r.Options for r in rules} == {AsyncIOOptions}
    assert all("async" in r.requires for r in rules)


def test_catalog_is_yaml_data_loaded_once():
    assert catalog_path().endswith("blocking_calls.yaml")
    assert catalog_for() is catalog_for()
    assert catalog_for(AsyncIOOptions(blocking_calls=("a.b",))) is catalog_for(AsyncIOOptions(blocking_calls=("a.b",)))
    codes = {r.code for r in registry.all_rules()}
    assert set(KINDS.values()) <= codes


@pytest.mark.parametrize(
    "canonical, kind",
    [
        ("time.sleep", "sleep"),
        ("builtins.open", "file"),
        ("pathlib.Path().parent.joinpath().read_text", "file"),
        ("os.path.exists", "file"),
        ("requests.Session().get", "network"),
        ("httpx.Client().post", "network"),
        ("subprocess.Popen().communicate", "process"),
        ("redis.Redis().hgetall", "driver"),
        ("psycopg2.connect().cursor().fetchall", "driver"),
        ("asyncio.get_running_loop().run_until_complete", "driver"),
        ("os.path.join", None),
        ("pathlib.Path().name", None),
        ("redis.Redis().pipeline", None),
        ("httpx.AsyncClient().get", None),
        ("aiohttp.ClientSession().get", None),
        ("asyncio.sleep", None),
        ("dict.get", None),
    ],
)
def test_catalog_matches(canonical, kind):
    match = catalog_for().match(canonical)
    assert (match.kind if match else None) == kind


def test_block_false_exceptions_use_the_arguments():
    cat = catalog_for()
    assert cat.match("queue.Queue().get", lambda: ((), {"block": "False"})) is None
    assert cat.match("queue.Queue().put", lambda: (("item", "False"), {})) is None
    assert cat.match("queue.Queue().get", lambda: ((), {"timeout": "1"})) is not None
