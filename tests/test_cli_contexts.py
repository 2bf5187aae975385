"""``--contexts`` and the held-back count in every output format: findings the code
contexts hold back never disappear silently."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fftlint.cli import main
from fftlint.config.load import find_config

SLEEPY = "import time\n\nasync def poll():\n    time.sleep(1)\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    for rel in ("app/poll.py", "tests/test_poll.py", "tests/test_other.py", "scripts/poll_once.py"):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(SLEEPY, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[tool.fftlint]\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    find_config.cache_clear()
    yield tmp_path
    find_config.cache_clear()


def run(capsys, *args):
    code = main(["--no-cache", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_summary_says_what_was_held_back_and_how_to_see_it(project, capsys):
    code, out, _ = run(capsys, ".")
    assert code == 1
    lines = out.splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == ["app/poll.py"]
    assert lines[-1] == (
        "Found 1 problem (1 fixable with --fix). "
        "3 files in tests (2), scripts (1) not analysed: no selected rule reports there (`--contexts all` analyses them)."
    )


def test_contexts_all_shows_everything(project, capsys):
    code, out, _ = run(capsys, "--contexts", "all", ".")
    assert code == 1
    assert sorted(line.split(":")[0] for line in out.splitlines()[:-1]) == [
        "app/poll.py", "scripts/poll_once.py", "tests/test_other.py", "tests/test_poll.py",
    ]
    assert out.splitlines()[-1] == "Found 4 problems (4 fixable with --fix)."


def test_a_list_of_contexts_reports_exactly_there(project, capsys):
    code, out, _ = run(capsys, "--contexts", "tests", ".")
    assert sorted(line.split(":")[0] for line in out.splitlines()[:-1]) == ["tests/test_other.py", "tests/test_poll.py"]
    assert "2 files in production (1), scripts (1) not analysed" in out.splitlines()[-1]


def test_nothing_shown_still_tells_about_the_held_back(project, capsys):
    Path("app/poll.py").write_text("x = 1\n", encoding="utf-8")
    code, out, _ = run(capsys, ".")
    assert code == 0  # held-back findings do not fail the run
    assert out == "All checks passed! 3 files in tests (2), scripts (1) not analysed: no selected rule reports there (`--contexts all` analyses them).\n"


def test_the_config_key_shows_everything_too(project, capsys):
    Path("pyproject.toml").write_text('[tool.fftlint]\nreport-contexts = "all"\n', encoding="utf-8")
    code, out, _ = run(capsys, ".")
    assert out.splitlines()[-1] == "Found 4 problems (4 fixable with --fix)."
    code, out, _ = run(capsys, "--contexts", "default", ".")
    assert "3 files in tests (2), scripts (1) not analysed" in out.splitlines()[-1]


def test_config_globs_classify_files(project, capsys):
    Path("pyproject.toml").write_text('[tool.fftlint.contexts]\nproduction = ["scripts/*"]\n', encoding="utf-8")
    _, out, _ = run(capsys, ".")
    assert sorted(line.split(":")[0] for line in out.splitlines()[:-1]) == ["app/poll.py", "scripts/poll_once.py"]


@pytest.mark.parametrize("value", ["everything", "tests,prod", ""])
def test_a_bad_contexts_value_exits_2(project, capsys, value):
    code, out, err = run(capsys, "--contexts", value, ".")
    assert code == 2 and out == ""
    assert "--contexts" in err and "production, tests, migrations, scripts" in err


def test_a_bad_config_value_exits_2_naming_the_key(project, capsys):
    Path("pyproject.toml").write_text('[tool.fftlint.contexts]\nunit = ["qa/*"]\n', encoding="utf-8")
    code, _, err = run(capsys, ".")
    assert code == 2
    assert "contexts.unit" in err and "Traceback" not in err


def test_json_keeps_its_array_and_notes_the_count_on_stderr(project, capsys):
    code, out, err = run(capsys, "--format", "json", ".")
    assert [item["filename"] for item in json.loads(out)] == ["app/poll.py"]
    assert err == "fftlint: 3 files in tests (2), scripts (1) not analysed: no selected rule reports there (`--contexts all` analyses them).\n"


def test_sarif_carries_the_count_in_the_run_properties(project, capsys):
    run(capsys, "--format", "sarif", "-o", "out.sarif", ".")
    sarif_run = json.loads(Path("out.sarif").read_text(encoding="utf-8"))["runs"][0]
    assert len(sarif_run["results"]) == 1
    assert "heldBack" not in sarif_run["properties"]  # no rule ran where it does not report
    assert sarif_run["properties"]["unanalysedFiles"] == {
        "total": 3,
        "byContext": {"scripts": 1, "tests": 2},
        "show": "--contexts all",
    }
    rules = {r["id"]: r for r in sarif_run["tool"]["driver"]["rules"]}
    assert rules["FFT101"]["properties"]["contexts"] == ["production"]


def test_github_adds_one_notice(project, capsys):
    _, out, _ = run(capsys, "--format", "github", ".")
    lines = out.splitlines()
    assert lines[0].startswith("::warning file=app/poll.py,")
    assert lines[-1] == "::notice title=fftlint::3 files in tests (2), scripts (1) not analysed: no selected rule reports there (`--contexts all` analyses them)."


def test_fix_leaves_held_back_files_alone(project, capsys):
    run(capsys, "--fix", ".")
    assert "asyncio.sleep" in Path("app/poll.py").read_text(encoding="utf-8")
    assert Path("tests/test_poll.py").read_text(encoding="utf-8") == SLEEPY


def test_stdin_is_classified_by_its_filename(project, capsys, monkeypatch):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(SLEEPY.encode())))
    code, out, _ = run(capsys, "--stdin-filename", "tests/test_poll.py", "-")
    assert code == 0 and "1 file in tests (1) not analysed" in out


def test_explain_names_the_contexts(capsys):
    assert main(["explain", "FFT201"]) == 0
    out = capsys.readouterr().out
    assert "Reports in: production (not run in tests, migrations, scripts; `--contexts all` runs it there)" in out


def test_the_cache_keeps_both_answers_apart(project, capsys):
    args = ["--cache-dir", str(project / ".cache"), "."]
    assert "3 files in tests (2), scripts (1) not analysed" in (main(args), capsys.readouterr().out)[1]
    main(["--contexts", "all", *args])
    assert capsys.readouterr().out.splitlines()[-1] == "Found 4 problems (4 fixable with --fix)."
    main(args)
    assert "3 files in tests (2), scripts (1) not analysed" in capsys.readouterr().out
