"""Inline suppressions and FFT003."""

from fftlint import registry
from fftlint.engine.run import lint_source

FFT101 = registry.lookup("FFT101")
FFT003 = registry.lookup("FFT003")


def lint(code, rules=(FFT101,), unused=False):
    return lint_source(code, "x.py", list(rules), report_unused_suppressions=unused)


def codes(result):
    return [d.code for d in result.diagnostics]


HEAD = "import time\nasync def f():\n"


def test_fftlint_ignore_with_code_and_bare():
    assert codes(lint(HEAD + "    time.sleep(1)  # fftlint: ignore[FFT101]\n")) == []
    assert codes(lint(HEAD + "    time.sleep(1)  # fftlint: ignore\n")) == []
    assert codes(lint(HEAD + "    time.sleep(1)  # fftlint: ignore[FFT1]\n")) == []
    assert codes(lint(HEAD + "    time.sleep(1)  # fftlint: ignore[FFT102]\n")) == ["FFT101"]


def test_noqa_forms():
    assert codes(lint(HEAD + "    time.sleep(1)  # noqa: FFT101\n")) == []
    assert codes(lint(HEAD + "    time.sleep(1)  # noqa\n")) == []
    assert codes(lint(HEAD + "    time.sleep(1)  # NOQA:FFT101,E501\n")) == []
    assert codes(lint(HEAD + "    time.sleep(1)  # noqa: E501\n")) == ["FFT101"]


def test_suppression_on_first_line_of_multiline_statement():
    code = HEAD + "    x = compute(  # noqa: FFT101\n        time.sleep(1),\n    )\n"
    result = lint(code)
    assert codes(result) == []
    assert [d.span.line for d in result.suppressed] == [4]


def test_suppression_on_other_line_does_not_apply():
    code = HEAD + "    # noqa: FFT101\n    time.sleep(1)\n"
    assert codes(lint(code)) == ["FFT101"]


def test_hash_inside_string_is_not_a_comment():
    code = HEAD + "    time.sleep(1); x = '# noqa: FFT101'\n"
    assert codes(lint(code)) == ["FFT101"]


def test_skip_file():
    assert codes(lint("# fftlint: skip-file\n" + HEAD + "    time.sleep(1)\n")) == []
    # only on a comment line of its own
    assert codes(lint(HEAD + "    time.sleep(1)\n    s = '# fftlint: skip-file'\n")) == ["FFT101"]


def test_unused_suppression_is_opt_in_and_precise():
    code = HEAD + "    time.sleep(1)  # noqa: FFT101, FFT102\n    pass  # fftlint: ignore[FFT101]\n    y = 1  # noqa\n"
    assert codes(lint(code)) == []
    result = lint(code, rules=(FFT101, FFT003), unused=True)
    unused = [(d.code, d.span.line, d.message) for d in result.diagnostics]
    assert [(c, line) for c, line, _ in unused] == [("FFT003", 3), ("FFT003", 4)]
    assert "FFT102" in unused[0][2] and "FFT101" not in unused[0][2]
