"""FFT305's ``with`` fix drops ``f.close()`` lines: never one that carries a comment
(found by ``test_odd_shapes_at_length``: a comment inside the parentheses of the call)."""

import pytest

from fftlint import api
from fftlint.config.settings import Settings
from fftlint.fix import apply_edits

HEAD = "def read_template(name):\n    fh = open(name)\n    text = fh.read()\n"
TAIL = "    return text\n"


def _fixes(source):
    config = api.make_config(Settings(), select=["FFT305"])
    result = api.lint_text(source, "app/views.py", config)
    found = [d for d in result.diagnostics if d.code == "FFT305"]
    assert found, "the unclosed file must be reported either way"
    return [d.fix for d in found if d.fix is not None]


@pytest.mark.parametrize(
    "close",
    [
        "    (  # why\n        fh.close())\n",
        "    fh.close()  # done with it\n",
        "    fh.close(\n        # nothing to pass\n    )\n",
        "    # closed by hand\n    fh.close()\n",
    ],
)
def test_a_close_line_with_a_comment_is_not_dropped(close):
    assert _fixes(HEAD + close + TAIL) == []


def test_a_plain_close_line_is_dropped_by_the_fix():
    source = HEAD + "    fh.close()\n" + TAIL
    (fix,) = _fixes(source)
    assert apply_edits(source, fix.edits) == (
        "def read_template(name):\n    with open(name) as fh:\n        text = fh.read()\n    return text\n"
    )
