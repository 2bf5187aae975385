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
