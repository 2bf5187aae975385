"""The command line: exit codes, bad input, stdin, subcommands."""

import io
import re
import sys

import libcst as cst
import pytest

from fftlint import registry
from fftlint.cli import main
from fftlint.engine.run import lint_source
from fftlint.engine.source import SourceError, read
from fftlint.rule import Rule

BAD = "import time\n\nasync def f():\n    time.sleep(1)\n"
LINE = re.compile(r"^(.+?):(\d+):(\d+): ([A-Z]+[0-9]+) (.*)$")


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_exit_codes_clean_findings_exit_zero(project, capsys):
    (project / "ok.py").write_text("import asyncio\n\nasync def f():\n    await asyncio.sleep(1)\n")
    assert main(["ok.py"]) == 0
    assert "All checks passed!" in capsys.readouterr().out
    (project / "bad.py").write_text(BAD)
    assert main(["."]) == 1
    out = capsys.readouterr().out.splitlines()
    assert LINE.match(out[0]).groups() == ("bad.py", "4", "5", "FFT101", out[0].split(" FFT101 ")[1])
    assert out[-1] == "Found 1 problem (1 fixable with --fix)."
    assert main(["--exit-zero", "."]) == 0


def test_broken_files_are_reported_and_do_not_stop_the_rest(project, capsys):
    (project / "a_syntax.py").write_text("def f(:\n")
    (project / "b_latin1.py").write_bytes(b"x = '\xe9'\n")  # not UTF-8, no coding cookie
    (project / "c_bad_cookie.py").write_bytes(b"# -*- coding: nonsense -*-\nx = 1\n")
    (project / "d_bad.py").write_text(BAD)
    assert main(["."]) == 1
    out = capsys.readouterr().out
    assert "a_syntax.py:1:7: FFT001 SyntaxError: invalid syntax" in out
    assert "b_latin1.py:1:1: FFT004 cannot read file:" in out
    assert "c_bad_cookie.py:1:1: FFT004" in out
    assert "d_bad.py:4:5: FFT101" in out
    assert "Traceback" not in out


def test_reading_a_directory_is_a_clean_error(tmp_path):
    with pytest.raises(SourceError):
        read(str(tmp_path))


def test_missing_path_is_a_usage_error(project, capsys):
    assert main(["nope.py"]) == 2
    assert "nope.py" in capsys.readouterr().err


class _Crash(Rule):
    """## What it does\nx\n## Why is this bad?\nx\n## Example\nx\n## Use instead\nx\n## Fix safety\nx"""

    code = "FFT990"
    name = "crash"
    message = "never"

    def visit_Call(self, node: cst.Call) -> None:
        raise ValueError("boom")


def test_a_crashing_rule_yields_fft002_and_the_rest_still_runs():
    result = lint_source(BAD, "x.py", [_Crash, registry.lookup("FFT101")])
    assert [d.code for d in result.diagnostics] == ["FFT002", "FFT101"]
    assert "FFT990" in result.diagnostics[0].message and "boom" in result.diagnostics[0].message
    assert result.error


def test_internal_error_exits_2_even_with_exit_zero(project, monkeypatch, capsys):
    rules = registry.all_rules() + (_Crash,)
    monkeypatch.setattr(registry, "all_rules", lambda: rules)
    (project / "a.py").write_text(BAD)
    (project / "b.py").write_text(BAD)
    assert main(["--exit-zero", "."]) == 2
    out = capsys.readouterr().out
    assert out.count("FFT002") == 2 and out.count("FFT101") == 2


def test_stdin_with_filename(project, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(BAD.encode())))
    assert main(["--stdin-filename", "svc/handler.py", "-"]) == 1
    assert capsys.readouterr().out.startswith("svc/handler.py:4:5: FFT101 ")


def test_output_file(project, capsys):
    (project / "a.py").write_text(BAD)
    assert main(["--format", "json", "-o", "out/report.json", "a.py"]) == 1
    assert capsys.readouterr().out == ""
    assert '"code": "FFT101"' in (project / "out" / "report.json").read_text()


def test_version_rules_and_explain(capsys):
    from fftlint import __version__

    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out
    assert main(["rules"]) == 0
    assert "FFT101" in capsys.readouterr().out
    assert main(["explain", "FFT101"]) == 0
    assert "## Why is this bad?" in capsys.readouterr().out
    assert main(["explain", "FFT999"]) == 2
    assert main(["--format", "nope", "."]) == 2


def test_no_color_when_not_a_tty_or_no_color(project, capsys, monkeypatch):
    (project / "a.py").write_text(BAD)
    monkeypatch.setenv("FORCE_COLOR", "1")
    main(["a.py"])
    assert "\x1b[" in capsys.readouterr().out
    monkeypatch.setenv("NO_COLOR", "1")
    main(["a.py"])
    assert "\x1b[" not in capsys.readouterr().out


def test_default_excludes_and_extend_exclude(project, capsys):
    for d in (".venv/lib", "node_modules/x", "build", "src/generated"):
        (project / d).mkdir(parents=True)
        (project / d / "m.py").write_text(BAD)
    assert main(["--extend-exclude", "generated", "."]) == 0
    assert main(["src/generated/m.py"]) == 1  # explicit files are always linted
    assert main(["--exclude", "node_modules", "."]) == 1  # --exclude replaces the defaults


def test_very_deep_trees_are_analysed_not_reported_as_internal_errors():
    # like CPython's pydoc_data/topics.py: thousands of implicitly concatenated strings
    src = "import time\nTOPICS = (" + " ".join(['"a"'] * 2500) + ")\n\nasync def f():\n    time.sleep(1)\n"
    result = lint_source(src, "topics.py", [registry.lookup("FFT101")])
    assert [d.code for d in result.diagnostics] == ["FFT101"]


def test_force_exclude_applies_excludes_to_named_files(project, capsys):
    (project / ".fftlint.yaml").write_text("extend-exclude: ['generated']\n")
    (project / "generated").mkdir()
    (project / "generated" / "m.py").write_text(BAD)
    (project / "m.py").write_text(BAD)
    assert main(["generated/m.py"]) == 1
    capsys.readouterr()
    assert main(["--force-exclude", "generated/m.py", "m.py"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("m.py:4:5: FFT101") and "generated" not in out
    assert main(["--force-exclude", "generated/m.py"]) == 0


def test_stdin_sees_helpers_in_other_files_of_the_project(project, monkeypatch, capsys):
    (project / "svc").mkdir()
    (project / "svc" / "__init__.py").write_text("")
    (project / "svc" / "config.py").write_text("def load():\n    with open('settings.ini') as fh:\n        return fh.read()\n")
    handler = "from svc.config import load\n\nasync def handle():\n    return load()\n"
    (project / "svc" / "handler.py").write_text("")  # the buffer is newer than the file on disk
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(handler.encode())))
    assert main(["--stdin-filename", "svc/handler.py", "-"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("svc/handler.py:4:12: FFT106") and "load -> open" in out


class _PointsInside(Rule):
    """## What it does\nx\n## Why is this bad?\nx\n## Example\nx\n## Use instead\nx\n## Fix safety\nx"""

    code = "FFT991"
    name = "points-inside"
    message = "inside"

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        delta = 0 if "\n" not in node.value else 1
        self.report(node, inside=(delta, 3))


def test_reports_can_point_inside_their_node():
    result = lint_source('x = "abcdef"\ny = """a\nbcdef"""\n', "x.py", [_PointsInside])
    spans = [(d.span.line, d.span.column, d.span.end_line, d.span.end_column) for d in result.diagnostics]
    assert spans == [(1, 8, 1, 13), (3, 4, 3, 9)]


def test_valid_python_that_libcst_rejects_is_not_called_a_syntax_error():
    src = "import time\n(flag): bool = True\n\nasync def f():\n    time.sleep(1)\n"  # valid since 3.8
    [diag] = lint_source(src, "ann.py", [registry.lookup("FFT101")]).diagnostics
    assert diag.code == "FFT001"
    assert diag.message.startswith("LibCST cannot parse this file, which Python")
    assert "no rule ran on it" in diag.message


def test_positions_match_libcst_position_provider():
    """The engine's own position codegen (plain tuples, early stop) must give exactly
    LibCST's ``PositionProvider`` ranges: decorators, one-line compound statements,
    semicolons, continuation lines, multi-line strings, CRLF newlines."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    from fftlint.engine.positions import code_range as _code_range, position_tuples as _position_tuples

    sources = [
        "import os\n\n@dec(1)\n@other\nasync def f(a, *, b=2):\n    x = 1; y = 2\n    if x: return y\n"
        "    s = '''a\nb'''\n    t = (1 +\n         2)\n    return \\\n        s\n\nclass C(B, metaclass=M):\n    z: int = 3\n",
        "x = [\n    i\n    for i in range(3)\n    if i\n]\r\ny = f(\r\n  x)\r\n",
        "",
    ]
    for source in sources:
        module = cst.parse_module(source)
        expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        got = _position_tuples(module)
        assert {node: _code_range(t) for node, t in got.items()} == dict(expected)
        some = [n for n in expected if isinstance(n, (cst.Name, cst.Call))][:3]
        partial = _position_tuples(module, some)
        assert all(_code_range(partial[n]) == expected[n] for n in some)
