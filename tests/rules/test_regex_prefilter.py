"""FFT4xx ``ast`` pre-checks: they run the same analysis as the rules on every static
value a pattern may have, so they never hide a finding, and files whose regexes are all
safe never reach LibCST."""

import ast

import pytest

from fftlint.engine.prefilter import AstView
from fftlint.engine.run import lint_source
from fftlint.registry import lookup

FFT401, FFT402, FFT403, FFT404 = (lookup(c) for c in ("FFT401", "FFT402", "FFT403", "FFT404"))


def _lint(code, rule, prefilter, path="app/checks.py"):
    module = path[:-3].replace("/", ".")
    package = module.endswith(".__init__")
    module = module[: -len(".__init__")] if package else module
    result = lint_source(code, path, [rule], {}, prefilter=prefilter, module_name=module, is_package=package)
    return [(d.code, d.span.line, d.message) for d in result.diagnostics]


def _could(code, rule, path="app/checks.py"):
    return rule.could_match(AstView(ast.parse(code), code, path))


REPORTING = [
    (FFT401, "import re as R\nR.compile(r'(x+)+y')\n"),
    (FFT401, "from re import compile as c\nc(r'(a|a)*b')\n"),
    (FFT401, "import regex\nregex.search(r'(?:.*,)*[ \\t]*realm=', s)\n"),
    # a name assigned in a function, concatenated with a module constant
    (FFT401, "import re\nHEAD = r'^'\ndef f(s):\n    body = r'(\\w+\\s?)*$'\n    return re.match(HEAD + body, s)\n"),
    # the same name assigned twice: each scope has its own value
    (FFT401, "import re\ndef a(s):\n    p = r'safe'\n    return re.search(p, s)\ndef b(s):\n    p = r'(x+)+y'\n    return re.search(p, s)\n"),
    # flags through a name and an alias of the flag
    (FFT401, "import re\nF = re.I | re.M\nre.search('(?:ab|Ab)*c', s, F)\n"),
    (FFT401, "import re\nre.compile(rb'(?:\\d*)+x')\n"),
    # compile chained with the matching method sets the mode
    (FFT402, "import re\nre.compile(r'\\s*#?\\s*$').match(line)\n"),
    (FFT401, "from django import urls\nurls.re_path(r'^(?:[a-z]+/?)*$', view)\n"),
    (FFT401, "from django.core.validators import RegexValidator as RV\nRV(regex=r'^(\\w+\\s?)*$')\n"),
    (FFT403, "import re\nre.sub(r'\\s+$', '', s)\n"),
    (FFT404, "import re\nfor w in words:\n    rx = re.compile(w + '$')\n"),
    (FFT404, "import re as R\nwhile True:\n    p = input()\n    R.match(f'^{p}$', s)\n"),
]


@pytest.mark.parametrize("rule,code", REPORTING)
def test_precheck_never_hides_a_finding(rule, code):
    unfiltered = _lint(code, rule, False)
    assert unfiltered, f"{rule.code} should report on:\n{code}"
    assert _lint(code, rule, True) == unfiltered
    assert _could(code, rule)


SILENT = [
    "import re\nre.compile(r'^[a-z0-9]+(?:-[a-z0-9]+)*$')\nre.search(r'\\d+', s)\n",
    "import os\nparts = os.path.split(p)\nwords = line.split(',')\nx = text.sub('a', 'b')\n",
    '"""Uses re.compile(r"(x+)+y") in the docs only."""\nimport re\n',
    "import re\ndef f(p, s):\n    return re.search(p + '(x+)+y', s)\n",  # not static
    "import re\nfor s in items:\n    re.search(r'\\d+', s)\n",  # a literal in a loop is cached by re
]


@pytest.mark.parametrize("code", SILENT)
def test_safe_or_dynamic_regexes_stay_out_of_libcst(code):
    for rule in (FFT401, FFT402, FFT403, FFT404):
        assert _lint(code, rule, False) == []
        assert not _could(code, rule), f"{rule.code} pre-check let through:\n{code}"


@pytest.mark.parametrize("code,path", [
    ("from .conf import re_path\nurlpatterns = [re_path(r'^(?:[a-z]+/?)*$', view)]\n", "django/urls/__init__.py"),
    # no space after ``from``: still Python
    ("from.urls import url\nurlpatterns = [url(r'^(?:[a-z]+/?)*$', view)]\n", "django/conf/__init__.py"),
])
def test_django_itself_imports_its_regex_apis_relatively(code, path):
    assert _lint(code, FFT401, False, path)
    assert _lint(code, FFT401, True, path) == _lint(code, FFT401, False, path)
    assert _could(code, FFT401, path)


def test_values_it_cannot_enumerate_keep_the_file():
    # flags imported under another name: the check cannot tell, so it keeps the file
    code = "from re import IGNORECASE as IC\nimport re\nre.search('(?:ab|Ab)*c', s, IC)\n"
    assert _could(code, FFT401)
    assert _lint(code, FFT401, True) == _lint(code, FFT401, False) != []


def test_files_that_never_name_a_regex_module_skip_the_node_walk():
    code = "def f(xs):\n    # these are. more words here.\n    return [x.split(',') for x in xs]\n"
    view = AstView(ast.parse(code), code, "app/checks.py")
    assert not any(rule.could_match(view) for rule in (FFT401, FFT402, FFT403, FFT404))
    assert view._by_type is None


# FFT404's pre-check mirrors the rule's own tests on the ``ast``: a pattern that uses no
# name an enclosing loop (in the same function) rebinds, a loop element taken as it is,
# and a ``compile`` kept or dropped never report, so such files stay out of LibCST.
LOOP_SILENT = [
    # a module constant used inside a loop (sysconfig's ``_findvar1_rx``)
    "import re\n_rx = r'\\$\\(([A-Za-z]+)\\)'\ndef f(lines):\n    for line in lines:\n        m = re.search(_rx, line)\n",
    # the loop's element taken as it is, through an index or an attribute
    "import re\ndef f(pats, s):\n    for i in range(len(pats)):\n        re.compile(pats[i]).match(s)\n",
    "import re\ndef f(table, s):\n    for (pattern, name) in table:\n        if re.match(pattern, s):\n            return name\n",
    "import re\ndef f(rows, s):\n    for row in rows:\n        p = row[0]\n        re.match(p, s)\n",
    # compiled to be kept (a comprehension's element, a stored item) or only checked
    "import re\ndef f(words):\n    return [re.compile(w + '$') for w in words]\n",
    "import re\ndef f(words, table):\n    for w in words:\n        table[w] = re.compile(r'\\b' + w)\n",
    "import re\ndef f(words):\n    for w in words:\n        re.compile('^' + w)\n",
    # the loop is outside the function that builds the pattern
    "import re\nfor w in words:\n    def check(s, p=w):\n        return re.search(p + '$', s)\n",
]


@pytest.mark.parametrize("code", LOOP_SILENT)
def test_loop_precheck_mirrors_the_rules_silence(code):
    assert _lint(code, FFT404, False) == []
    assert not _could(code, FFT404)


LOOP_REPORTING = [
    # built from the element (an index, then a concatenation)
    "import re\ndef f(rows, s):\n    for row in rows:\n        p = row[0]\n        p = p + '$'\n        re.match(p, s)\n",
    # a loop around a loop: the outer target changes
    "import re\ndef f(words, lines):\n    for w in words:\n        for line in lines:\n            re.search(w + '$', line)\n",
    # an element kept in a local the loop never stores: compiled every time
    "import re\ndef f(words, s):\n    for w in words:\n        rx = re.compile(w + '$')\n        rx.search(s)\n",
    # bound by ``with ... as`` and by a walrus inside the loop
    "import re\ndef f(paths, s):\n    for p in paths:\n        with open(p) as fh:\n            re.search(fh.read(), s)\n",
    "import re\ndef f(items, s):\n    while (w := next(items, None)) is not None:\n        re.search('^' + w, s)\n",
    # a decorator runs in the loop around the def
    "import re\nfor w in words:\n    @register(re.compile(w + '$'))\n    def check(s):\n        pass\n",
    # a regex call (not compile) in a comprehension's element
    "import re\ndef f(lines, tags):\n    return [l for l in lines for t in tags if re.search(r'\\b%s\\b' % t, l)]\n",
]


@pytest.mark.parametrize("code", LOOP_REPORTING)
def test_loop_precheck_keeps_what_the_rule_reports(code):
    unfiltered = _lint(code, FFT404, False)
    assert unfiltered, f"FFT404 should report on:\n{code}"
    assert _could(code, FFT404)
    assert _lint(code, FFT404, True) == unfiltered


def test_calls_without_a_pattern_argument_are_not_candidates():
    # every regex function takes its pattern first: a call with none is never one, so
    # the pre-check need not resolve what a local callee holds
    from fftlint.rules.regex._prefilter import _facts

    code = "import re\nsearch = re.search\ndef f(s):\n    search()\n    return search(*s)\n"
    view = AstView(ast.parse(code), code, "app/checks.py")
    assert _facts(view).calls == []
    code = "import re\nsearch = re.search\ndef f(s):\n    return search(pattern=r'(x+)+y')\n"
    view = AstView(ast.parse(code), code, "app/checks.py")
    assert len(_facts(view).calls) == 1


def test_local_callees_are_resolved_only_where_their_pattern_could_matter():
    # a pattern with no static value outside any loop can make no finding: what
    # ``search`` holds is not asked; in a loop (FFT404) or with a static value it is
    from fftlint.rules.regex._prefilter import _facts

    code = "import re\nsearch = re.search\ndef f(p, s):\n    return search(p, s)\n"
    assert _facts(AstView(ast.parse(code), code, "app/checks.py")).calls == []
    code = "import re\nsearch = re.search\ndef f(ps, s):\n    for p in ps:\n        search(p + '$', s)\n"
    assert len(_facts(AstView(ast.parse(code), code, "app/checks.py")).calls) == 1
    assert _could(code, FFT404)
    assert _lint(code, FFT404, False) and _lint(code, FFT404, True) == _lint(code, FFT404, False)
