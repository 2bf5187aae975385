"""``--add-noqa[=REASON]``: comments that suppress exactly what was found, placed where a
comment can go, merged with what is there, and a file that stays the same file."""

from __future__ import annotations

from pathlib import Path

import pytest

from fftlint import api
from fftlint.cli import main
from fftlint.config.settings import Settings
from fftlint.noqa import add_noqa

CONFIG = api.make_config(Settings())


def lint(text, path="mod.py"):
    return api.lint_text(text, path, CONFIG).diagnostics


def noqa(text, reason=None):
    outcome = add_noqa(text, lint(text), reason)
    # whatever was added suppresses what it was added for, and a second pass adds nothing
    after = lint(outcome.text)
    skipped = {(d.code, d.span.line) for d, _ in outcome.skipped}
    assert {(d.code, d.span.line) for d in after} == skipped, after
    again = add_noqa(outcome.text, after, reason)
    assert again.text == outcome.text and again.added == 0
    return outcome


SLEEPY = "import time\n\n\nasync def f():\n    time.sleep(1)\n"


def test_appends_a_comment_to_the_finding_line():
    out = noqa(SLEEPY)
    assert out.text == SLEEPY.replace("time.sleep(1)\n", "time.sleep(1)  # noqa: FFT101\n")
    assert out.added == 1 and out.skipped == []


def test_trailing_whitespace_is_replaced_by_the_comment():
    out = noqa(SLEEPY.replace("time.sleep(1)\n", "time.sleep(1)   \t\n"))
    assert "    time.sleep(1)  # noqa: FFT101\n" in out.text


def test_a_reason_follows_the_codes():
    out = noqa(SLEEPY, reason="  legacy,   see #12 ")
    assert "time.sleep(1)  # noqa: FFT101 legacy, see #12\n" in out.text


def test_merges_with_another_tools_noqa_and_keeps_its_codes():
    out = noqa(SLEEPY.replace("time.sleep(1)\n", "time.sleep(1)  # noqa: E501 long line\n"))
    assert "time.sleep(1)  # noqa: E501, FFT101 long line\n" in out.text


def test_merges_with_an_fftlint_ignore_comment():
    text = SLEEPY.replace("time.sleep(1)\n", "time.sleep(1); open('x')  # fftlint: ignore[FFT102]\n")
    out = noqa(text)
    assert "# fftlint: ignore[FFT102, FFT101]\n" in out.text


def test_keeps_any_other_comment_and_adds_after_it():
    out = noqa(SLEEPY.replace("time.sleep(1)\n", "time.sleep(1)  # wait for the device\n"))
    assert "time.sleep(1)  # wait for the device  # noqa: FFT101\n" in out.text


def test_several_findings_on_one_line_share_one_comment():
    text = SLEEPY.replace("time.sleep(1)\n", "time.sleep(1); open('f'); time.sleep(2)\n")
    out = noqa(text)
    assert out.added == 1
    line = out.text.splitlines()[4]
    assert line.endswith("# noqa: FFT101, FFT102") and line.count("noqa") == 1


def test_a_line_inside_a_multiline_string_is_never_written():
    text = 'import re\n\nPAT = re.compile(r"""\n  (a+)+$\n""", re.X)\n'
    diags = [d for d in lint(text) if d.code == "FFT401"]
    assert diags and diags[0].span.line == 4  # the finding points into the string
    out = add_noqa(text, diags)
    assert out.text == text
    assert [why for _, why in out.skipped] == ["its line ends inside a string or with a line continuation"]


def test_a_finding_inside_a_string_moves_to_the_statements_first_line():
    text = 'import re\n\nPAT = re.compile(\n    r"""\n  (a+)+$\n""", re.X)\n'
    out = noqa(text)
    assert "PAT = re.compile(  # noqa: FFT401\n" in out.text
    assert '  (a+)+$\n' in out.text  # the string is untouched


def test_never_after_a_backslash_continuation():
    text = "import time\n\n\nasync def f():\n    x = time.sleep(1) or \\\n        0\n"
    out = add_noqa(text, lint(text))
    assert out.text == text and len(out.skipped) == 1
    text2 = "import time\n\n\nasync def f():\n    x = 0 or \\\n        time.sleep(1)\n"
    out2 = noqa(text2)
    assert "        time.sleep(1)  # noqa: FFT101\n" in out2.text
    assert "x = 0 or \\\n" in out2.text


def test_crlf_and_lone_cr_line_endings_are_kept():
    crlf = SLEEPY.replace("\n", "\r\n")
    out = noqa(crlf)
    assert out.text == crlf.replace("time.sleep(1)\r\n", "time.sleep(1)  # noqa: FFT101\r\n")
    cr = SLEEPY.replace("\n", "\r")
    out = add_noqa(cr, lint(cr))
    assert out.text == cr.replace("time.sleep(1)\r", "time.sleep(1)  # noqa: FFT101\r")


def test_a_file_without_a_final_newline():
    out = noqa(SLEEPY.rstrip("\n"))
    assert out.text.endswith("time.sleep(1)  # noqa: FFT101")


def test_syntax_errors_and_crashes_get_no_comment():
    text = "def f(:\n"
    out = add_noqa(text, lint(text))
    assert out.text == text and out.added == 0


# ----------------------------------------------------------------------------- CLI
@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_bytes(SLEEPY.replace("\n", "\r\n").encode("utf-8"))
    latin = "# -*- coding: latin-1 -*-\nimport time\n\n\nasync def f():\n    s = 'caf\u00e9'; time.sleep(1)\n"
    (tmp_path / "b.py").write_bytes(latin.encode("latin-1"))
    (tmp_path / "c.py").write_bytes(b"\xef\xbb\xbf" + SLEEPY.encode("utf-8"))
    return tmp_path


def test_cli_writes_keeping_encoding_bom_and_line_endings(project, capsys):
    before = {p: Path(p).read_bytes() for p in ("a.py", "b.py", "c.py")}
    assert main(["--isolated", "--no-cache", "--add-noqa", "."]) == 0
    assert "Added 3 noqa directives." in capsys.readouterr().err
    a = Path("a.py").read_bytes()
    assert a == before["a.py"].replace(b"time.sleep(1)\r\n", b"time.sleep(1)  # noqa: FFT101\r\n")
    b = Path("b.py").read_bytes()
    assert b == before["b.py"].replace(b"time.sleep(1)\n", b"time.sleep(1)  # noqa: FFT101\n")
    assert b"caf\xe9" in b  # still latin-1
    c = Path("c.py").read_bytes()
    assert c.startswith(b"\xef\xbb\xbf") and b"# noqa: FFT101" in c
    assert main(["--isolated", "--no-cache", "."]) == 0
    capsys.readouterr()
    assert main(["--isolated", "--no-cache", "--add-noqa", "."]) == 0
    assert "Added 0 noqa directives." in capsys.readouterr().err


def test_cli_reason_needs_an_equals_sign_and_a_path_is_a_path(project, capsys):
    assert main(["--isolated", "--no-cache", "--add-noqa=legacy", "a.py"]) == 0
    assert b"# noqa: FFT101 legacy\r\n" in Path("a.py").read_bytes()
    assert b"noqa" not in Path("b.py").read_bytes()  # only the path named


def test_cli_diff_changes_nothing(project, capsys):
    before = Path("a.py").read_bytes()
    assert main(["--isolated", "--no-cache", "--add-noqa", "--diff", "a.py"]) == 1
    out = capsys.readouterr().out
    assert "+    time.sleep(1)  # noqa: FFT101" in out and out.startswith("--- a/a.py")
    assert Path("a.py").read_bytes() == before


def test_cli_refuses_add_noqa_with_fix(project, capsys):
    assert main(["--isolated", "--add-noqa", "--fix", "."]) == 2
    assert "--add-noqa and --fix" in capsys.readouterr().err
