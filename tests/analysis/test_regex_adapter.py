"""The sre adapter: CPython's own parser, version-independent tree, offsets.

Run on every supported interpreter (3.9 - 3.13)."""
import re
import sys

import pytest

from fftlint.analysis.regex import sre_adapter as sa
from fftlint.analysis.regex.sre_adapter import RegexSyntaxError, parse, scan_offsets

PY311 = sys.version_info >= (3, 11)


def ops(tree):
    out = []
    for op, av in tree:
        out.append(op)
        if op == "BRANCH":
            for b in av:
                out.extend(ops(b))
        elif op == "SUBPATTERN":
            out.extend(ops(av[3]))
        elif op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            out.extend(ops(av[2]))
        elif op in ("ASSERT", "ASSERT_NOT"):
            out.extend(ops(av[1]))
    return out


def test_plain_tree_uses_strings_and_none_for_infinity():
    tree = parse(r"(x+)+y").tree
    assert tree[0][0] == "MAX_REPEAT"
    lo, hi, body, ordinal = tree[0][1]
    assert (lo, hi, ordinal) == (1, None, 0)
    assert body[0][0] == "SUBPATTERN" and body[0][1][0] == 1
    assert tree[1] == ("LITERAL", ord("y"))


def test_cpython_merges_single_char_alternation_into_a_class():
    # `(\d|0)` is one character class for CPython's compiler, on every version
    tree = parse(r'(?:\d|0)*"').tree
    body = tree[0][1][2]
    assert body[0][0] == "IN"
    assert ("CATEGORY", "CATEGORY_DIGIT") in body[0][1]
    assert "BRANCH" not in ops(tree)


def test_common_branch_prefix_is_factored():
    tree = parse(r"(?:ab|ac)").tree
    assert tree[0] == ("LITERAL", ord("a"))
    assert tree[1][0] == "IN"


def test_group_and_repeat_spans():
    p = r"x(b+)+y{2,3}z"
    parsed = parse(p)
    assert parsed.group_spans == {1: (1, 5)}
    spans = [p[s:e] for _, (s, e) in sorted(parsed.repeat_spans.items())]
    assert spans == ["(b+)+", "b+", "y{2,3}"]


def test_verbose_mode_offsets_skip_spaces_and_comments():
    p = "(?x) ( a + ) +  # comment with ( and a+\n b"
    parsed = parse(p)
    spans = [p[s:e] for _, (s, e) in sorted(parsed.repeat_spans.items())]
    assert spans == ["( a + ) +", "a +"]
    parsed2 = parse(" ( a + ) + b", re.X)
    assert len(parsed2.repeat_spans) == 2


def test_scoped_verbose_flag():
    p = "(?x: a + ) b c+"
    gs, reps = scan_offsets(p, parse(p).flags)
    assert [p[s:e] for s, e in reps] == ["a +", "c+"]


def test_classes_escapes_and_literal_braces_do_not_confuse_offsets():
    p = r"[(\])+*]+\(x{,}\{a{b}"
    parsed = parse(p)
    spans = [p[s:e] for _, (s, e) in sorted(parsed.repeat_spans.items())]
    assert spans == [r"[(\])+*]+", "x{,}"]


def test_factoring_never_merges_repeats_so_offsets_stay_paired():
    # CPython compares branch prefixes with ==; repeats hold SubPattern objects that
    # compare by identity, so `a*` is not factored out and both keep their offsets
    p = r"(?:a*b|a*c)"
    parsed = parse(p)
    assert [p[s:e] for _, (s, e) in sorted(parsed.repeat_spans.items())] == ["a*", "a*"]
    assert [s for _, (s, e) in sorted(parsed.repeat_spans.items())] == [3, 7]


def test_bytes_pattern():
    parsed = parse(rb"(\d+)+x")
    assert parsed.is_bytes and parsed.text == r"(\d+)+x"


def test_inline_global_flags_are_reported():
    assert parse(r"(?i)abc").flags & re.I
    assert parse(r"(?s).").flags & re.S


def test_syntax_errors_are_one_exception_type():
    with pytest.raises(RegexSyntaxError):
        parse(r"(a")
    with pytest.raises(RegexSyntaxError):
        parse(r"a**")


@pytest.mark.skipif(not PY311, reason="possessive quantifiers and atomic groups need Python 3.11+")
def test_possessive_and_atomic_on_311():
    assert sa.HAS_POSSESSIVE
    tree = parse(r"a*+(?>b+)").tree
    assert tree[0][0] == "POSSESSIVE_REPEAT"
    assert tree[1][0] == "ATOMIC_GROUP"
    p = r"a*+(?>b+)"
    spans = [p[s:e] for _, (s, e) in sorted(parse(p).repeat_spans.items())]
    assert spans == ["a*+", "b+"]


@pytest.mark.skipif(PY311, reason="before 3.11 possessive syntax is an error")
def test_possessive_is_an_error_before_311():
    assert not sa.HAS_POSSESSIVE
    with pytest.raises(RegexSyntaxError):
        parse(r"a*+")


@pytest.mark.parametrize("pattern", [
    r"(a|b)*c", r"^(?:[a-z0-9-]+\.)+[a-z]{2,}$", r"(?P<x>a)(?P=x)+", r"(?<=a)b*(?!c)",
    r"(a)?(?(1)b|c)+", r"\bfoo\B", r"[^\n]*?\Z", r"\N{EM DASH}+", r"\x41{1,2}\u00e9*",
])
def test_offsets_agree_with_cpython_repeat_count(pattern):
    parsed = parse(pattern)
    n = sum(1 for op in ops(parsed.tree) if op.endswith("REPEAT"))
    assert len(parsed.repeat_spans) == n
    for s, e in parsed.repeat_spans.values():
        assert 0 <= s < e <= len(pattern)


def test_the_debug_flag_of_linted_code_never_prints(capsys):
    """``re.DEBUG`` makes CPython's parser dump the pattern to stdout: that would corrupt
    fftlint's JSON and SARIF output. The flag does not change matching, so it is dropped."""
    import re

    from fftlint.analysis.regex import analyze

    report = analyze(r"(x+)+y", re.DEBUG, mode="search")
    assert capsys.readouterr().out == ""
    assert report.complexity == "exponential"
