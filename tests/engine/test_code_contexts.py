"""Code contexts: which files are production code, tests, migrations or scripts, and
which findings each rule reports there by default (the rest are held back, counted)."""

import os

import pytest

from fftlint import api, registry
from fftlint.config.load import discover, find_config, parse_table
from fftlint.config.settings import ConfigError, Settings
from fftlint.engine.contexts import CONTEXTS, MIGRATIONS, PRODUCTION, SCRIPTS, TESTS, classify
from fftlint.rule import Rule
from fftlint.testing import check_example

N_PLUS_ONE = (
    "from shop.models import Book\n"
    "def titles(ids):\n"
    "    for i in ids:\n"
    "        Book.objects.get(pk=i)\n"
)


@pytest.fixture(autouse=True)
def _fresh_config_cache():
    find_config.cache_clear()
    yield
    find_config.cache_clear()


@pytest.mark.parametrize("rel, context", [
    ("app/views.py", PRODUCTION),
    ("src/app/services/billing.py", PRODUCTION),
    ("tests/test_views.py", TESTS),
    ("app/tests/factories.py", TESTS),
    ("test/helpers.py", TESTS),
    ("app/test_views.py", TESTS),
    ("app/views_test.py", TESTS),
    ("app/tests.py", TESTS),  # Django's default test module
    ("conftest.py", TESTS),
    ("app/conftest.py", TESTS),
    ("shop/migrations/0003_backfill.py", MIGRATIONS),
    ("db/alembic/env.py", MIGRATIONS),
    # a private package directory (Prefect's `server/database/_migrations/versions/...`)
    ("server/database/_migrations/versions/postgresql/2024_add_index.py", MIGRATIONS),
    ("scripts/backfill_prices.py", SCRIPTS),
    ("bin/run_worker.py", SCRIPTS),
    ("manage.py", SCRIPTS),
    ("setup.py", SCRIPTS),
    ("noxfile.py", SCRIPTS),
    ("fabfile.py", SCRIPTS),
    ("docs/conf.py", SCRIPTS),
    ("docs/examples/quickstart.py", SCRIPTS),
    ("examples/client.py", SCRIPTS),
    ("scripts/test_backfill.py", TESTS),  # a test of a script is a test
    # look-alikes that stay production code
    ("app/testing_utils.py", PRODUCTION),
    ("app/contest.py", PRODUCTION),
    ("app/latest.py", PRODUCTION),
    ("app/migration_planner.py", PRODUCTION),
    ("app/versions.py", PRODUCTION),
    ("app/management/commands/rebuild_index.py", PRODUCTION),  # deployed batch jobs
    ("app/scripting.py", PRODUCTION),
    ("app/setup.py.bak/models.py", PRODUCTION),
])
def test_path_conventions(tmp_path, rel, context):
    path = tmp_path / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x = 1\n")
    assert classify(str(path), str(tmp_path)) == context


def test_alembic_versions_directory_is_a_migration_only_beside_its_env(tmp_path):
    versions = tmp_path / "db" / "versions"
    versions.mkdir(parents=True)
    (versions / "1a2b_add_index.py").write_text("revision = '1a2b'\n")
    assert classify(str(versions / "1a2b_add_index.py"), str(tmp_path)) == PRODUCTION
    (tmp_path / "db" / "env.py").write_text("from alembic import context\n")
    assert classify(str(versions / "1a2b_add_index.py"), str(tmp_path)) == MIGRATIONS


def test_only_the_path_below_the_root_counts(tmp_path):
    root = tmp_path / "tests" / "checkout"  # the repository itself lives under "tests/"
    (root / "app").mkdir(parents=True)
    (root / "app" / "views.py").write_text("x = 1\n")
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert classify(str(root / "app" / "views.py"), str(root)) == PRODUCTION
    # outside the configured root: the nearest project marker anchors the path
    assert classify(str(root / "app" / "views.py"), str(tmp_path / "elsewhere")) == PRODUCTION


def test_config_globs_extend_and_override_the_conventions(tmp_path):
    settings = parse_table(
        {"contexts": {"tests": ["qa/**"], "production": ["bin/*"], "scripts": ["ops"]}}, "pyproject.toml", str(tmp_path)
    )
    for rel, context in [
        ("qa/smoke.py", TESTS),
        ("bin/server.py", PRODUCTION),  # a carve-out beats the convention
        ("ops/rotate_keys.py", SCRIPTS),
        ("tests/test_x.py", TESTS),  # conventions still apply elsewhere
    ]:
        assert classify(str(tmp_path / rel), settings.root, settings.contexts) == context, rel


@pytest.mark.parametrize("table, key", [
    ({"contexts": {"unit": ["x/**"]}}, "contexts.unit"),
    ({"contexts": {"tests": {"qa": 1}}}, "contexts.tests"),
    ({"contexts": {"tests": [1]}}, "contexts.tests"),
    ({"contexts": ["tests"]}, "contexts"),
    ({"report-contexts": "everything"}, "report-contexts"),
    ({"report-contexts": ["production", "prod"]}, "report-contexts"),
    ({"report-contexts": 3}, "report-contexts"),
])
def test_bad_context_settings_name_the_key(table, key):
    with pytest.raises(ConfigError) as info:
        parse_table(table, "pyproject.toml", ".")
    assert info.value.key == key


def test_a_single_glob_may_be_a_string():
    settings = parse_table({"contexts": {"tests": "qa/**"}}, "pyproject.toml", ".")
    assert settings.contexts == ((TESTS, ("qa/**",)),)


def test_report_contexts_values():
    assert parse_table({"report-contexts": "all"}, "f", ".").report_contexts == CONTEXTS
    assert parse_table({"report-contexts": "default"}, "f", ".").report_contexts == ()
    assert parse_table({"report-contexts": ["tests", "production"]}, "f", ".").report_contexts == (PRODUCTION, TESTS)


def test_context_settings_change_the_cache_fingerprint():
    base = Settings()
    assert base.fingerprint() != base.with_overrides(report_contexts=CONTEXTS).fingerprint()
    assert base.fingerprint() != base.with_overrides(contexts=((TESTS, ("qa/**",)),)).fingerprint()


# --------------------------------------------------------------------------- rules
def test_every_builtin_rule_declares_its_contexts():
    for rule in registry.all_rules():
        assert isinstance(rule.contexts, frozenset) and rule.contexts, rule.code
        assert rule.contexts <= set(CONTEXTS), rule.code
        if rule.code[:4] != "FFT0":
            declared = any("contexts" in vars(k) for k in rule.__mro__ if k is not Rule)
            assert declared, f"{rule.code} relies on the base class default"


def test_the_base_default_reports_everywhere():
    assert Rule.contexts == frozenset(CONTEXTS)


def test_an_example_in_a_held_back_context_is_valid():
    from fftlint.rule import Valid
    from fftlint.rules.n_plus_one.query_in_loop import QueryInLoop

    check_example(QueryInLoop, Valid(N_PLUS_ONE, path="shop/tests/test_books.py"))
    check_example(QueryInLoop, Valid(N_PLUS_ONE, path="shop/migrations/0003_backfill.py"))


# --------------------------------------------------------------------------- runs
def _project(tmp_path, files):
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return str(tmp_path)


def _run(root, **overrides):
    settings = discover([root]).with_overrides(**overrides)
    config = api.make_config(settings)
    return {os.path.relpath(r.path, root).replace(os.sep, "/"): r for r in api.lint_paths([root], config, jobs=1)}


def test_rules_that_do_not_report_in_a_context_do_not_run_there(tmp_path):
    root = _project(tmp_path, {
        "pyproject.toml": "[tool.fftlint]\n",
        "shop/__init__.py": "",
        "shop/views.py": N_PLUS_ONE,
        "shop/tests/__init__.py": "",
        "shop/tests/test_views.py": N_PLUS_ONE,
        "shop/migrations/__init__.py": "",
        "shop/migrations/0003_backfill.py": N_PLUS_ONE,
    })
    results = _run(root)
    assert [d.code for d in results["shop/views.py"].diagnostics] == ["FFT201"]
    assert results["shop/views.py"].context == PRODUCTION and results["shop/views.py"].held_back == 0
    assert results["shop/views.py"].unanalysed == 0
    for rel, context in (("shop/tests/test_views.py", TESTS), ("shop/migrations/0003_backfill.py", MIGRATIONS)):
        assert results[rel].diagnostics == ()
        # not run at all (it would only have held its finding back): counted as a file
        assert (results[rel].context, results[rel].held_back) == (context, 0)
        assert results[rel].unanalysed > 0
    shown = _run(root, report_contexts=CONTEXTS)
    assert all([d.code for d in r.diagnostics] == ["FFT201"] for rel, r in shown.items() if rel.endswith(".py") and "__init__" not in rel)
    assert all(r.held_back == 0 and r.unanalysed == 0 for r in shown.values())
    only_tests = _run(root, report_contexts=(TESTS,))
    assert [rel for rel, r in only_tests.items() if r.diagnostics] == ["shop/tests/test_views.py"]


def test_engine_diagnostics_are_never_held_back(tmp_path):
    root = _project(tmp_path, {"tests/test_broken.py": "def f(:\n"})
    (result,) = _run(root).values()
    assert [d.code for d in result.diagnostics] == ["FFT001"]


def test_a_suppression_covering_a_held_back_finding_is_not_unused(tmp_path):
    root = _project(tmp_path, {
        "tests/test_views.py": N_PLUS_ONE.replace("pk=i)\n", "pk=i)  # noqa: FFT201\n"),
    })
    settings = discover([root])
    config = api.make_config(settings, extend_select=["FFT003"])
    (result,) = api.lint_paths([root], config, jobs=1)
    assert result.diagnostics == () and result.held_back == 0


def test_the_contexts_fixture_holds_back_exactly_its_held_annotations():
    """``fixtures/contexts``: ``# expect:`` is what the default run reports (checked with
    every fixture by test_fixtures_annotated.py), ``# held:`` what it holds back (its
    rules do not run in those files); with ``--contexts all`` both show."""
    import re

    base = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "contexts")
    base = os.path.normpath(base)
    marks = {"expect": set(), "held": set()}
    for dirpath, _dirs, files in os.walk(base):
        for name in files:
            if not name.endswith(".py"):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, base).replace(os.sep, "/")
            with open(path, encoding="utf-8") as fh:
                for lineno, line in enumerate(fh, 1):
                    m = re.search(r"#\s*(expect|held):\s*((?:FFT\d{3}\s*,?\s*)+)", line)
                    if m:
                        marks[m.group(1)].update((rel, lineno, c) for c in re.findall(r"FFT\d{3}", m.group(2)))
    assert marks["held"] and marks["expect"]

    def found(results):
        return {
            (os.path.relpath(r.path, base).replace(os.sep, "/"), d.span.line, d.code)
            for r in results for d in r.diagnostics
        }

    settings = discover([base])
    default = api.lint_paths([base], api.make_config(settings, select=["ALL"]), jobs=1)
    assert found(default) == marks["expect"]
    # the files with held findings are the ones no rule reporting there read
    held = {rel for rel, _line, _code in marks["held"]}
    assert held <= {os.path.relpath(r.path, base).replace(os.sep, "/") for r in default if r.unanalysed}
    assert not any(r.held_back for r in default)
    everything = api.lint_paths([base], api.make_config(settings.with_overrides(report_contexts=CONTEXTS), select=["ALL"]), jobs=1)
    assert found(everything) == marks["expect"] | marks["held"]
