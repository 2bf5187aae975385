"""The rough edges a new user hits (issue 13, item 6): wrong config types, empty runs,
files CPython cannot compile, error positions, help, `rules`, -q, --verify-regex."""

import json
import os

import pytest

from fftlint import api
from fftlint.analysis.regex.verify import Verification
from fftlint.cli import main

ASYNC_SLEEP = "import time\n\nasync def f():\n    time.sleep(1)\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text(ASYNC_SLEEP)
    return tmp_path


@pytest.mark.parametrize(
    "table, key",
    [
        ('select = "FFT4"', "select"),
        ('select = "FFT4,FFT1"', "select"),
        ('ignore = "FFT101"', "ignore"),
        ('exclude = "build"', "exclude"),
        ('per-file-ignores = { "tests/*" = "FFT1" }', "per-file-ignores.tests/*"),
        ('target-version = ["py39"]', "target-version"),
        ("target-version = 39", "target-version"),
        ('force-exclude = "yes"', "force-exclude"),
        ('cache-dir = 1', "cache-dir"),
        ('max-file-size = "lots"', "max-file-size"),
        ("max-file-size = -1", "max-file-size"),
        ("max-file-size = true", "max-file-size"),
        ('skip-generated = "no"', "skip-generated"),
        ("max_file_size = 10", "max_file_size"),
        ('[tool.fftlint.async-io]\nblocking-calls = "mylib.call"', "async-io.blocking-calls"),
    ],
)
def test_wrong_config_types_are_errors_naming_the_key(project, capsys, table, key):
    (project / "pyproject.toml").write_text(f"[tool.fftlint]\n{table}\n")
    assert main(["a.py"]) == 2
    err = capsys.readouterr().err
    assert f": {key}: " in err, err
    assert "Traceback" not in err and "internal error" not in err


def test_wrong_types_in_yaml_config_too(project, capsys):
    (project / ".fftlint.yaml").write_text("select: FFT4\n")
    assert main(["a.py"]) == 2
    assert ": select: expected a list of strings" in capsys.readouterr().err


def test_invalid_toml_names_the_line(project, capsys):
    (project / "pyproject.toml").write_text('[tool.fftlint]\nselect = ["FFT4"\nignore = []\n')
    assert main(["a.py"]) == 2
    err = capsys.readouterr().err
    assert "invalid TOML (line 3, column 1)" in err, err
    (project / "pyproject.toml").write_text('[tool.fftlint]\nselect = ["FFT4"]\nname = "unterminated')
    assert main(["a.py"]) == 2
    err = capsys.readouterr().err
    assert "invalid TOML (line 3" in err, err


def test_a_decode_error_names_the_byte_offset(project, capsys):
    (project / "latin.py").write_bytes(b"x = 'caf\xe9'\n")  # in the lines tokenize reads for a cookie
    (project / "later.py").write_bytes(b"# -*- coding: utf-8 -*-\n\n\nx = 'caf\xe9'\n")
    main(["--format", "json", "latin.py", "later.py"])
    findings = json.loads(capsys.readouterr().out)
    assert [f["code"] for f in findings] == ["FFT004", "FFT004"]
    assert "invalid byte b'\\xe9' at offset 8" in findings[0]["message"], findings[0]["message"]
    assert "at offset 34 (line 4)" in findings[1]["message"], findings[1]["message"]


def test_a_run_that_lints_no_file_warns_on_stderr(project, capsys):
    (project / "empty").mkdir()
    assert main(["empty"]) == 0
    captured = capsys.readouterr()
    assert "warning: no Python files to lint" in captured.err and "empty" in captured.err
    assert main(["--shard", "2/2", "a.py"]) in (0, 1)
    err = capsys.readouterr().err
    if "no Python files" in err:  # a.py falls in shard 1
        assert "shard 2/2" in err
    assert main(["-q", "empty"]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("prefilter", [[], ["--no-prefilter"]])
def test_a_file_cpython_cannot_compile_is_a_syntax_error(project, capsys, prefilter):
    (project / "deep.py").write_text("x = " + "(" * 1000 + "1" + ")" * 1000 + "\n")
    (project / "deep_async.py").write_text(ASYNC_SLEEP + "    return " + "(" * 1000 + "1" + ")" * 1000 + "\n")
    assert main([*prefilter, "--no-cache", "--format", "json", "deep.py", "deep_async.py"]) == 1
    findings = json.loads(capsys.readouterr().out)
    assert {(f["filename"].split(os.sep)[-1], f["code"]) for f in findings} == {("deep.py", "FFT001"), ("deep_async.py", "FFT001")}
    assert all("too many nested parentheses" in f["message"] for f in findings)


def test_newer_syntax_than_the_interpreter_is_still_left_to_libcst():
    """Only CPython's *limits* are authoritative: a grammar the running interpreter does
    not know yet (``match`` on 3.9, ``type X = ...`` before 3.12) is left to LibCST."""
    from fftlint.engine.run import _limit_diagnostic

    err = SyntaxError("invalid syntax")
    assert _limit_diagnostic(err, "m.py") is None
    assert _limit_diagnostic(SyntaxError("too many statically nested blocks"), "m.py") is not None


def test_help_lists_the_subcommands_with_their_usage(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "fftlint rules [--format [text|json]]" in out
    assert "fftlint explain CODE" in out
    assert main(["rules", "--help"]) == 0
    assert "Usage: fftlint rules" in capsys.readouterr().out
    assert main(["explain", "-h"]) == 0
    assert "Usage: fftlint explain [OPTIONS] CODE" in capsys.readouterr().out


def test_rules_lists_the_engine_codes_marked(capsys):
    assert main(["rules"]) == 0
    lines = capsys.readouterr().out.splitlines()
    engine = [line for line in lines if line.startswith("FFT0")]
    assert [line.split()[0] for line in engine] == ["FFT001", "FFT002", "FFT003", "FFT004", "FFT005"]
    assert all("engine" in line for line in engine)
    assert "always" in engine[0] and "opt-in" in engine[2]
    assert main(["rules", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["code"]: r["engine"] for r in rows}["FFT001"] is True
    assert {r["code"]: r["engine"] for r in rows}["FFT101"] is False


def test_quiet_prints_the_findings_only(project, capsys):
    assert main(["-q", "--no-cache", "a.py"]) == 1
    out = capsys.readouterr().out
    assert out.splitlines() == ["a.py:4:5: FFT101 `time.sleep` blocks the event loop inside `async def f`"]
    (project / "a.py").write_text("x = 1\n")
    assert main(["--quiet", "--no-cache", "a.py"]) == 0
    assert capsys.readouterr().out == ""


def _fake_check(degree):
    return Verification(True, "polynomial", ((100, 0.01), (200, 0.04)), degree)


def test_verify_regex_corrects_the_degree_the_message_states(monkeypatch):
    import fftlint.analysis.regex as regex

    config = api.make_config(api.Settings(), select=["FFT402"])
    text = "import re\nre.search(r'\\d+\\.?\\d+x', s)\n"
    [diag] = api.lint_text(text, "m.py", config).diagnostics
    assert "O(n^3)" in diag.message
    monkeypatch.setattr(regex, "verify_properties", lambda props, timeout_s=2.0: _fake_check(2.04))
    [[checked]] = [r.diagnostics for r in api.verify_regex_findings([api.FileResult("m.py", (diag,))])]
    head, _, note = checked.message.partition(" [")
    assert "O(n^2)" in head and "O(n^3)" not in head  # the measurement wins
    assert note.startswith("confirmed: O(n^2) growth measured (n^2.0)") and "static estimate was O(n^3)" in note
    assert checked.properties["verified"]["degree"] == 2.04
    monkeypatch.setattr(regex, "verify_properties", lambda props, timeout_s=2.0: _fake_check(2.9))
    [[agreed]] = [r.diagnostics for r in api.verify_regex_findings([api.FileResult("m.py", (diag,))])]
    assert agreed.message == diag.message + " [confirmed: O(n^3) growth measured (n^2.9)]"
