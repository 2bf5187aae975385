"""Baselines: record today's findings, report only new ones, and let the baseline shrink."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fftlint.baseline import Baseline, BaselineError
from fftlint.cli import main

JOBS = """\
import re
import time


def helper(x):
    return x + 1


async def poll(rows):
    time.sleep(1)
    for row in rows:
        re.compile(row)


class Worker:
    async def run(self):
        time.sleep(1)
        time.sleep(1)
"""

SYNC = """\
import asyncio
import time


async def handler():
    time.sleep(5)
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "app" / "jobs.py").write_text(JOBS, encoding="utf-8")
    (tmp_path / "app" / "sync.py").write_text(SYNC, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    return tmp_path


def run(capsys, *args):
    code = main(["--isolated", "--no-cache", *args])
    out, err = capsys.readouterr()
    return code, out, err


def write(capsys, target="fftlint-baseline.json"):
    code, out, err = run(capsys, "--write-baseline", target, "app")
    assert code == 0, err
    return err


def edit(name, old, new):
    path = Path("app") / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_fresh_baseline_hides_every_finding(project, capsys):
    code, out, _ = run(capsys, "app")
    assert code == 1
    total = len([x for x in out.splitlines() if ": FFT" in x])
    err = write(capsys)
    assert f"wrote {total} findings" in err
    code, out, err = run(capsys, "--baseline", "fftlint-baseline.json", "app")
    assert code == 0
    assert out == f"All checks passed! ({total} known problems in the baseline)\n"
    assert err == ""


def test_the_format_is_sorted_one_entry_a_line_with_counts(project, capsys):
    write(capsys)
    text = Path("fftlint-baseline.json").read_text(encoding="utf-8")
    data = json.loads(text)
    assert data["fftlint-baseline"] == 1 and data["statement-hash"] == 1
    entries = data["entries"]
    keys = [(e["path"], e["code"], e["scope"], e["hash"]) for e in entries]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    entry_lines = [line for line in text.splitlines() if line.startswith("    {")]
    assert len(entry_lines) == len(entries)  # one line each: diffs name the findings
    (twice,) = [e for e in entries if e["scope"] == "app.jobs.Worker.run"]
    assert twice["count"] == 2 and twice["code"] == "FFT101" and twice["path"] == "app/jobs.py"
    assert "time.sleep" in twice["message"]
    assert not any(str(project) in line for line in text.splitlines())  # relative paths
    # writing again gives the same bytes
    write(capsys)
    assert Path("fftlint-baseline.json").read_text(encoding="utf-8") == text


def test_lines_inserted_above_and_an_unrelated_rename_keep_the_baseline(project, capsys):
    write(capsys)
    edit("jobs.py", "def helper(x):\n    return x + 1\n", "def renamed(x):\n    # a comment\n\n    y = x\n    return y + 1\n\n\nLIMIT = 3\n")
    edit("sync.py", "import asyncio\n", "import asyncio\nimport os\n\n\n# moved down\n")
    code, out, err = run(capsys, "--baseline", "fftlint-baseline.json", "--strict-baseline", "app")
    assert code == 0, out + err
    assert out.startswith("All checks passed!")
    assert err == ""


def test_fixing_one_finding_leaves_a_stale_entry(project, capsys):
    write(capsys)
    edit("sync.py", "    time.sleep(5)\n", "    await asyncio.sleep(5)\n")
    code, out, err = run(capsys, "--baseline", "fftlint-baseline.json", "app")
    assert code == 0
    assert "note: 1 baseline entry" in err and "app/sync.py: FFT101 in app.sync.handler" in err
    assert "--write-baseline fftlint-baseline.json" in err
    code, out, err = run(capsys, "--baseline", "fftlint-baseline.json", "--strict-baseline", "app")
    assert code == 1
    assert "error: 1 baseline entry" in err
    # rewriting shrinks it; then the strict run passes
    before = len(json.loads(Path("fftlint-baseline.json").read_text())["entries"])
    write(capsys)
    assert len(json.loads(Path("fftlint-baseline.json").read_text())["entries"]) == before - 1
    assert run(capsys, "--baseline", "fftlint-baseline.json", "--strict-baseline", "app")[0] == 0


def test_a_new_finding_is_reported_and_fails(project, capsys):
    write(capsys)
    edit("sync.py", "    time.sleep(5)\n", "    time.sleep(5)\n    open('x').read()\n")
    code, out, err = run(capsys, "--baseline", "fftlint-baseline.json", "app")
    assert code == 1
    lines = [x for x in out.splitlines() if ": FFT" in x]
    assert lines and all(x.startswith("app/sync.py:7:5: FFT102 ") for x in lines)
    assert "more in the baseline." in out.splitlines()[-1]


def test_a_repeat_beyond_the_count_is_new(project, capsys):
    write(capsys)
    edit("jobs.py", "        time.sleep(1)\n        time.sleep(1)\n", "        time.sleep(1)\n        time.sleep(1)\n        time.sleep(1)\n")
    code, out, _ = run(capsys, "--baseline", "fftlint-baseline.json", "app")
    assert code == 1
    (line,) = [x for x in out.splitlines() if ": FFT" in x]
    assert line.startswith("app/jobs.py:19:")  # the third one, the first two are known


def test_changing_the_flagged_statement_makes_it_new(project, capsys):
    write(capsys)
    edit("sync.py", "time.sleep(5)", "time.sleep(6)")
    code, out, err = run(capsys, "--baseline", "fftlint-baseline.json", "app")
    assert code == 1
    assert "app/sync.py:6:5: FFT101" in out
    assert "no longer matches" in err


def test_baseline_paths_are_relative_to_the_baseline_file(project, capsys, monkeypatch):
    Path("ci").mkdir()
    write(capsys, "ci/base.json")
    entries = json.loads(Path("ci/base.json").read_text())["entries"]
    assert all(e["path"].startswith("../app/") for e in entries)
    monkeypatch.chdir(project / "app")
    code = main(["--isolated", "--no-cache", "--baseline", "../ci/base.json", "."])
    assert code == 0


def test_config_key_and_command_line(project, capsys):
    write(capsys, "known.json")
    Path("pyproject.toml").write_text('[tool.fftlint]\nbaseline = "known.json"\n', encoding="utf-8")
    code = main(["--no-cache", "app"])
    out, _ = capsys.readouterr()
    assert code == 0 and "in the baseline" in out
    Path("pyproject.toml").write_text('[tool.fftlint]\nbaseline = 3\n', encoding="utf-8")
    assert main(["--no-cache", "app"]) == 2
    assert "pyproject.toml: baseline: expected the path of a baseline file" in capsys.readouterr().err
    Path("pyproject.toml").write_text('[tool.fftlint]\nbaseline = "missing.json"\n', encoding="utf-8")
    assert main(["--no-cache", "app"]) == 2
    err = capsys.readouterr().err
    assert "baseline" in err and "missing.json: baseline file not found" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "content, problem",
    [
        ("{not json", "invalid JSON"),
        ('{"entries": []}', "not a fftlint baseline"),
        ('{"fftlint-baseline": 1, "statement-hash": 1, "entries": [{"path": "a.py"}]}', "entries[0]"),
        ('{"fftlint-baseline": 1, "statement-hash": 99, "entries": []}', "write it again"),
    ],
)
def test_a_bad_baseline_file_is_a_clear_error(project, capsys, content, problem):
    Path("bad.json").write_text(content, encoding="utf-8")
    code, _, err = run(capsys, "--baseline", "bad.json", "app")
    assert code == 2
    assert problem in err and "Traceback" not in err
    with pytest.raises(BaselineError):
        Baseline.load("bad.json")


def test_engine_errors_are_never_baselined(project, capsys):
    Path("app/broken.py").write_text("def f(:\n", encoding="utf-8")
    code, _, err = run(capsys, "--write-baseline", "b.json", "app")
    assert code == 0
    assert "not baselined: " in err and "FFT001" in err
    assert not any(e["code"] == "FFT001" for e in json.loads(Path("b.json").read_text())["entries"])
    code, out, _ = run(capsys, "--baseline", "b.json", "app")
    assert code == 1 and "FFT001" in out


def test_fix_leaves_baselined_findings_alone(project, capsys):
    write(capsys)
    edit("sync.py", "    time.sleep(5)\n", "    time.sleep(5)\n    time.sleep(7)\n")
    code, out, _ = run(capsys, "--baseline", "fftlint-baseline.json", "--fix", "app")
    text = Path("app/sync.py").read_text(encoding="utf-8")
    assert "    time.sleep(5)\n" in text  # known: left as it is
    assert "await asyncio.sleep(7)" in text  # new: fixed
    assert code == 0, out


def test_json_and_sarif_leave_baselined_findings_out(project, capsys):
    write(capsys)
    code, out, _ = run(capsys, "--baseline", "fftlint-baseline.json", "--format", "json", "app")
    assert code == 0 and json.loads(out) == []
    code, out, _ = run(capsys, "--baseline", "fftlint-baseline.json", "--format", "sarif", "app")
    assert code == 0 and json.loads(out)["runs"][0]["results"] == []
