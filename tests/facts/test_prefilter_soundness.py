"""Pre-filters stay sound when the facts layer resolves names through other modules or
the file's own assignments: a filtered run reports what an unfiltered one does."""

from __future__ import annotations


from fftlint import api
from fftlint.config.settings import Settings
from fftlint.testing import lint_tree, write_tree as write
from rules.n_plus_one._reach import reaches_database


def findings(root, prefilter):
    return sorted((path, d.span.line, d.code) for path, d in lint_tree(root, ["ALL"], prefilter=prefilter))


def test_aliases_in_the_file_and_values_from_other_modules(tmp_path):
    write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/compat.py": "import re\ncompile_re = re.compile\n",
            "pkg/use.py": """
                from .compat import compile_re
                import re

                search = re.search
                EMAIL = compile_re(r"^([a-zA-Z0-9]+[._-]?)+@example\\.com$")

                def check(s):
                    return search(r"(a+)+$", s)
            """,
            "pkg/signals.py": "import django.dispatch\n\norder_paid = django.dispatch.Signal()\n",
            "pkg/views.py": """
                from .signals import order_paid

                def pay(order):
                    def receipt(sender, **kw):
                        print(order)
                    order_paid.connect(receipt, weak=False)
            """,
        },
    )
    filtered, unfiltered = findings(tmp_path, True), findings(tmp_path, False)
    assert filtered == unfiltered
    assert any(code == "FFT401" and path.endswith("use.py") for path, _, code in filtered)
    assert any(code == "FFT301" and path.endswith("views.py") for path, _, code in filtered)


def _project(root):
    config = api.make_config(Settings(root=str(root)), select=["ALL"])
    files = sorted(str(p) for p in root.rglob("*.py"))
    return api.build_project([str(root)], files, config)


def _passes(root, rel, code):
    """Whether ``code``'s ``ast`` check lets ``rel`` through in a run over ``root``."""
    from fftlint.engine.asts import parse
    from fftlint.engine.prefilter import AstView
    from fftlint.engine.run import module_name_for
    from fftlint.registry import lookup

    project = _project(root)
    path = str(root / rel)
    text = (root / rel).read_text()
    module, is_package = module_name_for(path)
    view = AstView(parse(text, path), text, path, {}, project, module, is_package)
    return lookup(code).could_match(view)


LOOKALIKES = {
    "pkg/__init__.py": "",
    "pkg/util.py": "def write(x):\n    return x\n",
    "pkg/work.py": """
        import re
        from .util import write

        def run(lines, out, words):
            append = out.append
            for line in lines:
                append(line)           # a bound list method, never a regex call
                write(line)            # a project function, never a registration
                for w in words:
                    found = re.escape(w)
            return found
    """,
}


def test_checks_ask_the_facts_layer_what_an_assigned_or_imported_name_holds(tmp_path):
    write(tmp_path, LOOKALIKES)
    # FFT404 (regex with a changing pattern in a loop): `append` is assigned in the file
    assert not _passes(tmp_path, "pkg/work.py", "FFT404")
    # FFT301 (listener per call): `write` comes from the project
    assert not _passes(tmp_path, "pkg/work.py", "FFT301")


def test_the_same_names_bound_to_what_the_rules_look_for_pass(tmp_path):
    files = dict(LOOKALIKES)
    files["pkg/util.py"] = "import atexit\n\nwrite = atexit.register\nregister = atexit.register\n"
    # re-exported under a catalog call's name: followed (under another name it is not)
    files["pkg/work.py"] = LOOKALIKES["pkg/work.py"].replace("from .util import write", "from .util import register as write")
    files["pkg/work.py"] = files["pkg/work.py"].replace("append = out.append", "append = re.search")
    # a pattern built from the loop variable (a bare element is a collection of patterns)
    files["pkg/work.py"] = files["pkg/work.py"].replace("append(line)", "append('^' + line)")
    write(tmp_path, files)
    assert _passes(tmp_path, "pkg/work.py", "FFT404")
    assert _passes(tmp_path, "pkg/work.py", "FFT301")
    filtered, unfiltered = findings(tmp_path, True), findings(tmp_path, False)
    assert filtered == unfiltered
    assert {code for path, _, code in filtered if path.endswith("work.py")} >= {"FFT301", "FFT404"}


def test_names_a_comprehension_or_lambda_binds_are_let_through(tmp_path):
    write(tmp_path, {"m.py": """
        import re

        def run(lines, pats):
            search = len
            return [search('^' + p, line) for search in (re.search,) for p in pats for line in lines]
    """})
    # (a pattern built from the element: a bare ``p`` is a collection of patterns, which
    # FFT404 and its pre-check leave alone whatever ``search`` is)
    assert _passes(tmp_path, "m.py", "FFT404")


def test_query_helpers_need_a_database_library_somewhere_in_the_project(tmp_path):
    files = {
        "app/__init__.py": "",
        "app/store.py": "def load(pk):\n    return {'pk': pk}\n",
        "app/views.py": "from .store import load\n\ndef show(ids):\n    return [load(pk) for pk in ids]\n",
    }
    write(tmp_path, files)
    assert not _passes(tmp_path, "app/views.py", "FFT203")
    # the helper module starts querying: the loop file, which names no database, passes
    files["app/store.py"] = (
        "import sqlite3\n\nconn = sqlite3.connect('db')\n\n"
        "def load(pk):\n    return conn.cursor().execute('SELECT * FROM t WHERE id = ?', (pk,)).fetchone()\n"
    )
    write(tmp_path, files)
    assert _passes(tmp_path, "app/views.py", "FFT203")
    filtered, unfiltered = findings(tmp_path, True), findings(tmp_path, False)
    assert filtered == unfiltered
    assert ("FFT203" in {code for path, _, code in filtered if path.endswith("views.py")})


def test_a_module_that_starts_using_a_database_refreshes_cached_results_elsewhere(tmp_path):
    from fftlint.cache import Cache

    files = {
        "app/__init__.py": "",
        "app/store.py": "def load(pk):\n    return {'pk': pk}\n",
        "app/views.py": "from .store import load\n\ndef show(ids):\n    return [load(pk) for pk in ids]\n",
    }
    write(tmp_path, files)
    cache = Cache(str(tmp_path / ".cache"))

    def codes():  # one run of the command line: a fresh config, the same cache directory
        config = api.make_config(Settings(root=str(tmp_path)), select=["FFT203"])
        return [d.code for r in api.lint_paths([str(tmp_path)], config, cache=cache) for d in r.diagnostics if r.path.endswith("views.py")]

    assert codes() == []
    write(tmp_path, {"app/store.py": "import sqlite3\n\ndef load(pk):\n    return sqlite3.connect('db').cursor().execute('SELECT 1').fetchone()\n"})
    assert codes() == ["FFT203"]


def test_a_loop_module_that_cannot_reach_a_database_module_is_kept_from_libcst(tmp_path):
    """The project uses a database, but the loop's module imports nothing that leads to
    it (directly or through other modules): no call there can run a query."""
    files = {
        "app/__init__.py": "",
        "app/db.py": "import sqlite3\n\ndef load(pk):\n    return sqlite3.connect('db').cursor().execute('SELECT 1').fetchone()\n",
        "app/text.py": "def clean(s):\n    return s.strip()\n",
        "app/pages.py": "from . import text\n\nROWS = [text.clean(x) for x in ('a', 'b')]\n\ndef show(ids):\n    return [text.clean(i) for i in ids]\n",
        "app/views.py": "from app.text import clean\nfrom .helpers import (\n    fetch,\n)\n\ndef show(ids):\n    return [fetch(clean(pk)) for pk in ids]\n",
        "app/helpers/__init__.py": "from .rows import *\n",
        "app/helpers/rows.py": "from ..db import load as fetch\n",
    }
    write(tmp_path, files)
    assert not _passes(tmp_path, "app/pages.py", "FFT203")
    # through a parenthesised relative import, a package's star import and an alias
    assert _passes(tmp_path, "app/views.py", "FFT203")
    project = _project(tmp_path)
    assert not reaches_database(project, "app.pages") and not reaches_database(project, "app.text")
    assert reaches_database(project, "app.views") and reaches_database(project, "app.helpers")
    filtered, unfiltered = findings(tmp_path, True), findings(tmp_path, False)
    assert filtered == unfiltered
    assert "FFT203" in {code for path, _, code in filtered if path.endswith("views.py")}


def test_module_level_loops_are_read_like_function_bodies(tmp_path):
    """A loop at module or class level passes only when a call in it may query."""
    files = {
        "app/__init__.py": "",
        "app/db.py": "import sqlite3\n\ndef load(pk):\n    return sqlite3.connect('db').cursor().execute('SELECT 1').fetchone()\n\ndef label(pk):\n    return str(pk)\n",
        "app/table.py": "from .db import label\n\nNAMES = [label(i) for i in range(3)]\n\nclass T:\n    KEYS = {label(i) for i in range(3)}\n",
        "app/seed.py": "from .db import load\n\nclass Seed:\n    ROWS = [load(i) for i in range(3)]\n",
    }
    write(tmp_path, files)
    assert not _passes(tmp_path, "app/table.py", "FFT203")
    assert _passes(tmp_path, "app/seed.py", "FFT203")
    filtered, unfiltered = findings(tmp_path, True), findings(tmp_path, False)
    assert filtered == unfiltered


def test_loops_over_opaque_values_need_a_path_to_the_models(tmp_path):
    """A loop over a parameter or a helper's result can hold rows only in a module whose
    imports lead to the models (or a database library)."""
    files = {
        "shop/__init__.py": "",
        "shop/models.py": """
            from django.db import models

            class Author(models.Model):
                name = models.CharField(max_length=10)

            class Book(models.Model):
                author = models.ForeignKey(Author, on_delete=models.CASCADE)
        """,
        "shop/services.py": "from .models import Book\n\ndef all_books():\n    return Book.objects.all()\n",
        "shop/views.py": "from .services import all_books\n\ndef titles():\n    return [b.author.name for b in all_books()]\n",
        "shop/text.py": "def names(rows):\n    # a model of the text, not of the database\n    return [r.author.name for r in rows]\n",
    }
    write(tmp_path, files)
    assert not _passes(tmp_path, "shop/text.py", "FFT202") and not _passes(tmp_path, "shop/text.py", "FFT201")
    assert _passes(tmp_path, "shop/views.py", "FFT202")
    filtered, unfiltered = findings(tmp_path, True), findings(tmp_path, False)
    assert filtered == unfiltered
    assert "FFT202" in {code for path, _, code in filtered if path.endswith("views.py")}
