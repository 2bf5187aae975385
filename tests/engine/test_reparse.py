"""The incremental parser gives exactly the tree LibCST's full parse gives, before and
after edits, while re-parsing only the top-level statements that changed."""

from __future__ import annotations

import random
import sysconfig
from pathlib import Path

import libcst as cst
import pytest

from fftlint import api
from fftlint.config.settings import Settings
from fftlint.engine.reparse import IncrementalParser

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

TRICKY = [
    "",
    "\n\n",
    "# only a comment\n",
    "x = 1",  # no final newline
    "x = 1; y = 2\nz = 3\n",
    "#!/usr/bin/env python\n# header\n\n'''doc'''\nimport os\n\n\n@dec\n@dec2(1)\ndef f():\n    pass\n",
    "def f():\n    x = 1\n    # trailing, owned by the block\n\n# top level\ny = 2\n",
    "def f():\n  return 1\n\n\nclass A:\n  def g(self):\n    pass\n",
    "if x:\n\tpass\nelse:\n\tpass\n\nwhile y: pass\n",
    "x = 1\r\n\r\ndef f():\r\n    return 2\r\n",
    "x = (1,\n     2)\ny = 3 \\\n    + 4\n\n\ndef g(): return 5\n",
    "async def f():\n    async with a as b:\n        await b\n\n\nmatch x:\n    case 1:\n        pass\n",
]


def _same(parser, text, path="t.py"):
    module, error = parser(text, path)
    try:
        full = cst.parse_module(text)
    except cst.ParserSyntaxError:
        assert module is None and error is not None
        return
    assert module is not None, error
    assert module.code == text
    assert module.deep_equals(full), text


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_layouts_match_the_full_parse(text):
    parser = IncrementalParser()
    _same(parser, text)  # the first parse is a full one
    _same(parser, text)
    _same(parser, text + "\n\nz_added = 1\n")
    _same(parser, "import sys\n\n" + text)


def _edits(text):
    """Edits an editor makes: a line changed inside a statement, a statement added between
    two others, one appended, a blank line removed."""
    lines = text.splitlines(keepends=True)
    out = []
    for i in range(len(lines) // 3, len(lines)):
        if "= " in lines[i] and lines[i].rstrip().endswith(("1", "0", ")", "'", '"')):
            out.append("".join(lines[:i] + [lines[i].rstrip("\r\n") + "  # edited\n"] + lines[i + 1 :]))
            break
    for i in range(len(lines) // 2, len(lines)):
        if lines[i].startswith(("def ", "class ")):
            out.append("".join(lines[:i] + ["EDITED = 1\n\n\n"] + lines[i:]))
            break
    out.append(text + "\n\ndef appended():\n    return 1\n")
    for i in range(len(lines) // 2, len(lines)):
        if lines[i] == "\n":
            out.append("".join(lines[:i] + lines[i + 1 :]))
            break
    return out


def _corpus():
    stdlib = sysconfig.get_paths()["stdlib"]
    files = sorted(str(p) for p in Path(stdlib).glob("*.py"))
    files += sorted(str(p) for p in Path(stdlib, "asyncio").glob("*.py"))
    random.Random(12).shuffle(files)
    return files[:12] + sorted(str(p) for p in FIXTURES.rglob("*.py"))


@pytest.mark.slow  # ~40 s: a full parse, an incremental one and deep_equals per version
def test_stdlib_and_fixtures_before_and_after_edits_match_the_full_parse():
    parser = IncrementalParser(max_files=1000)
    checked = 0
    for path in _corpus():
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        _same(parser, text, path)
        for edited in _edits(text):
            _same(parser, edited, path)
            checked += 1
            _same(parser, text, path)
    assert checked > 60
    assert parser.stats["reused"] > parser.stats["parsed"]  # unchanged statements were reused


def test_only_the_changed_statement_is_parsed_again():
    text = "".join(f"def f{i}():\n    return {i}\n\n\n" for i in range(50))
    parser = IncrementalParser()
    parser(text, "m.py")
    before = dict(parser.stats)
    module, _ = parser(text.replace("return 7\n", "return 70\n"), "m.py")
    assert parser.stats["parsed"] - before["parsed"] == 1
    assert parser.stats["reused"] - before["reused"] == 49
    assert module.deep_equals(cst.parse_module(text.replace("return 7\n", "return 70\n")))


def test_only_the_changed_method_of_a_big_class_is_parsed_again():
    methods = "".join(f"    def m{i}(self):\n        '''Doc\n        of m{i}.'''\n        return {i}\n\n" for i in range(40))
    text = "import os\n\n\nclass Big:\n    '''A class.'''\n\n" + methods + "\nX = 1\n"
    parser = IncrementalParser()
    parser(text, "m.py")
    before = dict(parser.stats)
    edited = text.replace("return 7\n", "return 70\n").replace("    def m9(self):", "    # a comment\n\n    def m9(self):")
    module, _ = parser(edited, "m.py")
    assert parser.stats["parsed"] - before["parsed"] == 2  # m7, and m9 whose leading lines changed
    assert module.deep_equals(cst.parse_module(edited)) and module.code == edited
    for changed in (edited.replace("class Big:", "class Big(object):"), edited.replace("    '''A class.'''", "    '''A  class.'''")):
        module, _ = parser(changed, "m.py")
        assert module.deep_equals(cst.parse_module(changed)) and module.code == changed


def test_indentation_or_newline_change_falls_back_to_a_full_parse():
    parser = IncrementalParser()
    text = "def f():\n    return 1\n"
    parser(text, "m.py")
    full = parser.stats["full"]
    _same(parser, text.replace("    ", "\t"), "m.py")
    _same(parser, text.replace("\n", "\r\n"), "m.py")
    assert parser.stats["full"] == full + 2


def test_lint_results_are_the_same_with_the_incremental_parser():
    config = api.make_config(Settings(), select=["ALL"])
    parser = IncrementalParser(max_files=1000)
    for path in sorted(FIXTURES.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for version in (text, *_edits(text)):
            expected = api.lint_text(version, str(path), config)
            got = api.lint_text(version, str(path), config, parse=parser)
            assert got.diagnostics == expected.diagnostics, path
