"""A fix can replace a range of sibling nodes (``NodeRange``): from the first node's start
to the last node's end, with the nodes in between, as one edit."""

from __future__ import annotations

import libcst as cst

from fftlint.engine.run import lint_source
from fftlint.fix import fix_to_fixpoint
from fftlint.rule import NodeRange, Rule, replace


class _MergeDecorators(Rule):
    """## What it does
    Test rule: two adjacent decorators `@a` `@b` become one `@ab`."""

    code = "FFT999"
    name = "merge-decorators"
    message = "merge"

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        names = [d.decorator.value for d in node.decorators if isinstance(d.decorator, cst.Name)]
        if names[:2] == ["a", "b"]:
            self.report(node, fix=replace(NodeRange(node.decorators[0], node.decorators[1]), "@ab"))


def _lint(text: str):
    return lint_source(text, "m.py", [_MergeDecorators], prefilter=False)


def test_a_range_edit_spans_first_start_to_last_end():
    text = "class C:\n    @a\n    @b\n    @c\n    def f(self):\n        pass\n"
    [diag] = _lint(text).diagnostics
    [edit] = diag.fix.edits
    assert text[edit.start : edit.end] == "@a\n    @b"
    outcome = fix_to_fixpoint(text, _lint)
    assert outcome.text == "class C:\n    @ab\n    @c\n    def f(self):\n        pass\n"
    assert not _lint(outcome.text).diagnostics


def test_changed_part_is_one_minimal_edit():
    from fftlint.engine.run import changed_part
    from fftlint.fix import apply_edits

    for old, new in [("abcdef", "abXYef"), ("abc", "abc"), ("aaa", "aaaa"), ("", "x"), ("xyz", ""), ("abab", "ab")]:
        edit = changed_part(old, new)
        assert apply_edits(old, [edit]) == new
        assert edit.end - edit.start <= len(old) and len(edit.content) <= len(new)
    assert changed_part("abcdef", "abXYef") == type(changed_part("a", "a"))(2, 4, "XY")
