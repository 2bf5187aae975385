"""FFT205 beyond its examples: models in other files, bases the project cannot see, the
fix over the catalog fixture (re-parses, stable), and the pre-check's soundness."""

import ast
import os
import shutil
import textwrap

import pytest

from fftlint import api
from fftlint.config.load import discover
from fftlint.engine.prefilter import AstView
from fftlint.engine.run import lint_source
from fftlint.registry import lookup
from fftlint.rules.n_plus_one.unused_eager_load import _first_unread

FFT205 = lookup("FFT205")
ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "n_plus_one")

MODELS = textwrap.dedent(
    """
    from django.db import models
    from shop.base import Stamped
    from thirdparty.models import TimeStampedModel

    class Author(models.Model):
        name = models.CharField(max_length=10)

    class Book(Stamped):
        title = models.CharField(max_length=10)
        author = models.ForeignKey(Author, related_name="books", on_delete=models.CASCADE)

    class Loan(TimeStampedModel):
        book = models.ForeignKey(Book, on_delete=models.CASCADE)
    """
)
BASE = textwrap.dedent(
    """
    from django.db import models

    class Stamped(models.Model):
        created = models.DateTimeField()

        class Meta:
            abstract = True

        @property
        def label(self):
            return str(self.created)
    """
)


def lint_project(tmp_path, files):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for pkg in {p.parent for p in tmp_path.rglob("*.py")}:
        (pkg / "__init__.py").touch()
    config = api.make_config(discover([str(tmp_path)]), select=["FFT205"])
    out = []
    for result in api.lint_paths([str(tmp_path)], config, jobs=1):
        rel = os.path.relpath(result.path, tmp_path).replace(os.sep, "/")
        out.extend((rel, d.span.line, d.message) for d in result.diagnostics if d.code == "FFT205")
    return sorted(out)


def view(body):
    return "from shop.models import Book, Loan\n\n\ndef show():\n" + textwrap.indent(textwrap.dedent(body), "    ")


def test_models_of_another_file(tmp_path):
    found = lint_project(tmp_path, {"shop/models.py": MODELS, "shop/base.py": BASE, "shop/views.py": view(
        """
        for b in Book.objects.select_related("author"):
            print(b.title, b.created)
        """)})
    assert [(p, line) for p, line, _ in found] == [("shop/views.py", 6)]
    assert "`author`" in found[0][2] and "select_related" in found[0][2]


def test_a_property_of_a_base_in_another_file_is_unknown(tmp_path):
    found = lint_project(tmp_path, {"shop/models.py": MODELS, "shop/base.py": BASE, "shop/views.py": view(
        """
        for b in Book.objects.select_related("author"):
            print(b.label)
        """)})
    assert found == []


def test_a_base_outside_the_project_is_unknown(tmp_path):
    # Loan's base may define any property: silent
    found = lint_project(tmp_path, {"shop/models.py": MODELS, "shop/base.py": BASE, "shop/views.py": view(
        """
        for loan in Loan.objects.select_related("book"):
            print(loan.pk)
        """)})
    assert found == []


def test_the_base_class_missing_from_the_project_is_unknown(tmp_path):
    # without shop/base.py the class Stamped cannot be read: silent
    found = lint_project(tmp_path, {"shop/models.py": MODELS, "shop/views.py": view(
        """
        for b in Book.objects.select_related("author"):
            print(b.title)
        """)})
    assert found == []


@pytest.mark.parametrize(
    "body",
    [
        # the queryset is formatted (its repr shows rows), or given to a helper
        'qs = Book.objects.select_related("author")\nfor b in qs:\n    print(b.title)\nprint(qs)\n',
        'qs = Book.objects.select_related("author")\nfor b in qs:\n    print(b.title)\nlog(len(qs), qs)\n',
        # a row of the queryset leaves by another way
        'qs = Book.objects.select_related("author")\nfor b in qs:\n    print(b.title)\nreturn qs.first()\n',
        'qs = Book.objects.select_related("author")\nfor b in qs:\n    print(b.title)\nreturn qs[0]\n',
        'qs = Book.objects.select_related("author")\nif qs.exists():\n    helper(qs)\nfor b in qs:\n    print(b.title)\n',
        # assigned again to what the rule cannot read: a helper's result, a custom method, values()
        'qs = Book.objects.select_related("author")\nqs = narrow(qs)\nfor b in qs:\n    print(b.title)\n',
        'qs = Book.objects.select_related("author")\nqs = qs.published()\nfor b in qs:\n    print(b.title)\n',
        'qs = Book.objects.select_related("author")\nqs = qs.values("title")\nfor b in qs:\n    print(b.title)\n',
        'qs = Book.objects.select_related("author")\nqs += extra\nfor b in qs:\n    print(b.title)\n',
        # a closure variable (built in the enclosing function)
        'qs = Book.objects.select_related("author")\ndef inner():\n    for b in qs:\n        print(b.title)\ninner()\n',
        # the loop variable is rebound, yielded, deleted, compared as a whole
        'for b in Book.objects.select_related("author"):\n    b = other\n    print(b.title)\n',
        'for b in Book.objects.select_related("author"):\n    yield b.title, b\n',
        'for b in Book.objects.select_related("author"):\n    if b == current:\n        print(b.title)\n',
        'for b in Book.objects.select_related("author"):\n    print(getattr(b, "author"))\n',
        # a second loop with the same variable
        'for b in Book.objects.select_related("author"):\n    print(b.title)\nfor b in others:\n    print(b.author)\n',
        # only() / values_list(): not a row loop this rule reads
        'for b in Book.objects.select_related("author").only("title", "author__name"):\n    print(b.title)\n',
        # a loader argument it cannot read
        'for b in Book.objects.select_related(*fields):\n    print(b.title)\n',
    ],
)
def test_uses_it_cannot_follow_stay_silent(tmp_path, body):
    found = lint_project(tmp_path, {"shop/models.py": MODELS, "shop/base.py": BASE, "shop/views.py": view(body)})
    assert found == []


@pytest.mark.parametrize(
    "body",
    [
        'qs = Book.objects.select_related("author")\nn = qs.count()\nfor b in qs:\n    print(b.title)\nreturn n\n',
        'qs = Book.objects.select_related("author")\nif not qs.exists():\n    return\nfor b in qs:\n    print(b.title)\n',
        'qs = Book.objects.select_related("author")\nif len(qs) > 10 or not qs:\n    return\nfor b in qs:\n    print(b.title)\nids = list(qs.values_list("pk", flat=True))\n',
    ],
)
def test_uses_of_the_queryset_that_give_no_row(tmp_path, body):
    """``qs.count()``, ``qs.exists()``, ``len(qs)``, ``if qs:``, ``qs.values_list(...)``:
    they run a query or evaluate the queryset, but no row reaches other code."""
    found = lint_project(tmp_path, {"shop/models.py": MODELS, "shop/base.py": BASE, "shop/views.py": view(body)})
    assert [line for _, line, _ in found] == [1 + 4]


def test_a_queryset_narrowed_by_reassignment(tmp_path):
    """``qs = qs.filter(...)`` (in a branch too): the loads of every assignment count."""
    body = (
        'qs = Book.objects.select_related("author")\n'
        'if flag:\n    qs = qs.filter(title="x").prefetch_related("author__books")\n'
        'for b in qs:\n    print(b.title)\n'
    )
    found = lint_project(tmp_path, {"shop/models.py": MODELS, "shop/base.py": BASE, "shop/views.py": view(body)})
    assert [line for _, line, _ in found] == [5, 7]
    read = body.replace("print(b.title)", "print(b.author.name)")
    found = lint_project(tmp_path, {"shop/models.py": MODELS, "shop/base.py": BASE, "shop/views.py": view(read)})
    assert [(line, "`author__books`" in message) for _, line, message in found] == [(7, True)]


def test_first_unread_segment():
    assert _first_unread("author", set(), set()) == "author"
    assert _first_unread("author__publisher", {"author"}, set()) == "author__publisher"
    assert _first_unread("author__publisher", {"author"}, {"author"}) is None
    assert _first_unread("author__publisher", {"author", "author__publisher"}, set()) is None


def test_fix_over_the_catalog_fixture(tmp_path):
    """``--fix --unsafe-fixes``: the string arguments go, every file still parses, only the
    view with the query is edited, nothing is reported afterwards, and a second run
    changes nothing."""
    from fftlint.cli import main
    from fftlint.fix import parses

    target = tmp_path / "n_plus_one"
    shutil.copytree(ROOT, target)
    before = {p: p.read_text() for p in target.rglob("*.py")}
    args = [str(target / "catalog"), "--select", "FFT205", "--fix", "--unsafe-fixes", "--no-cache", "--jobs", "1"]
    main(args)
    texts = {p: p.read_text() for p in target.rglob("*.py")}
    assert all(parses(t) for t in texts.values())
    changed = {p.relative_to(target).as_posix() for p in texts if texts[p] != before[p]}
    assert changed == {"catalog/views.py"}
    views = texts[target / "catalog" / "views.py"]
    assert "rows = [b.title for b in Volume.objects.all()]" in views
    assert '"imprint",  # expect: FFT205' in views  # a call with a comment inside has no fix
    assert 'for b in Volume.objects.all().order_by("title"):' in views
    assert 'Prefetch("critiques")' in views  # a Prefetch(...) argument has no fix
    main(args)
    assert {p: p.read_text() for p in target.rglob("*.py")} == texts
    config = api.make_config(discover([str(target)]), select=["FFT205"])
    left = [(r.path, d.span.line) for r in api.lint_paths([str(target / "catalog")], config, jobs=1) for d in r.diagnostics if d.code == "FFT205"]
    assert sorted(os.path.basename(p) for p, _ in left) == ["views.py", "views.py", "warehouse.py"]  # the ones without a fix


def _could(code):
    return FFT205.could_match(AstView(ast.parse(code), code, "shop/views.py", {}, None))


@pytest.mark.parametrize(
    "code",
    [
        "from sqlalchemy.orm import selectinload\ndef f(s):\n    for u in s.query(User).options(selectinload(User.addresses)):\n        print(u.id)\n",
        "from sqlalchemy import orm\ndef f(s):\n    for u in s.query(User).options(orm.joinedload(User.a).selectinload(A.b)):\n        print(u.id)\n",
    ],
)
def test_precheck_keeps_sqlalchemy_loader_options(code):
    assert _could(code)


@pytest.mark.parametrize("path", ["catalog/views.py", "catalog/warehouse.py"])
def test_precheck_keeps_the_fixture_files(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as fh:
        assert _could(fh.read())


@pytest.mark.parametrize(
    "code",
    [
        # no eager-load call
        "from shop.models import Book\ndef f():\n    for b in Book.objects.all():\n        print(b.title)\n",
        # no loop
        "from shop.models import Book\ndef f():\n    return Book.objects.select_related('author').first()\n",
        # no function
        "from shop.models import Book\nfor b in Book.objects.select_related('author'):\n    print(b.title)\n",
        # an `options` that is no SQLAlchemy query's: no loader call among its arguments
        "def f(parser, args):\n    for a in parser.options(args, strict=True):\n        print(a)\n",
        "def f(parser, rows):\n    opts = parser.options\n    for r in rows:\n        print(opts(r.name))\n",
    ],
)
def test_precheck_skips_files_that_cannot_report(code):
    """Look-alikes the rule cannot report on never reach LibCST."""
    assert not _could(code)
    result = lint_source(code, "shop/views.py", [FFT205], {}, module_name="shop.views", prefilter=False)
    assert [d for d in result.diagnostics if d.code == "FFT205"] == []
