"""Each diagnostic carries where it is (``scope``) and what the flagged statement is
(``statement_hash``): the identity baselines key on, which must survive edits elsewhere."""

from __future__ import annotations

from fftlint import api
from fftlint.config.settings import Settings
from fftlint.engine.statement import normalize, statement_hash

CONFIG = api.make_config(Settings(), select=["FFT101", "FFT401", "FFT404", "FFT102"])


def _diags(text, path="svc/jobs.py"):
    return api.lint_text(text, path, CONFIG).diagnostics


def test_normalize_drops_layout_and_comments_but_keeps_strings():
    assert normalize("x = f( a,\n      b )  # note\n") == "x=f(a,b)"
    assert normalize("x = f(a, \\\n  b)\n") == "x=f(a,b)"
    assert normalize("s = 'a  # not a comment'  # a comment") == "s='a  # not a comment'"
    assert normalize('s = """a\n  b"""\n') == 's="""a\n  b"""'
    assert normalize("s = 'it\\'s  here'") == "s='it\\'s  here'"
    assert normalize("s = 'unterminated\nx = 1") == "s='unterminatedx=1"
    assert statement_hash("time.sleep(1)") == statement_hash("time.sleep( 1 )  # noqa: FFT101")
    assert statement_hash("time.sleep(1)") != statement_hash("time.sleep(2)")
    assert len(statement_hash("x")) == 16


SOURCE = """\
import re
import time


def helper():
    return 1


class Worker:
    async def run(self, rows):
        time.sleep(1)
        for row in rows:
            x = re.compile(row + "$")

    async def other(self):
        f = lambda: time.sleep(2)
        time.sleep(1)


async def top():
    time.sleep(1)
"""


def test_scope_is_the_qualified_name_of_the_enclosing_function():
    found = {(d.code, d.span.line): d.scope for d in _diags(SOURCE)}
    assert found[("FFT101", 11)] == "svc.jobs.Worker.run" or found[("FFT101", 11)] == "jobs.Worker.run"
    module = found[("FFT101", 11)].rsplit(".Worker.run", 1)[0]
    assert found[("FFT101", 17)] == f"{module}.Worker.other"
    assert found[("FFT101", 21)] == f"{module}.top"
    assert found[("FFT404", 13)] == f"{module}.Worker.run"


def _identity(diags):
    return sorted((d.code, d.scope, d.statement_hash) for d in diags)


def test_identity_survives_lines_inserted_above_and_an_unrelated_rename():
    before = _diags(SOURCE)
    moved = SOURCE.replace("def helper():\n    return 1\n", "def renamed_helper():\n    # new\n\n    return 2\n\n\nX = 3\n")
    after = _diags(moved)
    assert [d.span.line for d in after] != [d.span.line for d in before]
    assert _identity(after) == _identity(before)


def test_identity_survives_reformatting_and_comments_on_the_statement():
    before = _identity(_diags(SOURCE))
    reformatted = SOURCE.replace("        time.sleep(1)\n        for", "        # why\n        time.sleep(\n            1\n        )  # later\n        for")
    assert _identity(_diags(reformatted)) == before


def test_identity_changes_with_the_statement_itself():
    before = {d.span.line: d.statement_hash for d in _diags(SOURCE) if d.code == "FFT101"}
    after = {d.span.line: d.statement_hash for d in _diags(SOURCE.replace("async def top():\n    time.sleep(1)", "async def top():\n    time.sleep(5)"))}
    assert after[21] != before[21]
    assert after[11] == before[11]


def test_a_compound_statement_is_identified_by_its_header_only():
    text = "import re\n\nasync def f(items):\n    for m in re.compile('(a+)+$').finditer(items):\n        print(m)\n"
    (before,) = [d for d in _diags(text) if d.code == "FFT401"]
    body_changed = text.replace("print(m)", "print(m, 'more')\n        print('and more')")
    (after,) = [d for d in _diags(body_changed) if d.code == "FFT401"]
    assert after.statement_hash == before.statement_hash
    header_changed = text.replace("finditer(items)", "finditer(other)")
    (changed,) = [d for d in _diags(header_changed) if d.code == "FFT401"]
    assert changed.statement_hash != before.statement_hash


def test_fix_edits_carry_their_line_and_column_range():
    text = "# \u00e9\U0001f600\nimport time\n\nasync def f():\n    time.sleep(1)\n"
    (diag,) = _diags(text)
    for edit in diag.fix.edits:
        lines = text.splitlines(keepends=True)
        start = sum(len(x) for x in lines[: edit.span.line - 1]) + edit.span.column - 1
        end = sum(len(x) for x in lines[: edit.span.end_line - 1]) + edit.span.end_column - 1
        assert (start, end) == (edit.start, edit.end)
