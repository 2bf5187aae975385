"""The FFT3xx YAML catalogs are well-formed, and the rules' pre-filters cover them."""

from __future__ import annotations

import fnmatch

import pytest

from fftlint.config.options import build_options
from fftlint.config.settings import ConfigError
from fftlint.rules.leaks._common import LeaksOptions, load_catalog
from fftlint.rules.leaks.cache_on_method import CacheOnMethod
from fftlint.rules.leaks.dangling_task import DanglingTask
from fftlint.rules.leaks.listener_per_call import ListenerPerCall

LISTENER_KEYS = {
    "id", "what", "consequence", "calls", "methods", "receivers", "receiver_methods", "qt",
    "argument", "argument_keyword", "dedup", "weak_keyword", "dedup_keywords", "unregister",
    "global_factories", "unique_markers", "per_resource_cleanup", "returned_is_owned",
    "object_callback_argument",
}


def _strings(value):
    return isinstance(value, list) and all(isinstance(v, str) and v for v in value)


@pytest.mark.parametrize("entry", load_catalog("listeners.yaml")["listeners"], ids=lambda e: e.get("id", "?"))
def test_listener_entries_are_well_formed(entry):
    assert set(entry) <= LISTENER_KEYS, set(entry) - LISTENER_KEYS
    assert isinstance(entry["what"], str) and isinstance(entry["consequence"], str)
    assert entry["dedup"] in ("argument", "none")
    kinds = [k for k in ("calls", "methods", "receivers", "qt") if k in entry]
    assert len(kinds) == 1, f"exactly one way to match, got {kinds}"
    for key in ("calls", "methods", "receivers", "receiver_methods", "qt", "unregister", "dedup_keywords", "global_factories"):
        if key in entry:
            # a bare `on` / `off` / `yes` in YAML 1.1 is a boolean, not a method name
            assert _strings(entry[key]) or entry[key] == [], f"{entry['id']}.{key} must be a list of strings: {entry[key]!r}"
    if "receivers" in entry or "qt" in entry:
        assert _strings(entry["receiver_methods"])


def test_listener_prefilter_covers_every_entry():
    """Each way a registration can be spelled leaves one of the `requires` strings in the text."""
    requires = set(ListenerPerCall.requires)
    for entry in load_catalog("listeners.yaml")["listeners"]:
        for name in entry.get("calls", ()):
            assert name.rsplit(".", 1)[-1] in requires
        for name in entry.get("methods", ()):
            assert name in requires
        for glob in entry.get("receivers", ()):
            assert glob.split(".", 1)[0] in requires
        for module in entry.get("qt", ()):
            assert module in requires


def test_task_and_cache_catalogs():
    tasks = load_catalog("tasks.yaml")
    assert all(_strings(tasks[k]) for k in ("spawners", "loops", "loop_names"))
    assert all(s.rsplit(".", 1)[-1] in ("create_task", "ensure_future") for s in tasks["spawners"])
    assert all(name.endswith("()") for name in tasks["loops"])
    caches = load_catalog("caches.yaml")["method_caches"]
    assert all(v is None or (isinstance(v, int) and v > 0) for v in caches.values())
    # `requires = ("cache",)` must occur in every decorator name the rule knows
    assert all(any(r in name.rsplit(".", 1)[-1] for r in CacheOnMethod.requires) for name in caches)
    assert all(any(r in s for r in DanglingTask.requires) for s in tasks["spawners"])


def test_receiver_globs_match_canonical_names():
    entries = {e["id"]: e for e in load_catalog("listeners.yaml")["listeners"]}
    django = entries["django-signal"]["receivers"]
    assert any(fnmatch.fnmatchcase("django.db.models.signals.post_save", g) for g in django)
    assert not any(fnmatch.fnmatchcase("django.db.connection", g) for g in django)


def test_setup_functions_option_is_validated():
    opts = build_options([ListenerPerCall], {"leaks": {"setup-functions": ["prepare_*", "boot"]}}, "pyproject.toml")
    assert opts[ListenerPerCall] == LeaksOptions(setup_functions=("prepare_*", "boot"))
    with pytest.raises(ConfigError, match="expected a list"):
        build_options([ListenerPerCall], {"leaks": {"setup-functions": "prepare_*"}}, "pyproject.toml")
    with pytest.raises(ConfigError, match="unknown option"):
        build_options([ListenerPerCall], {"leaks": {"extra": []}}, "pyproject.toml")


def test_resource_catalog_and_prefilter():
    from fftlint.rules.leaks.unclosed_resource import UnclosedResourcePerCall

    resources = load_catalog("resources.yaml")["resources"]
    assert resources
    for name, entry in resources.items():
        assert "." in name and isinstance(entry["what"], str) and _strings(entry["close"]), name
        # the constructor's own name appears in any file that calls it
        assert name.rsplit(".", 1)[-1] in UnclosedResourcePerCall.requires


def test_file_and_timer_stage_one_patterns_cover_their_catalogs():
    """Every opener / timer of the catalogs, called or imported under an alias, passes the
    rules' stage-1 patterns; prose that only mentions the words does not."""
    from fftlint.engine.prefilter import applicable
    from fftlint.rules.leaks.timer_without_cancel import TimerWithoutCancel
    from fftlint.rules.leaks.unclosed_file import UnclosedFile

    for name in load_catalog("resources.yaml")["files"]:
        last = name.rsplit(".", 1)[-1].rstrip("()")
        assert applicable([UnclosedFile], f"x = {last}(p)\n"), name
        assert applicable([UnclosedFile], f"from m import {last} as o\n"), name
    for name in load_catalog("timers.yaml")["thread_timers"] + load_catalog("timers.yaml")["threads"]:
        last = name.rsplit(".", 1)[-1]
        assert applicable([TimerWithoutCancel], f"t = {last} (1, f)\n")
        assert applicable([TimerWithoutCancel], f"from threading import {last} as T\n")
    assert not applicable([UnclosedFile], "# the file is opened elsewhere; is_open = True\n")


def test_a_helper_named_for_silencing_warnings_is_set_up_code():
    from fftlint.rules.leaks.listener_per_call import setup_by_name

    # its job is to add the filters (like `add_file_handler`): the caller owns the call
    for name in ("_suppress_third_party_warnings", "ignore_pandas_warnings", "silence_warnings", "filter_warnings", "run_server", "start_app", "migrate"):
        assert setup_by_name(name, ()), name
    # a verb alone, or the noun alone, is not enough
    for name in ("suppress_errors", "ignore_rows", "show_warnings", "export_report", "run_query", "start_job", "_get_mcp_server_permission"):
        assert not setup_by_name(name, ()), name


def test_one_off_database_commands_and_entry_points_are_set_up_code():
    from fftlint.rules.leaks.listener_per_call import setup_by_name

    # `airflow db init` -> initdb(): one word, a set-up verb and the database it makes
    for name in ("initdb", "resetdb", "_syncdb", "createdb", "upgradedb", "migrate_database", "setupdb", "entrypoint", "cli_entry_point"):
        assert setup_by_name(name, ()), name
    # database work that runs per call, and words that only contain the letters
    for name in ("getdb", "querydb", "update_db_row", "dbsync", "readdb", "entry", "add_entry", "point", "sync_rows"):
        assert not setup_by_name(name, ()), name
