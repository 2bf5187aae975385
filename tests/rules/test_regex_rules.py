"""FFT4xx rule plumbing: static patterns, flags, offsets back into the literal, fixes."""
import warnings

import libcst as cst
import pytest

from fftlint.engine.run import lint_source
from fftlint.registry import all_rules
from fftlint.rules.regex._common import Resolver, decode_literal, redundant_nesting_fix, static_pattern
from fftlint.rules.regex.exponential import ExponentialRegex
from fftlint.types import SAFE


def rules_by_code():
    return {r.code: r for r in all_rules()}


def lint(code, *codes):
    by = rules_by_code()
    return lint_source(code, "example.py", [by[c] for c in codes]).diagnostics


def expr(code):
    return cst.parse_expression(code)


@pytest.mark.parametrize("token, text", [
    (r"r'(a+)+\d'", r"(a+)+\d"),
    ("'\\\\d+\\n'", "\\d+\n"),
    ("'\\x41\\u00e9\\N{EM DASH}\\101'", "A\u00e9\u2014A"),
    ('"""a\\\nb"""', "ab"),
    ("b'\\xff\\\\s'", "\xff\\s"),
    ("'\\q'", "\\q"),
])
def test_decode_literal_matches_python(token, text):
    got, is_bytes, index = decode_literal(token)
    assert got == text and len(index) == len(got)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = eval(token)  # noqa: S307 - a literal from the test table, not linted code
    assert got == (value.decode("latin-1") if isinstance(value, bytes) else value)


def test_fstrings_are_not_static():
    assert decode_literal("f'{x}+'") is None


def test_offsets_map_back_through_escapes_and_concatenation():
    module = cst.parse_module("P = ('abc'\n     '\\\\d(x+)+y')\n")
    node = module.body[0].body[0].value
    pat = static_pattern(node, Resolver(module), None)
    assert pat.text == "abc\\d(x+)+y"
    lit, line_delta, col = pat.locate(pat.text.index("(x+)+"))
    assert lit.value == "'\\\\d(x+)+y'"
    # `'` then `\\d` (three source characters for two pattern characters)
    assert (line_delta, col) == (0, 4)


def test_offsets_in_triple_quoted_verbose_pattern():
    module = cst.parse_module('P = r"""^a\n  (?:b+)+$"""\n')
    node = module.body[0].body[0].value
    pat = static_pattern(node, Resolver(module), None)
    _lit, line_delta, col = pat.locate(pat.text.index("(?:b+)+"))
    assert (line_delta, col) == (1, 2)


def test_names_resolve_to_module_constants_and_single_local_assignments():
    code = "A = r'(x+'\nB = A + r')+y'\ndef f():\n    c = B\n    return c\n"
    module = cst.parse_module(code)
    res = Resolver(module)
    func = module.body[2]
    assert static_pattern(cst.Name("B"), res, None).text == "(x+)+y"
    assert static_pattern(cst.Name("c"), res, func).text == "(x+)+y"
    code2 = "def f(x):\n    c = 'a'\n    c = x\n    return c\n"
    m2 = cst.parse_module(code2)
    assert static_pattern(cst.Name("c"), Resolver(m2), m2.body[0]) is None


def test_report_carries_analysis_and_position_properties():
    diags = lint("import re\nre.search('abc'\n          r'(?:x|xy?)*z', s)\n", "FFT401")
    assert len(diags) == 1
    d = diags[0]
    assert d.span.line == 3                      # the piece holding the sub-pattern
    props = d.properties
    assert props["complexity"] == "exponential" and props["mode"] == "search"
    assert props["subpattern"] == "(?:x|xy?)*"
    assert d.span.column == 13  # the sub-pattern (after `r'`), not the start of the literal
    assert set(props["attack"]) == {"prefix", "pump", "suffix"}
    assert "(?:x|xy?)*" in d.message


def test_flags_positional_keyword_and_inline():
    assert lint("import re\nre.match('(?:ab|Ab)*c$', s, re.I)\n", "FFT401")
    assert lint("import re\nre.match('(?:ab|Ab)*c$', s, flags=re.IGNORECASE | re.M)\n", "FFT401")
    assert lint("import re\nre.match('(?i)(?:ab|Ab)*c$', s)\n", "FFT401")
    assert not lint("import re\nre.match('(?:ab|Ab)*c$', s)\n", "FFT401")
    # unknown flags: skipped silently rather than guessed
    assert not lint("import re\nre.match('(?:ab|Ab)*c$', s, flags)\n", "FFT401")


def test_mode_follows_the_call():
    assert lint("import re\nre.search(r'\\s+$', s)\n", "FFT403")
    assert not lint("import re\nre.match(r'\\s+$', s)\n", "FFT403")
    assert lint("import re\nre.fullmatch(r'(.*;)+.+', s)\n", "FFT401")
    assert not lint("import re\nre.search(r'(.*;)+.+', s)\n", "FFT401")


def test_one_report_per_literal_and_code():
    code = "import re\nP = r'^(\\w+\\s?)*$'\nre.match(P, a)\nre.search(P, b)\n"
    assert len(lint(code, "FFT401")) == 1


def test_invalid_and_dynamic_patterns_are_silent():
    assert not lint("import re\nre.compile('(x+)+y(')\n", "FFT401")
    assert not lint("import re\nre.compile(f'(x+)+{y}')\n", "FFT401")
    assert not lint("import re\nre.compile(pat)\n", "FFT401")


def test_search_retry_rule_is_opt_in():
    assert rules_by_code()["FFT403"].default_enabled is False


@pytest.mark.parametrize("sub, fixed", [
    ("(?:a+)+", "a+"), ("(?:\\d*)+", "\\d*"), ("(?:[a-z]+)*", "[a-z]*"), ("(?:\\.+)+", "\\.+"),
])
def test_redundant_nesting_fix(sub, fixed):
    assert redundant_nesting_fix(sub) == fixed


@pytest.mark.parametrize("sub", ["(a+)+", "(?:a+?)+", "(?:ab+)+", "(?:a{2})+", "(?:(a)+)+"])
def test_no_fix_when_not_provably_equivalent(sub):
    assert redundant_nesting_fix(sub) is None


def test_fix_keeps_the_rest_of_the_literal():
    diags = lint("import re\nre.compile(r'^id=(?:[0-9]+)+;')\n", "FFT401")
    fix = diags[0].fix
    assert fix is not None and fix.applicability == SAFE
    (edit,) = fix.edits
    assert edit.content == "r'^id=[0-9]+;'"


def test_compile_in_loop_only_for_changing_patterns():
    code = (
        "import re\n"
        "def f(rows, fixed):\n"
        "    for row in rows:\n"
        "        re.search(fixed, row)\n"          # loop-invariant: cached
        "        re.search(r'\\d+', row)\n"         # constant: cached
        "        re.search(row['prefix'] + r'\\d+', row)\n"  # built anew every iteration
    )
    diags = lint(code, "FFT404")
    assert [d.span.line for d in diags] == [6]
    assert ExponentialRegex.code == "FFT401"


def test_diagnostic_properties_are_enough_to_verify_dynamically():
    from fftlint.analysis.regex import verify_properties

    (d,) = lint("import re\nre.match(rb'^(?:\\w+\\s?)*$', s)\n", "FFT401")
    assert d.properties["pattern_is_bytes"] is True and d.properties["flags"] == 0
    v = verify_properties(d.properties, timeout_s=3.0)
    assert v.confirmed and v.growth == "exponential"


def test_compiled_and_used_at_once_takes_the_method_mode():
    assert not lint("import re\nre.compile(r'\\s+$').match(s)\n", "FFT403")
    assert lint("import re\nre.compile(r'\\s+$').sub('', s)\n", "FFT403")


def test_prefilter_never_hides_a_finding():
    from fftlint.engine.run import lint_source as run

    code = "from django.conf.urls import url\nurlpatterns = [url(r'^(?:[a-z]+/?)*$', view)]\n"
    rule = rules_by_code()["FFT401"]
    with_filter = run(code, "urls.py", [rule], prefilter=True).diagnostics
    without = run(code, "urls.py", [rule], prefilter=False).diagnostics
    assert with_filter == without and len(without) == 1


FFT4 = ("FFT401", "FFT402", "FFT403", "FFT404")


@pytest.mark.parametrize("code", [
    # issue 11: a lambda whose body is an expression, not a block of statements
    "import re\nR = 'x'\nf = lambda x: [re.sub(R, '', s) for s in x] if x else []\n",
    "import re\nf = lambda items, w: [re.search(w, s) for s in items]\n",
    "import re\nclass C:\n    f = lambda self, xs: [re.sub(self.p, '', s) for s in xs]\n",
])
def test_lambda_bodies_do_not_crash_the_regex_rules(code):
    diags = lint(code, *FFT4)
    assert not [d for d in diags if d.code == "FFT002"], diags


def test_a_lambda_parameter_shadows_the_module_constant():
    # inside the lambda, R is the argument: whatever the caller passes, not the module's
    # catastrophic pattern (and an unknown pattern stays silent)
    code = "import re\nR = r'(a+)+$'\nf = lambda R, s: re.match(R, s)\n"
    assert list(lint(code, "FFT401")) == []
    module = cst.parse_module(code)
    lam = module.body[2].body[0].value
    assert static_pattern(cst.Name("R"), Resolver(module), lam) is None
    assert static_pattern(cst.Name("R"), Resolver(module), None).text == "(a+)+$"


def test_a_walrus_inside_a_lambda_binds_in_the_lambda():
    code = "import re\nP = r'(a+)+$'\nf = lambda s: [(P := s), re.match(P, s)]\n"
    assert list(lint(code, "FFT401")) == []
