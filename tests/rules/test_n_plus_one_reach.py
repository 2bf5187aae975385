"""FFT203's import reach: every import form a module can use is read (a superset), so
the pre-check never hides a helper that queries."""

import textwrap

import pytest

from rules.n_plus_one._reach import imported_modules

CHILDREN = {"app": {"db", "text", "helpers"}, "app.helpers": {"rows", "cache"}}


@pytest.mark.parametrize(
    "code, module, is_package, expected",
    [
        ("import app.db as d, os.path\n", "x", False, {"app", "app.db", "os", "os.path"}),
        ("import os, \\\n    app.text\n", "x", False, {"os", "app", "app.text"}),
        ("from . import db, text\n", "app.views", False, {"app", "app.db", "app.text"}),
        ("from .. import db\n", "app.helpers.cache", False, {"app", "app.db"}),
        ("from . import rows\n", "app.helpers", True, {"app", "app.helpers", "app.helpers.rows"}),
        ("from ..db import load\n", "app.helpers.rows", False, {"app", "app.db"}),
        ("from app.helpers import (\n    rows,\n    cache as c,\n)\n", "x", False, {"app", "app.helpers", "app.helpers.rows", "app.helpers.cache"}),
        ("from app.helpers import *\n", "x", False, {"app", "app.helpers"}),
        ("from app.helpers import rows, \\\n    cache\n", "x", False, {"app.helpers.rows", "app.helpers.cache"}),
        ("from app.helpers import (rows,  # the table\n    cache)\n", "x", False, {"app.helpers.rows", "app.helpers.cache"}),
        ("if TYPE_CHECKING: from app.db import Row\n", "x", False, {"app", "app.db"}),
        ("x = 1; import app.text\n", "x", False, {"app", "app.text"}),
        ("def f():\n    from app import db\n    return db\n", "x", False, {"app", "app.db"}),
        ("from ... import far\n", "app.views", False, set()),  # above the top: nothing to follow
    ],
)
def test_every_import_form_is_read(code, module, is_package, expected):
    assert imported_modules(textwrap.dedent(code), module, is_package, CHILDREN) >= expected


def test_submodules_of_a_package_are_followed_only_when_spelled():
    found = imported_modules("from app import helpers\n", "x", False, CHILDREN)
    assert "app.helpers" in found and "app.db" not in found
