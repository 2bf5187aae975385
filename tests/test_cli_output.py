"""Output contracts of ``fftlint check``: text, JSON, GitHub annotations, files, colour, exit codes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fftlint.cli import main
from fftlint.report.github import render as render_github
from fftlint.report.context import ReportContext
from fftlint.report.text import PROBLEM_MATCHER
from fftlint.types import Diagnostic, FileResult, Span

SLEEPY = "import time\n\nasync def poll():\n    time.sleep(1)\n"
# Non-ASCII and an astral character before the finding on its line.
WIDE = 'import time\n\nasync def g():\n    s = "h\u00e9llo \U0001f600"; time.sleep(2)\n'
JSON_KEYS = ["code", "name", "message", "filename", "line", "column", "end_line", "end_column", "severity", "fix"]


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "poll.py").write_text(SLEEPY, encoding="utf-8")
    (tmp_path / "pkg" / "wide.py").write_text(WIDE, encoding="utf-8")
    (tmp_path / "clean.py").write_text("x = 1\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path


def run(capsys, *args):
    code = main(["--isolated", *args])
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------- text
def test_text_lines_are_path_line_col_code_message(project, capsys):
    code, out, _ = run(capsys, "pkg")
    assert code == 1
    lines = out.splitlines()
    wide_line = WIDE.splitlines()[3]
    col = wide_line.index("time.sleep") + 1  # 1-based, in characters (code points)
    assert lines[0] == "pkg/poll.py:4:5: FFT101 `time.sleep` blocks the event loop inside `async def poll`"
    assert lines[1] == f"pkg/wide.py:4:{col}: FFT101 `time.sleep` blocks the event loop inside `async def g`"
    assert len(wide_line.encode("utf-8")[: wide_line.encode("utf-8").index(b"time")]) + 1 != col
    for line in lines[:2]:
        m = re.match(PROBLEM_MATCHER, line)
        assert m and m.group(4) == "FFT101"
    assert lines[-1] == "Found 2 problems (1 fixable with --fix)."
    assert "\x1b[" not in out


def test_text_keeps_one_line_per_finding():
    from fftlint.report.text import render as render_text

    diag = Diagnostic("FFT401", "n", "first line\nsecond line", "a.py", Span(2, 3, 2, 9))
    out = render_text([FileResult("a.py", (diag,))], ReportContext())
    assert out.splitlines()[0] == "a.py:2:3: FFT401 first line second line"
    assert re.match(PROBLEM_MATCHER, out.splitlines()[0]).group(5) == "first line second line"


def test_text_paths_are_relative_to_the_working_directory(project, capsys, monkeypatch):
    code, out, _ = run(capsys, str(project / "pkg" / "poll.py"))
    assert code == 1
    assert out.startswith("pkg/poll.py:4:5: FFT101 ")
    monkeypatch.chdir(project / "pkg")
    _, out, _ = run(capsys, "poll.py")
    assert out.startswith("poll.py:4:5: ")


def test_clean_run(project, capsys):
    code, out, _ = run(capsys, "clean.py")
    assert (code, out) == (0, "All checks passed!\n")


def test_statistics_count_per_rule(project, capsys):
    code, out, _ = run(capsys, "--statistics", "pkg")
    assert code == 1
    assert re.search(r"^\s+2\s+FFT101\s+blocking-sleep-in-async$", out, re.M), out


def test_show_source_points_at_the_finding(project, capsys):
    _, out, _ = run(capsys, "--show-source", "pkg/wide.py")
    lines = out.splitlines()
    i = next(i for i, line in enumerate(lines) if line.startswith("pkg/wide.py:4:"))
    src, carets = lines[i + 1], lines[i + 2]
    assert src.endswith(WIDE.splitlines()[3])
    prefix = len(src) - len(WIDE.splitlines()[3])
    start = carets.index("^") - prefix
    assert WIDE.splitlines()[3][start:].startswith("time.sleep(2)")
    assert carets.count("^") == len("time.sleep(2)")


def test_output_file(project, capsys):
    code, out, _ = run(capsys, "--output-file", "reports/fftlint.txt", "pkg")
    assert code == 1 and out == ""
    text = Path("reports/fftlint.txt").read_text(encoding="utf-8")
    assert text.startswith("pkg/poll.py:4:5: FFT101 ") and "\x1b[" not in text
    code, out, _ = run(capsys, "--format", "json", "-o", "out.json", "pkg")
    assert code == 1 and out == ""
    assert len(json.loads(Path("out.json").read_text(encoding="utf-8"))) == 2


# --------------------------------------------------------------------------- colour
def _run_on_tty(args, env):
    pty = pytest.importorskip("pty", reason="pseudo-terminals are POSIX-only")
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "fftlint", "--isolated", "--jobs", "1", *args], stdout=slave, stderr=subprocess.PIPE, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO once the child has closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(master)
    return proc.returncode, b"".join(chunks).decode("utf-8")


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX-only")
def test_colour_only_on_a_tty_and_never_with_no_color(project):
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    code, out = _run_on_tty(["pkg/poll.py"], env)
    assert code == 1 and "\x1b[" in out
    assert re.sub(r"\x1b\[[0-9;]*m", "", out).startswith("pkg/poll.py:4:5: FFT101 ")
    code, out = _run_on_tty(["pkg/poll.py"], dict(env, NO_COLOR="1"))
    assert code == 1 and "\x1b[" not in out and "pkg/poll.py:4:5: FFT101 " in out
    piped = subprocess.run([sys.executable, "-m", "fftlint", "--isolated", "--jobs", "1", "pkg/poll.py"], capture_output=True, text=True, env=env)
    assert piped.returncode == 1 and "\x1b[" not in piped.stdout and piped.stdout.startswith("pkg/poll.py:4:5:")


# --------------------------------------------------------------------------- json
def test_json_keys_are_stable(project, capsys):
    code, out, _ = run(capsys, "--format", "json", "pkg")
    assert code == 1
    items = json.loads(out)
    assert [list(item)[: len(JSON_KEYS)] for item in items] == [JSON_KEYS, JSON_KEYS]
    poll, wide = items
    assert poll["filename"] == "pkg/poll.py"
    assert (poll["line"], poll["column"], poll["end_line"], poll["end_column"]) == (4, 5, 4, 18)
    assert poll["severity"] == "warning" and poll["code"] == "FFT101" and poll["name"] == "blocking-sleep-in-async"
    assert wide["column"] == WIDE.splitlines()[3].index("time.sleep") + 1
    fix = poll["fix"]
    assert fix["applicability"] == "safe" and fix["title"]
    text = SLEEPY
    for edit in fix["edits"]:
        # offsets and line/column describe the same range
        starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
        assert starts[edit["line"] - 1] + edit["column"] - 1 == edit["start"]
        assert starts[edit["end_line"] - 1] + edit["end_column"] - 1 == edit["end"]
    assert "await asyncio.sleep(1)" in [e["content"] for e in fix["edits"]]


def test_json_clean_is_an_empty_array(project, capsys):
    code, out, _ = run(capsys, "--format", "json", "clean.py")
    assert (code, json.loads(out)) == (0, [])


# --------------------------------------------------------------------------- github
def _parse_command(line):
    m = re.match(r"^::(\w+) ([^:]*)::(.*)$", line)
    assert m, line
    props = dict(kv.split("=", 1) for kv in m.group(2).split(","))
    return m.group(1), props, m.group(3)


def _unescape(value):
    return value.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def test_github_annotations(project, capsys):
    code, out, _ = run(capsys, "--format", "github", "pkg")
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith("::warning file=pkg/poll.py,line=4,col=5,")
    kind, props, message = _parse_command(first)
    assert (kind, props["title"], props["endLine"], props["endColumn"]) == ("warning", "FFT101", "4", "18")
    assert message == "`time.sleep` blocks the event loop inside `async def poll`"


def test_github_escaping():
    path = "we,ird:dir/100%.py"
    message = "50% slower\r\nsecond line: a,b"
    diag = Diagnostic("FFT101", "n", message, path, Span(3, 7, 3, 9), severity="error")
    note = Diagnostic("FFT003", "n", "x", "a.py", Span(1, 1, 1, 2), severity="note")
    out = render_github([FileResult(path, (diag,)), FileResult("a.py", (note,))], ReportContext())
    first, second = out.splitlines()
    assert first == (
        "::error file=we%2Cird%3Adir/100%25.py,line=3,col=7,endLine=3,endColumn=9,title=FFT101"
        "::50%25 slower%0D%0Asecond line: a,b"
    )
    kind, props, body = _parse_command(first)
    assert _unescape(props["file"]) == path and _unescape(body) == message
    assert second.startswith("::notice file=a.py,")


# --------------------------------------------------------------------------- exit codes
def test_exit_codes(project, capsys):
    assert run(capsys, "clean.py")[0] == 0
    assert run(capsys, "pkg")[0] == 1
    assert run(capsys, "--exit-zero", "pkg")[0] == 0
    code, _, err = run(capsys, "--select", "NOPE123", "pkg")
    assert code == 2 and "NOPE123" in err
    assert run(capsys, "--exit-zero", "--select", "NOPE123", "pkg")[0] == 2
    assert run(capsys, "--exit-zero", "missing_dir")[0] == 2
    assert run(capsys, "--exit-zero", "--format", "nope", "pkg")[0] == 2


def test_a_crashing_rule_exits_2_and_marks_sarif_unsuccessful(project, capsys, monkeypatch):
    from fftlint.registry import lookup

    rule = lookup("FFT101")

    def boom(self, node):
        raise RuntimeError("boom")

    monkeypatch.setattr(rule, "visit_Call", boom)
    args = ["--no-cache", "--jobs", "1", "--select", "FFT101", "pkg/poll.py"]
    code, out, _ = run(capsys, *args)
    assert code == 2 and "FFT002" in out
    assert run(capsys, "--exit-zero", *args)[0] == 2
    code, _, _ = run(capsys, "--exit-zero", "--format", "sarif", "-o", "crash.sarif", *args)
    assert code == 2
    log = json.loads(Path("crash.sarif").read_text(encoding="utf-8"))
    assert log["runs"][0]["invocations"][0]["executionSuccessful"] is False
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["FFT002"]
