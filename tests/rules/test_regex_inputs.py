"""FFT402 input provenance: a polynomial pattern is silent only when every subject it is
matched against is shown unable to carry the slow input (see rules/regex/_subjects.py)."""
import ast

import pytest

from fftlint.analysis.regex import analyze
from fftlint.engine.run import lint_source
from fftlint.registry import all_rules
from fftlint.rules.regex._subjects import TRUSTED, subject_uses


def lint(code):
    rule = [r for r in all_rules() if r.code == "FFT402"]
    return [d.span.line for d in lint_source(code, "example.py", rule).diagnostics]


URL = r"^(https://.*/.*|http://localhost(:[0-9]+)?/.*)$"


def test_the_analysis_without_newlines_finds_no_attack_that_needs_one():
    assert analyze(URL, 0, "match").complexity == "polynomial"
    assert "\n" in analyze(URL, 0, "match").attack.build(3)
    assert analyze(URL, 0, "match", exclude="\n").complexity == "linear"


def test_excluded_characters_never_appear_in_the_attack():
    # \s*#?\s*$ stays slow without ASCII spaces: the attack uses another whitespace
    rep = analyze(r"\s*#?\s*$", 0, "match", exclude=" \t\n\r")
    assert rep.complexity == "polynomial"
    assert not set(rep.attack.build(3)) & set(" \t\n\r")


def test_excluding_nothing_is_the_plain_analysis():
    for pattern in (URL, r"\d+\.?\d+x", r"(a+)+b", r"^[a-z]+$"):
        a, b = analyze(pattern, 0, "search"), analyze(pattern, 0, "search", exclude="")
        assert (a.complexity, a.degree, a.attack) == (b.complexity, b.degree, b.attack)


def uses(code, pattern):
    return subject_uses(ast.parse(code), pattern)


def test_subjects_of_a_class_attribute_and_a_private_helper():
    code = (
        "import re, sqlite3\n"
        "_V = re.compile('P')\n"
        "def _parse(s):\n    return _V.match(s)\n"
        "def ok():\n    return _parse(sqlite3.sqlite_version)\n"
        "class F:\n    rx = re.compile('Q')\n"
        "    def clean(self, v):\n        for line in v.splitlines():\n            re.search(self.rx, line)\n"
    )
    assert uses(code, "P") == [(TRUSTED, "match")]
    [(chars, mode)] = uses(code, "Q")
    assert "\n" in chars and mode == "search"


@pytest.mark.parametrize("code", [
    # a public module name: other modules may import it
    "import re\nRX = re.compile('P')\ndef f(s):\n    return RX.match(s)\nf('x')\n",
    # the compiled pattern is passed on
    "import re\n_RX = re.compile('P')\ndef f():\n    return _RX\n",
    # the helper is handed on, so its callers are unknown
    "import re\n_RX = re.compile('P')\ndef _h(s):\n    return _RX.match(s)\nHOOKS = [_h]\n",
    # a parameter of a public function
    "import re\ndef f(s):\n    return re.match('P', s)\n",
    # split with maxsplit keeps separators in the last item
    "import re\ndef f(v):\n    return [re.match('P', x) for x in v.split('\\n', 1)]\n",
    # the subject is bound twice, once to something unknown
    "import re\ndef f(v, w):\n    x = 'const'\n    x = w\n    return re.match('P', x)\n",
])
def test_unknown_uses(code):
    assert uses(code, "P") is None or any(s is None for s, _ in uses(code, "P"))


def test_the_rule_is_silent_only_when_every_subject_is_safe():
    silent = (
        "import re\n"
        "class Form:\n"
        f"    line_regex = re.compile(r'{URL}')\n"
        "    def clean(self, val):\n"
        "        for l in val.split('\\n'):\n"
        "            if not re.match(self.line_regex, l):\n"
        "                raise ValueError(l)\n"
    )
    assert lint(silent) == []
    # one more use on request data: reported at the literal
    loud = silent + "    def other(self, request):\n        return self.line_regex.match(request.body)\n"
    assert lint(loud) == [3]


def test_a_pattern_held_in_a_name_is_still_reported():
    # the literal reaches the call through a name: its uses are not followed
    code = f"import re\nP = r'{URL}'\ndef f(v):\n    return [re.match(P, l) for l in v.split('\\n')]\n"
    assert lint(code) == [2]


def lint_project(tmp_path, files):
    from fftlint import api
    from fftlint.config.load import discover
    from fftlint.testing import write_tree

    write_tree(tmp_path, files)
    settings = discover([str(tmp_path)])
    config = api.make_config(settings, select=["FFT402"])
    return sorted((d.path.rsplit("/", 1)[-1], d.span.line) for r in api.lint_paths([str(tmp_path)], config, jobs=1) for d in r.diagnostics)


SETTINGS_USER = """
    import re
    from .conf import Conf

    def ui_url(conf: Conf):
        url = conf.api_url
        return re.match(r"^https://api[\\.\\w]*.example.[^\\.]+/", url)

    def method_form(conf: Conf):
        return re.match(r"^(.+)://(.+)\\.example\\.com/(.*)$", conf.api_url)
"""


@pytest.mark.parametrize(
    "base, quiet",
    [
        ("from pydantic_settings import BaseSettings as Base", True),
        ("from pydantic import BaseSettings as Base", True),  # pydantic v1
        ("from pydantic import BaseModel as Base", False),  # a request body, not settings
        ("class Base:\n    pass", False),  # a class named like settings is not settings
    ],
)
def test_a_field_of_a_pydantic_settings_model_is_configuration(tmp_path, base, quiet):
    found = lint_project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/base.py": base + "\n",
            "app/conf.py": "from .base import Base\n\nclass Conf(Base):\n    api_url: str = 'https://api.example.cloud/'\n",
            "app/views.py": SETTINGS_USER,
        },
    )
    assert found == ([] if quiet else [("views.py", 7), ("views.py", 10)])


def test_an_object_that_may_be_settings_or_something_else_still_reports(tmp_path):
    found = lint_project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/conf.py": "from pydantic_settings import BaseSettings\n\nclass Conf(BaseSettings):\n    api_url: str = ''\n\nclass Other:\n    api_url = ''\n",
            "app/views.py": """
                import re
                from .conf import Conf, Other

                def ui_url(flag, body):
                    conf = Conf() if flag else Other()
                    return re.match(r"^https://api[\\.\\w]*.example.[^\\.]+/", conf.api_url)
            """,
        },
    )
    assert found == [("views.py", 7)]


CALLEE = """
    import re

    class Fmt:
        @classmethod
        def fields(cls, fmt):
            return re.findall(r"%\\((\\w+)\\)[#0+ -]*(?:\\*|\\d+)?[a-z]", fmt)

    def public(*, fmt=""):
        return Fmt.fields(fmt)
"""


@pytest.mark.parametrize(
    "caller, quiet",
    [
        ("from .fmt import public\n\ndef setup():\n    return public(fmt='%(message)s')\n", True),
        ("from .fmt import public\n\ndef setup():\n    return public()\n", True),  # the default
        ("from .fmt import public\n\ndef view(request):\n    return public(fmt=request.GET['f'])\n", False),
        ("from .fmt import public\n\nHANDLERS = [public]\n", False),  # handed on: callers unknown
        ("from .fmt import public\n\ndef setup(fmt):\n    fmt = fmt.strip()\n    return public(fmt=fmt)\n", False),
    ],
)
def test_a_parameter_is_what_every_caller_in_the_project_passes(tmp_path, caller, quiet):
    found = lint_project(tmp_path, {"app/__init__.py": "", "app/fmt.py": CALLEE, "app/main.py": caller})
    assert found == ([] if quiet else [("fmt.py", 7)])


def test_a_parameter_bound_again_in_the_body_is_met_with_the_new_value(tmp_path):
    code = """
        import re

        def _fields(fmt, request):
            if request is not None:
                fmt = request.body
            return re.findall(r"%\\((\\w+)\\)[#0+ -]*(?:\\*|\\d+)?[a-z]", fmt)

        def setup():
            return _fields("%(message)s", None)
    """
    assert lint_project(tmp_path, {"app/__init__.py": "", "app/fmt.py": code}) == [("fmt.py", 7)]


@pytest.mark.parametrize(
    "imports, base, quiet",
    [
        ("from pydantic import validator\nfrom pydantic import BaseSettings", "BaseSettings", True),  # v1
        ("from pydantic import field_validator\nfrom pydantic_settings import BaseSettings", "BaseSettings", True),
        ("from pydantic import field_validator, BaseModel", "BaseModel", False),  # a request body
    ],
)
def test_the_value_a_settings_validator_receives_is_configuration(tmp_path, imports, base, quiet):
    decorator = "validator" if "import validator" in imports else "field_validator"
    code = f"""
import re
{imports}

class Conf({base}):
    api_url: str = ""

    @{decorator}("api_url")
    def strip_api(cls, value):
        return re.sub(r"^(.+)/(.+)/api$", r"\\1/\\2", value)
"""
    found = lint_project(tmp_path, {"app/__init__.py": "", "app/conf.py": code})
    line = code.split("\n").index(next(x for x in code.split("\n") if "re.sub" in x)) + 1
    assert found == ([] if quiet else [("conf.py", line)])
